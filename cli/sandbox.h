/* Internal to eddy sandbox (cmd_sandbox.c): the sandbox's state and the functions one
 * file of the command calls in another. */
#ifndef EDDY_CLI_SANDBOX_H
#define EDDY_CLI_SANDBOX_H

#include "eddy/kube.h"
#include "eddy/buf.h"
#include "eddy/clock.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DEFAULT_DIR ".eddy-sandbox"
#define FIELD_MANAGER "eddy"
#define STOP_GRACE_MS 10000

/* The components in start order; `down` stops them in reverse. */
enum { C_API, C_GIT, C_SOURCE, C_KUSTOMIZE, C_N };
extern const char *const sb_comp[C_N];

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

typedef struct progress {
	bool tty;
	int64_t start;
	char last[256];
	int64_t last_print;
	bool line_open;
} progress;


/* sandbox_util.c */
bool sb_is_dir(const char *p);
bool sb_is_exec(const char *p);
int sb_mkdirs(const char *path);
char *sb_abs_path(const char *p);
char *sb_self_dir(void);
int sb_env_dir(const char *env, char **out);
int sb_write_file(const char *path, const unsigned char *data, size_t len);
int sb_free_port(sandbox *sb);
bool sb_port_open(int port);
bool sb_http_ok(int port, const char *path);
bool sb_alive(pid_t pid);
bool sb_is_ours(const comp_state *c);
bool sb_log_mentions(const char *path, const char *s);
void sb_print_tail(const char *path, int lines);
void sb_progress_init(progress *p);
void sb_progress_show(progress *p, const char *what);
void sb_progress_end(progress *p);

/* sandbox_state.c */
void sb_state_write(const sandbox *sb, int i);
bool sb_state_read(sandbox *sb, int i);
void sb_state_remove(const sandbox *sb, int i);
void sb_info_write(const sandbox *sb, const char *key, const char *val);
char *sb_info_read(const sandbox *sb, const char *key);

/* sandbox_proc.c */
pid_t sb_spawn(const char *const *argv, const char *log, const char *const *env,
	const char *cwd);
int sb_run(const char *const *argv, const char *cwd, buf *out);
int sb_run_or_say(const char *const *argv, const char *cwd, const char *what);
void sb_stop_comp(comp_state *c, int grace_ms);

/* sandbox_down.c */
int sb_do_down(sandbox *sb, bool quiet);

/* sandbox_start.c */
kube_client *sb_client_for(const char *kubeconfig);
int sb_check_alive(sandbox *sb, int i, progress *pg);
int sb_start_apiserver(sandbox *sb, progress *pg);
int sb_start_controller(sandbox *sb, int i, progress *pg);

/* sandbox_git.c */
#define GIT_HTTP_BACKEND "/usr/lib/git-core/git-http-backend"
extern const char sb_no_git_server_msg[];
const char *sb_lighttpd_path(void);
int sb_start_git(sandbox *sb, const char *git_root, progress *pg);

/* sandbox_objects.c */
int sb_install_crds(kube_client *k, const char *dir, progress *pg);
int sb_apply_yaml(kube_client *k, const char *yaml);

/* sandbox_repo.c */
int sb_prepare_repo(sandbox *sb, char **name, char **branch, char **workdir);

/* sandbox_wait.c */
int sb_wait_ready(sandbox *sb, kube_client *k, progress *pg);
void sb_print_applied(kube_client *k);

/* sandbox_up.c */
int sb_do_up(sandbox *sb);

/* sandbox_status.c */
int sb_do_status(sandbox *sb);

#endif
