/* http: an HTTP/1.1 server on a libuv loop and an HTTP client over libcurl.
 *
 * SERVER
 * ------
 * An http_server accepts connections on the caller's uv loop and parses requests with
 * http-parser. Everything it does happens on the loop thread and nothing in it blocks the loop:
 * file serving reads through uv_fs, TLS runs OpenSSL over memory BIOs on the uv stream.
 *
 * For every complete request the server calls the handler given to http_server_new() with an
 * http_request. The request is also the responder. The rules of its lifetime are these:
 *
 *   1. The handler must finish every request exactly once, either before it returns or later
 *      (asynchronously, for example after a worker-pool job or for a watch stream), always on the
 *      loop thread. A request is finished by http_respond(), http_respond_take(),
 *      http_respondf(), http_stream_end() or http_serve_file(). After that call the request
 *      pointer is dead and must not be used again.
 *   2. Until it is finished, the request stays valid even if its connection has died: the
 *      server never frees an unfinished request. Writing to a request whose client has gone is
 *      harmless and returns -1; finishing it then just frees it.
 *   3. When the connection of an unfinished request closes (the client went away, a write
 *      failed, the client stopped reading or overflowed the write queue, or the server is being
 *      closed), http_request_client_gone() becomes true at once, and the server later calls the
 *      close callback set with http_request_on_close(): once, on the loop thread, from the loop
 *      itself (never from inside an http_* call). The callback is never called for a request
 *      that was already finished. The callback may (and usually does) finish the request.
 *   4. Requests on one connection are answered in order: while a request is unfinished, the
 *      server keeps up to one request head's worth (max_header_bytes) of the following
 *      pipelined bytes, then stops reading, and parses them only after the request is finished.
 *      The handler of the next request is never called from inside an http_respond() call; it
 *      runs later from the loop.
 *
 * Limits (http_server_opts; 0 picks the default in brackets): header bytes per request
 * [64 KiB] -> 431 (414 for an overlong request line); header count [256] -> 431; body bytes
 * [4 MiB] -> 413; time to receive the headers [30 s] and then the body [60 s] -> 408 and close;
 * idle keep-alive time [60 s] -> close; a client that takes none of the queued answer for the
 * idle time -> close (a slow reader that makes progress is never cut); open connections [1024]
 * -> further connections are accepted and closed at once; bytes queued for writing to one
 * connection [16 MiB] -> http_stream_write fails and the connection is closed (rule 3), and a
 * pipelining client that does not read its answers is not served more requests until it does.
 * Malformed requests get 400 and the connection is closed; an unknown Transfer-Encoding, Upgrade
 * and CONNECT get 501; HTTP versions other than 1.x get 505; an Expect other than 100-continue
 * gets 417 (100-continue is answered with "100 Continue").
 *
 * The server is freed only in its close callback (http_server_close()), after every uv handle it
 * owns has been closed. Unfinished requests outlive the server: rule 1 still applies to them.
 *
 * Writing to a peer that has gone must not kill the process, so http_server_new() and the
 * clients set SIGPIPE to "ignore" when it still has its default disposition.
 *
 * CLIENTS
 * -------
 * http_client is a blocking client for worker threads (never call it on a loop thread). One
 * http_client wraps one curl easy handle, so it reuses connections between calls; it must not be
 * used by two threads at once, except http_client_cancel(), which any thread may call.
 * http_multi is the client for a loop thread: one curl multi handle driven by libuv, with
 * callbacks on the loop. Both share the option, request and response types.
 */
#ifndef EDDY_HTTP_H
#define EDDY_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "eddy/buf.h"
#include "eddy/err.h"

/* ---------------------------------------------------------------------------------------------
 * Server
 * ------------------------------------------------------------------------------------------- */

typedef struct http_server http_server;
typedef struct http_request http_request;

/* Called on the loop thread for each complete request; see rule 1 above. */
typedef void (*http_handler)(http_request *req, void *data);

typedef enum http_tls_client_auth {
	HTTP_TLS_CLIENT_NONE = 0,  /* do not ask for a client certificate */
	HTTP_TLS_CLIENT_OPTIONAL,  /* ask; a verified certificate fills http_request_tls_client() */
	HTTP_TLS_CLIENT_REQUIRE,   /* ask and refuse the handshake without a verified certificate */
} http_tls_client_auth;

/* Server options. Zero-initialise and set what you need; every 0 means the default named in the
 * comment at the top of this header. Strings are copied by http_server_new(). */
typedef struct http_server_opts {
	size_t max_header_bytes;     /* request line + headers */
	size_t max_headers;          /* number of header fields */
	size_t max_body_bytes;       /* request body, after de-chunking */
	uint64_t header_timeout_ms;  /* first byte of a request (or accept) to end of headers */
	uint64_t body_timeout_ms;    /* end of headers to end of body */
	uint64_t idle_timeout_ms;    /* keep-alive: end of a response to first byte of the next */
	size_t max_connections;
	size_t max_write_queue_bytes; /* per connection */
	/* TLS: set a certificate and a key (file or PEM text) to serve HTTPS. The client CA (file
	 * or PEM text) is needed for client_auth other than HTTP_TLS_CLIENT_NONE. */
	const char *tls_cert_file, *tls_key_file, *tls_client_ca_file;
	const char *tls_cert_pem, *tls_key_pem, *tls_client_ca_pem;
	http_tls_client_auth tls_client_auth;
} http_server_opts;

/* Create a server on loop (not yet listening). opts may be NULL for all defaults. Fails (TLS
 * material that does not load, for example) with NULL and e filled. */
http_server *http_server_new(uv_loop_t *loop, const http_server_opts *opts, http_handler handler,
			     void *data, err *e);

/* Listen on "ip:port", "[v6]:port", "localhost:port" (127.0.0.1) or ":port" (all IPv4
 * interfaces). Port 0 picks a free port; http_server_port() then tells which. Returns 0, or -1
 * with e filled; the server must be closed with http_server_close() either way. */
int http_server_listen(http_server *s, const char *addr, err *e);

/* The bound port (0 before a successful listen) and the bound address as "host:port". */
int http_server_port(const http_server *s);
const char *http_server_address(const http_server *s);

/* Number of currently open connections (for tests and metrics). */
size_t http_server_connections(const http_server *s);

/* Stop listening, close every connection (unfinished requests get their close callback) and
 * free the server once all its handles are closed; then call cb (may be NULL) on the loop thread.
 * The server must not be used after this call. */
void http_server_close(http_server *s, void (*cb)(void *data), void *data);

/* ---- The request ---------------------------------------------------------------------------
 * Every getter returns memory owned by the request, valid until the request is finished.
 * The getters still work after the client has gone. */

/* "GET", "POST", ... (http_method_str spelling). */
const char *http_request_method(const http_request *r);
/* True for HEAD: responses then carry headers only (http_respond drops the body itself). */
bool http_request_is_head(const http_request *r);
/* The request target as received, e.g. "/api/v1/pods?watch=1". */
const char *http_request_raw_target(const http_request *r);
/* The path, percent-decoded ("/a%20b" -> "/a b"), without the query string. Requests whose path
 * decodes to a NUL byte or has a bad escape are refused with 400 before the handler sees them. */
const char *http_request_path(const http_request *r);
/* The raw query string without '?' ("" when absent). */
const char *http_request_query(const http_request *r);
/* The n-th (from 0) value of query parameter key, URL-decoded ('+' is a space), or NULL. A key
 * without '=' has the value "". */
const char *http_request_query_param_n(const http_request *r, const char *key, size_t n);
static inline const char *http_request_query_param(const http_request *r, const char *key)
{
	return http_request_query_param_n(r, key, 0);
}
/* The first header named name (case-insensitive), or NULL. Repeated headers are not joined. */
const char *http_request_header(const http_request *r, const char *name);
/* Iterate headers: fills name/value of the i-th header and returns true, or false past the end. */
bool http_request_header_at(const http_request *r, size_t i, const char **name,
			    const char **value);
/* The body (never NULL; NUL-terminated, the terminator not counted in len). */
const char *http_request_body(const http_request *r, size_t *len);
/* HTTP version, e.g. 1 and 1. */
void http_request_version(const http_request *r, int *major, int *minor);
/* The peer as "ip:port" ("" when unknown). */
const char *http_request_remote_addr(const http_request *r);
/* True when the request came over TLS. */
bool http_request_is_tls(const http_request *r);

/* The subject of a verified TLS client certificate. */
typedef struct http_tls_identity {
	const char *common_name;    /* subject CN ("" if none) */
	const char *const *orgs;    /* subject O values */
	size_t n_orgs;
} http_tls_identity;
/* The verified client certificate's identity, or NULL when none was presented or it did not
 * verify against the client CA. */
const http_tls_identity *http_request_tls_client(const http_request *r);

/* Set (replace) the close callback of rule 3. cb may be NULL to remove it. */
void http_request_on_close(http_request *r, void (*cb)(http_request *r, void *data), void *data);
/* True once the connection of the request is gone. */
bool http_request_client_gone(const http_request *r);

/* ---- The response -------------------------------------------------------------------------- */

/* Add a header to the response not yet started (before http_respond/http_stream_begin). The
 * value is printf-formatted. Names and values with CR, LF or NUL, and names the server sets
 * itself (Content-Length, Transfer-Encoding, Connection), are refused with -1. Returns 0. */
int http_add_header(http_request *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Send a complete response and finish the request. content_type may be NULL (no header).
 * Content-Length is set; for HEAD the body is not sent. Returns 0, or -1 when the client has
 * gone (the request is finished either way). */
int http_respond(http_request *r, int status, const char *content_type, const void *body,
		 size_t len);
/* Same, taking ownership of body (allocated with xmalloc; freed by the server). */
int http_respond_take(http_request *r, int status, const char *content_type, char *body,
		      size_t len);
/* Same, with a printf-formatted body. */
int http_respondf(http_request *r, int status, const char *content_type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Start a streaming response: the status line and headers are sent at once with
 * "Transfer-Encoding: chunked" (for an HTTP/1.0 client: no length, and the connection closes at
 * the end). Returns 0, or -1 when the client has gone (the request is NOT finished: call
 * http_stream_end()). */
int http_stream_begin(http_request *r, int status, const char *content_type);
/* Send one chunk (len 0 is a no-op). Returns 0 when queued, -1 when the client has gone or the
 * connection's write queue is over its limit (the connection is then closed and the close
 * callback runs). */
int http_stream_write(http_request *r, const void *data, size_t len);
/* End the stream (the last chunk) and finish the request. Also the way to finish a request whose
 * client has gone, or whose stream never began (a live client then gets an empty 500). Returns 0,
 * or -1 when the client had gone. */
int http_stream_end(http_request *r);
/* Bytes queued on the request's connection and not yet written (0 when gone). */
size_t http_request_write_queue(const http_request *r);

/* Serve the regular file root_dir/rel_path and finish the request. rel_path is relative (a
 * leading '/' is ignored) and may not contain "..", empty or "." segments, backslashes or NUL;
 * after resolving symlinks the file must lie inside root_dir, otherwise 404 (400 for a bad path).
 * Sends Content-Length, Content-Type (guessed from the extension), ETag and Last-Modified; honours
 * If-None-Match (304), HEAD and a single "Range: bytes=" range (206, or 416 when unsatisfiable;
 * several ranges get the whole file with 200). Only GET and HEAD are allowed (405 otherwise).
 * The file is opened and read with uv_fs calls, never blocking the loop. */
void http_serve_file(http_request *r, const char *root_dir, const char *rel_path);

/* The reason phrase of a status code ("OK", "Not Found", ...; "Unknown" otherwise). */
const char *http_status_text(int status);
/* A Content-Type for a file name, from its extension ("application/octet-stream" by default). */
const char *http_content_type_for(const char *filename);

/* ---- Router --------------------------------------------------------------------------------
 * A small table of (method, path prefix) -> handler. Routes are tried in the order they were
 * added; the first whose method matches (NULL matches every method, "GET" also matches HEAD) and
 * whose prefix is a prefix of the decoded path wins. No match gives 404, a path match with no
 * method match gives 405. Use it as the server's handler: http_server_new(loop, &o,
 * http_router_handle, router, &e). */
typedef struct http_router http_router;
http_router *http_router_new(void);
void http_router_add(http_router *rt, const char *method, const char *prefix, http_handler h,
		     void *data);
void http_router_handle(http_request *req, void *router);
void http_router_free(http_router *rt);

/* ---------------------------------------------------------------------------------------------
 * Client (blocking, for worker threads)
 * ------------------------------------------------------------------------------------------- */

typedef struct http_client http_client;

/* Client options (copied by http_client_new; zero means default). Proxies: proxy overrides;
 * otherwise curl's environment variables (http_proxy, https_proxy, no_proxy, ...) apply, unless
 * no_proxy_env is set. */
typedef struct http_client_opts {
	const char *ca_file;          /* CA bundle file (neither set: the system's bundle) */
	const char *ca_pem;           /* CA bundle as PEM text (wins over ca_file) */
	const char *cert_file, *key_file; /* client certificate and key files (PEM) */
	const char *cert_pem, *key_pem;   /* client certificate and key as PEM text */
	bool insecure_skip_verify;    /* do not verify the server certificate or host name */
	const char *proxy;            /* "http://host:port"; NULL: the environment's */
	bool no_proxy_env;            /* ignore proxy environment variables */
	const char *bearer_token;     /* "Authorization: Bearer ..." */
	const char *basic_user, *basic_password; /* basic auth (when no bearer token) */
	const char *user_agent;       /* default "eddy" */
	uint64_t timeout_ms;          /* whole transfer [30 s]; streaming requests: none */
	uint64_t connect_timeout_ms;  /* [10 s] */
	int retries;                  /* extra attempts on connect errors, 5xx and 429 [0] */
	uint64_t retry_base_ms;       /* first backoff, doubled each time, jittered [200 ms] */
	uint64_t retry_max_ms;        /* backoff cap [10 s] */
	size_t max_response_bytes;    /* response body cap [64 MiB] */
} http_client_opts;

/* Called for each received body chunk in streaming mode, on the calling thread. Return 0 to go
 * on, anything else to stop the transfer (http_client_do then fails with reason "Canceled"). */
typedef int (*http_chunk_cb)(const char *data, size_t len, void *ud);

/* One request. Unset fields take defaults: method "GET", no headers, no body. */
typedef struct http_client_req {
	const char *method;
	const char *url;
	const char *const *headers;   /* NULL-terminated "Name: value" strings; no Content-Type is
				       * sent unless given here */
	const void *body;
	size_t body_len;
	uint64_t timeout_ms;          /* overrides the client's (0: the client's) */
	int retries;                  /* <0: none; 0: the client's; >0: this many */
	size_t max_response_bytes;    /* overrides the client's (0: the client's) */
	/* Streaming mode: when on_chunk is set, the body bytes of a 2xx response go to it instead
	 * of the response buf (the body of any other status still goes to resp->body, capped at
	 * 1 MiB, so that error documents can be read), no overall timeout applies unless
	 * timeout_ms is set, the response cap does not apply to streamed bytes, and no retry
	 * happens once a byte has been delivered. */
	http_chunk_cb on_chunk;
	void *chunk_ud;
} http_client_req;

/* A response: status, headers and (non-streaming) body. Release with http_response_release. */
typedef struct http_response {
	long status;
	buf body;
	char **header_names;  /* of the final response; redirects are not followed */
	char **header_values;
	size_t n_headers;
} http_response;

http_client *http_client_new(const http_client_opts *opts, err *e);
void http_client_free(http_client *c);

/* Perform req and fill resp (which this initialises). Returns 0 when a response was received
 * (any status: check resp->status), or -1 with e filled; the error reasons are
 * "ConnectionFailed" (refused, DNS), "Timeout", "TLSError" (handshake, verification, bad client
 * certificate), "ResponseTooLarge" (the cap was passed; the transfer was aborted), "Canceled"
 * (http_client_cancel or the chunk callback), "InvalidRequest" and "HTTPRequestFailed" (any other
 * transport failure). Connect failures are retried when retries allow; timeouts and broken
 * connections only for idempotent methods; 5xx and 429 answers are retried too (honouring a
 * Retry-After in seconds, up to retry_max_ms) and returned as responses after the last attempt.
 * Redirects are not followed. Messages name the method and URL (without userinfo, query or
 * fragment) and never contain credentials. resp must be released even on failure. */
int http_client_do(http_client *c, const http_client_req *req, http_response *resp, err *e);

/* Mark c canceled; safe from any thread. The transfer running on c stops within about a second
 * (at once when data is flowing) and it and every later http_client_do on c fail with reason
 * "Canceled" until http_client_reset_cancel() (same thread as http_client_do) clears the mark. */
void http_client_cancel(http_client *c);
void http_client_reset_cancel(http_client *c);

/* ---------------------------------------------------------------------------------------------
 * Client on a uv loop (one curl multi handle driven by libuv: one timer, one poll per socket)
 *
 * http_multi runs transfers on the loop thread without blocking it; everything about it
 * (starting, canceling, callbacks, closing) happens on that thread. Requests, options, retries,
 * caps, streaming and error reasons are those of the blocking client; the chunk callback of a
 * streaming request runs on the loop thread and must not block.
 * ------------------------------------------------------------------------------------------- */

typedef struct http_multi http_multi;
typedef struct http_call http_call;

/* Called exactly once per started call, on the loop thread, never from inside
 * http_multi_start() or http_call_cancel(). On success e is NULL and resp holds the response
 * (any status); on failure e says why (resp may hold a partial response). resp belongs to the
 * call and lives until the callback returns (take the body with buf_detach to keep it). The
 * call pointer is dead once the callback returns. */
typedef void (*http_call_done)(http_call *call, http_response *resp, const err *e, void *ud);

http_multi *http_multi_new(uv_loop_t *loop, const http_client_opts *opts, err *e);
/* Start a request (all of req is copied); the transfer begins on the next loop iteration. Returns
 * the call, or NULL with e filled (then done is never called). May be called from any callback
 * on the loop thread, including done and chunk callbacks. */
http_call *http_multi_start(http_multi *m, const http_client_req *req, http_call_done done,
			    void *ud, err *e);
/* Stop a call; its done callback then runs soon with reason "Canceled" (unless it has already
 * run or is already due with another result). Must not be called after done has run. */
void http_call_cancel(http_call *call);
/* Cancel every call (their done callbacks run with "Canceled"), then free the client once its
 * handles are closed, and call cb (may be NULL) on the loop thread. May be called from any
 * callback on the loop thread; m must not be used afterwards. */
void http_multi_close(http_multi *m, void (*cb)(void *data), void *data);

/* The first header named name (case-insensitive), or NULL. */
const char *http_response_header(const http_response *resp, const char *name);
void http_response_release(http_response *resp);

#endif
