/* apiserver: the transport-independent core of eddy-apiserver.
 *
 * A request (api_req) goes in, a response (api_resp) comes out; the HTTP adapter in main.c
 * copies between http_request and these. A watch answers with api_resp.watch set: the adapter
 * begins a chunked stream, then calls api_watch_start() with a sink; events arrive through
 * sink.write on the loop thread until either the server ends the stream (sink.end, after which
 * the watch is freed by the core) or the client goes away (the adapter calls api_watch_cancel(),
 * which frees it). Everything runs on the loop thread. */
#ifndef APISERVER_H
#define APISERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "eddy/buf.h"
#include "eddy/err.h"
#include "selector.h"
#include "store.h"
#include "types.h"

enum {
	API_MAX_BODY = 3 * 1024 * 1024 + 512 * 1024,
	API_MAX_JSON_DEPTH = 200,
	API_RING = 8192,
};

typedef struct api_req {
	const char *method;
	const char *path;  /* decoded, without query */
	const char *query; /* raw, without '?' (may be NULL) */
	const char *content_type, *accept, *user_agent;
	/* Authenticated identity (NULL user = anonymous admin on plain HTTP). */
	const char *user;
	const char *const *groups;
	size_t n_groups;
	const char *bearer; /* Authorization: Bearer token (without the word), or NULL */
	bool authenticated; /* user/groups come from a verified client certificate */
	/* Impersonation headers (Impersonate-User, Impersonate-Group values). */
	const char *imp_user;
	const char *const *imp_groups;
	size_t n_imp_groups;
	const char *body;
	size_t body_len;
} api_req;

typedef struct api_watch api_watch;

typedef struct api_resp {
	int code;
	const char *content_type; /* static string */
	buf body;
	char *warning; /* a Warning header value, or NULL */
	api_watch *watch;
} api_resp;

typedef struct api_watch_sink {
	int (*write)(void *ctx, const char *data, size_t len);
	void (*end)(void *ctx);
	void *ctx;
} api_watch_sink;

typedef struct apiserver_opts {
	const char *data_dir;
	const char *tokens_file;
	bool auth;  /* --tls: authenticate and authorize every request */
	int64_t compact_retain;     /* revisions kept by compaction */
	int64_t compact_min_age;    /* seconds: rows younger than this are kept */
	uint64_t compact_interval_ms;
	uint64_t bookmark_interval_ms;
	char *server_address;       /* "127.0.0.1:PORT" for /api */
	bool simulate_workloads;    /* --simulate-workloads: kwok-like workload status */
} apiserver_opts;

typedef struct sim_queue sim_queue;

typedef struct apiserver {
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
} apiserver;

/* Open the store, load CRDs, create default namespaces, start timers. */
apiserver *apiserver_new(uv_loop_t *loop, const apiserver_opts *opts, err *e);
/* Stop timers and end all watches; free once the timers are closed (cb called then). */
void apiserver_close(apiserver *s, void (*cb)(void *), void *data);

/* Handle one request; the response is filled (release with api_resp_release). */
void api_handle(apiserver *s, const api_req *rq, api_resp *rs);
void api_resp_init(api_resp *rs);
void api_resp_release(api_resp *rs);

void api_watch_start(api_watch *w, const api_watch_sink *sink);
/* End every open watch (server shutdown): each sink gets end(). */
void api_watch_end_all(apiserver *s);
void api_watch_cancel(api_watch *w);

/* ---- internal, shared between the core's files ---- */

/* Query parameters. */
typedef struct api_query {
	char **k, **v;
	size_t n;
} api_query;
void query_parse(api_query *q, const char *raw);
void query_release(api_query *q);
const char *query_get(const api_query *q, const char *k);
/* Go strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False; else -1. */
int query_bool(const char *s);

/* Status answers. */
void resp_json(api_resp *rs, int code, cJSON *obj); /* takes obj */
void resp_status(api_resp *rs, int code, const char *reason, const char *msg, cJSON *details);
void resp_statusf(api_resp *rs, int code, const char *reason, cJSON *details, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));
cJSON *resp_details(const api_type *ty, const char *name);
void resp_not_found(api_resp *rs, const api_type *ty, const char *name);

/* Objects. */
char *obj_key(const api_type *ty, const char *ns, const char *name);
void obj_timestamp(char out[32]);
char *server_new_uid(apiserver *s);
const char *obj_str(const cJSON *o, const char *k);
cJSON *obj_ensure(cJSON *o, const char *k); /* get or create an object member */
cJSON *obj_meta(const cJSON *obj);
/* Parse JSON with size and depth limits. */
cJSON *obj_parse(const char *text, size_t len, err *e);

/* Commit hook: record the event in the ring and fan it out to watches. Takes ownership of
 * nothing (copies). */
void watch_emit(apiserver *s, char type, int64_t rev, const char *key, const char *value,
              const char *prev);
/* Schedule a garbage-collection pass (on the next loop iteration). */
void gc_schedule(apiserver *s);
void gc_run(apiserver *s);
/* 1 when the owner a reference names exists with its uid, 0 when gone, -1 when its kind is
 * unknown (not collected). ns: the dependent's namespace, NULL for cluster-scoped ones. */
int gc_owner_state(apiserver *s, const cJSON *ref, const char *ns);

/* Simulated workload status (simulate.c): after a create or a non-status update of key
 * (committed, not dry-run), schedule its status write when --simulate-workloads is on; a no-op
 * for kinds that are not simulated. sim_free drops what is still queued (at close). */
void sim_note(apiserver *s, api_type *ty, const char *key);
void sim_free(apiserver *s);

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
	const char **groups;
	size_t n_groups;
	char *user_buf;
	char **group_bufs;
	size_t n_group_bufs;
} api_ctx;

void discovery_handle(api_ctx *c, const char **seg, size_t nseg);
void openapi_handle(api_ctx *c, const char *path);
void res_handle(api_ctx *c);

/* Object writes used by handlers and GC: delete an object (honouring finalizers and
 * propagation); returns the HTTP code and fills out (may be NULL). */
int res_delete_object(apiserver *s, api_type *ty, const char *ns, const char *name,
               const char *propagation, const cJSON *preconditions, bool dry_run,
               cJSON **out, err *e);
/* Store an updated object (generic bookkeeping: finalizer completion). */
int64_t res_store_update(apiserver *s, api_type *ty, const char *key, cJSON *obj,
                         const store_row *old, err *e);
/* Rewrite apiVersion of obj for ty. */
void obj_set_version(cJSON *obj, const api_type *ty);

/* CRDs (crd.c). */
void crd_on_write(apiserver *s, cJSON *crd);
int crd_validate_object(const api_type *ty, cJSON *obj, const char *validation, cJSON **causes,
                        char **warnings);
int crd_validate_crd(apiserver *s, const cJSON *crd, cJSON **causes);
void crd_default(const cJSON *schema, cJSON *obj);
void crd_delete_instances(apiserver *s, const char *crd_name);

/* Tables (table.c). */
bool table_wanted(const char *accept);
cJSON *table_new(const api_type *ty, bool with_defs);
void table_add_row(cJSON *table, const api_type *ty, const cJSON *obj, bool include_object);
char *table_jsonpath(const cJSON *obj, const char *path, const char *type);
void table_age(int64_t secs, char out[32]);

/* OpenAPI (openapi.c). */
char *openapi_schema_name(const api_type *ty);

/* Protobuf (protobuf.c): decode a "k8s\0" envelope into JSON. */
cJSON *pb_decode(const unsigned char *data, size_t len, err *e);

/* Auth (auth.c). */
int auth_authorize(api_ctx *c, const char *verb, const char *group, const char *resource,
                   const char *sub, const char *ns, const char *name);
void auth_identify(api_ctx *c);
void auth_review(api_ctx *c, cJSON *obj); /* takes obj */
char *auth_mint_token(apiserver *s, const char *ns, const char *sa, int64_t exp);
int auth_check_token(apiserver *s, const char *token, char **user, char ***groups,
                     size_t *ngroups);

#endif
