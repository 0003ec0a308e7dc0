/* clock: the clocks, RFC 3339 in every precision callers use, Go durations at the edges
 * (test_app_flags covers the duration grammar through the flag parser too). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy/clock.h"

static void clocks_move(void **state)
{
	(void)state;
	int64_t a = clock_mono_ms();
	struct timespec ts = {0, 20 * 1000000L};
	nanosleep(&ts, NULL);
	int64_t b = clock_mono_ms();
	assert_true(b - a >= 19);
	int64_t r = clock_real_ns();
	assert_true(r > (int64_t)1700000000 * 1000000000);
	assert_true(llabs(r / 1000000000 - (int64_t)time(NULL)) <= 1);
}

static void rfc3339_precisions(void **state)
{
	(void)state;
	char out[CLOCK_RFC3339_MAX];
	const int64_t t = 1700000000123456789LL;
	assert_string_equal(clock_rfc3339(out, sizeof out, t, 0), "2023-11-14T22:13:20Z");
	assert_string_equal(clock_rfc3339(out, sizeof out, t, 3), "2023-11-14T22:13:20.123Z");
	assert_string_equal(clock_rfc3339(out, sizeof out, t, 6), "2023-11-14T22:13:20.123456Z");
	assert_string_equal(clock_rfc3339(out, sizeof out, t, 9),
			    "2023-11-14T22:13:20.123456789Z");
	assert_string_equal(clock_rfc3339(out, sizeof out, 0, 3), "1970-01-01T00:00:00.000Z");
	/* before the epoch the fraction still counts forward from the second */
	assert_string_equal(clock_rfc3339(out, sizeof out, -1, 9),
			    "1969-12-31T23:59:59.999999999Z");
	/* a short buffer is cut, never overrun */
	char small[8];
	assert_string_equal(clock_rfc3339(small, sizeof small, t, 0), "2023-11");
	/* whole seconds, past what nanoseconds in an int64 can hold */
	assert_string_equal(clock_rfc3339_sec(out, sizeof out, 1700000000), "2023-11-14T22:13:20Z");
	assert_string_equal(clock_rfc3339_sec(out, sizeof out, 0), "1970-01-01T00:00:00Z");
	assert_string_equal(clock_rfc3339_sec(out, sizeof out, 253402300800),
			    "10000-01-01T00:00:00Z");
	assert_string_equal(clock_rfc3339_sec(out, sizeof out, INT64_MAX), "");
	clock_rfc3339_now(out, sizeof out, 6);
	assert_int_equal(strlen(out), 27);
	assert_int_equal(out[26], 'Z');
	clock_rfc3339_now(out, sizeof out, 0);
	assert_int_equal(strlen(out), 20);
}

static void go_durations(void **state)
{
	(void)state;
	int64_t ns = 0;
	err e = {0};
	assert_int_equal(godur_parse("1h30m", &ns, &e), 0);
	assert_true(ns == 90 * GODUR_MINUTE);
	assert_int_equal(godur_parse("-1.5s", &ns, &e), 0);
	assert_true(ns == -1500 * GODUR_MS);
	assert_int_equal(godur_parse("9223372036854775807ns", &ns, &e), 0);
	assert_int_equal(godur_parse("-9223372036854775808ns", &ns, &e), 0);
	assert_true(ns == INT64_MIN);
	assert_int_equal(godur_parse("9223372036854775808ns", &ns, &e), -1);
	assert_string_equal(e.msg, "time: invalid duration \"9223372036854775808ns\"");
	assert_string_equal(e.reason, "InvalidDuration");
	assert_int_equal(godur_parse("1e3s", &ns, &e), -1);
	assert_int_equal(godur_parse("", &ns, NULL), -1);
	assert_int_equal(godur_parse(NULL, &ns, NULL), -1);
	char out[40];
	assert_string_equal(godur_format(out, sizeof out, 90 * GODUR_MINUTE), "1h30m0s");
	assert_string_equal(godur_format(out, sizeof out, 1500 * 1000), "1.5ms");
	assert_string_equal(godur_format(out, sizeof out, 1500), "1.5\xc2\xb5s");
	assert_string_equal(godur_format(out, sizeof out, 0), "0s");
	assert_string_equal(godur_format(out, sizeof out, INT64_MIN), "-2562047h47m16.854775808s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clocks_move),
		cmocka_unit_test(rfc3339_precisions),
		cmocka_unit_test(go_durations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
