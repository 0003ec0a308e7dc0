/* protobuf: decode Kubernetes protobuf request bodies ("k8s\0" + runtime.Unknown) for Secret,
 * ConfigMap and DeleteOptions into the JSON objects the rest of the server works on.
 * Field numbers from k8s.io/api core/v1 and apimachinery meta/v1 generated.proto. Every read
 * is bounds-checked; nesting is at most a few levels by construction. */
#include "protobuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver.h"
#include "eddy/clock.h"
#include "eddy/codec.h"
#include "eddy/mem.h"
#include "object.h"

typedef struct pb {
	const unsigned char *p, *end;
} pb;

typedef struct pbf {
	unsigned field, wire;
	uint64_t v;              /* varint value */
	const unsigned char *d;  /* length-delimited data */
	size_t n;
} pbf;

static int varint(pb *b, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (b->p >= b->end)
			return -1;
		unsigned char c = *b->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* Next field: 1, 0 at the end, -1 on malformed input. */
static int next(pb *b, pbf *f)
{
	if (b->p >= b->end)
		return 0;
	uint64_t key;
	if (varint(b, &key) < 0)
		return -1;
	f->field = (unsigned)(key >> 3);
	f->wire = (unsigned)(key & 7);
	f->d = NULL;
	f->n = 0;
	switch (f->wire) {
	case 0:
		return varint(b, &f->v) < 0 ? -1 : 1;
	case 1:
		if (b->end - b->p < 8)
			return -1;
		b->p += 8;
		return 1;
	case 2: {
		uint64_t n;
		if (varint(b, &n) < 0 || n > (uint64_t)(b->end - b->p))
			return -1;
		f->d = b->p;
		f->n = (size_t)n;
		b->p += n;
		return 1;
	}
	case 5:
		if (b->end - b->p < 4)
			return -1;
		b->p += 4;
		return 1;
	default:
		return -1;
	}
}

static char *str(const pbf *f)
{
	return xstrndup(f->d ? (const char *)f->d : "", f->n);
}

static void add_str(cJSON *o, const char *k, const pbf *f)
{
	if (!f->n)
		return;
	char *s = str(f);
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	cJSON_AddStringToObject(o, k, s);
	free(s);
}

/* map entry {1: key, 2: value} into o; bytes values are base64-encoded. */
static int map_entry(cJSON *o, const pbf *f, bool bytes)
{
	pb b = {f->d, f->d + f->n};
	pbf e;
	char *k = NULL, *v = NULL;
	int r;
	while ((r = next(&b, &e)) > 0) {
		if (e.wire != 2)
			continue;
		if (e.field == 1) {
			free(k);
			k = str(&e);
		} else if (e.field == 2) {
			free(v);
			v = bytes ? b64_encode(e.d, e.n, B64_STD) : str(&e);
		}
	}
	if (r == 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, k ? k : "");
		cJSON_AddStringToObject(o, k ? k : "", v ? v : "");
	}
	free(k);
	free(v);
	return r;
}

static int time_of(const pbf *f, char out[32])
{
	pb b = {f->d, f->d + f->n};
	pbf e;
	int64_t secs = 0;
	int r;
	while ((r = next(&b, &e)) > 0)
		if (e.field == 1 && e.wire == 0)
			secs = (int64_t)e.v;
	if (r < 0)
		return -1;
	if (secs <= 0)
		return 0;
	clock_rfc3339_sec(out, 32, secs);
	return 1;
}

static int owner_ref(cJSON *arr, const pbf *f)
{
	pb b = {f->d, f->d + f->n};
	pbf e;
	cJSON *o = cJSON_CreateObject();
	int r;
	while ((r = next(&b, &e)) > 0) {
		switch (e.field) {
		case 5: add_str(o, "apiVersion", &e); break;
		case 1: add_str(o, "kind", &e); break;
		case 3: add_str(o, "name", &e); break;
		case 4: add_str(o, "uid", &e); break;
		case 6: cJSON_AddBoolToObject(o, "controller", e.v != 0); break;
		case 7: cJSON_AddBoolToObject(o, "blockOwnerDeletion", e.v != 0); break;
		}
	}
	cJSON_AddItemToArray(arr, o);
	return r;
}

static int managed_entry(cJSON *arr, const pbf *f)
{
	pb b = {f->d, f->d + f->n};
	pbf e;
	cJSON *o = cJSON_CreateObject();
	int r;
	while ((r = next(&b, &e)) > 0) {
		switch (e.field) {
		case 1: add_str(o, "manager", &e); break;
		case 2: add_str(o, "operation", &e); break;
		case 3: add_str(o, "apiVersion", &e); break;
		case 4: {
			char ts[32];
			if (time_of(&e, ts) > 0)
				cJSON_AddStringToObject(o, "time", ts);
			break;
		}
		case 6: add_str(o, "fieldsType", &e); break;
		case 7: {
			pb fb = {e.d, e.d + e.n};
			pbf raw;
			while (next(&fb, &raw) > 0)
				if (raw.field == 1 && raw.wire == 2) {
					cJSON *fv =
					    cJSON_ParseWithLength((const char *)raw.d, raw.n);
					if (fv)
						cJSON_AddItemToObject(o, "fieldsV1", fv);
				}
			break;
		}
		case 8: add_str(o, "subresource", &e); break;
		}
	}
	cJSON_AddItemToArray(arr, o);
	return r;
}

static int object_meta(cJSON *m, const pbf *f)
{
	pb b = {f->d, f->d + f->n};
	pbf e;
	int r;
	while ((r = next(&b, &e)) > 0) {
		char ts[32];
		switch (e.field) {
		case 1: add_str(m, "name", &e); break;
		case 2: add_str(m, "generateName", &e); break;
		case 3: add_str(m, "namespace", &e); break;
		case 5: add_str(m, "uid", &e); break;
		case 6: add_str(m, "resourceVersion", &e); break;
		case 7:
			if (e.wire == 0 && e.v)
				cJSON_AddNumberToObject(m, "generation", (double)(int64_t)e.v);
			break;
		case 8:
			if (e.wire == 2 && time_of(&e, ts) > 0)
				cJSON_AddStringToObject(m, "creationTimestamp", ts);
			break;
		case 9:
			if (e.wire == 2 && time_of(&e, ts) > 0)
				cJSON_AddStringToObject(m, "deletionTimestamp", ts);
			break;
		case 11:
			if (e.wire == 2 && map_entry(json_obj_ensure(m, "labels"), &e, false) < 0)
				return -1;
			break;
		case 12:
			if (e.wire == 2 &&
			    map_entry(json_obj_ensure(m, "annotations"), &e, false) < 0)
				return -1;
			break;
		case 13: {
			cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "ownerReferences");
			if (!a)
				a = cJSON_AddArrayToObject(m, "ownerReferences");
			if (e.wire == 2 && owner_ref(a, &e) < 0)
				return -1;
			break;
		}
		case 14: {
			cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "finalizers");
			if (!a)
				a = cJSON_AddArrayToObject(m, "finalizers");
			char *s = str(&e);
			cJSON_AddItemToArray(a, cJSON_CreateString(s));
			free(s);
			break;
		}
		case 17: {
			cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "managedFields");
			if (!a)
				a = cJSON_AddArrayToObject(m, "managedFields");
			if (e.wire == 2 && managed_entry(a, &e) < 0)
				return -1;
			break;
		}
		}
	}
	return r;
}

/* Secret (data bytes) or ConfigMap (data strings, binaryData bytes). */
static cJSON *decode_map_kind(const unsigned char *d, size_t n, bool secret, err *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", secret ? "Secret" : "ConfigMap");
	pb b = {d, d + n};
	pbf f;
	int r;
	while ((r = next(&b, &f)) > 0) {
		if (f.field == 1 && f.wire == 2) {
			r = object_meta(json_obj_ensure(o, "metadata"), &f);
		} else if (f.field == 2 && f.wire == 2) {
			r = map_entry(json_obj_ensure(o, "data"), &f, secret);
		} else if (secret && f.field == 3 && f.wire == 2) {
			add_str(o, "type", &f);
		} else if (secret && f.field == 4 && f.wire == 2) {
			r = map_entry(json_obj_ensure(o, "stringData"), &f, false);
		} else if (!secret && f.field == 3 && f.wire == 2) {
			r = map_entry(json_obj_ensure(o, "binaryData"), &f, true);
		} else if (f.field == (secret ? 5u : 4u) && f.wire == 0) {
			cJSON_AddBoolToObject(o, "immutable", f.v != 0);
		}
		if (r < 0)
			break;
	}
	if (r < 0) {
		cJSON_Delete(o);
		err_fail(e, "BadRequest", "malformed protobuf %s", secret ? "Secret" : "ConfigMap");
		return NULL;
	}
	return o;
}

static cJSON *decode_delete_options(const unsigned char *d, size_t n, err *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", "DeleteOptions");
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	pb b = {d, d + n};
	pbf f;
	int r;
	while ((r = next(&b, &f)) > 0) {
		switch (f.field) {
		case 1:
			if (f.wire == 0)
				cJSON_AddNumberToObject(o, "gracePeriodSeconds",
							(double)(int64_t)f.v);
			break;
		case 2: {
			cJSON *p = json_obj_ensure(o, "preconditions");
			pb pb2 = {f.d, f.d + f.n};
			pbf g;
			while ((r = next(&pb2, &g)) > 0) {
				if (g.field == 1)
					add_str(p, "uid", &g);
				else if (g.field == 2)
					add_str(p, "resourceVersion", &g);
			}
			break;
		}
		case 3:
			if (f.wire == 0)
				cJSON_AddBoolToObject(o, "orphanDependents", f.v != 0);
			break;
		case 4:
			add_str(o, "propagationPolicy", &f);
			break;
		case 5: {
			cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "dryRun");
			if (!a)
				a = cJSON_AddArrayToObject(o, "dryRun");
			char *s = str(&f);
			cJSON_AddItemToArray(a, cJSON_CreateString(s));
			free(s);
			break;
		}
		}
		if (r < 0)
			break;
	}
	if (r < 0) {
		cJSON_Delete(o);
		err_fail(e, "BadRequest", "malformed protobuf DeleteOptions");
		return NULL;
	}
	return o;
}

/* ---- table-driven decoding of a few more built-in kinds ---- */

typedef struct pbdesc {
	unsigned num;
	const char *name;
	/* s string, b bool, i int64 (0 and false are omitted, as Go's omitempty), I int64 kept when 0
	 * (pointer fields), m message, S []string, M []message, O ObjectMeta, k map<string,string>,
	 * X IntOrString */
	char type;
	const struct pbdesc *sub;
} pbdesc;

static const pbdesc d_ns_spec[] = {{1, "finalizers", 'S', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_ns_status[] = {{1, "phase", 's', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_namespace[] = {{1, "metadata", 'O', NULL}, {2, "spec", 'm', d_ns_spec},
				     {3, "status", 'm', d_ns_status}, {0, NULL, 0, NULL}};
static const pbdesc d_objref[] = {{1, "kind", 's', NULL}, {2, "namespace", 's', NULL},
				  {3, "name", 's', NULL}, {4, "uid", 's', NULL},
				  {5, "apiVersion", 's', NULL}, {6, "resourceVersion", 's', NULL},
				  {7, "fieldPath", 's', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_localref[] = {{1, "name", 's', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_sa[] = {{1, "metadata", 'O', NULL}, {2, "secrets", 'M', d_objref},
			      {3, "imagePullSecrets", 'M', d_localref},
			      {4, "automountServiceAccountToken", 'b', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_rule[] = {{1, "verbs", 'S', NULL}, {2, "apiGroups", 'S', NULL},
				{3, "resources", 'S', NULL}, {4, "resourceNames", 'S', NULL},
				{5, "nonResourceURLs", 'S', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_role[] = {{1, "metadata", 'O', NULL}, {2, "rules", 'M', d_rule},
				{0, NULL, 0, NULL}};
static const pbdesc d_subject[] = {{1, "kind", 's', NULL}, {2, "apiGroup", 's', NULL},
				   {3, "name", 's', NULL}, {4, "namespace", 's', NULL},
				   {0, NULL, 0, NULL}};
static const pbdesc d_roleref[] = {{1, "apiGroup", 's', NULL}, {2, "kind", 's', NULL},
				   {3, "name", 's', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_binding[] = {{1, "metadata", 'O', NULL}, {2, "subjects", 'M', d_subject},
				   {3, "roleRef", 'm', d_roleref}, {0, NULL, 0, NULL}};
static const pbdesc d_tr_spec[] = {{1, "audiences", 'S', NULL},
				   {4, "expirationSeconds", 'i', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_tokenreq[] = {{1, "metadata", 'O', NULL}, {2, "spec", 'm', d_tr_spec},
				    {0, NULL, 0, NULL}};

static const pbdesc d_resattr[] = {{1, "namespace", 's', NULL}, {2, "verb", 's', NULL},
				   {3, "group", 's', NULL}, {4, "version", 's', NULL},
				   {5, "resource", 's', NULL}, {6, "subresource", 's', NULL},
				   {7, "name", 's', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_nonresattr[] = {{1, "path", 's', NULL}, {2, "verb", 's', NULL},
				      {0, NULL, 0, NULL}};
static const pbdesc d_sar_spec[] = {{1, "resourceAttributes", 'm', d_resattr},
				    {2, "nonResourceAttributes", 'm', d_nonresattr},
				    {3, "user", 's', NULL}, {4, "groups", 'S', NULL},
				    {6, "uid", 's', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_sar[] = {{1, "metadata", 'O', NULL}, {2, "spec", 'm', d_sar_spec},
			       {0, NULL, 0, NULL}};
static const pbdesc d_trv_spec[] = {{1, "token", 's', NULL}, {2, "audiences", 'S', NULL},
				    {0, NULL, 0, NULL}};
static const pbdesc d_tokenreview[] = {{1, "metadata", 'O', NULL}, {2, "spec", 'm', d_trv_spec},
				       {0, NULL, 0, NULL}};
static const pbdesc d_meta_only[] = {{1, "metadata", 'O', NULL}, {0, NULL, 0, NULL}};

static const pbdesc d_selreq[] = {{1, "key", 's', NULL}, {2, "operator", 's', NULL},
				  {3, "values", 'S', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_labelsel[] = {{1, "matchLabels", 'k', NULL},
				    {2, "matchExpressions", 'M', d_selreq}, {0, NULL, 0, NULL}};
static const pbdesc d_cport[] = {{1, "name", 's', NULL}, {2, "hostPort", 'i', NULL},
				 {3, "containerPort", 'i', NULL}, {4, "protocol", 's', NULL},
				 {5, "hostIP", 's', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_envvar[] = {{1, "name", 's', NULL}, {2, "value", 's', NULL},
				  {0, NULL, 0, NULL}};
static const pbdesc d_container[] = {
	{1, "name", 's', NULL},		{2, "image", 's', NULL},
	{3, "command", 'S', NULL},	{4, "args", 'S', NULL},
	{5, "workingDir", 's', NULL},	{6, "ports", 'M', d_cport},
	{7, "env", 'M', d_envvar},	{13, "terminationMessagePath", 's', NULL},
	{14, "imagePullPolicy", 's', NULL}, {16, "stdin", 'b', NULL},
	{18, "tty", 'b', NULL},		{20, "terminationMessagePolicy", 's', NULL},
	{0, NULL, 0, NULL}};
static const pbdesc d_podspec[] = {
	{2, "containers", 'M', d_container}, {3, "restartPolicy", 's', NULL},
	{4, "terminationGracePeriodSeconds", 'I', NULL}, {6, "dnsPolicy", 's', NULL},
	{7, "nodeSelector", 'k', NULL}, {8, "serviceAccountName", 's', NULL},
	{10, "nodeName", 's', NULL}, {11, "hostNetwork", 'b', NULL},
	{15, "imagePullSecrets", 'M', d_localref}, {16, "hostname", 's', NULL},
	{17, "subdomain", 's', NULL}, {19, "schedulerName", 's', NULL},
	{20, "initContainers", 'M', d_container}, {0, NULL, 0, NULL}};
static const pbdesc d_podtemplate[] = {{1, "metadata", 'O', NULL}, {2, "spec", 'm', d_podspec},
				       {0, NULL, 0, NULL}};
static const pbdesc d_rolling[] = {{1, "maxUnavailable", 'X', NULL}, {2, "maxSurge", 'X', NULL},
				   {0, NULL, 0, NULL}};
static const pbdesc d_strategy[] = {{1, "type", 's', NULL}, {2, "rollingUpdate", 'm', d_rolling},
				    {0, NULL, 0, NULL}};
static const pbdesc d_deploy_spec[] = {
	{1, "replicas", 'I', NULL},	   {2, "selector", 'm', d_labelsel},
	{3, "template", 'm', d_podtemplate}, {4, "strategy", 'm', d_strategy},
	{5, "minReadySeconds", 'i', NULL},  {6, "revisionHistoryLimit", 'I', NULL},
	{7, "paused", 'b', NULL},	   {9, "progressDeadlineSeconds", 'I', NULL},
	{0, NULL, 0, NULL}};
static const pbdesc d_deployment[] = {{1, "metadata", 'O', NULL},
				      {2, "spec", 'm', d_deploy_spec}, {0, NULL, 0, NULL}};
static const pbdesc d_pod[] = {{1, "metadata", 'O', NULL}, {2, "spec", 'm', d_podspec},
			       {0, NULL, 0, NULL}};
static const pbdesc d_svcport[] = {{1, "name", 's', NULL}, {2, "protocol", 's', NULL},
				   {3, "port", 'i', NULL}, {4, "targetPort", 'X', NULL},
				   {5, "nodePort", 'i', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_svc_spec[] = {{1, "ports", 'M', d_svcport}, {2, "selector", 'k', NULL},
				    {3, "clusterIP", 's', NULL}, {4, "type", 's', NULL},
				    {5, "externalIPs", 'S', NULL}, {0, NULL, 0, NULL}};
static const pbdesc d_service[] = {{1, "metadata", 'O', NULL}, {2, "spec", 'm', d_svc_spec},
				   {0, NULL, 0, NULL}};

static const pbdesc d_jobspec[] = {
	{1, "parallelism", 'I', NULL},	{2, "completions", 'I', NULL},
	{3, "activeDeadlineSeconds", 'I', NULL}, {4, "selector", 'm', d_labelsel},
	{5, "manualSelector", 'b', NULL}, {6, "template", 'm', d_podtemplate},
	{7, "backoffLimit", 'I', NULL},	{8, "ttlSecondsAfterFinished", 'I', NULL},
	{9, "completionMode", 's', NULL}, {10, "suspend", 'b', NULL},
	{0, NULL, 0, NULL}};
static const pbdesc d_job[] = {{1, "metadata", 'O', NULL}, {2, "spec", 'm', d_jobspec},
			       {0, NULL, 0, NULL}};
static const pbdesc d_jobtemplate[] = {{1, "metadata", 'O', NULL}, {2, "spec", 'm', d_jobspec},
				       {0, NULL, 0, NULL}};
static const pbdesc d_cronspec[] = {
	{1, "schedule", 's', NULL},	{2, "startingDeadlineSeconds", 'I', NULL},
	{3, "concurrencyPolicy", 's', NULL}, {4, "suspend", 'b', NULL},
	{5, "jobTemplate", 'm', d_jobtemplate}, {6, "successfulJobsHistoryLimit", 'I', NULL},
	{7, "failedJobsHistoryLimit", 'I', NULL}, {8, "timeZone", 's', NULL},
	{0, NULL, 0, NULL}};
static const pbdesc d_cronjob[] = {{1, "metadata", 'O', NULL}, {2, "spec", 'm', d_cronspec},
				   {0, NULL, 0, NULL}};

static const struct {
	const char *kind;
	const pbdesc *desc;
} pb_kinds[] = {
	{"Job", d_job}, {"CronJob", d_cronjob},
	{"Deployment", d_deployment}, {"Pod", d_pod}, {"Service", d_service},
    {"SelfSubjectAccessReview", d_sar},
    {"SubjectAccessReview", d_sar},
    {"LocalSubjectAccessReview", d_sar},
    {"TokenReview", d_tokenreview},
    {"SelfSubjectReview", d_meta_only},
    {"SelfSubjectRulesReview", d_meta_only},
    {"Namespace", d_namespace},
    {"ServiceAccount", d_sa},
    {"Role", d_role},
    {"ClusterRole", d_role},
    {"RoleBinding", d_binding},
    {"ClusterRoleBinding", d_binding},
    {"TokenRequest", d_tokenreq},
};

static int decode_desc(cJSON *o, const unsigned char *d, size_t n, const pbdesc *desc, int depth)
{
	if (depth > 8)
		return -1;
	pb b = {d, d + n};
	pbf f;
	int r;
	while ((r = next(&b, &f)) > 0) {
		const pbdesc *fd = NULL;
		for (const pbdesc *x = desc; x->name; x++)
			if (x->num == f.field)
				fd = x;
		if (!fd)
			continue;
		switch (fd->type) {
		case 's':
			if (f.wire == 2)
				add_str(o, fd->name, &f);
			break;
		case 'b':
			if (f.wire == 0 && f.v) {
				cJSON_DeleteItemFromObjectCaseSensitive(o, fd->name);
				cJSON_AddBoolToObject(o, fd->name, f.v != 0);
			}
			break;
		case 'i':
		case 'I':
			if (f.wire == 0 && (f.v || fd->type == 'I')) {
				cJSON_DeleteItemFromObjectCaseSensitive(o, fd->name);
				cJSON_AddNumberToObject(o, fd->name, (double)(int32_t)f.v);
			}
			break;
		case 'k':
			if (f.wire == 2 && map_entry(json_obj_ensure(o, fd->name), &f, false) < 0)
				return -1;
			break;
		case 'X': {
			/* IntOrString {1: type (0 int, 1 string), 2: intVal, 3: strVal} */
			if (f.wire != 2)
				break;
			pb xb = {f.d, f.d + f.n};
			pbf x;
			uint64_t kind = 0, iv = 0;
			char *sv = NULL;
			while ((r = next(&xb, &x)) > 0) {
				if (x.field == 1 && x.wire == 0)
					kind = x.v;
				else if (x.field == 2 && x.wire == 0)
					iv = x.v;
				else if (x.field == 3 && x.wire == 2) {
					free(sv);
					sv = str(&x);
				}
			}
			cJSON_DeleteItemFromObjectCaseSensitive(o, fd->name);
			if (kind == 1)
				cJSON_AddStringToObject(o, fd->name, sv ? sv : "");
			else
				cJSON_AddNumberToObject(o, fd->name, (double)(int32_t)iv);
			free(sv);
			if (r < 0)
				return -1;
			break;
		}
		case 'O':
			if (f.wire == 2 && object_meta(json_obj_ensure(o, fd->name), &f) < 0)
				return -1;
			break;
		case 'm':
			if (f.wire == 2 && decode_desc(json_obj_ensure(o, fd->name), f.d, f.n,
						       fd->sub, depth + 1) < 0)
				return -1;
			break;
		case 'S':
		case 'M': {
			if (f.wire != 2)
				break;
			cJSON *a = cJSON_GetObjectItemCaseSensitive(o, fd->name);
			if (!cJSON_IsArray(a)) {
				cJSON_DeleteItemFromObjectCaseSensitive(o, fd->name);
				a = cJSON_AddArrayToObject(o, fd->name);
			}
			if (fd->type == 'S') {
				char *sv = str(&f);
				cJSON_AddItemToArray(a, cJSON_CreateString(sv));
				free(sv);
			} else {
				cJSON *item = cJSON_CreateObject();
				cJSON_AddItemToArray(a, item);
				if (decode_desc(item, f.d, f.n, fd->sub, depth + 1) < 0)
					return -1;
			}
			break;
		}
		}
	}
	return r;
}

cJSON *pb_decode(const unsigned char *data, size_t len, err *e)
{
	if (len < 4 || memcmp(data, "k8s\0", 4) != 0) {
		err_fail(e, "BadRequest", "missing protobuf envelope");
		return NULL;
	}
	if (len > API_MAX_BODY) {
		err_fail(e, "BadRequest", "request body too large");
		return NULL;
	}
	pb b = {data + 4, data + len};
	pbf f;
	char *api_version = NULL, *kind = NULL;
	const unsigned char *raw = NULL;
	size_t raw_n = 0;
	int r;
	while ((r = next(&b, &f)) > 0) {
		if (f.field == 1 && f.wire == 2) {
			pb tb = {f.d, f.d + f.n};
			pbf t;
			while ((r = next(&tb, &t)) > 0) {
				if (t.field == 1 && t.wire == 2) {
					free(api_version);
					api_version = str(&t);
				} else if (t.field == 2 && t.wire == 2) {
					free(kind);
					kind = str(&t);
				}
			}
			if (r < 0)
				break;
		} else if (f.field == 2 && f.wire == 2) {
			raw = f.d;
			raw_n = f.n;
		}
	}
	cJSON *out = NULL;
	if (r < 0) {
		err_fail(e, "BadRequest", "malformed protobuf envelope");
	} else if (!kind || !raw) {
		err_fail(e, "BadRequest", "protobuf envelope without kind or object");
	} else if (!strcmp(kind, "Secret") || !strcmp(kind, "ConfigMap")) {
		out = decode_map_kind(raw, raw_n, !strcmp(kind, "Secret"), e);
	} else if (!strcmp(kind, "DeleteOptions")) {
		out = decode_delete_options(raw, raw_n, e);
	} else {
		for (size_t i = 0; i < sizeof(pb_kinds) / sizeof(pb_kinds[0]); i++) {
			if (strcmp(kind, pb_kinds[i].kind) != 0)
				continue;
			out = cJSON_CreateObject();
			if (api_version)
				cJSON_AddStringToObject(out, "apiVersion", api_version);
			cJSON_AddStringToObject(out, "kind", kind);
			if (decode_desc(out, raw, raw_n, pb_kinds[i].desc, 0) < 0) {
				cJSON_Delete(out);
				out = NULL;
				err_fail(e, "BadRequest", "malformed protobuf %s", kind);
			}
			goto done;
		}
		err_fail(e, "UnsupportedMediaType", "protobuf is not supported for kind %s", kind);
	}
done:
	free(api_version);
	free(kind);
	return out;
}
