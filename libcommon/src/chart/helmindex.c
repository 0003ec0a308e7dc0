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
	char *version;       /* the strings of a version live in the index's arena */
	bool sv_ok;          /* version parses as semver */
	int64_t created_s;   /* seconds since the epoch (UTC) */
	int32_t created_ns;
	char *url;           /* urls[0] or NULL */
	char *digest;        /* never NULL */
	char *json;
	size_t json_len;     /* json: the normalised object, compact (indented on output) */
	size_t seq;          /* order in the input (stable sort) */
} hver;

typedef struct hentry {
	char *name;
	hver *v;
	size_t n, cap;
	bool null;           /* "name:" with a null value */
	size_t seq;
} hentry;

/* Long-lived strings are packed into 1 MiB blocks: no per-string allocation overhead, and no
 * fragmentation by the short-lived parse trees allocated in between. */
typedef struct arena_block {
	struct arena_block *next;
	size_t used, size;
	char data[];
} arena_block;

struct helmindex {
	arena_block *arena;
	char *api_version;
	char *generated;     /* normalised time */
	char *public_keys;   /* JSON text (depth 1) or NULL */
	char *annotations;   /* JSON text (depth 1) or NULL */
	hentry *e;
	size_t n, cap;
	size_t nversions;
	size_t mem;
};

static char *arena_dup(helmindex *ix, const char *p, size_t n)
{
	arena_block *b = ix->arena;
	if (!b || b->size - b->used < n + 1) {
		size_t size = n + 1 > (1u << 20) ? n + 1 : (1u << 20);
		b = xmalloc(sizeof *b + size);
		b->size = size;
		b->used = 0;
		b->next = ix->arena;
		ix->arena = b;
		ix->mem += sizeof *b + size;
	}
	char *d = b->data + b->used;
	memcpy(d, p, n);
	d[n] = 0;
	b->used += n + 1;
	return d;
}

static char *arena_str(helmindex *ix, const char *s)
{
	return arena_dup(ix, s, strlen(s));
}

/* ---------------------------------------------------------------- Go's JSON printing */

/* A string as Go's encoding/json writes it (HTML-safe escaping, invalid UTF-8 as U+FFFD). */
static void put_str(buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	buf_addc(b, '"');
	while (*p) {
		/* the run of bytes that need no escaping */
		const unsigned char *q = p;
		while (*q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\' && *q != '<' &&
		       *q != '>' && *q != '&')
			q++;
		if (q > p) {
			buf_add(b, p, (size_t)(q - p));
			p = q;
			continue;
		}
		unsigned c = *p;
		if (c < 0x80) {
			if (c == '"' || c == '\\') {
				char esc[2] = {'\\', (char)c};
				buf_add(b, esc, 2);
			} else if (c == '\n') {
				buf_add(b, "\\n", 2);
			} else if (c == '\r') {
				buf_add(b, "\\r", 2);
			} else if (c == '\t') {
				buf_add(b, "\\t", 2);
			} else {
				char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
				buf_add(b, u, 6);
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
			if (obj) {
				put_str(b, items[i]->string);
				buf_addc(b, ':');
			}
			put_any(b, items[i], depth + 1);
			if (i + 1 < n)
				buf_addc(b, ',');
		}
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
	put_str(o->b, k);
	buf_addc(o->b, ':');
}

/* string `json:"k,omitempty"` (always: print "" when absent) */
static void f_str(obj_out *o, const cJSON *v, const char *k, bool always)
{
	const char *s = text_of(v);
	if (!always && (!s || !*s))
		return;
	field(o, k);
	put_str(o->b, s ? s : "");
}

static void f_bool(obj_out *o, const cJSON *v, const char *k)
{
	const char *s = text_of(v);
	if (!s || strcmp(s, "true"))
		return;
	field(o, k);
	buf_adds(o->b, "true");
}

/* []string; with always, a missing list prints null (no omitempty) */
static void f_strs(obj_out *o, const cJSON *v, const char *k, bool always)
{
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
		const char *s = text_of(it);
		put_str(o->b, s ? s : "");
		if (++i < n)
			buf_addc(o->b, ',');
	}
	buf_addc(o->b, ']');
}

/* map[string]string, keys sorted */
static void f_strmap(obj_out *o, const cJSON *v, const char *k)
{
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
static void f_structs(obj_out *o, const cJSON *v, const char *k, sub_fn fn)
{
	size_t n = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 0;
	if (!n)
		return;
	field(o, k);
	buf_addc(o->b, '[');
	size_t i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, v) {
		if (cJSON_IsObject(it)) {
			obj_out so = {o->b, o->depth + 2, true};
			buf_addc(o->b, '{');
			fn(&so, it);
			buf_addc(o->b, '}');
		} else {
			buf_adds(o->b, "null");
		}
		if (++i < n)
			buf_addc(o->b, ',');
	}
	buf_addc(o->b, ']');
}

#define GET(o, k) cJSON_GetObjectItemCaseSensitive(o, k)

static void maintainer(obj_out *o, const cJSON *m)
{
	f_str(o, GET(m, "name"), "name", false);
	f_str(o, GET(m, "email"), "email", false);
	f_str(o, GET(m, "url"), "url", false);
}

static void dependency(obj_out *o, const cJSON *d)
{
	f_str(o, GET(d, "name"), "name", true);
	f_str(o, GET(d, "version"), "version", false);
	f_str(o, GET(d, "repository"), "repository", true);
	f_str(o, GET(d, "condition"), "condition", false);
	f_strs(o, GET(d, "tags"), "tags", false);
	f_bool(o, GET(d, "enabled"), "enabled");
	const cJSON *iv = cJSON_GetObjectItemCaseSensitive(d, "import-values");
	if (cJSON_IsArray(iv) && cJSON_GetArraySize(iv)) {
		field(o, "import-values");
		put_any(o->b, iv, o->depth + 1);
	}
	f_str(o, GET(d, "alias"), "alias", false);
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
	buf scratch;         /* one version's JSON, before it is copied into the arena */
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
	/* only these first bytes can start a null or a bool */
	unsigned char c0 = ev->data.scalar.value[0];
	if (c0 && !strchr("~nNtTfF", c0))
		return cJSON_CreateString((const char *)ev->data.scalar.value);
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
	free(en->v);
}

void helmindex_free(helmindex *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->n; i++)
		entry_release(&ix->e[i]);
	free(ix->e);
	while (ix->arena) {
		arena_block *b = ix->arena;
		ix->arena = b->next;
		free(b);
	}
	free(ix->api_version);
	free(ix->generated);
	free(ix->public_keys);
	free(ix->annotations);
	free(ix);
}

size_t helmindex_entries(const helmindex *ix) { return ix->n; }
size_t helmindex_versions(const helmindex *ix) { return ix->nversions; }
size_t helmindex_mem(const helmindex *ix) { return ix->mem; }

/* The fields of Helm's ChartVersion in Go's JSON order (chart.Metadata, then its own). */
enum {
	F_NAME, F_HOME, F_SOURCES, F_VERSION, F_DESCRIPTION, F_KEYWORDS, F_MAINTAINERS, F_ICON,
	F_APIVERSION, F_CONDITION, F_TAGS, F_APPVERSION, F_DEPRECATED, F_ANNOTATIONS,
	F_KUBEVERSION, F_DEPENDENCIES, F_TYPE, F_URLS, F_CREATED, F_REMOVED, F_DIGEST,
	F_CHECKSUM, F_ENGINE, F_TILLERVERSION, F_URL, F_N
};

typedef struct field_name {
	const char *name;
	int id;
} field_name;

static const field_name FIELDS[] = { /* sorted by name */
	{"annotations", F_ANNOTATIONS}, {"apiVersion", F_APIVERSION}, {"appVersion", F_APPVERSION},
	{"checksum", F_CHECKSUM}, {"condition", F_CONDITION}, {"created", F_CREATED},
	{"dependencies", F_DEPENDENCIES}, {"deprecated", F_DEPRECATED},
	{"description", F_DESCRIPTION}, {"digest", F_DIGEST}, {"engine", F_ENGINE},
	{"home", F_HOME}, {"icon", F_ICON}, {"keywords", F_KEYWORDS},
	{"kubeVersion", F_KUBEVERSION}, {"maintainers", F_MAINTAINERS}, {"name", F_NAME},
	{"removed", F_REMOVED}, {"sources", F_SOURCES}, {"tags", F_TAGS},
	{"tillerVersion", F_TILLERVERSION}, {"type", F_TYPE}, {"url", F_URL}, {"urls", F_URLS},
	{"version", F_VERSION},
};

static int cmp_field(const void *k, const void *f)
{
	return strcmp(k, *(const char *const *)f);
}

/* The known fields of cv, looked up once (the last of a repeated key wins). */
static void fields_of(const cJSON *cv, const cJSON *f[F_N])
{
	memset(f, 0, F_N * sizeof *f);
	const cJSON *it;
	cJSON_ArrayForEach(it, cv) {
		const void *hit = bsearch(it->string, FIELDS, sizeof FIELDS / sizeof *FIELDS,
			sizeof *FIELDS, cmp_field);
		if (hit)
			f[((const field_name *)hit)->id] = it;
	}
}

/* The normalised object of one chart version (Helm's ChartVersion JSON field order). */
static void version_json(buf *b, const cJSON *const f[F_N], const char *created)
{
	obj_out o = {b, 3, true};
	buf_addc(b, '{');
	f_str(&o, f[F_NAME], "name", false);
	f_str(&o, f[F_HOME], "home", false);
	f_strs(&o, f[F_SOURCES], "sources", false);
	f_str(&o, f[F_VERSION], "version", false);
	f_str(&o, f[F_DESCRIPTION], "description", false);
	f_strs(&o, f[F_KEYWORDS], "keywords", false);
	f_structs(&o, f[F_MAINTAINERS], "maintainers", maintainer);
	f_str(&o, f[F_ICON], "icon", false);
	const char *api = text_of(f[F_APIVERSION]);
	field(&o, "apiVersion");
	put_str(b, api && *api ? api : "v1");
	f_str(&o, f[F_CONDITION], "condition", false);
	f_str(&o, f[F_TAGS], "tags", false);
	f_str(&o, f[F_APPVERSION], "appVersion", false);
	f_bool(&o, f[F_DEPRECATED], "deprecated");
	f_strmap(&o, f[F_ANNOTATIONS], "annotations");
	f_str(&o, f[F_KUBEVERSION], "kubeVersion", false);
	f_structs(&o, f[F_DEPENDENCIES], "dependencies", dependency);
	f_str(&o, f[F_TYPE], "type", false);
	f_strs(&o, f[F_URLS], "urls", true);
	field(&o, "created");
	put_str(b, created);
	f_bool(&o, f[F_REMOVED], "removed");
	f_str(&o, f[F_DIGEST], "digest", false);
	f_str(&o, f[F_CHECKSUM], "checksum", false);
	f_str(&o, f[F_ENGINE], "engine", false);
	f_str(&o, f[F_TILLERVERSION], "tillerVersion", false);
	f_str(&o, f[F_URL], "url", false);
	buf_addc(b, '}');
}

/* A chart version's semver, build metadata dropped (not part of precedence). */
static bool parse_semver(const char *ver, semver *sv)
{
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s", ver);
	tmp[strcspn(tmp, "+")] = 0;
	return semver_parse(tmp, sv, NULL) == 0;
}

/* Helm's ChartVersion.Validate, as far as it decides whether IndexFromBytes keeps a version. */
static bool valid_version(const cJSON *const f[F_N], bool *sv_ok)
{
	const char *name = text_of(f[F_NAME]);
	const char *ver = text_of(f[F_VERSION]);
	const char *type = text_of(f[F_TYPE]);
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	if (!ver || !*ver)
		return false;
	semver sv;
	*sv_ok = parse_semver(ver, &sv);
	if (!*sv_ok)
		return false;
	if (type && *type && strcmp(type, "application") && strcmp(type, "library"))
		return false;
	return true;
}

static int add_version(helmindex *ix, hentry *en, cJSON *cv, reader *r)
{
	if (cJSON_IsNull(cv))
		return 0; /* a nil entry: skipped, as Helm does */
	if (!cJSON_IsObject(cv))
		return err_fail(r->e, REASON, JSON_ERR "json: "
			"cannot unmarshal %s into Go value of type repo.ChartVersion",
			cJSON_IsArray(cv) ? "array" : "string");
	const cJSON *f[F_N];
	fields_of(cv, f);
	bool sv_ok = false;
	if (!valid_version(f, &sv_ok))
		return 0;
	if (ix->nversions >= r->lim->max_versions)
		return err_fail(r->e, REASON, "index has more than %zu chart versions",
			r->lim->max_versions);
	const char *cr = text_of(f[F_CREATED]);
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
	v->version = arena_str(ix, text_of(f[F_VERSION]));
	v->sv_ok = sv_ok;
	v->created_s = secs;
	v->created_ns = ns;
	const cJSON *urls = f[F_URLS];
	const char *u0 = cJSON_IsArray(urls) ? text_of(cJSON_GetArrayItem(urls, 0)) : NULL;
	v->url = u0 ? arena_str(ix, u0) : NULL;
	const char *dg = text_of(f[F_DIGEST]);
	v->digest = arena_str(ix, dg ? dg : "");
	buf_reset(&r->scratch);
	version_json(&r->scratch, f, created);
	v->json = arena_dup(ix, r->scratch.data, r->scratch.len);
	v->json_len = r->scratch.len;
	v->seq = en->n;
	ix->nversions++;
	ix->mem += sizeof *v;
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
	en->name = arena_str(ix, name);
	en->seq = ix->n++;
	ix->mem += sizeof *en;
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

typedef struct sortv {
	semver sv;
	hver v;
} sortv;

/* Highest version first; among equal (or unparsable) versions, input order. */
static int cmp_ver(const void *a, const void *b)
{
	const sortv *x = a, *y = b;
	if (x->v.sv_ok && y->v.sv_ok) {
		int c = semver_cmp(&x->sv, &y->sv);
		if (c)
			return -c;
	} else if (x->v.sv_ok != y->v.sv_ok) {
		return x->v.sv_ok ? -1 : 1;
	}
	return x->v.seq < y->v.seq ? -1 : x->v.seq > y->v.seq;
}

static void sort_versions(hentry *en)
{
	if (en->n < 2)
		return;
	sortv *t = xcalloc(en->n, sizeof *t);
	for (size_t i = 0; i < en->n; i++) {
		t[i].v = en->v[i];
		if (t[i].v.sv_ok)
			t[i].v.sv_ok = parse_semver(t[i].v.version, &t[i].sv);
	}
	qsort(t, en->n, sizeof *t, cmp_ver);
	for (size_t i = 0; i < en->n; i++)
		en->v[i] = t[i].v;
	free(t);
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
	for (size_t i = 0; i < ix->n; i++) {
		hentry *en = &ix->e[i];
		sort_versions(en);
		if (en->cap > en->n && en->n) {
			en->v = xrealloc(en->v, en->n * sizeof *en->v);
			en->cap = en->n;
		}
	}
	if (ix->cap > ix->n && ix->n) {
		ix->e = xrealloc(ix->e, ix->n * sizeof *ix->e);
		ix->cap = ix->n;
	}
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
	buf_init(&r.scratch, OUT_CAP);
	yaml_parser_initialize(&r.p);
	yaml_parser_set_input_string(&r.p, (const unsigned char *)data, len);
	helmindex *ix = parse(&r);
	yaml_parser_delete(&r.p);
	buf_release(&r.scratch);
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
	buf_init(&r.scratch, OUT_CAP);
	yaml_parser_initialize(&r.p);
	yaml_parser_set_input(&r.p, read_file_cb, &r);
	helmindex *ix = parse(&r);
	yaml_parser_delete(&r.p);
	buf_release(&r.scratch);
	fclose(f);
	return ix;
}

/* ---------------------------------------------------------------- output */

typedef int (*sink_fn)(void *ud, const char *p, size_t n);

/* Compact JSON in, Go's json.Indent(dst, src, "", "  ") out, in pieces: the state carries over
 * between calls, the output goes to sink each time it passes 1 MiB. */
typedef struct indenter {
	buf out;
	int depth;
	bool str, esc;
	char open;        /* a '{' or '[' whose next byte decides between "{}" and a new line */
	sink_fn sink;
	void *ud;
	int rc;
} indenter;

static void newline(indenter *in, int depth)
{
	static const char spaces[] = "                                ";
	buf_addc(&in->out, '\n');
	for (int n = depth * 2; n > 0; n -= 32)
		buf_add(&in->out, spaces, n > 32 ? 32 : (size_t)n);
}

static void feed(indenter *in, const char *p, size_t n)
{
	const char *end = p + n;
	while (p < end && in->rc == 0) {
		if (in->open) {
			char o = in->open;
			in->open = 0;
			if ((o == '{' && *p == '}') || (o == '[' && *p == ']')) {
				buf_addc(&in->out, *p++);
				in->depth--;
				continue;
			}
			newline(in, in->depth);
		}
		if (in->str) {
			const char *q = p;
			while (q < end && (in->esc || (*q != '"' && *q != '\\'))) {
				in->esc = false;
				q++;
			}
			buf_add(&in->out, p, (size_t)(q - p));
			p = q;
			if (p < end) {
				if (*p == '\\')
					in->esc = true;
				else
					in->str = false;
				buf_addc(&in->out, *p++);
			}
			continue;
		}
		char c = *p++;
		switch (c) {
		case '"':
			in->str = true;
			buf_addc(&in->out, c);
			break;
		case '{':
		case '[':
			buf_addc(&in->out, c);
			in->depth++;
			in->open = c;
			break;
		case '}':
		case ']':
			newline(in, --in->depth);
			buf_addc(&in->out, c);
			break;
		case ',':
			buf_addc(&in->out, c);
			newline(in, in->depth);
			break;
		case ':':
			buf_add(&in->out, ": ", 2);
			break;
		default:
			buf_addc(&in->out, c);
		}
	}
	if (in->rc == 0 && in->out.len > 1 << 20) {
		in->rc = in->sink(in->ud, in->out.data, in->out.len);
		buf_reset(&in->out);
	}
}

static void feeds(indenter *in, const char *s)
{
	feed(in, s, strlen(s));
}

static void feed_str(indenter *in, buf *tmp, const char *s)
{
	buf_reset(tmp);
	put_str(tmp, s);
	feed(in, tmp->data, tmp->len);
}

static int write_index(const helmindex *ix, sink_fn sink, void *ud)
{
	indenter in = {.sink = sink, .ud = ud};
	buf_init(&in.out, OUT_CAP);
	buf tmp;
	buf_init(&tmp, OUT_CAP);
	feeds(&in, "{\"apiVersion\":");
	feed_str(&in, &tmp, ix->api_version);
	feeds(&in, ",\"generated\":");
	feed_str(&in, &tmp, ix->generated);
	feeds(&in, ",\"entries\":{");
	for (size_t i = 0; i < ix->n; i++) {
		const hentry *en = &ix->e[i];
		if (i)
			feeds(&in, ",");
		feed_str(&in, &tmp, en->name);
		feeds(&in, en->null && !en->n ? ":null" : ":[");
		for (size_t j = 0; j < en->n; j++) {
			if (j)
				feeds(&in, ",");
			feed(&in, en->v[j].json, en->v[j].json_len);
		}
		if (!en->null || en->n)
			feeds(&in, "]");
	}
	feeds(&in, "}");
	if (ix->public_keys) {
		feeds(&in, ",\"publicKeys\":");
		feeds(&in, ix->public_keys);
	}
	if (ix->annotations) {
		feeds(&in, ",\"annotations\":");
		feeds(&in, ix->annotations);
	}
	feeds(&in, "}");
	if (in.rc == 0 && in.out.len)
		in.rc = sink(ud, in.out.data, in.out.len);
	int rc = in.rc;
	buf_release(&in.out);
	buf_release(&tmp);
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
		semver best = {0};
		for (size_t i = 0; i < en->n; i++) {
			const hver *v = &en->v[i];
			semver sv;
			if (!v->sv_ok || !parse_semver(v->version, &sv) ||
			    !semver_range_match(rg, &sv))
				continue;
			if (!pick) {
				pick = v;
				best = sv;
				continue;
			}
			int cmp = semver_cmp(&sv, &best);
			bool later = v->created_s > pick->created_s ||
				(v->created_s == pick->created_s &&
				 v->created_ns > pick->created_ns);
			if (cmp > 0 || (cmp == 0 && later)) {
				pick = v;
				best = sv;
			}
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
