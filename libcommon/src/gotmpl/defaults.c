/* Sprig's default functions: default, empty, coalesce, all, any, ternary. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"
#include "gotmpl/fn.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"default", fn_default, "aa*"},
	{"empty", fn_empty, "a"},
	{"coalesce", fn_coalesce, "a*"},
	{"all", fn_all, "a*"},
	{"any", fn_any, "a*"},
	{"ternary", fn_ternary, "aab"},
};

const tv_family tv_family_defaults = {funcs, sizeof funcs / sizeof *funcs};
