/* eddy export KIND [NAME | --all]: Flux objects as clean YAML (apiVersion, kind, metadata
 * name/namespace/labels/annotations, spec), each document preceded by "---" like flux. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/yml.h"

static int export_one(const cJSON *obj, buf *out)
{
	cJSON *c = cJSON_CreateObject();
	cJSON *md = cJSON_CreateObject();
	const cJSON *m = cJSON_GetObjectItem(obj, "metadata");
	static const char *const keep[] = {"name", "namespace", "labels", "annotations"};
	cJSON_AddItemToObject(c, "apiVersion",
			      cJSON_Duplicate(cJSON_GetObjectItem(obj, "apiVersion"), 1));
	cJSON_AddItemToObject(c, "kind", cJSON_Duplicate(cJSON_GetObjectItem(obj, "kind"), 1));
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		const cJSON *v = cJSON_GetObjectItem(m, keep[i]);
		if (v)
			cJSON_AddItemToObject(md, keep[i], cJSON_Duplicate(v, 1));
	}
	cJSON *ann = cJSON_GetObjectItem(md, "annotations");
	if (ann) {
		cJSON_DeleteItemFromObject(ann, "kubectl.kubernetes.io/last-applied-configuration");
		if (!ann->child)
			cJSON_DeleteItemFromObject(md, "annotations");
	}
	cJSON_AddItemToObject(c, "metadata", md);
	const cJSON *spec = cJSON_GetObjectItem(obj, "spec");
	if (spec)
		cJSON_AddItemToObject(c, "spec", cJSON_Duplicate(spec, 1));
	err e = {0};
	int rc = buf_adds(out, "---\n");
	if (rc == 0)
		rc = yml_emit(out, c, &e);
	cJSON_Delete(c);
	if (rc < 0) {
		cli_failure("cannot print YAML: %s", e.msg[0] ? e.msg : "output too large");
		return 1;
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	cli_opts o;
	bool all = false;
	/* --all is export's own flag */
	for (int j = 1; j < argc; j++)
		if (strcmp(argv[j], "--all") == 0) {
			all = true;
			for (int m = j; m < argc - 1; m++)
				argv[m] = argv[m + 1];
			argc--;
			break;
		}
	if (cli_parse(argc, argv, &o) < 0)
		return 1;
	int i = 0;
	const cli_kind *k = o.nargs ? cli_kind_find(&o, &i) : NULL;
	if (o.help || !k || (all ? i != o.nargs : i + 1 != o.nargs)) {
		printf("Usage:\n  eddy export KIND NAME [-n NS]\n  eddy export KIND --all [-A]\n");
		if (o.help)
			return 0;
		if (o.nargs && !k)
			cli_kind_unknown(o.args[0]);
		else
			cli_failure("specify a kind and a name or --all, "
				    "e.g. 'eddy export ks --all'");
		return 1;
	}
	kube_client *kc = cli_client(&o);
	if (!kc)
		return 1;
	err e = {0};
	const char *ns = o.all_ns && all ? NULL : cli_namespace(&o);
	cJSON *res;
	if (all) {
		kube_opts ko = {.namespace_ = ns};
		res = kube_list(kc, k->api_version, k->kind, &ko, &e);
	} else {
		kube_opts ko = {0};
		res = kube_get(kc, k->api_version, k->kind, ns, o.args[i], &ko, &e);
	}
	int rc = 0;
	if (!res) {
		rc = cli_kube_error(k, ns, all ? NULL : o.args[i], &e);
		kube_client_free(kc);
		return rc;
	}
	buf out;
	buf_init(&out, (size_t)256 << 20);
	if (all) {
		const cJSON *it;
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "items"))
			if ((rc = export_one(it, &out)) != 0)
				break;
	} else {
		rc = export_one(res, &out);
	}
	if (rc == 0)
		fputs(buf_str(&out), stdout);
	buf_release(&out);
	cJSON_Delete(res);
	kube_client_free(kc);
	return rc;
}
