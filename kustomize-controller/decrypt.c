/* placeholder */
#include "kc_build.h"
int kc_decrypt(rt_ctx *ctx, const cJSON *ks, cJSON *objs, err *e)
{
	(void)ctx; (void)ks; (void)objs; (void)e;
	return 0;
}
