/* json: small accessors for cJSON objects, the ones every module used to write for itself.
 *
 * Lookups are case-sensitive (as Kubernetes and Go's encoding/json with exact names) and
 * NULL-safe: a NULL or non-object o, or a NULL key, finds nothing. Returned pointers are
 * borrowed from o and valid while the member stays in it. The setters replace any member of
 * that name (cJSON allows duplicates; these never create one) and follow the mem.h
 * out-of-memory policy through cJSON's hooks. */
#ifndef EDDY_JSON_H
#define EDDY_JSON_H

#include <stdbool.h>

#include <cjson/cJSON.h>

/* The member k of o, or NULL. Not const, as strchr: the caller decides. */
cJSON *json_get(const cJSON *o, const char *k);
/* The member k when it is a string, or NULL. */
const char *json_str(const cJSON *o, const char *k);
/* The member k when it is a non-empty string, or NULL. */
const char *json_nonempty(const cJSON *o, const char *k);
/* The member k when it is a string, or def. */
const char *json_str_or(const cJSON *o, const char *k, const char *def);
/* The member k when it is an object (json_obj) or an array (json_arr), or NULL. */
cJSON *json_obj(const cJSON *o, const char *k);
cJSON *json_arr(const cJSON *o, const char *k);
/* The member k when it is a number (its valuedouble), or def. */
double json_num_or(const cJSON *o, const char *k, double def);
/* True when the member k is the boolean true. */
bool json_true(const cJSON *o, const char *k);

/* The object (array) member k of o, created empty, replacing a member of another type, when
 * there is none. o must be an object. */
cJSON *json_obj_ensure(cJSON *o, const char *k);
cJSON *json_arr_ensure(cJSON *o, const char *k);
/* Replace the member k by item (taken), which goes last; with item NULL only remove it. */
void json_set(cJSON *o, const char *k, cJSON *item);
/* Replace the member k by item (taken) where it stands, or append it when there is none. */
void json_replace(cJSON *o, const char *k, cJSON *item);
/* Replace the member k by the string v; with v NULL only remove it. */
void json_set_str(cJSON *o, const char *k, const char *v);
/* Remove (and free) the member k; nothing when there is none. */
void json_del(cJSON *o, const char *k);

/* Deep equality with case-sensitive keys and object members in any order (cJSON_Compare);
 * two NULLs are equal, NULL and a value are not. */
bool json_equal(const cJSON *a, const cJSON *b);

#endif
