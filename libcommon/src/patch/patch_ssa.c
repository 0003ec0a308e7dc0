/* patch: server-side apply and managedFields, after sigs.k8s.io/structured-merge-diff as the
 * API server uses it (Updater.Apply / Updater.Update):
 *   - the applied field set is the applied config's leaves, atomic values and list items
 *     (ToFieldSet; an empty granular map or list owns nothing);
 *   - the applied config merges into the live object (keyed and set lists item by item, in
 *     the merge order of SMD: shared items in applied order, live-only items kept in place);
 *   - fields in the manager's previous Apply set that it no longer applies are pruned unless
 *     another manager (or the new set) still owns them or something below them;
 *   - the changes (compare of live and result: added, modified, removed) conflict with other
 *     managers owning added or modified fields; force moves them; removed fields leave every
 *     set; empty entries are dropped;
 *   - ordinary writes record an "Update" entry with the fields they changed.
 * Server-owned metadata (apiVersion, kind, metadata.name, namespace, uid, ...) is never owned.
 * Simplification (documented in docs/patch.md): an added map or list gets "." in an Update
 * set except for the Go non-pointer struct fields the API server always serializes (spec,
 * status, template, strategy, ...), which is how the real server's sets look. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/json.h"
#include "eddy/mem.h"
#include "patch_fieldset.h"
#include "patch_int.h"

/* ---- path stack ---- */

typedef struct pstack {
	char *k[PATCH_MAX_DEPTH + 2];
	int n;
} pstack;

static bool ps_push(pstack *p, char *key)
{
	if (p->n >= PATCH_MAX_DEPTH) {
		free(key);
		return false;
	}
	p->k[p->n++] = key;
	return true;
}

static void ps_pop(pstack *p)
{
	free(p->k[--p->n]);
}

static void mark(fnode *root, const pstack *p)
{
	fnode *n = root;
	for (int i = 0; i < p->n; i++)
		n = patch_fs_child(n, p->k[i], true);
	n->member = true;
}

/* ---- list item path elements ---- */

/* The path element of a list item: "k:{...}" (keys sorted) for map lists, "v:<json>" for
 * sets. NULL and e filled if a key field is missing. */
static char *item_key(const cJSON *item, const patch_field_info *fi, int index, err *e)
{
	if (fi->list_type == PATCH_LIST_SET) {
		char *s = patch_u_print(item);
		char *k = xasprintf("v:%s", s);
		free(s);
		return k;
	}
	if (fi->list_type != PATCH_LIST_MAP)
		return xasprintf("i:%d", index);
	if (!cJSON_IsObject(item)) {
		err_fail(e, PATCH_REASON, "element %d: expected map, got %s", index,
			 cJSON_IsArray(item) ? "list" : "scalar");
		return NULL;
	}
	const char *names[PATCH_MAX_KEYS];
	int n = 0;
	for (int i = 0; i < PATCH_MAX_KEYS && fi->map_keys[i]; i++)
		names[n++] = fi->map_keys[i];
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(names[j], names[j - 1]) < 0; j--) {
			const char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	cJSON *k = cJSON_CreateObject();
	for (int i = 0; i < n; i++) {
		const cJSON *v = json_get(item, names[i]);
		if (!v && strcmp(names[i], "protocol") == 0) {
			cJSON_AddStringToObject(k, names[i], "TCP"); /* schema default */
			continue;
		}
		if (!v) {
			cJSON_Delete(k);
			err_fail(e, PATCH_REASON,
				 "element %d: associative list with keys has an "
				 "element that omits key field \"%s\" (and doesn't have default "
				 "value)",
				 index, names[i]);
			return NULL;
		}
		cJSON_AddItemToObject(k, names[i], patch_u_dup(v));
	}
	char *s = patch_u_print(k);
	cJSON_Delete(k);
	char *out = xasprintf("k:%s", s);
	free(s);
	return out;
}

/* Items of a list with their path elements (first occurrence of a key wins). */
typedef struct kitem {
	char *key;
	const cJSON *v;
} kitem;

/* The kitem array lives in a klist that also holds a hash index of the keys, so that lookups
 * stay linear on long lists; index_list() returns klist.v and the helpers find the klist back
 * from it. */
typedef struct klist {
	patch_kindex x;
	kitem v[];
} klist;

static klist *klist_of(const kitem *l)
{
	return (klist *)(void *)((char *)(uintptr_t)l - offsetof(klist, v));
}

static kitem *index_list(const cJSON *l, const patch_field_info *fi, size_t *n_out, err *e)
{
	size_t n = 0, cap = (size_t)cJSON_GetArraySize(l) + 1;
	klist *kl = xcalloc(1, sizeof *kl + cap * sizeof(kitem));
	patch_kx_init(&kl->x, cap);
	kitem *out = kl->v;
	int i = 0;
	for (const cJSON *c = l ? l->child : NULL; c; c = c->next, i++) {
		char *k = item_key(c, fi, i, e);
		if (!k) {
			for (size_t j = 0; j < n; j++)
				free(out[j].key);
			patch_kx_free(&kl->x);
			free(kl);
			return NULL;
		}
		if (patch_kx_get(&kl->x, k) >= 0) {
			free(k); /* a repeated key: the first item wins */
			continue;
		}
		patch_kx_add(&kl->x, k, (long)n);
		out[n].key = k;
		out[n++].v = c;
	}
	*n_out = n;
	return out;
}

static void free_index(kitem *l, size_t n)
{
	klist *kl = klist_of(l);
	for (size_t i = 0; i < n; i++)
		free(l[i].key);
	patch_kx_free(&kl->x);
	free(kl);
}

static const kitem *find_item(const kitem *l, size_t n, const char *key)
{
	long i = patch_kx_get(&klist_of(l)->x, key);
	return i >= 0 && (size_t)i < n ? &l[i] : NULL;
}

static bool is_atomic_map(pschema s, const patch_field_info *fi)
{
	return (fi && fi->atomic_map) || patch_s_atomic_map(s);
}

/* ---- ToFieldSet ---- */

static int fields_value(const cJSON *v, pschema s, const patch_field_info *fi, pstack *p,
			fnode *set, err *e);

static int fields_object(const cJSON *v, pschema s, pstack *p, fnode *set, err *e)
{
	for (const cJSON *c = v->child; c; c = c->next) {
		patch_field_info cfi;
		pschema cs = patch_s_field(s, c->string, &cfi);
		if (!ps_push(p, xasprintf("f:%s", c->string)))
			return err_fail(e, PATCH_REASON, "object nested too deeply");
		int rc = fields_value(c, cs, &cfi, p, set, e);
		/* entries of a map (additionalProperties) are members themselves */
		if (rc == 0 && s.oa && !json_get(json_get(s.oa, "properties"), c->string))
			mark(set, p);
		ps_pop(p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int fields_value(const cJSON *v, pschema s, const patch_field_info *fi, pstack *p,
			fnode *set, err *e)
{
	if (cJSON_IsObject(v)) {
		if (is_atomic_map(s, fi)) {
			mark(set, p);
			return 0;
		}
		return fields_object(v, s, p, set, e); /* an empty map owns nothing */
	}
	if (cJSON_IsArray(v)) {
		if (fi->list_type == PATCH_LIST_ATOMIC) {
			mark(set, p);
			return 0;
		}
		pschema is = patch_s_items(s);
		int i = 0;
		for (const cJSON *c = v->child; c; c = c->next, i++) {
			char *k = item_key(c, fi, i, e);
			if (!k)
				return -1;
			if (!ps_push(p, k))
				return err_fail(e, PATCH_REASON, "object nested too deeply");
			mark(set, p);
			int rc = 0;
			if (cJSON_IsObject(c) && fi->list_type == PATCH_LIST_MAP)
				rc = fields_object(c, is, p, set, e);
			ps_pop(p);
			if (rc < 0)
				return -1;
		}
		return 0;
	}
	mark(set, p);
	return 0;
}

/* Server-set metadata nobody owns (the API server's strip set). */
static void strip_meta(fnode *set)
{
	static const char *meta[] = {"f:name",       "f:namespace",     "f:creationTimestamp",
				     "f:selfLink",   "f:uid",           "f:clusterName",
				     "f:generation", "f:managedFields", "f:resourceVersion"};
	fnode *n;
	if ((n = patch_fs_child(set, "f:apiVersion", false)))
		n->member = false;
	if ((n = patch_fs_child(set, "f:kind", false)))
		n->member = false;
	fnode *m = patch_fs_child(set, "f:metadata", false);
	if (m) {
		m->member = false;
		for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
			if ((n = patch_fs_child(m, meta[i], false)))
				n->member = false;
	}
	patch_fs_prune(set);
}

static fnode *field_set(const cJSON *obj, pschema s, err *e)
{
	fnode *set = patch_fs_new(NULL);
	pstack p = {.n = 0};
	int rc = fields_object(obj, s, &p, set, e);
	while (p.n)
		ps_pop(&p);
	if (rc < 0) {
		patch_fs_free(set);
		return NULL;
	}
	strip_meta(set);
	return set;
}

/* ---- merge (applied into live) ---- */

static cJSON *merge_value(const cJSON *live, const cJSON *applied, pschema s,
			  const patch_field_info *fi, int depth, err *e);

static cJSON *merge_object(const cJSON *live, const cJSON *applied, pschema s, int depth, err *e)
{
	cJSON *out = patch_u_dup(live);
	patch_oix ox;
	patch_oix_init(&ox, out);
	for (const cJSON *c = applied->child; c; c = c->next) {
		patch_field_info cfi;
		pschema cs = patch_s_field(s, c->string, &cfi);
		/* out's member is a copy of live's */
		cJSON *m = merge_value(patch_oix_get(&ox, c->string), c, cs, &cfi, depth + 1, e);
		if (!m) {
			patch_oix_free(&ox);
			cJSON_Delete(out);
			return NULL;
		}
		patch_oix_set(&ox, c->string, m);
	}
	patch_oix_free(&ox);
	return out;
}

/* Merge of two granular lists in SMD's order. */
static cJSON *merge_list(const cJSON *live, const cJSON *applied, pschema s,
			 const patch_field_info *fi, int depth, err *e)
{
	size_t ln = 0, rn = 0;
	kitem *l = index_list(live, fi, &ln, e);
	if (!l)
		return NULL;
	kitem *r = index_list(applied, fi, &rn, e);
	if (!r) {
		free_index(l, ln);
		return NULL;
	}
	pschema is = patch_s_items(s);
	patch_field_info ifi = {0};
	cJSON *out = cJSON_CreateArray();
	/* shared: applied items also in live, in applied order */
	size_t *shared = xcalloc(rn + 1, sizeof *shared), sn = 0, si = 0;
	for (size_t i = 0; i < rn; i++)
		if (find_item(l, ln, r[i].key))
			shared[sn++] = i;
	const char *next_shared = sn ? r[shared[si++]].key : NULL;
	size_t li = 0, ri = 0;
	bool ok = true;
	while (ok && (li < ln || ri < rn)) {
		if (li < ln && ri < rn) {
			if (strcmp(l[li].key, r[ri].key) == 0) {
				cJSON *m = fi->list_type == PATCH_LIST_MAP
						   ? merge_value(l[li].v, r[ri].v, is, &ifi,
								 depth + 1, e)
						   : patch_u_dup(r[ri].v);
				if (!m)
					ok = false;
				else
					cJSON_AddItemToArray(out, m);
				li++;
				ri++;
				next_shared = si < sn ? r[shared[si++]].key : NULL;
				continue;
			}
			if (find_item(r, rn, l[li].key) && next_shared &&
			    strcmp(next_shared, l[li].key) != 0) {
				li++;
				continue;
			}
		}
		if (li < ln && !find_item(r, rn, l[li].key)) {
			cJSON_AddItemToArray(out, patch_u_dup(l[li].v));
			li++;
			continue;
		}
		if (ri < rn) {
			const kitem *lm = find_item(l, ln, r[ri].key);
			cJSON *m = lm && fi->list_type == PATCH_LIST_MAP
					   ? merge_value(lm->v, r[ri].v, is, &ifi, depth + 1, e)
					   : patch_u_dup(r[ri].v);
			if (!m)
				ok = false;
			else
				cJSON_AddItemToArray(out, m);
			if (next_shared && strcmp(next_shared, r[ri].key) == 0)
				next_shared = si < sn ? r[shared[si++]].key : NULL;
			ri++;
		} else if (li < ln) {
			li++; /* a shared live item already emitted */
		}
	}
	free(shared);
	free_index(l, ln);
	free_index(r, rn);
	if (!ok) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

static cJSON *merge_value(const cJSON *live, const cJSON *applied, pschema s,
			  const patch_field_info *fi, int depth, err *e)
{
	if (depth > PATCH_MAX_DEPTH) {
		err_fail(e, PATCH_REASON, "object nested deeper than %d levels", PATCH_MAX_DEPTH);
		return NULL;
	}
	if (!live)
		return patch_u_dup(applied);
	if (cJSON_IsObject(live) && cJSON_IsObject(applied) && !is_atomic_map(s, fi))
		return merge_object(live, applied, s, depth, e);
	if (cJSON_IsArray(live) && cJSON_IsArray(applied) && fi->list_type != PATCH_LIST_ATOMIC)
		return merge_list(live, applied, s, fi, depth, e);
	return patch_u_dup(applied);
}

/* ---- compare (old -> new): added, modified, removed ---- */

typedef struct cmpctx {
	fnode *added, *modified, *removed;
	pstack p;
	err *e;
} cmpctx;

/* Go non-pointer struct fields that the API server always serializes, so they are never
 * "added" as a whole (see the file comment). */
static bool always_present(const pstack *p)
{
	if (p->n == 0)
		return true;
	const char *k = p->k[p->n - 1];
	if (strncmp(k, "f:", 2) != 0)
		return false;
	k += 2;
	if (p->n == 1 &&
	    (strcmp(k, "spec") == 0 || strcmp(k, "status") == 0 || strcmp(k, "metadata") == 0))
		return true;
	static const char *always[] = {"template",    "strategy",  "updateStrategy",
				       "jobTemplate", "resources", "containers"};
	for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
		if (strcmp(k, always[i]) == 0)
			return true;
	if (p->n >= 2 && (strcmp(p->k[p->n - 2], "f:template") == 0 ||
			  strcmp(p->k[p->n - 2], "f:jobTemplate") == 0))
		return strcmp(k, "metadata") == 0 || strcmp(k, "spec") == 0;
	return false;
}

static int compare_value(const cJSON *o, const cJSON *n, pschema s, const patch_field_info *fi,
			 cmpctx *c);

static void leaf(const cJSON *o, const cJSON *n, cmpctx *c)
{
	if (c->p.n == 0)
		return;
	if (!o)
		mark(c->added, &c->p);
	else if (!n)
		mark(c->removed, &c->p);
	else if (!patch_u_equal(o, n))
		mark(c->modified, &c->p);
}

static int compare_child(const cJSON *o, const cJSON *n, pschema s, const patch_field_info *fi,
			 char *key, cmpctx *c)
{
	if (!ps_push(&c->p, key))
		return err_fail(c->e, PATCH_REASON, "object nested too deeply");
	int rc = compare_value(o, n, s, fi, c);
	ps_pop(&c->p);
	return rc;
}

static int compare_value(const cJSON *o, const cJSON *n, pschema s, const patch_field_info *fi,
			 cmpctx *c)
{
	bool omap = cJSON_IsObject(o), nmap = cJSON_IsObject(n);
	bool olist = cJSON_IsArray(o), nlist = cJSON_IsArray(n);
	if ((omap || !o) && (nmap || !n) && (o || n) && !is_atomic_map(s, fi)) {
		bool oe = !o || !o->child, ne = !n || !n->child;
		if (oe && ne) {
			leaf(o, n, c);
			return 0;
		}
		patch_oix oi, ni;
		patch_oix_init(&oi, (cJSON *)(uintptr_t)o);
		patch_oix_init(&ni, (cJSON *)(uintptr_t)n);
		int rc = 0;
		for (const cJSON *k = n ? n->child : NULL; k && rc == 0; k = k->next) {
			patch_field_info cfi;
			pschema cs = patch_s_field(s, k->string, &cfi);
			rc = compare_child(o ? patch_oix_get(&oi, k->string) : NULL, k, cs, &cfi,
					   xasprintf("f:%s", k->string), c);
		}
		for (const cJSON *k = o ? o->child : NULL; k && rc == 0; k = k->next) {
			if (n && patch_oix_get(&ni, k->string))
				continue;
			patch_field_info cfi;
			pschema cs = patch_s_field(s, k->string, &cfi);
			rc = compare_child(k, NULL, cs, &cfi, xasprintf("f:%s", k->string), c);
		}
		patch_oix_free(&oi);
		patch_oix_free(&ni);
		if (rc < 0)
			return -1;
		if (c->p.n > 0 && !o && !always_present(&c->p))
			mark(c->added, &c->p);
		else if (c->p.n > 0 && !n)
			mark(c->removed, &c->p);
		return 0;
	}
	if ((olist || !o) && (nlist || !n) && (o || n) && fi->list_type != PATCH_LIST_ATOMIC) {
		bool oe = !o || !o->child, ne = !n || !n->child;
		if (oe && ne) {
			leaf(o, n, c);
			return 0;
		}
		size_t on = 0, nn = 0;
		kitem *ol = index_list(o, fi, &on, c->e);
		if (!ol)
			return -1;
		kitem *nl = index_list(n, fi, &nn, c->e);
		if (!nl) {
			free_index(ol, on);
			return -1;
		}
		pschema is = patch_s_items(s);
		patch_field_info ifi = {0};
		int rc = 0;
		for (size_t i = 0; i < nn && rc == 0; i++) {
			const kitem *m = find_item(ol, on, nl[i].key);
			rc = compare_child(m ? m->v : NULL, nl[i].v, is, &ifi, xstrdup(nl[i].key),
					   c);
		}
		for (size_t i = 0; i < on && rc == 0; i++)
			if (!find_item(nl, nn, ol[i].key))
				rc = compare_child(ol[i].v, NULL, is, &ifi, xstrdup(ol[i].key), c);
		free_index(ol, on);
		free_index(nl, nn);
		if (rc < 0)
			return -1;
		if (c->p.n > 0 && !o && !always_present(&c->p))
			mark(c->added, &c->p);
		else if (c->p.n > 0 && !n)
			mark(c->removed, &c->p);
		return 0;
	}
	leaf(o, n, c);
	return 0;
}

static int compare(const cJSON *o, const cJSON *n, pschema s, fnode **added, fnode **modified,
		   fnode **removed, err *e)
{
	cmpctx c = {patch_fs_new(NULL), patch_fs_new(NULL), patch_fs_new(NULL), {.n = 0}, e};
	patch_field_info fi = {0};
	cJSON *empty = cJSON_CreateObject();
	int rc = compare_value(o ? o : empty, n ? n : empty, s, &fi, &c);
	cJSON_Delete(empty);
	while (c.p.n)
		ps_pop(&c.p);
	if (rc < 0) {
		patch_fs_free(c.added);
		patch_fs_free(c.modified);
		patch_fs_free(c.removed);
		return -1;
	}
	strip_meta(c.added);
	strip_meta(c.modified);
	strip_meta(c.removed);
	*added = c.added;
	*modified = c.modified;
	*removed = c.removed;
	return 0;
}

/* ---- pruning ---- */

/* Remove from value v (a map or list) the members of r not covered by keep. */
static int prune_value(cJSON *v, const fnode *r, const fnode *keep, pschema s,
		       const patch_field_info *fi, int depth, err *e)
{
	if (depth > PATCH_MAX_DEPTH || !v)
		return 0;
	/* list items by key, indexed once (an item that lacks its key cannot be owned) */
	kitem *il = NULL;
	size_t iln = 0;
	if (cJSON_IsArray(v) && fi) {
		err ignore = {0};
		il = index_list(v, fi, &iln, &ignore);
	}
	patch_oix ox;
	patch_oix_init(&ox, cJSON_IsObject(v) ? v : NULL);
	int rc = 0;
	for (size_t i = 0; i < r->n && rc == 0; i++) {
		const fnode *rk = r->kids[i];
		const fnode *kk = keep ? patch_fs_child((fnode *)keep, rk->key, false) : NULL;
		cJSON *child = NULL;
		patch_field_info cfi = {0};
		pschema cs = {NULL, NULL};
		if (strncmp(rk->key, "f:", 2) == 0 && cJSON_IsObject(v)) {
			child = patch_oix_get(&ox, rk->key + 2);
			cs = patch_s_field(s, rk->key + 2, &cfi);
		} else if (il) {
			/* items are only detached once: keys in r are unique */
			const kitem *it = find_item(il, iln, rk->key);
			child = it ? (cJSON *)(uintptr_t)it->v : NULL;
			cs = patch_s_items(s);
		}
		if (!child)
			continue;
		if (rk->member && (!kk || patch_fs_empty(kk))) {
			if (cJSON_IsObject(v))
				patch_oix_put(&ox, rk->key + 2, NULL);
			cJSON_Delete(cJSON_DetachItemViaPointer(v, child));
			continue;
		}
		bool had = (cJSON_IsObject(child) || cJSON_IsArray(child)) && child->child;
		rc = prune_value(child, rk, kk, cs, cJSON_IsArray(child) ? &cfi : NULL, depth + 1,
				 e);
		/* a map or list emptied by the removal goes away with it (SMD sets it null) */
		if (rc == 0 && had && !child->child) {
			if (cJSON_IsObject(v))
				patch_oix_put(&ox, rk->key + 2, NULL);
			cJSON_Delete(cJSON_DetachItemViaPointer(v, child));
		}
	}
	patch_oix_free(&ox);
	if (il)
		free_index(il, iln);
	return rc;
}

/* ---- managedFields ---- */

typedef struct mentry {
	cJSON *raw; /* the entry object (owned) */
	const char *manager, *operation, *api_version, *subresource, *time;
	fnode *set;
	bool changed;
} mentry;

typedef struct mlist {
	mentry *v;
	size_t n;
} mlist;

static void mlist_release(mlist *m)
{
	for (size_t i = 0; i < m->n; i++) {
		cJSON_Delete(m->v[i].raw);
		patch_fs_free(m->v[i].set);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

static int mlist_load(mlist *m, const cJSON *mf, err *e)
{
	m->n = 0;
	m->v = xcalloc((size_t)cJSON_GetArraySize(mf) + 1, sizeof *m->v);
	for (const cJSON *c = cJSON_IsArray(mf) ? mf->child : NULL; c; c = c->next) {
		if (!cJSON_IsObject(c) || !json_str(c, "manager"))
			continue; /* [{}] clears managedFields, as csaupgrade relies on */
		mentry *x = &m->v[m->n];
		x->raw = patch_u_dup(c);
		x->manager = json_str(x->raw, "manager");
		x->operation = json_str(x->raw, "operation");
		x->api_version = json_str(x->raw, "apiVersion");
		x->subresource = json_str(x->raw, "subresource");
		x->time = json_str(x->raw, "time");
		x->set = patch_fs_from_json(json_get(x->raw, "fieldsV1"));
		m->n++;
		if (!x->set) {
			x->set = patch_fs_new(NULL);
			mlist_release(m);
			return err_fail(e, PATCH_REASON, "managedFields nested too deeply");
		}
	}
	return 0;
}

static bool same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static long mlist_find(const mlist *m, const char *manager, const char *op, const char *api_version,
		       const char *subresource)
{
	for (size_t i = 0; i < m->n; i++) {
		const mentry *x = &m->v[i];
		if (same_str(x->manager, manager) && same_str(x->operation, op) &&
		    same_str(x->subresource, subresource) &&
		    (strcmp(op, "Apply") == 0 || same_str(x->api_version, api_version)))
			return (long)i;
	}
	return -1;
}

static mentry *mlist_add(mlist *m, const char *manager, const char *op, const char *api_version,
			 const char *subresource)
{
	m->v = xrealloc(m->v, (m->n + 1) * sizeof *m->v);
	mentry *x = &m->v[m->n++];
	memset(x, 0, sizeof *x);
	x->raw = cJSON_CreateObject();
	cJSON_AddStringToObject(x->raw, "manager", manager);
	cJSON_AddStringToObject(x->raw, "operation", op);
	if (api_version)
		cJSON_AddStringToObject(x->raw, "apiVersion", api_version);
	if (subresource)
		cJSON_AddStringToObject(x->raw, "subresource", subresource);
	x->manager = json_str(x->raw, "manager");
	x->operation = json_str(x->raw, "operation");
	x->api_version = json_str(x->raw, "apiVersion");
	x->subresource = json_str(x->raw, "subresource");
	x->set = patch_fs_new(NULL);
	x->changed = true;
	return x;
}

static int cmp_entries(const void *a, const void *b)
{
	const mentry *p = a, *q = b;
	int r = strcmp(p->operation ? p->operation : "", q->operation ? q->operation : "");
	if (r)
		return r;
	r = strcmp(p->time ? p->time : "", q->time ? q->time : "");
	if (r)
		return r;
	r = strcmp(p->manager ? p->manager : "", q->manager ? q->manager : "");
	if (r)
		return r;
	r = strcmp(p->api_version ? p->api_version : "", q->api_version ? q->api_version : "");
	if (r)
		return r;
	return strcmp(p->subresource ? p->subresource : "", q->subresource ? q->subresource : "");
}

/* Write the entries (empty ones dropped, sorted as the API server sorts them) to obj. */
static void mlist_store(mlist *m, cJSON *obj, const char *now)
{
	for (size_t i = 0; i < m->n; i++) {
		mentry *x = &m->v[i];
		if (x->changed && now) {
			json_replace(x->raw, "time", cJSON_CreateString(now));
			x->time = json_str(x->raw, "time");
		}
	}
	qsort(m->v, m->n, sizeof *m->v, cmp_entries);
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < m->n; i++) {
		mentry *x = &m->v[i];
		patch_fs_prune(x->set);
		if (patch_fs_empty(x->set))
			continue;
		cJSON *ent = cJSON_CreateObject();
		static const char *order[] = {"manager", "operation", "apiVersion", "time"};
		for (size_t k = 0; k < 4; k++) {
			const cJSON *v = json_get(x->raw, order[k]);
			if (v)
				cJSON_AddItemToObject(ent, order[k], patch_u_dup(v));
		}
		cJSON_AddStringToObject(ent, "fieldsType", "FieldsV1");
		cJSON_AddItemToObject(ent, "fieldsV1", patch_fs_to_json(x->set));
		const cJSON *sub = json_get(x->raw, "subresource");
		if (sub)
			cJSON_AddItemToObject(ent, "subresource", patch_u_dup(sub));
		cJSON_AddItemToArray(arr, ent);
	}
	cJSON *meta = json_get(obj, "metadata");
	if (!cJSON_IsObject(meta)) {
		meta = cJSON_CreateObject();
		json_replace(obj, "metadata", meta);
	}
	if (cJSON_GetArraySize(arr) == 0) {
		cJSON_Delete(arr);
		json_del(meta, "managedFields");
	} else {
		json_replace(meta, "managedFields", arr);
	}
}

/* A copy of obj without metadata.managedFields, and the entries. */
static cJSON *split_managed(const cJSON *obj, mlist *m, err *e)
{
	cJSON *copy = obj ? patch_u_dup(obj) : cJSON_CreateObject();
	cJSON *meta = json_get(copy, "metadata");
	cJSON *mf = meta ? json_get(meta, "managedFields") : NULL;
	if (mf)
		mf = cJSON_DetachItemViaPointer(meta, mf);
	int rc = mlist_load(m, mf, e);
	cJSON_Delete(mf);
	if (rc < 0) {
		cJSON_Delete(copy);
		return NULL;
	}
	return copy;
}

/* ---- conflicts ---- */

void patch_conflicts_init(patch_conflicts *c)
{
	memset(c, 0, sizeof *c);
}

void patch_conflicts_release(patch_conflicts *c)
{
	for (size_t i = 0; i < c->n; i++) {
		patch_conflict *x = &c->items[i];
		free(x->manager);
		free(x->operation);
		free(x->api_version);
		free(x->subresource);
		free(x->field);
		free(x->cause);
	}
	free(c->items);
	free(c->message);
	memset(c, 0, sizeof *c);
}

static char *quote(const char *s)
{
	cJSON *v = cJSON_CreateString(s ? s : "");
	char *q = patch_u_print(v);
	cJSON_Delete(v);
	return q;
}

/* printManager: "name"[ with subresource "s"][ using v] */
static char *print_manager(const mentry *x)
{
	buf b;
	buf_init(&b, 4096);
	char *q = quote(x->manager);
	buf_adds(&b, q);
	free(q);
	if (x->subresource && *x->subresource) {
		q = quote(x->subresource);
		buf_addf(&b, " with subresource %s", q);
		free(q);
	}
	if (x->operation && strcmp(x->operation, "Update") == 0)
		buf_addf(&b, " using %s", x->api_version ? x->api_version : "");
	return buf_detach(&b, NULL);
}

typedef struct collect {
	patch_conflicts *out;
	const mentry *who;
} collect;

static void add_conflict(void *ctx, const char *path)
{
	collect *c = ctx;
	patch_conflicts *o = c->out;
	o->items = xrealloc(o->items, (o->n + 1) * sizeof *o->items);
	patch_conflict *x = &o->items[o->n++];
	memset(x, 0, sizeof *x);
	x->manager = xstrdup(c->who->manager ? c->who->manager : "");
	x->operation = xstrdup(c->who->operation ? c->who->operation : "");
	x->api_version = xstrdup(c->who->api_version ? c->who->api_version : "");
	x->subresource = c->who->subresource ? xstrdup(c->who->subresource) : NULL;
	x->field = xstrdup(path);
	char *pm = print_manager(c->who);
	x->cause = xasprintf("conflict with %s", pm);
	free(pm);
}

static void build_message(patch_conflicts *c)
{
	buf b;
	buf_init(&b, 1 << 20);
	if (c->n == 1) {
		buf_addf(&b, "Apply failed with 1 conflict: %s: %s", c->items[0].cause,
			 c->items[0].field);
	} else {
		buf_addf(&b, "Apply failed with %zu conflicts: ", c->n);
		const char *prev = NULL;
		for (size_t i = 0; i < c->n; i++) {
			/* "conflict with X" -> "conflicts with X:" once per manager */
			const char *who = c->items[i].cause + strlen("conflict with ");
			if (!prev || strcmp(prev, who) != 0) {
				buf_addf(&b, "%sconflicts with %s:", prev ? "\n" : "", who);
				prev = who;
			}
			buf_addf(&b, "\n- %s", c->items[i].field);
		}
	}
	c->message = buf_detach(&b, NULL);
}

cJSON *patch_conflicts_status(const patch_conflicts *c)
{
	cJSON *st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	cJSON_AddItemToObject(st, "metadata", cJSON_CreateObject());
	cJSON_AddStringToObject(st, "status", "Failure");
	cJSON_AddStringToObject(st, "message", c->message ? c->message : "");
	cJSON_AddStringToObject(st, "reason", "Conflict");
	cJSON *details = cJSON_AddObjectToObject(st, "details");
	cJSON *causes = cJSON_AddArrayToObject(details, "causes");
	for (size_t i = 0; i < c->n; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "reason", "FieldManagerConflict");
		cJSON_AddStringToObject(x, "message", c->items[i].cause);
		cJSON_AddStringToObject(x, "field", c->items[i].field);
		cJSON_AddItemToArray(causes, x);
	}
	cJSON_AddNumberToObject(st, "code", 409);
	return st;
}

/* ---- public entry points ---- */

static pschema schema_of(const cJSON *obj, const patch_schema_hint *hint)
{
	const char *av = json_str(obj, "apiVersion"), *kind = json_str(obj, "kind");
	return patch_s_root(av, kind, hint);
}

cJSON *patch_fields_of(const cJSON *applied, const patch_schema_hint *hint, err *e)
{
	if (!cJSON_IsObject(applied)) {
		err_fail(e, PATCH_REASON, "applied configuration must be an object");
		return NULL;
	}
	if (patch_u_depth(applied, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH) {
		err_fail(e, PATCH_REASON, "object nested deeper than %d levels", PATCH_MAX_DEPTH);
		return NULL;
	}
	cJSON *copy = patch_u_dup(applied);
	cJSON *meta = json_get(copy, "metadata");
	if (meta)
		json_del(meta, "managedFields");
	fnode *set = field_set(copy, schema_of(applied, hint), e);
	cJSON_Delete(copy);
	if (!set)
		return NULL;
	cJSON *out = patch_fs_to_json(set);
	patch_fs_free(set);
	return out;
}

static int cmp_conflicts(const void *a, const void *b)
{
	const patch_conflict *x = a, *y = b;
	int r = strcmp(x->manager, y->manager);
	if (r)
		return r;
	r = strcmp(x->operation, y->operation);
	if (r)
		return r;
	r = strcmp(x->api_version, y->api_version);
	if (r)
		return r;
	return strcmp(x->subresource ? x->subresource : "", y->subresource ? y->subresource : "");
}

int patch_apply(cJSON **live, const cJSON *applied, const char *manager, bool force,
		const char *now, const patch_schema_hint *hint, patch_conflicts *out, err *e)
{
	return patch_apply_subresource(live, applied, manager, NULL, force, now, hint, out, e);
}

int patch_apply_subresource(cJSON **live, const cJSON *applied, const char *manager,
			    const char *subresource, bool force, const char *now,
			    const patch_schema_hint *hint, patch_conflicts *out, err *e)
{
	if (out)
		patch_conflicts_init(out);
	if (!live || !manager || !*manager)
		return err_fail(e, PATCH_REASON, "fieldManager is required for apply requests");
	if (!cJSON_IsObject(applied))
		return err_fail(e, PATCH_REASON, "applied configuration must be an object");
	if (*live && !cJSON_IsObject(*live))
		return err_fail(e, PATCH_REASON, "live object must be an object");
	if (patch_u_depth(applied, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH ||
	    (*live && patch_u_depth(*live, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH))
		return err_fail(e, PATCH_REASON, "object nested deeper than %d levels",
				PATCH_MAX_DEPTH);
	pschema s = schema_of(applied, hint);
	const char *av = json_str(applied, "apiVersion");
	mlist m = {0}, ignore = {0};
	int rc = -1;
	fnode *aset = NULL, *others = NULL, *added = NULL, *modified = NULL, *removed = NULL;
	fnode *changed = NULL;
	cJSON *merged = NULL, *ap = NULL;
	cJSON *cur = split_managed(*live, &m, e);
	if (!cur)
		return -1;
	ap = split_managed(applied, &ignore, e);
	mlist_release(&ignore);
	if (!ap)
		goto out;
	if (!(aset = field_set(ap, s, e)))
		goto out;
	patch_field_info rootfi = {0};
	if (!(merged = merge_value(cur, ap, s, &rootfi, 0, e)))
		goto out;
	/* prune what this manager applied before and no longer applies */
	long mine = mlist_find(&m, manager, "Apply", NULL, subresource);
	others = patch_fs_new(NULL);
	for (size_t i = 0; i < m.n; i++)
		if ((long)i != mine)
			patch_fs_union(others, m.v[i].set);
	if (mine >= 0) {
		fnode *gone = patch_fs_diff(m.v[mine].set, aset);
		fnode *keep = patch_fs_new(NULL);
		patch_fs_union(keep, others);
		patch_fs_union(keep, aset);
		int prc = prune_value(merged, gone, keep, s, NULL, 0, e);
		patch_fs_free(gone);
		patch_fs_free(keep);
		if (prc < 0)
			goto out;
	}
	if (compare(cur, merged, s, &added, &modified, &removed, e) < 0)
		goto out;
	changed = patch_fs_new(NULL);
	patch_fs_union(changed, added);
	patch_fs_union(changed, modified);
	/* conflicts with every other manager */
	patch_conflicts local;
	patch_conflicts *conf = out ? out : &local;
	if (!out)
		patch_conflicts_init(&local);
	fnode **csets = xcalloc(m.n + 1, sizeof *csets);
	for (size_t i = 0; i < m.n; i++) {
		if ((long)i == mine)
			continue;
		csets[i] = patch_fs_intersect(m.v[i].set, changed);
		if (!force && !patch_fs_empty(csets[i])) {
			collect col = {conf, &m.v[i]};
			patch_fs_each_member(csets[i], add_conflict, &col);
		}
	}
	if (conf->n > 0) {
		qsort(conf->items, conf->n, sizeof *conf->items, cmp_conflicts);
		build_message(conf);
		err_set(e, ERR_GENERIC, "Conflict", "%s", conf->message);
		if (!out)
			patch_conflicts_release(&local);
		for (size_t i = 0; i < m.n; i++)
			patch_fs_free(csets[i]);
		free(csets);
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < m.n; i++) {
		if ((long)i == mine)
			continue;
		fnode *a = patch_fs_diff(m.v[i].set, csets[i]);
		fnode *b = patch_fs_diff(a, removed);
		patch_fs_free(a);
		patch_fs_free(m.v[i].set);
		m.v[i].set = b;
		patch_fs_free(csets[i]);
	}
	free(csets);
	mentry *me = mine >= 0 ? &m.v[mine] : mlist_add(&m, manager, "Apply", av, subresource);
	/* the acting manager's time moves when its set or the object changed */
	if (!patch_fs_equal(me->set, aset) || !same_str(me->api_version, av) ||
	    !patch_fs_empty(changed) || !patch_fs_empty(removed))
		me->changed = true;
	if (av)
		json_replace(me->raw, "apiVersion", cJSON_CreateString(av));
	me->api_version = json_str(me->raw, "apiVersion");
	patch_fs_free(me->set);
	me->set = aset;
	aset = NULL;
	mlist_store(&m, merged, now);
	cJSON_Delete(*live);
	*live = merged;
	merged = NULL;
	rc = 0;
out:
	mlist_release(&m);
	patch_fs_free(aset);
	patch_fs_free(others);
	patch_fs_free(added);
	patch_fs_free(modified);
	patch_fs_free(removed);
	patch_fs_free(changed);
	cJSON_Delete(merged);
	cJSON_Delete(cur);
	cJSON_Delete(ap);
	return rc;
}

int patch_track_update(const cJSON *old, cJSON *newobj, const char *manager,
		       const char *api_version, const char *subresource, const char *now,
		       const patch_schema_hint *hint, err *e)
{
	if (!cJSON_IsObject(newobj) || !manager)
		return err_fail(e, PATCH_REASON, "object must be an object with a manager");
	if (patch_u_depth(newobj, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH ||
	    (old && patch_u_depth(old, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH))
		return err_fail(e, PATCH_REASON, "object nested deeper than %d levels",
				PATCH_MAX_DEPTH);
	pschema s = schema_of(newobj, hint);
	mlist m = {0}, ignore = {0};
	int rc = -1;
	fnode *added = NULL, *modified = NULL, *removed = NULL;
	cJSON *o = NULL;
	cJSON *n = split_managed(newobj, &m, e);
	if (!n)
		return -1;
	if (old && !(o = split_managed(old, &ignore, e)))
		goto out;
	if (compare(o, n, s, &added, &modified, &removed, e) < 0)
		goto out;
	fnode *changed = patch_fs_new(NULL);
	patch_fs_union(changed, added);
	patch_fs_union(changed, modified);
	long mine = mlist_find(&m, manager, "Update", api_version, subresource);
	for (size_t i = 0; i < m.n; i++) {
		if ((long)i == mine)
			continue;
		fnode *a = patch_fs_diff(m.v[i].set, changed);
		fnode *b = patch_fs_diff(a, removed);
		patch_fs_free(a);
		patch_fs_free(m.v[i].set);
		m.v[i].set = b;
	}
	mentry *me =
		mine >= 0 ? &m.v[mine] : mlist_add(&m, manager, "Update", api_version, subresource);
	fnode *a = patch_fs_diff(me->set, removed);
	patch_fs_union(a, changed);
	if (!patch_fs_equal(a, me->set) || !patch_fs_empty(changed) || !patch_fs_empty(removed))
		me->changed = true;
	patch_fs_free(me->set);
	me->set = a;
	patch_fs_free(changed);
	mlist_store(&m, newobj, now);
	rc = 0;
out:
	mlist_release(&m);
	mlist_release(&ignore);
	patch_fs_free(added);
	patch_fs_free(modified);
	patch_fs_free(removed);
	cJSON_Delete(o);
	cJSON_Delete(n);
	return rc;
}
