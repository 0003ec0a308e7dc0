/* strv: growth, NULL termination, ownership (add copies, take adopts), has/remove, reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/strv.h"

static void grows_and_terminates(void **state)
{
	(void)state;
	strv s = {0};
	assert_null(s.v);
	char tmp[16];
	for (int i = 0; i < 100; i++) {
		snprintf(tmp, sizeof tmp, "s%d", i);
		strv_add(&s, tmp);
		assert_int_equal(s.n, (size_t)i + 1);
		assert_null(s.v[s.n]);
		assert_true(s.cap >= s.n);
	}
	tmp[0] = 'X'; /* the vector holds copies */
	assert_string_equal(s.v[99], "s99");
	strv_addn(&s, "abcdef", 3);
	assert_string_equal(s.v[100], "abc");
	strv_take(&s, xstrdup("owned"));
	assert_string_equal(s.v[101], "owned");
	assert_null(s.v[102]);
	strv_release(&s);
	assert_null(s.v);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.cap, 0);
	strv_add(&s, "again");
	assert_string_equal(s.v[0], "again");
	strv_release(&s);
	strv_release(&s); /* releasing an empty vector is fine */
}

static void has_and_remove(void **state)
{
	(void)state;
	strv s = {0};
	assert_false(strv_has(&s, "a"));
	assert_false(strv_remove(&s, "a"));
	strv_add(&s, "a");
	strv_add(&s, "b");
	strv_add(&s, "c");
	strv_add(&s, "");
	assert_true(strv_has(&s, "b"));
	assert_true(strv_has(&s, ""));
	assert_false(strv_has(&s, "B"));
	assert_true(strv_remove(&s, "a"));
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[0], ""); /* the last took its place */
	assert_null(s.v[3]);
	assert_false(strv_has(&s, "a"));
	assert_true(strv_remove(&s, ""));
	assert_true(strv_remove(&s, "c"));
	assert_true(strv_remove(&s, "b"));
	assert_int_equal(s.n, 0);
	assert_null(s.v[0]);
	strv_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grows_and_terminates),
		cmocka_unit_test(has_and_remove),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
