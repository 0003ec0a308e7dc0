/* eddy-test-app-controller: the Widget reconciler (widget.h) run the way Eddy's controllers run:
 * app_main (eddy/app.h: Flux's flags, logging, /healthz /readyz /metrics, signals) with the
 * runtime attached by rt_app_start. Extra flag: --status-ssa. */
#include "eddy/app.h"
#include "eddy/rt.h"

#include "widget.h"

static bool status_ssa;

static const app_flag extra[] = {
	APP_FLAG("status-ssa", APP_FLAG_BOOL, &status_ssa,
	  "Write status by server-side apply instead of a merge patch."),
};

static int setup(rt_manager *m, void *arg)
{
	(void)arg;
	widget_controller(m, status_ssa, NULL, 0, 0);
	return 0;
}

static int start(app *a, void *arg)
{
	(void)arg;
	err e = {0};
	if (rt_app_start(a, setup, NULL, &e) < 0) {
		log_error(&a->log, e.msg, "unable to start the controllers");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const app_spec spec = {
		.name = "test-app-controller",
		.summary = "Eddy runtime test controller for Widgets, under eddy/app.h.",
		.groups = APP_FL_CONTROLLER,
		.default_concurrent = 4,
		.extra = extra,
		.nextra = sizeof extra / sizeof extra[0],
		.start = start,
	};
	widget_init();
	int rc = app_main(&spec, argc, argv);
	widget_release();
	return rc;
}
