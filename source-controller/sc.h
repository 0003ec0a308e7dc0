/* source-controller internals shared by main.c and the reconcilers. */
#ifndef SC_H
#define SC_H

#include <stdint.h>

#include "eddy/app.h"
#include "eddy/rt.h"

typedef struct sc_ctx {
	app *a;
	const char *storage_path;   /* absolute storage root */
	char *adv_addr;             /* for artifact URLs; NULL until the artifact server runs:
				     * read it with sc_adv_addr() */
	unsigned retention_ttl_s;
	unsigned retention_records;
	int64_t requeue_dependency_ms;
	uint64_t git_max_bytes;     /* --git-max-size (0 = no cap) */
	rt_controller *git;         /* the GitRepository controller */
} sc_ctx;

/* The advertised storage address; waits (worker threads only) until the artifact server has
 * started, which happens once the manager runs (after winning the leader election). */
const char *sc_adv_addr(sc_ctx *sc);

/* Registers the GitRepository controller on m. */
rt_controller *sc_gitrepository_new(rt_manager *m, sc_ctx *sc);

#endif
