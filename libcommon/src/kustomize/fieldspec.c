/* Field specs: the (group, version, kind, path, create) tuples kustomize uses to say where a
 * transformer writes, and the built-in tables (facts from kustomize's builtinpluginconsts). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eddy/json.h"
#include "eddy/mem.h"
#include "kz_int.h"

static char *dupn(const char *s) { return s && *s ? xstrdup(s) : NULL; }

void kz_fsv_add(kz_fsv *f, const char *g, const char *v, const char *k, const char *path,
		bool create)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	kz_fieldspec *s = &f->v[f->n++];
	s->group = dupn(g);
	s->version = dupn(v);
	s->kind = dupn(k);
	s->path = xstrdup(path);
	s->create = create;
}

void kz_fsv_release(kz_fsv *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].group);
		free(f->v[i].version);
		free(f->v[i].kind);
		free(f->v[i].path);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

int kz_fsv_from_json(kz_fsv *f, const cJSON *arr, err *e)
{
	const cJSON *it;
	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr))
		return err_fail(e, KZ_REASON, "fieldSpecs must be a list");
	cJSON_ArrayForEach(it, arr) {
		const char *path = json_str(it, "path");
		if (!cJSON_IsObject(it) || !path)
			return err_fail(e, KZ_REASON, "fieldSpec without a path");
		kz_fsv_add(f, json_str(it, "group"), json_str(it, "version"), json_str(it, "kind"),
			   path,
			   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "create")));
	}
	return 0;
}

bool kz_fs_selects(const kz_fieldspec *fs, const cJSON *obj)
{
	char g[256], v[128];
	if (fs->kind && strcmp(fs->kind, kz_kind(obj)))
		return false;
	if (!fs->group && !fs->version)
		return true;
	kz_split_apiversion(kz_apiversion(obj), g, sizeof(g), v, sizeof(v));
	if (fs->group && strcmp(fs->group, g))
		return false;
	if (fs->version && strcmp(fs->version, v))
		return false;
	return true;
}

/* Split a path into segments; "\/" is a literal slash. */
static size_t split(const char *path, char ***out)
{
	size_t n = 0, cap = 8;
	char **v = xmalloc(cap * sizeof(*v));
	buf b;
	buf_init(&b, 1 << 20);
	for (const char *p = path;; p++) {
		if (*p == '\\' && p[1] == '/') {
			buf_addc(&b, '/');
			p++;
			continue;
		}
		if (*p == '/' || *p == 0) {
			if (n == cap) {
				cap *= 2;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n++] = buf_detach(&b, NULL);
			if (!*p)
				break;
			continue;
		}
		buf_addc(&b, *p);
	}
	buf_release(&b);
	*out = v;
	return n;
}

static int walk(cJSON *node, char **seg, size_t nseg, bool create, kz_field_fn fn, void *ud,
		err *e)
{
	if (cJSON_IsArray(node)) {
		cJSON *it;
		cJSON_ArrayForEach(it, node)
			if (walk(it, seg, nseg, create, fn, ud, e) < 0)
				return -1;
		return 0;
	}
	if (!cJSON_IsObject(node))
		return 0;
	char key[512];
	snprintf(key, sizeof(key), "%s", seg[0]);
	size_t kl = strlen(key);
	bool seq = false;
	if (kl > 2 && !strcmp(key + kl - 2, "[]")) {
		key[kl - 2] = 0;
		seq = true;
	}
	cJSON *child = cJSON_GetObjectItemCaseSensitive(node, key);
	if (nseg == 1) {
		if (!child && !create)
			return 0;
		if (cJSON_IsNull(child) && !create)
			return 0;
		return fn(node, key, child, ud, e);
	}
	if (!child || cJSON_IsNull(child)) {
		if (!create)
			return 0;
		if (child)
			cJSON_DeleteItemFromObjectCaseSensitive(node, key);
		if (seq)
			return 0;
		child = cJSON_AddObjectToObject(node, key);
	}
	return walk(child, seg + 1, nseg - 1, create, fn, ud, e);
}

int kz_fs_walk(cJSON *obj, const char *path, bool create, kz_field_fn fn, void *ud, err *e)
{
	char **seg;
	size_t n = split(path, &seg);
	int rc = walk(obj, seg, n, create, fn, ud, e);
	for (size_t i = 0; i < n; i++)
		free(seg[i]);
	free(seg);
	return rc;
}

/* ---- built-in tables ---- */

typedef struct { const char *g, *v, *k, *path; bool create; } fsrow;

static void add_rows(kz_fsv *f, const fsrow *rows)
{
	for (; rows->path; rows++)
		kz_fsv_add(f, rows->g, rows->v, rows->k, rows->path, rows->create);
}

static const fsrow metadata_labels[] = {
	{NULL, NULL, NULL, "metadata/labels", true},
	{NULL, "v1", "ReplicationController", "spec/template/metadata/labels", true},
	{NULL, NULL, "Deployment", "spec/template/metadata/labels", true},
	{NULL, NULL, "ReplicaSet", "spec/template/metadata/labels", true},
	{NULL, NULL, "DaemonSet", "spec/template/metadata/labels", true},
	{"apps", NULL, "StatefulSet", "spec/template/metadata/labels", true},
	{"batch", NULL, "Job", "spec/template/metadata/labels", true},
	{"batch", NULL, "CronJob", "spec/jobTemplate/metadata/labels", true},
	{"batch", NULL, "CronJob", "spec/jobTemplate/spec/template/metadata/labels", true},
	{0},
};

#define AFF "spec/template/spec/affinity/"
static const fsrow common_labels[] = {
	{NULL, "v1", "Service", "spec/selector", true},
	{NULL, "v1", "ReplicationController", "spec/selector", true},
	{NULL, NULL, "Deployment", "spec/selector/matchLabels", true},
	{"apps", NULL, "Deployment",
		AFF "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/"
	 "podAffinityTerm/labelSelector/matchLabels", false},
	{"apps", NULL, "Deployment",
		AFF "podAffinity/requiredDuringSchedulingIgnoredDuringExecution/"
	 "labelSelector/matchLabels", false},
	{"apps", NULL, "Deployment", AFF "podAntiAffinity/preferredDuringSchedulingIgnoredDuring"
	 "Execution/podAffinityTerm/labelSelector/matchLabels", false},
	{"apps", NULL, "Deployment", AFF "podAntiAffinity/requiredDuringSchedulingIgnoredDuring"
	 "Execution/labelSelector/matchLabels", false},
	{"apps", NULL, "Deployment", "spec/template/spec/topologySpreadConstraints/labelSelector/"
	 "matchLabels", false},
	{NULL, NULL, "ReplicaSet", "spec/selector/matchLabels", true},
	{NULL, NULL, "DaemonSet", "spec/selector/matchLabels", true},
	{"apps", NULL, "StatefulSet", "spec/selector/matchLabels", true},
	{"apps", NULL, "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true},
	{"apps", NULL, "StatefulSet", AFF "podAffinity/preferredDuringSchedulingIgnoredDuring"
	 "Execution/podAffinityTerm/labelSelector/matchLabels", false},
	{"apps", NULL, "StatefulSet", AFF "podAffinity/requiredDuringSchedulingIgnoredDuring"
	 "Execution/labelSelector/matchLabels", false},
	{"apps", NULL, "StatefulSet", AFF "podAntiAffinity/preferredDuringSchedulingIgnoredDuring"
	 "Execution/podAffinityTerm/labelSelector/matchLabels", false},
	{"apps", NULL, "StatefulSet", AFF "podAntiAffinity/requiredDuringSchedulingIgnoredDuring"
	 "Execution/labelSelector/matchLabels", false},
	{"apps", NULL, "StatefulSet", "spec/template/spec/topologySpreadConstraints/labelSelector/"
	 "matchLabels", false},
	{"batch", NULL, "Job", "spec/selector/matchLabels", false},
	{"batch", NULL, "CronJob", "spec/jobTemplate/spec/selector/matchLabels", false},
	{"policy", NULL, "PodDisruptionBudget", "spec/selector/matchLabels", false},
	{"networking.k8s.io", NULL, "NetworkPolicy", "spec/podSelector/matchLabels", false},
	{"networking.k8s.io", NULL, "NetworkPolicy", "spec/ingress/from/podSelector/matchLabels",
	 false},
	{"networking.k8s.io", NULL, "NetworkPolicy", "spec/egress/to/podSelector/matchLabels",
	 false},
	{0},
};

static const fsrow annotations[] = {
	{NULL, NULL, NULL, "metadata/annotations", true},
	{NULL, "v1", "ReplicationController", "spec/template/metadata/annotations", true},
	{NULL, NULL, "Deployment", "spec/template/metadata/annotations", true},
	{NULL, NULL, "ReplicaSet", "spec/template/metadata/annotations", true},
	{NULL, NULL, "DaemonSet", "spec/template/metadata/annotations", true},
	{"apps", NULL, "StatefulSet", "spec/template/metadata/annotations", true},
	{"batch", NULL, "Job", "spec/template/metadata/annotations", true},
	{"batch", NULL, "CronJob", "spec/jobTemplate/metadata/annotations", true},
	{"batch", NULL, "CronJob", "spec/jobTemplate/spec/template/metadata/annotations", true},
	{0},
};

static const fsrow images[] = {
	{NULL, NULL, NULL, "spec/containers[]/image", true},
	{NULL, NULL, NULL, "spec/initContainers[]/image", true},
	{NULL, NULL, NULL, "spec/template/spec/containers[]/image", true},
	{NULL, NULL, NULL, "spec/template/spec/initContainers[]/image", true},
	{0},
};

static const fsrow replicas[] = {
	{NULL, NULL, "Deployment", "spec/replicas", true},
	{NULL, NULL, "ReplicationController", "spec/replicas", true},
	{NULL, NULL, "ReplicaSet", "spec/replicas", true},
	{NULL, NULL, "StatefulSet", "spec/replicas", true},
	{0},
};

/* Name references: which fields of which kinds name an object of a kind. */
typedef struct { const char *g, *v, *k; const fsrow *refs; } nrrow;

#define W(k, p) {NULL, NULL, k, p, false}
#define PODSPEC_ROWS(F) \
	F("Deployment", "spec/template/spec/"), F("ReplicaSet", "spec/template/spec/"), \
	F("DaemonSet", "spec/template/spec/"), F("StatefulSet", "spec/template/spec/"), \
	F("Job", "spec/template/spec/"), F("CronJob", "spec/jobTemplate/spec/template/spec/")

static const fsrow hpa_ref[] = { W("HorizontalPodAutoscaler", "spec/scaleTargetRef/name"), {0} };

static const fsrow cm_ref[] = {
	{NULL, "v1", "Pod", "spec/volumes/configMap/name", false},
	{NULL, "v1", "Pod", "spec/containers/env/valueFrom/configMapKeyRef/name", false},
	{NULL, "v1", "Pod", "spec/initContainers/env/valueFrom/configMapKeyRef/name", false},
	{NULL, "v1", "Pod", "spec/containers/envFrom/configMapRef/name", false},
	{NULL, "v1", "Pod", "spec/initContainers/envFrom/configMapRef/name", false},
	{NULL, "v1", "Pod", "spec/volumes/projected/sources/configMap/name", false},
	W("PodTemplate", "template/spec/volumes/configMap/name"),
	W("PodTemplate", "template/spec/containers/env/valueFrom/configMapKeyRef/name"),
	W("PodTemplate", "template/spec/initContainers/env/valueFrom/configMapKeyRef/name"),
	W("PodTemplate", "template/spec/containers/envFrom/configMapRef/name"),
	W("PodTemplate", "template/spec/initContainers/envFrom/configMapRef/name"),
	W("PodTemplate", "template/spec/volumes/projected/sources/configMap/name"),
#define CMW(k, pre) W(k, pre "volumes/configMap/name"), \
	W(k, pre "containers/env/valueFrom/configMapKeyRef/name"), \
	W(k, pre "initContainers/env/valueFrom/configMapKeyRef/name"), \
	W(k, pre "containers/envFrom/configMapRef/name"), \
	W(k, pre "initContainers/envFrom/configMapRef/name"), \
	W(k, pre "volumes/projected/sources/configMap/name")
	PODSPEC_ROWS(CMW),
	W("Node", "spec/configSource/configMap"),
	W("Role", "rules/resourceNames"),
	W("ClusterRole", "rules/resourceNames"),
	W("Ingress", "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap"),
	{0},
};

static const fsrow secret_ref[] = {
	{NULL, "v1", "Pod", "spec/volumes/secret/secretName", false},
	{NULL, "v1", "Pod", "spec/containers/env/valueFrom/secretKeyRef/name", false},
	{NULL, "v1", "Pod", "spec/initContainers/env/valueFrom/secretKeyRef/name", false},
	{NULL, "v1", "Pod", "spec/containers/envFrom/secretRef/name", false},
	{NULL, "v1", "Pod", "spec/initContainers/envFrom/secretRef/name", false},
	{NULL, "v1", "Pod", "spec/imagePullSecrets/name", false},
	{NULL, "v1", "Pod", "spec/volumes/projected/sources/secret/name", false},
	W("PodTemplate", "template/spec/volumes/secret/secretName"),
	W("PodTemplate", "template/spec/containers/env/valueFrom/secretKeyRef/name"),
	W("PodTemplate", "template/spec/initContainers/env/valueFrom/secretKeyRef/name"),
	W("PodTemplate", "template/spec/containers/envFrom/secretRef/name"),
	W("PodTemplate", "template/spec/initContainers/envFrom/secretRef/name"),
	W("PodTemplate", "template/spec/imagePullSecrets/name"),
	W("PodTemplate", "template/spec/volumes/projected/sources/secret/name"),
#define SECW(k, pre) W(k, pre "volumes/secret/secretName"), \
	W(k, pre "containers/env/valueFrom/secretKeyRef/name"), \
	W(k, pre "initContainers/env/valueFrom/secretKeyRef/name"), \
	W(k, pre "containers/envFrom/secretRef/name"), \
	W(k, pre "initContainers/envFrom/secretRef/name"), \
	W(k, pre "imagePullSecrets/name"), \
	W(k, pre "volumes/projected/sources/secret/name")
	PODSPEC_ROWS(SECW),
	W("Ingress", "spec/tls/secretName"),
	W("Ingress", "metadata/annotations/ingress.kubernetes.io\\/auth-secret"),
	W("Ingress", "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret"),
	W("Ingress", "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret"),
	W("ServiceAccount", "imagePullSecrets/name"),
	W("StorageClass", "parameters/secretName"),
	W("StorageClass", "parameters/adminSecretName"),
	W("StorageClass", "parameters/userSecretName"),
	W("StorageClass", "parameters/secretRef"),
	W("Role", "rules/resourceNames"),
	W("ClusterRole", "rules/resourceNames"),
	{"serving.knative.dev", "v1", "Service",
	 "spec/template/spec/containers/env/valueFrom/secretKeyRef/name", false},
	W("PersistentVolume", "spec/azureFile/secretName"),
	{0},
};

static const fsrow svc_ref[] = {
	{"apps", NULL, "StatefulSet", "spec/serviceName", false},
	W("Ingress", "spec/rules/http/paths/backend/serviceName"),
	W("Ingress", "spec/backend/serviceName"),
	W("Ingress", "spec/rules/http/paths/backend/service/name"),
	W("Ingress", "spec/defaultBackend/service/name"),
	{"apiregistration.k8s.io", NULL, "APIService", "spec/service/name", false},
	{"admissionregistration.k8s.io", NULL, "ValidatingWebhookConfiguration",
	 "webhooks/clientConfig/service", false},
	{"admissionregistration.k8s.io", NULL, "MutatingWebhookConfiguration",
	 "webhooks/clientConfig/service", false},
	W("HTTPRoute", "spec/rules/backendRefs/name"),
	{0},
};

static const fsrow role_ref[] = {
	{"rbac.authorization.k8s.io", NULL, "RoleBinding", "roleRef/name", false}, {0},
};
static const fsrow vap_ref[] = {
	{"admissionregistration.k8s.io", NULL, "ValidatingAdmissionPolicyBinding",
	 "spec/policyName", false},
	{0},
};
static const fsrow crole_ref[] = {
	{"rbac.authorization.k8s.io", NULL, "RoleBinding", "roleRef/name", false},
	{"rbac.authorization.k8s.io", NULL, "ClusterRoleBinding", "roleRef/name", false},
	{0},
};

#define SAW(k, pre) W(k, pre "serviceAccountName")
static const fsrow sa_ref[] = {
	{"rbac.authorization.k8s.io", NULL, "RoleBinding", "subjects", false},
	{"rbac.authorization.k8s.io", NULL, "ClusterRoleBinding", "subjects", false},
	W("Pod", "spec/serviceAccountName"),
	W("ReplicationController", "spec/template/spec/serviceAccountName"),
	PODSPEC_ROWS(SAW),
	{0},
};

#define PVCW(k, pre) W(k, pre "volumes/persistentVolumeClaim/claimName")
static const fsrow pvc_ref[] = {
	W("Pod", "spec/volumes/persistentVolumeClaim/claimName"),
	W("ReplicationController", "spec/template/spec/volumes/persistentVolumeClaim/claimName"),
	PODSPEC_ROWS(PVCW),
	{0},
};

static const fsrow pv_ref[] = {
	W("PersistentVolumeClaim", "spec/volumeName"),
	W("ClusterRole", "rules/resourceNames"),
	{0},
};

static const fsrow sc_ref[] = {
	W("PersistentVolume", "spec/storageClassName"),
	W("PersistentVolumeClaim", "spec/storageClassName"),
	W("StatefulSet", "spec/volumeClaimTemplates/spec/storageClassName"),
	{0},
};

#define PCW(k, pre) W(k, pre "priorityClassName")
static const fsrow pc_ref[] = {
	W("Pod", "spec/priorityClassName"),
	W("ReplicationController", "spec/template/spec/priorityClassName"),
	PODSPEC_ROWS(PCW),
	{0},
};

static const fsrow ic_ref[] = { W("Ingress", "spec/ingressClassName"), {0} };

static const nrrow namerefs[] = {
	{NULL, NULL, "Deployment", hpa_ref},
	{NULL, NULL, "ReplicationController", hpa_ref},
	{NULL, NULL, "ReplicaSet", hpa_ref},
	{NULL, NULL, "StatefulSet", hpa_ref},
	{NULL, "v1", "ConfigMap", cm_ref},
	{NULL, "v1", "Secret", secret_ref},
	{NULL, "v1", "Service", svc_ref},
	{"rbac.authorization.k8s.io", NULL, "Role", role_ref},
	{"rbac.authorization.k8s.io", NULL, "ClusterRole", crole_ref},
	{"admissionregistration.k8s.io", NULL, "ValidatingAdmissionPolicy", vap_ref},
	{NULL, "v1", "ServiceAccount", sa_ref},
	{NULL, "v1", "PersistentVolumeClaim", pvc_ref},
	{NULL, "v1", "PersistentVolume", pv_ref},
	{"storage.k8s.io", "v1", "StorageClass", sc_ref},
	{"scheduling.k8s.io", "v1", "PriorityClass", pc_ref},
	{"networking.k8s.io/v1", "v1", "IngressClass", ic_ref},
	{0},
};

static struct kz_nameref *nameref_slot(kz_config *c, const char *g, const char *v,
				       const char *k)
{
	for (size_t i = 0; i < c->n_nameref; i++) {
		struct kz_nameref *n = &c->nameref[i];
		if (!strcmp(n->kind ? n->kind : "", k ? k : "") &&
		    !strcmp(n->group ? n->group : "", g ? g : "") &&
		    !strcmp(n->version ? n->version : "", v ? v : ""))
			return n;
	}
	if (c->n_nameref == c->cap_nameref) {
		c->cap_nameref = c->cap_nameref ? c->cap_nameref * 2 : 32;
		c->nameref = xrealloc(c->nameref, c->cap_nameref * sizeof(*c->nameref));
	}
	struct kz_nameref *n = &c->nameref[c->n_nameref++];
	memset(n, 0, sizeof(*n));
	n->group = dupn(g);
	n->version = dupn(v);
	n->kind = dupn(k);
	return n;
}

void kz_config_defaults(kz_config *c)
{
	memset(c, 0, sizeof(*c));
	add_rows(&c->common_labels, common_labels);
	add_rows(&c->common_labels, metadata_labels);
	add_rows(&c->template_labels, metadata_labels);
	kz_fsv_add(&c->template_labels, "apps", NULL, "StatefulSet",
		   "spec/volumeClaimTemplates[]/metadata/labels", true);
	add_rows(&c->annotations, annotations);
	kz_fsv_add(&c->name_prefix, NULL, NULL, NULL, "metadata/name", false);
	kz_fsv_add(&c->name_suffix, NULL, NULL, NULL, "metadata/name", false);
	kz_fsv_add(&c->namespace, NULL, NULL, NULL, "metadata/namespace", true);
	kz_fsv_add(&c->namespace, "apiregistration.k8s.io", NULL, "APIService",
		   "spec/service/namespace", true);
	kz_fsv_add(&c->namespace, "apiextensions.k8s.io", NULL, "CustomResourceDefinition",
		   "spec/conversion/webhook/clientConfig/service/namespace", false);
	add_rows(&c->images, images);
	add_rows(&c->replicas, replicas);
	for (const nrrow *n = namerefs; n->k; n++) {
		struct kz_nameref *s = nameref_slot(c, n->g, n->v, n->k);
		add_rows(&s->refs, n->refs);
	}
}

void kz_config_release(kz_config *c)
{
	kz_fsv_release(&c->common_labels);
	kz_fsv_release(&c->template_labels);
	kz_fsv_release(&c->annotations);
	kz_fsv_release(&c->name_prefix);
	kz_fsv_release(&c->name_suffix);
	kz_fsv_release(&c->namespace);
	kz_fsv_release(&c->images);
	kz_fsv_release(&c->replicas);
	kz_fsv_release(&c->var_refs);
	for (size_t i = 0; i < c->n_nameref; i++) {
		free(c->nameref[i].group);
		free(c->nameref[i].version);
		free(c->nameref[i].kind);
		kz_fsv_release(&c->nameref[i].refs);
	}
	free(c->nameref);
	memset(c, 0, sizeof(*c));
}

/* y's group, version and kind, where set, equal x's (kustomize's Gvk.IsSelected). */
static bool gvk_covers(const kz_fieldspec *x, const kz_fieldspec *y)
{
	return (!y->group || (x->group && !strcmp(x->group, y->group))) &&
	       (!y->version || (x->version && !strcmp(x->version, y->version))) &&
	       (!y->kind || (x->kind && !strcmp(x->kind, y->kind)));
}

/* Merge the field specs of a configuration file into f as kustomize merges a custom config
 * with the defaults (the custom one first): an entry of f with the same path that the new
 * entry's group/version/kind covers is dropped, and a different `create` is a conflict. */
static int merge_fsv(kz_fsv *f, const cJSON *arr, const char *key, const char *what, err *e)
{
	kz_fsv add = {0};
	if (arr && !cJSON_IsArray(arr) && !cJSON_IsNull(arr))
		return err_fail(e, KZ_REASON, "error unmarshaling JSON: while decoding JSON: json: "
				"cannot unmarshal %s into Go struct field TransformerConfig.%s of "
				"type types.FsSlice", cJSON_IsString(arr) ? "string" :
				cJSON_IsNumber(arr) ? "number" : cJSON_IsBool(arr) ? "bool" :
				"object", key);
	if (kz_fsv_from_json(&add, arr, e) < 0)
		return -1;
	for (size_t i = 0; i < add.n; i++) {
		const kz_fieldspec *x = &add.v[i];
		for (size_t j = 0; j < f->n;) {
			kz_fieldspec *y = &f->v[j];
			if (strcmp(x->path, y->path) || !gvk_covers(x, y)) {
				j++;
				continue;
			}
			if (x->create != y->create) {
				kz_fsv_release(&add);
				return err_fail(e, KZ_REASON, "failed to merge %s fieldSpec: "
						"conflicting fieldspecs", what);
			}
			free(y->group);
			free(y->version);
			free(y->kind);
			free(y->path);
			memmove(y, y + 1, (f->n - j - 1) * sizeof(*y));
			f->n--;
		}
		kz_fsv_add(f, x->group, x->version, x->kind, x->path, x->create);
	}
	kz_fsv_release(&add);
	return 0;
}

/* A `configurations:` file: commonLabels, commonAnnotations, namePrefix, nameSuffix, namespace,
 * images, replicas, varReference (field spec lists) and nameReference. */
int kz_config_merge_json(kz_config *c, const cJSON *cfg, err *e)
{
	static const struct { const char *key, *go; size_t off; } lists[] = {
		{"namePrefix", "NamePrefix", offsetof(kz_config, name_prefix)},
		{"nameSuffix", "NameSuffix", offsetof(kz_config, name_suffix)},
		{"namespace", "NameSpace", offsetof(kz_config, namespace)},
		{"commonLabels", "CommonLabels", offsetof(kz_config, common_labels)},
		{"commonLabels", "TemplateLabels", offsetof(kz_config, template_labels)},
		{"commonAnnotations", "CommonAnnotations", offsetof(kz_config, annotations)},
		{"varReference", "VarReference", offsetof(kz_config, var_refs)},
		{"images", "Images", offsetof(kz_config, images)},
		{"replicas", "Replicas", offsetof(kz_config, replicas)},
	};
	static const char *const known[] = {"namePrefix", "nameSuffix", "namespace",
		"commonLabels", "templateLabels", "commonAnnotations", "nameReference",
		"varReference", "images", "replicas", NULL};
	const cJSON *it;
	cJSON_ArrayForEach(it, cfg) {
		int i = 0;
		while (known[i] && strcasecmp(known[i], it->string))
			i++;
		if (!known[i])
			return err_fail(e, KZ_REASON, "error unmarshaling JSON: while decoding "
					"JSON: json: unknown field \"%s\"", it->string);
	}
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		kz_fsv *f = (kz_fsv *)((char *)c + lists[i].off);
		if (merge_fsv(f, cJSON_GetObjectItemCaseSensitive(cfg, lists[i].key), lists[i].key,
			      lists[i].go, e))
			return -1;
	}
	const cJSON *nr = cJSON_GetObjectItemCaseSensitive(cfg, "nameReference");
	cJSON_ArrayForEach(it, nr) {
		struct kz_nameref *s = nameref_slot(c, json_str(it, "group"), json_str(it, "version"),
						    json_str(it, "kind"));
		if (merge_fsv(&s->refs, cJSON_GetObjectItemCaseSensitive(it, "fieldSpecs"),
			      "nameReference.fieldSpecs", "NameReference", e))
			return -1;
	}
	return 0;
}

/* kustomize's loadCrdIntoConfig: the properties of definition `name` (and, through $ref,
 * of the definitions they name) with kustomize's x-kubernetes-* extensions become field specs
 * of the kind. */
static const cJSON *crd_schema(const cJSON *def)
{
	const cJSON *it;
	if (!cJSON_IsObject(def)) /* a crds: file may hold anything (fuzz find: a list) */
		return NULL;
	cJSON_ArrayForEach(it, def)
		if (!strcasecmp(it->string, "schema"))
			return it;
	return NULL;
}

static bool has_str_ext(const cJSON *prop, const char *ext)
{
	return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(prop, ext));
}

static void crd_walk(kz_config *c, const char *kind, const cJSON *all, const char *name,
		     const char *path, int depth, size_t *budget)
{
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(all, name), *prop;
	if (!def || depth > 32 || *budget == 0)
		return;
	(*budget)--;
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(crd_schema(def), "properties");
	cJSON_ArrayForEach(prop, props) {
		char *p = *path ? xasprintf("%s/%s", path, prop->string) : xstrdup(prop->string);
		if (has_str_ext(prop, "x-kubernetes-annotation"))
			kz_fsv_add(&c->annotations, NULL, NULL, kind, p, false);
		if (has_str_ext(prop, "x-kubernetes-label-selector")) {
			kz_fsv_add(&c->common_labels, NULL, NULL, kind, p, false);
			kz_fsv_add(&c->template_labels, NULL, NULL, kind, p, false);
		}
		if (has_str_ext(prop, "x-kubernetes-identity"))
			kz_fsv_add(&c->name_prefix, NULL, NULL, kind, p, false);
		const char *ver = json_str(prop, "x-kubernetes-object-ref-api-version");
		const char *rk = json_str(prop, "x-kubernetes-object-ref-kind");
		if (has_str_ext(prop, "x-kubernetes-object-ref-api-version") &&
		    has_str_ext(prop, "x-kubernetes-object-ref-kind")) {
			const char *nk = json_str(prop, "x-kubernetes-object-ref-name-key");
			if (!has_str_ext(prop, "x-kubernetes-object-ref-name-key"))
				nk = "name";
			char *rp = xasprintf("%s/%s", p, nk ? nk : "");
			struct kz_nameref *n = nameref_slot(c, NULL, ver, rk);
			kz_fsv_add(&n->refs, NULL, NULL, kind, rp, false);
			free(rp);
		}
		const cJSON *ref = cJSON_GetObjectItemCaseSensitive(prop, "$ref");
		if (cJSON_IsString(ref) && *ref->valuestring)
			crd_walk(c, kind, all, ref->valuestring, p, depth + 1, budget);
		free(p);
	}
}

int kz_config_add_crd(kz_config *c, const cJSON *crd, err *e)
{
	const cJSON *def;
	if (!cJSON_IsObject(crd)) /* definitions are keyed by name; anything else holds none */
		return 0;
	cJSON_ArrayForEach(def, crd) {
		const cJSON *props = cJSON_GetObjectItemCaseSensitive(crd_schema(def), "properties");
		if (!cJSON_GetObjectItemCaseSensitive(props, "kind") ||
		    !cJSON_GetObjectItemCaseSensitive(props, "apiVersion") ||
		    !cJSON_GetObjectItemCaseSensitive(props, "metadata"))
			continue;
		const char *dot = strrchr(def->string, '.');
		const char *kind = dot ? dot + 1 : def->string;
		size_t budget = 10000; /* definitions visited: $ref cycles end here */
		crd_walk(c, kind, crd, def->string, "", 0, &budget);
	}
	(void)e;
	return 0;
}
