/* eddy sandbox: the cluster objects up installs: the CRDs and YAML documents. */
#include "cli.h"
#include "sandbox.h"
#include "embedded.h"
#include "eddy/buf.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- up: cluster objects */

static int read_all(const char *path, buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char tmp[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_add(b, tmp, n) < 0) {
			rc = -1;
			break;
		}
	fclose(f);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int apply_obj(kube_client *k, const cJSON *o, err *e)
{
	kube_opts ko = {.field_manager = FIELD_MANAGER, .force = true};
	cJSON *r = kube_apply(k, o, &ko, e);
	if (!r)
		return -1;
	cJSON_Delete(r);
	return 0;
}

#define MAX_CRDS 64

/* Applies the objects of one YAML file, remembering the CRD names. */
static int apply_crd_file(kube_client *k, const char *label, const char *data, size_t len,
	char **crd_names, int *count)
{
	err e = {0};
	cJSON *docs = yml_parse_stream(data, len, NULL, &e);
	if (!docs) {
		cli_failure("cannot read %s: %s", label, e.msg);
		return -1;
	}
	int rc = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, docs) {
		if (!cJSON_IsObject(o))
			continue;
		if (apply_obj(k, o, &e) < 0) {
			cli_failure("cannot install %s: %s", label, e.msg);
			rc = -1;
			break;
		}
		if (*count < MAX_CRDS)
			crd_names[(*count)++] = xstrdup(kube_obj_name(o) ? kube_obj_name(o) : "");
	}
	cJSON_Delete(docs);
	return rc;
}

/* Installs the CRDs of dir (every *.yaml), or the embedded ones when dir is NULL, and waits
 * for them to be Established. */
int sb_install_crds(kube_client *k, const char *dir, progress *pg)
{
	int rc = 0, count = 0;
	char **crd_names = xcalloc(MAX_CRDS, sizeof *crd_names);
	if (!dir) {
		for (unsigned i = 0; rc == 0 && i < eddy_embedded_count; i++) {
			const eddy_embedded_file *f = &eddy_embedded[i];
			size_t l = strlen(f->path);
			if (strncmp(f->path, "config/crd/", 11) || l < 5 ||
			    strcmp(f->path + l - 5, ".yaml"))
				continue;
			rc = apply_crd_file(k, f->path, (const char *)f->data, f->len, crd_names,
				&count);
		}
	} else {
		DIR *d = opendir(dir);
		if (!d) {
			cli_failure("cannot read the CRDs in %s: %s", dir, strerror(errno));
			free(crd_names);
			return -1;
		}
		char *names[MAX_CRDS];
		int n = 0;
		struct dirent *de;
		while ((de = readdir(d)) && n < MAX_CRDS) {
			size_t l = strlen(de->d_name);
			if (l > 5 && !strcmp(de->d_name + l - 5, ".yaml"))
				names[n++] = xstrdup(de->d_name);
		}
		closedir(d);
		qsort(names, (size_t)n, sizeof *names, cmp_str);
		for (int i = 0; i < n; i++) {
			char *p = xasprintf("%s/%s", dir, names[i]);
			buf b;
			buf_init(&b, 16u << 20);
			if (rc == 0 && read_all(p, &b) < 0) {
				cli_failure("cannot read %s: %s", p, strerror(errno));
				rc = -1;
			}
			if (rc == 0)
				rc = apply_crd_file(k, p, b.data ? b.data : "", b.len, crd_names,
					&count);
			buf_release(&b);
			free(p);
			free(names[i]);
		}
	}
	/* wait for every CRD to be Established */
	int64_t until = clock_mono_ms() + 30000;
	for (int i = 0; rc == 0 && i < count; i++) {
		for (;;) {
			err e = {0};
			cJSON *o = kube_get(k, "apiextensions.k8s.io/v1",
				"CustomResourceDefinition", NULL, crd_names[i], NULL, &e);
			const char *m;
			const char *s = o ? cli_condition(o, "Established", &m) : NULL;
			bool ok = s && !strcmp(s, "True");
			cJSON_Delete(o);
			if (ok)
				break;
			if (clock_mono_ms() > until) {
				sb_progress_end(pg);
				cli_failure("CustomResourceDefinition %s is not Established "
					    "after 30s", crd_names[i]);
				rc = -1;
				break;
			}
			char what[200];
			snprintf(what, sizeof what, "CustomResourceDefinition/%s", crd_names[i]);
			sb_progress_show(pg, what);
			cli_sleep_ms(100);
		}
	}
	for (int i = 0; i < count; i++)
		free(crd_names[i]);
	free(crd_names);
	if (rc == 0) {
		sb_progress_end(pg);
		cli_success("installed %d CustomResourceDefinitions (%s)", count,
			dir ? dir : "embedded in eddy");
	}
	return rc;
}

int sb_apply_yaml(kube_client *k, const char *yaml)
{
	err e = {0};
	cJSON *docs = yml_parse_stream(yaml, strlen(yaml), NULL, &e);
	if (!docs) {
		cli_failure("internal: %s", e.msg);
		return -1;
	}
	int rc = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, docs) {
		if (apply_obj(k, o, &e) < 0) {
			cli_failure("cannot apply %s/%s: %s", yml_get_string(o, "kind"),
				kube_obj_name(o), e.msg);
			rc = -1;
			break;
		}
	}
	cJSON_Delete(docs);
	return rc;
}
