/* server: the server's lifetime: store, CRDs, default namespaces, compaction and bookmarks. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "auth.h"
#include "eddy/clock.h"
#include "eddy/codec.h"
#include "eddy/mem.h"
#include "gc.h"
#include "object.h"
#include "simulate.h"
#include "watch.h"

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
	/* 8-4-4-4-12 hex digits: each hex_encode's terminator is overwritten by the next dash */
	char u[37];
	static const size_t at[] = {0, 4, 6, 8, 10, 16};
	for (size_t i = 0, o = 0; i < 5; i++) {
		hex_encode(u + o, b + at[i], at[i + 1] - at[i], HEX_LOWER);
		o += 2 * (at[i + 1] - at[i]);
		if (i < 4)
			u[o++] = '-';
	}
	return xstrdup(u);
}

static void compact_cb(uv_timer_t *t)
{
	apiserver *s = t->data;
	int64_t target = store_rev(s->st) - s->opts.compact_retain;
	if (s->opts.compact_min_age > 0) {
		int64_t by_age = store_rev_at_time(s->st, clock_real_ns() / GODUR_SECOND -
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
	s->rand_state = (unsigned long)(clock_real_ns() / GODUR_SECOND) ^ (unsigned long)getpid();
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
