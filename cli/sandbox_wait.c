/* eddy sandbox: waiting for the objects to be Ready, and what was applied. */
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

/* ---------------------------------------------------------------- up: waiting */

/* Whether a Flux object is Ready for its current generation. */
static bool obj_ready(const cJSON *o)
{
	const char *m;
	const char *s = cli_condition(o, "Ready", &m);
	const cJSON *og = yml_get_path(o, "status.observedGeneration");
	return s && !strcmp(s, "True") && cJSON_IsNumber(og) &&
	       (int64_t)og->valuedouble == kube_obj_generation(o);
}

/* One pass: fills *pending (first object not ready) and returns whether all are ready. */
static bool all_ready(kube_client *k, const char *ns, buf *pending,
	buf *msg, int *nks)
{
	err e = {0};
	buf_reset(pending);
	buf_reset(msg);
	cJSON *gr = kube_get(k, "source.toolkit.fluxcd.io/v1", "GitRepository", ns, "flux-system",
		NULL, &e);
	const char *m = "";
	if (!gr || !obj_ready(gr)) {
		buf_addf(pending, "GitRepository/%s/flux-system", ns);
		if (gr)
			cli_ready(gr, &m);
		buf_adds(msg, m ? m : "");
		cJSON_Delete(gr);
		return false;
	}
	char *rev = xstrdup(cli_revision(gr));
	cJSON_Delete(gr);
	kube_opts lo = {0};
	cJSON *list = kube_list(k, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", &lo, &e);
	bool ok = list != NULL;
	const cJSON *items = yml_get_path(list, "items");
	*nks = cJSON_GetArraySize(items);
	const cJSON *o;
	cJSON_ArrayForEach(o, items) {
		if (!ok)
			break;
		const char *src = yml_get_string(o, "spec.sourceRef.name");
		bool ours = src && !strcmp(src, "flux-system");
		bool r = obj_ready(o) && (!ours || !strcmp(cli_revision(o), rev));
		if (!r) {
			buf_addf(pending, "Kustomization/%s/%s", kube_obj_namespace(o),
				kube_obj_name(o));
			cli_ready(o, &m);
			buf_adds(msg, m ? m : "");
			ok = false;
		}
	}
	if (!list)
		buf_adds(pending, "the Kustomizations to be listed");
	cJSON_Delete(list);
	free(rev);
	return ok && *nks > 0;
}

int sb_wait_ready(sandbox *sb, kube_client *k, progress *pg)
{
	buf pending, msg;
	buf_init(&pending, 4096);
	buf_init(&msg, 8192);
	int64_t until = clock_mono_ms() + sb->timeout_ms;
	int nks = 0, rc = -1;
	char *last_msg = NULL;
	while (clock_mono_ms() < until) {
		if (sb_check_alive(sb, C_SOURCE, pg) < 0 || sb_check_alive(sb, C_KUSTOMIZE, pg) < 0 ||
		    sb_check_alive(sb, C_API, pg) < 0 || sb_check_alive(sb, C_GIT, pg) < 0)
			goto out;
		if (all_ready(k, "flux-system", &pending, &msg, &nks)) {
			rc = 0;
			goto out;
		}
		char what[512];
		snprintf(what, sizeof what, "%s", buf_str(&pending));
		/* on a pipe, show a changed failure message once */
		if (msg.len && (!last_msg || strcmp(last_msg, buf_str(&msg)))) {
			const char *m = buf_str(&msg);
			bool waiting = !strncmp(m, "waiting", 7) || strstr(m, "progress") ||
				       strstr(m, "Fetching") || strstr(m, "reconcil");
			if (!waiting && !pg->tty)
				fprintf(stderr, "  %s: %s\n", what, m);
			free(last_msg);
			last_msg = xstrdup(m);
		}
		sb_progress_show(pg, what);
		cli_sleep_ms(250);
	}
	sb_progress_end(pg);
	cli_failure("not Ready after %llds: %s%s%s", (long long)(sb->timeout_ms / 1000),
		buf_str(&pending), msg.len ? ": " : "", buf_str(&msg));
	fprintf(stderr, "  the sandbox keeps running; look with:\n"
			"    eddy --kubeconfig %s get all -A\n"
			"    eddy --kubeconfig %s events -A\n"
			"    tail %s/logs/*.log\n"
			"  stop it with: eddy sandbox down --dir %s\n",
		sb->kubeconfig, sb->kubeconfig, sb->dir, sb->dir);
out:
	free(last_msg);
	buf_release(&pending);
	buf_release(&msg);
	return rc;
}

/* Prints every Kustomization with what its inventory holds. */
void sb_print_applied(kube_client *k)
{
	err e = {0};
	kube_opts lo = {0};
	cJSON *list = kube_list(k, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", &lo, &e);
	const cJSON *o;
	cJSON_ArrayForEach(o, yml_get_path(list, "items")) {
		printf("Kustomization/%s/%s  %s\n", kube_obj_namespace(o), kube_obj_name(o),
			cli_revision(o));
		const cJSON *ent;
		cJSON_ArrayForEach(ent, yml_get_path(o, "status.inventory.entries")) {
			const char *id = yml_get_string(ent, "id");
			if (!id)
				continue;
			/* <ns>_<name>_<group>_<kind> */
			char *s = xstrdup(id);
			char *kind = strrchr(s, '_');
			if (kind) {
				*kind++ = 0;
				char *grp = strrchr(s, '_');
				if (grp)
					*grp = 0;
				char *nm = strchr(s, '_');
				if (nm) {
					*nm++ = 0;
					if (*s)
						printf("  %s/%s/%s\n", kind, s, nm);
					else
						printf("  %s/%s\n", kind, nm);
				}
			}
			free(s);
		}
	}
	cJSON_Delete(list);
}
