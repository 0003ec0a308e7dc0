/* kube: coordination Leases for leader election (eddy/kube.h). */
#include "kube_internal.h"
#include "eddy/mem.h"
#include "eddy/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ leases */

void kube_lease_init(kube_lease *l, const char *ns, const char *name, const char *identity,
	int duration_s)
{
	memset(l, 0, sizeof *l);
	l->ns = xstrdup(ns);
	l->name = xstrdup(name);
	l->identity = xstrdup(identity);
	l->duration_s = duration_s > 0 ? duration_s : 35;
}

void kube_lease_release_mem(kube_lease *l)
{
	free(l->ns);
	free(l->name);
	free(l->identity);
	free(l->observed_rv);
	memset(l, 0, sizeof *l);
}

static void lease_spec(cJSON *spec, const kube_lease *l, bool acquire, int64_t transitions)
{
	char now[32];
	clock_rfc3339_now(now, sizeof now, 6);
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "holderIdentity");
	cJSON_AddStringToObject(spec, "holderIdentity", l->identity);
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "leaseDurationSeconds");
	cJSON_AddNumberToObject(spec, "leaseDurationSeconds", l->duration_s);
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "renewTime");
	cJSON_AddStringToObject(spec, "renewTime", now);
	if (acquire) {
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "acquireTime");
		cJSON_AddStringToObject(spec, "acquireTime", now);
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "leaseTransitions");
		cJSON_AddNumberToObject(spec, "leaseTransitions", (double)transitions);
	}
}

static void observe(kube_lease *l, const char *rv)
{
	if (!l->observed_rv || strcmp(l->observed_rv, rv ? rv : "")) {
		free(l->observed_rv);
		l->observed_rv = xstrdup(rv ? rv : "");
		l->observed_at_ms = clock_mono_ms();
	}
}

int kube_lease_try(kube_client *k, kube_lease *l, err *e)
{
	err ge = {0};
	cJSON *cur = kube_get(k, "coordination.k8s.io/v1", "Lease", l->ns, l->name, NULL, &ge);
	if (!cur) {
		if (kube_errkind_of(&ge) != KUBE_ENOTFOUND) {
			l->held = false;
			if (e)
				*e = ge;
			return -1;
		}
		cJSON *n = cJSON_CreateObject();
		cJSON_AddStringToObject(n, "apiVersion", "coordination.k8s.io/v1");
		cJSON_AddStringToObject(n, "kind", "Lease");
		cJSON *md = cJSON_AddObjectToObject(n, "metadata");
		cJSON_AddStringToObject(md, "name", l->name);
		cJSON_AddStringToObject(md, "namespace", l->ns);
		lease_spec(cJSON_AddObjectToObject(n, "spec"), l, true, 0);
		err ce = {0};
		cJSON *made = kube_create(k, n, NULL, &ce);
		cJSON_Delete(n);
		if (!made) {
			l->held = false;
			if (kube_errkind_of(&ce) == KUBE_EALREADYEXISTS)
				return 0;
			if (e)
				*e = ce;
			return -1;
		}
		observe(l, kube_obj_rv(made));
		cJSON_Delete(made);
		l->held = true;
		return 1;
	}
	observe(l, kube_obj_rv(cur));
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(cur, "spec");
	if (!spec)
		spec = cJSON_AddObjectToObject(cur, "spec");
	const char *holder = kube_obj_str(cur, "spec", "holderIdentity");
	const cJSON *dur = cJSON_GetObjectItemCaseSensitive(spec, "leaseDurationSeconds");
	int64_t dms = (cJSON_IsNumber(dur) ? (int64_t)dur->valuedouble : l->duration_s) * 1000;
	bool ours = holder && !strcmp(holder, l->identity);
	if (holder && *holder && !ours && clock_mono_ms() - l->observed_at_ms < dms) {
		cJSON_Delete(cur);
		l->held = false;
		return 0;
	}
	const cJSON *tr = cJSON_GetObjectItemCaseSensitive(spec, "leaseTransitions");
	int64_t transitions = cJSON_IsNumber(tr) ? (int64_t)tr->valuedouble : 0;
	lease_spec(spec, l, !ours, ours ? transitions : transitions + 1);
	err ue = {0};
	cJSON *upd = kube_update(k, cur, NULL, &ue);
	cJSON_Delete(cur);
	if (!upd) {
		l->held = false;
		if (kube_errkind_of(&ue) == KUBE_ECONFLICT)
			return 0;
		if (e)
			*e = ue;
		return -1;
	}
	observe(l, kube_obj_rv(upd));
	cJSON_Delete(upd);
	l->held = true;
	return 1;
}

int kube_lease_yield(kube_client *k, kube_lease *l, err *e)
{
	if (!l->held)
		return 0;
	l->held = false;
	cJSON *cur = kube_get(k, "coordination.k8s.io/v1", "Lease", l->ns, l->name, NULL, e);
	if (!cur)
		return -1;
	const char *holder = kube_obj_str(cur, "spec", "holderIdentity");
	if (!holder || strcmp(holder, l->identity)) {
		cJSON_Delete(cur);
		return 0;
	}
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(cur, "spec");
	char now[32];
	clock_rfc3339_now(now, sizeof now, 6);
	cJSON_ReplaceItemInObjectCaseSensitive(spec, "holderIdentity", cJSON_CreateString(""));
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "leaseDurationSeconds");
	cJSON_AddNumberToObject(spec, "leaseDurationSeconds", 1);
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "renewTime");
	cJSON_AddStringToObject(spec, "renewTime", now);
	cJSON *upd = kube_update(k, cur, NULL, e);
	cJSON_Delete(cur);
	if (!upd)
		return -1;
	cJSON_Delete(upd);
	return 0;
}
