/* kstatus: object status as cli-utils' kstatus computes it (see eddy/kstatus.h). */
#include "eddy/kstatus.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "eddy/json.h"
#include "eddy/mem.h"

static bool num(const cJSON *o, const char *k, int64_t *out)
{
	const cJSON *v = json_get(o, k);
	if (!cJSON_IsNumber(v))
		return false;
	*out = (int64_t)v->valuedouble;
	return true;
}

static int64_t num_or(const cJSON *o, const char *k, int64_t def)
{
	int64_t v;
	return num(o, k, &v) ? v : def;
}

static bool eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static const cJSON *cond(const cJSON *obj, const char *type)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, json_get(json_get(obj, "status"), "conditions"))
		if (eq(json_str(c, "type"), type))
			return c;
	return NULL;
}

static bool cond_is(const cJSON *obj, const char *type, const char *status)
{
	const cJSON *c = cond(obj, type);
	return c && eq(json_str(c, "status"), status);
}

static kstatus_status res(char **msg, kstatus_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static kstatus_status res(char **msg, kstatus_status s, const char *fmt, ...)
{
	if (msg) {
		char b[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(b, sizeof b, fmt, ap);
		va_end(ap);
		*msg = xstrdup(b);
	}
	return s;
}

static kstatus_status from_cond(char **msg, kstatus_status s, const cJSON *c)
{
	const char *m = json_str(c, "message");
	return res(msg, s, "%s", m && *m ? m : json_str_or(c, "reason", ""));
}

static kstatus_status deployment(const cJSON *o, char **msg)
{
	const cJSON *spec = json_get(o, "spec"), *st = json_get(o, "status");
	int64_t want = num_or(spec, "replicas", 1);
	int64_t reps = num_or(st, "replicas", 0), ready = num_or(st, "readyReplicas", 0);
	int64_t upd = num_or(st, "updatedReplicas", 0), avail = num_or(st, "availableReplicas", 0);
	const cJSON *prog = cond(o, "Progressing");
	if (prog && eq(json_str(prog, "reason"), "ProgressDeadlineExceeded"))
		return res(msg, KSTATUS_FAILED, "Progress deadline exceeded");
	if (want > reps)
		return res(msg, KSTATUS_INPROGRESS, "Replicas: %lld/%lld", (long long)reps,
			   (long long)want);
	if (want > upd)
		return res(msg, KSTATUS_INPROGRESS, "Updated: %lld/%lld", (long long)upd,
			   (long long)want);
	if (reps > want)
		return res(msg, KSTATUS_INPROGRESS, "Pending termination: %lld",
			   (long long)(reps - want));
	if (upd > avail)
		return res(msg, KSTATUS_INPROGRESS, "Available: %lld/%lld", (long long)avail,
			   (long long)upd);
	if (want > ready)
		return res(msg, KSTATUS_INPROGRESS, "Ready: %lld/%lld", (long long)ready,
			   (long long)want);
	if (want > 0 && !(prog && eq(json_str(prog, "status"), "True") &&
			  eq(json_str(prog, "reason"), "NewReplicaSetAvailable")))
		return res(msg, KSTATUS_INPROGRESS, "ReplicaSet not Available");
	if (want > 0 && !cond_is(o, "Available", "True"))
		return res(msg, KSTATUS_INPROGRESS, "Deployment not Available");
	return res(msg, KSTATUS_CURRENT, "Deployment is available. Replicas: %lld",
		   (long long)reps);
}

static kstatus_status statefulset(const cJSON *o, char **msg)
{
	const cJSON *spec = json_get(o, "spec"), *st = json_get(o, "status");
	const char *strategy = json_str(json_get(spec, "updateStrategy"), "type");
	if (strategy && strcmp(strategy, "RollingUpdate") != 0)
		return res(msg, KSTATUS_CURRENT,
			   "StatefulSet is using the ondelete update strategy");
	int64_t want = num_or(spec, "replicas", 1);
	int64_t reps = num_or(st, "replicas", 0), ready = num_or(st, "readyReplicas", 0);
	int64_t cur = num_or(st, "currentReplicas", 0), upd = num_or(st, "updatedReplicas", 0);
	int64_t partition = -1;
	num(json_get(json_get(spec, "updateStrategy"), "rollingUpdate"), "partition", &partition);
	if (want > reps)
		return res(msg, KSTATUS_INPROGRESS, "Replicas: %lld/%lld", (long long)reps,
			   (long long)want);
	if (want > ready)
		return res(msg, KSTATUS_INPROGRESS, "Ready: %lld/%lld", (long long)ready,
			   (long long)want);
	if (partition > 0) {
		if (upd < want - partition)
			return res(msg, KSTATUS_INPROGRESS, "updated: %lld/%lld", (long long)upd,
				   (long long)(want - partition));
		return res(msg, KSTATUS_CURRENT, "Partition rollout complete. updated: %lld",
			   (long long)upd);
	}
	if (want > cur)
		return res(msg, KSTATUS_INPROGRESS, "current: %lld/%lld", (long long)cur,
			   (long long)want);
	const char *cr = json_str(st, "currentRevision"), *ur = json_str(st, "updateRevision");
	if ((cr || ur) && !eq(cr, ur))
		return res(msg, KSTATUS_INPROGRESS,
			   "Waiting for updated revision %s to match current %s", ur ? ur : "",
			   cr ? cr : "");
	return res(msg, KSTATUS_CURRENT, "All replicas scheduled as expected. Replicas: %lld",
		   (long long)reps);
}

static kstatus_status daemonset(const cJSON *o, char **msg)
{
	const cJSON *st = json_get(o, "status");
	int64_t desired;
	if (!num(st, "desiredNumberScheduled", &desired))
		return res(msg, KSTATUS_INPROGRESS, "Missing .status.desiredNumberScheduled");
	int64_t cur = num_or(st, "currentNumberScheduled", 0);
	int64_t upd = num_or(st, "updatedNumberScheduled", 0);
	int64_t avail = num_or(st, "numberAvailable", 0), ready = num_or(st, "numberReady", 0);
	if (desired > cur)
		return res(msg, KSTATUS_INPROGRESS, "Current: %lld/%lld", (long long)cur,
			   (long long)desired);
	if (desired > upd)
		return res(msg, KSTATUS_INPROGRESS, "Updated: %lld/%lld", (long long)upd,
			   (long long)desired);
	if (desired > avail)
		return res(msg, KSTATUS_INPROGRESS, "Available: %lld/%lld", (long long)avail,
			   (long long)desired);
	if (desired > ready)
		return res(msg, KSTATUS_INPROGRESS, "Ready: %lld/%lld", (long long)ready,
			   (long long)desired);
	return res(msg, KSTATUS_CURRENT, "All replicas scheduled as expected. Replicas: %lld",
		   (long long)desired);
}

static kstatus_status replicaset(const cJSON *o, char **msg)
{
	const cJSON *spec = json_get(o, "spec"), *st = json_get(o, "status");
	int64_t want = num_or(spec, "replicas", 1);
	int64_t reps = num_or(st, "replicas", 0), ready = num_or(st, "readyReplicas", 0);
	int64_t avail = num_or(st, "availableReplicas", 0);
	int64_t labeled = num_or(st, "fullyLabeledReplicas", 0);
	if (cond_is(o, "ReplicaFailure", "True"))
		return res(msg, KSTATUS_INPROGRESS, "Replica Failure condition. Check Pods");
	if (want > labeled)
		return res(msg, KSTATUS_INPROGRESS, "Labelled: %lld/%lld", (long long)labeled,
			   (long long)want);
	if (want > avail)
		return res(msg, KSTATUS_INPROGRESS, "Available: %lld/%lld", (long long)avail,
			   (long long)want);
	if (want > ready)
		return res(msg, KSTATUS_INPROGRESS, "Ready: %lld/%lld", (long long)ready,
			   (long long)want);
	if (reps > want)
		return res(msg, KSTATUS_INPROGRESS, "Pending termination: %lld",
			   (long long)(reps - want));
	return res(msg, KSTATUS_CURRENT, "ReplicaSet is available. Replicas: %lld",
		   (long long)reps);
}

static kstatus_status job(const cJSON *o, char **msg)
{
	const cJSON *st = json_get(o, "status");
	const cJSON *c;
	cJSON_ArrayForEach(c, json_get(st, "conditions")) {
		if (!eq(json_str(c, "status"), "True"))
			continue;
		if (eq(json_str(c, "type"), "Failed"))
			return res(msg, KSTATUS_FAILED, "Job Failed. failed: %lld",
				   (long long)num_or(st, "failed", 0));
		if (eq(json_str(c, "type"), "Complete"))
			return res(msg, KSTATUS_CURRENT, "Job Completed. succeeded: %lld",
				   (long long)num_or(st, "succeeded", 0));
	}
	if (!json_str(st, "startTime"))
		return res(msg, KSTATUS_INPROGRESS, "Job not started");
	return res(msg, KSTATUS_INPROGRESS, "Job in progress. success:%lld, active: %lld, "
		   "failed: %lld", (long long)num_or(st, "succeeded", 0),
		   (long long)num_or(st, "active", 0), (long long)num_or(st, "failed", 0));
}

static kstatus_status pod(const cJSON *o, char **msg)
{
	const cJSON *st = json_get(o, "status");
	const char *phase = json_str(st, "phase");
	const cJSON *cs;
	cJSON_ArrayForEach(cs, json_get(st, "containerStatuses")) {
		const char *r = json_str(json_get(json_get(cs, "state"), "waiting"), "reason");
		if (eq(r, "CrashLoopBackOff"))
			return res(msg, KSTATUS_FAILED, "Pod has a container in CrashLoopBackOff");
	}
	if (eq(phase, "Succeeded"))
		return res(msg, KSTATUS_CURRENT, "Pod has completed successfully");
	if (eq(phase, "Failed"))
		return res(msg, KSTATUS_FAILED, "Pod has completed, but not successfully");
	if (eq(phase, "Running")) {
		if (cond_is(o, "Ready", "True"))
			return res(msg, KSTATUS_CURRENT, "Pod is Ready");
		return res(msg, KSTATUS_INPROGRESS, "Pod is running but is not Ready");
	}
	const cJSON *sch = cond(o, "PodScheduled");
	if (sch && eq(json_str(sch, "status"), "False") && eq(json_str(sch, "reason"),
							      "Unschedulable"))
		return res(msg, KSTATUS_FAILED, "Pod could not be scheduled");
	return res(msg, KSTATUS_INPROGRESS, "Pod is in the %s phase", phase ? phase : "Pending");
}

static kstatus_status crd(const cJSON *o, char **msg)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, json_get(json_get(o, "status"), "conditions")) {
		const char *t = json_str(c, "type"), *s = json_str(c, "status");
		if (eq(t, "NamesAccepted") && eq(s, "False"))
			return from_cond(msg, KSTATUS_FAILED, c);
		if (eq(t, "Established")) {
			if (eq(s, "False"))
				return from_cond(msg, KSTATUS_INPROGRESS, c);
			if (eq(s, "True"))
				return res(msg, KSTATUS_CURRENT, "CRD is established");
		}
	}
	return res(msg, KSTATUS_INPROGRESS, "Install in progress");
}

kstatus_status kstatus_compute(const cJSON *obj, char **msg)
{
	if (msg)
		*msg = NULL;
	if (!cJSON_IsObject(obj))
		return res(msg, KSTATUS_NOTFOUND, "Resource not found");
	const cJSON *md = json_get(obj, "metadata");
	if (json_get(md, "deletionTimestamp") && !cJSON_IsNull(json_get(md, "deletionTimestamp")))
		return res(msg, KSTATUS_TERMINATING, "Resource scheduled for deletion");
	const char *kind = json_str(obj, "kind"), *av = json_str(obj, "apiVersion");
	int64_t gen, og;
	if (num(md, "generation", &gen) && num(json_get(obj, "status"), "observedGeneration",
					       &og) &&
	    gen != og)
		return res(msg, KSTATUS_INPROGRESS,
			   "%s generation is %lld, but latest observed generation is %lld",
			   kind ? kind : "", (long long)gen, (long long)og);
	const cJSON *c;
	cJSON_ArrayForEach(c, json_get(json_get(obj, "status"), "conditions")) {
		if (!eq(json_str(c, "status"), "True"))
			continue;
		if (eq(json_str(c, "type"), "Reconciling"))
			return from_cond(msg, KSTATUS_INPROGRESS, c);
		if (eq(json_str(c, "type"), "Stalled"))
			return from_cond(msg, KSTATUS_FAILED, c);
	}
	if (!kind || !av)
		return res(msg, KSTATUS_UNKNOWN, "Object has no apiVersion or kind");
	const char *slash = strchr(av, '/');
	size_t glen = slash ? (size_t)(slash - av) : 0;
	bool core = !slash;
	bool apps = glen == strlen("apps") && !strncmp(av, "apps", glen);
	bool batch = glen == strlen("batch") && !strncmp(av, "batch", glen);
	bool apix = glen == strlen("apiextensions.k8s.io") &&
		    !strncmp(av, "apiextensions.k8s.io", glen);
	if (apps && !strcmp(kind, "Deployment"))
		return deployment(obj, msg);
	if (apps && !strcmp(kind, "StatefulSet"))
		return statefulset(obj, msg);
	if (apps && !strcmp(kind, "DaemonSet"))
		return daemonset(obj, msg);
	if (apps && !strcmp(kind, "ReplicaSet"))
		return replicaset(obj, msg);
	if (batch && !strcmp(kind, "Job"))
		return job(obj, msg);
	if (apix && !strcmp(kind, "CustomResourceDefinition"))
		return crd(obj, msg);
	if (core && !strcmp(kind, "Pod"))
		return pod(obj, msg);
	if (core && !strcmp(kind, "PersistentVolumeClaim")) {
		const char *phase = json_str(json_get(obj, "status"), "phase");
		if (!eq(phase, "Bound"))
			return res(msg, KSTATUS_INPROGRESS, "PVC is not Bound. phase: %s",
				   phase ? phase : "");
		return res(msg, KSTATUS_CURRENT, "PVC is Bound");
	}
	if (core && !strcmp(kind, "Service")) {
		const cJSON *spec = json_get(obj, "spec");
		const char *ip = json_str(spec, "clusterIP");
		if (eq(json_str(spec, "type"), "LoadBalancer") && (!ip || !*ip))
			return res(msg, KSTATUS_INPROGRESS, "ClusterIP not set");
		return res(msg, KSTATUS_CURRENT, "Service is ready");
	}
	if (!core && !apps && !batch) {
		const cJSON *ready = cond(obj, "Ready");
		if (ready && eq(json_str(ready, "status"), "True"))
			return from_cond(msg, KSTATUS_CURRENT, ready);
		if (ready)
			return from_cond(msg, KSTATUS_INPROGRESS, ready);
	}
	return res(msg, KSTATUS_CURRENT, "Resource is current");
}

const char *kstatus_name(kstatus_status s)
{
	switch (s) {
	case KSTATUS_INPROGRESS:
		return "InProgress";
	case KSTATUS_FAILED:
		return "Failed";
	case KSTATUS_CURRENT:
		return "Current";
	case KSTATUS_TERMINATING:
		return "Terminating";
	case KSTATUS_NOTFOUND:
		return "NotFound";
	case KSTATUS_UNKNOWN:
		return "Unknown";
	}
	return "Unknown";
}
