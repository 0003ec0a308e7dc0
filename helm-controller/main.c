/* helm-controller: installs, upgrades, tests, rolls back and uninstalls HelmReleases. For now
 * the skeleton: flags, logging, health and metrics endpoints, graceful stop (see eddy/app.h). */
#include "eddy/app.h"

static struct {
	long long http_retry;
	int64_t graceful_shutdown_timeout;
	const char *snapshot_digest_algo;
	strv override_manager;
} opt = {
	.http_retry = 9,
	.graceful_shutdown_timeout = -1,
	.snapshot_digest_algo = "sha256",
};

static const app_flag extra[] = {
	APP_FLAG("http-retry", APP_FLAG_INT, &opt.http_retry,
	  "The maximum number of retries when failing to fetch artifacts over HTTP."),
	APP_FLAG("graceful-shutdown-timeout", APP_FLAG_DURATION, &opt.graceful_shutdown_timeout,
	  "The duration given to the reconciler to finish before forcibly stopping "
	  "(negative: wait)."),
	APP_FLAG("snapshot-digest-algo", APP_FLAG_STRING, &opt.snapshot_digest_algo,
	  "The algorithm to use to calculate the digest of Helm release storage snapshots."),
	APP_FLAG("override-manager", APP_FLAG_STRINGS, &opt.override_manager,
	  "Field manager whose changes count as drift (repeatable)."),
};

int main(int argc, char **argv)
{
	static const app_spec spec = {
		.name = "helm-controller",
		.summary = "Eddy helm-controller: reconciles HelmReleases.",
		.groups = APP_FL_CONTROLLER | APP_FL_EVENTS | APP_FL_REQUEUE_DEP | APP_FL_NO_XNS |
			  APP_FL_DEFAULT_SA | APP_FL_KUBECONFIG_OPTS,
		.default_concurrent = 4,
		.extra = extra,
		.nextra = sizeof extra / sizeof extra[0],
	};
	int rc = app_main(&spec, argc, argv);
	strv_release(&opt.override_manager);
	return rc;
}
