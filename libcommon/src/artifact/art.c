/* Artifacts: deterministic packing, digests, safe extraction, storage layout and GC.
 * See eddy/art.h for the contract. */
#include "eddy/art.h"
#include "eddy/buf.h"
#include "eddy/codec.h"
#include "eddy/mem.h"

#include "eddy/ardl.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REASON "ArtifactFailed"
enum { MAX_WALK_DEPTH = 256, COPY_CHUNK = 64 * 1024 };

/* ---- packing ---- */

struct packer {
	struct archive *a;
	const art_pack_opts *o;
	uint64_t bytes;
	size_t files;
	err *e;
};

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The directory's entry names, sorted bytewise like Go's filepath.Walk; NULL-terminated. */
static char **sorted_names(const char *dir, err *e)
{
	DIR *d = opendir(dir);
	if (!d) {
		err_fail(e, REASON, "open directory '%s': %s", dir, strerror(errno));
		return NULL;
	}
	size_t n = 0, cap = 16;
	char **names = xmalloc(cap * sizeof *names);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n + 1 >= cap)
			names = xrealloc(names, (cap *= 2) * sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	names[n] = NULL;
	return names;
}

static void free_names(char **names)
{
	for (char **p = names; p && *p; p++)
		free(*p);
	free(names);
}

static int write_header(struct packer *p, const char *name, const struct stat *st)
{
	struct archive_entry *ent = archive_entry_new();
	archive_entry_set_pathname(ent, name);
	if (S_ISDIR(st->st_mode)) {
		archive_entry_set_filetype(ent, AE_IFDIR);
		archive_entry_set_perm(ent, 0750);
		archive_entry_set_size(ent, 0);
	} else {
		archive_entry_set_filetype(ent, AE_IFREG);
		archive_entry_set_perm(ent, (st->st_mode & 0111) ? 0700 : 0600);
		archive_entry_set_size(ent, st->st_size);
	}
	archive_entry_set_uid(ent, 0);
	archive_entry_set_gid(ent, 0);
	archive_entry_set_mtime(ent, 0, 0);
	int rc = archive_write_header(p->a, ent);
	archive_entry_free(ent);
	if (rc != ARCHIVE_OK)
		return err_fail(p->e, REASON, "write tar header for '%s': %s", name,
				archive_error_string(p->a));
	return 0;
}

static int write_file_data(struct packer *p, const char *path, const char *name, off_t size)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_fail(p->e, REASON, "open '%s': %s", name, strerror(errno));
	char *chunk = xmalloc(COPY_CHUNK);
	off_t left = size;
	int rc = 0;
	while (left > 0) {
		ssize_t n = read(fd, chunk, left < COPY_CHUNK ? (size_t)left : COPY_CHUNK);
		if (n <= 0) {
			rc = err_fail(p->e, REASON, "read '%s': %s", name,
				      n < 0 ? strerror(errno) : "file shrank while packing");
			break;
		}
		if (archive_write_data(p->a, chunk, (size_t)n) != n) {
			rc = err_fail(p->e, REASON, "write '%s': %s", name,
				      archive_error_string(p->a));
			break;
		}
		left -= n;
	}
	free(chunk);
	close(fd);
	return rc;
}

static int pack_tree(struct packer *p, const char *abs, const char *rel, unsigned depth)
{
	if (depth > MAX_WALK_DEPTH)
		return err_fail(p->e, REASON, "directory nesting deeper than %d at '%s'",
				MAX_WALK_DEPTH, rel);
	char **names = sorted_names(abs, p->e);
	if (!names)
		return -1;
	int rc = 0;
	for (char **np = names; *np && rc == 0; np++) {
		char *child_abs = xasprintf("%s/%s", abs, *np);
		char *child_rel = *rel ? xasprintf("%s/%s", rel, *np) : xstrdup(*np);
		struct stat st;
		if (lstat(child_abs, &st) != 0) {
			rc = err_fail(p->e, REASON, "stat '%s': %s", child_rel, strerror(errno));
		} else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
			bool dir = S_ISDIR(st.st_mode);
			if (p->o && p->o->exclude && p->o->exclude(child_rel, dir, p->o->exclude_ud)) {
				/* left out, with everything below it */
			} else if (dir) {
				rc = write_header(p, child_rel, &st);
				if (rc == 0)
					rc = pack_tree(p, child_abs, child_rel, depth + 1);
			} else {
				p->files++;
				p->bytes += (uint64_t)st.st_size;
				if (p->o && p->o->max_files && p->files > p->o->max_files)
					rc = err_fail(p->e, REASON,
						      "more than %zu files: over the artifact limit",
						      p->o->max_files);
				else if (p->o && p->o->max_bytes && p->bytes > p->o->max_bytes)
					rc = err_fail(p->e, REASON,
						      "files larger than %llu bytes in total: over "
						      "the artifact size limit",
						      (unsigned long long)p->o->max_bytes);
				if (rc == 0)
					rc = write_header(p, child_rel, &st);
				if (rc == 0)
					rc = write_file_data(p, child_abs, child_rel, st.st_size);
			}
		} /* symlinks, sockets, devices: dropped, as Flux does */
		free(child_abs);
		free(child_rel);
	}
	free_names(names);
	return rc;
}

static char *temp_beside(const char *path, int *fd_out, err *e)
{
	char *tmp = xasprintf("%s.tmp-XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		err_fail(e, REASON, "create temp file for '%s': %s", path, strerror(errno));
		free(tmp);
		return NULL;
	}
	fchmod(fd, 0600);
	*fd_out = fd;
	return tmp;
}

int art_pack_dir(const char *root, const art_pack_opts *o, const char *out_path, art_info *info,
		 err *e)
{
	struct stat st;
	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
		return err_fail(e, REASON, "'%s' is not a directory", root);
	if (ardl_load(e) < 0)
		return -1;
	int fd;
	char *tmp = temp_beside(out_path, &fd, e);
	if (!tmp)
		return -1;
	struct packer p = { .a = archive_write_new(), .o = o, .e = e };
	archive_write_set_format_pax_restricted(p.a);
	archive_write_add_filter_gzip(p.a);
	archive_write_set_filter_option(p.a, "gzip", "timestamp", NULL);
	archive_write_set_bytes_in_last_block(p.a, 1);
	int rc = 0;
	if (archive_write_open_fd(p.a, fd) != ARCHIVE_OK)
		rc = err_fail(e, REASON, "open archive: %s", archive_error_string(p.a));
	if (rc == 0)
		rc = write_header(&p, ".", &st);
	if (rc == 0)
		rc = pack_tree(&p, root, "", 0);
	if (archive_write_close(p.a) != ARCHIVE_OK && rc == 0)
		rc = err_fail(e, REASON, "finish archive: %s", archive_error_string(p.a));
	archive_write_free(p.a);
	if (rc == 0 && fsync(fd) != 0)
		rc = err_fail(e, REASON, "sync '%s': %s", out_path, strerror(errno));
	close(fd);
	if (rc == 0 && rename(tmp, out_path) != 0)
		rc = err_fail(e, REASON, "rename into '%s': %s", out_path, strerror(errno));
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	if (rc != 0)
		return -1;
	if (info) {
		info->files = p.files;
		if (art_digest_file(out_path, info->digest, e) != 0)
			return -1;
		if (stat(out_path, &st) != 0)
			return err_fail(e, REASON, "stat '%s': %s", out_path, strerror(errno));
		info->size = (uint64_t)st.st_size;
	}
	return 0;
}

/* ---- digests ---- */

int art_digest_file(const char *path, char out[ART_DIGEST_MAX], err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_fail(e, REASON, "open '%s': %s", path, strerror(errno));
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx) {
		close(fd);
		return err_fail(e, REASON, "sha256: cannot allocate digest context");
	}
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	char *chunk = xmalloc(COPY_CHUNK);
	ssize_t n;
	while ((n = read(fd, chunk, COPY_CHUNK)) > 0)
		EVP_DigestUpdate(ctx, chunk, (size_t)n);
	int rc = 0;
	if (n < 0)
		rc = err_fail(e, REASON, "read '%s': %s", path, strerror(errno));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	free(chunk);
	close(fd);
	if (rc == 0) {
		memcpy(out, "sha256:", 7);
		hex_encode(out + 7, md, mdlen < 32 ? mdlen : 32, HEX_LOWER);
	}
	return rc;
}

int art_verify_file(const char *path, const char *expected, err *e)
{
	const char *hex = expected;
	const char *colon = strchr(expected, ':');
	if (colon) {
		if ((size_t)(colon - expected) != 6 || strncmp(expected, "sha256", 6) != 0)
			return err_fail(e, REASON, "unsupported digest algorithm in '%.*s'",
					(int)(colon - expected), expected);
		hex = colon + 1;
	}
	char got[ART_DIGEST_MAX];
	if (art_digest_file(path, got, e) != 0)
		return -1;
	if (strlen(hex) != 64 || strcasecmp(hex, got + 7) != 0)
		return err_fail(e, REASON, "computed digest %s does not match expected %s", got,
				expected);
	return 0;
}

/* ---- extraction ---- */

/* A member name is safe when it is relative and has no ".." component. */
static bool safe_member(const char *name)
{
	if (!*name || name[0] == '/')
		return false;
	for (const char *s = name; *s;) {
		const char *end = strchr(s, '/');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (len == 2 && s[0] == '.' && s[1] == '.')
			return false;
		s += len;
		while (*s == '/')
			s++;
	}
	return true;
}

/* Create each missing parent of rel below dest (mode 0755); never follows symlinks because
 * extraction never creates any. */
static int make_parents(const char *dest, const char *rel, err *e)
{
	char *path = xasprintf("%s/%s", dest, rel);
	size_t base = strlen(dest) + 1;
	int rc = 0;
	for (char *s = path + base; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			rc = err_fail(e, REASON, "create directory for '%s': %s", rel,
				      strerror(errno));
		*s = '/';
		if (rc)
			break;
	}
	free(path);
	return rc;
}

static int extract_file(struct archive *a, const char *dest, const char *rel, mode_t perm,
			uint64_t *total, const art_extract_limits *lim, uint64_t compressed,
			err *e)
{
	if (make_parents(dest, rel, e) != 0)
		return -1;
	char *path = xasprintf("%s/%s", dest, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, perm);
	free(path);
	if (fd < 0)
		return err_fail(e, REASON, "create '%s': %s", rel, strerror(errno));
	char *chunk = xmalloc(COPY_CHUNK);
	int rc = 0;
	la_ssize_t n;
	while ((n = archive_read_data(a, chunk, COPY_CHUNK)) > 0) {
		*total += (uint64_t)n;
		if (*total > lim->max_bytes) {
			rc = err_fail(e, REASON, "archive expands past %llu bytes",
				      (unsigned long long)lim->max_bytes);
			break;
		}
		if (compressed && *total > 1024 * 1024 && *total / compressed > lim->max_ratio) {
			rc = err_fail(e, REASON,
				      "archive expands more than %u times its size: refused as a "
				      "decompression bomb", lim->max_ratio);
			break;
		}
		if (write(fd, chunk, (size_t)n) != n) {
			rc = err_fail(e, REASON, "write '%s': %s", rel, strerror(errno));
			break;
		}
	}
	if (n < 0 && rc == 0)
		rc = err_fail(e, REASON, "read '%s' from archive: %s", rel, archive_error_string(a));
	free(chunk);
	close(fd);
	return rc;
}

int art_extract(const char *archive_path, const char *dest_dir, const art_extract_limits *lim_in,
		err *e)
{
	art_extract_limits lim = { 1ULL << 30, 100000, 200 };
	if (lim_in) {
		if (lim_in->max_bytes)
			lim.max_bytes = lim_in->max_bytes;
		if (lim_in->max_entries)
			lim.max_entries = lim_in->max_entries;
		if (lim_in->max_ratio)
			lim.max_ratio = lim_in->max_ratio;
	}
	struct stat st;
	if (stat(archive_path, &st) != 0)
		return err_fail(e, REASON, "open '%s': %s", archive_path, strerror(errno));
	uint64_t compressed = (uint64_t)st.st_size;
	if (ardl_load(e) < 0)
		return -1;
	struct archive *a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_none(a);
	archive_read_support_format_tar(a);
	int rc = 0;
	if (archive_read_open_filename(a, archive_path, COPY_CHUNK) != ARCHIVE_OK) {
		rc = err_fail(e, REASON, "open archive: %s", archive_error_string(a));
		archive_read_free(a);
		return rc;
	}
	uint64_t total = 0;
	size_t entries = 0;
	struct archive_entry *ent;
	int r;
	while (rc == 0 && (r = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		if (++entries > lim.max_entries) {
			rc = err_fail(e, REASON, "archive has more than %zu entries", lim.max_entries);
			break;
		}
		const char *name = archive_entry_pathname(ent);
		if (!name)
			continue;
		while (name[0] == '.' && name[1] == '/')
			name += 2;
		if (!strcmp(name, ".") || !*name)
			continue;
		if (!safe_member(name)) {
			rc = err_fail(e, REASON, "illegal path in archive: '%s'", name);
			break;
		}
		mode_t type = archive_entry_filetype(ent);
		if (type == AE_IFDIR) {
			char *rel = xasprintf("%s/", name);
			rc = make_parents(dest_dir, rel, e);
			free(rel);
		} else if (type == AE_IFREG) {
			mode_t perm = (archive_entry_perm(ent) & 0111) ? 0755 : 0644;
			rc = extract_file(a, dest_dir, name, perm, &total, &lim, compressed, e);
		} /* symlinks, hard links, devices: skipped */
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = err_fail(e, REASON, "read archive: %s", archive_error_string(a));
	archive_read_free(a);
	return rc;
}

/* ---- storage ---- */

char *art_dir_path(const char *kind, const char *ns, const char *name)
{
	char *k = xstrdup(kind);
	for (char *s = k; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	char *p = xasprintf("%s/%s/%s", k, ns, name);
	free(k);
	return p;
}

char *art_url(const char *adv_addr, const char *relpath)
{
	bool scheme = !strncmp(adv_addr, "http://", 7) || !strncmp(adv_addr, "https://", 8);
	size_t n = strlen(adv_addr);
	const char *slash = (n && adv_addr[n - 1] == '/') ? "" : "/";
	return xasprintf("%s%s%s%s", scheme ? "" : "http://", adv_addr, slash, relpath);
}

int art_mkdirs(const char *path, err *e)
{
	char *p = xstrdup(path);
	int rc = 0;
	for (char *s = p + 1; rc == 0; s++) {
		s = strchr(s, '/');
		if (s)
			*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			rc = err_fail(e, REASON, "create directory '%s': %s", p, strerror(errno));
		if (!s)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

struct gc_file {
	char *name;
	time_t mtime;
};

static int by_mtime(const void *x, const void *y)
{
	const struct gc_file *a = x, *b = y;
	if (a->mtime != b->mtime)
		return a->mtime < b->mtime ? -1 : 1;
	return strcmp(a->name, b->name);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

int art_gc(const char *storage_root, const char *dir_relpath, const char *keep_file,
	   unsigned ttl_seconds, unsigned keep_records, err *e)
{
	char *dir = xasprintf("%s/%s", storage_root, dir_relpath);
	char **names = sorted_names(dir, e);
	if (!names) {
		free(dir);
		return errno == ENOENT ? (err_clear(e), 0) : -1;
	}
	size_t n = 0;
	for (char **p = names; *p; p++)
		n++;
	struct gc_file *files = xcalloc(n + 1, sizeof *files);
	size_t nf = 0;
	bool keep_present = false;
	for (char **p = names; *p && nf < 1000; p++) {
		char *path = xasprintf("%s/%s", dir, *p);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && !ends_with(*p, ".lock")) {
			if (keep_file && !strcmp(*p, keep_file))
				keep_present = true;
			else
				files[nf++] = (struct gc_file){ *p, st.st_mtime };
		}
		free(path);
	}
	qsort(files, nf, sizeof *files, by_mtime);
	time_t now = time(NULL);
	int removed = 0;
	size_t remaining = nf + (keep_present ? 1 : 0);
	for (size_t i = 0; i < nf; i++) {
		bool old = now - files[i].mtime > (time_t)ttl_seconds;
		if (!old && remaining <= keep_records)
			continue;
		char *path = xasprintf("%s/%s", dir, files[i].name);
		if (unlink(path) == 0) {
			removed++;
			remaining--;
			char *lock = xasprintf("%s.lock", path);
			unlink(lock);
			free(lock);
		}
		free(path);
	}
	free(files);
	free_names(names);
	free(dir);
	return removed;
}

static int remove_tree(const char *path, unsigned depth, err *e)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : err_fail(e, REASON, "stat: %s", strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		if (depth > MAX_WALK_DEPTH)
			return err_fail(e, REASON, "directory nesting too deep to remove");
		char **names = sorted_names(path, e);
		if (!names)
			return -1;
		int rc = 0;
		for (char **p = names; *p && rc == 0; p++) {
			char *child = xasprintf("%s/%s", path, *p);
			rc = remove_tree(child, depth + 1, e);
			free(child);
		}
		free_names(names);
		if (rc == 0 && rmdir(path) != 0)
			rc = err_fail(e, REASON, "remove directory: %s", strerror(errno));
		return rc;
	}
	if (unlink(path) != 0)
		return err_fail(e, REASON, "remove file: %s", strerror(errno));
	return 0;
}

int art_remove_dir(const char *storage_root, const char *dir_relpath, err *e)
{
	if (!dir_relpath[0] || !safe_member(dir_relpath))
		return err_fail(e, REASON, "refusing to remove '%s'", dir_relpath);
	char *path = xasprintf("%s/%s", storage_root, dir_relpath);
	int rc = remove_tree(path, 0, e);
	free(path);
	return rc;
}
