/* What the files of template functions share: the signature macro (a function is static to
 * its family's file and reached through that file's tv_family, see funcs.h), the argument
 * accessors and the value helpers (not a public header). */
#ifndef EDDY_GOTMPL_FN_H
#define EDDY_GOTMPL_FN_H

#include "gotmpl/internal.h"
#include "eddy/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FN(name) static int fn_##name(tmpl_exec *x, int argc, tmpl_val *argv, tmpl_val *out, err *e)
#define S(i) (argv[i].u.s->data)
#define SLEN(i) (argv[i].u.s->len)

bool tv_empty(tmpl_val v);
bool tv_to_int64(tmpl_val v, int64_t *out);
bool tv_to_float(tmpl_val v, double *out);
/* yaml.c */
int tv_to_json_raw(buf *out, tmpl_val v, bool pretty, bool html, err *e);
int tv_to_yaml_pretty(buf *out, tmpl_val v, err *e);
/* helmfn.c */
void tv_rand_bytes(void *p, size_t n); /* CSPRNG bytes */
/* A time.Time value: UTC, or a fixed zone (offset east of UTC, name). */
tmpl_val tv_time_new(int64_t sec, long nsec, bool utc, long off, const char *zone);

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
