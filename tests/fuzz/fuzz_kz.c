/* Fuzz target for the kustomize engine: the input is a kustomization.yaml, optionally followed
 * by a NUL byte and the content of patch.yaml. Both are built against a small fixed tree of
 * resources in a private temporary directory (the kustomization through kz_options, the patch
 * as a file), so any field of the kustomization can refer to res.yaml, patch.yaml, base/ and
 * env files. The build must fail cleanly or succeed; the sanitizers catch the rest. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/kz.h"
#include "eddy/mem.h"

static char dir[64];

static void put(const char *rel, const char *data, size_t len)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	FILE *f = fopen(p, "wb");
	if (!f)
		abort();
	fwrite(data, 1, len, f);
	fclose(f);
}

static void init(void)
{
	static const char res[] =
		"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  labels:\n"
		"    app: app\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n"
		"      - name: main\n        image: nginx:1\n        envFrom:\n        - configMapRef:\n"
		"            name: cfg\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
		"spec:\n  ports:\n  - port: 80\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
		"  name: cfg\ndata:\n  a: b\n";
	static const char basek[] = "namePrefix: b-\nresources:\n- r.yaml\n";
	char p[128];
	mem_install_hooks();
	snprintf(dir, sizeof(dir), "/tmp/fuzz_kz.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(p, sizeof(p), "%s/base", dir);
	mkdir(p, 0700);
	put("res.yaml", res, sizeof(res) - 1);
	put("base/r.yaml", res, sizeof(res) - 1);
	put("base/kustomization.yaml", basek, sizeof(basek) - 1);
	put("a.env", "A=1\nB=2\n", 8);
	put("file.txt", "hello\n", 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0])
		init();
	if (size > 65536)
		return 0;
	const uint8_t *nul = memchr(data, 0, size);
	size_t klen = nul ? (size_t)(nul - data) : size;
	if (nul)
		put("patch.yaml", (const char *)nul + 1, size - klen - 1);
	else
		put("patch.yaml", "", 0);
	kz_options o = {
		.kustomization = (const char *)data,
		.kustomization_len = klen,
		.max_file_bytes = 1 << 20,
		.max_total_bytes = 8 << 20,
		.max_depth = 20,
		.max_resources = 1000,
	};
	buf out;
	err e = {0};
	buf_init(&out, 16 << 20);
	kz_build_yaml(&o, dir, dir, &out, &e);
	buf_release(&out);
	return 0;
}
