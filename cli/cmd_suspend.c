/* eddy suspend|resume KIND NAME: set spec.suspend (resume also requests and awaits a
 * reconcile unless --wait=false). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static int suspend_resume(int argc, char **argv, bool suspend)
{
	cli_opts o;
	if (cli_parse(argc, argv, &o) < 0)
		return 1;
	int i = 0;
	const cli_kind *k = o.nargs ? cli_kind_find(&o, &i) : NULL;
	if (o.help || !k || i + 1 != o.nargs) {
		printf("Usage:\n  eddy %s KIND NAME [-n NS]%s\n", argv[0],
		       suspend ? "" : " [--wait=false] [--timeout 5m]");
		if (o.help)
			return 0;
		if (o.nargs && !k)
			cli_kind_unknown(o.args[0]);
		else
			cli_failure("specify a kind and a name, e.g. 'eddy %s ks app'", argv[0]);
		return 1;
	}
	const char *name = o.args[i], *ns = cli_namespace(&o);
	kube_client *kc = cli_client(&o);
	if (!kc)
		return 1;
	int rc = 0;
	cli_action("%s %s %s in %s namespace", suspend ? "suspending" : "resuming", k->name,
		   name, ns);
	if (suspend) {
		err e = {0};
		kube_opts ko = {0};
		cJSON *patch = cJSON_CreateObject();
		cJSON_AddTrueToObject(cJSON_AddObjectToObject(patch, "spec"), "suspend");
		cJSON *res = kube_patch(kc, k->api_version, k->kind, ns, name, KUBE_PATCH_MERGE,
					patch, &ko, &e);
		cJSON_Delete(patch);
		if (!res) {
			rc = cli_kube_error(k, ns, name, &e);
		} else {
			cJSON_Delete(res);
			cli_success("%s suspended", k->name);
		}
	} else {
		rc = cli_reconcile_one(kc, k, ns, name, &o, false);
	}
	kube_client_free(kc);
	return rc;
}

int cmd_suspend(int argc, char **argv)
{
	return suspend_resume(argc, argv, true);
}

int cmd_resume(int argc, char **argv)
{
	return suspend_resume(argc, argv, false);
}
