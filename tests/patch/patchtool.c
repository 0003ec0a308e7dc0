/* patchtool: apply a patch file to an object file with the patch module, for the differential
 * suite (run.sh compares the output with `kubectl patch --local`).
 *
 *   patchtool merge|json|strategic OBJECT.json PATCH.json
 *
 * Prints the result as JSON on stdout (exit 0) or "error: <message>" on stderr (exit 1). For
 * strategic, apiVersion and kind come from the object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "eddy/buf.h"
#include "eddy/mem.h"
#include "eddy/patch.h"

static cJSON *read_json(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "error: cannot open %s\n", path);
		return NULL;
	}
	buf b;
	buf_init(&b, 16 << 20);
	char chunk[4096];
	size_t n;
	int ok = 0;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (buf_add(&b, chunk, n) < 0) {
			ok = -1;
			break;
		}
	fclose(f);
	cJSON *v = ok == 0 ? cJSON_ParseWithLength(buf_str(&b), b.len) : NULL;
	buf_release(&b);
	if (!v)
		fprintf(stderr, "error: %s is not JSON\n", path);
	return v;
}

int main(int argc, char **argv)
{
	mem_install_hooks();
	if (argc != 4) {
		fprintf(stderr, "usage: patchtool merge|json|strategic OBJECT.json PATCH.json\n");
		return 2;
	}
	cJSON *obj = read_json(argv[2]), *p = read_json(argv[3]);
	if (!obj || !p) {
		cJSON_Delete(obj);
		cJSON_Delete(p);
		return 2;
	}
	err e = {0};
	cJSON *out = NULL;
	if (strcmp(argv[1], "merge") == 0) {
		out = patch_merge(obj, p, &e);
	} else if (strcmp(argv[1], "json") == 0) {
		out = patch_json(obj, p, &e);
	} else if (strcmp(argv[1], "strategic") == 0) {
		const cJSON *av = cJSON_GetObjectItemCaseSensitive(obj, "apiVersion");
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(obj, "kind");
		out = patch_strategic(obj, p, cJSON_IsString(av) ? av->valuestring : NULL,
				      cJSON_IsString(k) ? k->valuestring : NULL, &e);
	} else {
		fprintf(stderr, "error: unknown patch type %s\n", argv[1]);
	}
	int rc = 1;
	if (out) {
		char *s = cJSON_Print(out);
		printf("%s\n", s);
		free(s);
		cJSON_Delete(out);
		rc = 0;
	} else if (err_is_set(&e)) {
		fprintf(stderr, "error: %s\n", e.msg);
	}
	cJSON_Delete(obj);
	cJSON_Delete(p);
	return rc;
}
