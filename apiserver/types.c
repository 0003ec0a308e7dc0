/* types: built-in resource table of Kubernetes 1.33 and CRD registration (see types.h). */
#include "types.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/json.h"
#include "eddy/mem.h"

/* One built-in type. gv: "v1" or "group/version". verbs: letters c d D g l p u w (NULL: all).
 * subs: space-separated "name[=group/version/Kind][:verbs]" ("status" and "scale" alone mean
 * the usual get/patch/update of the kind itself and of autoscaling/v1 Scale). flags: G tracks
 * generation. */
typedef struct builtin {
	const char *gv, *resource, *kind;
	char scope; /* 'N' namespaced, 'C' cluster */
	const char *shorts, *cats, *verbs, *subs, *flags, *fields;
} builtin;

#define ALL "all"
#define APIX "api-extensions"
static const builtin builtins[] = {
    {"v1", "bindings", "Binding", 'N', "", "", "c", "", "", NULL},
    {"v1", "componentstatuses", "ComponentStatus", 'C', "cs", "", "gl", "", "", NULL},
    {"v1", "configmaps", "ConfigMap", 'N', "cm", "", NULL, "", "", NULL},
    {"v1", "endpoints", "Endpoints", 'N', "ep", "", NULL, "", "", NULL},
    {"v1", "events", "Event", 'N', "ev", "", NULL, "", "",
     "involvedObject.kind,involvedObject.namespace,involvedObject.name,involvedObject.uid,"
     "involvedObject.apiVersion,involvedObject.resourceVersion,involvedObject.fieldPath,"
     "reason,reportingComponent,source,type"},
    {"v1", "limitranges", "LimitRange", 'N', "limits", "", NULL, "", "", NULL},
    {"v1", "namespaces", "Namespace", 'C', "ns", "", "cdglpuw", "finalize=/v1/Namespace:u status",
     "", "status.phase"},
    {"v1", "nodes", "Node", 'C', "no", "", NULL, "proxy=/v1/NodeProxyOptions:cdgpu status", "",
     "spec.unschedulable"},
    {"v1", "persistentvolumeclaims", "PersistentVolumeClaim", 'N', "pvc", "", NULL, "status", "",
     NULL},
    {"v1", "persistentvolumes", "PersistentVolume", 'C', "pv", "", NULL, "status", "", NULL},
    {"v1", "pods", "Pod", 'N', "po", ALL, NULL,
     "attach=/v1/PodAttachOptions:cg binding=/v1/Binding:c ephemeralcontainers=/v1/Pod:gpu "
     "eviction=policy/v1/Eviction:c exec=/v1/PodExecOptions:cg log=/v1/Pod:g "
     "portforward=/v1/PodPortForwardOptions:cg proxy=/v1/PodProxyOptions:cdgpu "
     "resize=/v1/Pod:gpu status",
     "",
     "spec.nodeName,spec.restartPolicy,spec.schedulerName,spec.serviceAccountName,"
     "spec.hostNetwork,status.phase,status.podIP,status.podIPs,status.nominatedNodeName"},
    {"v1", "podtemplates", "PodTemplate", 'N', "", "", NULL, "", "", NULL},
    {"v1", "replicationcontrollers", "ReplicationController", 'N', "rc", ALL, NULL, "scale status",
     "G", "status.replicas"},
    {"v1", "resourcequotas", "ResourceQuota", 'N', "quota", "", NULL, "status", "", NULL},
    {"v1", "secrets", "Secret", 'N', "", "", NULL, "", "", "type"},
    {"v1", "serviceaccounts", "ServiceAccount", 'N', "sa", "", NULL,
     "token=authentication.k8s.io/v1/TokenRequest:c", "", NULL},
    {"v1", "services", "Service", 'N', "svc", ALL, NULL,
     "proxy=/v1/ServiceProxyOptions:cdgpu status", "", NULL},
    {"admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations",
     "MutatingWebhookConfiguration", 'C', "", APIX, NULL, "", "G", NULL},
    {"admissionregistration.k8s.io/v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy",
     'C', "", APIX, NULL, "status", "G", NULL},
    {"admissionregistration.k8s.io/v1", "validatingadmissionpolicybindings",
     "ValidatingAdmissionPolicyBinding", 'C', "", APIX, NULL, "", "G", NULL},
    {"admissionregistration.k8s.io/v1", "validatingwebhookconfigurations",
     "ValidatingWebhookConfiguration", 'C', "", APIX, NULL, "", "G", NULL},
    {"apiextensions.k8s.io/v1", "customresourcedefinitions", "CustomResourceDefinition", 'C',
     "crd crds", APIX, NULL, "status", "G", NULL},
    {"apiregistration.k8s.io/v1", "apiservices", "APIService", 'C', "", APIX, NULL, "status", "",
     NULL},
    {"apps/v1", "controllerrevisions", "ControllerRevision", 'N', "", "", NULL, "", "", NULL},
    {"apps/v1", "daemonsets", "DaemonSet", 'N', "ds", ALL, NULL, "status", "G", NULL},
    {"apps/v1", "deployments", "Deployment", 'N', "deploy", ALL, NULL, "scale status", "G", NULL},
    {"apps/v1", "replicasets", "ReplicaSet", 'N', "rs", ALL, NULL, "scale status", "G",
     "status.replicas"},
    {"apps/v1", "statefulsets", "StatefulSet", 'N', "sts", ALL, NULL, "scale status", "G", NULL},
    {"authentication.k8s.io/v1", "selfsubjectreviews", "SelfSubjectReview", 'C', "", "", "c", "",
     "", NULL},
    {"authentication.k8s.io/v1", "tokenreviews", "TokenReview", 'C', "", "", "c", "", "", NULL},
    {"authorization.k8s.io/v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", 'N', "",
     "", "c", "", "", NULL},
    {"authorization.k8s.io/v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", 'C', "", "",
     "c", "", "", NULL},
    {"authorization.k8s.io/v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", 'C', "", "",
     "c", "", "", NULL},
    {"authorization.k8s.io/v1", "subjectaccessreviews", "SubjectAccessReview", 'C', "", "", "c", "",
     "", NULL},
    {"autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", 'N', "hpa", ALL, NULL,
     "status", "", NULL},
    {"autoscaling/v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", 'N', "hpa", ALL, NULL,
     "status", "", NULL},
    {"batch/v1", "cronjobs", "CronJob", 'N', "cj", ALL, NULL, "status", "G", NULL},
    {"batch/v1", "jobs", "Job", 'N', "", ALL, NULL, "status", "G", "status.successful"},
    {"certificates.k8s.io/v1", "certificatesigningrequests", "CertificateSigningRequest", 'C',
     "csr", "", NULL, "approval=certificates.k8s.io/v1/CertificateSigningRequest:gpu status", "",
     "spec.signerName"},
    {"coordination.k8s.io/v1", "leases", "Lease", 'N', "", "", NULL, "", "", NULL},
    {"discovery.k8s.io/v1", "endpointslices", "EndpointSlice", 'N', "", "", NULL, "", "", NULL},
    {"events.k8s.io/v1", "events", "Event", 'N', "ev", "", NULL, "", "", NULL},
    {"flowcontrol.apiserver.k8s.io/v1", "flowschemas", "FlowSchema", 'C', "", "", NULL, "status",
     "G", NULL},
    {"flowcontrol.apiserver.k8s.io/v1", "prioritylevelconfigurations", "PriorityLevelConfiguration",
     'C', "", "", NULL, "status", "G", NULL},
    {"networking.k8s.io/v1", "ingressclasses", "IngressClass", 'C', "", "", NULL, "", "", NULL},
    {"networking.k8s.io/v1", "ingresses", "Ingress", 'N', "ing", "", NULL, "status", "G", NULL},
    {"networking.k8s.io/v1", "ipaddresses", "IPAddress", 'C', "ip", "", NULL, "", "", NULL},
    {"networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", 'N', "netpol", "", NULL, "", "G",
     NULL},
    {"networking.k8s.io/v1", "servicecidrs", "ServiceCIDR", 'C', "", "", NULL, "status", "", NULL},
    {"node.k8s.io/v1", "runtimeclasses", "RuntimeClass", 'C', "", "", NULL, "", "", NULL},
    {"policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", 'N', "pdb", "", NULL, "status",
     "G", NULL},
    {"rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", 'C', "", "", NULL,
     "", "", NULL},
    {"rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", 'C', "", "", NULL, "", "",
     NULL},
    {"rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", 'N', "", "", NULL, "", "",
     NULL},
    {"rbac.authorization.k8s.io/v1", "roles", "Role", 'N', "", "", NULL, "", "", NULL},
    {"scheduling.k8s.io/v1", "priorityclasses", "PriorityClass", 'C', "pc", "", NULL, "", "", NULL},
    {"storage.k8s.io/v1", "csidrivers", "CSIDriver", 'C', "", "", NULL, "", "", NULL},
    {"storage.k8s.io/v1", "csinodes", "CSINode", 'C', "", "", NULL, "", "", NULL},
    {"storage.k8s.io/v1", "csistoragecapacities", "CSIStorageCapacity", 'N', "", "", NULL, "", "",
     NULL},
    {"storage.k8s.io/v1", "storageclasses", "StorageClass", 'C', "sc", "", NULL, "", "", NULL},
    {"storage.k8s.io/v1", "volumeattachments", "VolumeAttachment", 'C', "", "", NULL, "status", "",
     NULL},
};

static unsigned parse_verbs(const char *v)
{
	if (!v)
		return VERB_ALL;
	unsigned m = 0;
	for (; *v; v++) {
		switch (*v) {
		case 'c': m |= VERB_CREATE; break;
		case 'd': m |= VERB_DELETE; break;
		case 'D': m |= VERB_DELETECOLLECTION; break;
		case 'g': m |= VERB_GET; break;
		case 'l': m |= VERB_LIST; break;
		case 'p': m |= VERB_PATCH; break;
		case 'u': m |= VERB_UPDATE; break;
		case 'w': m |= VERB_WATCH; break;
		}
	}
	return m;
}

/* The space-separated words of s, appended to out. */
static void split_words(const char *s, strv *out)
{
	if (!s)
		return;
	const char *p = s;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *q = p;
		while (*q && *q != ' ')
			q++;
		if (q > p)
			strv_addn(out, p, (size_t)(q - p));
		p = q;
	}
}

static char *lower(const char *s)
{
	char *d = xstrdup(s);
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static void add_subres(api_type *ty, const char *name, const char *g, const char *v,
		       const char *k, unsigned verbs)
{
	ty->subres = xrealloc(ty->subres, (ty->n_subres + 1) * sizeof(*ty->subres));
	api_subres *s = &ty->subres[ty->n_subres++];
	s->name = xstrdup(name);
	s->group = xstrdup(g);
	s->version = xstrdup(v);
	s->kind = xstrdup(k);
	s->verbs = verbs;
	if (!strcmp(name, "status"))
		ty->has_status = true;
	if (!strcmp(name, "scale"))
		ty->has_scale = true;
}

static void parse_subs(api_type *ty, const char *subs)
{
	strv w = {0};
	split_words(subs, &w);
	for (size_t i = 0; i < w.n; i++) {
		char *name = w.v[i];
		char *colon = strchr(name, ':');
		unsigned verbs = VERB_GET | VERB_PATCH | VERB_UPDATE;
		if (colon) {
			*colon = '\0';
			verbs = parse_verbs(colon + 1);
		}
		char *eq = strchr(name, '=');
		if (!strcmp(name, "status")) {
			add_subres(ty, "status", ty->group, ty->version, ty->kind, verbs);
		} else if (!strcmp(name, "scale")) {
			add_subres(ty, "scale", "autoscaling", "v1", "Scale", verbs);
		} else if (eq) {
			*eq = '\0';
			/* group/version/Kind with an empty group for core */
			char *gvk = eq + 1, *s1 = strchr(gvk, '/');
			char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
			if (s1 && s2) {
				*s1 = *s2 = '\0';
				add_subres(ty, name, gvk, s1 + 1, s2 + 1, verbs);
			}
		}
	}
	strv_release(&w);
}

static void type_add(types *t, api_type *ty)
{
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	t->v[t->n++] = ty;
}

static void type_free(api_type *ty)
{
	if (!ty)
		return;
	free(ty->group);
	free(ty->version);
	free(ty->resource);
	free(ty->singular);
	free(ty->kind);
	free(ty->list_kind);
	strv_release(&ty->short_names);
	strv_release(&ty->categories);
	for (size_t i = 0; i < ty->n_subres; i++) {
		free(ty->subres[i].name);
		free(ty->subres[i].group);
		free(ty->subres[i].version);
		free(ty->subres[i].kind);
	}
	free(ty->subres);
	cJSON_Delete(ty->schema);
	cJSON_Delete(ty->columns);
	cJSON_Delete(ty->selectable);
	free(ty->crd_name);
	free(ty->scale_spec);
	free(ty->scale_status);
	free(ty->scale_selector);
	free(ty);
}

void types_init(types *t)
{
	t->v = NULL;
	t->n = 0;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		const builtin *b = &builtins[i];
		api_type *ty = xcalloc(1, sizeof(*ty));
		const char *slash = strchr(b->gv, '/');
		ty->group = slash ? xstrndup(b->gv, (size_t)(slash - b->gv)) : xstrdup("");
		ty->version = xstrdup(slash ? slash + 1 : b->gv);
		ty->resource = xstrdup(b->resource);
		ty->kind = xstrdup(b->kind);
		ty->singular = lower(b->kind);
		ty->list_kind = xasprintf("%sList", b->kind);
		ty->namespaced = b->scope == 'N';
		split_words(b->shorts, &ty->short_names);
		split_words(b->cats, &ty->categories);
		ty->verbs = parse_verbs(b->verbs);
		parse_subs(ty, b->subs);
		ty->generation = strchr(b->flags, 'G') != NULL;
		ty->fields = b->fields;
		ty->storage = true;
		/* The first version of a group in the table is its preferred one. */
		ty->preferred = true;
		for (size_t j = 0; j < t->n; j++)
			if (!strcmp(t->v[j]->group, ty->group) &&
			    strcmp(t->v[j]->version, ty->version)) {
				ty->preferred = false;
				ty->order = 1;
				if (!strcmp(t->v[j]->resource, ty->resource))
					ty->storage = false;
			}
		type_add(t, ty);
	}
}

void types_free(types *t)
{
	for (size_t i = 0; i < t->n; i++)
		type_free(t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

api_type *types_find(types *t, const char *group, const char *version, const char *resource)
{
	for (size_t i = 0; i < t->n; i++) {
		api_type *ty = t->v[i];
		if (!strcmp(ty->group, group) && !strcmp(ty->version, version) &&
		    !strcmp(ty->resource, resource))
			return ty;
	}
	return NULL;
}

api_type *types_find_gr(types *t, const char *group, const char *resource)
{
	api_type *any = NULL;
	for (size_t i = 0; i < t->n; i++) {
		api_type *ty = t->v[i];
		if (!strcmp(ty->group, group) && !strcmp(ty->resource, resource)) {
			if (ty->storage)
				return ty;
			if (!any)
				any = ty;
		}
	}
	return any;
}

api_type *types_find_kind(types *t, const char *group, const char *version, const char *kind)
{
	for (size_t i = 0; i < t->n; i++) {
		api_type *ty = t->v[i];
		if (!strcmp(ty->group, group) && !strcmp(ty->version, version) &&
		    !strcmp(ty->kind, kind))
			return ty;
	}
	return NULL;
}

char *types_key_prefix(const api_type *ty)
{
	return xasprintf("/%s/%s/", ty->group[0] ? ty->group : "core", ty->resource);
}

char *types_api_version(const api_type *ty)
{
	if (!ty->group[0])
		return xstrdup(ty->version);
	return xasprintf("%s/%s", ty->group, ty->version);
}

/* Kubernetes version priority: GA > beta > alpha > non-conforming; higher numbers first. */
static int version_rank(const char *v, long *major, long *minor)
{
	*major = *minor = 0;
	if (v[0] != 'v' || !isdigit((unsigned char)v[1]))
		return 3;
	char *end;
	*major = strtol(v + 1, &end, 10);
	if (!*end)
		return 0;
	int rank;
	if (!strncmp(end, "beta", 4)) {
		rank = 1;
		end += 4;
	} else if (!strncmp(end, "alpha", 5)) {
		rank = 2;
		end += 5;
	} else {
		return 3;
	}
	if (!isdigit((unsigned char)*end))
		return 3;
	char *end2;
	*minor = strtol(end, &end2, 10);
	if (*end2)
		return 3;
	return rank;
}

int types_version_cmp(const char *a, const char *b)
{
	long amaj, amin, bmaj, bmin;
	int ra = version_rank(a, &amaj, &amin), rb = version_rank(b, &bmaj, &bmin);
	if (ra != rb)
		return ra - rb;
	if (ra == 3)
		return strcmp(a, b);
	if (amaj != bmaj)
		return amaj > bmaj ? -1 : 1;
	if (amin != bmin)
		return amin > bmin ? -1 : 1;
	return 0;
}

/* The strings of arr (other items skipped), appended to out. */
static void strings_of(const cJSON *arr, strv *out)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it))
			strv_add(out, it->valuestring);
}

void types_remove_crd(types *t, const char *crd_name)
{
	size_t j = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i]->crd && !strcmp(t->v[i]->crd_name, crd_name))
			type_free(t->v[i]);
		else
			t->v[j++] = t->v[i];
	}
	t->n = j;
}

static int cmp_order(const void *a, const void *b)
{
	const cJSON *va = *(const cJSON *const *)a, *vb = *(const cJSON *const *)b;
	return types_version_cmp(json_str(va, "name"), json_str(vb, "name"));
}

int types_add_crd(types *t, const cJSON *crd)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(crd, "metadata");
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(crd, "spec");
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(spec, "names");
	const char *name = json_str(meta, "name"), *group = json_str(spec, "group");
	const char *plural = json_str(names, "plural"), *kind = json_str(names, "kind");
	if (!name || !group || !plural || !kind)
		return 0;
	types_remove_crd(t, name);
	const cJSON *versions = cJSON_GetObjectItemCaseSensitive(spec, "versions");
	size_t nv = (size_t)cJSON_GetArraySize(versions), k = 0;
	const cJSON **vs = xcalloc(nv ? nv : 1, sizeof(*vs));
	const cJSON *v;
	cJSON_ArrayForEach(v, versions) {
		const cJSON *served = cJSON_GetObjectItemCaseSensitive(v, "served");
		if (json_str(v, "name") && (!served || cJSON_IsTrue(served)))
			vs[k++] = v;
	}
	qsort(vs, k, sizeof(*vs), cmp_order);
	const char *singular = json_str(names, "singular");
	const char *list_kind = json_str(names, "listKind");
	const char *scope = json_str(spec, "scope");
	for (size_t i = 0; i < k; i++) {
		v = vs[i];
		api_type *ty = xcalloc(1, sizeof(*ty));
		ty->group = xstrdup(group);
		ty->version = xstrdup(json_str(v, "name"));
		ty->resource = xstrdup(plural);
		ty->kind = xstrdup(kind);
		ty->singular = singular && *singular ? xstrdup(singular) : lower(kind);
		ty->list_kind = list_kind && *list_kind ? xstrdup(list_kind)
						       : xasprintf("%sList", kind);
		ty->namespaced = !scope || strcmp(scope, "Cluster") != 0;
		strings_of(json_get(names, "shortNames"), &ty->short_names);
		strings_of(json_get(names, "categories"), &ty->categories);
		ty->verbs = VERB_ALL;
		ty->generation = true;
		ty->crd = true;
		ty->crd_name = xstrdup(name);
		ty->storage = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "storage"));
		ty->preferred = i == 0;
		ty->order = (int)i;
		const cJSON *sr = cJSON_GetObjectItemCaseSensitive(v, "subresources");
		if (cJSON_GetObjectItemCaseSensitive(sr, "status"))
			add_subres(ty, "status", group, ty->version, kind,
				   VERB_GET | VERB_PATCH | VERB_UPDATE);
		const cJSON *scale = cJSON_GetObjectItemCaseSensitive(sr, "scale");
		if (scale) {
			add_subres(ty, "scale", "autoscaling", "v1", "Scale",
				   VERB_GET | VERB_PATCH | VERB_UPDATE);
			const char *p = json_str(scale, "specReplicasPath");
			ty->scale_spec = xstrdup(p ? p : ".spec.replicas");
			p = json_str(scale, "statusReplicasPath");
			ty->scale_status = xstrdup(p ? p : ".status.replicas");
			p = json_str(scale, "labelSelectorPath");
			ty->scale_selector = p ? xstrdup(p) : NULL;
		}
		const cJSON *schema = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(v, "schema"), "openAPIV3Schema");
		if (schema)
			ty->schema = cJSON_Duplicate(schema, 1);
		const cJSON *cols = cJSON_GetObjectItemCaseSensitive(v, "additionalPrinterColumns");
		if (cJSON_IsArray(cols) && cJSON_GetArraySize(cols) > 0)
			ty->columns = cJSON_Duplicate(cols, 1);
		const cJSON *sf = cJSON_GetObjectItemCaseSensitive(v, "selectableFields");
		if (cJSON_IsArray(sf))
			ty->selectable = cJSON_Duplicate(sf, 1);
		type_add(t, ty);
	}
	free(vs);
	return (int)k;
}

char *types_qualified_resource(const api_type *ty)
{
	if (ty->group[0])
		return xasprintf("%s.%s", ty->resource, ty->group);
	return xstrdup(ty->resource);
}

char *types_qualified_kind(const api_type *ty)
{
	if (ty->group[0])
		return xasprintf("%s.%s", ty->kind, ty->group);
	return xstrdup(ty->kind);
}
