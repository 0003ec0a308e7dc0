/* What the files of template functions share: the signature macro, argument accessors and
 * the value helpers of convert.c (not a public header). */
#ifndef EDDY_GOTMPL_FN_H
#define EDDY_GOTMPL_FN_H

#include "gotmpl/internal.h"
#include "eddy/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FN(name) int fn_##name(tmpl_exec *x, int argc, tmpl_val *argv, tmpl_val *out, err *e)
#define S(i) (argv[i].u.s->data)
#define SLEN(i) (argv[i].u.s->len)

/* convert.c */
tmpl_val tv_str_from_buf(buf *b);
int64_t tv_I64(tmpl_val v);
double tv_F64(tmpl_val v);
/* A list view of []interface{} or []string; false for other kinds. */
bool tv_as_list(tmpl_val v, size_t *n, tmpl_val **items);
tmpl_val tv_list_copy_of(size_t n, const tmpl_val *items, int sub);
/* Sprig's strslice. */
tmpl_val tv_strslice(tmpl_val v);

#endif
