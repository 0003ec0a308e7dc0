/* helmrepository: the HelmRepository v1 reconciler of source-controller (Flux's
 * internal/controller/helmrepository_controller.go). main.c fills a helmrepo_config from its
 * flags and registers the controller on the runtime's manager. */
#ifndef SC_HELMREPOSITORY_H
#define SC_HELMREPOSITORY_H

#include <stdint.h>

#include "eddy/metrics.h"
#include "eddy/rt.h"
#include "helmcache.h"

typedef struct helmrepo_config {
	const char *storage_path;      /* absolute storage root (--storage-path) */
	unsigned retention_ttl_s;      /* --artifact-retention-ttl */
	unsigned retention_records;    /* --artifact-retention-records */
	uint64_t index_max_bytes;      /* --helm-index-max-size */
	helmcache *cache;              /* --helm-cache-*: NULL when disabled */
	met_flux *flux;
	/* The advertised storage address (host:port); may block (see gitrepo_config). */
	const char *(*adv_addr)(void *ud);
	void *adv_ud;
	rt_controller *controller;     /* set by helmrepo_controller_new */
} helmrepo_config;

rt_controller *helmrepo_controller_new(rt_manager *m, helmrepo_config *cfg);

/* Shared with helmchart.c: the storage directory's symlink "<dir>/<link>" to the file
 * <dir>/<base> (best effort, as Flux's Storage.Symlink), and Reconciling Progressing for a new
 * generation or a reconcile in progress. */
void sc_storage_symlink(const char *storage_path, const char *dirrel, const char *base,
	const char *link);
void sc_mark_reconciling(cJSON *obj);
/* An event with the source's revision and digest annotations (either may be NULL). */
void sc_event(rt_ctx *ctx, cJSON *obj, const char *type, const char *reason,
	const char *revision, const char *digest, const char *msg);
/* reconcileStorage of the Helm kinds: the stored artifact (status.artifact) verified against
 * its digest; when it is gone or corrupt it is removed (event ArtifactVerificationFailed), else
 * its URL and status.url (the "<dirrel>/<link>" symlink) are refreshed from the advertised
 * address adv; without one, Reconciling "building artifact" and no ArtifactInStorage. Returns
 * status.artifact (borrowed) or NULL. */
cJSON *sc_storage_verify(rt_ctx *ctx, cJSON *obj, cJSON *st, const char *storage_path,
	const char *adv, const char *dirrel, const char *link);

#endif
