/* spec.postBuild: Flux's variable substitution (pkg/kustomize SubstituteVariables). Variables
 * come from substituteFrom (ConfigMaps and Secrets in the Kustomization's namespace, in list
 * order, later ones overriding earlier ones, `optional` ones allowed to be missing) and then
 * from the inline `substitute` map, which overrides them all; newlines are removed from values.
 * Each object is printed as YAML, expanded with eddy/subst.h and parsed again, so a variable
 * in a number field becomes a number. Objects labelled or annotated
 * kustomize.toolkit.fluxcd.io/substitute: disabled are left alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "eddy/buf.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/subst.h"
#include "eddy/yml.h"
#include "kc_build.h"

#define SUBST_KEY "kustomize.toolkit.fluxcd.io/substitute"
#define NAME_RULE "^[_[:alpha:]][_[:alpha:][:digit:]]*$"

bool kc_strict_substitutions(const char *gates)
{
	bool strict = true;
	if (!gates)
		return strict;
	const char *key = "StrictPostBuildSubstitutions=";
	size_t kl = strlen(key);
	for (const char *p = gates; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ",");
		if (n > kl && !strncmp(p, key, kl)) {
			const char *v = p + kl;
			size_t vl = n - kl;
			if ((vl == 5 && !strncasecmp(v, "false", 5)) || (vl == 1 && *v == '0'))
				strict = false;
			else if ((vl == 4 && !strncasecmp(v, "true", 4)) || (vl == 1 && *v == '1'))
				strict = true;
		}
		p += n;
	}
	return strict;
}

/* Remove newlines as Flux does (strings.ReplaceAll(v, "\n", "")). */
static char *strip_nl(const char *v, size_t n)
{
	char *o = xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] != '\n')
			o[k++] = v[i];
	o[k] = 0;
	return o;
}

static void var_set(cJSON *vars, const char *k, char *v)
{
	cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(vars, k);
	if (old && cJSON_IsString(old) && old->valuestring)
		OPENSSL_cleanse(old->valuestring, strlen(old->valuestring));
	cJSON_Delete(old);
	cJSON *s = cJSON_CreateString(v);
	OPENSSL_cleanse(v, strlen(v));
	free(v);
	cJSON_AddItemToObject(vars, k, s);
}

static void vars_free(cJSON *vars)
{
	cJSON *it;
	cJSON_ArrayForEach(it, vars)
		if (cJSON_IsString(it) && it->valuestring)
			OPENSSL_cleanse(it->valuestring, strlen(it->valuestring));
	cJSON_Delete(vars);
}

/* Flux's LoadVariables plus the inline map. NULL with e filled on error. */
static cJSON *load_vars(rt_ctx *ctx, const cJSON *pb, err *e)
{
	cJSON *vars = cJSON_CreateObject();
	const cJSON *ref;
	cJSON_ArrayForEach(ref, cJSON_GetObjectItemCaseSensitive(pb, "substituteFrom")) {
		const cJSON *jk = cJSON_GetObjectItemCaseSensitive(ref, "kind");
		const cJSON *jn = cJSON_GetObjectItemCaseSensitive(ref, "name");
		const char *kind = cJSON_IsString(jk) ? jk->valuestring : "";
		const char *name = cJSON_IsString(jn) ? jn->valuestring : "";
		bool optional = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "optional"));
		bool secret = !strcmp(kind, "Secret");
		if (!secret && strcmp(kind, "ConfigMap"))
			continue;
		err ge = {0};
		cJSON *o = kube_get(ctx->kube, "v1", kind, ctx->ns, name, NULL, &ge);
		if (!o) {
			if (optional && kube_errkind_of(&ge) == KUBE_ENOTFOUND)
				continue;
			err_fail(e, "BuildFailed", "substitute from '%s/%s' error: %s", kind, name,
				ge.msg);
			vars_free(vars);
			return NULL;
		}
		const cJSON *kv;
		cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(o, "data")) {
			if (!cJSON_IsString(kv) || !kv->valuestring)
				continue;
			const char *v = kv->valuestring;
			if (!secret) {
				var_set(vars, kv->string, strip_nl(v, strlen(v)));
				continue;
			}
			size_t n = 0;
			char *raw = kube_base64_decode(v, strlen(v), &n);
			if (!raw)
				continue;
			var_set(vars, kv->string, strip_nl(raw, n));
			OPENSSL_cleanse(raw, n);
			free(raw);
		}
		/* the Secret's values are copied; wipe the response before freeing it */
		cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(o, "data"))
			if (cJSON_IsString(kv) && kv->valuestring)
				OPENSSL_cleanse(kv->valuestring, strlen(kv->valuestring));
		cJSON_Delete(o);
	}
	const cJSON *kv;
	cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(pb, "substitute")) {
		if (!cJSON_IsString(kv) || !kv->valuestring)
			continue;
		var_set(vars, kv->string, strip_nl(kv->valuestring, strlen(kv->valuestring)));
	}
	cJSON_ArrayForEach(kv, vars)
		if (!subst_valid_name(kv->string)) {
			err_fail(e, "BuildFailed", "'%s' var name is invalid, must match '%s'",
				kv->string, NAME_RULE);
			vars_free(vars);
			return NULL;
		}
	return vars;
}

static bool lookup(const char *name, const char **val, void *ud)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive((const cJSON *)ud, name);
	if (!cJSON_IsString(v))
		return false;
	*val = v->valuestring;
	return true;
}

static bool disabled(const cJSON *o)
{
	const char *l = kube_obj_label(o, SUBST_KEY), *a = kube_obj_annotation(o, SUBST_KEY);
	return (l && !strcmp(l, "disabled")) || (a && !strcmp(a, "disabled"));
}

/* Substitute in one object; *out gets the new object (or stays NULL when unchanged). */
static int subst_obj(const cJSON *o, const cJSON *vars, bool strict, cJSON **out, err *e)
{
	buf y, r;
	buf_init(&y, 64u << 20);
	buf_init(&r, 64u << 20);
	int rc = -1;
	if (yml_emit(&y, o, e) < 0)
		goto done;
	if (subst_eval(y.data ? y.data : "", y.len, lookup, (void *)vars, strict, &r, e) < 0) {
		err_prefix(e, "envsubst error: variable substitution failed");
		goto done;
	}
	*out = yml_parse_one(r.data ? r.data : "", r.len, NULL, e);
	if (!*out) {
		err_prefix(e, "envsubst error: YAMLToJSON");
		goto done;
	}
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		err_fail(e, "BuildFailed", "envsubst error: the substituted object is not a map");
		goto done;
	}
	rc = 0;
done:
	if (r.data)
		OPENSSL_cleanse(r.data, r.len);
	buf_release(&y);
	buf_release(&r);
	return rc;
}

int kc_postbuild(rt_ctx *ctx, const cJSON *ks, cJSON *objs, bool strict, err *e)
{
	const cJSON *pb = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(ks, "spec"), "postBuild");
	if (!cJSON_IsObject(pb))
		return 0;
	const cJSON *strat = cJSON_GetObjectItemCaseSensitive(pb, "substituteStrategy");
	bool always = cJSON_IsString(strat) && !strcmp(strat->valuestring, "Always");
	cJSON *vars = NULL;
	int rc = 0;
	for (int i = 0; i < cJSON_GetArraySize(objs); i++) {
		cJSON *o = cJSON_GetArrayItem(objs, i);
		if (disabled(o))
			continue;
		const char *name = kube_obj_name(o);
		if (!vars && !(vars = load_vars(ctx, pb, e))) {
			err_prefix(e, "post build failed for '%s'", name ? name : "");
			return -1;
		}
		if (cJSON_GetArraySize(vars) == 0 && !always)
			continue;
		cJSON *n = NULL;
		if (subst_obj(o, vars, strict, &n, e) < 0) {
			err_prefix(e, "post build failed for '%s'", name ? name : "");
			snprintf(e->reason, sizeof e->reason, "BuildFailed");
			rc = -1;
			break;
		}
		cJSON_ReplaceItemInArray(objs, i, n);
	}
	if (vars)
		vars_free(vars);
	return rc;
}
