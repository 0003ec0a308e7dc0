/* helm_oci: Helm charts in an OCI registry (internal; Flux's OCIChartRepository over the
 * distribution API, as `helm pull oci://...` does): the chart's tags listed and matched against
 * a semver range (Helm stores "+" as "_" in tags), the manifest read, its
 * application/vnd.cncf.helm.chart.content.v1.tar+gzip layer downloaded under a cap and checked
 * against its digest. Credentials from the HelmRepository's secretRef (username/password or a
 * .dockerconfigjson), sent as basic auth or exchanged for a bearer token when the registry asks
 * for one (WWW-Authenticate: Bearer realm=...). spec.insecure: plain HTTP. Messages never carry
 * credentials. */
#ifndef SC_HELM_OCI_H
#define SC_HELM_OCI_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "eddy/http.h"
#include "eddy/rt.h"

typedef struct helm_oci {
	char *base;          /* "http(s)://host[:port]" */
	char *host;          /* "host[:port]" */
	char *name;          /* the repository in the registry: "<path>/<chart>" */
	char *basic;         /* "user:password" or NULL (wiped on release) */
	char *auth;          /* the Authorization header to send, or NULL */
	cJSON *secret;
	http_client *c;
	uint64_t timeout_ms;
} helm_oci;

/* For chart (a name) in the oci:// HelmRepository repo. 0, or -1 with e filled. */
int helm_oci_init(helm_oci *o, rt_ctx *ctx, const cJSON *repo, const char *chart, err *e);
void helm_oci_release(helm_oci *o);

/* The version to pull: ver itself when it is an exact version, else the highest tag whose
 * version satisfies the range ver ("" = "*"). *version is allocated. */
int helm_oci_resolve(helm_oci *o, const char *ver, char **version, err *e);

/* Download the chart layer of version into path (at most max bytes). */
int helm_oci_pull(helm_oci *o, const char *version, uint64_t max, const char *path, err *e);

#endif
