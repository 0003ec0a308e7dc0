/* tmpl: Go text/template with the Sprig and Helm functions (the engine of `helm template`).
 *
 * Values. A tmpl_val is a small handle (passed by value) on a Go-like value: nil, bool, int
 * (Go's int or int64), float64, string, list, map with sorted string keys, or a method bound to
 * a receiver. Scalars live in the handle; strings, lists and maps are refcounted payloads.
 * Ownership rule: a tmpl_val returned by a function is owned by the caller, who must give it to
 * tmpl_val_free exactly once or hand it on; every tmpl_val passed as an argument is borrowed.
 * Maps are shared by reference like Go maps (tmpl_map_set changes every holder's view); lists
 * and strings are never changed after construction. Freeing is iterative, so deep input cannot
 * overflow the C stack.
 *
 * Templates. A tmpl_set holds named templates (parsed files plus their {{define}}s). Executing
 * one writes into a capped buf. Every run has limits: nesting depth of include/template calls,
 * a step budget (one step per evaluated node) and the output cap; hitting one is an error.
 * Errors carry Go's messages and locations, e.g.
 *   template: c/templates/x.yaml:3:12: executing "c/templates/x.yaml" at <.Values.x>: ...
 * Nothing here reads files; .Files and friends are values the caller builds. */
#ifndef EDDY_TMPL_H
#define EDDY_TMPL_H

#include "eddy/buf.h"
#include "eddy/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum tmpl_kind {
	TV_NIL = 0, /* Go's untyped nil: a missing value; prints as <no value> at top level */
	TV_BOOL,
	TV_INT,    /* Go int (sub = 0) or int64 (sub = 1) */
	TV_FLOAT,  /* float64 */
	TV_STRING, /* string (sub = 0) or []byte (sub = 1) */
	TV_LIST,   /* []interface{} (sub = 0) or []string (sub = 1) */
	TV_MAP,    /* map[string]interface{} (0), map[string]string (1), struct (2), Helm's
	            * chart.Files (3: path -> []byte, with Get, GetBytes, Glob, Lines, AsConfig,
	            * AsSecrets) */
	TV_METHOD, /* a method bound to a receiver (e.g. .Files.Get) */
} tmpl_kind;

enum { TV_SUB_INT = 0, TV_SUB_INT64 = 1 };
enum { TV_SUB_STR = 0, TV_SUB_BYTES = 1 };
enum { TV_SUB_IFACE = 0, TV_SUB_STRS = 1, TV_SUB_MAPS = 2 /* []map[string]interface {} */ };
enum { TV_SUB_MAP = 0, TV_SUB_STRMAP = 1, TV_SUB_STRUCT = 2, TV_SUB_FILES = 3 };

struct tv_str;
struct tv_list;
struct tv_map;
struct tv_method;

typedef struct tmpl_val {
	uint8_t kind; /* tmpl_kind */
	uint8_t sub;  /* Go type variant, see above */
	union {
		bool b;
		int64_t i;
		double f;
		struct tv_str *s;
		struct tv_list *l;
		struct tv_map *m;
		struct tv_method *fn;
	} u;
} tmpl_val;

struct tv_str {
	uint32_t refs;
	size_t len;
	char data[]; /* NUL-terminated */
};
struct tv_list {
	uint32_t refs;
	size_t n, cap;
	tmpl_val *items;
};
struct tv_map {
	uint32_t refs;
	size_t n, cap;
	char **keys; /* sorted by strcmp, except for structs (field order) */
	tmpl_val *vals;
	char *stringer; /* for structs with a String() method: what %v prints; else NULL */
	char *marshal;      /* a struct whose MarshalJSON is a string (time.Time, a version): that
			     * string, which toJson/toYaml print; else NULL */
	const char *gotype; /* a struct's Go type for typeOf ("time.Time", "*semver.Version"):
			     * a static string, or NULL for "struct" */
};

struct tmpl_exec;
/* A method: called with its receiver and the call's arguments; returns 0 or -1 with err. */
typedef int (*tmpl_method_fn)(struct tmpl_exec *x, tmpl_val recv, int argc, const tmpl_val *argv,
			      tmpl_val *out, err *e);
struct tv_method {
	uint32_t refs;
	tmpl_method_fn fn;
	tmpl_val recv;
	const char *name;
};

/* Constructors (the result is owned by the caller). */
static inline tmpl_val tmpl_nil(void) { tmpl_val v = {0}; return v; }
tmpl_val tmpl_bool(bool b);
tmpl_val tmpl_int(int64_t i);   /* Go int */
tmpl_val tmpl_int64(int64_t i); /* Go int64 */
tmpl_val tmpl_float(double f);
tmpl_val tmpl_str(const char *s);
tmpl_val tmpl_strn(const char *s, size_t n);
tmpl_val tmpl_str_take(char *s, size_t n); /* adopts a malloc'd NUL-terminated buffer */
tmpl_val tmpl_list_new(size_t cap_hint);
tmpl_val tmpl_map_new(void);
tmpl_val tmpl_struct_new(void); /* a map that prints like a Go struct, fields in insertion order */
tmpl_val tmpl_method(tmpl_method_fn fn, const char *name, tmpl_val recv /* consumed */);

tmpl_val tmpl_ref(tmpl_val v); /* a new reference to the same value */
void tmpl_val_free(tmpl_val v);

/* Lists: push consumes v. Only on lists the caller just built. */
void tmpl_list_push(tmpl_val *l, tmpl_val v);
/* Maps: set consumes v and copies key; get returns a borrowed value or NULL. */
void tmpl_map_set(tmpl_val m, const char *key, tmpl_val v);
tmpl_val *tmpl_map_get(tmpl_val m, const char *key);
bool tmpl_map_del(tmpl_val m, const char *key);
/* A deep copy of maps and lists (scalars and strings shared). */
tmpl_val tmpl_deep_copy(tmpl_val v);

/* Go's truth (if/with/and/or), fmt's %v printing (top-level nil prints as <no value>). */
bool tmpl_truth(tmpl_val v);
int tmpl_print(buf *out, tmpl_val v);

/* JSON (encoding/json rules) and YAML (sigs.k8s.io/yaml, i.e. go-yaml v2) both ways. */
int tmpl_to_json(buf *out, tmpl_val v, bool pretty, err *e);
int tmpl_from_json(const char *s, size_t n, tmpl_val *out, err *e);
int tmpl_to_yaml(buf *out, tmpl_val v, err *e);
/* Parse a YAML document as sigs.k8s.io/yaml does (YAML 1.1 scalars, then JSON: numbers become
 * float64 unless json_ints, non-string keys become strings). Empty input gives an empty map when
 * want_map, else nil. */
int tmpl_from_yaml(const char *s, size_t n, bool json_ints, tmpl_val *out, err *e);
/* Every document of a stream, as a list. */
int tmpl_from_yaml_all(const char *s, size_t n, tmpl_val *out, err *e);

/* Limits of one execution. Zero fields take the defaults below. */
typedef struct tmpl_limits {
	size_t max_output;   /* bytes per executed template (default 64 MiB) */
	int max_depth;       /* include/template/tpl nesting (default 1000, like Helm) */
	uint64_t max_steps;  /* evaluated nodes per top-level execution (default 20 million) */
	double max_seconds;  /* wall-clock time per top-level execution (default 60) */
	bool no_slow_crypto; /* key generation, scrypt and bcrypt fail with an error instead of
			      * taking seconds (the fuzz targets set it) */
} tmpl_limits;

typedef struct tmpl_set tmpl_set;

/* Hooks for Helm functions that need the outside world. */
typedef struct tmpl_hooks {
	/* lookup apiVersion kind namespace name: NULL means "offline": an empty map. */
	int (*lookup)(void *ctx, const char *api, const char *kind, const char *ns, const char *name,
		      tmpl_val *out, err *e);
	void *ctx;
	/* getHostByName resolves names (blocking, getaddrinfo) when true; otherwise it returns
	 * "" as Helm does without --enable-dns. */
	bool enable_dns;
} tmpl_hooks;

tmpl_set *tmpl_set_new(void);
void tmpl_set_free(tmpl_set *s);
void tmpl_set_limits(tmpl_set *s, const tmpl_limits *lim);
void tmpl_set_hooks(tmpl_set *s, const tmpl_hooks *h);
/* Parse text as template `name` (its {{define}}s join the set; a later definition replaces an
 * earlier one, as in Go). Errors: "template: NAME:LINE: message". */
int tmpl_parse(tmpl_set *s, const char *name, const char *text, size_t len, err *e);
bool tmpl_has(const tmpl_set *s, const char *name);
/* Execute template `name` with dot = data, appending the output to out. */
int tmpl_execute(tmpl_set *s, const char *name, tmpl_val data, buf *out, err *e);

/* For method implementations: report an error from a function. */
int tmpl_fail(err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
