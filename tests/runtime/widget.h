/* widget: the test.eddy.io/v1 Widget reconciler shared by the runtime's test programs.
 *
 * It fails the first spec.failTimes attempts of every generation (generic error, so the
 * runtime retries with backoff), sleeps spec.sleepMs, then writes status.observedValue =
 * spec.value, status.attempts, status.retrySpanMs (first failed attempt to success) and
 * status.sameValue (cached Widgets with the same spec.value, through the "value" index) and
 * lets the runtime set Ready/observedGeneration/lastHandledReconcileAt. It adds and removes
 * the finalizer test.eddy.io/finalizer, honours spec.suspend, emits an Event when
 * spec.emitEvent is true, and prints "reconcile start|done <ns>/<name>" and
 * "finalize <ns>/<name>" lines on stderr for the tests. */
#ifndef TESTS_RUNTIME_WIDGET_H
#define TESTS_RUNTIME_WIDGET_H

#include "eddy/rt.h"

extern int64_t widget_requeue_ms;

void widget_init(void);
void widget_release(void);
/* Registers the Widget controller (status by SSA or merge patch; ns NULL = all namespaces or
 * the manager's default; base_delay_ms 0 = the manager's retry delays, else base_delay_ms up to
 * 5 s). */
rt_controller *widget_controller(rt_manager *m, bool status_ssa, const char *ns, long resync_ms,
	int64_t base_delay_ms);

#endif
