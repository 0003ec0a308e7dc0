/* patch: JSON patch (RFC 6902) and JSON pointers (RFC 6901).
 *
 * Behaviour and error wording follow gopkg.in/evanphx/json-patch.v4 (v4.12), which the
 * Kubernetes API server and kubectl use: a missing parent is "doc is missing path", replace of
 * a missing member is "doc is missing key", negative array indices count from the end, errors
 * are wrapped Go-style ("context: cause"). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/json.h"
#include "eddy/mem.h"
#include "patch_int.h"

/* Total nodes that copy operations may add, so a short patch cannot blow up memory by
 * copying a document into itself repeatedly. */
enum { COPY_NODE_LIMIT = 1000000 };

#define MISSING ": missing value"
#define INVALID_INDEX ": invalid index referenced"

int patch_pointer_unescape(char *t)
{
	char *w = t;
	for (const char *r = t; *r; r++) {
		if (*r == '~') {
			if (r[1] == '0')
				*w++ = '~';
			else if (r[1] == '1')
				*w++ = '/';
			else
				return -1;
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return 0;
}

char *patch_pointer_escape(const char *token)
{
	size_t n = 0;
	for (const char *p = token; *p; p++)
		n += (*p == '~' || *p == '/') ? 2 : 1;
	char *out = xmalloc(n + 1), *w = out;
	for (const char *p = token; *p; p++) {
		if (*p == '~') {
			*w++ = '~';
			*w++ = '0';
		} else if (*p == '/') {
			*w++ = '~';
			*w++ = '1';
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return out;
}

/* Go's replacer for RFC 6901 decoding: "~1" -> "/", "~0" -> "~", anything else verbatim. */
static char *decode_key(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *w = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
			*w++ = s[i + 1] == '0' ? '~' : '/';
			i++;
		} else {
			*w++ = s[i];
		}
	}
	*w = '\0';
	return out;
}

/* strconv.Atoi: optional sign, decimal digits, fits in int64 (we use long long). */
static int go_atoi(const char *s, long long *out, char *msg, size_t msglen)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!*p)
		goto bad;
	for (const char *q = p; *q; q++)
		if (*q < '0' || *q > '9')
			goto bad;
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno == ERANGE) {
		snprintf(msg, msglen, "strconv.Atoi: parsing \"%s\": value out of range", s);
		return -1;
	}
	*out = v;
	return 0;
bad:
	snprintf(msg, msglen, "strconv.Atoi: parsing \"%s\": invalid syntax", s);
	return -1;
}

/* Get member `key` of container con: 0 and *out (may be a JSON null) or -1 and msg. */
static int con_get(cJSON *con, const char *key, cJSON **out, char *msg, size_t msglen)
{
	if (cJSON_IsObject(con)) {
		/* A missing member is not an error (v4.12): the caller sees NULL. */
		*out = json_get(con, key);
		return 0;
	}
	long long idx;
	if (go_atoi(key, &idx, msg, msglen) < 0)
		return -1;
	long long len = cJSON_GetArraySize(con);
	if (idx < 0) {
		if (idx < -len) {
			snprintf(msg, msglen, "Unable to access invalid index: %lld" INVALID_INDEX,
				 idx);
			return -1;
		}
		idx += len;
	}
	if (idx >= len) {
		snprintf(msg, msglen, "Unable to access invalid index: %lld" INVALID_INDEX, idx);
		return -1;
	}
	*out = cJSON_GetArrayItem(con, (int)idx);
	return 0;
}

/* Walk to the container of the last token of path; NULL when missing (as findObject). */
static cJSON *find_object(cJSON *doc, const char *path, char **key_out)
{
	const char *first = strchr(path, '/');
	if (!first)
		return NULL;
	cJSON *cur = doc;
	const char *seg = first + 1;
	for (;;) {
		const char *slash = strchr(seg, '/');
		if (!slash) {
			*key_out = decode_key(seg, strlen(seg));
			return cur;
		}
		char *k = decode_key(seg, (size_t)(slash - seg));
		cJSON *next = NULL;
		char msg[256];
		int rc = con_get(cur, k, &next, msg, sizeof msg);
		free(k);
		if (rc < 0 || !next || cJSON_IsNull(next))
			return NULL;
		if (!cJSON_IsObject(next) && !cJSON_IsArray(next))
			return NULL;
		cur = next;
		seg = slash + 1;
	}
}

/* Add val (owned) at key of con. */
static int con_add(cJSON *con, const char *key, cJSON *val, char *msg, size_t msglen)
{
	if (cJSON_IsObject(con)) {
		json_replace(con, key, val);
		return 0;
	}
	if (strcmp(key, "-") == 0) {
		cJSON_AddItemToArray(con, val);
		return 0;
	}
	long long idx;
	char inner[200];
	if (go_atoi(key, &idx, inner, sizeof inner) < 0) {
		snprintf(msg, msglen, "value was not a proper array index: '%s': %s", key, inner);
		cJSON_Delete(val);
		return -1;
	}
	long long sz = cJSON_GetArraySize(con) + 1;
	if (idx >= sz || idx < -sz) {
		snprintf(msg, msglen, "Unable to access invalid index: %lld" INVALID_INDEX, idx);
		cJSON_Delete(val);
		return -1;
	}
	if (idx < 0)
		idx += sz;
	if (idx == sz - 1) {
		cJSON_AddItemToArray(con, val);
		return 0;
	}
	/* Insert before the item at idx, linking by hand: the installed cJSON's
	 * cJSON_InsertItemInArray loses the item in some versions. */
	cJSON *after = cJSON_GetArrayItem(con, (int)idx);
	val->next = after;
	val->prev = after->prev;
	if (after == con->child) {
		con->child = val; /* val->prev is the last item, as cJSON expects */
	} else {
		after->prev->next = val;
	}
	after->prev = val;
	return 0;
}

static int con_remove(cJSON *con, const char *key, char *msg, size_t msglen)
{
	if (cJSON_IsObject(con)) {
		if (!json_get(con, key)) {
			snprintf(msg, msglen, "Unable to remove nonexistent key: %s" MISSING, key);
			return -1;
		}
		json_del(con, key);
		return 0;
	}
	long long idx;
	if (go_atoi(key, &idx, msg, msglen) < 0)
		return -1;
	long long len = cJSON_GetArraySize(con);
	if (idx >= len || idx < -len) {
		snprintf(msg, msglen, "Unable to access invalid index: %lld" INVALID_INDEX, idx);
		return -1;
	}
	if (idx < 0)
		idx += len;
	cJSON_DeleteItemFromArray(con, (int)idx);
	return 0;
}

static int count_nodes(const cJSON *v)
{
	int n = 1;
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		for (const cJSON *c = v->child; c && n < COPY_NODE_LIMIT + 1; c = c->next)
			n += count_nodes(c);
	return n;
}

/* A string member of op, or NULL (absent or not a string). */
static cJSON *op_value(const cJSON *op)
{
	const cJSON *v = json_get(op, "value");
	return v ? patch_u_dup(v) : cJSON_CreateNull();
}

static int apply_op(cJSON *doc, const cJSON *op, long *copied, err *e)
{
	const char *kind = json_str(op, "op");
	const char *path = json_str(op, "path");
	char *key = NULL;
	char msg[600];
	int rc = -1;
	cJSON *con;
	if (!kind)
		kind = "unknown";
	if (strcmp(kind, "add") == 0) {
		if (!path)
			return err_fail(e, PATCH_REASON,
					"add operation failed to decode path" MISSING);
		if (!(con = find_object(doc, path, &key)))
			return err_fail(
				e, PATCH_REASON,
				"add operation does not apply: doc is missing path: \"%s\"" MISSING,
				path);
		if (con_add(con, key, op_value(op), msg, sizeof msg) < 0) {
			err_fail(e, PATCH_REASON, "error in add for path: '%s': %s", path, msg);
			goto out;
		}
	} else if (strcmp(kind, "remove") == 0) {
		if (!path)
			return err_fail(e, PATCH_REASON,
					"remove operation failed to decode path" MISSING);
		if (!(con = find_object(doc, path, &key)))
			return err_fail(e, PATCH_REASON,
					"remove operation does not apply: doc is missing path: "
					"\"%s\"" MISSING,
					path);
		if (con_remove(con, key, msg, sizeof msg) < 0) {
			err_fail(e, PATCH_REASON, "error in remove for path: '%s': %s", path, msg);
			goto out;
		}
	} else if (strcmp(kind, "replace") == 0) {
		cJSON *cur;
		if (!path)
			return err_fail(e, PATCH_REASON,
					"replace operation failed to decode path: "
					"operation missing path field" MISSING);
		if (!(con = find_object(doc, path, &key)))
			return err_fail(
				e, PATCH_REASON,
				"replace operation does not apply: doc is missing path: %s" MISSING,
				path);
		if (con_get(con, key, &cur, msg, sizeof msg) < 0) {
			err_fail(e, PATCH_REASON,
				 "replace operation does not apply: doc is missing key: %s" MISSING,
				 path);
			goto out;
		}
		if (cJSON_IsObject(con) || !cur)
			json_replace(con, key, op_value(op));
		else
			cJSON_ReplaceItemViaPointer(con, cur, op_value(op));
	} else if (strcmp(kind, "move") == 0 || strcmp(kind, "copy") == 0) {
		bool move = kind[0] == 'm';
		const char *from = json_str(op, "from");
		cJSON *val;
		if (!from)
			return err_fail(e, PATCH_REASON,
					"%s operation failed to decode from: "
					"operation, missing from field" MISSING,
					kind);
		if (!(con = find_object(doc, from, &key)))
			return err_fail(
				e, PATCH_REASON,
				"%s operation does not apply: doc is missing from path: %s" MISSING,
				kind, from);
		if (con_get(con, key, &val, msg, sizeof msg) < 0) {
			if (move)
				err_fail(e, PATCH_REASON, "error in move for path: '%s': %s", key,
					 msg);
			else
				err_fail(e, PATCH_REASON, "error in copy for from: '%s': %s", from,
					 msg);
			goto out;
		}
		if (move) {
			if (!val) {
				err_fail(e, PATCH_REASON,
					 "error in move for path: '%s': Unable to "
					 "remove nonexistent key: %s" MISSING,
					 key, key);
				goto out;
			}
			val = cJSON_DetachItemViaPointer(con, val);
		} else if (!val) {
			val = cJSON_CreateNull();
		} else {
			*copied += count_nodes(val);
			if (*copied > COPY_NODE_LIMIT) {
				err_fail(e, PATCH_REASON,
					 "Unable to complete the copy, the accumulated "
					 "size increase of copy is %ld, greater than %d",
					 *copied, COPY_NODE_LIMIT);
				goto out;
			}
			val = patch_u_dup(val);
		}
		free(key);
		key = NULL;
		if (!path) {
			cJSON_Delete(val);
			return err_fail(e, PATCH_REASON,
					"%s operation failed to decode path: "
					"operation missing path field" MISSING,
					kind);
		}
		if (!(con = find_object(doc, path, &key))) {
			cJSON_Delete(val);
			return err_fail(e, PATCH_REASON,
					"%s operation does not apply: doc is missing destination "
					"path: %s" MISSING,
					kind, path);
		}
		if (con_add(con, key, val, msg, sizeof msg) < 0) {
			if (move)
				err_fail(e, PATCH_REASON, "error in move for path: '%s': %s", path,
					 msg);
			else
				err_fail(e, PATCH_REASON,
					 "error while adding value during copy: %s", msg);
			goto out;
		}
	} else if (strcmp(kind, "test") == 0) {
		cJSON *cur;
		if (!path)
			return err_fail(e, PATCH_REASON,
					"test operation failed to decode path: "
					"operation missing path field" MISSING);
		if (!(con = find_object(doc, path, &key)))
			return err_fail(
				e, PATCH_REASON,
				"test operation does not apply: is missing path: %s" MISSING, path);
		if (con_get(con, key, &cur, msg, sizeof msg) < 0) {
			err_fail(e, PATCH_REASON, "error in test for path: '%s': %s", path, msg);
			goto out;
		}
		const cJSON *want = json_get(op, "value");
		bool ok;
		if (!cur || cJSON_IsNull(cur))
			ok = !want || cJSON_IsNull(want);
		else
			ok = want && patch_u_equal(cur, want);
		if (!ok) {
			err_fail(e, PATCH_REASON, "testing value %s failed: test failed", path);
			goto out;
		}
	} else {
		return err_fail(e, PATCH_REASON, "Unexpected kind: %s", kind);
	}
	rc = 0;
out:
	free(key);
	return rc;
}

cJSON *patch_json(const cJSON *target, const cJSON *ops, err *e)
{
	if (!cJSON_IsArray(ops)) {
		err_fail(e, PATCH_REASON,
			 "json: cannot unmarshal %s into Go value of type "
			 "jsonpatch.Patch",
			 cJSON_IsObject(ops) ? "object" : "value");
		return NULL;
	}
	if (cJSON_GetArraySize(ops) > PATCH_MAX_OPS) {
		err_fail(e, PATCH_REASON,
			 "the json patch has %d operations, which exceeds the "
			 "maximum of %d",
			 cJSON_GetArraySize(ops), PATCH_MAX_OPS);
		return NULL;
	}
	if (!target || (!cJSON_IsObject(target) && !cJSON_IsArray(target))) {
		err_fail(e, PATCH_REASON, "Invalid JSON Document");
		return NULL;
	}
	if (patch_u_depth(target, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH ||
	    patch_u_depth(ops, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH) {
		err_fail(e, PATCH_REASON, "patch or document nested deeper than %d levels",
			 PATCH_MAX_DEPTH);
		return NULL;
	}
	cJSON *doc = patch_u_dup(target);
	long copied = 0;
	/* An upper bound of the document's depth, kept without rescanning the document after
	 * every operation: a rescan happens only when the bound passes the limit. */
	int depth_bound = patch_u_depth(doc, PATCH_MAX_DEPTH);
	for (const cJSON *op = ops->child; op; op = op->next) {
		if (!cJSON_IsObject(op)) {
			err_fail(e, PATCH_REASON,
				 "json: cannot unmarshal %s into Go value of type "
				 "jsonpatch.Operation",
				 cJSON_IsArray(op) ? "array" : "value");
			cJSON_Delete(doc);
			return NULL;
		}
		if (apply_op(doc, op, &copied, e) < 0) {
			cJSON_Delete(doc);
			return NULL;
		}
		const char *path = json_str(op, "path");
		int tokens = 0;
		for (const char *c = path ? path : ""; *c; c++)
			tokens += *c == '/';
		const cJSON *val = json_get(op, "value");
		int grown = tokens + (val ? patch_u_depth(val, PATCH_MAX_DEPTH) : 1);
		const char *kind = json_str(op, "op");
		if (kind && (strcmp(kind, "move") == 0 || strcmp(kind, "copy") == 0))
			grown = tokens + depth_bound;
		if (grown > depth_bound)
			depth_bound = grown;
		if (depth_bound > PATCH_MAX_DEPTH) {
			depth_bound = patch_u_depth(doc, PATCH_MAX_DEPTH);
			if (depth_bound > PATCH_MAX_DEPTH) {
				err_fail(e, PATCH_REASON, "document nested deeper than %d levels",
					 PATCH_MAX_DEPTH);
				cJSON_Delete(doc);
				return NULL;
			}
		}
	}
	return doc;
}
