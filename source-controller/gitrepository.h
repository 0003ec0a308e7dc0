/* gitrepository: the GitRepository v1 reconciler of source-controller (Flux's
 * internal/controller/gitrepository_controller.go). main.c fills a gitrepo_config from its
 * flags and registers the controller on the runtime's manager; the reconciler needs nothing
 * else from main.c. */
#ifndef SC_GITREPOSITORY_H
#define SC_GITREPOSITORY_H

#include <stdint.h>

#include "eddy/metrics.h"
#include "eddy/rt.h"

typedef struct gitrepo_config {
	const char *storage_path;      /* absolute storage root (--storage-path) */
	unsigned retention_ttl_s;      /* --artifact-retention-ttl */
	unsigned retention_records;    /* --artifact-retention-records */
	int64_t requeue_dependency_ms; /* --requeue-dependency: retry of a missing include */
	uint64_t git_max_bytes;        /* --git-max-size (0 = no cap) */
	met_flux *flux;                /* the Flux metrics: a deleted object's series go */
	/* The advertised storage address for artifact URLs (host:port). Called on worker
	 * threads; may block until the artifact server runs (on the elected leader). */
	const char *(*adv_addr)(void *ud);
	void *adv_ud;
	rt_controller *controller;     /* set by gitrepo_controller_new */
} gitrepo_config;

/* Registers the GitRepository controller on m (before the manager starts). cfg is borrowed
 * and must outlive the manager. */
rt_controller *gitrepo_controller_new(rt_manager *m, gitrepo_config *cfg);

#endif
