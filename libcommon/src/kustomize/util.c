/* Small pieces of the engine: string vectors, resources and resource lists, identities, the
 * confined filesystem. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "eddy/json.h"
#include "eddy/yml.h"
#include "eddy/mem.h"
#include "kz_int.h"

const char *kz_kind(const cJSON *o) { return json_str_or(o, "kind", ""); }
const char *kz_apiversion(const cJSON *o) { return json_str_or(o, "apiVersion", ""); }
const char *kz_name(const cJSON *o) { return json_str_or(json_get(o, "metadata"), "name", ""); }
const char *kz_namespace(const cJSON *o)
{
	return json_str_or(json_get(o, "metadata"), "namespace", "");
}

static void copy_trunc(char *dst, size_t dl, const char *src, size_t n)
{
	if (n >= dl)
		n = dl - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

void kz_split_apiversion(const char *av, char *group, size_t gl, char *version, size_t vl)
{
	const char *sl = strrchr(av, '/');
	if (sl) {
		copy_trunc(group, gl, av, (size_t)(sl - av));
		copy_trunc(version, vl, sl + 1, strlen(sl + 1));
	} else {
		group[0] = 0;
		copy_trunc(version, vl, av, strlen(av));
	}
}

static cJSON *metadata(cJSON *o)
{
	cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	if (!cJSON_IsObject(m)) {
		if (m)
			cJSON_DeleteItemFromObjectCaseSensitive(o, "metadata");
		m = cJSON_AddObjectToObject(o, "metadata");
	}
	return m;
}

void kz_set_name(cJSON *o, const char *name)
{
	cJSON *m = metadata(o);
	cJSON *n = cJSON_CreateString(name);
	if (cJSON_GetObjectItemCaseSensitive(m, "name"))
		cJSON_ReplaceItemInObjectCaseSensitive(m, "name", n);
	else
		cJSON_AddItemToObject(m, "name", n);
}

void kz_set_namespace(cJSON *o, const char *ns)
{
	cJSON *m = metadata(o);
	cJSON *n = cJSON_CreateString(ns);
	if (cJSON_GetObjectItemCaseSensitive(m, "namespace"))
		cJSON_ReplaceItemInObjectCaseSensitive(m, "namespace", n);
	else
		cJSON_AddItemToObject(m, "namespace", n);
}

static void set_idkey(kz_res *r)
{
	char g[256], v[128];
	const char *ns = kz_namespace(r->obj);
	kz_split_apiversion(kz_apiversion(r->obj), g, sizeof(g), v, sizeof(v));
	free(r->idkey);
	r->idkey = xasprintf("%s|%s|%s|%s", g, kz_kind(r->obj), *ns ? ns : "default",
			     kz_name(r->obj));
}

kz_res *kz_res_new(cJSON *obj)
{
	kz_res *r = xcalloc(1, sizeof(*r));
	r->obj = obj;
	strv_add(&r->names, kz_name(obj));
	strv_add(&r->nss, kz_namespace(obj));
	set_idkey(r);
	return r;
}

void kz_res_track(kz_res *r)
{
	const char *n = kz_name(r->obj), *ns = kz_namespace(r->obj);
	set_idkey(r);
	if (strcmp(r->names.v[r->names.n - 1], n) || strcmp(r->nss.v[r->nss.n - 1], ns)) {
		strv_add(&r->names, n);
		strv_add(&r->nss, ns);
	}
}

void kz_res_free(kz_res *r)
{
	if (!r)
		return;
	cJSON_Delete(r->obj);
	strv_release(&r->names);
	strv_release(&r->nss);
	strv_release(&r->refvars);
	strv_release(&r->prefixes);
	strv_release(&r->suffixes);
	free(r->origin);
	free(r->idkey);
	free(r->transforms);
	free(r);
}

void kz_resmap_push(kz_resmap *m, kz_res *r)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
	}
	m->v[m->n++] = r;
}

void kz_resmap_remove(kz_resmap *m, size_t i)
{
	kz_res_free(m->v[i]);
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
	m->n--;
}

void kz_resmap_release(kz_resmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		kz_res_free(m->v[i]);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

char *kz_res_idstr(const kz_res *r)
{
	char g[256], v[128];
	const char *ns = kz_namespace(r->obj);
	kz_split_apiversion(kz_apiversion(r->obj), g, sizeof(g), v, sizeof(v));
	return xasprintf("%s.%s.%s/%s.%s", kz_kind(r->obj), v, g[0] ? g : "[noGrp]",
			 kz_name(r->obj), ns[0] ? ns : "[noNs]");
}

/* Cluster-scoped kinds as kustomize knows them (its built-in OpenAPI data, Kubernetes 1.21):
 * kinds newer than that (admission policies, ServiceCIDR, ...) and the review kinds are
 * namespaced for kustomize. */
static const char *const cluster_kinds[] = {
	"APIService", "CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding",
	"ComponentStatus", "CSIDriver", "CSINode", "CustomResourceDefinition",
	"IngressClass", "MutatingWebhookConfiguration", "Namespace", "Node",
	"PersistentVolume", "PodSecurityPolicy", "PriorityClass", "RuntimeClass",
	"StorageClass", "ValidatingWebhookConfiguration", "VolumeAttachment", NULL,
};

bool kz_is_cluster_scoped(const char *group, const char *kind)
{
	(void)group;
	for (size_t i = 0; cluster_kinds[i]; i++)
		if (!strcmp(cluster_kinds[i], kind))
			return true;
	return false;
}

bool kz_is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

bool kz_is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

bool kz_is_remote(const char *s)
{
	return strstr(s, "://") || !strncmp(s, "github.com/", 11) ||
	       !strncmp(s, "git@", 4) || !strncmp(s, "gitlab.com/", 11) ||
	       !strncmp(s, "bitbucket.org/", 14);
}

static bool under(const char *root, const char *p)
{
	size_t n = strlen(root);
	if (!strcmp(root, "/"))
		return true;
	return !strncmp(root, p, n) && (p[n] == '/' || p[n] == 0);
}

char *kz_clean_join(const char *dir, const char *rel)
{
	char *joined = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", dir, rel);
	size_t n = strlen(joined);
	char *out = xmalloc(n + 2);
	size_t o = 0;
	bool rooted = joined[0] == '/';
	char *save = NULL;
	for (char *t = strtok_r(joined, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (!strcmp(t, "."))
			continue;
		if (!strcmp(t, "..")) {
			size_t back = o;
			while (back > 0 && out[back - 1] != '/')
				back--;
			bool parent_is_dotdot = o - back == 2 && !strncmp(out + back, "..", 2);
			if (o > 0 && !parent_is_dotdot) {
				o = back > 0 ? back - 1 : 0;
				continue;
			}
			if (rooted)
				continue;
		}
		if (o > 0 || rooted)
			out[o++] = '/';
		memcpy(out + o, t, strlen(t));
		o += strlen(t);
	}
	if (o == 0)
		out[o++] = rooted ? '/' : '.';
	out[o] = '\0';
	free(joined);
	return out;
}

void kz_err_missing(err *e, const char *dir, const char *rel)
{
	/* Go's filepath.EvalSymlinks: lstat fails on the first component that is missing */
	char *j = kz_clean_join(dir, rel);
	int en = ENOENT;
	size_t n = strlen(j), at = n;
	for (size_t i = 1; i <= n; i++) {
		if (j[i] != '/' && j[i] != '\0')
			continue;
		char save = j[i];
		j[i] = '\0';
		struct stat st;
		int rc = lstat(j, &st);
		if (rc < 0)
			en = errno;
		else if (save == '/' && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
			rc = -1;
			en = ENOTDIR;
		}
		j[i] = save;
		if (rc < 0) {
			at = i;
			break;
		}
	}
	err_fail(e, KZ_REASON, "evalsymlink failure on '%s' : lstat %.*s: %s", j, (int)at, j,
		 en == ENOENT ? "no such file or directory" : strerror(en));
	e->cls = ERR_STALLING;
	free(j);
}

char *kz_resolve(kz_ctx *c, const char *dir, const char *rel, err *e)
{
	char *joined = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", dir, rel);
	char *real = realpath(joined, NULL);
	free(joined);
	if (!real) {
		kz_err_missing(e, dir, rel);
		return NULL;
	}
	if (!under(c->root, real)) {
		err_fail(e, KZ_REASON, "security; file '%s' is not in or below '%s'", rel, c->root);
		free(real);
		return NULL;
	}
	/* realpath() from libc may hand us malloc memory: copy into our allocator's */
	char *r = xstrdup(real);
	free(real);
	return r;
}

char *kz_read_file(kz_ctx *c, const char *path, size_t *len, err *e)
{
	buf b;
	char tmp[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_fail(e, KZ_REASON, "open %s: %s", path, strerror(errno));
		return NULL;
	}
	buf_init(&b, c->opt.max_file_bytes);
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_fail(e, KZ_REASON, "read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (buf_add(&b, tmp, (size_t)n) < 0) {
			err_fail(e, KZ_REASON, "%s: file larger than %zu bytes", path,
				 c->opt.max_file_bytes);
			goto fail;
		}
		c->total_bytes += (size_t)n;
		if (c->total_bytes > c->opt.max_total_bytes) {
			err_fail(e, KZ_REASON, "build reads more than %zu bytes",
				 c->opt.max_total_bytes);
			goto fail;
		}
	}
	close(fd);
	return buf_detach(&b, len);
fail:
	close(fd);
	buf_release(&b);
	return NULL;
}

void kz_replace(cJSON *parent, cJSON *old, cJSON *repl)
{
	if (old->string && cJSON_IsObject(parent)) {
		free(repl->string);
		repl->string = xstrdup(old->string);
		repl->type &= ~cJSON_StringIsConst;
	}
	cJSON_ReplaceItemViaPointer(parent, old, repl);
}

char *kz_relpath(const char *dir, const char *path)
{
	size_t common = 0, i = 0;
	/* longest common prefix ending at a path separator */
	while (dir[i] && path[i] && dir[i] == path[i]) {
		i++;
		if (dir[i] == 0 && (path[i] == '/' || path[i] == 0))
			common = i;
		else if (dir[i] == '/' && path[i] == '/')
			common = i;
	}
	if (!strcmp(dir, "/"))
		return xstrdup(path[0] == '/' ? path + 1 : path);
	buf b;
	buf_init(&b, 1 << 20);
	for (const char *p = dir + common; *p; p++)
		if (*p == '/')
			buf_adds(&b, "../");
	const char *rest = path + common;
	if (*rest == '/')
		rest++;
	buf_adds(&b, rest);
	if (b.len && b.data[b.len - 1] == '/')
		b.data[--b.len] = 0;
	return buf_detach(&b, NULL);
}

/* Go's %q of s into a new string. */
char *kz_go_quote(const char *s)
{
	buf b;
	buf_init(&b, 4 * ERR_MSG_MAX);
	buf_addc(&b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addf(&b, "\\%c", *p);
		else if (*p == '\n')
			buf_adds(&b, "\\n");
		else if (*p == '\t')
			buf_adds(&b, "\\t");
		else if (*p == '\r')
			buf_adds(&b, "\\r");
		else if (*p < 0x20 || *p == 0x7f)
			buf_addf(&b, "\\x%02x", *p);
		else
			buf_addc(&b, (char)*p);
	}
	buf_addc(&b, '"');
	char *r = xstrdup(buf_str(&b));
	buf_release(&b);
	return r;
}


int kz_config_err(err *e, const char *plugin, const cJSON *cfg, const char *msg)
{
	buf y;
	buf_init(&y, ERR_MSG_MAX);
	err ye = {0};
	if (yml_emit(&y, cfg, &ye) < 0)
		buf_reset(&y);
	const char *ys = buf_str(&y);
	char *m = xstrdup(msg);
	char *pct = strstr(m, "%s");
	if (pct) {
		*pct = '\0';
		err_fail(e, KZ_REASON, "trouble configuring builtin %s with config: `\n%s`: %s%s%s",
			 plugin, ys, m, ys, pct + 2);
	} else {
		err_fail(e, KZ_REASON, "trouble configuring builtin %s with config: `\n%s`: %s",
			 plugin, ys, m);
	}
	free(m);
	buf_release(&y);
	return -1;
}

char *kz_resid_str(const char *g, const char *v, const char *k, const char *name, const char *ns)
{
	return xasprintf("%s.%s.%s/%s.%s", k && *k ? k : "[noKind]", v && *v ? v : "[noVer]",
			 g && *g ? g : "[noGrp]", name && *name ? name : "[noName]",
			 ns && *ns ? ns : "[noNs]");
}
