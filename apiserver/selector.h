/* selector: Kubernetes label and field selectors as the API server reads them from a request.
 *
 * Label selectors: comma-separated requirements, all of which must hold: `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (does not exist), `k>N`, `k<N`. They are
 * parsed here into libcommon's lsel (eddy/labelsel.h), with keys and values checked against the
 * label rules (names.h) and errors in the words the API server has always answered with, and
 * matched with lsel_matches (`!=` and `notin` also match objects without the key). Field
 * selectors: comma-separated `f=v`, `f==v`, `f!=v` with backslash escapes for `\,`, `\=` and
 * `\\`. Parsing is bounded (input length and term count) and never trusts its input. */
#ifndef APISERVER_SELECTOR_H
#define APISERVER_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "eddy/labelsel.h"

enum { SEL_MAX_LEN = 16384, SEL_MAX_TERMS = 128, SEL_MAX_VALUES = 256 };

/* A field selector requirement's operator. */
typedef enum sel_op {
	SEL_EQ,
	SEL_NE,
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

/* Parse a label selector into s (caller-owned; release with lsel_release, match with
 * lsel_matches). An empty string is the selector that matches everything. On error: -1, s
 * empty, e filled with reason "BadRequest" and a message in apimachinery's words. */
int sel_parse_labels(lsel *s, const char *text, err *e);
/* Parse a field selector into s (release with sel_release). */
int sel_parse_fields(sel *s, const char *text, err *e);
void sel_release(sel *s);

/* Field lookup callback: the string value of field for the object, or NULL when absent. */
typedef const char *(*sel_field_fn)(const cJSON *obj, const char *field, char *tmp, size_t tmplen);
bool sel_match_fields(const sel *s, const cJSON *obj, sel_field_fn get);
/* The value a selector pins with "=" for field (metadata.name, ...), or NULL. */
const char *sel_fixed_value(const sel *s, const char *key);

#endif
