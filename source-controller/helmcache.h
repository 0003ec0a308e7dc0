/* helmcache: the parsed Helm repository indexes shared by the HelmCharts of a repository
 * (internal; Flux's internal/cache with --helm-cache-max-size, --helm-cache-ttl and
 * --helm-cache-purge-interval). Keys are artifact paths ("helmrepository/<ns>/<name>/index-
 * <hex>.yaml"), safe between tenants since they name the repository object. Entries are
 * reference-counted: a reader keeps the index it got until it gives the reference back, even
 * when the entry expires or is replaced meanwhile. Thread-safe. A NULL cache (max size 0) caches
 * nothing. */
#ifndef SC_HELMCACHE_H
#define SC_HELMCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "eddy/helmindex.h"

typedef struct helmcache helmcache;
typedef struct helmcache_ref helmcache_ref;

/* NULL when max_items is 0 (caching disabled, as in Flux). */
helmcache *helmcache_new(size_t max_items, int64_t ttl_ms, int64_t purge_interval_ms);
void helmcache_free(helmcache *c);

/* The index under key (its TTL extended), or NULL; *ref must be given back with
 * helmcache_unref. Expired entries are purged at most every purge interval. */
const helmindex *helmcache_get(helmcache *c, const char *key, helmcache_ref **ref);
/* Store ix under key (taking ownership) and return a reference to it for the caller, or,
 * when the cache is full or disabled, a reference that frees ix on helmcache_unref. */
helmcache_ref *helmcache_put(helmcache *c, const char *key, helmindex *ix, bool *cached);
/* Wraps ix (owned) in a reference without caching it. */
helmcache_ref *helmcache_own(helmindex *ix);
const helmindex *helmcache_index(const helmcache_ref *r);
void helmcache_unref(helmcache_ref *r);
/* Number of entries (tests, metrics). */
size_t helmcache_len(helmcache *c);

#endif
