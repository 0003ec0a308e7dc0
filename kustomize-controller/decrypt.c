/* spec.decryption: SOPS decryption of the built objects, as Flux's internal/decryptor does it.
 * Keys come from the Secret named by decryption.secretRef (data keys ending in .agekey hold age
 * identities, .asc armored OpenPGP private keys). An object with a top-level `sops` key is
 * decrypted whole; in a Secret, every data value that is itself a SOPS file (found by Flux's
 * marker bytes, as a secretGenerator `files:` entry produces) is decrypted into the format its
 * key's extension names. The MAC is not checked, as in Flux. Objects annotated
 * kustomize.toolkit.fluxcd.io/decrypt: disabled are left alone. Plaintext stays in memory. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "eddy/buf.h"
#include "eddy/codec.h"
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
		char *raw = b64_decode(kv->valuestring, strlen(kv->valuestring), B64_LENIENT, 0,
				       &n);
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

/* Decrypt the SOPS documents among a Secret's data values. */
static int decrypt_secret_values(const sops_keys *k, cJSON *o, const char *oname, const char *ons,
	err *e)
{
	cJSON *kv;
	cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(o, "data")) {
		if (!cJSON_IsString(kv) || !kv->valuestring || !kv->string)
			continue;
		size_t n = 0;
		char *raw = b64_decode(kv->valuestring, strlen(kv->valuestring), B64_LENIENT, 0,
				       &n);
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
		char *enc = b64_encode(out.data ? out.data : "", out.len, B64_STD);
		OPENSSL_cleanse(out.data, out.len);
		buf_release(&out);
		cJSON_SetValuestring(kv, enc);
		OPENSSL_cleanse(enc, strlen(enc));
		free(enc);
	}
	return 0;
}

/* The keys for ks: from decryption.secretRef, else --sops-age-secret, else none. NULL with e
 * filled on error. */
static sops_keys *keys_for(rt_ctx *ctx, const cJSON *dec, err *e)
{
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(dec, "secretRef");
	const cJSON *rn = cJSON_GetObjectItemCaseSensitive(ref, "name");
	const kc_ctx *kc = ctx->ud;
	const char *rtns = getenv("RUNTIME_NAMESPACE");
	if (cJSON_IsString(rn) && rn->valuestring[0])
		return import_keys(ctx, ctx->ns, rn->valuestring, false, e);
	if (kc && kc->sops_age_secret && *kc->sops_age_secret && rtns && *rtns)
		return import_keys(ctx, rtns, kc->sops_age_secret, true, e);
	return sops_keys_new();
}

static const cJSON *sops_decryption(const cJSON *ks)
{
	const cJSON *dec = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(ks, "spec"), "decryption");
	const cJSON *prov = cJSON_GetObjectItemCaseSensitive(dec, "provider");
	return cJSON_IsString(prov) && !strcmp(prov->valuestring, "sops") ? dec : NULL;
}

/* Read dir/rel if it resolves inside root (symlinks followed), at most SOPS_MAX_INPUT bytes.
 * 1 when the file is not there (kustomize will report it), 0 ok, -1 error. */
static int read_inside(const char *root, const char *dir, const char *rel, buf *out, err *e)
{
	char *joined = rel[0] == '/' ? xasprintf("%s%s", root, rel) : xasprintf("%s/%s", dir, rel);
	char rroot[PATH_MAX], rpath[PATH_MAX];
	int rc = 1;
	if (!realpath(root, rroot) || !realpath(joined, rpath))
		goto out;
	size_t rl = strlen(rroot);
	if (strncmp(rpath, rroot, rl) || (rpath[rl] && rpath[rl] != '/')) {
		rc = err_fail(e, "BuildFailed", "path '%s' is outside the source root", rel);
		goto out;
	}
	struct stat st;
	if (stat(rpath, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	if (st.st_size > SOPS_MAX_INPUT) {
		rc = err_fail(e, "BuildFailed",
			"cannot decrypt file with size (%lld bytes) exceeding limit (%d)",
			(long long)st.st_size, SOPS_MAX_INPUT);
		goto out;
	}
	FILE *f = fopen(rpath, "rb");
	if (!f) {
		rc = err_fail(e, "BuildFailed", "cannot read '%s': %s", rel, strerror(errno));
		goto out;
	}
	char tmp[8192];
	size_t n;
	rc = 0;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_add(out, tmp, n) < 0) {
			rc = err_fail(e, "BuildFailed", "'%s' is too large", rel);
			break;
		}
	fclose(f);
out:
	free(joined);
	return rc;
}

/* The decrypted KEY=value lines become the generator's literals, so nothing decrypted is
 * written to disk. */
static void add_literals(cJSON *gen, buf *plain)
{
	cJSON *lits = cJSON_GetObjectItemCaseSensitive(gen, "literals");
	if (!cJSON_IsArray(lits)) {
		cJSON_DeleteItemFromObjectCaseSensitive(gen, "literals");
		lits = cJSON_AddArrayToObject(gen, "literals");
	}
	if (!plain->data)
		return;
	char *save = NULL;
	for (char *l = strtok_r(plain->data, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (*l != '#')
			cJSON_AddItemToArray(lits, cJSON_CreateString(l));
}

/* One `envs` entry of generator gen: decrypted into literals when it is a SOPS dotenv file.
 * *keys is fetched on first need. 1 when the entry was replaced, 0 left alone, -1 error. */
static int decrypt_env(rt_ctx *ctx, const cJSON *dec, sops_keys **keys, const char *root,
	const char *dir, cJSON *gen, const char *rel, err *e)
{
	buf raw, plain;
	buf_init(&raw, SOPS_MAX_INPUT);
	buf_init(&plain, SOPS_MAX_INPUT * 2);
	int rc = read_inside(root, dir, rel, &raw, e);
	if (rc != 0 || !raw.data || !strstr(raw.data, "sops_mac=ENC[")) {
		rc = rc < 0 ? -1 : 0;
		goto out;
	}
	if (!*keys && !(*keys = keys_for(ctx, dec, e))) {
		rc = -1;
		goto out;
	}
	err de = {0};
	if (sops_decrypt_file(*keys, raw.data, raw.len, SOPS_FMT_DOTENV, SOPS_FMT_DOTENV, false,
		    &plain, &de) < 0) {
		rc = err_fail(e, "BuildFailed",
			"error decrypting sources: failed to decrypt '%s': %s", rel, de.msg);
		goto out;
	}
	add_literals(gen, &plain);
	rc = 1;
out:
	if (plain.data)
		OPENSSL_cleanse(plain.data, plain.len);
	buf_release(&plain);
	buf_release(&raw);
	return rc;
}

int kc_decrypt_sources(rt_ctx *ctx, const cJSON *ks, const char *root, const char *dir,
	cJSON *k, err *e)
{
	const cJSON *dec = sops_decryption(ks);
	if (!dec)
		return 0;
	sops_keys *keys = NULL;
	int rc = 0;
	cJSON *gen;
	cJSON_ArrayForEach(gen, cJSON_GetObjectItemCaseSensitive(k, "secretGenerator")) {
		cJSON *envs = cJSON_GetObjectItemCaseSensitive(gen, "envs");
		cJSON *env = cJSON_IsArray(envs) ? envs->child : NULL;
		while (env && rc >= 0) {
			cJSON *next = env->next;
			if (cJSON_IsString(env)) {
				rc = decrypt_env(ctx, dec, &keys, root, dir, gen, env->valuestring,
					e);
				if (rc == 1)
					cJSON_Delete(cJSON_DetachItemViaPointer(envs, env));
			}
			env = next;
		}
		if (rc < 0)
			break;
	}
	sops_keys_free(keys);
	return rc < 0 ? -1 : 0;
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
	sops_keys *k = keys_for(ctx, dec, e);
	if (!k)
		return -1;
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
