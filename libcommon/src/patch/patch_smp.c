/* patch: strategic merge patch, after k8s.io/apimachinery/pkg/util/strategicpatch
 * (StrategicMergeMapPatch with MergeParallelList and IgnoreUnmatchedNulls, as the API server
 * and `kubectl patch` apply it). The algorithm, the list ordering rules ($setElementOrder,
 * then patch order, then live order; Go's stable sort with its "not found sorts first"
 * comparison) and the error wording are the upstream ones, re-expressed on owned cJSON trees:
 * every merge function below consumes the original and patch values it is given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/mem.h"
#include "patch_int.h"

#define DIRECTIVE "$patch"
#define RETAIN_KEYS "$retainKeys"
#define DELETE_PRIMITIVE "$deleteFromPrimitiveList"
#define SET_ORDER "$setElementOrder"

enum { MSG_CAP = 1500 };

/* ---- Go-like value kinds and formatting ---- */

typedef enum gkind { GK_NIL, GK_MAP, GK_SLICE, GK_STRING, GK_NUMBER, GK_BOOL } gkind;

static gkind kind_of(const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return GK_NIL;
	if (cJSON_IsObject(v))
		return GK_MAP;
	if (cJSON_IsArray(v))
		return GK_SLICE;
	if (cJSON_IsString(v))
		return GK_STRING;
	if (cJSON_IsNumber(v))
		return GK_NUMBER;
	return GK_BOOL;
}

static const char *kind_name(gkind k)
{
	static const char *names[] = {"invalid", "map", "slice", "string", "float64", "bool"};
	return names[k];
}

/* Go interface equality for JSON scalars (maps and slices compare deeply here, where Go
 * would panic). */
static bool iface_eq(const cJSON *a, const cJSON *b)
{
	gkind ka = kind_of(a), kb = kind_of(b);
	if (ka != kb)
		return false;
	if (ka == GK_NIL)
		return true;
	return patch_u_equal(a, b);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* fmt's %v of a decoded JSON value: map[a:1 b:[x y]]. */
static void fmt_v(buf *b, const cJSON *v, int depth)
{
	if (depth > 20) {
		buf_adds(b, "...");
		return;
	}
	switch (kind_of(v)) {
	case GK_NIL:
		buf_adds(b, "<nil>");
		break;
	case GK_STRING:
		buf_adds(b, v->valuestring);
		break;
	case GK_BOOL:
		buf_adds(b, cJSON_IsTrue(v) ? "true" : "false");
		break;
	case GK_NUMBER: {
		double d = v->valuedouble;
		if (d == (double)(long long)d && d < 1e15 && d > -1e15)
			buf_addf(b, "%lld", (long long)d);
		else
			buf_addf(b, "%g", d);
		break;
	}
	case GK_SLICE:
		buf_addc(b, '[');
		for (const cJSON *c = v->child; c; c = c->next) {
			fmt_v(b, c, depth + 1);
			if (c->next)
				buf_addc(b, ' ');
		}
		buf_addc(b, ']');
		break;
	case GK_MAP: {
		int n = cJSON_GetArraySize(v), i = 0;
		const cJSON **kids = xmalloc(sizeof *kids * (size_t)(n ? n : 1));
		for (const cJSON *c = v->child; c; c = c->next)
			kids[i++] = c;
		qsort(kids, (size_t)n, sizeof *kids, cmp_keys);
		buf_adds(b, "map[");
		for (i = 0; i < n; i++) {
			buf_addf(b, "%s%s:", i ? " " : "", kids[i]->string);
			fmt_v(b, kids[i], depth + 1);
		}
		buf_addc(b, ']');
		free(kids);
		break;
	}
	}
}

static char *fmt_str(const cJSON *v)
{
	buf b;
	buf_init(&b, 600);
	fmt_v(&b, v, 0);
	return buf_detach(&b, NULL);
}

static int err_no_merge_key(err *e, const cJSON *m, const char *key)
{
	char *s = fmt_str(m);
	err_fail(e, PATCH_REASON, "map: %s does not contain declared merge key: %s", s, key);
	free(s);
	return -1;
}

static int err_bad_arg_type(err *e, gkind expected, const cJSON *actual)
{
	return err_fail(e, PATCH_REASON, "expected a %s, but received a %s", kind_name(expected),
			kind_name(kind_of(actual)));
}

/* ---- vectors of owned items ---- */

typedef struct vec {
	cJSON **v;
	size_t n, cap;
} vec;

static void vec_push(vec *a, cJSON *x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 8;
		a->v = xrealloc(a->v, a->cap * sizeof *a->v);
	}
	a->v[a->n++] = x;
}

static void vec_free(vec *a)
{
	for (size_t i = 0; i < a->n; i++)
		cJSON_Delete(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

/* Take the items of an array (which is freed). */
static vec vec_take(cJSON *arr)
{
	vec a = {0};
	while (arr && arr->child)
		vec_push(&a, cJSON_DetachItemViaPointer(arr, arr->child));
	cJSON_Delete(arr);
	return a;
}

static cJSON *vec_give(vec *a)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < a->n; i++)
		cJSON_AddItemToArray(arr, a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
	return arr;
}

/* A fmt %v of a list of (borrowed) items. */
static char *fmt_vec(cJSON *const *v, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemReferenceToArray(arr, v[i]);
	char *s = fmt_str(arr);
	cJSON_Delete(arr);
	return s;
}

/* ---- Go's sort.SliceStable (insertion sort in blocks of 20, then SymMerge) ----
 * Items carry their position in the order list (-1: absent); less() is upstream's:
 * "a before b when both are found and a's position is smaller, else true". */

typedef struct sitem {
	cJSON *v;
	long pos;
} sitem;

typedef struct sorter {
	sitem *v;
} sorter;

static bool s_less(const sorter *s, size_t i, size_t j)
{
	if (s->v[i].pos >= 0 && s->v[j].pos >= 0)
		return s->v[i].pos < s->v[j].pos;
	return true;
}

static void s_swap(sorter *s, size_t i, size_t j)
{
	sitem t = s->v[i];
	s->v[i] = s->v[j];
	s->v[j] = t;
}

static void insertion_sort(sorter *s, size_t a, size_t b)
{
	for (size_t i = a + 1; i < b; i++)
		for (size_t j = i; j > a && s_less(s, j, j - 1); j--)
			s_swap(s, j, j - 1);
}

static void swap_range(sorter *s, size_t a, size_t b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s_swap(s, a + i, b + i);
}

static void rotate(sorter *s, size_t a, size_t m, size_t b)
{
	size_t i = m - a, j = b - m;
	while (i != j) {
		if (i > j) {
			swap_range(s, m - i, m, j);
			i -= j;
		} else {
			swap_range(s, m - i, m + j - i, i);
			j -= i;
		}
	}
	swap_range(s, m - i, m, i);
}

static void sym_merge(sorter *s, size_t a, size_t m, size_t b)
{
	if (m - a == 1) {
		size_t i = m, j = b;
		while (i < j) {
			size_t h = (i + j) / 2;
			if (s_less(s, h, a))
				i = h + 1;
			else
				j = h;
		}
		for (size_t k = a; k < i - 1; k++)
			s_swap(s, k, k + 1);
		return;
	}
	if (b - m == 1) {
		size_t i = a, j = m;
		while (i < j) {
			size_t h = (i + j) / 2;
			if (!s_less(s, m, h))
				i = h + 1;
			else
				j = h;
		}
		for (size_t k = m; k > i; k--)
			s_swap(s, k, k - 1);
		return;
	}
	size_t mid = (a + b) / 2, n = mid + m, start, r;
	if (m > mid) {
		start = n - b;
		r = mid;
	} else {
		start = a;
		r = m;
	}
	size_t p = n - 1;
	while (start < r) {
		size_t c = (start + r) / 2;
		if (!s_less(s, p - c, c))
			start = c + 1;
		else
			r = c;
	}
	size_t end = n - start;
	if (start < m && m < end)
		rotate(s, start, m, end);
	if (a < start && start < mid)
		sym_merge(s, a, start, mid);
	if (mid < end && end < b)
		sym_merge(s, mid, end, b);
}

static void stable_sort(sorter *s, size_t n)
{
	size_t block = 20, a = 0, b = block;
	while (b <= n) {
		insertion_sort(s, a, b);
		a = b;
		b += block;
	}
	insertion_sort(s, a, n);
	while (block < n) {
		a = 0;
		b = 2 * block;
		while (b <= n) {
			sym_merge(s, a, a + block, b);
			a = b;
			b += 2 * block;
		}
		if (a + block < n)
			sym_merge(s, a, a + block, n);
		block *= 2;
	}
}

/* ---- list helpers ---- */

/* ---- an index of list items by merge key value (maps) or by value (primitives) ----
 * Values are compared by their compact JSON text, which matches Go's interface equality for
 * the scalars merge keys are; lookups are hashed so that large lists stay linear. */

/* The key text of an item, or NULL when a map item has no merge key (it never matches). */
static char *canon(const cJSON *item, const char *key, gkind kind)
{
	if (kind == GK_MAP) {
		const cJSON *v = cJSON_IsObject(item) ? json_get(item, key) : NULL;
		return v ? patch_u_print(v) : NULL;
	}
	return patch_u_print(item);
}

static void kx_build(patch_kindex *x, cJSON *const *l, size_t n, const char *key, gkind kind)
{
	patch_kx_init(x, n);
	for (size_t i = 0; i < n; i++) {
		char *c = canon(l[i], key, kind);
		if (c)
			patch_kx_add(x, c, (long)i);
		free(c);
	}
}

/* index(): the position of item in the indexed list, or -1. */
static long kx_find(const patch_kindex *x, const cJSON *item, const char *key, gkind kind)
{
	char *c = canon(item, key, kind);
	long r = c ? patch_kx_get(x, c) : -1;
	free(c);
	return r;
}

static bool has_directive(const cJSON *v, const char *which)
{
	const cJSON *d = json_get(v, DIRECTIVE);
	if (!d)
		return false;
	return !which || (cJSON_IsString(d) && strcmp(d->valuestring, which) == 0);
}

static int validate_merge_keys(const char *key, cJSON *const *l, size_t n, err *e)
{
	for (size_t i = 0; i < n; i++) {
		if (!cJSON_IsObject(l[i]))
			return err_bad_arg_type(e, GK_MAP, l[i]);
		if (!json_get(l[i], key))
			return err_no_merge_key(e, l[i], key);
	}
	return 0;
}

/* normalizeSliceOrder: sort a (owned items) by order; for maps, $patch: delete items go last. */
static int normalize_slice_order(vec *a, cJSON *const *order, size_t order_n, const char *key,
				 gkind kind, err *e)
{
	vec del = {0};
	if (kind == GK_MAP) {
		if (validate_merge_keys(key, a->v, a->n, e) < 0 ||
		    validate_merge_keys(key, order, order_n, e) < 0)
			return -1;
		vec keep = {0};
		for (size_t i = 0; i < a->n; i++)
			vec_push(has_directive(a->v[i], "delete") ? &del : &keep, a->v[i]);
		free(a->v);
		*a = keep;
	}
	patch_kindex x;
	kx_build(&x, order, order_n, key, kind);
	sitem *items = xcalloc(a->n + 1, sizeof *items);
	for (size_t i = 0; i < a->n; i++) {
		items[i].v = a->v[i];
		items[i].pos = kx_find(&x, a->v[i], key, kind);
	}
	sorter s = {items};
	stable_sort(&s, a->n);
	for (size_t i = 0; i < a->n; i++)
		a->v[i] = items[i].v;
	free(items);
	patch_kx_free(&x);
	for (size_t i = 0; i < del.n; i++)
		vec_push(a, del.v[i]);
	free(del.v);
	return 0;
}

/* normalizeElementOrder: sort both parts and interleave them by the server order. The result
 * takes the items of patch and server_only. */
static int normalize_element_order(vec *patch, vec *server_only, cJSON *const *patch_order,
				   size_t patch_order_n, cJSON *const *server_order,
				   size_t server_order_n, const char *key, gkind kind, vec *out,
				   err *e)
{
	if (normalize_slice_order(patch, patch_order, patch_order_n, key, kind, e) < 0 ||
	    normalize_slice_order(server_only, server_order, server_order_n, key, kind, e) < 0)
		return -1;
	size_t i = 0, j = 0, size = server_only->n + patch->n;
	vec all = {0};
	patch_kindex x;
	kx_build(&x, server_order, server_order_n, key, kind);
	for (size_t k = 0; k < size; k++) {
		if (i >= server_only->n && j < patch->n) {
			vec_push(&all, patch->v[j++]);
		} else if (j >= patch->n && i < server_only->n) {
			vec_push(&all, server_only->v[i++]);
		} else {
			long li = kx_find(&x, server_only->v[i], key, kind);
			long ri = kx_find(&x, patch->v[j], key, kind);
			if (li >= 0 && ri >= 0 && li < ri)
				vec_push(&all, server_only->v[i++]);
			else
				vec_push(&all, patch->v[j++]);
		}
	}
	patch_kx_free(&x);
	free(patch->v);
	free(server_only->v);
	patch->v = server_only->v = NULL;
	patch->n = server_only->n = 0;
	*out = all;
	return 0;
}

/* sliceElementType over two lists; -1 on error. */
static int slice_elem_kind(cJSON *const *a, size_t an, cJSON *const *b, size_t bn, gkind *out,
			   err *e)
{
	gkind prev = GK_NIL;
	bool have = false;
	for (int pass = 0; pass < 2; pass++) {
		cJSON *const *l = pass ? b : a;
		size_t n = pass ? bn : an;
		for (size_t i = 0; i < n; i++) {
			gkind k = kind_of(l[i]);
			if (!have || prev == GK_NIL) {
				prev = k;
				have = k != GK_NIL;
				if (k == GK_SLICE)
					return err_fail(e, PATCH_REASON,
							"lists of lists are not supported");
			} else if (k != prev) {
				char *sa = fmt_vec(a, an), *sb = fmt_vec(b, bn);
				err_fail(e, PATCH_REASON,
					 "list element types are not identical: [%s %s]", sa, sb);
				free(sa);
				free(sb);
				return -1;
			}
		}
	}
	if (!have)
		return err_fail(e, PATCH_REASON, "no elements in any of the given slices");
	*out = prev;
	return 0;
}

/* Split merged into items present in `by` and the rest (by merge key for maps). */
static int partition(vec *merged, cJSON *const *by, size_t by_n, const char *key, gkind kind,
		     vec *in, vec *rest, err *e)
{
	/* Check everything first, so that an error leaves merged owning all its items. */
	if (kind == GK_MAP && merged->n > 0) {
		for (size_t i = 0; i < merged->n; i++) {
			cJSON *v = merged->v[i];
			if (!cJSON_IsObject(v))
				return err_bad_arg_type(e, GK_MAP, v);
			if (!json_get(v, key))
				return err_no_merge_key(e, v, key);
		}
		for (size_t j = 0; j < by_n; j++)
			if (!cJSON_IsObject(by[j]))
				return err_fail(e, PATCH_REASON, "value for key %zu is not a map.",
						j);
	}
	patch_kindex x;
	kx_build(&x, by, by_n, key, kind);
	for (size_t i = 0; i < merged->n; i++)
		vec_push(kx_find(&x, merged->v[i], key, kind) >= 0 ? in : rest, merged->v[i]);
	patch_kx_free(&x);
	free(merged->v);
	merged->v = NULL;
	merged->n = merged->cap = 0;
	return 0;
}

static cJSON *merge_map(cJSON *orig, cJSON *patch, pschema s, int depth, err *e);
static bool remove_directives(cJSON *v, int depth);

/* All items of l must be maps (findMapInSliceBasedOnKeyValue). */
static int all_maps(const vec *l, err *e)
{
	for (size_t i = 0; i < l->n; i++)
		if (!cJSON_IsObject(l->v[i]))
			return err_fail(e, PATCH_REASON, "value for key %zu is not a map.", i);
	return 0;
}

/* Drop the items of l whose key (merge key value, or value) is in x. */
static void drop_indexed(vec *l, const patch_kindex *x, const char *key, gkind kind)
{
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (kx_find(x, l->v[i], key, kind) >= 0)
			cJSON_Delete(l->v[i]);
		else
			l->v[w++] = l->v[i];
	}
	l->n = w;
}

/* The capacity Go gives a []interface{} built by appending n items one by one (as JSON
 * decoding does): growslice doubling up to 256, then growth by a quarter plus 192, rounded
 * to the allocator's size classes for 16-byte elements. */
static size_t go_append_cap(size_t n)
{
	static const size_t classes[] = {9472,  9728,  10240, 10880, 12288, 13568, 14336, 16384,
					 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};
	size_t cap = 0;
	while (cap < n) {
		size_t nc = cap < 256 ? (cap ? cap * 2 : 1) : cap + (cap + 3 * 256) / 4;
		size_t bytes = nc * 16, rounded = bytes;
		if (bytes > 8192 && bytes <= 32768) {
			for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
				if (classes[i] >= bytes) {
					rounded = classes[i];
					break;
				}
		} else if (bytes > 32768) {
			rounded = (bytes + 8191) / 8192 * 8192;
		}
		cap = rounded / 16;
	}
	return cap;
}

/* Go's scalar merge, step by step: `both := append(original, patch...)` shares original's
 * backing array when its spare capacity suffices, and deduplicateScalars then reorders `both`
 * in place (it moves the last item into each duplicate's slot), so the original list that
 * later gives the server order sees those moves. The simulation works on borrowed pointers
 * into a pool of copies: s[0, len) is the deduplicated list, s[0, n) what the original list
 * looks like afterwards when alias is set. */
typedef struct scalar_sim {
	vec pool;
	cJSON **s;
	size_t len;
	bool alias;
} scalar_sim;

static void scalar_sim_run(scalar_sim *x, cJSON *const *o, size_t n, cJSON *const *p, size_t m)
{
	memset(x, 0, sizeof *x);
	for (size_t i = 0; i < n; i++)
		vec_push(&x->pool, patch_u_dup(o[i]));
	for (size_t i = 0; i < m; i++)
		vec_push(&x->pool, patch_u_dup(p[i]));
	x->s = xcalloc(n + m + 1, sizeof *x->s);
	memcpy(x->s, x->pool.v, (n + m) * sizeof *x->s);
	x->alias = n > 0 && n + m <= go_append_cap(n);
	x->len = n + m;
	if (x->len == 0)
		return;
	if (x->len > 4096) {
		/* too long for the quadratic original: keep first occurrences (same set) */
		patch_kindex k;
		patch_kx_init(&k, x->len);
		size_t w = 0;
		for (size_t i = 0; i < x->len; i++) {
			char *c = patch_u_print(x->s[i]);
			if (patch_kx_get(&k, c) < 0) {
				patch_kx_add(&k, c, (long)i);
				x->s[w++] = x->s[i];
			}
			free(c);
		}
		x->len = w;
		patch_kx_free(&k);
		return;
	}
	size_t length = x->len - 1;
	for (size_t i = 0; i < length; i++) {
		for (size_t j = i + 1; j <= length; j++) {
			if (iface_eq(x->s[i], x->s[j])) {
				x->s[j] = x->s[length];
				length--;
				j--;
			}
		}
	}
	x->len = length + 1;
}

static void scalar_sim_free(scalar_sim *x)
{
	vec_free(&x->pool);
	free(x->s);
	memset(x, 0, sizeof *x);
}

/* mergeSlice: consumes orig and patch, fills out. */
static int merge_slice(vec *orig, vec *patch, const char *key, bool is_delete, pschema items,
		       int depth, vec *out, err *e)
{
	int rc = -1;
	if (orig->n == 0 && patch->n == 0) {
		*out = *orig;
		memset(orig, 0, sizeof *orig);
		return 0;
	}
	gkind kind;
	scalar_sim sim = {0};
	cJSON **server = NULL; /* the server order when Go's aliasing changed it */
	if (slice_elem_kind(orig->v, orig->n, patch->v, patch->n, &kind, e) < 0)
		goto fail;
	vec merged = {0};
	if (kind != GK_MAP) {
		if (is_delete) {
			patch_kindex x;
			kx_build(&x, patch->v, patch->n, NULL, kind);
			drop_indexed(orig, &x, NULL, kind);
			patch_kx_free(&x);
			*out = *orig;
			memset(orig, 0, sizeof *orig);
			vec_free(patch);
			return 0;
		}
		scalar_sim_run(&sim, orig->v, orig->n, patch->v, patch->n);
		for (size_t i = 0; i < sim.len; i++)
			vec_push(&merged, patch_u_dup(sim.s[i]));
		if (sim.alias)
			server = sim.s;
	} else {
		if (!key || !*key) {
			err_fail(e, PATCH_REASON,
				 "cannot merge lists without merge key for type %s", "struct");
			goto fail;
		}
		/* mergeSliceWithSpecialElements */
		vec plain = {0};
		bool replace = false;
		patch_kindex dels;
		patch_kx_init(&dels, patch->n);
		for (size_t i = 0; i < patch->n; i++) {
			cJSON *v = patch->v[i];
			const cJSON *d = json_get(v, DIRECTIVE);
			if (!d) {
				vec_push(&plain, v);
				continue;
			}
			const char *ds = cJSON_IsString(d) ? d->valuestring : "";
			if (strcmp(ds, "delete") == 0) {
				const cJSON *mv = json_get(v, key);
				if (!mv) {
					err_no_merge_key(e, v, key);
					free(plain.v);
					patch_kx_free(&dels);
					goto fail;
				}
				char *c = patch_u_print(mv);
				patch_kx_add(&dels, c, (long)i);
				free(c);
			} else if (strcmp(ds, "replace") == 0) {
				replace = true;
			} else if (strcmp(ds, "merge") == 0) {
				err_fail(e, PATCH_REASON,
					 "merging lists cannot yet be specified in the patch");
				free(plain.v);
				patch_kx_free(&dels);
				goto fail;
			} else {
				char *m = fmt_str(v), *t = fmt_str(d);
				err_fail(e, PATCH_REASON, "unknown patch type: %s in map: %s", t,
					 m);
				free(m);
				free(t);
				free(plain.v);
				patch_kx_free(&dels);
				goto fail;
			}
		}
		/* deleteMatchingEntries: every entry whose merge key a delete item names */
		if (dels.n > 0) {
			if (all_maps(orig, e) < 0) {
				free(plain.v);
				patch_kx_free(&dels);
				goto fail;
			}
			drop_indexed(orig, &dels, key, GK_MAP);
		}
		patch_kx_free(&dels);
		/* The special items stay in `patch` for freeing; plain borrows the others. Make
		 * plain own copies so that orig/patch bookkeeping stays simple. */
		vec p2 = {0};
		for (size_t i = 0; i < plain.n; i++)
			vec_push(&p2, patch_u_dup(plain.v[i]));
		free(plain.v);
		vec_free(patch);
		*patch = p2;
		if (replace) {
			vec_free(orig);
			*orig = *patch;
			memset(patch, 0, sizeof *patch);
		}
		/* mergeSliceWithoutSpecialElements, on copies of orig (kept as server order) */
		for (size_t i = 0; i < orig->n; i++)
			vec_push(&merged, patch_u_dup(orig->v[i]));
		if (patch->n > 0 && all_maps(&merged, e) < 0) {
			vec_free(&merged);
			goto fail;
		}
		patch_kindex mx;
		kx_build(&mx, merged.v, merged.n, key, GK_MAP);
		for (size_t i = 0; i < patch->n; i++) {
			cJSON *v = patch->v[i];
			const cJSON *mv = json_get(v, key);
			if (!mv) {
				err_no_merge_key(e, v, key);
				vec_free(&merged);
				patch_kx_free(&mx);
				goto fail;
			}
			long at = kx_find(&mx, v, key, GK_MAP);
			if (at >= 0) {
				cJSON *m = merge_map(merged.v[at], patch_u_dup(v), items, depth + 1,
						     e);
				if (!m) {
					merged.v[at] = cJSON_CreateNull();
					vec_free(&merged);
					patch_kx_free(&mx);
					goto fail;
				}
				merged.v[at] = m;
			} else {
				char *c = patch_u_print(mv);
				patch_kx_add(&mx, c, (long)merged.n);
				free(c);
				vec_push(&merged, patch_u_dup(v));
			}
		}
		patch_kx_free(&mx);
	}
	vec in = {0}, rest = {0};
	if (partition(&merged, patch->v, patch->n, key, kind, &in, &rest, e) < 0) {
		vec_free(&merged);
		vec_free(&in);
		vec_free(&rest);
		goto fail;
	}
	if (normalize_element_order(&in, &rest, patch->v, patch->n, server ? server : orig->v,
				    orig->n, key, kind, out, e) < 0) {
		vec_free(&in);
		vec_free(&rest);
		goto fail;
	}
	rc = 0;
fail:
	scalar_sim_free(&sim);
	vec_free(orig);
	vec_free(patch);
	return rc;
}

/* mergeSliceHandler: consumes both arrays; returns the merged array or NULL. */
static cJSON *merge_slice_handler(cJSON *orig, cJSON *patch, const patch_field_info *fi,
				  pschema items, bool is_delete, int depth, err *e)
{
	if (!cJSON_IsArray(orig) || !cJSON_IsArray(patch)) {
		err_bad_arg_type(e, GK_SLICE, cJSON_IsArray(orig) ? patch : orig);
		cJSON_Delete(orig);
		cJSON_Delete(patch);
		return NULL;
	}
	if (!(fi->strategy & PATCH_STRATEGY_MERGE)) {
		cJSON_Delete(orig);
		return patch;
	}
	vec o = vec_take(orig), p = vec_take(patch), out = {0};
	if (merge_slice(&o, &p, fi->merge_key, is_delete, items, depth, &out, e) < 0) {
		vec_free(&out);
		return NULL;
	}
	return vec_give(&out);
}

/* extractKey: "<prefix>/<key>" -> key. */
static int extract_key(const char *s, const char *prefix, const char **out, err *e)
{
	const char *slash = strchr(s, '/');
	size_t pl = strlen(prefix);
	if (!slash || (size_t)(slash - s) != pl || strncmp(s, prefix, pl) != 0) {
		if (strcmp(prefix, DELETE_PRIMITIVE) == 0)
			return err_fail(e, PATCH_REASON, "invalid patch format of primitive list");
		return err_fail(e, PATCH_REASON, "invalid patch format of setElementOrder list");
	}
	*out = slash + 1;
	return 0;
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* validatePatchWithSetOrderList */
static int validate_set_order(const cJSON *patch_list, const cJSON *order, const char *key, err *e)
{
	if (!cJSON_IsArray(order) || (patch_list && !cJSON_IsArray(patch_list)))
		return err_fail(e, PATCH_REASON, "invalid patch format of setElementOrder list");
	int pn = patch_list ? cJSON_GetArraySize(patch_list) : 0;
	int on = cJSON_GetArraySize(order);
	if (pn == 0 || on == 0)
		return 0;
	vec keep = {0};
	for (cJSON *v = patch_list->child; v; v = v->next) {
		if (key && *key) {
			if (!cJSON_IsObject(v)) {
				free(keep.v);
				return err_bad_arg_type(e, GK_MAP, v);
			}
			if (has_directive(v, "delete"))
				continue;
		}
		vec_push(&keep, v);
	}
	size_t pi = 0;
	const cJSON *o = order->child;
	while (pi < keep.n && o) {
		if (has_directive(keep.v[pi], NULL)) {
			pi++;
			continue;
		}
		bool eq;
		if (key && *key) {
			if (!cJSON_IsObject(keep.v[pi]) || !cJSON_IsObject(o)) {
				err_bad_arg_type(e, GK_MAP, cJSON_IsObject(o) ? keep.v[pi] : o);
				free(keep.v);
				return -1;
			}
			const cJSON *l = json_get(keep.v[pi], key), *r = json_get(o, key);
			if (!l || !r) {
				err_no_merge_key(e, l ? o : keep.v[pi], key);
				free(keep.v);
				return -1;
			}
			eq = iface_eq(l, r);
		} else {
			eq = iface_eq(keep.v[pi], o);
		}
		if (eq)
			pi++;
		o = o->next;
	}
	int rc = 0;
	if (pi < keep.n && !o) {
		char *a = fmt_str(patch_list), *b = fmt_str(order);
		rc = err_fail(e, PATCH_REASON,
			      "The order in patch list:\n%s\n doesn't match %s list:\n%s\n", a,
			      SET_ORDER, b);
		free(a);
		free(b);
	}
	free(keep.v);
	return rc;
}

/* What the original list of a $setElementOrder merge looks like to Go afterwards: mergeSlice
 * deletes items by shifting them inside the list's backing array and appends new items into
 * its spare capacity, and mergePatchIntoOriginal then orders by that same array. Returns n
 * borrowed items (only their merge keys matter). */
static cJSON **go_aliased_order(const vec *o, const vec *p, const char *key)
{
	size_t n = o->n, cap = go_append_cap(n), len = 0;
	cJSON **a = xcalloc(cap + 1, sizeof *a);
	patch_kindex dels, present;
	patch_kx_init(&dels, p->n);
	bool replace = false;
	for (size_t i = 0; i < p->n; i++) {
		const cJSON *d = json_get(p->v[i], DIRECTIVE);
		if (cJSON_IsString(d) && strcmp(d->valuestring, "replace") == 0)
			replace = true;
		if (!cJSON_IsString(d) || strcmp(d->valuestring, "delete") != 0)
			continue;
		char *c = canon(p->v[i], key, GK_MAP);
		if (c)
			patch_kx_add(&dels, c, (long)i);
		free(c);
	}
	/* deleteMatchingEntries shifts the survivors left, in order */
	patch_kx_init(&present, n);
	for (size_t i = 0; i < n; i++) {
		char *c = canon(o->v[i], key, GK_MAP);
		if (!c || patch_kx_get(&dels, c) < 0) {
			a[len++] = o->v[i];
			if (c)
				patch_kx_add(&present, c, (long)i);
		}
		free(c);
	}
	for (size_t i = len; i < n; i++)
		a[i] = len ? a[len - 1] : o->v[i]; /* stale slots: no new first occurrences */
	/* mergeSliceWithoutSpecialElements appends into the spare capacity */
	for (size_t i = 0; !replace && i < p->n && cap; i++) {
		if (json_get(p->v[i], DIRECTIVE))
			continue;
		char *c = canon(p->v[i], key, GK_MAP);
		if (c && patch_kx_get(&present, c) < 0) {
			if (len < cap) {
				a[len++] = p->v[i];
				patch_kx_add(&present, c, (long)len);
			} else {
				cap = 0; /* reallocated: the original array sees no more changes */
			}
		}
		free(c);
	}
	patch_kx_free(&dels);
	patch_kx_free(&present);
	return a;
}

/* mergePatchIntoOriginal: handle every $setElementOrder/<list> of patch. */
static int merge_set_orders(cJSON *orig, cJSON *patch, pschema s, int depth, err *e)
{
	cJSON *c = patch->child;
	while (c) {
		cJSON *next = c->next;
		if (!has_prefix(c->string, SET_ORDER)) {
			c = next;
			continue;
		}
		cJSON *order = cJSON_DetachItemViaPointer(patch, c);
		int rc = -1;
		if (!cJSON_IsArray(order)) {
			err_bad_arg_type(e, GK_SLICE, order);
			goto done;
		}
		const char *okey;
		if (extract_key(order->string, SET_ORDER, &okey, e) < 0)
			goto done;
		cJSON *olist = json_get(orig, okey), *plist = json_get(patch, okey);
		if (olist && !cJSON_IsArray(olist)) {
			err_bad_arg_type(e, GK_SLICE, olist);
			goto done;
		}
		if (plist && !cJSON_IsArray(plist)) {
			err_bad_arg_type(e, GK_SLICE, plist);
			goto done;
		}
		patch_field_info fi;
		pschema fs = patch_s_field(s, okey, &fi);
		const char *key = fi.merge_key ? fi.merge_key : "";
		if (validate_set_order(plist, order, key, e) < 0)
			goto done;
		if (!olist && !plist) {
			rc = 0;
			goto done;
		}
		/* keep copies of the original list (server order) and patch list (kind) */
		cJSON *ocopy = olist ? patch_u_dup(olist) : cJSON_CreateArray();
		cJSON *pcopy = plist ? patch_u_dup(plist) : cJSON_CreateArray();
		cJSON *merged;
		if (olist && !plist) {
			merged = patch_u_dup(olist);
		} else if (!olist && plist) {
			merged = patch_u_dup(plist);
			remove_directives(merged, depth + 1);
		} else {
			merged = merge_slice_handler(patch_u_dup(olist), patch_u_dup(plist), &fi,
						     patch_s_items(fs), false, depth, e);
			if (!merged) {
				cJSON_Delete(ocopy);
				cJSON_Delete(pcopy);
				goto done;
			}
		}
		vec m = vec_take(merged), in = {0}, rest = {0}, ord = vec_take(patch_u_dup(order));
		vec ov = vec_take(ocopy), pv = vec_take(pcopy), out = {0};
		gkind kind = GK_NIL;
		int ok = partition(&m, ord.v, ord.n, key, *key ? GK_MAP : GK_STRING, &in, &rest, e);
		if (ok == 0)
			ok = slice_elem_kind(ov.v, ov.n, pv.v, pv.n, &kind, e);
		cJSON **server = NULL;
		scalar_sim sim = {0};
		bool merging = olist && plist && (fi.strategy & PATCH_STRATEGY_MERGE);
		if (ok == 0 && merging && *key && kind == GK_MAP)
			server = go_aliased_order(&ov, &pv, key);
		if (ok == 0 && merging && kind != GK_MAP) {
			scalar_sim_run(&sim, ov.v, ov.n, pv.v, pv.n);
			if (sim.alias)
				server = sim.s;
		}
		if (ok == 0)
			ok = normalize_element_order(&in, &rest, ord.v, ord.n,
						     server ? server : ov.v, ov.n, key, kind, &out,
						     e);
		if (server && server != sim.s)
			free(server);
		scalar_sim_free(&sim);
		vec_free(&m);
		vec_free(&in);
		vec_free(&rest);
		vec_free(&ord);
		vec_free(&ov);
		vec_free(&pv);
		if (ok < 0) {
			vec_free(&out);
			goto done;
		}
		json_replace(orig, okey, vec_give(&out));
		json_del(patch, okey);
		rc = 0;
	done:
		cJSON_Delete(order);
		if (rc < 0)
			return -1;
		/* the patch may have lost the list member that `next` pointed at */
		c = patch->child;
	}
	return 0;
}

static int apply_retain_keys(cJSON *orig, cJSON *patch, err *e)
{
	cJSON *rk = json_get(patch, RETAIN_KEYS);
	if (!rk)
		return 0;
	rk = cJSON_DetachItemViaPointer(patch, rk);
	int rc = -1;
	if (!cJSON_IsArray(rk)) {
		err_fail(e, PATCH_REASON, "invalid patch format of retainKeys");
		goto out;
	}
	for (cJSON *c = patch->child; c; c = c->next) {
		if (cJSON_IsNull(c) || has_prefix(c->string, DELETE_PRIMITIVE) ||
		    has_prefix(c->string, SET_ORDER))
			continue;
		bool found = false;
		for (cJSON *k = rk->child; k && !found; k = k->next)
			found = cJSON_IsString(k) && strcmp(k->valuestring, c->string) == 0;
		if (!found) {
			err_fail(e, PATCH_REASON, "invalid patch format of retainKeys");
			goto out;
		}
	}
	cJSON *c = orig->child;
	while (c) {
		cJSON *next = c->next;
		bool found = false;
		for (cJSON *k = rk->child; k && !found; k = k->next)
			found = cJSON_IsString(k) && strcmp(k->valuestring, c->string) == 0;
		if (!found)
			cJSON_Delete(cJSON_DetachItemViaPointer(orig, c));
		c = next;
	}
	rc = 0;
out:
	cJSON_Delete(rk);
	return rc;
}

/* removeDirectives: drop maps carrying "$patch" (false: the value itself goes), at any depth
 * of a value that is taken as is. Other directive keys stay, as upstream. */
static bool remove_directives(cJSON *v, int depth)
{
	if (depth > PATCH_MAX_DEPTH)
		return true;
	if (cJSON_IsObject(v)) {
		if (json_get(v, DIRECTIVE))
			return false;
		cJSON *c = v->child;
		while (c) {
			cJSON *next = c->next;
			if (!remove_directives(c, depth + 1))
				cJSON_Delete(cJSON_DetachItemViaPointer(v, c));
			c = next;
		}
	} else if (cJSON_IsArray(v)) {
		cJSON *c = v->child;
		while (c) {
			cJSON *next = c->next;
			if (!remove_directives(c, depth + 1))
				cJSON_Delete(cJSON_DetachItemViaPointer(v, c));
			c = next;
		}
	}
	return true;
}

/* discardNullValuesFromPatch: null members of maps go, at any depth (list items stay). */
static void discard_nulls(cJSON *v, int depth)
{
	if (depth > PATCH_MAX_DEPTH)
		return;
	cJSON *c = (cJSON_IsObject(v) || cJSON_IsArray(v)) ? v->child : NULL;
	while (c) {
		cJSON *next = c->next;
		if (cJSON_IsObject(v) && cJSON_IsNull(c))
			cJSON_Delete(cJSON_DetachItemViaPointer(v, c));
		else
			discard_nulls(c, depth + 1);
		c = next;
	}
}

/* A patch value taken as is (no original to merge with): nulls and directives removed.
 * Returns false (and frees pv) when the value itself is a directive. */
static bool take_value(cJSON *pv, int depth)
{
	discard_nulls(pv, depth);
	if (!remove_directives(pv, depth)) {
		cJSON_Delete(pv);
		return false;
	}
	return true;
}

/* mergeMap: consumes orig (object or NULL) and patch (object). */
static cJSON *merge_map(cJSON *orig, cJSON *patch, pschema s, int depth, err *e)
{
	if (depth > PATCH_MAX_DEPTH) {
		err_fail(e, PATCH_REASON, "patch nested deeper than %d levels", PATCH_MAX_DEPTH);
		goto fail;
	}
	const cJSON *d = json_get(patch, DIRECTIVE);
	if (d) {
		if (cJSON_IsString(d) && strcmp(d->valuestring, "replace") == 0) {
			cJSON_Delete(orig);
			json_del(patch, DIRECTIVE);
			return patch;
		}
		if (cJSON_IsString(d) && strcmp(d->valuestring, "delete") == 0) {
			cJSON_Delete(orig);
			cJSON_Delete(patch);
			return cJSON_CreateObject();
		}
		char *t = fmt_str(d), *m = fmt_str(patch);
		err_fail(e, PATCH_REASON, "unknown patch type: %s in map: %s", t, m);
		free(t);
		free(m);
		goto fail;
	}
	if (!orig)
		orig = cJSON_CreateObject();
	if (apply_retain_keys(orig, patch, e) < 0 || merge_set_orders(orig, patch, s, depth, e) < 0)
		goto fail;
	patch_oix ox;
	patch_oix_init(&ox, orig);
	while (patch->child) {
		cJSON *pv = cJSON_DetachItemViaPointer(patch, patch->child);
		const char *k = pv->string;
		bool is_delete = false;
		if (has_prefix(k, DELETE_PRIMITIVE)) {
			if (extract_key(k, DELETE_PRIMITIVE, &k, e) < 0) {
				cJSON_Delete(pv);
				goto fail_ix;
			}
			is_delete = true;
		}
		if (cJSON_IsNull(pv)) {
			patch_oix_delete(&ox, k);
			cJSON_Delete(pv);
			continue;
		}
		cJSON *ov = patch_oix_get(&ox, k);
		if (!ov && is_delete) {
			cJSON_Delete(pv);
			continue;
		}
		gkind ko = kind_of(ov), kp = kind_of(pv);
		char *key = xstrdup(k);
		if (!ov || ko != kp || (ko != GK_MAP && ko != GK_SLICE)) {
			if (take_value(pv, depth + 1))
				patch_oix_set(&ox, key, pv);
			else
				patch_oix_delete(&ox, key);
			free(key);
			continue;
		}
		patch_field_info fi;
		pschema fs = patch_s_field(s, key, &fi);
		cJSON *oval = cJSON_DetachItemViaPointer(orig, ov);
		patch_oix_put(&ox, key, NULL);
		cJSON *res;
		if (ko == GK_MAP) {
			if (fi.strategy & PATCH_STRATEGY_REPLACE) {
				cJSON_Delete(oval);
				res = pv;
			} else {
				res = merge_map(oval, pv, fs, depth + 1, e);
			}
		} else {
			res = merge_slice_handler(oval, pv, &fi, patch_s_items(fs), is_delete,
						  depth + 1, e);
		}
		if (!res) {
			free(key);
			goto fail_ix;
		}
		cJSON_AddItemToObject(orig, key, res);
		patch_oix_put(&ox, key, res);
		free(key);
	}
	patch_oix_free(&ox);
	cJSON_Delete(patch);
	return orig;
fail_ix:
	patch_oix_free(&ox);
fail:
	cJSON_Delete(orig);
	cJSON_Delete(patch);
	return NULL;
}

cJSON *patch_strategic(const cJSON *target, const cJSON *patch, const char *api_version,
		       const char *kind, err *e)
{
	if (!cJSON_IsObject(patch) ||
	    (target && !cJSON_IsObject(target) && !cJSON_IsNull(target))) {
		err_fail(e, PATCH_REASON, "invalid JSON document");
		return NULL;
	}
	if (patch_u_depth(patch, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH ||
	    (target && patch_u_depth(target, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH)) {
		err_fail(e, PATCH_REASON, "patch or document nested deeper than %d levels",
			 PATCH_MAX_DEPTH);
		return NULL;
	}
	pschema s = patch_s_root(api_version, kind, NULL);
	cJSON *orig = cJSON_IsObject(target) ? patch_u_dup(target) : cJSON_CreateObject();
	return merge_map(orig, patch_u_dup(patch), s, 0, e);
}

cJSON *patch_strategic_openapi(const cJSON *target, const cJSON *patch, const cJSON *schema,
			       err *e)
{
	if (!cJSON_IsObject(patch) ||
	    (target && !cJSON_IsObject(target) && !cJSON_IsNull(target))) {
		err_fail(e, PATCH_REASON, "invalid JSON document");
		return NULL;
	}
	if (patch_u_depth(patch, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH ||
	    (target && patch_u_depth(target, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH)) {
		err_fail(e, PATCH_REASON, "patch or document nested deeper than %d levels",
			 PATCH_MAX_DEPTH);
		return NULL;
	}
	pschema s = { NULL, cJSON_IsObject(schema) ? schema : NULL };
	cJSON *orig = cJSON_IsObject(target) ? patch_u_dup(target) : cJSON_CreateObject();
	return merge_map(orig, patch_u_dup(patch), s, 0, e);
}
