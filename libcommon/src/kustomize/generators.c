/* configMapGenerator and secretGenerator, generatorOptions, merge/replace behaviour, and the
 * content hash suffix (sha256 over kustomize's JSON encoding, first 10 hex digits with
 * 0,1,3,a,e mapped to g,h,k,m,t). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "eddy/mem.h"
#include "eddy/codec.h"
#include "eddy/json.h"
#include "kz_int.h"

/* base64 as kustomize's kyaml encodes binaryData and Secret data: when the text is 70
 * characters or longer, lines of 70, each (the last too) ending in a newline. */
static char *b64_lines(const unsigned char *p, size_t n)
{
	char *flat = b64_encode(p, n, B64_STD);
	size_t len = strlen(flat);
	if (len < 70)
		return flat;
	char *o = xmalloc(len + len / 70 + 2), *q = o;
	for (size_t i = 0; i < len; i += 70) {
		size_t l = len - i < 70 ? len - i : 70;
		memcpy(q, flat + i, l);
		q += l;
		*q++ = '\n';
	}
	*q = 0;
	free(flat);
	return o;
}

/* Length of the valid UTF-8 sequence at p (0 if invalid). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t l;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		l = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		l = 3;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		l = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < l)
		return 0;
	for (size_t i = 1; i < l; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((l == 2 && cp < 0x80) || (l == 3 && cp < 0x800) || (l == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return l;
}

static bool valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(p + i, n - i);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

/* A JSON string as Go's encoding/json writes it (HTML-safe escapes). */
static void go_json_str(buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	buf_addc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		if (c < 0x80) {
			if (c == '"' || c == '\\') {
				buf_addc(b, '\\');
				buf_addc(b, (char)c);
			} else if (c == '\n') {
				buf_adds(b, "\\n");
			} else if (c == '\r') {
				buf_adds(b, "\\r");
			} else if (c == '\t') {
				buf_adds(b, "\\t");
			} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				buf_addf(b, "\\u00%02x", c);
			} else {
				buf_addc(b, (char)c);
			}
			i++;
			continue;
		}
		size_t l = utf8_len(p + i, n - i);
		if (!l) {
			buf_adds(b, "\\ufffd");
			i++;
			continue;
		}
		if (l == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 ||
			p[i + 2] == 0xa9)) {
			buf_addf(b, "\\u202%c", p[i + 2] == 0xa8 ? '8' : '9');
		} else {
			buf_add(b, p + i, l);
		}
		i += l;
	}
	buf_addc(b, '"');
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A string map (object of strings) as Go's json.Marshal(map[string]string); nil -> null. */
static void go_json_map(buf *b, const cJSON *m)
{
	size_t n = 0, i = 0;
	const cJSON *it;
	if (!cJSON_IsObject(m)) {
		buf_adds(b, "{}");
		return;
	}
	cJSON_ArrayForEach(it, m)
		n++;
	const char **keys = xmalloc((n + 1) * sizeof(*keys));
	cJSON_ArrayForEach(it, m)
		keys[i++] = it->string;
	qsort(keys, n, sizeof(*keys), cmpstr);
	buf_addc(b, '{');
	for (i = 0; i < n; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, keys[i]);
		if (i)
			buf_addc(b, ',');
		go_json_str(b, keys[i]);
		buf_addc(b, ':');
		go_json_str(b, cJSON_IsString(v) ? v->valuestring :
			       (v && v->valuestring) ? v->valuestring : "");
	}
	buf_addc(b, '}');
	free(keys);
}

static int nonempty_map(const cJSON *m)
{
	return cJSON_IsObject(m) && m->child;
}

/* kustomize encodes an empty data map as "" */
static void hash_map(buf *b, const cJSON *m)
{
	if (nonempty_map(m))
		go_json_map(b, m);
	else
		buf_adds(b, "\"\"");
}

int kz_hash_suffix(const cJSON *obj, char *out, size_t outlen, err *e)
{
	const char *kind = kz_kind(obj);
	buf b;
	buf_init(&b, (size_t)1 << 31);
	if (!strcmp(kind, "ConfigMap")) {
		const cJSON *bd = cJSON_GetObjectItemCaseSensitive(obj, "binaryData");
		buf_addc(&b, '{');
		if (nonempty_map(bd)) {
			buf_adds(&b, "\"binaryData\":");
			go_json_map(&b, bd);
			buf_addc(&b, ',');
		}
		buf_adds(&b, "\"data\":");
		hash_map(&b, cJSON_GetObjectItemCaseSensitive(obj, "data"));
		/* kustomize hashes with an empty name (the name is not part of the content) */
		buf_adds(&b, ",\"kind\":\"ConfigMap\",\"name\":\"\"}");
	} else if (!strcmp(kind, "Secret")) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "type");
		buf_adds(&b, "{\"data\":");
		go_json_map(&b, cJSON_GetObjectItemCaseSensitive(obj, "data"));
		buf_adds(&b, ",\"kind\":\"Secret\",\"name\":\"\",\"type\":");
		go_json_str(&b, cJSON_IsString(t) ? t->valuestring : "");
		buf_addc(&b, '}');
	} else {
		buf_release(&b);
		return err_fail(e, KZ_REASON, "cannot compute a hash of kind %s", kind);
	}
	unsigned char md[32];
	unsigned int mdl = 0;
	EVP_Digest(b.data, b.len, md, &mdl, EVP_sha256(), NULL);
	buf_release(&b);
	char hex[65];
	hex_encode(hex, md, 32, HEX_LOWER);
	if (outlen < 11)
		return err_fail(e, KZ_REASON, "hash buffer too small");
	for (int i = 0; i < 10; i++) {
		char c = hex[i];
		switch (c) {
		case '0': c = 'g'; break;
		case '1': c = 'h'; break;
		case '3': c = 'k'; break;
		case 'a': c = 'm'; break;
		case 'e': c = 't'; break;
		default: break;
		}
		out[i] = c;
	}
	out[10] = 0;
	return 0;
}

int kz_hash_apply(kz_resmap *m, err *e)
{
	for (size_t i = 0; i < m->n; i++) {
		kz_res *r = m->v[i];
		if (!r->needs_hash)
			continue;
		char h[16];
		if (kz_hash_suffix(r->obj, h, sizeof(h), e) < 0)
			return -1;
		char *n = xasprintf("%s-%s", kz_name(r->obj), h);
		kz_set_name(r->obj, n);
		free(n);
		kz_res_track(r);
		r->needs_hash = false;
	}
	return 0;
}

/* ---- generation ---- */

typedef struct gen {
	kz_ctx *c;
	const char *dir;
	bool secret;
	cJSON *data;   /* string values (secrets: raw, encoded at the end) */
	cJSON *binary; /* configmap binaryData (base64) */
	const char *name;
	char *dup;     /* first key given twice (kustomize checks after loading all pairs) */
} gen;

static int put(gen *g, const char *key, const char *val, size_t vlen, err *e)
{
	if (!*key)
		return err_fail(e, KZ_REASON,
				"configmap %s illegal: a valid config key must consist of "
					"alphanumeric "
				"characters, '-', '_' or '.' (key \"%s\")", g->name, key);
	if (cJSON_GetObjectItemCaseSensitive(g->data, key) ||
	    cJSON_GetObjectItemCaseSensitive(g->binary, key)) {
		if (!g->dup)
			g->dup = xstrdup(key);
		return 0;
	}
	if (g->secret) {
		char *v = b64_lines((const unsigned char *)val, vlen);
		cJSON_AddItemToObject(g->data, key, cJSON_CreateString(v));
		free(v);
	} else if (!valid_utf8(val, vlen) || memchr(val, 0, vlen)) {
		char *v = b64_lines((const unsigned char *)val, vlen);
		cJSON_AddItemToObject(g->binary, key, cJSON_CreateString(v));
		free(v);
	} else {
		char *v = xstrndup(val, vlen);
		cJSON_AddItemToObject(g->data, key, cJSON_CreateString(v));
		free(v);
	}
	return 0;
}

static bool inside(const char *dir, const char *real, err *e)
{
	size_t dl = strlen(dir);
	if (!strncmp(real, dir, dl) && (real[dl] == '/' || real[dl] == 0))
		return true;
	err_fail(e, KZ_REASON, "security; file '%s' is not in or below '%s'", real, dir);
	return false;
}

static int literal(gen *g, const char *s, err *e)
{
	const char *eq = strchr(s, '=');
	if (!eq)
		return err_fail(e, KZ_REASON, "invalid literal source %s, expected key=value", s);
	char *key = xstrndup(s, (size_t)(eq - s));
	const char *v = eq + 1;
	size_t vl = strlen(v);
	if (vl >= 2 && ((v[0] == '"' && v[vl - 1] == '"') || (v[0] == '\'' && v[vl - 1] == '\''))) {
		v++;
		vl -= 2;
	}
	int rc = put(g, key, v, vl, e);
	free(key);
	return rc;
}

static int file_src(gen *g, const char *s, err *e)
{
	const char *eq = strchr(s, '=');
	char *key;
	const char *path;
	if (eq) {
		key = xstrndup(s, (size_t)(eq - s));
		path = eq + 1;
		if (!*key || !*path) {
			free(key);
			return err_fail(e, KZ_REASON, "key or file path is missing from %s", s);
		}
	} else {
		const char *sl = strrchr(s, '/');
		key = xstrdup(sl ? sl + 1 : s);
		path = s;
	}
	char *real = kz_resolve(g->c, g->dir, path, e);
	if (!real || !inside(g->dir, real, e)) {
		free(real);
		free(key);
		return -1;
	}
	if (kz_is_dir(real)) {
		err_fail(e, KZ_REASON, "%s: is a directory", path);
		free(real);
		free(key);
		return -1;
	}
	size_t len;
	char *data = kz_read_file(g->c, real, &len, e);
	free(real);
	if (!data) {
		free(key);
		return -1;
	}
	int rc = put(g, key, data, len, e);
	free(data);
	free(key);
	return rc;
}

static int env_src(gen *g, const char *path, err *e)
{
	char *real = kz_resolve(g->c, g->dir, path, e);
	if (!real || !inside(g->dir, real, e)) {
		free(real);
		return -1;
	}
	size_t len;
	char *data = kz_read_file(g->c, real, &len, e);
	free(real);
	if (!data)
		return -1;
	int rc = 0;
	char *save = NULL;
	size_t lineno = 0;
	/* an env file: KEY=VALUE lines, '#' comments and blank lines ignored */
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		size_t l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[--l] = 0;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		char *eq = strchr(p, '=');
		if (!eq) {
			/* KEY alone: the value comes from the environment, as in kustomize */
			const char *ev = getenv(p);
			if (put(g, p, ev ? ev : "", ev ? strlen(ev) : 0, e) < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		*eq = 0;
		char *k = p;
		if (!*k) {
			rc = err_fail(e, KZ_REASON, "env file %s line %zu: empty key", path,
				lineno);
			break;
		}
		char *v = eq + 1;
		if (put(g, k, v, strlen(v), e) < 0) {
			rc = -1;
			break;
		}
	}
	free(data);
	return rc;
}

static int each_string(const cJSON *list, const char *what, int (*fn)(gen *, const char *, err *),
		       gen *g, err *e)
{
	const cJSON *it;
	if (!list)
		return 0;
	if (cJSON_IsString(list))
		return fn(g, list->valuestring, e);
	if (!cJSON_IsArray(list))
		return err_fail(e, KZ_REASON, "%s must be a list of strings", what);
	cJSON_ArrayForEach(it, list) {
		if (!cJSON_IsString(it))
			return err_fail(e, KZ_REASON, "%s must be a list of strings", what);
		if (fn(g, it->valuestring, e) < 0)
			return -1;
	}
	return 0;
}

static void merge_strmap(cJSON *obj, const char *key, const cJSON *add)
{
	const cJSON *it;
	if (!cJSON_IsObject(add) || !add->child)
		return;
	cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsObject(m)) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
		m = cJSON_AddObjectToObject(obj, key);
	}
	cJSON_ArrayForEach(it, add) {
		cJSON *v = cJSON_IsString(it) ? cJSON_CreateString(it->valuestring) :
			   cJSON_CreateString(it->valuestring ? it->valuestring : "");
		if (cJSON_GetObjectItemCaseSensitive(m, it->string))
			cJSON_ReplaceItemInObjectCaseSensitive(m, it->string, v);
		else
			cJSON_AddItemToObject(m, it->string, v);
	}
}

static bool ns_equal(const char *a, const char *b)
{
	return !strcmp(a, b) || (!*a && !strcmp(b, "default")) || (!*b && !strcmp(a, "default"));
}

/* kustomize's GetMatchingResourcesByAnyId: the resources of kind whose current or any earlier
 * (name, namespace) is the generator's. -1 when none, -2 when several. */
static int find_target(kz_resmap *m, const char *kind, const char *name, const char *ns)
{
	int found = -1;
	for (size_t i = 0; i < m->n; i++) {
		kz_res *r = m->v[i];
		if (strcmp(kz_kind(r->obj), kind))
			continue;
		bool hit = !strcmp(kz_name(r->obj), name) && ns_equal(kz_namespace(r->obj), ns);
		for (size_t j = 0; !hit && j < r->names.n; j++)
			hit = !strcmp(r->names.v[j], name) &&
			      ns_equal(j < r->nss.n ? r->nss.v[j] : "", ns);
		if (!hit)
			continue;
		if (found >= 0)
			return -2;
		found = (int)i;
	}
	return found;
}

/* "loading KV pairs: <what>[a b]: <e>" as kustomize's kv loader wraps a failure */
static void kv_err(err *e, const char *what, const cJSON *list, const char *extra)
{
	buf b;
	buf_init(&b, ERR_MSG_MAX);
	buf_adds(&b, "[");
	const cJSON *it;
	bool first = true;
	cJSON_ArrayForEach(it, list) {
		buf_addf(&b, "%s%s", first ? "" : " ", cJSON_IsString(it) ? it->valuestring : "");
		first = false;
	}
	if (extra)
		buf_addf(&b, "%s%s", first ? "" : " ", extra);
	buf_adds(&b, "]");
	err_prefix(e, "loading KV pairs: %s%s", what, buf_str(&b));
	buf_release(&b);
}

static int gen_one(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *a, bool secret,
		   const cJSON *gopts, err *e)
{
	const cJSON *nm = json_get(a, "name"), *ns = json_get(a, "namespace");
	const cJSON *beh = json_get(a, "behavior"), *opts = json_get(a, "options");
	const char *kind = secret ? "Secret" : "ConfigMap";
	if (!cJSON_IsObject(a))
		return err_fail(e, KZ_REASON, "invalid %s generator", kind);
	const char *name = cJSON_IsString(nm) ? nm->valuestring : "";
	if (!*name)
		return err_fail(e, KZ_REASON, "a configmap must have a name");
	int behavior = KZ_B_CREATE;
	if (cJSON_IsString(beh) && *beh->valuestring) {
		if (!strcmp(beh->valuestring, "create"))
			behavior = KZ_B_CREATE;
		else if (!strcmp(beh->valuestring, "merge"))
			behavior = KZ_B_MERGE;
		else if (!strcmp(beh->valuestring, "replace"))
			behavior = KZ_B_REPLACE;
		/* kustomize treats an unknown behavior as create */
	}
	gen g = {.c = c, .dir = dir, .secret = secret, .name = name};
	g.data = cJSON_CreateObject();
	g.binary = cJSON_CreateObject();
	int rc = -1;
	/* kustomize reads envs (the legacy env last), then literals, then files, and words
	 * a failure with the whole list of that kind */
	const cJSON *env = json_get(a, "env");
	const char *envs1 = cJSON_IsString(env) && *env->valuestring ? env->valuestring : NULL;
	if (each_string(json_get(a, "envs"), "envs", env_src, &g, e) < 0 ||
	    (envs1 && env_src(&g, envs1, e) < 0)) {
		kv_err(e, "env source files: ", json_get(a, "envs"), envs1);
		goto out;
	}
	if (each_string(json_get(a, "literals"), "literals", literal, &g, e) < 0) {
		kv_err(e, "literal sources ", json_get(a, "literals"), NULL);
		goto out;
	}
	if (each_string(json_get(a, "files"), "files", file_src, &g, e) < 0) {
		kv_err(e, "file sources: ", json_get(a, "files"), NULL);
		goto out;
	}
	if (g.dup) {
		err_fail(e, KZ_REASON, "configmap %s illegally repeats the key `%s`", name, g.dup);
		goto out;
	}

	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON *md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	if (cJSON_IsString(ns) && *ns->valuestring)
		cJSON_AddStringToObject(md, "namespace", ns->valuestring);
	merge_strmap(md, "labels", json_get(gopts, "labels"));
	merge_strmap(md, "annotations", json_get(gopts, "annotations"));
	merge_strmap(md, "labels", json_get(opts, "labels"));
	merge_strmap(md, "annotations", json_get(opts, "annotations"));
	if (g.data->child || secret) {
		cJSON_AddItemToObject(o, "data", g.data);
		g.data = NULL;
	}
	if (g.binary->child) {
		cJSON_AddItemToObject(o, "binaryData", g.binary);
		g.binary = NULL;
	}
	if (secret) {
		const cJSON *t = json_get(a, "type");
		cJSON_AddStringToObject(o, "type", cJSON_IsString(t) && *t->valuestring ?
				       t->valuestring : "Opaque");
	}
	bool immutable = cJSON_IsTrue(json_get(gopts, "immutable")) ||
			 cJSON_IsTrue(json_get(opts, "immutable"));
	if (immutable)
		cJSON_AddTrueToObject(o, "immutable");
	bool nohash = cJSON_IsTrue(json_get(gopts, "disableNameSuffixHash")) ||
		      cJSON_IsTrue(json_get(opts, "disableNameSuffixHash"));

	kz_res *r = kz_res_new(o);
	r->generated = true;
	if (c->top_dir && (c->cur_kfile || c->cfg_in)) {
		char *rel = c->cfg_in ? xstrdup(c->cfg_in) : kz_relpath(c->top_dir, c->cur_kfile);
		r->origin = xasprintf("configuredIn: %s\nconfiguredBy:\n  apiVersion: builtin\n  "
				      "kind: %sGenerator\n%s%s%s%s%s%s", rel, kind,
				      c->cfg_name ? "  name: " : "", c->cfg_name ? c->cfg_name : "",
				      c->cfg_name ? "\n" : "", c->cfg_ns ? "  namespace: " : "",
				      c->cfg_ns ? c->cfg_ns : "", c->cfg_ns ? "\n" : "");
		free(rel);
	}
	r->needs_hash = !nohash;
	r->behavior = behavior;
	if (behavior == KZ_B_CREATE) {
		rc = kz_resmap_append(m, r, e);
		goto out;
	}
	int idx = find_target(m, kind, name, kz_namespace(o));
	if (idx == -2) {
		char *id = kz_res_idstr(r);
		err_fail(e, KZ_REASON, "found multiple objects that could accept merge of %s", id);
		free(id);
		kz_res_free(r);
		goto out;
	}
	if (idx < 0) {
		char *id = kz_res_idstr(r);
		err_fail(e, KZ_REASON, "id %s does not exist; cannot merge or replace", id);
		free(id);
		kz_res_free(r);
		goto out;
	}
	kz_res *old = m->v[idx];
	if (behavior == KZ_B_MERGE) {
		/* new data over old data; metadata maps merged; old name and history kept */
		static const char *const maps[] = {"data", "binaryData"};
		for (int i = 0; i < 2; i++) {
			const cJSON *add = json_get(o, maps[i]);
			if (nonempty_map(add))
				merge_strmap(old->obj, maps[i], add);
		}
		cJSON *omd = cJSON_GetObjectItemCaseSensitive(old->obj, "metadata");
		merge_strmap(omd, "labels", json_get(md, "labels"));
		merge_strmap(omd, "annotations", json_get(md, "annotations"));
		if (immutable && !cJSON_GetObjectItemCaseSensitive(old->obj, "immutable"))
			cJSON_AddTrueToObject(old->obj, "immutable");
		if (secret) {
			/* the merging generator's type (Opaque when it names none) wins */
			const cJSON *t = json_get(a, "type");
			const char *ts = cJSON_IsString(t) && *t->valuestring ? t->valuestring :
					 "Opaque";
			if (cJSON_GetObjectItemCaseSensitive(old->obj, "type"))
				cJSON_ReplaceItemInObjectCaseSensitive(old->obj, "type",
								      cJSON_CreateString(ts));
		}
		/* so does disableNameSuffixHash */
		if (nohash)
			old->needs_hash = false;
		kz_res_free(r);
	} else {
		/* replace: the new object takes the old one's place and names */
		cJSON *tmp = old->obj;
		kz_set_name(o, kz_name(tmp));
		if (*kz_namespace(tmp))
			kz_set_namespace(o, kz_namespace(tmp));
		old->obj = o;
		r->obj = tmp;
		kz_res_track(old);
		kz_res_free(r);
	}
	rc = 0;
out:
	cJSON_Delete(g.data);
	cJSON_Delete(g.binary);
	free(g.dup);
	return rc;
}

int kz_generate(kz_ctx *c, kz_resmap *m, const char *dir, const cJSON *gens, const char *kind,
		const cJSON *opts, err *e)
{
	const cJSON *it;
	if (!gens)
		return 0;
	if (!cJSON_IsArray(gens))
		return err_fail(e, KZ_REASON, "%sGenerator must be a list", kind);
	cJSON_ArrayForEach(it, gens)
		if (gen_one(c, m, dir, it, !strcmp(kind, "secret"), opts, e) < 0)
			return -1;
	return 0;
}
