/* eddy tree kustomization NAME (from status.inventory, recursing into child Kustomizations)
 * and eddy trace KIND NAME (the Kustomization or HelmRelease managing an object). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eddy/buf.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

#define TREE_MAX_DEPTH 16

/* Splits an inventory id "<ns>_<name>_<group>_<kind>" (allocated parts). */
static bool split_id(const char *id, char **ns, char **name, char **group, char **kind)
{
	const char *a = strchr(id, '_');
	const char *b = a ? strchr(a + 1, '_') : NULL;
	const char *c = b ? strchr(b + 1, '_') : NULL;
	if (!c || strchr(c + 1, '_'))
		return false;
	*ns = xasprintf("%.*s", (int)(a - id), id);
	*name = xasprintf("%.*s", (int)(b - a - 1), a + 1);
	*group = xasprintf("%.*s", (int)(c - b - 1), b + 1);
	*kind = xstrdup(c + 1);
	return true;
}

static void tree_ks(kube_client *kc, const cJSON *ks, const char *prefix, int depth)
{
	const cJSON *entries = yml_get_path(ks, "status.inventory.entries");
	int n = cJSON_GetArraySize(entries), i = 0;
	const cJSON *en;
	cJSON_ArrayForEach(en, entries) {
		i++;
		const char *id = yml_get_string(en, "id");
		char *ns, *name, *group, *kind;
		if (!id || !split_id(id, &ns, &name, &group, &kind))
			continue;
		bool last = i == n;
		const char *branch = last ? "└──" : "├──";
		if (*ns)
			printf("%s%s %s/%s/%s\n", prefix, branch, kind, ns, name);
		else
			printf("%s%s %s/%s\n", prefix, branch, kind, name);
		if (strcmp(group, "kustomize.toolkit.fluxcd.io") == 0 &&
		    strcmp(kind, "Kustomization") == 0 && depth < TREE_MAX_DEPTH) {
			err e = {0};
			kube_opts ko = {0};
			const char *v = yml_get_string(en, "v");
			char *av = xasprintf("%s/%s", group, v && *v ? v : "v1");
			cJSON *child = kube_get(kc, av, kind, ns, name, &ko, &e);
			if (child) {
				char *p = xasprintf("%s%s", prefix, last ? "    " : "│   ");
				tree_ks(kc, child, p, depth + 1);
				free(p);
				cJSON_Delete(child);
			}
			free(av);
		}
		free(ns);
		free(name);
		free(group);
		free(kind);
	}
}

int cmd_tree(int argc, char **argv)
{
	cli_opts o;
	if (cli_parse(argc, argv, &o) < 0)
		return 1;
	int i = 0;
	const cli_kind *k = o.nargs ? cli_kind_find(&o, &i) : NULL;
	if (o.help || !k || strcmp(k->kind, "Kustomization") != 0 || i + 1 != o.nargs) {
		printf("Usage:\n  eddy tree kustomization NAME [-n NS]\n");
		if (o.help)
			return 0;
		cli_failure("specify a Kustomization, e.g. 'eddy tree kustomization app'");
		return 1;
	}
	const char *name = o.args[i], *ns = cli_namespace(&o);
	kube_client *kc = cli_client(&o);
	if (!kc)
		return 1;
	err e = {0};
	kube_opts ko = {0};
	cJSON *ks = kube_get(kc, k->api_version, k->kind, ns, name, &ko, &e);
	if (!ks) {
		int rc = cli_kube_error(k, ns, name, &e);
		kube_client_free(kc);
		return rc;
	}
	printf("Kustomization/%s/%s\n", ns, name);
	tree_ks(kc, ks, "", 0);
	cJSON_Delete(ks);
	kube_client_free(kc);
	return 0;
}

/* ---------------------------------------------------------------- trace */

static const struct {
	const char *kind, *api_version;
} builtin[] = {
	{"Deployment", "apps/v1"}, {"StatefulSet", "apps/v1"}, {"DaemonSet", "apps/v1"},
	{"ReplicaSet", "apps/v1"}, {"Service", "v1"}, {"ConfigMap", "v1"}, {"Secret", "v1"},
	{"Namespace", "v1"}, {"ServiceAccount", "v1"}, {"Pod", "v1"},
	{"PersistentVolumeClaim", "v1"}, {"Ingress", "networking.k8s.io/v1"},
	{"Job", "batch/v1"}, {"CronJob", "batch/v1"}, {"Role", "rbac.authorization.k8s.io/v1"},
	{"RoleBinding", "rbac.authorization.k8s.io/v1"},
	{"ClusterRole", "rbac.authorization.k8s.io/v1"},
	{"ClusterRoleBinding", "rbac.authorization.k8s.io/v1"},
};

static void field(const char *label, const char *value)
{
	printf("%-16s%s\n", label, value ? value : "");
}

static void status_lines(const cJSON *obj)
{
	const char *msg;
	const char *ready = cli_ready(obj, &msg);
	const char *when = NULL;
	const cJSON *c;
	cJSON_ArrayForEach(c, yml_get_path(obj, "status.conditions")) {
		const char *t = yml_get_string(c, "type");
		if (t && strcmp(t, "Ready") == 0)
			when = yml_get_string(c, "lastTransitionTime");
	}
	char st[160];
	if (strcmp(ready, "True") == 0)
		snprintf(st, sizeof(st), "Last reconciled at %s", when ? when : "(unknown)");
	else
		snprintf(st, sizeof(st), "Ready=%s", ready);
	field("Status:", st);
	field("Message:", msg);
}

int cmd_trace(int argc, char **argv)
{
	cli_opts o;
	if (cli_parse(argc, argv, &o) < 0)
		return 1;
	if (o.help || o.nargs != 2) {
		printf("Usage:\n  eddy trace KIND NAME [-n NS] [--api-version GROUP/VERSION]\n");
		if (o.help)
			return 0;
		cli_failure("specify a kind and a name, e.g. 'eddy trace deployment web -n apps'");
		return 1;
	}
	const char *kind = o.args[0], *name = o.args[1];
	const char *av = o.api_version;
	const cli_kind *fk = cli_kind_by_kind(kind);
	if (fk) {
		kind = fk->kind;
		if (!av)
			av = fk->api_version;
	}
	for (size_t j = 0; j < sizeof(builtin) / sizeof(builtin[0]); j++)
		if (strcasecmp(builtin[j].kind, kind) == 0) {
			kind = builtin[j].kind;
			if (!av)
				av = builtin[j].api_version;
		}
	if (!av) {
		cli_failure("unknown kind \"%s\"; pass its --api-version (e.g. "
			    "--api-version apps/v1) and its Kind as the API spells it", kind);
		return 1;
	}
	kube_client *kc = cli_client(&o);
	if (!kc)
		return 1;
	int rc = 0;
	err e = {0};
	kube_opts ko = {0};
	const char *ns = cli_namespace(&o);
	kube_resource res = {0};
	if (kube_resolve(kc, av, kind, &res, &e) < 0) {
		cli_failure("the API server does not serve %s %s: %s", av, kind, e.msg);
		kube_client_free(kc);
		return 1;
	}
	if (!res.namespaced)
		ns = NULL;
	kube_resource_release(&res);
	cJSON *obj = kube_get(kc, av, kind, ns, name, &ko, &e);
	cJSON *mgr = NULL, *src = NULL;
	if (!obj) {
		rc = cli_kube_error(NULL, ns, name, &e);
		goto out;
	}
	const char *mk = "Kustomization", *mav = "kustomize.toolkit.fluxcd.io/v1";
	const char *mn = kube_obj_label(obj, "kustomize.toolkit.fluxcd.io/name");
	const char *mns = kube_obj_label(obj, "kustomize.toolkit.fluxcd.io/namespace");
	if (!mn) {
		mk = "HelmRelease";
		mav = "helm.toolkit.fluxcd.io/v2";
		mn = kube_obj_label(obj, "helm.toolkit.fluxcd.io/name");
		mns = kube_obj_label(obj, "helm.toolkit.fluxcd.io/namespace");
	}
	printf("%-16s%s/%s\n", "Object:", kind, name);
	if (ns)
		field("Namespace:", ns);
	if (!mn || !mns) {
		field("Status:", "Unmanaged");
		cli_failure("%s %s is not managed by Flux (no kustomize.toolkit.fluxcd.io/name or "
			    "helm.toolkit.fluxcd.io/name label)", kind, name);
		rc = 1;
		goto out;
	}
	field("Status:", "Managed by Flux");
	mgr = kube_get(kc, mav, mk, mns, mn, &ko, &e);
	printf("---\n");
	if (!mgr) {
		rc = cli_kube_error(cli_kind_by_kind(mk), mns, mn, &e);
		goto out;
	}
	printf("%-16s%s\n", strcmp(mk, "Kustomization") == 0 ? "Kustomization:" : "HelmRelease:",
	       mn);
	field("Namespace:", mns);
	if (yml_get_string(mgr, "spec.path"))
		field("Path:", yml_get_string(mgr, "spec.path"));
	field("Revision:", cli_revision(mgr));
	status_lines(mgr);
	const cJSON *ref = yml_get_path(mgr, "spec.sourceRef");
	if (!ref)
		ref = yml_get_path(mgr, "spec.chartRef");
	if (!ref)
		ref = yml_get_path(mgr, "spec.chart.spec.sourceRef");
	const char *sk = yml_get_string(ref, "kind"), *sn = yml_get_string(ref, "name");
	const char *sns = yml_get_string(ref, "namespace");
	const cli_kind *sck = sk ? cli_kind_by_kind(sk) : NULL;
	if (sck && sn) {
		if (!sns || !*sns)
			sns = mns;
		src = kube_get(kc, sck->api_version, sck->kind, sns, sn, &ko, &e);
		printf("---\n");
		if (!src) {
			rc = cli_kube_error(sck, sns, sn, &e);
			goto out;
		}
		char label[40];
		snprintf(label, sizeof(label), "%s:", sck->kind);
		field(label, sn);
		field("Namespace:", sns);
		if (yml_get_string(src, "spec.url"))
			field("URL:", yml_get_string(src, "spec.url"));
		if (yml_get_string(src, "spec.ref.branch"))
			field("Branch:", yml_get_string(src, "spec.ref.branch"));
		if (yml_get_string(src, "spec.ref.tag"))
			field("Tag:", yml_get_string(src, "spec.ref.tag"));
		field("Revision:", cli_revision(src));
		status_lines(src);
	}
out:
	cJSON_Delete(obj);
	cJSON_Delete(mgr);
	cJSON_Delete(src);
	kube_client_free(kc);
	return rc;
}
