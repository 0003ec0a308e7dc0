/* Sprig's list functions. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"
#include "gotmpl/fn.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	if (!tv_as_list(v, n, items))
		return tmpl_fail(e, "Cannot %s on type %s", what, tv_type_name(v));
	return 0;
}

FN(append)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (argv[0].kind != TV_LIST)
		return tmpl_fail(e, "Cannot push on type %s", tv_type_name(argv[0]));
	tv_as_list(argv[0], &n, &it);
	tmpl_val l = tv_list_copy_of(n, it, 0);
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
	tv_as_list(argv[0], &n, &it);
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
	*out = n ? tv_list_copy_of(n - 1, it + 1, 0) : tmpl_nil();
	return 0;
}

FN(initial)
{
	size_t n = 0;
	tmpl_val *it = NULL;
	if (need_list(argv[0], "find initial", &n, &it, e))
		return -1;
	*out = n ? tv_list_copy_of(n - 1, it, 0) : tmpl_nil();
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
		if (!tv_as_list(argv[i], &n, &it)) {
			tmpl_val_free(l);
			return tmpl_fail(e, "Cannot concat type %s as list", tv_type_name(argv[i]));
		}
		for (size_t k = 0; k < n; k++)
			tmpl_list_push(&l, tmpl_ref(it[k]));
	}
	*out = l;
	return 0;
}

/* Sprig's slice (it replaces Go's builtin, so strings are refused): an empty list gives nil. */
FN(slice)
{
	tmpl_val v = argv[0];
	if (v.kind == TV_NIL)
		return tmpl_fail(e, "runtime error: invalid memory address or nil pointer "
				 "dereference");
	size_t n = 0;
	tmpl_val *it = NULL;
	if (!tv_as_list(v, &n, &it))
		return tmpl_fail(e, "list should be type of slice or array but %s",
				 tv_kind_name(v));
	if (!n) {
		*out = tmpl_nil();
		return 0;
	}
	int64_t lo = argc > 1 ? tv_I64(argv[1]) : 0;
	int64_t hi = argc > 2 ? tv_I64(argv[2]) : (int64_t)n;
	if (lo < 0 || hi < lo || hi > (int64_t)n)
		return tmpl_fail(e, "slice bounds out of range [%lld:%lld]", (long long)lo,
				 (long long)hi);
	*out = tv_list_copy_of((size_t)(hi - lo), it + lo, v.sub);
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
		tmpl_list_push(&l, tv_list_copy_of(k, it + i, 0));
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
	*out = tv_str_from_buf(&b);
	return 0;
}

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"slice", fn_slice, "aa*"},
	{"list", fn_list, "a*"},
	{"tuple", fn_list, "a*"},
	{"append", fn_append, "aa"},
	{"push", fn_append, "aa"},
	{"mustAppend", fn_append, "aa"},
	{"mustPush", fn_append, "aa"},
	{"prepend", fn_prepend, "aa"},
	{"mustPrepend", fn_prepend, "aa"},
	{"first", fn_first, "a"},
	{"mustFirst", fn_first, "a"},
	{"last", fn_last, "a"},
	{"mustLast", fn_last, "a"},
	{"rest", fn_rest, "a"},
	{"mustRest", fn_rest, "a"},
	{"initial", fn_initial, "a"},
	{"mustInitial", fn_initial, "a"},
	{"reverse", fn_reverse, "a"},
	{"mustReverse", fn_reverse, "a"},
	{"uniq", fn_uniq, "a"},
	{"mustUniq", fn_uniq, "a"},
	{"compact", fn_compact, "a"},
	{"mustCompact", fn_compact, "a"},
	{"has", fn_has, "aa"},
	{"mustHas", fn_has, "aa"},
	{"without", fn_without, "aa*"},
	{"mustWithout", fn_without, "aa*"},
	{"concat", fn_concat, "a*"},
	{"mustSlice", fn_slice, "aa*"},
	{"chunk", fn_chunk, "ia"},
	{"mustChunk", fn_chunk, "ia"},
	{"until", fn_until, "i"},
	{"untilStep", fn_untilStep, "iii"},
	{"seq", fn_seq, "i*"},
};

const tv_family tv_family_lists = {funcs, sizeof funcs / sizeof *funcs};
