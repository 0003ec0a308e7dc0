/* The simple built-in transformers: namespace, namePrefix/nameSuffix, labels and annotations,
 * images and replicas; and appending resources with kustomize's id conflict rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/json.h"
#include "eddy/regex.h"
#include "eddy/yml.h"
#include "kz_int.h"

int kz_resmap_append(kz_resmap *m, kz_res *r, err *e)
{
	for (size_t i = 0; i < m->n; i++) {
		if (!strcmp(m->v[i]->idkey, r->idkey)) {
			char *id = kz_res_idstr(r);
			err_fail(e, KZ_REASON,
				 "may not add resource with an already registered id: %s", id);
			free(id);
			kz_res_free(r);
			return -1;
		}
	}
	kz_resmap_push(m, r);
	return 0;
}

/* Go's %v of kyaml's ResourceMeta: {{apiVersion kind} {{name namespace} map[..] map[..]}} */
static void go_map(buf *b, const cJSON *m)
{
	int n = cJSON_GetArraySize(m), i = 0;
	const cJSON **keys = xmalloc((size_t)(n ? n : 1) * sizeof *keys);
	const cJSON *it;
	cJSON_ArrayForEach(it, m)
		keys[i++] = it;
	for (int a = 1; a < n; a++)
		for (int z = a; z > 0 && strcmp(keys[z - 1]->string, keys[z]->string) > 0; z--) {
			const cJSON *t = keys[z];
			keys[z] = keys[z - 1];
			keys[z - 1] = t;
		}
	buf_adds(b, "map[");
	for (i = 0; i < n; i++) {
		const char *v = keys[i]->valuestring ? keys[i]->valuestring : "";
		buf_addf(b, "%s%s:%s", i ? " " : "", keys[i]->string, v);
	}
	buf_adds(b, "]");
	free(keys);
}

static char *go_resource_meta(const cJSON *o)
{
	buf b;
	buf_init(&b, 64 * 1024);
	const cJSON *md = json_get(o, "metadata");
	buf_addf(&b, "{{%s %s} {{%s %s} ", kz_apiversion(o), kz_kind(o), kz_name(o),
		   kz_namespace(o));
	go_map(&b, json_get(md, "labels"));
	buf_adds(&b, " ");
	go_map(&b, json_get(md, "annotations"));
	buf_adds(&b, "}}");
	char *s = xstrdup(buf_str(&b));
	buf_release(&b);
	return s;
}

static int add_obj(kz_ctx *c, kz_resmap *m, cJSON *o, const char *origin,
		   err *e)
{
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return err_fail(e, KZ_REASON, "missing Resource metadata");
	}
	const char *kind = kz_kind(o);
	if (!strcmp(kind, "List") || (strlen(kind) > 4 && !strcmp(kind + strlen(kind) - 4,
		"List") &&
				      cJSON_IsArray(json_get(o, "items")))) {
		cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(o, "items"), *it;
		cJSON_Delete(o);
		int rc = 0;
		while (items && (it = cJSON_DetachItemViaPointer(items, items->child)) != NULL) {
			if (rc == 0 && add_obj(c, m, it, origin, e) < 0)
				rc = -1;
			else if (rc)
				cJSON_Delete(it);
		}
		cJSON_Delete(items);
		return rc;
	}
	if (!*kind || !cJSON_IsObject(json_get(o, "metadata")) || !*kz_name(o)) {
		char *meta = go_resource_meta(o);
		err_fail(e, KZ_REASON, "missing %s in object %s", *kind ? "metadata.name" : "kind",
			 meta);
		free(meta);
		cJSON_Delete(o);
		return -1;
	}
	if (m->n >= c->opt.max_resources) {
		cJSON_Delete(o);
		return err_fail(e, KZ_REASON, "more than %zu resources", c->opt.max_resources);
	}
	kz_res *r = kz_res_new(o);
	if (origin)
		r->origin = xstrdup(origin);
	return kz_resmap_append(m, r, e);
}

int kz_load_resources_text(kz_ctx *c, kz_resmap *m, const char *data, size_t len,
			   const char *what, const char *origin, err *e)
{
	cJSON *docs = kz_yaml_parse(data, len, e), *d;
	if (!docs) {
		char msg[ERR_MSG_MAX];
		snprintf(msg, sizeof msg, "%s", e->msg);
		err_fail(e, KZ_MALFORMED, "MalformedYAMLError: %s in File: %s", msg, what);
		return -1;
	}
	int rc = 0;
	while ((d = docs->child) != NULL) {
		cJSON_DetachItemViaPointer(docs, d);
		if (rc == 0 && add_obj(c, m, d, origin, e) < 0)
			rc = -1;
		else if (rc)
			cJSON_Delete(d);
	}
	cJSON_Delete(docs);
	return rc;
}

/* ---- namespace ---- */

static int cmp_idkey(const void *a, const void *b)
{
	return strcmp((*(kz_res *const *)a)->idkey, (*(kz_res *const *)b)->idkey);
}

static int set_ns_fn(cJSON *parent, const char *key, cJSON *node, void *ud, err *e)
{
	const char *ns = ud;
	(void)e;
	if (node && cJSON_IsString(node) && !strcmp(node->valuestring, ns))
		return 0;
	cJSON *n = cJSON_CreateString(ns);
	if (node)
		kz_replace(parent, node, n);
	else
		cJSON_AddItemToObject(parent, key, n);
	return 0;
}

int kz_namespace_apply(kz_ctx *c, kz_resmap *m, const cJSON *cfg, err *e)
{
	const cJSON *nsj = json_get(cfg, "namespace");
	bool unset_only = cJSON_IsTrue(json_get(cfg, "unsetOnly"));
	if (!cJSON_IsString(nsj) || !*nsj->valuestring)
		return 0;
	const char *ns = nsj->valuestring;
	for (size_t i = 0; i < m->n; i++) {
		kz_res *r = m->v[i];
		char g[256], v[128];
		kz_split_apiversion(kz_apiversion(r->obj), g, sizeof(g), v, sizeof(v));
		const char *kind = kz_kind(r->obj);
		if (!strcmp(kind, "Namespace") && !strcmp(g, "")) {
			/* kustomize renames a Namespace object to the target namespace */
			if (!unset_only)
				kz_set_name(r->obj, ns);
			kz_res_track(r);
			continue;
		}
		/* kustomize's roleBindingHack: subjects named "default" (or, with
		 * setRoleBindingSubjects: allServiceAccounts, every ServiceAccount subject) of
		 * (Cluster)RoleBindings move to the namespace too */
		const cJSON *rbs = json_get(cfg, "setRoleBindingSubjects");
		const char *mode = cJSON_IsString(rbs) && *rbs->valuestring ? rbs->valuestring :
				   "defaultOnly";
		if (!strcmp(g, "rbac.authorization.k8s.io") && (!strcmp(kind, "RoleBinding") ||
		    !strcmp(kind, "ClusterRoleBinding")) && strcmp(mode, "none")) {
			cJSON *subj = cJSON_GetObjectItemCaseSensitive(r->obj, "subjects"), *s;
			cJSON_ArrayForEach(s, subj) {
				const cJSON *sn = json_get(s, "name"), *sk = json_get(s, "kind");
				bool hit = !strcmp(mode, "allServiceAccounts") ?
					   cJSON_IsString(sk) && !strcmp(sk->valuestring,
									  "ServiceAccount") :
					   cJSON_IsString(sn) && !strcmp(sn->valuestring, "default");
				if (!hit || !cJSON_IsObject(s))
					continue;
				if (cJSON_GetObjectItemCaseSensitive(s, "namespace"))
					cJSON_ReplaceItemInObjectCaseSensitive(s, "namespace",
									      cJSON_CreateString(ns));
				else
					cJSON_AddStringToObject(s, "namespace", ns);
			}
		}
		bool cluster = kz_is_cluster_scoped(g, kind);
		if (unset_only && *kz_namespace(r->obj))
			continue;
		/* kustomize's metaNamespaceHack: metadata.namespace of every namespaced object,
		 * whatever the field specs say; cluster-scoped objects get only the other fields
		 * (an APIService's or a CRD conversion webhook's service namespace) */
		if (!cluster && kz_fs_walk(r->obj, "metadata/namespace", true, set_ns_fn,
					   (void *)ns, e) < 0)
			return -1;
		for (size_t j = 0; j < c->cfg.namespace.n; j++) {
			const kz_fieldspec *fs = &c->cfg.namespace.v[j];
			if (!kz_fs_selects(fs, r->obj) || !strcmp(fs->path, "metadata/namespace"))
				continue;
			if (kz_fs_walk(r->obj, fs->path, fs->create, set_ns_fn, (void *)ns, e) < 0)
				return -1;
		}
		kz_res_track(r);
	}
	/* ids must stay unique: sort the keys and compare neighbours */
	kz_res **v = xmalloc((m->n ? m->n : 1) * sizeof(*v));
	memcpy(v, m->v, m->n * sizeof(*v));
	qsort(v, m->n, sizeof(*v), cmp_idkey);
	for (size_t i = 1; i < m->n; i++)
		if (!strcmp(v[i - 1]->idkey, v[i]->idkey)) {
			char *id = kz_res_idstr(v[i]);
			err_fail(e, KZ_REASON, "namespace transformation produces ID conflict: %s",
				 id);
			free(id);
			free(v);
			return -1;
		}
	free(v);
	return 0;
}

/* ---- prefix and suffix ---- */

struct ps { const char *p, *s; };

static int ps_fn(cJSON *parent, const char *key, cJSON *node, void *ud, err *e)
{
	struct ps *ps = ud;
	(void)key;
	(void)e;
	if (!cJSON_IsString(node))
		return 0;
	char *n = xasprintf("%s%s%s", ps->p, node->valuestring, ps->s);
	kz_replace(parent, node, cJSON_CreateString(n));
	free(n);
	return 0;
}

int kz_prefix_suffix_apply(kz_ctx *c, kz_resmap *m, const char *prefix, const char *suffix,
			   const kz_fsv *fsv, err *e)
{
	(void)c;
	struct ps ps = {prefix ? prefix : "", suffix ? suffix : ""};
	if (!*ps.p && !*ps.s)
		return 0;
	for (size_t i = 0; i < m->n; i++) {
		kz_res *r = m->v[i];
		char g[256], v[128];
		kz_split_apiversion(kz_apiversion(r->obj), g, sizeof(g), v, sizeof(v));
		const char *kind = kz_kind(r->obj);
		if (!strcmp(kind, "CustomResourceDefinition") || !strcmp(kind, "Namespace") ||
		    (!strcmp(kind, "APIService") && !strcmp(g, "apiregistration.k8s.io")))
			continue;
		for (size_t j = 0; j < fsv->n; j++) {
			const kz_fieldspec *fs = &fsv->v[j];
			if (!kz_fs_selects(fs, r->obj))
				continue;
			if (kz_fs_walk(r->obj, fs->path, false, ps_fn, &ps, e) < 0)
				return -1;
		}
		if (*ps.p)
			strv_add(&r->prefixes, ps.p);
		if (*ps.s)
			strv_add(&r->suffixes, ps.s);
		kz_res_track(r);
	}
	return 0;
}

/* ---- labels and annotations ---- */

static cJSON *str_of(const cJSON *v)
{
	if (cJSON_IsString(v))
		return cJSON_CreateString(v->valuestring);
	if (v && v->valuestring)
		return cJSON_CreateString(v->valuestring);
	if (cJSON_IsTrue(v))
		return cJSON_CreateString("true");
	if (cJSON_IsFalse(v))
		return cJSON_CreateString("false");
	if (cJSON_IsNumber(v)) {
		char t[64];
		snprintf(t, sizeof(t), "%.17g", v->valuedouble);
		return cJSON_CreateString(t);
	}
	return cJSON_CreateString("");
}

static int map_fn(cJSON *parent, const char *key, cJSON *node, void *ud, err *e)
{
	const cJSON *pairs = ud, *it;
	if (!node || cJSON_IsNull(node)) {
		if (node)
			cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
		node = cJSON_AddObjectToObject(parent, key);
	}
	if (!cJSON_IsObject(node))
		return err_fail(e, KZ_REASON, "wrong node kind: expected MappingNode but got %s "
				"at %s", cJSON_IsArray(node) ? "SequenceNode" : "ScalarNode", key);
	cJSON_ArrayForEach(it, pairs) {
		cJSON *v = str_of(it);
		if (cJSON_GetObjectItemCaseSensitive(node, it->string))
			cJSON_ReplaceItemInObjectCaseSensitive(node, it->string, v);
		else
			cJSON_AddItemToObject(node, it->string, v);
	}
	return 0;
}

int kz_labels_apply(kz_ctx *c, kz_resmap *m, const cJSON *pairs, const kz_fsv *fsv, bool labels,
		    err *e)
{
	(void)c;
	(void)labels;
	if (!cJSON_IsObject(pairs) || !pairs->child)
		return 0;
	/* kustomize writes the keys as plain YAML scalars and reads the resource back with
	 * yaml.v3: a key that types as anything but a string breaks its JSON conversion */
	const cJSON *p;
	cJSON_ArrayForEach(p, pairs) {
		err pe = {0};
		cJSON *kv = m->n ? yml_parse_one(p->string, strlen(p->string), NULL, &pe) : NULL;
		bool bad = kv && !cJSON_IsString(kv) && !cJSON_IsObject(kv) && !cJSON_IsArray(kv);
		cJSON_Delete(kv);
		if (bad || (m->n && !*p->string))
			return err_fail(e, KZ_REASON, "%s key %s: json: unsupported type: "
					"map[interface {}]interface {}", labels ? "label" :
					"annotation", p->string);
	}
	for (size_t i = 0; i < m->n; i++) {
		kz_res *r = m->v[i];
		for (size_t j = 0; j < fsv->n; j++) {
			const kz_fieldspec *fs = &fsv->v[j];
			if (!kz_fs_selects(fs, r->obj))
				continue;
			if (kz_fs_walk(r->obj, fs->path, fs->create, map_fn, (void *)pairs, e) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- images ---- */

typedef struct image_rule {
	const char *name, *new_name, *new_tag, *digest;
	rx *re; /* the name as kustomize's regexp, when it has regexp operators */
} image_rule;

static void split_image(const char *img, char **name, char **tag, char **digest)
{
	const char *search = img;
	const char *sl = strchr(img, '/');
	size_t off = 0;
	if (sl && sl > img) {
		search = sl;
		off = (size_t)(sl - img);
	}
	const char *at = strchr(search, '@'), *co = strchr(search, ':');
	*tag = *digest = NULL;
	if (!at && !co) {
		*name = xstrdup(img);
		return;
	}
	if (at && (!co || at < co)) {
		*name = xstrndup(img, off + (size_t)(at - search));
		*digest = xstrdup(at + 1);
		return;
	}
	if (at && co) {
		*name = xstrndup(img, off + (size_t)(co - search));
		*tag = xstrndup(co + 1, (size_t)(at - co - 1));
		*digest = xstrdup(at + 1);
		return;
	}
	*name = xstrndup(img, off + (size_t)(co - search));
	*tag = xstrdup(co + 1);
}

static bool image_matches(const char *s, const char *t)
{
	size_t tl = strlen(t);
	if (strncmp(s, t, tl))
		return false;
	s += tl;
	if (!strncmp(s, "@sha256", 7))
		s += 7;
	if (*s == ':') {
		for (s++; *s; s++)
			if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			      (*s >= '0' && *s <= '9') || strchr("_.{}-", *s)))
				return false;
	}
	return *s == 0;
}

static char *image_update(const image_rule *ir, const char *value)
{
	char *name, *tag, *digest;
	if (ir->re ? rx_test(ir->re, value) != 1 : !image_matches(value, ir->name))
		return NULL;
	split_image(value, &name, &tag, &digest);
	if (ir->new_name && *ir->new_name) {
		free(name);
		name = xstrdup(ir->new_name);
	}
	bool nt = ir->new_tag && *ir->new_tag, nd = ir->digest && *ir->digest;
	if (nt || nd) {
		free(tag);
		free(digest);
		tag = nt ? xstrdup(ir->new_tag) : NULL;
		digest = nd ? xstrdup(ir->digest) : NULL;
	}
	char *out = xasprintf("%s%s%s%s%s", name, tag ? ":" : "", tag ? tag : "",
			      digest ? "@" : "", digest ? digest : "");
	free(name);
	free(tag);
	free(digest);
	return out;
}

static void set_image(cJSON *holder, const image_rule *ir)
{
	cJSON *img = cJSON_GetObjectItemCaseSensitive(holder, "image");
	if (!cJSON_IsString(img))
		return;
	char *n = image_update(ir, img->valuestring);
	if (n) {
		kz_replace(holder, img, cJSON_CreateString(n));
		free(n);
	}
}

/* Every containers/initContainers list anywhere in the object (iterative walk). */
static void legacy_images(cJSON *root, const image_rule *ir)
{
	size_t cap = 64, n = 0;
	cJSON **stack = xmalloc(cap * sizeof(*stack));
	stack[n++] = root;
	while (n) {
		cJSON *o = stack[--n], *it;
		cJSON_ArrayForEach(it, o) {
			if (cJSON_IsObject(o) && it->string && cJSON_IsArray(it) &&
			    (!strcmp(it->string, "containers") ||
			     !strcmp(it->string, "initContainers"))) {
				cJSON *ct;
				cJSON_ArrayForEach(ct, it)
					if (cJSON_IsObject(ct))
						set_image(ct, ir);
			}
			if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
				if (n == cap) {
					cap *= 2;
					stack = xrealloc(stack, cap * sizeof(*stack));
				}
				stack[n++] = it;
			}
		}
	}
	free(stack);
}

static int image_fn(cJSON *parent, const char *key, cJSON *node, void *ud, err *e)
{
	(void)e;
	(void)key;
	if (!cJSON_IsString(node))
		return 0;
	char *n = image_update(ud, node->valuestring);
	if (n) {
		kz_replace(parent, node, cJSON_CreateString(n));
		free(n);
	}
	return 0;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *x = json_get(o, k);
	if (cJSON_IsString(x))
		return x->valuestring;
	if (x && x->valuestring && !cJSON_IsNull(x))
		return x->valuestring;
	return NULL;
}

int kz_images_apply(kz_ctx *c, kz_resmap *m, const cJSON *images, const kz_fsv *fsv, err *e)
{
	const cJSON *im;
	(void)c;
	if (!images)
		return 0;
	if (!cJSON_IsArray(images))
		return err_fail(e, KZ_REASON, "images must be a list");
	cJSON_ArrayForEach(im, images) {
		image_rule ir = {jstr(im, "name"), jstr(im, "newName"), jstr(im, "newTag"),
				 jstr(im, "digest"), NULL};
		if (!ir.name)
			continue;
		/* kustomize matches "^<name>(@sha256)?(:<tag>)?$" as a Go regexp, unanchored
		 * at the start when the name begins with a repetition ("*": any image) */
		if (strpbrk(ir.name, ".*+?()[]{}|^$\\")) {
			bool lead = ir.name[0] == '*';
			char *pat = xasprintf("%s%s(@sha256)?(:[a-zA-Z0-9_.{}-]*)?$", lead ? "" : "^",
					      ir.name + lead);
			/* the name alone must be a whole regexp too (a stray ")" or an unclosed
			 * "[" of the name must not pair with what follows) */
			char *alone = xasprintf("(%s)", ir.name + lead);
			rx *ok = rx_compile(alone, RX_UTF | RX_GO, NULL, 0);
			free(alone);
			if (ok) {
				rx_free(ok);
				ir.re = rx_compile(pat, RX_UTF | RX_GO, NULL, 0);
			}
			free(pat);
			if (!ir.re)
				return err_fail(e, KZ_REASON, "invalid image name regexp %s", ir.name);
		}
		const cJSON *tagj = json_get(im, "newTag");
		char numtag[64];
		if (cJSON_IsNumber(tagj) && !tagj->valuestring) {
			snprintf(numtag, sizeof(numtag), "%.17g", tagj->valuedouble);
			ir.new_tag = numtag;
		}
		for (size_t i = 0; i < m->n; i++) {
			legacy_images(m->v[i]->obj, &ir);
			for (size_t j = 0; j < fsv->n; j++) {
				const kz_fieldspec *fs = &fsv->v[j];
				if (!kz_fs_selects(fs, m->v[i]->obj))
					continue;
				if (kz_fs_walk(m->v[i]->obj, fs->path, false, image_fn, &ir, e) < 0) {
					rx_free(ir.re);
					return -1;
				}
			}
		}
		rx_free(ir.re);
	}
	return 0;
}

/* ---- replicas ---- */

static int replicas_fn(cJSON *parent, const char *key, cJSON *node, void *ud, err *e)
{
	(void)e;
	cJSON *n = cJSON_Duplicate(ud, true);
	if (node)
		kz_replace(parent, node, n);
	else
		cJSON_AddItemToObject(parent, key, n);
	return 0;
}

int kz_replicas_apply(kz_ctx *c, kz_resmap *m, const cJSON *replicas, const kz_fsv *fsv,
		      err *e)
{
	const cJSON *rp;
	(void)c;
	if (!replicas)
		return 0;
	if (!cJSON_IsArray(replicas))
		return err_fail(e, KZ_REASON, "replicas must be a list");
	cJSON_ArrayForEach(rp, replicas) {
		const char *name = jstr(rp, "name");
		const cJSON *count = json_get(rp, "count");
		if (!name)
			continue;
		cJSON *cnt = count ? cJSON_Duplicate(count, true) : cJSON_CreateNumber(0);
		bool found = false;
		for (size_t j = 0; j < fsv->n; j++) {
			const kz_fieldspec *fs = &fsv->v[j];
			for (size_t i = 0; i < m->n; i++) {
				kz_res *r = m->v[i];
				if (!strv_has(&r->names, name) || !kz_fs_selects(fs, r->obj))
					continue;
				found = true;
				if (kz_fs_walk(r->obj, fs->path, fs->create, replicas_fn, cnt,
					e) < 0) {
					cJSON_Delete(cnt);
					return -1;
				}
			}
		}
		cJSON_Delete(cnt);
		if (!found)
			return err_fail(e, KZ_REASON,
				"resource with name %s does not match a config with the "
				"following GVK [Deployment.[noVer].[noGrp] "
				"StatefulSet.[noVer].[noGrp] ReplicaSet.[noVer].[noGrp] "
				"ReplicationController.[noVer].[noGrp]]", name);
	}
	return 0;
}
