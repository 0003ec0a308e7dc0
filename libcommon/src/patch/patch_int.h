/* Internal helpers shared by the patch_*.c files (not part of the public API). */
#ifndef EDDY_PATCH_INT_H
#define EDDY_PATCH_INT_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "eddy/json.h"
#include "eddy/patch.h"

#define PATCH_REASON "PatchFailed"

/* A deep copy (never NULL for non-NULL input; cJSON allocates through xmalloc). */
cJSON *patch_u_dup(const cJSON *v);
/* Deep equality of JSON values (object key order ignored, numbers compared exactly). */
bool patch_u_equal(const cJSON *a, const cJSON *b);
/* Depth of a tree, stopping early once it passes limit (returns limit + 1 then). */
int patch_u_depth(const cJSON *v, int limit);
/* Compact JSON text of v (newly allocated). */
char *patch_u_print(const cJSON *v);

/* A hash index from key text to the position of its first occurrence. */
typedef struct patch_kindex {
	char **keys;
	long *pos;
	size_t cap, n;
} patch_kindex;

void patch_kx_init(patch_kindex *x, size_t expected);
void patch_kx_free(patch_kindex *x);
/* Position recorded for k, or -1. */
long patch_kx_get(const patch_kindex *x, const char *k);
/* Record k at p unless already present. */
void patch_kx_add(patch_kindex *x, const char *k, long p);

/* Hashed member lookups on one object while it is being edited (objects with few members are
 * searched directly). Edits must go through patch_oix_set/delete to keep the index right. */
typedef struct patch_oix {
	patch_kindex x;
	cJSON **items;
	size_t n, cap;
	cJSON *obj;
	bool on;
} patch_oix;

void patch_oix_init(patch_oix *o, cJSON *obj);
void patch_oix_free(patch_oix *o);
cJSON *patch_oix_get(const patch_oix *o, const char *key);
/* Record item (or NULL) as the member named key. */
void patch_oix_put(patch_oix *o, const char *key, cJSON *item);
/* obj[key] = v (owned), in place when present. */
void patch_oix_set(patch_oix *o, const char *key, cJSON *v);
void patch_oix_delete(patch_oix *o, const char *key);

/* Schema cursor over the built-in type table or a CRD's openAPIV3Schema. */
struct ptype;
typedef struct pschema {
	const struct ptype *t; /* built-in type, or NULL */
	const cJSON *oa; /* openapi node, or NULL */
} pschema;

/* Root schema of apiVersion/kind (both NULL when unknown); hint is used for unknown kinds. */
pschema patch_s_root(const char *api_version, const char *kind, const patch_schema_hint *hint);
/* Schema of the member `name` of a map node s; fills *fi (strategy, keys, list type). */
pschema patch_s_field(pschema s, const char *name, patch_field_info *fi);
/* Schema of the items of a list node s. */
pschema patch_s_items(pschema s);
/* Whether the map node s is atomic for apply. */
bool patch_s_atomic_map(pschema s);

#endif
