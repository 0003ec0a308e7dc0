/* notification-controller: receives Flux events (POST on --events-addr), dispatches them to
 * Providers by Alerts, and serves Receiver webhooks on --receiverAddr. For now the skeleton:
 * flags, logging, health and metrics endpoints, graceful stop (see eddy/app.h). */
#include "eddy/app.h"

static struct {
	const char *events_addr, *receiver_addr;
	int64_t rate_limit_interval;
	bool export_http_path_metrics;
} opt = {
	.events_addr = ":9090",
	.receiver_addr = ":9292",
	.rate_limit_interval = 5 * APP_MINUTE,
};

/* Here --events-addr is where this controller listens for events, as in Flux. */
static const app_flag extra[] = {
	APP_FLAG("events-addr", APP_FLAG_STRING, &opt.events_addr,
	  "The address the event endpoint binds to."),
	APP_FLAG("receiverAddr", APP_FLAG_STRING, &opt.receiver_addr,
	  "The address the webhook receiver endpoint binds to."),
	APP_FLAG("rate-limit-interval", APP_FLAG_DURATION, &opt.rate_limit_interval,
	  "Interval in which rate limit has effect."),
	APP_FLAG("export-http-path-metrics", APP_FLAG_BOOL, &opt.export_http_path_metrics,
	  "When enabled, the requests full path is included in the HTTP server metrics."),
};

int main(int argc, char **argv)
{
	static const app_spec spec = {
		.name = "notification-controller",
		.summary = "Eddy notification-controller: forwards events to providers and serves "
			   "webhook receivers.",
		.groups = APP_FL_CONTROLLER | APP_FL_NO_XNS,
		.default_concurrent = 4,
		.extra = extra,
		.nextra = sizeof extra / sizeof extra[0],
	};
	return app_main(&spec, argc, argv);
}
