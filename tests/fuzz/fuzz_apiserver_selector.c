/* Fuzz eddy-apiserver's label and field selector parsers and matchers: the input is parsed as
 * both kinds of selector and matched against a fixed set of labels. Nothing may crash, leak or
 * hang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../apiserver/selector.h"
#include "eddy/mem.h"

static const char *field(const cJSON *o, const char *f, char *tmp, size_t n)
{
	(void)tmp;
	(void)n;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, f);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem_install_hooks();
	if (size > SEL_MAX_LEN + 16)
		return 0;
	char *text = xstrndup((const char *)data, size);
	cJSON *labels = cJSON_Parse("{\"app\":\"web\",\"tier\":\"1\",\"example.com/x\":\"\"}");
	lsel ls;
	sel s;
	err e = {0};
	if (sel_parse_labels(&ls, text, &e) == 0) {
		(void)lsel_matches(&ls, labels);
		(void)lsel_matches(&ls, NULL);
		lsel_release(&ls);
	}
	if (sel_parse_fields(&s, text, &e) == 0) {
		(void)sel_match_fields(&s, labels, field);
		(void)sel_fixed_value(&s, "app");
		sel_release(&s);
	}
	cJSON_Delete(labels);
	free(text);
	return 0;
}
