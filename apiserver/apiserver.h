/* apiserver: the transport-independent core of eddy-apiserver (the API main.c and tests use).
 *
 * A request (api_req) goes in, a response (api_resp) comes out; the HTTP adapter in main.c
 * copies between http_request and these. A watch answers with api_resp.watch set: the adapter
 * begins a chunked stream, then calls api_watch_start() with a sink; events arrive through
 * sink.write on the loop thread until either the server ends the stream (sink.end, after which
 * the watch is freed by the core) or the client goes away (the adapter calls api_watch_cancel(),
 * which frees it). Everything runs on the loop thread. The internals live in the module headers
 * beside this one (server.h holds the state behind the opaque apiserver). */
#ifndef APISERVER_H
#define APISERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "eddy/buf.h"
#include "eddy/err.h"

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

/* The server (opaque here; defined in server.h). */
typedef struct apiserver apiserver;

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

#endif
