/* Fuzz the semver parser and range matcher: the input is "<range>\0<version>". Checks that
 * comparison is antisymmetric, that both parse entry points agree, and that parsing never
 * crashes on any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/semver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *range = xstrndup((const char *)data, size);
	size_t rlen = strlen(range);
	const char *ver = rlen + 1 < size ? (const char *)data + rlen + 1 : "1.2.3";
	char *v = xstrndup(ver, size - (size_t)(ver - (const char *)data));
	semver a, b;
	int pa = semver_parse(range, &a, NULL), pb = semver_parse(v, &b, NULL);
	if (pa == 0 && pb == 0 && semver_cmp(&a, &b) != -semver_cmp(&b, &a))
		abort();
	semver_range *r = semver_range_parse(range, NULL);
	if (r && pb == 0)
		semver_range_match(r, &b);
	semver_range_free(r);
	/* the Masterminds entry points Sprig uses: no length cap, their own messages */
	char msg[256];
	semver c;
	if (semver_parse_go(v, &c) == 0 && pb == 0 && semver_cmp(&c, &b) != 0)
		abort();
	r = semver_constraint_parse(range, msg, sizeof msg);
	if (r && semver_parse_go(v, &c) == 0)
		semver_range_match(r, &c);
	semver_range_free(r);
	free(range);
	free(v);
	return 0;
}
