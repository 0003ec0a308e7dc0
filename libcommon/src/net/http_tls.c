/* http_tls: the server's OpenSSL context and client certificate identities. */
#include "http_internal.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "eddy/mem.h"

static void ssl_reason(char *out, size_t n)
{
	unsigned long code = ERR_get_error();
	if (code)
		ERR_error_string_n(code, out, n);
	else
		snprintf(out, n, "unknown error");
	ERR_clear_error();
}

static int use_cert_pem(SSL_CTX *ctx, const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	if (!b)
		return -1;
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	int rc = -1;
	if (x && SSL_CTX_use_certificate(ctx, x) == 1) {
		rc = 0;
		/* the rest of the PEM is the chain */
		X509 *extra;
		while ((extra = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
			if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1) {
				X509_free(extra);
				rc = -1;
				break;
			}
		}
		ERR_clear_error(); /* the end of the PEM */
	}
	X509_free(x);
	BIO_free(b);
	return rc;
}

static int use_key_pem(SSL_CTX *ctx, const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	if (!b)
		return -1;
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	int rc = k && SSL_CTX_use_PrivateKey(ctx, k) == 1 ? 0 : -1;
	EVP_PKEY_free(k);
	BIO_free(b);
	return rc;
}

static int load_ca_pem(SSL_CTX *ctx, const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	if (!b)
		return -1;
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
	int n = 0;
	X509 *x;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(st, x) == 1) {
			n++;
			X509_NAME *nm = X509_NAME_dup(X509_get_subject_name(x));
			if (nm && names)
				sk_X509_NAME_push(names, nm);
			else
				X509_NAME_free(nm);
		}
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(b);
	if (names)
		SSL_CTX_set_client_CA_list(ctx, names);
	return n > 0 ? 0 : -1;
}

/* OPTIONAL client auth: accept any certificate at the handshake; the request only gets an
 * identity when verification succeeded (checked in httpi_tls_identity). */
static int verify_accept(int ok, X509_STORE_CTX *x)
{
	return 1;
}

SSL_CTX *httpi_tls_server_ctx(http_server *s, err *e)
{
	const http_server_opts *o = &s->o;
	char why[256];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ssl_reason(why, sizeof why);
		err_fail(e, "TLSConfigFailed", "TLS context: %s", why);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	int rc;
	if (o->tls_cert_pem)
		rc = use_cert_pem(ctx, o->tls_cert_pem);
	else if (o->tls_cert_file)
		rc = SSL_CTX_use_certificate_chain_file(ctx, o->tls_cert_file) == 1 ? 0 : -1;
	else
		rc = -1;
	if (rc < 0) {
		ssl_reason(why, sizeof why);
		err_fail(e, "TLSConfigFailed", "TLS server certificate does not load: %s", why);
		goto fail;
	}
	if (o->tls_key_pem)
		rc = use_key_pem(ctx, o->tls_key_pem);
	else if (o->tls_key_file)
		rc = SSL_CTX_use_PrivateKey_file(ctx, o->tls_key_file, SSL_FILETYPE_PEM) == 1
			     ? 0 : -1;
	else
		rc = -1;
	if (rc < 0 || SSL_CTX_check_private_key(ctx) != 1) {
		ssl_reason(why, sizeof why);
		err_fail(e, "TLSConfigFailed", "TLS server key does not load or match: %s", why);
		goto fail;
	}
	if (o->tls_client_auth != HTTP_TLS_CLIENT_NONE) {
		if (o->tls_client_ca_pem) {
			rc = load_ca_pem(ctx, o->tls_client_ca_pem);
		} else if (o->tls_client_ca_file) {
			rc = SSL_CTX_load_verify_locations(ctx, o->tls_client_ca_file, NULL) == 1
				     ? 0 : -1;
			if (rc == 0) {
				STACK_OF(X509_NAME) *names =
					SSL_load_client_CA_file(o->tls_client_ca_file);
				if (names)
					SSL_CTX_set_client_CA_list(ctx, names);
			}
		} else {
			rc = -1;
		}
		if (rc < 0) {
			ssl_reason(why, sizeof why);
			err_fail(e, "TLSConfigFailed", "TLS client CA does not load: %s", why);
			goto fail;
		}
		if (o->tls_client_auth == HTTP_TLS_CLIENT_REQUIRE)
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
					   NULL);
		else
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_accept);
		SSL_CTX_set_verify_depth(ctx, 8);
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static char *name_entry(X509_NAME_ENTRY *ent)
{
	ASN1_STRING *d = X509_NAME_ENTRY_get_data(ent);
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, d);
	if (n < 0)
		return NULL;
	/* refuse embedded NULs */
	if (memchr(utf8, '\0', (size_t)n)) {
		OPENSSL_free(utf8);
		return NULL;
	}
	char *s = xstrndup((const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	return s;
}

void httpi_tls_identity(http_request *r, SSL *ssl)
{
	X509 *x = SSL_get1_peer_certificate(ssl);
	if (!x)
		return;
	if (SSL_get_verify_result(ssl) != X509_V_OK) {
		X509_free(x);
		return;
	}
	X509_NAME *nm = X509_get_subject_name(x);
	int idx = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
	r->cn = idx >= 0 ? name_entry(X509_NAME_get_entry(nm, idx)) : NULL;
	if (!r->cn)
		r->cn = xstrdup("");
	size_t n = 0;
	for (idx = -1; (idx = X509_NAME_get_index_by_NID(nm, NID_organizationName, idx)) >= 0;) {
		char *o = name_entry(X509_NAME_get_entry(nm, idx));
		if (!o)
			continue;
		r->orgs = xrealloc(r->orgs, (n + 1) * sizeof *r->orgs);
		r->orgs[n++] = o;
		if (n >= 64)
			break;
	}
	r->id.common_name = r->cn;
	r->id.orgs = (const char *const *)r->orgs;
	r->id.n_orgs = n;
	r->has_id = true;
	X509_free(x);
}
