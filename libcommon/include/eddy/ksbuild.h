/* ksbuild (`ksb_`): builds the manifests of a Flux Kustomization from a directory the way
 * kustomize-controller does, for `eddy build kustomization` and `eddy diff kustomization`.
 *
 * The steps are the controller's: the directory's kustomization.yaml (or one generated from the
 * Kubernetes YAML files below it when there is none, with Flux's generator rules: every
 * .yaml or .yml file whose documents all have apiVersion and kind, and every subdirectory that
 * holds a kustomization file, sorted by name), overlaid with the Kustomization's spec
 * (targetNamespace, namePrefix, nameSuffix, patches, components with ignoreMissingComponents,
 * images), built with the kustomize engine (eddy/kz.h) confined to a root directory, then
 * spec.commonMetadata and the owner labels `kustomize.toolkit.fluxcd.io/name` and
 * `kustomize.toolkit.fluxcd.io/namespace` set on every object.
 *
 * Not done here (yet): postBuild variable substitution and SOPS decryption; ksb_build reports
 * whether the spec asks for them through ksb_result.unsupported so callers can warn.
 *
 * Ownership: every cJSON returned belongs to the caller (cJSON_Delete). Errors fill `e` with
 * reason "BuildFailed" and return NULL/-1; nothing aborts on bad input. File reads are capped
 * (KZ_DEFAULT_MAX_FILE_BYTES per kustomization file, 32 MiB per scanned manifest) and directory
 * scans stop at 64 levels. */
#ifndef EDDY_KSBUILD_H
#define EDDY_KSBUILD_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"

/* The kustomization for `dir`: the one on disk (kustomization.yaml, kustomization.yml or
 * Kustomization) or a generated one, with the overlays of `spec` (a Kustomization's .spec; may
 * be NULL) applied. */
cJSON *ksb_kustomization_for(const char *dir, const cJSON *spec, err *e);

typedef struct ksb_options {
	const char *root;        /* every file read must be inside root */
	const char *dir;         /* the directory to build (spec.path resolved), inside root */
	const cJSON *spec;       /* the Kustomization's .spec, or NULL */
	const char *name, *ns;   /* the Kustomization, for the owner labels (NULL: no labels) */
	bool allow_remote;       /* remote bases (refused by the engine anyway) */
} ksb_options;

typedef struct ksb_result {
	cJSON *objects;          /* array of the built objects */
	const char *unsupported; /* "postBuild" or "decryption" when the spec asks for a step
	                            ksbuild does not do, else NULL (static string) */
} ksb_result;

/* Builds o->dir. On success fills r (r->objects owned by the caller) and returns 0. */
int ksb_build(const ksb_options *o, ksb_result *r, err *e);

/* cli-utils' object id used in status.inventory: "<ns>_<name>_<group>_<kind>" (':' in the
 * name written as "__"). Allocated. */
char *ksb_inventory_id(const char *ns, const char *name, const char *api_version,
	const char *kind);

/* Joins root and a user path like SecureJoin: ".." never climbs above root. Allocated. */
char *ksb_secure_join(const char *root, const char *path);

#endif
