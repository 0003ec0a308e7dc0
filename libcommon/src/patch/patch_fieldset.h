/* Field sets for server-side apply: an owned tree mirroring FieldsV1 (internal). */
#ifndef EDDY_PATCH_FIELDSET_H
#define EDDY_PATCH_FIELDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "eddy/buf.h"
#include "patch_int.h"

/* A node is one path element ("f:name", "k:{...}", "v:...", "i:N"; the root has key NULL).
 * member says the path ending here is in the set; kids extend the path. */
typedef struct fnode {
	char *key;
	bool member;
	struct fnode **kids;
	size_t n, cap;
	patch_kindex *ix; /* key -> kid position, built once a node has many kids */
} fnode;

fnode *patch_fs_new(const char *key);
void patch_fs_free(fnode *n);
fnode *patch_fs_child(fnode *n, const char *key, bool create);
/* Parse FieldsV1 (depth-limited); NULL input gives an empty set. Returns NULL if too deep. */
fnode *patch_fs_from_json(const cJSON *fields);
/* FieldsV1 for the set (kids sorted, "." for members with kids). */
cJSON *patch_fs_to_json(const fnode *n);
bool patch_fs_empty(const fnode *n);
void patch_fs_union(fnode *dst, const fnode *src);
fnode *patch_fs_diff(const fnode *a, const fnode *b);
fnode *patch_fs_intersect(const fnode *a, const fnode *b);
/* Whether the sets are equal (same members). */
bool patch_fs_equal(const fnode *a, const fnode *b);
/* Drop nodes without members below them. */
void patch_fs_prune(fnode *n);
/* Append the printed form of a path element (".name", "[name=\"x\"]", "[=\"v\"]", "[3]"). */
void patch_fs_print_elem(buf *b, const char *key);
/* Call cb for every member, with its printed path. */
void patch_fs_each_member(const fnode *n, void (*cb)(void *ctx, const char *path), void *ctx);

#endif
