#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "eddy/log.h"
#include "eddy/mem.h"

/* Logs go to a memfd; read() returns what was written since the last reset. */
static int sink = -1;

static void reset_sink(log_level level, log_encoding enc)
{
	if (sink >= 0)
		close(sink);
	sink = memfd_create("log", 0);
	assert_true(sink >= 0);
	log_setup(level, enc, sink);
}

static char *read_sink(void)
{
	off_t n = lseek(sink, 0, SEEK_END);
	char *s = xmalloc((size_t)n + 1);
	assert_int_equal(pread(sink, s, (size_t)n, 0), n);
	s[n] = '\0';
	return s;
}

static cJSON *one_line(void)
{
	char *s = read_sink();
	size_t len = strlen(s);
	assert_true(len > 0);
	assert_int_equal(s[len - 1], '\n');
	assert_null(memchr(s, '\n', len - 1)); /* exactly one line */
	cJSON *j = cJSON_Parse(s);
	assert_non_null(j);
	free(s);
	return j;
}

static const char *jstr(cJSON *j, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	assert_non_null(v);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void json_line_has_flux_keys_in_order(void **state)
{
	reset_sink(LOG_INFO, LOG_ENC_JSON);
	logger root, obj;
	log_init(&root, "runtime");
	log_for_object(&obj, &root, "source.toolkit.fluxcd.io", "GitRepository", "flux-system",
		       "podinfo", "8f0c9c9e-5b7a-4d61-a1f2-3f4b5c6d7e8f");
	log_info(&obj, "stored artifact", LOG_S("revision", "main@sha1:abc"), LOG_I("count", -3),
		 LOG_U("size", 42), LOG_B("changed", true), LOG_D("took", 0.25));
	char *s = read_sink();
	/* Key order: level, ts, logger, msg, fixed fields, call fields. */
	const char *order[] = { "\"level\":\"info\"", "\"ts\":\"",
				"\"logger\":\"runtime\"", "\"msg\":\"stored artifact\"",
				"\"controller\":\"gitrepository\"",
				"\"controllerGroup\":\"source.toolkit.fluxcd.io\"",
				"\"controllerKind\":\"GitRepository\"",
				("\"GitRepository\":{\"name\":\"podinfo\","
				 "\"namespace\":\"flux-system\"}"),
				"\"namespace\":\"flux-system\"", "\"name\":\"podinfo\"",
				"\"reconcileID\":\"8f0c9c9e-5b7a-4d61-a1f2-3f4b5c6d7e8f\"",
				"\"revision\":\"main@sha1:abc\"", "\"count\":-3", "\"size\":42",
				"\"changed\":true", "\"took\":0.25" };
	const char *at = s;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		const char *p = strstr(at, order[i]);
		if (!p)
			fail_msg("missing or out of order: %s in %s", order[i], s);
		at = p + strlen(order[i]);
	}
	assert_int_equal(s[0], '{');
	cJSON *j = cJSON_Parse(s);
	assert_non_null(j);
	/* ts: 2026-01-02T15:04:05.123Z */
	const char *ts = jstr(j, "ts");
	assert_int_equal(strlen(ts), 24);
	assert_int_equal(ts[10], 'T');
	assert_int_equal(ts[19], '.');
	assert_int_equal(ts[23], 'Z');
	cJSON_Delete(j);
	free(s);
	log_release(&obj);
	log_release(&root);
}

static void error_key_is_last_and_levels_filter(void **state)
{
	reset_sink(LOG_INFO, LOG_ENC_JSON);
	log_debug(NULL, "hidden");
	log_trace(NULL, "hidden too");
	char *s = read_sink();
	assert_string_equal(s, "");
	free(s);
	log_error(NULL, "clone failed: exit 128", "Reconciler error", LOG_S("k", "v"));
	cJSON *j = one_line();
	assert_string_equal(jstr(j, "level"), "error");
	assert_string_equal(jstr(j, "error"), "clone failed: exit 128");
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "logger")); /* root has no name */
	/* error comes after the call's fields */
	char *txt = cJSON_PrintUnformatted(j);
	assert_true(strstr(txt, "\"k\":\"v\"") < strstr(txt, "\"error\":"));
	free(txt);
	cJSON_Delete(j);

	reset_sink(LOG_TRACE, LOG_ENC_JSON);
	assert_true(log_enabled(LOG_TRACE));
	log_trace(NULL, "t");
	j = one_line();
	assert_string_equal(jstr(j, "level"), "trace");
	cJSON_Delete(j);
	reset_sink(LOG_DEBUG, LOG_ENC_JSON);
	assert_false(log_enabled(LOG_TRACE));
	assert_true(log_enabled(LOG_DEBUG));
	log_debug(NULL, "d");
	j = one_line();
	assert_string_equal(jstr(j, "level"), "debug");
	cJSON_Delete(j);
	reset_sink(LOG_ERROR, LOG_ENC_JSON);
	log_info(NULL, "no");
	s = read_sink();
	assert_string_equal(s, "");
	free(s);
}

static void escaping_and_invalid_utf8(void **state)
{
	reset_sink(LOG_INFO, LOG_ENC_JSON);
	log_info(NULL, "quote \" backslash \\ newline \n tab \t bell \a ok é bad \xff end",
		 LOG_S("nul", NULL), LOG_D("nan", 0.0 / 0.0), LOG_D("big", 1e21));
	cJSON *j = one_line();
	assert_string_equal(jstr(j, "msg"),
			    "quote \" backslash \\ newline \n tab \t bell \a ok é bad "
			    "\xef\xbf\xbd end");
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "nul")));
	assert_string_equal(jstr(j, "nan"), "NaN");
	assert_true(cJSON_GetObjectItemCaseSensitive(j, "big")->valuedouble == 1e21);
	cJSON_Delete(j);
}

static void console_encoding(void **state)
{
	reset_sink(LOG_INFO, LOG_ENC_CONSOLE);
	logger l;
	log_init(&l, "setup");
	log_info(&l, "starting manager", LOG_S("version", "1.0"));
	log_error(&l, "boom", "failed");
	char *s = read_sink();
	char *second = strchr(s, '\n');
	assert_non_null(second);
	*second++ = '\0';
	/* <ts>\tINFO\tsetup\tstarting manager\t{"version":"1.0"} */
	char *tab = strchr(s, '\t');
	assert_non_null(tab);
	assert_int_equal(tab - s, 24);
	assert_string_equal(tab, "\tINFO\tsetup\tstarting manager\t{\"version\":\"1.0\"}");
	tab = strchr(second, '\t');
	assert_string_equal(tab, "\tERROR\tsetup\tfailed\t{\"error\":\"boom\"}\n");
	free(s);
	log_release(&l);
}

static void named_and_with(void **state)
{
	reset_sink(LOG_INFO, LOG_ENC_JSON);
	logger a, b, c;
	log_init(&a, "runtime");
	log_named(&b, &a, "events");
	log_kv kv[] = { LOG_S("x", "1"), LOG_J("obj", "{\"a\":[1,2]}") };
	log_with(&c, &b, kv, 2);
	log_info(&c, "m", LOG_S("y", "2"));
	cJSON *j = one_line();
	assert_string_equal(jstr(j, "logger"), "runtime.events");
	assert_string_equal(jstr(j, "x"), "1");
	assert_string_equal(jstr(j, "y"), "2");
	cJSON *obj = cJSON_GetObjectItem(j, "obj");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(obj, "a")), 2);
	cJSON_Delete(j);
	log_release(&c);
	log_release(&b);
	log_release(&a);
}

static void parse_names(void **state)
{
	log_level l;
	log_encoding e;
	assert_int_equal(log_parse_level("trace", &l), 0);
	assert_int_equal(l, LOG_TRACE);
	assert_int_equal(log_parse_level("error", &l), 0);
	assert_int_equal(l, LOG_ERROR);
	assert_int_equal(log_parse_level("warn", &l), -1);
	assert_int_equal(log_parse_level("INFO", &l), -1);
	assert_int_equal(log_parse_encoding("console", &e), 0);
	assert_int_equal(e, LOG_ENC_CONSOLE);
	assert_int_equal(log_parse_encoding("text", &e), -1);
	char ts[40];
	assert_string_equal(log_timestamp(ts, sizeof ts, 1700000000123456789LL),
			    "2023-11-14T22:13:20.123Z");
}

static void very_long_line_is_truncated_not_dropped(void **state)
{
	reset_sink(LOG_INFO, LOG_ENC_JSON);
	size_t n = 600 * 1024;
	char *big = xmalloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	log_error(NULL, "short error", "huge", LOG_S("blob", big));
	free(big);
	cJSON *j = one_line();
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "truncated")));
	assert_string_equal(jstr(j, "error"), "short error");
	assert_null(cJSON_GetObjectItem(j, "blob"));
	cJSON_Delete(j);
}

static void *log_many(void *arg)
{
	logger l;
	log_init(&l, (const char *)arg);
	char pad[2000];
	memset(pad, 'p', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	for (int i = 0; i < 200; i++)
		log_info(&l, "line", LOG_I("i", i), LOG_S("pad", pad));
	log_release(&l);
	return NULL;
}

static void threads_never_interleave(void **state)
{
	reset_sink(LOG_INFO, LOG_ENC_JSON);
	pthread_t t[4];
	const char *names[] = { "w0", "w1", "w2", "w3" };
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, log_many, (void *)names[i]), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	char *s = read_sink();
	int lines = 0;
	char *save = NULL;
	for (char *ln = strtok_r(s, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		cJSON *j = cJSON_Parse(ln);
		assert_non_null(j);
		cJSON_Delete(j);
		lines++;
	}
	assert_int_equal(lines, 800);
	free(s);
}

static void redact_urls(void **state)
{
	struct {
		const char *in, *out;
	} cases[] = {
		{ "https://user:pa55@github.com/org/repo.git", "https://github.com/org/repo.git" },
		{ "https://token@host:8443/x?ref=main", "https://host:8443/x?ref=main" },
		{ "https://s3.example.com/b?X-Amz-Signature=abc&X-Amz-Credential=k&ok=1#frag",
		  "https://s3.example.com/b?X-Amz-Signature=redacted&X-Amz-Credential=redacted&ok=1"
		  "#frag" },
		{ "ssh://git@github.com/org/repo", "ssh://github.com/org/repo" },
		{ "git@github.com:org/repo", "git@github.com:org/repo" }, /* not a URL */
		{ "http://h/p@q", "http://h/p@q" },			  /* @ in the path */
		{ "oci://ghcr.io/stefanprodan/charts", "oci://ghcr.io/stefanprodan/charts" },
		{ "https://h/?access_token=s3cr3t", "https://h/?access_token=redacted" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *r = log_redact_url(cases[i].in);
		assert_string_equal(r, cases[i].out);
		free(r);
	}
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_line_has_flux_keys_in_order),
		cmocka_unit_test(error_key_is_last_and_levels_filter),
		cmocka_unit_test(escaping_and_invalid_utf8),
		cmocka_unit_test(console_encoding),
		cmocka_unit_test(named_and_with),
		cmocka_unit_test(parse_names),
		cmocka_unit_test(very_long_line_is_truncated_not_dropped),
		cmocka_unit_test(threads_never_interleave),
		cmocka_unit_test(redact_urls),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (sink >= 0)
		close(sink);
	return rc;
}
