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
 * Then, when asked, spec.postBuild variable substitution (ksb_postbuild) runs between the
 * kustomize build and the metadata, and SOPS-encrypted Secret values are masked (ksb_mask_sops),
 * as `flux build kustomization` does: nothing is ever decrypted here. A controller that
 * decrypts plugs its decryptor in through the hooks of ksb_options (kustomize-controller's SOPS
 * decryption: before the build on the generated kustomization, after it on the objects), so
 * the whole pipeline is the same for the controller and the CLI.
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
#include "eddy/kube.h"

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
	bool postbuild;          /* run spec.postBuild (ksb_postbuild) with kube, ns, strict */
	kube_client *kube;       /* reads substituteFrom; NULL: only spec.postBuild.substitute */
	bool strict;             /* strict substitution (see ksb_strict_substitutions) */
	bool mask_sops;          /* mask SOPS-encrypted Secret values (ksb_mask_sops) */
	/* Hooks (each may be NULL), called with hook_ud; a hook that fails fills e and stops the
	 * build with its error:
	 * decrypt_sources: on the generated kustomization k (changed in place) before it is
	 *   built, with root and dir (Flux's DecryptSources); its errors get reason BuildFailed;
	 * decrypt: on the built objects (changed in place) before postBuild (Flux's Decrypt);
	 *   its errors keep their reason;
	 * built: on the objects after postBuild, before spec.commonMetadata and the owner
	 *   labels (kustomize-controller takes the digest of status.history there). */
	int (*decrypt_sources)(void *ud, const char *root, const char *dir, cJSON *k, err *e);
	int (*decrypt)(void *ud, cJSON *objs, err *e);
	void (*built)(void *ud, const cJSON *objs);
	void *hook_ud;
} ksb_options;

typedef struct ksb_result {
	cJSON *objects;          /* array of the built objects */
} ksb_result;

/* Builds o->dir. On success fills r (r->objects owned by the caller) and returns 0. */
int ksb_build(const ksb_options *o, ksb_result *r, err *e);

/* Is Flux's StrictPostBuildSubstitutions feature gate on (default true) in a --feature-gates
 * value such as "A=true,StrictPostBuildSubstitutions=false"? NULL: the default. */
bool ksb_strict_substitutions(const char *feature_gates);

/* spec.postBuild of a Kustomization (spec is its .spec; nothing happens without postBuild), as
 * kustomize-controller does it (Flux's SubstituteVariables): the variables come from
 * substituteFrom (ConfigMaps and Secrets in namespace ns read with kube, in list order, later
 * ones overriding earlier ones, `optional` ones allowed to be missing) and then from the inline
 * `substitute` map, which overrides them all; newlines are removed from values and every name
 * must match ^[_[:alpha:]][_[:alpha:][:digit:]]*$. With kube NULL substituteFrom is skipped
 * (Flux's dry-run). Each object of objs (changed in place) not labelled or annotated
 * kustomize.toolkit.fluxcd.io/substitute: disabled is printed as YAML, expanded with
 * eddy/subst.h (strict: an unset variable without default is an error) and parsed again, so a
 * variable in a number field becomes a number; without any variable nothing is expanded unless
 * substituteStrategy is "Always". Variables are loaded once, lazily, before the first object
 * that is not disabled. Errors have reason BuildFailed and read
 * "post build failed for '<object name>': ..."; they name variables, never values, and
 * variable values are wiped from memory before it is freed. */
int ksb_postbuild(kube_client *kube, const char *ns, const cJSON *spec, cJSON *objs, bool strict,
	err *e);

/* Masks SOPS data in objs (changed in place) as `flux build` does: a Secret encrypted as a whole
 * (a top-level `sops` map whose `mac` is ENC[...]) loses its `sops` field and every data value
 * becomes base64("**SOPS**") and every stringData value "**SOPS**" (for a
 * kubernetes.io/dockerconfigjson Secret, {"mask":"**SOPS**"} instead); in other Secrets, the
 * data values whose decoded content and the stringData values whose text hold both "sops" and
 * "ENC[" are masked (with base64("**SOPS**") in both, as Flux). Other kinds lose a top-level
 * `sops` field. */
void ksb_mask_sops(cJSON *objs);

/* cli-utils' object id used in status.inventory: "<ns>_<name>_<group>_<kind>" (':' in the
 * name written as "__"). Allocated. */
char *ksb_inventory_id(const char *ns, const char *name, const char *api_version,
	const char *kind);

/* Joins root and a user path like SecureJoin: ".." never climbs above root. Allocated. */
char *ksb_secure_join(const char *root, const char *path);

#endif
