/* Go's builtin template functions and Sprig's string, list, dict and math functions. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"
#include "gotmpl/funcs.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FN(name) int fn_##name(tmpl_exec *x, int argc, tmpl_val *argv, tmpl_val *out, err *e)
#define S(i) (argv[i].u.s->data)
#define SLEN(i) (argv[i].u.s->len)

static tmpl_val str_from_buf(buf *b)
{
	size_t n;
	char *s = buf_detach(b, &n);
	return tmpl_str_take(s, n);
}

/* ---- helpers ---- */

char *tv_to_string(tmpl_val v)
{
	buf b;
	buf_init(&b, (size_t)-1);
	if (v.kind == TV_STRING)
		buf_add(&b, v.u.s->data, v.u.s->len);
	else
		tv_print_v(&b, v, false);
	return buf_detach(&b, NULL);
}

bool tv_empty(tmpl_val v)
{
	return !tmpl_truth(v) && !(v.kind == TV_MAP && v.sub == TV_SUB_STRUCT);
}

bool tv_equal(tmpl_val a, tmpl_val b)
{
	if (a.kind != b.kind)
		return false;
	switch (a.kind) {
	case TV_NIL: return true;
	case TV_BOOL: return a.u.b == b.u.b;
	case TV_INT: return a.sub == b.sub && a.u.i == b.u.i;
	case TV_FLOAT: return a.u.f == b.u.f;
	case TV_STRING:
		return a.sub == b.sub && a.u.s->len == b.u.s->len &&
		       !memcmp(a.u.s->data, b.u.s->data, a.u.s->len);
	case TV_LIST:
		if (a.u.l->n != b.u.l->n || a.sub != b.sub)
			return false;
		for (size_t i = 0; i < a.u.l->n; i++)
			if (!tv_equal(a.u.l->items[i], b.u.l->items[i]))
				return false;
		return true;
	case TV_MAP:
		if (a.u.m->n != b.u.m->n || a.sub != b.sub)
			return false;
		for (size_t i = 0; i < a.u.m->n; i++)
			if (strcmp(a.u.m->keys[i], b.u.m->keys[i]) ||
			    !tv_equal(a.u.m->vals[i], b.u.m->vals[i]))
				return false;
		return true;
	default: return a.u.fn == b.u.fn;
	}
}

/* cast.ToInt64E-like conversion; returns false when not convertible. */
bool tv_to_int64(tmpl_val v, int64_t *out)
{
	switch (v.kind) {
	case TV_INT: *out = v.u.i; return true;
	case TV_FLOAT:
		if (isnan(v.u.f) || fabs(v.u.f) > 9.2e18)
			*out = INT64_MIN;
		else
			*out = (int64_t)v.u.f;
		return true;
	case TV_BOOL: *out = v.u.b; return true;
	case TV_NIL: *out = 0; return true;
	case TV_STRING: {
		char tmp[64];
		size_t n = v.u.s->len;
		if (n == 0 || n >= sizeof tmp) {
			*out = 0;
			return n == 0 ? true : false;
		}
		memcpy(tmp, v.u.s->data, n);
		tmp[n] = 0;
		/* trimZeroDecimal: "3.000" -> "3" */
		char *dot = strchr(tmp, '.');
		if (dot) {
			char *q = dot + 1;
			while (*q == '0')
				q++;
			if (*q == 0 && q > dot + 1)
				*dot = 0;
		}
		char *end;
		errno = 0;
		const char *p = tmp;
		bool neg = false;
		if (*p == '+' || *p == '-')
			neg = *p++ == '-';
		int base = 10;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			base = 16, p += 2;
		else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
			base = 2, p += 2;
		else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
			base = 8, p += 2;
		else if (p[0] == '0' && p[1])
			base = 8, p += 1;
		if (!*p || *p == '-' || *p == '+') {
			*out = 0;
			return false;
		}
		long long r = strtoll(p, &end, base);
		if (*end || errno) {
			*out = 0;
			return false;
		}
		*out = neg ? -r : r;
		return true;
	}
	default: *out = 0; return false;
	}
}

bool tv_to_float(tmpl_val v, double *out)
{
	switch (v.kind) {
	case TV_INT: *out = (double)v.u.i; return true;
	case TV_FLOAT: *out = v.u.f; return true;
	case TV_BOOL: *out = v.u.b; return true;
	case TV_NIL: *out = 0; return true;
	case TV_STRING: {
		char *end;
		if (!v.u.s->len) {
			*out = 0;
			return true;
		}
		*out = strtod(v.u.s->data, &end);
		if (*end) {
			*out = 0;
			return false;
		}
		return true;
	}
	default: *out = 0; return false;
	}
}

static int64_t I64(tmpl_val v)
{
	int64_t i;
	tv_to_int64(v, &i);
	return i;
}

static double F64(tmpl_val v)
{
	double f;
	tv_to_float(v, &f);
	return f;
}

/* A list view of []interface{} or []string; false for other kinds. */
static bool as_list(tmpl_val v, size_t *n, tmpl_val **items)
{
	if (v.kind != TV_LIST)
		return false;
	*n = v.u.l->n;
	*items = v.u.l->items;
	return true;
}

static tmpl_val list_copy_of(size_t n, const tmpl_val *items, int sub)
{
	tmpl_val l = tmpl_list_new(n);
	l.sub = (uint8_t)sub;
	for (size_t i = 0; i < n; i++)
		tmpl_list_push(&l, tmpl_ref(items[i]));
	return l;
}

/* Sprig's strslice. */
static tmpl_val strslice(tmpl_val v)
{
	tmpl_val l = tmpl_list_new(0);
	l.sub = TV_SUB_STRS;
	if (v.kind == TV_LIST) {
		for (size_t i = 0; i < v.u.l->n; i++) {
			tmpl_val it = v.u.l->items[i];
			if (it.kind == TV_NIL)
				continue;
			char *s = tv_to_string(it);
			tmpl_list_push(&l, tmpl_str_take(s, strlen(s)));
		}
	} else if (v.kind != TV_NIL) {
		char *s = tv_to_string(v);
		tmpl_list_push(&l, tmpl_str_take(s, strlen(s)));
	}
	return l;
}

/* ---- Go builtins ---- */

FN(not) { *out = tmpl_bool(!tmpl_truth(argv[0])); return 0; }

FN(len)
{
	tmpl_val v = argv[0];
	switch (v.kind) {
	case TV_STRING: *out = tmpl_int((int64_t)v.u.s->len); return 0;
	case TV_LIST: *out = tmpl_int((int64_t)v.u.l->n); return 0;
	case TV_MAP:
		if (v.sub != TV_SUB_STRUCT) {
			*out = tmpl_int((int64_t)v.u.m->n);
			return 0;
		}
		break;
	case TV_NIL: return tmpl_fail(e, "len of nil pointer");
	default: break;
	}
	return tmpl_fail(e, "len of type %s", tv_type_name(v));
}

static int index_one(tmpl_val item, tmpl_val idx, tmpl_val *out, err *e, bool slice_ok)
{
	(void)slice_ok;
	if (item.kind == TV_LIST || (item.kind == TV_STRING)) {
		if (idx.kind != TV_INT)
			return tmpl_fail(e, "cannot index slice/array with type %s",
					 tv_type_name(idx));
		size_t n = item.kind == TV_LIST ? item.u.l->n : item.u.s->len;
		if (idx.u.i < 0 || (uint64_t)idx.u.i >= n)
			return tmpl_fail(e, "index out of range: %lld",
					 (long long)idx.u.i);
		if (item.kind == TV_LIST) {
			*out = tmpl_ref(item.u.l->items[idx.u.i]);
			if (out->kind == TV_NIL)
				out->sub = TV_SUB_NILIFACE;
		} else {
			*out = tmpl_int((unsigned char)item.u.s->data[idx.u.i]);
		}
		return 0;
	}
	if (item.kind == TV_MAP && item.sub != TV_SUB_STRUCT) {
		if (idx.kind == TV_NIL) {
			*out = tmpl_nil();
			return 0;
		}
		if (idx.kind != TV_STRING)
			return tmpl_fail(e, "value has type %s; should be string",
					 tv_type_name(idx));
		tmpl_val *v = tmpl_map_get(item, idx.u.s->data);
		if (v)
			*out = tmpl_ref(*v);
		else if (item.sub == TV_SUB_STRMAP)
			*out = tmpl_str("");
		else
			*out = tmpl_nil();
		if (out->kind == TV_NIL)
			out->sub = TV_SUB_NILIFACE;
		return 0;
	}
	if (item.kind == TV_NIL)
		return tmpl_fail(e, "index of untyped nil");
	return tmpl_fail(e, "can't index item of type %s", tv_type_name(item));
}

FN(index)
{
	tmpl_val cur = tmpl_ref(argv[0]);
	for (int i = 1; i < argc; i++) {
		tmpl_val nx;
		if (cur.kind == TV_NIL && cur.sub == TV_SUB_NILIFACE) {
			tmpl_val_free(cur);
			return tmpl_fail(e, "index of nil pointer");
		}
		if (index_one(cur, argv[i], &nx, e, false)) {
			tmpl_val_free(cur);
			return -1;
		}
		tmpl_val_free(cur);
		cur = nx;
	}
	*out = cur;
	return 0;
}

FN(print)
{
	buf b;
	buf_init(&b, (size_t)-1);
	tv_sprint(&b, argc, argv, false);
	*out = str_from_buf(&b);
	return 0;
}

FN(println)
{
	buf b;
	buf_init(&b, (size_t)-1);
	tv_sprint(&b, argc, argv, true);
	*out = str_from_buf(&b);
	return 0;
}

FN(printf)
{
	buf b;
	buf_init(&b, (size_t)-1);
	tv_sprintf(&b, S(0), SLEN(0), argc - 1, argv + 1);
	*out = str_from_buf(&b);
	return 0;
}

/* Go's evalArgs for html/js/urlquery: one string arg as is, else Sprint. */
static char *eval_args_str(int argc, tmpl_val *argv)
{
	if (argc == 1 && argv[0].kind == TV_STRING)
		return xstrdup(argv[0].u.s->data);
	buf b;
	buf_init(&b, (size_t)-1);
	tv_sprint(&b, argc, argv, false);
	return buf_detach(&b, NULL);
}

FN(html)
{
	char *s = eval_args_str(argc, argv);
	buf b;
	buf_init(&b, (size_t)-1);
	for (char *p = s; *p; p++) {
		switch (*p) {
		case '<': buf_adds(&b, "&lt;"); break;
		case '>': buf_adds(&b, "&gt;"); break;
		case '&': buf_adds(&b, "&amp;"); break;
		case '\'': buf_adds(&b, "&#39;"); break;
		case '"': buf_adds(&b, "&#34;"); break;
		case 0: buf_adds(&b, "\xEF\xBF\xBD"); break;
		default: buf_addc(&b, *p);
		}
	}
	free(s);
	*out = str_from_buf(&b);
	return 0;
}

FN(js)
{
	char *s = eval_args_str(argc, argv);
	buf b;
	buf_init(&b, (size_t)-1);
	for (unsigned char *p = (unsigned char *)s; *p; p++) {
		switch (*p) {
		case '\\': buf_adds(&b, "\\\\"); break;
		case '\'': buf_adds(&b, "\\'"); break;
		case '"': buf_adds(&b, "\\\""); break;
		case '<': buf_adds(&b, "\\u003C"); break;
		case '>': buf_adds(&b, "\\u003E"); break;
		case '&': buf_adds(&b, "\\u0026"); break;
		case '=': buf_adds(&b, "\\u003D"); break;
		case '\n': buf_adds(&b, "\\u000A"); break;
		case '\r': buf_adds(&b, "\\u000D"); break;
		case '\t': buf_adds(&b, "\\u0009"); break;
		default:
			if (*p < ' ')
				buf_addf(&b, "\\u%04X", *p);
			else
				buf_addc(&b, (char)*p);
		}
	}
	free(s);
	*out = str_from_buf(&b);
	return 0;
}

FN(urlquery)
{
	char *s = eval_args_str(argc, argv);
	buf b;
	buf_init(&b, (size_t)-1);
	for (unsigned char *p = (unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
			buf_addc(&b, (char)*p);
		else if (*p == ' ')
			buf_addc(&b, '+');
		else
			buf_addf(&b, "%%%02X", *p);
	}
	free(s);
	*out = str_from_buf(&b);
	return 0;
}

/* Comparisons (Go's eq/ne/lt/le/gt/ge). */
enum { K_BOOL, K_INT, K_FLOAT, K_STRING, K_OTHER, K_INVALID };
static int basic_kind(tmpl_val v)
{
	switch (v.kind) {
	case TV_BOOL: return K_BOOL;
	case TV_INT: return K_INT;
	case TV_FLOAT: return K_FLOAT;
	case TV_STRING: return v.sub == TV_SUB_STR ? K_STRING : K_OTHER;
	case TV_NIL: return v.sub ? K_OTHER : K_INVALID;
	default: return K_OTHER;
	}
}

static bool is_nilish(tmpl_val v) { return v.kind == TV_NIL; }

static int eq2(tmpl_val a, tmpl_val b, bool *res, err *e)
{
	int k1 = basic_kind(a), k2 = basic_kind(b);
	*res = false;
	if (k1 != k2) {
		if (a.kind != TV_NIL && b.kind != TV_NIL)
			return tmpl_fail(e, "incompatible types for comparison: %s and %s",
					 tv_type_name(a), tv_type_name(b));
		*res = false;
		if (a.kind == TV_NIL && b.kind == TV_NIL)
			*res = true;
		return 0;
	}
	switch (k1) {
	case K_BOOL: *res = a.u.b == b.u.b; return 0;
	case K_INT: *res = a.u.i == b.u.i; return 0;
	case K_FLOAT: *res = a.u.f == b.u.f; return 0;
	case K_STRING: *res = tv_equal(a, b); return 0;
	case K_INVALID: *res = true; return 0;
	default:
		if (is_nilish(a) || is_nilish(b)) {
			*res = is_nilish(a) == is_nilish(b);
			return 0;
		}
		if (a.kind == TV_LIST || a.kind == TV_MAP || b.kind == TV_LIST || b.kind == TV_MAP)
			return tmpl_fail(e, "non-comparable type %s: %s", "value",
					 tv_type_name(a.kind == TV_LIST || a.kind == TV_MAP ? a : b));
		*res = tv_equal(a, b);
		return 0;
	}
}

FN(eq)
{
	if (argc < 2)
		return tmpl_fail(e, "missing argument for comparison");
	for (int i = 1; i < argc; i++) {
		bool r;
		if (eq2(argv[0], argv[i], &r, e))
			return -1;
		if (r) {
			*out = tmpl_bool(true);
			return 0;
		}
	}
	*out = tmpl_bool(false);
	return 0;
}

FN(ne)
{
	bool r;
	if (eq2(argv[0], argv[1], &r, e))
		return -1;
	*out = tmpl_bool(!r);
	return 0;
}

static int lt2(tmpl_val a, tmpl_val b, bool *res, err *e)
{
	int k1 = basic_kind(a), k2 = basic_kind(b);
	if (k1 == K_OTHER || k1 == K_BOOL || k1 == K_INVALID)
		return tmpl_fail(e, "invalid type for comparison");
	if (k1 != k2)
		return tmpl_fail(e, "incompatible types for comparison: %s and %s",
				 tv_type_name(a), tv_type_name(b));
	switch (k1) {
	case K_INT: *res = a.u.i < b.u.i; return 0;
	case K_FLOAT: *res = a.u.f < b.u.f; return 0;
	default: {
		size_t n = a.u.s->len < b.u.s->len ? a.u.s->len : b.u.s->len;
		int c = memcmp(a.u.s->data, b.u.s->data, n);
		*res = c < 0 || (c == 0 && a.u.s->len < b.u.s->len);
		return 0;
	}
	}
}

FN(lt) { bool r; if (lt2(argv[0], argv[1], &r, e)) return -1; *out = tmpl_bool(r); return 0; }
FN(ge) { bool r; if (lt2(argv[0], argv[1], &r, e)) return -1; *out = tmpl_bool(!r); return 0; }
FN(le)
{
	bool r, q;
	if (lt2(argv[0], argv[1], &r, e) || eq2(argv[0], argv[1], &q, e))
		return -1;
	*out = tmpl_bool(r || q);
	return 0;
}
FN(gt)
{
	bool r, q;
	if (lt2(argv[0], argv[1], &r, e) || eq2(argv[0], argv[1], &q, e))
		return -1;
	*out = tmpl_bool(!r && !q);
	return 0;
}

FN(and_or) { (void)argv; (void)argc; *out = tmpl_nil(); return tmpl_fail(e, "internal"); }

FN(call) { return tmpl_fail(e, "call of non-function"); }

/* ---- Sprig: defaults ---- */

FN(default)
{
	if (argc < 2 || tv_empty(argv[1]))
		*out = tmpl_ref(argv[0]);
	else
		*out = tmpl_ref(argv[1]);
	if (out->kind == TV_NIL)
		out->sub = 0;
	return 0;
}

FN(empty) { *out = tmpl_bool(tv_empty(argv[0])); return 0; }

FN(coalesce)
{
	for (int i = 0; i < argc; i++)
		if (!tv_empty(argv[i])) {
			*out = tmpl_ref(argv[i]);
			return 0;
		}
	*out = tmpl_nil();
	return 0;
}

FN(all)
{
	for (int i = 0; i < argc; i++)
		if (tv_empty(argv[i])) {
			*out = tmpl_bool(false);
			return 0;
		}
	*out = tmpl_bool(true);
	return 0;
}

FN(any)
{
	for (int i = 0; i < argc; i++)
		if (!tv_empty(argv[i])) {
			*out = tmpl_bool(true);
			return 0;
		}
	*out = tmpl_bool(false);
	return 0;
}

FN(ternary) { *out = tmpl_ref(argv[2].u.b ? argv[0] : argv[1]); return 0; }

/* ---- Sprig: strings ---- */

FN(toString)
{
	char *s = tv_to_string(argv[0]);
	*out = tmpl_str_take(s, strlen(s));
	return 0;
}

FN(quote)
{
	buf b;
	buf_init(&b, (size_t)-1);
	bool first = true;
	for (int i = 0; i < argc; i++) {
		if (argv[i].kind == TV_NIL)
			continue;
		if (!first)
			buf_addc(&b, ' ');
		first = false;
		char *s = tv_to_string(argv[i]);
		tv_quote(&b, s, strlen(s));
		free(s);
	}
	*out = str_from_buf(&b);
	return 0;
}

FN(squote)
{
	buf b;
	buf_init(&b, (size_t)-1);
	bool first = true;
	for (int i = 0; i < argc; i++) {
		if (argv[i].kind == TV_NIL)
			continue;
		if (!first)
			buf_addc(&b, ' ');
		first = false;
		char *s = tv_to_string(argv[i]);
		buf_addf(&b, "'%s'", s);
		free(s);
	}
	*out = str_from_buf(&b);
	return 0;
}

FN(upper)
{
	tmpl_val r = tmpl_strn(S(0), SLEN(0));
	for (size_t i = 0; i < r.u.s->len; i++)
		r.u.s->data[i] = (char)toupper((unsigned char)r.u.s->data[i]);
	*out = r;
	return 0;
}

FN(lower)
{
	tmpl_val r = tmpl_strn(S(0), SLEN(0));
	for (size_t i = 0; i < r.u.s->len; i++)
		r.u.s->data[i] = (char)tolower((unsigned char)r.u.s->data[i]);
	*out = r;
	return 0;
}

static bool is_sep(unsigned char c)
{
	if (c >= 0x80)
		return false;
	if (isalnum(c) || c == '_')
		return false;
	return true;
}

FN(title)
{
	tmpl_val r = tmpl_strn(S(0), SLEN(0));
	bool prev_sep = true;
	for (size_t i = 0; i < r.u.s->len; i++) {
		unsigned char c = (unsigned char)r.u.s->data[i];
		if (prev_sep)
			r.u.s->data[i] = (char)toupper(c);
		prev_sep = is_sep(c);
	}
	*out = r;
	return 0;
}

FN(untitle)
{
	tmpl_val r = tmpl_strn(S(0), SLEN(0));
	bool prev_sep = true;
	for (size_t i = 0; i < r.u.s->len; i++) {
		unsigned char c = (unsigned char)r.u.s->data[i];
		if (prev_sep)
			r.u.s->data[i] = (char)tolower(c);
		prev_sep = isspace(c);
	}
	*out = r;
	return 0;
}

static bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

FN(trim)
{
	const char *s = S(0);
	size_t a = 0, b = SLEN(0);
	while (a < b && is_ws((unsigned char)s[a]))
		a++;
	while (b > a && is_ws((unsigned char)s[b - 1]))
		b--;
	*out = tmpl_strn(s + a, b - a);
	return 0;
}

static bool in_set(char c, const char *set, size_t n) { return memchr(set, c, n) != NULL; }

FN(trimAll)
{
	const char *cut = S(0), *s = S(1);
	size_t a = 0, b = SLEN(1);
	while (a < b && in_set(s[a], cut, SLEN(0)))
		a++;
	while (b > a && in_set(s[b - 1], cut, SLEN(0)))
		b--;
	*out = tmpl_strn(s + a, b - a);
	return 0;
}

FN(trimPrefix)
{
	if (SLEN(1) >= SLEN(0) && !memcmp(S(1), S(0), SLEN(0)))
		*out = tmpl_strn(S(1) + SLEN(0), SLEN(1) - SLEN(0));
	else
		*out = tmpl_ref(argv[1]);
	return 0;
}

FN(trimSuffix)
{
	if (SLEN(1) >= SLEN(0) && !memcmp(S(1) + SLEN(1) - SLEN(0), S(0), SLEN(0)))
		*out = tmpl_strn(S(1), SLEN(1) - SLEN(0));
	else
		*out = tmpl_ref(argv[1]);
	return 0;
}

FN(trunc)
{
	int64_t c = argv[0].u.i;
	size_t n = SLEN(1);
	if (c < 0 && (int64_t)n + c > 0)
		*out = tmpl_strn(S(1) + n + c, (size_t)-c);
	else if (c >= 0 && n > (size_t)c)
		*out = tmpl_strn(S(1), (size_t)c);
	else
		*out = tmpl_ref(argv[1]);
	return 0;
}

static void replace_all(buf *b, const char *s, size_t n, const char *old, size_t on,
			const char *nw, size_t nn)
{
	if (on == 0) {
		/* Go: insert new before every rune and at the end */
		for (size_t i = 0; i < n;) {
			buf_add(b, nw, nn);
			size_t k = 1;
			while (i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80)
				k++;
			buf_add(b, s + i, k);
			i += k;
		}
		buf_add(b, nw, nn);
		return;
	}
	for (size_t i = 0; i < n;) {
		if (i + on <= n && !memcmp(s + i, old, on)) {
			buf_add(b, nw, nn);
			i += on;
		} else {
			buf_addc(b, s[i++]);
		}
	}
}

FN(replace)
{
	buf b;
	buf_init(&b, 256u << 20);
	replace_all(&b, S(2), SLEN(2), S(0), SLEN(0), S(1), SLEN(1));
	*out = str_from_buf(&b);
	return 0;
}

FN(contains) { *out = tmpl_bool(memmem(S(1), SLEN(1), S(0), SLEN(0)) != NULL || !SLEN(0)); return 0; }
FN(hasPrefix) { *out = tmpl_bool(SLEN(1) >= SLEN(0) && !memcmp(S(1), S(0), SLEN(0))); return 0; }
FN(hasSuffix)
{
	*out = tmpl_bool(SLEN(1) >= SLEN(0) && !memcmp(S(1) + SLEN(1) - SLEN(0), S(0), SLEN(0)));
	return 0;
}

static int do_indent(int64_t spaces, const char *s, size_t n, bool nl, tmpl_val *out, err *e)
{
	if (spaces < 0)
		spaces = 0;
	if (spaces > 100000)
		return tmpl_fail(e, "indent too large");
	buf b;
	buf_init(&b, 256u << 20);
	if (nl)
		buf_addc(&b, '\n');
	for (int64_t i = 0; i < spaces; i++)
		buf_addc(&b, ' ');
	for (size_t i = 0; i < n; i++) {
		if (buf_addc(&b, s[i])) {
			buf_release(&b);
			return tmpl_fail(e, "indent result too large");
		}
		if (s[i] == '\n')
			for (int64_t k = 0; k < spaces; k++)
				buf_addc(&b, ' ');
	}
	*out = str_from_buf(&b);
	return 0;
}

FN(indent) { return do_indent(argv[0].u.i, S(1), SLEN(1), false, out, e); }
FN(nindent) { return do_indent(argv[0].u.i, S(1), SLEN(1), true, out, e); }

FN(repeat)
{
	int64_t c = argv[0].u.i;
	if (c < 0)
		return tmpl_fail(e, "strings: negative Repeat count");
	if (SLEN(1) && (uint64_t)c > (64u << 20) / SLEN(1))
		return tmpl_fail(e, "repeat result too large");
	buf b;
	buf_init(&b, (size_t)-1);
	for (int64_t i = 0; i < c; i++)
		buf_add(&b, S(1), SLEN(1));
	*out = str_from_buf(&b);
	return 0;
}

FN(substr)
{
	int64_t st = argv[0].u.i, en = argv[1].u.i, n = (int64_t)SLEN(2);
	if (st < 0)
		*out = tmpl_strn(S(2), (size_t)(en < 0 || en > n ? n : en));
	else if (en < 0 || en > n)
		*out = st > n ? tmpl_str("") : tmpl_strn(S(2) + st, (size_t)(n - st));
	else if (st > en)
		return tmpl_fail(e, "slice bounds out of range [%lld:%lld]", (long long)st,
				 (long long)en);
	else
		*out = tmpl_strn(S(2) + st, (size_t)(en - st));
	return 0;
}

FN(nospace)
{
	buf b;
	buf_init(&b, (size_t)-1);
	for (size_t i = 0; i < SLEN(0); i++)
		if (!is_ws((unsigned char)S(0)[i]))
			buf_addc(&b, S(0)[i]);
	*out = str_from_buf(&b);
	return 0;
}

FN(cat)
{
	buf b;
	buf_init(&b, (size_t)-1);
	bool first = true;
	for (int i = 0; i < argc; i++) {
		if (argv[i].kind == TV_NIL)
			continue;
		if (!first)
			buf_addc(&b, ' ');
		first = false;
		tv_print_v(&b, argv[i], false);
	}
	*out = str_from_buf(&b);
	return 0;
}

FN(abbrev)
{
	int64_t w = argv[0].u.i;
	if (w < 4 || (int64_t)SLEN(1) <= w) {
		*out = tmpl_ref(argv[1]);
		return 0;
	}
	buf b;
	buf_init(&b, (size_t)-1);
	buf_add(&b, S(1), (size_t)(w - 3));
	buf_adds(&b, "...");
	*out = str_from_buf(&b);
	return 0;
}

/* goutils.AbbreviateFull as Sprig's abbrevboth calls it (byte offsets, like Go). */
static void abbrev_full(buf *b, const char *s, int64_t n, int64_t off, int64_t w)
{
	if (n <= w) {
		buf_add(b, s, (size_t)n);
		return;
	}
	if (off > n)
		off = n;
	if (n - off < w - 3)
		off = n - (w - 3);
	if (off <= 4) {
		buf_add(b, s, (size_t)(w - 3));
		buf_adds(b, "...");
		return;
	}
	buf_adds(b, "...");
	if (off + w - 3 < n) {
		abbrev_full(b, s + off, n - off, 0, w - 3);
		return;
	}
	buf_add(b, s + n - (w - 3), (size_t)(w - 3));
}

FN(abbrevboth)
{
	int64_t left = argv[0].u.i, right = argv[1].u.i;
	if (right < 4 || (left > 0 && right < 7) || !SLEN(2)) {
		*out = tmpl_ref(argv[2]);
		return 0;
	}
	buf b;
	buf_init(&b, (size_t)-1);
	abbrev_full(&b, S(2), (int64_t)SLEN(2), left, right);
	*out = str_from_buf(&b);
	return 0;
}

FN(plural) { *out = tmpl_ref(argv[2].u.i == 1 ? argv[0] : argv[1]); return 0; }

static void words_case(buf *b, const char *s, size_t n, char sep, bool camel)
{
	/* split on non-alphanumerics and lower->upper transitions */
	bool first_word = true;
	size_t i = 0;
	while (i < n) {
		while (i < n && !isalnum((unsigned char)s[i]))
			i++;
		if (i >= n)
			break;
		size_t st = i;
		i++;
		while (i < n && isalnum((unsigned char)s[i]) &&
		       !(isupper((unsigned char)s[i]) && islower((unsigned char)s[i - 1])))
			i++;
		if (!first_word && sep)
			buf_addc(b, sep);
		for (size_t k = st; k < i; k++) {
			unsigned char c = (unsigned char)s[k];
			if (camel)
				buf_addc(b, (char)(k == st ? toupper(c) : c));
			else
				buf_addc(b, (char)tolower(c));
		}
		first_word = false;
	}
}

FN(snakecase) { buf b; buf_init(&b, (size_t)-1); words_case(&b, S(0), SLEN(0), '_', false); *out = str_from_buf(&b); return 0; }
FN(kebabcase) { buf b; buf_init(&b, (size_t)-1); words_case(&b, S(0), SLEN(0), '-', false); *out = str_from_buf(&b); return 0; }

FN(camelcase)
{
	buf b;
	buf_init(&b, (size_t)-1);
	const char *s = S(0);
	size_t n = SLEN(0);
	bool up = true;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_' || s[i] == ' ' || s[i] == '-') {
			up = true;
			continue;
		}
		buf_addc(&b, (char)(up ? toupper((unsigned char)s[i]) : s[i]));
		up = false;
	}
	*out = str_from_buf(&b);
	return 0;
}

FN(swapcase)
{
	tmpl_val r = tmpl_strn(S(0), SLEN(0));
	for (size_t i = 0; i < r.u.s->len; i++) {
		unsigned char c = (unsigned char)r.u.s->data[i];
		r.u.s->data[i] = (char)(isupper(c) ? tolower(c) : islower(c) ? toupper(c) : c);
	}
	*out = r;
	return 0;
}

FN(initials)
{
	buf b;
	buf_init(&b, (size_t)-1);
	bool prev_ws = true;
	for (size_t i = 0; i < SLEN(0); i++) {
		char c = S(0)[i];
		if (prev_ws && !is_ws((unsigned char)c))
			buf_addc(&b, c);
		prev_ws = is_ws((unsigned char)c);
	}
	*out = str_from_buf(&b);
	return 0;
}

FN(wrapWith)
{
	int64_t w = argv[0].u.i;
	const char *sep = argc == 3 ? S(1) : "\n";
	tmpl_val sv = argv[argc - 1];
	const char *s = sv.u.s->data;
	size_t n = sv.u.s->len;
	buf b;
	buf_init(&b, (size_t)-1);
	/* greedy word wrap like goutils.WrapCustom (no long-word break) */
	size_t line = 0;
	size_t i = 0;
	while (i < n) {
		size_t st = i;
		while (i < n && s[i] != ' ')
			i++;
		size_t wl = i - st;
		if (line > 0 && line + 1 + wl > (size_t)w) {
			buf_adds(&b, sep);
			line = 0;
		} else if (line > 0) {
			buf_addc(&b, ' ');
			line++;
		}
		buf_add(&b, s + st, wl);
		line += wl;
		while (i < n && s[i] == ' ')
			i++;
	}
	*out = str_from_buf(&b);
	return 0;
}

FN(split)
{
	tmpl_val m = tmpl_map_new();
	m.sub = TV_SUB_STRMAP;
	const char *s = S(1), *sep = S(0);
	size_t n = SLEN(1), sn = SLEN(0);
	size_t i = 0, k = 0, st = 0;
	char key[32];
	if (!sn) {
		for (i = 0; i < n; i++) {
			snprintf(key, sizeof key, "_%zu", k++);
			tmpl_map_set(m, key, tmpl_strn(s + i, 1));
		}
		*out = m;
		return 0;
	}
	while (i + sn <= n) {
		if (!memcmp(s + i, sep, sn)) {
			snprintf(key, sizeof key, "_%zu", k++);
			tmpl_map_set(m, key, tmpl_strn(s + st, i - st));
			i += sn;
			st = i;
		} else {
			i++;
		}
	}
	snprintf(key, sizeof key, "_%zu", k);
	tmpl_map_set(m, key, tmpl_strn(s + st, n - st));
	*out = m;
	return 0;
}

static tmpl_val split_list(const char *s, size_t n, const char *sep, size_t sn, int64_t max)
{
	tmpl_val l = tmpl_list_new(0);
	l.sub = TV_SUB_STRS;
	if (max == 0)
		return l;
	if (!sn) {
		for (size_t i = 0; i < n; i++)
			tmpl_list_push(&l, tmpl_strn(s + i, 1));
		return l;
	}
	size_t i = 0, st = 0;
	int64_t cnt = 1;
	while (i + sn <= n && (max < 0 || cnt < max)) {
		if (!memcmp(s + i, sep, sn)) {
			tmpl_list_push(&l, tmpl_strn(s + st, i - st));
			cnt++;
			i += sn;
			st = i;
		} else {
			i++;
		}
	}
	tmpl_list_push(&l, tmpl_strn(s + st, n - st));
	return l;
}

FN(splitList) { *out = split_list(S(1), SLEN(1), S(0), SLEN(0), -1); return 0; }

FN(splitn)
{
	tmpl_val l = split_list(S(2), SLEN(2), S(0), SLEN(0), argv[1].u.i);
	tmpl_val m = tmpl_map_new();
	m.sub = TV_SUB_STRMAP;
	for (size_t i = 0; i < l.u.l->n; i++) {
		char key[32];
		snprintf(key, sizeof key, "_%zu", i);
		tmpl_map_set(m, key, tmpl_ref(l.u.l->items[i]));
	}
	tmpl_val_free(l);
	*out = m;
	return 0;
}

FN(join)
{
	tmpl_val l = strslice(argv[1]);
	buf b;
	buf_init(&b, (size_t)-1);
	for (size_t i = 0; i < l.u.l->n; i++) {
		if (i)
			buf_add(&b, S(0), SLEN(0));
		buf_add(&b, l.u.l->items[i].u.s->data, l.u.l->items[i].u.s->len);
	}
	tmpl_val_free(l);
	*out = str_from_buf(&b);
	return 0;
}

FN(toStrings) { *out = strslice(argv[0]); return 0; }

FN(sortAlpha);
static int cmp_strval(const void *a, const void *b)
{
	const tmpl_val *x = a, *y = b;
	size_t n = x->u.s->len < y->u.s->len ? x->u.s->len : y->u.s->len;
	int c = memcmp(x->u.s->data, y->u.s->data, n);
	if (c)
		return c;
	return x->u.s->len < y->u.s->len ? -1 : x->u.s->len > y->u.s->len;
}

FN(sortAlpha)
{
	if (argv[0].kind != TV_LIST) {
		tmpl_val l = tmpl_list_new(1);
		l.sub = TV_SUB_STRS;
		char *s = tv_to_string(argv[0]);
		tmpl_list_push(&l, tmpl_str_take(s, strlen(s)));
		*out = l;
		return 0;
	}
	tmpl_val l = strslice(argv[0]);
	if (l.u.l->n)
		qsort(l.u.l->items, l.u.l->n, sizeof(tmpl_val), cmp_strval);
	*out = l;
	return 0;
}

/* ---- Sprig: lists ---- */

FN(list)
{
	tmpl_val l = tmpl_list_new((size_t)argc);
	for (int i = 0; i < argc; i++)
		tmpl_list_push(&l, tmpl_ref(argv[i]));
	*out = l;
	return 0;
}

static int need_list(tmpl_val v, const char *what, size_t *n, tmpl_val **items, err *e)
{
	if (v.kind == TV_NIL) {
		*n = 0;
		*items = NULL;
		return 0;
	}
	if (!as_list(v, n, items))
		return tmpl_fail(e, "Cannot %s on type %s", what, tv_type_name(v));
	return 0;
}

FN(append)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (argv[0].kind != TV_LIST)
		return tmpl_fail(e, "Cannot push on type %s", tv_type_name(argv[0]));
	as_list(argv[0], &n, &it);
	tmpl_val l = list_copy_of(n, it, 0);
	tmpl_list_push(&l, tmpl_ref(argv[1]));
	*out = l;
	return 0;
}

FN(prepend)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (argv[0].kind != TV_LIST)
		return tmpl_fail(e, "Cannot prepend on type %s", tv_type_name(argv[0]));
	as_list(argv[0], &n, &it);
	tmpl_val l = tmpl_list_new(n + 1);
	tmpl_list_push(&l, tmpl_ref(argv[1]));
	for (size_t i = 0; i < n; i++)
		tmpl_list_push(&l, tmpl_ref(it[i]));
	*out = l;
	return 0;
}

FN(first)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (need_list(argv[0], "find first", &n, &it, e))
		return -1;
	*out = n ? tmpl_ref(it[0]) : tmpl_nil();
	return 0;
}

FN(last)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (need_list(argv[0], "find last", &n, &it, e))
		return -1;
	*out = n ? tmpl_ref(it[n - 1]) : tmpl_nil();
	return 0;
}

FN(rest)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (need_list(argv[0], "find rest", &n, &it, e))
		return -1;
	*out = n ? list_copy_of(n - 1, it + 1, 0) : tmpl_nil();
	return 0;
}

FN(initial)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (need_list(argv[0], "find initial", &n, &it, e))
		return -1;
	*out = n ? list_copy_of(n - 1, it, 0) : tmpl_nil();
	return 0;
}

FN(reverse)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (need_list(argv[0], "find reverse", &n, &it, e))
		return -1;
	tmpl_val l = tmpl_list_new(n);
	for (size_t i = n; i > 0; i--)
		tmpl_list_push(&l, tmpl_ref(it[i - 1]));
	*out = l;
	return 0;
}

FN(uniq)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (need_list(argv[0], "find uniq", &n, &it, e))
		return -1;
	tmpl_val l = tmpl_list_new(n);
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t k = 0; k < l.u.l->n && !dup; k++)
			dup = tv_equal(l.u.l->items[k], it[i]);
		if (!dup)
			tmpl_list_push(&l, tmpl_ref(it[i]));
	}
	*out = l;
	return 0;
}

FN(compact)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (need_list(argv[0], "compact", &n, &it, e))
		return -1;
	tmpl_val l = tmpl_list_new(n);
	for (size_t i = 0; i < n; i++)
		if (!tv_empty(it[i]))
			tmpl_list_push(&l, tmpl_ref(it[i]));
	*out = l;
	return 0;
}

FN(has)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (argv[1].kind == TV_NIL) {
		*out = tmpl_bool(false);
		return 0;
	}
	if (need_list(argv[1], "find has", &n, &it, e))
		return -1;
	bool f = false;
	for (size_t i = 0; i < n && !f; i++)
		f = tv_equal(it[i], argv[0]);
	*out = tmpl_bool(f);
	return 0;
}

FN(without)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (need_list(argv[0], "find without", &n, &it, e))
		return -1;
	tmpl_val l = tmpl_list_new(n);
	for (size_t i = 0; i < n; i++) {
		bool drop = false;
		for (int k = 1; k < argc && !drop; k++)
			drop = tv_equal(it[i], argv[k]);
		if (!drop)
			tmpl_list_push(&l, tmpl_ref(it[i]));
	}
	*out = l;
	return 0;
}

FN(concat)
{
	tmpl_val l = tmpl_list_new(0);
	for (int i = 0; i < argc; i++) {
		size_t n = 0;
		tmpl_val *it = NULL;
		if (argv[i].kind == TV_NIL)
			continue;
		if (!as_list(argv[i], &n, &it)) {
			tmpl_val_free(l);
			return tmpl_fail(e, "Cannot concat type %s as list", tv_type_name(argv[i]));
		}
		for (size_t k = 0; k < n; k++)
			tmpl_list_push(&l, tmpl_ref(it[k]));
	}
	*out = l;
	return 0;
}

FN(slice)
{
	tmpl_val v = argv[0];
	if (v.kind == TV_STRING && argc <= 3) {
		int64_t lo = argc > 1 ? I64(argv[1]) : 0;
		int64_t hi = argc > 2 ? I64(argv[2]) : (int64_t)v.u.s->len;
		if (lo < 0 || hi < lo || hi > (int64_t)v.u.s->len)
			return tmpl_fail(e, "index out of range: %lld", (long long)hi);
		*out = tmpl_strn(v.u.s->data + lo, (size_t)(hi - lo));
		return 0;
	}
	size_t n = 0;
	tmpl_val *it = NULL;
	if (need_list(v, "slice", &n, &it, e))
		return -1;
	int64_t lo = argc > 1 ? I64(argv[1]) : 0;
	int64_t hi = argc > 2 ? I64(argv[2]) : (int64_t)n;
	if (lo < 0 || hi < lo || hi > (int64_t)n)
		return tmpl_fail(e, "slice bounds out of range [%lld:%lld]", (long long)lo,
				 (long long)hi);
	*out = n ? list_copy_of((size_t)(hi - lo), it + lo, v.sub) : tmpl_list_new(0);
	return 0;
}

FN(chunk)
{
	int64_t size = argv[0].u.i;
	size_t n = 0;
	tmpl_val *it = NULL;
	if (need_list(argv[1], "chunk", &n, &it, e))
		return -1;
	if (size <= 0)
		return tmpl_fail(e, "chunk size must be positive");
	tmpl_val l = tmpl_list_new(0);
	for (size_t i = 0; i < n; i += (size_t)size) {
		size_t k = n - i < (size_t)size ? n - i : (size_t)size;
		tmpl_list_push(&l, list_copy_of(k, it + i, 0));
	}
	*out = l;
	return 0;
}

static int check_count(int64_t n, err *e)
{
	if (n > 1000000)
		return tmpl_fail(e, "list of %lld elements is over the limit of 1000000",
				 (long long)n);
	return 0;
}

FN(until)
{
	int64_t c = argv[0].u.i, step = c < 0 ? -1 : 1;
	if (check_count(c < 0 ? -c : c, e))
		return -1;
	tmpl_val l = tmpl_list_new(0);
	for (int64_t i = 0; i != c; i += step)
		tmpl_list_push(&l, tmpl_int(i));
	*out = l;
	return 0;
}

FN(untilStep)
{
	int64_t st = argv[0].u.i, stop = argv[1].u.i, step = argv[2].u.i;
	tmpl_val l = tmpl_list_new(0);
	if (step == 0 || (step > 0 && st >= stop) || (step < 0 && st <= stop)) {
		*out = l;
		return 0;
	}
	if (check_count((stop - st) / step, e)) {
		tmpl_val_free(l);
		return -1;
	}
	for (int64_t i = st; step > 0 ? i < stop : i > stop; i += step)
		tmpl_list_push(&l, tmpl_int(i));
	*out = l;
	return 0;
}

FN(seq)
{
	int64_t st = 1, end = 0, step = 1;
	if (argc == 0) {
		*out = tmpl_str("");
		return 0;
	}
	if (argc == 1)
		end = argv[0].u.i;
	else if (argc == 2)
		st = argv[0].u.i, end = argv[1].u.i, step = st <= end ? 1 : -1;
	else
		st = argv[0].u.i, step = argv[1].u.i, end = argv[2].u.i;
	if (argc < 3 && argc == 1 && end < 1)
		step = -1;
	if (step == 0 || check_count((end - st) / step, e))
		return step == 0 ? (*out = tmpl_str(""), 0) : -1;
	buf b;
	buf_init(&b, (size_t)-1);
	bool first = true;
	for (int64_t i = st; step > 0 ? i <= end : i >= end; i += step) {
		buf_addf(&b, first ? "%lld" : " %lld", (long long)i);
		first = false;
	}
	*out = str_from_buf(&b);
	return 0;
}

/* ---- Sprig: dicts ---- */

FN(dict)
{
	tmpl_val m = tmpl_map_new();
	for (int i = 0; i < argc; i += 2) {
		char *k = tv_to_string(argv[i]);
		tmpl_map_set(m, k, i + 1 < argc ? tmpl_ref(argv[i + 1]) : tmpl_str(""));
		free(k);
	}
	*out = m;
	return 0;
}

static int need_map(tmpl_val v, err *e)
{
	if (v.kind == TV_NIL)
		return tmpl_fail(e, "assignment to entry in nil map");
	return 0;
}

FN(get)
{
	tmpl_val *v = argv[0].kind == TV_MAP ? tmpl_map_get(argv[0], S(1)) : NULL;
	*out = v ? tmpl_ref(*v) : tmpl_str("");
	return 0;
}

FN(set)
{
	if (need_map(argv[0], e))
		return -1;
	tmpl_map_set(argv[0], S(1), tmpl_ref(argv[2]));
	*out = tmpl_ref(argv[0]);
	return 0;
}

FN(unset)
{
	if (argv[0].kind == TV_MAP)
		tmpl_map_del(argv[0], S(1));
	*out = tmpl_ref(argv[0]);
	return 0;
}

FN(hasKey)
{
	*out = tmpl_bool(argv[0].kind == TV_MAP && tmpl_map_get(argv[0], S(1)) != NULL);
	return 0;
}

FN(keys)
{
	tmpl_val l = tmpl_list_new(0);
	l.sub = TV_SUB_STRS;
	for (int i = 0; i < argc; i++)
		if (argv[i].kind == TV_MAP)
			for (size_t k = 0; k < argv[i].u.m->n; k++)
				tmpl_list_push(&l, tmpl_str(argv[i].u.m->keys[k]));
	*out = l;
	return 0;
}

FN(values)
{
	tmpl_val l = tmpl_list_new(0);
	if (argv[0].kind == TV_MAP)
		for (size_t k = 0; k < argv[0].u.m->n; k++)
			tmpl_list_push(&l, tmpl_ref(argv[0].u.m->vals[k]));
	*out = l;
	return 0;
}

FN(pluck)
{
	tmpl_val l = tmpl_list_new(0);
	for (int i = 1; i < argc; i++) {
		tmpl_val *v = argv[i].kind == TV_MAP ? tmpl_map_get(argv[i], S(0)) : NULL;
		if (v)
			tmpl_list_push(&l, tmpl_ref(*v));
	}
	*out = l;
	return 0;
}

FN(pick)
{
	tmpl_val m = tmpl_map_new();
	for (int i = 1; i < argc; i++) {
		tmpl_val *v = argv[0].kind == TV_MAP ? tmpl_map_get(argv[0], S(i)) : NULL;
		if (v)
			tmpl_map_set(m, S(i), tmpl_ref(*v));
	}
	*out = m;
	return 0;
}

FN(omit)
{
	tmpl_val m = tmpl_map_new();
	if (argv[0].kind == TV_MAP)
		for (size_t k = 0; k < argv[0].u.m->n; k++) {
			bool drop = false;
			for (int i = 1; i < argc && !drop; i++)
				drop = !strcmp(argv[0].u.m->keys[k], S(i));
			if (!drop)
				tmpl_map_set(m, argv[0].u.m->keys[k], tmpl_ref(argv[0].u.m->vals[k]));
		}
	*out = m;
	return 0;
}

FN(dig)
{
	if (argc < 3)
		return tmpl_fail(e, "dig needs at least three arguments");
	tmpl_val dict = argv[argc - 1];
	tmpl_val cur = dict;
	for (int i = 0; i < argc - 2; i++) {
		if (argv[i].kind != TV_STRING)
			return tmpl_fail(e, "interface conversion: interface {} is %s, not string",
					 tv_type_name(argv[i]));
		tmpl_val *v = cur.kind == TV_MAP ? tmpl_map_get(cur, argv[i].u.s->data) : NULL;
		if (!v) {
			*out = tmpl_ref(argv[argc - 2]);
			return 0;
		}
		cur = *v;
	}
	*out = tmpl_ref(cur);
	return 0;
}

/* mergo-like deep merge of src into dst. */
static void merge_into(tmpl_val dst, tmpl_val src, bool overwrite, int depth)
{
	if (depth > 1000 || dst.kind != TV_MAP || src.kind != TV_MAP)
		return;
	for (size_t i = 0; i < src.u.m->n; i++) {
		const char *k = src.u.m->keys[i];
		tmpl_val sv = src.u.m->vals[i];
		tmpl_val *dv = tmpl_map_get(dst, k);
		if (dv && dv->kind == TV_MAP && sv.kind == TV_MAP) {
			merge_into(*dv, sv, overwrite, depth + 1);
			continue;
		}
		if (!dv || tv_empty(*dv) || (overwrite && !tv_empty(sv)))
			tmpl_map_set(dst, k, tmpl_deep_copy(sv));
	}
}

FN(merge)
{
	for (int i = 1; i < argc; i++)
		merge_into(argv[0], argv[i], false, 0);
	*out = tmpl_ref(argv[0]);
	return 0;
}

FN(mergeOverwrite)
{
	for (int i = 1; i < argc; i++)
		merge_into(argv[0], argv[i], true, 0);
	*out = tmpl_ref(argv[0]);
	return 0;
}

FN(deepCopy) { *out = tmpl_deep_copy(argv[0]); return 0; }

/* ---- Sprig: math ---- */

FN(add)
{
	uint64_t s = 0;
	for (int i = 0; i < argc; i++)
		s += (uint64_t)I64(argv[i]);
	*out = tmpl_int64((int64_t)s);
	return 0;
}

FN(add1) { *out = tmpl_int64((int64_t)((uint64_t)I64(argv[0]) + 1)); return 0; }
FN(sub) { *out = tmpl_int64((int64_t)((uint64_t)I64(argv[0]) - (uint64_t)I64(argv[1]))); return 0; }
FN(mul)
{
	uint64_t s = (uint64_t)I64(argv[0]);
	for (int i = 1; i < argc; i++)
		s *= (uint64_t)I64(argv[i]);
	*out = tmpl_int64((int64_t)s);
	return 0;
}
FN(div)
{
	int64_t b = I64(argv[1]);
	if (b == 0)
		return tmpl_fail(e, "runtime error: integer divide by zero");
	int64_t a = I64(argv[0]);
	*out = tmpl_int64(b == -1 ? (int64_t)(0 - (uint64_t)a) : a / b);
	return 0;
}
FN(mod)
{
	int64_t b = I64(argv[1]);
	if (b == 0)
		return tmpl_fail(e, "runtime error: integer divide by zero");
	*out = tmpl_int64(b == -1 ? 0 : I64(argv[0]) % b);
	return 0;
}
FN(max)
{
	int64_t m = I64(argv[0]);
	for (int i = 1; i < argc; i++)
		if (I64(argv[i]) > m)
			m = I64(argv[i]);
	*out = tmpl_int64(m);
	return 0;
}
FN(min)
{
	int64_t m = I64(argv[0]);
	for (int i = 1; i < argc; i++)
		if (I64(argv[i]) < m)
			m = I64(argv[i]);
	*out = tmpl_int64(m);
	return 0;
}
/* shopspring/decimal results: exact decimal arithmetic on the shortest forms of the operands;
 * approximated by rounding to 15 significant digits when that is within 1e-15 relative. */
static double decimal_round(double r)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%.15g", r);
	double c = strtod(tmp, NULL);
	if (fabs(c - r) <= fabs(r) * 4e-16)
		return c;
	return r;
}

FN(addf)
{
	double s = 0;
	for (int i = 0; i < argc; i++)
		s += F64(argv[i]);
	*out = tmpl_float(decimal_round(s));
	return 0;
}
FN(add1f) { *out = tmpl_float(F64(argv[0]) + 1); return 0; }
FN(subf)
{
	double s = F64(argv[0]);
	for (int i = 1; i < argc; i++)
		s -= F64(argv[i]);
	*out = tmpl_float(decimal_round(s));
	return 0;
}
FN(mulf)
{
	double s = F64(argv[0]);
	for (int i = 1; i < argc; i++)
		s *= F64(argv[i]);
	*out = tmpl_float(decimal_round(s));
	return 0;
}
FN(divf)
{
	double s = F64(argv[0]);
	for (int i = 1; i < argc; i++)
		s /= F64(argv[i]);
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%.16f", s);
	*out = tmpl_float(fabs(s) < 1e15 ? decimal_round(strtod(tmp, NULL)) : s);
	return 0;
}
FN(maxf)
{
	double m = F64(argv[0]);
	for (int i = 1; i < argc; i++)
		m = fmax(m, F64(argv[i]));
	*out = tmpl_float(m);
	return 0;
}
FN(minf)
{
	double m = F64(argv[0]);
	for (int i = 1; i < argc; i++)
		m = fmin(m, F64(argv[i]));
	*out = tmpl_float(m);
	return 0;
}
FN(floor) { *out = tmpl_float(floor(F64(argv[0]))); return 0; }
FN(ceil) { *out = tmpl_float(ceil(F64(argv[0]))); return 0; }
FN(round)
{
	double v = F64(argv[0]);
	double p = pow(10, (double)argv[1].u.i);
	double half = argc > 2 ? F64(argv[2]) : 0.5;
	double d = v * p;
	double r = d >= 0 ? floor(d + (1 - half) + 0 * half) : ceil(d - (1 - half));
	(void)r;
	/* sprig: rounder := .5 default; if digit >= round -> ceil else floor */
	double intpart;
	double frac = modf(d, &intpart);
	double res = fabs(frac) >= half ? (d >= 0 ? ceil(d) : floor(d)) : intpart;
	*out = tmpl_float(res / p);
	return 0;
}

FN(toInt) { *out = tmpl_int(I64(argv[0])); return 0; }
FN(toInt64) { *out = tmpl_int64(I64(argv[0])); return 0; }
FN(toFloat64) { *out = tmpl_float(F64(argv[0])); return 0; }
FN(atoi)
{
	char *end;
	errno = 0;
	long long v = strtoll(S(0), &end, 10);
	*out = tmpl_int(*end || errno || !SLEN(0) ? 0 : v);
	return 0;
}
FN(toDecimal)
{
	char *end;
	long long v = strtoll(S(0), &end, 8);
	*out = tmpl_int64(*end ? 0 : v);
	return 0;
}

/* ---- Sprig: reflection ---- */

FN(typeOf) { *out = tmpl_str(tv_type_name(argv[0])); return 0; }
FN(kindOf) { *out = tmpl_str(tv_kind_name(argv[0])); return 0; }
FN(typeIs) { *out = tmpl_bool(!strcmp(S(0), tv_type_name(argv[1]))); return 0; }
FN(kindIs) { *out = tmpl_bool(!strcmp(S(0), tv_kind_name(argv[1]))); return 0; }
FN(deepEqual) { *out = tmpl_bool(tv_equal(argv[0], argv[1])); return 0; }

/* ---- paths ---- */

static void path_clean(buf *b, const char *p)
{
	/* Go's path.Clean */
	bool rooted = p[0] == '/';
	size_t n = strlen(p);
	char **parts = xmalloc((n + 1) * sizeof *parts);
	size_t np = 0;
	char *dup = xstrdup(p);
	char *save = NULL;
	for (char *t = strtok_r(dup, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (!strcmp(t, "."))
			continue;
		if (!strcmp(t, "..")) {
			if (np && strcmp(parts[np - 1], ".."))
				np--;
			else if (!rooted)
				parts[np++] = t;
			continue;
		}
		parts[np++] = t;
	}
	if (rooted)
		buf_addc(b, '/');
	for (size_t i = 0; i < np; i++) {
		if (i)
			buf_addc(b, '/');
		buf_adds(b, parts[i]);
	}
	if (!b->len)
		buf_addc(b, '.');
	free(parts);
	free(dup);
}

FN(clean) { buf b; buf_init(&b, (size_t)-1); path_clean(&b, S(0)); *out = str_from_buf(&b); return 0; }

FN(base)
{
	const char *p = S(0);
	size_t n = SLEN(0);
	if (!n) {
		*out = tmpl_str(".");
		return 0;
	}
	while (n > 1 && p[n - 1] == '/')
		n--;
	if (n == 1 && p[0] == '/') {
		*out = tmpl_str("/");
		return 0;
	}
	size_t st = n;
	while (st > 0 && p[st - 1] != '/')
		st--;
	*out = tmpl_strn(p + st, n - st);
	return 0;
}

FN(dir)
{
	const char *p = S(0);
	size_t n = SLEN(0);
	size_t st = n;
	while (st > 0 && p[st - 1] != '/')
		st--;
	char *d = xstrndup(p, st);
	buf b;
	buf_init(&b, (size_t)-1);
	path_clean(&b, d);
	free(d);
	*out = str_from_buf(&b);
	return 0;
}

FN(ext)
{
	const char *p = S(0);
	size_t n = SLEN(0);
	for (size_t i = n; i > 0 && p[i - 1] != '/'; i--)
		if (p[i - 1] == '.') {
			*out = tmpl_strn(p + i - 1, n - i + 1);
			return 0;
		}
	*out = tmpl_str("");
	return 0;
}

FN(isAbs) { *out = tmpl_bool(S(0)[0] == '/'); return 0; }
