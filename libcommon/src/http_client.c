/* http_client: the blocking libcurl client for worker threads (see eddy/http.h). */
#include "http_internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "eddy/mem.h"

enum {
	DEF_TIMEOUT_MS = 30000,
	DEF_CONNECT_MS = 10000,
	DEF_RETRY_BASE_MS = 200,
	DEF_RETRY_MAX_MS = 10000,
	DEF_MAX_RESPONSE = 64 * 1024 * 1024,
	MAX_RESP_HEADERS = 256,
	ERROR_BODY_CAP = 1024 * 1024,
};

struct http_client {
	CURL *easy;
	http_client_opts o;
	char *strs[13];
	atomic_bool cancel;
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static const char *keep(http_client *c, int i, const char *s)
{
	c->strs[i] = s ? xstrdup(s) : NULL;
	return c->strs[i];
}

http_client *http_client_new(const http_client_opts *opts, err *e)
{
	pthread_once(&curl_once, curl_init_once);
	http_client *c = xcalloc(1, sizeof *c);
	if (opts)
		c->o = *opts;
	c->easy = curl_easy_init();
	if (!c->easy) {
		free(c);
		err_fail(e, "HTTPClientFailed", "cannot create a curl handle");
		return NULL;
	}
	c->o.ca_file = keep(c, 0, c->o.ca_file);
	c->o.ca_pem = keep(c, 1, c->o.ca_pem);
	c->o.cert_file = keep(c, 2, c->o.cert_file);
	c->o.key_file = keep(c, 3, c->o.key_file);
	c->o.cert_pem = keep(c, 4, c->o.cert_pem);
	c->o.key_pem = keep(c, 5, c->o.key_pem);
	c->o.proxy = keep(c, 6, c->o.proxy);
	c->o.bearer_token = keep(c, 7, c->o.bearer_token);
	c->o.basic_user = keep(c, 8, c->o.basic_user);
	c->o.basic_password = keep(c, 9, c->o.basic_password);
	c->o.user_agent = keep(c, 10, c->o.user_agent ? c->o.user_agent : "eddy");
	if (!c->o.timeout_ms)
		c->o.timeout_ms = DEF_TIMEOUT_MS;
	if (!c->o.connect_timeout_ms)
		c->o.connect_timeout_ms = DEF_CONNECT_MS;
	if (!c->o.retry_base_ms)
		c->o.retry_base_ms = DEF_RETRY_BASE_MS;
	if (!c->o.retry_max_ms)
		c->o.retry_max_ms = DEF_RETRY_MAX_MS;
	if (!c->o.max_response_bytes)
		c->o.max_response_bytes = DEF_MAX_RESPONSE;
	if (c->o.retries < 0)
		c->o.retries = 0;
	atomic_init(&c->cancel, false);
	return c;
}

void http_client_free(http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->easy);
	for (size_t i = 0; i < sizeof c->strs / sizeof c->strs[0]; i++) {
		if (c->strs[i]) {
			/* secrets: wipe before freeing */
			memset(c->strs[i], 0, strlen(c->strs[i]));
			free(c->strs[i]);
		}
	}
	free(c);
}

void http_client_cancel(http_client *c)
{
	atomic_store(&c->cancel, true);
}

void http_client_reset_cancel(http_client *c)
{
	atomic_store(&c->cancel, false);
}

/* ---- Response ------------------------------------------------------------------------------ */

static void resp_clear_headers(http_response *r)
{
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->header_names[i]);
		free(r->header_values[i]);
	}
	free(r->header_names);
	free(r->header_values);
	r->header_names = r->header_values = NULL;
	r->n_headers = 0;
}

void http_response_release(http_response *r)
{
	if (!r)
		return;
	resp_clear_headers(r);
	buf_release(&r->body);
}

const char *http_response_header(const http_response *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->header_names[i], name) == 0)
			return r->header_values[i];
	return NULL;
}

/* ---- Transfer ------------------------------------------------------------------------------ */

typedef struct xfer {
	http_client *c;
	const http_client_req *req;
	http_response *resp;
	bool too_large;
	bool user_stopped;
	bool delivered; /* a streamed byte went to the callback */
	bool status_known;
	bool stream_body; /* this response's body goes to on_chunk */
	size_t cap;
} xfer;

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	xfer *x = ud;
	size_t len = size * n;
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue, or a retry): start over */
		resp_clear_headers(x->resp);
		return len;
	}
	const char *colon = memchr(p, ':', len);
	if (!colon || x->resp->n_headers >= MAX_RESP_HEADERS)
		return len;
	size_t nl = (size_t)(colon - p);
	const char *v = colon + 1;
	size_t vl = len - nl - 1;
	while (vl && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	http_response *r = x->resp;
	r->header_names = xrealloc(r->header_names, (r->n_headers + 1) * sizeof(char *));
	r->header_values = xrealloc(r->header_values, (r->n_headers + 1) * sizeof(char *));
	r->header_names[r->n_headers] = xstrndup(p, nl);
	r->header_values[r->n_headers] = xstrndup(v, vl);
	r->n_headers++;
	return len;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	xfer *x = ud;
	size_t len = size * n;
	if (atomic_load(&x->c->cancel)) {
		x->user_stopped = true;
		return 0;
	}
	if (!x->status_known) {
		long code = 0;
		curl_easy_getinfo(x->c->easy, CURLINFO_RESPONSE_CODE, &code);
		x->status_known = true;
		x->stream_body = x->req->on_chunk && code >= 200 && code < 300;
	}
	if (x->stream_body) {
		x->delivered = true;
		if (x->req->on_chunk(p, len, x->req->chunk_ud) != 0) {
			x->user_stopped = true;
			return 0;
		}
		return len;
	}
	if (buf_add(&x->resp->body, p, len) < 0) {
		x->too_large = true;
		return 0;
	}
	return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	xfer *x = ud;
	if (atomic_load(&x->c->cancel)) {
		x->user_stopped = true;
		return 1;
	}
	return 0;
}

/* "scheme://host:port/path" without userinfo, query or fragment. */
static void safe_url(const char *url, char *out, size_t n)
{
	const char *s = strstr(url, "://");
	const char *auth = s ? s + 3 : url;
	const char *path = auth + strcspn(auth, "/?#");
	const char *at = memchr(auth, '@', (size_t)(path - auth));
	const char *host = at ? at + 1 : auth;
	size_t pl = strcspn(path, "?#");
	snprintf(out, n, "%.*s%.*s%.*s", (int)(auth - url), url, (int)(path - host), host, (int)pl,
		 path);
}

static bool idempotent(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "PUT") ||
	       !strcmp(m, "DELETE") || !strcmp(m, "OPTIONS");
}

static bool retryable_curl(CURLcode rc, const char *method)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return true;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		return idempotent(method);
	default:
		return false;
	}
}

static bool sleep_ms(http_client *c, uint64_t ms)
{
	while (ms > 0) {
		if (atomic_load(&c->cancel))
			return false;
		uint64_t step = ms > 50 ? 50 : ms;
		struct timespec ts = {(time_t)(step / 1000), (long)(step % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return !atomic_load(&c->cancel);
}

static uint64_t backoff(http_client *c, int attempt, const http_response *resp)
{
	uint64_t ms = c->o.retry_base_ms;
	for (int i = 1; i < attempt && ms < c->o.retry_max_ms; i++)
		ms *= 2;
	if (ms > c->o.retry_max_ms)
		ms = c->o.retry_max_ms;
	/* jitter: 75% .. 100% */
	ms = ms * 3 / 4 + (uint64_t)(rand() % (int)(ms / 4 + 1));
	const char *ra = resp ? http_response_header(resp, "Retry-After") : NULL;
	if (ra) {
		char *end;
		long secs = strtol(ra, &end, 10);
		if (end != ra && *end == '\0' && secs >= 0) {
			uint64_t want = (uint64_t)secs * 1000;
			if (want > c->o.retry_max_ms)
				want = c->o.retry_max_ms;
			if (want > ms)
				ms = want;
		}
	}
	return ms;
}

static struct curl_slist *build_headers(http_client *c, const http_client_req *req, err *e)
{
	struct curl_slist *h = NULL, *t;
	if (c->o.bearer_token) {
		char *a = xasprintf("Authorization: Bearer %s", c->o.bearer_token);
		t = curl_slist_append(h, a);
		memset(a, 0, strlen(a));
		free(a);
		if (!t)
			goto oom;
		h = t;
	}
	/* no 100-continue round trip */
	if (!(t = curl_slist_append(h, "Expect:")))
		goto oom;
	h = t;
	for (const char *const *p = req->headers; p && *p; p++) {
		if (strchr(*p, '\r') || strchr(*p, '\n')) {
			curl_slist_free_all(h);
			err_set(e, ERR_STALLING, "InvalidRequest", "HTTP header with a line break");
			return NULL;
		}
		if (!(t = curl_slist_append(h, *p)))
			goto oom;
		h = t;
	}
	return h;
oom:
	fputs("eddy: out of memory (curl_slist_append)\n", stderr);
	exit(70);
}

static int setup(http_client *c, const http_client_req *req, xfer *x, struct curl_slist *hdrs,
		 const char *method)
{
	CURL *h = c->easy;
	curl_easy_reset(h);
	c->errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->o.user_agent);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->o.connect_timeout_ms);
	uint64_t tmo = req->timeout_ms ? req->timeout_ms : req->on_chunk ? 0 : c->o.timeout_ms;
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)tmo);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") != 0 || req->body) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		if (req->body || strcmp(method, "GET") != 0) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		}
	}
	if (c->o.bearer_token == NULL && c->o.basic_user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->o.basic_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->o.basic_password ? c->o.basic_password : "");
	}
	if (c->o.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->o.ca_file);
	if (c->o.ca_pem) {
		struct curl_blob b = {(void *)c->o.ca_pem, strlen(c->o.ca_pem), CURL_BLOB_COPY};
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
	}
	if (c->o.cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->o.cert_file);
	if (c->o.key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->o.key_file);
	if (c->o.cert_pem) {
		struct curl_blob b = {(void *)c->o.cert_pem, strlen(c->o.cert_pem), CURL_BLOB_COPY};
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (c->o.key_pem) {
		struct curl_blob b = {(void *)c->o.key_pem, strlen(c->o.key_pem), CURL_BLOB_COPY};
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (c->o.insecure_skip_verify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->o.proxy)
		curl_easy_setopt(h, CURLOPT_PROXY, c->o.proxy);
	else if (c->o.no_proxy_env)
		curl_easy_setopt(h, CURLOPT_PROXY, "");
	return 0;
}

static const char *reason_for(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return "ConnectionFailed";
	case CURLE_OPERATION_TIMEDOUT:
		return "Timeout";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CLIENTCERT:
		return "TLSError";
	default:
		return "HTTPRequestFailed";
	}
}

int http_client_do(http_client *c, const http_client_req *req, http_response *resp, err *e)
{
	memset(resp, 0, sizeof *resp);
	const char *method = req->method ? req->method : "GET";
	size_t cap = req->max_response_bytes ? req->max_response_bytes : c->o.max_response_bytes;
	buf_init(&resp->body, req->on_chunk ? ERROR_BODY_CAP : cap);
	char where[512];
	safe_url(req->url ? req->url : "", where, sizeof where);
	if (!req->url)
		return err_set(e, ERR_STALLING, "InvalidRequest", "%s: no URL", method);
	int retries = req->retries < 0 ? 0 : req->retries > 0 ? req->retries : c->o.retries;
	struct curl_slist *hdrs = build_headers(c, req, e);
	if (!hdrs)
		return -1;
	int rc = -1;
	for (int attempt = 0;; attempt++) {
		if (attempt > 0 && !sleep_ms(c, backoff(c, attempt, resp))) {
			rc = err_fail(e, "Canceled", "%s %s: canceled", method, where);
			break;
		}
		if (atomic_load(&c->cancel)) {
			rc = err_fail(e, "Canceled", "%s %s: canceled", method, where);
			break;
		}
		buf_reset(&resp->body);
		resp_clear_headers(resp);
		resp->status = 0;
		xfer x = {.c = c, .req = req, .resp = resp, .cap = cap};
		setup(c, req, &x, hdrs, method);
		CURLcode cr = curl_easy_perform(c->easy);
		long code = 0;
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
		resp->status = code;
		if (x.too_large) {
			rc = err_fail(e, "ResponseTooLarge",
				      "%s %s: response body exceeds the limit of %zu bytes", method,
				      where, cap);
			break;
		}
		if (x.user_stopped) {
			rc = err_fail(e, "Canceled", "%s %s: canceled", method, where);
			break;
		}
		bool more = attempt < retries && !x.delivered;
		if (cr != CURLE_OK) {
			if (more && retryable_curl(cr, method))
				continue;
			const char *msg = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cr);
			rc = err_fail(e, reason_for(cr), "%s %s: %s", method, where, msg);
			break;
		}
		if (more && (code >= 500 || code == 429))
			continue;
		rc = 0;
		break;
	}
	curl_slist_free_all(hdrs);
	/* the bearer token lives in the handle's header list no more; drop credentials kept by
	 * curl for this transfer */
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	return rc;
}
