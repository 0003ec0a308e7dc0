/* kube: a blocking Kubernetes API client for worker threads.
 *
 * Configuration comes from kubeconfig files (KUBECONFIG or an explicit path, with contexts and
 * a --context override) or from the in-cluster service account. A kube_client is shared by all
 * threads of a process: every call is thread-safe and blocking, so it must never be used on the
 * libuv loop thread (reconciles and informer threads use it). The transport is the net layer's
 * HTTP/1.1 client (eddy/h1.h): open keep-alive connections are shared between the calls of all
 * threads (TLS sessions are not resumed).
 *
 * Objects are cJSON trees. Functions returning a cJSON* hand ownership to the caller (free with
 * cJSON_Delete); functions taking a `const cJSON *` never keep it. On failure a function returns
 * NULL or -1 and fills the `err *`: for answers of the API server e->reason is the Status reason
 * of the server (NotFound, AlreadyExists, Conflict, Expired, Gone, Invalid, Forbidden,
 * Unauthorized, Timeout, BadRequest, ...) and e->msg its message, verbatim; transport failures
 * have reason "KubeTransportFailed" and configuration errors "KubeConfigInvalid". Use
 * kube_errkind() to classify an error. Secrets (tokens, keys) never appear in messages.
 *
 * Resources are addressed by apiVersion + kind (e.g. "v1" + "ConfigMap", "apps/v1" +
 * "Deployment"); the client maps them to URL paths through discovery (GET /api/v1 or
 * /apis/GROUP/VERSION), caches the answer and refreshes it once on a miss, so kinds registered
 * at run time (CRDs) are found. Requests pass a client-side token bucket (QPS/burst).
 */
#ifndef EDDY_KUBE_H
#define EDDY_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "eddy/err.h"

/* ---------------------------------------------------------------- configuration */

/* A resolved connection configuration. All strings are owned (xstrdup'ed) and freed by
 * kube_config_release(). PEM blobs hold the certificate/key bytes themselves (read from the
 * file or decoded from the *-data fields), so the client never re-reads files except tokenFile. */
typedef struct kube_config {
	char *server;         /* "https://host:port" (no trailing slash) */
	char *ca_pem;         /* certificate-authority(-data), NULL = system trust store */
	char *cert_pem;       /* client-certificate(-data) */
	char *key_pem;        /* client-key(-data) */
	char *token;          /* bearer token */
	char *token_file;     /* re-read every minute when set (service-account token rotation) */
	bool insecure;        /* insecure-skip-tls-verify */
	char *namespace_;     /* the context's namespace, "default" when unset */
	char *context;        /* name of the context used (NULL in cluster) */
	char *impersonate_user;   /* Impersonate-User header, NULL = none */
	char **impersonate_groups; /* NULL-terminated list or NULL */
	double qps;           /* requests per second (default 50, Flux's --kube-api-qps) */
	int burst;            /* bucket size (default 300, Flux's --kube-api-burst) */
	long timeout_ms;      /* per-request timeout for non-watch calls (default 30000) */
	char *user_agent;     /* default "eddy" */
} kube_config;

/* Loads a kubeconfig. `path` may be NULL (then $KUBECONFIG, a colon-separated list merged as
 * kubectl does: the first file defining a name wins, then ~/.kube/config). `context` overrides
 * current-context when not NULL. Relative file paths are resolved against the directory of the
 * file that names them. Exec and auth-provider plugins are refused with a clear error. */
int kube_config_load_file(kube_config *c, const char *path, const char *context, err *e);
/* Loads a kubeconfig from a YAML/JSON text held in memory (the kubeConfig secret of a
 * Kustomization). `basedir` resolves relative paths; NULL refuses file references. */
int kube_config_load_data(kube_config *c, const char *data, size_t len, const char *context,
	const char *basedir, err *e);
/* In-cluster configuration: KUBERNETES_SERVICE_HOST/PORT and the service-account token, CA and
 * namespace under `sa_dir` (NULL = /var/run/secrets/kubernetes.io/serviceaccount). */
int kube_config_in_cluster(kube_config *c, const char *sa_dir, err *e);
/* The usual chain: explicit kubeconfig path if given, else in-cluster when
 * KUBERNETES_SERVICE_HOST is set, else $KUBECONFIG / ~/.kube/config. */
int kube_config_auto(kube_config *c, const char *kubeconfig, const char *context, err *e);
void kube_config_release(kube_config *c);
/* A deep copy (used to derive impersonating clients). */
void kube_config_copy(kube_config *dst, const kube_config *src);

/* ---------------------------------------------------------------- client */

typedef struct kube_client kube_client;

/* Creates a client from a config (copied). Never fails except on an unusable config. */
kube_client *kube_client_new(const kube_config *c, err *e);
/* A client acting as `user` (and `groups`, NULL-terminated, may be NULL) through the
 * Impersonate-User/Impersonate-Group headers; it shares nothing mutable with `base`. */
kube_client *kube_client_impersonate(const kube_client *base, const char *user,
	const char *const *groups, err *e);
void kube_client_free(kube_client *k);
const kube_config *kube_client_config(const kube_client *k);
/* "system:serviceaccount:<ns>:<name>" (allocated). */
char *kube_sa_username(const char *ns, const char *name);

/* ---------------------------------------------------------------- errors */

typedef enum kube_errkind {
	KUBE_OK = 0,
	KUBE_ENOTFOUND,
	KUBE_EALREADYEXISTS,
	KUBE_ECONFLICT,
	KUBE_EGONE,         /* 410 Gone / Expired: relist */
	KUBE_EINVALID,      /* 422 */
	KUBE_EFORBIDDEN,
	KUBE_EUNAUTHORIZED,
	KUBE_ETIMEOUT,      /* server or client timeout, 429/503/504 */
	KUBE_EBADREQUEST,
	KUBE_ETRANSPORT,    /* no answer (connection refused, TLS, reset) */
	KUBE_EOTHER,
} kube_errkind;

kube_errkind kube_errkind_of(const err *e);
const char *kube_errkind_name(kube_errkind k);
/* Fills e from an HTTP status and a response body (a Status object or anything else). */
void kube_err_from_status(err *e, long http_code, const char *body, size_t len);

/* ---------------------------------------------------------------- discovery */

typedef struct kube_resource {
	char *group;     /* "" for core */
	char *version;
	char *kind;
	char *resource;  /* plural, e.g. "configmaps" */
	bool namespaced;
	bool has_status; /* a "<resource>/status" subresource is served */
} kube_resource;

/* Resolves apiVersion+kind (cache, then one discovery refresh of that group-version). The
 * result is copied into *out; free with kube_resource_release. NotFound when unknown. */
int kube_resolve(kube_client *k, const char *api_version, const char *kind, kube_resource *out,
	err *e);
void kube_resource_release(kube_resource *r);
/* Drops the discovery cache (after installing CRDs). */
void kube_discovery_invalidate(kube_client *k);

/* ---------------------------------------------------------------- verbs */

/* Options common to the verbs; zero-initialise and set what you need. */
typedef struct kube_opts {
	const char *namespace_;     /* NULL/"" = cluster scope, or all namespaces for list/watch */
	const char *label_selector;
	const char *field_selector;
	const char *field_manager;  /* writes; required for apply */
	bool force;                 /* apply: take ownership of conflicting fields */
	bool dry_run;               /* dryRun=All */
	const char *propagation;    /* delete: "Background" (default), "Foreground", "Orphan" */
	const char *subresource;    /* e.g. "status" */
	const char *resource_version;/* list: resourceVersion of the first page; delete: the
				      * resourceVersion precondition (kube_watch takes *rv) */
	int limit;                  /* list page size (default 500) */
	int timeout_seconds;        /* watch: timeoutSeconds (default random 300..600) */
} kube_opts;

cJSON *kube_get(kube_client *k, const char *api_version, const char *kind, const char *ns,
	const char *name, const kube_opts *o, err *e);
/* Lists every page (limit/continue) and returns one List object whose "items" holds all items
 * (each with apiVersion and kind set) and whose metadata.resourceVersion is the first page's. */
cJSON *kube_list(kube_client *k, const char *api_version, const char *kind, const kube_opts *o,
	err *e);
/* create: POST `obj` (namespace from obj or o->namespace_). Returns the stored object. */
cJSON *kube_create(kube_client *k, const cJSON *obj, const kube_opts *o, err *e);
/* update: PUT obj (metadata.resourceVersion is the optimistic-concurrency precondition);
 * with o->subresource = "status" updates the status subresource. */
cJSON *kube_update(kube_client *k, const cJSON *obj, const kube_opts *o, err *e);
/* delete: returns 0, also when the object has finalizers and only gets a deletionTimestamp. */
int kube_delete(kube_client *k, const char *api_version, const char *kind, const char *ns,
	const char *name, const kube_opts *o, err *e);

typedef enum kube_patch_type {
	KUBE_PATCH_MERGE,  /* application/merge-patch+json (RFC 7386) */
	KUBE_PATCH_JSON,   /* application/json-patch+json (RFC 6902) */
	KUBE_PATCH_STRATEGIC, /* application/strategic-merge-patch+json (built-in kinds only) */
	KUBE_PATCH_APPLY,  /* server-side apply: application/apply-patch+yaml with a JSON body */
} kube_patch_type;

cJSON *kube_patch(kube_client *k, const char *api_version, const char *kind, const char *ns,
	const char *name, kube_patch_type type, const cJSON *patch, const kube_opts *o, err *e);
/* Server-side apply of a full object (apiVersion, kind, metadata.name required);
 * o->field_manager is required. */
cJSON *kube_apply(kube_client *k, const cJSON *obj, const kube_opts *o, err *e);

/* A JSON merge patch (RFC 7386) that turns `from` into `to` (NULL when equal). Arrays are
 * replaced whole; removed keys become null. */
cJSON *kube_merge_patch_diff(const cJSON *from, const cJSON *to);

/* ---------------------------------------------------------------- watch */

typedef enum kube_event_type {
	KUBE_ADDED, KUBE_MODIFIED, KUBE_DELETED, KUBE_BOOKMARK,
} kube_event_type;

/* Called for each event; `obj` is borrowed (detach or duplicate it to keep it). A non-zero
 * return ends the watch (kube_watch then returns 0). */
typedef int (*kube_watch_fn)(kube_event_type type, cJSON *obj, void *ud);
/* Returns true when the watch must stop (checked at least once a second). May be NULL. */
typedef bool (*kube_stop_fn)(void *ud);

/* Watches from *rv (NULL/"" = current state as synthetic ADDED events) with bookmarks. Every
 * event's resourceVersion is stored into *rv (reallocated) before the callback runs, so after
 * a disconnect the caller resumes from *rv without losing or repeating events. Returns 0 when
 * the stream ended normally (server timeout, callback or stop), -1 on error: kind KUBE_EGONE
 * (HTTP 410 or an ERROR event with code 410) means the caller must relist. */
int kube_watch(kube_client *k, const char *api_version, const char *kind, const kube_opts *o,
	char **rv, kube_watch_fn fn, kube_stop_fn stop, void *ud, err *e);

/* Splits a watch stream: feed bytes, get complete newline-terminated JSON events. Exposed for
 * unit tests and fuzzing; lines above 16 MiB are an error. */
typedef struct kube_watch_parser {
	char *line;
	size_t len, alloc;
} kube_watch_parser;
/* Calls `ev` for every complete line parsed as {"type","object"}; returns -1 on a malformed
 * line, an ERROR event (e filled from its Status) or a line that is too long, 1 when ev asked
 * to stop, 0 otherwise. */
int kube_watch_feed(kube_watch_parser *p, const char *data, size_t n,
	int (*ev)(const char *type, cJSON *obj, void *ud), void *ud, err *e);
void kube_watch_parser_release(kube_watch_parser *p);

/* ---------------------------------------------------------------- events */

typedef struct kube_event_opts {
	const char *type;        /* "Normal" or "Warning" */
	const char *reason;
	const char *message;     /* truncated to 39000 bytes like Flux's recorder */
	const char *component;   /* source.component and reportingController */
	const char *instance;    /* reportingInstance, default hostname */
	const cJSON *annotations;/* object of string values, e.g. {"<group>/revision": "..."} */
} kube_event_opts;

/* Creates a core/v1 Event about `obj` (its namespace, or "default" for cluster-scoped objects)
 * named "<name>.<hex nanoseconds>" with involvedObject {kind, namespace, name, uid,
 * apiVersion, resourceVersion}, count 1 and first/lastTimestamp now. Its annotations are
 * o->annotations plus the object's own annotations prefixed "event.toolkit.fluxcd.io/" (Flux
 * RFC-0008), the caller's winning on equal keys. A repeat (same component, object, type,
 * reason and message) within 10 minutes of an Event this client made is aggregated as
 * client-go's EventCorrelator does: the existing Event's count and lastTimestamp are bumped. */
int kube_event_create(kube_client *k, const cJSON *obj, const kube_event_opts *o, err *e);

/* ---------------------------------------------------------------- leader election */

typedef struct kube_lease {
	char *ns, *name, *identity;
	int duration_s;          /* leaseDurationSeconds, default 35 (Flux) */
	/* observation state, used by kube_lease_try() */
	char *observed_rv;
	int64_t observed_at_ms;  /* monotonic time of the last change observed */
	bool held;
} kube_lease;

void kube_lease_init(kube_lease *l, const char *ns, const char *name, const char *identity,
	int duration_s);
void kube_lease_release_mem(kube_lease *l);
/* One acquire-or-renew step (client-go semantics: another holder's lease is taken over only
 * after its record has not changed for leaseDurationSeconds of our own clock). Returns 1 if we
 * hold the lease now, 0 if another holder has it, -1 on error. */
int kube_lease_try(kube_client *k, kube_lease *l, err *e);
/* Gives the lease up (holderIdentity cleared) if we hold it. */
int kube_lease_yield(kube_client *k, kube_lease *l, err *e);

/* ---------------------------------------------------------------- small helpers */

/* metadata accessors on objects (borrowed strings, NULL when absent). */
const char *kube_obj_name(const cJSON *o);
const char *kube_obj_namespace(const cJSON *o);
const char *kube_obj_rv(const cJSON *o);
const char *kube_obj_uid(const cJSON *o);
const char *kube_obj_annotation(const cJSON *o, const char *key);
const char *kube_obj_label(const cJSON *o, const char *key);
int64_t kube_obj_generation(const cJSON *o);

#endif
