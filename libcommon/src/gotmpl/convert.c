/* Conversions of template values that the template functions share: Sprig's toString,
 * emptiness, equality and numeric conversions, list views. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"
#include "gotmpl/fn.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tmpl_val tv_str_from_buf(buf *b)
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

int64_t tv_I64(tmpl_val v)
{
	int64_t i;
	tv_to_int64(v, &i);
	return i;
}

double tv_F64(tmpl_val v)
{
	double f;
	tv_to_float(v, &f);
	return f;
}

/* A list view of []interface{} or []string; false for other kinds. */
bool tv_as_list(tmpl_val v, size_t *n, tmpl_val **items)
{
	if (v.kind != TV_LIST)
		return false;
	*n = v.u.l->n;
	*items = v.u.l->items;
	return true;
}

tmpl_val tv_list_copy_of(size_t n, const tmpl_val *items, int sub)
{
	tmpl_val l = tmpl_list_new(n);
	l.sub = (uint8_t)sub;
	for (size_t i = 0; i < n; i++)
		tmpl_list_push(&l, tmpl_ref(items[i]));
	return l;
}

/* Sprig's strslice. */
tmpl_val tv_strslice(tmpl_val v)
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
