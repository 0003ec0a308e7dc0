/* Test driver of the kustomize suite.
 *   kz-driver kustomize build DIR   same as `eddy kustomize build DIR`
 *   kz-driver canon FILE            the YAML stream in FILE as canonical JSON (keys sorted),
 *                                   one document a line, to compare outputs parsed */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/buf.h"
#include "eddy/mem.h"
#include "kustomize/kz_int.h"

#include "cli.h"

static int cmpkey(const void *a, const void *b)
{
	const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
	return strcmp(x->string, y->string);
}

static void sort_keys(cJSON *v)
{
	cJSON *it;
	if (cJSON_IsObject(v)) {
		size_t n = 0, i = 0;
		cJSON_ArrayForEach(it, v)
			n++;
		if (n > 1) {
			cJSON **a = xmalloc(n * sizeof(*a));
			cJSON_ArrayForEach(it, v)
				a[i++] = it;
			qsort(a, n, sizeof(*a), cmpkey);
			v->child = a[0];
			for (i = 0; i < n; i++) {
				a[i]->prev = i ? a[i - 1] : a[n - 1];
				a[i]->next = i + 1 < n ? a[i + 1] : NULL;
			}
			free(a);
		}
	}
	cJSON_ArrayForEach(it, v)
		sort_keys(it);
}

static int canon(const char *path)
{
	FILE *f = fopen(path, "rb");
	buf b;
	char tmp[65536];
	size_t n;
	err e = {0};
	if (!f)
		return 2;
	buf_init(&b, (size_t)1 << 30);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	cJSON *docs = kz_yaml_parse(buf_str(&b), b.len, &e), *d;
	buf_release(&b);
	if (!docs) {
		fprintf(stderr, "%s: %s\n", path, e.msg);
		return 1;
	}
	cJSON_ArrayForEach(d, docs) {
		sort_keys(d);
		char *s = cJSON_PrintUnformatted(d);
		puts(s);
		free(s);
	}
	cJSON_Delete(docs);
	return 0;
}

int main(int argc, char **argv)
{
	mem_install_hooks();
	if (argc == 3 && !strcmp(argv[1], "canon"))
		return canon(argv[2]);
	if (argc < 2)
		return 2;
	return cmd_kustomize(argc - 1, argv + 1);
}
