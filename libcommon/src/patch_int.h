/* Internal helpers shared by the patch_*.c files (not part of the public API). */
#ifndef EDDY_PATCH_INT_H
#define EDDY_PATCH_INT_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "eddy/patch.h"

#define PATCH_REASON "PatchFailed"

/* A deep copy (never NULL for non-NULL input; cJSON allocates through xmalloc). */
cJSON *pi_dup(const cJSON *v);
/* Deep equality of JSON values (object key order ignored, numbers compared exactly). */
bool pi_equal(const cJSON *a, const cJSON *b);
/* Depth of a tree, stopping early once it passes limit (returns limit + 1 then). */
int pi_depth(const cJSON *v, int limit);
/* Detach and free the member named key (exact, case-sensitive) if present. */
void pi_delete_key(cJSON *obj, const char *key);
/* The member named key (exact, case-sensitive) or NULL. */
cJSON *pi_get(const cJSON *obj, const char *key);
/* Set obj[key] = v (taking ownership of v), replacing an existing member in place. */
void pi_set(cJSON *obj, const char *key, cJSON *v);
/* Compact JSON text of v (newly allocated). */
char *pi_print(const cJSON *v);

/* Schema cursor over the built-in type table or a CRD's openAPIV3Schema. */
struct ptype;
typedef struct pschema {
	const struct ptype *t; /* built-in type, or NULL */
	const cJSON *oa; /* openapi node, or NULL */
} pschema;

/* Root schema of apiVersion/kind (both NULL when unknown); hint is used for unknown kinds. */
pschema ps_root(const char *api_version, const char *kind, const patch_schema_hint *hint);
/* Schema of the member `name` of a map node s; fills *fi (strategy, keys, list type). */
pschema ps_field(pschema s, const char *name, patch_field_info *fi);
/* Schema of the items of a list node s. */
pschema ps_items(pschema s);
/* Whether the map node s is atomic for apply. */
bool ps_atomic_map(pschema s);

#endif
