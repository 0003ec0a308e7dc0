/* kustomize-controller: SOPS decryption (decrypt.c), plugged into the build pipeline of
 * eddy/ksbuild.h (ksb_build, shared with the eddy CLI) through its decrypt_sources and decrypt
 * hooks: the generated kustomization before the build, the built objects before postBuild
 * variable substitution. Both run on a reconcile worker, read Secrets with ctx->kube and fail
 * with reason BuildFailed (Flux's reason for every build-step failure) and a message naming the
 * object, never a secret value. */
#ifndef KC_BUILD_H
#define KC_BUILD_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "eddy/rt.h"
#include "kc.h"

/* spec.decryption: decrypt SOPS-encrypted objects and Secret data values in objs in place.
 * Without spec.decryption, a SOPS-encrypted Secret (not annotated
 * kustomize.toolkit.fluxcd.io/decrypt: disabled) is an error with reason ReconciliationFailed,
 * as Flux's apply refuses one. Without decryption.secretRef, --sops-age-secret (a Secret in
 * $RUNTIME_NAMESPACE; ctx->ud is the kc_ctx) provides the age identities when set. */
int kc_decrypt(rt_ctx *ctx, const cJSON *ks, cJSON *objs, err *e);

/* Before the build (Flux's DecryptSources, for the top kustomization k of directory dir): the
 * SOPS-encrypted dotenv files of its secretGenerator `envs` are decrypted in memory and their
 * KEY=value lines moved to the generator's `literals`, so kz_build sees the plaintext without
 * it touching the disk. Files must resolve inside root. Nothing without spec.decryption. */
int kc_decrypt_sources(rt_ctx *ctx, const cJSON *ks, const char *root, const char *dir,
	cJSON *k, err *e);

/* Flux's config watchers (watch_configs.c): ConfigMaps and Secrets matching
 * kc->watch_configs_selector (default reconcile.fluxcd.io/watch=Enabled) queue the
 * Kustomizations that reference them (substituteFrom, decryption, kubeConfig) when they change.
 * Call after kc_kustomization_new; nothing when DisableConfigWatchers=true. */
void kc_watch_configs(rt_manager *m, kc_ctx *kc);

#endif
