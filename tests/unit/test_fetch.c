/* Artifact fetch of the flux layer (eddy/fetch.h): the $SOURCE_CONTROLLER_LOCALHOST override
 * and the errors of a failed download. Downloads, digests and extraction against a real
 * source-controller: tests/integration/kustomize_controller.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "eddy/fetch.h"
#include "eddy/mem.h"

static void localhost_override(void **state)
{
	(void)state;
	const char *url = "http://source-controller.flux-system.svc/gitrepository/ns/x/a.tar.gz";
	unsetenv("SOURCE_CONTROLLER_LOCALHOST");
	char *u = fetch_artifact_url(url);
	assert_string_equal(u, url);
	free(u);
	setenv("SOURCE_CONTROLLER_LOCALHOST", "localhost:9090", 1);
	u = fetch_artifact_url(url);
	assert_string_equal(u, "http://localhost:9090/gitrepository/ns/x/a.tar.gz");
	free(u);
	u = fetch_artifact_url("https://host");
	assert_string_equal(u, "https://localhost:9090");
	free(u);
	u = fetch_artifact_url("not a url");
	assert_string_equal(u, "not a url");
	free(u);
	unsetenv("SOURCE_CONTROLLER_LOCALHOST");
}

static void failed_download(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_fetch-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *archive = xasprintf("%s/a.tar.gz", dir), *out = xasprintf("%s/src", dir);
	fetch_options o = {.retries = 0, .user_agent = "test"};
	err e = {0};
	/* nothing listens on port 1 */
	assert_int_equal(fetch_archive(&o, "http://127.0.0.1:1/a.tar.gz", NULL, archive, out, &e),
		-1);
	assert_string_equal(e.reason, "ArtifactFailed");
	assert_true(e.msg[0] != 0);
	/* the archive cannot be created */
	err ce = {0};
	assert_int_equal(fetch_archive(&o, "http://127.0.0.1:1/a.tar.gz", NULL,
		"/nonexistent/dir/a.tar.gz", out, &ce), -1);
	assert_string_equal(ce.reason, "ArtifactFailed");
	assert_non_null(strstr(ce.msg, "failed to create temp file"));
	unlink(archive);
	rmdir(dir);
	free(archive);
	free(out);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(localhost_override),
		cmocka_unit_test(failed_download),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
