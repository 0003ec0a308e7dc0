/* semver: semantic versions and constraint ranges, with the rules Flux inherits from
 * Masterminds/semver v3 (used by source-controller to pick a Git tag or a chart version).
 *
 * Versions: "1.2.3", "v1.2.3", "1.2" and "1" (missing parts are 0), with optional
 * "-prerelease" and "+build" parts. Precedence follows semver 2.0 (build metadata ignored).
 *
 * Constraints: comparisons joined by "," or spaces (AND) and "||" (OR): "=", "!=", ">", "<",
 * ">=", "=<"/"<=", "~" (patch-level: ~1.2.3 = >=1.2.3 <1.3.0; ~1 = >=1 <2), "^" (compatible:
 * ^1.2.3 = >=1.2.3 <2.0.0; ^0.2.3 = >=0.2.3 <0.3.0; ^0.0.3 = >=0.0.3 <0.0.4), hyphen ranges
 * "1.2 - 1.4.5", and wildcards "1.2.x", "1.*", "*", "x". A version with a prerelease part only
 * satisfies a constraint group when one of the group's comparisons carries a prerelease (as
 * Masterminds does). All functions are pure and thread-safe; inputs are capped at 256 bytes. */
#ifndef EDDY_SEMVER_H
#define EDDY_SEMVER_H

#include <stdbool.h>
#include <stdint.h>

#include "eddy/err.h"

typedef struct semver {
	uint64_t major, minor, patch;
	char pre[128];   /* prerelease without '-', "" when none */
} semver;

/* Parse a version (strict about characters; leading 'v' allowed). 0 or -1. */
int semver_parse(const char *s, semver *v, err *e);
/* <0, 0, >0 by semver 2.0 precedence. */
int semver_cmp(const semver *a, const semver *b);

typedef struct semver_range semver_range;

/* Parse a constraint; NULL with e filled (reason "InvalidSemver") on a syntax error. */
semver_range *semver_range_parse(const char *s, err *e);
bool semver_range_match(const semver_range *r, const semver *v);
void semver_range_free(semver_range *r);

#endif
