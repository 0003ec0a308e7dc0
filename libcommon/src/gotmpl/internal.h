/* Internal declarations shared by the gotmpl sources (not a public header). */
#ifndef EDDY_GOTMPL_INTERNAL_H
#define EDDY_GOTMPL_INTERNAL_H

#include "eddy/tmpl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A nil with sub = 1 is Go's nil interface value (a map entry that is null or missing): a field
 * access on it fails, while one on the invalid nil (sub = 0) yields nil again. */
enum { TV_SUB_NILIFACE = 1 };

typedef enum nkind {
	N_LIST, N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_TEMPLATE, N_BREAK, N_CONTINUE,
	N_PIPE, N_CMD, N_FIELD, N_VAR, N_CHAIN, N_IDENT, N_DOT, N_NIL, N_BOOL, N_NUM, N_STR,
} nkind;

struct func;
typedef struct node node;
struct node {
	uint8_t kind;
	bool isassign;      /* pipe: `=` rather than `:=` */
	bool num_int;       /* number: has an int value */
	bool num_float;     /* number: has a float value */
	size_t pos;         /* byte offset in the source */
	node **kids;        /* list items, pipe commands, command args */
	size_t nkids;
	char *text;         /* text, string value, identifier, template name, source text */
	size_t tlen;
	char **idents;      /* field / variable / chain idents */
	size_t nidents;
	char **decl;        /* pipe: declared variables */
	size_t ndecl;
	node *pipe, *list, *elselist, *sub;
	int64_t ival;
	double fval;
	const struct func *fn; /* identifier: resolved function */
	struct unit *unit;     /* where this node came from (for error positions) */
};

/* One parsed source text: owns every node and string parsed from it. */
typedef struct unit {
	char *name;  /* ParseName: the file name */
	char *text;  /* the source */
	size_t len;
	void **blocks;
	size_t nblocks;
	struct unit *next;
} unit;

typedef struct tree {
	char *name;
	node *root;
	unit *u;
} tree;

struct tmpl_set {
	tree *trees;
	size_t ntrees, cap;
	unit *units;
	tmpl_limits lim;
	tmpl_hooks hooks;
	struct tmpl_exec *active; /* the running execution, for include/tpl */
};

typedef struct var { char *name; tmpl_val v; } var;

typedef struct tmpl_exec {
	tmpl_set *set;
	buf *out;
	err *e;
	var *vars;
	size_t nvars, capvars;
	size_t vbase;      /* index of the running template's "$" */
	int depth;
	uint64_t steps;
	const char *tname; /* name of the template being executed (its unit owns it) */
	const node *at;    /* node being evaluated (error context) */
	int ctrl;          /* 1 break, 2 continue */
	bool failed;
	bool fatal;        /* a limit was hit: the error goes up unwrapped */
	struct timespec start;
} tmpl_exec;

/* A template function. sig: one char per parameter: a any, v raw (nil kept), s string, i int,
 * I int64, f float64, b bool, l list, m map; a trailing '*' makes the last one variadic. */
typedef int (*func_fn)(tmpl_exec *x, int argc, tmpl_val *argv, tmpl_val *out, err *e);
typedef struct func {
	const char *name;
	func_fn fn;
	const char *sig;
} func;

/* A family of template functions: the table one file of functions defines (funcs.h). */
typedef struct tv_family {
	const func *fns;
	size_t n;
} tv_family;

/* table.c: the function of that name in any family, or NULL. */
const func *tv_func_lookup(const char *name);

/* value.c */
void tv_print_v(buf *out, tmpl_val v, bool plus);
void tv_format_float(buf *out, double f, char fmtc);
int tv_shortest(double f, char *digits, int *exp10);
const char *tv_type_name(tmpl_val v);
const char *tv_kind_name(tmpl_val v);

/* parse.c */
void tv_unit_free(unit *u);
/* tmpl_parse that also hands back the root of NAME's own tree, which Go's Template.Parse keeps
 * on the new template even when the set keeps an earlier non-empty tree of that name. */
int tv_parse_root(tmpl_set *s, const char *name, const char *text, size_t len, node **root,
		  err *e);

/* exec.c */
int tv_exec_template(tmpl_exec *x, const char *name, tmpl_val dot, buf *out, err *e);
/* The same for a tree of the named template that need not be the one the set holds (tpl). */
int tv_exec_root(tmpl_exec *x, const char *name, const node *root, tmpl_val dot, buf *out,
		 err *e);
int tv_exec_error(tmpl_exec *x, err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* fmt.c: Go's fmt.Sprintf over template values. */
void tv_sprintf(buf *out, const char *fmt, size_t flen, int argc, const tmpl_val *argv);
void tv_sprint(buf *out, int argc, const tmpl_val *argv, bool ln);
void tv_quote(buf *out, const char *s, size_t n);

/* files.c: Helm's chart.Files methods. */
bool tv_files_method(const char *name);
int tv_files_call(const char *name, tmpl_val files, int argc, const tmpl_val *argv, tmpl_val *out,
		  err *e);

/* Helpers for functions. */
char *tv_to_string(tmpl_val v); /* Sprig's toString (strval) */
bool tv_equal(tmpl_val a, tmpl_val b);

#endif
