/* app: the runtime shared by every daemon: loop, signals, health and metrics servers. */
#include "eddy/app.h"

#include "eddy/buf.h"
#include "eddy/http.h"
#include "eddy/mem.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { ROLE_HEALTH = 1, ROLE_METRICS = 2 };
enum { METRICS_CAP = 64 << 20 };

typedef struct srv {
	app *a;
	unsigned roles;
	http_server *s;
	const char *addr;
} srv;

typedef struct hook {
	app_stop_fn fn;
	void *arg;
} hook;

struct app_priv {
	uv_signal_t sigterm, sigint;
	srv servers[2];
	size_t nservers;
	bool ready;
	bool stopping;
	int status;
	hook *hooks;
	size_t nhooks;
	pool *pool;
};

static bool disabled_addr(const char *addr)
{
	return !addr || !*addr || strcmp(addr, "0") == 0;
}

/* ---- HTTP endpoints ------------------------------------------------------------------------ */

static void serve_metrics(app *a, http_request *req)
{
	buf b;
	buf_init(&b, METRICS_CAP);
	if (met_expose(a->metrics, &b) < 0) {
		buf_release(&b);
		http_respondf(req, 500, "text/plain; charset=utf-8", "metrics too large\n");
		return;
	}
	size_t len;
	char *body = buf_detach(&b, &len);
	buf_release(&b);
	http_respond_take(req, 200, MET_CONTENT_TYPE, body, len);
}

static void handle(http_request *req, void *data)
{
	srv *sv = data;
	app *a = sv->a;
	const char *path = http_request_path(req);
	const char *method = http_request_method(req);
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool known = false;
	bool probe = strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0;
	if ((sv->roles & ROLE_HEALTH) && probe)
		known = true;
	if ((sv->roles & ROLE_METRICS) && strcmp(path, "/metrics") == 0)
		known = true;
	if (!known) {
		http_respondf(req, 404, "text/plain; charset=utf-8", "404 page not found\n");
		return;
	}
	if (!get) {
		http_add_header(req, "Allow", "GET, HEAD");
		http_respondf(req, 405, "text/plain; charset=utf-8", "method not allowed\n");
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		serve_metrics(a, req);
	} else if (strcmp(path, "/healthz") == 0) {
		http_respond(req, 200, "text/plain; charset=utf-8", "ok", 2);
	} else if (app_ready(a)) {
		http_respond(req, 200, "text/plain; charset=utf-8", "ok", 2);
	} else {
		http_respondf(req, 503, "text/plain; charset=utf-8", "not ready\n");
	}
}

static int start_server(app *a, const char *addr, unsigned roles, err *e)
{
	struct app_priv *p = a->priv;
	/* The same address twice shares one server, except port 0 (two different free ports). */
	size_t al = strlen(addr);
	bool any_port = al >= 2 && strcmp(addr + al - 2, ":0") == 0;
	for (size_t i = 0; i < p->nservers && !any_port; i++) {
		if (strcmp(p->servers[i].addr, addr) == 0) {
			p->servers[i].roles |= roles;
			return 0;
		}
	}
	srv *sv = &p->servers[p->nservers];
	sv->a = a;
	sv->roles = roles;
	sv->addr = addr;
	sv->s = http_server_new(&a->loop, NULL, handle, sv, e);
	if (!sv->s)
		return -1;
	if (http_server_listen(sv->s, addr, e) < 0) {
		http_server_close(sv->s, NULL, NULL);
		sv->s = NULL;
		return -1;
	}
	p->nservers++;
	return 0;
}

static int port_for(const app *a, unsigned role)
{
	const struct app_priv *p = a->priv;
	for (size_t i = 0; p && i < p->nservers; i++)
		if ((p->servers[i].roles & role) && p->servers[i].s)
			return http_server_port(p->servers[i].s);
	return 0;
}

int app_health_port(const app *a)
{
	return port_for(a, ROLE_HEALTH);
}

int app_metrics_port(const app *a)
{
	return port_for(a, ROLE_METRICS);
}

/* ---- Stop ------------------------------------------------------------------------------------ */

bool app_stopping(const app *a)
{
	return a->priv->stopping;
}

void app_on_stop(app *a, app_stop_fn fn, void *arg)
{
	struct app_priv *p = a->priv;
	p->hooks = xrealloc(p->hooks, (p->nhooks + 1) * sizeof *p->hooks);
	p->hooks[p->nhooks++] = (hook){ fn, arg };
}

void app_set_ready(app *a, bool ready)
{
	if (a->priv->stopping && ready)
		return;
	__atomic_store_n(&a->priv->ready, ready, __ATOMIC_SEQ_CST);
}

bool app_ready(const app *a)
{
	return __atomic_load_n(&a->priv->ready, __ATOMIC_SEQ_CST);
}

void app_stop(app *a, int status)
{
	struct app_priv *p = a->priv;
	if (p->stopping)
		return;
	p->stopping = true;
	p->status = status;
	app_set_ready(a, false);
	/* Hooks may register nothing new; run the newest first. */
	for (size_t i = p->nhooks; i-- > 0;)
		p->hooks[i].fn(a, p->hooks[i].arg);
	for (size_t i = 0; i < p->nservers; i++) {
		if (p->servers[i].s)
			http_server_close(p->servers[i].s, NULL, NULL);
		p->servers[i].s = NULL;
	}
	if (p->pool)
		pool_shutdown(p->pool, NULL, NULL); /* frees itself once its workers are done */
	p->pool = NULL;
	if (!uv_is_closing((uv_handle_t *)&p->sigterm))
		uv_close((uv_handle_t *)&p->sigterm, NULL);
	if (!uv_is_closing((uv_handle_t *)&p->sigint))
		uv_close((uv_handle_t *)&p->sigint, NULL);
}

pool *app_pool(app *a)
{
	struct app_priv *p = a->priv;
	if (p->stopping)
		return NULL;
	if (!p->pool) {
		err e;
		long long n = a->cfg.concurrent > 0 ? a->cfg.concurrent : 4;
		p->pool = pool_new(&a->loop, (size_t)n, &e);
		if (!p->pool)
			log_error(&a->log, e.msg, "unable to start the worker pool",
				  LOG_I("threads", n));
	}
	return p->pool;
}

static void on_signal(uv_signal_t *h, int signum)
{
	app *a = h->data;
	if (a->priv->stopping) {
		log_error(&a->log, NULL, "second signal received, exiting immediately",
			  LOG_S("signal", strsignal(signum)));
		_exit(1);
	}
	log_info(&a->log, "shutdown signal received, stopping", LOG_S("signal", strsignal(signum)));
	app_stop(a, 0);
}

/* ---- Main ------------------------------------------------------------------------------------ */

static void close_leftover(uv_handle_t *h, void *arg)
{
	app *a = arg;
	log_error(&a->log, NULL, "handle still open at exit; closing it",
		  LOG_S("type", uv_handle_type_name(uv_handle_get_type(h))));
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int app_main(const app_spec *spec, int argc, char **argv)
{
	mem_install_hooks();
	signal(SIGPIPE, SIG_IGN);

	app a;
	memset(&a, 0, sizeof a);
	a.spec = spec;
	err e;
	err_clear(&e);
	int rc = app_parse_config(&a.cfg, spec, argc, argv, stdout, &e);
	if (rc != 0) {
		if (rc < 0) {
			fprintf(stderr, "Error: %s\nRun '%s --help' for usage.\n", e.msg,
				spec->name);
			rc = 2;
		} else {
			rc = 0;
		}
		app_config_release(&a.cfg);
		return rc;
	}
	log_setup(a.cfg.log_level, a.cfg.log_encoding, 2);
	log_init(&a.log, "setup");

	struct app_priv priv;
	memset(&priv, 0, sizeof priv);
	a.priv = &priv;
	int status = 0;
	if ((rc = uv_loop_init(&a.loop)) < 0) {
		log_error(&a.log, uv_strerror(rc), "unable to create the event loop");
		log_release(&a.log);
		app_config_release(&a.cfg);
		return 1;
	}
	a.metrics = met_registry_new();
	met_register_process(a.metrics);
	met_flux_register(a.metrics, &a.flux);

	uv_signal_init(&a.loop, &priv.sigterm);
	uv_signal_init(&a.loop, &priv.sigint);
	priv.sigterm.data = priv.sigint.data = &a;
	uv_signal_start(&priv.sigterm, on_signal, SIGTERM);
	uv_signal_start(&priv.sigint, on_signal, SIGINT);

	log_info(&a.log, "starting manager", LOG_S("component", spec->name),
		 LOG_S("version", EDDY_VERSION));

	bool failed = false;
	if (spec->groups & APP_FL_CONTROLLER) {
		if (!disabled_addr(a.cfg.metrics_addr) &&
		    start_server(&a, a.cfg.metrics_addr, ROLE_METRICS, &e) < 0) {
			log_error(&a.log, e.msg, "unable to start the metrics server",
				  LOG_S("address", a.cfg.metrics_addr));
			failed = true;
		}
		if (!failed && !disabled_addr(a.cfg.health_addr) &&
		    start_server(&a, a.cfg.health_addr, ROLE_HEALTH, &e) < 0) {
			log_error(&a.log, e.msg, "unable to start the health server",
				  LOG_S("address", a.cfg.health_addr));
			failed = true;
		}
		if (!failed) {
			if (app_metrics_port(&a))
				log_info(&a.log, "serving metrics server",
					 LOG_S("bindAddress", a.cfg.metrics_addr),
					 LOG_I("port", app_metrics_port(&a)));
			if (app_health_port(&a))
				log_info(&a.log, "starting health probes server",
					 LOG_S("bindAddress", a.cfg.health_addr),
					 LOG_I("port", app_health_port(&a)));
		}
	}
	if (!failed && spec->start && spec->start(&a, spec->start_arg) < 0)
		failed = true;
	if (failed)
		app_stop(&a, 1);
	else if (!spec->defer_ready)
		app_set_ready(&a, true);

	uv_run(&a.loop, UV_RUN_DEFAULT);
	status = priv.status;
	if (uv_loop_close(&a.loop) == UV_EBUSY) {
		uv_walk(&a.loop, close_leftover, &a);
		uv_run(&a.loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&a.loop) != 0)
			log_error(&a.log, NULL, "event loop did not close");
		if (status == 0)
			status = 1;
	}
	log_info(&a.log, "stopped", LOG_I("status", status));

	free(priv.hooks);
	met_registry_free(a.metrics);
	log_release(&a.log);
	app_config_release(&a.cfg);
	return status;
}
