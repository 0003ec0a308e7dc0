/* yml numbers, UTF-8, limits, paths and freeing: the small shared parts of the yml module. */
#include "yml_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"

/* ---- timestamps (yaml.v3 accepts four layouts; kustomize prints Go's RFC 3339 form) ---- */

static int getnum(const char **p, const char *end, int maxdig)
{
	int v = 0, n = 0;
	while (*p < end && n < maxdig && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n ? v : -1;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Parse a yaml.v3 timestamp; on success write Go's time.Time JSON text (without quotes). */
bool yml_parse_timestamp(const char *s, size_t len, char *out, size_t outlen)
{
	const char *p = s, *end = s + len;
	if (len < 5)
		return false;
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	if (s[4] != '-')
		return false;
	int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	p = s + 5;
	int mon = getnum(&p, end, 2);
	if (mon < 1 || mon > 12 || p >= end || *p != '-')
		return false;
	p++;
	int day = getnum(&p, end, 2);
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int dim = mdays[mon - 1] + (mon == 2 && leap(year));
	if (day < 1 || day > dim)
		return false;
	int hh = 0, mi = 0, ss = 0, offmin = 0;
	long nsec = 0;
	bool zone = false;
	if (p < end) {
		char sep = *p;
		if (sep != 'T' && sep != 't' && sep != ' ')
			return false;
		p++;
		hh = getnum(&p, end, 2);
		if (hh < 0 || hh > 23 || p >= end || *p != ':')
			return false;
		p++;
		mi = getnum(&p, end, 2);
		if (mi < 0 || mi > 59 || p >= end || *p != ':')
			return false;
		p++;
		ss = getnum(&p, end, 2);
		if (ss < 0 || ss > 59)
			return false;
		if (p + 1 < end && (*p == '.' || *p == ',') && p[1] >= '0' && p[1] <= '9') {
			p++;
			int nd = 0;
			while (p < end && *p >= '0' && *p <= '9') {
				if (nd < 9) {
					nsec = nsec * 10 + (*p - '0');
					nd++;
				}
				p++;
			}
			for (; nd < 9; nd++)
				nsec *= 10;
		}
		if (sep == ' ') {
			if (p != end)
				return false;
		} else {
			if (p < end && *p == 'Z') {
				p++;
				zone = true;
			} else if (p < end && (*p == '+' || *p == '-')) {
				int sign = *p == '-' ? -1 : 1;
				p++;
				if (end - p != 5 || p[2] != ':')
					return false;
				for (int i = 0; i < 5; i++)
					if (i != 2 && (p[i] < '0' || p[i] > '9'))
						return false;
				int oh = (p[0] - '0') * 10 + (p[1] - '0');
				int om = (p[3] - '0') * 10 + (p[4] - '0');
				if (oh > 24 || om > 59)
					return false;
				offmin = sign * (oh * 60 + om);
				p += 5;
				zone = true;
			}
			if (!zone || p != end)
				return false;
		}
	}
	char frac[32] = "";
	if (nsec) {
		snprintf(frac, sizeof frac, ".%09ld", nsec);
		size_t n = strlen(frac);
		while (frac[n - 1] == '0')
			frac[--n] = '\0';
	}
	char tz[32] = "Z";
	if (offmin)
		snprintf(tz, sizeof tz, "%c%02d:%02d", offmin < 0 ? '-' : '+',
			 abs(offmin) / 60, abs(offmin) % 60);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", year, mon, day, hh, mi, ss, frac,
		 tz);
	return true;
}

void yml_limits_fill(yml_limits *out, const yml_limits *in)
{
	yml_limits z = { 0 };
	if (!in)
		in = &z;
	out->max_bytes = in->max_bytes ? in->max_bytes : YML_DEFAULT_MAX_BYTES;
	out->max_depth = in->max_depth ? in->max_depth : YML_DEFAULT_MAX_DEPTH;
	if (out->max_depth > YML_MAX_DEPTH_CAP) /* cJSON_Duplicate/cJSON_Delete recurse */
		out->max_depth = YML_MAX_DEPTH_CAP;
	out->max_nodes = in->max_nodes ? in->max_nodes : YML_DEFAULT_MAX_NODES;
	out->max_alias_expansion = in->max_alias_expansion;
	out->max_docs = in->max_docs ? in->max_docs : YML_DEFAULT_MAX_DOCS;
}

bool yml_utf8_valid(const char *str, size_t len, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned cp, min;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
			min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
			min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			goto fail;
		}
		if (len - i <= n)
			goto fail;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				goto fail;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto fail;
		i += n + 1;
	}
	return true;
fail:
	if (bad)
		*bad = i;
	return false;
}

/* Go's json.Marshal replaces invalid UTF-8 with U+FFFD before go-yaml sees the text. */
char *yml_utf8_sanitize(const char *s, size_t *len)
{
	size_t n = strlen(s), bad;
	if (yml_utf8_valid(s, n, &bad)) {
		*len = n;
		return NULL;
	}
	buf b;
	buf_init(&b, (size_t)-1);
	size_t i = 0;
	while (i < n) {
		if (yml_utf8_valid(s + i, n - i, &bad)) {
			buf_add(&b, s + i, n - i);
			break;
		}
		buf_add(&b, s + i, bad);
		buf_add(&b, "\xEF\xBF\xBD", 3);
		i += bad + 1;
	}
	return buf_detach(&b, len);
}


/* Digits of base b in s (no sign, no prefix) into *v; false on a bad digit or overflow. */
static bool parse_digits(const char *s, size_t len, unsigned base, uint64_t *v)
{
	if (len == 0)
		return false;
	uint64_t acc = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned c = (unsigned char)s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		if (d >= base)
			return false;
		if (acc > (UINT64_MAX - d) / base)
			return false;
		acc = acc * base + d;
	}
	*v = acc;
	return true;
}

bool yml_go_parse_int(const char *s, size_t len, ynum *out)
{
	size_t i = 0;
	int sign = 0;
	if (len && (s[0] == '+' || s[0] == '-')) {
		sign = s[0] == '-' ? -1 : 1;
		i = 1;
	}
	unsigned base = 10;
	if (len - i >= 2 && s[i] == '0') {
		char p = s[i + 1];
		if (p == 'x' || p == 'X') {
			base = 16;
			i += 2;
		} else if (p == 'o' || p == 'O') {
			base = 8;
			i += 2;
		} else if (p == 'b' || p == 'B') {
			base = 2;
			i += 2;
		} else {
			base = 8;
			i += 1;
		}
	}
	uint64_t mag;
	if (!parse_digits(s + i, len - i, base, &mag))
		return false;
	if (sign < 0) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return false;
		out->kind = YNUM_INT;
		out->i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
		return true;
	}
	if (mag <= (uint64_t)INT64_MAX) {
		out->kind = YNUM_INT;
		out->i = (int64_t)mag;
		return true;
	}
	if (sign > 0) /* ParseUint takes no sign */
		return false;
	out->kind = YNUM_UINT;
	out->u = mag;
	return true;
}

/* yaml.v3's float syntax: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s, size_t len)
{
	size_t i = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < len && s[i] == '.') {
		i++;
		size_t st = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == st)
			return false;
	} else {
		size_t st = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == st)
			return false;
		if (i < len && s[i] == '.') {
			i++;
			while (i < len && s[i] >= '0' && s[i] <= '9')
				i++;
		}
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t st = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == st)
			return false;
	}
	return i == len;
}

bool yml_go_parse_float(const char *s, size_t len, double *out)
{
	/* Only called on text matching a decimal float syntax. */
	char tmp[128];
	char *p = len < sizeof tmp ? tmp : xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	errno = 0;
	char *end;
	double d = strtod(p, &end);
	bool ok = end == p + len && !(errno == ERANGE && isinf(d));
	if (p != tmp)
		free(p);
	if (ok)
		*out = d;
	return ok;
}

static bool str_in(const char *s, size_t len, const char *const *list)
{
	for (; *list; list++)
		if (strlen(*list) == len && memcmp(*list, s, len) == 0)
			return true;
	return false;
}

bool yml_resolve_number(const char *s, size_t len, ynum *out)
{
	static const char *const inf[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
					   NULL };
	static const char *const ninf[] = { "-.inf", "-.Inf", "-.INF", NULL };
	static const char *const nan[] = { ".nan", ".NaN", ".NAN", NULL };
	memset(out, 0, sizeof *out);
	if (len == 0)
		return false;
	if (str_in(s, len, inf) || str_in(s, len, ninf) || str_in(s, len, nan)) {
		out->kind = YNUM_FLOAT;
		out->f = str_in(s, len, nan) ? NAN : str_in(s, len, ninf) ? -INFINITY : INFINITY;
		return true;
	}
	char c = s[0];
	if (c == '.') {
		if (yaml_style_float(s, len) && yml_go_parse_float(s, len, &out->f)) {
			out->kind = YNUM_FLOAT;
			return true;
		}
		return false;
	}
	if (!(c == '+' || c == '-' || (c >= '0' && c <= '9')))
		return false;
	char tmp[128];
	char *p = len < sizeof tmp ? tmp : xmalloc(len + 1);
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] != '_')
			p[n++] = s[i];
	p[n] = '\0';
	bool ok = false;
	if (yml_go_parse_int(p, n, out)) {
		ok = true;
	} else if (yaml_style_float(p, n) && yml_go_parse_float(p, n, &out->f)) {
		out->kind = YNUM_FLOAT;
		ok = true;
	}
	if (p != tmp)
		free(p);
	return ok;
}

int yml_shortest_digits(double d, char *digits, int *exp10)
{
	char tmp[40];
	d = fabs(d);
	if (d == 0) {
		digits[0] = '0';
		digits[1] = '\0';
		*exp10 = 1;
		return 1;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
		if (prec == 17 || strtod(tmp, NULL) == d)
			break;
	}
	/* tmp is d.ddde[+-]xx */
	int nd = 0;
	char *e = strchr(tmp, 'e');
	for (char *q = tmp; q < e; q++)
		if (*q >= '0' && *q <= '9')
			digits[nd++] = *q;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	*exp10 = (int)strtol(e + 1, NULL, 10) + 1;
	return nd;
}

/* Go's %e with the shortest digits: d.ddde+XX */
static void fmt_e(const char *dig, int nd, int dp, bool neg, char *out, size_t outlen)
{
	buf b;
	buf_init(&b, 64);
	if (neg)
		buf_addc(&b, '-');
	buf_addc(&b, dig[0]);
	if (nd > 1) {
		buf_addc(&b, '.');
		buf_add(&b, dig + 1, (size_t)nd - 1);
	}
	int ex = dp - 1;
	buf_addf(&b, "e%c%02d", ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
	snprintf(out, outlen, "%s", buf_str(&b));
	buf_release(&b);
}

/* Go's %f with the shortest digits. */
static void fmt_f(const char *dig, int nd, int dp, bool neg, char *out, size_t outlen)
{
	buf b;
	buf_init(&b, 512);
	if (neg)
		buf_addc(&b, '-');
	if (dp > 0) {
		for (int k = 0; k < dp; k++)
			buf_addc(&b, k < nd ? dig[k] : '0');
	} else {
		buf_addc(&b, '0');
	}
	if (nd > dp) {
		buf_addc(&b, '.');
		for (int k = dp; k < nd; k++)
			buf_addc(&b, k < 0 ? '0' : dig[k]);
	}
	snprintf(out, outlen, "%s", buf_str(&b));
	buf_release(&b);
}

void yml_format_float(double d, char fmt, char *out, size_t outlen)
{
	if (isnan(d)) {
		snprintf(out, outlen, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(out, outlen, d < 0 ? "-Inf" : "+Inf");
		return;
	}
	char dig[32];
	int dp;
	int nd = yml_shortest_digits(d, dig, &dp);
	bool neg = signbit(d);
	if (d == 0)
		dp = 1, nd = 1;
	if (fmt == 'g') {
		int ex = dp - 1;
		if (ex < -4 || ex >= 6) /* shortest: eprec is 6 */
			fmt_e(dig, nd, dp, neg, out, outlen);
		else
			fmt_f(dig, nd, dp, neg, out, outlen);
		return;
	}
	/* encoding/json */
	double a = fabs(d);
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		fmt_e(dig, nd, dp, neg, out, outlen);
		size_t n = strlen(out);
		if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') {
			out[n - 2] = out[n - 1];
			out[n - 1] = '\0';
		}
	} else {
		fmt_f(dig, nd, dp, neg, out, outlen);
	}
}

void yml_number_value(const cJSON *n, ynum *out)
{
	memset(out, 0, sizeof *out);
	if (n->valuestring && yml_resolve_number(n->valuestring, strlen(n->valuestring), out))
		return;
	double d = n->valuedouble;
	if (isfinite(d) && d == floor(d) && d >= -9223372036854775808.0 &&
	    d < 9223372036854775808.0) {
		out->kind = YNUM_INT;
		out->i = (int64_t)d;
		return;
	}
	out->kind = YNUM_FLOAT;
	out->f = d;
}

static double ynum_double(const ynum *v)
{
	switch (v->kind) {
	case YNUM_INT:
		return (double)v->i;
	case YNUM_UINT:
		return (double)v->u;
	default:
		return v->f;
	}
}

cJSON *yml_number_new(const char *literal)
{
	ynum v;
	if (!literal || !yml_resolve_number(literal, strlen(literal), &v))
		return NULL;
	cJSON *n = cJSON_CreateNumber(ynum_double(&v));
	n->valuestring = xstrdup(literal);
	return n;
}

cJSON *yml_int_new(int64_t v)
{
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%lld", (long long)v);
	cJSON *n = cJSON_CreateNumber((double)v);
	n->valuestring = xstrdup(tmp);
	return n;
}

void yml_number_set(cJSON *n, double v)
{
	if (!n)
		return;
	free(n->valuestring);
	n->valuestring = NULL;
	cJSON_SetNumberHelper(n, v);
}

bool yml_number_int(const cJSON *n, int64_t *out)
{
	if (!cJSON_IsNumber(n))
		return false;
	ynum v;
	yml_number_value(n, &v);
	if (v.kind == YNUM_INT) {
		*out = v.i;
		return true;
	}
	if (v.kind == YNUM_FLOAT && isfinite(v.f) && v.f == floor(v.f) &&
	    v.f >= -9223372036854775808.0 && v.f < 9223372036854775808.0) {
		*out = (int64_t)v.f;
		return true;
	}
	return false;
}

const char *yml_number_text(const cJSON *n, char *tmp, size_t tmplen)
{
	if (!cJSON_IsNumber(n) || tmplen < 32)
		return NULL;
	ynum v;
	yml_number_value(n, &v);
	if (v.kind == YNUM_INT) {
		snprintf(tmp, tmplen, "%lld", (long long)v.i);
		return tmp;
	}
	if (v.kind == YNUM_UINT) {
		snprintf(tmp, tmplen, "%llu", (unsigned long long)v.u);
		return tmp;
	}
	if (!isfinite(v.f))
		return NULL;
	/* Go: json.Marshal(float64) and then go-yaml v2 reads that text back. */
	char j[400];
	yml_format_float(v.f, 'j', j, sizeof j);
	ynum back;
	if (!strpbrk(j, ".eE") && yml_go_parse_int(j, strlen(j), &back)) {
		if (back.kind == YNUM_INT)
			snprintf(tmp, tmplen, "%lld", (long long)back.i);
		else
			snprintf(tmp, tmplen, "%llu", (unsigned long long)back.u);
		return tmp;
	}
	yml_format_float(v.f, 'g', tmp, tmplen);
	return tmp;
}

const cJSON *yml_get_path(const cJSON *obj, const char *path)
{
	const cJSON *cur = obj;
	const char *p = path;
	while (cur && p && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (cJSON_IsObject(cur)) {
			const cJSON *found = NULL;
			for (const cJSON *c = cur->child; c; c = c->next) {
				if (c->string && strlen(c->string) == n &&
				    memcmp(c->string, p, n) == 0) {
					found = c;
					break;
				}
			}
			cur = found;
		} else if (cJSON_IsArray(cur)) {
			if (n == 0 || n > 9)
				return NULL;
			long idx = 0;
			for (size_t k = 0; k < n; k++) {
				if (p[k] < '0' || p[k] > '9')
					return NULL;
				idx = idx * 10 + (p[k] - '0');
			}
			cur = cJSON_GetArrayItem(cur, (int)idx);
		} else {
			return NULL;
		}
		p = dot ? dot + 1 : NULL;
	}
	return cur;
}

const char *yml_get_string(const cJSON *obj, const char *path)
{
	const cJSON *n = yml_get_path(obj, path);
	return cJSON_IsString(n) ? n->valuestring : NULL;
}

void yml_free(cJSON *v)
{
	/* Splice every child list into a single worklist linked through ->next. */
	cJSON *work = v;
	if (v) {
		v->next = NULL;
		v->prev = NULL;
	}
	while (work) {
		cJSON *n = work;
		work = n->next;
		if (n->child && !(n->type & cJSON_IsReference)) {
			cJSON *last = n->child;
			while (last->next)
				last = last->next;
			last->next = work;
			work = n->child;
		}
		n->child = NULL;
		n->next = NULL;
		cJSON_Delete(n);
	}
}
