/* Go's builtin template functions: and, or, not, len, index, print, call, comparisons,
 * slice and the escapers. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"
#include "gotmpl/fn.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(println)
{
	buf b;
	buf_init(&b, (size_t)-1);
	tv_sprint(&b, argc, argv, true);
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(printf)
{
	buf b;
	buf_init(&b, (size_t)-1);
	tv_sprintf(&b, S(0), SLEN(0), argc - 1, argv + 1);
	*out = tv_str_from_buf(&b);
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
	*out = tv_str_from_buf(&b);
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
	*out = tv_str_from_buf(&b);
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
	*out = tv_str_from_buf(&b);
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

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"and", fn_and_or, "v*"},
	{"or", fn_and_or, "v*"},
	{"not", fn_not, "v"},
	{"len", fn_len, "v"},
	{"index", fn_index, "vv*"},
	{"print", fn_print, "a*"},
	{"printf", fn_printf, "sa*"},
	{"println", fn_println, "a*"},
	{"html", fn_html, "a*"},
	{"js", fn_js, "a*"},
	{"urlquery", fn_urlquery, "a*"},
	{"call", fn_call, "vv*"},
	{"eq", fn_eq, "vv*"},
	{"ne", fn_ne, "vv"},
	{"lt", fn_lt, "vv"},
	{"le", fn_le, "vv"},
	{"gt", fn_gt, "vv"},
	{"ge", fn_ge, "vv"},
};

const tv_family tv_family_builtins = {funcs, sizeof funcs / sizeof *funcs};
