/* regex.h: compile options, spans, limits on hostile patterns and subjects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/regex.h"

static int test1(const char *pat, unsigned flags, const char *s)
{
	rx *r = rx_compile(pat, flags, NULL, 0);
	assert_non_null(r);
	int rc = rx_test(r, s);
	rx_free(r);
	return rc;
}

static void options(void **state)
{
	(void)state;
	assert_int_equal(test1("b", 0, "abc"), 1);
	assert_int_equal(test1("b", RX_FULL, "abc"), 0);
	assert_int_equal(test1("a|abc", RX_FULL, "abc"), 1); /* the alternation is inside */
	assert_int_equal(test1("ab.", RX_FULL, "abc"), 1);
	assert_int_equal(test1("^.$", RX_UTF, "\xc3\xa9"), 1);
	assert_int_equal(test1("^.$", 0, "\xc3\xa9"), 0);
	assert_int_equal(test1("ABC", RX_CASELESS, "abc"), 1);
	/* Go's $ is the very end; PCRE2's default also matches before a final newline */
	assert_int_equal(test1("abc$", 0, "abc\n"), 1);
	assert_int_equal(test1("abc$", RX_GO, "abc\n"), 0);
	/* invalid UTF-8: refused without RX_GO, matched around with it */
	assert_int_equal(test1("b", RX_UTF, "a\xff" "b"), -1);
	assert_int_equal(test1("b", RX_UTF | RX_GO, "a\xff" "b"), 1);
	assert_int_equal(test1("(?:x)?", RX_FULL, NULL), 1);
	char msg[64];
	assert_null(rx_compile("a(b", 0, msg, sizeof msg));
	assert_string_equal(msg, "missing closing parenthesis");
	assert_null(rx_compile("\\C", RX_GO, NULL, 0));
	assert_null(rx_compile("(", 0, msg, 4));
	assert_int_equal(strlen(msg), 3);
}

static void spans(void **state)
{
	(void)state;
	rx *r = rx_compile("(a)(x)?(?<tail>c+)", 0, NULL, 0);
	assert_non_null(r);
	assert_int_equal(rx_groups(r), 3);
	assert_int_equal(rx_group_number(r, "tail"), 3);
	assert_int_equal(rx_group_number(r, "nope"), -1);
	rx_span sp[5];
	const char *s = "zzacc";
	assert_int_equal(rx_exec(r, s, 5, 0, sp, 5), 4);
	assert_int_equal(sp[0].start, 2);
	assert_int_equal(sp[0].end, 5);
	assert_int_equal(sp[1].start, 2);
	assert_true(sp[2].start == RX_UNSET && sp[2].end == RX_UNSET);
	assert_int_equal(sp[3].start, 3);
	assert_true(sp[4].start == RX_UNSET);
	/* fewer spans than groups, a start offset, a start past the end */
	assert_int_equal(rx_exec(r, s, 5, 0, sp, 1), 4);
	assert_int_equal(rx_exec(r, s, 5, 3, sp, 1), 0);
	assert_int_equal(rx_exec(r, s, 5, 6, sp, 1), -1);
	/* an explicit length: the NUL is part of the subject */
	rx *z = rx_compile("a\\x00b", 0, NULL, 0);
	assert_int_equal(rx_exec(z, "a\0b", 3, 0, NULL, 0), 1);
	rx_free(z);
	rx_free(r);
}

static void hostile(void **state)
{
	(void)state;
	/* catastrophic backtracking ends with -1, quickly */
	size_t n = 4096;
	char *s = xmalloc(n + 2);
	memset(s, 'a', n);
	s[n] = '!';
	s[n + 1] = 0;
	rx *r = rx_compile("(a+)+$", 0, NULL, 0);
	assert_int_equal(rx_test(r, s), -1);
	rx_free(r);
	r = rx_compile("(a|aa)+\\z", 0, NULL, 0);
	assert_int_equal(rx_test(r, s), -1);
	/* a tighter limit set by the caller */
	assert_int_equal(rx_test(r, "aaaaaaaaaaaaa!"), 0);
	rx_set_limits(r, 10, 0);
	assert_int_equal(rx_test(r, "aaaaaaaaaaaaa!"), -1);
	rx_free(r);
	/* deep nesting of groups in the subject walk: the depth limit stops it */
	r = rx_compile("(?:(a)|b)*\\z", 0, NULL, 0);
	rx_set_limits(r, 0, 100);
	assert_int_equal(rx_test(r, s), -1);
	rx_free(r);
	/* a pattern nested too deep is refused at compile time, not a crash */
	size_t d = 10000;
	char *p = xmalloc(2 * d + 2);
	for (size_t i = 0; i < d; i++) {
		p[i] = '(';
		p[d + 1 + i] = ')';
	}
	p[d] = 'a';
	p[2 * d + 1] = 0;
	char msg[128];
	assert_null(rx_compile(p, 0, msg, sizeof msg));
	assert_true(msg[0] != 0);
	free(p);
	free(s);
	rx_free(NULL);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options),
		cmocka_unit_test(spans),
		cmocka_unit_test(hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
