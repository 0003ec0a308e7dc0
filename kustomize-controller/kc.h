/* kustomize-controller internals shared by main.c and the Kustomization reconciler. */
#ifndef KC_H
#define KC_H

#include <stdbool.h>
#include <stdint.h>

#include "eddy/app.h"
#include "eddy/rt.h"

typedef struct kc_ctx {
	app *a;
	int64_t requeue_dependency_ms; /* --requeue-dependency */
	int http_retry;                /* --http-retry */
	bool no_remote_bases;          /* --no-remote-bases */
	bool no_cross_namespace_refs;  /* --no-cross-namespace-refs */
	const char *sops_age_secret;   /* --sops-age-secret (in $RUNTIME_NAMESPACE) */
	const char *watch_configs_selector; /* --watch-configs-label-selector */
	rt_controller *ks;             /* the Kustomization controller */
} kc_ctx;

/* Registers the Kustomization controller (and the GitRepository watch) on m. */
rt_controller *kc_kustomization_new(rt_manager *m, kc_ctx *kc);

#endif
