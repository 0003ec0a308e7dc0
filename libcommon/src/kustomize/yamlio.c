/* YAML input and output of the engine, through eddy/yml.h (yaml.v3 typing, kustomize's style). */
#include <stdio.h>

#include "eddy/yml.h"
#include "kz_int.h"

cJSON *kz_yaml_parse(const char *data, size_t len, err *e)
{
	cJSON *docs = yml_parse_stream(data, len, NULL, e);
	if (!docs && e)
		snprintf(e->reason, sizeof(e->reason), "%s", KZ_REASON);
	return docs;
}

int kz_yaml_emit(buf *out, const cJSON *docs, err *e)
{
	return yml_emit_stream(out, docs, e);
}
