/* Fuzz Flux's envsubst dialect (eddy/subst.h) in strict and lax mode with a few variables. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/subst.h"

static bool lookup(const char *name, const char **val, void *ud)
{
	(void)ud;
	if (!strcmp(name, "a")) {
		*val = "a/b/c.d";
		return true;
	}
	if (!strcmp(name, "n")) {
		*val = "42";
		return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		mem_install_hooks();
		init = 1;
	}
	for (int strict = 0; strict < 2; strict++) {
		buf out;
		buf_init(&out, 1 << 22);
		err e = {0};
		subst_eval((const char *)data, size, lookup, NULL, strict, &out, &e);
		buf_release(&out);
	}
	return 0;
}
