/* `eddy helm template NAME CHART [flags]`: render a chart offline like `helm template`. */
#include "eddy/buf.h"
#include "eddy/chart.h"
#include "eddy/err.h"
#include "eddy/mem.h"
#include "eddy/tmpl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fputs("Usage: eddy helm template [NAME] CHART [flags]\n"
	      "  -f, --values FILE        values file (repeatable)\n"
	      "      --set k=v            set values (repeatable)\n"
	      "      --set-string k=v     set string values\n"
	      "      --set-file k=path    set values from files\n"
	      "      --set-literal k=v    set a literal string value\n"
	      "      --set-json k=json    set JSON values\n"
	      "  -n, --namespace NS       release namespace (default \"default\")\n"
	      "      --include-crds       print the CRDs of the chart first\n"
	      "      --skip-tests         do not print test hooks\n"
	      "      --no-hooks           do not print hooks\n"
	      "  -s, --show-only PATH     only print manifests from these templates\n"
	      "      --kube-version V     Kubernetes version for .Capabilities\n"
	      "  -a, --api-versions V     extra API versions for .Capabilities\n"
	      "      --is-upgrade         set .Release.IsUpgrade\n"
	      "      --enable-dns         let getHostByName resolve names\n"
	      "      --generate-name, -g  generate the release name\n", f);
}

/* One "template: LOC: executing "NAME" at <CTX>: REST" segment of a Go template error. */
typedef struct seg {
	const char *loc, *name, *rest;
	int loclen, namelen;
} seg;

static bool parse_seg(const char *m, seg *s)
{
	const char *pre = "template: ";
	if (strncmp(m, pre, strlen(pre)))
		return false;
	const char *loc = m + strlen(pre);
	const char *ex = strstr(loc, ": executing \"");
	const char *at = ex ? strstr(ex, "\" at <") : NULL;
	const char *ctxend = at ? strstr(at, ">: ") : NULL;
	if (!ex || !at || !ctxend)
		return false;
	s->loc = loc;
	s->loclen = (int)(ex - loc);
	s->name = ex + 12;
	s->namelen = (int)(ctxend + 1 - s->name);
	s->rest = ctxend + 3;
	return true;
}

#define RELEASE_NAME_RE "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

/* Helm's ValidateReleaseName: DNS-1123 labels joined by dots, at most 53 bytes. */
static bool release_name_ok(const char *n)
{
	size_t len = strlen(n);
	if (!len || len > 53)
		return false;
	bool label_start = true;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (c == '.') {
			if (label_start || n[i - 1] == '-')
				return false;
			label_start = true;
			continue;
		}
		if (!alnum && c != '-')
			return false;
		if (label_start && !alnum)
			return false;
		label_start = false;
	}
	return !label_start && n[len - 1] != '-';
}

/* After "error calling tpl: ": the text past `error during tpl function execution for "TPL": `
 * (TPL quoted as Go's %q), or NULL for any other tpl error. */
static const char *skip_tpl_prefix(const char *p)
{
	const char *pre = "error during tpl function execution for \"";
	if (strncmp(p, pre, strlen(pre)))
		return NULL;
	for (p += strlen(pre); *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	if (*p != '"' || strncmp(p + 1, ": ", 2))
		return NULL;
	return p + 3;
}

/* Helm v4's error output: required/fail as "execution error at (LOC): msg"; template errors in
 * a layered form (location, executing, message) when every function error on the way is an
 * include; anything else as Go printed it. */
static void print_error(const char *msg)
{
	seg s;
	if (!parse_seg(msg, &s)) {
		const char *pre = "template: ";
		if (!strncmp(msg, pre, strlen(pre))) {
			/* parse errors: "template: FILE:LINE: msg" */
			const char *loc = msg + strlen(pre);
			const char *c1 = strchr(loc, ':');
			const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (c1 && c2 && c2[1] == ' ') {
				const char *last = c2 + 2, *q;
				while ((q = strstr(last, ": ")))
					last = q + 2;
				fprintf(stderr, "Error: parse error at (%.*s): %s\n", (int)(c2 - loc),
					loc, last);
				return;
			}
		}
		fprintf(stderr, "Error: %s\n", msg);
		return;
	}
	/* required / fail anywhere in the chain (through include and tpl) */
	seg cur = s;
	bool plain = false; /* a tpl on the way: Helm prints the message as Go wrote it */
	for (;;) {
		const char *calling = "error calling ";
		if (strncmp(cur.rest, calling, strlen(calling)))
			break;
		const char *fn = cur.rest + strlen(calling);
		size_t fl = strcspn(fn, ":");
		const char *inner = fn + fl + 2;
		if ((fl == 8 && !strncmp(fn, "required", 8)) || (fl == 4 && !strncmp(fn, "fail", 4))) {
			fprintf(stderr, "Error: execution error at (%.*s): %s\n", s.loclen, s.loc, inner);
			return;
		}
		if (fl == 3 && !strncmp(fn, "tpl", 3)) {
			inner = skip_tpl_prefix(inner);
			plain = true;
		} else if (!(fl == 7 && !strncmp(fn, "include", 7))) {
			inner = NULL;
		}
		seg nx;
		if (!inner) {
			plain = true;
			break;
		}
		if (!parse_seg(inner, &nx))
			break;
		cur = nx;
	}
	if (plain) {
		fprintf(stderr, "Error: %s\n", msg);
		return;
	}
	fputs("Error: ", stderr);
	cur = s;
	for (;;) {
		fprintf(stderr, "%.*s\n  executing %.*s:\n    ", cur.loclen, cur.loc, cur.namelen,
			cur.name);
		const char *calling = "error calling include: ";
		if (!strncmp(cur.rest, calling, strlen(calling))) {
			const char *inner = cur.rest + strlen(calling);
			fputs("error calling include:\n", stderr);
			seg nx;
			if (parse_seg(inner, &nx)) {
				cur = nx;
				continue;
			}
			fprintf(stderr, "%s\n", inner);
			return;
		}
		fprintf(stderr, "%s\n", cur.rest);
		return;
	}
}

static int read_all(const char *path, buf *b, err *e)
{
	FILE *f = !strcmp(path, "-") ? stdin : fopen(path, "rb");
	if (!f)
		return err_fail(e, "ValuesError", "open %s: %s", path, strerror(errno));
	char tmp[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_add(b, tmp, n)) {
			rc = err_fail(e, "ValuesError", "%s is larger than the limit", path);
			break;
		}
	if (f != stdin)
		fclose(f);
	return rc;
}

typedef struct setarg { int mode; const char *v; } setarg;

static int helm_template(int argc, char **argv)
{
	const char *pos[2] = {0};
	int npos = 0;
	const char **files = xcalloc((size_t)argc + 1, sizeof *files);
	setarg *sets = xcalloc((size_t)argc + 1, sizeof *sets);
	const char **show = xcalloc((size_t)argc + 1, sizeof *show);
	const char **apis = xcalloc((size_t)argc + 1, sizeof *apis);
	int nfiles = 0, nsets = 0, nshow = 0, napis = 0;
	chart_render_opts o = {0};
	bool gen_name = false;
	int rc = 1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
		char flag[64];
		if (eq && (size_t)(eq - a) < sizeof flag) {
			snprintf(flag, sizeof flag, "%.*s", (int)(eq - a), a);
			val = eq + 1;
			a = flag;
		}
#define NEEDVAL()                                                                   \
	do {                                                                            \
		if (!val) {                                                             \
			if (i + 1 >= argc) {                                            \
				fprintf(stderr, "Error: flag needs an argument: %s\n", a); \
				goto out;                                               \
			}                                                               \
			val = argv[++i];                                                \
		}                                                                       \
	} while (0)
		if (!strcmp(a, "-f") || !strcmp(a, "--values")) {
			NEEDVAL();
			files[nfiles++] = val;
		} else if (!strcmp(a, "--set")) {
			NEEDVAL();
			sets[nsets++] = (setarg){CHART_SET, val};
		} else if (!strcmp(a, "--set-string")) {
			NEEDVAL();
			sets[nsets++] = (setarg){CHART_SET_STRING, val};
		} else if (!strcmp(a, "--set-file")) {
			NEEDVAL();
			sets[nsets++] = (setarg){CHART_SET_FILE, val};
		} else if (!strcmp(a, "--set-json")) {
			NEEDVAL();
			sets[nsets++] = (setarg){CHART_SET_JSON, val};
		} else if (!strcmp(a, "--set-literal")) {
			NEEDVAL();
			sets[nsets++] = (setarg){CHART_SET_LITERAL, val};
		} else if (!strcmp(a, "-n") || !strcmp(a, "--namespace")) {
			NEEDVAL();
			o.namespace = val;
		} else if (!strcmp(a, "--kube-version")) {
			NEEDVAL();
			o.kube_version = val;
		} else if (!strcmp(a, "-a") || !strcmp(a, "--api-versions")) {
			NEEDVAL();
			apis[napis++] = val;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--show-only")) {
			NEEDVAL();
			show[nshow++] = val;
		} else if (!strcmp(a, "--include-crds")) {
			o.include_crds = true;
		} else if (!strcmp(a, "--skip-tests")) {
			o.skip_tests = true;
		} else if (!strcmp(a, "--no-hooks")) {
			o.no_hooks = true;
		} else if (!strcmp(a, "--is-upgrade")) {
			o.is_upgrade = true;
		} else if (!strcmp(a, "--enable-dns")) {
			o.enable_dns = true;
		} else if (!strcmp(a, "-g") || !strcmp(a, "--generate-name")) {
			gen_name = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			rc = 0;
			goto out;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "Error: unknown flag: %s\n", a);
			goto out;
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			fprintf(stderr, "Error: expected at most 2 arguments\n");
			goto out;
		}
#undef NEEDVAL
	}
	if (npos == 0 || (npos == 1 && !gen_name && 0)) {
		fprintf(stderr, "Error: \"helm template\" requires at least 1 argument\n");
		goto out;
	}
	const char *name = npos == 2 ? pos[0] : "release-name";
	const char *chart_path = npos == 2 ? pos[1] : pos[0];
	o.release_name = name;
	if (nshow) {
		/* show-only paths: Helm matches the template path */
		show[nshow] = NULL;
		o.show_only = show;
	}
	if (napis) {
		apis[napis] = NULL;
		o.api_versions = apis;
	}
	err e;
	err_clear(&e);
	tmpl_val vals = tmpl_map_new();
	chart *c = NULL;
	buf out;
	buf_init(&out, 512u << 20);
	for (int i = 0; i < nfiles; i++) {
		buf b;
		buf_init(&b, 64u << 20);
		if (read_all(files[i], &b, &e) ||
		    chart_values_merge_yaml(vals, b.data ? b.data : "", b.len, files[i], &e)) {
			buf_release(&b);
			goto fail;
		}
		buf_release(&b);
	}
	static const int order[] = {CHART_SET_JSON, CHART_SET, CHART_SET_STRING, CHART_SET_FILE,
				    CHART_SET_LITERAL};
	for (int k = 0; k < 5; k++)
		for (int i = 0; i < nsets; i++)
			if (sets[i].mode == order[k] && chart_values_set(vals, sets[i].v,
									 sets[i].mode, &e)) {
				err_prefix(&e, "failed parsing --set data");
				goto fail;
			}
	if (chart_load(chart_path, NULL, &c, &e))
		goto fail;
	if (!*name) {
		err_fail(&e, "InvalidReleaseName", "release name check failed: release name \"\": "
			 "no name provided");
		goto fail;
	}
	if (!release_name_ok(name)) {
		err_fail(&e, "InvalidReleaseName", "release name check failed: release name "
			 "\"%s\": invalid release name, must match regex %s and the length must "
			 "not be longer than 53", name, RELEASE_NAME_RE);
		goto fail;
	}
	if (chart_render(c, vals, &o, &out, &e))
		goto fail;
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
	rc = 0;
	goto done;
fail:
	print_error(e.msg);
	rc = 1;
done:
	buf_release(&out);
	chart_free(c);
	tmpl_val_free(vals);
out:
	free(files);
	free(sets);
	free(show);
	free(apis);
	return rc;
}

int cmd_helm(int argc, char **argv)
{
	mem_install_hooks();
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (!strcmp(argv[1], "template"))
		return helm_template(argc - 2, argv + 2);
	fprintf(stderr, "Error: unknown helm command \"%s\" (only \"template\" is offline)\n",
		argv[1]);
	return 1;
}
