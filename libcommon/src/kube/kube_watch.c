/* kube: watch streams and their line parser (eddy/kube.h). */
#include "kube_internal.h"
#include "eddy/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		kube_set_type(obj, w->av, w->kind);
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
	char *base = kube_res_url(k, &r, o ? o->namespace_ : NULL, NULL, NULL);
	kube_resource_release(&r);
	int ts = o && o->timeout_seconds > 0 ? o->timeout_seconds : 300 + rand() % 300;
	buf u;
	buf_init(&u, 1 << 20);
	buf_adds(&u, base);
	free(base);
	buf_adds(&u, "?watch=true&allowWatchBookmarks=true");
	buf_addf(&u, "&timeoutSeconds=%d", ts);
	if (o) {
		kube_q_add(&u, "labelSelector", o->label_selector);
		kube_q_add(&u, "fieldSelector", o->field_selector);
	}
	if (rv && *rv && **rv)
		kube_q_add(&u, "resourceVersion", *rv);
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
	int rc = kube_perform(k, &w.r, e);
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
