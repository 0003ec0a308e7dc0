/* Helm chart repository access over HTTP(S) (see helm_getter.h). */
#include "helm_getter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/mem.h"
#include "git_auth.h"
#include "sc_json.h"

/* scheme://host[:port] of url, allocated */
static char *origin_of(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return xstrdup("");
	p += 3;
	size_t n = strcspn(p, "/?#");
	return xstrndup(url, (size_t)(p - url) + n);
}

char *helm_resolve_url(const char *repo_url, const char *ref)
{
	if (strstr(ref, "://"))
		return xstrdup(ref);
	if (ref[0] == '/') {
		char *o = origin_of(repo_url);
		char *u = xasprintf("%s%s", o, ref);
		free(o);
		return u;
	}
	size_t n = strcspn(repo_url, "?#");
	const char *sep = n && repo_url[n - 1] == '/' ? "" : "/";
	return xasprintf("%.*s%s%s%s", (int)n, repo_url, sep, ref, repo_url + n);
}

void helm_human_size(double size, char out[32])
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
	int i = 0;
	while (size >= 1000.0 && i < 8) {
		size /= 1000.0;
		i++;
	}
	snprintf(out, 32, "%.4g%s", size, units[i]);
}

int helm_getter_init(helm_getter *g, rt_ctx *ctx, const cJSON *repo, err *e)
{
	memset(g, 0, sizeof *g);
	const cJSON *spec = json_get(repo, "spec");
	const char *ns = kube_obj_namespace(repo);
	const char *url = json_str(spec, "url");
	if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
		return err_set(e, ERR_STALLING, "URLInvalid", "invalid Helm repository URL: "
			"unsupported scheme in '%s'", url ? url : "");
	size_t n = strlen(url);
	while (n && url[n - 1] == '/')
		n--;
	g->url = xasprintf("%.*s/", (int)n, url);
	g->opts.timeout_ms = (uint64_t)parse_dur_ms(json_str(spec, "timeout"), 60000);
	g->opts.user_agent = "eddy-source-controller";
	g->pass_credentials = cJSON_IsTrue(json_get(spec, "passCredentials"));
	const char *sname = json_str(json_get(spec, "secretRef"), "name");
	if (sname) {
		g->secret = gitauth_secret(ctx, ns, sname, e);
		if (!g->secret) {
			snprintf(e->reason, sizeof e->reason, "AuthenticationFailed");
			return -1;
		}
		g->opts.basic_user = json_str(g->secret, "username");
		g->opts.basic_password = json_str(g->secret, "password");
		if ((g->opts.basic_user == NULL) != (g->opts.basic_password == NULL))
			return err_fail(e, "AuthenticationFailed", "invalid '%s' secret data: "
				"required fields 'username' and 'password'", sname);
		/* deprecated TLS data in secretRef */
		g->opts.cert_pem = json_str(g->secret, "certFile");
		g->opts.key_pem = json_str(g->secret, "keyFile");
		g->opts.ca_pem = json_str(g->secret, "caFile");
	}
	const char *cname = json_str(json_get(spec, "certSecretRef"), "name");
	if (cname) {
		g->cert = gitauth_secret(ctx, ns, cname, e);
		if (!g->cert) {
			snprintf(e->reason, sizeof e->reason, "AuthenticationFailed");
			return -1;
		}
		g->opts.cert_pem = json_str(g->cert, "tls.crt");
		g->opts.key_pem = json_str(g->cert, "tls.key");
		g->opts.ca_pem = json_str(g->cert, "ca.crt");
		if (!g->opts.cert_pem && !g->opts.key_pem && !g->opts.ca_pem)
			return err_fail(e, "AuthenticationFailed", "failed to construct Helm "
				"client's TLS config: no 'tls.crt', 'tls.key' or 'ca.crt' in "
				"secret '%s/%s'", ns, cname);
	}
	if ((g->opts.cert_pem == NULL) != (g->opts.key_pem == NULL))
		return err_fail(e, "AuthenticationFailed", "failed to construct Helm client's TLS "
			"config: secret must contain both 'tls.crt' and 'tls.key'");
	g->client = http_client_new(&g->opts, e);
	if (!g->client) {
		snprintf(e->reason, sizeof e->reason, "Failed");
		err_prefix(e, "failed to construct Helm client");
		return -1;
	}
	return 0;
}

void helm_getter_release(helm_getter *g)
{
	if (g->client)
		http_client_free(g->client);
	cJSON_Delete(g->secret);
	cJSON_Delete(g->cert);
	free(g->url);
	memset(g, 0, sizeof *g);
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

int helm_getter_get(helm_getter *g, const char *url, uint64_t max, const char *what,
	const char *path, char digest[ART_DIGEST_MAX], err *e)
{
	/* credentials only for the repository's own origin, unless passCredentials */
	char *ro = origin_of(g->url), *uo = origin_of(url);
	bool same = !strcmp(ro, uo);
	free(ro);
	free(uo);
	http_client *c = g->client;
	http_client *other = NULL;
	if (!same && !g->pass_credentials && g->opts.basic_user) {
		http_client_opts o = g->opts;
		o.basic_user = o.basic_password = NULL;
		other = http_client_new(&o, e);
		if (!other)
			return -1;
		c = other;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (other)
			http_client_free(other);
		return err_fail(e, "Failed", "open %s: %s", path, strerror(errno));
	}
	sink s = {.fd = fd, .max = max};
	http_client_req req = {.url = url, .on_chunk = on_chunk, .chunk_ud = &s,
		.timeout_ms = g->opts.timeout_ms};
	http_response resp;
	err he = {0};
	int rc = http_client_do(c, &req, &resp, &he);
	close(fd);
	if (s.over) {
		rc = err_fail(e, "Failed", "%s exceeds the maximum %s size of %llu bytes", what,
			what, (unsigned long long)max);
	} else if (s.werr) {
		rc = err_fail(e, "Failed", "write %s: %s", path, strerror(errno));
	} else if (rc < 0) {
		rc = err_fail(e, "Failed", "%s", he.msg);
	} else if (resp.status != 200) {
		char *red = log_redact_url(url);
		rc = err_fail(e, "Failed", "failed to fetch %s : %ld %s", red, resp.status,
			http_status_text((int)resp.status));
		free(red);
	} else {
		rc = art_digest_file(path, digest, e);
	}
	http_response_release(&resp);
	if (other)
		http_client_free(other);
	if (rc < 0)
		unlink(path);
	return rc;
}
