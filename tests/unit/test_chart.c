/* Unit tests of the chart module: strvals, values merging and coalescing, loading, rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "eddy/buf.h"
#include "eddy/chart.h"
#include "eddy/mem.h"
#include "eddy/tmpl.h"

static char *json_of(tmpl_val v)
{
	buf b;
	buf_init(&b, 1 << 20);
	err e;
	assert_int_equal(tmpl_to_json(&b, v, false, &e), 0);
	return buf_detach(&b, NULL);
}

static void strvals_like_helm(void **state)
{
	(void)state;
	tmpl_val v = tmpl_map_new();
	err e;
	assert_int_equal(chart_values_set(v, "a.b=1,c[1]=x,d={p,q},t=true,n=null,z=0123", CHART_SET,
					  &e), 0);
	assert_int_equal(chart_values_set(v, "s=5,esc=a\\,b", CHART_SET_STRING, &e), 0);
	char *j = json_of(v);
	assert_string_equal(j, "{\"a\":{\"b\":1},\"c\":[null,\"x\"],\"d\":[\"p\",\"q\"],"
			       "\"esc\":\"a,b\",\"n\":null,\"s\":\"5\",\"t\":true,\"z\":\"0123\"}");
	free(j);
	assert_int_equal(chart_values_set(v, "noval", CHART_SET, &e), -1);
	assert_non_null(strstr(e.msg, "has no value"));
	assert_int_equal(chart_values_set(v, "a[0]=1", CHART_SET, &e), -1);
	tmpl_val_free(v);
}

static void values_files_merge(void **state)
{
	(void)state;
	tmpl_val v = tmpl_map_new();
	err e;
	const char *a = "x: {a: 1, b: 2}\nl: [1]\n";
	const char *b = "x: {b: 3}\nl: [2]\n";
	assert_int_equal(chart_values_merge_yaml(v, a, strlen(a), "a.yaml", &e), 0);
	assert_int_equal(chart_values_merge_yaml(v, b, strlen(b), "b.yaml", &e), 0);
	char *j = json_of(v);
	assert_string_equal(j, "{\"l\":[2],\"x\":{\"a\":1,\"b\":3}}");
	free(j);
	assert_int_equal(chart_values_merge_yaml(v, "- 1", 3, "c.yaml", &e), -1);
	tmpl_val_free(v);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void load_and_render_dir(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_chart_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *p = xasprintf("%s/templates", dir);
	mkdir(p, 0755);
	free(p);
	p = xasprintf("%s/Chart.yaml", dir);
	write_file(p, "apiVersion: v2\nname: t\nversion: 1.0.0\n");
	free(p);
	p = xasprintf("%s/values.yaml", dir);
	write_file(p, "n: 3\nkeep: 1\ndrop: 2\n"); /* "n" is the boolean false in YAML 1.1 */
	free(p);
	p = xasprintf("%s/templates/cm.yaml", dir);
	write_file(p, "kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
		      "data: {{ toJson .Values | quote }}\n---\nkind: Namespace\n"
		      "metadata: {name: ns}\n");
	free(p);
	p = xasprintf("%s/templates/_h.tpl", dir);
	write_file(p, "{{ define \"x\" }}{{ end }}");
	free(p);
	chart *c;
	err e;
	assert_int_equal(chart_load(dir, NULL, &c, &e), 0);
	assert_string_equal(chart_name(c), "t");
	tmpl_val user = tmpl_map_new();
	assert_int_equal(chart_values_set(user, "drop=null", CHART_SET, &e), 0);
	chart_render_opts o = {.release_name = "rel"};
	buf out;
	buf_init(&out, 1 << 20);
	assert_int_equal(chart_render(c, user, &o, &out, &e), 0);
	assert_string_equal(buf_str(&out),
			    "---\n# Source: t/templates/cm.yaml\nkind: Namespace\nmetadata: {name: ns}\n"
			    "---\n# Source: t/templates/cm.yaml\nkind: ConfigMap\nmetadata:\n"
			    "  name: rel\ndata: \"{\\\"false\\\":3,\\\"keep\\\":1}\"\n");
	buf_release(&out);
	/* the structured pieces: install order, hooks, notes and values */
	p = xasprintf("%s/templates/NOTES.txt", dir);
	write_file(p, "Installed {{ .Release.Name }}");
	free(p);
	p = xasprintf("%s/templates/hook.yaml", dir);
	write_file(p, "kind: Job\nmetadata:\n  name: j\n  annotations:\n"
		      "    helm.sh/hook: pre-install\n");
	free(p);
	chart_free(c);
	assert_int_equal(chart_load(dir, NULL, &c, &e), 0);
	chart_parts parts;
	o.parts = &parts;
	buf_init(&out, 1 << 20);
	assert_int_equal(chart_render(c, user, &o, &out, &e), 0);
	assert_int_equal(parts.ndocs, 3);
	assert_string_equal(parts.docs[0].kind, "Namespace");
	assert_string_equal(parts.docs[1].kind, "ConfigMap");
	assert_string_equal(parts.docs[2].hook, "pre-install");
	assert_null(parts.docs[0].hook);
	assert_string_equal(parts.notes, "Installed rel");
	assert_non_null(tmpl_map_get(parts.values, "keep"));
	assert_null(tmpl_map_get(parts.values, "drop"));
	chart_parts_release(&parts);
	buf_release(&out);
	tmpl_val_free(user);
	chart_free(c);
	char *cmd = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void refuses_bad_archives(void **state)
{
	(void)state;
	chart *c;
	err e;
	assert_int_equal(chart_load_archive("not a tgz", 9, NULL, &c, &e), -1);
	assert_int_equal(chart_load("/nonexistent/chart", NULL, &c, &e), -1);
	assert_non_null(strstr(e.msg, "not found"));
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strvals_like_helm),
		cmocka_unit_test(values_files_merge),
		cmocka_unit_test(load_and_render_dir),
		cmocka_unit_test(refuses_bad_archives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
