/* eddy-apiserver: placeholder until the real API server lands (branch `apiserver`, which
 * replaces this file). It only accepts the flags and answers /healthz, /readyz, /livez and
 * /version on --listen, so the process plumbing can be tested. */
#include "eddy/app.h"
#include "eddy/http.h"

#include <string.h>

static struct {
	const char *data_dir, *listen;
	bool tls;
	http_server *srv;
} opt = { .data_dir = "", .listen = "127.0.0.1:6443" };

static const app_flag extra[] = {
	APP_FLAG("data-dir", APP_FLAG_STRING, &opt.data_dir, "Directory of the SQLite database."),
	APP_FLAG("listen", APP_FLAG_STRING, &opt.listen,
		 "Address to serve the API on (host:port)."),
	APP_FLAG("tls", APP_FLAG_BOOL, &opt.tls, "Serve HTTPS with a generated certificate."),
};

static void handle(http_request *req, void *data)
{
	const char *path = http_request_path(req);
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 ||
	    strcmp(path, "/livez") == 0)
		http_respond(req, 200, "text/plain; charset=utf-8", "ok", 2);
	else if (strcmp(path, "/version") == 0)
		http_respondf(req, 200, "application/json",
			      "{\"major\":\"1\",\"minor\":\"33\","
			      "\"gitVersion\":\"v1.33.0-eddy-%s\","
			      "\"platform\":\"linux/amd64\"}",
			      EDDY_VERSION);
	else
		http_respondf(req, 404, "application/json",
			      "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
			      "\"reason\":\"NotFound\",\"code\":404}");
}

static void stop(app *a, void *arg)
{
	if (opt.srv)
		http_server_close(opt.srv, NULL, NULL);
	opt.srv = NULL;
}

static int start(app *a, void *arg)
{
	err e;
	if (opt.tls) {
		log_error(&a->log, "TLS is not implemented by this placeholder",
			  "unable to start the API server");
		return -1;
	}
	opt.srv = http_server_new(&a->loop, NULL, handle, NULL, &e);
	if (!opt.srv || http_server_listen(opt.srv, opt.listen, &e) < 0) {
		log_error(&a->log, e.msg, "unable to start the API server",
			  LOG_S("address", opt.listen));
		stop(a, NULL);
		return -1;
	}
	app_on_stop(a, stop, NULL);
	log_info(&a->log, "serving the API", LOG_S("address", http_server_address(opt.srv)),
		 LOG_S("dataDir", opt.data_dir));
	return 0;
}

int main(int argc, char **argv)
{
	static const app_spec spec = {
		.name = "eddy-apiserver",
		.summary = "Eddy API server (placeholder).",
		.extra = extra,
		.nextra = sizeof extra / sizeof extra[0],
		.start = start,
	};
	return app_main(&spec, argc, argv);
}
