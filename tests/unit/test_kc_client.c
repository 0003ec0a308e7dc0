/* kustomize-controller's client choice (kustomize-controller/client.c, compiled in): which
 * service account is impersonated, and the kubeconfig fields a Secret may not use (files of
 * the controller). Clients against real servers: tests/integration/kustomize_auth.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../kustomize-controller/client.c"

static cJSON *Y(const char *s)
{
	cJSON *o = yml_parse_one(s, strlen(s), NULL, NULL);
	assert_non_null(o);
	return o;
}

static void service_account(void **state)
{
	(void)state;
	app a;
	memset(&a, 0, sizeof a);
	a.cfg.default_service_account = "";
	kc_ctx kc = {.a = &a};
	cJSON *spec = Y("serviceAccountName: deployer\n");
	cJSON *none = Y("path: ./x\n");
	cJSON *empty = Y("serviceAccountName: \"\"\n");
	assert_string_equal(kc_service_account(&kc, spec), "deployer");
	assert_null(kc_service_account(&kc, none));
	assert_null(kc_service_account(&kc, empty));
	a.cfg.default_service_account = "fallback";
	assert_string_equal(kc_service_account(&kc, spec), "deployer");
	assert_string_equal(kc_service_account(&kc, none), "fallback");
	assert_string_equal(kc_service_account(&kc, empty), "fallback");
	cJSON_Delete(spec);
	cJSON_Delete(none);
	cJSON_Delete(empty);
}

static void file_references(void **state)
{
	(void)state;
	static const struct {
		const char *doc, *want;
	} cases[] = {
		{"clusters:\n- name: c\n  cluster:\n    server: https://x\n"
		 "    certificate-authority-data: AAAA\n"
		 "users:\n- name: u\n  user:\n    token: t\n", NULL},
		{"clusters:\n- name: c\n  cluster:\n    server: https://x\n"
		 "    certificate-authority: /etc/ssl/ca.pem\n", "certificate-authority"},
		{"users:\n- name: u\n  user:\n    client-certificate: c.pem\n",
		 "client-certificate"},
		{"users:\n- name: u\n  user:\n    client-key: /k\n", "client-key"},
		{"users:\n- name: u\n  user:\n    tokenFile: /var/run/secrets/token\n",
		 "tokenFile"},
		{"users:\n- name: u\n  user:\n    tokenFile: \"\"\n", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cJSON *d = Y(cases[i].doc);
		const char *got = file_reference(d);
		if (cases[i].want)
			assert_string_equal(got, cases[i].want);
		else
			assert_null(got);
		cJSON_Delete(d);
	}
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(service_account),
		cmocka_unit_test(file_references),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
