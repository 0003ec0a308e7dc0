/* impersonate (`imp_`): the Kubernetes client an object's reconcile acts with, chosen as Flux's
 * runtime/client Impersonator does (kustomize-controller today; helm-controller's HelmRelease
 * has the same serviceAccountName and kubeConfig fields).
 *
 * With spec.kubeConfig.secretRef, a client for the remote cluster in the Secret (namespace of
 * the object; key `secretRef.key`, else `value`, else `value.yaml`); exec and auth-provider
 * plugins and file references are refused, and insecure-skip-tls-verify is dropped unless
 * o->insecure_kubeconfig_tls. Then, when spec.serviceAccountName (or else
 * o->default_service_account) is set, the client impersonates
 * `system:serviceaccount:<ns>:<sa>`. Otherwise the base client itself.
 * spec.kubeConfig.configMapRef (cloud workload identity) is refused.
 *
 * Impersonating clients of the local cluster are kept in a cache (one per user name, so their
 * discovery caches survive between reconciles); remote clients are made per call. The cache is
 * a pointer the caller owns, NULL until first use, freed with imp_clients_free at exit. All
 * functions are thread-safe. */
#ifndef EDDY_IMPERSONATE_H
#define EDDY_IMPERSONATE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "eddy/kube.h"

typedef struct imp_options {
	const char *default_service_account; /* --default-service-account, or NULL */
	bool insecure_kubeconfig_tls;        /* --insecure-kubeconfig-tls */
	const char *user_agent;              /* of remote clients, e.g. "kustomize-controller" */
} imp_options;

typedef struct imp_clients imp_clients;

/* The client for an object of namespace ns with this .spec (see above), made from base.
 * Returns NULL with e filled (reason ReconciliationFailed); release the result with
 * imp_client_release(), which frees it only when it was made for this call. */
kube_client *imp_client_for(imp_clients **cache, const imp_options *o, kube_client *base,
	const char *ns, const cJSON *spec, err *e);
void imp_client_release(imp_clients **cache, kube_client *base, kube_client *k);
/* The service account to impersonate (spec.serviceAccountName, then
 * o->default_service_account), or NULL. Borrowed. */
const char *imp_service_account(const imp_options *o, const cJSON *spec);
/* Flux's KubeConfig sanitisation reads no files of the controller: a kubeconfig from a Secret
 * must carry its certificates and token inline. The first file field of the parsed kubeconfig
 * (certificate-authority, client-certificate, client-key, tokenFile), or NULL. */
const char *imp_kubeconfig_file_field(const cJSON *kubeconfig);
/* Frees the cached clients (at exit); *cache becomes NULL. */
void imp_clients_free(imp_clients **cache);

#endif
