/* rt_app: the runtime under eddy/app.h (rt_app_start in eddy/rt.h). */
#include "eddy/app.h"
#include "eddy/mem.h"
#include "eddy/rt.h"

#include <stdlib.h>
#include <string.h>

struct rt_app {
	app *a;
	kube_client *k;
	rt_manager *m;
};

static int secs(int64_t ns)
{
	int64_t s = (ns + APP_SECOND - 1) / APP_SECOND;
	return s < 1 ? 1 : s > 86400 ? 86400 : (int)s;
}

static void on_reconciled(const char *kind, const char *ns, const char *name, double seconds,
	const err *result, void *ud)
{
	app *a = ud;
	met_flux_record_duration(&a->flux, kind, ns ? ns : "", name, seconds);
	char ctl[128];
	snprintf(ctl, sizeof ctl, "%s", kind);
	for (char *p = ctl; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	const char *res = err_is_set(result) && result->cls == ERR_GENERIC ? "error"
		: err_is_set(result) && result->cls == ERR_WAITING ? "requeue_after" : "success";
	met_flux_record_result(&a->flux, ctl, res, seconds);
}

static void on_app_stop(app *a, void *arg)
{
	(void)a;
	struct rt_app *x = arg;
	if (x->m)
		rt_manager_stop(x->m);
}

static void on_done(rt_manager *m, int status, void *arg)
{
	struct rt_app *x = arg;
	if (status < 0)
		app_stop(x->a, 1);
	rt_manager_free(m);
	kube_client_free(x->k);
	x->m = NULL;
	x->k = NULL; /* a later stop hook call sees no manager */
}

int rt_app_start(struct app *a, int (*setup)(rt_manager *m, void *arg), void *arg, err *e)
{
	const app_config *c = &a->cfg;
	kube_config kc;
	if (kube_config_auto(&kc, c->kubeconfig, NULL, e) < 0)
		return -1;
	if (c->kube_api_qps > 0)
		kc.qps = c->kube_api_qps;
	if (c->kube_api_burst > 0)
		kc.burst = (int)c->kube_api_burst;
	free(kc.user_agent);
	kc.user_agent = xasprintf("%s/%s", a->spec->name, EDDY_VERSION);
	kube_client *k = kube_client_new(&kc, e);
	kube_config_release(&kc);
	if (!k)
		return -1;
	const char *wns = NULL;
	if (!c->watch_all_namespaces) {
		wns = getenv("RUNTIME_NAMESPACE");
		if (!wns || !*wns)
			wns = kube_client_config(k)->namespace_;
	}
	rt_manager_opts mo = {
		.name = a->spec->name,
		.concurrent = (int)c->concurrent,
		.leader_election = c->enable_leader_election,
		.lease_duration_s = secs(c->leader_election_lease_duration),
		.renew_deadline_s = secs(c->leader_election_renew_deadline),
		.retry_period_s = secs(c->leader_election_retry_period),
		.interval_jitter_pct = (int)c->interval_jitter_percentage,
		.no_signals = true,
		.queue = {.base_delay_ms = c->min_retry_delay / APP_MS,
			.max_delay_ms = c->max_retry_delay / APP_MS},
		.watch_namespace = wns,
		.watch_label_selector = c->watch_label_selector && *c->watch_label_selector
			? c->watch_label_selector : NULL,
		.on_reconciled = on_reconciled,
		.ud = a,
	};
	const char *le_ns = getenv("RUNTIME_NAMESPACE");
	if (le_ns && *le_ns)
		mo.leader_election_namespace = le_ns;
	rt_manager *m = rt_manager_new(k, &mo);
	if (setup && setup(m, arg) < 0) {
		rt_manager_free(m);
		kube_client_free(k);
		if (e && !err_is_set(e))
			err_fail(e, "RuntimeError", "controller setup failed");
		return -1;
	}
	static struct rt_app x; /* one manager per process; static so the stop hook outlives it */
	x.a = a;
	x.k = k;
	x.m = m;
	if (rt_manager_start(m, &a->loop, on_done, &x, e) < 0) {
		rt_manager_free(m);
		kube_client_free(k);
		x.m = NULL;
		x.k = NULL;
		return -1;
	}
	app_on_stop(a, on_app_stop, &x);
	return 0;
}
