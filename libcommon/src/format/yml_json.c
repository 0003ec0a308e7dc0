/* yml_json: JSON text in and out with limits, keeping number literals (see yml.h). */
#include "yml_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"

/* JSON number syntax: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; returns its length. */
static size_t json_number_len(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0') {
		i++;
	} else if (i < n && s[i] >= '1' && s[i] <= '9') {
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	} else {
		return 0;
	}
	if (i < n && s[i] == '.') {
		size_t st = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == st)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t st = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == st)
			return 0;
	}
	return i;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Depth of [ and { outside strings, without recursion. */
static size_t json_depth(const char *s, size_t n)
{
	size_t depth = 0, max = 0;
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth)
			depth--;
	}
	return max;
}

cJSON *yml_json_parse(const char *data, size_t len, const yml_limits *lim, err *e)
{
	yml_limits l;
	yml_limits_fill(&l, lim);
	if (!data) {
		data = "";
		len = 0;
	}
	if (len > l.max_bytes) {
		err_fail(e, "InvalidJSON", "json: input of %zu bytes exceeds the limit of %zu "
			 "bytes", len, l.max_bytes);
		return NULL;
	}
	size_t bad;
	if (!yml_utf8_valid(data, len, &bad)) {
		err_fail(e, "InvalidJSON", "json: invalid UTF-8 at byte %zu", bad);
		return NULL;
	}
	size_t depth = json_depth(data, len);
	size_t maxd = l.max_depth < CJSON_NESTING_LIMIT ? l.max_depth : CJSON_NESTING_LIMIT;
	if (depth > maxd) {
		err_fail(e, "InvalidJSON", "json: exceeded max depth of %zu", maxd);
		return NULL;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (!root) {
		size_t at = end && end >= data ? (size_t)(end - data) : 0;
		err_fail(e, "InvalidJSON", "json: invalid JSON at byte %zu", at);
		return NULL;
	}
	size_t pos = end ? (size_t)(end - data) : len;
	while (pos < len && (is_ws(data[pos]) || data[pos] == '\0'))
		pos++;
	if (pos < len) {
		yml_free(root);
		err_fail(e, "InvalidJSON", "json: invalid character after top-level value at "
			 "byte %zu", pos);
		return NULL;
	}
	/* Give number nodes their literal: numbers appear in the text in pre-order. */
	const cJSON **stack = xmalloc((depth + 2) * sizeof *stack);
	size_t nst = 0, nodes = 0;
	size_t ti = 0; /* text cursor */
	bool in_str = false;
	const cJSON *cur = root;
	int rc = 0;
	while (cur) {
		if (++nodes > l.max_nodes) {
			rc = err_fail(e, "InvalidJSON", "json: more than %zu values", l.max_nodes);
			break;
		}
		if (cJSON_IsNumber(cur)) {
			/* find the next number token outside strings */
			for (; ti < len; ti++) {
				char c = data[ti];
				if (in_str) {
					if (c == '\\')
						ti++;
					else if (c == '"')
						in_str = false;
					continue;
				}
				if (c == '"') {
					in_str = true;
					continue;
				}
				if (c == '-' || (c >= '0' && c <= '9'))
					break;
			}
			size_t nl = json_number_len(data + ti, len - ti);
			if (nl) {
				((cJSON *)cur)->valuestring = xstrndup(data + ti, nl);
				ti += nl;
			}
		}
		if (cur->child) {
			stack[nst++] = cur;
			cur = cur->child;
			continue;
		}
		while (cur && !cur->next) {
			cur = nst ? stack[--nst] : NULL;
		}
		if (cur)
			cur = cur == root ? NULL : cur->next;
	}
	free(stack);
	if (rc < 0) {
		yml_free(root);
		return NULL;
	}
	return root;
}

static int json_string(buf *b, const char *s)
{
	int f = 0;
	f |= buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': f |= buf_adds(b, "\\\""); break;
		case '\\': f |= buf_adds(b, "\\\\"); break;
		case '\b': f |= buf_adds(b, "\\b"); break;
		case '\f': f |= buf_adds(b, "\\f"); break;
		case '\n': f |= buf_adds(b, "\\n"); break;
		case '\r': f |= buf_adds(b, "\\r"); break;
		case '\t': f |= buf_adds(b, "\\t"); break;
		default:
			if (*p < 0x20)
				f |= buf_addf(b, "\\u%04x", *p);
			else
				f |= buf_addc(b, (char)*p);
		}
	}
	f |= buf_addc(b, '"');
	return f;
}

static int json_scalar(buf *b, const cJSON *v, err *e)
{
	int f = 0;
	if (cJSON_IsString(v)) {
		f |= json_string(b, v->valuestring ? v->valuestring : "");
	} else if (cJSON_IsNumber(v)) {
		const char *lit = v->valuestring;
		if (lit && json_number_len(lit, strlen(lit)) == strlen(lit) && strlen(lit)) {
			return buf_adds(b, lit) < 0 ? -2 : 0;
		}
		ynum n;
		yml_number_value(v, &n);
		if (n.kind == YNUM_INT)
			f |= buf_addf(b, "%lld", (long long)n.i);
		else if (n.kind == YNUM_UINT)
			f |= buf_addf(b, "%llu", (unsigned long long)n.u);
		else if (!isfinite(n.f))
			return err_fail(e, "InvalidJSON", "json: unsupported value: %s",
					isnan(n.f) ? "NaN" : n.f < 0 ? "-Inf" : "+Inf");
		else {
			char tmp[400];
			yml_format_float(n.f, 'j', tmp, sizeof tmp);
			f |= buf_adds(b, tmp);
		}
	} else if (cJSON_IsTrue(v)) {
		f |= buf_adds(b, "true");
	} else if (cJSON_IsFalse(v)) {
		f |= buf_adds(b, "false");
	} else if (cJSON_IsRaw(v) && v->valuestring) {
		f |= buf_adds(b, v->valuestring);
	} else {
		f |= buf_adds(b, "null");
	}
	return f ? -2 : 0;
}

int yml_json_print(buf *out, const cJSON *v, err *e)
{
	buf b;
	buf_init(&b, out->cap > out->len ? out->cap - out->len : 0);
	const cJSON **stack = NULL;
	size_t nst = 0, cst = 0;
	const cJSON *cur = v;
	int rc = 0, ovf = 0;
	while (cur && rc == 0 && !ovf) {
		bool in_obj = nst && cJSON_IsObject(stack[nst - 1]);
		if (in_obj) {
			ovf |= json_string(&b, cur->string ? cur->string : "");
			ovf |= buf_addc(&b, ':');
		}
		if ((cJSON_IsObject(cur) || cJSON_IsArray(cur)) && cur->child) {
			ovf |= buf_addc(&b, cJSON_IsObject(cur) ? '{' : '[');
			if (nst == cst) {
				cst = cst ? cst * 2 : 32;
				stack = xrealloc(stack, cst * sizeof *stack);
			}
			stack[nst++] = cur;
			cur = cur->child;
			continue;
		}
		if (cJSON_IsObject(cur))
			ovf |= buf_adds(&b, "{}");
		else if (cJSON_IsArray(cur))
			ovf |= buf_adds(&b, "[]");
		else
			rc = json_scalar(&b, cur, e);
		if (rc == -2) {
			ovf = -1;
			rc = 0;
		}
		/* move to the next sibling, closing finished containers */
		while (cur && rc == 0) {
			if (cur == v) {
				cur = NULL;
				break;
			}
			if (cur->next) {
				ovf |= buf_addc(&b, ',');
				cur = cur->next;
				break;
			}
			cur = stack[--nst];
			ovf |= buf_addc(&b, cJSON_IsObject(cur) ? '}' : ']');
		}
	}
	free(stack);
	if (rc == 0 && ovf)
		rc = err_fail(e, "InvalidJSON", "json: output exceeds %zu bytes", out->cap);
	if (rc == 0 && buf_add(out, b.data ? b.data : "", b.len) < 0)
		rc = err_fail(e, "InvalidJSON", "json: output exceeds %zu bytes", out->cap);
	buf_release(&b);
	return rc;
}
