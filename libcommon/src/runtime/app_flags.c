/* app: durations, flag parsing and the common flag set (the runtime is in app.c). */
#include "eddy/app.h"

#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/mem.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t app_duration_ms(int64_t ns)
{
	if (ns <= 0)
		return 0;
	return ((uint64_t)ns + 999999) / 1000000;
}

/* ---- Generic flag parsing ------------------------------------------------------------------ */

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int parse_int(const char *v, long long *out)
{
	if (!*v)
		return -1;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 0);
	if (errno || *end)
		return -1;
	*out = x;
	return 0;
}

static int parse_size(const char *v, long long *out)
{
	static const struct {
		const char *suffix;
		long long mul;
	} sfx[] = { { "Ki", 1LL << 10 }, { "KiB", 1LL << 10 }, { "Mi", 1LL << 20 },
		    { "MiB", 1LL << 20 }, { "Gi", 1LL << 30 }, { "GiB", 1LL << 30 },
		    { "k", 1000 },	   { "K", 1000 },	  { "KB", 1000 },
		    { "M", 1000000 },	   { "MB", 1000000 },	  { "G", 1000000000 },
		    { "GB", 1000000000 },  { "B", 1 } };
	if (!isdigit((unsigned char)*v))
		return -1;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno)
		return -1;
	long long mul = 1;
	if (*end) {
		mul = 0;
		for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
			if (strcmp(end, sfx[i].suffix) == 0)
				mul = sfx[i].mul;
		if (!mul)
			return -1;
	}
	if (x > LLONG_MAX / mul)
		return -1;
	*out = x * mul;
	return 0;
}

static int set_value(const app_flag *f, const char *v, err *e)
{
	switch (f->type) {
	case APP_FLAG_BOOL:
		if (parse_bool(v, f->target) < 0)
			return err_set(e, ERR_STALLING, "InvalidFlag",
				       "invalid argument \"%s\" for \"--%s\" flag: not a boolean",
				       v, f->name);
		return 0;
	case APP_FLAG_STRING:
		*(const char **)f->target = v;
		return 0;
	case APP_FLAG_STRINGS: {
		/* Like pflag's StringArray: every use adds one value, commas are kept. */
		strv *s = f->target;
		strv_add(s, v);
		return 0;
	}
	case APP_FLAG_INT:
	case APP_FLAG_SIZE: {
		long long x;
		int rc = f->type == APP_FLAG_INT ? parse_int(v, &x) : parse_size(v, &x);
		if (rc < 0)
			return err_set(e, ERR_STALLING, "InvalidFlag",
				       "invalid argument \"%s\" for \"--%s\" flag: not %s", v,
				       f->name, f->type == APP_FLAG_INT ? "an integer" : "a size");
		if (f->min < f->max && (x < f->min || x > f->max))
			return err_set(e, ERR_STALLING, "InvalidFlag",
				       "invalid argument \"%s\" for \"--%s\" flag: must be between "
				       "%lld and %lld",
				       v, f->name, f->min, f->max);
		*(long long *)f->target = x;
		return 0;
	}
	case APP_FLAG_FLOAT: {
		char *end;
		errno = 0;
		double x = strtod(v, &end);
		if (!*v || *end || errno || isnan(x))
			return err_set(e, ERR_STALLING, "InvalidFlag",
				       "invalid argument \"%s\" for \"--%s\" flag: not a number", v,
				       f->name);
		*(double *)f->target = x;
		return 0;
	}
	case APP_FLAG_DURATION: {
		err de;
		int64_t ns;
		if (godur_parse(v, &ns, &de) < 0)
			return err_set(e, ERR_STALLING, "InvalidFlag",
				       "invalid argument \"%s\" for \"--%s\" flag: %s", v, f->name,
				       de.msg);
		*(int64_t *)f->target = ns;
		return 0;
	}
	}
	return err_set(e, ERR_STALLING, "InvalidFlag", "flag --%s has no type", f->name);
}

int app_parse_args(const app_flag *flags, size_t nflags, int argc, char **argv,
		   strv *pos, bool *help, bool *version, err *e)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			for (i++; i < argc; i++) {
				if (!pos)
					return err_set(e, ERR_STALLING, "InvalidFlag",
						       "unexpected argument \"%s\"", argv[i]);
				strv_add(pos, argv[i]);
			}
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			if (!pos)
				return err_set(e, ERR_STALLING, "InvalidFlag",
					       "unexpected argument \"%s\"", arg);
			strv_add(pos, arg);
			continue;
		}
		if (arg[1] != '-') {
			if (strcmp(arg, "-h") == 0 && help) {
				*help = true;
				continue;
			}
			return err_set(e, ERR_STALLING, "InvalidFlag",
				       "unknown shorthand flag: '%c' in %s", arg[1], arg);
		}
		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		if (help && nlen == 4 && strncmp(name, "help", 4) == 0 && !eq) {
			*help = true;
			continue;
		}
		if (version && nlen == 7 && strncmp(name, "version", 7) == 0 && !eq) {
			*version = true;
			continue;
		}
		const app_flag *f = NULL;
		for (size_t k = 0; k < nflags; k++) {
			if (strlen(flags[k].name) == nlen &&
			    strncmp(flags[k].name, name, nlen) == 0) {
				f = &flags[k];
				break;
			}
		}
		if (!f)
			return err_set(e, ERR_STALLING, "InvalidFlag", "unknown flag: --%.*s",
				       (int)nlen, name);
		const char *v;
		if (eq) {
			v = eq + 1;
		} else if (f->type == APP_FLAG_BOOL) {
			v = "true";
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			return err_set(e, ERR_STALLING, "InvalidFlag",
				       "flag needs an argument: --%s", f->name);
		}
		if (set_value(f, v, e) < 0)
			return -1;
	}
	return 0;
}

static const char *type_name(app_flag_type t)
{
	switch (t) {
	case APP_FLAG_BOOL: return "";
	case APP_FLAG_STRING: return "string";
	case APP_FLAG_INT: return "int";
	case APP_FLAG_FLOAT: return "float";
	case APP_FLAG_DURATION: return "duration";
	case APP_FLAG_STRINGS: return "strings";
	case APP_FLAG_SIZE: return "bytes";
	}
	return "";
}

/* The default as pflag prints it, or NULL when it prints none. */
static const char *default_text(const app_flag *f, char *out, size_t n)
{
	switch (f->type) {
	case APP_FLAG_BOOL:
		return *(bool *)f->target ? "true" : NULL;
	case APP_FLAG_STRING: {
		const char *s = *(const char **)f->target;
		if (!s || !*s)
			return NULL;
		snprintf(out, n, "\"%s\"", s);
		return out;
	}
	case APP_FLAG_INT:
	case APP_FLAG_SIZE: {
		long long v = *(long long *)f->target;
		if (v == 0)
			return NULL;
		snprintf(out, n, "%lld", v);
		return out;
	}
	case APP_FLAG_FLOAT: {
		double v = *(double *)f->target;
		if (v == 0)
			return NULL;
		return met_format_double(out, n, v);
	}
	case APP_FLAG_DURATION: {
		int64_t v = *(int64_t *)f->target;
		if (v == 0)
			return NULL;
		return godur_format(out, n, v);
	}
	case APP_FLAG_STRINGS:
		return NULL;
	}
	return NULL;
}

void app_print_flags(FILE *out, const app_flag *flags, size_t nflags)
{
	size_t width = 0;
	for (size_t i = 0; i < nflags; i++) {
		size_t w = strlen(flags[i].name) + strlen(type_name(flags[i].type)) + 1;
		if (w > width)
			width = w;
	}
	for (size_t i = 0; i < nflags; i++) {
		char lhs[160], def[64];
		snprintf(lhs, sizeof lhs, "%s %s", flags[i].name, type_name(flags[i].type));
		const char *d = default_text(&flags[i], def, sizeof def);
		fprintf(out, "      --%-*s   %s", (int)width, lhs,
			flags[i].help ? flags[i].help : "");
		if (d)
			fprintf(out, " (default %s)", d);
		fputc('\n', out);
	}
}

/* ---- The common flag set ------------------------------------------------------------------- */

void app_config_defaults(app_config *c, const app_spec *spec)
{
	memset(c, 0, sizeof *c);
	c->metrics_addr = ":8080";
	c->health_addr = ":9440";
	c->events_addr = "";
	c->leader_election_lease_duration = 35 * APP_SECOND;
	c->leader_election_renew_deadline = 30 * APP_SECOND;
	c->leader_election_retry_period = 5 * APP_SECOND;
	c->leader_election_release_on_cancel = true;
	c->concurrent = spec && spec->default_concurrent ? spec->default_concurrent : 4;
	c->requeue_dependency = 30 * APP_SECOND;
	c->watch_all_namespaces = true;
	c->watch_label_selector = "";
	c->default_service_account = "";
	c->storage_path = spec && spec->default_storage_path ? spec->default_storage_path : "/data";
	c->storage_addr = ":9090";
	c->storage_adv_addr = "";
	c->kubeconfig = "";
	c->kube_api_qps = 50;
	c->kube_api_burst = 300;
	c->min_retry_delay = 750 * (int64_t)APP_MS;
	c->max_retry_delay = 15 * APP_MINUTE;
	c->interval_jitter_percentage = 5;
	c->feature_gates = "";
	c->log_level_name = "info";
	c->log_encoding_name = "json";
	c->log_level = LOG_INFO;
	c->log_encoding = LOG_ENC_JSON;
}

void app_config_release(app_config *c)
{
	strv_release(&c->args);
}

#define F(n, t, tgt, h) ((app_flag){ .name = (n), .type = (t), .target = (tgt), .help = (h) })

/* The common flags of spec, in help order, into out (room for 40). */
static size_t common_flags(app_config *c, unsigned g, app_flag *out)
{
	size_t n = 0;
	if (g & APP_FL_CONTROLLER) {
		out[n++] = F("metrics-addr", APP_FLAG_STRING, &c->metrics_addr,
			     "The address the metric endpoint binds to (\"0\" disables it).");
		out[n++] = F("health-addr", APP_FLAG_STRING, &c->health_addr,
			     "The address the health endpoint binds to.");
	}
	if (g & APP_FL_EVENTS)
		out[n++] = F("events-addr", APP_FLAG_STRING, &c->events_addr,
			     "The address of the events receiver.");
	if (g & APP_FL_STORAGE) {
		out[n++] = F("storage-path", APP_FLAG_STRING, &c->storage_path,
			     "The local storage path.");
		out[n++] = F("storage-addr", APP_FLAG_STRING, &c->storage_addr,
			     "The address the static file server binds to.");
		out[n++] = F("storage-adv-addr", APP_FLAG_STRING, &c->storage_adv_addr,
			     "The advertised address of the static file server.");
	}
	if (g & APP_FL_CONTROLLER) {
		out[n++] = F("concurrent", APP_FLAG_INT, &c->concurrent,
			     "The number of concurrent reconciles.");
		out[n - 1].min = 1;
		out[n - 1].max = 256;
	}
	if (g & APP_FL_REQUEUE_DEP)
		out[n++] = F("requeue-dependency", APP_FLAG_DURATION, &c->requeue_dependency,
			     "The interval at which failing dependencies are reevaluated.");
	if (g & APP_FL_NO_XNS)
		out[n++] = F("no-cross-namespace-refs", APP_FLAG_BOOL, &c->no_cross_namespace_refs,
			     "When set to true, references between custom resources are allowed "
			     "only if the reference and the referee are in the same namespace.");
	if (g & APP_FL_NO_REMOTE_BASES)
		out[n++] = F("no-remote-bases", APP_FLAG_BOOL, &c->no_remote_bases,
			     "Disallow remote bases usage in Kustomize overlays. When this flag is "
			     "enabled, all resources must refer to local files included in the "
			     "source artifact.");
	if (g & APP_FL_DEFAULT_SA)
		out[n++] = F("default-service-account", APP_FLAG_STRING,
			     &c->default_service_account,
			     "Default service account used for impersonation.");
	if (g & APP_FL_KUBECONFIG_OPTS) {
		out[n++] = F("insecure-kubeconfig-exec", APP_FLAG_BOOL,
			     &c->insecure_kubeconfig_exec,
			     "Allow use of the user.exec section in kubeconfigs provided for "
			     "remote apply.");
		out[n++] = F("insecure-kubeconfig-tls", APP_FLAG_BOOL, &c->insecure_kubeconfig_tls,
			     "Allow that kubeconfigs provided for remote apply can disable TLS "
			     "verification.");
	}
	if (g & APP_FL_CONTROLLER) {
		out[n++] = F("enable-leader-election", APP_FLAG_BOOL, &c->enable_leader_election,
			     "Enable leader election for controller manager. Enabling this will "
			     "ensure there is only one active controller manager.");
		out[n++] = F("leader-election-lease-duration", APP_FLAG_DURATION,
			     &c->leader_election_lease_duration,
			     "Interval at which non-leader candidates will wait to force acquire "
			     "leadership (duration string).");
		out[n++] = F("leader-election-renew-deadline", APP_FLAG_DURATION,
			     &c->leader_election_renew_deadline,
			     "Duration that the leading controller manager will retry refreshing "
			     "leadership before giving up (duration string).");
		out[n++] = F("leader-election-retry-period", APP_FLAG_DURATION,
			     &c->leader_election_retry_period,
			     "Duration the LeaderElector clients should wait between tries of "
			     "actions (duration string).");
		out[n++] = F("leader-election-release-on-cancel", APP_FLAG_BOOL,
			     &c->leader_election_release_on_cancel,
			     "Release the leader election lease when the manager stops.");
		out[n++] = F("watch-all-namespaces", APP_FLAG_BOOL, &c->watch_all_namespaces,
			     "Watch for custom resources in all namespaces, if set to false it "
			     "will only watch the runtime namespace.");
		out[n++] = F("watch-label-selector", APP_FLAG_STRING, &c->watch_label_selector,
			     "Watch for resources with matching labels e.g. "
			     "'sharding.fluxcd.io/shard=shard1'.");
		out[n++] = F("kubeconfig", APP_FLAG_STRING, &c->kubeconfig,
			     "Path to a kubeconfig (default: $KUBECONFIG, in-cluster config, "
			     "~/.kube/config).");
		out[n++] = F("kube-api-qps", APP_FLAG_FLOAT, &c->kube_api_qps,
			     "The maximum queries-per-second of requests sent to the Kubernetes "
			     "API.");
		out[n++] = F("kube-api-burst", APP_FLAG_INT, &c->kube_api_burst,
			     "The maximum burst queries-per-second of requests sent to the "
			     "Kubernetes API.");
		out[n++] = F("min-retry-delay", APP_FLAG_DURATION, &c->min_retry_delay,
			     "The minimum amount of time for which an object being reconciled will "
			     "have to wait before a retry.");
		out[n++] = F("max-retry-delay", APP_FLAG_DURATION, &c->max_retry_delay,
			     "The maximum amount of time for which an object being reconciled will "
			     "have to wait before a retry.");
		out[n++] = F("interval-jitter-percentage", APP_FLAG_INT,
			     &c->interval_jitter_percentage,
			     "Percentage of jitter to apply to interval durations.");
		out[n - 1].min = 0;
		out[n - 1].max = 99;
		out[n++] = F("feature-gates", APP_FLAG_STRING, &c->feature_gates,
			     "A comma separated list of key=value pairs defining the state of "
			     "experimental features.");
	}
	out[n++] = F("log-level", APP_FLAG_STRING, &c->log_level_name,
		     "Log verbosity level. Can be one of 'trace', 'debug', 'info', 'error'.");
	out[n++] = F("log-encoding", APP_FLAG_STRING, &c->log_encoding_name,
		     "Log encoding format. Can be 'json' or 'console'.");
	return n;
}

enum { MAX_COMMON = 40 };

static app_flag *all_flags(app_config *c, const app_spec *spec, size_t *n)
{
	app_flag *all = xcalloc(MAX_COMMON + spec->nextra, sizeof *all);
	size_t k = common_flags(c, spec->groups, all);
	for (size_t i = 0; i < spec->nextra; i++)
		all[k++] = spec->extra[i];
	*n = k;
	return all;
}

void app_print_help(FILE *out, const app_spec *spec)
{
	app_config c;
	app_config_defaults(&c, spec);
	size_t n;
	app_flag *all = all_flags(&c, spec, &n);
	if (spec->summary)
		fprintf(out, "%s\n\n", spec->summary);
	fprintf(out, "Usage of %s:\n", spec->name);
	app_print_flags(out, all, n);
	fprintf(out, "  -h, --help      help for %s\n", spec->name);
	fprintf(out, "      --version   print the version and exit\n");
	free(all);
}

int app_parse_config(app_config *c, const app_spec *spec, int argc, char **argv, FILE *out,
		     err *e)
{
	app_config_defaults(c, spec);
	size_t n;
	app_flag *all = all_flags(c, spec, &n);
	bool help = false, version = false;
	int rc = app_parse_args(all, n, argc, argv, spec->positional ? &c->args : NULL, &help,
				&version, e);
	free(all);
	if (rc < 0)
		return -1;
	if (help) {
		app_print_help(out, spec);
		return 1;
	}
	if (version) {
		fprintf(out, "%s %s\n", spec->name, EDDY_VERSION);
		return 1;
	}
	if (log_parse_level(c->log_level_name, &c->log_level) < 0)
		return err_set(e, ERR_STALLING, "InvalidFlag",
			       "invalid argument \"%s\" for \"--log-level\" flag: must be one of "
			       "trace, debug, info, error",
			       c->log_level_name);
	if (log_parse_encoding(c->log_encoding_name, &c->log_encoding) < 0)
		return err_set(e, ERR_STALLING, "InvalidFlag",
			       "invalid argument \"%s\" for \"--log-encoding\" flag: must be json "
			       "or console",
			       c->log_encoding_name);
	return 0;
}
