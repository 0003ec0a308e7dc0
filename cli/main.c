/* eddy: the command-line interface. For now only `version` and `--help`; the commands are
 * added by the CLI work (issue for cli/). */
#include "eddy/app.h"

#include <stdio.h>
#include <string.h>

int cmd_helm(int argc, char **argv); /* cli/cmd_helm.c */

static void usage(FILE *out)
{
	fprintf(out, "Command line utility for Eddy, a Flux-compatible GitOps toolkit.\n\n"
		     "Usage:\n  eddy [command]\n\nAvailable Commands:\n"
		     "  version     Print the client version information\n\n"
		     "Flags:\n  -h, --help      help for eddy\n"
		     "      --version   version for eddy\n");
}

int cmd_kustomize(int argc, char **argv);

int main(int argc, char **argv)
{
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
	if (strcmp(cmd, "helm") == 0)
		return cmd_helm(argc - 1, argv + 1);
	if (cmd[0] == '-')
		fprintf(stderr, "Error: unknown flag: %s\n", cmd);
	else
		fprintf(stderr, "Error: unknown command \"%s\" for \"eddy\"\n", cmd);
	fprintf(stderr, "Run 'eddy --help' for usage.\n");
	return 2;
}
