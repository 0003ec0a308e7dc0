/* labelsel: Kubernetes label selectors (k8s.io/apimachinery/pkg/labels.Parse), parsed once and
 * matched against label or annotation maps.
 *
 * Syntax: comma-separated requirements, all of which must hold: `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (does not exist), `k>N`, `k<N` (integers).
 * Tokens are split as apimachinery's lexer does: blanks (space, tab, CR, LF) separate, and
 * `= ! ( ) , < >` are symbols; `in` and `notin` are keywords. `!=` and `notin` also hold for a map
 * without the key. Keys and values are not checked against the label name rules (callers that
 * need that validate on their own). The empty selector matches everything.
 *
 * Used by the kustomize engine (target label/annotation selectors), kustomize-controller's
 * spec.ignore targets and every other client-side selector. */
#ifndef EDDY_LABELSEL_H
#define EDDY_LABELSEL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

enum { LSEL_MAX_LEN = 65536 };

typedef enum lsel_op {
	LSEL_EQ,
	LSEL_NE,
	LSEL_IN,
	LSEL_NOTIN,
	LSEL_EXISTS,
	LSEL_NOTEXISTS,
	LSEL_GT,
	LSEL_LT,
} lsel_op;

typedef struct lsel_req {
	char *key;
	lsel_op op;
	char **vals; /* EQ, NE: one; IN, NOTIN: the set; GT, LT: one integer */
	size_t nvals;
	long long num; /* GT, LT */
} lsel_req;

/* A parsed selector; the caller owns it (zero it or lsel_parse it, then lsel_release). */
typedef struct lsel {
	lsel_req *reqs;
	size_t n;
} lsel;

/* Parse text (NULL or "" is the empty selector). On a syntax error returns -1, leaves s empty
 * and, when msg is not NULL, writes apimachinery's description of the problem into msg. Texts
 * longer than LSEL_MAX_LEN are refused. */
int lsel_parse(lsel *s, const char *text, char *msg, size_t msgn);
void lsel_release(lsel *s);
/* Does the string map m (a cJSON object, or NULL for no labels) satisfy every requirement?
 * A member that is not a string counts as present with the value "". */
bool lsel_matches(const lsel *s, const cJSON *m);
/* Parse and match in one go: 1 match, 0 no match, -1 syntax error (msg as for lsel_parse). */
int lsel_match_text(const char *text, const cJSON *m, char *msg, size_t msgn);

#endif
