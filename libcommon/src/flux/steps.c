/* The step runner: Flux's reconcile loop over sub-reconcilers (see eddy/steps.h). */
#include "eddy/steps.h"

#include "eddy/log.h"

static const char *result_name(step_result r)
{
	switch (r) {
	case STEP_SUCCESS:
		return "success";
	case STEP_EMPTY:
		return "empty";
	case STEP_REQUEUE:
		return "requeue";
	case STEP_FAILED:
		return "failed";
	}
	return "unknown";
}

rt_result steps_run(rt_ctx *ctx, cJSON *obj, const step *list, size_t n, void *state,
	const steps_summary *sum, int64_t interval_ms, int64_t requeue_ms, steps_outcome *out)
{
	rt_result res = {0};
	step_result r = STEP_EMPTY;
	const char *last = NULL;
	for (size_t i = 0; i < n; i++) {
		err e = {0};
		last = list[i].name;
		r = list[i].fn(ctx, obj, state, &e);
		if (log_enabled(LOG_DEBUG))
			log_emit(&ctx->log, LOG_DEBUG, r == STEP_FAILED ? e.msg : NULL, "step done",
				 LOG_S("step", list[i].name), LOG_S("result", result_name(r)),
				 LOG_END);
		if (r == STEP_FAILED) {
			res.e = e;
			if (res.e.cls == ERR_NONE) /* a step that failed without saying how */
				err_fail(&res.e, "ReconciliationFailed", "%s failed", list[i].name);
			break;
		}
		if (r == STEP_REQUEUE)
			break;
	}
	if (sum && sum->nconds)
		rt_cond_summarize(obj, RT_COND_READY, sum->conds, sum->nconds, sum->negative,
				  sum->nnegative);
	/* a waiting error (a dependency not ready) is retried after requeue_ms, as Flux's
	 * serror.Waiting carries its RequeueAfter */
	bool waiting = r == STEP_FAILED && res.e.cls == ERR_WAITING;
	if (r == STEP_REQUEUE || waiting)
		res.requeue_after_ms = requeue_ms;
	else if (r != STEP_FAILED)
		res.requeue_after_ms = interval_ms;
	if (out) {
		out->last = last;
		out->result = r;
		out->requeue_after_ms = r == STEP_REQUEUE || waiting ? requeue_ms : 0;
	}
	return res;
}
