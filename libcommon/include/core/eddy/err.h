/* err: the one error value of Eddy.
 *
 * An error carries a Flux reason (a CamelCase word such as "GitOperationFailed", "BuildFailed",
 * "ArtifactFailed"; see the Flux reference) and a human message, and a class that says how a
 * reconciler reacts: generic errors are retried with backoff, stalling ones wait for the spec to
 * change, waiting ones are retried after the dependency interval. Reconcilers copy reason and
 * message verbatim into the Ready condition, so messages never contain secrets.
 *
 * An err lives in the caller's storage (no allocation); a function that can fail takes an
 * `err *` as its last argument and returns -1 (or NULL) after filling it. Passing NULL for the
 * err is allowed and discards the details. */
#ifndef EDDY_ERR_H
#define EDDY_ERR_H

#include <stdbool.h>

typedef enum err_class {
	ERR_NONE = 0,
	ERR_GENERIC,  /* retry with backoff */
	ERR_STALLING, /* no retry until the object's spec changes */
	ERR_WAITING,  /* retry after the dependency interval */
} err_class;

enum { ERR_REASON_MAX = 64, ERR_MSG_MAX = 2048 };

typedef struct err {
	err_class cls;
	char reason[ERR_REASON_MAX];
	char msg[ERR_MSG_MAX];
} err;

/* Fill e (if not NULL) and return -1, so `return err_set(e, ...)` reads naturally. The message
 * is truncated to ERR_MSG_MAX - 1 bytes. */
int err_set(err *e, err_class cls, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Shorthand for a generic error. */
int err_fail(err *e, const char *reason, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Put "context: " in front of the message, as Go's fmt.Errorf("context: %w") does. */
void err_prefix(err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(err *e);
static inline bool err_is_set(const err *e) { return e && e->cls != ERR_NONE; }

#endif
