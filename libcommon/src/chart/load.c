/* Loading charts from directories and .tgz archives, with .helmignore and hard limits. */
#include "eddy/ardl.h"
#include "eddy/mem.h"
#include "eddy/semver.h"
#include "chart/internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_SUBCHART_DEPTH = 20, MAX_DIR_DEPTH = 64 };

static const chart_limits default_limits = {
	.max_total = 100u << 20, .max_file = 5u << 20, .max_files = 10000, .max_ratio = 200,
};

typedef struct flist {
	cfile *f;
	size_t n, cap;
	size_t total;
} flist;

static void flist_add(flist *l, const char *name, char *data, size_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->f = xrealloc(l->f, l->cap * sizeof *l->f);
	}
	l->f[l->n].name = xstrdup(name);
	l->f[l->n].data = data;
	l->f[l->n].len = len;
	l->n++;
	l->total += len;
}

static void flist_release(flist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->f[i].name);
		free(l->f[i].data);
	}
	free(l->f);
	memset(l, 0, sizeof *l);
}

/* ---- .helmignore ---- */

typedef struct rule { char *pat; bool negate, dir_only, base_only; } rule;
typedef struct rules { rule *r; size_t n; } rules;

static void rules_add(rules *rs, const char *line)
{
	char *p = xstrdup(line);
	size_t l = strlen(p);
	while (l && (p[l - 1] == ' ' || p[l - 1] == '\t' || p[l - 1] == '\r'))
		p[--l] = 0;
	char *s = p;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || *s == '#' || strstr(s, "**")) {
		free(p);
		return;
	}
	rule r = {0};
	if (*s == '!') {
		r.negate = true;
		s++;
	}
	l = strlen(s);
	if (l && s[l - 1] == '/') {
		r.dir_only = true;
		s[--l] = 0;
	}
	if (*s == '/')
		s++;
	r.base_only = strchr(s, '/') == NULL;
	r.pat = xstrdup(s);
	free(p);
	rs->r = xrealloc(rs->r, (rs->n + 1) * sizeof *rs->r);
	rs->r[rs->n++] = r;
}

static void rules_free(rules *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->r[i].pat);
	free(rs->r);
}

static bool rules_ignore(const rules *rs, const char *path, bool is_dir)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < rs->n; i++) {
		const rule *r = &rs->r[i];
		bool m;
		if (r->base_only)
			m = fnmatch(r->pat, base, 0) == 0;
		else
			m = fnmatch(r->pat, path, FNM_PATHNAME) == 0;
		/* Helm's rules: a negated rule ignores everything it does not match */
		if (r->negate) {
			if (r->dir_only && !is_dir)
				return true;
			if (!m)
				return true;
			continue;
		}
		if (r->dir_only && !is_dir)
			continue;
		if (m)
			return true;
	}
	return false;
}

/* ---- directories ---- */

static int read_file_capped(const char *path, size_t cap, char **data, size_t *len, err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_fail(e, "ChartLoadError", "open %s: %s", path, strerror(errno));
	buf b;
	buf_init(&b, cap);
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
		if (buf_add(&b, tmp, n)) {
			fclose(f);
			buf_release(&b);
			return err_fail(e, "ChartLoadError", "file %s is larger than the limit of "
					"%zu bytes", path, cap);
		}
	}
	fclose(f);
	*data = buf_detach(&b, len);
	return 0;
}

typedef struct walkctx {
	const char *root_real;
	const chart_limits *lim;
	rules rs;
	flist files;
	err *e;
} walkctx;

static int walk_dir(walkctx *w, const char *abs, const char *rel, int depth)
{
	if (depth > MAX_DIR_DEPTH)
		return err_fail(w->e, "ChartLoadError", "chart directory nesting too deep at %s", rel);
	DIR *d = opendir(abs);
	if (!d)
		return err_fail(w->e, "ChartLoadError", "open %s: %s", abs, strerror(errno));
	/* sorted entries for a deterministic order */
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	for (size_t i = 0; i + 1 < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(names[i], names[j]) > 0) {
				char *t = names[i];
				names[i] = names[j];
				names[j] = t;
			}
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		char *cabs = xasprintf("%s/%s", abs, names[i]);
		char *crel = rel[0] ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		struct stat st;
		if (lstat(cabs, &st)) {
			rc = err_fail(w->e, "ChartLoadError", "stat %s: %s", crel, strerror(errno));
		} else {
			if (S_ISLNK(st.st_mode)) {
				char real[PATH_MAX];
				size_t rl = strlen(w->root_real);
				if (!realpath(cabs, real) || strncmp(real, w->root_real, rl) ||
				    (real[rl] != '/' && real[rl] != 0)) {
					rc = err_fail(w->e, "ChartLoadError", "chart contains a symlink "
						      "that points outside the chart: %s", crel);
				} else if (stat(cabs, &st)) {
					rc = err_fail(w->e, "ChartLoadError", "stat %s: %s", crel,
						      strerror(errno));
				}
			}
			bool is_dir = S_ISDIR(st.st_mode);
			bool hidden_tpl = !strncmp(crel, "templates/", 10) &&
					  strrchr(crel, '/')[1] == '.';
			if (rc) {
			} else if (rules_ignore(&w->rs, crel, is_dir) || hidden_tpl) {
			} else if (is_dir) {
				rc = walk_dir(w, cabs, crel, depth + 1);
			} else if (S_ISREG(st.st_mode)) {
				if (w->files.n >= w->lim->max_files) {
					rc = err_fail(w->e, "ChartLoadError", "chart has more than %zu "
						      "files", w->lim->max_files);
				} else {
					char *data;
					size_t len;
					rc = read_file_capped(cabs, w->lim->max_file, &data, &len, w->e);
					if (!rc) {
						flist_add(&w->files, crel, data, len);
						if (w->files.total > w->lim->max_total)
							rc = err_fail(w->e, "ChartLoadError", "chart is "
								      "larger than %zu bytes",
								      w->lim->max_total);
					}
				}
			}
		}
		free(cabs);
		free(crel);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- archives ---- */

static int safe_name(const char *name)
{
	if (name[0] == '/' || strstr(name, "\\"))
		return -1;
	const char *p = name;
	while (*p) {
		size_t l = strcspn(p, "/");
		if (l == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		p += l;
		if (*p == '/')
			p++;
	}
	return 0;
}

static int read_archive(const void *data, size_t len, const chart_limits *lim, flist *out,
			err *e)
{
	/* libarchive is loaded on first use (eddy/ardl.h) */
	if (ardl_load(e) < 0) {
		snprintf(e->reason, sizeof e->reason, "ChartLoadError");
		return -1;
	}
	struct archive *a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_all(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		int rc = err_fail(e, "ChartLoadError", "cannot read chart archive: %s",
				  archive_error_string(a));
		archive_read_free(a);
		return rc;
	}
	struct archive_entry *ent;
	int rc = 0;
	size_t total = 0;
	for (;;) {
		int r = archive_read_next_header(a, &ent);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = err_fail(e, "ChartLoadError", "cannot read chart archive: %s",
				      archive_error_string(a));
			break;
		}
		const char *name = archive_entry_pathname(ent);
		if (!name) {
			rc = err_fail(e, "ChartLoadError", "archive entry without a name");
			break;
		}
		if (safe_name(name)) {
			rc = err_fail(e, "ChartLoadError", "chart illegally contains content outside "
				      "the base directory: %s", name);
			break;
		}
		mode_t t = archive_entry_filetype(ent);
		if (t == AE_IFDIR)
			continue;
		if (t != AE_IFREG || archive_entry_hardlink(ent)) {
			rc = err_fail(e, "ChartLoadError", "chart archive contains a link or special "
				      "file: %s", name);
			break;
		}
		if (out->n >= lim->max_files) {
			rc = err_fail(e, "ChartLoadError", "chart archive has more than %zu files",
				      lim->max_files);
			break;
		}
		/* strip the first path element (the chart directory) */
		const char *slash = strchr(name, '/');
		if (!slash) {
			/* Helm ignores files at the top of the archive? It needs a directory. */
			continue;
		}
		const char *rel = slash + 1;
		while (*rel == '/')
			rel++;
		if (!*rel)
			continue;
		buf b;
		buf_init(&b, lim->max_file);
		char tmp[65536];
		la_ssize_t n;
		while ((n = archive_read_data(a, tmp, sizeof tmp)) > 0) {
			total += (size_t)n;
			if (buf_add(&b, tmp, (size_t)n)) {
				rc = err_fail(e, "ChartLoadError", "file %s in the chart archive is "
					      "larger than the limit of %zu bytes", rel, lim->max_file);
				break;
			}
			if (total > lim->max_total || (len > 0 && total > 1048576 &&
						       (double)total / (double)len > lim->max_ratio)) {
				rc = err_fail(e, "ChartLoadError", "chart archive decompresses to more "
					      "than the limit (%zu bytes or ratio %.0f)",
					      lim->max_total, lim->max_ratio);
				break;
			}
		}
		if (!rc && n < 0)
			rc = err_fail(e, "ChartLoadError", "cannot read chart archive: %s",
				      archive_error_string(a));
		if (rc) {
			buf_release(&b);
			break;
		}
		size_t dl;
		char *d = buf_detach(&b, &dl);
		/* a later entry with the same name replaces the earlier one */
		bool dup = false;
		for (size_t i = 0; i < out->n; i++)
			if (!strcmp(out->f[i].name, rel)) {
				free(out->f[i].data);
				out->f[i].data = d;
				out->f[i].len = dl;
				dup = true;
			}
		if (!dup)
			flist_add(out, rel, d, dl);
	}
	archive_read_free(a);
	return rc;
}

/* ---- building a chart from its files ---- */

static int build_chart(flist *fl, const chart_limits *lim, int depth, chart **out, err *e);

chart *chart_new_empty(void)
{
	chart *c = xcalloc(1, sizeof *c);
	c->meta = tmpl_map_new();
	c->values = tmpl_map_new();
	c->deps_meta = tmpl_nil();
	c->enabled = true;
	return c;
}

void chart_free(chart *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->alias);
	tmpl_val_free(c->meta);
	tmpl_val_free(c->values);
	tmpl_val_free(c->deps_meta);
	free(c->schema);
	for (size_t i = 0; i < c->ntemplates; i++) {
		free(c->templates[i].name);
		free(c->templates[i].data);
	}
	free(c->templates);
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].name);
		free(c->files[i].data);
	}
	free(c->files);
	for (size_t i = 0; i < c->ndeps; i++)
		chart_free(c->deps[i]);
	free(c->deps);
	free(c);
}

static char *memdup0(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

chart *chart_dup_shallow(const chart *src)
{
	chart *c = xcalloc(1, sizeof *c);
	c->name = xstrdup(src->name);
	c->alias = src->alias ? xstrdup(src->alias) : NULL;
	c->meta = tmpl_deep_copy(src->meta);
	c->values = tmpl_deep_copy(src->values);
	c->deps_meta = tmpl_deep_copy(src->deps_meta);
	if (src->schema) {
		c->schema = memdup0(src->schema, src->schema_len);
		c->schema_len = src->schema_len;
	}
	c->ntemplates = src->ntemplates;
	c->templates = xcalloc(src->ntemplates + 1, sizeof *c->templates);
	for (size_t i = 0; i < src->ntemplates; i++) {
		c->templates[i].name = xstrdup(src->templates[i].name);
		c->templates[i].data = memdup0(src->templates[i].data, src->templates[i].len);
		c->templates[i].len = src->templates[i].len;
	}
	c->nfiles = src->nfiles;
	c->files = xcalloc(src->nfiles + 1, sizeof *c->files);
	for (size_t i = 0; i < src->nfiles; i++) {
		c->files[i].name = xstrdup(src->files[i].name);
		c->files[i].data = memdup0(src->files[i].data, src->files[i].len);
		c->files[i].len = src->files[i].len;
	}
	c->ndeps = src->ndeps;
	c->deps = xcalloc(src->ndeps + 1, sizeof *c->deps);
	for (size_t i = 0; i < src->ndeps; i++) {
		c->deps[i] = chart_dup_shallow(src->deps[i]);
		c->deps[i]->parent = c;
	}
	c->enabled = src->enabled;
	return c;
}

const char *chart_name(const chart *c) { return c->name; }

static bool has_prefix(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

/* Whether the metadata read so far is a v1 chart's (Helm sets "v1" when Chart.yaml has none). */
static bool is_v1(tmpl_val meta)
{
	tmpl_val *av = meta.kind == TV_MAP ? tmpl_map_get(meta, "apiVersion") : NULL;
	return av && av->kind == TV_STRING && !strcmp(av->u.s->data, "v1");
}

/* Moves a file into the chart's .Files. */
static void keep_file(chart *c, cfile *f)
{
	c->files = xrealloc(c->files, (c->nfiles + 1) * sizeof(cfile));
	c->files[c->nfiles++] = *f;
	f->name = NULL;
	f->data = NULL;
}

static bool alias_ok(const char *a)
{
	for (; *a; a++)
		if (!isalnum((unsigned char)*a) && *a != '-' && *a != '_')
			return false;
	return true;
}

/* The rest of Helm's Metadata.Validate, once name and version are known to be there: the
 * name is a base name, the version is semver, the type is known, and the dependencies have
 * valid aliases and distinct names (alias or name). */
static int validate_meta(const chart *c, err *e)
{
	if (strchr(c->name, '/'))
		return err_fail(e, "ChartLoadError", "validation: chart.metadata.name \"%s\" is "
				"invalid", c->name);
	tmpl_val *v = tmpl_map_get(c->meta, "version");
	semver sv;
	err se;
	if (v->kind == TV_STRING && semver_parse(v->u.s->data, &sv, &se))
		return err_fail(e, "ChartLoadError", "validation: chart.metadata.version \"%s\" "
				"is invalid", v->u.s->data);
	tmpl_val *t = tmpl_map_get(c->meta, "type");
	if (t && t->kind == TV_STRING && t->u.s->len && strcmp(t->u.s->data, "application") &&
	    strcmp(t->u.s->data, "library"))
		return err_fail(e, "ChartLoadError", "validation: chart.metadata.type must be "
				"application or library");
	if (c->deps_meta.kind != TV_LIST)
		return 0;
	const struct tv_list *l = c->deps_meta.u.l;
	for (size_t i = 0; i < l->n; i++) {
		tmpl_val it = l->items[i];
		if (it.kind != TV_MAP)
			return err_fail(e, "ChartLoadError", "validation: dependencies must not "
					"contain empty or null nodes");
		tmpl_val *n = tmpl_map_get(it, "name"), *a = tmpl_map_get(it, "alias");
		const char *name = n && n->kind == TV_STRING ? n->u.s->data : "";
		const char *alias = a && a->kind == TV_STRING ? a->u.s->data : "";
		if (*alias && !alias_ok(alias))
			return err_fail(e, "ChartLoadError", "validation: dependency \"%s\" has "
					"disallowed characters in the alias", name);
		const char *key = *alias ? alias : name;
		for (size_t j = 0; j < i; j++) {
			tmpl_val o = l->items[j];
			tmpl_val *on = tmpl_map_get(o, "name"), *oa = tmpl_map_get(o, "alias");
			const char *ok = oa && oa->kind == TV_STRING && oa->u.s->len ? oa->u.s->data
				: on && on->kind == TV_STRING ? on->u.s->data : "";
			if (!strcmp(ok, key))
				return err_fail(e, "ChartLoadError", "validation: more than one "
						"dependency with name or alias \"%s\"", key);
		}
	}
	return 0;
}

static int build_chart(flist *fl, const chart_limits *lim, int depth, chart **out, err *e)
{
	if (depth > MAX_SUBCHART_DEPTH)
		return err_fail(e, "ChartLoadError", "subcharts nested too deep");
	chart *c = chart_new_empty();
	int rc = 0;
	bool have_chart_yaml = false;
	tmpl_val reqs = tmpl_nil();
	/* subchart directories: charts/<name>/... */
	char **subdirs = NULL;
	size_t nsub = 0;
	/* Chart.yaml first, whatever the order of the archive: requirements.* depend on its
	 * apiVersion (Helm's LoadFiles does the same) */
	for (size_t i = 0; i < fl->n && !rc; i++) {
		cfile *f = &fl->f[i];
		if (!strcmp(f->name, "Chart.yaml")) {
			have_chart_yaml = true;
			tmpl_val_free(c->meta);
			c->meta = tmpl_nil();
			if (tmpl_from_yaml(f->data, f->len, true, &c->meta, e)) {
				err_prefix(e, "cannot load Chart.yaml");
				rc = -1;
			} else if (c->meta.kind != TV_MAP) {
				tmpl_val_free(c->meta);
				c->meta = tmpl_map_new();
			}
			/* Helm 2 accepted charts without an apiVersion: Helm loads them as v1 */
			tmpl_val *av = rc ? NULL : tmpl_map_get(c->meta, "apiVersion");
			if (!rc && (!av || av->kind == TV_NIL ||
				    (av->kind == TV_STRING && !av->u.s->len)))
				tmpl_map_set(c->meta, "apiVersion", tmpl_str("v1"));
		}
	}
	for (size_t i = 0; i < fl->n && !rc; i++) {
		cfile *f = &fl->f[i];
		if (!strcmp(f->name, "Chart.yaml")) {
			/* read above */
		} else if (!strcmp(f->name, "values.yaml")) {
			tmpl_val_free(c->values);
			c->values = tmpl_nil();
			if (tmpl_from_yaml(f->data, f->len, false, &c->values, e)) {
				err_prefix(e, "cannot load values.yaml");
				rc = -1;
			} else if (c->values.kind != TV_MAP) {
				tmpl_val_free(c->values);
				c->values = tmpl_map_new();
			}
		} else if (!strcmp(f->name, "values.schema.json")) {
			c->schema = memdup0(f->data, f->len);
			c->schema_len = f->len;
		} else if (!strcmp(f->name, "requirements.yaml")) {
			tmpl_val r;
			if (tmpl_from_yaml(f->data, f->len, true, &r, e)) {
				err_prefix(e, "cannot load requirements.yaml");
				rc = -1;
			} else {
				tmpl_val_free(reqs);
				reqs = r;
				if (is_v1(c->meta))
					keep_file(c, f);
			}
		} else if (!strcmp(f->name, "Chart.lock") || !strcmp(f->name, "requirements.lock")) {
			/* lock files are not rendered; a v1 chart's requirements.lock is in
			 * .Files */
			if (!strcmp(f->name, "requirements.lock") && is_v1(c->meta))
				keep_file(c, f);
		} else if (has_prefix(f->name, "templates/")) {
			c->templates = xrealloc(c->templates, (c->ntemplates + 1) * sizeof(cfile));
			c->templates[c->ntemplates++] = *f;
			f->name = NULL;
			f->data = NULL;
		} else if (has_prefix(f->name, "charts/")) {
			const char *rest = f->name + 7;
			const char *sl = strchr(rest, '/');
			if (!sl) {
				size_t rl = strlen(rest);
				if (rl > 4 && !strcmp(rest + rl - 4, ".tgz")) {
					chart *sc;
					if (depth + 1 > MAX_SUBCHART_DEPTH) {
						rc = err_fail(e, "ChartLoadError", "subcharts nested "
							      "too deep");
						break;
					}
					flist sfl = {0};
					rc = read_archive(f->data, f->len, lim, &sfl, e);
					if (!rc)
						rc = build_chart(&sfl, lim, depth + 1, &sc, e);
					flist_release(&sfl);
					if (rc) {
						err_prefix(e, "error unpacking subchart %s in %s",
							   rest, "charts");
						break;
					}
					sc->parent = c;
					c->deps = xrealloc(c->deps, (c->ndeps + 1) * sizeof *c->deps);
					c->deps[c->ndeps++] = sc;
				} else {
					/* other files in charts/ (e.g. .prov) are plain files */
					c->files = xrealloc(c->files, (c->nfiles + 1) * sizeof(cfile));
					c->files[c->nfiles++] = *f;
					f->name = NULL;
					f->data = NULL;
				}
				continue;
			}
			char *dn = xstrndup(rest, (size_t)(sl - rest));
			bool seen = false;
			for (size_t k = 0; k < nsub; k++)
				if (!strcmp(subdirs[k], dn))
					seen = true;
			if (!seen) {
				subdirs = xrealloc(subdirs, (nsub + 1) * sizeof *subdirs);
				subdirs[nsub++] = dn;
			} else {
				free(dn);
			}
		} else {
			c->files = xrealloc(c->files, (c->nfiles + 1) * sizeof(cfile));
			c->files[c->nfiles++] = *f;
			f->name = NULL;
			f->data = NULL;
		}
	}
	for (size_t k = 0; k < nsub && !rc; k++) {
		char *pre = xasprintf("charts/%s/", subdirs[k]);
		size_t pl = strlen(pre);
		flist sfl = {0};
		for (size_t i = 0; i < fl->n; i++) {
			if (fl->f[i].name && has_prefix(fl->f[i].name, pre)) {
				flist_add(&sfl, fl->f[i].name + pl, fl->f[i].data, fl->f[i].len);
				fl->f[i].data = NULL;
			}
		}
		free(pre);
		chart *sc;
		rc = build_chart(&sfl, lim, depth + 1, &sc, e);
		flist_release(&sfl);
		if (rc)
			break;
		sc->parent = c;
		c->deps = xrealloc(c->deps, (c->ndeps + 1) * sizeof *c->deps);
		c->deps[c->ndeps++] = sc;
	}
	for (size_t k = 0; k < nsub; k++)
		free(subdirs[k]);
	free(subdirs);
	if (!rc && !have_chart_yaml)
		rc = err_fail(e, "ChartLoadError", "Chart.yaml file is missing");
	if (!rc) {
		tmpl_val *n = tmpl_map_get(c->meta, "name");
		tmpl_val *v = tmpl_map_get(c->meta, "version");
		tmpl_val *av = tmpl_map_get(c->meta, "apiVersion");
		if (!av || av->kind != TV_STRING || !av->u.s->len)
			rc = err_fail(e, "ChartLoadError",
				      "validation: chart.metadata.apiVersion is required");
		else if (!n || n->kind != TV_STRING || !n->u.s->len)
			rc = err_fail(e, "ChartLoadError",
				      "validation: chart.metadata.name is required");
		else if (!v || (v->kind != TV_STRING && v->kind != TV_INT && v->kind != TV_FLOAT))
			rc = err_fail(e, "ChartLoadError",
				      "validation: chart.metadata.version is required");
		else
			c->name = xstrdup(n->u.s->data);
	}
	if (!rc) {
		/* Helm reads requirements.yaml into the chart's metadata, whatever its apiVersion:
		 * its dependencies replace those of Chart.yaml */
		tmpl_val *d = tmpl_map_get(c->meta, "dependencies");
		tmpl_val *rd = reqs.kind == TV_MAP ? tmpl_map_get(reqs, "dependencies") : NULL;
		if (rd && rd->kind == TV_LIST)
			c->deps_meta = tmpl_deep_copy(*rd);
		else if (d && d->kind == TV_LIST)
			c->deps_meta = tmpl_deep_copy(*d);
		rc = validate_meta(c, e);
	}
	tmpl_val_free(reqs);
	if (rc) {
		chart_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int chart_load_archive(const void *data, size_t len, const chart_limits *lim, chart **out,
		       err *e)
{
	if (!lim)
		lim = &default_limits;
	flist fl = {0};
	int rc = read_archive(data, len, lim, &fl, e);
	if (!rc)
		rc = build_chart(&fl, lim, 0, out, e);
	flist_release(&fl);
	return rc;
}

int chart_load(const char *path, const chart_limits *lim, chart **out, err *e)
{
	if (!lim)
		lim = &default_limits;
	struct stat st;
	if (stat(path, &st))
		return err_fail(e, "ChartLoadError", "path \"%s\" not found", path);
	if (S_ISREG(st.st_mode)) {
		char *data;
		size_t len;
		if (read_file_capped(path, lim->max_total, &data, &len, e))
			return -1;
		int rc = chart_load_archive(data, len, lim, out, e);
		free(data);
		return rc;
	}
	char real[PATH_MAX];
	if (!realpath(path, real))
		return err_fail(e, "ChartLoadError", "path \"%s\" not found", path);
	walkctx w = {.root_real = real, .lim = lim, .e = e};
	rules_add(&w.rs, "templates/.?*");
	char *hi = xasprintf("%s/.helmignore", real);
	char *hd;
	size_t hl;
	err e2;
	if (access(hi, R_OK) == 0 && read_file_capped(hi, 1 << 20, &hd, &hl, &e2) == 0) {
		char *save = NULL;
		for (char *line = strtok_r(hd, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			rules_add(&w.rs, line);
		free(hd);
	}
	free(hi);
	int rc = walk_dir(&w, real, "", 0);
	rules_free(&w.rs);
	if (!rc)
		rc = build_chart(&w.files, lim, 0, out, e);
	flist_release(&w.files);
	return rc;
}
