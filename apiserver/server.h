/* server: the state behind an apiserver and the per-request context the handlers share.
 *
 * server.c owns the lifetime (apiserver_new/apiserver_close in apiserver.h): it opens the store,
 * loads the CRDs, creates the default namespaces and runs the compaction and bookmark timers.
 * An api_ctx lives for one request on the router's stack (router.c); handlers fill ctx->rs. */
#ifndef APISERVER_SERVER_H
#define APISERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "apiserver.h"
#include "eddy/strv.h"
#include "query.h"
#include "store.h"
#include "types.h"

typedef struct sim_queue sim_queue;

struct apiserver {
	uv_loop_t *loop;
	apiserver_opts opts;
	store *st;
	types types;
	api_watch *watches; /* doubly linked */
	uv_timer_t compact_timer, gc_timer, bookmark_timer, sim_timer;
	sim_queue *sim; /* pending simulated status writes (simulate.c), or NULL */
	bool gc_pending;
	bool gc_idle; /* the last pass found nothing with owners or a deletionTimestamp */
	int closing;
	char *token_secret; /* hex HMAC key for ServiceAccount tokens */
	/* static tokens: "token,user,uid,groups" lines */
	char **tok_token, **tok_user, **tok_groups;
	size_t n_tok;
	unsigned long rand_state;
};

/* Per-request context shared by the handlers. */
typedef struct api_ctx {
	apiserver *s;
	const api_req *rq;
	api_resp *rs;
	api_query q;
	api_type *ty;
	const char *ns, *name, *sub;
	bool dry_run;
	const char *user; /* effective user (after impersonation); NULL = unrestricted admin */
	strv groups;      /* the effective user's groups (copies, no duplicates) */
	char *user_buf;
} api_ctx;

/* A random RFC 4122 version 4 UUID (getrandom, else the server's LCG). Caller frees. */
char *server_new_uid(apiserver *s);

#endif
