/* helm_getter: how source-controller talks to a Helm chart repository over HTTP(S) (internal):
 * Flux's getter.GetClientOpts (secretRef: basic auth and, deprecated, TLS files;
 * certSecretRef: tls.crt, tls.key, ca.crt; passCredentials; timeout) and Helm's HTTP getter
 * (a GET whose body streams into a file under a hard cap). Errors carry Flux's reasons and
 * messages and never a secret's value. */
#ifndef SC_HELM_GETTER_H
#define SC_HELM_GETTER_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "eddy/art.h"
#include "eddy/err.h"
#include "eddy/http.h"
#include "eddy/rt.h"

typedef struct helm_getter {
	char *url;              /* the repository URL, normalised (one trailing '/') */
	cJSON *secret, *cert;   /* decoded secretRef and certSecretRef (opts points into them) */
	http_client_opts opts;
	bool pass_credentials;
	http_client *client;
} helm_getter;

/* The client of HelmRepository repo (its spec), reading its secrets in repo's namespace.
 * 0, or -1 with e filled (AuthenticationFailed, URLInvalid); release g either way. */
int helm_getter_init(helm_getter *g, rt_ctx *ctx, const cJSON *repo, err *e);
void helm_getter_release(helm_getter *g);

/* GET url into the file path (created), at most max bytes (over: "<what> exceeds the maximum
 * <what> size of N bytes"); credentials go along only to the repository's own host unless
 * passCredentials. The sha256 of the bytes is written to digest. Messages as Helm's getter
 * ("failed to fetch <url> : 404 Not Found"). */
int helm_getter_get(helm_getter *g, const char *url, uint64_t max, const char *what,
	const char *path, char digest[ART_DIGEST_MAX], err *e);

/* A chart URL from the index resolved against the repository URL (Helm's
 * ResolveReferenceURL). */
char *helm_resolve_url(const char *repo_url, const char *ref);

/* go-units HumanSize: "512B", "1.234kB", "12.35MB". */
void helm_human_size(double size, char out[32]);

#endif
