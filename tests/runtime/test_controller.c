/* eddy-test-controller: a small controller built on eddy/rt.h for the runtime tests, running
 * the manager standalone (rt_manager_run) or, with --embedded, on a loop it owns.
 *
 * It reconciles test.eddy.io/v1 Widgets (widget.h).
 *
 * Usage: eddy-test-controller --kubeconfig PATH [--concurrent N] [--leader-election]
 *        [--name NAME] [--requeue-ms N] [--status-ssa] [--qps N] [--burst N] [--embedded]
 *        [--namespace NS] [--resync-ms N]
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

#include "widget.h"

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

int main(int argc, char **argv)
{
	mem_install_hooks();
	widget_init();
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
			widget_requeue_ms = strtol(argv[++i], NULL, 10);
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
		.lease_duration_s = 8, .renew_deadline_s = 6, .retry_period_s = 1};
	rt_manager *m = rt_manager_new(k, &mo);
	widget_controller(m, status_ssa, watch_ns, resync_ms, 5);
	fprintf(stderr, "test controller started\n");
	int rc = embedded ? run_embedded(m, &e) : rt_manager_run(m, &e);
	if (rc < 0)
		fprintf(stderr, "manager: %s\n", e.msg);
	else
		fprintf(stderr, "test controller stopped cleanly\n");
	rt_manager_free(m);
	kube_client_free(k);
	widget_release();
	return rc < 0 ? 1 : 0;
}
