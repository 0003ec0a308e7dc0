/* Unit tests of server-side apply and managedFields in the patch module (patch_apply,
 * patch_track_update, patch_fields_of, conflicts and their Status). The expected FieldsV1
 * sets and messages are the ones a Kubernetes 1.33 API server produces for the same
 * sequence of requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "eddy/mem.h"
#include "eddy/patch.h"

static cJSON *parse(const char *s)
{
	cJSON *v = cJSON_Parse(s);
	if (!v)
		fail_msg("bad test JSON: %s", s);
	return v;
}

static void assert_json(const cJSON *got, const char *want)
{
	cJSON *w = parse(want);
	if (!cJSON_Compare(w, got, 1)) {
		char *s = cJSON_PrintUnformatted(got);
		print_error("got  %s\nwant %s\n", s, want);
		free(s);
		fail();
	}
	cJSON_Delete(w);
}

static const cJSON *at(const cJSON *v, const char *path)
{
	/* dotted path with numeric list indices */
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save)) {
		if (cJSON_IsArray(v))
			v = cJSON_GetArrayItem(v, (int)strtol(tok, NULL, 10));
		else
			v = cJSON_GetObjectItemCaseSensitive(v, tok);
	}
	return v;
}

/* Find the managedFields entry of manager/operation. */
static const cJSON *entry(const cJSON *obj, const char *manager, const char *op)
{
	const cJSON *mf = at(obj, "metadata.managedFields");
	for (const cJSON *e = mf ? mf->child : NULL; e; e = e->next)
		if (strcmp(cJSON_GetObjectItem(e, "manager")->valuestring, manager) == 0 &&
		    strcmp(cJSON_GetObjectItem(e, "operation")->valuestring, op) == 0)
			return e;
	return NULL;
}

static void assert_fields(const cJSON *obj, const char *manager, const char *op, const char *want)
{
	const cJSON *e = entry(obj, manager, op);
	if (!e)
		fail_msg("no %s entry for %s", op, manager);
	assert_json(cJSON_GetObjectItem(e, "fieldsV1"), want);
}

/* Apply src by manager; expect rc. */
static int apply(cJSON **live, const char *src, const char *manager, bool force, const char *now,
		 const patch_schema_hint *hint, patch_conflicts *c, err *e)
{
	cJSON *a = parse(src);
	int rc = patch_apply(live, a, manager, force, now, hint, c, e);
	cJSON_Delete(a);
	return rc;
}

static void apply_ok(cJSON **live, const char *src, const char *manager, const char *now)
{
	err e = {0};
	patch_conflicts c;
	int rc = apply(live, src, manager, false, now, NULL, &c, &e);
	if (rc != 0)
		fail_msg("apply by %s failed (%d): %s", manager, rc, e.msg);
	patch_conflicts_release(&c);
}

/* An ordinary write: set path (top-level.key) of *obj to value by manager. */
static void update(cJSON *obj, const char *section, const char *key, const char *value,
		   const char *manager, const char *now)
{
	cJSON *old = cJSON_Duplicate(obj, 1);
	cJSON *sec = cJSON_GetObjectItem(obj, section);
	if (!sec)
		sec = cJSON_AddObjectToObject(obj, section);
	if (value) {
		if (cJSON_GetObjectItem(sec, key))
			cJSON_ReplaceItemInObjectCaseSensitive(sec, key, cJSON_CreateString(value));
		else
			cJSON_AddStringToObject(sec, key, value);
	} else {
		cJSON_DeleteItemFromObjectCaseSensitive(sec, key);
	}
	err e = {0};
	assert_int_equal(patch_track_update(old, obj, manager, "v1", NULL, now, NULL, &e), 0);
	cJSON_Delete(old);
}

#define CM(data)                                                                                   \
	"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","             \
	"\"namespace\":\"default\"},\"data\":" data "}"

static void test_apply_creates(void **state)
{
	cJSON *live = NULL;
	apply_ok(&live,
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","
		 "\"namespace\":\"default\",\"labels\":{\"app\":\"x\"}},\"data\":{\"k\":\"v\"}}",
		 "kubectl", "2026-01-01T00:00:00Z");
	assert_json(live,
		    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","
		    "\"namespace\":\"default\",\"labels\":{\"app\":\"x\"},\"managedFields\":[{"
		    "\"manager\":\"kubectl\",\"operation\":\"Apply\",\"apiVersion\":\"v1\","
		    "\"time\":\"2026-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{"
		    "\"f:data\":{\"f:k\":{}},\"f:metadata\":{\"f:labels\":{\"f:app\":{}}}}}]},"
		    "\"data\":{\"k\":\"v\"}}");
	/* the same apply again changes nothing, not even the time */
	cJSON *before = cJSON_Duplicate(live, 1);
	apply_ok(&live,
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","
		 "\"namespace\":\"default\",\"labels\":{\"app\":\"x\"}},\"data\":{\"k\":\"v\"}}",
		 "kubectl", "2026-01-01T00:05:00Z");
	assert_true(cJSON_Compare(before, live, 1));
	cJSON_Delete(before);
	cJSON_Delete(live);
}

static void test_conflict_with_update_manager(void **state)
{
	cJSON *live = NULL;
	apply_ok(&live, CM("{\"k\":\"v\",\"j\":\"w\"}"), "kubectl", "2026-01-01T00:00:00Z");
	update(live, "data", "k", "helm", "helm", "2026-01-01T00:00:01Z");
	/* helm's write took .data.k from kubectl */
	assert_fields(live, "kubectl", "Apply", "{\"f:data\":{\"f:j\":{}}}");
	assert_fields(live, "helm", "Update", "{\"f:data\":{\"f:k\":{}}}");
	assert_string_equal(at(entry(live, "kubectl", "Apply"), "time")->valuestring,
			    "2026-01-01T00:00:00Z");

	cJSON *before = cJSON_Duplicate(live, 1);
	patch_conflicts c;
	err e = {0};
	assert_int_equal(apply(&live, CM("{\"k\":\"v\",\"j\":\"w\"}"), "kubectl", false,
			       "2026-01-01T00:00:02Z", NULL, &c, &e),
			 1);
	assert_true(cJSON_Compare(before, live, 1)); /* nothing changed */
	assert_string_equal(e.reason, "Conflict");
	assert_string_equal(
		c.message,
		"Apply failed with 1 conflict: conflict with \"helm\" using v1: .data.k");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.items[0].manager, "helm");
	assert_string_equal(c.items[0].operation, "Update");
	assert_string_equal(c.items[0].field, ".data.k");
	cJSON *st = patch_conflicts_status(&c);
	assert_json(
		st,
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
		"\"Failure\",\"message\":\"Apply failed with 1 conflict: conflict with "
		"\\\"helm\\\" "
		"using v1: .data.k\",\"reason\":\"Conflict\",\"details\":{\"causes\":[{\"reason\":"
		"\"FieldManagerConflict\",\"message\":\"conflict with \\\"helm\\\" using v1\","
		"\"field\":\".data.k\"}]},\"code\":409}");
	cJSON_Delete(st);
	patch_conflicts_release(&c);

	/* force takes the field over; helm's entry is left empty and dropped */
	assert_int_equal(apply(&live, CM("{\"k\":\"v\",\"j\":\"w\"}"), "kubectl", true,
			       "2026-01-01T00:00:03Z", NULL, &c, &e),
			 0);
	assert_int_equal(c.n, 0);
	assert_string_equal(at(live, "data.k")->valuestring, "v");
	assert_null(entry(live, "helm", "Update"));
	assert_fields(live, "kubectl", "Apply", "{\"f:data\":{\"f:j\":{},\"f:k\":{}}}");
	assert_string_equal(at(entry(live, "kubectl", "Apply"), "time")->valuestring,
			    "2026-01-01T00:00:03Z");
	patch_conflicts_release(&c);
	cJSON_Delete(before);
	cJSON_Delete(live);
}

static void test_conflict_with_apply_manager_and_sharing(void **state)
{
	cJSON *live = NULL;
	patch_conflicts c;
	err e = {0};
	apply_ok(&live, CM("{\"k\":\"1\"}"), "a", "t1");
	assert_int_equal(apply(&live, CM("{\"k\":\"2\"}"), "b", false, "t2", NULL, &c, &e), 1);
	/* Apply managers are printed without "using" */
	assert_string_equal(c.message,
			    "Apply failed with 1 conflict: conflict with \"a\": .data.k");
	assert_string_equal(c.items[0].cause, "conflict with \"a\"");
	patch_conflicts_release(&c);

	/* the same value is shared ownership, not a conflict */
	apply_ok(&live, CM("{\"k\":\"1\",\"mine\":\"b\"}"), "b", "t3");
	assert_fields(live, "a", "Apply", "{\"f:data\":{\"f:k\":{}}}");
	assert_fields(live, "b", "Apply", "{\"f:data\":{\"f:k\":{},\"f:mine\":{}}}");
	/* a stops applying k: b still owns it, so it stays */
	apply_ok(&live, CM("{}"), "a", "t4");
	assert_string_equal(at(live, "data.k")->valuestring, "1");
	assert_null(entry(live, "a", "Apply"));
	/* b stops applying both: they are removed, and the emptied map with them */
	apply_ok(&live,
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","
		 "\"labels\":{\"x\":\"y\"}}}",
		 "b", "t5");
	assert_null(at(live, "data"));
	assert_fields(live, "b", "Apply", "{\"f:metadata\":{\"f:labels\":{\"f:x\":{}}}}");
	cJSON_Delete(live);
}

static void test_multiple_conflicts_message(void **state)
{
	cJSON *live = NULL;
	apply_ok(&live, CM("{\"c\":\"1\"}"), "y", "t0");
	update(live, "data", "a", "1", "x", "t1");
	update(live, "data", "b", "1", "x", "t2");
	patch_conflicts c;
	err e = {0};
	assert_int_equal(apply(&live, CM("{\"a\":\"2\",\"b\":\"2\",\"c\":\"2\"}"), "z", false, "t3",
			       NULL, &c, &e),
			 1);
	assert_string_equal(c.message,
			    "Apply failed with 3 conflicts: conflicts with \"x\" using v1:\n"
			    "- .data.a\n- .data.b\nconflicts with \"y\":\n- .data.c");
	assert_string_equal(e.msg, c.message);
	assert_int_equal(c.n, 3);
	patch_conflicts_release(&c);
	/* adding a new key nobody owns is fine */
	apply_ok(&live, CM("{\"new\":\"1\"}"), "z", "t4");
	assert_string_equal(at(live, "data.a")->valuestring, "1");
	cJSON_Delete(live);
}

#define DEPLOY(containers)                                                                         \
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"                        \
	"{\"name\":\"d\"},\"spec\":{\"template\":{\"spec\":{\"containers\":" containers "}}}}"

static void test_keyed_lists(void **state)
{
	cJSON *live = NULL;
	patch_conflicts c;
	err e = {0};
	apply_ok(&live,
		 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
		 "{\"name\":\"d\"},\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":"
		 "\"d\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"d\"}},\"spec\":"
		 "{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:1\",\"ports\":"
		 "[{\"containerPort\":80}]}]}}}}",
		 "kubectl", "t0");
	assert_fields(
		live, "kubectl", "Apply",
		"{\"f:spec\":{\"f:replicas\":{},\"f:selector\":{},\"f:template\":{\"f:metadata\":"
		"{\"f:labels\":{\"f:app\":{}}},\"f:spec\":{\"f:containers\":{"
		"\"k:{\\\"name\\\":\\\"nginx\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{},"
		"\"f:ports\":{\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":"
		"{\".\":{},\"f:containerPort\":{}}}}}}}}}");
	/* another manager adds its own container: merged by name, owned separately */
	apply_ok(&live, DEPLOY("[{\"name\":\"sidecar\",\"image\":\"busybox\"}]"), "injector", "t1");
	assert_string_equal(at(live, "spec.template.spec.containers.0.name")->valuestring, "nginx");
	assert_string_equal(at(live, "spec.template.spec.containers.1.name")->valuestring,
			    "sidecar");
	assert_fields(live, "injector", "Apply",
		      "{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{"
		      "\"k:{\\\"name\\\":\\\"sidecar\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{}}"
		      "}}}}}");
	/* changing kubectl's image from another manager conflicts on the item's field */
	assert_int_equal(apply(&live, DEPLOY("[{\"name\":\"nginx\",\"image\":\"nginx:2\"}]"),
			       "injector", false, "t2", NULL, &c, &e),
			 1);
	assert_string_equal(c.message, "Apply failed with 1 conflict: conflict with \"kubectl\": "
				       ".spec.template.spec.containers[name=\"nginx\"].image");
	patch_conflicts_release(&c);
	/* the injector drops its container: the item goes away, nginx stays */
	apply_ok(&live, DEPLOY("[]"), "injector", "t3");
	assert_int_equal(cJSON_GetArraySize(at(live, "spec.template.spec.containers")), 1);
	assert_string_equal(at(live, "spec.template.spec.containers.0.name")->valuestring, "nginx");
	/* atomic selector: a different selector conflicts on the whole map */
	assert_int_equal(
		apply(&live,
		      "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
		      "\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":{\"matchLabels\":"
		      "{\"other\":\"x\"}}}}",
		      "other", false, "t4", NULL, &c, &e),
		1);
	assert_string_equal(c.items[0].field, ".spec.selector");
	patch_conflicts_release(&c);
	/* a list item without its key is an error */
	assert_int_equal(
		apply(&live, DEPLOY("[{\"image\":\"x\"}]"), "other", false, "t5", NULL, &c, &e),
		-1);
	assert_non_null(strstr(e.msg, "omits key field \"name\""));
	patch_conflicts_release(&c);
	cJSON_Delete(live);
}

static void test_sets_and_crd_hints(void **state)
{
	cJSON *live = NULL;
	patch_conflicts c;
	err e = {0};
	apply_ok(&live,
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","
		 "\"finalizers\":[\"a\"]}}",
		 "one", "t0");
	apply_ok(&live,
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","
		 "\"finalizers\":[\"b\"]}}",
		 "two", "t1");
	assert_json(at(live, "metadata.finalizers"), "[\"a\",\"b\"]");
	assert_fields(live, "two", "Apply",
		      "{\"f:metadata\":{\"f:finalizers\":{\"v:\\\"b\\\"\":{}}}}");

	/* custom resource without schema: lists are atomic */
	const char *w1 = "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":"
			 "{\"name\":\"w\"},\"spec\":{\"items\":[{\"name\":\"a\",\"v\":1}]}}";
	const char *w2 = "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":"
			 "{\"name\":\"w\"},\"spec\":{\"items\":[{\"name\":\"b\",\"v\":2}]}}";
	cJSON *cr = NULL;
	apply_ok(&cr, w1, "one", "t0");
	assert_fields(cr, "one", "Apply", "{\"f:spec\":{\"f:items\":{}}}");
	assert_int_equal(apply(&cr, w2, "two", false, "t1", NULL, &c, &e), 1);
	assert_string_equal(c.items[0].field, ".spec.items");
	patch_conflicts_release(&c);
	cJSON_Delete(cr);

	/* with the CRD's schema, x-kubernetes-list-type: map merges by key */
	cJSON *schema =
		parse("{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
		      "\"properties\":{\"items\":{\"type\":\"array\",\"x-kubernetes-list-type\":"
		      "\"map\",\"x-kubernetes-list-map-keys\":[\"name\"],\"items\":{\"type\":"
		      "\"object\"}},\"sel\":{\"type\":\"object\",\"x-kubernetes-map-type\":"
		      "\"atomic\"}}}}}");
	patch_schema_hint hint = {schema};
	cr = NULL;
	assert_int_equal(apply(&cr, w1, "one", false, "t0", &hint, &c, &e), 0);
	patch_conflicts_release(&c);
	assert_int_equal(apply(&cr, w2, "two", false, "t1", &hint, &c, &e), 0);
	patch_conflicts_release(&c);
	assert_int_equal(cJSON_GetArraySize(at(cr, "spec.items")), 2);
	assert_fields(cr, "two", "Apply",
		      "{\"f:spec\":{\"f:items\":{\"k:{\\\"name\\\":\\\"b\\\"}\":"
		      "{\".\":{},\"f:name\":{},\"f:v\":{}}}}}");
	cJSON *wid = parse("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\","
			   "\"spec\":{\"sel\":{\"a\":\"b\"}}}");
	cJSON *fs = patch_fields_of(wid, &hint, &e);
	assert_json(fs, "{\"f:spec\":{\"f:sel\":{}}}");
	cJSON_Delete(fs);
	cJSON_Delete(wid);
	cJSON_Delete(cr);
	cJSON_Delete(schema);
	cJSON_Delete(live);
}

static void test_track_update(void **state)
{
	err e = {0};
	cJSON *cm =
		parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","
		      "\"labels\":{\"a\":\"1\"}},\"data\":{\"k\":\"v\"}}");
	assert_int_equal(patch_track_update(NULL, cm, "kubectl-create", "v1", NULL, "t0", NULL, &e),
			 0);
	assert_fields(cm, "kubectl-create", "Update",
		      "{\"f:data\":{\".\":{},\"f:k\":{}},\"f:metadata\":{\"f:labels\":{\".\":{},"
		      "\"f:a\":{}}}}");

	cJSON *d = parse(
		"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
		"\"d\"},\"spec\":{\"replicas\":1,\"template\":{\"spec\":{\"containers\":[{"
		"\"name\":\"c\",\"image\":\"i\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}]}}}}");
	assert_int_equal(
		patch_track_update(NULL, d, "kubectl-create", "apps/v1", NULL, "t0", NULL, &e), 0);
	assert_fields(
		d, "kubectl-create", "Update",
		"{\"f:spec\":{\"f:replicas\":{},\"f:template\":{\"f:spec\":{\"f:containers\":{"
		"\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{},\"f:env\":{\".\":{},"
		"\"k:{\\\"name\\\":\\\"A\\\"}\":{\".\":{},\"f:name\":{},\"f:value\":{}}},"
		"\"f:image\":{},\"f:name\":{}}}}}}}");

	/* a later status write by a controller on the status subresource */
	cJSON *old = cJSON_Duplicate(d, 1);
	cJSON_AddItemToObject(d, "status", parse("{\"replicas\":1}"));
	assert_int_equal(patch_track_update(old, d, "ctrl", "apps/v1", "status", "t1", NULL, &e),
			 0);
	const cJSON *st = entry(d, "ctrl", "Update");
	assert_non_null(st);
	assert_string_equal(at(st, "subresource")->valuestring, "status");
	assert_json(at(st, "fieldsV1"), "{\"f:status\":{\"f:replicas\":{}}}");
	cJSON_Delete(old);

	/* applying a different replicas then conflicts with the creator, named with its version */
	patch_conflicts c;
	assert_int_equal(apply(&d,
			       "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
			       "{\"name\":\"d\"},\"spec\":{\"replicas\":3}}",
			       "flux", false, "t2", NULL, &c, &e),
			 1);
	assert_string_equal(c.message, "Apply failed with 1 conflict: conflict with "
				       "\"kubectl-create\" using apps/v1: .spec.replicas");
	patch_conflicts_release(&c);
	/* status owners are reported with their subresource */
	assert_int_equal(apply(&d,
			       "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
			       "{\"name\":\"d\"},\"status\":{\"replicas\":3}}",
			       "flux", false, "t2", NULL, &c, &e),
			 1);
	assert_string_equal(c.items[0].cause,
			    "conflict with \"ctrl\" with subresource \"status\" using apps/v1");
	patch_conflicts_release(&c);

	/* removing a field by an update takes it out of every set */
	old = cJSON_Duplicate(cm, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(cm, "data"), "k");
	assert_int_equal(patch_track_update(old, cm, "editor", "v1", NULL, "t3", NULL, &e), 0);
	assert_fields(cm, "kubectl-create", "Update",
		      "{\"f:data\":{},\"f:metadata\":{\"f:labels\":{\".\":{},\"f:a\":{}}}}");
	cJSON_Delete(old);
	cJSON_Delete(cm);
	cJSON_Delete(d);
}

/* Mirrors Kubernetes' TestApplyCanTransferFieldOwnershipToController: a controller's update
 * takes a field over, and the applier dropping it afterwards leaves the controller's value. */
static void test_transfer_ownership_to_controller(void **state)
{
	const char *with = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
			   "{\"name\":\"d\"},\"spec\":{\"replicas\":3,\"paused\":false}}";
	const char *without = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
			      "{\"name\":\"d\"},\"spec\":{\"paused\":false}}";
	cJSON *live = NULL;
	apply_ok(&live, with, "kubectl", "t0");
	cJSON *old = cJSON_Duplicate(live, 1);
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(live, "spec"), "replicas",
					       cJSON_CreateNumber(5));
	err e = {0};
	assert_int_equal(
		patch_track_update(old, live, "controller", "apps/v1", NULL, "t1", NULL, &e), 0);
	cJSON_Delete(old);
	assert_fields(live, "controller", "Update", "{\"f:spec\":{\"f:replicas\":{}}}");
	assert_fields(live, "kubectl", "Apply", "{\"f:spec\":{\"f:paused\":{}}}");
	apply_ok(&live, without, "kubectl", "t2");
	assert_int_equal(at(live, "spec.replicas")->valueint, 5);
	/* applying the old value again now conflicts with the controller */
	patch_conflicts c;
	assert_int_equal(apply(&live, with, "kubectl", false, "t3", NULL, &c, &e), 1);
	assert_string_equal(c.message, "Apply failed with 1 conflict: conflict with \"controller\" "
				       "using apps/v1: .spec.replicas");
	patch_conflicts_release(&c);
	cJSON_Delete(live);
}

/* An apply on the status subresource is its own manager entry. */
static void test_apply_status_subresource(void **state)
{
	cJSON *live = NULL;
	apply_ok(&live, CM("{\"k\":\"v\"}"), "ctrl", "t0");
	cJSON *st = parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
			  "\"cm\"},\"status\":{\"phase\":\"Ready\"}}");
	patch_conflicts c;
	err e = {0};
	assert_int_equal(
		patch_apply_subresource(&live, st, "ctrl", "status", false, "t1", NULL, &c, &e), 0);
	patch_conflicts_release(&c);
	const cJSON *mf = at(live, "metadata.managedFields");
	assert_int_equal(cJSON_GetArraySize(mf), 2);
	assert_string_equal(at(mf, "1.subresource")->valuestring, "status");
	assert_json(at(mf, "1.fieldsV1"), "{\"f:status\":{\"f:phase\":{}}}");
	/* the main-resource entry is untouched */
	assert_json(at(mf, "0.fieldsV1"), "{\"f:data\":{\"f:k\":{}}}");
	assert_null(at(mf, "0.subresource"));
	cJSON_Delete(st);
	cJSON_Delete(live);
}

/* Map entries of a CRD's additionalProperties are members themselves. */
static void test_crd_map_entries(void **state)
{
	cJSON *schema =
		parse("{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
		      "\"properties\":{\"values\":{\"type\":\"object\",\"additionalProperties\":"
		      "{\"type\":\"object\"}}}}}}");
	patch_schema_hint hint = {schema};
	cJSON *obj = parse("{\"apiVersion\":\"example.com/v1\",\"kind\":\"W\",\"spec\":{\"values\":"
			   "{\"a\":{\"x\":1}}}}");
	err e = {0};
	cJSON *fs = patch_fields_of(obj, &hint, &e);
	assert_json(fs, "{\"f:spec\":{\"f:values\":{\"f:a\":{\".\":{},\"f:x\":{}}}}}");
	cJSON_Delete(fs);
	cJSON_Delete(obj);
	cJSON_Delete(schema);
}

static void test_managed_fields_reset_and_errors(void **state)
{
	err e = {0};
	patch_conflicts c;
	/* csaupgrade's [{}] means no managers: nothing conflicts */
	cJSON *live =
		parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","
		      "\"managedFields\":[{}]},\"data\":{\"k\":\"old\"}}");
	assert_int_equal(apply(&live, CM("{\"k\":\"new\"}"), "kubectl", false, "t", NULL, &c, &e),
			 0);
	patch_conflicts_release(&c);
	assert_int_equal(cJSON_GetArraySize(at(live, "metadata.managedFields")), 1);
	assert_string_equal(at(live, "data.k")->valuestring, "new");
	/* bad input */
	assert_int_equal(apply(&live, "[1]", "kubectl", false, "t", NULL, &c, &e), -1);
	assert_int_equal(apply(&live, CM("{}"), "", false, "t", NULL, &c, &e), -1);
	patch_conflicts_release(&c);
	cJSON *str = parse("\"x\"");
	assert_null(patch_fields_of(str, NULL, &e));
	cJSON_Delete(str);
	/* managedFields ordering: Apply entries first, then by time */
	update(live, "data", "z", "1", "editor", "t0");
	const cJSON *mf = at(live, "metadata.managedFields");
	assert_string_equal(at(mf, "0.operation")->valuestring, "Apply");
	assert_string_equal(at(mf, "1.manager")->valuestring, "editor");
	cJSON_Delete(live);
}

/* Long lists and maps stay fast in apply (hashed list keys and field-set children). */
static void test_apply_long_lists(void **state)
{
	enum { N = 10000 };
	cJSON *a = parse("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
			 "\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":[]}]},\"data\":{}}");
	cJSON *b = cJSON_Duplicate(a, 1);
	cJSON *env = cJSON_GetObjectItem(
		cJSON_GetArrayItem(
			cJSON_GetObjectItem(cJSON_GetObjectItem(a, "spec"), "containers"), 0),
		"env");
	cJSON *data = cJSON_GetObjectItem(a, "data");
	char name[32];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "E%d", i);
		cJSON *v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "name", name);
		cJSON_AddStringToObject(v, "value", "1");
		cJSON_AddItemToArray(env, v);
		cJSON_AddStringToObject(data, name, "1");
	}
	clock_t start = clock();
	cJSON *live = NULL;
	patch_conflicts c;
	err e = {0};
	assert_int_equal(patch_apply(&live, a, "one", false, "t0", NULL, &c, &e), 0);
	patch_conflicts_release(&c);
	/* a second manager applies nothing of it; then the first drops everything */
	assert_int_equal(patch_apply(&live, b, "two", false, "t1", NULL, &c, &e), 0);
	patch_conflicts_release(&c);
	assert_int_equal(patch_apply(&live, b, "one", false, "t2", NULL, &c, &e), 0);
	patch_conflicts_release(&c);
	double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	assert_null(cJSON_GetObjectItem(live, "data"));
	assert_true(secs < 30);
	cJSON_Delete(live);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_creates),
		cmocka_unit_test(test_conflict_with_update_manager),
		cmocka_unit_test(test_conflict_with_apply_manager_and_sharing),
		cmocka_unit_test(test_multiple_conflicts_message),
		cmocka_unit_test(test_keyed_lists),
		cmocka_unit_test(test_sets_and_crd_hints),
		cmocka_unit_test(test_track_update),
		cmocka_unit_test(test_transfer_ownership_to_controller),
		cmocka_unit_test(test_crd_map_entries),
		cmocka_unit_test(test_apply_status_subresource),
		cmocka_unit_test(test_managed_fields_reset_and_errors),
		cmocka_unit_test(test_apply_long_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
