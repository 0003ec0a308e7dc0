/* The server-side-apply manager's inventory and prune (eddy/ssa.h): cli-utils object ids as
 * status.inventory keeps them, and Flux's DeleteAll of the objects that left the set. */
#include <stdlib.h>
#include <string.h>

#include "eddy/ksbuild.h"
#include "eddy/mem.h"
#include "ssa_int.h"

static char *version_of(const char *api_version)
{
	const char *slash = strchr(api_version, '/');
	return xstrdup(slash ? slash + 1 : api_version);
}

typedef struct inv_ref {
	char *ns, *name, *group, *kind;
} inv_ref;

static int inv_parse(const char *id, inv_ref *r)
{
	const char *u1 = strchr(id, '_');
	const char *uk = strrchr(id, '_');
	if (!u1 || uk == u1)
		return -1;
	const char *ug = uk - 1;
	while (ug > u1 && *ug != '_')
		ug--;
	if (ug == u1)
		return -1;
	r->ns = xstrndup(id, (size_t)(u1 - id));
	buf b;
	buf_init(&b, 1u << 16);
	for (const char *p = u1 + 1; p < ug; p++) {
		if (p[0] == '_' && p + 1 < ug && p[1] == '_') {
			buf_addc(&b, ':');
			p++;
		} else {
			buf_addc(&b, *p);
		}
	}
	r->name = buf_detach(&b, NULL);
	if (!r->name)
		r->name = xstrdup("");
	r->group = xstrndup(ug + 1, (size_t)(uk - ug - 1));
	r->kind = xstrdup(uk + 1);
	return 0;
}

static void inv_ref_release(inv_ref *r)
{
	free(r->ns);
	free(r->name);
	free(r->group);
	free(r->kind);
}

bool ssa_inventory_has(const cJSON *entries, const char *id)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, entries)
		if (ssa_str_eq(json_str(it, "id"), id))
			return true;
	return false;
}

void ssa_inventory_add(cJSON *entries, const cJSON *objs)
{
	const cJSON *o;
	cJSON_ArrayForEach(o, objs) {
		const char *av = json_str(o, "apiVersion");
		char *ver = version_of(av);
		char *id = ksb_inventory_id(kube_obj_namespace(o), kube_obj_name(o), av,
			json_str(o, "kind"));
		if (!ssa_inventory_has(entries, id)) {
			cJSON *ent = cJSON_CreateObject();
			cJSON_AddStringToObject(ent, "id", id);
			cJSON_AddStringToObject(ent, "v", ver);
			cJSON_AddItemToArray(entries, ent);
		}
		free(ver);
		free(id);
	}
}

/* Does cur carry every owner label? */
static bool owned(const ssa_options *o, const cJSON *cur)
{
	for (size_t i = 0; i < o->nowner_labels; i++)
		if (!ssa_str_eq(kube_obj_label(cur, o->owner_labels[i].key),
				o->owner_labels[i].value))
			return false;
	return true;
}

int ssa_delete_all(kube_client *k, const cJSON *old, const cJSON *keep, const ssa_options *o,
	cJSON *failed, buf *log, err *e)
{
	int fails = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, old) {
		const char *id = json_str(it, "id"), *v = json_str(it, "v");
		if (!id || !v || (keep && ssa_inventory_has(keep, id)))
			continue;
		inv_ref r;
		if (inv_parse(id, &r) < 0)
			continue;
		char *av = *r.group ? xasprintf("%s/%s", r.group, v) : xstrdup(v);
		err ge = {0};
		const char *ns = *r.ns ? r.ns : NULL;
		cJSON *cur = kube_get(k, av, r.kind, ns, r.name, NULL, &ge);
		if (cur && owned(o, cur) && !ssa_meta_is(o, cur, "prune", "disabled") &&
		    !ssa_meta_is(o, cur, "reconcile", "disabled") &&
		    !ssa_meta_is(o, cur, "ssa", "Ignore")) {
			kube_opts ko = {.propagation = "Background"};
			err de = {0};
			if (kube_delete(k, av, r.kind, ns, r.name, &ko, &de) < 0 &&
			    kube_errkind_of(&de) != KUBE_ENOTFOUND) {
				if (!fails++ && e)
					err_fail(e, "PruneFailed", "%s/%s%s%s delete failed: %s",
						r.kind, ns ? ns : "", ns ? "/" : "", r.name,
						de.msg);
				if (failed)
					cJSON_AddItemToArray(failed, cJSON_Duplicate(it, 1));
			} else if (log) {
				buf_addf(log, "%s/%s%s%s deleted\n", r.kind, ns ? ns : "",
					ns ? "/" : "", r.name);
			}
		} else if (!cur && kube_errkind_of(&ge) != KUBE_ENOTFOUND && failed) {
			cJSON_AddItemToArray(failed, cJSON_Duplicate(it, 1));
		}
		cJSON_Delete(cur);
		free(av);
		inv_ref_release(&r);
	}
	return fails;
}

