/* Fuzz artifact extraction: the input is written to a file and extracted with small caps. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "eddy/art.h"
#include "eddy/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char file[] = "/tmp/eddy-fuzz-art-XXXXXX";
	int fd = mkstemp(file);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(file);
		return 0;
	}
	close(fd);
	char dir[] = "/tmp/eddy-fuzz-out-XXXXXX";
	if (mkdtemp(dir)) {
		art_extract_limits lim = { .max_bytes = 1 << 20, .max_entries = 64, .max_ratio = 100 };
		err e = { 0 };
		art_extract(file, dir, &lim, &e);
		art_remove_dir("/", dir + 1, NULL);
	}
	unlink(file);
	return 0;
}
