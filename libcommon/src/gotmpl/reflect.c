/* Sprig's reflection functions: typeOf, kindOf, typeIs, kindIs, deepEqual. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"
#include "gotmpl/fn.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Sprig: reflection ---- */

FN(typeOf) { *out = tmpl_str(tv_type_name(argv[0])); return 0; }
FN(kindOf) { *out = tmpl_str(tv_kind_name(argv[0])); return 0; }
FN(typeIs) { *out = tmpl_bool(!strcmp(S(0), tv_type_name(argv[1]))); return 0; }
FN(kindIs) { *out = tmpl_bool(!strcmp(S(0), tv_kind_name(argv[1]))); return 0; }
FN(deepEqual) { *out = tmpl_bool(tv_equal(argv[0], argv[1])); return 0; }

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"typeOf", fn_typeOf, "a"},
	{"kindOf", fn_kindOf, "a"},
	{"typeIs", fn_typeIs, "sa"},
	{"kindIs", fn_kindIs, "sa"},
	{"deepEqual", fn_deepEqual, "aa"},
	{"typeIsLike", fn_typeIs, "sa"},
};

const tv_family tv_family_reflect = {funcs, sizeof funcs / sizeof *funcs};
