/* The HTTP server against raw sockets: keep-alive, pipelining, limits, timeouts, streaming,
 * asynchronous responses, file serving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "net/http_internal.h"
#include "http_testlib.h"

static ts *srv;

static int setup(void **state)
{
	http_server_opts o = {0};
	o.max_header_bytes = 4096;
	o.max_headers = 20;
	o.max_body_bytes = 64 * 1024;
	srv = ts_start(&o);
	return 0;
}

static int teardown(void **state)
{
	ts_stop(srv);
	return 0;
}

static void keepalive_serves_several_requests(void **state)
{
	int fd = tc_connect(srv->port);
	assert_true(fd >= 0);
	for (int i = 0; i < 3; i++) {
		tresp r = {0};
		assert_int_equal(tc_sends(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
		assert_int_equal(tc_read_responses(fd, &r, 1), 1);
		assert_int_equal(r.status, 200);
		assert_string_equal(r.body, "hello");
		assert_non_null(strstr(r.headers, "X-Hello:yes"));
		assert_non_null(strstr(r.headers, "Content-Length:5"));
	}
	close(fd);
}

static void pipelined_requests_answer_in_order(void **state)
{
	int fd = tc_connect(srv->port);
	assert_true(fd >= 0);
	const char *reqs = "GET /slow?ms=150 HTTP/1.1\r\nHost: x\r\n\r\n"
			   "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
			   "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
			   "GET /status?code=404 HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(tc_sends(fd, reqs), 0);
	tresp *r = calloc(4, sizeof *r);
	assert_int_equal(tc_read_responses(fd, r, 4), 4);
	assert_string_equal(r[0].body, "slow ok\n");
	assert_string_equal(r[1].body, "hello");
	assert_non_null(strstr(r[2].body, "len=3 body=abc"));
	assert_int_equal(r[3].status, 404);
	free(r);
	close(fd);
}

static void pipelined_big_body_behind_a_slow_request(void **state)
{
	/* far more pipelined bytes than the server keeps while a request is handled (one head's
	 * worth): it stops reading, then resumes, and both answers are right */
	int fd = tc_connect(srv->port);
	size_t bn = 60000;
	char *req = xmalloc(bn + 256);
	int n = snprintf(req, 256, "GET /slow?ms=200 HTTP/1.1\r\n\r\n"
			 "POST /echo HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", bn);
	memset(req + n, 'q', bn);
	assert_int_equal(tc_send(fd, req, (size_t)n + bn), 0);
	tresp *r = calloc(2, sizeof *r);
	assert_int_equal(tc_read_responses(fd, r, 2), 2);
	assert_string_equal(r[0].body, "slow ok\n");
	assert_non_null(strstr(r[1].body, "len=60000 body=qqqq"));
	free(r);
	free(req);
	close(fd);
}

static void pipelined_bytes_split_anywhere(void **state)
{
	/* the same pipeline, sent a byte at a time */
	int fd = tc_connect(srv->port);
	const char *reqs =
		"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
		"POST /echo?a=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"2\r\nab\r\n1\r\nc\r\n0\r\n\r\n";
	for (const char *p = reqs; *p; p++)
		assert_int_equal(tc_send(fd, p, 1), 0);
	tresp *r = calloc(2, sizeof *r);
	assert_int_equal(tc_read_responses(fd, r, 2), 2);
	assert_string_equal(r[0].body, "hello");
	assert_non_null(strstr(r[1].body, "a0=1 a1=- x=- len=3 body=abc"));
	free(r);
	close(fd);
}

static void path_and_query_are_decoded(void **state)
{
	tresp r;
	assert_int_equal(tc_request(srv->port,
				    "GET /echo/a%20b?a=1&a=x+y%26z&b HTTP/1.1\r\nHost: x\r\n"
				    "X-Empty:\r\nX-Test:  spaced  \r\n\r\n",
				    &r),
			 200);
	assert_string_equal(r.body, "GET /echo/a%20b?a=1&a=x+y%26z&b path=/echo/a b a0=1 a1=x y&z "
				    "x=spaced len=0 body=");
}

static void malformed_requests_get_400_and_close(void **state)
{
	const char *bad[] = {
		"GARBAGE\r\n\r\n",
		"GET / HTTP/9.9\r\n\r\n",
		"GET /echo/%zz HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /echo/%00 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
		"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		("POST /echo HTTP/1.1\r\nContent-Length: 3\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
		"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int fd = tc_connect(srv->port);
		tresp r = {0};
		tc_sends(fd, bad[i]);
		assert_int_equal(tc_read_responses(fd, &r, 1), 1);
		if (r.status != (i == 1 ? 505 : 400))
			fail_msg("request %zu got %d", i, r.status);
		assert_non_null(strstr(r.headers, "Connection:close"));
		assert_true(tc_closed_within(fd, 3000));
		close(fd);
	}
}

static void limits_give_431_414_413_501(void **state)
{
	tresp r;
	char *big = xmalloc(20000);
	/* oversize header */
	int n = snprintf(big, 20000, "GET /hello HTTP/1.1\r\nX-Big: ");
	memset(big + n, 'a', 6000);
	memcpy(big + n + 6000, "\r\n\r\n", 5);
	assert_int_equal(tc_request(srv->port, big, &r), 431);
	/* overlong URL */
	n = snprintf(big, 20000, "GET /");
	memset(big + n, 'a', 6000);
	memcpy(big + n + 6000, " HTTP/1.1\r\n\r\n", 14);
	assert_int_equal(tc_request(srv->port, big, &r), 414);
	/* too many headers */
	n = snprintf(big, 20000, "GET /hello HTTP/1.1\r\n");
	for (int i = 0; i < 30; i++)
		n += snprintf(big + n, (size_t)(20000 - n), "X-H%d: v\r\n", i);
	snprintf(big + n, (size_t)(20000 - n), "\r\n");
	assert_int_equal(tc_request(srv->port, big, &r), 431);
	free(big);
	/* declared body too big */
	assert_int_equal(tc_request(srv->port,
				    "POST /echo HTTP/1.1\r\nContent-Length: 10000000\r\n\r\nabc",
				    &r),
			 413);
	/* chunked body growing too big */
	int fd = tc_connect(srv->port);
	tc_sends(fd, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
	char chunk[8192 + 16];
	n = snprintf(chunk, sizeof chunk, "2000\r\n");
	memset(chunk + n, 'x', 8192);
	memcpy(chunk + n + 8192, "\r\n", 2);
	int status = 0;
	for (int i = 0; i < 20; i++)
		if (tc_send(fd, chunk, (size_t)n + 8194) < 0)
			break;
	memset(&r, 0, sizeof r);
	if (tc_read_responses(fd, &r, 1) == 1)
		status = r.status;
	close(fd);
	assert_int_equal(status, 413);
	/* unknown transfer coding */
	assert_int_equal(tc_request(srv->port,
				    "POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nabc",
				    &r),
			 501);
	assert_int_equal(
		tc_request(srv->port,
			   "POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
			   "0\r\n\r\n",
			   &r),
		501);
	/* the server still answers */
	assert_int_equal(tc_request(srv->port, "GET /hello HTTP/1.1\r\n\r\n", &r), 200);
}

static void expect_continue_gets_100(void **state)
{
	int fd = tc_connect(srv->port);
	tc_sends(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
		     "Expect: 100-continue\r\n\r\n");
	char b[256];
	ssize_t n = recv(fd, b, sizeof b - 1, 0);
	assert_true(n > 0);
	b[n] = '\0';
	assert_non_null(strstr(b, "HTTP/1.1 100 Continue"));
	tc_sends(fd, "hello");
	tresp r = {0};
	assert_int_equal(tc_read_responses(fd, &r, 1), 1);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "body=hello"));
	close(fd);
}

static void http10_and_connection_close(void **state)
{
	int fd = tc_connect(srv->port);
	tc_sends(fd, "GET /hello HTTP/1.0\r\n\r\n");
	tresp r = {0};
	assert_int_equal(tc_read_responses(fd, &r, 1), 1);
	assert_int_equal(r.status, 200);
	assert_true(tc_closed_within(fd, 3000));
	close(fd);
	fd = tc_connect(srv->port);
	tc_sends(fd, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n");
	memset(&r, 0, sizeof r);
	assert_int_equal(tc_read_responses(fd, &r, 1), 1);
	assert_non_null(strstr(r.headers, "Connection:close"));
	assert_true(tc_closed_within(fd, 3000));
	close(fd);
	/* HTTP/1.0 keep-alive */
	fd = tc_connect(srv->port);
	tc_sends(fd, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	memset(&r, 0, sizeof r);
	assert_int_equal(tc_read_responses(fd, &r, 1), 1);
	assert_non_null(strstr(r.headers, "Connection:keep-alive"));
	tc_sends(fd, "GET /hello HTTP/1.0\r\n\r\n");
	memset(&r, 0, sizeof r);
	assert_int_equal(tc_read_responses(fd, &r, 1), 1);
	assert_int_equal(r.status, 200);
	close(fd);
}

static void timeouts_close_slow_and_idle_clients(void **state)
{
	http_server_opts o = {0};
	o.header_timeout_ms = 300;
	o.idle_timeout_ms = 300;
	o.body_timeout_ms = 300;
	ts *t = ts_start(&o);
	/* slowloris: a header that never ends */
	int fd = tc_connect(t->port);
	uint64_t t0 = now_ms();
	tc_sends(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n");
	tresp r = {0};
	assert_int_equal(tc_read_responses(fd, &r, 1), 1);
	assert_int_equal(r.status, 408);
	assert_true(tc_closed_within(fd, 3000));
	assert_true(now_ms() - t0 < 2500);
	close(fd);
	/* a connection that never sends anything */
	fd = tc_connect(t->port);
	t0 = now_ms();
	assert_true(tc_closed_within(fd, 3000));
	assert_true(now_ms() - t0 < 2500);
	close(fd);
	/* a body that never comes */
	fd = tc_connect(t->port);
	tc_sends(fd, "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nab");
	memset(&r, 0, sizeof r);
	assert_int_equal(tc_read_responses(fd, &r, 1), 1);
	assert_int_equal(r.status, 408);
	close(fd);
	/* idle keep-alive */
	fd = tc_connect(t->port);
	tc_sends(fd, "GET /hello HTTP/1.1\r\n\r\n");
	memset(&r, 0, sizeof r);
	assert_int_equal(tc_read_responses(fd, &r, 1), 1);
	t0 = now_ms();
	assert_true(tc_closed_within(fd, 3000));
	assert_true(now_ms() - t0 >= 200);
	close(fd);
	/* a client that reads nothing of a big answer is cut after the idle time */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int small = 16384;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t->port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	tc_sends(fd, "GET /big?n=50000000 HTTP/1.1\r\n\r\n");
	usleep(1500000);
	size_t total = 0;
	char *chunk = xmalloc(1 << 16);
	ssize_t k;
	while ((k = recv(fd, chunk, 1 << 16, 0)) > 0)
		total += (size_t)k;
	assert_true(total < 50000000);
	close(fd);
	free(chunk);
	/* a slow handler is not a slow client */
	memset(&r, 0, sizeof r);
	assert_int_equal(tc_request(t->port, "GET /slow?ms=700 HTTP/1.1\r\n\r\n", &r), 200);
	ts_stop(t);
}

static void slow_readers_are_not_cut(void **state)
{
	/* a slow reader that keeps reading gets everything, however long it takes */
	http_server_opts o = {0};
	o.idle_timeout_ms = 1000;
	ts *t = ts_start(&o);
	int small = 16384;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t->port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {10, 0};
	char *chunk = xmalloc(1 << 16);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	tc_sends(fd, "GET /big?n=8000000 HTTP/1.1\r\n\r\n");
	uint64_t t0 = now_ms();
	size_t total = 0, want = 8000000;
	bool head_done = false;
	while (total < want) {
		ssize_t k = recv(fd, chunk, 16384, 0);
		if (k <= 0)
			fail_msg("cut after %zu bytes and %llu ms", total,
				 (unsigned long long)(now_ms() - t0));
		if (!head_done) {
			char *end = memmem(chunk, (size_t)k, "\r\n\r\n", 4);
			assert_non_null(end);
			k -= (end + 4 - chunk);
			head_done = true;
		}
		total += (size_t)k;
		usleep(4000);
	}
	assert_int_equal(total, want);
	assert_true(now_ms() - t0 > 1000); /* longer than the idle time */
	free(chunk);
	close(fd);
	ts_stop(t);
}

static void streaming_response_arrives_incrementally(void **state)
{
	int fd = tc_connect(srv->port);
	uint64_t t0 = now_ms();
	tc_sends(fd, "GET /stream?n=5&ms=200 HTTP/1.1\r\nHost: x\r\n\r\n");
	char b[4096];
	ssize_t n = recv(fd, b, sizeof b - 1, 0);
	assert_true(n > 0);
	b[n] = '\0';
	/* the head comes at once, before the 5 x 200 ms stream is over */
	assert_non_null(strstr(b, "Transfer-Encoding: chunked"));
	assert_null(strstr(b, "\r\n0\r\n\r\n"));
	/* read the rest; then the connection is still usable */
	size_t total = (size_t)n;
	char all[8192];
	memcpy(all, b, (size_t)n);
	while (!strstr(all, "\r\n0\r\n\r\n") && total < sizeof all - 1) {
		n = recv(fd, all + total, sizeof all - 1 - total, 0);
		assert_true(n > 0);
		total += (size_t)n;
		all[total] = '\0';
	}
	assert_true(now_ms() - t0 >= 750);
	for (int i = 0; i < 5; i++) {
		char ev[32];
		snprintf(ev, sizeof ev, "{\"event\":%d}", i);
		assert_non_null(strstr(all, ev));
	}
	tresp r = {0};
	tc_sends(fd, "GET /hello HTTP/1.1\r\n\r\n");
	assert_int_equal(tc_read_responses(fd, &r, 1), 1);
	assert_string_equal(r.body, "hello");
	close(fd);
}

static void watch_learns_that_the_client_went_away(void **state)
{
	int before = atomic_load(&srv->watch_gone);
	int fd = tc_connect(srv->port);
	tc_sends(fd, "GET /watch?ms=20 HTTP/1.1\r\nHost: x\r\n\r\n");
	char b[1024];
	assert_true(recv(fd, b, sizeof b, 0) > 0);
	close(fd);
	uint64_t t0 = now_ms();
	while (atomic_load(&srv->watch_gone) == before && now_ms() - t0 < 3000)
		usleep(10000);
	assert_int_equal(atomic_load(&srv->watch_gone), before + 1);
}

static void server_close_releases_open_watches(void **state)
{
	ts *t = ts_start(NULL);
	int fd = tc_connect(t->port);
	tc_sends(fd, "GET /watch?ms=20 HTTP/1.1\r\nHost: x\r\n\r\n");
	char b[1024];
	assert_true(recv(fd, b, sizeof b, 0) > 0);
	int gone = 0;
	ts *keep = t;
	/* ts_stop asserts that the loop closes clean, so the watch's timer must be released */
	uv_async_send(&keep->stop);
	uv_thread_join(&keep->th);
	gone = atomic_load(&keep->watch_gone);
	assert_int_equal(gone, 1);
	assert_int_equal(uv_loop_close(&keep->loop), 0);
	http_router_free(keep->rt);
	free(keep);
	assert_true(tc_closed_within(fd, 2000));
	close(fd);
}

static void max_connections_is_enforced(void **state)
{
	http_server_opts o = {0};
	o.max_connections = 2;
	ts *t = ts_start(&o);
	int a = tc_connect(t->port), b = tc_connect(t->port);
	tresp r = {0};
	tc_sends(a, "GET /hello HTTP/1.1\r\n\r\n");
	assert_int_equal(tc_read_responses(a, &r, 1), 1);
	tc_sends(b, "GET /hello HTTP/1.1\r\n\r\n");
	memset(&r, 0, sizeof r);
	assert_int_equal(tc_read_responses(b, &r, 1), 1);
	int c = tc_connect(t->port);
	assert_true(tc_closed_within(c, 2000));
	close(c);
	close(a);
	/* a slot frees up */
	uint64_t t0 = now_ms();
	int status = -1;
	while (status != 200 && now_ms() - t0 < 3000) {
		memset(&r, 0, sizeof r);
		status = tc_request(t->port, "GET /hello HTTP/1.1\r\n\r\n", &r);
		if (status != 200)
			usleep(20000);
	}
	assert_int_equal(status, 200);
	close(b);
	ts_stop(t);
}

static void pipelining_without_reading_is_bounded(void **state)
{
	http_server_opts o = {0};
	o.max_write_queue_bytes = 1 << 20;
	ts *t = ts_start(&o);
	int fd = tc_connect(t->port);
	int rcv = 64 * 1024;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	enum { N = 60, SIZE = 500000 };
	char req[64];
	int n = snprintf(req, sizeof req, "GET /big?n=%d HTTP/1.1\r\n\r\n", SIZE);
	for (int i = 0; i < N; i++)
		assert_int_equal(tc_send(fd, req, (size_t)n), 0);
	usleep(500000);
	/* the server stopped taking requests while its answers were not read */
	int handled = atomic_load(&t->bigs);
	if (handled >= N)
		fail_msg("all %d requests were handled without the client reading", handled);
	/* now read everything: every answer arrives, in full */
	size_t want = 0;
	int got = 0;
	char *b = xmalloc(1 << 16);
	size_t have = 0;
	uint64_t t0 = now_ms();
	while (got < N && now_ms() - t0 < 20000) {
		ssize_t k = recv(fd, b + have, (1 << 16) - have, 0);
		assert_true(k > 0);
		have += (size_t)k;
		for (;;) {
			if (want == 0) {
				char *end = memmem(b, have, "\r\n\r\n", 4);
				if (!end)
					break;
				assert_non_null(
					memmem(b, (size_t)(end - b), "Content-Length: 500000", 22));
				size_t hl = (size_t)(end - b) + 4;
				memmove(b, b + hl, have - hl);
				have -= hl;
				want = SIZE;
			}
			size_t take = have < want ? have : want;
			memmove(b, b + take, have - take);
			have -= take;
			want -= take;
			if (want == 0)
				got++;
			else
				break;
		}
	}
	free(b);
	assert_int_equal(got, N);
	assert_int_equal(atomic_load(&t->bigs), N);
	close(fd);
	ts_stop(t);
}

/* ---- file serving ---- */

static char root[256];

static void write_file(const char *rel, const char *data, size_t n)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void file_serving(void **state)
{
	snprintf(root, sizeof root, "/tmp/eddy-http-files-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(srv->root, sizeof srv->root, "%s", root);
	char p[512];
	snprintf(p, sizeof p, "%s/sub", root);
	mkdir(p, 0755);
	write_file("a.txt", "0123456789abcdefghij", 20);
	write_file("sub/b.json", "{}", 2);
	size_t bign = 300000;
	char *big = xmalloc(bign);
	for (size_t i = 0; i < bign; i++)
		big[i] = (char)(i * 7 % 251);
	write_file("big.bin", big, bign);
	snprintf(p, sizeof p, "%s/evil", root);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof p, "%s/inner", root);
	assert_int_equal(symlink("a.txt", p), 0);

	tresp r;
	assert_int_equal(tc_request(srv->port, "GET /files/a.txt HTTP/1.1\r\n\r\n", &r), 200);
	assert_string_equal(r.body, "0123456789abcdefghij");
	assert_non_null(strstr(r.headers, "Content-Type:text/plain"));
	assert_non_null(strstr(r.headers, "Content-Length:20"));
	assert_non_null(strstr(r.headers, "Last-Modified:"));
	char *et = strstr(r.headers, "ETag:");
	assert_non_null(et);
	char etag[128];
	size_t el = strcspn(et + 5, "\n");
	memcpy(etag, et + 5, el);
	etag[el] = '\0';
	char req[512];
	snprintf(req, sizeof req, "GET /files/a.txt HTTP/1.1\r\nIf-None-Match: \"x\", %s\r\n\r\n",
		 etag);
	assert_int_equal(tc_request(srv->port, req, &r), 304);
	assert_int_equal(r.body_len, 0);
	assert_int_equal(tc_request(srv->port, "HEAD /files/a.txt HTTP/1.1\r\n\r\n", &r), 200);
	assert_non_null(strstr(r.headers, "Content-Length:20"));
	assert_int_equal(r.body_len, 0);
	assert_int_equal(tc_request(srv->port,
				    "GET /files/a.txt HTTP/1.1\r\nRange: bytes=10-14\r\n\r\n", &r),
			 206);
	assert_string_equal(r.body, "abcde");
	assert_non_null(strstr(r.headers, "Content-Range:bytes 10-14/20"));
	assert_int_equal(tc_request(srv->port,
				    "GET /files/a.txt HTTP/1.1\r\nRange: bytes=-3\r\n\r\n", &r),
			 206);
	assert_string_equal(r.body, "hij");
	assert_int_equal(tc_request(srv->port,
				    "GET /files/a.txt HTTP/1.1\r\nRange: bytes=15-\r\n\r\n", &r),
			 206);
	assert_string_equal(r.body, "fghij");
	assert_int_equal(tc_request(srv->port,
				    "GET /files/a.txt HTTP/1.1\r\nRange: bytes=50-60\r\n\r\n", &r),
			 416);
	assert_non_null(strstr(r.headers, "Content-Range:bytes */20"));
	assert_int_equal(tc_request(srv->port,
				    "GET /files/a.txt HTTP/1.1\r\nRange: bytes=1-2,4-5\r\n\r\n",
				    &r),
			 200);
	assert_int_equal(tc_request(srv->port, "GET /files/sub/b.json HTTP/1.1\r\n\r\n", &r), 200);
	assert_non_null(strstr(r.headers, "Content-Type:application/json"));
	assert_int_equal(tc_request(srv->port, "GET /files/inner HTTP/1.1\r\n\r\n", &r), 200);
	/* refused */
	assert_int_equal(tc_request(srv->port, "GET /files/evil HTTP/1.1\r\n\r\n", &r), 404);
	assert_int_equal(tc_request(srv->port, "GET /files/sub HTTP/1.1\r\n\r\n", &r), 404);
	assert_int_equal(tc_request(srv->port, "GET /files/nope HTTP/1.1\r\n\r\n", &r), 404);
	assert_int_equal(tc_request(srv->port, "GET /files/../etc/passwd HTTP/1.1\r\n\r\n", &r),
			 400);
	assert_int_equal(tc_request(srv->port, "GET /files/sub/../a.txt HTTP/1.1\r\n\r\n", &r),
			 400);
	assert_int_equal(tc_request(srv->port, "GET /files/%2e%2e/etc/passwd HTTP/1.1\r\n\r\n", &r),
			 400);
	assert_int_equal(tc_request(srv->port, "GET /files/.%2fa.txt HTTP/1.1\r\n\r\n", &r), 400);
	assert_int_equal(tc_request(srv->port, "GET /files//etc/passwd HTTP/1.1\r\n\r\n", &r), 404);
	assert_int_equal(tc_request(srv->port, "GET /files/a\\..\\x HTTP/1.1\r\n\r\n", &r), 400);
	assert_int_equal(tc_request(srv->port, "DELETE /files/a.txt HTTP/1.1\r\n\r\n", &r), 405);

	/* a big file in many chunks, read back exactly (bigger than tresp's body: read raw) */
	int fd = tc_connect(srv->port);
	tc_sends(fd, "GET /files/big.bin HTTP/1.1\r\nConnection: close\r\n\r\n");
	char *got = xmalloc(bign + 4096);
	size_t total = 0;
	ssize_t n;
	while ((n = recv(fd, got + total, bign + 4096 - total, 0)) > 0)
		total += (size_t)n;
	close(fd);
	char *body = memmem(got, total, "\r\n\r\n", 4);
	assert_non_null(body);
	body += 4;
	assert_int_equal(total - (size_t)(body - got), bign);
	assert_memory_equal(body, big, bign);
	free(got);
	free(big);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* ---- the parse/dispatch core without sockets ---- */

static void vwrite(void *ud, const char *p, size_t n)
{
	buf *b = ud;
	buf_add(b, p, n);
}

static int vhandled;

static void vhandler(http_request *r, void *d)
{
	vhandled++;
	assert_int_equal(http_add_header(r, "X-Bad", "a\r\nInjected: 1"), -1);
	assert_int_equal(http_add_header(r, "Content-Length", "5"), -1);
	assert_int_equal(http_add_header(r, "X\nY", "1"), -1);
	assert_int_equal(http_add_header(r, "X-Good", "%d", 42), 0);
	http_respond(r, 200, "text/plain", "ok", 2);
}

static void virtual_connection_and_header_injection(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	http_server *s = http_server_new(&loop, NULL, vhandler, NULL, NULL);
	assert_non_null(s);
	buf out;
	buf_init(&out, 1 << 20);
	http_conn *c = httpi_conn_virtual(s, vwrite, &out);
	const char *in = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\n";
	httpi_conn_feed(c, in, strlen(in));
	assert_int_equal(vhandled, 2);
	assert_non_null(strstr(buf_str(&out), "X-Good: 42\r\n"));
	assert_null(strstr(buf_str(&out), "Injected"));
	assert_non_null(strstr(buf_str(&out), "Connection: close"));
	/* the connection closed itself after "Connection: close"; more input is ignored */
	uv_run(&loop, UV_RUN_NOWAIT);
	httpi_conn_feed(c, in, strlen(in));
	assert_int_equal(vhandled, 2);
	httpi_conn_close(c);
	http_server_close(s, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	buf_release(&out);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keepalive_serves_several_requests),
		cmocka_unit_test(pipelined_requests_answer_in_order),
		cmocka_unit_test(pipelined_bytes_split_anywhere),
		cmocka_unit_test(pipelined_big_body_behind_a_slow_request),
		cmocka_unit_test(path_and_query_are_decoded),
		cmocka_unit_test(malformed_requests_get_400_and_close),
		cmocka_unit_test(limits_give_431_414_413_501),
		cmocka_unit_test(expect_continue_gets_100),
		cmocka_unit_test(http10_and_connection_close),
		cmocka_unit_test(timeouts_close_slow_and_idle_clients),
		cmocka_unit_test(slow_readers_are_not_cut),
		cmocka_unit_test(streaming_response_arrives_incrementally),
		cmocka_unit_test(watch_learns_that_the_client_went_away),
		cmocka_unit_test(server_close_releases_open_watches),
		cmocka_unit_test(max_connections_is_enforced),
		cmocka_unit_test(pipelining_without_reading_is_bounded),
		cmocka_unit_test(file_serving),
		cmocka_unit_test(virtual_connection_and_header_injection),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
