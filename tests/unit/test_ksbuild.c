/* ksbuild: a Flux Kustomization's build as kustomize-controller does it (eddy/ksbuild.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/art.h"
#include "eddy/ksbuild.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

static char *root;

static void put(const char *rel, const char *content)
{
	char *p = xasprintf("%s/%s", root, rel);
	char *dir = xstrdup(p);
	*strrchr(dir, '/') = 0;
	assert_int_equal(art_mkdirs(dir, NULL), 0);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	free(dir);
	free(p);
}

static char *at(const char *rel)
{
	return xasprintf("%s/%s", root, rel);
}

static cJSON *parse(const char *y)
{
	err e = {0};
	cJSON *o = yml_parse_one(y, strlen(y), NULL, &e);
	assert_non_null(o);
	return o;
}

static char *emit(const cJSON *o)
{
	buf b;
	buf_init(&b, 1u << 20);
	assert_int_equal(yml_emit(&b, o, NULL), 0);
	return buf_detach(&b, NULL);
}

static int setup(void **state)
{
	(void)state;
	char t[] = "/tmp/eddy-ksbuild-XXXXXX";
	assert_non_null(mkdtemp(t));
	root = xstrdup(t);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *parent = xstrdup(root);
	char *slash = strrchr(parent, '/');
	*slash = 0;
	art_remove_dir(parent, slash + 1, NULL);
	free(parent);
	free(root);
	return 0;
}

static const char CM[] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  k: v\n";

static void put_cm(const char *rel, const char *name)
{
	char *s = xasprintf(CM, name);
	put(rel, s);
	free(s);
}

/* Flux's generator: Kubernetes YAML files and directories with a kustomization, sorted; other
 * YAML ignored; directories without a kustomization searched. */
static void test_generated(void **state)
{
	(void)state;
	put_cm("gen/b.yaml", "b");
	put_cm("gen/a.yml", "a");
	put("gen/notes.yaml", "just: text\n");
	put("gen/readme.md", "# no\n");
	put("gen/sub/kustomization.yaml", "resources:\n- x.yaml\n");
	put_cm("gen/sub/x.yaml", "x");
	put_cm("gen/deep/er/c.yaml", "c");
	char *dir = at("gen");
	err e = {0};
	cJSON *k = ksb_kustomization_for(dir, NULL, &e);
	assert_non_null(k);
	char *y = emit(k);
	assert_string_equal(y, "apiVersion: kustomize.config.k8s.io/v1beta1\n"
			       "kind: Kustomization\n"
			       "resources:\n- a.yml\n- b.yaml\n- deep/er/c.yaml\n- sub\n");
	free(y);
	cJSON_Delete(k);
	free(dir);
}

/* The spec's overlays on an existing kustomization.yaml. */
static void test_overlays(void **state)
{
	(void)state;
	put("ov/kustomization.yaml", "resources:\n- cm.yaml\nimages:\n- name: app\n  newTag: v1\n"
				     "patches:\n- path: p.yaml\n");
	put_cm("ov/cm.yaml", "c");
	cJSON *spec = parse("targetNamespace: apps\nnamePrefix: pre-\nnameSuffix: -suf\n"
			    "images:\n- name: app\n  newTag: v2\n- name: other\n  newName: o\n"
			    "patches:\n- patch: 'x'\n  target:\n    kind: ConfigMap\n"
			    "components:\n- ../missing\nignoreMissingComponents: true\n");
	char *dir = at("ov");
	err e = {0};
	cJSON *k = ksb_kustomization_for(dir, spec, &e);
	assert_non_null(k);
	assert_string_equal(yml_get_string(k, "namespace"), "apps");
	assert_string_equal(yml_get_string(k, "namePrefix"), "pre-");
	assert_string_equal(yml_get_string(k, "nameSuffix"), "-suf");
	assert_int_equal(cJSON_GetArraySize(yml_get_path(k, "patches")), 2);
	assert_string_equal(yml_get_string(k, "patches.0.path"), "p.yaml");
	assert_int_equal(cJSON_GetArraySize(yml_get_path(k, "images")), 2);
	assert_string_equal(yml_get_string(k, "images.0.newTag"), "v2");
	assert_string_equal(yml_get_string(k, "images.1.newName"), "o");
	/* a missing component is dropped when ignoreMissingComponents is set */
	assert_int_equal(cJSON_GetArraySize(yml_get_path(k, "components")), 0);
	cJSON_Delete(k);
	cJSON_Delete(spec);
	free(dir);
}

/* The whole build: kustomize, postBuild (offline), commonMetadata, owner labels. */
static void test_build(void **state)
{
	(void)state;
	put("app/base/kustomization.yaml", "resources:\n- cm.yaml\n");
	put("app/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
				"data:\n  greeting: ${x}\n  n: ${count:=3}\n");
	put("app/overlay/kustomization.yaml", "resources:\n- ../base\n");
	cJSON *spec = parse("targetNamespace: staging\ncommonMetadata:\n  labels:\n"
			    "    team: a\n  annotations:\n    note: n\npostBuild:\n"
			    "  substitute:\n    x: y\n  substituteFrom:\n  - kind: ConfigMap\n"
			    "    name: not-read-offline\n");
	char *dir = at("app/overlay");
	ksb_options o = {.root = root, .dir = dir, .spec = spec, .name = "apps",
		.ns = "flux-system", .postbuild = true, .strict = true};
	ksb_result r;
	err e = {0};
	assert_int_equal(ksb_build(&o, &r, &e), 0);
	assert_int_equal(cJSON_GetArraySize(r.objects), 1);
	const cJSON *cm = cJSON_GetArrayItem(r.objects, 0);
	assert_string_equal(yml_get_string(cm, "metadata.namespace"), "staging");
	assert_string_equal(yml_get_string(cm, "metadata.labels.team"), "a");
	assert_string_equal(yml_get_string(cm, "metadata.annotations.note"), "n");
	const cJSON *labels = yml_get_path(cm, "metadata.labels");
	assert_string_equal(cJSON_GetObjectItem(labels,
		"kustomize.toolkit.fluxcd.io/name")->valuestring, "apps");
	assert_string_equal(cJSON_GetObjectItem(labels,
		"kustomize.toolkit.fluxcd.io/namespace")->valuestring, "flux-system");
	assert_string_equal(yml_get_string(cm, "data.greeting"), "y");
	/* the expanded YAML is parsed again: a number stays a number */
	assert_int_equal(cJSON_GetNumberValue(yml_get_path(cm, "data.n")), 3);
	cJSON_Delete(r.objects);
	/* strict: a variable nobody sets is an error naming it and the object */
	put("app/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
				"data:\n  a: ${unset_var}\n");
	assert_int_equal(ksb_build(&o, &r, &e), -1);
	assert_string_equal(e.reason, "BuildFailed");
	assert_non_null(strstr(e.msg, "post build failed for 'settings'"));
	assert_non_null(strstr(e.msg, "unset_var"));
	assert_null(r.objects);
	o.strict = false;
	assert_int_equal(ksb_build(&o, &r, &e), 0);
	/* not strict: the empty string, so `a:` is null once the YAML is parsed again */
	assert_true(cJSON_IsNull(yml_get_path(cJSON_GetArrayItem(r.objects, 0), "data.a")));
	cJSON_Delete(r.objects);
	/* without postbuild the text stays */
	o.postbuild = false;
	assert_int_equal(ksb_build(&o, &r, &e), 0);
	assert_string_equal(yml_get_string(cJSON_GetArrayItem(r.objects, 0), "data.a"),
		"${unset_var}");
	cJSON_Delete(r.objects);
	free(dir);

	/* confined to root: a base outside it fails */
	char *inner = at("app");
	ksb_options o2 = {.root = inner, .dir = dir = at("app/overlay"), .spec = NULL};
	assert_int_equal(ksb_build(&o2, &r, &e), 0); /* ../base is inside app */
	cJSON_Delete(r.objects);
	free(dir);
	put("app2/kustomization.yaml", "resources:\n- ../app/base\n");
	char *app2 = at("app2");
	ksb_options o3 = {.root = app2, .dir = app2, .spec = NULL};
	assert_int_equal(ksb_build(&o3, &r, &e), -1);
	assert_string_equal(e.reason, "BuildFailed");
	assert_null(r.objects);
	free(app2);
	free(inner);
	cJSON_Delete(spec);
}

static void test_errors(void **state)
{
	(void)state;
	char *dir = at("nope");
	ksb_options o = {.root = root, .dir = dir};
	ksb_result r;
	err e = {0};
	assert_int_equal(ksb_build(&o, &r, &e), -1);
	assert_string_equal(e.reason, "BuildFailed");
	assert_non_null(strstr(e.msg, "kustomization path not found"));
	free(dir);
	put("bad/kustomization.yaml", "resources: [\n");
	dir = at("bad");
	ksb_options o2 = {.root = root, .dir = dir};
	assert_int_equal(ksb_build(&o2, &r, &e), -1);
	assert_string_equal(e.reason, "BuildFailed");
	free(dir);
	put("noname/kustomization.yaml", "resources:\n- x.yaml\n");
	put("noname/x.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n");
	dir = at("noname");
	ksb_options o3 = {.root = root, .dir = dir};
	assert_int_equal(ksb_build(&o3, &r, &e), -1);
	free(dir);
}

/* postBuild on its own: disabled objects, invalid names, the strict gate. */
static void test_postbuild(void **state)
{
	(void)state;
	cJSON *objs = parse("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n"
			    "  data:\n    v: ${x}\n"
			    "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\n"
			    "    annotations:\n"
			    "      kustomize.toolkit.fluxcd.io/substitute: disabled\n"
			    "  data:\n    v: ${x}\n");
	cJSON *spec = parse("postBuild:\n  substitute:\n    x: \"li\\nne\"\n");
	err e = {0};
	assert_int_equal(ksb_postbuild(NULL, "ns", spec, objs, true, &e), 0);
	assert_string_equal(yml_get_string(cJSON_GetArrayItem(objs, 0), "data.v"), "line");
	assert_string_equal(yml_get_string(cJSON_GetArrayItem(objs, 1), "data.v"), "${x}");
	cJSON_Delete(spec);
	spec = parse("postBuild:\n  substitute:\n    bad-name: v\n");
	assert_int_equal(ksb_postbuild(NULL, "ns", spec, objs, true, &e), -1);
	assert_non_null(strstr(e.msg, "'bad-name' var name is invalid"));
	cJSON_Delete(spec);
	assert_int_equal(ksb_postbuild(NULL, "ns", NULL, objs, true, &e), 0);
	cJSON_Delete(objs);
	assert_true(ksb_strict_substitutions(NULL));
	assert_true(ksb_strict_substitutions("A=false"));
	assert_false(ksb_strict_substitutions("A=true,StrictPostBuildSubstitutions=false"));
	assert_true(ksb_strict_substitutions("StrictPostBuildSubstitutions=0,"
					     "StrictPostBuildSubstitutions=true"));
}

/* The hooks of the pipeline (a controller's decryptor): the generated kustomization before the
 * build, the objects before postBuild and after it (before the owner labels); a failing
 * source hook is BuildFailed, a failing object hook keeps its reason. */
typedef struct hook_log {
	char seen[64];
	bool fail_sources, fail_objects;
} hook_log;

static int h_sources(void *ud, const char *r, const char *dir, cJSON *k, err *e)
{
	hook_log *h = ud;
	(void)r, (void)dir;
	strncat(h->seen, "s", sizeof h->seen - strlen(h->seen) - 1);
	assert_non_null(cJSON_GetObjectItem(k, "resources"));
	/* what a decryptor does with a dotenv file: literals in the generator */
	cJSON_AddItemToObject(k, "commonLabels", parse("added: by-hook\n"));
	if (h->fail_sources) {
		err_fail(e, "DecryptionFailed", "cannot decrypt");
		return -1;
	}
	return 0;
}

static int h_objects(void *ud, cJSON *objs, err *e)
{
	hook_log *h = ud;
	strncat(h->seen, "d", sizeof h->seen - strlen(h->seen) - 1);
	/* before postBuild: the variable is still there */
	assert_string_equal(yml_get_string(cJSON_GetArrayItem(objs, 0), "data.greeting"), "${x}");
	if (h->fail_objects) {
		err_fail(e, "ReconciliationFailed", "encrypted Secret");
		return -1;
	}
	return 0;
}

static void h_built(void *ud, const cJSON *objs)
{
	hook_log *h = ud;
	strncat(h->seen, "b", sizeof h->seen - strlen(h->seen) - 1);
	const cJSON *cm = cJSON_GetArrayItem(objs, 0);
	assert_string_equal(yml_get_string(cm, "data.greeting"), "y");
	assert_null(cJSON_GetObjectItem(yml_get_path(cm, "metadata.labels"),
		"kustomize.toolkit.fluxcd.io/name"));
	assert_string_equal(yml_get_string(cm, "metadata.labels.added"), "by-hook");
}

static void test_hooks(void **state)
{
	(void)state;
	put("hooks/kustomization.yaml", "resources:\n- cm.yaml\n");
	put("hooks/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
			     "data:\n  greeting: ${x}\n");
	cJSON *spec = parse("postBuild:\n  substitute:\n    x: y\n");
	char *dir = at("hooks");
	hook_log h = {.seen = ""};
	ksb_options o = {.root = root, .dir = dir, .spec = spec, .name = "apps",
		.ns = "flux-system", .postbuild = true, .strict = true,
		.decrypt_sources = h_sources, .decrypt = h_objects, .built = h_built,
		.hook_ud = &h};
	ksb_result r;
	err e = {0};
	assert_int_equal(ksb_build(&o, &r, &e), 0);
	assert_string_equal(h.seen, "sdb");
	const cJSON *labels = yml_get_path(cJSON_GetArrayItem(r.objects, 0), "metadata.labels");
	assert_string_equal(cJSON_GetObjectItem(labels, "kustomize.toolkit.fluxcd.io/name")
		->valuestring, "apps");
	cJSON_Delete(r.objects);
	h = (hook_log){.fail_objects = true};
	assert_int_equal(ksb_build(&o, &r, &e), -1);
	assert_string_equal(e.reason, "ReconciliationFailed");
	assert_string_equal(h.seen, "sd");
	h = (hook_log){.fail_sources = true};
	assert_int_equal(ksb_build(&o, &r, &e), -1);
	assert_string_equal(e.reason, "BuildFailed");
	assert_string_equal(e.msg, "cannot decrypt");
	assert_string_equal(h.seen, "s");
	free(dir);
	cJSON_Delete(spec);
}

/* SOPS data is masked as flux build does. */
static void test_mask_sops(void **state)
{
	(void)state;
	cJSON *objs = parse(
		"- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: whole\n"
		"  data:\n    k: RU5DW2Fi\n  stringData:\n    s: ENC[x]\n"
		"  sops:\n    mac: ENC[AES256_GCM,data:x]\n"
		"- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: dcfg\n"
		"  type: kubernetes.io/dockerconfigjson\n  data:\n    .dockerconfigjson: eA==\n"
		"  sops:\n    mac: ENC[AES256_GCM,data:x]\n"
		"- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: partial\n"
		"  data:\n    enc: c29wcyBFTkNbeF0=\n    plain: cGxhaW4=\n"
		"  stringData:\n    enc: sops ENC[y]\n    plain: text\n"
		"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm\n"
		"  data:\n    k: v\n  sops:\n    mac: ENC[x]\n");
	ksb_mask_sops(objs);
	const cJSON *w = cJSON_GetArrayItem(objs, 0);
	assert_null(yml_get_path(w, "sops"));
	assert_string_equal(yml_get_string(w, "data.k"), "KipTT1BTKio=");
	assert_string_equal(yml_get_string(w, "stringData.s"), "**SOPS**");
	const cJSON *d = cJSON_GetArrayItem(objs, 1);
	assert_string_equal(cJSON_GetObjectItem(yml_get_path(d, "data"),
		".dockerconfigjson")->valuestring, "eyJtYXNrIjoiKipTT1BTKioifQ==");
	const cJSON *p = cJSON_GetArrayItem(objs, 2);
	assert_string_equal(yml_get_string(p, "data.enc"), "KipTT1BTKio=");
	assert_string_equal(yml_get_string(p, "data.plain"), "cGxhaW4=");
	assert_string_equal(yml_get_string(p, "stringData.enc"), "KipTT1BTKio=");
	assert_string_equal(yml_get_string(p, "stringData.plain"), "text");
	const cJSON *c = cJSON_GetArrayItem(objs, 3);
	assert_null(yml_get_path(c, "sops"));
	assert_string_equal(yml_get_string(c, "data.k"), "v");
	cJSON_Delete(objs);
}

static void test_ids_and_paths(void **state)
{
	(void)state;
	char *s = ksb_inventory_id("default", "a:b", "apps/v1", "Deployment");
	assert_string_equal(s, "default_a__b_apps_Deployment");
	free(s);
	s = ksb_inventory_id(NULL, "staging", "v1", "Namespace");
	assert_string_equal(s, "_staging__Namespace");
	free(s);
	s = ksb_secure_join("/r", "../../etc/./x/../passwd");
	assert_string_equal(s, "/r/etc/passwd");
	free(s);
	s = ksb_secure_join("/r", "");
	assert_string_equal(s, "/r");
	free(s);
	s = ksb_secure_join("/r", "./apps/staging/");
	assert_string_equal(s, "/r/apps/staging");
	free(s);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_overlays),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_postbuild),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_mask_sops),
		cmocka_unit_test(test_ids_and_paths),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
