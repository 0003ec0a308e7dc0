/* gc: the garbage collector: ownerReferences (background, foreground and orphan propagation),
 * finalizer-free deletions and namespace cleanup. Runs as a pass on the loop. */
#ifndef APISERVER_GC_H
#define APISERVER_GC_H

#include <cjson/cJSON.h>

#include "apiserver.h"

/* Schedule a garbage-collection pass (on the next loop iteration). */
void gc_schedule(apiserver *s);
/* 1 when the owner a reference names exists with its uid, 0 when gone, -1 when its kind is
 * unknown (not collected). ns: the dependent's namespace, NULL for cluster-scoped ones. */
int gc_owner_state(apiserver *s, const cJSON *ref, const char *ns);

#endif
