/* YAML and JSON for templates, the way Helm sees them: sigs.k8s.io/yaml (go-yaml v2 scalars,
 * then a JSON round trip) and encoding/json. */
#include "eddy/mem.h"
#include "eddy/codec.h"
#include "gotmpl/internal.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

enum { YAML_MAX_DEPTH = 1000, YAML_MAX_NODES = 5000000 };

/* ---- go-yaml v2 scalar resolution ---- */

typedef enum { R_STR, R_NULL, R_BOOL, R_INT, R_UINT, R_FLOAT, R_TIMESTAMP } rkind;

static bool is_one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static const char *const true_words[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
					 "on", "On", "ON", NULL};
static const char *const false_words[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE",
					  "off", "Off", "OFF", NULL};

static bool float_syntax(const char *s)
{
	/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	} else {
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == 0;
}

static bool timestamp_syntax(const char *s)
{
	/* go-yaml v2 allowed formats start with YYYY-M-D */
	int y, m, d, n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n < 8)
		return false;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[3]) || s[4] != '-')
		return false;
	const char *r = s + n;
	if (!*r)
		return true;
	/* date followed by a time: [Tt ]hh:mm:ss... accept if it parses roughly */
	if (*r != 'T' && *r != 't' && *r != ' ')
		return false;
	r++;
	while (*r == ' ')
		r++;
	int hh, mm, ss, k = 0;
	if (sscanf(r, "%2d:%2d:%2d%n", &hh, &mm, &ss, &k) != 3)
		return false;
	return true;
}

/* Resolve a plain scalar like go-yaml v2. Fills ival/fval for numbers. */
static rkind resolve_plain(const char *s, int64_t *ival, uint64_t *uval, double *fval)
{
	if (!*s)
		return R_NULL;
	/* only these first characters can start a non-string */
	if (!strchr("~nNyYtTfFoO.+-0123456789", *s))
		return R_STR;
	if (!strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return R_NULL;
	if (is_one_of(s, true_words)) {
		*ival = 1;
		return R_BOOL;
	}
	if (is_one_of(s, false_words)) {
		*ival = 0;
		return R_BOOL;
	}
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") || !strcmp(s, "+.inf") ||
	    !strcmp(s, "+.Inf") || !strcmp(s, "+.INF")) {
		*fval = INFINITY;
		return R_FLOAT;
	}
	if (!strcmp(s, "-.inf") || !strcmp(s, "-.Inf") || !strcmp(s, "-.INF")) {
		*fval = -INFINITY;
		return R_FLOAT;
	}
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		*fval = NAN;
		return R_FLOAT;
	}
	char c = s[0];
	if (!(isdigit((unsigned char)c) || c == '+' || c == '-' || c == '.'))
		return R_STR;
	/* integers (underscores removed; Go's ParseInt with base 0) */
	size_t n = strlen(s);
	if (n < 80) {
		char tmp[80];
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (s[i] != '_')
				tmp[k++] = s[i];
		tmp[k] = 0;
		const char *p = tmp;
		bool neg = false;
		if (*p == '+' || *p == '-')
			neg = *p++ == '-';
		int base = 10;
		const char *d = p;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			base = 16, d = p + 2;
		else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
			base = 8, d = p + 2;
		else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
			base = 2, d = p + 2;
		else if (p[0] == '0' && p[1])
			base = 8, d = p + 1;
		bool digits_ok = *d != 0;
		for (const char *q = d; *q && digits_ok; q++) {
			int v = isdigit((unsigned char)*q) ? *q - '0'
				: isalpha((unsigned char)*q) ? tolower((unsigned char)*q) - 'a' + 10
							       : 99;
			if (v >= base)
				digits_ok = false;
		}
		if (digits_ok) {
			errno = 0;
			unsigned long long u = strtoull(d, NULL, base);
			if (errno == 0) {
				if (!neg && u <= (unsigned long long)INT64_MAX) {
					*ival = (int64_t)u;
					return R_INT;
				}
				if (neg && u <= (unsigned long long)INT64_MAX + 1) {
					*ival = (int64_t)(0 - u);
					return R_INT;
				}
				if (!neg && !(s[0] == '+')) {
					*uval = u;
					return R_UINT;
				}
			}
		}
	}
	if (float_syntax(s)) {
		/* strconv.ParseFloat's range error leaves it a string in go-yaml */
		errno = 0;
		*fval = strtod(s, NULL);
		if (errno == ERANGE && isinf(*fval))
			return R_STR;
		return R_FLOAT;
	}
	if (timestamp_syntax(s))
		return R_TIMESTAMP;
	return R_STR;
}

static bool base60_float(const char *s)
{
	/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p) || *p == '_')
		p++;
	int groups = 0;
	while (*p == ':') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		if (isdigit((unsigned char)p[1])) {
			if (*p > '5')
				return false;
			p += 2;
		} else {
			p++;
		}
		groups++;
	}
	if (!groups)
		return false;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p) || *p == '_')
			p++;
	}
	return *p == 0;
}

/* ---- YAML -> value ---- */

typedef struct frame {
	tmpl_val v;      /* list or map being built */
	char *key;       /* map: pending key, NULL when a key is expected */
	bool key_done;
	char *anchor;
} frame;

typedef struct anchor { char *name; tmpl_val v; } anchor;

typedef struct ybuild {
	frame *st;
	size_t n, cap;
	anchor *anchors;
	size_t nanchors;
	bool json_ints;
	size_t nodes;
	tmpl_val root;
	bool have_root;
} ybuild;

/* A float key as sigs.k8s.io/yaml makes it a string: strconv.FormatFloat(f, 'g', -1, 32), with
 * the infinities and NaN spelt as YAML spells them. */
static void float_key(buf *b, double f)
{
	if (isnan(f)) {
		buf_adds(b, ".nan");
		return;
	}
	if (isinf(f)) {
		buf_adds(b, f > 0 ? ".inf" : "-.inf");
		return;
	}
	float f32 = (float)f;
	if (f32 == 0) {
		buf_adds(b, signbit(f32) ? "-0" : "0");
		return;
	}
	/* the shortest digits that read back as the same float32 */
	char e[64];
	for (int p = 1; p <= 9; p++) {
		snprintf(e, sizeof e, "%.*e", p - 1, (double)f32);
		if ((float)strtod(e, NULL) == f32)
			break;
	}
	/* e is [-]d[.ddd]e±XX: digits and exponent, then Go's %g layout (shortest: %e when the
	 * exponent is < -4 or >= 6) */
	const char *m = e;
	bool neg = *m == '-';
	if (neg)
		m++;
	char digs[16];
	int nd = 0;
	const char *q = m;
	for (; *q && *q != 'e'; q++)
		if (isdigit((unsigned char)*q) && nd < 15)
			digs[nd++] = *q;
	while (nd > 1 && digs[nd - 1] == '0')
		nd--;
	int exp = (int)strtol(q + 1, NULL, 10);
	if (neg)
		buf_addc(b, '-');
	if (exp < -4 || exp >= 6) {
		buf_addc(b, digs[0]);
		if (nd > 1) {
			buf_addc(b, '.');
			buf_add(b, digs + 1, (size_t)nd - 1);
		}
		buf_addf(b, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return;
	}
	if (exp < 0) {
		buf_adds(b, "0.");
		for (int i = -1; i > exp; i--)
			buf_addc(b, '0');
		buf_add(b, digs, (size_t)nd);
		return;
	}
	for (int i = 0; i <= exp || i < nd; i++) {
		if (i == exp + 1)
			buf_addc(b, '.');
		buf_addc(b, i < nd ? digs[i] : '0');
	}
}

static tmpl_val scalar_value(const yaml_event_t *ev, bool json_ints, bool as_key)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (tag && !strcmp(tag, "tag:yaml.org,2002:str"))
		plain = false;
	if (!plain && !(tag && strcmp(tag, "tag:yaml.org,2002:str") && strcmp(tag, "!")))
		return tmpl_strn(s, len);
	int64_t iv = 0;
	uint64_t uv = 0;
	double fv = 0;
	rkind k = resolve_plain(s, &iv, &uv, &fv);
	if (tag && !strcmp(tag, "tag:yaml.org,2002:int") && k == R_FLOAT)
		k = R_STR;
	switch (k) {
	case R_NULL: return as_key ? tmpl_str("null") : tmpl_nil();
	case R_BOOL: return as_key ? tmpl_str(iv ? "true" : "false") : tmpl_bool(iv);
	case R_INT:
		if (as_key) {
			char b[32];
			snprintf(b, sizeof b, "%lld", (long long)iv);
			return tmpl_str(b);
		}
		return json_ints ? tmpl_int64(iv) : tmpl_float((double)iv);
	case R_UINT:
		if (as_key) {
			char b[32];
			snprintf(b, sizeof b, "%llu", (unsigned long long)uv);
			return tmpl_str(b);
		}
		return tmpl_float((double)uv);
	case R_FLOAT:
		if (as_key) {
			buf b;
			buf_init(&b, 64);
			float_key(&b, fv);
			tmpl_val r = tmpl_str(buf_str(&b));
			buf_release(&b);
			return r;
		}
		if (json_ints && fv == floor(fv) && fabs(fv) < 9e18 && !strpbrk(s, ".eE"))
			return tmpl_int64((int64_t)fv);
		return tmpl_float(fv);
	default: return tmpl_strn(s, len);
	}
}

static char *key_string(tmpl_val k)
{
	if (k.kind == TV_STRING)
		return xstrdup(k.u.s->data);
	return tv_to_string(k);
}

/* Attach a finished value to the frame on top (or make it the root). */
static int attach(ybuild *b, tmpl_val v, err *e)
{
	if (++b->nodes > YAML_MAX_NODES) {
		tmpl_val_free(v);
		return err_fail(e, "YAMLError", "yaml: document has too many nodes");
	}
	if (!b->n) {
		if (b->have_root)
			tmpl_val_free(b->root);
		b->root = v;
		b->have_root = true;
		return 0;
	}
	frame *f = &b->st[b->n - 1];
	if (f->v.kind == TV_LIST) {
		tmpl_list_push(&f->v, v);
		return 0;
	}
	if (!f->key_done) {
		if (v.kind == TV_MAP || v.kind == TV_LIST) {
			tmpl_val_free(v);
			f->key = xstrdup("");
			f->key_done = true;
			return 0;
		}
		f->key = key_string(v);
		f->key_done = true;
		tmpl_val_free(v);
		return 0;
	}
	if (!strcmp(f->key, "<<") && (v.kind == TV_MAP || v.kind == TV_LIST)) {
		/* merge keys: entries not already present */
		tmpl_val srcs[1] = {v};
		size_t ns = 1;
		tmpl_val *list = srcs;
		if (v.kind == TV_LIST) {
			list = v.u.l->items;
			ns = v.u.l->n;
		}
		for (size_t i = 0; i < ns; i++) {
			if (list[i].kind != TV_MAP)
				continue;
			for (size_t k = 0; k < list[i].u.m->n; k++)
				if (!tmpl_map_get(f->v, list[i].u.m->keys[k]))
					tmpl_map_set(f->v, list[i].u.m->keys[k],
						     tmpl_deep_copy(list[i].u.m->vals[k]));
		}
		tmpl_val_free(v);
	} else {
		tmpl_map_set(f->v, f->key, v);
	}
	free(f->key);
	f->key = NULL;
	f->key_done = false;
	return 0;
}

static void remember(ybuild *b, const unsigned char *name, tmpl_val v)
{
	if (!name)
		return;
	for (size_t i = 0; i < b->nanchors; i++)
		if (!strcmp(b->anchors[i].name, (const char *)name)) {
			tmpl_val_free(b->anchors[i].v);
			b->anchors[i].v = tmpl_ref(v);
			return;
		}
	b->anchors = xrealloc(b->anchors, (b->nanchors + 1) * sizeof *b->anchors);
	b->anchors[b->nanchors].name = xstrdup((const char *)name);
	b->anchors[b->nanchors].v = tmpl_ref(v);
	b->nanchors++;
}

static size_t count_nodes(tmpl_val v, size_t limit)
{
	size_t n = 1;
	if (v.kind == TV_LIST)
		for (size_t i = 0; i < v.u.l->n && n < limit; i++)
			n += count_nodes(v.u.l->items[i], limit);
	else if (v.kind == TV_MAP)
		for (size_t i = 0; i < v.u.m->n && n < limit; i++)
			n += count_nodes(v.u.m->vals[i], limit);
	return n;
}

static void ybuild_release(ybuild *b)
{
	for (size_t i = 0; i < b->n; i++) {
		tmpl_val_free(b->st[i].v);
		free(b->st[i].key);
		free(b->st[i].anchor);
	}
	free(b->st);
	for (size_t i = 0; i < b->nanchors; i++) {
		free(b->anchors[i].name);
		tmpl_val_free(b->anchors[i].v);
	}
	free(b->anchors);
	if (b->have_root)
		tmpl_val_free(b->root);
	memset(b, 0, sizeof *b);
}

/* Parse a stream; each document's root is handed to cb. */
static int parse_stream(const char *s, size_t n, bool json_ints,
			int (*cb)(void *ctx, tmpl_val doc, bool empty, err *e), void *ctx, err *e)
{
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)s, n);
	ybuild b = {.json_ints = json_ints};
	int rc = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			size_t line = p.context_mark.line ? p.context_mark.line : p.problem_mark.line;
			if (p.error == YAML_SCANNER_ERROR && line)
				line++;
			if (line)
				rc = err_fail(e, "YAMLError", "yaml: line %zu: %s", line,
					      p.problem ? p.problem : "parse error");
			else
				rc = err_fail(e, "YAMLError", "yaml: %s",
					      p.problem ? p.problem : "parse error");
			break;
		}
		yaml_event_type_t t = ev.type;
		int r = 0;
		switch (t) {
		case YAML_DOCUMENT_START_EVENT:
			b.have_root = false;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (b.have_root) {
				tmpl_val doc = b.root;
				b.have_root = false;
				r = cb(ctx, doc, false, e);
			} else {
				r = cb(ctx, tmpl_nil(), true, e);
			}
			for (size_t i = 0; i < b.nanchors; i++) {
				free(b.anchors[i].name);
				tmpl_val_free(b.anchors[i].v);
			}
			b.nanchors = 0;
			break;
		case YAML_SCALAR_EVENT: {
			bool as_key = b.n && b.st[b.n - 1].v.kind == TV_MAP &&
				      !b.st[b.n - 1].key_done;
			tmpl_val v = scalar_value(&ev, json_ints, as_key);
			if (v.kind == TV_FLOAT && !isfinite(v.u.f)) {
				/* sigs.k8s.io/yaml's JSON step cannot hold them */
				r = err_fail(e, "YAMLError", "error converting YAML to JSON: json: "
					     "unsupported value: %s", isnan(v.u.f) ? "NaN" :
					     v.u.f > 0 ? "+Inf" : "-Inf");
				break;
			}
			remember(&b, ev.data.scalar.anchor, v);
			r = attach(&b, v, e);
			break;
		}
		case YAML_ALIAS_EVENT: {
			tmpl_val found = tmpl_nil();
			bool ok = false;
			for (size_t i = 0; i < b.nanchors; i++)
				if (!strcmp(b.anchors[i].name, (const char *)ev.data.alias.anchor)) {
					found = b.anchors[i].v;
					ok = true;
				}
			if (!ok) {
				r = err_fail(e, "YAMLError", "yaml: unknown anchor '%s' referenced",
					     ev.data.alias.anchor);
				break;
			}
			size_t c = count_nodes(found, YAML_MAX_NODES);
			if (b.nodes + c > YAML_MAX_NODES) {
				r = err_fail(e, "YAMLError", "yaml: document contains excessive "
					     "aliasing");
				break;
			}
			b.nodes += c;
			r = attach(&b, tmpl_deep_copy(found), e);
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			if (b.n >= YAML_MAX_DEPTH) {
				r = err_fail(e, "YAMLError", "yaml: exceeded max depth of %d",
					     YAML_MAX_DEPTH);
				break;
			}
			if (b.n == b.cap) {
				b.cap = b.cap ? b.cap * 2 : 16;
				b.st = xrealloc(b.st, b.cap * sizeof *b.st);
			}
			frame *f = &b.st[b.n++];
			memset(f, 0, sizeof *f);
			f->v = t == YAML_SEQUENCE_START_EVENT ? tmpl_list_new(0) : tmpl_map_new();
			const unsigned char *an = t == YAML_SEQUENCE_START_EVENT
				? ev.data.sequence_start.anchor : ev.data.mapping_start.anchor;
			f->anchor = an ? xstrdup((const char *)an) : NULL;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			frame f = b.st[--b.n];
			if (f.anchor) {
				remember(&b, (const unsigned char *)f.anchor, f.v);
				free(f.anchor);
			}
			free(f.key);
			r = attach(&b, f.v, e);
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (r) {
			rc = -1;
			break;
		}
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	ybuild_release(&b);
	yaml_parser_delete(&p);
	return rc;
}

struct one_ctx { tmpl_val v; bool got; };

static int one_cb(void *ctx, tmpl_val doc, bool empty, err *e)
{
	(void)e;
	struct one_ctx *c = ctx;
	if (c->got) {
		tmpl_val_free(doc);
		return 0;
	}
	c->got = true;
	c->v = empty ? tmpl_nil() : doc;
	return 0;
}

int tmpl_from_yaml(const char *s, size_t n, bool json_ints, tmpl_val *out, err *e)
{
	struct one_ctx c = {.got = false};
	if (parse_stream(s, n, json_ints, one_cb, &c, e)) {
		if (c.got)
			tmpl_val_free(c.v);
		return -1;
	}
	*out = c.got ? c.v : tmpl_nil();
	return 0;
}

static int all_cb(void *ctx, tmpl_val doc, bool empty, err *e)
{
	(void)e;
	tmpl_val *l = ctx;
	tmpl_list_push(l, empty ? tmpl_nil() : doc);
	return 0;
}

int tmpl_from_yaml_all(const char *s, size_t n, tmpl_val *out, err *e)
{
	tmpl_val l = tmpl_list_new(0);
	if (parse_stream(s, n, false, all_cb, &l, e)) {
		tmpl_val_free(l);
		return -1;
	}
	*out = l;
	return 0;
}

/* ---- value -> YAML (go-yaml v2 through JSON, emitted with libyaml) ---- */

/* go-yaml v2's keyList.Less for string keys. */
static bool is_letter(unsigned char c) { return isalpha(c) || c >= 0x80; }

static int natural_less(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	for (size_t i = 0; i < la && i < lb; i++) {
		unsigned char ca = (unsigned char)a[i], cb = (unsigned char)b[i];
		if (ca == cb)
			continue;
		bool al = is_letter(ca), bl = is_letter(cb);
		if (al && bl)
			return ca < cb;
		if (al || bl)
			return bl;
		int64_t an = 0, bn = 0;
		if (ca == '0' || cb == '0') {
			for (size_t j = i; j > 0 && isdigit((unsigned char)a[j - 1]); j--)
				if (a[j - 1] != '0') {
					an = 1;
					bn = 1;
					break;
				}
		}
		size_t ai = i, bi = i;
		for (; ai < la && isdigit((unsigned char)a[ai]); ai++)
			an = an * 10 + (a[ai] - '0');
		for (; bi < lb && isdigit((unsigned char)b[bi]); bi++)
			bn = bn * 10 + (b[bi] - '0');
		if (an != bn)
			return an < bn;
		if (ai != bi)
			return ai < bi;
		return ca < cb;
	}
	return la < lb;
}

static int natural_cmp(const void *x, const void *y)
{
	const char *a = *(const char *const *)x, *b = *(const char *const *)y;
	if (natural_less(a, b))
		return -1;
	if (natural_less(b, a))
		return 1;
	return 0;
}

/* The JSON text of a float (encoding/json), then how go-yaml v2 reads and prints it. */
static void yaml_number(buf *out, double f)
{
	if (isinf(f)) {
		buf_adds(out, f > 0 ? ".inf" : "-.inf");
		return;
	}
	if (isnan(f)) {
		buf_adds(out, ".nan");
		return;
	}
	buf j;
	buf_init(&j, 512);
	tv_format_float(&j, f, 'j');
	int64_t iv;
	uint64_t uv;
	double fv;
	rkind k = resolve_plain(buf_str(&j), &iv, &uv, &fv);
	if (k == R_INT || k == R_UINT)
		buf_add(out, j.data, j.len);
	else
		tv_format_float(out, f, 'g');
	buf_release(&j);
}

typedef struct yemit {
	yaml_emitter_t em;
	buf *out;
	bool failed;
	bool pretty; /* yaml.v3 style (toYamlPretty): floats as Go prints them */
} yemit;

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	yemit *y = data;
	if (buf_add(y->out, buffer, size)) {
		y->failed = true;
		return 0;
	}
	return 1;
}

static int emit_scalar(yemit *y, const char *s, size_t n, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1, style);
	return yaml_emitter_emit(&y->em, &ev) ? 0 : -1;
}

static int emit_string(yemit *y, const char *s, size_t n)
{
	yaml_scalar_style_t st = YAML_PLAIN_SCALAR_STYLE;
	if (memchr(s, '\n', n)) {
		st = YAML_LITERAL_SCALAR_STYLE;
	} else {
		int64_t iv;
		uint64_t uv;
		double fv;
		char *z = xstrndup(s, n);
		if (strlen(z) != n || resolve_plain(z, &iv, &uv, &fv) != R_STR || base60_float(z))
			st = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		free(z);
	}
	return emit_scalar(y, s, n, st);
}

static int emit_value(yemit *y, tmpl_val v, int depth)
{
	if (depth > YAML_MAX_DEPTH)
		return -1;
	yaml_event_t ev;
	switch (v.kind) {
	case TV_NIL: return emit_scalar(y, "null", 4, YAML_PLAIN_SCALAR_STYLE);
	case TV_BOOL:
		return emit_scalar(y, v.u.b ? "true" : "false", v.u.b ? 4 : 5,
				   YAML_PLAIN_SCALAR_STYLE);
	case TV_INT: {
		char b[32];
		int n = snprintf(b, sizeof b, "%lld", (long long)v.u.i);
		return emit_scalar(y, b, (size_t)n, YAML_PLAIN_SCALAR_STYLE);
	}
	case TV_FLOAT: {
		buf b;
		buf_init(&b, 512);
		if (y->pretty && !isinf(v.u.f) && !isnan(v.u.f))
			tv_format_float(&b, v.u.f, 'g');
		else
			yaml_number(&b, v.u.f);
		int rc = emit_scalar(y, buf_str(&b), b.len, YAML_PLAIN_SCALAR_STYLE);
		buf_release(&b);
		return rc;
	}
	case TV_STRING:
		if (v.sub == TV_SUB_BYTES) {
			buf b;
			buf_init(&b, (size_t)-1);
			b64_encode_buf(&b, v.u.s->data, v.u.s->len, B64_STD);
			int rc = emit_string(y, buf_str(&b), b.len);
			buf_release(&b);
			return rc;
		}
		return emit_string(y, v.u.s->data, v.u.s->len);
	case TV_LIST:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
			v.u.l->n ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(&y->em, &ev))
			return -1;
		for (size_t i = 0; i < v.u.l->n; i++)
			if (emit_value(y, v.u.l->items[i], depth + 1))
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(&y->em, &ev) ? 0 : -1;
	case TV_MAP: {
		if (v.u.m->marshal)
			return emit_string(y, v.u.m->marshal, strlen(v.u.m->marshal));
		/* a struct's methods (TV_METHOD entries) are not fields */
		size_t n = 0;
		for (size_t i = 0; i < v.u.m->n; i++)
			n += v.u.m->vals[i].kind != TV_METHOD;
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
			n ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE);
		if (!yaml_emitter_emit(&y->em, &ev))
			return -1;
		size_t *order = xmalloc((n ? n : 1) * sizeof *order);
		const char **keys = xmalloc((n ? n : 1) * sizeof *keys);
		for (size_t i = 0, k = 0; i < v.u.m->n; i++)
			if (v.u.m->vals[i].kind != TV_METHOD)
				keys[k++] = v.u.m->keys[i];
		qsort(keys, n, sizeof *keys, natural_cmp);
		int rc = 0;
		for (size_t i = 0; i < n && !rc; i++) {
			tmpl_val *val = tmpl_map_get(v, keys[i]);
			rc = emit_string(y, keys[i], strlen(keys[i]));
			if (!rc)
				rc = emit_value(y, val ? *val : tmpl_nil(), depth + 1);
		}
		free(order);
		free(keys);
		if (rc)
			return -1;
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(&y->em, &ev) ? 0 : -1;
	}
	case TV_METHOD: return emit_scalar(y, "null", 4, YAML_PLAIN_SCALAR_STYLE);
	}
	return -1;
}

static int to_yaml(buf *out, tmpl_val v, bool pretty, err *e)
{
	yemit y = {.out = out, .pretty = pretty};
	yaml_emitter_initialize(&y.em);
	yaml_emitter_set_output(&y.em, write_handler, &y);
	yaml_emitter_set_unicode(&y.em, 1);
	yaml_emitter_set_width(&y.em, pretty ? -1 : 80);
	yaml_emitter_set_indent(&y.em, 2);
	yaml_event_t ev;
	int rc = 0;
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (!yaml_emitter_emit(&y.em, &ev))
		rc = -1;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (!rc && !yaml_emitter_emit(&y.em, &ev))
		rc = -1;
	if (!rc)
		rc = emit_value(&y, v, 0);
	yaml_document_end_event_initialize(&ev, 1);
	if (!rc && !yaml_emitter_emit(&y.em, &ev))
		rc = -1;
	yaml_stream_end_event_initialize(&ev);
	if (!rc && !yaml_emitter_emit(&y.em, &ev))
		rc = -1;
	if (!rc && !yaml_emitter_flush(&y.em))
		rc = -1;
	if (rc)
		err_fail(e, "YAMLError", "yaml: %s", y.failed ? "output too large"
			 : y.em.problem ? y.em.problem : "cannot encode value");
	yaml_emitter_delete(&y.em);
	return rc;
}

int tmpl_to_yaml(buf *out, tmpl_val v, err *e)
{
	return to_yaml(out, v, false, e);
}

/* yaml.v3 indents block sequences that are mapping values; libyaml (like go-yaml v2) does not.
 * Re-read our own output and shift every line of such a sequence by two spaces per level. */
int tv_to_yaml_pretty(buf *out, tmpl_val v, err *e)
{
	buf raw;
	buf_init(&raw, out->cap);
	if (to_yaml(&raw, v, true, e)) {
		buf_release(&raw);
		return -1;
	}
	size_t nlines = 1;
	for (size_t i = 0; i < raw.len; i++)
		nlines += raw.data[i] == '\n';
	int *shift = xcalloc(nlines + 1, sizeof *shift);
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)(raw.data ? raw.data : ""), raw.len);
	/* stack of containers: is_map, index of the child within a map, start line of seq */
	struct fr { bool map; size_t child; bool shifted; size_t line; } st[1100];
	int depth = 0;
	bool ok = true;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			ok = false;
			break;
		}
		yaml_event_type_t t = ev.type;
		bool is_value = depth > 0 && st[depth - 1].map && (st[depth - 1].child % 2) == 1;
		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			if (depth >= 1099) {
				yaml_event_delete(&ev);
				ok = false;
				break;
			}
			bool block = t == YAML_SEQUENCE_START_EVENT
				? ev.data.sequence_start.style == YAML_BLOCK_SEQUENCE_STYLE
				: false;
			st[depth].map = t == YAML_MAPPING_START_EVENT;
			st[depth].child = 0;
			st[depth].shifted = t == YAML_SEQUENCE_START_EVENT && block && is_value;
			st[depth].line = ev.start_mark.line;
			depth++;
		} else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
			depth--;
			if (st[depth].shifted) {
				/* the end mark sits on the next token's line */
				size_t end = ev.start_mark.line;
				for (size_t l = st[depth].line; l < end && l < nlines; l++)
					shift[l] += 2;
			}
			if (depth > 0)
				st[depth - 1].child++;
		} else if (t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT) {
			if (depth > 0)
				st[depth - 1].child++;
		}
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	int rc = 0;
	if (!ok) {
		rc = buf_add(out, raw.data ? raw.data : "", raw.len);
	} else {
		size_t line = 0;
		bool bol = true;
		for (size_t i = 0; i < raw.len && !rc; i++) {
			if (bol && raw.data[i] != '\n')
				for (int k = 0; k < shift[line] && !rc; k++)
					rc = buf_addc(out, ' ');
			bol = raw.data[i] == '\n';
			if (!rc)
				rc = buf_addc(out, raw.data[i]);
			if (bol)
				line++;
		}
	}
	free(shift);
	buf_release(&raw);
	if (rc)
		return err_fail(e, "YAMLError", "yaml: output too large");
	return 0;
}

/* ---- JSON ---- */

static void json_string(buf *out, const char *s, size_t n, bool html)
{
	static const char hex[] = "0123456789abcdef";
	buf_addc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf_addc(out, '\\');
			buf_addc(out, (char)c);
		} else if (c == '\n') {
			buf_adds(out, "\\n");
		} else if (c == '\r') {
			buf_adds(out, "\\r");
		} else if (c == '\t') {
			buf_adds(out, "\\t");
		} else if (c < 0x20 || (html && (c == '<' || c == '>' || c == '&'))) {
			buf_adds(out, "\\u00");
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 15]);
		} else if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
			   ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
			buf_adds(out, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
			i += 2;
		} else if (c >= 0x80) {
			int len = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
			bool ok = len && i + (size_t)len <= n;
			for (int k = 1; ok && k < len; k++)
				ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
			if (!ok) {
				buf_adds(out, "\\ufffd");
			} else {
				buf_add(out, s + i, (size_t)len);
				i += (size_t)len - 1;
			}
		} else {
			buf_addc(out, (char)c);
		}
	}
	buf_addc(out, '"');
}

static int json_value(buf *out, tmpl_val v, bool pretty, bool html, int indent, err *e)
{
	if (indent > YAML_MAX_DEPTH)
		return err_fail(e, "JSONError", "json: nesting too deep");
	switch (v.kind) {
	case TV_NIL: buf_adds(out, "null"); return 0;
	case TV_BOOL: buf_adds(out, v.u.b ? "true" : "false"); return 0;
	case TV_INT: buf_addf(out, "%lld", (long long)v.u.i); return 0;
	case TV_FLOAT:
		if (isinf(v.u.f) || isnan(v.u.f)) {
			buf b;
			buf_init(&b, 64);
			tv_format_float(&b, v.u.f, 'g');
			int rc = err_fail(e, "JSONError", "json: unsupported value: %s", buf_str(&b));
			buf_release(&b);
			return rc;
		}
		tv_format_float(out, v.u.f, 'j');
		return 0;
	case TV_STRING:
		json_string(out, v.u.s->data, v.u.s->len, html);
		return 0;
	case TV_LIST:
		if (!v.u.l->n) {
			buf_adds(out, "[]");
			return 0;
		}
		buf_addc(out, '[');
		for (size_t i = 0; i < v.u.l->n; i++) {
			if (i)
				buf_addc(out, ',');
			if (pretty) {
				buf_addc(out, '\n');
				for (int k = 0; k <= indent; k++)
					buf_adds(out, "  ");
			}
			if (json_value(out, v.u.l->items[i], pretty, html, indent + 1, e))
				return -1;
		}
		if (pretty) {
			buf_addc(out, '\n');
			for (int k = 0; k < indent; k++)
				buf_adds(out, "  ");
		}
		buf_addc(out, ']');
		return 0;
	case TV_MAP:
		if (v.u.m->marshal) {
			json_string(out, v.u.m->marshal, strlen(v.u.m->marshal), html);
			return 0;
		}
		/* a struct's methods (TV_METHOD entries) are not fields */
		size_t shown = 0;
		for (size_t i = 0; i < v.u.m->n; i++)
			shown += v.u.m->vals[i].kind != TV_METHOD;
		if (!shown) {
			buf_adds(out, "{}");
			return 0;
		}
		buf_addc(out, '{');
		bool first = true;
		for (size_t i = 0; i < v.u.m->n; i++) {
			if (v.u.m->vals[i].kind == TV_METHOD)
				continue;
			if (!first)
				buf_addc(out, ',');
			first = false;
			if (pretty) {
				buf_addc(out, '\n');
				for (int k = 0; k <= indent; k++)
					buf_adds(out, "  ");
			}
			json_string(out, v.u.m->keys[i], strlen(v.u.m->keys[i]), html);
			buf_adds(out, pretty ? ": " : ":");
			if (json_value(out, v.u.m->vals[i], pretty, html, indent + 1, e))
				return -1;
		}
		if (pretty) {
			buf_addc(out, '\n');
			for (int k = 0; k < indent; k++)
				buf_adds(out, "  ");
		}
		buf_addc(out, '}');
		return 0;
	default:
		return err_fail(e, "JSONError", "json: unsupported type: func");
	}
}

int tmpl_to_json(buf *out, tmpl_val v, bool pretty, err *e)
{
	return json_value(out, v, pretty, true, 0, e);
}

int tv_to_json_raw(buf *out, tmpl_val v, bool pretty, bool html, err *e)
{
	return json_value(out, v, pretty, html, 0, e);
}

static tmpl_val from_cjson(const cJSON *j)
{
	if (cJSON_IsNull(j))
		return tmpl_nil();
	if (cJSON_IsBool(j))
		return tmpl_bool(cJSON_IsTrue(j));
	if (cJSON_IsNumber(j))
		return tmpl_float(j->valuedouble);
	if (cJSON_IsString(j))
		return tmpl_str(j->valuestring);
	if (cJSON_IsArray(j)) {
		tmpl_val l = tmpl_list_new(0);
		for (const cJSON *c = j->child; c; c = c->next)
			tmpl_list_push(&l, from_cjson(c));
		return l;
	}
	tmpl_val m = tmpl_map_new();
	for (const cJSON *c = j->child; c; c = c->next)
		tmpl_map_set(m, c->string ? c->string : "", from_cjson(c));
	return m;
}

/* A number out of float64's range (cJSON makes it infinite; encoding/json refuses it). cJSON
 * bounds the nesting, so the recursion is bounded too. */
static bool has_nonfinite(const cJSON *j)
{
	if (cJSON_IsNumber(j))
		return !isfinite(j->valuedouble);
	for (const cJSON *c = j->child; c; c = c->next)
		if (has_nonfinite(c))
			return true;
	return false;
}

/* The first number of a JSON text (outside strings) that is out of float64's range. */
static bool big_number(const char *s, size_t n, size_t *at, size_t *len)
{
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
			continue;
		}
		if (c != '-' && !isdigit((unsigned char)c))
			continue;
		size_t k = i;
		while (k < n && (isdigit((unsigned char)s[k]) || strchr("-+.eE", s[k])))
			k++;
		char tok[128];
		if (k - i < sizeof tok) {
			memcpy(tok, s + i, k - i);
			tok[k - i] = '\0';
			if (!isfinite(strtod(tok, NULL))) {
				*at = i;
				*len = k - i;
				return true;
			}
		}
		i = k - 1;
	}
	return false;
}

int tmpl_from_json(const char *s, size_t n, tmpl_val *out, err *e)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(s, n, &end, 0);
	if (!j)
		return err_fail(e, "JSONError", "invalid character looking for beginning of value");
	/* trailing garbage after the value */
	while (end && end < s + n && isspace((unsigned char)*end))
		end++;
	if (end && end < s + n && *end) {
		cJSON_Delete(j);
		return err_fail(e, "JSONError", "invalid character '%c' after top-level value",
				*end);
	}
	if (has_nonfinite(j)) {
		cJSON_Delete(j);
		size_t at, len;
		if (big_number(s, n, &at, &len))
			return err_fail(e, "JSONError", "json: cannot unmarshal number %.*s "
					"into Go value of type float64", (int)len, s + at);
		return err_fail(e, "JSONError", "json: cannot unmarshal number into Go value of "
				"type float64");
	}
	*out = from_cjson(j);
	cJSON_Delete(j);
	return 0;
}
