/* The app runtime in-process: app_main() with start and stop hooks, the worker pool, signals,
 * readiness, the probe and metrics servers (queried with the blocking HTTP client from a pool
 * worker), failures and handles left open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "eddy/app.h"
#include "eddy/http.h"
#include "eddy/mem.h"

static char *argv_default[] = { (char *)"test-app", (char *)"--metrics-addr=127.0.0.1:0",
				(char *)"--health-addr=127.0.0.1:0", (char *)"--concurrent=2",
				(char *)"--log-level=error", NULL };
enum { ARGC_DEFAULT = 5 };

/* ---- jobs on the pool, stop from done ------------------------------------------------------ */

static app *the_app;
static pool *test_pool;
static pool *app_pool_of_test(void)
{
	return test_pool;
}

static struct {
	pthread_t loop;
	int done;
	int cancelled;
	int off_loop;
	int order[4];
	int norder;
	uv_timer_t timer;
} st;

static void job_work(void *arg)
{
	if (!pthread_equal(pthread_self(), st.loop))
		__atomic_add_fetch(&st.off_loop, 1, __ATOMIC_SEQ_CST);
	useconds_t us = (useconds_t)(uintptr_t)arg;
	if (us)
		usleep(us);
}

/* Runs until the pool is shutting down (at most 10 s). */
static void job_until_stopping(void *arg)
{
	job_work(NULL);
	for (int i = 0; i < 10000 && !pool_stopping(app_pool_of_test()); i++)
		usleep(1000);
}

static void job_done(void *arg, int status)
{
	assert_true(pthread_equal(pthread_self(), st.loop));
	if (status == POOL_DONE)
		st.done++;
	else
		st.cancelled++;
}


static void job_done_stop_after_10(void *arg, int status)
{
	job_done(arg, status);
	if (st.done == 10)
		app_stop(the_app, 0);
}

static int start_jobs(app *a, void *arg)
{
	the_app = a;
	pool *p = app_pool(a);
	assert_non_null(p);
	assert_ptr_equal(app_pool(a), p);
	assert_int_equal(pool_threads(p), 2);
	for (int i = 0; i < 10; i++)
		assert_int_equal(pool_submit(p, job_work, job_done_stop_after_10, NULL), 0);
	return 0;
}

static void pool_jobs_then_stop(void **state)
{
	memset(&st, 0, sizeof st);
	st.loop = pthread_self();
	app_spec spec = { .name = "test-app", .groups = APP_FL_CONTROLLER, .start = start_jobs };
	assert_int_equal(app_main(&spec, ARGC_DEFAULT, argv_default), 0);
	assert_int_equal(st.done, 10);
	assert_int_equal(st.off_loop, 10);
}

/* ---- stop hooks run newest first; SIGTERM stops; pool jobs queued at stop are cancelled ---- */

static void hook(app *a, void *arg)
{
	st.order[st.norder++] = (int)(intptr_t)arg;
	assert_true(app_stopping(a));
	assert_false(app_ready(a));
}

static void on_timer_closed(uv_handle_t *h)
{
}

static void hook_close_timer(app *a, void *arg)
{
	hook(a, arg);
	uv_close((uv_handle_t *)&st.timer, on_timer_closed);
}

static void send_sigterm(uv_timer_t *t)
{
	kill(getpid(), SIGTERM);
}

/* Sends SIGTERM once both workers are busy, so the outcome does not depend on timing. */
static void sigterm_when_busy(uv_timer_t *t)
{
	if (pool_running(app_pool(the_app)) < 2)
		return;
	uv_timer_stop(t);
	kill(getpid(), SIGTERM);
}

static int start_signal(app *a, void *arg)
{
	app_on_stop(a, hook, (void *)1);
	app_on_stop(a, hook_close_timer, (void *)2);
	the_app = a;
	pool *p = app_pool(a);
	test_pool = p;
	/* two jobs occupy both workers until the stop; the rest wait in the queue */
	for (int i = 0; i < 6; i++)
		pool_submit(p, job_until_stopping, job_done, NULL);
	uv_timer_init(&a->loop, &st.timer);
	uv_timer_start(&st.timer, sigterm_when_busy, 1, 1);
	return 0;
}

static void sigterm_runs_hooks_and_cancels_queue(void **state)
{
	memset(&st, 0, sizeof st);
	st.loop = pthread_self();
	app_spec spec = { .name = "test-app", .groups = APP_FL_CONTROLLER, .start = start_signal };
	uint64_t t0 = uv_hrtime();
	assert_int_equal(app_main(&spec, ARGC_DEFAULT, argv_default), 0);
	assert_true(uv_hrtime() - t0 < 2000 * 1000000ULL);
	assert_int_equal(st.norder, 2);
	assert_int_equal(st.order[0], 2);
	assert_int_equal(st.order[1], 1);
	assert_int_equal(st.done, 2);
	assert_int_equal(st.cancelled, 4);
}

/* ---- failures ------------------------------------------------------------------------------ */

static int start_fails(app *a, void *arg)
{
	app_on_stop(a, hook, (void *)7);
	return -1;
}

static void failing_start_exits_1(void **state)
{
	memset(&st, 0, sizeof st);
	app_spec spec = { .name = "test-app", .groups = APP_FL_CONTROLLER, .start = start_fails };
	assert_int_equal(app_main(&spec, ARGC_DEFAULT, argv_default), 1);
	assert_int_equal(st.norder, 1);
	assert_int_equal(st.order[0], 7);
}

static int start_leaks_handle(app *a, void *arg)
{
	uv_timer_init(&a->loop, &st.timer); /* never closed by its owner */
	uv_timer_start(&st.timer, send_sigterm, 10, 0);
	return 0;
}

static void handle_left_open_is_closed_and_exit_1(void **state)
{
	memset(&st, 0, sizeof st);
	app_spec spec = { .name = "test-app", .start = start_leaks_handle };
	char *argv[] = { (char *)"test-app", (char *)"--log-level=error", NULL };
	assert_int_equal(app_main(&spec, 2, argv), 1);
}

static void usage_error_exits_2_help_exits_0(void **state)
{
	app_spec spec = { .name = "test-app", .groups = APP_FL_CONTROLLER };
	char *bad[] = { (char *)"test-app", (char *)"--nope", NULL };
	assert_int_equal(app_main(&spec, 2, bad), 2);
	char *help[] = { (char *)"test-app", (char *)"--version", NULL };
	assert_int_equal(app_main(&spec, 2, help), 0);
}

/* ---- readiness and the servers, queried from a worker ---------------------------------------- */

typedef struct probe {
	app *a;
	char url[128];
	long status;
	char *body;
	int step;
} probe;

static void fetch(void *arg)
{
	probe *pr = arg;
	err e;
	http_client *c = http_client_new(NULL, &e);
	assert_non_null(c);
	http_client_req req = { .url = pr->url };
	http_response resp;
	int rc = http_client_do(c, &req, &resp, &e);
	if (rc != 0)
		fail_msg("GET %s: %s", pr->url, e.msg);
	pr->status = resp.status;
	free(pr->body);
	pr->body = xstrdup(buf_str(&resp.body));
	http_response_release(&resp);
	http_client_free(c);
}

static void next_step(probe *pr);

static void fetched(void *arg, int status)
{
	probe *pr = arg;
	assert_int_equal(status, POOL_DONE);
	switch (pr->step++) {
	case 0: /* /readyz before app_set_ready */
		assert_int_equal(pr->status, 503);
		app_set_ready(pr->a, true);
		break;
	case 1:
		assert_int_equal(pr->status, 200);
		assert_string_equal(pr->body, "ok");
		break;
	case 2: /* /healthz */
		assert_int_equal(pr->status, 200);
		assert_string_equal(pr->body, "ok");
		break;
	case 3: /* /metrics on the metrics port */
		assert_int_equal(pr->status, 200);
		assert_non_null(strstr(pr->body, "\nprocess_open_fds "));
		assert_non_null(strstr(pr->body, "test_app_started_total 1\n"));
		break;
	case 4: /* /metrics is not on the health port */
		assert_int_equal(pr->status, 404);
		app_stop(pr->a, 0);
		return;
	}
	next_step(pr);
}

static void next_step(probe *pr)
{
	static const char *const paths[] = { "/readyz", "/readyz", "/healthz", "/metrics",
					     "/metrics" };
	int port = pr->step == 3 ? app_metrics_port(pr->a) : app_health_port(pr->a);
	snprintf(pr->url, sizeof pr->url, "http://127.0.0.1:%d%s", port, paths[pr->step]);
	assert_int_equal(pool_submit(app_pool(pr->a), fetch, fetched, pr), 0);
}

static probe the_probe;

static int start_probe(app *a, void *arg)
{
	assert_true(app_health_port(a) > 0);
	assert_true(app_metrics_port(a) > 0);
	assert_int_not_equal(app_health_port(a), app_metrics_port(a));
	assert_false(app_ready(a));
	met_inc(met_counter(a->metrics, "test_app_started_total", "Starts.", NULL, 0), NULL);
	the_probe.a = a;
	next_step(&the_probe);
	return 0;
}

static void readiness_and_endpoints(void **state)
{
	memset(&the_probe, 0, sizeof the_probe);
	app_spec spec = { .name = "test-app", .groups = APP_FL_CONTROLLER, .start = start_probe,
			  .defer_ready = true };
	assert_int_equal(app_main(&spec, ARGC_DEFAULT, argv_default), 0);
	assert_int_equal(the_probe.step, 5);
	free(the_probe.body);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pool_jobs_then_stop),
		cmocka_unit_test(sigterm_runs_hooks_and_cancels_queue),
		cmocka_unit_test(failing_start_exits_1),
		cmocka_unit_test(handle_left_open_is_closed_and_exit_1),
		cmocka_unit_test(usage_error_exits_2_help_exits_0),
		cmocka_unit_test(readiness_and_endpoints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
