/* Transformers not written yet. */
#include "kz_int.h"

int kz_replacements_apply(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *list, err *e)
{
	(void)c; (void)m; (void)dir;
	if (list)
		return err_fail(e, KZ_REASON, "replacements are not supported yet");
	return 0;
}

int kz_vars_resolve(kz_ctx *c, kz_resmap *m, err *e)
{
	(void)m;
	if (cJSON_GetArraySize(c->vars))
		return err_fail(e, KZ_REASON, "vars are not supported yet");
	return 0;
}
