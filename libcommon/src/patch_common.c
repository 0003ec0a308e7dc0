/* patch: shared JSON helpers for the patch module. */
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "patch_int.h"

cJSON *pi_dup(const cJSON *v)
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

bool pi_equal(const cJSON *a, const cJSON *b)
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
			if (!pi_equal(x, y))
				return false;
		return !x && !y;
	}
	case cJSON_Object: {
		int na = 0, nb = 0;
		for (const cJSON *x = a->child; x; x = x->next) {
			na++;
			const cJSON *y = pi_get(b, x->string);
			if (!y || !pi_equal(x, y))
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

int pi_depth(const cJSON *v, int limit)
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

cJSON *pi_get(const cJSON *obj, const char *key)
{
	if (!cJSON_IsObject(obj) || !key)
		return NULL;
	for (cJSON *c = obj->child; c; c = c->next)
		if (c->string && strcmp(c->string, key) == 0)
			return c;
	return NULL;
}

void pi_delete_key(cJSON *obj, const char *key)
{
	cJSON *c = pi_get(obj, key);
	if (c)
		cJSON_Delete(cJSON_DetachItemViaPointer(obj, c));
}

void pi_set(cJSON *obj, const char *key, cJSON *v)
{
	if (pi_get(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v);
	else
		cJSON_AddItemToObject(obj, key, v);
}

char *pi_print(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);
	return s ? s : xstrdup("null");
}
