/* Kubernetes label selectors, as apimachinery's labels.Parse lexes, parses and matches them. */
#include "eddy/labelsel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"

typedef enum tok {
	T_EOS,
	T_IDENT,
	T_COMMA,
	T_OPEN,
	T_CLOSE,
	T_NOT,  /* ! */
	T_EQ,   /* = */
	T_EQEQ, /* == */
	T_NE,   /* != */
	T_GT,
	T_LT,
	T_IN,
	T_NOTIN,
} tok;

typedef struct lexer {
	const char *p;
	const char *t; /* the current token's text */
	size_t tn;
} lexer;

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool special(char c)
{
	return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

/* The next token; advances past it. */
static tok next(lexer *lx)
{
	while (blank(*lx->p))
		lx->p++;
	const char *s = lx->p;
	lx->t = s;
	if (!*s) {
		lx->tn = 0;
		return T_EOS;
	}
	if (special(*s)) {
		/* apimachinery takes the longest run of symbols that is still a token */
		size_t n = (s[1] == '=' && (s[0] == '=' || s[0] == '!')) ? 2 : 1;
		lx->p += n;
		lx->tn = n;
		switch (s[0]) {
		case ',': return T_COMMA;
		case '(': return T_OPEN;
		case ')': return T_CLOSE;
		case '>': return T_GT;
		case '<': return T_LT;
		case '=': return n == 2 ? T_EQEQ : T_EQ;
		default: return n == 2 ? T_NE : T_NOT;
		}
	}
	while (*lx->p && !blank(*lx->p) && !special(*lx->p))
		lx->p++;
	lx->tn = (size_t)(lx->p - s);
	if (lx->tn == 2 && !strncmp(s, "in", 2))
		return T_IN;
	if (lx->tn == 5 && !strncmp(s, "notin", 5))
		return T_NOTIN;
	return T_IDENT;
}

static tok peek(const lexer *lx)
{
	lexer c = *lx;
	return next(&c);
}

static int fail(char *msg, size_t msgn, const char *fmt, const lexer *lx)
{
	if (msg && msgn)
		snprintf(msg, msgn, fmt, (int)lx->tn, lx->t);
	return -1;
}

static void add_val(lsel_req *r, const char *v, size_t n)
{
	for (size_t i = 0; i < r->nvals; i++)
		if (strlen(r->vals[i]) == n && !memcmp(r->vals[i], v, n))
			return; /* a set: duplicates collapse */
	r->vals = xrealloc(r->vals, (r->nvals + 1) * sizeof *r->vals);
	r->vals[r->nvals++] = xstrndup(v, n);
}

/* `( v, v, ... )` after in / notin. */
static int parse_set(lexer *lx, lsel_req *r, char *msg, size_t msgn)
{
	if (next(lx) != T_OPEN)
		return fail(msg, msgn, "found '%.*s', expected: '('", lx);
	tok t = peek(lx);
	if (t == T_CLOSE) {
		next(lx);
		add_val(r, "", 0);
		return 0;
	}
	for (;;) {
		t = next(lx);
		if (t == T_IDENT || t == T_IN || t == T_NOTIN) {
			add_val(r, lx->t, lx->tn);
			t = next(lx);
		} else if (t == T_COMMA || t == T_CLOSE) {
			add_val(r, "", 0); /* an empty value before the comma */
		} else {
			return fail(msg, msgn, "found '%.*s', expected: ',', ')' or identifier", lx);
		}
		if (t == T_CLOSE)
			return 0;
		if (t != T_COMMA)
			return fail(msg, msgn, "found '%.*s', expected: ',' or ')'", lx);
		if (peek(lx) == T_CLOSE) {
			next(lx);
			add_val(r, "", 0);
			return 0;
		}
	}
}

static void req_release(lsel_req *r)
{
	free(r->key);
	for (size_t i = 0; i < r->nvals; i++)
		free(r->vals[i]);
	free(r->vals);
}

void lsel_release(lsel *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		req_release(&s->reqs[i]);
	free(s->reqs);
	s->reqs = NULL;
	s->n = 0;
}

static int parse_req(lexer *lx, lsel_req *r, char *msg, size_t msgn)
{
	tok t = next(lx);
	bool neg = t == T_NOT;
	if (neg)
		t = next(lx);
	if (t != T_IDENT)
		return fail(msg, msgn, "found '%.*s', expected: identifier", lx);
	r->key = xstrndup(lx->t, lx->tn);
	if (neg) {
		r->op = LSEL_NOTEXISTS;
		return 0;
	}
	t = peek(lx);
	if (t == T_EOS || t == T_COMMA) {
		r->op = LSEL_EXISTS;
		return 0;
	}
	t = next(lx);
	switch (t) {
	case T_IN:
	case T_NOTIN:
		r->op = t == T_IN ? LSEL_IN : LSEL_NOTIN;
		return parse_set(lx, r, msg, msgn);
	case T_EQ:
	case T_EQEQ:
	case T_NE:
	case T_GT:
	case T_LT:
		break;
	default:
		return fail(msg, msgn,
			"found '%.*s', expected: in, notin, =, ==, !=, gt, lt", lx);
	}
	r->op = t == T_NE ? LSEL_NE : t == T_GT ? LSEL_GT : t == T_LT ? LSEL_LT : LSEL_EQ;
	tok v = peek(lx);
	if (v == T_EOS || v == T_COMMA) {
		add_val(r, "", 0);
	} else if (v == T_IDENT || v == T_IN || v == T_NOTIN) {
		next(lx);
		add_val(r, lx->t, lx->tn);
	} else {
		next(lx);
		return fail(msg, msgn, "found '%.*s', expected: identifier", lx);
	}
	if (r->op == LSEL_GT || r->op == LSEL_LT) {
		char *end;
		errno = 0;
		r->num = strtoll(r->vals[0], &end, 10);
		if (!*r->vals[0] || *end || errno) {
			if (msg && msgn)
				snprintf(msg, msgn, "for 'Gt', 'Lt' operators, the value must be an "
					 "integer");
			return -1;
		}
	}
	return 0;
}

int lsel_parse(lsel *s, const char *text, char *msg, size_t msgn)
{
	memset(s, 0, sizeof *s);
	if (msg && msgn)
		msg[0] = 0;
	if (!text)
		return 0;
	if (strlen(text) > LSEL_MAX_LEN) {
		if (msg && msgn)
			snprintf(msg, msgn, "selector longer than %d bytes", LSEL_MAX_LEN);
		return -1;
	}
	lexer lx = {.p = text};
	if (peek(&lx) == T_EOS)
		return 0;
	for (;;) {
		s->reqs = xrealloc(s->reqs, (s->n + 1) * sizeof *s->reqs);
		lsel_req *r = &s->reqs[s->n++];
		memset(r, 0, sizeof *r);
		if (parse_req(&lx, r, msg, msgn) < 0) {
			lsel_release(s);
			return -1;
		}
		tok t = next(&lx);
		if (t == T_EOS)
			return 0;
		if (t != T_COMMA) {
			lsel_release(s);
			return fail(msg, msgn, "found '%.*s', expected: ',' or 'end of string'", &lx);
		}
	}
}

static const char *lookup(const cJSON *m, const char *k)
{
	const cJSON *v = cJSON_IsObject(m) ? cJSON_GetObjectItemCaseSensitive(m, k) : NULL;
	if (!v)
		return NULL;
	return cJSON_IsString(v) ? v->valuestring : "";
}

static bool in_vals(const lsel_req *r, const char *v)
{
	for (size_t i = 0; i < r->nvals; i++)
		if (!strcmp(r->vals[i], v))
			return true;
	return false;
}

static bool req_matches(const lsel_req *r, const cJSON *m)
{
	const char *v = lookup(m, r->key);
	switch (r->op) {
	case LSEL_EQ:
	case LSEL_IN:
		return v && in_vals(r, v);
	case LSEL_NE:
	case LSEL_NOTIN:
		return !v || !in_vals(r, v);
	case LSEL_EXISTS:
		return v != NULL;
	case LSEL_NOTEXISTS:
		return v == NULL;
	case LSEL_GT:
	case LSEL_LT: {
		if (!v || !*v)
			return false;
		char *end;
		errno = 0;
		long long n = strtoll(v, &end, 10);
		if (*end || errno)
			return false;
		return r->op == LSEL_GT ? n > r->num : n < r->num;
	}
	}
	return false;
}

bool lsel_matches(const lsel *s, const cJSON *m)
{
	for (size_t i = 0; i < s->n; i++)
		if (!req_matches(&s->reqs[i], m))
			return false;
	return true;
}

int lsel_match_text(const char *text, const cJSON *m, char *msg, size_t msgn)
{
	lsel s;
	if (lsel_parse(&s, text, msg, msgn) < 0)
		return -1;
	bool ok = lsel_matches(&s, m);
	lsel_release(&s);
	return ok;
}
