/* eddy events [--for Kind/name]: Kubernetes events as flux's table. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eddy/mem.h"
#include "eddy/yml.h"

static const char *event_time(const cJSON *ev)
{
	const char *t = yml_get_string(ev, "lastTimestamp");
	if (!t)
		t = yml_get_string(ev, "eventTime");
	if (!t)
		t = yml_get_string(ev, "firstTimestamp");
	if (!t)
		t = yml_get_string(ev, "metadata.creationTimestamp");
	return t ? t : "";
}

static int by_time(const void *a, const void *b)
{
	return strcmp(event_time(*(const cJSON *const *)a), event_time(*(const cJSON *const *)b));
}

int cmd_events(int argc, char **argv)
{
	cli_opts o;
	if (cli_parse(argc, argv, &o) < 0)
		return 1;
	if (o.help || o.nargs) {
		printf("Usage:\n  eddy events [--for Kind/name] [-n NS | -A]\n");
		if (o.help)
			return 0;
		cli_failure("unexpected argument \"%s\"; use --for Kind/name", o.args[0]);
		return 1;
	}
	char *for_kind = NULL;
	const char *for_name = NULL;
	if (o.for_) {
		const char *sl = strchr(o.for_, '/');
		if (!sl || sl == o.for_ || !sl[1]) {
			cli_failure("invalid --for \"%s\"; use Kind/name, e.g. "
				    "--for Kustomization/app", o.for_);
			return 1;
		}
		for_kind = xasprintf("%.*s", (int)(sl - o.for_), o.for_);
		const cli_kind *k = cli_kind_by_kind(for_kind);
		if (k) {
			free(for_kind);
			for_kind = xstrdup(k->kind);
		}
		for_name = sl + 1;
	}
	kube_client *kc = cli_client(&o);
	if (!kc) {
		free(for_kind);
		return 1;
	}
	err e = {0};
	kube_opts ko = {.namespace_ = o.all_ns ? NULL : cli_namespace(&o)};
	/* like flux: the events of a Kustomization or HelmRelease include its source's */
	char *src_kind = NULL, *src_name = NULL;
	const cli_kind *fk = for_kind ? cli_kind_by_kind(for_kind) : NULL;
	if (fk && !fk->source && !o.all_ns) {
		kube_opts go = {0};
		err ge = {0};
		cJSON *fo = kube_get(kc, fk->api_version, fk->kind, ko.namespace_, for_name, &go,
				     &ge);
		const cJSON *ref = yml_get_path(fo, "spec.sourceRef");
		if (!ref)
			ref = yml_get_path(fo, "spec.chartRef");
		const char *rk = yml_get_string(ref, "kind"), *rn = yml_get_string(ref, "name");
		const char *rns = yml_get_string(ref, "namespace");
		if (rk && rn && (!rns || !*rns || strcmp(rns, ko.namespace_) == 0)) {
			src_kind = xstrdup(rk);
			src_name = xstrdup(rn);
		}
		cJSON_Delete(fo);
	}
	cJSON *list = kube_list(kc, "v1", "Event", &ko, &e);
	int rc = 0;
	if (!list) {
		rc = cli_kube_error(NULL, ko.namespace_, NULL, &e);
		goto out;
	}
	const cJSON *items = cJSON_GetObjectItem(list, "items");
	int n = cJSON_GetArraySize(items), m = 0;
	const cJSON **evs = xcalloc((size_t)n + 1, sizeof(*evs));
	const cJSON *ev;
	cJSON_ArrayForEach(ev, items) {
		const char *ik = yml_get_string(ev, "involvedObject.kind");
		const char *in = yml_get_string(ev, "involvedObject.name");
		bool is_for = ik && in && for_kind && strcasecmp(ik, for_kind) == 0 &&
			      strcmp(in, for_name) == 0;
		bool is_src = ik && in && src_kind && strcmp(ik, src_kind) == 0 &&
			      strcmp(in, src_name) == 0;
		if (for_kind && !is_for && !is_src)
			continue;
		evs[m++] = ev;
	}
	qsort(evs, (size_t)m, sizeof(*evs), by_time);
	if (m == 0) {
		if (o.all_ns)
			cli_failure("no events found in any namespace");
		else
			cli_failure("no events found in %s namespace", ko.namespace_);
		free(evs);
		goto out;
	}
	cli_table t;
	const char *h[] = {"NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"};
	cli_table_init(&t, o.all_ns ? 6 : 5);
	cli_table_row(&t, o.all_ns ? h : h + 1);
	for (int i = 0; i < m; i++) {
		char age[32];
		cli_age_text(cli_age_s(event_time(evs[i])), age, sizeof(age));
		char *obj = xasprintf("%s/%s", yml_get_string(evs[i], "involvedObject.kind") ?
				      yml_get_string(evs[i], "involvedObject.kind") : "",
				      yml_get_string(evs[i], "involvedObject.name") ?
				      yml_get_string(evs[i], "involvedObject.name") : "");
		const char *cols[6];
		int c = 0;
		if (o.all_ns)
			cols[c++] = kube_obj_namespace(evs[i]);
		cols[c++] = age;
		cols[c++] = yml_get_string(evs[i], "type");
		cols[c++] = yml_get_string(evs[i], "reason");
		cols[c++] = obj;
		cols[c++] = yml_get_string(evs[i], "message");
		cli_table_row(&t, cols);
		free(obj);
	}
	cli_table_print(&t);
	cli_table_release(&t);
	free(evs);
out:
	cJSON_Delete(list);
	free(src_kind);
	free(src_name);
	free(for_kind);
	kube_client_free(kc);
	return rc;
}
