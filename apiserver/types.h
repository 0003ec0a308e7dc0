/* types: the registry of served resource types (built-in table plus CRDs added at run time).
 *
 * An api_type is one (group, version, resource). Built-in types come from a static table of
 * Kubernetes 1.33; CRD types are added and removed when CRDs are written. The registry owns every
 * api_type; pointers stay valid until types_remove_crd() or types_free(). */
#ifndef APISERVER_TYPES_H
#define APISERVER_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "eddy/strv.h"

enum {
	VERB_CREATE = 1 << 0,
	VERB_DELETE = 1 << 1,
	VERB_DELETECOLLECTION = 1 << 2,
	VERB_GET = 1 << 3,
	VERB_LIST = 1 << 4,
	VERB_PATCH = 1 << 5,
	VERB_UPDATE = 1 << 6,
	VERB_WATCH = 1 << 7,
	VERB_ALL = 0xff,
};

typedef struct api_subres {
	char *name;  /* "status", "scale", "log", ... */
	char *group, *version, *kind; /* responseKind */
	unsigned verbs;
} api_subres;

typedef struct api_type {
	char *group, *version, *resource, *singular, *kind, *list_kind;
	bool namespaced;
	strv short_names;
	strv categories;
	unsigned verbs;
	api_subres *subres;
	size_t n_subres;
	bool has_status, has_scale;
	bool generation;       /* metadata.generation tracked */
	bool crd;              /* defined by a CustomResourceDefinition */
	bool storage;          /* the storage version of its group/resource */
	bool preferred;        /* the preferred version of its group (first in discovery) */
	int order;             /* position of the version within the group (0 = preferred) */
	const char *fields;    /* extra field selector labels, comma separated (static) */
	cJSON *schema;         /* CRD: openAPIV3Schema of this version (owned), else NULL */
	cJSON *columns;        /* CRD: additionalPrinterColumns (owned), else NULL */
	cJSON *selectable;     /* CRD: selectableFields (owned), else NULL */
	char *crd_name;        /* CRD: metadata.name of the CRD */
	char *scale_spec, *scale_status, *scale_selector; /* CRD scale subresource paths */
} api_type;

typedef struct types {
	api_type **v;
	size_t n;
} types;

void types_init(types *t);   /* fills the built-in table */
void types_free(types *t);

/* Find the type for group/version/resource (resource without subresource). */
api_type *types_find(types *t, const char *group, const char *version, const char *resource);
/* Any served version of group/resource (the storage one first). */
api_type *types_find_gr(types *t, const char *group, const char *resource);
/* Find by group/version/kind. */
api_type *types_find_kind(types *t, const char *group, const char *version, const char *kind);

/* Register (or replace) the types of a CRD object (apiextensions.k8s.io/v1 JSON). Returns the
 * number of versions registered. */
int types_add_crd(types *t, const cJSON *crd);
void types_remove_crd(types *t, const char *crd_name);

/* The storage key prefix of a group/resource: "/<group or core>/<resource>/". */
char *types_key_prefix(const api_type *ty);
/* apiVersion string of a type: "v1" or "group/version". */
char *types_api_version(const api_type *ty);
/* "<resource>[.<group>]" and "<Kind>[.<group>]", as API messages name a type. Caller frees. */
char *types_qualified_resource(const api_type *ty);
char *types_qualified_kind(const api_type *ty);

/* "v1" > "v1beta2" > "v1beta1" > "v1alpha1" > other (Kubernetes version priority); returns
 * <0 when a sorts before (is preferred to) b. */
int types_version_cmp(const char *a, const char *b);

#endif
