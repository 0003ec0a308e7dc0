/* h1: a small blocking HTTP/1.1 client for one origin, on OpenSSL and http-parser.
 *
 * It is the kube client's transport: what talking to an API server needs and nothing more (no
 * redirects, compression or HTTP/2), so a controller that only talks to the API server maps no
 * libcurl. Use it from worker threads, never from a loop thread.
 *
 * Proxies come from the environment as libcurl (the kube client's former transport) reads them
 * when the origin is created: http_proxy (lower case only) for http, https_proxy or HTTPS_PROXY
 * for https, then all_proxy or ALL_PROXY, unless no_proxy or NO_PROXY names the host ("*", names,
 * domain suffixes). Only http:// proxies, with optional user:password (Basic); https origins
 * go through CONNECT.
 *
 * An h1_origin is one scheme://host:port with its TLS settings and a pool of idle keep-alive
 * connections. Any number of threads may call h1_do() on one origin at once: each call takes an
 * idle connection (checked to be still open) or opens a new one, and gives it back after a
 * complete answer that allows keep-alive; a connection is never used by two calls at once. A
 * request that fails on a reused connection before any byte of an answer arrived is sent once
 * more on a new connection (the server may have closed the idle one meanwhile).
 *
 * TLS: the CA, client certificate and key come as PEM text (as a kubeconfig gives them); without
 * a CA the system's trust store is used. The server name is sent (SNI, for host names) and the
 * certificate is checked against the host name or IP address, unless `insecure`. TLS sessions are
 * not resumed.
 *
 * Answers: Content-Length, chunked or close-delimited bodies go to the caller's sink as they
 * arrive; the status line plus headers are capped (H1_HEADER_MAX); the sink caps the body. 1xx
 * answers are skipped.
 *
 * Errors are an h1_rc plus a message in the caller's buffer, worded like libcurl's (the kube
 * client's messages are built from them). Messages never contain header values.
 */
#ifndef EDDY_H1_H
#define EDDY_H1_H

#include <stdbool.h>
#include <stddef.h>

#include "eddy/err.h"

enum { H1_HEADER_MAX = 64 << 10, H1_MSG_MAX = 256 }; /* below http-parser's own 80 KiB */

typedef enum h1_rc {
	H1_OK = 0,
	H1_ECONNECT,  /* name resolution, connect or a connection lost before an answer */
	H1_ETIMEOUT,  /* connect timeout or the request's deadline */
	H1_ETLS,      /* handshake, certificate or TLS set-up */
	H1_EWRITE,    /* the body sink refused bytes */
	H1_ESTOPPED,  /* the stop function said stop */
	H1_EPROTO,    /* a malformed or truncated answer */
} h1_rc;

typedef struct h1_origin_opts {
	const char *ca_pem;          /* trusted CAs (PEM text); NULL: the system's store */
	const char *cert_pem;        /* client certificate (PEM text, chain allowed) */
	const char *key_pem;         /* its key (PEM text) */
	bool insecure;               /* no certificate or host name checks */
	long connect_timeout_ms;     /* [10000] */
	int max_idle;                /* idle connections kept [16] */
} h1_origin_opts;

typedef struct h1_origin h1_origin;

/* An origin from a URL "http[s]://host[:port][/anything]" (only scheme and authority are used;
 * IPv6 literals in brackets). A TLS set-up that fails (a CA, certificate or key that does not
 * load) does not fail here: every h1_do() then fails with H1_ETLS and that message, as a libcurl
 * request would. NULL (e filled, reason "InvalidRequest") only for a URL that is not http(s). */
h1_origin *h1_origin_new(const char *url, const h1_origin_opts *o, err *e);
/* Closes the idle connections and frees the origin; no h1_do() may be running on it. */
void h1_origin_free(h1_origin *o);
/* How many connections the origin has opened so far (for tests of keep-alive). */
unsigned long h1_origin_connects(h1_origin *o);

/* The body sink: called with each piece of the answer's body and the answer's status; returns 0
 * to go on, anything else to end the call with H1_EWRITE (the connection is closed). */
typedef int (*h1_sink_fn)(void *ud, long status, const char *p, size_t n);
/* Polled at least once a second while the call waits; true ends it with H1_ESTOPPED. */
typedef bool (*h1_stop_fn)(void *ud);

typedef struct h1_req {
	const char *method;           /* "GET", "POST", ... */
	const char *url;              /* must start with the origin's scheme://authority */
	const char *const *headers;   /* "Name: value" lines, NULL-terminated, or NULL */
	const char *body;             /* NULL: none (Content-Length: 0 for POST/PUT/PATCH) */
	size_t blen;
	long timeout_ms;              /* the whole call, connect included; 0: none */
	h1_sink_fn sink;              /* NULL: the body is dropped */
	h1_stop_fn stop;              /* NULL: never */
	void *ud;                     /* for sink and stop */
} h1_req;

/* Performs one request. On H1_OK *status is the final status code; on errors it is the status
 * if one was received, else 0, and msg holds a one-line message. */
h1_rc h1_do(h1_origin *o, const h1_req *r, long *status, char *msg, size_t msglen);

/* ---- the response parser (used by h1_do; public for its tests and fuzz target) ---- */

typedef struct h1_resp h1_resp;

typedef enum h1_feed {
	H1_FEED_MORE,  /* all bytes taken, the answer is not complete */
	H1_FEED_DONE,  /* the answer is complete; *used says how many bytes it took */
	H1_FEED_ERROR, /* malformed, too large a head, or the sink refused (h1_resp_sink_failed) */
} h1_feed;

/* A parser for one answer; head: the request was HEAD (no body follows). */
h1_resp *h1_resp_new(bool head, h1_sink_fn sink, void *ud);
void h1_resp_free(h1_resp *r);
/* Feeds bytes; n == 0 means the peer closed (ends a close-delimited body, else an error). */
h1_feed h1_resp_feed(h1_resp *r, const char *p, size_t n, size_t *used);
long h1_resp_status(const h1_resp *r);       /* 0 until the status line is parsed */
bool h1_resp_keep_alive(const h1_resp *r);   /* after DONE: the connection may be reused */
bool h1_resp_sink_failed(const h1_resp *r);
bool h1_resp_started(const h1_resp *r);      /* some byte of an answer was fed */
/* A short description of the parse error (after H1_FEED_ERROR). */
const char *h1_resp_error(const h1_resp *r);

#endif
