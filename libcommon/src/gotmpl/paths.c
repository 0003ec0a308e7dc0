/* Sprig's path functions: base, dir, ext, clean, isAbs (Go's path package). */
#include "eddy/mem.h"
#include "gotmpl/internal.h"
#include "gotmpl/fn.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- paths ---- */

static void path_clean(buf *b, const char *p)
{
	/* Go's path.Clean */
	bool rooted = p[0] == '/';
	size_t n = strlen(p);
	char **parts = xmalloc((n + 1) * sizeof *parts);
	size_t np = 0;
	char *dup = xstrdup(p);
	char *save = NULL;
	for (char *t = strtok_r(dup, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (!strcmp(t, "."))
			continue;
		if (!strcmp(t, "..")) {
			if (np && strcmp(parts[np - 1], ".."))
				np--;
			else if (!rooted)
				parts[np++] = t;
			continue;
		}
		parts[np++] = t;
	}
	if (rooted)
		buf_addc(b, '/');
	for (size_t i = 0; i < np; i++) {
		if (i)
			buf_addc(b, '/');
		buf_adds(b, parts[i]);
	}
	if (!b->len)
		buf_addc(b, '.');
	free(parts);
	free(dup);
}

FN(clean) { buf b; buf_init(&b, (size_t)-1); path_clean(&b, S(0)); *out = tv_str_from_buf(&b); return 0; }

FN(base)
{
	const char *p = S(0);
	size_t n = SLEN(0);
	if (!n) {
		*out = tmpl_str(".");
		return 0;
	}
	while (n > 1 && p[n - 1] == '/')
		n--;
	if (n == 1 && p[0] == '/') {
		*out = tmpl_str("/");
		return 0;
	}
	size_t st = n;
	while (st > 0 && p[st - 1] != '/')
		st--;
	*out = tmpl_strn(p + st, n - st);
	return 0;
}

FN(dir)
{
	const char *p = S(0);
	size_t n = SLEN(0);
	size_t st = n;
	while (st > 0 && p[st - 1] != '/')
		st--;
	char *d = xstrndup(p, st);
	buf b;
	buf_init(&b, (size_t)-1);
	path_clean(&b, d);
	free(d);
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(ext)
{
	const char *p = S(0);
	size_t n = SLEN(0);
	for (size_t i = n; i > 0 && p[i - 1] != '/'; i--)
		if (p[i - 1] == '.') {
			*out = tmpl_strn(p + i - 1, n - i + 1);
			return 0;
		}
	*out = tmpl_str("");
	return 0;
}

FN(isAbs) { *out = tmpl_bool(S(0)[0] == '/'); return 0; }

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"base", fn_base, "s"},
	{"dir", fn_dir, "s"},
	{"ext", fn_ext, "s"},
	{"clean", fn_clean, "s"},
	{"isAbs", fn_isAbs, "s"},
	{"osBase", fn_base, "s"},
	{"osDir", fn_dir, "s"},
	{"osExt", fn_ext, "s"},
	{"osClean", fn_clean, "s"},
	{"osIsAbs", fn_isAbs, "s"},
};

const tv_family tv_family_paths = {funcs, sizeof funcs / sizeof *funcs};
