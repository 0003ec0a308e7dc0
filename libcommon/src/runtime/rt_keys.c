/* rt: object keys (eddy/rt.h). */
#include "rt_internal.h"
#include "eddy/mem.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ keys */

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
