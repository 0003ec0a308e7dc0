/* http_curl: the one libcurl set-up of Eddy, for every module that drives a curl easy handle
 * itself (the HTTP clients in http.h, the Kubernetes client, the Git smart-HTTP transport, the
 * GitHub App token exchange).
 *
 * libcurl is not linked but loaded on first use (eddy/curldl.h, included here, so the libcurl
 * calls of every user of this header go through the loader's table): http_curl_global_init()
 * loads and initialises libcurl once per process (thread-safe), and sets SIGPIPE to "ignore"
 * when it still has its default disposition (CURLOPT_NOSIGNAL leaves it to us). Call it before
 * any other libcurl call; it fails (-1, e filled with reason "LibraryLoadFailed") when
 * libcurl.so.4 cannot be loaded, and so does every later call.
 * http_curl_setup() applies the options every Eddy transfer shares: no signals, http and https
 * only, error buffer, user agent, connect and transfer timeouts, TLS material from files or from
 * memory (PEM, copied by curl), certificate verification, proxy and basic auth. Request-specific
 * options (URL, method, headers, body, callbacks) stay with the caller, set after this call.
 * http_curl_sink is a write callback that keeps a response body in a buf and aborts the
 * transfer (CURLE_WRITE_ERROR) once the buf's cap would be passed. */
#ifndef EDDY_HTTP_CURL_H
#define EDDY_HTTP_CURL_H

#include <stdbool.h>
#include <stdint.h>

#include "eddy/buf.h"
#include "eddy/curldl.h"
#include "eddy/err.h"

/* Set-up options; NULL strings and zero numbers leave curl's defaults. An empty string is a
 * value (an empty ca_pem is an empty bundle); callers that treat "" as unset pass NULL. */
typedef struct http_curl_opts {
	char *errbuf;                /* CURL_ERROR_SIZE bytes, cleared here (or NULL) */
	const char *user_agent;
	uint64_t connect_timeout_ms; /* 0: curl's default */
	uint64_t timeout_ms;         /* whole transfer; 0: none */
	bool tcp_keepalive;
	const char *ca_pem;          /* CA bundle as PEM text (wins over ca_file) */
	const char *ca_file;
	const char *cert_pem, *key_pem;   /* client certificate and key as PEM text */
	const char *cert_file, *key_file; /* or as files */
	bool insecure_skip_verify;   /* no peer or host name verification */
	const char *proxy;           /* explicit proxy URL; NULL: the environment's */
	bool proxy_no_exceptions;    /* with proxy: ignore no_proxy from the environment */
	const char *proxy_user, *proxy_pass;
	bool no_proxy_env;           /* without proxy: ignore the proxy environment variables */
	const char *basic_user, *basic_pass; /* HTTP basic auth (basic_pass NULL: "") */
} http_curl_opts;

int http_curl_global_init(err *e);
void http_curl_setup(CURL *h, const http_curl_opts *o);
/* CURLOPT_WRITEFUNCTION for CURLOPT_WRITEDATA = a buf *: appends within the cap or stops. */
size_t http_curl_sink(char *p, size_t size, size_t n, void *buf_ptr);

#endif
