/* kube: the blocking Kubernetes API client (eddy/kube.h). libcurl easy handles, one per call,
 * sharing connections and DNS answers through a CURLSH guarded by mutexes. */
#include "eddy/kube.h"
#include "eddy/buf.h"
#include "eddy/http_curl.h"
#include "eddy/mem.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
	RESP_MAX = 256 << 20,        /* a list or object answer */
	ERR_BODY_MAX = 64 << 10,     /* error bodies we keep */
	WATCH_LINE_MAX = 16 << 20,   /* one watch event */
	TOKEN_REREAD_MS = 60000,
	EVENT_MSG_MAX = 39000,
	EVENT_CACHE = 256,                 /* recent Events remembered per client */
	EVENT_AGGREGATE_MS = 10 * 60 * 1000, /* repeats within this window bump count */
};

#define R_TRANSPORT "KubeTransportFailed"
#define EVENT_ANN_PREFIX "event.toolkit.fluxcd.io/"

struct disco_gv {
	char *gv; /* "v1" or "group/version" */
	kube_resource *res;
	size_t n;
};

struct kube_client {
	kube_config cfg;
	CURLSH *share;
	pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
	pthread_mutex_t mu; /* token, bucket, discovery */
	char *token;
	int64_t token_read_ms;
	double tokens;
	int64_t bucket_ms;
	struct disco_gv *gvs;
	size_t ngv;
	/* recent Events, for aggregation of repeats (client-go's EventCorrelator) */
	struct recent_event {
		char *key, *ns, *name;
		int64_t count, at_ms;
	} events[EVENT_CACHE];
	size_t next_event;
};

int64_t kube_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kube_time_now(char out[32], bool micro)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	if (micro)
		snprintf(out + n, 32 - n, ".%06dZ", (int)(ts.tv_nsec / 1000) % 1000000);
	else
		snprintf(out + n, 32 - n, "Z");
}

/* ------------------------------------------------------------------ errors */

static const struct {
	const char *reason;
	kube_errkind kind;
} reason_kinds[] = {
	{"NotFound", KUBE_ENOTFOUND},
	{"AlreadyExists", KUBE_EALREADYEXISTS},
	{"Conflict", KUBE_ECONFLICT},
	{"Expired", KUBE_EGONE},
	{"Gone", KUBE_EGONE},
	{"Invalid", KUBE_EINVALID},
	{"Forbidden", KUBE_EFORBIDDEN},
	{"Unauthorized", KUBE_EUNAUTHORIZED},
	{"Timeout", KUBE_ETIMEOUT},
	{"ServerTimeout", KUBE_ETIMEOUT},
	{"TooManyRequests", KUBE_ETIMEOUT},
	{"ServiceUnavailable", KUBE_ETIMEOUT},
	{"BadRequest", KUBE_EBADREQUEST},
	{R_TRANSPORT, KUBE_ETRANSPORT},
};

kube_errkind kube_errkind_of(const err *e)
{
	if (!err_is_set(e))
		return KUBE_OK;
	for (size_t i = 0; i < sizeof reason_kinds / sizeof reason_kinds[0]; i++)
		if (!strcmp(e->reason, reason_kinds[i].reason))
			return reason_kinds[i].kind;
	return KUBE_EOTHER;
}

const char *kube_errkind_name(kube_errkind k)
{
	static const char *const names[] = {"OK", "NotFound", "AlreadyExists", "Conflict", "Gone",
		"Invalid", "Forbidden", "Unauthorized", "Timeout", "BadRequest", "Transport", "Other"};
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "Other";
}

static const char *reason_for_code(long code)
{
	switch (code) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 406: return "NotAcceptable";
	case 409: return "Conflict";
	case 410: return "Expired";
	case 413: return "RequestEntityTooLarge";
	case 415: return "UnsupportedMediaType";
	case 422: return "Invalid";
	case 429: return "TooManyRequests";
	case 500: return "InternalError";
	case 503: return "ServiceUnavailable";
	case 504: return "Timeout";
	default: return "Unknown";
	}
}

void kube_err_from_status(err *e, long code, const char *body, size_t len)
{
	cJSON *st = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	const char *reason = NULL, *msg = NULL;
	if (cJSON_IsObject(st)) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(st, "reason");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(st, "message");
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(st, "code");
		if (cJSON_IsString(r) && *r->valuestring)
			reason = r->valuestring;
		if (cJSON_IsString(m))
			msg = m->valuestring;
		if (cJSON_IsNumber(c) && c->valuedouble >= 100 && c->valuedouble < 600 && !code)
			code = (long)c->valuedouble;
	}
	if (!reason)
		reason = reason_for_code(code);
	/* 410 with reason Gone is the same thing as Expired for callers */
	if (code == 410 && strcmp(reason, "Expired") && strcmp(reason, "Gone"))
		reason = "Expired";
	if (msg)
		err_fail(e, reason, "%s", msg);
	else if (body && len && len < 512 && !cJSON_IsObject(st))
		err_fail(e, reason, "the server responded with %ld: %.*s", code, (int)len, body);
	else
		err_fail(e, reason, "the server responded with status %ld", code);
	cJSON_Delete(st);
}

/* ------------------------------------------------------------------ client lifecycle */

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *ud)
{
	(void)h;
	(void)a;
	kube_client *k = ud;
	pthread_mutex_lock(&k->share_mu[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *ud)
{
	(void)h;
	kube_client *k = ud;
	pthread_mutex_unlock(&k->share_mu[d]);
}

kube_client *kube_client_new(const kube_config *c, err *e)
{
	if (!c || !c->server) {
		err_fail(e, "KubeConfigInvalid", "no API server configured");
		return NULL;
	}
	http_curl_global_init();
	kube_client *k = xcalloc(1, sizeof *k);
	kube_config_copy(&k->cfg, c);
	if (k->cfg.qps <= 0)
		k->cfg.qps = 50;
	if (k->cfg.burst <= 0)
		k->cfg.burst = 300;
	if (k->cfg.timeout_ms <= 0)
		k->cfg.timeout_ms = 30000;
	if (!k->cfg.user_agent)
		k->cfg.user_agent = xstrdup("eddy");
	if (!k->cfg.namespace_)
		k->cfg.namespace_ = xstrdup("default");
	pthread_mutex_init(&k->mu, NULL);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&k->share_mu[i], NULL);
	k->share = curl_share_init();
	if (!k->share) {
		kube_client_free(k);
		err_fail(e, R_TRANSPORT, "cannot create a curl share handle");
		return NULL;
	}
	curl_share_setopt(k->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(k->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(k->share, CURLSHOPT_USERDATA, k);
	curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	k->tokens = k->cfg.burst;
	k->bucket_ms = kube_now_ms();
	return k;
}

kube_client *kube_client_impersonate(const kube_client *base, const char *user,
	const char *const *groups, err *e)
{
	kube_config c;
	kube_config_copy(&c, &base->cfg);
	free(c.impersonate_user);
	c.impersonate_user = user ? xstrdup(user) : NULL;
	if (c.impersonate_groups) {
		for (char **p = c.impersonate_groups; *p; p++)
			free(*p);
		free(c.impersonate_groups);
		c.impersonate_groups = NULL;
	}
	if (groups) {
		size_t n = 0;
		while (groups[n])
			n++;
		c.impersonate_groups = xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			c.impersonate_groups[i] = xstrdup(groups[i]);
	}
	kube_client *k = kube_client_new(&c, e);
	kube_config_release(&c);
	return k;
}

void kube_client_free(kube_client *k)
{
	if (!k)
		return;
	if (k->share)
		curl_share_cleanup(k->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&k->share_mu[i]);
	pthread_mutex_destroy(&k->mu);
	for (size_t i = 0; i < k->ngv; i++) {
		for (size_t j = 0; j < k->gvs[i].n; j++)
			kube_resource_release(&k->gvs[i].res[j]);
		free(k->gvs[i].res);
		free(k->gvs[i].gv);
	}
	free(k->gvs);
	for (size_t i = 0; i < EVENT_CACHE; i++) {
		free(k->events[i].key);
		free(k->events[i].ns);
		free(k->events[i].name);
	}
	if (k->token)
		memset(k->token, 0, strlen(k->token));
	free(k->token);
	kube_config_release(&k->cfg);
	free(k);
}

const kube_config *kube_client_config(const kube_client *k)
{
	return &k->cfg;
}

char *kube_sa_username(const char *ns, const char *name)
{
	return xasprintf("system:serviceaccount:%s:%s", ns, name);
}

/* ------------------------------------------------------------------ rate limit and token */

static void rate_wait(kube_client *k)
{
	pthread_mutex_lock(&k->mu);
	int64_t now = kube_now_ms();
	k->tokens += (double)(now - k->bucket_ms) * k->cfg.qps / 1000.0;
	if (k->tokens > k->cfg.burst)
		k->tokens = k->cfg.burst;
	k->bucket_ms = now;
	k->tokens -= 1; /* reserve, possibly going into debt like golang.org/x/time/rate */
	double debt = k->tokens < 0 ? -k->tokens : 0;
	pthread_mutex_unlock(&k->mu);
	if (debt > 0) {
		double s = debt / k->cfg.qps;
		struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

/* The bearer token to send (allocated) or NULL. */
static char *current_token(kube_client *k)
{
	if (k->cfg.token)
		return xstrdup(k->cfg.token);
	if (!k->cfg.token_file)
		return NULL;
	pthread_mutex_lock(&k->mu);
	int64_t now = kube_now_ms();
	if (!k->token || now - k->token_read_ms > TOKEN_REREAD_MS) {
		FILE *f = fopen(k->cfg.token_file, "rb");
		if (f) {
			char tmp[16384];
			size_t n = fread(tmp, 1, sizeof tmp - 1, f);
			fclose(f);
			tmp[n] = '\0';
			while (n > 0 && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r' || tmp[n - 1] == ' '))
				tmp[--n] = '\0';
			free(k->token);
			k->token = xstrdup(tmp);
			memset(tmp, 0, sizeof tmp);
			k->token_read_ms = now;
		}
	}
	char *t = k->token ? xstrdup(k->token) : NULL;
	pthread_mutex_unlock(&k->mu);
	return t;
}

/* ------------------------------------------------------------------ requests */

typedef struct req {
	const char *method;
	char *url;             /* full URL */
	const char *ctype;     /* request body type */
	const char *body;
	size_t blen;
	buf resp;
	long code;
	/* streaming (watch) */
	CURL *h;
	size_t (*stream)(struct req *r, const char *p, size_t n);
	kube_stop_fn stop;
	void *stop_ud;
	long timeout_ms;       /* 0 = cfg timeout */
	bool aborted;          /* by the stream callback or the stop function */
} req;

static size_t write_cb(char *p, size_t sz, size_t nm, void *ud)
{
	req *r = ud;
	size_t n = sz * nm;
	if (r->stream) {
		long code = 0;
		curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
		if (code == 200)
			return r->stream(r, p, n);
	}
	return http_curl_sink(p, 1, n, &r->resp);
}

static int progress_cb(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	req *r = ud;
	if (r->stop && r->stop(r->stop_ud)) {
		r->aborted = true;
		return 1;
	}
	return 0;
}

static char *pct(const char *s)
{
	buf b;
	buf_init(&b, 1 << 20);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~')
			buf_addc(&b, (char)*p);
		else
			buf_addf(&b, "%%%02X", *p);
	}
	return buf_detach(&b, NULL);
}

static int perform(kube_client *k, req *r, err *e)
{
	rate_wait(k);
	CURL *h = curl_easy_init();
	if (!h)
		return err_fail(e, R_TRANSPORT, "cannot create a curl handle");
	r->h = h;
	struct curl_slist *hd = NULL;
	hd = curl_slist_append(hd, "Accept: application/json");
	if (r->ctype) {
		char *ct = xasprintf("Content-Type: %s", r->ctype);
		hd = curl_slist_append(hd, ct);
		free(ct);
	}
	char *tok = current_token(k);
	if (tok) {
		char *a = xasprintf("Authorization: Bearer %s", tok);
		hd = curl_slist_append(hd, a);
		memset(a, 0, strlen(a));
		free(a);
		memset(tok, 0, strlen(tok));
		free(tok);
	}
	if (k->cfg.impersonate_user) {
		char *a = xasprintf("Impersonate-User: %s", k->cfg.impersonate_user);
		hd = curl_slist_append(hd, a);
		free(a);
		for (char **g = k->cfg.impersonate_groups; g && *g; g++) {
			a = xasprintf("Impersonate-Group: %s", *g);
			hd = curl_slist_append(hd, a);
			free(a);
		}
	}
	hd = curl_slist_append(hd, "Expect:");
	char ebuf[CURL_ERROR_SIZE];
	bool mtls = k->cfg.cert_pem && k->cfg.key_pem;
	http_curl_opts co = {
		.errbuf = ebuf,
		.user_agent = k->cfg.user_agent,
		.connect_timeout_ms = 10000,
		.timeout_ms = (uint64_t)(r->timeout_ms ? r->timeout_ms : k->cfg.timeout_ms),
		.tcp_keepalive = true,
		.ca_pem = k->cfg.ca_pem,
		.cert_pem = mtls ? k->cfg.cert_pem : NULL,
		.key_pem = mtls ? k->cfg.key_pem : NULL,
		.insecure_skip_verify = k->cfg.insecure,
	};
	http_curl_setup(h, &co);
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_SHARE, k->share);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	if (r->stop) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, r);
	}
	if (strcmp(r->method, "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->blen);
	}
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_cleanup(h);
	curl_slist_free_all(hd);
	r->h = NULL;
	if (rc != CURLE_OK && !r->aborted) {
		if (rc == CURLE_WRITE_ERROR && !r->stream)
			return err_fail(e, "KubeResponseTooLarge", "%s %s: answer larger than %d bytes",
				r->method, r->url, RESP_MAX);
		if (rc == CURLE_OPERATION_TIMEDOUT)
			return err_fail(e, "Timeout", "%s: %s", r->method,
				*ebuf ? ebuf : curl_easy_strerror(rc));
		if (rc == CURLE_WRITE_ERROR && r->code == 200)
			return -2; /* the stream callback failed and filled e */
		return err_fail(e, R_TRANSPORT, "%s %s: %s", r->method, k->cfg.server,
			*ebuf ? ebuf : curl_easy_strerror(rc));
	}
	if (r->aborted)
		return 0;
	if (r->code < 200 || r->code > 299) {
		kube_err_from_status(e, r->code, r->resp.data, r->resp.len);
		return -1;
	}
	return 0;
}

/* One non-streaming call; the parsed answer (object) or NULL. For 2xx answers without a body
 * returns an empty object. */
static cJSON *call(kube_client *k, const char *method, char *url, const char *ctype,
	const cJSON *body, err *e)
{
	req r = {.method = method, .url = url, .ctype = ctype};
	char *b = body ? cJSON_PrintUnformatted(body) : NULL;
	r.body = b;
	r.blen = b ? strlen(b) : 0;
	buf_init(&r.resp, RESP_MAX);
	int rc = perform(k, &r, e);
	free(b);
	cJSON *out = NULL;
	if (rc == 0) {
		out = r.resp.len ? cJSON_ParseWithLength(r.resp.data, r.resp.len) : cJSON_CreateObject();
		if (!out)
			err_fail(e, "KubeDecodeFailed", "%s %s: the answer is not JSON", method, url);
	}
	buf_release(&r.resp);
	return out;
}

/* ------------------------------------------------------------------ discovery */

void kube_resource_release(kube_resource *r)
{
	free(r->group);
	free(r->version);
	free(r->kind);
	free(r->resource);
	memset(r, 0, sizeof *r);
}

static void res_copy(kube_resource *d, const kube_resource *s)
{
	*d = *s;
	d->group = xstrdup(s->group);
	d->version = xstrdup(s->version);
	d->kind = xstrdup(s->kind);
	d->resource = xstrdup(s->resource);
}

void kube_discovery_invalidate(kube_client *k)
{
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < k->ngv; i++) {
		for (size_t j = 0; j < k->gvs[i].n; j++)
			kube_resource_release(&k->gvs[i].res[j]);
		free(k->gvs[i].res);
		free(k->gvs[i].gv);
	}
	free(k->gvs);
	k->gvs = NULL;
	k->ngv = 0;
	pthread_mutex_unlock(&k->mu);
}

/* Looks up under k->mu. Returns 1 found, 0 gv known but kind missing, -1 gv unknown. */
static int disco_lookup(kube_client *k, const char *gv, const char *kind, kube_resource *out)
{
	for (size_t i = 0; i < k->ngv; i++) {
		if (strcmp(k->gvs[i].gv, gv))
			continue;
		for (size_t j = 0; j < k->gvs[i].n; j++) {
			if (!strcmp(k->gvs[i].res[j].kind, kind)) {
				res_copy(out, &k->gvs[i].res[j]);
				return 1;
			}
		}
		return 0;
	}
	return -1;
}

static void split_gv(const char *api_version, char **group, char **version)
{
	const char *sl = strchr(api_version, '/');
	if (sl) {
		*group = xstrndup(api_version, (size_t)(sl - api_version));
		*version = xstrdup(sl + 1);
	} else {
		*group = xstrdup("");
		*version = xstrdup(api_version);
	}
}

static int disco_fetch(kube_client *k, const char *gv, err *e)
{
	char *group, *version;
	split_gv(gv, &group, &version);
	char *url = *group ? xasprintf("%s/apis/%s/%s", k->cfg.server, group, version)
		: xasprintf("%s/api/%s", k->cfg.server, version);
	cJSON *list = call(k, "GET", url, NULL, NULL, e);
	free(url);
	if (!list) {
		free(group);
		free(version);
		return -1;
	}
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "resources"), *it;
	size_t cnt = (size_t)cJSON_GetArraySize(items), n = 0;
	kube_resource *res = xcalloc(cnt + 1, sizeof *res);
	cJSON_ArrayForEach(it, items) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(it, "kind");
		if (!cJSON_IsString(name) || !cJSON_IsString(kind))
			continue;
		const char *sl = strchr(name->valuestring, '/');
		if (sl) {
			if (strcmp(sl + 1, "status"))
				continue;
			for (size_t j = 0; j < n; j++)
				if (!strncmp(res[j].resource, name->valuestring,
					    (size_t)(sl - name->valuestring)) &&
				    res[j].resource[sl - name->valuestring] == '\0')
					res[j].has_status = true;
			continue;
		}
		kube_resource *r = &res[n++];
		r->group = xstrdup(group);
		r->version = xstrdup(version);
		r->kind = xstrdup(kind->valuestring);
		r->resource = xstrdup(name->valuestring);
		r->namespaced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "namespaced"));
	}
	/* a status entry listed before its resource */
	cJSON_ArrayForEach(it, items) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		if (!cJSON_IsString(name))
			continue;
		size_t l = strlen(name->valuestring);
		if (l > 7 && !strcmp(name->valuestring + l - 7, "/status"))
			for (size_t j = 0; j < n; j++)
				if (strlen(res[j].resource) == l - 7 &&
				    !strncmp(res[j].resource, name->valuestring, l - 7))
					res[j].has_status = true;
	}
	cJSON_Delete(list);
	free(group);
	free(version);
	pthread_mutex_lock(&k->mu);
	size_t i;
	for (i = 0; i < k->ngv; i++)
		if (!strcmp(k->gvs[i].gv, gv))
			break;
	if (i == k->ngv) {
		k->gvs = xrealloc(k->gvs, (k->ngv + 1) * sizeof *k->gvs);
		k->gvs[k->ngv].gv = xstrdup(gv);
		k->ngv++;
	} else {
		for (size_t j = 0; j < k->gvs[i].n; j++)
			kube_resource_release(&k->gvs[i].res[j]);
		free(k->gvs[i].res);
	}
	k->gvs[i].res = res;
	k->gvs[i].n = n;
	pthread_mutex_unlock(&k->mu);
	return 0;
}

int kube_resolve(kube_client *k, const char *api_version, const char *kind, kube_resource *out,
	err *e)
{
	memset(out, 0, sizeof *out);
	if (!api_version || !*api_version || !kind || !*kind)
		return err_fail(e, "BadRequest", "apiVersion and kind are required");
	pthread_mutex_lock(&k->mu);
	int f = disco_lookup(k, api_version, kind, out);
	pthread_mutex_unlock(&k->mu);
	if (f == 1)
		return 0;
	err fe = {0};
	if (disco_fetch(k, api_version, &fe) < 0) {
		if (kube_errkind_of(&fe) == KUBE_ENOTFOUND)
			return err_fail(e, "NotFound", "no matches for kind \"%s\" in version \"%s\"",
				kind, api_version);
		if (e)
			*e = fe;
		return -1;
	}
	pthread_mutex_lock(&k->mu);
	f = disco_lookup(k, api_version, kind, out);
	pthread_mutex_unlock(&k->mu);
	if (f == 1)
		return 0;
	return err_fail(e, "NotFound", "no matches for kind \"%s\" in version \"%s\"", kind,
		api_version);
}

/* ------------------------------------------------------------------ URLs */

/* Builds <server>/api(s)/.../[namespaces/NS/]resource[/name[/sub]] */
static char *res_url(kube_client *k, const kube_resource *r, const char *ns, const char *name,
	const char *sub)
{
	buf b;
	buf_init(&b, 1 << 20);
	buf_adds(&b, k->cfg.server);
	if (*r->group)
		buf_addf(&b, "/apis/%s/%s", r->group, r->version);
	else
		buf_addf(&b, "/api/%s", r->version);
	if (r->namespaced && ns && *ns) {
		char *x = pct(ns);
		buf_addf(&b, "/namespaces/%s", x);
		free(x);
	}
	buf_addf(&b, "/%s", r->resource);
	if (name) {
		char *x = pct(name);
		buf_addf(&b, "/%s", x);
		free(x);
		if (sub && *sub)
			buf_addf(&b, "/%s", sub);
	}
	return buf_detach(&b, NULL);
}

static void q_add(buf *b, const char *k, const char *v)
{
	if (!v)
		return;
	char *x = pct(v);
	buf_addf(b, "%c%s=%s", strchr(buf_str(b), '?') ? '&' : '?', k, x);
	free(x);
}

static void write_query(buf *b, const kube_opts *o, bool apply)
{
	if (!o)
		return;
	if (o->dry_run)
		q_add(b, "dryRun", "All");
	if (o->field_manager)
		q_add(b, "fieldManager", o->field_manager);
	if (apply)
		q_add(b, "force", o->force ? "true" : "false");
}

static const char *obj_str(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

const char *kube_obj_name(const cJSON *o) { return obj_str(o, "metadata", "name"); }
const char *kube_obj_namespace(const cJSON *o) { return obj_str(o, "metadata", "namespace"); }
const char *kube_obj_rv(const cJSON *o) { return obj_str(o, "metadata", "resourceVersion"); }
const char *kube_obj_uid(const cJSON *o) { return obj_str(o, "metadata", "uid"); }

const char *kube_obj_annotation(const cJSON *o, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "annotations");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *kube_obj_label(const cJSON *o, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "labels");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t kube_obj_generation(const cJSON *o)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(m, "generation");
	return cJSON_IsNumber(g) ? (int64_t)g->valuedouble : 0;
}

/* Resolves the object's type and namespace. */
static int obj_target(kube_client *k, const cJSON *obj, const kube_opts *o, kube_resource *r,
	const char **ns, const char **name, err *e)
{
	const char *av = obj_str(obj, "apiVersion", NULL), *kind = obj_str(obj, "kind", NULL);
	if (!av || !kind)
		return err_fail(e, "BadRequest", "object has no apiVersion or kind");
	if (kube_resolve(k, av, kind, r, e) < 0)
		return -1;
	*name = kube_obj_name(obj);
	*ns = kube_obj_namespace(obj);
	if (!*ns || !**ns)
		*ns = o && o->namespace_ && *o->namespace_ ? o->namespace_ : NULL;
	if (r->namespaced && !*ns)
		*ns = k->cfg.namespace_;
	return 0;
}

/* ------------------------------------------------------------------ verbs */

cJSON *kube_get(kube_client *k, const char *api_version, const char *kind, const char *ns,
	const char *name, const kube_opts *o, err *e)
{
	kube_resource r;
	if (kube_resolve(k, api_version, kind, &r, e) < 0)
		return NULL;
	char *url = res_url(k, &r, ns, name, o ? o->subresource : NULL);
	cJSON *obj = call(k, "GET", url, NULL, NULL, e);
	free(url);
	if (obj && !cJSON_GetObjectItemCaseSensitive(obj, "kind")) {
		cJSON_AddStringToObject(obj, "apiVersion", api_version);
		cJSON_AddStringToObject(obj, "kind", kind);
	}
	kube_resource_release(&r);
	return obj;
}

static void set_type(cJSON *obj, const char *av, const char *kind)
{
	if (!cJSON_GetObjectItemCaseSensitive(obj, "apiVersion"))
		cJSON_AddStringToObject(obj, "apiVersion", av);
	if (!cJSON_GetObjectItemCaseSensitive(obj, "kind"))
		cJSON_AddStringToObject(obj, "kind", kind);
}

cJSON *kube_list(kube_client *k, const char *api_version, const char *kind, const kube_opts *o,
	err *e)
{
	kube_resource r;
	if (kube_resolve(k, api_version, kind, &r, e) < 0)
		return NULL;
	char *base = res_url(k, &r, o ? o->namespace_ : NULL, NULL, NULL);
	cJSON *out = NULL, *all = cJSON_CreateArray();
	char *cont = NULL;
	int limit = o && o->limit > 0 ? o->limit : 500;
	for (int pages = 0; pages < 100000; pages++) {
		buf u;
		buf_init(&u, 1 << 20);
		buf_adds(&u, base);
		buf_addf(&u, "?limit=%d", limit);
		if (o) {
			q_add(&u, "labelSelector", o->label_selector);
			q_add(&u, "fieldSelector", o->field_selector);
			if (!cont)
				q_add(&u, "resourceVersion", o->resource_version);
		}
		q_add(&u, "continue", cont);
		char *url = buf_detach(&u, NULL);
		cJSON *page = call(k, "GET", url, NULL, NULL, e);
		free(url);
		free(cont);
		cont = NULL;
		if (!page) {
			cJSON_Delete(out);
			out = NULL;
			break;
		}
		cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(page, "items");
		cJSON *it;
		while (items && (it = cJSON_DetachItemFromArray(items, 0)) != NULL) {
			set_type(it, api_version, kind);
			cJSON_AddItemToArray(all, it);
		}
		cJSON_Delete(items);
		const char *c = obj_str(page, "metadata", "continue");
		if (c && *c)
			cont = xstrdup(c);
		if (!out) {
			out = page;
		} else {
			cJSON_Delete(page);
		}
		if (!cont)
			break;
	}
	if (out) {
		cJSON_DeleteItemFromObjectCaseSensitive(out, "items");
		cJSON_AddItemToObject(out, "items", all);
		cJSON *md = cJSON_GetObjectItemCaseSensitive(out, "metadata");
		if (md)
			cJSON_DeleteItemFromObjectCaseSensitive(md, "continue");
	} else {
		cJSON_Delete(all);
	}
	free(cont);
	free(base);
	kube_resource_release(&r);
	return out;
}

cJSON *kube_create(kube_client *k, const cJSON *obj, const kube_opts *o, err *e)
{
	kube_resource r;
	const char *ns, *name;
	if (obj_target(k, obj, o, &r, &ns, &name, e) < 0)
		return NULL;
	char *base = res_url(k, &r, ns, NULL, NULL);
	buf u;
	buf_init(&u, 1 << 20);
	buf_adds(&u, base);
	write_query(&u, o, false);
	char *url = buf_detach(&u, NULL);
	cJSON *out = call(k, "POST", url, "application/json", obj, e);
	free(url);
	free(base);
	kube_resource_release(&r);
	return out;
}

cJSON *kube_update(kube_client *k, const cJSON *obj, const kube_opts *o, err *e)
{
	kube_resource r;
	const char *ns, *name;
	if (obj_target(k, obj, o, &r, &ns, &name, e) < 0)
		return NULL;
	if (!name) {
		kube_resource_release(&r);
		err_fail(e, "BadRequest", "object has no metadata.name");
		return NULL;
	}
	char *base = res_url(k, &r, ns, name, o ? o->subresource : NULL);
	buf u;
	buf_init(&u, 1 << 20);
	buf_adds(&u, base);
	write_query(&u, o, false);
	char *url = buf_detach(&u, NULL);
	cJSON *out = call(k, "PUT", url, "application/json", obj, e);
	free(url);
	free(base);
	kube_resource_release(&r);
	return out;
}

int kube_delete(kube_client *k, const char *api_version, const char *kind, const char *ns,
	const char *name, const kube_opts *o, err *e)
{
	kube_resource r;
	if (kube_resolve(k, api_version, kind, &r, e) < 0)
		return -1;
	char *base = res_url(k, &r, ns, name, NULL);
	buf u;
	buf_init(&u, 1 << 20);
	buf_adds(&u, base);
	if (o && o->dry_run)
		q_add(&u, "dryRun", "All");
	char *url = buf_detach(&u, NULL);
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "kind", "DeleteOptions");
	cJSON_AddStringToObject(body, "apiVersion", "v1");
	cJSON_AddStringToObject(body, "propagationPolicy",
		o && o->propagation ? o->propagation : "Background");
	if (o && o->resource_version) {
		cJSON *pre = cJSON_AddObjectToObject(body, "preconditions");
		cJSON_AddStringToObject(pre, "resourceVersion", o->resource_version);
	}
	if (o && o->dry_run) {
		cJSON *dr = cJSON_AddArrayToObject(body, "dryRun");
		cJSON_AddItemToArray(dr, cJSON_CreateString("All"));
	}
	cJSON *out = call(k, "DELETE", url, "application/json", body, e);
	cJSON_Delete(body);
	free(url);
	free(base);
	kube_resource_release(&r);
	if (!out)
		return -1;
	cJSON_Delete(out);
	return 0;
}

cJSON *kube_patch(kube_client *k, const char *api_version, const char *kind, const char *ns,
	const char *name, kube_patch_type type, const cJSON *patch, const kube_opts *o, err *e)
{
	static const char *const ctypes[] = {"application/merge-patch+json",
		"application/json-patch+json", "application/strategic-merge-patch+json",
		"application/apply-patch+yaml"};
	if (type == KUBE_PATCH_APPLY && (!o || !o->field_manager || !*o->field_manager)) {
		err_fail(e, "BadRequest", "server-side apply needs a field manager");
		return NULL;
	}
	kube_resource r;
	if (kube_resolve(k, api_version, kind, &r, e) < 0)
		return NULL;
	if (r.namespaced && (!ns || !*ns))
		ns = o && o->namespace_ && *o->namespace_ ? o->namespace_ : k->cfg.namespace_;
	char *base = res_url(k, &r, ns, name, o ? o->subresource : NULL);
	buf u;
	buf_init(&u, 1 << 20);
	buf_adds(&u, base);
	write_query(&u, o, type == KUBE_PATCH_APPLY);
	char *url = buf_detach(&u, NULL);
	cJSON *out = call(k, "PATCH", url, ctypes[type], patch, e);
	free(url);
	free(base);
	kube_resource_release(&r);
	return out;
}

cJSON *kube_apply(kube_client *k, const cJSON *obj, const kube_opts *o, err *e)
{
	const char *av = obj_str(obj, "apiVersion", NULL), *kind = obj_str(obj, "kind", NULL);
	const char *name = kube_obj_name(obj), *ns = kube_obj_namespace(obj);
	if (!av || !kind || !name) {
		err_fail(e, "BadRequest", "apply needs apiVersion, kind and metadata.name");
		return NULL;
	}
	return kube_patch(k, av, kind, ns, name, KUBE_PATCH_APPLY, obj, o, e);
}

cJSON *kube_merge_patch_diff(const cJSON *from, const cJSON *to)
{
	if (!cJSON_IsObject(from) || !cJSON_IsObject(to)) {
		if (from && to && cJSON_Compare(from, to, true))
			return NULL;
		return to ? cJSON_Duplicate(to, 1) : cJSON_CreateNull();
	}
	cJSON *p = cJSON_CreateObject();
	const cJSON *it;
	cJSON_ArrayForEach(it, from) {
		if (!cJSON_GetObjectItemCaseSensitive(to, it->string))
			cJSON_AddNullToObject(p, it->string);
	}
	cJSON_ArrayForEach(it, to) {
		const cJSON *old = cJSON_GetObjectItemCaseSensitive(from, it->string);
		if (!old) {
			cJSON_AddItemToObject(p, it->string, cJSON_Duplicate(it, 1));
			continue;
		}
		if (cJSON_IsObject(old) && cJSON_IsObject(it)) {
			cJSON *sub = kube_merge_patch_diff(old, it);
			if (sub)
				cJSON_AddItemToObject(p, it->string, sub);
		} else if (!cJSON_Compare(old, it, true)) {
			cJSON_AddItemToObject(p, it->string, cJSON_Duplicate(it, 1));
		}
	}
	if (!p->child) {
		cJSON_Delete(p);
		return NULL;
	}
	return p;
}

/* ------------------------------------------------------------------ watch */

void kube_watch_parser_release(kube_watch_parser *p)
{
	free(p->line);
	memset(p, 0, sizeof *p);
}

static int parse_line(const char *line, size_t len,
	int (*ev)(const char *type, cJSON *obj, void *ud), void *ud, err *e)
{
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return 0;
	cJSON *j = cJSON_ParseWithLength(line, len);
	if (!j)
		return err_fail(e, "KubeDecodeFailed", "malformed watch event");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
	cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "object");
	int rc = 0;
	if (!cJSON_IsString(t) || !cJSON_IsObject(o)) {
		rc = err_fail(e, "KubeDecodeFailed", "watch event without type or object");
	} else if (!strcmp(t->valuestring, "ERROR")) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
		char *s = cJSON_PrintUnformatted(o);
		kube_err_from_status(e, cJSON_IsNumber(code) ? (long)code->valuedouble : 500, s,
			strlen(s));
		free(s);
		rc = -1;
	} else {
		rc = ev(t->valuestring, o, ud) ? 1 : 0;
	}
	cJSON_Delete(j);
	return rc;
}

int kube_watch_feed(kube_watch_parser *p, const char *data, size_t n,
	int (*ev)(const char *type, cJSON *obj, void *ud), void *ud, err *e)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		if (p->len + take > WATCH_LINE_MAX)
			return err_fail(e, "KubeDecodeFailed", "watch event larger than %d bytes",
				WATCH_LINE_MAX);
		if (p->len + take + 1 > p->alloc) {
			size_t a = p->alloc ? p->alloc : 4096;
			while (a < p->len + take + 1)
				a *= 2;
			p->line = xrealloc(p->line, a);
			p->alloc = a;
		}
		memcpy(p->line + p->len, data, take);
		p->len += take;
		data += take;
		n -= take;
		if (!nl)
			break;
		data++;
		n--;
		size_t l = p->len;
		p->len = 0;
		int rc = parse_line(p->line, l, ev, ud, e);
		if (rc != 0)
			return rc;
	}
	return 0;
}

typedef struct watch_ctx {
	req r;
	kube_watch_parser parser;
	char **rv;
	kube_watch_fn fn;
	void *ud;
	err *e;
	int result; /* 0 running, 1 stopped by fn, -1 error */
	const char *av, *kind;
} watch_ctx;

static int watch_event(const char *type, cJSON *obj, void *ud)
{
	watch_ctx *w = ud;
	kube_event_type t;
	if (!strcmp(type, "ADDED"))
		t = KUBE_ADDED;
	else if (!strcmp(type, "MODIFIED"))
		t = KUBE_MODIFIED;
	else if (!strcmp(type, "DELETED"))
		t = KUBE_DELETED;
	else if (!strcmp(type, "BOOKMARK"))
		t = KUBE_BOOKMARK;
	else
		return 0;
	const char *rv = kube_obj_rv(obj);
	if (rv && *rv) {
		free(*w->rv);
		*w->rv = xstrdup(rv);
	}
	if (t != KUBE_BOOKMARK)
		set_type(obj, w->av, w->kind);
	return w->fn(t, obj, w->ud);
}

static size_t watch_stream(req *r, const char *p, size_t n)
{
	watch_ctx *w = (watch_ctx *)r; /* r is the first member */
	int rc = kube_watch_feed(&w->parser, p, n, watch_event, w, w->e);
	if (rc == 0)
		return n;
	w->result = rc;
	if (rc == 1)
		r->aborted = true;
	return 0;
}

int kube_watch(kube_client *k, const char *api_version, const char *kind, const kube_opts *o,
	char **rv, kube_watch_fn fn, kube_stop_fn stop, void *ud, err *e)
{
	kube_resource r;
	if (kube_resolve(k, api_version, kind, &r, e) < 0)
		return -1;
	char *base = res_url(k, &r, o ? o->namespace_ : NULL, NULL, NULL);
	kube_resource_release(&r);
	int ts = o && o->timeout_seconds > 0 ? o->timeout_seconds : 300 + rand() % 300;
	buf u;
	buf_init(&u, 1 << 20);
	buf_adds(&u, base);
	free(base);
	buf_adds(&u, "?watch=true&allowWatchBookmarks=true");
	buf_addf(&u, "&timeoutSeconds=%d", ts);
	if (o) {
		q_add(&u, "labelSelector", o->label_selector);
		q_add(&u, "fieldSelector", o->field_selector);
	}
	if (rv && *rv && **rv)
		q_add(&u, "resourceVersion", *rv);
	watch_ctx w = {0};
	char *dummy = NULL;
	w.r.method = "GET";
	w.r.url = buf_detach(&u, NULL);
	w.r.stream = watch_stream;
	w.r.stop = stop;
	w.r.stop_ud = ud;
	w.r.timeout_ms = (long)(ts + 30) * 1000;
	buf_init(&w.r.resp, ERR_BODY_MAX);
	w.rv = rv ? rv : &dummy;
	w.fn = fn;
	w.ud = ud;
	w.e = e;
	w.av = api_version;
	w.kind = kind;
	int rc = perform(k, &w.r, e);
	if (rc == -2 || w.result == -1)
		rc = -1;
	else if (rc == 0 && w.r.code == 200 && w.parser.len > 0) {
		/* a last line without newline */
		int prc = parse_line(w.parser.line, w.parser.len, watch_event, &w, e);
		rc = prc < 0 ? -1 : 0;
	}
	free(dummy);
	kube_watch_parser_release(&w.parser);
	buf_release(&w.r.resp);
	free(w.r.url);
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ events */

/* The correlation key of an Event: what client-go's EventCorrelator compares (source,
 * involved object, type, reason, message). */
static char *event_key(const cJSON *obj, const kube_event_opts *o)
{
	return xasprintf("%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s",
		o->component ? o->component : "", obj_str(obj, "apiVersion", NULL) ?
		obj_str(obj, "apiVersion", NULL) : "", obj_str(obj, "kind", NULL) ?
		obj_str(obj, "kind", NULL) : "", kube_obj_namespace(obj) ? kube_obj_namespace(obj) : "",
		kube_obj_name(obj), kube_obj_uid(obj) ? kube_obj_uid(obj) : "",
		o->type ? o->type : "Normal", o->reason ? o->reason : "",
		o->message ? o->message : "");
}

/* A repeat of a recent Event: bump its count and lastTimestamp. 1 done, 0 not a repeat. */
static int event_repeat(kube_client *k, const char *key)
{
	char *ns = NULL, *name = NULL;
	int64_t count = 0, now = kube_now_ms();
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < EVENT_CACHE; i++) {
		struct recent_event *r = &k->events[i];
		if (r->key && !strcmp(r->key, key) && now - r->at_ms < EVENT_AGGREGATE_MS) {
			count = ++r->count;
			r->at_ms = now;
			ns = xstrdup(r->ns);
			name = xstrdup(r->name);
			break;
		}
	}
	pthread_mutex_unlock(&k->mu);
	if (!name)
		return 0;
	char ts[32];
	kube_time_now(ts, false);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "count", (double)count);
	cJSON_AddStringToObject(p, "lastTimestamp", ts);
	err pe = {0};
	cJSON *out = kube_patch(k, "v1", "Event", ns, name, KUBE_PATCH_MERGE, p, NULL, &pe);
	cJSON_Delete(p);
	free(ns);
	free(name);
	if (!out)
		return 0; /* gone (events expire): create a new one */
	cJSON_Delete(out);
	return 1;
}

static void event_remember(kube_client *k, char *key, const char *ns, const char *name)
{
	pthread_mutex_lock(&k->mu);
	struct recent_event *r = &k->events[k->next_event];
	k->next_event = (k->next_event + 1) % EVENT_CACHE;
	free(r->key);
	free(r->ns);
	free(r->name);
	r->key = key;
	r->ns = xstrdup(ns);
	r->name = xstrdup(name);
	r->count = 1;
	r->at_ms = kube_now_ms();
	pthread_mutex_unlock(&k->mu);
}

int kube_event_create(kube_client *k, const cJSON *obj, const kube_event_opts *o, err *e)
{
	const char *name = kube_obj_name(obj), *ns = kube_obj_namespace(obj);
	if (!name)
		return err_fail(e, "BadRequest", "event about an object without a name");
	char *key = event_key(obj, o);
	if (event_repeat(k, key)) {
		free(key);
		return 0;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t nanos = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	char now[32], nowmicro[32];
	kube_time_now(now, false);
	kube_time_now(nowmicro, true);
	char host[256] = "";
	if (gethostname(host, sizeof host - 1) != 0)
		snprintf(host, sizeof host, "unknown");
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "apiVersion", "v1");
	cJSON_AddStringToObject(ev, "kind", "Event");
	cJSON *md = cJSON_AddObjectToObject(ev, "metadata");
	char *evname = xasprintf("%s.%llx", name, (unsigned long long)nanos);
	cJSON_AddStringToObject(md, "name", evname);
	free(evname);
	const char *evns = ns && *ns ? ns : "default";
	cJSON_AddStringToObject(md, "namespace", evns);
	/* the caller's annotations, plus the object's own event.toolkit.fluxcd.io/ annotations
	 * (Flux RFC-0008: custom event metadata from annotations) */
	cJSON *ann = o->annotations ? cJSON_Duplicate(o->annotations, 1) : cJSON_CreateObject();
	const cJSON *oann = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "annotations"), *a;
	cJSON_ArrayForEach(a, oann) {
		if (cJSON_IsString(a) && !strncmp(a->string, EVENT_ANN_PREFIX,
			    strlen(EVENT_ANN_PREFIX)) &&
		    !cJSON_GetObjectItemCaseSensitive(ann, a->string))
			cJSON_AddStringToObject(ann, a->string, a->valuestring);
	}
	if (ann->child)
		cJSON_AddItemToObject(md, "annotations", ann);
	else
		cJSON_Delete(ann);
	cJSON *io = cJSON_AddObjectToObject(ev, "involvedObject");
	static const char *const top[] = {"kind", "apiVersion"};
	for (int i = 0; i < 2; i++) {
		const char *v = obj_str(obj, top[i], NULL);
		if (v)
			cJSON_AddStringToObject(io, top[i], v);
	}
	cJSON_AddStringToObject(io, "name", name);
	if (ns)
		cJSON_AddStringToObject(io, "namespace", ns);
	if (kube_obj_uid(obj))
		cJSON_AddStringToObject(io, "uid", kube_obj_uid(obj));
	if (kube_obj_rv(obj))
		cJSON_AddStringToObject(io, "resourceVersion", kube_obj_rv(obj));
	cJSON_AddStringToObject(ev, "reason", o->reason ? o->reason : "");
	const char *msg = o->message ? o->message : "";
	if (strlen(msg) > EVENT_MSG_MAX) {
		char *t = xstrndup(msg, EVENT_MSG_MAX);
		cJSON_AddStringToObject(ev, "message", t);
		free(t);
	} else {
		cJSON_AddStringToObject(ev, "message", msg);
	}
	cJSON_AddStringToObject(ev, "type", o->type ? o->type : "Normal");
	cJSON *src = cJSON_AddObjectToObject(ev, "source");
	if (o->component)
		cJSON_AddStringToObject(src, "component", o->component);
	cJSON_AddStringToObject(ev, "firstTimestamp", now);
	cJSON_AddStringToObject(ev, "lastTimestamp", now);
	cJSON_AddNumberToObject(ev, "count", 1);
	cJSON_AddStringToObject(ev, "reportingComponent", o->component ? o->component : "");
	cJSON_AddStringToObject(ev, "reportingInstance", o->instance ? o->instance : host);
	kube_opts opts = {.namespace_ = evns};
	cJSON *out = kube_create(k, ev, &opts, e);
	cJSON_Delete(ev);
	if (!out) {
		free(key);
		return -1;
	}
	event_remember(k, key, evns, kube_obj_name(out) ? kube_obj_name(out) : "");
	cJSON_Delete(out);
	return 0;
}

/* ------------------------------------------------------------------ leases */

void kube_lease_init(kube_lease *l, const char *ns, const char *name, const char *identity,
	int duration_s)
{
	memset(l, 0, sizeof *l);
	l->ns = xstrdup(ns);
	l->name = xstrdup(name);
	l->identity = xstrdup(identity);
	l->duration_s = duration_s > 0 ? duration_s : 35;
}

void kube_lease_release_mem(kube_lease *l)
{
	free(l->ns);
	free(l->name);
	free(l->identity);
	free(l->observed_rv);
	memset(l, 0, sizeof *l);
}

static void lease_spec(cJSON *spec, const kube_lease *l, bool acquire, int64_t transitions)
{
	char now[32];
	kube_time_now(now, true);
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "holderIdentity");
	cJSON_AddStringToObject(spec, "holderIdentity", l->identity);
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "leaseDurationSeconds");
	cJSON_AddNumberToObject(spec, "leaseDurationSeconds", l->duration_s);
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "renewTime");
	cJSON_AddStringToObject(spec, "renewTime", now);
	if (acquire) {
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "acquireTime");
		cJSON_AddStringToObject(spec, "acquireTime", now);
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "leaseTransitions");
		cJSON_AddNumberToObject(spec, "leaseTransitions", (double)transitions);
	}
}

static void observe(kube_lease *l, const char *rv)
{
	if (!l->observed_rv || strcmp(l->observed_rv, rv ? rv : "")) {
		free(l->observed_rv);
		l->observed_rv = xstrdup(rv ? rv : "");
		l->observed_at_ms = kube_now_ms();
	}
}

int kube_lease_try(kube_client *k, kube_lease *l, err *e)
{
	err ge = {0};
	cJSON *cur = kube_get(k, "coordination.k8s.io/v1", "Lease", l->ns, l->name, NULL, &ge);
	if (!cur) {
		if (kube_errkind_of(&ge) != KUBE_ENOTFOUND) {
			l->held = false;
			if (e)
				*e = ge;
			return -1;
		}
		cJSON *n = cJSON_CreateObject();
		cJSON_AddStringToObject(n, "apiVersion", "coordination.k8s.io/v1");
		cJSON_AddStringToObject(n, "kind", "Lease");
		cJSON *md = cJSON_AddObjectToObject(n, "metadata");
		cJSON_AddStringToObject(md, "name", l->name);
		cJSON_AddStringToObject(md, "namespace", l->ns);
		lease_spec(cJSON_AddObjectToObject(n, "spec"), l, true, 0);
		err ce = {0};
		cJSON *made = kube_create(k, n, NULL, &ce);
		cJSON_Delete(n);
		if (!made) {
			l->held = false;
			if (kube_errkind_of(&ce) == KUBE_EALREADYEXISTS)
				return 0;
			if (e)
				*e = ce;
			return -1;
		}
		observe(l, kube_obj_rv(made));
		cJSON_Delete(made);
		l->held = true;
		return 1;
	}
	observe(l, kube_obj_rv(cur));
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(cur, "spec");
	if (!spec)
		spec = cJSON_AddObjectToObject(cur, "spec");
	const char *holder = obj_str(cur, "spec", "holderIdentity");
	const cJSON *dur = cJSON_GetObjectItemCaseSensitive(spec, "leaseDurationSeconds");
	int64_t dms = (cJSON_IsNumber(dur) ? (int64_t)dur->valuedouble : l->duration_s) * 1000;
	bool ours = holder && !strcmp(holder, l->identity);
	if (holder && *holder && !ours && kube_now_ms() - l->observed_at_ms < dms) {
		cJSON_Delete(cur);
		l->held = false;
		return 0;
	}
	const cJSON *tr = cJSON_GetObjectItemCaseSensitive(spec, "leaseTransitions");
	int64_t transitions = cJSON_IsNumber(tr) ? (int64_t)tr->valuedouble : 0;
	lease_spec(spec, l, !ours, ours ? transitions : transitions + 1);
	err ue = {0};
	cJSON *upd = kube_update(k, cur, NULL, &ue);
	cJSON_Delete(cur);
	if (!upd) {
		l->held = false;
		if (kube_errkind_of(&ue) == KUBE_ECONFLICT)
			return 0;
		if (e)
			*e = ue;
		return -1;
	}
	observe(l, kube_obj_rv(upd));
	cJSON_Delete(upd);
	l->held = true;
	return 1;
}

int kube_lease_yield(kube_client *k, kube_lease *l, err *e)
{
	if (!l->held)
		return 0;
	l->held = false;
	cJSON *cur = kube_get(k, "coordination.k8s.io/v1", "Lease", l->ns, l->name, NULL, e);
	if (!cur)
		return -1;
	const char *holder = obj_str(cur, "spec", "holderIdentity");
	if (!holder || strcmp(holder, l->identity)) {
		cJSON_Delete(cur);
		return 0;
	}
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(cur, "spec");
	char now[32];
	kube_time_now(now, true);
	cJSON_ReplaceItemInObjectCaseSensitive(spec, "holderIdentity", cJSON_CreateString(""));
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "leaseDurationSeconds");
	cJSON_AddNumberToObject(spec, "leaseDurationSeconds", 1);
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "renewTime");
	cJSON_AddStringToObject(spec, "renewTime", now);
	cJSON *upd = kube_update(k, cur, NULL, e);
	cJSON_Delete(cur);
	if (!upd)
		return -1;
	cJSON_Delete(upd);
	return 0;
}
