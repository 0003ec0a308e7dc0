/* Sprig's crypto functions on OpenSSL and libcrypt: keys and certificates (genPrivateKey, genCA,
 * genSelfSignedCert, genSignedCert, their ...WithKey forms, buildCustomCert), derivePassword
 * (Master Password: scrypt + HMAC-SHA256), encryptAES/decryptAES (AES-256-CBC, random IV),
 * bcrypt and htpasswd ($2a$, cost 10, as golang.org/x/crypto/bcrypt writes), randBytes. */
#include "eddy/codec.h"
#include "eddy/mem.h"
#include "gotmpl/fn.h"
#include "gotmpl/internal.h"

#include <crypt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>


static tmpl_val from_buf(buf *b)
{
	size_t n;
	char *s = buf_detach(b, &n);
	return tmpl_str_take(s, n);
}

/* Functions that take seconds (key generation, scrypt, bcrypt) are refused under the
 * no_slow_crypto limit. */
static int slow(tmpl_exec *x, const char *name, err *e)
{
	if (!x->set->lim.no_slow_crypto)
		return 0;
	return tmpl_fail(e, "%s is disabled by the template limits", name);
}

/* ---- randBytes ---- */

FN(randBytes)
{
	(void)x;
	(void)argc;
	int64_t n = argv[0].u.i;
	if (n < 0)
		return tmpl_fail(e, "runtime error: makeslice: len out of range");
	if (n > (64 << 20))
		return tmpl_fail(e, "randBytes: %lld bytes is over the limit", (long long)n);
	unsigned char *d = xmalloc((size_t)n + 1);
	tv_rand_bytes(d, (size_t)n);
	buf b;
	buf_init(&b, (size_t)-1);
	b64_encode_buf(&b, d, (size_t)n, B64_STD);
	free(d);
	*out = from_buf(&b);
	return 0;
}

/* ---- derivePassword (Master Password algorithm) ---- */

static const char *const pw_templates[][23] = {
	{"maximum", "anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno", NULL},
	{"long", "CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv",
	 "CvccCvcvnoCvcv", "CvccCvcvCvcvno", "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno",
	 "CvcvnoCvcvCvcc", "CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv",
	 "CvccCvccCvcvno", "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc",
	 "CvccCvcvnoCvcc", "CvccCvcvCvccno", NULL},
	{"medium", "CvcnoCvc", "CvcCvcno", NULL},
	{"short", "Cvcn", NULL},
	{"basic", "aaanaaan", "aannaaan", "aaannaaa", NULL},
	{"pin", "nnnn", NULL},
};

static const char *pw_chars(char c)
{
	switch (c) {
	case 'V': return "AEIOU";
	case 'C': return "BCDFGHJKLMNPQRSTVWXYZ";
	case 'v': return "aeiou";
	case 'c': return "bcdfghjklmnpqrstvwxyz";
	case 'A': return "AEIOUBCDFGHJKLMNPQRSTVWXYZ";
	case 'a': return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
	case 'n': return "0123456789";
	case 'o': return "@&%?,=[]_:-+*$#!'^~;()/.";
	default: return "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()";
	}
}

static void be32(buf *b, uint32_t v)
{
	buf_addc(b, (char)(v >> 24));
	buf_addc(b, (char)(v >> 16 & 0xFF));
	buf_addc(b, (char)(v >> 8 & 0xFF));
	buf_addc(b, (char)(v & 0xFF));
}

FN(derivePassword)
{
	(void)argc;
	if (slow(x, "derivePassword", e))
		return -1;
	uint32_t counter = (uint32_t)argv[0].u.i;
	const char *const *tpl = NULL;
	for (size_t i = 0; i < sizeof pw_templates / sizeof *pw_templates; i++)
		if (!strcmp(pw_templates[i][0], S(1)))
			tpl = pw_templates[i] + 1;
	if (!tpl) {
		char *m = xasprintf("cannot find password template %s", S(1));
		*out = tmpl_str_take(m, strlen(m));
		return 0;
	}
	static const char seed[] = "com.lyndir.masterpassword";
	buf salt;
	buf_init(&salt, (size_t)-1);
	buf_adds(&salt, seed);
	be32(&salt, (uint32_t)SLEN(3));
	buf_add(&salt, S(3), SLEN(3));
	unsigned char key[64];
	if (EVP_PBE_scrypt(S(2), SLEN(2), (const unsigned char *)salt.data, salt.len, 32768, 8, 2,
			   (uint64_t)1 << 30, key, sizeof key) != 1) {
		buf_release(&salt);
		return tmpl_fail(e, "failed to derive password: scrypt failed");
	}
	buf msg;
	buf_init(&msg, (size_t)-1);
	buf_adds(&msg, seed);
	be32(&msg, (uint32_t)SLEN(4));
	buf_add(&msg, S(4), SLEN(4));
	be32(&msg, counter);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int ml = 0;
	HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)msg.data, msg.len, mac, &ml);
	buf_release(&salt);
	buf_release(&msg);
	size_t nt = 0;
	while (tpl[nt])
		nt++;
	const char *t = tpl[mac[0] % nt];
	buf b;
	buf_init(&b, (size_t)-1);
	for (size_t i = 0; t[i] && i + 1 < ml; i++) {
		const char *cs = pw_chars(t[i]);
		buf_addc(&b, cs[mac[i + 1] % strlen(cs)]);
	}
	*out = from_buf(&b);
	return 0;
}

/* ---- encryptAES / decryptAES ---- */

static void aes_key(unsigned char key[32], const char *pw, size_t n)
{
	memset(key, 0, 32);
	memcpy(key, pw, n < 32 ? n : 32);
}

FN(encryptAES)
{
	(void)x;
	(void)argc;
	if (!SLEN(1)) {
		*out = tmpl_str("");
		return 0;
	}
	unsigned char key[32];
	aes_key(key, S(0), SLEN(0));
	size_t n = SLEN(1), pad = 16 - n % 16, total = 16 + n + pad;
	unsigned char *ct = xmalloc(total), *pt = xmalloc(n + pad);
	memcpy(pt, S(1), n);
	memset(pt + n, (int)pad, pad);
	tv_rand_bytes(ct, 16);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), NULL, key, ct) == 1 &&
			 EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
			 EVP_EncryptUpdate(c, ct + 16, &l1, pt, (int)(n + pad)) == 1;
	EVP_CIPHER_CTX_free(c);
	free(pt);
	if (!ok) {
		free(ct);
		return tmpl_fail(e, "encryptAES: cipher failed");
	}
	buf b;
	buf_init(&b, (size_t)-1);
	b64_encode_buf(&b, ct, total, B64_STD);
	free(ct);
	*out = from_buf(&b);
	return 0;
}

FN(decryptAES)
{
	(void)x;
	(void)argc;
	if (!SLEN(1)) {
		*out = tmpl_str("");
		return 0;
	}
	unsigned char key[32];
	aes_key(key, S(0), SLEN(0));
	buf raw;
	buf_init(&raw, (size_t)-1);
	size_t bad = 0;
	if (b64_decode_buf(&raw, S(1), SLEN(1), B64_SKIP_NL, &bad)) {
		buf_release(&raw);
		return tmpl_fail(e, "illegal base64 data at input byte %zu", bad);
	}
	if (raw.len < 16) {
		size_t n = raw.len;
		buf_release(&raw);
		return tmpl_fail(e, "runtime error: slice bounds out of range [:16] with capacity %zu",
				 n);
	}
	size_t n = raw.len - 16;
	if (n % 16) {
		buf_release(&raw);
		return tmpl_fail(e, "crypto/cipher: input not full blocks");
	}
	if (!n) {
		buf_release(&raw);
		return tmpl_fail(e, "runtime error: index out of range [-1]");
	}
	unsigned char *pt = xmalloc(n);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0;
	int ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_cbc(), NULL, key,
					 (const unsigned char *)raw.data) == 1 &&
		 EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
		 EVP_DecryptUpdate(c, pt, &l1, (const unsigned char *)raw.data + 16, (int)n) == 1;
	EVP_CIPHER_CTX_free(c);
	buf_release(&raw);
	if (!ok) {
		free(pt);
		return tmpl_fail(e, "decryptAES: cipher failed");
	}
	long keep = (long)n - pt[n - 1];
	if (keep < 0) {
		free(pt);
		return tmpl_fail(e, "runtime error: slice bounds out of range [:%ld]", keep);
	}
	*out = tmpl_strn((const char *)pt, (size_t)keep);
	free(pt);
	return 0;
}

/* ---- bcrypt / htpasswd ---- */

/* golang.org/x/crypto/bcrypt GenerateFromPassword(p, 10): "$2a$10$...". The text on failure is
 * what Sprig returns (as the function's result, not an error). */
static char *bcrypt_hash(const char *pw, size_t n)
{
	if (n > 72)
		return xstrdup("failed to encrypt string with bcrypt: bcrypt: password length "
			       "exceeds 72 bytes");
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	unsigned char rb[16];
	tv_rand_bytes(rb, sizeof rb);
	if (!crypt_gensalt_rn("$2a$", 10, (const char *)rb, sizeof rb, salt, sizeof salt))
		return xstrdup("failed to encrypt string with bcrypt: no salt");
	struct crypt_data *cd = xcalloc(1, sizeof *cd);
	/* a NUL byte ends the key for libcrypt; bcrypt keys stop there too in practice */
	char *key = xstrndup(pw, n);
	const char *h = crypt_r(key, salt, cd);
	char *res = h && h[0] == '$' ? xstrdup(h)
				    : xstrdup("failed to encrypt string with bcrypt: crypt failed");
	free(key);
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return res;
}

FN(bcrypt)
{
	(void)argc;
	if (slow(x, "bcrypt", e))
		return -1;
	(void)e;
	char *h = bcrypt_hash(S(0), SLEN(0));
	*out = tmpl_str_take(h, strlen(h));
	return 0;
}

FN(htpasswd)
{
	(void)argc;
	if (slow(x, "htpasswd", e))
		return -1;
	(void)e;
	char *r;
	if (strchr(S(0), ':')) {
		r = xasprintf("invalid username: %s", S(0));
	} else {
		char *h = bcrypt_hash(S(1), SLEN(1));
		r = xasprintf("%s:%s", S(0), h);
		free(h);
	}
	*out = tmpl_str_take(r, strlen(r));
	return 0;
}

/* ---- keys ---- */

/* Sprig's pemBlockForKey: RSA as PKCS#1, EC and DSA in their traditional forms, others
 * (Ed25519) as PKCS#8. */
static char *pem_of_key(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	int id = EVP_PKEY_get_base_id(k);
	if (id == EVP_PKEY_RSA || id == EVP_PKEY_EC || id == EVP_PKEY_DSA)
		PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL);
	else
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = xstrndup(data, (size_t)n);
	BIO_free(b);
	return s;
}

static char *pem_of_cert(X509 *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, c);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = xstrndup(data, (size_t)n);
	BIO_free(b);
	return s;
}

static EVP_PKEY *gen_dsa(void)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
	EVP_PKEY *params = NULL, *k = NULL;
	if (pc && EVP_PKEY_paramgen_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_dsa_paramgen_bits(pc, 2048) == 1 &&
	    EVP_PKEY_CTX_set_dsa_paramgen_q_bits(pc, 256) == 1 && EVP_PKEY_paramgen(pc, &params) == 1) {
		EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
		if (kc && EVP_PKEY_keygen_init(kc) == 1)
			EVP_PKEY_keygen(kc, &k);
		EVP_PKEY_CTX_free(kc);
	}
	EVP_PKEY_free(params);
	EVP_PKEY_CTX_free(pc);
	return k;
}

FN(genPrivateKey)
{
	(void)argc;
	if (slow(x, "genPrivateKey", e))
		return -1;
	EVP_PKEY *k = NULL;
	if (!strcmp(S(0), "rsa") || !SLEN(0)) {
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
	} else if (!strcmp(S(0), "dsa")) {
		k = gen_dsa();
	} else if (!strcmp(S(0), "ecdsa")) {
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	} else if (!strcmp(S(0), "ed25519")) {
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	} else {
		char *m = xasprintf("Unknown type %s", S(0));
		*out = tmpl_str_take(m, strlen(m));
		return 0;
	}
	if (!k)
		return tmpl_fail(e, "failed to generate private key: key generation failed");
	char *s = pem_of_key(k);
	EVP_PKEY_free(k);
	*out = tmpl_str_take(s, strlen(s));
	return 0;
}

/* Sprig's parsePrivateKeyPEM: the first PEM block; "PRIVATE KEY" is PKCS#8, "RSA/EC/DSA PRIVATE
 * KEY" the traditional forms. Errors carry Sprig's wording. */
static EVP_PKEY *parse_key_pem(const char *pem, size_t n, err *e)
{
	BIO *b = BIO_new_mem_buf(pem, (int)(n > 0x7fffffff ? 0x7fffffff : n));
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long len = 0;
	EVP_PKEY *k = NULL;
	if (PEM_read_bio(b, &name, &header, &data, &len) != 1) {
		tmpl_fail(e, "no PEM data in input");
		goto out;
	}
	const unsigned char *p = data;
	size_t nl = strlen(name);
	if (!strcmp(name, "PRIVATE KEY")) {
		k = d2i_AutoPrivateKey(NULL, &p, len);
		if (!k)
			tmpl_fail(e, "decoding PEM as PKCS#8: asn1: structure error");
	} else if (nl < 12 || strcmp(name + nl - 12, " PRIVATE KEY")) {
		tmpl_fail(e, "no private key data in PEM block of type %s", name);
	} else if (!strcmp(name, "RSA PRIVATE KEY")) {
		if (!(k = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, len)))
			tmpl_fail(e, "parsing RSA private key from PEM: x509: failed to parse private "
				  "key");
	} else if (!strcmp(name, "EC PRIVATE KEY")) {
		if (!(k = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, len)))
			tmpl_fail(e, "parsing EC private key from PEM: x509: failed to parse EC "
				  "private key");
	} else if (!strcmp(name, "DSA PRIVATE KEY")) {
		if (!(k = d2i_PrivateKey(EVP_PKEY_DSA, NULL, &p, len)))
			tmpl_fail(e, "parsing DSA private key from PEM: asn1: structure error");
	} else {
		tmpl_fail(e, "invalid private key type %s", name);
	}
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(b);
	return k;
}

/* ---- certificates (Go's x509.CreateCertificate with Sprig's template) ---- */

static void add_ext(X509 *c, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (ext) {
		X509_add_ext(c, ext, -1);
		X509_EXTENSION_free(ext);
	}
}

/* Sprig's getNetIPs/getAlternateDNSStrs: every entry must be a string (and an IP). */
static int check_names(tmpl_val ips, tmpl_val dns, err *e)
{
	if (ips.kind == TV_LIST)
		for (size_t i = 0; i < ips.u.l->n; i++) {
			tmpl_val it = ips.u.l->items[i];
			if (it.kind != TV_STRING) {
				buf b;
				buf_init(&b, 1 << 16);
				tv_print_v(&b, it, false);
				tmpl_fail(e, "error parsing ip: %s is not a string", buf_str(&b));
				buf_release(&b);
				return -1;
			}
			ASN1_OCTET_STRING *a = a2i_IPADDRESS(it.u.s->data);
			bool ok = a && !strchr(it.u.s->data, '/');
			ASN1_OCTET_STRING_free(a);
			if (!ok)
				return tmpl_fail(e, "error parsing ip: %s", it.u.s->data);
		}
	if (dns.kind == TV_LIST)
		for (size_t i = 0; i < dns.u.l->n; i++) {
			tmpl_val it = dns.u.l->items[i];
			if (it.kind != TV_STRING) {
				buf b;
				buf_init(&b, 1 << 16);
				tv_print_v(&b, it, false);
				tmpl_fail(e, "error processing alternate dns name: %s is not a string",
					  buf_str(&b));
				buf_release(&b);
				return -1;
			}
		}
	return 0;
}

/* SAN in Go's order: DNS names first, then IP addresses. */
static void add_names(X509 *cert, X509V3_CTX *ctx, tmpl_val ips, tmpl_val dns, bool critical)
{
	buf san;
	buf_init(&san, 1 << 20);
	if (critical)
		buf_adds(&san, "critical");
	for (int pass = 0; pass < 2; pass++) {
		tmpl_val l = pass ? ips : dns;
		if (l.kind != TV_LIST)
			continue;
		for (size_t i = 0; i < l.u.l->n; i++) {
			tmpl_val it = l.u.l->items[i];
			if (it.kind != TV_STRING || strchr(it.u.s->data, ','))
				continue;
			buf_addf(&san, "%s%s:%s", san.len ? "," : "", pass ? "IP" : "DNS",
				 it.u.s->data);
		}
	}
	if (san.len > (critical ? 8u : 0u))
		add_ext(cert, ctx, NID_subject_alt_name, buf_str(&san));
	buf_release(&san);
}

/* Go 1.25's default SubjectKeyId: the first 160 bits of SHA-256 over the public key bits. */
static void set_skid(X509 *c, EVP_PKEY *k)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	if (n <= 0)
		return;
	X509_PUBKEY *xp = NULL;
	const unsigned char *p = der;
	xp = d2i_X509_PUBKEY(NULL, &p, n);
	const unsigned char *bits = NULL;
	int bl = 0;
	if (xp && X509_PUBKEY_get0_param(NULL, &bits, &bl, NULL, xp) == 1) {
		unsigned char h[32];
		unsigned int hl = 0;
		EVP_Digest(bits, (size_t)bl, h, &hl, EVP_sha256(), NULL);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(os, h, 20);
		X509_add1_ext_i2d(c, NID_subject_key_identifier, os, 0, X509V3_ADD_DEFAULT);
		ASN1_OCTET_STRING_free(os);
	}
	X509_PUBKEY_free(xp);
	OPENSSL_free(der);
}

/* Build a certificate for cn with key k (consumed), signed by (ca_cert, ca_key) or self-signed. */
static int make_cert(const char *cn, tmpl_val ips, tmpl_val dns, int64_t days, bool is_ca,
		     EVP_PKEY *k, X509 *ca_cert, EVP_PKEY *ca_key, tmpl_val *out, err *e)
{
	if (check_names(ips, dns, e)) {
		EVP_PKEY_free(k);
		return -1;
	}
	EVP_PKEY *signer = ca_key ? ca_key : k;
	int sid = EVP_PKEY_get_base_id(signer);
	if (sid != EVP_PKEY_RSA && sid != EVP_PKEY_EC && sid != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		return tmpl_fail(e, "error creating certificate: x509: certificate private key does "
				 "not implement crypto.Signer");
	}
	X509 *c = X509_new();
	X509_set_version(c, 2);
	unsigned char serial[16];
	tv_rand_bytes(serial, sizeof serial);
	BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	if (days > 36500000 || days < -36500000)
		days = days > 0 ? 36500000 : -36500000;
	X509_time_adj_ex(X509_getm_notAfter(c), (int)days, 0, NULL);
	X509_set_pubkey(c, k);
	X509_NAME *name = X509_get_subject_name(c);
	if (*cn)
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					   -1, 0);
	X509_set_issuer_name(c, ca_cert ? X509_get_subject_name(ca_cert) : name);
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, ca_cert ? ca_cert : c, c, NULL, NULL, 0);
	/* Go's extension order: keyUsage, extKeyUsage, basicConstraints, SKID, AKID, SAN */
	add_ext(c, &ctx, NID_key_usage, is_ca ? "critical,digitalSignature,keyEncipherment,keyCertSign"
					      : "critical,digitalSignature,keyEncipherment");
	add_ext(c, &ctx, NID_ext_key_usage, "serverAuth,clientAuth");
	add_ext(c, &ctx, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (is_ca)
		set_skid(c, k);
	if (ca_cert && X509_get0_subject_key_id(ca_cert) &&
	    X509_NAME_cmp(X509_get_subject_name(ca_cert), name)) {
		AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
		akid->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(ca_cert));
		X509_add1_ext_i2d(c, NID_authority_key_identifier, akid, 0, X509V3_ADD_DEFAULT);
		AUTHORITY_KEYID_free(akid);
	}
	add_names(c, &ctx, ips, dns, !*cn);
	int sid_md = sid == EVP_PKEY_ED25519;
	if (!X509_sign(c, signer, sid_md ? NULL : EVP_sha256())) {
		X509_free(c);
		EVP_PKEY_free(k);
		return tmpl_fail(e, "error creating certificate: signing failed");
	}
	tmpl_val st = tmpl_struct_new();
	char *cp = pem_of_cert(c), *kp = pem_of_key(k);
	tmpl_map_set(st, "Cert", tmpl_str_take(cp, strlen(cp)));
	tmpl_map_set(st, "Key", tmpl_str_take(kp, strlen(kp)));
	st.u.m->gotype = "sprig.certificate";
	X509_free(c);
	EVP_PKEY_free(k);
	*out = st;
	return 0;
}

static EVP_PKEY *rsa2048(err *e)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!k)
		tmpl_fail(e, "error generating rsa key: key generation failed");
	return k;
}

static EVP_PKEY *key_arg(tmpl_val v, err *e)
{
	err e2 = {0};
	EVP_PKEY *k = parse_key_pem(v.u.s->data, v.u.s->len, &e2);
	if (!k)
		tmpl_fail(e, "parsing private key: %s", e2.msg);
	return k;
}

FN(genCA)
{
	(void)argc;
	if (slow(x, "genCA", e))
		return -1;
	EVP_PKEY *k = rsa2048(e);
	return k ? make_cert(S(0), tmpl_nil(), tmpl_nil(), argv[1].u.i, true, k, NULL, NULL, out, e)
		 : -1;
}

FN(genCAWithKey)
{
	(void)x;
	(void)argc;
	EVP_PKEY *k = key_arg(argv[2], e);
	return k ? make_cert(S(0), tmpl_nil(), tmpl_nil(), argv[1].u.i, true, k, NULL, NULL, out, e)
		 : -1;
}

FN(genSelfSignedCert)
{
	(void)argc;
	if (slow(x, "genSelfSignedCert", e))
		return -1;
	if (check_names(argv[1], argv[2], e))
		return -1;
	EVP_PKEY *k = rsa2048(e);
	return k ? make_cert(S(0), argv[1], argv[2], argv[3].u.i, false, k, NULL, NULL, out, e) : -1;
}

FN(genSelfSignedCertWithKey)
{
	(void)x;
	(void)argc;
	EVP_PKEY *k = key_arg(argv[4], e);
	return k ? make_cert(S(0), argv[1], argv[2], argv[3].u.i, false, k, NULL, NULL, out, e) : -1;
}

/* The signer of genSignedCert...: a certificate value (Cert and Key PEM strings). */
static int signed_cert(tmpl_val *argv, EVP_PKEY *k, tmpl_val *out, err *e)
{
	tmpl_val ca = argv[4];
	if (ca.kind != TV_MAP || ca.sub != TV_SUB_STRUCT || !ca.u.m->gotype ||
	    strcmp(ca.u.m->gotype, "sprig.certificate")) {
		/* Go refuses anything but Sprig's certificate struct when converting the argument */
		EVP_PKEY_free(k);
		return tmpl_fail(e, "wrong type for value; expected sprig.certificate; got %s",
				 tv_type_name(ca));
	}
	tmpl_val *cc = ca.kind == TV_MAP ? tmpl_map_get(ca, "Cert") : NULL;
	tmpl_val *ck = ca.kind == TV_MAP ? tmpl_map_get(ca, "Key") : NULL;
	const char *cs = cc && cc->kind == TV_STRING ? cc->u.s->data : "";
	size_t cl = cc && cc->kind == TV_STRING ? cc->u.s->len : 0;
	BIO *b1 = BIO_new_mem_buf(cs, (int)(cl > 0x7fffffff ? 0x7fffffff : cl));
	X509 *cert = PEM_read_bio_X509(b1, NULL, NULL, NULL);
	BIO_free(b1);
	if (!cert) {
		EVP_PKEY_free(k);
		return tmpl_fail(e, strstr(cs, "-----BEGIN") ? "error parsing certificate: "
				 "decodedSignerCert.Bytes: x509: malformed certificate"
							    : "unable to decode certificate");
	}
	err e2 = {0};
	EVP_PKEY *key = ck && ck->kind == TV_STRING ? parse_key_pem(ck->u.s->data, ck->u.s->len, &e2)
						    : parse_key_pem("", 0, &e2);
	int rc;
	if (!key) {
		EVP_PKEY_free(k);
		rc = tmpl_fail(e, "error parsing private key: %s", e2.msg);
	} else {
		rc = make_cert(S(0), argv[1], argv[2], argv[3].u.i, false, k, cert, key, out, e);
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

FN(genSignedCert)
{
	(void)argc;
	if (slow(x, "genSignedCert", e))
		return -1;
	if (check_names(argv[1], argv[2], e))
		return -1;
	EVP_PKEY *k = rsa2048(e);
	return k ? signed_cert(argv, k, out, e) : -1;
}

FN(genSignedCertWithKey)
{
	(void)x;
	(void)argc;
	EVP_PKEY *k = key_arg(argv[5], e);
	return k ? signed_cert(argv, k, out, e) : -1;
}

FN(buildCustomCert)
{
	(void)x;
	(void)argc;
	buf cert, key;
	buf_init(&cert, (size_t)-1);
	buf_init(&key, (size_t)-1);
	size_t bad;
	int rc = 0;
	if (b64_decode_buf(&cert, S(0), SLEN(0), B64_SKIP_NL, &bad)) {
		rc = tmpl_fail(e, "unable to decode base64 certificate");
		goto out;
	}
	if (b64_decode_buf(&key, S(1), SLEN(1), B64_SKIP_NL, &bad)) {
		rc = tmpl_fail(e, "unable to decode base64 private key");
		goto out;
	}
	BIO *b = BIO_new_mem_buf(cert.data ? cert.data : "", (int)cert.len);
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long len = 0;
	int got = PEM_read_bio(b, &name, &header, &data, &len);
	BIO_free(b);
	X509 *c = NULL;
	if (got == 1) {
		const unsigned char *p = data;
		c = d2i_X509(NULL, &p, len);
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	if (got != 1) {
		rc = tmpl_fail(e, "unable to decode certificate");
		goto out;
	}
	if (!c) {
		rc = tmpl_fail(e, "error parsing certificate: decodedCert.Bytes: x509: malformed "
			       "certificate");
		goto out;
	}
	X509_free(c);
	err e2 = {0};
	EVP_PKEY *k = parse_key_pem(key.data ? key.data : "", key.len, &e2);
	if (!k) {
		rc = tmpl_fail(e, "error parsing private key: %s", e2.msg);
			goto out;
	}
	EVP_PKEY_free(k);
	tmpl_val st = tmpl_struct_new();
	tmpl_map_set(st, "Cert", tmpl_strn(cert.data ? cert.data : "", cert.len));
	tmpl_map_set(st, "Key", tmpl_strn(key.data ? key.data : "", key.len));
	st.u.m->gotype = "sprig.certificate";
	*out = st;
out:
	buf_release(&cert);
	buf_release(&key);
	return rc;
}

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"genPrivateKey", fn_genPrivateKey, "s"},
	{"genCA", fn_genCA, "si"},
	{"genSelfSignedCert", fn_genSelfSignedCert, "saai"},
	{"genSignedCert", fn_genSignedCert, "saaia"},
	{"randBytes", fn_randBytes, "i"},
	{"derivePassword", fn_derivePassword, "issss"},
	{"encryptAES", fn_encryptAES, "ss"},
	{"decryptAES", fn_decryptAES, "ss"},
	{"bcrypt", fn_bcrypt, "s"},
	{"htpasswd", fn_htpasswd, "ss"},
	{"genCAWithKey", fn_genCAWithKey, "sis"},
	{"genSelfSignedCertWithKey", fn_genSelfSignedCertWithKey, "saais"},
	{"genSignedCertWithKey", fn_genSignedCertWithKey, "saaias"},
	{"buildCustomCert", fn_buildCustomCert, "ss"},
};

const tv_family tv_family_crypto = {funcs, sizeof funcs / sizeof *funcs};
