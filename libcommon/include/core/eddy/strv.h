/* strv: a growable vector of owned, NUL-terminated strings.
 *
 * A zero-initialised strv ({0}) is empty and ready. The vector owns its strings (strv_add
 * copies, strv_take adopts) and frees them in strv_release. After every call below v[n] is
 * NULL, so v can be passed where a NULL-terminated array is expected (v is NULL while
 * nothing was ever added). Readers may index v[0..n) directly. */
#ifndef EDDY_STRV_H
#define EDDY_STRV_H

#include <stdbool.h>
#include <stddef.h>

typedef struct strv {
	char **v;
	size_t n;   /* strings in use */
	size_t cap; /* slots allocated, not counting the NULL terminator */
} strv;

/* Append a copy of str. */
void strv_add(strv *s, const char *str);
/* Append a copy of str[0..len). */
void strv_addn(strv *s, const char *str, size_t len);
/* Append str itself; the vector frees it. */
void strv_take(strv *s, char *str);
/* True when an element equals str (strcmp). */
bool strv_has(const strv *s, const char *str);
/* Remove (and free) the first element equal to str; the last element takes its place. True
 * when one was removed. */
bool strv_remove(strv *s, const char *str);
/* Free every string and the array; the vector is then empty ({0}) and may be reused. */
void strv_release(strv *s);

#endif
