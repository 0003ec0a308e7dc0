/* eddy sandbox up|down|status: eddy-apiserver, a Git server and the controllers as local
 * background processes for one Git repository (docs/sandbox.md).
 *
 * State lives in DIR (default ./.eddy-sandbox):
 *   api/               eddy-apiserver's data directory (SQLite) and api/kubeconfig
 *   git/NAME.git       the bare repository the Git server serves
 *   repo/              a clone of it to edit (the example only; --repo keeps your own)
 *   storage/ tmp/      source-controller's artifacts, kustomize-controller's scratch space
 *   run/COMPONENT      "key value" lines: pid, exe, port, health, metrics, log
 *   logs/COMPONENT.log what each process writes
 * Every process runs in its own session (setsid), with stdin from /dev/null and every other
 * descriptor closed, so nothing it holds ties it to the terminal or to the caller's pipes. */
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

/* The components in start order (sandbox.h). */
const char *const sb_comp[C_N] = {"eddy-apiserver", "git-server", "source-controller",
	"kustomize-controller"};

/* ---------------------------------------------------------------- entry */

static void usage(FILE *out)
{
	fprintf(out,
		"Run eddy-apiserver, a Git server and the controllers locally for a Git "
		"repository.\n\n"
		"Usage:\n"
		"  eddy sandbox up [--repo PATH] [--path DIR] [--dir DIR] [--timeout 3m]\n"
		"  eddy sandbox status [--dir DIR]\n"
		"  eddy sandbox down [--dir DIR]\n\n"
		"Flags:\n"
		"      --dir DIR       where the sandbox keeps its state (default ./%s)\n"
		"      --repo PATH     a local Git work tree to serve (default: the example\n"
		"                      application in examples/demo-app)\n"
		"      --path DIR      the path the flux-system Kustomization applies (default\n"
		"                      ./clusters/sandbox when the repository has it, else ./)\n"
		"      --timeout DUR   how long 'up' waits for Ready (default 3m)\n\n"
		"Environment: EDDY_CRD_DIR (the CRDs), EDDY_EXAMPLE_DIR (the example), "
		"EDDY_LIGHTTPD.\n", DEFAULT_DIR);
}

int cmd_sandbox(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	sandbox sb;
	memset(&sb, 0, sizeof sb);
	sb.timeout_ms = 3 * 60 * 1000;
	const char *dir = DEFAULT_DIR;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **target = NULL;
		const char *eq = strchr(a, '=');
		size_t kl = eq ? (size_t)(eq - a) : strlen(a);
		if (!strncmp(a, "--dir", kl) && kl == 5)
			target = &dir;
		else if (!strncmp(a, "--repo", kl) && kl == 6)
			target = &sb.repo_arg;
		else if (!strncmp(a, "--path", kl) && kl == 6)
			target = &sb.path_arg;
		else if (!strncmp(a, "--timeout", kl) && kl == 9) {
			const char *tv = eq ? eq + 1 : v;
			sb.timeout_ms = tv ? cli_duration_ms(tv) : -1;
			if (sb.timeout_ms <= 0) {
				cli_failure("invalid --timeout; use a duration like 90s or 3m");
				return 2;
			}
			if (!eq)
				i++;
			continue;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else {
			cli_failure("unknown flag or argument \"%s\"; run 'eddy sandbox --help'",
				a);
			return 2;
		}
		if (eq) {
			*target = eq + 1;
		} else {
			if (!v) {
				cli_failure("flag needs an argument: %s", a);
				return 2;
			}
			*target = v;
			i++;
		}
	}
	if ((sb.repo_arg || sb.path_arg) && strcmp(sub, "up") != 0) {
		cli_failure("--repo and --path are flags of 'eddy sandbox up'");
		return 2;
	}
	sb.dir = sb_abs_path(dir);
	size_t dl = strlen(sb.dir);
	while (dl > 1 && sb.dir[dl - 1] == '/')
		sb.dir[--dl] = 0;
	sb.bindir = sb_self_dir();
	signal(SIGPIPE, SIG_IGN);
	int rc;
	if (!strcmp(sub, "up"))
		rc = sb_do_up(&sb);
	else if (!strcmp(sub, "down"))
		rc = sb_do_down(&sb, false);
	else if (!strcmp(sub, "status"))
		rc = sb_do_status(&sb);
	else {
		cli_failure("unknown sandbox command \"%s\"; use up, status or down", sub);
		rc = 2;
	}
	free(sb.dir);
	free(sb.bindir);
	free(sb.kubeconfig);
	return rc;
}
