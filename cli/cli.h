/* cli: shared pieces of the `eddy` commands that talk to a cluster (get, suspend, resume,
 * reconcile, events, check, tree, trace).
 *
 * Flags follow the flux CLI and are accepted before or after the subcommand: --kubeconfig,
 * --context, -n/--namespace (default $FLUX_SYSTEM_NAMESPACE or "flux-system"),
 * -A/--all-namespaces, -o/--output json|yaml, --with-source, --timeout DURATION, --wait[=bool],
 * --for Kind/name, --api-version (trace), --path DIR, --kustomization-file FILE and
 * --dry-run (build, diff),
 * --status-selector COND=STATUS (get). Messages go to stderr in flux's style (► action,
 * ✔ success, ◎ waiting, ✗ failure), coloured only when stderr is a terminal and NO_COLOR is
 * unset; tables and -o output go to stdout. Every command returns its process exit status
 * (0 ok, 1 failure). */
#ifndef EDDY_CLI_H
#define EDDY_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "eddy/kube.h"

#define CLI_MAX_ARGS 16

typedef struct cli_opts {
	const char *kubeconfig, *context, *ns, *output, *for_, *api_version;
	const char *status_selector; /* get: "ready=false" */
	const char *path;            /* build/diff: --path DIR */
	const char *ks_file;         /* build/diff: --kustomization-file FILE */
	bool all_ns, with_source, wait, help;
	bool dry_run;                /* build: --dry-run (no cluster) */
	bool strict_subst;           /* build/diff: --strict-substitute (off by default, as flux) */
	int64_t timeout_ms;
	const char *args[CLI_MAX_ARGS]; /* positional arguments after the command */
	int nargs;
} cli_opts;

/* A Flux kind the CLI knows. `name` is flux's lowercase singular ("kustomization"). */
typedef struct cli_kind {
	const char *kind, *api_version, *name, *plural;
	const char *aliases;  /* space-separated short forms */
	const char *source;   /* word after "source(s)" ("git"), NULL when not a source */
} cli_kind;

/* Parses argv (argv[0] is the command name) into o. Prints the error and returns -1 on an
 * unknown flag or a missing flag value. */
int cli_parse(int argc, char **argv, cli_opts *o);
/* Loads the kubeconfig and makes a client; prints an error saying what to do and returns
 * NULL when that fails. */
kube_client *cli_client(const cli_opts *o);
/* The namespace to use (-n or the default). */
const char *cli_namespace(const cli_opts *o);

/* Looks up a kind from o->args starting at *i ("ks", "kustomizations", "source git", "hr"...),
 * advancing *i past the consumed words. NULL when unknown. */
const cli_kind *cli_kind_find(const cli_opts *o, int *i);
const cli_kind *cli_kind_by_kind(const char *kind);
const cli_kind *cli_kinds(int *n);
/* Prints "✗ unknown kind" with the list of kinds. */
void cli_kind_unknown(const char *word);

/* Messages on stderr (printf-style). */
void cli_action(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_success(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_waiting(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether stdout (fd 1) / stderr (fd 2) gets colour. */
bool cli_color(int fd);
/* Reports a kube error about kind/name with a hint, returns 1. */
int cli_kube_error(const cli_kind *k, const char *ns, const char *name, const err *e);

/* Status helpers. cli_ready returns "True"/"False"/"Unknown" and sets *msg (never NULL);
 * without a Ready condition: "False" and "waiting to be reconciled" like flux. */
const char *cli_ready(const cJSON *obj, const char **msg);
const char *cli_condition(const cJSON *obj, const char *type, const char **msg);
/* The revision flux shows for an object ("" when none). */
const char *cli_revision(const cJSON *obj);
bool cli_suspended(const cJSON *obj);

/* Tables: rows of ncols strings, printed with aligned columns (3 spaces between). */
typedef struct cli_table {
	int ncols, nrows, alloc;
	char **cells;
} cli_table;
void cli_table_init(cli_table *t, int ncols);
void cli_table_row(cli_table *t, const char *const *cols);
void cli_table_print(const cli_table *t);
void cli_table_release(cli_table *t);

/* Writes obj to stdout as JSON (indented) or YAML. Returns 0, or 1 on a bad format. */
int cli_print_obj(const cJSON *obj, const char *format);
/* Parses "30s", "5m", "1h", "1m30s", "500ms" into milliseconds; -1 when invalid. */
int64_t cli_duration_ms(const char *s);
/* Seconds since an RFC 3339 timestamp (-1 when unparsable) and kubectl's short age ("5m"). */
int64_t cli_age_s(const char *ts);
void cli_age_text(int64_t s, char *out, size_t n);
void cli_sleep_ms(int ms);

/* The commands. argv[0] is the command name. */
int cmd_get(int argc, char **argv);
int cmd_suspend(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_sandbox(int argc, char **argv); /* cmd_sandbox.c: sandbox up|down|status */
int cmd_build(int argc, char **argv);   /* cmd_diff.c: build kustomization NAME --path DIR */
int cmd_diff(int argc, char **argv);    /* cmd_diff.c: diff kustomization NAME --path DIR */
int cmd_kustomize(int argc, char **argv); /* cmd_kustomize.c: kustomize build DIR (offline) */
int cmd_helm(int argc, char **argv);      /* cmd_helm.c: helm template NAME CHART (offline) */

/* Reconcile helper shared by reconcile and resume: annotates (when annotate), then waits until
 * the object handled the request and is Ready True/False. Returns the exit status. */
int cli_reconcile_one(kube_client *kc, const cli_kind *k, const char *ns, const char *name,
	const cli_opts *o, bool annotate);

#endif
