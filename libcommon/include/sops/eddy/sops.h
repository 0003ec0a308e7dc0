/* sops: decryption of SOPS documents (getsops/sops v3 format) with age and OpenPGP keys, using
 * OpenSSL only.
 *
 * A SOPS document is a YAML, JSON, dotenv or binary file whose values are each encrypted with
 * AES-256-GCM under one random 32-byte data key:
 *   ENC[AES256_GCM,data:<base64>,iv:<base64 of 32 bytes>,tag:<base64>,type:<type>]
 * with <type> one of str, int, int64, float, bool, bytes.
 * The additional authenticated data of a value is its path of mapping keys joined with ":" plus a
 * trailing ":" (sequence indexes do not enter the path). Empty strings stay unencrypted. The data
 * key is stored, wrapped for each recipient, in the document's top-level `sops` metadata:
 * `sops.age[].enc` (an armored age v1 file, X25519 recipients) and `sops.pgp[].enc` (an armored
 * OpenPGP message); `sops.key_groups` with a single group is read the same way (Shamir sharing
 * over several groups is not supported). Which values are encrypted follows the metadata's
 * unencrypted_suffix (default "_unencrypted"), encrypted_suffix, unencrypted_regex and
 * encrypted_regex. The MAC (`sops.mac`) is the upper-case hex SHA-512 of every value in document
 * order (ints in decimal, floats in Go's shortest 'f' form, booleans "True"/"False", nulls and
 * comments skipped; with mac_only_encrypted only encrypted values, after a fixed 32-byte prefix),
 * encrypted with the data key and the `lastmodified` time (RFC 3339, seconds) as AAD.
 *
 * Keys: age identities ("AGE-SECRET-KEY-1..." lines of an age key file; X25519 only) and
 * unprotected armored OpenPGP secret keys (RSA, and ECDH on Curve25519 as RFC 6637 and gpg's
 * cv25519 subkeys use it; other algorithms, such as an ed25519 signing primary key, are
 * skipped). The message must use PKESK v3 and a SEIPD v1 packet with MDC, AES-128/192/256;
 * its literal data may be compressed with ZIP or ZLIB (as gpg, which sops runs, does) or not
 * at all (as Go's openpgp writes it). Passphrase-protected keys are refused.
 *
 * Secrets: decrypted bytes are only ever in memory; key material and data keys are wiped after
 * use. Error messages (reason "DecryptionFailed") describe what failed, never a value or a key.
 * Every input is bounded (SOPS_MAX_INPUT bytes, nesting, packet counts). */
#ifndef EDDY_SOPS_H
#define EDDY_SOPS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "eddy/buf.h"
#include "eddy/err.h"

enum { SOPS_MAX_INPUT = 5 << 20 };

typedef enum sops_format {
	SOPS_FMT_NONE = -1,
	SOPS_FMT_BINARY = 0,
	SOPS_FMT_DOTENV,
	SOPS_FMT_JSON,
	SOPS_FMT_YAML,
} sops_format;

/* A set of private keys. */
typedef struct sops_keys sops_keys;

sops_keys *sops_keys_new(void);
/* Free the set, wiping the key material. NULL is fine. */
void sops_keys_free(sops_keys *k);
/* Add the identities of an age key file (lines; '#' comments and blank lines skipped). Fails
 * on a line that is not an X25519 identity. */
int sops_keys_add_age(sops_keys *k, const char *text, size_t len, err *e);
/* Add the secret keys (primary key and subkeys) of an armored OpenPGP private key block. */
int sops_keys_add_pgp(sops_keys *k, const char *armored, size_t len, err *e);
/* How many usable keys the set holds. */
size_t sops_keys_count(const sops_keys *k);

/* Is doc a SOPS document (an object with a top-level `sops` mapping that has a `mac`)? */
bool sops_is_encrypted(const cJSON *doc);

/* Decrypt doc in place: every encrypted value is replaced by its typed plaintext and the
 * `sops` key is removed. With verify_mac the MAC is checked too (Flux's kustomize-controller
 * does not check it, as kustomize reorders and adds fields). */
int sops_decrypt_tree(const sops_keys *k, cJSON *doc, bool verify_mac, err *e);

/* Decrypt a whole SOPS file of format in, appending the plaintext in format out to `out`
 * (YAML and JSON may be converted into each other; binary gives the raw bytes; dotenv gives
 * KEY=value lines). */
int sops_decrypt_file(const sops_keys *k, const char *data, size_t len, sops_format in,
	sops_format out_fmt, bool verify_mac, buf *out, err *e);

/* Flux's detection of an encrypted Secret value by marker bytes ("mac: ENC[" for YAML,
 * "\"mac\": \"ENC[" for JSON and binary, "sops_mac=ENC[" for dotenv); SOPS_FMT_NONE when none. */
sops_format sops_detect_format(const char *data, size_t len);
/* The format for a file name by extension (.yaml/.yml, .json, .env, else binary). */
sops_format sops_format_for_path(const char *path);

/* The plaintext of one ENC[...] value (for tests and tools): out gets the bytes, *type the
 * type word. aad is the path string ("data:password:"). */
int sops_decrypt_value(const unsigned char key[32], const char *enc, const char *aad, buf *out,
	char type[8], err *e);

#endif
