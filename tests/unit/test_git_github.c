/* gitx_github_app_token: the GitHub App data checks that happen before any network use, with
 * Flux's messages (the exchange itself is tested in source_git_more.bats). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/git.h"
#include "eddy/mem.h"

static void expect_fail(const gitx_github_app *a, const char *msg)
{
	gitx_opts o = {.url = "https://127.0.0.1:1/x.git", .timeout_ms = 1000};
	char *tok = (char *)"unchanged";
	err e = {0};
	assert_int_equal(gitx_github_app_token(a, &o, &tok, &e), -1);
	assert_null(tok);
	assert_string_equal(e.reason, "AuthenticationFailed");
	assert_string_equal(e.msg, msg);
}

static void app_data(void **state)
{
	(void)state;
	gitx_global_init();
	gitx_github_app a = {0};
	expect_fail(&a, "app ID must be provided to use github app authentication");
	a.app_id = "12x";
	expect_fail(&a, "invalid app id, err: strconv.Atoi: parsing \"12x\": invalid syntax");
	a.app_id = "12";
	expect_fail(&a, "app installation ID must be provided to use github app authentication");
	a.installation_id = "-1";
	expect_fail(&a, "invalid app installation id, err: strconv.Atoi: parsing \"-1\": "
		"invalid syntax");
	a.installation_id = "34";
	expect_fail(&a, "private key must be provided to use github app authentication");
	a.private_key = "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n"
			"-----END RSA PRIVATE KEY-----\n";
	expect_fail(&a, "could not parse private key: githubAppPrivateKey is not a PEM-encoded "
		"RSA private key");
	assert_string_equal(GITX_GITHUB_APP_USERNAME, "x-access-token");
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(app_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
