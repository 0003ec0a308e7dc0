/* Unit tests for the runtime: work queue (dedupe, processing, delays, backoff, shutdown),
 * conditions and Flux status helpers. The informer/controller paths run against eddy-apiserver
 * in tests/integration/runtime.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/clock.h"
#include "eddy/mem.h"
#include "eddy/rt.h"

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(rt_backoff_ms(0, 5, 1000000), 5);
	assert_int_equal(rt_backoff_ms(1, 5, 1000000), 10);
	assert_int_equal(rt_backoff_ms(10, 5, 1000000), 5120);
	assert_int_equal(rt_backoff_ms(30, 5, 1000000), 1000000);
	assert_int_equal(rt_backoff_ms(1000, 5, 1000000), 1000000);
	for (int i = 0; i < 1000; i++) {
		int64_t j = rt_jitter_ms(1000, 5);
		assert_true(j >= 950 && j <= 1050);
	}
	assert_int_equal(rt_jitter_ms(1000, 0), 1000);
}

static void test_queue_dedupe_and_processing(void **state)
{
	(void)state;
	rt_queue *q = rt_queue_new(NULL);
	rt_queue_add(q, "a");
	rt_queue_add(q, "b");
	rt_queue_add(q, "a");
	assert_int_equal(rt_queue_len(q), 2);
	char *k = rt_queue_get(q);
	assert_string_equal(k, "a");
	/* added while processing: not handed out to another worker... */
	rt_queue_add(q, "a");
	char *k2 = rt_queue_get(q);
	assert_string_equal(k2, "b");
	assert_int_equal(rt_queue_len(q), 0);
	/* ...but again once done */
	rt_queue_done(q, k);
	assert_int_equal(rt_queue_len(q), 1);
	char *k3 = rt_queue_get(q);
	assert_string_equal(k3, "a");
	rt_queue_done(q, k3);
	rt_queue_done(q, k2);
	assert_int_equal(rt_queue_len(q), 0);
	free(k);
	free(k2);
	free(k3);
	rt_queue_free(q);
}

static void test_queue_delays(void **state)
{
	(void)state;
	rt_queue *q = rt_queue_new(NULL);
	int64_t t0 = clock_mono_ms();
	rt_queue_add_after(q, "late", 150);
	rt_queue_add_after(q, "early", 50);
	rt_queue_add_after(q, "late", 400); /* the earlier delay wins */
	char *k = rt_queue_get(q);
	assert_string_equal(k, "early");
	assert_true(clock_mono_ms() - t0 >= 45);
	rt_queue_done(q, k);
	free(k);
	k = rt_queue_get(q);
	assert_string_equal(k, "late");
	int64_t el = clock_mono_ms() - t0;
	assert_true(el >= 145 && el < 390);
	rt_queue_done(q, k);
	free(k);
	rt_queue_free(q);
}

static void test_queue_rate_limited(void **state)
{
	(void)state;
	rt_queue_opts o = {.base_delay_ms = 5, .max_delay_ms = 80, .qps = 1000, .burst = 1000};
	rt_queue *q = rt_queue_new(&o);
	int64_t want[] = {5, 10, 20, 40, 80, 80};
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(rt_queue_add_rate_limited(q, "x"), want[i]);
		assert_int_equal(rt_queue_failures(q, "x"), (int)i + 1);
	}
	rt_queue_forget(q, "x");
	assert_int_equal(rt_queue_failures(q, "x"), 0);
	assert_int_equal(rt_queue_add_rate_limited(q, "x"), 5);
	char *k = rt_queue_get(q);
	assert_string_equal(k, "x");
	rt_queue_done(q, k);
	free(k);
	rt_queue_free(q);
	/* the overall bucket: burst 2 at 10 qps -> the third failure of a new key waits ~100ms */
	rt_queue_opts b = {.base_delay_ms = 1, .max_delay_ms = 1000, .qps = 10, .burst = 2};
	q = rt_queue_new(&b);
	assert_int_equal(rt_queue_add_rate_limited(q, "k1"), 1);
	assert_int_equal(rt_queue_add_rate_limited(q, "k2"), 1);
	int64_t d = rt_queue_add_rate_limited(q, "k3");
	assert_true(d >= 90 && d <= 100);
	rt_queue_free(q);
}

static void *getter(void *arg)
{
	return rt_queue_get(arg);
}

static void test_queue_shutdown_wakes_getters(void **state)
{
	(void)state;
	rt_queue *q = rt_queue_new(NULL);
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, getter, q), 0);
	usleep(50000);
	rt_queue_shutdown(q);
	for (int i = 0; i < 3; i++) {
		void *r;
		pthread_join(th[i], &r);
		assert_null(r);
	}
	rt_queue_add(q, "ignored");
	assert_int_equal(rt_queue_len(q), 0);
	assert_null(rt_queue_get(q));
	rt_queue_free(q);
}

struct worker_arg {
	rt_queue *q;
	int *counts;
	pthread_mutex_t *mu;
	int busy, maxbusy;
};

static void *work(void *arg)
{
	struct worker_arg *w = arg;
	char *k;
	while ((k = rt_queue_get(w->q)) != NULL) {
		int idx = (int)strtol(k, NULL, 10);
		pthread_mutex_lock(w->mu);
		w->counts[idx]++;
		w->busy++;
		if (w->busy > w->maxbusy)
			w->maxbusy = w->busy;
		pthread_mutex_unlock(w->mu);
		usleep(100);
		pthread_mutex_lock(w->mu);
		w->busy--;
		pthread_mutex_unlock(w->mu);
		rt_queue_done(w->q, k);
		free(k);
	}
	return NULL;
}

static void test_queue_concurrent(void **state)
{
	(void)state;
	rt_queue *q = rt_queue_new(NULL);
	int counts[200] = {0};
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct worker_arg w = {q, counts, &mu, 0, 0};
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, work, &w), 0);
	char key[16];
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof key, "%d", i);
		rt_queue_add(q, key);
	}
	for (int tries = 0; tries < 200 && rt_queue_len(q) > 0; tries++)
		usleep(10000);
	usleep(20000);
	rt_queue_shutdown(q);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 200; i++)
		assert_true(counts[i] >= 1);
	assert_true(w.maxbusy <= 4);
	rt_queue_free(q);
}

static cJSON *obj(int gen)
{
	char *s = xasprintf("{\"apiVersion\":\"x/v1\",\"kind\":\"K\",\"metadata\":{\"name\":\"n\","
			    "\"namespace\":\"d\",\"generation\":%d}}", gen);
	cJSON *o = cJSON_Parse(s);
	free(s);
	return o;
}

static const char *cfield(const cJSON *o, const char *type, const char *f)
{
	const cJSON *c = rt_cond_get(o, type);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, f);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_conditions(void **state)
{
	(void)state;
	cJSON *o = obj(2);
	rt_cond_set(o, "Reconciling", "True", "Progressing", "working on %s", "it");
	rt_cond_set(o, "Ready", "Unknown", "Progressing", "in progress");
	rt_cond_set(o, "ArtifactInStorage", "True", "Succeeded", "stored");
	/* Ready first, then by type */
	const cJSON *cs = cJSON_GetObjectItemCaseSensitive(rt_status(o), "conditions");
	assert_int_equal(cJSON_GetArraySize(cs), 3);
	assert_string_equal(cJSON_GetArrayItem(cs, 0)->child->valuestring, "Ready");
	assert_string_equal(cJSON_GetArrayItem(cs, 1)->child->valuestring, "ArtifactInStorage");
	assert_string_equal(cJSON_GetArrayItem(cs, 2)->child->valuestring, "Reconciling");
	assert_string_equal(cfield(o, "Reconciling", "message"), "working on it");
	const cJSON *og = cJSON_GetObjectItemCaseSensitive(rt_cond_get(o, "Ready"),
		"observedGeneration");
	assert_int_equal((int)og->valuedouble, 2);
	/* lastTransitionTime changes only with the status */
	cJSON *ltt = cJSON_GetObjectItemCaseSensitive((cJSON *)rt_cond_get(o, "Ready"),
		"lastTransitionTime");
	cJSON_SetValuestring(ltt, "2000-01-01T00:00:00Z");
	rt_cond_set(o, "Ready", "Unknown", "Other", "new message");
	assert_string_equal(cfield(o, "Ready", "lastTransitionTime"), "2000-01-01T00:00:00Z");
	assert_string_equal(cfield(o, "Ready", "reason"), "Other");
	rt_cond_set(o, "Ready", "True", "Succeeded", "done");
	assert_string_not_equal(cfield(o, "Ready", "lastTransitionTime"), "2000-01-01T00:00:00Z");
	assert_true(rt_cond_is_true(o, "Ready"));
	rt_cond_delete(o, "Reconciling");
	assert_null(rt_cond_get(o, "Reconciling"));
	assert_null(rt_cond_status(o, "Reconciling"));
	cJSON_Delete(o);
}

static void test_summarize(void **state)
{
	(void)state;
	static const char *const order[] = {"FetchFailed", "ArtifactOutdated", "ArtifactInStorage",
		"Stalled", "Reconciling"};
	static const char *const neg[] = {"FetchFailed", "ArtifactOutdated", "Stalled",
		"Reconciling"};
	cJSON *o = obj(1);
	rt_cond_set(o, "ArtifactInStorage", "True", "Succeeded", "stored artifact");
	rt_cond_summarize(o, "Ready", order, 5, neg, 4);
	assert_string_equal(rt_cond_status(o, "Ready"), "True");
	assert_string_equal(cfield(o, "Ready", "message"), "stored artifact");
	/* a negative-polarity True condition wins and makes Ready False */
	rt_cond_set(o, "Reconciling", "True", "Progressing", "reconciling");
	rt_cond_set(o, "FetchFailed", "True", "GitOperationFailed", "clone failed");
	rt_cond_summarize(o, "Ready", order, 5, neg, 4);
	assert_string_equal(rt_cond_status(o, "Ready"), "False");
	assert_string_equal(cfield(o, "Ready", "reason"), "GitOperationFailed");
	/* list order decides inside a group */
	rt_cond_delete(o, "FetchFailed");
	rt_cond_summarize(o, "Ready", order, 5, neg, 4);
	assert_string_equal(cfield(o, "Ready", "reason"), "Progressing");
	/* positive False beats positive True */
	rt_cond_delete(o, "Reconciling");
	rt_cond_set(o, "ArtifactInStorage", "False", "NoArtifact", "none");
	rt_cond_summarize(o, "Ready", order, 5, neg, 4);
	assert_string_equal(rt_cond_status(o, "Ready"), "False");
	assert_string_equal(cfield(o, "Ready", "reason"), "NoArtifact");
	/* only Unknown */
	rt_cond_delete(o, "ArtifactInStorage");
	rt_cond_set(o, "ArtifactOutdated", "Unknown", "Checking", "?");
	rt_cond_summarize(o, "Ready", order, 5, neg, 4);
	assert_string_equal(rt_cond_status(o, "Ready"), "Unknown");
	/* negative False counts as healthy */
	rt_cond_set(o, "ArtifactOutdated", "False", "UpToDate", "fine");
	rt_cond_summarize(o, "Ready", order, 5, neg, 4);
	assert_string_equal(rt_cond_status(o, "Ready"), "True");
	cJSON_Delete(o);
}

static void test_finalize_status(void **state)
{
	(void)state;
	cJSON *o = obj(4);
	rt_cond_set(o, "Reconciling", "True", "Progressing", "step 2");
	rt_result r = {0};
	err_fail(&r.e, "GitOperationFailed", "connection refused");
	rt_status_finalize(o, &r);
	assert_string_equal(cfield(o, "Reconciling", "reason"), "ProgressingWithRetry");
	assert_string_equal(cfield(o, "Ready", "status"), "False");
	assert_string_equal(cfield(o, "Ready", "reason"), "GitOperationFailed");
	assert_null(cJSON_GetObjectItemCaseSensitive(rt_status(o), "observedGeneration"));
	rt_result st = {0};
	err_set(&st.e, ERR_STALLING, "URLInvalid", "bad url");
	rt_status_finalize(o, &st);
	assert_true(rt_cond_is_true(o, "Stalled"));
	assert_null(rt_cond_get(o, "Reconciling"));
	assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(rt_status(o),
		"observedGeneration")->valuedouble, 4);
	rt_result ok = {0};
	rt_status_finalize(o, &ok);
	assert_null(rt_cond_get(o, "Stalled"));
	assert_true(rt_cond_is_true(o, "Ready"));
	assert_string_equal(cfield(o, "Ready", "reason"), "Succeeded");
	cJSON_Delete(o);
}

static void test_status_helpers(void **state)
{
	(void)state;
	cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"n\",\"annotations\":"
			       "{\"reconcile.fluxcd.io/requestedAt\":\"t1\"},\"finalizers\":[\"x\"],"
			       "\"deletionTimestamp\":\"2024-01-01T00:00:00Z\"},"
			       "\"spec\":{\"suspend\":true}}");
	assert_string_equal(rt_reconcile_requested(o), "t1");
	rt_status_record_reconcile_request(o);
	assert_null(rt_reconcile_requested(o));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(rt_status(o),
		"lastHandledReconcileAt")->valuestring, "t1");
	assert_true(rt_is_suspended(o));
	assert_true(rt_has_finalizer(o, "x"));
	assert_false(rt_has_finalizer(o, "y"));
	assert_true(rt_is_deleting(o));
	char *k = rt_key_of(o);
	assert_string_equal(k, "n");
	free(k);
	char *ns, *name;
	rt_key_split("a/b", &ns, &name);
	assert_string_equal(ns, "a");
	assert_string_equal(name, "b");
	free(ns);
	free(name);
	rt_key_split("c", &ns, &name);
	assert_null(ns);
	assert_string_equal(name, "c");
	free(name);
	cJSON_Delete(o);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_queue_dedupe_and_processing),
		cmocka_unit_test(test_queue_delays),
		cmocka_unit_test(test_queue_rate_limited),
		cmocka_unit_test(test_queue_shutdown_wakes_getters),
		cmocka_unit_test(test_queue_concurrent),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_summarize),
		cmocka_unit_test(test_finalize_status),
		cmocka_unit_test(test_status_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
