/* Values: Helm's coalescing (chartutil/coalesce.go semantics), strvals (--set) and merging of
 * values files. */
#include "eddy/mem.h"
#include "chart/internal.h"
#include "chart/values.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool istable(const tmpl_val *v) { return v && v->kind == TV_MAP; }

/* coalesceTablesFullKey: dst has priority; nulls in dst delete unless merge. */
void cv_coalesce_tables(tmpl_val dst, tmpl_val src, bool merge, int depth)
{
	if (depth > 200 || dst.kind != TV_MAP || src.kind != TV_MAP)
		return;
	for (size_t i = 0; i < dst.u.m->n; i++)
		if (dst.u.m->vals[i].kind == TV_NIL)
			tmpl_map_set(src, dst.u.m->keys[i], tmpl_nil());
	for (size_t i = 0; i < src.u.m->n; i++) {
		const char *key = src.u.m->keys[i];
		tmpl_val sv = src.u.m->vals[i];
		tmpl_val *dv = tmpl_map_get(dst, key);
		if (dv && !merge && dv->kind == TV_NIL) {
			tmpl_map_del(dst, key);
		} else if (!dv) {
			tmpl_map_set(dst, key, tmpl_deep_copy(sv));
		} else if (istable(&sv)) {
			if (istable(dv))
				cv_coalesce_tables(*dv, sv, merge, depth + 1);
		}
	}
}

static bool is_child_chart(const chart *c, const char *key)
{
	for (size_t i = 0; i < c->ndeps; i++)
		if (c->deps[i]->enabled && !strcmp(c->deps[i]->name, key))
			return true;
	return false;
}

/* coalesceValues: chart values under user values v. */
static void coalesce_values(const chart *c, tmpl_val v, bool merge)
{
	tmpl_val vc = tmpl_deep_copy(c->values);
	for (size_t i = 0; i < vc.u.m->n; i++) {
		const char *key = vc.u.m->keys[i];
		tmpl_val val = vc.u.m->vals[i];
		tmpl_val *value = tmpl_map_get(v, key);
		if (value) {
			if (value->kind == TV_NIL && !merge) {
				tmpl_map_del(v, key);
			} else if (istable(value)) {
				if (istable(&val)) {
					bool m = merge || is_child_chart(c, key);
					cv_coalesce_tables(*value, val, m, 0);
				}
			}
		} else {
			tmpl_map_set(v, key, tmpl_ref(val));
		}
	}
	tmpl_val_free(vc);
}

static void coalesce_globals(tmpl_val dest, tmpl_val src)
{
	tmpl_val *dgp = tmpl_map_get(dest, "global");
	tmpl_val *sgp = tmpl_map_get(src, "global");
	tmpl_val dg, sg;
	if (!dgp) {
		dg = tmpl_map_new();
	} else if (dgp->kind != TV_MAP) {
		return;
	} else {
		dg = tmpl_ref(*dgp);
	}
	if (!sgp) {
		sg = tmpl_map_new();
	} else if (sgp->kind != TV_MAP) {
		tmpl_val_free(dg);
		return;
	} else {
		sg = tmpl_ref(*sgp);
	}
	for (size_t i = 0; i < sg.u.m->n; i++) {
		const char *key = sg.u.m->keys[i];
		tmpl_val val = sg.u.m->vals[i];
		tmpl_val *dv = tmpl_map_get(dg, key);
		if (istable(&val)) {
			tmpl_val vv = tmpl_deep_copy(val);
			if (!dv) {
				tmpl_map_set(dg, key, vv);
			} else if (!istable(dv)) {
				tmpl_val_free(vv);
			} else {
				cv_coalesce_tables(vv, *dv, true, 0);
				tmpl_map_set(dg, key, vv);
			}
		} else if (dv && istable(dv)) {
			/* skipped */
		} else {
			tmpl_map_set(dg, key, tmpl_deep_copy(val));
		}
	}
	tmpl_map_set(dest, "global", dg);
	tmpl_val_free(sg);
}

static int coalesce(const chart *c, tmpl_val dest, bool merge, err *e, int depth);

static int coalesce_deps(const chart *c, tmpl_val dest, bool merge, err *e, int depth)
{
	for (size_t i = 0; i < c->ndeps; i++) {
		const chart *sc = c->deps[i];
		if (!sc->enabled)
			continue;
		tmpl_val *cur = tmpl_map_get(dest, sc->name);
		if (!cur) {
			tmpl_map_set(dest, sc->name, tmpl_map_new());
		} else if (cur->kind != TV_MAP) {
			/* Helm: type mismatch; a null is replaced by a table */
			if (cur->kind != TV_NIL)
				return err_fail(e, "ValuesError", "type mismatch on %s: %%!t(%s)",
						sc->name, "value");
			tmpl_map_set(dest, sc->name, tmpl_map_new());
		}
		tmpl_val dv = *tmpl_map_get(dest, sc->name);
		coalesce_globals(dv, dest);
		if (coalesce(sc, dv, merge, e, depth + 1))
			return -1;
	}
	return 0;
}

static int coalesce(const chart *c, tmpl_val dest, bool merge, err *e, int depth)
{
	if (depth > 50)
		return err_fail(e, "ValuesError", "subcharts nested too deep");
	coalesce_values(c, dest, merge);
	return coalesce_deps(c, dest, merge, e, depth);
}

int cv_coalesce(const chart *c, tmpl_val user, bool merge, tmpl_val *out, err *e)
{
	tmpl_val v = user.kind == TV_MAP ? tmpl_deep_copy(user) : tmpl_map_new();
	if (coalesce(c, v, merge, e, 0)) {
		tmpl_val_free(v);
		return -1;
	}
	*out = v;
	return 0;
}

/* mergeMaps of values files: b into a, b wins, maps merged recursively. */
static void merge_maps(tmpl_val a, tmpl_val b, int depth)
{
	for (size_t i = 0; i < b.u.m->n; i++) {
		const char *k = b.u.m->keys[i];
		tmpl_val bv = b.u.m->vals[i];
		tmpl_val *av = tmpl_map_get(a, k);
		if (bv.kind == TV_MAP && av && av->kind == TV_MAP && depth < 200) {
			merge_maps(*av, bv, depth + 1);
			continue;
		}
		tmpl_map_set(a, k, tmpl_ref(bv));
	}
}

int chart_values_merge_yaml(tmpl_val vals, const char *text, size_t len, const char *name,
			    err *e)
{
	tmpl_val v;
	if (tmpl_from_yaml(text, len, false, &v, e)) {
		err_prefix(e, "failed to parse %s", name);
		return -1;
	}
	if (v.kind == TV_NIL) {
		return 0;
	}
	if (v.kind != TV_MAP) {
		tmpl_val_free(v);
		return err_fail(e, "ValuesError", "failed to parse %s: error unmarshaling JSON: "
				"while decoding JSON: json: cannot unmarshal array into Go value of "
				"type map[string]interface {}", name);
	}
	merge_maps(vals, v, 0);
	tmpl_val_free(v);
	return 0;
}

/* ---- strvals ---- */

typedef struct sp {
	const char *s;
	size_t i, n;
	int mode;
	err *e;
} sp;

static tmpl_val typed_val(const char *v, size_t n, int mode)
{
	if (mode == CHART_SET_STRING || mode == CHART_SET_LITERAL)
		return tmpl_strn(v, n);
	char *s = xstrndup(v, n);
	tmpl_val r;
	if (!strcasecmp(s, "true"))
		r = tmpl_bool(true);
	else if (!strcasecmp(s, "false"))
		r = tmpl_bool(false);
	else if (!strcasecmp(s, "null"))
		r = tmpl_nil();
	else if (!strcmp(s, "0"))
		r = tmpl_int64(0);
	else {
		r = tmpl_nil();
		bool done = false;
		if (n && s[0] != '0') {
			char *end;
			errno = 0;
			long long iv = strtoll(s, &end, 10);
			if (!*end && !errno && (isdigit((unsigned char)s[0]) || s[0] == '-' ||
						s[0] == '+')) {
				r = tmpl_int64(iv);
				done = true;
			}
		}
		if (!done)
			r = tmpl_strn(v, n);
	}
	free(s);
	return r;
}

/* Read until one of the stop characters, honouring backslash escapes. */
static char *read_until(sp *p, const char *stops, char *found)
{
	buf b;
	buf_init(&b, (size_t)-1);
	*found = 0;
	while (p->i < p->n) {
		char c = p->s[p->i++];
		if (c == '\\' && p->i < p->n) {
			buf_addc(&b, p->s[p->i++]);
			continue;
		}
		if (strchr(stops, c)) {
			*found = c;
			break;
		}
		buf_addc(&b, c);
	}
	return buf_detach(&b, NULL);
}

static int set_list_index(tmpl_val *list, size_t idx, tmpl_val v, err *e);

static int parse_value_into(sp *p, tmpl_val *slot_map, const char *key);

/* the file contents for --set-file */
static tmpl_val file_value(const char *path, err *e, bool *ok)
{
	FILE *f = fopen(path, "rb");
	*ok = false;
	if (!f) {
		err_fail(e, "ValuesError", "open %s: %s", path, strerror(errno));
		return tmpl_nil();
	}
	buf b;
	buf_init(&b, 64u << 20);
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_add(&b, tmp, n)) {
			fclose(f);
			buf_release(&b);
			err_fail(e, "ValuesError", "file %s too large", path);
			return tmpl_nil();
		}
	fclose(f);
	*ok = true;
	size_t l;
	char *d = buf_detach(&b, &l);
	return tmpl_str_take(d, l);
}

static int parse_list_value(sp *p, tmpl_val *out)
{
	/* {a,b,c} */
	tmpl_val l = tmpl_list_new(0);
	for (;;) {
		char found;
		char *item = read_until(p, ",}", &found);
		if (!found) {
			free(item);
			tmpl_val_free(l);
			return err_fail(p->e, "ValuesError", "list must terminate with '}'");
		}
		tmpl_list_push(&l, typed_val(item, strlen(item), p->mode));
		free(item);
		if (found == '}')
			break;
	}
	/* after } comes , or end */
	if (p->i < p->n) {
		if (p->s[p->i] != ',') {
			tmpl_val_free(l);
			return err_fail(p->e, "ValuesError", "unexpected character after list");
		}
		p->i++;
	}
	*out = l;
	return 0;
}

static int read_value(sp *p, tmpl_val *out)
{
	if (p->mode == CHART_SET_JSON) {
		/* one JSON value, then ',' or the end */
		const char *st = p->s + p->i;
		size_t n = p->n - p->i, used = n;
		for (;;) {
			err je;
			if (tmpl_from_json(st, used, out, &je) == 0)
				break;
			/* shrink to the last ',' before used */
			while (used > 0 && st[used - 1] != ',')
				used--;
			if (used == 0)
				return err_fail(p->e, "ValuesError", "failed parsing --set-json data: "
						"%s", je.msg);
			used--;
		}
		p->i += used;
		if (p->i < p->n && p->s[p->i] == ',')
			p->i++;
		return 0;
	}
	if (p->mode != CHART_SET_LITERAL && p->i < p->n && p->s[p->i] == '{' &&
	    p->mode != CHART_SET_FILE) {
		p->i++;
		return parse_list_value(p, out);
	}
	char found;
	char *v;
	if (p->mode == CHART_SET_LITERAL) {
		v = xstrndup(p->s + p->i, p->n - p->i);
		p->i = p->n;
	} else {
		v = read_until(p, ",", &found);
	}
	if (p->mode == CHART_SET_FILE) {
		bool ok;
		*out = file_value(v, p->e, &ok);
		free(v);
		return ok ? 0 : -1;
	}
	*out = typed_val(v, strlen(v), p->mode);
	free(v);
	return 0;
}

static int parse_index(sp *p, size_t *idx)
{
	char found;
	char *s = read_until(p, "]", &found);
	if (!found) {
		free(s);
		return err_fail(p->e, "ValuesError", "error parsing index: unterminated index");
	}
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || !*s || errno) {
		int rc = err_fail(p->e, "ValuesError", "failed to parse index: strconv.Atoi: parsing "
				  "\"%s\": invalid syntax", s);
		free(s);
		return rc;
	}
	free(s);
	if (v < 0)
		return err_fail(p->e, "ValuesError", "negative %lld index not allowed", v);
	if (v > 65536)
		return err_fail(p->e, "ValuesError", "index of %lld is greater than maximum "
				"supported index 65536", v);
	*idx = (size_t)v;
	return 0;
}

static int set_list_index(tmpl_val *list, size_t idx, tmpl_val v, err *e)
{
	(void)e;
	while (list->u.l->n <= idx)
		tmpl_list_push(list, tmpl_nil());
	tmpl_val_free(list->u.l->items[idx]);
	list->u.l->items[idx] = v;
	return 0;
}

/* After a list key "name[idx]": handle =, [, . continuations. slot is the list. */
static int parse_list_tail(sp *p, tmpl_val *list, size_t idx)
{
	if (p->i >= p->n)
		return err_fail(p->e, "ValuesError", "key has no value");
	char c = p->s[p->i++];
	if (c == '=') {
		tmpl_val v;
		if (read_value(p, &v))
			return -1;
		return set_list_index(list, idx, v, p->e);
	}
	if (c == '[') {
		size_t idx2;
		if (parse_index(p, &idx2))
			return -1;
		while (list->u.l->n <= idx)
			tmpl_list_push(list, tmpl_nil());
		tmpl_val *inner = &list->u.l->items[idx];
		if (inner->kind != TV_LIST) {
			tmpl_val_free(*inner);
			*inner = tmpl_list_new(0);
		}
		return parse_list_tail(p, inner, idx2);
	}
	if (c == '.') {
		while (list->u.l->n <= idx)
			tmpl_list_push(list, tmpl_nil());
		tmpl_val *inner = &list->u.l->items[idx];
		if (inner->kind != TV_MAP) {
			tmpl_val_free(*inner);
			*inner = tmpl_map_new();
		}
		return parse_value_into(p, inner, NULL);
	}
	return err_fail(p->e, "ValuesError", "unexpected data at end of array index");
}

/* Parse "key..." at the current position into map m. */
static int parse_value_into(sp *p, tmpl_val *m, const char *unused)
{
	(void)unused;
	char found;
	char *key = read_until(p, "=[,.", &found);
	int rc = 0;
	if (!found) {
		rc = err_fail(p->e, "ValuesError", "key \"%s\" has no value", key);
	} else if (found == ',') {
		rc = err_fail(p->e, "ValuesError", "key \"%s\" has no value (cannot end with ,)", key);
	} else if (!*key && found != '[') {
		rc = err_fail(p->e, "ValuesError", "key has no name");
	} else if (found == '=') {
		tmpl_val v;
		rc = read_value(p, &v);
		if (!rc)
			tmpl_map_set(*m, key, v);
	} else if (found == '.') {
		tmpl_val *inner = tmpl_map_get(*m, key);
		if (inner && inner->kind != TV_MAP && inner->kind != TV_NIL) {
			rc = err_fail(p->e, "ValuesError", "unable to parse key: interface conversion: "
				      "interface {} is %s, not map[string]interface {}",
				      inner->kind == TV_LIST ? "[]interface {}" : inner->kind ==
				      TV_STRING ? "string" : inner->kind == TV_BOOL ? "bool" : "int64");
		} else if (!inner || inner->kind != TV_MAP) {
			tmpl_map_set(*m, key, tmpl_map_new());
			inner = tmpl_map_get(*m, key);
		}
		rc = parse_value_into(p, inner, NULL);
	} else { /* '[' */
		size_t idx;
		rc = parse_index(p, &idx);
		tmpl_val *l0 = rc ? NULL : tmpl_map_get(*m, key);
		if (l0 && l0->kind != TV_LIST && l0->kind != TV_NIL)
			rc = err_fail(p->e, "ValuesError", "unable to parse key: interface conversion: "
				      "interface {} is %s, not []interface {}",
				      l0->kind == TV_MAP ? "map[string]interface {}" : l0->kind ==
				      TV_STRING ? "string" : l0->kind == TV_BOOL ? "bool" : "int64");
		if (!rc) {
			tmpl_val *l = tmpl_map_get(*m, key);
			if (!l || l->kind != TV_LIST) {
				tmpl_map_set(*m, key, tmpl_list_new(0));
				l = tmpl_map_get(*m, key);
			}
			rc = parse_list_tail(p, l, idx);
		}
	}
	free(key);
	return rc;
}

int chart_values_set(tmpl_val vals, const char *arg, int mode, err *e)
{
	sp p = {.s = arg, .i = 0, .n = strlen(arg), .mode = mode, .e = e};
	while (p.i < p.n) {
		if (parse_value_into(&p, &vals, NULL))
			return -1;
	}
	return 0;
}

/* Table lookup by dotted path ("a.b.c"); NULL when absent or not a table. */
tmpl_val *cv_path(tmpl_val root, const char *path)
{
	tmpl_val *cur = &root;
	tmpl_val holder = root;
	(void)holder;
	char *dup = xstrdup(path);
	char *save = NULL;
	static tmpl_val rootcopy;
	rootcopy = root;
	cur = &rootcopy;
	for (char *t = strtok_r(dup, ".", &save); t; t = strtok_r(NULL, ".", &save)) {
		if (cur->kind != TV_MAP) {
			cur = NULL;
			break;
		}
		cur = tmpl_map_get(*cur, t);
		if (!cur)
			break;
	}
	free(dup);
	return cur;
}
