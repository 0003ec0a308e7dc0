/* chart: Helm charts: loading (directory or .tgz), dependencies, values, and rendering the way
 * `helm template` (Helm v4) does.
 *
 * A chart is loaded into memory once (chart_load) with hard limits: total and per-file
 * uncompressed bytes, file count, compression ratio, nesting of subcharts; symlinks that leave
 * the chart directory, absolute paths and `..` in archives are refused. The loaded chart is
 * owned by the caller and released with chart_free.
 *
 * Rendering (chart_render) applies Helm's steps in order: user values (already merged by the
 * caller from -f/--set, see chart_values_*), dependency conditions, tags and aliases, import
 * values, coalescing with every chart's values.yaml (globals flow down), values.schema.json
 * validation, the kubeVersion constraint, template execution (partials `_*` and NOTES.txt are not
 * printed), and the output of `helm template`: CRDs first when asked, manifests in Helm's install
 * order, then hooks, each as "---\n# Source: <path>\n<doc>\n". */
#ifndef EDDY_CHART_H
#define EDDY_CHART_H

#include "eddy/buf.h"
#include "eddy/err.h"
#include "eddy/tmpl.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct chart chart;

typedef struct chart_limits {
	size_t max_total;    /* uncompressed bytes of a chart with its subcharts (100 MiB) */
	size_t max_file;     /* bytes of one file (5 MiB, as Helm) */
	size_t max_files;    /* files (10000) */
	double max_ratio;    /* uncompressed / compressed bytes of an archive (200) */
} chart_limits;

/* Load a chart from a directory or a .tgz file. lim may be NULL for the defaults. */
int chart_load(const char *path, const chart_limits *lim, chart **out, err *e);
/* Load a chart from .tgz bytes in memory. */
int chart_load_archive(const void *data, size_t len, const chart_limits *lim, chart **out, err *e);
void chart_free(chart *c);
const char *chart_name(const chart *c);

/* The pieces of a render, for callers that install rather than print (helm-controller). */
typedef struct chart_doc {
	char *path;    /* template path, e.g. "mychart/templates/deployment.yaml" */
	char *content; /* the document, trimmed, without the "# Source:" line */
	char *kind;    /* its kind ("" when absent) */
	char *hook;    /* the helm.sh/hook annotation, or NULL for a plain manifest */
} chart_doc;

typedef struct chart_parts {
	chart_doc *docs;  /* manifests in Helm's install order, then hooks (ordered by kind) */
	size_t ndocs;
	char *notes;      /* the root chart's rendered NOTES.txt, or NULL */
	tmpl_val values;  /* the coalesced values the root chart saw (owned) */
} chart_parts;

/* Free what chart_render put into parts. */
void chart_parts_release(chart_parts *p);

typedef struct chart_render_opts {
	const char *release_name;
	const char *namespace;     /* "default" when NULL */
	const char *kube_version;  /* "v1.35.0" (helm v4.1.4's default) when NULL */
	bool include_crds;
	bool skip_tests;
	bool no_hooks;
	bool is_upgrade;
	bool enable_dns;           /* getHostByName resolves names (helm --enable-dns) */
	int revision;              /* 1 when 0 */
	const char *const *show_only; /* NULL-terminated template paths, or NULL for all */
	const char *const *api_versions; /* extra API versions (--api-versions), NULL-terminated */
	tmpl_limits tmpl;          /* template limits (zero = defaults) */
	size_t max_output;         /* bytes of the whole output (default 256 MiB) */
	chart_parts *parts;        /* when not NULL, also filled with the pieces (on success) */
} chart_render_opts;

/* Render with the user's values (borrowed; a map). Appends `helm template` output to out. */
int chart_render(chart *c, tmpl_val user_values, const chart_render_opts *o, buf *out, err *e);

/* User values, built the way `helm template` merges its flags: files first (later files win,
 * maps merged), then --set-json, --set, --set-string, --set-file, --set-literal in that order. */
/* Merge a values document (YAML text) into vals (a map). */
int chart_values_merge_yaml(tmpl_val vals, const char *text, size_t len, const char *name, err *e);
enum { CHART_SET = 0, CHART_SET_STRING = 1, CHART_SET_FILE = 2, CHART_SET_LITERAL = 3,
       CHART_SET_JSON = 4 };
/* Apply one --set style argument ("a.b=1,c[0]=x") with Helm's strvals rules. */
int chart_values_set(tmpl_val vals, const char *arg, int mode, err *e);

#endif
