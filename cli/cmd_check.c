/* eddy check: the API server answers and the Flux CRDs are installed. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"
#include "eddy/yml.h"

int cmd_check(int argc, char **argv)
{
	cli_opts o;
	if (cli_parse(argc, argv, &o) < 0)
		return 1;
	if (o.help || o.nargs) {
		printf("Usage:\n  eddy check [--kubeconfig PATH] [--context NAME]\n");
		return o.help ? 0 : 1;
	}
	kube_client *kc = cli_client(&o);
	if (!kc)
		return 1;
	err e = {0};
	kube_opts ko = {0};
	cli_action("checking the API server");
	cJSON *crds = kube_list(kc, "apiextensions.k8s.io/v1", "CustomResourceDefinition", &ko,
			       &e);
	if (!crds) {
		int rc = cli_kube_error(NULL, NULL, NULL, &e);
		kube_client_free(kc);
		return rc;
	}
	cli_success("API server %s reachable", kube_client_config(kc)->server);
	cli_action("checking crds");
	int n, missing = 0;
	const cli_kind *ks = cli_kinds(&n);
	for (int i = 0; i < n; i++) {
		const char *slash = strchr(ks[i].api_version, '/');
		char *crd = xasprintf("%s.%.*s", ks[i].plural, (int)(slash - ks[i].api_version),
				      ks[i].api_version);
		const cJSON *it, *found = NULL;
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(crds, "items")) {
			const char *nm = kube_obj_name(it);
			if (nm && strcmp(nm, crd) == 0)
				found = it;
		}
		if (!found) {
			cli_failure("%s not installed", crd);
			missing++;
		} else {
			const cJSON *v, *stored = NULL;
			cJSON_ArrayForEach(v, yml_get_path(found, "spec.versions"))
				if (cJSON_IsTrue(cJSON_GetObjectItem(v, "storage")))
					stored = v;
			const char *vn = stored ? yml_get_string(stored, "name") : NULL;
			cli_success("%s/%s", crd, vn ? vn : "?");
		}
		free(crd);
	}
	cJSON_Delete(crds);
	kube_client_free(kc);
	if (missing) {
		cli_failure("%d CRD%s missing; install them with 'kubectl apply --server-side -f "
			    "config/crd/' (from the eddy source tree)", missing,
			    missing == 1 ? " is" : "s are");
		return 1;
	}
	cli_success("all checks passed");
	return 0;
}
