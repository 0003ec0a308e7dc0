/* Unit tests of the kustomize engine's internal pieces: the hash suffix, relative paths, field
 * spec walking, selectors, and the safety rules of kz_build (confinement, symlinks, remote
 * bases, limits, in-memory kustomizations). Expected hashes come from `kubectl kustomize`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "eddy/kz.h"
#include "eddy/mem.h"
#include "kustomize/kz_int.h"

static char tmpdir[256];

static void put(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	char *sl = strrchr(p, '/');
	*sl = 0;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
	*sl = '/';
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	mem_install_hooks();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_kz.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void hash_of(const char *json, const char *want)
{
	cJSON *o = cJSON_Parse(json);
	char h[16];
	err e = {0};
	assert_non_null(o);
	assert_int_equal(kz_hash_suffix(o, h, sizeof(h), &e), 0);
	assert_string_equal(h, want);
	cJSON_Delete(o);
}

static void hash_suffix_matches_kustomize(void **state)
{
	(void)state;
	hash_of("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\"},"
		"\"data\":{\"a\":\"1\",\"b\":\"<&>\"}}", "f986b78m9b");
	/* the name does not take part */
	hash_of("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"other\"},"
		"\"data\":{\"b\":\"<&>\",\"a\":\"1\"}}", "f986b78m9b");
	hash_of("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"e\"}}",
		"6ct58987ht");
	hash_of("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},"
		"\"data\":{\"k\":\"dg==\"},\"type\":\"Opaque\"}", "ftgtgc4t9f");
	hash_of("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},"
		"\"data\":{},\"type\":\"Opaque\"}", "46f8b28mk5");
	hash_of("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},"
		"\"data\":{\"k\":\"dg==\"},\"type\":\"foo\"}", "b2h87fddhb");
	cJSON *o = cJSON_Parse("{\"kind\":\"Deployment\"}");
	char h[16];
	err e = {0};
	assert_int_equal(kz_hash_suffix(o, h, sizeof(h), &e), -1);
	cJSON_Delete(o);
}

static void relpath_cases(void **state)
{
	(void)state;
	struct { const char *d, *p, *want; } t[] = {
		{"/a/b", "/a/b/c.yaml", "c.yaml"},
		{"/a/b", "/a/b/x/y/c.yaml", "x/y/c.yaml"},
		{"/a/b", "/a/base/c.yaml", "../base/c.yaml"},
		{"/a/b/c", "/a/x", "../../x"},
		{"/", "/etc/x", "etc/x"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *r = kz_relpath(t[i].d, t[i].p);
		assert_string_equal(r, t[i].want);
		free(r);
	}
}

static int count_fn(cJSON *parent, const char *key, cJSON *node, void *ud, err *e)
{
	(void)parent;
	(void)key;
	(void)node;
	(void)e;
	(*(int *)ud)++;
	return 0;
}

static void fieldspec_walk(void **state)
{
	(void)state;
	cJSON *o = cJSON_Parse("{\"spec\":{\"containers\":[{\"image\":\"a\"},{\"image\":\"b\"},"
			       "{\"name\":\"c\"}]},\"metadata\":{\"annotations\":"
			       "{\"a/b\":\"x\"}}}");
	int n = 0;
	err e = {0};
	assert_int_equal(kz_fs_walk(o, "spec/containers[]/image", false, count_fn, &n, &e), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(kz_fs_walk(o, "spec/containers/image", true, count_fn, &n, &e), 0);
	assert_int_equal(n, 3);
	n = 0;
	assert_int_equal(kz_fs_walk(o, "metadata/annotations/a\\/b", false, count_fn, &n, &e), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(kz_fs_walk(o, "spec/missing/x", false, count_fn, &n, &e), 0);
	assert_int_equal(n, 0);
	cJSON_Delete(o);
}

static void selectors(void **state)
{
	(void)state;
	cJSON *o = cJSON_Parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
			       "{\"name\":\"web-1\",\"labels\":{\"app\":\"web\","
			       "\"tier\":\"fe\"}}}");
	struct { const char *sel; bool want; } t[] = {
		{"{\"kind\":\"Deployment\"}", true},
		{"{\"group\":\"apps\",\"version\":\"v1\"}", true},
		{"{\"group\":\"\",\"kind\":\"Service\"}", false},
		{"{\"name\":\"web-.*\"}", true},
		{"{\"name\":\"web\"}", false},
		{"{\"namespace\":\"default\"}", true},
		{"{\"labelSelector\":\"app=web,tier in (fe, be)\"}", true},
		{"{\"labelSelector\":\"app!=web\"}", false},
		{"{\"labelSelector\":\"!missing\"}", true},
		{"{\"labelSelector\":\"tier notin (fe)\"}", false},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cJSON *s = cJSON_Parse(t[i].sel);
		err e = {0};
		assert_int_equal(kz_selector_matches(s, o, NULL, &e), t[i].want);
		cJSON_Delete(s);
	}
	cJSON_Delete(o);
}

static int build(const kz_options *o, const char *rel, cJSON **out, err *e)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	return kz_build(o, tmpdir, p, out, e);
}

static void build_basic_and_yaml(void **state)
{
	(void)state;
	put("basic/kustomization.yaml", "namePrefix: p-\nresources:\n- cm.yaml\n");
	put("basic/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
	cJSON *out = NULL;
	err e = {0};
	assert_int_equal(build(NULL, "basic", &out, &e), 0);
	assert_int_equal(cJSON_GetArraySize(out), 1);
	assert_string_equal(kz_name(cJSON_GetArrayItem(out, 0)), "p-c");
	cJSON_Delete(out);
	buf b;
	buf_init(&b, 1 << 20);
	char p[512];
	snprintf(p, sizeof(p), "%s/basic", tmpdir);
	assert_int_equal(kz_build_yaml(NULL, tmpdir, p, &b, &e), 0);
	assert_string_equal(buf_str(&b),
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p-c\n");
	buf_release(&b);
}

static void build_refuses_escapes(void **state)
{
	(void)state;
	put("outside.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: o\n");
	put("root/in/kustomization.yaml", "resources:\n- ../../outside.yaml\n");
	put("root/dir/kustomization.yaml", "resources:\n- ../../\n");
	char root[512], p[512];
	snprintf(root, sizeof(root), "%s/root", tmpdir);
	cJSON *out = NULL;
	err e = {0};
	snprintf(p, sizeof(p), "%s/root/in", tmpdir);
	assert_int_equal(kz_build(NULL, root, p, &out, &e), -1);
	assert_non_null(strstr(e.msg, "not in or below"));
	assert_null(out);
	snprintf(p, sizeof(p), "%s/root/dir", tmpdir);
	assert_int_equal(kz_build(NULL, root, p, &out, &e), -1);
	/* a symlink inside the root pointing out of it */
	put("root/link/kustomization.yaml", "resources:\n- l.yaml\n");
	char target[512], link[512];
	snprintf(target, sizeof(target), "%s/outside.yaml", tmpdir);
	snprintf(link, sizeof(link), "%s/root/link/l.yaml", tmpdir);
	assert_int_equal(symlink(target, link), 0);
	snprintf(p, sizeof(p), "%s/root/link", tmpdir);
	assert_int_equal(kz_build(NULL, root, p, &out, &e), -1);
	assert_non_null(strstr(e.msg, "not in or below"));
	/* the build directory itself outside the root */
	assert_int_equal(kz_build(NULL, root, tmpdir, &out, &e), -1);
}

static void build_remote_refused(void **state)
{
	(void)state;
	put("remote/kustomization.yaml", "resources:\n- https://github.com/x/y//base?ref=v1\n");
	cJSON *out = NULL;
	err e = {0};
	assert_int_equal(build(NULL, "remote", &out, &e), -1);
	assert_non_null(strstr(e.msg, "remote bases are disabled"));
	/* allowed: an unparseable remote fails without any network use */
	put("remote2/kustomization.yaml", "resources:\n- git@no-colon-here\n");
	kz_options o = {.allow_remote = true};
	assert_int_equal(build(&o, "remote2", &out, &e), -1);
	assert_null(strstr(e.msg, "disabled"));
	assert_non_null(strstr(e.msg, "invalid remote URL"));
}

static void remote_url_forms(void **state)
{
	(void)state;
	static const struct { const char *in, *repo, *path, *ref; long long to; bool sub; } t[] = {
		{"https://example.com/org/repo//a/b?ref=v1", "https://example.com/org/repo", "a/b",
		 "v1", 27000, true},
		{"https://example.com/org/repo.git/a?version=main", "https://example.com/org/repo.git",
		 "a", "main", 27000, true},
		{"git::https://example.com/org/repo.git//x/?ref=abc&timeout=90&submodules=false",
		 "https://example.com/org/repo.git", "x", "abc", 90000, false},
		{"ssh://git@example.com/org/repo.git//deploy?timeout=2m", "ssh://git@example.com/org/repo.git",
		 "deploy", NULL, 120000, true},
		{"git@github.com:org/repo.git//kust", "git@github.com:org/repo.git", "kust", NULL, 27000,
		 true},
		{"github.com/org/repo/examples/hello?ref=v5", "https://github.com/org/repo.git",
		 "examples/hello", "v5", 27000, true},
		{"http://127.0.0.1:8080/git/base.git", "http://127.0.0.1:8080/git/base.git", "", NULL,
		 27000, true},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		kz_remote r;
		assert_int_equal(kz_remote_parse(t[i].in, &r), 0);
		assert_string_equal(r.repo, t[i].repo);
		assert_string_equal(r.path, t[i].path);
		if (t[i].ref)
			assert_string_equal(r.ref, t[i].ref);
		else
			assert_null(r.ref);
		assert_int_equal(r.timeout_ms, t[i].to);
		assert_int_equal(r.submodules, t[i].sub);
		assert_false(r.is_file);
		kz_remote_release(&r);
	}
	kz_remote r;
	assert_int_equal(kz_remote_parse("https://example.com/raw/file.yaml", &r), 0);
	assert_true(r.is_file);
	kz_remote_release(&r);
	assert_int_equal(kz_remote_parse("https://example.com/repo//../../etc", &r), -1);
	assert_int_equal(kz_remote_parse("git@nocolon", &r), -1);
}

/* kustomization files are typed as go-yaml v2 (YAML 1.1) types them */
static void kfile_yaml11(void **state)
{
	(void)state;
	bool empty = false;
	err e = {0};
	const char *y = "a: yes\nb: off\nc: 010\nd: 2024-01-01\ne: \"on\"\nf: 1_0\ng: .5\n"
			"h: 0b11\na2: [y, n]\nk: {1: x, true: y}\n";
	cJSON *k = kz_kfile_parse(y, strlen(y), &empty, &e);
	assert_non_null(k);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(k, "a")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(k, "b")));
	assert_int_equal((int)cJSON_GetObjectItem(k, "c")->valuedouble, 8);
	assert_string_equal(cJSON_GetObjectItem(k, "d")->valuestring, "2024-01-01");
	assert_string_equal(cJSON_GetObjectItem(k, "e")->valuestring, "on");
	assert_int_equal((int)cJSON_GetObjectItem(k, "f")->valuedouble, 10);
	assert_true(cJSON_GetObjectItem(k, "g")->valuedouble == 0.5);
	assert_int_equal((int)cJSON_GetObjectItem(k, "h")->valuedouble, 3);
	assert_true(cJSON_IsTrue(cJSON_GetArrayItem(cJSON_GetObjectItem(k, "a2"), 0)));
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(k, "k"), "1"));
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(k, "k"), "true"));
	cJSON_Delete(k);
	/* decode check: Go's messages, first error in sorted key order */
	const char *bad = "namePrefix: yes\ncommonLabels: {a: 1}\n";
	k = kz_kfile_parse(bad, strlen(bad), &empty, &e);
	assert_int_equal(kz_kfile_check(k, &e), -1);
	assert_string_equal(e.msg, "invalid Kustomization: json: cannot unmarshal number into Go "
			    "struct field Kustomization.commonLabels of type string");
	cJSON_Delete(k);
	/* a billion laughs is refused */
	const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c]\n"
			   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e]\n"
			   "g: [*f, *f, *f, *f, *f, *f, *f, *f]\n";
	k = kz_kfile_parse(bomb, strlen(bomb), &empty, &e);
	assert_null(k);
	/* empty */
	k = kz_kfile_parse("# nothing\n", 10, &empty, &e);
	assert_null(k);
	assert_true(empty);
}

/* Keys naming one field case-insensitively decode as encoding/json decodes them, in sorted
 * order: the last wins for lists and strings, objects merge into structs. Issue 12: the fuzz
 * input below was a heap-use-after-free in the decode check. */
static void kfile_duplicate_keys(void **state)
{
	(void)state;
	bool empty = false;
	err e = {0};
	const char *y = "resources: [a.yaml]\nresourCes: [b.yaml]\napiversion: v1x\n"
			"apiVersion: v1\nnamePrefix: p-\nnameprefix: null\n"
			"metadata: {name: m}\nMetadata: {namespace: ns}\n";
	cJSON *k = kz_kfile_parse(y, strlen(y), &empty, &e);
	assert_non_null(k);
	if (kz_kfile_check(k, &e) < 0)
		fail_msg("%s", e.msg);
	char *out = cJSON_PrintUnformatted(k);
	assert_string_equal(out, "{\"apiVersion\":\"v1x\",\"metadata\":{\"namespace\":\"ns\","
			    "\"name\":\"m\"},\"namePrefix\":\"p-\",\"resources\":[\"a.yaml\"]}");
	free(out);
	cJSON_Delete(k);
	static const char fuzz_b64[] =
		"Y3JkczogW3A6Ly9oLnlhbWxdCm5hbWVQcmVmaXg6IHAtCnJlc291cmNlczogW3Jlcy55YW1sXQpyZXNvdXJDZXM6"
		"Ci0gcmVzLnlhbWwKcGF0Y2hlczoKLSBwYXRoOiBwYXRjaC55YW1sCgBhcGlWZXJzaW9uOiBhcAB7ImEuYnJzaW9u"
		"IjogInYyIiwgIngta3ViZXJuZXRlcy1vYmplY3QtcmVmLWtpbmQiOiAiQ29uZmlnTWFwIn0sICJ4IjogeyIkcmVm"
		"IjogInBzL3YwCmtpbmQ6IERlcGxveW1lbnQKbWV0YWRhdGE6CiAgbmFtZTphLmIuU3BlYyJ9fW9wdGkKc3BlYzoK"
		"ICByZXBsaWNhczogMwogIHRlbXBsYTRlOgogICAgc3BlYzoKIGFtbF0KbmFtZVByZWZpeDogJnAgeC0KcHMvdjEK"
		"a2luZDogRGVwbG95bWVudH19fQptCmV0YWRhOiB4Cg==";
	char path[300];
	snprintf(path, sizeof path, "%s/fuzz12.b64", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(fuzz_b64, f);
	fclose(f);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "base64 -d '%s' > '%s/fuzz12.yaml'", path, tmpdir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof path, "%s/fuzz12.yaml", tmpdir);
	f = fopen(path, "r");
	assert_non_null(f);
	char kbuf[512];
	size_t kl = fread(kbuf, 1, sizeof kbuf, f);
	fclose(f);
	const char *nul = memchr(kbuf, 0, kl); /* the kustomization ends at the first NUL */
	if (nul)
		kl = (size_t)(nul - kbuf);
	k = kz_kfile_parse(kbuf, kl, &empty, &e);
	assert_non_null(k);
	assert_int_equal(kz_kfile_check(k, &e), 0);
	cJSON *res = cJSON_GetObjectItemCaseSensitive(k, "resources");
	assert_int_equal(cJSON_GetArraySize(res), 1);
	assert_null(cJSON_GetObjectItemCaseSensitive(k, "resourCes"));
	cJSON_Delete(k);
}

static void build_limits(void **state)
{
	(void)state;
	put("lim/kustomization.yaml", "resources:\n- r.yaml\n");
	put("lim/r.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n"
			  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n");
	cJSON *out = NULL;
	err e = {0};
	kz_options o = {.max_resources = 1};
	assert_int_equal(build(&o, "lim", &out, &e), -1);
	kz_options o2 = {.max_file_bytes = 20};
	assert_int_equal(build(&o2, "lim", &out, &e), -1);
	put("deep/a/kustomization.yaml", "resources:\n- ../b\n");
	put("deep/b/kustomization.yaml", "resources:\n- ../c\n");
	put("deep/c/kustomization.yaml", "resources: []\n");
	kz_options o3 = {.max_depth = 2};
	assert_int_equal(build(&o3, "deep/a", &out, &e), -1);
	assert_int_equal(build(NULL, "deep/a", &out, &e), 0);
	cJSON_Delete(out);
	put("cycle/a/kustomization.yaml", "resources:\n- ../b\n");
	put("cycle/b/kustomization.yaml", "resources:\n- ../a\n");
	assert_int_equal(build(NULL, "cycle/a", &out, &e), -1);
	assert_non_null(strstr(e.msg, "cycle"));
}

static void build_in_memory_kustomization(void **state)
{
	(void)state;
	put("mem/app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
	const char *k = "namespace: flux\nresources:\n- app.yaml\n";
	kz_options o = {.kustomization = k, .kustomization_len = strlen(k)};
	cJSON *out = NULL;
	err e = {0};
	assert_int_equal(build(&o, "mem", &out, &e), 0);
	assert_string_equal(kz_namespace(cJSON_GetArrayItem(out, 0)), "flux");
	cJSON_Delete(out);
}

static void build_errors(void **state)
{
	(void)state;
	put("e1/kustomization.yaml", "resources:\n- nope.yaml\n");
	put("e2/kustomization.yaml", "bogus: 1\n");
	put("e3/kustomization.yaml", "resources:\n- a.yaml\n- a.yaml\n");
	put("e3/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
	put("e4/kustomization.yaml", "resources: [\n");
	cJSON *out = NULL;
	err e = {0};
	assert_int_equal(build(NULL, "e1", &out, &e), -1);
	assert_non_null(strstr(e.msg, "nope.yaml"));
	assert_int_equal(build(NULL, "e2", &out, &e), -1);
	assert_non_null(strstr(e.msg, "unknown field \"bogus\""));
	assert_int_equal(build(NULL, "e3", &out, &e), -1);
	assert_non_null(strstr(e.msg, "already registered id"));
	assert_int_equal(build(NULL, "e4", &out, &e), -1);
	assert_string_equal(e.reason, "BuildFailed");
	assert_int_equal(build(NULL, "nodir", &out, &e), -1);
	/* a crds: file that is not a map of definitions fails as kustomize fails (fuzz find: a
	 * list was read as definitions, with NULL names) */
	put("e5/kustomization.yaml", "crds: [d.yaml]\nresources: [a.yaml]\n");
	put("e5/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
	put("e5/d.yaml", "- a\n- b\n");
	assert_int_equal(build(NULL, "e5", &out, &e), -1);
	assert_non_null(strstr(e.msg, "cannot unmarshal array into Go value of type "
				      "accumulator.nameToApiMap"));
	put("e5/d.yaml", "a.v1.Thing: [1]\n");
	assert_int_equal(build(NULL, "e5", &out, &e), -1);
	assert_non_null(strstr(e.msg, "cannot unmarshal array into Go value of type "
				      "accumulator.OpenAPIDefinition"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_suffix_matches_kustomize),
		cmocka_unit_test(relpath_cases),
		cmocka_unit_test(fieldspec_walk),
		cmocka_unit_test(selectors),
		cmocka_unit_test(build_basic_and_yaml),
		cmocka_unit_test(build_refuses_escapes),
		cmocka_unit_test(build_remote_refused),
		cmocka_unit_test(remote_url_forms),
		cmocka_unit_test(kfile_yaml11),
		cmocka_unit_test(kfile_duplicate_keys),
		cmocka_unit_test(build_limits),
		cmocka_unit_test(build_in_memory_kustomization),
		cmocka_unit_test(build_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
