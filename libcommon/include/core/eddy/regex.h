/* regex: PCRE2 behind one small interface that always matches with limits.
 *
 * Every pattern Eddy compiles (SOPS metadata regexes, Sprig's regex functions, chart schema
 * patterns, kustomize and Flux target selectors, Masterminds constraints) goes through here, so
 * every match runs with a match limit, a depth limit and a heap limit: a hostile pattern or
 * subject ends the match with an error (-1) instead of hanging a worker.
 *
 * An rx is immutable once compiled (rx_set_limits aside, which must come before sharing it) and
 * may be used by several threads at once; rx_exec allocates its own match data. The caller owns
 * the rx and frees it with rx_free. */
#ifndef EDDY_REGEX_H
#define EDDY_REGEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct rx rx;

enum {
	/* The whole subject must match, as if the pattern were `^(?:...)$` (start and end
	 * anchored; `$` inside the pattern keeps its usual meaning). */
	RX_FULL = 1u << 0,
	/* Pattern and subject are UTF-8 (`.` and classes work on code points). A subject that is
	 * not valid UTF-8 does not match unless RX_GO is also given. */
	RX_UTF = 1u << 1,
	/* Go regexp (RE2) semantics where PCRE2 differs by default: `$` matches only at the very
	 * end (not before a final newline), `\C` is refused, and with RX_UTF invalid UTF-8 in
	 * the subject is matched around rather than failing the match. */
	RX_GO = 1u << 2,
	/* Case-insensitive, as (?i). */
	RX_CASELESS = 1u << 3,
};

/* Default limits: PCRE2 match() calls per match, backtracking depth, heap KiB. */
enum { RX_MATCH_LIMIT = 1000000, RX_DEPTH_LIMIT = 100000, RX_HEAP_LIMIT_KIB = 65536 };

/* A matched group: [start, end) byte offsets into the subject, RX_UNSET when it took no part. */
#define RX_UNSET ((size_t)-1)
typedef struct rx_span {
	size_t start, end;
} rx_span;

/* Compile pat (NUL-terminated). On error returns NULL and, when msg is not NULL, writes PCRE2's
 * message (NUL-terminated, cut to msgn bytes); callers put it into their own error text. */
rx *rx_compile(const char *pat, unsigned flags, char *msg, size_t msgn);
void rx_free(rx *r);
/* Lower (or raise) the match and depth limits of r; 0 keeps the current value. */
void rx_set_limits(rx *r, uint32_t match_limit, uint32_t depth_limit);
/* Number of capturing groups in the pattern. */
size_t rx_groups(const rx *r);
/* The number of the named group, or -1 when the pattern has no group of that name. */
int rx_group_number(const rx *r, const char *name);

/* Match r against s[0, n) starting at byte offset start. On a match fills up to nsp spans
 * (span 0 is the whole match, span i group i; groups beyond nsp are not reported) and returns
 * 1 + the number of the highest group that is set (at least 1); returns 0 when there is no
 * match and -1 when the match hit a limit or the subject was refused (bad UTF-8, start > n). */
int rx_exec(const rx *r, const char *s, size_t n, size_t start, rx_span *sp, size_t nsp);
/* 1 when r matches the NUL-terminated s (NULL is the empty string), 0 when not, -1 on error. */
int rx_test(const rx *r, const char *s);

#endif
