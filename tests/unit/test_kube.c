/* Unit tests for the kube client: configuration, errors, watch framing, merge-patch diff. The
 * HTTP paths are exercised against eddy-apiserver in tests/integration/runtime.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/clock.h"
#include "eddy/codec.h"
#include "eddy/kube.h"
#include "eddy/mem.h"

static char tmpdir[256];

static void write_file(const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *path_of(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_kube.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	mem_install_hooks();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* "hello-ca" etc. in base64 */
static const char *const KC =
	"apiVersion: v1\n"
	"kind: Config\n"
	"current-context: main\n"
	"clusters:\n"
	"- name: c1\n"
	"  cluster:\n"
	"    server: https://127.0.0.1:6443/\n"
	"    certificate-authority-data: aGVsbG8tY2E=\n"
	"- name: c2\n"
	"  cluster:\n"
	"    server: http://127.0.0.1:8080\n"
	"    insecure-skip-tls-verify: true\n"
	"    certificate-authority: certs/ca.pem\n"
	"users:\n"
	"- name: admin\n"
	"  user:\n"
	"    client-certificate-data: Y2VydA==\n"
	"    client-key-data: a2V5\n"
	"- name: bot\n"
	"  user:\n"
	"    token: s3cr3t\n"
	"- name: filetok\n"
	"  user:\n"
	"    tokenFile: tok\n"
	"- name: plugin\n"
	"  user:\n"
	"    exec:\n"
	"      command: aws\n"
	"contexts:\n"
	"- name: main\n"
	"  context: {cluster: c1, user: admin}\n"
	"- name: other\n"
	"  context:\n"
	"    cluster: c2\n"
	"    user: bot\n"
	"    namespace: team-a\n"
	"- name: ft\n"
	"  context: {cluster: c1, user: filetok}\n"
	"- name: ex\n"
	"  context: {cluster: c1, user: plugin}\n"
	"- name: nouser\n"
	"  context: {cluster: c1, user: ghost}\n";

static void test_kubeconfig_current_context(void **state)
{
	(void)state;
	write_file("kc", KC);
	char *p = path_of("kc");
	kube_config c;
	err e = {0};
	assert_int_equal(kube_config_load_file(&c, p, NULL, &e), 0);
	assert_string_equal(c.server, "https://127.0.0.1:6443");
	assert_string_equal(c.ca_pem, "hello-ca");
	assert_string_equal(c.cert_pem, "cert");
	assert_string_equal(c.key_pem, "key");
	assert_null(c.token);
	assert_false(c.insecure);
	assert_string_equal(c.namespace_, "default");
	assert_string_equal(c.context, "main");
	assert_true(c.qps == 50);
	assert_int_equal(c.burst, 300);
	kube_config_release(&c);
	free(p);
}

static void test_kubeconfig_context_override_and_files(void **state)
{
	(void)state;
	write_file("kc", KC);
	char d[400];
	snprintf(d, sizeof d, "%s/certs", tmpdir);
	mkdir(d, 0700);
	write_file("certs/ca.pem", "-----BEGIN CERTIFICATE-----\nX\n");
	char *p = path_of("kc");
	kube_config c;
	err e = {0};
	assert_int_equal(kube_config_load_file(&c, p, "other", &e), 0);
	assert_string_equal(c.server, "http://127.0.0.1:8080");
	assert_true(c.insecure);
	assert_string_equal(c.token, "s3cr3t");
	assert_string_equal(c.namespace_, "team-a");
	assert_string_equal(c.ca_pem, "-----BEGIN CERTIFICATE-----\nX\n");
	kube_config_release(&c);

	assert_int_equal(kube_config_load_file(&c, p, "ft", &e), 0);
	char *tf = path_of("tok");
	assert_string_equal(c.token_file, tf);
	free(tf);
	kube_config_release(&c);
	free(p);
}

static void test_kubeconfig_errors(void **state)
{
	(void)state;
	write_file("kc", KC);
	char *p = path_of("kc");
	kube_config c;
	err e = {0};
	assert_int_equal(kube_config_load_file(&c, p, "ex", &e), -1);
	assert_string_equal(e.reason, "KubeConfigInvalid");
	assert_non_null(strstr(e.msg, "exec credential plugins are not supported"));
	assert_int_equal(kube_config_load_file(&c, p, "nope", &e), -1);
	assert_non_null(strstr(e.msg, "context \"nope\" does not exist"));
	assert_int_equal(kube_config_load_file(&c, p, "nouser", &e), -1);
	assert_non_null(strstr(e.msg, "user \"ghost\""));
	/* the token never appears in any message */
	assert_null(strstr(e.msg, "s3cr3t"));
	write_file("bad", "clusters: [\n");
	char *b = path_of("bad");
	assert_int_equal(kube_config_load_file(&c, b, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "invalid YAML"));
	write_file("bad", "current-context: x\ncontexts: [{name: x, context: {cluster: y}}]\n"
			  "clusters: [{name: y, cluster: {server: ftp://h}}]\n");
	assert_int_equal(kube_config_load_file(&c, b, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "http(s) URL"));
	write_file("bad", "current-context: x\ncontexts: [{name: x, context: {cluster: y}}]\n"
			  "clusters: [{name: y, cluster: {server: 'https://h', "
			  "certificate-authority-data: '!!!'}}]\n");
	assert_int_equal(kube_config_load_file(&c, b, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "not valid base64"));
	free(b);
	free(p);
	/* inline data may not name relative files */
	const char *inl = "current-context: x\ncontexts: [{name: x, context: {cluster: y}}]\n"
			  "clusters: [{name: y, cluster: {server: 'https://h', "
			  "certificate-authority: ca.pem}}]\n";
	assert_int_equal(kube_config_load_data(&c, inl, strlen(inl), NULL, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "relative file reference"));
}

static void test_kubeconfig_merge_env(void **state)
{
	(void)state;
	write_file("a", "current-context: first\n"
			"contexts: [{name: first, context: {cluster: a}}]\n"
			"clusters: [{name: a, cluster: {server: 'https://a:1'}}]\n");
	write_file("b", "current-context: second\n"
			"contexts: [{name: second, context: {cluster: a, namespace: ns-b}},"
			" {name: first, context: {cluster: b}}]\n"
			"clusters: [{name: a, cluster: {server: 'https://ignored:1'}},"
			" {name: b, cluster: {server: 'https://b:2'}}]\n");
	char *list = xasprintf("%s/a:%s/missing:%s/b", tmpdir, tmpdir, tmpdir);
	setenv("KUBECONFIG", list, 1);
	kube_config c;
	err e = {0};
	assert_int_equal(kube_config_load_file(&c, NULL, NULL, &e), 0);
	assert_string_equal(c.server, "https://a:1"); /* first definitions win */
	assert_string_equal(c.context, "first");
	kube_config_release(&c);
	assert_int_equal(kube_config_load_file(&c, NULL, "second", &e), 0);
	assert_string_equal(c.server, "https://a:1");
	assert_string_equal(c.namespace_, "ns-b");
	kube_config_release(&c);
	unsetenv("KUBECONFIG");
	free(list);
}

static void test_in_cluster(void **state)
{
	(void)state;
	char d[400];
	snprintf(d, sizeof d, "%s/sa", tmpdir);
	mkdir(d, 0700);
	write_file("sa/token", "tok123\n");
	write_file("sa/ca.crt", "CA");
	write_file("sa/namespace", "flux-system\n");
	kube_config c;
	err e = {0};
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(kube_config_in_cluster(&c, d, &e), -1);
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(kube_config_in_cluster(&c, d, &e), 0);
	assert_string_equal(c.server, "https://10.0.0.1:443");
	assert_string_equal(c.ca_pem, "CA");
	assert_string_equal(c.namespace_, "flux-system");
	assert_non_null(strstr(c.token_file, "sa/token"));
	kube_config_release(&c);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	assert_int_equal(kube_config_in_cluster(&c, d, &e), 0);
	assert_string_equal(c.server, "https://[fd00::1]:443");
	kube_config_release(&c);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

static void test_errors_from_status(void **state)
{
	(void)state;
	err e = {0};
	const char *nf = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
			 "\"message\":\"configmaps \\\"x\\\" not found\",\"reason\":\"NotFound\","
			 "\"code\":404}";
	kube_err_from_status(&e, 404, nf, strlen(nf));
	assert_int_equal(kube_errkind_of(&e), KUBE_ENOTFOUND);
	assert_string_equal(e.msg, "configmaps \"x\" not found");
	struct {
		long code;
		const char *reason;
		kube_errkind kind;
	} cases[] = {
		{409, "AlreadyExists", KUBE_EALREADYEXISTS}, {409, "Conflict", KUBE_ECONFLICT},
		{410, "Expired", KUBE_EGONE}, {410, "Gone", KUBE_EGONE},
		{422, "Invalid", KUBE_EINVALID}, {403, "Forbidden", KUBE_EFORBIDDEN},
		{401, "Unauthorized", KUBE_EUNAUTHORIZED}, {504, "Timeout", KUBE_ETIMEOUT},
		{400, "BadRequest", KUBE_EBADREQUEST}, {500, "InternalError", KUBE_EOTHER},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *body = xasprintf("{\"kind\":\"Status\",\"reason\":\"%s\",\"message\":\"m%zu\","
				       "\"code\":%ld}", cases[i].reason, i, cases[i].code);
		kube_err_from_status(&e, cases[i].code, body, strlen(body));
		assert_int_equal(kube_errkind_of(&e), cases[i].kind);
		free(body);
	}
	/* no Status body: the reason comes from the code, the text is kept */
	kube_err_from_status(&e, 404, "404 page not found", 18);
	assert_int_equal(kube_errkind_of(&e), KUBE_ENOTFOUND);
	assert_non_null(strstr(e.msg, "404 page not found"));
	kube_err_from_status(&e, 410, "", 0);
	assert_int_equal(kube_errkind_of(&e), KUBE_EGONE);
	kube_err_from_status(&e, 422, "{\"kind\":\"Status\",\"message\":\"bad\"}", 33);
	assert_int_equal(kube_errkind_of(&e), KUBE_EINVALID);
	err none = {0};
	assert_int_equal(kube_errkind_of(&none), KUBE_OK);
	assert_string_equal(kube_errkind_name(KUBE_EGONE), "Gone");
}

struct seen {
	int n;
	char types[16][16];
	char names[16][32];
	int stop_at;
};

static int on_ev(const char *type, cJSON *obj, void *ud)
{
	struct seen *s = ud;
	snprintf(s->types[s->n], 16, "%s", type);
	const char *nm = kube_obj_name(obj);
	snprintf(s->names[s->n], 32, "%s", nm ? nm : kube_obj_rv(obj));
	s->n++;
	return s->stop_at && s->n == s->stop_at;
}

static void test_watch_framing(void **state)
{
	(void)state;
	const char *stream =
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"5\"}}}\n"
		"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"b\"}}}\r\n"
		"\n"
		"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}\n"
		"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"c\"}}}\n";
	/* every split of the stream into two chunks yields the same events */
	size_t len = strlen(stream);
	for (size_t cut = 0; cut <= len; cut++) {
		kube_watch_parser p = {0};
		struct seen s = {0};
		err e = {0};
		assert_int_equal(kube_watch_feed(&p, stream, cut, on_ev, &s, &e), 0);
		assert_int_equal(kube_watch_feed(&p, stream + cut, len - cut, on_ev, &s, &e), 0);
		assert_int_equal(s.n, 4);
		assert_string_equal(s.types[0], "ADDED");
		assert_string_equal(s.names[0], "a");
		assert_string_equal(s.types[2], "BOOKMARK");
		assert_string_equal(s.names[2], "9");
		assert_string_equal(s.types[3], "DELETED");
		kube_watch_parser_release(&p);
	}
	/* byte at a time */
	kube_watch_parser p = {0};
	struct seen s = {0};
	err e = {0};
	for (size_t i = 0; i < len; i++)
		assert_int_equal(kube_watch_feed(&p, stream + i, 1, on_ev, &s, &e), 0);
	assert_int_equal(s.n, 4);
	kube_watch_parser_release(&p);
	/* the callback can stop the stream */
	struct seen s2 = {.stop_at = 2};
	assert_int_equal(kube_watch_feed(&p, stream, len, on_ev, &s2, &e), 1);
	assert_int_equal(s2.n, 2);
	kube_watch_parser_release(&p);
}

static void test_watch_errors(void **state)
{
	(void)state;
	const char *gone = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
			   "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource "
			   "version: 5 (1200)\",\"reason\":\"Expired\",\"code\":410}}\n";
	kube_watch_parser p = {0};
	struct seen s = {0};
	err e = {0};
	assert_int_equal(kube_watch_feed(&p, gone, strlen(gone), on_ev, &s, &e), -1);
	assert_int_equal(kube_errkind_of(&e), KUBE_EGONE);
	assert_non_null(strstr(e.msg, "too old resource version"));
	kube_watch_parser_release(&p);
	assert_int_equal(kube_watch_feed(&p, "{nope\n", 6, on_ev, &s, &e), -1);
	kube_watch_parser_release(&p);
	assert_int_equal(kube_watch_feed(&p, "{\"type\":\"ADDED\"}\n", 17, on_ev, &s, &e), -1);
	kube_watch_parser_release(&p);
	/* a line longer than the cap is refused without buffering it all */
	size_t big = (16u << 20) + 10;
	char *huge = xmalloc(big);
	memset(huge, ' ', big);
	assert_int_equal(kube_watch_feed(&p, huge, big, on_ev, &s, &e), -1);
	free(huge);
	kube_watch_parser_release(&p);
}

static void test_merge_patch_diff(void **state)
{
	(void)state;
	cJSON *a = cJSON_Parse("{\"x\":1,\"y\":{\"k\":\"v\",\"gone\":true},\"l\":[1,2],\"same\":\"s\"}");
	cJSON *b = cJSON_Parse("{\"x\":2,\"y\":{\"k\":\"v\",\"new\":{\"d\":1}},\"l\":[1,2,3],"
			       "\"same\":\"s\",\"add\":null}");
	cJSON *d = kube_merge_patch_diff(a, b);
	char *s = cJSON_PrintUnformatted(d);
	assert_string_equal(s, "{\"x\":2,\"y\":{\"gone\":null,\"new\":{\"d\":1}},\"l\":[1,2,3],"
			       "\"add\":null}");
	free(s);
	cJSON_Delete(d);
	assert_null(kube_merge_patch_diff(a, a));
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void test_base64_and_helpers(void **state)
{
	(void)state;
	size_t n;
	char *d = b64_decode("aGVsbG8=", 8, B64_LENIENT, 0, &n);
	assert_string_equal(d, "hello");
	assert_int_equal(n, 5);
	free(d);
	d = b64_decode("aGVs\nbG8", 8, B64_LENIENT, 0, &n);
	assert_string_equal(d, "hello");
	free(d);
	assert_null(b64_decode("a$==", 4, B64_LENIENT, 0, &n));
	assert_null(b64_decode("aGVsbG8=x", 9, B64_LENIENT, 0, &n));
	char t[32];
	clock_rfc3339_now(t, sizeof t, 0);
	assert_int_equal(strlen(t), 20);
	assert_int_equal(t[19], 'Z');
	clock_rfc3339_now(t, sizeof t, 6);
	assert_int_equal(strlen(t), 27);
	char *u = kube_sa_username("ns", "sa");
	assert_string_equal(u, "system:serviceaccount:ns:sa");
	free(u);
	cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"n\",\"namespace\":\"s\",\"generation\":3,"
			       "\"annotations\":{\"a\":\"1\"},\"labels\":{\"l\":\"2\"}}}");
	assert_string_equal(kube_obj_name(o), "n");
	assert_string_equal(kube_obj_namespace(o), "s");
	assert_int_equal(kube_obj_generation(o), 3);
	assert_string_equal(kube_obj_annotation(o, "a"), "1");
	assert_string_equal(kube_obj_label(o, "l"), "2");
	assert_null(kube_obj_rv(o));
	cJSON_Delete(o);
}

static void test_client_transport_error(void **state)
{
	(void)state;
	/* nothing listens on port 1: a typed transport error, no crash */
	kube_config c = {0};
	c.server = xstrdup("http://127.0.0.1:1");
	err e = {0};
	kube_client *k = kube_client_new(&c, &e);
	assert_non_null(k);
	cJSON *o = kube_get(k, "v1", "ConfigMap", "default", "x", NULL, &e);
	assert_null(o);
	assert_int_equal(kube_errkind_of(&e), KUBE_ETRANSPORT);
	kube_client_free(k);
	kube_config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubeconfig_current_context),
		cmocka_unit_test(test_kubeconfig_context_override_and_files),
		cmocka_unit_test(test_kubeconfig_errors),
		cmocka_unit_test(test_kubeconfig_merge_env),
		cmocka_unit_test(test_in_cluster),
		cmocka_unit_test(test_errors_from_status),
		cmocka_unit_test(test_watch_framing),
		cmocka_unit_test(test_watch_errors),
		cmocka_unit_test(test_merge_patch_diff),
		cmocka_unit_test(test_base64_and_helpers),
		cmocka_unit_test(test_client_transport_error),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
