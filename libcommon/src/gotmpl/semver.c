/* Sprig's semver and semverCompare, and the methods of the *semver.Version values semver gives,
 * on Masterminds/semver v3 NewVersion and NewConstraint/Check, which live in format
 * (eddy/semver.h) with the rest of Eddy's version handling. */
#include "eddy/mem.h"
#include "eddy/semver.h"
#include "gotmpl/fn.h"
#include "gotmpl/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef semver semv;

/* NewVersion with Masterminds' error texts as template errors. */
static int semv_parse(const char *s, semv *v, err *e)
{
	int rc = semver_parse_go(s, v);
	return rc ? tmpl_fail(e, "%s", semver_strerror(rc)) : 0;
}

FN(semverCompare)
{
	(void)x;
	(void)argc;
	if (memchr(S(1), 0, argv[1].u.s->len))
		return tmpl_fail(e, "invalid semantic version");
	if (memchr(S(0), 0, argv[0].u.s->len))
		return tmpl_fail(e, "improper constraint: %s", S(0));
	semv v;
	if (semv_parse(S(1), &v, e))
		return -1;
	char msg[ERR_MSG_MAX];
	semver_range *r = semver_constraint_parse(S(0), msg, sizeof msg);
	if (!r)
		return tmpl_fail(e, "%s", msg);
	*out = tmpl_bool(semver_range_match(r, &v));
	semver_range_free(r);
	return 0;
}

/* ---- the methods of *semver.Version and semver.Version ---- */

/* Each method's receiver is the version's Original string, parsed again on the call (a method
 * value cannot hold the struct it belongs to without a reference cycle). */
static tmpl_val semv_value(const semv *v, tmpl_val original, bool ptr);

/* The version an argument of type *semver.Version holds; -2 (Go's argument error, not wrapped
 * as the method's) for any other value. */
static int semv_arg(const tmpl_val *argv, int argc, const char *name, semv *o, err *e)
{
	if (argc != 1)
		return err_fail(e, "TemplateError", "wrong number of args for %s: want 1 got %d",
				name, argc), -2;
	tmpl_val a = argv[0];
	tmpl_val *orig = a.kind == TV_MAP ? tmpl_map_get(a, "Original") : NULL;
	if (a.kind != TV_MAP || a.sub != TV_SUB_STRUCT || !a.u.m->gotype ||
	    strcmp(a.u.m->gotype, "*semver.Version") || !orig || orig->kind != TV_STRING)
		return err_fail(e, "TemplateError", "wrong type for value; expected "
				"*semver.Version; got %s", tv_type_name(a)), -2;
	return semv_parse(orig->u.s->data, o, e);
}

static int semv_compare_with(tmpl_val recv, int argc, const tmpl_val *argv, const char *name,
			     int *res, err *e)
{
	semv a, b;
	int rc = semv_arg(argv, argc, name, &b, e);
	if (rc)
		return rc;
	if (semv_parse(recv.u.s->data, &a, e))
		return -1;
	*res = semver_cmp(&a, &b);
	return 0;
}

#define SEMV_CMP_METHOD(NAME, EXPR)                                                           \
	static int m_##NAME(tmpl_exec *x, tmpl_val recv, int argc, const tmpl_val *argv,    \
			    tmpl_val *out, err *e)                                            \
	{                                                                                     \
		(void)x;                                                                      \
		int c;                                                                        \
		int rc = semv_compare_with(recv, argc, argv, #NAME, &c, e);                  \
		if (rc)                                                                       \
			return rc;                                                            \
		*out = EXPR;                                                                  \
		return 0;                                                                     \
	}
SEMV_CMP_METHOD(Compare, tmpl_int(c))
SEMV_CMP_METHOD(Equal, tmpl_bool(c == 0))
SEMV_CMP_METHOD(LessThan, tmpl_bool(c < 0))
SEMV_CMP_METHOD(LessThanEqual, tmpl_bool(c <= 0))
SEMV_CMP_METHOD(GreaterThan, tmpl_bool(c > 0))
SEMV_CMP_METHOD(GreaterThanEqual, tmpl_bool(c >= 0))

static tmpl_val buf_take_str(buf *b)
{
	tmpl_val v = tmpl_strn(b->data ? b->data : "", b->len);
	buf_release(b);
	return v;
}

static void semv_string(buf *b, const semv *v)
{
	buf_addf(b, "%llu.%llu.%llu", (unsigned long long)v->major, (unsigned long long)v->minor,
		 (unsigned long long)v->patch);
	if (v->pre[0])
		buf_addf(b, "-%s", v->pre);
	if (v->meta[0])
		buf_addf(b, "+%s", v->meta);
}

/* String and IncPatch/IncMinor/IncMajor (which drop prerelease and metadata, keep a "v"). */
static int semv_derive(tmpl_val recv, int argc, const char *name, int what, tmpl_val *out,
		       err *e)
{
	if (argc != 0)
		return err_fail(e, "TemplateError", "wrong number of args for %s: want 0 got %d",
				name, argc), -2;
	semv v;
	if (semv_parse(recv.u.s->data, &v, e))
		return -1;
	buf b;
	buf_init(&b, (size_t)-1);
	if (what == 0) {
		semv_string(&b, &v);
		*out = buf_take_str(&b);
		return 0;
	}
	if (what == 1 && !v.pre[0])
		v.patch++;
	if (what == 2) {
		v.minor++;
		v.patch = 0;
	}
	if (what == 3) {
		v.major++;
		v.minor = v.patch = 0;
	}
	v.pre[0] = v.meta[0] = '\0';
	if (recv.u.s->data[0] == 'v')
		buf_addc(&b, 'v');
	semv_string(&b, &v);
	tmpl_val orig = buf_take_str(&b);
	*out = semv_value(&v, orig, false);
	tmpl_val_free(orig);
	return 0;
}

#define SEMV_DERIVE_METHOD(NAME, WHAT)                                                        \
	static int m_##NAME(tmpl_exec *x, tmpl_val recv, int argc, const tmpl_val *argv,    \
			    tmpl_val *out, err *e)                                            \
	{                                                                                     \
		(void)x;                                                                      \
		(void)argv;                                                                   \
		return semv_derive(recv, argc, #NAME, WHAT, out, e);                         \
	}
SEMV_DERIVE_METHOD(String, 0)
SEMV_DERIVE_METHOD(IncPatch, 1)
SEMV_DERIVE_METHOD(IncMinor, 2)
SEMV_DERIVE_METHOD(IncMajor, 3)

/* *semver.Version (ptr) or the semver.Version value the Inc methods return: the fields as Go's
 * methods of the same names give them, the methods above, printing and JSON as String(). */
static tmpl_val semv_value(const semv *v, tmpl_val original, bool ptr)
{
	tmpl_val st = tmpl_struct_new();
	tmpl_map_set(st, "Major", tmpl_int64((int64_t)v->major));
	tmpl_map_set(st, "Minor", tmpl_int64((int64_t)v->minor));
	tmpl_map_set(st, "Patch", tmpl_int64((int64_t)v->patch));
	tmpl_map_set(st, "Prerelease", tmpl_str(v->pre));
	tmpl_map_set(st, "Metadata", tmpl_str(v->meta));
	if (ptr) /* Original has a pointer receiver */
		tmpl_map_set(st, "Original", tmpl_ref(original));
	static const struct {
		const char *name;
		tmpl_method_fn fn;
		bool ptr;
	} methods[] = {
		{"String", m_String, false},
		{"IncPatch", m_IncPatch, false},
		{"IncMinor", m_IncMinor, false},
		{"IncMajor", m_IncMajor, false},
		{"Compare", m_Compare, true},
		{"Equal", m_Equal, true},
		{"LessThan", m_LessThan, true},
		{"LessThanEqual", m_LessThanEqual, true},
		{"GreaterThan", m_GreaterThan, true},
		{"GreaterThanEqual", m_GreaterThanEqual, true},
	};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		if (!ptr && methods[i].ptr)
			continue;
		tmpl_val m = tmpl_method(methods[i].fn, methods[i].name, tmpl_ref(original));
		tmpl_map_set(st, methods[i].name, m);
	}
	buf b;
	buf_init(&b, (size_t)-1);
	semv_string(&b, v);
	st.u.m->stringer = buf_detach(&b, NULL);
	st.u.m->gotype = ptr ? "*semver.Version" : "semver.Version";
	st.u.m->marshal = xstrdup(st.u.m->stringer);
	return st;
}

FN(semver)
{
	(void)x;
	(void)argc;
	semv v;
	if (memchr(S(0), 0, argv[0].u.s->len))
		return tmpl_fail(e, "invalid semantic version");
	if (semv_parse(S(0), &v, e))
		return -1;
	*out = semv_value(&v, argv[0], true);
	return 0;
}

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"semverCompare", fn_semverCompare, "ss"},
	{"semver", fn_semver, "s"},
};

const tv_family tv_family_semver = {funcs, sizeof funcs / sizeof *funcs};
