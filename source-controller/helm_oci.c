/* Helm charts from OCI registries (see helm_oci.h). */
#include "helm_oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "eddy/art.h"
#include "eddy/codec.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/semver.h"
#include "eddy/yml.h"
#include "git_auth.h"
#include "sc_json.h"

#define CHART_LAYER "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
#define MANIFEST "application/vnd.oci.image.manifest.v1+json"

static void wipe(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

void helm_oci_release(helm_oci *o)
{
	if (o->c)
		http_client_free(o->c);
	cJSON_Delete(o->secret);
	wipe(o->basic);
	wipe(o->auth);
	free(o->base);
	free(o->host);
	free(o->name);
	memset(o, 0, sizeof *o);
}

/* username/password, or the registry's entry of a .dockerconfigjson */
static int credentials(helm_oci *o, err *e)
{
	const cJSON *s = o->secret;
	const char *u = json_str(s, "username"), *p = json_str(s, "password");
	if (u && p) {
		o->basic = xasprintf("%s:%s", u, p);
		return 0;
	}
	const char *dc = json_str(s, ".dockerconfigjson");
	if (!dc)
		return 0;
	err je = {0};
	cJSON *cfg = yml_json_parse(dc, strlen(dc), NULL, &je);
	const cJSON *ent = json_get(json_get(cfg, "auths"), o->host);
	const char *a = json_str(ent, "auth");
	if (a) {
		size_t n;
		char *d = b64_decode(a, strlen(a), B64_LENIENT, 4096, &n);
		if (d && memchr(d, ':', n))
			o->basic = d;
		else
			free(d);
	} else if (json_str(ent, "username") && json_str(ent, "password")) {
		o->basic = xasprintf("%s:%s", json_str(ent, "username"), json_str(ent, "password"));
	}
	cJSON_Delete(cfg);
	if (!cfg)
		return err_fail(e, "AuthenticationFailed", "failed to parse the docker config of "
			"the secret: %s", je.msg);
	return 0;
}

static void set_basic(helm_oci *o)
{
	if (!o->basic)
		return;
	char *b = b64_encode(o->basic, strlen(o->basic), 0);
	wipe(o->auth);
	o->auth = xasprintf("Authorization: Basic %s", b);
	wipe(b);
}

int helm_oci_init(helm_oci *o, rt_ctx *ctx, const cJSON *repo, const char *chart, err *e)
{
	memset(o, 0, sizeof *o);
	const cJSON *spec = json_get(repo, "spec");
	const char *url = json_str(spec, "url");
	if (!url || strncmp(url, "oci://", 6))
		return err_set(e, ERR_STALLING, "URLInvalid", "invalid OCI registry URL: %s",
			url ? url : "");
	const char *h = url + 6;
	size_t hl = strcspn(h, "/");
	o->host = xstrndup(h, hl);
	const char *path = h + hl;
	while (*path == '/')
		path++;
	size_t pl = strlen(path);
	while (pl && path[pl - 1] == '/')
		pl--;
	o->name = pl ? xasprintf("%.*s/%s", (int)pl, path, chart) : xstrdup(chart);
	bool insecure = cJSON_IsTrue(json_get(spec, "insecure"));
	o->base = xasprintf("%s://%s", insecure ? "http" : "https", o->host);
	o->timeout_ms = (uint64_t)parse_dur_ms(json_str(spec, "timeout"), 60000);
	const char *sname = json_str(json_get(spec, "secretRef"), "name");
	if (sname) {
		o->secret = gitauth_secret(ctx, kube_obj_namespace(repo), sname, e);
		if (!o->secret)
			return -1;
		if (credentials(o, e) < 0)
			return -1;
	}
	http_client_opts co = {.timeout_ms = o->timeout_ms, .user_agent = "eddy-source-controller"};
	cJSON *cert = NULL;
	const char *cname = json_str(json_get(spec, "certSecretRef"), "name");
	if (cname) {
		cert = gitauth_secret(ctx, kube_obj_namespace(repo), cname, e);
		if (!cert)
			return -1;
		co.cert_pem = json_str(cert, "tls.crt");
		co.key_pem = json_str(cert, "tls.key");
		co.ca_pem = json_str(cert, "ca.crt");
	}
	o->c = http_client_new(&co, e);
	cJSON_Delete(cert);
	if (!o->c)
		return -1;
	set_basic(o);
	return 0;
}

static const char *header(const http_response *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->header_names[i], name))
			return r->header_values[i];
	return NULL;
}

/* The value of key="..." in a WWW-Authenticate challenge (allocated), or NULL. */
static char *param(const char *ch, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = ch; (p = strstr(p, key)); p += kl) {
		if (p[kl] != '=' || (p > ch && p[-1] != ' ' && p[-1] != ','))
			continue;
		const char *v = p + kl + 1;
		if (*v == '"') {
			v++;
			return xstrndup(v, strcspn(v, "\""));
		}
		return xstrndup(v, strcspn(v, ", "));
	}
	return NULL;
}

static char *url_escape(const char *s)
{
	buf b;
	buf_init(&b, 4096);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			buf_addc(&b, (char)c);
		else
			buf_addf(&b, "%%%02X", c);
	}
	return buf_detach(&b, NULL);
}

/* Bearer token exchange (the distribution token protocol) for a 401 challenge. */
static int token(helm_oci *o, const char *challenge, err *e)
{
	char *realm = param(challenge, "realm"), *service = param(challenge, "service");
	char *scope = param(challenge, "scope");
	if (!realm) {
		free(service);
		free(scope);
		return err_fail(e, "AuthenticationFailed", "registry challenge without a realm");
	}
	char *es = url_escape(service ? service : ""), *esc = url_escape(scope ? scope : "");
	char *url = xasprintf("%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?",
		es, esc);
	free(es);
	free(esc);
	const char *hdrs[2] = {NULL, NULL};
	char *basic = NULL;
	if (o->basic) {
		char *b = b64_encode(o->basic, strlen(o->basic), 0);
		basic = xasprintf("Authorization: Basic %s", b);
		wipe(b);
		hdrs[0] = basic;
	}
	http_client_req req = {.url = url, .headers = hdrs, .max_response_bytes = 1 << 20};
	http_response resp;
	err he = {0};
	int rc = http_client_do(o->c, &req, &resp, &he);
	wipe(basic);
	char *red = log_redact_url(realm);
	if (rc < 0) {
		rc = err_fail(e, "AuthenticationFailed", "%s", he.msg);
	} else if (resp.status != 200) {
		rc = err_fail(e, "AuthenticationFailed", "failed to get a token from %s: %ld %s",
			red, resp.status, http_status_text((int)resp.status));
	} else {
		err je = {0};
		cJSON *t = yml_json_parse(resp.body.data ? resp.body.data : "", resp.body.len, NULL,
			&je);
		const char *tok = json_str(t, "token");
		if (!tok)
			tok = json_str(t, "access_token");
		if (tok) {
			wipe(o->auth);
			o->auth = xasprintf("Authorization: Bearer %s", tok);
		} else {
			rc = err_fail(e, "AuthenticationFailed", "no token in the answer of %s",
				red);
		}
		cJSON_Delete(t);
	}
	free(red);
	http_response_release(&resp);
	free(url);
	free(realm);
	free(service);
	free(scope);
	return rc;
}

/* GET base + path, with the credentials, once more after a bearer challenge. */
static int get(helm_oci *o, const char *path, const char *accept, http_chunk_cb cb, void *ud,
	http_response *resp, err *e)
{
	char *url = xasprintf("%s%s", o->base, path);
	char *acc = accept ? xasprintf("Accept: %s", accept) : NULL;
	int rc = -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		const char *hdrs[3] = {NULL, NULL, NULL};
		int n = 0;
		if (o->auth)
			hdrs[n++] = o->auth;
		if (acc)
			hdrs[n++] = acc;
		http_client_req req = {.url = url, .headers = hdrs, .on_chunk = cb, .chunk_ud = ud,
			.timeout_ms = o->timeout_ms, .max_response_bytes = 4 << 20};
		err he = {0};
		rc = http_client_do(o->c, &req, resp, &he);
		if (rc < 0) {
			err_fail(e, "Failed", "%s", he.msg);
			break;
		}
		const char *ch = header(resp, "WWW-Authenticate");
		if (resp->status == 401 && attempt == 0 && ch && !strncasecmp(ch, "Bearer", 6)) {
			char *chc = xstrdup(ch);
			http_response_release(resp);
			rc = token(o, chc, e);
			free(chc);
			if (rc < 0)
				break;
			continue;
		}
		break;
	}
	free(acc);
	free(url);
	return rc;
}

static int status_fail(const http_response *r, const char *what, const char *name, err *e)
{
	return err_fail(e, r->status == 401 || r->status == 403 ? "AuthenticationFailed" : "Failed",
		"%s of '%s': %ld %s", what, name, r->status, http_status_text((int)r->status));
}

int helm_oci_resolve(helm_oci *o, const char *ver, char **version, err *e)
{
	semver v;
	bool exact = ver && *ver && !strpbrk(ver, "<>=~^*xX|, ") &&
		semver_parse(ver, &v, NULL) == 0;
	if (exact) {
		*version = xstrdup(ver);
		return 0;
	}
	const char *c = ver && *ver ? ver : "*";
	err re = {0};
	semver_range *rg = semver_range_parse(c, &re);
	if (!rg)
		return err_set(e, ERR_STALLING, "InvalidChartReference", "improper constraint: %s",
			c);
	char *path = xasprintf("/v2/%s/tags/list", o->name);
	http_response resp;
	int rc = get(o, path, NULL, NULL, NULL, &resp, e);
	free(path);
	char *best = NULL;
	semver bv = {0};
	if (rc == 0 && resp.status != 200) {
		rc = status_fail(&resp, "could not get tags", o->name, e);
	} else if (rc == 0) {
		err je = {0};
		cJSON *t = yml_json_parse(resp.body.data ? resp.body.data : "", resp.body.len, NULL,
			&je);
		const cJSON *tag;
		cJSON_ArrayForEach(tag, json_get(t, "tags")) {
			if (!cJSON_IsString(tag))
				continue;
			char *vs = xstrdup(tag->valuestring);
			for (char *p = vs; *p; p++)
				if (*p == '_')
					*p = '+';
			char base[256];
			snprintf(base, sizeof base, "%s", vs);
			base[strcspn(base, "+")] = 0;
			semver sv;
			if (semver_parse(base, &sv, NULL) == 0 && semver_range_match(rg, &sv) &&
			    (!best || semver_cmp(&sv, &bv) > 0)) {
				free(best);
				best = vs;
				bv = sv;
			} else {
				free(vs);
			}
		}
		cJSON_Delete(t);
		if (!best)
			rc = err_set(e, ERR_STALLING, "InvalidChartReference", "could not locate a "
				"version matching provided version string %s", c);
	}
	http_response_release(&resp);
	semver_range_free(rg);
	*version = best;
	return rc;
}

typedef struct sink {
	int fd;
	uint64_t n, max;
	bool over, werr;
} sink;

static int on_chunk(const char *data, size_t len, void *ud)
{
	sink *s = ud;
	s->n += len;
	if (s->max && s->n > s->max) {
		s->over = true;
		return 1;
	}
	while (len) {
		ssize_t w = write(s->fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s->werr = true;
			return 1;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

int helm_oci_pull(helm_oci *o, const char *version, uint64_t max, const char *path, err *e)
{
	char *tag = xstrdup(version);
	for (char *p = tag; *p; p++)
		if (*p == '+')
			*p = '_';
	char *mp = xasprintf("/v2/%s/manifests/%s", o->name, tag);
	free(tag);
	http_response resp;
	int rc = get(o, mp, MANIFEST, NULL, NULL, &resp, e);
	free(mp);
	char *digest = NULL;
	if (rc == 0 && resp.status != 200) {
		rc = status_fail(&resp, "failed to get the manifest", o->name, e);
	} else if (rc == 0) {
		err je = {0};
		cJSON *m = yml_json_parse(resp.body.data ? resp.body.data : "", resp.body.len, NULL,
			&je);
		const cJSON *l;
		cJSON_ArrayForEach(l, json_get(m, "layers")) {
			const char *mt = json_str(l, "mediaType");
			if (!str_eq(mt, CHART_LAYER) || !json_str(l, "digest"))
				continue;
			digest = xstrdup(json_str(l, "digest"));
			const cJSON *sz = json_get(l, "size");
			if (max && cJSON_IsNumber(sz) && sz->valuedouble > (double)max)
				rc = err_fail(e, "Failed", "chart exceeds the maximum chart size "
					"of %llu bytes", (unsigned long long)max);
			break;
		}
		cJSON_Delete(m);
		if (rc == 0 && !digest)
			rc = err_fail(e, "Failed", "no chart layer (%s) in the manifest of '%s:%s'",
				CHART_LAYER, o->name, version);
	}
	http_response_release(&resp);
	if (rc < 0) {
		free(digest);
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(digest);
		return err_fail(e, "Failed", "open %s: %s", path, strerror(errno));
	}
	sink s = {.fd = fd, .max = max};
	char *bp = xasprintf("/v2/%s/blobs/%s", o->name, digest);
	rc = get(o, bp, NULL, on_chunk, &s, &resp, e);
	free(bp);
	close(fd);
	if (s.over)
		rc = err_fail(e, "Failed", "chart exceeds the maximum chart size of %llu bytes",
			(unsigned long long)max);
	else if (s.werr)
		rc = err_fail(e, "Failed", "write %s: %s", path, strerror(errno));
	else if (rc == 0 && resp.status != 200)
		rc = status_fail(&resp, "failed to get the chart layer", o->name, e);
	else if (rc == 0 && art_verify_file(path, digest, e) < 0)
		rc = -1;
	http_response_release(&resp);
	free(digest);
	if (rc < 0)
		unlink(path);
	return rc;
}
