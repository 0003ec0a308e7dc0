/* Internals of the sops module shared by sops.c, sops_age.c and sops_pgp.c. */
#ifndef EDDY_SOPS_INT_H
#define EDDY_SOPS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "eddy/sops.h"

enum { SOPS_MAX_KEYS = 256 };

typedef struct sops_age_id {
	unsigned char sk[32], pk[32];
} sops_age_id;

typedef struct sops_pgp_key {
	unsigned char keyid[8];
	unsigned char fp[20];
	EVP_PKEY *pkey;       /* RSA, or NULL for an ECDH Curve25519 key */
	unsigned char sk[32]; /* ECDH: the X25519 scalar (little-endian) */
	int kdf_hash, kek_algo; /* ECDH KDF parameters */
} sops_pgp_key;

struct sops_keys {
	sops_age_id *age;
	size_t nage;
	sops_pgp_key *pgp;
	size_t npgp;
};

/* Unwrap a data key (up to 64 bytes) from an armored age file / OpenPGP message. 0 and *n set on
 * success; 1 when no key of the set matches (e has the reason); -1 on malformed input. */
int sops_age_unwrap(const sops_keys *k, const char *armored, size_t len, unsigned char *dk,
	size_t *n, err *e);
int sops_pgp_unwrap(const sops_keys *k, const char *armored, size_t len, unsigned char *dk,
	size_t *n, err *e);

/* HKDF-SHA256 (salt may be NULL). 0 or -1. */
int sops_hkdf(const unsigned char *ikm, size_t ikm_len, const unsigned char *salt,
	size_t salt_len, const char *info, unsigned char *out, size_t out_len);

#endif
