/* The working tree of a GitRepository reconcile (see workdir.h): removal, included artifacts,
 * Flux's symlink resolution and the sparse-checkout check. */
#include "workdir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/art.h"
#include "eddy/mem.h"

int workdir_remove(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = -1;
	if (slash) {
		*slash = 0;
		rc = art_remove_dir(*dir ? dir : "/", slash + 1, NULL);
	}
	free(dir);
	return rc;
}

int workdir_copy_include(const char *storage_path, const char *artifact_path, const char *from,
	const char *to, const char *checkout, const char *tmpbase, err *e)
{
	char *x = xasprintf("%s/inc-XXXXXX", tmpbase);
	int rc = -1;
	char *src = NULL, *dst = NULL, *full = NULL;
	if (!mkdtemp(x)) {
		err_fail(e, "CopyFailure", "cannot create a temporary directory: %s",
			strerror(errno));
		goto out;
	}
	full = xasprintf("%s/%s", storage_path, artifact_path);
	art_extract_limits lim = {0};
	if (art_extract(full, x, &lim, e) < 0)
		goto out;
	while (from && from[0] == '.' && from[1] == '/')
		from += 2;
	while (to && to[0] == '.' && to[1] == '/')
		to += 2;
	if ((from && strstr(from, "..")) || strstr(to, "..") || to[0] == '/') {
		err_set(e, ERR_STALLING, "IllegalPath", "include path '%s' is outside the source",
			from && strstr(from, "..") ? from : to);
		goto out;
	}
	src = from && *from && strcmp(from, ".") ? xasprintf("%s/%s", x, from) : xstrdup(x);
	dst = xasprintf("%s/%s", checkout, to);
	struct stat st;
	if (stat(src, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_fail(e, "CopyFailure", "failed to copy include: fromPath '%s' does not exist",
			from ? from : ".");
		goto out;
	}
	workdir_remove(dst);
	char *parent = xstrdup(dst);
	char *sl = strrchr(parent, '/');
	*sl = 0;
	int mk = art_mkdirs(parent, e);
	free(parent);
	if (mk < 0)
		goto out;
	if (rename(src, dst) < 0) {
		err_fail(e, "CopyFailure", "failed to copy include to '%s': %s", to,
			strerror(errno));
		goto out;
	}
	rc = 0;
out:
	workdir_remove(x);
	free(x);
	free(src);
	free(dst);
	free(full);
	return rc;
}

/* ---------------------------------------------------------------- symlinks */

/* Copies are bounded (depth, files, bytes) and a link to one of its own ancestors is left
 * alone. */
enum { SL_MAX_DEPTH = 32, SL_MAX_LINKS = 10000, SL_MAX_FILES = 100000 };

typedef struct slwalk {
	const char *root;          /* realpath of the checkout */
	char **path, **target;
	size_t n, cap;
	size_t files;
	uint64_t bytes, max_bytes;
} slwalk;

static bool inside(const char *root, const char *p)
{
	size_t l = strlen(root);
	return !strncmp(p, root, l) && (p[l] == '/' || !p[l]);
}

static void sl_collect(slwalk *w, const char *dir, int depth)
{
	if (depth > SL_MAX_DEPTH)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (depth == 0 && !strcmp(de->d_name, ".git")))
			continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode) && w->n < SL_MAX_LINKS) {
			char *t = realpath(p, NULL);
			if (t && inside(w->root, t) && !inside(t, p)) {
				if (w->n == w->cap) {
					w->cap = w->cap ? w->cap * 2 : 16;
					w->path = xrealloc(w->path, w->cap * sizeof *w->path);
					w->target = xrealloc(w->target, w->cap * sizeof *w->target);
				}
				w->path[w->n] = p;
				w->target[w->n++] = t;
				continue;
			}
			free(t);
		} else if (S_ISDIR(st.st_mode)) {
			sl_collect(w, p, depth + 1);
		}
		free(p);
	}
	closedir(d);
}

static int sl_copy_file(slwalk *w, const char *src, const char *dst)
{
	FILE *in = fopen(src, "rb");
	if (!in)
		return -1;
	struct stat st;
	FILE *out = NULL;
	int rc = -1;
	if (fstat(fileno(in), &st) < 0 || !S_ISREG(st.st_mode) || ++w->files > SL_MAX_FILES ||
	    (w->max_bytes && (w->bytes += (uint64_t)st.st_size) > w->max_bytes))
		goto out;
	out = fopen(dst, "wb");
	if (!out)
		goto out;
	char b[65536];
	size_t k;
	while ((k = fread(b, 1, sizeof b, in)) > 0)
		if (fwrite(b, 1, k, out) != k)
			goto out;
	rc = ferror(in) ? -1 : 0;
	fchmod(fileno(out), st.st_mode & 0777);
out:
	if (out && fclose(out) != 0)
		rc = -1;
	fclose(in);
	return rc;
}

static int sl_copy(slwalk *w, const char *src, const char *dst, int depth)
{
	struct stat st;
	if (depth > SL_MAX_DEPTH || stat(src, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return sl_copy_file(w, src, dst);
	if (mkdir(dst, st.st_mode & 0777) < 0 && errno != EEXIST)
		return -1;
	DIR *d = opendir(src);
	if (!d)
		return -1;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *s = xasprintf("%s/%s", src, de->d_name);
		char *t = xasprintf("%s/%s", dst, de->d_name);
		char *real = realpath(s, NULL);
		/* nested links: only to targets inside the checkout, never to an ancestor */
		if (real && inside(w->root, real) && !inside(real, dst))
			rc = sl_copy(w, real, t, depth + 1);
		free(real);
		free(s);
		free(t);
	}
	closedir(d);
	return rc;
}

int workdir_resolve_symlinks(const char *checkout, uint64_t max_bytes, err *e)
{
	char *root = realpath(checkout, NULL);
	if (!root)
		return err_fail(e, "ArchiveOperationFailed", "failed to resolve symlinks in "
			"repository: %s", strerror(errno));
	slwalk w = {.root = root, .max_bytes = max_bytes};
	sl_collect(&w, root, 0);
	int rc = 0;
	for (size_t i = w.n; i-- > 0;) {
		if (rc == 0 && unlink(w.path[i]) == 0 && sl_copy(&w, w.target[i], w.path[i], 0) < 0)
			rc = err_fail(e, "ArchiveOperationFailed", "failed to resolve symlinks in "
				"repository: cannot copy '%s'", w.path[i] + strlen(root) + 1);
		free(w.path[i]);
		free(w.target[i]);
	}
	free(w.path);
	free(w.target);
	free(root);
	return rc;
}

/* ---------------------------------------------------------------- sparse checkout */

int workdir_check_sparse(const char *checkout, const cJSON *sparse, err *e)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, sparse) {
		if (!cJSON_IsString(it))
			continue;
		const char *p = it->valuestring;
		while (p[0] == '.' && p[1] == '/')
			p += 2;
		char *full = xasprintf("%s/%s", checkout, p);
		struct stat st;
		int rc = strstr(p, "..") ? -1 : lstat(full, &st);
		free(full);
		if (rc < 0)
			return err_fail(e, "GitOperationFailed", "failed to sparse checkout "
				"directories : sparse checkout dir '%s' does not exist in "
				"repository", it->valuestring);
	}
	return 0;
}

