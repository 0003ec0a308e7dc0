/* The function table: one per-family table of each file of template functions (a tv_family
 * defined at the end of that file), searched by table.c's tv_func_lookup. Only table.c includes
 * this header: a family file knows its own functions and the helpers of fn.h, never the table. */
#ifndef EDDY_GOTMPL_FUNCS_H
#define EDDY_GOTMPL_FUNCS_H

#include "gotmpl/internal.h"

extern const tv_family tv_family_builtins; /* builtins.c */
extern const tv_family tv_family_defaults; /* defaults.c */
extern const tv_family tv_family_strings; /* strings.c */
extern const tv_family tv_family_lists; /* lists.c */
extern const tv_family tv_family_dicts; /* dicts.c */
extern const tv_family tv_family_math; /* math.c */
extern const tv_family tv_family_reflect; /* reflect.c */
extern const tv_family tv_family_paths; /* paths.c */
extern const tv_family tv_family_crypto; /* crypto.c */
extern const tv_family tv_family_semver; /* semver.c */
extern const tv_family tv_family_toml; /* toml.c */
extern const tv_family tv_family_helm; /* helmfn.c */


#endif
