/* The server-side-apply manager of the flux layer (eddy/ssa.h, internals in
 * libcommon/src/flux/ssa_int.h): drift detection, the take-over of other field managers'
 * managedFields, Flux's apply order and stages, the immutable-error test, Flux's dry-run error
 * texts, JSON pointers, ignore rules and the inventory. The end-to-end behaviour is in
 * tests/integration/kustomize_auth.bats and kustomize_controller.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "eddy/mem.h"
#include "eddy/ssa.h"
#include "flux/ssa_int.h"

/* kustomize-controller's owner */
static const ssa_options KC = {.field_manager = "kustomize-controller",
	.group = "kustomize.toolkit.fluxcd.io"};

static cJSON *J(const char *s)
{
	cJSON *o = cJSON_Parse(s);
	assert_non_null(o);
	return o;
}

static void drift(void **state)
{
	(void)state;
	cJSON *cur = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\","
		"\"resourceVersion\":\"5\",\"labels\":{\"x\":\"1\"},\"managedFields\":[]},"
		"\"data\":{\"k\":\"v\",\"n\":\"1\"},\"status\":{\"s\":1}}");
	/* same content, other key order, other managedFields and status: no drift */
	cJSON *dry = J("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\","
		"\"resourceVersion\":\"5\",\"labels\":{\"x\":\"1\"},\"annotations\":{}},"
		"\"data\":{\"n\":\"1\",\"k\":\"v\"},\"status\":{\"s\":2}}");
	assert_false(ssa_drifted(cur, dry));
	/* a label differs */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cJSON_GetObjectItem(dry, "metadata"),
		"labels"), "x", cJSON_CreateString("2"));
	assert_true(ssa_drifted(cur, dry));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cJSON_GetObjectItem(dry, "metadata"),
		"labels"), "x", cJSON_CreateString("1"));
	assert_false(ssa_drifted(cur, dry));
	/* an annotation appears */
	cJSON_AddStringToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(dry, "metadata"),
		"annotations"), "a", "b");
	assert_true(ssa_drifted(cur, dry));
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(cJSON_GetObjectItem(dry, "metadata"),
		"annotations"), "a");
	/* the data differs */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(dry, "data"), "k", cJSON_CreateString("w"));
	assert_true(ssa_drifted(cur, dry));
	/* new objects (no resourceVersion from the dry-run, or nothing in the cluster) */
	assert_true(ssa_drifted(NULL, dry));
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(dry, "metadata"), "resourceVersion");
	assert_true(ssa_drifted(cur, dry));
	cJSON_Delete(cur);
	cJSON_Delete(dry);
}

static void take_over(void **state)
{
	(void)state;
	const char *over[] = {"my-tool"};
	ssa_options kc = KC;
	kc.override_managers = over;
	kc.noverride_managers = 1;
	cJSON *cur = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\","
		"\"managedFields\":["
		"{\"manager\":\"kustomize-controller\",\"operation\":\"Apply\","
		"\"apiVersion\":\"v1\","
		"\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}},"
		"{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\","
		"\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
		"\"fieldsV1\":{\"f:data\":{\"f:b\":{}},"
		"\"f:metadata\":{\"f:labels\":{\"f:l\":{}}}}},"
		"{\"manager\":\"my-tool\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
		"\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:data\":{\"f:c\":{}}}},"
		"{\"manager\":\"other\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
		"\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:data\":{\"f:d\":{}}}},"
		"{\"manager\":\"kubectl-edit\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
		"\"subresource\":\"status\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{}}"
		"]}}");
	cJSON *mf = ssa_take_over_fields(&kc, cur);
	assert_non_null(mf);
	cJSON *want = J("["
		"{\"manager\":\"kustomize-controller\",\"operation\":\"Apply\","
		"\"apiVersion\":\"v1\","
		"\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:data\":{\"f:a\":{},\"f:b\":{},"
		"\"f:c\":{}},\"f:metadata\":{\"f:labels\":{\"f:l\":{}}}}},"
		"{\"manager\":\"other\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
		"\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:data\":{\"f:d\":{}}}},"
		"{\"manager\":\"kubectl-edit\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
		"\"subresource\":\"status\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{}}"
		"]");
	char *got = cJSON_PrintUnformatted(mf);
	assert_true(cJSON_Compare(mf, want, true) || (print_message("%s\n", got), 0));
	free(got);
	cJSON_Delete(mf);
	cJSON_Delete(want);
	/* without an override list, my-tool is left alone; without kustomize-controller Apply,
	 * the first foreign entry is renamed */
	ssa_options plain = KC;
	cJSON_DeleteItemFromArray(cJSON_GetObjectItem(cJSON_GetObjectItem(cur, "metadata"),
		"managedFields"), 0);
	mf = ssa_take_over_fields(&plain, cur);
	assert_non_null(mf);
	assert_int_equal(cJSON_GetArraySize(mf), 4);
	const cJSON *first = cJSON_GetArrayItem(mf, 0);
	assert_string_equal(json_str(first, "manager"), "kustomize-controller");
	assert_string_equal(json_str(first, "operation"), "Apply");
	assert_string_equal(json_str(cJSON_GetArrayItem(mf, 1), "manager"), "my-tool");
	cJSON_Delete(mf);
	/* nothing foreign: no patch */
	cJSON *mine = J("{\"metadata\":{\"managedFields\":[{\"manager\":\"kustomize-controller\","
		"\"operation\":\"Apply\",\"fieldsV1\":{}},{\"manager\":\"x\",\"operation\":"
		"\"Update\",\"fieldsV1\":{}}]}}");
	assert_null(ssa_take_over_fields(&plain, mine));
	cJSON_Delete(mine);
	cJSON_Delete(cur);
}

static void order(void **state)
{
	(void)state;
	const char *objs[] = {
		"{\"apiVersion\":\"admissionregistration.k8s.io/v1\","
		"\"kind\":\"ValidatingWebhookConfiguration\",\"metadata\":{\"name\":\"w\"}}",
		"{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\","
		"\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}}",
		"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
		"\"metadata\":{\"name\":\"d\",\"namespace\":\"n\"}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"b\","
		"\"namespace\":\"n\"}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\","
		"\"namespace\":\"n\"}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"s\","
		"\"namespace\":\"n\"}}",
		"{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\","
		"\"namespace\":\"n\"}}",
	};
	const char *want[] = {"ServiceAccount/n/s", "ConfigMap/n/a", "ConfigMap/n/b",
		"Deployment/n/d", "Job/n/j", "Widget/n/a", "ValidatingWebhookConfiguration/w"};
	size_t n = sizeof objs / sizeof *objs;
	ssa_item items[8];
	for (size_t i = 0; i < n; i++) {
		items[i].o = J(objs[i]);
		items[i].id = ssa_fmt_obj(json_str(items[i].o, "kind"),
			kube_obj_namespace(items[i].o), kube_obj_name(items[i].o));
	}
	qsort(items, n, sizeof *items, ssa_cmp_items);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(items[i].id, want[i]);
		free(items[i].id);
		cJSON_Delete(items[i].o);
	}
	const char *staged[][2] = {
		{"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\"}", "0"},
		{"{\"apiVersion\":\"apiextensions.k8s.io/v1\","
		 "\"kind\":\"CustomResourceDefinition\"}",
		 "0"},
		{"{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\"}", "0"},
		{"{\"apiVersion\":\"storage.k8s.io/v1\",\"kind\":\"StorageClass\"}", "1"},
		{"{\"apiVersion\":\"example.com/v1\",\"kind\":\"Namespace\"}", "3"},
		{"{\"apiVersion\":\"example.com/v1\",\"kind\":\"ClusterRole\"}", "3"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}", "3"},
		{"{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\"}", "2"},
		{"{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\"}",
		 "3"},
		{"{\"apiVersion\":\"example.com/v1\",\"kind\":\"Role\"}", "3"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\"}", "2"},
	};
	for (size_t i = 0; i < sizeof staged / sizeof *staged; i++) {
		cJSON *o = J(staged[i][0]);
		assert_int_equal(ssa_stage_of("rbac.authorization.k8s.io/Role, ServiceAccount", o),
			staged[i][1][0] - '0');
		cJSON_Delete(o);
	}
}

static void errors(void **state)
{
	(void)state;
	err de = {0};
	err_fail(&de, "Invalid", "ConfigMap \"x\" is invalid: data: Forbidden: field is "
		"immutable when `immutable` is set");
	assert_true(ssa_is_immutable(&de));
	err fe = {0};
	err_fail(&fe, "Forbidden", "configmaps \"x\" is forbidden: User \"u\" cannot patch");
	assert_false(ssa_is_immutable(&fe));
	err we = {0};
	err_fail(&we, "InternalError", "admission webhook denied: spec.x is immutable");
	assert_true(ssa_is_immutable(&we));
	err e = {0};
	ssa_dry_run_error(&e, "ConfigMap/ns/x", "ns", &fe);
	assert_string_equal(e.reason, "ReconciliationFailed");
	assert_string_equal(e.msg, "ConfigMap/ns/x dry-run failed (Forbidden): configmaps \"x\" "
		"is forbidden: User \"u\" cannot patch");
	err nf = {0};
	err_fail(&nf, "NotFound", "namespaces \"ns\" not found");
	ssa_dry_run_error(&e, "ConfigMap/ns/x", "ns", &nf);
	assert_string_equal(e.msg, "ConfigMap/ns/x not found: namespaces \"ns\" not found");
	char *p = ssa_pointer_escape("a/b~c");
	assert_string_equal(p, "a~1b~0c");
	free(p);
	cJSON *o = J("{\"metadata\":{\"annotations\":{\"kustomize.toolkit.fluxcd.io/ssa\":"
		"\"merge\"},\"labels\":{\"kustomize.toolkit.fluxcd.io/force\":\"Enabled\"}}}");
	assert_true(ssa_meta_is(&KC, o, "ssa", "Merge"));
	assert_true(ssa_meta_is(&KC, o, "force", "enabled"));
	assert_false(ssa_meta_is(&KC, o, "ssa", "Ignore"));
	cJSON_Delete(o);
}

/* RFC 6901 pointers: escapes, array indexes, invalid pointers. */
static void pointers(void **state)
{
	(void)state;
	char **t;
	size_t n;
	assert_int_equal(ssa_ptr_parse("/a~1b/c~0d/~01/0", &t, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(t[0], "a/b");
	assert_string_equal(t[1], "c~d");
	assert_string_equal(t[2], "~1");
	assert_string_equal(t[3], "0");
	free(t);
	assert_int_equal(ssa_ptr_parse("", &t, &n), 0);
	assert_int_equal(n, 0);
	free(t);
	assert_int_equal(ssa_ptr_parse("/", &t, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(t[0], "");
	free(t);
	assert_int_equal(ssa_ptr_parse("a/b", &t, &n), -1);
	assert_int_equal(ssa_ptr_parse("/a~2", &t, &n), -1);
	assert_int_equal(ssa_ptr_parse("/a~", &t, &n), -1);
	char deep[200] = "";
	for (int i = 0; i < 65; i++)
		memcpy(deep + 2 * i, "/x", 3);
	assert_int_equal(ssa_ptr_parse(deep, &t, &n), -1);

	cJSON *d = J("{\"spec\":{\"replicas\":3,\"a/b\":{\"~\":1},\"list\":[{\"x\":1},{\"x\":2}],"
		"\"\":\"empty\"}}");
	assert_int_equal(ssa_ptr_get(d, "/spec/replicas")->valueint, 3);
	assert_int_equal(ssa_ptr_get(d, "/spec/a~1b/~0")->valueint, 1);
	assert_int_equal(ssa_ptr_get(d, "/spec/list/1/x")->valueint, 2);
	assert_string_equal(ssa_ptr_get(d, "/spec/")->valuestring, "empty");
	assert_ptr_equal(ssa_ptr_get(d, ""), d);
	assert_null(ssa_ptr_get(d, "/spec/list/2"));
	assert_null(ssa_ptr_get(d, "/spec/list/01"));
	assert_null(ssa_ptr_get(d, "/spec/list/-"));
	assert_null(ssa_ptr_get(d, "/spec/list/x"));
	assert_null(ssa_ptr_get(d, "/spec/replicas/x"));
	assert_null(ssa_ptr_get(d, "spec"));
	/* replace only existing values */
	assert_true(ssa_ptr_replace(d, "/spec/list/0/x", cJSON_CreateNumber(9)));
	assert_int_equal(ssa_ptr_get(d, "/spec/list/0/x")->valueint, 9);
	assert_false(ssa_ptr_replace(d, "/spec/nope", cJSON_CreateNumber(9)));
	assert_false(ssa_ptr_replace(d, "", cJSON_CreateNumber(9)));
	/* remove */
	assert_true(ssa_ptr_remove(d, "/spec/list/0"));
	assert_int_equal(cJSON_GetArraySize(ssa_ptr_get(d, "/spec/list")), 1);
	assert_int_equal(ssa_ptr_get(d, "/spec/list/0/x")->valueint, 2);
	assert_true(ssa_ptr_remove(d, "/spec/a~1b/~0"));
	assert_null(ssa_ptr_get(d, "/spec/a~1b/~0"));
	assert_true(ssa_ptr_remove(d, "/spec/replicas"));
	assert_false(ssa_ptr_remove(d, "/spec/replicas"));
	assert_false(ssa_ptr_remove(d, ""));
	assert_false(ssa_ptr_remove(d, "/spec/list/5"));
	assert_non_null(ssa_ptr_get(d, "/spec"));
	cJSON_Delete(d);
}

/* spec.ignore targets: anchored regexes and label/annotation selectors. */
static void ignore_targets(void **state)
{
	(void)state;
	cJSON *o = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
		"\"name\":\"web-1\",\"namespace\":\"team-a\",\"labels\":{\"app\":\"web\","
		"\"tier\":\"front\"},\"annotations\":{\"hpa\":\"on\"}}}");
	static const struct {
		const char *target;
		bool match;
	} cases[] = {
		{"null", true},
		{"{}", true},
		{"{\"kind\":\"Deployment\"}", true},
		{"{\"kind\":\"Deploy\"}", false},          /* anchored */
		{"{\"kind\":\"Deploy.*\"}", true},
		{"{\"group\":\"apps\",\"version\":\"v1\"}", true},
		{"{\"group\":\"\",\"version\":\"v1\"}", true}, /* empty: any */
		{"{\"group\":\"batch\"}", false},
		{"{\"name\":\"web-[0-9]+\",\"namespace\":\"team-.*\"}", true},
		{"{\"name\":\"(?:web|api)-\\\\d\"}", true}, /* RE2 syntax */
		{"{\"name\":\"(?i)WEB-1\"}", true},
		{"{\"name\":\"web-1|x\"}", true},          /* alternation anchored as a whole */
		{"{\"name\":\"x|web\"}", false},
		{"{\"name\":\"web\"}", false},
		{"{\"namespace\":\"team-b|team-a\"}", true},
		{"{\"name\":\"(\"}", false},               /* invalid regex */
		{"{\"labelSelector\":\"app=web\"}", true},
		{"{\"labelSelector\":\"app==web, tier in (back, front)\"}", true},
		{"{\"labelSelector\":\"app=web,tier notin (front)\"}", false},
		{"{\"labelSelector\":\"app!=web\"}", false},
		{"{\"labelSelector\":\"app,!canary\"}", true},
		{"{\"labelSelector\":\"!app\"}", false},
		{"{\"labelSelector\":\"missing\"}", false},
		{"{\"labelSelector\":\"app in web\"}", false}, /* unparsable */
		{"{\"annotationSelector\":\"hpa=on\"}", true},
		{"{\"annotationSelector\":\"hpa=off\"}", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cJSON *t = J(cases[i].target);
		if (ssa_ignore_target_matches(t, o) != cases[i].match)
			fail_msg("target %s: want %d", cases[i].target, cases[i].match);
		cJSON_Delete(t);
	}
	cJSON *rules = J("[{\"paths\":[\"/spec/replicas\"],\"target\":{\"kind\":\"Deployment\"}},"
		"{\"paths\":[\"/data\"],\"target\":{\"kind\":\"ConfigMap\"}},"
		"{\"paths\":[\"/metadata/annotations/hpa\",\"\"]}]");
	cJSON *p = ssa_ignore_paths_for(rules, o);
	assert_int_equal(cJSON_GetArraySize(p), 2);
	assert_string_equal(cJSON_GetArrayItem(p, 0)->valuestring, "/spec/replicas");
	assert_string_equal(cJSON_GetArrayItem(p, 1)->valuestring, "/metadata/annotations/hpa");
	cJSON_Delete(p);
	assert_null(ssa_ignore_paths_for(NULL, o));
	cJSON_Delete(rules);
	cJSON_Delete(o);
}

/* Drift detection without the ignored fields, and the payload that keeps their values. */
static void ignore_drift(void **state)
{
	(void)state;
	cJSON *cur = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
		"\"name\":\"a\",\"resourceVersion\":\"7\",\"annotations\":{\"hpa\":\"x\"}},"
		"\"spec\":{\"replicas\":5,\"paused\":false,\"template\":{\"c\":[{\"image\":\"a\"}]}}}");
	cJSON *dry = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
		"\"name\":\"a\",\"resourceVersion\":\"7\"},"
		"\"spec\":{\"replicas\":1,\"paused\":false,\"template\":{\"c\":[{\"image\":\"a\"}]}}}");
	cJSON *desired = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
		"\"name\":\"a\"},\"spec\":{\"replicas\":1,\"template\":{\"c\":[{\"image\":\"a\"}]}}}");
	cJSON *paths = J("[\"/spec/replicas\",\"/metadata/annotations/hpa\"]");
	assert_true(ssa_drifted(cur, dry));
	assert_false(ssa_drifted_ignoring(cur, dry, paths));
	assert_true(ssa_drifted_ignoring(cur, dry, NULL));
	/* the inputs are untouched */
	assert_int_equal(ssa_ptr_get(cur, "/spec/replicas")->valueint, 5);
	/* another field drifts too */
	cJSON_ReplaceItemInObject(ssa_ptr_get(cur, "/spec"), "paused", cJSON_CreateTrue());
	assert_true(ssa_drifted_ignoring(cur, dry, paths));
	cJSON *pl = ssa_ignore_payload(&KC, desired, cur, dry, paths);
	assert_non_null(pl);
	assert_int_equal(ssa_ptr_get(pl, "/spec/replicas")->valueint, 5); /* kept from the cluster */
	assert_null(ssa_ptr_get(pl, "/metadata/annotations"));           /* absent in desired */
	assert_int_equal(ssa_ptr_get(desired, "/spec/replicas")->valueint, 1);
	cJSON_Delete(pl);
	/* co-owned by another manager's server-side apply: left out of the payload; Update
	 * entries, kubectl's (handed over) and ours do not count */
	cJSON_AddItemToObject(ssa_ptr_get(cur, "/metadata"), "managedFields", J("["
		"{\"manager\":\"kubectl\",\"operation\":\"Apply\",\"fieldsV1\":"
		"{\"f:spec\":{\"f:replicas\":{}}}},"
		"{\"manager\":\"kustomize-controller\",\"operation\":\"Apply\",\"fieldsV1\":"
		"{\"f:spec\":{\"f:replicas\":{}}}},"
		"{\"manager\":\"hpa\",\"operation\":\"Update\",\"fieldsV1\":"
		"{\"f:spec\":{\"f:replicas\":{}}}}]"));
	assert_false(ssa_ignore_co_owned(&KC, cur, "/spec/replicas"));
	pl = ssa_ignore_payload(&KC, desired, cur, dry, paths);
	assert_int_equal(ssa_ptr_get(pl, "/spec/replicas")->valueint, 5);
	cJSON_Delete(pl);
	cJSON_AddItemToArray(ssa_ptr_get(cur, "/metadata/managedFields"), J("{\"manager\":\"vpa\","
		"\"operation\":\"Apply\",\"fieldsV1\":{\"f:spec\":{\"f:replicas\":{}}}}"));
	assert_true(ssa_ignore_co_owned(&KC, cur, "/spec/replicas"));
	assert_false(ssa_ignore_co_owned(&KC, cur, "/spec/paused"));
	assert_false(ssa_ignore_co_owned(&KC, cur, ""));
	pl = ssa_ignore_payload(&KC, desired, cur, dry, paths);
	assert_non_null(pl);
	assert_null(ssa_ptr_get(pl, "/spec/replicas"));
	assert_non_null(ssa_ptr_get(pl, "/spec/template"));
	cJSON_Delete(pl);
	/* an ignored field that did not drift, or is absent in the cluster: no payload */
	cJSON *p2 = J("[\"/spec/template/c/0/image\",\"/spec/missing\"]");
	assert_null(ssa_ignore_payload(&KC, desired, cur, dry, p2));
	cJSON_Delete(p2);
	cJSON_Delete(paths);
	cJSON_Delete(cur);
	cJSON_Delete(dry);
	cJSON_Delete(desired);
}

/* Inventory entries: cli-utils ids and versions, each object once, in order. */
static void inventory(void **state)
{
	(void)state;
	cJSON *objs = J("[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
		"\"metadata\":{\"name\":\"web\",\"namespace\":\"team\"}},"
		"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"team\"}},"
		"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
		"\"metadata\":{\"name\":\"web\",\"namespace\":\"team\"}}]");
	cJSON *entries = cJSON_CreateArray();
	ssa_inventory_add(entries, objs);
	cJSON *want = J("[{\"id\":\"team_web_apps_Deployment\",\"v\":\"v1\"},"
		"{\"id\":\"_team__Namespace\",\"v\":\"v1\"}]");
	assert_true(cJSON_Compare(entries, want, true));
	assert_true(ssa_inventory_has(entries, "_team__Namespace"));
	assert_false(ssa_inventory_has(entries, "_team__ConfigMap"));
	assert_string_equal(ssa_action_name(SSA_CONFIGURED), "configured");
	assert_string_equal(ssa_action_name(SSA_SKIPPED), "skipped");
	cJSON_Delete(want);
	cJSON_Delete(entries);
	cJSON_Delete(objs);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(drift),
		cmocka_unit_test(take_over),
		cmocka_unit_test(order),
		cmocka_unit_test(errors),
		cmocka_unit_test(pointers),
		cmocka_unit_test(ignore_targets),
		cmocka_unit_test(ignore_drift),
		cmocka_unit_test(inventory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
