/* eddy: the command-line interface. For now only `version` and `--help`; the commands are
 * added by the CLI work (issue for cli/). */
#include "eddy/app.h"
#include "eddy/mem.h"
#include "cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "Command line utility for Eddy, a Flux-compatible GitOps toolkit.\n\n"
		     "Usage:\n  eddy [command]\n\nAvailable Commands:\n"
		     "  build       Build a Kustomization locally (build ks NAME --path DIR)\n"
		     "  check       Check the API server and the Flux CRDs\n"
		     "  diff        Diff a local build with the cluster (diff ks NAME --path DIR)\n"
		     "  events      Display Kubernetes events of Flux objects\n"
		     "  export      Export Flux objects as YAML (export KIND NAME | --all)\n"
		     "  get         Get the status of Flux objects (get all, get ks, ...)\n"
		     "  helm        Render Helm charts offline (helm template)\n"
		     "  kustomize   Build a kustomization offline (kustomize build DIR)\n"
		     "  reconcile   Request a reconcile and wait for it\n"
		     "  resume      Resume a suspended object and wait for its reconcile\n"
		     "  sandbox     Run eddy-apiserver, a Git server and the controllers locally\n"
		     "  suspend     Suspend the reconciliation of an object\n"
		     "  trace       Show which Flux object manages an object\n"
		     "  tree        Show what a Kustomization applied (tree kustomization NAME)\n"
		     "  version     Print the client version information\n\n"
		     "Flags:\n  -h, --help      help for eddy\n"
		     "      --version   version for eddy\n"
		     "      --kubeconfig PATH, --context NAME, -n/--namespace NS (default "
		     "flux-system),\n      -A/--all-namespaces, -o/--output json|yaml\n");
}

/* Global flags may come before the command ("eddy -n apps get ks"): move the command to
 * argv[1], keeping the flags after it. Returns false when there is no command. */
static bool hoist_command(int argc, char **argv)
{
	static const char *const valued[] = {"--kubeconfig", "--context", "-n", "--namespace", "-o",
		"--output", "--timeout", "--for", "--api-version",
		"--status-selector", "--path", "--kustomization-file"};
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "--version") == 0)
			return true;
		bool takes = false;
		for (size_t j = 0; j < sizeof(valued) / sizeof(valued[0]); j++)
			if (strcmp(argv[i], valued[j]) == 0)
				takes = true;
		i += takes ? 2 : 1;
	}
	if (i >= argc)
		return i == 1;
	char *cmd = argv[i];
	memmove(argv + 2, argv + 1, (size_t)(i - 1) * sizeof(char *));
	argv[1] = cmd;
	return true;
}

int main(int argc, char **argv)
{
	if (argc > 1 && argv[1][0] == '-' && !hoist_command(argc, argv)) {
		fprintf(stderr, "Error: no command given\nRun 'eddy --help' for usage.\n");
		return 2;
	}
	const char *cmd = argc > 1 ? argv[1] : NULL;
	if (!cmd || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "kustomize") == 0)
		return cmd_kustomize(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("eddy: v%s\n", EDDY_VERSION);
		return 0;
	}
	mem_install_hooks();
	if (strcmp(cmd, "get") == 0)
		return cmd_get(argc - 1, argv + 1);
	if (strcmp(cmd, "suspend") == 0)
		return cmd_suspend(argc - 1, argv + 1);
	if (strcmp(cmd, "resume") == 0)
		return cmd_resume(argc - 1, argv + 1);
	if (strcmp(cmd, "reconcile") == 0)
		return cmd_reconcile(argc - 1, argv + 1);
	if (strcmp(cmd, "events") == 0)
		return cmd_events(argc - 1, argv + 1);
	if (strcmp(cmd, "tree") == 0)
		return cmd_tree(argc - 1, argv + 1);
	if (strcmp(cmd, "trace") == 0)
		return cmd_trace(argc - 1, argv + 1);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "helm") == 0)
		return cmd_helm(argc - 1, argv + 1);
	if (strcmp(cmd, "sandbox") == 0)
		return cmd_sandbox(argc - 1, argv + 1);
	if (strcmp(cmd, "build") == 0)
		return cmd_build(argc - 1, argv + 1);
	if (strcmp(cmd, "diff") == 0)
		return cmd_diff(argc - 1, argv + 1);
	if (cmd[0] == '-')
		fprintf(stderr, "Error: unknown flag: %s\n", cmd);
	else
		fprintf(stderr, "Error: unknown command \"%s\" for \"eddy\"\n", cmd);
	fprintf(stderr, "Run 'eddy --help' for usage.\n");
	return 2;
}
