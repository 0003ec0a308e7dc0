/* rt: Kubernetes events recorded by reconcilers (eddy/rt.h). */
#include "rt_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void rt_event(rt_ctx *ctx, const cJSON *obj, const char *type, const char *reason,
	const cJSON *annotations, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	kube_event_opts o = {.type = type, .reason = reason, .message = msg,
		.component = ctx->m->name, .annotations = annotations};
	err e = {0};
	if (kube_event_create(ctx->kube, obj, &o, &e) < 0)
		rt_logj("error", "events", ctx->c ? ctx->c->av : NULL, ctx->c ? ctx->c->kind : NULL,
			ctx->ns, ctx->name,
			ctx->reconcile_id, &e, "failed to record event %s", reason);
}
