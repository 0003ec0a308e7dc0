/* yml_roundtrip: read YAML (files or stdin), parse with yml_parse_stream, print with
 * yml_emit_stream. Used by the conformance suite against `kubectl kustomize`.
 *   yml_roundtrip [--json] [FILE...]   (--json: print each document as JSON instead) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/err.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

static int slurp(FILE *f, buf *b)
{
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_add(b, tmp, n) < 0)
			return -1;
	return ferror(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
	mem_install_hooks();
	bool json = false;
	int first = 1;
	if (argc > 1 && strcmp(argv[1], "--json") == 0) {
		json = true;
		first = 2;
	}
	cJSON *all = cJSON_CreateArray();
	int files = argc - first;
	for (int i = first; i < argc || (files == 0 && i == first); i++) {
		buf in;
		buf_init(&in, (size_t)1 << 30);
		FILE *f = files ? fopen(argv[i], "rb") : stdin;
		if (!f || slurp(f, &in) < 0) {
			fprintf(stderr, "yml_roundtrip: cannot read %s\n",
				files ? argv[i] : "stdin");
			return 2;
		}
		if (files)
			fclose(f);
		err e = { 0 };
		cJSON *docs = yml_parse_stream(in.data ? in.data : "", in.len, NULL, &e);
		buf_release(&in);
		if (!docs) {
			fprintf(stderr, "error: %s\n", e.msg);
			yml_free(all);
			return 1;
		}
		while (docs->child)
			cJSON_AddItemToArray(all, cJSON_DetachItemViaPointer(docs, docs->child));
		yml_free(docs);
	}
	buf out;
	buf_init(&out, (size_t)1 << 30);
	err e = { 0 };
	int rc = 0;
	if (json) {
		for (cJSON *d = all->child; d && rc == 0; d = d->next) {
			rc = yml_json_print(&out, d, &e);
			buf_addc(&out, '\n');
		}
	} else {
		rc = yml_emit_stream(&out, all, &e);
	}
	if (rc < 0) {
		fprintf(stderr, "error: %s\n", e.msg);
	} else {
		fwrite(out.data ? out.data : "", 1, out.len, stdout);
	}
	buf_release(&out);
	yml_free(all);
	return rc < 0 ? 1 : 0;
}
