/* watch: watch streams and the fan out of committed writes to them. */
#include "watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd.h"
#include "eddy/mem.h"
#include "list.h"
#include "object.h"
#include "resp.h"
#include "selector.h"
#include "table.h"

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
	lsel ls; /* labelSelector */
	sel fs;  /* fieldSelector */
	const char *fields_extra;
	int64_t from_rev;
	bool initial, initial_bookmark, bookmarks;
	int64_t expired; /* >0: answer with a 410 ERROR event */
	uint64_t timeout_ms;
	uv_timer_t timer;
	api_watch_sink sink;
};

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
	lsel_release(&w->ls);
	sel_release(&w->fs);
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
	bool filter = w->ls.n || w->fs.n;
	if (!filter) {
		send_event(w, type == 'A' ? "ADDED" : type == 'M' ? "MODIFIED" : "DELETED", value,
			   NULL);
		return;
	}
	cJSON *now = cJSON_Parse(value);
	bool now_m = list_matches(&w->ls, &w->fs, now);
	if (type == 'A') {
		if (now_m)
			send_event(w, "ADDED", value, now);
	} else if (type == 'D') {
		if (now_m)
			send_event(w, "DELETED", value, now);
	} else {
		cJSON *old = prev ? cJSON_Parse(prev) : NULL;
		bool old_m = old ? list_matches(&w->ls, &w->fs, old) : now_m;
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
	lsel ls;
	sel fs;
	if (list_selectors(c, &ls, &fs) < 0)
		return;
	const char *rvs = query_get(&c->q, "resourceVersion");
	const char *rvm = query_get(&c->q, "resourceVersionMatch");
	int sie = query_bool(query_get(&c->q, "sendInitialEvents"));
	int64_t rv = 0;
	if (list_parse_rv(rvs, &rv) < 0) {
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
	w->fast = list_fast_path(c->s, c->ty);
	w->table = table_wanted(c->rq->accept);
	/* kubectl printed the header with the list: rows only. */
	w->table_sent_defs = true;
	w->ls = ls;
	w->fs = fs;
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
	lsel_release(&ls);
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
			if (w->ls.n || w->fs.n) {
				cJSON *o = cJSON_Parse(rows[i].value);
				if (list_matches(&w->ls, &w->fs, o))
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
			if (type == 'M' && (w->ls.n || w->fs.n) && r->prev_rev)
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
