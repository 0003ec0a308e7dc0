/* eddy sandbox: the state files under DIR/run. */
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

/* ---------------------------------------------------------------- state files */

static char *state_path(const sandbox *sb, int i)
{
	return xasprintf("%s/run/%s", sb->dir, sb_comp[i]);
}

void sb_state_write(const sandbox *sb, int i)
{
	char *p = state_path(sb, i);
	char *tmp = xasprintf("%s.tmp", p);
	FILE *f = fopen(tmp, "w");
	if (f) {
		const comp_state *c = &sb->c[i];
		fprintf(f, "pid %d\nexe %s\nport %d\nhealth %d\nmetrics %d\nlog %s\n",
			(int)c->pid, c->exe, c->port, c->health, c->metrics, c->log);
		if (fclose(f) == 0)
			rename(tmp, p);
	}
	free(tmp);
	free(p);
}

bool sb_state_read(sandbox *sb, int i)
{
	comp_state *c = &sb->c[i];
	memset(c, 0, sizeof *c);
	char *p = state_path(sb, i);
	FILE *f = fopen(p, "r");
	free(p);
	if (!f)
		return false;
	char line[PATH_MAX + 32];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		char *v = strchr(line, ' ');
		if (!v)
			continue;
		*v++ = 0;
		long n = strtol(v, NULL, 10);
		if (!strcmp(line, "pid") && n > 0 && n < INT_MAX)
			c->pid = (pid_t)n;
		else if (!strcmp(line, "exe"))
			snprintf(c->exe, sizeof c->exe, "%s", v);
		else if (!strcmp(line, "log"))
			snprintf(c->log, sizeof c->log, "%s", v);
		else if (!strcmp(line, "port") && n > 0 && n < 65536)
			c->port = (int)n;
		else if (!strcmp(line, "health") && n > 0 && n < 65536)
			c->health = (int)n;
		else if (!strcmp(line, "metrics") && n > 0 && n < 65536)
			c->metrics = (int)n;
	}
	fclose(f);
	return c->pid > 0;
}

void sb_state_remove(const sandbox *sb, int i)
{
	char *p = state_path(sb, i);
	unlink(p);
	free(p);
}

/* A "key value" file in DIR/sb_run (repository facts for status and for the next `up`). */
void sb_info_write(const sandbox *sb, const char *key, const char *val)
{
	char *p = xasprintf("%s/run/%s", sb->dir, key);
	FILE *f = fopen(p, "w");
	if (f) {
		fprintf(f, "%s\n", val);
		fclose(f);
	}
	free(p);
}

char *sb_info_read(const sandbox *sb, const char *key)
{
	char *p = xasprintf("%s/run/%s", sb->dir, key);
	FILE *f = fopen(p, "r");
	free(p);
	if (!f)
		return NULL;
	char line[PATH_MAX];
	char *r = NULL;
	if (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		r = xstrdup(line);
	}
	fclose(f);
	return r;
}
