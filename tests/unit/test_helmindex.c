/* helmindex (Helm repository index: streaming parse, Flux's normalised JSON, version lookup)
 * and chartpkg (chart packaging, values-file merging), with hostile inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/chart.h"
#include "eddy/chartpkg.h"
#include "eddy/helmindex.h"
#include "eddy/mem.h"

static helmindex *parse(const char *s, err *e)
{
	return helmindex_parse_mem(s, strlen(s), NULL, e);
}

static char *json_of(const helmindex *ix)
{
	buf b;
	buf_init(&b, 1 << 26);
	assert_int_equal(helmindex_write_buf(ix, &b, NULL), 0);
	return buf_detach(&b, NULL);
}

static const char *IDX =
	"apiVersion: v1\n"
	"generated: 2024-05-01T10:00:00.500000000+02:00\n"
	"entries:\n"
	"  zeta:\n"
	"  - name: zeta\n    version: 0.1.0\n    urls: [https://x/zeta-0.1.0.tgz]\n"
	"  alpha:\n"
	"  - name: alpha\n    version: 1.0.0\n    created: 2024-01-01T00:00:00Z\n"
	"    urls: [alpha-1.0.0.tgz]\n    digest: d1\n"
	"  - name: alpha\n    version: 2.0.0-rc.1\n    urls: [alpha-2.0.0-rc.1.tgz]\n"
	"  - name: alpha\n    version: 1.10.0\n    urls: [alpha-1.10.0.tgz]\n"
	"    maintainers: [{name: me, email: me@x}]\n"
	"    dependencies: [{name: dep, repository: 'https://r', enabled: true}]\n"
	"    annotations: {z: '1', a: <b>}\n"
	"  - name: alpha\n    version: not-semver\n"
	"  - name: ../evil\n    version: 1.0.0\n"
	"  - version: 3.0.0\n"
	"  - name: alpha\n    version: 9.0.0\n    type: weird\n"
	"  - null\n"
	"  empty:\n";

static void parse_sort_validate(void **state)
{
	(void)state;
	err e = {0};
	helmindex *ix = parse(IDX, &e);
	assert_non_null(ix);
	assert_int_equal(helmindex_entries(ix), 3);
	assert_int_equal(helmindex_versions(ix), 4);
	char *j = json_of(ix);
	/* sorted names, highest version first, Go's field order and escaping */
	const char *a = strstr(j, "\"alpha\""), *em = strstr(j, "\"empty\": null"),
		*z = strstr(j, "\"zeta\"");
	assert_true(a && em && z && a < em && em < z);
	const char *v1 = strstr(j, "\"version\": \"2.0.0-rc.1\"");
	const char *v2 = strstr(j, "\"version\": \"1.10.0\"");
	const char *v3 = strstr(j, "\"version\": \"1.0.0\"");
	assert_true(v1 && v2 && v3 && v1 < v2 && v2 < v3);
	assert_non_null(strstr(j, "\"generated\": \"2024-05-01T10:00:00.5+02:00\""));
	assert_non_null(strstr(j, "\"a\": \"\\u003cb\\u003e\""));
	assert_non_null(strstr(j, "\"created\": \"0001-01-01T00:00:00Z\""));
	assert_non_null(strstr(j, "\"apiVersion\": \"v1\",\n        \"annotations\""));
	assert_null(strstr(j, "evil"));
	assert_null(strstr(j, "9.0.0"));
	assert_null(strstr(j, "not-semver"));
	/* the JSON reads back to the same JSON (JSON is YAML) */
	helmindex *again = helmindex_parse_mem(j, strlen(j), NULL, &e);
	assert_non_null(again);
	char *j2 = json_of(again);
	assert_string_equal(j, j2);
	free(j2);
	helmindex_free(again);
	free(j);
	helmindex_free(ix);
}

static void golden_json(void **state)
{
	(void)state;
	helmindex *ix = parse("apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n"
		"    urls: [a.tgz]\n", NULL);
	assert_non_null(ix);
	char *j = json_of(ix);
	assert_string_equal(j,
		"{\n  \"apiVersion\": \"v1\",\n  \"generated\": \"0001-01-01T00:00:00Z\",\n"
		"  \"entries\": {\n    \"a\": [\n      {\n        \"name\": \"a\",\n"
		"        \"version\": \"1.0.0\",\n        \"apiVersion\": \"v1\",\n"
		"        \"urls\": [\n          \"a.tgz\"\n        ],\n"
		"        \"created\": \"0001-01-01T00:00:00Z\"\n      }\n    ]\n  }\n}");
	free(j);
	helmindex_free(ix);
}

static void find_versions(void **state)
{
	(void)state;
	helmindex *ix = parse(IDX, NULL);
	helmindex_chart c;
	err e = {0};
	assert_int_equal(helmindex_find(ix, "alpha", "", &c, &e), 0);
	assert_string_equal(c.version, "1.10.0"); /* latest stable, not the rc */
	assert_string_equal(c.url, "alpha-1.10.0.tgz");
	assert_int_equal(helmindex_find(ix, "alpha", "*", &c, &e), 0);
	assert_string_equal(c.version, "1.10.0");
	assert_int_equal(helmindex_find(ix, "alpha", ">=1.0.0 <1.5.0", &c, &e), 0);
	assert_string_equal(c.version, "1.0.0");
	assert_string_equal(c.digest, "d1");
	assert_int_equal(helmindex_find(ix, "alpha", ">=2.0.0-0", &c, &e), 0);
	assert_string_equal(c.version, "2.0.0-rc.1");
	assert_int_equal(helmindex_find(ix, "alpha", "2.0.0-rc.1", &c, &e), 0);
	struct { const char *name, *ver, *msg; } bad[] = {
		{"nope", "", "no chart name found"},
		{"empty", "", "no chart version found"},
		{"alpha", ">=5", "no 'alpha' chart with version matching '>=5' found"},
		{"alpha", ">=1 <<", "improper constraint: >=1 <<"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err fe = {0};
		assert_int_equal(helmindex_find(ix, bad[i].name, bad[i].ver, &c, &fe), -1);
		assert_string_equal(fe.reason, "InvalidChartReference");
		assert_string_equal(fe.msg, bad[i].msg);
		assert_int_equal(fe.cls, ERR_STALLING);
	}
	helmindex_free(ix);
	/* equal versions: the latest created wins */
	ix = parse("apiVersion: v1\nentries:\n  a:\n"
		"  - {name: a, version: 1.0.0+old, created: '2024-01-01T00:00:00Z', urls: [old]}\n"
		"  - {name: a, version: 1.0.0+new, created: '2024-02-01T00:00:00Z', urls: [new]}\n",
		NULL);
	assert_int_equal(helmindex_find(ix, "a", "1.x", &c, &e), 0);
	assert_string_equal(c.url, "new");
	helmindex_free(ix);
}

static void hostile(void **state)
{
	(void)state;
	struct { const char *in, *msg; } cases[] = {
		{"", "empty index.yaml file"},
		{"# just a comment\n", "no API version specified"},
		{"entries: {}\n", "no API version specified"},
		{"- a\n- b\n", "cannot unmarshal array"},
		{"apiVersion: v1\nentries: [1, 2]\n", "cannot unmarshal array"},
		{"apiVersion: v1\nentries:\n  a: 5\n", "cannot unmarshal string"},
		{"apiVersion: v1\nentries:\n  a: [5]\n", "cannot unmarshal string"},
		{"apiVersion: v1\nentries:\n  a:\n  - &x {name: a, version: 1.0.0}\n  - *x\n",
		 "aliases are not supported"},
		{"apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n   bad: x\n",
		 "error converting YAML to JSON: yaml: line"},
		{"apiVersion: v1\nentries:\n  a:\n  - {name: a, version: 1.0.0, "
		 "created: yesterday}\n", "parsing time"},
		{"apiVersion: v1\nentries:\n  ? [a]\n  : []\n", "must be a scalar"},
		{"apiVersion: v1\n\xff\xfe: x\n", "error converting YAML to JSON"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		err e = {0};
		helmindex *ix = parse(cases[i].in, &e);
		if (ix)
			fail_msg("case %zu parsed", i);
		assert_string_equal(e.reason, "IndexationFailed");
		if (!strstr(e.msg, cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, cases[i].msg);
	}
	/* nesting deeper than the cap inside a version: an error, not a deep recursion */
	buf b;
	buf_init(&b, 1 << 24);
	buf_adds(&b, "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    x: ");
	for (int i = 0; i < 100000; i++)
		buf_addc(&b, '[');
	for (int i = 0; i < 100000; i++)
		buf_addc(&b, ']');
	buf_addc(&b, '\n');
	err e = {0};
	assert_null(helmindex_parse_mem(b.data, b.len, NULL, &e));
	if (!strstr(e.msg, "nesting deeper than 64 levels"))
		fail_msg("%s", e.msg);
	buf_release(&b);
	/* the size cap, in memory and from a file */
	helmindex_limits lim = {.max_bytes = 64};
	const char *big = "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n"
		"    description: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";
	err ce = {0};
	assert_null(helmindex_parse_mem(big, strlen(big), &lim, &ce));
	assert_string_equal(ce.msg, "index exceeds the maximum index file size of 64 bytes");
	char path[] = "/tmp/test_helmindex-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, big, strlen(big)), (ssize_t)strlen(big));
	close(fd);
	err fe = {0};
	assert_null(helmindex_parse_file(path, &lim, &fe));
	assert_non_null(strstr(fe.msg, "exceeds the maximum index file size of 64 bytes"));
	helmindex *ix = helmindex_parse_file(path, NULL, &fe);
	assert_non_null(ix);
	helmindex_free(ix);
	unlink(path);
	/* the version count cap */
	helmindex_limits vl = {.max_versions = 2};
	const char *three = "apiVersion: v1\nentries:\n  a:\n  - {name: a, version: 1.0.0}\n"
		"  - {name: a, version: 1.0.1}\n  - {name: a, version: 1.0.2}\n";
	err ve = {0};
	assert_null(helmindex_parse_mem(three, strlen(three), &vl, &ve));
	assert_string_equal(ve.msg, "index has more than 2 chart versions");
	/* invalid UTF-8 inside a JSON (not YAML-checked) string is replaced, never copied */
	ix = parse("{\"apiVersion\": \"v1\", \"entries\": {\"a\": [{\"name\": \"a\", "
		"\"version\": \"1.0.0\", \"description\": \"\\u2028 x\"}]}}", &e);
	assert_non_null(ix);
	char *j = json_of(ix);
	assert_non_null(strstr(j, "\\u2028 x"));
	free(j);
	helmindex_free(ix);
}

/* ---------------------------------------------------------------- chartpkg */

static void put(const char *dir, const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", dir, rel);
	char *slash = strrchr(p, '/');
	*slash = 0;
	char *cmd = xasprintf("mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	*slash = '/';
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static void package_and_merge(void **state)
{
	(void)state;
	char root[] = "/tmp/test_chartpkg-XXXXXX";
	assert_non_null(mkdtemp(root));
	char *dir = xasprintf("%s/src/mychart", root);
	put(dir, "Chart.yaml", "apiVersion: v2\nname: mychart\nversion: 0.3.0\n");
	put(dir, "values.yaml", "a: 1\nm: {x: 1, y: 2}\nlist: [1, 2]\n");
	put(dir, "prod.yaml", "m: {y: 3, z: 4}\nlist: [9]\n");
	put(dir, "templates/cm.yaml", "kind: ConfigMap\ndata: {y: '{{ .Values.m.y }}'}\n");
	put(dir, "templates/.hidden", "x");
	put(dir, "docs/skip.md", "x");
	put(dir, ".helmignore", "docs/\n");
	char *name, *version;
	assert_int_equal(chartpkg_read_meta(dir, &name, &version, NULL), 0);
	assert_string_equal(name, "mychart");
	assert_string_equal(version, "0.3.0");
	free(name);
	free(version);
	/* merged in order: maps merged, lists replaced; a missing file skipped on request */
	const char *files[] = {"values.yaml", "prod.yaml", "gone.yaml"};
	bool used[3];
	buf vals;
	buf_init(&vals, 1 << 20);
	assert_int_equal(chartpkg_merge_values(dir, files, 3, true, 0, used, &vals, NULL), 0);
	assert_true(used[0] && used[1] && !used[2]);
	assert_string_equal(vals.data, "a: 1\nlist:\n- 9\nm:\n  x: 1\n  \"y\": 3\n  z: 4\n");
	err e = {0};
	buf other;
	buf_init(&other, 1 << 20);
	assert_int_equal(chartpkg_merge_values(dir, files, 3, false, 0, NULL, &other, &e), -1);
	assert_string_equal(e.msg, "no values file found at path 'gone.yaml'");
	const char *out_of[] = {"../../../etc/passwd"};
	err oe = {0};
	assert_int_equal(chartpkg_merge_values(dir, out_of, 1, false, 0, NULL, &other, &oe), -1);
	assert_string_equal(oe.reason, "ValuesFilesError");
	buf_release(&other);
	/* packed: Chart.yaml with the version, the merged values, no ignored files */
	char *out = xasprintf("%s/out.tgz", root);
	chartpkg_opts po = {.version = "0.3.0+abc", .values = vals.data, .values_len = vals.len};
	assert_int_equal(chartpkg_pack_dir(dir, &po, out, NULL), 0);
	chart *c = NULL;
	assert_int_equal(chart_load(out, NULL, &c, NULL), 0);
	assert_string_equal(chart_name(c), "mychart");
	chart_free(c);
	char *cmd = xasprintf("tar -tzf %s | sort | tr '\\n' ' ' >%s/list", out, root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	char *lp = xasprintf("%s/list", root);
	FILE *f = fopen(lp, "r");
	char line[512] = "";
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_string_equal(line, "mychart/.helmignore mychart/Chart.yaml mychart/prod.yaml "
		"mychart/templates/cm.yaml mychart/values.yaml ");
	/* the same input gives the same bytes */
	char *out2 = xasprintf("%s/out2.tgz", root);
	assert_int_equal(chartpkg_pack_dir(dir, &po, out2, NULL), 0);
	cmd = xasprintf("cmp -s %s %s", out, out2);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	/* caps and links */
	chartpkg_opts small = {.max_file = 10};
	err se = {0};
	assert_int_equal(chartpkg_pack_dir(dir, &small, out2, &se), -1);
	assert_non_null(strstr(se.msg, "exceeds the maximum file size of 10 bytes"));
	char *lnk = xasprintf("%s/templates/passwd", dir);
	assert_int_equal(symlink("/etc/passwd", lnk), 0);
	err le = {0};
	assert_int_equal(chartpkg_pack_dir(dir, NULL, out2, &le), -1);
	assert_string_equal(le.msg, "chart contains a symlink 'templates/passwd': refused");
	free(lnk);
	err me = {0};
	char *none = xasprintf("%s/src", root);
	assert_int_equal(chartpkg_pack_dir(none, NULL, out2, &me), -1);
	assert_string_equal(me.reason, "ChartPackageError");
	free(none);
	cmd = xasprintf("rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	buf_release(&vals);
	free(lp);
	free(out);
	free(out2);
	free(dir);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_sort_validate),
		cmocka_unit_test(golden_json),
		cmocka_unit_test(find_versions),
		cmocka_unit_test(hostile),
		cmocka_unit_test(package_and_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
