#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <stdio.h>

#include "eddy/app.h"
#include "eddy/clock.h"
#include "eddy/mem.h"

static void durations_parse_like_go(void **state)
{
	struct {
		const char *in;
		int64_t ns;
	} ok[] = {
		{ "0", 0 },
		{ "5s", 5 * APP_SECOND },
		{ "30s", 30 * APP_SECOND },
		{ "1478s", 1478 * APP_SECOND },
		{ "-5s", -5 * APP_SECOND },
		{ "+5s", 5 * APP_SECOND },
		{ "-0", 0 },
		{ "+0", 0 },
		{ "5.0s", 5 * APP_SECOND },
		{ "5.6s", 5 * APP_SECOND + 600 * (int64_t)APP_MS },
		{ "5.s", 5 * APP_SECOND },
		{ ".5s", 500 * (int64_t)APP_MS },
		{ "1.0s", APP_SECOND },
		{ "1.00s", APP_SECOND },
		{ "1.004s", APP_SECOND + 4 * (int64_t)APP_MS },
		{ "1.0040s", APP_SECOND + 4 * (int64_t)APP_MS },
		{ "100.00100s", 100 * APP_SECOND + 1 * (int64_t)APP_MS },
		{ "10ns", 10 },
		{ "11us", 11 * (int64_t)APP_US },
		{ "12\xc2\xb5s", 12 * (int64_t)APP_US },
		{ "12\xce\xbcs", 12 * (int64_t)APP_US },
		{ "13ms", 13 * (int64_t)APP_MS },
		{ "500ms", 500 * (int64_t)APP_MS },
		{ "14s", 14 * APP_SECOND },
		{ "15m", 15 * APP_MINUTE },
		{ "10h", 10 * APP_HOUR },
		{ "3h30m", 3 * APP_HOUR + 30 * APP_MINUTE },
		{ "1m30s", 90 * APP_SECOND },
		{ "10.5s4m", 4 * APP_MINUTE + 10 * APP_SECOND + 500 * (int64_t)APP_MS },
		{ "-2m3.4s", -(2 * APP_MINUTE + 3 * APP_SECOND + 400 * (int64_t)APP_MS) },
		{ "1h2m3s4ms5us6ns",
		  APP_HOUR + 2 * APP_MINUTE + 3 * APP_SECOND + 4 * (int64_t)APP_MS + 5000 + 6 },
		{ "39h9m14.425s", 39 * APP_HOUR + 9 * APP_MINUTE + 14 * APP_SECOND +
					  425 * (int64_t)APP_MS },
		{ "52763797000ns", 52763797000LL },
		{ "0.3333333333333333333h", 20 * APP_MINUTE },
		{ "9007199254740993ns", 9007199254740993LL },
		{ "9223372036854775807ns", INT64_MAX },
		{ "9223372036854775.807us", INT64_MAX },
		{ "9223372036s854ms775us807ns", INT64_MAX },
		{ "-9223372036854775808ns", INT64_MIN },
		{ "-9223372036854775.808us", INT64_MIN },
		{ "0.100000000000000000000h", 6 * APP_MINUTE },
		{ "0.830103483285477580700h", 49 * APP_MINUTE + 48 * APP_SECOND + 372539827 },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int64_t ns = -42;
		err e;
		if (godur_parse(ok[i].in, &ns, &e) < 0)
			fail_msg("%s: %s", ok[i].in, e.msg);
		if (ns != ok[i].ns)
			fail_msg("%s: got %lld want %lld", ok[i].in, (long long)ns,
				 (long long)ok[i].ns);
	}
	const char *bad[] = { "",      "3",	  "-",	   "s",	     ".",	"-.",
			      ".s",    "+.s",	  "1d",	   "3000000h", "9223372036854775808ns",
			      "-9223372036854775809ns", "9223372036854775.808us",
			      "1s 2m", " 1s", "1.5.2s", "1e3s", "5sm", "1h-2m" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t ns = -42;
		err e;
		if (godur_parse(bad[i], &ns, &e) == 0)
			fail_msg("accepted \"%s\" as %lld", bad[i], (long long)ns);
		assert_int_equal(ns, -42);
		assert_string_equal(e.reason, "InvalidDuration");
	}
	err e;
	int64_t ns;
	assert_int_equal(godur_parse("1d", &ns, &e), -1);
	assert_string_equal(e.msg, "time: unknown unit \"d\" in duration \"1d\"");
	assert_int_equal(godur_parse("3", &ns, &e), -1);
	assert_string_equal(e.msg, "time: missing unit in duration \"3\"");
}

static void durations_format_like_go(void **state)
{
	struct {
		int64_t ns;
		const char *s;
	} cases[] = {
		{ 0, "0s" },
		{ 1, "1ns" },
		{ 1100, "1.1\xc2\xb5s" },
		{ 2200 * (int64_t)APP_US, "2.2ms" },
		{ 500 * (int64_t)APP_MS, "500ms" },
		{ 3300 * (int64_t)APP_MS, "3.3s" },
		{ 30 * APP_SECOND, "30s" },
		{ 90 * APP_SECOND, "1m30s" },
		{ 4 * APP_MINUTE + 5 * APP_SECOND, "4m5s" },
		{ 4 * APP_MINUTE + 5001 * (int64_t)APP_MS, "4m5.001s" },
		{ 5 * APP_HOUR + 6 * APP_MINUTE + 7001 * (int64_t)APP_MS, "5h6m7.001s" },
		{ 8 * APP_MINUTE + 1, "8m0.000000001s" },
		{ 10 * APP_HOUR, "10h0m0s" },
		{ 15 * APP_MINUTE, "15m0s" },
		{ -90 * APP_SECOND, "-1m30s" },
		{ INT64_MAX, "2562047h47m16.854775807s" },
		{ INT64_MIN, "-2562047h47m16.854775808s" },
	};
	char out[40];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_string_equal(godur_format(out, sizeof out, cases[i].ns), cases[i].s);
	assert_int_equal(app_duration_ms(1), 1);
	assert_int_equal(app_duration_ms(1500 * (int64_t)APP_US), 2);
	assert_int_equal(app_duration_ms(-5), 0);
	assert_int_equal(app_duration_ms(30 * APP_SECOND), 30000);
}

static const app_spec ks_spec = {
	.name = "kustomize-controller",
	.groups = APP_FL_CONTROLLER | APP_FL_EVENTS | APP_FL_REQUEUE_DEP | APP_FL_NO_XNS |
		  APP_FL_NO_REMOTE_BASES | APP_FL_DEFAULT_SA,
	.default_concurrent = 4,
};

static int parse(app_config *c, const app_spec *spec, err *e, ...)
{
	char *argv[64];
	int argc = 0;
	argv[argc++] = (char *)"prog";
	va_list ap;
	va_start(ap, e);
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	FILE *out = fopen("/dev/null", "w");
	int rc = app_parse_config(c, spec, argc, argv, out, e);
	fclose(out);
	return rc;
}

static void defaults_are_flux_defaults(void **state)
{
	app_config c;
	err e;
	assert_int_equal(parse(&c, &ks_spec, &e, NULL), 0);
	assert_string_equal(c.metrics_addr, ":8080");
	assert_string_equal(c.health_addr, ":9440");
	assert_string_equal(c.events_addr, "");
	assert_false(c.enable_leader_election);
	assert_int_equal(c.leader_election_lease_duration, 35 * APP_SECOND);
	assert_int_equal(c.leader_election_renew_deadline, 30 * APP_SECOND);
	assert_int_equal(c.leader_election_retry_period, 5 * APP_SECOND);
	assert_int_equal(c.concurrent, 4);
	assert_int_equal(c.requeue_dependency, 30 * APP_SECOND);
	assert_true(c.watch_all_namespaces);
	assert_false(c.no_cross_namespace_refs);
	assert_false(c.no_remote_bases);
	assert_string_equal(c.default_service_account, "");
	assert_string_equal(c.storage_path, "/data");
	assert_string_equal(c.storage_addr, ":9090");
	assert_true(c.kube_api_qps == 50);
	assert_int_equal(c.kube_api_burst, 300);
	assert_int_equal(c.min_retry_delay, 750 * (int64_t)APP_MS);
	assert_int_equal(c.max_retry_delay, 15 * APP_MINUTE);
	assert_int_equal(c.log_level, LOG_INFO);
	assert_int_equal(c.log_encoding, LOG_ENC_JSON);
	app_config_release(&c);
}

static void both_value_forms_and_bools(void **state)
{
	app_config c;
	err e;
	int rc = parse(&c, &ks_spec, &e, "--metrics-addr=127.0.0.1:1234", "--health-addr",
		       "127.0.0.1:5678", "--concurrent", "10", "--requeue-dependency=1m30s",
		       "--enable-leader-election", "--watch-all-namespaces=false",
		       "--no-cross-namespace-refs=true", "--no-remote-bases", "--log-level",
		       "debug", "--log-encoding=console", "--default-service-account=default",
		       "--kubeconfig", "/tmp/kc", "--kube-api-qps=20.5", "--events-addr",
		       "http://nc/", NULL);
	if (rc != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(c.metrics_addr, "127.0.0.1:1234");
	assert_string_equal(c.health_addr, "127.0.0.1:5678");
	assert_int_equal(c.concurrent, 10);
	assert_int_equal(c.requeue_dependency, 90 * APP_SECOND);
	assert_true(c.enable_leader_election);
	assert_false(c.watch_all_namespaces);
	assert_true(c.no_cross_namespace_refs);
	assert_true(c.no_remote_bases);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(c.log_encoding, LOG_ENC_CONSOLE);
	assert_string_equal(c.default_service_account, "default");
	assert_string_equal(c.kubeconfig, "/tmp/kc");
	assert_true(c.kube_api_qps == 20.5);
	assert_string_equal(c.events_addr, "http://nc/");
	app_config_release(&c);

	/* A boolean never eats the next argument; an empty value is allowed for strings. */
	assert_int_equal(parse(&c, &ks_spec, &e, "--no-remote-bases", "--metrics-addr=", NULL),
			 0);
	assert_true(c.no_remote_bases);
	assert_string_equal(c.metrics_addr, "");
	app_config_release(&c);
}

static void usage_errors(void **state)
{
	struct {
		const char *args[4];
		const char *msg;
	} cases[] = {
		{ { "--no-such-flag" }, "unknown flag: --no-such-flag" },
		{ { "--no-such-flag=1" }, "unknown flag: --no-such-flag" },
		{ { "--storage-path=/x" }, "unknown flag: --storage-path" }, /* not in this spec */
		{ { "-x" }, "unknown shorthand flag: 'x' in -x" },
		{ { "positional" }, "unexpected argument \"positional\"" },
		{ { "--concurrent" }, "flag needs an argument: --concurrent" },
		{ { "--concurrent", "many" },
		  "invalid argument \"many\" for \"--concurrent\" flag: not an integer" },
		{ { "--concurrent=0" },
		  "invalid argument \"0\" for \"--concurrent\" flag: must be between 1 and 256" },
		{ { "--requeue-dependency=30" },
		  "invalid argument \"30\" for \"--requeue-dependency\" flag: time: missing unit in "
		  "duration \"30\"" },
		{ { "--enable-leader-election=yes" },
		  "invalid argument \"yes\" for \"--enable-leader-election\" flag: not a boolean" },
		{ { "--log-level=warn" },
		  "invalid argument \"warn\" for \"--log-level\" flag: must be one of trace, debug, "
		  "info, error" },
		{ { "--log-encoding=text" },
		  "invalid argument \"text\" for \"--log-encoding\" flag: must be json or console" },
		{ { "--kube-api-qps=fast" },
		  "invalid argument \"fast\" for \"--kube-api-qps\" flag: not a number" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		app_config c;
		err e;
		err_clear(&e);
		int rc = parse(&c, &ks_spec, &e, cases[i].args[0], cases[i].args[1], NULL);
		assert_int_equal(rc, -1);
		assert_string_equal(e.msg, cases[i].msg);
		assert_string_equal(e.reason, "InvalidFlag");
		app_config_release(&c);
	}
}

static void help_and_version(void **state)
{
	app_config c;
	err e;
	assert_int_equal(parse(&c, &ks_spec, &e, "--help", NULL), 1);
	app_config_release(&c);
	assert_int_equal(parse(&c, &ks_spec, &e, "-h", NULL), 1);
	app_config_release(&c);
	assert_int_equal(parse(&c, &ks_spec, &e, "--version", NULL), 1);
	app_config_release(&c);

	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	app_print_help(out, &ks_spec);
	fclose(out);
	assert_non_null(strstr(text, "Usage of kustomize-controller:\n"));
	assert_non_null(strstr(text, "--metrics-addr string"));
	assert_non_null(strstr(text, "(default \":8080\")"));
	assert_non_null(strstr(text, "--requeue-dependency duration"));
	assert_non_null(strstr(text, "(default 30s)"));
	assert_non_null(strstr(text, "(default 15m0s)"));
	assert_non_null(strstr(text, "--concurrent int"));
	assert_non_null(strstr(text, "(default 4)"));
	assert_non_null(strstr(text, "--no-remote-bases "));
	assert_null(strstr(text, "--storage-path"));
	free(text);
}

static void extra_flags_and_positionals(void **state)
{
	static long long retries = 9;
	static long long size = 50LL << 20;
	static strv managers;
	static const char *name = "x";
	static const app_flag extra[] = {
		APP_FLAG_RANGE("http-retry", APP_FLAG_INT, &retries, "Retries.", 0, 100),
		APP_FLAG("max-size", APP_FLAG_SIZE, &size, "Size."),
		APP_FLAG("override-manager", APP_FLAG_STRINGS, &managers, "Managers."),
		APP_FLAG("name", APP_FLAG_STRING, &name, "Name."),
	};
	app_spec spec = { .name = "t", .groups = APP_FL_STORAGE, .extra = extra, .nextra = 4,
			  .positional = true, .default_storage_path = "/var/lib/eddy" };
	app_config c;
	err e;
	int rc = parse(&c, &spec, &e, "a", "--http-retry", "3", "--max-size=10MiB",
		       "--override-manager", "kubectl", "b", "--override-manager=helm,x",
		       "--storage-addr=:0", "--", "--not-a-flag", NULL);
	if (rc != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(retries, 3);
	assert_int_equal(size, 10LL << 20);
	assert_int_equal(managers.n, 2);
	assert_string_equal(managers.v[0], "kubectl");
	assert_string_equal(managers.v[1], "helm,x");
	assert_int_equal(c.args.n, 3);
	assert_string_equal(c.args.v[0], "a");
	assert_string_equal(c.args.v[1], "b");
	assert_string_equal(c.args.v[2], "--not-a-flag");
	assert_string_equal(c.storage_path, "/var/lib/eddy");
	assert_string_equal(c.storage_addr, ":0");
	app_config_release(&c);
	strv_release(&managers);

	/* without APP_FL_CONTROLLER there is no --metrics-addr */
	assert_int_equal(parse(&c, &spec, &e, "--metrics-addr=:1", NULL), -1);
	app_config_release(&c);
	assert_int_equal(parse(&c, &spec, &e, "--http-retry=101", NULL), -1);
	app_config_release(&c);
	assert_int_equal(parse(&c, &spec, &e, "--max-size=10XB", NULL), -1);
	assert_string_equal(e.msg, "invalid argument \"10XB\" for \"--max-size\" flag: not a size");
	app_config_release(&c);
	strv_release(&managers);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(durations_parse_like_go),
		cmocka_unit_test(durations_format_like_go),
		cmocka_unit_test(defaults_are_flux_defaults),
		cmocka_unit_test(both_value_forms_and_bools),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(help_and_version),
		cmocka_unit_test(extra_flags_and_positionals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
