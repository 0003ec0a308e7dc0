#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "eddy/art.h"
#include "eddy/mem.h"

static char tmpl_root[] = "/tmp/eddy-art-XXXXXX";
static char *root;

static void write_file(const char *rel, const char *content, mode_t mode)
{
	char *p = xasprintf("%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	chmod(p, mode);
	free(p);
}

static void mk(const char *rel)
{
	char *p = xasprintf("%s/%s", root, rel);
	assert_int_equal(art_mkdirs(p, NULL), 0);
	free(p);
}

static char *path_of(const char *rel)
{
	return xasprintf("%s/%s", root, rel);
}

static char src_path[512];

static const char *src_dir(void)
{
	snprintf(src_path, sizeof src_path, "%s/src", root);
	return src_path;
}

static int setup(void **state)
{
	root = mkdtemp(xstrdup(tmpl_root));
	return root ? 0 : -1;
}

static int teardown(void **state)
{
	art_remove_dir("/", root + 1, NULL);
	free(root);
	return 0;
}

static void make_tree(void)
{
	mk("src/a/b");
	mk("src/.git");
	write_file("src/a/b/deep.yaml", "kind: ConfigMap\n", 0644);
	write_file("src/a.txt", "hello\n", 0664);
	write_file("src/run.sh", "#!/bin/sh\n", 0755);
	write_file("src/.git/HEAD", "ref\n", 0644);
	write_file("src/skip.png", "png", 0644);
	char *target = path_of("src/a.txt"), *link = path_of("src/link");
	assert_int_equal(symlink(target, link), 0);
	free(target);
	free(link);
}

static bool exclude_vcs_and_png(const char *rel, bool dir, void *ud)
{
	(*(int *)ud)++;
	return !strcmp(rel, ".git") || strstr(rel, ".png") != NULL;
}

/* Lists "<mode> <uid>:<gid> <mtime> <name>" for every member. */
static char *list_tar(const char *path)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, path, 4096), ARCHIVE_OK);
	struct archive_entry *ent;
	char *out = xstrdup("");
	while (archive_read_next_header(a, &ent) == ARCHIVE_OK) {
		char *n = xasprintf("%s%o %lld:%lld %lld %s\n", out,
				    (unsigned)archive_entry_perm(ent),
				    (long long)archive_entry_uid(ent),
				    (long long)archive_entry_gid(ent),
				    (long long)archive_entry_mtime(ent), archive_entry_pathname(ent));
		free(out);
		out = n;
	}
	archive_read_free(a);
	return out;
}

static void pack_is_deterministic_and_in_flux_format(void **state)
{
	make_tree();
	int calls = 0;
	art_pack_opts o = { .exclude = exclude_vcs_and_png, .exclude_ud = &calls };
	char *out1 = path_of("one.tar.gz"), *out2 = path_of("two.tar.gz");
	art_info i1, i2;
	err e = { 0 };
	assert_int_equal(art_pack_dir(src_dir(), &o, out1, &i1, &e), 0);
	/* touch everything: times must not matter */
	char *f = path_of("src/a.txt");
	struct timeval tv[2] = { { 1000, 0 }, { 1000, 0 } };
	utimes(f, tv);
	free(f);
	sleep(1);
	assert_int_equal(art_pack_dir(src_dir(), &o, out2, &i2, &e), 0);
	assert_string_equal(i1.digest, i2.digest);
	assert_int_equal(i1.size, i2.size);
	assert_int_equal(i1.files, 3);
	assert_true(calls > 0);
	char *listing = list_tar(out1);
	assert_string_equal(listing, "750 0:0 0 ./\n"
				     "750 0:0 0 a/\n"
				     "750 0:0 0 a/b/\n"
				     "600 0:0 0 a/b/deep.yaml\n"
				     "600 0:0 0 a.txt\n"
				     "700 0:0 0 run.sh\n");
	free(listing);
	char d[ART_DIGEST_MAX];
	assert_int_equal(art_digest_file(out1, d, &e), 0);
	assert_string_equal(d, i1.digest);
	assert_int_equal(art_verify_file(out1, i1.digest, &e), 0);
	assert_int_equal(art_verify_file(out1, i1.digest + 7, &e), 0);
	assert_int_equal(art_verify_file(out1, "sha256:00", &e), -1);
	assert_non_null(strstr(e.msg, "does not match"));
	assert_int_equal(art_verify_file(out1, "sha512:00", &e), -1);
	struct stat st;
	stat(out1, &st);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(out1);
	free(out2);
}

static void pack_enforces_caps(void **state)
{
	make_tree();
	art_pack_opts o = { .max_files = 2 };
	char *out = path_of("capped.tar.gz");
	err e = { 0 };
	assert_int_equal(art_pack_dir(src_dir(), &o, out, NULL, &e), -1);
	assert_string_equal(e.reason, "ArtifactFailed");
	assert_non_null(strstr(e.msg, "limit"));
	assert_int_not_equal(access(out, F_OK), 0); /* nothing left behind */
	art_pack_opts o2 = { .max_bytes = 5 };
	assert_int_equal(art_pack_dir(src_dir(), &o2, out, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "size limit"));
	free(out);
}

static void extract_round_trips(void **state)
{
	make_tree();
	char *out = path_of("rt.tar.gz"), *dest = path_of("dest");
	err e = { 0 };
	assert_int_equal(art_pack_dir(src_dir(), NULL, out, NULL, &e), 0);
	assert_int_equal(art_mkdirs(dest, &e), 0);
	assert_int_equal(art_extract(out, dest, NULL, &e), 0);
	char *deep = path_of("dest/a/b/deep.yaml");
	FILE *f = fopen(deep, "r");
	assert_non_null(f);
	char line[64] = "";
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_string_equal(line, "kind: ConfigMap\n");
	struct stat st;
	char *run = path_of("dest/run.sh"), *link = path_of("dest/link");
	assert_int_equal(stat(run, &st), 0);
	assert_true(st.st_mode & 0100);
	assert_int_not_equal(lstat(link, &st), 0); /* symlinks never packed */
	free(deep);
	free(run);
	free(link);
	free(out);
	free(dest);
}

/* Writes a tar.gz with the given members; a NULL content makes a symlink to "/etc". */
static void hostile_tar(const char *path, const char **names, const char **contents, int n,
			size_t zeros)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (int i = 0; i < n; i++) {
		struct archive_entry *ent = archive_entry_new();
		archive_entry_set_pathname(ent, names[i]);
		if (contents[i]) {
			size_t len = zeros ? zeros : strlen(contents[i]);
			archive_entry_set_filetype(ent, AE_IFREG);
			archive_entry_set_perm(ent, 0644);
			archive_entry_set_size(ent, (la_int64_t)len);
			archive_write_header(a, ent);
			if (zeros) {
				char *z = xcalloc(1, 1 << 20);
				for (size_t left = len; left;) {
					size_t k = left < (1 << 20) ? left : (1 << 20);
					archive_write_data(a, z, k);
					left -= k;
				}
				free(z);
			} else {
				archive_write_data(a, contents[i], len);
			}
		} else {
			archive_entry_set_filetype(ent, AE_IFLNK);
			archive_entry_set_perm(ent, 0777);
			archive_entry_set_symlink(ent, "/etc");
			archive_write_header(a, ent);
		}
		archive_entry_free(ent);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static void extract_refuses_hostile_archives(void **state)
{
	char *dest = path_of("dest");
	char *bad = path_of("bad.tar.gz");
	err e = { 0 };
	art_mkdirs(dest, &e);

	const char *dotdot[] = { "ok.txt", "../escape.txt" }, *c2[] = { "x", "y" };
	hostile_tar(bad, dotdot, c2, 2, 0);
	assert_int_equal(art_extract(bad, dest, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "illegal path"));
	char *esc = path_of("escape.txt");
	assert_int_not_equal(access(esc, F_OK), 0);
	free(esc);

	const char *abs[] = { "/tmp/eddy-abs-escape" };
	hostile_tar(bad, abs, c2, 1, 0);
	assert_int_equal(art_extract(bad, dest, NULL, &e), -1);
	assert_int_not_equal(access("/tmp/eddy-abs-escape", F_OK), 0);

	/* a symlink member, then a file through it: the link is skipped, the file lands inside */
	const char *viaLink[] = { "evil", "evil/passwd-copy" }, *c3[] = { NULL, "z" };
	hostile_tar(bad, viaLink, c3, 2, 0);
	assert_int_equal(art_extract(bad, dest, NULL, &e), 0);
	assert_int_not_equal(access("/etc/passwd-copy", F_OK), 0);
	struct stat st;
	char *ev = path_of("dest/evil");
	assert_int_equal(lstat(ev, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	free(ev);

	/* a decompression bomb: 64 MiB of zeros compresses ~1000x */
	const char *bomb[] = { "zeros" }, *c4[] = { "" };
	hostile_tar(bad, bomb, c4, 1, 64 << 20);
	assert_int_equal(art_extract(bad, dest, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "decompression bomb"));
	art_extract_limits small = { .max_bytes = 1 << 20, .max_ratio = 100000 };
	assert_int_equal(art_extract(bad, dest, &small, &e), -1);
	assert_non_null(strstr(e.msg, "expands past"));

	/* too many entries */
	const char *many[] = { "1", "2", "3" }, *c5[] = { "a", "b", "c" };
	hostile_tar(bad, many, c5, 3, 0);
	art_extract_limits two = { .max_entries = 2 };
	assert_int_equal(art_extract(bad, dest, &two, &e), -1);
	assert_non_null(strstr(e.msg, "entries"));

	/* not an archive */
	write_file("junk.tar.gz", "this is not gzip", 0644);
	char *junk = path_of("junk.tar.gz");
	assert_int_equal(art_extract(junk, dest, NULL, &e), -1);
	free(junk);
	free(bad);
	free(dest);
}

static void storage_paths_and_gc(void **state)
{
	char *p = art_dir_path("GitRepository", "flux-system", "podinfo");
	assert_string_equal(p, "gitrepository/flux-system/podinfo");
	free(p);
	char *u = art_url("source-controller.flux-system.svc.cluster.local.", "gitrepository/a/b/c.tar.gz");
	assert_string_equal(u, "http://source-controller.flux-system.svc.cluster.local./gitrepository/a/b/c.tar.gz");
	free(u);
	u = art_url("https://example.com/", "x.tar.gz");
	assert_string_equal(u, "https://example.com/x.tar.gz");
	free(u);

	mk("store/gitrepository/ns/n");
	const char *names[] = { "1.tar.gz", "2.tar.gz", "3.tar.gz", "4.tar.gz" };
	for (int i = 0; i < 4; i++) {
		char *rel = xasprintf("store/gitrepository/ns/n/%s", names[i]);
		write_file(rel, "x", 0600);
		char *abs = path_of(rel);
		struct timeval tv[2] = { { 1000 + i, 0 }, { 1000 + i, 0 } };
		if (i == 3) /* the newest is recent */
			gettimeofday(&tv[0], NULL), tv[1] = tv[0];
		utimes(abs, tv);
		free(abs);
		free(rel);
	}
	write_file("store/gitrepository/ns/n/1.tar.gz.lock", "", 0600);
	char *store = path_of("store");
	err e = { 0 };
	/* keep 1.tar.gz (current, though old); old files go; the recent one stays */
	int removed = art_gc(store, "gitrepository/ns/n", "1.tar.gz", 60, 2, &e);
	assert_int_equal(removed, 2);
	char *keep = path_of("store/gitrepository/ns/n/1.tar.gz");
	char *recent = path_of("store/gitrepository/ns/n/4.tar.gz");
	char *gone = path_of("store/gitrepository/ns/n/2.tar.gz");
	assert_int_equal(access(keep, F_OK), 0);
	assert_int_equal(access(recent, F_OK), 0);
	assert_int_not_equal(access(gone, F_OK), 0);
	assert_int_equal(art_gc(store, "gitrepository/ns/missing", NULL, 60, 2, &e), 0);
	assert_int_equal(art_remove_dir(store, "gitrepository/ns/n", &e), 0);
	assert_int_not_equal(access(keep, F_OK), 0);
	assert_int_equal(art_remove_dir(store, "../x", &e), -1);
	free(keep);
	free(recent);
	free(gone);
	free(store);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pack_is_deterministic_and_in_flux_format, setup, teardown),
		cmocka_unit_test_setup_teardown(pack_enforces_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(extract_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(extract_refuses_hostile_archives, setup, teardown),
		cmocka_unit_test_setup_teardown(storage_paths_and_gc, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
