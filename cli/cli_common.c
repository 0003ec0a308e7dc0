/* Shared pieces of the cluster commands: flags, kinds, messages, tables, status helpers. */
#include "cli.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "eddy/buf.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

static const cli_kind kinds[] = {
	{"GitRepository", "source.toolkit.fluxcd.io/v1", "gitrepository", "gitrepositories",
	 "gitrepo gitrepos", "git"},
	{"OCIRepository", "source.toolkit.fluxcd.io/v1", "ocirepository", "ocirepositories",
	 "ocirepo ocirepos", "oci"},
	{"HelmRepository", "source.toolkit.fluxcd.io/v1", "helmrepository", "helmrepositories",
	 "helmrepo helmrepos", "helm"},
	{"Bucket", "source.toolkit.fluxcd.io/v1", "bucket", "buckets", "", "bucket"},
	{"HelmChart", "source.toolkit.fluxcd.io/v1", "helmchart", "helmcharts", "hc", "chart"},
	{"Kustomization", "kustomize.toolkit.fluxcd.io/v1", "kustomization", "kustomizations",
	 "ks", NULL},
	{"HelmRelease", "helm.toolkit.fluxcd.io/v2", "helmrelease", "helmreleases", "hr", NULL},
	{"Alert", "notification.toolkit.fluxcd.io/v1beta3", "alert", "alerts", "", NULL},
	{"Provider", "notification.toolkit.fluxcd.io/v1beta3", "provider", "providers",
	 "alert-provider alert-providers", NULL},
	{"Receiver", "notification.toolkit.fluxcd.io/v1", "receiver", "receivers", "", NULL},
	{"ImageRepository", "image.toolkit.fluxcd.io/v1", "imagerepository", "imagerepositories",
	 "imgrepo imagerepo", NULL},
	{"ImagePolicy", "image.toolkit.fluxcd.io/v1", "imagepolicy", "imagepolicies",
	 "imgpol imagepol", NULL},
	{"ImageUpdateAutomation", "image.toolkit.fluxcd.io/v1", "imageupdateautomation",
	 "imageupdateautomations", "iua imgupd imgauto", NULL},
};

const cli_kind *cli_kinds(int *n)
{
	*n = (int)(sizeof(kinds) / sizeof(kinds[0]));
	return kinds;
}

static bool word_in(const char *list, const char *w)
{
	size_t wl = strlen(w);
	const char *p = list;
	while (*p) {
		const char *sp = strchr(p, ' ');
		size_t l = sp ? (size_t)(sp - p) : strlen(p);
		if (l == wl && strncasecmp(p, w, l) == 0)
			return true;
		p += l;
		while (*p == ' ')
			p++;
	}
	return false;
}

const cli_kind *cli_kind_by_kind(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcasecmp(kinds[i].kind, kind) == 0 || strcasecmp(kinds[i].name, kind) == 0 ||
		    strcasecmp(kinds[i].plural, kind) == 0 || word_in(kinds[i].aliases, kind))
			return &kinds[i];
	return NULL;
}

const cli_kind *cli_kind_find(const cli_opts *o, int *i)
{
	if (*i >= o->nargs)
		return NULL;
	const char *w = o->args[*i];
	if (strcmp(w, "source") == 0 || strcmp(w, "sources") == 0) {
		if (*i + 1 >= o->nargs)
			return NULL;
		const char *s = o->args[*i + 1];
		for (size_t j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++)
			if (kinds[j].source && strcmp(kinds[j].source, s) == 0) {
				*i += 2;
				return &kinds[j];
			}
		return NULL;
	}
	const cli_kind *k = cli_kind_by_kind(w);
	if (k)
		(*i)++;
	return k;
}

void cli_kind_unknown(const char *word)
{
	cli_failure("unknown kind \"%s\"; use one of: kustomization (ks), source git (gitrepo), "
		    "source oci, source helm, source bucket, source chart, helmrelease (hr), "
		    "imagerepository, imagepolicy, imageupdateautomation, receiver, alert, "
		    "alert-provider", word ? word : "");
}

/* ---------------------------------------------------------------- flags */

static int flag_value(int argc, char **argv, int *i, const char *a, const char *lng,
	const char *shrt, const char **out, bool *matched)
{
	size_t ll = strlen(lng);
	*matched = false;
	if (strncmp(a, lng, ll) == 0 && a[ll] == '=') {
		*matched = true;
		*out = a + ll + 1;
		return 0;
	}
	if (shrt && strncmp(a, shrt, 2) == 0 && a[2] != '\0' && strcmp(a, shrt) != 0) {
		*matched = true;
		*out = a[2] == '=' ? a + 3 : a + 2;
		return 0;
	}
	if (strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0)) {
		*matched = true;
		if (*i + 1 >= argc) {
			fprintf(stderr, "✗ flag needs an argument: %s\n", a);
			return -1;
		}
		*out = argv[++*i];
		return 0;
	}
	return 0;
}

int cli_parse(int argc, char **argv, cli_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->wait = true;
	o->timeout_ms = 5 * 60 * 1000;
	bool dashdash = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (dashdash || a[0] != '-' || strcmp(a, "-") == 0) {
			if (o->nargs >= CLI_MAX_ARGS) {
				cli_failure("too many arguments");
				return -1;
			}
			o->args[o->nargs++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		bool m;
		const char *v = NULL;
		static const struct {
			const char *lng, *shrt;
			size_t off;
		} sf[] = {
			{"--kubeconfig", NULL, offsetof(cli_opts, kubeconfig)},
			{"--context", NULL, offsetof(cli_opts, context)},
			{"--namespace", "-n", offsetof(cli_opts, ns)},
			{"--output", "-o", offsetof(cli_opts, output)},
			{"--for", NULL, offsetof(cli_opts, for_)},
			{"--api-version", NULL, offsetof(cli_opts, api_version)},
			{"--status-selector", NULL, offsetof(cli_opts, status_selector)},
			{"--path", NULL, offsetof(cli_opts, path)},
			{"--kustomization-file", NULL, offsetof(cli_opts, ks_file)},
		};
		bool done = false;
		for (size_t j = 0; j < sizeof(sf) / sizeof(sf[0]) && !done; j++) {
			if (flag_value(argc, argv, &i, a, sf[j].lng, sf[j].shrt, &v, &m) < 0)
				return -1;
			if (m) {
				*(const char **)((char *)o + sf[j].off) = v;
				done = true;
			}
		}
		if (done)
			continue;
		if (flag_value(argc, argv, &i, a, "--timeout", NULL, &v, &m) < 0)
			return -1;
		if (m) {
			o->timeout_ms = cli_duration_ms(v);
			if (o->timeout_ms <= 0) {
				cli_failure("invalid --timeout \"%s\"; use a duration like 30s, "
					    "5m or 1m30s", v);
				return -1;
			}
			continue;
		}
		if (strcmp(a, "-A") == 0 || strcmp(a, "--all-namespaces") == 0 ||
		    strcmp(a, "--all-namespaces=true") == 0) {
			o->all_ns = true;
		} else if (strcmp(a, "--all-namespaces=false") == 0) {
			o->all_ns = false;
		} else if (strcmp(a, "--with-source") == 0 ||
			   strcmp(a, "--with-source=true") == 0) {
			o->with_source = true;
		} else if (strcmp(a, "--with-source=false") == 0) {
			o->with_source = false;
		} else if (strcmp(a, "--dry-run") == 0 || strcmp(a, "--dry-run=true") == 0) {
			o->dry_run = true;
		} else if (strcmp(a, "--dry-run=false") == 0) {
			o->dry_run = false;
		} else if (strcmp(a, "--strict-substitute") == 0 ||
			   strcmp(a, "--strict-substitute=true") == 0) {
			o->strict_subst = true;
		} else if (strcmp(a, "--strict-substitute=false") == 0) {
			o->strict_subst = false;
		} else if (strcmp(a, "--wait") == 0 || strcmp(a, "--wait=true") == 0) {
			o->wait = true;
		} else if (strcmp(a, "--wait=false") == 0) {
			o->wait = false;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			o->help = true;
		} else {
			fprintf(stderr, "✗ unknown flag: %s\nRun 'eddy %s --help' for usage.\n",
				a, argv[0]);
			return -1;
		}
	}
	if (o->output && strcmp(o->output, "json") != 0 && strcmp(o->output, "yaml") != 0) {
		cli_failure("invalid --output \"%s\"; use json or yaml", o->output);
		return -1;
	}
	return 0;
}

const char *cli_namespace(const cli_opts *o)
{
	if (o->ns && *o->ns)
		return o->ns;
	const char *env = getenv("FLUX_SYSTEM_NAMESPACE");
	return env && *env ? env : "flux-system";
}

kube_client *cli_client(const cli_opts *o)
{
	kube_config c;
	err e = {0};
	memset(&c, 0, sizeof(c));
	if (kube_config_auto(&c, o->kubeconfig, o->context, &e) < 0) {
		cli_failure("cannot load the kubeconfig: %s", e.msg);
		fprintf(stderr, "  pass --kubeconfig PATH (and --context NAME), "
				"or set KUBECONFIG\n");
		kube_config_release(&c);
		return NULL;
	}
	c.timeout_ms = 15000;
	kube_client *k = kube_client_new(&c, &e);
	kube_config_release(&c);
	if (!k)
		cli_failure("cannot create a Kubernetes client: %s", e.msg);
	return k;
}

/* ---------------------------------------------------------------- messages */

bool cli_color(int fd)
{
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return false;
	return isatty(fd) == 1;
}

static void msg(const char *sym, const char *color, const char *fmt, va_list ap)
{
	bool c = cli_color(2);
	if (c)
		fprintf(stderr, "%s%s\033[0m ", color, sym);
	else
		fprintf(stderr, "%s ", sym);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define MSGFN(name, sym, color) \
	void name(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		msg(sym, color, fmt, ap); \
		va_end(ap); \
	}
MSGFN(cli_action, "►", "\033[36m")
MSGFN(cli_success, "✔", "\033[32m")
MSGFN(cli_waiting, "◎", "\033[33m")
MSGFN(cli_failure, "✗", "\033[31m")

int cli_kube_error(const cli_kind *k, const char *ns, const char *name, const err *e)
{
	switch (kube_errkind_of(e)) {
	case KUBE_ENOTFOUND:
		if (name)
			cli_failure("%s %s not found in %s namespace; list them with 'eddy get %s "
				    "-n %s' (or -A for every namespace)", k ? k->kind : "object",
				    name, ns ? ns : "", k ? k->plural : "all", ns ? ns : "");
		else
			cli_failure("%s: %s; are the CRDs installed? run 'eddy check'",
				    k ? k->kind : "object", e->msg);
		break;
	case KUBE_ETRANSPORT:
		cli_failure("cannot reach the API server: %s; check --kubeconfig/--context, "
			    "or run 'eddy check'", e->msg);
		break;
	case KUBE_EFORBIDDEN:
	case KUBE_EUNAUTHORIZED:
		cli_failure("access denied: %s; check the credentials of your kubeconfig context",
			    e->msg);
		break;
	default:
		cli_failure("%s", e->msg);
	}
	return 1;
}

/* ---------------------------------------------------------------- status */

const char *cli_condition(const cJSON *obj, const char *type, const char **msg_out)
{
	const cJSON *conds = yml_get_path(obj, "status.conditions");
	const cJSON *c;
	*msg_out = NULL;
	cJSON_ArrayForEach(c, conds) {
		const char *t = yml_get_string(c, "type");
		if (t && strcmp(t, type) == 0) {
			const char *m = yml_get_string(c, "message");
			*msg_out = m ? m : "";
			const char *s = yml_get_string(c, "status");
			return s ? s : "Unknown";
		}
	}
	return NULL;
}

const char *cli_ready(const cJSON *obj, const char **msg_out)
{
	const char *s = cli_condition(obj, "Ready", msg_out);
	if (!s) {
		*msg_out = "waiting to be reconciled";
		return "False";
	}
	return s;
}

const char *cli_revision(const cJSON *obj)
{
	static const char *paths[] = {
		"status.lastAppliedRevision", "status.artifact.revision",
		"status.history.0.chartVersion", "status.lastAttemptedRevision",
		"status.latestRef.tag", "status.latestImage", "status.lastPushCommit",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const char *r = yml_get_string(obj, paths[i]);
		if (r && *r)
			return r;
	}
	return "";
}

bool cli_suspended(const cJSON *obj)
{
	return cJSON_IsTrue(yml_get_path(obj, "spec.suspend"));
}

/* ---------------------------------------------------------------- tables */

void cli_table_init(cli_table *t, int ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void cli_table_row(cli_table *t, const char *const *cols)
{
	if (t->nrows >= t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 16;
		t->cells = xrealloc(t->cells, (size_t)t->alloc * (size_t)t->ncols * sizeof(char *));
	}
	for (int c = 0; c < t->ncols; c++) {
		/* one line per cell: newlines in messages would break the table */
		char *s = xstrdup(cols[c] ? cols[c] : "");
		for (char *p = s; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = ' ';
		t->cells[t->nrows * t->ncols + c] = s;
	}
	t->nrows++;
}

static size_t utf8_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

void cli_table_print(const cli_table *t)
{
	size_t *w = xcalloc((size_t)t->ncols, sizeof(size_t));
	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols; c++) {
			size_t l = utf8_width(t->cells[r * t->ncols + c]);
			if (l > w[c])
				w[c] = l;
		}
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			if (c == t->ncols - 1) {
				fputs(s, stdout);
				break;
			}
			fputs(s, stdout);
			for (size_t p = utf8_width(s); p < w[c] + 3; p++)
				fputc(' ', stdout);
		}
		fputc('\n', stdout);
	}
	free(w);
}

void cli_table_release(cli_table *t)
{
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

int cli_print_obj(const cJSON *obj, const char *format)
{
	if (strcmp(format, "json") == 0) {
		char *s = cJSON_Print(obj);
		puts(s);
		free(s);
		return 0;
	}
	buf b;
	err e = {0};
	buf_init(&b, (size_t)256 << 20);
	if (yml_emit(&b, obj, &e) < 0) {
		cli_failure("cannot print YAML: %s", e.msg);
		buf_release(&b);
		return 1;
	}
	fputs(buf_str(&b), stdout);
	buf_release(&b);
	return 0;
}

/* ---------------------------------------------------------------- time */

int64_t cli_duration_ms(const char *s)
{
	int64_t total = 0;
	if (!s || !*s)
		return -1;
	while (*s) {
		char *end;
		errno = 0;
		double v = strtod(s, &end);
		if (end == s || errno || v < 0)
			return -1;
		int64_t mul;
		if (strncmp(end, "ms", 2) == 0) {
			mul = 1;
			end += 2;
		} else if (*end == 's') {
			mul = 1000;
			end++;
		} else if (*end == 'm') {
			mul = 60000;
			end++;
		} else if (*end == 'h') {
			mul = 3600000;
			end++;
		} else {
			return -1;
		}
		if (v > 1e9)
			return -1;
		total += (int64_t)(v * (double)mul);
		s = end;
	}
	return total;
}

int64_t cli_age_s(const char *ts)
{
	struct tm tm;
	if (!ts)
		return -1;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -1;
	time_t t = timegm(&tm);
	int64_t d = (int64_t)(time(NULL) - t);
	return d < 0 ? 0 : d;
}

void cli_age_text(int64_t s, char *out, size_t n)
{
	if (s < 0)
		snprintf(out, n, "<unknown>");
	else if (s < 120)
		snprintf(out, n, "%llds", (long long)s);
	else if (s < 600)
		snprintf(out, n, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 3 * 3600)
		snprintf(out, n, "%lldm", (long long)(s / 60));
	else if (s < 8 * 3600)
		snprintf(out, n, "%lldh%lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s < 48 * 3600)
		snprintf(out, n, "%lldh", (long long)(s / 3600));
	else if (s < 8 * 86400)
		snprintf(out, n, "%lldd%lldh", (long long)(s / 86400),
			 (long long)(s % 86400 / 3600));
	else
		snprintf(out, n, "%lldd", (long long)(s / 86400));
}


void cli_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
