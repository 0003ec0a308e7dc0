/* Internal to the runtime layer's rt module (eddy/rt.h): the types the manager, informers,
 * controllers and leader election share, and the functions one file calls in another. */
#ifndef EDDY_RT_INTERNAL_H
#define EDDY_RT_INTERNAL_H

#include "eddy/rt.h"
#include "rt_map.h"

#include <pthread.h>
#include <stdatomic.h>

enum { MAX_INDEXES = 8, DEFAULT_WAIT_MS = 30000 };

/* ------------------------------------------------------------------ types */

struct index {
	char *name;
	rt_index_fn fn;
	void *ud;
	rt_map map; /* value -> strv* of keys */
};

struct rt_informer {
	rt_manager *m;
	char *av, *kind, *ns, *lsel, *fsel;
	int64_t resync_ms;
	int watch_timeout_s;
	pthread_mutex_t mu;
	rt_map cache; /* key -> cJSON* */
	struct index idx[MAX_INDEXES];
	size_t nidx;
	rt_handler *h;
	size_t nh;
	pthread_t th;
	bool started;
	atomic_bool synced;
	atomic_int lists;
	int64_t next_resync;
	char *rv;
};

struct rt_controller {
	rt_manager *m;
	rt_controller_opts o;
	char *av, *kind, *group, *finalizer, *sfm;
	rt_informer *inf;
	rt_queue *q;
	pthread_t *workers;
	int nworkers;
	int nstarted; /* workers running, joined at shutdown */
};

struct rt_manager {
	kube_client *k;
	rt_manager_opts o;
	char *name, *wns, *wsel;
	uv_loop_t *loop_ptr;     /* the loop we were started on, NULL before/after */
	uv_async_t async;
	void (*done)(rt_manager *m, int status, void *arg);
	void *done_arg;
	pthread_t joiner;
	bool joiner_running;
	atomic_bool joined;
	atomic_bool stopping;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	rt_informer **infs;
	size_t ninf;
	rt_controller **ctrls;
	size_t nctrl;
	atomic_bool started;
	/* leader election */
	pthread_t leader_th;
	bool leader_running;
	kube_lease lease;
	atomic_bool lost;
	err lost_err;
};

/* rt_keys.c */
char *rt_make_key(const char *ns, const char *name);

/* rt_log.c */
void rt_logj(const char *level, const char *logger_name, const char *av, const char *kind,
	const char *ns, const char *name, const char *rid, const err *e, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));

/* rt_manager.c */
bool rt_msleep(rt_manager *m, int64_t ms);
void rt_start_all(rt_manager *m);
/* Stops the manager with e as the error rt_manager_run returns (the first failure wins). */
void rt_manager_fail(rt_manager *m, const err *e);

/* rt_informer.c */
/* Starts the informer's thread; -1 with e set when the thread cannot be created. */
int rt_informer_start(rt_informer *i, err *e);
void rt_informer_free(rt_informer *i);

/* rt_controller.c */
void *rt_worker_main(void *arg);
void rt_controller_free(rt_controller *c);

/* rt_leader.c */
void *rt_leader_main(void *arg);

#endif
