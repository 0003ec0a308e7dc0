/* validate: admission checks of an object a request writes. Each returns 0 when the object may
 * be written, or -1 after answering the request (400 BadRequest or 422 Invalid, with causes). */
#ifndef APISERVER_VALIDATE_H
#define APISERVER_VALIDATE_H

#include <cjson/cJSON.h>

#include "server.h"

/* apiVersion and kind of a request body against the URL's type (c->ty). */
int validate_gvk(api_ctx *c, const cJSON *obj);
/* Metadata (name, labels, annotations, finalizers, ownerReferences), unknown top-level fields of
 * built-in kinds (dropped; fieldValidation Strict/Warn/Ignore), the CRD schema of a custom
 * resource (pruned and defaulted) and the checks of a CRD itself. Warnings go to c->rs. */
int validate_schema(api_ctx *c, cJSON *obj, const char *name);
/* Fields Kubernetes keeps immutable on update (immutable ConfigMap/Secret data, workload and Job
 * selectors, Job templates). */
int validate_immutable(api_ctx *c, const cJSON *old, const cJSON *obj, const char *name);

#endif
