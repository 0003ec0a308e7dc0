/* eddy sandbox: processes: spawning, running commands, stopping components. */
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
pid_t sb_spawn(const char *const *argv, const char *log, const char *const *env,
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
int sb_run(const char *const *argv, const char *cwd, buf *out)
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

/* sb_run(), and on failure print the command's output with a hint. */
int sb_run_or_say(const char *const *argv, const char *cwd, const char *what)
{
	buf out;
	buf_init(&out, 1u << 20);
	int rc = sb_run(argv, cwd, &out);
	if (rc != 0) {
		cli_failure("%s failed (%s exited with %d)", what, argv[0], rc);
		if (out.len)
			fprintf(stderr, "%s\n", buf_str(&out));
	}
	buf_release(&out);
	return rc == 0 ? 0 : -1;
}

/* SIGTERM to the process group, SIGKILL after grace_ms. */
void sb_stop_comp(comp_state *c, int grace_ms)
{
	if (!sb_is_ours(c))
		return;
	pid_t pgid = getpgid(c->pid);
	bool group = pgid == c->pid; /* started by us with setsid */
	kill(group ? -c->pid : c->pid, SIGTERM);
	int64_t until = clock_mono_ms() + grace_ms;
	while (sb_alive(c->pid) && clock_mono_ms() < until)
		cli_sleep_ms(50);
	if (sb_alive(c->pid)) {
		kill(group ? -c->pid : c->pid, SIGKILL);
		until = clock_mono_ms() + 5000;
		while (sb_alive(c->pid) && clock_mono_ms() < until)
			cli_sleep_ms(50);
	} else if (group) {
		kill(-c->pid, SIGKILL); /* leftovers of the group (CGI children, ...) */
	}
}
