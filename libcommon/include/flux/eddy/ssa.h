/* ssa (`ssa_`): Flux's server-side-apply manager (fluxcd/pkg ssa ResourceManager), shared by the
 * controllers that apply sets of objects (kustomize-controller today).
 *
 * ssa_apply_all_staged applies a set of objects as ApplyAllStaged does: in stages, each object
 * dry-run first to detect drift, recreated on immutable-field errors when forced, with the
 * owner's ssa/force/reconcile annotations honoured and the metadata left by kubectl and other
 * field managers cleaned up; spec.ignore-style rules keep chosen fields out of drift detection.
 * ssa_inventory_add and ssa_delete_all keep the inventory of what was applied (cli-utils object
 * ids, as status.inventory) and prune what left the set (DeleteAll with the owner's labels).
 *
 * Everything the manager needs from its caller is in ssa_options: the field manager, the group
 * whose annotations it honours, the owner labels, force, the concurrency of the dry-runs, the
 * ignore rules and the extra stage kinds. Functions block (they use the blocking Kubernetes
 * client) and run on a reconcile worker; ctx gives the logger and the manager's shutdown state.
 * Errors fill `e` with reason ReconciliationFailed (apply) or PruneFailed (delete) and a message
 * that names the object, as Flux's texts do. */
#ifndef EDDY_SSA_H
#define EDDY_SSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "eddy/buf.h"
#include "eddy/err.h"
#include "eddy/kube.h"
#include "eddy/rt.h"

/* A label an owner puts on every object it applies (Flux's owner labels), e.g.
 * {"kustomize.toolkit.fluxcd.io/name", "app"}. */
typedef struct ssa_label {
	const char *key, *value;
} ssa_label;

typedef struct ssa_options {
	/* Owner.Field: the field manager of every apply, dry-run and clean-up patch. */
	const char *field_manager;
	/* Owner.Group: the prefix of the annotations (or labels) honoured on objects:
	 * <group>/reconcile: disabled and <group>/ssa: Ignore skip an object, <group>/ssa:
	 * IfNotPresent applies it only when absent, <group>/ssa: Merge keeps others' metadata,
	 * <group>/force: enabled recreates it on immutable-field errors, <group>/prune: disabled
	 * keeps it from ssa_delete_all. Values compare case-insensitively (AnyInMetadata). */
	const char *group;
	/* Field managers whose fields the clean-up hands over to field_manager, besides
	 * kubectl's and before-first-apply (--override-manager; prefix match). */
	const char *const *override_managers;
	size_t noverride_managers;
	/* The labels that mark an object as the owner's: ssa_delete_all deletes only objects
	 * carrying all of them. */
	const ssa_label *owner_labels;
	size_t nowner_labels;
	bool force;                     /* recreate objects on immutable-field errors */
	int concurrency;                /* dry-runs at once (--concurrent-ssa); <= 1: one */
	int64_t wait_timeout_ms;        /* CRDs of the first stage, recreations (0: 60 s) */
	const char *custom_stage_kinds; /* --custom-apply-stage-kinds: "group/Kind,Kind,..." */
	/* [{paths: [RFC 6901 pointer], target: {group, version, kind, name, namespace,
	 * labelSelector, annotationSelector}}] (spec.ignore; borrowed; may be NULL) */
	const cJSON *ignore;
} ssa_options;

/* What the manager did with an object (ChangeSetEntry.Action). */
typedef enum ssa_action {
	SSA_SKIPPED,
	SSA_UNCHANGED,
	SSA_CREATED,
	SSA_CONFIGURED,
} ssa_action;

/* "skipped", "unchanged", "created", "configured". */
const char *ssa_action_name(ssa_action a);

/* Server-side applies objs as Flux's ApplyAllStaged: CRDs, Namespaces and ClusterRoles first
 * (then waits for the CRDs to be Established), then kinds ending in "Class", then the
 * o->custom_stage_kinds, then the rest, each stage in Flux's kind order (ssa/sort.go).
 * Per object (o->concurrency dry-runs at once, the applies then in order): skipped when it (or
 * the object in the cluster) says <group>/reconcile: disabled or <group>/ssa: Ignore, or says
 * ssa: IfNotPresent and exists; a server-side dry-run (an immutable-field error with o->force
 * or the <group>/force: enabled annotation deletes the object and retries); kubectl's and
 * other managers' metadata are cleaned up unless ssa: Merge; applied only when new or when the
 * dry-run differs from the object in the cluster. o->ignore rules whose target matches an
 * existing object (anchored regexes for group, version, kind, name and namespace; label and
 * annotation selectors; no target: all objects) name RFC 6901 pointers that drift detection
 * leaves out; when the object is applied for other changes, each ignored field of desired
 * whose cluster value differs from the dry-run's is left out of the apply when another
 * manager owns it by server-side apply, else applied with the cluster's value, so it is kept
 * either way (new objects are applied in full). metadata.namespace is removed from
 * cluster-scoped objects in objs.
 * Appends "Kind/ns/name created|configured" lines to `changed` (the change set) and, when
 * `all` is not NULL, a line for every object, unchanged and skipped ones included. Returns -1
 * with e filled (reason ReconciliationFailed) on the first failure. */
int ssa_apply_all_staged(rt_ctx *ctx, kube_client *k, cJSON *objs, const ssa_options *o,
	buf *changed, buf *all, err *e);

/* Adds an inventory entry {id: "<ns>_<name>_<group>_<kind>", v: "<version>"} for every object
 * of objs not yet in entries (an array), in order. */
void ssa_inventory_add(cJSON *entries, const cJSON *objs);
/* Is there an entry with this id in entries? */
bool ssa_inventory_has(const cJSON *entries, const char *id);

/* Flux's DeleteAll for pruning: deletes (propagation Background) the objects of the inventory
 * entries in `old` that are missing from `keep` (all of them when keep is NULL), when the
 * object in the cluster carries every o->owner_labels and is not marked <group>/prune:
 * disabled, <group>/reconcile: disabled or <group>/ssa: Ignore. Objects already gone are
 * skipped. Entries whose deletion failed, or whose object could not be read, are appended to
 * `failed` when not NULL; "Kind/ns/name deleted" lines to `log` when not NULL. Returns the
 * number of failed deletions; e (may be NULL) gets the first, reason PruneFailed. */
int ssa_delete_all(kube_client *k, const cJSON *old, const cJSON *keep, const ssa_options *o,
	cJSON *failed, buf *log, err *e);

#endif
