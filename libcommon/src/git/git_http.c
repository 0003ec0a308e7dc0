/* git_http: Git's smart HTTP protocol for libgit2 over libcurl.
 *
 * libgit2 1.5's own HTTP transport cannot present a TLS client certificate and has no timeout,
 * so http:// and https:// remotes go through this subtransport instead (registered once with
 * git_transport_register; libgit2's smart transport speaks the protocol, this file moves the
 * bytes). Per-checkout settings come from the thread's gitx_net (git_int.h): CA bundle, client
 * certificate and key, proxy, deadline. Credentials come from the remote's credential callback
 * on a 401 (basic auth), custom headers (the bearer token) from the remote's connect options.
 *
 * One request per stream: UPLOADPACK_LS (and RECEIVEPACK_LS) is a GET of
 * <url>/info/refs?service=..., the others a POST of everything written to the stream, sent on
 * the first read. The response body is handed to libgit2 as it arrives; the transfer pauses
 * while more than READ_AHEAD bytes wait unread, so memory stays bounded. The easy and multi
 * handles live as long as the subtransport, so the connection is reused between requests. */
#include <git2.h>
#include <git2/sys/credential.h>
#include <git2/sys/remote.h>
#include <git2/sys/transport.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/http_curl.h"
#include "eddy/mem.h"
#include "git_int.h"

enum {
	READ_AHEAD = 1 << 20,     /* unread response bytes before the transfer pauses */
	REQ_MAX = 64 << 20,       /* request body cap (negotiation; push packs) */
	MAX_AUTH_ROUNDS = 3,
};

static _Thread_local gitx_net *tl_net;

void gitx_net_bind(gitx_net *n)
{
	tl_net = n;
}

typedef struct hsub hsub;

typedef struct hstream {
	git_smart_subtransport_stream parent;
	hsub *sub;
	git_smart_service_t service;
	buf req;              /* POST body */
	char *rbuf;           /* response bytes not yet read by libgit2: rbuf[roff..rlen) */
	size_t rlen, roff, ralloc;
	bool started, done, paused, got_body, bad_ct;
	char ctype[128];
	long status;
	CURLcode result;
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs;
} hstream;

struct hsub {
	git_smart_subtransport parent;
	git_transport *owner;
	CURLM *multi;
	CURL *easy;
	bool attached;
	char *base;           /* repository URL (after a redirect of the ref listing) */
	char *user, *pass;    /* from the credential callback, after a 401 */
	int auth_rounds;
	hstream *cur;
};

static const char *svc_name(git_smart_service_t s)
{
	return s == GIT_SERVICE_RECEIVEPACK_LS || s == GIT_SERVICE_RECEIVEPACK
		? "git-receive-pack" : "git-upload-pack";
}

static bool svc_is_ls(git_smart_service_t s)
{
	return s == GIT_SERVICE_UPLOADPACK_LS || s == GIT_SERVICE_RECEIVEPACK_LS;
}

static int fail(int klass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int klass, const char *fmt, ...)
{
	char m[500];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	git_error_set_str(klass, m);
	if (tl_net && !tl_net->why[0])
		snprintf(tl_net->why, sizeof tl_net->why, "%s", m);
	return -1;
}

/* At the first body byte of a 200: is this a smart server; where did a redirect lead? */
static int check_first(hstream *s)
{
	hsub *t = s->sub;
	char *ct = NULL;
	curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ct);
	char want[128];
	snprintf(want, sizeof want, "application/x-%s-%s", svc_name(s->service),
		svc_is_ls(s->service) ? "advertisement" : "result");
	if (!ct || strncmp(ct, want, strlen(want))) {
		snprintf(s->ctype, sizeof s->ctype, "%s", ct ? ct : "");
		s->bad_ct = true;
		return -1;
	}
	if (svc_is_ls(s->service)) { /* follow a redirect for the next requests */
		char *eff = NULL;
		curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &eff);
		const char *suffix = strstr(eff ? eff : "", "/info/refs?service=");
		if (suffix && ((size_t)(suffix - eff) != strlen(t->base) ||
		    strncmp(eff, t->base, (size_t)(suffix - eff)))) {
			free(t->base);
			t->base = xstrndup(eff, (size_t)(suffix - eff));
		}
	}
	return 0;
}

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	hstream *s = ud;
	size_t len = sz * n;
	long code = 0;
	curl_easy_getinfo(s->sub->easy, CURLINFO_RESPONSE_CODE, &code);
	s->status = code;
	if (code != 200)
		return len; /* an error page, a redirect or a 401: not protocol data */
	if (!s->got_body && check_first(s) < 0)
		return 0; /* not a smart server: abort the transfer */
	if (s->rlen - s->roff >= READ_AHEAD) {
		s->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (s->roff > 0) {
		memmove(s->rbuf, s->rbuf + s->roff, s->rlen - s->roff);
		s->rlen -= s->roff;
		s->roff = 0;
	}
	if (s->rlen + len > s->ralloc) {
		size_t na = s->ralloc ? s->ralloc : 16384;
		while (na < s->rlen + len)
			na *= 2;
		s->rbuf = xrealloc(s->rbuf, na);
		s->ralloc = na;
	}
	memcpy(s->rbuf + s->rlen, p, len);
	s->rlen += len;
	s->got_body = true;
	return len;
}

static void detach(hsub *t)
{
	if (t->attached) {
		curl_multi_remove_handle(t->multi, t->easy);
		t->attached = false;
	}
}

/* Configure the easy handle for this stream's request and start it. */
static int start(hstream *s)
{
	hsub *t = s->sub;
	gitx_net *net = tl_net;
	detach(t);
	curl_easy_reset(t->easy);
	s->rlen = s->roff = 0;
	s->done = s->paused = s->got_body = s->bad_ct = false;
	s->status = 0;
	s->errbuf[0] = 0;
	curl_slist_free_all(s->hdrs);
	s->hdrs = NULL;

	char *url;
	if (svc_is_ls(s->service))
		url = xasprintf("%s/info/refs?service=%s", t->base, svc_name(s->service));
	else
		url = xasprintf("%s/%s", t->base, svc_name(s->service));
	CURL *h = t->easy;
	uint64_t timeout_ms = 0;
	if (net && net->deadline_ms) {
		int64_t left = net->deadline_ms - clock_mono_ms();
		if (left <= 0) {
			free(url);
			net->timed_out = true;
			return fail(GIT_ERROR_NET, "context deadline exceeded");
		}
		timeout_ms = (uint64_t)left;
	}
#define SET(x) (net && net->x && *net->x ? net->x : NULL)
	http_curl_opts hc = {
		.errbuf = s->errbuf,
		.user_agent = "git/2.0 (eddy; libgit2 " LIBGIT2_VERSION ")",
		.timeout_ms = timeout_ms,
		.ca_pem = SET(ca_pem),
		.cert_pem = SET(cert_pem),
		.key_pem = SET(key_pem),
		.proxy = SET(proxy),
		.proxy_no_exceptions = true, /* explicit: no env exceptions */
		.proxy_user = SET(proxy_user),
		.proxy_pass = net ? net->proxy_pass : NULL,
		.basic_user = t->user,
		.basic_pass = t->pass,
	};
#undef SET
	http_curl_setup(h, &hc);
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	if (svc_is_ls(s->service)) {
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	}

	/* headers: the remote's custom headers (bearer token), then the protocol's */
	git_remote_connect_options co;
	if (git_remote_connect_options_init(&co, GIT_REMOTE_CONNECT_OPTIONS_VERSION) == 0 &&
	    git_transport_remote_connect_options(&co, t->owner) == 0) {
		for (size_t i = 0; i < co.custom_headers.count; i++)
			s->hdrs = curl_slist_append(s->hdrs, co.custom_headers.strings[i]);
		git_remote_connect_options_dispose(&co);
	}
	s->hdrs = curl_slist_append(s->hdrs, "Expect:");
	if (!svc_is_ls(s->service)) {
		char ct[128], ac[128];
		snprintf(ct, sizeof ct, "Content-Type: application/x-%s-request",
			svc_name(s->service));
		snprintf(ac, sizeof ac, "Accept: application/x-%s-result", svc_name(s->service));
		s->hdrs = curl_slist_append(s->hdrs, ct);
		s->hdrs = curl_slist_append(s->hdrs, ac);
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, s->req.data ? s->req.data : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->req.len);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, s->hdrs);
	if (curl_multi_add_handle(t->multi, h) != CURLM_OK)
		return fail(GIT_ERROR_NET, "cannot start the HTTP request");
	t->attached = true;
	s->started = true;
	return 0;
}

/* Run the transfer until there are bytes to read or it is over. */
static int pump(hstream *s)
{
	hsub *t = s->sub;
	while (!s->done && s->rlen == s->roff) {
		int running = 0;
		if (curl_multi_perform(t->multi, &running) != CURLM_OK)
			return fail(GIT_ERROR_NET, "HTTP transfer failed");
		CURLMsg *m;
		int q;
		while ((m = curl_multi_info_read(t->multi, &q)))
			if (m->msg == CURLMSG_DONE && m->easy_handle == t->easy) {
				s->result = m->data.result;
				s->done = true;
			}
		if (!s->done && s->rlen == s->roff)
			curl_multi_poll(t->multi, NULL, 0, 500, NULL);
	}
	return 0;
}

static const char *proxy_prefix(const char *m)
{
	return strstr(m, "CONNECT tunnel") ? "proxy: " : "";
}

/* The transfer is over with nothing (more) to read: decide success, retry or failure.
 * Returns 1 when the request was restarted, 0 at a clean end, -1 on error. */
static int finish(hstream *s)
{
	hsub *t = s->sub;
	gitx_net *net = tl_net;
	if (s->bad_ct)
		return fail(GIT_ERROR_HTTP, "invalid Content-Type: '%s' (not a smart Git HTTP "
			"server?)", s->ctype);
	if (s->result != CURLE_OK) {
		const char *m = s->errbuf[0] ? s->errbuf : curl_easy_strerror(s->result);
		switch (s->result) {
		case CURLE_OPERATION_TIMEDOUT:
			if (net)
				net->timed_out = true;
			return fail(GIT_ERROR_NET, "context deadline exceeded: %s", m);
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_ISSUER_ERROR:
			if (net)
				net->tls_failed = true;
			return fail(GIT_ERROR_SSL, "TLS: %s%s", m,
				net && net->cert_pem && *net->cert_pem ? ""
				: s->result == CURLE_PEER_FAILED_VERIFICATION ? ""
				: " (no client certificate was given: tls.crt/tls.key)");
		case CURLE_RECV_ERROR:
		case CURLE_SEND_ERROR:
			if (strstr(m, "alert") || strstr(m, "SSL") || strstr(m, "certificate")) {
				if (net)
					net->tls_failed = true;
				return fail(GIT_ERROR_SSL, "TLS: %s%s", m,
					net && net->cert_pem && *net->cert_pem ? ""
					: " (no client certificate was given: tls.crt/tls.key)");
			}
			return fail(GIT_ERROR_NET, "%s%s", proxy_prefix(m), m);
		case CURLE_COULDNT_RESOLVE_PROXY:
			return fail(GIT_ERROR_NET, "proxy: %s", m);
		default:
			return fail(GIT_ERROR_NET, "%s%s", proxy_prefix(m), m);
		}
	}
	if (s->status == 401) {
		git_credential *cred = NULL;
		if (t->auth_rounds++ >= MAX_AUTH_ROUNDS)
			return fail(GIT_ERROR_HTTP, "unexpected HTTP status code: 401 "
				"(authentication required)");
		int rc = git_transport_smart_credentials(&cred, t->owner, NULL,
			GIT_CREDENTIAL_USERPASS_PLAINTEXT);
		if (rc == GIT_PASSTHROUGH || (rc == 0 && (!cred ||
		    cred->credtype != GIT_CREDENTIAL_USERPASS_PLAINTEXT))) {
			if (cred)
				git_credential_free(cred);
			return fail(GIT_ERROR_HTTP, "unexpected HTTP status code: 401 "
				"(authentication required)");
		}
		if (rc < 0)
			return rc;
		git_credential_userpass_plaintext *up = (git_credential_userpass_plaintext *)cred;
		free(t->user);
		free(t->pass);
		t->user = xstrdup(up->username ? up->username : "");
		t->pass = xstrdup(up->password ? up->password : "");
		git_credential_free(cred);
		if (start(s) < 0)
			return -1;
		return 1;
	}
	if (s->status == 407)
		return fail(GIT_ERROR_NET, "proxy: unexpected HTTP status code: 407 "
			"(proxy authentication required)");
	if (s->status != 200)
		return fail(GIT_ERROR_HTTP, "unexpected HTTP status code: %ld", s->status);
	return 0;
}

static int st_read(git_smart_subtransport_stream *stream, char *out, size_t n, size_t *got)
{
	hstream *s = (hstream *)stream;
	*got = 0;
	if (!s->started && start(s) < 0)
		return -1;
	for (;;) {
		if (pump(s) < 0)
			return -1;
		if (s->rlen > s->roff) {
			size_t k = s->rlen - s->roff;
			if (k > n)
				k = n;
			memcpy(out, s->rbuf + s->roff, k);
			s->roff += k;
			*got = k;
			if (s->paused && s->rlen == s->roff) {
				s->paused = false;
				curl_easy_pause(s->sub->easy, CURLPAUSE_CONT);
			}
			return 0;
		}
		/* done, nothing buffered */
		if (s->got_body && s->result == CURLE_OK)
			return 0; /* end of the body */
		int rc = finish(s);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0; /* an empty 200 body */
	}
}

static int st_write(git_smart_subtransport_stream *stream, const char *data, size_t len)
{
	hstream *s = (hstream *)stream;
	if (svc_is_ls(s->service) || s->started)
		return fail(GIT_ERROR_NET, "cannot write to this HTTP stream");
	if (buf_add(&s->req, data, len) < 0)
		return fail(GIT_ERROR_NET, "HTTP request body exceeds %d bytes", REQ_MAX);
	return 0;
}

static void st_free(git_smart_subtransport_stream *stream)
{
	hstream *s = (hstream *)stream;
	if (s->sub && s->sub->cur == s) {
		detach(s->sub);
		s->sub->cur = NULL;
	}
	curl_slist_free_all(s->hdrs);
	buf_release(&s->req);
	free(s->rbuf);
	free(s);
}

static int sub_action(git_smart_subtransport_stream **out, git_smart_subtransport *sub,
	const char *url, git_smart_service_t action)
{
	hsub *t = (hsub *)sub;
	*out = NULL;
	if (!t->base || svc_is_ls(action)) {
		size_t l = strlen(url);
		while (l > 0 && url[l - 1] == '/')
			l--;
		free(t->base);
		t->base = xstrndup(url, l);
	}
	if (t->cur) { /* the previous stream is done with; libgit2 frees it later */
		detach(t);
		t->cur = NULL;
	}
	hstream *s = xcalloc(1, sizeof *s);
	s->parent.subtransport = sub;
	s->parent.read = st_read;
	s->parent.write = st_write;
	s->parent.free = st_free;
	s->sub = t;
	s->service = action;
	buf_init(&s->req, REQ_MAX);
	t->cur = s;
	*out = &s->parent;
	return 0;
}

static int sub_close(git_smart_subtransport *sub)
{
	hsub *t = (hsub *)sub;
	detach(t);
	return 0;
}

static void sub_free(git_smart_subtransport *sub)
{
	hsub *t = (hsub *)sub;
	detach(t);
	if (t->cur)
		t->cur->sub = NULL; /* freed after us: it must not touch the handles */
	curl_easy_cleanup(t->easy);
	curl_multi_cleanup(t->multi);
	free(t->base);
	free(t->user);
	if (t->pass) {
		memset(t->pass, 0, strlen(t->pass));
		free(t->pass);
	}
	free(t);
}

static int sub_new(git_smart_subtransport **out, git_transport *owner, void *param)
{
	(void)param;
	err le = {0};
	if (http_curl_global_init(&le) < 0) { /* libcurl is loaded on first use */
		git_error_set_str(GIT_ERROR_NET, le.msg);
		return -1;
	}
	hsub *t = xcalloc(1, sizeof *t);
	t->parent.action = sub_action;
	t->parent.close = sub_close;
	t->parent.free = sub_free;
	t->owner = owner;
	t->multi = curl_multi_init();
	t->easy = curl_easy_init();
	if (!t->multi || !t->easy) {
		curl_easy_cleanup(t->easy);
		curl_multi_cleanup(t->multi);
		free(t);
		git_error_set_str(GIT_ERROR_NET, "cannot initialise libcurl");
		return -1;
	}
	*out = &t->parent;
	return 0;
}

static git_smart_subtransport_definition http_def = {sub_new, 1, NULL};

static int transport_new(git_transport **out, git_remote *owner, void *param)
{
	(void)param;
	return git_transport_smart(out, owner, &http_def);
}

int gitx_http_register(void)
{
	if (git_transport_register("http", transport_new, NULL) < 0 ||
	    git_transport_register("https", transport_new, NULL) < 0)
		return -1;
	return 0;
}
