#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/git.h"
#include "eddy/mem.h"
#include "eddy/semver.h"

static void parse_and_compare(void **state)
{
	(void)state;
	semver a, b;
	assert_int_equal(semver_parse("v1.2.3", &a, NULL), 0);
	assert_true(a.major == 1 && a.minor == 2 && a.patch == 3 && !a.pre[0]);
	assert_int_equal(semver_parse("1.2", &a, NULL), 0);
	assert_true(a.major == 1 && a.minor == 2 && a.patch == 0);
	assert_int_equal(semver_parse("1.0.0-rc.1+build.5", &a, NULL), 0);
	assert_string_equal(a.pre, "rc.1");
	const char *bad[] = {"", "v", "1..2", "1.2.3.4", "a.b.c", "1.2.3-", "1.2.3-a..b", "1.2.x",
		"01x"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err e = {0};
		if (semver_parse(bad[i], &a, &e) == 0)
			fail_msg("'%s' parsed", bad[i]);
		assert_string_equal(e.reason, "InvalidSemver");
	}
	/* semver.org precedence example */
	const char *order[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"};
	for (size_t i = 0; i + 1 < sizeof order / sizeof *order; i++) {
		assert_int_equal(semver_parse(order[i], &a, NULL), 0);
		assert_int_equal(semver_parse(order[i + 1], &b, NULL), 0);
		if (semver_cmp(&a, &b) >= 0 || semver_cmp(&b, &a) <= 0)
			fail_msg("%s < %s", order[i], order[i + 1]);
	}
	assert_int_equal(semver_parse("1.0.0+a", &a, NULL), 0);
	assert_int_equal(semver_parse("1.0.0+b", &b, NULL), 0);
	assert_int_equal(semver_cmp(&a, &b), 0);
}

struct rc {
	const char *range, *version;
	bool match;
};

static void ranges(void **state)
{
	(void)state;
	static const struct rc cases[] = {
		{">=1.0.0 <2.0.0", "1.2.0", true},
		{">=1.0.0 <2.0.0", "2.0.0", false},
		{">=1.0.0, <2.0.0", "1.9.9", true},
		{">=1.0.0 <2.0.0", "2.0.0-rc.1", false},
		{">=2.0.0-0", "2.0.0-rc.1", true},
		{"*", "3.4.5", true},
		{"*", "3.4.5-beta", false},
		{"1.2.x", "1.2.9", true},
		{"1.2.x", "1.3.0", false},
		{"1.x", "1.9.0", true},
		{"1", "1.5.0", true},
		{"1", "2.0.0", false},
		{"~1.2.3", "1.2.9", true},
		{"~1.2.3", "1.3.0", false},
		{"~1", "1.9.0", true},
		{"^1.2.3", "1.9.0", true},
		{"^1.2.3", "2.0.0", false},
		{"^0.2.3", "0.2.9", true},
		{"^0.2.3", "0.3.0", false},
		{"^0.0.3", "0.0.4", false},
		{"1.2 - 1.4.5", "1.4.5", true},
		{"1.2 - 1.4.5", "1.4.6", false},
		{"1.2 - 1.4", "1.4.9", true},
		{"<1.2 || >=3", "1.1.0", true},
		{"<1.2 || >=3", "2.0.0", false},
		{"<1.2 || >=3", "3.1.0", true},
		{"!=1.2.3", "1.2.3", false},
		{"!=1.2.3", "1.2.4", true},
		{">1.2", "1.2.5", false},
		{">1.2", "1.3.0", true},
		{"<=1.2", "1.2.9", true},
		{"=1.2.3", "1.2.3", true},
		{"v1.2.3", "1.2.3", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		err e = {0};
		semver_range *r = semver_range_parse(cases[i].range, &e);
		if (!r)
			fail_msg("'%s': %s", cases[i].range, e.msg);
		semver v;
		assert_int_equal(semver_parse(cases[i].version, &v, NULL), 0);
		if (semver_range_match(r, &v) != cases[i].match)
			fail_msg("'%s' vs %s: expected %d", cases[i].range, cases[i].version,
				cases[i].match);
		semver_range_free(r);
	}
	const char *bad[] = {"", ">>1", "1.2.3 ||", "|| 1", ">=a", "1 - ", "~"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err e = {0};
		semver_range *r = semver_range_parse(bad[i], &e);
		if (r)
			fail_msg("'%s' parsed", bad[i]);
		assert_string_equal(e.reason, "InvalidSemver");
	}
}

static void git_helpers(void **state)
{
	(void)state;
	char *u = gitx_redact_url("https://user:secret@example.com:8443/org/repo.git");
	assert_string_equal(u, "https://example.com:8443/org/repo.git");
	free(u);
	u = gitx_redact_url("ssh://git@host/x@y");
	assert_string_equal(u, "ssh://host/x@y");
	free(u);
	u = gitx_redact_url("http://host/repo");
	assert_string_equal(u, "http://host/repo");
	free(u);
	assert_string_equal(gitx_revision_hex("main@sha1:abc"), "abc");
	assert_string_equal(gitx_revision_hex("sha1:def"), "def");
	assert_string_equal(gitx_revision_hex("main"), "");
	/* scheme checks happen before any network use */
	gitx_opts o = {.url = "file:///tmp/x"};
	gitx_result r;
	err e = {0};
	assert_int_equal(gitx_checkout(&o, "/nonexistent/never", &r, &e), -1);
	assert_string_equal(e.reason, "URLInvalid");
	assert_int_equal(e.cls, ERR_STALLING);
	gitx_opts o2 = {.url = "https://127.0.0.1:1/x.git", .auth = {.cert_pem = "x"}};
	assert_int_equal(gitx_checkout(&o2, "/nonexistent/never", &r, &e), -1);
	/* a client certificate needs its key (and the other way round) */
	assert_non_null(strstr(e.msg, "needs both tls.crt and tls.key"));
	assert_string_equal(e.reason, "AuthenticationFailed");
	assert_int_equal(e.cls, ERR_STALLING);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_and_compare),
		cmocka_unit_test(ranges),
		cmocka_unit_test(git_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
