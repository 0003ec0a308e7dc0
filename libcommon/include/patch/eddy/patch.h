/* patch: the Kubernetes patch and apply algorithms as pure functions on cJSON.
 *
 * Four families, all free of I/O and global state:
 *   1. JSON merge patch (RFC 7386)                       patch_merge()
 *   2. JSON patch (RFC 6902)                             patch_json()
 *   3. Strategic merge patch, as k8s.io/apimachinery's strategicpatch package applies it to
 *      the built-in kinds (core, apps, batch, networking, rbac, policy, autoscaling,
 *      admissionregistration, storage), from a
 *      static table of patch strategies and merge keys (the patchStrategy / patchMergeKey tags
 *      of k8s.io/api). Unknown kinds (custom resources) get maps merged and lists replaced.
 *                                                        patch_strategic(), patch_schema_*()
 *   4. Server-side apply with managedFields (structured-merge-diff semantics, simplified):
 *      FieldsV1 encoding, ownership, conflicts, force, pruning of fields a manager stopped
 *      applying, and Update entries for ordinary writes.
 *                                    patch_apply(), patch_apply_subresource(),
 *                                    patch_track_update(), patch_fields_of()
 *
 * Ownership: every function takes its inputs as `const cJSON *` and never keeps or changes
 * them, except the documented in-out object of patch_apply() and patch_track_update(). A
 * returned cJSON * is a new tree owned by the caller (cJSON_Delete). On failure the functions
 * return NULL (or -1) and fill `err *e` with reason "PatchFailed" (or "Conflict" for apply
 * conflicts) and a message worded as the Kubernetes API server words it, so the apiserver can
 * put it into a Status unchanged. All recursion is bounded by PATCH_MAX_DEPTH; deeper input is
 * an error, never a crash. The functions share no mutable state, so threads may call them
 * concurrently. Results are checked against kubectl 1.33 (tests/patch/) and documented in
 * docs/patch.md.
 */
#ifndef EDDY_PATCH_H
#define EDDY_PATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "eddy/err.h"

enum { PATCH_MAX_DEPTH = 200, PATCH_MAX_OPS = 10000 };

/* ---------------------------------------------------------------------------------------------
 * 1. JSON merge patch (RFC 7386).
 *
 * Returns a new document: target with patch merged in. Objects merge recursively, `null`
 * deletes a key, anything else (arrays, scalars, or a non-object patch) replaces; as in
 * evanphx/json-patch v4, a value that is added (or replaces a non-object) has the null members
 * of its objects removed at every depth. target may be NULL (treated as absent); a null patch
 * is an error ("Invalid JSON Patch"). */
cJSON *patch_merge(const cJSON *target, const cJSON *patch, err *e);

/* ---------------------------------------------------------------------------------------------
 * 2. JSON patch (RFC 6902).
 *
 * ops must be an array of operation objects (add, remove, replace, move, copy, test). Paths are
 * JSON pointers (RFC 6901: "~1" is "/", "~0" is "~"); "-" appends to an array in add, move and
 * copy. The operations apply in order to a copy of target; the first failing one fails the
 * whole patch and nothing is returned. Behaviour and messages follow evanphx/json-patch v4.12,
 * which the API server, kubectl and kustomize use (checked against kubectl 1.33), e.g.:
 *   "add operation does not apply: doc is missing path: \"/x/y\": missing value"
 *   "replace operation does not apply: doc is missing path: /zz/k: missing value"
 *   "replace operation does not apply: doc is missing key: /list/5: missing value"
 *   "error in remove for path: '/data/zz': Unable to remove nonexistent key: zz: missing value"
 *   "testing value /data/a failed: test failed"
 *   "Unexpected kind: foo"
 * Like v4.12, replace of a missing member of an existing object adds it, test of a missing
 * member succeeds only against null, and negative array indices count from the end.
 * At most PATCH_MAX_OPS operations. */
cJSON *patch_json(const cJSON *target, const cJSON *ops, err *e);

/* Decode one JSON pointer token in place ("~1" -> "/", "~0" -> "~"); returns -1 on a bad
 * escape such as "~2" or a trailing "~". */
int patch_pointer_unescape(char *token);
/* A newly allocated escaped token ("/" -> "~1", "~" -> "~0"). */
char *patch_pointer_escape(const char *token);

/* ---------------------------------------------------------------------------------------------
 * 3. Strategic merge patch.
 *
 * Strategy flags for a field, as in the Kubernetes `patchStrategy` tag. A list field with no
 * flag (or a field not in the table) is atomic: the patch's list replaces the original one. */
typedef enum patch_strategy {
	PATCH_STRATEGY_NONE = 0,
	PATCH_STRATEGY_MERGE = 1, /* "merge": keyed list merge, or set merge of primitives */
	PATCH_STRATEGY_RETAIN_KEYS = 2, /* "retainKeys": honour $retainKeys on this map */
	PATCH_STRATEGY_REPLACE = 4, /* "replace" */
} patch_strategy;

/* How server-side apply treats a list (x-kubernetes-list-type). */
typedef enum patch_list_type {
	PATCH_LIST_ATOMIC = 0,
	PATCH_LIST_SET, /* list of primitives, items owned one by one (v:<value>) */
	PATCH_LIST_MAP, /* list of objects keyed by one or more fields (k:{...}) */
} patch_list_type;

enum { PATCH_MAX_KEYS = 3 };

/* What the schema says about one field. merge_key is the SMP patchMergeKey (NULL if none);
 * map_keys are the apply list-map keys (x-kubernetes-list-map-keys, which may be more than the
 * SMP merge key, e.g. Service ports: SMP key "port", apply keys "port","protocol"). The strings
 * are static. */
typedef struct patch_field_info {
	unsigned strategy; /* patch_strategy flags */
	const char *merge_key; /* SMP merge key or NULL */
	patch_list_type list_type; /* for apply */
	const char *map_keys[PATCH_MAX_KEYS]; /* NULL-terminated when fewer */
	bool atomic_map; /* x-kubernetes-map-type: atomic (e.g. LabelSelector) */
} patch_field_info;

/* Whether the built-in table knows this apiVersion/kind (e.g. "apps/v1", "Deployment").
 * patch_strategic() on an unknown kind merges maps and replaces lists (directives are still
 * honoured); the API server answers SMP on a custom resource with 415 before getting here. */
bool patch_schema_known(const char *api_version, const char *kind);

/* Look up the field at a dotted path below the object root, list items being transparent:
 * "spec.template.spec.containers" (the containers list of a Deployment), or
 * "spec.template.spec.containers.ports" (the ports list of each container), or
 * "metadata.finalizers". Fills *out and returns true when the path is in the table, else
 * returns false and fills *out with an atomic, strategy-less field. */
bool patch_schema_field(const char *api_version, const char *kind, const char *path,
			patch_field_info *out);

/* Shorthand used by kustomize: the SMP merge key of the list at path (NULL if the list is not
 * merged by key) and, if strategy is not NULL, its patch_strategy flags. */
const char *patch_list_merge_key(const char *api_version, const char *kind, const char *path,
				 unsigned *strategy);

/* Apply a strategic merge patch (a JSON object) to target; returns a new document.
 * Semantics of k8s.io/apimachinery/pkg/util/strategicpatch (StrategicMergePatch):
 *   - maps merge recursively; null deletes a key;
 *   - lists with strategy merge and a merge key merge item by item on that key (an item in the
 *     patch with `"$patch": "delete"` deletes the matching item, `"$patch": "replace"` in a
 *     list replaces the whole list); lists of primitives with strategy merge are merged as sets
 *     (finalizers); other lists are replaced;
 *   - directives: `$patch: replace|delete` in maps and merge-list items (`merge` is rejected,
 *     as upstream), `$retainKeys` (wherever it appears; kubectl generates it for fields with
 *     the retainKeys strategy), `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`;
 *   - list order as upstream: $setElementOrder, then patch order, then live order;
 *   - a patch value taken as is (its key is new, or its type differs from the original's)
 *     loses its null members and every map carrying `$patch` at any depth; as upstream,
 *     items appended to a merge list are taken verbatim.
 * api_version/kind pick the schema; when the kind is unknown (or either is NULL) lists are
 * replaced as in a merge patch, and the directives are still honoured. Errors carry
 * upstream's wording, e.g. "map: map[image:x] does not contain declared merge key: name". */
cJSON *patch_strategic(const cJSON *target, const cJSON *patch, const char *api_version,
		       const char *kind, err *e);

/* patch_strategic() with an OpenAPI schema instead of the built-in table (kustomize's
 * `openapi:` field): schema is the kind's schema with every $ref already resolved; below it,
 * `properties`, `additionalProperties` and `items` are followed, and a field's
 * x-kubernetes-patch-strategy ("merge", "retainKeys", "replace", comma-separated) and
 * x-kubernetes-patch-merge-key give its strategy and merge key. NULL schema: no field has a
 * strategy (maps merge, lists are replaced). The schema must outlive the call. */
cJSON *patch_strategic_openapi(const cJSON *target, const cJSON *patch, const cJSON *schema,
			       err *e);

/* ---------------------------------------------------------------------------------------------
 * 4. Server-side apply.
 *
 * A field set is encoded as FieldsV1 (metadata.managedFields[].fieldsV1), a JSON object tree
 * whose keys are "f:<field>" (map or struct member), "k:{\"name\":\"c\"}" (keyed list item;
 * keys sorted by name, values as JSON), "v:<json value>" (set item), "i:<n>" (atomic item,
 * not produced here) and "." (the node itself, when it also has members). Leaves are {}.
 *
 * Field paths are printed as Kubernetes prints them in conflict messages:
 * ".data.k", ".spec.containers[name=\"nginx\"].image", ".metadata.finalizers[=\"x\"]". */

/* Optional schema for kinds the built-in table does not know (custom resources): the CRD
 * version's openAPIV3Schema. Its x-kubernetes-list-type (atomic/set/map),
 * x-kubernetes-list-map-keys and x-kubernetes-map-type are honoured. Without a hint (NULL or
 * schema NULL) an unknown kind has granular maps and atomic lists. */
typedef struct patch_schema_hint {
	const cJSON *openapi_schema;
} patch_schema_hint;

/* One field another manager owns with a different value. */
typedef struct patch_conflict {
	char *manager; /* the other manager's name */
	char *operation; /* "Apply" or "Update" */
	char *api_version; /* its apiVersion */
	char *subresource; /* NULL or e.g. "status" */
	char *field; /* path as printed, e.g. ".data.k" */
	char *cause; /* cause message, e.g. "conflict with \"helm\" using v1" */
} patch_conflict;

typedef struct patch_conflicts {
	size_t n;
	patch_conflict *items;
	/* e.g. "Apply failed with 1 conflict: conflict with \"helm\" using v1: .data.k" */
	char *message;
} patch_conflicts;

void patch_conflicts_init(patch_conflicts *c);
void patch_conflicts_release(patch_conflicts *c);
/* The 409 Status body for c: kind Status, reason Conflict, code 409, message, and
 * details.causes[] with reason FieldManagerConflict, message and field. */
cJSON *patch_conflicts_status(const patch_conflicts *c);

/* Server-side apply of `applied` (the request body: apiVersion, kind, metadata.name, ...) by
 * field manager `manager`.
 *
 * *live is the stored object (with metadata.managedFields), or NULL to create: on success
 * *live is replaced by a new tree (the old one is freed), which is the object to store: the
 * applied fields merged in (keyed lists merged by key, per the schema), fields this manager
 * applied before but no longer applies removed unless another manager owns them, and
 * metadata.managedFields updated (this manager's Apply entry holds exactly the applied field
 * set; its time becomes `now`, an RFC 3339 string such as "2026-01-01T00:00:00Z", when its set
 * or the object changed, so a no-op apply returns an identical object; other entries keep
 * their time; entries left without fields are dropped; entries are sorted as the API server
 * sorts them: Apply before Update, then by time). A managedFields of [{}] (csaupgrade's
 * reset) counts as no managers.
 *
 * Returns 0 on success; 1 on conflicts (nothing changed; *out lists them, e has reason
 * "Conflict" and the message of out->message); -1 on other errors (e filled: applied is not
 * an object, a keyed list item lacks its key, nesting too deep). With force, conflicting
 * fields are taken over from the other managers instead. out may be NULL; otherwise it is
 * initialised here and the caller releases it with patch_conflicts_release() in every case.
 *
 * The caller keeps server-owned metadata (uid, resourceVersion, creationTimestamp,
 * generation) itself, strips `.status` from applied for kinds with a status subresource, and
 * validates the result. apiVersion/kind come from applied. hint may be NULL. */
int patch_apply(cJSON **live, const cJSON *applied, const char *manager, bool force,
		const char *now, const patch_schema_hint *hint, patch_conflicts *out, err *e);

/* patch_apply() on a subresource ("status"): the Apply entry is per manager and subresource
 * and records "subresource". The caller keeps only the subresource's part of applied (for
 * "status": .status plus the identifying fields), as the API server does. */
int patch_apply_subresource(cJSON **live, const cJSON *applied, const char *manager,
			    const char *subresource, bool force, const char *now,
			    const patch_schema_hint *hint, patch_conflicts *out, err *e);

/* Record an ordinary write (create, update, merge/JSON/strategic patch) by `manager` in
 * newobj's metadata.managedFields: the fields that differ between old (NULL on create) and
 * newobj are added to the manager's "Update" entry for api_version (created if needed) and
 * taken away from every other manager; fields removed by the write leave every set; entries
 * left empty are dropped; the manager's time becomes `now` when something changed. The
 * entries are read from newobj's own metadata.managedFields: for a PUT or PATCH the caller
 * copies old's managedFields into newobj first unless the request set them itself (kubectl's
 * csaupgrade JSON patch does; a request that sets them to an empty list clears them, and the
 * API server then records nothing, so the caller skips this call). subresource is NULL or
 * "status" (an entry is per manager,
 * apiVersion and subresource). hint as in patch_apply(). Returns 0, or -1 with e filled.
 *
 * Typical use in the API server:
 *   create:  patch_track_update(NULL, obj, manager, "v1", NULL, now, hint, &e)
 *   update:  copy managedFields old -> new; patch_track_update(old, new, ...)
 *   apply:   rc = patch_apply(&live_or_null, body, manager, force, now, hint, &conf, &e);
 *            rc == 1 -> 409 with patch_conflicts_status(&conf) as the body */
int patch_track_update(const cJSON *old, cJSON *newobj, const char *manager,
		       const char *api_version, const char *subresource, const char *now,
		       const patch_schema_hint *hint, err *e);

/* The FieldsV1 set of an applied configuration (what patch_apply would record for it), as a
 * new tree. Server-set metadata (apiVersion, kind, name, namespace, uid, ...) is left out. */
cJSON *patch_fields_of(const cJSON *applied, const patch_schema_hint *hint, err *e);

#endif
