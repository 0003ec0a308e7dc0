/* http_curl.h: the shared libcurl set-up against the test server: user agent, basic auth,
 * protocols, timeouts, an empty proxy environment, and the bounded body sink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "http_testlib.h"

#include "eddy/buf.h"
#include "eddy/http_curl.h"

static ts *srv;

static CURLcode get(const char *path, const http_curl_opts *o, buf *b, long *code)
{
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv->port, path);
	CURL *h = curl_easy_init();
	assert_non_null(h);
	http_curl_setup(h, o);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_curl_sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	CURLcode rc = curl_easy_perform(h);
	*code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
	curl_easy_cleanup(h);
	return rc;
}

static void setup_and_sink(void **state)
{
	(void)state;
	char ebuf[CURL_ERROR_SIZE];
	http_curl_opts o = {.errbuf = ebuf, .user_agent = "eddy-test/1", .connect_timeout_ms = 2000,
		.timeout_ms = 5000, .tcp_keepalive = true, .no_proxy_env = true};
	buf b;
	long code;
	buf_init(&b, 1 << 20);
	assert_int_equal(get("/whoami", &o, &b, &code), CURLE_OK);
	assert_int_equal(code, 200);
	buf_release(&b);
	/* basic auth */
	o.basic_user = "u";
	o.basic_pass = "p";
	buf_init(&b, 1 << 20);
	assert_int_equal(get("/auth", &o, &b, &code), CURLE_OK);
	assert_string_equal(buf_str(&b), "Basic dTpw");
	buf_release(&b);
	o.basic_user = o.basic_pass = NULL;
	/* the cap: a body one byte over it stops the transfer */
	buf_init(&b, 1000);
	assert_int_equal(get("/big?n=1000", &o, &b, &code), CURLE_OK);
	assert_int_equal(b.len, 1000);
	buf_release(&b);
	buf_init(&b, 1000);
	assert_int_equal(get("/big?n=1001", &o, &b, &code), CURLE_WRITE_ERROR);
	assert_true(b.len <= 1000);
	buf_release(&b);
	buf_init(&b, 1 << 20);
	assert_int_equal(get("/big?n=3000000", &o, &b, &code), CURLE_WRITE_ERROR);
	buf_release(&b);
	/* a slow answer passes the transfer timeout */
	o.timeout_ms = 200;
	buf_init(&b, 1 << 20);
	assert_int_equal(get("/slow?ms=2000", &o, &b, &code), CURLE_OPERATION_TIMEDOUT);
	assert_true(ebuf[0] != 0);
	buf_release(&b);
	/* only http and https */
	CURL *h = curl_easy_init();
	http_curl_setup(h, &o);
	curl_easy_setopt(h, CURLOPT_URL, "file:///etc/hostname");
	assert_int_equal(curl_easy_perform(h), CURLE_UNSUPPORTED_PROTOCOL);
	curl_easy_cleanup(h);
	/* a proxy that refuses connections is used (not the direct route) */
	o.timeout_ms = 5000;
	o.proxy = "http://127.0.0.1:1";
	o.proxy_no_exceptions = true;
	buf_init(&b, 1 << 20);
	assert_int_equal(get("/whoami", &o, &b, &code), CURLE_COULDNT_CONNECT);
	buf_release(&b);
	/* the sink itself */
	buf_init(&b, 4);
	assert_int_equal(http_curl_sink("abcd", 1, 4, &b), 4);
	assert_int_equal(http_curl_sink("e", 1, 1, &b), 0);
	buf_release(&b);
}

int main(void)
{
	mem_install_hooks();
	if (http_curl_global_init(NULL) != 0) /* loads libcurl (eddy/curldl.h) */
		return 1;
	if (http_curl_global_init(NULL) != 0) /* idempotent */
		return 1;
	srv = ts_start(NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(setup_and_sink),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	ts_stop(srv);
	return rc;
}
