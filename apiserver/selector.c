/* selector: label and field selector parsing and matching (see selector.h). */
#include "selector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/mem.h"
#include "names.h"

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

static lsel_req *add_req(lsel *s)
{
	s->reqs = xrealloc(s->reqs, (s->n + 1) * sizeof(*s->reqs));
	lsel_req *r = &s->reqs[s->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

static void add_val(lsel_req *r, const char *v, size_t n)
{
	r->vals = xrealloc(r->vals, (r->nvals + 1) * sizeof(char *));
	r->vals[r->nvals++] = xstrndup(v, n);
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

static int parse_value_set(lexer *lx, lsel_req *t, const char *text, err *e)
{
	skip_ws(lx);
	if (*lx->p != '(')
		return bad(e, "found '', expected: '('", text);
	lx->p++;
	for (;;) {
		const char *v;
		size_t n = ident(lx, &v);
		if (!names_label_value(v, n))
			return bad(e, "invalid label value", text);
		if (t->nvals >= SEL_MAX_VALUES)
			return bad(e, "too many values", text);
		if (n > 0 || *lx->p == ',' || *lx->p == ')')
			add_val(t, v, n);
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

int sel_parse_labels(lsel *s, const char *text, err *e)
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
			lsel_release(s);
			return bad(e, "too many requirements", text);
		}
		lsel_req *t = add_req(s);
		skip_ws(&lx);
		bool neg = false;
		if (*lx.p == '!') {
			neg = true;
			lx.p++;
		}
		const char *k;
		size_t kn = ident(&lx, &k);
		if (kn == 0) {
			lsel_release(s);
			return bad(e, "found '', expected: identifier", text);
		}
		t->key = xstrndup(k, kn);
		if (!names_label_key(t->key, kn)) {
			err_fail(e, "BadRequest", "unable to parse requirement: values[0][%s]: "
				 "Invalid value: \"%s\": name part must consist of alphanumeric "
				 "characters, '-', '_' or '.', and must start and end with an "
				 "alphanumeric character", t->key, t->key);
			lsel_release(s);
			return -1;
		}
		skip_ws(&lx);
		if (neg) {
			t->op = LSEL_NOTEXISTS;
		} else if (*lx.p == ',' || *lx.p == '\0') {
			t->op = LSEL_EXISTS;
		} else if (lx.p[0] == '=' || (lx.p[0] == '!' && lx.p[1] == '=')) {
			if (lx.p[0] == '!') {
				t->op = LSEL_NE;
				lx.p += 2;
			} else {
				t->op = LSEL_EQ;
				lx.p += lx.p[1] == '=' ? 2 : 1;
			}
			const char *v;
			size_t vn = ident(&lx, &v);
			if (!names_label_value(v, vn)) {
				lsel_release(s);
				return bad(e, "invalid label value", text);
			}
			add_val(t, v, vn);
		} else if (*lx.p == '>' || *lx.p == '<') {
			t->op = *lx.p == '>' ? LSEL_GT : LSEL_LT;
			lx.p++;
			const char *v;
			size_t vn = ident(&lx, &v);
			char *tmp = xstrndup(v, vn), *end;
			errno = 0;
			t->num = strtoll(tmp, &end, 10);
			bool ok = vn > 0 && *end == '\0' && errno == 0;
			free(tmp);
			if (!ok) {
				lsel_release(s);
				return bad(e,
					   "for 'Gt', 'Lt' operators, the value must be an integer",
					   text);
			}
			add_val(t, v, vn);
		} else {
			const char *w;
			size_t wn = ident(&lx, &w);
			if (wn == 2 && !strncmp(w, "in", 2))
				t->op = LSEL_IN;
			else if (wn == 5 && !strncmp(w, "notin", 5))
				t->op = LSEL_NOTIN;
			else {
				lsel_release(s);
				return bad(
				    e,
				    "found unexpected token, expected: in, notin, =, ==, !=, "
				    "gt, lt",
				    text);
			}
			if (parse_value_set(&lx, t, text, e) < 0) {
				lsel_release(s);
				return -1;
			}
		}
		skip_ws(&lx);
		if (*lx.p == '\0')
			return 0;
		if (*lx.p != ',') {
			lsel_release(s);
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
