/* buf: a growable byte buffer with a mandatory cap (after curl's dynbuf).
 *
 * Every buffer that holds bytes from the network, a file or an archive is a buf with a cap; an
 * append that would pass the cap fails with -1 and leaves the buffer as it was, so a hostile
 * peer can never make us allocate more than the cap. The contents are always NUL-terminated
 * (the terminator is not counted in len), so text can be read with the C string functions. */
#ifndef EDDY_BUF_H
#define EDDY_BUF_H

#include <stddef.h>
#include <stdarg.h>

typedef struct buf {
	char *data;   /* NULL until the first append; then NUL-terminated */
	size_t len;   /* bytes in use, without the terminator */
	size_t alloc; /* bytes allocated */
	size_t cap;   /* the most len may ever be */
} buf;

/* Start empty with the given cap (bytes). Allocates nothing. */
void buf_init(buf *b, size_t cap);
/* Free the contents; the buf is then empty and may be reused with the same cap. */
void buf_release(buf *b);
/* Keep the allocation, drop the contents. */
void buf_reset(buf *b);
/* Append; 0 on success, -1 (buffer unchanged) if the cap would be passed. */
int buf_add(buf *b, const void *p, size_t n);
int buf_adds(buf *b, const char *s);
int buf_addc(buf *b, char c);
int buf_addf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(buf *b, const char *fmt, va_list ap);
/* The contents ("" when empty); valid until the next change. */
const char *buf_str(const buf *b);
/* Hand the allocation to the caller (never NULL: "" when empty); the buf becomes empty. */
char *buf_detach(buf *b, size_t *len_out);

#endif
