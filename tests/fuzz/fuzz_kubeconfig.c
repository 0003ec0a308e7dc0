/* Fuzz the kubeconfig reader (YAML subset, merge, resolution, base64 data fields). */
#include <stddef.h>
#include <stdint.h>

#include "eddy/kube.h"
#include "eddy/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		mem_install_hooks();
		init = 1;
	}
	kube_config c;
	err e = {0};
	if (kube_config_load_data(&c, (const char *)data, size, NULL, NULL, &e) == 0)
		kube_config_release(&c);
	return 0;
}
