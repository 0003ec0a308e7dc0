/* The kube client's HTTP/1.1 transport (eddy/h1.h): against our own server (plain and TLS with a
 * throwaway CA made by the openssl CLI) and against a scripted raw server that sends exactly the
 * bytes a test wants: Content-Length, chunked and close-delimited bodies, keep-alive reuse (also
 * from several threads, and after the server closed an idle connection), 1xx answers,
 * truncated bodies, oversize heads and bodies, timeouts, stop, TLS failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "eddy/buf.h"
#include "eddy/h1.h"
#include "http_testlib.h"

static ts *srv;
static char dir[256];

static char *slurp(const char *name)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "rb");
	if (!f)
		return NULL;
	char *s = xcalloc(1, 65536);
	size_t n = fread(s, 1, 65535, f);
	s[n] = '\0';
	fclose(f);
	return s;
}

static int make_pki(void)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
		"set -e; cd '%s'; exec 2>openssl.log;"
		"K='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes';"
		"openssl req -x509 $K -keyout ca.key -out ca.crt -days 2 -subj /CN=eddy-test-ca;"
		"openssl req -x509 $K -keyout rogue.key -out rogue.crt -days 2 -subj /CN=rogue-ca;"
		"printf 'subjectAltName=IP:127.0.0.1,DNS:eddy.test\\n' > srv.ext;"
		"printf 'extendedKeyUsage=clientAuth\\n' > cli.ext;"
		"openssl req $K -keyout srv.key -out srv.csr -subj /CN=127.0.0.1;"
		"openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt"
		" -days 2 -extfile srv.ext;"
		"openssl req $K -keyout cli.key -out cli.csr -subj '/CN=alice/O=system:masters';"
		"openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cli.crt"
		" -days 2 -extfile cli.ext",
		dir);
	return system(cmd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/eddy-h1-XXXXXX");
	if (!mkdtemp(dir) || make_pki() != 0)
		return -1;
	srv = ts_start(NULL);
	const char *px[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
		"ALL_PROXY", "no_proxy", "NO_PROXY"};
	for (size_t i = 0; i < sizeof px / sizeof px[0]; i++)
		unsetenv(px[i]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ts_stop(srv);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

/* ---- helpers ---- */

static int to_buf(void *ud, long status, const char *p, size_t n)
{
	(void)status;
	return buf_add(ud, p, n) < 0 ? -1 : 0;
}

typedef struct result {
	h1_rc rc;
	long status;
	char msg[H1_MSG_MAX];
	buf body;
} result;

static void do_req(h1_origin *o, const char *method, const char *url, const char *body,
	long timeout_ms, size_t cap, result *out)
{
	buf_init(&out->body, cap ? cap : 1 << 20);
	const char *hd[] = {"X-Test: yes", "Authorization: Bearer sekret", NULL};
	h1_req r = {.method = method, .url = url, .headers = hd, .body = body,
		.blen = body ? strlen(body) : 0, .timeout_ms = timeout_ms, .sink = to_buf,
		.ud = &out->body};
	out->rc = h1_do(o, &r, &out->status, out->msg, sizeof out->msg);
}

static char *url_of(const char *scheme, int port, const char *path)
{
	return xasprintf("%s://127.0.0.1:%d%s", scheme, port, path);
}

/* ---- a scripted raw server: each accepted connection gets the next script ---- */

typedef struct script {
	const char *answer;    /* sent after the request head; NULL: send nothing */
	size_t len;            /* 0: strlen(answer) */
	int after;             /* 0 close, 1 keep open until the client closes, 2 serve again */
} script;

typedef struct raw {
	int lfd, port;
	pthread_t th;
	const script *s;
	int ns;
	atomic_int accepted;
	char last[8192]; /* the last request head received */
} raw;

static raw *cur_raw;

static void read_head(int fd)
{
	char *b = cur_raw->last;
	memset(b, 0, 8192);
	size_t have = 0;
	while (have < 8191) {
		ssize_t n = recv(fd, b + have, 8191 - have, 0);
		if (n <= 0)
			return;
		have += (size_t)n;
		if (memmem(b, have, "\r\n\r\n", 4))
			return;
	}
}

static void *raw_main(void *arg)
{
	raw *r = arg;
	for (int i = 0; i < r->ns; i++) {
		int fd = accept(r->lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		atomic_fetch_add(&r->accepted, 1);
		const script *s = &r->s[i];
		for (;;) {
			read_head(fd);
			if (s->answer)
				tc_send(fd, s->answer, s->len ? s->len : strlen(s->answer));
			if (s->after != 2)
				break;
			s++; /* the next script on the same connection */
			i++;
		}
		if (s->after == 1) {
			char b[256];
			while (recv(fd, b, sizeof b, 0) > 0)
				;
		}
		close(fd);
	}
	return NULL;
}

static raw *raw_start(const script *s, int ns)
{
	raw *r = xcalloc(1, sizeof *r);
	r->s = s;
	r->ns = ns;
	cur_raw = r;
	r->lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(r->lfd, 8), 0);
	socklen_t l = sizeof a;
	getsockname(r->lfd, (struct sockaddr *)&a, &l);
	r->port = ntohs(a.sin_port);
	pthread_create(&r->th, NULL, raw_main, r);
	return r;
}

static void raw_stop(raw *r)
{
	shutdown(r->lfd, SHUT_RDWR);
	pthread_join(r->th, NULL);
	close(r->lfd);
	free(r);
}

/* ---- tests against our server ---- */

static void plain_methods_and_keepalive(void **state)
{
	(void)state;
	char *base = url_of("http", srv->port, "");
	err e = {0};
	h1_origin *o = h1_origin_new(base, NULL, &e);
	assert_non_null(o);
	result r;
	char *u = url_of("http", srv->port, "/hello");
	do_req(o, "GET", u, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_str(&r.body), "hello");
	buf_release(&r.body);
	free(u);
	u = url_of("http", srv->port, "/echo?a=1&a=2");
	do_req(o, "POST", u, "payload", 5000, 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_string_equal(buf_str(&r.body),
		"POST /echo?a=1&a=2 path=/echo a0=1 a1=2 x=yes len=7 body=payload");
	buf_release(&r.body);
	free(u);
	/* an empty POST still says Content-Length: 0 */
	u = url_of("http", srv->port, "/echo");
	do_req(o, "POST", u, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_non_null(strstr(buf_str(&r.body), "len=0"));
	buf_release(&r.body);
	free(u);
	u = url_of("http", srv->port, "/status?code=404");
	do_req(o, "DELETE", u, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_int_equal(r.status, 404);
	buf_release(&r.body);
	free(u);
	/* 500 more requests, all on the one connection */
	u = url_of("http", srv->port, "/hello");
	for (int i = 0; i < 500; i++) {
		do_req(o, "GET", u, NULL, 5000, 0, &r);
		assert_int_equal(r.rc, H1_OK);
		buf_release(&r.body);
	}
	assert_int_equal(h1_origin_connects(o), 1);
	free(u);
	h1_origin_free(o);
	free(base);
}

typedef struct thr {
	h1_origin *o;
	char *url;
	int fails;
} thr;

static void *hammer(void *arg)
{
	thr *t = arg;
	for (int i = 0; i < 200; i++) {
		result r;
		do_req(t->o, "GET", t->url, NULL, 5000, 0, &r);
		if (r.rc != H1_OK || strcmp(buf_str(&r.body), "hello"))
			t->fails++;
		buf_release(&r.body);
	}
	return NULL;
}

static void threads_share_connections(void **state)
{
	(void)state;
	char *base = url_of("http", srv->port, "/");
	h1_origin *o = h1_origin_new(base, NULL, NULL);
	thr t[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		t[i] = (thr){.o = o, .url = url_of("http", srv->port, "/hello")};
		pthread_create(&th[i], NULL, hammer, &t[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(t[i].fails, 0);
		free(t[i].url);
	}
	assert_true(h1_origin_connects(o) <= 4);
	h1_origin_free(o);
	free(base);
}

static void chunked_and_stop(void **state)
{
	(void)state;
	char *base = url_of("http", srv->port, "");
	h1_origin *o = h1_origin_new(base, NULL, NULL);
	result r;
	char *u = url_of("http", srv->port, "/stream?n=5&ms=5");
	do_req(o, "GET", u, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_int_equal(r.status, 200);
	assert_true(r.body.len > 0);
	buf_release(&r.body);
	free(u);
	/* the chunked answer ended cleanly, so the connection is reused */
	u = url_of("http", srv->port, "/hello");
	do_req(o, "GET", u, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_OK);
	buf_release(&r.body);
	free(u);
	assert_int_equal(h1_origin_connects(o), 1);
	h1_origin_free(o);
	free(base);
}

static bool stop_soon(void *ud)
{
	int *n = ud;
	return ++*n >= 3;
}

static void watch_stops_and_times_out(void **state)
{
	(void)state;
	char *base = url_of("http", srv->port, "");
	h1_origin *o = h1_origin_new(base, NULL, NULL);
	char *u = url_of("http", srv->port, "/watch");
	int polls = 0;
	long st;
	char msg[H1_MSG_MAX];
	h1_req q = {.method = "GET", .url = u, .stop = stop_soon, .ud = &polls};
	assert_int_equal(h1_do(o, &q, &st, msg, sizeof msg), H1_ESTOPPED);
	assert_int_equal(st, 200);
	h1_req t = {.method = "GET", .url = u, .timeout_ms = 300};
	assert_int_equal(h1_do(o, &t, &st, msg, sizeof msg), H1_ETIMEOUT);
	assert_non_null(strstr(msg, "Operation timed out after"));
	free(u);
	h1_origin_free(o);
	free(base);
}

/* ---- scripted answers ---- */

static void run_script(const script *s, int ns, const char *method, size_t cap, result *r)
{
	raw *srvr = raw_start(s, ns);
	char *u = url_of("http", srvr->port, "/x");
	h1_origin *o = h1_origin_new(u, NULL, NULL);
	do_req(o, method, u, NULL, 3000, cap, r);
	h1_origin_free(o);
	free(u);
	raw_stop(srvr);
}

static void bodies_and_truncation(void **state)
{
	(void)state;
	result r;
	script cl[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 1}};
	run_script(cl, 1, "GET", 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_string_equal(buf_str(&r.body), "hello");
	buf_release(&r.body);
	script ch[] = {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			"3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n", 0, 1}};
	run_script(ch, 1, "GET", 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_string_equal(buf_str(&r.body), "abcdefg");
	buf_release(&r.body);
	script eof[] = {{"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", 0, 0}};
	run_script(eof, 1, "GET", 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_string_equal(buf_str(&r.body), "until the end");
	buf_release(&r.body);
	script cont[] = {{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
			  "Content-Length: 2\r\n\r\nok", 0, 1}};
	run_script(cont, 1, "POST", 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_int_equal(r.status, 201);
	assert_string_equal(buf_str(&r.body), "ok");
	buf_release(&r.body);
	script head[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", 0, 1}};
	run_script(head, 1, "HEAD", 0, &r);
	assert_int_equal(r.rc, H1_OK);
	buf_release(&r.body);
	script tcl[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, 0}};
	run_script(tcl, 1, "GET", 0, &r);
	assert_int_equal(r.rc, H1_EPROTO);
	assert_string_equal(r.msg, "transfer closed with 7 bytes remaining to read");
	buf_release(&r.body);
	script tch[] = {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 0, 0}};
	run_script(tch, 1, "GET", 0, &r);
	assert_int_equal(r.rc, H1_EPROTO);
	assert_string_equal(r.msg, "transfer closed with outstanding read data remaining");
	buf_release(&r.body);
	script thd[] = {{"HTTP/1.1 200 OK\r\nContent-Le", 0, 0}};
	run_script(thd, 1, "GET", 0, &r);
	assert_int_equal(r.rc, H1_EPROTO);
	buf_release(&r.body);
	script bad[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 0,
		0}};
	run_script(bad, 1, "GET", 0, &r);
	assert_int_equal(r.rc, H1_EPROTO);
	buf_release(&r.body);
	script junk[] = {{"SSH-2.0-OpenSSH\r\n", 0, 0}};
	run_script(junk, 1, "GET", 0, &r);
	assert_int_equal(r.rc, H1_EPROTO);
	assert_non_null(strstr(r.msg, "malformed answer"));
	buf_release(&r.body);
	/* nothing at all: a closed connection, twice (the retry is for reused ones only) */
	script none[] = {{NULL, 0, 0}};
	run_script(none, 1, "GET", 0, &r);
	assert_int_equal(r.rc, H1_ECONNECT);
	assert_string_equal(r.msg, "Empty reply from server");
	buf_release(&r.body);
}

static void oversize(void **state)
{
	(void)state;
	result r;
	/* a body over the sink's cap */
	script big[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789", 0, 1}};
	run_script(big, 1, "GET", 10, &r);
	assert_int_equal(r.rc, H1_EWRITE);
	assert_int_equal(r.status, 200);
	buf_release(&r.body);
	/* a head over H1_HEADER_MAX */
	size_t n = H1_HEADER_MAX + 1024;
	char *h = xmalloc(n + 64);
	int k = snprintf(h, 64, "HTTP/1.1 200 OK\r\nX-Big: ");
	memset(h + k, 'a', n - (size_t)k);
	memcpy(h + n, "\r\n\r\n", 5);
	script hs[] = {{h, 0, 1}};
	run_script(hs, 1, "GET", 0, &r);
	assert_int_equal(r.rc, H1_EPROTO);
	assert_non_null(strstr(r.msg, "headers larger than"));
	buf_release(&r.body);
	free(h);
}

static void reuse_after_server_close(void **state)
{
	(void)state;
	/* the first connection answers once with keep-alive and then closes: the second request
	 * notices (or fails with nothing back) and goes to a new connection */
	script s[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", 0, 0},
		{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb", 0, 1}};
	raw *rs = raw_start(s, 2);
	char *u = url_of("http", rs->port, "/x");
	h1_origin *o = h1_origin_new(u, NULL, NULL);
	result r;
	do_req(o, "GET", u, NULL, 3000, 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_string_equal(buf_str(&r.body), "a");
	buf_release(&r.body);
	usleep(50000);
	do_req(o, "PUT", u, "x", 3000, 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_string_equal(buf_str(&r.body), "b");
	buf_release(&r.body);
	assert_int_equal(h1_origin_connects(o), 2);
	h1_origin_free(o);
	free(u);
	raw_stop(rs);
}

static void timeouts_and_refusals(void **state)
{
	(void)state;
	result r;
	script silent[] = {{NULL, 0, 1}};
	raw *rs = raw_start(silent, 1);
	char *u = url_of("http", rs->port, "/x");
	h1_origin *o = h1_origin_new(u, NULL, NULL);
	do_req(o, "GET", u, NULL, 300, 0, &r);
	assert_int_equal(r.rc, H1_ETIMEOUT);
	buf_release(&r.body);
	h1_origin_free(o);
	free(u);
	raw_stop(rs);
	o = h1_origin_new("http://127.0.0.1:1", NULL, NULL);
	do_req(o, "GET", "http://127.0.0.1:1/api", NULL, 3000, 0, &r);
	assert_int_equal(r.rc, H1_ECONNECT);
	assert_non_null(strstr(r.msg, "Failed to connect to 127.0.0.1 port 1"));
	buf_release(&r.body);
	/* a URL of another origin is refused */
	do_req(o, "GET", "http://127.0.0.1:2/api", NULL, 3000, 0, &r);
	assert_int_equal(r.rc, H1_ECONNECT);
	buf_release(&r.body);
	h1_origin_free(o);
	o = h1_origin_new("http://no-such-host.invalid:80", NULL, NULL);
	do_req(o, "GET", "http://no-such-host.invalid:80/", NULL, 3000, 0, &r);
	assert_int_equal(r.rc, H1_ECONNECT);
	assert_string_equal(r.msg, "Could not resolve host: no-such-host.invalid");
	buf_release(&r.body);
	h1_origin_free(o);
	err e = {0};
	assert_null(h1_origin_new("ftp://x", NULL, &e));
	assert_string_equal(e.reason, "InvalidRequest");
	assert_null(h1_origin_new("http://user:pw@host", NULL, &e));
	o = h1_origin_new("http://[::1]:8080/prefix", NULL, &e);
	assert_non_null(o);
	h1_origin_free(o);
}

static void proxies_from_the_environment(void **state)
{
	(void)state;
	result r;
	script ok[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, 1}};
	raw *rs = raw_start(ok, 1);
	char *px = xasprintf("http://u:p@127.0.0.1:%d", rs->port);
	setenv("http_proxy", px, 1);
	h1_origin *o = h1_origin_new("http://api.example.invalid:8080", NULL, NULL);
	do_req(o, "GET", "http://api.example.invalid:8080/x?y=1", NULL, 3000, 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_string_equal(buf_str(&r.body), "ok");
	assert_non_null(strstr(rs->last, "GET http://api.example.invalid:8080/x?y=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(rs->last, "Proxy-Authorization: Basic dTpw\r\n"));
	buf_release(&r.body);
	h1_origin_free(o);
	raw_stop(rs);
	/* no_proxy: straight to the (unresolvable) host */
	setenv("no_proxy", "localhost, .example.invalid", 1);
	o = h1_origin_new("http://api.example.invalid:8080", NULL, NULL);
	do_req(o, "GET", "http://api.example.invalid:8080/x", NULL, 3000, 0, &r);
	assert_int_equal(r.rc, H1_ECONNECT);
	assert_string_equal(r.msg, "Could not resolve host: api.example.invalid");
	buf_release(&r.body);
	h1_origin_free(o);
	unsetenv("no_proxy");
	unsetenv("http_proxy");
	/* https through CONNECT; a refused tunnel is a connect error */
	script no[] = {{"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 0, 0}};
	rs = raw_start(no, 1);
	free(px);
	px = xasprintf("127.0.0.1:%d", rs->port);
	setenv("HTTPS_PROXY", px, 1);
	o = h1_origin_new("https://api.example.invalid:6443", NULL, NULL);
	do_req(o, "GET", "https://api.example.invalid:6443/x", NULL, 3000, 0, &r);
	assert_int_equal(r.rc, H1_ECONNECT);
	assert_string_equal(r.msg, "CONNECT tunnel failed, response 403");
	assert_non_null(strstr(rs->last, "CONNECT api.example.invalid:6443 HTTP/1.1\r\n"));
	buf_release(&r.body);
	h1_origin_free(o);
	raw_stop(rs);
	unsetenv("HTTPS_PROXY");
	free(px);
}

/* ---- TLS ---- */

static void tls(void **state)
{
	(void)state;
	char *crt = slurp("srv.crt"), *key = slurp("srv.key"), *ca = slurp("ca.crt");
	char *ccrt = slurp("cli.crt"), *ckey = slurp("cli.key"), *rogue = slurp("rogue.crt");
	assert_non_null(crt);
	http_server_opts so = {.tls_cert_pem = crt, .tls_key_pem = key, .tls_client_ca_pem = ca,
		.tls_client_auth = HTTP_TLS_CLIENT_OPTIONAL};
	ts *t = ts_start(&so);
	char *base = url_of("https", t->port, "");
	char *who = url_of("https", t->port, "/whoami");
	result r;

	h1_origin_opts oo = {.ca_pem = ca};
	h1_origin *o = h1_origin_new(base, &oo, NULL);
	do_req(o, "GET", who, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_string_equal(buf_str(&r.body), "anonymous tls=1");
	buf_release(&r.body);
	for (int i = 0; i < 50; i++) {
		do_req(o, "GET", who, NULL, 5000, 0, &r);
		assert_int_equal(r.rc, H1_OK);
		buf_release(&r.body);
	}
	assert_int_equal(h1_origin_connects(o), 1);
	h1_origin_free(o);

	oo.cert_pem = ccrt;
	oo.key_pem = ckey;
	o = h1_origin_new(base, &oo, NULL);
	do_req(o, "GET", who, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_OK);
	assert_string_equal(buf_str(&r.body), "cn=alice orgs=system:masters");
	buf_release(&r.body);
	h1_origin_free(o);

	/* the wrong CA, the system store (which does not know ours), insecure */
	h1_origin_opts wrong = {.ca_pem = rogue};
	o = h1_origin_new(base, &wrong, NULL);
	do_req(o, "GET", who, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_ETLS);
	assert_non_null(strstr(r.msg, "SSL certificate problem"));
	buf_release(&r.body);
	h1_origin_free(o);
	o = h1_origin_new(base, NULL, NULL);
	do_req(o, "GET", who, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_ETLS);
	assert_non_null(strstr(r.msg, "SSL certificate problem"));
	buf_release(&r.body);
	h1_origin_free(o);
	h1_origin_opts ins = {.insecure = true};
	o = h1_origin_new(base, &ins, NULL);
	do_req(o, "GET", who, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_OK);
	buf_release(&r.body);
	h1_origin_free(o);

	/* a host name the certificate does not name */
	char *lbase = xasprintf("https://localhost:%d", t->port);
	char *lwho = xasprintf("https://localhost:%d/whoami", t->port);
	o = h1_origin_new(lbase, &(h1_origin_opts){.ca_pem = ca}, NULL);
	do_req(o, "GET", lwho, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_ETLS);
	assert_non_null(strstr(r.msg, "no alternative certificate subject name"));
	buf_release(&r.body);
	h1_origin_free(o);

	/* CA data and a key that do not load: every call says so */
	o = h1_origin_new(base, &(h1_origin_opts){.ca_pem = "not a pem"}, NULL);
	do_req(o, "GET", who, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_ETLS);
	assert_non_null(strstr(r.msg, "error setting certificate verify locations"));
	buf_release(&r.body);
	h1_origin_free(o);
	o = h1_origin_new(base, &(h1_origin_opts){.ca_pem = ca, .cert_pem = ccrt,
		.key_pem = key}, NULL);
	do_req(o, "GET", who, NULL, 5000, 0, &r);
	assert_int_equal(r.rc, H1_ETLS);
	buf_release(&r.body);
	h1_origin_free(o);

	/* plain HTTP to a TLS port, TLS to a plain port */
	char *pbase = url_of("http", t->port, "");
	o = h1_origin_new(pbase, NULL, NULL);
	do_req(o, "GET", pbase, NULL, 2000, 0, &r);
	assert_int_not_equal(r.rc, H1_OK);
	buf_release(&r.body);
	h1_origin_free(o);
	char *tbase = url_of("https", srv->port, "");
	o = h1_origin_new(tbase, &(h1_origin_opts){.ca_pem = ca}, NULL);
	do_req(o, "GET", tbase, NULL, 2000, 0, &r);
	assert_int_equal(r.rc, H1_ETLS);
	buf_release(&r.body);
	h1_origin_free(o);

	ts_stop(t);
	free(pbase);
	free(tbase);
	free(lbase);
	free(lwho);
	free(base);
	free(who);
	free(crt);
	free(key);
	free(ca);
	free(ccrt);
	free(ckey);
	free(rogue);
}

/* ---- the parser on its own, split at every byte ---- */

static void parser_split_everywhere(void **state)
{
	(void)state;
	const char *ans = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nEXTRA";
	size_t n = strlen(ans) - 5;
	for (size_t cut = 1; cut < n; cut++) {
		buf b;
		buf_init(&b, 64);
		h1_resp *p = h1_resp_new(false, to_buf, &b);
		size_t used = 0;
		assert_int_equal(h1_resp_feed(p, ans, cut, &used), H1_FEED_MORE);
		assert_int_equal(used, cut);
		assert_int_equal(h1_resp_feed(p, ans + cut, strlen(ans) - cut, &used), H1_FEED_DONE);
		assert_int_equal(cut + used, n); /* EXTRA is left */
		assert_int_equal(h1_resp_status(p), 200);
		assert_true(h1_resp_keep_alive(p));
		assert_string_equal(buf_str(&b), "abcde");
		h1_resp_free(p);
		buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_methods_and_keepalive),
		cmocka_unit_test(threads_share_connections),
		cmocka_unit_test(chunked_and_stop),
		cmocka_unit_test(watch_stops_and_times_out),
		cmocka_unit_test(bodies_and_truncation),
		cmocka_unit_test(oversize),
		cmocka_unit_test(reuse_after_server_close),
		cmocka_unit_test(timeouts_and_refusals),
		cmocka_unit_test(proxies_from_the_environment),
		cmocka_unit_test(tls),
		cmocka_unit_test(parser_split_everywhere),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
