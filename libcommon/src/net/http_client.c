/* http_client: the blocking libcurl client for worker threads (see eddy/http.h). */
#include "http_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "eddy/http_curl.h"
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

/* Options with their own copies of the strings (shared by the blocking and the loop client). */
typedef struct copts {
	http_client_opts o;
	char *strs[11];
} copts;

struct http_client {
	CURL *easy;
	copts co;
	atomic_bool cancel;
	char errbuf[CURL_ERROR_SIZE];
};

static const char *keep(copts *c, int i, const char *s)
{
	c->strs[i] = s ? xstrdup(s) : NULL;
	return c->strs[i];
}

static void copts_init(copts *c, const http_client_opts *opts)
{
	if (opts)
		c->o = *opts;
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
}

static void copts_release(copts *c)
{
	for (size_t i = 0; i < sizeof c->strs / sizeof c->strs[0]; i++) {
		if (c->strs[i]) {
			/* secrets: wipe before freeing */
			memset(c->strs[i], 0, strlen(c->strs[i]));
			free(c->strs[i]);
		}
	}
}

http_client *http_client_new(const http_client_opts *opts, err *e)
{
	if (http_curl_global_init(e) < 0)
		return NULL;
	http_client *c = xcalloc(1, sizeof *c);
	c->easy = curl_easy_init();
	if (!c->easy) {
		free(c);
		err_fail(e, "HTTPClientFailed", "cannot create a curl handle");
		return NULL;
	}
	copts_init(&c->co, opts);
	atomic_init(&c->cancel, false);
	return c;
}

void http_client_free(http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->easy);
	copts_release(&c->co);
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
	CURL *easy;
	atomic_bool *cancel;
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
	if (atomic_load(x->cancel)) {
		x->user_stopped = true;
		return 0;
	}
	if (!x->status_known) {
		long code = 0;
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
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
	if (atomic_load(x->cancel)) {
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

static uint64_t backoff(const http_client_opts *o, int attempt, const http_response *resp)
{
	uint64_t ms = o->retry_base_ms;
	for (int i = 1; i < attempt && ms < o->retry_max_ms; i++)
		ms *= 2;
	if (ms > o->retry_max_ms)
		ms = o->retry_max_ms;
	/* jitter: 75% .. 100% */
	ms = ms * 3 / 4 + (uint64_t)(rand() % (int)(ms / 4 + 1));
	const char *ra = resp ? http_response_header(resp, "Retry-After") : NULL;
	if (ra) {
		char *end;
		long secs = strtol(ra, &end, 10);
		if (end != ra && *end == '\0' && secs >= 0) {
			uint64_t want = (uint64_t)secs * 1000;
			if (want > o->retry_max_ms)
				want = o->retry_max_ms;
			if (want > ms)
				ms = want;
		}
	}
	return ms;
}

static struct curl_slist *build_headers(const http_client_opts *o, const http_client_req *req,
					 err *e)
{
	struct curl_slist *h = NULL, *t;
	if (o->bearer_token) {
		char *a = xasprintf("Authorization: Bearer %s", o->bearer_token);
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
	bool has_ctype = false;
	for (const char *const *p = req->headers; p && *p; p++) {
		if (strchr(*p, '\r') || strchr(*p, '\n')) {
			curl_slist_free_all(h);
			err_set(e, ERR_STALLING, "InvalidRequest", "HTTP header with a line break");
			return NULL;
		}
		if (strncasecmp(*p, "Content-Type:", 13) == 0)
			has_ctype = true;
		if (!(t = curl_slist_append(h, *p)))
			goto oom;
		h = t;
	}
	/* no made-up application/x-www-form-urlencoded for bodies without a type */
	if (!has_ctype) {
		if (!(t = curl_slist_append(h, "Content-Type:")))
			goto oom;
		h = t;
	}
	return h;
oom:
	fputs("eddy: out of memory (curl_slist_append)\n", stderr);
	exit(70);
}

static void setup(const http_client_opts *o, CURL *h, char *errbuf, const http_client_req *req,
		  xfer *x, struct curl_slist *hdrs, const char *method)
{
	curl_easy_reset(h);
	uint64_t tmo = req->timeout_ms ? req->timeout_ms : req->on_chunk ? 0 : o->timeout_ms;
	http_curl_opts co = {
		.errbuf = errbuf,
		.user_agent = o->user_agent,
		.connect_timeout_ms = o->connect_timeout_ms,
		.timeout_ms = tmo,
		.tcp_keepalive = true,
		.ca_pem = o->ca_pem,
		.ca_file = o->ca_file,
		.cert_pem = o->cert_pem,
		.key_pem = o->key_pem,
		.cert_file = o->cert_file,
		.key_file = o->key_file,
		.insecure_skip_verify = o->insecure_skip_verify,
		.proxy = o->proxy,
		.no_proxy_env = o->no_proxy_env,
		.basic_user = o->bearer_token == NULL ? o->basic_user : NULL,
		.basic_pass = o->basic_password,
	};
	http_curl_setup(h, &co);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") != 0 || req->body) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		if (req->body || strcmp(method, "GET") != 0) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		}
	}
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

enum outcome { OUT_DONE, OUT_RETRY, OUT_FAIL };

/* What a finished attempt means: a response to return, another attempt, or an error (e). */
static enum outcome judge(const xfer *x, CURLcode cr, bool more, const char *method,
			  const char *where, const char *errbuf, err *e)
{
	if (x->too_large) {
		err_fail(e, "ResponseTooLarge",
			 "%s %s: response body exceeds the limit of %zu bytes", method, where,
			 x->cap);
		return OUT_FAIL;
	}
	if (x->user_stopped) {
		err_fail(e, "Canceled", "%s %s: canceled", method, where);
		return OUT_FAIL;
	}
	more = more && !x->delivered;
	if (cr != CURLE_OK) {
		if (more && retryable_curl(cr, method))
			return OUT_RETRY;
		const char *msg = errbuf[0] ? errbuf : curl_easy_strerror(cr);
		err_fail(e, reason_for(cr), "%s %s: %s", method, where, msg);
		return OUT_FAIL;
	}
	long code = x->resp->status;
	if (more && (code >= 500 || code == 429))
		return OUT_RETRY;
	return OUT_DONE;
}

static int effective_retries(const http_client_opts *o, const http_client_req *req)
{
	return req->retries < 0 ? 0 : req->retries > 0 ? req->retries : o->retries;
}

int http_client_do(http_client *c, const http_client_req *req, http_response *resp, err *e)
{
	memset(resp, 0, sizeof *resp);
	const char *method = req->method ? req->method : "GET";
	size_t cap = req->max_response_bytes ? req->max_response_bytes : c->co.o.max_response_bytes;
	buf_init(&resp->body, req->on_chunk ? ERROR_BODY_CAP : cap);
	char where[512];
	safe_url(req->url ? req->url : "", where, sizeof where);
	if (!req->url)
		return err_set(e, ERR_STALLING, "InvalidRequest", "%s: no URL", method);
	int retries = effective_retries(&c->co.o, req);
	struct curl_slist *hdrs = build_headers(&c->co.o, req, e);
	if (!hdrs)
		return -1;
	int rc = -1;
	for (int attempt = 0;; attempt++) {
		if ((attempt > 0 && !sleep_ms(c, backoff(&c->co.o, attempt, resp))) ||
		    atomic_load(&c->cancel)) {
			rc = err_fail(e, "Canceled", "%s %s: canceled", method, where);
			break;
		}
		buf_reset(&resp->body);
		resp_clear_headers(resp);
		resp->status = 0;
		xfer x = {.easy = c->easy, .cancel = &c->cancel, .req = req, .resp = resp};
		x.cap = cap;
		setup(&c->co.o, c->easy, c->errbuf, req, &x, hdrs, method);
		CURLcode cr = curl_easy_perform(c->easy);
		long code = 0;
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
		resp->status = code;
		enum outcome out = judge(&x, cr, attempt < retries, method, where, c->errbuf, e);
		if (out == OUT_RETRY)
			continue;
		rc = out == OUT_DONE ? 0 : -1;
		break;
	}
	curl_slist_free_all(hdrs);
	/* the header list (with the bearer token) is gone: leave the handle not pointing at it */
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	return rc;
}

/* ---- The client on a uv loop (curl multi_socket) ----------------------------------------- */

struct http_multi {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	copts co;
	http_call *calls;
	bool closing, finalizing;
	void (*close_cb)(void *);
	void *close_data;
};

typedef struct sockctx {
	uv_poll_t poll;
	curl_socket_t fd;
	http_multi *m;
} sockctx;

struct http_call {
	http_multi *m;
	http_call *next, *prev;
	CURL *easy;
	struct curl_slist *hdrs;
	http_client_req req; /* with the strings below */
	char *url, *method, *body;
	http_response resp;
	xfer x;
	atomic_bool cancel;
	char errbuf[CURL_ERROR_SIZE];
	char where[512];
	uv_timer_t timer; /* retry backoff and deferred completion */
	int attempt, retries;
	size_t cap;
	bool in_multi, finished;
	http_call_done done;
	void *ud;
};

static void check_multi_info(http_multi *m);
static void multi_finalize(http_multi *m);
static void on_multi_closed(uv_handle_t *h);

static void on_sock_closed(uv_handle_t *h)
{
	free(h->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	sockctx *sc = p->data;
	http_multi *m = sc->m;
	int flags = 0;
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	int running;
	curl_multi_socket_action(m->multi, sc->fd, flags, &running);
	check_multi_info(m);
}

static int on_socket(CURL *easy, curl_socket_t s, int action, void *userp, void *socketp)
{
	http_multi *m = userp;
	sockctx *sc = socketp;
	if (action == CURL_POLL_REMOVE) {
		if (sc) {
			uv_poll_stop(&sc->poll);
			uv_close((uv_handle_t *)&sc->poll, on_sock_closed);
			curl_multi_assign(m->multi, s, NULL);
		}
		return 0;
	}
	if (!sc) {
		sc = xcalloc(1, sizeof *sc);
		sc->fd = s;
		sc->m = m;
		if (uv_poll_init_socket(m->loop, &sc->poll, s) < 0) {
			free(sc);
			return -1;
		}
		sc->poll.data = sc;
		curl_multi_assign(m->multi, s, sc);
	}
	int ev = 0;
	if (action & CURL_POLL_IN)
		ev |= UV_READABLE;
	if (action & CURL_POLL_OUT)
		ev |= UV_WRITABLE;
	uv_poll_start(&sc->poll, ev, on_poll);
	return 0;
}

static void on_multi_timeout(uv_timer_t *t)
{
	http_multi *m = t->data;
	int running;
	curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_multi_info(m);
}

static int on_multi_timer(CURLM *multi, long timeout_ms, void *userp)
{
	http_multi *m = userp;
	if (m->closing)
		return 0; /* the timer now belongs to the shutdown */
	if (timeout_ms < 0)
		uv_timer_stop(&m->timer);
	else
		uv_timer_start(&m->timer, on_multi_timeout, (uint64_t)timeout_ms, 0);
	return 0;
}

http_multi *http_multi_new(uv_loop_t *loop, const http_client_opts *opts, err *e)
{
	if (http_curl_global_init(e) < 0)
		return NULL;
	CURLM *cm = curl_multi_init();
	if (!cm) {
		err_fail(e, "HTTPClientFailed", "cannot create a curl multi handle");
		return NULL;
	}
	http_multi *m = xcalloc(1, sizeof *m);
	m->loop = loop;
	m->multi = cm;
	copts_init(&m->co, opts);
	uv_timer_init(loop, &m->timer);
	m->timer.data = m;
	curl_multi_setopt(cm, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(cm, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(cm, CURLMOPT_TIMERFUNCTION, on_multi_timer);
	curl_multi_setopt(cm, CURLMOPT_TIMERDATA, m);
	return m;
}

static void call_freed(uv_handle_t *h)
{
	http_call *c = h->data;
	http_multi *m = c->m;
	curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->hdrs);
	free(c->url);
	free(c->method);
	free(c->body);
	free(c);
	if (m->closing && !m->calls)
		multi_finalize(m);
}

/* The last call is gone: clean the multi handle up from a loop callback of its own (never from
 * inside curl or a user callback), then close the timer and free everything. */
static void on_finalize(uv_timer_t *t)
{
	http_multi *m = t->data;
	curl_multi_cleanup(m->multi); /* removes the remaining sockets through on_socket */
	m->multi = NULL;
	uv_close((uv_handle_t *)&m->timer, on_multi_closed);
}

/* End the call: report once, then free it (in its timer's close callback). */
static void call_complete(http_call *c, const err *e)
{
	if (c->finished)
		return;
	c->finished = true;
	if (c->in_multi) {
		curl_multi_remove_handle(c->m->multi, c->easy);
		c->in_multi = false;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		c->m->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->done(c, &c->resp, e, c->ud);
	http_response_release(&c->resp);
	uv_close((uv_handle_t *)&c->timer, call_freed);
}

/* Add the call's next attempt to the multi handle; -1 with e filled when curl refuses. */
static int call_attempt(http_call *c, err *e)
{
	buf_reset(&c->resp.body);
	resp_clear_headers(&c->resp);
	c->resp.status = 0;
	c->x = (xfer){.easy = c->easy, .cancel = &c->cancel, .req = &c->req, .resp = &c->resp,
		      .cap = c->cap};
	setup(&c->m->co.o, c->easy, c->errbuf, &c->req, &c->x, c->hdrs, c->method);
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
	CURLMcode mc = curl_multi_add_handle(c->m->multi, c->easy);
	if (mc != CURLM_OK)
		return err_fail(e, "HTTPRequestFailed", "%s %s: %s", c->method, c->where,
				curl_multi_strerror(mc));
	c->in_multi = true;
	return 0;
}

static void on_call_timer(uv_timer_t *t)
{
	http_call *c = t->data;
	if (c->finished)
		return;
	err e;
	if (atomic_load(&c->cancel)) {
		err_fail(&e, "Canceled", "%s %s: canceled", c->method, c->where);
		call_complete(c, &e);
		return;
	}
	if (call_attempt(c, &e) < 0)
		call_complete(c, &e);
}

static void check_multi_info(http_multi *m)
{
	CURLMsg *msg;
	int left;
	while (m->multi && (msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		http_call *c = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		CURLcode cr = msg->data.result;
		if (!c || c->finished)
			continue;
		curl_multi_remove_handle(m->multi, c->easy);
		c->in_multi = false;
		long code = 0;
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
		c->resp.status = code;
		err e;
		err_clear(&e);
		enum outcome out = judge(&c->x, cr, c->attempt < c->retries && !m->closing,
					 c->method, c->where, c->errbuf, &e);
		if (out == OUT_RETRY) {
			c->attempt++;
			uv_timer_start(&c->timer, on_call_timer,
				       backoff(&m->co.o, c->attempt, &c->resp), 0);
			continue;
		}
		call_complete(c, out == OUT_DONE ? NULL : &e);
	}
}

http_call *http_multi_start(http_multi *m, const http_client_req *req, http_call_done done,
			    void *ud, err *e)
{
	const char *method = req->method ? req->method : "GET";
	if (m->closing)
		return err_fail(e, "InvalidState", "%s: the HTTP client is closing", method), NULL;
	if (!req->url)
		return err_set(e, ERR_STALLING, "InvalidRequest", "%s: no URL", method), NULL;
	struct curl_slist *hdrs = build_headers(&m->co.o, req, e);
	if (!hdrs)
		return NULL;
	CURL *easy = curl_easy_init();
	if (!easy) {
		curl_slist_free_all(hdrs);
		return err_fail(e, "HTTPClientFailed", "cannot create a curl handle"), NULL;
	}
	http_call *c = xcalloc(1, sizeof *c);
	c->m = m;
	c->easy = easy;
	c->hdrs = hdrs;
	c->req = *req;
	c->req.headers = NULL; /* copied into hdrs */
	c->url = xstrdup(req->url);
	c->method = xstrdup(method);
	c->req.url = c->url;
	c->req.method = c->method;
	if (req->body) {
		c->body = xmalloc(req->body_len + 1);
		memcpy(c->body, req->body, req->body_len);
		c->req.body = c->body;
	}
	safe_url(c->url, c->where, sizeof c->where);
	c->cap = req->max_response_bytes ? req->max_response_bytes : m->co.o.max_response_bytes;
	buf_init(&c->resp.body, req->on_chunk ? ERROR_BODY_CAP : c->cap);
	c->retries = effective_retries(&m->co.o, req);
	atomic_init(&c->cancel, false);
	c->done = done;
	c->ud = ud;
	uv_timer_init(m->loop, &c->timer);
	c->timer.data = c;
	c->next = m->calls;
	if (m->calls)
		m->calls->prev = c;
	m->calls = c;
	/* the first attempt starts from the loop: never inside a curl callback that called us */
	uv_timer_start(&c->timer, on_call_timer, 0, 0);
	return c;
}

void http_call_cancel(http_call *c)
{
	if (c->finished)
		return;
	atomic_store(&c->cancel, true);
	/* complete from the loop, never from inside this call (or a curl callback) */
	uv_timer_start(&c->timer, on_call_timer, 0, 0);
}

static void on_multi_closed(uv_handle_t *h)
{
	http_multi *m = h->data;
	void (*cb)(void *) = m->close_cb;
	void *d = m->close_data;
	copts_release(&m->co);
	free(m);
	if (cb)
		cb(d);
}

static void multi_finalize(http_multi *m)
{
	if (m->finalizing)
		return;
	m->finalizing = true;
	uv_timer_start(&m->timer, on_finalize, 0, 0);
}

void http_multi_close(http_multi *m, void (*cb)(void *data), void *data)
{
	if (m->closing)
		return;
	m->closing = true;
	m->close_cb = cb;
	m->close_data = data;
	uv_timer_stop(&m->timer);
	if (!m->calls) {
		multi_finalize(m);
		return;
	}
	for (http_call *c = m->calls; c; c = c->next)
		http_call_cancel(c);
}
