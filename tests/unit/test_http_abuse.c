/* Issue 2 acceptance: the HTTP server survives 1 000 connections carrying malformed requests,
 * oversize headers, half-sent requests and silence, keeps answering a well-formed request
 * promptly during and after the abuse, and its fd count returns to the baseline.
 *
 * The server runs in a forked child (its own process, so its fds can be counted in /proc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "http_testlib.h"

enum { NCONN = 1000 };

static uv_signal_t sig;
static http_server *child_srv;

static void child_handler(http_request *r, void *d)
{
	if (strcmp(http_request_path(r), "/conns") == 0)
		http_respondf(r, 200, "text/plain", "%zu", http_server_connections(child_srv));
	else
		http_respond(r, 200, "text/plain", "alive", 5);
}

static void on_sigterm(uv_signal_t *s, int signum)
{
	http_server_close(child_srv, NULL, NULL);
	uv_close((uv_handle_t *)&sig, NULL);
}

static int run_child(int wfd)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	http_server_opts o = {.max_connections = 2 * NCONN, .header_timeout_ms = 20000};
	err e;
	child_srv = http_server_new(&loop, &o, child_handler, NULL, &e);
	if (!child_srv || http_server_listen(child_srv, "127.0.0.1:0", &e) < 0)
		return 2;
	uv_signal_init(&loop, &sig);
	uv_signal_start(&sig, on_sigterm, SIGTERM);
	int port = http_server_port(child_srv);
	if (write(wfd, &port, sizeof port) != sizeof port)
		return 2;
	close(wfd);
	uv_run(&loop, UV_RUN_DEFAULT);
	return uv_loop_close(&loop) == 0 ? 0 : 3;
}

static pid_t child;
static int port;

/* A well-formed request must be answered within 2 s, whatever else is going on. */
static void assert_prompt_answer(void)
{
	tresp r;
	uint64_t t0 = now_ms();
	int status = tc_request(port, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	uint64_t took = now_ms() - t0;
	assert_int_equal(status, 200);
	assert_string_equal(r.body, "alive");
	if (took > 2000)
		fail_msg("well-formed request took %llu ms", (unsigned long long)took);
}

static void server_survives_1000_abusive_connections(void **state)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rlim_t want = 4 * NCONN + 256;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < NCONN + 100)
		skip();

	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(pfd[0]);
		exit(run_child(pfd[1])); /* exit, not _exit: LeakSanitizer checks the child too */
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &port, sizeof port), (ssize_t)sizeof port);
	close(pfd[0]);
	assert_prompt_answer();
	usleep(100000);
	int baseline = count_fds(child);
	assert_true(baseline > 0);

	char *oversize = xmalloc(70000);
	int n = snprintf(oversize, 70000, "GET / HTTP/1.1\r\nX-Big: ");
	memset(oversize + n, 'a', 69000 - (size_t)n);
	memcpy(oversize + 69000, "\r\n\r\n", 5);
	const char *kinds[] = {
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-tls-hello",
		"GET /\x01\x02 HTTP/1.1\r\n\r\n",
		"NOT HTTP AT ALL\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n",                    /* half-sent head */
		"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nab", /* half-sent body */
		"",                                                 /* silence */
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
		"GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
		"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", /* obs-fold: accepted */
		NULL, /* oversize header */
	};
	const size_t nkinds = sizeof kinds / sizeof kinds[0];
	int *fds = xcalloc(NCONN, sizeof *fds);
	for (int i = 0; i < NCONN; i++) {
		fds[i] = tc_connect(port);
		if (fds[i] < 0)
			fail_msg("connect %d failed: %s", i, strerror(errno));
		struct timeval tv = {2, 0};
		setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		const char *k = kinds[(size_t)i % nkinds];
		if (k)
			tc_sends(fds[i], k);
		else
			tc_send(fds[i], oversize, 69004);
		if (i % 100 == 99)
			assert_prompt_answer();
	}
	/* during: every connection is still open on our side; the server keeps serving */
	for (int i = 0; i < 5; i++)
		assert_prompt_answer();
	/* the half-sent and silent connections (3 of 10 kinds) are really held open */
	tresp cr;
	assert_int_equal(tc_request(port, "GET /conns HTTP/1.1\r\n\r\n", &cr), 200);
	long open_conns = strtol(cr.body, NULL, 10);
	if (open_conns < NCONN * 3 / 10)
		fail_msg("only %ld connections open during the abuse", open_conns);
	/* the server answered the bad ones with the right status */
	for (int i = 0; i < 20; i++) {
		size_t kind = (size_t)i % nkinds;
		int expect = kind == 9 ? 431 : kind <= 2 || kind == 6 || kind == 7 ? 400 : 0;
		if (!expect)
			continue;
		tresp r = {0};
		if (kind == 0) { /* binary junk: 400 or a plain close are both fine */
			tc_read_responses(fds[i], &r, 1);
			continue;
		}
		assert_int_equal(tc_read_responses(fds[i], &r, 1), 1);
		if (r.status != expect)
			fail_msg("connection %d (kind %zu) got %d, want %d", i, kind, r.status,
				 expect);
	}
	/* a pipelined burst on a fresh connection is answered in full */
	int pf = tc_connect(port);
	char burst[4096] = "";
	size_t bl = 0;
	for (int i = 0; i < 20; i++)
		bl += (size_t)snprintf(burst + bl, sizeof burst - bl, "GET /p%d HTTP/1.1\r\n\r\n",
				       i);
	tc_send(pf, burst, bl);
	tresp *rs = xcalloc(20, sizeof *rs);
	assert_int_equal(tc_read_responses(pf, rs, 20), 20);
	free(rs);
	close(pf);

	/* after: close everything; the server's fds return to the baseline */
	for (int i = 0; i < NCONN; i++)
		close(fds[i]);
	free(fds);
	free(oversize);
	assert_prompt_answer();
	uint64_t t0 = now_ms();
	int now = count_fds(child);
	while (now != baseline && now_ms() - t0 < 10000) {
		usleep(50000);
		now = count_fds(child);
	}
	if (now != baseline)
		fail_msg("server fds: %d, baseline %d", now, baseline);
	tresp r;
	assert_int_equal(tc_request(port, "GET /conns HTTP/1.1\r\n\r\n", &r), 200);
	assert_string_equal(r.body, "1"); /* just this one */
	assert_prompt_answer();

	kill(child, SIGTERM);
	int st = 0;
	assert_int_equal(waitpid(child, &st, 0), child);
	child = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int teardown(void **state)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return 0;
}

int main(void)
{
	mem_install_hooks();
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(server_survives_1000_abusive_connections, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
