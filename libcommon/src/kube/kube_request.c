/* kube: the transport (one h1 request per call, eddy/h1.h) and the URLs requests go to
 * (eddy/kube.h). */
#include "kube_internal.h"
#include "eddy/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ requests */

/* The answer's body: a watch's 200 stream goes to its callback, anything else into r->resp
 * (capped: a refusal ends the call). */
static int body_sink(void *ud, long status, const char *p, size_t n)
{
	req *r = ud;
	r->code = status;
	if (r->stream && status == 200)
		return r->stream(r, p, n) == n ? 0 : -1;
	return buf_add(&r->resp, p, n) < 0 ? -1 : 0;
}

static bool stop_cb(void *ud)
{
	req *r = ud;
	if (r->stop && r->stop(r->stop_ud)) {
		r->aborted = true;
		return true;
	}
	return false;
}

static char *pct(const char *s)
{
	buf b;
	buf_init(&b, 1 << 20);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~')
			buf_addc(&b, (char)*p);
		else
			buf_addf(&b, "%%%02X", *p);
	}
	return buf_detach(&b, NULL);
}

int kube_perform(kube_client *k, req *r, err *e)
{
	kube_rate_wait(k);
	if (!k->conn)
		return err_fail(e, R_TRANSPORT, "%s %s: %s", r->method, k->cfg.server, k->conn_error);
	/* at most 6 fixed headers, then one per impersonated group */
	size_t ng = 0;
	for (char **g = k->cfg.impersonate_groups; g && *g; g++)
		ng++;
	char **hd = xcalloc(8 + ng, sizeof *hd);
	size_t nh = 0;
	hd[nh++] = xstrdup("Accept: application/json");
	hd[nh++] = xasprintf("User-Agent: %s", k->cfg.user_agent);
	if (r->ctype)
		hd[nh++] = xasprintf("Content-Type: %s", r->ctype);
	char *tok = kube_current_token(k);
	char *authz = NULL;
	if (tok) {
		authz = hd[nh++] = xasprintf("Authorization: Bearer %s", tok);
		memset(tok, 0, strlen(tok));
		free(tok);
	}
	if (k->cfg.impersonate_user) {
		hd[nh++] = xasprintf("Impersonate-User: %s", k->cfg.impersonate_user);
		for (char **g = k->cfg.impersonate_groups; g && *g; g++)
			hd[nh++] = xasprintf("Impersonate-Group: %s", *g);
	}
	h1_req hr = {.method = r->method, .url = r->url, .headers = (const char *const *)hd,
		.body = r->body, .blen = r->blen,
		.timeout_ms = r->timeout_ms ? r->timeout_ms : k->cfg.timeout_ms,
		.sink = body_sink, .stop = r->stop ? stop_cb : NULL, .ud = r};
	char ebuf[H1_MSG_MAX] = "";
	h1_rc rc = h1_do(k->conn, &hr, &r->code, ebuf, sizeof ebuf);
	if (authz)
		memset(authz, 0, strlen(authz));
	for (size_t i = 0; i < nh; i++)
		free(hd[i]);
	free(hd);
	if (rc != H1_OK && !r->aborted) {
		if (rc == H1_EWRITE && !r->stream)
			return err_fail(e, "KubeResponseTooLarge", "%s %s: answer larger than %d bytes",
				r->method, r->url, RESP_MAX);
		if (rc == H1_ETIMEOUT)
			return err_fail(e, "Timeout", "%s: %s", r->method, ebuf);
		if (rc == H1_EWRITE && r->code == 200)
			return -2; /* the stream callback failed and filled e */
		return err_fail(e, R_TRANSPORT, "%s %s: %s", r->method, k->cfg.server, ebuf);
	}
	if (r->aborted)
		return 0;
	if (r->code < 200 || r->code > 299) {
		kube_err_from_status(e, r->code, r->resp.data, r->resp.len);
		return -1;
	}
	return 0;
}

/* One non-streaming call; the parsed answer (object) or NULL. For 2xx answers without a body
 * returns an empty object. */
cJSON *kube_call(kube_client *k, const char *method, char *url, const char *ctype,
	const cJSON *body, err *e)
{
	req r = {.method = method, .url = url, .ctype = ctype};
	char *b = body ? cJSON_PrintUnformatted(body) : NULL;
	r.body = b;
	r.blen = b ? strlen(b) : 0;
	buf_init(&r.resp, RESP_MAX);
	int rc = kube_perform(k, &r, e);
	free(b);
	cJSON *out = NULL;
	if (rc == 0) {
		out = r.resp.len ? cJSON_ParseWithLength(r.resp.data, r.resp.len) : cJSON_CreateObject();
		if (!out)
			err_fail(e, "KubeDecodeFailed", "%s %s: the answer is not JSON", method, url);
	}
	buf_release(&r.resp);
	return out;
}

/* ------------------------------------------------------------------ URLs */

/* Builds <server>/api(s)/.../[namespaces/NS/]resource[/name[/sub]] */
char *kube_res_url(kube_client *k, const kube_resource *r, const char *ns, const char *name,
	const char *sub)
{
	buf b;
	buf_init(&b, 1 << 20);
	buf_adds(&b, k->cfg.server);
	if (*r->group)
		buf_addf(&b, "/apis/%s/%s", r->group, r->version);
	else
		buf_addf(&b, "/api/%s", r->version);
	if (r->namespaced && ns && *ns) {
		char *x = pct(ns);
		buf_addf(&b, "/namespaces/%s", x);
		free(x);
	}
	buf_addf(&b, "/%s", r->resource);
	if (name) {
		char *x = pct(name);
		buf_addf(&b, "/%s", x);
		free(x);
		if (sub && *sub)
			buf_addf(&b, "/%s", sub);
	}
	return buf_detach(&b, NULL);
}

void kube_q_add(buf *b, const char *k, const char *v)
{
	if (!v)
		return;
	char *x = pct(v);
	buf_addf(b, "%c%s=%s", strchr(buf_str(b), '?') ? '&' : '?', k, x);
	free(x);
}

void kube_write_query(buf *b, const kube_opts *o, bool apply)
{
	if (!o)
		return;
	if (o->dry_run)
		kube_q_add(b, "dryRun", "All");
	if (o->field_manager)
		kube_q_add(b, "fieldManager", o->field_manager);
	if (apply)
		kube_q_add(b, "force", o->force ? "true" : "false");
}
