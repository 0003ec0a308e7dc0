/* yml_parse: libyaml events into cJSON, typed the way Go's yaml.v3 types them.
 *
 * The event loop keeps an explicit stack of open mappings/sequences (no recursion on input
 * depth). Anchors point at nodes already built; an alias duplicates the anchored node after
 * charging its size to the node and alias budgets, so a billion-laughs document fails before
 * anything large is allocated. Nodes that anchors may still reach but that are not part of the
 * tree (anchored keys, merge sources) are parked in a per-document "grave" until the document
 * ends. */
#include "yml_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "eddy/mem.h"
#include "eddy/codec.h"

#define TAG_PREFIX "tag:yaml.org,2002:"
#define MERGE_WANTS_MAP "map merge requires map or sequence of maps as the value"

/* A set of keys of one mapping, for duplicate detection: open addressing on FNV-1a. */
typedef struct kslot {
	const char *key;
	unsigned line;
} kslot;

typedef struct keyset {
	kslot *slots;
	size_t cap, n;
} keyset;

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static unsigned keyset_find(const keyset *ks, const char *key)
{
	if (!ks->cap)
		return 0;
	size_t j = fnv(key) & (ks->cap - 1);
	while (ks->slots[j].key) {
		if (strcmp(ks->slots[j].key, key) == 0)
			return ks->slots[j].line ? ks->slots[j].line : 1;
		j = (j + 1) & (ks->cap - 1);
	}
	return 0;
}

/* Returns the line of an existing equal key, or 0 after inserting. Keys are borrowed. */
static unsigned keyset_add(keyset *ks, const char *key, unsigned line)
{
	if ((ks->n + 1) * 2 > ks->cap) {
		size_t ncap = ks->cap ? ks->cap * 2 : 16;
		kslot *ns = xcalloc(ncap, sizeof *ns);
		for (size_t i = 0; i < ks->cap; i++) {
			if (!ks->slots[i].key)
				continue;
			size_t j = fnv(ks->slots[i].key) & (ncap - 1);
			while (ns[j].key)
				j = (j + 1) & (ncap - 1);
			ns[j] = ks->slots[i];
		}
		free(ks->slots);
		ks->slots = ns;
		ks->cap = ncap;
	}
	size_t j = fnv(key) & (ks->cap - 1);
	while (ks->slots[j].key) {
		if (strcmp(ks->slots[j].key, key) == 0)
			return ks->slots[j].line ? ks->slots[j].line : 1;
		j = (j + 1) & (ks->cap - 1);
	}
	ks->slots[j].key = key;
	ks->slots[j].line = line;
	ks->n++;
	return 0;
}

typedef struct anchor {
	char *name;
	cJSON *node;
	size_t count;    /* nodes in the anchored subtree */
	unsigned height; /* 0 for a scalar */
	bool open;       /* still being built */
} anchor;

typedef struct frame {
	cJSON *node;
	bool is_map;
	bool flow; /* flow style ({...} or [...]) */
	bool have_key;
	bool key_is_merge;
	bool key_is_drop; /* a quoted "<<" key: kustomize drops the entry */
	char *key;
	unsigned key_line;
	cJSON *merges; /* values of "<<" keys, in order */
	long anchor_idx;
	size_t start_count;
	unsigned height; /* tallest child */
	keyset ks;
} frame;

typedef struct pstate {
	yml_limits lim;
	err *e;
	frame *st;
	size_t nst, cst;
	anchor *an;
	size_t nan, can;
	long *anidx; /* hash index into an, -1 for empty slots */
	size_t ancap;
	cJSON *grave;
	cJSON *root;
	bool have_root;
	unsigned root_height;
	size_t count;       /* nodes built in this stream (decode count) */
	size_t alias_count; /* of which by aliases */
} pstate;

static int fail_at(pstate *ps, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(pstate *ps, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (line)
		return err_fail(ps->e, "InvalidYAML", "yaml: line %u: %s", line, msg);
	return err_fail(ps->e, "InvalidYAML", "yaml: %s", msg);
}

static void frame_release(frame *f)
{
	free(f->key);
	free(f->ks.slots);
	if (f->merges)
		yml_free(f->merges);
	memset(f, 0, sizeof *f);
}

static void doc_reset(pstate *ps)
{
	for (size_t i = 0; i < ps->nst; i++) {
		/* Open containers are owned by their parent, except the bottom one. */
		if (i == 0)
			yml_free(ps->st[i].node);
		frame_release(&ps->st[i]);
	}
	ps->nst = 0;
	for (size_t i = 0; i < ps->nan; i++)
		free(ps->an[i].name);
	ps->nan = 0;
	for (size_t i = 0; i < ps->ancap; i++)
		ps->anidx[i] = -1;
	yml_free(ps->grave);
	ps->grave = NULL;
	if (ps->root)
		yml_free(ps->root);
	ps->root = NULL;
	ps->have_root = false;
}

static void bury(pstate *ps, cJSON *n)
{
	if (!ps->grave)
		ps->grave = cJSON_CreateArray();
	cJSON_AddItemToArray(ps->grave, n);
}

static double alias_ratio(size_t decode)
{
	if (decode <= 400000)
		return 0.99;
	if (decode >= 4000000)
		return 0.10;
	return 0.99 - 0.89 * ((double)(decode - 400000) / 3600000.0);
}

/* Charge n nodes (from_alias: built by an alias) against the budgets. */
static int charge(pstate *ps, size_t n, bool from_alias, unsigned line)
{
	ps->count += n;
	if (from_alias)
		ps->alias_count += n;
	if (from_alias && ps->alias_count > 100 && ps->count > 1000 &&
	    (double)ps->alias_count / (double)ps->count > alias_ratio(ps->count))
		return fail_at(ps, 0, "document contains excessive aliasing");
	if (from_alias && ps->lim.max_alias_expansion &&
	    ps->alias_count > ps->lim.max_alias_expansion)
		return fail_at(ps, 0, "document contains excessive aliasing");
	if (ps->count > ps->lim.max_nodes)
		return fail_at(ps, line, "document has more than %zu nodes", ps->lim.max_nodes);
	return 0;
}

/* Anchors: an array in definition order plus an open-addressing index by name, whose slots
 * hold the index of the latest anchor of that name (a redefinition replaces the older one). */
static long anchor_find(pstate *ps, const char *name)
{
	if (!ps->ancap)
		return -1;
	size_t j = fnv(name) & (ps->ancap - 1);
	while (ps->anidx[j] >= 0) {
		if (strcmp(ps->an[ps->anidx[j]].name, name) == 0)
			return ps->anidx[j];
		j = (j + 1) & (ps->ancap - 1);
	}
	return -1;
}

static void anchor_index(pstate *ps, long i)
{
	size_t j = fnv(ps->an[i].name) & (ps->ancap - 1);
	while (ps->anidx[j] >= 0) {
		if (strcmp(ps->an[ps->anidx[j]].name, ps->an[i].name) == 0)
			break;
		j = (j + 1) & (ps->ancap - 1);
	}
	ps->anidx[j] = i;
}

static long anchor_add(pstate *ps, const char *name, cJSON *node)
{
	if (ps->nan == ps->can) {
		ps->can = ps->can ? ps->can * 2 : 16;
		ps->an = xrealloc(ps->an, ps->can * sizeof *ps->an);
	}
	anchor *a = &ps->an[ps->nan];
	a->name = xstrdup(name);
	a->node = node;
	a->count = 1;
	a->height = 0;
	a->open = true;
	long i = (long)ps->nan++;
	if ((ps->nan + 1) * 2 > ps->ancap) {
		free(ps->anidx);
		ps->ancap = ps->ancap ? ps->ancap * 2 : 64;
		ps->anidx = xmalloc(ps->ancap * sizeof *ps->anidx);
		for (size_t k = 0; k < ps->ancap; k++)
			ps->anidx[k] = -1;
		for (size_t k = 0; k < ps->nan; k++)
			anchor_index(ps, (long)k);
	} else {
		anchor_index(ps, i);
	}
	return i;
}

/* ---- scalars ---- */

static frame *top(pstate *ps)
{
	return ps->nst ? &ps->st[ps->nst - 1] : NULL;
}


enum rtag { R_STR, R_NULL, R_BOOL, R_INT, R_FLOAT, R_TS };

static const char *rtag_name(enum rtag t)
{
	static const char *const names[] = { "!!str", "!!null", "!!bool", "!!int", "!!float",
					     "!!timestamp" };
	return names[t];
}

/* yaml.v3 resolve() of plain text. */
static enum rtag resolve_plain(const char *s, size_t len, bool allow_ts, bool *bval, ynum *num,
			       char *ts, size_t tslen)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL" };
	static const char *const trues[] = { "true", "True", "TRUE" };
	static const char *const falses[] = { "false", "False", "FALSE" };
	if (len == 0)
		return R_NULL;
	for (int i = 0; i < 4; i++)
		if (strlen(nulls[i]) == len && memcmp(nulls[i], s, len) == 0)
			return R_NULL;
	for (int i = 0; i < 3; i++) {
		if (strlen(trues[i]) == len && memcmp(trues[i], s, len) == 0) {
			*bval = true;
			return R_BOOL;
		}
		if (strlen(falses[i]) == len && memcmp(falses[i], s, len) == 0) {
			*bval = false;
			return R_BOOL;
		}
	}
	char c = s[0];
	if (allow_ts && c >= '0' && c <= '9' && yml_parse_timestamp(s, len, ts, tslen))
		return R_TS;
	if (yml_resolve_number(s, len, num))
		return num->kind == YNUM_FLOAT ? R_FLOAT : R_INT;
	return R_STR;
}

static double num_double(const ynum *v)
{
	return v->kind == YNUM_INT ? (double)v->i : v->kind == YNUM_UINT ? (double)v->u : v->f;
}

/* Build the cJSON node of a scalar event. *is_merge tells whether it is a merge key "<<". */
static cJSON *make_scalar(pstate *ps, yaml_event_t *ev, bool *is_merge, bool *is_drop)
{
	const char *val = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	unsigned line = (unsigned)ev->start_mark.line + 1;
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	char stag[64] = "";
	*is_merge = false;
	*is_drop = false;
	if (memchr(val, '\0', len)) {
		fail_at(ps, line, "NUL characters in strings are not supported");
		return NULL;
	}
	if (tag && strcmp(tag, "!") != 0) {
		if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0)
			snprintf(stag, sizeof stag, "!!%s", tag + strlen(TAG_PREFIX));
		else
			snprintf(stag, sizeof stag, "%s", tag[0] ? tag : "!");
	}
	if (len == 2 && memcmp(val, "<<", 2) == 0 && (!stag[0] || strcmp(stag, "!!merge") == 0)) {
		/* plain: a merge key; quoted: an entry kustomize (kyaml) silently drops */
		*is_merge = plain || stag[0];
		*is_drop = !*is_merge;
		return cJSON_CreateString("<<");
	}
	bool want_str = strcmp(stag, "!!str") == 0 || strcmp(stag, "!!binary") == 0 ||
			(!stag[0] && !plain);
	bool resolvable = !stag[0] || !strcmp(stag, "!!bool") || !strcmp(stag, "!!int") ||
			  !strcmp(stag, "!!float") || !strcmp(stag, "!!null") ||
			  !strcmp(stag, "!!timestamp");
	if (!strcmp(stag, "!!binary")) {
		/* yaml.v3 decodes it; the bytes then go through JSON like any string */
		size_t blen;
		char *bin = b64_decode(val, len, B64_SKIP_NL, 0, &blen);
		if (!bin) {
			fail_at(ps, 0, "!!binary value contains invalid base64 data");
			return NULL;
		}
		if (memchr(bin, '\0', blen)) {
			free(bin);
			fail_at(ps, line, "NUL characters in strings are not supported");
			return NULL;
		}
		size_t n;
		char *fixed = yml_utf8_sanitize(bin, &n);
		cJSON *b = cJSON_CreateString(fixed ? fixed : bin);
		free(fixed);
		free(bin);
		return b;
	}
	if (want_str || !resolvable)
		return cJSON_CreateString(val);
	/* kustomize (kyaml on yaml.v3) reads an empty value inside a flow mapping, as in
	 * "{a: , b: 1}", as the empty string, not as null. */
	frame *f = top(ps);
	if (len == 0 && !stag[0] && plain && f && f->flow && f->is_map)
		return cJSON_CreateString("");
	bool b = false;
	ynum num;
	char ts[64];
	memset(&num, 0, sizeof num);
	enum rtag rt = resolve_plain(val, len, !stag[0] || !strcmp(stag, "!!timestamp"), &b, &num,
				     ts, sizeof ts);
	if (stag[0] && strcmp(stag, rtag_name(rt)) != 0) {
		if (!strcmp(stag, "!!float") && rt == R_INT) {
			rt = R_FLOAT;
		} else {
			fail_at(ps, 0, "cannot decode %s `%.200s` as a %s", rtag_name(rt), val,
				stag);
			return NULL;
		}
	}
	cJSON *n;
	switch (rt) {
	case R_NULL:
		n = cJSON_CreateNull();
		break;
	case R_BOOL:
		n = cJSON_CreateBool(b);
		break;
	case R_INT:
	case R_FLOAT:
		n = cJSON_CreateNumber(num_double(&num));
		break;
	case R_TS:
		return cJSON_CreateString(ts);
	default:
		return cJSON_CreateString(val);
	}
	n->valuestring = xstrdup(val);
	return n;
}

/* The text of a scalar node used as a mapping key. NULL if it cannot be a key. */
static char *key_text(const cJSON *k)
{
	char tmp[64];
	if (cJSON_IsString(k))
		return xstrdup(k->valuestring);
	if (cJSON_IsTrue(k))
		return xstrdup("true");
	if (cJSON_IsFalse(k))
		return xstrdup("false");
	if (cJSON_IsNull(k)) /* an empty key ("? " alone) is "", as kustomize reads it */
		return xstrdup(k->valuestring && !k->valuestring[0] ? "" : "null");
	if (cJSON_IsNumber(k)) {
		ynum v;
		yml_number_value(k, &v);
		if (v.kind == YNUM_INT)
			snprintf(tmp, sizeof tmp, "%lld", (long long)v.i);
		else if (v.kind == YNUM_UINT)
			snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v.u);
		else
			yml_format_float(v.f, 'g', tmp, sizeof tmp);
		return xstrdup(tmp);
	}
	return NULL;
}

/* ---- building ---- */


/* Hand a finished node (height h) to its parent. anchored: an anchor points at it. */
static int deliver(pstate *ps, cJSON *node, unsigned h, unsigned line, bool is_merge,
		   bool is_drop, bool anchored)
{
	frame *f = top(ps);
	if (!f) {
		ps->root = node;
		ps->have_root = true;
		ps->root_height = h;
		return 0;
	}
	if (h > f->height)
		f->height = h;
	if (f->is_map && !f->have_key) {
		char *k = key_text(node);
		if (!k) {
			if (anchored)
				bury(ps, node);
			else
				yml_free(node);
			return fail_at(ps, line, "invalid map key: complex keys are not supported");
		}
		/* The keyset borrows key strings: those handed to child nodes, or a static "<<". */
		unsigned prev = keyset_add(&f->ks, is_merge || is_drop ? "<<" : k, line);
		if (prev) {
			fail_at(ps, 0, "unmarshal errors:\n  line %u: mapping key \"%s\" already "
				"defined at line %u", line, k, prev);
			free(k);
			if (anchored)
				bury(ps, node);
			else
				yml_free(node);
			return -1;
		}
		free(f->key);
		f->key = k;
		f->key_line = line;
		f->have_key = true;
		f->key_is_merge = is_merge;
		f->key_is_drop = is_drop;
		if (anchored)
			bury(ps, node);
		else
			yml_free(node);
		return 0;
	}
	if (f->is_map) {
		f->have_key = false;
		if (f->key_is_drop) {
			if (anchored)
				bury(ps, node);
			else
				yml_free(node);
			return 0;
		}
		if (f->key_is_merge) {
			if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) {
				if (anchored)
					bury(ps, node);
				else
					yml_free(node);
				return fail_at(ps, line, MERGE_WANTS_MAP);
			}
			if (!f->merges)
				f->merges = cJSON_CreateArray();
			cJSON_AddItemToArray(f->merges, node);
			return 0;
		}
		/* The key slot in the keyset borrows f->key; hand the string to the node and
		 * point the keyset at it (same pointer, so nothing to update). */
		node->string = f->key;
		f->key = NULL;
		cJSON_AddItemToArray(f->node, node);
		return 0;
	}
	cJSON_AddItemToArray(f->node, node);
	return 0;
}

/* Merge keys: explicit keys win, earlier merge sources win over later ones. */
static int apply_merges(pstate *ps, frame *f, unsigned line)
{
	for (cJSON *m = f->merges->child; m; m = m->next) {
		cJSON *srcs = m;
		bool seq = cJSON_IsArray(m);
		for (cJSON *src = seq ? srcs->child : srcs; src; src = seq ? src->next : NULL) {
			if (!cJSON_IsObject(src))
				return fail_at(ps, line, MERGE_WANTS_MAP);
			for (cJSON *kv = src->child; kv; kv = kv->next) {
				if (keyset_find(&f->ks, kv->string))
					continue;
				cJSON *copy = cJSON_Duplicate(kv, 1);
				if (charge(ps, 1, false, line) < 0) {
					yml_free(copy);
					return -1;
				}
				cJSON_AddItemToArray(f->node, copy);
				keyset_add(&f->ks, copy->string, line);
			}
		}
	}
	bury(ps, f->merges);
	f->merges = NULL;
	return 0;
}

static int on_start(pstate *ps, yaml_event_t *ev, bool map)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	frame *f = top(ps);
	if (f && f->is_map && !f->have_key)
		return fail_at(ps, line, "invalid map key: complex keys are not supported");
	if (ps->nst + 1 > ps->lim.max_depth)
		return fail_at(ps, line, "exceeded max depth of %u", ps->lim.max_depth);
	if (charge(ps, 1, false, line) < 0)
		return -1;
	if (ps->nst == ps->cst) {
		ps->cst = ps->cst ? ps->cst * 2 : 32;
		ps->st = xrealloc(ps->st, ps->cst * sizeof *ps->st);
		f = top(ps); /* the stack moved */
	}
	frame *nf = &ps->st[ps->nst];
	memset(nf, 0, sizeof *nf);
	nf->node = map ? cJSON_CreateObject() : cJSON_CreateArray();
	nf->is_map = map;
	nf->flow = map ? ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
		       : ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
	nf->anchor_idx = -1;
	nf->start_count = ps->count;
	const char *anc = (const char *)(map ? ev->data.mapping_start.anchor
					     : ev->data.sequence_start.anchor);
	/* Attach to the parent now so that cleanup on error frees it through the parent. */
	if (f) {
		if (f->is_map) {
			if (f->key_is_drop) {
				bury(ps, nf->node);
			} else if (f->key_is_merge) {
				if (!f->merges)
					f->merges = cJSON_CreateArray();
				cJSON_AddItemToArray(f->merges, nf->node);
			} else {
				nf->node->string = f->key;
				f->key = NULL;
				cJSON_AddItemToArray(f->node, nf->node);
			}
			f->have_key = false;
		} else {
			cJSON_AddItemToArray(f->node, nf->node);
		}
	}
	ps->nst++;
	if (anc)
		nf->anchor_idx = anchor_add(ps, anc, nf->node);
	return 0;
}

static int on_end(pstate *ps, yaml_event_t *ev)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	frame *f = top(ps);
	if (f->merges && apply_merges(ps, f, line) < 0)
		return -1;
	unsigned h = f->height + 1;
	if (f->anchor_idx >= 0) {
		anchor *a = &ps->an[f->anchor_idx];
		a->open = false;
		a->count = ps->count - f->start_count;
		a->height = h;
	}
	cJSON *node = f->node;
	frame_release(f);
	ps->nst--;
	frame *p = top(ps);
	if (!p) {
		ps->root = node;
		ps->have_root = true;
		ps->root_height = h;
	} else if (h > p->height) {
		p->height = h;
	}
	return 0;
}

static int on_scalar(pstate *ps, yaml_event_t *ev)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	if (charge(ps, 1, false, line) < 0)
		return -1;
	bool is_merge, is_drop;
	cJSON *n = make_scalar(ps, ev, &is_merge, &is_drop);
	if (!n)
		return -1;
	const char *anc = (const char *)ev->data.scalar.anchor;
	if (anc) {
		long i = anchor_add(ps, anc, n);
		ps->an[i].open = false;
	}
	return deliver(ps, n, 0, line, is_merge, is_drop, anc != NULL);
}

static int on_alias(pstate *ps, yaml_event_t *ev)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	const char *name = (const char *)ev->data.alias.anchor;
	long i = anchor_find(ps, name);
	if (i < 0)
		return fail_at(ps, line, "unknown anchor '%.100s' referenced", name);
	anchor *a = &ps->an[i];
	if (a->open)
		return fail_at(ps, line, "anchor '%.100s' value contains itself", name);
	if (ps->nst + a->height > ps->lim.max_depth)
		return fail_at(ps, line, "exceeded max depth of %u", ps->lim.max_depth);
	if (charge(ps, a->count, true, line) < 0)
		return -1;
	cJSON *copy = cJSON_Duplicate(a->node, 1);
	free(copy->string); /* the anchored node's own key, if any */
	copy->string = NULL;
	return deliver(ps, copy, a->height, line, false, false, false);
}

static int parse_error(pstate *ps, yaml_parser_t *p)
{
	size_t line = 0;
	if (p->error == YAML_READER_ERROR) {
		return err_fail(ps->e, "InvalidYAML", "yaml: %s at byte %zu",
				p->problem ? p->problem : "invalid input", p->problem_offset);
	}
	if (p->context_mark.line != 0)
		line = p->context_mark.line + (p->error == YAML_SCANNER_ERROR);
	else if (p->problem_mark.line != 0)
		line = p->problem_mark.line + (p->error == YAML_SCANNER_ERROR);
	const char *msg = p->problem ? p->problem : "unknown problem parsing YAML content";
	if (line)
		return err_fail(ps->e, "InvalidYAML", "yaml: line %zu: %s", line, msg);
	return err_fail(ps->e, "InvalidYAML", "yaml: %s", msg);
}

/* keep_null: keep documents whose content is null */
static cJSON *parse(const char *data, size_t len, const yml_limits *lim, err *e, bool keep_null)
{
	pstate ps;
	memset(&ps, 0, sizeof ps);
	yml_limits_fill(&ps.lim, lim);
	if (!data) {
		data = "";
		len = 0;
	}
	ps.e = e;
	if (len > ps.lim.max_bytes) {
		err_fail(e, "InvalidYAML", "yaml: input of %zu bytes exceeds the limit of %zu "
			 "bytes", len, ps.lim.max_bytes);
		return NULL;
	}
	size_t bad;
	const unsigned char *u = (const unsigned char *)data;
	bool utf16 = len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF));
	if (!utf16 && !yml_utf8_valid(data, len, &bad)) {
		err_fail(e, "InvalidYAML", "yaml: invalid UTF-8 at byte %zu", bad);
		return NULL;
	}
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		err_fail(e, "InvalidYAML", "yaml: cannot initialise the parser");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	cJSON *docs = cJSON_CreateArray();
	size_t ndocs = 0;
	int rc = 0;
	bool done = false;
	while (!done && rc == 0) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			rc = parse_error(&ps, &p);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			doc_reset(&ps);
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (ps.have_root && (keep_null || !cJSON_IsNull(ps.root))) {
				if (++ndocs > ps.lim.max_docs) {
					rc = fail_at(&ps, 0, "more than %zu documents in the "
						     "stream", ps.lim.max_docs);
					break;
				}
				cJSON_AddItemToArray(docs, ps.root);
				ps.root = NULL;
			}
			doc_reset(&ps);
			break;
		case YAML_SCALAR_EVENT:
			rc = on_scalar(&ps, &ev);
			break;
		case YAML_ALIAS_EVENT:
			rc = on_alias(&ps, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = on_start(&ps, &ev, false);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = on_start(&ps, &ev, true);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = on_end(&ps, &ev);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	doc_reset(&ps);
	free(ps.st);
	free(ps.an);
	free(ps.anidx);
	yaml_parser_delete(&p);
	if (rc < 0) {
		yml_free(docs);
		return NULL;
	}
	return docs;
}

cJSON *yml_parse_stream(const char *data, size_t len, const yml_limits *lim, err *e)
{
	return parse(data, len, lim, e, false);
}

cJSON *yml_parse_one(const char *data, size_t len, const yml_limits *lim, err *e)
{
	cJSON *docs = parse(data, len, lim, e, true);
	if (!docs)
		return NULL;
	int n = cJSON_GetArraySize(docs);
	if (n > 1) {
		yml_free(docs);
		err_fail(e, "InvalidYAML", "yaml: expected a single document in the stream");
		return NULL;
	}
	cJSON *doc = n == 1 ? cJSON_DetachItemFromArray(docs, 0) : cJSON_CreateNull();
	yml_free(docs);
	return doc;
}
