/* labelsel.h and targetsel.h: Kubernetes label selector syntax and matching, kustomize and Flux
 * target selectors, hostile inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "eddy/labelsel.h"
#include "eddy/mem.h"
#include "eddy/targetsel.h"

static const char *LABELS = "{\"app\":\"web\",\"tier\":\"1\",\"example.com/x\":\"\",\"n\":\"7\"}";

struct lcase {
	const char *sel;
	int want; /* 1, 0, -1 (syntax error) */
};

static void label_selectors(void **state)
{
	(void)state;
	cJSON *m = cJSON_Parse(LABELS);
	static const struct lcase c[] = {
		{"", 1},
		{"   ", 1},
		{"app=web", 1},
		{"app==web", 1},
		{" app = web ", 1},
		{"app=db", 0},
		{"app!=db", 1},
		{"app!=web", 0},
		{"missing!=x", 1},
		{"app", 1},
		{"missing", 0},
		{"!missing", 1},
		{"! app", 0},
		{"app in (web,db)", 1},
		{"app in(db , web)", 1},
		{"app notin (web)", 0},
		{"missing notin (web)", 1},
		{"missing in (web)", 0},
		{"example.com/x=", 1},
		{"example.com/x in ()", 1},
		{"example.com/x in (a,)", 1},
		{"app=web,tier=1", 1},
		{"app=web,tier=2", 0},
		{"app=web,tier in (1,2),!missing", 1},
		{"n>6", 1},
		{"n<7", 0},
		{"app>1", 0},
		{"app in web", -1},
		{"app in (web", -1},
		{"app web", -1},
		{"app=web=x", -1},
		{",", -1},
		{"app=web,", -1},
		{"!", -1},
		{"n>x", -1},
		{"n>", -1},
		{"=web", -1},
		{"app in (a b)", -1},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char msg[256];
		int rc = lsel_match_text(c[i].sel, m, msg, sizeof msg);
		if (rc != c[i].want)
			fail_msg("'%s': got %d, want %d (%s)", c[i].sel, rc, c[i].want, msg);
		if (rc < 0 && !msg[0])
			fail_msg("'%s': no message", c[i].sel);
	}
	char msg[256];
	assert_int_equal(lsel_match_text("app web", m, msg, sizeof msg), -1);
	assert_string_equal(msg, "found 'web', expected: in, notin, =, ==, !=, gt, lt");
	/* NULL maps have no keys */
	assert_int_equal(lsel_match_text("!app", NULL, NULL, 0), 1);
	assert_int_equal(lsel_match_text("app", NULL, NULL, 0), 0);
	cJSON_Delete(m);
}

static void label_hostile(void **state)
{
	(void)state;
	size_t n = LSEL_MAX_LEN + 10;
	char *s = xmalloc(n + 1);
	memset(s, ',', n);
	s[n] = 0;
	assert_int_equal(lsel_match_text(s, NULL, NULL, 0), -1);
	/* many requirements and a large set within the cap */
	n = LSEL_MAX_LEN;
	for (size_t i = 0; i + 2 <= n; i += 2)
		s[i] = 'a', s[i + 1] = ',';
	s[n - 1] = 'b';
	s[n] = 0;
	assert_int_equal(lsel_match_text(s, NULL, NULL, 0), 0);
	memcpy(s, "k in (", 6);
	for (size_t i = 6; i < n - 1; i++)
		s[i] = (i % 2) ? ',' : 'v';
	s[n - 1] = ')';
	cJSON *m = cJSON_Parse("{\"k\":\"v\"}");
	assert_int_equal(lsel_match_text(s, m, NULL, 0), 1);
	cJSON_Delete(m);
	free(s);
}

static int tmatch(const char *sel, unsigned flags, const tsel_obj *o, err *e)
{
	cJSON *j = cJSON_Parse(sel);
	tsel t;
	tsel_init(&t, j, flags, "BuildFailed");
	int rc = tsel_match(&t, o, e);
	tsel_release(&t);
	cJSON_Delete(j);
	return rc;
}

static void target_selectors(void **state)
{
	(void)state;
	cJSON *labels = cJSON_Parse(LABELS);
	tsel_obj o = {.group = "apps", .version = "v1", .kind = "Deployment",
		.name = {"old", "web-1"}, .ns = {"default", "prod"}, .labels = labels};
	err e = {0};
	assert_int_equal(tmatch("{}", 0, &o, &e), 1);
	assert_int_equal(tmatch("null", 0, &o, &e), 1);
	assert_int_equal(tmatch("{\"kind\":\"Deployment\",\"group\":\"apps\"}", 0, &o, &e), 1);
	/* kustomize: group, version and kind exact; Flux: regexes */
	assert_int_equal(tmatch("{\"kind\":\"Deploy.*\"}", 0, &o, &e), 0);
	assert_int_equal(tmatch("{\"kind\":\"Deploy.*\"}", TSEL_GVK_REGEX, &o, &e), 1);
	assert_int_equal(tmatch("{\"kind\":\"Deploy\"}", TSEL_GVK_REGEX, &o, &e), 0);
	/* whole-value regexes, either candidate */
	assert_int_equal(tmatch("{\"name\":\"web-\\\\d\"}", 0, &o, &e), 1);
	assert_int_equal(tmatch("{\"name\":\"web\"}", 0, &o, &e), 0);
	assert_int_equal(tmatch("{\"name\":\"old|new\"}", 0, &o, &e), 1);
	assert_int_equal(tmatch("{\"namespace\":\"prod\"}", 0, &o, &e), 1);
	assert_int_equal(tmatch("{\"namespace\":\"pro\"}", 0, &o, &e), 0);
	assert_int_equal(tmatch("{\"labelSelector\":\"app=web\"}", 0, &o, &e), 1);
	assert_int_equal(tmatch("{\"annotationSelector\":\"app=web\"}", 0, &o, &e), 0);
	assert_int_equal(tmatch("{\"annotationSelector\":\"!app\"}", 0, &o, &e), 1);
	/* errors, in kustomize's words; a field behind a mismatch is not looked at */
	assert_int_equal(tmatch("{\"name\":\"a(\"}", 0, &o, &e), -1);
	assert_string_equal(e.msg, "error parsing regexp: a(");
	assert_string_equal(e.reason, "BuildFailed");
	assert_int_equal(tmatch("{\"labelSelector\":\"a in b\"}", 0, &o, &e), -1);
	assert_string_equal(e.msg, "unable to parse requirement: a in b");
	err_clear(&e);
	assert_int_equal(tmatch("{\"kind\":\"Service\",\"name\":\"a(\"}", 0, &o, &e), 0);
	assert_false(err_is_set(&e));
	/* a hostile name pattern is a non-match, not a hang */
	char name[5000];
	memset(name, 'a', sizeof name - 2);
	name[sizeof name - 2] = '!';
	name[sizeof name - 1] = 0;
	tsel_obj h = {.name = {name}};
	assert_int_equal(tmatch("{\"name\":\"(a+)+\"}", 0, &h, &e), 0);
	cJSON_Delete(labels);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(label_selectors),
		cmocka_unit_test(label_hostile),
		cmocka_unit_test(target_selectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
