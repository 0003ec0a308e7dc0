/* The credentials of a GitRepository (see git_auth.h): Flux's getAuthOpts and
 * ProxyURLFromSecretRef. */
#include "git_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/codec.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "sc_json.h"

cJSON *gitauth_secret(rt_ctx *ctx, const char *ns, const char *name, err *e)
{
	err ge = {0};
	cJSON *s = kube_get(ctx->kube, "v1", "Secret", ns, name, NULL, &ge);
	if (!s) {
		err_fail(e, "AuthenticationFailed", "failed to get secret '%s/%s': %s", ns, name,
			kube_errkind_of(&ge) == KUBE_ENOTFOUND ? "secrets \"not found\"" : ge.msg);
		if (kube_errkind_of(&ge) == KUBE_ENOTFOUND)
			snprintf(e->msg, sizeof e->msg,
				"failed to get secret '%s/%s': secrets \"%s\" not found", ns, name,
				name);
		return NULL;
	}
	cJSON *out = cJSON_CreateObject();
	const cJSON *d;
	cJSON_ArrayForEach(d, json_get(s, "data")) {
		if (!cJSON_IsString(d))
			continue;
		size_t n;
		char *v = b64_decode(d->valuestring, strlen(d->valuestring), B64_LENIENT, 0, &n);
		if (v) {
			char *z = xstrndup(v, n);
			cJSON_AddStringToObject(out, d->string, z);
			free(z);
			free(v);
		}
	}
	cJSON_ArrayForEach(d, json_get(s, "stringData"))
		if (cJSON_IsString(d) && !json_get(out, d->string))
			cJSON_AddStringToObject(out, d->string, d->valuestring);
	cJSON_Delete(s);
	return out;
}

cJSON *gitauth_proxy(rt_ctx *ctx, const char *ns, const char *name, gitx_proxy *px, err *e)
{
	cJSON *s = gitauth_secret(ctx, ns, name, e);
	if (!s) {
		err_prefix(e, "failed to configure proxy options");
		return NULL;
	}
	const char *addr = json_str(s, "address");
	if (!addr) {
		err_fail(e, "AuthenticationFailed", "failed to configure proxy options: secret "
			"'%s/%s': key 'address' not found", ns, name);
	} else if (!*addr) {
		err_fail(e, "AuthenticationFailed", "failed to configure proxy options: secret "
			"'%s/%s': proxy address is empty", ns, name);
	} else if (strncmp(addr, "http://", 7) && strncmp(addr, "https://", 8)) {
		err_fail(e, "AuthenticationFailed", "failed to configure proxy options: secret "
			"'%s/%s': proxy URL must use http or https scheme", ns, name);
	} else {
		px->url = addr;
		px->username = json_str(s, "username");
		px->password = json_str(s, "password");
		return s;
	}
	cJSON_Delete(s);
	return NULL;
}

int gitauth_provider(rt_ctx *ctx, const cJSON *spec, const cJSON *secret, gitx_opts *go,
	char **token, err *e)
{
	const char *prov = json_str(spec, "provider");
	const char *sa = json_str(spec, "serviceAccountName");
	const char *sname = json_str(json_get(spec, "secretRef"), "name");
	if (!prov || !*prov || !strcmp(prov, "generic")) {
		if (secret && json_str(secret, "githubAppID"))
			return err_fail(e, "InvalidProviderConfiguration",
				"secretRef '%s/%s' has github app data but provider is not set "
				"to github", ctx->ns, sname);
		if (sa && *sa)
			return err_set(e, ERR_STALLING, "InvalidProviderConfiguration",
				"spec.serviceAccountName can only be used with provider azure or "
				"aws");
		return 0;
	}
	if (!strcmp(prov, "azure") || !strcmp(prov, "aws")) {
		if (sa && *sa)
			return err_set(e, ERR_STALLING, "FeatureGateDisabled",
				"to use spec.serviceAccountName for provider authentication "
				"please enable the ObjectLevelWorkloadIdentity feature gate in "
				"the controller");
		return err_set(e, ERR_STALLING, "AuthenticationFailed",
			"failed to configure authentication options: provider '%s' needs %s "
			"workload identity, which Eddy's source-controller does not support", prov,
			!strcmp(prov, "azure") ? "Azure" : "AWS");
	}
	if (!strcmp(prov, "github")) {
		if (!secret)
			return err_set(e, ERR_STALLING, "InvalidProviderConfiguration",
				"secretRef with github app data must be specified when provider is "
				"set to github");
		if (!json_str(secret, "githubAppID") &&
		    !json_str(secret, "githubAppInstallationID") &&
		    !json_str(secret, "githubAppPrivateKey"))
			return err_fail(e, "InvalidProviderConfiguration",
				"secretRef with github app data must be specified when provider is "
				"set to github");
		gitx_github_app app = {
			.app_id = json_str(secret, "githubAppID"),
			.installation_id = json_str(secret, "githubAppInstallationID"),
			.private_key = json_str(secret, "githubAppPrivateKey"),
			.base_url = json_str(secret, "githubAppBaseURL"),
		};
		if (gitx_github_app_token(&app, go, token, e) < 0) {
			if (!strcmp(e->reason, "AuthenticationFailed"))
				err_prefix(e, "failed to configure authentication options");
			return -1;
		}
		go->auth.username = GITX_GITHUB_APP_USERNAME;
		go->auth.password = *token;
		go->auth.bearer_token = NULL;
		return 0;
	}
	return err_set(e, ERR_STALLING, "InvalidProviderConfiguration",
		"unsupported provider '%s'", prov);
}
