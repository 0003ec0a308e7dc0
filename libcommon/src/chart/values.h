/* Values helpers shared inside the chart module. */
#ifndef EDDY_CHART_VALUES_H
#define EDDY_CHART_VALUES_H

#include "chart/internal.h"

void cv_coalesce_tables(tmpl_val dst, tmpl_val src, bool merge, int depth);
int cv_coalesce(const chart *c, tmpl_val user, bool merge, tmpl_val *out, err *e);
tmpl_val *cv_path(tmpl_val root, const char *path);
int cv_schema_validate(const chart *c, tmpl_val values, buf *problems);
/* The values of c and of its dependencies (under their names) against each chart's schema;
 * problems appended to msg. Non-zero when any fails. */
int cv_schema_validate_all(const chart *c, tmpl_val vals, buf *msg, int depth);

#endif
