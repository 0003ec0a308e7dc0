/* selector: Kubernetes label and field selectors (k8s.io/apimachinery labels and fields).
 *
 * Label selectors: comma-separated requirements, all of which must hold: `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (does not exist), `k>N`, `k<N`. `!=` and
 * `notin` also match objects without the key. Field selectors: comma-separated `f=v`, `f==v`,
 * `f!=v` with backslash escapes for `\,`, `\=` and `\\`. Parsing is bounded (input length and
 * term count) and never trusts its input. */
#ifndef APISERVER_SELECTOR_H
#define APISERVER_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"

enum { SEL_MAX_LEN = 16384, SEL_MAX_TERMS = 128, SEL_MAX_VALUES = 256 };

typedef enum sel_op {
	SEL_EQ,
	SEL_NE,
	SEL_IN,
	SEL_NOTIN,
	SEL_EXISTS,
	SEL_NOTEXISTS,
	SEL_GT,
	SEL_LT,
} sel_op;

typedef struct sel_term {
	char *key;
	sel_op op;
	char **values;
	size_t nvalues;
} sel_term;

typedef struct sel {
	sel_term *terms;
	size_t n;
} sel;

/* Parse a label selector into s (caller-owned; release with sel_release). An empty string is the
 * selector that matches everything. On error: -1, e filled with reason "BadRequest" and a message
 * in apimachinery's words. */
int sel_parse_labels(sel *s, const char *text, err *e);
/* Parse a field selector (ops SEL_EQ and SEL_NE only). */
int sel_parse_fields(sel *s, const char *text, err *e);
void sel_release(sel *s);

/* Does a labels object (a JSON object of strings, or NULL) satisfy the selector? */
bool sel_match_labels(const sel *s, const cJSON *labels);
/* Field lookup callback: the string value of field for the object, or NULL when absent. */
typedef const char *(*sel_field_fn)(const cJSON *obj, const char *field, char *tmp, size_t tmplen);
bool sel_match_fields(const sel *s, const cJSON *obj, sel_field_fn get);
/* The value a selector pins with "=" for field (metadata.name, ...), or NULL. */
const char *sel_fixed_value(const sel *s, const char *key);

#endif
