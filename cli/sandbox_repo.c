/* eddy sandbox: the repository up serves. */
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

/* ---------------------------------------------------------------- up: the repository */

static const char *const GIT_ID[] = {"-c", "user.name=Eddy Sandbox", "-c",
	"user.email=sandbox@eddy.invalid", "-c", "init.defaultBranch=main", "-c",
	"commit.gpgsign=false"};

/* Prepares DIR/git/NAME.git (kept when it exists). Sets *name and *branch (allocated). */
int sb_prepare_repo(sandbox *sb, char **name, char **branch, char **workdir)
{
	char *gitroot = xasprintf("%s/git", sb->dir);
	sb_mkdirs(gitroot);
	*name = NULL;
	*branch = NULL;
	*workdir = NULL;
	char *prev = sb_info_read(sb, "repo-name");
	char *prevb = sb_info_read(sb, "repo-branch");
	char *prevw = sb_info_read(sb, "repo-workdir");
	char *prevs = sb_info_read(sb, "repo-source");
	char *source = sb->repo_arg ? sb_abs_path(sb->repo_arg) : xstrdup("example");
	bool same = prevs && !strcmp(prevs, source);
	free(prevs);
	if (prev && prevb && same) {
		char *bare = xasprintf("%s/%s.git", gitroot, prev);
		bool ok = sb_is_dir(bare);
		free(bare);
		if (ok) {
			*name = prev;
			*branch = prevb;
			*workdir = prevw;
			free(gitroot);
			free(source);
			cli_action("reusing the repository %s/git/%s.git (remove %s to start over)",
				sb->dir, *name, sb->dir);
			return 0;
		}
	}
	free(prev);
	free(prevb);
	free(prevw);
	int rc = -1;
	char *src = NULL, *bare = NULL;
	if (sb->repo_arg) {
		src = sb_abs_path(sb->repo_arg);
		buf out;
		buf_init(&out, 1u << 16);
		const char *rp[] = {"git", "-C", src, "rev-parse", "--show-toplevel", NULL};
		if (sb_run(rp, NULL, &out) != 0) {
			cli_failure("%s is not a Git repository; pass --repo PATH of a local Git "
				    "work tree (git init; git add; git commit)", src);
			buf_release(&out);
			goto out;
		}
		buf_reset(&out);
		const char *br[] = {"git", "-C", src, "symbolic-ref", "--short", "HEAD", NULL};
		if (sb_run(br, NULL, &out) != 0 || !out.len) {
			cli_failure("%s has no current branch (detached HEAD?); check out a branch",
				src);
			buf_release(&out);
			goto out;
		}
		char *b = buf_detach(&out, NULL);
		b[strcspn(b, "\n")] = 0;
		*branch = b;
		const char *base = strrchr(src, '/');
		*name = xstrdup(base && base[1] ? base + 1 : "repo");
		bare = xasprintf("%s/%s.git", gitroot, *name);
		const char *rm[] = {"rm", "-rf", bare, NULL};
		sb_run(rm, NULL, NULL);
		const char *cl[] = {"git", "clone", "-q", "--bare", src, bare, NULL};
		if (sb_run_or_say(cl, NULL, "cloning the repository") < 0)
			goto out;
		cli_success("cloned %s (branch %s) into %s", src, *branch, bare);
	} else {
		char *ex = NULL;
		if (sb_env_dir("EDDY_EXAMPLE_DIR", &ex) < 0) {
			cli_failure("EDDY_EXAMPLE_DIR=%s is not a directory; unset it to use the "
				    "example built into eddy", getenv("EDDY_EXAMPLE_DIR"));
			goto out;
		}
		*name = xstrdup("demo-app");
		*branch = xstrdup("main");
		*workdir = xasprintf("%s/repo", sb->dir);
		bare = xasprintf("%s/demo-app.git", gitroot);
		const char *rm[] = {"rm", "-rf", *workdir, bare, NULL};
		sb_run(rm, NULL, NULL);
		sb_mkdirs(*workdir);
		int r = 0;
		if (ex) {
			char *srcdot = xasprintf("%s/.", ex);
			const char *cp[] = {"cp", "-R", srcdot, *workdir, NULL};
			r = sb_run_or_say(cp, NULL, "copying the example");
			free(srcdot);
			free(ex);
		} else {
			static const char pfx[] = "examples/demo-app/";
			for (unsigned i = 0; r == 0 && i < eddy_embedded_count; i++) {
				const eddy_embedded_file *f = &eddy_embedded[i];
				if (strncmp(f->path, pfx, sizeof pfx - 1))
					continue;
				char *p = xasprintf("%s/%s", *workdir, f->path + sizeof pfx - 1);
				if (sb_write_file(p, f->data, f->len) < 0) {
					cli_failure("cannot write %s: %s", p, strerror(errno));
					r = -1;
				}
				free(p);
			}
		}
		if (r < 0)
			goto out;
		const char *g1[] = {"git", GIT_ID[0], GIT_ID[1], GIT_ID[2], GIT_ID[3], GIT_ID[4],
			GIT_ID[5], "init", "-q", "-b", "main", NULL};
		const char *g2[] = {"git", "add", "-A", NULL};
		const char *g3[] = {"git", GIT_ID[0], GIT_ID[1], GIT_ID[2], GIT_ID[3], GIT_ID[6],
			GIT_ID[7], "commit", "-q", "-m", "demo-app: the sandbox example", NULL};
		const char *g4[] = {"git", "clone", "-q", "--bare", *workdir, bare, NULL};
		const char *g5[] = {"git", "remote", "add", "origin", bare, NULL};
		const char *g6[] = {"git", "fetch", "-q", "origin", NULL};
		const char *g7[] = {"git", "branch", "-q", "--set-upstream-to=origin/main", "main",
			NULL};
		if (sb_run_or_say(g1, *workdir, "git init") < 0 ||
		    sb_run_or_say(g2, *workdir, "git add") < 0 ||
		    sb_run_or_say(g3, *workdir, "git commit") < 0 ||
		    sb_run_or_say(g4, NULL, "git clone --bare") < 0 ||
		    sb_run_or_say(g5, *workdir, "git remote add") < 0 ||
		    sb_run_or_say(g6, *workdir, "git fetch") < 0 ||
		    sb_run_or_say(g7, *workdir, "git branch --set-upstream-to") < 0)
			goto out;
		cli_success("created the example repository %s (edit it in %s)", bare, *workdir);
	}
	const char *c1[] = {"git", "-C", bare, "config", "http.receivepack", "true", NULL};
	const char *c2[] = {"git", "-C", bare, "config", "uploadpack.allowAnySHA1InWant", "true",
		NULL};
	if (sb_run_or_say(c1, NULL, "git config") < 0 || sb_run_or_say(c2, NULL, "git config") < 0)
		goto out;
	sb_info_write(sb, "repo-source", source);
	sb_info_write(sb, "repo-name", *name);
	sb_info_write(sb, "repo-branch", *branch);
	sb_info_write(sb, "repo-workdir", *workdir ? *workdir : sb->repo_arg ? src : "");
	if (!*workdir && src)
		*workdir = xstrdup(src);
	rc = 0;
out:
	free(source);
	free(src);
	free(bare);
	free(gitroot);
	if (rc < 0) {
		free(*name);
		free(*branch);
		free(*workdir);
		*name = *branch = *workdir = NULL;
	}
	return rc;
}
