/* patch: shared JSON helpers for the patch module. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "patch_int.h"

cJSON *patch_u_dup(const cJSON *v)
{
	if (!v)
		return NULL;
	cJSON *d = cJSON_Duplicate(v, 1);
	if (!d) {
		/* cJSON_Duplicate fails only on allocation (fatal in xmalloc) or on depth beyond
		 * CJSON_NESTING_LIMIT, which parsed input cannot reach. */
		return cJSON_CreateNull();
	}
	return d;
}

bool patch_u_equal(const cJSON *a, const cJSON *b)
{
	if (!a || !b)
		return a == b;
	int ta = a->type & 0xff, tb = b->type & 0xff;
	if (ta != tb)
		return false;
	switch (ta) {
	case cJSON_False:
	case cJSON_True:
	case cJSON_NULL:
		return true;
	case cJSON_Number:
		return a->valuedouble == b->valuedouble;
	case cJSON_String:
		return strcmp(a->valuestring ? a->valuestring : "",
			      b->valuestring ? b->valuestring : "") == 0;
	case cJSON_Array: {
		const cJSON *x = a->child, *y = b->child;
		for (; x && y; x = x->next, y = y->next)
			if (!patch_u_equal(x, y))
				return false;
		return !x && !y;
	}
	case cJSON_Object: {
		int na = 0, nb = 0;
		for (const cJSON *x = a->child; x; x = x->next) {
			na++;
			const cJSON *y = json_get(b, x->string);
			if (!y || !patch_u_equal(x, y))
				return false;
		}
		for (const cJSON *y = b->child; y; y = y->next)
			nb++;
		return na == nb;
	}
	default:
		return false;
	}
}

int patch_u_depth(const cJSON *v, int limit)
{
	/* Iterative walk with an explicit stack of (node) pointers per level. */
	if (!v)
		return 0;
	const cJSON **stack = xmalloc(sizeof *stack * (size_t)(limit + 2));
	int top = 0, max = 0;
	stack[0] = v;
	const cJSON *cur = v;
	/* depth-first: descend to child, else next sibling, else pop */
	for (;;) {
		if (top + 1 > max)
			max = top + 1;
		if (max > limit)
			break;
		if ((cJSON_IsArray(cur) || cJSON_IsObject(cur)) && cur->child) {
			stack[++top] = cur->child;
			cur = cur->child;
			continue;
		}
		while (top > 0 && !stack[top]->next)
			top--;
		if (top == 0)
			break;
		stack[top] = stack[top]->next;
		cur = stack[top];
	}
	free(stack);
	return max;
}

char *patch_u_print(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);
	return s ? s : xstrdup("null");
}

/* ---- hashed index of strings (first occurrence wins) ---- */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void patch_kx_init(patch_kindex *x, size_t n)
{
	x->cap = 16;
	while (x->cap < 2 * n + 2)
		x->cap <<= 1;
	x->keys = xcalloc(x->cap, sizeof *x->keys);
	x->pos = xcalloc(x->cap, sizeof *x->pos);
	x->n = 0;
}

void patch_kx_free(patch_kindex *x)
{
	for (size_t i = 0; i < x->cap; i++)
		free(x->keys[i]);
	free(x->keys);
	free(x->pos);
	memset(x, 0, sizeof *x);
}

long patch_kx_get(const patch_kindex *x, const char *k)
{
	for (size_t i = fnv1a(k) & (x->cap - 1); x->keys[i]; i = (i + 1) & (x->cap - 1))
		if (strcmp(x->keys[i], k) == 0)
			return x->pos[i];
	return -1;
}

/* Record k at position p unless k is already there (first occurrence wins). */
void patch_kx_add(patch_kindex *x, const char *k, long p)
{
	if (patch_kx_get(x, k) >= 0)
		return;
	if (2 * (x->n + 1) >= x->cap) {
		patch_kindex bigger;
		patch_kx_init(&bigger, x->cap);
		for (size_t i = 0; i < x->cap; i++)
			if (x->keys[i])
				patch_kx_add(&bigger, x->keys[i], x->pos[i]);
		patch_kx_free(x);
		*x = bigger;
	}
	size_t i = fnv1a(k) & (x->cap - 1);
	while (x->keys[i])
		i = (i + 1) & (x->cap - 1);
	x->keys[i] = xstrdup(k);
	x->pos[i] = p;
	x->n++;
}

/* ---- object member index ---- */

enum { OIX_MIN = 32 };

void patch_oix_init(patch_oix *o, cJSON *obj)
{
	memset(o, 0, sizeof *o);
	o->obj = obj;
	if (!cJSON_IsObject(obj) || cJSON_GetArraySize(obj) < OIX_MIN)
		return;
	o->on = true;
	size_t n = (size_t)cJSON_GetArraySize(obj);
	patch_kx_init(&o->x, n);
	o->cap = n + 8;
	o->items = xcalloc(o->cap, sizeof *o->items);
	for (cJSON *c = obj->child; c; c = c->next)
		if (c->string && patch_kx_get(&o->x, c->string) < 0) {
			patch_kx_add(&o->x, c->string, (long)o->n);
			o->items[o->n++] = c;
		}
}

cJSON *patch_oix_get(const patch_oix *o, const char *key)
{
	if (!o->on)
		return json_get(o->obj, key);
	long i = patch_kx_get(&o->x, key);
	return i >= 0 ? o->items[i] : NULL;
}

void patch_oix_put(patch_oix *o, const char *key, cJSON *item)
{
	if (!o->on)
		return;
	long i = patch_kx_get(&o->x, key);
	if (i >= 0) {
		o->items[i] = item;
		return;
	}
	if (o->n == o->cap) {
		o->cap *= 2;
		o->items = xrealloc(o->items, o->cap * sizeof *o->items);
	}
	patch_kx_add(&o->x, key, (long)o->n);
	o->items[o->n++] = item;
}

void patch_oix_free(patch_oix *o)
{
	if (o->on) {
		patch_kx_free(&o->x);
		free(o->items);
	}
	memset(o, 0, sizeof *o);
}

void patch_oix_set(patch_oix *o, const char *key, cJSON *v)
{
	cJSON *cur = patch_oix_get(o, key);
	if (cur) {
		if (v->string && !(v->type & cJSON_StringIsConst))
			free(v->string);
		v->type &= ~cJSON_StringIsConst;
		v->string = xstrdup(key);
		cJSON_ReplaceItemViaPointer(o->obj, cur, v);
	} else {
		cJSON_AddItemToObject(o->obj, key, v);
	}
	patch_oix_put(o, key, v);
}

void patch_oix_delete(patch_oix *o, const char *key)
{
	cJSON *cur = patch_oix_get(o, key);
	if (!cur)
		return;
	cJSON_Delete(cJSON_DetachItemViaPointer(o->obj, cur));
	patch_oix_put(o, key, NULL);
}
