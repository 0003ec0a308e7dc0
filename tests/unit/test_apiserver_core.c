/* Unit tests of eddy-apiserver's storage, selectors and protobuf decoder (linked from the
 * eddyapiserver library). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../apiserver/names.h"
#include "../../apiserver/protobuf.h"
#include "../../apiserver/selector.h"
#include "../../apiserver/store.h"
#include "eddy/mem.h"

static char *tmpdir(void)
{
	char t[] = "/tmp/eddy-store-XXXXXX";
	char *d = mkdtemp(t);
	assert_non_null(d);
	return xstrdup(d);
}

static void rmdir_all(const char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void store_revisions_and_cas(void **state)
{
	(void)state;
	char *dir = tmpdir();
	err e = {0};
	store *s = store_open(dir, &e);
	assert_non_null(s);
	assert_int_equal(store_rev(s), 0);
	assert_int_equal(store_create(s, "/core/configmaps/a/x", "{\"v\":1}", &e), 1);
	assert_int_equal(store_create(s, "/core/configmaps/a/x", "{}", &e), -1);
	assert_string_equal(e.reason, "Conflict");
	assert_int_equal(store_create(s, "/core/configmaps/a/y", "{\"v\":2}", &e), 2);
	assert_int_equal(store_update(s, "/core/configmaps/a/x", "{\"v\":3}", 1, 1, &e), 3);
	/* stale revision: conflict */
	assert_int_equal(store_update(s, "/core/configmaps/a/x", "{\"v\":4}", 1, 1, &e), -1);
	store_row r;
	assert_int_equal(store_get(s, "/core/configmaps/a/x", &r, &e), 1);
	assert_int_equal(r.rev, 3);
	assert_int_equal(r.create_rev, 1);
	assert_string_equal(r.value, "{\"v\":3}");
	store_row_release(&r);
	assert_int_equal(store_delete(s, "/core/configmaps/a/y", "{\"v\":2}", 2, 2, &e), 4);
	assert_int_equal(store_get(s, "/core/configmaps/a/y", &r, &e), 0);
	/* list now and at an older revision */
	store_row *rows;
	bool more;
	assert_int_equal(store_list(s, "/core/configmaps/", NULL, 0, 0, &rows, &more, &e), 1);
	store_rows_free(rows, 1);
	assert_int_equal(store_list(s, "/core/configmaps/", NULL, 2, 0, &rows, &more, &e), 2);
	assert_string_equal(rows[0].value, "{\"v\":1}");
	store_rows_free(rows, 2);
	/* limit + start key */
	assert_int_equal(store_list(s, "/core/", NULL, 2, 1, &rows, &more, &e), 1);
	assert_true(more);
	assert_string_equal(rows[0].key, "/core/configmaps/a/x");
	store_rows_free(rows, 1);
	/* history */
	assert_int_equal(store_since(s, "/core/configmaps/a/", 1, 0, &rows, &e), 3);
	assert_true(rows[0].created);
	assert_false(rows[1].created);
	assert_true(rows[2].deleted);
	store_rows_free(rows, 3);
	/* compaction: history before the target is gone, current state stays */
	assert_int_equal(store_compact(s, 3, &e), 1);
	assert_int_equal(store_since(s, "/core/", 1, 0, &rows, &e), -1);
	assert_string_equal(e.reason, "Compacted");
	assert_int_equal(store_list(s, "/core/", NULL, 2, 0, &rows, &more, &e), -1);
	assert_int_equal(store_list(s, "/core/", NULL, 0, 0, &rows, &more, &e), 1);
	store_rows_free(rows, 1);
	store_close(s);
	/* reopen: revisions keep increasing even though the newest rows were compacted */
	s = store_open(dir, &e);
	assert_non_null(s);
	assert_int_equal(store_rev(s), 4);
	assert_int_equal(store_compact_rev(s), 3);
	assert_int_equal(store_create(s, "/core/configmaps/a/z", "{}", &e), 5);
	store_close(s);
	rmdir_all(dir);
	free(dir);
}

static bool lbl(const char *sel_text, const char *labels_json)
{
	lsel s;
	err e = {0};
	assert_int_equal(sel_parse_labels(&s, sel_text, &e), 0);
	cJSON *l = cJSON_Parse(labels_json);
	bool m = lsel_matches(&s, l);
	cJSON_Delete(l);
	lsel_release(&s);
	return m;
}

static void label_selectors(void **state)
{
	(void)state;
	assert_true(lbl("", "{}"));
	assert_true(lbl("app=x", "{\"app\":\"x\"}"));
	assert_true(lbl("app==x", "{\"app\":\"x\"}"));
	assert_false(lbl("app=x", "{\"app\":\"y\"}"));
	assert_true(lbl("app!=x", "{}"));
	assert_true(lbl("app in (a, b),tier", "{\"app\":\"b\",\"tier\":\"\"}"));
	assert_false(lbl("app notin (a,b)", "{\"app\":\"a\"}"));
	assert_true(lbl("!gone", "{\"app\":\"a\"}"));
	assert_true(lbl("n>3,n<10", "{\"n\":\"5\"}"));
	assert_false(lbl("n>3", "{\"n\":\"x\"}"));
	assert_true(lbl("example.com/app=x", "{\"example.com/app\":\"x\"}"));
	assert_false(lbl("n<3", "{}"));
	assert_true(lbl("app in (),x notin ()", "{\"app\":\"\"}"));
	/* the API server's own messages (not labelsel's) */
	lsel s;
	err e = {0};
	assert_int_equal(sel_parse_labels(&s, "app in (a", &e), -1);
	assert_string_equal(e.reason, "BadRequest");
	assert_string_equal(e.msg, "unable to parse requirement: found unexpected token, expected: "
				   "',' or ')' in app in (a");
	assert_int_equal(s.n, 0);
	err_clear(&e);
	assert_int_equal(sel_parse_labels(&s, "a b", &e), -1);
	assert_string_equal(e.msg, "unable to parse requirement: found unexpected token, expected: "
				   "in, notin, =, ==, !=, gt, lt in a b");
	err_clear(&e);
	assert_int_equal(sel_parse_labels(&s, "-bad=x", &e), -1);
	assert_string_equal(e.msg, "unable to parse requirement: values[0][-bad]: Invalid value: "
				   "\"-bad\": name part must consist of alphanumeric characters, "
				   "'-', '_' or '.', and must start and end with an alphanumeric "
				   "character");
	err_clear(&e);
	assert_int_equal(sel_parse_labels(&s, "n>x", &e), -1);
	assert_string_equal(e.msg, "unable to parse requirement: for 'Gt', 'Lt' operators, the "
				   "value must be an integer in n>x");
	err_clear(&e);
	assert_int_equal(sel_parse_labels(&s, "a=-x", &e), -1);
	assert_string_equal(e.msg, "unable to parse requirement: invalid label value in a=-x");
	err_clear(&e);
	/* key prefixes are DNS-1123 subdomains, as object labels (names.c) */
	assert_int_equal(sel_parse_labels(&s, "a..b/x=y", &e), -1);
	err_clear(&e);
}

static void name_rules(void **state)
{
	(void)state;
	assert_true(names_dns_label("a-1", 3, 63));
	assert_false(names_dns_label("-a", 2, 63));
	assert_false(names_dns_label("A", 1, 63));
	assert_false(names_dns_label("abc", 3, 2));
	assert_true(names_dns_subdomain("a.b-c.d", 7));
	assert_false(names_dns_subdomain("a..b", 4));
	assert_false(names_dns_subdomain(".a", 2));
	assert_false(names_dns_subdomain("a.", 2));
	assert_false(names_dns_subdomain("a.-b", 4));
	assert_false(names_dns_subdomain("", 0));
	assert_true(names_label_value("", 0));
	assert_true(names_label_value("My_v.1", 6));
	assert_false(names_label_value("_x", 2));
	assert_false(names_label_value("a/b", 3));
	assert_true(names_label_key("example.com/App", 15));
	assert_false(names_label_key("example.com/", 12));
	assert_false(names_label_key("/x", 2));
	assert_false(names_label_key("Example.com/x", 13));
	assert_false(names_label_key("", 0));
}

static const char *getf(const cJSON *o, const char *f, char *tmp, size_t n)
{
	(void)tmp;
	(void)n;
	const cJSON *m = cJSON_GetObjectItem(o, "metadata");
	if (!strcmp(f, "metadata.name"))
		return cJSON_GetStringValue(cJSON_GetObjectItem(m, "name"));
	return NULL;
}

static void field_selectors(void **state)
{
	(void)state;
	sel s;
	err e = {0};
	assert_int_equal(sel_parse_fields(&s, "metadata.name=a\\,b,metadata.namespace!=x", &e), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.terms[0].values[0], "a,b");
	assert_int_equal(s.terms[1].op, SEL_NE);
	cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"a,b\"}}");
	assert_true(sel_match_fields(&s, o, getf));
	assert_string_equal(sel_fixed_value(&s, "metadata.name"), "a,b");
	cJSON_Delete(o);
	sel_release(&s);
	assert_int_equal(sel_parse_fields(&s, "nooperator", &e), -1);
}

/* A helm-style protobuf Secret: k8s\0 + Unknown{typeMeta{v1,Secret}, raw=Secret{...}}. */
static size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		p[n++] = (unsigned char)(c | (v ? 0x80 : 0));
	} while (v);
	return n;
}

static size_t put_bytes(unsigned char *p, unsigned field, const void *d, size_t n)
{
	size_t o = put_varint(p, (uint64_t)(field << 3 | 2));
	o += put_varint(p + o, n);
	memcpy(p + o, d, n);
	return o + n;
}

static void protobuf_secret(void **state)
{
	(void)state;
	unsigned char meta[256], entry[64], lab[64], secret[512], tm[64], env[1024];
	size_t m = 0, n;
	m += put_bytes(meta + m, 1, "sh.helm.release.v1.r1.v1", 24);
	m += put_bytes(meta + m, 3, "default", 7);
	m += put_bytes(meta + m, 5, "", 0);
	n = put_bytes(lab, 1, "owner", 5);
	n += put_bytes(lab + n, 2, "helm", 4);
	m += put_bytes(meta + m, 11, lab, n);
	size_t s = put_bytes(secret, 1, meta, m);
	n = put_bytes(entry, 1, "release", 7);
	n += put_bytes(entry + n, 2, "\x01\x02\xff", 3);
	s += put_bytes(secret + s, 2, entry, n);
	s += put_bytes(secret + s, 3, "helm.sh/release.v1", 18);
	size_t t = put_bytes(tm, 1, "v1", 2);
	t += put_bytes(tm + t, 2, "Secret", 6);
	memcpy(env, "k8s\0", 4);
	size_t o = 4 + put_bytes(env + 4, 1, tm, t);
	o += put_bytes(env + o, 2, secret, s);
	err e = {0};
	cJSON *j = pb_decode(env, o, &e);
	assert_non_null(j);
	char *txt = cJSON_PrintUnformatted(j);
	assert_string_equal(txt,
			    "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":"
			    "\"sh.helm.release.v1.r1.v1\",\"namespace\":\"default\",\"labels\":"
			    "{\"owner\":\"helm\"}},\"data\":{\"release\":\"AQL/\"},\"type\":"
			    "\"helm.sh/release.v1\"}");
	free(txt);
	cJSON_Delete(j);
	/* every truncation fails cleanly */
	for (size_t cut = 0; cut < o; cut++) {
		j = pb_decode(env, cut, &e);
		cJSON_Delete(j);
	}
	/* DeleteOptions */
	unsigned char dopt[64], env2[128];
	size_t d = put_bytes(dopt, 4, "Background", 10);
	t = put_bytes(tm, 1, "v1", 2);
	t += put_bytes(tm + t, 2, "DeleteOptions", 13);
	memcpy(env2, "k8s\0", 4);
	o = 4 + put_bytes(env2 + 4, 1, tm, t);
	o += put_bytes(env2 + o, 2, dopt, d);
	j = pb_decode(env2, o, &e);
	assert_non_null(j);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "propagationPolicy")),
			    "Background");
	cJSON_Delete(j);
	assert_null(pb_decode((const unsigned char *)"json", 4, &e));
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_revisions_and_cas),
		cmocka_unit_test(label_selectors),
		cmocka_unit_test(name_rules),
		cmocka_unit_test(field_selectors),
		cmocka_unit_test(protobuf_secret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
