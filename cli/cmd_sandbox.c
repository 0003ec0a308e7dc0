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

#include "embedded.h"
#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

#define DEFAULT_DIR ".eddy-sandbox"
#define FIELD_MANAGER "eddy"
#define STOP_GRACE_MS 10000

/* The components in start order; `down` stops them in reverse. */
enum { C_API, C_GIT, C_SOURCE, C_KUSTOMIZE, C_N };
static const char *const COMP[C_N] = {"eddy-apiserver", "git-server", "source-controller",
	"kustomize-controller"};

typedef struct comp_state {
	pid_t pid;
	char exe[PATH_MAX];
	int port, health, metrics;
	char log[PATH_MAX];
} comp_state;

typedef struct sandbox {
	char *dir;      /* absolute */
	char *bindir;   /* where eddy and its sibling binaries are */
	char *kubeconfig;
	const char *repo_arg, *path_arg;
	int64_t timeout_ms;
	int used_ports[16];
	int nused;
	comp_state c[C_N];
} sandbox;

/* ---------------------------------------------------------------- small helpers */

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_exec(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

static int mkdirs(const char *path)
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

static char *abs_path(const char *p)
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
static char *self_dir(void)
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
static int env_dir(const char *env, char **out)
{
	const char *v = getenv(env);
	*out = NULL;
	if (!v || !*v)
		return 0;
	if (!is_dir(v))
		return -1;
	*out = abs_path(v);
	return 0;
}

/* Writes data to path, creating its parent directories. */
static int write_file(const char *path, const unsigned char *data, size_t len)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		mkdirs(dir);
	}
	free(dir);
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return fclose(f) == 0 && w == len ? 0 : -1;
}

static int free_port(sandbox *sb)
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

static bool port_open(int port)
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
static bool http_ok(int port, const char *path)
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
static bool alive(pid_t pid)
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
static bool is_ours(const comp_state *c)
{
	if (!alive(c->pid))
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
static bool log_mentions(const char *path, const char *s)
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

static void print_tail(const char *path, int lines)
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

/* ---------------------------------------------------------------- state files */

static char *state_path(const sandbox *sb, int i)
{
	return xasprintf("%s/run/%s", sb->dir, COMP[i]);
}

static void state_write(const sandbox *sb, int i)
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

static bool state_read(sandbox *sb, int i)
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

static void state_remove(const sandbox *sb, int i)
{
	char *p = state_path(sb, i);
	unlink(p);
	free(p);
}

/* A "key value" file in DIR/run (repository facts for status and for the next `up`). */
static void info_write(const sandbox *sb, const char *key, const char *val)
{
	char *p = xasprintf("%s/run/%s", sb->dir, key);
	FILE *f = fopen(p, "w");
	if (f) {
		fprintf(f, "%s\n", val);
		fclose(f);
	}
	free(p);
}

static char *info_read(const sandbox *sb, const char *key)
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

/* ---------------------------------------------------------------- processes */

/* Closes every descriptor >= lowfd except keep (-1: none). Only system calls: it runs between
 * fork and exec, where allocating is not safe. */
static void close_from(int lowfd, int keep)
{
	unsigned lo = (unsigned)lowfd;
	if (keep >= lowfd) {
		if (keep > lowfd && syscall(SYS_close_range, lo, (unsigned)keep - 1, 0) < 0)
			for (int fd = lowfd; fd < keep; fd++)
				close(fd);
		lo = (unsigned)keep + 1;
	}
	if (syscall(SYS_close_range, lo, ~0u, 0) < 0)
		for (int fd = (int)lo; fd < 4096; fd++)
			close(fd);
}

/* environ plus extra "K=V" strings (the extras win), built before fork. */
static char **env_with(const char *const *extra)
{
	extern char **environ;
	size_t n = 0, m = 0;
	while (environ[n])
		n++;
	while (extra && extra[m])
		m++;
	char **v = xcalloc(n + m + 1, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool over = false;
		for (size_t j = 0; j < m; j++) {
			size_t kl = strcspn(extra[j], "=");
			over |= !strncmp(environ[i], extra[j], kl) && environ[i][kl] == '=';
		}
		if (!over)
			v[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		v[k++] = (char *)extra[j];
	return v;
}

/* Starts argv in the background (own session, output to log, env "K=V" strings added).
 * Returns the pid, or -1 after printing why (the exec error comes back through a pipe). */
static pid_t spawn(const char *const *argv, const char *log, const char *const *env,
	const char *cwd)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		cli_failure("pipe: %s", strerror(errno));
		return -1;
	}
	char **envp = env_with(env);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		cli_failure("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		free(envp);
		return -1;
	}
	if (pid == 0) {
		setsid();
		int keep = pfd[1] > 2 ? pfd[1] : fcntl(pfd[1], F_DUPFD_CLOEXEC, 3);
		int in = open("/dev/null", O_RDONLY);
		int out = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0644) :
				open("/dev/null", O_WRONLY);
		if (in >= 0)
			dup2(in, 0);
		if (out >= 0) {
			dup2(out, 1);
			dup2(out, 2);
		}
		/* close everything else (the caller's pipes, bats' fd 3, ...) */
		close_from(3, keep);
		if (cwd && chdir(cwd) < 0)
			_exit(127);
		execve(argv[0], (char *const *)argv, envp);
		int er = errno;
		ssize_t w = write(keep, &er, sizeof er);
		(void)w;
		_exit(127);
	}
	free(envp);
	close(pfd[1]);
	int er = 0;
	ssize_t n;
	do
		n = read(pfd[0], &er, sizeof er);
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof er) {
		waitpid(pid, NULL, 0);
		cli_failure("cannot run %s: %s", argv[0], strerror(er));
		return -1;
	}
	return pid;
}

/* Runs argv to completion (quietly; output into out when not NULL). Returns the exit status,
 * or -1 when it could not run. */
static int run(const char *const *argv, const char *cwd, buf *out)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		if (in >= 0)
			dup2(in, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close_from(3, -1);
		if (cwd && chdir(cwd) < 0)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		static const char msg[] = "cannot run the command\n";
		ssize_t w = write(2, msg, sizeof msg - 1);
		(void)w;
		_exit(127);
	}
	close(pfd[1]);
	char tmp[4096];
	ssize_t n;
	while ((n = read(pfd[0], tmp, sizeof tmp)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && out)
			buf_add(out, tmp, (size_t)n);
	close(pfd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* run(), and on failure print the command's output with a hint. */
static int run_or_say(const char *const *argv, const char *cwd, const char *what)
{
	buf out;
	buf_init(&out, 1u << 20);
	int rc = run(argv, cwd, &out);
	if (rc != 0) {
		cli_failure("%s failed (%s exited with %d)", what, argv[0], rc);
		if (out.len)
			fprintf(stderr, "%s\n", buf_str(&out));
	}
	buf_release(&out);
	return rc == 0 ? 0 : -1;
}

/* SIGTERM to the process group, SIGKILL after grace_ms. */
static void stop_comp(comp_state *c, int grace_ms)
{
	if (!is_ours(c))
		return;
	pid_t pgid = getpgid(c->pid);
	bool group = pgid == c->pid; /* started by us with setsid */
	kill(group ? -c->pid : c->pid, SIGTERM);
	int64_t until = clock_mono_ms() + grace_ms;
	while (alive(c->pid) && clock_mono_ms() < until)
		cli_sleep_ms(50);
	if (alive(c->pid)) {
		kill(group ? -c->pid : c->pid, SIGKILL);
		until = clock_mono_ms() + 5000;
		while (alive(c->pid) && clock_mono_ms() < until)
			cli_sleep_ms(50);
	} else if (group) {
		kill(-c->pid, SIGKILL); /* leftovers of the group (CGI children, ...) */
	}
}

/* ---------------------------------------------------------------- progress */

typedef struct progress {
	bool tty;
	int64_t start;
	char last[256];
	int64_t last_print;
	bool line_open;
} progress;

static void progress_init(progress *p)
{
	memset(p, 0, sizeof *p);
	p->tty = isatty(2) == 1;
	p->start = clock_mono_ms();
}

/* Shows what is being waited on: one updating line on a terminal, else a line whenever the
 * subject changes (and every 15 s). */
static void progress_show(progress *p, const char *what)
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

static void progress_end(progress *p)
{
	if (p->tty && p->line_open)
		fprintf(stderr, "\r\033[K");
	p->line_open = false;
	p->last[0] = 0;
}

/* ---------------------------------------------------------------- down */

static int do_down(sandbox *sb, bool quiet)
{
	int stopped = 0;
	for (int i = C_N - 1; i >= 0; i--) {
		if (!state_read(sb, i))
			continue;
		comp_state *c = &sb->c[i];
		if (is_ours(c)) {
			if (!quiet)
				cli_action("stopping %s (pid %d)", COMP[i], (int)c->pid);
			stop_comp(c, STOP_GRACE_MS);
			stopped++;
		}
		if (alive(c->pid) && is_ours(c)) {
			cli_failure("%s (pid %d) did not stop; kill it with: kill -9 %d", COMP[i],
				(int)c->pid, (int)c->pid);
			return 1;
		}
		state_remove(sb, i);
	}
	/* nothing of ours may still listen */
	for (int i = 0; i < C_N; i++) {
		comp_state *c = &sb->c[i];
		int ports[3] = {c->port, c->health, c->metrics};
		for (int j = 0; j < 3; j++)
			if (ports[j] > 0 && port_open(ports[j]))
				fprintf(stderr, "! port %d of %s still answers; another process "
					"may have taken it (ss -ltnp 'sport = :%d')\n", ports[j],
					COMP[i], ports[j]);
	}
	if (!quiet) {
		if (stopped)
			cli_success("sandbox stopped; its state stays in %s (remove it to start "
				    "over)", sb->dir);
		else
			cli_success("no sandbox running in %s", sb->dir);
	}
	return 0;
}

/* ---------------------------------------------------------------- up: pieces */

static kube_client *client_for(const char *kubeconfig)
{
	kube_config c;
	err e = {0};
	memset(&c, 0, sizeof c);
	if (kube_config_load_file(&c, kubeconfig, NULL, &e) < 0) {
		kube_config_release(&c);
		return NULL;
	}
	c.timeout_ms = 15000;
	kube_client *k = kube_client_new(&c, &e);
	kube_config_release(&c);
	return k;
}

/* Fails when comp died, printing the tail of its log. */
static int check_alive(sandbox *sb, int i, progress *pg)
{
	comp_state *c = &sb->c[i];
	if (alive(c->pid))
		return 0;
	progress_end(pg);
	cli_failure("%s exited (pid %d); see its log %s", COMP[i], (int)c->pid, c->log);
	print_tail(c->log, 15);
	if (log_mentions(c->log, "in use"))
		fprintf(stderr, "  a port it was given was taken meanwhile by another process; "
				"'eddy sandbox up' picks new free ports each time\n");
	fprintf(stderr, "  fix the cause, then run 'eddy sandbox up --dir %s' again\n", sb->dir);
	return -1;
}

static bool supports_flag(const char *bin, const char *flag)
{
	buf out;
	buf_init(&out, 1u << 20);
	const char *argv[] = {bin, "--help", NULL};
	run(argv, NULL, &out);
	bool ok = out.data && strstr(out.data, flag) != NULL;
	buf_release(&out);
	return ok;
}

static int start_apiserver(sandbox *sb, progress *pg)
{
	comp_state *c = &sb->c[C_API];
	char *data = xasprintf("%s/api", sb->dir);
	char *kcfg = xasprintf("%s/kubeconfig", data);
	mkdirs(data);
	unlink(kcfg);
	c->port = free_port(sb);
	snprintf(c->exe, sizeof c->exe, "%s/eddy-apiserver", sb->bindir);
	snprintf(c->log, sizeof c->log, "%s/logs/eddy-apiserver.log", sb->dir);
	char listen[64];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", c->port);
	const char *argv[8] = {c->exe, "--data-dir", data, "--listen", listen};
	int n = 5;
	if (supports_flag(c->exe, "--simulate-workloads"))
		argv[n++] = "--simulate-workloads";
	argv[n] = NULL;
	c->pid = spawn(argv, c->log, NULL, sb->dir);
	free(data);
	if (c->pid < 0) {
		free(kcfg);
		return -1;
	}
	state_write(sb, C_API);
	sb->kubeconfig = kcfg;
	int64_t until = clock_mono_ms() + 30000;
	while (clock_mono_ms() < until) {
		if (check_alive(sb, C_API, pg) < 0)
			return -1;
		if (access(kcfg, R_OK) == 0) {
			kube_client *k = client_for(kcfg);
			err e = {0};
			cJSON *o = k ? kube_get(k, "v1", "Namespace", NULL, "default", NULL, &e) :
				NULL;
			bool up = o || (k && kube_errkind_of(&e) != KUBE_ETRANSPORT);
			cJSON_Delete(o);
			kube_client_free(k);
			if (up)
				return 0;
		}
		progress_show(pg, "eddy-apiserver to serve");
		cli_sleep_ms(100);
	}
	progress_end(pg);
	cli_failure("eddy-apiserver did not answer on 127.0.0.1:%d within 30s", c->port);
	print_tail(c->log, 15);
	return -1;
}

/* The Git server: git http-backend behind lighttpd (Flux's GitRepository accepts http, https
 * and ssh URLs only, and libgit2 speaks only the smart protocols, so neither `git daemon` nor a
 * static file server would do). */
#define GIT_HTTP_BACKEND "/usr/lib/git-core/git-http-backend"
static const char no_git_server_msg[] =
	"the Git server needs lighttpd and git-http-backend (/usr/sbin/lighttpd, "
	GIT_HTTP_BACKEND "); install them with 'apt-get install lighttpd git' or run "
	"scripts/setup.sh (EDDY_LIGHTTPD=PATH picks another lighttpd)";

static const char *lighttpd_path(void)
{
	const char *l = getenv("EDDY_LIGHTTPD");
	return l && *l ? l : "/usr/sbin/lighttpd";
}

static int start_git(sandbox *sb, const char *git_root, progress *pg)
{
	comp_state *c = &sb->c[C_GIT];
	c->port = free_port(sb);
	snprintf(c->log, sizeof c->log, "%s/logs/git-server.log", sb->dir);
	const char *lighttpd = lighttpd_path();
	if (is_exec(lighttpd) && is_exec(GIT_HTTP_BACKEND)) {
		char *conf = xasprintf("%s/run/lighttpd.conf", sb->dir);
		char *www = xasprintf("%s/run/www", sb->dir);
		mkdirs(www);
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
		c->pid = spawn(argv, c->log, NULL, sb->dir);
		free(conf);
		free(www);
	} else {
		cli_failure("%s", no_git_server_msg);
		return -1;
	}
	if (c->pid < 0)
		return -1;
	state_write(sb, C_GIT);
	int64_t until = clock_mono_ms() + 15000;
	while (clock_mono_ms() < until) {
		if (check_alive(sb, C_GIT, pg) < 0)
			return -1;
		if (port_open(c->port))
			return 0;
		progress_show(pg, "the Git server to listen");
		cli_sleep_ms(50);
	}
	progress_end(pg);
	cli_failure("the Git server did not listen on 127.0.0.1:%d within 15s", c->port);
	print_tail(c->log, 15);
	return -1;
}

static int start_controller(sandbox *sb, int i, progress *pg)
{
	comp_state *c = &sb->c[i];
	snprintf(c->exe, sizeof c->exe, "%s/%s", sb->bindir, COMP[i]);
	snprintf(c->log, sizeof c->log, "%s/logs/%s.log", sb->dir, COMP[i]);
	c->health = free_port(sb);
	c->metrics = free_port(sb);
	char health[64], metrics[64], storage_addr[64];
	snprintf(health, sizeof health, "127.0.0.1:%d", c->health);
	snprintf(metrics, sizeof metrics, "127.0.0.1:%d", c->metrics);
	char *storage = xasprintf("%s/storage", sb->dir);
	char *tmp = xasprintf("%s/tmp", sb->dir);
	char *tmpenv = xasprintf("TMPDIR=%s", tmp);
	mkdirs(storage);
	mkdirs(tmp);
	const char *argv[24] = {c->exe, "--kubeconfig", sb->kubeconfig, "--health-addr", health,
		"--metrics-addr", metrics, "--log-level", "info"};
	int n = 9;
	if (i == C_SOURCE) {
		c->port = free_port(sb);
		snprintf(storage_addr, sizeof storage_addr, "127.0.0.1:%d", c->port);
		argv[n++] = "--storage-path";
		argv[n++] = storage;
		argv[n++] = "--storage-addr";
		argv[n++] = storage_addr;
		argv[n++] = "--storage-adv-addr";
		argv[n++] = storage_addr;
	} else {
		argv[n++] = "--requeue-dependency";
		argv[n++] = "5s";
	}
	argv[n++] = "--max-retry-delay";
	argv[n++] = "30s";
	argv[n] = NULL;
	const char *env[] = {tmpenv, NULL};
	c->pid = spawn(argv, c->log, env, sb->dir);
	free(storage);
	free(tmp);
	free(tmpenv);
	if (c->pid < 0)
		return -1;
	state_write(sb, i);
	int64_t until = clock_mono_ms() + 30000;
	char what[128];
	snprintf(what, sizeof what, "%s to be ready", COMP[i]);
	while (clock_mono_ms() < until) {
		if (check_alive(sb, i, pg) < 0)
			return -1;
		if (http_ok(c->health, "/readyz"))
			return 0;
		progress_show(pg, what);
		cli_sleep_ms(100);
	}
	progress_end(pg);
	cli_failure("%s is not ready on 127.0.0.1:%d/readyz after 30s", COMP[i], c->health);
	print_tail(c->log, 15);
	return -1;
}

/* ---------------------------------------------------------------- up: cluster objects */

static int read_all(const char *path, buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char tmp[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_add(b, tmp, n) < 0) {
			rc = -1;
			break;
		}
	fclose(f);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int apply_obj(kube_client *k, const cJSON *o, err *e)
{
	kube_opts ko = {.field_manager = FIELD_MANAGER, .force = true};
	cJSON *r = kube_apply(k, o, &ko, e);
	if (!r)
		return -1;
	cJSON_Delete(r);
	return 0;
}

#define MAX_CRDS 64

/* Applies the objects of one YAML file, remembering the CRD names. */
static int apply_crd_file(kube_client *k, const char *label, const char *data, size_t len,
	char **crd_names, int *count)
{
	err e = {0};
	cJSON *docs = yml_parse_stream(data, len, NULL, &e);
	if (!docs) {
		cli_failure("cannot read %s: %s", label, e.msg);
		return -1;
	}
	int rc = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, docs) {
		if (!cJSON_IsObject(o))
			continue;
		if (apply_obj(k, o, &e) < 0) {
			cli_failure("cannot install %s: %s", label, e.msg);
			rc = -1;
			break;
		}
		if (*count < MAX_CRDS)
			crd_names[(*count)++] = xstrdup(kube_obj_name(o) ? kube_obj_name(o) : "");
	}
	cJSON_Delete(docs);
	return rc;
}

/* Installs the CRDs of dir (every *.yaml), or the embedded ones when dir is NULL, and waits
 * for them to be Established. */
static int install_crds(kube_client *k, const char *dir, progress *pg)
{
	int rc = 0, count = 0;
	char **crd_names = xcalloc(MAX_CRDS, sizeof *crd_names);
	if (!dir) {
		for (unsigned i = 0; rc == 0 && i < eddy_embedded_count; i++) {
			const eddy_embedded_file *f = &eddy_embedded[i];
			size_t l = strlen(f->path);
			if (strncmp(f->path, "config/crd/", 11) || l < 5 ||
			    strcmp(f->path + l - 5, ".yaml"))
				continue;
			rc = apply_crd_file(k, f->path, (const char *)f->data, f->len, crd_names,
				&count);
		}
	} else {
		DIR *d = opendir(dir);
		if (!d) {
			cli_failure("cannot read the CRDs in %s: %s", dir, strerror(errno));
			free(crd_names);
			return -1;
		}
		char *names[MAX_CRDS];
		int n = 0;
		struct dirent *de;
		while ((de = readdir(d)) && n < MAX_CRDS) {
			size_t l = strlen(de->d_name);
			if (l > 5 && !strcmp(de->d_name + l - 5, ".yaml"))
				names[n++] = xstrdup(de->d_name);
		}
		closedir(d);
		qsort(names, (size_t)n, sizeof *names, cmp_str);
		for (int i = 0; i < n; i++) {
			char *p = xasprintf("%s/%s", dir, names[i]);
			buf b;
			buf_init(&b, 16u << 20);
			if (rc == 0 && read_all(p, &b) < 0) {
				cli_failure("cannot read %s: %s", p, strerror(errno));
				rc = -1;
			}
			if (rc == 0)
				rc = apply_crd_file(k, p, b.data ? b.data : "", b.len, crd_names,
					&count);
			buf_release(&b);
			free(p);
			free(names[i]);
		}
	}
	/* wait for every CRD to be Established */
	int64_t until = clock_mono_ms() + 30000;
	for (int i = 0; rc == 0 && i < count; i++) {
		for (;;) {
			err e = {0};
			cJSON *o = kube_get(k, "apiextensions.k8s.io/v1",
				"CustomResourceDefinition", NULL, crd_names[i], NULL, &e);
			const char *m;
			const char *s = o ? cli_condition(o, "Established", &m) : NULL;
			bool ok = s && !strcmp(s, "True");
			cJSON_Delete(o);
			if (ok)
				break;
			if (clock_mono_ms() > until) {
				progress_end(pg);
				cli_failure("CustomResourceDefinition %s is not Established "
					    "after 30s", crd_names[i]);
				rc = -1;
				break;
			}
			char what[200];
			snprintf(what, sizeof what, "CustomResourceDefinition/%s", crd_names[i]);
			progress_show(pg, what);
			cli_sleep_ms(100);
		}
	}
	for (int i = 0; i < count; i++)
		free(crd_names[i]);
	free(crd_names);
	if (rc == 0) {
		progress_end(pg);
		cli_success("installed %d CustomResourceDefinitions (%s)", count,
			dir ? dir : "embedded in eddy");
	}
	return rc;
}

static int apply_yaml(kube_client *k, const char *yaml)
{
	err e = {0};
	cJSON *docs = yml_parse_stream(yaml, strlen(yaml), NULL, &e);
	if (!docs) {
		cli_failure("internal: %s", e.msg);
		return -1;
	}
	int rc = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, docs) {
		if (apply_obj(k, o, &e) < 0) {
			cli_failure("cannot apply %s/%s: %s", yml_get_string(o, "kind"),
				kube_obj_name(o), e.msg);
			rc = -1;
			break;
		}
	}
	cJSON_Delete(docs);
	return rc;
}

/* ---------------------------------------------------------------- up: the repository */

static const char *const GIT_ID[] = {"-c", "user.name=Eddy Sandbox", "-c",
	"user.email=sandbox@eddy.invalid", "-c", "init.defaultBranch=main", "-c",
	"commit.gpgsign=false"};

/* Prepares DIR/git/NAME.git (kept when it exists). Sets *name and *branch (allocated). */
static int prepare_repo(sandbox *sb, char **name, char **branch, char **workdir)
{
	char *gitroot = xasprintf("%s/git", sb->dir);
	mkdirs(gitroot);
	*name = NULL;
	*branch = NULL;
	*workdir = NULL;
	char *prev = info_read(sb, "repo-name");
	char *prevb = info_read(sb, "repo-branch");
	char *prevw = info_read(sb, "repo-workdir");
	char *prevs = info_read(sb, "repo-source");
	char *source = sb->repo_arg ? abs_path(sb->repo_arg) : xstrdup("example");
	bool same = prevs && !strcmp(prevs, source);
	free(prevs);
	if (prev && prevb && same) {
		char *bare = xasprintf("%s/%s.git", gitroot, prev);
		bool ok = is_dir(bare);
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
		src = abs_path(sb->repo_arg);
		buf out;
		buf_init(&out, 1u << 16);
		const char *rp[] = {"git", "-C", src, "rev-parse", "--show-toplevel", NULL};
		if (run(rp, NULL, &out) != 0) {
			cli_failure("%s is not a Git repository; pass --repo PATH of a local Git "
				    "work tree (git init; git add; git commit)", src);
			buf_release(&out);
			goto out;
		}
		buf_reset(&out);
		const char *br[] = {"git", "-C", src, "symbolic-ref", "--short", "HEAD", NULL};
		if (run(br, NULL, &out) != 0 || !out.len) {
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
		run(rm, NULL, NULL);
		const char *cl[] = {"git", "clone", "-q", "--bare", src, bare, NULL};
		if (run_or_say(cl, NULL, "cloning the repository") < 0)
			goto out;
		cli_success("cloned %s (branch %s) into %s", src, *branch, bare);
	} else {
		char *ex = NULL;
		if (env_dir("EDDY_EXAMPLE_DIR", &ex) < 0) {
			cli_failure("EDDY_EXAMPLE_DIR=%s is not a directory; unset it to use the "
				    "example built into eddy", getenv("EDDY_EXAMPLE_DIR"));
			goto out;
		}
		*name = xstrdup("demo-app");
		*branch = xstrdup("main");
		*workdir = xasprintf("%s/repo", sb->dir);
		bare = xasprintf("%s/demo-app.git", gitroot);
		const char *rm[] = {"rm", "-rf", *workdir, bare, NULL};
		run(rm, NULL, NULL);
		mkdirs(*workdir);
		int r = 0;
		if (ex) {
			char *srcdot = xasprintf("%s/.", ex);
			const char *cp[] = {"cp", "-R", srcdot, *workdir, NULL};
			r = run_or_say(cp, NULL, "copying the example");
			free(srcdot);
			free(ex);
		} else {
			static const char pfx[] = "examples/demo-app/";
			for (unsigned i = 0; r == 0 && i < eddy_embedded_count; i++) {
				const eddy_embedded_file *f = &eddy_embedded[i];
				if (strncmp(f->path, pfx, sizeof pfx - 1))
					continue;
				char *p = xasprintf("%s/%s", *workdir, f->path + sizeof pfx - 1);
				if (write_file(p, f->data, f->len) < 0) {
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
		if (run_or_say(g1, *workdir, "git init") < 0 ||
		    run_or_say(g2, *workdir, "git add") < 0 ||
		    run_or_say(g3, *workdir, "git commit") < 0 ||
		    run_or_say(g4, NULL, "git clone --bare") < 0 ||
		    run_or_say(g5, *workdir, "git remote add") < 0 ||
		    run_or_say(g6, *workdir, "git fetch") < 0 ||
		    run_or_say(g7, *workdir, "git branch --set-upstream-to") < 0)
			goto out;
		cli_success("created the example repository %s (edit it in %s)", bare, *workdir);
	}
	const char *c1[] = {"git", "-C", bare, "config", "http.receivepack", "true", NULL};
	const char *c2[] = {"git", "-C", bare, "config", "uploadpack.allowAnySHA1InWant", "true",
		NULL};
	if (run_or_say(c1, NULL, "git config") < 0 || run_or_say(c2, NULL, "git config") < 0)
		goto out;
	info_write(sb, "repo-source", source);
	info_write(sb, "repo-name", *name);
	info_write(sb, "repo-branch", *branch);
	info_write(sb, "repo-workdir", *workdir ? *workdir : sb->repo_arg ? src : "");
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

/* ---------------------------------------------------------------- up: waiting */

/* Whether a Flux object is Ready for its current generation. */
static bool obj_ready(const cJSON *o)
{
	const char *m;
	const char *s = cli_condition(o, "Ready", &m);
	const cJSON *og = yml_get_path(o, "status.observedGeneration");
	return s && !strcmp(s, "True") && cJSON_IsNumber(og) &&
	       (int64_t)og->valuedouble == kube_obj_generation(o);
}

/* One pass: fills *pending (first object not ready) and returns whether all are ready. */
static bool all_ready(kube_client *k, const char *ns, buf *pending,
	buf *msg, int *nks)
{
	err e = {0};
	buf_reset(pending);
	buf_reset(msg);
	cJSON *gr = kube_get(k, "source.toolkit.fluxcd.io/v1", "GitRepository", ns, "flux-system",
		NULL, &e);
	const char *m = "";
	if (!gr || !obj_ready(gr)) {
		buf_addf(pending, "GitRepository/%s/flux-system", ns);
		if (gr)
			cli_ready(gr, &m);
		buf_adds(msg, m ? m : "");
		cJSON_Delete(gr);
		return false;
	}
	char *rev = xstrdup(cli_revision(gr));
	cJSON_Delete(gr);
	kube_opts lo = {0};
	cJSON *list = kube_list(k, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", &lo, &e);
	bool ok = list != NULL;
	const cJSON *items = yml_get_path(list, "items");
	*nks = cJSON_GetArraySize(items);
	const cJSON *o;
	cJSON_ArrayForEach(o, items) {
		if (!ok)
			break;
		const char *src = yml_get_string(o, "spec.sourceRef.name");
		bool ours = src && !strcmp(src, "flux-system");
		bool r = obj_ready(o) && (!ours || !strcmp(cli_revision(o), rev));
		if (!r) {
			buf_addf(pending, "Kustomization/%s/%s", kube_obj_namespace(o),
				kube_obj_name(o));
			cli_ready(o, &m);
			buf_adds(msg, m ? m : "");
			ok = false;
		}
	}
	if (!list)
		buf_adds(pending, "the Kustomizations to be listed");
	cJSON_Delete(list);
	free(rev);
	return ok && *nks > 0;
}

static int wait_ready(sandbox *sb, kube_client *k, progress *pg)
{
	buf pending, msg;
	buf_init(&pending, 4096);
	buf_init(&msg, 8192);
	int64_t until = clock_mono_ms() + sb->timeout_ms;
	int nks = 0, rc = -1;
	char *last_msg = NULL;
	while (clock_mono_ms() < until) {
		if (check_alive(sb, C_SOURCE, pg) < 0 || check_alive(sb, C_KUSTOMIZE, pg) < 0 ||
		    check_alive(sb, C_API, pg) < 0 || check_alive(sb, C_GIT, pg) < 0)
			goto out;
		if (all_ready(k, "flux-system", &pending, &msg, &nks)) {
			rc = 0;
			goto out;
		}
		char what[512];
		snprintf(what, sizeof what, "%s", buf_str(&pending));
		/* on a pipe, show a changed failure message once */
		if (msg.len && (!last_msg || strcmp(last_msg, buf_str(&msg)))) {
			const char *m = buf_str(&msg);
			bool waiting = !strncmp(m, "waiting", 7) || strstr(m, "progress") ||
				       strstr(m, "Fetching") || strstr(m, "reconcil");
			if (!waiting && !pg->tty)
				fprintf(stderr, "  %s: %s\n", what, m);
			free(last_msg);
			last_msg = xstrdup(m);
		}
		progress_show(pg, what);
		cli_sleep_ms(250);
	}
	progress_end(pg);
	cli_failure("not Ready after %llds: %s%s%s", (long long)(sb->timeout_ms / 1000),
		buf_str(&pending), msg.len ? ": " : "", buf_str(&msg));
	fprintf(stderr, "  the sandbox keeps running; look with:\n"
			"    eddy --kubeconfig %s get all -A\n"
			"    eddy --kubeconfig %s events -A\n"
			"    tail %s/logs/*.log\n"
			"  stop it with: eddy sandbox down --dir %s\n",
		sb->kubeconfig, sb->kubeconfig, sb->dir, sb->dir);
out:
	free(last_msg);
	buf_release(&pending);
	buf_release(&msg);
	return rc;
}

/* Prints every Kustomization with what its inventory holds. */
static void print_applied(kube_client *k)
{
	err e = {0};
	kube_opts lo = {0};
	cJSON *list = kube_list(k, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", &lo, &e);
	const cJSON *o;
	cJSON_ArrayForEach(o, yml_get_path(list, "items")) {
		printf("Kustomization/%s/%s  %s\n", kube_obj_namespace(o), kube_obj_name(o),
			cli_revision(o));
		const cJSON *ent;
		cJSON_ArrayForEach(ent, yml_get_path(o, "status.inventory.entries")) {
			const char *id = yml_get_string(ent, "id");
			if (!id)
				continue;
			/* <ns>_<name>_<group>_<kind> */
			char *s = xstrdup(id);
			char *kind = strrchr(s, '_');
			if (kind) {
				*kind++ = 0;
				char *grp = strrchr(s, '_');
				if (grp)
					*grp = 0;
				char *nm = strchr(s, '_');
				if (nm) {
					*nm++ = 0;
					if (*s)
						printf("  %s/%s/%s\n", kind, s, nm);
					else
						printf("  %s/%s\n", kind, nm);
				}
			}
			free(s);
		}
	}
	cJSON_Delete(list);
}

/* ---------------------------------------------------------------- up */

static int do_up(sandbox *sb)
{
	int64_t t0 = clock_mono_ms();
	progress pg;
	progress_init(&pg);
	/* what we need */
	const char *need[] = {"eddy-apiserver", "source-controller", "kustomize-controller"};
	for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
		char *p = xasprintf("%s/%s", sb->bindir, need[i]);
		bool ok = is_exec(p);
		free(p);
		if (!ok) {
			cli_failure("%s not found next to eddy in %s; build everything with "
				    "'cmake --build build' (eddy runs its sibling binaries)",
				    need[i], sb->bindir);
			return 1;
		}
	}
	char *crds = NULL; /* NULL: the CRDs embedded in eddy */
	if (env_dir("EDDY_CRD_DIR", &crds) < 0) {
		cli_failure("EDDY_CRD_DIR=%s is not a directory; set it to a directory of CRD "
			    "YAML files, or unset it to use the CRDs built into eddy",
			getenv("EDDY_CRD_DIR"));
		return 1;
	}
	const char *git[] = {"git", "--version", NULL};
	if (run(git, NULL, NULL) != 0) {
		cli_failure("git is not installed; install it (apt-get install git)");
		free(crds);
		return 1;
	}
	if (!is_exec(lighttpd_path()) || !is_exec(GIT_HTTP_BACKEND)) {
		cli_failure("%s", no_git_server_msg);
		free(crds);
		return 1;
	}
	char *dirs[] = {xasprintf("%s/run", sb->dir), xasprintf("%s/logs", sb->dir)};
	int mk = mkdirs(dirs[0]) | mkdirs(dirs[1]);
	free(dirs[0]);
	free(dirs[1]);
	if (mk < 0) {
		cli_failure("cannot create %s: %s", sb->dir, strerror(errno));
		free(crds);
		return 1;
	}
	/* a previous sandbox in DIR: stop it, keep its data */
	bool running = false;
	for (int i = 0; i < C_N; i++)
		if (state_read(sb, i) && is_ours(&sb->c[i]))
			running = true;
	if (running) {
		cli_action("a sandbox is running in %s; restarting it", sb->dir);
		do_down(sb, true);
	}
	memset(sb->c, 0, sizeof sb->c);

	char *name = NULL, *branch = NULL, *workdir = NULL, *url = NULL;
	kube_client *k = NULL;
	int rc = 1;
	if (prepare_repo(sb, &name, &branch, &workdir) < 0)
		goto fail;
	cli_action("starting eddy-apiserver");
	if (start_apiserver(sb, &pg) < 0)
		goto fail;
	progress_end(&pg);
	cli_success("eddy-apiserver serving on https://127.0.0.1:%d", sb->c[C_API].port);
	char *gitroot = xasprintf("%s/git", sb->dir);
	int grc = start_git(sb, gitroot, &pg);
	free(gitroot);
	if (grc < 0)
		goto fail;
	progress_end(&pg);
	url = xasprintf("http://127.0.0.1:%d/git/%s.git", sb->c[C_GIT].port, name);
	cli_success("Git server (git http-backend behind lighttpd) serving %s", url);
	k = client_for(sb->kubeconfig);
	if (!k) {
		cli_failure("cannot use %s", sb->kubeconfig);
		goto fail;
	}
	if (install_crds(k, crds, &pg) < 0)
		goto fail;
	if (apply_yaml(k, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n") < 0)
		goto fail;
	cli_action("starting source-controller and kustomize-controller");
	if (start_controller(sb, C_SOURCE, &pg) < 0 || start_controller(sb, C_KUSTOMIZE, &pg) < 0)
		goto fail;
	progress_end(&pg);
	cli_success("controllers ready (source-controller artifacts on 127.0.0.1:%d)",
		sb->c[C_SOURCE].port);

	/* the sync objects */
	const char *path = sb->path_arg;
	char *def_path = NULL;
	if (!path) {
		char *cs = workdir ? xasprintf("%s/clusters/sandbox", workdir) : NULL;
		path = cs && is_dir(cs) ? "./clusters/sandbox" : "./";
		free(cs);
	}
	info_write(sb, "sync-path", path);
	def_path = xasprintf(
		"apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n"
		"  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n"
		"  url: %s\n  ref:\n    branch: %s\n---\n"
		"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
		"  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n"
		"  retryInterval: 30s\n  path: \"%s\"\n  prune: true\n  sourceRef:\n"
		"    kind: GitRepository\n    name: flux-system\n", url, branch, path);
	int arc = apply_yaml(k, def_path);
	free(def_path);
	if (arc < 0)
		goto fail;
	cli_success("applied GitRepository/flux-system (%s, branch %s) and "
		    "Kustomization/flux-system (path %s)", url, branch, path);
	cli_action("waiting for the GitRepository and the Kustomizations to be Ready");
	if (wait_ready(sb, k, &pg) < 0) {
		rc = 1;
		goto done;
	}
	progress_end(&pg);
	cli_success("sandbox ready in %llds", (long long)((clock_mono_ms() - t0) / 1000));
	printf("\nApplied:\n");
	print_applied(k);
	printf("\nKubeconfig: %s\n", sb->kubeconfig);
	printf("\nLook around:\n"
	       "  export KUBECONFIG=%s\n"
	       "  kubectl get deploy -A\n"
	       "  eddy get kustomizations\n"
	       "  eddy tree kustomization flux-system\n", sb->kubeconfig);
	if (workdir && !sb->repo_arg)
		printf("\nChange the application:\n"
		       "  cd %s   # edit apps/staging, then: git commit -am 'my change' && "
		       "git push\n"
		       "  eddy reconcile kustomization staging --with-source\n"
		       "  eddy diff kustomization staging --path %s/apps/staging\n",
			workdir, workdir);
	else
		printf("\nChange the application:\n"
		       "  commit in %s, then: git -C %s push %s/git/%s.git HEAD:%s\n"
		       "  eddy reconcile kustomization flux-system --with-source\n",
			workdir ? workdir : "your repository", workdir ? workdir : ".", sb->dir,
			name, branch);
	printf("\nStatus and stop:\n  eddy sandbox status --dir %s\n  eddy sandbox down --dir %s\n",
		sb->dir, sb->dir);
	rc = 0;
	goto done;
fail:
	progress_end(&pg);
	fprintf(stderr, "  stopping what was started; logs stay in %s/logs\n", sb->dir);
	do_down(sb, true);
done:
	kube_client_free(k);
	free(url);
	free(name);
	free(branch);
	free(workdir);
	free(crds);
	return rc;
}

/* ---------------------------------------------------------------- status */

static int do_status(sandbox *sb)
{
	cli_table t;
	cli_table_init(&t, 6);
	const char *hdr[] = {"COMPONENT", "PID", "PORT", "HEALTH", "STATUS", "LOG"};
	cli_table_row(&t, hdr);
	int up = 0, known = 0;
	char *kcfg = xasprintf("%s/api/kubeconfig", sb->dir);
	for (int i = 0; i < C_N; i++) {
		if (!state_read(sb, i))
			continue;
		known++;
		comp_state *c = &sb->c[i];
		bool run_ok = is_ours(c);
		const char *health = "-";
		if (run_ok) {
			if (i == C_API) {
				kube_client *k = client_for(kcfg);
				err e = {0};
				cJSON *o = k ? kube_get(k, "v1", "Namespace", NULL, "flux-system",
					NULL, &e) : NULL;
				health = o || (k && kube_errkind_of(&e) != KUBE_ETRANSPORT) ?
					"serving" : "not answering";
				cJSON_Delete(o);
				kube_client_free(k);
			} else if (i == C_GIT) {
				health = port_open(c->port) ? "listening" : "not listening";
			} else {
				health = http_ok(c->health, "/readyz") ? "ready" : "not ready";
			}
		}
		bool healthy = run_ok && (!strcmp(health, "serving") || !strcmp(health, "ready") ||
					  !strcmp(health, "listening"));
		up += healthy;
		char pid[16], ports[64], hp[32];
		snprintf(pid, sizeof pid, "%d", (int)c->pid);
		if (c->port)
			snprintf(ports, sizeof ports, "%d", c->port);
		else
			snprintf(ports, sizeof ports, "-");
		if (c->health)
			snprintf(hp, sizeof hp, "%s (:%d)", health, c->health);
		else
			snprintf(hp, sizeof hp, "%s", health);
		const char *row[] = {COMP[i], pid, ports, hp, run_ok ? "running" : "stopped",
			c->log};
		cli_table_row(&t, row);
	}
	if (!known) {
		cli_table_release(&t);
		free(kcfg);
		cli_failure("no sandbox in %s; start one with 'eddy sandbox up --dir %s'", sb->dir,
			sb->dir);
		return 1;
	}
	cli_table_print(&t);
	cli_table_release(&t);
	char *name = info_read(sb, "repo-name");
	char *branch = info_read(sb, "repo-branch");
	char *wd = info_read(sb, "repo-workdir");
	printf("\nrepository: %s/git/%s.git (branch %s)%s%s\nkubeconfig: %s\n", sb->dir,
		name ? name : "?", branch ? branch : "?", wd && *wd ? ", work tree " : "",
		wd && *wd ? wd : "", kcfg);
	free(name);
	free(branch);
	free(wd);
	if (up == C_N) {
		kube_client *k = client_for(kcfg);
		if (k) {
			printf("\n");
			err e = {0};
			kube_opts lo = {0};
			cJSON *list = kube_list(k, "kustomize.toolkit.fluxcd.io/v1",
				"Kustomization", &lo, &e);
			const cJSON *o;
			cJSON_ArrayForEach(o, yml_get_path(list, "items")) {
				const char *m;
				const char *r = cli_ready(o, &m);
				printf("Kustomization/%s/%s  Ready=%s  %s\n", kube_obj_namespace(o),
					kube_obj_name(o), r, m ? m : "");
			}
			cJSON_Delete(list);
			kube_client_free(k);
		}
	}
	free(kcfg);
	if (up != C_N) {
		cli_failure("%d of %d components healthy; restart with 'eddy sandbox up --dir %s' "
			    "(logs in %s/logs)", up, C_N, sb->dir, sb->dir);
		return 1;
	}
	return 0;
}

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
	sb.dir = abs_path(dir);
	size_t dl = strlen(sb.dir);
	while (dl > 1 && sb.dir[dl - 1] == '/')
		sb.dir[--dl] = 0;
	sb.bindir = self_dir();
	signal(SIGPIPE, SIG_IGN);
	int rc;
	if (!strcmp(sub, "up"))
		rc = do_up(&sb);
	else if (!strcmp(sub, "down"))
		rc = do_down(&sb, false);
	else if (!strcmp(sub, "status"))
		rc = do_status(&sb);
	else {
		cli_failure("unknown sandbox command \"%s\"; use up, status or down", sub);
		rc = 2;
	}
	free(sb.dir);
	free(sb.bindir);
	free(sb.kubeconfig);
	return rc;
}
