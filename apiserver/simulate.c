/* simulate: workload status without nodes (eddy-apiserver --simulate-workloads).
 *
 * Like kwok, a short while after each create or update of a workload the server writes the
 * status a healthy cluster would report: Deployments, StatefulSets, DaemonSets and ReplicaSets
 * rolled out, Jobs complete, Pods running and ready, PersistentVolumeClaims bound and
 * LoadBalancer Services given 127.0.0.1. The write is an ordinary store update (a new
 * resourceVersion and a MODIFIED watch event). An object annotated
 * `eddy.dev/simulate: never-ready` gets the status of a workload that is stuck instead.
 *
 * Writes are queued (FIFO, all with the same delay) and applied by one timer on the loop; the
 * queue holds keys only, so an object deleted or changed meanwhile is simply read again. */
#include "simulate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "object.h"
#include "resource.h"
#include "server.h"

enum { SIM_DELAY_MS = 200, SIM_BATCH = 2000 };

typedef struct sim_item {
	api_type *ty; /* a built-in type: stable for the server's life */
	char *key;
	uint64_t due;
} sim_item;

struct sim_queue {
	sim_item *v;
	size_t head, n, cap;
};

typedef enum {
	K_NONE,
	K_DEPLOY,
	K_STS,
	K_DS,
	K_RS,
	K_JOB,
	K_POD,
	K_PVC,
	K_SVC
} sim_kind;

static sim_kind kind_of(const api_type *ty)
{
	if (!ty || ty->crd)
		return K_NONE;
	if (!strcmp(ty->group, "apps")) {
		if (!strcmp(ty->resource, "deployments"))
			return K_DEPLOY;
		if (!strcmp(ty->resource, "statefulsets"))
			return K_STS;
		if (!strcmp(ty->resource, "daemonsets"))
			return K_DS;
		if (!strcmp(ty->resource, "replicasets"))
			return K_RS;
		return K_NONE;
	}
	if (!strcmp(ty->group, "batch"))
		return strcmp(ty->resource, "jobs") ? K_NONE : K_JOB;
	if (ty->group[0])
		return K_NONE;
	if (!strcmp(ty->resource, "pods"))
		return K_POD;
	if (!strcmp(ty->resource, "persistentvolumeclaims"))
		return K_PVC;
	if (!strcmp(ty->resource, "services"))
		return K_SVC;
	return K_NONE;
}

static const cJSON *old_cond(const cJSON *old_status, const char *type)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(old_status, "conditions")) {
		const char *t = json_str(c, "type");
		if (t && !strcmp(t, type))
			return c;
	}
	return NULL;
}

/* Append a condition; its times are kept from the old one when status and reason are the
 * same (so repeated writes are no-ops). */
static void add_cond(cJSON *conds, const cJSON *old_status, const char *type, const char *status,
		     const char *reason, const char *msg, const char *now, bool update_time)
{
	const cJSON *o = old_cond(old_status, type);
	const char *ltt = now, *lut = now;
	if (o && json_str(o, "status") && !strcmp(json_str(o, "status"), status) &&
	    ((!reason && !json_str(o, "reason")) ||
	     (reason && json_str(o, "reason") && !strcmp(json_str(o, "reason"), reason)))) {
		if (json_str(o, "lastTransitionTime"))
			ltt = json_str(o, "lastTransitionTime");
		if (json_str(o, "lastUpdateTime"))
			lut = json_str(o, "lastUpdateTime");
	}
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", status);
	if (update_time)
		cJSON_AddStringToObject(c, "lastUpdateTime", lut);
	cJSON_AddStringToObject(c, "lastTransitionTime", ltt);
	if (reason)
		cJSON_AddStringToObject(c, "reason", reason);
	if (msg)
		cJSON_AddStringToObject(c, "message", msg);
	cJSON_AddItemToArray(conds, c);
}

/* A stable short hash of the pod template, for revision and ReplicaSet names. */
static void template_hash(const cJSON *obj, char out[16])
{
	const cJSON *tpl = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(obj, "spec"), "template");
	char *txt = tpl ? cJSON_PrintUnformatted(tpl) : NULL;
	uint32_t h = 2166136261u;
	for (const char *p = txt ? txt : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	free(txt);
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	for (int i = 0; i < 10; i++) {
		out[i] = alnum[h % 27];
		h = h / 27 + (uint32_t)i * 2654435761u;
	}
	out[10] = 0;
}

/* The status a cluster would report for obj; NULL to leave it alone. */
static cJSON *sim_status(sim_kind k, const cJSON *obj, bool never, const char *now)
{
	const cJSON *m = obj_meta(obj);
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, "status");
	const char *name = json_str_or(m, "name", "");
	double gen = json_num_or(m, "generation", 1);
	double n = json_num_or(spec, "replicas", 1);
	double ready = never ? 0 : n;
	cJSON *st = cJSON_CreateObject();
	char hash[16], buf[512];
	switch (k) {
	case K_DEPLOY: {
		cJSON_AddNumberToObject(st, "observedGeneration", gen);
		if (n > 0) {
			cJSON_AddNumberToObject(st, "replicas", n);
			cJSON_AddNumberToObject(st, "updatedReplicas", n);
			if (ready > 0) {
				cJSON_AddNumberToObject(st, "readyReplicas", ready);
				cJSON_AddNumberToObject(st, "availableReplicas", ready);
			} else {
				cJSON_AddNumberToObject(st, "unavailableReplicas", n);
			}
		}
		template_hash(obj, hash);
		cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
		if (never) {
			add_cond(conds, old, "Available", "False", "MinimumReplicasUnavailable",
				 "Deployment does not have minimum availability.", now, true);
			snprintf(buf, sizeof(buf), "ReplicaSet \"%s-%s\" is progressing.", name,
				 hash);
			add_cond(conds, old, "Progressing", "True", "ReplicaSetUpdated", buf, now,
				 true);
		} else {
			add_cond(conds, old, "Available", "True", "MinimumReplicasAvailable",
				 "Deployment has minimum availability.", now, true);
			snprintf(buf, sizeof(buf),
				 "ReplicaSet \"%s-%s\" has successfully progressed.", name, hash);
			add_cond(conds, old, "Progressing", "True", "NewReplicaSetAvailable", buf,
				 now, true);
		}
		break;
	}
	case K_STS:
		template_hash(obj, hash);
		snprintf(buf, sizeof(buf), "%s-%s", name, hash);
		cJSON_AddNumberToObject(st, "observedGeneration", gen);
		cJSON_AddNumberToObject(st, "replicas", n);
		cJSON_AddNumberToObject(st, "currentReplicas", n);
		cJSON_AddNumberToObject(st, "updatedReplicas", n);
		cJSON_AddNumberToObject(st, "readyReplicas", ready);
		cJSON_AddNumberToObject(st, "availableReplicas", ready);
		cJSON_AddStringToObject(st, "currentRevision", buf);
		cJSON_AddStringToObject(st, "updateRevision", buf);
		cJSON_AddNumberToObject(st, "collisionCount", 0);
		break;
	case K_DS:
		/* One (simulated) node. */
		cJSON_AddNumberToObject(st, "observedGeneration", gen);
		cJSON_AddNumberToObject(st, "currentNumberScheduled", 1);
		cJSON_AddNumberToObject(st, "desiredNumberScheduled", 1);
		cJSON_AddNumberToObject(st, "numberMisscheduled", 0);
		cJSON_AddNumberToObject(st, "updatedNumberScheduled", 1);
		cJSON_AddNumberToObject(st, "numberReady", never ? 0 : 1);
		if (never)
			cJSON_AddNumberToObject(st, "numberUnavailable", 1);
		else
			cJSON_AddNumberToObject(st, "numberAvailable", 1);
		break;
	case K_RS:
		cJSON_AddNumberToObject(st, "observedGeneration", gen);
		cJSON_AddNumberToObject(st, "replicas", n);
		cJSON_AddNumberToObject(st, "fullyLabeledReplicas", n);
		cJSON_AddNumberToObject(st, "readyReplicas", ready);
		cJSON_AddNumberToObject(st, "availableReplicas", ready);
		break;
	case K_JOB: {
		double comp = json_num_or(spec, "completions", 1);
		const char *start = json_str_or(old, "startTime", now);
		cJSON_AddStringToObject(st, "startTime", start);
		if (never) {
			cJSON_AddNumberToObject(st, "active", 1);
			cJSON_AddNumberToObject(st, "ready", 0);
			break;
		}
		cJSON_AddStringToObject(st, "completionTime",
					json_str_or(old, "completionTime", now));
		cJSON_AddNumberToObject(st, "succeeded", comp);
		cJSON_AddNumberToObject(st, "ready", 0);
		cJSON_AddNumberToObject(st, "terminating", 0);
		cJSON_AddObjectToObject(st, "uncountedTerminatedPods");
		cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
		/* Complete first: `kubectl get job` shows the first condition's type. */
		add_cond(conds, old, "Complete", "True", "CompletionsReached",
			 "Reached expected number of succeeded pods", now, false);
		add_cond(conds, old, "SuccessCriteriaMet", "True", "CompletionsReached",
			 "Reached expected number of succeeded pods", now, false);
		/* Jobs carry lastProbeTime too. */
		cJSON *c;
		cJSON_ArrayForEach(c, conds)
			cJSON_AddStringToObject(c, "lastProbeTime",
						json_str(c, "lastTransitionTime"));
		break;
	}
	case K_POD: {
		const char *start = json_str_or(old, "startTime", now);
		const char *r = never ? "False" : "True";
		cJSON_AddStringToObject(st, "phase", "Running");
		cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
		add_cond(conds, old, "PodReadyToStartContainers", "True", NULL, NULL, now, false);
		add_cond(conds, old, "Initialized", "True", NULL, NULL, now, false);
		add_cond(conds, old, "Ready", r, never ? "ContainersNotReady" : NULL,
			 never ? "containers with unready status" : NULL, now, false);
		add_cond(conds, old, "ContainersReady", r, never ? "ContainersNotReady" : NULL,
			 never ? "containers with unready status" : NULL, now, false);
		add_cond(conds, old, "PodScheduled", "True", NULL, NULL, now, false);
		cJSON *c;
		cJSON_ArrayForEach(c, conds)
			cJSON_AddNullToObject(c, "lastProbeTime");
		cJSON_AddStringToObject(st, "hostIP", "127.0.0.1");
		cJSON_AddStringToObject(st, "podIP", "127.0.0.1");
		cJSON_AddStringToObject(st, "startTime", start);
		cJSON_AddStringToObject(st, "qosClass", "BestEffort");
		cJSON *cs = cJSON_AddArrayToObject(st, "containerStatuses");
		const cJSON *ct;
		cJSON_ArrayForEach(ct, cJSON_GetObjectItemCaseSensitive(spec, "containers")) {
			cJSON *s = cJSON_CreateObject();
			cJSON_AddStringToObject(s, "name", json_str_or(ct, "name", ""));
			cJSON_AddStringToObject(s, "image", json_str_or(ct, "image", ""));
			cJSON_AddStringToObject(s, "imageID", "");
			snprintf(buf, sizeof(buf), "eddy://%s-%s",
				 json_str_or(m, "uid", ""), json_str_or(ct, "name", ""));
			cJSON_AddStringToObject(s, "containerID", buf);
			cJSON_AddBoolToObject(s, "ready", !never);
			cJSON_AddBoolToObject(s, "started", true);
			cJSON_AddNumberToObject(s, "restartCount", 0);
			cJSON *state = cJSON_AddObjectToObject(s, "state");
			cJSON *run = cJSON_AddObjectToObject(state, "running");
			cJSON_AddStringToObject(run, "startedAt", start);
			cJSON_AddItemToArray(cs, s);
		}
		break;
	}
	case K_PVC: {
		if (never) {
			cJSON_AddStringToObject(st, "phase", "Pending");
			break;
		}
		cJSON_AddStringToObject(st, "phase", "Bound");
		const cJSON *am = cJSON_GetObjectItemCaseSensitive(spec, "accessModes");
		if (cJSON_IsArray(am))
			cJSON_AddItemToObject(st, "accessModes", cJSON_Duplicate(am, 1));
		const cJSON *req = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(spec, "resources"), "requests");
		if (cJSON_IsObject(req))
			cJSON_AddItemToObject(st, "capacity", cJSON_Duplicate(req, 1));
		break;
	}
	case K_SVC: {
		const char *type = json_str(spec, "type");
		if (!type || strcmp(type, "LoadBalancer") != 0) {
			cJSON_Delete(st);
			return NULL;
		}
		cJSON *lb = cJSON_AddObjectToObject(st, "loadBalancer");
		if (!never) {
			cJSON *ing = cJSON_AddArrayToObject(lb, "ingress");
			cJSON *ip = cJSON_CreateObject();
			cJSON_AddStringToObject(ip, "ip", "127.0.0.1");
			cJSON_AddStringToObject(ip, "ipMode", "VIP");
			cJSON_AddItemToArray(ing, ip);
		}
		break;
	}
	case K_NONE:
		cJSON_Delete(st);
		return NULL;
	}
	return st;
}

static bool never_ready(const cJSON *obj)
{
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "annotations");
	const char *v = json_str(ann, "eddy.dev/simulate");
	return v && !strcmp(v, "never-ready");
}

/* Bring one stored object's status up to date. */
static void sim_apply(apiserver *s, api_type *ty, const char *key, const char *now)
{
	store_row row;
	if (store_get(s->st, key, &row, NULL) <= 0)
		return;
	cJSON *obj = cJSON_Parse(row.value);
	if (!obj || cJSON_GetObjectItemCaseSensitive(obj_meta(obj), "deletionTimestamp"))
		goto out;
	cJSON *st = sim_status(kind_of(ty), obj, never_ready(obj), now);
	if (!st)
		goto out;
	const cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, "status");
	if (old && cJSON_Compare(old, st, 1)) {
		cJSON_Delete(st);
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
	cJSON_AddItemToObject(obj, "status", st);
	err e = {0};
	if (res_store_update(s, ty, key, obj, &row, &e) < 0)
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"simulated status update failed\","
			"\"key\":\"%s\",\"error\":\"%s\"}\n", key, e.msg);
out:
	cJSON_Delete(obj);
	store_row_release(&row);
}

static void sim_cb(uv_timer_t *t)
{
	apiserver *s = t->data;
	sim_queue *q = s->sim;
	if (!q || s->closing)
		return;
	uint64_t now_ms = uv_now(s->loop);
	char now[32];
	obj_timestamp(now);
	size_t done = 0;
	store_begin(s->st);
	while (q->n > 0 && q->v[q->head].due <= now_ms && done < SIM_BATCH) {
		sim_item it = q->v[q->head];
		q->head++;
		q->n--;
		sim_apply(s, it.ty, it.key, now);
		free(it.key);
		done++;
	}
	store_commit(s->st);
	if (q->n == 0) {
		q->head = 0;
		return;
	}
	uint64_t due = q->v[q->head].due;
	uv_timer_start(&s->sim_timer, sim_cb, due > now_ms ? due - now_ms : 0, 0);
}

void sim_note(apiserver *s, api_type *ty, const char *key)
{
	if (!s->opts.simulate_workloads || s->closing || kind_of(ty) == K_NONE)
		return;
	if (!s->sim)
		s->sim = xcalloc(1, sizeof(*s->sim));
	sim_queue *q = s->sim;
	if (q->head > 0 && q->head + q->n == q->cap) {
		memmove(q->v, q->v + q->head, q->n * sizeof(*q->v));
		q->head = 0;
	}
	if (q->head + q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 64;
		q->v = xrealloc(q->v, q->cap * sizeof(*q->v));
	}
	uint64_t due = uv_now(s->loop) + SIM_DELAY_MS;
	q->v[q->head + q->n++] = (sim_item){ty, xstrdup(key), due};
	if (!uv_is_active((uv_handle_t *)&s->sim_timer))
		uv_timer_start(&s->sim_timer, sim_cb, SIM_DELAY_MS, 0);
}

void sim_free(apiserver *s)
{
	sim_queue *q = s->sim;
	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++)
		free(q->v[q->head + i].key);
	free(q->v);
	free(q);
	s->sim = NULL;
}
