/* Sprig's default functions: default, empty, coalesce, all, any, ternary. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"
#include "gotmpl/funcs.h"
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
