/* selector: label and field selector parsing and matching (see selector.h). */
#include "selector.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/mem.h"

void sel_release(sel *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->terms[i].key);
		for (size_t j = 0; j < s->terms[i].nvalues; j++)
			free(s->terms[i].values[j]);
		free(s->terms[i].values);
	}
	free(s->terms);
	s->terms = NULL;
	s->n = 0;
}

static sel_term *add_term(sel *s)
{
	s->terms = xrealloc(s->terms, (s->n + 1) * sizeof(*s->terms));
	sel_term *t = &s->terms[s->n++];
	memset(t, 0, sizeof(*t));
	return t;
}

static void add_value(sel_term *t, const char *v, size_t n)
{
	t->values = xrealloc(t->values, (t->nvalues + 1) * sizeof(char *));
	t->values[t->nvalues++] = xstrndup(v, n);
}

/* Label keys: [prefix/]name; name 1-63 chars of [A-Za-z0-9-_.] starting and ending alnum;
 * prefix a DNS subdomain of at most 253 chars. */
static bool valid_name_part(const char *p, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return false;
	if (!isalnum((unsigned char)p[0]) || !isalnum((unsigned char)p[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

static bool valid_dns_subdomain(const char *p, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!(islower(c) || isdigit(c) || c == '-' || c == '.'))
			return false;
	}
	return isalnum((unsigned char)p[0]) && isalnum((unsigned char)p[n - 1]);
}

static bool valid_label_key(const char *k)
{
	const char *slash = strchr(k, '/');
	if (slash) {
		if (!valid_dns_subdomain(k, (size_t)(slash - k)))
			return false;
		k = slash + 1;
	}
	return valid_name_part(k, strlen(k), 63);
}

static bool valid_label_value(const char *v, size_t n)
{
	return n == 0 || valid_name_part(v, n, 63);
}

typedef struct lexer {
	const char *p;
} lexer;

static void skip_ws(lexer *lx)
{
	while (*lx->p == ' ' || *lx->p == '\t')
		lx->p++;
}

static bool is_ident_char(char c)
{
	return c && !strchr(" \t,!=()<>", c);
}

/* Read an identifier (key or value) at lx->p; returns its length (0 when none). */
static size_t ident(lexer *lx, const char **start)
{
	skip_ws(lx);
	*start = lx->p;
	while (is_ident_char(*lx->p))
		lx->p++;
	return (size_t)(lx->p - *start);
}

static int bad(err *e, const char *what, const char *text)
{
	return err_fail(e, "BadRequest", "unable to parse requirement: %s in %s", what, text);
}

static int parse_value_set(lexer *lx, sel_term *t, const char *text, err *e)
{
	skip_ws(lx);
	if (*lx->p != '(')
		return bad(e, "found '', expected: '('", text);
	lx->p++;
	for (;;) {
		const char *v;
		size_t n = ident(lx, &v);
		if (!valid_label_value(v, n))
			return bad(e, "invalid label value", text);
		if (t->nvalues >= SEL_MAX_VALUES)
			return bad(e, "too many values", text);
		if (n > 0 || *lx->p == ',' || *lx->p == ')')
			add_value(t, v, n);
		skip_ws(lx);
		if (*lx->p == ',') {
			lx->p++;
			continue;
		}
		if (*lx->p == ')') {
			lx->p++;
			return 0;
		}
		return bad(e, "found unexpected token, expected: ',' or ')'", text);
	}
}

int sel_parse_labels(sel *s, const char *text, err *e)
{
	memset(s, 0, sizeof(*s));
	if (!text)
		return 0;
	if (strlen(text) > SEL_MAX_LEN)
		return err_fail(e, "BadRequest", "label selector too long");
	lexer lx = {.p = text};
	skip_ws(&lx);
	if (!*lx.p)
		return 0;
	for (;;) {
		if (s->n >= SEL_MAX_TERMS) {
			sel_release(s);
			return bad(e, "too many requirements", text);
		}
		sel_term *t = add_term(s);
		skip_ws(&lx);
		bool neg = false;
		if (*lx.p == '!') {
			neg = true;
			lx.p++;
		}
		const char *k;
		size_t kn = ident(&lx, &k);
		if (kn == 0) {
			sel_release(s);
			return bad(e, "found '', expected: identifier", text);
		}
		t->key = xstrndup(k, kn);
		if (!valid_label_key(t->key)) {
			err_fail(e, "BadRequest", "unable to parse requirement: values[0][%s]: "
				 "Invalid value: \"%s\": name part must consist of alphanumeric "
				 "characters, '-', '_' or '.', and must start and end with an "
				 "alphanumeric character", t->key, t->key);
			sel_release(s);
			return -1;
		}
		skip_ws(&lx);
		if (neg) {
			t->op = SEL_NOTEXISTS;
		} else if (*lx.p == ',' || *lx.p == '\0') {
			t->op = SEL_EXISTS;
		} else if (lx.p[0] == '=' || (lx.p[0] == '!' && lx.p[1] == '=')) {
			if (lx.p[0] == '!') {
				t->op = SEL_NE;
				lx.p += 2;
			} else {
				t->op = SEL_EQ;
				lx.p += lx.p[1] == '=' ? 2 : 1;
			}
			const char *v;
			size_t vn = ident(&lx, &v);
			if (!valid_label_value(v, vn)) {
				sel_release(s);
				return bad(e, "invalid label value", text);
			}
			add_value(t, v, vn);
		} else if (*lx.p == '>' || *lx.p == '<') {
			t->op = *lx.p == '>' ? SEL_GT : SEL_LT;
			lx.p++;
			const char *v;
			size_t vn = ident(&lx, &v);
			char *tmp = xstrndup(v, vn), *end;
			errno = 0;
			(void)strtoll(tmp, &end, 10);
			bool ok = vn > 0 && *end == '\0' && errno == 0;
			free(tmp);
			if (!ok) {
				sel_release(s);
				return bad(e,
					   "for 'Gt', 'Lt' operators, the value must be an integer",
					   text);
			}
			add_value(t, v, vn);
		} else {
			const char *w;
			size_t wn = ident(&lx, &w);
			if (wn == 2 && !strncmp(w, "in", 2))
				t->op = SEL_IN;
			else if (wn == 5 && !strncmp(w, "notin", 5))
				t->op = SEL_NOTIN;
			else {
				sel_release(s);
				return bad(
				    e,
				    "found unexpected token, expected: in, notin, =, ==, !=, "
				    "gt, lt",
				    text);
			}
			if (parse_value_set(&lx, t, text, e) < 0) {
				sel_release(s);
				return -1;
			}
		}
		skip_ws(&lx);
		if (*lx.p == '\0')
			return 0;
		if (*lx.p != ',') {
			sel_release(s);
			return bad(e, "found unexpected token, expected: ','", text);
		}
		lx.p++;
	}
}

int sel_parse_fields(sel *s, const char *text, err *e)
{
	memset(s, 0, sizeof(*s));
	if (!text || !*text)
		return 0;
	if (strlen(text) > SEL_MAX_LEN)
		return err_fail(e, "BadRequest", "field selector too long");
	const char *p = text;
	for (;;) {
		if (s->n >= SEL_MAX_TERMS) {
			sel_release(s);
			return err_fail(e, "BadRequest", "too many field selector terms");
		}
		buf key, val;
		buf_init(&key, SEL_MAX_LEN + 1);
		buf_init(&val, SEL_MAX_LEN + 1);
		buf *cur = &key;
		sel_op op = SEL_EQ;
		bool have_op = false;
		while (*p && *p != ',') {
			if (*p == '\\' && p[1]) {
				buf_addc(cur, p[1]);
				p += 2;
				continue;
			}
			if (!have_op && (p[0] == '=' || (p[0] == '!' && p[1] == '='))) {
				have_op = true;
				if (p[0] == '!') {
					op = SEL_NE;
					p += 2;
				} else {
					op = SEL_EQ;
					p += p[1] == '=' ? 2 : 1;
				}
				cur = &val;
				continue;
			}
			buf_addc(cur, *p++);
		}
		if (!have_op) {
			err_fail(e, "BadRequest", "invalid selector: '%s'; can't understand '%s'",
				 text, buf_str(&key));
			buf_release(&key);
			buf_release(&val);
			sel_release(s);
			return -1;
		}
		sel_term *t = add_term(s);
		t->key = xstrdup(buf_str(&key));
		t->op = op;
		add_value(t, buf_str(&val), val.len);
		/* Trim surrounding blanks from the key as apimachinery does. */
		size_t kl = strlen(t->key);
		while (kl && t->key[kl - 1] == ' ')
			t->key[--kl] = '\0';
		char *ks = t->key;
		while (*ks == ' ')
			ks++;
		if (ks != t->key)
			memmove(t->key, ks, strlen(ks) + 1);
		buf_release(&key);
		buf_release(&val);
		if (!*p)
			return 0;
		p++;
	}
}

static const char *label_of(const cJSON *labels, const char *key)
{
	if (!cJSON_IsObject(labels))
		return NULL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool in_values(const sel_term *t, const char *v)
{
	for (size_t i = 0; i < t->nvalues; i++)
		if (!strcmp(t->values[i], v))
			return true;
	return false;
}

static bool term_match(const sel_term *t, const char *v)
{
	switch (t->op) {
	case SEL_EQ:
	case SEL_IN:
		return v && in_values(t, v);
	case SEL_NE:
	case SEL_NOTIN:
		return !v || !in_values(t, v);
	case SEL_EXISTS:
		return v != NULL;
	case SEL_NOTEXISTS:
		return v == NULL;
	case SEL_GT:
	case SEL_LT: {
		if (!v || t->nvalues != 1)
			return false;
		char *end;
		errno = 0;
		long long have = strtoll(v, &end, 10);
		if (*end || end == v || errno)
			return false;
		long long want = strtoll(t->values[0], NULL, 10);
		return t->op == SEL_GT ? have > want : have < want;
	}
	}
	return false;
}

bool sel_match_labels(const sel *s, const cJSON *labels)
{
	for (size_t i = 0; i < s->n; i++)
		if (!term_match(&s->terms[i], label_of(labels, s->terms[i].key)))
			return false;
	return true;
}

bool sel_match_fields(const sel *s, const cJSON *obj, sel_field_fn get)
{
	char tmp[64];
	for (size_t i = 0; i < s->n; i++) {
		const char *v = get(obj, s->terms[i].key, tmp, sizeof(tmp));
		const sel_term *t = &s->terms[i];
		bool eq = !strcmp(v ? v : "", t->values[0]);
		if ((t->op == SEL_EQ) != eq)
			return false;
	}
	return true;
}

const char *sel_fixed_value(const sel *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->terms[i].op == SEL_EQ && !strcmp(s->terms[i].key, key) &&
		    s->terms[i].nvalues == 1)
			return s->terms[i].values[0];
	return NULL;
}
