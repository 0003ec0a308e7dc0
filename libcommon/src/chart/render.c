/* Rendering a chart the way `helm template` does: dependencies, values, templates, sorting. */
#include "eddy/mem.h"
#include "eddy/semver.h"
#include "chart/internal.h"
#include "chart/values.h"
#include "gotmpl/internal.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const default_api_versions[] = {
	"v1", "admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1alpha1",
	"admissionregistration.k8s.io/v1beta1", "internal.apiserver.k8s.io/v1alpha1", "apps/v1",
	"apps/v1beta1", "apps/v1beta2", "authentication.k8s.io/v1",
	"authentication.k8s.io/v1alpha1", "authentication.k8s.io/v1beta1",
	"authorization.k8s.io/v1", "authorization.k8s.io/v1beta1", "autoscaling/v1",
	"autoscaling/v2", "autoscaling/v2beta1", "autoscaling/v2beta2", "batch/v1",
	"batch/v1beta1", "certificates.k8s.io/v1", "certificates.k8s.io/v1beta1",
	"certificates.k8s.io/v1alpha1", "coordination.k8s.io/v1alpha2",
	"coordination.k8s.io/v1beta1", "coordination.k8s.io/v1", "discovery.k8s.io/v1",
	"discovery.k8s.io/v1beta1", "events.k8s.io/v1", "events.k8s.io/v1beta1",
	"extensions/v1beta1", "flowcontrol.apiserver.k8s.io/v1",
	"flowcontrol.apiserver.k8s.io/v1beta1", "flowcontrol.apiserver.k8s.io/v1beta2",
	"flowcontrol.apiserver.k8s.io/v1beta3", "networking.k8s.io/v1",
	"networking.k8s.io/v1beta1", "node.k8s.io/v1", "node.k8s.io/v1alpha1",
	"node.k8s.io/v1beta1", "policy/v1", "policy/v1beta1", "rbac.authorization.k8s.io/v1",
	"rbac.authorization.k8s.io/v1beta1", "rbac.authorization.k8s.io/v1alpha1",
	"resource.k8s.io/v1", "resource.k8s.io/v1beta2", "resource.k8s.io/v1beta1",
	"resource.k8s.io/v1alpha3", "scheduling.k8s.io/v1alpha1", "scheduling.k8s.io/v1beta1",
	"scheduling.k8s.io/v1", "storage.k8s.io/v1beta1", "storage.k8s.io/v1",
	"storage.k8s.io/v1alpha1", "storagemigration.k8s.io/v1beta1",
	"apiextensions.k8s.io/v1beta1", "apiextensions.k8s.io/v1", NULL,
};

/* Helm's releaseutil.InstallOrder. */
static const char *const install_order[] = {
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
	"ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
	"CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
	"DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
	"APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", NULL,
};

static const char *const hook_events[] = {
	"pre-install", "post-install", "pre-delete", "post-delete", "pre-upgrade", "post-upgrade",
	"pre-rollback", "post-rollback", "test", "test-success", NULL,
};

/* ---- helpers ---- */

static const char *mstr(tmpl_val m, const char *key)
{
	tmpl_val *v = tmpl_map_get(m, key);
	return v && v->kind == TV_STRING ? v->u.s->data : NULL;
}

/* A semver range check for dependency versions and kubeVersion (">= 1.2, < 2" etc.): Sprig's
 * semverCompare, i.e. Masterminds NewVersion and NewConstraint/Check (eddy/semver.h). */
static bool version_ok(const char *constraint, const char *version)
{
	if (!constraint || !*constraint || !version)
		return true;
	semver v;
	if (semver_parse_go(version, &v))
		return false;
	semver_range *r = semver_constraint_parse(constraint, NULL, 0);
	bool ok = r && semver_range_match(r, &v);
	semver_range_free(r);
	return ok;
}

/* ---- dependencies: aliases, conditions, tags ---- */

static chart *find_dep(chart *c, const char *name, const char *version)
{
	for (size_t i = 0; i < c->ndeps; i++)
		if (!strcmp(c->deps[i]->name, name)) {
			const char *v = mstr(c->deps[i]->meta, "version");
			if (!version || !*version || version_ok(version, v))
				return c->deps[i];
		}
	return NULL;
}

static void set_chart_name(chart *c, const char *name)
{
	free(c->name);
	c->name = xstrdup(name);
	tmpl_map_set(c->meta, "name", tmpl_str(name));
}

/* Rebuild c->deps from Chart.yaml's dependencies: unlisted charts first, then one (possibly
 * renamed) copy per listed dependency that was found. */
static void resolve_aliases(chart *c)
{
	if (c->deps_meta.kind != TV_LIST)
		return;
	size_t nreq = c->deps_meta.u.l->n;
	chart **nd = xcalloc(c->ndeps + nreq + 1, sizeof *nd);
	size_t n = 0;
	bool *used = xcalloc(c->ndeps + 1, sizeof *used);
	for (size_t i = 0; i < c->ndeps; i++) {
		bool listed = false;
		for (size_t r = 0; r < nreq; r++) {
			tmpl_val req = c->deps_meta.u.l->items[r];
			const char *rn = mstr(req, "name");
			const char *rv = mstr(req, "version");
			if (rn && !strcmp(rn, c->deps[i]->name) &&
			    (!rv || version_ok(rv, mstr(c->deps[i]->meta, "version"))))
				listed = true;
		}
		if (!listed) {
			nd[n++] = c->deps[i];
			used[i] = true;
		}
	}
	for (size_t r = 0; r < nreq; r++) {
		tmpl_val req = c->deps_meta.u.l->items[r];
		if (req.kind != TV_MAP)
			continue;
		const char *rn = mstr(req, "name");
		const char *alias = mstr(req, "alias");
		if (!rn)
			continue;
		chart *found = find_dep(c, rn, mstr(req, "version"));
		if (found) {
			chart *cp = chart_dup_shallow(found);
			cp->parent = c;
			if (alias && *alias)
				set_chart_name(cp, alias);
			nd[n++] = cp;
		}
		if (alias && *alias)
			tmpl_map_set(req, "name", tmpl_str(alias));
	}
	for (size_t i = 0; i < c->ndeps; i++)
		if (!used[i])
			chart_free(c->deps[i]);
	free(used);
	free(c->deps);
	c->deps = nd;
	c->ndeps = n;
}

static tmpl_val *path_value(tmpl_val *root, const char *path)
{
	tmpl_val *cur = root;
	char *dup = xstrdup(path);
	char *save = NULL;
	for (char *t = strtok_r(dup, ".", &save); t && cur; t = strtok_r(NULL, ".", &save)) {
		if (cur->kind != TV_MAP) {
			cur = NULL;
			break;
		}
		cur = tmpl_map_get(*cur, t);
	}
	free(dup);
	return cur;
}

static int process_enabled(chart *c, tmpl_val user, const char *path, int depth, err *e)
{
	if (depth > 50)
		return err_fail(e, "ChartRenderError", "dependencies nested too deep");
	resolve_aliases(c);
	if (c->deps_meta.kind != TV_LIST)
		goto recurse;
	tmpl_val cvals;
	if (cv_coalesce(c, user, false, &cvals, e))
		return -1;
	size_t nreq = c->deps_meta.u.l->n;
	bool *enabled = xcalloc(nreq + 1, sizeof *enabled);
	tmpl_val *tags = tmpl_map_get(cvals, "tags");
	for (size_t r = 0; r < nreq; r++) {
		tmpl_val req = c->deps_meta.u.l->items[r];
		enabled[r] = true;
		if (req.kind != TV_MAP)
			continue;
		/* tags */
		tmpl_val *rt = tmpl_map_get(req, "tags");
		if (rt && rt->kind == TV_LIST && tags && tags->kind == TV_MAP) {
			bool has_true = false, has_false = false;
			for (size_t k = 0; k < rt->u.l->n; k++) {
				tmpl_val t = rt->u.l->items[k];
				if (t.kind != TV_STRING)
					continue;
				tmpl_val *b = tmpl_map_get(*tags, t.u.s->data);
				if (b && b->kind == TV_BOOL) {
					if (b->u.b)
						has_true = true;
					else
						has_false = true;
				}
			}
			if (!has_true && has_false)
				enabled[r] = false;
			else
				enabled[r] = true;
		}
		/* conditions */
		const char *cond = mstr(req, "condition");
		if (cond && *cond) {
			char *dup = xstrdup(cond);
			char *save = NULL;
			for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				while (*t == ' ')
					t++;
				char *full = xasprintf("%s%s", path, t);
				tmpl_val *v = path_value(&cvals, full);
				free(full);
				if (v && v->kind == TV_BOOL) {
					enabled[r] = v->u.b;
					break;
				}
			}
			free(dup);
		}
	}
	for (size_t r = 0; r < nreq; r++) {
		if (enabled[r])
			continue;
		const char *rn = mstr(c->deps_meta.u.l->items[r], "name");
		for (size_t i = 0; rn && i < c->ndeps; i++)
			if (!strcmp(c->deps[i]->name, rn))
				c->deps[i]->enabled = false;
	}
	/* drop disabled entries from the metadata too (Helm keeps only enabled ones) */
	{
		tmpl_val kept = tmpl_list_new(nreq);
		for (size_t r = 0; r < nreq; r++)
			if (enabled[r])
				tmpl_list_push(&kept, tmpl_ref(c->deps_meta.u.l->items[r]));
		tmpl_val_free(c->deps_meta);
		c->deps_meta = kept;
	}
	free(enabled);
	/* drop disabled charts */
	size_t w = 0;
	for (size_t i = 0; i < c->ndeps; i++) {
		if (c->deps[i]->enabled)
			c->deps[w++] = c->deps[i];
		else
			chart_free(c->deps[i]);
	}
	c->ndeps = w;
	for (size_t i = 0; i < c->ndeps; i++) {
		char *sub = xasprintf("%s%s.", path, c->deps[i]->name);
		int rc = process_enabled(c->deps[i], cvals, sub, depth + 1, e);
		free(sub);
		if (rc) {
			tmpl_val_free(cvals);
			return -1;
		}
	}
	tmpl_val_free(cvals);
	return 0;
recurse:
	for (size_t i = 0; i < c->ndeps; i++) {
		char *sub = xasprintf("%s%s.", path, c->deps[i]->name);
		int rc = process_enabled(c->deps[i], user, sub, depth + 1, e);
		free(sub);
		if (rc)
			return -1;
	}
	return 0;
}

static tmpl_val path_to_map(const char *path, tmpl_val data)
{
	if (!strcmp(path, ".") || !*path)
		return tmpl_deep_copy(data);
	/* {a: {b: data}} for "a.b" */
	char *dup = xstrdup(path);
	char *parts[64];
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(dup, ".", &save); t && n < 64; t = strtok_r(NULL, ".", &save))
		parts[n++] = t;
	tmpl_val cur = tmpl_deep_copy(data);
	for (int i = n - 1; i >= 0; i--) {
		tmpl_val m = tmpl_map_new();
		tmpl_map_set(m, parts[i], cur);
		cur = m;
	}
	free(dup);
	return cur;
}

static int process_imports(chart *c, int depth, err *e)
{
	if (depth > 50)
		return err_fail(e, "ChartRenderError", "dependencies nested too deep");
	for (size_t i = 0; i < c->ndeps; i++)
		if (process_imports(c->deps[i], depth + 1, e))
			return -1;
	if (c->deps_meta.kind != TV_LIST)
		return 0;
	tmpl_val empty = tmpl_map_new();
	tmpl_val cvals;
	int rc = cv_coalesce(c, empty, true, &cvals, e);
	tmpl_val_free(empty);
	if (rc)
		return -1;
	tmpl_val b = tmpl_map_new();
	bool any = false;
	for (size_t r = 0; r < c->deps_meta.u.l->n; r++) {
		tmpl_val req = c->deps_meta.u.l->items[r];
		const char *rn = mstr(req, "name");
		tmpl_val *iv = tmpl_map_get(req, "import-values");
		if (!rn || !iv || iv->kind != TV_LIST)
			continue;
		bool present = false;
		for (size_t i = 0; i < c->ndeps; i++)
			if (!strcmp(c->deps[i]->name, rn))
				present = true;
		if (!present)
			continue;
		for (size_t k = 0; k < iv->u.l->n; k++) {
			tmpl_val it = iv->u.l->items[k];
			char *child = NULL;
			const char *parent = ".";
			if (it.kind == TV_MAP) {
				const char *ch = mstr(it, "child"), *pa = mstr(it, "parent");
				if (!ch || !pa)
					continue;
				child = xasprintf("%s.%s", rn, ch);
				parent = pa;
			} else if (it.kind == TV_STRING) {
				child = xasprintf("%s.exports.%s", rn, it.u.s->data);
			} else {
				continue;
			}
			tmpl_val *t = path_value(&cvals, child);
			free(child);
			if (!t || t->kind != TV_MAP)
				continue;
			tmpl_val add = path_to_map(parent, *t);
			/* MergeTables(b, add): b wins */
			cv_coalesce_tables(b, add, true, 0);
			tmpl_val_free(add);
			any = true;
		}
	}
	if (any) {
		cv_coalesce_tables(cvals, b, true, 0);
		tmpl_val_free(c->values);
		c->values = cvals;
	} else {
		tmpl_val_free(cvals);
	}
	tmpl_val_free(b);
	return 0;
}

/* ---- the objects templates see ---- */

static tmpl_val files_value(const chart *c)
{
	tmpl_val m = tmpl_map_new();
	m.sub = TV_SUB_FILES;
	for (size_t i = 0; i < c->nfiles; i++) {
		tmpl_val b = tmpl_strn(c->files[i].data, c->files[i].len);
		b.sub = TV_SUB_BYTES;
		tmpl_map_set(m, c->files[i].name, b);
	}
	return m;
}
/* A dependency's ImportValues as processImportValues leaves them: each entry a map[string]string
 * of child and parent ("exports.X" and "." for the short form), other entries dropped. */
static tmpl_val import_values_field(const tmpl_val *iv)
{
	tmpl_val out = tmpl_list_new(0);
	for (size_t i = 0; iv && iv->kind == TV_LIST && i < iv->u.l->n; i++) {
		tmpl_val it = iv->u.l->items[i];
		tmpl_val o = tmpl_map_new();
		o.sub = TV_SUB_STRMAP;
		if (it.kind == TV_STRING && it.sub == TV_SUB_STR) {
			char *c = xasprintf("exports.%s", it.u.s->data);
			tmpl_map_set(o, "child", tmpl_str_take(c, it.u.s->len + 8));
			tmpl_map_set(o, "parent", tmpl_str("."));
		} else if (it.kind == TV_MAP) {
			static const char *const keys[] = {"child", "parent"};
			for (size_t k = 0; k < 2; k++) {
				tmpl_val *v = tmpl_map_get(it, keys[k]);
				buf b;
				buf_init(&b, (size_t)-1);
				if (v && v->kind != TV_NIL)
					tmpl_print(&b, *v);
				else
					buf_adds(&b, "<nil>");
				tmpl_map_set(o, keys[k], tmpl_strn(buf_str(&b), b.len));
				buf_release(&b);
			}
		} else {
			tmpl_val_free(o);
			continue;
		}
		tmpl_list_push(&out, o);
	}
	return out;
}


static tmpl_val chart_value(const chart *c, bool is_root)
{
	static const char *const str_fields[][2] = {
		{"APIVersion", "apiVersion"}, {"AppVersion", "appVersion"},
		{"Condition", "condition"}, {"Description", "description"}, {"Home", "home"},
		{"Icon", "icon"}, {"KubeVersion", "kubeVersion"}, {"Name", "name"},
		{"Tags", "tags"}, {"Type", "type"}, {"Version", "version"},
	};
	tmpl_val m = tmpl_map_new();
	for (size_t i = 0; i < sizeof str_fields / sizeof *str_fields; i++) {
		tmpl_val *v = tmpl_map_get(c->meta, str_fields[i][1]);
		if (v && v->kind == TV_STRING)
			tmpl_map_set(m, str_fields[i][0], tmpl_ref(*v));
		else if (v && v->kind != TV_NIL && v->kind != TV_MAP && v->kind != TV_LIST) {
			char *s = tv_to_string(*v);
			tmpl_map_set(m, str_fields[i][0], tmpl_str_take(s, strlen(s)));
		} else
			tmpl_map_set(m, str_fields[i][0], tmpl_str(""));
	}
	tmpl_val *an = tmpl_map_get(c->meta, "annotations");
	tmpl_map_set(m, "Annotations", an && an->kind == TV_MAP ? tmpl_deep_copy(*an)
								 : tmpl_map_new());
	static const char *const list_fields[][2] = {
		{"Keywords", "keywords"}, {"Sources", "sources"},
	};
	for (size_t i = 0; i < 2; i++) {
		tmpl_val *v = tmpl_map_get(c->meta, list_fields[i][1]);
		tmpl_map_set(m, list_fields[i][0], v && v->kind == TV_LIST ? tmpl_deep_copy(*v)
									   : tmpl_list_new(0));
	}
	/* Maintainers and Dependencies: Go structs seen as maps with the field names */
	static const char *const maint_fields[][2] = {
		{"Name", "name"}, {"Email", "email"}, {"URL", "url"},
	};
	tmpl_val ml = tmpl_list_new(0);
	tmpl_val *mv = tmpl_map_get(c->meta, "maintainers");
	for (size_t i = 0; mv && mv->kind == TV_LIST && i < mv->u.l->n; i++) {
		tmpl_val it = mv->u.l->items[i];
		tmpl_val o = tmpl_map_new();
		for (size_t k = 0; k < 3; k++) {
			const char *s = it.kind == TV_MAP ? mstr(it, maint_fields[k][1]) : NULL;
			tmpl_map_set(o, maint_fields[k][0], tmpl_str(s ? s : ""));
		}
		tmpl_list_push(&ml, o);
	}
	tmpl_map_set(m, "Maintainers", ml);
	static const char *const dep_fields[][2] = {
		{"Name", "name"}, {"Version", "version"}, {"Repository", "repository"},
		{"Condition", "condition"}, {"Alias", "alias"},
	};
	tmpl_val dl = tmpl_list_new(0);
	for (size_t i = 0; c->deps_meta.kind == TV_LIST && i < c->deps_meta.u.l->n; i++) {
		tmpl_val it = c->deps_meta.u.l->items[i];
		tmpl_val o = tmpl_map_new();
		for (size_t k = 0; k < 5; k++) {
			const char *s = it.kind == TV_MAP ? mstr(it, dep_fields[k][1]) : NULL;
			tmpl_map_set(o, dep_fields[k][0], tmpl_str(s ? s : ""));
		}
		tmpl_val *tg = it.kind == TV_MAP ? tmpl_map_get(it, "tags") : NULL;
		tmpl_map_set(o, "Tags", tg && tg->kind == TV_LIST ? tmpl_deep_copy(*tg)
							    : tmpl_list_new(0));
		tmpl_val *iv = it.kind == TV_MAP ? tmpl_map_get(it, "import-values") : NULL;
		tmpl_map_set(o, "ImportValues", import_values_field(iv));
		tmpl_map_set(o, "Enabled", tmpl_bool(true));
		tmpl_list_push(&dl, o);
	}
	tmpl_map_set(m, "Dependencies", dl);
	tmpl_val *dep = tmpl_map_get(c->meta, "deprecated");
	tmpl_map_set(m, "Deprecated", tmpl_bool(dep && dep->kind == TV_BOOL && dep->u.b));
	tmpl_map_set(m, "IsRoot", tmpl_bool(is_root));
	return m;
}

/* KubeVersion.GitVersion() and String(): the version string given (the receiver). */
static int kube_version_method(struct tmpl_exec *x, tmpl_val recv, int argc, const tmpl_val *argv,
			       tmpl_val *out, err *e)
{
	(void)x;
	(void)argv;
	if (argc)
		return err_fail(e, "TemplateError", "wrong number of args: want 0 got %d",
				argc), -2;
	*out = tmpl_ref(recv);
	return 0;
}

static tmpl_val capabilities_value(const chart_render_opts *o)
{
	const char *kv = o->kube_version ? o->kube_version : "v1.35.0";
	char ver[64];
	snprintf(ver, sizeof ver, "%s%s", kv[0] == 'v' ? "" : "v", kv);
	long maj = 0, min = 0;
	sscanf(ver, "v%ld.%ld", &maj, &min);
	/* String() gives the version without its prerelease and build parts */
	char norm[64];
	snprintf(norm, sizeof norm, "%.*s", (int)strcspn(ver, "-+"), ver);
	tmpl_val kvv = tmpl_struct_new();
	tmpl_map_set(kvv, "Version", tmpl_str(ver));
	char b[32];
	snprintf(b, sizeof b, "%ld", maj);
	tmpl_map_set(kvv, "Major", tmpl_str(b));
	snprintf(b, sizeof b, "%ld", min);
	tmpl_map_set(kvv, "Minor", tmpl_str(b));
	/* GitVersion and String are methods of *KubeVersion (not in its JSON) */
	tmpl_map_set(kvv, "GitVersion", tmpl_method(kube_version_method, "GitVersion",
						     tmpl_str(ver)));
	tmpl_map_set(kvv, "String", tmpl_method(kube_version_method, "String", tmpl_str(norm)));
	kvv.u.m->stringer = xstrdup(norm);
	kvv.u.m->gotype = "common.KubeVersion";
	tmpl_val api = tmpl_list_new(0);
	api.sub = TV_SUB_STRS;
	for (size_t i = 0; default_api_versions[i]; i++)
		tmpl_list_push(&api, tmpl_str(default_api_versions[i]));
	for (size_t i = 0; o->api_versions && o->api_versions[i]; i++)
		tmpl_list_push(&api, tmpl_str(o->api_versions[i]));
	tmpl_val hv = tmpl_struct_new();
	tmpl_map_set(hv, "Version", tmpl_str("v4.1.4"));
	tmpl_map_set(hv, "GitCommit", tmpl_str("05fa37973dc9e42b76e1d2883494c87174b6074f"));
	tmpl_map_set(hv, "GitTreeState", tmpl_str("clean"));
	tmpl_map_set(hv, "GoVersion", tmpl_str("go1.25.9"));
	tmpl_map_set(hv, "KubeClientVersion", tmpl_str("v1.35"));
	hv.u.m->gotype = "version.BuildInfo";
	tmpl_val cap = tmpl_struct_new();
	cap.u.m->gotype = "*common.Capabilities";
	tmpl_map_set(cap, "APIVersions", api);
	tmpl_map_set(cap, "KubeVersion", kvv);
	tmpl_map_set(cap, "HelmVersion", hv);
	return cap;
}

/* ---- templates ---- */

typedef struct rtpl {
	char *name;     /* chart path + "/" + template file name */
	const cfile *f;
	const chart *c;
	tmpl_val values; /* the chart's values */
	tmpl_val top;    /* the chart's top-level object (shared by its templates) */
	char *out;
	size_t outlen;
	bool rendered;
} rtpl;

typedef struct rctx {
	rtpl *t;
	size_t n, cap;
	tmpl_val release, caps;
} rctx;

/* Collect the templates of c and its subcharts; returns c's top-level object (.Values,
 * .Release, .Capabilities, .Chart, .Files, .Subcharts), shared by its templates. */
static tmpl_val collect(rctx *r, const chart *c, const char *prefix, tmpl_val vals, int depth)
{
	tmpl_val top = tmpl_map_new();
	if (depth > 50)
		return top;
	char *id = prefix ? xasprintf("%s/charts/%s", prefix, c->name) : xstrdup(c->name);
	tmpl_val subs = tmpl_map_new();
	for (size_t i = 0; i < c->ndeps; i++) {
		tmpl_val *sv = tmpl_map_get(vals, c->deps[i]->name);
		tmpl_val sub = sv && sv->kind == TV_MAP ? tmpl_ref(*sv) : tmpl_map_new();
		tmpl_val st = collect(r, c->deps[i], id, sub, depth + 1);
		tmpl_map_set(subs, c->deps[i]->name, st);
		tmpl_val_free(sub);
	}
	tmpl_map_set(top, "Values", tmpl_ref(vals));
	tmpl_map_set(top, "Release", tmpl_ref(r->release));
	tmpl_map_set(top, "Capabilities", tmpl_ref(r->caps));
	tmpl_map_set(top, "Chart", chart_value(c, c->parent == NULL));
	tmpl_map_set(top, "Files", files_value(c));
	tmpl_map_set(top, "Subcharts", subs);
	const char *type = mstr(c->meta, "type");
	bool library = type && !strcmp(type, "library");
	for (size_t i = 0; i < c->ntemplates; i++) {
		const char *tb = strrchr(c->templates[i].name, '/');
		tb = tb ? tb + 1 : c->templates[i].name;
		if (library && tb[0] != '_')
			continue; /* a library chart only contributes partials */
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 32;
			r->t = xrealloc(r->t, r->cap * sizeof *r->t);
		}
		rtpl *t = &r->t[r->n++];
		memset(t, 0, sizeof *t);
		t->name = xasprintf("%s/%s", id, c->templates[i].name);
		t->f = &c->templates[i];
		t->c = c;
		t->values = tmpl_ref(vals);
		t->top = tmpl_ref(top);
	}
	free(id);
	return top;
}

static size_t slashes(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '/';
	return n;
}

/* Helm's parse order: more slashes first, then reverse alphabetical. */
static int parse_order(const void *a, const void *b)
{
	const rtpl *x = a, *y = b;
	size_t cx = slashes(x->name), cy = slashes(y->name);
	if (cx != cy)
		return cx > cy ? -1 : 1;
	return -strcmp(x->name, y->name);
}

/* The top object with .Template set for this template (Helm sets it on the shared map). */
static tmpl_val top_object(rctx *r, const rtpl *t)
{
	(void)r;
	tmpl_val tp = tmpl_map_new();
	tmpl_map_set(tp, "Name", tmpl_str(t->name));
	const char *last_t = NULL;
	for (const char *p = t->name; (p = strstr(p, "/templates/")); p++)
		last_t = p;
	char *base = last_t ? xstrndup(t->name, (size_t)(last_t - t->name) + 10)
			    : xstrdup(t->name);
	tmpl_map_set(tp, "BasePath", tmpl_str_take(base, strlen(base)));
	tmpl_map_set(t->top, "Template", tp);
	return tmpl_ref(t->top);
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

/* ---- manifests ---- */

typedef struct manifest {
	const char *path;
	char *content;
	char *kind;
	int order;     /* index in install order, or -1 */
	size_t seq;    /* original position */
	bool is_hook;
	bool is_test;
	char *hook;    /* the helm.sh/hook annotation */
} manifest;

static int kind_order(const char *kind)
{
	for (int i = 0; install_order[i]; i++)
		if (!strcmp(install_order[i], kind))
			return i;
	return -1;
}

static int manifest_cmp(const void *a, const void *b)
{
	const manifest *x = a, *y = b;
	if (x->order < 0 && y->order < 0) {
		int c = strcmp(x->kind, y->kind);
		if (c)
			return c;
	} else if (x->order < 0) {
		return 1;
	} else if (y->order < 0) {
		return -1;
	} else if (x->order != y->order) {
		return x->order < y->order ? -1 : 1;
	}
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool is_space_c(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/* Go's strings.TrimSpace into a new string. */
static char *trim_dup(const char *s, size_t n)
{
	size_t a = 0;
	while (a < n && is_space_c(s[a]))
		a++;
	while (n > a && is_space_c(s[n - 1]))
		n--;
	return xstrndup(s + a, n - a);
}

/* SplitManifests: the regexp (?:^|\s*\n)---\s* over the trimmed file. */
static void split_docs(const char *content, size_t len, char ***docs, size_t *ndocs)
{
	char *t = trim_dup(content, len);
	size_t n = strlen(t);
	size_t st = 0, i = 0;
	*docs = NULL;
	*ndocs = 0;
	while (i <= n) {
		/* find a separator starting at i */
		size_t sep_start = (size_t)-1, sep_end = 0;
		size_t j = i;
		for (; j < n; j++) {
			if (j == 0 && !strncmp(t, "---", 3)) {
				sep_start = 0;
				sep_end = 3;
				break;
			}
			if (t[j] == '\n' && !strncmp(t + j + 1, "---", 3)) {
				/* back up over preceding whitespace */
				size_t k = j;
				while (k > st && is_space_c(t[k - 1]))
					k--;
				sep_start = k;
				sep_end = j + 4;
				break;
			}
		}
		if (sep_start == (size_t)-1) {
			if (n > st) {
				*docs = xrealloc(*docs, (*ndocs + 1) * sizeof **docs);
				(*docs)[(*ndocs)++] = trim_dup(t + st, n - st);
			}
			break;
		}
		while (sep_end < n && is_space_c(t[sep_end]))
			sep_end++;
		if (sep_start > st) {
			*docs = xrealloc(*docs, (*ndocs + 1) * sizeof **docs);
			(*docs)[(*ndocs)++] = trim_dup(t + st, sep_start - st);
		}
		st = sep_end;
		i = sep_end;
		if (i >= n)
			break;
	}
	free(t);
}

static int add_output(buf *out, const char *s)
{
	return buf_adds(out, s);
}

/* ---- schema ---- */


/* ---- render ---- */



void chart_parts_release(chart_parts *p)
{
	for (size_t i = 0; i < p->ndocs; i++) {
		free(p->docs[i].path);
		free(p->docs[i].content);
		free(p->docs[i].kind);
		free(p->docs[i].hook);
	}
	free(p->docs);
	free(p->notes);
	tmpl_val_free(p->values);
	memset(p, 0, sizeof *p);
}

int chart_render(chart *orig, tmpl_val user_values, const chart_render_opts *o, buf *out, err *e)
{
	chart *c = chart_dup_shallow(orig);
	int rc = 0;
	tmpl_val vals = tmpl_nil();
	tmpl_set *set = NULL;
	rctx r = {0};
	manifest *ms = NULL;
	size_t nms = 0;
	tmpl_val subcharts = tmpl_nil();
	tmpl_val user = user_values.kind == TV_MAP ? user_values : tmpl_nil();
	tmpl_val umap = user.kind == TV_MAP ? tmpl_ref(user) : tmpl_map_new();

	{
		const char *type = mstr(c->meta, "type");
		if (type && !strcmp(type, "library")) {
			rc = err_fail(e, "ChartRenderError", "library charts are not installable");
			goto done;
		}
	}
	if (c->deps_meta.kind == TV_LIST) {
		/* action.CheckDependencies: every listed dependency must be in charts/ */
		buf miss;
		buf_init(&miss, 1 << 16);
		for (size_t r2 = 0; r2 < c->deps_meta.u.l->n; r2++) {
			const char *rn = c->deps_meta.u.l->items[r2].kind == TV_MAP
				? mstr(c->deps_meta.u.l->items[r2], "name") : NULL;
			if (!rn)
				continue;
			bool found = false;
			for (size_t i = 0; i < c->ndeps && !found; i++)
				found = !strcmp(c->deps[i]->name, rn);
			if (!found)
				buf_addf(&miss, "%s%s", miss.len ? ", " : "", rn);
		}
		if (miss.len) {
			rc = err_fail(e, "ChartRenderError", "an error occurred while checking for chart "
				      "dependencies. You may need to run `helm dependency build` to fetch "
				      "missing dependencies: found in Chart.yaml, but missing in charts/ "
				      "directory: %s", buf_str(&miss));
			buf_release(&miss);
			goto done;
		}
		buf_release(&miss);
	}
	if (process_enabled(c, umap, "", 0, e) || process_imports(c, 0, e)) {
		rc = -1;
		goto done;
	}
	if (cv_coalesce(c, umap, false, &vals, e)) {
		rc = -1;
		goto done;
	}
	{
		buf m;
		buf_init(&m, 1 << 20);
		if (cv_schema_validate_all(c, vals, &m, 0) && m.len) {
			rc = err_fail(e, "ChartRenderError", "values don't meet the specifications of "
				      "the schema(s) in the following chart(s):\n%s", buf_str(&m));
			buf_release(&m);
			goto done;
		}
		buf_release(&m);
	}
	{
		const char *kv = mstr(c->meta, "kubeVersion");
		const char *cur = o->kube_version ? o->kube_version : "v1.35.0";
		if (kv && *kv && !version_ok(kv, cur)) {
			rc = err_fail(e, "ChartRenderError", "chart requires kubeVersion: %s which is "
				      "incompatible with Kubernetes %s%s", kv,
				      cur[0] == 'v' ? "" : "v", cur);
			goto done;
		}
	}
	r.release = tmpl_map_new();
	tmpl_map_set(r.release, "Name", tmpl_str(o->release_name ? o->release_name : "release-name"));
	tmpl_map_set(r.release, "Namespace", tmpl_str(o->namespace ? o->namespace : "default"));
	tmpl_map_set(r.release, "IsUpgrade", tmpl_bool(o->is_upgrade));
	tmpl_map_set(r.release, "IsInstall", tmpl_bool(!o->is_upgrade));
	tmpl_map_set(r.release, "Revision", tmpl_int(o->revision ? o->revision : 1));
	tmpl_map_set(r.release, "Service", tmpl_str("Helm"));
	r.caps = capabilities_value(o);
	subcharts = collect(&r, c, NULL, vals, 0); /* the root's top object */
	if (r.n)
		qsort(r.t, r.n, sizeof *r.t, parse_order);
	set = tmpl_set_new();
	tmpl_set_limits(set, &o->tmpl);
	if (o->enable_dns) {
		tmpl_hooks h = {.enable_dns = true};
		tmpl_set_hooks(set, &h);
	}
	for (size_t i = 0; i < r.n; i++) {
		if (tmpl_parse(set, r.t[i].name, r.t[i].f->data, r.t[i].f->len, e)) {
			rc = -1;
			goto done;
		}
	}
	for (size_t i = 0; i < r.n; i++) {
		rtpl *t = &r.t[i];
		const char *base = strrchr(t->name, '/') + 1;
		if (base[0] == '_')
			continue;
		tmpl_val top = top_object(&r, t);
		buf b;
		buf_init(&b, (size_t)-1);
		int xr = tmpl_execute(set, t->name, top, &b, e);
		tmpl_val_free(top);
		if (xr) {
			buf_release(&b);
			rc = -1;
			goto done;
		}
		/* Helm drops "<no value>" from the output */
		const char *nv = "<no value>";
		size_t w = 0;
		for (size_t k = 0; k < b.len;) {
			if (k + 10 <= b.len && !memcmp(b.data + k, nv, 10)) {
				k += 10;
				continue;
			}
			b.data[w++] = b.data[k++];
		}
		b.len = w;
		t->out = buf_detach(&b, &t->outlen);
		t->rendered = true;
	}
	/* manifests in sorted file order */
	{
		size_t *idx = xmalloc((r.n + 1) * sizeof *idx);
		size_t ni = 0;
		for (size_t i = 0; i < r.n; i++)
			if (r.t[i].rendered && !ends_with(r.t[i].name, "NOTES.txt"))
				idx[ni++] = i;
		for (size_t a = 0; a + 1 < ni; a++)
			for (size_t b2 = a + 1; b2 < ni; b2++)
				if (strcmp(r.t[idx[a]].name, r.t[idx[b2]].name) > 0) {
					size_t tmp = idx[a];
					idx[a] = idx[b2];
					idx[b2] = tmp;
				}
		size_t seq = 0;
		for (size_t a = 0; a < ni && !rc; a++) {
			rtpl *t = &r.t[idx[a]];
			char **docs;
			size_t nd;
			split_docs(t->out, t->outlen, &docs, &nd);
			for (size_t d = 0; d < nd; d++) {
				tmpl_val head;
				err pe;
				if (rc || tmpl_from_yaml(docs[d], strlen(docs[d]), true, &head, &pe)) {
					if (!rc)
						rc = err_fail(e, "ChartRenderError", "YAML parse error on "
							      "%s: %s", t->name, pe.msg);
					free(docs[d]);
					continue;
				}
				manifest m = {.path = t->name, .content = docs[d], .seq = seq++};
				const char *kind = head.kind == TV_MAP ? mstr(head, "kind") : NULL;
				m.kind = xstrdup(kind ? kind : "");
				m.order = kind_order(m.kind);
				tmpl_val *md = head.kind == TV_MAP ? tmpl_map_get(head, "metadata") : NULL;
				tmpl_val *an = md && md->kind == TV_MAP ? tmpl_map_get(*md, "annotations")
									: NULL;
				const char *hook = an && an->kind == TV_MAP ? mstr(*an, "helm.sh/hook")
									    : NULL;
				bool skip = false;
				if (hook) {
					m.is_hook = true;
					m.hook = xstrdup(hook);
					char *dup = xstrdup(hook);
					char *save = NULL;
					for (char *h = strtok_r(dup, ",", &save); h;
					     h = strtok_r(NULL, ",", &save)) {
						char *ht = trim_dup(h, strlen(h));
						for (char *q = ht; *q; q++)
							*q = (char)tolower((unsigned char)*q);
						bool known = false;
						for (size_t k = 0; hook_events[k]; k++)
							if (!strcmp(hook_events[k], ht))
								known = true;
						if (!strcmp(ht, "test") || !strcmp(ht, "test-success"))
							m.is_test = true;
						if (!known)
							skip = true;
						free(ht);
					}
					free(dup);
				}
				tmpl_val_free(head);
				if (skip) {
					free(m.content);
					free(m.kind);
					free(m.hook);
					continue;
				}
				ms = xrealloc(ms, (nms + 1) * sizeof *ms);
				ms[nms++] = m;
			}
			free(docs);
		}
		free(idx);
		if (rc)
			goto done;
	}
	{
		/* show-only filter applies to manifests and hooks */
		buf res;
		buf_init(&res, o->max_output ? o->max_output : 256u << 20);
		buf body;
		buf_init(&body, o->max_output ? o->max_output : 256u << 20);
		if (o->include_crds) {
			/* CRDs of every chart (crds/ files), parent first */
			const chart *stack[64];
			size_t sn = 0;
			stack[sn++] = c;
			while (sn) {
				const chart *cc = stack[--sn];
				char *id = NULL;
				/* path of the chart */
				const chart *chain[64];
				size_t cn = 0;
				for (const chart *p = cc; p && cn < 64; p = p->parent)
					chain[cn++] = p;
				buf idb;
				buf_init(&idb, 4096);
				for (size_t k = cn; k > 0; k--)
					buf_addf(&idb, "%s%s", k == cn ? "" : "/charts/",
						 chain[k - 1]->name);
				id = buf_detach(&idb, NULL);
				for (size_t f = 0; f < cc->nfiles; f++) {
					if (strncmp(cc->files[f].name, "crds/", 5))
						continue;
					const char *nm = cc->files[f].name;
					size_t nl = strlen(nm);
					if (!(ends_with(nm, ".yaml") || ends_with(nm, ".yml") ||
					      ends_with(nm, ".json")) || nl < 6)
						continue;
					buf_addf(&body, "---\n# Source: %s/%s\n", id, nm);
					buf_add(&body, cc->files[f].data, cc->files[f].len);
					buf_addc(&body, '\n');
				}
				free(id);
				for (size_t k = cc->ndeps; k > 0 && sn < 64; k--)
					stack[sn++] = cc->deps[k - 1];
			}
		}
		manifest *gen = xmalloc((nms + 1) * sizeof *gen), *hooks = xmalloc((nms + 1) *
										   sizeof *hooks);
		size_t ng = 0, nh = 0;
		for (size_t i = 0; i < nms; i++) {
			if (ms[i].is_hook)
				hooks[nh++] = ms[i];
			else
				gen[ng++] = ms[i];
		}
		qsort(gen, ng, sizeof *gen, manifest_cmp);
		qsort(hooks, nh, sizeof *hooks, manifest_cmp);
		if (o->parts) {
			chart_parts *pp = o->parts;
			memset(pp, 0, sizeof *pp);
			pp->docs = xcalloc(ng + nh + 1, sizeof *pp->docs);
			for (size_t i = 0; i < ng + nh; i++) {
				const manifest *mm = i < ng ? &gen[i] : &hooks[i - ng];
				chart_doc *d = &pp->docs[pp->ndocs++];
				d->path = xstrdup(mm->path);
				d->content = xstrdup(mm->content);
				d->kind = xstrdup(mm->kind);
				d->hook = mm->hook ? xstrdup(mm->hook) : NULL;
			}
			char *notes_name = xasprintf("%s/templates/NOTES.txt", c->name);
			for (size_t i = 0; i < r.n; i++)
				if (r.t[i].rendered && !strcmp(r.t[i].name, notes_name))
					pp->notes = xstrndup(r.t[i].out, r.t[i].outlen);
			free(notes_name);
			pp->values = tmpl_ref(vals);
		}
		for (size_t i = 0; i < ng; i++)
			buf_addf(&body, "---\n# Source: %s\n%s\n", gen[i].path, gen[i].content);
		/* strings.TrimSpace(manifest) + "\n" */
		{
			char *tb = trim_dup(body.data ? body.data : "", body.len);
			add_output(&res, tb);
			add_output(&res, "\n");
			free(tb);
		}
		if (!o->no_hooks)
			for (size_t i = 0; i < nh; i++) {
				if (o->skip_tests && hooks[i].is_test)
					continue;
				buf_addf(&res, "---\n# Source: %s\n%s\n", hooks[i].path,
					 hooks[i].content);
			}
		free(gen);
		free(hooks);
		buf_release(&body);
		if (o->show_only && !rc) {
			/* helm template --show-only: split the output, keep matching sources */
			char **docs;
			size_t nd;
			split_docs(res.data ? res.data : "", res.len, &docs, &nd);
			buf_reset(&res);
			for (size_t k = 0; o->show_only[k] && !rc; k++) {
				bool found = false;
				for (size_t d = 0; d < nd; d++) {
					const char *src = strstr(docs[d], "# Source: ");
					if (!src)
						continue;
					src += 10;
					const char *sl = strchr(src, '/');
					if (!sl || sl == src)
						continue;
					size_t l = strcspn(sl + 1, "\n");
					char *p = xstrndup(sl + 1, l);
					bool m = fnmatch(o->show_only[k], p, FNM_PATHNAME) == 0;
					free(p);
					if (!m)
						continue;
					found = true;
					buf_addf(&res, "---\n%s\n", docs[d]);
				}
				if (!found)
					rc = err_fail(e, "ChartRenderError", "could not find template %s in "
						      "chart", o->show_only[k]);
			}
			for (size_t d = 0; d < nd; d++)
				free(docs[d]);
			free(docs);
		}
		if (!rc && buf_add(out, res.data ? res.data : "", res.len))
			rc = err_fail(e, "ChartRenderError", "output larger than the limit");
		buf_release(&res);
	}
done:
	if (rc && o->parts && o->parts->docs)
		chart_parts_release(o->parts);
	for (size_t i = 0; i < nms; i++) {
		free(ms[i].content);
		free(ms[i].kind);
		free(ms[i].hook);
	}
	free(ms);
	for (size_t i = 0; i < r.n; i++) {
		free(r.t[i].name);
		free(r.t[i].out);
		tmpl_val_free(r.t[i].values);
		tmpl_val_free(r.t[i].top);
	}
	free(r.t);
	tmpl_val_free(r.release);
	tmpl_val_free(r.caps);
	tmpl_val_free(subcharts);
	tmpl_set_free(set);
	tmpl_val_free(vals);
	tmpl_val_free(umap);
	chart_free(c);
	return rc;
}
