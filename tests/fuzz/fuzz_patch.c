/* Fuzz the patch module. The input is "<target JSON>\0<patch JSON>" (or, without a NUL, the
 * two halves split at the first line "%%"). Every patch kind runs on it: merge patch, JSON
 * patch, strategic merge patch (with the target's kind and with built-in kinds), server-side
 * apply of the patch onto the target, Update tracking and the field set of the patch. Nothing
 * may crash, leak or hang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/patch.h"

enum { MAX_INPUT = 64 * 1024 };

static void drop(cJSON *v)
{
	cJSON_Delete(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem_install_hooks();
	if (size > MAX_INPUT)
		return 0;
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	const char *second;
	size_t first_len = strlen(text);
	if (first_len < size) {
		second = text + first_len + 1;
	} else {
		char *sep = strstr(text, "\n%%\n");
		if (sep) {
			*sep = '\0';
			second = sep + 4;
		} else {
			second = "{}";
		}
	}
	cJSON *target = cJSON_Parse(text), *patch = cJSON_Parse(second);
	err e = {0};
	if (patch) {
		drop(patch_merge(target, patch, &e));
		if (target) {
			drop(patch_json(target, patch, &e));
			const cJSON *av = cJSON_GetObjectItemCaseSensitive(target, "apiVersion");
			const cJSON *kind = cJSON_GetObjectItemCaseSensitive(target, "kind");
			drop(patch_strategic(target, patch,
					     cJSON_IsString(av) ? av->valuestring : NULL,
					     cJSON_IsString(kind) ? kind->valuestring : NULL, &e));
			drop(patch_strategic(target, patch, "v1", "Pod", &e));
			drop(patch_strategic(target, patch, "apps/v1", "Deployment", &e));
			drop(patch_strategic(target, patch, "v1", "Service", &e));
		}
		/* server-side apply of patch onto target (as the live object), with the patch
		 * also used as a CRD schema hint */
		cJSON *live = target ? cJSON_Duplicate(target, 1) : NULL;
		patch_conflicts c;
		patch_schema_hint hint = {patch};
		patch_apply(&live, patch, "fuzz", false, "t", NULL, &c, &e);
		patch_conflicts_release(&c);
		patch_apply(&live, patch, "other", true, "t", &hint, &c, &e);
		cJSON *st = patch_conflicts_status(&c);
		drop(st);
		patch_conflicts_release(&c);
		if (cJSON_IsObject(live) && cJSON_IsObject(target))
			patch_track_update(target, live, "upd", "v1", NULL, "t", NULL, &e);
		drop(live);
		drop(patch_fields_of(patch, &hint, &e));
		/* schema lookups with fuzzed paths */
		if (cJSON_IsString(patch)) {
			patch_field_info fi;
			patch_schema_field("apps/v1", "Deployment", patch->valuestring, &fi);
			patch_list_merge_key("v1", "Pod", patch->valuestring, NULL);
		}
	}
	drop(target);
	drop(patch);
	free(text);
	return 0;
}
