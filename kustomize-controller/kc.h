/* kustomize-controller internals shared by main.c and the Kustomization reconciler. */
#ifndef KC_H
#define KC_H

#include <stdbool.h>
#include <stdint.h>

#include "eddy/app.h"
#include "eddy/buf.h"
#include "eddy/impersonate.h"
#include "eddy/kube.h"
#include "eddy/rt.h"

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
	imp_clients *clients;          /* impersonating clients (eddy/impersonate.h) */
} kc_ctx;

/* Registers the Kustomization controller (and the GitRepository watch) on m. */
rt_controller *kc_kustomization_new(rt_manager *m, kc_ctx *kc);

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
