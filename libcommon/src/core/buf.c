#include "eddy/buf.h"
#include "eddy/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void buf_release(buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void buf_reset(buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int buf_add(buf *b, const void *p, size_t n)
{
	if (n > b->cap || b->len > b->cap - n)
		return -1;
	size_t need = b->len + n + 1;
	if (need > b->alloc) {
		size_t a = b->alloc ? b->alloc : 64;
		while (a < need)
			a = a > SIZE_MAX / 2 ? need : a * 2;
		b->data = xrealloc(b->data, a);
		b->alloc = a;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_adds(buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addc(buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vaddf(buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof small, fmt, copy);
	va_end(copy);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof small)
		return buf_add(b, small, (size_t)n);
	char *big = xvasprintf(fmt, ap);
	int rc = buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

int buf_addf(buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *buf_str(const buf *b)
{
	return b->data ? b->data : "";
}

char *buf_detach(buf *b, size_t *len_out)
{
	char *d = b->data ? b->data : xstrdup("");
	if (len_out)
		*len_out = b->len;
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return d;
}
