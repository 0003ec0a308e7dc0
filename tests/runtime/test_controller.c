/* eddy-test-controller: a small controller built on eddy/rt.h for the runtime tests.
 *
 * It reconciles test.eddy.io/v1 Widgets: fails the first spec.failTimes attempts of every
 * generation (generic error, so the runtime retries with backoff), sleeps spec.sleepMs, then
 * writes status.observedValue = spec.value, status.attempts and status.retrySpanMs (time from
 * the first failed attempt to the success) and lets the runtime set Ready/observedGeneration
 * and lastHandledReconcileAt. It adds and removes the finalizer test.eddy.io/finalizer and
 * honours spec.suspend. Log lines go to stderr; "reconcile start <ns>/<name>" marks the start
 * of each reconcile so the tests can signal during one.
 *
 * Usage: eddy-test-controller --kubeconfig PATH [--concurrent N] [--leader-election]
 *        [--name NAME] [--requeue-ms N] [--status-ssa] [--qps N] [--burst N] [--embedded]
 *        [--namespace NS] [--resync-ms N]
 * status.sameValue counts the cached Widgets with the same spec.value (an informer index).
 * --status-ssa writes status by server-side apply instead of a merge patch. */
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/rt.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt_map.h"

struct attempts {
	pthread_mutex_t mu;
	rt_map m; /* "uid/generation" -> count (num) ; first attempt ms in val as intptr */
};

static struct attempts A = {.mu = PTHREAD_MUTEX_INITIALIZER};
static int64_t requeue_ms;

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
		e->val = (void *)(intptr_t)kube_now_ms();
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
	set_num(st, "retrySpanMs", (double)(kube_now_ms() - first));
	/* how many cached Widgets share this value (the "value" index) */
	rt_strv same = {0};
	rt_informer_index(rt_controller_informer(ctx->c), "value",
		cJSON_IsString(val) ? val->valuestring : "", &same);
	set_num(st, "sameValue", (double)same.n);
	rt_strv_release(&same);
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
	r.requeue_after_ms = requeue_ms;
	return r;
}

/* --embedded: the process owns the loop and the signals (as eddy/app.h does) and runs the
 * manager with rt_manager_start; SIGTERM calls rt_manager_stop and the loop ends once the
 * manager's done callback has run. */
struct embedded {
	uv_signal_t term, intr;
	rt_manager *m;
	int status;
	bool done;
};

static void emb_signal(uv_signal_t *s, int signum)
{
	struct embedded *x = s->data;
	fprintf(stderr, "embedded: signal %d\n", signum);
	rt_manager_stop(x->m);
}

static void emb_done(rt_manager *m, int status, void *arg)
{
	(void)m;
	struct embedded *x = arg;
	x->status = status;
	x->done = true;
	uv_close((uv_handle_t *)&x->term, NULL);
	uv_close((uv_handle_t *)&x->intr, NULL);
}

static int run_embedded(rt_manager *m, err *e)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct embedded x = {.m = m};
	uv_signal_init(&loop, &x.term);
	uv_signal_init(&loop, &x.intr);
	x.term.data = x.intr.data = &x;
	uv_signal_start(&x.term, emb_signal, SIGTERM);
	uv_signal_start(&x.intr, emb_signal, SIGINT);
	if (rt_manager_start(m, &loop, emb_done, &x, e) < 0) {
		uv_close((uv_handle_t *)&x.term, NULL);
		uv_close((uv_handle_t *)&x.intr, NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		return -1;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	int rc = uv_loop_close(&loop);
	fprintf(stderr, "embedded: loop closed (%s), done=%d\n", rc == 0 ? "clean" : "busy",
		x.done);
	return x.done && rc == 0 ? x.status : -1;
}

static void index_value(const cJSON *obj, rt_strv *out, void *ud)
{
	(void)ud;
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, "value");
	if (cJSON_IsString(v))
		rt_strv_add(out, v->valuestring);
}

static rt_result finalize(rt_ctx *ctx, cJSON *obj)
{
	(void)obj;
	fprintf(stderr, "finalize %s/%s\n", ctx->ns, ctx->name);
	rt_result r = {0};
	return r;
}

int main(int argc, char **argv)
{
	mem_install_hooks();
	rt_map_init(&A.m);
	const char *kubeconfig = NULL, *name = "test-controller", *watch_ns = NULL;
	long resync_ms = 0;
	int concurrent = 4;
	bool le = false, status_ssa = false, embedded = false;
	double qps = 0;
	int burst = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kubeconfig") && i + 1 < argc)
			kubeconfig = argv[++i];
		else if (!strcmp(argv[i], "--concurrent") && i + 1 < argc)
			concurrent = (int)strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--leader-election"))
			le = true;
		else if (!strcmp(argv[i], "--name") && i + 1 < argc)
			name = argv[++i];
		else if (!strcmp(argv[i], "--qps") && i + 1 < argc)
			qps = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--burst") && i + 1 < argc)
			burst = (int)strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--namespace") && i + 1 < argc)
			watch_ns = argv[++i];
		else if (!strcmp(argv[i], "--resync-ms") && i + 1 < argc)
			resync_ms = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--embedded"))
			embedded = true;
		else if (!strcmp(argv[i], "--status-ssa"))
			status_ssa = true;
		else if (!strcmp(argv[i], "--requeue-ms") && i + 1 < argc)
			requeue_ms = strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: %s --kubeconfig PATH [--concurrent N] "
				"[--leader-election] [--name NAME] [--requeue-ms N] [--status-ssa] "
				"[--qps N] [--burst N] [--embedded] [--namespace NS] [--resync-ms N]\n", argv[0]);
			return 2;
		}
	}
	kube_config cfg;
	err e = {0};
	if (kube_config_auto(&cfg, kubeconfig, NULL, &e) < 0) {
		fprintf(stderr, "config: %s\n", e.msg);
		return 1;
	}
	if (qps > 0)
		cfg.qps = qps;
	if (burst > 0)
		cfg.burst = burst;
	kube_client *k = kube_client_new(&cfg, &e);
	kube_config_release(&cfg);
	if (!k) {
		fprintf(stderr, "client: %s\n", e.msg);
		return 1;
	}
	rt_manager_opts mo = {.name = name, .concurrent = concurrent, .leader_election = le,
		.lease_duration_s = 3, .renew_deadline_s = 2, .retry_period_s = 1};
	rt_manager *m = rt_manager_new(k, &mo);
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
		.queue = {.base_delay_ms = 5, .max_delay_ms = 5000},
		.informer = {.watch_timeout_s = 30, .namespace_ = watch_ns, .resync_ms = resync_ms},
	};
	rt_controller *c = rt_controller_new(m, &co);
	rt_informer_add_index(rt_controller_informer(c), "value", index_value, NULL);
	fprintf(stderr, "test controller started\n");
	int rc = embedded ? run_embedded(m, &e) : rt_manager_run(m, &e);
	if (rc < 0)
		fprintf(stderr, "manager: %s\n", e.msg);
	else
		fprintf(stderr, "test controller stopped cleanly\n");
	rt_manager_free(m);
	kube_client_free(k);
	rt_map_release(&A.m, NULL);
	return rc < 0 ? 1 : 0;
}
