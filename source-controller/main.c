/* source-controller: GitRepository, HelmRepository, HelmChart, OCIRepository and Bucket
 * reconcilers and the artifact file server. For now the skeleton: flags, logging, health and
 * metrics endpoints, graceful stop (see eddy/app.h). */
#include "eddy/app.h"

static struct {
	long long helm_index_max_size, helm_chart_max_size, helm_chart_file_max_size;
	long long helm_cache_max_size, artifact_retention_records;
	int64_t helm_cache_ttl, helm_cache_purge_interval, artifact_retention_ttl;
	const char *artifact_digest_algo;
	app_strings ssh_kex_algos, ssh_hostkey_algos;
} opt = {
	.helm_index_max_size = 50LL << 20,
	.helm_chart_max_size = 10LL << 20,
	.helm_chart_file_max_size = 5LL << 20,
	.artifact_retention_records = 2,
	.helm_cache_ttl = 15 * APP_MINUTE,
	.helm_cache_purge_interval = APP_MINUTE,
	.artifact_retention_ttl = APP_MINUTE,
	.artifact_digest_algo = "sha256",
};

static const app_flag extra[] = {
	APP_FLAG("helm-index-max-size", APP_FLAG_SIZE, &opt.helm_index_max_size,
	  "The max allowed size in bytes of a HelmRepository index file."),
	APP_FLAG("helm-chart-max-size", APP_FLAG_SIZE, &opt.helm_chart_max_size,
	  "The max allowed size in bytes of a Helm chart file."),
	APP_FLAG("helm-chart-file-max-size", APP_FLAG_SIZE, &opt.helm_chart_file_max_size,
	  "The max allowed size in bytes of a file in a Helm chart."),
	APP_FLAG("helm-cache-max-size", APP_FLAG_INT, &opt.helm_cache_max_size,
	  "The maximum size of the cache in number of indexes (0 disables the cache)."),
	APP_FLAG("helm-cache-ttl", APP_FLAG_DURATION, &opt.helm_cache_ttl,
	  "The TTL of an index in the cache."),
	APP_FLAG("helm-cache-purge-interval", APP_FLAG_DURATION, &opt.helm_cache_purge_interval,
	  "The interval at which the cache is purged of expired items."),
	APP_FLAG("artifact-retention-ttl", APP_FLAG_DURATION, &opt.artifact_retention_ttl,
	  "The duration of time that artifacts from previous reconciliations will be kept in "
	  "storage before being garbage collected."),
	APP_FLAG("artifact-retention-records", APP_FLAG_INT, &opt.artifact_retention_records,
	  "The maximum number of artifacts to be kept in storage after a garbage collection."),
	APP_FLAG("artifact-digest-algo", APP_FLAG_STRING, &opt.artifact_digest_algo,
	  "The algorithm to use to calculate the digest of artifacts."),
	APP_FLAG("ssh-kex-algos", APP_FLAG_STRINGS, &opt.ssh_kex_algos,
	  "The list of key exchange algorithms to use for ssh connections."),
	APP_FLAG("ssh-hostkey-algos", APP_FLAG_STRINGS, &opt.ssh_hostkey_algos,
	  "The list of hostkey algorithms to use for ssh connections."),
};

int main(int argc, char **argv)
{
	static const app_spec spec = {
		.name = "source-controller",
		.summary = "Eddy source-controller: produces artifacts from Git, Helm, OCI and "
			   "Bucket sources.",
		.groups = APP_FL_CONTROLLER | APP_FL_EVENTS | APP_FL_STORAGE | APP_FL_REQUEUE_DEP |
			  APP_FL_DEFAULT_SA,
		.default_concurrent = 2,
		.extra = extra,
		.nextra = sizeof extra / sizeof extra[0],
	};
	int rc = app_main(&spec, argc, argv);
	app_strings_release(&opt.ssh_kex_algos);
	app_strings_release(&opt.ssh_hostkey_algos);
	return rc;
}
