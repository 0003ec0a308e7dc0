/* The Kubernetes client an object's reconcile acts with (eddy/impersonate.h, Flux's
 * runtime/client Impersonator): the controller's own, one impersonating a service account
 * (spec.serviceAccountName or --default-service-account), or one for a remote cluster from the
 * kubeconfig in spec.kubeConfig.secretRef. Impersonating clients of the local cluster are kept
 * between reconciles (one per user name, so their discovery caches survive); remote clients
 * are made per reconcile, since the Secret may change. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/codec.h"
#include "eddy/json.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/yml.h"
#include "eddy/impersonate.h"

#define MAX_CACHED 256
#define MAX_KUBECONFIG (1u << 20)

typedef struct cached {
	char *user;
	kube_client *k;
} cached;

struct imp_clients {
	pthread_mutex_t mu;
	cached v[MAX_CACHED];
	size_t n;
};

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;

static imp_clients *clients_of(imp_clients **cache)
{
	pthread_mutex_lock(&init_mu);
	if (!*cache) {
		*cache = xcalloc(1, sizeof **cache);
		pthread_mutex_init(&(*cache)->mu, NULL);
	}
	imp_clients *c = *cache;
	pthread_mutex_unlock(&init_mu);
	return c;
}

const char *imp_service_account(const imp_options *o, const cJSON *spec)
{
	const char *sa = json_str(spec, "serviceAccountName");
	if (sa && *sa)
		return sa;
	sa = o ? o->default_service_account : NULL;
	return sa && *sa ? sa : NULL;
}

/* The local client impersonating user, from the cache or made and cached. */
static kube_client *impersonating(imp_clients **cache, kube_client *base, const char *user,
	err *e)
{
	imp_clients *c = clients_of(cache);
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].user, user)) {
			kube_client *k = c->v[i].k;
			pthread_mutex_unlock(&c->mu);
			return k;
		}
	kube_client *k = kube_client_impersonate(base, user, NULL, e);
	if (k && c->n < MAX_CACHED) {
		c->v[c->n].user = xstrdup(user);
		c->v[c->n].k = k;
		c->n++;
	}
	pthread_mutex_unlock(&c->mu);
	return k;
}

static bool is_cached(imp_clients **cache, const kube_client *k)
{
	pthread_mutex_lock(&init_mu);
	imp_clients *c = cache ? *cache : NULL;
	pthread_mutex_unlock(&init_mu);
	if (!c)
		return false;
	bool found = false;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n && !found; i++)
		found = c->v[i].k == k;
	pthread_mutex_unlock(&c->mu);
	return found;
}

const char *imp_kubeconfig_file_field(const cJSON *doc)
{
	static const char *const cluster_files[] = {"certificate-authority"};
	static const char *const user_files[] = {"client-certificate", "client-key", "tokenFile"};
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "clusters")) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "cluster");
		for (size_t i = 0; i < sizeof cluster_files / sizeof *cluster_files; i++)
			if (json_str(c, cluster_files[i]) && *json_str(c, cluster_files[i]))
				return cluster_files[i];
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "users")) {
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(it, "user");
		for (size_t i = 0; i < sizeof user_files / sizeof *user_files; i++)
			if (json_str(u, user_files[i]) && *json_str(u, user_files[i]))
				return user_files[i];
	}
	return NULL;
}

/* A client for the cluster in the kubeconfig Secret named by ref (namespace ns). */
static kube_client *remote_client(const imp_options *o, kube_client *base, const cJSON *ref,
	const char *ns, err *e)
{
	const char *name = json_str(ref, "name");
	const char *key = json_str(ref, "key");
	if (!name || !*name) {
		err_fail(e, "ReconciliationFailed",
			"invalid .spec.kubeConfig, .spec.kubeConfig.secretRef.name is not set");
		return NULL;
	}
	err ge = {0};
	cJSON *secret = kube_get(base, "v1", "Secret", ns, name, NULL, &ge);
	if (!secret) {
		err_fail(e, "ReconciliationFailed",
			"unable to read KubeConfig secret '%s/%s' error: %s", ns, name, ge.msg);
		return NULL;
	}
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(secret, "data");
	const char *b64 = NULL;
	if (key && *key) {
		b64 = json_str(data, key);
		if (!b64)
			err_fail(e, "ReconciliationFailed", "KubeConfig secret '%s/%s' does not "
				"contain a '%s' key with a kubeconfig", ns, name, key);
	} else {
		b64 = json_str(data, "value");
		if (!b64)
			b64 = json_str(data, "value.yaml");
		if (!b64)
			err_fail(e, "ReconciliationFailed", "KubeConfig secret '%s/%s' does not "
				"contain a 'value' key with a kubeconfig", ns, name);
	}
	if (!b64) {
		cJSON_Delete(secret);
		return NULL;
	}
	size_t len = 0;
	char *raw = strlen(b64) <= MAX_KUBECONFIG * 4 / 3 + 4 ?
		b64_decode(b64, strlen(b64), B64_LENIENT, 0, &len) : NULL;
	cJSON_Delete(secret);
	if (!raw) {
		err_fail(e, "ReconciliationFailed", "KubeConfig secret '%s/%s': the "
			"kubeconfig is not valid base64 or larger than %u bytes", ns, name,
			MAX_KUBECONFIG);
		return NULL;
	}
	kube_client *k = NULL;
	err pe = {0};
	cJSON *doc = yml_parse_one(raw, len, NULL, &pe);
	const char *file = doc ? imp_kubeconfig_file_field(doc) : NULL;
	cJSON_Delete(doc);
	kube_config cfg;
	if (file) {
		err_fail(e, "ReconciliationFailed", "KubeConfig secret '%s/%s': file references "
			"(%s) are not allowed, embed the data instead", ns, name, file);
	} else if (kube_config_load_data(&cfg, raw, len, NULL, NULL, &pe) < 0) {
		err_fail(e, "ReconciliationFailed", "KubeConfig secret '%s/%s': %s", ns, name,
			pe.msg);
	} else {
		/* as Flux: TLS verification stays on unless --insecure-kubeconfig-tls, and the
		 * kubeconfig's own impersonation is dropped */
		if (!o || !o->insecure_kubeconfig_tls)
			cfg.insecure = false;
		free(cfg.impersonate_user);
		cfg.impersonate_user = NULL;
		free(cfg.user_agent);
		cfg.user_agent = o && o->user_agent ? xstrdup(o->user_agent) : NULL;
		k = kube_client_new(&cfg, &pe);
		if (!k)
			err_fail(e, "ReconciliationFailed", "KubeConfig secret '%s/%s': %s", ns,
				name, pe.msg);
		kube_config_release(&cfg);
	}
	free(raw);
	return k;
}

kube_client *imp_client_for(imp_clients **cache, const imp_options *o, kube_client *base,
	const char *ns, const cJSON *spec, err *e)
{
	const char *sa = imp_service_account(o, spec);
	const cJSON *kcfg = cJSON_GetObjectItemCaseSensitive(spec, "kubeConfig");
	char *user = sa ? kube_sa_username(ns, sa) : NULL;
	kube_client *k = NULL;
	if (cJSON_IsObject(kcfg)) {
		const cJSON *sref = cJSON_GetObjectItemCaseSensitive(kcfg, "secretRef");
		if (cJSON_IsObject(sref)) {
			kube_client *remote = remote_client(o, base, sref, ns, e);
			if (remote && user) {
				err ie = {0};
				k = kube_client_impersonate(remote, user, NULL, &ie);
				if (!k)
					err_fail(e, "ReconciliationFailed", "%s", ie.msg);
				kube_client_free(remote);
			} else {
				k = remote;
			}
		} else if (cJSON_GetObjectItemCaseSensitive(kcfg, "configMapRef")) {
			err_fail(e, "ReconciliationFailed", "invalid .spec.kubeConfig: "
				"configMapRef (cloud provider workload identity) is not supported, "
				"use secretRef");
		} else {
			err_fail(e, "ReconciliationFailed", "invalid .spec.kubeConfig, neither "
				".spec.kubeConfig.provider nor .spec.kubeConfig.secretRef is set");
		}
	} else if (user) {
		err ie = {0};
		k = impersonating(cache, base, user, &ie);
		if (!k)
			err_fail(e, "ReconciliationFailed", "%s", ie.msg);
	} else {
		k = base;
	}
	free(user);
	return k;
}

void imp_client_release(imp_clients **cache, kube_client *base, kube_client *k)
{
	if (!k || k == base || is_cached(cache, k))
		return;
	kube_client_free(k);
}

void imp_clients_free(imp_clients **cache)
{
	imp_clients *c = cache ? *cache : NULL;
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].user);
		kube_client_free(c->v[i].k);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
	*cache = NULL;
}
