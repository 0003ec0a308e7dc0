/* crd: CustomResourceDefinitions: their status, validation, structural defaulting, pruning and
 * validation of custom resources against their schema, and removal of a CRD's objects. */
#ifndef APISERVER_CRD_H
#define APISERVER_CRD_H

#include <cjson/cJSON.h>

#include "apiserver.h"
#include "types.h"

/* Fill the status of a CRD being written (conditions, acceptedNames). */
void crd_on_write(apiserver *s, cJSON *crd);
/* Validate (and prune and default) a custom resource against its schema; validation is the
 * fieldValidation query value. Causes are appended to *causes, warnings returned in *warnings.
 * Returns 0, or 400 when a Strict unknown field makes the request bad. */
int crd_validate_object(const api_type *ty, cJSON *obj, const char *validation, cJSON **causes,
			char **warnings);
/* Validate a CRD (causes appended); returns their number. */
int crd_validate_crd(apiserver *s, const cJSON *crd, cJSON **causes);
/* Apply the schema's defaults to obj. */
void crd_default(const cJSON *schema, cJSON *obj);
/* Delete every object of the CRD named crd_name. */
void crd_delete_instances(apiserver *s, const char *crd_name);

#endif
