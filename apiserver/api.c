/* api: request routing, helpers, Status errors and the server's lifetime. */
#include "apiserver.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "eddy/mem.h"

/* ---- small helpers ---- */

const char *obj_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *obj_ensure(cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsObject(v))
		return v;
	if (v)
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	return cJSON_AddObjectToObject(o, k);
}

cJSON *obj_meta(const cJSON *obj)
{
	cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	return cJSON_IsObject(m) ? m : NULL;
}

static int json_depth_ok(const char *t, size_t n)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[') {
			if (++depth > API_MAX_JSON_DEPTH)
				return 0;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 1;
}

cJSON *obj_parse(const char *text, size_t len, err *e)
{
	if (len > API_MAX_BODY) {
		err_fail(e, "RequestEntityTooLarge", "request body too large");
		return NULL;
	}
	if (!json_depth_ok(text, len)) {
		err_fail(e, "BadRequest", "json nesting too deep");
		return NULL;
	}
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!j) {
		size_t off = end && end >= text ? (size_t)(end - text) : 0;
		err_fail(e, "BadRequest",
			 "invalid character at offset %zu looking for beginning of "
			 "value",
			 off);
		return NULL;
	}
	return j;
}

void obj_timestamp(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *server_new_uid(apiserver *s)
{
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		for (size_t i = 0; i < sizeof(b); i++) {
			s->rand_state =
			    s->rand_state * 6364136223846793005UL + 1442695040888963407UL;
			b[i] = (unsigned char)(s->rand_state >> 33);
		}
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
			 b[12], b[13], b[14], b[15]);
}

char *obj_key(const api_type *ty, const char *ns, const char *name)
{
	const char *g = ty->group[0] ? ty->group : "core";
	if (ty->namespaced)
		return xasprintf("/%s/%s/%s/%s", g, ty->resource, ns ? ns : "", name ? name : "");
	return xasprintf("/%s/%s/%s", g, ty->resource, name ? name : "");
}

/* ---- query parameters ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *url_decode(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			d[j++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			d[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	return d;
}

void query_parse(api_query *q, const char *raw)
{
	memset(q, 0, sizeof(*q));
	if (!raw)
		return;
	const char *p = raw;
	while (*p && q->n < 256) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > 0) {
			const char *eq = memchr(p, '=', len);
			q->k = xrealloc(q->k, (q->n + 1) * sizeof(char *));
			q->v = xrealloc(q->v, (q->n + 1) * sizeof(char *));
			if (eq) {
				q->k[q->n] = url_decode(p, (size_t)(eq - p));
				q->v[q->n] = url_decode(eq + 1, len - (size_t)(eq - p) - 1);
			} else {
				q->k[q->n] = url_decode(p, len);
				q->v[q->n] = xstrdup("");
			}
			q->n++;
		}
		if (!amp)
			break;
		p = amp + 1;
	}
}

void query_release(api_query *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->k[i]);
		free(q->v[i]);
	}
	free(q->k);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

const char *query_get(const api_query *q, const char *k)
{
	for (size_t i = 0; i < q->n; i++)
		if (!strcmp(q->k[i], k))
			return q->v[i];
	return NULL;
}

int query_bool(const char *s)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
	if (!s)
		return -1;
	for (size_t i = 0; i < 6; i++) {
		if (!strcmp(s, t[i]))
			return 1;
		if (!strcmp(s, f[i]))
			return 0;
	}
	return -1;
}

/* ---- responses ---- */

void api_resp_init(api_resp *rs)
{
	memset(rs, 0, sizeof(*rs));
	buf_init(&rs->body, (size_t)1 << 30);
}

void api_resp_release(api_resp *rs)
{
	buf_release(&rs->body);
	free(rs->warning);
	rs->warning = NULL;
}

void resp_json(api_resp *rs, int code, cJSON *obj)
{
	char *t = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	buf_reset(&rs->body);
	buf_adds(&rs->body, t ? t : "{}");
	free(t);
	rs->code = code;
	rs->content_type = "application/json";
}

void resp_status(api_resp *rs, int code, const char *reason, const char *msg, cJSON *details)
{
	cJSON *st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	cJSON_AddObjectToObject(st, "metadata");
	cJSON_AddStringToObject(st, "status", code < 300 ? "Success" : "Failure");
	if (msg)
		cJSON_AddStringToObject(st, "message", msg);
	if (reason && *reason)
		cJSON_AddStringToObject(st, "reason", reason);
	if (details)
		cJSON_AddItemToObject(st, "details", details);
	cJSON_AddNumberToObject(st, "code", code);
	resp_json(rs, code, st);
}

void resp_statusf(api_resp *rs, int code, const char *reason, cJSON *details, const char *fmt,
                  ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	resp_status(rs, code, reason, m, details);
	free(m);
}

cJSON *resp_details(const api_type *ty, const char *name)
{
	cJSON *d = cJSON_CreateObject();
	if (name)
		cJSON_AddStringToObject(d, "name", name);
	if (ty && ty->group[0])
		cJSON_AddStringToObject(d, "group", ty->group);
	if (ty)
		cJSON_AddStringToObject(d, "kind", ty->resource);
	return d;
}

static char *qualified_resource(const api_type *ty)
{
	if (ty->group[0])
		return xasprintf("%s.%s", ty->resource, ty->group);
	return xstrdup(ty->resource);
}

void resp_not_found(api_resp *rs, const api_type *ty, const char *name)
{
	char *qr = qualified_resource(ty);
	resp_statusf(rs, 404, "NotFound", resp_details(ty, name), "%s \"%s\" not found", qr,
		     name);
	free(qr);
}

/* ---- lifetime ---- */

static void compact_cb(uv_timer_t *t)
{
	apiserver *s = t->data;
	int64_t target = store_rev(s->st) - s->opts.compact_retain;
	if (s->opts.compact_min_age > 0) {
		int64_t by_age = store_rev_at_time(s->st, (int64_t)time(NULL) -
							   s->opts.compact_min_age);
		if (by_age < target)
			target = by_age;
	}
	if (target > store_compact_rev(s->st)) {
		err e = {0};
		long n = store_compact(s->st, target, &e);
		if (n < 0)
			fprintf(stderr, "{\"level\":\"error\",\"msg\":\"compaction failed\","
				"\"error\":\"%s\"}\n", e.msg);
	}
}

static void gc_cb(uv_timer_t *t)
{
	apiserver *s = t->data;
	s->gc_pending = false;
	gc_run(s);
}

void gc_schedule(apiserver *s)
{
	/* Nothing has owners or is being deleted: a pass would find nothing to do. */
	if (s->gc_pending || s->closing || s->gc_idle)
		return;
	s->gc_pending = true;
	uv_timer_start(&s->gc_timer, gc_cb, 0, 0);
}

void watch_bookmark_all(apiserver *s);
void api_watch_end_all(apiserver *s);

static void bookmark_cb(uv_timer_t *t)
{
	watch_bookmark_all(t->data);
}

static int put_default(apiserver *s, const char *name, err *e)
{
	char *key = xasprintf("/core/namespaces/%s", name);
	store_row r;
	int found = store_get(s->st, key, &r, e);
	if (found != 0) {
		free(key);
		if (found > 0)
			store_row_release(&r);
		return found < 0 ? -1 : 0;
	}
	char ts[32];
	obj_timestamp(ts);
	char *uid = server_new_uid(s);
	int64_t rev = store_next_rev(s->st);
	char *v =
	    xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":"
		      "\"%s\",\"uid\":\"%s\",\"resourceVersion\":\"%lld\",\"creationTimestamp\":"
		      "\"%s\",\"labels\":{\"kubernetes.io/metadata.name\":\"%s\"}},\"spec\":"
		      "{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"Active\"}}",
		      name, uid, (long long)rev, ts, name);
	int64_t got = store_create(s->st, key, v, e);
	free(uid);
	free(v);
	free(key);
	return got < 0 ? -1 : 0;
}

static int load_crds(apiserver *s, err *e)
{
	store_row *rows;
	long n = store_list(s->st, "/apiextensions.k8s.io/customresourcedefinitions/", NULL, 0, 0,
			    &rows, NULL, e);
	if (n < 0)
		return -1;
	for (long i = 0; i < n; i++) {
		cJSON *crd = cJSON_Parse(rows[i].value);
		if (crd)
			types_add_crd(&s->types, crd);
		cJSON_Delete(crd);
	}
	store_rows_free(rows, (size_t)n);
	return 0;
}

int auth_load(apiserver *s, err *e);
int auth_seed_roles(apiserver *s, err *e);

apiserver *apiserver_new(uv_loop_t *loop, const apiserver_opts *opts, err *e)
{
	apiserver *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->opts = *opts;
	s->opts.server_address = xstrdup(opts->server_address ? opts->server_address : "");
	if (s->opts.compact_retain <= 0)
		s->opts.compact_retain = 1000;
	if (!s->opts.compact_interval_ms)
		s->opts.compact_interval_ms = 60000;
	if (!s->opts.bookmark_interval_ms)
		s->opts.bookmark_interval_ms = 10000;
	s->rand_state = (unsigned long)time(NULL) ^ (unsigned long)getpid();
	types_init(&s->types);
	s->st = store_open(opts->data_dir, e);
	if (!s->st)
		goto fail;
	if (load_crds(s, e) < 0)
		goto fail;
	static const char *const defaults[] = {"default", "kube-system", "kube-public",
					       "kube-node-lease"};
	for (size_t i = 0; i < 4; i++)
		if (put_default(s, defaults[i], e) < 0)
			goto fail;
	if (auth_load(s, e) < 0 || auth_seed_roles(s, e) < 0)
		goto fail;
	uv_timer_init(loop, &s->compact_timer);
	uv_timer_init(loop, &s->gc_timer);
	uv_timer_init(loop, &s->bookmark_timer);
	uv_timer_init(loop, &s->sim_timer);
	s->compact_timer.data = s->gc_timer.data = s->bookmark_timer.data = s;
	s->sim_timer.data = s;
	uv_timer_start(&s->compact_timer, compact_cb, s->opts.compact_interval_ms,
		       s->opts.compact_interval_ms);
	uv_timer_start(&s->bookmark_timer, bookmark_cb, s->opts.bookmark_interval_ms,
		       s->opts.bookmark_interval_ms);
	gc_schedule(s);
	return s;
fail:
	store_close(s->st);
	types_free(&s->types);
	free(s->opts.server_address);
	free(s);
	return NULL;
}

typedef struct close_ctx {
	apiserver *s;
	int pending;
	void (*cb)(void *);
	void *data;
} close_ctx;

void auth_free(apiserver *s);

static void timer_closed(uv_handle_t *h)
{
	close_ctx *cc = h->data;
	if (--cc->pending > 0)
		return;
	apiserver *s = cc->s;
	sim_free(s);
	store_close(s->st);
	types_free(&s->types);
	auth_free(s);
	free(s->opts.server_address);
	free(s);
	if (cc->cb)
		cc->cb(cc->data);
	free(cc);
}

void apiserver_close(apiserver *s, void (*cb)(void *), void *data)
{
	s->closing = 1;
	api_watch_end_all(s);
	close_ctx *cc = xcalloc(1, sizeof(*cc));
	cc->s = s;
	cc->pending = 4;
	cc->cb = cb;
	cc->data = data;
	s->compact_timer.data = s->gc_timer.data = s->bookmark_timer.data = cc;
	s->sim_timer.data = cc;
	uv_close((uv_handle_t *)&s->compact_timer, timer_closed);
	uv_close((uv_handle_t *)&s->sim_timer, timer_closed);
	uv_close((uv_handle_t *)&s->gc_timer, timer_closed);
	uv_close((uv_handle_t *)&s->bookmark_timer, timer_closed);
}

/* ---- routing ---- */

static void version_doc(api_resp *rs)
{
	cJSON *v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "major", "1");
	cJSON_AddStringToObject(v, "minor", "33");
	cJSON_AddStringToObject(v, "gitVersion", "v1.33.0");
	cJSON_AddStringToObject(v, "gitCommit", "eddy");
	cJSON_AddStringToObject(v, "gitTreeState", "clean");
	cJSON_AddStringToObject(v, "buildDate", "2026-01-01T00:00:00Z");
	cJSON_AddStringToObject(v, "goVersion", "go1.24.0");
	cJSON_AddStringToObject(v, "compiler", "gc");
	cJSON_AddStringToObject(v, "platform", "linux/amd64");
	resp_json(rs, 200, v);
}

enum { MAX_SEGS = 16 };

void api_handle(apiserver *s, const api_req *rq, api_resp *rs)
{
	api_resp_init(rs);
	const char *path = rq->path ? rq->path : "/";
	if (!strcmp(path, "/healthz") || !strcmp(path, "/livez") || !strcmp(path, "/readyz") ||
	    !strncmp(path, "/healthz/", 9) || !strncmp(path, "/livez/", 7) ||
	    !strncmp(path, "/readyz/", 8)) {
		buf_adds(&rs->body, "ok");
		rs->code = 200;
		rs->content_type = "text/plain; charset=utf-8";
		return;
	}
	if (!strcmp(path, "/version") || !strcmp(path, "/version/")) {
		/* Public, as system:public-info-viewer makes it upstream. */
		version_doc(rs);
		return;
	}
	if (rq->accept && *rq->accept && !strstr(rq->accept, "json") && !strchr(rq->accept, '*') &&
	    strncmp(path, "/openapi/", 9) != 0) {
		resp_statusf(rs, 406, "NotAcceptable", NULL,
			     "only the following media types are accepted: application/json, "
			     "application/json;as=Table;v=v1;g=meta.k8s.io");
		return;
	}
	api_ctx c = {.s = s, .rq = rq, .rs = rs};
	query_parse(&c.q, rq->query);
	auth_identify(&c);
	if (rs->code) /* authentication failed */
		goto out;
	if (!strncmp(path, "/openapi/", 9)) {
		openapi_handle(&c, path);
		goto out;
	}
	/* Split into segments. */
	char *copy = xstrdup(path);
	const char *seg[MAX_SEGS];
	size_t nseg = 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (nseg == MAX_SEGS) {
			nseg = MAX_SEGS + 1;
			break;
		}
		seg[nseg++] = t;
	}
	if (nseg == 0 || nseg > MAX_SEGS ||
	    (strcmp(seg[0], "api") != 0 && strcmp(seg[0], "apis") != 0)) {
		rs->code = 404;
		rs->content_type = "text/plain; charset=utf-8";
		buf_adds(&rs->body, "404 page not found\n");
		free(copy);
		goto out;
	}
	bool core = !strcmp(seg[0], "api");
	size_t gv_len = core ? 2 : 3;
	if (nseg <= gv_len) {
		discovery_handle(&c, seg, nseg);
		free(copy);
		goto out;
	}
	const char *group = core ? "" : seg[1];
	const char *version = core ? seg[1] : seg[2];
	const char **rest = seg + gv_len;
	size_t nrest = nseg - gv_len;
	const char *res = NULL, *ns = NULL, *name = NULL, *sub = NULL;
	bool ok = true;
	if (!strcmp(rest[0], "namespaces") && nrest >= 3) {
		api_type *t = types_find(&s->types, group, version, rest[2]);
		if (nrest == 3 && !(t && t->namespaced)) {
			/* /namespaces/NAME/status|finalize */
			res = "namespaces";
			name = rest[1];
			sub = rest[2];
		} else {
			ns = rest[1];
			res = rest[2];
			if (nrest >= 4)
				name = rest[3];
			if (nrest >= 5)
				sub = rest[4];
			if (nrest > 5)
				ok = false;
		}
	} else {
		res = rest[0];
		if (nrest >= 2)
			name = rest[1];
		if (nrest >= 3)
			sub = rest[2];
		if (nrest > 3)
			ok = false;
	}
	c.ty = ok ? types_find(&s->types, group, version, res) : NULL;
	if (!c.ty || (ns && !c.ty->namespaced)) {
		rs->code = 404;
		rs->content_type = "application/json";
		resp_status(rs, 404, "NotFound", "the server could not find the requested resource",
			    cJSON_CreateObject());
		free(copy);
		goto out;
	}
	c.ns = ns;
	c.name = name;
	c.sub = sub;
	res_handle(&c);
	free(copy);
out:
	free(c.groups);
	free(c.user_buf);
	for (size_t i = 0; i < c.n_group_bufs; i++)
		free(c.group_bufs[i]);
	free(c.group_bufs);
	query_release(&c.q);
}
