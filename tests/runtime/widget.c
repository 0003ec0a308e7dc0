/* widget: the test.eddy.io/v1 Widget reconciler shared by the runtime's test programs
 * (eddy-test-controller and eddy-test-app-controller). See widget.h. */
#include "widget.h"

#include "eddy/mem.h"
#include "eddy/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/rt_map.h"

struct attempts {
	pthread_mutex_t mu;
	rt_map m; /* "uid/generation" -> count (num) ; first attempt ms in val as intptr */
};

static struct attempts A = {.mu = PTHREAD_MUTEX_INITIALIZER};
int64_t widget_requeue_ms;

static int64_t spec_int(const cJSON *obj, const char *k)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static void set_num(cJSON *o, const char *k, double v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	cJSON_AddNumberToObject(o, k, v);
}

static rt_result reconcile(rt_ctx *ctx, cJSON *obj)
{
	rt_result r = {0};
	fprintf(stderr, "reconcile start %s/%s\n", ctx->ns, ctx->name);
	char *key = xasprintf("%s/%lld", kube_obj_uid(obj) ? kube_obj_uid(obj) : "",
		(long long)kube_obj_generation(obj));
	pthread_mutex_lock(&A.mu);
	rt_map_ent *e = rt_map_put(&A.m, key, NULL);
	e->num++;
	int64_t n = e->num;
	if (n == 1)
		e->val = (void *)(intptr_t)clock_mono_ms();
	int64_t first = (int64_t)(intptr_t)e->val;
	pthread_mutex_unlock(&A.mu);
	free(key);
	int64_t fails = spec_int(obj, "failTimes");
	if (n <= fails)
		return err_fail(&r.e, "InjectedFailure", "attempt %lld of %lld fails on purpose",
			(long long)n, (long long)fails), r;
	int64_t sleep_ms = spec_int(obj, "sleepMs");
	if (sleep_ms > 0) {
		struct timespec ts = {(time_t)(sleep_ms / 1000), (long)(sleep_ms % 1000) * 1000000};
		nanosleep(&ts, NULL);
	}
	cJSON *st = rt_status(obj);
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const cJSON *val = cJSON_GetObjectItemCaseSensitive(spec, "value");
	cJSON_DeleteItemFromObjectCaseSensitive(st, "observedValue");
	cJSON_AddStringToObject(st, "observedValue", cJSON_IsString(val) ? val->valuestring : "");
	set_num(st, "attempts", (double)n);
	set_num(st, "retrySpanMs", (double)(clock_mono_ms() - first));
	/* how many cached Widgets share this value (the "value" index) */
	strv same = {0};
	rt_informer_index(rt_controller_informer(ctx->c), "value",
		cJSON_IsString(val) ? val->valuestring : "", &same);
	set_num(st, "sameValue", (double)same.n);
	strv_release(&same);
	rt_cond_set(obj, RT_COND_READY, "True", "Succeeded", "value %s applied",
		cJSON_IsString(val) ? val->valuestring : "");
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(spec, "emitEvent");
	if (cJSON_IsTrue(ev)) {
		cJSON *ann = cJSON_CreateObject();
		cJSON_AddStringToObject(ann, "test.eddy.io/revision",
			cJSON_IsString(val) ? val->valuestring : "");
		rt_event(ctx, obj, "Normal", "ReconciliationSucceeded", ann, "Reconciled value %s",
			cJSON_IsString(val) ? val->valuestring : "");
		cJSON_Delete(ann);
	}
	log_info(&ctx->log, "reconciled", LOG_S("value", cJSON_IsString(val) ? val->valuestring
		: ""));
	fprintf(stderr, "reconcile done %s/%s\n", ctx->ns, ctx->name);
	r.requeue_after_ms = widget_requeue_ms;
	return r;
}

static void index_value(const cJSON *obj, strv *out, void *ud)
{
	(void)ud;
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, "value");
	if (cJSON_IsString(v))
		strv_add(out, v->valuestring);
}

static rt_result finalize(rt_ctx *ctx, cJSON *obj)
{
	(void)obj;
	fprintf(stderr, "finalize %s/%s\n", ctx->ns, ctx->name);
	rt_result r = {0};
	return r;
}

void widget_init(void)
{
	rt_map_init(&A.m);
}

void widget_release(void)
{
	rt_map_release(&A.m, NULL);
}

rt_controller *widget_controller(rt_manager *m, bool status_ssa, const char *ns, long resync_ms,
	int64_t base_delay_ms)
{
	rt_controller_opts co = {
		.api_version = "test.eddy.io/v1",
		.kind = "Widget",
		.reconcile = reconcile,
		.finalize = finalize,
		.finalizer = "test.eddy.io/finalizer",
		.suspend = true,
		.patch_status = true,
		.kstatus = true,
		.status_field_manager = status_ssa ? "gotk-test-controller" : NULL,
		.queue = {.base_delay_ms = base_delay_ms,
			.max_delay_ms = base_delay_ms ? 5000 : 0},
		.informer = {.watch_timeout_s = 30, .namespace_ = ns, .resync_ms = resync_ms},
	};
	rt_controller *c = rt_controller_new(m, &co);
	rt_informer_add_index(rt_controller_informer(c), "value", index_value, NULL);
	return c;
}
