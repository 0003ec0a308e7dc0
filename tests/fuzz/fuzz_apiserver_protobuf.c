/* Fuzz eddy-apiserver's protobuf request decoder ("k8s\0" + runtime.Unknown for Secret,
 * ConfigMap, DeleteOptions, Namespace, RBAC kinds...). The input is used as is and also behind
 * a fresh envelope for each supported kind. Nothing may crash, leak or hang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../apiserver/protobuf.h"
#include "eddy/mem.h"

static const char *const kinds[] = {"Secret", "ConfigMap", "DeleteOptions", "Namespace",
				    "RoleBinding", "ClusterRole", "SelfSubjectAccessReview",
				    "Deployment", "Service", "Job", "CronJob"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem_install_hooks();
	if (size > 256 * 1024)
		return 0;
	err e = {0};
	cJSON_Delete(pb_decode(data, size, &e));
	/* Wrap: k8s\0, field 1 typeMeta{2: kind}, field 2 raw = input. */
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t kl = strlen(kinds[k]);
		unsigned char *buf2 = xmalloc(size + kl + 32);
		size_t o = 0;
		memcpy(buf2, "k8s\0", 4);
		o = 4;
		buf2[o++] = 0x0a;
		buf2[o++] = (unsigned char)(kl + 2);
		buf2[o++] = 0x12;
		buf2[o++] = (unsigned char)kl;
		memcpy(buf2 + o, kinds[k], kl);
		o += kl;
		buf2[o++] = 0x12;
		size_t n = size;
		do {
			unsigned char c = n & 0x7f;
			n >>= 7;
			buf2[o++] = (unsigned char)(c | (n ? 0x80 : 0));
		} while (n);
		memcpy(buf2 + o, data, size);
		o += size;
		cJSON_Delete(pb_decode(buf2, o, &e));
		free(buf2);
	}
	return 0;
}
