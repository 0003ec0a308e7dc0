/* Helm's fromToml: TOML 1.0 read as BurntSushi/toml decodes into map[string]interface{}
 * (integers int64, floats float64, offset date-times time.Time, local dates/times as times in
 * Go's "date-local"/"time-local"/"datetime-local" zones, arrays of tables []map[string]...).
 * A parse error gives {"Error": "toml: line N: ..."} as Helm does. Nesting and size are capped. */
#include "eddy/mem.h"
#include "gotmpl/fn.h"
#include "gotmpl/gotime.h"
#include "gotmpl/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


enum { TOML_MAX_DEPTH = 200 };

typedef struct tp {
	const char *s, *end;
	int line;
	char *lastkey;   /* for messages: the last key read (with the inline-table prefix) */
	const char *prefix; /* the key of the inline table being read, or NULL */
	void **dotted;   /* tables made by dotted keys (BurntSushi lets a later a = v pass) */
	size_t ndotted;
	buf err;         /* the message when failed */
	bool failed;
	tmpl_val defined; /* map: dotted table paths defined by headers or inline ("1") */
} tp;

static int fail(tp *p, bool with_key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(tp *p, bool with_key, const char *fmt, ...)
{
	if (p->failed)
		return -1;
	p->failed = true;
	buf_addf(&p->err, "toml: line %d", p->line);
	if (with_key && p->lastkey)
		buf_addf(&p->err, " (last key \"%s\")", p->lastkey);
	buf_adds(&p->err, ": ");
	va_list ap;
	va_start(ap, fmt);
	char tmp[512];
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	buf_adds(&p->err, tmp);
	return -1;
}

static bool at_end(tp *p) { return p->s >= p->end; }

static void skip_ws(tp *p)
{
	while (!at_end(p) && (*p->s == ' ' || *p->s == '\t'))
		p->s++;
}

static void skip_comment(tp *p)
{
	if (!at_end(p) && *p->s == '#')
		while (!at_end(p) && *p->s != '\n')
			p->s++;
}

/* whitespace, comments and newlines (inside arrays) */
static void skip_all(tp *p)
{
	for (;;) {
		skip_ws(p);
		skip_comment(p);
		if (!at_end(p) && *p->s == '\r' && p->s + 1 < p->end && p->s[1] == '\n')
			p->s++;
		if (!at_end(p) && *p->s == '\n') {
			p->s++;
			p->line++;
			continue;
		}
		return;
	}
}

static void utf8(buf *b, unsigned long c)
{
	if (c < 0x80) {
		buf_addc(b, (char)c);
	} else if (c < 0x800) {
		buf_addc(b, (char)(0xC0 | c >> 6));
		buf_addc(b, (char)(0x80 | (c & 0x3F)));
	} else if (c < 0x10000) {
		buf_addc(b, (char)(0xE0 | c >> 12));
		buf_addc(b, (char)(0x80 | (c >> 6 & 0x3F)));
		buf_addc(b, (char)(0x80 | (c & 0x3F)));
	} else {
		buf_addc(b, (char)(0xF0 | c >> 18));
		buf_addc(b, (char)(0x80 | (c >> 12 & 0x3F)));
		buf_addc(b, (char)(0x80 | (c >> 6 & 0x3F)));
		buf_addc(b, (char)(0x80 | (c & 0x3F)));
	}
}

/* A string starting at p->s (one of " ' """ '''); appended to b. */
static int parse_string(tp *p, buf *b)
{
	char q = *p->s;
	bool multi = p->end - p->s >= 3 && p->s[1] == q && p->s[2] == q;
	p->s += multi ? 3 : 1;
	if (multi) {
		if (!at_end(p) && *p->s == '\n') {
			p->s++;
			p->line++;
		} else if (p->end - p->s >= 2 && p->s[0] == '\r' && p->s[1] == '\n') {
			p->s += 2;
			p->line++;
		}
	}
	for (;;) {
		if (at_end(p))
			return fail(p, true, "unexpected EOF; expected '%s'",
				    multi ? (q == '"' ? "\"\"\"" : "'''") : (q == '"' ? "\"" : "'"));
		char c = *p->s;
		if (multi && c == q && p->end - p->s >= 3 && p->s[1] == q && p->s[2] == q) {
			/* up to two extra quotes belong to the content */
			size_t n = 3;
			while (n < 5 && p->s + n < p->end && p->s[n] == q)
				n++;
			buf_add(b, p->s, n - 3);
			p->s += n;
			return 0;
		}
		if (!multi && c == q) {
			p->s++;
			return 0;
		}
		if (c == '\n') {
			if (!multi)
				return fail(p, true, "strings cannot contain newlines");
			p->line++;
			buf_addc(b, '\n');
			p->s++;
			continue;
		}
		if (c == '\\' && q == '"') {
			p->s++;
			if (at_end(p))
				return fail(p, true, "unexpected EOF");
			char k = *p->s++;
			switch (k) {
			case 'b': buf_addc(b, '\b'); break;
			case 't': buf_addc(b, '\t'); break;
			case 'n': buf_addc(b, '\n'); break;
			case 'f': buf_addc(b, '\f'); break;
			case 'r': buf_addc(b, '\r'); break;
			case 'e': buf_addc(b, 0x1B); break;
			case '"': buf_addc(b, '"'); break;
			case '\\': buf_addc(b, '\\'); break;
			case 'u':
			case 'U': {
				int n = k == 'u' ? 4 : 8;
				if (p->end - p->s < n)
					return fail(p, true, "unexpected EOF");
				unsigned long cp = 0;
				for (int i = 0; i < n; i++) {
					if (!isxdigit((unsigned char)p->s[i]))
						return fail(p, true, "invalid escape");
					char h = p->s[i];
					cp = cp * 16 + (unsigned long)(isdigit((unsigned char)h)
						? h - '0' : tolower(h) - 'a' + 10);
				}
				if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
					return fail(p, true, "invalid unicode escape");
				p->s += n;
				utf8(b, cp);
				break;
			}
			default:
				if (multi && (k == ' ' || k == '\t' || k == '\n' || k == '\r')) {
					/* line-ending backslash: trim whitespace and newlines */
					p->s--;
					while (!at_end(p) && *p->s && strchr(" \t\r\n", *p->s)) {
						if (*p->s == '\n')
							p->line++;
						p->s++;
					}
					break;
				}
				return fail(p, true, "invalid escape in string '\\%c'", k);
			}
			continue;
		}
		buf_addc(b, c);
		p->s++;
	}
}

static bool bare_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '-'; }

/* A dotted key; the parts are pushed onto a list of strings. */
static int parse_key(tp *p, tmpl_val *parts)
{
	*parts = tmpl_list_new(4);
	buf full;
	buf_init(&full, 1 << 16);
	for (;;) {
		skip_ws(p);
		buf part;
		buf_init(&part, 1 << 20);
		if (!at_end(p) && (*p->s == '"' || *p->s == '\'')) {
			if (parse_string(p, &part)) {
				buf_release(&part);
				buf_release(&full);
				return -1;
			}
		} else {
			const char *st = p->s;
			while (!at_end(p) && bare_char(*p->s))
				p->s++;
			if (p->s == st) {
				buf_release(&part);
				buf_release(&full);
				if (at_end(p))
					return fail(p, false, "unexpected EOF; expected key");
				if (*p->s == '=')
					return fail(p, false, "unexpected '=': key name appears blank");
				if (*p->s == ']')
					return fail(p, false, "unexpected end of table name (table names "
						    "cannot be empty)");
				return fail(p, false, "bare keys cannot contain '%c'", *p->s);
			}
			buf_add(&part, st, (size_t)(p->s - st));
		}
		if (full.len)
			buf_addc(&full, '.');
		buf_add(&full, part.data ? part.data : "", part.len);
		tmpl_list_push(parts, tmpl_strn(part.data ? part.data : "", part.len));
		buf_release(&part);
		skip_ws(p);
		if (!at_end(p) && *p->s == '.') {
			p->s++;
			continue;
		}
		break;
	}
	free(p->lastkey);
	if (p->prefix) {
		char *k = xasprintf("%s.%s", p->prefix, buf_str(&full));
		buf_release(&full);
		p->lastkey = k;
	} else {
		p->lastkey = buf_detach(&full, NULL);
	}
	return 0;
}

static int parse_value(tp *p, tmpl_val *out, int depth);

static bool digits_us(const char *s, const char *e, int (*isd)(int))
{
	/* digits with single underscores between them */
	if (s >= e || !isd((unsigned char)*s) || !isd((unsigned char)e[-1]))
		return false;
	for (const char *c = s; c < e; c++)
		if (*c == '_' ? !isd((unsigned char)c[1]) : !isd((unsigned char)*c))
			return false;
	return true;
}

static int isodigit(int c) { return c >= '0' && c <= '7'; }
static int isbdigit(int c) { return c == '0' || c == '1'; }

static tmpl_val time_val(int64_t sec, long nsec, bool utc, long off, const char *zone)
{
	return tv_time_new(sec, nsec, utc, off, zone);
}

static bool ndigits(const char *c, const char *e, int n)
{
	if (e - c < n)
		return false;
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)c[i]))
			return false;
	return true;
}

/* Dates and times: 1979-05-27[T ]07:32:00[.frac][Z|+hh:mm], 1979-05-27, 07:32:00[.frac]. */
static bool parse_datetime(tp *p, tmpl_val *out)
{
	const char *s = p->s, *e = p->end;
	int y = 0, mo = 1, d = 1, h = 0, mi = 0, se = 0;
	long ns = 0;
	bool has_date = false, has_time = false, has_off = false;
	long off = 0;
	const char *c = s;
	if (ndigits(c, e, 4) && e - c > 4 && c[4] == '-') {
		if (!(e - c >= 10 && isdigit((unsigned char)c[5]) &&
		      isdigit((unsigned char)c[6]) && c[7] == '-' && isdigit((unsigned char)c[8]) &&
		      isdigit((unsigned char)c[9])))
			return false;
		y = (c[0] - '0') * 1000 + (c[1] - '0') * 100 + (c[2] - '0') * 10 + (c[3] - '0');
		mo = (c[5] - '0') * 10 + (c[6] - '0');
		d = (c[8] - '0') * 10 + (c[9] - '0');
		c += 10;
		has_date = true;
		if (e - c >= 2 && (*c == 'T' || *c == 't' || *c == ' ') && isdigit((unsigned char)c[1]))
			c++;
		else
			goto done;
	}
	if (e - c >= 8 && isdigit((unsigned char)c[0]) && isdigit((unsigned char)c[1]) &&
	    c[2] == ':' && isdigit((unsigned char)c[3]) && isdigit((unsigned char)c[4]) &&
	    c[5] == ':' && isdigit((unsigned char)c[6]) && isdigit((unsigned char)c[7])) {
		h = (c[0] - '0') * 10 + (c[1] - '0');
		mi = (c[3] - '0') * 10 + (c[4] - '0');
		se = (c[6] - '0') * 10 + (c[7] - '0');
		c += 8;
		has_time = true;
		if (c < e && *c == '.') {
			c++;
			int n = 0;
			while (c < e && isdigit((unsigned char)*c)) {
				if (n < 9) {
					ns = ns * 10 + (*c - '0');
					n++;
				}
				c++;
			}
			if (!n)
				return false;
			while (n++ < 9)
				ns *= 10;
		}
		if (has_date && c < e && (*c == 'Z' || *c == 'z')) {
			c++;
			has_off = true;
		} else if (has_date && e - c >= 6 && (*c == '+' || *c == '-') &&
			   isdigit((unsigned char)c[1]) && isdigit((unsigned char)c[2]) && c[3] == ':' &&
			   isdigit((unsigned char)c[4]) && isdigit((unsigned char)c[5])) {
			off = ((c[1] - '0') * 10 + (c[2] - '0')) * 3600 +
			      ((c[4] - '0') * 10 + (c[5] - '0')) * 60;
			if (*c == '-')
				off = -off;
			c += 6;
			has_off = true;
		}
	} else if (!has_date) {
		return false;
	}
done:
	if (!has_date && !has_time)
		return false;
	static const int dim[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (mo < 1 || mo > 12 || d < 1 || d > dim[mo - 1] || h > 23 || mi > 59 || se > 60)
		return false;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	int64_t t = gt_days_from_civil(has_date ? y : 0, has_date ? mo : 1, has_date ? d : 1) *
		    86400 + h * 3600 + mi * 60 + se;
	p->s = c;
	if (has_off)
		*out = time_val(t - off, ns, off == 0, off, "");
	else
		*out = time_val(t, ns, false, 0, !has_time ? "date-local"
						 : !has_date ? "time-local" : "datetime-local");
	return true;
}

static int parse_number(tp *p, tmpl_val *out)
{
	const char *st = p->s;
	while (!at_end(p) && (isalnum((unsigned char)*p->s) || (*p->s && strchr("+-._", *p->s))))
		p->s++;
	size_t n = (size_t)(p->s - st);
	char *tok = xstrndup(st, n);
	const char *t = tok;
	int rc = 0;
	bool neg = false;
	const char *u = t;
	if (*u == '+' || *u == '-')
		neg = *u++ == '-';
	if (!strcmp(u, "inf") || !strcmp(u, "nan")) {
		*out = tmpl_float(u[0] == 'i' ? (neg ? -INFINITY : INFINITY) : NAN);
		goto out;
	}
	if (u[0] == '0' && (u[1] == 'x' || u[1] == 'o' || u[1] == 'b') && t == u) {
		int base = u[1] == 'x' ? 16 : u[1] == 'o' ? 8 : 2;
		int (*isd)(int) = base == 16 ? isxdigit : base == 8 ? isodigit : isbdigit;
		if (!digits_us(u + 2, tok + n, isd)) {
			static const char *const nm[] = {"hexadecimal", "octal", "binary"};
			rc = fail(p, true, "not a %s number: '%s '", nm[base == 16 ? 0 : base == 8 ? 1
									    : 2], tok);
			goto out;
		}
		uint64_t v = 0;
		for (const char *c = u + 2; *c; c++) {
			if (*c == '_')
				continue;
			int dv = isdigit((unsigned char)*c) ? *c - '0' : tolower(*c) - 'a' + 10;
			if (v > ((uint64_t)INT64_MAX - (uint64_t)dv) / (uint64_t)base) {
				rc = fail(p, true, "integer \"%s\" is out of range", tok);
				goto out;
			}
			v = v * (uint64_t)base + (uint64_t)dv;
		}
		*out = tmpl_int64((int64_t)v);
		goto out;
	}
	bool is_float = strpbrk(u, ".eE") != NULL;
	if (!is_float && isdigit((unsigned char)u[0]) && strchr(u, '-') && strlen(u) >= 5 &&
	    isdigit((unsigned char)u[3]) && u[4] == '-') {
		rc = fail(p, true, "invalid datetime: \"%s\"", tok);
		goto out;
	}
	if (!is_float) {
		if (u[0] == '0' && u[1] && digits_us(u, tok + n, isdigit)) {
			rc = fail(p, true, "Invalid integer \"%s\": cannot have leading zeroes", tok);
			goto out;
		}
		if (strstr(u, "__") || u[0] == '_' || (n && tok[n - 1] == '_')) {
			rc = fail(p, true, "Invalid integer \"%s\": underscores must be surrounded by "
				  "digits", tok);
			goto out;
		}
		if (!digits_us(u, tok + n, isdigit)) {
			rc = fail(p, true, "invalid integer \"%s\"", tok);
			goto out;
		}
		buf b;
		buf_init(&b, 64);
		for (const char *c = t; *c; c++)
			if (*c != '_')
				buf_addc(&b, *c);
		char *end;
		errno = 0;
		long long v = strtoll(buf_str(&b), &end, 10);
		bool range = errno == ERANGE;
		buf_release(&b);
		if (range) {
			rc = fail(p, true, "%s is out of range for int64", tok);
			goto out;
		}
		*out = tmpl_int64(v);
		goto out;
	}
	/* float: int part, optional .frac, optional exponent; underscores between digits */
	{
		const char *c = u;
		const char *ip = c;
		while (*c && (isdigit((unsigned char)*c) || *c == '_'))
			c++;
		bool ok = digits_us(ip, c, isdigit) && !(ip[0] == '0' && c - ip > 1);
		if (ok && *c == '.') {
			const char *fp = ++c;
			while (*c && (isdigit((unsigned char)*c) || *c == '_'))
				c++;
			ok = digits_us(fp, c, isdigit);
		}
		if (ok && (*c == 'e' || *c == 'E')) {
			c++;
			if (*c == '+' || *c == '-')
				c++;
			const char *ep = c;
			while (*c && (isdigit((unsigned char)*c) || *c == '_'))
				c++;
			ok = digits_us(ep, c, isdigit);
		}
		if (!ok || *c) {
			const char *dot = strchr(u, '.');
			if (dot && !isdigit((unsigned char)dot[1]))
				rc = fail(p, true, "Invalid float \"%s\": '.' must be followed by one or "
					  "more digits", tok);
			else
				rc = fail(p, true, "Invalid float value: \"%s\"", tok);
			goto out;
		}
		buf b;
		buf_init(&b, 256);
		for (const char *k = t; *k; k++)
			if (*k != '_')
				buf_addc(&b, *k);
		*out = tmpl_float(strtod(buf_str(&b), NULL));
		buf_release(&b);
	}
out:
	free(tok);
	return rc;
}

static int parse_array(tp *p, tmpl_val *out, int depth)
{
	p->s++; /* [ */
	tmpl_val l = tmpl_list_new(4);
	for (;;) {
		skip_all(p);
		if (at_end(p)) {
			tmpl_val_free(l);
			return fail(p, true, "expected a comma (',') or array terminator (']'), but got "
				    "end of file");
		}
		if (*p->s == ']') {
			p->s++;
			break;
		}
		if (*p->s == ',') {
			tmpl_val_free(l);
			return fail(p, true, "unexpected comma");
		}
		tmpl_val v;
		if (parse_value(p, &v, depth + 1)) {
			tmpl_val_free(l);
			return -1;
		}
		tmpl_list_push(&l, v);
		skip_all(p);
		if (!at_end(p) && *p->s == ',') {
			p->s++;
			continue;
		}
		if (!at_end(p) && *p->s == ']') {
			p->s++;
			break;
		}
		tmpl_val_free(l);
		if (at_end(p))
			return fail(p, true, "expected a comma (',') or array terminator (']'), but "
				    "got end of file");
		return fail(p, true, "expected a comma (',') or array terminator (']'), but got '%c'",
			    *p->s);
	}
	*out = l;
	return 0;
}

/* Set parts (a dotted key) = v in table t, creating intermediate tables. */
static int set_key(tp *p, tmpl_val t, tmpl_val parts, tmpl_val v)
{
	tmpl_val cur = t;
	size_t n = parts.u.l->n;
	for (size_t i = 0; i + 1 < n; i++) {
		const char *k = parts.u.l->items[i].u.s->data;
		tmpl_val *c = tmpl_map_get(cur, k);
		if (!c) {
			tmpl_map_set(cur, k, tmpl_map_new());
			c = tmpl_map_get(cur, k);
			p->dotted = xrealloc(p->dotted, (p->ndotted + 1) * sizeof *p->dotted);
			p->dotted[p->ndotted++] = c->u.m;
		} else if (c->kind != TV_MAP) {
			tmpl_val_free(v);
			return fail(p, true, "Key '%s' has already been defined.", p->lastkey);
		}
		cur = *c;
	}
	const char *last = parts.u.l->items[n - 1].u.s->data;
	tmpl_val *old = tmpl_map_get(cur, last);
	if (old) {
		bool dotted = false;
		for (size_t i = 0; old->kind == TV_MAP && v.kind != TV_MAP && i < p->ndotted; i++)
			dotted = dotted || p->dotted[i] == old->u.m;
		tmpl_val_free(v);
		if (dotted) /* BurntSushi keeps the table and drops the value */
			return 0;
		return fail(p, true, "Key '%s' has already been defined.", p->lastkey);
	}
	tmpl_map_set(cur, last, v);
	return 0;
}

static int parse_inline_body(tp *p, tmpl_val t, int depth);

static int parse_inline(tp *p, tmpl_val *out, int depth)
{
	p->s++; /* { */
	tmpl_val t = tmpl_map_new();
	const char *saved = p->prefix;
	char *key = p->lastkey ? xstrdup(p->lastkey) : NULL;
	p->prefix = key;
	int rc = parse_inline_body(p, t, depth);
	p->prefix = saved;
	free(key);
	if (rc) {
		tmpl_val_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

static int parse_inline_body(tp *p, tmpl_val t, int depth)
{
	for (;;) {
		skip_ws(p);
		if (!at_end(p) && *p->s == '}') { /* empty, or after a trailing comma */
			p->s++;
			return 0;
		}
		tmpl_val parts;
		if (parse_key(p, &parts)) {
			tmpl_val_free(parts);
			return -1;
		}
		skip_ws(p);
		if (at_end(p) || *p->s != '=') {
			tmpl_val_free(parts);
			return fail(p, true, "expected key separator '='");
		}
		p->s++;
		skip_ws(p);
		tmpl_val v;
		char *key = xstrdup(p->lastkey);
		if (parse_value(p, &v, depth + 1)) {
			free(key);
			tmpl_val_free(parts);
			return -1;
		}
		free(p->lastkey);
		p->lastkey = key; /* the value may have read keys of its own */
		if (set_key(p, t, parts, v)) {
			tmpl_val_free(parts);
			return -1;
		}
		tmpl_val_free(parts);
		skip_ws(p);
		if (!at_end(p) && *p->s == ',') {
			p->s++;
			continue;
		}
		if (!at_end(p) && *p->s == '}') {
			p->s++;
			return 0;
		}
		if (at_end(p))
			return fail(p, true, "expected a comma or an inline table terminator '}', but "
				    "got end of file instead");
		return fail(p, true, "expected a comma or an inline table terminator '}', but got "
			    "'%c' instead", *p->s);
	}
}

static int parse_value(tp *p, tmpl_val *out, int depth)
{
	if (depth > TOML_MAX_DEPTH)
		return fail(p, true, "nesting deeper than %d", TOML_MAX_DEPTH);
	if (at_end(p))
		return fail(p, true, "unexpected EOF; expected value");
	if (*p->s == '\n' || *p->s == '#' || *p->s == '\r')
		return fail(p, true, "expected value but found '%s' instead",
			    *p->s == '#' ? "#" : "\\n");
	char c = *p->s;
	if (c == '"' || c == '\'') {
		buf b;
		buf_init(&b, 64u << 20);
		if (parse_string(p, &b)) {
			buf_release(&b);
			return -1;
		}
		size_t n;
		char *s = buf_detach(&b, &n);
		*out = tmpl_str_take(s ? s : xstrdup(""), s ? n : 0);
		return 0;
	}
	if (c == '[')
		return parse_array(p, out, depth);
	if (c == '{')
		return parse_inline(p, out, depth);
	size_t left = (size_t)(p->end - p->s);
	if (left >= 4 && !strncmp(p->s, "true", 4) && (left == 4 || !bare_char(p->s[4]))) {
		p->s += 4;
		*out = tmpl_bool(true);
		return 0;
	}
	if (left >= 5 && !strncmp(p->s, "false", 5) && (left == 5 || !bare_char(p->s[5]))) {
		p->s += 5;
		*out = tmpl_bool(false);
		return 0;
	}
	if (isdigit((unsigned char)c) && parse_datetime(p, out))
		return 0;
	if (isdigit((unsigned char)c) || c == '+' || c == '-' || c == 'i' || c == 'n')
		return parse_number(p, out);
	if (c == '.')
		return fail(p, true, "floats must start with a digit, not '.'");
	if (isalpha((unsigned char)c)) {
		const char *st = p->s;
		size_t n = 0;
		while (st + n < p->end && bare_char(st[n]))
			n++;
		return fail(p, true, "expected value but found \"%.*s\" instead", (int)n, st);
	}
	return fail(p, true, "expected value but found '%c' instead", c);
}

/* The table a header [a.b] or [[a.b]] names, created as needed (a borrowed handle in *out). */
static int header_table(tp *p, tmpl_val root, tmpl_val parts, bool array, tmpl_val *out)
{
	tmpl_val cur = root;
	size_t n = parts.u.l->n;
	for (size_t i = 0; i < n; i++) {
		const char *k = parts.u.l->items[i].u.s->data;
		tmpl_val *c = tmpl_map_get(cur, k);
		bool last = i + 1 == n;
		if (last && array) {
			if (!c) {
				tmpl_val l = tmpl_list_new(2);
				l.sub = TV_SUB_MAPS;
				tmpl_map_set(cur, k, l);
				c = tmpl_map_get(cur, k);
			} else if (c->kind != TV_LIST || c->sub != TV_SUB_MAPS) {
				return fail(p, false, "Key '%s' has already been defined.", p->lastkey);
			}
			tmpl_list_push(c, tmpl_map_new());
			*out = c->u.l->items[c->u.l->n - 1];
			return 0;
		}
		if (!c) {
			tmpl_map_set(cur, k, tmpl_map_new());
			c = tmpl_map_get(cur, k);
		} else if (c->kind == TV_LIST && c->sub == TV_SUB_MAPS && c->u.l->n && !last) {
			c = &c->u.l->items[c->u.l->n - 1];
		} else if (c->kind != TV_MAP) {
			return fail(p, false, "Key '%s' has already been defined.", p->lastkey);
		}
		cur = *c;
	}
	if (tmpl_map_get(p->defined, p->lastkey))
		return fail(p, false, "Key '%s' has already been defined.", p->lastkey);
	tmpl_map_set(p->defined, p->lastkey, tmpl_bool(true));
	*out = cur;
	return 0;
}

FN(fromToml)
{
	(void)x;
	(void)argc;
	(void)e;
	tp p = {.s = argv[0].u.s->data, .end = argv[0].u.s->data + argv[0].u.s->len, .line = 1};
	buf_init(&p.err, 4096);
	p.defined = tmpl_map_new();
	tmpl_val root = tmpl_map_new();
	tmpl_val cur = tmpl_ref(root);
	while (!p.failed) {
		skip_all(&p);
		if (at_end(&p))
			break;
		if (*p.s == '[') {
			bool array = p.end - p.s >= 2 && p.s[1] == '[';
			p.s += array ? 2 : 1;
			tmpl_val parts;
			if (parse_key(&p, &parts)) {
				tmpl_val_free(parts);
				break;
			}
			skip_ws(&p);
			if (p.end - p.s < (array ? 2 : 1) || *p.s != ']' || (array && p.s[1] != ']')) {
				tmpl_val_free(parts);
				fail(&p, false, "expected ']' to close the table name");
				break;
			}
			p.s += array ? 2 : 1;
			tmpl_val t;
			if (header_table(&p, root, parts, array, &t)) {
				tmpl_val_free(parts);
				break;
			}
			tmpl_val_free(cur);
			cur = tmpl_ref(t);
			tmpl_val_free(parts);
		} else {
			tmpl_val parts;
			if (parse_key(&p, &parts)) {
				tmpl_val_free(parts);
				break;
			}
			skip_ws(&p);
			if (at_end(&p) || *p.s != '=') {
				tmpl_val_free(parts);
				fail(&p, false, at_end(&p) ? "unexpected EOF; expected key separator '='"
							   : "expected key separator '=', but got '%c' "
							     "instead", *p.s);
				break;
			}
			p.s++;
			skip_ws(&p);
			tmpl_val v;
			char *key = xstrdup(p.lastkey);
			if (parse_value(&p, &v, 0)) {
				free(key);
				tmpl_val_free(parts);
				break;
			}
			free(p.lastkey);
			p.lastkey = key; /* the value may have read keys of its own */
			if (set_key(&p, cur, parts, v)) {
				tmpl_val_free(parts);
				break;
			}
			tmpl_val_free(parts);
		}
		skip_ws(&p);
		skip_comment(&p);
		if (!at_end(&p) && *p.s == '\r')
			p.s++;
		if (!at_end(&p) && *p.s != '\n') {
			fail(&p, false, "expected a top-level item to end with a newline, comment, or "
					"EOF, but got '%c' instead", *p.s);
			break;
		}
	}
	tmpl_val_free(cur);
	tmpl_val_free(p.defined);
	free(p.lastkey);
	free(p.dotted);
	if (p.failed) {
		tmpl_val_free(root);
		root = tmpl_map_new();
		tmpl_map_set(root, "Error", tmpl_str(buf_str(&p.err)));
	}
	buf_release(&p.err);
	*out = root;
	return 0;
}

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"fromToml", fn_fromToml, "s"},
};

const tv_family tv_family_toml = {funcs, sizeof funcs / sizeof *funcs};
