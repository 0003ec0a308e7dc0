/* router: the entry point of a request: health, version, authentication, then the path split
 * into group, version, resource, namespace, name and subresource and handed to a handler. */
#include "apiserver.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "discovery.h"
#include "eddy/mem.h"
#include "openapi.h"
#include "resource.h"
#include "resp.h"
#include "server.h"

static void version_doc(api_resp *rs)
{
	cJSON *v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "major", "1");
	cJSON_AddStringToObject(v, "minor", "33");
	cJSON_AddStringToObject(v, "gitVersion", "v1.33.0");
	cJSON_AddStringToObject(v, "gitCommit", "eddy");
	cJSON_AddStringToObject(v, "gitTreeState", "clean");
	cJSON_AddStringToObject(v, "buildDate", "2026-01-01T00:00:00Z");
	cJSON_AddStringToObject(v, "goVersion", "go1.24.0");
	cJSON_AddStringToObject(v, "compiler", "gc");
	cJSON_AddStringToObject(v, "platform", "linux/amd64");
	resp_json(rs, 200, v);
}

enum { MAX_SEGS = 16 };

void api_handle(apiserver *s, const api_req *rq, api_resp *rs)
{
	api_resp_init(rs);
	const char *path = rq->path ? rq->path : "/";
	if (!strcmp(path, "/healthz") || !strcmp(path, "/livez") || !strcmp(path, "/readyz") ||
	    !strncmp(path, "/healthz/", 9) || !strncmp(path, "/livez/", 7) ||
	    !strncmp(path, "/readyz/", 8)) {
		buf_adds(&rs->body, "ok");
		rs->code = 200;
		rs->content_type = "text/plain; charset=utf-8";
		return;
	}
	if (!strcmp(path, "/version") || !strcmp(path, "/version/")) {
		/* Public, as system:public-info-viewer makes it upstream. */
		version_doc(rs);
		return;
	}
	if (rq->accept && *rq->accept && !strstr(rq->accept, "json") && !strchr(rq->accept, '*') &&
	    strncmp(path, "/openapi/", 9) != 0) {
		resp_statusf(rs, 406, "NotAcceptable", NULL,
			     "only the following media types are accepted: application/json, "
			     "application/json;as=Table;v=v1;g=meta.k8s.io");
		return;
	}
	api_ctx c = {.s = s, .rq = rq, .rs = rs};
	query_parse(&c.q, rq->query);
	auth_identify(&c);
	if (rs->code) /* authentication failed */
		goto out;
	if (!strncmp(path, "/openapi/", 9)) {
		openapi_handle(&c, path);
		goto out;
	}
	/* Split into segments. */
	char *copy = xstrdup(path);
	const char *seg[MAX_SEGS];
	size_t nseg = 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (nseg == MAX_SEGS) {
			nseg = MAX_SEGS + 1;
			break;
		}
		seg[nseg++] = t;
	}
	if (nseg == 0 || nseg > MAX_SEGS ||
	    (strcmp(seg[0], "api") != 0 && strcmp(seg[0], "apis") != 0)) {
		rs->code = 404;
		rs->content_type = "text/plain; charset=utf-8";
		buf_adds(&rs->body, "404 page not found\n");
		free(copy);
		goto out;
	}
	bool core = !strcmp(seg[0], "api");
	size_t gv_len = core ? 2 : 3;
	if (nseg <= gv_len) {
		discovery_handle(&c, seg, nseg);
		free(copy);
		goto out;
	}
	const char *group = core ? "" : seg[1];
	const char *version = core ? seg[1] : seg[2];
	const char **rest = seg + gv_len;
	size_t nrest = nseg - gv_len;
	const char *res = NULL, *ns = NULL, *name = NULL, *sub = NULL;
	bool ok = true;
	if (!strcmp(rest[0], "namespaces") && nrest >= 3) {
		api_type *t = types_find(&s->types, group, version, rest[2]);
		if (nrest == 3 && !(t && t->namespaced)) {
			/* /namespaces/NAME/status|finalize */
			res = "namespaces";
			name = rest[1];
			sub = rest[2];
		} else {
			ns = rest[1];
			res = rest[2];
			if (nrest >= 4)
				name = rest[3];
			if (nrest >= 5)
				sub = rest[4];
			if (nrest > 5)
				ok = false;
		}
	} else {
		res = rest[0];
		if (nrest >= 2)
			name = rest[1];
		if (nrest >= 3)
			sub = rest[2];
		if (nrest > 3)
			ok = false;
	}
	c.ty = ok ? types_find(&s->types, group, version, res) : NULL;
	if (!c.ty || (ns && !c.ty->namespaced)) {
		rs->code = 404;
		rs->content_type = "application/json";
		resp_status(rs, 404, "NotFound", "the server could not find the requested resource",
			    cJSON_CreateObject());
		free(copy);
		goto out;
	}
	c.ns = ns;
	c.name = name;
	c.sub = sub;
	res_handle(&c);
	free(copy);
out:
	strv_release(&c.groups);
	free(c.user_buf);
	query_release(&c.q);
}
