/* Name references: after names changed (prefix, suffix, hash, namespace), every field that
 * names another resource (the nameReference table) is pointed at that resource's new name. */
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "kz_int.h"

typedef struct nr {
	kz_ctx *c;
	kz_resmap *m;
	kz_resmap cands; /* resources of the target kind (borrowed pointers) */
	const struct kz_nameref *target;
	kz_res *referrer;
	err *e;
} nr;

static bool fuzzy_ns(const char *a, const char *b)
{
	if (!strcmp(a, b))
		return true;
	return (!*a && !strcmp(b, "default")) || (!*b && !strcmp(a, "default"));
}

static bool target_selects(const struct kz_nameref *t, const cJSON *obj)
{
	char g[256], v[128];
	kz_split_apiversion(kz_apiversion(obj), g, sizeof(g), v, sizeof(v));
	if (t->kind && strcmp(t->kind, kz_kind(obj)))
		return false;
	if (t->group && strcmp(t->group, g))
		return false;
	if (t->version && strcmp(t->version, v))
		return false;
	return true;
}

static bool strv_eq(const strv *a, const strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

/* The resource a name (in namespace ns, NULL for any) refers to, or NULL. */
static kz_res *find(nr *x, const char *name, const char *ns, int *ambiguous)
{
	kz_res *cand[64];
	size_t n = 0;
	*ambiguous = 0;
	char g[256], v[128];
	kz_split_apiversion(kz_apiversion(x->referrer->obj), g, sizeof(g), v, sizeof(v));
	bool ref_cluster = kz_is_cluster_scoped(g, kz_kind(x->referrer->obj));
	for (size_t i = 0; i < x->cands.n && n < 64; i++) {
		kz_res *r = x->cands.v[i];
		if (!strv_has(&r->names, name))
			continue;
		bool hit = false;
		for (size_t j = 0; j < r->names.n && !hit; j++) {
			if (strcmp(r->names.v[j], name))
				continue;
			if (ns) {
				hit = fuzzy_ns(ns, r->nss.v[j]) ||
				      fuzzy_ns(ns, kz_namespace(r->obj));
			} else if (ref_cluster) {
				hit = true;
			} else {
				const char *rns = kz_namespace(x->referrer->obj);
				char tg[256], tv[128];
				kz_split_apiversion(kz_apiversion(r->obj), tg, sizeof(tg), tv,
						    sizeof(tv));
				hit = kz_is_cluster_scoped(tg, kz_kind(r->obj)) ||
				      fuzzy_ns(rns, kz_namespace(r->obj)) ||
				      fuzzy_ns(rns, r->nss.v[j]);
			}
		}
		if (hit)
			cand[n++] = r;
	}
	if (n == 0)
		return NULL;
	if (n == 1)
		return cand[0];
	/* several: keep those whose prefixes and suffixes equal the referrer's */
	kz_res *pick = NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (strv_eq(&cand[i]->prefixes, &x->referrer->prefixes) &&
		    strv_eq(&cand[i]->suffixes, &x->referrer->suffixes)) {
			if (!pick || strcmp(kz_name(pick->obj), kz_name(cand[i]->obj)))
				k++;
			pick = cand[i];
		}
	}
	if (k == 1)
		return pick;
	/* all candidates carry the same new name: no ambiguity */
	for (size_t i = 1; i < n; i++)
		if (strcmp(kz_name(cand[i]->obj), kz_name(cand[0]->obj))) {
			*ambiguous = 1;
			return NULL;
		}
	return cand[0];
}

static int fix_string(nr *x, cJSON *parent, cJSON *node)
{
	int amb;
	kz_res *t = find(x, node->valuestring, NULL, &amb);
	if (amb)
		return err_fail(x->e, KZ_REASON, "found multiple possible referrals for %s",
				node->valuestring);
	if (t && strcmp(kz_name(t->obj), node->valuestring))
		kz_replace(parent, node, cJSON_CreateString(kz_name(t->obj)));
	return 0;
}

/* A {name, namespace} map (RBAC subject, webhook service reference). */
static int fix_map(nr *x, cJSON *m)
{
	cJSON *nm = cJSON_GetObjectItemCaseSensitive(m, "name");
	cJSON *ns = cJSON_GetObjectItemCaseSensitive(m, "namespace");
	/* as kustomize, a subject's kind is not looked at: a User named like a renamed
	 * ServiceAccount is renamed too */
	if (!cJSON_IsString(nm))
		return 0;
	int amb;
	kz_res *t = find(x, nm->valuestring, cJSON_IsString(ns) ? ns->valuestring : "", &amb);
	if (!t)
		return 0;
	if (strcmp(kz_name(t->obj), nm->valuestring))
		kz_replace(m, nm, cJSON_CreateString(kz_name(t->obj)));
	const char *tns = kz_namespace(t->obj);
	if (*tns) {
		if (ns)
			kz_replace(m, ns, cJSON_CreateString(tns));
		else
			cJSON_AddStringToObject(m, "namespace", tns);
	}
	return 0;
}

static int ref_fn(cJSON *parent, const char *key, cJSON *node, void *ud, err *e)
{
	nr *x = ud;
	(void)key;
	(void)e;
	if (cJSON_IsString(node))
		return fix_string(x, parent, node);
	if (cJSON_IsArray(node)) {
		cJSON *it, *next;
		for (it = node->child; it; it = next) {
			next = it->next;
			if (cJSON_IsString(it)) {
				if (fix_string(x, node, it) < 0)
					return -1;
			} else if (cJSON_IsObject(it)) {
				if (fix_map(x, it) < 0)
					return -1;
			}
		}
		return 0;
	}
	if (cJSON_IsObject(node))
		return fix_map(x, node);
	return 0;
}

int kz_nameref_fix(kz_ctx *c, kz_resmap *m, err *e)
{
	nr x = {.c = c, .m = m, .e = e};
	for (size_t t = 0; t < c->cfg.n_nameref; t++) {
		x.target = &c->cfg.nameref[t];
		const kz_fsv *refs = &x.target->refs;
		x.cands.n = 0;
		for (size_t i = 0; i < m->n; i++)
			if (target_selects(x.target, m->v[i]->obj))
				kz_resmap_push(&x.cands, m->v[i]);
		if (x.cands.n == 0)
			continue;
		for (size_t i = 0; i < m->n; i++) {
			x.referrer = m->v[i];
			for (size_t j = 0; j < refs->n; j++) {
				if (!kz_fs_selects(&refs->v[j], x.referrer->obj))
					continue;
				if (kz_fs_walk(x.referrer->obj, refs->v[j].path, false, ref_fn, &x,
					       e) < 0) {
					free(x.cands.v);
					return -1;
				}
			}
		}
	}
	free(x.cands.v);
	return 0;
}
