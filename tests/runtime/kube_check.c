/* eddy-kube-check: exercises the kube client (eddy/kube.h) against a real API server and prints
 * TAP lines ("ok N - ..." / "not ok N - ..."). Exit status 0 when every check passed.
 * Usage: eddy-kube-check KUBECONFIG [NAMESPACE]
 *        eddy-kube-check --probe KUBECONFIG [CONTEXT]: one GET of the namespace "default";
 *        prints the error kind (OK, Unauthorized, Forbidden, Transport, ...) and the message.
 * Needs the Widget CRD of tests/runtime/crd.yaml to be installed. */
#include "eddy/json.h"
#include "eddy/kube.h"
#include "eddy/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int n_checks, n_failed;

static void check(bool ok, const char *what, const err *e)
{
	n_checks++;
	if (ok) {
		printf("ok %d - %s\n", n_checks, what);
	} else {
		n_failed++;
		printf("not ok %d - %s\n", n_checks, what);
		if (e && err_is_set(e))
			printf("#   error %s: %s\n", e->reason, e->msg);
	}
	fflush(stdout);
}

static cJSON *cm(const char *ns, const char *name, const char *k, const char *v)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", "ConfigMap");
	cJSON *md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	cJSON_AddStringToObject(md, "namespace", ns);
	cJSON *l = cJSON_AddObjectToObject(md, "labels");
	cJSON_AddStringToObject(l, "suite", "kube-check");
	cJSON *d = cJSON_AddObjectToObject(o, "data");
	cJSON_AddStringToObject(d, k, v);
	return o;
}

static const char *data_of(const cJSON *o, const char *k)
{
	return json_str(json_get(o, "data"), k);
}

/* ---- watch helpers */

struct wstate {
	kube_client *k;
	const char *ns;
	char *rv;
	char log[64][64];
	atomic_int n;
	atomic_bool stop;
	int rc;
	err e;
};

static int wfn(kube_event_type t, cJSON *obj, void *ud)
{
	struct wstate *w = ud;
	static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK"};
	if (t == KUBE_BOOKMARK)
		return 0;
	const char *nm = kube_obj_name(obj);
	if (!nm || strncmp(nm, "w-", 2))
		return 0;
	int i = atomic_load(&w->n);
	if (i < 64) {
		snprintf(w->log[i], 64, "%s %s %s", names[t], nm, data_of(obj, "k") ? data_of(obj, "k")
			: "-");
		atomic_store(&w->n, i + 1);
	}
	return 0;
}

static bool wstop(void *ud)
{
	struct wstate *w = ud;
	return atomic_load(&w->stop);
}

static void *watcher(void *arg)
{
	struct wstate *w = arg;
	kube_opts o = {.namespace_ = w->ns, .timeout_seconds = 60};
	w->rc = kube_watch(w->k, "v1", "ConfigMap", &o, &w->rv, wfn, wstop, w, &w->e);
	return NULL;
}

/* The watch checks need their thread; without it there is nothing to check. */
static void start_watcher(pthread_t *th, struct wstate *w)
{
	int rc = pthread_create(th, NULL, watcher, w);
	if (rc != 0) {
		printf("Bail out! cannot start the watcher thread: %s\n", strerror(rc));
		exit(1);
	}
}

static bool wait_n(struct wstate *w, int n)
{
	for (int i = 0; i < 200 && atomic_load(&w->n) < n; i++)
		usleep(25000);
	return atomic_load(&w->n) >= n;
}

int main(int argc, char **argv)
{
	mem_install_hooks();
	if (argc < 2) {
		fprintf(stderr, "usage: %s KUBECONFIG [NAMESPACE] | --probe KUBECONFIG [CONTEXT]\n",
			argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "--probe") && argc >= 3) {
		kube_config pc;
		err pe = {0};
		if (kube_config_load_file(&pc, argv[2], argc > 3 ? argv[3] : NULL, &pe) < 0) {
			printf("Config %s\n", pe.msg);
			return 0;
		}
		kube_client *pk = kube_client_new(&pc, &pe);
		kube_config_release(&pc);
		cJSON *o = pk ? kube_get(pk, "v1", "Namespace", NULL, "default", NULL, &pe) : NULL;
		printf("%s %s\n", kube_errkind_name(kube_errkind_of(&pe)), o ? "" : pe.msg);
		cJSON_Delete(o);
		kube_client_free(pk);
		return 0;
	}
	const char *ns = argc > 2 ? argv[2] : "default";
	kube_config cfg;
	err e = {0};
	if (kube_config_load_file(&cfg, argv[1], NULL, &e) < 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	kube_client *k = kube_client_new(&cfg, &e);
	kube_config_release(&cfg);

	/* discovery */
	kube_resource r;
	err_clear(&e);
	check(kube_resolve(k, "v1", "ConfigMap", &r, &e) == 0 && !strcmp(r.resource, "configmaps")
		&& r.namespaced, "discovery: v1 ConfigMap -> configmaps, namespaced", &e);
	kube_resource_release(&r);
	err_clear(&e);
	check(kube_resolve(k, "test.eddy.io/v1", "Widget", &r, &e) == 0 &&
		!strcmp(r.resource, "widgets") && r.has_status, "discovery: CRD kind with status", &e);
	kube_resource_release(&r);
	err_clear(&e);
	check(kube_resolve(k, "v1", "NoSuchKind", &r, &e) < 0 &&
		kube_errkind_of(&e) == KUBE_ENOTFOUND, "discovery: unknown kind is NotFound", &e);
	err_clear(&e);
	check(kube_resolve(k, "nogroup.example/v9", "X", &r, &e) < 0 &&
		kube_errkind_of(&e) == KUBE_ENOTFOUND, "discovery: unknown group is NotFound", &e);

	/* CRUD and typed errors */
	cJSON *a = cm(ns, "c-one", "k", "v1");
	err_clear(&e);
	cJSON *made = kube_create(k, a, NULL, &e);
	check(made && kube_obj_uid(made) && kube_obj_rv(made), "create returns the stored object", &e);
	err_clear(&e);
	cJSON *dup = kube_create(k, a, NULL, &e);
	check(!dup && kube_errkind_of(&e) == KUBE_EALREADYEXISTS, "create twice is AlreadyExists",
		&e);
	cJSON_Delete(dup);
	err_clear(&e);
	cJSON *got = kube_get(k, "v1", "ConfigMap", ns, "c-one", NULL, &e);
	check(got && !strcmp(data_of(got, "k"), "v1"), "get", &e);
	/* update with the current RV, then with the stale one */
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(got, "data"), "k",
		cJSON_CreateString("v2"));
	err_clear(&e);
	cJSON *upd = kube_update(k, got, NULL, &e);
	check(upd && !strcmp(data_of(upd, "k"), "v2") &&
		strcmp(kube_obj_rv(upd), kube_obj_rv(got)), "update bumps resourceVersion", &e);
	err_clear(&e);
	cJSON *stale = kube_update(k, got, NULL, &e);
	check(!stale && kube_errkind_of(&e) == KUBE_ECONFLICT, "update with a stale RV is Conflict",
		&e);
	cJSON_Delete(stale);
	/* merge patch */
	cJSON *mp = cJSON_Parse("{\"data\":{\"k\":\"v3\",\"extra\":\"x\"}}");
	err_clear(&e);
	cJSON *p1 = kube_patch(k, "v1", "ConfigMap", ns, "c-one", KUBE_PATCH_MERGE, mp, NULL, &e);
	check(p1 && !strcmp(data_of(p1, "k"), "v3") && data_of(p1, "extra"), "merge patch", &e);
	/* JSON patch */
	cJSON *jp = cJSON_Parse("[{\"op\":\"remove\",\"path\":\"/data/extra\"},"
				"{\"op\":\"replace\",\"path\":\"/data/k\",\"value\":\"v4\"}]");
	err_clear(&e);
	cJSON *p2 = kube_patch(k, "v1", "ConfigMap", ns, "c-one", KUBE_PATCH_JSON, jp, NULL, &e);
	check(p2 && !strcmp(data_of(p2, "k"), "v4") && !data_of(p2, "extra"), "JSON patch", &e);
	/* dry run */
	cJSON *dr = cm(ns, "c-dry", "k", "v");
	kube_opts dro = {.dry_run = true};
	err_clear(&e);
	cJSON *drm = kube_create(k, dr, &dro, &e);
	check(drm != NULL, "dry-run create answers the object", &e);
	err_clear(&e);
	cJSON *drg = kube_get(k, "v1", "ConfigMap", ns, "c-dry", NULL, &e);
	check(!drg && kube_errkind_of(&e) == KUBE_ENOTFOUND, "dry-run create persists nothing", &e);
	/* invalid */
	cJSON *bad = cm(ns, "Bad_Name", "k", "v");
	err_clear(&e);
	cJSON *badm = kube_create(k, bad, NULL, &e);
	check(!badm && kube_errkind_of(&e) == KUBE_EINVALID, "invalid name is Invalid", &e);
	/* server-side apply: create, conflict, force */
	cJSON *ap = cm(ns, "c-ssa", "k", "mine");
	kube_opts ao = {.field_manager = "eddy-a"};
	err_clear(&e);
	cJSON *s1 = kube_apply(k, ap, &ao, &e);
	check(s1 && !strcmp(data_of(s1, "k"), "mine"), "server-side apply creates", &e);
	cJSON *ap2 = cm(ns, "c-ssa", "k", "theirs");
	kube_opts bo = {.field_manager = "eddy-b"};
	err_clear(&e);
	cJSON *s2 = kube_apply(k, ap2, &bo, &e);
	check(!s2 && kube_errkind_of(&e) == KUBE_ECONFLICT && strstr(e.msg, "conflict"),
		"server-side apply conflict is Conflict", &e);
	bo.force = true;
	err_clear(&e);
	cJSON *s3 = kube_apply(k, ap2, &bo, &e);
	check(s3 && !strcmp(data_of(s3, "k"), "theirs"), "server-side apply with force", &e);
	kube_opts nofm = {0};
	err_clear(&e);
	check(!kube_apply(k, ap2, &nofm, &e) && kube_errkind_of(&e) == KUBE_EBADREQUEST,
		"apply without a field manager is refused", &e);
	/* delete */
	err_clear(&e);
	check(kube_delete(k, "v1", "ConfigMap", ns, "c-one", NULL, &e) == 0, "delete", &e);
	err_clear(&e);
	check(kube_delete(k, "v1", "ConfigMap", ns, "c-one", NULL, &e) < 0 &&
		kube_errkind_of(&e) == KUBE_ENOTFOUND, "delete twice is NotFound", &e);
	cJSON *objs[] = {a, made, got, upd, mp, p1, jp, p2, dr, drm, drg, bad, badm, ap, s1, ap2,
		s2, s3};
	for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
		cJSON_Delete(objs[i]);

	/* list: pagination and selectors */
	for (int i = 0; i < 23; i++) {
		char nm[32];
		snprintf(nm, sizeof nm, "c-list-%02d", i);
		cJSON *o = cm(ns, nm, "k", i % 2 ? "odd" : "even");
		cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(o, "metadata"), "labels"), "parity",
			i % 2 ? "odd" : "even");
		cJSON_Delete(kube_create(k, o, NULL, &e));
		cJSON_Delete(o);
	}
	kube_opts lo = {.namespace_ = ns, .limit = 5, .label_selector = "suite=kube-check"};
	err_clear(&e);
	cJSON *l = kube_list(k, "v1", "ConfigMap", &lo, &e);
	int cnt = l ? cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "items")) : -1;
	check(cnt == 24, "list with limit 5 follows continue tokens to every item", &e);
	if (cnt != 24)
		printf("#   got %d items\n", cnt);
	const cJSON *first = l ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(l, "items"), 0)
		: NULL;
	check(first && !strcmp(cJSON_GetObjectItemCaseSensitive(first, "kind")->valuestring,
		"ConfigMap"), "list items carry kind", NULL);
	cJSON_Delete(l);
	lo.label_selector = "parity=odd";
	lo.limit = 0;
	l = kube_list(k, "v1", "ConfigMap", &lo, &e);
	check(l && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "items")) == 11,
		"list with a label selector", &e);
	cJSON_Delete(l);
	lo.label_selector = NULL;
	lo.field_selector = "metadata.name=c-list-07";
	l = kube_list(k, "v1", "ConfigMap", &lo, &e);
	check(l && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "items")) == 1,
		"list with a field selector", &e);
	cJSON_Delete(l);

	/* watch: events in order, then resume from the last resourceVersion */
	kube_opts lo2 = {.namespace_ = ns};
	l = kube_list(k, "v1", "ConfigMap", &lo2, &e);
	struct wstate w = {.k = k, .ns = ns, .rv = xstrdup(kube_obj_rv(l))};
	cJSON_Delete(l);
	pthread_t th;
	start_watcher(&th, &w);
	usleep(200000);
	cJSON *wa = cm(ns, "w-a", "k", "1");
	cJSON_Delete(kube_create(k, wa, NULL, &e));
	cJSON *pa = cJSON_Parse("{\"data\":{\"k\":\"2\"}}");
	cJSON_Delete(kube_patch(k, "v1", "ConfigMap", ns, "w-a", KUBE_PATCH_MERGE, pa, NULL, &e));
	kube_delete(k, "v1", "ConfigMap", ns, "w-a", NULL, &e);
	bool got3 = wait_n(&w, 3);
	check(got3 && !strcmp(w.log[0], "ADDED w-a 1") && !strcmp(w.log[1], "MODIFIED w-a 2") &&
		!strncmp(w.log[2], "DELETED w-a", 11), "watch sees ADDED, MODIFIED, DELETED in order",
		NULL);
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	check(w.rc == 0, "watch stops on request", &w.e);
	/* changes while nobody watches */
	cJSON *wb = cm(ns, "w-b", "k", "1");
	cJSON_Delete(kube_create(k, wb, NULL, &e));
	cJSON_Delete(kube_patch(k, "v1", "ConfigMap", ns, "w-b", KUBE_PATCH_MERGE, pa, NULL, &e));
	atomic_store(&w.stop, false);
	start_watcher(&th, &w);
	bool got5 = wait_n(&w, 5);
	usleep(300000);
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	check(got5 && atomic_load(&w.n) == 5 && !strcmp(w.log[3], "ADDED w-b 1") &&
		!strcmp(w.log[4], "MODIFIED w-b 2"),
		"watch resumed from the last resourceVersion sees every later change exactly once",
		NULL);
	for (int i = 0; i < atomic_load(&w.n); i++)
		printf("#   event %s\n", w.log[i]);
	free(w.rv);
	/* a watch from a resourceVersion that is too old */
	struct wstate old = {.k = k, .ns = ns, .rv = xstrdup("1")};
	const char *cz = getenv("EXPECT_COMPACTED");
	if (cz && *cz == '1') {
		old.stop = false;
		watcher(&old);
		check(old.rc < 0 && kube_errkind_of(&old.e) == KUBE_EGONE,
			"watch from a compacted resourceVersion is Gone (410)", &old.e);
	}
	free(old.rv);
	cJSON_Delete(wa);
	cJSON_Delete(wb);
	cJSON_Delete(pa);

	/* status subresource on a custom resource */
	cJSON *wd = cJSON_Parse("{\"apiVersion\":\"test.eddy.io/v1\",\"kind\":\"Widget\","
				"\"metadata\":{\"name\":\"kc-w\"},\"spec\":{\"value\":\"a\"}}");
	kube_opts wo = {.namespace_ = ns};
	err_clear(&e);
	cJSON *wm = kube_create(k, wd, &wo, &e);
	check(wm && kube_obj_generation(wm) == 1, "create a custom resource (generation 1)", &e);
	cJSON *sp = cJSON_Parse("{\"status\":{\"observedValue\":\"a\"}}");
	kube_opts so = {.subresource = "status"};
	err_clear(&e);
	cJSON *ws = kube_patch(k, "test.eddy.io/v1", "Widget", ns, "kc-w", KUBE_PATCH_MERGE, sp,
		&so, &e);
	check(ws && kube_obj_generation(ws) == 1, "status patch leaves generation alone", &e);
	cJSON *spec = cJSON_Parse("{\"spec\":{\"value\":\"b\"},\"status\":{\"observedValue\":\"x\"}}");
	err_clear(&e);
	cJSON *wsp = kube_patch(k, "test.eddy.io/v1", "Widget", ns, "kc-w", KUBE_PATCH_MERGE, spec,
		NULL, &e);
	const cJSON *wst = wsp ? cJSON_GetObjectItemCaseSensitive(wsp, "status") : NULL;
	check(wsp && kube_obj_generation(wsp) == 2 &&
		!strcmp(cJSON_GetObjectItemCaseSensitive(wst, "observedValue")->valuestring, "a"),
		"spec patch bumps generation and ignores status", &e);
	/* status update (PUT) */
	if (wsp) {
		cJSON *st = cJSON_GetObjectItemCaseSensitive(wsp, "status");
		cJSON_ReplaceItemInObjectCaseSensitive(st, "observedValue", cJSON_CreateString("b"));
	}
	err_clear(&e);
	cJSON *wu = wsp ? kube_update(k, wsp, &so, &e) : NULL;
	check(wu && !strcmp(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(wu,
		"status"), "observedValue")->valuestring, "b"), "status update", &e);
	/* events */
	/* an object annotation with Flux's event prefix travels on the Event */
	if (wm) {
		cJSON *wmd = cJSON_GetObjectItemCaseSensitive(wm, "metadata");
		cJSON *wan = cJSON_AddObjectToObject(wmd, "annotations");
		cJSON_AddStringToObject(wan, "event.toolkit.fluxcd.io/team", "blue");
		cJSON_AddStringToObject(wan, "other.example/ignored", "x");
	}
	kube_event_opts eo = {.type = "Normal", .reason = "ReconciliationSucceeded",
		.message = "hello from kube-check", .component = "kube-check"};
	cJSON *ann = cJSON_Parse("{\"test.eddy.io/revision\":\"main@sha1:abc\"}");
	eo.annotations = ann;
	err_clear(&e);
	check(wm && kube_event_create(k, wm, &eo, &e) == 0, "create an Event", &e);
	kube_opts evo = {.namespace_ = ns, .field_selector = "involvedObject.name=kc-w"};
	err_clear(&e);
	cJSON *evl = kube_list(k, "v1", "Event", &evo, &e);
	if (!evl) { /* servers without that field selector */
		evo.field_selector = NULL;
		evl = kube_list(k, "v1", "Event", &evo, &e);
	}
	bool found = false;
	const cJSON *ev;
	cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(evl, "items")) {
		const cJSON *io = cJSON_GetObjectItemCaseSensitive(ev, "involvedObject");
		const cJSON *src = cJSON_GetObjectItemCaseSensitive(ev, "source");
		if (!strcmp(cJSON_GetObjectItemCaseSensitive(io, "name")->valuestring, "kc-w") &&
		    !strcmp(cJSON_GetObjectItemCaseSensitive(io, "kind")->valuestring, "Widget") &&
		    !strcmp(cJSON_GetObjectItemCaseSensitive(src, "component")->valuestring,
			    "kube-check") &&
		    kube_obj_annotation(ev, "test.eddy.io/revision") &&
		    kube_obj_annotation(ev, "event.toolkit.fluxcd.io/team") &&
		    !kube_obj_annotation(ev, "other.example/ignored"))
			found = true;
	}
	check(found, "the Event names the object, the component and carries the annotations", &e);
	/* the same Event again is aggregated: one Event, count 2 */
	err_clear(&e);
	check(wm && kube_event_create(k, wm, &eo, &e) == 0, "create the same Event again", &e);
	cJSON_Delete(evl);
	evl = kube_list(k, "v1", "Event", &evo, &e);
	int same = 0;
	double cnt2 = 0;
	cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(evl, "items")) {
		const cJSON *io = cJSON_GetObjectItemCaseSensitive(ev, "involvedObject");
		if (!strcmp(cJSON_GetObjectItemCaseSensitive(io, "name")->valuestring, "kc-w")) {
			same++;
			cnt2 = cJSON_GetObjectItemCaseSensitive(ev, "count")->valuedouble;
		}
	}
	check(same == 1 && cnt2 == 2, "a repeated Event is aggregated (count 2)", NULL);
	cJSON *objs2[] = {wd, wm, sp, ws, spec, wsp, wu, ann, evl};
	for (size_t i = 0; i < sizeof objs2 / sizeof objs2[0]; i++)
		cJSON_Delete(objs2[i]);

	/* leases */
	kube_lease la, lb;
	kube_lease_init(&la, ns, "kc-lease", "holder-a", 2);
	kube_lease_init(&lb, ns, "kc-lease", "holder-b", 2);
	err_clear(&e);
	check(kube_lease_try(k, &la, &e) == 1, "lease: the first holder acquires", &e);
	err_clear(&e);
	check(kube_lease_try(k, &lb, &e) == 0, "lease: a second holder waits", &e);
	err_clear(&e);
	check(kube_lease_try(k, &la, &e) == 1, "lease: the holder renews", &e);
	err_clear(&e);
	check(kube_lease_yield(k, &la, &e) == 0 && kube_lease_try(k, &lb, &e) == 1,
		"lease: released on yield and taken over at once", &e);
	/* expiry: b stops renewing; a takes over after leaseDurationSeconds */
	kube_lease_try(k, &la, &e);
	sleep(3);
	err_clear(&e);
	check(kube_lease_try(k, &la, &e) == 1, "lease: taken over after it expired", &e);
	kube_lease_release_mem(&la);
	kube_lease_release_mem(&lb);

	/* impersonation: the header reaches the server (an unknown user is forbidden with RBAC,
	 * plain admin access otherwise) */
	const char *rbac = getenv("EXPECT_RBAC");
	if (rbac && *rbac == '1') {
		/* a Role and RoleBinding made with the client itself */
		char *role = xasprintf("{\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
			"\"kind\":\"Role\",\"metadata\":{\"name\":\"cm-reader\",\"namespace\":\"%s\"},"
			"\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],"
			"\"verbs\":[\"get\",\"list\"]}]}", ns);
		char *rb = xasprintf("{\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
			"\"kind\":\"RoleBinding\",\"metadata\":{\"name\":\"cm-reader\","
			"\"namespace\":\"%s\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\","
			"\"kind\":\"Role\",\"name\":\"cm-reader\"},\"subjects\":[{\"kind\":"
			"\"ServiceAccount\",\"name\":\"reader\",\"namespace\":\"%s\"}]}", ns, ns);
		cJSON *ro = cJSON_Parse(role), *rbo = cJSON_Parse(rb);
		kube_opts fm = {.field_manager = "kube-check"};
		err_clear(&e);
		cJSON *r1 = kube_apply(k, ro, &fm, &e);
		cJSON *r2 = r1 ? kube_apply(k, rbo, &fm, &e) : NULL;
		check(r1 && r2, "apply a Role and a RoleBinding", &e);
		char *reader = kube_sa_username(ns, "reader");
		kube_client *rk = kube_client_impersonate(k, reader, NULL, &e);
		free(reader);
		err_clear(&e);
		cJSON *g1 = kube_get(rk, "v1", "ConfigMap", ns, "c-ssa", NULL, &e);
		check(g1 != NULL, "impersonated service account reads what its Role allows", &e);
		err_clear(&e);
		check(kube_delete(rk, "v1", "ConfigMap", ns, "c-ssa", NULL, &e) < 0 &&
			kube_errkind_of(&e) == KUBE_EFORBIDDEN,
			"impersonated service account is Forbidden to delete", &e);
		err_clear(&e);
		cJSON *g2 = kube_get(rk, "v1", "Secret", ns, "anything", NULL, &e);
		check(!g2 && kube_errkind_of(&e) == KUBE_EFORBIDDEN,
			"impersonated service account is Forbidden outside its Role", &e);
		char *u = kube_sa_username(ns, "nobody");
		kube_client *ik = kube_client_impersonate(k, u, NULL, &e);
		free(u);
		err_clear(&e);
		cJSON *ig = kube_get(ik, "v1", "ConfigMap", ns, "c-ssa", NULL, &e);
		check(!ig && kube_errkind_of(&e) == KUBE_EFORBIDDEN,
			"impersonated service account without a binding is Forbidden", &e);
		cJSON *all[] = {ro, rbo, r1, r2, g1, g2, ig};
		for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
			cJSON_Delete(all[i]);
		free(role);
		free(rb);
		kube_client_free(ik);
		kube_client_free(rk);
	}
	kube_client_free(k);
	printf("1..%d\n", n_checks);
	return n_failed ? 1 : 0;
}
