/* Fuzz the .sourceignore parser and matcher: the input is "<patterns>\0<path>". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/ignore.h"
#include "eddy/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	size_t tlen = strlen(text);
	const char *path = tlen + 1 < size ? (const char *)data + tlen + 1 : "a/b/c.yaml";
	char *p = xstrndup(path, size - (size_t)(path - (const char *)data));
	ign_rules *r = ign_new();
	ign_add_text(r, text, "");
	ign_add_text(r, text, "sub");
	ign_match(r, p, false);
	ign_match(r, p, true);
	ign_free(r);
	free(text);
	free(p);
	return 0;
}
