/* scale: the scale subresource (autoscaling/v1 Scale) of workloads and CRDs. */
#include "resource.h"

#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/yml.h"
#include "object.h"
#include "resp.h"

#if __has_include("eddy/patch.h")
#include "eddy/patch.h"
#define HAVE_PATCH 1
#else
#define HAVE_PATCH 0
#endif

static void path_set_num(cJSON *o, const char *dotted, double v)
{
	char *copy = xstrdup(dotted), *save = NULL;
	cJSON *cur = o;
	char *t = strtok_r(copy, ".", &save);
	while (t) {
		char *next = strtok_r(NULL, ".", &save);
		if (!next) {
			json_replace(cur, t, cJSON_CreateNumber(v));
			break;
		}
		cur = json_obj_ensure(cur, t);
		t = next;
	}
	free(copy);
}

static cJSON *scale_of(api_type *ty, const cJSON *obj)
{
	const char *sp = ty->scale_spec ? ty->scale_spec + 1 : "spec.replicas";
	const char *stp = ty->scale_status ? ty->scale_status + 1 : "status.replicas";
	cJSON *sc = cJSON_CreateObject();
	cJSON_AddStringToObject(sc, "kind", "Scale");
	cJSON_AddStringToObject(sc, "apiVersion", "autoscaling/v1");
	cJSON *m = cJSON_AddObjectToObject(sc, "metadata");
	const cJSON *om = obj_meta(obj);
	static const char *const copy[] = {"name", "namespace", "uid", "resourceVersion",
					   "creationTimestamp"};
	for (size_t i = 0; i < 5; i++)
		if (json_str(om, copy[i]))
			cJSON_AddStringToObject(m, copy[i], json_str(om, copy[i]));
	const cJSON *want = yml_get_path(obj, sp), *have = yml_get_path(obj, stp);
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(sc, "spec"), "replicas",
				cJSON_IsNumber(want) ? want->valuedouble : 0);
	cJSON *st = cJSON_AddObjectToObject(sc, "status");
	cJSON_AddNumberToObject(st, "replicas", cJSON_IsNumber(have) ? have->valuedouble : 0);
	const char *selp = ty->scale_selector ? ty->scale_selector + 1 : NULL;
	const cJSON *sel = selp ? yml_get_path(obj, selp) : NULL;
	if (cJSON_IsString(sel))
		cJSON_AddStringToObject(st, "selector", sel->valuestring);
	return sc;
}

void res_scale(api_ctx *c)
{
	store_row row;
	cJSON *old = NULL;
	if (res_load(c, c->ty, c->ns, c->name, &row, &old, true) <= 0)
		return;
	const char *m = c->rq->method;
	if (!strcmp(m, "GET")) {
		resp_json(c->rs, 200, scale_of(c->ty, old));
		cJSON_Delete(old);
		store_row_release(&row);
		return;
	}
	cJSON *body = NULL;
	cJSON *cur = scale_of(c->ty, old);
	if (!strcmp(m, "PUT")) {
		body = res_parse_body(c, false, false);
	} else {
#if HAVE_PATCH
		cJSON *p = res_parse_body(c, false, true);
		err e = {0};
		if (p) {
			const char *ct = c->rq->content_type ? c->rq->content_type : "";
			body = !strncmp(ct, "application/json-patch+json", 27)
				   ? patch_json(cur, p, &e)
				   : patch_merge(cur, p, &e);
			if (!body)
				resp_statusf(c->rs, 422, "Invalid", NULL, "%s", e.msg);
		}
		cJSON_Delete(p);
#endif
	}
	cJSON_Delete(cur);
	if (!body) {
		if (!c->rs->code)
			resp_status(c->rs, 415, "UnsupportedMediaType", "unsupported patch", NULL);
		cJSON_Delete(old);
		store_row_release(&row);
		return;
	}
	const cJSON *rep = yml_get_path(body, "spec.replicas");
	cJSON *obj = cJSON_Duplicate(old, 1);
	path_set_num(obj, c->ty->scale_spec ? c->ty->scale_spec + 1 : "spec.replicas",
		     cJSON_IsNumber(rep) ? rep->valuedouble : 0);
	cJSON_Delete(body);
	if (res_prepare_update(c, old, &obj, NULL, false) < 0) {
		cJSON_Delete(obj);
	} else {
		api_resp tmp;
		api_resp *save = c->rs;
		api_resp_init(&tmp);
		c->rs = &tmp;
		res_commit_update(c, obj, old, &row, NULL);
		c->rs = save;
		if (tmp.code == 200) {
			cJSON *now = cJSON_Parse(buf_str(&tmp.body));
			resp_json(c->rs, 200, scale_of(c->ty, now));
			cJSON_Delete(now);
		} else {
			*c->rs = tmp;
			tmp.body.data = NULL;
			tmp.warning = NULL;
		}
		api_resp_release(&tmp);
	}
	cJSON_Delete(old);
	store_row_release(&row);
}
