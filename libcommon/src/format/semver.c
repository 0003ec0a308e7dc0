/* semver: Masterminds/semver v3 versions and constraints (see eddy/semver.h): NewVersion,
 * NewConstraint with its regular expressions (Go's \s written out), hyphen range rewriting,
 * wildcard ("dirty") constraints, and Check with the prerelease rules. */
#include "eddy/semver.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/regex.h"

/* ---- versions ---- */

static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '-'; }

/* Dot-separated non-empty identifiers of [0-9A-Za-z-]; returns the length consumed or 0. */
static size_t idents(const char *p)
{
	size_t i = 0;
	for (;;) {
		size_t st = i;
		while (ident_char(p[i]))
			i++;
		if (i == st)
			return 0;
		if (p[i] != '.' || !ident_char(p[i + 1]))
			return i;
		i++;
	}
}

static bool num(const char **p, uint64_t *out)
{
	const char *s = *p;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	*out = v;
	*p = end;
	return errno == 0;
}

/* semver.NewVersion: `v?N(.N)?(.N)?(-pre)?(+meta)?`, missing parts are 0, a numeric prerelease
 * part may not start with 0. */
int semver_parse_go(const char *s, semver *v)
{
	memset(v, 0, sizeof *v);
	const char *p = s;
	if (*p == 'v')
		p++;
	uint64_t *parts[3] = {&v->major, &v->minor, &v->patch};
	for (int i = 0; i < 3; i++) {
		if (i && (*p != '.' || !isdigit((unsigned char)p[1])))
			break;
		if (i)
			p++;
		if (!num(&p, parts[i]))
			return isdigit((unsigned char)*p) || i ? SEMVER_ERANGE : SEMVER_EINVALID;
	}
	size_t pl = 0, ml = 0;
	const char *pre = NULL, *meta = NULL;
	if (*p == '-') {
		pre = p + 1;
		if (!(pl = idents(pre)))
			return SEMVER_EINVALID;
		p = pre + pl;
	}
	if (*p == '+') {
		meta = p + 1;
		if (!(ml = idents(meta)))
			return SEMVER_EINVALID;
		p = meta + ml;
	}
	if (*p)
		return SEMVER_EINVALID;
	if (pre)
		for (size_t i = 0; i < pl;) {
			size_t n = strcspn(pre + i, ".");
			if (n > pl - i)
				n = pl - i;
			if (n > 1 && pre[i] == '0' && strspn(pre + i, "0123456789") >= n)
				return SEMVER_ELEADZERO;
			i += n + 1;
		}
	if (pl >= sizeof v->pre || ml >= sizeof v->meta)
		return SEMVER_EINVALID;
	memcpy(v->pre, pre ? pre : "", pl);
	v->pre[pl] = 0;
	memcpy(v->meta, meta ? meta : "", ml);
	v->meta[ml] = 0;
	return 0;
}

const char *semver_strerror(int code)
{
	switch (code) {
	case 0: return "";
	case SEMVER_ERANGE: return "Error parsing version segment: value out of range";
	case SEMVER_ELEADZERO: return "version segment starts with 0";
	default: return "invalid semantic version";
	}
}

int semver_parse(const char *s, semver *v, err *e)
{
	if (!s || strlen(s) > SEMVER_MAX || semver_parse_go(s, v) < 0)
		return err_set(e, ERR_STALLING, "InvalidSemver", "invalid semantic version '%.64s'",
			s ? s : "");
	return 0;
}

static int pre_part_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	if (la == lb && !memcmp(a, b, la))
		return 0;
	if (!la)
		return -1;
	if (!lb)
		return 1;
	bool na = strspn(a, "0123456789") >= la, nb = strspn(b, "0123456789") >= lb;
	if (na && nb) {
		unsigned long long x = strtoull(a, NULL, 10), y = strtoull(b, NULL, 10);
		return x < y ? -1 : x > y;
	}
	if (na)
		return -1;
	if (nb)
		return 1;
	size_t m = la < lb ? la : lb;
	int c = memcmp(a, b, m);
	if (c)
		return c < 0 ? -1 : 1;
	return la < lb ? -1 : la > lb;
}

static int pre_cmp(const char *a, const char *b)
{
	if (!strcmp(a, b))
		return 0;
	if (!*a)
		return 1;
	if (!*b)
		return -1;
	while (*a || *b) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		int c = pre_part_cmp(a, la, b, lb);
		if (c)
			return c;
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
	return 0;
}

int semver_cmp(const semver *a, const semver *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return pre_cmp(a->pre, b->pre);
}

/* ---- constraints ---- */

#define WS "[\\t\\n\\f\\r ]"
#define CV "v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?" \
	   "(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
#define OPS "=||!=|>|<|>=|=>|<=|=<|~|~>|\\^"

enum { RE_CONSTRAINT, RE_RANGE, RE_FIND, RE_VALID, RE_N, RE_SPANS = 32 };

static const char *const re_src[RE_N] = {
	"^" WS "*(" OPS ")" WS "*(" CV ")" WS "*$",
	WS "*(" CV ")" WS "+-" WS "+(" CV ")" WS "*",
	"(" OPS ")" WS "*(" CV ")",
	"^(" WS "*(" OPS ")" WS "*(" CV ")" WS "*)((?:" WS "+|," WS "*)(" OPS ")" WS "*(" CV ")" WS
	"*)*$",
};

/* Compiled once for the process; an rx is safe to share between threads. */
static rx *res[RE_N];
static pthread_once_t res_once = PTHREAD_ONCE_INIT;

static void res_make(void)
{
	for (int i = 0; i < RE_N; i++)
		res[i] = rx_compile(re_src[i], 0, NULL, 0);
}

static bool res_ready(void)
{
	pthread_once(&res_once, res_make);
	for (int i = 0; i < RE_N; i++)
		if (!res[i])
			return false;
	return true;
}

/* The offsets of one match: ov[2i], ov[2i+1] for group i (RX_UNSET when unset). */
typedef struct match {
	size_t ov[2 * RE_SPANS];
} match;

/* Match re at or after start. */
static bool rmatch(int which, const char *s, size_t n, size_t start, match *m)
{
	rx_span sp[RE_SPANS];
	int rc = rx_exec(res[which], s, n, start, sp, RE_SPANS);
	for (int i = 0; i < RE_SPANS; i++) {
		m->ov[2 * i] = rc > 0 ? sp[i].start : RX_UNSET;
		m->ov[2 * i + 1] = rc > 0 ? sp[i].end : RX_UNSET;
	}
	return rc > 0;
}

typedef struct cons {
	char op[3];
	semver con;
	bool dirty, minor_dirty, patch_dirty;
} cons;

struct semver_range {
	cons *c;
	size_t n, cap;
	size_t *group_end; /* c[group_end[g-1] .. group_end[g]) is AND group g */
	size_t ngroups;
};

static int failf(char *msg, size_t msgn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int failf(char *msg, size_t msgn, const char *fmt, ...)
{
	if (msg && msgn) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, msgn, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool is_x(const char *s, size_t n)
{
	return n == 1 && (*s == 'x' || *s == 'X' || *s == '*');
}

static int parse_one(const char *s, size_t n, cons *c, char *msg, size_t msgn)
{
	memset(c, 0, sizeof *c);
	match mt;
	const size_t *ov = mt.ov;
	if (!rmatch(RE_CONSTRAINT, s, n, 0, &mt))
		return failf(msg, msgn, "improper constraint: %.*s", (int)n, s);
	snprintf(c->op, sizeof c->op, "%.*s", (int)(ov[3] - ov[2]), s + ov[2]);
#define G(i) (ov[2 * (i)] == RX_UNSET ? "" : s + ov[2 * (i)])
#define GL(i) (ov[2 * (i)] == RX_UNSET ? 0 : (int)(ov[2 * (i) + 1] - ov[2 * (i)]))
	char *ver;
	if (is_x(G(3), (size_t)GL(3)) || !GL(3)) {
		ver = xasprintf("0.0.0%.*s", GL(6), G(6));
		c->dirty = true;
	} else if (!GL(4) || is_x(G(4) + 1, (size_t)GL(4) - 1)) {
		ver = xasprintf("%.*s.0.0%.*s", GL(3), G(3), GL(6), G(6));
		c->dirty = c->minor_dirty = true;
	} else if (!GL(5) || is_x(G(5) + 1, (size_t)GL(5) - 1)) {
		ver = xasprintf("%.*s%.*s.0%.*s", GL(3), G(3), GL(4), G(4), GL(6), G(6));
		c->dirty = c->patch_dirty = true;
	} else {
		ver = xstrndup(s + ov[4], ov[5] - ov[4]);
	}
#undef G
#undef GL
	int rc = semver_parse_go(ver, &c->con);
	free(ver);
	if (rc)
		return failf(msg, msgn, "constraint Parser Error");
	return 0;
}

static bool tilde(const semver *v, const cons *c)
{
	if (semver_cmp(v, &c->con) < 0)
		return false;
	if (!c->con.major && !c->con.minor && !c->con.patch && !c->minor_dirty && !c->patch_dirty)
		return true;
	if (v->major != c->con.major)
		return false;
	if (v->minor != c->con.minor && !c->minor_dirty)
		return false;
	return true;
}

/* A prerelease version only satisfies a constraint with a prerelease, unless some constraint
 * of the same AND group has one (include_pre). */
static bool check(const semver *v, const cons *c, bool include_pre)
{
	const char *op = c->op;
	const semver *k = &c->con;
	if (!include_pre && v->pre[0] && !k->pre[0])
		return false;
	if (!strcmp(op, "!=")) {
		if (c->dirty) {
			if (k->major != v->major)
				return true;
			if (k->minor != v->minor && !c->minor_dirty)
				return true;
			if (c->minor_dirty)
				return false;
			if (k->patch != v->patch && !c->patch_dirty)
				return true;
			if (c->patch_dirty) {
				if (v->pre[0] || k->pre[0])
					return pre_cmp(v->pre, k->pre) != 0;
				return false;
			}
		}
		return semver_cmp(v, k) != 0;
	}
	if (!*op || !strcmp(op, "="))
		return c->dirty ? tilde(v, c) : semver_cmp(v, k) == 0;
	if (!strcmp(op, ">")) {
		if (!c->dirty)
			return semver_cmp(v, k) > 0;
		if (v->major != k->major)
			return v->major > k->major;
		if (c->minor_dirty)
			return false;
		if (c->patch_dirty)
			return v->minor > k->minor;
		return semver_cmp(v, k) > 0;
	}
	if (!strcmp(op, "<"))
		return semver_cmp(v, k) < 0;
	if (!strcmp(op, ">=") || !strcmp(op, "=>"))
		return semver_cmp(v, k) >= 0;
	if (!strcmp(op, "<=") || !strcmp(op, "=<")) {
		if (!c->dirty)
			return semver_cmp(v, k) <= 0;
		if (v->major > k->major)
			return false;
		if (v->major == k->major && v->minor > k->minor && !c->minor_dirty)
			return false;
		return true;
	}
	if (op[0] == '~')
		return tilde(v, c);
	/* ^ */
	if (semver_cmp(v, k) < 0)
		return false;
	if (k->major > 0 || c->minor_dirty)
		return v->major == k->major;
	if (v->major > 0)
		return false;
	if (k->minor > 0 || c->patch_dirty)
		return v->minor == k->minor;
	if (v->minor > 0)
		return false;
	return k->patch == v->patch;
}

/* rewriteRange: "A - B" becomes ">= A, <= B" (each match's text replaced at its first
 * occurrence, as strings.Replace(o, m, t, 1) does). */
static char *rewrite_range(const char *c)
{
	size_t n = strlen(c), pos = 0;
	char *o = xstrdup(c);
	match mt;
	const size_t *ov = mt.ov;
	while (pos <= n && rmatch(RE_RANGE, c, n, pos, &mt)) {
		size_t ms = ov[0], me = ov[1];
		char *a = xstrndup(c + ov[2], ov[3] - ov[2]);
		char *b = xstrndup(c + ov[22], ov[23] - ov[22]);
		char *t = xasprintf(">= %s, <= %s ", a, b);
		char *m = xstrndup(c + ms, me - ms);
		char *at = strstr(o, m);
		if (at) {
			char *no = xasprintf("%.*s%s%s", (int)(at - o), o, t, at + strlen(m));
			free(o);
			o = no;
		}
		free(a);
		free(b);
		free(t);
		free(m);
		pos = me > ms ? me : me + 1;
	}
	return o;
}

static cons *add_cons(semver_range *r)
{
	if (r->n == r->cap)
		r->c = xrealloc(r->c, (r->cap = r->cap ? 2 * r->cap : 8) * sizeof *r->c);
	return &r->c[r->n];
}

void semver_range_free(semver_range *r)
{
	if (!r)
		return;
	free(r->c);
	free(r->group_end);
	free(r);
}

semver_range *semver_constraint_parse(const char *s, char *msg, size_t msgn)
{
	if (!res_ready()) {
		failf(msg, msgn, "semver: internal regexp error");
		return NULL;
	}
	semver_range *r = xcalloc(1, sizeof *r);
	char *c = rewrite_range(s);
	int rc = 0;
	for (char *p = c;;) {
		char *bar = strstr(p, "||");
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		match mt;
		if (!rmatch(RE_VALID, p, n, 0, &mt)) {
			rc = failf(msg, msgn, "improper constraint: %.*s", (int)n, p);
			break;
		}
		size_t pos = 0, found = 0;
		while (pos <= n && rmatch(RE_FIND, p, n, pos, &mt)) {
			size_t ms = mt.ov[0], me = mt.ov[1];
			if (parse_one(p + ms, me - ms, add_cons(r), msg, msgn)) {
				rc = -1;
				break;
			}
			r->n++;
			found++;
			pos = me > ms ? me : me + 1;
		}
		if (!rc && !found) {
			if (parse_one(p, n, add_cons(r), msg, msgn))
				rc = -1;
			else
				r->n++;
		}
		if (rc)
			break;
		r->group_end = xrealloc(r->group_end, (r->ngroups + 1) * sizeof *r->group_end);
		r->group_end[r->ngroups++] = r->n;
		if (!bar)
			break;
		p = bar + 2;
	}
	free(c);
	if (rc) {
		semver_range_free(r);
		return NULL;
	}
	return r;
}

semver_range *semver_range_parse(const char *s, err *e)
{
	if (!s || strlen(s) > SEMVER_MAX) {
		err_set(e, ERR_STALLING, "InvalidSemver", "semver constraint too long");
		return NULL;
	}
	semver_range *r = semver_constraint_parse(s, NULL, 0);
	if (!r)
		err_set(e, ERR_STALLING, "InvalidSemver", "improper constraint: %.128s", s);
	return r;
}

bool semver_range_match(const semver_range *r, const semver *v)
{
	size_t st = 0;
	for (size_t g = 0; g < r->ngroups; g++) {
		bool joy = true, include_pre = false;
		for (size_t i = st; i < r->group_end[g]; i++)
			include_pre = include_pre || r->c[i].con.pre[0];
		for (size_t i = st; i < r->group_end[g] && joy; i++)
			joy = check(v, &r->c[i], include_pre);
		if (joy)
			return true;
		st = r->group_end[g];
	}
	return false;
}
