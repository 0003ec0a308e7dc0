/* yml_emit: cJSON out as YAML, byte for byte as `kubectl kustomize` prints it.
 *
 * kustomize hands every object to encoding/json and then to go-yaml v2 (sigs.k8s.io/yaml's
 * JSONToYAML), whose emitter descends from libyaml's. What we reproduce:
 *   - go-yaml v2's encoder choices: map keys sorted in its "natural" order, numbers printed the
 *     way they come back from JSON, strings plain unless they would read back as something else
 *     (v2's YAML 1.1 resolver: yes/no/on/off/y/n, numbers, timestamps, base-60 floats), in
 *     which case double-quoted, and literal `|` style for strings holding a newline;
 *   - the emitter's scalar analysis (which styles a string allows), its fallback from plain to
 *     single- to double-quoted, its folding at column 80 and its indentation rules (2 spaces,
 *     block sequences not indented under a mapping key, `{}`/`[]` for empty collections).
 * The walk is iterative with an explicit stack. */
#include "yml_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"

enum { BEST_INDENT = 2, BEST_WIDTH = 80 };

#define CONTROL_CHARS "yaml: control characters are not allowed"

enum style { S_PLAIN, S_SINGLE, S_DOUBLE, S_LITERAL };

typedef struct em {
	buf *out;
	bool overflow;
	int column;
	int indent;
	bool whitespace;
	bool indention;
	int *indents;
	size_t nind, cind;
} em;

/* ---- byte classes (on valid UTF-8) ---- */

static size_t u8w(const unsigned char *s)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	return 4;
}

static bool is_break_at(const unsigned char *s, size_t i, size_t n)
{
	if (i >= n)
		return false;
	if (s[i] == '\r' || s[i] == '\n')
		return true;
	if (s[i] == 0xC2 && i + 1 < n && s[i + 1] == 0x85)
		return true;
	if (s[i] == 0xE2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
		return true;
	return false;
}

static bool is_space_at(const unsigned char *s, size_t i, size_t n)
{
	return i < n && s[i] == ' ';
}

static bool is_blankz_at(const unsigned char *s, size_t i, size_t n)
{
	return i >= n || s[i] == ' ' || s[i] == '\t' || s[i] == '\0' || is_break_at(s, i, n);
}

/* go-yaml's is_printable (three-byte sequences at most). */
static bool is_printable_at(const unsigned char *b, size_t i, size_t n)
{
	unsigned c = b[i];
	unsigned c1 = i + 1 < n ? b[i + 1] : 0, c2 = i + 2 < n ? b[i + 2] : 0;
	return c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c == 0xC2 && c1 >= 0xA0) ||
	       (c > 0xC2 && c < 0xED) || (c == 0xED && c1 < 0xA0) || c == 0xEE ||
	       (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) &&
		!(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)));
}

/* ---- output primitives ---- */

static void put(em *m, const char *p, size_t n)
{
	if (buf_add(m->out, p, n) < 0)
		m->overflow = true;
}

static void putc1(em *m, char c)
{
	put(m, &c, 1);
	m->column++;
}

static void put_break(em *m)
{
	put(m, "\n", 1);
	m->column = 0;
}

/* Copy one character (all its bytes), one column. */
static size_t write_char(em *m, const unsigned char *s, size_t i)
{
	size_t w = u8w(s + i);
	put(m, (const char *)s + i, w);
	m->column++;
	return w;
}

static size_t write_break_char(em *m, const unsigned char *s, size_t i)
{
	if (s[i] == '\n') {
		put_break(m);
		return 1;
	}
	size_t w = u8w(s + i);
	put(m, (const char *)s + i, w);
	m->column = 0;
	return w;
}

static void write_indent(em *m)
{
	int indent = m->indent >= 0 ? m->indent : 0;
	if (!m->indention || m->column > indent || (m->column == indent && !m->whitespace))
		put_break(m);
	while (m->column < indent)
		putc1(m, ' ');
	m->whitespace = true;
	m->indention = true;
}

static void write_indicator(em *m, const char *ind, bool need_ws, bool is_ws, bool is_ind)
{
	if (need_ws && !m->whitespace)
		putc1(m, ' ');
	size_t n = strlen(ind);
	put(m, ind, n);
	m->column += (int)n;
	m->whitespace = is_ws;
	m->indention = m->indention && is_ind;
}

static void increase_indent(em *m, bool flow, bool indentless)
{
	if (m->nind == m->cind) {
		m->cind = m->cind ? m->cind * 2 : 32;
		m->indents = xrealloc(m->indents, m->cind * sizeof *m->indents);
	}
	m->indents[m->nind++] = m->indent;
	if (m->indent < 0)
		m->indent = flow ? BEST_INDENT : 0;
	else if (!indentless)
		m->indent += BEST_INDENT;
}

static void pop_indent(em *m)
{
	m->indent = m->indents[--m->nind];
}

/* ---- scalar analysis (which styles the text allows) ---- */

typedef struct analysis {
	bool multiline;
	bool flow_plain, block_plain, single_ok, block_ok;
} analysis;

static void analyze(const unsigned char *s, size_t n, analysis *a)
{
	memset(a, 0, sizeof *a);
	if (n == 0) {
		a->block_plain = true;
		a->single_ok = true;
		return;
	}
	bool block_ind = false, flow_ind = false, line_breaks = false, special = false;
	bool leading_space = false, leading_break = false, trailing_space = false;
	bool trailing_break = false, break_space = false, space_break = false;
	bool prev_space = false, prev_break = false;
	if (n >= 3 && ((s[0] == '-' && s[1] == '-' && s[2] == '-') ||
		       (s[0] == '.' && s[1] == '.' && s[2] == '.'))) {
		block_ind = true;
		flow_ind = true;
	}
	bool preceded_ws = true;
	bool followed_ws = is_blankz_at(s, u8w(s), n);
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t w = u8w(s + i);
		if (i == 0) {
			if (strchr("#,[]{}&*!|>'\"%@`", (int)c) && c) {
				flow_ind = true;
				block_ind = true;
			}
			if (c == '?' || c == ':') {
				flow_ind = true;
				if (followed_ws)
					block_ind = true;
			}
			if (c == '-' && followed_ws) {
				flow_ind = true;
				block_ind = true;
			}
		} else {
			if (c && strchr(",?[]{}", (int)c))
				flow_ind = true;
			if (c == ':') {
				flow_ind = true;
				if (followed_ws)
					block_ind = true;
			}
			if (c == '#' && preceded_ws) {
				flow_ind = true;
				block_ind = true;
			}
		}
		if (!is_printable_at(s, i, n))
			special = true;
		if (is_break_at(s, i, n))
			line_breaks = true;
		if (c == ' ') {
			if (i == 0)
				leading_space = true;
			if (i + w == n)
				trailing_space = true;
			if (prev_break)
				break_space = true;
			prev_space = true;
			prev_break = false;
		} else if (is_break_at(s, i, n)) {
			if (i == 0)
				leading_break = true;
			if (i + w == n)
				trailing_break = true;
			if (prev_space)
				space_break = true;
			prev_break = true;
			prev_space = false;
		} else {
			prev_space = false;
			prev_break = false;
		}
		preceded_ws = is_blankz_at(s, i, n);
		i += w;
		if (i < n)
			followed_ws = is_blankz_at(s, i + u8w(s + i), n);
	}
	a->multiline = line_breaks;
	a->flow_plain = a->block_plain = a->single_ok = a->block_ok = true;
	if (leading_space || leading_break || trailing_space || trailing_break)
		a->flow_plain = a->block_plain = false;
	if (trailing_space)
		a->block_ok = false;
	if (break_space)
		a->flow_plain = a->block_plain = a->single_ok = false;
	if (space_break || special)
		a->flow_plain = a->block_plain = a->single_ok = a->block_ok = false;
	if (line_breaks)
		a->flow_plain = a->block_plain = false;
	if (flow_ind)
		a->flow_plain = false;
	if (block_ind)
		a->block_plain = false;
}

/* ---- scalar writers ---- */

static void write_plain(em *m, const unsigned char *s, size_t n, bool allow_breaks)
{
	if (!m->whitespace && n)
		putc1(m, ' ');
	bool spaces = false, breaks = false;
	for (size_t i = 0; i < n;) {
		if (s[i] == ' ') {
			if (allow_breaks && !spaces && m->column > BEST_WIDTH &&
			    !is_space_at(s, i + 1, n)) {
				write_indent(m);
				i++;
			} else {
				i += write_char(m, s, i);
			}
			spaces = true;
		} else if (is_break_at(s, i, n)) {
			if (!breaks && s[i] == '\n')
				put_break(m);
			i += write_break_char(m, s, i);
			m->indention = true;
			breaks = true;
		} else {
			if (breaks)
				write_indent(m);
			i += write_char(m, s, i);
			m->indention = false;
			spaces = breaks = false;
		}
	}
	m->whitespace = false;
	m->indention = false;
}

static void write_single(em *m, const unsigned char *s, size_t n, bool allow_breaks)
{
	write_indicator(m, "'", true, false, false);
	bool spaces = false, breaks = false;
	for (size_t i = 0; i < n;) {
		if (s[i] == ' ') {
			if (allow_breaks && !spaces && m->column > BEST_WIDTH && i != 0 &&
			    i != n - 1 && !is_space_at(s, i + 1, n)) {
				write_indent(m);
				i++;
			} else {
				i += write_char(m, s, i);
			}
			spaces = true;
		} else if (is_break_at(s, i, n)) {
			if (!breaks && s[i] == '\n')
				put_break(m);
			i += write_break_char(m, s, i);
			m->indention = true;
			breaks = true;
		} else {
			if (breaks)
				write_indent(m);
			if (s[i] == '\'')
				putc1(m, '\'');
			i += write_char(m, s, i);
			m->indention = false;
			spaces = breaks = false;
		}
	}
	write_indicator(m, "'", false, false, false);
}

static unsigned decode_cp(const unsigned char *s, size_t w)
{
	if (w == 1)
		return s[0];
	unsigned cp = s[0] & (w == 2 ? 0x1F : w == 3 ? 0x0F : 0x07);
	for (size_t k = 1; k < w; k++)
		cp = (cp << 6) | (s[k] & 0x3F);
	return cp;
}

static void write_double(em *m, const unsigned char *s, size_t n, bool allow_breaks)
{
	write_indicator(m, "\"", true, false, false);
	bool spaces = false;
	/* go-yaml's is_bom() looks at the first bytes of the value whatever the position, so a
	 * value starting with a BOM has every character escaped. */
	bool bom = n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF;
	for (size_t i = 0; i < n;) {
		if (!is_printable_at(s, i, n) || bom || is_break_at(s, i, n) || s[i] == '"' ||
		    s[i] == '\\') {
			size_t w = u8w(s + i);
			unsigned v = decode_cp(s + i, w);
			i += w;
			putc1(m, '\\');
			char esc = 0;
			switch (v) {
			case 0x00: esc = '0'; break;
			case 0x07: esc = 'a'; break;
			case 0x08: esc = 'b'; break;
			case 0x09: esc = 't'; break;
			case 0x0A: esc = 'n'; break;
			case 0x0B: esc = 'v'; break;
			case 0x0C: esc = 'f'; break;
			case 0x0D: esc = 'r'; break;
			case 0x1B: esc = 'e'; break;
			case 0x22: esc = '"'; break;
			case 0x5C: esc = '\\'; break;
			case 0x85: esc = 'N'; break;
			case 0xA0: esc = '_'; break;
			case 0x2028: esc = 'L'; break;
			case 0x2029: esc = 'P'; break;
			default: break;
			}
			if (esc) {
				putc1(m, esc);
			} else {
				char tmp[16];
				int digits = v <= 0xFF ? 2 : v <= 0xFFFF ? 4 : 8;
				char kind = digits == 2 ? 'x' : digits == 4 ? 'u' : 'U';
				snprintf(tmp, sizeof tmp, "%c%0*X", kind, digits, v);
				for (char *t = tmp; *t; t++)
					putc1(m, *t);
			}
			spaces = false;
		} else if (s[i] == ' ') {
			if (allow_breaks && !spaces && m->column > BEST_WIDTH && i != 0 &&
			    i != n - 1) {
				write_indent(m);
				if (is_space_at(s, i + 1, n))
					putc1(m, '\\');
				i++;
			} else {
				i += write_char(m, s, i);
			}
			spaces = true;
		} else {
			i += write_char(m, s, i);
			spaces = false;
		}
	}
	write_indicator(m, "\"", false, false, false);
}

static void write_literal(em *m, const unsigned char *s, size_t n)
{
	write_indicator(m, "|", true, false, false);
	if (n && (s[0] == ' ' || is_break_at(s, 0, n))) {
		char hint[2] = { (char)('0' + BEST_INDENT), 0 };
		write_indicator(m, hint, false, false, false);
	}
	const char *chomp = NULL;
	if (n == 0) {
		chomp = "-";
	} else {
		size_t i = n - 1;
		while (i > 0 && (s[i] & 0xC0) == 0x80)
			i--;
		if (!is_break_at(s, i, n)) {
			chomp = "-";
		} else if (i == 0) {
			chomp = "+";
		} else {
			i--;
			while (i > 0 && (s[i] & 0xC0) == 0x80)
				i--;
			if (is_break_at(s, i, n))
				chomp = "+";
		}
	}
	if (chomp)
		write_indicator(m, chomp, false, false, false);
	put_break(m);
	m->indention = true;
	m->whitespace = true;
	bool breaks = true;
	for (size_t i = 0; i < n;) {
		if (is_break_at(s, i, n)) {
			i += write_break_char(m, s, i);
			m->indention = true;
			breaks = true;
		} else {
			if (breaks) {
				write_indent(m);
				breaks = false;
			}
			i += write_char(m, s, i);
			m->indention = false;
		}
	}
}

/* ---- go-yaml v2's view of strings ---- */

static bool is_base60_float(const char *s, size_t n)
{
	/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
	size_t i = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i >= n || s[i] < '0' || s[i] > '9')
		return false;
	i++;
	while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
		i++;
	int groups = 0;
	while (i < n && s[i] == ':') {
		i++;
		size_t st = i;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - st < 2)
			i++;
		size_t d = i - st;
		if (d == 0)
			return false;
		if (d == 2 && s[st] > '5')
			return false;
		groups++;
	}
	if (!groups)
		return false;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			i++;
	}
	return i == n;
}

/* True if go-yaml v2 would read the plain text s as something other than a string. */
static bool v2_resolves_non_str(const char *s, size_t n)
{
	static const char *const words[] = {
		"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
		"~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
		"+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", NULL,
	};
	if (n == 0)
		return true;
	for (const char *const *w = words; *w; w++)
		if (strlen(*w) == n && memcmp(*w, s, n) == 0)
			return true;
	char c = s[0];
	ynum v;
	if (c == '.')
		return yml_resolve_number(s, n, &v);
	if (!(c == '+' || c == '-' || (c >= '0' && c <= '9')))
		return false;
	char ts[64];
	if (yml_parse_timestamp(s, n, ts, sizeof ts))
		return true;
	return yml_resolve_number(s, n, &v);
}

/* Emit one scalar: encoder style choice, then the emitter's analysis and fallbacks. */
static void emit_scalar(em *m, const char *text, size_t n, enum style want, bool simple_key)
{
	const unsigned char *s = (const unsigned char *)text;
	analysis a;
	analyze(s, n, &a);
	enum style st = want;
	if (simple_key && a.multiline)
		st = S_DOUBLE;
	if (st == S_PLAIN) {
		if (!a.block_plain)
			st = S_SINGLE;
		if (n == 0 && simple_key)
			st = S_SINGLE;
	}
	if (st == S_SINGLE && !a.single_ok)
		st = S_DOUBLE;
	if (st == S_LITERAL && (!a.block_ok || simple_key))
		st = S_DOUBLE;
	increase_indent(m, true, false);
	switch (st) {
	case S_PLAIN:
		write_plain(m, s, n, !simple_key);
		break;
	case S_SINGLE:
		write_single(m, s, n, !simple_key);
		break;
	case S_DOUBLE:
		write_double(m, s, n, !simple_key);
		break;
	case S_LITERAL:
		write_literal(m, s, n);
		break;
	}
	pop_indent(m);
}

/* go-yaml v2 reads the JSON text kustomize hands it and refuses raw control characters that
 * encoding/json leaves unescaped: DEL, C1 controls other than NEL, U+FFFE and U+FFFF. */
static bool has_forbidden_chars(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == 0x7F)
			return true;
		if (s[i] == 0xC2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F && s[i + 1] != 0x85)
			return true;
		if (s[i] == 0xEF && s[i + 1] == 0xBF && (s[i + 2] == 0xBE || s[i + 2] == 0xBF))
			return true;
	}
	return false;
}

/* encoding/json leaves U+0085 (NEL) raw inside the quoted JSON string, and go-yaml v2 then
 * folds it as a line break of a double-quoted scalar: spaces around it vanish (tabs are
 * escaped in JSON, so they stay), one break becomes a space, k breaks become k-1 newlines.
 * NULL if s holds no NEL. */
static bool is_nel(const char *p)
{
	return (unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0x85;
}

static char *fold_nel(const char *s)
{
	if (!strstr(s, "\xC2\x85"))
		return NULL;
	buf b;
	buf_init(&b, (size_t)-1);
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		if (s[i] == ' ' || is_nel(s + i)) {
			size_t j = i, breaks = 0;
			while (j < n && (s[j] == ' ' || is_nel(s + j))) {
				if (s[j] == ' ') {
					j++;
				} else {
					breaks++;
					j += 2;
				}
			}
			if (breaks == 0)
				buf_add(&b, s + i, j - i);
			else if (breaks == 1)
				buf_addc(&b, ' ');
			else
				for (size_t k = 1; k < breaks; k++)
					buf_addc(&b, '\n');
			i = j;
		} else {
			buf_addc(&b, s[i++]);
		}
	}
	return buf_detach(&b, NULL);
}

static void emit_string(em *m, const char *str0, bool simple_key)
{
	size_t n;
	char *folded = fold_nel(str0);
	const char *str = folded ? folded : str0;
	char *fixed = yml_utf8_sanitize(str, &n);
	const char *s = fixed ? fixed : str;
	enum style want;
	if (memchr(s, '\n', n))
		want = S_LITERAL;
	else if (simple_key && n == 2 && !memcmp(s, "<<", 2))
		/* a plain "<<" key would read back as a merge key; kustomize prints a "<<" value
		 * plain but never a "<<" key (its reader drops them), so quoting one loses nothing */
		want = S_DOUBLE;
	else if (!v2_resolves_non_str(s, n) && !is_base60_float(s, n))
		want = S_PLAIN;
	else
		want = S_DOUBLE;
	emit_scalar(m, s, n, want, simple_key);
	free(fixed);
	free(folded);
}

/* Is a key emitted as a simple key ("k: v") rather than "? k\n: v"? */
static bool simple_key_ok(const char *k)
{
	size_t n = strlen(k);
	if (n > 128)
		return false;
	if (memchr(k, '\n', n))
		return false;
	const unsigned char *s = (const unsigned char *)k;
	for (size_t i = 0; i < n; i++)
		if (is_break_at(s, i, n))
			return false;
	return true;
}

/* ---- go-yaml v2's key order ---- */

static bool is_letter(unsigned cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
	/* Approximation of unicode.IsLetter for the scripts seen in manifests. */
	if (cp == 0xAA || cp == 0xB5 || cp == 0xBA)
		return true;
	if (cp >= 0xC0 && cp <= 0x24F)
		return cp != 0xD7 && cp != 0xF7;
	if ((cp >= 0x370 && cp <= 0x3FF && cp != 0x37E && cp != 0x387) ||
	    (cp >= 0x400 && cp <= 0x52F) || (cp >= 0x5D0 && cp <= 0x5EA) ||
	    (cp >= 0x620 && cp <= 0x64A) || (cp >= 0x3041 && cp <= 0x30FF && cp != 0x30FB) ||
	    (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7A3))
		return true;
	return false;
}

static bool is_digit(unsigned cp)
{
	return cp >= '0' && cp <= '9';
}

static size_t to_runes(const char *s, unsigned **out)
{
	size_t n = strlen(s), k = 0;
	unsigned *r = xmalloc((n + 1) * sizeof *r);
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t w = u8w(u + i);
		if (i + w > n)
			w = n - i;
		r[k++] = decode_cp(u + i, w);
		i += w;
	}
	*out = r;
	return k;
}

typedef struct skey {
	const cJSON *item;
	unsigned *r;
	size_t n;
} skey;

static bool key_less(const skey *a, const skey *b)
{
	const unsigned *ar = a->r, *br = b->r;
	size_t al = a->n, bl = b->n;
	for (size_t i = 0; i < al && i < bl; i++) {
		if (ar[i] == br[i])
			continue;
		bool la = is_letter(ar[i]), lb = is_letter(br[i]);
		if (la && lb)
			return ar[i] < br[i];
		if (la || lb)
			return lb;
		uint64_t an = 0, bn = 0;
		if (ar[i] == '0' || br[i] == '0') {
			for (size_t j = i; j-- > 0 && is_digit(ar[j]);) {
				if (ar[j] != '0') {
					an = 1;
					bn = 1;
					break;
				}
			}
		}
		size_t ai, bi;
		for (ai = i; ai < al && is_digit(ar[ai]); ai++)
			an = an * 10 + (ar[ai] - '0');
		for (bi = i; bi < bl && is_digit(br[bi]); bi++)
			bn = bn * 10 + (br[bi] - '0');
		if (an != bn)
			return (int64_t)an < (int64_t)bn;
		if (ai != bi)
			return ai < bi;
		return ar[i] < br[i];
	}
	return al < bl;
}

static int key_cmp(const void *pa, const void *pb)
{
	const skey *a = pa, *b = pb;
	if (key_less(a, b))
		return -1;
	if (key_less(b, a))
		return 1;
	return 0;
}

static const cJSON **sorted_items(const cJSON *obj, size_t *count)
{
	size_t n = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		n++;
	skey *ks = xcalloc(n ? n : 1, sizeof *ks);
	size_t i = 0;
	for (const cJSON *c = obj->child; c; c = c->next, i++) {
		ks[i].item = c;
		ks[i].n = to_runes(c->string ? c->string : "", &ks[i].r);
	}
	qsort(ks, n, sizeof *ks, key_cmp);
	const cJSON **items = xcalloc(n ? n : 1, sizeof *items);
	for (i = 0; i < n; i++) {
		items[i] = ks[i].item;
		free(ks[i].r);
	}
	free(ks);
	*count = n;
	return items;
}

/* ---- the walk ---- */

typedef struct efr {
	const cJSON **items; /* maps: sorted entries */
	const cJSON *next;   /* sequences: next element */
	size_t n, i;
	bool is_map;
} efr;

typedef struct walk {
	efr *st;
	size_t nst, cst;
} walk;

/* Emit a node; containers with elements are pushed on the walk instead. */
static int emit_node(em *m, walk *w, const cJSON *v, bool mapping_ctx, err *e)
{
	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		bool map = cJSON_IsObject(v);
		if (!v->child) {
			write_indicator(m, map ? "{" : "[", true, true, false);
			write_indicator(m, map ? "}" : "]", false, false, false);
			return 0;
		}
		if (w->nst == w->cst) {
			w->cst = w->cst ? w->cst * 2 : 32;
			w->st = xrealloc(w->st, w->cst * sizeof *w->st);
		}
		efr *f = &w->st[w->nst++];
		memset(f, 0, sizeof *f);
		f->is_map = map;
		if (map) {
			f->items = sorted_items(v, &f->n);
			increase_indent(m, false, false);
		} else {
			f->next = v->child;
			increase_indent(m, false, mapping_ctx && !m->indention);
		}
		return 0;
	}
	if (cJSON_IsString(v)) {
		if (v->valuestring && has_forbidden_chars(v->valuestring))
			return err_fail(e, "InvalidYAML", CONTROL_CHARS);
		emit_string(m, v->valuestring ? v->valuestring : "", false);
		return 0;
	}
	if (cJSON_IsNumber(v)) {
		char tmp[400];
		if (!yml_number_text(v, tmp, sizeof tmp)) {
			ynum num;
			yml_number_value(v, &num);
			return err_fail(e, "InvalidYAML", "json: unsupported value: %s",
					isnan(num.f) ? "NaN" : num.f < 0 ? "-Inf" : "+Inf");
		}
		emit_scalar(m, tmp, strlen(tmp), S_PLAIN, false);
		return 0;
	}
	if (cJSON_IsTrue(v)) {
		emit_scalar(m, "true", 4, S_PLAIN, false);
		return 0;
	}
	if (cJSON_IsFalse(v)) {
		emit_scalar(m, "false", 5, S_PLAIN, false);
		return 0;
	}
	if (cJSON_IsRaw(v) && v->valuestring) {
		emit_scalar(m, v->valuestring, strlen(v->valuestring), S_PLAIN, false);
		return 0;
	}
	emit_scalar(m, "null", 4, S_PLAIN, false);
	return 0;
}

int yml_emit(buf *out, const cJSON *doc, err *e)
{
	em m;
	memset(&m, 0, sizeof m);
	m.out = out;
	m.indent = -1;
	m.whitespace = true;
	m.indention = true;
	walk w = { 0 };
	size_t start = out->len;
	int rc = emit_node(&m, &w, doc, false, e);
	while (rc == 0 && w.nst && !m.overflow) {
		efr *f = &w.st[w.nst - 1];
		if (f->is_map ? f->i == f->n : !f->next) {
			free(f->items);
			w.nst--;
			pop_indent(&m);
			continue;
		}
		if (f->is_map) {
			const cJSON *kv = f->items[f->i++];
			const char *k = kv->string ? kv->string : "";
			if (has_forbidden_chars(k)) {
				rc = err_fail(e, "InvalidYAML", CONTROL_CHARS);
				break;
			}
			if (strstr(k, "\xC2\x85")) {
				/* a raw NEL makes the JSON key a multi-line implicit key */
				rc = err_fail(e, "InvalidYAML", "yaml: did not find expected "
					      "',' or '}' (NEL in a key)");
				break;
			}
			write_indent(&m);
			if (simple_key_ok(k)) {
				emit_string(&m, k, true);
				write_indicator(&m, ":", false, false, false);
			} else {
				write_indicator(&m, "?", true, false, true);
				emit_string(&m, k, false);
				write_indent(&m);
				write_indicator(&m, ":", true, false, true);
			}
			rc = emit_node(&m, &w, kv, true, e);
		} else {
			const cJSON *item = f->next;
			f->next = item->next;
			write_indent(&m);
			write_indicator(&m, "-", true, false, true);
			rc = emit_node(&m, &w, item, false, e);
		}
	}
	for (size_t i = 0; i < w.nst; i++)
		free(w.st[i].items);
	free(w.st);
	free(m.indents);
	if (rc == 0 && !m.overflow) {
		/* document end: a final line break if the line is not empty */
		m.indent = -1;
		write_indent(&m);
	}
	if (rc == 0 && m.overflow)
		rc = err_fail(e, "InvalidYAML", "yaml: output exceeds %zu bytes", out->cap);
	if (rc < 0) {
		/* leave the buffer as it was */
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

int yml_emit_stream(buf *out, const cJSON *docs, err *e)
{
	if (!cJSON_IsArray(docs))
		return err_fail(e, "InvalidYAML", "yaml: a stream must be an array of documents");
	size_t start = out->len;
	bool first = true;
	for (const cJSON *d = docs->child; d; d = d->next) {
		if (!first && buf_adds(out, "---\n") < 0) {
			out->len = start;
			if (out->data)
				out->data[start] = '\0';
			return err_fail(e, "InvalidYAML", "yaml: output exceeds %zu bytes",
					out->cap);
		}
		first = false;
		if (yml_emit(out, d, e) < 0) {
			out->len = start;
			if (out->data)
				out->data[start] = '\0';
			return -1;
		}
	}
	return 0;
}
