/* Internals of the server-side-apply manager (eddy/ssa.h), shared by its files and the unit
 * tests (tests/unit/test_ssa.c): staging and order (ssa.c), metadata clean-up (ssa_meta.c),
 * drift detection and spec.ignore (ssa_ignore.c). */
#ifndef EDDY_SSA_INT_H
#define EDDY_SSA_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "eddy/json.h"
#include "eddy/kube.h"
#include "eddy/ssa.h"

/* Borrowed member / string member of a JSON object, or NULL. */
/* strcmp with NULL as "". */
bool ssa_str_eq(const char *a, const char *b);

/* ---- ssa.c: stages and order ---- */

/* "Kind/namespace/name" or "Kind/name" (allocated). */
char *ssa_fmt_obj(const char *kind, const char *ns, const char *name);
/* Flux's stages (ApplyAllStaged): 0 CRDs, the core Namespace and ClusterRoles; 1 kinds
 * ending in "Class"; 2 the custom stage kinds ("group/Kind" or "Kind" for the core group,
 * comma separated); 3 the rest. */
int ssa_stage_of(const char *custom, const cJSON *o);

/* One object of a stage while it is applied. */
typedef struct ssa_item {
	cJSON *o;        /* borrowed from objs */
	char *id;        /* Kind/ns/name */
	ssa_action action;
	cJSON *payload;  /* what to apply instead of o (ignore rules), or NULL */
	bool failed;     /* the dry-run step failed with e */
	err e;
} ssa_item;
/* qsort comparator of ssa_item: Flux's apply order within a stage (ssa/sort.go). */
int ssa_cmp_items(const void *pa, const void *pb);
/* Flux's IsImmutableError: Conflict or Invalid answers, or a message saying so. */
bool ssa_is_immutable(const err *e);
/* Fills e with Flux's DryRunErr text for the failed dry-run de of object id (namespace ns);
 * returns -1. */
int ssa_dry_run_error(err *e, const char *id, const char *ns, const err *de);

/* ---- ssa_meta.c: annotations and the clean-up of other managers' metadata ---- */

/* A label or annotation <o->group>/<what> with that value, compared case-insensitively
 * (Flux's AnyInMetadata). */
bool ssa_meta_is(const ssa_options *o, const cJSON *obj, const char *what, const char *val);
/* A label or annotation with that key and value, compared case-insensitively. */
bool ssa_meta_has(const cJSON *obj, const char *key, const char *val);
/* RFC 6901 escaping of one reference token (~ and /). Allocated. */
char *ssa_pointer_escape(const char *s);
/* Does this managedFields entry belong to a manager whose fields are handed over (kubectl,
 * before-first-apply, field_manager's own Update, the override managers)? */
bool ssa_foreign_manager(const ssa_options *o, const cJSON *ent);
/* The managedFields of cur with the foreign managers' fields handed to o->field_manager
 * (Apply), or NULL when there are none. */
cJSON *ssa_take_over_fields(const ssa_options *o, const cJSON *cur);
/* Flux's cleanupMetadata: one JSON patch removing kubectl's last-applied annotation, Flux v1's
 * checksums and gc label, and handing foreign managers' fields over. 1 when patched, 0 when
 * nothing to do (or ssa: Merge), -1 on error. */
int ssa_cleanup_metadata(const ssa_options *o, kube_client *k, const cJSON *desired,
	const cJSON *cur, err *e);

/* ---- ssa_ignore.c: JSON pointers, drift detection and ignore rules ---- */

/* Splits an RFC 6901 pointer into unescaped tokens, allocated in one block (free *toks);
 * "" gives n = 0. -1 when it does not start with '/', has a bad '~' escape or is too deep. */
int ssa_ptr_parse(const char *ptr, char ***toks, size_t *n);
/* The value at the pointer (borrowed), or NULL. */
cJSON *ssa_ptr_get(cJSON *doc, const char *ptr);
/* Removes the value at the pointer (never the document); true when removed. */
bool ssa_ptr_remove(cJSON *doc, const char *ptr);
/* Replaces the existing value at the pointer by val (taken); false (val freed) when none. */
bool ssa_ptr_replace(cJSON *doc, const char *ptr, cJSON *val);
/* Flux's hasDrifted: labels, annotations, then everything but metadata and status. */
bool ssa_drifted(const cJSON *cur, const cJSON *dry);
/* ssa_drifted with the pointers in paths removed from both sides first. */
bool ssa_drifted_ignoring(const cJSON *cur, const cJSON *dry, const cJSON *paths);
/* Does obj match an ignore rule's target? No target matches every object. */
bool ssa_ignore_target_matches(const cJSON *target, const cJSON *obj);
/* The ignore paths that apply to obj (a new array of strings), or NULL when none. */
cJSON *ssa_ignore_paths_for(const cJSON *rules, const cJSON *obj);
/* Does a manager other than o->field_manager (and not a foreign one) own the field at ptr by
 * server-side apply? Only object keys are followed. */
bool ssa_ignore_co_owned(const ssa_options *o, const cJSON *cur, const char *ptr);
/* The object to apply over an existing one with ignored paths: each ignored field of desired
 * whose cluster value differs from the dry-run's is removed when co-owned, else set to the
 * cluster's value. NULL when nothing changes. */
cJSON *ssa_ignore_payload(const ssa_options *o, const cJSON *desired, const cJSON *cur,
	const cJSON *dry, const cJSON *paths);

#endif
