/* UTF-8 runes and Go's unicode predicates and case mappings, for the string functions that
 * work rune by rune as Go does (upper, lower, title, untitle, swapcase, initials and the
 * xstrings case conversions). Classification outside ASCII comes from the C library's
 * "C.UTF-8" locale (a private locale object, the process locale is untouched); without it
 * non-ASCII runes are left as they are. Not a public header. */
#ifndef EDDY_GOTMPL_UNICASE_H
#define EDDY_GOTMPL_UNICASE_H

#include "eddy/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TV_RUNE_ERROR 0xFFFDu

/* utf8.DecodeRuneInString: the rune at s and its size; an invalid or short sequence is
 * TV_RUNE_ERROR of size 1 (0 at the end of the input). */
size_t tv_utf8_decode(const char *s, size_t n, uint32_t *r);
/* utf8.AppendRune (invalid runes as U+FFFD). */
void tv_utf8_put(buf *b, uint32_t r);

bool tv_u_isupper(uint32_t r);
bool tv_u_islower(uint32_t r);
bool tv_u_istitle(uint32_t r);
bool tv_u_isletter(uint32_t r);
bool tv_u_isnumber(uint32_t r);
bool tv_u_ispunct(uint32_t r);
bool tv_u_isspace(uint32_t r);
uint32_t tv_u_toupper(uint32_t r);
uint32_t tv_u_tolower(uint32_t r);
uint32_t tv_u_totitle(uint32_t r);

/* huandu/xstrings v1.5 ToSnakeCase / ToKebabCase (connector '_' or '-') and ToCamelCase. */
void tv_xstrings_delimited(buf *b, const char *s, size_t n, uint32_t connector);
void tv_xstrings_camel(buf *b, const char *s, size_t n);

#endif
