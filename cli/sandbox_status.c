/* eddy sandbox: status. */
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

/* ---------------------------------------------------------------- status */

int sb_do_status(sandbox *sb)
{
	cli_table t;
	cli_table_init(&t, 6);
	const char *hdr[] = {"COMPONENT", "PID", "PORT", "HEALTH", "STATUS", "LOG"};
	cli_table_row(&t, hdr);
	int up = 0, known = 0;
	char *kcfg = xasprintf("%s/api/kubeconfig", sb->dir);
	for (int i = 0; i < C_N; i++) {
		if (!sb_state_read(sb, i))
			continue;
		known++;
		comp_state *c = &sb->c[i];
		bool run_ok = sb_is_ours(c);
		const char *health = "-";
		if (run_ok) {
			if (i == C_API) {
				kube_client *k = sb_client_for(kcfg);
				err e = {0};
				cJSON *o = k ? kube_get(k, "v1", "Namespace", NULL, "flux-system",
					NULL, &e) : NULL;
				health = o || (k && kube_errkind_of(&e) != KUBE_ETRANSPORT) ?
					"serving" : "not answering";
				cJSON_Delete(o);
				kube_client_free(k);
			} else if (i == C_GIT) {
				health = sb_port_open(c->port) ? "listening" : "not listening";
			} else {
				health = sb_http_ok(c->health, "/readyz") ? "ready" : "not ready";
			}
		}
		bool healthy = run_ok && (!strcmp(health, "serving") || !strcmp(health, "ready") ||
					  !strcmp(health, "listening"));
		up += healthy;
		char pid[16], ports[64], hp[32];
		snprintf(pid, sizeof pid, "%d", (int)c->pid);
		if (c->port)
			snprintf(ports, sizeof ports, "%d", c->port);
		else
			snprintf(ports, sizeof ports, "-");
		if (c->health)
			snprintf(hp, sizeof hp, "%s (:%d)", health, c->health);
		else
			snprintf(hp, sizeof hp, "%s", health);
		const char *row[] = {sb_comp[i], pid, ports, hp, run_ok ? "running" : "stopped",
			c->log};
		cli_table_row(&t, row);
	}
	if (!known) {
		cli_table_release(&t);
		free(kcfg);
		cli_failure("no sandbox in %s; start one with 'eddy sandbox up --dir %s'", sb->dir,
			sb->dir);
		return 1;
	}
	cli_table_print(&t);
	cli_table_release(&t);
	char *name = sb_info_read(sb, "repo-name");
	char *branch = sb_info_read(sb, "repo-branch");
	char *wd = sb_info_read(sb, "repo-workdir");
	printf("\nrepository: %s/git/%s.git (branch %s)%s%s\nkubeconfig: %s\n", sb->dir,
		name ? name : "?", branch ? branch : "?", wd && *wd ? ", work tree " : "",
		wd && *wd ? wd : "", kcfg);
	free(name);
	free(branch);
	free(wd);
	if (up == C_N) {
		kube_client *k = sb_client_for(kcfg);
		if (k) {
			printf("\n");
			err e = {0};
			kube_opts lo = {0};
			cJSON *list = kube_list(k, "kustomize.toolkit.fluxcd.io/v1",
				"Kustomization", &lo, &e);
			const cJSON *o;
			cJSON_ArrayForEach(o, yml_get_path(list, "items")) {
				const char *m;
				const char *r = cli_ready(o, &m);
				printf("Kustomization/%s/%s  Ready=%s  %s\n", kube_obj_namespace(o),
					kube_obj_name(o), r, m ? m : "");
			}
			cJSON_Delete(list);
			kube_client_free(k);
		}
	}
	free(kcfg);
	if (up != C_N) {
		cli_failure("%d of %d components healthy; restart with 'eddy sandbox up --dir %s' "
			    "(logs in %s/logs)", up, C_N, sb->dir, sb->dir);
		return 1;
	}
	return 0;
}
