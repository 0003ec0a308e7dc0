/* Shared scaffolding of the http unit tests: a test server on a uv loop in its own thread, and a
 * raw-socket client that parses responses with http-parser. Header-only (static functions). */
#ifndef EDDY_HTTP_TESTLIB_H
#define EDDY_HTTP_TESTLIB_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>

#include "eddy/clock.h"
#include "eddy/http.h"
#include "eddy/mem.h"

typedef struct ts {
	uv_loop_t loop;
	uv_async_t stop;
	uv_thread_t th;
	uv_sem_t ready;
	http_server *srv;
	http_router *rt;
	http_server_opts opts;
	int port;
	char root[512];
	char listen_err[256];
	atomic_int watch_gone;
	atomic_int watch_started;
	atomic_int flaky;
	atomic_int requests;
	atomic_int bigs;
} ts;

/* ---- server side (runs on the loop thread) ---- */

static __attribute__((unused)) void h_hello(http_request *r, void *d)
{
	ts *t = d;
	atomic_fetch_add(&t->requests, 1);
	http_add_header(r, "X-Hello", "%s", "yes");
	http_respond(r, 200, "text/plain", "hello", 5);
}

static __attribute__((unused)) void h_echo(http_request *r, void *d)
{
	size_t n;
	const char *b = http_request_body(r, &n);
	const char *x = http_request_header(r, "x-test");
	const char *a0 = http_request_query_param(r, "a");
	const char *a1 = http_request_query_param_n(r, "a", 1);
	http_respondf(r, 200, "text/plain", "%s %s path=%s a0=%s a1=%s x=%s len=%zu body=%s",
		      http_request_method(r), http_request_raw_target(r), http_request_path(r),
		      a0 ? a0 : "-", a1 ? a1 : "-", x ? x : "-", n, b);
}

static __attribute__((unused)) void h_status(http_request *r, void *d)
{
	const char *c = http_request_query_param(r, "code");
	long code = c ? strtol(c, NULL, 10) : 200;
	http_respondf(r, (int)code, "text/plain", "status %ld\n", code);
}

/* 503 on the first two calls (after a reset), then 200. */
static __attribute__((unused)) void h_flaky(http_request *r, void *d)
{
	ts *t = d;
	if (http_request_query_param(r, "reset")) {
		atomic_store(&t->flaky, 0);
		http_respond(r, 200, NULL, "", 0);
		return;
	}
	int n = atomic_fetch_add(&t->flaky, 1);
	if (n < 2) {
		http_add_header(r, "Retry-After", "0");
		http_respondf(r, 503, "text/plain", "try again %d\n", n);
	} else {
		http_respondf(r, 200, "text/plain", "ok after %d\n", n);
	}
}

static __attribute__((unused)) void h_big(http_request *r, void *d)
{
	ts *t = d;
	atomic_fetch_add(&t->bigs, 1);
	const char *ns = http_request_query_param(r, "n");
	size_t n = ns ? (size_t)strtoul(ns, NULL, 10) : 1000;
	char *b = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		b[i] = (char)('a' + i % 26);
	http_respond_take(r, 200, "application/octet-stream", b, n);
}

typedef struct streamer {
	uv_timer_t tm;
	http_request *r;
	int left;
	int i;
	ts *t;
	bool forever;
} streamer;

static __attribute__((unused)) void streamer_closed(uv_handle_t *h)
{
	free(h->data);
}

static __attribute__((unused)) void streamer_stop(streamer *s)
{
	uv_timer_stop(&s->tm);
	uv_close((uv_handle_t *)&s->tm, streamer_closed);
}

static __attribute__((unused)) void streamer_gone(http_request *r, void *d)
{
	streamer *s = d;
	atomic_fetch_add(&s->t->watch_gone, 1);
	http_stream_end(r);
	streamer_stop(s);
}

static __attribute__((unused)) void streamer_tick(uv_timer_t *tm)
{
	streamer *s = tm->data;
	char line[64];
	int n = snprintf(line, sizeof line, "{\"event\":%d}\n", s->i++);
	if (http_stream_write(s->r, line, (size_t)n) < 0)
		return; /* the close callback ends it */
	if (!s->forever && --s->left <= 0) {
		http_request_on_close(s->r, NULL, NULL);
		http_stream_end(s->r);
		streamer_stop(s);
	}
}

/* /stream?n=N&ms=M: N chunks M ms apart; /watch: forever until the client goes away. */
static __attribute__((unused)) void h_stream(http_request *r, void *d)
{
	ts *t = d;
	streamer *s = xcalloc(1, sizeof *s);
	s->r = r;
	s->t = t;
	const char *ns = http_request_query_param(r, "n");
	const char *ms = http_request_query_param(r, "ms");
	s->left = ns ? (int)strtol(ns, NULL, 10) : 3;
	s->forever = strcmp(http_request_path(r), "/watch") == 0;
	uv_timer_init(&t->loop, &s->tm);
	s->tm.data = s;
	http_request_on_close(r, streamer_gone, s);
	http_stream_begin(r, 200, "application/json");
	if (s->forever)
		atomic_fetch_add(&t->watch_started, 1);
	long period = ms ? strtol(ms, NULL, 10) : 50;
	uv_timer_start(&s->tm, streamer_tick, 1, (uint64_t)period);
}

typedef struct later {
	uv_timer_t tm;
	http_request *r;
} later;

static __attribute__((unused)) void later_tick(uv_timer_t *tm)
{
	later *l = tm->data;
	http_respondf(l->r, 200, "text/plain", "slow %s\n",
		      http_request_client_gone(l->r) ? "gone" : "ok");
	uv_close((uv_handle_t *)&l->tm, streamer_closed);
}

static __attribute__((unused)) void h_slow(http_request *r, void *d)
{
	ts *t = d;
	later *l = xcalloc(1, sizeof *l);
	l->r = r;
	uv_timer_init(&t->loop, &l->tm);
	l->tm.data = l;
	const char *ms = http_request_query_param(r, "ms");
	uv_timer_start(&l->tm, later_tick, ms ? (uint64_t)strtol(ms, NULL, 10) : 100, 0);
}

static __attribute__((unused)) void h_conns(http_request *r, void *d)
{
	ts *t = d;
	http_respondf(r, 200, "text/plain", "%zu", http_server_connections(t->srv));
}

static __attribute__((unused)) void h_files(http_request *r, void *d)
{
	ts *t = d;
	http_serve_file(r, t->root, http_request_path(r) + strlen("/files/"));
}

static __attribute__((unused)) void h_auth(http_request *r, void *d)
{
	const char *a = http_request_header(r, "Authorization");
	http_respondf(r, 200, "text/plain", "%s", a ? a : "none");
}

static __attribute__((unused)) void h_ctype(http_request *r, void *d)
{
	const char *a = http_request_header(r, "Content-Type");
	http_respondf(r, 200, "text/plain", "%s", a ? a : "none");
}

static __attribute__((unused)) void h_whoami(http_request *r, void *d)
{
	const http_tls_identity *id = http_request_tls_client(r);
	if (!id) {
		http_respondf(r, 200, "text/plain", "anonymous tls=%d", http_request_is_tls(r));
		return;
	}
	char orgs[512] = "";
	size_t o = 0;
	for (size_t i = 0; i < id->n_orgs && o < sizeof orgs; i++)
		o += (size_t)snprintf(orgs + o, sizeof orgs - o, "%s%s", i ? "," : "", id->orgs[i]);
	http_respondf(r, 200, "text/plain", "cn=%s orgs=%s", id->common_name, orgs);
}

static __attribute__((unused)) void ts_on_stop(uv_async_t *a)
{
	ts *t = a->data;
	http_server_close(t->srv, NULL, NULL);
	uv_close((uv_handle_t *)&t->stop, NULL);
}

static __attribute__((unused)) void ts_thread(void *arg)
{
	ts *t = arg;
	uv_run(&t->loop, UV_RUN_DEFAULT);
}

/* Start a test server with opts (may be NULL) on 127.0.0.1:0. */
static __attribute__((unused)) ts *ts_start(const http_server_opts *opts)
{
	ts *t = xcalloc(1, sizeof *t);
	uv_loop_init(&t->loop);
	if (opts)
		t->opts = *opts;
	t->rt = http_router_new();
	http_router_add(t->rt, "GET", "/hello", h_hello, t);
	http_router_add(t->rt, NULL, "/echo", h_echo, t);
	http_router_add(t->rt, NULL, "/status", h_status, t);
	http_router_add(t->rt, NULL, "/flaky", h_flaky, t);
	http_router_add(t->rt, "GET", "/big", h_big, t);
	http_router_add(t->rt, "GET", "/stream", h_stream, t);
	http_router_add(t->rt, "GET", "/watch", h_stream, t);
	http_router_add(t->rt, NULL, "/slow", h_slow, t);
	http_router_add(t->rt, "GET", "/conns", h_conns, t);
	http_router_add(t->rt, NULL, "/files/", h_files, t);
	http_router_add(t->rt, "GET", "/whoami", h_whoami, t);
	http_router_add(t->rt, NULL, "/auth", h_auth, t);
	http_router_add(t->rt, NULL, "/ctype", h_ctype, t);
	err e;
	err_clear(&e);
	t->srv = http_server_new(&t->loop, &t->opts, http_router_handle, t->rt, &e);
	if (!t->srv) {
		fprintf(stderr, "server: %s\n", e.msg);
		abort();
	}
	if (http_server_listen(t->srv, "127.0.0.1:0", &e) < 0) {
		fprintf(stderr, "listen: %s\n", e.msg);
		abort();
	}
	t->port = http_server_port(t->srv);
	uv_async_init(&t->loop, &t->stop, ts_on_stop);
	t->stop.data = t;
	uv_thread_create(&t->th, ts_thread, t);
	return t;
}

static __attribute__((unused)) void ts_stop(ts *t)
{
	uv_async_send(&t->stop);
	uv_thread_join(&t->th);
	int rc = uv_loop_close(&t->loop);
	if (rc != 0) {
		fprintf(stderr, "loop did not close clean: %s\n", uv_strerror(rc));
		abort();
	}
	http_router_free(t->rt);
	free(t);
}

/* ---- raw client ---- */

static __attribute__((unused)) int tc_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static __attribute__((unused)) int tc_send(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static __attribute__((unused)) int tc_sends(int fd, const char *s)
{
	return tc_send(fd, s, strlen(s));
}

typedef struct tresp {
	int status;
	char body[1 << 16];
	size_t body_len;
	char headers[8192];
	size_t hlen;
	bool complete;
	bool head; /* response to HEAD */
} tresp;

typedef struct tparse {
	tresp *out;
	int max, n;
	bool in_value;
} tparse;

static __attribute__((unused)) int tp_hf(http_parser *p, const char *at, size_t n)
{
	tparse *t = p->data;
	tresp *r = &t->out[t->n];
	if (r->hlen + n + 4 < sizeof r->headers) {
		if (t->in_value || r->hlen == 0) {
			if (r->hlen)
				r->headers[r->hlen++] = '\n';
		}
		memcpy(r->headers + r->hlen, at, n);
		r->hlen += n;
		r->headers[r->hlen] = '\0';
	}
	t->in_value = false;
	return 0;
}

static __attribute__((unused)) int tp_hv(http_parser *p, const char *at, size_t n)
{
	tparse *t = p->data;
	tresp *r = &t->out[t->n];
	if (r->hlen + n + 4 < sizeof r->headers) {
		if (!t->in_value)
			r->headers[r->hlen++] = ':';
		memcpy(r->headers + r->hlen, at, n);
		r->hlen += n;
		r->headers[r->hlen] = '\0';
	}
	t->in_value = true;
	return 0;
}

static __attribute__((unused)) int tp_hc(http_parser *p)
{
	tparse *t = p->data;
	t->out[t->n].status = (int)p->status_code;
	return t->out[t->n].head || p->status_code == 304 ? 1 : 0;
}

static __attribute__((unused)) int tp_body(http_parser *p, const char *at, size_t n)
{
	tparse *t = p->data;
	tresp *r = &t->out[t->n];
	if (r->body_len + n < sizeof r->body) {
		memcpy(r->body + r->body_len, at, n);
		r->body_len += n;
		r->body[r->body_len] = '\0';
	}
	return 0;
}

static __attribute__((unused)) int tp_mc(http_parser *p)
{
	tparse *t = p->data;
	t->out[t->n].complete = true;
	t->n++;
	t->in_value = false;
	if (t->n >= t->max)
		http_parser_pause(p, 1);
	return 0;
}

/* Read up to max responses (or until EOF/timeout); returns how many completed. Set out[i].head
 * before for HEAD requests. */
static __attribute__((unused)) int tc_read_responses(int fd, tresp *out, int max)
{
	static const http_parser_settings st = {
		.on_header_field = tp_hf,
		.on_header_value = tp_hv,
		.on_headers_complete = tp_hc,
		.on_body = tp_body,
		.on_message_complete = tp_mc,
	};
	http_parser p;
	http_parser_init(&p, HTTP_RESPONSE);
	tparse t = {.out = out, .max = max};
	p.data = &t;
	char b[16384];
	while (t.n < max) {
		ssize_t n = recv(fd, b, sizeof b, 0);
		if (n <= 0) {
			http_parser_execute(&p, &st, b, 0);
			break;
		}
		http_parser_execute(&p, &st, b, (size_t)n);
		if (HTTP_PARSER_ERRNO(&p) != HPE_OK && HTTP_PARSER_ERRNO(&p) != HPE_PAUSED)
			break;
	}
	return t.n;
}

/* One request on a new connection; returns the status (or -1). */
static __attribute__((unused)) int tc_request(int port, const char *raw, tresp *out)
{
	int fd = tc_connect(port);
	if (fd < 0)
		return -1;
	memset(out, 0, sizeof *out);
	out->head = strncmp(raw, "HEAD ", 5) == 0;
	tc_sends(fd, raw);
	int n = tc_read_responses(fd, out, 1);
	close(fd);
	return n == 1 ? out->status : -1;
}

/* True when the peer closed the connection (EOF or reset) within ms. */
static __attribute__((unused)) bool tc_closed_within(int fd, int ms)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	for (;;) {
		int rc = poll(&pf, 1, ms);
		if (rc <= 0)
			return false;
		char b[4096];
		ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			return true;
	}
}

static __attribute__((unused)) int count_fds(int pid)
{
	char path[64];
	if (pid)
		snprintf(path, sizeof path, "/proc/%d/fd", pid);
	else
		snprintf(path, sizeof path, "/proc/self/fd");
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static __attribute__((unused)) uint64_t now_ms(void)
{
	return (uint64_t)clock_mono_ms();
}

#endif
