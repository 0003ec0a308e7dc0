/* watch: list (limit/continue, selectors, resourceVersion), deletecollection and watch. */
#include "apiserver.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"

struct api_watch {
	apiserver *s;
	api_watch *prev, *next;
	bool linked, started, ended;
	char *prefix;
	char *only_key; /* a single-object watch */
	char *group, *version, *resource, *api_version, *kind;
	bool fast; /* stored text can be sent as is */
	bool table; /* events carry one-row Tables (kubectl get -w) */
	bool table_sent_defs;
	sel lsel, fsel;
	const char *fields_extra;
	int64_t from_rev;
	bool initial, initial_bookmark, bookmarks;
	int64_t expired; /* >0: answer with a 410 ERROR event */
	uint64_t timeout_ms;
	uv_timer_t timer;
	api_watch_sink sink;
};

/* ---- field selectors ---- */

static const char *field_value(const cJSON *obj, const char *field, char *tmp, size_t n)
{
	char *copy = xstrdup(field), *save = NULL;
	const cJSON *cur = obj;
	for (char *t = strtok_r(copy, ".", &save); t && cur; t = strtok_r(NULL, ".", &save))
		cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, t) : NULL;
	free(copy);
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
		const char *jp = obj_str(it, "jsonPath");
		if (jp && jp[0] == '.' && !strcmp(jp + 1, f))
			return true;
	}
	return false;
}

/* Parse labelSelector and fieldSelector; 0 or -1 answered. */
static int parse_selectors(api_ctx *c, sel *ls, sel *fs)
{
	err e = {0};
	memset(fs, 0, sizeof(*fs));
	if (sel_parse_labels(ls, query_get(&c->q, "labelSelector"), &e) < 0) {
		resp_status(c->rs, 400, "BadRequest", e.msg, NULL);
		return -1;
	}
	if (sel_parse_fields(fs, query_get(&c->q, "fieldSelector"), &e) < 0) {
		sel_release(ls);
		resp_status(c->rs, 400, "BadRequest", e.msg, NULL);
		return -1;
	}
	for (size_t i = 0; i < fs->n; i++) {
		if (!field_supported(c->ty, fs->terms[i].key)) {
			resp_statusf(c->rs, 400, "BadRequest", NULL,
				     "field label not supported: %s", fs->terms[i].key);
			sel_release(ls);
			sel_release(fs);
			return -1;
		}
	}
	return 0;
}

static bool matches(const sel *ls, const sel *fs, const cJSON *obj)
{
	if (!obj)
		return false;
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "labels");
	return sel_match_labels(ls, labels) && sel_match_fields(fs, obj, field_value);
}

/* Can stored objects of ty go out without parsing (one version, no defaults)? */
static bool fast_path(apiserver *s, const api_type *ty)
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

static char *list_prefix(api_ctx *c)
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
	size_t n = strlen(t);
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)t, (int)n);
	free(t);
	return out;
}

static int decode_continue(const char *tok, int64_t *rev, char **key)
{
	size_t n = strlen(tok);
	if (n == 0 || n > 8192 || n % 4)
		return -1;
	unsigned char *raw = xmalloc(n);
	int len = EVP_DecodeBlock(raw, (const unsigned char *)tok, (int)n);
	if (len < 0) {
		free(raw);
		return -1;
	}
	while (len > 0 && raw[len - 1] == '\0')
		len--;
	cJSON *o = cJSON_ParseWithLength((const char *)raw, (size_t)len);
	free(raw);
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(o, "rv");
	const char *start = obj_str(o, "start");
	if (!cJSON_IsNumber(rv) || !start) {
		cJSON_Delete(o);
		return -1;
	}
	*rev = (int64_t)rv->valuedouble;
	*key = xstrdup(start);
	cJSON_Delete(o);
	return 0;
}

static int parse_rv(const char *s, int64_t *out)
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
		   const sel *ls, const sel *fs, collected *out)
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
				keep = matches(ls, fs, o);
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
	sel ls, fs;
	if (parse_selectors(c, &ls, &fs) < 0)
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
	if (parse_rv(rvs, &rv) < 0) {
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
	bool fast = fast_path(c->s, c->ty);
	char *cont_tok = col.next_key ? encode_continue(at, col.next_key) : NULL;
	if (table) {
		cJSON *t = table_new(c->ty, true);
		for (size_t i = 0; i < col.n; i++)
			add_item(c, NULL, col.rows[i].value, fast, t, include);
		cJSON *m = obj_ensure(t, "metadata");
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
	sel_release(&ls);
	sel_release(&fs);
}

/* ---- deletecollection ---- */

void list_delete_collection(api_ctx *c)
{
	sel ls, fs;
	if (parse_selectors(c, &ls, &fs) < 0)
		return;
	char *prefix = list_prefix(c);
	collected col;
	if (collect(c, prefix, NULL, 0, 0, &ls, &fs, &col) == 0) {
		cJSON *opts = NULL;
		if (c->rq->body_len)
			opts = cJSON_ParseWithLength(c->rq->body, c->rq->body_len);
		const char *prop = obj_str(opts, "propagationPolicy");
		store_begin(c->s->st);
		for (size_t i = 0; i < col.n; i++) {
			cJSON *o = cJSON_Parse(col.rows[i].value);
			const cJSON *m = obj_meta(o);
			err e = {0};
			if (m)
				res_delete_object(c->s, c->ty, obj_str(m, "namespace"), obj_str(m, "name"), prop,
					   NULL, c->dry_run, NULL, &e);
			cJSON_Delete(o);
		}
		store_commit(c->s->st);
		cJSON_Delete(opts);
		store_rows_free(col.rows, col.n);
		free(col.next_key);
		resp_status(c->rs, 200, NULL, NULL, NULL);
	}
	free(prefix);
	sel_release(&ls);
	sel_release(&fs);
}

/* ---- watch ---- */

static void watch_free_cb(uv_handle_t *h)
{
	api_watch *w = h->data;
	free(w->prefix);
	free(w->only_key);
	free(w->group);
	free(w->version);
	free(w->resource);
	free(w->api_version);
	free(w->kind);
	sel_release(&w->lsel);
	sel_release(&w->fsel);
	free(w);
}

static void unlink_watch(api_watch *w)
{
	if (!w->linked)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		w->s->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->linked = false;
	w->prev = w->next = NULL;
}

static void watch_destroy(api_watch *w)
{
	unlink_watch(w);
	if (w->started) {
		uv_timer_stop(&w->timer);
		uv_close((uv_handle_t *)&w->timer, watch_free_cb);
	} else {
		w->timer.data = w;
		watch_free_cb((uv_handle_t *)&w->timer);
	}
}

static void watch_end(api_watch *w)
{
	if (w->ended)
		return;
	w->ended = true;
	unlink_watch(w);
	if (w->sink.end)
		w->sink.end(w->sink.ctx);
	watch_destroy(w);
}

void api_watch_cancel(api_watch *w)
{
	if (!w || w->ended)
		return;
	w->ended = true;
	watch_destroy(w);
}

static void send_line(api_watch *w, const char *text, size_t len)
{
	if (w->ended || !w->sink.write)
		return;
	w->sink.write(w->sink.ctx, text, len);
}

static void send_event(api_watch *w, const char *type, const char *value, cJSON *parsed)
{
	buf b;
	buf_init(&b, (size_t)API_MAX_BODY * 4);
	buf_addf(&b, "{\"type\":\"%s\",\"object\":", type);
	if (w->table) {
		cJSON *o = parsed ? cJSON_Duplicate(parsed, 1) : cJSON_Parse(value);
		api_type *ty = types_find(&w->s->types, w->group, w->version, w->resource);
		if (!o || !ty) {
			cJSON_Delete(o);
			buf_release(&b);
			return;
		}
		if (ty->crd && ty->schema)
			crd_default(ty->schema, o);
		obj_set_version(o, ty);
		cJSON *t = table_new(ty, !w->table_sent_defs);
		w->table_sent_defs = true;
		table_add_row(t, ty, o, false);
		char *txt = cJSON_PrintUnformatted(t);
		cJSON_Delete(t);
		cJSON_Delete(o);
		buf_adds(&b, txt);
		free(txt);
	} else if (w->fast && value) {
		buf_adds(&b, value);
	} else {
		cJSON *o = parsed ? cJSON_Duplicate(parsed, 1) : cJSON_Parse(value);
		if (!o) {
			buf_release(&b);
			return;
		}
		api_type *ty = types_find(&w->s->types, w->group, w->version, w->resource);
		if (ty && ty->crd && ty->schema)
			crd_default(ty->schema, o);
		cJSON *av = cJSON_GetObjectItemCaseSensitive(o, "apiVersion");
		if (av)
			cJSON_ReplaceItemInObjectCaseSensitive(o, "apiVersion",
							       cJSON_CreateString(w->api_version));
		char *t = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		buf_adds(&b, t);
		free(t);
	}
	buf_adds(&b, "}\n");
	send_line(w, buf_str(&b), b.len);
	buf_release(&b);
}

static void send_bookmark(api_watch *w, int64_t rev, bool initial_end)
{
	char *t = xasprintf(
	    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":"
	    "\"%s\",\"metadata\":{\"resourceVersion\":\"%lld\"%s}}}\n",
	    w->kind, w->api_version, (long long)rev,
	    initial_end ? ",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}" : "");
	send_line(w, t, strlen(t));
	free(t);
}

static bool key_in(const api_watch *w, const char *key)
{
	if (w->only_key)
		return !strcmp(key, w->only_key);
	return !strncmp(key, w->prefix, strlen(w->prefix));
}

/* Deliver one committed change to w. */
static void deliver(api_watch *w, char type, int64_t rev, const char *key, const char *value,
		    const char *prev)
{
	if (w->ended || rev <= w->from_rev || !key_in(w, key))
		return;
	w->from_rev = rev;
	bool filter = w->lsel.n || w->fsel.n;
	if (!filter) {
		send_event(w, type == 'A' ? "ADDED" : type == 'M' ? "MODIFIED" : "DELETED", value,
			   NULL);
		return;
	}
	cJSON *now = cJSON_Parse(value);
	bool now_m = matches(&w->lsel, &w->fsel, now);
	if (type == 'A') {
		if (now_m)
			send_event(w, "ADDED", value, now);
	} else if (type == 'D') {
		if (now_m)
			send_event(w, "DELETED", value, now);
	} else {
		cJSON *old = prev ? cJSON_Parse(prev) : NULL;
		bool old_m = old ? matches(&w->lsel, &w->fsel, old) : now_m;
		if (old_m && now_m)
			send_event(w, "MODIFIED", value, now);
		else if (!old_m && now_m)
			send_event(w, "ADDED", value, now);
		else if (old_m && !now_m)
			send_event(w, "DELETED", value, now);
		cJSON_Delete(old);
	}
	cJSON_Delete(now);
}

void watch_emit(apiserver *s, char type, int64_t rev, const char *key, const char *value,
              const char *prev)
{
	if (type != 'D' && value && (strstr(value, "\"ownerReferences\"") ||
				     strstr(value, "\"deletionTimestamp\"")))
		s->gc_idle = false;
	api_watch *w = s->watches;
	while (w) {
		api_watch *next = w->next;
		deliver(w, type, rev, key, value, prev);
		w = next;
	}
}

void watch_bookmark_all(apiserver *s)
{
	int64_t rev = store_rev(s->st);
	api_watch *w = s->watches;
	while (w) {
		api_watch *next = w->next;
		if (w->bookmarks && !w->ended) {
			if (rev > w->from_rev)
				w->from_rev = rev;
			send_bookmark(w, w->from_rev, false);
		}
		w = next;
	}
}

void api_watch_end_all(apiserver *s)
{
	while (s->watches)
		watch_end(s->watches);
}

static void timeout_cb(uv_timer_t *t)
{
	watch_end(t->data);
}

void watch_create(api_ctx *c)
{
	sel ls, fs;
	if (parse_selectors(c, &ls, &fs) < 0)
		return;
	const char *rvs = query_get(&c->q, "resourceVersion");
	const char *rvm = query_get(&c->q, "resourceVersionMatch");
	int sie = query_bool(query_get(&c->q, "sendInitialEvents"));
	int64_t rv = 0;
	if (parse_rv(rvs, &rv) < 0) {
		resp_statusf(c->rs, 400, "BadRequest", NULL, "invalid resource version: %s", rvs);
		goto fail;
	}
	if (sie == 1 && !(rvm && !strcmp(rvm, "NotOlderThan"))) {
		cJSON *d = cJSON_CreateObject();
		cJSON *causes = cJSON_AddArrayToObject(d, "causes");
		cJSON *cz = cJSON_CreateObject();
		cJSON_AddStringToObject(cz, "reason", "FieldValueInvalid");
		cJSON_AddStringToObject(cz, "message", "Invalid value: \"\": sendInitialEvents "
					"requires setting resourceVersionMatch to NotOlderThan");
		cJSON_AddStringToObject(cz, "field", "resourceVersionMatch");
		cJSON_AddItemToArray(causes, cz);
		resp_status(c->rs, 422, "Invalid", "ListOptions.meta.k8s.io \"\" is invalid: "
			    "resourceVersionMatch: Invalid value: \"\": sendInitialEvents requires "
			    "setting resourceVersionMatch to NotOlderThan", d);
		goto fail;
	}
	api_watch *w = xcalloc(1, sizeof(*w));
	w->s = c->s;
	w->prefix = list_prefix(c);
	if (c->name)
		w->only_key = obj_key(c->ty, c->ns, c->name);
	w->group = xstrdup(c->ty->group);
	w->version = xstrdup(c->ty->version);
	w->resource = xstrdup(c->ty->resource);
	w->api_version = types_api_version(c->ty);
	w->kind = xstrdup(c->ty->kind);
	w->fast = fast_path(c->s, c->ty);
	w->table = table_wanted(c->rq->accept);
	/* kubectl printed the header with the list: rows only. */
	w->table_sent_defs = true;
	w->lsel = ls;
	w->fsel = fs;
	w->bookmarks = query_bool(query_get(&c->q, "allowWatchBookmarks")) == 1;
	if (sie == 1) {
		w->initial = true;
		w->initial_bookmark = true;
		w->bookmarks = true;
	} else if (rv == 0) {
		w->initial = sie != 0;
	} else {
		if (rv < store_compact_rev(c->s->st))
			w->expired = rv;
		w->from_rev = rv;
	}
	const char *ts = query_get(&c->q, "timeoutSeconds");
	long long secs = 1800;
	if (ts && *ts) {
		char *end;
		long long v = strtoll(ts, &end, 10);
		if (*end == '\0' && v > 0 && v < 1800)
			secs = v;
	}
	w->timeout_ms = (uint64_t)secs * 1000;
	c->rs->code = 200;
	c->rs->content_type = "application/json";
	c->rs->watch = w;
	return;
fail:
	sel_release(&ls);
	sel_release(&fs);
}

static void send_expired(api_watch *w)
{
	char *t = xasprintf("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":"
			    "\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
			    "\"too old resource version: %lld (%lld)\",\"reason\":\"Expired\","
			    "\"code\":410}}\n", (long long)w->expired,
			    (long long)store_compact_rev(w->s->st));
	send_line(w, t, strlen(t));
	free(t);
	watch_end(w);
}

void api_watch_start(api_watch *w, const api_watch_sink *sink)
{
	apiserver *s = w->s;
	w->sink = *sink;
	uv_timer_init(s->loop, &w->timer);
	w->timer.data = w;
	w->started = true;
	if (w->expired) {
		send_expired(w);
		return;
	}
	if (w->initial) {
		int64_t at = store_rev(s->st);
		store_row *rows;
		err e = {0};
		long n = store_list(s->st, w->prefix, NULL, at, 0, &rows, NULL, &e);
		for (long i = 0; i < n && !w->ended; i++) {
			if (w->only_key && strcmp(rows[i].key, w->only_key) != 0)
				continue;
			if (w->lsel.n || w->fsel.n) {
				cJSON *o = cJSON_Parse(rows[i].value);
				if (matches(&w->lsel, &w->fsel, o))
					send_event(w, "ADDED", rows[i].value, o);
				cJSON_Delete(o);
			} else {
				send_event(w, "ADDED", rows[i].value, NULL);
			}
		}
		if (n > 0)
			store_rows_free(rows, (size_t)n);
		w->from_rev = at;
		if (w->initial_bookmark)
			send_bookmark(w, at, true);
	} else {
		store_row *rows;
		err e = {0};
		long n = store_since(s->st, w->prefix, w->from_rev, 0, &rows, &e);
		if (n < 0) {
			w->expired = w->from_rev;
			send_expired(w);
			return;
		}
		for (long i = 0; i < n && !w->ended; i++) {
			store_row *r = &rows[i];
			char type = r->created ? 'A' : r->deleted ? 'D' : 'M';
			char *prev = NULL;
			if (type == 'M' && (w->lsel.n || w->fsel.n) && r->prev_rev)
				prev = store_value_at(s->st, r->prev_rev);
			deliver(w, type, r->rev, r->key, r->value, prev);
			free(prev);
		}
		store_rows_free(rows, (size_t)(n > 0 ? n : 0));
		if (w->from_rev < store_rev(s->st))
			w->from_rev = store_rev(s->st);
	}
	if (w->ended)
		return;
	w->next = s->watches;
	if (s->watches)
		s->watches->prev = w;
	s->watches = w;
	w->linked = true;
	uv_timer_start(&w->timer, timeout_cb, w->timeout_ms, 0);
}
