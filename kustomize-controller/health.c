/* Health assessment of a Kustomization (Flux's checkHealth): after apply and prune, wait until
 * the applied objects (`spec.wait: true`) or the objects listed in `spec.healthChecks` are
 * Current by kstatus' rules, for at most the Kustomization's timeout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/json.h"
#include "eddy/kstatus.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "kc.h"

#define GROUP "kustomize.toolkit.fluxcd.io"
#define STATUS_MANAGER "gotk-kustomize-controller"
#define COND_HEALTHY "Healthy"

enum {
	POLL_FIRST_MS = 200,  /* first re-poll; doubles up to POLL_MAX_MS */
	POLL_MAX_MS = 2000,
	MAX_TARGETS = 100000,
};

typedef struct target {
	char *av, *kind, *ns, *name;
	kstatus_status st;
	char *err; /* a read error, or NULL */
} target;

typedef struct targets {
	target *v;
	size_t n, cap;
} targets;

static bool str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static bool meta_is(const cJSON *o, const char *key, const char *val)
{
	const char *a = kube_obj_annotation(o, key), *l = kube_obj_label(o, key);
	return (a && !strcasecmp(a, val)) || (l && !strcasecmp(l, val));
}

static void add_target(targets *t, const char *av, const char *kind, const char *ns,
		       const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (str_eq(t->v[i].av, av) && str_eq(t->v[i].kind, kind) &&
		    str_eq(t->v[i].ns, ns) && str_eq(t->v[i].name, name))
			return;
	if (t->n == MAX_TARGETS)
		return;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xrealloc(t->v, t->cap * sizeof *t->v);
	}
	t->v[t->n++] = (target){xstrdup(av), xstrdup(kind), ns && *ns ? xstrdup(ns) : NULL,
				xstrdup(name), KSTATUS_UNKNOWN, NULL};
}

static void targets_release(targets *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].av);
		free(t->v[i].kind);
		free(t->v[i].ns);
		free(t->v[i].name);
		free(t->v[i].err);
	}
	free(t->v);
}

/* Flux's GetTimeout: spec.timeout, else interval - 30s; never under 30s. The floor can be
 * lowered with $EDDY_KUSTOMIZE_MIN_TIMEOUT (a Go duration; for tests). */
int64_t kc_timeout_ms(const cJSON *spec)
{
	int64_t ns = 0, floor_ns = 30LL * 1000000000;
	const char *env = getenv("EDDY_KUSTOMIZE_MIN_TIMEOUT");
	int64_t v;
	if (env && godur_parse(env, &v, NULL) == 0 && v >= 0)
		floor_ns = v;
	const char *t = json_str(spec, "timeout"), *iv = json_str(spec, "interval");
	if (t && godur_parse(t, &v, NULL) == 0)
		ns = v;
	else if (iv && godur_parse(iv, &v, NULL) == 0)
		ns = v - 30LL * 1000000000;
	if (ns < floor_ns)
		ns = floor_ns;
	return ns / 1000000;
}

/* "Kind/namespace/name" or "Kind/name", as Flux's ssa formats object metadata. */
static void fmt_target(buf *b, const target *t)
{
	if (t->ns)
		buf_addf(b, "%s/%s/%s", t->kind, t->ns, t->name);
	else
		buf_addf(b, "%s/%s", t->kind, t->name);
}

static bool is_self(const char *av, const char *kind, const char *ns, const char *name,
		    const char *self_ns, const char *self)
{
	return !strcmp(kind, "Kustomization") && !strncmp(av, GROUP "/", strlen(GROUP) + 1) &&
	       str_eq(name, self) && str_eq(ns, self_ns);
}

/* Collect what to check: the applied objects or the health check references, minus the
 * Kustomization itself. */
static void collect(kube_client *kube, const cJSON *obj, const cJSON *applied, targets *t)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const char *self_ns = kube_obj_namespace(obj), *self = kube_obj_name(obj);
	const cJSON *o;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "wait"))) {
		cJSON_ArrayForEach(o, applied) {
			if (meta_is(o, GROUP "/reconcile", "disabled") ||
			    meta_is(o, GROUP "/ssa", "Ignore"))
				continue;
			const char *av = json_str(o, "apiVersion"), *kind = json_str(o, "kind");
			const char *name = kube_obj_name(o);
			if (!av || !kind || !name)
				continue;
			if (is_self(av, kind, kube_obj_namespace(o), name, self_ns, self))
				continue;
			add_target(t, av, kind, kube_obj_namespace(o), name);
		}
		return;
	}
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(spec, "healthChecks")) {
		const char *av = json_str(o, "apiVersion"), *kind = json_str(o, "kind");
		const char *name = json_str(o, "name"), *ns = json_str(o, "namespace");
		if (!kind || !name)
			continue;
		if (!av || !*av)
			av = "apps/v1";
		if (!ns || !*ns) {
			/* Namespaced kinds default to the Kustomization's namespace. */
			kube_resource r = {0};
			err re = {0};
			if (kube_resolve(kube, av, kind, &r, &re) < 0 || r.namespaced)
				ns = self_ns;
			kube_resource_release(&r);
		}
		if (is_self(av, kind, ns, name, self_ns, self))
			continue;
		add_target(t, av, kind, ns, name);
	}
}

/* Poll every target once; returns the number still not Current and sets *failed when one is
 * Failed. */
static size_t poll_once(kube_client *kube, targets *t, bool *failed)
{
	size_t pending = 0;
	*failed = false;
	for (size_t i = 0; i < t->n; i++) {
		target *x = &t->v[i];
		if (x->st == KSTATUS_CURRENT)
			continue;
		err ge = {0};
		cJSON *cur = kube_get(kube, x->av, x->kind, x->ns, x->name, NULL, &ge);
		free(x->err);
		x->err = NULL;
		if (cur) {
			x->st = kstatus_compute(cur, NULL);
		} else if (kube_errkind_of(&ge) == KUBE_ENOTFOUND) {
			x->st = KSTATUS_NOTFOUND;
		} else {
			x->st = KSTATUS_UNKNOWN;
			x->err = xstrdup(ge.msg);
		}
		cJSON_Delete(cur);
		if (x->st == KSTATUS_FAILED)
			*failed = true;
		if (x->st != KSTATUS_CURRENT)
			pending++;
	}
	return pending;
}

/* The list of targets in state `only` (or every non-Current one when only is CURRENT), as
 * "Kind/ns/name status: 'S'[: error]", comma separated. */
static char *describe(const targets *t, kstatus_status only)
{
	buf b;
	buf_init(&b, 1u << 20);
	bool first = true;
	for (size_t i = 0; i < t->n; i++) {
		const target *x = &t->v[i];
		if (x->st == KSTATUS_CURRENT || (only != KSTATUS_CURRENT && x->st != only))
			continue;
		if (!first)
			buf_adds(&b, ", ");
		first = false;
		fmt_target(&b, x);
		buf_addf(&b, " status: '%s'", kstatus_name(x->st));
		if (x->err)
			buf_addf(&b, ": %s", x->err);
	}
	char *s = buf_detach(&b, NULL);
	return s ? s : xstrdup("");
}

/* Sleep up to ms, waking early on shutdown; false when the manager is stopping. */
static bool nap(rt_ctx *ctx, int64_t ms)
{
	while (ms > 0) {
		if (ctx->m && rt_manager_stopping(ctx->m))
			return false;
		int64_t step = ms < 100 ? ms : 100;
		usleep((useconds_t)step * 1000);
		ms -= step;
	}
	return !(ctx->m && rt_manager_stopping(ctx->m));
}

static void patch_progress(rt_ctx *ctx, const cJSON *obj)
{
	cJSON *empty = cJSON_CreateObject();
	err pe = {0};
	if (rt_status_patch(ctx->kube, empty, obj, STATUS_MANAGER, &pe) < 0)
		log_error(&ctx->log, pe.msg, "unable to update the healthy status to progressing");
	cJSON_Delete(empty);
}

int kc_health_check(rt_ctx *ctx, kube_client *kube, cJSON *obj, const char *revision,
		    const cJSON *applied, bool drifted, err *e)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	targets t = {0};
	collect(kube, obj, applied, &t);
	if (t.n == 0) {
		rt_cond_delete(obj, COND_HEALTHY);
		targets_release(&t);
		return 0;
	}
	int64_t start = clock_mono_ms();
	bool was_healthy = rt_cond_is_true(obj, COND_HEALTHY);
	const char *last = json_str(cJSON_GetObjectItemCaseSensitive(obj, "status"),
				"lastAppliedRevision");
	bool new_revision = !str_eq(last, revision);
	int64_t timeout = kc_timeout_ms(spec);
	char tbuf[32], dbuf[32];
	godur_format(tbuf, sizeof tbuf, timeout * 1000000);
	rt_cond_set(obj, RT_COND_RECONCILING, "True", "Progressing",
		    "Running health checks for revision %s with a timeout of %s", revision, tbuf);
	rt_cond_set(obj, COND_HEALTHY, "Unknown", "Progressing",
		    "Running health checks for revision %s with a timeout of %s", revision, tbuf);
	patch_progress(ctx, obj);

	int64_t deadline = start + timeout, wait_ms = POLL_FIRST_MS;
	int rc = 0;
	char *inner = NULL;
	for (;;) {
		bool failed;
		size_t pending = poll_once(kube, &t, &failed);
		if (pending == 0)
			break;
		if (failed) {
			char *l = describe(&t, KSTATUS_FAILED);
			inner = xasprintf("failed early due to stalled resources: [%s]", l);
			free(l);
			break;
		}
		int64_t now = clock_mono_ms();
		if (now >= deadline) {
			char *l = describe(&t, KSTATUS_CURRENT);
			inner = xasprintf("timeout waiting for: [%s]", l);
			free(l);
			break;
		}
		int64_t sl = wait_ms < deadline - now ? wait_ms : deadline - now;
		if (!nap(ctx, sl)) {
			rt_cond_set(obj, COND_HEALTHY, "Unknown", "HealthCheckCanceled",
				    "Health check canceled");
			rc = err_fail(e, "HealthCheckCanceled", "health check canceled");
			goto out;
		}
		wait_ms = wait_ms * 2 > POLL_MAX_MS ? POLL_MAX_MS : wait_ms * 2;
	}
	godur_format(dbuf, sizeof dbuf, (clock_mono_ms() - start) * 1000000);
	if (inner) {
		rt_cond_set(obj, COND_HEALTHY, "False", "HealthCheckFailed", "%s", inner);
		rc = err_fail(e, "HealthCheckFailed", "health check failed after %s: %s", dbuf,
			      inner);
		goto out;
	}
	char *msg = xasprintf("Health check passed in %s", dbuf);
	if (!was_healthy || (new_revision && drifted)) {
		cJSON *ann = cJSON_CreateObject();
		cJSON_AddStringToObject(ann, GROUP "/revision", revision);
		rt_event(ctx, obj, "Normal", "Progressing", ann, "%s", msg);
		cJSON_Delete(ann);
	}
	log_info(&ctx->log, msg, LOG_S("revision", revision));
	rt_cond_set(obj, COND_HEALTHY, "True", "Succeeded", "%s", msg);
	free(msg);
out:
	free(inner);
	targets_release(&t);
	return rc;
}
