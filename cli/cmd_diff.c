/* eddy build kustomization NAME --path DIR and eddy diff kustomization NAME --path DIR, as the
 * flux CLI: fetch the Kustomization from the cluster, build DIR with its spec the way
 * kustomize-controller would (eddy/ksbuild.h: the generated or overlaid kustomization, the
 * kustomize build, spec.postBuild substitution with the substituteFrom ConfigMaps and Secrets
 * read from the cluster, commonMetadata and owner labels; SOPS values are not decrypted but
 * masked, as flux does), then print the objects (build) or compare each one with a
 * server-side dry-run apply (diff). As in flux, an unset variable without a default expands to
 * the empty string unless --strict-substitute makes it an error. --kustomization-file FILE
 * takes the spec from a local YAML file instead (the status, for prune, still from the
 * cluster); build --dry-run with it needs no cluster at all and substitutes only
 * spec.postBuild.substitute (substituteFrom is skipped, as in `flux build --dry-run`).
 *
 * diff prints, on stdout, one line per changed object and a unified diff of its YAML (the
 * cluster's object against the dry-run result, without status and without metadata other than
 * name, namespace, labels and annotations; Secret values masked):
 *   ✚ Kind/ns/name created     the object is not in the cluster
 *   ► Kind/ns/name drifted     it is, and applying would change it (diff follows)
 *   ✗ Kind/ns/name deleted     in the inventory but not in the build (spec.prune only)
 * Exit status: 0 no difference, 1 differences, 2 an error (flux's ">1"). */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/buf.h"
#include "eddy/ksbuild.h"
#include "eddy/mem.h"
#include "eddy/yml.h"

#define KS_API "kustomize.toolkit.fluxcd.io/v1"
#define FIELD_MANAGER "kustomize-controller"
#define DIFF_CONTEXT 3
#define DIFF_MAX_LINES 4000 /* lines compared with LCS after trimming the common ends */

/* ---------------------------------------------------------------- the local build */

/* The root that confines the build: the Git work tree holding dir, else the current directory
 * when dir is below it, else dir itself. Allocated. */
static char *build_root(const char *dir)
{
	char *p = xstrdup(dir);
	for (;;) {
		char *g = xasprintf("%s/.git", p);
		struct stat st;
		bool found = stat(g, &st) == 0;
		free(g);
		if (found)
			return p;
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = 0;
	}
	free(p);
	char cwd[PATH_MAX];
	if (getcwd(cwd, sizeof cwd)) {
		size_t l = strlen(cwd);
		if (!strncmp(dir, cwd, l) && (dir[l] == '/' || dir[l] == 0))
			return xstrdup(cwd);
	}
	return xstrdup(dir);
}

typedef struct local {
	kube_client *kc;
	cJSON *ks;      /* the Kustomization from the cluster */
	cJSON *objects; /* the build */
	const char *ns, *name;
} local;

static void local_release(local *l)
{
	cJSON_Delete(l->ks);
	cJSON_Delete(l->objects);
	kube_client_free(l->kc);
}

/* The Kustomization NAME (namespace ns, or none given) of a local YAML file, or NULL after
 * printing why. */
static cJSON *ks_from_file(const char *file, const char *name, const char *ns)
{
	FILE *f = fopen(file, "rb");
	if (!f) {
		cli_failure("cannot read --kustomization-file %s: %s", file, strerror(errno));
		return NULL;
	}
	buf b;
	buf_init(&b, (size_t)16 << 20);
	char tmp[8192];
	size_t n;
	int rc = 0;
	while (rc == 0 && (n = fread(tmp, 1, sizeof tmp, f)) > 0)
		rc = buf_add(&b, tmp, n);
	fclose(f);
	err e = {0};
	cJSON *docs = rc == 0 ? yml_parse_stream(b.data ? b.data : "", b.len, NULL, &e) : NULL;
	buf_release(&b);
	if (!docs) {
		cli_failure("cannot parse --kustomization-file %s: %s", file,
			rc ? "larger than 16 MiB" : e.msg);
		return NULL;
	}
	cJSON *found = NULL, *d;
	cJSON_ArrayForEach(d, docs) {
		const char *kind = yml_get_string(d, "kind");
		const char *dns = kube_obj_namespace(d);
		if (kind && !strcmp(kind, "Kustomization") && kube_obj_name(d) &&
		    !strcmp(kube_obj_name(d), name) && (!dns || !*dns || !strcmp(dns, ns))) {
			found = cJSON_Duplicate(d, 1);
			break;
		}
	}
	cJSON_Delete(docs);
	if (!found)
		cli_failure("no Kustomization named '%s' in namespace '%s' in %s", name, ns, file);
	return found;
}

/* Parses "kustomization NAME --path DIR", fetches and builds. Returns 0, or the exit status
 * (after printing the error). */
static int local_build(int argc, char **argv, cli_opts *o, local *l, const char *verb)
{
	memset(l, 0, sizeof *l);
	if (cli_parse(argc, argv, o) < 0)
		return 2;
	if (o->help || o->nargs < 1) {
		FILE *out = o->help ? stdout : stderr;
		fprintf(out, "Usage: eddy %s kustomization NAME --path DIR [-n NAMESPACE] "
			     "[--kustomization-file FILE%s] [--strict-substitute] "
			     "[--kubeconfig PATH] [--context NAME]\n",
			verb, strcmp(verb, "build") ? "" : " [--dry-run]");
		return o->help ? -1 : 2;
	}
	int i = 0;
	const cli_kind *k = cli_kind_find(o, &i);
	if (!k || strcmp(k->kind, "Kustomization") != 0) {
		cli_failure("eddy %s supports only kustomization (ks): eddy %s kustomization NAME "
			    "--path DIR", verb, verb);
		return 2;
	}
	if (i >= o->nargs) {
		cli_failure("name is required: eddy %s kustomization NAME --path DIR", verb);
		return 2;
	}
	l->name = o->args[i];
	if (!o->path || !*o->path) {
		cli_failure("--path is required: the local directory that stands for the "
			    "Kustomization's spec.path (eddy %s kustomization %s --path ./dir)",
			verb, l->name);
		return 2;
	}
	char dir[PATH_MAX];
	if (!realpath(o->path, dir)) {
		cli_failure("invalid --path %s: %s", o->path, strerror(errno));
		return 2;
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_failure("invalid --path %s: not a directory", o->path);
		return 2;
	}
	l->ns = cli_namespace(o);
	err e = {0};
	cJSON *file_ks = NULL;
	if (o->dry_run && (!o->ks_file || strcmp(verb, "build") != 0)) {
		cli_failure("--dry-run needs --kustomization-file and works with build only (diff "
			    "compares with the cluster)");
		return 2;
	}
	if (o->ks_file && !(file_ks = ks_from_file(o->ks_file, l->name, l->ns)))
		return 2;
	if (o->dry_run) {
		l->ks = file_ks;
	} else {
		l->kc = cli_client(o);
		if (!l->kc) {
			cJSON_Delete(file_ks);
			return 2;
		}
		l->ks = kube_get(l->kc, KS_API, "Kustomization", l->ns, l->name, NULL, &e);
		if (!l->ks) {
			cli_kube_error(k, l->ns, l->name, &e);
			cJSON_Delete(file_ks);
			return 2;
		}
		if (file_ks) {
			/* the file's spec, the cluster's status (inventory) */
			cJSON *status = cJSON_DetachItemFromObjectCaseSensitive(l->ks, "status");
			cJSON_Delete(l->ks);
			l->ks = file_ks;
			cJSON_DeleteItemFromObjectCaseSensitive(l->ks, "status");
			if (status)
				cJSON_AddItemToObject(l->ks, "status", status);
		}
	}
	char *root = build_root(dir);
	ksb_options bo = {.root = root, .dir = dir, .spec = yml_get_path(l->ks, "spec"),
		.name = l->name, .ns = l->ns, .postbuild = true, .kube = l->kc,
		.strict = o->strict_subst, .mask_sops = true};
	ksb_result r;
	int rc = ksb_build(&bo, &r, &e);
	free(root);
	if (rc < 0) {
		cli_failure("%s", e.msg);
		return 2;
	}
	l->objects = r.objects;
	return 0;
}

int cmd_build(int argc, char **argv)
{
	cli_opts o;
	local l;
	int rc = local_build(argc, argv, &o, &l, "build");
	if (rc != 0) {
		local_release(&l);
		return rc < 0 ? 0 : rc;
	}
	buf out;
	buf_init(&out, (size_t)512 << 20);
	err e = {0};
	if (yml_emit_stream(&out, l.objects, &e) < 0) {
		cli_failure("cannot print the build: %s", e.msg);
		rc = 2;
	} else {
		fputs(buf_str(&out), stdout);
	}
	buf_release(&out);
	local_release(&l);
	return rc;
}

/* ---------------------------------------------------------------- unified diff */

typedef struct lines {
	char *mem;
	char **v;
	size_t n;
} lines;

static void lines_split(const char *s, lines *l)
{
	l->mem = xstrdup(s);
	l->n = 0;
	size_t cap = 16;
	l->v = xmalloc(cap * sizeof *l->v);
	char *p = l->mem;
	while (*p) {
		if (l->n == cap) {
			cap *= 2;
			l->v = xrealloc(l->v, cap * sizeof *l->v);
		}
		l->v[l->n++] = p;
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = 0;
		p = nl + 1;
	}
}

static void lines_release(lines *l)
{
	free(l->mem);
	free(l->v);
}

typedef struct dop {
	char t;       /* ' ', '-', '+' */
	size_t a, b;  /* line index in old (for ' ' and '-') and new (for ' ' and '+') */
} dop;

/* The edit script from a to b: common prefix and suffix, LCS in between (or, beyond
 * DIFF_MAX_LINES, everything in between replaced). Returns the ops (allocated) and *n. */
static dop *edit_script(const lines *a, const lines *b, size_t *nops)
{
	size_t pre = 0;
	while (pre < a->n && pre < b->n && !strcmp(a->v[pre], b->v[pre]))
		pre++;
	size_t suf = 0;
	while (suf < a->n - pre && suf < b->n - pre &&
	       !strcmp(a->v[a->n - 1 - suf], b->v[b->n - 1 - suf]))
		suf++;
	size_t n = a->n - pre - suf, m = b->n - pre - suf;
	dop *ops = xmalloc((a->n + b->n + 1) * sizeof *ops);
	size_t k = 0;
	for (size_t i = 0; i < pre; i++)
		ops[k++] = (dop){' ', i, i};
	if (n <= DIFF_MAX_LINES && m <= DIFF_MAX_LINES && n && m) {
		/* L[i][j]: LCS length of a[pre+i..] and b[pre+j..] */
		uint16_t *L = xcalloc((n + 1) * (m + 1), sizeof *L);
#define AT(i, j) L[(i) * (m + 1) + (j)]
		for (size_t i = n; i-- > 0;)
			for (size_t j = m; j-- > 0;)
				AT(i, j) = !strcmp(a->v[pre + i], b->v[pre + j]) ?
					(uint16_t)(AT(i + 1, j + 1) + 1) :
					(AT(i + 1, j) >= AT(i, j + 1) ? AT(i + 1, j) :
					 AT(i, j + 1));
		size_t i = 0, j = 0;
		while (i < n || j < m) {
			if (i < n && j < m && !strcmp(a->v[pre + i], b->v[pre + j])) {
				ops[k++] = (dop){' ', pre + i, pre + j};
				i++;
				j++;
			} else if (i < n && (j == m || AT(i + 1, j) >= AT(i, j + 1))) {
				ops[k++] = (dop){'-', pre + i, pre + j};
				i++;
			} else {
				ops[k++] = (dop){'+', pre + i, pre + j};
				j++;
			}
		}
#undef AT
		free(L);
	} else {
		for (size_t i = 0; i < n; i++)
			ops[k++] = (dop){'-', pre + i, pre};
		for (size_t j = 0; j < m; j++)
			ops[k++] = (dop){'+', pre + n, pre + j};
	}
	for (size_t i = 0; i < suf; i++)
		ops[k++] = (dop){' ', a->n - suf + i, b->n - suf + i};
	*nops = k;
	return ops;
}

/* Prints a unified diff of from/to (YAML texts) with DIFF_CONTEXT lines of context. */
static void unified_diff(const char *from, const char *to, const char *subject, bool color)
{
	lines a, b;
	lines_split(from, &a);
	lines_split(to, &b);
	size_t n;
	dop *ops = edit_script(&a, &b, &n);
	const char *red = color ? "\033[31m" : "", *green = color ? "\033[32m" : "";
	const char *cyan = color ? "\033[36m" : "", *reset = color ? "\033[0m" : "";
	printf("%s--- %s (cluster)%s\n%s+++ %s (local)%s\n", red, subject, reset, green, subject,
		reset);
	size_t i = 0;
	while (i < n) {
		while (i < n && ops[i].t == ' ')
			i++;
		if (i >= n)
			break;
		size_t start = i >= DIFF_CONTEXT ? i - DIFF_CONTEXT : 0;
		/* extend while the next change is within 2*context lines */
		size_t end = i, j = i;
		while (j < n) {
			if (ops[j].t != ' ') {
				end = j;
				j++;
				continue;
			}
			size_t run = 0;
			while (j + run < n && ops[j + run].t == ' ')
				run++;
			if (j + run >= n || run > 2 * DIFF_CONTEXT)
				break;
			j += run;
		}
		size_t stop = end + 1 + DIFF_CONTEXT;
		if (stop > n)
			stop = n;
		size_t oa = 0, ob = 0, na = 0, nb = 0;
		bool sa = false, sb2 = false;
		for (size_t x = start; x < stop; x++) {
			if (ops[x].t != '+') {
				if (!sa) {
					oa = ops[x].a;
					sa = true;
				}
				na++;
			}
			if (ops[x].t != '-') {
				if (!sb2) {
					ob = ops[x].b;
					sb2 = true;
				}
				nb++;
			}
		}
		if (!sa)
			oa = ops[start].a;
		if (!sb2)
			ob = ops[start].b;
		printf("%s@@ -%zu,%zu +%zu,%zu @@%s\n", cyan, na ? oa + 1 : oa, na,
			nb ? ob + 1 : ob, nb, reset);
		for (size_t x = start; x < stop; x++) {
			if (ops[x].t == ' ')
				printf(" %s\n", a.v[ops[x].a]);
			else if (ops[x].t == '-')
				printf("%s-%s%s\n", red, a.v[ops[x].a], reset);
			else
				printf("%s+%s%s\n", green, b.v[ops[x].b], reset);
		}
		i = stop;
	}
	free(ops);
	lines_release(&a);
	lines_release(&b);
}

/* ---------------------------------------------------------------- comparing objects */

/* The object as compared: no status, metadata reduced to name, namespace, labels and
 * annotations (what Flux's drift detection looks at). */
static cJSON *prepared(const cJSON *o)
{
	cJSON *c = cJSON_Duplicate(o, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(c, "status");
	cJSON *md = cJSON_GetObjectItemCaseSensitive(c, "metadata");
	if (cJSON_IsObject(md)) {
		static const char *const keep[] = {"name", "namespace", "labels", "annotations"};
		cJSON *it = md->child;
		while (it) {
			cJSON *next = it->next;
			bool k = false;
			for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
				k |= it->string && !strcmp(it->string, keep[i]);
			if (!k)
				cJSON_Delete(cJSON_DetachItemViaPointer(md, it));
			it = next;
		}
		cJSON *anns = cJSON_GetObjectItemCaseSensitive(md, "annotations");
		cJSON_DeleteItemFromObjectCaseSensitive(anns,
			"kubectl.kubernetes.io/last-applied-configuration");
		if (anns && !anns->child)
			cJSON_DeleteItemFromObjectCaseSensitive(md, "annotations");
	}
	return c;
}

/* Secret values never reach the output: equal values become "***", different ones
 * "*** (before)" and "*** (after)". */
static void mask_secret(cJSON *live, cJSON *merged)
{
	static const char *const fields[] = {"data", "stringData"};
	for (size_t f = 0; f < 2; f++) {
		cJSON *ld = cJSON_GetObjectItemCaseSensitive(live, fields[f]);
		cJSON *md = cJSON_GetObjectItemCaseSensitive(merged, fields[f]);
		cJSON *it;
		cJSON_ArrayForEach(it, md) {
			cJSON *lv = cJSON_GetObjectItemCaseSensitive(ld, it->string);
			bool same = lv && cJSON_Compare(lv, it, true);
			cJSON_SetValuestring(it, same ? "***" : lv ? "*** (after)" : "***");
			if (lv && cJSON_IsString(lv))
				cJSON_SetValuestring(lv, same ? "***" : "*** (before)");
		}
		cJSON_ArrayForEach(it, ld)
			if (cJSON_IsString(it) && strncmp(it->valuestring, "***", 3))
				cJSON_SetValuestring(it, "***");
	}
}

static char *subject_of(const char *kind, const char *ns, const char *name)
{
	return ns && *ns ? xasprintf("%s/%s/%s", kind, ns, name) : xasprintf("%s/%s", kind, name);
}

static char *emit(const cJSON *o)
{
	buf b;
	buf_init(&b, (size_t)64 << 20);
	err e = {0};
	if (yml_emit(&b, o, &e) < 0) {
		buf_release(&b);
		return xstrdup("");
	}
	char *s = buf_detach(&b, NULL);
	return s ? s : xstrdup("");
}

static void mark(const char *sym, const char *color, const char *subject, const char *what)
{
	bool c = cli_color(1);
	printf("%s%s %s %s%s\n", c ? color : "", sym, subject, what, c ? "\033[0m" : "");
}

/* Diffs one object; returns 1 when it differs, 0 when not, -1 on error (printed). The
 * inventory id is appended to ids. */
static int diff_one(kube_client *kc, cJSON *obj, cJSON *ids)
{
	const char *av = yml_get_string(obj, "apiVersion"), *kind = yml_get_string(obj, "kind");
	const char *name = kube_obj_name(obj);
	const char *ann = kube_obj_annotation(obj, "kustomize.toolkit.fluxcd.io/reconcile");
	err e = {0};
	kube_resource res = {0};
	if (kube_resolve(kc, av, kind, &res, &e) < 0) {
		cli_failure("%s/%s: %s", kind, name, e.msg);
		return -1;
	}
	bool namespaced = res.namespaced;
	kube_resource_release(&res);
	const char *ns = kube_obj_namespace(obj);
	if (!namespaced && ns) {
		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj,
			"metadata"), "namespace");
		ns = NULL;
	}
	if (namespaced && (!ns || !*ns)) {
		cli_failure("%s/%s: namespace not specified", kind, name);
		return -1;
	}
	char *id = ksb_inventory_id(ns, name, av, kind);
	cJSON_AddItemToArray(ids, cJSON_CreateString(id));
	free(id);
	if (ann && !strcasecmp(ann, "disabled"))
		return 0;
	char *subject = subject_of(kind, ns, name);
	int rc = 0;
	cJSON *live = kube_get(kc, av, kind, ns, name, NULL, &e);
	if (!live) {
		if (kube_errkind_of(&e) == KUBE_ENOTFOUND) {
			mark("✚", "\033[32m", subject, "created");
			rc = 1;
		} else {
			cli_failure("%s: %s", subject, e.msg);
			rc = -1;
		}
		free(subject);
		return rc;
	}
	kube_opts ko = {.field_manager = FIELD_MANAGER, .force = true, .dry_run = true};
	cJSON *merged = kube_apply(kc, obj, &ko, &e);
	if (!merged) {
		cli_failure("%s dry-run failed: %s", subject, e.msg);
		cJSON_Delete(live);
		free(subject);
		return -1;
	}
	cJSON *pl = prepared(live), *pm = prepared(merged);
	if (!cJSON_Compare(pl, pm, true)) {
		if (!strcmp(kind, "Secret"))
			mask_secret(pl, pm);
		mark("►", "\033[33m", subject, "drifted");
		char *a = emit(pl), *b = emit(pm);
		unified_diff(a, b, subject, cli_color(1));
		free(a);
		free(b);
		rc = 1;
	}
	cJSON_Delete(pl);
	cJSON_Delete(pm);
	cJSON_Delete(live);
	cJSON_Delete(merged);
	free(subject);
	return rc;
}

static bool has_id(const cJSON *ids, const char *id)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, ids)
		if (cJSON_IsString(it) && !strcmp(it->valuestring, id))
			return true;
	return false;
}

/* Objects of the inventory missing from the build: "✗ ... deleted". Returns how many. */
static int diff_deleted(const cJSON *ks, const cJSON *ids)
{
	int n = 0;
	const cJSON *en;
	cJSON_ArrayForEach(en, yml_get_path(ks, "status.inventory.entries")) {
		const char *id = yml_get_string(en, "id");
		if (!id || has_id(ids, id))
			continue;
		/* <ns>_<name>_<group>_<kind>; ':' in names is "__" */
		const char *u1 = strchr(id, '_'), *uk = strrchr(id, '_');
		if (!u1 || uk == u1)
			continue;
		const char *ug = uk - 1;
		while (ug > u1 && *ug != '_')
			ug--;
		if (ug == u1)
			continue;
		char *ns = xasprintf("%.*s", (int)(u1 - id), id);
		buf nm;
		buf_init(&nm, 4096);
		for (const char *p = u1 + 1; p < ug; p++) {
			if (p[0] == '_' && p + 1 < ug && p[1] == '_') {
				buf_addc(&nm, ':');
				p++;
			} else {
				buf_addc(&nm, *p);
			}
		}
		char *subject = subject_of(uk + 1, ns, buf_str(&nm));
		mark("✗", "\033[31m", subject, "deleted");
		free(subject);
		buf_release(&nm);
		free(ns);
		n++;
	}
	return n;
}

int cmd_diff(int argc, char **argv)
{
	cli_opts o;
	local l;
	int rc = local_build(argc, argv, &o, &l, "diff");
	if (rc != 0) {
		local_release(&l);
		return rc < 0 ? 0 : rc;
	}
	cJSON *ids = cJSON_CreateArray();
	int changed = 0, errors = 0;
	cJSON *obj;
	cJSON_ArrayForEach(obj, l.objects) {
		int r = diff_one(l.kc, obj, ids);
		if (r < 0)
			errors++;
		else
			changed += r;
	}
	if (!errors && cJSON_IsTrue(yml_get_path(l.ks, "spec.prune")))
		changed += diff_deleted(l.ks, ids);
	cJSON_Delete(ids);
	local_release(&l);
	if (errors) {
		cli_failure("%d object%s could not be compared", errors, errors == 1 ? "" : "s");
		return 2;
	}
	if (!changed)
		cli_success("no changes: the cluster matches %s", o.path);
	return changed ? 1 : 0;
}
