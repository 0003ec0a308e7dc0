/* The blocking HTTP client against our own server (plain and TLS with a throwaway CA made by
 * the openssl CLI): methods, headers, retries, caps, timeouts, streaming, cancel, proxies,
 * client certificates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ssl.h>
#include <sys/stat.h>

#include "http_testlib.h"

static ts *srv;
static char dir[256];
/* A URL on the test server; eight rotating buffers so a test can hold several. */
static const char *u(const char *path)
{
	static char urls[8][512];
	static int next;
	char *url = urls[next++ % 8];
	snprintf(url, 512, "http://127.0.0.1:%d%s", srv->port, path);
	return url;
}

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

static char *path_of(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static int make_pki(void)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
		 "set -e; cd '%s'; exec 2>openssl.log;"
		 "K='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes';"
		 "openssl req -x509 $K -keyout ca.key -out ca.crt -days 2 -subj /CN=eddy-test-ca;"
		 "openssl req -x509 $K -keyout rogue.key -out rogue.crt -days 2 -subj /CN=rogue-ca;"
		 "printf 'subjectAltName=IP:127.0.0.1\\n' > srv.ext;"
		 "printf 'extendedKeyUsage=clientAuth\\n' > cli.ext;"
		 "openssl req $K -keyout srv.key -out srv.csr -subj /CN=127.0.0.1;"
		 "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out "
		 "srv.crt"
		 " -days 2 -extfile srv.ext;"
		 "openssl req $K -keyout cli.key -out cli.csr -subj "
		 "'/CN=alice/O=system:masters/O=dev';"
		 "openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out "
		 "cli.crt"
		 " -days 2 -extfile cli.ext;"
		 "openssl req $K -keyout bad.key -out bad.csr -subj '/CN=mallory/O=system:masters';"
		 "openssl x509 -req -in bad.csr -CA rogue.crt -CAkey rogue.key -CAcreateserial"
		 " -out bad.crt -days 2 -extfile cli.ext",
		 dir);
	return system(cmd);
}

static int setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/eddy-http-client-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (make_pki() != 0)
		return -1;
	srv = ts_start(NULL);
	/* no proxy from the environment for the plain tests */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	return 0;
}

static int teardown(void **state)
{
	ts_stop(srv);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static void methods_headers_and_bodies(void **state)
{
	http_client *c = http_client_new(NULL, NULL);
	assert_non_null(c);
	http_response r;
	err e;
	err_clear(&e);
	http_client_req q = {.url = u("/hello")};
	assert_int_equal(http_client_do(c, &q, &r, &e), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_str(&r.body), "hello");
	assert_string_equal(http_response_header(&r, "x-hello"), "yes");
	assert_string_equal(http_response_header(&r, "Content-Length"), "5");
	http_response_release(&r);

	const char *hdrs[] = {"X-Test: yes", NULL};
	http_client_req p = {.method = "POST", .url = u("/echo?a=1&a=2"), .headers = hdrs,
			     .body = "payload", .body_len = 7};
	assert_int_equal(http_client_do(c, &p, &r, &e), 0);
	assert_string_equal(buf_str(&r.body), "POST /echo?a=1&a=2 path=/echo a0=1 a1=2 x=yes len=7 "
					      "body=payload");
	http_response_release(&r);

	/* a body of 100 KiB (more than curl's 100-continue threshold) */
	size_t bn = 60000;
	char *big = xmalloc(bn);
	memset(big, 'z', bn);
	http_client_req put = {.method = "PUT", .url = u("/echo"), .body = big, .body_len = bn};
	assert_int_equal(http_client_do(c, &put, &r, &e), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(buf_str(&r.body), "PUT /echo path=/echo a0=- a1=- x=- len=60000"));
	http_response_release(&r);
	free(big);

	/* a body without a type gets none; a given type is sent */
	http_client_req ct = {.method = "POST", .url = u("/ctype"), .body = "{}", .body_len = 2};
	assert_int_equal(http_client_do(c, &ct, &r, &e), 0);
	assert_string_equal(buf_str(&r.body), "none");
	http_response_release(&r);
	const char *jh[] = {"Content-Type: application/merge-patch+json", NULL};
	ct.method = "PATCH";
	ct.headers = jh;
	assert_int_equal(http_client_do(c, &ct, &r, &e), 0);
	assert_string_equal(buf_str(&r.body), "application/merge-patch+json");
	http_response_release(&r);

	http_client_req del = {.method = "DELETE", .url = u("/echo")};
	assert_int_equal(http_client_do(c, &del, &r, &e), 0);
	assert_non_null(strstr(buf_str(&r.body), "DELETE /echo"));
	http_response_release(&r);

	http_client_req head = {.method = "HEAD", .url = u("/hello")};
	assert_int_equal(http_client_do(c, &head, &r, &e), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	http_response_release(&r);

	http_client_req nf = {.url = u("/status?code=404")};
	assert_int_equal(http_client_do(c, &nf, &r, &e), 0);
	assert_int_equal(r.status, 404);
	http_response_release(&r);

	const char *bad[] = {"X-Evil: a\r\nInjected: b", NULL};
	http_client_req inj = {.url = u("/hello"), .headers = bad};
	assert_int_equal(http_client_do(c, &inj, &r, &e), -1);
	assert_string_equal(e.reason, "InvalidRequest");
	http_response_release(&r);
	http_client_free(c);
}

static void keepalive_reuses_one_connection(void **state)
{
	http_client *c = http_client_new(NULL, NULL);
	http_response r;
	err e;
	http_client_req q = {.url = u("/conns")};
	uint64_t t0 = now_ms();
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(http_client_do(c, &q, &r, &e), 0);
		assert_int_equal(r.status, 200);
		/* only this client's connection is open (earlier tests' connections are gone) */
		if (i >= 100 && strcmp(buf_str(&r.body), "1") != 0)
			fail_msg("request %d saw %s connections", i, buf_str(&r.body));
		http_response_release(&r);
	}
	assert_true(now_ms() - t0 < 20000);
	http_client_free(c);
}

static void retries_on_503_then_succeeds(void **state)
{
	http_client_opts o = {.retries = 3, .retry_base_ms = 10};
	http_client *c = http_client_new(&o, NULL);
	http_response r;
	err e;
	http_client_req reset = {.url = u("/flaky?reset=1")};
	assert_int_equal(http_client_do(c, &reset, &r, &e), 0);
	http_response_release(&r);
	http_client_req q = {.url = u("/flaky")};
	assert_int_equal(http_client_do(c, &q, &r, &e), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_str(&r.body), "ok after 2\n");
	http_response_release(&r);
	/* without retries the 503 is the answer */
	assert_int_equal(http_client_do(c, &reset, &r, &e), 0);
	http_response_release(&r);
	http_client_req once = {.url = u("/flaky"), .retries = -1};
	assert_int_equal(http_client_do(c, &once, &r, &e), 0);
	assert_int_equal(r.status, 503);
	http_response_release(&r);
	/* retries run out: the last 503 is returned */
	http_client_req two = {.url = u("/status?code=502"), .retries = 2};
	uint64_t t0 = now_ms();
	assert_int_equal(http_client_do(c, &two, &r, &e), 0);
	assert_int_equal(r.status, 502);
	assert_true(now_ms() - t0 >= 10);
	http_response_release(&r);
	http_client_free(c);
}

static int closed_port(void)
{
	/* a port that was just free: bind, read, close */
	uv_loop_t l;
	uv_loop_init(&l);
	uv_tcp_t t;
	uv_tcp_init(&l, &t);
	struct sockaddr_in a;
	uv_ip4_addr("127.0.0.1", 0, &a);
	uv_tcp_bind(&t, (struct sockaddr *)&a, 0);
	struct sockaddr_in b;
	int len = sizeof b;
	uv_tcp_getsockname(&t, (struct sockaddr *)&b, &len);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&l, UV_RUN_DEFAULT);
	uv_loop_close(&l);
	return ntohs(b.sin_port);
}

static void connect_errors_are_retried_and_never_leak_secrets(void **state)
{
	http_client_opts o = {.retries = 2, .retry_base_ms = 50, .bearer_token = "TOPSECRET-TOKEN",
			      .no_proxy_env = true};
	http_client *c = http_client_new(&o, NULL);
	http_response r;
	err e;
	char target[256];
	snprintf(target, sizeof target, "http://user:hunter2@127.0.0.1:%d/x/y?token=abc#frag",
		 closed_port());
	http_client_req q = {.url = target};
	uint64_t t0 = now_ms();
	assert_int_equal(http_client_do(c, &q, &r, &e), -1);
	uint64_t took = now_ms() - t0;
	assert_true(took >= 100); /* two backoffs: at least 37 + 75 ms with jitter */
	assert_string_equal(e.reason, "ConnectionFailed");
	assert_null(strstr(e.msg, "hunter2"));
	assert_null(strstr(e.msg, "TOPSECRET"));
	assert_null(strstr(e.msg, "abc"));
	assert_non_null(strstr(e.msg, "GET http://127.0.0.1:"));
	assert_non_null(strstr(e.msg, "/x/y"));
	http_response_release(&r);
	http_client_free(c);
}

static void bearer_and_basic_auth(void **state)
{
	http_client_opts o = {.bearer_token = "tok123"};
	http_client *c = http_client_new(&o, NULL);
	http_response r;
	err e;
	http_client_req q = {.url = u("/auth")};
	assert_int_equal(http_client_do(c, &q, &r, &e), 0);
	assert_string_equal(buf_str(&r.body), "Bearer tok123");
	http_response_release(&r);
	http_client_free(c);
	http_client_opts b = {.basic_user = "bob", .basic_password = "pw"};
	c = http_client_new(&b, NULL);
	assert_int_equal(http_client_do(c, &q, &r, &e), 0);
	assert_string_equal(buf_str(&r.body), "Basic Ym9iOnB3"); /* bob:pw */
	http_response_release(&r);
	http_client_free(c);
}

static void response_cap_aborts(void **state)
{
	http_client_opts o = {.max_response_bytes = 1000};
	http_client *c = http_client_new(&o, NULL);
	http_response r;
	err e;
	http_client_req ok = {.url = u("/big?n=1000")};
	assert_int_equal(http_client_do(c, &ok, &r, &e), 0);
	assert_int_equal(r.body.len, 1000);
	http_response_release(&r);
	http_client_req q = {.url = u("/big?n=5000000")};
	assert_int_equal(http_client_do(c, &q, &r, &e), -1);
	assert_string_equal(e.reason, "ResponseTooLarge");
	assert_non_null(strstr(e.msg, "1000 bytes"));
	http_response_release(&r);
	/* a per-request cap */
	http_client_req big = {.url = u("/big?n=5000000"), .max_response_bytes = 6000000};
	assert_int_equal(http_client_do(c, &big, &r, &e), 0);
	assert_int_equal(r.body.len, 5000000);
	http_response_release(&r);
	http_client_free(c);
}

static void timeouts(void **state)
{
	http_client_opts o = {.timeout_ms = 300};
	http_client *c = http_client_new(&o, NULL);
	http_response r;
	err e;
	http_client_req q = {.url = u("/slow?ms=3000")};
	uint64_t t0 = now_ms();
	assert_int_equal(http_client_do(c, &q, &r, &e), -1);
	assert_true(now_ms() - t0 < 2000);
	assert_string_equal(e.reason, "Timeout");
	http_response_release(&r);
	http_client_free(c);
}

typedef struct sink {
	int chunks;
	size_t bytes;
	int stop_after;
	char text[4096];
} sink;

static int on_chunk(const char *p, size_t n, void *ud)
{
	sink *s = ud;
	s->chunks++;
	if (s->bytes + n < sizeof s->text) {
		memcpy(s->text + s->bytes, p, n);
		s->text[s->bytes + n] = '\0';
	}
	s->bytes += n;
	return s->stop_after && s->chunks >= s->stop_after;
}

static void streaming_and_stopping(void **state)
{
	http_client *c = http_client_new(NULL, NULL);
	http_response r;
	err e;
	sink s = {0};
	http_client_req q = {.url = u("/stream?n=4&ms=30"), .on_chunk = on_chunk, .chunk_ud = &s};
	assert_int_equal(http_client_do(c, &q, &r, &e), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	assert_true(s.chunks >= 2);
	assert_non_null(strstr(s.text, "{\"event\":3}"));
	http_response_release(&r);

	/* the callback stops a watch; the server learns that the client went away */
	int gone = atomic_load(&srv->watch_gone);
	sink w = {.stop_after = 2};
	http_client_req watch = {.url = u("/watch?ms=20"), .on_chunk = on_chunk, .chunk_ud = &w};
	assert_int_equal(http_client_do(c, &watch, &r, &e), -1);
	assert_string_equal(e.reason, "Canceled");
	http_response_release(&r);
	http_client_free(c); /* closes the connection */
	uint64_t t0 = now_ms();
	while (atomic_load(&srv->watch_gone) == gone && now_ms() - t0 < 3000)
		usleep(10000);
	assert_int_equal(atomic_load(&srv->watch_gone), gone + 1);

	/* an error status goes to the body, not to the callback */
	c = http_client_new(NULL, NULL);
	sink x = {0};
	http_client_req nf = {.url = u("/status?code=410"), .on_chunk = on_chunk, .chunk_ud = &x};
	assert_int_equal(http_client_do(c, &nf, &r, &e), 0);
	assert_int_equal(r.status, 410);
	assert_int_equal(x.chunks, 0);
	assert_string_equal(buf_str(&r.body), "status 410\n");
	http_response_release(&r);
	http_client_free(c);
}

typedef struct canceler {
	http_client *c;
	int ms;
} canceler;

static void cancel_later(void *arg)
{
	canceler *k = arg;
	usleep((useconds_t)k->ms * 1000);
	http_client_cancel(k->c);
}

static void cancel_from_another_thread(void **state)
{
	http_client *c = http_client_new(NULL, NULL);
	http_response r;
	err e;
	sink s = {0};
	/* a quiet watch: one event per 10 s, so only the cancel can end it */
	http_client_req q = {.url = u("/watch?ms=10000"), .on_chunk = on_chunk, .chunk_ud = &s};
	canceler k = {c, 300};
	uv_thread_t th;
	assert_int_equal(uv_thread_create(&th, cancel_later, &k), 0);
	uint64_t t0 = now_ms();
	assert_int_equal(http_client_do(c, &q, &r, &e), -1);
	uv_thread_join(&th);
	assert_string_equal(e.reason, "Canceled");
	assert_true(now_ms() - t0 < 3000);
	http_response_release(&r);
	/* sticky until reset */
	http_client_req h = {.url = u("/hello")};
	assert_int_equal(http_client_do(c, &h, &r, &e), -1);
	assert_string_equal(e.reason, "Canceled");
	http_response_release(&r);
	http_client_reset_cancel(c);
	assert_int_equal(http_client_do(c, &h, &r, &e), 0);
	http_response_release(&r);
	http_client_free(c);
}

static void explicit_and_environment_proxies(void **state)
{
	/* our server answers absolute-form targets, so it can play the proxy */
	char proxy[64];
	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", srv->port);
	http_client_opts o = {.proxy = proxy};
	http_client *c = http_client_new(&o, NULL);
	http_response r;
	err e;
	http_client_req q = {.url = "http://eddy-nowhere.invalid/echo?a=via"};
	assert_int_equal(http_client_do(c, &q, &r, &e), 0);
	assert_non_null(strstr(buf_str(&r.body), "GET http://eddy-nowhere.invalid/echo?a=via "
						 "path=/echo a0=via"));
	http_response_release(&r);
	http_client_free(c);

	setenv("http_proxy", proxy, 1);
	c = http_client_new(NULL, NULL);
	assert_int_equal(http_client_do(c, &q, &r, &e), 0);
	assert_int_equal(r.status, 200);
	http_response_release(&r);
	http_client_free(c);
	http_client_opts np = {.no_proxy_env = true, .connect_timeout_ms = 2000};
	c = http_client_new(&np, NULL);
	assert_int_equal(http_client_do(c, &q, &r, &e), -1);
	assert_string_equal(e.reason, "ConnectionFailed");
	http_response_release(&r);
	http_client_free(c);
	unsetenv("http_proxy");
}

/* ---- TLS ---- */

static ts *tls_server(http_tls_client_auth mode, bool pem)
{
	http_server_opts o = {0};
	char *cert = path_of("srv.crt"), *key = path_of("srv.key"), *ca = path_of("ca.crt");
	char *cpem = NULL, *kpem = NULL, *capem = NULL;
	if (pem) {
		o.tls_cert_pem = cpem = slurp("srv.crt");
		o.tls_key_pem = kpem = slurp("srv.key");
		o.tls_client_ca_pem = capem = slurp("ca.crt");
	} else {
		o.tls_cert_file = cert;
		o.tls_key_file = key;
		o.tls_client_ca_file = ca;
	}
	o.tls_client_auth = mode;
	ts *t = ts_start(&o);
	free(cert);
	free(key);
	free(ca);
	free(cpem);
	free(kpem);
	free(capem);
	return t;
}

static int get_tls(ts *t, const http_client_opts *o, const char *path, http_response *r, err *e)
{
	char target[256];
	snprintf(target, sizeof target, "https://127.0.0.1:%d%s", t->port, path);
	http_client *c = http_client_new(o, NULL);
	http_client_req q = {.url = target};
	int rc = http_client_do(c, &q, r, e);
	http_client_free(c);
	return rc;
}

static void tls_server_and_client(void **state)
{
	ts *t = tls_server(HTTP_TLS_CLIENT_OPTIONAL, false);
	http_response r;
	err e;
	char *ca = path_of("ca.crt");
	http_client_opts o = {.ca_file = ca};
	assert_int_equal(get_tls(t, &o, "/whoami", &r, &e), 0);
	assert_string_equal(buf_str(&r.body), "anonymous tls=1");
	http_response_release(&r);
	/* unknown CA: refused; insecure: accepted */
	http_client_opts none = {0};
	assert_int_equal(get_tls(t, &none, "/hello", &r, &e), -1);
	assert_string_equal(e.reason, "TLSError");
	http_response_release(&r);
	http_client_opts ins = {.insecure_skip_verify = true};
	assert_int_equal(get_tls(t, &ins, "/hello", &r, &e), 0);
	assert_string_equal(buf_str(&r.body), "hello");
	http_response_release(&r);
	/* CA as PEM text */
	char *capem = slurp("ca.crt");
	http_client_opts mem = {.ca_pem = capem};
	assert_int_equal(get_tls(t, &mem, "/hello", &r, &e), 0);
	http_response_release(&r);
	/* client certificate from files */
	char *cc = path_of("cli.crt"), *ck = path_of("cli.key");
	http_client_opts cf = {.ca_file = ca, .cert_file = cc, .key_file = ck};
	assert_int_equal(get_tls(t, &cf, "/whoami", &r, &e), 0);
	assert_string_equal(buf_str(&r.body), "cn=alice orgs=system:masters,dev");
	http_response_release(&r);
	/* client certificate as PEM text */
	char *ccp = slurp("cli.crt"), *ckp = slurp("cli.key");
	http_client_opts cp = {.ca_pem = capem, .cert_pem = ccp, .key_pem = ckp};
	assert_int_equal(get_tls(t, &cp, "/whoami", &r, &e), 0);
	assert_string_equal(buf_str(&r.body), "cn=alice orgs=system:masters,dev");
	http_response_release(&r);
	/* a certificate from another CA gives no identity */
	char *bc = path_of("bad.crt"), *bk = path_of("bad.key");
	http_client_opts bad = {.ca_file = ca, .cert_file = bc, .key_file = bk};
	assert_int_equal(get_tls(t, &bad, "/whoami", &r, &e), 0);
	assert_string_equal(buf_str(&r.body), "anonymous tls=1");
	http_response_release(&r);
	/* a plain-text client on the TLS port does not hurt the server */
	tresp tr;
	assert_int_equal(tc_request(t->port, "GET /hello HTTP/1.1\r\n\r\n", &tr), -1);
	/* a streamed response over TLS */
	sink s = {0};
	char target[256];
	snprintf(target, sizeof target, "https://127.0.0.1:%d/stream?n=3&ms=10", t->port);
	http_client *c = http_client_new(&cf, NULL);
	http_client_req q = {.url = target, .on_chunk = on_chunk, .chunk_ud = &s};
	assert_int_equal(http_client_do(c, &q, &r, &e), 0);
	assert_non_null(strstr(s.text, "{\"event\":2}"));
	http_response_release(&r);
	/* a large body over TLS */
	snprintf(target, sizeof target, "https://127.0.0.1:%d/big?n=3000000", t->port);
	http_client_req big = {.url = target};
	assert_int_equal(http_client_do(c, &big, &r, &e), 0);
	assert_int_equal(r.body.len, 3000000);
	assert_int_equal(r.body.data[2999999], 'a' + 2999999 % 26);
	http_response_release(&r);
	http_client_free(c);
	ts_stop(t);

	/* REQUIRE: no certificate, no service; server material given as PEM text */
	t = tls_server(HTTP_TLS_CLIENT_REQUIRE, true);
	assert_int_equal(get_tls(t, &o, "/hello", &r, &e), -1);
	http_response_release(&r);
	assert_int_equal(get_tls(t, &bad, "/hello", &r, &e), -1);
	http_response_release(&r);
	assert_int_equal(get_tls(t, &cp, "/whoami", &r, &e), 0);
	assert_string_equal(buf_str(&r.body), "cn=alice orgs=system:masters,dev");
	http_response_release(&r);
	ts_stop(t);

	/* bad server material is an error value */
	uv_loop_t l;
	uv_loop_init(&l);
	http_server_opts so = {.tls_cert_pem = "not a cert", .tls_key_pem = "nor a key"};
	err_clear(&e);
	assert_null(http_server_new(&l, &so, h_hello, NULL, &e));
	assert_string_equal(e.reason, "TLSConfigFailed");
	uv_run(&l, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&l), 0);

	free(ca);
	free(capem);
	free(cc);
	free(ck);
	free(ccp);
	free(ckp);
	free(bc);
	free(bk);
}

/* Hostile TLS peers: garbage, half a ClientHello, a finished handshake and then silence. The
 * server keeps serving and drops them all. */
static size_t client_hello(unsigned char *out, size_t cap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	SSL_set_bio(ssl, rb, wb);
	SSL_set_connect_state(ssl);
	SSL_do_handshake(ssl);
	int n = BIO_read(wb, out, (int)cap);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return n > 0 ? (size_t)n : 0;
}

static void tls_abuse(void **state)
{
	http_server_opts o = {0};
	char *cert = path_of("srv.crt"), *key = path_of("srv.key"), *ca = path_of("ca.crt");
	o.tls_cert_file = cert;
	o.tls_key_file = key;
	o.header_timeout_ms = 1000;
	ts *t = ts_start(&o);
	unsigned char hello[4096];
	size_t hl = client_hello(hello, sizeof hello);
	assert_true(hl > 20);
	enum { N = 60 };
	int fds[N];
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *done[N / 3] = {0};
	int nd = 0;
	for (int i = 0; i < N; i++) {
		fds[i] = tc_connect(t->port);
		assert_true(fds[i] >= 0);
		switch (i % 3) {
		case 0:
			tc_sends(fds[i], "\x16\x03\x01\x00\x05garbage garbage garbage");
			break;
		case 1:
			tc_send(fds[i], (const char *)hello, hl / 2);
			break;
		default: { /* full handshake, then nothing */
			SSL *ssl = SSL_new(cctx);
			SSL_set_fd(ssl, fds[i]);
			assert_int_equal(SSL_connect(ssl), 1);
			done[nd++] = ssl;
			break;
		}
		}
	}
	/* a real client is served promptly meanwhile */
	http_client_opts co = {.ca_file = ca};
	http_response r;
	err e;
	uint64_t t0 = now_ms();
	assert_int_equal(get_tls(t, &co, "/hello", &r, &e), 0);
	assert_string_equal(buf_str(&r.body), "hello");
	http_response_release(&r);
	assert_true(now_ms() - t0 < 2000);
	/* the header timeout drops the silent ones; the others are dropped at once */
	t0 = now_ms();
	for (int i = 0; i < N; i++)
		assert_true(tc_closed_within(fds[i], 5000));
	assert_true(now_ms() - t0 < 5000);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	for (int i = 0; i < nd; i++)
		SSL_free(done[i]);
	SSL_CTX_free(cctx);
	t0 = now_ms();
	char body[32] = "";
	while (now_ms() - t0 < 3000) {
		assert_int_equal(get_tls(t, &co, "/conns", &r, &e), 0);
		snprintf(body, sizeof body, "%s", buf_str(&r.body));
		http_response_release(&r);
		if (strcmp(body, "1") == 0)
			break;
		usleep(50000);
	}
	assert_string_equal(body, "1");
	ts_stop(t);
	free(cert);
	free(key);
	free(ca);
}

/* ---- a real Go client (kubectl) against the TLS server ---- */

static char *run_capture(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	if (!f)
		return NULL;
	char *out = xcalloc(1, 65536);
	size_t n = fread(out, 1, 65535, f);
	out[n] = '\0';
	int st = pclose(f);
	if (st != 0) {
		fprintf(stderr, "command failed (%d): %s\n%s\n", st, cmd, out);
		free(out);
		return NULL;
	}
	return out;
}

static void kubectl_as_a_client(void **state)
{
	const char *kubectl = getenv("KUBECTL");
	if (!kubectl || access(kubectl, X_OK) != 0)
		skip();
	ts *t = tls_server(HTTP_TLS_CLIENT_OPTIONAL, false);
	char base[1024], cmd[2048];
	snprintf(base, sizeof base,
		 "KUBECONFIG=/dev/null '%s' --server=https://127.0.0.1:%d "
		 "--certificate-authority='%s/ca.crt' --request-timeout=10s",
		 kubectl, t->port, dir);
	/* client certificate identity */
	snprintf(cmd, sizeof cmd,
		 "%s --client-certificate='%s/cli.crt' --client-key='%s/cli.key' get --raw /whoami",
		 base, dir, dir);
	char *out = run_capture(cmd);
	assert_non_null(out);
	assert_non_null(strstr(out, "cn=alice orgs=system:masters,dev"));
	free(out);
	/* bearer token */
	snprintf(cmd, sizeof cmd, "%s --token=sekret get --raw /auth", base);
	out = run_capture(cmd);
	assert_non_null(out);
	assert_non_null(strstr(out, "Bearer sekret"));
	free(out);
	/* a chunked stream */
	snprintf(cmd, sizeof cmd, "%s --token=t get --raw '/stream?n=4&ms=20'", base);
	out = run_capture(cmd);
	assert_non_null(out);
	assert_non_null(strstr(out, "{\"event\":0}\n{\"event\":1}\n{\"event\":2}\n{\"event\":3}"));
	free(out);
	/* a large body */
	snprintf(cmd, sizeof cmd, "%s --token=t get --raw '/big?n=2000000' | wc -c", base);
	out = run_capture(cmd);
	assert_non_null(out);
	assert_int_equal(strtol(out, NULL, 10), 2000000);
	free(out);
	ts_stop(t);
}

/* ---- the client on a uv loop ---- */

typedef struct mres {
	int done;
	long status;
	char reason[64];
	char body[256];
	sink s;
	http_call *call;
	int cancel_after; /* chunks */
} mres;

static void m_done(http_call *call, http_response *resp, const err *e, void *ud)
{
	mres *r = ud;
	r->done++;
	r->status = resp->status;
	snprintf(r->reason, sizeof r->reason, "%s", e ? e->reason : "");
	snprintf(r->body, sizeof r->body, "%s", buf_str(&resp->body));
}

static int m_chunk(const char *p, size_t n, void *ud)
{
	mres *r = ud;
	on_chunk(p, n, &r->s);
	if (r->cancel_after && r->s.chunks == r->cancel_after)
		http_call_cancel(r->call);
	return 0;
}

static void m_closed(void *d)
{
	(*(int *)d)++;
}

/* done callback that closes its client */
static http_multi *closing_m;
static int closing_count;
static void m_done_close(http_call *call, http_response *resp, const err *e, void *ud)
{
	m_done(call, resp, e, ud);
	http_multi_close(closing_m, m_closed, &closing_count);
}

/* chunk callback that starts another call */
static http_multi *chain_m;
static mres chained;
static int m_chunk_start(const char *p, size_t n, void *ud)
{
	mres *r = ud;
	if (r->s.chunks++ == 0) {
		http_client_req q = {.url = u("/hello")};
		assert_non_null(http_multi_start(chain_m, &q, m_done, &chained, NULL));
	}
	return 0;
}

static void loop_client(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	http_client_opts o = {.retry_base_ms = 10, .max_response_bytes = 100000};
	err e;
	http_multi *m = http_multi_new(&loop, &o, &e);
	assert_non_null(m);

	/* ten slow calls at once finish together: nothing blocks */
	mres r[10];
	memset(r, 0, sizeof r);
	uint64_t t0 = now_ms();
	for (int i = 0; i < 10; i++) {
		http_client_req q = {.url = u("/slow?ms=300")};
		assert_non_null(http_multi_start(m, &q, m_done, &r[i], &e));
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(now_ms() - t0 < 2000);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(r[i].done, 1);
		assert_int_equal(r[i].status, 200);
		assert_string_equal(r[i].body, "slow ok\n");
	}

	/* retries (503 twice), a POST body copied at start, the response cap */
	mres fl = {0}, po = {0}, big = {0};
	http_client_req reset = {.url = u("/flaky?reset=1")};
	http_client *bc = http_client_new(NULL, NULL);
	http_response rr;
	assert_int_equal(http_client_do(bc, &reset, &rr, &e), 0);
	http_response_release(&rr);
	http_client_free(bc);
	http_client_req fq = {.url = u("/flaky"), .retries = 3};
	assert_non_null(http_multi_start(m, &fq, m_done, &fl, &e));
	char body[8] = "abc";
	http_client_req pq = {.method = "POST", .url = u("/echo"), .body = body, .body_len = 3};
	assert_non_null(http_multi_start(m, &pq, m_done, &po, &e));
	body[0] = 'X';
	http_client_req bq = {.url = u("/big?n=200000")};
	assert_non_null(http_multi_start(m, &bq, m_done, &big, &e));
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(fl.status, 200);
	assert_string_equal(fl.body, "ok after 2\n");
	assert_non_null(strstr(po.body, "len=3 body=abc"));
	assert_string_equal(big.reason, "ResponseTooLarge");

	/* a watch canceled from its chunk callback; the server sees the client go */
	int gone = atomic_load(&srv->watch_gone);
	mres w = {.cancel_after = 3};
	http_client_req wq = {.url = u("/watch?ms=10"), .on_chunk = m_chunk, .chunk_ud = &w};
	w.call = http_multi_start(m, &wq, m_done, &w, &e);
	assert_non_null(w.call);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(w.done, 1);
	assert_string_equal(w.reason, "Canceled");
	assert_true(w.s.chunks >= 3);
	t0 = now_ms();
	while (atomic_load(&srv->watch_gone) == gone && now_ms() - t0 < 3000)
		usleep(10000);
	assert_int_equal(atomic_load(&srv->watch_gone), gone + 1);

	/* a call started from a chunk callback */
	chain_m = m;
	mres st = {0};
	http_client_req stq = {.url = u("/stream?n=3&ms=10"), .on_chunk = m_chunk_start,
			       .chunk_ud = &st};
	assert_non_null(http_multi_start(m, &stq, m_done, &st, &e));
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(st.done, 1);
	assert_int_equal(st.status, 200);
	assert_int_equal(chained.done, 1);
	assert_string_equal(chained.body, "hello");

	/* a client closed from inside a done callback */
	closing_m = http_multi_new(&loop, NULL, &e);
	mres cl = {0};
	http_client_req clq = {.url = u("/hello")};
	assert_non_null(http_multi_start(closing_m, &clq, m_done_close, &cl, &e));
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(cl.done, 1);
	assert_string_equal(cl.body, "hello");
	assert_int_equal(closing_count, 1);

	/* closing with a call in flight cancels it and frees everything */
	mres sl = {0};
	http_client_req sq = {.url = u("/slow?ms=5000")};
	assert_non_null(http_multi_start(m, &sq, m_done, &sl, &e));
	uv_run(&loop, UV_RUN_NOWAIT);
	int closed = 0;
	http_multi_close(m, m_closed, &closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(sl.done, 1);
	assert_string_equal(sl.reason, "Canceled");
	assert_int_equal(closed, 1);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(methods_headers_and_bodies),
		cmocka_unit_test(keepalive_reuses_one_connection),
		cmocka_unit_test(retries_on_503_then_succeeds),
		cmocka_unit_test(connect_errors_are_retried_and_never_leak_secrets),
		cmocka_unit_test(bearer_and_basic_auth),
		cmocka_unit_test(response_cap_aborts),
		cmocka_unit_test(timeouts),
		cmocka_unit_test(streaming_and_stopping),
		cmocka_unit_test(cancel_from_another_thread),
		cmocka_unit_test(explicit_and_environment_proxies),
		cmocka_unit_test(tls_server_and_client),
		cmocka_unit_test(tls_abuse),
		cmocka_unit_test(loop_client),
		cmocka_unit_test(kubectl_as_a_client),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
