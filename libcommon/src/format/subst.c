/* subst: Flux's envsubst dialect (see eddy/subst.h). One recursive-descent parser runs twice:
 * first only to check the syntax of the whole input, then to expand. */
#include "eddy/subst.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"

enum acc { ACC_NOT_CLOSING, ACC_NOT_COLON_CLOSE, ACC_NOT_SLASH };

typedef struct P {
	const char *s;
	size_t n, i;
	bool eval, strict;
	subst_lookup_fn fn;
	void *ud;
	err *e;
	int depth;
} P;

#define E_BAD "bad substitution"
#define E_BRACE "missing closing brace"
#define E_NAME "unable to parse variable name"
#define E_FUNC "unable to parse substitution within function"

static int fail(P *p, const char *msg)
{
	return err_fail(p->e, "BuildFailed", "%s", msg);
}

static int at(const P *p, size_t k)
{
	return p->i + k < p->n ? (unsigned char)p->s[p->i + k] : 0;
}

static int emit(P *p, buf *out, const char *s, size_t n)
{
	if (!p->eval || !out)
		return 0;
	if (buf_add(out, s, n) < 0)
		return err_fail(p->e, "BuildFailed", "variable substitution output too large");
	return 0;
}

static bool ident_char(int c)
{
	return c >= 0x80 || isalnum(c) || c == '_';
}

static bool accepts(enum acc a, int c)
{
	switch (a) {
	case ACC_NOT_CLOSING:
		return c != '}';
	case ACC_NOT_COLON_CLOSE:
		return c != ':' && c != '}';
	case ACC_NOT_SLASH:
		return c != '/';
	}
	return false;
}

static bool escaped(const P *p)
{
	int c = at(p, 0), d = at(p, 1);
	return (c == '$' && d == '$') || (c == '\\' && (d == '/' || d == '\\'));
}

static int parse_func(P *p, buf *out);

/* One function parameter: a nested ${...} or a run of accepted text. */
static int parse_param(P *p, enum acc a, bool esc, buf *out)
{
	if (at(p, 0) == '$' && at(p, 1) == '{') {
		p->i += 2;
		return parse_func(p, out);
	}
	size_t taken = 0;
	while (p->i < p->n) {
		if (at(p, 0) == '$' && at(p, 1) == '{')
			break;
		if (esc && escaped(p)) {
			if (emit(p, out, p->s + p->i + 1, 1) < 0)
				return -1;
			p->i += 2;
			taken++;
			continue;
		}
		if (!accepts(a, at(p, 0)))
			break;
		if (emit(p, out, p->s + p->i, 1) < 0)
			return -1;
		p->i++;
		taken++;
	}
	return taken ? 0 : fail(p, E_FUNC);
}

static int consume_rbrack(P *p)
{
	if (at(p, 0) != '}' || p->i >= p->n)
		return fail(p, E_BAD);
	p->i++;
	return 0;
}

/* ------------------------------------------------------------------ the functions */

/* Go's path.Match on bytes. 1 match, 0 no match, -1 bad pattern. */
static int class_match(const char **pp, const char *pend, unsigned char c)
{
	const char *q = *pp;
	bool neg = false, ok = false;
	if (q < pend && *q == '^') {
		neg = true;
		q++;
	}
	int nr = 0;
	for (;;) {
		if (q >= pend)
			return -1;
		if (*q == ']' && nr > 0) {
			q++;
			break;
		}
		unsigned char lo, hi;
		if (*q == '\\') {
			if (++q >= pend)
				return -1;
		}
		lo = (unsigned char)*q++;
		hi = lo;
		if (q < pend && *q == '-') {
			q++;
			if (q >= pend)
				return -1;
			if (*q == '\\' && ++q >= pend)
				return -1;
			hi = (unsigned char)*q++;
		}
		if (lo <= c && c <= hi)
			ok = true;
		nr++;
	}
	*pp = q;
	return ok != neg;
}

static int glob(const char *pat, const char *pend, const char *s, const char *send, int depth)
{
	if (depth > 64)
		return -1;
	while (pat < pend) {
		char c = *pat;
		if (c == '*') {
			while (pat < pend && *pat == '*')
				pat++;
			for (const char *t = s;; t++) {
				int r = glob(pat, pend, t, send, depth + 1);
				if (r != 0)
					return r;
				if (t >= send || *t == '/')
					return 0;
			}
		}
		if (s >= send)
			return 0;
		if (c == '?') {
			if (*s == '/')
				return 0;
			pat++;
			s++;
			continue;
		}
		if (c == '[') {
			pat++;
			int r = class_match(&pat, pend, (unsigned char)*s);
			if (r <= 0)
				return r;
			s++;
			continue;
		}
		if (c == '\\') {
			if (++pat >= pend)
				return -1;
			c = *pat;
		}
		if (*s != c)
			return 0;
		pat++;
		s++;
	}
	return s == send;
}

static size_t rune_len(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t l = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
	return l > n ? 1 : l;
}

static char *reverse(const char *s)
{
	size_t n = strlen(s);
	char *r = xmalloc(n + 1);
	size_t i = 0;
	while (i < n) {
		size_t l = rune_len(s + i, n - i);
		memcpy(r + n - i - l, s + i, l);
		i += l;
	}
	r[n] = 0;
	return r;
}

/* The prefix of s to remove: the shortest (or longest) non-empty prefix matching pat. */
static size_t trim_prefix_len(const char *s, const char *pat, bool longest)
{
	size_t n = strlen(s), best = 0;
	for (size_t i = 0; i < n; i++) {
		int m = glob(pat, pat + strlen(pat), s, s + (n - i), 0);
		if (m < 0)
			return 0;
		if (m) {
			best = n - i;
			if (longest)
				return best;
		}
	}
	return best;
}

static char *trim(const char *v, const char *pat, bool suffix, bool longest)
{
	if (!suffix)
		return xstrdup(v + trim_prefix_len(v, pat, longest));
	char *rv = reverse(v), *rp = reverse(pat);
	char *t = xstrdup(rv + trim_prefix_len(rv, rp, longest));
	char *out = reverse(t);
	free(rv);
	free(rp);
	free(t);
	return out;
}

/* strings.Replace(s, old, new, n) with n = 1 or all. */
static void replace(buf *b, const char *s, const char *old, const char *nw, bool all)
{
	size_t ol = strlen(old);
	bool done = false;
	if (!ol) {
		size_t n = strlen(s), i = 0;
		buf_adds(b, nw);
		if (!all) {
			buf_adds(b, s);
			return;
		}
		while (i < n) {
			size_t l = rune_len(s + i, n - i);
			buf_add(b, s + i, l);
			buf_adds(b, nw);
			i += l;
		}
		return;
	}
	while (*s) {
		const char *f = done ? NULL : strstr(s, old);
		if (!f)
			break;
		buf_add(b, s, (size_t)(f - s));
		buf_adds(b, nw);
		s = f + ol;
		if (!all)
			done = true;
	}
	buf_adds(b, s);
}

static bool go_atoi(const char *s, long long *out)
{
	const char *q = s;
	if (*q == '+' || *q == '-')
		q++;
	if (!*q)
		return false;
	for (const char *r = q; *r; r++)
		if (!isdigit((unsigned char)*r))
			return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || errno == ERANGE) /* Go's Atoi fails out of range: the value stays as is */
		return false;
	*out = v;
	return true;
}

static char *substr(const char *s, const char *a0, const char *a1)
{
	long long n = (long long)strlen(s), pos, len;
	if (!go_atoi(a0, &pos))
		return xstrdup(s);
	if (pos < 0) {
		pos += n;
		if (pos < 0)
			pos = 0;
	}
	if (!a1)
		return xstrdup(pos < n ? s + pos : "");
	if (!go_atoi(a1, &len))
		return xstrdup(s);
	if (len < 0) {
		long long end = n + len;
		if (end < pos)
			return xstrdup("");
		return xstrndup(s + pos, (size_t)(end - pos));
	}
	if (pos >= n || len >= n - pos)
		return xstrdup(pos < n ? s + pos : "");
	return xstrndup(s + pos, (size_t)len);
}

static bool is_default_op(const char *op)
{
	static const char *const ops[] = {"-", "+", "=", "?", ":-", ":+", ":=", ":?"};
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		if (!strcmp(op, ops[i]))
			return true;
	return false;
}

/* Apply op to the variable's value with args (args[1] may be NULL) and append the result. */
static int apply(P *p, buf *out, const char *name, const char *op, int nargs, const char *a0,
	const char *a1)
{
	const char *v = NULL;
	bool exists = p->fn ? p->fn(name, &v, p->ud) : false;
	if (!exists || !v) {
		if (p->strict && !exists && !is_default_op(op))
			return err_fail(p->e, "BuildFailed",
				"variable not set (strict mode): \"%s\"", name);
		v = "";
	}
	buf r;
	buf_init(&r, out->cap ? out->cap : (size_t)1 << 30);
	char *t = NULL;
	if (!strcmp(op, ",,") || !strcmp(op, "^^") || !strcmp(op, ",") || !strcmp(op, "^")) {
		t = xstrdup(v);
		bool up = op[0] == '^';
		size_t lim = op[1] ? strlen(t) : (t[0] ? 1 : 0);
		for (size_t i = 0; i < lim; i++) {
			unsigned char ch = (unsigned char)t[i];
			t[i] = (char)(up ? toupper(ch) : tolower(ch));
		}
	} else if (!strcmp(op, "#") && nargs == 0) {
		t = xasprintf("%zu", strlen(v));
	} else if (!strcmp(op, "#") || !strcmp(op, "##") || !strcmp(op, "%") || !strcmp(op, "%%")) {
		t = nargs ? trim(v, a0, op[0] == '%', op[1] != 0) : xstrdup(v);
	} else if (!strcmp(op, ":")) {
		t = nargs ? substr(v, a0, nargs > 1 ? a1 : NULL) : xstrdup(v);
	} else if (!strcmp(op, "/") || !strcmp(op, "//")) {
		if (nargs == 0)
			t = xstrdup(v);
		else {
			replace(&r, v, a0, nargs > 1 ? a1 : "", op[1] == '/');
			t = buf_detach(&r, NULL);
		}
	} else if (!strcmp(op, "/#") || !strcmp(op, "/%")) {
		size_t vl = strlen(v), al = nargs == 2 ? strlen(a0) : 0;
		if (nargs != 2)
			t = xstrdup(v);
		else if (op[1] == '#' && !strncmp(v, a0, al)) {
			replace(&r, v, a0, a1, false);
			t = buf_detach(&r, NULL);
		} else if (op[1] == '%' && vl >= al && !memcmp(v + vl - al, a0, al))
			t = xasprintf("%.*s%s", (int)(vl - al), v, a1);
		else
			t = xstrdup(v);
	} else {
		/* the default family, and unknown casing combinations */
		t = xstrdup(!*v && nargs > 0 && a0 ? a0 : v);
	}
	buf_release(&r);
	int rc = emit(p, out, t, strlen(t));
	free(t);
	return rc;
}

/* After "${". */
static int parse_func(P *p, buf *out)
{
	if (++p->depth > SUBST_MAX_DEPTH) {
		p->depth--;
		return fail(p, E_BAD);
	}
	int rc = -1;
	char *name = NULL;
	char op[3] = {0};
	int nargs = 0;
	buf args[2];
	size_t cap = out && out->cap ? out->cap : (size_t)1 << 30;
	buf_init(&args[0], cap);
	buf_init(&args[1], cap);

	if (at(p, 0) == '#') {
		p->i++;
		op[0] = '#';
		size_t st = p->i;
		while (p->i < p->n && ident_char(at(p, 0)))
			p->i++;
		if (p->i == st) {
			fail(p, E_BAD);
			goto out;
		}
		name = xstrndup(p->s + st, p->i - st);
		if (consume_rbrack(p) < 0)
			goto out;
		goto done;
	}
	size_t st = p->i;
	while (p->i < p->n && ident_char(at(p, 0)))
		p->i++;
	if (p->i == st) {
		fail(p, E_NAME);
		goto out;
	}
	name = xstrndup(p->s + st, p->i - st);
	int c = at(p, 0), d = at(p, 1);
	if (p->i >= p->n)
		c = 0;
	if ((c == ':' && (d == '=' || d == '-' || d == '?' || d == '+')) || c == '=') {
		/* the default family: arguments until the closing brace, concatenated */
		op[0] = (char)c;
		op[1] = c == ':' ? (char)d : 0;
		p->i += c == ':' ? 2 : 1;
		for (;;) {
			if (at(p, 0) == '}' && p->i < p->n) {
				p->i++;
				break;
			}
			if (parse_param(p, ACC_NOT_CLOSING, false, &args[0]) < 0)
				goto out;
			nargs = 1;
		}
	} else if (c == ':') {
		op[0] = ':';
		p->i++;
		if (parse_param(p, ACC_NOT_COLON_CLOSE, false, &args[0]) < 0)
			goto out;
		nargs = 1;
		if (at(p, 0) == '}' && p->i < p->n) {
			p->i++;
		} else if (at(p, 0) == ':') {
			while (at(p, 0) == ':')
				p->i++;
			if (parse_param(p, ACC_NOT_CLOSING, false, &args[1]) < 0 ||
			    consume_rbrack(p) < 0)
				goto out;
			nargs = 2;
		} else {
			fail(p, E_BAD);
			goto out;
		}
	} else if (c == ',' || c == '^') {
		op[0] = (char)c;
		p->i++;
		if (at(p, 0) == ',' || at(p, 0) == '^')
			op[1] = (char)p->s[p->i++];
		if (consume_rbrack(p) < 0)
			goto out;
	} else if (c == '#' || c == '%') {
		op[0] = (char)c;
		p->i++;
		if (at(p, 0) == c) {
			op[1] = (char)c;
			p->i++;
		}
		if (parse_param(p, ACC_NOT_CLOSING, false, &args[0]) < 0 || consume_rbrack(p) < 0)
			goto out;
		nargs = 1;
	} else if (c == '/') {
		op[0] = '/';
		p->i++;
		if (d == '/' || d == '#' || d == '%')
			op[1] = (char)p->s[p->i++];
		if (at(p, 0) != '/' && parse_param(p, ACC_NOT_SLASH, true, &args[0]) < 0)
			goto out;
		nargs = 1;
		if (at(p, 0) != '/') {
			fail(p, E_BAD);
			goto out;
		}
		while (at(p, 0) == '/')
			p->i++;
		if (at(p, 0) == '}' && p->i < p->n) {
			p->i++;
		} else {
			if (parse_param(p, ACC_NOT_CLOSING, true, &args[1]) < 0 ||
			    consume_rbrack(p) < 0)
				goto out;
			nargs = 2;
		}
	} else if (c == '}') {
		p->i++;
	} else {
		fail(p, E_BRACE);
		goto out;
	}
done:
	rc = p->eval ? apply(p, out, name, op, nargs, buf_str(&args[0]), buf_str(&args[1])) : 0;
out:
	p->depth--;
	free(name);
	buf_release(&args[0]);
	buf_release(&args[1]);
	return rc;
}

static int parse_any(P *p, buf *out)
{
	while (p->i < p->n) {
		size_t st = p->i;
		while (p->i < p->n && !(at(p, 0) == '$' && (at(p, 1) == '{' || at(p, 1) == '$')))
			p->i++;
		if (emit(p, out, p->s + st, p->i - st) < 0)
			return -1;
		if (p->i >= p->n)
			break;
		if (at(p, 1) == '$') {
			if (emit(p, out, "$", 1) < 0)
				return -1;
			p->i += 2;
			continue;
		}
		p->i += 2;
		if (parse_func(p, out) < 0)
			return -1;
	}
	return 0;
}

int subst_eval(const char *in, size_t len, subst_lookup_fn lookup, void *ud, bool strict, buf *out,
	err *e)
{
	P p = {.s = in, .n = len, .strict = strict, .fn = lookup, .ud = ud, .e = e};
	if (parse_any(&p, NULL) < 0)
		return -1;
	p.i = 0;
	p.eval = true;
	return parse_any(&p, out);
}

bool subst_valid_name(const char *name)
{
	if (!name || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return false;
	for (const char *q = name + 1; *q; q++)
		if (!isalnum((unsigned char)*q) && *q != '_')
			return false;
	return true;
}
