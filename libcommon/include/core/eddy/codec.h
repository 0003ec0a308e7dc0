/* codec: base64 (RFC 4648, standard and URL alphabets, padded and raw) and hex.
 *
 * One implementation for every caller. Encoding is always canonical. Decoding is strict by
 * default, as Go's base64.StdEncoding.DecodeString (padding required, nothing may follow it,
 * trailing bits not checked; Go also skips '\r' and '\n', which is B64_SKIP_NL), and
 * reports the offset of the first invalid byte exactly as Go's CorruptInputError does; the
 * B64_* flags below relax it where a caller has always been more forgiving. Nothing here
 * allocates except the functions that return a new string, and they follow the mem.h
 * out-of-memory policy. */
#ifndef EDDY_CODEC_H
#define EDDY_CODEC_H

#include <stddef.h>

#include "eddy/buf.h"

/* Flags, or'ed together. Alphabet: */
#define B64_STD 0x00          /* "+/" (the default) */
#define B64_URL 0x01          /* "-_" */
#define B64_ANY_ALPHABET 0x02 /* decoding: accept "+/" and "-_" alike */
/* Padding: */
#define B64_RAW 0x04          /* no padding: encoding writes none, decoding refuses '=' */
#define B64_PAD_OPTIONAL 0x08 /* decoding: the last quantum may lack its padding */
#define B64_PAD_LAX 0x10      /* decoding: padding optional, and up to two '=' may end the
			       * input wherever it stops; only whitespace may follow them */
#define B64_PAD_STOP 0x20     /* decoding: the first '=' ends the input (what follows is
			       * ignored) and a last lone sextet is dropped, not refused */
/* Characters skipped while decoding: */
#define B64_SKIP_NL 0x40      /* '\r' and '\n' (as Go) */
#define B64_SKIP_SPACE 0x80   /* '\r', '\n', ' ' and '\t' */

/* How the Kubernetes client has always read Secret and kubeconfig data: either alphabet,
 * any whitespace skipped, padding optional and lax. */
#define B64_LENIENT (B64_ANY_ALPHABET | B64_PAD_LAX | B64_SKIP_SPACE)

/* Length of the encoding of n bytes (without a terminator). */
size_t b64_encoded_len(size_t n, int flags);
/* Append the encoding of d[0..n) to b: 0, or -1 when b's cap would be passed (b unchanged). */
int b64_encode_buf(buf *b, const void *d, size_t n, int flags);
/* The encoding of d[0..n) as a new NUL-terminated string. */
char *b64_encode(const void *d, size_t n, int flags);

/* Decode s[0..n) and append the bytes to out. 0 on success; -1 when the input is invalid, with
 * *bad (if not NULL) the offset Go would report ("illegal base64 data at input byte N"); -2
 * when out's cap would be passed (out then holds a prefix of the result). */
int b64_decode_buf(buf *out, const char *s, size_t n, int flags, size_t *bad);
/* Decode s[0..n) into a new NUL-terminated buffer (the terminator is not counted in
 * *out_len, which may be NULL). NULL when the input is invalid or decodes to more than max
 * bytes (max 0: no limit). */
char *b64_decode(const char *s, size_t n, int flags, size_t max, size_t *out_len);

/* Hex. HEX_UPPER selects "0123456789ABCDEF" for encoding; decoding accepts both cases. */
#define HEX_LOWER 0
#define HEX_UPPER 1

/* The value of one hex digit, or -1. */
int hex_digit(int c);
/* Write the hex of d[0..n) and a NUL into out, which holds at least 2n+1 bytes; returns out. */
char *hex_encode(char *out, const void *d, size_t n, int flags);
/* Decode exactly 2n hex digits s[0..2n) into out[0..n): 0, or -1 (out undefined) when one is
 * not a hex digit. */
int hex_decode(void *out, const char *s, size_t n);

#endif
