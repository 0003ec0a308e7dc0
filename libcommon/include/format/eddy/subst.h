/* subst: Flux's envsubst (fluxcd/pkg/envsubst, a fork of drone/envsubst), the language of a
 * Kustomization's spec.postBuild substitutions.
 *
 * Only the braced forms are expanded; a bare `$var` is left as it is. Outside braces, "$$" is
 * an escape for "$" (so "$${var}" gives the text "${var}"). Inside braces:
 *   ${var}                the value (the empty string when unset and not strict)
 *   ${var:=d} ${var=d} ${var:-d} ${var:?d} ${var:+d}
 *                         the value, or when it is empty the default d (all five behave the
 *                         same way, as in Flux; d may hold further ${...} expansions)
 *   ${#var}               the length of the value in bytes
 *   ${var^} ${var^^} ${var,} ${var,,}
 *                         upper/lower-case the first or every character (ASCII letters only)
 *   ${var:off} ${var:off:len}
 *                         a substring by byte offsets (negative offset counts from the end)
 *   ${var#p} ${var##p} ${var%p} ${var%%p}
 *                         remove the shortest/longest prefix/suffix matching the glob p
 *                         (Go's path.Match: *, ?, [...], backslash escapes)
 *   ${var/a/b} ${var//a/b} ${var/#a/b} ${var/%a/b}
 *                         replace the first/every occurrence, the prefix or the suffix a by b
 *                         ("\/" and "\\" escape inside a and b)
 * `${var-d}` and `${var+d}` are syntax errors ("missing closing brace"), as in Flux.
 *
 * Strict mode (Flux's StrictPostBuildSubstitutions feature gate, on by default): a variable the
 * lookup does not know, used without one of the default operators, is an error
 *   variable not set (strict mode): "name"
 * The whole input is parsed before anything is looked up, so a syntax error anywhere wins over
 * a missing variable. Syntax errors read like Flux's ("bad substitution", "missing closing
 * brace", "unable to parse variable name", "unable to parse substitution within function",
 * "unable to parse default function"). All errors have reason "BuildFailed". Messages name
 * variables but never contain values. Nesting is limited to SUBST_MAX_DEPTH levels. */
#ifndef EDDY_SUBST_H
#define EDDY_SUBST_H

#include <stdbool.h>
#include <stddef.h>

#include "eddy/buf.h"
#include "eddy/err.h"

enum { SUBST_MAX_DEPTH = 64 };

/* Look a variable up: return true and set *val (NUL-terminated, owned by the callee and valid
 * until subst_eval returns) when it is defined; false when it is not. */
typedef bool (*subst_lookup_fn)(const char *name, const char **val, void *ud);

/* Expand in[0..len) into out (appended). Returns 0, or -1 with e filled; out may then hold
 * partial output. Fails too when out's cap would be passed. */
int subst_eval(const char *in, size_t len, subst_lookup_fn lookup, void *ud, bool strict, buf *out,
	err *e);

/* Does name match Flux's variable-name rule ^[_[:alpha:]][_[:alpha:][:digit:]]*$ ? */
bool subst_valid_name(const char *name);

#endif
