/* simulate: kwok-like workload status (--simulate-workloads). */
#ifndef APISERVER_SIMULATE_H
#define APISERVER_SIMULATE_H

#include "apiserver.h"
#include "types.h"

/* After a create or a non-status update of key (committed, not dry-run), schedule its status
 * write when --simulate-workloads is on; a no-op for kinds that are not simulated. */
void sim_note(apiserver *s, api_type *ty, const char *key);
/* Drop what is still queued (at close). */
void sim_free(apiserver *s);

#endif
