/* kube: the transport, one libcurl easy handle per request, and the URLs requests go
 * to (eddy/kube.h). */
#include "kube_internal.h"
#include "eddy/http_curl.h"
#include "eddy/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ requests */

static size_t write_cb(char *p, size_t sz, size_t nm, void *ud)
{
	req *r = ud;
	size_t n = sz * nm;
	if (r->stream) {
		long code = 0;
		curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
		if (code == 200)
			return r->stream(r, p, n);
	}
	return http_curl_sink(p, 1, n, &r->resp);
}

static int progress_cb(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	req *r = ud;
	if (r->stop && r->stop(r->stop_ud)) {
		r->aborted = true;
		return 1;
	}
	return 0;
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
	CURL *h = curl_easy_init();
	if (!h)
		return err_fail(e, R_TRANSPORT, "cannot create a curl handle");
	r->h = h;
	struct curl_slist *hd = NULL;
	hd = curl_slist_append(hd, "Accept: application/json");
	if (r->ctype) {
		char *ct = xasprintf("Content-Type: %s", r->ctype);
		hd = curl_slist_append(hd, ct);
		free(ct);
	}
	char *tok = kube_current_token(k);
	if (tok) {
		char *a = xasprintf("Authorization: Bearer %s", tok);
		hd = curl_slist_append(hd, a);
		memset(a, 0, strlen(a));
		free(a);
		memset(tok, 0, strlen(tok));
		free(tok);
	}
	if (k->cfg.impersonate_user) {
		char *a = xasprintf("Impersonate-User: %s", k->cfg.impersonate_user);
		hd = curl_slist_append(hd, a);
		free(a);
		for (char **g = k->cfg.impersonate_groups; g && *g; g++) {
			a = xasprintf("Impersonate-Group: %s", *g);
			hd = curl_slist_append(hd, a);
			free(a);
		}
	}
	hd = curl_slist_append(hd, "Expect:");
	char ebuf[CURL_ERROR_SIZE];
	bool mtls = k->cfg.cert_pem && k->cfg.key_pem;
	http_curl_opts co = {
		.errbuf = ebuf,
		.user_agent = k->cfg.user_agent,
		.connect_timeout_ms = 10000,
		.timeout_ms = (uint64_t)(r->timeout_ms ? r->timeout_ms : k->cfg.timeout_ms),
		.tcp_keepalive = true,
		.ca_pem = k->cfg.ca_pem,
		.cert_pem = mtls ? k->cfg.cert_pem : NULL,
		.key_pem = mtls ? k->cfg.key_pem : NULL,
		.insecure_skip_verify = k->cfg.insecure,
	};
	http_curl_setup(h, &co);
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_SHARE, k->share);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	if (r->stop) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, r);
	}
	if (strcmp(r->method, "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->blen);
	}
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_cleanup(h);
	curl_slist_free_all(hd);
	r->h = NULL;
	if (rc != CURLE_OK && !r->aborted) {
		if (rc == CURLE_WRITE_ERROR && !r->stream)
			return err_fail(e, "KubeResponseTooLarge", "%s %s: answer larger than %d bytes",
				r->method, r->url, RESP_MAX);
		if (rc == CURLE_OPERATION_TIMEDOUT)
			return err_fail(e, "Timeout", "%s: %s", r->method,
				*ebuf ? ebuf : curl_easy_strerror(rc));
		if (rc == CURLE_WRITE_ERROR && r->code == 200)
			return -2; /* the stream callback failed and filled e */
		return err_fail(e, R_TRANSPORT, "%s %s: %s", r->method, k->cfg.server,
			*ebuf ? ebuf : curl_easy_strerror(rc));
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
