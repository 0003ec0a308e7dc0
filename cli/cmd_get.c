/* eddy get KIND [NAME]: Flux objects as flux's tables (or -o json|yaml); eddy get all. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eddy/mem.h"
#include "eddy/yml.h"

static void get_usage(void)
{
	printf("Usage:\n  eddy get KIND [NAME] [-n NS | -A] [-o json|yaml]\n"
	       "           [--status-selector ready=false]\n  eddy get all\n\n"
	       "Kinds: kustomizations (ks), sources git (gitrepositories, gitrepo), sources oci,\n"
	       "sources helm, sources bucket, sources chart, helmreleases (hr),\n"
	       "imagerepositories, imagepolicies, imageupdateautomations, receivers, alerts,\n"
	       "alert-providers.\n");
}

static void add_row(cli_table *t, const cli_opts *o, const cJSON *obj, const char *prefix)
{
	const char *msg;
	const char *ready = cli_ready(obj, &msg);
	char *name = prefix ? xasprintf("%s/%s", prefix, kube_obj_name(obj))
			    : xstrdup(kube_obj_name(obj) ? kube_obj_name(obj) : "");
	const char *cols[6];
	int n = 0;
	if (o->all_ns)
		cols[n++] = kube_obj_namespace(obj);
	cols[n++] = name;
	cols[n++] = cli_revision(obj);
	cols[n++] = cli_suspended(obj) ? "True" : "False";
	cols[n++] = ready;
	cols[n++] = msg;
	cli_table_row(t, cols);
	free(name);
}

/* --status-selector COND=STATUS (case-insensitive, like flux); a missing condition matches
 * nothing. */
static bool selected(const cJSON *obj, const char *sel)
{
	if (!sel)
		return true;
	const char *eq = strchr(sel, '=');
	const cJSON *c;
	cJSON_ArrayForEach(c, yml_get_path(obj, "status.conditions")) {
		const char *t = yml_get_string(c, "type"), *s = yml_get_string(c, "status");
		if (t && s && strlen(t) == (size_t)(eq - sel) &&
		    strncasecmp(t, sel, (size_t)(eq - sel)) == 0)
			return strcasecmp(s, eq + 1) == 0;
	}
	return false;
}

static void header(cli_table *t, const cli_opts *o)
{
	const char *h[] = {"NAMESPACE", "NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"};
	cli_table_init(t, o->all_ns ? 6 : 5);
	cli_table_row(t, o->all_ns ? h : h + 1);
}

/* Lists one kind; returns 0 ok, 1 error; *count gets the number of items. */
static int get_kind(kube_client *kc, const cli_kind *k, const cli_opts *o, const char *name,
	bool in_all, int *count)
{
	err e = {0};
	const char *ns = o->all_ns ? NULL : cli_namespace(o);
	cJSON *res;
	*count = 0;
	if (name) {
		kube_opts ko = {0};
		res = kube_get(kc, k->api_version, k->kind, ns, name, &ko, &e);
	} else {
		kube_opts ko = {.namespace_ = ns};
		res = kube_list(kc, k->api_version, k->kind, &ko, &e);
	}
	if (!res) {
		if (in_all && kube_errkind_of(&e) == KUBE_ENOTFOUND)
			return 0; /* CRD not installed */
		return cli_kube_error(k, ns, name, &e);
	}
	if (o->output) {
		if (in_all) {
			cJSON *items = cJSON_GetObjectItem(res, "items");
			*count = cJSON_GetArraySize(items);
		} else {
			*count = 1;
		}
		int rc = in_all ? 0 : cli_print_obj(res, o->output);
		cJSON_Delete(res);
		return rc;
	}
	cli_table t;
	header(&t, o);
	if (name) {
		add_row(&t, o, res, in_all ? k->name : NULL);
		*count = 1;
	} else {
		const cJSON *it;
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "items")) {
			if (!selected(it, o->status_selector))
				continue;
			add_row(&t, o, it, in_all ? k->name : NULL);
			(*count)++;
		}
	}
	if (*count > 0) {
		static bool printed;
		if (in_all && printed)
			fputc('\n', stdout);
		printed = true;
		cli_table_print(&t);
	}
	cli_table_release(&t);
	cJSON_Delete(res);
	return 0;
}

/* -o for get all: one List of every object. */
static int get_all_output(kube_client *kc, const cli_opts *o, bool sources_only)
{
	int n;
	const cli_kind *ks = cli_kinds(&n);
	cJSON *list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "apiVersion", "v1");
	cJSON_AddStringToObject(list, "kind", "List");
	cJSON *items = cJSON_AddArrayToObject(list, "items");
	for (int i = 0; i < n; i++) {
		if (sources_only && !ks[i].source)
			continue;
		err e = {0};
		kube_opts ko = {.namespace_ = o->all_ns ? NULL : cli_namespace(o)};
		cJSON *res = kube_list(kc, ks[i].api_version, ks[i].kind, &ko, &e);
		if (!res) {
			if (kube_errkind_of(&e) == KUBE_ENOTFOUND)
				continue;
			cJSON_Delete(list);
			return cli_kube_error(&ks[i], ko.namespace_, NULL, &e);
		}
		cJSON *arr = cJSON_DetachItemFromObject(res, "items");
		cJSON *it;
		while (arr && (it = cJSON_DetachItemViaPointer(arr, arr->child)) != NULL)
			cJSON_AddItemToArray(items, it);
		cJSON_Delete(arr);
		cJSON_Delete(res);
	}
	int rc = cli_print_obj(list, o->output);
	cJSON_Delete(list);
	return rc;
}

int cmd_get(int argc, char **argv)
{
	cli_opts o;
	if (cli_parse(argc, argv, &o) < 0)
		return 1;
	if (o.help || o.nargs == 0) {
		get_usage();
		if (o.help)
			return 0;
		cli_failure("specify a kind, e.g. 'eddy get kustomizations' or 'eddy get all'");
		return 1;
	}
	if (o.status_selector && (!strchr(o.status_selector, '=') ||
				  strchr(o.status_selector, '=') == o.status_selector)) {
		cli_failure("invalid --status-selector \"%s\"; use CONDITION=STATUS, e.g. "
			    "ready=false", o.status_selector);
		return 1;
	}
	bool all = strcmp(o.args[0], "all") == 0;
	bool sources_all = (strcmp(o.args[0], "sources") == 0 ||
			    strcmp(o.args[0], "source") == 0) && o.nargs > 1 &&
			   strcmp(o.args[1], "all") == 0;
	const cli_kind *k = NULL;
	const char *name = NULL;
	int i = 0;
	if (!all && !sources_all) {
		k = cli_kind_find(&o, &i);
		if (!k) {
			cli_kind_unknown(o.args[0]);
			return 1;
		}
		if (i < o.nargs)
			name = o.args[i++];
		if (i < o.nargs) {
			cli_failure("unexpected argument \"%s\"", o.args[i]);
			return 1;
		}
	}
	kube_client *kc = cli_client(&o);
	if (!kc)
		return 1;
	int rc = 0, count = 0;
	if (k) {
		rc = get_kind(kc, k, &o, name, false, &count);
		if (rc == 0 && count == 0 && !o.output) {
			if (o.all_ns)
				cli_failure("no %s objects found in any namespace", k->kind);
			else
				cli_failure("no %s objects found in %s namespace", k->kind,
					    cli_namespace(&o));
		}
	} else if (o.output) {
		rc = get_all_output(kc, &o, sources_all);
	} else {
		int n, total = 0;
		const cli_kind *ks = cli_kinds(&n);
		for (int j = 0; j < n && rc == 0; j++) {
			if (sources_all && !ks[j].source)
				continue;
			rc = get_kind(kc, &ks[j], &o, NULL, true, &count);
			total += count;
		}
		if (rc == 0 && total == 0)
			cli_failure("no Flux objects found in %s", o.all_ns ? "any namespace"
				    : cli_namespace(&o));
	}
	kube_client_free(kc);
	return rc;
}
