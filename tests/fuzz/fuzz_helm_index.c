/* Fuzz the Helm repository index parser (eddy/helmindex.h): any bytes parse or fail cleanly,
 * the normalised JSON of an index reads back to the same JSON, and every lookup either finds a
 * version or fails with InvalidChartReference. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/helmindex.h"
#include "eddy/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	helmindex_limits lim = {.max_bytes = 1 << 20, .max_versions = 10000};
	err e = {0};
	helmindex *ix = helmindex_parse_mem((const char *)data, size, &lim, &e);
	if (!ix)
		return 0;
	buf a;
	buf_init(&a, 1 << 26);
	if (helmindex_write_buf(ix, &a, &e) < 0)
		abort();
	helmindex_limits big = {.max_bytes = 1 << 26, .max_versions = 10000};
	helmindex *again = helmindex_parse_mem(a.data, a.len, &big, &e);
	if (!again)
		abort();
	buf b;
	buf_init(&b, 1 << 26);
	if (helmindex_write_buf(again, &b, &e) < 0 || a.len != b.len ||
	    memcmp(a.data, b.data, a.len))
		abort();
	const char *ranges[] = {"", "*", ">=1.0.0 <2.0.0", "1.0.0", "~0.1", ">=0.0.0-0"};
	const char *names[] = {"a", "app", "x", ""};
	for (size_t n = 0; n < sizeof names / sizeof *names; n++)
		for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++) {
			helmindex_chart c;
			err fe = {0};
			if (helmindex_find(ix, names[n], ranges[r], &c, &fe) == 0) {
				if (!c.name || !c.version || !c.digest)
					abort();
			} else if (strcmp(fe.reason, "InvalidChartReference")) {
				abort();
			}
		}
	buf_release(&a);
	buf_release(&b);
	helmindex_free(again);
	helmindex_free(ix);
	return 0;
}
