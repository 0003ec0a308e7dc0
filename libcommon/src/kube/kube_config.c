/* kube_config: kubeconfig and in-cluster configuration for the kube client (eddy/kube.h). */
#include "eddy/kube.h"
#include "eddy/buf.h"
#include "eddy/codec.h"
#include "eddy/json.h"
#include "eddy/mem.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

enum {
	CFG_MAX_FILE = 4 << 20,   /* a kubeconfig or PEM file */
	CFG_MAX_DEPTH = 64,
	CFG_MAX_NODES = 200000,
};

#define R_CFG "KubeConfigInvalid"

/* ------------------------------------------------------------------ small helpers */

static int read_file(const char *path, size_t cap, buf *out, err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_fail(e, R_CFG, "cannot open %s: %s", path, strerror(errno));
	buf_init(out, cap);
	char tmp[8192];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
		if (buf_add(out, tmp, n) < 0) {
			fclose(f);
			buf_release(out);
			return err_fail(e, R_CFG, "%s is larger than %zu bytes", path, cap);
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		buf_release(out);
		return err_fail(e, R_CFG, "cannot read %s", path);
	}
	return 0;
}

/* ------------------------------------------------------------------ YAML to cJSON */

/* A small libyaml reader for kubeconfig files: mappings, sequences and scalars; plain true/false
 * become booleans, plain null/~ null, everything else a string. Anchors and aliases are refused.
 * The general YAML module lives elsewhere; this one exists so the client has no dependency. */
static cJSON *yaml_to_json(const char *data, size_t len, err *e)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		err_fail(e, R_CFG, "cannot initialise the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	cJSON *stack[CFG_MAX_DEPTH];
	int depth = 0;
	cJSON *root = NULL;
	long nodes = 0;
	bool done = false, failed = false;
	char *pending_key = NULL;
	while (!done && !failed) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			err_fail(e, R_CFG, "invalid YAML at line %zu: %s", p.problem_mark.line + 1,
				p.problem ? p.problem : "syntax error");
			failed = true;
			break;
		}
		cJSON *node = NULL;
		bool is_container = false;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			done = root != NULL || ev.type == YAML_STREAM_END_EVENT;
			break;
		case YAML_ALIAS_EVENT:
			err_fail(e, R_CFG, "YAML aliases are not supported in a kubeconfig");
			failed = true;
			break;
		case YAML_SCALAR_EVENT: {
			const char *v = (const char *)ev.data.scalar.value;
			size_t vl = ev.data.scalar.length;
			bool plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			cJSON *top = depth ? stack[depth - 1] : NULL;
			if (top && cJSON_IsObject(top) && !pending_key) {
				pending_key = xstrndup(v, vl);
				break;
			}
			if (plain && (!strcmp(v, "true") || !strcmp(v, "True")))
				node = cJSON_CreateTrue();
			else if (plain && (!strcmp(v, "false") || !strcmp(v, "False")))
				node = cJSON_CreateFalse();
			else if (plain && (vl == 0 || !strcmp(v, "null") || !strcmp(v, "~")))
				node = cJSON_CreateNull();
			else {
				char *s = xstrndup(v, vl);
				node = cJSON_CreateString(s);
				free(s);
			}
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
			node = cJSON_CreateArray();
			is_container = true;
			break;
		case YAML_MAPPING_START_EVENT:
			node = cJSON_CreateObject();
			is_container = true;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			free(pending_key);
			pending_key = NULL;
			break;
		default:
			break;
		}
		if (node) {
			if (++nodes > CFG_MAX_NODES) {
				cJSON_Delete(node);
				err_fail(e, R_CFG, "kubeconfig has too many nodes");
				failed = true;
			} else if (depth == 0) {
				if (root) {
					cJSON_Delete(node);
				} else {
					root = node;
				}
			} else {
				cJSON *top = stack[depth - 1];
				if (cJSON_IsObject(top) && !pending_key) {
					cJSON_Delete(node);
					node = NULL;
					is_container = false;
					err_fail(e, R_CFG, "complex mapping keys are not supported");
					failed = true;
				} else if (cJSON_IsObject(top)) {
					cJSON_DeleteItemFromObjectCaseSensitive(top, pending_key);
					cJSON_AddItemToObject(top, pending_key, node);
					free(pending_key);
					pending_key = NULL;
				} else {
					cJSON_AddItemToArray(top, node);
				}
			}
			if (is_container && !failed) {
				if (depth >= CFG_MAX_DEPTH) {
					err_fail(e, R_CFG, "kubeconfig nests too deeply");
					failed = true;
				} else {
					stack[depth++] = node;
				}
			}
		}
		yaml_event_delete(&ev);
	}
	free(pending_key);
	yaml_parser_delete(&p);
	if (failed) {
		cJSON_Delete(root);
		return NULL;
	}
	if (!root)
		root = cJSON_CreateObject();
	return root;
}

/* ------------------------------------------------------------------ kubeconfig model */

static bool jbool(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	return cJSON_IsString(v) && !strcmp(v->valuestring, "true");
}

static const cJSON *find_named(const cJSON *list, const char *name)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, list) {
		const char *n = json_str(it, "name");
		if (n && !strcmp(n, name))
			return it;
	}
	return NULL;
}

/* Makes the path fields of section[i].<inner> absolute against basedir. */
static void absolutize(cJSON *doc, const char *section, const char *inner,
	const char *const *fields, const char *basedir)
{
	cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, section), *it;
	cJSON_ArrayForEach(it, list) {
		cJSON *in = cJSON_GetObjectItemCaseSensitive(it, inner);
		if (!cJSON_IsObject(in))
			continue;
		for (const char *const *f = fields; *f; f++) {
			const char *v = json_str(in, *f);
			if (!v || !*v || v[0] == '/')
				continue;
			char *abs = basedir ? xasprintf("%s/%s", basedir, v) : xasprintf("\x01%s", v);
			cJSON_ReplaceItemInObjectCaseSensitive(in, *f, cJSON_CreateString(abs));
			free(abs);
		}
	}
}

static const char *const cluster_paths[] = {"certificate-authority", NULL};
static const char *const user_paths[] = {"client-certificate", "client-key", "tokenFile", NULL};

static cJSON *parse_doc(const char *data, size_t len, const char *basedir, err *e)
{
	cJSON *doc = yaml_to_json(data, len, e);
	if (!doc)
		return NULL;
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		err_fail(e, R_CFG, "kubeconfig is not a mapping");
		return NULL;
	}
	absolutize(doc, "clusters", "cluster", cluster_paths, basedir);
	absolutize(doc, "users", "user", user_paths, basedir);
	return doc;
}

/* Merges `add` into `into` (first definition of a name wins, first current-context wins). */
static void merge_doc(cJSON *into, const cJSON *add)
{
	static const char *const sections[] = {"clusters", "users", "contexts"};
	for (size_t i = 0; i < 3; i++) {
		const cJSON *src = cJSON_GetObjectItemCaseSensitive(add, sections[i]);
		if (!cJSON_IsArray(src))
			continue;
		cJSON *dst = cJSON_GetObjectItemCaseSensitive(into, sections[i]);
		if (!cJSON_IsArray(dst)) {
			cJSON_DeleteItemFromObjectCaseSensitive(into, sections[i]);
			dst = cJSON_AddArrayToObject(into, sections[i]);
		}
		const cJSON *it;
		cJSON_ArrayForEach(it, src) {
			const char *n = json_str(it, "name");
			if (n && !find_named(dst, n))
				cJSON_AddItemToArray(dst, cJSON_Duplicate(it, 1));
		}
	}
	const char *cur = json_str(into, "current-context");
	const char *acur = json_str(add, "current-context");
	if ((!cur || !*cur) && acur && *acur) {
		cJSON_DeleteItemFromObjectCaseSensitive(into, "current-context");
		cJSON_AddStringToObject(into, "current-context", acur);
	}
}

/* Reads a PEM either inline (base64 *-data) or from a file. */
static int load_pem(const cJSON *o, const char *datakey, const char *filekey, char **out,
	const char *what, err *e)
{
	const char *d = json_str(o, datakey);
	if (d && *d) {
		size_t n;
		char *dec = b64_decode(d, strlen(d), B64_LENIENT, 0, &n);
		if (!dec)
			return err_fail(e, R_CFG, "%s: %s is not valid base64", what, datakey);
		*out = dec;
		return 0;
	}
	const char *f = json_str(o, filekey);
	if (f && *f) {
		if (f[0] == '\x01')
			return err_fail(e, R_CFG, "%s: relative file reference %s is not allowed here",
				what, f + 1);
		buf b;
		if (read_file(f, CFG_MAX_FILE, &b, e) < 0) {
			err_prefix(e, "%s", what);
			return -1;
		}
		*out = buf_detach(&b, NULL);
	}
	return 0;
}

static void set_defaults(kube_config *c)
{
	if (c->qps <= 0)
		c->qps = 50;
	if (c->burst <= 0)
		c->burst = 300;
	if (c->timeout_ms <= 0)
		c->timeout_ms = 30000;
	if (!c->user_agent)
		c->user_agent = xstrdup("eddy");
	if (!c->namespace_)
		c->namespace_ = xstrdup("default");
}

static int resolve(kube_config *c, const cJSON *doc, const char *context, err *e)
{
	memset(c, 0, sizeof *c);
	const char *ctxname = context && *context ? context : json_str(doc, "current-context");
	if (!ctxname || !*ctxname)
		return err_fail(e, R_CFG, "kubeconfig has no current-context and none was given");
	const cJSON *ctx = find_named(cJSON_GetObjectItemCaseSensitive(doc, "contexts"), ctxname);
	if (!ctx)
		return err_fail(e, R_CFG, "context \"%s\" does not exist in the kubeconfig", ctxname);
	const cJSON *cc = cJSON_GetObjectItemCaseSensitive(ctx, "context");
	const char *clname = json_str(cc, "cluster"), *uname = json_str(cc, "user");
	if (!clname || !*clname)
		return err_fail(e, R_CFG, "context \"%s\" names no cluster", ctxname);
	const cJSON *cl = find_named(cJSON_GetObjectItemCaseSensitive(doc, "clusters"), clname);
	if (!cl)
		return err_fail(e, R_CFG, "cluster \"%s\" does not exist in the kubeconfig", clname);
	const cJSON *clc = cJSON_GetObjectItemCaseSensitive(cl, "cluster");
	const char *server = json_str(clc, "server");
	if (!server || !*server)
		return err_fail(e, R_CFG, "cluster \"%s\" has no server", clname);
	if (strncmp(server, "https://", 8) && strncmp(server, "http://", 7))
		return err_fail(e, R_CFG, "cluster \"%s\": server must be an http(s) URL", clname);
	c->server = xstrdup(server);
	size_t sl = strlen(c->server);
	while (sl > 0 && c->server[sl - 1] == '/')
		c->server[--sl] = '\0';
	c->context = xstrdup(ctxname);
	c->insecure = jbool(clc, "insecure-skip-tls-verify");
	if (cJSON_GetObjectItemCaseSensitive(clc, "proxy-url"))
		goto fail_proxy;
	if (load_pem(clc, "certificate-authority-data", "certificate-authority", &c->ca_pem,
		    "certificate-authority", e) < 0)
		goto fail;
	const char *ns = json_str(cc, "namespace");
	c->namespace_ = xstrdup(ns && *ns ? ns : "default");
	if (uname && *uname) {
		const cJSON *u = find_named(cJSON_GetObjectItemCaseSensitive(doc, "users"), uname);
		if (!u) {
			err_fail(e, R_CFG, "user \"%s\" does not exist in the kubeconfig", uname);
			goto fail;
		}
		const cJSON *uu = cJSON_GetObjectItemCaseSensitive(u, "user");
		if (cJSON_GetObjectItemCaseSensitive(uu, "exec")) {
			err_fail(e, R_CFG, "user \"%s\": exec credential plugins are not supported "
				"(use a token or client certificate)", uname);
			goto fail;
		}
		if (cJSON_GetObjectItemCaseSensitive(uu, "auth-provider")) {
			err_fail(e, R_CFG, "user \"%s\": auth-provider plugins are not supported", uname);
			goto fail;
		}
		if (load_pem(uu, "client-certificate-data", "client-certificate", &c->cert_pem,
			    "client-certificate", e) < 0 ||
		    load_pem(uu, "client-key-data", "client-key", &c->key_pem, "client-key", e) < 0)
			goto fail;
		if ((c->cert_pem == NULL) != (c->key_pem == NULL)) {
			err_fail(e, R_CFG, "user \"%s\": client certificate and key must both be set",
				uname);
			goto fail;
		}
		const char *tok = json_str(uu, "token");
		if (tok && *tok)
			c->token = xstrdup(tok);
		const char *tf = json_str(uu, "tokenFile");
		if (!c->token && tf && *tf) {
			if (tf[0] == '\x01') {
				err_fail(e, R_CFG, "tokenFile: relative path not allowed here");
				goto fail;
			}
			c->token_file = xstrdup(tf);
		}
		const char *as = json_str(uu, "as");
		if (as && *as)
			c->impersonate_user = xstrdup(as);
	}
	set_defaults(c);
	return 0;
fail_proxy:
	err_fail(e, R_CFG, "cluster \"%s\": proxy-url is not supported", clname);
fail:
	kube_config_release(c);
	return -1;
}

int kube_config_load_data(kube_config *c, const char *data, size_t len, const char *context,
	const char *basedir, err *e)
{
	memset(c, 0, sizeof *c);
	if (len > CFG_MAX_FILE)
		return err_fail(e, R_CFG, "kubeconfig is larger than %d bytes", CFG_MAX_FILE);
	cJSON *doc = parse_doc(data, len, basedir, e);
	if (!doc)
		return -1;
	int rc = resolve(c, doc, context, e);
	cJSON_Delete(doc);
	return rc;
}

static char *dir_of(const char *path)
{
	const char *sl = strrchr(path, '/');
	if (!sl) {
		char cwd[PATH_MAX];
		return xstrdup(getcwd(cwd, sizeof cwd) ? cwd : ".");
	}
	if (sl == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(sl - path));
}

int kube_config_load_file(kube_config *c, const char *path, const char *context, err *e)
{
	memset(c, 0, sizeof *c);
	char *list = NULL;
	if (path && *path) {
		list = xstrdup(path);
	} else {
		const char *env = getenv("KUBECONFIG");
		if (env && *env) {
			list = xstrdup(env);
		} else {
			const char *home = getenv("HOME");
			if (!home)
				return err_fail(e, R_CFG, "no kubeconfig: KUBECONFIG and HOME are unset");
			list = xasprintf("%s/.kube/config", home);
		}
	}
	bool explicit_path = path && *path;
	cJSON *merged = cJSON_CreateObject();
	int loaded = 0, rc = -1;
	char *save = NULL;
	for (char *p = strtok_r(list, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		if (!*p)
			continue;
		if (!explicit_path && access(p, F_OK) != 0)
			continue; /* like kubectl: missing files in KUBECONFIG are skipped */
		buf b;
		if (read_file(p, CFG_MAX_FILE, &b, e) < 0)
			goto out;
		char *dir = dir_of(p);
		cJSON *doc = parse_doc(buf_str(&b), b.len, dir, e);
		free(dir);
		buf_release(&b);
		if (!doc) {
			err_prefix(e, "%s", p);
			goto out;
		}
		merge_doc(merged, doc);
		cJSON_Delete(doc);
		loaded++;
	}
	if (!loaded) {
		err_fail(e, R_CFG, "no kubeconfig file found (%s)", list);
		goto out;
	}
	rc = resolve(c, merged, context, e);
out:
	cJSON_Delete(merged);
	free(list);
	return rc;
}

int kube_config_in_cluster(kube_config *c, const char *sa_dir, err *e)
{
	memset(c, 0, sizeof *c);
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	if (!host || !*host || !port || !*port)
		return err_fail(e, R_CFG, "not running in a cluster: KUBERNETES_SERVICE_HOST and "
			"KUBERNETES_SERVICE_PORT must be set");
	if (!sa_dir)
		sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
	c->server = strchr(host, ':') ? xasprintf("https://[%s]:%s", host, port)
		: xasprintf("https://%s:%s", host, port);
	c->token_file = xasprintf("%s/token", sa_dir);
	if (access(c->token_file, R_OK) != 0) {
		err_fail(e, R_CFG, "cannot read the service-account token %s", c->token_file);
		kube_config_release(c);
		return -1;
	}
	char *ca = xasprintf("%s/ca.crt", sa_dir);
	buf b;
	if (access(ca, R_OK) == 0) {
		if (read_file(ca, CFG_MAX_FILE, &b, e) < 0) {
			free(ca);
			kube_config_release(c);
			return -1;
		}
		c->ca_pem = buf_detach(&b, NULL);
	}
	free(ca);
	char *nsf = xasprintf("%s/namespace", sa_dir);
	if (access(nsf, R_OK) == 0 && read_file(nsf, 256, &b, NULL) == 0) {
		char *ns = buf_detach(&b, NULL);
		size_t n = strlen(ns);
		while (n > 0 && (ns[n - 1] == '\n' || ns[n - 1] == ' '))
			ns[--n] = '\0';
		if (n)
			c->namespace_ = ns;
		else
			free(ns);
	}
	free(nsf);
	set_defaults(c);
	return 0;
}

int kube_config_auto(kube_config *c, const char *kubeconfig, const char *context, err *e)
{
	if (kubeconfig && *kubeconfig)
		return kube_config_load_file(c, kubeconfig, context, e);
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	if (host && *host && !getenv("KUBECONFIG"))
		return kube_config_in_cluster(c, NULL, e);
	return kube_config_load_file(c, NULL, context, e);
}

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static char **dup_strv(char *const *v)
{
	if (!v)
		return NULL;
	size_t n = 0;
	while (v[n])
		n++;
	char **r = xcalloc(n + 1, sizeof *r);
	for (size_t i = 0; i < n; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

void kube_config_release(kube_config *c)
{
	free(c->server);
	free(c->ca_pem);
	if (c->key_pem) /* wipe the private key */
		memset(c->key_pem, 0, strlen(c->key_pem));
	free(c->cert_pem);
	free(c->key_pem);
	if (c->token)
		memset(c->token, 0, strlen(c->token));
	free(c->token);
	free(c->token_file);
	free(c->namespace_);
	free(c->context);
	free(c->impersonate_user);
	free_strv(c->impersonate_groups);
	free(c->user_agent);
	memset(c, 0, sizeof *c);
}

static char *sdup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void kube_config_copy(kube_config *d, const kube_config *s)
{
	*d = *s;
	d->server = sdup(s->server);
	d->ca_pem = sdup(s->ca_pem);
	d->cert_pem = sdup(s->cert_pem);
	d->key_pem = sdup(s->key_pem);
	d->token = sdup(s->token);
	d->token_file = sdup(s->token_file);
	d->namespace_ = sdup(s->namespace_);
	d->context = sdup(s->context);
	d->impersonate_user = sdup(s->impersonate_user);
	d->impersonate_groups = dup_strv(s->impersonate_groups);
	d->user_agent = sdup(s->user_agent);
}
