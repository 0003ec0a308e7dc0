/* Reading a kustomization file the way kustomize does: sigs.k8s.io/yaml (a go-yaml v2 fork, so
 * YAML 1.1 typing: yes/no/on/off/y/n are booleans, timestamps stay strings, the first document
 * only, a repeated key keeps its last value) turns the YAML into JSON, and encoding/json decodes
 * that into the Go type types.Kustomization with unknown fields disallowed. The decoding is
 * reproduced by a type check over a table of kustomize's Go types that reports the first error
 * in Go's order (object keys sorted, as the JSON text has them) with Go's wording, and renames
 * keys matched case-insensitively (as encoding/json matches them) to their canonical names. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "eddy/mem.h"
#include "eddy/yml.h"
#include "kz_int.h"

enum { Y11_MAX_DEPTH = 200, Y11_MAX_NODES = 1000000 };

typedef struct y11 {
	yaml_parser_t p;
	struct y11_anchor {
		char *name;
		cJSON *node;
	} *anch;
	size_t nanch, capanch;
	size_t nodes;
	err *e;
} y11;

static int y11_parser_fail(y11 *y)
{
	/* go-yaml v2's parser.fail(): the problem line (one more for scanner errors), else
	 * the context line; both 0-based marks, so the first line is never named. */
	size_t line = 0;
	if (y->p.problem_mark.line != 0) {
		line = y->p.problem_mark.line;
		if (y->p.error == YAML_SCANNER_ERROR)
			line++;
	} else if (y->p.context_mark.line != 0) {
		line = y->p.context_mark.line;
	}
	const char *msg = y->p.problem ? y->p.problem : "unknown problem parsing YAML content";
	if (line)
		return err_fail(y->e, KZ_REASON, "yaml: line %zu: %s", line, msg);
	return err_fail(y->e, KZ_REASON, "yaml: %s", msg);
}

static int y11_next(y11 *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->p, ev))
		return y11_parser_fail(y);
	return 0;
}

static int y11_count(y11 *y, size_t n)
{
	y->nodes += n;
	if (y->nodes > Y11_MAX_NODES)
		return err_fail(y->e, KZ_REASON, "yaml: document contains excessive aliasing");
	return 0;
}

static size_t tree_size(const cJSON *n)
{
	size_t s = 1;
	for (const cJSON *c = n ? n->child : NULL; c; c = c->next)
		s += tree_size(c);
	return s;
}

/* Go's encoding/json text of a float64 (strconv 'f' or 'e' with the shortest digits). */
static void go_json_float(double f, char *out, size_t outlen)
{
	double a = fabs(f);
	char tmp[64];
	int p = 0;
	for (p = 0; p < 17; p++) {
		snprintf(tmp, sizeof tmp, "%.*e", p, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		/* tmp is d.ddde+XX: Go prints e+30, e-7 (no leading zero in the exponent) */
		char *ex = strchr(tmp, 'e');
		if (!ex) {
			snprintf(out, outlen, "%s", tmp);
			return;
		}
		long x = strtol(ex + 1, NULL, 10);
		*ex = '\0';
		snprintf(out, outlen, "%.30se%c%ld", tmp, x < 0 ? '-' : '+', labs(x));
		return;
	}
	/* 'f' with the shortest digits: p+1 significant digits */
	char *ex = strchr(tmp, 'e');
	long x = ex ? strtol(ex + 1, NULL, 10) : 0;
	int dec = p - (int)x;
	snprintf(out, outlen, "%.*f", dec > 0 ? dec : 0, f);
}

static bool all_digits(const char *s, int base)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		int d = (*s >= '0' && *s <= '9') ? *s - '0' :
			(*s >= 'a' && *s <= 'f') ? *s - 'a' + 10 :
			(*s >= 'A' && *s <= 'F') ? *s - 'A' + 10 : 99;
		if (d >= base)
			return false;
	}
	return true;
}

/* strconv.ParseInt/ParseUint(s, 0, 64) on text without underscores. 1 int64, 2 uint64. */
static int go_parse_int(const char *s, int64_t *iv, uint64_t *uv)
{
	bool neg = false;
	const char *p = s;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
		base = 8;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
	} else if (p[0] == '0' && p[1]) {
		base = 8;
		p += 1;
	}
	if (!all_digits(p, base))
		return 0;
	uint64_t v = 0;
	for (; *p; p++) {
		int d = (*p >= '0' && *p <= '9') ? *p - '0' : ((*p | 32) - 'a' + 10);
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return 0;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return 0;
		*iv = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		return 1;
	}
	if (v <= (uint64_t)INT64_MAX) {
		*iv = (int64_t)v;
		return 1;
	}
	*uv = v;
	return 2;
}

/* go-yaml v2's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	} else {
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
		if (*s == '.') {
			s++;
			while (*s >= '0' && *s <= '9')
				s++;
		}
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static cJSON *float_node(double f)
{
	char t[64];
	cJSON *n = cJSON_CreateNumber(f);
	if (isinf(f) || isnan(f))
		snprintf(t, sizeof t, "%s", isnan(f) ? ".nan" : f > 0 ? ".inf" : "-.inf");
	else
		go_json_float(f, t, sizeof t);
	n->valuestring = xstrdup(t);
	return n;
}

static bool in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (!strcmp(s, *l))
			return true;
	return false;
}

/* go-yaml v2 resolve() of a plain scalar, then what sigs.k8s.io/yaml makes of it in JSON. */
static cJSON *resolve11(const char *s)
{
	static const char *const trues[] = {"y", "Y", "yes", "Yes", "YES", "true", "True",
					    "TRUE", "on", "On", "ON", NULL};
	static const char *const falses[] = {"n", "N", "no", "No", "NO", "false", "False",
					     "FALSE", "off", "Off", "OFF", NULL};
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
	static const char *const infs[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
					   NULL};
	static const char *const ninfs[] = {"-.inf", "-.Inf", "-.INF", NULL};
	if (in_list(s, trues))
		return cJSON_CreateTrue();
	if (in_list(s, falses))
		return cJSON_CreateFalse();
	if (in_list(s, nulls))
		return cJSON_CreateNull();
	if (in_list(s, nans))
		return float_node(NAN);
	if (in_list(s, infs))
		return float_node(INFINITY);
	if (in_list(s, ninfs))
		return float_node(-INFINITY);
	char c = s[0];
	if (c == '.') {
		if (yaml_style_float(s))
			return float_node(strtod(s, NULL));
		return NULL;
	}
	if (!((c >= '0' && c <= '9') || c == '+' || c == '-'))
		return NULL;
	size_t l = strlen(s);
	char *plain = xmalloc(l + 1);
	size_t j = 0;
	for (size_t i = 0; i < l; i++)
		if (s[i] != '_')
			plain[j++] = s[i];
	plain[j] = '\0';
	cJSON *n = NULL;
	int64_t iv = 0;
	uint64_t uv = 0;
	int r = go_parse_int(plain, &iv, &uv);
	if (r == 1) {
		n = yml_int_new(iv);
	} else if (r == 2) {
		char t[32];
		snprintf(t, sizeof t, "%llu", (unsigned long long)uv);
		n = cJSON_CreateNumber((double)uv);
		n->valuestring = xstrdup(t);
	} else if (yaml_style_float(plain)) {
		n = float_node(strtod(plain, NULL));
	} else if (!strncmp(plain, "0b", 2) || !strncmp(plain, "-0b", 3)) {
		bool neg = plain[0] == '-';
		const char *d = plain + (neg ? 3 : 2);
		if (all_digits(d, 2) && strlen(d) < 63) {
			int64_t v = (int64_t)strtoll(d, NULL, 2);
			n = yml_int_new(neg ? -v : v);
		}
	}
	free(plain);
	return n;
}

static cJSON *scalar11(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (tag && strcmp(tag, "!") != 0) {
		static const char *const resolvable[] = {
			"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
			"tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp", NULL};
		if (!in_list(tag, resolvable))
			return cJSON_CreateString(v);
		plain = true;
	}
	if (!plain)
		return cJSON_CreateString(v);
	cJSON *n = resolve11(v);
	return n ? n : cJSON_CreateString(v);
}

/* sigs.k8s.io/yaml's text for a non-string key; NULL if it cannot be one. */
static char *key11(const cJSON *k)
{
	if (cJSON_IsString(k))
		return xstrdup(k->valuestring);
	if (cJSON_IsBool(k))
		return xstrdup(cJSON_IsTrue(k) ? "true" : "false");
	if (cJSON_IsNumber(k)) {
		double d = k->valuedouble;
		if (k->valuestring && !strchr(k->valuestring, '.') && !strchr(k->valuestring, 'e') &&
		    !strchr(k->valuestring, 'n'))
			return xstrdup(k->valuestring);
		if (isnan(d))
			return xstrdup(".nan");
		if (isinf(d))
			return xstrdup(d > 0 ? ".inf" : "-.inf");
		/* strconv.FormatFloat(f, 'g', -1, 32) */
		float f = (float)d;
		char t[64];
		for (int p = 1; p <= 9; p++) {
			snprintf(t, sizeof t, "%.*g", p, (double)f);
			if ((float)strtod(t, NULL) == f)
				break;
		}
		char *ex = strchr(t, 'e');
		if (ex) {
			long x = strtol(ex + 1, NULL, 10);
			*ex = '\0';
			char o[80];
			snprintf(o, sizeof o, "%.30se%c%02ld", t, x < 0 ? '-' : '+', labs(x));
			return xstrdup(o);
		}
		return xstrdup(t);
	}
	return NULL;
}

static void y11_anchor(y11 *y, const yaml_char_t *name, const cJSON *node)
{
	if (!name)
		return;
	for (size_t i = 0; i < y->nanch; i++)
		if (!strcmp(y->anch[i].name, (const char *)name)) {
			cJSON_Delete(y->anch[i].node);
			y->anch[i].node = cJSON_Duplicate(node, true);
			return;
		}
	if (y->nanch == y->capanch) {
		y->capanch = y->capanch ? 2 * y->capanch : 8;
		y->anch = xrealloc(y->anch, y->capanch * sizeof *y->anch);
	}
	y->anch[y->nanch].name = xstrdup((const char *)name);
	y->anch[y->nanch].node = cJSON_Duplicate(node, true);
	y->nanch++;
}

static cJSON *y11_node(y11 *y, yaml_event_t *ev, unsigned depth);

/* Set key in obj, replacing an earlier value (a Go map keeps the last one). */
static void set_key(cJSON *obj, const char *key, cJSON *val)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, val);
	else
		cJSON_AddItemToObject(obj, key, val);
}

static void merge_into(cJSON *obj, const cJSON *src)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, src)
		set_key(obj, it->string, cJSON_Duplicate(it, true));
}

static cJSON *y11_mapping(y11 *y, unsigned depth)
{
	cJSON *obj = cJSON_CreateObject();
	for (;;) {
		yaml_event_t kev;
		if (y11_next(y, &kev) < 0)
			goto fail;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			return obj;
		}
		bool merge = kev.type == YAML_SCALAR_EVENT &&
			     kev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			     !strcmp((const char *)kev.data.scalar.value, "<<");
		cJSON *k = y11_node(y, &kev, depth + 1);
		yaml_event_delete(&kev);
		if (!k)
			goto fail;
		yaml_event_t vev;
		if (y11_next(y, &vev) < 0) {
			cJSON_Delete(k);
			goto fail;
		}
		cJSON *v = y11_node(y, &vev, depth + 1);
		yaml_event_delete(&vev);
		if (!v) {
			cJSON_Delete(k);
			goto fail;
		}
		if (merge) {
			cJSON_Delete(k);
			bool ok = cJSON_IsObject(v);
			if (cJSON_IsArray(v)) {
				ok = true;
				const cJSON *m;
				cJSON_ArrayForEach(m, v)
					ok = ok && cJSON_IsObject(m);
				/* earlier maps of the list win: apply from the last */
				for (int i = cJSON_GetArraySize(v) - 1; ok && i >= 0; i--)
					merge_into(obj, cJSON_GetArrayItem(v, i));
			} else if (ok) {
				merge_into(obj, v);
			}
			cJSON_Delete(v);
			if (!ok) {
				err_fail(y->e, KZ_REASON, "yaml: map merge requires map or sequence "
					 "of maps as the value");
				goto fail;
			}
			continue;
		}
		char *ks = key11(k);
		cJSON_Delete(k);
		if (!ks) {
			cJSON_Delete(v);
			err_fail(y->e, KZ_REASON, "error converting YAML to JSON: unsupported map "
				 "key");
			goto fail;
		}
		set_key(obj, ks, v);
		free(ks);
	}
fail:
	cJSON_Delete(obj);
	return NULL;
}

static cJSON *y11_node(y11 *y, yaml_event_t *ev, unsigned depth)
{
	if (depth > Y11_MAX_DEPTH) {
		err_fail(y->e, KZ_REASON, "yaml: exceeded max depth of %d", Y11_MAX_DEPTH);
		return NULL;
	}
	if (y11_count(y, 1) < 0)
		return NULL;
	cJSON *n = NULL;
	const yaml_char_t *anchor = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		n = scalar11(ev);
		break;
	case YAML_ALIAS_EVENT:
		for (size_t i = y->nanch; i-- > 0;)
			if (!strcmp(y->anch[i].name, (const char *)ev->data.alias.anchor)) {
				if (y11_count(y, tree_size(y->anch[i].node)) < 0)
					return NULL;
				return cJSON_Duplicate(y->anch[i].node, true);
			}
		err_fail(y->e, KZ_REASON, "yaml: unknown anchor '%s' referenced",
			 (const char *)ev->data.alias.anchor);
		return NULL;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		n = cJSON_CreateArray();
		for (;;) {
			yaml_event_t c;
			if (y11_next(y, &c) < 0) {
				cJSON_Delete(n);
				return NULL;
			}
			if (c.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&c);
				break;
			}
			cJSON *item = y11_node(y, &c, depth + 1);
			yaml_event_delete(&c);
			if (!item) {
				cJSON_Delete(n);
				return NULL;
			}
			cJSON_AddItemToArray(n, item);
		}
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		n = y11_mapping(y, depth);
		if (!n)
			return NULL;
		break;
	default:
		err_fail(y->e, KZ_REASON, "yaml: unexpected event");
		return NULL;
	}
	y11_anchor(y, anchor, n);
	return n;
}

cJSON *kz_kfile_parse(const char *data, size_t len, bool *empty, err *e)
{
	y11 y;
	memset(&y, 0, sizeof y);
	y.e = e;
	*empty = false;
	if (!yaml_parser_initialize(&y.p)) {
		err_fail(e, KZ_REASON, "yaml: parser init failed");
		return NULL;
	}
	yaml_parser_set_input_string(&y.p, (const unsigned char *)data, len);
	cJSON *doc = NULL;
	bool done = false;
	while (!done) {
		yaml_event_t ev;
		if (y11_next(&y, &ev) < 0)
			break;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			*empty = true;
			done = true;
			break;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
			break;
		default:
			/* the first document's root node; v2 reads no further */
			doc = y11_node(&y, &ev, 0);
			done = true;
			break;
		}
		yaml_event_delete(&ev);
	}
	for (size_t i = 0; i < y.nanch; i++) {
		free(y.anch[i].name);
		cJSON_Delete(y.anch[i].node);
	}
	free(y.anch);
	yaml_parser_delete(&y.p);
	if (doc && cJSON_IsNull(doc)) {
		cJSON_Delete(doc);
		doc = NULL;
		*empty = true;
	}
	return doc;
}

/* ---- the Go types of a Kustomization ---- */

enum gk { G_STR, G_BOOL, G_I64, G_INT, G_LIST, G_MAP, G_STRUCT, G_ANY };

typedef struct gfield gfield;
typedef struct gtype {
	enum gk k;
	const char *name;      /* Go type name as encoding/json prints it */
	const struct gtype *elem;
	const gfield *fields;  /* G_STRUCT, NULL-terminated by json == NULL */
} gtype;
struct gfield {
	const char *json;
	const char *embed;     /* embedded structs on the way, "GeneratorArgs.KvPairSources." */
	const gtype *t;
};

static const gtype T_STR = {G_STR, "string", NULL, NULL};
static const gtype T_PSM = {G_STR, "types.PatchStrategicMerge", NULL, NULL};
static const gtype T_BOOL = {G_BOOL, "bool", NULL, NULL};
static const gtype T_I64 = {G_I64, "int64", NULL, NULL};
static const gtype T_INT = {G_INT, "int", NULL, NULL};
static const gtype T_ANY = {G_ANY, "interface {}", NULL, NULL};
static const gtype T_STRS = {G_LIST, "[]string", &T_STR, NULL};
static const gtype T_PSMS = {G_LIST, "[]types.PatchStrategicMerge", &T_PSM, NULL};
static const gtype T_SMAP = {G_MAP, "map[string]string", &T_STR, NULL};
static const gtype T_BMAP = {G_MAP, "map[string]bool", &T_BOOL, NULL};

#define GVK(e) {"group", e "Gvk.", &T_STR}, {"version", e "Gvk.", &T_STR}, \
	{"kind", e "Gvk.", &T_STR}

static const gfield F_META[] = {
	{"name", "", &T_STR}, {"namespace", "", &T_STR}, {"labels", "", &T_SMAP},
	{"annotations", "", &T_SMAP}, {NULL, NULL, NULL}};
static const gtype T_META = {G_STRUCT, "types.ObjectMeta", NULL, F_META};

static const gfield F_FS[] = {GVK(""), {"path", "", &T_STR}, {"create", "", &T_BOOL},
			     {NULL, NULL, NULL}};
static const gtype T_FS = {G_STRUCT, "types.FieldSpec", NULL, F_FS};
static const gtype T_FSS = {G_LIST, "[]types.FieldSpec", &T_FS, NULL};

static const gfield F_LABEL[] = {
	{"pairs", "", &T_SMAP}, {"includeSelectors", "", &T_BOOL},
	{"includeTemplates", "", &T_BOOL}, {"fields", "", &T_FSS}, {NULL, NULL, NULL}};
static const gtype T_LABEL = {G_STRUCT, "types.Label", NULL, F_LABEL};
static const gtype T_LABELS = {G_LIST, "[]types.Label", &T_LABEL, NULL};

static const gfield F_SEL[] = {
	GVK("ResId."), {"name", "ResId.", &T_STR}, {"namespace", "ResId.", &T_STR},
	{"annotationSelector", "", &T_STR}, {"labelSelector", "", &T_STR}, {NULL, NULL, NULL}};
static const gtype T_SEL = {G_STRUCT, "types.Selector", NULL, F_SEL};
static const gtype T_SELS = {G_LIST, "[]*types.Selector", &T_SEL, NULL};

static const gfield F_PATCH[] = {
	{"path", "", &T_STR}, {"patch", "", &T_STR}, {"target", "", &T_SEL},
	{"options", "", &T_BMAP}, {NULL, NULL, NULL}};
static const gtype T_PATCH = {G_STRUCT, "types.Patch", NULL, F_PATCH};
static const gtype T_PATCHES = {G_LIST, "[]types.Patch", &T_PATCH, NULL};

static const gfield F_IMAGE[] = {
	{"name", "", &T_STR}, {"newName", "", &T_STR}, {"newTag", "", &T_STR},
	{"tagSuffix", "", &T_STR}, {"digest", "", &T_STR}, {NULL, NULL, NULL}};
static const gtype T_IMAGE = {G_STRUCT, "types.Image", NULL, F_IMAGE};
static const gtype T_IMAGES = {G_LIST, "[]types.Image", &T_IMAGE, NULL};

static const gfield F_REPLICA[] = {{"name", "", &T_STR}, {"count", "", &T_I64},
				   {NULL, NULL, NULL}};
static const gtype T_REPLICA = {G_STRUCT, "types.Replica", NULL, F_REPLICA};
static const gtype T_REPLICAS = {G_LIST, "[]types.Replica", &T_REPLICA, NULL};

static const gfield F_FOPT[] = {
	{"delimiter", "", &T_STR}, {"index", "", &T_INT}, {"encoding", "", &T_STR},
	{"create", "", &T_BOOL}, {NULL, NULL, NULL}};
static const gtype T_FOPT = {G_STRUCT, "types.FieldOptions", NULL, F_FOPT};
static const gfield F_SRC[] = {
	GVK("ResId."), {"name", "ResId.", &T_STR}, {"namespace", "ResId.", &T_STR},
	{"fieldPath", "", &T_STR}, {"options", "", &T_FOPT}, {NULL, NULL, NULL}};
static const gtype T_SRC = {G_STRUCT, "types.SourceSelector", NULL, F_SRC};
static const gfield F_TGT[] = {
	{"select", "", &T_SEL}, {"reject", "", &T_SELS}, {"fieldPaths", "", &T_STRS},
	{"options", "", &T_FOPT}, {NULL, NULL, NULL}};
static const gtype T_TGT = {G_STRUCT, "types.TargetSelector", NULL, F_TGT};
static const gtype T_TGTS = {G_LIST, "[]*types.TargetSelector", &T_TGT, NULL};
static const gfield F_REPL[] = {
	{"path", "", &T_STR}, {"source", "Replacement.", &T_SRC},
	{"targets", "Replacement.", &T_TGTS}, {NULL, NULL, NULL}};
static const gtype T_REPL = {G_STRUCT, "types.ReplacementField", NULL, F_REPL};
static const gtype T_REPLS = {G_LIST, "[]types.ReplacementField", &T_REPL, NULL};

static const gfield F_TARGET[] = {
	{"apiVersion", "", &T_STR}, GVK(""), {"name", "", &T_STR}, {"namespace", "", &T_STR},
	{NULL, NULL, NULL}};
static const gtype T_TARGET = {G_STRUCT, "types.Target", NULL, F_TARGET};
static const gfield F_FSEL[] = {{"fieldPath", "", &T_STR}, {NULL, NULL, NULL}};
static const gtype T_FSEL = {G_STRUCT, "types.FieldSelector", NULL, F_FSEL};
static const gfield F_VAR[] = {
	{"name", "", &T_STR}, {"objref", "", &T_TARGET}, {"fieldref", "", &T_FSEL},
	{NULL, NULL, NULL}};
static const gtype T_VAR = {G_STRUCT, "types.Var", NULL, F_VAR};
static const gtype T_VARS = {G_LIST, "[]types.Var", &T_VAR, NULL};

static const gfield F_LSO[] = {{"orderFirst", "", &T_STRS}, {"orderLast", "", &T_STRS},
			       {NULL, NULL, NULL}};
static const gtype T_LSO = {G_STRUCT, "types.LegacySortOptions", NULL, F_LSO};
static const gfield F_SORT[] = {{"order", "", &T_STR}, {"legacySortOptions", "", &T_LSO},
				{NULL, NULL, NULL}};
static const gtype T_SORT = {G_STRUCT, "types.SortOptions", NULL, F_SORT};

static const gfield F_GOPT[] = {
	{"labels", "", &T_SMAP}, {"annotations", "", &T_SMAP},
	{"disableNameSuffixHash", "", &T_BOOL}, {"immutable", "", &T_BOOL}, {NULL, NULL, NULL}};
static const gtype T_GOPT = {G_STRUCT, "types.GeneratorOptions", NULL, F_GOPT};

#define GENARGS \
	{"namespace", "GeneratorArgs.", &T_STR}, {"name", "GeneratorArgs.", &T_STR}, \
	{"behavior", "GeneratorArgs.", &T_STR}, \
	{"literals", "GeneratorArgs.KvPairSources.", &T_STRS}, \
	{"files", "GeneratorArgs.KvPairSources.", &T_STRS}, \
	{"envs", "GeneratorArgs.KvPairSources.", &T_STRS}, \
	{"env", "GeneratorArgs.KvPairSources.", &T_STR}, \
	{"options", "GeneratorArgs.", &T_GOPT}
static const gfield F_CMARGS[] = {GENARGS, {NULL, NULL, NULL}};
static const gtype T_CMARGS = {G_STRUCT, "types.ConfigMapArgs", NULL, F_CMARGS};
static const gtype T_CMARGSS = {G_LIST, "[]types.ConfigMapArgs", &T_CMARGS, NULL};
static const gfield F_SECARGS[] = {GENARGS, {"type", "", &T_STR}, {NULL, NULL, NULL}};
static const gtype T_SECARGS = {G_STRUCT, "types.SecretArgs", NULL, F_SECARGS};
static const gtype T_SECARGSS = {G_LIST, "[]types.SecretArgs", &T_SECARGS, NULL};

static const gfield F_KUST[] = {
	{"apiVersion", "TypeMeta.", &T_STR}, {"kind", "TypeMeta.", &T_STR},
	{"metadata", "", &T_META}, {"openapi", "", &T_SMAP}, {"namePrefix", "", &T_STR},
	{"nameSuffix", "", &T_STR}, {"namespace", "", &T_STR}, {"commonLabels", "", &T_SMAP},
	{"labels", "", &T_LABELS}, {"commonAnnotations", "", &T_SMAP},
	{"patchesStrategicMerge", "", &T_PSMS}, {"patchesJson6902", "", &T_PATCHES},
	{"patches", "", &T_PATCHES}, {"images", "", &T_IMAGES}, {"imageTags", "", &T_IMAGES},
	{"replacements", "", &T_REPLS}, {"replicas", "", &T_REPLICAS}, {"vars", "", &T_VARS},
	{"sortOptions", "", &T_SORT}, {"resources", "", &T_STRS}, {"components", "", &T_STRS},
	{"crds", "", &T_STRS}, {"bases", "", &T_STRS},
	{"configMapGenerator", "", &T_CMARGSS}, {"secretGenerator", "", &T_SECARGSS},
	{"helmGlobals", "", &T_ANY}, {"helmCharts", "", &T_ANY},
	{"helmChartInflationGenerator", "", &T_ANY}, {"generatorOptions", "", &T_GOPT},
	{"configurations", "", &T_STRS}, {"generators", "", &T_STRS},
	{"transformers", "", &T_STRS}, {"validators", "", &T_STRS},
	{"buildMetadata", "", &T_STRS}, {NULL, NULL, NULL}};
static const gtype T_KUST = {G_STRUCT, "types.Kustomization", NULL, F_KUST};

static const char *json_kind(const cJSON *v)
{
	if (cJSON_IsNumber(v))
		return "number";
	if (cJSON_IsBool(v))
		return "bool";
	if (cJSON_IsArray(v))
		return "array";
	if (cJSON_IsObject(v))
		return "object";
	return "string";
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

typedef struct gctx {
	const char *sname; /* Go struct being decoded ("Kustomization") */
	char path[512];    /* dotted field path from the top */
} gctx;

static int type_error(const gctx *g, const cJSON *v, const gtype *t, bool with_value, err *e)
{
	char val[80] = "";
	if (with_value)
		snprintf(val, sizeof val, " %s", v->valuestring ? v->valuestring : "");
	if (!g->sname)
		return err_fail(e, KZ_REASON, "json: cannot unmarshal %s%s into Go value of type %s",
				json_kind(v), val, t->name);
	return err_fail(e, KZ_REASON, "json: cannot unmarshal %s%s into Go struct field %s.%s of "
			"type %s", json_kind(v), val, g->sname, g->path, t->name);
}

static int gcheck(const gctx *g, cJSON *v, const gtype *t, err *e);

/* The field of t that key matches: exactly if one does, else case-insensitively, as
 * encoding/json picks it. NULL if none. */
static const gfield *field_for_key(const gtype *t, const char *key)
{
	for (const gfield *x = t->fields; x->json; x++)
		if (!strcmp(x->json, key))
			return x;
	for (const gfield *x = t->fields; x->json; x++)
		if (!strcasecmp(x->json, key))
			return x;
	return NULL;
}

/* What a field of type t holds after encoding/json decodes val into it while it holds acc
 * (either may be NULL); takes both. Go merges an object into a struct or a map it decodes into
 * (map elements are replaced whole); null leaves a string, bool or number as it was and sets a
 * list, map or struct pointer (kustomize's struct fields are pointers) to nil. */
static cJSON *decode_over(cJSON *acc, cJSON *val, const gtype *t)
{
	if (!val)
		return acc;
	bool scalar = t->k == G_STR || t->k == G_BOOL || t->k == G_INT || t->k == G_I64;
	if (cJSON_IsNull(val) && scalar && acc) {
		cJSON_Delete(val);
		return acc;
	}
	bool merges = t->k == G_STRUCT || t->k == G_MAP;
	if (!merges || !cJSON_IsObject(acc) || !cJSON_IsObject(val)) {
		cJSON_Delete(acc);
		return val;
	}
	cJSON *c;
	while ((c = val->child)) {
		cJSON_DetachItemViaPointer(val, c);
		cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(acc, c->string);
		const gfield *f = t->k == G_STRUCT ? field_for_key(t, c->string) : NULL;
		char *name = xstrdup(c->string);
		cJSON *v = f ? decode_over(old, c, f->t) : (cJSON_Delete(old), c);
		cJSON_AddItemToObject(acc, name, v);
		free(name);
	}
	cJSON_Delete(val);
	return acc;
}

/* Several keys can name one field ("resources", "resourCes"). They are decoded into it in
 * sorted order (the order of sigs.k8s.io/yaml's JSON), so the result is what Go's struct holds;
 * it stays under the field's own name, and a field that ends null is dropped (its zero value). */
static void fold_field(cJSON *v, cJSON **keys, const gfield **fields, int n, const gfield *f)
{
	int m = 0, at = -1;
	for (int i = 0; i < n; i++)
		if (fields[i] == f) {
			m++;
			at = i;
		}
	if (m == 0 || (m == 1 && !strcmp(keys[at]->string, f->json) && !cJSON_IsNull(keys[at])))
		return;
	cJSON *acc = NULL;
	for (int i = 0; i < n; i++)
		if (fields[i] == f)
			acc = decode_over(acc, cJSON_DetachItemViaPointer(v, keys[i]), f->t);
	if (acc && !cJSON_IsNull(acc))
		cJSON_AddItemToObject(v, f->json, acc);
	else
		cJSON_Delete(acc);
}

/* Every key is checked before any is detached: freeing a key while the sorted array still
 * pointed at it was a use-after-free (two keys naming one field). */
static int gcheck_struct(const gctx *g, cJSON *v, const gtype *t, err *e)
{
	int n = cJSON_GetArraySize(v);
	if (n == 0)
		return 0;
	cJSON **keys = xmalloc((size_t)n * sizeof *keys);
	const gfield **fields = xcalloc((size_t)n, sizeof *fields);
	int i = 0;
	for (cJSON *c = v->child; c; c = c->next)
		keys[i++] = c;
	qsort(keys, (size_t)n, sizeof *keys, cmp_keys);
	int rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		cJSON *c = keys[i];
		const gfield *f = field_for_key(t, c->string);
		if (!f) {
			rc = err_fail(e, KZ_REASON, "json: unknown field \"%s\"", c->string);
			break;
		}
		fields[i] = f;
		if (cJSON_IsNull(c))
			continue;
		gctx sub;
		sub.sname = strchr(t->name, '.') + 1;
		snprintf(sub.path, sizeof sub.path, "%.300s%s%.60s%.60s", g->sname ? g->path : "",
			 g->sname ? "." : "", f->embed, f->json);
		rc = gcheck(&sub, c, f->t, e);
	}
	for (const gfield *f = t->fields; f->json && rc == 0; f++)
		fold_field(v, keys, fields, n, f);
	free(fields);
	free(keys);
	return rc;
}

static int gcheck(const gctx *g, cJSON *v, const gtype *t, err *e)
{
	if (cJSON_IsNull(v))
		return 0;
	switch (t->k) {
	case G_ANY:
		return 0;
	case G_STR:
		return cJSON_IsString(v) ? 0 : type_error(g, v, t, false, e);
	case G_BOOL:
		return cJSON_IsBool(v) ? 0 : type_error(g, v, t, false, e);
	case G_I64:
	case G_INT: {
		if (!cJSON_IsNumber(v))
			return type_error(g, v, t, false, e);
		int64_t iv;
		if (!yml_number_int(v, &iv))
			return type_error(g, v, t, true, e);
		return 0;
	}
	case G_LIST: {
		if (!cJSON_IsArray(v))
			return type_error(g, v, t, false, e);
		cJSON *c;
		cJSON_ArrayForEach(c, v)
			if (gcheck(g, c, t->elem, e) < 0)
				return -1;
		return 0;
	}
	case G_MAP: {
		if (!cJSON_IsObject(v))
			return type_error(g, v, t, false, e);
		int n = cJSON_GetArraySize(v), i = 0;
		if (n == 0)
			return 0;
		cJSON **keys = xmalloc((size_t)n * sizeof *keys);
		for (cJSON *c = v->child; c; c = c->next)
			keys[i++] = c;
		qsort(keys, (size_t)n, sizeof *keys, cmp_keys);
		int rc = 0;
		for (i = 0; i < n && rc == 0; i++)
			rc = gcheck(g, keys[i], t->elem, e);
		free(keys);
		return rc;
	}
	case G_STRUCT:
		if (!cJSON_IsObject(v))
			return type_error(g, v, t, false, e);
		return gcheck_struct(g, v, t, e);
	}
	return 0;
}

int kz_kfile_check(cJSON *k, err *e)
{
	gctx g = {NULL, ""};
	if (gcheck(&g, k, &T_KUST, e) < 0) {
		err_prefix(e, "invalid Kustomization");
		return -1;
	}
	return 0;
}
