/* Unit tests of the Go template engine (gotmpl): values, parsing, execution, printing, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <crypt.h>
#include <stdio.h>
#include <unistd.h>

#include "eddy/buf.h"
#include "eddy/mem.h"
#include "eddy/tmpl.h"

/* Render text with data (a YAML document with Helm's float64 numbers); returns output or
 * "ERR: message" (caller frees). */
static char *render_lim(const char *text, const char *yaml, const tmpl_limits *lim)
{
	tmpl_set *s = tmpl_set_new();
	if (lim)
		tmpl_set_limits(s, lim);
	err e;
	err_clear(&e);
	tmpl_val data = tmpl_nil();
	if (yaml)
		assert_int_equal(tmpl_from_yaml(yaml, strlen(yaml), false, &data, &e), 0);
	buf out;
	buf_init(&out, 1 << 20);
	char *res;
	if (tmpl_parse(s, "t", text, strlen(text), &e) || tmpl_execute(s, "t", data, &out, &e))
		res = xasprintf("ERR: %s", e.msg);
	else
		res = xstrdup(buf_str(&out));
	buf_release(&out);
	tmpl_val_free(data);
	tmpl_set_free(s);
	return res;
}

static char *render(const char *text, const char *yaml) { return render_lim(text, yaml, NULL); }

#define EXPECT(text, yaml, want)                      \
	do {                                          \
		char *got_ = render(text, yaml);      \
		assert_string_equal(got_, want);      \
		free(got_);                           \
	} while (0)

#define EXPECT_ERR(text, yaml, substr)                                  \
	do {                                                            \
		char *got_ = render(text, yaml);                        \
		if (!strstr(got_, substr))                              \
			fail_msg("want error with %s, got %s", substr, got_); \
		free(got_);                                             \
	} while (0)

static void values_and_refcounts(void **state)
{
	(void)state;
	tmpl_val m = tmpl_map_new();
	tmpl_map_set(m, "b", tmpl_int(2));
	tmpl_map_set(m, "a", tmpl_str("x"));
	tmpl_val l = tmpl_list_new(0);
	tmpl_list_push(&l, tmpl_ref(m));
	tmpl_list_push(&l, tmpl_float(1.5));
	tmpl_map_set(m, "c", tmpl_bool(true));
	buf b;
	buf_init(&b, 1024);
	tmpl_print(&b, l);
	assert_string_equal(buf_str(&b), "[map[a:x b:2 c:true] 1.5]");
	tmpl_val cp = tmpl_deep_copy(l);
	tmpl_map_set(m, "a", tmpl_str("changed"));
	buf_reset(&b);
	tmpl_print(&b, cp);
	assert_string_equal(buf_str(&b), "[map[a:x b:2 c:true] 1.5]");
	assert_true(tmpl_map_del(m, "a"));
	assert_null(tmpl_map_get(m, "a"));
	tmpl_val_free(cp);
	tmpl_val_free(l);
	tmpl_val_free(m);
	buf_release(&b);
}

static void deep_values_free_iteratively(void **state)
{
	(void)state;
	/* a list nested 200000 deep must be freed without recursion */
	tmpl_val root = tmpl_list_new(1);
	tmpl_val cur = tmpl_ref(root);
	for (int i = 0; i < 200000; i++) {
		tmpl_val n = tmpl_list_new(1);
		tmpl_list_push(&cur, tmpl_ref(n));
		tmpl_val_free(cur);
		cur = n;
	}
	tmpl_val_free(cur);
	tmpl_val_free(root);
}

static void printing_rules(void **state)
{
	(void)state;
	EXPECT("{{ 1e6 }} {{ 100000.0 }} {{ 1.5 }} {{ 3.0 }} {{ 0.00001 }}", NULL,
	       "1e+06 100000 1.5 3 1e-05");
	EXPECT("{{ .a }}", "a: 1000000", "1e+06");
	EXPECT("{{ .missing }}", "a: 1", "<no value>");
	EXPECT("{{ .m }}", "m: {b: [1, x], a: null}", "map[a:<nil> b:[1 x]]");
	EXPECT("{{ printf \"%d %s %v %q %5.2f|%-4s|\" 3 \"s\" true \"q\" 3.14159 \"ab\" }}", NULL,
	       "3 s true \"q\"  3.14|ab  |");
	EXPECT("{{ printf \"%d\" .a }}", "a: 80", "%!d(float64=80)");
	EXPECT("{{ printf \"%s\" }}", NULL, "%!s(MISSING)");
	EXPECT("{{ printf \"%T %T\" 1 (add 1 1) }}", NULL, "int int64");
}

static void control_flow(void **state)
{
	(void)state;
	EXPECT("{{ range $i, $v := .l }}{{ $i }}{{ $v }}{{ end }}", "l: [a, b]", "0a1b");
	EXPECT("{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}", "m: {z: 1, a: 2}", "a=2;z=1;");
	EXPECT("{{ range 3 }}{{ . }}{{ end }}", NULL, "012");
	EXPECT("{{ range .l }}{{ if eq . 2.0 }}{{ break }}{{ end }}{{ . }}{{ end }}", "l: [1, 2, 3]",
	       "1");
	EXPECT("{{ if false }}a{{ else if true }}b{{ end }}", NULL, "b");
	EXPECT("{{ with .x }}{{ . }}{{ else }}none{{ end }}", "y: 1", "none");
	EXPECT("{{ define \"d\" }}[{{ . }}]{{ end }}{{ template \"d\" 5 }}{{ include \"d\" 6 }}", NULL,
	       "[5][6]");
	EXPECT("a  {{- 1 -}}  b {{/* c */}}", NULL, "a1b ");
	EXPECT("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", NULL, "2");
	EXPECT("{{ and 1 0 }} {{ or 0 \"\" 3 }} {{ and false (fail \"x\") }}", NULL, "0 3 false");
}

static void sprig_and_helm(void **state)
{
	(void)state;
	EXPECT("{{ list 1 2 | toJson }} {{ dict \"a\" 1 | toYaml }}", NULL, "[1,2] a: 1");
	EXPECT("{{ \"abc\" | upper | quote }} {{ trunc 2 \"hello\" }} {{ default \"d\" \"\" }}", NULL,
	       "\"ABC\" he d");
	EXPECT("{{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" }}", NULL, "-W-xxW-");
	EXPECT("{{ semverCompare \">=1.20-0\" \"v1.35.0\" }}", NULL, "true");
	EXPECT("{{ tpl \"{{ .a }}\" (dict \"a\" 7) }}", NULL, "7");
	EXPECT("{{ sha256sum \"a\" | trunc 8 }} {{ b64enc \"hi\" }}", NULL, "ca978112 aGk=");
	EXPECT("{{ toYaml (list \"true\" \"1\" \"a: b\") }}", NULL, "- \"true\"\n- \"1\"\n- 'a: b'");
}

static void errors_have_go_messages(void **state)
{
	(void)state;
	EXPECT_ERR("{{ .a.b }}", "x: 1",
		   "template: t:1:5: executing \"t\" at <.a.b>: nil pointer evaluating "
		   "interface {}.b");
	EXPECT_ERR("{{ nope }}", NULL, "function \"nope\" not defined");
	EXPECT_ERR("{{ if }}", NULL, "missing value for if");
	EXPECT_ERR("{{ upper 3 }}", NULL, "expected string; found 3");
	EXPECT_ERR("{{ required \"need it\" .x }}", NULL, "error calling required: need it");
	EXPECT_ERR("{{ template \"x\" }}", NULL, "template \"x\" not defined");
	EXPECT_ERR("{{ end }}", NULL, "unexpected {{end}}");
	EXPECT_ERR("{{ \"abc }}", NULL, "unterminated quoted string");
}

static void limits_stop_runaway_templates(void **state)
{
	(void)state;
	tmpl_limits lim = {.max_steps = 100000};
	char *r = render_lim("{{ range until 1000000 }}{{ . }}{{ end }}", NULL, &lim);
	assert_non_null(strstr(r, "step budget"));
	free(r);
	r = render("{{ define \"l\" }}{{ include \"l\" . }}{{ end }}{{ include \"l\" . }}", NULL);
	assert_non_null(strstr(r, "nested reference name: l"));
	free(r);
	lim = (tmpl_limits){.max_output = 1000};
	r = render_lim("{{ range until 100 }}0123456789abcdef{{ end }}", NULL, &lim);
	assert_non_null(strstr(r, "exceeds the limit"));
	free(r);
}

static void yaml_typing(void **state)
{
	(void)state;
	/* go-yaml v2: yes/on/y are booleans, 0755 is octal, large ints become floats */
	EXPECT("{{ .a }} {{ .b }} {{ .c }} {{ .d }} {{ .e }}",
	       "a: yes\nb: 0755\nc: 12345678901234567890\nd: \"007\"\ne: 2001-12-14",
	       "true 493 1.2345678901234567e+19 007 2001-12-14");
	EXPECT("{{ toYaml . }}", "b10: 1\nb9: 2\nB: 3\n", "B: 3\nb9: 2\nb10: 1");
}

/* Key generation, scrypt and bcrypt take seconds: the no_slow_crypto limit refuses them. */
static void slow_crypto_limit(void **state)
{
	(void)state;
	tmpl_limits lim = {.no_slow_crypto = true};
	const char *slow[] = {"{{ genPrivateKey \"rsa\" }}", "{{ genCA \"x\" 1 }}",
			      "{{ derivePassword 1 \"long\" \"a\" \"b\" \"c\" }}",
			      "{{ bcrypt \"x\" }}", "{{ htpasswd \"u\" \"p\" }}"};
	for (size_t i = 0; i < sizeof slow / sizeof *slow; i++) {
		char *got = render_lim(slow[i], NULL, &lim);
		if (!strstr(got, "is disabled by the template limits"))
			fail_msg("%s: %s", slow[i], got);
		free(got);
	}
	char *got = render_lim("{{ encryptAES \"k\" \"x\" | decryptAES \"k\" }}", NULL, &lim);
	assert_string_equal(got, "x");
	free(got);
}

/* bcrypt writes golang.org/x/crypto's "$2a$10$" hashes; libcrypt verifies them. */
static void bcrypt_hashes_verify(void **state)
{
	(void)state;
	char *h = render("{{ bcrypt \"pässword\" }}", NULL);
	assert_int_equal(strncmp(h, "$2a$10$", 7), 0);
	assert_int_equal(strlen(h), 60);
	struct crypt_data *cd = calloc(1, sizeof *cd);
	const char *v = crypt_r("pässword", h, cd);
	assert_non_null(v);
	assert_string_equal(v, h);
	v = crypt_r("password", h, cd);
	assert_true(!v || strcmp(v, h));
	free(cd);
	free(h);
	EXPECT("{{ derivePassword 1 \"long\" \"password\" \"user\" \"example.com\" }}", NULL,
	       "ZedaFaxcZaso9*");
}

/* getHostByName: "" unless the hooks enable DNS, as Helm without --enable-dns. */
static void dns_needs_the_hook(void **state)
{
	(void)state;
	EXPECT("[{{ getHostByName \"127.0.0.1\" }}]", NULL, "[]");
	tmpl_set *s = tmpl_set_new();
	tmpl_hooks h = {.enable_dns = true};
	tmpl_set_hooks(s, &h);
	err e;
	const char *t = "{{ getHostByName \"127.0.0.1\" }}";
	assert_int_equal(tmpl_parse(s, "t", t, strlen(t), &e), 0);
	buf out;
	buf_init(&out, 1 << 10);
	assert_int_equal(tmpl_execute(s, "t", tmpl_nil(), &out, &e), 0);
	assert_string_equal(buf_str(&out), "127.0.0.1");
	buf_release(&out);
	tmpl_set_free(s);
}

/* Zones come from the tz database; bad names and bad files give UTC. */
static void zones_from_the_tz_database(void **state)
{
	(void)state;
	if (access("/usr/share/zoneinfo/Asia/Tokyo", R_OK) == 0)
		EXPECT("{{ dateInZone \"15:04 MST\" 0 \"Asia/Tokyo\" }}", NULL, "09:00 JST");
	EXPECT("{{ dateInZone \"15:04 MST\" 0 \"../zoneinfo/Asia/Tokyo\" }}", NULL, "00:00 UTC");
	EXPECT("{{ dateInZone \"15:04 MST\" 0 \"/etc/localtime\" }}", NULL, "00:00 UTC");
	char dir[] = "/tmp/tmpl-zones-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/Bad", dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fwrite("TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xff\xff\xff\xff", 1, 24, f);
	fclose(f);
	setenv("ZONEINFO", dir, 1);
	EXPECT("{{ dateInZone \"15:04 MST\" 0 \"Bad\" }}", NULL, "00:00 UTC");
	unsetenv("ZONEINFO");
	unlink(path);
	rmdir(dir);
}

/* fromToml caps nesting and reports errors as Helm's {"Error": ...} map. */
static void toml_limits(void **state)
{
	(void)state;
	char *deep = malloc(2000);
	size_t n = 0;
	n += (size_t)snprintf(deep + n, 2000 - n, "a = ");
	for (int i = 0; i < 300; i++)
		deep[n++] = '[';
	deep[n] = 0;
	char *t = xasprintf("{{ (fromToml \"%s\").Error }}", deep);
	char *got = render(t, NULL);
	if (!strstr(got, "nesting deeper than 200"))
		fail_msg("got %s", got);
	free(got);
	free(t);
	free(deep);
	EXPECT("{{ (fromToml \"a = 1\\na = 2\").Error }}", NULL,
	       "toml: line 2 (last key \"a\"): Key 'a' has already been defined.");
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_and_refcounts),
		cmocka_unit_test(deep_values_free_iteratively),
		cmocka_unit_test(printing_rules),
		cmocka_unit_test(control_flow),
		cmocka_unit_test(sprig_and_helm),
		cmocka_unit_test(errors_have_go_messages),
		cmocka_unit_test(limits_stop_runaway_templates),
		cmocka_unit_test(yaml_typing),
		cmocka_unit_test(slow_crypto_limit),
		cmocka_unit_test(bcrypt_hashes_verify),
		cmocka_unit_test(dns_needs_the_hook),
		cmocka_unit_test(zones_from_the_tz_database),
		cmocka_unit_test(toml_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
