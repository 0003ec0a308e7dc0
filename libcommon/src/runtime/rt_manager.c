/* rt: the manager, its start-up, stop and run loop (eddy/rt.h). See the header for the
 * threading model. */
#include "rt_internal.h"
#include "eddy/mem.h"
#include "eddy/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void on_async(uv_async_t *a);

/* Sleeps up to ms; false when the manager is stopping. */
bool rt_msleep(rt_manager *m, int64_t ms)
{
	pthread_mutex_lock(&m->mu);
	if (!atomic_load(&m->stopping)) {
		int64_t due = clock_mono_ms() + ms;
		struct timespec ts = {(time_t)(due / 1000), (long)(due % 1000) * 1000000};
		while (!atomic_load(&m->stopping) && clock_mono_ms() < due)
			if (pthread_cond_timedwait(&m->cv, &m->mu, &ts) != 0)
				break;
	}
	bool ok = !atomic_load(&m->stopping);
	pthread_mutex_unlock(&m->mu);
	return ok;
}

/* ------------------------------------------------------------------ manager */

rt_manager *rt_manager_new(kube_client *k, const rt_manager_opts *o)
{
	rt_manager *m = xcalloc(1, sizeof *m);
	m->k = k;
	if (o)
		m->o = *o;
	m->name = xstrdup(m->o.name ? m->o.name : "eddy-controller");
	m->o.name = m->name;
	m->wns = m->o.watch_namespace ? xstrdup(m->o.watch_namespace) : NULL;
	m->wsel = m->o.watch_label_selector ? xstrdup(m->o.watch_label_selector) : NULL;
	m->o.watch_namespace = m->wns;
	m->o.watch_label_selector = m->wsel;
	if (m->o.concurrent <= 0)
		m->o.concurrent = 4;
	if (m->o.lease_duration_s <= 0)
		m->o.lease_duration_s = 35;
	if (m->o.renew_deadline_s <= 0)
		m->o.renew_deadline_s = 30;
	if (m->o.retry_period_s <= 0)
		m->o.retry_period_s = 5;
	if (m->o.interval_jitter_pct <= 0)
		m->o.interval_jitter_pct = 5;
	pthread_mutex_init(&m->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cv, &ca);
	pthread_condattr_destroy(&ca);
	return m;
}

kube_client *rt_manager_client(rt_manager *m)
{
	return m->k;
}

bool rt_manager_stopping(rt_manager *m)
{
	return atomic_load(&m->stopping);
}

bool rt_manager_started(rt_manager *m)
{
	return atomic_load(&m->started);
}

void rt_start_all(rt_manager *m)
{
	pthread_mutex_lock(&m->mu);
	if (atomic_load(&m->started) || atomic_load(&m->stopping)) {
		pthread_mutex_unlock(&m->mu);
		return;
	}
	atomic_store(&m->started, true);
	size_t ninf = m->ninf, nctrl = m->nctrl;
	pthread_mutex_unlock(&m->mu);
	err e = {0};
	for (size_t n = 0; n < ninf; n++)
		if (rt_informer_start(m->infs[n], &e) < 0)
			goto fail;
	for (size_t n = 0; n < nctrl; n++) {
		rt_controller *c = m->ctrls[n];
		c->workers = xcalloc((size_t)c->nworkers, sizeof *c->workers);
		for (int w = 0; w < c->nworkers; w++) {
			int rc = pthread_create(&c->workers[w], NULL, rt_worker_main, c);
			if (rc != 0) {
				err_fail(&e, "RuntimeError", "cannot start a worker thread for %s: %s",
					c->kind, strerror(rc));
				goto fail;
			}
			c->nstarted++;
		}
	}
	return;
fail:
	/* the threads already started are joined by the shutdown as usual */
	rt_manager_fail(m, &e);
}

void rt_manager_fail(rt_manager *m, const err *e)
{
	pthread_mutex_lock(&m->mu);
	bool first = !atomic_load(&m->lost);
	if (first) {
		m->lost_err = *e;
		atomic_store(&m->lost, true);
	}
	pthread_mutex_unlock(&m->mu);
	if (first)
		rt_logj("error", "runtime", NULL, NULL, NULL, NULL, NULL, e, "stopping the manager");
	rt_manager_stop(m);
}

/* The blocking half of the shutdown, on its own thread so that the loop never waits. The
 * leader election thread goes first: it starts the informers and workers (rt_start_all) and may
 * be doing so right now, so only once it has returned are the threads to join all known. */
static void *joiner_main(void *arg)
{
	rt_manager *m = arg;
	bool yield = false;
	if (m->leader_running) {
		pthread_join(m->leader_th, NULL);
		m->leader_running = false;
		yield = true;
	}
	for (size_t n = 0; n < m->nctrl; n++)
		rt_queue_shutdown(m->ctrls[n]->q);
	for (size_t n = 0; n < m->nctrl; n++) {
		rt_controller *c = m->ctrls[n];
		for (int w = 0; w < c->nstarted; w++)
			pthread_join(c->workers[w], NULL);
		c->nstarted = 0;
	}
	for (size_t n = 0; n < m->ninf; n++)
		if (m->infs[n]->started) {
			pthread_join(m->infs[n]->th, NULL);
			m->infs[n]->started = false;
		}
	if (yield) {
		err ye = {0};
		if (kube_lease_yield(m->k, &m->lease, &ye) < 0)
			rt_logj("error", "leader", NULL, NULL, m->lease.ns, m->lease.name, NULL, &ye,
				"failed to release the lease");
	}
	rt_logj("info", "runtime", NULL, NULL, NULL, NULL, NULL, NULL, "stopped all controllers");
	atomic_store(&m->joined, true);
	uv_async_send(&m->async);
	return NULL;
}

static void on_async_closed(uv_handle_t *h)
{
	rt_manager *m = h->data;
	if (m->joiner_running)
		pthread_join(m->joiner, NULL);
	m->joiner_running = false;
	int status = atomic_load(&m->lost) ? -1 : 0;
	if (m->done)
		m->done(m, status, m->done_arg);
}

static void on_async(uv_async_t *a)
{
	rt_manager *m = a->data;
	if (!atomic_load(&m->stopping))
		return;
	if (!m->joiner_running && !atomic_load(&m->joined)) {
		int rc = pthread_create(&m->joiner, NULL, joiner_main, m);
		if (rc == 0) {
			m->joiner_running = true;
			return;
		}
		/* no thread for the blocking half: the loop waits for it rather than never stopping */
		rt_logj("error", "runtime", NULL, NULL, NULL, NULL, NULL, NULL,
			"cannot start the shutdown thread (%s), stopping on the loop thread",
			strerror(rc));
		joiner_main(m);
	}
	if (atomic_load(&m->joined) && !uv_is_closing((uv_handle_t *)&m->async))
		uv_close((uv_handle_t *)&m->async, on_async_closed);
}

void rt_manager_stop(rt_manager *m)
{
	pthread_mutex_lock(&m->mu);
	atomic_store(&m->stopping, true);
	pthread_cond_broadcast(&m->cv);
	bool live = m->loop_ptr != NULL;
	pthread_mutex_unlock(&m->mu);
	if (live)
		uv_async_send(&m->async);
}

int rt_manager_start(rt_manager *m, uv_loop_t *loop,
	void (*done)(rt_manager *m, int status, void *arg), void *arg, err *e)
{
	if (m->loop_ptr)
		return err_fail(e, "RuntimeError", "the manager was already started");
	m->done = done;
	m->done_arg = arg;
	m->async.data = m;
	if (uv_async_init(loop, &m->async, on_async) != 0)
		return err_fail(e, "RuntimeError", "cannot create the runtime's async handle");
	pthread_mutex_lock(&m->mu);
	m->loop_ptr = loop;
	pthread_mutex_unlock(&m->mu);
	if (m->o.leader_election) {
		char host[200] = "";
		gethostname(host, sizeof host - 1);
		char *id = xasprintf("%s_%d_%08x", host, (int)getpid(), (unsigned)rand());
		char *lname = m->o.leader_election_id ? xstrdup(m->o.leader_election_id)
			: xasprintf("%s-leader-election", m->name);
		const char *ns = m->o.leader_election_namespace ? m->o.leader_election_namespace
			: kube_client_config(m->k)->namespace_;
		kube_lease_init(&m->lease, ns, lname, id, m->o.lease_duration_s);
		free(id);
		free(lname);
		int rc = pthread_create(&m->leader_th, NULL, rt_leader_main, m);
		if (rc != 0) {
			err_fail(e, "RuntimeError", "cannot start the leader election thread: %s",
				strerror(rc));
			pthread_mutex_lock(&m->mu);
			m->loop_ptr = NULL;
			pthread_mutex_unlock(&m->mu);
			uv_close((uv_handle_t *)&m->async, NULL);
			return -1;
		}
		m->leader_running = true;
	} else {
		rt_start_all(m);
	}
	if (atomic_load(&m->stopping))
		uv_async_send(&m->async);
	return 0;
}

struct run_state {
	uv_signal_t sigterm, sigint;
	bool signals;
	int status;
};

static void on_signal(uv_signal_t *s, int signum)
{
	rt_manager *m = s->data;
	rt_logj("info", "runtime", NULL, NULL, NULL, NULL, NULL, NULL,
		"received signal %d, stopping gracefully", signum);
	rt_manager_stop(m);
}

static void run_done(rt_manager *m, int status, void *arg)
{
	struct run_state *rs = arg;
	rs->status = status;
	if (rs->signals) {
		uv_close((uv_handle_t *)&rs->sigterm, NULL);
		uv_close((uv_handle_t *)&rs->sigint, NULL);
	}
	(void)m;
}

int rt_manager_run(rt_manager *m, err *e)
{
	uv_loop_t loop;
	if (uv_loop_init(&loop) != 0)
		return err_fail(e, "RuntimeError", "cannot create a loop");
	struct run_state rs = {.signals = !m->o.no_signals};
	if (rs.signals) {
		uv_signal_init(&loop, &rs.sigterm);
		uv_signal_init(&loop, &rs.sigint);
		rs.sigterm.data = rs.sigint.data = m;
		uv_signal_start(&rs.sigterm, on_signal, SIGTERM);
		uv_signal_start(&rs.sigint, on_signal, SIGINT);
	}
	if (rt_manager_start(m, &loop, run_done, &rs, e) < 0) {
		if (rs.signals) {
			uv_close((uv_handle_t *)&rs.sigterm, NULL);
			uv_close((uv_handle_t *)&rs.sigint, NULL);
		}
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		return -1;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	pthread_mutex_lock(&m->mu);
	m->loop_ptr = NULL;
	pthread_mutex_unlock(&m->mu);
	if (rs.status < 0) {
		if (e)
			*e = m->lost_err;
		return -1;
	}
	return 0;
}

void rt_manager_free(rt_manager *m)
{
	if (!m)
		return;
	for (size_t n = 0; n < m->nctrl; n++)
		rt_controller_free(m->ctrls[n]);
	free(m->ctrls);
	for (size_t n = 0; n < m->ninf; n++)
		rt_informer_free(m->infs[n]);
	free(m->infs);
	kube_lease_release_mem(&m->lease);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m->name);
	free(m->wns);
	free(m->wsel);
	free(m);
}
