/* store: eddy-apiserver's revisioned key-value log on SQLite (after k3s-io/kine).
 *
 * One table `kv` holds one row per write: (id, key, created, deleted, create_rev, prev_rev, ts,
 * value). The row id is the global revision and becomes the objects' resourceVersion. The
 * current state of a key is its newest row unless that row is a deletion. A read "at" revision R
 * sees, for every key, its newest row with id <= R, which is how list pages stay consistent.
 * Compaction removes rows superseded at or below a target revision and records the target; reads
 * and watches below it fail with "compacted" (the API answers 410 Expired).
 *
 * The database runs in WAL mode with synchronous=NORMAL: a write is committed (and acknowledged)
 * before the call returns and survives kill -9 of the process. Every call runs on the caller's
 * thread (the loop thread in eddy-apiserver); there is exactly one writer. */
#ifndef APISERVER_STORE_H
#define APISERVER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/err.h"

typedef struct store store;

typedef struct store_row {
	int64_t rev;        /* the row id (mod revision) */
	int64_t create_rev; /* revision of the row that created the key */
	int64_t prev_rev;   /* previous row of the same key (0 for a create) */
	bool created, deleted;
	char *key;
	char *value; /* the object's JSON text (for a deletion: its last state) */
} store_row;

void store_row_release(store_row *r);
void store_rows_free(store_row *rows, size_t n);

/* Open (creating if needed) DIR/state.db. NULL and e filled on failure. */
store *store_open(const char *dir, err *e);
void store_close(store *s);

/* The newest revision written (0 for an empty store) and the revision compaction reached. */
int64_t store_rev(const store *s);
int64_t store_compact_rev(const store *s);
/* The revision the next write will get: store_rev() + 1. Writes must use it. */
int64_t store_next_rev(const store *s);

/* The current row of key: 1 found (r filled), 0 absent or deleted, -1 error. */
int store_get(store *s, const char *key, store_row *r, err *e);

/* The value of the row with id rev (any key), or NULL. */
char *store_value_at(store *s, int64_t rev);

/* Rows under prefix (keys starting with it), ordered by key, strictly after start_key (may be
 * NULL), as of revision at (0 = now), at most limit rows (0 = no limit). *more is set when rows
 * remain. Returns the row count or -1 (e filled; reason "Compacted" when at is below the
 * compaction point). */
long store_list(store *s, const char *prefix, const char *start_key, int64_t at, size_t limit,
                store_row **rows, bool *more, err *e);
/* Current rows under prefix whose value contains needle_a or needle_b (plain substrings; the
 * scan runs inside SQLite without copying other rows). -1 on error. */
long store_list_containing(store *s, const char *prefix, const char *needle_a,
			   const char *needle_b, store_row **rows, err *e);
/* How many current keys are under prefix (for remainingItemCount); -1 on error. */
long store_count(store *s, const char *prefix, const char *start_key, int64_t at);

/* Rows with id > after under prefix, ordered by id, at most limit (0 = all). -1 on error
 * (reason "Compacted" when after < the compaction point). */
long store_since(store *s, const char *prefix, int64_t after, size_t limit, store_row **rows,
                 err *e);

/* Append a row with id store_next_rev(). For an update prev_rev must be the key's current
 * revision, for a create 0 (the key must be absent); a mismatch fails with reason "Conflict".
 * Returns the new revision or -1. */
int64_t store_create(store *s, const char *key, const char *value, err *e);
int64_t store_update(store *s, const char *key, const char *value, int64_t prev_rev,
                     int64_t create_rev, err *e);
int64_t store_delete(store *s, const char *key, const char *last_value, int64_t prev_rev,
                     int64_t create_rev, err *e);

/* Group several writes into one transaction (for deletecollection and namespace cleanup).
 * Nested calls are counted. */
void store_begin(store *s);
void store_commit(store *s);

/* Compact: drop rows superseded at or below target (clamped to the current revision). Returns
 * the number of rows removed or -1. */
long store_compact(store *s, int64_t target, err *e);
/* The newest revision written at or before unix time t (0 if none). */
int64_t store_rev_at_time(store *s, int64_t t);

#endif
