/* Fuzz the Go template parser and executor: the input is a template, run against a small values
 * map with tight limits (steps, output, depth), so any input must end quickly and cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/mem.h"
#include "eddy/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem_install_hooks();
	if (size > 1 << 16)
		return 0;
	tmpl_set *s = tmpl_set_new();
	tmpl_limits lim = {.max_output = 1 << 16, .max_depth = 50, .max_steps = 20000,
			   .max_seconds = 5, .no_slow_crypto = true};
	tmpl_set_limits(s, &lim);
	err e;
	if (tmpl_parse(s, "f", (const char *)data, size, &e) == 0) {
		const char *vals = "a: 1\nb: [x, 2, {c: d}]\nm: {k: v, n: null}\ns: str\n";
		tmpl_val v;
		if (tmpl_from_yaml(vals, strlen(vals), false, &v, &e) == 0) {
			buf out;
			buf_init(&out, 1 << 17);
			tmpl_execute(s, "f", v, &out, &e);
			buf_release(&out);
			tmpl_val_free(v);
		}
	}
	tmpl_set_free(s);
	return 0;
}
