/* kustomize-controller: builds Kustomizations from source artifacts and applies them (see
 * docs/kustomize-controller.md); flags, logging, health and metrics come from eddy/app.h, the
 * manager from eddy/rt.h (rt_app_start). */
#include "eddy/app.h"
#include "eddy/rt.h"
#include "kc.h"
#include "kc_build.h"

static struct {
	long long concurrent_ssa, http_retry;
	const char *default_decryption_sa, *default_kubeconfig_sa;
	const char *sops_age_secret, *sops_vault_configmap;
	strv override_manager;
	const char *custom_apply_stage_kinds;
	const char *watch_configs_selector;
} opt = {
	.concurrent_ssa = 4,
	.http_retry = 9,
	.default_decryption_sa = "",
	.default_kubeconfig_sa = "",
	.sops_age_secret = "",
	.sops_vault_configmap = "",
	.custom_apply_stage_kinds = "",
	.watch_configs_selector = "reconcile.fluxcd.io/watch=Enabled",
};

static const app_flag extra[] = {
	APP_FLAG_RANGE("concurrent-ssa", APP_FLAG_INT, &opt.concurrent_ssa,
	  "The number of concurrent server-side apply operations.", 1, 256),
	APP_FLAG("http-retry", APP_FLAG_INT, &opt.http_retry,
	  "The maximum number of retries when failing to fetch artifacts over HTTP."),
	APP_FLAG("default-decryption-service-account", APP_FLAG_STRING, &opt.default_decryption_sa,
	  "Default service account used for decryption."),
	APP_FLAG("default-kubeconfig-service-account", APP_FLAG_STRING, &opt.default_kubeconfig_sa,
	  "Default service account used for kubeconfig."),
	APP_FLAG("sops-age-secret", APP_FLAG_STRING, &opt.sops_age_secret,
	  "The name of a Secret in the controller's namespace holding SOPS age keys."),
	APP_FLAG("sops-vault-configmap", APP_FLAG_STRING, &opt.sops_vault_configmap,
	  "The name of a ConfigMap holding the allowed Vault addresses for SOPS."),
	APP_FLAG("override-manager", APP_FLAG_STRINGS, &opt.override_manager,
	  "Field manager whose changes count as drift (repeatable)."),
	APP_FLAG("custom-apply-stage-kinds", APP_FLAG_STRING, &opt.custom_apply_stage_kinds,
	  "Kinds (group/Kind, comma separated) applied in a stage before the others."),
	APP_FLAG("watch-configs-label-selector", APP_FLAG_STRING, &opt.watch_configs_selector,
	  "Watch for ConfigMaps and Secrets with matching labels."),
};

static kc_ctx KC;

static int setup(rt_manager *m, void *arg)
{
	(void)arg;
	kc_kustomization_new(m, &KC);
	kc_watch_configs(m, &KC);
	return 0;
}

static int start(app *a, void *arg)
{
	err e = {0};
	KC.a = a;
	KC.requeue_dependency_ms = (int64_t)app_duration_ms(a->cfg.requeue_dependency);
	KC.http_retry = (int)opt.http_retry;
	KC.no_remote_bases = a->cfg.no_remote_bases;
	KC.no_cross_namespace_refs = a->cfg.no_cross_namespace_refs;
	KC.override_managers = &opt.override_manager;
	KC.concurrent_ssa = (int)opt.concurrent_ssa;
	KC.custom_apply_stage_kinds = opt.custom_apply_stage_kinds;
	KC.sops_age_secret = opt.sops_age_secret;
	KC.watch_configs_selector = opt.watch_configs_selector;
	if (rt_app_start(a, setup, arg, &e) < 0) {
		log_error(&a->log, e.msg, "unable to start the manager");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const app_spec spec = {
		.name = "kustomize-controller",
		.summary = "Eddy kustomize-controller: builds Kustomizations from source artifacts "
			   "and applies them.",
		.groups = APP_FL_CONTROLLER | APP_FL_EVENTS | APP_FL_REQUEUE_DEP | APP_FL_NO_XNS |
			  APP_FL_NO_REMOTE_BASES | APP_FL_DEFAULT_SA | APP_FL_KUBECONFIG_OPTS,
		.default_concurrent = 4,
		.extra = extra,
		.nextra = sizeof extra / sizeof extra[0],
		.start = start,
	};
	int rc = app_main(&spec, argc, argv);
	imp_clients_free(&KC.clients);
	strv_release(&opt.override_manager);
	return rc;
}
