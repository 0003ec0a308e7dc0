/* helmchart: the HelmChart v1 reconciler of source-controller (Flux's
 * internal/controller/helmchart_controller.go and internal/helm/chart's builders). main.c
 * fills a helmchart_config from its flags and registers the controller after the
 * GitRepository and HelmRepository controllers, whose informers it watches. */
#ifndef SC_HELMCHART_H
#define SC_HELMCHART_H

#include <stdint.h>

#include "eddy/metrics.h"
#include "eddy/rt.h"
#include "helmcache.h"

typedef struct helmchart_config {
	const char *storage_path;      /* absolute storage root (--storage-path) */
	unsigned retention_ttl_s;      /* --artifact-retention-ttl */
	unsigned retention_records;    /* --artifact-retention-records */
	uint64_t index_max_bytes;      /* --helm-index-max-size */
	uint64_t chart_max_bytes;      /* --helm-chart-max-size */
	uint64_t chart_file_max_bytes; /* --helm-chart-file-max-size */
	int64_t requeue_dependency_ms; /* --requeue-dependency: a source without artifact */
	helmcache *cache;              /* shared with the HelmRepository reconciler */
	met_family *cache_events;      /* gotk_cache_events_total{event_type,name,namespace} */
	met_flux *flux;
	const char *(*adv_addr)(void *ud);
	void *adv_ud;
	rt_controller *git;            /* the GitRepository controller (its informer) */
	rt_controller *helmrepo;       /* the HelmRepository controller (its informer) */
	rt_controller *controller;     /* set by helmchart_controller_new */
} helmchart_config;

rt_controller *helmchart_controller_new(rt_manager *m, helmchart_config *cfg);

#endif
