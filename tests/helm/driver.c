/* Test driver: `eddy-helm helm template ...` runs cmd_helm with argv starting at "helm", as the
 * eddy CLI does for `eddy helm template ...`. */
int cmd_helm(int argc, char **argv);

int main(int argc, char **argv)
{
	return cmd_helm(argc - 1, argv + 1);
}
