/* clock: the process's clocks, RFC 3339 timestamps and Go durations.
 *
 * Monotonic time measures intervals (deadlines, backoff, elapsed time); real time is only for
 * what is shown or stored (timestamps in status, events and logs). Durations are Go's
 * time.Duration: int64 nanoseconds, parsed as time.ParseDuration and printed as
 * Duration.String(). Everything here is thread-safe and allocates nothing. */
#ifndef EDDY_CLOCK_H
#define EDDY_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "eddy/err.h"

#define GODUR_MS ((int64_t)1000000)
#define GODUR_SECOND ((int64_t)1000000000)
#define GODUR_MINUTE (60 * GODUR_SECOND)
#define GODUR_HOUR (60 * GODUR_MINUTE)

/* CLOCK_MONOTONIC in milliseconds. */
int64_t clock_mono_ms(void);
/* CLOCK_REALTIME in nanoseconds since the Unix epoch. */
int64_t clock_real_ns(void);

/* Room for any clock_rfc3339 result with its terminator. */
#define CLOCK_RFC3339_MAX 48

/* Write unix_ns as UTC RFC 3339 into out (n bytes): "2006-01-02T15:04:05Z" with digits 0, or
 * with that many fraction digits (3: "...05.000Z", 6: Kubernetes MicroTime, 9: nanoseconds),
 * always all of them (no trimming of zeros). Returns out. */
char *clock_rfc3339(char *out, size_t n, int64_t unix_ns, int digits);
/* The same, without fraction digits, for unix_sec seconds: the whole range gmtime accepts, not
 * only the one unix_ns can hold (out is "" beyond it). Returns out. */
char *clock_rfc3339_sec(char *out, size_t n, int64_t unix_sec);
/* The same for the current real time. */
char *clock_rfc3339_now(char *out, size_t n, int digits);

/* Parse a Go duration ("300ms", "-1.5h", "2h45m", "1m30s", "10us", "0") into nanoseconds,
 * exactly as Go's time.ParseDuration: 0, or -1 with e (if not NULL) set to Go's message
 * ("time: invalid duration \"x\"", "time: missing unit in duration \"3\"", "time: unknown unit
 * \"d\" in duration \"1d\"") as a stalling error with reason InvalidDuration. */
int godur_parse(const char *s, int64_t *ns, err *e);
/* Go's Duration.String() of ns into out (n bytes; 40 always suffice). Returns out. */
char *godur_format(char *out, size_t n, int64_t ns);

#endif
