/* Go's fmt.Sprintf / Sprint / Sprintln over template values. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* strconv.Quote (printable UTF-8 kept as is). */
void tv_quote(buf *out, const char *s, size_t n)
{
	buf_addc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': buf_adds(out, "\\\""); continue;
		case '\\': buf_adds(out, "\\\\"); continue;
		case '\a': buf_adds(out, "\\a"); continue;
		case '\b': buf_adds(out, "\\b"); continue;
		case '\f': buf_adds(out, "\\f"); continue;
		case '\n': buf_adds(out, "\\n"); continue;
		case '\r': buf_adds(out, "\\r"); continue;
		case '\t': buf_adds(out, "\\t"); continue;
		case '\v': buf_adds(out, "\\v"); continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			buf_addf(out, "\\x%02x", c);
			continue;
		}
		if (c < 0x80) {
			buf_addc(out, (char)c);
			continue;
		}
		/* validate a UTF-8 sequence */
		int len = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
		if (c >= 0xF8)
			len = 0;
		bool ok = len && i + len <= n;
		for (int k = 1; ok && k < len; k++)
			if (((unsigned char)s[i + k] & 0xC0) != 0x80)
				ok = false;
		if (!ok) {
			buf_addf(out, "\\x%02x", c);
			continue;
		}
		buf_add(out, s + i, (size_t)len);
		i += (size_t)len - 1;
	}
	buf_addc(out, '"');
}

typedef struct spec {
	bool minus, plus, sharp, space, zero, plus_v;
	int width, prec; /* -1 when absent */
	char verb;
} spec;

static void pad(buf *out, const char *s, size_t n, const spec *sp, bool numeric)
{
	/* width counts runes */
	size_t runes = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			runes++;
	int padn = sp->width > (int)runes ? sp->width - (int)runes : 0;
	if (sp->minus) {
		buf_add(out, s, n);
		for (int i = 0; i < padn; i++)
			buf_addc(out, ' ');
		return;
	}
	if (sp->zero && padn) {
		size_t k = 0;
		if (numeric && n && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) {
			buf_addc(out, s[0]);
			k = 1;
		}
		for (int i = 0; i < padn; i++)
			buf_addc(out, '0');
		buf_add(out, s + k, n - k);
		return;
	}
	for (int i = 0; i < padn; i++)
		buf_addc(out, ' ');
	buf_add(out, s, n);
}

static void bad_verb(buf *out, char verb, tmpl_val v)
{
	buf_addf(out, "%%!%c(", verb);
	if (v.kind == TV_NIL) {
		buf_adds(out, "<nil>)");
		return;
	}
	buf_addf(out, "%s=", tv_type_name(v));
	tv_print_v(out, v, false);
	buf_addc(out, ')');
}

static void fmt_int(buf *out, int64_t iv, const spec *sp)
{
	char tmp[300];
	unsigned long long u = iv < 0 ? 0ull - (unsigned long long)iv : (unsigned long long)iv;
	const char *sign = iv < 0 ? "-" : sp->plus ? "+" : sp->space ? " " : "";
	char digits[80];
	switch (sp->verb) {
	case 'x': snprintf(digits, sizeof digits, "%llx", u); break;
	case 'X': snprintf(digits, sizeof digits, "%llX", u); break;
	case 'o': snprintf(digits, sizeof digits, "%llo", u); break;
	case 'O': snprintf(digits, sizeof digits, "%llo", u); break;
	case 'b': {
		int k = 0;
		char rev[70];
		do {
			rev[k++] = (char)('0' + (u & 1));
			u >>= 1;
		} while (u);
		for (int j = 0; j < k; j++)
			digits[j] = rev[k - 1 - j];
		digits[k] = 0;
		break;
	}
	default: snprintf(digits, sizeof digits, "%llu", u); break;
	}
	const char *prefix = "";
	if (sp->sharp && (sp->verb == 'x'))
		prefix = "0x";
	else if (sp->sharp && sp->verb == 'X')
		prefix = "0X";
	else if (sp->sharp && sp->verb == 'o' && digits[0] != '0')
		prefix = "0";
	else if (sp->verb == 'O')
		prefix = "0o";
	else if (sp->sharp && sp->verb == 'b')
		prefix = "0b";
	char prec_digits[200];
	if (sp->prec >= 0) {
		int dl = (int)strlen(digits);
		if (sp->prec == 0 && iv == 0)
			digits[0] = 0, dl = 0;
		int z = sp->prec > dl ? sp->prec - dl : 0;
		if (z > 100)
			z = 100;
		memset(prec_digits, '0', (size_t)z);
		snprintf(prec_digits + z, sizeof prec_digits - (size_t)z, "%s", digits);
	} else {
		snprintf(prec_digits, sizeof prec_digits, "%s", digits);
	}
	snprintf(tmp, sizeof tmp, "%s%s%s", sign, prefix, prec_digits);
	spec s2 = *sp;
	if (sp->prec >= 0)
		s2.zero = false;
	pad(out, tmp, strlen(tmp), &s2, true);
}

static void fmt_float(buf *out, double f, const spec *sp)
{
	buf t;
	buf_init(&t, 1 << 16);
	char verb = sp->verb;
	if (isinf(f) || isnan(f)) {
		if (isnan(f))
			buf_adds(&t, sp->plus ? "+NaN" : sp->space ? " NaN" : "NaN");
		else if (f > 0)
			buf_adds(&t, sp->plus ? "+Inf" : sp->space ? " Inf" : "+Inf");
		else
			buf_adds(&t, "-Inf");
		spec s2 = *sp;
		s2.zero = false;
		pad(out, buf_str(&t), t.len, &s2, true);
		buf_release(&t);
		return;
	}
	if (sp->plus && !signbit(f))
		buf_addc(&t, '+');
	else if (sp->space && !signbit(f))
		buf_addc(&t, ' ');
	if ((verb == 'v' || verb == 'g' || verb == 'G') && sp->prec < 0) {
		tv_format_float(&t, f, 'g');
		if (verb == 'G')
			for (size_t i = 0; i < t.len; i++)
				if (t.data[i] == 'e')
					t.data[i] = 'E';
	} else {
		char cfmt[16];
		int prec = sp->prec >= 0 ? sp->prec : 6;
		if (prec > 100)
			prec = 100;
		char v = verb == 'F' ? 'f' : verb;
		snprintf(cfmt, sizeof cfmt, "%%%s.*%c", sp->sharp ? "#" : "", v);
		char tmp[512];
		snprintf(tmp, sizeof tmp, cfmt, prec, f);
		buf_adds(&t, tmp);
	}
	pad(out, buf_str(&t), t.len, sp, true);
	buf_release(&t);
}

static void fmt_string(buf *out, const char *s, size_t n, const spec *sp)
{
	if (sp->prec >= 0) {
		/* precision truncates runes */
		size_t i = 0;
		int r = 0;
		while (i < n && r < sp->prec) {
			i++;
			while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
				i++;
			r++;
		}
		n = i;
	}
	pad(out, s, n, sp, false);
}

static void fmt_one(buf *out, tmpl_val v, const spec *sp, int depth);

static void fmt_compound(buf *out, tmpl_val v, const spec *sp, int depth)
{
	if (v.kind == TV_LIST) {
		buf_addc(out, '[');
		for (size_t i = 0; i < v.u.l->n; i++) {
			if (i)
				buf_addc(out, ' ');
			fmt_one(out, v.u.l->items[i], sp, depth + 1);
		}
		buf_addc(out, ']');
		return;
	}
	bool st = v.sub == TV_SUB_STRUCT;
	buf_adds(out, st ? "{" : "map[");
	for (size_t i = 0; i < v.u.m->n; i++) {
		if (i)
			buf_addc(out, ' ');
		if (!st) {
			tmpl_val k = tmpl_str(v.u.m->keys[i]);
			fmt_one(out, k, sp, depth + 1);
			tmpl_val_free(k);
			buf_addc(out, ':');
		} else if (sp->plus_v && sp->verb == 'v') {
			buf_addf(out, "%s:", v.u.m->keys[i]);
		}
		fmt_one(out, v.u.m->vals[i], sp, depth + 1);
	}
	buf_addc(out, st ? '}' : ']');
}

static void fmt_one(buf *out, tmpl_val v, const spec *sp, int depth)
{
	char verb = sp->verb;
	if (depth > 1000)
		return;
	if (verb == 'T') {
		pad(out, tv_type_name(v), strlen(tv_type_name(v)), sp, false);
		return;
	}
	switch (v.kind) {
	case TV_NIL:
		if (verb == 'v')
			pad(out, "<nil>", 5, sp, false);
		else
			bad_verb(out, verb, v);
		return;
	case TV_BOOL:
		if (verb == 'v' || verb == 't')
			pad(out, v.u.b ? "true" : "false", v.u.b ? 4 : 5, sp, false);
		else
			bad_verb(out, verb, v);
		return;
	case TV_INT:
		switch (verb) {
		case 'v': case 'd': case 'x': case 'X': case 'o': case 'O': case 'b': {
			spec s2 = *sp;
			if (verb == 'v')
				s2.verb = 'd';
			fmt_int(out, v.u.i, &s2);
			return;
		}
		case 'c': case 'q': case 'U': {
			char tmp[64];
			int64_t r = v.u.i;
			if (verb == 'U') {
				snprintf(tmp, sizeof tmp, "U+%04llX", (long long)r);
			} else {
				char u8[5] = {0};
				if (r < 0x80) {
					u8[0] = (char)r;
				} else if (r < 0x800) {
					u8[0] = (char)(0xC0 | (r >> 6));
					u8[1] = (char)(0x80 | (r & 0x3F));
				} else if (r < 0x10000) {
					u8[0] = (char)(0xE0 | (r >> 12));
					u8[1] = (char)(0x80 | ((r >> 6) & 0x3F));
					u8[2] = (char)(0x80 | (r & 0x3F));
				} else {
					u8[0] = (char)(0xF0 | ((r >> 18) & 7));
					u8[1] = (char)(0x80 | ((r >> 12) & 0x3F));
					u8[2] = (char)(0x80 | ((r >> 6) & 0x3F));
					u8[3] = (char)(0x80 | (r & 0x3F));
				}
				if (verb == 'c')
					snprintf(tmp, sizeof tmp, "%s", u8);
				else
					snprintf(tmp, sizeof tmp, "'%s'", u8);
			}
			pad(out, tmp, strlen(tmp), sp, false);
			return;
		}
		case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
		default:
			bad_verb(out, verb, v);
			return;
		}
	case TV_FLOAT:
		switch (verb) {
		case 'v': case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
			fmt_float(out, v.u.f, sp);
			return;
		default:
			bad_verb(out, verb, v);
			return;
		}
	case TV_STRING:
		if (v.sub == TV_SUB_BYTES && verb != 's' && verb != 'q' && verb != 'x' &&
		    verb != 'X') {
			buf_addc(out, '[');
			for (size_t i = 0; i < v.u.s->len; i++) {
				if (i)
					buf_addc(out, ' ');
				spec s2 = *sp;
				if (s2.verb == 'v')
					s2.verb = 'd';
				fmt_int(out, (unsigned char)v.u.s->data[i], &s2);
			}
			buf_addc(out, ']');
			return;
		}
		switch (verb) {
		case 'v': case 's':
			fmt_string(out, v.u.s->data, v.u.s->len, sp);
			return;
		case 'q': {
			buf t;
			buf_init(&t, (size_t)-1);
			size_t n = v.u.s->len;
			if (sp->prec >= 0 && (size_t)sp->prec < n)
				n = (size_t)sp->prec;
			if (sp->sharp && !memchr(v.u.s->data, '`', n)) {
				buf_addc(&t, '`');
				buf_add(&t, v.u.s->data, n);
				buf_addc(&t, '`');
			} else {
				tv_quote(&t, v.u.s->data, n);
			}
			pad(out, buf_str(&t), t.len, sp, false);
			buf_release(&t);
			return;
		}
		case 'x': case 'X': {
			buf t;
			buf_init(&t, (size_t)-1);
			for (size_t i = 0; i < v.u.s->len; i++) {
				if (i && sp->space)
					buf_addc(&t, ' ');
				if (sp->sharp && (i == 0 || sp->space))
					buf_adds(&t, verb == 'x' ? "0x" : "0X");
				buf_addf(&t, verb == 'x' ? "%02x" : "%02X",
					 (unsigned char)v.u.s->data[i]);
			}
			pad(out, buf_str(&t), t.len, sp, false);
			buf_release(&t);
			return;
		}
		default:
			bad_verb(out, verb, v);
			return;
		}
	case TV_LIST:
	case TV_MAP:
		if (v.kind == TV_MAP && v.u.m->stringer && (verb == 'v' || verb == 's')) {
			pad(out, v.u.m->stringer, strlen(v.u.m->stringer), sp, false);
			return;
		}
		fmt_compound(out, v, sp, depth);
		return;
	case TV_METHOD:
		buf_adds(out, "<func>");
		return;
	}
}

void tv_sprintf(buf *out, const char *f, size_t flen, int argc, const tmpl_val *argv)
{
	int ai = 0;
	for (size_t i = 0; i < flen;) {
		if (f[i] != '%') {
			size_t j = i;
			while (j < flen && f[j] != '%')
				j++;
			buf_add(out, f + i, j - i);
			i = j;
			continue;
		}
		i++;
		spec sp = {.width = -1, .prec = -1};
		for (; i < flen; i++) {
			char c = f[i];
			if (c == '-') { sp.minus = true; sp.zero = false; }
			else if (c == '+') sp.plus = true;
			else if (c == '#') sp.sharp = true;
			else if (c == ' ') sp.space = true;
			else if (c == '0') sp.zero = !sp.minus;
			else break;
		}
		if (i < flen && f[i] == '*') {
			i++;
			if (ai < argc && argv[ai].kind == TV_INT) {
				sp.width = (int)argv[ai].u.i;
				if (sp.width < 0) {
					sp.minus = true;
					sp.width = -sp.width;
				}
				if (sp.width > 1000000)
					sp.width = 1000000;
			} else {
				buf_adds(out, "%!(BADWIDTH)");
			}
			ai++;
		} else {
			while (i < flen && f[i] >= '0' && f[i] <= '9') {
				sp.width = (sp.width < 0 ? 0 : sp.width) * 10 + (f[i] - '0');
				if (sp.width > 1000000)
					sp.width = 1000000;
				i++;
			}
		}
		if (i < flen && f[i] == '.') {
			i++;
			sp.prec = 0;
			if (i < flen && f[i] == '*') {
				i++;
				if (ai < argc && argv[ai].kind == TV_INT) {
					sp.prec = (int)argv[ai].u.i;
					if (sp.prec < 0)
						sp.prec = -1;
				} else {
					buf_adds(out, "%!(BADPREC)");
				}
				ai++;
			} else {
				while (i < flen && f[i] >= '0' && f[i] <= '9') {
					sp.prec = sp.prec * 10 + (f[i] - '0');
					if (sp.prec > 1000000)
						sp.prec = 1000000;
					i++;
				}
			}
		}
		if (i >= flen) {
			buf_adds(out, "%!(NOVERB)");
			break;
		}
		/* one UTF-8 verb */
		char verb = f[i++];
		if ((unsigned char)verb >= 0x80) {
			while (i < flen && ((unsigned char)f[i] & 0xC0) == 0x80)
				i++;
			verb = '?';
		}
		if (verb == '%') {
			buf_addc(out, '%');
			continue;
		}
		if (ai >= argc) {
			buf_addf(out, "%%!%c(MISSING)", verb);
			continue;
		}
		sp.verb = verb;
		bool plus_v = false;
		if (verb == 'v' && sp.plus) {
			sp.plus = false;
			plus_v = true;
		}
		tmpl_val a = argv[ai++];
		bool known = strchr("vTtbcdoOqxXUeEfFgGs", verb) != NULL;
		if (!known) {
			bad_verb(out, verb, a);
			continue;
		}
		if (verb == 'v' && sp.sharp) {
			/* %#v: Go syntax (approximation for common cases) */
			if (a.kind == TV_STRING) {
				tv_quote(out, a.u.s->data, a.u.s->len);
				continue;
			}
			if (a.kind == TV_NIL) {
				buf_adds(out, "<nil>");
				continue;
			}
		}
		sp.plus_v = plus_v;
		fmt_one(out, a, &sp, 0);
	}
	if (ai < argc) {
		buf_adds(out, "%!(EXTRA ");
		for (int k = ai; k < argc; k++) {
			if (k > ai)
				buf_adds(out, ", ");
			if (argv[k].kind == TV_NIL) {
				buf_adds(out, "<nil>");
				continue;
			}
			buf_addf(out, "%s=", tv_type_name(argv[k]));
			tv_print_v(out, argv[k], false);
		}
		buf_addc(out, ')');
	}
}

/* Sprint adds spaces between operands when neither side is a string; Sprintln always. */
void tv_sprint(buf *out, int argc, const tmpl_val *argv, bool ln)
{
	for (int i = 0; i < argc; i++) {
		bool isstr = argv[i].kind == TV_STRING && argv[i].sub == TV_SUB_STR;
		if (i > 0) {
			bool prevstr = argv[i - 1].kind == TV_STRING && argv[i - 1].sub == TV_SUB_STR;
			if (ln || (!isstr && !prevstr))
				buf_addc(out, ' ');
		}
		tv_print_v(out, argv[i], false);
	}
	if (ln)
		buf_addc(out, '\n');
}
