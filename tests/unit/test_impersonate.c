/* The client choice of the flux layer (eddy/impersonate.h): which service account is
 * impersonated, and the kubeconfig fields a Secret may not use (files of the controller).
 * Clients against real servers: tests/integration/kustomize_auth.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "eddy/impersonate.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

static cJSON *Y(const char *s)
{
	cJSON *o = yml_parse_one(s, strlen(s), NULL, NULL);
	assert_non_null(o);
	return o;
}

static void service_account(void **state)
{
	(void)state;
	imp_options o = {.default_service_account = ""};
	cJSON *spec = Y("serviceAccountName: deployer\n");
	cJSON *none = Y("path: ./x\n");
	cJSON *empty = Y("serviceAccountName: \"\"\n");
	assert_string_equal(imp_service_account(&o, spec), "deployer");
	assert_null(imp_service_account(&o, none));
	assert_null(imp_service_account(&o, empty));
	o.default_service_account = "fallback";
	assert_string_equal(imp_service_account(&o, spec), "deployer");
	assert_string_equal(imp_service_account(&o, none), "fallback");
	assert_string_equal(imp_service_account(&o, empty), "fallback");
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
		const char *got = imp_kubeconfig_file_field(d);
		if (cases[i].want)
			assert_string_equal(got, cases[i].want);
		else
			assert_null(got);
		cJSON_Delete(d);
	}
}

/* Without serviceAccountName or kubeConfig the base client is used (and release keeps it);
 * kubeConfig without secretRef is refused with Flux's messages. */
static void plain_and_refused(void **state)
{
	(void)state;
	imp_clients *cache = NULL;
	imp_options o = {0};
	kube_client *base = (kube_client *)&o; /* never dereferenced on these paths */
	err e = {0};
	cJSON *spec = Y("path: ./x\n");
	assert_ptr_equal(imp_client_for(&cache, &o, base, "ns", spec, &e), base);
	imp_client_release(&cache, base, base);
	cJSON_Delete(spec);
	spec = Y("kubeConfig:\n  configMapRef:\n    name: x\n");
	assert_null(imp_client_for(&cache, &o, base, "ns", spec, &e));
	assert_string_equal(e.reason, "ReconciliationFailed");
	assert_string_equal(e.msg, "invalid .spec.kubeConfig: configMapRef (cloud provider "
		"workload identity) is not supported, use secretRef");
	cJSON_Delete(spec);
	spec = Y("kubeConfig: {}\n");
	assert_null(imp_client_for(&cache, &o, base, "ns", spec, &e));
	assert_string_equal(e.msg, "invalid .spec.kubeConfig, neither .spec.kubeConfig.provider "
		"nor .spec.kubeConfig.secretRef is set");
	cJSON_Delete(spec);
	assert_null(cache);
	imp_clients_free(&cache);
}

int main(void)
{
	mem_install_hooks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(service_account),
		cmocka_unit_test(file_references),
		cmocka_unit_test(plain_and_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
