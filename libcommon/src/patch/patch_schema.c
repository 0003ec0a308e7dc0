/* patch: the static schema of the built-in kinds (patch strategies, merge keys, apply list
 * types), after the patchStrategy / patchMergeKey / listType / structType tags of k8s.io/api,
 * plus the cursor that walks it or a CRD's openAPIV3Schema. Only fields that carry a strategy,
 * a key or atomicity (and the structs leading to them) are listed; everything else is a
 * granular map or an atomic list. */
#include <string.h>

#include "eddy/mem.h"
#include "patch_int.h"

typedef struct pfield {
	const char *name;
	unsigned strategy;       /* patch_strategy flags (SMP) */
	const char *merge_key;   /* SMP merge key */
	patch_list_type list;    /* apply list type */
	const char *keys[PATCH_MAX_KEYS];
	bool atomic;             /* atomic map (structType=atomic) */
	const struct ptype *type; /* value type (item type for lists) or NULL */
} pfield;

typedef struct ptype {
	const char *name;
	const pfield *fields; /* terminated by a NULL name */
} ptype;

#define M PATCH_STRATEGY_MERGE
#define RK PATCH_STRATEGY_RETAIN_KEYS
#define END { NULL, 0, NULL, PATCH_LIST_ATOMIC, { NULL }, false, NULL }
/* A keyed list merged by key in both SMP and apply. */
#define KEYED(n, strat, key, t) { n, strat, key, PATCH_LIST_MAP, { key }, false, t }
#define KEYED2(n, key, key2, t) { n, M, key, PATCH_LIST_MAP, { key, key2 }, false, t }
/* A set of primitives. */
#define SET(n) { n, M, NULL, PATCH_LIST_SET, { NULL }, false, NULL }
/* A struct field (granular map) of type t. */
#define STRUCT(n, t) { n, 0, NULL, PATCH_LIST_ATOMIC, { NULL }, false, t }
#define STRUCT_RK(n, t) { n, RK, NULL, PATCH_LIST_ATOMIC, { NULL }, false, t }
#define ATOMIC_MAP(n) { n, 0, NULL, PATCH_LIST_ATOMIC, { NULL }, true, NULL }
/* A list of structs without SMP strategy whose items still contain typed fields. */
#define LIST_OF(n, t) { n, 0, NULL, PATCH_LIST_ATOMIC, { NULL }, false, t }

static const pfield f_ownerref[] = { END };
static const ptype t_ownerref = { "OwnerReference", f_ownerref };

static const pfield f_meta[] = {
	SET("finalizers"),
	KEYED("ownerReferences", M, "uid", &t_ownerref),
	END,
};
static const ptype t_meta = { "ObjectMeta", f_meta };

/* EnvVarSource: the key selectors are atomic structs. */
static const pfield f_envsrc[] = {
	ATOMIC_MAP("configMapKeyRef"), ATOMIC_MAP("secretKeyRef"),
	ATOMIC_MAP("fieldRef"), ATOMIC_MAP("resourceFieldRef"), END,
};
static const ptype t_envsrc = { "EnvVarSource", f_envsrc };
static const pfield f_env[] = { STRUCT("valueFrom", &t_envsrc), END };
static const ptype t_env = { "EnvVar", f_env };

static const pfield f_resources[] = {
	{ "claims", 0, NULL, PATCH_LIST_MAP, { "name" }, false, NULL },
	END,
};
static const ptype t_resources = { "ResourceRequirements", f_resources };

static const pfield f_container[] = {
	KEYED2("ports", "containerPort", "protocol", NULL),
	KEYED("env", M, "name", &t_env),
	KEYED("volumeMounts", M, "mountPath", NULL),
	KEYED("volumeDevices", M, "devicePath", NULL),
	STRUCT("resources", &t_resources),
	END,
};
static const ptype t_container = { "Container", f_container };

static const pfield f_labelsel_holder[] = { END };
static const ptype t_volume = { "Volume", f_labelsel_holder };

static const pfield f_nodeaffinity[] = {
	ATOMIC_MAP("requiredDuringSchedulingIgnoredDuringExecution"), END,
};
static const ptype t_nodeaffinity = { "NodeAffinity", f_nodeaffinity };
static const pfield f_affinity[] = { STRUCT("nodeAffinity", &t_nodeaffinity), END };
static const ptype t_affinity = { "Affinity", f_affinity };

static const pfield f_podspec[] = {
	{ "volumes", M | RK, "name", PATCH_LIST_MAP, { "name" }, false, &t_volume },
	KEYED("initContainers", M, "name", &t_container),
	KEYED("containers", M, "name", &t_container),
	KEYED("ephemeralContainers", M, "name", &t_container),
	KEYED("imagePullSecrets", M, "name", NULL),
	KEYED("hostAliases", M, "ip", NULL),
	KEYED2("topologySpreadConstraints", "topologyKey", "whenUnsatisfiable", NULL),
	KEYED("schedulingGates", M, "name", NULL),
	{ "resourceClaims", M | RK, "name", PATCH_LIST_MAP, { "name" }, false, NULL },
	STRUCT("affinity", &t_affinity),
	END,
};
static const ptype t_podspec = { "PodSpec", f_podspec };

static const pfield f_podstatus[] = {
	KEYED("conditions", M, "type", NULL),
	KEYED("podIPs", M, "ip", NULL),
	KEYED("hostIPs", M, "ip", NULL),
	{ "resourceClaimStatuses", M | RK, "name", PATCH_LIST_MAP, { "name" }, false, NULL },
	END,
};
static const ptype t_podstatus = { "PodStatus", f_podstatus };

static const pfield f_podtemplatespec[] = {
	STRUCT("metadata", &t_meta), STRUCT("spec", &t_podspec), END,
};
static const ptype t_podtemplatespec = { "PodTemplateSpec", f_podtemplatespec };

/* Generic status with conditions merged on type. */
static const pfield f_condstatus[] = { KEYED("conditions", M, "type", NULL), END };
static const ptype t_condstatus = { "ConditionsStatus", f_condstatus };
/* Conditions merged on type by SMP but atomic for apply (Job). */
static const pfield f_jobstatus[] = {
	{ "conditions", M, "type", PATCH_LIST_ATOMIC, { NULL }, false, NULL }, END,
};
static const ptype t_jobstatus = { "JobStatus", f_jobstatus };

#define KIND_TYPE(var, specvar, statusvar)                                                  \
	static const pfield var##_f[] = {                                                   \
		STRUCT("metadata", &t_meta), STRUCT("spec", specvar),                       \
		STRUCT("status", statusvar), END,                                           \
	};                                                                                  \
	static const ptype var = { #var, var##_f }

/* core/v1 */
KIND_TYPE(k_pod, &t_podspec, &t_podstatus);
static const pfield f_podtemplate[] = {
	STRUCT("metadata", &t_meta), STRUCT("template", &t_podtemplatespec), END,
};
static const ptype k_podtemplate = { "PodTemplate", f_podtemplate };
static const pfield f_rcspec[] = { STRUCT("template", &t_podtemplatespec), END };
static const ptype t_rcspec = { "ReplicationControllerSpec", f_rcspec };
KIND_TYPE(k_rc, &t_rcspec, &t_condstatus);
static const pfield f_svcspec[] = { KEYED2("ports", "port", "protocol", NULL), END };
static const ptype t_svcspec = { "ServiceSpec", f_svcspec };
static const pfield f_svcstatus[] = {
	{ "conditions", M, "type", PATCH_LIST_MAP, { "type" }, false, NULL }, END,
};
static const ptype t_svcstatus = { "ServiceStatus", f_svcstatus };
KIND_TYPE(k_service, &t_svcspec, &t_svcstatus);
static const pfield f_nodespec[] = { SET("podCIDRs"), END };
static const ptype t_nodespec = { "NodeSpec", f_nodespec };
static const pfield f_nodestatus[] = {
	KEYED("conditions", M, "type", NULL),
	{ "addresses", M, "type", PATCH_LIST_ATOMIC, { NULL }, false, NULL },
	END,
};
static const ptype t_nodestatus = { "NodeStatus", f_nodestatus };
KIND_TYPE(k_node, &t_nodespec, &t_nodestatus);
KIND_TYPE(k_namespace, NULL, &t_condstatus);
KIND_TYPE(k_pvc, NULL, &t_condstatus);
KIND_TYPE(k_plain, NULL, NULL);
static const pfield f_sa[] = {
	STRUCT("metadata", &t_meta), KEYED("secrets", M, "name", NULL), END,
};
static const ptype k_serviceaccount = { "ServiceAccount", f_sa };

/* apps/v1 */
static const pfield f_deployspec[] = {
	ATOMIC_MAP("selector"), STRUCT("template", &t_podtemplatespec),
	STRUCT_RK("strategy", NULL), END,
};
static const ptype t_deployspec = { "DeploymentSpec", f_deployspec };
KIND_TYPE(k_deployment, &t_deployspec, &t_condstatus);
static const pfield f_pvctemplate[] = { STRUCT("metadata", &t_meta), END };
static const ptype t_pvctemplate = { "PersistentVolumeClaim", f_pvctemplate };
static const pfield f_stsspec[] = {
	ATOMIC_MAP("selector"), STRUCT("template", &t_podtemplatespec),
	LIST_OF("volumeClaimTemplates", &t_pvctemplate), END,
};
static const ptype t_stsspec = { "StatefulSetSpec", f_stsspec };
KIND_TYPE(k_statefulset, &t_stsspec, &t_condstatus);
static const pfield f_selspec[] = {
	ATOMIC_MAP("selector"), STRUCT("template", &t_podtemplatespec), END,
};
static const ptype t_selspec = { "SelectorTemplateSpec", f_selspec };
KIND_TYPE(k_daemonset, &t_selspec, &t_condstatus);
KIND_TYPE(k_replicaset, &t_selspec, &t_condstatus);

/* batch/v1 */
KIND_TYPE(k_job, &t_selspec, &t_jobstatus);
static const pfield f_jobtemplate[] = {
	STRUCT("metadata", &t_meta), STRUCT("spec", &t_selspec), END,
};
static const ptype t_jobtemplate = { "JobTemplateSpec", f_jobtemplate };
static const pfield f_cronspec[] = { STRUCT("jobTemplate", &t_jobtemplate), END };
static const ptype t_cronspec = { "CronJobSpec", f_cronspec };
KIND_TYPE(k_cronjob, &t_cronspec, NULL);

/* networking.k8s.io/v1 */
static const pfield f_npspec[] = { ATOMIC_MAP("podSelector"), END };
static const ptype t_npspec = { "NetworkPolicySpec", f_npspec };
KIND_TYPE(k_networkpolicy, &t_npspec, NULL);

/* policy/v1 */
static const pfield f_pdbspec[] = { ATOMIC_MAP("selector"), END };
static const ptype t_pdbspec = { "PodDisruptionBudgetSpec", f_pdbspec };
KIND_TYPE(k_pdb, &t_pdbspec, &t_condstatus);

/* autoscaling/v2 */
KIND_TYPE(k_hpa2, NULL, &t_condstatus);

/* admissionregistration.k8s.io/v1: webhooks merge on name */
static const pfield f_webhookcfg[] = {
	STRUCT("metadata", &t_meta), KEYED("webhooks", M, "name", NULL), END,
};
static const ptype k_webhookcfg = { "WebhookConfiguration", f_webhookcfg };

/* storage.k8s.io/v1 CSINode: drivers merge on name */
static const pfield f_csinodespec[] = { KEYED("drivers", M, "name", NULL), END };
static const ptype t_csinodespec = { "CSINodeSpec", f_csinodespec };
KIND_TYPE(k_csinode, &t_csinodespec, NULL);

/* v1 ComponentStatus: conditions merge on type (top level) */
static const pfield f_compstatus[] = {
	STRUCT("metadata", &t_meta), KEYED("conditions", M, "type", NULL), END,
};
static const ptype k_compstatus = { "ComponentStatus", f_compstatus };

static const struct kind_entry {
	const char *api_version;
	const char *kind;
	const ptype *type;
} kinds[] = {
	{ "v1", "Pod", &k_pod },
	{ "v1", "PodTemplate", &k_podtemplate },
	{ "v1", "ReplicationController", &k_rc },
	{ "v1", "Service", &k_service },
	{ "v1", "Endpoints", &k_plain },
	{ "v1", "Node", &k_node },
	{ "v1", "Namespace", &k_namespace },
	{ "v1", "PersistentVolume", &k_plain },
	{ "v1", "PersistentVolumeClaim", &k_pvc },
	{ "v1", "ConfigMap", &k_plain },
	{ "v1", "Secret", &k_plain },
	{ "v1", "ServiceAccount", &k_serviceaccount },
	{ "v1", "LimitRange", &k_plain },
	{ "v1", "ResourceQuota", &k_plain },
	{ "v1", "Event", &k_plain },
	{ "apps/v1", "Deployment", &k_deployment },
	{ "apps/v1", "StatefulSet", &k_statefulset },
	{ "apps/v1", "DaemonSet", &k_daemonset },
	{ "apps/v1", "ReplicaSet", &k_replicaset },
	{ "apps/v1", "ControllerRevision", &k_plain },
	{ "batch/v1", "Job", &k_job },
	{ "batch/v1", "CronJob", &k_cronjob },
	{ "networking.k8s.io/v1", "Ingress", &k_plain },
	{ "networking.k8s.io/v1", "IngressClass", &k_plain },
	{ "networking.k8s.io/v1", "NetworkPolicy", &k_networkpolicy },
	{ "rbac.authorization.k8s.io/v1", "Role", &k_plain },
	{ "rbac.authorization.k8s.io/v1", "ClusterRole", &k_plain },
	{ "rbac.authorization.k8s.io/v1", "RoleBinding", &k_plain },
	{ "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &k_plain },
	{ "policy/v1", "PodDisruptionBudget", &k_pdb },
	{ "autoscaling/v1", "HorizontalPodAutoscaler", &k_plain },
	{ "autoscaling/v2", "HorizontalPodAutoscaler", &k_hpa2 },
	{ "v1", "ComponentStatus", &k_compstatus },
	{ "admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", &k_webhookcfg },
	{ "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", &k_webhookcfg },
	{ "admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy", &k_plain },
	{ "admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding", &k_plain },
	{ "storage.k8s.io/v1", "CSINode", &k_csinode },
	{ "storage.k8s.io/v1", "CSIDriver", &k_plain },
	{ "storage.k8s.io/v1", "VolumeAttachment", &k_plain },
	{ "certificates.k8s.io/v1", "CertificateSigningRequest", &k_plain },
	{ "node.k8s.io/v1", "RuntimeClass", &k_plain },
	{ "coordination.k8s.io/v1", "Lease", &k_plain },
	{ "discovery.k8s.io/v1", "EndpointSlice", &k_plain },
	{ "storage.k8s.io/v1", "StorageClass", &k_plain },
	{ "scheduling.k8s.io/v1", "PriorityClass", &k_plain },
	{ "apiextensions.k8s.io/v1", "CustomResourceDefinition", &k_plain },
	{ "events.k8s.io/v1", "Event", &k_plain },
};

static const ptype *find_kind(const char *api_version, const char *kind)
{
	if (!api_version || !kind)
		return NULL;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].api_version, api_version) == 0 &&
		    strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].type;
	return NULL;
}

bool patch_schema_known(const char *api_version, const char *kind)
{
	return find_kind(api_version, kind) != NULL;
}

static void fill_info(const pfield *f, patch_field_info *out)
{
	memset(out, 0, sizeof *out);
	if (!f)
		return;
	out->strategy = f->strategy;
	out->merge_key = f->merge_key;
	out->list_type = f->list;
	for (int i = 0; i < PATCH_MAX_KEYS; i++)
		out->map_keys[i] = f->keys[i];
	out->atomic_map = f->atomic;
}

static const pfield *type_field(const ptype *t, const char *name)
{
	if (!t || !name)
		return NULL;
	for (const pfield *f = t->fields; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

bool patch_schema_field(const char *api_version, const char *kind, const char *path,
			patch_field_info *out)
{
	fill_info(NULL, out);
	const ptype *t = find_kind(api_version, kind);
	if (!t || !path)
		return false;
	const pfield *f = NULL;
	const char *seg = path;
	for (;;) {
		const char *dot = strchr(seg, '.');
		size_t n = dot ? (size_t)(dot - seg) : strlen(seg);
		char name[128];
		if (n == 0 || n >= sizeof name)
			return false;
		memcpy(name, seg, n);
		name[n] = '\0';
		f = type_field(t, name);
		if (!f)
			return false;
		if (!dot)
			break;
		t = f->type;
		seg = dot + 1;
	}
	fill_info(f, out);
	return true;
}

const char *patch_list_merge_key(const char *api_version, const char *kind, const char *path,
				 unsigned *strategy)
{
	patch_field_info fi;
	patch_schema_field(api_version, kind, path, &fi);
	if (strategy)
		*strategy = fi.strategy;
	return fi.merge_key;
}

/* ---- cursor ---- */

pschema patch_s_root(const char *api_version, const char *kind, const patch_schema_hint *hint)
{
	pschema s = { find_kind(api_version, kind), NULL };
	if (!s.t && hint && cJSON_IsObject(hint->openapi_schema))
		s.oa = hint->openapi_schema;
	return s;
}

static bool oa_is(const cJSON *node, const char *key, const char *val)
{
	const cJSON *v = json_get(node, key);
	return cJSON_IsString(v) && strcmp(v->valuestring, val) == 0;
}

pschema patch_s_field(pschema s, const char *name, patch_field_info *fi)
{
	pschema out = { NULL, NULL };
	memset(fi, 0, sizeof *fi);
	if (s.t) {
		const pfield *f = type_field(s.t, name);
		fill_info(f, fi);
		out.t = f ? f->type : NULL;
		return out;
	}
	if (!s.oa)
		return out;
	const cJSON *props = json_get(s.oa, "properties");
	const cJSON *node = json_get(props, name);
	if (!node) {
		const cJSON *ap = json_get(s.oa, "additionalProperties");
		if (cJSON_IsObject(ap))
			node = ap;
	}
	if (!node)
		return out;
	out.oa = node;
	/* strategic merge patch extensions (kustomize's openapi schemas carry them) */
	const cJSON *ps = json_get(node, "x-kubernetes-patch-strategy");
	if (cJSON_IsString(ps)) {
		if (strstr(ps->valuestring, "merge"))
			fi->strategy |= PATCH_STRATEGY_MERGE;
		if (strstr(ps->valuestring, "retainKeys"))
			fi->strategy |= PATCH_STRATEGY_RETAIN_KEYS;
		if (strstr(ps->valuestring, "replace"))
			fi->strategy |= PATCH_STRATEGY_REPLACE;
	}
	const cJSON *mk = json_get(node, "x-kubernetes-patch-merge-key");
	if (cJSON_IsString(mk) && mk->valuestring[0])
		fi->merge_key = mk->valuestring;
	if (oa_is(node, "type", "array")) {
		if (oa_is(node, "x-kubernetes-list-type", "map")) {
			fi->list_type = PATCH_LIST_MAP;
			const cJSON *keys = json_get(node, "x-kubernetes-list-map-keys");
			int i = 0;
			for (const cJSON *k = keys ? keys->child : NULL; k && i < PATCH_MAX_KEYS;
			     k = k->next)
				if (cJSON_IsString(k))
					fi->map_keys[i++] = k->valuestring;
			if (i == 0)
				fi->list_type = PATCH_LIST_ATOMIC;
		} else if (oa_is(node, "x-kubernetes-list-type", "set")) {
			fi->list_type = PATCH_LIST_SET;
		}
	}
	if (oa_is(node, "x-kubernetes-map-type", "atomic"))
		fi->atomic_map = true;
	return out;
}

pschema patch_s_items(pschema s)
{
	if (s.t)
		return s;
	pschema out = { NULL, NULL };
	if (s.oa) {
		const cJSON *items = json_get(s.oa, "items");
		if (cJSON_IsObject(items))
			out.oa = items;
	}
	return out;
}

bool patch_s_atomic_map(pschema s)
{
	return s.oa && oa_is(s.oa, "x-kubernetes-map-type", "atomic");
}
