/* codec: base64 and hex (see codec.h). The decoder follows Go's encoding/base64 decodeQuantum
 * step by step, so that offsets in errors match Go's; the lax modes are the forms some callers
 * have always accepted. */
#include "eddy/codec.h"
#include "eddy/mem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char std_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t b64_encoded_len(size_t n, int flags)
{
	if (flags & B64_RAW)
		return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
	return (n + 2) / 3 * 4;
}

int b64_encode_buf(buf *b, const void *d, size_t n, int flags)
{
	const char *tab = flags & B64_URL ? url_alpha : std_alpha;
	const unsigned char *p = d;
	size_t len = b64_encoded_len(n, flags);
	if (len > b->cap - b->len || b->len > b->cap)
		return -1;
	char *o = xmalloc(len + 1), *q = o;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		*q++ = tab[(w >> 18) & 63];
		*q++ = tab[(w >> 12) & 63];
		if (i + 1 < n)
			*q++ = tab[(w >> 6) & 63];
		else if (!(flags & B64_RAW))
			*q++ = '=';
		if (i + 2 < n)
			*q++ = tab[w & 63];
		else if (!(flags & B64_RAW))
			*q++ = '=';
	}
	int rc = buf_add(b, o, (size_t)(q - o));
	free(o);
	return rc;
}

char *b64_encode(const void *d, size_t n, int flags)
{
	buf b;
	buf_init(&b, (size_t)-1);
	b64_encode_buf(&b, d, n, flags);
	return buf_detach(&b, NULL);
}

/* The sextet of c, or -1. */
static int sextet(unsigned char c, int flags)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	bool url = flags & (B64_URL | B64_ANY_ALPHABET), std = !(flags & B64_URL) ||
								(flags & B64_ANY_ALPHABET);
	if ((c == '+' && std) || (c == '-' && url))
		return 62;
	if ((c == '/' && std) || (c == '_' && url))
		return 63;
	return -1;
}

static bool skipped(unsigned char c, int flags)
{
	if (flags & B64_SKIP_SPACE)
		return c == '\r' || c == '\n' || c == ' ' || c == '\t';
	if (flags & B64_SKIP_NL)
		return c == '\r' || c == '\n';
	return false;
}

/* Append the k-1 bytes (k 2..4) of a quantum of k sextets. */
static int emit(buf *out, const unsigned char q[4], int k)
{
	uint32_t w = (uint32_t)q[0] << 18 | (uint32_t)q[1] << 12 |
		     (k > 2 ? (uint32_t)q[2] << 6 : 0) | (k > 3 ? q[3] : 0);
	char o[3] = {(char)(w >> 16), (char)(w >> 8 & 0xFF), (char)(w & 0xFF)};
	return buf_add(out, o, (size_t)(k - 1)) < 0 ? -2 : 0;
}

static int fail(size_t *bad, size_t at)
{
	if (bad)
		*bad = at;
	return -1;
}

/* Go's handling of '=' at s[i] after k sextets of the quantum in q. */
static int go_padding(buf *out, const char *s, size_t n, size_t i, int flags,
	const unsigned char q[4], int k, size_t *bad)
{
	if (k < 2)
		return fail(bad, i);
	size_t j = i + 1;
	while (j < n && skipped((unsigned char)s[j], flags))
		j++;
	if (k == 2) {
		if (j >= n)
			return fail(bad, n);
		if (s[j] != '=')
			return fail(bad, j - 1);
		j++;
		while (j < n && skipped((unsigned char)s[j], flags))
			j++;
	}
	if (j < n)
		return fail(bad, j);
	return emit(out, q, k);
}

int b64_decode_buf(buf *out, const char *s, size_t n, int flags, size_t *bad)
{
	unsigned char q[4];
	int k = 0, rc;
	size_t pad = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int v = sextet(c, flags);
		if (v >= 0) {
			if (pad)
				return fail(bad, i);
			q[k++] = (unsigned char)v;
			if (k == 4) {
				if ((rc = emit(out, q, 4)) < 0)
					return rc;
				k = 0;
			}
			continue;
		}
		if (skipped(c, flags))
			continue;
		if (c != '=' || (flags & B64_RAW))
			return fail(bad, i);
		if (flags & B64_PAD_STOP)
			break;
		if (flags & B64_PAD_LAX) {
			pad++;
			continue;
		}
		return go_padding(out, s, n, i, flags, q, k, bad);
	}
	if (pad > 2)
		return fail(bad, n);
	if (k == 0)
		return 0;
	if (k == 1) {
		if (flags & B64_PAD_STOP)
			return 0;
		return fail(bad, n - 1);
	}
	if (!(flags & (B64_RAW | B64_PAD_OPTIONAL | B64_PAD_LAX | B64_PAD_STOP)))
		return fail(bad, n - (size_t)k);
	return emit(out, q, k);
}

char *b64_decode(const char *s, size_t n, int flags, size_t max, size_t *out_len)
{
	buf b;
	buf_init(&b, max ? max : (size_t)-1);
	if (b64_decode_buf(&b, s, n, flags, NULL) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, out_len);
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *hex_encode(char *out, const void *d, size_t n, int flags)
{
	const char *tab = flags & HEX_UPPER ? "0123456789ABCDEF" : "0123456789abcdef";
	const unsigned char *p = d;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = tab[p[i] >> 4];
		out[2 * i + 1] = tab[p[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

int hex_decode(void *out, const char *s, size_t n)
{
	unsigned char *o = out;
	for (size_t i = 0; i < n; i++) {
		int a = hex_digit((unsigned char)s[2 * i]);
		int b = hex_digit((unsigned char)s[2 * i + 1]);
		if (a < 0 || b < 0)
			return -1;
		o[i] = (unsigned char)(a << 4 | b);
	}
	return 0;
}
