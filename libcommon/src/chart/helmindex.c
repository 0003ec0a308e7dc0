/* A Helm repository index: streaming parse with libyaml, validation, sorting, Flux's
 * normalised JSON and the version lookup (see eddy/helmindex.h). */
#include "eddy/helmindex.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "eddy/mem.h"
#include "eddy/semver.h"

#define REASON "IndexationFailed"
/* the prefixes of sigs.k8s.io/yaml's errors */
#define YAML_ERR "error converting YAML to JSON: yaml: "
#define JSON_ERR "error unmarshaling JSON: while decoding JSON: "
/* output buffers: bounded by the input, which is capped */
#define OUT_CAP ((size_t)1 << 32)

typedef struct hver {
	char *version;
	semver sv;
	bool sv_ok;
	int64_t created_s;   /* seconds since the epoch (UTC) */
	int32_t created_ns;
	char *url;           /* urls[0] or NULL */
	char *digest;        /* never NULL */
	char *json;          /* the normalised object, indented for depth 3 */
	size_t json_len;
	size_t seq;          /* order in the input (stable sort) */
} hver;

typedef struct hentry {
	char *name;
	hver *v;
	size_t n, cap;
	bool null;           /* "name:" with a null value */
	size_t seq;
} hentry;

struct helmindex {
	char *api_version;
	char *generated;     /* normalised time */
	char *public_keys;   /* JSON text (depth 1) or NULL */
	char *annotations;   /* JSON text (depth 1) or NULL */
	hentry *e;
	size_t n, cap;
	size_t nversions;
	size_t mem;
};

/* ---------------------------------------------------------------- Go's JSON printing */

static void put_indent(buf *b, int depth)
{
	buf_addc(b, '\n');
	for (int i = 0; i < depth; i++)
		buf_add(b, "  ", 2);
}

/* A string as Go's encoding/json writes it (HTML-safe escaping, invalid UTF-8 as U+FFFD). */
static void put_str(buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	buf_addc(b, '"');
	while (*p) {
		unsigned c = *p;
		if (c < 0x80) {
			if (c == '"' || c == '\\') {
				buf_addc(b, '\\');
				buf_addc(b, (char)c);
			} else if (c == '\n') {
				buf_add(b, "\\n", 2);
			} else if (c == '\r') {
				buf_add(b, "\\r", 2);
			} else if (c == '\t') {
				buf_add(b, "\\t", 2);
			} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
				buf_add(b, u, 6);
			} else {
				buf_addc(b, (char)c);
			}
			p++;
			continue;
		}
		/* UTF-8 sequence */
		size_t n = 0;
		if (c >= 0xc2 && c < 0xe0)
			n = 2;
		else if (c >= 0xe0 && c < 0xf0)
			n = 3;
		else if (c >= 0xf0 && c < 0xf5)
			n = 4;
		bool ok = n > 0;
		for (size_t i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		uint32_t cp = 0;
		if (ok) {
			cp = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
			for (size_t i = 1; i < n; i++)
				cp = cp << 6 | (p[i] & 0x3f);
			if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
			    (cp >= 0xd800 && cp <= 0xdfff))
				ok = false;
		}
		if (!ok) {
			buf_add(b, "\\ufffd", 6);
			p++;
			continue;
		}
		if (cp == 0x2028 || cp == 0x2029)
			buf_addf(b, "\\u%04x", (unsigned)cp);
		else
			buf_add(b, p, n);
		p += n;
	}
	buf_addc(b, '"');
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Any value: maps with sorted keys, as Go prints map[string]interface{}. Depth is bounded by
 * the parse (max_depth). */
static void put_any(buf *b, const cJSON *v, int depth)
{
	if (cJSON_IsString(v)) {
		put_str(b, v->valuestring);
	} else if (cJSON_IsTrue(v)) {
		buf_adds(b, "true");
	} else if (cJSON_IsFalse(v)) {
		buf_adds(b, "false");
	} else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		bool obj = cJSON_IsObject(v);
		size_t n = (size_t)cJSON_GetArraySize(v);
		if (!n) {
			buf_adds(b, obj ? "{}" : "[]");
			return;
		}
		const cJSON **items = xcalloc(n, sizeof *items);
		size_t i = 0;
		const cJSON *it;
		cJSON_ArrayForEach(it, v)
			items[i++] = it;
		if (obj)
			qsort(items, n, sizeof *items, cmp_keys);
		buf_addc(b, obj ? '{' : '[');
		for (i = 0; i < n; i++) {
			put_indent(b, depth + 1);
			if (obj) {
				put_str(b, items[i]->string);
				buf_add(b, ": ", 2);
			}
			put_any(b, items[i], depth + 1);
			if (i + 1 < n)
				buf_addc(b, ',');
		}
		put_indent(b, depth);
		buf_addc(b, obj ? '}' : ']');
		free(items);
	} else {
		buf_adds(b, "null");
	}
}

/* ---------------------------------------------------------------- typed fields */

/* The text of a scalar where Go expects a string (NULL when absent or null). */
static const char *text_of(const cJSON *v)
{
	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsTrue(v))
		return "true";
	if (cJSON_IsFalse(v))
		return "false";
	return NULL;
}

typedef struct obj_out {
	buf *b;
	int depth;
	bool first;
} obj_out;

static void field(obj_out *o, const char *k)
{
	if (!o->first)
		buf_addc(o->b, ',');
	o->first = false;
	put_indent(o->b, o->depth + 1);
	put_str(o->b, k);
	buf_add(o->b, ": ", 2);
}

/* string `json:"k,omitempty"` (always: print "" when absent) */
static void f_str(obj_out *o, const cJSON *src, const char *k, bool always)
{
	const char *s = text_of(cJSON_GetObjectItemCaseSensitive(src, k));
	if (!always && (!s || !*s))
		return;
	field(o, k);
	put_str(o->b, s ? s : "");
}

static void f_bool(obj_out *o, const cJSON *src, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, k);
	const char *s = text_of(v);
	if (!s || strcmp(s, "true"))
		return;
	field(o, k);
	buf_adds(o->b, "true");
}

/* []string; with always, a missing list prints null (no omitempty) */
static void f_strs(obj_out *o, const cJSON *src, const char *k, bool always)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, k);
	size_t n = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 0;
	if (!n && !always)
		return;
	field(o, k);
	if (!cJSON_IsArray(v)) {
		buf_adds(o->b, "null");
		return;
	}
	if (!n) {
		buf_adds(o->b, "[]");
		return;
	}
	buf_addc(o->b, '[');
	size_t i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, v) {
		put_indent(o->b, o->depth + 2);
		const char *s = text_of(it);
		put_str(o->b, s ? s : "");
		if (++i < n)
			buf_addc(o->b, ',');
	}
	put_indent(o->b, o->depth + 1);
	buf_addc(o->b, ']');
}

/* map[string]string, keys sorted */
static void f_strmap(obj_out *o, const cJSON *src, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, k);
	if (!cJSON_IsObject(v) || !cJSON_GetArraySize(v))
		return;
	field(o, k);
	cJSON *copy = cJSON_CreateObject();
	const cJSON *it;
	cJSON_ArrayForEach(it, v) {
		const char *s = text_of(it);
		cJSON_AddStringToObject(copy, it->string, s ? s : "");
	}
	put_any(o->b, copy, o->depth + 1);
	cJSON_Delete(copy);
}

typedef void (*sub_fn)(obj_out *o, const cJSON *item);

/* []*Struct with omitempty, each element printed by fn */
static void f_structs(obj_out *o, const cJSON *src, const char *k, sub_fn fn)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, k);
	size_t n = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 0;
	if (!n)
		return;
	field(o, k);
	buf_addc(o->b, '[');
	size_t i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, v) {
		put_indent(o->b, o->depth + 2);
		if (cJSON_IsObject(it)) {
			obj_out so = {o->b, o->depth + 2, true};
			buf_addc(o->b, '{');
			fn(&so, it);
			if (so.first) {
				buf_addc(o->b, '}');
			} else {
				put_indent(o->b, o->depth + 2);
				buf_addc(o->b, '}');
			}
		} else {
			buf_adds(o->b, "null");
		}
		if (++i < n)
			buf_addc(o->b, ',');
	}
	put_indent(o->b, o->depth + 1);
	buf_addc(o->b, ']');
}

static void maintainer(obj_out *o, const cJSON *m)
{
	f_str(o, m, "name", false);
	f_str(o, m, "email", false);
	f_str(o, m, "url", false);
}

static void dependency(obj_out *o, const cJSON *d)
{
	f_str(o, d, "name", true);
	f_str(o, d, "version", false);
	f_str(o, d, "repository", true);
	f_str(o, d, "condition", false);
	f_strs(o, d, "tags", false);
	f_bool(o, d, "enabled");
	const cJSON *iv = cJSON_GetObjectItemCaseSensitive(d, "import-values");
	if (cJSON_IsArray(iv) && cJSON_GetArraySize(iv)) {
		field(o, "import-values");
		put_any(o->b, iv, o->depth + 1);
	}
	f_str(o, d, "alias", false);
}

/* ---------------------------------------------------------------- times */

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* An RFC 3339 time (or a bare date, as YAML timestamps go) as Go's time.Time marshals it:
 * RFC 3339 with the fraction's trailing zeros dropped, "Z" for UTC. Also gives the instant. */
static int norm_time(const char *s, char out[64], int64_t *secs, int32_t *nanos)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t len = strlen(s);
	if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	const char *p = s + 10;
	char frac[10] = "";
	int offmin = 0;
	bool utc = true;
	if (*p) {
		if ((*p != 'T' && *p != 't') || strlen(p) < 9 || digits(p + 1, 2, &h) ||
		    p[3] != ':' || digits(p + 4, 2, &mi) || p[6] != ':' || digits(p + 7, 2, &se) ||
		    h > 23 || mi > 59 || se > 59)
			return -1;
		p += 9;
		if (*p == '.') {
			p++;
			size_t n = 0;
			while (isdigit((unsigned char)p[n]))
				n++;
			if (!n || n > 9)
				return -1;
			memcpy(frac, p, n);
			frac[n] = 0;
			p += n;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om;
			if (strlen(p) != 6 || digits(p + 1, 2, &oh) || p[3] != ':' ||
			    digits(p + 4, 2, &om) || oh > 23 || om > 59)
				return -1;
			offmin = (oh * 60 + om) * (*p == '-' ? -1 : 1);
			utc = offmin == 0;
			p += 6;
		} else {
			return -1;
		}
		if (*p)
			return -1;
	}
	size_t fl = strlen(frac);
	while (fl && frac[fl - 1] == '0')
		frac[--fl] = 0;
	char zone[16] = "Z";
	if (!utc)
		snprintf(zone, sizeof zone, "%c%02d:%02d", offmin < 0 ? '-' : '+',
			abs(offmin) / 60, abs(offmin) % 60);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d%s%s%s", y, mo, d, h, mi, se,
		fl ? "." : "", frac, zone);
	int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
	*secs = days * 86400 + h * 3600 + mi * 60 + se - (int64_t)offmin * 60;
	int32_t ns = 0;
	for (size_t i = 0; i < 9; i++)
		ns = ns * 10 + (i < fl ? frac[i] - '0' : 0);
	*nanos = ns;
	return 0;
}

static int time_error(err *e, const char *s)
{
	return err_fail(e, REASON, JSON_ERR "parsing time \"\\\"%.64s\\\"\" as "
		"\"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse", s);
}

/* ---------------------------------------------------------------- the event reader */

typedef struct reader {
	yaml_parser_t p;
	const helmindex_limits *lim;
	err *e;
	FILE *f;
	uint64_t read;
	bool too_big;
	bool syntax;         /* the error is libyaml's */
} reader;

static int read_file_cb(void *data, unsigned char *buffer, size_t size, size_t *size_read)
{
	reader *r = data;
	size_t n = fread(buffer, 1, size, r->f);
	r->read += n;
	if (r->read > r->lim->max_bytes) {
		r->too_big = true;
		return 0;
	}
	*size_read = n;
	return !ferror(r->f);
}

static int yaml_fail(reader *r)
{
	r->syntax = true;
	if (r->too_big)
		return err_fail(r->e, REASON, "index exceeds the maximum index file size of %llu "
			"bytes", (unsigned long long)r->lim->max_bytes);
	const yaml_parser_t *p = &r->p;
	return err_fail(r->e, REASON, YAML_ERR "line %zu: %s",
		(p->problem_mark.line ? p->problem_mark.line : p->context_mark.line) + 1,
		p->problem ? p->problem : "invalid YAML");
}

static int next(reader *r, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&r->p, ev))
		return yaml_fail(r);
	if (ev->type == YAML_ALIAS_EVENT) {
		size_t line = ev->start_mark.line + 1;
		yaml_event_delete(ev);
		return err_fail(r->e, REASON, YAML_ERR "line %zu: "
			"aliases are not supported in a Helm repository index", line);
	}
	return 0;
}

static bool plain_is(const yaml_event_t *ev, const char *const *words)
{
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev->data.scalar.tag)
		return false;
	for (; *words; words++)
		if (!strcmp((const char *)ev->data.scalar.value, *words))
			return true;
	return false;
}

static cJSON *scalar_node(const yaml_event_t *ev)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", NULL};
	static const char *const falses[] = {"false", "False", "FALSE", NULL};
	if (plain_is(ev, nulls))
		return cJSON_CreateNull();
	if (plain_is(ev, trues))
		return cJSON_CreateTrue();
	if (plain_is(ev, falses))
		return cJSON_CreateFalse();
	return cJSON_CreateString((const char *)ev->data.scalar.value);
}

/* Builds the node that starts with ev (consumed) into *out, iteratively, at most max_depth
 * levels deep. Mapping keys must be scalars. */
static int build_node(reader *r, yaml_event_t *ev, cJSON **out)
{
	unsigned maxd = r->lim->max_depth;
	cJSON **stack = xcalloc(maxd + 1, sizeof *stack);
	char **keys = xcalloc(maxd + 1, sizeof *keys);
	unsigned sp = 0;
	cJSON *root = NULL;
	int rc = 0;
	yaml_event_t cur = *ev;
	bool own = false; /* cur was read here (ev belongs to the caller) */
	for (;;) {
		cJSON *node = NULL;
		bool open = false, close = false;
		switch (cur.type) {
		case YAML_SCALAR_EVENT:
			if (sp && cJSON_IsObject(stack[sp - 1]) && !keys[sp - 1]) {
				keys[sp - 1] = xstrdup((const char *)cur.data.scalar.value);
				goto advance;
			}
			node = scalar_node(&cur);
			break;
		case YAML_SEQUENCE_START_EVENT:
			node = cJSON_CreateArray();
			open = true;
			break;
		case YAML_MAPPING_START_EVENT:
			node = cJSON_CreateObject();
			open = true;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			close = true;
			break;
		default:
			rc = err_fail(r->e, REASON, YAML_ERR "line %zu: "
				"unexpected event", cur.start_mark.line + 1);
			goto done;
		}
		if (close) {
			sp--;
			free(keys[sp]);
			keys[sp] = NULL;
			if (!sp)
				goto done;
			goto advance;
		}
		if (sp && cJSON_IsObject(stack[sp - 1]) && !keys[sp - 1]) {
			cJSON_Delete(node);
			rc = err_fail(r->e, REASON, YAML_ERR "line %zu: "
				"a mapping key must be a scalar", cur.start_mark.line + 1);
			goto done;
		}
		if (!sp) {
			root = node;
		} else if (cJSON_IsObject(stack[sp - 1])) {
			cJSON_DeleteItemFromObjectCaseSensitive(stack[sp - 1], keys[sp - 1]);
			cJSON_AddItemToObject(stack[sp - 1], keys[sp - 1], node);
			free(keys[sp - 1]);
			keys[sp - 1] = NULL;
		} else {
			cJSON_AddItemToArray(stack[sp - 1], node);
		}
		if (open) {
			if (sp >= maxd) {
				rc = err_fail(r->e, REASON, YAML_ERR "line %zu: "
					"nesting deeper than %u levels", cur.start_mark.line + 1,
					maxd);
				goto done;
			}
			stack[sp++] = node;
		} else if (!sp) {
			goto done;
		}
advance:
		if (own)
			yaml_event_delete(&cur);
		if (next(r, &cur) < 0) {
			own = false;
			rc = -1;
			goto done;
		}
		own = true;
	}
done:
	if (own)
		yaml_event_delete(&cur);
	for (unsigned i = 0; i <= maxd; i++)
		free(keys[i]);
	free(keys);
	free(stack);
	if (rc < 0) {
		cJSON_Delete(root);
		root = NULL;
	}
	*out = root;
	return rc;
}

/* ---------------------------------------------------------------- the model */

static void entry_release(hentry *en)
{
	for (size_t i = 0; i < en->n; i++) {
		free(en->v[i].version);
		free(en->v[i].url);
		free(en->v[i].digest);
		free(en->v[i].json);
	}
	free(en->v);
	free(en->name);
}

void helmindex_free(helmindex *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->n; i++)
		entry_release(&ix->e[i]);
	free(ix->e);
	free(ix->api_version);
	free(ix->generated);
	free(ix->public_keys);
	free(ix->annotations);
	free(ix);
}

size_t helmindex_entries(const helmindex *ix) { return ix->n; }
size_t helmindex_versions(const helmindex *ix) { return ix->nversions; }
size_t helmindex_mem(const helmindex *ix) { return ix->mem; }

/* Helm's ChartVersion.Validate, as far as it decides whether IndexFromBytes keeps a version. */
static bool valid_version(const cJSON *cv, semver *sv, bool *sv_ok)
{
	const char *name = text_of(cJSON_GetObjectItemCaseSensitive(cv, "name"));
	const char *ver = text_of(cJSON_GetObjectItemCaseSensitive(cv, "version"));
	const char *type = text_of(cJSON_GetObjectItemCaseSensitive(cv, "type"));
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	if (!ver || !*ver)
		return false;
	err e = {0};
	/* build metadata is not part of precedence: parse without it */
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s", ver);
	tmp[strcspn(tmp, "+")] = 0;
	*sv_ok = semver_parse(tmp, sv, &e) == 0;
	if (!*sv_ok)
		return false;
	if (type && *type && strcmp(type, "application") && strcmp(type, "library"))
		return false;
	return true;
}

/* The normalised object of one chart version (Helm's ChartVersion JSON field order). */
static void version_json(buf *b, const cJSON *cv, const char *created)
{
	obj_out o = {b, 3, true};
	buf_addc(b, '{');
	f_str(&o, cv, "name", false);
	f_str(&o, cv, "home", false);
	f_strs(&o, cv, "sources", false);
	f_str(&o, cv, "version", false);
	f_str(&o, cv, "description", false);
	f_strs(&o, cv, "keywords", false);
	f_structs(&o, cv, "maintainers", maintainer);
	f_str(&o, cv, "icon", false);
	const char *api = text_of(cJSON_GetObjectItemCaseSensitive(cv, "apiVersion"));
	field(&o, "apiVersion");
	put_str(b, api && *api ? api : "v1");
	f_str(&o, cv, "condition", false);
	f_str(&o, cv, "tags", false);
	f_str(&o, cv, "appVersion", false);
	f_bool(&o, cv, "deprecated");
	f_strmap(&o, cv, "annotations");
	f_str(&o, cv, "kubeVersion", false);
	f_structs(&o, cv, "dependencies", dependency);
	f_str(&o, cv, "type", false);
	f_strs(&o, cv, "urls", true);
	field(&o, "created");
	put_str(b, created);
	f_bool(&o, cv, "removed");
	f_str(&o, cv, "digest", false);
	f_str(&o, cv, "checksum", false);
	f_str(&o, cv, "engine", false);
	f_str(&o, cv, "tillerVersion", false);
	f_str(&o, cv, "url", false);
	put_indent(b, 3);
	buf_addc(b, '}');
}

static int add_version(helmindex *ix, hentry *en, cJSON *cv, reader *r)
{
	if (cJSON_IsNull(cv))
		return 0; /* a nil entry: skipped, as Helm does */
	if (!cJSON_IsObject(cv))
		return err_fail(r->e, REASON, JSON_ERR "json: "
			"cannot unmarshal %s into Go value of type repo.ChartVersion",
			cJSON_IsArray(cv) ? "array" : "string");
	semver sv;
	bool sv_ok = false;
	if (!valid_version(cv, &sv, &sv_ok))
		return 0;
	if (ix->nversions >= r->lim->max_versions)
		return err_fail(r->e, REASON, "index has more than %zu chart versions",
			r->lim->max_versions);
	const char *cr = text_of(cJSON_GetObjectItemCaseSensitive(cv, "created"));
	char created[64] = "0001-01-01T00:00:00Z";
	int64_t secs = -62135596800LL;
	int32_t ns = 0;
	if (cr && *cr && norm_time(cr, created, &secs, &ns) < 0)
		return time_error(r->e, cr);
	if (en->n == en->cap) {
		en->cap = en->cap ? en->cap * 2 : 4;
		en->v = xrealloc(en->v, en->cap * sizeof *en->v);
	}
	hver *v = &en->v[en->n++];
	memset(v, 0, sizeof *v);
	v->version = xstrdup(text_of(cJSON_GetObjectItemCaseSensitive(cv, "version")));
	v->sv = sv;
	v->sv_ok = sv_ok;
	v->created_s = secs;
	v->created_ns = ns;
	const cJSON *urls = cJSON_GetObjectItemCaseSensitive(cv, "urls");
	const char *u0 = cJSON_IsArray(urls) ? text_of(cJSON_GetArrayItem(urls, 0)) : NULL;
	v->url = u0 ? xstrdup(u0) : NULL;
	const char *dg = text_of(cJSON_GetObjectItemCaseSensitive(cv, "digest"));
	v->digest = xstrdup(dg ? dg : "");
	buf b;
	buf_init(&b, OUT_CAP);
	version_json(&b, cv, created);
	v->json = buf_detach(&b, &v->json_len);
	v->seq = en->n;
	ix->nversions++;
	ix->mem += sizeof *v + v->json_len + strlen(v->version) + strlen(v->digest) +
		(v->url ? strlen(v->url) : 0) + 4 * 16;
	return 0;
}

static hentry *new_entry(helmindex *ix, const char *name)
{
	if (ix->n == ix->cap) {
		ix->cap = ix->cap ? ix->cap * 2 : 16;
		ix->e = xrealloc(ix->e, ix->cap * sizeof *ix->e);
	}
	hentry *en = &ix->e[ix->n];
	memset(en, 0, sizeof *en);
	en->name = xstrdup(name);
	en->seq = ix->n++;
	ix->mem += sizeof *en + strlen(name) + 16;
	return en;
}

/* entries: a mapping of chart names to sequences of chart versions. */
static int read_entries(helmindex *ix, reader *r, yaml_event_t *start)
{
	if (start->type == YAML_SCALAR_EVENT && plain_is(start, (const char *const[]){"", "~",
	    "null", NULL}))
		return 0;
	if (start->type != YAML_MAPPING_START_EVENT)
		return err_fail(r->e, REASON, JSON_ERR "json: "
			"cannot unmarshal %s into Go struct field IndexFile.entries of type "
			"map[string]repo.ChartVersions", start->type == YAML_SEQUENCE_START_EVENT
			? "array" : "string");
	for (;;) {
		yaml_event_t k;
		if (next(r, &k) < 0)
			return -1;
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			return 0;
		}
		if (k.type != YAML_SCALAR_EVENT) {
			size_t line = k.start_mark.line + 1;
			yaml_event_delete(&k);
			return err_fail(r->e, REASON, YAML_ERR "line %zu: "
				"a chart name must be a scalar", line);
		}
		hentry *en = new_entry(ix, (const char *)k.data.scalar.value);
		yaml_event_delete(&k);
		yaml_event_t v;
		if (next(r, &v) < 0)
			return -1;
		if (v.type == YAML_SCALAR_EVENT) {
			bool null = plain_is(&v, (const char *const[]){"", "~", "null", NULL});
			yaml_event_delete(&v);
			if (!null)
				return err_fail(r->e, REASON, JSON_ERR "json: cannot unmarshal "
					"string into Go value of type repo.ChartVersions");
			en->null = true;
			continue;
		}
		if (v.type != YAML_SEQUENCE_START_EVENT) {
			yaml_event_delete(&v);
			return err_fail(r->e, REASON, JSON_ERR "json: cannot unmarshal object into "
				"Go value of type repo.ChartVersions");
		}
		yaml_event_delete(&v);
		for (;;) {
			yaml_event_t it;
			if (next(r, &it) < 0)
				return -1;
			if (it.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&it);
				break;
			}
			cJSON *cv = NULL;
			int rc = build_node(r, &it, &cv);
			yaml_event_delete(&it);
			if (rc == 0)
				rc = add_version(ix, en, cv, r);
			cJSON_Delete(cv);
			if (rc < 0)
				return -1;
		}
	}
}

static int cmp_entry(const void *a, const void *b)
{
	const hentry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Highest version first; among equal (or unparsable) versions, input order. */
static int cmp_ver(const void *a, const void *b)
{
	const hver *x = a, *y = b;
	if (x->sv_ok && y->sv_ok) {
		int c = semver_cmp(&x->sv, &y->sv);
		if (c)
			return -c;
	} else if (x->sv_ok != y->sv_ok) {
		return x->sv_ok ? -1 : 1;
	}
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void finish(helmindex *ix)
{
	qsort(ix->e, ix->n, sizeof *ix->e, cmp_entry);
	/* a name defined twice: the later definition wins, as a Go map does */
	size_t w = 0;
	for (size_t i = 0; i < ix->n; i++) {
		if (i + 1 < ix->n && !strcmp(ix->e[i].name, ix->e[i + 1].name)) {
			ix->nversions -= ix->e[i].n;
			entry_release(&ix->e[i]);
			continue;
		}
		ix->e[w++] = ix->e[i];
	}
	ix->n = w;
	for (size_t i = 0; i < ix->n; i++)
		if (ix->e[i].n > 1)
			qsort(ix->e[i].v, ix->e[i].n, sizeof *ix->e[i].v, cmp_ver);
}

static char *json_text(const cJSON *v)
{
	buf b;
	buf_init(&b, OUT_CAP);
	put_any(&b, v, 1);
	return buf_detach(&b, NULL);
}

/* A top-level field other than entries (serverInfo and unknown ones are dropped). */
static int top_field(helmindex *ix, const char *key, const cJSON *node, err *e)
{
	const char *s = text_of(node);
	if (!strcmp(key, "apiVersion")) {
		free(ix->api_version);
		ix->api_version = s ? xstrdup(s) : NULL;
	} else if (!strcmp(key, "generated") && s) {
		char t[64];
		int64_t secs;
		int32_t ns;
		if (norm_time(s, t, &secs, &ns) < 0)
			return time_error(e, s);
		free(ix->generated);
		ix->generated = xstrdup(t);
	} else if (!strcmp(key, "publicKeys") && cJSON_IsArray(node) &&
		   cJSON_GetArraySize(node)) {
		free(ix->public_keys);
		ix->public_keys = json_text(node);
	} else if (!strcmp(key, "annotations") && cJSON_IsObject(node) &&
		   cJSON_GetArraySize(node)) {
		free(ix->annotations);
		ix->annotations = json_text(node);
	}
	return 0;
}

static helmindex *parse(reader *r)
{
	err *e = r->e;
	helmindex *ix = xcalloc(1, sizeof *ix);
	yaml_event_t ev;
	int rc = 0;
	bool in_doc = false, seen_root = false, done = false;
	while (!done && rc == 0) {
		if (next(r, &ev) < 0) {
			rc = -1;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (seen_root)
				done = true; /* only the first document counts, as in Go */
			in_doc = true;
			break;
		case YAML_DOCUMENT_END_EVENT:
			in_doc = false;
			if (seen_root)
				done = true;
			break;
		case YAML_MAPPING_START_EVENT:
			seen_root = true;
			for (;;) {
				yaml_event_t k, v;
				if (next(r, &k) < 0) {
					rc = -1;
					break;
				}
				if (k.type == YAML_MAPPING_END_EVENT) {
					yaml_event_delete(&k);
					break;
				}
				char *key = k.type == YAML_SCALAR_EVENT
					? xstrdup((const char *)k.data.scalar.value) : NULL;
				yaml_event_delete(&k);
				if (!key) {
					rc = err_fail(e, REASON, YAML_ERR "a mapping key must be a "
						"scalar");
					break;
				}
				if (next(r, &v) < 0) {
					free(key);
					rc = -1;
					break;
				}
				if (!strcmp(key, "entries")) {
					rc = read_entries(ix, r, &v);
				} else {
					cJSON *node = NULL;
					rc = build_node(r, &v, &node);
					if (rc == 0)
						rc = top_field(ix, key, node, e);
					cJSON_Delete(node);
				}
				yaml_event_delete(&v);
				free(key);
				if (rc < 0)
					break;
			}
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT: {
			bool null = ev.type == YAML_SCALAR_EVENT &&
				plain_is(&ev, (const char *const[]){"", "~", "null", NULL});
			if (!null)
				rc = err_fail(e, REASON, JSON_ERR "json: cannot unmarshal %s into "
					"Go value of type repo.IndexFile",
					ev.type == YAML_SCALAR_EVENT ? "string" : "array");
			seen_root = true;
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	(void)in_doc;
	/* Go converts the whole document to JSON before decoding it: a syntax error further on
	 * wins over a type error found first
	 * (the drain stops at the nesting cap: libyaml slows down on very deep flow nesting) */
	for (int depth = 0; rc < 0 && !r->syntax && depth <= (int)r->lim->max_depth;) {
		if (!yaml_parser_parse(&r->p, &ev)) {
			yaml_fail(r);
			break;
		}
		bool end = ev.type == YAML_STREAM_END_EVENT;
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		yaml_event_delete(&ev);
		if (end)
			break;
	}
	if (rc == 0 && (!ix->api_version || !*ix->api_version))
		rc = err_fail(e, REASON, "no API version specified");
	if (rc < 0) {
		helmindex_free(ix);
		return NULL;
	}
	finish(ix);
	if (!ix->generated)
		ix->generated = xstrdup("0001-01-01T00:00:00Z");
	return ix;
}

static helmindex_limits limits_of(const helmindex_limits *lim)
{
	helmindex_limits l = lim ? *lim : (helmindex_limits){0};
	if (!l.max_bytes)
		l.max_bytes = 50ULL << 20;
	if (!l.max_versions)
		l.max_versions = 1000000;
	if (!l.max_depth)
		l.max_depth = 64;
	return l;
}

helmindex *helmindex_parse_mem(const char *data, size_t len, const helmindex_limits *lim,
	err *e)
{
	helmindex_limits l = limits_of(lim);
	if (len == 0) {
		err_fail(e, REASON, "empty index.yaml file");
		return NULL;
	}
	if (len > l.max_bytes) {
		err_fail(e, REASON, "index exceeds the maximum index file size of %llu bytes",
			(unsigned long long)l.max_bytes);
		return NULL;
	}
	reader r = {.lim = &l, .e = e};
	yaml_parser_initialize(&r.p);
	yaml_parser_set_input_string(&r.p, (const unsigned char *)data, len);
	helmindex *ix = parse(&r);
	yaml_parser_delete(&r.p);
	return ix;
}

helmindex *helmindex_parse_file(const char *path, const helmindex_limits *lim, err *e)
{
	helmindex_limits l = limits_of(lim);
	FILE *f = fopen(path, "rb");
	if (!f) {
		err_fail(e, REASON, "open %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		err_fail(e, REASON, "%s is not a regular file", path);
		return NULL;
	}
	if ((uint64_t)st.st_size > l.max_bytes) {
		fclose(f);
		err_fail(e, REASON, "%s exceeds the maximum index file size of %llu bytes", path,
			(unsigned long long)l.max_bytes);
		return NULL;
	}
	if (st.st_size == 0) {
		fclose(f);
		err_fail(e, REASON, "empty index.yaml file");
		return NULL;
	}
	reader r = {.lim = &l, .e = e, .f = f};
	yaml_parser_initialize(&r.p);
	yaml_parser_set_input(&r.p, read_file_cb, &r);
	helmindex *ix = parse(&r);
	yaml_parser_delete(&r.p);
	fclose(f);
	return ix;
}

/* ---------------------------------------------------------------- output */

typedef int (*sink_fn)(void *ud, const char *p, size_t n);

static int write_index(const helmindex *ix, sink_fn sink, void *ud)
{
	buf b;
	buf_init(&b, OUT_CAP);
	buf_adds(&b, "{\n  \"apiVersion\": ");
	put_str(&b, ix->api_version);
	buf_adds(&b, ",\n  \"generated\": ");
	put_str(&b, ix->generated);
	buf_adds(&b, ",\n  \"entries\": ");
	if (!ix->n)
		buf_adds(&b, "{}");
	else
		buf_addc(&b, '{');
	int rc = 0;
	for (size_t i = 0; i < ix->n && rc == 0; i++) {
		const hentry *en = &ix->e[i];
		put_indent(&b, 2);
		put_str(&b, en->name);
		buf_add(&b, ": ", 2);
		if (en->null && !en->n)
			buf_adds(&b, "null");
		else if (!en->n)
			buf_adds(&b, "[]");
		else
			buf_addc(&b, '[');
		for (size_t j = 0; j < en->n; j++) {
			put_indent(&b, 3);
			buf_add(&b, en->v[j].json, en->v[j].json_len);
			if (j + 1 < en->n)
				buf_addc(&b, ',');
			if (b.len > 1 << 20) {
				rc = sink(ud, b.data, b.len);
				buf_reset(&b);
			}
		}
		if (en->n) {
			put_indent(&b, 2);
			buf_addc(&b, ']');
		}
		if (i + 1 < ix->n)
			buf_addc(&b, ',');
	}
	if (ix->n)
		buf_adds(&b, "\n  }");
	if (ix->public_keys) {
		buf_adds(&b, ",\n  \"publicKeys\": ");
		buf_adds(&b, ix->public_keys);
	}
	if (ix->annotations) {
		buf_adds(&b, ",\n  \"annotations\": ");
		buf_adds(&b, ix->annotations);
	}
	buf_adds(&b, "\n}");
	if (rc == 0)
		rc = sink(ud, b.data, b.len);
	buf_release(&b);
	return rc;
}

static int sink_buf(void *ud, const char *p, size_t n)
{
	return buf_add(ud, p, n);
}

int helmindex_write_buf(const helmindex *ix, buf *out, err *e)
{
	if (write_index(ix, sink_buf, out) < 0)
		return err_fail(e, "ArchiveOperationFailed", "index JSON larger than the buffer");
	return 0;
}

static int sink_fd(void *ud, const char *p, size_t n)
{
	int fd = *(int *)ud;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int helmindex_write_file(const helmindex *ix, const char *path, err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_fail(e, "ArchiveOperationFailed", "open %s: %s", path, strerror(errno));
	int rc = write_index(ix, sink_fd, &fd);
	if (close(fd) < 0)
		rc = -1;
	if (rc < 0)
		return err_fail(e, "ArchiveOperationFailed", "write %s: %s", path, strerror(errno));
	return 0;
}

/* ---------------------------------------------------------------- lookup */

static int cmp_name(const void *k, const void *en)
{
	return strcmp(k, ((const hentry *)en)->name);
}

int helmindex_find(const helmindex *ix, const char *name, const char *ver, helmindex_chart *out,
	err *e)
{
	const char *R = "InvalidChartReference";
	const hentry *en = bsearch(name, ix->e, ix->n, sizeof *ix->e, cmp_name);
	if (!en)
		return err_set(e, ERR_STALLING, R, "no chart name found");
	if (!en->n)
		return err_set(e, ERR_STALLING, R, "no chart version found");
	const hver *pick = NULL;
	if (ver && *ver)
		for (size_t i = 0; i < en->n && !pick; i++)
			if (!strcmp(en->v[i].version, ver))
				pick = &en->v[i];
	if (!pick) {
		err re = {0};
		const char *c = ver && *ver ? ver : "*";
		semver_range *rg = semver_range_parse(c, &re);
		if (!rg)
			return err_set(e, ERR_STALLING, R, "improper constraint: %s", c);
		for (size_t i = 0; i < en->n; i++) {
			const hver *v = &en->v[i];
			if (!v->sv_ok || !semver_range_match(rg, &v->sv))
				continue;
			if (!pick) {
				pick = v;
				continue;
			}
			int cmp = semver_cmp(&v->sv, &pick->sv);
			if (cmp > 0 || (cmp == 0 && (v->created_s > pick->created_s ||
			    (v->created_s == pick->created_s && v->created_ns > pick->created_ns))))
				pick = v;
		}
		semver_range_free(rg);
		if (!pick)
			return err_set(e, ERR_STALLING, R, "no '%s' chart with version matching "
				"'%s' found", name, ver ? ver : "");
	}
	out->name = en->name;
	out->version = pick->version;
	out->url = pick->url;
	out->digest = pick->digest;
	return 0;
}
