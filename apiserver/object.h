/* object: Kubernetes objects as cJSON: metadata, storage keys, bounded parsing (plain member
 * access is eddy/json.h, which this header brings along).
 *
 * Plain functions of JSON values; nothing here touches the server, the store or a request. */
#ifndef APISERVER_OBJECT_H
#define APISERVER_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "eddy/json.h" /* the plain accessors (json_str, json_obj_ensure, ...) */
#include "types.h"

/* obj.metadata when it is an object, else NULL. */
cJSON *obj_meta(const cJSON *obj);
/* The integer member k of a metadata object (0 when absent). */
int64_t obj_meta_int(const cJSON *meta, const char *k);
/* Set metadata.resourceVersion to rev. */
void obj_set_rv(cJSON *obj, int64_t rev);
/* Rewrite apiVersion of obj for ty (and set kind when missing). */
void obj_set_version(cJSON *obj, const api_type *ty);
/* Compact JSON text of o (never NULL; caller frees). */
char *obj_print(const cJSON *o);
/* Parse JSON with the API's size and depth limits (API_MAX_BODY, API_MAX_JSON_DEPTH); NULL and
 * e filled ("RequestEntityTooLarge" or "BadRequest") on failure. */
cJSON *obj_parse(const char *text, size_t len, err *e);
/* The current time as a metadata timestamp ("2006-01-02T15:04:05Z", UTC). */
void obj_timestamp(char out[32]);
/* The storage key of an object: "/<group or core>/<resource>/[<ns>/]<name>". Caller frees. */
char *obj_key(const api_type *ty, const char *ns, const char *name);

/* metadata.finalizers: any at all, a given one; add one (no duplicates); remove every copy of
 * one (and the list itself when it ends up empty). */
bool obj_has_finalizers(const cJSON *obj);
bool obj_has_finalizer(const cJSON *obj, const char *name);
void obj_add_finalizer(cJSON *obj, const char *name);
void obj_remove_finalizer(cJSON *obj, const char *name);

#endif
