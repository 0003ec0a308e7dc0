/* eddy sandbox: up. */
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

/* ---------------------------------------------------------------- up */

int sb_do_up(sandbox *sb)
{
	int64_t t0 = clock_mono_ms();
	progress pg;
	sb_progress_init(&pg);
	/* what we need */
	const char *need[] = {"eddy-apiserver", "source-controller", "kustomize-controller"};
	for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
		char *p = xasprintf("%s/%s", sb->bindir, need[i]);
		bool ok = sb_is_exec(p);
		free(p);
		if (!ok) {
			cli_failure("%s not found next to eddy in %s; build everything with "
				    "'cmake --build build' (eddy runs its sibling binaries)",
				    need[i], sb->bindir);
			return 1;
		}
	}
	char *crds = NULL; /* NULL: the CRDs embedded in eddy */
	if (sb_env_dir("EDDY_CRD_DIR", &crds) < 0) {
		cli_failure("EDDY_CRD_DIR=%s is not a directory; set it to a directory of CRD "
			    "YAML files, or unset it to use the CRDs built into eddy",
			getenv("EDDY_CRD_DIR"));
		return 1;
	}
	const char *git[] = {"git", "--version", NULL};
	if (sb_run(git, NULL, NULL) != 0) {
		cli_failure("git is not installed; install it (apt-get install git)");
		free(crds);
		return 1;
	}
	if (!sb_is_exec(sb_lighttpd_path()) || !sb_is_exec(GIT_HTTP_BACKEND)) {
		cli_failure("%s", sb_no_git_server_msg);
		free(crds);
		return 1;
	}
	char *dirs[] = {xasprintf("%s/run", sb->dir), xasprintf("%s/logs", sb->dir)};
	int mk = sb_mkdirs(dirs[0]) | sb_mkdirs(dirs[1]);
	free(dirs[0]);
	free(dirs[1]);
	if (mk < 0) {
		cli_failure("cannot create %s: %s", sb->dir, strerror(errno));
		free(crds);
		return 1;
	}
	/* a previous sandbox in DIR: stop it, keep its data */
	bool running = false;
	for (int i = 0; i < C_N; i++)
		if (sb_state_read(sb, i) && sb_is_ours(&sb->c[i]))
			running = true;
	if (running) {
		cli_action("a sandbox is running in %s; restarting it", sb->dir);
		sb_do_down(sb, true);
	}
	memset(sb->c, 0, sizeof sb->c);

	char *name = NULL, *branch = NULL, *workdir = NULL, *url = NULL;
	kube_client *k = NULL;
	int rc = 1;
	if (sb_prepare_repo(sb, &name, &branch, &workdir) < 0)
		goto fail;
	cli_action("starting eddy-apiserver");
	if (sb_start_apiserver(sb, &pg) < 0)
		goto fail;
	sb_progress_end(&pg);
	cli_success("eddy-apiserver serving on https://127.0.0.1:%d", sb->c[C_API].port);
	char *gitroot = xasprintf("%s/git", sb->dir);
	int grc = sb_start_git(sb, gitroot, &pg);
	free(gitroot);
	if (grc < 0)
		goto fail;
	sb_progress_end(&pg);
	url = xasprintf("http://127.0.0.1:%d/git/%s.git", sb->c[C_GIT].port, name);
	cli_success("Git server (git http-backend behind lighttpd) serving %s", url);
	k = sb_client_for(sb->kubeconfig);
	if (!k) {
		cli_failure("cannot use %s", sb->kubeconfig);
		goto fail;
	}
	if (sb_install_crds(k, crds, &pg) < 0)
		goto fail;
	if (sb_apply_yaml(k, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n") < 0)
		goto fail;
	cli_action("starting source-controller and kustomize-controller");
	if (sb_start_controller(sb, C_SOURCE, &pg) < 0 || sb_start_controller(sb, C_KUSTOMIZE, &pg) < 0)
		goto fail;
	sb_progress_end(&pg);
	cli_success("controllers ready (source-controller artifacts on 127.0.0.1:%d)",
		sb->c[C_SOURCE].port);

	/* the sync objects */
	const char *path = sb->path_arg;
	char *def_path = NULL;
	if (!path) {
		char *cs = workdir ? xasprintf("%s/clusters/sandbox", workdir) : NULL;
		path = cs && sb_is_dir(cs) ? "./clusters/sandbox" : "./";
		free(cs);
	}
	sb_info_write(sb, "sync-path", path);
	def_path = xasprintf(
		"apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n"
		"  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n"
		"  url: %s\n  ref:\n    branch: %s\n---\n"
		"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
		"  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n"
		"  retryInterval: 30s\n  path: \"%s\"\n  prune: true\n  sourceRef:\n"
		"    kind: GitRepository\n    name: flux-system\n", url, branch, path);
	int arc = sb_apply_yaml(k, def_path);
	free(def_path);
	if (arc < 0)
		goto fail;
	cli_success("applied GitRepository/flux-system (%s, branch %s) and "
		    "Kustomization/flux-system (path %s)", url, branch, path);
	cli_action("waiting for the GitRepository and the Kustomizations to be Ready");
	if (sb_wait_ready(sb, k, &pg) < 0) {
		rc = 1;
		goto done;
	}
	sb_progress_end(&pg);
	cli_success("sandbox ready in %llds", (long long)((clock_mono_ms() - t0) / 1000));
	printf("\nApplied:\n");
	sb_print_applied(k);
	printf("\nKubeconfig: %s\n", sb->kubeconfig);
	printf("\nLook around:\n"
	       "  export KUBECONFIG=%s\n"
	       "  kubectl get deploy -A\n"
	       "  eddy get kustomizations\n"
	       "  eddy tree kustomization flux-system\n", sb->kubeconfig);
	if (workdir && !sb->repo_arg)
		printf("\nChange the application:\n"
		       "  cd %s   # edit apps/staging, then: git commit -am 'my change' && "
		       "git push\n"
		       "  eddy reconcile kustomization staging --with-source\n"
		       "  eddy diff kustomization staging --path %s/apps/staging\n",
			workdir, workdir);
	else
		printf("\nChange the application:\n"
		       "  commit in %s, then: git -C %s push %s/git/%s.git HEAD:%s\n"
		       "  eddy reconcile kustomization flux-system --with-source\n",
			workdir ? workdir : "your repository", workdir ? workdir : ".", sb->dir,
			name, branch);
	printf("\nStatus and stop:\n  eddy sandbox status --dir %s\n  eddy sandbox down --dir %s\n",
		sb->dir, sb->dir);
	rc = 0;
	goto done;
fail:
	sb_progress_end(&pg);
	fprintf(stderr, "  stopping what was started; logs stay in %s/logs\n", sb->dir);
	sb_do_down(sb, true);
done:
	kube_client_free(k);
	free(url);
	free(name);
	free(branch);
	free(workdir);
	free(crds);
	return rc;
}
