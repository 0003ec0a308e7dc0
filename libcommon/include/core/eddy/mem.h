/* mem: allocation helpers and Eddy's out-of-memory policy.
 *
 * Policy (stated once, followed everywhere): running out of memory is fatal. Every allocation in
 * Eddy goes through these helpers, which never return NULL: on failure they write one line to
 * stderr and end the process with exit status 70, and the orchestrator restarts it. Bounded
 * input keeps that case for genuine exhaustion; untrusted sizes are checked against caps before
 * any allocation (see buf.h). cJSON is routed through the same helpers by mem_install_hooks(). */
#ifndef EDDY_MEM_H
#define EDDY_MEM_H

#include <stddef.h>
#include <stdarg.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A newly allocated formatted string (vasprintf semantics, never NULL). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* Point cJSON's allocator at xmalloc/free. Idempotent; call once at start-up. */
void mem_install_hooks(void);

#endif
