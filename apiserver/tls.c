/* tls: CA, serving and admin certificates with OpenSSL (see tls.h). */
#include "tls.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/buf.h"
#include "eddy/codec.h"
#include "eddy/mem.h"

static EVP_PKEY *new_key(void)
{
	return EVP_EC_gen("P-256");
}

static char *pem_of_cert(X509 *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, c);
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *out = xstrndup(p, (size_t)n);
	BIO_free(b);
	return out;
}

static char *pem_of_key(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *out = xstrndup(p, (size_t)n);
	BIO_free(b);
	return out;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ex) {
		X509_add_ext(cert, ex, -1);
		X509_EXTENSION_free(ex);
	}
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *const *orgs, size_t norgs,
		       X509 *issuer, EVP_PKEY *issuer_key, bool ca, bool server, long days)
{
	X509 *c = X509_new();
	X509_set_version(c, 2);
	unsigned char serial[16];
	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), days * 86400L);
	X509_set_pubkey(c, key);
	X509_NAME *name = X509_get_subject_name(c);
	for (size_t i = 0; i < norgs; i++)
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)orgs[i],
					   -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	X509 *iss = issuer ? issuer : c;
	if (ca) {
		add_ext(c, iss, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c, iss, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
		add_ext(c, iss, NID_subject_key_identifier, "hash");
	} else {
		add_ext(c, iss, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c, iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
		add_ext(c, iss, NID_ext_key_usage, server ? "serverAuth" : "clientAuth");
		if (server)
			add_ext(c, iss, NID_subject_alt_name,
				"DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1");
	}
	X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256());
	return c;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	buf b;
	buf_init(&b, 1 << 20);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	return buf_detach(&b, NULL);
}

static int spit(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	size_t n = strlen(text);
	int r = write(fd, text, n) == (ssize_t)n ? 0 : -1;
	if (fsync(fd) < 0)
		r = -1;
	close(fd);
	return r;
}

static int load_ca(const char *dir, X509 **ca, EVP_PKEY **key, err *e)
{
	char *cp = xasprintf("%s/ca.crt", dir), *kp = xasprintf("%s/ca.key", dir);
	char *ct = slurp(cp), *kt = slurp(kp);
	int r = 0;
	if (ct && kt) {
		BIO *b1 = BIO_new_mem_buf(ct, -1), *b2 = BIO_new_mem_buf(kt, -1);
		*ca = PEM_read_bio_X509(b1, NULL, NULL, NULL);
		*key = PEM_read_bio_PrivateKey(b2, NULL, NULL, NULL);
		BIO_free(b1);
		BIO_free(b2);
		if (!*ca || !*key)
			r = err_fail(e, "TLSError", "cannot load %s", cp);
	} else {
		*key = new_key();
		*ca = make_cert(*key, "eddy-ca", NULL, 0, NULL, NULL, true, false, 3650);
		char *a = pem_of_cert(*ca), *b = pem_of_key(*key);
		if (spit(kp, b) < 0 || spit(cp, a) < 0)
			r = err_fail(e, "TLSError", "cannot write %s", cp);
		free(a);
		free(b);
	}
	free(ct);
	free(kt);
	free(cp);
	free(kp);
	return r;
}

int tls_prepare(const char *data_dir, tls_material *tm, err *e)
{
	memset(tm, 0, sizeof(*tm));
	X509 *ca = NULL;
	EVP_PKEY *cakey = NULL;
	if (load_ca(data_dir, &ca, &cakey, e) < 0) {
		X509_free(ca);
		EVP_PKEY_free(cakey);
		return -1;
	}
	EVP_PKEY *sk = new_key(), *ak = new_key();
	X509 *sc = make_cert(sk, "eddy-apiserver", NULL, 0, ca, cakey, false, true, 365);
	static const char *const masters[] = {"system:masters"};
	X509 *ac = make_cert(ak, "eddy-admin", masters, 1, ca, cakey, false, false, 365);
	tm->ca_cert_pem = pem_of_cert(ca);
	tm->serving_cert_pem = pem_of_cert(sc);
	tm->serving_key_pem = pem_of_key(sk);
	tm->admin_cert_pem = pem_of_cert(ac);
	tm->admin_key_pem = pem_of_key(ak);
	tm->ca_b64 = b64_encode(tm->ca_cert_pem, strlen(tm->ca_cert_pem), B64_STD);
	tm->admin_cert_b64 = b64_encode(tm->admin_cert_pem, strlen(tm->admin_cert_pem), B64_STD);
	tm->admin_key_b64 = b64_encode(tm->admin_key_pem, strlen(tm->admin_key_pem), B64_STD);
	X509_free(ca);
	X509_free(sc);
	X509_free(ac);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(ak);
	return 0;
}

int tls_issue_client(const char *data_dir, const char *cn, const char *const *orgs, size_t norgs,
		     char **cert, char **key, err *e)
{
	X509 *ca = NULL;
	EVP_PKEY *cakey = NULL;
	if (load_ca(data_dir, &ca, &cakey, e) < 0)
		return -1;
	EVP_PKEY *k = new_key();
	X509 *c = make_cert(k, cn, orgs, norgs, ca, cakey, false, false, 365);
	*cert = pem_of_cert(c);
	*key = pem_of_key(k);
	X509_free(c);
	X509_free(ca);
	EVP_PKEY_free(k);
	EVP_PKEY_free(cakey);
	return 0;
}

void tls_material_release(tls_material *tm)
{
	free(tm->ca_cert_pem);
	free(tm->serving_cert_pem);
	free(tm->serving_key_pem);
	free(tm->admin_cert_pem);
	free(tm->admin_key_pem);
	free(tm->ca_b64);
	free(tm->admin_cert_b64);
	free(tm->admin_key_b64);
	memset(tm, 0, sizeof(*tm));
}
