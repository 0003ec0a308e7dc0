#include "eddy/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void fill(err *e, err_class cls, const char *reason, const char *fmt, va_list ap)
{
	e->cls = cls;
	snprintf(e->reason, sizeof e->reason, "%s", reason ? reason : "");
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

int err_set(err *e, err_class cls, const char *reason, const char *fmt, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	fill(e, cls, reason, fmt, ap);
	va_end(ap);
	return -1;
}

int err_fail(err *e, const char *reason, const char *fmt, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	fill(e, ERR_GENERIC, reason, fmt, ap);
	va_end(ap);
	return -1;
}

void err_prefix(err *e, const char *fmt, ...)
{
	if (!e)
		return;
	char ctx[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof ctx, fmt, ap);
	va_end(ap);
	size_t clen = strlen(ctx);
	size_t mlen = strnlen(e->msg, sizeof e->msg - 1);
	if (clen + 2 >= sizeof e->msg)
		clen = sizeof e->msg - 3;
	if (clen + 2 + mlen >= sizeof e->msg)
		mlen = sizeof e->msg - 3 - clen;
	memmove(e->msg + clen + 2, e->msg, mlen);
	memcpy(e->msg, ctx, clen);
	memcpy(e->msg + clen, ": ", 2);
	e->msg[clen + 2 + mlen] = '\0';
}

void err_clear(err *e)
{
	if (!e)
		return;
	e->cls = ERR_NONE;
	e->reason[0] = '\0';
	e->msg[0] = '\0';
}
