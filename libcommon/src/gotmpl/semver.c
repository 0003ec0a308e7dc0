/* Sprig's semver and semverCompare: Masterminds/semver v3 NewVersion (coercing) and
 * NewConstraint/Check, including its regular expressions (run on PCRE2 with Go's \s), hyphen
 * range rewriting, wildcard ("dirty") constraints and the prerelease rules. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "eddy/mem.h"
#include "gotmpl/fn.h"
#include "gotmpl/internal.h"

#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef struct semv {
	uint64_t maj, min, pat;
	char *pre, *meta; /* owned; "" when absent */
} semv;

static void semv_release(semv *v)
{
	free(v->pre);
	free(v->meta);
	v->pre = v->meta = NULL;
}

static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '-'; }

/* Dot-separated non-empty identifiers of [0-9A-Za-z-]; returns the length consumed or 0. */
static size_t idents(const char *p)
{
	size_t i = 0;
	for (;;) {
		size_t st = i;
		while (ident_char(p[i]))
			i++;
		if (i == st)
			return 0;
		if (p[i] != '.' || !ident_char(p[i + 1]))
			return i;
		i++;
	}
}

static bool num(const char **p, uint64_t *out)
{
	const char *s = *p;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	*out = v;
	*p = end;
	return errno == 0;
}

/* semver.NewVersion: `v?N(.N)?(.N)?(-pre)?(+meta)?`, missing parts are 0, a numeric prerelease
 * part may not start with 0. */
static int semv_parse(const char *s, semv *v, err *e)
{
	memset(v, 0, sizeof *v);
	const char *p = s;
	if (*p == 'v')
		p++;
	uint64_t *parts[3] = {&v->maj, &v->min, &v->pat};
	for (int i = 0; i < 3; i++) {
		if (i && (*p != '.' || !isdigit((unsigned char)p[1])))
			break;
		if (i)
			p++;
		if (!num(&p, parts[i]))
			return tmpl_fail(e, isdigit((unsigned char)*p) || i ? "Error parsing version "
					 "segment: value out of range" : "invalid semantic version");
	}
	size_t pl = 0, ml = 0;
	const char *pre = NULL, *meta = NULL;
	if (*p == '-') {
		pre = p + 1;
		if (!(pl = idents(pre)))
			return tmpl_fail(e, "invalid semantic version");
		p = pre + pl;
	}
	if (*p == '+') {
		meta = p + 1;
		if (!(ml = idents(meta)))
			return tmpl_fail(e, "invalid semantic version");
		p = meta + ml;
	}
	if (*p)
		return tmpl_fail(e, "invalid semantic version");
	if (pre)
		for (size_t i = 0; i < pl;) {
			size_t n = strcspn(pre + i, ".");
			if (n > pl - i)
				n = pl - i;
			if (n > 1 && pre[i] == '0' && strspn(pre + i, "0123456789") >= n)
				return tmpl_fail(e, "version segment starts with 0");
			i += n + 1;
		}
	v->pre = xstrndup(pre ? pre : "", pl);
	v->meta = xstrndup(meta ? meta : "", ml);
	return 0;
}

static int pre_part_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	if (la == lb && !memcmp(a, b, la))
		return 0;
	if (!la)
		return -1;
	if (!lb)
		return 1;
	bool na = strspn(a, "0123456789") >= la, nb = strspn(b, "0123456789") >= lb;
	if (na && nb) {
		unsigned long long x = strtoull(a, NULL, 10), y = strtoull(b, NULL, 10);
		return x < y ? -1 : x > y;
	}
	if (na)
		return -1;
	if (nb)
		return 1;
	size_t m = la < lb ? la : lb;
	int c = memcmp(a, b, m);
	if (c)
		return c < 0 ? -1 : 1;
	return la < lb ? -1 : la > lb;
}

static int pre_cmp(const char *a, const char *b)
{
	if (!strcmp(a, b))
		return 0;
	if (!*a)
		return 1;
	if (!*b)
		return -1;
	while (*a || *b) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		int c = pre_part_cmp(a, la, b, lb);
		if (c)
			return c;
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
	return 0;
}

static int semv_cmp(const semv *a, const semv *b)
{
	if (a->maj != b->maj)
		return a->maj < b->maj ? -1 : 1;
	if (a->min != b->min)
		return a->min < b->min ? -1 : 1;
	if (a->pat != b->pat)
		return a->pat < b->pat ? -1 : 1;
	return pre_cmp(a->pre, b->pre);
}

/* ---- constraints ---- */

#define WS "[\\t\\n\\f\\r ]"
#define CV "v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?" \
	   "(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
#define OPS "=||!=|>|<|>=|=>|<=|=<|~|~>|\\^"

static const char *const re_src[4] = {
	"^" WS "*(" OPS ")" WS "*(" CV ")" WS "*$",                              /* constraint */
	WS "*(" CV ")" WS "+-" WS "+(" CV ")" WS "*",                            /* range */
	"(" OPS ")" WS "*(" CV ")",                                              /* find */
	"^(" WS "*(" OPS ")" WS "*(" CV ")" WS "*)((?:" WS "+|," WS "*)(" OPS ")" WS "*(" CV ")" WS
	"*)*$",                                                                   /* valid */
};

typedef struct cons {
	char op[3];
	semv con;
	char *orig;
	bool dirty, minor_dirty, patch_dirty;
} cons;

typedef struct re_set { pcre2_code *re[4]; pcre2_match_data *md; } re_set;

static void res_free(re_set *r)
{
	for (int i = 0; i < 4; i++)
		pcre2_code_free(r->re[i]);
	pcre2_match_data_free(r->md);
}

static int res_init(re_set *r, err *e)
{
	memset(r, 0, sizeof *r);
	for (int i = 0; i < 4; i++) {
		int ec;
		PCRE2_SIZE eo;
		r->re[i] = pcre2_compile((PCRE2_SPTR)re_src[i], PCRE2_ZERO_TERMINATED, 0, &ec, &eo,
					 NULL);
		if (!r->re[i]) {
			res_free(r);
			return tmpl_fail(e, "semver: internal regexp error");
		}
	}
	r->md = pcre2_match_data_create(32, NULL);
	return 0;
}

/* Match re at or after start; ov gets the offsets. */
static bool rmatch(re_set *r, int which, const char *s, size_t n, size_t start, PCRE2_SIZE **ov)
{
	int rc = pcre2_match(r->re[which], (PCRE2_SPTR)s, n, start, 0, r->md, NULL);
	*ov = pcre2_get_ovector_pointer(r->md);
	return rc > 0;
}

static bool is_x(const char *s, size_t n)
{
	return n == 1 && (*s == 'x' || *s == 'X' || *s == '*');
}

static int parse_one(re_set *r, const char *s, size_t n, cons *c, err *e)
{
	memset(c, 0, sizeof *c);
	PCRE2_SIZE *ov;
	if (!rmatch(r, 0, s, n, 0, &ov))
		return tmpl_fail(e, "improper constraint: %.*s", (int)n, s);
	snprintf(c->op, sizeof c->op, "%.*s", (int)(ov[3] - ov[2]), s + ov[2]);
	c->orig = xstrndup(s + ov[4], ov[5] - ov[4]);
#define G(i) (ov[2 * (i)] == PCRE2_UNSET ? "" : s + ov[2 * (i)])
#define GL(i) (ov[2 * (i)] == PCRE2_UNSET ? 0 : (int)(ov[2 * (i) + 1] - ov[2 * (i)]))
	char *ver;
	if (is_x(G(3), (size_t)GL(3)) || !GL(3)) {
		ver = xasprintf("0.0.0%.*s", GL(6), G(6));
		c->dirty = true;
	} else if (!GL(4) || is_x(G(4) + 1, (size_t)GL(4) - 1)) {
		ver = xasprintf("%.*s.0.0%.*s", GL(3), G(3), GL(6), G(6));
		c->dirty = c->minor_dirty = true;
	} else if (!GL(5) || is_x(G(5) + 1, (size_t)GL(5) - 1)) {
		ver = xasprintf("%.*s%.*s.0%.*s", GL(3), G(3), GL(4), G(4), GL(6), G(6));
		c->dirty = c->patch_dirty = true;
	} else {
		ver = xstrdup(c->orig);
	}
#undef G
#undef GL
	err e2 = {0};
	int rc = semv_parse(ver, &c->con, &e2);
	free(ver);
	if (rc) {
		free(c->orig);
		c->orig = NULL;
		return tmpl_fail(e, "constraint Parser Error");
	}
	return 0;
}

static void cons_release(cons *c)
{
	semv_release(&c->con);
	free(c->orig);
}

static bool tilde(const semv *v, const cons *c)
{
	if (semv_cmp(v, &c->con) < 0)
		return false;
	if (!c->con.maj && !c->con.min && !c->con.pat && !c->minor_dirty && !c->patch_dirty)
		return true;
	if (v->maj != c->con.maj)
		return false;
	if (v->min != c->con.min && !c->minor_dirty)
		return false;
	return true;
}

/* A prerelease version only satisfies a constraint with a prerelease, unless some constraint
 * of the same AND group has one (include_pre). */
static bool check(const semv *v, const cons *c, bool include_pre)
{
	const char *op = c->op;
	const semv *k = &c->con;
	if (!include_pre && v->pre[0] && !k->pre[0])
		return false;
	if (!strcmp(op, "!=")) {
		if (c->dirty) {
			if (k->maj != v->maj)
				return true;
			if (k->min != v->min && !c->minor_dirty)
				return true;
			if (c->minor_dirty)
				return false;
			if (k->pat != v->pat && !c->patch_dirty)
				return true;
			if (c->patch_dirty) {
				if (v->pre[0] || k->pre[0])
					return pre_cmp(v->pre, k->pre) != 0;
				return false;
			}
		}
		return semv_cmp(v, k) != 0;
	}
	if (!*op || !strcmp(op, "="))
		return c->dirty ? tilde(v, c) : semv_cmp(v, k) == 0;
	if (!strcmp(op, ">")) {
		if (!c->dirty)
			return semv_cmp(v, k) > 0;
		if (v->maj != k->maj)
			return v->maj > k->maj;
		if (c->minor_dirty)
			return false;
		if (c->patch_dirty)
			return v->min > k->min;
		return semv_cmp(v, k) > 0;
	}
	if (!strcmp(op, "<"))
		return semv_cmp(v, k) < 0;
	if (!strcmp(op, ">=") || !strcmp(op, "=>"))
		return semv_cmp(v, k) >= 0;
	if (!strcmp(op, "<=") || !strcmp(op, "=<")) {
		if (!c->dirty)
			return semv_cmp(v, k) <= 0;
		if (v->maj > k->maj)
			return false;
		if (v->maj == k->maj && v->min > k->min && !c->minor_dirty)
			return false;
		return true;
	}
	if (op[0] == '~')
		return tilde(v, c);
	/* ^ */
	if (semv_cmp(v, k) < 0)
		return false;
	if (k->maj > 0 || c->minor_dirty)
		return v->maj == k->maj;
	if (v->maj > 0)
		return false;
	if (k->min > 0 || c->patch_dirty)
		return v->min == k->min;
	if (v->min > 0)
		return false;
	return k->pat == v->pat;
}

/* rewriteRange: "A - B" becomes ">= A, <= B" (each match's text replaced at its first
 * occurrence, as strings.Replace(o, m, t, 1) does). */
static char *rewrite_range(re_set *r, const char *c)
{
	size_t n = strlen(c), pos = 0;
	char *o = xstrdup(c);
	PCRE2_SIZE *ov;
	while (pos <= n && rmatch(r, 1, c, n, pos, &ov)) {
		size_t ms = ov[0], me = ov[1];
		char *a = xstrndup(c + ov[2], ov[3] - ov[2]);
		char *b = xstrndup(c + ov[22], ov[23] - ov[22]);
		char *t = xasprintf(">= %s, <= %s ", a, b);
		char *m = xstrndup(c + ms, me - ms);
		char *at = strstr(o, m);
		if (at) {
			char *no = xasprintf("%.*s%s%s", (int)(at - o), o, t, at + strlen(m));
			free(o);
			o = no;
		}
		free(a);
		free(b);
		free(t);
		free(m);
		pos = me > ms ? me : me + 1;
	}
	return o;
}

/* NewConstraint(constraint).Check(v). */
static int semver_check(const char *constraint, const semv *v, bool *res, err *e)
{
	re_set r;
	if (res_init(&r, e))
		return -1;
	char *c = rewrite_range(&r, constraint);
	int rc = 0;
	bool any = false;
	/* parse every OR group first (errors win over matches), then check */
	size_t ncs = 0, cap = 0;
	cons *cs = NULL;
	size_t *group_end = NULL, ngroups = 0;
	for (char *p = c;;) {
		char *bar = strstr(p, "||");
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		PCRE2_SIZE *ov;
		if (!rmatch(&r, 3, p, n, 0, &ov)) {
			rc = tmpl_fail(e, "improper constraint: %.*s", (int)n, p);
			break;
		}
		size_t pos = 0, found = 0;
		while (pos <= n && rmatch(&r, 2, p, n, pos, &ov)) {
			if (ncs == cap)
				cs = xrealloc(cs, (cap = cap ? 2 * cap : 8) * sizeof *cs);
			size_t ms = ov[0], me = ov[1]; /* parse_one reuses the match data */
			if (parse_one(&r, p + ms, me - ms, &cs[ncs], e)) {
				rc = -1;
				break;
			}
			ncs++;
			found++;
			pos = me > ms ? me : me + 1;
		}
		if (!rc && !found) {
			if (ncs == cap)
				cs = xrealloc(cs, (cap = cap ? 2 * cap : 8) * sizeof *cs);
			if (parse_one(&r, p, n, &cs[ncs], e))
				rc = -1;
			else
				ncs++;
		}
		if (rc)
			break;
		group_end = xrealloc(group_end, (ngroups + 1) * sizeof *group_end);
		group_end[ngroups++] = ncs;
		if (!bar)
			break;
		p = bar + 2;
	}
	if (!rc) {
		size_t st = 0;
		for (size_t g = 0; g < ngroups && !any; g++) {
			bool joy = true, include_pre = false;
			for (size_t i = st; i < group_end[g]; i++)
				include_pre = include_pre || cs[i].con.pre[0];
			for (size_t i = st; i < group_end[g] && joy; i++)
				joy = check(v, &cs[i], include_pre);
			any = joy;
			st = group_end[g];
		}
		*res = any;
	}
	for (size_t i = 0; i < ncs; i++)
		cons_release(&cs[i]);
	free(cs);
	free(group_end);
	free(c);
	res_free(&r);
	return rc;
}

FN(semverCompare)
{
	(void)x;
	(void)argc;
	semv v;
	if (memchr(S(1), 0, argv[1].u.s->len))
		return tmpl_fail(e, "invalid semantic version");
	if (memchr(S(0), 0, argv[0].u.s->len))
		return tmpl_fail(e, "improper constraint: %s", S(0));
	if (semv_parse(S(1), &v, e))
		return -1;
	bool r = false;
	int rc = semver_check(S(0), &v, &r, e);
	semv_release(&v);
	if (rc)
		return -1;
	*out = tmpl_bool(r);
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
	if (semv_parse(recv.u.s->data, &a, e)) {
		semv_release(&b);
		return -1;
	}
	*res = semv_cmp(&a, &b);
	semv_release(&a);
	semv_release(&b);
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
	buf_addf(b, "%llu.%llu.%llu", (unsigned long long)v->maj, (unsigned long long)v->min,
		 (unsigned long long)v->pat);
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
		semv_release(&v);
		return 0;
	}
	if (what == 1 && !v.pre[0])
		v.pat++;
	if (what == 2) {
		v.min++;
		v.pat = 0;
	}
	if (what == 3) {
		v.maj++;
		v.min = v.pat = 0;
	}
	v.pre[0] = v.meta[0] = '\0';
	if (recv.u.s->data[0] == 'v')
		buf_addc(&b, 'v');
	semv_string(&b, &v);
	tmpl_val orig = buf_take_str(&b);
	*out = semv_value(&v, orig, false);
	tmpl_val_free(orig);
	semv_release(&v);
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
	tmpl_map_set(st, "Major", tmpl_int64((int64_t)v->maj));
	tmpl_map_set(st, "Minor", tmpl_int64((int64_t)v->min));
	tmpl_map_set(st, "Patch", tmpl_int64((int64_t)v->pat));
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
	semv_release(&v);
	return 0;
}

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"semverCompare", fn_semverCompare, "ss"},
	{"semver", fn_semver, "s"},
};

const tv_family tv_family_semver = {funcs, sizeof funcs / sizeof *funcs};
