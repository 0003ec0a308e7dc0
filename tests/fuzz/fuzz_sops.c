/* Fuzz the SOPS reader: the first byte picks the entry point (age key file, OpenPGP key block,
 * or a YAML / JSON / dotenv / binary SOPS file decrypted with the test age identity of
 * tests/unit/sops/age.agekey, so that age stanzas, AES-GCM values and the MAC are reached with
 * a valid key; the OpenPGP test keys are added too when tests/unit/sops/ is reachable from the
 * working directory, as in scripts/fuzz-smoke.sh). Any input must fail cleanly or decrypt;
 * nothing may crash or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/sops.h"

static const char AGE_ID[] =
	"AGE-SECRET-KEY-1MSH38AN5LE97Q009PFVVZNMGQZ73U28R6HYM02HTVA72FUVCT50QQ5V9M2\n";

static void add_pgp_file(sops_keys *k, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	static char tmp[1 << 16];
	size_t n = fread(tmp, 1, sizeof tmp, f);
	fclose(f);
	sops_keys_add_pgp(k, tmp, n, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sops_keys *keys;
	if (!keys) {
		mem_install_hooks();
		keys = sops_keys_new();
		if (sops_keys_add_age(keys, AGE_ID, strlen(AGE_ID), NULL) < 0)
			abort();
		add_pgp_file(keys, "tests/unit/sops/pgp.asc");
		add_pgp_file(keys, "tests/unit/sops/pgp-ecc.asc");
	}
	if (size < 1)
		return 0;
	const char *d = (const char *)data + 1;
	size_t n = size - 1;
	err e = {0};
	buf out;
	buf_init(&out, 1 << 24);
	switch (data[0] % 6) {
	case 0: {
		sops_keys *k = sops_keys_new();
		sops_keys_add_age(k, d, n, &e);
		sops_keys_free(k);
		break;
	}
	case 1: {
		sops_keys *k = sops_keys_new();
		sops_keys_add_pgp(k, d, n, &e);
		sops_keys_free(k);
		break;
	}
	case 2:
		sops_decrypt_file(keys, d, n, SOPS_FMT_YAML, SOPS_FMT_YAML, true, &out, &e);
		break;
	case 3:
		sops_decrypt_file(keys, d, n, SOPS_FMT_JSON, SOPS_FMT_JSON, true, &out, &e);
		break;
	case 4:
		sops_decrypt_file(keys, d, n, SOPS_FMT_DOTENV, SOPS_FMT_DOTENV, false, &out, &e);
		break;
	default:
		sops_decrypt_file(keys, d, n, SOPS_FMT_BINARY, SOPS_FMT_BINARY, false, &out, &e);
		break;
	}
	buf_release(&out);
	return 0;
}
