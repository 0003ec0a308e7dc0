/* sops: age v1 (age-encryption.org/v1) decryption with X25519 identities, for SOPS data keys.
 * Header: "age-encryption.org/v1", stanzas "-> type args" with a base64 body wrapped at 64
 * columns, "--- <mac>"; X25519 stanza key = HKDF-SHA256(shared, share||recipient,
 * "age-encryption.org/v1/X25519"), file key = ChaCha20-Poly1305 of the body under a zero nonce;
 * header MAC = HMAC-SHA256(HKDF(file key, "", "header"), header up to "---"); payload = 16-byte
 * nonce then STREAM chunks of 64 KiB under HKDF(file key, nonce, "payload"). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>

#include "eddy/codec.h"
#include "eddy/mem.h"
#include "sops_int.h"

#define AGE_ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define AGE_ARMOR_END "-----END AGE ENCRYPTED FILE-----"
#define CHUNK 65536

int sops_hkdf(const unsigned char *ikm, size_t ikm_len, const unsigned char *salt,
	size_t salt_len, const char *info, unsigned char *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (!kdf)
		return -1;
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!c)
		return -1;
	OSSL_PARAM p[5];
	int i = 0;
	p[i++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	p[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
	if (salt && salt_len)
		p[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
			salt_len);
	p[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
		strlen(info));
	p[i] = OSSL_PARAM_construct_end();
	int rc = EVP_KDF_derive(c, out, out_len, p) == 1 ? 0 : -1;
	EVP_KDF_CTX_free(c);
	return rc;
}

/* ChaCha20-Poly1305 open; in holds ciphertext||tag. 0 or -1. */
static int chacha_open(const unsigned char key[32], const unsigned char nonce[12],
	const unsigned char *in, size_t n, unsigned char *out)
{
	if (n < 16)
		return -1;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, ok = c && EVP_DecryptInit_ex(c, EVP_chacha20_poly1305(), NULL, NULL, NULL) &&
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) &&
		EVP_DecryptInit_ex(c, NULL, NULL, key, nonce) &&
		EVP_DecryptUpdate(c, out, &len, in, (int)(n - 16)) &&
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(in + n - 16)) &&
		EVP_DecryptFinal_ex(c, out + len, &len);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static int x25519(const unsigned char sk[32], const unsigned char pk[32], unsigned char out[32])
{
	EVP_PKEY *a = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, 32);
	EVP_PKEY *b = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pk, 32);
	EVP_PKEY_CTX *c = a ? EVP_PKEY_CTX_new(a, NULL) : NULL;
	size_t n = 32;
	int ok = a && b && c && EVP_PKEY_derive_init(c) > 0 && EVP_PKEY_derive_set_peer(c, b) > 0 &&
		 EVP_PKEY_derive(c, out, &n) > 0 && n == 32;
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	return ok ? 0 : -1;
}

/* ---------------------------------------------------------------- identities (bech32) */

static const char B32[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod(const unsigned char *v, size_t n)
{
	static const uint32_t G[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
	uint32_t chk = 1;
	for (size_t i = 0; i < n; i++) {
		uint32_t top = chk >> 25;
		chk = ((chk & 0x1ffffff) << 5) ^ v[i];
		for (int j = 0; j < 5; j++)
			if ((top >> j) & 1)
				chk ^= G[j];
	}
	return chk;
}

/* Decode a bech32 string with the given hrp into exactly 32 bytes. */
static int bech32_32(const char *s, size_t n, const char *hrp, unsigned char out[32])
{
	size_t hl = strlen(hrp);
	if (n < hl + 1 + 6 || n > 120)
		return -1;
	unsigned char v[256];
	size_t k = 0;
	for (size_t i = 0; i < hl; i++) {
		if (tolower((unsigned char)s[i]) != hrp[i])
			return -1;
		v[k++] = (unsigned char)(hrp[i] >> 5);
	}
	v[k++] = 0;
	for (size_t i = 0; i < hl; i++)
		v[k++] = (unsigned char)(hrp[i] & 31);
	if (s[hl] != '1')
		return -1;
	size_t d0 = k;
	for (size_t i = hl + 1; i < n; i++) {
		const char *q = strchr(B32, tolower((unsigned char)s[i]));
		if (!q || !*q)
			return -1;
		v[k++] = (unsigned char)(q - B32);
	}
	if (polymod(v, k) != 1)
		return -1;
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = d0; i < k - 6; i++) {
		acc = (acc << 5) | v[i];
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= 32)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (o != 32 || bits >= 5 || (acc & ((1u << bits) - 1)))
		return -1;
	return 0;
}

int sops_keys_add_age(sops_keys *k, const char *text, size_t len, err *e)
{
	size_t i = 0;
	int lineno = 0;
	while (i < len) {
		size_t st = i;
		while (i < len && text[i] != '\n')
			i++;
		size_t en = i;
		i++;
		lineno++;
		while (st < en && isspace((unsigned char)text[st]))
			st++;
		while (en > st && isspace((unsigned char)text[en - 1]))
			en--;
		if (st == en || text[st] == '#')
			continue;
		unsigned char sk[32];
		if (bech32_32(text + st, en - st, "age-secret-key-", sk) < 0)
			return err_fail(e, "DecryptionFailed",
				"failed to parse age identity on line %d: not an X25519 identity",
				lineno);
		if (k->nage >= SOPS_MAX_KEYS) {
			OPENSSL_cleanse(sk, sizeof sk);
			return err_fail(e, "DecryptionFailed", "too many age identities");
		}
		k->age = xrealloc(k->age, (k->nage + 1) * sizeof *k->age);
		sops_age_id *id = &k->age[k->nage];
		memcpy(id->sk, sk, 32);
		OPENSSL_cleanse(sk, sizeof sk);
		EVP_PKEY *p = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, id->sk, 32);
		size_t pl = 32;
		int ok = p && EVP_PKEY_get_raw_public_key(p, id->pk, &pl) > 0 && pl == 32;
		EVP_PKEY_free(p);
		if (!ok)
			return err_fail(e, "DecryptionFailed", "invalid age identity on line %d",
				lineno);
		k->nage++;
	}
	return 0;
}

/* ---------------------------------------------------------------- the file */

/* Remove the armor: the base64 between the BEGIN and END lines, decoded. */
static unsigned char *dearmor(const char *s, size_t n, size_t *out_len)
{
	const char *b = memmem(s, n, AGE_ARMOR_BEGIN, strlen(AGE_ARMOR_BEGIN));
	if (!b)
		return NULL;
	b += strlen(AGE_ARMOR_BEGIN);
	const char *end = memmem(b, n - (size_t)(b - s), AGE_ARMOR_END, strlen(AGE_ARMOR_END));
	if (!end)
		return NULL;
	char *t = xmalloc((size_t)(end - b) + 1);
	size_t k = 0;
	for (const char *q = b; q < end; q++)
		if (!isspace((unsigned char)*q))
			t[k++] = *q;
	unsigned char *r = (unsigned char *)b64_decode(t, k, B64_LENIENT, 0, out_len);
	free(t);
	return r;
}

typedef struct stanza {
	char type[16];
	unsigned char share[32];
	bool have_share;
	unsigned char body[64];
	size_t blen;
} stanza;

int sops_age_unwrap(const sops_keys *k, const char *armored, size_t len, unsigned char *dk,
	size_t *dkn, err *e)
{
	size_t n = 0;
	unsigned char *f = dearmor(armored, len, &n);
	if (!f) {
		if (len >= 21 && !memcmp(armored, "age-encryption.org/v1", 21)) {
			f = xmalloc(len);
			memcpy(f, armored, len);
			n = len;
		} else {
			return err_fail(e, "DecryptionFailed", "malformed age armor");
		}
	}
	int rc = -1;
	stanza st[32];
	size_t ns = 0;
	unsigned char fk[16], hk[32], mac[32], pk[32], wk[32], sh[32];
	const char *V = "age-encryption.org/v1\n";
	size_t i = strlen(V), hdr_end = 0;
	if (n < i || memcmp(f, V, i)) {
		err_fail(e, "DecryptionFailed", "not an age v1 file");
		goto out;
	}
	/* stanzas */
	for (;;) {
		const unsigned char *nl = memchr(f + i, '\n', n - i);
		if (!nl) {
			err_fail(e, "DecryptionFailed", "truncated age header");
			goto out;
		}
		size_t ll = (size_t)(nl - (f + i));
		const char *line = (const char *)f + i;
		if (ll >= 3 && !memcmp(line, "---", 3)) {
			hdr_end = i + 3;
			if (ll < 4 || line[3] != ' ') {
				err_fail(e, "DecryptionFailed", "malformed age header MAC line");
				goto out;
			}
			size_t ml = 0;
			unsigned char *m =
				(unsigned char *)b64_decode(line + 4, ll - 4, B64_LENIENT, 0, &ml);
			if (!m || ml != 32) {
				free(m);
				err_fail(e, "DecryptionFailed", "malformed age header MAC");
				goto out;
			}
			memcpy(mac, m, 32);
			free(m);
			i += ll + 1;
			break;
		}
		if (ll < 3 || memcmp(line, "-> ", 3) || ns >= 32) {
			err_fail(e, "DecryptionFailed", "malformed age stanza");
			goto out;
		}
		stanza *s = &st[ns++];
		memset(s, 0, sizeof *s);
		/* type and arguments */
		const char *a = line + 3, *le = line + ll;
		const char *sp = memchr(a, ' ', (size_t)(le - a));
		size_t tl = (size_t)((sp ? sp : le) - a);
		if (tl == 0 || tl >= sizeof s->type) {
			snprintf(s->type, sizeof s->type, "?");
		} else {
			memcpy(s->type, a, tl);
			s->type[tl] = 0;
		}
		if (!strcmp(s->type, "X25519") && sp) {
			size_t sl = 0;
			size_t svn = (size_t)(le - sp - 1);
			unsigned char *sv =
				(unsigned char *)b64_decode(sp + 1, svn, B64_LENIENT, 0, &sl);
			if (sv && sl == 32) {
				memcpy(s->share, sv, 32);
				s->have_share = true;
			}
			free(sv);
		}
		i += ll + 1;
		/* body: lines of 64 columns, ended by a shorter one */
		buf body;
		buf_init(&body, 4096);
		for (;;) {
			const unsigned char *bl = memchr(f + i, '\n', n - i);
			if (!bl) {
				buf_release(&body);
				err_fail(e, "DecryptionFailed", "truncated age stanza");
				goto out;
			}
			size_t bll = (size_t)(bl - (f + i));
			if (bll > 64 || buf_add(&body, f + i, bll) < 0) {
				buf_release(&body);
				err_fail(e, "DecryptionFailed", "malformed age stanza body");
				goto out;
			}
			i += bll + 1;
			if (bll < 64)
				break;
		}
		size_t dl = 0;
		unsigned char *d = NULL;
		if (body.len)
			d = (unsigned char *)b64_decode(body.data, body.len, B64_LENIENT, 0, &dl);
		buf_release(&body);
		if (d && dl <= sizeof s->body) {
			memcpy(s->body, d, dl);
			s->blen = dl;
		}
		free(d);
	}
	/* find our stanza */
	bool found = false;
	for (size_t si = 0; si < ns && !found; si++) {
		stanza *s = &st[si];
		if (strcmp(s->type, "X25519") || !s->have_share || s->blen != 32)
			continue;
		for (size_t ki = 0; ki < k->nage && !found; ki++) {
			const sops_age_id *id = &k->age[ki];
			unsigned char salt[64];
			if (x25519(id->sk, s->share, sh) < 0)
				continue;
			memcpy(salt, s->share, 32);
			memcpy(salt + 32, id->pk, 32);
			static const unsigned char zn[12];
			static const char info[] = "age-encryption.org/v1/X25519";
			if (sops_hkdf(sh, 32, salt, 64, info, wk, 32) == 0 &&
			    chacha_open(wk, zn, s->body, 32, fk) == 0)
				found = true;
		}
	}
	(void)pk;
	if (!found) {
		rc = 1;
		err_fail(e, "DecryptionFailed", "no age identity matches the file's recipients");
		goto out;
	}
	/* header MAC */
	unsigned char hm[32];
	unsigned int hml = 32;
	if (sops_hkdf(fk, 16, NULL, 0, "header", hk, 32) < 0 ||
	    !HMAC(EVP_sha256(), hk, 32, f, hdr_end, hm, &hml) || CRYPTO_memcmp(hm, mac, 32)) {
		err_fail(e, "DecryptionFailed", "age header MAC mismatch");
		goto out;
	}
	/* payload */
	if (n - i < 16 + 16) {
		err_fail(e, "DecryptionFailed", "truncated age payload");
		goto out;
	}
	unsigned char pkey[32];
	if (sops_hkdf(fk, 16, f + i, 16, "payload", pkey, 32) < 0) {
		err_fail(e, "DecryptionFailed", "key derivation failed");
		goto out;
	}
	i += 16;
	size_t total = 0;
	unsigned char *plain = xmalloc(CHUNK);
	for (uint64_t ctr = 0;; ctr++) {
		size_t rem = n - i, cl = rem > CHUNK + 16 ? CHUNK + 16 : rem;
		bool last = rem <= CHUNK + 16;
		unsigned char nonce[12] = {0};
		for (int b = 0; b < 8; b++)
			nonce[10 - b] = (unsigned char)(ctr >> (8 * b));
		nonce[11] = last ? 1 : 0;
		if (cl < 16 || chacha_open(pkey, nonce, f + i, cl, plain) < 0) {
			err_fail(e, "DecryptionFailed", "age payload authentication failed");
			break;
		}
		size_t pl = cl - 16;
		if (total + pl > 64) {
			err_fail(e, "DecryptionFailed", "age payload too large for a data key");
			break;
		}
		memcpy(dk + total, plain, pl);
		total += pl;
		i += cl;
		if (last) {
			*dkn = total;
			rc = 0;
			break;
		}
	}
	OPENSSL_cleanse(plain, CHUNK);
	free(plain);
	OPENSSL_cleanse(pkey, sizeof pkey);
out:
	OPENSSL_cleanse(fk, sizeof fk);
	OPENSSL_cleanse(hk, sizeof hk);
	OPENSSL_cleanse(wk, sizeof wk);
	OPENSSL_cleanse(sh, sizeof sh);
	free(f);
	return rc;
}
