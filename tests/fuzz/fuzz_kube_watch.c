/* Fuzz the watch stream splitter/decoder (kube_watch_feed), feeding the input in two chunks. */
#include <stddef.h>
#include <stdint.h>

#include "eddy/kube.h"
#include "eddy/mem.h"

static int ev(const char *type, cJSON *obj, void *ud)
{
	(void)type;
	(void)obj;
	(*(int *)ud)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		mem_install_hooks();
		init = 1;
	}
	size_t cut = size ? data[0] % (size + 1) : 0;
	kube_watch_parser p = {0};
	err e = {0};
	int n = 0;
	if (kube_watch_feed(&p, (const char *)data, cut, ev, &n, &e) == 0)
		kube_watch_feed(&p, (const char *)data + cut, size - cut, ev, &n, &e);
	kube_watch_parser_release(&p);
	return 0;
}
