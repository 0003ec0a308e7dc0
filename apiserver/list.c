/* list: list (limit/continue, selectors, resourceVersion semantics) and deletecollection, and
 * the selector and resourceVersion handling watch shares. */
#include "list.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd.h"
#include "eddy/codec.h"
#include "eddy/mem.h"
#include "eddy/yml.h"
#include "object.h"
#include "resource.h"
#include "resp.h"
#include "table.h"

/* ---- field selectors ---- */

static const char *field_value(const cJSON *obj, const char *field, char *tmp, size_t n)
{
	const cJSON *cur = yml_get_path(obj, field);
	if (!cur)
		return NULL;
	if (cJSON_IsString(cur))
		return cur->valuestring;
	if (cJSON_IsBool(cur))
		return cJSON_IsTrue(cur) ? "true" : "false";
	if (cJSON_IsNumber(cur)) {
		snprintf(tmp, n, "%lld", (long long)cur->valuedouble);
		return tmp;
	}
	return NULL;
}

static bool field_supported(const api_type *ty, const char *f)
{
	if (!strcmp(f, "metadata.name") || !strcmp(f, "metadata.namespace"))
		return true;
	if (ty->fields) {
		size_t n = strlen(f);
		const char *p = ty->fields;
		while ((p = strstr(p, f))) {
			if ((p == ty->fields || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
				return true;
			p += n;
		}
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, ty->selectable) {
		const char *jp = json_str(it, "jsonPath");
		if (jp && jp[0] == '.' && !strcmp(jp + 1, f))
			return true;
	}
	return false;
}

/* Parse labelSelector and fieldSelector; 0 or -1 answered. */
int list_selectors(api_ctx *c, lsel *ls, sel *fs)
{
	err e = {0};
	memset(fs, 0, sizeof(*fs));
	if (sel_parse_labels(ls, query_get(&c->q, "labelSelector"), &e) < 0) {
		resp_status(c->rs, 400, "BadRequest", e.msg, NULL);
		return -1;
	}
	if (sel_parse_fields(fs, query_get(&c->q, "fieldSelector"), &e) < 0) {
		lsel_release(ls);
		resp_status(c->rs, 400, "BadRequest", e.msg, NULL);
		return -1;
	}
	for (size_t i = 0; i < fs->n; i++) {
		if (!field_supported(c->ty, fs->terms[i].key)) {
			resp_statusf(c->rs, 400, "BadRequest", NULL,
				     "field label not supported: %s", fs->terms[i].key);
			lsel_release(ls);
			sel_release(fs);
			return -1;
		}
	}
	return 0;
}

bool list_matches(const lsel *ls, const sel *fs, const cJSON *obj)
{
	if (!obj)
		return false;
	const cJSON *labels = json_get(obj_meta(obj), "labels");
	return lsel_matches(ls, labels) && sel_match_fields(fs, obj, field_value);
}

/* Can stored objects of ty go out without parsing (one version, no defaults)? */
bool list_fast_path(apiserver *s, const api_type *ty)
{
	if (ty->crd && ty->schema)
		return false;
	for (size_t i = 0; i < s->types.n; i++) {
		const api_type *o = s->types.v[i];
		if (o != ty && !strcmp(o->group, ty->group) && !strcmp(o->resource, ty->resource))
			return false;
	}
	return true;
}

char *list_prefix(api_ctx *c)
{
	char *p = types_key_prefix(c->ty);
	if (c->ty->namespaced && c->ns) {
		char *q = xasprintf("%s%s/", p, c->ns);
		free(p);
		return q;
	}
	return p;
}

/* ---- continue tokens ---- */

static char *encode_continue(int64_t rev, const char *key)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "v", "meta.k8s.io/v1");
	cJSON_AddNumberToObject(o, "rv", (double)rev);
	cJSON_AddStringToObject(o, "start", key);
	char *t = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *out = b64_encode(t, strlen(t), B64_STD);
	free(t);
	return out;
}

static int decode_continue(const char *tok, int64_t *rev, char **key)
{
	size_t n = strlen(tok);
	if (n == 0 || n > 8192 || n % 4)
		return -1;
	size_t len;
	char *raw = b64_decode(tok, n, B64_STD, 0, &len);
	if (!raw)
		return -1;
	while (len > 0 && raw[len - 1] == '\0')
		len--;
	cJSON *o = cJSON_ParseWithLength(raw, len);
	free(raw);
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(o, "rv");
	const char *start = json_str(o, "start");
	if (!cJSON_IsNumber(rv) || !start) {
		cJSON_Delete(o);
		return -1;
	}
	*rev = (int64_t)rv->valuedouble;
	*key = xstrdup(start);
	cJSON_Delete(o);
	return 0;
}

int list_parse_rv(const char *s, int64_t *out)
{
	if (!s || !*s)
		return 0;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || errno || v < 0)
		return -1;
	*out = v;
	return 1;
}

static void expired(api_resp *rs, const char *msg)
{
	resp_status(rs, 410, "Expired", msg, NULL);
}

/* ---- list ---- */

typedef struct collected {
	store_row *rows;
	size_t n, cap;
	char *next_key; /* where a following page starts (NULL: no more) */
	long remaining;
} collected;

/* Gather up to limit matching rows as of rev at, starting after start. -1 answered. */
static int collect(api_ctx *c, const char *prefix, const char *start, int64_t at, size_t limit,
		   const lsel *ls, const sel *fs, collected *out)
{
	memset(out, 0, sizeof(*out));
	bool filter = ls->n || fs->n;
	char *cursor = start ? xstrdup(start) : NULL;
	for (;;) {
		size_t want = limit ? (filter ? (limit < 500 ? 500 : limit) : limit - out->n) : 0;
		store_row *rows;
		bool more = false;
		err e = {0};
		long n = store_list(c->s->st, prefix, cursor, at, want, &rows, &more, &e);
		if (n < 0) {
			free(cursor);
			if (!strcmp(e.reason, "Compacted"))
				expired(
				    c->rs,
				    "The provided continue parameter is too old to display a "
				    "consistent list result. You can start a new list without the "
				    "continue parameter.");
			else
				resp_status(c->rs, 500, "InternalError", e.msg, NULL);
			store_rows_free(out->rows, out->n);
			out->rows = NULL;
			return -1;
		}
		long i;
		for (i = 0; i < n; i++) {
			if (limit && out->n == limit)
				break;
			bool keep = true;
			if (filter) {
				cJSON *o = cJSON_Parse(rows[i].value);
				keep = list_matches(ls, fs, o);
				cJSON_Delete(o);
			}
			if (keep) {
				if (out->n == out->cap) {
					out->cap = out->cap ? out->cap * 2 : 64;
					out->rows =
					    xrealloc(out->rows, out->cap * sizeof(store_row));
				}
				out->rows[out->n++] = rows[i];
				memset(&rows[i], 0, sizeof(rows[i]));
			}
			free(cursor);
			cursor = xstrdup(rows[i].key ? rows[i].key : out->rows[out->n - 1].key);
		}
		bool page_full = limit && out->n == limit;
		bool left = i < n || more;
		store_rows_free(rows, (size_t)n);
		if (page_full) {
			if (left) {
				out->next_key = cursor;
				cursor = NULL;
				if (!filter)
					out->remaining =
					    store_count(c->s->st, prefix, out->next_key, at);
			}
			break;
		}
		if (!more)
			break;
	}
	free(cursor);
	return 0;
}

static void add_item(api_ctx *c, buf *b, const char *text, bool fast, cJSON *table, bool inc)
{
	if (table || !fast) {
		cJSON *o = cJSON_Parse(text);
		if (!o)
			return;
		if (c->ty->crd && c->ty->schema)
			crd_default(c->ty->schema, o);
		obj_set_version(o, c->ty);
		if (table) {
			table_add_row(table, c->ty, o, inc);
			cJSON_Delete(o);
			return;
		}
		char *t = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (b->len && b->data[b->len - 1] != '[')
			buf_addc(b, ',');
		buf_adds(b, t);
		free(t);
		return;
	}
	if (b->len && b->data[b->len - 1] != '[')
		buf_addc(b, ',');
	buf_adds(b, text);
}

void list_handle(api_ctx *c)
{
	lsel ls;
	sel fs;
	if (list_selectors(c, &ls, &fs) < 0)
		return;
	const char *lim = query_get(&c->q, "limit"), *cont = query_get(&c->q, "continue");
	const char *rvs = query_get(&c->q, "resourceVersion");
	const char *rvm = query_get(&c->q, "resourceVersionMatch");
	size_t limit = 0;
	if (lim && *lim) {
		char *end;
		long long v = strtoll(lim, &end, 10);
		if (*end == '\0' && v > 0)
			limit = (size_t)v;
	}
	int64_t at = 0, rv = 0;
	char *start = NULL;
	char *prefix = list_prefix(c);
	if (list_parse_rv(rvs, &rv) < 0) {
		resp_statusf(c->rs, 400, "BadRequest", NULL, "invalid resource version: %s", rvs);
		goto out;
	}
	if (rvm && *rvm && !(rvs && *rvs)) {
		resp_status(c->rs, 422, "Invalid", "resourceVersionMatch is forbidden unless "
			    "resourceVersion is provided", NULL);
		goto out;
	}
	if (cont && *cont) {
		if (rvs && *rvs && strcmp(rvs, "0") != 0) {
			resp_status(c->rs, 400, "BadRequest", "specifying resource version is not "
				    "allowed when using continue", NULL);
			goto out;
		}
		if (decode_continue(cont, &at, &start) < 0 || strncmp(start, prefix,
			strlen(prefix)) != 0) {
			resp_status(c->rs, 400, "BadRequest", "continue key is not valid", NULL);
			goto out;
		}
		if (at < store_compact_rev(c->s->st)) {
			expired(
			    c->rs,
			    "The provided continue parameter is too old to display a "
			    "consistent list result. You can start a new list without the continue "
			    "parameter.");
			goto out;
		}
	} else if (rv > 0) {
		int64_t cur = store_rev(c->s->st);
		if (rv > cur) {
			cJSON *d = cJSON_CreateObject();
			cJSON *causes = cJSON_AddArrayToObject(d, "causes");
			cJSON *cz = cJSON_CreateObject();
			cJSON_AddStringToObject(cz, "reason", "ResourceVersionTooLarge");
			cJSON_AddStringToObject(cz, "message", "Too large resource version");
			cJSON_AddItemToArray(causes, cz);
			cJSON_AddNumberToObject(d, "retryAfterSeconds", 1);
			resp_statusf(c->rs, 504, "Timeout", d, "Too large resource version: %lld, "
				     "current: %lld", (long long)rv, (long long)cur);
			goto out;
		}
		if (rvm && !strcmp(rvm, "Exact")) {
			if (rv < store_compact_rev(c->s->st)) {
				char *m = xasprintf("too old resource version: %lld (%lld)",
						    (long long)rv,
						    (long long)store_compact_rev(c->s->st));
				expired(c->rs, m);
				free(m);
				goto out;
			}
			at = rv;
		}
	}
	if (at <= 0)
		at = store_rev(c->s->st);
	collected col;
	if (collect(c, prefix, start, at, limit, &ls, &fs, &col) < 0)
		goto out;
	bool table = table_wanted(c->rq->accept);
	const char *inc = query_get(&c->q, "includeObject");
	bool include = inc && !strcmp(inc, "Object");
	bool fast = list_fast_path(c->s, c->ty);
	char *cont_tok = col.next_key ? encode_continue(at, col.next_key) : NULL;
	if (table) {
		cJSON *t = table_new(c->ty, true);
		for (size_t i = 0; i < col.n; i++)
			add_item(c, NULL, col.rows[i].value, fast, t, include);
		cJSON *m = json_obj_ensure(t, "metadata");
		char b[32];
		snprintf(b, sizeof(b), "%lld", (long long)at);
		cJSON_AddStringToObject(m, "resourceVersion", b);
		if (cont_tok)
			cJSON_AddStringToObject(m, "continue", cont_tok);
		resp_json(c->rs, 200, t);
	} else {
		buf *b = &c->rs->body;
		buf_reset(b);
		char *av = types_api_version(c->ty);
		buf_addf(b,
			 "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":"
			 "\"%lld\"",
			 c->ty->list_kind, av, (long long)at);
		free(av);
		if (cont_tok) {
			buf_addf(b, ",\"continue\":\"%s\"", cont_tok);
			if (col.remaining > 0)
				buf_addf(b, ",\"remainingItemCount\":%ld", col.remaining);
		}
		buf_adds(b, "},\"items\":[");
		for (size_t i = 0; i < col.n; i++)
			add_item(c, b, col.rows[i].value, fast, NULL, false);
		buf_adds(b, "]}");
		c->rs->code = 200;
		c->rs->content_type = "application/json";
	}
	free(cont_tok);
	free(col.next_key);
	store_rows_free(col.rows, col.n);
out:
	free(start);
	free(prefix);
	lsel_release(&ls);
	sel_release(&fs);
}

/* ---- deletecollection ---- */

void list_delete_collection(api_ctx *c)
{
	lsel ls;
	sel fs;
	if (list_selectors(c, &ls, &fs) < 0)
		return;
	char *prefix = list_prefix(c);
	collected col;
	if (collect(c, prefix, NULL, 0, 0, &ls, &fs, &col) == 0) {
		cJSON *opts = NULL;
		if (c->rq->body_len)
			opts = cJSON_ParseWithLength(c->rq->body, c->rq->body_len);
		const char *prop = json_str(opts, "propagationPolicy");
		store_begin(c->s->st);
		for (size_t i = 0; i < col.n; i++) {
			cJSON *o = cJSON_Parse(col.rows[i].value);
			const cJSON *m = obj_meta(o);
			err e = {0};
			if (m)
				res_delete_object(c->s, c->ty, json_str(m, "namespace"),
						  json_str(m, "name"), prop, NULL, c->dry_run, NULL,
						  &e);
			cJSON_Delete(o);
		}
		store_commit(c->s->st);
		cJSON_Delete(opts);
		store_rows_free(col.rows, col.n);
		free(col.next_key);
		resp_status(c->rs, 200, NULL, NULL, NULL);
	}
	free(prefix);
	lsel_release(&ls);
	sel_release(&fs);
}
