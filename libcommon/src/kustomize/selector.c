/* Target selection: group, version, kind, anchored name and namespace regexes, and label and
 * annotation selectors (Kubernetes selector syntax), as kustomize's resmap Select does. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/json.h"
#include "eddy/mem.h"
#include "kz_int.h"

/* Anchored match of a Go regexp; an invalid pattern is an error. */
static int rx_match(const char *pat, const char *s, err *e)
{
	regex_t re;
	char *full = xasprintf("^(%s)$", pat);
	int rc = regcomp(&re, full, REG_EXTENDED | REG_NOSUB);
	free(full);
	if (rc)
		return err_fail(e, KZ_REASON, "error parsing regexp: %s", pat);
	rc = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return rc;
}

static void trim(char *s)
{
	char *p = s;
	while (*p == ' ' || *p == '\t')
		p++;
	memmove(s, p, strlen(p) + 1);
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
}

static bool in_set(const char *v, const char *set)
{
	char *dup = xstrdup(set), *save = NULL;
	bool hit = false;
	for (char *t = strtok_r(dup, ",", &save); t && !hit; t = strtok_r(NULL, ",", &save)) {
		trim(t);
		hit = !strcmp(t, v);
	}
	free(dup);
	return hit;
}

/* Does the map m (labels or annotations) satisfy the selector text sel? -1 on bad syntax. */
static int sel_match(const char *sel, const cJSON *m, err *e)
{
	char *s = xstrdup(sel);
	int result = 1;
	/* split on commas that are not inside parentheses */
	size_t n = strlen(s), start = 0;
	int depth = 0;
	for (size_t i = 0; i <= n && result == 1; i++) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')')
			depth--;
		if (i < n && (s[i] != ',' || depth))
			continue;
		s[i] = 0;
		char *term = s + start;
		start = i + 1;
		trim(term);
		if (!*term)
			continue;
		char *op;
		const cJSON *v;
		if (term[0] == '!') {
			char *k = term + 1;
			trim(k);
			result = cJSON_GetObjectItemCaseSensitive(m, k) == NULL;
		} else if ((op = strstr(term, "!=")) != NULL) {
			*op = 0;
			trim(term);
			char *val = op + 2;
			trim(val);
			v = cJSON_GetObjectItemCaseSensitive(m, term);
			result = !(cJSON_IsString(v) && !strcmp(v->valuestring, val));
		} else if ((op = strchr(term, '=')) != NULL) {
			*op = 0;
			char *val = op + 1 + (op[1] == '=');
			trim(term);
			trim(val);
			v = cJSON_GetObjectItemCaseSensitive(m, term);
			result = cJSON_IsString(v) && !strcmp(v->valuestring, val);
		} else if ((op = strstr(term, " notin ")) != NULL || (op = strstr(term,
			" in ")) != NULL) {
			bool notin = !strncmp(op, " notin ", 7);
			*op = 0;
			char *set = op + (notin ? 7 : 4);
			trim(term);
			trim(set);
			size_t sl = strlen(set);
			if (sl < 2 || set[0] != '(' || set[sl - 1] != ')') {
				free(s);
				return err_fail(e, KZ_REASON, "unable to parse requirement: %s",
					sel);
			}
			set[sl - 1] = 0;
			v = cJSON_GetObjectItemCaseSensitive(m, term);
			bool hit = cJSON_IsString(v) && in_set(v->valuestring, set + 1);
			result = notin ? !hit : hit;
		} else {
			result = cJSON_GetObjectItemCaseSensitive(m, term) != NULL;
		}
	}
	free(s);
	return result;
}

static const char *effective_ns(const char *ns, const cJSON *obj)
{
	char g[256], v[128];
	kz_split_apiversion(kz_apiversion(obj), g, sizeof(g), v, sizeof(v));
	if (kz_is_cluster_scoped(g, kz_kind(obj)))
		return "";
	return *ns ? ns : "default";
}

bool kz_selector_matches(const cJSON *sel, const cJSON *obj, const kz_res *r, err *e)
{
	const char *g = json_nonempty(sel, "group"), *v = json_nonempty(sel, "version");
	const char *k = json_nonempty(sel, "kind");
	const char *name = json_nonempty(sel, "name"), *ns = json_nonempty(sel, "namespace");
	const char *ls = json_nonempty(sel, "labelSelector");
	const char *as = json_nonempty(sel, "annotationSelector");
	char rg[256], rv[128];
	kz_split_apiversion(kz_apiversion(obj), rg, sizeof(rg), rv, sizeof(rv));
	if (g && strcmp(g, rg))
		return false;
	if (v && strcmp(v, rv))
		return false;
	if (k && strcmp(k, kz_kind(obj)))
		return false;
	if (ns) {
		int a = rx_match(ns, effective_ns(r ? r->nss.v[0] : "", obj), e);
		int b = a == 1 ? 1 : rx_match(ns, effective_ns(kz_namespace(obj), obj), e);
		if (a < 0 || b < 0 || !b)
			return false;
	}
	if (name) {
		int a = rx_match(name, r ? r->names.v[0] : kz_name(obj), e);
		int b = a == 1 ? 1 : rx_match(name, kz_name(obj), e);
		if (a < 0 || b < 0 || !b)
			return false;
	}
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	if (ls && sel_match(ls, cJSON_GetObjectItemCaseSensitive(md, "labels"), e) != 1)
		return false;
	if (as && sel_match(as, cJSON_GetObjectItemCaseSensitive(md, "annotations"), e) != 1)
		return false;
	return true;
}
