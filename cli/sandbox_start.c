/* eddy sandbox: starting eddy-apiserver and the controllers. */
#include "cli.h"
#include "sandbox.h"
#include "embedded.h"
#include "eddy/buf.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- up: pieces */

kube_client *sb_client_for(const char *kubeconfig)
{
	kube_config c;
	err e = {0};
	memset(&c, 0, sizeof c);
	if (kube_config_load_file(&c, kubeconfig, NULL, &e) < 0) {
		kube_config_release(&c);
		return NULL;
	}
	c.timeout_ms = 15000;
	kube_client *k = kube_client_new(&c, &e);
	kube_config_release(&c);
	return k;
}

/* Fails when comp died, printing the tail of its log. */
int sb_check_alive(sandbox *sb, int i, progress *pg)
{
	comp_state *c = &sb->c[i];
	if (sb_alive(c->pid))
		return 0;
	sb_progress_end(pg);
	cli_failure("%s exited (pid %d); see its log %s", sb_comp[i], (int)c->pid, c->log);
	sb_print_tail(c->log, 15);
	if (sb_log_mentions(c->log, "in use"))
		fprintf(stderr, "  a port it was given was taken meanwhile by another process; "
				"'eddy sandbox up' picks new free ports each time\n");
	fprintf(stderr, "  fix the cause, then run 'eddy sandbox up --dir %s' again\n", sb->dir);
	return -1;
}

static bool supports_flag(const char *bin, const char *flag)
{
	buf out;
	buf_init(&out, 1u << 20);
	const char *argv[] = {bin, "--help", NULL};
	sb_run(argv, NULL, &out);
	bool ok = out.data && strstr(out.data, flag) != NULL;
	buf_release(&out);
	return ok;
}

int sb_start_apiserver(sandbox *sb, progress *pg)
{
	comp_state *c = &sb->c[C_API];
	char *data = xasprintf("%s/api", sb->dir);
	char *kcfg = xasprintf("%s/kubeconfig", data);
	sb_mkdirs(data);
	unlink(kcfg);
	c->port = sb_free_port(sb);
	snprintf(c->exe, sizeof c->exe, "%s/eddy-apiserver", sb->bindir);
	snprintf(c->log, sizeof c->log, "%s/logs/eddy-apiserver.log", sb->dir);
	char listen[64];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", c->port);
	const char *argv[8] = {c->exe, "--data-dir", data, "--listen", listen};
	int n = 5;
	if (supports_flag(c->exe, "--simulate-workloads"))
		argv[n++] = "--simulate-workloads";
	argv[n] = NULL;
	c->pid = sb_spawn(argv, c->log, NULL, sb->dir);
	free(data);
	if (c->pid < 0) {
		free(kcfg);
		return -1;
	}
	sb_state_write(sb, C_API);
	sb->kubeconfig = kcfg;
	int64_t until = clock_mono_ms() + 30000;
	while (clock_mono_ms() < until) {
		if (sb_check_alive(sb, C_API, pg) < 0)
			return -1;
		if (access(kcfg, R_OK) == 0) {
			kube_client *k = sb_client_for(kcfg);
			err e = {0};
			cJSON *o = k ? kube_get(k, "v1", "Namespace", NULL, "default", NULL, &e) :
				NULL;
			bool up = o || (k && kube_errkind_of(&e) != KUBE_ETRANSPORT);
			cJSON_Delete(o);
			kube_client_free(k);
			if (up)
				return 0;
		}
		sb_progress_show(pg, "eddy-apiserver to serve");
		cli_sleep_ms(100);
	}
	sb_progress_end(pg);
	cli_failure("eddy-apiserver did not answer on 127.0.0.1:%d within 30s", c->port);
	sb_print_tail(c->log, 15);
	return -1;
}

int sb_start_controller(sandbox *sb, int i, progress *pg)
{
	comp_state *c = &sb->c[i];
	snprintf(c->exe, sizeof c->exe, "%s/%s", sb->bindir, sb_comp[i]);
	snprintf(c->log, sizeof c->log, "%s/logs/%s.log", sb->dir, sb_comp[i]);
	c->health = sb_free_port(sb);
	c->metrics = sb_free_port(sb);
	char health[64], metrics[64], storage_addr[64];
	snprintf(health, sizeof health, "127.0.0.1:%d", c->health);
	snprintf(metrics, sizeof metrics, "127.0.0.1:%d", c->metrics);
	char *storage = xasprintf("%s/storage", sb->dir);
	char *tmp = xasprintf("%s/tmp", sb->dir);
	char *tmpenv = xasprintf("TMPDIR=%s", tmp);
	sb_mkdirs(storage);
	sb_mkdirs(tmp);
	const char *argv[24] = {c->exe, "--kubeconfig", sb->kubeconfig, "--health-addr", health,
		"--metrics-addr", metrics, "--log-level", "info"};
	int n = 9;
	if (i == C_SOURCE) {
		c->port = sb_free_port(sb);
		snprintf(storage_addr, sizeof storage_addr, "127.0.0.1:%d", c->port);
		argv[n++] = "--storage-path";
		argv[n++] = storage;
		argv[n++] = "--storage-addr";
		argv[n++] = storage_addr;
		argv[n++] = "--storage-adv-addr";
		argv[n++] = storage_addr;
	} else {
		argv[n++] = "--requeue-dependency";
		argv[n++] = "5s";
	}
	argv[n++] = "--max-retry-delay";
	argv[n++] = "30s";
	argv[n] = NULL;
	const char *env[] = {tmpenv, NULL};
	c->pid = sb_spawn(argv, c->log, env, sb->dir);
	free(storage);
	free(tmp);
	free(tmpenv);
	if (c->pid < 0)
		return -1;
	sb_state_write(sb, i);
	int64_t until = clock_mono_ms() + 30000;
	char what[128];
	snprintf(what, sizeof what, "%s to be ready", sb_comp[i]);
	while (clock_mono_ms() < until) {
		if (sb_check_alive(sb, i, pg) < 0)
			return -1;
		if (sb_http_ok(c->health, "/readyz"))
			return 0;
		sb_progress_show(pg, what);
		cli_sleep_ms(100);
	}
	sb_progress_end(pg);
	cli_failure("%s is not ready on 127.0.0.1:%d/readyz after 30s", sb_comp[i], c->health);
	sb_print_tail(c->log, 15);
	return -1;
}
