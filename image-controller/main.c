/* image-controller: Flux's image-reflector-controller (ImageRepository, ImagePolicy) and
 * image-automation-controller (ImageUpdateAutomation) in one process. For now the skeleton:
 * flags, logging, health and metrics endpoints, graceful stop (see eddy/app.h). */
#include "eddy/app.h"

static struct {
	const char *storage_path;
	int64_t gc_interval;
	long long storage_compression_threshold;
} opt = {
	.storage_path = "/data",
	.gc_interval = 10 * APP_MINUTE,
	.storage_compression_threshold = 64,
};

static const app_flag extra[] = {
	APP_FLAG("storage-path", APP_FLAG_STRING, &opt.storage_path,
	  "Where to store the scanned tags of image repositories."),
	APP_FLAG("gc-interval", APP_FLAG_DURATION, &opt.gc_interval,
	  "The interval at which the tag database is garbage collected."),
	APP_FLAG("storage-compression-threshold", APP_FLAG_INT, &opt.storage_compression_threshold,
	  "Tag lists of at least this many KiB are stored gzip-compressed."),
};

int main(int argc, char **argv)
{
	static const app_spec spec = {
		.name = "image-controller",
		.summary = "Eddy image-controller: scans image repositories, selects tags by "
			   "policy and commits image updates.",
		.groups = APP_FL_CONTROLLER | APP_FL_EVENTS | APP_FL_NO_XNS | APP_FL_DEFAULT_SA,
		.default_concurrent = 4,
		.extra = extra,
		.nextra = sizeof extra / sizeof extra[0],
	};
	return app_main(&spec, argc, argv);
}
