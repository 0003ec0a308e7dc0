/* git_auth: the credentials of a GitRepository for its checkout (internal to source-controller):
 * the secrets it names, decoded, and spec.provider. Errors carry Flux's reasons and messages
 * and never the secrets' values. */
#ifndef SC_GIT_AUTH_H
#define SC_GIT_AUTH_H

#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "eddy/git.h"
#include "eddy/rt.h"

/* The Secret ns/name's data, decoded, as a JSON object of strings (stringData merged; values
 * may hold binary: only text keys are used). NULL with e filled (AuthenticationFailed "failed
 * to get secret '<ns>/<name>': ...") on failure; the caller frees the object. */
cJSON *gitauth_secret(rt_ctx *ctx, const char *ns, const char *name, err *e);

/* spec.proxySecretRef: "address" (required, http or https), "username", "password" (Flux's
 * keys). Returns the decoded secret, which px then points into (free it after the checkout),
 * or NULL with e filled (AuthenticationFailed "failed to configure proxy options: ..."). */
cJSON *gitauth_proxy(rt_ctx *ctx, const char *ns, const char *name, gitx_proxy *px, err *e);

/* spec.provider and spec.serviceAccountName (Flux's getAuthOpts), with the decoded secretRef
 * (NULL when there is none): "generic" (or none) refuses GitHub App data and
 * serviceAccountName; "github" exchanges the secret's GitHub App data for an installation
 * token, stored in *token (the caller wipes and frees it) and set in go as the password of
 * x-access-token; "azure" and "aws" need cloud workload identity, which Eddy cannot have
 * (stalling). 0, or -1 with e filled. */
int gitauth_provider(rt_ctx *ctx, const cJSON *spec, const cJSON *secret, gitx_opts *go,
	char **token, err *e);

#endif
