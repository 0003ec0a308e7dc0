/* The executor of Go text/template (semantics of Go's text/template/exec.go, missingkey=zero as
 * Helm sets it). */
#include "eddy/mem.h"
#include "gotmpl/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { CTRL_BREAK = 1, CTRL_CONTINUE = 2 };

static const tmpl_limits default_limits = {
	.max_output = 64u << 20, .max_depth = 1000, .max_steps = 20000000ull, .max_seconds = 60,
};

tmpl_set *tmpl_set_new(void)
{
	tmpl_set *s = xcalloc(1, sizeof *s);
	s->lim = default_limits;
	return s;
}

void tmpl_set_free(tmpl_set *s)
{
	if (!s)
		return;
	unit *u = s->units;
	while (u) {
		unit *n = u->next;
		tv_unit_free(u);
		u = n;
	}
	free(s->trees);
	free(s);
}

void tmpl_set_limits(tmpl_set *s, const tmpl_limits *lim)
{
	s->lim = *lim;
	if (!s->lim.max_output)
		s->lim.max_output = default_limits.max_output;
	if (!s->lim.max_depth)
		s->lim.max_depth = default_limits.max_depth;
	if (!s->lim.max_steps)
		s->lim.max_steps = default_limits.max_steps;
	if (s->lim.max_seconds <= 0)
		s->lim.max_seconds = default_limits.max_seconds;
}

void tmpl_set_hooks(tmpl_set *s, const tmpl_hooks *h) { s->hooks = *h; }

static tree *find_tree(const tmpl_set *s, const char *name)
{
	for (size_t i = 0; i < s->ntrees; i++)
		if (!strcmp(s->trees[i].name, name))
			return &s->trees[i];
	return NULL;
}

bool tmpl_has(const tmpl_set *s, const char *name) { return find_tree(s, name) != NULL; }

int tmpl_fail(err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char msg[ERR_MSG_MAX];
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_fail(e, "TemplateError", "%s", msg);
}

/* The text Go shows between <...> for a node. */
static void node_string(buf *b, const node *n)
{
	switch (n->kind) {
	case N_CMD: buf_adds(b, n->text); break;
	case N_FIELD:
		for (size_t i = 0; i < n->nidents; i++)
			buf_addf(b, ".%s", n->idents[i]);
		break;
	case N_VAR:
		for (size_t i = 0; i < n->nidents; i++)
			buf_addf(b, "%s%s", i ? "." : "", n->idents[i]);
		break;
	case N_CHAIN:
		if (n->sub->kind == N_PIPE) {
			buf_addc(b, '(');
			for (size_t i = 0; i < n->sub->nkids; i++)
				buf_addf(b, "%s%s", i ? " | " : "", n->sub->kids[i]->text);
			buf_addc(b, ')');
		} else {
			node_string(b, n->sub);
		}
		for (size_t i = 0; i < n->nidents; i++)
			buf_addf(b, ".%s", n->idents[i]);
		break;
	case N_IDENT: buf_adds(b, n->text); break;
	case N_DOT: buf_addc(b, '.'); break;
	case N_NIL: buf_adds(b, "nil"); break;
	case N_BOOL: buf_adds(b, n->ival ? "true" : "false"); break;
	case N_NUM: buf_adds(b, n->text); break;
	case N_STR: tv_quote(b, n->text, n->tlen); break;
	case N_PIPE:
		for (size_t i = 0; i < n->nkids; i++)
			buf_addf(b, "%s%s", i ? " | " : "", n->kids[i]->text);
		break;
	case N_TEMPLATE:
		buf_addf(b, "{{template \"%s\"", n->text);
		if (n->pipe) {
			buf_addc(b, ' ');
			node_string(b, n->pipe);
		}
		buf_adds(b, "}}");
		break;
	default: break;
	}
}

int tv_exec_error(tmpl_exec *x, err *e, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	const node *n = x->at;
	if (!n || !x->tname)
		return err_fail(e, "TemplateError", "template: %s", msg);
	const unit *u = n->unit;
	int line = 1;
	size_t last_nl = (size_t)-1;
	for (size_t i = 0; i < n->pos && i < u->len; i++)
		if (u->text[i] == '\n') {
			line++;
			last_nl = i;
		}
	size_t col = last_nl == (size_t)-1 ? n->pos : n->pos - last_nl - 1;
	buf ctx;
	buf_init(&ctx, 4096);
	node_string(&ctx, n);
	char shown[512];
	snprintf(shown, sizeof shown, "%s", buf_str(&ctx));
	buf_release(&ctx);
	x->failed = true;
	return err_fail(e, "TemplateError", "template: %s:%d:%zu: executing \"%s\" at <%s>: %s",
			u->name, line, col, x->tname, shown, msg);
}

#define FAIL(...) tv_exec_error(x, x->e, __VA_ARGS__)

static int step(tmpl_exec *x)
{
	if (++x->steps > x->set->lim.max_steps) {
		int rc = FAIL("template execution stopped: more than %llu steps (the step budget)",
			      (unsigned long long)x->set->lim.max_steps);
		x->fatal = true;
		return rc;
	}
	if ((x->steps & 63) == 0 && x->set->lim.max_seconds > 0) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double el = (double)(now.tv_sec - x->start.tv_sec) +
			    (double)(now.tv_nsec - x->start.tv_nsec) / 1e9;
		if (el > x->set->lim.max_seconds) {
			int rc = FAIL("template execution stopped: more than %.0f seconds (the time "
				      "budget)", x->set->lim.max_seconds);
			x->fatal = true;
			return rc;
		}
	}
	return 0;
}

/* ---- variables ---- */

static void push_var(tmpl_exec *x, const char *name, tmpl_val v)
{
	if (x->nvars == x->capvars) {
		x->capvars = x->capvars ? x->capvars * 2 : 16;
		x->vars = xrealloc(x->vars, x->capvars * sizeof *x->vars);
	}
	x->vars[x->nvars].name = (char *)name;
	x->vars[x->nvars].v = v;
	x->nvars++;
}

static void pop_vars(tmpl_exec *x, size_t mark)
{
	while (x->nvars > mark) {
		x->nvars--;
		tmpl_val_free(x->vars[x->nvars].v);
	}
}

/* Variables of the running template: from its "$" (x->vbase) to the top. */
static tmpl_val *find_var(tmpl_exec *x, const char *name)
{
	for (size_t i = x->nvars; i > x->vbase; i--)
		if (!strcmp(x->vars[i - 1].name, name))
			return &x->vars[i - 1].v;
	if (x->vbase < x->nvars && !strcmp(x->vars[x->vbase].name, name))
		return &x->vars[x->vbase].v;
	return NULL;
}

/* ---- evaluation ---- */

static int eval_pipeline(tmpl_exec *x, tmpl_val dot, const node *pipe, tmpl_val *out);
static int eval_arg(tmpl_exec *x, tmpl_val dot, char typ, const node *n, tmpl_val *out);

static tmpl_val indirect(tmpl_val v)
{
	if (v.kind == TV_NIL)
		v.sub = 0;
	return v;
}

static const char *typ_name(char typ)
{
	switch (typ) {
	case 's': return "string";
	case 'i': return "int";
	case 'I': return "int64";
	case 'f': return "float64";
	case 'b': return "bool";
	case 'l': return "[]interface {}";
	case 'm': return "map[string]interface {}";
	default: return "interface {}";
	}
}

/* Check (and consume on failure) a value against a parameter type. */
static int validate(tmpl_exec *x, char typ, tmpl_val *v)
{
	bool ok;
	switch (typ) {
	case 's': ok = v->kind == TV_STRING && v->sub == TV_SUB_STR; break;
	case 'i': ok = v->kind == TV_INT && v->sub == TV_SUB_INT; break;
	case 'I': ok = v->kind == TV_INT && v->sub == TV_SUB_INT64; break;
	case 'f': ok = v->kind == TV_FLOAT; break;
	case 'b': ok = v->kind == TV_BOOL; break;
	case 'l': ok = v->kind == TV_NIL || (v->kind == TV_LIST && v->sub == TV_SUB_IFACE); break;
	case 'm': ok = v->kind == TV_NIL || (v->kind == TV_MAP && v->sub == TV_SUB_MAP); break;
	case 'v': return 0;
	default:
		if (v->kind == TV_NIL)
			v->sub = TV_SUB_NILIFACE;
		return 0;
	}
	if (ok)
		return 0;
	if (v->kind == TV_NIL)
		return FAIL("invalid value; expected %s", typ_name(typ));
	int rc = FAIL("wrong type for value; expected %s; got %s", typ_name(typ), tv_type_name(*v));
	tmpl_val_free(*v);
	*v = tmpl_nil();
	return rc;
}

static int call_method(tmpl_exec *x, tmpl_val dot, tmpl_val m, const node *const *args,
		       size_t nargs, const tmpl_val *final, const char *name, tmpl_val *out)
{
	tmpl_val argv[16];
	size_t argc = 0;
	if (nargs + (final ? 1 : 0) > 16)
		return FAIL("too many arguments");
	for (size_t i = 0; i < nargs; i++) {
		if (eval_arg(x, dot, 'a', args[i], &argv[argc])) {
			for (size_t k = 0; k < argc; k++)
				tmpl_val_free(argv[k]);
			return -1;
		}
		argc++;
	}
	if (final)
		argv[argc++] = tmpl_ref(*final);
	err e2;
	err_clear(&e2);
	int rc = m.u.fn->fn(x, m.u.fn->recv, (int)argc, argv, out, &e2);
	for (size_t k = 0; k < argc; k++)
		tmpl_val_free(argv[k]);
	if (rc == -2) /* the arguments were wrong: Go's error, not the method's */
		return FAIL("%s", e2.msg);
	if (rc)
		return FAIL("error calling %s: %s", name, e2.msg);
	return 0;
}

static int has_method(tmpl_exec *x, int argc, const tmpl_val *argv, tmpl_val recv, tmpl_val *out)
{
	if (argc != 1)
		return FAIL("wrong number of args for Has: want 1 got %d", argc);
	bool found = false;
	for (size_t i = 0; i < recv.u.l->n; i++) {
		tmpl_val it = recv.u.l->items[i];
		if (it.kind == TV_STRING && argv[0].kind == TV_STRING &&
		    !strcmp(it.u.s->data, argv[0].u.s->data))
			found = true;
	}
	*out = tmpl_bool(found);
	return 0;
}

/* evalField: receiver.name, called with args if it is a method. */
static int eval_field(tmpl_exec *x, tmpl_val dot, const char *name, const node *at,
		      const node *const *args, size_t nargs, const tmpl_val *final,
		      tmpl_val recv, tmpl_val *out, bool iface)
{
	x->at = at;
	if (recv.kind == TV_NIL) {
		if (recv.sub == TV_SUB_NILIFACE)
			return FAIL("nil pointer evaluating interface {}.%s", name);
		*out = tmpl_nil();
		return 0;
	}
	bool hasargs = nargs > 0 || final;
	if (recv.kind == TV_MAP && recv.sub == TV_SUB_FILES && tv_files_method(name)) {
		tmpl_val argv[4];
		int argc = 0;
		for (size_t i = 0; i < nargs && argc < 3; i++) {
			if (eval_arg(x, dot, 'a', args[i], &argv[argc])) {
				for (int k = 0; k < argc; k++)
					tmpl_val_free(argv[k]);
				return -1;
			}
			argc++;
		}
		if (final && argc < 4)
			argv[argc++] = tmpl_ref(*final);
		err e2;
		err_clear(&e2);
		x->at = at;
		int rc = tv_files_call(name, recv, argc, argv, out, &e2);
		for (int i = 0; i < argc; i++)
			tmpl_val_free(argv[i]);
		if (rc)
			return FAIL("%s", e2.msg);
		return 0;
	}
	if (recv.kind == TV_MAP) {
		tmpl_val *v = tmpl_map_get(recv, name);
		if (recv.sub == TV_SUB_STRUCT || (recv.sub == TV_SUB_FILES && !v)) {
			if (!v)
				return FAIL("can't evaluate field %s in type %s", name,
					    tv_type_name(recv));
			if (v->kind == TV_METHOD)
				return call_method(x, dot, *v, args, nargs, final, name, out);
			if (hasargs)
				return FAIL("%s has arguments but cannot be invoked as function", name);
			*out = tmpl_ref(*v);
			return 0;
		}
		if (hasargs)
			return FAIL("%s is not a method but has arguments", name);
		if (!v) {
			*out = recv.sub == TV_SUB_STRMAP ? tmpl_str("") : tmpl_nil();
			out->sub = recv.sub == TV_SUB_STRMAP ? 0 : TV_SUB_NILIFACE;
			return 0;
		}
		*out = tmpl_ref(*v);
		if (out->kind == TV_NIL)
			out->sub = TV_SUB_NILIFACE;
		return 0;
	}
	if (recv.kind == TV_LIST && recv.sub == TV_SUB_STRS && !strcmp(name, "Has")) {
		tmpl_val argv[2];
		int argc = 0;
		for (size_t i = 0; i < nargs && argc < 1; i++)
			if (eval_arg(x, dot, 'a', args[i], &argv[argc++]))
				return -1;
		if (final && argc < 2)
			argv[argc++] = tmpl_ref(*final);
		int rc = has_method(x, argc, argv, recv, out);
		for (int i = 0; i < argc; i++)
			tmpl_val_free(argv[i]);
		return rc;
	}
	return FAIL("can't evaluate field %s in type %s", name,
		    iface ? "interface {}" : tv_type_name(recv));
}

static int eval_field_chain(tmpl_exec *x, tmpl_val dot, tmpl_val recv, const node *n,
			    char **idents, size_t nid, const node *const *args, size_t nargs,
			    const tmpl_val *final, tmpl_val *out)
{
	tmpl_val cur = tmpl_ref(recv);
	for (size_t i = 0; i + 1 < nid; i++) {
		tmpl_val nx;
		if (eval_field(x, dot, idents[i], n, NULL, 0, NULL, cur, &nx, i > 0)) {
			tmpl_val_free(cur);
			return -1;
		}
		tmpl_val_free(cur);
		cur = nx;
	}
	int rc = eval_field(x, dot, idents[nid - 1], n, args, nargs, final, cur, out, nid > 1);
	tmpl_val_free(cur);
	return rc;
}

static tmpl_val const_value(const node *n)
{
	switch (n->kind) {
	case N_BOOL: return tmpl_bool(n->ival);
	case N_STR: return tmpl_strn(n->text, n->tlen);
	case N_NUM:
		if (n->text[0] == '\'')
			return tmpl_int(n->ival);
		if (n->num_int && !strpbrk(n->text, ".eEpP") ) {
			return tmpl_int(n->ival);
		}
		if (n->num_int && (n->text[0] == '0' && (n->text[1] == 'x' || n->text[1] == 'X')) &&
		    !strpbrk(n->text, "pP"))
			return tmpl_int(n->ival);
		return tmpl_float(n->fval);
	default: return tmpl_nil();
	}
}

static int eval_function(tmpl_exec *x, tmpl_val dot, const node *ident, const node *cmd,
			 const node *const *args, size_t nargs, const tmpl_val *final,
			 tmpl_val *out);

/* evalArg: one argument node converted to parameter type typ. */
static int eval_arg(tmpl_exec *x, tmpl_val dot, char typ, const node *n, tmpl_val *out)
{
	x->at = n;
	if (step(x))
		return -1;
	tmpl_val v;
	switch (n->kind) {
	case N_DOT: v = tmpl_ref(dot); break;
	case N_NIL:
		if (typ == 'a' || typ == 'v' || typ == 'l' || typ == 'm') {
			*out = tmpl_nil();
			return 0;
		}
		return FAIL("cannot assign nil to %s", typ_name(typ));
	case N_FIELD:
		if (eval_field_chain(x, dot, dot, n, n->idents, n->nidents, NULL, 0, NULL, &v))
			return -1;
		break;
	case N_VAR: {
		tmpl_val *vv = find_var(x, n->idents[0]);
		if (!vv)
			return FAIL("undefined variable: %s", n->idents[0]);
		if (n->nidents == 1) {
			v = tmpl_ref(*vv);
		} else if (eval_field_chain(x, dot, *vv, n, n->idents + 1, n->nidents - 1, NULL, 0,
					    NULL, &v)) {
			return -1;
		}
		break;
	}
	case N_PIPE:
		if (eval_pipeline(x, dot, n, &v))
			return -1;
		break;
	case N_IDENT:
		if (eval_function(x, dot, n, n, NULL, 0, NULL, &v))
			return -1;
		break;
	case N_CHAIN: {
		tmpl_val base;
		if (eval_arg(x, dot, 'v', n->sub, &base))
			return -1;
		int rc = eval_field_chain(x, dot, base, n, n->idents, n->nidents, NULL, 0, NULL, &v);
		tmpl_val_free(base);
		if (rc)
			return -1;
		break;
	}
	case N_BOOL:
		if (typ == 'a' || typ == 'v' || typ == 'b') {
			*out = const_value(n);
			return 0;
		}
		goto badconst;
	case N_STR:
		if (typ == 'a' || typ == 'v' || typ == 's') {
			*out = const_value(n);
			return 0;
		}
		goto badconst;
	case N_NUM:
		if (typ == 'a' || typ == 'v') {
			*out = const_value(n);
			return 0;
		}
		if ((typ == 'i' || typ == 'I') && n->num_int) {
			*out = typ == 'i' ? tmpl_int(n->ival) : tmpl_int64(n->ival);
			return 0;
		}
		if (typ == 'f' && n->num_float) {
			*out = tmpl_float(n->fval);
			return 0;
		}
		if (typ == 'i' || typ == 'I')
			return FAIL("expected integer; found %s", n->text);
		if (typ == 'f')
			return FAIL("expected float; found %s", n->text);
		goto badconst;
	default:
		return FAIL("can't handle node for arg");
	}
	x->at = n;
	if (validate(x, typ, &v))
		return -1;
	*out = v;
	return 0;
badconst: {
		buf b;
		buf_init(&b, 256);
		node_string(&b, n);
		int rc;
		if (typ == 's')
			rc = FAIL("expected string; found %s", buf_str(&b));
		else if (typ == 'b')
			rc = FAIL("expected bool; found %s", buf_str(&b));
		else
			rc = FAIL("can't handle %s for arg of type %s", buf_str(&b), typ_name(typ));
		buf_release(&b);
		return rc;
	}
}

/* and / or: evaluated lazily, left to right. */
static int eval_andor(tmpl_exec *x, tmpl_val dot, bool is_and, const node *const *args,
		      size_t nargs, const tmpl_val *final, tmpl_val *out)
{
	size_t total = nargs + (final ? 1 : 0);
	if (total < 1)
		return FAIL("wrong number of args for %s: want at least 1 got 0",
			    is_and ? "and" : "or");
	tmpl_val v = tmpl_nil();
	for (size_t i = 0; i < total; i++) {
		tmpl_val_free(v);
		if (i < nargs) {
			if (eval_arg(x, dot, 'v', args[i], &v))
				return -1;
		} else {
			v = tmpl_ref(*final);
		}
		bool t = tmpl_truth(v);
		if (t != is_and)
			break;
	}
	*out = v;
	return 0;
}

static int eval_function(tmpl_exec *x, tmpl_val dot, const node *ident, const node *cmd,
			 const node *const *args, size_t nargs, const tmpl_val *final,
			 tmpl_val *out)
{
	const func *f = ident->fn;
	x->at = ident;
	if (!strcmp(f->name, "and") || !strcmp(f->name, "or"))
		return eval_andor(x, dot, f->name[0] == 'a', args, nargs, final, out);
	const char *sig = f->sig;
	size_t np = strlen(sig);
	bool variadic = np && sig[np - 1] == '*';
	if (variadic)
		np--;
	size_t total = nargs + (final ? 1 : 0);
	if (variadic ? total < np - 1 : total != np) {
		x->at = ident;
		if (variadic)
			return FAIL("wrong number of args for %s: want at least %zu got %zu", f->name,
				    np - 1, total);
		return FAIL("wrong number of args for %s: want %zu got %zu", f->name, np, total);
	}
	tmpl_val stackv[8];
	tmpl_val *argv = total <= 8 ? stackv : xmalloc(total * sizeof *argv);
	size_t argc = 0;
	int rc = 0;
	for (size_t i = 0; i < total; i++) {
		char typ = i < np ? sig[i] : sig[np - 1];
		if (variadic && i >= np - 1)
			typ = sig[np - 1];
		if (i < nargs) {
			if (eval_arg(x, dot, typ, args[i], &argv[argc])) {
				rc = -1;
				break;
			}
		} else {
			argv[argc] = tmpl_ref(*final);
			x->at = cmd;
			if (validate(x, typ, &argv[argc])) {
				rc = -1;
				break;
			}
		}
		argc++;
	}
	if (!rc) {
		err e2;
		err_clear(&e2);
		x->at = cmd;
		*out = tmpl_nil();
		if (f->fn(x, (int)argc, argv, out, &e2)) {
			x->at = cmd;
			if (x->fatal)
				err_set(x->e, ERR_GENERIC, "TemplateError", "%s", e2.msg);
			else
				FAIL("error calling %s: %s", f->name, e2.msg);
			rc = -1;
		}
	}
	for (size_t i = 0; i < argc; i++)
		tmpl_val_free(argv[i]);
	if (argv != stackv)
		free(argv);
	return rc;
}

static int eval_command(tmpl_exec *x, tmpl_val dot, const node *cmd, const tmpl_val *final,
			tmpl_val *out)
{
	const node *first = cmd->kids[0];
	const node *const *args = (const node *const *)cmd->kids + 1;
	size_t nargs = cmd->nkids - 1;
	x->at = first;
	if (step(x))
		return -1;
	switch (first->kind) {
	case N_FIELD:
		return eval_field_chain(x, dot, dot, first, first->idents, first->nidents, args, nargs,
					final, out);
	case N_CHAIN: {
		tmpl_val base;
		if (eval_arg(x, dot, 'v', first->sub, &base))
			return -1;
		int rc = eval_field_chain(x, dot, base, first, first->idents, first->nidents, args,
					  nargs, final, out);
		tmpl_val_free(base);
		return rc;
	}
	case N_IDENT:
		return eval_function(x, dot, first, cmd, args, nargs, final, out);
	case N_VAR: {
		tmpl_val *vv = find_var(x, first->idents[0]);
		if (!vv)
			return FAIL("undefined variable: %s", first->idents[0]);
		if (first->nidents == 1) {
			if (nargs || final)
				return FAIL("can't give argument to non-function %s", first->idents[0]);
			*out = tmpl_ref(*vv);
			return 0;
		}
		return eval_field_chain(x, dot, *vv, first, first->idents + 1, first->nidents - 1,
					args, nargs, final, out);
	}
	default:
		break;
	}
	if (nargs || final) {
		buf b;
		buf_init(&b, 256);
		node_string(&b, first);
		int rc = FAIL("can't give argument to non-function %s", buf_str(&b));
		buf_release(&b);
		return rc;
	}
	switch (first->kind) {
	case N_PIPE: return eval_pipeline(x, dot, first, out);
	case N_DOT: *out = tmpl_ref(dot); return 0;
	case N_NIL: return FAIL("nil is not a command");
	default: *out = const_value(first); return 0;
	}
}

static int eval_pipeline(tmpl_exec *x, tmpl_val dot, const node *pipe, tmpl_val *out)
{
	tmpl_val v = tmpl_nil();
	bool have = false;
	for (size_t i = 0; i < pipe->nkids; i++) {
		tmpl_val nv;
		if (eval_command(x, dot, pipe->kids[i], have ? &v : NULL, &nv)) {
			tmpl_val_free(v);
			return -1;
		}
		tmpl_val_free(v);
		v = indirect(nv);
		have = true;
	}
	for (size_t i = 0; i < pipe->ndecl; i++) {
		if (pipe->isassign) {
			tmpl_val *vv = find_var(x, pipe->decl[i]);
			if (!vv) {
				x->at = pipe;
				tmpl_val_free(v);
				return FAIL("undefined variable: %s", pipe->decl[i]);
			}
			tmpl_val_free(*vv);
			*vv = tmpl_ref(v);
		} else {
			push_var(x, pipe->decl[i], tmpl_ref(v));
		}
	}
	*out = v;
	return 0;
}

static int walk(tmpl_exec *x, tmpl_val dot, const node *n);

static int emit(tmpl_exec *x, const char *s, size_t len)
{
	if (buf_add(x->out, s, len)) {
		int rc = FAIL("template output exceeds the limit of %zu bytes",
			      x->set->lim.max_output);
		x->fatal = true;
		return rc;
	}
	return 0;
}

static int walk_range(tmpl_exec *x, tmpl_val dot, const node *n)
{
	size_t mark = x->nvars;
	tmpl_val v;
	x->at = n->pipe;
	/* the pipeline's own declarations are the loop variables */
	node tmp = *n->pipe;
	tmp.ndecl = 0;
	if (eval_pipeline(x, dot, &tmp, &v))
		return -1;
	const node *p = n->pipe;
	int rc = 0;
	size_t count = 0;
	if (p->ndecl == 2 && v.kind == TV_INT) {
		x->at = n;
		tmpl_val_free(v);
		return FAIL("can't use %s to iterate over more than one variable", "int");
	}
	if (p->ndecl) {
		push_var(x, p->decl[0], tmpl_nil());
		if (p->ndecl == 2)
			push_var(x, p->decl[1], tmpl_nil());
	}
	size_t inner = x->nvars;
	int64_t total = 0;
	switch (v.kind) {
	case TV_LIST: total = (int64_t)v.u.l->n; break;
	case TV_MAP: total = v.sub == TV_SUB_STRUCT ? -1 : (int64_t)v.u.m->n; break;
	case TV_INT: total = v.u.i < 0 ? 0 : v.u.i; break;
	case TV_NIL: total = 0; break;
	default: total = -1; break;
	}
	if (total < 0) {
		buf b;
		buf_init(&b, 256);
		tv_print_v(&b, v, false);
		rc = FAIL("range can't iterate over %s", buf_str(&b));
		buf_release(&b);
		goto out;
	}
	for (int64_t i = 0; i < total; i++) {
		tmpl_val key, elem;
		if (v.kind == TV_LIST) {
			key = tmpl_int(i);
			elem = tmpl_ref(v.u.l->items[i]);
			if (elem.kind == TV_NIL)
				elem.sub = TV_SUB_NILIFACE;
		} else if (v.kind == TV_MAP) {
			if ((size_t)i >= v.u.m->n)
				break;
			key = tmpl_str(v.u.m->keys[i]);
			elem = tmpl_ref(v.u.m->vals[i]);
			if (elem.kind == TV_NIL)
				elem.sub = TV_SUB_NILIFACE;
		} else {
			key = tmpl_int(i);
			elem = tmpl_int(i);
		}
		if (p->ndecl == 1) {
			tmpl_val_free(x->vars[mark].v);
			x->vars[mark].v = tmpl_ref(elem);
		} else if (p->ndecl == 2) {
			tmpl_val_free(x->vars[mark].v);
			x->vars[mark].v = tmpl_ref(key);
			tmpl_val_free(x->vars[mark + 1].v);
			x->vars[mark + 1].v = tmpl_ref(elem);
		}
		tmpl_val_free(key);
		rc = walk(x, elem, n->list);
		tmpl_val_free(elem);
		pop_vars(x, inner);
		count++;
		if (rc)
			goto out;
		if (x->ctrl == CTRL_BREAK) {
			x->ctrl = 0;
			break;
		}
		x->ctrl = 0;
	}
	if (!count && n->elselist) {
		pop_vars(x, mark);
		rc = walk(x, dot, n->elselist);
	}
out:
	pop_vars(x, mark);
	tmpl_val_free(v);
	return rc;
}

static int walk(tmpl_exec *x, tmpl_val dot, const node *n)
{
	x->at = n;
	if (step(x))
		return -1;
	switch (n->kind) {
	case N_LIST:
		for (size_t i = 0; i < n->nkids; i++) {
			if (walk(x, dot, n->kids[i]))
				return -1;
			if (x->ctrl)
				break;
		}
		return 0;
	case N_TEXT: return emit(x, n->text, n->tlen);
	case N_ACTION: {
		tmpl_val v;
		if (eval_pipeline(x, dot, n->pipe, &v))
			return -1;
		int rc = 0;
		if (!n->pipe->ndecl) {
			if (v.kind == TV_METHOD) {
				x->at = n;
				rc = FAIL("can't print method value");
			} else if (v.kind == TV_STRING && v.sub == TV_SUB_STR) {
				rc = emit(x, v.u.s->data, v.u.s->len);
			} else {
				buf tmp;
				buf_init(&tmp, x->set->lim.max_output + 1);
				tmpl_print(&tmp, v);
				rc = emit(x, tmp.data ? tmp.data : "", tmp.len);
				buf_release(&tmp);
			}
		}
		tmpl_val_free(v);
		return rc;
	}
	case N_IF:
	case N_WITH: {
		size_t mark = x->nvars;
		tmpl_val v;
		if (eval_pipeline(x, dot, n->pipe, &v))
			return -1;
		int rc = 0;
		if (tmpl_truth(v))
			rc = walk(x, n->kind == N_WITH ? v : dot, n->list);
		else if (n->elselist)
			rc = walk(x, dot, n->elselist);
		tmpl_val_free(v);
		pop_vars(x, mark);
		return rc;
	}
	case N_RANGE: return walk_range(x, dot, n);
	case N_BREAK: x->ctrl = CTRL_BREAK; return 0;
	case N_CONTINUE: x->ctrl = CTRL_CONTINUE; return 0;
	case N_TEMPLATE: {
		tree *t = find_tree(x->set, n->text);
		if (!t)
			return FAIL("template \"%s\" not defined", n->text);
		tmpl_val nd = tmpl_nil();
		if (n->pipe && eval_pipeline(x, dot, n->pipe, &nd))
			return -1;
		if (x->depth >= x->set->lim.max_depth) {
			tmpl_val_free(nd);
			int rc = FAIL("exceeded maximum template depth (%d)", x->set->lim.max_depth);
			x->fatal = true;
			return rc;
		}
		const char *saved = x->tname;
		size_t mark = x->nvars;
		x->depth++;
		x->tname = t->name;
		size_t saved_base = x->vbase;
		x->vbase = x->nvars;
		push_var(x, "$", tmpl_ref(nd));
		int rc = walk(x, nd, t->root);
		pop_vars(x, mark);
		x->vbase = saved_base;
		x->tname = saved;
		x->depth--;
		tmpl_val_free(nd);
		x->ctrl = 0;
		return rc;
	}
	default:
		return FAIL("unknown node");
	}
}

/* Run a template inside a running execution (include, tpl): output into out. */
int tv_exec_template(tmpl_exec *x, const char *name, tmpl_val dot, buf *out, err *e)
{
	tree *t = find_tree(x->set, name);
	if (!t)
		return err_fail(e, "TemplateError", "template: no template \"%s\" associated with "
				"template \"%s\"", name, "gotpl");
	return tv_exec_root(x, t->name, t->root, dot, out, e);
}

int tv_exec_root(tmpl_exec *x, const char *name, const node *root, tmpl_val dot, buf *out,
		 err *e)
{
	if (x->depth >= x->set->lim.max_depth) {
		x->fatal = true;
		return err_fail(e, "TemplateError", "rendering template has a nested reference name: "
				"%s: unable to execute template", name);
	}
	buf *saved_out = x->out;
	const char *saved_t = x->tname;
	err *saved_e = x->e;
	size_t mark = x->nvars;
	int saved_ctrl = x->ctrl;
	x->out = out;
	x->tname = name;
	x->e = e;
	x->depth++;
	size_t saved_base = x->vbase;
	x->vbase = x->nvars;
	push_var(x, "$", tmpl_ref(dot));
	int rc = walk(x, dot, root);
	pop_vars(x, mark);
	x->vbase = saved_base;
	x->depth--;
	x->out = saved_out;
	x->tname = saved_t;
	x->e = saved_e;
	x->ctrl = saved_ctrl;
	if (rc)
		x->failed = false;
	return rc;
}

int tmpl_execute(tmpl_set *s, const char *name, tmpl_val data, buf *out, err *e)
{
	tree *t = find_tree(s, name);
	if (!t)
		return err_fail(e, "TemplateError", "template: no template \"%s\" associated with "
				"template \"%s\"", name, name);
	tmpl_exec x = {.set = s, .out = out, .e = e, .tname = t->name};
	clock_gettime(CLOCK_MONOTONIC, &x.start);
	tmpl_exec *saved = s->active;
	s->active = &x;
	size_t saved_cap = out->cap;
	if (out->cap > out->len + s->lim.max_output)
		out->cap = out->len + s->lim.max_output;
	push_var(&x, "$", tmpl_ref(data));
	int rc = walk(&x, data, t->root);
	pop_vars(&x, 0);
	free(x.vars);
	out->cap = saved_cap;
	s->active = saved;
	return rc;
}
