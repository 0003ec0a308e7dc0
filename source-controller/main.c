/* source-controller: flags, the artifact file server and the runtime (rt_app_start, as in the
 * other controllers) with the GitRepository, HelmRepository and HelmChart reconcilers
 * (gitrepository.h, helmrepository.h, helmchart.h; OCIRepository and Bucket are not
 * implemented yet). The loop thread owns the HTTP
 * servers and the runtime's handle; reconciles (libgit2, packing) run on the runtime's workers.
 * See docs/source-controller.md. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/app.h"
#include "eddy/art.h"
#include "eddy/git.h"
#include "eddy/http.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/rt.h"
#include "gitrepository.h"
#include "helmchart.h"
#include "helmrepository.h"

static struct {
	long long helm_index_max_size, helm_chart_max_size, helm_chart_file_max_size;
	long long helm_cache_max_size, artifact_retention_records, git_max_size;
	int64_t helm_cache_ttl, helm_cache_purge_interval, artifact_retention_ttl;
	const char *artifact_digest_algo;
	strv ssh_kex_algos, ssh_hostkey_algos;
} opt = {
	.helm_index_max_size = 50LL << 20,
	.helm_chart_max_size = 10LL << 20,
	.helm_chart_file_max_size = 5LL << 20,
	.artifact_retention_records = 2,
	.helm_cache_ttl = 15 * APP_MINUTE,
	.helm_cache_purge_interval = APP_MINUTE,
	.artifact_retention_ttl = APP_MINUTE,
	.artifact_digest_algo = "sha256",
	.git_max_size = 2LL << 30,
};

static const app_flag extra[] = {
	APP_FLAG("helm-index-max-size", APP_FLAG_SIZE, &opt.helm_index_max_size,
	  "The max allowed size in bytes of a HelmRepository index file."),
	APP_FLAG("helm-chart-max-size", APP_FLAG_SIZE, &opt.helm_chart_max_size,
	  "The max allowed size in bytes of a Helm chart file."),
	APP_FLAG("helm-chart-file-max-size", APP_FLAG_SIZE, &opt.helm_chart_file_max_size,
	  "The max allowed size in bytes of a file in a Helm chart."),
	APP_FLAG("helm-cache-max-size", APP_FLAG_INT, &opt.helm_cache_max_size,
	  "The maximum size of the cache in number of indexes (0 disables the cache)."),
	APP_FLAG("helm-cache-ttl", APP_FLAG_DURATION, &opt.helm_cache_ttl,
	  "The TTL of an index in the cache."),
	APP_FLAG("helm-cache-purge-interval", APP_FLAG_DURATION, &opt.helm_cache_purge_interval,
	  "The interval at which the cache is purged of expired items."),
	APP_FLAG("artifact-retention-ttl", APP_FLAG_DURATION, &opt.artifact_retention_ttl,
	  "The duration of time that artifacts from previous reconciliations will be kept in "
	  "storage before being garbage collected."),
	APP_FLAG("artifact-retention-records", APP_FLAG_INT, &opt.artifact_retention_records,
	  "The maximum number of artifacts to be kept in storage after a garbage collection."),
	APP_FLAG("artifact-digest-algo", APP_FLAG_STRING, &opt.artifact_digest_algo,
	  "The algorithm to use to calculate the digest of artifacts."),
	APP_FLAG("git-max-size", APP_FLAG_SIZE, &opt.git_max_size,
	  "The max number of bytes fetched from a Git repository (0 = no limit; Eddy only)."),
	APP_FLAG("ssh-kex-algos", APP_FLAG_STRINGS, &opt.ssh_kex_algos,
	  "The list of key exchange algorithms to use for ssh connections."),
	APP_FLAG("ssh-hostkey-algos", APP_FLAG_STRINGS, &opt.ssh_hostkey_algos,
	  "The list of hostkey algorithms to use for ssh connections."),
};

static struct {
	gitrepo_config git;       /* the GitRepository reconciler's settings */
	helmrepo_config helmrepo; /* the HelmRepository reconciler's */
	helmchart_config helmchart; /* the HelmChart reconciler's */
	helmcache *cache;         /* the index cache (--helm-cache-*; NULL: disabled) */
	rt_manager *m;            /* the runtime's manager (rt_app_start frees it) */
	http_server *storage;
	char *root;
	char *adv_addr;           /* for artifact URLs; NULL until the artifact server runs:
				   * read it with adv_addr() */
	app *a;
	uv_timer_t leader_timer;  /* polls for leadership before the artifact server starts */
	bool timer_active;
	pthread_mutex_t mu;       /* guards adv_addr for the workers */
	pthread_cond_t cv;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* The advertised storage address; waits (worker threads only) until the artifact server has
 * started, which happens once the manager runs (after winning the leader election). */
static const char *adv_addr(void *ud)
{
	(void)ud;
	pthread_mutex_lock(&S.mu);
	while (!S.adv_addr && !rt_manager_stopping(S.m))
		pthread_cond_wait(&S.cv, &S.mu);
	const char *a = S.adv_addr;
	pthread_mutex_unlock(&S.mu);
	return a ? a : "localhost";
}

static void storage_handler(http_request *req, void *data)
{
	(void)data;
	const char *path = http_request_path(req);
	/* the scratch space is not served */
	if (!strncmp(path, "/.tmp", 5) && (path[5] == '/' || !path[5])) {
		http_respond(req, 404, "text/plain", "404 page not found\n", 19);
		return;
	}
	if (!strcmp(path, "/")) {
		http_respond(req, 200, "text/plain", "ok\n", 3);
		return;
	}
	http_serve_file(req, S.root, path);
}

/* Registered before rt_app_start, so it runs after the runtime's own stop hook (newest first)
 * has asked the manager to stop: waiting workers then see rt_manager_stopping. */
static void on_stop(app *a, void *arg)
{
	(void)a;
	(void)arg;
	if (S.timer_active) {
		uv_close((uv_handle_t *)&S.leader_timer, NULL);
		S.timer_active = false;
	}
	pthread_mutex_lock(&S.mu);
	pthread_cond_broadcast(&S.cv);
	pthread_mutex_unlock(&S.mu);
	if (S.storage) {
		http_server_close(S.storage, NULL, NULL);
		S.storage = NULL;
	}
}

/* The artifact server: started once the manager runs, i.e. after winning the leader election
 * when it is enabled (Flux's source-controller does the same), so only the leader serves. */
static int start_storage(app *a)
{
	err e = {0};
	app_config *cfg = &a->cfg;
	http_server_opts ho = {0};
	S.storage = http_server_new(&a->loop, &ho, storage_handler, NULL, &e);
	if (!S.storage || http_server_listen(S.storage, cfg->storage_addr, &e) < 0) {
		log_error(&a->log, e.msg, "unable to start the artifact server",
			LOG_S("addr", cfg->storage_addr));
		return -1;
	}
	char *adv;
	if (cfg->storage_adv_addr && *cfg->storage_adv_addr) {
		adv = xstrdup(cfg->storage_adv_addr);
	} else {
		const char *sa = cfg->storage_addr;
		const char *colon = strrchr(sa, ':');
		char host[256];
		int hl = colon ? (int)(colon - sa) : (int)strlen(sa);
		snprintf(host, sizeof host, "%.*s", hl, sa);
		if (!host[0] || !strcmp(host, "0.0.0.0")) {
			const char *h = getenv("HOSTNAME");
			snprintf(host, sizeof host, "%s", host[0] && h ? h : "localhost");
		}
		adv = xasprintf("%s:%d", host, http_server_port(S.storage));
	}
	pthread_mutex_lock(&S.mu);
	S.adv_addr = adv;
	pthread_cond_broadcast(&S.cv);
	pthread_mutex_unlock(&S.mu);
	log_info(&a->log, "artifact server listening", LOG_S("addr",
		http_server_address(S.storage)), LOG_S("advertised", adv));
	return 0;
}

static void on_leader_poll(uv_timer_t *t)
{
	(void)t;
	if (!rt_manager_started(S.m) || S.storage)
		return;
	uv_timer_stop(&S.leader_timer);
	if (start_storage(S.a) < 0)
		app_stop(S.a, 1);
}

/* Whether the API server serves kind of source.toolkit.fluxcd.io/v1: false only when discovery
 * says it does not (its CRD is not installed); other errors count as served, so that an API
 * server that is not up yet does not switch a reconciler off. */
static bool served(rt_manager *m, app *a, const char *kind)
{
	kube_resource r;
	err e = {0};
	if (kube_resolve(rt_manager_client(m), "source.toolkit.fluxcd.io/v1", kind, &r, &e) == 0) {
		kube_resource_release(&r);
		return true;
	}
	if (kube_errkind_of(&e) != KUBE_ENOTFOUND)
		return true;
	log_info(&a->log, "CRD not installed: its reconciler is not started", LOG_S("kind", kind));
	return false;
}

/* rt_app_start's setup: the controllers of this binary on the manager. The Helm reconcilers
 * start only when their CRDs are installed (a missing CRD would keep the manager's caches
 * from syncing, and so the GitRepository reconciler from running). */
static int setup(rt_manager *m, void *arg)
{
	app *a = arg;
	S.m = m;
	gitrepo_controller_new(m, &S.git);
	if (served(m, a, "HelmRepository")) {
		helmrepo_controller_new(m, &S.helmrepo);
		if (served(m, a, "HelmChart")) {
			S.helmchart.git = S.git.controller;
			S.helmchart.helmrepo = S.helmrepo.controller;
			helmchart_controller_new(m, &S.helmchart);
		}
	}
	return 0;
}

static int start(app *a, void *arg)
{
	(void)arg;
	err e = {0};
	app_config *cfg = &a->cfg;
	char rp[PATH_MAX];
	if (!realpath(cfg->storage_path, rp)) {
		log_error(&a->log, "no such directory", "storage path does not exist",
			LOG_S("path", cfg->storage_path));
		return -1;
	}
	S.root = xstrdup(rp);
	S.a = a;
	/* checkouts left behind by a crash */
	art_remove_dir(S.root, ".tmp", NULL);
	S.git = (gitrepo_config){
		.storage_path = S.root,
		.retention_ttl_s = (unsigned)(opt.artifact_retention_ttl / APP_SECOND),
		.retention_records = (unsigned)opt.artifact_retention_records,
		.requeue_dependency_ms = (int64_t)app_duration_ms(cfg->requeue_dependency),
		.git_max_bytes = (uint64_t)opt.git_max_size,
		.flux = &a->flux,
		.adv_addr = adv_addr,
	};
	S.cache = helmcache_new((size_t)opt.helm_cache_max_size,
		(int64_t)app_duration_ms(opt.helm_cache_ttl),
		(int64_t)app_duration_ms(opt.helm_cache_purge_interval));
	S.helmrepo = (helmrepo_config){
		.storage_path = S.root,
		.retention_ttl_s = S.git.retention_ttl_s,
		.retention_records = S.git.retention_records,
		.index_max_bytes = (uint64_t)opt.helm_index_max_size,
		.cache = S.cache,
		.flux = &a->flux,
		.adv_addr = adv_addr,
	};
	static const char *const cache_labels[] = {"event_type", "name", "namespace"};
	met_family *cache_events = met_counter(a->metrics, "gotk_cache_events_total",
		"Total number of cache retrieval events for a Gitops Toolkit resource "
		"reconciliation.", cache_labels, 3);
	S.helmchart = (helmchart_config){
		.storage_path = S.root,
		.retention_ttl_s = S.git.retention_ttl_s,
		.retention_records = S.git.retention_records,
		.index_max_bytes = (uint64_t)opt.helm_index_max_size,
		.chart_max_bytes = (uint64_t)opt.helm_chart_max_size,
		.chart_file_max_bytes = (uint64_t)opt.helm_chart_file_max_size,
		.requeue_dependency_ms = S.git.requeue_dependency_ms,
		.cache = S.cache,
		.cache_events = cache_events,
		.flux = &a->flux,
		.adv_addr = adv_addr,
	};
	app_on_stop(a, on_stop, NULL);
	/* the kube client, the manager (--concurrent, leader election, retry delays, watched
	 * namespace and labels) and the per-kind metrics, as in the other controllers */
	if (rt_app_start(a, setup, a, &e) < 0) {
		S.m = NULL;
		log_error(&a->log, e.msg, "unable to start the manager");
		return -1;
	}
	if (rt_manager_started(S.m))
		return start_storage(a);
	uv_timer_init(&a->loop, &S.leader_timer);
	S.timer_active = true;
	uv_timer_start(&S.leader_timer, on_leader_poll, 100, 100);
	return 0;
}

int main(int argc, char **argv)
{
	static const app_spec spec = {
		.name = "source-controller",
		.summary = "Eddy source-controller: produces artifacts from Git, Helm, OCI and "
			   "Bucket sources.",
		.groups = APP_FL_CONTROLLER | APP_FL_EVENTS | APP_FL_STORAGE | APP_FL_REQUEUE_DEP |
			  APP_FL_DEFAULT_SA,
		.default_concurrent = 2,
		.extra = extra,
		.nextra = sizeof extra / sizeof extra[0],
		.start = start,
	};
	int rc = app_main(&spec, argc, argv);
	free(S.adv_addr);
	free(S.root);
	helmcache_free(S.cache);
	strv_release(&opt.ssh_kex_algos);
	strv_release(&opt.ssh_hostkey_algos);
	return rc;
}
