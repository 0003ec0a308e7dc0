/* Sprig's reflection functions: typeOf, kindOf, typeIs, kindIs, deepEqual. */
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

/* ---- Sprig: reflection ---- */

FN(typeOf) { *out = tmpl_str(tv_type_name(argv[0])); return 0; }
FN(kindOf) { *out = tmpl_str(tv_kind_name(argv[0])); return 0; }
FN(typeIs) { *out = tmpl_bool(!strcmp(S(0), tv_type_name(argv[1]))); return 0; }
FN(kindIs) { *out = tmpl_bool(!strcmp(S(0), tv_kind_name(argv[1]))); return 0; }
FN(deepEqual) { *out = tmpl_bool(tv_equal(argv[0], argv[1])); return 0; }
