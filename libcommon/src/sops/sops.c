/* sops: SOPS documents (see eddy/sops.h); age in sops_age.c, OpenPGP in sops_pgp.c. */
#include "eddy/sops.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "eddy/codec.h"
#include "eddy/json.h"
#include "eddy/mem.h"
#include "eddy/regex.h"
#include "eddy/yml.h"
#include "sops_int.h"

enum { MAX_DEPTH = 200 };

/* The 32 bytes sha256("sops") that start the MAC of a mac_only_encrypted document. */
static const unsigned char MAC_ONLY_INIT[32] = {0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52,
	0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72,
	0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69};

/* ---------------------------------------------------------------- keys */

sops_keys *sops_keys_new(void)
{
	return xcalloc(1, sizeof(sops_keys));
}

void sops_keys_free(sops_keys *k)
{
	if (!k)
		return;
	if (k->age)
		OPENSSL_cleanse(k->age, k->nage * sizeof *k->age);
	free(k->age);
	for (size_t i = 0; i < k->npgp; i++)
		EVP_PKEY_free(k->pgp[i].pkey);
	if (k->pgp)
		OPENSSL_cleanse(k->pgp, k->npgp * sizeof *k->pgp);
	free(k->pgp);
	free(k);
}

size_t sops_keys_count(const sops_keys *k)
{
	return k ? k->nage + k->npgp : 0;
}

/* ---------------------------------------------------------------- values */

int sops_decrypt_value(const unsigned char key[32], const char *enc, const char *aad, buf *out,
	char type[8], err *e)
{
	static const char *const F[] = {"ENC[AES256_GCM,data:", ",iv:", ",tag:", ",type:"};
	const char *p = enc, *part[4];
	size_t plen[4];
	for (int i = 0; i < 4; i++) {
		size_t fl = strlen(F[i]);
		if (strncmp(p, F[i], fl))
			return err_fail(e, "DecryptionFailed",
				"value does not match the SOPS data format");
		p += fl;
		part[i] = p;
		const char *nx = i < 3 ? strstr(p, F[i + 1]) : strrchr(p, ']');
		if (!nx || nx == p)
			return err_fail(e, "DecryptionFailed",
				"value does not match the SOPS data format");
		plen[i] = (size_t)(nx - p);
		p = nx;
	}
	if (plen[3] >= 8)
		return err_fail(e, "DecryptionFailed", "unknown SOPS value type");
	memcpy(type, part[3], plen[3]);
	type[plen[3]] = 0;
	size_t dl = 0, il = 0, tl = 0;
	unsigned char *data = (unsigned char *)b64_decode(part[0], plen[0], B64_LENIENT, 0, &dl);
	unsigned char *iv = (unsigned char *)b64_decode(part[1], plen[1], B64_LENIENT, 0, &il);
	unsigned char *tag = (unsigned char *)b64_decode(part[2], plen[2], B64_LENIENT, 0, &tl);
	int rc = -1;
	if (!data || !iv || !tag || tl != 16 || il == 0 || il > 64 || dl > SOPS_MAX_INPUT) {
		err_fail(e, "DecryptionFailed", "malformed SOPS value");
		goto out;
	}
	unsigned char *pt = xmalloc(dl + 1);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ol = 0, fl = 0;
	bool ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)il, NULL) &&
		  EVP_DecryptInit_ex(c, NULL, NULL, key, iv) &&
		  EVP_DecryptUpdate(c, NULL, &ol, (const unsigned char *)aad, (int)strlen(aad)) &&
		  EVP_DecryptUpdate(c, pt, &ol, data, (int)dl) &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) &&
		  EVP_DecryptFinal_ex(c, pt + ol, &fl);
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		err_fail(e, "DecryptionFailed",
			"could not decrypt with AES_GCM (wrong data key or tampered value)");
	else if (buf_add(out, pt, dl) < 0)
		err_fail(e, "DecryptionFailed", "decrypted value too large");
	else
		rc = 0;
	OPENSSL_cleanse(pt, dl + 1);
	free(pt);
out:
	free(data);
	free(iv);
	free(tag);
	return rc;
}

/* ---------------------------------------------------------------- metadata */

typedef struct meta {
	const char *unenc_suffix, *enc_suffix;
	rx *unenc_re, *enc_re;
	bool mac_only;
} meta;

static rx *re_compile(const char *pat, err *e)
{
	rx *c = rx_compile(pat, RX_UTF, NULL, 0);
	if (!c)
		err_fail(e, "DecryptionFailed", "invalid regular expression in SOPS metadata");
	else
		rx_set_limits(c, 100000, 0);
	return c;
}

static void meta_release(meta *m)
{
	rx_free(m->unenc_re);
	rx_free(m->enc_re);
}

static int meta_init(meta *m, const cJSON *s, err *e)
{
	memset(m, 0, sizeof *m);
	m->unenc_suffix = json_nonempty(s, "unencrypted_suffix");
	m->enc_suffix = json_nonempty(s, "encrypted_suffix");
	const char *ur = json_nonempty(s, "unencrypted_regex");
	const char *er = json_nonempty(s, "encrypted_regex");
	m->mac_only = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "mac_only_encrypted"));
	if (!m->unenc_suffix && !m->enc_suffix && !ur && !er &&
	    !json_nonempty(s, "unencrypted_comment_regex") &&
	    !json_nonempty(s, "encrypted_comment_regex"))
		m->unenc_suffix = "_unencrypted";
	if ((ur && !(m->unenc_re = re_compile(ur, e))) ||
	    (er && !(m->enc_re = re_compile(er, e)))) {
		meta_release(m);
		return -1;
	}
	return 0;
}

static bool re_any(const rx *re, char **path, size_t np)
{
	for (size_t i = 0; i < np; i++)
		if (rx_test(re, path[i]) == 1)
			return true;
	return false;
}

static bool suffix_any(const char *suf, char **path, size_t np)
{
	size_t sl = strlen(suf);
	for (size_t i = 0; i < np; i++) {
		size_t l = strlen(path[i]);
		if (l >= sl && !strcmp(path[i] + l - sl, suf))
			return true;
	}
	return false;
}

static bool should_encrypt(const meta *m, char **path, size_t np)
{
	bool enc = true;
	if (m->unenc_suffix && suffix_any(m->unenc_suffix, path, np))
		enc = false;
	if (m->enc_suffix)
		enc = suffix_any(m->enc_suffix, path, np);
	if (m->unenc_re && re_any(m->unenc_re, path, np))
		enc = false;
	if (m->enc_re)
		enc = re_any(m->enc_re, path, np);
	return enc;
}

/* ---------------------------------------------------------------- data key */

static int data_key(const sops_keys *k, const cJSON *s, unsigned char dk[32], err *e)
{
	const cJSON *groups = json_arr(s, "key_groups");
	if (cJSON_GetArraySize(groups) > 1)
		return err_fail(e, "DecryptionFailed",
			"cannot get sops data key: Shamir secret sharing (several key groups) "
			"is not supported");
	const cJSON *src = cJSON_GetArraySize(groups) == 1 ? cJSON_GetArrayItem(groups, 0) : s;
	size_t tried = 0;
	err last = {0};
	unsigned char tmp[64];
	size_t n = 0;
	static const char *const kinds[] = {"age", "pgp"};
	for (int kind = 0; kind < 2; kind++) {
		const cJSON *it;
		cJSON_ArrayForEach(it, json_arr(src, kinds[kind])) {
			const char *enc = json_nonempty(it, "enc");
			if (!enc)
				continue;
			tried++;
			int r = kind == 0 ? sops_age_unwrap(k, enc, strlen(enc), tmp, &n, &last)
					  : sops_pgp_unwrap(k, enc, strlen(enc), tmp, &n, &last);
			if (r == 0 && n == 32) {
				memcpy(dk, tmp, 32);
				OPENSSL_cleanse(tmp, sizeof tmp);
				return 0;
			}
			OPENSSL_cleanse(tmp, sizeof tmp);
		}
	}
	if (!tried)
		return err_fail(e, "DecryptionFailed",
			"cannot get sops data key: no age or PGP master key in the SOPS metadata");
	return err_fail(e, "DecryptionFailed", "cannot get sops data key: %s", last.msg);
}

/* ---------------------------------------------------------------- the tree */

/* Go's strconv.FormatFloat(v, 'f', -1, 64). */
static void go_float(double v, char *out, size_t n)
{
	if (isnan(v)) {
		snprintf(out, n, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, n, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	char tmp[64];
	int prec;
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* tmp = [-]d.ddde[+-]XX: rebuild without the exponent */
	char digits[32];
	size_t nd = 0;
	const char *p = tmp;
	bool neg = *p == '-';
	if (neg)
		p++;
	for (; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			digits[nd++] = *p;
	long x = strtol(p + 1, NULL, 10);
	buf b;
	buf_init(&b, 1024);
	if (neg)
		buf_addc(&b, '-');
	long pointpos = x + 1; /* digits before the point */
	if (pointpos <= 0) {
		buf_adds(&b, "0.");
		for (long i = 0; i < -pointpos; i++)
			buf_addc(&b, '0');
		buf_add(&b, digits, nd);
	} else if ((size_t)pointpos >= nd) {
		buf_add(&b, digits, nd);
		for (size_t i = nd; i < (size_t)pointpos; i++)
			buf_addc(&b, '0');
	} else {
		buf_add(&b, digits, (size_t)pointpos);
		buf_addc(&b, '.');
		buf_add(&b, digits + pointpos, nd - (size_t)pointpos);
	}
	snprintf(out, n, "%s", buf_str(&b));
	buf_release(&b);
}

typedef struct walk {
	const meta *m;
	const unsigned char *key;
	EVP_MD_CTX *mac;
	char *path[MAX_DEPTH];
	size_t np;
	err *e;
} walk;

static void mac_add(walk *w, const void *d, size_t n)
{
	if (w->mac)
		EVP_DigestUpdate(w->mac, d, n);
}

static bool is_int_literal(const cJSON *v)
{
	int64_t i;
	if (!yml_number_int(v, &i))
		return false;
	const char *lit = v->valuestring;
	return !lit || !strpbrk(lit, ".eEnN");
}

/* A leaf: decrypt if needed (replacing *slot), add to the MAC. */
static int leaf(walk *w, cJSON *parent, cJSON *v)
{
	bool enc = should_encrypt(w->m, w->path, w->np);
	if (cJSON_IsNull(v))
		return 0;
	if (!enc) {
		if (w->m->mac_only)
			return 0;
		char tmp[64];
		if (cJSON_IsString(v)) {
			mac_add(w, v->valuestring, strlen(v->valuestring));
		} else if (cJSON_IsBool(v)) {
			mac_add(w, cJSON_IsTrue(v) ? "True" : "False", cJSON_IsTrue(v) ? 4 : 5);
		} else if (cJSON_IsNumber(v)) {
			int64_t i;
			if (is_int_literal(v) && yml_number_int(v, &i))
				snprintf(tmp, sizeof tmp, "%lld", (long long)i);
			else
				go_float(v->valuedouble, tmp, sizeof tmp);
			mac_add(w, tmp, strlen(tmp));
		}
		return 0;
	}
	if (!cJSON_IsString(v))
		return err_fail(w->e, "DecryptionFailed",
			"a value that should be encrypted is not");
	if (!v->valuestring[0])
		return 0;
	buf aad, pt;
	buf_init(&aad, 1u << 20);
	buf_init(&pt, SOPS_MAX_INPUT);
	for (size_t i = 0; i < w->np; i++) {
		buf_adds(&aad, w->path[i]);
		buf_addc(&aad, ':');
	}
	char type[8];
	int rc = sops_decrypt_value(w->key, v->valuestring, buf_str(&aad), &pt, type, w->e);
	buf_release(&aad);
	if (rc < 0) {
		buf_release(&pt);
		return -1;
	}
	mac_add(w, pt.data ? pt.data : "", pt.len);
	const char *s = buf_str(&pt);
	cJSON *nv = NULL;
	if (!strcmp(type, "str") || !strcmp(type, "bytes")) {
		if (memchr(s, 0, pt.len))
			rc = err_fail(w->e, "DecryptionFailed", "decrypted value holds a NUL byte");
		else
			nv = cJSON_CreateString(s);
	} else if (!strcmp(type, "float")) {
		char *end = NULL;
		double dv = strtod(s, &end);
		if (*s && end && !*end)
			nv = cJSON_CreateNumber(dv);
		else
			rc = err_fail(w->e, "DecryptionFailed", "decrypted float is not a number");
	} else if (!strcmp(type, "int") || !strcmp(type, "int64")) {
		nv = yml_number_new(s);
		if (!nv)
			rc = err_fail(w->e, "DecryptionFailed", "decrypted %s is not a number",
				type);
	} else if (!strcmp(type, "bool")) {
		if (!strcmp(s, "True") || !strcmp(s, "true") || !strcmp(s, "TRUE") ||
		    !strcmp(s, "1") || !strcmp(s, "t") || !strcmp(s, "T"))
			nv = cJSON_CreateTrue();
		else if (!strcmp(s, "False") || !strcmp(s, "false") || !strcmp(s, "FALSE") ||
			 !strcmp(s, "0") || !strcmp(s, "f") || !strcmp(s, "F"))
			nv = cJSON_CreateFalse();
		else
			rc = err_fail(w->e, "DecryptionFailed", "decrypted bool is not a boolean");
	} else {
		rc = err_fail(w->e, "DecryptionFailed", "unknown SOPS value type '%s'", type);
	}
	if (pt.data)
		OPENSSL_cleanse(pt.data, pt.len);
	buf_release(&pt);
	if (nv) {
		if (v->string && !(v->type & cJSON_StringIsConst))
			nv->string = xstrdup(v->string);
		cJSON_ReplaceItemViaPointer(parent, v, nv);
	}
	return rc;
}

static int walk_value(walk *w, cJSON *parent, cJSON *v, int depth);

static int walk_children(walk *w, cJSON *v, bool top, int depth)
{
	if (depth > MAX_DEPTH - 2)
		return err_fail(w->e, "DecryptionFailed", "SOPS document nested too deeply");
	cJSON *c = v->child;
	while (c) {
		cJSON *next = c->next;
		if (cJSON_IsObject(v)) {
			if (top && c->string && !strcmp(c->string, "sops")) {
				c = next;
				continue;
			}
			w->path[w->np++] = c->string ? c->string : (char *)"";
		}
		int rc = walk_value(w, v, c, depth + 1);
		if (cJSON_IsObject(v))
			w->np--;
		if (rc < 0)
			return -1;
		c = next;
	}
	return 0;
}

static int walk_value(walk *w, cJSON *parent, cJSON *v, int depth)
{
	if (cJSON_IsObject(v) || cJSON_IsArray(v))
		return walk_children(w, v, false, depth);
	return leaf(w, parent, v);
}

/* Go's RFC 3339 formatting of the parsed lastmodified: fractional seconds dropped. */
static char *rfc3339_seconds(const char *s)
{
	char *r = xstrdup(s);
	char *dot = strchr(r, '.');
	if (dot && dot > r + 10) {
		char *q = dot + 1;
		while (isdigit((unsigned char)*q))
			q++;
		memmove(dot, q, strlen(q) + 1);
	}
	return r;
}

bool sops_is_encrypted(const cJSON *doc)
{
	const cJSON *s = cJSON_IsObject(doc) ? cJSON_GetObjectItemCaseSensitive(doc, "sops") : NULL;
	return cJSON_IsObject(s) && cJSON_GetObjectItemCaseSensitive(s, "mac");
}

int sops_decrypt_tree(const sops_keys *k, cJSON *doc, bool verify_mac, err *e)
{
	if (!sops_is_encrypted(doc))
		return err_fail(e, "DecryptionFailed", "sops metadata not found");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "sops");
	meta m;
	if (meta_init(&m, s, e) < 0)
		return -1;
	unsigned char dk[32];
	if (data_key(k, s, dk, e) < 0) {
		meta_release(&m);
		return -1;
	}
	walk w = {.m = &m, .key = dk, .e = e};
	int rc = -1;
	if (verify_mac) {
		w.mac = EVP_MD_CTX_new();
		if (!w.mac || !EVP_DigestInit_ex(w.mac, EVP_sha512(), NULL)) {
			err_fail(e, "DecryptionFailed", "SHA-512 failed");
			goto out;
		}
		if (m.mac_only)
			mac_add(&w, MAC_ONLY_INIT, sizeof MAC_ONLY_INIT);
	}
	if (walk_children(&w, doc, true, 0) < 0)
		goto out;
	if (verify_mac) {
		unsigned char h[64];
		char hex[129];
		EVP_DigestFinal_ex(w.mac, h, NULL);
		hex_encode(hex, h, sizeof h, HEX_UPPER);
		const char *lm = json_nonempty(s, "lastmodified");
		const char *mac = json_nonempty(s, "mac");
		char *aad = rfc3339_seconds(lm ? lm : "");
		buf want;
		buf_init(&want, 4096);
		char type[8];
		int r = mac ? sops_decrypt_value(dk, mac, aad, &want, type, e) : -1;
		free(aad);
		if (r < 0) {
			if (!mac)
				err_fail(e, "DecryptionFailed", "the document has no MAC");
			err_prefix(e, "failed to verify sops data integrity");
			buf_release(&want);
			goto out;
		}
		bool same = want.len == 128 && !strcmp(want.data, hex);
		buf_release(&want);
		if (!same) {
			err_fail(e, "DecryptionFailed",
				"failed to verify sops data integrity: MAC mismatch");
			goto out;
		}
	}
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "sops");
	rc = 0;
out:
	EVP_MD_CTX_free(w.mac);
	OPENSSL_cleanse(dk, sizeof dk);
	meta_release(&m);
	return rc;
}

/* ---------------------------------------------------------------- file formats */

sops_format sops_detect_format(const char *d, size_t n)
{
	if (memmem(d, n, "\"mac\": \"ENC[", 12))
		return SOPS_FMT_JSON;
	if (memmem(d, n, "sops_mac=ENC[", 13))
		return SOPS_FMT_DOTENV;
	if (memmem(d, n, "mac: ENC[", 9))
		return SOPS_FMT_YAML;
	return SOPS_FMT_NONE;
}

sops_format sops_format_for_path(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (!dot)
		return SOPS_FMT_BINARY;
	if (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml"))
		return SOPS_FMT_YAML;
	if (!strcmp(dot, ".json"))
		return SOPS_FMT_JSON;
	if (!strcmp(dot, ".env"))
		return SOPS_FMT_DOTENV;
	return SOPS_FMT_BINARY;
}

/* dotenv: KEY=VALUE lines ("\n" escapes newlines); sops_* keys are the flattened metadata
 * (sops_age__list_0__map_enc). */
static cJSON *dotenv_parse(const char *d, size_t n, err *e)
{
	cJSON *doc = cJSON_CreateObject(), *s = cJSON_AddObjectToObject(doc, "sops");
	size_t i = 0;
	while (i < n) {
		size_t st = i;
		while (i < n && d[i] != '\n')
			i++;
		size_t en = i++;
		if (en > st && d[en - 1] == '\r')
			en--;
		if (st == en || d[st] == '#')
			continue;
		const char *eq = memchr(d + st, '=', en - st);
		if (!eq) {
			cJSON_Delete(doc);
			err_fail(e, "DecryptionFailed", "invalid dotenv line");
			return NULL;
		}
		char *key = xstrndup(d + st, (size_t)(eq - d - st));
		buf v;
		buf_init(&v, SOPS_MAX_INPUT);
		for (const char *q = eq + 1; q < d + en; q++) {
			if (*q == '\\' && q + 1 < d + en && q[1] == 'n') {
				buf_addc(&v, '\n');
				q++;
			} else {
				buf_addc(&v, *q);
			}
		}
		char *val = buf_detach(&v, NULL);
		if (!strncmp(key, "sops_", 5)) {
			const char *r = key + 5, *l = strstr(r, "__list_");
			if (l) {
				char *kind = xstrndup(r, (size_t)(l - r));
				long idx = strtol(l + 7, NULL, 10);
				const char *mp = strstr(l, "__map_");
				cJSON *arr = cJSON_GetObjectItemCaseSensitive(s, kind);
				if (!arr)
					arr = cJSON_AddArrayToObject(s, kind);
				while (idx >= 0 && idx < 64 && cJSON_GetArraySize(arr) <= idx)
					cJSON_AddItemToArray(arr, cJSON_CreateObject());
				cJSON *it = cJSON_GetArrayItem(arr, (int)idx);
				if (mp && it)
					cJSON_AddStringToObject(it, mp + 6, val);
				free(kind);
			} else {
				cJSON_AddStringToObject(s, r, val);
			}
		} else {
			cJSON_AddStringToObject(doc, key, val);
		}
		free(key);
		OPENSSL_cleanse(val, strlen(val));
		free(val);
	}
	return doc;
}

/* Overwrite every string of a plaintext tree before it is freed. */
static void wipe(cJSON *n, int depth)
{
	if (depth > 2000)
		return;
	if (cJSON_IsString(n) && n->valuestring)
		OPENSSL_cleanse(n->valuestring, strlen(n->valuestring));
	for (cJSON *c = n->child; c; c = c->next)
		wipe(c, depth + 1);
}

int sops_decrypt_file(const sops_keys *k, const char *data, size_t len, sops_format in,
	sops_format out_fmt, bool verify_mac, buf *out, err *e)
{
	if (len > SOPS_MAX_INPUT)
		return err_fail(e, "DecryptionFailed", "encrypted file too large");
	cJSON *doc = NULL;
	if (in == SOPS_FMT_YAML)
		doc = yml_parse_one(data, len, NULL, e);
	else if (in == SOPS_FMT_JSON || in == SOPS_FMT_BINARY)
		doc = yml_json_parse(data, len, NULL, e);
	else if (in == SOPS_FMT_DOTENV)
		doc = dotenv_parse(data, len, e);
	else
		return err_fail(e, "DecryptionFailed", "unsupported SOPS format");
	if (!doc) {
		snprintf(e->reason, sizeof e->reason, "DecryptionFailed");
		err_prefix(e, "failed to load encrypted data");
		return -1;
	}
	int rc = sops_decrypt_tree(k, doc, verify_mac, e);
	if (rc == 0) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(doc, "data");
		if (out_fmt == SOPS_FMT_BINARY) {
			if (!cJSON_IsString(d))
				rc = err_fail(e, "DecryptionFailed",
					"binary SOPS file has no data");
			else if (buf_adds(out, d->valuestring) < 0)
				rc = err_fail(e, "DecryptionFailed", "decrypted data too large");
		} else if (out_fmt == SOPS_FMT_YAML) {
			rc = yml_emit(out, doc, e);
		} else if (out_fmt == SOPS_FMT_JSON) {
			rc = yml_json_print(out, doc, e);
		} else {
			const cJSON *it;
			cJSON_ArrayForEach(it, doc) {
				char tmp[64];
				const char *v = "";
				if (cJSON_IsString(it))
					v = it->valuestring;
				else if (cJSON_IsNumber(it))
					v = yml_number_text(it, tmp, sizeof tmp);
				else if (cJSON_IsBool(it))
					v = cJSON_IsTrue(it) ? "true" : "false";
				buf_adds(out, it->string);
				buf_addc(out, '=');
				for (const char *q = v ? v : ""; *q; q++)
					if (*q == '\n')
						buf_adds(out, "\\n");
					else
						buf_addc(out, *q);
				if (buf_addc(out, '\n') < 0) {
					rc = err_fail(e, "DecryptionFailed",
						"decrypted data too large");
					break;
				}
			}
		}
	}
	wipe(doc, 0);
	cJSON_Delete(doc);
	return rc;
}
