/* store: revisioned key-value log on SQLite (see store.h). */
#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/clock.h"
#include "eddy/mem.h"

enum {
	Q_GET,
	Q_INSERT,
	Q_SINCE,
	Q_REV_AT_TIME,
	Q_MAX,
};

static const char *const queries[Q_MAX] = {
	[Q_GET] = "SELECT id, create_rev, prev_rev, created, deleted, value FROM kv "
		  "WHERE key = ?1 ORDER BY id DESC LIMIT 1",
	[Q_INSERT] = "INSERT INTO kv (id, key, created, deleted, create_rev, prev_rev, ts, value) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[Q_SINCE] = "SELECT id, create_rev, prev_rev, created, deleted, key, value FROM kv "
		    "WHERE id > ?1 AND key >= ?2 AND key < ?3 ORDER BY id LIMIT ?4",
	[Q_REV_AT_TIME] = "SELECT MAX(id) FROM kv WHERE ts <= ?1",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[Q_MAX];
	int64_t rev;
	int64_t compact_rev;
	int tx_depth;
};

void store_row_release(store_row *r)
{
	if (!r)
		return;
	free(r->key);
	free(r->value);
	memset(r, 0, sizeof(*r));
}

void store_rows_free(store_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_row_release(&rows[i]);
	free(rows);
}

static int db_fail(store *s, err *e, const char *what)
{
	return err_fail(e, "StorageError", "%s: %s", what, sqlite3_errmsg(s->db));
}

static int exec(store *s, const char *sql, err *e)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_fail(e, "StorageError", "%s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int64_t scalar(store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

store *store_open(const char *dir, err *e)
{
	store *s = xcalloc(1, sizeof(*s));
	char *path = xasprintf("%s/state.db", dir);
	int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX, NULL);
	free(path);
	if (rc != SQLITE_OK) {
		err_fail(e, "StorageError", "open %s/state.db: %s", dir,
			 s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_close(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", e) < 0 ||
	    exec(s, "CREATE TABLE IF NOT EXISTS kv (id INTEGER PRIMARY KEY, key TEXT NOT NULL, "
		    "created INTEGER, deleted INTEGER, create_rev INTEGER, prev_rev INTEGER, "
		    "ts INTEGER, value BLOB);"
		    "CREATE INDEX IF NOT EXISTS kv_key_id ON kv (key, id);"
		    "CREATE INDEX IF NOT EXISTS kv_ts ON kv (ts);"
		    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER);",
		    e) < 0) {
		store_close(s);
		return NULL;
	}
	for (int i = 0; i < Q_MAX; i++) {
		if (sqlite3_prepare_v3(s->db, queries[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
				       NULL) != SQLITE_OK) {
			db_fail(s, e, "prepare");
			store_close(s);
			return NULL;
		}
	}
	s->rev = scalar(s, "SELECT MAX(id) FROM kv");
	int64_t floor = scalar(s, "SELECT value FROM meta WHERE name = 'rev_floor'");
	if (floor > s->rev)
		s->rev = floor;
	s->compact_rev = scalar(s, "SELECT value FROM meta WHERE name = 'compact_rev'");
	return s;
}

void store_close(store *s)
{
	if (!s)
		return;
	for (int i = 0; i < Q_MAX; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db) {
		/* Remember the revision so a restart never reuses ids of compacted rows. */
		char *sql = xasprintf("INSERT OR REPLACE INTO meta VALUES ('rev_floor', %lld)",
				      (long long)s->rev);
		sqlite3_exec(s->db, sql, NULL, NULL, NULL);
		free(sql);
		sqlite3_close(s->db);
	}
	free(s);
}

int64_t store_rev(const store *s) { return s->rev; }
int64_t store_compact_rev(const store *s) { return s->compact_rev; }
int64_t store_next_rev(const store *s) { return s->rev + 1; }

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);
	return xstrndup(t ? (const char *)t : "", (size_t)n);
}

int store_get(store *s, const char *key, store_row *r, err *e)
{
	sqlite3_stmt *st = s->st[Q_GET];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		db_fail(s, e, "get");
		sqlite3_reset(st);
		return -1;
	}
	if (sqlite3_column_int(st, 4)) {
		sqlite3_reset(st);
		return 0;
	}
	memset(r, 0, sizeof(*r));
	r->rev = sqlite3_column_int64(st, 0);
	r->create_rev = sqlite3_column_int64(st, 1);
	r->prev_rev = sqlite3_column_int64(st, 2);
	r->created = sqlite3_column_int(st, 3);
	r->key = xstrdup(key);
	r->value = col_text(st, 5);
	sqlite3_reset(st);
	return 1;
}

/* The end of the key range of prefix: prefix with its last byte incremented. */
static char *prefix_end(const char *prefix)
{
	size_t n = strlen(prefix);
	char *end = xstrdup(prefix);
	if (n > 0)
		end[n - 1] = (char)(end[n - 1] + 1);
	return end;
}

static int compacted(store *s, int64_t at, err *e)
{
	return err_set(e, ERR_GENERIC, "Compacted", "too old resource version: %lld (%lld)",
		       (long long)at, (long long)s->compact_rev);
}

long store_list(store *s, const char *prefix, const char *start_key, int64_t at, size_t limit,
                store_row **rows, bool *more, err *e)
{
	*rows = NULL;
	if (more)
		*more = false;
	if (at > 0 && at < s->compact_rev) {
		compacted(s, at, e);
		return -1;
	}
	if (at <= 0 || at > s->rev)
		at = s->rev;
	char *end = prefix_end(prefix);
	const char *sql =
	    "SELECT k.id, k.create_rev, k.prev_rev, k.created, k.key, k.value FROM kv k "
	    "JOIN (SELECT key, MAX(id) AS mid FROM kv WHERE key >= ?1 AND key < ?2 AND key > ?3 "
	    "AND id <= ?4 GROUP BY key) m ON k.id = m.mid WHERE k.deleted = 0 "
	    "ORDER BY k.key LIMIT ?5";
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		free(end);
		db_fail(s, e, "list");
		return -1;
	}
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, end, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, start_key ? start_key : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, at);
	sqlite3_bind_int64(st, 5, limit ? (int64_t)limit + 1 : -1);
	size_t n = 0, cap = 0;
	store_row *out = NULL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (limit && n == limit) {
			if (more)
				*more = true;
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			out = xrealloc(out, cap * sizeof(*out));
		}
		store_row *r = &out[n++];
		memset(r, 0, sizeof(*r));
		r->rev = sqlite3_column_int64(st, 0);
		r->create_rev = sqlite3_column_int64(st, 1);
		r->prev_rev = sqlite3_column_int64(st, 2);
		r->created = sqlite3_column_int(st, 3);
		r->key = col_text(st, 4);
		r->value = col_text(st, 5);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(s, e, "list");
		sqlite3_finalize(st);
		free(end);
		store_rows_free(out, n);
		return -1;
	}
	sqlite3_finalize(st);
	free(end);
	*rows = out;
	return (long)n;
}

long store_count(store *s, const char *prefix, const char *start_key, int64_t at)
{
	if (at <= 0 || at > s->rev)
		at = s->rev;
	char *end = prefix_end(prefix);
	const char *sql =
	    "SELECT COUNT(*) FROM kv k JOIN (SELECT key, MAX(id) AS mid FROM kv WHERE key >= ?1 "
	    "AND key < ?2 AND key > ?3 AND id <= ?4 GROUP BY key) m ON k.id = m.mid "
	    "WHERE k.deleted = 0";
	sqlite3_stmt *st = NULL;
	long n = -1;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, end, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, start_key ? start_key : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, at);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = (long)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	free(end);
	return n;
}

long store_since(store *s, const char *prefix, int64_t after, size_t limit, store_row **rows,
                 err *e)
{
	*rows = NULL;
	if (after < s->compact_rev) {
		compacted(s, after, e);
		return -1;
	}
	char *end = prefix_end(prefix);
	sqlite3_stmt *st = s->st[Q_SINCE];
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, end, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, limit ? (int64_t)limit : -1);
	size_t n = 0, cap = 0;
	store_row *out = NULL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			out = xrealloc(out, cap * sizeof(*out));
		}
		store_row *r = &out[n++];
		memset(r, 0, sizeof(*r));
		r->rev = sqlite3_column_int64(st, 0);
		r->create_rev = sqlite3_column_int64(st, 1);
		r->prev_rev = sqlite3_column_int64(st, 2);
		r->created = sqlite3_column_int(st, 3);
		r->deleted = sqlite3_column_int(st, 4);
		r->key = col_text(st, 5);
		r->value = col_text(st, 6);
	}
	sqlite3_reset(st);
	free(end);
	if (rc != SQLITE_DONE) {
		store_rows_free(out, n);
		db_fail(s, e, "since");
		return -1;
	}
	*rows = out;
	return (long)n;
}

static int64_t append(store *s, const char *key, const char *value, bool created, bool deleted,
                      int64_t create_rev, int64_t prev_rev, err *e)
{
	int64_t id = s->rev + 1;
	sqlite3_stmt *st = s->st[Q_INSERT];
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, created);
	sqlite3_bind_int(st, 4, deleted);
	sqlite3_bind_int64(st, 5, created ? id : create_rev);
	sqlite3_bind_int64(st, 6, prev_rev);
	sqlite3_bind_int64(st, 7, clock_real_ns() / GODUR_SECOND);
	sqlite3_bind_text(st, 8, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_fail(s, e, "insert");
		return -1;
	}
	s->rev = id;
	return id;
}

static int check_current(store *s, const char *key, int64_t want, err *e)
{
	sqlite3_stmt *st = s->st[Q_GET];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int64_t cur = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && !sqlite3_column_int(st, 4))
		cur = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return db_fail(s, e, "get");
	}
	sqlite3_reset(st);
	if (cur != want)
		return err_fail(e, "Conflict", "revision of %s is %lld, not %lld", key,
				(long long)cur, (long long)want);
	return 0;
}

int64_t store_create(store *s, const char *key, const char *value, err *e)
{
	if (check_current(s, key, 0, e) < 0)
		return -1;
	return append(s, key, value, true, false, 0, 0, e);
}

int64_t store_update(store *s, const char *key, const char *value, int64_t prev_rev,
                     int64_t create_rev, err *e)
{
	if (check_current(s, key, prev_rev, e) < 0)
		return -1;
	return append(s, key, value, false, false, create_rev, prev_rev, e);
}

int64_t store_delete(store *s, const char *key, const char *last_value, int64_t prev_rev,
                     int64_t create_rev, err *e)
{
	if (check_current(s, key, prev_rev, e) < 0)
		return -1;
	return append(s, key, last_value, false, true, create_rev, prev_rev, e);
}

void store_begin(store *s)
{
	if (s->tx_depth++ == 0)
		sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
}

void store_commit(store *s)
{
	if (s->tx_depth > 0 && --s->tx_depth == 0)
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
}

long store_compact(store *s, int64_t target, err *e)
{
	if (target > s->rev)
		target = s->rev;
	if (target <= s->compact_rev)
		return 0;
	sqlite3_stmt *st = NULL;
	const char *sql =
	    "DELETE FROM kv WHERE id <= ?1 AND (deleted = 1 OR id < (SELECT MAX(k2.id) FROM kv k2 "
	    "WHERE k2.key = kv.key AND k2.id <= ?1))";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, e, "compact");
	store_begin(s);
	sqlite3_bind_int64(st, 1, target);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_commit(s);
		return db_fail(s, e, "compact");
	}
	long n = sqlite3_changes(s->db);
	char *upd = xasprintf("INSERT OR REPLACE INTO meta VALUES ('compact_rev', %lld),"
			      "('rev_floor', %lld)", (long long)target, (long long)s->rev);
	int r2 = exec(s, upd, e);
	free(upd);
	store_commit(s);
	if (r2 < 0)
		return -1;
	s->compact_rev = target;
	return n;
}

int64_t store_rev_at_time(store *s, int64_t t)
{
	sqlite3_stmt *st = s->st[Q_REV_AT_TIME];
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, t);
	int64_t v = 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

char *store_value_at(store *s, int64_t rev)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM kv WHERE id = ?1", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int64(st, 1, rev);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = col_text(st, 0);
	}
	sqlite3_finalize(st);
	return v;
}

long store_list_containing(store *s, const char *prefix, const char *needle_a,
			   const char *needle_b, store_row **rows, err *e)
{
	*rows = NULL;
	char *end = prefix_end(prefix);
	const char *sql =
		"SELECT k.id, k.create_rev, k.prev_rev, k.created, k.key, k.value FROM kv k "
		"WHERE k.key >= ?1 AND k.key < ?2 AND k.deleted = 0 AND (instr(k.value, ?3) > 0 OR "
		"instr(k.value, ?4) > 0) AND k.id = (SELECT MAX(id) FROM kv WHERE key = k.key) "
		"ORDER BY k.key";
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		free(end);
		db_fail(s, e, "list");
		return -1;
	}
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, end, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, needle_a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, needle_b, -1, SQLITE_STATIC);
	size_t n = 0, cap = 0;
	store_row *out = NULL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			out = xrealloc(out, cap * sizeof(*out));
		}
		store_row *r = &out[n++];
		memset(r, 0, sizeof(*r));
		r->rev = sqlite3_column_int64(st, 0);
		r->create_rev = sqlite3_column_int64(st, 1);
		r->prev_rev = sqlite3_column_int64(st, 2);
		r->created = sqlite3_column_int(st, 3);
		r->key = col_text(st, 4);
		r->value = col_text(st, 5);
	}
	sqlite3_finalize(st);
	free(end);
	if (rc != SQLITE_DONE) {
		store_rows_free(out, n);
		db_fail(s, e, "list");
		return -1;
	}
	*rows = out;
	return (long)n;
}
