/* table: meta.k8s.io/v1 Table output (kubectl get): column definitions of built-in kinds and of
 * CRDs (additionalPrinterColumns), a JSONPath subset for the cells, and kubectl's ages. */
#ifndef APISERVER_TABLE_H
#define APISERVER_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "types.h"

/* Does an Accept header ask for a Table (as=Table)? */
bool table_wanted(const char *accept);
/* A new Table for ty (with the column definitions when with_defs). */
cJSON *table_new(const api_type *ty, bool with_defs);
/* Append the row of obj (with the object itself when include_object). */
void table_add_row(cJSON *table, const api_type *ty, const cJSON *obj, bool include_object);
/* Evaluate a JSONPath subset (.a.b, [n], [*], ['k'], [?(@.f=="v")]) on obj and format the
 * result for a column of type (may be NULL); NULL when nothing matches. Caller frees. */
char *table_jsonpath(const cJSON *obj, const char *path, const char *type);
/* A duration of secs seconds as kubectl prints ages ("5s", "2m5s", "3d1h", "<invalid>"). */
void table_age(int64_t secs, char out[32]);

#endif
