/* Remote bases: kustomize's git URL forms, fetched with eddy/git.h into a temporary directory
 * that is built as a kustomization confined to the clone, then removed.
 *
 * URL forms (as kustomize's repospec): an optional "git::" prefix; scheme URLs
 * (https://, http://, ssh://, file://) whose repository ends at "//" (the rest is the path in
 * the repository) or after ".git"; "git@host:org/repo[.git][//path]"; "github.com/org/repo/path"
 * (the first two path elements name the repository). Query: ref= (or version=), timeout=
 * (seconds, or a Go duration such as 30s or 2m; default 27s), submodules= (default true). */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/git.h"
#include "eddy/mem.h"
#include "kz_int.h"

static bool is_hex(const char *s, size_t min)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n >= min && n <= 40;
}

static void parse_query(kz_remote *r, char *q)
{
	char *save = NULL;
	for (char *kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		const char *v = eq ? eq + 1 : "";
		if (eq)
			*eq = '\0';
		if (!strcmp(kv, "ref") || !strcmp(kv, "version")) {
			free(r->ref);
			r->ref = xstrdup(v);
		} else if (!strcmp(kv, "timeout")) {
			char *end = NULL;
			double t = strtod(v, &end);
			if (end && end != v && t > 0) {
				if (!strcmp(end, "ms"))
					t /= 1000;
				else if (!strcmp(end, "m"))
					t *= 60;
				else if (!strcmp(end, "h"))
					t *= 3600;
				r->timeout_ms = (long long)(t * 1000);
			}
		} else if (!strcmp(kv, "submodules")) {
			r->submodules = !(!strcmp(v, "false") || !strcmp(v, "0") ||
					  !strcmp(v, "f") || !strcmp(v, "F") || !strcmp(v, "FALSE") ||
					  !strcmp(v, "False"));
		}
	}
}

/* Split "repo//path" or "repo.git/path" at the repository end; *path gets the rest. */
static bool split_repo(const char *s, size_t from, char **repo, char **path)
{
	const char *dbl = strstr(s + from, "//");
	if (dbl) {
		*repo = xstrndup(s, (size_t)(dbl - s));
		*path = xstrdup(dbl + 2);
		return true;
	}
	const char *g = strstr(s + from, ".git");
	while (g && g[4] && g[4] != '/')
		g = strstr(g + 4, ".git");
	if (g) {
		*repo = xstrndup(s, (size_t)(g + 4 - s));
		*path = xstrdup(g[4] == '/' ? g + 5 : "");
		return true;
	}
	return false;
}

int kz_remote_parse(const char *spec, kz_remote *r)
{
	memset(r, 0, sizeof *r);
	r->submodules = true;
	r->timeout_ms = 27000;
	char *s = xstrdup(!strncmp(spec, "git::", 5) ? spec + 5 : spec);
	char *q = strchr(s, '?');
	if (q) {
		*q++ = '\0';
		parse_query(r, q);
	}
	bool ok = false;
	if (!strncmp(s, "github.com/", 11)) {
		/* github.com/org/repo[.git][/path] */
		const char *p = s + 11, *a = strchr(p, '/');
		const char *b = a ? strchr(a + 1, '/') : NULL;
		if (a) {
			size_t rl = b ? (size_t)(b - p) : strlen(p);
			char *rp = xstrndup(p, rl);
			size_t l = strlen(rp);
			if (l > 4 && !strcmp(rp + l - 4, ".git"))
				rp[l - 4] = '\0';
			r->repo = xasprintf("https://github.com/%s.git", rp);
			free(rp);
			const char *rest = b ? b + 1 : "";
			while (*rest == '/')
				rest++;
			r->path = xstrdup(rest);
			ok = true;
		}
	} else if (!strncmp(s, "git@", 4)) {
		const char *colon = strchr(s, ':');
		if (colon) {
			if (!split_repo(s, (size_t)(colon - s) + 1, &r->repo, &r->path)) {
				r->repo = xstrdup(s);
				r->path = xstrdup("");
			}
			ok = true;
		}
	} else {
		const char *sch = strstr(s, "://");
		if (sch) {
			const char *host_end = strchr(sch + 3, '/');
			size_t from = host_end ? (size_t)(host_end - s) : strlen(s);
			if (split_repo(s, from, &r->repo, &r->path)) {
				ok = true;
			} else if (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8)) {
				r->is_file = true; /* a plain HTTP(S) URL: one file of resources */
				r->repo = xstrdup(spec);
				r->path = xstrdup("");
				ok = true;
			} else {
				r->repo = xstrdup(s);
				r->path = xstrdup("");
				ok = true;
			}
		}
	}
	free(s);
	if (ok && r->path) {
		size_t l = strlen(r->path);
		while (l && r->path[l - 1] == '/')
			r->path[--l] = '\0';
		if (strstr(r->path, "..")) {
			kz_remote_release(r);
			return -1;
		}
	}
	if (!ok)
		kz_remote_release(r);
	return ok ? 0 : -1;
}

void kz_remote_release(kz_remote *r)
{
	free(r->repo);
	free(r->path);
	free(r->ref);
	memset(r, 0, sizeof *r);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

void kz_remote_cleanup(const char *dir)
{
	if (dir && *dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Fetch r into a new temporary directory (returned, allocated; the caller removes it with
 * kz_remote_cleanup). kustomize fetches the ref as `git fetch origin <ref>` does: a branch,
 * a tag or a commit; without ref, the remote's HEAD. */
char *kz_remote_fetch(const kz_remote *r, size_t max_bytes, err *e)
{
	const char *tmp = getenv("TMPDIR");
	char *base = xasprintf("%s/eddy-kz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(base)) {
		err_fail(e, KZ_REASON, "creating a directory for %s: failed", r->repo);
		free(base);
		return NULL;
	}
	gitx_global_init();
	const char *ref = r->ref && *r->ref ? r->ref : NULL;
	char names[3][512];
	int n = 0;
	if (!ref) {
		snprintf(names[n++], sizeof names[0], "HEAD");
	} else {
		snprintf(names[n++], sizeof names[0], "refs/heads/%.400s", ref);
		snprintf(names[n++], sizeof names[0], "refs/tags/%.400s", ref);
		if (is_hex(ref, 40))
			snprintf(names[n++], sizeof names[0], "%.40s", ref);
	}
	err last = {0};
	for (int i = 0; i < n; i++) {
		char *dir = xasprintf("%s/%d", base, i);
		gitx_opts o;
		memset(&o, 0, sizeof o);
		o.url = r->repo;
		if (i == 2)
			o.ref.commit = names[i];
		else
			o.ref.name = names[i];
		o.timeout_ms = r->timeout_ms;
		o.max_bytes = max_bytes;
		o.recurse_submodules = r->submodules;
		gitx_result res;
		memset(&res, 0, sizeof res);
		memset(&last, 0, sizeof last);
		if (gitx_checkout(&o, dir, &res, &last) == 0) {
			gitx_result_release(&res);
			free(base);
			return dir;
		}
		gitx_result_release(&res);
		free(dir);
	}
	kz_remote_cleanup(base);
	free(base);
	*e = last;
	snprintf(e->reason, sizeof e->reason, "%s", KZ_REASON);
	return NULL;
}
