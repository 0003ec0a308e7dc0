/* eddy sandbox: small helpers (clock, files, ports, logs) and the progress line. */
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

/* ---------------------------------------------------------------- small helpers */

bool sb_is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

bool sb_is_exec(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

int sb_mkdirs(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
	free(p);
	return rc;
}

char *sb_abs_path(const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		return xstrdup(p);
	if (!strcmp(p, "."))
		return xstrdup(cwd);
	return xasprintf("%s/%s", cwd, strncmp(p, "./", 2) == 0 ? p + 2 : p);
}

/* The directory of the running eddy binary. */
char *sb_self_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return xstrdup(".");
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	return xstrdup(exe);
}

/* Directory overrides of the embedded files (cli/embedded.h): *out is NULL when env is unset
 * (use the embedded copy); -1 when it is set but not a directory. */
int sb_env_dir(const char *env, char **out)
{
	const char *v = getenv(env);
	*out = NULL;
	if (!v || !*v)
		return 0;
	if (!sb_is_dir(v))
		return -1;
	*out = sb_abs_path(v);
	return 0;
}

/* Writes data to path, creating its parent directories. */
int sb_write_file(const char *path, const unsigned char *data, size_t len)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		sb_mkdirs(dir);
	}
	free(dir);
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return fclose(f) == 0 && w == len ? 0 : -1;
}

int sb_free_port(sandbox *sb)
{
	for (int tries = 0; tries < 20; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		struct sockaddr_in a = {.sin_family = AF_INET};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t l = sizeof a;
		int port = -1;
		if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
		    getsockname(fd, (struct sockaddr *)&a, &l) == 0)
			port = ntohs(a.sin_port);
		close(fd);
		if (port <= 0)
			return -1;
		bool dup = false;
		for (int i = 0; i < sb->nused; i++)
			dup |= sb->used_ports[i] == port;
		if (dup)
			continue;
		if (sb->nused < (int)(sizeof sb->used_ports / sizeof *sb->used_ports))
			sb->used_ports[sb->nused++] = port;
		return port;
	}
	return -1;
}

bool sb_port_open(int port)
{
	if (port <= 0)
		return false;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

/* A plain HTTP GET on 127.0.0.1:port; true on a 200 answer. */
bool sb_http_ok(int port, const char *path)
{
	if (port <= 0)
		return false;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct timeval tv = {2, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = false;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
		char req[256];
		int n = snprintf(req, sizeof req,
			"GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
		char resp[64] = {0};
		if (write(fd, req, (size_t)n) == n) {
			ssize_t got = read(fd, resp, sizeof resp - 1);
			ok = got > 12 && strncmp(resp, "HTTP/1.", 7) == 0 &&
			     strncmp(resp + 9, "200", 3) == 0;
		}
	}
	close(fd);
	return ok;
}

/* Whether pid runs (a zombie does not count; our own dead children are reaped). */
bool sb_alive(pid_t pid)
{
	if (pid <= 0)
		return false;
	int st;
	if (waitpid(pid, &st, WNOHANG) == pid)
		return false;
	if (kill(pid, 0) < 0 && errno != EPERM)
		return false;
	char p[64], b[512];
	snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return false;
	size_t n = fread(b, 1, sizeof b - 1, f);
	fclose(f);
	b[n] = 0;
	const char *rp = strrchr(b, ')');
	return !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
}

/* Whether pid still runs the executable we started (pids get reused). */
bool sb_is_ours(const comp_state *c)
{
	if (!sb_alive(c->pid))
		return false;
	char p[64], exe[PATH_MAX];
	snprintf(p, sizeof p, "/proc/%d/exe", (int)c->pid);
	ssize_t n = readlink(p, exe, sizeof exe - 1);
	if (n <= 0)
		return true; /* cannot tell (another user's process): trust the pid file */
	exe[n] = 0;
	size_t l = strlen(c->exe);
	return !strncmp(exe, c->exe, l) && (exe[l] == 0 || exe[l] == ' ');
}

/* Whether the last 16 KiB of a log contain s. */
bool sb_log_mentions(const char *path, const char *s)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	if (fseek(f, 0, SEEK_END) == 0) {
		long size = ftell(f);
		fseek(f, size > 16384 ? size - 16384 : 0, SEEK_SET);
	}
	char *blk = xmalloc(16385);
	size_t n = fread(blk, 1, 16384, f);
	fclose(f);
	blk[n] = 0;
	bool found = strstr(blk, s) != NULL;
	free(blk);
	return found;
}

void sb_print_tail(const char *path, int lines)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "    (no log at %s)\n", path);
		return;
	}
	if (fseek(f, 0, SEEK_END) == 0) {
		long size = ftell(f);
		long from = size > 16384 ? size - 16384 : 0;
		fseek(f, from, SEEK_SET);
	}
	char *blk = xmalloc(16385);
	size_t n = fread(blk, 1, 16384, f);
	fclose(f);
	blk[n] = 0;
	int seen = 0;
	size_t i = n;
	while (i > 0) {
		if (blk[i - 1] == '\n' && i != n && ++seen >= lines)
			break;
		i--;
	}
	fprintf(stderr, "  last lines of %s:\n", path);
	char *save = NULL;
	for (char *l = strtok_r(blk + i, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "    %s\n", l);
	free(blk);
}

/* ---------------------------------------------------------------- progress */

void sb_progress_init(progress *p)
{
	memset(p, 0, sizeof *p);
	p->tty = isatty(2) == 1;
	p->start = clock_mono_ms();
}

/* Shows what is being waited on: one updating line on a terminal, else a line whenever the
 * subject changes (and every 15 s). */
void sb_progress_show(progress *p, const char *what)
{
	int64_t el = (clock_mono_ms() - p->start) / 1000;
	if (p->tty) {
		bool c = cli_color(2);
		fprintf(stderr, "\r\033[K%s◎%s waiting for %s (%llds)", c ? "\033[33m" : "",
			c ? "\033[0m" : "", what, (long long)el);
		fflush(stderr);
		p->line_open = true;
	} else if (strcmp(p->last, what) != 0 || clock_mono_ms() - p->last_print > 15000) {
		fprintf(stderr, "◎ waiting for %s (%llds)\n", what, (long long)el);
		p->last_print = clock_mono_ms();
	}
	snprintf(p->last, sizeof p->last, "%s", what);
}

void sb_progress_end(progress *p)
{
	if (p->tty && p->line_open)
		fprintf(stderr, "\r\033[K");
	p->line_open = false;
	p->last[0] = 0;
}
