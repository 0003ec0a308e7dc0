/* app: the process plumbing every Eddy binary shares.
 *
 * Flags. Flux's controllers take GNU-style long flags (Go's pflag): `--name=value` or
 * `--name value`; a boolean is `--name`, `--name=true` or `--name=false` (a boolean never takes
 * the next argument); `--` ends the flags; `-h`/`--help` prints the usage and `--version` the
 * version. An unknown flag, a missing or malformed value is a usage error: the binary prints
 * one line naming the flag on stderr and exits 2. Flags keep Flux's names and defaults; each
 * binary says which groups of common flags it takes (app_spec.groups) and adds its own
 * (app_spec.extra). Durations use Go's syntax (godur_parse, clock.h).
 *
 * Lifecycle. app_main() is the whole life of a daemon: parse the flags, configure logging, set
 * up the loop, the SIGTERM/SIGINT handlers and the metrics registry (with process metrics and
 * Flux's metric families), serve /healthz and /readyz on --health-addr and /metrics on
 * --metrics-addr, call the binary's start hook, mark the process ready and run the loop.
 * /healthz answers 200 "ok" while the loop runs; /readyz 200 "ok" once ready and 503 before and
 * while stopping; /metrics the registry (met_expose); other paths 404, other methods 405. The
 * same address for both servers shares one server; "0" or "" disables a server. The
 * first SIGTERM or SIGINT (or app_stop()) starts a graceful stop: readiness goes false, the stop
 * hooks run (last registered first) and must close every handle they own, the HTTP servers and
 * signal handlers are closed, the loop runs until no handle is left, uv_loop_close() succeeds and
 * app_main() returns the exit code (0 for a signal). A second signal while stopping exits at
 * once with status 1.
 *
 * Everything here runs on the loop thread, except app_duration_ms, a pure function. */
#ifndef EDDY_APP_H
#define EDDY_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "eddy/clock.h"
#include "eddy/err.h"
#include "eddy/log.h"
#include "eddy/metrics.h"
#include "eddy/pool.h"
#include "eddy/strv.h"

#define EDDY_VERSION "0.1.0-dev"

/* ---- Durations ------------------------------------------------------------------------------ */

enum {
	APP_NS = 1,
	APP_US = 1000,
	APP_MS = 1000000,
};
#define APP_SECOND ((int64_t)1000000000)
#define APP_MINUTE (60 * APP_SECOND)
#define APP_HOUR (60 * APP_MINUTE)

/* Duration flags are parsed with godur_parse and printed with godur_format (clock.h). */
/* Milliseconds for uv timers, rounded up, negative clamped to 0. */
uint64_t app_duration_ms(int64_t ns);

/* ---- Flags ---------------------------------------------------------------------------------- */

typedef enum app_flag_type {
	APP_FLAG_BOOL,	   /* target: bool */
	APP_FLAG_STRING,   /* target: const char * (points into argv or to the default) */
	APP_FLAG_INT,	   /* target: long long */
	APP_FLAG_FLOAT,	   /* target: double */
	APP_FLAG_DURATION, /* target: int64_t nanoseconds */
	APP_FLAG_STRINGS,  /* target: strv (repeatable; each use adds a copy; strv_release) */
	APP_FLAG_SIZE,	   /* target: long long bytes; accepts 10MiB, 512KiB, 1GiB, 1000, 5MB */
} app_flag_type;


/* One flag. The target's value before parsing is the default (printed by --help). */
typedef struct app_flag {
	const char *name; /* without the leading "--" */
	app_flag_type type;
	void *target;
	const char *help;
	long long min, max; /* APP_FLAG_INT/SIZE: accepted range when min < max */
} app_flag;

/* Table entries: APP_FLAG("name", APP_FLAG_INT, &var, "help"), and with a range
 * APP_FLAG_RANGE("name", APP_FLAG_INT, &var, "help", 1, 256). */
#define APP_FLAG(n, t, tgt, h) { .name = (n), .type = (t), .target = (tgt), .help = (h) }
#define APP_FLAG_RANGE(n, t, tgt, h, lo, hi) \
	{ .name = (n), .type = (t), .target = (tgt), .help = (h), .min = (lo), .max = (hi) }

/* Parse args against a flag table. Positional arguments are collected into pos (pointers into
 * argv; pos may be NULL, then positionals are an error). *help / *version are set when those
 * flags appear (either may be NULL: the flag is then unknown). Returns 0, or -1 with e filled
 * (reason "InvalidFlag") naming the offending flag. argv[0] is the program name and skipped. */
int app_parse_args(const app_flag *flags, size_t nflags, int argc, char **argv,
		   strv *pos, bool *help, bool *version, err *e);
/* Print "      --name type   help (default X)" lines for the table, in table order. */
void app_print_flags(FILE *out, const app_flag *flags, size_t nflags);

/* Groups of common flags a binary accepts. --log-level, --log-encoding, --help and --version
 * are always accepted. */
enum app_flag_group {
	/* --metrics-addr :8080, --health-addr :9440, --enable-leader-election,
	 * --leader-election-lease-duration 35s, --leader-election-renew-deadline 30s,
	 * --leader-election-retry-period 5s, --leader-election-release-on-cancel true,
	 * --concurrent N, --watch-all-namespaces true, --watch-label-selector,
	 * --kubeconfig, --kube-api-qps 50, --kube-api-burst 300, --min-retry-delay 750ms,
	 * --max-retry-delay 15m, --interval-jitter-percentage 5, --feature-gates. */
	APP_FL_CONTROLLER = 1u << 0,
	APP_FL_EVENTS = 1u << 1,	    /* --events-addr "" (where to POST events) */
	/* --storage-path, --storage-addr :9090, --storage-adv-addr */
	APP_FL_STORAGE = 1u << 2,
	APP_FL_REQUEUE_DEP = 1u << 3,   /* --requeue-dependency 30s */
	APP_FL_NO_XNS = 1u << 4,	    /* --no-cross-namespace-refs */
	APP_FL_NO_REMOTE_BASES = 1u << 5, /* --no-remote-bases */
	APP_FL_DEFAULT_SA = 1u << 6,    /* --default-service-account */
	/* --insecure-kubeconfig-exec, --insecure-kubeconfig-tls */
	APP_FL_KUBECONFIG_OPTS = 1u << 7,
};

/* The common flags' values, with Flux's defaults. Strings point into argv or to literals. */
typedef struct app_config {
	const char *metrics_addr;
	const char *health_addr;
	const char *events_addr;
	bool enable_leader_election;
	int64_t leader_election_lease_duration;
	int64_t leader_election_renew_deadline;
	int64_t leader_election_retry_period;
	bool leader_election_release_on_cancel;
	long long concurrent;
	int64_t requeue_dependency;
	bool watch_all_namespaces;
	const char *watch_label_selector;
	bool no_cross_namespace_refs;
	bool no_remote_bases;
	const char *default_service_account;
	const char *storage_path;
	const char *storage_addr;
	const char *storage_adv_addr;
	const char *kubeconfig;
	double kube_api_qps;
	long long kube_api_burst;
	int64_t min_retry_delay;
	int64_t max_retry_delay;
	long long interval_jitter_percentage;
	const char *feature_gates;
	bool insecure_kubeconfig_exec;
	bool insecure_kubeconfig_tls;
	const char *log_level_name;
	const char *log_encoding_name;
	log_level log_level;
	log_encoding log_encoding;
	strv args; /* positional arguments (only when the spec allows them) */
} app_config;

typedef struct app app;

/* What a binary is. */
typedef struct app_spec {
	const char *name;    /* "source-controller"; also the controller name in logs/metrics */
	const char *summary; /* one line for --help */
	unsigned groups;     /* app_flag_group bits */
	long long default_concurrent; /* 0 means 4 */
	const char *default_storage_path; /* NULL means "/data" */
	const app_flag *extra; /* the binary's own flags */
	size_t nextra;
	bool positional; /* accept positional arguments */
	/* Called once the loop, signals, logging and metrics are ready and the HTTP servers
	 * listen; set up the binary's own handles here. Return 0, or -1 to exit with status 1
	 * (after a graceful stop). NULL: nothing to start. */
	int (*start)(app *a, void *arg);
	void *start_arg;
	/* When true the process is not marked ready after start(); call app_set_ready() later
	 * (e.g. once caches have synced). */
	bool defer_ready;
} app_spec;

/* Fill c with the defaults for spec. */
void app_config_defaults(app_config *c, const app_spec *spec);
/* Parse argv for spec into c (defaults first). Returns 0, 1 when --help or --version was
 * handled (text printed to out), or -1 with e filled on a usage error. Also validates values
 * (log level and encoding names, --concurrent 1..256). */
int app_parse_config(app_config *c, const app_spec *spec, int argc, char **argv, FILE *out,
		     err *e);
void app_config_release(app_config *c);
void app_print_help(FILE *out, const app_spec *spec);

/* ---- Runtime -------------------------------------------------------------------------------- */

typedef void (*app_stop_fn)(app *a, void *arg);

struct app {
	const app_spec *spec;
	app_config cfg;
	uv_loop_t loop;
	logger log;	       /* named "setup", as Flux's main.go */
	met_registry *metrics; /* process metrics and Flux's families are registered */
	met_flux flux;
	/* Everything below is private to app.c. */
	struct app_priv *priv;
};

/* Run a binary (see the top of this header). Returns the process exit status: 0 after a
 * signal, 2 on a usage error, 1 when something failed to start. */
int app_main(const app_spec *spec, int argc, char **argv);

/* Start a graceful stop with the given exit status (loop thread; later calls only lower
 * nothing: the first status wins). */
void app_stop(app *a, int status);
bool app_stopping(const app *a);
/* Register a hook run when the stop begins (last registered runs first). */
void app_on_stop(app *a, app_stop_fn fn, void *arg);
void app_set_ready(app *a, bool ready);
bool app_ready(const app *a);
/* The process's worker pool for blocking jobs (see pool.h), with --concurrent threads (the
 * spec's default when the binary has no --concurrent flag). Created on first use (loop thread);
 * shut down by the graceful stop after the stop hooks ran, so queued jobs are then cancelled
 * and running ones finish before app_main() returns. NULL while stopping or if the threads
 * cannot be started. */
pool *app_pool(app *a);
/* The bound ports of the health and metrics servers (0 when disabled); useful with ":0". */
int app_health_port(const app *a);
int app_metrics_port(const app *a);

#endif
