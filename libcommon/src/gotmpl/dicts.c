/* Sprig's dict functions. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"
#include "gotmpl/fn.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Does v reach the map m (v itself, or through its lists and maps)? Bounded: a value that
 * holds no cycle is a finite tree, and visits stop after a budget of nodes and of depth. */
static bool reaches(tmpl_val v, const struct tv_map *m, size_t *budget, int depth)
{
	if (*budget == 0 || depth > 500)
		return true; /* too large to tell: treat as reaching, so it is copied */
	(*budget)--;
	if (v.kind == TV_MAP) {
		if (v.u.m == m)
			return true;
		for (size_t i = 0; i < v.u.m->n; i++)
			if (reaches(v.u.m->vals[i], m, budget, depth + 1))
				return true;
	} else if (v.kind == TV_LIST) {
		for (size_t i = 0; i < v.u.l->n; i++)
			if (reaches(v.u.l->items[i], m, budget, depth + 1))
				return true;
	}
	return false;
}

/* Values are reference counted, so a map set into itself (or into something it holds) would
 * be a cycle that is never freed (fuzz find: `set $d "b" $d`). Go keeps the cycle; here the
 * value is stored as a deep copy then, which prints the same as far as Go can print it. */
FN(set)
{
	if (need_map(argv[0], e))
		return -1;
	size_t budget = 100000;
	tmpl_val v = reaches(argv[2], argv[0].u.m, &budget, 0) ? tmpl_deep_copy(argv[2])
							    : tmpl_ref(argv[2]);
	tmpl_map_set(argv[0], S(1), v);
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
		/* Sprig asserts map[string]interface {} at every level it descends into */
		if (cur.kind != TV_MAP || cur.sub != TV_SUB_MAP)
			return tmpl_fail(e, "interface conversion: interface {} is %s, not "
					 "map[string]interface {}", cur.kind == TV_NIL ? "nil" :
					 tv_type_name(cur));
		tmpl_val *v = tmpl_map_get(cur, argv[i].u.s->data);
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
		/* with override, mergo replaces even with an empty or nil source value */
		if (!dv || tv_empty(*dv) || overwrite)
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

FN(deepCopy)
{
	if (argv[0].kind == TV_NIL) /* copystructure on a nil interface */
		return tmpl_fail(e, "reflect: call of reflect.Value.Type on zero Value");
	*out = tmpl_deep_copy(argv[0]);
	return 0;
}

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"dict", fn_dict, "a*"},
	{"get", fn_get, "ms"},
	{"set", fn_set, "msa"},
	{"unset", fn_unset, "ms"},
	{"hasKey", fn_hasKey, "ms"},
	{"keys", fn_keys, "m*"},
	{"values", fn_values, "m"},
	{"pluck", fn_pluck, "sm*"},
	{"pick", fn_pick, "ms*"},
	{"omit", fn_omit, "ms*"},
	{"dig", fn_dig, "a*"},
	{"merge", fn_merge, "mm*"},
	{"mustMerge", fn_merge, "mm*"},
	{"mergeOverwrite", fn_mergeOverwrite, "mm*"},
	{"mustMergeOverwrite", fn_mergeOverwrite, "mm*"},
	{"deepCopy", fn_deepCopy, "a"},
	{"mustDeepCopy", fn_deepCopy, "a"},
};

const tv_family tv_family_dicts = {funcs, sizeof funcs / sizeof *funcs};
