/* patch: field sets (FieldsV1) for server-side apply. */
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "patch_fieldset.h"
#include "patch_int.h"

/* Forget the kid index (after kids moved). */
static void drop_index(fnode *n)
{
	if (n->ix) {
		patch_kx_free(n->ix);
		free(n->ix);
		n->ix = NULL;
	}
}

fnode *patch_fs_new(const char *key)
{
	fnode *n = xcalloc(1, sizeof *n);
	n->key = key ? xstrdup(key) : NULL;
	return n;
}

void patch_fs_free(fnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		patch_fs_free(n->kids[i]);
	free(n->kids);
	free(n->key);
	drop_index(n);
	free(n);
}

fnode *patch_fs_child(fnode *n, const char *key, bool create)
{
	if (!n->ix && n->n >= 16) {
		n->ix = xmalloc(sizeof *n->ix);
		patch_kx_init(n->ix, n->n);
		for (size_t i = 0; i < n->n; i++)
			patch_kx_add(n->ix, n->kids[i]->key, (long)i);
	}
	if (n->ix) {
		long i = patch_kx_get(n->ix, key);
		if (i >= 0)
			return n->kids[i];
	} else {
		for (size_t i = 0; i < n->n; i++)
			if (strcmp(n->kids[i]->key, key) == 0)
				return n->kids[i];
	}
	if (!create)
		return NULL;
	if (n->n == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 4;
		n->kids = xrealloc(n->kids, n->cap * sizeof *n->kids);
	}
	fnode *c = patch_fs_new(key);
	n->kids[n->n++] = c;
	if (n->ix)
		patch_kx_add(n->ix, key, (long)(n->n - 1));
	return c;
}

static int from_json(fnode *n, const cJSON *fields, int depth)
{
	if (depth > PATCH_MAX_DEPTH)
		return -1;
	for (const cJSON *c = fields ? fields->child : NULL; c; c = c->next) {
		if (!c->string)
			continue;
		if (strcmp(c->string, ".") == 0) {
			n->member = true;
			continue;
		}
		fnode *k = patch_fs_child(n, c->string, true);
		if (!cJSON_IsObject(c) || !c->child)
			k->member = true;
		else if (from_json(k, c, depth + 1) < 0)
			return -1;
	}
	return 0;
}

fnode *patch_fs_from_json(const cJSON *fields)
{
	fnode *n = patch_fs_new(NULL);
	if (cJSON_IsObject(fields) && from_json(n, fields, 0) < 0) {
		patch_fs_free(n);
		return NULL;
	}
	return n;
}

bool patch_fs_empty(const fnode *n)
{
	if (n->member)
		return false;
	for (size_t i = 0; i < n->n; i++)
		if (!patch_fs_empty(n->kids[i]))
			return false;
	return true;
}

/* Order of path elements: fields, then keys, then values, then indices; then by text. */
static int elem_rank(const char *k)
{
	switch (k[0]) {
	case 'f':
		return 0;
	case 'k':
		return 1;
	case 'v':
		return 2;
	default:
		return 3;
	}
}

static int cmp_nodes(const void *a, const void *b)
{
	const fnode *x = *(const fnode *const *)a, *y = *(const fnode *const *)b;
	int r = elem_rank(x->key) - elem_rank(y->key);
	return r ? r : strcmp(x->key, y->key);
}

static void sort_kids(fnode *n)
{
	if (n->n > 1) {
		qsort(n->kids, n->n, sizeof *n->kids, cmp_nodes);
		drop_index(n);
	}
}

cJSON *patch_fs_to_json(const fnode *n)
{
	cJSON *o = cJSON_CreateObject();
	bool kids = false;
	for (size_t i = 0; i < n->n; i++)
		if (!patch_fs_empty(n->kids[i]))
			kids = true;
	if (n->member && kids && n->key)
		cJSON_AddItemToObject(o, ".", cJSON_CreateObject());
	sort_kids((fnode *)n);
	for (size_t i = 0; i < n->n; i++)
		if (!patch_fs_empty(n->kids[i]))
			cJSON_AddItemToObject(o, n->kids[i]->key, patch_fs_to_json(n->kids[i]));
	return o;
}

void patch_fs_union(fnode *dst, const fnode *src)
{
	dst->member = dst->member || src->member;
	for (size_t i = 0; i < src->n; i++)
		patch_fs_union(patch_fs_child(dst, src->kids[i]->key, true), src->kids[i]);
}

static void diff_into(fnode *out, const fnode *a, const fnode *b)
{
	out->member = a->member && !(b && b->member);
	for (size_t i = 0; i < a->n; i++) {
		const fnode *bk = b ? patch_fs_child((fnode *)b, a->kids[i]->key, false) : NULL;
		fnode *ok = patch_fs_child(out, a->kids[i]->key, true);
		diff_into(ok, a->kids[i], bk);
	}
}

fnode *patch_fs_diff(const fnode *a, const fnode *b)
{
	fnode *out = patch_fs_new(a->key);
	diff_into(out, a, b);
	patch_fs_prune(out);
	return out;
}

static void intersect_into(fnode *out, const fnode *a, const fnode *b)
{
	out->member = a->member && b->member;
	for (size_t i = 0; i < a->n; i++) {
		const fnode *bk = patch_fs_child((fnode *)b, a->kids[i]->key, false);
		if (bk)
			intersect_into(patch_fs_child(out, a->kids[i]->key, true), a->kids[i], bk);
	}
}

fnode *patch_fs_intersect(const fnode *a, const fnode *b)
{
	fnode *out = patch_fs_new(a->key);
	intersect_into(out, a, b);
	patch_fs_prune(out);
	return out;
}

static bool subset(const fnode *a, const fnode *b)
{
	if (a->member && !(b && b->member))
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!subset(a->kids[i],
			    b ? patch_fs_child((fnode *)b, a->kids[i]->key, false) : NULL))
			return false;
	return true;
}

bool patch_fs_equal(const fnode *a, const fnode *b)
{
	return subset(a, b) && subset(b, a);
}

void patch_fs_prune(fnode *n)
{
	size_t w = 0;
	for (size_t i = 0; i < n->n; i++) {
		patch_fs_prune(n->kids[i]);
		if (patch_fs_empty(n->kids[i]))
			patch_fs_free(n->kids[i]);
		else
			n->kids[w++] = n->kids[i];
	}
	if (w != n->n)
		drop_index(n);
	n->n = w;
}

/* value.ToString: strings quoted, numbers and booleans plain. */
static void print_value(buf *b, const cJSON *v)
{
	if (cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v) || cJSON_IsNull(v)) {
		char *s = patch_u_print(v);
		buf_adds(b, s);
		free(s);
		return;
	}
	if (cJSON_IsArray(v)) {
		buf_addc(b, '[');
		for (const cJSON *c = v->child; c; c = c->next) {
			print_value(b, c);
			if (c->next)
				buf_addc(b, ',');
		}
		buf_addc(b, ']');
		return;
	}
	buf_addc(b, '{');
	for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
		buf_addf(b, "%s=", c->string);
		print_value(b, c);
		if (c->next)
			buf_addc(b, ',');
	}
	buf_addc(b, '}');
}

void patch_fs_print_elem(buf *b, const char *key)
{
	if (strncmp(key, "f:", 2) == 0) {
		buf_addf(b, ".%s", key + 2);
	} else if (strncmp(key, "i:", 2) == 0) {
		buf_addf(b, "[%s]", key + 2);
	} else if (strncmp(key, "k:", 2) == 0 || strncmp(key, "v:", 2) == 0) {
		cJSON *v = cJSON_Parse(key + 2);
		buf_addc(b, '[');
		if (key[0] == 'v') {
			buf_addc(b, '=');
			print_value(b, v);
		} else {
			for (const cJSON *c = v ? v->child : NULL; c; c = c->next) {
				buf_addf(b, "%s=", c->string);
				print_value(b, c);
				if (c->next)
					buf_addc(b, ',');
			}
		}
		buf_addc(b, ']');
		cJSON_Delete(v);
	} else {
		buf_adds(b, key);
	}
}

static void each(const fnode *n, buf *path, void (*cb)(void *, const char *), void *ctx)
{
	size_t mark = path->len;
	if (n->key)
		patch_fs_print_elem(path, n->key);
	if (n->member)
		cb(ctx, buf_str(path));
	sort_kids((fnode *)n);
	for (size_t i = 0; i < n->n; i++)
		each(n->kids[i], path, cb, ctx);
	path->len = mark;
	if (path->data)
		path->data[mark] = '\0';
}

void patch_fs_each_member(const fnode *n, void (*cb)(void *ctx, const char *path), void *ctx)
{
	buf path;
	buf_init(&path, 1 << 20);
	each(n, &path, cb, ctx);
	buf_release(&path);
}
