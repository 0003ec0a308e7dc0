/* Internal helpers shared by the yml_*.c files (not part of the public API). */
#ifndef EDDY_YML_INTERNAL_H
#define EDDY_YML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/yml.h"

/* What a scalar's text means, as Go resolves it. */
typedef enum ynum_kind {
	YNUM_NONE = 0, /* not a number */
	YNUM_INT,      /* fits int64: i */
	YNUM_UINT,     /* above int64, fits uint64: u */
	YNUM_FLOAT,    /* f (finite, or inf/nan for YAML's spellings) */
} ynum_kind;

typedef struct ynum {
	ynum_kind kind;
	int64_t i;
	uint64_t u;
	double f;
} ynum;

/* Go's strconv.ParseInt(s, 0, 64) then ParseUint(s, 0, 64) (sign, 0x/0o/0b/0 prefixes, no
 * underscores). true if either accepts s. */
bool yml_go_parse_int(const char *s, size_t len, ynum *out);
/* yaml.v3 numeric resolution of a plain scalar (underscores removed, ints, floats with
 * yaml.v3's float regex, .inf/.nan spellings). */
bool yml_resolve_number(const char *s, size_t len, ynum *out);
/* Go's strconv.ParseFloat on s: decimal only (no hex), true on success without range error. */
bool yml_go_parse_float(const char *s, size_t len, double *out);
/* Shortest decimal digits of d (finite, d != 0 allowed): digits without dot, decimal exponent
 * such that value = 0.DIGITS x 10^exp10. Returns the number of digits. */
int yml_shortest_digits(double d, char *digits, int *exp10);
/* Go's strconv.FormatFloat(d, fmt, -1, 64) for fmt 'g' or the encoding/json float format ('j'). */
void yml_format_float(double d, char fmt, char *out, size_t outlen);
/* The value of a cJSON number as Go's decoders would see it. */
void yml_number_value(const cJSON *n, ynum *out);

/* yaml.v3/v2 timestamp syntax (four Go layouts); on success out gets Go's RFC 3339 JSON text. */
bool yml_parse_timestamp(const char *s, size_t len, char *out, size_t outlen);

/* Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). On failure *bad is the offset. */
bool yml_utf8_valid(const char *s, size_t len, size_t *bad);

/* Go's json.Marshal view of a string: invalid UTF-8 bytes become U+FFFD. NULL if s is valid
 * (then *len is its length), else a new string. */
char *yml_utf8_sanitize(const char *s, size_t *len);


/* Effective limits with defaults filled in. */
void yml_limits_fill(yml_limits *out, const yml_limits *in);

#endif
