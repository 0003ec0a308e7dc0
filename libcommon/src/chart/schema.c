/* values.schema.json validation: a JSON Schema (draft 7 / 2020-12) subset with Helm's messages. */
#include "eddy/mem.h"
#include "eddy/regex.h"
#include "chart/internal.h"
#include "chart/values.h"
#include "gotmpl/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sctx {
	tmpl_val root;
	buf *msg;
	int errors;
} sctx;

static const char *jtype(tmpl_val v)
{
	switch (v.kind) {
	case TV_NIL: return "null";
	case TV_BOOL: return "boolean";
	case TV_INT: return "integer";
	case TV_FLOAT: return v.u.f == floor(v.u.f) ? "integer" : "number";
	case TV_STRING: return "string";
	case TV_LIST: return "array";
	default: return "object";
	}
}

static bool type_is(tmpl_val v, const char *t)
{
	const char *jt = jtype(v);
	if (!strcmp(t, jt))
		return true;
	if (!strcmp(t, "number") && !strcmp(jt, "integer"))
		return true;
	return false;
}

static void report(sctx *s, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void report(sctx *s, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_addf(s->msg, "- at '%s': ", path);
	buf_vaddf(s->msg, fmt, ap);
	buf_addc(s->msg, '\n');
	va_end(ap);
	s->errors++;
}

static double num(tmpl_val v)
{
	return v.kind == TV_INT ? (double)v.u.i : v.kind == TV_FLOAT ? v.u.f : 0;
}

static tmpl_val *resolve_ref(sctx *s, const char *ref)
{
	if (strncmp(ref, "#/", 2))
		return NULL;
	tmpl_val *cur = &s->root;
	char *dup = xstrdup(ref + 2);
	char *save = NULL;
	for (char *t = strtok_r(dup, "/", &save); t && cur; t = strtok_r(NULL, "/", &save))
		cur = cur->kind == TV_MAP ? tmpl_map_get(*cur, t) : NULL;
	free(dup);
	return cur;
}

static void validate(sctx *s, tmpl_val sch, tmpl_val v, const char *path, int depth)
{
	if (depth > 100 || sch.kind != TV_MAP) {
		if (sch.kind == TV_BOOL && !sch.u.b)
			report(s, path, "false schema");
		return;
	}
	tmpl_val *ref = tmpl_map_get(sch, "$ref");
	if (ref && ref->kind == TV_STRING) {
		tmpl_val *t = resolve_ref(s, ref->u.s->data);
		if (t)
			validate(s, *t, v, path, depth + 1);
	}
	tmpl_val *type = tmpl_map_get(sch, "type");
	if (type) {
		bool ok = false;
		buf want;
		buf_init(&want, 1024);
		if (type->kind == TV_STRING) {
			ok = type_is(v, type->u.s->data);
			buf_adds(&want, type->u.s->data);
		} else if (type->kind == TV_LIST) {
			for (size_t i = 0; i < type->u.l->n; i++) {
				tmpl_val t = type->u.l->items[i];
				if (t.kind == TV_STRING) {
					if (type_is(v, t.u.s->data))
						ok = true;
					buf_addf(&want, "%s%s", i ? " or " : "", t.u.s->data);
				}
			}
		} else {
			ok = true;
		}
		if (!ok) {
			report(s, path, "got %s, want %s", !strcmp(jtype(v), "integer") &&
			       v.kind == TV_FLOAT ? "number" : jtype(v), buf_str(&want));
			buf_release(&want);
			return;
		}
		buf_release(&want);
	}
	tmpl_val *en = tmpl_map_get(sch, "enum");
	if (en && en->kind == TV_LIST) {
		bool ok = false;
		for (size_t i = 0; i < en->u.l->n && !ok; i++) {
			tmpl_val a = en->u.l->items[i];
			if ((a.kind == TV_INT || a.kind == TV_FLOAT) &&
			    (v.kind == TV_INT || v.kind == TV_FLOAT))
				ok = num(a) == num(v);
			else
				ok = tv_equal(a, v);
		}
		if (!ok) {
			buf vals;
			buf_init(&vals, 4096);
			for (size_t i = 0; i < en->u.l->n; i++) {
				buf_adds(&vals, i ? ", " : "");
				tmpl_val it = en->u.l->items[i];
				if (it.kind == TV_STRING) {
					buf_addf(&vals, "'%s'", it.u.s->data);
				} else {
					err je;
					tmpl_to_json(&vals, it, false, &je);
				}
			}
			report(s, path, "value must be one of %s", buf_str(&vals));
			buf_release(&vals);
		}
	}
	tmpl_val *cst = tmpl_map_get(sch, "const");
	if (cst && !tv_equal(*cst, v) && !((cst->kind == TV_INT || cst->kind == TV_FLOAT) &&
					   (v.kind == TV_INT || v.kind == TV_FLOAT) &&
					   num(*cst) == num(v))) {
		buf cv;
		buf_init(&cv, 4096);
		err je;
		tmpl_to_json(&cv, *cst, false, &je);
		report(s, path, "value must be %s", buf_str(&cv));
		buf_release(&cv);
	}
	if (v.kind == TV_INT || v.kind == TV_FLOAT) {
		double x = num(v);
		tmpl_val *mn = tmpl_map_get(sch, "minimum"), *mx = tmpl_map_get(sch, "maximum");
		tmpl_val *emn = tmpl_map_get(sch, "exclusiveMinimum");
		tmpl_val *emx = tmpl_map_get(sch, "exclusiveMaximum");
		buf b;
		buf_init(&b, 256);
		if (mn && (mn->kind == TV_INT || mn->kind == TV_FLOAT) && x < num(*mn)) {
			tv_format_float(&b, num(*mn), 'g');
			report(s, path, "minimum: got %g, want %s", x, buf_str(&b));
		}
		buf_reset(&b);
		if (mx && (mx->kind == TV_INT || mx->kind == TV_FLOAT) && x > num(*mx)) {
			tv_format_float(&b, num(*mx), 'g');
			report(s, path, "maximum: got %g, want %s", x, buf_str(&b));
		}
		if (emn && (emn->kind == TV_INT || emn->kind == TV_FLOAT) && x <= num(*emn))
			report(s, path, "exclusiveMinimum: got %g", x);
		if (emx && (emx->kind == TV_INT || emx->kind == TV_FLOAT) && x >= num(*emx))
			report(s, path, "exclusiveMaximum: got %g", x);
		buf_release(&b);
	}
	if (v.kind == TV_STRING) {
		tmpl_val *mnl = tmpl_map_get(sch, "minLength"), *mxl = tmpl_map_get(sch, "maxLength");
		size_t runes = 0;
		for (size_t i = 0; i < v.u.s->len; i++)
			runes += ((unsigned char)v.u.s->data[i] & 0xC0) != 0x80;
		if (mnl && runes < (size_t)num(*mnl))
			report(s, path, "minLength: got %zu, want %g", runes, num(*mnl));
		if (mxl && runes > (size_t)num(*mxl))
			report(s, path, "maxLength: got %zu, want %g", runes, num(*mxl));
		tmpl_val *pat = tmpl_map_get(sch, "pattern");
		if (pat && pat->kind == TV_STRING) {
			rx *re = rx_compile(pat->u.s->data, RX_UTF, NULL, 0);
			if (re) {
				if (rx_exec(re, v.u.s->data, v.u.s->len, 0, NULL, 0) <= 0)
					report(s, path, "'%s' does not match pattern '%s'",
					       v.u.s->data, pat->u.s->data);
				rx_free(re);
			}
		}
	}
	if (v.kind == TV_LIST) {
		tmpl_val *items = tmpl_map_get(sch, "items");
		tmpl_val *mni = tmpl_map_get(sch, "minItems"), *mxi = tmpl_map_get(sch, "maxItems");
		if (mni && v.u.l->n < (size_t)num(*mni))
			report(s, path, "minItems: got %zu, want %g", v.u.l->n, num(*mni));
		if (mxi && v.u.l->n > (size_t)num(*mxi))
			report(s, path, "maxItems: got %zu, want %g", v.u.l->n, num(*mxi));
		if (items && items->kind == TV_MAP)
			for (size_t i = 0; i < v.u.l->n; i++) {
				char *p = xasprintf("%s/%zu", path, i);
				validate(s, *items, v.u.l->items[i], p, depth + 1);
				free(p);
			}
	}
	if (v.kind == TV_MAP) {
		tmpl_val *req = tmpl_map_get(sch, "required");
		if (req && req->kind == TV_LIST) {
			buf missing;
			buf_init(&missing, 4096);
			int nmiss = 0;
			for (size_t i = 0; i < req->u.l->n; i++) {
				tmpl_val k = req->u.l->items[i];
				if (k.kind == TV_STRING && !tmpl_map_get(v, k.u.s->data)) {
					buf_addf(&missing, "%s'%s'", nmiss ? ", " : "", k.u.s->data);
					nmiss++;
				}
			}
			if (nmiss)
				report(s, path, "missing propert%s %s", nmiss > 1 ? "ies" : "y",
				       buf_str(&missing));
			buf_release(&missing);
		}
		tmpl_val *props = tmpl_map_get(sch, "properties");
		tmpl_val *addl = tmpl_map_get(sch, "additionalProperties");
		for (size_t i = 0; i < v.u.m->n; i++) {
			const char *k = v.u.m->keys[i];
			tmpl_val *ps = props && props->kind == TV_MAP ? tmpl_map_get(*props, k) : NULL;
			char *p = xasprintf("%s/%s", path, k);
			if (ps)
				validate(s, *ps, v.u.m->vals[i], p, depth + 1);
			else if (addl && addl->kind == TV_BOOL && !addl->u.b)
				report(s, path[0] ? path : "", "additional properties '%s' not "
				       "allowed", k);
			else if (addl && addl->kind == TV_MAP)
				validate(s, *addl, v.u.m->vals[i], p, depth + 1);
			free(p);
		}
	}
	static const char *const combos[] = {"allOf", "anyOf", "oneOf", NULL};
	for (int c = 0; combos[c]; c++) {
		tmpl_val *l = tmpl_map_get(sch, combos[c]);
		if (!l || l->kind != TV_LIST)
			continue;
		int pass = 0;
		for (size_t i = 0; i < l->u.l->n; i++) {
			buf tmp;
			buf_init(&tmp, 1 << 20);
			sctx sub = {s->root, &tmp, 0};
			validate(&sub, l->u.l->items[i], v, path, depth + 1);
			if (!sub.errors)
				pass++;
			else if (c == 0)
				buf_add(s->msg, tmp.data, tmp.len), s->errors += sub.errors;
			buf_release(&tmp);
		}
		if (c == 1 && !pass && l->u.l->n)
			report(s, path, "anyOf failed");
		if (c == 2 && pass != 1)
			report(s, path, "oneOf failed");
	}
	tmpl_val *not = tmpl_map_get(sch, "not");
	if (not && not->kind == TV_MAP) {
		buf tmp;
		buf_init(&tmp, 1 << 20);
		sctx sub = {s->root, &tmp, 0};
		validate(&sub, *not, v, path, depth + 1);
		if (!sub.errors)
			report(s, path, "not failed");
		buf_release(&tmp);
	}
}

int cv_schema_validate_all(const chart *c, tmpl_val vals, buf *msg, int depth)
{
	int bad = 0;
	if (depth > 50)
		return 0;
	if (c->schema) {
		tmpl_val sch;
		err e;
		if (tmpl_from_json(c->schema, c->schema_len, &sch, &e) == 0) {
			buf m;
			buf_init(&m, 1 << 20);
			sctx s = {sch, &m, 0};
			validate(&s, sch, vals, "", 0);
			if (s.errors) {
				buf_addf(msg, "%s:\n", c->name);
				buf_add(msg, m.data, m.len);
				bad = 1;
			}
			buf_release(&m);
			tmpl_val_free(sch);
		} else {
			buf_addf(msg, "%s:\n- invalid schema: %s\n", c->name, e.msg);
			bad = 1;
		}
	}
	for (size_t i = 0; i < c->ndeps; i++) {
		tmpl_val *sv = tmpl_map_get(vals, c->deps[i]->name);
		tmpl_val sub = sv && sv->kind == TV_MAP ? *sv : tmpl_nil();
		tmpl_val empty = tmpl_map_new();
		bad |= cv_schema_validate_all(c->deps[i], sub.kind == TV_MAP ? sub : empty, msg,
					      depth + 1);
		tmpl_val_free(empty);
	}
	return bad;
}

int cv_schema_validate(const chart *c, tmpl_val values, buf *problems)
{
	return cv_schema_validate_all(c, values, problems, 0);
}
