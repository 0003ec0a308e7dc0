/* sops: the OpenPGP subset (RFC 4880) SOPS data keys need: armored unprotected RSA secret keys
 * (v4 secret key and subkey packets), PKESK v3 with RSA, SEIPD v1 (AES CFB with a zero IV,
 * quick-check bytes and the MDC), literal data (optionally inside an uncompressed compressed-data
 * packet). Partial body lengths are accepted. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <zlib.h>

#include "eddy/mem.h"
#include "eddy/codec.h"
#include "sops_int.h"

enum { MAX_PACKETS = 256, MAX_BODY = SOPS_MAX_INPUT };

/* ---------------------------------------------------------------- armor */

static uint32_t crc24(const unsigned char *d, size_t n)
{
	uint32_t c = 0xB704CE;
	for (size_t i = 0; i < n; i++) {
		c ^= (uint32_t)d[i] << 16;
		for (int j = 0; j < 8; j++) {
			c <<= 1;
			if (c & 0x1000000)
				c ^= 0x1864CFB;
		}
	}
	return c & 0xFFFFFF;
}

/* The binary of the first armored block whose BEGIN line contains `what`. */
static unsigned char *dearmor(const char *s, size_t n, const char *what, size_t *out_len)
{
	const char *p = s, *end = s + n;
	const char *b = NULL;
	while (p < end) {
		const char *q = memmem(p, (size_t)(end - p), "-----BEGIN PGP ", 15);
		if (!q)
			return NULL;
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		if (!nl)
			return NULL;
		if (memmem(q, (size_t)(nl - q), what, strlen(what))) {
			b = nl + 1;
			break;
		}
		p = nl + 1;
	}
	if (!b)
		return NULL;
	/* headers until a blank line */
	const char *q = b;
	bool headers = false;
	for (const char *l = b; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		const char *le = nl ? nl : end;
		const char *t = l;
		while (t < le && isspace((unsigned char)*t))
			t++;
		if (t == le) {
			q = nl ? nl + 1 : end;
			headers = true;
			break;
		}
		if (!memchr(l, ':', (size_t)(le - l)))
			break;
		l = nl ? nl + 1 : end;
	}
	if (!headers)
		q = b;
	buf b64;
	buf_init(&b64, SOPS_MAX_INPUT * 2);
	const char *crc = NULL;
	for (const char *l = q; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		const char *le = nl ? nl : end;
		if (le - l >= 5 && !memcmp(l, "-----", 5))
			break;
		if (*l == '=' && le - l >= 5 && le - l <= 6) {
			crc = l + 1;
		} else {
			for (const char *c = l; c < le; c++)
				if (!isspace((unsigned char)*c) && buf_addc(&b64, *c) < 0) {
					buf_release(&b64);
					return NULL;
				}
		}
		l = nl ? nl + 1 : end;
	}
	unsigned char *r = (unsigned char *)b64_decode(buf_str(&b64), b64.len, B64_LENIENT, 0,
						       out_len);
	buf_release(&b64);
	if (r && crc) {
		size_t cl = 0;
		unsigned char *cv = (unsigned char *)b64_decode(crc, 4, B64_LENIENT, 0, &cl);
		uint32_t want = cv && cl == 3 ? ((uint32_t)cv[0] << 16 | cv[1] << 8 | cv[2]) : 0;
		free(cv);
		if (cl != 3 || crc24(r, *out_len) != want) {
			OPENSSL_cleanse(r, *out_len);
			free(r);
			return NULL;
		}
	}
	return r;
}

/* ---------------------------------------------------------------- packets */

typedef struct pkt {
	int tag;
	unsigned char *body; /* allocated */
	size_t len;
} pkt;

static void pkts_free(pkt *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].body)
			OPENSSL_cleanse(v[i].body, v[i].len);
		free(v[i].body);
	}
	free(v);
}

static int new_len(const unsigned char *d, size_t n, size_t *i, size_t *len, bool *partial)
{
	*partial = false;
	if (*i >= n)
		return -1;
	unsigned o = d[(*i)++];
	if (o < 192) {
		*len = o;
	} else if (o < 224) {
		if (*i >= n)
			return -1;
		*len = ((size_t)(o - 192) << 8) + d[(*i)++] + 192;
	} else if (o == 255) {
		if (*i + 4 > n)
			return -1;
		*len = (size_t)d[*i] << 24 | (size_t)d[*i + 1] << 16 | (size_t)d[*i + 2] << 8 |
		       d[*i + 3];
		*i += 4;
	} else {
		*len = (size_t)1 << (o & 0x1F);
		*partial = true;
	}
	return 0;
}

/* Split d into packets. NULL on malformed input. */
static pkt *parse_packets(const unsigned char *d, size_t n, size_t *count)
{
	pkt *v = NULL;
	size_t nv = 0, i = 0;
	while (i < n) {
		unsigned h = d[i++];
		if (!(h & 0x80) || nv >= MAX_PACKETS)
			goto bad;
		pkt p = {0};
		buf body;
		buf_init(&body, MAX_BODY);
		if (h & 0x40) {
			p.tag = (int)(h & 0x3F);
			for (;;) {
				size_t len;
				bool partial;
				if (new_len(d, n, &i, &len, &partial) < 0 || len > n - i ||
				    buf_add(&body, d + i, len) < 0) {
					buf_release(&body);
					goto bad;
				}
				i += len;
				if (!partial)
					break;
			}
		} else {
			p.tag = (int)((h >> 2) & 0xF);
			size_t len = 0, lt = h & 3;
			if (lt == 3) {
				len = n - i;
			} else {
				size_t nb = lt == 0 ? 1 : lt == 1 ? 2 : 4;
				if (i + nb > n) {
					buf_release(&body);
					goto bad;
				}
				for (size_t k = 0; k < nb; k++)
					len = len << 8 | d[i++];
			}
			if (len > n - i || buf_add(&body, d + i, len) < 0) {
				buf_release(&body);
				goto bad;
			}
			i += len;
		}
		p.len = body.len;
		p.body = (unsigned char *)buf_detach(&body, NULL);
		v = xrealloc(v, (nv + 1) * sizeof *v);
		v[nv++] = p;
	}
	*count = nv;
	return v ? v : xcalloc(1, sizeof *v);
bad:
	pkts_free(v, nv);
	return NULL;
}

/* An MPI at *i: returns a pointer to its bytes and their count. */
static const unsigned char *mpi(const unsigned char *d, size_t n, size_t *i, size_t *len)
{
	if (*i + 2 > n)
		return NULL;
	size_t bits = (size_t)d[*i] << 8 | d[*i + 1];
	size_t bytes = (bits + 7) / 8;
	*i += 2;
	if (bytes > n - *i)
		return NULL;
	const unsigned char *r = d + *i;
	*i += bytes;
	*len = bytes;
	return r;
}

/* ---------------------------------------------------------------- secret keys */

static EVP_PKEY *rsa_key(const unsigned char *n, size_t nl, const unsigned char *e, size_t el,
	const unsigned char *d, size_t dl)
{
	BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
	BIGNUM *bd = BN_bin2bn(d, (int)dl, NULL);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (bn && be && bd && b && c && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn) &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be) &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_D, bd) &&
	    (params = OSSL_PARAM_BLD_to_param(b)) && EVP_PKEY_fromdata_init(c) > 0 &&
	    EVP_PKEY_fromdata(c, &pk, EVP_PKEY_KEYPAIR, params) > 0) {
		/* done */
	}
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(c);
	BN_free(bn);
	BN_free(be);
	BN_clear_free(bd);
	return pk;
}

static const unsigned char CV25519_OID[] = {0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05,
	0x01};

static int fingerprint(const unsigned char *d, size_t pub_end, unsigned char fp[20])
{
	unsigned char hdr[3] = {0x99, (unsigned char)(pub_end >> 8), (unsigned char)pub_end};
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	bool ok = mc && EVP_DigestInit_ex(mc, EVP_sha1(), NULL) &&
		  EVP_DigestUpdate(mc, hdr, 3) && EVP_DigestUpdate(mc, d, pub_end) &&
		  EVP_DigestFinal_ex(mc, fp, NULL);
	EVP_MD_CTX_free(mc);
	return ok ? 0 : -1;
}

static sops_pgp_key *push_key(sops_keys *k, const unsigned char fp[20])
{
	k->pgp = xrealloc(k->pgp, (k->npgp + 1) * sizeof *k->pgp);
	sops_pgp_key *pk = &k->pgp[k->npgp++];
	memset(pk, 0, sizeof *pk);
	memcpy(pk->fp, fp, 20);
	memcpy(pk->keyid, fp + 12, 8);
	return pk;
}

/* An ECDH (algorithm 18) Curve25519 key: OID, 0x40||point, KDF parameters, then the secret
 * scalar as a big-endian MPI. 0 added, 1 other curve, -1 error. */
static int add_ecdh(sops_keys *k, const unsigned char *d, size_t n, err *e)
{
	size_t i = 6;
	if (i >= n || d[i] != sizeof CV25519_OID || i + 1 + d[i] > n ||
	    memcmp(d + i + 1, CV25519_OID, sizeof CV25519_OID))
		return 1;
	i += 1 + sizeof CV25519_OID;
	size_t pl;
	const unsigned char *pt = mpi(d, n, &i, &pl);
	if (!pt || pl != 33 || pt[0] != 0x40 || i + 4 > n || d[i] != 3 || d[i + 1] != 1)
		return err_fail(e, "DecryptionFailed", "malformed OpenPGP ECDH public key");
	int hash = d[i + 2], kek = d[i + 3];
	i += 4;
	size_t pub_end = i;
	if (i >= n)
		return err_fail(e, "DecryptionFailed", "truncated OpenPGP secret key");
	if (d[i] != 0)
		return err_fail(e, "DecryptionFailed",
			"OpenPGP secret key is passphrase-protected, which is not supported");
	i++;
	size_t sl;
	const unsigned char *sv = mpi(d, n, &i, &sl);
	if (!sv || sl > 32)
		return err_fail(e, "DecryptionFailed", "malformed OpenPGP ECDH secret key");
	unsigned char fp[20];
	if (fingerprint(d, pub_end, fp) < 0)
		return err_fail(e, "DecryptionFailed", "SHA-1 failed");
	if (k->npgp >= SOPS_MAX_KEYS)
		return err_fail(e, "DecryptionFailed", "too many OpenPGP keys");
	sops_pgp_key *pk = push_key(k, fp);
	/* the MPI is big-endian; X25519 wants the little-endian scalar */
	for (size_t j = 0; j < sl; j++)
		pk->sk[j] = sv[sl - 1 - j];
	pk->kdf_hash = hash;
	pk->kek_algo = kek;
	return 0;
}

/* One secret key or subkey packet. 0 added, 1 skipped (unsupported algorithm), -1 error. */
static int add_secret(sops_keys *k, const unsigned char *d, size_t n, err *e)
{
	if (n < 6 || d[0] != 4)
		return 1;
	int algo = d[5];
	if (algo == 18)
		return add_ecdh(k, d, n, e);
	if (algo != 1 && algo != 2)
		return 1;
	size_t i = 6, nl, el, dl;
	const unsigned char *N = mpi(d, n, &i, &nl), *E = N ? mpi(d, n, &i, &el) : NULL;
	if (!E)
		return err_fail(e, "DecryptionFailed", "malformed OpenPGP RSA public key");
	size_t pub_end = i;
	if (i >= n)
		return err_fail(e, "DecryptionFailed", "truncated OpenPGP secret key");
	if (d[i] != 0)
		return err_fail(e, "DecryptionFailed",
			"OpenPGP secret key is passphrase-protected, which is not supported");
	i++;
	const unsigned char *D = mpi(d, n, &i, &dl);
	if (!D)
		return err_fail(e, "DecryptionFailed", "malformed OpenPGP RSA secret key");
	unsigned char fp[20];
	if (fingerprint(d, pub_end, fp) < 0)
		return err_fail(e, "DecryptionFailed", "SHA-1 failed");
	if (k->npgp >= SOPS_MAX_KEYS)
		return err_fail(e, "DecryptionFailed", "too many OpenPGP keys");
	EVP_PKEY *pk = rsa_key(N, nl, E, el, D, dl);
	if (!pk)
		return err_fail(e, "DecryptionFailed", "invalid OpenPGP RSA key");
	push_key(k, fp)->pkey = pk;
	return 0;
}

int sops_keys_add_pgp(sops_keys *k, const char *armored, size_t len, err *e)
{
	size_t n = 0;
	unsigned char *d = dearmor(armored, len, "PRIVATE KEY BLOCK", &n);
	if (!d)
		return err_fail(e, "DecryptionFailed", "not an armored OpenPGP private key block");
	size_t np = 0;
	pkt *p = parse_packets(d, n, &np);
	OPENSSL_cleanse(d, n);
	free(d);
	if (!p)
		return err_fail(e, "DecryptionFailed", "malformed OpenPGP packets");
	int rc = 0, added = 0;
	for (size_t i = 0; i < np && rc >= 0; i++) {
		if (p[i].tag != 5 && p[i].tag != 7)
			continue;
		int r = add_secret(k, p[i].body, p[i].len, e);
		if (r < 0)
			rc = -1;
		else if (r == 0)
			added++;
	}
	pkts_free(p, np);
	if (rc == 0 && !added)
		rc = err_fail(e, "DecryptionFailed",
			"no supported (RSA or Curve25519 ECDH) secret key in the OpenPGP key "
			"block");
	return rc;
}

/* ---------------------------------------------------------------- messages */

static const EVP_CIPHER *cfb_for(int algo, size_t *keylen)
{
	switch (algo) {
	case 7:
		*keylen = 16;
		return EVP_aes_128_cfb128();
	case 8:
		*keylen = 24;
		return EVP_aes_192_cfb128();
	case 9:
		*keylen = 32;
		return EVP_aes_256_cfb128();
	}
	return NULL;
}

static const EVP_MD *kdf_md(int id)
{
	switch (id) {
	case 8:
		return EVP_sha256();
	case 9:
		return EVP_sha384();
	case 10:
		return EVP_sha512();
	}
	return NULL;
}

static const EVP_CIPHER *wrap_for(int id, size_t *kl)
{
	switch (id) {
	case 7:
		*kl = 16;
		return EVP_aes_128_wrap();
	case 8:
		*kl = 24;
		return EVP_aes_192_wrap();
	case 9:
		*kl = 32;
		return EVP_aes_256_wrap();
	}
	return NULL;
}

/* Check "algo || key || checksum" and copy the session key out. */
static bool session_key(const unsigned char *m, size_t ml, int *algo, unsigned char sk[32],
	size_t *skl)
{
	size_t kl = 0;
	if (ml < 3 || !cfb_for(m[0], &kl) || ml != 1 + kl + 2)
		return false;
	unsigned sum = 0;
	for (size_t j = 0; j < kl; j++)
		sum += m[1 + j];
	if ((sum & 0xFFFF) != ((unsigned)m[1 + kl] << 8 | m[2 + kl]))
		return false;
	*algo = m[0];
	memcpy(sk, m + 1, kl);
	*skl = kl;
	return true;
}

/* RFC 6637 ECDH with Curve25519: X25519, the KDF over the fixed parameters, AES key unwrap. */
static bool ecdh_unwrap(const sops_pgp_key *key, const unsigned char *d, size_t n, int *algo,
	unsigned char sk[32], size_t *skl)
{
	size_t i = 10, pl;
	const unsigned char *pt = mpi(d, n, &i, &pl);
	if (!pt || pl != 33 || pt[0] != 0x40 || i >= n)
		return false;
	size_t wl = d[i++];
	if (wl > n - i || wl < 24 || wl > 64)
		return false;
	const unsigned char *wrapped = d + i;
	unsigned char z[32];
	EVP_PKEY *a = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, key->sk, 32);
	EVP_PKEY *b = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pt + 1, 32);
	EVP_PKEY_CTX *c = a ? EVP_PKEY_CTX_new(a, NULL) : NULL;
	size_t zl = 32;
	bool ok = a && b && c && EVP_PKEY_derive_init(c) > 0 &&
		  EVP_PKEY_derive_set_peer(c, b) > 0 && EVP_PKEY_derive(c, z, &zl) > 0 &&
		  zl == 32;
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	const EVP_MD *md = kdf_md(key->kdf_hash);
	size_t kekl = 0;
	const EVP_CIPHER *wc = wrap_for(key->kek_algo, &kekl);
	if (!ok || !md || !wc) {
		OPENSSL_cleanse(z, sizeof z);
		return false;
	}
	/* Param = OID || 18 || 03 01 hash kek || "Anonymous Sender    " || fingerprint */
	unsigned char param[64], h[64], m[64];
	size_t p = 0;
	param[p++] = sizeof CV25519_OID;
	memcpy(param + p, CV25519_OID, sizeof CV25519_OID);
	p += sizeof CV25519_OID;
	param[p++] = 18;
	param[p++] = 3;
	param[p++] = 1;
	param[p++] = (unsigned char)key->kdf_hash;
	param[p++] = (unsigned char)key->kek_algo;
	memcpy(param + p, "Anonymous Sender    ", 20);
	p += 20;
	memcpy(param + p, key->fp, 20);
	p += 20;
	static const unsigned char ctr[4] = {0, 0, 0, 1};
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	ok = mc && EVP_DigestInit_ex(mc, md, NULL) && EVP_DigestUpdate(mc, ctr, 4) &&
	     EVP_DigestUpdate(mc, z, 32) && EVP_DigestUpdate(mc, param, p) &&
	     EVP_DigestFinal_ex(mc, h, NULL) && (size_t)EVP_MD_get_size(md) >= kekl;
	EVP_MD_CTX_free(mc);
	OPENSSL_cleanse(z, sizeof z);
	int ml = 0, fl = 0;
	EVP_CIPHER_CTX *cc = ok ? EVP_CIPHER_CTX_new() : NULL;
	if (cc) {
		EVP_CIPHER_CTX_set_flags(cc, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
		ok = EVP_DecryptInit_ex(cc, wc, NULL, h, NULL) &&
		     EVP_DecryptUpdate(cc, m, &ml, wrapped, (int)wl) &&
		     EVP_DecryptFinal_ex(cc, m + ml, &fl);
		EVP_CIPHER_CTX_free(cc);
	} else {
		ok = false;
	}
	OPENSSL_cleanse(h, sizeof h);
	/* PKCS#5 padding to a multiple of 8 */
	if (ok) {
		size_t len = (size_t)(ml + fl), padn = len ? m[len - 1] : 0;
		ok = padn >= 1 && padn <= 8 && padn < len;
		for (size_t j = 0; ok && j < padn; j++)
			ok = m[len - 1 - j] == padn;
		ok = ok && session_key(m, len - padn, algo, sk, skl);
	}
	OPENSSL_cleanse(m, sizeof m);
	return ok;
}

static bool rsa_unwrap(const sops_pgp_key *key, const unsigned char *d, size_t n, int *algo,
	unsigned char sk[32], size_t *skl)
{
	size_t i = 10, ml;
	const unsigned char *m = mpi(d, n, &i, &ml);
	EVP_PKEY *pk = key->pkey;
	size_t kb = (size_t)EVP_PKEY_get_size(pk);
	if (!m || ml > kb)
		return false;
	unsigned char *in = xcalloc(1, kb), *out = xmalloc(kb);
	memcpy(in + kb - ml, m, ml);
	size_t ol = kb;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	bool ok = c && EVP_PKEY_decrypt_init(c) > 0 &&
		  EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) > 0 &&
		  EVP_PKEY_decrypt(c, out, &ol, in, kb) > 0 && session_key(out, ol, algo, sk, skl);
	EVP_PKEY_CTX_free(c);
	OPENSSL_cleanse(out, kb);
	free(in);
	free(out);
	return ok;
}

/* Decrypt a PKESK with our keys into the session key. 0 ok, 1 not for us. */
static int pkesk(const sops_keys *k, const unsigned char *d, size_t n, int *algo,
	unsigned char sk[32], size_t *skl)
{
	if (n < 10 || d[0] != 3)
		return 1;
	int pa = d[9];
	static const unsigned char wild[8];
	for (size_t ki = 0; ki < k->npgp; ki++) {
		const sops_pgp_key *key = &k->pgp[ki];
		if (memcmp(key->keyid, d + 1, 8) && memcmp(d + 1, wild, 8))
			continue;
		bool ok = false;
		if ((pa == 1 || pa == 2) && key->pkey)
			ok = rsa_unwrap(key, d, n, algo, sk, skl);
		else if (pa == 18 && !key->pkey)
			ok = ecdh_unwrap(key, d, n, algo, sk, skl);
		if (ok)
			return 0;
	}
	return 1;
}

/* Inflate a compressed-data packet body: algorithm 1 (ZIP, raw deflate) or 2 (ZLIB), at most
 * `cap` bytes out. NULL on error or when over the cap. */
static unsigned char *inflate_body(int algo, const unsigned char *in, size_t n, size_t cap,
	size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, algo == 1 ? -15 : 15) != Z_OK)
		return NULL;
	unsigned char *out = xmalloc(cap + 1);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)(cap + 1);
	int rc = inflate(&z, Z_FINISH);
	size_t got = (size_t)z.total_out;
	inflateEnd(&z);
	/* a stream without its end marker is accepted when all input was used (gpg's ZIP) */
	if ((rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && z.avail_in == 0 && got <= cap)) ||
	    got > cap) {
		OPENSSL_cleanse(out, cap + 1);
		free(out);
		return NULL;
	}
	*out_len = got;
	return out;
}

/* The literal data inside the decrypted SEIPD packets. */
static int literal(const unsigned char *d, size_t n, unsigned char *dk, size_t *dkn, int depth,
	err *e)
{
	size_t np = 0;
	pkt *p = parse_packets(d, n, &np);
	if (!p)
		return err_fail(e, "DecryptionFailed", "malformed OpenPGP message contents");
	int rc = err_fail(e, "DecryptionFailed", "no literal data in the OpenPGP message");
	for (size_t i = 0; i < np; i++) {
		if (p[i].tag == 8 && depth == 0) {
			int ca = p[i].len ? p[i].body[0] : -1;
			if (ca == 0) {
				rc = literal(p[i].body + 1, p[i].len - 1, dk, dkn, 1, e);
				break;
			}
			if (ca != 1 && ca != 2) {
				rc = err_fail(e, "DecryptionFailed",
					"unsupported OpenPGP compression algorithm %d", ca);
				break;
			}
			size_t il = 0;
			unsigned char *inf = inflate_body(ca, p[i].body + 1, p[i].len - 1, 4096, &il);
			if (!inf) {
				rc = err_fail(e, "DecryptionFailed",
					"malformed OpenPGP compressed data");
				break;
			}
			rc = literal(inf, il, dk, dkn, 1, e);
			OPENSSL_cleanse(inf, il);
			free(inf);
			break;
		}
		if (p[i].tag == 11) {
			const unsigned char *b = p[i].body;
			size_t bl = p[i].len;
			if (bl < 2 || bl < 2 + (size_t)b[1] + 4) {
				rc = err_fail(e, "DecryptionFailed",
					"malformed OpenPGP literal data");
				break;
			}
			size_t off = 2 + b[1] + 4, dl = bl - off;
			if (dl > 64) {
				rc = err_fail(e, "DecryptionFailed",
					"OpenPGP literal data too large for a data key");
				break;
			}
			memcpy(dk, b + off, dl);
			*dkn = dl;
			rc = 0;
			break;
		}
	}
	pkts_free(p, np);
	return rc;
}

int sops_pgp_unwrap(const sops_keys *k, const char *armored, size_t len, unsigned char *dk,
	size_t *dkn, err *e)
{
	size_t n = 0;
	unsigned char *d = dearmor(armored, len, "MESSAGE", &n);
	if (!d)
		return err_fail(e, "DecryptionFailed", "malformed OpenPGP message armor");
	size_t np = 0;
	pkt *p = parse_packets(d, n, &np);
	free(d);
	if (!p)
		return err_fail(e, "DecryptionFailed", "malformed OpenPGP message");
	int rc = 1, algo = 0;
	unsigned char sk[32];
	size_t skl = 0;
	bool have = false;
	for (size_t i = 0; i < np && !have; i++)
		if (p[i].tag == 1 && pkesk(k, p[i].body, p[i].len, &algo, sk, &skl) == 0)
			have = true;
	if (!have) {
		err_fail(e, "DecryptionFailed", "no OpenPGP key matches the message's recipients");
		goto out;
	}
	const pkt *ed = NULL;
	for (size_t i = 0; i < np; i++)
		if (p[i].tag == 18 || p[i].tag == 9)
			ed = &p[i];
	rc = -1;
	if (!ed || ed->tag != 18 || ed->len < 1 || ed->body[0] != 1) {
		err_fail(e, "DecryptionFailed",
			"OpenPGP message has no integrity-protected (SEIPD v1) data");
		goto out;
	}
	size_t kl = 0;
	const EVP_CIPHER *ci = cfb_for(algo, &kl);
	size_t cl = ed->len - 1, bs = 16;
	if (!ci || cl < bs + 2 + 22) {
		err_fail(e, "DecryptionFailed", "malformed OpenPGP encrypted data");
		goto out;
	}
	unsigned char *pl = xmalloc(cl);
	static const unsigned char ziv[16];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ol = 0, fl = 0;
	bool ok = c && EVP_DecryptInit_ex(c, ci, NULL, sk, ziv) &&
		  EVP_DecryptUpdate(c, pl, &ol, ed->body + 1, (int)cl) &&
		  EVP_DecryptFinal_ex(c, pl + ol, &fl);
	EVP_CIPHER_CTX_free(c);
	unsigned char h[20];
	if (ok) {
		ok = EVP_Digest(pl, cl - 20, h, NULL, EVP_sha1(), NULL) &&
		     pl[bs - 2] == pl[bs] && pl[bs - 1] == pl[bs + 1] && pl[cl - 22] == 0xD3 &&
		     pl[cl - 21] == 0x14 && !CRYPTO_memcmp(h, pl + cl - 20, 20);
	}
	if (!ok)
		err_fail(e, "DecryptionFailed", "OpenPGP integrity check (MDC) failed");
	else
		rc = literal(pl + bs + 2, cl - 22 - bs - 2, dk, dkn, 0, e);
	OPENSSL_cleanse(pl, cl);
	free(pl);
out:
	OPENSSL_cleanse(sk, sizeof sk);
	pkts_free(p, np);
	return rc;
}
