/* kstatus rules (eddy/kstatus.h) on objects shaped like the ones the API server returns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/kstatus.h"
#include "eddy/mem.h"

/* Status and message of a JSON object text. */
static kstatus_status st(const char *json, char **msg)
{
	cJSON *o = cJSON_Parse(json);
	assert_non_null(o);
	kstatus_status s = kstatus_compute(o, msg);
	cJSON_Delete(o);
	return s;
}

static void check(const char *json, kstatus_status want, const char *want_msg)
{
	char *msg = NULL;
	kstatus_status s = st(json, &msg);
	if (s != want || (want_msg && strcmp(msg, want_msg) != 0))
		fail_msg("%s: got %s '%s', want %s '%s'", json, kstatus_name(s), msg,
			 kstatus_name(want), want_msg ? want_msg : "*");
	free(msg);
}

#define DEP "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"generation\":2}"

static void deployments(void **state)
{
	(void)state;
	check(DEP ",\"spec\":{\"replicas\":2}}", KSTATUS_INPROGRESS, "Replicas: 0/2");
	check(DEP ",\"spec\":{},\"status\":{\"observedGeneration\":1}}", KSTATUS_INPROGRESS,
	      "Deployment generation is 2, but latest observed generation is 1");
	check(DEP ",\"spec\":{\"replicas\":2},\"status\":{\"observedGeneration\":2,\"replicas\":2,"
	      "\"updatedReplicas\":2}}", KSTATUS_INPROGRESS, "Available: 0/2");
	check(DEP ",\"spec\":{\"replicas\":1},\"status\":{\"observedGeneration\":2,\"replicas\":1,"
	      "\"updatedReplicas\":1,\"availableReplicas\":1,\"readyReplicas\":1,\"conditions\":["
	      "{\"type\":\"Available\",\"status\":\"True\"},{\"type\":\"Progressing\",\"status\":"
	      "\"True\",\"reason\":\"NewReplicaSetAvailable\"}]}}", KSTATUS_CURRENT,
	      "Deployment is available. Replicas: 1");
	check(DEP ",\"spec\":{},\"status\":{\"conditions\":[{\"type\":\"Progressing\",\"status\":"
	      "\"False\",\"reason\":\"ProgressDeadlineExceeded\"}]}}", KSTATUS_FAILED,
	      "Progress deadline exceeded");
	check("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
	      "\"deletionTimestamp\":\"2024-01-01T00:00:00Z\"}}", KSTATUS_TERMINATING, NULL);
}

static void other_workloads(void **state)
{
	(void)state;
	const char *sts = "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"spec\":{"
			  "\"replicas\":2},\"status\":{\"replicas\":2,\"readyReplicas\":2,"
			  "\"currentReplicas\":2,\"updatedReplicas\":2,\"currentRevision\":\"a\","
			  "\"updateRevision\":\"b\"}}";
	check(sts, KSTATUS_INPROGRESS, "Waiting for updated revision b to match current a");
	check("{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"spec\":{\"updateStrategy\":"
	      "{\"type\":\"OnDelete\"}}}", KSTATUS_CURRENT, NULL);
	check("{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"status\":{}}", KSTATUS_INPROGRESS,
	      "Missing .status.desiredNumberScheduled");
	check("{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"status\":{"
	      "\"desiredNumberScheduled\":1,\"currentNumberScheduled\":1,\"updatedNumberScheduled\":1,"
	      "\"numberAvailable\":1,\"numberReady\":1}}", KSTATUS_CURRENT, NULL);
	check("{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"spec\":{\"replicas\":3},"
	      "\"status\":{\"fullyLabeledReplicas\":3,\"availableReplicas\":3,\"readyReplicas\":2}}",
	      KSTATUS_INPROGRESS, "Ready: 2/3");
	check("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{}}", KSTATUS_INPROGRESS,
	      "Job not started");
	check("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{\"startTime\":\"x\","
	      "\"active\":1}}", KSTATUS_INPROGRESS, NULL);
	check("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{\"succeeded\":1,"
	      "\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}}", KSTATUS_CURRENT,
	      "Job Completed. succeeded: 1");
	check("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{\"failed\":2,"
	      "\"conditions\":[{\"type\":\"Failed\",\"status\":\"True\"}]}}", KSTATUS_FAILED, NULL);
}

static void core_kinds(void **state)
{
	(void)state;
	check("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"phase\":\"Running\","
	      "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}", KSTATUS_CURRENT,
	      "Pod is Ready");
	check("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"phase\":\"Running\"}}",
	      KSTATUS_INPROGRESS, "Pod is running but is not Ready");
	check("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"phase\":\"Failed\"}}",
	      KSTATUS_FAILED, NULL);
	check("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"phase\":\"Running\","
	      "\"containerStatuses\":[{\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}}",
	      KSTATUS_FAILED, NULL);
	check("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"status\":{\"phase\":"
	      "\"Pending\"}}", KSTATUS_INPROGRESS, "PVC is not Bound. phase: Pending");
	check("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"status\":{\"phase\":"
	      "\"Bound\"}}", KSTATUS_CURRENT, NULL);
	check("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"type\":\"LoadBalancer\"}}",
	      KSTATUS_INPROGRESS, "ClusterIP not set");
	check("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"type\":\"LoadBalancer\","
	      "\"clusterIP\":\"10.0.0.1\"}}", KSTATUS_CURRENT, NULL);
	check("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}", KSTATUS_CURRENT,
	      "Resource is current");
	check("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"status\":{\"conditions\":[{"
	      "\"type\":\"Ready\",\"status\":\"False\"}]}}", KSTATUS_CURRENT, NULL);
	check("{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\"}",
	      KSTATUS_INPROGRESS, "Install in progress");
	check("{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
	      "\"status\":{\"conditions\":[{\"type\":\"NamesAccepted\",\"status\":\"True\"},{"
	      "\"type\":\"Established\",\"status\":\"True\"}]}}", KSTATUS_CURRENT, NULL);
	check("{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
	      "\"status\":{\"conditions\":[{\"type\":\"NamesAccepted\",\"status\":\"False\","
	      "\"message\":\"clash\"}]}}", KSTATUS_FAILED, "clash");
}

static void custom_resources(void **state)
{
	(void)state;
	const char *hr = "{\"apiVersion\":\"helm.toolkit.fluxcd.io/v2\",\"kind\":\"HelmRelease\","
			 "\"metadata\":{\"generation\":3},\"status\":{\"observedGeneration\":3,"
			 "\"conditions\":[%s]}}";
	char b[1024];
	snprintf(b, sizeof b, hr, "{\"type\":\"Ready\",\"status\":\"True\",\"message\":\"ok\"}");
	check(b, KSTATUS_CURRENT, "ok");
	snprintf(b, sizeof b, hr, "{\"type\":\"Ready\",\"status\":\"False\",\"message\":\"no\"}");
	check(b, KSTATUS_INPROGRESS, "no");
	snprintf(b, sizeof b, hr, "{\"type\":\"Ready\",\"status\":\"False\",\"message\":\"no\"},"
		 "{\"type\":\"Stalled\",\"status\":\"True\",\"message\":\"stuck\"}");
	check(b, KSTATUS_FAILED, "stuck");
	snprintf(b, sizeof b, hr, "{\"type\":\"Ready\",\"status\":\"Unknown\",\"reason\":\"P\"},"
		 "{\"type\":\"Reconciling\",\"status\":\"True\",\"message\":\"working\"}");
	check(b, KSTATUS_INPROGRESS, "working");
	snprintf(b, sizeof b, hr, "");
	check(b, KSTATUS_CURRENT, NULL);
	/* Flux's CRDs default status.observedGeneration to -1: a new object is InProgress */
	check("{\"apiVersion\":\"kustomize.toolkit.fluxcd.io/v1\",\"kind\":\"Kustomization\","
	      "\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":-1}}",
	      KSTATUS_INPROGRESS, NULL);
	check("null", KSTATUS_NOTFOUND, NULL);
	assert_int_equal(kstatus_compute(NULL, NULL), KSTATUS_NOTFOUND);
	check("{\"kind\":\"X\"}", KSTATUS_UNKNOWN, NULL);
	assert_string_equal(kstatus_name(KSTATUS_INPROGRESS), "InProgress");
	assert_string_equal(kstatus_name(KSTATUS_TERMINATING), "Terminating");
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deployments),
		cmocka_unit_test(other_workloads),
		cmocka_unit_test(core_kinds),
		cmocka_unit_test(custom_resources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
