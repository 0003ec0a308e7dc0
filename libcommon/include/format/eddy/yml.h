/* yml: YAML and JSON into cJSON, and cJSON out as YAML the way `kubectl kustomize` prints it.
 *
 * cJSON is Eddy's object model. This module reads YAML streams with libyaml and types plain
 * scalars exactly as Go's gopkg.in/yaml.v3 (kustomize's kyaml) does; it writes YAML byte for byte
 * as kustomize v5 does (kustomize re-encodes every object through JSON and go-yaml v2: keys sorted
 * in go-yaml's natural order, 2-space indent, sequences not indented under their key, minimal
 * quoting, `|` block scalars for multi-line strings, plain scalars folded at column 80).
 *
 * Ownership: every cJSON returned here belongs to the caller and is freed with cJSON_Delete (or
 * yml_free, which frees deep trees without recursion). Inputs are never modified.
 *
 * Scalar literal convention (other modules rely on it):
 *   A cJSON_Number, cJSON_True, cJSON_False or cJSON_NULL node built from YAML keeps the scalar's
 *   source text in `valuestring` (for example "0x1F", "1e3", "9007199254740993", "True", "~";
 *   an empty null value keeps ""). cJSON_Delete frees and cJSON_Duplicate copies that string for
 *   every type, and cJSON_Print ignores it for these types, so the literal simply travels with
 *   the node. A node without a literal (built by cJSON_CreateNumber and friends) is fine too.
 *   Use yml_number_new()/yml_int_new() to build numbers that keep exact integers, and
 *   yml_number_text()/yml_number_int() to read them: valuedouble is only a double and cannot
 *   hold integers beyond 2^53, the literal can. Code that changes valuedouble of a node must
 *   drop the literal (yml_number_set(); cJSON_SetNumberValue does not) or the emitter keeps
 *   printing the old value.
 *   JSON parsed by yml_json_parse() follows the same convention for numbers.
 *
 * Typing of plain (unquoted, untagged) scalars, as yaml.v3 resolves them:
 *   null:  "", "~", "null", "Null", "NULL"
 *   bool:  "true", "True", "TRUE", "false", "False", "FALSE" (not yes/no/on/off: those are strings)
 *   int:   Go integer syntax after removing '_': decimal with optional sign, 0x.., 0o.., 0b..,
 *          and legacy 0777 octal; up to the uint64 range
 *   float: decimal/exponent forms (1.5, 1e3, .5, -1.5E-7), ".inf", "-.inf", "+.inf", ".nan" in
 *          their three spellings
 *   timestamp: "2001-12-14", "2001-12-14T21:59:43.10-05:00", ... become strings in Go's RFC 3339
 *          form ("2001-12-14T00:00:00Z") as kustomize prints them
 *   everything else, and every quoted or block scalar, is a string. Explicit tags !!str, !!int,
 *   !!float, !!bool, !!null, !!map, !!seq are honoured; !!binary is decoded from base64 into a
 *   string (invalid UTF-8 bytes become U+FFFD, as Go's JSON encoding makes them).
 *   An empty value inside a flow mapping ("{a: , b: 1}") is the empty string, as kustomize
 *   reads it (a block "a:" is null). Strings holding NUL characters are refused.
 * Mapping keys become strings: a non-string scalar key is converted the way sigs.k8s.io/yaml
 * does for kubectl (1 -> "1", 0x10 -> "16", true -> "true", ~ -> "null", 1.5 -> "1.5");
 * kustomize itself rejects such keys. A mapping or a sequence as a key is an error. A key
 * defined twice is an error, with yaml.v3's message:
 *   yaml: unmarshal errors:
 *     line 4: mapping key "x" already defined at line 2
 * Anchors and aliases are expanded (copied); merge keys `<<` (a mapping or a sequence of
 * mappings) merge as yaml.v3 does: explicit keys win, earlier merged maps win over later ones.
 * A quoted "<<" key and its value are dropped, as kustomize drops them. An empty key ("? "
 * alone) is "".
 *
 * Errors (err reason "InvalidYAML" or "InvalidJSON") read like Go's, with a 1-based line:
 *   yaml: line 3: could not find expected ':'
 * Invalid UTF-8 input, inputs over the size cap, nesting over the depth cap, too many nodes and
 * alias expansion over budget are all errors; no parse recurses on the C stack with input depth
 * beyond max_depth, and no parse uses memory beyond a small multiple of the limits. */
#ifndef EDDY_YML_H
#define EDDY_YML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "eddy/buf.h"
#include "eddy/err.h"

/* Limits of one parse. A zero field means "use the default" for that field. */
typedef struct yml_limits {
	size_t max_bytes;           /* input size; default 64 MiB */
	unsigned max_depth;         /* nesting of maps/sequences; default 1000, at most 10 000 */
	size_t max_nodes;           /* nodes built, alias copies included; default 4 000 000 */
	size_t max_alias_expansion; /* nodes copied by aliases; see below */
	size_t max_docs;            /* documents in a stream; default 100 000 */
} yml_limits;

enum {
	YML_DEFAULT_MAX_BYTES = 64 * 1024 * 1024,
	YML_DEFAULT_MAX_DEPTH = 1000,
	YML_MAX_DEPTH_CAP = 10000, /* larger max_depth values are lowered to this */
	YML_DEFAULT_MAX_NODES = 4 * 1000 * 1000,
	YML_DEFAULT_MAX_DOCS = 100 * 1000,
};
/* Alias expansion follows yaml.v3's ratio rule: once more than 100 nodes came from aliases and
 * more than 1000 were built in total, the share built by aliases may not pass 99% (up to 400 000
 * nodes built), sliding down to 10% (at 4 000 000 and beyond). A billion-laughs document fails
 * fast with "yaml: document contains excessive aliasing". max_alias_expansion, when not 0, is an
 * extra absolute cap on nodes built by aliases. */

/* Parse a stream of YAML documents into a cJSON array with one element per document, in order.
 * Documents whose content is empty or null ("---" alone, comments only, "~") are dropped, as
 * kustomize does, so an empty input gives an empty array. NULL and e filled on error. */
cJSON *yml_parse_stream(const char *data, size_t len, const yml_limits *lim, err *e);

/* Parse exactly one document. An empty stream gives a cJSON null node; more than one document
 * is an error ("yaml: expected a single document in the stream"). */
cJSON *yml_parse_one(const char *data, size_t len, const yml_limits *lim, err *e);

/* JSON text (RFC 8259) into cJSON, with the size and depth limits (default 64 MiB and 1000) and
 * number literals kept as described above. Trailing data after the value is an error; UTF-8 is
 * checked. Parsing is iterative. */
cJSON *yml_json_parse(const char *data, size_t len, const yml_limits *lim, err *e);

/* Append doc as one YAML document in kustomize's style (no leading "---", ends with "\n").
 * -1 and e filled (out left as it was) if out's cap is reached, or if doc holds what kustomize
 * cannot print either: a NaN or infinite number ("json: unsupported value: +Inf"), or a string
 * with DEL, a C1 control other than NEL, U+FFFE or U+FFFF ("yaml: control characters are not
 * allowed"). Like kustomize, a raw NEL (U+0085) in a string is folded as a YAML line break. */
int yml_emit(buf *out, const cJSON *doc, err *e);

/* Append every element of the array docs, separated by "---\n" as `kubectl kustomize` prints
 * a multi-object output (no separator before the first or after the last). */
int yml_emit_stream(buf *out, const cJSON *docs, err *e);

/* Append v as compact JSON (like cJSON_PrintUnformatted, but numbers use their literal when it
 * is valid JSON, integers print exactly, and no recursion beyond the depth of v). */
int yml_json_print(buf *out, const cJSON *v, err *e);

/* Numbers. yml_number_new parses a YAML/JSON numeric literal ("42", "0x1F", "1e3") and keeps it;
 * NULL if the text is not a number. yml_int_new makes an exact integer. yml_number_set replaces
 * the value of a number node and drops its literal. */
cJSON *yml_number_new(const char *literal);
cJSON *yml_int_new(int64_t v);
void yml_number_set(cJSON *n, double v);
/* The value of n as an exact signed integer: true if n is a number holding an integer within
 * int64 (from its literal when present, else from valuedouble). */
bool yml_number_int(const cJSON *n, int64_t *out);
/* The number as kustomize prints it ("31" for 0x1F, "1000" for 1e3, "1e+21", "0.5"), written into
 * tmp (at least 32 bytes); returns tmp, or NULL if n is not a finite number. */
const char *yml_number_text(const cJSON *n, char *tmp, size_t tmplen);

/* Look up a dotted path of object keys ("metadata.name"); array elements by decimal index
 * ("spec.containers.0.image"). NULL when any step is missing. yml_get_string returns the
 * valuestring only if the final node is a string. */
const cJSON *yml_get_path(const cJSON *obj, const char *path);
const char *yml_get_string(const cJSON *obj, const char *path);

/* Free a tree of any depth without recursion (cJSON_Delete recurses; fine up to max_depth). */
void yml_free(cJSON *v);

#endif
