/* resource: the handlers of /api[s]/<group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<sub>]]
 * requests: get (resource.c), create (create.c), update (update.c), patch (patch.c), delete
 * (delete.c) and the scale subresource (scale.c); list, deletecollection and watch are list.c and
 * watch.c. A handler answers through c->rs; functions that take an object take ownership of it. */
#ifndef APISERVER_RESOURCE_H
#define APISERVER_RESOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"
#include "server.h"
#include "store.h"
#include "types.h"

/* Authorize and dispatch a request on c->ty (c->ns, c->name, c->sub set by the router). */
void res_handle(api_ctx *c);

/* ---- the handlers (resource.c dispatches to them) ---- */

/* Create obj (taken) in c->ns; answers success_code (201, or 200 for apply) with the object. */
void res_create(api_ctx *c, cJSON *obj, int success_code);
/* PUT of an object, or of its "status" or "finalize" subresource (sub, else NULL). */
void res_update(api_ctx *c, const char *sub);
/* PATCH of an object, or of its "status" subresource. */
void res_patch(api_ctx *c, const char *sub);
/* DELETE of an object (DeleteOptions in the body or the query). */
void res_delete(api_ctx *c);
/* GET, PUT and PATCH of the scale subresource. */
void res_scale(api_ctx *c);

/* ---- shared by the handlers ---- */

/* Load the current object; 1 found (row and *obj filled), 0 not found (404 answered when
 * answer), -1 error answered. */
int res_load(api_ctx *c, api_type *ty, const char *ns, const char *name, store_row *row,
	     cJSON **obj, bool answer);
/* Answer obj (taken) as served: CRD defaults and apiVersion applied, as a Table if asked. */
void res_respond(api_ctx *c, int code, cJSON *obj);
/* Decode the request body (JSON, YAML when allow_yaml or the content type says so, protobuf);
 * other content types are refused with 415 unless any_type. NULL when answered. */
cJSON *res_parse_body(api_ctx *c, bool allow_yaml, bool any_type);
/* Merge the request object into the stored one per subresource rules, bump generation, keep
 * server-owned metadata and validate; the result replaces *objp. 0, or -1 answered. */
int res_prepare_update(api_ctx *c, const cJSON *old, cJSON **objp, const char *sub,
		       bool require_rv);
/* Commit an update prepared by res_prepare_update (takes obj); answers. No-op writes keep the
 * resourceVersion. */
void res_commit_update(api_ctx *c, cJSON *obj, const cJSON *old, store_row *row,
		       const char *sub);
/* The fieldManager query parameter, or NULL. */
const char *res_field_manager(api_ctx *c);
/* Track managedFields for an ordinary write (old may be NULL for a create). */
void res_track(api_ctx *c, const cJSON *old, cJSON *obj, const char *sub);
/* Does obj have owners of which none exists any more (so the collector must run)? */
bool res_owners_gone(apiserver *s, const api_type *ty, const cJSON *obj);

/* ---- object writes used by handlers, the collector and the workload simulator ---- */

/* Delete an object (honouring finalizers and propagation); returns the HTTP code and fills out
 * (may be NULL) with the object still being deleted or a Success Status. */
int res_delete_object(apiserver *s, api_type *ty, const char *ns, const char *name,
		      const char *propagation, const cJSON *preconditions, bool dry_run,
		      cJSON **out, err *e);
/* Store an updated object (generic bookkeeping: an object being deleted whose last finalizer
 * is gone is removed). Returns the new revision or -1. */
int64_t res_store_update(apiserver *s, api_type *ty, const char *key, cJSON *obj,
			 const store_row *old, err *e);

#endif
