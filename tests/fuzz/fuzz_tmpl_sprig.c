/* Fuzz the Sprig/Helm functions that parse their arguments: the input is split at its first
 * newline into A and B, and each of these runs on its own with tight limits: mustToDate A B and
 * date A of it, semverCompare A B and semver B, decryptAES A B, fromToml B (then toToml and
 * toJson of the result), dateInZone with zone A. Any input must end quickly and cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/mem.h"
#include "eddy/tmpl.h"

static const char *const cases[] = {
	"{{ mustToDate .a .b | date .a }}{{ toDate .a .b | toJson }}",
	"{{ semverCompare .a .b }}",
	"{{ semver .b | toJson }}",
	"{{ decryptAES .a .b }}",
	"{{ $t := fromToml .b }}{{ $t | toJson }}{{ $t | toToml }}",
	"{{ dateInZone .b 1700000000 .a }}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem_install_hooks();
	if (size > 1 << 16)
		return 0;
	const char *d = (const char *)data;
	const char *nl = memchr(d, '\n', size);
	size_t na = nl ? (size_t)(nl - d) : size;
	tmpl_val v = tmpl_map_new();
	tmpl_map_set(v, "a", tmpl_strn(d, na));
	tmpl_map_set(v, "b", nl ? tmpl_strn(nl + 1, size - na - 1) : tmpl_str(""));
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		tmpl_set *s = tmpl_set_new();
		tmpl_limits lim = {.max_output = 1 << 18, .max_depth = 50, .max_steps = 20000,
				   .max_seconds = 5, .no_slow_crypto = true};
		tmpl_set_limits(s, &lim);
		err e;
		if (tmpl_parse(s, "f", cases[i], strlen(cases[i]), &e) == 0) {
			buf out;
			buf_init(&out, 1 << 19);
			tmpl_execute(s, "f", v, &out, &e);
			buf_release(&out);
		}
		tmpl_set_free(s);
	}
	tmpl_val_free(v);
	return 0;
}
