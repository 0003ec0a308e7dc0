/* Unit tests of the patch module: JSON merge patch, JSON patch, strategic merge patch and the
 * schema table. Server-side apply is in test_patch_apply.c. Cases marked "k8s" restate
 * behaviours pinned by Kubernetes' own tests (strategicpatch, evanphx/json-patch). */
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

typedef struct pcase {
	const char *name;
	const char *target;
	const char *patch;
	const char *want; /* expected result, or NULL when an error is expected */
	const char *err; /* substring of the expected error message */
} pcase;

enum kind { MERGE, JSONP, SMP };

static cJSON *parse(const char *s)
{
	cJSON *v = cJSON_Parse(s);
	if (!v)
		fail_msg("bad test JSON: %s", s);
	return v;
}

static void run(enum kind k, const pcase *c, const char *av, const char *kind)
{
	cJSON *t = c->target ? parse(c->target) : NULL, *p = parse(c->patch);
	err e = {0};
	cJSON *got = k == MERGE   ? patch_merge(t, p, &e)
		     : k == JSONP ? patch_json(t, p, &e)
				  : patch_strategic(t, p, av, kind, &e);
	if (c->want) {
		if (!got)
			fail_msg("%s: unexpected error: %s", c->name, e.msg);
		cJSON *w = parse(c->want);
		if (!cJSON_Compare(w, got, 1)) {
			char *s = cJSON_PrintUnformatted(got);
			print_error("%s:\n  got  %s\n  want %s\n", c->name, s, c->want);
			free(s);
			fail();
		}
		cJSON_Delete(w);
	} else {
		if (got) {
			char *s = cJSON_PrintUnformatted(got);
			fail_msg("%s: expected error, got %s", c->name, s);
		}
		if (!strstr(e.msg, c->err))
			fail_msg("%s: error %s does not contain %s", c->name, e.msg, c->err);
		assert_string_equal(e.reason, "PatchFailed");
	}
	/* the inputs are never changed */
	cJSON *t2 = c->target ? parse(c->target) : NULL, *p2 = parse(c->patch);
	if (t)
		assert_true(cJSON_Compare(t, t2, 1));
	assert_true(cJSON_Compare(p, p2, 1));
	cJSON_Delete(t2);
	cJSON_Delete(p2);
	cJSON_Delete(got);
	cJSON_Delete(t);
	cJSON_Delete(p);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- 1. merge patch (RFC 7386 appendix A examples and k8s behaviours) ---- */

static const pcase merge_cases[] = {
	{"rfc a1", "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}", NULL},
	{"rfc a2", "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}", NULL},
	{"rfc a3", "{\"a\":\"b\"}", "{\"a\":null}", "{}", NULL},
	{"rfc a4", "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}", NULL},
	{"rfc a5", "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}", NULL},
	{"rfc a6", "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}", NULL},
	{"rfc a7", "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
	 "{\"a\":{\"b\":\"d\"}}", NULL},
	{"rfc a8", "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}", NULL},
	{"rfc a9", "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]", NULL},
	{"rfc a10", "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]", NULL},
	{"rfc a12", "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}", NULL},
	{"rfc a13", "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}", NULL},
	{"rfc a14", "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}", NULL},
	{"null on missing key", "{\"a\":1}", "{\"b\":null}", "{\"a\":1}", NULL},
	{"nested null pruned in arrays' objects", "{}", "{\"l\":[{\"a\":null,\"b\":1},null]}",
	 "{\"l\":[{\"b\":1},null]}", NULL},
	{"deep merge", "{\"m\":{\"l\":{\"a\":\"1\",\"b\":\"2\"}}}",
	 "{\"m\":{\"l\":{\"b\":null,\"c\":\"3\"}}}", "{\"m\":{\"l\":{\"a\":\"1\",\"c\":\"3\"}}}",
	 NULL},
	{"empty patch", "{\"a\":1}", "{}", "{\"a\":1}", NULL},
	{"null target", NULL, "{\"a\":{\"b\":null}}", "{\"a\":{}}", NULL},
	{"null patch is an error", "{\"a\":1}", "null", NULL, "Invalid JSON Patch"},
};

static void test_merge(void **state)
{
	for (size_t i = 0; i < N(merge_cases); i++)
		run(MERGE, &merge_cases[i], NULL, NULL);
}

/* ---- 2. JSON patch ---- */

static const pcase json_cases[] = {
	{"rfc add member", "{\"foo\":\"bar\"}",
	 "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
	 "{\"foo\":\"bar\",\"baz\":\"qux\"}", NULL},
	{"rfc add array element", "{\"foo\":[\"bar\",\"baz\"]}",
	 "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
	 "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", NULL},
	{"rfc remove member", "{\"baz\":\"qux\",\"foo\":\"bar\"}",
	 "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}", NULL},
	{"rfc remove element", "{\"foo\":[\"bar\",\"qux\",\"baz\"]}",
	 "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]", "{\"foo\":[\"bar\",\"baz\"]}", NULL},
	{"rfc replace", "{\"baz\":\"qux\",\"foo\":\"bar\"}",
	 "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
	 "{\"baz\":\"boo\",\"foo\":\"bar\"}", NULL},
	{"rfc move",
	 "{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
	 "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
	 "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}", NULL},
	{"rfc move element", "{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
	 "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
	 "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}", NULL},
	{"rfc test ok", "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
	 "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
	 "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
	 "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}", NULL},
	{"rfc test fails", "{\"baz\":\"qux\"}",
	 "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", NULL,
	 "testing value /baz failed: test failed"},
	{"rfc add nested", "{\"foo\":\"bar\"}",
	 "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
	 "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}", NULL},
	{"rfc ignore unknown members", "{\"foo\":\"bar\"}",
	 "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
	 "{\"foo\":\"bar\",\"baz\":\"qux\"}", NULL},
	{"rfc add to missing parent", "{\"foo\":\"bar\"}",
	 "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", NULL,
	 "add operation does not apply: doc is missing path: \"/baz/bat\": missing value"},
	{"rfc escapes", "{\"/\":9,\"~1\":10}",
	 "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10},{\"op\":\"remove\",\"path\":\"/~1\"}]",
	 "{\"~1\":10}", NULL},
	{"rfc add array value", "{\"foo\":[\"bar\"]}",
	 "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
	 "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}", NULL},
	{"replace missing member adds (v4.12)", "{\"data\":{}}",
	 "[{\"op\":\"replace\",\"path\":\"/data/k\",\"value\":\"v\"}]", "{\"data\":{\"k\":\"v\"}}",
	 NULL},
	{"replace missing parent", "{}", "[{\"op\":\"replace\",\"path\":\"/zz/k\",\"value\":1}]",
	 NULL, "replace operation does not apply: doc is missing path: /zz/k: missing value"},
	{"replace past the end", "{\"l\":[1]}",
	 "[{\"op\":\"replace\",\"path\":\"/l/3\",\"value\":1}]", NULL,
	 "replace operation does not apply: doc is missing key: /l/3: missing value"},
	{"remove missing member", "{\"data\":{}}", "[{\"op\":\"remove\",\"path\":\"/data/zz\"}]",
	 NULL,
	 "error in remove for path: '/data/zz': Unable to remove nonexistent key: zz: missing "
	 "value"},
	{"remove bad index", "{\"l\":[1]}", "[{\"op\":\"remove\",\"path\":\"/l/5\"}]", NULL,
	 "error in remove for path: '/l/5': Unable to access invalid index: 5: invalid index"},
	{"negative index", "{\"l\":[1,2,3]}", "[{\"op\":\"remove\",\"path\":\"/l/-1\"}]",
	 "{\"l\":[1,2]}", NULL},
	{"add past the end", "{\"l\":[1]}", "[{\"op\":\"add\",\"path\":\"/l/2\",\"value\":1}]",
	 NULL, "error in add for path: '/l/2': Unable to access invalid index: 2"},
	{"add at the end index", "{\"l\":[1]}", "[{\"op\":\"add\",\"path\":\"/l/1\",\"value\":2}]",
	 "{\"l\":[1,2]}", NULL},
	{"add not an index", "{\"l\":[1]}", "[{\"op\":\"add\",\"path\":\"/l/x\",\"value\":2}]",
	 NULL, "value was not a proper array index: 'x'"},
	{"unknown op", "{}", "[{\"op\":\"frob\",\"path\":\"/a\"}]", NULL, "Unexpected kind: frob"},
	{"missing op", "{}", "[{\"path\":\"/a\"}]", NULL, "Unexpected kind: unknown"},
	{"copy", "{\"a\":{\"b\":1}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"}]",
	 "{\"a\":{\"b\":1},\"c\":{\"b\":1}}", NULL},
	{"copy missing from gives null", "{}",
	 "[{\"op\":\"copy\",\"from\":\"/x\",\"path\":\"/c\"}]", "{\"c\":null}", NULL},
	{"move missing from", "{}", "[{\"op\":\"move\",\"from\":\"/x\",\"path\":\"/c\"}]", NULL,
	 "Unable to remove nonexistent key: x"},
	{"test missing member against null", "{}",
	 "[{\"op\":\"test\",\"path\":\"/x\",\"value\":null}]", "{}", NULL},
	{"failed op changes nothing", "{\"a\":1}",
	 "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"remove\",\"path\":\"/zz\"}]",
	 NULL, "nonexistent key: zz"},
	{"csaupgrade managedFields",
	 "{\"metadata\":{\"managedFields\":[{\"manager\":\"a\"}],"
	 "\"resourceVersion\":\"1\"}}",
	 "[{\"op\":\"replace\",\"path\":\"/metadata/managedFields\",\"value\":[{}]},"
	 "{\"op\":\"replace\",\"path\":\"/metadata/resourceVersion\",\"value\":\"103\"}]",
	 "{\"metadata\":{\"managedFields\":[{}],\"resourceVersion\":\"103\"}}", NULL},
	{"root pointer unsupported", "{}", "[{\"op\":\"add\",\"path\":\"\",\"value\":1}]", NULL,
	 "doc is missing path"},
	{"patch not a list", "{}", "{\"op\":\"add\"}", NULL, "cannot unmarshal object"},
};

static void test_json_patch(void **state)
{
	for (size_t i = 0; i < N(json_cases); i++)
		run(JSONP, &json_cases[i], NULL, NULL);
}

static void test_json_patch_copy_bomb(void **state)
{
	/* each copy doubles the document; the copy budget stops it */
	size_t cap = 64 * 1024;
	char *ops = xmalloc(cap);
	size_t n = (size_t)snprintf(ops, cap, "[");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(ops + n, cap - n,
				      "%s{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/x%d\"}",
				      i ? "," : "", i);
	snprintf(ops + n, cap - n, "]");
	cJSON *t = parse("{\"a\":{\"v\":[1,2,3,4,5,6,7,8]}}"), *p = parse(ops);
	err e = {0};
	cJSON *got = patch_json(t, p, &e);
	assert_null(got);
	assert_non_null(strstr(e.msg, "accumulated size increase of copy"));
	cJSON_Delete(t);
	cJSON_Delete(p);
	free(ops);
}

static void test_json_patch_depth_limit(void **state)
{
	/* copying an object into itself nests it one level deeper each time */
	size_t cap = 64 * 1024;
	char *ops = xmalloc(cap);
	size_t n = (size_t)snprintf(ops, cap, "[");
	for (int i = 0; i < 250; i++)
		n += (size_t)snprintf(ops + n, cap - n,
				      "%s{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/x\"}",
				      i ? "," : "");
	snprintf(ops + n, cap - n, "]");
	cJSON *t = parse("{\"a\":{}}"), *p = parse(ops);
	err e = {0};
	assert_null(patch_json(t, p, &e));
	assert_non_null(strstr(e.msg, "nested deeper than"));
	cJSON_Delete(t);
	cJSON_Delete(p);
	free(ops);
}

static void test_pointer_escaping(void **state)
{
	char *s = patch_pointer_escape("a/b~c");
	assert_string_equal(s, "a~1b~0c");
	char t[] = "a~1b~0c~01";
	assert_int_equal(patch_pointer_unescape(t), 0);
	assert_string_equal(t, "a/b~c~1");
	free(s);
	char bad[] = "x~2";
	assert_int_equal(patch_pointer_unescape(bad), -1);
	char trail[] = "x~";
	assert_int_equal(patch_pointer_unescape(trail), -1);
}

/* ---- 3. strategic merge patch ---- */

typedef struct scase {
	const char *av, *kind;
	pcase c;
} scase;

static const scase smp_cases[] = {
	{"v1",
	 "Pod",
	 {"k8s: merge list of maps by name",
	  "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"1\"},{\"name\":\"b\",\"image\":"
	  "\"2\"}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"3\"}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"1\"},{\"name\":\"b\",\"image\":"
	  "\"3\"}]}}",
	  NULL}},
	{"v1",
	 "Pod",
	 {"k8s: new items come first, in patch order",
	  "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"c\"},{\"name\":\"a\",\"x\":1}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"c\"},{\"name\":\"a\",\"x\":1},{\"name\":\"b\"}]}"
	  "}",
	  NULL}},
	{"v1",
	 "Pod",
	 {"k8s: delete all duplicate entries in a merge list",
	  "{\"spec\":{\"volumes\":[{\"name\":\"1\"},{\"name\":\"1\"},{\"name\":\"2\"}]}}",
	  "{\"spec\":{\"volumes\":[{\"name\":\"1\",\"$patch\":\"delete\"}]}}",
	  "{\"spec\":{\"volumes\":[{\"name\":\"2\"}]}}", NULL}},
	{"v1",
	 "Pod",
	 {"k8s: replace whole list",
	  "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"c\"},{\"$patch\":\"replace\"}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"c\"}]}}", NULL}},
	{"v1",
	 "Pod",
	 {"k8s: merge directive in list is an error",
	  "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
	  "{\"spec\":{\"containers\":[{\"$patch\":\"merge\"}]}}", NULL,
	  "merging lists cannot yet be specified in the patch"}},
	{"v1",
	 "Pod",
	 {"k8s: unknown directive in list", "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"frob\"}]}}", NULL,
	  "unknown patch type: frob in map: map[$patch:frob name:a]"}},
	{"v1",
	 "Pod",
	 {"k8s: delete map", "{\"spec\":{\"securityContext\":{\"runAsUser\":1},\"x\":1}}",
	  "{\"spec\":{\"securityContext\":{\"$patch\":\"delete\"}}}",
	  "{\"spec\":{\"securityContext\":{},\"x\":1}}", NULL}},
	{"v1",
	 "Pod",
	 {"k8s: replace map", "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}",
	  "{\"metadata\":{\"labels\":{\"$patch\":\"replace\",\"c\":\"3\"}}}",
	  "{\"metadata\":{\"labels\":{\"c\":\"3\"}}}", NULL}},
	{"v1",
	 "Pod",
	 {"k8s: merge directive on a map is an error", "{\"spec\":{}}",
	  "{\"spec\":{\"$patch\":\"merge\"}}", NULL, "unknown patch type: merge in map"}},
	{"v1",
	 "Pod",
	 {"k8s: merge primitive list as a set", "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
	  "{\"metadata\":{\"finalizers\":[\"b\",\"c\"]}}",
	  "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}", NULL}},
	{"v1",
	 "Pod",
	 {"k8s: delete from primitive list",
	  "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\",\"b\"]}}",
	  "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"b\"]}}",
	  "{\"metadata\":{\"finalizers\":[\"a\",\"c\"]}}", NULL}},
	{"v1",
	 "Pod",
	 {"k8s: delete from missing primitive list is a no-op", "{\"metadata\":{}}",
	  "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"b\"]}}", "{\"metadata\":{}}",
	  NULL}},
	{"v1",
	 "Pod",
	 {"k8s: bad primitive list directive", "{\"metadata\":{}}",
	  "{\"metadata\":{\"$deleteFromPrimitiveListfinalizers\":[\"b\"]}}", NULL,
	  "invalid patch format of primitive list"}},
	{"v1",
	 "Pod",
	 {"k8s: setElementOrder reorders a merge list",
	  "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]}}",
	  "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"c\"},{\"name\":\"a\"},"
	  "{\"name\":\"b\"}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"c\"},{\"name\":\"a\"},{\"name\":\"b\"}]}}",
	  NULL}},
	{"v1",
	 "Pod",
	 {"k8s: setElementOrder with server-only items interleaved",
	  "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"s\"},{\"name\":\"b\"}]}}",
	  "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},{\"name\":\"a\"}],"
	  "\"containers\":[{\"name\":\"b\",\"x\":1}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"s\"},{\"name\":\"b\",\"x\":1},{\"name\":\"a\"}]}"
	  "}",
	  NULL}},
	{"v1",
	 "Pod",
	 {"k8s: setElementOrder must match the patch order",
	  "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
	  "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"}],"
	  "\"containers\":[{\"name\":\"b\",\"x\":1}]}}",
	  NULL, "doesn't match $setElementOrder list"}},
	{"v1",
	 "Pod",
	 {"k8s: setElementOrder of primitives",
	  "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}",
	  "{\"metadata\":{\"$setElementOrder/finalizers\":[\"c\",\"a\"],\"finalizers\":[\"c\"]}}",
	  "{\"metadata\":{\"finalizers\":[\"b\",\"c\",\"a\"]}}", NULL}},
	{"v1",
	 "Pod",
	 {"k8s: retainKeys clears other keys",
	  "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{},\"x\":1}]}}",
	  "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"$retainKeys\":[\"name\",\"hostPath\"],"
	  "\"hostPath\":{\"path\":\"/p\"}}]}}",
	  "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/p\"}}]}}", NULL}},
	{"apps/v1",
	 "Deployment",
	 {"k8s: retainKeys must list every patched key",
	  "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}",
	  "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"rollingUpdate\":{}}}}", NULL,
	  "invalid patch format of retainKeys"}},
	{"apps/v1",
	 "Deployment",
	 {"k8s: retainKeys not a list", "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}",
	  "{\"spec\":{\"strategy\":{\"$retainKeys\":\"type\"}}}", NULL,
	  "invalid patch format of retainKeys"}},
	{"v1",
	 "Pod",
	 {"k8s: missing merge key", "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
	  "{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}", NULL,
	  "map: map[image:x] does not contain declared merge key: name"}},
	{"v1",
	 "Pod",
	 {"k8s: list of lists", "{\"metadata\":{\"finalizers\":[[\"a\"]]}}",
	  "{\"metadata\":{\"finalizers\":[[\"b\"]]}}", NULL, "lists of lists are not supported"}},
	{"v1",
	 "Pod",
	 {"k8s: mixed element types", "{\"metadata\":{\"finalizers\":[\"a\"]}}",
	  "{\"metadata\":{\"finalizers\":[1]}}", NULL, "list element types are not identical"}},
	{"v1",
	 "Pod",
	 {"non-merging list is replaced",
	  "{\"spec\":{\"tolerations\":[{\"key\":\"a\"}],\"containers\":[{\"name\":\"c\","
	  "\"args\":[\"1\",\"2\"]}]}}",
	  "{\"spec\":{\"tolerations\":[{\"key\":\"b\"}],\"containers\":[{\"name\":\"c\","
	  "\"args\":[\"3\"]}]}}",
	  "{\"spec\":{\"tolerations\":[{\"key\":\"b\"}],\"containers\":[{\"name\":\"c\","
	  "\"args\":[\"3\"]}]}}",
	  NULL}},
	{"v1",
	 "Pod",
	 {"null deletes, unmatched null ignored", "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}",
	  "{\"metadata\":{\"labels\":{\"a\":null,\"zz\":null}}}", "{\"metadata\":{\"labels\":{}}}",
	  NULL}},
	{"v1",
	 "Pod",
	 {"type change replaces", "{\"spec\":{\"x\":{\"a\":1}}}", "{\"spec\":{\"x\":[1]}}",
	  "{\"spec\":{\"x\":[1]}}", NULL}},
	{"v1",
	 "Pod",
	 {"nested ports merge on containerPort",
	  "{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":80},"
	  "{\"containerPort\":81}]}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":81,"
	  "\"name\":\"x\"}]}]}}",
	  "{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":80},"
	  "{\"containerPort\":81,\"name\":\"x\"}]}]}}",
	  NULL}},
	{"v1",
	 "Service",
	 {"service ports merge on port", "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":1}]}}",
	  "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":2},{\"port\":90}]}}",
	  "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":2},{\"port\":90}]}}", NULL}},
	{"example.com/v1",
	 "Widget",
	 {"unknown kind: lists replaced, directives honoured",
	  "{\"spec\":{\"items\":[{\"name\":\"a\"}],\"m\":{\"a\":1}}}",
	  "{\"spec\":{\"items\":[{\"name\":\"b\"}],\"m\":{\"$patch\":\"replace\",\"b\":2}}}",
	  "{\"spec\":{\"items\":[{\"name\":\"b\"}],\"m\":{\"b\":2}}}", NULL}},
	{"apps/v1",
	 "Deployment",
	 {"deployment containers in template",
	  "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":"
	  "[{\"name\":\"X\",\"value\":\"1\"}]}]}}}}",
	  "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":"
	  "[{\"name\":\"Y\",\"value\":\"2\"}]}]}}}}",
	  "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":"
	  "[{\"name\":\"Y\",\"value\":\"2\"},{\"name\":\"X\",\"value\":\"1\"}]}]}}}}",
	  NULL}},
	{"v1", "Pod", {"patch not an object", "{}", "[1]", NULL, "invalid JSON document"}},
};

static void test_strategic(void **state)
{
	for (size_t i = 0; i < N(smp_cases); i++)
		run(SMP, &smp_cases[i].c, smp_cases[i].av, smp_cases[i].kind);
}

static void test_strategic_deep_input(void **state)
{
	/* nesting beyond the limit is an error, not a crash */
	size_t depth = 300, cap = depth * 8 + 16;
	char *s = xmalloc(cap), *w = s;
	for (size_t i = 0; i < depth; i++)
		w += snprintf(w, cap - (size_t)(w - s), "{\"a\":");
	w += snprintf(w, cap - (size_t)(w - s), "1");
	for (size_t i = 0; i < depth; i++)
		*w++ = '}';
	*w = '\0';
	cJSON *deep = parse(s), *empty = parse("{}");
	err e = {0};
	assert_null(patch_strategic(empty, deep, "v1", "Pod", &e));
	assert_null(patch_merge(empty, deep, &e));
	assert_null(patch_strategic(deep, empty, "v1", "Pod", &e));
	cJSON_Delete(deep);
	cJSON_Delete(empty);
	free(s);
}

/* Long lists stay fast: every lookup in the merge is hashed (upstream is quadratic). */
static void test_strategic_long_lists(void **state)
{
	enum { N = 20000 };
	cJSON *t = cJSON_CreateObject(), *p = cJSON_CreateObject();
	cJSON *ts = cJSON_AddObjectToObject(t, "spec"), *ps = cJSON_AddObjectToObject(p, "spec");
	cJSON *tl = cJSON_AddArrayToObject(ts, "containers");
	cJSON *pl = cJSON_AddArrayToObject(ps, "containers");
	cJSON *order = cJSON_AddArrayToObject(ps, "$setElementOrder/containers");
	cJSON *fin = cJSON_AddArrayToObject(cJSON_AddObjectToObject(t, "metadata"), "finalizers");
	cJSON *pfin = cJSON_AddArrayToObject(cJSON_AddObjectToObject(p, "metadata"), "finalizers");
	char name[32];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "c%d", i);
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", name);
		cJSON_AddItemToArray(tl, c);
		cJSON_AddItemToArray(fin, cJSON_CreateString(name));
		snprintf(name, sizeof name, "c%d", N - 1 - i);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddItemToArray(order, o);
		cJSON_AddItemToArray(pfin, cJSON_CreateString(name));
		if (i % 2 == 0) {
			cJSON *q = cJSON_CreateObject();
			cJSON_AddStringToObject(q, "name", name);
			cJSON_AddStringToObject(q, "image", "x");
			cJSON_AddItemToArray(pl, q);
		}
	}
	clock_t start = clock();
	err e = {0};
	cJSON *got = patch_strategic(t, p, "v1", "Pod", &e);
	double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	if (!got)
		fail_msg("%s", e.msg);
	cJSON *l = cJSON_GetObjectItem(cJSON_GetObjectItem(got, "spec"), "containers");
	assert_int_equal(cJSON_GetArraySize(l), N);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "name")->valuestring,
			    "c19999");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "image")->valuestring,
			    "x");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
				 cJSON_GetObjectItem(got, "metadata"), "finalizers")),
			 N);
	assert_true(secs < 30);
	cJSON_Delete(got);
	cJSON_Delete(t);
	cJSON_Delete(p);
}

/* ---- schema table ---- */

static void test_schema_lookup(void **state)
{
	unsigned st = 99;
	assert_string_equal(
		patch_list_merge_key("apps/v1", "Deployment", "spec.template.spec.containers", &st),
		"name");
	assert_int_equal(st, PATCH_STRATEGY_MERGE);
	assert_string_equal(patch_list_merge_key("apps/v1", "Deployment",
						 "spec.template.spec.containers.ports", NULL),
			    "containerPort");
	assert_string_equal(patch_list_merge_key("apps/v1", "StatefulSet",
						 "spec.template.spec.initContainers.env", NULL),
			    "name");
	assert_string_equal(patch_list_merge_key("batch/v1", "CronJob",
						 "spec.jobTemplate.spec.template.spec.volumes",
						 &st),
			    "name");
	assert_int_equal(st, PATCH_STRATEGY_MERGE | PATCH_STRATEGY_RETAIN_KEYS);
	assert_string_equal(patch_list_merge_key("v1", "Pod", "spec.containers.volumeMounts", NULL),
			    "mountPath");
	assert_string_equal(patch_list_merge_key("v1", "Service", "spec.ports", NULL), "port");
	assert_string_equal(
		patch_list_merge_key("v1", "ConfigMap", "metadata.ownerReferences", NULL), "uid");
	assert_null(patch_list_merge_key("v1", "Pod", "metadata.finalizers", &st));
	assert_int_equal(st, PATCH_STRATEGY_MERGE);
	assert_null(patch_list_merge_key("v1", "Pod", "spec.tolerations", &st));
	assert_int_equal(st, 0);
	assert_null(patch_list_merge_key("v1", "Pod", "spec.containers.args", &st));
	assert_null(patch_list_merge_key("example.com/v1", "Widget", "spec.containers", &st));
	assert_int_equal(st, 0);
	assert_string_equal(patch_list_merge_key("v1", "Pod", "status.conditions", NULL), "type");
	assert_string_equal(patch_list_merge_key("v1", "Pod", "spec.hostAliases", NULL), "ip");
	assert_string_equal(
		patch_list_merge_key("v1", "Pod", "spec.topologySpreadConstraints", NULL),
		"topologyKey");

	patch_field_info fi;
	assert_true(patch_schema_field("v1", "Service", "spec.ports", &fi));
	assert_int_equal(fi.list_type, PATCH_LIST_MAP);
	assert_string_equal(fi.map_keys[0], "port");
	assert_string_equal(fi.map_keys[1], "protocol");
	assert_true(patch_schema_field("apps/v1", "Deployment", "spec.selector", &fi));
	assert_true(fi.atomic_map);
	assert_true(patch_schema_field("apps/v1", "Deployment", "spec.strategy", &fi));
	assert_int_equal(fi.strategy, PATCH_STRATEGY_RETAIN_KEYS);
	assert_true(patch_schema_field("v1", "Pod", "metadata.finalizers", &fi));
	assert_int_equal(fi.list_type, PATCH_LIST_SET);
	assert_false(patch_schema_field("v1", "Pod", "spec.nothing", &fi));
	assert_int_equal(fi.list_type, PATCH_LIST_ATOMIC);
	assert_false(patch_schema_field("v1", "Pod", "", &fi));
	assert_true(patch_schema_known("rbac.authorization.k8s.io/v1", "ClusterRole"));
	assert_false(patch_schema_known("source.toolkit.fluxcd.io/v1", "GitRepository"));
	assert_false(patch_schema_known(NULL, "Pod"));
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_json_patch),
		cmocka_unit_test(test_json_patch_copy_bomb),
		cmocka_unit_test(test_json_patch_depth_limit),
		cmocka_unit_test(test_pointer_escaping),
		cmocka_unit_test(test_strategic),
		cmocka_unit_test(test_strategic_deep_input),
		cmocka_unit_test(test_strategic_long_lists),
		cmocka_unit_test(test_schema_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
