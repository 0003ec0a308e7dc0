/* The step runner: steps run in order, the first failure or requeue ends the sequence, and the
 * conditions are summarised into Ready on every exit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "eddy/mem.h"
#include "eddy/steps.h"

typedef struct trace {
	char ran[64];
} trace;

static step_result mark(trace *t, const char *c)
{
	strncat(t->ran, c, sizeof t->ran - strlen(t->ran) - 1);
	return STEP_SUCCESS;
}

static step_result s_fetch(rt_ctx *ctx, cJSON *obj, void *st, err *e)
{
	(void)ctx, (void)e;
	rt_cond_set(obj, "ArtifactInStorage", "True", "Succeeded", "stored");
	return mark(st, "f");
}

static step_result s_fail(rt_ctx *ctx, cJSON *obj, void *st, err *e)
{
	(void)ctx;
	mark(st, "x");
	rt_cond_set(obj, "FetchFailed", "True", "GitOperationFailed", "no such host");
	err_fail(e, "GitOperationFailed", "no such host");
	return STEP_FAILED;
}

static step_result s_requeue(rt_ctx *ctx, cJSON *obj, void *st, err *e)
{
	(void)ctx, (void)obj, (void)e;
	mark(st, "r");
	return STEP_REQUEUE;
}

static step_result s_wait(rt_ctx *ctx, cJSON *obj, void *st, err *e)
{
	(void)ctx;
	mark(st, "w");
	rt_cond_set(obj, "FetchFailed", "True", "NotFound", "include 'b' not found");
	err_set(e, ERR_WAITING, "NotFound", "include 'b' not found");
	return STEP_FAILED;
}

static step_result s_last(rt_ctx *ctx, cJSON *obj, void *st, err *e)
{
	(void)ctx, (void)obj, (void)e;
	return mark(st, "l");
}

static const char *const CONDS[] = {"FetchFailed", "ArtifactInStorage"};
static const char *const NEG[] = {"FetchFailed"};
static const steps_summary SUM = {CONDS, 2, NEG, 1};

static cJSON *object(void)
{
	return cJSON_Parse("{\"metadata\":{\"name\":\"a\",\"generation\":1},\"spec\":{}}");
}

static void all_steps_succeed(void **state)
{
	(void)state;
	static const step list[] = {{"reconcileFetch", s_fetch}, {"reconcileLast", s_last}};
	rt_ctx ctx = {0};
	log_init(&ctx.log, "test");
	trace t = {""};
	cJSON *obj = object();
	steps_outcome out;
	rt_result r = steps_run(&ctx, obj, list, 2, &t, &SUM, 60000, 1000, &out);
	assert_string_equal(t.ran, "fl");
	assert_false(err_is_set(&r.e));
	assert_int_equal(r.requeue_after_ms, 60000);
	assert_string_equal(out.last, "reconcileLast");
	assert_string_equal(rt_cond_status(obj, "Ready"), "True");
	cJSON_Delete(obj);
	log_release(&ctx.log);
}

static void first_failure_ends_the_sequence(void **state)
{
	(void)state;
	static const step list[] = {
		{"reconcileFetch", s_fetch}, {"reconcileSource", s_fail}, {"reconcileLast", s_last}};
	rt_ctx ctx = {0};
	log_init(&ctx.log, "test");
	trace t = {""};
	cJSON *obj = object();
	steps_outcome out;
	rt_result r = steps_run(&ctx, obj, list, 3, &t, &SUM, 60000, 1000, &out);
	assert_string_equal(t.ran, "fx");
	assert_string_equal(r.e.reason, "GitOperationFailed");
	assert_int_equal(r.e.cls, ERR_GENERIC);
	assert_int_equal(r.requeue_after_ms, 0);
	assert_string_equal(out.last, "reconcileSource");
	assert_int_equal(out.result, STEP_FAILED);
	/* Ready summarised from the negative-polarity condition that is True */
	assert_string_equal(rt_cond_status(obj, "Ready"), "False");
	const cJSON *ready = rt_cond_get(obj, "Ready");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(ready, "reason")->valuestring,
			    "GitOperationFailed");
	cJSON_Delete(obj);
	log_release(&ctx.log);
}

static void requeue_ends_without_error(void **state)
{
	(void)state;
	static const step list[] = {{"reconcileDeps", s_requeue}, {"reconcileLast", s_last}};
	rt_ctx ctx = {0};
	log_init(&ctx.log, "test");
	trace t = {""};
	cJSON *obj = object();
	rt_result r = steps_run(&ctx, obj, list, 2, &t, NULL, 60000, 5000, NULL);
	assert_string_equal(t.ran, "r");
	assert_false(err_is_set(&r.e));
	assert_int_equal(r.requeue_after_ms, 5000);
	cJSON_Delete(obj);
	log_release(&ctx.log);
}

static void waiting_error_requeues_after_requeue_ms(void **state)
{
	(void)state;
	static const step list[] = {{"reconcileSource", s_wait}, {"reconcileLast", s_last}};
	rt_ctx ctx = {0};
	log_init(&ctx.log, "test");
	trace t = {""};
	cJSON *obj = object();
	steps_outcome out;
	rt_result r = steps_run(&ctx, obj, list, 2, &t, &SUM, 60000, 5000, &out);
	assert_string_equal(t.ran, "w");
	assert_int_equal(r.e.cls, ERR_WAITING);
	assert_string_equal(r.e.reason, "NotFound");
	assert_int_equal(r.requeue_after_ms, 5000);
	assert_int_equal(out.result, STEP_FAILED);
	assert_int_equal(out.requeue_after_ms, 5000);
	assert_string_equal(rt_cond_status(obj, "Ready"), "False");
	cJSON_Delete(obj);
	log_release(&ctx.log);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_steps_succeed),
		cmocka_unit_test(first_failure_ends_the_sequence),
		cmocka_unit_test(requeue_ends_without_error),
		cmocka_unit_test(waiting_error_requeues_after_requeue_ms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
