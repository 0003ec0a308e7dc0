/* Unit tests of eddy-apiserver's Table output, JSONPath subset, ages, the type registry and
 * CRD registration (linked from the eddyapiserver library). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../apiserver/table.h"
#include "../../apiserver/types.h"
#include "eddy/mem.h"

static void ages(void **state)
{
	(void)state;
	char b[32];
	table_age(5, b);
	assert_string_equal(b, "5s");
	table_age(119, b);
	assert_string_equal(b, "119s");
	table_age(125, b);
	assert_string_equal(b, "2m5s");
	table_age(180, b);
	assert_string_equal(b, "3m");
	table_age(2 * 3600, b);
	assert_string_equal(b, "120m");
	table_age(5 * 3600 + 60, b);
	assert_string_equal(b, "5h1m");
	table_age(30 * 3600, b);
	assert_string_equal(b, "30h");
	table_age(3 * 86400 + 3600, b);
	assert_string_equal(b, "3d1h");
	table_age(100 * 86400, b);
	assert_string_equal(b, "100d");
	table_age(-5, b);
	assert_string_equal(b, "<invalid>");
}

static void jsonpath(void **state)
{
	(void)state;
	cJSON *o = cJSON_Parse("{\"spec\":{\"size\":3,\"tags\":[\"a\",\"b\"]},\"status\":{"
			       "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},"
			       "{\"type\":\"Stalled\",\"status\":\"False\"}]},"
			       "\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"x\"}}}");
	char *v = table_jsonpath(o, ".spec.size", "integer");
	assert_string_equal(v, "3");
	free(v);
	v = table_jsonpath(o, ".status.conditions[?(@.type==\"Ready\")].status", "string");
	assert_string_equal(v, "True");
	free(v);
	v = table_jsonpath(o, "{.status.conditions[?(@.type=='Stalled')].status}", "string");
	assert_string_equal(v, "False");
	free(v);
	v = table_jsonpath(o, ".spec.tags[1]", NULL);
	assert_string_equal(v, "b");
	free(v);
	v = table_jsonpath(o, ".spec.tags[-1]", NULL);
	assert_string_equal(v, "b");
	free(v);
	v = table_jsonpath(o, ".metadata.labels['app.kubernetes.io/name']", NULL);
	assert_string_equal(v, "x");
	free(v);
	assert_null(table_jsonpath(o, ".spec.missing", NULL));
	assert_null(table_jsonpath(o, "..size", NULL));
	assert_null(table_jsonpath(o, ".spec.tags[", NULL));
	cJSON_Delete(o);
}

static void registry_and_tables(void **state)
{
	(void)state;
	types t;
	types_init(&t);
	api_type *d = types_find(&t, "apps", "v1", "deployments");
	assert_non_null(d);
	assert_true(d->namespaced && d->has_status && d->has_scale && d->generation);
	assert_string_equal(d->short_names.v[0], "deploy");
	api_type *hpa1 = types_find(&t, "autoscaling", "v1", "horizontalpodautoscalers");
	api_type *hpa2 = types_find(&t, "autoscaling", "v2", "horizontalpodautoscalers");
	assert_true(hpa2->preferred && hpa2->storage);
	assert_false(hpa1->preferred || hpa1->storage);
	assert_true(types_version_cmp("v1", "v1beta1") < 0);
	assert_true(types_version_cmp("v2", "v1") < 0);
	assert_true(types_version_cmp("v1beta2", "v1beta1") < 0);
	assert_true(types_version_cmp("v1alpha1", "v1beta1") > 0);
	assert_true(types_version_cmp("foo", "v1alpha1") > 0);
	cJSON *crd = cJSON_Parse(
		"{\"metadata\":{\"name\":\"widgets.example.com\"},\"spec\":{\"group\":\"example.com\","
		"\"scope\":\"Cluster\",\"names\":{\"plural\":\"widgets\",\"kind\":\"Widget\"},"
		"\"versions\":[{\"name\":\"v1beta1\",\"served\":true,\"storage\":false},"
		"{\"name\":\"v1\",\"served\":true,\"storage\":true,\"subresources\":{\"status\":{}},"
		"\"additionalPrinterColumns\":[{\"name\":\"Size\",\"type\":\"integer\",\"jsonPath\":"
		"\".spec.size\"}]},{\"name\":\"v0\",\"served\":false,\"storage\":false}]}}");
	assert_int_equal(types_add_crd(&t, crd), 2);
	api_type *w = types_find(&t, "example.com", "v1", "widgets");
	assert_non_null(w);
	assert_true(w->preferred && w->storage && w->has_status && !w->namespaced);
	assert_string_equal(w->list_kind, "WidgetList");
	assert_null(types_find(&t, "example.com", "v0", "widgets"));
	cJSON *tbl = table_new(w, true);
	cJSON *obj = cJSON_Parse("{\"metadata\":{\"name\":\"w1\"},\"spec\":{\"size\":4}}");
	table_add_row(tbl, w, obj, false);
	char *txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(tbl, "rows"));
	assert_string_equal(txt, "[{\"cells\":[\"w1\",4],\"object\":{\"kind\":\"PartialObjectMetadata\","
				 "\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{\"name\":\"w1\"}}}]");
	free(txt);
	cJSON_Delete(tbl);
	cJSON_Delete(obj);
	types_remove_crd(&t, "widgets.example.com");
	assert_null(types_find(&t, "example.com", "v1", "widgets"));
	cJSON_Delete(crd);
	types_free(&t);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ages),
		cmocka_unit_test(jsonpath),
		cmocka_unit_test(registry_and_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
