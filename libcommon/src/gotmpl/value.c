/* Template values: constructors, refcounting, iterative free, maps, truth and %v printing. */
#include "eddy/tmpl.h"
#include "eddy/mem.h"
#include "gotmpl/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tmpl_val tmpl_bool(bool b)
{
	tmpl_val v = {.kind = TV_BOOL};
	v.u.b = b;
	return v;
}

tmpl_val tmpl_int(int64_t i)
{
	tmpl_val v = {.kind = TV_INT, .sub = TV_SUB_INT};
	v.u.i = i;
	return v;
}

tmpl_val tmpl_int64(int64_t i)
{
	tmpl_val v = {.kind = TV_INT, .sub = TV_SUB_INT64};
	v.u.i = i;
	return v;
}

tmpl_val tmpl_float(double f)
{
	tmpl_val v = {.kind = TV_FLOAT};
	v.u.f = f;
	return v;
}

tmpl_val tmpl_strn(const char *s, size_t n)
{
	struct tv_str *p = xmalloc(sizeof *p + n + 1);
	p->refs = 1;
	p->len = n;
	if (n)
		memcpy(p->data, s, n);
	p->data[n] = '\0';
	tmpl_val v = {.kind = TV_STRING};
	v.u.s = p;
	return v;
}

tmpl_val tmpl_str(const char *s)
{
	return tmpl_strn(s, strlen(s));
}

tmpl_val tmpl_str_take(char *s, size_t n)
{
	tmpl_val v = tmpl_strn(s, n);
	free(s);
	return v;
}

tmpl_val tmpl_list_new(size_t cap_hint)
{
	struct tv_list *p = xcalloc(1, sizeof *p);
	p->refs = 1;
	if (cap_hint) {
		p->items = xmalloc(cap_hint * sizeof *p->items);
		p->cap = cap_hint;
	}
	tmpl_val v = {.kind = TV_LIST};
	v.u.l = p;
	return v;
}

tmpl_val tmpl_map_new(void)
{
	struct tv_map *p = xcalloc(1, sizeof *p);
	p->refs = 1;
	tmpl_val v = {.kind = TV_MAP};
	v.u.m = p;
	return v;
}

tmpl_val tmpl_struct_new(void)
{
	tmpl_val v = tmpl_map_new();
	v.sub = TV_SUB_STRUCT;
	return v;
}

tmpl_val tmpl_method(tmpl_method_fn fn, const char *name, tmpl_val recv)
{
	struct tv_method *p = xcalloc(1, sizeof *p);
	p->refs = 1;
	p->fn = fn;
	p->recv = recv;
	p->name = name;
	tmpl_val v = {.kind = TV_METHOD};
	v.u.fn = p;
	return v;
}

tmpl_val tmpl_ref(tmpl_val v)
{
	switch (v.kind) {
	case TV_STRING: v.u.s->refs++; break;
	case TV_LIST: v.u.l->refs++; break;
	case TV_MAP: v.u.m->refs++; break;
	case TV_METHOD: v.u.fn->refs++; break;
	default: break;
	}
	return v;
}

/* Drop one reference; payloads whose count reaches zero push their children on a stack. */
void tmpl_val_free(tmpl_val v)
{
	tmpl_val *stack = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		switch (v.kind) {
		case TV_STRING:
			if (--v.u.s->refs == 0)
				free(v.u.s);
			break;
		case TV_LIST: {
			struct tv_list *l = v.u.l;
			if (--l->refs)
				break;
			if (n + l->n > cap) {
				cap = (n + l->n) * 2 + 16;
				stack = xrealloc(stack, cap * sizeof *stack);
			}
			if (l->n)
				memcpy(stack + n, l->items, l->n * sizeof *stack);
			n += l->n;
			free(l->items);
			free(l);
			break;
		}
		case TV_MAP: {
			struct tv_map *m = v.u.m;
			if (--m->refs)
				break;
			if (n + m->n > cap) {
				cap = (n + m->n) * 2 + 16;
				stack = xrealloc(stack, cap * sizeof *stack);
			}
			if (m->n)
				memcpy(stack + n, m->vals, m->n * sizeof *stack);
			n += m->n;
			for (size_t i = 0; i < m->n; i++)
				free(m->keys[i]);
			free(m->keys);
			free(m->vals);
			free(m->stringer);
			free(m->marshal);
			free(m);
			break;
		}
		case TV_METHOD: {
			struct tv_method *f = v.u.fn;
			if (--f->refs)
				break;
			if (n + 1 > cap) {
				cap = cap * 2 + 16;
				stack = xrealloc(stack, cap * sizeof *stack);
			}
			stack[n++] = f->recv;
			free(f);
			break;
		}
		default:
			break;
		}
		if (!n)
			break;
		v = stack[--n];
	}
	free(stack);
}

void tmpl_list_push(tmpl_val *l, tmpl_val v)
{
	struct tv_list *p = l->u.l;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->items = xrealloc(p->items, p->cap * sizeof *p->items);
	}
	p->items[p->n++] = v;
}

/* Position of key in a sorted map (or where it would go); found tells which. */
static size_t map_find(const struct tv_map *m, bool ordered, const char *key, bool *found)
{
	if (!ordered) {
		for (size_t i = 0; i < m->n; i++)
			if (!strcmp(m->keys[i], key)) {
				*found = true;
				return i;
			}
		*found = false;
		return m->n;
	}
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->keys[mid], key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

void tmpl_map_set(tmpl_val mv, const char *key, tmpl_val v)
{
	struct tv_map *m = mv.u.m;
	bool found;
	size_t i = map_find(m, mv.sub != TV_SUB_STRUCT, key, &found);
	if (found) {
		tmpl_val old = m->vals[i];
		m->vals[i] = v;
		tmpl_val_free(old);
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 4;
		m->keys = xrealloc(m->keys, m->cap * sizeof *m->keys);
		m->vals = xrealloc(m->vals, m->cap * sizeof *m->vals);
	}
	memmove(m->keys + i + 1, m->keys + i, (m->n - i) * sizeof *m->keys);
	memmove(m->vals + i + 1, m->vals + i, (m->n - i) * sizeof *m->vals);
	m->keys[i] = xstrdup(key);
	m->vals[i] = v;
	m->n++;
}

tmpl_val *tmpl_map_get(tmpl_val mv, const char *key)
{
	if (mv.kind != TV_MAP)
		return NULL;
	bool found;
	size_t i = map_find(mv.u.m, mv.sub != TV_SUB_STRUCT, key, &found);
	return found ? &mv.u.m->vals[i] : NULL;
}

bool tmpl_map_del(tmpl_val mv, const char *key)
{
	struct tv_map *m = mv.u.m;
	bool found;
	size_t i = map_find(m, mv.sub != TV_SUB_STRUCT, key, &found);
	if (!found)
		return false;
	free(m->keys[i]);
	tmpl_val old = m->vals[i];
	memmove(m->keys + i, m->keys + i + 1, (m->n - i - 1) * sizeof *m->keys);
	memmove(m->vals + i, m->vals + i + 1, (m->n - i - 1) * sizeof *m->vals);
	m->n--;
	tmpl_val_free(old);
	return true;
}

/* Deep copy with an explicit work stack (copy destination, source). */
tmpl_val tmpl_deep_copy(tmpl_val v)
{
	if (v.kind != TV_LIST && v.kind != TV_MAP)
		return tmpl_ref(v);
	struct job { tmpl_val *dst; tmpl_val src; } *st = NULL;
	size_t n = 0, cap = 0;
	tmpl_val root = tmpl_nil();
	st = xrealloc(st, 16 * sizeof *st);
	cap = 16;
	st[n++] = (struct job){&root, v};
	while (n) {
		struct job j = st[--n];
		if (j.src.kind == TV_LIST) {
			tmpl_val l = tmpl_list_new(j.src.u.l->n);
			l.sub = j.src.sub;
			l.u.l->n = j.src.u.l->n;
			for (size_t i = 0; i < l.u.l->n; i++)
				l.u.l->items[i] = tmpl_nil();
			*j.dst = l;
			for (size_t i = 0; i < l.u.l->n; i++) {
				if (n == cap) {
					cap *= 2;
					st = xrealloc(st, cap * sizeof *st);
				}
				st[n++] = (struct job){&l.u.l->items[i], j.src.u.l->items[i]};
			}
		} else if (j.src.kind == TV_MAP) {
			struct tv_map *sm = j.src.u.m;
			tmpl_val m = tmpl_map_new();
			m.sub = j.src.sub;
			struct tv_map *dm = m.u.m;
			dm->n = dm->cap = sm->n;
			dm->keys = xmalloc((sm->n ? sm->n : 1) * sizeof *dm->keys);
			dm->vals = xmalloc((sm->n ? sm->n : 1) * sizeof *dm->vals);
			if (sm->stringer)
				dm->stringer = xstrdup(sm->stringer);
			dm->gotype = sm->gotype;
			if (sm->marshal)
				dm->marshal = xstrdup(sm->marshal);
			*j.dst = m;
			for (size_t i = 0; i < sm->n; i++) {
				dm->keys[i] = xstrdup(sm->keys[i]);
				dm->vals[i] = tmpl_nil();
				if (n == cap) {
					cap *= 2;
					st = xrealloc(st, cap * sizeof *st);
				}
				st[n++] = (struct job){&dm->vals[i], sm->vals[i]};
			}
		} else {
			*j.dst = tmpl_ref(j.src);
		}
	}
	free(st);
	return root;
}

bool tmpl_truth(tmpl_val v)
{
	switch (v.kind) {
	case TV_NIL: return false;
	case TV_BOOL: return v.u.b;
	case TV_INT: return v.u.i != 0;
	case TV_FLOAT: return v.u.f != 0;
	case TV_STRING: return v.u.s->len != 0;
	case TV_LIST: return v.u.l->n != 0;
	case TV_MAP: return v.sub == TV_SUB_STRUCT || v.u.m->n != 0;
	default: return true;
	}
}

/* Go's strconv.FormatFloat(f, fmt, -1, 64): shortest digits that round-trip. */
int tv_shortest(double f, char *digits, int *exp10)
{
	char tmp[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, f);
		if (strtod(tmp, NULL) == f || prec == 17)
			break;
	}
	/* tmp is d.ddddde[+-]XX (sign stripped by the caller) */
	int nd = 0;
	const char *p = tmp;
	if (*p == '-')
		p++;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	digits[nd] = '\0';
	*exp10 = (int)strtol(p + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	return nd;
}

/* Go %v / strconv 'g' with precision -1 for float64. */
void tv_format_float(buf *out, double f, char fmtc)
{
	if (isnan(f)) {
		buf_adds(out, "NaN");
		return;
	}
	if (isinf(f)) {
		buf_adds(out, f > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (signbit(f))
		buf_addc(out, '-');
	f = fabs(f);
	if (f == 0) {
		buf_adds(out, fmtc == 'e' ? "0e+00" : "0");
		return;
	}
	char d[40];
	int e10;
	int nd = tv_shortest(f, d, &e10);
	bool expform;
	if (fmtc == 'e')
		expform = true;
	else if (fmtc == 'f')
		expform = false;
	else if (fmtc == 'j')
		expform = e10 < -6 || e10 >= 21;
	else
		expform = e10 < -4 || e10 >= 6;
	if (expform) {
		buf_addc(out, d[0]);
		if (nd > 1) {
			buf_addc(out, '.');
			buf_adds(out, d + 1);
		}
		int ae = e10 < 0 ? -e10 : e10;
		if (fmtc == 'j')
			buf_addf(out, "e%c%d", e10 < 0 ? '-' : '+', ae);
		else
			buf_addf(out, "e%c%02d", e10 < 0 ? '-' : '+', ae);
		return;
	}
	if (e10 < 0) {
		buf_adds(out, "0.");
		for (int i = 0; i < -e10 - 1; i++)
			buf_addc(out, '0');
		buf_adds(out, d);
		return;
	}
	for (int i = 0; i <= e10; i++)
		buf_addc(out, i < nd ? d[i] : '0');
	if (nd > e10 + 1) {
		buf_addc(out, '.');
		buf_adds(out, d + e10 + 1);
	}
}

/* fmt's %v of a value nested in a map or list (nil prints as <nil>). */
static void print_inner(buf *out, tmpl_val v, bool plus, int depth)
{
	if (depth > 10000)
		return;
	switch (v.kind) {
	case TV_NIL: buf_adds(out, "<nil>"); break;
	case TV_BOOL: buf_adds(out, v.u.b ? "true" : "false"); break;
	case TV_INT: buf_addf(out, "%lld", (long long)v.u.i); break;
	case TV_FLOAT: tv_format_float(out, v.u.f, 'g'); break;
	case TV_STRING:
		if (v.sub == TV_SUB_BYTES) {
			buf_addc(out, '[');
			for (size_t i = 0; i < v.u.s->len; i++)
				buf_addf(out, "%s%u", i ? " " : "", (unsigned char)v.u.s->data[i]);
			buf_addc(out, ']');
		} else {
			buf_add(out, v.u.s->data, v.u.s->len);
		}
		break;
	case TV_LIST:
		buf_addc(out, '[');
		for (size_t i = 0; i < v.u.l->n; i++) {
			if (i)
				buf_addc(out, ' ');
			print_inner(out, v.u.l->items[i], plus, depth + 1);
		}
		buf_addc(out, ']');
		break;
	case TV_MAP:
		if (v.u.m->stringer) {
			buf_adds(out, v.u.m->stringer);
			break;
		}
		buf_adds(out, v.sub == TV_SUB_STRUCT ? "{" : "map[");
		for (size_t i = 0; i < v.u.m->n; i++) {
			if (i)
				buf_addc(out, ' ');
			if (v.sub != TV_SUB_STRUCT || plus) {
				buf_adds(out, v.u.m->keys[i]);
				buf_addc(out, ':');
			}
			print_inner(out, v.u.m->vals[i], plus, depth + 1);
		}
		buf_addc(out, v.sub == TV_SUB_STRUCT ? '}' : ']');
		break;
	case TV_METHOD: buf_adds(out, "<method>"); break;
	}
}

void tv_print_v(buf *out, tmpl_val v, bool plus)
{
	print_inner(out, v, plus, 0);
}

int tmpl_print(buf *out, tmpl_val v)
{
	size_t before = out->len;
	if (v.kind == TV_NIL)
		buf_adds(out, "<no value>");
	else
		print_inner(out, v, false, 0);
	(void)before;
	return 0;
}

const char *tv_type_name(tmpl_val v)
{
	switch (v.kind) {
	case TV_NIL: return "<nil>";
	case TV_BOOL: return "bool";
	case TV_INT: return v.sub == TV_SUB_INT64 ? "int64" : "int";
	case TV_FLOAT: return "float64";
	case TV_STRING: return v.sub == TV_SUB_BYTES ? "[]uint8" : "string";
	case TV_LIST:
		if (v.sub == TV_SUB_MAPS)
			return "[]map[string]interface {}";
		return v.sub == TV_SUB_STRS ? "[]string" : "[]interface {}";
	case TV_MAP:
		if (v.sub == TV_SUB_STRMAP)
			return "map[string]string";
		if (v.sub == TV_SUB_STRUCT)
			return v.u.m->gotype ? v.u.m->gotype : "struct";
		return "map[string]interface {}";
	case TV_METHOD: return "func";
	}
	return "?";
}

/* reflect.Kind names as Sprig's kindOf reports them. */
const char *tv_kind_name(tmpl_val v)
{
	switch (v.kind) {
	case TV_NIL: return "invalid";
	case TV_BOOL: return "bool";
	case TV_INT: return v.sub == TV_SUB_INT64 ? "int64" : "int";
	case TV_FLOAT: return "float64";
	case TV_STRING: return v.sub == TV_SUB_BYTES ? "slice" : "string";
	case TV_LIST: return "slice";
	case TV_MAP:
		if (v.sub == TV_SUB_STRUCT)
			return v.u.m->gotype && v.u.m->gotype[0] == '*' ? "ptr" : "struct";
		return "map";
	case TV_METHOD: return "func";
	}
	return "invalid";
}
