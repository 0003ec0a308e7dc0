/* Test driver until cli/main.c dispatches `eddy kustomize`: kz-driver kustomize build DIR. */
#include "eddy/mem.h"

int cmd_kustomize(int argc, char **argv);

int main(int argc, char **argv)
{
	mem_install_hooks();
	if (argc < 2)
		return 2;
	return cmd_kustomize(argc - 1, argv + 1);
}
