/* Unit tests of the yml module: scalar typing, aliases, merge keys, errors, emitter quoting,
 * numbers, JSON helpers and limits. Hostile inputs (billion laughs, 100 000-deep nesting, a
 * 200 MB document, invalid UTF-8) run in child processes whose time and memory are measured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "eddy/mem.h"
#include "eddy/yml.h"

/* Parse one document; fail the test on error. */
static cJSON *one(const char *text)
{
	err e = { 0 };
	cJSON *v = yml_parse_one(text, strlen(text), NULL, &e);
	if (!v)
		fail_msg("parse failed: %s\ninput: %s", e.msg, text);
	return v;
}

/* Parse, expect an error, return its message (static storage). */
static const char *parse_err(const char *text, const yml_limits *lim)
{
	static err e;
	memset(&e, 0, sizeof e);
	cJSON *v = yml_parse_stream(text, strlen(text), lim, &e);
	if (v) {
		yml_free(v);
		fail_msg("expected an error for: %s", text);
	}
	assert_true(err_is_set(&e));
	return e.msg;
}

/* Emit one document and compare. */
static void emits(const cJSON *doc, const char *want)
{
	buf b;
	buf_init(&b, 1 << 20);
	err e = { 0 };
	if (yml_emit(&b, doc, &e) < 0)
		fail_msg("emit failed: %s", e.msg);
	assert_string_equal(buf_str(&b), want);
	buf_release(&b);
}

/* "v: <scalar>" parsed, then emitted: the output line for v. */
static void roundtrip_value(const char *scalar, const char *want_line)
{
	char in[512], want[512];
	snprintf(in, sizeof in, "v: %s\n", scalar);
	snprintf(want, sizeof want, "v: %s\n", want_line);
	cJSON *d = one(in);
	emits(d, want);
	cJSON_Delete(d);
}

/* ---- typing ---- */

struct typing_case {
	const char *text;
	int type; /* cJSON type */
	const char *str; /* string value, or NULL */
	double num;
};

static void plain_scalars_typed_like_yaml_v3(void **state)
{
	static const struct typing_case cases[] = {
		{ "true", cJSON_True, NULL, 0 }, { "True", cJSON_True, NULL, 0 },
		{ "TRUE", cJSON_True, NULL, 0 }, { "false", cJSON_False, NULL, 0 },
		{ "False", cJSON_False, NULL, 0 }, { "FALSE", cJSON_False, NULL, 0 },
		{ "tRue", cJSON_String, "tRue", 0 }, { "yes", cJSON_String, "yes", 0 },
		{ "no", cJSON_String, "no", 0 }, { "on", cJSON_String, "on", 0 },
		{ "off", cJSON_String, "off", 0 }, { "y", cJSON_String, "y", 0 },
		{ "~", cJSON_NULL, NULL, 0 }, { "null", cJSON_NULL, NULL, 0 },
		{ "Null", cJSON_NULL, NULL, 0 }, { "NULL", cJSON_NULL, NULL, 0 },
		{ "", cJSON_NULL, NULL, 0 }, { "nUll", cJSON_String, "nUll", 0 },
		{ "42", cJSON_Number, NULL, 42 }, { "-17", cJSON_Number, NULL, -17 },
		{ "+12", cJSON_Number, NULL, 12 }, { "0x1F", cJSON_Number, NULL, 31 },
		{ "0o17", cJSON_Number, NULL, 15 }, { "0777", cJSON_Number, NULL, 511 },
		{ "0b101", cJSON_Number, NULL, 5 }, { "1_000", cJSON_Number, NULL, 1000 },
		{ "08", cJSON_Number, NULL, 8 }, { "1e3", cJSON_Number, NULL, 1000 },
		{ "1.5", cJSON_Number, NULL, 1.5 }, { ".5", cJSON_Number, NULL, 0.5 },
		{ "5.", cJSON_Number, NULL, 5 }, { "-1.5E-7", cJSON_Number, NULL, -1.5e-7 },
		{ "0x", cJSON_String, "0x", 0 }, { "1e400", cJSON_String, "1e400", 0 },
		{ "1.2.3", cJSON_String, "1.2.3", 0 }, { "1:20", cJSON_String, "1:20", 0 },
		{ "0b2", cJSON_String, "0b2", 0 }, { "inf", cJSON_String, "inf", 0 },
		{ "abc", cJSON_String, "abc", 0 }, { "<<x", cJSON_String, "<<x", 0 },
		{ "2001-12-14", cJSON_String, "2001-12-14T00:00:00Z", 0 },
		{ "2001-12-14t21:59:43.10-05:00", cJSON_String, "2001-12-14T21:59:43.1-05:00", 0 },
		{ "2001-12-14 21:59:43.10", cJSON_String, "2001-12-14T21:59:43.1Z", 0 },
		{ "2001-02-29", cJSON_String, "2001-02-29", 0 },
		{ "\"42\"", cJSON_String, "42", 0 }, { "'true'", cJSON_String, "true", 0 },
		{ "\"\"", cJSON_String, "", 0 }, { "!!str 12", cJSON_String, "12", 0 },
		{ "!!int \"12\"", cJSON_Number, NULL, 12 }, { "!!float 1", cJSON_Number, NULL, 1 },
		{ "!!null ''", cJSON_NULL, NULL, 0 }, { "!custom 12", cJSON_String, "12", 0 },
		{ "|\n  a\n  b\n", cJSON_String, "a\nb\n", 0 },
		{ "!!binary aGVsbG8=", cJSON_String, "hello", 0 },
		{ "!!binary /w==", cJSON_String, "\xef\xbf\xbd", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char in[256];
		snprintf(in, sizeof in, "v: %s\n", cases[i].text);
		cJSON *d = one(in);
		cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "v");
		assert_non_null(v);
		if ((v->type & 0xFF) != cases[i].type)
			fail_msg("%s: type %d, want %d", cases[i].text, v->type & 0xFF,
				 cases[i].type);
		if (cases[i].str)
			assert_string_equal(v->valuestring, cases[i].str);
		if (cases[i].type == cJSON_Number)
			assert_true(v->valuedouble == cases[i].num);
		cJSON_Delete(d);
	}
	/* special floats */
	cJSON *d = one("a: .inf\nb: -.Inf\nc: .NaN\n");
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(d, "a")));
	assert_true(cJSON_GetObjectItem(d, "b")->valuedouble < -1e308);
	cJSON_Delete(d);
	/* !!int on text that is not an int */
	assert_string_equal(parse_err("v: !!int abc\n", NULL),
			    "yaml: cannot decode !!str `abc` as a !!int");
	assert_string_equal(parse_err("v: !!binary aG==aGVs\n", NULL),
			    "yaml: !!binary value contains invalid base64 data");
}

static void literals_are_kept(void **state)
{
	cJSON *d = one("a: 0x1F\nb: 1e3\nc: 9007199254740993\nd: True\ne: ~\nf:\n");
	assert_string_equal(cJSON_GetObjectItem(d, "a")->valuestring, "0x1F");
	assert_string_equal(cJSON_GetObjectItem(d, "b")->valuestring, "1e3");
	assert_string_equal(cJSON_GetObjectItem(d, "d")->valuestring, "True");
	assert_string_equal(cJSON_GetObjectItem(d, "e")->valuestring, "~");
	assert_string_equal(cJSON_GetObjectItem(d, "f")->valuestring, "");
	int64_t v;
	assert_true(yml_number_int(cJSON_GetObjectItem(d, "c"), &v));
	assert_true(v == 9007199254740993LL);
	/* the literal survives cJSON_Duplicate, and cJSON_Delete frees it (ASan checks) */
	cJSON *copy = cJSON_Duplicate(d, 1);
	assert_string_equal(cJSON_GetObjectItem(copy, "c")->valuestring, "9007199254740993");
	char tmp[64];
	assert_string_equal(yml_number_text(cJSON_GetObjectItem(copy, "a"), tmp, sizeof tmp), "31");
	assert_string_equal(yml_number_text(cJSON_GetObjectItem(copy, "c"), tmp, sizeof tmp),
			    "9007199254740993");
	cJSON_Delete(copy);
	cJSON_Delete(d);
}

static void numbers_print_as_kustomize(void **state)
{
	static const char *const cases[][2] = {
		{ "0x1F", "31" }, { "1e3", "1000" }, { "1.0", "1" }, { "-0", "0" },
		{ "1000000.5", "1.0000005e+06" }, { "1e20", "1e+20" },
		{ "1e19", "10000000000000000000" },
		{ "123456789012345678901234", "1.2345678901234569e+23" },
		{ "-12345678901234567890", "-1.2345678901234567e+19" }, { "0.000001", "1e-06" },
		{ "1.5e-7", "1.5e-07" }, { "18446744073709551615", "18446744073709551615" },
		{ "-9223372036854775808", "-9223372036854775808" }, { "0.1", "0.1" },
		{ "100.25", "100.25" }, { ".5", "0.5" }, { "1_000", "1000" }, { "0b101", "5" },
		{ "0o17", "15" }, { "0777", "511" }, { "+12", "12" }, { "12e03", "12000" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		roundtrip_value(cases[i][0], cases[i][1]);
	/* numbers built in C */
	char tmp[64];
	cJSON *n = cJSON_CreateNumber(2.5);
	assert_string_equal(yml_number_text(n, tmp, sizeof tmp), "2.5");
	yml_number_set(n, 3);
	assert_string_equal(yml_number_text(n, tmp, sizeof tmp), "3");
	cJSON_Delete(n);
	n = yml_int_new(INT64_MAX);
	assert_string_equal(yml_number_text(n, tmp, sizeof tmp), "9223372036854775807");
	cJSON_Delete(n);
	n = yml_number_new("0x10");
	assert_non_null(n);
	assert_true(n->valuedouble == 16);
	cJSON_Delete(n);
	assert_null(yml_number_new("abc"));
	/* infinities cannot be printed: kustomize fails the same way */
	cJSON *d = one("a: .inf\n");
	buf b;
	buf_init(&b, 1024);
	err e = { 0 };
	assert_int_equal(yml_emit(&b, d, &e), -1);
	assert_string_equal(e.msg, "json: unsupported value: +Inf");
	assert_int_equal(b.len, 0);
	buf_release(&b);
	cJSON_Delete(d);
}

/* ---- structure ---- */

static void aliases_and_merge_keys(void **state)
{
	cJSON *d = one("base: &b {x: 1, y: 2}\n"
		       "m:\n  <<: *b\n  y: 3\n"
		       "l: &l [1, 2]\nl2: *l\n"
		       "s: &s hi\ns2: *s\n"
		       "multi:\n  <<: [{a: 1}, {a: 2, b: 3}]\n  c: 4\n"
		       "inline:\n  <<: {k: v}\n"
		       "q:\n  \"<<\": literal\n");
	assert_int_equal(yml_get_path(d, "m.x")->valuedouble, 1);
	assert_int_equal(yml_get_path(d, "m.y")->valuedouble, 3);
	assert_int_equal(cJSON_GetArraySize(yml_get_path(d, "l2")), 2);
	assert_string_equal(yml_get_string(d, "s2"), "hi");
	assert_int_equal(yml_get_path(d, "multi.a")->valuedouble, 1); /* first merged map wins */
	assert_int_equal(yml_get_path(d, "multi.b")->valuedouble, 3);
	assert_int_equal(yml_get_path(d, "multi.c")->valuedouble, 4);
	assert_string_equal(yml_get_string(d, "inline.k"), "v");
	/* a quoted "<<" key is dropped, as kustomize (kyaml) drops it */
	assert_null(yml_get_path(d, "q.<<"));
	assert_int_equal(cJSON_GetArraySize(yml_get_path(d, "q")), 0);
	assert_null(yml_get_path(d, "m.<<"));
	/* an alias is a copy: changing one does not change the other */
	cJSON_ReplaceItemInArray((cJSON *)yml_get_path(d, "l2"), 0, cJSON_CreateString("z"));
	assert_int_equal(yml_get_path(d, "l.0")->valuedouble, 1);
	cJSON_Delete(d);

	/* anchors are indexed: many anchors and aliases parse in linear time; redefinition wins */
	buf b;
	buf_init(&b, 1 << 24);
	buf_adds(&b, "a:\n");
	for (int i = 0; i < 50000; i++)
		buf_addf(&b, "- &a%d x%d\n", i, i);
	buf_adds(&b, "- &a7 redefined\nb:\n");
	for (int i = 49999; i >= 0; i--)
		buf_addf(&b, "- *a%d\n", i);
	err e = { 0 };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	d = yml_parse_one(b.data, b.len, NULL, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(d);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_string_equal(yml_get_string(d, "b.0"), "x49999");
	assert_string_equal(yml_get_string(d, "b.49992"), "redefined");
	yml_free(d);
	buf_release(&b);

	assert_string_equal(parse_err("a: *nope\n", NULL),
			    "yaml: line 1: unknown anchor 'nope' referenced");
	assert_string_equal(parse_err("a: &x [*x]\n", NULL),
			    "yaml: line 1: anchor 'x' value contains itself");
	assert_string_equal(parse_err("a:\n  <<: 1\n", NULL),
			    "yaml: line 2: map merge requires map or sequence of maps as the "
			    "value");
}

static void keys_and_duplicates(void **state)
{
	cJSON *d = one("1: a\ntrue: b\n~: c\n0x10: d\n1.5: e\n? \n: f\n");
	assert_string_equal(cJSON_GetObjectItem(d, "")->valuestring, "f");
	assert_string_equal(yml_get_string(d, "1"), "a");
	assert_string_equal(yml_get_string(d, "true"), "b");
	assert_string_equal(yml_get_string(d, "null"), "c");
	assert_string_equal(yml_get_string(d, "16"), "d");
	assert_string_equal(cJSON_GetObjectItem(d, "1.5")->valuestring, "e");
	cJSON_Delete(d);
	assert_string_equal(parse_err("a: 1\nb: 2\na: 3\n", NULL),
			    "yaml: unmarshal errors:\n"
			    "  line 3: mapping key \"a\" already defined at line 1");
	/* a dropped "<<" key followed by more keys (found by the fuzzer: use after free) */
	d = one("{re, \"<<\" , zt, e, anul: {\"b\"}}\n");
	assert_int_equal(cJSON_GetArraySize(d), 4);
	cJSON_Delete(d);
	/* an anchored key that is a duplicate (found by the fuzzer: it leaked) */
	assert_non_null(strstr(parse_err("\"\": l\n&a : n\n", NULL), "mapping key \"\" already"));
	assert_string_equal(parse_err("? [a]\n: b\n", NULL),
			    "yaml: line 1: invalid map key: complex keys are not supported");
	/* many keys: the duplicate check is hashed */
	buf b;
	buf_init(&b, 1 << 24);
	for (int i = 0; i < 50000; i++)
		buf_addf(&b, "k%d: %d\n", i, i);
	err e = { 0 };
	cJSON *big = yml_parse_one(b.data, b.len, NULL, &e);
	assert_non_null(big);
	assert_int_equal(cJSON_GetArraySize(big), 50000);
	yml_free(big);
	buf_addf(&b, "k777: dup\n");
	assert_null(yml_parse_one(b.data, b.len, NULL, &e));
	assert_non_null(strstr(e.msg, "mapping key \"k777\" already defined at line 778"));
	buf_release(&b);
}

static void streams_and_documents(void **state)
{
	err e = { 0 };
	const char *s = "---\n---\na: 1\n---\n# only a comment\n...\n---\n~\n---\n- x\n";
	cJSON *docs = yml_parse_stream(s, strlen(s), NULL, &e);
	assert_non_null(docs);
	assert_int_equal(cJSON_GetArraySize(docs), 2);
	assert_true(cJSON_IsObject(cJSON_GetArrayItem(docs, 0)));
	assert_true(cJSON_IsArray(cJSON_GetArrayItem(docs, 1)));
	buf b;
	buf_init(&b, 1024);
	assert_int_equal(yml_emit_stream(&b, docs, &e), 0);
	assert_string_equal(buf_str(&b), "a: 1\n---\n- x\n");
	buf_release(&b);
	cJSON_Delete(docs);

	docs = yml_parse_stream("", 0, NULL, &e);
	assert_int_equal(cJSON_GetArraySize(docs), 0);
	cJSON_Delete(docs);
	docs = yml_parse_stream(NULL, 0, NULL, &e);
	assert_int_equal(cJSON_GetArraySize(docs), 0);
	cJSON_Delete(docs);

	cJSON *v = yml_parse_one("", 0, NULL, &e);
	assert_true(cJSON_IsNull(v));
	cJSON_Delete(v);
	assert_null(yml_parse_one("a: 1\n---\nb: 2\n", 14, NULL, &e));
	assert_string_equal(e.msg, "yaml: expected a single document in the stream");
}

static void syntax_errors_have_lines(void **state)
{
	assert_string_equal(parse_err("a: b\nc\nd: e\n", NULL),
			    "yaml: line 2: could not find expected ':'");
	assert_string_equal(parse_err("a: [1, 2\n", NULL),
			    "yaml: line 1: did not find expected ',' or ']'");
	assert_string_equal(parse_err("a:\n\tb: c\n", NULL),
			    "yaml: line 2: found character that cannot start any token");
	assert_string_equal(parse_err("a: \"\xff\"\n", NULL), "yaml: invalid UTF-8 at byte 4");
	assert_string_equal(parse_err("a: \xc0\xaf\n", NULL), "yaml: invalid UTF-8 at byte 3");
	assert_string_equal(parse_err("a: \xed\xa0\x80\n", NULL), "yaml: invalid UTF-8 at byte 3");
	assert_string_equal(parse_err("a: \"x\\0y\"\n", NULL),
			    "yaml: line 1: NUL characters in strings are not supported");
}

/* ---- emitter ---- */

static void emitter_quotes_like_kustomize(void **state)
{
	/* Expected outputs are what `kubectl kustomize` (kustomize v5.6) prints. */
	static const char *const cases[][2] = {
		{ "\"on\"", "\"on\"" }, { "\"yes\"", "\"yes\"" }, { "\"y\"", "\"y\"" },
		{ "\"0x1F\"", "\"0x1F\"" }, { "\"1e3\"", "\"1e3\"" }, { "\"~\"", "\"~\"" },
		{ "\"null\"", "\"null\"" }, { "\"true\"", "\"true\"" }, { "\"\"", "\"\"" },
		{ "\"1.5\"", "\"1.5\"" }, { "\"1:20\"", "\"1:20\"" },
		{ "\"2001-12-14\"", "\"2001-12-14\"" }, { "\"- item\"", "'- item'" },
		{ "\": x\"", "': x'" }, { "\"  lead\"", "'  lead'" }, { "\"trail \"", "'trail '" },
		{ "\"#hash\"", "'#hash'" }, { "\"a #b\"", "'a #b'" }, { "\"a#b\"", "a#b" },
		{ "\"@at\"", "'@at'" }, { "\"`tick\"", "'`tick'" }, { "\"a: b\"", "'a: b'" },
		{ "\"a:b\"", "a:b" }, { "\"it's\"", "it's" }, { "\"'q'\"", "'''q'''" },
		{ "\"-\"", "'-'" }, { "\"-x\"", "-x" }, { "\"?\"", "'?'" }, { "\"[x]\"", "'[x]'" },
		{ "\"{a}\"", "'{a}'" }, { "\"x,y\"", "x,y" }, { "\"<<\"", "<<" },
		{ "\"---\"", "'---'" }, { "\"%x\"", "'%x'" }, { "\"!b\"", "'!b'" },
		{ "\"*s\"", "'*s'" }, { "\"&a\"", "'&a'" }, { "\"|p\"", "'|p'" },
		{ "\">g\"", "'>g'" }, { "\"tab\\there\"", "\"tab\\there\"" },
		{ "\"ctl\\u0001x\"", "\"ctl\\x01x\"" }, { "\"back\\\\slash\"", "back\\slash" },
		{ "\"ünïcödé\"", "ünïcödé" }, { "\"emoji 😀\"", "\"emoji \\U0001F600\"" },
		{ "\"\\ufeffbom\"", "\"\\uFEFF\\x62\\x6F\\x6D\"" },
		{ "\"a\\u2028b\"", "'a\xe2\x80\xa8" "  b'" },
		{ "\"1e400\"", "1e400" }, { "\"0b2\"", "0b2" }, { "\"08\"", "\"08\"" },
		{ "\"190:20:30\"", "\"190:20:30\"" }, { "\"a  b\"", "a  b" },
		{ "\"multi\\nline\\n\"", "|\n  multi\n  line" },
		{ "\"multi\\nline\"", "|-\n  multi\n  line" },
		{ "\"multi\\nline\\n\\n\"", "|+\n  multi\n  line\n" },
		{ "\"  lead\\nx\"", "|2-\n    lead\n  x" }, { "\"\\n\"", "|2+\n" },
		{ "\"trail \\nx\"", "\"trail \\nx\"" }, { "\"x\\ny  \"", "\"x\\ny  \"" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		roundtrip_value(cases[i][0], cases[i][1]);
	/* keys */
	cJSON *d = one("\"n\": 1\n\"yes\": 2\n\"a: b\": 3\n\"\": 4\n\"-\": 5\n_: 6\nZ: 7\n");
	emits(d, "\"\": 4\n'-': 5\n_: 6\nZ: 7\n'a: b': 3\n\"n\": 1\n\"yes\": 2\n");
	cJSON_Delete(d);
	/* a "<<" key that is a string (tagged !!str) is quoted, or it would read back as a merge
	 * key (fuzz find); a "<<" value stays plain, as kustomize prints it */
	d = one("!!str <<: x\nk: <<\n");
	emits(d, "\"<<\": x\nk: <<\n");
	cJSON_Delete(d);
}

static void emitter_layout(void **state)
{
	cJSON *d = one("b: {}\na: []\nc:\n- x: 1\n  y: [1, [2, 3]]\n- []\n- - a\n  - b\n"
		       "d: {e: {f: g}}\n");
	emits(d, "a: []\nb: {}\nc:\n- x: 1\n  \"y\":\n  - 1\n  - - 2\n    - 3\n- []\n- - a\n  - b\n"
		 "d:\n  e:\n    f: g\n");
	cJSON_Delete(d);
	/* folding at column 80 for plain, single- and double-quoted scalars */
	d = one("k: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff gggggggggg "
		"hhhhhhhhhh iiiiiiiiii\n");
	emits(d, "k: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff gggggggggg "
		 "hhhhhhhhhh\n  iiiiiiiiii\n");
	cJSON_Delete(d);
	/* key order: go-yaml's natural order (non-letters first, digit runs by value) */
	d = one("b: 1\na10: 1\na9: 1\nA: 1\n\"10\": 1\n\"2\": 1\n_x: 1\n");
	emits(d, "_x: 1\n\"2\": 1\n\"10\": 1\nA: 1\na9: 1\na10: 1\nb: 1\n");
	cJSON_Delete(d);
	/* a long key is written as a complex key */
	char k[200];
	memset(k, 'k', 130);
	k[130] = '\0';
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, k, "v");
	char want[400];
	snprintf(want, sizeof want, "? %s\n: v\n", k);
	emits(o, want);
	cJSON_Delete(o);
	/* scalars as documents */
	cJSON *s = cJSON_CreateString("x");
	emits(s, "x\n");
	cJSON_Delete(s);
	s = cJSON_CreateNull();
	emits(s, "null\n");
	cJSON_Delete(s);
	/* control characters kustomize refuses */
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "k", "a\x7f");
	buf b;
	buf_init(&b, 1024);
	err e = { 0 };
	assert_int_equal(yml_emit(&b, o, &e), -1);
	assert_string_equal(e.msg, "yaml: control characters are not allowed");
	cJSON_Delete(o);
	/* the output cap is respected */
	buf_release(&b);
	buf_init(&b, 8);
	d = one("key: a long value\n");
	assert_int_equal(yml_emit(&b, d, &e), -1);
	assert_int_equal(b.len, 0);
	cJSON_Delete(d);
	buf_release(&b);
}

/* ---- JSON ---- */

static void json_parse_and_print(void **state)
{
	err e = { 0 };
	const char *j = "{\"a\": 9007199254740993, \"b\": [1.50, -0, 1e3, \"x\\\"1\"], \"c\": {}}";
	cJSON *v = yml_json_parse(j, strlen(j), NULL, &e);
	assert_non_null(v);
	int64_t i;
	assert_true(yml_number_int(cJSON_GetObjectItem(v, "a"), &i));
	assert_true(i == 9007199254740993LL);
	assert_string_equal(yml_get_path(v, "b.0")->valuestring, "1.50");
	buf b;
	buf_init(&b, 1024);
	assert_int_equal(yml_json_print(&b, v, &e), 0);
	assert_string_equal(buf_str(&b),
			    "{\"a\":9007199254740993,\"b\":[1.50,-0,1e3,\"x\\\"1\"],\"c\":{}}");
	buf_reset(&b);
	assert_int_equal(yml_emit(&b, v, &e), 0);
	assert_string_equal(buf_str(&b),
			    "a: 9007199254740993\nb:\n- 1.5\n- 0\n- 1000\n- x\"1\nc: {}\n");
	buf_release(&b);
	cJSON_Delete(v);

	assert_null(yml_json_parse("{\"a\": 1} x", 10, NULL, &e));
	assert_string_equal(e.msg, "json: invalid character after top-level value at byte 9");
	assert_null(yml_json_parse("{\"a\": }", 7, NULL, &e));
	assert_null(yml_json_parse("\"\xff\"", 3, NULL, &e));
	assert_string_equal(e.msg, "json: invalid UTF-8 at byte 1");
	yml_limits lim = { .max_bytes = 4 };
	assert_null(yml_json_parse("[1,2]", 5, &lim, &e));
	assert_string_equal(e.msg, "json: input of 5 bytes exceeds the limit of 4 bytes");
	char deep[3000];
	memset(deep, '[', 1500);
	memset(deep + 1500, ']', 1500);
	assert_null(yml_json_parse(deep, 3000, NULL, &e));
	assert_string_equal(e.msg, "json: exceeded max depth of 1000");
}

static void paths(void **state)
{
	cJSON *d = one("metadata:\n  name: x\n  labels: {a.b: c}\n"
		       "spec:\n  containers:\n  - image: i\n");
	assert_string_equal(yml_get_string(d, "metadata.name"), "x");
	assert_string_equal(yml_get_string(d, "spec.containers.0.image"), "i");
	assert_null(yml_get_string(d, "spec.containers.1.image"));
	assert_null(yml_get_string(d, "metadata"));
	assert_null(yml_get_path(d, "nope.x"));
	assert_ptr_equal(yml_get_path(d, ""), d);
	cJSON_Delete(d);
}

/* ---- limits ---- */

static void limits_are_enforced(void **state)
{
	yml_limits lim = { .max_bytes = 10 };
	assert_string_equal(parse_err("a: 12345678901\n", &lim),
			    "yaml: input of 15 bytes exceeds the limit of 10 bytes");
	lim = (yml_limits){ .max_depth = 3 };
	assert_string_equal(parse_err("a: {b: {c: {d: 1}}}\n", &lim),
			    "yaml: line 1: exceeded max depth of 3");
	/* an alias may not take a document past the depth limit either */
	assert_string_equal(parse_err("x: &x {b: {c: 1}}\ny: {z: *x}\n", &lim),
			    "yaml: line 2: exceeded max depth of 3");
	lim = (yml_limits){ .max_nodes = 10 };
	assert_non_null(strstr(parse_err("[1,2,3,4,5,6,7,8,9,10,11]\n", &lim),
			       "document has more than 10 nodes"));
	lim = (yml_limits){ .max_docs = 2 };
	assert_string_equal(parse_err("a\n---\nb\n---\nc\n", &lim),
			    "yaml: more than 2 documents in the stream");
	lim = (yml_limits){ .max_alias_expansion = 5 };
	assert_string_equal(parse_err("a: &a [1, 2, 3]\nb: [*a, *a]\n", &lim),
			    "yaml: document contains excessive aliasing");
	/* defaults accept ordinary alias use */
	cJSON *d = one("a: &a [1, 2, 3]\nb: [*a, *a, *a]\n");
	cJSON_Delete(d);
}

/* ---- hostile inputs, in a child process with time and memory measured ---- */

typedef struct hostile {
	const char *name;
	char *(*make)(size_t *len);
	const char *want; /* substring of the error */
} hostile;

static char *make_laughs(size_t *len)
{
	buf b;
	buf_init(&b, 1 << 20);
	buf_adds(&b, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\","
		     "\"lol\"]\n");
	for (char c = 'b'; c <= 'j'; c++)
		buf_addf(&b, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c - 1, c - 1,
			 c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	return buf_detach(&b, len);
}

static char *make_flow_seq(size_t *len)
{
	size_t n = 100000;
	char *s = xmalloc(2 * n + 2);
	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = '\n';
	*len = 2 * n + 1;
	return s;
}

static char *make_block_seq(size_t *len)
{
	size_t n = 100000;
	char *s = xmalloc(2 * n + 3);
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = '-';
		s[2 * i + 1] = ' ';
	}
	s[2 * n] = 'x';
	s[2 * n + 1] = '\n';
	*len = 2 * n + 2;
	return s;
}

static char *make_flow_map(size_t *len)
{
	size_t n = 100000;
	buf b;
	buf_init(&b, 8 * n);
	for (size_t i = 0; i < n; i++)
		buf_adds(&b, "a: {");
	buf_adds(&b, "b: 1");
	for (size_t i = 0; i < n; i++)
		buf_addc(&b, '}');
	buf_addc(&b, '\n');
	return buf_detach(&b, len);
}

static char *make_block_map(size_t *len)
{
	size_t n = 20000; /* indentation grows quadratically: 200 MB at this depth */
	buf b;
	buf_init(&b, (size_t)1 << 28);
	for (size_t i = 0; i < 2000 && i < n; i++) {
		for (size_t k = 0; k < i; k++)
			buf_addc(&b, ' ');
		buf_adds(&b, "a:\n");
	}
	return buf_detach(&b, len);
}

static char *make_huge(size_t *len)
{
	size_t n = (size_t)200 << 20;
	char *s = xmalloc(n);
	const char line[] = "key: value\n";
	for (size_t i = 0; i + sizeof line - 1 <= n; i += sizeof line - 1)
		memcpy(s + i, line, sizeof line - 1);
	*len = n - n % (sizeof line - 1);
	return s;
}

static char *make_bad_utf8(size_t *len)
{
	buf b;
	buf_init(&b, 1 << 20);
	for (int i = 0; i < 1000; i++)
		buf_adds(&b, "key: value\n");
	buf_adds(&b, "bad: \xe2\x82\n");
	return buf_detach(&b, len);
}

static long rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void run_hostile(const hostile *h)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		size_t len;
		char *input = h->make(&len);
		long before = rss_kb();
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		err e = { 0 };
		cJSON *v = yml_parse_stream(input, len, NULL, &e);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long after = rss_kb();
		double secs = (double)(t1.tv_sec - t0.tv_sec) +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		char msg[1200];
		int n = snprintf(msg, sizeof msg, "%d\n%.3f\n%ld\n%s", v != NULL, secs,
				 after - before, e.msg);
		if (write(fds[1], msg, (size_t)n) < 0)
			_exit(3);
		yml_free(v);
		free(input);
		_exit(0);
	}
	close(fds[1]);
	char out[1300] = "";
	size_t got = 0;
	ssize_t r;
	while ((r = read(fds[0], out + got, sizeof out - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	int ok;
	double secs;
	long grew;
	char msg[1200] = "";
	if (sscanf(out, "%d\n%lf\n%ld\n%1199[^\n]", &ok, &secs, &grew, msg) < 3)
		fail_msg("%s: bad child report: %s", h->name, out);
	printf("# %s: %.3fs, +%ld KiB, \"%s\"\n", h->name, secs, grew, msg);
	if (ok)
		fail_msg("%s: parsed without error", h->name);
	if (!strstr(msg, h->want))
		fail_msg("%s: error \"%s\" lacks \"%s\"", h->name, msg, h->want);
	if (secs > 5.0)
		fail_msg("%s: took %.3f s", h->name, secs);
	if (grew > 64 * 1024)
		fail_msg("%s: memory grew by %ld KiB", h->name, grew);
}

static void hostile_inputs_fail_fast(void **state)
{
	static const hostile cases[] = {
		{ "billion laughs", make_laughs, "excessive aliasing" },
		{ "100000-deep [[[", make_flow_seq, "exceeded max depth of 1000" },
		{ "100000-deep - - -", make_block_seq, "exceeded max depth of 1000" },
		{ "100000-deep a: {a: {", make_flow_map, "exceeded max depth of 1000" },
		{ "2000-deep block maps", make_block_map, "exceeded max depth of 1000" },
		{ "200 MB document", make_huge, "exceeds the limit of 67108864 bytes" },
		{ "invalid UTF-8", make_bad_utf8, "invalid UTF-8 at byte 11005" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_hostile(&cases[i]);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_scalars_typed_like_yaml_v3),
		cmocka_unit_test(literals_are_kept),
		cmocka_unit_test(numbers_print_as_kustomize),
		cmocka_unit_test(aliases_and_merge_keys),
		cmocka_unit_test(keys_and_duplicates),
		cmocka_unit_test(streams_and_documents),
		cmocka_unit_test(syntax_errors_have_lines),
		cmocka_unit_test(emitter_quotes_like_kustomize),
		cmocka_unit_test(emitter_layout),
		cmocka_unit_test(json_parse_and_print),
		cmocka_unit_test(paths),
		cmocka_unit_test(limits_are_enforced),
		cmocka_unit_test(hostile_inputs_fail_fast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
