/* kstatus: the status of a Kubernetes object computed the way cli-utils' kstatus does
 * (sigs.k8s.io/cli-utils/pkg/kstatus), which Flux uses for `wait`, `healthChecks` and Helm's
 * `--wait`.
 *
 * Rules, in order:
 *  1. metadata.deletionTimestamp set: Terminating.
 *  2. status.observedGeneration present and different from metadata.generation: InProgress.
 *  3. A condition Reconciling=True: InProgress; Stalled=True: Failed (reason and message taken
 *     from the condition).
 *  4. Built-in kinds: Deployment, StatefulSet, DaemonSet and ReplicaSet compare the replica
 *     counts of status with spec.replicas (default 1) and check the rollout conditions; Job is
 *     Current once Complete, Failed once Failed, else InProgress (Flux's Job reader); Pod is
 *     Current when Succeeded or Running and Ready, Failed when Failed or a container is in
 *     CrashLoopBackOff; PersistentVolumeClaim is Current when Bound; a Service of type
 *     LoadBalancer needs spec.clusterIP; CustomResourceDefinition is Current once Established
 *     and Failed when NamesAccepted is False.
 *  5. Other kinds: a Ready condition decides (True: Current, False or Unknown: InProgress);
 *     without one the object is Current.
 *
 * Pure functions on cJSON objects; thread-safe. */
#ifndef EDDY_KSTATUS_H
#define EDDY_KSTATUS_H

#include <cjson/cJSON.h>

typedef enum kstatus_status {
	KSTATUS_INPROGRESS,
	KSTATUS_FAILED,
	KSTATUS_CURRENT,
	KSTATUS_TERMINATING,
	KSTATUS_NOTFOUND,
	KSTATUS_UNKNOWN,
} kstatus_status;

/* The status of obj (a full object with apiVersion and kind). When msg is not NULL it receives
 * kstatus' human message (allocated; the caller frees it). A NULL obj is NotFound. */
kstatus_status kstatus_compute(const cJSON *obj, char **msg);

/* kstatus' name of a status: "InProgress", "Failed", "Current", "Terminating", "NotFound",
 * "Unknown". */
const char *kstatus_name(kstatus_status s);

#endif
