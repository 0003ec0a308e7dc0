/* Chart packaging and values-file merging (see eddy/chartpkg.h). */
#include "eddy/chartpkg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "eddy/ardl.h"
#include "eddy/ignore.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

#define PKG "ChartPackageError"
#define VAL "ValuesFilesError"

/* The whole of a regular file, capped. */
static int slurp(const char *path, uint64_t cap, const char *reason, char **data, size_t *len,
	err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_fail(e, reason, "open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_fail(e, reason, "%s is not a regular file", path);
	}
	if (cap && (uint64_t)st.st_size > cap) {
		close(fd);
		return err_fail(e, reason, "file '%s' exceeds the maximum file size of %llu bytes",
			path, (unsigned long long)cap);
	}
	buf b;
	buf_init(&b, cap ? (size_t)cap : ((size_t)1 << 32));
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			buf_release(&b);
			return err_fail(e, reason, "read %s: %s", path, strerror(errno));
		}
		if (n == 0)
			break;
		if (buf_add(&b, chunk, (size_t)n) < 0) {
			close(fd);
			buf_release(&b);
			return err_fail(e, reason, "file '%s' exceeds the maximum file size of "
				"%llu bytes", path, (unsigned long long)cap);
		}
	}
	close(fd);
	if (!b.data)
		buf_add(&b, "", 0);
	*data = buf_detach(&b, len);
	if (!*data)
		*data = xstrdup("");
	return 0;
}

static cJSON *chart_yaml(const char *dir, err *e)
{
	char *p = xasprintf("%s/Chart.yaml", dir);
	char *data;
	size_t len;
	cJSON *doc = NULL;
	if (slurp(p, 1 << 20, PKG, &data, &len, e) == 0) {
		yml_limits lim = {.max_bytes = 1 << 20, .max_depth = 64};
		err ye = {0};
		doc = yml_parse_one(data, len, &lim, &ye);
		if (!doc)
			err_fail(e, PKG, "cannot load Chart.yaml: %s", ye.msg);
		else if (!cJSON_IsObject(doc)) {
			cJSON_Delete(doc);
			doc = NULL;
			err_fail(e, PKG, "cannot load Chart.yaml: not a mapping");
		}
		free(data);
	} else if (errno == ENOENT || access(p, F_OK) != 0) {
		err_fail(e, PKG, "no Chart.yaml exists in directory '%s'", dir);
	}
	free(p);
	return doc;
}

int chartpkg_read_meta(const char *dir, char **name, char **version, err *e)
{
	cJSON *doc = chart_yaml(dir, e);
	if (!doc)
		return -1;
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, "name");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "version");
	int rc = 0;
	if (!cJSON_IsString(n) || !*n->valuestring)
		rc = err_fail(e, PKG, "validation: chart.metadata.name is required");
	else if (strchr(n->valuestring, '/') || !strcmp(n->valuestring, ".."))
		rc = err_fail(e, PKG, "validation: chart.metadata.name \"%s\" is invalid",
			n->valuestring);
	else if (!v || !(cJSON_IsString(v) || cJSON_IsNumber(v)) || !v->valuestring ||
		 !*v->valuestring)
		rc = err_fail(e, PKG, "validation: chart.metadata.version is required");
	if (rc == 0) {
		*name = xstrdup(n->valuestring);
		*version = xstrdup(v->valuestring);
	}
	cJSON_Delete(doc);
	return rc;
}

/* ---------------------------------------------------------------- packing */

typedef struct pack {
	struct archive *a;
	const chartpkg_opts *o;
	const char *root;
	const char *name;
	ign_rules *ign;
	uint64_t total;
	err *e;
} pack;

static int add_entry(pack *p, const char *rel, const char *data, size_t len)
{
	char *path = xasprintf("%s/%s", p->name, rel);
	struct archive_entry *ent = archive_entry_new();
	archive_entry_set_pathname(ent, path);
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_perm(ent, 0644);
	archive_entry_set_size(ent, (la_int64_t)len);
	archive_entry_set_uid(ent, 0);
	archive_entry_set_gid(ent, 0);
	archive_entry_set_mtime(ent, 0, 0);
	int rc = 0;
	if (archive_write_header(p->a, ent) != ARCHIVE_OK ||
	    (len && archive_write_data(p->a, data, len) != (la_ssize_t)len))
		rc = err_fail(p->e, PKG, "failed to package chart: %s",
			archive_error_string(p->a));
	archive_entry_free(ent);
	free(path);
	return rc;
}

static int add_file(pack *p, const char *rel)
{
	char *abs = xasprintf("%s/%s", p->root, rel);
	char *data;
	size_t len;
	int rc = slurp(abs, p->o->max_file, PKG, &data, &len, p->e);
	free(abs);
	if (rc < 0)
		return -1;
	p->total += len;
	if (p->o->max_bytes && p->total > p->o->max_bytes) {
		free(data);
		return err_fail(p->e, PKG, "chart exceeds the maximum chart size of %llu bytes",
			(unsigned long long)p->o->max_bytes);
	}
	rc = add_entry(p, rel, data, len);
	free(data);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(pack *p, const char *rel, int depth)
{
	if (depth > 64)
		return err_fail(p->e, PKG, "chart directory nesting too deep at '%s'", rel);
	char *abs = *rel ? xasprintf("%s/%s", p->root, rel) : xstrdup(p->root);
	DIR *d = opendir(abs);
	if (!d) {
		int rc = err_fail(p->e, PKG, "open %s: %s", *rel ? rel : ".", strerror(errno));
		free(abs);
		return rc;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof *names);
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *crel = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		char *cabs = xasprintf("%s/%s", abs, names[i]);
		struct stat st;
		if (lstat(cabs, &st) < 0) {
			rc = err_fail(p->e, PKG, "stat %s: %s", crel, strerror(errno));
		} else if (S_ISLNK(st.st_mode)) {
			rc = err_fail(p->e, PKG, "chart contains a symlink '%s': refused", crel);
		} else if (S_ISDIR(st.st_mode)) {
			if (!ign_match(p->ign, crel, true))
				rc = walk(p, crel, depth + 1);
		} else if (!S_ISREG(st.st_mode)) {
			rc = err_fail(p->e, PKG, "chart contains a special file '%s': refused",
				crel);
		} else if (!ign_match(p->ign, crel, false) && strcmp(crel, "Chart.yaml") &&
			   !(p->o->values && !strcmp(crel, "values.yaml"))) {
			/* templates/.* are ignored by Helm's default rules */
			if (strncmp(crel, "templates/", 10) || names[i][0] != '.')
				rc = add_file(p, crel);
		}
		free(crel);
		free(cabs);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(abs);
	return rc;
}

int chartpkg_pack_dir(const char *dir, const chartpkg_opts *o, const char *out_path, err *e)
{
	static const chartpkg_opts none = {0};
	if (!o)
		o = &none;
	if (ardl_load(e) < 0) {
		snprintf(e->reason, sizeof e->reason, PKG);
		return -1;
	}
	cJSON *meta = chart_yaml(dir, e);
	if (!meta)
		return -1;
	const cJSON *nm = cJSON_GetObjectItemCaseSensitive(meta, "name");
	if (!cJSON_IsString(nm) || !*nm->valuestring || strchr(nm->valuestring, '/')) {
		cJSON_Delete(meta);
		return err_fail(e, PKG, "validation: chart.metadata.name is required");
	}
	char *name = xstrdup(nm->valuestring);
	if (o->version) {
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "version");
		cJSON_AddStringToObject(meta, "version", o->version);
	}
	buf cy;
	buf_init(&cy, 1 << 20);
	int rc = yml_emit(&cy, meta, e);
	cJSON_Delete(meta);
	if (rc < 0) {
		free(name);
		buf_release(&cy);
		snprintf(e->reason, sizeof e->reason, PKG);
		return -1;
	}
	pack p = {.o = o, .root = dir, .name = name, .e = e, .ign = ign_new()};
	char *hi = xasprintf("%s/.helmignore", dir);
	char *hdata;
	size_t hlen;
	err he = {0};
	if (access(hi, F_OK) == 0 && slurp(hi, 1 << 20, PKG, &hdata, &hlen, &he) == 0) {
		ign_add_text(p.ign, hdata, "");
		free(hdata);
	}
	free(hi);
	char *tmp = xasprintf("%s.tmp-XXXXXX", out_path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		rc = err_fail(e, PKG, "failed to create temporary file for chart: %s",
			strerror(errno));
		goto out;
	}
	p.a = archive_write_new();
	archive_write_set_format_pax_restricted(p.a);
	archive_write_add_filter_gzip(p.a);
	archive_write_set_filter_option(p.a, "gzip", "timestamp", NULL);
	archive_write_set_bytes_in_last_block(p.a, 1);
	if (archive_write_open_fd(p.a, fd) != ARCHIVE_OK) {
		rc = err_fail(e, PKG, "failed to package chart: %s", archive_error_string(p.a));
	} else {
		rc = add_entry(&p, "Chart.yaml", cy.data, cy.len);
		if (rc == 0 && o->values)
			rc = add_entry(&p, "values.yaml", o->values, o->values_len);
		else if (rc == 0) {
			char *vp = xasprintf("%s/values.yaml", dir);
			struct stat st;
			if (lstat(vp, &st) == 0 && S_ISREG(st.st_mode))
				rc = add_file(&p, "values.yaml");
			free(vp);
			/* walk skips it only when replaced: mark it done by an ignore rule */
			ign_add_text(p.ign, "/values.yaml", "");
		}
		if (rc == 0)
			rc = walk(&p, "", 0);
		if (archive_write_close(p.a) != ARCHIVE_OK && rc == 0)
			rc = err_fail(e, PKG, "failed to package chart: %s",
				archive_error_string(p.a));
	}
	if (p.a)
		archive_write_free(p.a);
	close(fd);
	if (rc == 0 && rename(tmp, out_path) < 0)
		rc = err_fail(e, PKG, "failed to write chart to file: %s", strerror(errno));
	if (rc < 0)
		unlink(tmp);
out:
	free(tmp);
	ign_free(p.ign);
	buf_release(&cy);
	free(name);
	return rc;
}

/* ---------------------------------------------------------------- values */

/* Flux's transform.MergeMaps: b into a (both maps), maps merged recursively, anything else
 * replaced. Iterative over an explicit stack. */
static void merge_maps(cJSON *a, cJSON *b)
{
	size_t cap = 16, n = 0;
	cJSON **sa = xmalloc(cap * sizeof *sa), **sb = xmalloc(cap * sizeof *sb);
	sa[n] = a;
	sb[n++] = b;
	while (n) {
		cJSON *x = sa[--n], *y = sb[n];
		cJSON *it = y->child;
		while (it) {
			cJSON *nx = it->next;
			cJSON *cur = cJSON_GetObjectItemCaseSensitive(x, it->string);
			if (cur && cJSON_IsObject(cur) && cJSON_IsObject(it)) {
				if (n == cap) {
					cap *= 2;
					sa = xrealloc(sa, cap * sizeof *sa);
					sb = xrealloc(sb, cap * sizeof *sb);
				}
				sa[n] = cur;
				sb[n++] = it;
			} else {
				cJSON *moved = cJSON_DetachItemViaPointer(y, it);
				cJSON_DeleteItemFromObjectCaseSensitive(x, moved->string);
				cJSON_AddItemToObject(x, moved->string, moved);
				/* AddItemToObject copies the key before freeing the item's */
			}
			it = nx;
		}
	}
	free(sa);
	free(sb);
}

/* base/rel must stay inside base: no absolute paths, no "..", no symlinks on the way. */
static char *safe_join(const char *base, const char *rel)
{
	if (!rel || !*rel || rel[0] == '/')
		return NULL;
	const char *p = rel;
	while (*p) {
		size_t l = strcspn(p, "/");
		if (l == 2 && !strncmp(p, "..", 2))
			return NULL;
		p += l;
		while (*p == '/')
			p++;
	}
	char *abs = xasprintf("%s/%s", base, rel);
	char rb[PATH_MAX], ra[PATH_MAX];
	if (!realpath(base, rb) || !realpath(abs, ra) || strncmp(ra, rb, strlen(rb)) ||
	    (ra[strlen(rb)] && ra[strlen(rb)] != '/')) {
		free(abs);
		return NULL;
	}
	return abs;
}

int chartpkg_merge_values(const char *base, const char *const *files, size_t n,
	bool ignore_missing, uint64_t max_file, bool *used_mask, buf *out, err *e)
{
	cJSON *merged = cJSON_CreateObject();
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (used_mask)
			used_mask[i] = false;
		char *abs = safe_join(base, files[i]);
		struct stat st;
		if (!abs || stat(abs, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(abs);
			if (ignore_missing)
				continue;
			rc = err_set(e, ERR_STALLING, VAL, "no values file found at path '%s'",
				files[i]);
			break;
		}
		char *data;
		size_t len;
		rc = slurp(abs, max_file, VAL, &data, &len, e);
		free(abs);
		if (rc < 0)
			break;
		yml_limits lim = {.max_bytes = max_file ? max_file : 0};
		err ye = {0};
		cJSON *doc = yml_parse_one(data, len, &lim, &ye);
		free(data);
		if (!doc) {
			rc = err_set(e, ERR_STALLING, VAL, "unmarshaling values from '%s' failed: "
				"%s", files[i], ye.msg);
			break;
		}
		if (cJSON_IsObject(doc)) {
			merge_maps(merged, doc);
		} else if (!cJSON_IsNull(doc)) {
			cJSON_Delete(doc);
			rc = err_set(e, ERR_STALLING, VAL, "unmarshaling values from '%s' failed: "
				"error unmarshaling JSON: json: cannot unmarshal into Go value of "
				"type map[string]interface {}", files[i]);
			break;
		}
		cJSON_Delete(doc);
		if (used_mask)
			used_mask[i] = true;
	}
	if (rc == 0 && cJSON_GetArraySize(merged) == 0)
		buf_adds(out, "{}\n");
	else if (rc == 0 && yml_emit(out, merged, e) < 0) {
		snprintf(e->reason, sizeof e->reason, VAL);
		rc = -1;
	}
	cJSON_Delete(merged);
	return rc;
}
