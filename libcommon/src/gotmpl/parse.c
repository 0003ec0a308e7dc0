/* Lexer and parser for Go text/template (after Go's text/template/parse, from its spec). */
#include "eddy/mem.h"
#include "gotmpl/internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_PARSE_DEPTH = 500, MAX_TOKENS = 4000000 };

typedef enum tok {
	T_EOF, T_TEXT, T_LDELIM, T_RDELIM, T_FIELD, T_VAR, T_IDENT, T_DOT, T_STRING, T_RAWSTRING,
	T_CHAR, T_NUMBER, T_BOOL, T_NIL, T_LPAREN, T_RPAREN, T_PIPE, T_ASSIGN, T_DECLARE, T_COMMA,
	T_IF, T_ELSE, T_END, T_RANGE, T_WITH, T_DEFINE, T_TEMPLATE, T_BLOCK, T_BREAK, T_CONTINUE,
} tok;

typedef struct token {
	tok t;
	bool space_before;
	size_t pos, len; /* slice of the source (for T_TEXT: after trimming) */
} token;

typedef struct parser {
	unit *u;
	tmpl_set *set;
	token *toks;
	size_t ntoks, cap, i;
	err *e;
	int depth;
	int range_depth;
	bool failed;
	node *cur_define_list;
	char **vars; /* variables in scope (Go checks uses at parse time) */
	size_t nvars, capvars;
} parser;

static void var_push(parser *p, const char *name, size_t len)
{
	if (p->nvars == p->capvars) {
		p->capvars = p->capvars ? p->capvars * 2 : 16;
		p->vars = xrealloc(p->vars, p->capvars * sizeof *p->vars);
	}
	p->vars[p->nvars++] = xstrndup(name, len);
}

static void var_pop(parser *p, size_t to)
{
	while (p->nvars > to)
		free(p->vars[--p->nvars]);
}

static bool var_known(parser *p, const char *name, size_t len)
{
	for (size_t i = p->nvars; i > 0; i--)
		if (strlen(p->vars[i - 1]) == len && !memcmp(p->vars[i - 1], name, len))
			return true;
	return false;
}

static void *ar_alloc(unit *u, size_t n)
{
	void *p = xcalloc(1, n ? n : 1);
	if ((u->nblocks & (u->nblocks + 1)) == 0 || u->nblocks == 0)
		u->blocks = xrealloc(u->blocks, (u->nblocks * 2 + 2) * sizeof *u->blocks);
	u->blocks[u->nblocks++] = p;
	return p;
}

static char *ar_strndup(unit *u, const char *s, size_t n)
{
	char *p = ar_alloc(u, n + 1);
	memcpy(p, s, n);
	return p;
}

void tv_unit_free(unit *u)
{
	for (size_t i = 0; i < u->nblocks; i++)
		free(u->blocks[i]);
	free(u->blocks);
	free(u->name);
	free(u->text);
	free(u);
}

static int line_of(const unit *u, size_t pos)
{
	int line = 1;
	for (size_t i = 0; i < pos && i < u->len; i++)
		if (u->text[i] == '\n')
			line++;
	return line;
}

static int perr(parser *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(parser *p, size_t pos, const char *fmt, ...)
{
	if (p->failed)
		return -1;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_fail(p->e, "TemplateParseError", "template: %s:%d: %s", p->u->name, line_of(p->u, pos),
		 msg);
	p->failed = true;
	return -1;
}

/* ---- lexer ---- */

static int push_tok(parser *p, tok t, size_t pos, size_t len, bool sp)
{
	if (p->ntoks >= MAX_TOKENS)
		return perr(p, pos, "template too large");
	if (p->ntoks == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->toks = xrealloc(p->toks, p->cap * sizeof *p->toks);
	}
	p->toks[p->ntoks++] = (token){t, sp, pos, len};
	return 0;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static bool is_alnum_(char c) { return isalnum((unsigned char)c) || c == '_' || (c & 0x80); }

static const struct { const char *w; tok t; } keywords[] = {
	{"if", T_IF}, {"else", T_ELSE}, {"end", T_END}, {"range", T_RANGE}, {"with", T_WITH},
	{"define", T_DEFINE}, {"template", T_TEMPLATE}, {"block", T_BLOCK}, {"break", T_BREAK},
	{"continue", T_CONTINUE}, {"true", T_BOOL}, {"false", T_BOOL}, {"nil", T_NIL},
};

static int lex(parser *p)
{
	const char *s = p->u->text;
	size_t n = p->u->len, i = 0;
	bool trim_next = false;
	while (i <= n) {
		/* text up to the next {{ */
		const char *ld = i < n ? memmem(s + i, n - i, "{{", 2) : NULL;
		size_t tend = ld ? (size_t)(ld - s) : n;
		size_t tstart = i;
		if (trim_next)
			while (tstart < tend && is_space(s[tstart]))
				tstart++;
		trim_next = false;
		size_t textend = tend;
		bool trim_left = ld && tend + 3 < n && s[tend + 2] == '-' && is_space(s[tend + 3]);
		if (trim_left)
			while (textend > tstart && is_space(s[textend - 1]))
				textend--;
		if (textend > tstart && push_tok(p, T_TEXT, tstart, textend - tstart, false))
			return -1;
		if (!ld)
			break;
		i = tend + 2;
		if (trim_left)
			i += 2;
		/* comment */
		size_t j = i;
		if (j + 1 < n && s[j] == '/' && s[j + 1] == '*') {
			const char *ce = memmem(s + j + 2, n - j - 2, "*/", 2);
			if (!ce)
				return perr(p, j, "unclosed comment");
			size_t k = (size_t)(ce - s) + 2;
			if (k + 3 < n && is_space(s[k]) && s[k + 1] == '-' && s[k + 2] == '}' &&
			    s[k + 3] == '}') {
				trim_next = true;
				i = k + 4;
			} else if (k + 1 < n && s[k] == '}' && s[k + 1] == '}') {
				i = k + 2;
			} else {
				return perr(p, k, "comment ends before closing delimiter");
			}
			continue;
		}
		if (push_tok(p, T_LDELIM, tend, 2, false))
			return -1;
		/* inside an action */
		int paren = 0;
		bool sp = true;
		for (;;) {
			if (i >= n)
				return perr(p, i, "unclosed action");
			char c = s[i];
			if (is_space(c)) {
				size_t k = i;
				while (k < n && is_space(s[k]))
					k++;
				if (k + 2 < n && s[k] == '-' && s[k + 1] == '}' && s[k + 2] == '}') {
					if (paren)
						return perr(p, i, "unclosed left paren");
					if (push_tok(p, T_RDELIM, k, 3, true))
						return -1;
					trim_next = true;
					i = k + 3;
					break;
				}
				i = k;
				sp = true;
				continue;
			}
			if (c == '}' && i + 1 < n && s[i + 1] == '}') {
				if (paren)
					return perr(p, i, "unclosed left paren");
				if (push_tok(p, T_RDELIM, i, 2, sp))
					return -1;
				i += 2;
				break;
			}
			size_t st = i;
			tok t;
			if (c == '(') {
				paren++;
				t = T_LPAREN;
				i++;
			} else if (c == ')') {
				if (--paren < 0)
					return perr(p, i, "unexpected right paren");
				t = T_RPAREN;
				i++;
			} else if (c == '|') {
				t = T_PIPE;
				i++;
			} else if (c == ',') {
				t = T_COMMA;
				i++;
			} else if (c == '=') {
				t = T_ASSIGN;
				i++;
			} else if (c == ':') {
				if (i + 1 >= n || s[i + 1] != '=')
					return perr(p, i, "expected :=");
				t = T_DECLARE;
				i += 2;
			} else if (c == '"') {
				i++;
				while (i < n && s[i] != '"') {
					if (s[i] == '\\')
						i++;
					if (i < n && s[i] == '\n')
						return perr(p, i, "unterminated quoted string");
					i++;
				}
				if (i >= n)
					return perr(p, st, "unterminated quoted string");
				i++;
				t = T_STRING;
			} else if (c == '`') {
				i++;
				while (i < n && s[i] != '`')
					i++;
				if (i >= n)
					return perr(p, st, "unterminated raw quoted string");
				i++;
				t = T_RAWSTRING;
			} else if (c == '\'') {
				i++;
				while (i < n && s[i] != '\'') {
					if (s[i] == '\\')
						i++;
					i++;
				}
				if (i >= n)
					return perr(p, st, "unterminated character constant");
				i++;
				t = T_CHAR;
			} else if (c == '$') {
				i++;
				while (i < n && is_alnum_(s[i]))
					i++;
				t = T_VAR;
			} else if (c == '.') {
				if (i + 1 < n && isdigit((unsigned char)s[i + 1])) {
					goto number;
				}
				i++;
				if (i < n && is_alnum_(s[i])) {
					while (i < n && is_alnum_(s[i]))
						i++;
					t = T_FIELD;
				} else {
					t = T_DOT;
				}
			} else if (isdigit((unsigned char)c) || ((c == '-' || c == '+') && i + 1 < n &&
				   (isdigit((unsigned char)s[i + 1]) || s[i + 1] == '.'))) {
number:
				i++;
				while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '.' ||
						 s[i] == '_' ||
						 ((s[i] == '+' || s[i] == '-') &&
						  (s[i - 1] == 'e' || s[i - 1] == 'E' ||
						   s[i - 1] == 'p' || s[i - 1] == 'P'))))
					i++;
				t = T_NUMBER;
			} else if (is_alnum_(c)) {
				while (i < n && is_alnum_(s[i]))
					i++;
				t = T_IDENT;
				for (size_t k = 0; k < sizeof keywords / sizeof *keywords; k++)
					if (strlen(keywords[k].w) == i - st &&
					    !memcmp(keywords[k].w, s + st, i - st))
						t = keywords[k].t;
			} else {
				return perr(p, i, "unexpected \"%c\" in command", c);
			}
			if (push_tok(p, t, st, i - st, sp))
				return -1;
			sp = false;
		}
	}
	return push_tok(p, T_EOF, n, 0, false);
}

/* ---- parser ---- */

static token *peek(parser *p) { return &p->toks[p->i]; }
static token *next(parser *p) { token *t = &p->toks[p->i]; if (t->t != T_EOF) p->i++; return t; }

static node *mk(parser *p, nkind k, size_t pos)
{
	node *nd = ar_alloc(p->u, sizeof *nd);
	nd->kind = k;
	nd->pos = pos;
	nd->unit = p->u;
	return nd;
}

static void add_kid(parser *p, node *parent, node *kid)
{
	if ((parent->nkids & (parent->nkids - 1)) == 0) {
		node **nk = ar_alloc(p->u, (parent->nkids ? parent->nkids * 2 : 1) * sizeof *nk);
		if (parent->nkids)
			memcpy(nk, parent->kids, parent->nkids * sizeof *nk);
		parent->kids = nk;
	}
	parent->kids[parent->nkids++] = kid;
}

static void add_str(parser *p, char ***arr, size_t *n, const char *s, size_t len)
{
	if ((*n & (*n - 1)) == 0) {
		char **na = ar_alloc(p->u, (*n ? *n * 2 : 1) * sizeof *na);
		if (*n)
			memcpy(na, *arr, *n * sizeof *na);
		*arr = na;
	}
	(*arr)[(*n)++] = ar_strndup(p->u, s, len);
}

/* Go's item.String(): EOF, <keyword>, or the quoted text (cut at 10 bytes). */
static const char *tok_text(parser *p, token *t, char *tmp, size_t tn)
{
	if (t->t == T_EOF)
		return "EOF";
	const char *s = p->u->text + t->pos;
	if (t->t == T_DOT || (t->t >= T_IF && t->t <= T_CONTINUE) || t->t == T_NIL) {
		snprintf(tmp, tn, "<%.*s>", (int)(t->len > 40 ? 40 : t->len), s);
		return tmp;
	}
	buf b;
	buf_init(&b, 256);
	tv_quote(&b, s, t->len > 10 ? 10 : t->len);
	snprintf(tmp, tn, "%s%s", buf_str(&b), t->len > 10 ? "..." : "");
	buf_release(&b);
	return tmp;
}

/* Go's strconv.Unquote for "..." and '...' bodies; appends UTF-8 into out. */
static int unquote(const char *s, size_t n, buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c != '\\') {
			buf_addc(out, c);
			continue;
		}
		if (++i >= n)
			return -1;
		c = s[i];
		uint32_t r;
		int nd = 0, base = 16;
		switch (c) {
		case 'a': buf_addc(out, '\a'); continue;
		case 'b': buf_addc(out, '\b'); continue;
		case 'f': buf_addc(out, '\f'); continue;
		case 'n': buf_addc(out, '\n'); continue;
		case 'r': buf_addc(out, '\r'); continue;
		case 't': buf_addc(out, '\t'); continue;
		case 'v': buf_addc(out, '\v'); continue;
		case '\\': case '\'': case '"': buf_addc(out, c); continue;
		case 'x': nd = 2; break;
		case 'u': nd = 4; break;
		case 'U': nd = 8; break;
		default:
			if (c >= '0' && c <= '7') {
				nd = 3;
				base = 8;
				i--;
				break;
			}
			return -1;
		}
		char hex[9];
		if (i + 1 + nd > n)
			return -1;
		memcpy(hex, s + i + 1, nd);
		hex[nd] = 0;
		char *end;
		r = (uint32_t)strtoul(hex, &end, base);
		if (*end)
			return -1;
		i += nd;
		if (c == 'x' || base == 8) {
			buf_addc(out, (char)r);
			continue;
		}
		if (r < 0x80) {
			buf_addc(out, (char)r);
		} else if (r < 0x800) {
			buf_addc(out, (char)(0xC0 | (r >> 6)));
			buf_addc(out, (char)(0x80 | (r & 0x3F)));
		} else if (r < 0x10000) {
			buf_addc(out, (char)(0xE0 | (r >> 12)));
			buf_addc(out, (char)(0x80 | ((r >> 6) & 0x3F)));
			buf_addc(out, (char)(0x80 | (r & 0x3F)));
		} else {
			buf_addc(out, (char)(0xF0 | (r >> 18)));
			buf_addc(out, (char)(0x80 | ((r >> 12) & 0x3F)));
			buf_addc(out, (char)(0x80 | ((r >> 6) & 0x3F)));
			buf_addc(out, (char)(0x80 | (r & 0x3F)));
		}
	}
	return 0;
}

static int parse_number(parser *p, token *t, node *nd)
{
	char tmp[128];
	if (t->len >= sizeof tmp)
		return perr(p, t->pos, "bad number syntax: %.*s", (int)t->len, p->u->text + t->pos);
	/* strip underscores */
	size_t k = 0;
	for (size_t i = 0; i < t->len; i++)
		if (p->u->text[t->pos + i] != '_')
			tmp[k++] = p->u->text[t->pos + i];
	tmp[k] = 0;
	if (t->t == T_CHAR) {
		buf b;
		buf_init(&b, 16);
		if (unquote(p->u->text + t->pos + 1, t->len - 2, &b) || b.len == 0) {
			buf_release(&b);
			return perr(p, t->pos, "malformed character constant: %s", tmp);
		}
		const unsigned char *u8 = (const unsigned char *)b.data;
		int64_t r = u8[0];
		if (u8[0] >= 0xF0 && b.len >= 4)
			r = ((u8[0] & 7) << 18) | ((u8[1] & 63) << 12) | ((u8[2] & 63) << 6) | (u8[3] & 63);
		else if (u8[0] >= 0xE0 && b.len >= 3)
			r = ((u8[0] & 15) << 12) | ((u8[1] & 63) << 6) | (u8[2] & 63);
		else if (u8[0] >= 0xC0 && b.len >= 2)
			r = ((u8[0] & 31) << 6) | (u8[1] & 63);
		buf_release(&b);
		nd->num_int = nd->num_float = true;
		nd->ival = r;
		nd->fval = (double)r;
		return 0;
	}
	const char *s = tmp;
	bool neg = false;
	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		s++;
	}
	char *end;
	errno = 0;
	int base = 10;
	const char *digits = s;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		digits = s + 2;
	} else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		base = 8;
		digits = s + 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		digits = s + 2;
	} else if (s[0] == '0' && s[1] && isdigit((unsigned char)s[1])) {
		base = 8;
		digits = s + 1;
	}
	unsigned long long u = strtoull(digits, &end, base);
	if (*digits && !*end && errno == 0 && *digits != '-' && *digits != '+') {
		if (u <= (unsigned long long)INT64_MAX + (neg ? 1 : 0)) {
			nd->num_int = true;
			nd->ival = neg ? (int64_t)(0 - u) : (int64_t)u;
		}
		nd->num_float = true;
		nd->fval = neg ? -(double)u : (double)u;
		return 0;
	}
	if (base == 16 && strpbrk(digits, "pP") == NULL)
		goto bad;
	errno = 0;
	double f = strtod(tmp, &end);
	if (*end || !*tmp || (base == 8 && digits == s + 1 && !strpbrk(s, ".eE")))
		goto bad;
	nd->num_float = true;
	nd->fval = f;
	if (!strpbrk(tmp, ".eEpP") || (f == floor(f) && fabs(f) < 9.2e18)) {
		if (f == floor(f) && fabs(f) < 9.2e18) {
			nd->num_int = true;
			nd->ival = (int64_t)f;
		}
	}
	return 0;
bad:
	{
		const char *q = p->u->text + t->pos;
		size_t k2 = 0;
		if (q[k2] == '+' || q[k2] == '-')
			k2++;
		while (k2 < t->len && (isdigit((unsigned char)q[k2]) || q[k2] == '_' || q[k2] == '.'))
			k2++;
		if (k2 < t->len)
			k2++;
		return perr(p, t->pos, "bad number syntax: \"%.*s\"", (int)k2, q);
	}
}

static node *parse_pipeline(parser *p, const char *ctx, tok end);

/* term: a literal, function name, variable, field, dot or parenthesized pipeline. */
static node *parse_term(parser *p)
{
	token *t = next(p);
	const char *src = p->u->text + t->pos;
	node *nd;
	switch (t->t) {
	case T_IDENT: {
		nd = mk(p, N_IDENT, t->pos);
		nd->text = ar_strndup(p->u, src, t->len);
		nd->fn = tv_func_lookup(nd->text);
		if (!nd->fn) {
			perr(p, t->pos, "function \"%s\" not defined", nd->text);
			return NULL;
		}
		return nd;
	}
	case T_DOT: return mk(p, N_DOT, t->pos);
	case T_NIL: return mk(p, N_NIL, t->pos);
	case T_BOOL:
		nd = mk(p, N_BOOL, t->pos);
		nd->ival = src[0] == 't';
		return nd;
	case T_VAR:
		if (!var_known(p, src, t->len)) {
			perr(p, t->pos, "undefined variable \"%.*s\"", (int)t->len, src);
			return NULL;
		}
		nd = mk(p, N_VAR, t->pos);
		add_str(p, &nd->idents, &nd->nidents, src, t->len);
		return nd;
	case T_FIELD:
		nd = mk(p, N_FIELD, t->pos);
		add_str(p, &nd->idents, &nd->nidents, src + 1, t->len - 1);
		return nd;
	case T_NUMBER:
	case T_CHAR:
		nd = mk(p, N_NUM, t->pos);
		nd->text = ar_strndup(p->u, src, t->len);
		if (parse_number(p, t, nd))
			return NULL;
		return nd;
	case T_STRING:
	case T_RAWSTRING: {
		nd = mk(p, N_STR, t->pos);
		if (t->t == T_RAWSTRING) {
			nd->text = ar_strndup(p->u, src + 1, t->len - 2);
			nd->tlen = t->len - 2;
		} else {
			buf b;
			buf_init(&b, t->len + 1);
			if (unquote(src + 1, t->len - 2, &b)) {
				buf_release(&b);
				perr(p, t->pos, "invalid syntax");
				return NULL;
			}
			nd->tlen = b.len;
			nd->text = ar_strndup(p->u, buf_str(&b), b.len);
			buf_release(&b);
		}
		return nd;
	}
	case T_LPAREN: {
		node *pipe = parse_pipeline(p, "parenthesized pipeline", T_RPAREN);
		return pipe;
	}
	default:
		p->i--;
		return NULL;
	}
}

static node *parse_operand(parser *p)
{
	size_t start = p->i;
	node *nd = parse_term(p);
	if (!nd)
		return NULL;
	if (peek(p)->t == T_FIELD && !peek(p)->space_before) {
		size_t ch_first_pos = peek(p)->pos;
		node *ch = mk(p, N_CHAIN, ch_first_pos);
		ch->sub = nd;
		while (peek(p)->t == T_FIELD && !peek(p)->space_before) {
			token *f = next(p);
			add_str(p, &ch->idents, &ch->nidents, p->u->text + f->pos + 1, f->len - 1);
		}
		/* Go folds fields onto variables and fields (the node then sits at the first
		 * chained field, as in Go) */
		if (nd->kind == N_FIELD || nd->kind == N_VAR) {
			nd->pos = ch_first_pos;
			for (size_t k = 0; k < ch->nidents; k++)
				add_str(p, &nd->idents, &nd->nidents, ch->idents[k], strlen(ch->idents[k]));
			return nd;
		}
		if (nd->kind == N_BOOL || nd->kind == N_STR || nd->kind == N_NUM || nd->kind == N_NIL ||
		    nd->kind == N_DOT) {
			perr(p, p->toks[start].pos, "unexpected . after term %s",
			     nd->kind == N_DOT ? "\".\"" : "");
			return NULL;
		}
		return ch;
	}
	return nd;
}

static node *parse_command(parser *p)
{
	node *cmd = mk(p, N_CMD, peek(p)->pos);
	for (;;) {
		token *t = peek(p);
		if (p->failed)
			return NULL;
		if (t->t == T_RDELIM || t->t == T_RPAREN || t->t == T_PIPE)
			break;
		if (cmd->nkids && !t->space_before && t->t != T_EOF) {
			char tmp[64];
			perr(p, t->pos, "unexpected %s in operand", tok_text(p, t, tmp, 64));
			return NULL;
		}
		node *op = parse_operand(p);
		if (!op) {
			if (!p->failed) {
				char tmp[64];
				perr(p, t->pos, "unexpected %s in operand", tok_text(p, t, tmp, 64));
			}
			return NULL;
		}
		add_kid(p, cmd, op);
	}
	if (!cmd->nkids) {
		perr(p, cmd->pos, "empty command");
		return NULL;
	}
	cmd->text = ar_strndup(p->u, p->u->text + cmd->pos, peek(p)->pos - cmd->pos);
	size_t l = strlen(cmd->text);
	while (l && is_space(cmd->text[l - 1]))
		cmd->text[--l] = 0;
	return cmd;
}

static node *parse_pipeline(parser *p, const char *ctx, tok end)
{
	if (++p->depth > MAX_PARSE_DEPTH) {
		perr(p, peek(p)->pos, "max expression depth exceeded");
		return NULL;
	}
	node *pipe = mk(p, N_PIPE, peek(p)->pos);
	/* declarations */
	size_t save = p->i;
	if (peek(p)->t == T_VAR) {
		token *v = next(p);
		token *t2 = peek(p);
		if (t2->t == T_DECLARE || t2->t == T_ASSIGN) {
			next(p);
			pipe->isassign = t2->t == T_ASSIGN;
			add_str(p, &pipe->decl, &pipe->ndecl, p->u->text + v->pos, v->len);
			if (!pipe->isassign)
				var_push(p, p->u->text + v->pos, v->len);
		} else if (t2->t == T_COMMA && !strcmp(ctx, "range")) {
			next(p);
			add_str(p, &pipe->decl, &pipe->ndecl, p->u->text + v->pos, v->len);
			token *v2 = next(p);
			if (v2->t != T_VAR) {
				perr(p, v2->pos, "range can only initialize variables");
				return NULL;
			}
			add_str(p, &pipe->decl, &pipe->ndecl, p->u->text + v2->pos, v2->len);
			token *d = next(p);
			if (d->t != T_DECLARE && d->t != T_ASSIGN) {
				perr(p, d->pos, "expected := or = in range");
				return NULL;
			}
			pipe->isassign = d->t == T_ASSIGN;
			if (!pipe->isassign) {
				var_push(p, p->u->text + v->pos, v->len);
				var_push(p, p->u->text + v2->pos, v2->len);
			}
		} else {
			p->i = save;
		}
	}
	for (;;) {
		token *t = peek(p);
		if (t->t == end) {
			next(p);
			break;
		}
		if (t->t == T_EOF || (t->t == T_RDELIM || t->t == T_RPAREN)) {
			char tmp[64];
			perr(p, t->pos, "unexpected %s in %s", tok_text(p, t, tmp, 64), ctx);
			return NULL;
		}
		node *cmd = parse_command(p);
		if (!cmd)
			return NULL;
		add_kid(p, pipe, cmd);
		if (peek(p)->t == T_PIPE) {
			next(p);
			if (peek(p)->t == end || peek(p)->t == T_PIPE) {
				perr(p, peek(p)->pos, "missing command");
				return NULL;
			}
		}
	}
	if (!pipe->nkids) {
		perr(p, pipe->pos, "missing value for %s", ctx);
		return NULL;
	}
	/* Only the first command of a pipeline may be a non-function operand with arguments. */
	for (size_t k = 1; k < pipe->nkids; k++) {
		node *a0 = pipe->kids[k]->kids[0];
		if (a0->kind == N_BOOL || a0->kind == N_DOT || a0->kind == N_NIL ||
		    a0->kind == N_NUM || a0->kind == N_STR) {
			perr(p, a0->pos, "non executable command in pipeline stage %zu", k + 1);
			return NULL;
		}
	}
	p->depth--;
	return pipe;
}

static node *parse_list(parser *p, tok *stop);

/* After {{: parse one action (the left delimiter is consumed). */
static node *parse_action(parser *p, tok *stop);

static node *parse_control_inner(parser *p, nkind k, const char *ctx, size_t pos);

static node *parse_control(parser *p, nkind k, const char *ctx, size_t pos)
{
	size_t mark = p->nvars;
	node *nd = parse_control_inner(p, k, ctx, pos);
	var_pop(p, mark);
	return nd;
}

static node *parse_control_inner(parser *p, nkind k, const char *ctx, size_t pos)
{
	node *nd = mk(p, k, pos);
	if (k == N_RANGE)
		p->range_depth++;
	nd->pipe = parse_pipeline(p, ctx, T_RDELIM);
	if (!nd->pipe)
		return NULL;
	tok stop;
	nd->list = parse_list(p, &stop);
	if (!nd->list)
		return NULL;
	if (stop == T_EOF) {
		perr(p, p->u->len, "unexpected EOF");
		return NULL;
	}
	if (k == N_RANGE)
		p->range_depth--;
	if (stop == T_ELSE) {
		/* else if / else with chain into a nested control that shares our {{end}} */
		if ((k == N_IF && peek(p)->t == T_IF) || (k == N_WITH && peek(p)->t == T_WITH)) {
			token *kw = next(p);
			node *inner = parse_control(p, k, ctx, kw->pos);
			if (!inner)
				return NULL;
			nd->elselist = mk(p, N_LIST, kw->pos);
			add_kid(p, nd->elselist, inner);
			return nd;
		}
		if (next(p)->t != T_RDELIM) {
			perr(p, pos, "expected end; found %s", "else arguments");
			return NULL;
		}
		nd->elselist = parse_list(p, &stop);
		if (!nd->elselist)
			return NULL;
		if (stop == T_EOF) {
			perr(p, p->u->len, "unexpected EOF");
			return NULL;
		}
		if (stop != T_END) {
			perr(p, pos, "expected end; found {{else}}");
			return NULL;
		}
	}
	return nd;
}

static int add_tree(parser *p, const char *name, node *root);

static bool list_empty(const node *l)
{
	for (size_t i = 0; i < l->nkids; i++) {
		const node *k = l->kids[i];
		if (k->kind != N_TEXT)
			return false;
		for (size_t j = 0; j < k->tlen; j++)
			if (!is_space(k->text[j]))
				return false;
	}
	return true;
}

static node *parse_define_like(parser *p, bool block, size_t pos)
{
	token *nt = next(p);
	if (nt->t != T_STRING && nt->t != T_RAWSTRING) {
		perr(p, nt->pos, "unexpected \"%.*s\" in %s clause", (int)nt->len,
		     p->u->text + nt->pos, block ? "block" : "define");
		return NULL;
	}
	buf nb;
	buf_init(&nb, nt->len + 1);
	if (nt->t == T_RAWSTRING)
		buf_add(&nb, p->u->text + nt->pos + 1, nt->len - 2);
	else
		unquote(p->u->text + nt->pos + 1, nt->len - 2, &nb);
	char *name = ar_strndup(p->u, buf_str(&nb), nb.len);
	buf_release(&nb);
	node *pipe = NULL;
	if (block) {
		pipe = parse_pipeline(p, "block clause", T_RDELIM);
		if (!pipe)
			return NULL;
	} else if (next(p)->t != T_RDELIM) {
		perr(p, nt->pos, "unexpected token in define clause");
		return NULL;
	}
	tok stop;
	int saved_range = p->range_depth;
	p->range_depth = 0;
	char **saved_vars = p->vars;
	size_t saved_nvars = p->nvars, saved_cap = p->capvars;
	p->vars = NULL;
	p->nvars = p->capvars = 0;
	var_push(p, "$", 1);
	node *body = parse_list(p, &stop);
	var_pop(p, 0);
	free(p->vars);
	p->vars = saved_vars;
	p->nvars = saved_nvars;
	p->capvars = saved_cap;
	p->range_depth = saved_range;
	if (!body)
		return NULL;
	if (stop == T_EOF) {
		perr(p, p->u->len, "unexpected EOF");
		return NULL;
	}
	if (stop != T_END) {
		perr(p, pos, "unexpected {{else}}");
		return NULL;
	}
	if (add_tree(p, name, body))
		return NULL;
	if (!block)
		return mk(p, N_LIST, pos); /* placeholder: nothing in the output */
	node *tn = mk(p, N_TEMPLATE, pos);
	tn->text = name;
	tn->pipe = pipe;
	return tn;
}

static node *parse_action(parser *p, tok *stop)
{
	token *t = peek(p);
	size_t pos = t->pos;
	*stop = T_EOF;
	switch (t->t) {
	case T_IF: next(p); return parse_control(p, N_IF, "if", pos);
	case T_RANGE: next(p); return parse_control(p, N_RANGE, "range", pos);
	case T_WITH: next(p); return parse_control(p, N_WITH, "with", pos);
	case T_END:
	case T_ELSE:
		next(p);
		*stop = t->t;
		if (t->t == T_END && next(p)->t != T_RDELIM) {
			perr(p, pos, "unexpected token in end");
			return NULL;
		}
		return NULL;
	case T_BREAK:
	case T_CONTINUE:
		next(p);
		if (!p->range_depth) {
			perr(p, pos, "{{%s}} outside {{range}}", t->t == T_BREAK ? "break" : "continue");
			return NULL;
		}
		if (next(p)->t != T_RDELIM) {
			perr(p, pos, "unexpected token in {{%s}}", t->t == T_BREAK ? "break" : "continue");
			return NULL;
		}
		return mk(p, t->t == T_BREAK ? N_BREAK : N_CONTINUE, pos);
	case T_DEFINE:
		next(p);
		if (p->depth > 1 || p->range_depth) {
			perr(p, pos, "unexpected <define> in command");
			return NULL;
		}
		return parse_define_like(p, false, pos);
	case T_BLOCK:
		next(p);
		return parse_define_like(p, true, pos);
	case T_TEMPLATE: {
		next(p);
		token *nt = next(p);
		if (nt->t != T_STRING && nt->t != T_RAWSTRING) {
			char tmp[64];
			perr(p, nt->pos, "unexpected %s in template clause", tok_text(p, nt, tmp, 64));
			return NULL;
		}
		node *tn = mk(p, N_TEMPLATE, nt->pos);
		buf nb;
		buf_init(&nb, nt->len + 1);
		if (nt->t == T_RAWSTRING)
			buf_add(&nb, p->u->text + nt->pos + 1, nt->len - 2);
		else
			unquote(p->u->text + nt->pos + 1, nt->len - 2, &nb);
		tn->text = ar_strndup(p->u, buf_str(&nb), nb.len);
		buf_release(&nb);
		if (peek(p)->t == T_RDELIM) {
			next(p);
		} else {
			tn->pipe = parse_pipeline(p, "template clause", T_RDELIM);
			if (!tn->pipe)
				return NULL;
		}
		return tn;
	}
	default: {
		node *a = mk(p, N_ACTION, pos);
		a->pipe = parse_pipeline(p, "command", T_RDELIM);
		if (!a->pipe)
			return NULL;
		return a;
	}
	}
}

/* Parse items until {{end}}, {{else}} or EOF; *stop says which. */
static node *parse_list(parser *p, tok *stop)
{
	if (++p->depth > MAX_PARSE_DEPTH) {
		perr(p, peek(p)->pos, "max nesting depth exceeded");
		return NULL;
	}
	node *l = mk(p, N_LIST, peek(p)->pos);
	for (;;) {
		token *t = next(p);
		if (t->t == T_EOF) {
			*stop = T_EOF;
			break;
		}
		if (t->t == T_TEXT) {
			node *tx = mk(p, N_TEXT, t->pos);
			tx->text = p->u->text + t->pos;
			tx->tlen = t->len;
			add_kid(p, l, tx);
			continue;
		}
		if (t->t != T_LDELIM) {
			perr(p, t->pos, "unexpected token");
			return NULL;
		}
		tok st;
		node *a = parse_action(p, &st);
		if (p->failed)
			return NULL;
		if (!a) {
			*stop = st;
			break;
		}
		if (!(a->kind == N_LIST && a->nkids == 0))
			add_kid(p, l, a);
	}
	p->depth--;
	return l;
}

static int add_tree(parser *p, const char *name, node *root)
{
	tmpl_set *s = p->set;
	for (size_t i = 0; i < s->ntrees; i++) {
		if (!strcmp(s->trees[i].name, name)) {
			/* an empty redefinition does not replace a non-empty one */
			if (list_empty(root) && !list_empty(s->trees[i].root))
				return 0;
			s->trees[i].root = root;
			s->trees[i].u = p->u;
			return 0;
		}
	}
	if (s->ntrees == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->trees = xrealloc(s->trees, s->cap * sizeof *s->trees);
	}
	s->trees[s->ntrees].name = ar_strndup(p->u, name, strlen(name));
	s->trees[s->ntrees].root = root;
	s->trees[s->ntrees].u = p->u;
	s->ntrees++;
	return 0;
}

int tmpl_parse(tmpl_set *s, const char *name, const char *text, size_t len, err *e)
{
	node *root;
	return tv_parse_root(s, name, text, len, &root, e);
}

int tv_parse_root(tmpl_set *s, const char *name, const char *text, size_t len, node **rootp,
		  err *e)
{
	unit *u = xcalloc(1, sizeof *u);
	u->name = xstrdup(name);
	u->text = xmalloc(len + 1);
	if (len)
		memcpy(u->text, text, len);
	u->text[len] = '\0';
	u->len = len;
	u->next = s->units;
	s->units = u;
	parser p = {.u = u, .set = s, .e = e};
	if (lex(&p)) {
		free(p.toks);
		return -1;
	}
	var_push(&p, "$", 1);
	tok stop;
	node *root = parse_list(&p, &stop);
	var_pop(&p, 0);
	free(p.vars);
	if (root && stop != T_EOF) {
		perr(&p, p.toks[p.i ? p.i - 1 : 0].pos, "unexpected {{%s}}",
		     stop == T_END ? "end" : "else");
		root = NULL;
	}
	free(p.toks);
	if (!root)
		return -1;
	*rootp = root;
	return add_tree(&p, name, root);
}
