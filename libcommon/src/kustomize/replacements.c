/* replacements: copy a field of one source resource into fields of target resources, with
 * kustomize's field path syntax (a.b.[name=x].c, indices, * wildcards), delimiters and
 * create; and the legacy vars ($(NAME) in the varReference fields). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/json.h"
#include "eddy/mem.h"
#include "kz_int.h"

/* Split on '.', keeping [...] groups whole. */
static size_t split_path(const char *p, char ***out)
{
	size_t n = 0, cap = 8;
	char **v = xmalloc(cap * sizeof(*v));
	const char *start = p;
	int depth = 0;
	for (const char *q = p;; q++) {
		if (*q == '[')
			depth++;
		else if (*q == ']')
			depth--;
		if ((*q == '.' && depth <= 0) || !*q) {
			if (n + 1 >= cap) {
				cap *= 2;
				v = xrealloc(v, cap * sizeof(*v));
			}
			char *sg = xstrndup(start, (size_t)(q - start));
			size_t sl = strlen(sg);
			char *br = strchr(sg, '[');
			/* key[3] is key then index 3 */
			if (br && br > sg && sl > 2 && sg[sl - 1] == ']') {
				*br = 0;
				v[n++] = sg;
				if (n + 1 >= cap) {
					cap *= 2;
					v = xrealloc(v, cap * sizeof(*v));
				}
				v[n++] = xstrndup(br + 1, strlen(br + 1) - 1);
			} else {
				v[n++] = sg;
			}
			if (!*q)
				break;
			start = q + 1;
		}
	}
	*out = v;
	return n;
}

static void free_path(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool is_index(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool scalar_text_eq(const cJSON *v, const char *text)
{
	char tmp[64];
	if (cJSON_IsString(v))
		return !strcmp(v->valuestring, text);
	if (v && v->valuestring)
		return !strcmp(v->valuestring, text);
	if (cJSON_IsNumber(v)) {
		snprintf(tmp, sizeof(tmp), "%.17g", v->valuedouble);
		return !strcmp(tmp, text);
	}
	if (cJSON_IsBool(v))
		return !strcmp(cJSON_IsTrue(v) ? "true" : "false", text);
	return false;
}

typedef struct hits {
	cJSON **parent; /* container of each hit */
	cJSON **node;   /* the hit (NULL when created later) */
	char **key;     /* the key in parent (objects) */
	size_t n, cap;
} hits;

static void hit_add(hits *h, cJSON *parent, cJSON *node, const char *key)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 8;
		h->parent = xrealloc(h->parent, h->cap * sizeof(*h->parent));
		h->node = xrealloc(h->node, h->cap * sizeof(*h->node));
		h->key = xrealloc(h->key, h->cap * sizeof(*h->key));
	}
	h->parent[h->n] = parent;
	h->node[h->n] = node;
	h->key[h->n] = key ? xstrdup(key) : NULL;
	h->n++;
}

static void hits_release(hits *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->key[i]);
	free(h->parent);
	free(h->node);
	free(h->key);
}

/* Find every node at seg[0..n) below cur; create missing map keys when create is set. */
static void lookup(cJSON *parent, cJSON *cur, const char *key, char **seg, size_t n, bool create,
		   hits *h)
{
	if (n == 0) {
		hit_add(h, parent, cur, key);
		return;
	}
	const char *s = seg[0];
	size_t sl = strlen(s);
	if (s[0] == '[' && sl > 2 && s[sl - 1] == ']') {
		char *inner = xstrndup(s + 1, sl - 2);
		char *eq = strchr(inner, '=');
		if (eq && cJSON_IsArray(cur)) {
			*eq = 0;
			cJSON *it;
			bool found = false;
			cJSON_ArrayForEach(it, cur) {
				const cJSON *v = *inner ? json_get(it, inner) : it;
				if (scalar_text_eq(v, eq + 1)) {
					found = true;
					lookup(cur, it, NULL, seg + 1, n - 1, create, h);
				}
			}
			if (!found && create && *inner) {
				cJSON *o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, inner, eq + 1);
				cJSON_AddItemToArray(cur, o);
				lookup(cur, o, NULL, seg + 1, n - 1, create, h);
			}
		} else if (!eq && cJSON_IsObject(cur)) {
			cJSON *c = cJSON_GetObjectItemCaseSensitive(cur, inner);
			if (c) {
				lookup(cur, c, inner, seg + 1, n - 1, create, h);
			} else if (create && n == 1) {
				hit_add(h, cur, NULL, inner);
			} else if (create) {
				c = seg[1][0] == '[' ? cJSON_AddArrayToObject(cur, inner) :
						       cJSON_AddObjectToObject(cur, inner);
				lookup(cur, c, inner, seg + 1, n - 1, create, h);
			}
		}
		free(inner);
		return;
	}
	if (cJSON_IsArray(cur)) {
		if (!strcmp(s, "*") || !strcmp(s, "-")) {
			cJSON *it;
			cJSON_ArrayForEach(it, cur)
				lookup(cur, it, NULL, seg + 1, n - 1, create, h);
		} else if (is_index(s)) {
			cJSON *it = cJSON_GetArrayItem(cur, (int)strtol(s, NULL, 10));
			if (it) {
				lookup(cur, it, NULL, seg + 1, n - 1, create, h);
			} else if (create && strtol(s, NULL, 10) == cJSON_GetArraySize(cur)) {
				/* kyaml's create appends the item one past the end */
				if (n == 1) {
					hit_add(h, cur, NULL, NULL);
					return;
				}
				it = seg[1][0] == '[' || is_index(seg[1]) ? cJSON_CreateArray() :
				     cJSON_CreateObject();
				cJSON_AddItemToArray(cur, it);
				lookup(cur, it, NULL, seg + 1, n - 1, create, h);
			}
		}
		return;
	}
	if (!cJSON_IsObject(cur))
		return;
	if (!strcmp(s, "*")) {
		cJSON *it;
		cJSON_ArrayForEach(it, cur)
			lookup(cur, it, it->string, seg + 1, n - 1, create, h);
		return;
	}
	cJSON *c = cJSON_GetObjectItemCaseSensitive(cur, s);
	if (!c || cJSON_IsNull(c)) {
		if (!create)
			return;
		if (n == 1) {
			hit_add(h, cur, c, s);
			return;
		}
		if (c)
			cJSON_DeleteItemFromObjectCaseSensitive(cur, s);
		c = seg[1][0] == '[' || is_index(seg[1]) ? cJSON_AddArrayToObject(cur, s) :
			cJSON_AddObjectToObject(cur, s);
	}
	lookup(cur, c, s, seg + 1, n - 1, create, h);
}

static bool id_selected(const cJSON *sel, const kz_res *r)
{
	char g[256], v[128];
	const char *sg = json_nonempty(sel, "group"), *sv = json_nonempty(sel, "version");
	const char *sk = json_nonempty(sel, "kind");
	const char *sn = json_nonempty(sel, "name"), *sns = json_nonempty(sel, "namespace");
	kz_split_apiversion(kz_apiversion(r->obj), g, sizeof(g), v, sizeof(v));
	if ((sg && strcmp(sg, g)) || (sv && strcmp(sv, v)) || (sk && strcmp(sk, kz_kind(r->obj))))
		return false;
	for (size_t i = 0; i < r->names.n; i++) {
		if (sn && strcmp(sn, r->names.v[i]))
			continue;
		if (sns) {
			const char *ns = r->nss.v[i];
			if (strcmp(sns, ns) && !(!*ns && !strcmp(sns, "default")))
				continue;
		}
		return true;
	}
	return false;
}

static bool meta_selected(const cJSON *sel, const kz_res *r, err *e)
{
	cJSON *only = cJSON_CreateObject();
	const char *ls = json_nonempty(sel, "labelSelector");
	const char *as = json_nonempty(sel, "annotationSelector");
	if (ls)
		cJSON_AddStringToObject(only, "labelSelector", ls);
	if (as)
		cJSON_AddStringToObject(only, "annotationSelector", as);
	bool ok = kz_selector_matches(only, r->obj, NULL, e);
	cJSON_Delete(only);
	return ok;
}

static char *sel_str(const cJSON *sel)
{
	return kz_resid_str(json_nonempty(sel, "group"), json_nonempty(sel, "version"),
			    json_nonempty(sel, "kind"),
			    json_nonempty(sel, "name"), json_nonempty(sel, "namespace"));
}

static cJSON *source_value(kz_resmap *m, const cJSON *src, err *e)
{
	kz_res *found = NULL;
	for (size_t i = 0; i < m->n; i++) {
		if (!id_selected(src, m->v[i]))
			continue;
		if (found) {
			char *s = sel_str(src);
			err_fail(e, KZ_REASON, "multiple matches for selector %s", s);
			free(s);
			return NULL;
		}
		found = m->v[i];
	}
	if (!found) {
		char *s = sel_str(src);
		err_fail(e, KZ_REASON, "nothing selected by %s", s);
		free(s);
		return NULL;
	}
	const char *fp = json_nonempty(src, "fieldPath");
	if (!fp)
		fp = "metadata.name";
	char **seg;
	size_t n = split_path(fp, &seg);
	hits h = {0};
	lookup(NULL, found->obj, NULL, seg, n, false, &h);
	free_path(seg, n);
	if (h.n == 0 || !h.node[0]) {
		char *id = sel_str(src);
		err_fail(e, KZ_REASON, "fieldPath `%s` is missing for replacement source %s", fp,
			id);
		free(id);
		hits_release(&h);
		return NULL;
	}
	cJSON *val = cJSON_Duplicate(h.node[0], true);
	hits_release(&h);
	const cJSON *opts = json_get(src, "options");
	const char *delim = json_nonempty(opts, "delimiter");
	if (delim && cJSON_IsString(val)) {
		const cJSON *ix = json_get(opts, "index");
		long idx = cJSON_IsNumber(ix) ? (long)ix->valuedouble : 0;
		char *dup = xstrdup(val->valuestring), *p = dup, *hit = NULL;
		long k = 0;
		size_t dl = strlen(delim);
		for (;;) {
			char *q = strstr(p, delim);
			if (q)
				*q = 0;
			if (k == idx)
				hit = p;
			k++;
			if (!q)
				break;
			p = q + dl;
		}
		if (!hit) {
			err_fail(e, KZ_REASON, "options.index %ld is out of bounds for value %s",
				idx,
				 val->valuestring);
			free(dup);
			cJSON_Delete(val);
			return NULL;
		}
		cJSON *nv = cJSON_CreateString(hit);
		free(dup);
		cJSON_Delete(val);
		val = nv;
	}
	return val;
}

static char *text_of(const cJSON *v)
{
	char tmp[64];
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	if (v && v->valuestring)
		return xstrdup(v->valuestring);
	if (cJSON_IsNumber(v)) {
		snprintf(tmp, sizeof(tmp), "%.17g", v->valuedouble);
		return xstrdup(tmp);
	}
	if (cJSON_IsBool(v))
		return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	return xstrdup("");
}

static int put_value(cJSON *parent, cJSON *node, const char *key, const cJSON *val,
		     const cJSON *opts)
{
	cJSON *nv;
	const char *delim = json_nonempty(opts, "delimiter");
	if (delim && node && !cJSON_IsObject(node) && !cJSON_IsArray(node)) {
		char *cur = text_of(node), *v = text_of(val);
		const cJSON *ix = json_get(opts, "index");
		long idx = cJSON_IsNumber(ix) ? (long)ix->valuedouble : 0;
		strv parts = {0};
		size_t dl = strlen(delim);
		char *p = cur;
		for (;;) {
			char *q = strstr(p, delim);
			if (q)
				*q = 0;
			strv_add(&parts, p);
			if (!q)
				break;
			p = q + dl;
		}
		buf b;
		buf_init(&b, (size_t)1 << 30);
		if (idx < 0) {
			buf_adds(&b, v);
			for (size_t i = 0; i < parts.n; i++) {
				buf_adds(&b, delim);
				buf_adds(&b, parts.v[i]);
			}
		} else {
			for (size_t i = 0; i < parts.n; i++) {
				if (i)
					buf_adds(&b, delim);
				buf_adds(&b, (long)i == idx ? v : parts.v[i]);
			}
			if ((size_t)idx >= parts.n) {
				buf_adds(&b, delim);
				buf_adds(&b, v);
			}
		}
		nv = cJSON_CreateString(buf_str(&b));
		buf_release(&b);
		strv_release(&parts);
		free(cur);
		free(v);
	} else if (cJSON_IsString(node) && val && !cJSON_IsString(val) && !cJSON_IsObject(val) &&
		   !cJSON_IsArray(val) && !cJSON_IsNull(val)) {
		/* kustomize copies only the text into a scalar target, which keeps its type */
		char *t = text_of(val);
		nv = cJSON_CreateString(t);
		free(t);
	} else {
		nv = cJSON_Duplicate(val, true);
	}
	if (node) {
		kz_replace(parent, node, nv);
	} else if (cJSON_IsObject(parent) && key) {
		cJSON_AddItemToObject(parent, key, nv);
	} else if (cJSON_IsArray(parent)) {
		cJSON_AddItemToArray(parent, nv);
	} else {
		cJSON_Delete(nv);
	}
	return 0;
}

static int apply_target(kz_resmap *m, const cJSON *val, const cJSON *t, err *e)
{
	const cJSON *sel = json_get(t, "select"), *rej = json_get(t, "reject");
	const cJSON *fps = json_get(t, "fieldPaths"), *opts = json_get(t, "options");
	if (!cJSON_IsObject(sel))
		return err_fail(e, KZ_REASON, "target must specify resources to select");
	bool create = cJSON_IsTrue(json_get(opts, "create"));
	for (size_t i = 0; i < m->n; i++) {
		kz_res *r = m->v[i];
		if (!id_selected(sel, r))
			continue;
		err se = {0};
		if (!meta_selected(sel, r, &se)) {
			if (err_is_set(&se)) {
				*e = se;
				return -1;
			}
			continue;
		}
		bool rejected = false;
		const cJSON *rs;
		cJSON_ArrayForEach(rs, rej) {
			bool any = json_nonempty(rs, "group") || json_nonempty(rs, "version") ||
				   json_nonempty(rs, "kind") || json_nonempty(rs, "name") ||
				   json_nonempty(rs, "namespace");
			bool meta = json_nonempty(rs, "labelSelector") ||
				    json_nonempty(rs, "annotationSelector");
			if ((any && id_selected(rs, r) && (!meta || meta_selected(rs, r, e))) ||
			    (!any && meta && meta_selected(rs, r, e)))
				rejected = true;
		}
		if (rejected)
			continue;
		const cJSON *fp;
		cJSON *deflt = NULL;
		/* per resource: the default list is freed at the end of each iteration */
		const cJSON *paths = fps;
		if (!paths || !cJSON_GetArraySize(paths)) {
			deflt = cJSON_CreateArray();
			cJSON_AddItemToArray(deflt, cJSON_CreateString("metadata.name"));
			paths = deflt;
		}
		cJSON_ArrayForEach(fp, paths) {
			if (!cJSON_IsString(fp))
				continue;
			char **seg;
			size_t n = split_path(fp->valuestring, &seg);
			hits h = {0};
			lookup(NULL, r->obj, NULL, seg, n, create, &h);
			free_path(seg, n);
			if (h.n == 0) {
				err_fail(e, KZ_REASON,
					"unable to find %sfield \"%s\" in replacement "
					 "target", create ? "or create " : "", fp->valuestring);
				hits_release(&h);
				cJSON_Delete(deflt);
				return -1;
			}
			for (size_t k = 0; k < h.n; k++)
				put_value(h.parent[k], h.node[k], h.key[k], val, opts);
			hits_release(&h);
		}
		cJSON_Delete(deflt);
		kz_res_track(r);
	}
	return 0;
}

static int one_replacement(kz_resmap *m, const cJSON *rp, err *e)
{
	const cJSON *src = json_get(rp, "source"), *targets = json_get(rp, "targets"), *t;
	if (!cJSON_IsObject(src))
		return err_fail(e, KZ_REASON, "replacement source must be specified");
	cJSON *val = source_value(m, src, e);
	if (!val)
		return -1;
	int rc = 0;
	cJSON_ArrayForEach(t, targets)
		if (rc == 0)
			rc = apply_target(m, val, t, e);
	cJSON_Delete(val);
	return rc;
}

int kz_replacements_apply(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *list, err *e)
{
	const cJSON *it;
	if (!list)
		return 0;
	cJSON_ArrayForEach(it, list) {
		const char *path = json_nonempty(it, "path");
		if (!path) {
			if (one_replacement(m, it, e) < 0)
				return -1;
			continue;
		}
		char *real = kz_resolve(c, dir, path, e);
		if (!real)
			return -1;
		size_t len;
		char *data = kz_read_file(c, real, &len, e);
		free(real);
		if (!data)
			return -1;
		cJSON *docs = kz_yaml_parse(data, len, e), *d, *r;
		free(data);
		if (!docs)
			return -1;
		int rc = 0;
		cJSON_ArrayForEach(d, docs) {
			if (cJSON_IsArray(d)) {
				cJSON_ArrayForEach(r, d)
					if (rc == 0)
						rc = one_replacement(m, r, e);
			} else if (rc == 0) {
				rc = one_replacement(m, d, e);
			}
		}
		cJSON_Delete(docs);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- vars ---- */

typedef struct var_ctx {
	cJSON *values; /* name -> value */
	strv used;
} var_ctx;

static char *expand(const char *s, var_ctx *vc)
{
	buf b;
	buf_init(&b, (size_t)1 << 30);
	for (const char *p = s; *p;) {
		if (p[0] == '$' && p[1] == '$') {
			/* $$ escapes a literal $( */
			buf_addc(&b, '$');
			p += 2;
			continue;
		}
		if (p[0] == '$' && p[1] == '(') {
			const char *end = strchr(p + 2, ')');
			if (end) {
				char *name = xstrndup(p + 2, (size_t)(end - p - 2));
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(vc->values, name);
				/* kustomize leaves a var whose value is a map or list unreplaced */
				if (v && !cJSON_IsObject(v) && !cJSON_IsArray(v)) {
					char *t = text_of(v);
					buf_adds(&b, t);
					free(t);
					if (!strv_has(&vc->used, name))
						strv_add(&vc->used, name);
					free(name);
					p = end + 1;
					continue;
				}
				free(name);
			}
		}
		buf_addc(&b, *p++);
	}
	return buf_detach(&b, NULL);
}

/* A string that is exactly one known $(VAR) takes the var's value with its type, as
 * kustomize's expansion returns the value itself then; otherwise vars expand as text. */
static void expand_item(cJSON *parent, cJSON *node, var_ctx *vc)
{
	const char *s = node->valuestring;
	size_t n = strlen(s);
	if (n > 3 && s[0] == '$' && s[1] == '(' && s[n - 1] == ')' && !memchr(s + 2, ')', n - 3)) {
		char *name = xstrndup(s + 2, n - 3);
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(vc->values, name);
		if (v && !cJSON_IsString(v) && !cJSON_IsObject(v) && !cJSON_IsArray(v)) {
			if (!strv_has(&vc->used, name))
				strv_add(&vc->used, name);
			kz_replace(parent, node, cJSON_Duplicate(v, true));
			free(name);
			return;
		}
		free(name);
	}
	char *t = expand(s, vc);
	kz_replace(parent, node, cJSON_CreateString(t));
	free(t);
}

static int var_fn(cJSON *parent, const char *key, cJSON *node, void *ud, err *e)
{
	var_ctx *vc = ud;
	(void)key;
	if (cJSON_IsString(node)) {
		if (strstr(node->valuestring, "$("))
			expand_item(parent, node, vc);
	} else if (cJSON_IsArray(node) || cJSON_IsObject(node)) {
		cJSON *it, *next;
		for (it = node->child; it; it = next) {
			next = it->next;
			if (cJSON_IsString(it) && strstr(it->valuestring, "$("))
				expand_item(node, it, vc);
			else if (cJSON_IsArray(node) && (cJSON_IsArray(it) || cJSON_IsObject(it)))
				return err_fail(e, KZ_REASON, "invalid value type expect a string");
		}
	}
	return 0;
}

static const char *const var_kinds[] = {"DaemonSet", "Deployment", "Job", "ReplicaSet",
					"StatefulSet", NULL};
static const char *const var_fields[] = {"args", "command", "env/value",
					 "volumeMounts/mountPath", NULL};

static void var_defaults(kz_fsv *f)
{
	char p[256];
	for (int i = 0; var_fields[i]; i++) {
		for (int c = 0; c < 2; c++) {
			const char *ct = c ? "initContainers" : "containers";
			snprintf(p, sizeof(p), "spec/jobTemplate/spec/template/spec/%s/%s", ct,
				 var_fields[i]);
			kz_fsv_add(f, NULL, NULL, "CronJob", p, false);
			for (int k = 0; var_kinds[k]; k++) {
				snprintf(p, sizeof(p), "spec/template/spec/%s/%s", ct,
					var_fields[i]);
				kz_fsv_add(f, NULL, NULL, var_kinds[k], p, false);
			}
			snprintf(p, sizeof(p), "spec/%s/%s", ct, var_fields[i]);
			kz_fsv_add(f, NULL, NULL, "Pod", p, false);
		}
	}
	/* nfs servers of pod volumes (kubectl v1.33 skips StatefulSet and CronJob templates) */
	for (int k = 0; var_kinds[k]; k++)
		if (strcmp(var_kinds[k], "StatefulSet"))
			kz_fsv_add(f, NULL, NULL, var_kinds[k], "spec/template/spec/volumes/nfs/server",
				   false);
	kz_fsv_add(f, NULL, NULL, "Pod", "spec/volumes/nfs/server", false);
	kz_fsv_add(f, NULL, NULL, "StatefulSet", "spec/volumeClaimTemplates/spec/nfs/server",
		   false);
	kz_fsv_add(f, NULL, NULL, "PersistentVolume", "spec/nfs/server", false);
	kz_fsv_add(f, NULL, NULL, "Ingress", "spec/rules/host", false);
	kz_fsv_add(f, NULL, NULL, "Ingress", "spec/tls/hosts", false);
	kz_fsv_add(f, NULL, NULL, "Ingress", "spec/tls/secretName", false);
	kz_fsv_add(f, NULL, NULL, "Service", "spec/ports/port", false);
	kz_fsv_add(f, NULL, NULL, "Service", "spec/ports/targetPort", false);
	kz_fsv_add(f, NULL, NULL, "Deployment", "spec/template/metadata/annotations", false);
	kz_fsv_add(f, NULL, NULL, NULL, "metadata/labels", false);
	kz_fsv_add(f, NULL, NULL, NULL, "metadata/annotations", false);
}

int kz_vars_resolve(kz_ctx *c, kz_resmap *m, err *e)
{
	const cJSON *v;
	if (!cJSON_GetArraySize(c->vars))
		return 0;
	var_ctx vc = {.values = cJSON_CreateObject()};
	int rc = -1;
	cJSON_ArrayForEach(v, c->vars) {
		const char *name = json_nonempty(v, "name");
		const cJSON *ref = json_get(v, "objref"), *fr = json_get(v, "fieldref");
		if (!name) {
			err_fail(e, KZ_REASON, "var has no name");
			goto out;
		}
		if (cJSON_GetObjectItemCaseSensitive(vc.values, name)) {
			err_fail(e, KZ_REASON, "var '%s' already encountered", name);
			goto out;
		}
		cJSON *sel = cJSON_CreateObject();
		const char *av = json_nonempty(ref, "apiVersion"), *k = json_nonempty(ref, "kind");
		const char *n = json_nonempty(ref, "name");
		const char *ns = json_nonempty(ref, "namespace");
		if (av) {
			char g[256], ver[128];
			kz_split_apiversion(av, g, sizeof(g), ver, sizeof(ver));
			if (*g)
				cJSON_AddStringToObject(sel, "group", g);
			cJSON_AddStringToObject(sel, "version", ver);
		}
		if (k)
			cJSON_AddStringToObject(sel, "kind", k);
		if (n)
			cJSON_AddStringToObject(sel, "name", n);
		if (ns)
			cJSON_AddStringToObject(sel, "namespace", ns);
		const char *fp = json_nonempty(fr, "fieldPath");
		cJSON_AddStringToObject(sel, "fieldPath", fp ? fp : "metadata.name");
		err ve = {0};
		/* the resource the var was bound to when merged, else a search of all */
		kz_res *bound = NULL;
		for (size_t i = 0; i < m->n && !bound; i++)
			if (strv_has(&m->v[i]->refvars, name))
				bound = m->v[i];
		kz_resmap one = {.v = &bound, .n = 1, .cap = 1};
		if (bound) {
			cJSON_DeleteItemFromObjectCaseSensitive(sel, "name");
			cJSON_DeleteItemFromObjectCaseSensitive(sel, "namespace");
		}
		cJSON *val = source_value(bound ? &one : m, sel, &ve);
		cJSON_Delete(sel);
		if (!val) {
			char g[256] = "", ver[128] = "";
			if (av)
				kz_split_apiversion(av, g, sizeof(g), ver, sizeof(ver));
			const char *g0 = json_nonempty(ref, "group");
			const char *v0 = json_nonempty(ref, "version");
			char *gvk = kz_resid_str(g0 && *g0 ? g0 : g, v0 && *v0 ? v0 : ver, k, "", "");
			*strchr(gvk, '/') = '\0';
			if (!strncmp(ve.msg, "fieldPath", 9))
				err_fail(e, KZ_REASON, "field specified in var '{%s %s {%s}}' not "
					 "found in corresponding resource", name, gvk,
					 fp ? fp : "metadata.name");
			else
				err_fail(e, KZ_REASON, "var '{%s %s {%s}}' cannot be mapped to a "
					 "field in the set of known resources", name, gvk,
					 fp ? fp : "metadata.name");
			free(gvk);
			goto out;
		}
		cJSON_AddItemToObject(vc.values, name, val);
	}
	kz_fsv refs = {0};
	var_defaults(&refs);
	for (size_t j = 0; j < c->cfg.var_refs.n; j++) {
		const kz_fieldspec *f = &c->cfg.var_refs.v[j];
		kz_fsv_add(&refs, f->group, f->version, f->kind, f->path, f->create);
	}
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = 0; j < refs.n; j++)
			if (kz_fs_selects(&refs.v[j], m->v[i]->obj) &&
			    kz_fs_walk(m->v[i]->obj, refs.v[j].path, false, var_fn, &vc, e) < 0) {
				const cJSON *o = m->v[i]->obj;
				char g[256], ver[128];
				kz_split_apiversion(kz_apiversion(o), g, sizeof(g), ver, sizeof(ver));
				char *id = kz_resid_str(g, ver, kz_kind(o), kz_name(o), kz_namespace(o));
				err_prefix(e, "considering field '%s' of object %s", refs.v[j].path, id);
				free(id);
				kz_fsv_release(&refs);
				goto out;
			}
	kz_fsv_release(&refs);
	rc = 0;
out:
	cJSON_Delete(vc.values);
	strv_release(&vc.used);
	return rc;
}

int kz_vars_merge_check(kz_resmap *m, const cJSON *vars, err *e)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, vars) {
		const cJSON *ref = json_get(v, "objref");
		const char *av = json_str(ref, "apiVersion"), *k = json_str(ref, "kind");
		const char *n = json_str(ref, "name"), *ns = json_str(ref, "namespace");
		char g[256] = "", ver[128] = "";
		if (av)
			kz_split_apiversion(av, g, sizeof(g), ver, sizeof(ver));
		const char *g0 = json_str(ref, "group"), *v0 = json_str(ref, "version");
		cJSON *sel = cJSON_CreateObject();
		cJSON_AddStringToObject(sel, "group", g0 && *g0 ? g0 : g);
		if ((v0 && *v0) || *ver)
			cJSON_AddStringToObject(sel, "version", v0 && *v0 ? v0 : ver);
		if (k)
			cJSON_AddStringToObject(sel, "kind", k);
		cJSON_AddStringToObject(sel, "name", n ? n : "");
		if (ns && *ns)
			cJSON_AddStringToObject(sel, "namespace", ns);
		size_t hits = 0;
		kz_res *bound = NULL;
		for (size_t i = 0; i < m->n; i++)
			if (id_selected(sel, m->v[i])) {
				hits++;
				bound = m->v[i];
			}
		cJSON_Delete(sel);
		const char *vname = json_str(v, "name");
		if (hits == 1 && vname && !strv_has(&bound->refvars, vname))
			strv_add(&bound->refvars, vname);
		if (hits > 1) {
			const char *name = json_str(v, "name"), *fp = json_str(json_get(v, "fieldref"),
								   "fieldPath");
			char *gvk = kz_resid_str(g0 && *g0 ? g0 : g, v0 && *v0 ? v0 : ver, k, "", "");
			*strchr(gvk, '/') = '\0';
			err_fail(e, KZ_REASON, "found %zu resId matches for var {%s %s {%s}} (unable "
				 "to disambiguate)", hits, name ? name : "", gvk, fp ? fp : "");
			free(gvk);
			return -1;
		}
	}
	return 0;
}
