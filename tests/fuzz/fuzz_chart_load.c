/* Fuzz the chart loader with archive bytes (.tgz), then render what loads with tight limits. */
#include <stddef.h>
#include <stdint.h>

#include "eddy/buf.h"
#include "eddy/chart.h"
#include "eddy/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem_install_hooks();
	chart_limits lim = {.max_total = 4 << 20, .max_file = 1 << 20, .max_files = 200,
			    .max_ratio = 100};
	chart *c;
	err e;
	if (chart_load_archive(data, size, &lim, &c, &e) == 0) {
		chart_render_opts o = {.release_name = "r"};
		o.tmpl = (tmpl_limits){.max_output = 1 << 16, .max_depth = 50, .max_steps = 20000,
				       .max_seconds = 5, .no_slow_crypto = true};
		o.max_output = 1 << 18;
		tmpl_val vals = tmpl_map_new();
		buf out;
		buf_init(&out, 1 << 18);
		chart_render(c, vals, &o, &out, &e);
		buf_release(&out);
		tmpl_val_free(vals);
		chart_free(c);
	}
	return 0;
}
