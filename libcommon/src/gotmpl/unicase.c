/* UTF-8 runes, Go's unicode predicates and the xstrings case conversions (see unicase.h). */
#include "gotmpl/unicase.h"

#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <wctype.h>

static locale_t utf8_loc;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_init(void) { utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); }

static locale_t loc(void)
{
	pthread_once(&utf8_once, utf8_init);
	return utf8_loc;
}

size_t tv_utf8_decode(const char *str, size_t n, uint32_t *r)
{
	const unsigned char *s = (const unsigned char *)str;
	if (!n) {
		*r = TV_RUNE_ERROR;
		return 0;
	}
	unsigned char c = s[0];
	if (c < 0x80) {
		*r = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		*r = TV_RUNE_ERROR;
		return 1;
	}
	if (n < len) {
		*r = TV_RUNE_ERROR;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*r = TV_RUNE_ERROR;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
		*r = TV_RUNE_ERROR;
		return 1;
	}
	*r = v;
	return len;
}

void tv_utf8_put(buf *b, uint32_t r)
{
	if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		r = TV_RUNE_ERROR;
	char o[4];
	size_t n;
	if (r < 0x80) {
		o[0] = (char)r;
		n = 1;
	} else if (r < 0x800) {
		o[0] = (char)(0xC0 | (r >> 6));
		o[1] = (char)(0x80 | (r & 0x3F));
		n = 2;
	} else if (r < 0x10000) {
		o[0] = (char)(0xE0 | (r >> 12));
		o[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		o[2] = (char)(0x80 | (r & 0x3F));
		n = 3;
	} else {
		o[0] = (char)(0xF0 | (r >> 18));
		o[1] = (char)(0x80 | ((r >> 12) & 0x3F));
		o[2] = (char)(0x80 | ((r >> 6) & 0x3F));
		o[3] = (char)(0x80 | (r & 0x3F));
		n = 4;
	}
	buf_add(b, o, n);
}

bool tv_u_isupper(uint32_t r)
{
	if (r < 0x80)
		return r >= 'A' && r <= 'Z';
	return loc() && iswupper_l((wint_t)r, loc());
}

bool tv_u_islower(uint32_t r)
{
	if (r < 0x80)
		return r >= 'a' && r <= 'z';
	return loc() && iswlower_l((wint_t)r, loc());
}

/* The Lt letters (digraphs such as U+01C5). */
bool tv_u_istitle(uint32_t r)
{
	return r == 0x01C5 || r == 0x01C8 || r == 0x01CB || r == 0x01F2 ||
	       (r >= 0x1F88 && r <= 0x1F8F) || (r >= 0x1F98 && r <= 0x1F9F) ||
	       (r >= 0x1FA8 && r <= 0x1FAF) || r == 0x1FBC || r == 0x1FCC || r == 0x1FFC;
}

bool tv_u_isnumber(uint32_t r)
{
	if (r < 0x80)
		return r >= '0' && r <= '9';
	if (r == 0xB2 || r == 0xB3 || r == 0xB9 || (r >= 0xBC && r <= 0xBE))
		return true;
	return loc() && iswdigit_l((wint_t)r, loc());
}

bool tv_u_isletter(uint32_t r)
{
	if (r < 0x80)
		return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
	if (r == 0xAA || r == 0xBA)
		return true;
	return loc() && iswalpha_l((wint_t)r, loc()) && !tv_u_isnumber(r);
}

bool tv_u_ispunct(uint32_t r)
{
	if (r < 0x80)
		return r > 0x20 && r < 0x7F && !(r >= '0' && r <= '9') &&
		       !((r | 0x20) >= 'a' && (r | 0x20) <= 'z') && !strchr("$+<=>^`|~", (int)r);
	/* Latin-1's punctuation; elsewhere the C library's, less letters and digits */
	if (r < 0x100)
		return r == 0xA1 || r == 0xA7 || r == 0xAB || r == 0xB6 || r == 0xB7 ||
		       r == 0xBB || r == 0xBF;
	if ((r >= 0x2010 && r <= 0x2027) || (r >= 0x2030 && r <= 0x205E) ||
	    (r >= 0x3001 && r <= 0x3003) || (r >= 0x3008 && r <= 0x3011))
		return true;
	return false;
}

bool tv_u_isspace(uint32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0:
	case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
		return true;
	default:
		return r >= 0x2000 && r <= 0x200A;
	}
}

uint32_t tv_u_toupper(uint32_t r)
{
	if (r < 0x80)
		return r >= 'a' && r <= 'z' ? r - 32 : r;
	return loc() ? (uint32_t)towupper_l((wint_t)r, loc()) : r;
}

uint32_t tv_u_tolower(uint32_t r)
{
	if (r < 0x80)
		return r >= 'A' && r <= 'Z' ? r + 32 : r;
	return loc() ? (uint32_t)towlower_l((wint_t)r, loc()) : r;
}

uint32_t tv_u_totitle(uint32_t r)
{
	/* the digraphs have a title form between upper and lower case */
	switch (r) {
	case 0x01C4: case 0x01C5: case 0x01C6: return 0x01C5;
	case 0x01C7: case 0x01C8: case 0x01C9: return 0x01C8;
	case 0x01CA: case 0x01CB: case 0x01CC: return 0x01CB;
	case 0x01F1: case 0x01F2: case 0x01F3: return 0x01F2;
	default: return tv_u_toupper(r);
	}
}

/* ---- huandu/xstrings v1.5 ---- */

enum { W_INVALID, W_NUMBER, W_UPPER, W_ALPHA, W_CONNECTOR, W_PUNCT, W_OTHER };

static bool is_connector(uint32_t r) { return r == '-' || r == '_' || tv_u_isspace(r); }

/* nextValidRune: the next decodable rune of s (skipping invalid bytes, whose sizes count),
 * or prev when there is none. */
static uint32_t next_valid(const char *s, size_t n, uint32_t prev, size_t *size)
{
	*size = 0;
	while (n) {
		uint32_t r;
		size_t sz = tv_utf8_decode(s, n, &r);
		*size += sz;
		if (r != TV_RUNE_ERROR)
			return r;
		s += sz;
		n -= sz;
	}
	return prev;
}

typedef struct word {
	int t;
	const char *w;
	size_t wn;
	const char *rest;
	size_t rn;
} word;

/* nextWord: the type and the text of the word at s, and what follows it. */
static word next_word(const char *str, size_t len)
{
	word o = {W_INVALID, str, 0, str, len};
	if (!len)
		return o;
	size_t size, offset = 0;
	const char *rem = str;
	size_t rn = len;
	uint32_t r = next_valid(rem, rn, TV_RUNE_ERROR, &size);
	offset += size;
	if (r == TV_RUNE_ERROR) {
		o.wn = offset;
		o.rest = str + offset;
		o.rn = len - offset;
		return o;
	}
#define ADV()                                                                                 \
	do {                                                                                  \
		rem += size;                                                                  \
		rn -= size;                                                                   \
	} while (0)
	if (is_connector(r)) {
		o.t = W_CONNECTOR;
		ADV();
		while (rn) {
			r = next_valid(rem, rn, r, &size);
			if (!is_connector(r))
				break;
			offset += size;
			ADV();
		}
	} else if (tv_u_ispunct(r)) {
		o.t = W_PUNCT;
		ADV();
		while (rn) {
			r = next_valid(rem, rn, r, &size);
			if (!tv_u_ispunct(r))
				break;
			offset += size;
			ADV();
		}
	} else if (tv_u_isupper(r)) {
		o.t = W_UPPER;
		ADV();
		if (rn) {
			r = next_valid(rem, rn, r, &size);
			if (tv_u_isupper(r)) {
				size_t prev_size = size;
				offset += size;
				ADV();
				while (rn) {
					r = next_valid(rem, rn, r, &size);
					if (!tv_u_isupper(r))
						break;
					prev_size = size;
					offset += size;
					ADV();
				}
				/* "HTTPStatus" is "HTTP" and "Status" */
				if (rn && tv_u_isletter(r)) {
					offset -= prev_size;
					rem = str + offset;
					rn = len - offset;
				}
			} else if (tv_u_isletter(r)) {
				offset += size;
				ADV();
				while (rn) {
					r = next_valid(rem, rn, r, &size);
					if (!tv_u_isletter(r) || tv_u_isupper(r))
						break;
					offset += size;
					ADV();
				}
			}
		}
	} else if (tv_u_isletter(r)) {
		o.t = W_ALPHA;
		ADV();
		while (rn) {
			r = next_valid(rem, rn, r, &size);
			if (!tv_u_isletter(r) || tv_u_isupper(r))
				break;
			offset += size;
			ADV();
		}
	} else if (tv_u_isnumber(r)) {
		o.t = W_NUMBER;
		ADV();
		while (rn) {
			r = next_valid(rem, rn, r, &size);
			if (!tv_u_isnumber(r))
				break;
			offset += size;
			ADV();
		}
	} else {
		o.t = W_OTHER;
		ADV();
		while (rn) {
			r = next_valid(rem, rn, r, &size);
			if (!size || is_connector(r) || tv_u_isletter(r) || tv_u_isnumber(r) ||
			    tv_u_ispunct(r))
				break;
			offset += size;
			ADV();
		}
	}
#undef ADV
	o.wn = offset;
	o.rest = rem;
	o.rn = rn;
	return o;
}

static void to_lower(buf *b, int t, const char *s, size_t n, uint32_t connector)
{
	if (t != W_UPPER && t != W_CONNECTOR) {
		buf_add(b, s, n);
		return;
	}
	while (n) {
		uint32_t r;
		size_t sz = tv_utf8_decode(s, n, &r);
		s += sz;
		n -= sz;
		if (is_connector(r))
			tv_utf8_put(b, connector);
		else if (tv_u_isupper(r))
			tv_utf8_put(b, tv_u_tolower(r));
		else
			tv_utf8_put(b, r);
	}
}

void tv_xstrings_delimited(buf *b, const char *s, size_t n, uint32_t connector)
{
	if (!n)
		return;
	word w = next_word(s, n);
	while (w.rn) {
		if (w.t != W_CONNECTOR)
			to_lower(b, w.t, w.w, w.wn, connector);
		word prev = w;
		w = next_word(w.rest, w.rn);
		switch (prev.t) {
		case W_NUMBER:
			while (w.t == W_ALPHA || w.t == W_NUMBER) {
				to_lower(b, w.t, w.w, w.wn, connector);
				w = next_word(w.rest, w.rn);
			}
			if (w.t != W_INVALID && w.t != W_PUNCT && w.t != W_CONNECTOR)
				tv_utf8_put(b, connector);
			break;
		case W_CONNECTOR:
			to_lower(b, prev.t, prev.w, prev.wn, connector);
			break;
		case W_PUNCT:
			break;
		default:
			if (w.t != W_NUMBER) {
				if (w.t != W_CONNECTOR && w.t != W_PUNCT)
					tv_utf8_put(b, connector);
				break;
			}
			if (!w.rn)
				break;
			word last = w;
			w = next_word(w.rest, w.rn);
			/* a number is part of the word before it: "Bld4Floor" */
			if (w.t != W_ALPHA) {
				to_lower(b, W_NUMBER, last.w, last.wn, connector);
				if (w.t != W_CONNECTOR && w.t != W_PUNCT)
					tv_utf8_put(b, connector);
				break;
			}
			/* lower case letters after the number: "HTTP2xx" is "HTTP" and "2xx" */
			tv_utf8_put(b, connector);
			to_lower(b, W_NUMBER, last.w, last.wn, connector);
			while (w.t == W_ALPHA || w.t == W_NUMBER) {
				to_lower(b, w.t, w.w, w.wn, connector);
				w = next_word(w.rest, w.rn);
			}
			if (w.t != W_INVALID && w.t != W_CONNECTOR && w.t != W_PUNCT)
				tv_utf8_put(b, connector);
			break;
		}
	}
	to_lower(b, w.t, w.w, w.wn, connector);
}

void tv_xstrings_camel(buf *b, const char *s, size_t n)
{
	if (!n)
		return;
	uint32_t r0 = 0, r1;
	size_t size = 0;
	/* leading connectors stay */
	while (n) {
		size = tv_utf8_decode(s, n, &r0);
		s += size;
		n -= size;
		if (!is_connector(r0)) {
			r0 = tv_u_toupper(r0);
			break;
		}
		tv_utf8_put(b, r0);
	}
	if (!n) {
		/* one rune left (xstrings writes it even after a run of connectors) */
		if (size)
			tv_utf8_put(b, r0);
		return;
	}
	while (n) {
		r1 = r0;
		size = tv_utf8_decode(s, n, &r0);
		s += size;
		n -= size;
		if (is_connector(r0) && is_connector(r1)) {
			tv_utf8_put(b, r1);
			continue;
		}
		if (is_connector(r1))
			r0 = tv_u_toupper(r0);
		else
			tv_utf8_put(b, r1);
	}
	tv_utf8_put(b, r0);
}
