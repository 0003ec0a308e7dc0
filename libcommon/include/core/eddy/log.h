/* log: structured logging in the format Flux controllers print.
 *
 * Every line is one JSON object (the default `json` encoding) or one human-readable line (the
 * `console` encoding), written with a single write(2) while a process-wide lock is held, so lines
 * from the loop thread and from workers never interleave. The JSON keys are the ones Flux's zap
 * logger prints and `flux logs` parses: `level`, `ts`, `logger`, `msg`, then the logger's fixed
 * fields (`controller`, `controllerGroup`, `controllerKind`, `<Kind>: {name, namespace}`, `name`,
 * `namespace`, `reconcileID`, ...), then the call's own key/values, then `error` last.
 *
 *   {"level":"info","ts":"2026-01-02T15:04:05.123Z","logger":"runtime","msg":"starting"}
 *
 * `ts` is UTC in zap's ISO8601 encoding (RFC 3339 with milliseconds, `Z` suffix). Levels are
 * Flux's: trace < debug < info < error; the level names printed are "trace", "debug", "info" and
 * "error" (zap itself would print "Level(-2)" for trace). The console encoding prints
 * `<ts>\t<LEVEL>\t<logger>\t<msg>\t<fields as one JSON object>` like zap's console encoder.
 *
 * Process-wide configuration (level, encoding, output fd) is set once at start-up with
 * log_setup(); until then lines go to stderr at level info in JSON. A `logger` is a value that
 * carries a name and fixed fields; derive one per reconcile with log_with()/log_for_object() and
 * release it with log_release(). Logging through a logger never fails and never blocks on
 * anything but the write itself. A NULL logger is the nameless root logger.
 *
 * Never log secrets: log_redact_url() removes credentials from URLs before they are logged. */
#ifndef EDDY_LOG_H
#define EDDY_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum log_level {
	LOG_TRACE = -2,
	LOG_DEBUG = -1,
	LOG_INFO = 0,
	LOG_ERROR = 2,
} log_level;

typedef enum log_encoding {
	LOG_ENC_JSON = 0,
	LOG_ENC_CONSOLE,
} log_encoding;

/* One key/value of a log call. Build them with the LOG_* macros below; the values are borrowed
 * for the duration of the call only. */
typedef enum log_kv_type {
	LOG_KV_END = 0,
	LOG_KV_STR,  /* s; NULL prints as null */
	LOG_KV_INT,  /* i */
	LOG_KV_UINT, /* u */
	LOG_KV_DBL,  /* d; printed like Go's strconv 'g' -1; NaN/Inf as strings */
	LOG_KV_BOOL, /* b */
	LOG_KV_JSON, /* s is already-encoded JSON, inserted verbatim (caller guarantees validity) */
} log_kv_type;

typedef struct log_kv {
	const char *key;
	log_kv_type type;
	union {
		const char *s;
		long long i;
		unsigned long long u;
		double d;
		bool b;
	} v;
} log_kv;

#define LOG_S(k, val) ((log_kv){ .key = (k), .type = LOG_KV_STR, .v.s = (val) })
#define LOG_I(k, val) ((log_kv){ .key = (k), .type = LOG_KV_INT, .v.i = (long long)(val) })
#define LOG_U(k, val) \
	((log_kv){ .key = (k), .type = LOG_KV_UINT, .v.u = (unsigned long long)(val) })
#define LOG_D(k, val) ((log_kv){ .key = (k), .type = LOG_KV_DBL, .v.d = (double)(val) })
#define LOG_B(k, val) ((log_kv){ .key = (k), .type = LOG_KV_BOOL, .v.b = (val) })
#define LOG_J(k, val) ((log_kv){ .key = (k), .type = LOG_KV_JSON, .v.s = (val) })
#define LOG_END ((log_kv){ .key = NULL, .type = LOG_KV_END })

/* A logger: a name (the `logger` key, may be NULL) and fixed fields, stored as encoded JSON
 * members. The struct is owned by whoever created it; log_release() frees what it holds. A
 * logger is immutable once made, so many threads may log through the same one. */
typedef struct logger {
	char *name;
	char *fields; /* `"k":v,"k2":v2` (no braces) or NULL */
} logger;

/* Parse Flux's level and encoding names ("trace", "debug", "info", "error"; "json",
 * "console"). Return 0, or -1 for an unknown name (out untouched). */
int log_parse_level(const char *s, log_level *out);
int log_parse_encoding(const char *s, log_encoding *out);
const char *log_level_name(log_level l);

/* Configure the process-wide sink: minimum level, encoding and the fd lines are written to
 * (2 for stderr). Safe to call again (tests do), but not concurrently with logging. */
void log_setup(log_level level, log_encoding enc, int fd);
/* Whether a line at this level would be written (to skip expensive argument building). */
bool log_enabled(log_level level);

/* Make a logger with a name and no fields. */
void log_init(logger *l, const char *name);
/* A child of parent (NULL = root) with the same name and fields plus the given ones (a
 * LOG_END-terminated list is not needed: pass the count). */
void log_with(logger *out, const logger *parent, const log_kv *kv, size_t n);
/* A child named parent.name + "." + name (as logr's WithName), or name when parent has none. */
void log_named(logger *out, const logger *parent, const char *name);
/* The fields Flux's controller-runtime logger puts on every reconcile line:
 *   controller (kind lowercased), controllerGroup, controllerKind, "<Kind>":{"name","namespace"},
 *   namespace, name, reconcileID.
 * group or reconcile_id may be NULL to leave them out. */
void log_for_object(logger *out, const logger *parent, const char *group, const char *kind,
		    const char *namespace, const char *name, const char *reconcile_id);
void log_release(logger *l);

/* Write one line: level, message, optional error text (NULL for none; printed as "error"),
 * then key/values up to LOG_END. Use the macros below rather than calling this directly. */
void log_emit(const logger *l, log_level level, const char *error, const char *msg, ...);

#define log_trace(l, ...) log_emit((l), LOG_TRACE, NULL, __VA_ARGS__, LOG_END)
#define log_debug(l, ...) log_emit((l), LOG_DEBUG, NULL, __VA_ARGS__, LOG_END)
#define log_info(l, ...) log_emit((l), LOG_INFO, NULL, __VA_ARGS__, LOG_END)
/* log_error(l, error_text, msg, kvs...): error_text may be NULL. */
#define log_error(l, error, ...) log_emit((l), LOG_ERROR, (error), __VA_ARGS__, LOG_END)

/* Format the current time (or `unix_ns` when not 0) as zap's ISO8601 UTC timestamp,
 * "2006-01-02T15:04:05.000Z", into out (at least 32 bytes). Returns out. */
char *log_timestamp(char *out, size_t n, int64_t unix_ns);

/* A copy of url (newly allocated) with credentials removed: the userinfo part of
 * "scheme://user:pass@host/..." is dropped, and the values of query parameters whose names
 * suggest a secret (token, password, secret, key, signature, sig, auth, credential,
 * access_token, X-Amz-Signature, X-Amz-Credential, ...) are replaced by "redacted". A string
 * that is not a URL is returned unchanged. */
char *log_redact_url(const char *url);

#endif
