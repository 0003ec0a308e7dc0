/* Fuzz the label selector parser and matcher (labelsel.h) and the target selector on top of it
 * (targetsel.h): the input is a label selector, and a name regex. Nothing may crash, leak or
 * hang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/labelsel.h"
#include "eddy/mem.h"
#include "eddy/targetsel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem_install_hooks();
	if (size > LSEL_MAX_LEN + 16)
		return 0;
	char *text = xstrndup((const char *)data, size);
	cJSON *labels = cJSON_Parse("{\"app\":\"web\",\"tier\":\"1\",\"example.com/x\":\"\"}");
	lsel s;
	char msg[256];
	if (lsel_parse(&s, text, msg, sizeof msg) == 0) {
		(void)lsel_matches(&s, labels);
		(void)lsel_matches(&s, NULL);
		lsel_release(&s);
	}
	cJSON *sel = cJSON_CreateObject();
	cJSON_AddStringToObject(sel, "name", text);
	cJSON_AddStringToObject(sel, "labelSelector", text);
	tsel t;
	tsel_init(&t, sel, TSEL_GVK_REGEX, "BuildFailed");
	tsel_obj o = {.kind = "ConfigMap", .name = {"web-1", text}, .labels = labels};
	err e;
	(void)tsel_match(&t, &o, &e);
	tsel_release(&t);
	cJSON_Delete(sel);
	cJSON_Delete(labels);
	free(text);
	return 0;
}
