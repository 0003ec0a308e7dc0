/* eddy sandbox: the Git server, git http-backend behind lighttpd. */
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

/* The Git server: git http-backend behind lighttpd (Flux's GitRepository accepts http, https
 * and ssh URLs only, and libgit2 speaks only the smart protocols, so neither `git daemon` nor a
 * static file server would do). */
const char sb_no_git_server_msg[] =
	"the Git server needs lighttpd and git-http-backend (/usr/sbin/lighttpd, "
	GIT_HTTP_BACKEND "); install them with 'apt-get install lighttpd git' or run "
	"scripts/setup.sh (EDDY_LIGHTTPD=PATH picks another lighttpd)";

const char *sb_lighttpd_path(void)
{
	const char *l = getenv("EDDY_LIGHTTPD");
	return l && *l ? l : "/usr/sbin/lighttpd";
}

int sb_start_git(sandbox *sb, const char *git_root, progress *pg)
{
	comp_state *c = &sb->c[C_GIT];
	c->port = sb_free_port(sb);
	snprintf(c->log, sizeof c->log, "%s/logs/git-server.log", sb->dir);
	const char *lighttpd = sb_lighttpd_path();
	if (sb_is_exec(lighttpd) && sb_is_exec(GIT_HTTP_BACKEND)) {
		char *conf = xasprintf("%s/run/lighttpd.conf", sb->dir);
		char *www = xasprintf("%s/run/www", sb->dir);
		sb_mkdirs(www);
		FILE *f = fopen(conf, "w");
		if (!f) {
			cli_failure("cannot write %s: %s", conf, strerror(errno));
			free(conf);
			free(www);
			return -1;
		}
		fprintf(f, "server.document-root = \"%s\"\nserver.bind = \"127.0.0.1\"\n"
			   "server.port = %d\nserver.errorlog = \"%s\"\n"
			   "server.modules = (\"mod_alias\", \"mod_cgi\", \"mod_setenv\")\n"
			   "alias.url = (\"/git\" => \"%s\")\n"
			   "$HTTP[\"url\"] =~ \"^/git\" {\n\tcgi.assign = (\"\" => \"\")\n"
			   "\tsetenv.add-environment = (\"GIT_PROJECT_ROOT\" => \"%s\", "
			   "\"GIT_HTTP_EXPORT_ALL\" => \"\")\n}\n",
			www, c->port, c->log, GIT_HTTP_BACKEND, git_root);
		fclose(f);
		snprintf(c->exe, sizeof c->exe, "%s", lighttpd);
		const char *argv[] = {lighttpd, "-D", "-f", conf, NULL};
		c->pid = sb_spawn(argv, c->log, NULL, sb->dir);
		free(conf);
		free(www);
	} else {
		cli_failure("%s", sb_no_git_server_msg);
		return -1;
	}
	if (c->pid < 0)
		return -1;
	sb_state_write(sb, C_GIT);
	int64_t until = clock_mono_ms() + 15000;
	while (clock_mono_ms() < until) {
		if (sb_check_alive(sb, C_GIT, pg) < 0)
			return -1;
		if (sb_port_open(c->port))
			return 0;
		sb_progress_show(pg, "the Git server to listen");
		cli_sleep_ms(50);
	}
	sb_progress_end(pg);
	cli_failure("the Git server did not listen on 127.0.0.1:%d within 15s", c->port);
	sb_print_tail(c->log, 15);
	return -1;
}
