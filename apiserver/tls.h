/* tls: certificates for eddy-apiserver --tls.
 *
 * A self-signed CA is kept in DATA/ca.crt and DATA/ca.key (created on first start, 0600). Each
 * start issues a fresh serving certificate for 127.0.0.1, ::1 and localhost, and an admin client
 * certificate (CN=eddy-admin, O=system:masters) for the kubeconfig. PEM strings are owned by the
 * struct; the *_b64 fields are base64 of the PEM for kubeconfig *-data fields. */
#ifndef APISERVER_TLS_H
#define APISERVER_TLS_H

#include <stddef.h>

#include "eddy/err.h"

typedef struct tls_material {
	char *ca_cert_pem, *serving_cert_pem, *serving_key_pem, *admin_cert_pem, *admin_key_pem;
	char *ca_b64, *admin_cert_b64, *admin_key_b64;
} tls_material;

int tls_prepare(const char *data_dir, tls_material *tm, err *e);
void tls_material_release(tls_material *tm);

/* Issue a client certificate signed by the CA in data_dir (for tests and tools): PEM cert and
 * key are returned in *cert and *key (caller frees). */
int tls_issue_client(const char *data_dir, const char *cn, const char *const *orgs, size_t norgs,
		     char **cert, char **key, err *e);

#endif
