/* Sprig's string functions. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"
#include "gotmpl/fn.h"
#include "gotmpl/unicase.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Sprig: strings ---- */

FN(toString)
{
	char *s = tv_to_string(argv[0]);
	*out = tmpl_str_take(s, strlen(s));
	return 0;
}

FN(quote)
{
	buf b;
	buf_init(&b, (size_t)-1);
	bool first = true;
	for (int i = 0; i < argc; i++) {
		if (argv[i].kind == TV_NIL)
			continue;
		if (!first)
			buf_addc(&b, ' ');
		first = false;
		char *s = tv_to_string(argv[i]);
		tv_quote(&b, s, strlen(s));
		free(s);
	}
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(squote)
{
	buf b;
	buf_init(&b, (size_t)-1);
	bool first = true;
	for (int i = 0; i < argc; i++) {
		if (argv[i].kind == TV_NIL)
			continue;
		if (!first)
			buf_addc(&b, ' ');
		first = false;
		char *s = tv_to_string(argv[i]);
		buf_addf(&b, "'%s'", s);
		free(s);
	}
	*out = tv_str_from_buf(&b);
	return 0;
}

static bool all_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* strings.Map over the runes of s (invalid bytes become U+FFFD, as in Go). */
static tmpl_val map_runes(const char *s, size_t n, uint32_t (*f)(uint32_t))
{
	buf b;
	buf_init(&b, (size_t)-1);
	while (n) {
		uint32_t r;
		size_t sz = tv_utf8_decode(s, n, &r);
		tv_utf8_put(&b, f(r));
		s += sz;
		n -= sz;
	}
	return tv_str_from_buf(&b);
}

FN(upper)
{
	if (!all_ascii(S(0), SLEN(0))) {
		*out = map_runes(S(0), SLEN(0), tv_u_toupper);
		return 0;
	}
	tmpl_val r = tmpl_strn(S(0), SLEN(0));
	for (size_t i = 0; i < r.u.s->len; i++)
		r.u.s->data[i] = (char)toupper((unsigned char)r.u.s->data[i]);
	*out = r;
	return 0;
}

FN(lower)
{
	if (!all_ascii(S(0), SLEN(0))) {
		*out = map_runes(S(0), SLEN(0), tv_u_tolower);
		return 0;
	}
	tmpl_val r = tmpl_strn(S(0), SLEN(0));
	for (size_t i = 0; i < r.u.s->len; i++)
		r.u.s->data[i] = (char)tolower((unsigned char)r.u.s->data[i]);
	*out = r;
	return 0;
}

/* strings.Title's isSeparator */
static bool is_sep(uint32_t c)
{
	if (c < 0x80)
		return !(isalnum((int)c) || c == '_');
	if (tv_u_isletter(c) || tv_u_isnumber(c))
		return false;
	return tv_u_isspace(c);
}

/* strings.Title: the first rune of each word in title case. */
FN(title)
{
	buf b;
	buf_init(&b, (size_t)-1);
	const char *s = S(0);
	size_t n = SLEN(0);
	uint32_t prev = ' ';
	while (n) {
		uint32_t r;
		size_t sz = tv_utf8_decode(s, n, &r);
		tv_utf8_put(&b, is_sep(prev) ? tv_u_totitle(r) : r);
		prev = r;
		s += sz;
		n -= sz;
	}
	*out = tv_str_from_buf(&b);
	return 0;
}

/* goutils.Uncapitalize: the first rune after each space in lower case. */
FN(untitle)
{
	buf b;
	buf_init(&b, (size_t)-1);
	const char *s = S(0);
	size_t n = SLEN(0);
	bool next = true;
	while (n) {
		uint32_t r;
		size_t sz = tv_utf8_decode(s, n, &r);
		if (tv_u_isspace(r)) {
			next = true;
		} else if (next) {
			r = tv_u_tolower(r);
			next = false;
		}
		tv_utf8_put(&b, r);
		s += sz;
		n -= sz;
	}
	*out = tv_str_from_buf(&b);
	return 0;
}

static bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

FN(trim)
{
	const char *s = S(0);
	size_t a = 0, b = SLEN(0);
	while (a < b && is_ws((unsigned char)s[a]))
		a++;
	while (b > a && is_ws((unsigned char)s[b - 1]))
		b--;
	*out = tmpl_strn(s + a, b - a);
	return 0;
}

static bool in_set(char c, const char *set, size_t n) { return memchr(set, c, n) != NULL; }

FN(trimAll)
{
	const char *cut = S(0), *s = S(1);
	size_t a = 0, b = SLEN(1);
	while (a < b && in_set(s[a], cut, SLEN(0)))
		a++;
	while (b > a && in_set(s[b - 1], cut, SLEN(0)))
		b--;
	*out = tmpl_strn(s + a, b - a);
	return 0;
}

FN(trimPrefix)
{
	if (SLEN(1) >= SLEN(0) && !memcmp(S(1), S(0), SLEN(0)))
		*out = tmpl_strn(S(1) + SLEN(0), SLEN(1) - SLEN(0));
	else
		*out = tmpl_ref(argv[1]);
	return 0;
}

FN(trimSuffix)
{
	if (SLEN(1) >= SLEN(0) && !memcmp(S(1) + SLEN(1) - SLEN(0), S(0), SLEN(0)))
		*out = tmpl_strn(S(1), SLEN(1) - SLEN(0));
	else
		*out = tmpl_ref(argv[1]);
	return 0;
}

FN(trunc)
{
	int64_t c = argv[0].u.i;
	size_t n = SLEN(1);
	if (c < 0 && (int64_t)n + c > 0)
		*out = tmpl_strn(S(1) + n + c, (size_t)-c);
	else if (c >= 0 && n > (size_t)c)
		*out = tmpl_strn(S(1), (size_t)c);
	else
		*out = tmpl_ref(argv[1]);
	return 0;
}

static void replace_all(buf *b, const char *s, size_t n, const char *old, size_t on,
			const char *nw, size_t nn)
{
	if (on == 0) {
		/* Go: insert new before every rune and at the end */
		for (size_t i = 0; i < n;) {
			buf_add(b, nw, nn);
			size_t k = 1;
			while (i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80)
				k++;
			buf_add(b, s + i, k);
			i += k;
		}
		buf_add(b, nw, nn);
		return;
	}
	for (size_t i = 0; i < n;) {
		if (i + on <= n && !memcmp(s + i, old, on)) {
			buf_add(b, nw, nn);
			i += on;
		} else {
			buf_addc(b, s[i++]);
		}
	}
}

FN(replace)
{
	buf b;
	buf_init(&b, 256u << 20);
	replace_all(&b, S(2), SLEN(2), S(0), SLEN(0), S(1), SLEN(1));
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(contains) { *out = tmpl_bool(memmem(S(1), SLEN(1), S(0), SLEN(0)) != NULL || !SLEN(0)); return 0; }
FN(hasPrefix) { *out = tmpl_bool(SLEN(1) >= SLEN(0) && !memcmp(S(1), S(0), SLEN(0))); return 0; }
FN(hasSuffix)
{
	*out = tmpl_bool(SLEN(1) >= SLEN(0) && !memcmp(S(1) + SLEN(1) - SLEN(0), S(0), SLEN(0)));
	return 0;
}

static int do_indent(int64_t spaces, const char *s, size_t n, bool nl, tmpl_val *out, err *e)
{
	if (spaces < 0) /* strings.Repeat's panic */
		return tmpl_fail(e, "strings: negative Repeat count");
	if (spaces > 100000)
		return tmpl_fail(e, "indent too large");
	buf b;
	buf_init(&b, 256u << 20);
	if (nl)
		buf_addc(&b, '\n');
	for (int64_t i = 0; i < spaces; i++)
		buf_addc(&b, ' ');
	for (size_t i = 0; i < n; i++) {
		if (buf_addc(&b, s[i])) {
			buf_release(&b);
			return tmpl_fail(e, "indent result too large");
		}
		if (s[i] == '\n')
			for (int64_t k = 0; k < spaces; k++)
				buf_addc(&b, ' ');
	}
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(indent) { return do_indent(argv[0].u.i, S(1), SLEN(1), false, out, e); }
FN(nindent) { return do_indent(argv[0].u.i, S(1), SLEN(1), true, out, e); }

FN(repeat)
{
	int64_t c = argv[0].u.i;
	if (c < 0)
		return tmpl_fail(e, "strings: negative Repeat count");
	if (SLEN(1) && (uint64_t)c > (64u << 20) / SLEN(1))
		return tmpl_fail(e, "repeat result too large");
	buf b;
	buf_init(&b, (size_t)-1);
	for (int64_t i = 0; i < c; i++)
		buf_add(&b, S(1), SLEN(1));
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(substr)
{
	int64_t st = argv[0].u.i, en = argv[1].u.i, n = (int64_t)SLEN(2);
	if (st < 0)
		*out = tmpl_strn(S(2), (size_t)(en < 0 || en > n ? n : en));
	else if (en < 0 || en > n)
		*out = st > n ? tmpl_str("") : tmpl_strn(S(2) + st, (size_t)(n - st));
	else if (st > en)
		return tmpl_fail(e, "slice bounds out of range [%lld:%lld]", (long long)st,
				 (long long)en);
	else
		*out = tmpl_strn(S(2) + st, (size_t)(en - st));
	return 0;
}

FN(nospace)
{
	buf b;
	buf_init(&b, (size_t)-1);
	for (size_t i = 0; i < SLEN(0); i++)
		if (!is_ws((unsigned char)S(0)[i]))
			buf_addc(&b, S(0)[i]);
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(cat)
{
	buf b;
	buf_init(&b, (size_t)-1);
	bool first = true;
	for (int i = 0; i < argc; i++) {
		if (argv[i].kind == TV_NIL)
			continue;
		if (!first)
			buf_addc(&b, ' ');
		first = false;
		tv_print_v(&b, argv[i], false);
	}
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(abbrev)
{
	int64_t w = argv[0].u.i;
	if (w < 4 || (int64_t)SLEN(1) <= w) {
		*out = tmpl_ref(argv[1]);
		return 0;
	}
	buf b;
	buf_init(&b, (size_t)-1);
	buf_add(&b, S(1), (size_t)(w - 3));
	buf_adds(&b, "...");
	*out = tv_str_from_buf(&b);
	return 0;
}

/* goutils.AbbreviateFull as Sprig's abbrevboth calls it (byte offsets, like Go). */
static void abbrev_full(buf *b, const char *s, int64_t n, int64_t off, int64_t w)
{
	if (n <= w) {
		buf_add(b, s, (size_t)n);
		return;
	}
	if (off > n)
		off = n;
	if (n - off < w - 3)
		off = n - (w - 3);
	if (off <= 4) {
		buf_add(b, s, (size_t)(w - 3));
		buf_adds(b, "...");
		return;
	}
	buf_adds(b, "...");
	if (off + w - 3 < n) {
		abbrev_full(b, s + off, n - off, 0, w - 3);
		return;
	}
	buf_add(b, s + n - (w - 3), (size_t)(w - 3));
}

FN(abbrevboth)
{
	int64_t left = argv[0].u.i, right = argv[1].u.i;
	if (right < 4 || (left > 0 && right < 7) || !SLEN(2)) {
		*out = tmpl_ref(argv[2]);
		return 0;
	}
	buf b;
	buf_init(&b, (size_t)-1);
	abbrev_full(&b, S(2), (int64_t)SLEN(2), left, right);
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(plural) { *out = tmpl_ref(argv[2].u.i == 1 ? argv[0] : argv[1]); return 0; }

FN(snakecase)
{
	buf b;
	buf_init(&b, (size_t)-1);
	tv_xstrings_delimited(&b, S(0), SLEN(0), '_');
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(kebabcase)
{
	buf b;
	buf_init(&b, (size_t)-1);
	tv_xstrings_delimited(&b, S(0), SLEN(0), '-');
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(camelcase)
{
	buf b;
	buf_init(&b, (size_t)-1);
	tv_xstrings_camel(&b, S(0), SLEN(0));
	*out = tv_str_from_buf(&b);
	return 0;
}

/* goutils.SwapCase */
static uint32_t swap_rune(uint32_t r)
{
	if (tv_u_isupper(r) || tv_u_istitle(r))
		return tv_u_tolower(r);
	if (tv_u_islower(r))
		return tv_u_toupper(r);
	return r;
}

FN(swapcase)
{
	*out = map_runes(S(0), SLEN(0), swap_rune);
	return 0;
}

/* goutils.Initials: works on bytes, each taken as a rune (so a UTF-8 lead byte comes out as
 * the Latin-1 letter of that value, as in Go). */
FN(initials)
{
	buf b;
	buf_init(&b, (size_t)-1);
	bool gap = true;
	for (size_t i = 0; i < SLEN(0); i++) {
		uint32_t c = (unsigned char)S(0)[i];
		if (tv_u_isspace(c)) {
			gap = true;
		} else if (gap) {
			tv_utf8_put(&b, c);
			gap = false;
		}
	}
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(wrapWith)
{
	int64_t w = argv[0].u.i;
	const char *sep = argc == 3 ? S(1) : "\n";
	tmpl_val sv = argv[argc - 1];
	const char *s = sv.u.s->data;
	size_t n = sv.u.s->len;
	buf b;
	buf_init(&b, (size_t)-1);
	/* greedy word wrap like goutils.WrapCustom (no long-word break) */
	size_t line = 0;
	size_t i = 0;
	while (i < n) {
		size_t st = i;
		while (i < n && s[i] != ' ')
			i++;
		size_t wl = i - st;
		if (line > 0 && line + 1 + wl > (size_t)w) {
			buf_adds(&b, sep);
			line = 0;
		} else if (line > 0) {
			buf_addc(&b, ' ');
			line++;
		}
		buf_add(&b, s + st, wl);
		line += wl;
		while (i < n && s[i] == ' ')
			i++;
	}
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(split)
{
	tmpl_val m = tmpl_map_new();
	m.sub = TV_SUB_STRMAP;
	const char *s = S(1), *sep = S(0);
	size_t n = SLEN(1), sn = SLEN(0);
	size_t i = 0, k = 0, st = 0;
	char key[32];
	if (!sn) {
		for (i = 0; i < n; i++) {
			snprintf(key, sizeof key, "_%zu", k++);
			tmpl_map_set(m, key, tmpl_strn(s + i, 1));
		}
		*out = m;
		return 0;
	}
	while (i + sn <= n) {
		if (!memcmp(s + i, sep, sn)) {
			snprintf(key, sizeof key, "_%zu", k++);
			tmpl_map_set(m, key, tmpl_strn(s + st, i - st));
			i += sn;
			st = i;
		} else {
			i++;
		}
	}
	snprintf(key, sizeof key, "_%zu", k);
	tmpl_map_set(m, key, tmpl_strn(s + st, n - st));
	*out = m;
	return 0;
}

static tmpl_val split_list(const char *s, size_t n, const char *sep, size_t sn, int64_t max)
{
	tmpl_val l = tmpl_list_new(0);
	l.sub = TV_SUB_STRS;
	if (max == 0)
		return l;
	if (!sn) {
		for (size_t i = 0; i < n; i++)
			tmpl_list_push(&l, tmpl_strn(s + i, 1));
		return l;
	}
	size_t i = 0, st = 0;
	int64_t cnt = 1;
	while (i + sn <= n && (max < 0 || cnt < max)) {
		if (!memcmp(s + i, sep, sn)) {
			tmpl_list_push(&l, tmpl_strn(s + st, i - st));
			cnt++;
			i += sn;
			st = i;
		} else {
			i++;
		}
	}
	tmpl_list_push(&l, tmpl_strn(s + st, n - st));
	return l;
}

FN(splitList) { *out = split_list(S(1), SLEN(1), S(0), SLEN(0), -1); return 0; }

FN(splitn)
{
	tmpl_val l = split_list(S(2), SLEN(2), S(0), SLEN(0), argv[1].u.i);
	tmpl_val m = tmpl_map_new();
	m.sub = TV_SUB_STRMAP;
	for (size_t i = 0; i < l.u.l->n; i++) {
		char key[32];
		snprintf(key, sizeof key, "_%zu", i);
		tmpl_map_set(m, key, tmpl_ref(l.u.l->items[i]));
	}
	tmpl_val_free(l);
	*out = m;
	return 0;
}

FN(join)
{
	tmpl_val l = tv_strslice(argv[1]);
	buf b;
	buf_init(&b, (size_t)-1);
	for (size_t i = 0; i < l.u.l->n; i++) {
		if (i)
			buf_add(&b, S(0), SLEN(0));
		buf_add(&b, l.u.l->items[i].u.s->data, l.u.l->items[i].u.s->len);
	}
	tmpl_val_free(l);
	*out = tv_str_from_buf(&b);
	return 0;
}

FN(toStrings) { *out = tv_strslice(argv[0]); return 0; }

FN(sortAlpha);
static int cmp_strval(const void *a, const void *b)
{
	const tmpl_val *x = a, *y = b;
	size_t n = x->u.s->len < y->u.s->len ? x->u.s->len : y->u.s->len;
	int c = memcmp(x->u.s->data, y->u.s->data, n);
	if (c)
		return c;
	return x->u.s->len < y->u.s->len ? -1 : x->u.s->len > y->u.s->len;
}

FN(sortAlpha)
{
	if (argv[0].kind != TV_LIST) {
		tmpl_val l = tmpl_list_new(1);
		l.sub = TV_SUB_STRS;
		char *s = tv_to_string(argv[0]);
		tmpl_list_push(&l, tmpl_str_take(s, strlen(s)));
		*out = l;
		return 0;
	}
	tmpl_val l = tv_strslice(argv[0]);
	if (l.u.l->n)
		qsort(l.u.l->items, l.u.l->n, sizeof(tmpl_val), cmp_strval);
	*out = l;
	return 0;
}

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"toString", fn_toString, "a"},
	{"quote", fn_quote, "a*"},
	{"squote", fn_squote, "a*"},
	{"upper", fn_upper, "s"},
	{"lower", fn_lower, "s"},
	{"title", fn_title, "s"},
	{"untitle", fn_untitle, "s"},
	{"trim", fn_trim, "s"},
	{"trimAll", fn_trimAll, "ss"},
	{"trimPrefix", fn_trimPrefix, "ss"},
	{"trimSuffix", fn_trimSuffix, "ss"},
	{"trunc", fn_trunc, "is"},
	{"replace", fn_replace, "sss"},
	{"contains", fn_contains, "ss"},
	{"hasPrefix", fn_hasPrefix, "ss"},
	{"hasSuffix", fn_hasSuffix, "ss"},
	{"indent", fn_indent, "is"},
	{"nindent", fn_nindent, "is"},
	{"repeat", fn_repeat, "is"},
	{"substr", fn_substr, "iis"},
	{"nospace", fn_nospace, "s"},
	{"cat", fn_cat, "a*"},
	{"abbrev", fn_abbrev, "is"},
	{"plural", fn_plural, "ssi"},
	{"snakecase", fn_snakecase, "s"},
	{"kebabcase", fn_kebabcase, "s"},
	{"camelcase", fn_camelcase, "s"},
	{"swapcase", fn_swapcase, "s"},
	{"initials", fn_initials, "s"},
	{"wrap", fn_wrapWith, "is"},
	{"wrapWith", fn_wrapWith, "iss"},
	{"split", fn_split, "ss"},
	{"splitList", fn_splitList, "ss"},
	{"splitn", fn_splitn, "sis"},
	{"join", fn_join, "sa"},
	{"toStrings", fn_toStrings, "a"},
	{"sortAlpha", fn_sortAlpha, "a"},
	{"abbrevboth", fn_abbrevboth, "iis"},
	{"trimall", fn_trimAll, "ss"},
};

const tv_family tv_family_strings = {funcs, sizeof funcs / sizeof *funcs};
