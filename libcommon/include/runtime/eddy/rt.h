/* rt: the controller runtime (informers, work queue, workers, Flux status helpers).
 *
 * Threading model. The manager lives on a libuv loop (its own in rt_manager_run, or the app's
 * with rt_manager_start); the loop owns signal handling (SIGTERM/SIGINT start a graceful
 * shutdown) and the stop request, and never blocks. Every informer runs list+watch on its own
 * thread with the blocking kube client and keeps a thread-safe cache; every controller runs
 * `concurrent` worker threads that take keys from its work queue and call the reconcile function
 * with a private copy of the object. Leader election (when enabled) runs on its own thread;
 * controllers start only once the lease is held, and losing it stops the manager with an error.
 * Caches and queues are locked and may be used from any thread; callbacks (event handlers, index
 * functions) run on informer threads and must be quick (enqueue, no API calls).
 *
 * Shutdown: on SIGTERM (or rt_manager_stop) the queues stop handing out keys, in-flight
 * reconciles finish (their status patches included), watches are cancelled within a second,
 * all threads are joined and the lease is released; then rt_manager_run returns 0.
 *
 * Logging goes through eddy/log.h (so --log-level/--log-encoding apply); reconciles log
 * through ctx->log, which carries controller-runtime's fields.
 *
 * Ownership: functions returning cJSON* hand out a deep copy the caller frees; `const cJSON *`
 * arguments are borrowed for the duration of the call.
 */
#ifndef EDDY_RT_H
#define EDDY_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <uv.h>

#include "eddy/err.h"
#include "eddy/kube.h"
#include "eddy/log.h"
#include "eddy/strv.h"

/* Well-known names (fluxcd/pkg apis/meta). */
#define RT_ANN_REQUESTED_AT "reconcile.fluxcd.io/requestedAt"
#define RT_FINALIZER_FLUX "finalizers.fluxcd.io"
#define RT_COND_READY "Ready"
#define RT_COND_RECONCILING "Reconciling"
#define RT_COND_STALLED "Stalled"

/* ---------------------------------------------------------------- work queue */

/* Rate limiting as client-go's DefaultControllerRateLimiter: the delay of a failed item is
 * max(per-item exponential backoff base*2^failures capped at max, overall token bucket). */
typedef struct rt_queue_opts {
	int64_t base_delay_ms; /* default 5 */
	int64_t max_delay_ms;  /* default 1000 s */
	double qps;            /* overall bucket, default 10 */
	int burst;             /* default 100 */
} rt_queue_opts;

typedef struct rt_queue rt_queue;

rt_queue *rt_queue_new(const rt_queue_opts *o);
/* Frees the queue; call after every getter has returned. */
void rt_queue_free(rt_queue *q);
/* Queues a key unless it is already waiting. A key added while it is being processed is
 * handed out again after rt_queue_done(). Ignored after shutdown. */
void rt_queue_add(rt_queue *q, const char *key);
/* Adds the key after delay_ms (an earlier pending delay for the same key wins). */
void rt_queue_add_after(rt_queue *q, const char *key, int64_t delay_ms);
/* Adds the key after its rate-limited delay and counts one more failure; returns the delay. */
int64_t rt_queue_add_rate_limited(rt_queue *q, const char *key);
/* Resets the key's failure count. */
void rt_queue_forget(rt_queue *q, const char *key);
int rt_queue_failures(rt_queue *q, const char *key);
/* Blocks until a key is ready and returns it (caller frees) and marks it processing; returns
 * NULL once the queue is shut down (keys still waiting are dropped). */
char *rt_queue_get(rt_queue *q);
/* Ends processing of a key returned by rt_queue_get. */
void rt_queue_done(rt_queue *q, const char *key);
void rt_queue_shutdown(rt_queue *q);
/* Keys ready now (not counting delayed ones). */
size_t rt_queue_len(rt_queue *q);
/* The per-item backoff alone: base * 2^failures capped at max (pure, for tests). */
int64_t rt_backoff_ms(int failures, int64_t base_ms, int64_t max_ms);
/* d +/- pct percent, uniformly (Flux's --interval-jitter-percentage). */
int64_t rt_jitter_ms(int64_t d, int pct);

/* ---------------------------------------------------------------- manager */

typedef struct rt_manager rt_manager;

typedef struct rt_manager_opts {
	const char *name;        /* controller name: event source, field manager, lease name */
	int concurrent;          /* default workers per controller (default 4) */
	bool leader_election;
	const char *leader_election_namespace; /* default: the client's namespace */
	const char *leader_election_id;  /* default "<name>-leader-election" */
	int lease_duration_s;    /* 35 */
	int renew_deadline_s;    /* 30 */
	int retry_period_s;      /* 5 */
	int interval_jitter_pct; /* 5 */
	bool no_signals;         /* rt_manager_run: do not handle SIGTERM/SIGINT */
	/* Defaults for controllers that leave these unset: queue rate limits (Flux's
	 * --min-retry-delay/--max-retry-delay), the watched namespace (NULL = all) and label
	 * selector (--watch-label-selector). */
	rt_queue_opts queue;
	const char *watch_namespace;
	const char *watch_label_selector;
	/* Called after every reconcile (metrics); on a worker thread. */
	void (*on_reconciled)(const char *kind, const char *ns, const char *name,
		double seconds, const err *result, void *ud);
	void *ud;
} rt_manager_opts;

/* The manager borrows the client (which must outlive it). */
rt_manager *rt_manager_new(kube_client *k, const rt_manager_opts *o);
/* Standalone mode: runs its own loop with SIGTERM/SIGINT handlers until a signal or
 * rt_manager_stop(), then shuts down gracefully; returns 0, or -1 when leadership was lost
 * (e filled). */
int rt_manager_run(rt_manager *m, err *e);
/* Embedded mode (the app module owns the loop and the signals): starts the informers,
 * controllers and leader election on `loop` and returns at once. `done` runs on the loop
 * thread once the manager has stopped (after rt_manager_stop or a lost lease; status -1 for
 * the latter) and every runtime thread is joined; the manager keeps one handle on the loop
 * until then. Call rt_manager_stop from the app's stop hook. */
int rt_manager_start(rt_manager *m, uv_loop_t *loop,
	void (*done)(rt_manager *m, int status, void *arg), void *arg, err *e);
/* Asks the manager to stop; any thread; never blocks. The blocking part of the shutdown
 * (joining workers that finish their in-flight reconciles, cancelling watches, releasing the
 * lease) runs on a helper thread. */
void rt_manager_stop(rt_manager *m);
/* True once a stop was requested (reconciles may poll it to give up long waits). */
bool rt_manager_stopping(rt_manager *m);
/* True once the controllers run: at once without leader election, after acquiring the lease
 * with it (source-controller starts its artifact server then, as Flux does). Any thread. */
bool rt_manager_started(rt_manager *m);
kube_client *rt_manager_client(rt_manager *m);
void rt_manager_free(rt_manager *m);

/* ---------------------------------------------------------------- under eddy/app.h */

struct app;

/* For binaries built with eddy/app.h; call from the app_spec.start hook. Builds the kube client
 * from the common controller flags (--kubeconfig, else in-cluster, else $KUBECONFIG;
 * --kube-api-qps, --kube-api-burst) and a manager named after the binary with --concurrent,
 * --enable-leader-election and its durations, --interval-jitter-percentage, --min-retry-delay
 * and --max-retry-delay (per-item backoff of every queue), --watch-all-namespaces (false:
 * only $RUNTIME_NAMESPACE) and --watch-label-selector; reconciles are recorded into the app's
 * Flux metrics (gotk_reconcile_duration_seconds, controller_runtime_reconcile_total/_time).
 * Then setup(m, arg) registers the controllers, the manager starts on the app's loop and an
 * app stop hook stops it; a lost lease stops the app with status 1. The manager and the client
 * are freed once the manager has stopped. Returns 0, or -1 (e filled) when the configuration is
 * unusable or setup failed. */
int rt_app_start(struct app *a, int (*setup)(rt_manager *m, void *arg), void *arg, err *e);

/* ---------------------------------------------------------------- informers */

typedef struct rt_informer rt_informer;

typedef struct rt_handler {
	void (*on_add)(const cJSON *obj, void *ud);
	void (*on_update)(const cJSON *old, const cJSON *obj, void *ud); /* also on resync */
	void (*on_delete)(const cJSON *obj, void *ud);
	void *ud;
} rt_handler;

typedef struct rt_informer_opts {
	const char *namespace_;      /* NULL = all namespaces */
	const char *label_selector;
	const char *field_selector;
	int64_t resync_ms;           /* 0 = never; else on_update(obj, obj) for every object */
	int watch_timeout_s;         /* timeoutSeconds per watch request (default random 5-10 min) */
} rt_informer_opts;

/* An index function adds zero or more index values for an object to `out`. */
typedef void (*rt_index_fn)(const cJSON *obj, strv *out, void *ud);

/* Informers are started by rt_manager_run (or rt_informer_start for tests). An informer for
 * the same apiVersion/kind/namespace/selectors is shared. */
rt_informer *rt_informer_get_or_new(rt_manager *m, const char *api_version, const char *kind,
	const rt_informer_opts *o);
void rt_informer_add_handler(rt_informer *i, const rt_handler *h);
/* Registers an index before the informer starts. */
void rt_informer_add_index(rt_informer *i, const char *name, rt_index_fn fn, void *ud);
/* A copy of the cached object or NULL. `ns` may be NULL for cluster-scoped objects. */
cJSON *rt_informer_get(rt_informer *i, const char *ns, const char *name);
/* A JSON array with copies of all cached objects. */
cJSON *rt_informer_list(rt_informer *i);
size_t rt_informer_count(rt_informer *i);
/* Keys ("ns/name" or "name") of the objects whose index `name` contains `value`. */
void rt_informer_index(rt_informer *i, const char *name, const char *value, strv *keys);
bool rt_informer_synced(rt_informer *i);
/* Number of successful (re)lists so far, for tests and metrics. */
int rt_informer_lists(rt_informer *i);

/* "ns/name" (or "name") for an object; allocated. */
char *rt_key_of(const cJSON *obj);
/* Splits a key; *ns is NULL for cluster-scoped keys. Both allocated. */
void rt_key_split(const char *key, char **ns, char **name);

/* ---------------------------------------------------------------- controllers */

typedef struct rt_controller rt_controller;

typedef struct rt_ctx {
	rt_manager *m;
	rt_controller *c;
	kube_client *kube;
	const char *ns, *name;   /* of the object */
	char reconcile_id[37];   /* a UUID per reconcile (Flux log key reconcileID) */
	int64_t start_ms;
	void *ud;                /* the controller's ud */
	logger log;              /* Flux's reconcile fields (controller, controllerGroup,
				  * controllerKind, <Kind>, namespace, name, reconcileID) */
} rt_ctx;

/* The outcome of a reconcile. Zero value = success, no requeue. */
typedef struct rt_result {
	int64_t requeue_after_ms; /* > 0: reconcile again after this (jittered on success) */
	err e;                    /* cls GENERIC: retry with backoff; WAITING: retry after
				   * requeue_after_ms (default 30 s); STALLING: no retry */
} rt_result;

/* Runs on a worker thread with a private copy of the object that it may change; with
 * patch_status the status changes are written back once after it returns. */
typedef rt_result (*rt_reconcile_fn)(rt_ctx *ctx, cJSON *obj);

typedef struct rt_controller_opts {
	const char *api_version, *kind;
	rt_reconcile_fn reconcile;
	/* Deletion: when the object has a deletionTimestamp and carries `finalizer`, finalize runs
	 * (may be NULL) and on success the finalizer is removed. */
	rt_reconcile_fn finalize;
	const char *finalizer;     /* added before the first reconcile; NULL = none */
	bool suspend;              /* skip objects with spec.suspend: true (no requeue) */
	bool patch_status;         /* write status changes once per reconcile */
	const char *status_field_manager; /* NULL: merge patch; else server-side apply (force)
					   * with this field manager */
	bool kstatus;              /* finalise Ready/Reconciling/Stalled/observedGeneration from
				    * the result as Flux does */
	bool all_updates;          /* enqueue on every update, not only on generation change or a
				    * new reconcile.fluxcd.io/requestedAt value */
	int concurrent;            /* workers (default: the manager's) */
	rt_informer_opts informer;
	rt_queue_opts queue;
	void *ud;
} rt_controller_opts;

rt_controller *rt_controller_new(rt_manager *m, const rt_controller_opts *o);
rt_informer *rt_controller_informer(rt_controller *c);
/* Queues a reconcile (any thread); `ns` may be NULL. */
void rt_controller_enqueue(rt_controller *c, const char *ns, const char *name);
void rt_controller_enqueue_after(rt_controller *c, const char *ns, const char *name,
	int64_t delay_ms);
/* Emits a Kubernetes Event about obj with the manager name as source component. Errors are
 * logged, not returned (events are best effort, as in Flux). */
void rt_event(rt_ctx *ctx, const cJSON *obj, const char *type, const char *reason,
	const cJSON *annotations, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ---------------------------------------------------------------- conditions and status */

/* The status object (created when absent). */
cJSON *rt_status(cJSON *obj);
/* The condition of that type (borrowed) or NULL. */
const cJSON *rt_cond_get(const cJSON *obj, const char *type);
/* "True", "False", "Unknown" or NULL when absent. */
const char *rt_cond_status(const cJSON *obj, const char *type);
bool rt_cond_is_true(const cJSON *obj, const char *type);
/* Sets a condition (status "True"/"False"/"Unknown"). lastTransitionTime changes only when the
 * status changes; observedGeneration is metadata.generation. Conditions are kept sorted with
 * Ready first, then by type, as Flux's setter does. */
void rt_cond_set(cJSON *obj, const char *type, const char *status, const char *reason,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void rt_cond_delete(cJSON *obj, const char *type);
/* Flux's summary (runtime/conditions merge): groups the listed conditions by priority
 * (negative-polarity True > positive False > positive True > negative False > Unknown) and sets
 * `target` from the highest group: status False for the first two groups, True for the next
 * two, Unknown for the last; reason and message from its first condition in list order. When
 * none of the listed conditions exists, target is left alone. */
void rt_cond_summarize(cJSON *obj, const char *target, const char *const *conds, size_t n,
	const char *const *negative, size_t nneg);
/* Flux's end-of-reconcile rules for kstatus: stalling error -> Stalled=True + Ready=False;
 * other errors -> Stalled removed, Reconciling (if present) reason ProgressingWithRetry,
 * Ready=False with the error; success -> Reconciling and Stalled removed, Ready=True
 * (reason Succeeded unless already True). observedGeneration is set unless the error is
 * generic or waiting. */
void rt_status_finalize(cJSON *obj, const rt_result *res);
void rt_status_set_observed_generation(cJSON *obj);
/* The requestedAt annotation when it differs from status.lastHandledReconcileAt, else NULL. */
const char *rt_reconcile_requested(const cJSON *obj);
/* Copies the requestedAt annotation (if any) to status.lastHandledReconcileAt. */
void rt_status_record_reconcile_request(cJSON *obj);
bool rt_is_suspended(const cJSON *obj);
bool rt_has_finalizer(const cJSON *obj, const char *finalizer);
bool rt_is_deleting(const cJSON *obj);
/* Adds/removes a finalizer with a JSON patch guarded by a "test" of the object's
 * resourceVersion (the server refuses it when the object changed); on success obj's metadata
 * is refreshed. */
int rt_finalizer_add(kube_client *k, cJSON *obj, const char *finalizer, err *e);
int rt_finalizer_remove(kube_client *k, cJSON *obj, const char *finalizer, err *e);
/* Writes after.status to the status subresource (or the object when the kind has none) when it
 * differs from before.status: with field_manager NULL as a merge patch of the difference
 * (source-controller's way), otherwise as a forced server-side apply of the whole status with
 * that field manager (kustomize-controller's way). Returns 1 when a patch was sent, 0 when
 * nothing changed, -1 on error. */
int rt_status_patch(kube_client *k, const cJSON *before, const cJSON *after,
	const char *field_manager, err *e);

#endif
