/* eddy kustomize build DIR: print the kustomization built as `kubectl kustomize DIR` does. */
#include <stdio.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/err.h"
#include "eddy/kz.h"
#include "eddy/mem.h"

#include "cli.h"

static int usage(FILE *f)
{
	fprintf(f, "usage: eddy kustomize build [DIR] [--root ROOT] [--enable-remote]\n"
		   "  Build the kustomization in DIR (default .) like `kubectl kustomize DIR`.\n"
		   "  Files are read only below ROOT (default /). Remote bases (git URLs) are\n"
		   "  refused unless --enable-remote is given.\n");
	return f == stderr ? 2 : 0;
}

int cmd_kustomize(int argc, char **argv)
{
	const char *dir = NULL, *root = "/";
	kz_options opt = {0};
	int i = 1;
	mem_install_hooks();
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return usage(argc < 2 ? stderr : stdout);
	if (strcmp(argv[1], "build"))
		return usage(stderr);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc)
			root = argv[++i];
		else if (!strncmp(argv[i], "--root=", 7))
			root = argv[i] + 7;
		else if (!strcmp(argv[i], "--enable-remote"))
			opt.allow_remote = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout);
		else if (argv[i][0] == '-' && argv[i][1])
			return usage(stderr);
		else if (!dir)
			dir = argv[i];
		else
			return usage(stderr);
	}
	if (!dir)
		dir = ".";
	buf out;
	err e = {0};
	buf_init(&out, (size_t)1 << 31);
	if (kz_build_yaml(&opt, root, dir, &out, &e) < 0) {
		/* as kubectl: a newline unless the message ends with one */
		size_t ml = strlen(e.msg);
		fprintf(stderr, "Error: %s%s", e.msg, ml && e.msg[ml - 1] == '\n' ? "" : "\n");
		buf_release(&out);
		return 1;
	}
	fwrite(buf_str(&out), 1, out.len, stdout);
	buf_release(&out);
	return fflush(stdout) == 0 ? 0 : 1;
}
