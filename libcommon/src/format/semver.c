/* semver: versions and Masterminds-style constraints (see eddy/semver.h). */
#include "eddy/semver.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"

enum { MAX_IN = 256, MAX_ATOMS = 64 };

static int parse_num(const char **p, uint64_t *out)
{
	const char *s = *p;
	if (!isdigit((unsigned char)*s))
		return -1;
	uint64_t v = 0;
	while (isdigit((unsigned char)*s)) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

static bool ident_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!isalnum((unsigned char)c) && c != '-' && c != '.')
			return false;
		if (c == '.' && (i == 0 || i + 1 == n || s[i + 1] == '.'))
			return false;
	}
	return true;
}

/* A partial version: parts given (0..3), wildcard flags. */
typedef struct pver {
	semver v;
	int nparts;   /* numeric parts given before any wildcard */
	bool wild;    /* a wildcard or missing part */
} pver;

static int parse_pver(const char *s, size_t n, pver *pv, bool allow_wild)
{
	memset(pv, 0, sizeof *pv);
	char tmp[MAX_IN + 1];
	if (n == 0 || n > MAX_IN)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	const char *p = tmp;
	if (*p == 'v' || *p == 'V')
		p++;
	uint64_t *parts[3] = {&pv->v.major, &pv->v.minor, &pv->v.patch};
	for (int i = 0; i < 3; i++) {
		if (allow_wild && (*p == 'x' || *p == 'X' || *p == '*')) {
			pv->wild = true;
			p++;
		} else if (parse_num(&p, parts[i]) < 0) {
			return -1;
		} else if (!pv->wild) {
			pv->nparts = i + 1;
		} else {
			return -1; /* a number after a wildcard */
		}
		if (*p != '.')
			break;
		p++;
		if (!*p)
			return -1;
	}
	if (pv->nparts < 3)
		pv->wild = true;
	if (*p == '-') {
		p++;
		size_t m = strcspn(p, "+");
		if (!ident_ok(p, m) || m >= sizeof pv->v.pre)
			return -1;
		memcpy(pv->v.pre, p, m);
		pv->v.pre[m] = 0;
		p += m;
	}
	if (*p == '+') {
		p++;
		if (!ident_ok(p, strlen(p)))
			return -1;
		p += strlen(p);
	}
	return *p ? -1 : 0;
}

int semver_parse(const char *s, semver *v, err *e)
{
	pver pv;
	if (!s || parse_pver(s, strlen(s), &pv, false) < 0)
		return err_set(e, ERR_STALLING, "InvalidSemver", "invalid semantic version '%.64s'",
			s ? s : "");
	*v = pv.v;
	return 0;
}

static int cmp_pre(const char *a, const char *b)
{
	if (!*a && !*b)
		return 0;
	if (!*a)
		return 1;
	if (!*b)
		return -1;
	while (*a && *b) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		bool na = true, nb = true;
		for (size_t i = 0; i < la; i++)
			na = na && isdigit((unsigned char)a[i]);
		for (size_t i = 0; i < lb; i++)
			nb = nb && isdigit((unsigned char)b[i]);
		int c;
		if (na && nb) {
			c = la != lb ? (la < lb ? -1 : 1) : strncmp(a, b, la);
		} else if (na != nb) {
			c = na ? -1 : 1;
		} else {
			size_t m = la < lb ? la : lb;
			c = strncmp(a, b, m);
			if (!c && la != lb)
				c = la < lb ? -1 : 1;
		}
		if (c)
			return c < 0 ? -1 : 1;
		a += la;
		b += lb;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

int semver_cmp(const semver *a, const semver *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return cmp_pre(a->pre, b->pre);
}

/* One comparison as a half-open interval [lo, hi) with optional ends, possibly negated. */
typedef struct atom {
	bool has_lo, lo_incl, has_hi, hi_incl, negate, pre;
	semver lo, hi;
	bool or_next; /* this atom ends a group ("||" follows) */
} atom;

struct semver_range {
	atom a[MAX_ATOMS];
	size_t n;
};

/* The smallest version above every version matching the first `parts` numbers of v. */
static semver bump(const semver *v, int parts)
{
	semver r = {0};
	if (parts <= 1) {
		r.major = v->major + 1;
	} else if (parts == 2) {
		r.major = v->major;
		r.minor = v->minor + 1;
	} else {
		r = *v;
		r.pre[0] = 0;
		r.patch = v->patch + 1;
	}
	return r;
}

static int make_atom(const char *op, const pver *pv, atom *a)
{
	memset(a, 0, sizeof *a);
	a->pre = pv->v.pre[0] != 0;
	semver v = pv->v;
	int np = pv->nparts;
	if (!strcmp(op, "") || !strcmp(op, "=") || !strcmp(op, "!=")) {
		a->has_lo = a->lo_incl = true;
		a->lo = v;
		if (np == 0) {
			a->has_lo = false; /* "*" */
		} else if (pv->wild) {
			a->has_hi = true;
			a->hi = bump(&v, np);
		} else {
			a->has_hi = a->hi_incl = true;
			a->hi = v;
		}
		a->negate = op[0] == '!';
	} else if (!strcmp(op, ">")) {
		a->has_lo = true;
		if (pv->wild && np > 0) {
			a->lo = bump(&v, np);
			a->lo_incl = true;
		} else {
			a->lo = v;
		}
		if (np == 0)
			a->has_lo = false, a->has_hi = a->negate = true; /* ">*" matches nothing */
	} else if (!strcmp(op, ">=") || !strcmp(op, "=>")) {
		a->has_lo = a->lo_incl = np > 0 || !pv->wild;
		a->lo = v;
	} else if (!strcmp(op, "<")) {
		a->has_hi = true;
		a->hi = v;
		if (np == 0)
			a->has_hi = false, a->negate = true, a->has_lo = false;
	} else if (!strcmp(op, "<=") || !strcmp(op, "=<")) {
		if (pv->wild) {
			if (np > 0) {
				a->has_hi = true;
				a->hi = bump(&v, np);
			}
		} else {
			a->has_hi = a->hi_incl = true;
			a->hi = v;
		}
	} else if (!strcmp(op, "~") || !strcmp(op, "~>")) {
		a->has_lo = a->lo_incl = true;
		a->lo = v;
		if (np > 0) {
			a->has_hi = true;
			a->hi = bump(&v, np == 1 ? 1 : 2);
		}
	} else if (!strcmp(op, "^")) {
		a->has_lo = a->lo_incl = true;
		a->lo = v;
		if (np > 0) {
			a->has_hi = true;
			if (v.major > 0 || np == 1)
				a->hi = bump(&v, 1);
			else if (v.minor > 0 || np == 2)
				a->hi = bump(&v, 2);
			else
				a->hi = bump(&v, 3);
		}
	} else {
		return -1;
	}
	return 0;
}

static bool atom_match(const atom *a, const semver *v)
{
	bool in = true;
	if (a->has_lo) {
		int c = semver_cmp(v, &a->lo);
		in = in && (c > 0 || (c == 0 && a->lo_incl));
	}
	if (a->has_hi) {
		int c = semver_cmp(v, &a->hi);
		/* an exclusive upper bound without prerelease excludes its own prereleases */
		if (c < 0 && !a->hi_incl && !a->hi.pre[0] && v->pre[0] &&
		    v->major == a->hi.major && v->minor == a->hi.minor && v->patch == a->hi.patch)
			c = 0;
		in = in && (c < 0 || (c == 0 && a->hi_incl));
	}
	return a->negate ? !in : in;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	return p;
}

semver_range *semver_range_parse(const char *s, err *e)
{
	if (!s || strlen(s) > MAX_IN) {
		err_set(e, ERR_STALLING, "InvalidSemver", "semver constraint too long");
		return NULL;
	}
	semver_range *r = xcalloc(1, sizeof *r);
	const char *p = skip_ws(s);
	bool group_empty = true;
	while (*p) {
		if (p[0] == '|' && p[1] == '|') {
			if (group_empty || r->n == 0)
				goto bad;
			r->a[r->n - 1].or_next = true;
			group_empty = true;
			p = skip_ws(p + 2);
			continue;
		}
		char op[3] = "";
		size_t ol = strspn(p, "<>=!~^");
		if (ol > 2)
			goto bad;
		memcpy(op, p, ol);
		op[ol] = 0;
		p += ol;
		while (*p == ' ')
			p++;
		size_t vl = strcspn(p, " \t,|");
		pver pv;
		if (vl == 0 || parse_pver(p, vl, &pv, true) < 0)
			goto bad;
		p += vl;
		/* hyphen range "A - B" */
		const char *q = p;
		while (*q == ' ')
			q++;
		if (!ol && q[0] == '-' && q[1] == ' ') {
			q += 2;
			while (*q == ' ')
				q++;
			size_t bl = strcspn(q, " \t,|");
			pver hi;
			if (bl == 0 || parse_pver(q, bl, &hi, true) < 0 || r->n + 2 > MAX_ATOMS)
				goto bad;
			if (make_atom(">=", &pv, &r->a[r->n]) < 0 ||
			    make_atom("<=", &hi, &r->a[r->n + 1]) < 0)
				goto bad;
			r->n += 2;
			p = q + bl;
		} else {
			if (r->n + 1 > MAX_ATOMS || make_atom(op, &pv, &r->a[r->n]) < 0)
				goto bad;
			r->n++;
		}
		group_empty = false;
		p = skip_ws(p);
	}
	if (r->n == 0 || group_empty)
		goto bad;
	return r;
bad:
	free(r);
	err_set(e, ERR_STALLING, "InvalidSemver", "improper constraint: %.128s", s);
	return NULL;
}

bool semver_range_match(const semver_range *r, const semver *v)
{
	size_t i = 0;
	while (i < r->n) {
		bool ok = true, pre = false;
		size_t j = i;
		for (;; j++) {
			ok = ok && atom_match(&r->a[j], v);
			pre = pre || r->a[j].pre;
			if (r->a[j].or_next || j + 1 == r->n)
				break;
		}
		if (ok && (!v->pre[0] || pre))
			return true;
		i = j + 1;
	}
	return false;
}

void semver_range_free(semver_range *r)
{
	free(r);
}
