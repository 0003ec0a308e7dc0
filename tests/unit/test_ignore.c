#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eddy/art.h"
#include "eddy/ignore.h"
#include "eddy/mem.h"

struct want {
	const char *path;
	bool dir;
	bool ignored;
};

static void check(const ign_rules *r, const struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ign_match(r, w[i].path, w[i].dir) != w[i].ignored)
			fail_msg("'%s' (dir=%d): expected ignored=%d", w[i].path, w[i].dir,
				 w[i].ignored);
	}
}

static void gitignore_syntax(void **state)
{
	ign_rules *r = ign_new();
	ign_add_text(r,
		     "# comment\n"
		     "*.log\n"
		     "!keep.log\n"
		     "build/\n"
		     "/root-only.txt\n"
		     "docs/*.md\n"
		     "**/secret.yaml\n"
		     "deep/**/x.yaml\n"
		     "vendor/**\n"
		     "file[0-9].txt\n"
		     "trailing.txt   \n"
		     "\\#hash\n",
		     "");
	const struct want w[] = {
		{ "a.log", false, true },
		{ "sub/dir/b.log", false, true },
		{ "keep.log", false, false },
		{ "sub/keep.log", false, false },
		{ "build", true, true },
		{ "build", false, false }, /* a file named build is not a directory */
		{ "x/build", true, true },
		{ "root-only.txt", false, true },
		{ "sub/root-only.txt", false, false },
		{ "docs/a.md", false, true },
		{ "docs/sub/a.md", false, false },
		{ "secret.yaml", false, true },
		{ "a/b/secret.yaml", false, true },
		{ "deep/x.yaml", false, true },
		{ "deep/a/b/x.yaml", false, true },
		{ "deeper/x.yaml", false, false },
		{ "vendor", true, false },
		{ "vendor/a/b.go", false, true },
		{ "file1.txt", false, true },
		{ "fileA.txt", false, false },
		{ "trailing.txt", false, true },
		{ "#hash", false, true },
		{ "ok.yaml", false, false },
	};
	check(r, w, sizeof w / sizeof *w);
	ign_free(r);
}

static void domains_scope_patterns(void **state)
{
	ign_rules *r = ign_new();
	ign_add_text(r, "*.tmp\n/only-here.yaml\n", "apps/base");
	const struct want w[] = {
		{ "apps/base/a.tmp", false, true },
		{ "apps/base/x/a.tmp", false, true },
		{ "apps/a.tmp", false, false },
		{ "a.tmp", false, false },
		{ "apps/base/only-here.yaml", false, true },
		{ "apps/base/x/only-here.yaml", false, false },
		{ "apps/basement/a.tmp", false, false },
	};
	check(r, w, sizeof w / sizeof *w);
	ign_free(r);
}

static void write_at(const char *root, const char *rel, const char *content)
{
	char *p = xasprintf("%s/%s", root, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	art_mkdirs(p, NULL);
	*slash = '/';
	FILE *f = fopen(p, "w");
	fputs(content, f);
	fclose(f);
	free(p);
}

static void flux_source_rules(void **state)
{
	char tmpl[] = "/tmp/eddy-ign-XXXXXX";
	char *root = mkdtemp(tmpl);
	assert_non_null(root);
	err e = { 0 };
	/* no user patterns: VCS and the defaults */
	ign_rules *r = ign_for_source(root, NULL, &e);
	assert_non_null(r);
	const struct want defaults[] = {
		{ ".git", true, true },         { ".gitignore", false, true },
		{ "logo.png", false, true },    { "a/b.zip", false, true },
		{ ".github", true, true },      { "x/.sops.yaml", false, true },
		{ "deploy.yaml", false, false },
	};
	check(r, defaults, sizeof defaults / sizeof *defaults);
	ign_free(r);

	/* a .sourceignore anywhere replaces the defaults; VCS stays */
	write_at(root, "apps/.sourceignore", "*.txt\n");
	r = ign_for_source(root, "/tests/\n", &e);
	assert_non_null(r);
	const struct want user[] = {
		{ ".git", true, true },          { "logo.png", false, false },
		{ "apps/notes.txt", false, true }, { "notes.txt", false, false },
		{ "tests", true, true },          { "apps/tests", true, false },
	};
	check(r, user, sizeof user / sizeof *user);
	ign_free(r);
	art_remove_dir("/", root + 1, NULL);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gitignore_syntax),
		cmocka_unit_test(domains_scope_patterns),
		cmocka_unit_test(flux_source_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
