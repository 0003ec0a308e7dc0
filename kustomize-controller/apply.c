/* Server-side apply of a Kustomization's objects the way Flux's ssa.ResourceManager does it
 * (fluxcd/pkg ssa manager_apply.go): stages, a dry-run per object with drift detection,
 * recreation on immutable-field errors when forced, the ssa/force/reconcile annotations and
 * the clean-up of metadata left by kubectl and other field managers. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "eddy/mem.h"
#include "eddy/targetsel.h"
#include "kc.h"

#define GROUP "kustomize.toolkit.fluxcd.io"
#define FIELD_MANAGER "kustomize-controller"

enum action { A_SKIPPED, A_UNCHANGED, A_CREATED, A_CONFIGURED };
static const char *const ACTION[] = {"skipped", "unchanged", "created", "configured"};

static const cJSON *jget(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = jget(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* A label or annotation with that key and value, compared case-insensitively (Flux's
 * AnyInMetadata). */
static bool meta_has(const cJSON *o, const char *key, const char *val)
{
	const char *l = kube_obj_label(o, key), *a = kube_obj_annotation(o, key);
	return (l && !strcasecmp(l, val)) || (a && !strcasecmp(a, val));
}

char *kc_fmt_obj(const char *kind, const char *ns, const char *name)
{
	if (ns && *ns)
		return xasprintf("%s/%s/%s", kind ? kind : "", ns, name ? name : "");
	return xasprintf("%s/%s", kind ? kind : "", name ? name : "");
}

/* Is the object's group/Kind in --custom-apply-stage-kinds ("group/Kind" or "Kind" for the
 * core group, comma separated)? */
static bool custom_kind(const char *list, const char *av, const char *kind)
{
	if (!list || !*list || !av || !kind)
		return false;
	const char *slash = strchr(av, '/');
	size_t glen = slash ? (size_t)(slash - av) : 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		const char *s = memchr(p, '/', n);
		const char *g = s ? p : "", *k = s ? s + 1 : p;
		size_t gl = s ? (size_t)(s - p) : 0, kl = s ? n - gl - 1 : n;
		while (kl > 0 && k[0] == ' ')
			k++, kl--;
		while (gl > 0 && g[0] == ' ')
			g++, gl--;
		if (gl == glen && !strncmp(g, av, gl) && strlen(kind) == kl &&
		    !strncmp(k, kind, kl))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Flux's stages (ssa ApplyAllStaged): 0 CRDs, the core Namespace and ClusterRoles; 1 kinds
 * ending in "Class"; 2 the --custom-apply-stage-kinds; 3 the rest. */
static int stage_of(const char *custom, const cJSON *o)
{
	const char *kind = jstr(o, "kind");
	const char *av = jstr(o, "apiVersion");
	if (!kind || !av)
		return 3;
	if ((!strcmp(kind, "CustomResourceDefinition") &&
	     !strncmp(av, "apiextensions.k8s.io/", 21)) ||
	    (!strcmp(kind, "Namespace") && !strcmp(av, "v1")) ||
	    (!strcmp(kind, "ClusterRole") && !strncmp(av, "rbac.authorization.k8s.io/", 26)))
		return 0;
	size_t n = strlen(kind);
	if (n >= 5 && !strcmp(kind + n - 5, "Class"))
		return 1;
	if (custom_kind(custom, av, kind))
		return 2;
	return 3;
}

/* Wait (up to the timeout, polling every 200 ms) for the CRDs of the first stage to be
 * Established, as Flux waits for its first stage before the custom resources are applied. */
static int wait_crds(rt_ctx *ctx, kube_client *k, const cJSON *objs, int64_t timeout_ms,
	err *e)
{
	const cJSON *o;
	cJSON_ArrayForEach(o, objs) {
		if (stage_of(NULL, o) != 0 ||
		    !str_eq(jstr(o, "kind"), "CustomResourceDefinition"))
			continue;
		int64_t until = kube_now_ms() + timeout_ms;
		for (;;) {
			err ge = {0};
			cJSON *cur = kube_get(k, jstr(o, "apiVersion"), "CustomResourceDefinition",
				NULL, kube_obj_name(o), NULL, &ge);
			bool ok = cur && rt_cond_is_true(cur, "Established");
			cJSON_Delete(cur);
			if (ok)
				break;
			if (kube_now_ms() > until || rt_manager_stopping(ctx->m))
				return err_fail(e, "ReconciliationFailed",
					"CustomResourceDefinition/%s is not established",
					kube_obj_name(o));
			usleep(200 * 1000);
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- errors */

/* Flux's IsImmutableError: Conflict or Invalid answers, or a message saying so (webhooks,
 * CEL rules). */
static bool is_immutable(const err *e)
{
	kube_errkind k = kube_errkind_of(e);
	return k == KUBE_ECONFLICT || k == KUBE_EINVALID || strstr(e->msg, "is immutable") ||
	       strstr(e->msg, "immutable field");
}

/* Flux's DryRunErr text. */
static int dry_run_error(err *e, const char *id, const char *ns, const err *de)
{
	if (kube_errkind_of(de) == KUBE_ENOTFOUND) {
		if (!ns || !*ns)
			return err_fail(e, "ReconciliationFailed", "%s namespace not specified: %s",
				id, de->msg);
		return err_fail(e, "ReconciliationFailed", "%s not found: %s", id, de->msg);
	}
	if (de->reason[0] && strcmp(de->reason, "KubeTransportFailed"))
		return err_fail(e, "ReconciliationFailed", "%s dry-run failed (%s): %s", id,
			de->reason, de->msg);
	return err_fail(e, "ReconciliationFailed", "%s dry-run failed: %s", id, de->msg);
}

/* ---------------------------------------------------------------- drift */

static bool maps_equal(const cJSON *a, const cJSON *b)
{
	bool ea = cJSON_GetArraySize(a) == 0, eb = cJSON_GetArraySize(b) == 0;
	if (ea || eb)
		return ea && eb;
	return cJSON_Compare(a, b, true);
}

/* Flux's hasDrifted: labels, annotations, then everything but metadata and status. */
static bool drifted(const cJSON *cur, const cJSON *dry)
{
	const char *rv = kube_obj_rv(dry);
	if (!cur || !rv || !*rv)
		return true;
	const cJSON *cm = jget(cur, "metadata"), *dm = jget(dry, "metadata");
	if (!maps_equal(jget(cm, "labels"), jget(dm, "labels")) ||
	    !maps_equal(jget(cm, "annotations"), jget(dm, "annotations")))
		return true;
	cJSON *a = cJSON_Duplicate(cur, 1), *b = cJSON_Duplicate(dry, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(a, "metadata");
	cJSON_DeleteItemFromObjectCaseSensitive(a, "status");
	cJSON_DeleteItemFromObjectCaseSensitive(b, "metadata");
	cJSON_DeleteItemFromObjectCaseSensitive(b, "status");
	bool same = cJSON_Compare(a, b, true);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return !same;
}

/* ---------------------------------------------------------------- spec.ignore */

/* RFC 6901 JSON pointers, at most this deep. */
#define PTR_MAX_TOKENS 64

/* Splits a JSON pointer into its unescaped reference tokens (~1 is '/', ~0 is '~'),
 * allocated in one block: toks[0..n-1]. "" (the whole document) gives n = 0. -1 when the
 * pointer does not start with '/', has another '~' escape or is too deep. Free *toks. */
static int ptr_parse(const char *ptr, char ***toks, size_t *n)
{
	*toks = NULL;
	*n = 0;
	if (!ptr || (*ptr && *ptr != '/'))
		return -1;
	size_t len = strlen(ptr), cnt = 0;
	for (const char *p = ptr; *p; p++)
		if (*p == '/')
			cnt++;
	if (cnt > PTR_MAX_TOKENS)
		return -1;
	char **v = xmalloc((cnt + 1) * sizeof *v + len + 1);
	char *q = (char *)(v + cnt + 1);
	size_t i = 0;
	for (const char *p = ptr; *p;) {
		p++; /* the '/' */
		v[i++] = q;
		for (; *p && *p != '/'; p++) {
			if (*p != '~') {
				*q++ = *p;
				continue;
			}
			if (p[1] != '0' && p[1] != '1') {
				free(v);
				return -1;
			}
			*q++ = p[1] == '0' ? '~' : '/';
			p++;
		}
		*q++ = 0;
	}
	v[i] = NULL;
	*toks = v;
	*n = cnt;
	return 0;
}

/* An array index token: "0" or digits without a leading zero, below the array size. */
static int ptr_index(const char *t, const cJSON *arr)
{
	if (!*t || (t[0] == '0' && t[1]) || strspn(t, "0123456789") != strlen(t) ||
	    strlen(t) > 9)
		return -1;
	long i = strtol(t, NULL, 10);
	return i < cJSON_GetArraySize(arr) ? (int)i : -1;
}

static cJSON *ptr_step(cJSON *cur, const char *t)
{
	if (cJSON_IsObject(cur))
		return cJSON_GetObjectItemCaseSensitive(cur, t);
	if (cJSON_IsArray(cur)) {
		int i = ptr_index(t, cur);
		return i < 0 ? NULL : cJSON_GetArrayItem(cur, i);
	}
	return NULL;
}

/* The value at the pointer in doc (borrowed), or NULL when absent or invalid. */
static cJSON *ptr_get(cJSON *doc, const char *ptr)
{
	char **t;
	size_t n;
	if (ptr_parse(ptr, &t, &n) < 0)
		return NULL;
	cJSON *cur = doc;
	for (size_t i = 0; i < n && cur; i++)
		cur = ptr_step(cur, t[i]);
	free(t);
	return cur;
}

/* Removes the value at the pointer from doc (not the document itself); true when removed. */
static bool ptr_remove(cJSON *doc, const char *ptr)
{
	char **t;
	size_t n;
	if (ptr_parse(ptr, &t, &n) < 0)
		return false;
	bool done = false;
	cJSON *cur = doc;
	for (size_t i = 0; n > 0 && i + 1 < n && cur; i++)
		cur = ptr_step(cur, t[i]);
	if (n > 0 && cJSON_IsObject(cur) && cJSON_GetObjectItemCaseSensitive(cur, t[n - 1])) {
		cJSON_DeleteItemFromObjectCaseSensitive(cur, t[n - 1]);
		done = true;
	} else if (n > 0 && cJSON_IsArray(cur) && ptr_index(t[n - 1], cur) >= 0) {
		cJSON_DeleteItemFromArray(cur, ptr_index(t[n - 1], cur));
		done = true;
	}
	free(t);
	return done;
}

/* Replaces the existing value at the pointer in doc by val (taken); false (val freed) when
 * there is no value there. */
static bool ptr_replace(cJSON *doc, const char *ptr, cJSON *val)
{
	char **t;
	size_t n;
	bool done = false;
	if (ptr_parse(ptr, &t, &n) < 0 || n == 0) {
		free(t);
		cJSON_Delete(val);
		return false;
	}
	cJSON *cur = doc;
	for (size_t i = 0; i + 1 < n && cur; i++)
		cur = ptr_step(cur, t[i]);
	if (cJSON_IsObject(cur) && cJSON_GetObjectItemCaseSensitive(cur, t[n - 1]))
		done = cJSON_ReplaceItemInObjectCaseSensitive(cur, t[n - 1], val);
	else if (cJSON_IsArray(cur) && ptr_index(t[n - 1], cur) >= 0)
		done = cJSON_ReplaceItemInArray(cur, ptr_index(t[n - 1], cur), val);
	if (!done)
		cJSON_Delete(val);
	free(t);
	return done;
}

/* Does obj match a spec.ignore[].target (Flux's jsondiff Selector: anchored regexes for
 * group, version, kind, name and namespace, label and annotation selectors)? No target
 * matches every object. */
static bool ignore_target_matches(const cJSON *target, const cJSON *obj)
{
	if (!cJSON_IsObject(target))
		return true;
	const char *av = jstr(obj, "apiVersion");
	char group[256] = "", version[128] = "";
	const char *slash = av ? strchr(av, '/') : NULL;
	if (slash) {
		snprintf(group, sizeof group, "%.*s", (int)(slash - av), av);
		snprintf(version, sizeof version, "%s", slash + 1);
	} else if (av) {
		snprintf(version, sizeof version, "%s", av);
	}
	const cJSON *md = jget(obj, "metadata");
	tsel_obj o = {
		.group = group,
		.version = version,
		.kind = jstr(obj, "kind"),
		.name = {kube_obj_name(obj)},
		.ns = {kube_obj_namespace(obj)},
		.labels = jget(md, "labels"),
		.annotations = jget(md, "annotations"),
	};
	/* An invalid regex or selector selects nothing. */
	tsel t;
	tsel_init(&t, target, TSEL_GVK_REGEX, "");
	bool ok = tsel_match(&t, &o, NULL) == 1;
	tsel_release(&t);
	return ok;
}

/* The spec.ignore paths that apply to obj (a new array of strings), or NULL when none. */
static cJSON *ignore_paths_for(const cJSON *rules, const cJSON *obj)
{
	cJSON *out = NULL;
	const cJSON *r;
	cJSON_ArrayForEach(r, rules) {
		if (!ignore_target_matches(jget(r, "target"), obj))
			continue;
		const cJSON *p;
		cJSON_ArrayForEach(p, jget(r, "paths")) {
			if (!cJSON_IsString(p) || !*p->valuestring)
				continue;
			if (!out)
				out = cJSON_CreateArray();
			cJSON_AddItemToArray(out, cJSON_CreateString(p->valuestring));
		}
	}
	return out;
}

/* hasDrifted with the ignored paths removed from both sides first. */
static bool drifted_ignoring(const cJSON *cur, const cJSON *dry, const cJSON *paths)
{
	if (!paths || !cur)
		return drifted(cur, dry);
	cJSON *a = cJSON_Duplicate(cur, 1), *b = cJSON_Duplicate(dry, 1);
	const cJSON *p;
	cJSON_ArrayForEach(p, paths) {
		ptr_remove(a, p->valuestring);
		ptr_remove(b, p->valuestring);
	}
	bool d = drifted(a, b);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return d;
}

/* ---------------------------------------------------------------- metadata clean-up */

static char *pointer_escape(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p; p++)
		n += (*p == '~' || *p == '/') ? 2 : 1;
	char *out = xmalloc(n + 1), *q = out;
	for (const char *p = s; *p; p++) {
		if (*p == '~') {
			*q++ = '~';
			*q++ = '0';
		} else if (*p == '/') {
			*q++ = '~';
			*q++ = '1';
		} else {
			*q++ = *p;
		}
	}
	*q = 0;
	return out;
}

static void add_remove(cJSON *patch, const char *field, const char *key)
{
	char *esc = pointer_escape(key);
	char *path = xasprintf("/metadata/%s/%s", field, esc);
	cJSON *op = cJSON_CreateObject();
	cJSON_AddStringToObject(op, "op", "remove");
	cJSON_AddStringToObject(op, "path", path);
	cJSON_AddItemToArray(patch, op);
	free(path);
	free(esc);
}

/* Union of two managedFields fieldsV1 trees into dst. */
static void fields_union(cJSON *dst, const cJSON *src)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, src) {
		cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, it->string);
		if (!d)
			cJSON_AddItemToObject(dst, it->string, cJSON_Duplicate(it, 1));
		else if (cJSON_IsObject(d) && cJSON_IsObject(it))
			fields_union(d, it);
	}
}

/* Does this managedFields entry belong to a manager Flux takes fields over from? */
static bool foreign_manager(kc_ctx *kc, const cJSON *ent)
{
	static const struct {
		const char *name, *op;
	} fixed[] = {
		{"kubectl", "Apply"},            /* kubectl apply --server-side */
		{"kubectl", "Update"},           /* kubectl apply, edit, patch, ... */
		{"before-first-apply", "Update"},
		{FIELD_MANAGER, "Update"},       /* the controller before server-side apply */
	};
	const char *m = jstr(ent, "manager"), *op = jstr(ent, "operation");
	const char *sub = jstr(ent, "subresource");
	if (!m || !op || (sub && *sub))
		return false;
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		if (!strncmp(m, fixed[i].name, strlen(fixed[i].name)) && !strcmp(op, fixed[i].op))
			return true;
	if (kc && kc->override_managers)
		for (size_t i = 0; i < kc->override_managers->n; i++) {
			const char *n = kc->override_managers->v[i];
			if (n && *n && !strncmp(m, n, strlen(n)) &&
			    (!strcmp(op, "Apply") || !strcmp(op, "Update")))
				return true;
		}
	return false;
}

/* The managedFields of cur with the foreign managers' fields handed to kustomize-controller
 * (Apply), or NULL when there are none. */
static cJSON *take_over_fields(kc_ctx *kc, const cJSON *cur)
{
	const cJSON *mf = jget(jget(cur, "metadata"), "managedFields");
	const cJSON *it;
	bool any = false;
	cJSON_ArrayForEach(it, mf)
		if (foreign_manager(kc, it))
			any = true;
	if (!any)
		return NULL;
	cJSON *out = cJSON_CreateArray();
	cJSON *ours = NULL;
	cJSON_ArrayForEach(it, mf) {
		const char *sub = jstr(it, "subresource");
		if (str_eq(jstr(it, "manager"), FIELD_MANAGER) &&
		    str_eq(jstr(it, "operation"), "Apply") && (!sub || !*sub) && !ours) {
			ours = cJSON_Duplicate(it, 1);
			cJSON_AddItemToArray(out, ours);
		}
	}
	cJSON_ArrayForEach(it, mf) {
		if (foreign_manager(kc, it)) {
			if (!ours) {
				ours = cJSON_Duplicate(it, 1);
				cJSON_DeleteItemFromObjectCaseSensitive(ours, "manager");
				cJSON_DeleteItemFromObjectCaseSensitive(ours, "operation");
				cJSON_AddStringToObject(ours, "manager", FIELD_MANAGER);
				cJSON_AddStringToObject(ours, "operation", "Apply");
				cJSON_AddItemToArray(out, ours);
				continue;
			}
			cJSON *f = cJSON_GetObjectItemCaseSensitive(ours, "fieldsV1");
			if (!cJSON_IsObject(f)) {
				cJSON_DeleteItemFromObjectCaseSensitive(ours, "fieldsV1");
				f = cJSON_AddObjectToObject(ours, "fieldsV1");
			}
			fields_union(f, jget(it, "fieldsV1"));
			continue;
		}
		if (!(str_eq(jstr(it, "manager"), FIELD_MANAGER) &&
		      str_eq(jstr(it, "operation"), "Apply") &&
		      !(jstr(it, "subresource") && *jstr(it, "subresource"))))
			cJSON_AddItemToArray(out, cJSON_Duplicate(it, 1));
	}
	return out;
}

/* Does another field manager own the field at the pointer through a server-side apply
 * (an Apply entry of metadata.managedFields that is not kustomize-controller's and not one
 * whose fields the clean-up hands over)? Only object keys are followed: a pointer through an
 * array element is never reported as co-owned. */
static bool ignore_co_owned(kc_ctx *kc, const cJSON *cur, const char *ptr)
{
	char **t;
	size_t n;
	if (ptr_parse(ptr, &t, &n) < 0 || n == 0) {
		free(t);
		return false;
	}
	bool owned = false;
	const cJSON *ent;
	cJSON_ArrayForEach(ent, jget(jget(cur, "metadata"), "managedFields")) {
		const char *sub = jstr(ent, "subresource");
		if (!str_eq(jstr(ent, "operation"), "Apply") || (sub && *sub) ||
		    str_eq(jstr(ent, "manager"), FIELD_MANAGER) || foreign_manager(kc, ent))
			continue;
		const cJSON *f = jget(ent, "fieldsV1");
		for (size_t i = 0; i < n && f; i++) {
			char *key = xasprintf("f:%s", t[i]);
			f = jget(f, key);
			free(key);
		}
		if (f) {
			owned = true;
			break;
		}
	}
	free(t);
	return owned;
}

/* The object to apply to an existing object with ignored paths, as Flux reshapes it: every
 * ignored field present in desired whose cluster value differs from the dry-run's is removed
 * when another manager co-owns it by server-side apply (kustomize-controller releases it),
 * else it takes the cluster's value (adopted), so the apply keeps what is in the cluster.
 * Fields that did not drift, or are absent in the cluster or in desired, are left as desired.
 * NULL when nothing changes. */
static cJSON *ignore_payload(kc_ctx *kc, const cJSON *desired, const cJSON *cur,
	const cJSON *dry, const cJSON *paths)
{
	cJSON *out = NULL;
	const cJSON *p;
	cJSON_ArrayForEach(p, paths) {
		const char *ptr = p->valuestring;
		cJSON *cv = ptr_get((cJSON *)cur, ptr), *dv = ptr_get((cJSON *)dry, ptr);
		if (!cv || (dv && cJSON_Compare(cv, dv, true)))
			continue;
		if (!ptr_get((cJSON *)(out ? out : desired), ptr))
			continue;
		if (!out)
			out = cJSON_Duplicate(desired, 1);
		if (ignore_co_owned(kc, cur, ptr))
			ptr_remove(out, ptr);
		else
			ptr_replace(out, ptr, cJSON_Duplicate(cv, 1));
	}
	return out;
}

/* Flux's cleanupMetadata: one JSON patch removing kubectl's last-applied annotation, the
 * checksums of Flux v1, its gc label, and handing the fields of kubectl and the override
 * managers to kustomize-controller. 1 when patched, 0 when nothing to do, -1 on error. */
static int cleanup_metadata(kc_ctx *kc, kube_client *k, const cJSON *desired,
	const cJSON *cur, err *e)
{
	static const char *const anns[] = {"kubectl.kubernetes.io/last-applied-configuration",
		GROUP "/checksum", "fluxcd.io/sync-checksum"};
	static const char *const labels[] = {"fluxcd.io/sync-gc-mark"};
	if (!cur || meta_has(desired, GROUP "/ssa", "Merge") || meta_has(cur, GROUP "/ssa",
	    "Merge"))
		return 0;
	cJSON *patch = cJSON_CreateArray();
	for (size_t i = 0; i < sizeof anns / sizeof *anns; i++)
		if (kube_obj_annotation(cur, anns[i]))
			add_remove(patch, "annotations", anns[i]);
	for (size_t i = 0; i < sizeof labels / sizeof *labels; i++)
		if (kube_obj_label(cur, labels[i]))
			add_remove(patch, "labels", labels[i]);
	cJSON *mf = take_over_fields(kc, cur);
	if (mf) {
		cJSON *op = cJSON_CreateObject();
		cJSON_AddStringToObject(op, "op", "replace");
		cJSON_AddStringToObject(op, "path", "/metadata/managedFields");
		cJSON_AddItemToObject(op, "value", mf);
		cJSON_AddItemToArray(patch, op);
	}
	int rc = 0;
	if (cJSON_GetArraySize(patch) > 0) {
		kube_opts ko = {.field_manager = FIELD_MANAGER};
		cJSON *out = kube_patch(k, jstr(desired, "apiVersion"), jstr(desired, "kind"),
			kube_obj_namespace(desired), kube_obj_name(desired), KUBE_PATCH_JSON, patch,
			&ko, e);
		rc = out ? 1 : -1;
		cJSON_Delete(out);
	}
	cJSON_Delete(patch);
	return rc;
}

/* ---------------------------------------------------------------- apply */

typedef struct item {
	cJSON *o;        /* borrowed from objs */
	char *id;        /* Kind/ns/name */
	enum action action;
	cJSON *payload;  /* what to apply instead of o (spec.ignore), or NULL */
	bool failed;     /* plan() failed with e */
	err e;
} item;

/* Flux's apply order within a stage (ssa/sort.go): these kinds first, in this order, the
 * webhook configurations last, everything else between; ties by group, kind, namespace and
 * name. */
static int kind_index(const char *kind)
{
	static const char *const first[] = {"CustomResourceDefinition", "Namespace",
		"ClusterRole", "ClusterClass", "RuntimeClass", "PriorityClass", "StorageClass",
		"VolumeSnapshotClass", "IngressClass", "GatewayClass", "ClusterRoleBinding",
		"ResourceQuota", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Secret",
		"Service", "LimitRange", "Deployment", "StatefulSet", "CronJob",
		"PodDisruptionBudget"};
	static const char *const last[] = {"MutatingWebhookConfiguration",
		"ValidatingWebhookConfiguration"};
	const int nfirst = (int)(sizeof first / sizeof *first);
	for (int i = 0; i < nfirst; i++)
		if (!strcmp(kind, first[i]))
			return -nfirst + i;
	for (int i = 0; i < (int)(sizeof last / sizeof *last); i++)
		if (!strcmp(kind, last[i]))
			return 1 + i;
	return 0;
}

static int cmp_items(const void *pa, const void *pb)
{
	const cJSON *a = ((const item *)pa)->o, *b = ((const item *)pb)->o;
	const char *ka = jstr(a, "kind"), *kb = jstr(b, "kind");
	int ia = kind_index(ka), ib = kind_index(kb);
	if (ia != ib)
		return ia < ib ? -1 : 1;
	const char *ava = jstr(a, "apiVersion"), *avb = jstr(b, "apiVersion");
	const char *sa = strchr(ava, '/'), *sb = strchr(avb, '/');
	size_t ga = sa ? (size_t)(sa - ava) : 0, gb = sb ? (size_t)(sb - avb) : 0;
	int c = strncmp(ava, avb, ga < gb ? ga : gb);
	if (c == 0 && ga != gb)
		c = ga < gb ? -1 : 1;
	if (c == 0)
		c = strcmp(ka, kb);
	if (c == 0)
		c = strcmp(kube_obj_namespace(a) ? kube_obj_namespace(a) : "",
			kube_obj_namespace(b) ? kube_obj_namespace(b) : "");
	if (c == 0)
		c = strcmp(kube_obj_name(a), kube_obj_name(b));
	return c;
}

/* Delete the object in the cluster (immutable change, forced) and wait until it is gone. */
static int recreate(rt_ctx *ctx, kube_client *k, const cJSON *desired, const char *id,
	int64_t timeout_ms, err *e)
{
	const char *av = jstr(desired, "apiVersion"), *kind = jstr(desired, "kind");
	const char *ns = kube_obj_namespace(desired), *name = kube_obj_name(desired);
	kube_opts o = {.propagation = "Background"};
	err de = {0};
	if (kube_delete(k, av, kind, ns, name, &o, &de) < 0 &&
	    kube_errkind_of(&de) != KUBE_ENOTFOUND)
		return err_fail(e, "ReconciliationFailed",
			"%s immutable field detected, failed to delete object: %s", id, de.msg);
	int64_t until = kube_now_ms() + timeout_ms;
	for (;;) {
		err ge = {0};
		cJSON *x = kube_get(k, av, kind, ns, name, NULL, &ge);
		cJSON_Delete(x);
		if (!x && kube_errkind_of(&ge) == KUBE_ENOTFOUND)
			return 0;
		if (!x || kube_now_ms() > until || rt_manager_stopping(ctx->m))
			return err_fail(e, "ReconciliationFailed", "%s immutable field detected, "
				"failed to wait for object to be deleted: %s", id,
				x ? "timeout" : ge.msg);
		usleep(200 * 1000);
	}
}

/* Dry-run one object and decide what to do with it (it->action). */
static int plan(rt_ctx *ctx, kube_client *k, item *it, const kc_apply_opts *opts, err *e)
{
	kc_ctx *kc = ctx->ud;
	cJSON *o = it->o;
	const char *av = jstr(o, "apiVersion"), *kind = jstr(o, "kind");
	const char *ns = kube_obj_namespace(o), *name = kube_obj_name(o);
	err ge = {0};
	cJSON *cur = kube_get(k, av, kind, ns, name, NULL, &ge);
	if (meta_has(o, GROUP "/reconcile", "disabled") || meta_has(o, GROUP "/ssa", "Ignore") ||
	    (cur && (meta_has(cur, GROUP "/reconcile", "disabled") ||
		     meta_has(cur, GROUP "/ssa", "Ignore"))) ||
	    (cur && kube_obj_uid(cur) && meta_has(o, GROUP "/ssa", "IfNotPresent"))) {
		it->action = A_SKIPPED;
		cJSON_Delete(cur);
		return 0;
	}
	kube_opts dro = {.field_manager = FIELD_MANAGER, .force = true, .dry_run = true};
	err de = {0};
	cJSON *dry = kube_apply(k, o, &dro, &de);
	if (!dry && cur && is_immutable(&de) &&
	    (opts->force || meta_has(o, GROUP "/force", "enabled") ||
	     meta_has(cur, GROUP "/force", "enabled"))) {
		log_info(&ctx->log, "immutable field detected, recreating object",
			LOG_S("object", it->id));
		if (recreate(ctx, k, o, it->id, opts->wait_timeout_ms, e) < 0) {
			cJSON_Delete(cur);
			return -1;
		}
		cJSON_Delete(cur);
		cur = NULL;
		memset(&de, 0, sizeof de);
		dry = kube_apply(k, o, &dro, &de);
	}
	if (!dry) {
		cJSON_Delete(cur);
		return dry_run_error(e, it->id, ns, &de);
	}
	err ce = {0};
	int patched = cleanup_metadata(kc, k, o, cur, &ce);
	if (patched < 0) {
		cJSON_Delete(cur);
		cJSON_Delete(dry);
		return err_fail(e, "ReconciliationFailed",
			"%s metadata.managedFields cleanup failed: %s", it->id, ce.msg);
	}
	const char *rv = kube_obj_rv(dry);
	cJSON *paths = rv && *rv && cur ? ignore_paths_for(opts->ignore, o) : NULL;
	if (!rv || !*rv)
		it->action = A_CREATED;
	else if (patched || drifted_ignoring(cur, dry, paths))
		it->action = A_CONFIGURED;
	else
		it->action = A_UNCHANGED;
	if (it->action == A_CONFIGURED && paths)
		it->payload = ignore_payload(kc, o, cur, dry, paths);
	cJSON_Delete(paths);
	cJSON_Delete(cur);
	cJSON_Delete(dry);
	return 0;
}

/* The plans of a stage run on up to --concurrent-ssa threads (Flux's errgroup with
 * SetLimit); the first failure stops handing out further objects. */
typedef struct planner {
	rt_ctx *ctx;
	kube_client *k;
	const kc_apply_opts *opts;
	item *items;
	size_t n, next;
	bool failed;
	pthread_mutex_t mu;
} planner;

static void *plan_worker(void *arg)
{
	planner *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->failed ? p->n : p->next;
		if (i < p->n)
			p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			return NULL;
		item *it = &p->items[i];
		if (plan(p->ctx, p->k, it, p->opts, &it->e) < 0) {
			it->failed = true;
			pthread_mutex_lock(&p->mu);
			p->failed = true;
			pthread_mutex_unlock(&p->mu);
		}
	}
}

/* Plans every item; on failure e holds the error of the first failed item in apply order. */
static int plan_all(rt_ctx *ctx, kube_client *k, item *items, size_t n,
	const kc_apply_opts *opts, err *e)
{
	planner p = {.ctx = ctx, .k = k, .opts = opts, .items = items, .n = n};
	pthread_mutex_init(&p.mu, NULL);
	size_t nt = opts->concurrency > 1 ? (size_t)opts->concurrency : 1;
	if (nt > n)
		nt = n;
	pthread_t th[64];
	size_t started = 0;
	if (nt > sizeof th / sizeof *th)
		nt = sizeof th / sizeof *th;
	for (size_t i = 1; i < nt; i++)
		if (pthread_create(&th[started], NULL, plan_worker, &p) == 0)
			started++;
	plan_worker(&p);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	for (size_t i = 0; i < n; i++)
		if (items[i].failed) {
			*e = items[i].e;
			return -1;
		}
	return 0;
}

/* Resolve the object's resource: cluster-scoped objects lose metadata.namespace. */
static int normalise_scope(kube_client *k, cJSON *o, err *e)
{
	const char *av = jstr(o, "apiVersion"), *kind = jstr(o, "kind");
	const char *name = kube_obj_name(o), *ns = kube_obj_namespace(o);
	kube_resource res = {0};
	if (kube_resolve(k, av, kind, &res, e) < 0) {
		char *id = kc_fmt_obj(kind, ns, name);
		err_prefix(e, "%s dry-run failed", id);
		free(id);
		snprintf(e->reason, sizeof e->reason, "ReconciliationFailed");
		return -1;
	}
	bool namespaced = res.namespaced;
	kube_resource_release(&res);
	if (namespaced && (!ns || !*ns))
		return err_fail(e, "ReconciliationFailed",
			"%s/%s namespace not specified: the server could not find the requested "
			"resource", kind, name);
	if (!namespaced && ns)
		cJSON_DeleteItemFromObjectCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(o, "metadata"), "namespace");
	return 0;
}

static int apply_stage(rt_ctx *ctx, kube_client *k, cJSON *objs, int stage,
	const kc_apply_opts *opts, buf *changed, buf *all, bool *crds, err *e)
{
	size_t n = 0, cap = 0;
	item *items = NULL;
	int rc = 0;
	cJSON *o;
	cJSON_ArrayForEach(o, objs) {
		if (stage_of(opts->custom_stage_kinds, o) != stage)
			continue;
		if (normalise_scope(k, o, e) < 0) {
			rc = -1;
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			items = xrealloc(items, cap * sizeof *items);
		}
		items[n].o = o;
		items[n].id = kc_fmt_obj(jstr(o, "kind"), kube_obj_namespace(o), kube_obj_name(o));
		items[n].action = A_SKIPPED;
		items[n].payload = NULL;
		items[n].failed = false;
		memset(&items[n].e, 0, sizeof items[n].e);
		n++;
	}
	if (n > 1)
		qsort(items, n, sizeof *items, cmp_items);
	if (n > 0 && plan_all(ctx, k, items, n, opts, e) < 0) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		item *it = &items[i];
		if (it->action == A_CREATED || it->action == A_CONFIGURED) {
			kube_opts ko = {.field_manager = FIELD_MANAGER, .force = true};
			err ae = {0};
			cJSON *out = kube_apply(k, it->payload ? it->payload : it->o, &ko, &ae);
			if (!out) {
				rc = err_fail(e, "ReconciliationFailed", "%s apply failed: %s",
					it->id, ae.msg);
				goto out;
			}
			cJSON_Delete(out);
			buf_addf(changed, "%s %s\n", it->id, ACTION[it->action]);
			if (str_eq(jstr(it->o, "kind"), "CustomResourceDefinition"))
				*crds = true;
		}
		buf_addf(all, "%s %s\n", it->id, ACTION[it->action]);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(items[i].id);
		cJSON_Delete(items[i].payload);
	}
	free(items);
	return rc;
}

int kc_apply_all(rt_ctx *ctx, kube_client *k, cJSON *objs, const kc_apply_opts *o,
	buf *changed, err *e)
{
	kc_apply_opts opts = *o;
	if (opts.wait_timeout_ms <= 0)
		opts.wait_timeout_ms = 60000;
	bool crds = false;
	buf all;
	buf_init(&all, 1u << 20);
	int rc = 0;
	for (int stage = 0; stage < 4 && rc == 0; stage++) {
		if (stage > 0 && crds) {
			if (wait_crds(ctx, k, objs, opts.wait_timeout_ms, e) < 0) {
				rc = -1;
				break;
			}
			kube_discovery_invalidate(k);
			crds = false;
		}
		rc = apply_stage(ctx, k, objs, stage, &opts, changed, &all, &crds, e);
	}
	if (rc == 0 && all.len)
		log_info(&ctx->log, "server-side apply completed", LOG_S("output", buf_str(&all)));
	buf_release(&all);
	return rc;
}
