/* embedded: files compiled into the eddy binary by cli/embed.cmake: the CRDs
 * ("config/crd/NAME.yaml") and the sandbox's example repository ("examples/demo-app/...").
 * Each entry's data is NUL-terminated (len excludes the NUL); the table ends with an entry
 * whose path is NULL. */
#ifndef EDDY_CLI_EMBEDDED_H
#define EDDY_CLI_EMBEDDED_H

#include <stddef.h>

typedef struct eddy_embedded_file {
	const char *path;
	const unsigned char *data;
	size_t len;
} eddy_embedded_file;

extern const eddy_embedded_file eddy_embedded[];
extern const unsigned eddy_embedded_count;

#endif
