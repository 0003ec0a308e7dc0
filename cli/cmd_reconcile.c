/* eddy reconcile KIND NAME [--with-source] [--timeout D]: request a reconcile and wait. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/clock.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

#define REQUESTED_AT "reconcile.fluxcd.io/requestedAt"

static void dur_text(int64_t ms, char *out, size_t n)
{
	int64_t s = ms / 1000;
	if (s >= 60)
		snprintf(out, n, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(out, n, "%llds", (long long)s);
}

/* Waits until obj handled `ts` and Ready is True/False. */
static int wait_handled(kube_client *kc, const cli_kind *k, const char *ns, const char *name,
	const cli_opts *o, const char *ts)
{
	int64_t start = clock_mono_ms(), next_report = start + 5000;
	char what[512] = "the controller has not picked up the request yet";
	cli_waiting("waiting for %s reconciliation", k->kind);
	for (;;) {
		err e = {0};
		kube_opts ko = {0};
		cJSON *obj = kube_get(kc, k->api_version, k->kind, ns, name, &ko, &e);
		if (!obj)
			return cli_kube_error(k, ns, name, &e);
		const char *handled = yml_get_string(obj, "status.lastHandledReconcileAt");
		const char *msg, *rmsg;
		const char *ready = cli_ready(obj, &msg);
		const char *rec = cli_condition(obj, "Reconciling", &rmsg);
		int64_t gen = kube_obj_generation(obj), og = -1;
		const cJSON *ogn = yml_get_path(obj, "status.observedGeneration");
		if (cJSON_IsNumber(ogn))
			og = (int64_t)ogn->valuedouble;
		bool done = handled && strcmp(handled, ts) == 0 && strcmp(ready, "Unknown") != 0 &&
			    !(rec && strcmp(rec, "True") == 0) && (og < 0 || og >= gen);
		if (done) {
			int rc = 0;
			if (strcmp(ready, "True") == 0) {
				cli_success("%s reconciliation completed", k->kind);
				const char *rev = cli_revision(obj);
				if (*rev)
					cli_success("%s revision %s", k->source ? "fetched" :
						    "applied", rev);
			} else {
				cli_failure("%s reconciliation failed: %s", k->kind, msg);
				fprintf(stderr, "  see 'eddy events --for %s/%s -n %s' "
					"for details\n", k->kind, name, ns);
				rc = 1;
			}
			cJSON_Delete(obj);
			return rc;
		}
		if (!handled || strcmp(handled, ts) != 0)
			snprintf(what, sizeof(what),
				 "the controller has not picked up the request yet");
		else
			snprintf(what, sizeof(what), "Ready=%s: %s", ready,
				 rec && strcmp(rec, "True") == 0 ? rmsg : msg);
		cJSON_Delete(obj);
		int64_t now = clock_mono_ms();
		char el[32];
		dur_text(now - start, el, sizeof(el));
		if (now - start >= o->timeout_ms) {
			cli_failure("timed out after %s waiting for %s %s in %s namespace (%s)", el,
				    k->kind, name, ns, what);
			fprintf(stderr, "  is the controller running? see 'eddy events --for %s/%s "
					"-n %s', or raise --timeout\n", k->kind, name, ns);
			return 1;
		}
		if (now >= next_report) {
			cli_waiting("still waiting for %s %s (%s elapsed): %s", k->kind, name, el,
				    what);
			next_report = now + 10000;
		}
		cli_sleep_ms(300);
	}
}

int cli_reconcile_one(kube_client *kc, const cli_kind *k, const char *ns, const char *name,
	const cli_opts *o, bool annotate)
{
	char ts[48];
	err e = {0};
	kube_opts ko = {0};
	clock_rfc3339_now(ts, sizeof ts, 9);
	cJSON *obj = kube_get(kc, k->api_version, k->kind, ns, name, &ko, &e);
	if (!obj)
		return cli_kube_error(k, ns, name, &e);
	if (annotate && cli_suspended(obj)) {
		cli_failure("%s %s in %s namespace is suspended; run 'eddy resume %s %s -n %s' "
			    "first", k->kind, name, ns, k->name, name, ns);
		cJSON_Delete(obj);
		return 1;
	}
	cJSON_Delete(obj);
	cJSON *patch = cJSON_CreateObject();
	cJSON *md = cJSON_AddObjectToObject(patch, "metadata");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "annotations"), REQUESTED_AT, ts);
	if (!annotate) /* resume: one patch for both */
		cJSON_AddFalseToObject(cJSON_AddObjectToObject(patch, "spec"), "suspend");
	else
		cli_action("annotating %s %s in %s namespace", k->kind, name, ns);
	cJSON *res = kube_patch(kc, k->api_version, k->kind, ns, name, KUBE_PATCH_MERGE, patch,
				&ko, &e);
	cJSON_Delete(patch);
	if (!res)
		return cli_kube_error(k, ns, name, &e);
	cJSON_Delete(res);
	if (annotate)
		cli_success("%s annotated", k->kind);
	else
		cli_success("%s resumed", k->name);
	if (!o->wait)
		return 0;
	return wait_handled(kc, k, ns, name, o, ts);
}

/* The source of a Kustomization or HelmRelease: kind, name, namespace (allocated). */
static const cli_kind *source_of(kube_client *kc, const cli_kind *k, const char *ns,
	const char *name, char **sname, char **sns, int *rc)
{
	err e = {0};
	kube_opts ko = {0};
	*rc = 0;
	cJSON *obj = kube_get(kc, k->api_version, k->kind, ns, name, &ko, &e);
	if (!obj) {
		*rc = cli_kube_error(k, ns, name, &e);
		return NULL;
	}
	const cJSON *ref = yml_get_path(obj, "spec.sourceRef");
	if (!ref)
		ref = yml_get_path(obj, "spec.chartRef");
	if (!ref)
		ref = yml_get_path(obj, "spec.chart.spec.sourceRef");
	const char *kind = yml_get_string(ref, "kind");
	const char *n = yml_get_string(ref, "name");
	const char *rns = yml_get_string(ref, "namespace");
	const cli_kind *sk = kind ? cli_kind_by_kind(kind) : NULL;
	if (!sk || !n) {
		cli_failure("%s %s has no source reference this command knows", k->kind, name);
		*rc = 1;
		cJSON_Delete(obj);
		return NULL;
	}
	*sname = xstrdup(n);
	*sns = xstrdup(rns && *rns ? rns : ns);
	cJSON_Delete(obj);
	return sk;
}

int cmd_reconcile(int argc, char **argv)
{
	cli_opts o;
	if (cli_parse(argc, argv, &o) < 0)
		return 1;
	int i = 0;
	const cli_kind *k = o.nargs ? cli_kind_find(&o, &i) : NULL;
	if (o.help || !k || i + 1 != o.nargs) {
		printf("Usage:\n  eddy reconcile KIND NAME [-n NS] [--with-source] "
		       "[--timeout 5m]\n");
		if (o.help)
			return 0;
		if (o.nargs && !k)
			cli_kind_unknown(o.args[0]);
		else
			cli_failure("specify a kind and a name, e.g. 'eddy reconcile ks app'");
		return 1;
	}
	const char *name = o.args[i], *ns = cli_namespace(&o);
	kube_client *kc = cli_client(&o);
	if (!kc)
		return 1;
	int rc = 0;
	if (o.with_source && !k->source) {
		char *sname = NULL, *sns = NULL;
		const cli_kind *sk = source_of(kc, k, ns, name, &sname, &sns, &rc);
		if (sk)
			rc = cli_reconcile_one(kc, sk, sns, sname, &o, true);
		free(sname);
		free(sns);
	}
	if (rc == 0)
		rc = cli_reconcile_one(kc, k, ns, name, &o, true);
	kube_client_free(kc);
	return rc;
}
