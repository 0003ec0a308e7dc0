/* json: lookups (case, NULL and wrong-type safety), defaults, get-or-create, setters that keep
 * one member per name, in-place replacement, deep equality. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "eddy/json.h"

static cJSON *J(const char *s)
{
	cJSON *j = cJSON_Parse(s);
	assert_non_null(j);
	return j;
}

static char *print(const cJSON *j)
{
	return cJSON_PrintUnformatted(j);
}

static void expect_json(const cJSON *j, const char *want)
{
	char *s = print(j);
	assert_string_equal(s, want);
	free(s);
}

static void lookups(void **state)
{
	(void)state;
	cJSON *o = J("{\"a\":\"x\",\"A\":\"y\",\"e\":\"\",\"n\":1,\"t\":true,\"f\":false,"
		     "\"o\":{\"k\":\"v\"},\"l\":[1],\"z\":null}");
	assert_string_equal(json_str(o, "a"), "x");
	assert_string_equal(json_str(o, "A"), "y"); /* case-sensitive */
	assert_null(json_str(o, "n"));
	assert_null(json_str(o, "missing"));
	assert_string_equal(json_str(o, "e"), "");
	assert_null(json_nonempty(o, "e"));
	assert_string_equal(json_nonempty(o, "a"), "x");
	assert_string_equal(json_str_or(o, "missing", "def"), "def");
	assert_string_equal(json_str_or(o, "n", "def"), "def");
	assert_string_equal(json_str_or(o, "e", "def"), "");
	assert_true(json_num_or(o, "n", 7) == 1);
	assert_true(json_num_or(o, "a", 7) == 7); /* not a number */
	assert_true(json_num_or(o, "missing", -2.5) == -2.5);
	assert_true(json_num_or(NULL, "n", 3) == 3);
	assert_true(json_true(o, "t"));
	assert_false(json_true(o, "f"));
	assert_false(json_true(o, "a"));
	assert_non_null(json_obj(o, "o"));
	assert_null(json_obj(o, "l"));
	assert_non_null(json_arr(o, "l"));
	assert_null(json_arr(o, "o"));
	assert_string_equal(json_str(json_get(o, "o"), "k"), "v");
	assert_true(cJSON_IsNull(json_get(o, "z")));
	/* NULL, non-objects and NULL keys find nothing */
	assert_null(json_get(NULL, "a"));
	assert_null(json_get(o, NULL));
	assert_null(json_get(json_get(o, "l"), "a"));
	assert_null(json_get(json_get(o, "a"), "a"));
	assert_null(json_str(NULL, "a"));
	assert_string_equal(json_str_or(NULL, "a", "d"), "d");
	assert_false(json_true(NULL, "t"));
	cJSON_Delete(o);
}

static void ensure_and_set(void **state)
{
	(void)state;
	cJSON *o = J("{\"s\":\"x\",\"m\":{\"k\":1},\"b\":2}");
	cJSON *m = json_obj_ensure(o, "m");
	assert_ptr_equal(m, json_get(o, "m")); /* existing object kept */
	cJSON *s = json_obj_ensure(o, "s");    /* a string replaced by an object */
	assert_true(cJSON_IsObject(s));
	cJSON *a = json_arr_ensure(o, "new");
	assert_true(cJSON_IsArray(a));
	assert_ptr_equal(json_arr_ensure(o, "new"), a);
	expect_json(o, "{\"m\":{\"k\":1},\"b\":2,\"s\":{},\"new\":[]}");
	json_set_str(o, "m", "v"); /* removed and appended */
	expect_json(o, "{\"b\":2,\"s\":{},\"new\":[],\"m\":\"v\"}");
	json_set_str(o, "m", NULL);
	json_set(o, "x", cJSON_CreateTrue());
	json_set(o, "new", NULL);
	expect_json(o, "{\"b\":2,\"s\":{},\"x\":true}");
	json_replace(o, "b", cJSON_CreateString("in place"));
	json_replace(o, "c", cJSON_CreateNumber(3));
	expect_json(o, "{\"b\":\"in place\",\"s\":{},\"x\":true,\"c\":3}");
	json_del(o, "s");
	json_del(o, "absent");
	json_del(NULL, "b");
	json_del(o, NULL);
	expect_json(o, "{\"b\":\"in place\",\"x\":true,\"c\":3}");
	cJSON_Delete(o);
}

static void equality(void **state)
{
	(void)state;
	cJSON *a = J("{\"x\":[1,{\"y\":\"z\"}],\"k\":null}");
	cJSON *b = J("{\"k\":null,\"x\":[1,{\"y\":\"z\"}]}");
	cJSON *c = J("{\"k\":null,\"x\":[{\"y\":\"z\"},1]}");
	cJSON *d = J("{\"K\":null,\"x\":[1,{\"y\":\"z\"}]}");
	assert_true(json_equal(a, b));
	assert_false(json_equal(a, c)); /* array order counts */
	assert_false(json_equal(a, d)); /* key case counts */
	assert_true(json_equal(NULL, NULL));
	assert_false(json_equal(a, NULL));
	assert_false(json_equal(NULL, a));
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
	cJSON_Delete(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookups),
		cmocka_unit_test(ensure_and_set),
		cmocka_unit_test(equality),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
