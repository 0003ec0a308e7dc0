/* targetsel: Kubernetes object target selectors, as kustomize's types.Selector and Flux's
 * jsondiff.Selector (kustomize-controller spec.ignore[].target) define them: group, version,
 * kind, name and namespace, plus label and annotation selectors (labelsel.h).
 *
 * Name and namespace are regexes matched against the whole value (`^(?:...)$`, Go regexp
 * syntax, through regex.h so every match is limited). Group, version and kind are exact strings
 * for kustomize and whole-value regexes for Flux (TSEL_GVK_REGEX). An absent or empty field
 * selects everything.
 *
 * Fields are checked in the order group, version, kind, namespace, name, labels, annotations, and
 * each regex or selector is compiled when it is first needed, so an invalid field behind one that
 * does not match is never reported. A tsel caches what it compiled and belongs to one thread. */
#ifndef EDDY_TARGETSEL_H
#define EDDY_TARGETSEL_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "eddy/labelsel.h"
#include "eddy/regex.h"

enum {
	TSEL_GVK_REGEX = 1u << 0, /* group, version and kind are regexes too (Flux) */
};

enum { TSEL_GROUP, TSEL_VERSION, TSEL_KIND, TSEL_NAMESPACE, TSEL_NAME, TSEL_NFIELDS };

typedef struct tsel {
	unsigned flags;
	const char *reason;                  /* the err reason for invalid fields */
	const char *field[TSEL_NFIELDS];      /* borrowed from the selector object */
	const char *labels, *annotations;     /* borrowed */
	rx *re[TSEL_NFIELDS];
	bool tried[TSEL_NFIELDS];
	lsel lsel[2];
	bool lparsed[2];
} tsel;

/* What an object offers to a selector. Name and namespace may have two candidates (kustomize
 * tries the original, then the current one); a field matches when any non-NULL candidate does
 * (a NULL first candidate is the empty string). */
typedef struct tsel_obj {
	const char *group, *version, *kind;
	const char *name[2], *ns[2];
	const cJSON *labels, *annotations;
} tsel_obj;

/* Set t up from a selector object (its string members group, version, kind, name, namespace,
 * labelSelector, annotationSelector; sel may be NULL, selecting everything). sel must outlive
 * t. reason is the err reason used by tsel_match. */
void tsel_init(tsel *t, const cJSON *sel, unsigned flags, const char *reason);
void tsel_release(tsel *t);
/* 1 when the object is selected, 0 when not, -1 (e filled) when a field needed to decide is
 * invalid: "error parsing regexp: <pattern>" or "unable to parse requirement: <selector>". */
int tsel_match(tsel *t, const tsel_obj *o, err *e);

#endif
