/* auth: authentication (client certificates, static and ServiceAccount tokens, impersonation),
 * RBAC authorization, the review kinds and TokenRequest. Only enforced with --tls. */
#ifndef APISERVER_AUTH_H
#define APISERVER_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "server.h"

/* Load the token key (DATA/token.key, created on first start) and --token-auth-file. */
int auth_load(apiserver *s, err *e);
/* Create the default ClusterRoles and bindings that are missing. */
int auth_seed_roles(apiserver *s, err *e);
void auth_free(apiserver *s);

/* Set c->user/c->groups from the request (certificate, bearer token, impersonation); answers
 * 401/403 through c->rs when that fails. */
void auth_identify(api_ctx *c);
/* 0 when the effective user may do verb on the resource, else -1 answered with 403. */
int auth_authorize(api_ctx *c, const char *verb, const char *group, const char *resource,
		   const char *sub, const char *ns, const char *name);
/* Answer a review kind (SelfSubjectAccessReview, SubjectAccessReview, TokenReview, ...): obj is
 * the request (taken). */
void auth_review(api_ctx *c, cJSON *obj);
/* POST .../serviceaccounts/<name>/token. */
void auth_token_request(api_ctx *c);

#endif
