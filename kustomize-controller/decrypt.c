/* spec.decryption: SOPS decryption of the built objects, as Flux's internal/decryptor does it.
 * Keys come from the Secret named by decryption.secretRef (data keys ending in .agekey hold age
 * identities, .asc armored OpenPGP private keys). An object with a top-level `sops` key is
 * decrypted whole; in a Secret, every data value that is itself a SOPS file (found by Flux's
 * marker bytes, as a secretGenerator `files:` entry produces) is decrypted into the format its
 * key's extension names. The MAC is not checked, as in Flux. Objects annotated
 * kustomize.toolkit.fluxcd.io/decrypt: disabled are left alone. Plaintext stays in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "eddy/buf.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/sops.h"
#include "kc.h"
#include "kc_build.h"

#define DECRYPT_KEY "kustomize.toolkit.fluxcd.io/decrypt"

static bool decrypt_disabled(const cJSON *o)
{
	const char *a = kube_obj_annotation(o, DECRYPT_KEY);
	return a && !strcasecmp(a, "disabled");
}

static bool is_v1_secret(const cJSON *o)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "kind");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "apiVersion");
	return cJSON_IsString(k) && !strcmp(k->valuestring, "Secret") && cJSON_IsString(v) &&
	       !strcmp(v->valuestring, "v1");
}

static const char *ends(const char *s, const char *suf)
{
	size_t l = strlen(s), sl = strlen(suf);
	return l >= sl && !strcmp(s + l - sl, suf) ? s + l - sl : NULL;
}

static void wipe_data(cJSON *o)
{
	cJSON *kv;
	cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(o, "data"))
		if (cJSON_IsString(kv) && kv->valuestring)
			OPENSSL_cleanse(kv->valuestring, strlen(kv->valuestring));
}

/* Flux's ImportKeys for the sops provider: every .asc and .agekey entry of the Secret ns/name
 * (only .agekey ones when age_only, for the --sops-age-secret fallback). */
static sops_keys *import_keys(rt_ctx *ctx, const char *ns, const char *name, bool age_only,
	err *e)
{
	err ge = {0};
	cJSON *s = kube_get(ctx->kube, "v1", "Secret", ns, name, NULL, &ge);
	if (!s) {
		err_fail(e, "BuildFailed", "cannot get sops %sdecryption Secret '%s/%s': %s",
			age_only ? "age " : "", ns, name, ge.msg);
		return NULL;
	}
	sops_keys *k = sops_keys_new();
	const cJSON *kv;
	cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(s, "data")) {
		if (!cJSON_IsString(kv) || !kv->valuestring || !kv->string)
			continue;
		bool pgp = !age_only && ends(kv->string, ".asc");
		bool age = ends(kv->string, ".agekey");
		if (!pgp && !age)
			continue;
		size_t n = 0;
		char *raw = kube_base64_decode(kv->valuestring, strlen(kv->valuestring), &n);
		err ke = {0};
		int rc;
		if (!raw)
			rc = err_fail(&ke, "BuildFailed", "invalid base64");
		else if (pgp)
			rc = sops_keys_add_pgp(k, raw, n, &ke);
		else
			rc = sops_keys_add_age(k, raw, n, &ke);
		if (raw) {
			OPENSSL_cleanse(raw, n);
			free(raw);
		}
		if (rc < 0) {
			err_fail(e, "BuildFailed",
				"failed to import '%s' data from sops %sdecryption Secret '%s/%s': "
				"%s", kv->string, age_only ? "age " : "", ns, name, ke.msg);
			sops_keys_free(k);
			k = NULL;
			break;
		}
	}
	wipe_data(s);
	cJSON_Delete(s);
	return k;
}

static char *b64enc(const char *d, size_t n)
{
	char *o = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)o, (const unsigned char *)d, (int)n);
	return o;
}

/* Decrypt the SOPS documents among a Secret's data values. */
static int decrypt_secret_values(const sops_keys *k, cJSON *o, const char *oname, const char *ons,
	err *e)
{
	cJSON *kv;
	cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(o, "data")) {
		if (!cJSON_IsString(kv) || !kv->valuestring || !kv->string)
			continue;
		size_t n = 0;
		char *raw = kube_base64_decode(kv->valuestring, strlen(kv->valuestring), &n);
		if (!raw)
			continue; /* left for the apply to report, as Flux does */
		sops_format in = sops_detect_format(raw, n);
		if (in == SOPS_FMT_NONE) {
			free(raw);
			continue;
		}
		buf out;
		buf_init(&out, SOPS_MAX_INPUT * 2);
		err de = {0};
		int rc = sops_decrypt_file(k, raw, n, in, sops_format_for_path(kv->string), false,
			&out, &de);
		free(raw);
		if (rc < 0) {
			buf_release(&out);
			return err_fail(e, "BuildFailed",
				"decryption failed for '%s': failed to decrypt and format '%s/%s' "
				"Secret field '%s': %s", oname, ons, oname, kv->string, de.msg);
		}
		char *enc = b64enc(out.data ? out.data : "", out.len);
		OPENSSL_cleanse(out.data, out.len);
		buf_release(&out);
		cJSON_SetValuestring(kv, enc);
		OPENSSL_cleanse(enc, strlen(enc));
		free(enc);
	}
	return 0;
}

int kc_decrypt(rt_ctx *ctx, const cJSON *ks, cJSON *objs, err *e)
{
	const cJSON *dec = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(ks, "spec"), "decryption");
	const cJSON *prov = cJSON_GetObjectItemCaseSensitive(dec, "provider");
	cJSON *o;
	if (!cJSON_IsString(prov) || !prov->valuestring[0]) {
		/* Flux refuses to apply an encrypted Secret without decryption */
		cJSON_ArrayForEach(o, objs)
			if (is_v1_secret(o) && cJSON_GetObjectItemCaseSensitive(o, "sops") &&
			    !decrypt_disabled(o)) {
				const char *ns = kube_obj_namespace(o);
				return err_fail(e, "ReconciliationFailed",
					"Secret/%s%s%s is SOPS encrypted, configuring decryption "
					"is required for this secret to be reconciled",
					ns ? ns : "", ns ? "/" : "", kube_obj_name(o));
			}
		return 0;
	}
	if (strcmp(prov->valuestring, "sops"))
		return 0;
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(dec, "secretRef");
	const cJSON *rn = cJSON_GetObjectItemCaseSensitive(ref, "name");
	sops_keys *k = NULL;
	const kc_ctx *kc = ctx->ud;
	const char *rtns = getenv("RUNTIME_NAMESPACE");
	if (cJSON_IsString(rn) && rn->valuestring[0]) {
		if (!(k = import_keys(ctx, ctx->ns, rn->valuestring, false, e)))
			return -1;
	} else if (kc && kc->sops_age_secret && *kc->sops_age_secret && rtns && *rtns) {
		if (!(k = import_keys(ctx, rtns, kc->sops_age_secret, true, e)))
			return -1;
	} else {
		k = sops_keys_new();
	}
	int rc = 0;
	cJSON_ArrayForEach(o, objs) {
		if (decrypt_disabled(o))
			continue;
		const char *name = kube_obj_name(o), *ns = kube_obj_namespace(o);
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
		if (!name)
			name = "";
		if (!ns)
			ns = "";
		if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "sops"))) {
			err de = {0};
			if (sops_decrypt_tree(k, o, false, &de) < 0) {
				rc = err_fail(e, "BuildFailed",
					"decryption failed for '%s': failed to decrypt and format "
					"'%s/%s' %s data: %s", name, ns, name,
					cJSON_IsString(kind) ? kind->valuestring : "", de.msg);
				break;
			}
		} else if (is_v1_secret(o) && decrypt_secret_values(k, o, name, ns, e) < 0) {
			rc = -1;
			break;
		}
	}
	sops_keys_free(k);
	return rc;
}
