/* rt: leader election, the lease loop that starts the controllers once held (eddy/rt.h). */
#include "rt_internal.h"
#include "eddy/clock.h"

/* ------------------------------------------------------------------ leader election */

void *rt_leader_main(void *arg)
{
	rt_manager *m = arg;
	int64_t last_ok = 0;
	while (!atomic_load(&m->stopping)) {
		err e = {0};
		int rc = kube_lease_try(m->k, &m->lease, &e);
		int64_t now = clock_mono_ms();
		if (rc == 1) {
			last_ok = now;
			if (!atomic_load(&m->started)) {
				rt_logj("info", "leader", NULL, NULL, m->lease.ns, m->lease.name, NULL, NULL,
					"successfully acquired lease %s/%s", m->lease.ns, m->lease.name);
				rt_start_all(m);
			}
		} else if (atomic_load(&m->started) &&
			   now - last_ok > (int64_t)m->o.renew_deadline_s * 1000) {
			m->lost_err = e;
			err_fail(&m->lost_err, "LeaderElectionLost", "leader election lost: lease %s/%s",
				m->lease.ns, m->lease.name);
			atomic_store(&m->lost, true);
			rt_logj("error", "leader", NULL, NULL, m->lease.ns, m->lease.name, NULL, &m->lost_err,
				"leader election lost");
			rt_manager_stop(m);
			break;
		} else if (rc < 0) {
			rt_logj("error", "leader", NULL, NULL, m->lease.ns, m->lease.name, NULL, &e,
				"error retrieving resource lock");
		}
		if (!rt_msleep(m, (int64_t)m->o.retry_period_s * 1000))
			break;
	}
	return NULL;
}
