#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "eddy/buf.h"
#include "eddy/err.h"

static void buf_respects_cap(void **state)
{
	buf b;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "abcd"), 0);
	assert_int_equal(buf_addf(&b, "%d", 123), 0);
	assert_string_equal(buf_str(&b), "abcd123");
	assert_int_equal(buf_adds(&b, "xy"), -1); /* would be 9 > 8 */
	assert_string_equal(buf_str(&b), "abcd123");
	assert_int_equal(buf_addc(&b, 'z'), 0);
	assert_int_equal(b.len, 8);
	size_t n;
	char *s = buf_detach(&b, &n);
	assert_int_equal(n, 8);
	assert_string_equal(s, "abcd123z");
	free(s);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
}

static void buf_grows_past_small_format(void **state)
{
	buf b;
	buf_init(&b, 1 << 20);
	char big[1000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(buf_addf(&b, "<%s>", big), 0);
	assert_int_equal(b.len, 1001);
	buf_release(&b);
}

static void err_carries_reason_and_prefix(void **state)
{
	err e = { 0 };
	assert_false(err_is_set(&e));
	assert_int_equal(err_fail(&e, "GitOperationFailed", "clone %s", "failed"), -1);
	assert_true(err_is_set(&e));
	err_prefix(&e, "checkout %s", "main");
	assert_string_equal(e.reason, "GitOperationFailed");
	assert_string_equal(e.msg, "checkout main: clone failed");
	assert_int_equal(e.cls, ERR_GENERIC);
	err_clear(&e);
	assert_false(err_is_set(&e));
	assert_int_equal(err_set(NULL, ERR_STALLING, "X", "y"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_respects_cap),
		cmocka_unit_test(buf_grows_past_small_format),
		cmocka_unit_test(err_carries_reason_and_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
