/* gitignore-style matching for artifacts (see eddy/ignore.h). */
#include "eddy/ignore.h"
#include "eddy/buf.h"
#include "eddy/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_SEGMENTS = 128, MAX_IGNORE_FILE = 1 << 20, MAX_WALK_DEPTH = 256 };

struct pattern {
	char *domain;   /* "" or "a/b" */
	char **segs;    /* the glob split at '/', NULL-terminated */
	bool negate;
	bool dir_only;
	bool anchored;  /* matched against the whole path below domain, not just the name */
};

struct ign_rules {
	struct pattern *p;
	unsigned n, cap;
};

static const char *VCS_EXCLUDES = ".git/\n.gitignore\n.gitmodules\n.gitattributes\n";
static const char *DEFAULT_EXCLUDES =
	"*.jpg\n*.jpeg\n*.gif\n*.png\n*.wmv\n*.flv\n*.tar.gz\n*.zip\n"
	".github/\n.circleci/\n.travis.yml\n.gitlab-ci.yml\nappveyor.yml\n.drone.yml\n"
	"cloudbuild.yaml\ncodeship-services.yml\ncodeship-steps.yml\n"
	"**/.goreleaser.yml\n**/.sops.yaml\n**/.flux.yaml\n";

ign_rules *ign_new(void)
{
	return xcalloc(1, sizeof(ign_rules));
}

void ign_free(ign_rules *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < r->n; i++) {
		free(r->p[i].domain);
		for (char **s = r->p[i].segs; *s; s++)
			free(*s);
		free(r->p[i].segs);
	}
	free(r->p);
	free(r);
}

unsigned ign_count(const ign_rules *r)
{
	return r->n;
}

static char **split_segments(const char *glob)
{
	size_t cap = 4, n = 0;
	char **segs = xmalloc(cap * sizeof *segs);
	for (const char *s = glob; *s && n < MAX_SEGMENTS;) {
		const char *end = strchr(s, '/');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (len) {
			if (n + 1 >= cap)
				segs = xrealloc(segs, (cap *= 2) * sizeof *segs);
			segs[n++] = xstrndup(s, len);
		}
		s += len;
		while (*s == '/')
			s++;
	}
	segs[n] = NULL;
	return segs;
}

static void add_line(ign_rules *r, char *line, const char *domain)
{
	size_t len = strlen(line);
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	/* trailing spaces are dropped unless escaped */
	while (len && line[len - 1] == ' ' && !(len > 1 && line[len - 2] == '\\'))
		line[--len] = '\0';
	if (!len || line[0] == '#')
		return;
	struct pattern pat = { 0 };
	char *s = line;
	if (*s == '!') {
		pat.negate = true;
		s++;
	} else if (*s == '\\' && (s[1] == '!' || s[1] == '#')) {
		s++;
	}
	len = strlen(s);
	if (len && s[len - 1] == '/') {
		pat.dir_only = true;
		s[--len] = '\0';
	}
	if (!len)
		return;
	pat.anchored = strchr(s, '/') != NULL;
	pat.segs = split_segments(s);
	if (!pat.segs[0]) {
		free(pat.segs);
		return;
	}
	pat.domain = xstrdup(domain ? domain : "");
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->p = xrealloc(r->p, r->cap * sizeof *r->p);
	}
	r->p[r->n++] = pat;
}

void ign_add_text(ign_rules *r, const char *text, const char *domain)
{
	char *copy = xstrdup(text), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		add_line(r, line, domain);
	free(copy);
}

/* Segment-wise glob match where "**" spans zero or more segments, by dynamic programming over
 * (pattern prefix, path prefix): linear in their product, no backtracking blow-up. */
static bool match_segs(char **pat, char **path)
{
	size_t np = 0, nt = 0;
	while (pat[np])
		np++;
	while (path[nt])
		nt++;
	/* A trailing double star matches what is inside, never the directory itself. */
	bool trailing = np && !strcmp(pat[np - 1], "**");
	size_t upto = trailing ? np - 1 : np;
	/* reach[i][j]: pat[0..i) matches path[0..j) */
	bool *reach = xcalloc((upto + 1) * (nt + 1), sizeof *reach);
#define R(i, j) reach[(i) * (nt + 1) + (j)]
	R(0, 0) = true;
	for (size_t i = 0; i < upto; i++) {
		if (!strcmp(pat[i], "**")) {
			bool any = false;
			for (size_t j = 0; j <= nt; j++) {
				any = any || R(i, j);
				R(i + 1, j) = any;
			}
		} else {
			for (size_t j = 0; j < nt; j++)
				R(i + 1, j + 1) = R(i, j) && fnmatch(pat[i], path[j], 0) == 0;
		}
	}
	bool m = false;
	if (!trailing)
		m = R(upto, nt);
	else
		for (size_t k = 0; k < nt && !m; k++)
			m = R(upto, k);
#undef R
	free(reach);
	return m;
}

static bool pattern_matches(const struct pattern *pat, char **segs, unsigned nsegs, bool is_dir)
{
	if (pat->dir_only && !is_dir)
		return false;
	unsigned skip = 0;
	if (pat->domain[0]) {
		char **dsegs = split_segments(pat->domain);
		bool inside = true;
		for (; dsegs[skip]; skip++)
			if (skip >= nsegs || strcmp(dsegs[skip], segs[skip]) != 0)
				inside = false;
		for (char **s = dsegs; *s; s++)
			free(*s);
		free(dsegs);
		if (!inside || skip >= nsegs)
			return false;
	}
	if (!pat->anchored)
		return fnmatch(pat->segs[0], segs[nsegs - 1], 0) == 0;
	return match_segs(pat->segs, segs + skip);
}

bool ign_match(const ign_rules *r, const char *relpath, bool is_dir)
{
	char **segs = split_segments(relpath);
	unsigned n = 0;
	while (segs[n])
		n++;
	bool ignored = false;
	if (n) {
		for (unsigned i = r->n; i-- > 0;) {
			if (pattern_matches(&r->p[i], segs, n, is_dir)) {
				ignored = !r->p[i].negate;
				break;
			}
		}
	}
	for (char **s = segs; *s; s++)
		free(*s);
	free(segs);
	return ignored;
}

static int read_small_file(const char *path, buf *out, err *e)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return err_fail(e, "SourceIgnoreError", "read .sourceignore: %s", strerror(errno));
	char chunk[4096];
	size_t n;
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (buf_add(out, chunk, n) != 0) {
			rc = err_fail(e, "SourceIgnoreError", ".sourceignore larger than %d bytes",
				      MAX_IGNORE_FILE);
			break;
		}
	fclose(f);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load .sourceignore files top-down (parents before children), skipping .git. */
static int load_tree(ign_rules *r, const char *root, const char *rel, unsigned depth, err *e)
{
	if (depth > MAX_WALK_DEPTH)
		return 0;
	char *dir = rel[0] ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	char *file = xasprintf("%s/.sourceignore", dir);
	struct stat st;
	int rc = 0;
	if (lstat(file, &st) == 0 && S_ISREG(st.st_mode)) {
		buf b;
		buf_init(&b, MAX_IGNORE_FILE);
		rc = read_small_file(file, &b, e);
		if (rc == 0)
			ign_add_text(r, buf_str(&b), rel);
		buf_release(&b);
	}
	free(file);
	DIR *d = rc == 0 ? opendir(dir) : NULL;
	char **subdirs = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, ".git"))
			continue;
		char *child = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (n == cap)
				subdirs = xrealloc(subdirs, (cap = cap ? cap * 2 : 8) * sizeof *subdirs);
			subdirs[n++] = xstrdup(de->d_name);
		}
		free(child);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(subdirs, n, sizeof *subdirs, cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *child_rel = rel[0] ? xasprintf("%s/%s", rel, subdirs[i]) : xstrdup(subdirs[i]);
		if (rc == 0)
			rc = load_tree(r, root, child_rel, depth + 1, e);
		free(child_rel);
		free(subdirs[i]);
	}
	free(subdirs);
	free(dir);
	return rc;
}

ign_rules *ign_for_source(const char *root, const char *spec_ignore, err *e)
{
	ign_rules *r = ign_new();
	ign_add_text(r, VCS_EXCLUDES, "");
	unsigned vcs = r->n;
	if (load_tree(r, root, "", 0, e) != 0) {
		ign_free(r);
		return NULL;
	}
	if (spec_ignore)
		ign_add_text(r, spec_ignore, "");
	if (r->n == vcs)
		ign_add_text(r, DEFAULT_EXCLUDES, "");
	return r;
}
