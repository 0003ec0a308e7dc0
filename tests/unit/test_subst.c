/* Flux's envsubst dialect (eddy/subst.h); expectations follow fluxcd/pkg/envsubst's tests and
 * code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/subst.h"

static const char *const VARS[][2] = {
	{"name", "podinfo"}, {"replicas", "3"}, {"empty", ""}, {"path", "a/b/c.tar.gz"},
	{"Mixed", "hello World"},
};

static bool lookup(const char *name, const char **val, void *ud)
{
	(void)ud;
	for (size_t i = 0; i < sizeof VARS / sizeof *VARS; i++)
		if (!strcmp(VARS[i][0], name)) {
			*val = VARS[i][1];
			return true;
		}
	return false;
}

/* Expand in; NULL on error (message in e). */
static char *ex(const char *in, bool strict, err *e)
{
	buf b;
	buf_init(&b, 1 << 20);
	if (subst_eval(in, strlen(in), lookup, NULL, strict, &b, e) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void check(const char *in, const char *want)
{
	err e = {0};
	char *got = ex(in, true, &e);
	if (!got)
		fail_msg("%s: error %s", in, e.msg);
	if (strcmp(got, want))
		fail_msg("%s: got '%s', want '%s'", in, got, want);
	free(got);
}

static void check_err(const char *in, bool strict, const char *want)
{
	err e = {0};
	char *got = ex(in, strict, &e);
	if (got)
		fail_msg("%s: expanded to '%s', want error '%s'", in, got, want);
	if (strcmp(e.msg, want))
		fail_msg("%s: error '%s', want '%s'", in, e.msg, want);
	assert_string_equal(e.reason, "BuildFailed");
}

static void basics(void **state)
{
	(void)state;
	check("app: ${name}", "app: podinfo");
	check("replicas: ${replicas}\n", "replicas: 3\n");
	check("bare $name stays", "bare $name stays");
	check("escaped $${name}", "escaped ${name}");
	check("cost $$5", "cost $5");
	check("$$$${name}", "$${name}");
	check("$${name} and ${name}", "${name} and podinfo");
	check("${name}${replicas}", "podinfo3");
	check("a $ b $", "a $ b $");
	check("{${name}}", "{podinfo}");
}

static void defaults(void **state)
{
	(void)state;
	check("${missing:=dflt}", "dflt");
	check("${missing:-dflt}", "dflt");
	check("${missing=dflt}", "dflt");
	check("${empty:=dflt}", "dflt");
	check("${name:=dflt}", "podinfo");
	check("${missing:-${name}-x}", "podinfo-x");
	check("${missing:-a b:c/d}", "a b:c/d");
	check("${missing:=}", "");
	/* Flux treats :? and :+ as defaults too */
	check("${missing:?oops}", "oops");
	check("${name:+set}", "podinfo");
}

static void functions(void **state)
{
	(void)state;
	check("${#name}", "7");
	check("${name^}", "Podinfo");
	check("${name^^}", "PODINFO");
	check("${Mixed,}", "hello World");
	check("${Mixed,,}", "hello world");
	check("${name:3}", "info");
	check("${name:0:3}", "pod");
	check("${name:-4}", "podinfo");
	check("${name:1:-1}", "odinf");
	check("${name:20}", "");
	/* out of int64 range: Go's Atoi fails and the value stays whole (a fuzzer find) */
	check("${name:55555555555555555555:2}", "podinfo");
	check("${name:2:9223372036854775807}", "dinfo");
	check("${name:20:2}", "");
	check("${path#*/}", "b/c.tar.gz");
	check("${path##*/}", "b/c.tar.gz");
	check("${path%.*}", "a/b/c.tar");
	check("${path%%.*}", "a/b/c");
	check("${name/o/0}", "p0dinfo");
	check("${name//o/0}", "p0dinf0");
	check("${name/#pod/svc}", "svcinfo");
	check("${name/%info/cast}", "podcast");
	check("${name/o/}", "pdinfo");
	check("${path//\\//_}", "a_b_c.tar.gz");
}

static void errors(void **state)
{
	(void)state;
	check_err("x: ${missing}", true, "variable not set (strict mode): \"missing\"");
	check_err("${#missing}", true, "variable not set (strict mode): \"missing\"");
	check_err("${missing^^}", true, "variable not set (strict mode): \"missing\"");
	check_err("${name", true, "missing closing brace");
	check_err("${}", true, "unable to parse variable name");
	check_err("${-x}", true, "unable to parse variable name");
	check_err("${name-d}", true, "missing closing brace");
	check_err("${name+d}", true, "missing closing brace");
	check_err("${name:-d", true, "unable to parse substitution within function");
	check_err("${name/a}", true, "bad substitution");
	check_err("${#}", true, "bad substitution");
	/* a syntax error anywhere wins over a missing variable earlier on */
	check_err("${missing} ${name", true, "missing closing brace");
	/* not strict: unset is empty */
	err e = {0};
	char *got = ex("a${missing}b", false, &e);
	assert_non_null(got);
	assert_string_equal(got, "ab");
	free(got);
	/* nesting is bounded */
	buf deep;
	buf_init(&deep, 1 << 20);
	for (int i = 0; i < 200; i++)
		buf_adds(&deep, "${a:-");
	got = ex(deep.data, true, &e);
	assert_null(got);
	buf_release(&deep);
}

static void names(void **state)
{
	(void)state;
	assert_true(subst_valid_name("_a1"));
	assert_true(subst_valid_name("APP_NAME"));
	assert_false(subst_valid_name("1a"));
	assert_false(subst_valid_name("a-b"));
	assert_false(subst_valid_name(""));
	assert_false(subst_valid_name("a.b"));
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basics),
		cmocka_unit_test(defaults),
		cmocka_unit_test(functions),
		cmocka_unit_test(errors),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
