/* steps: a reconcile as an ordered list of named steps, the shape of Flux's reconcilers
 * (source-controller internal/reconcile: each sub-reconciler returns a Result and an error).
 *
 * A reconciler declares its steps as a static array of {name, function} and calls steps_run
 * from its rt_reconcile_fn. Every step has one signature: it reads and changes the object's
 * private copy (obj) and the reconciler's own state for this reconcile, and returns
 *   STEP_SUCCESS  done; go on to the next step,
 *   STEP_EMPTY    nothing to report (same as success for the sequence),
 *   STEP_REQUEUE  stop here without error and reconcile again soon (a dependency not ready),
 * or fills e and returns STEP_FAILED: the sequence stops at the first error, as Flux's loop
 * does, and the error becomes the reconcile's error. A waiting error (ERR_WAITING: a dependency
 * not ready, with a condition saying which) is retried after requeue_ms, as Flux's
 * serror.Waiting is.
 *
 * However the sequence ends, steps_run then summarises the listed conditions into Ready
 * (rt_cond_summarize with the reconciler's condition lists) and returns an rt_result; the
 * runtime finalises Ready/Reconciling/Stalled from it and patches the status once (rt
 * controllers with patch_status and kstatus set), so status is written on every exit path. */
#ifndef EDDY_STEPS_H
#define EDDY_STEPS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "eddy/rt.h"

typedef enum step_result {
	STEP_SUCCESS = 0,
	STEP_EMPTY,
	STEP_REQUEUE,
	STEP_FAILED,
} step_result;

/* One step: ctx and obj as given to the reconcile, state the reconciler's per-reconcile struct.
 * On STEP_FAILED e holds the Flux reason, the message and the retry class. */
typedef step_result (*step_fn)(rt_ctx *ctx, cJSON *obj, void *state, err *e);

typedef struct step {
	const char *name; /* as Flux names the sub-reconciler, e.g. "reconcileStorage" */
	step_fn fn;
} step;

/* How a reconciler's conditions are summarised into Ready after its steps (Flux's
 * summarize.Conditions): the owned conditions in priority order, and those among them with
 * negative polarity. */
typedef struct steps_summary {
	const char *const *conds;
	size_t nconds;
	const char *const *negative;
	size_t nnegative;
} steps_summary;

typedef struct steps_outcome {
	const char *last;        /* name of the last step that ran */
	step_result result;      /* what it returned */
	int64_t requeue_after_ms; /* STEP_REQUEUE or a waiting error: how soon (0 = the
				   * runtime's default) */
} steps_outcome;

/* Runs list[0..n) in order on ctx/obj/state until one fails or requeues, then summarises the
 * conditions (sum may be NULL) and returns the reconcile result: the error of the failed
 * step (with a requeue after requeue_ms when it is a waiting error), or a requeue after
 * requeue_ms (STEP_REQUEUE) or after interval_ms (success; 0 = none).
 * out (may be NULL) tells which step ended the sequence. Each step's start and outcome is
 * logged at debug level with its name. */
rt_result steps_run(rt_ctx *ctx, cJSON *obj, const step *list, size_t n, void *state,
	const steps_summary *sum, int64_t interval_ms, int64_t requeue_ms, steps_outcome *out);

#endif
