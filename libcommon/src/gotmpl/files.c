/* Helm's .Files: a map of path -> bytes with Get, GetBytes, Glob, Lines, AsConfig and AsSecrets. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const methods[] = {"Get", "GetBytes", "Glob", "Lines", "AsConfig", "AsSecrets",
				      NULL};

bool tv_files_method(const char *name)
{
	for (size_t i = 0; methods[i]; i++)
		if (!strcmp(methods[i], name))
			return true;
	return false;
}

/* gobwas/glob with '/' as separator: * and ? stay within a segment, ** crosses, [..], {a,b}. */
static bool glob_match(const char *p, const char *s, int depth)
{
	if (depth > 64)
		return false;
	while (*p) {
		if (p[0] == '*' && p[1] == '*') {
			p += 2;
			for (const char *t = s;; t++) {
				if (glob_match(p, t, depth + 1))
					return true;
				if (!*t)
					return false;
			}
		}
		if (*p == '*') {
			p++;
			for (const char *t = s;; t++) {
				if (glob_match(p, t, depth + 1))
					return true;
				if (!*t || *t == '/')
					return false;
			}
		}
		if (*p == '{') {
			const char *end = strchr(p, '}');
			if (!end)
				return false;
			const char *alt = p + 1;
			while (alt <= end) {
				size_t l = strcspn(alt, ",}");
				char *cand = xasprintf("%.*s%s", (int)l, alt, end + 1);
				bool m = glob_match(cand, s, depth + 1);
				free(cand);
				if (m)
					return true;
				alt += l + 1;
			}
			return false;
		}
		if (!*s)
			return false;
		if (*p == '?') {
			if (*s == '/')
				return false;
			p++;
			s++;
			continue;
		}
		if (*p == '[') {
			const char *q = p + 1;
			bool neg = *q == '!' || *q == '^';
			if (neg)
				q++;
			bool m = false;
			while (*q && *q != ']') {
				if (q[1] == '-' && q[2] && q[2] != ']') {
					if (*s >= q[0] && *s <= q[2])
						m = true;
					q += 3;
				} else {
					if (*s == *q)
						m = true;
					q++;
				}
			}
			if (!*q || m == neg)
				return false;
			p = q + 1;
			s++;
			continue;
		}
		if (*p == '\\' && p[1])
			p++;
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	return *s == 0;
}

static tmpl_val bytes_of(tmpl_val files, const char *name)
{
	tmpl_val *v = tmpl_map_get(files, name);
	if (!v)
		return tmpl_nil();
	return tmpl_ref(*v);
}

int tv_files_call(const char *name, tmpl_val files, int argc, const tmpl_val *argv, tmpl_val *out,
		  err *e)
{
	bool noargs = !strcmp(name, "AsConfig") || !strcmp(name, "AsSecrets");
	int want = noargs ? 0 : 1;
	if (argc != want)
		return tmpl_fail(e, "wrong number of args for %s: want %d got %d", name, want, argc);
	if (want && (argv[0].kind != TV_STRING || argv[0].sub != TV_SUB_STR))
		return tmpl_fail(e, "wrong type for value; expected string; got %s",
				 argv[0].kind == TV_NIL ? "<nil>" : "other");
	if (!strcmp(name, "Get") || !strcmp(name, "GetBytes")) {
		tmpl_val b = bytes_of(files, argv[0].u.s->data);
		if (b.kind == TV_NIL) {
			*out = tmpl_str("");
		} else {
			*out = tmpl_strn(b.u.s->data, b.u.s->len);
			tmpl_val_free(b);
		}
		if (!strcmp(name, "GetBytes"))
			out->sub = TV_SUB_BYTES;
		return 0;
	}
	if (!strcmp(name, "Lines")) {
		tmpl_val l = tmpl_list_new(0);
		l.sub = TV_SUB_STRS;
		tmpl_val b = bytes_of(files, argv[0].u.s->data);
		if (b.kind != TV_NIL) {
			size_t n = b.u.s->len;
			const char *s = b.u.s->data;
			if (n && s[n - 1] == '\n')
				n--;
			size_t st = 0;
			for (size_t i = 0; i <= n; i++)
				if (i == n || s[i] == '\n') {
					tmpl_list_push(&l, tmpl_strn(s + st, i - st));
					st = i + 1;
				}
			tmpl_val_free(b);
		}
		*out = l;
		return 0;
	}
	if (!strcmp(name, "Glob")) {
		tmpl_val m = tmpl_map_new();
		m.sub = TV_SUB_FILES;
		for (size_t i = 0; i < files.u.m->n; i++)
			if (glob_match(argv[0].u.s->data, files.u.m->keys[i], 0))
				tmpl_map_set(m, files.u.m->keys[i], tmpl_ref(files.u.m->vals[i]));
		*out = m;
		return 0;
	}
	/* AsConfig / AsSecrets: YAML of basename -> content */
	bool secrets = !strcmp(name, "AsSecrets");
	tmpl_val m = tmpl_map_new();
	for (size_t i = 0; i < files.u.m->n; i++) {
		const char *k = files.u.m->keys[i];
		const char *base = strrchr(k, '/');
		base = base ? base + 1 : k;
		tmpl_val v = files.u.m->vals[i];
		tmpl_val sv = tmpl_strn(v.u.s->data, v.u.s->len);
		if (secrets)
			sv.sub = TV_SUB_BYTES;
		tmpl_map_set(m, base, sv);
	}
	if (!m.u.m->n) {
		tmpl_val_free(m);
		*out = tmpl_str("");
		return 0;
	}
	buf b;
	buf_init(&b, 256u << 20);
	int rc = tmpl_to_yaml(&b, m, e);
	tmpl_val_free(m);
	if (rc) {
		buf_release(&b);
		*out = tmpl_str("");
		return 0;
	}
	while (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = 0;
	size_t n;
	char *d = buf_detach(&b, &n);
	*out = tmpl_str_take(d, n);
	return 0;
}
