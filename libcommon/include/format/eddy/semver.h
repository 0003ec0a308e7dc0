/* semver: semantic versions and constraints with the rules of Masterminds/semver v3, the one
 * implementation behind Flux's version choices (source-controller picking a Git tag by
 * spec.ref.semver) and Sprig's semver and semverCompare in Helm templates.
 *
 * Versions (NewVersion): "1.2.3", "v1.2.3", "1.2" and "1" (missing parts are 0), with optional
 * "-prerelease" and "+build" parts of dot-separated [0-9A-Za-z-] identifiers; a numeric
 * prerelease identifier may not start with 0. Precedence follows semver 2.0 (build metadata
 * ignored).
 *
 * Constraints (NewConstraint and Check): comparisons joined by "," or spaces (AND) and "||" (OR):
 * "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~" and "~>" (patch-level), "^" (compatible), hyphen
 * ranges "1.2 - 1.4.5", and wildcards "1.2.x", "1.*", "*", "x" ("dirty" constraints with
 * Masterminds' special cases). A version with a prerelease part satisfies an AND group only when
 * one of the group's comparisons carries a prerelease. Constraint syntax is checked with
 * Masterminds' own regular expressions (through regex.h).
 *
 * All functions are thread-safe. semver_parse and semver_range_parse are the Flux-facing entry
 * points: inputs are capped at SEMVER_MAX bytes and errors carry reason "InvalidSemver" (stalling).
 * semver_parse_go and semver_constraint_parse give Masterminds' own error texts (Sprig). */
#ifndef EDDY_SEMVER_H
#define EDDY_SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/err.h"

enum { SEMVER_MAX = 256 };

typedef struct semver {
	uint64_t major, minor, patch;
	char pre[SEMVER_MAX];  /* prerelease without '-', "" when none */
	char meta[SEMVER_MAX]; /* build metadata without '+', "" when none */
} semver;

/* Parse a version (NewVersion). 0, or -1 with e filled: InvalidSemver,
 * "invalid semantic version '<s>'". */
int semver_parse(const char *s, semver *v, err *e);
/* <0, 0, >0 by semver 2.0 precedence. */
int semver_cmp(const semver *a, const semver *b);

/* NewVersion with Masterminds' result: 0, or one of these codes (prerelease or metadata longer
 * than SEMVER_MAX - 1 bytes is SEMVER_EINVALID). */
enum { SEMVER_EINVALID = -1, SEMVER_ERANGE = -2, SEMVER_ELEADZERO = -3 };
int semver_parse_go(const char *s, semver *v);
/* Masterminds' message for a semver_parse_go code: "invalid semantic version", "Error parsing
 * version segment: value out of range", "version segment starts with 0". */
const char *semver_strerror(int code);

typedef struct semver_range semver_range;

/* Parse a constraint; NULL with e filled (reason "InvalidSemver", "improper constraint: <s>" or
 * "semver constraint too long") on a syntax error. */
semver_range *semver_range_parse(const char *s, err *e);
/* NewConstraint: NULL on a syntax error with Masterminds' message in msg ("improper constraint:
 * <group>", "constraint Parser Error", ...), cut to msgn bytes. No length cap. */
semver_range *semver_constraint_parse(const char *s, char *msg, size_t msgn);
bool semver_range_match(const semver_range *r, const semver *v);
void semver_range_free(semver_range *r);

#endif
