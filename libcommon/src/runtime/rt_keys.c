/* rt: string vectors and object keys (eddy/rt.h). */
#include "rt_internal.h"
#include "eddy/mem.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ strv, keys */

void rt_strv_add(rt_strv *s, const char *str)
{
	s->v = xrealloc(s->v, (s->n + 2) * sizeof *s->v);
	s->v[s->n++] = xstrdup(str);
	s->v[s->n] = NULL;
}

void rt_strv_release(rt_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void rt_strv_remove(rt_strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++) {
		if (!strcmp(s->v[i], str)) {
			free(s->v[i]);
			s->v[i] = s->v[--s->n];
			s->v[s->n] = NULL;
			return;
		}
	}
}

char *rt_key_of(const cJSON *obj)
{
	const char *ns = kube_obj_namespace(obj), *name = kube_obj_name(obj);
	if (ns && *ns)
		return xasprintf("%s/%s", ns, name ? name : "");
	return xstrdup(name ? name : "");
}

void rt_key_split(const char *key, char **ns, char **name)
{
	const char *sl = strchr(key, '/');
	if (sl) {
		*ns = xstrndup(key, (size_t)(sl - key));
		*name = xstrdup(sl + 1);
	} else {
		*ns = NULL;
		*name = xstrdup(key);
	}
}

char *rt_make_key(const char *ns, const char *name)
{
	return ns && *ns ? xasprintf("%s/%s", ns, name) : xstrdup(name);
}
