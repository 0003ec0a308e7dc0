/* http_router: (method, path prefix) -> handler. */
#include "http_internal.h"

#include <string.h>

#include "eddy/mem.h"

typedef struct route {
	char *method; /* NULL: any */
	char *prefix;
	http_handler h;
	void *data;
} route;

struct http_router {
	route *r;
	size_t n, cap;
};

http_router *http_router_new(void)
{
	return xcalloc(1, sizeof(http_router));
}

void http_router_add(http_router *rt, const char *method, const char *prefix, http_handler h,
		     void *data)
{
	if (rt->n == rt->cap) {
		rt->cap = rt->cap ? rt->cap * 2 : 8;
		rt->r = xrealloc(rt->r, rt->cap * sizeof *rt->r);
	}
	route *x = &rt->r[rt->n++];
	x->method = method ? xstrdup(method) : NULL;
	x->prefix = xstrdup(prefix ? prefix : "");
	x->h = h;
	x->data = data;
}

void http_router_handle(http_request *req, void *router)
{
	http_router *rt = router;
	const char *path = http_request_path(req);
	const char *m = http_request_method(req);
	bool path_seen = false;
	for (size_t i = 0; i < rt->n; i++) {
		route *x = &rt->r[i];
		if (strncmp(path, x->prefix, strlen(x->prefix)) != 0)
			continue;
		path_seen = true;
		if (x->method && strcmp(x->method, m) != 0 &&
		    !(strcmp(x->method, "GET") == 0 && strcmp(m, "HEAD") == 0))
			continue;
		x->h(req, x->data);
		return;
	}
	if (path_seen)
		http_respondf(req, 405, "text/plain; charset=utf-8", "method not allowed\n");
	else
		http_respondf(req, 404, "text/plain; charset=utf-8", "not found\n");
}

void http_router_free(http_router *rt)
{
	if (!rt)
		return;
	for (size_t i = 0; i < rt->n; i++) {
		free(rt->r[i].method);
		free(rt->r[i].prefix);
	}
	free(rt->r);
	free(rt);
}
