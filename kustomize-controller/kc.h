/* kustomize-controller internals shared by main.c and the Kustomization reconciler. */
#ifndef KC_H
#define KC_H

#include <stdbool.h>
#include <stdint.h>

#include "eddy/app.h"
#include "eddy/buf.h"
#include "eddy/kube.h"
#include "eddy/rt.h"

struct kc_clients;

typedef struct kc_ctx {
	app *a;
	int64_t requeue_dependency_ms; /* --requeue-dependency */
	int http_retry;                /* --http-retry */
	bool no_remote_bases;          /* --no-remote-bases */
	bool no_cross_namespace_refs;  /* --no-cross-namespace-refs */
	const char *sops_age_secret;   /* --sops-age-secret (in $RUNTIME_NAMESPACE) */
	const char *watch_configs_selector; /* --watch-configs-label-selector */
	rt_controller *ks;             /* the Kustomization controller */
	const strv *override_managers; /* --override-manager */
	int concurrent_ssa;            /* --concurrent-ssa */
	const char *custom_apply_stage_kinds; /* --custom-apply-stage-kinds */
	struct kc_clients *clients;    /* impersonating clients, see client.c */
} kc_ctx;

/* Registers the Kustomization controller (and the GitRepository watch) on m. */
rt_controller *kc_kustomization_new(rt_manager *m, kc_ctx *kc);

/* ---------------------------------------------------------------- client.c */

/* The client a Kustomization acts with (apply, dry-run, prune, health checks), chosen as
 * Flux's Impersonator does. With spec.kubeConfig.secretRef, a client for the remote cluster
 * in the Secret (namespace of the Kustomization; key `secretRef.key`, else `value`, else
 * `value.yaml`); exec and auth-provider plugins and file references are refused, and
 * insecure-skip-tls-verify is dropped unless --insecure-kubeconfig-tls. Then, when
 * spec.serviceAccountName (or else --default-service-account) is set, the client
 * impersonates `system:serviceaccount:<ns>:<sa>`. Otherwise ctx->kube itself.
 * spec.kubeConfig.configMapRef (cloud workload identity) is refused.
 * Returns NULL with e filled (reason ReconciliationFailed); release the result with
 * kc_client_release(), which frees it only when it was made for this call. Thread-safe. */
kube_client *kc_client_for(kc_ctx *kc, rt_ctx *ctx, const cJSON *spec, err *e);
void kc_client_release(kc_ctx *kc, rt_ctx *ctx, kube_client *k);
/* The service account a Kustomization impersonates (spec, then --default-service-account),
 * or NULL. Borrowed. */
const char *kc_service_account(kc_ctx *kc, const cJSON *spec);
/* Frees the impersonating clients kept between reconciles (at exit). */
void kc_clients_free(kc_ctx *kc);

/* ---------------------------------------------------------------- apply.c */

typedef struct kc_apply_opts {
	bool force;                /* spec.force: recreate objects on immutable-field errors */
	int concurrency;           /* dry-runs at once (--concurrent-ssa), <= 1: sequential */
	int64_t wait_timeout_ms;   /* how long CRDs of the first stage may take (60 s) */
	const char *custom_stage_kinds; /* --custom-apply-stage-kinds: "group/Kind,..." */
	const cJSON *ignore;       /* spec.ignore: [{paths: [JSON pointer], target}] (borrowed) */
} kc_apply_opts;

/* Server-side applies objs with field manager kustomize-controller as Flux's
 * ApplyAllStaged: CRDs, Namespaces and ClusterRoles first (then waits for the CRDs to be
 * Established), then kinds ending in "Class", then the o->custom_stage_kinds, then the rest,
 * each stage in Flux's kind order.
 * Per object (o->concurrency at once, the applies then in order): skipped when it
 * (or the object in the cluster) says kustomize.toolkit.fluxcd.io/reconcile: disabled or
 * ssa: Ignore, or says ssa: IfNotPresent and exists; a server-side dry-run (an immutable-
 * field error with force or the force: Enabled annotation deletes the object and retries);
 * kubectl's and other managers' metadata are cleaned up unless ssa: Merge; applied only when
 * new or when the dry-run differs from the object in the cluster. o->ignore (spec.ignore) rules
 * whose target matches an existing object (anchored regexes for group, version, kind, name and
 * namespace; label and annotation selectors; no target: all objects) name RFC 6901 pointers
 * that drift detection leaves out; when the object is applied for other changes, each ignored
 * field of desired whose cluster value differs from the dry-run's is left out of the apply when
 * another manager owns it by server-side apply, else applied with the cluster's value, so it is
 * kept either way (new objects are applied in full). metadata.namespace is
 * removed from cluster-scoped objects in objs. Appends "Kind/ns/name created|configured"
 * lines to `changed` and logs the whole change set (with unchanged and skipped). Returns -1
 * with e filled (reason ReconciliationFailed) on the first failure. */
int kc_apply_all(rt_ctx *ctx, kube_client *k, cJSON *objs, const kc_apply_opts *o,
	buf *changed, err *e);
/* "Kind/namespace/name" or "Kind/name" (allocated). */
char *kc_fmt_obj(const char *kind, const char *ns, const char *name);
/* ---- health.c: wait and healthChecks ---- */

/* Flux's GetTimeout in milliseconds: spec.timeout, else spec.interval - 30s, at least 30s
 * (the floor can be lowered with $EDDY_KUSTOMIZE_MIN_TIMEOUT, a Go duration, for tests). */
int64_t kc_timeout_ms(const cJSON *spec);

/* Flux's health assessment, run after apply and prune. With spec.wait the `applied` objects
 * (the built objects, minus those excluded by the reconcile/ssa annotations) are checked,
 * else the spec.healthChecks references (apiVersion defaults to apps/v1, a namespaced kind
 * without a namespace to the Kustomization's); the Kustomization itself is skipped. Nothing
 * to check removes the Healthy condition and returns 0. Otherwise it marks Reconciling and
 * Healthy=Unknown "Running health checks for revision R with a timeout of T", patches the
 * status with ctx->kube, then polls the objects with `kube` (which may impersonate) until all
 * are Current by kstatus (eddy/kstatus.h), one is Failed (fail fast) or the timeout passes,
 * sleeping between polls (200 ms doubling to 2 s) and giving up on shutdown.
 * Healthy: 0, Healthy=True "Health check passed in D" (and a Normal event when it was not
 * healthy before, or a new revision changed objects: `drifted`). Unhealthy: -1, Healthy=False
 * HealthCheckFailed with "timeout waiting for: [Kind/ns/name status: 'InProgress', ...]" or
 * "failed early due to stalled resources: [...]", and e = HealthCheckFailed "health check
 * failed after D: <that>". Shutdown: -1 with HealthCheckCanceled. */
int kc_health_check(rt_ctx *ctx, kube_client *kube, cJSON *obj, const char *revision,
	const cJSON *applied, bool drifted, err *e);

/* ---- history.c: status.history ---- */

/* "sha256:<hex>" of the built objects as a YAML stream (allocated), or NULL. */
char *kc_history_digest(const cJSON *objs);
/* Flux's History.Upsert: the snapshot with this digest and status (ReconciliationSucceeded,
 * ReconciliationFailed, PruneFailed, HealthCheckFailed) gets lastReconciled = now,
 * lastReconciledDuration = now - start_ms, totalReconciliations + 1 and metadata.revision and
 * moves to the front; else a new snapshot is put first. At most 5 are kept. No-op when digest
 * is NULL. */
void kc_history_upsert(cJSON *obj, const char *digest, int64_t start_ms, const char *status,
	const char *revision);

#endif
