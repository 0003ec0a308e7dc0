/* eddy-apiserver: a small Kubernetes API server on SQLite.
 *
 *   eddy-apiserver --data-dir DIR [--listen 127.0.0.1:6443] [--tls] [--token-auth-file F]
 *                  [--compact-interval SECONDS] [--compact-retain REVISIONS]
 *                  [--compact-min-age SECONDS] [--bookmark-interval SECONDS]
 *                  [--log-requests] [--simulate-workloads]
 *
 * Once listening it writes an admin kubeconfig to DIR/kubeconfig (atomically) with the real
 * address. SIGTERM/SIGINT end watches and stop cleanly. See docs/apiserver.md. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "apiserver.h"
#include "eddy/http.h"
#include "eddy/mem.h"
#include "tls.h"

typedef struct app {
	bool log_requests; /* --log-requests: one JSON line per request on stderr */
	uv_loop_t *loop;
	http_server *http;
	apiserver *api;
	uv_signal_t sigterm, sigint;
	bool stopping;
} app;

/* ---- watch streams over HTTP ---- */

typedef struct watch_conn {
	http_request *req;
	api_watch *w;
} watch_conn;

static int wc_write(void *ctx, const char *data, size_t len)
{
	watch_conn *wc = ctx;
	return http_stream_write(wc->req, data, len);
}

static void wc_end(void *ctx)
{
	watch_conn *wc = ctx;
	http_request_on_close(wc->req, NULL, NULL);
	http_stream_end(wc->req);
	free(wc);
}

static void wc_closed(http_request *r, void *ctx)
{
	watch_conn *wc = ctx;
	api_watch_cancel(wc->w);
	http_stream_end(r);
	free(wc);
}

/* ---- requests ---- */

static void on_request(http_request *r, void *data)
{
	app *a = data;
	api_req rq = {0};
	rq.method = http_request_method(r);
	rq.path = http_request_path(r);
	rq.query = http_request_query(r);
	rq.content_type = http_request_header(r, "Content-Type");
	rq.accept = http_request_header(r, "Accept");
	rq.user_agent = http_request_header(r, "User-Agent");
	rq.imp_user = http_request_header(r, "Impersonate-User");
	const char *auth = http_request_header(r, "Authorization");
	if (auth && !strncasecmp(auth, "Bearer ", 7))
		rq.bearer = auth + 7;
	const char *imp_groups[32];
	size_t ng = 0;
	const char *hn, *hv;
	for (size_t i = 0; http_request_header_at(r, i, &hn, &hv); i++)
		if (!strcasecmp(hn, "Impersonate-Group") && ng < 32)
			imp_groups[ng++] = hv;
	rq.imp_groups = imp_groups;
	rq.n_imp_groups = ng;
	const http_tls_identity *id = http_request_tls_client(r);
	if (id && id->common_name && *id->common_name) {
		rq.user = id->common_name;
		rq.groups = id->orgs;
		rq.n_groups = id->n_orgs;
		rq.authenticated = true;
	}
	size_t blen = 0;
	rq.body = http_request_body(r, &blen);
	rq.body_len = blen;
	api_resp rs;
	api_handle(a->api, &rq, &rs);
	if (rs.warning)
		http_add_header(r, "Warning", "%s", rs.warning);
	if (rs.watch) {
		if (a->stopping) {
			api_watch_cancel(rs.watch);
			http_respond(r, 503, "text/plain", "shutting down\n", 14);
			api_resp_release(&rs);
			return;
		}
		watch_conn *wc = xcalloc(1, sizeof(*wc));
		wc->req = r;
		wc->w = rs.watch;
		http_request_on_close(r, wc_closed, wc);
		http_stream_begin(r, 200, "application/json");
		api_watch_sink sink = {.write = wc_write, .end = wc_end, .ctx = wc};
		api_watch_start(rs.watch, &sink);
		api_resp_release(&rs);
		return;
	}
	size_t len = 0;
	char *body = buf_detach(&rs.body, &len);
	if (a->log_requests) {
		cJSON *l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "level", "info");
		cJSON_AddStringToObject(l, "msg", "request");
		cJSON_AddStringToObject(l, "method", rq.method);
		cJSON_AddStringToObject(l, "path", rq.path);
		cJSON_AddNumberToObject(l, "code", rs.code ? rs.code : 500);
		cJSON_AddNumberToObject(l, "bytes", (double)len);
		char *t = cJSON_PrintUnformatted(l);
		fprintf(stderr, "%s\n", t ? t : "{}");
		free(t);
		cJSON_Delete(l);
	}
	http_respond_take(r, rs.code ? rs.code : 500, rs.content_type, body, len);
	api_resp_release(&rs);
}

/* ---- kubeconfig ---- */

static int write_file_atomic(const char *path, const char *text, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		free(tmp);
		return -1;
	}
	chmod(tmp, mode);
	fputs(text, f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		free(tmp);
		return -1;
	}
	fclose(f);
	int r = rename(tmp, path);
	free(tmp);
	return r;
}

static int write_kubeconfig(const char *dir, const char *addr, const tls_material *tm)
{
	buf b;
	buf_init(&b, 1 << 20);
	buf_adds(&b, "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n");
	if (tm) {
		buf_addf(&b, "    certificate-authority-data: %s\n", tm->ca_b64);
		buf_addf(&b, "    server: https://%s\n", addr);
	} else {
		buf_addf(&b, "    server: http://%s\n", addr);
	}
	buf_adds(&b,
		 "  name: eddy\ncontexts:\n- context:\n    cluster: eddy\n    namespace: default\n"
		 "    user: eddy-admin\n  name: eddy\ncurrent-context: eddy\npreferences: {}\n"
		 "users:\n- name: eddy-admin\n  user:");
	if (tm)
		buf_addf(&b, "\n    client-certificate-data: %s\n    client-key-data: %s\n",
			 tm->admin_cert_b64, tm->admin_key_b64);
	else
		buf_adds(&b, " {}\n");
	char *path = xasprintf("%s/kubeconfig", dir);
	int r = write_file_atomic(path, buf_str(&b), 0600);
	free(path);
	buf_release(&b);
	return r;
}

/* ---- shutdown ---- */

static void api_closed(void *data)
{
	(void)data;
}

static void http_closed(void *data)
{
	app *a = data;
	apiserver_close(a->api, api_closed, a);
	uv_close((uv_handle_t *)&a->sigterm, NULL);
	uv_close((uv_handle_t *)&a->sigint, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
	app *a = h->data;
	(void)signum;
	if (a->stopping)
		return;
	a->stopping = true;
	fprintf(stderr, "{\"level\":\"info\",\"msg\":\"shutting down\"}\n");
	/* End watches first so their requests finish, then close the server. */
	api_watch_end_all(a->api);
	http_server_close(a->http, http_closed, a);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: eddy-apiserver --data-dir DIR [--listen 127.0.0.1:6443] [--tls]\n"
		"                      [--token-auth-file FILE] [--compact-interval SECONDS]\n"
		"                      [--compact-retain REVISIONS] [--compact-min-age SECONDS]\n"
		"                      [--bookmark-interval SECONDS] [--log-requests]\n"
		"                      [--simulate-workloads]\n");
}

static int num_arg(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < 0)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	mem_install_hooks();
	signal(SIGPIPE, SIG_IGN);
	const char *data_dir = NULL, *listen = "127.0.0.1:6443", *tokens = NULL;
	bool tls = false, log_requests = false, simulate = false;
	long long compact_interval = 60, compact_retain = 1000, compact_age = 300, bookmark = 10;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		long long *num = NULL;
		if (!strcmp(a, "--tls")) {
			tls = true;
			continue;
		}
		if (!strcmp(a, "--simulate-workloads")) {
			simulate = true;
			continue;
		}
		if (!strcmp(a, "--log-requests")) {
			log_requests = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			return 0;
		}
		if (!v) {
			usage();
			return 2;
		}
		if (!strcmp(a, "--data-dir"))
			data_dir = v;
		else if (!strcmp(a, "--listen"))
			listen = v;
		else if (!strcmp(a, "--token-auth-file"))
			tokens = v;
		else if (!strcmp(a, "--compact-interval"))
			num = &compact_interval;
		else if (!strcmp(a, "--compact-retain"))
			num = &compact_retain;
		else if (!strcmp(a, "--compact-min-age"))
			num = &compact_age;
		else if (!strcmp(a, "--bookmark-interval"))
			num = &bookmark;
		else {
			usage();
			return 2;
		}
		if (num && num_arg(v, num) < 0) {
			fprintf(stderr, "eddy-apiserver: bad number for %s: %s\n", a, v);
			return 2;
		}
		i++;
	}
	if (!data_dir) {
		usage();
		return 2;
	}
	if (mkdir(data_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "eddy-apiserver: cannot create %s: %s\n", data_dir,
			strerror(errno));
		return 1;
	}
	/* One server per data directory: the store assumes it is the only writer. */
	char *lock_path = xasprintf("%s/lock", data_dir);
	int lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lock_path);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "eddy-apiserver: %s is in use by another eddy-apiserver\n", data_dir);
		return 1;
	}
	app a = {0};
	a.log_requests = log_requests;
	a.loop = uv_default_loop();
	err e = {0};
	tls_material tm = {0};
	if (tls && tls_prepare(data_dir, &tm, &e) < 0) {
		fprintf(stderr, "eddy-apiserver: %s\n", e.msg);
		return 1;
	}
	http_server_opts ho = {0};
	ho.max_body_bytes = API_MAX_BODY;
	ho.idle_timeout_ms = 120000;
	ho.max_write_queue_bytes = (size_t)64 << 20;
	if (tls) {
		ho.tls_cert_pem = tm.serving_cert_pem;
		ho.tls_key_pem = tm.serving_key_pem;
		ho.tls_client_ca_pem = tm.ca_cert_pem;
		ho.tls_client_auth = HTTP_TLS_CLIENT_OPTIONAL;
	}
	a.http = http_server_new(a.loop, &ho, on_request, &a, &e);
	if (!a.http || http_server_listen(a.http, listen, &e) < 0) {
		fprintf(stderr, "eddy-apiserver: listen %s: %s\n", listen, e.msg);
		return 1;
	}
	apiserver_opts o = {0};
	o.data_dir = data_dir;
	o.tokens_file = tokens;
	o.auth = tls;
	o.simulate_workloads = simulate;
	o.compact_interval_ms = (uint64_t)(compact_interval ? compact_interval : 60) * 1000;
	o.compact_retain = compact_retain;
	o.compact_min_age = compact_age;
	o.bookmark_interval_ms = (uint64_t)(bookmark ? bookmark : 10) * 1000;
	char *addr = xstrdup(http_server_address(a.http));
	o.server_address = addr;
	a.api = apiserver_new(a.loop, &o, &e);
	if (!a.api) {
		fprintf(stderr, "eddy-apiserver: %s\n", e.msg);
		return 1;
	}
	if (write_kubeconfig(data_dir, addr, tls ? &tm : NULL) < 0) {
		fprintf(stderr, "eddy-apiserver: cannot write %s/kubeconfig\n", data_dir);
		return 1;
	}
	fprintf(stderr, "{\"level\":\"info\",\"msg\":\"serving\",\"address\":\"%s\",\"tls\":%s}\n",
		addr, tls ? "true" : "false");
	free(addr);
	uv_signal_init(a.loop, &a.sigterm);
	uv_signal_init(a.loop, &a.sigint);
	a.sigterm.data = a.sigint.data = &a;
	uv_signal_start(&a.sigterm, on_signal, SIGTERM);
	uv_signal_start(&a.sigint, on_signal, SIGINT);
	uv_run(a.loop, UV_RUN_DEFAULT);
	tls_material_release(&tm);
	int rc = uv_loop_close(a.loop) == 0 ? 0 : 1;
	close(lock_fd);
	/* The same last line as every other Eddy binary (app.c), so scripts can wait for it. */
	fprintf(stderr, "{\"level\":\"info\",\"msg\":\"stopped\",\"status\":%d}\n", rc);
	return rc;
}
