/* auth: authentication (client certificates, static and ServiceAccount bearer tokens),
 * impersonation and RBAC authorization.
 *
 * Without --tls every request is an unrestricted admin unless it carries Impersonate-User:
 * then the impersonated identity is authorized by RBAC, so RBAC can be tested on plain HTTP. */
#include "auth.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/clock.h"
#include "eddy/codec.h"
#include "eddy/mem.h"
#include "eddy/strv.h"
#include "object.h"
#include "protobuf.h"
#include "resp.h"

/* ---- loading the token key and static tokens ---- */

static char *read_small_file(const char *path, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	buf b;
	buf_init(&b, cap);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (buf_add(&b, tmp, n) < 0) {
			fclose(f);
			buf_release(&b);
			return NULL;
		}
	fclose(f);
	return buf_detach(&b, NULL);
}

int auth_load(apiserver *s, err *e)
{
	char *path = xasprintf("%s/token.key", s->opts.data_dir);
	char *key = read_small_file(path, 4096);
	if (!key || strlen(key) < 32) {
		free(key);
		unsigned char raw[32];
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			free(path);
			return err_fail(e, "AuthError", "no randomness for the token key");
		}
		key = xmalloc(65);
		hex_encode(key, raw, sizeof(raw), HEX_LOWER);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, key, 64) != 64) {
			if (fd >= 0)
				close(fd);
			free(path);
			free(key);
			return err_fail(e, "AuthError", "cannot write %s/token.key",
					s->opts.data_dir);
		}
		close(fd);
	}
	free(path);
	s->token_secret = key;
	if (s->opts.tokens_file) {
		char *t = read_small_file(s->opts.tokens_file, 1 << 20);
		if (!t)
			return err_fail(e, "AuthError", "cannot read token file %s",
					s->opts.tokens_file);
		char *save = NULL;
		for (char *line = strtok_r(t, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			/* token,user,uid[,"g1,g2"] */
			char *f[4] = {0};
			int nf = 0;
			char *p = line;
			while (nf < 4 && p) {
				if (*p == '"') {
					char *q = strchr(p + 1, '"');
					f[nf++] = p + 1;
					if (q)
						*q = '\0';
					p = q ? strchr(q + 1, ',') : NULL;
					if (p)
						p++;
					continue;
				}
				f[nf++] = p;
				char *c = strchr(p, ',');
				if (c)
					*c = '\0';
				p = c ? c + 1 : NULL;
			}
			if (nf < 2 || !*f[0])
				continue;
			s->tok_token = xrealloc(s->tok_token, (s->n_tok + 1) * sizeof(char *));
			s->tok_user = xrealloc(s->tok_user, (s->n_tok + 1) * sizeof(char *));
			s->tok_groups = xrealloc(s->tok_groups, (s->n_tok + 1) * sizeof(char *));
			s->tok_token[s->n_tok] = xstrdup(f[0]);
			s->tok_user[s->n_tok] = xstrdup(f[1]);
			s->tok_groups[s->n_tok] = xstrdup(nf >= 4 ? f[3] : "");
			s->n_tok++;
		}
		free(t);
	}
	return 0;
}

void auth_free(apiserver *s)
{
	for (size_t i = 0; i < s->n_tok; i++) {
		free(s->tok_token[i]);
		free(s->tok_user[i]);
		free(s->tok_groups[i]);
	}
	free(s->tok_token);
	free(s->tok_user);
	free(s->tok_groups);
	free(s->token_secret);
}

/* ---- ServiceAccount tokens: eddy.<base64url(payload)>.<hex hmac> ---- */

static void hmac_hex(const char *key, const char *msg, char out[65])
{
	unsigned char mac[32];
	unsigned int n = sizeof(mac);
	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, strlen(msg), mac, &n);
	hex_encode(out, mac, sizeof(mac), HEX_LOWER);
}

/* The payload: padded base64url; read back in either alphabet, padding required. */
static char *unb64url(const char *s, size_t n)
{
	if (n % 4 || n > 8192)
		return NULL;
	return b64_decode(s, n, B64_ANY_ALPHABET, 0, NULL);
}

static char *auth_mint_token(apiserver *s, const char *ns, const char *sa, int64_t exp)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "ns", ns);
	cJSON_AddStringToObject(p, "sa", sa);
	cJSON_AddNumberToObject(p, "exp", (double)exp);
	char *txt = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	char *enc = b64_encode(txt, strlen(txt), B64_URL);
	free(txt);
	char mac[65];
	hmac_hex(s->token_secret, enc, mac);
	char *tok = xasprintf("eddy.%s.%s", enc, mac);
	free(enc);
	return tok;
}

static int auth_check_token(apiserver *s, const char *token, char **user, strv *groups)
{
	*user = NULL;
	*groups = (strv){0};
	for (size_t i = 0; i < s->n_tok; i++) {
		if (strcmp(s->tok_token[i], token) != 0)
			continue;
		*user = xstrdup(s->tok_user[i]);
		char *g = xstrdup(s->tok_groups[i]), *save = NULL;
		for (char *t = strtok_r(g, ",", &save); t; t = strtok_r(NULL, ",", &save))
			strv_add(groups, t);
		free(g);
		return 0;
	}
	if (strncmp(token, "eddy.", 5) != 0)
		return -1;
	const char *enc = token + 5, *dot = strchr(enc, '.');
	if (!dot || strlen(dot + 1) != 64)
		return -1;
	char *encs = xstrndup(enc, (size_t)(dot - enc));
	char mac[65];
	hmac_hex(s->token_secret, encs, mac);
	int ok = CRYPTO_memcmp(mac, dot + 1, 64) == 0;
	char *payload = ok ? unb64url(encs, strlen(encs)) : NULL;
	free(encs);
	cJSON *p = payload ? cJSON_Parse(payload) : NULL;
	free(payload);
	const char *ns = json_str(p, "ns"), *sa = json_str(p, "sa");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(p, "exp");
	if (!ns || !sa || !cJSON_IsNumber(exp) ||
	    exp->valuedouble < (double)(clock_real_ns() / GODUR_SECOND)) {
		cJSON_Delete(p);
		return -1;
	}
	/* The ServiceAccount must still exist. */
	char *key = xasprintf("/core/serviceaccounts/%s/%s", ns, sa);
	store_row r;
	int found = store_get(s->st, key, &r, NULL);
	free(key);
	if (found <= 0) {
		cJSON_Delete(p);
		return -1;
	}
	store_row_release(&r);
	*user = xasprintf("system:serviceaccount:%s:%s", ns, sa);
	strv_add(groups, "system:serviceaccounts");
	strv_take(groups, xasprintf("system:serviceaccounts:%s", ns));
	cJSON_Delete(p);
	return 0;
}

/* ---- identity ---- */

static void add_group(api_ctx *c, const char *g)
{
	if (!strv_has(&c->groups, g))
		strv_add(&c->groups, g);
}

void auth_identify(api_ctx *c)
{
	const api_req *rq = c->rq;
	c->user = NULL;
	c->groups = (strv){0};
	if (c->s->opts.auth) {
		if (rq->authenticated && rq->user) {
			c->user = rq->user;
			for (size_t i = 0; i < rq->n_groups; i++)
				add_group(c, rq->groups[i]);
		} else if (rq->bearer) {
			char *u;
			strv g;
			if (auth_check_token(c->s, rq->bearer, &u, &g) == 0) {
				c->user_buf = u;
				c->user = u;
				for (size_t i = 0; i < g.n; i++)
					add_group(c, g.v[i]);
				strv_release(&g);
			}
		}
		if (!c->user) {
			resp_status(c->rs, 401, "Unauthorized", "Unauthorized", NULL);
			return;
		}
		add_group(c, "system:authenticated");
	}
	if (rq->imp_user && *rq->imp_user) {
		/* Only admins (or anyone on plain HTTP) may impersonate. */
		bool admin = !c->user;
		if (strv_has(&c->groups, "system:masters"))
			admin = true;
		if (!admin) {
			resp_statusf(c->rs, 403, "Forbidden", NULL,
				     "users \"%s\" is forbidden: User \"%s\" cannot impersonate "
				     "resource \"users\" in API group \"\" at the cluster scope",
				     rq->imp_user, c->user);
			return;
		}
		strv_release(&c->groups);
		c->user = rq->imp_user;
		for (size_t i = 0; i < rq->n_imp_groups; i++)
			add_group(c, rq->imp_groups[i]);
		if (!strncmp(rq->imp_user, "system:serviceaccount:", 22) && rq->n_imp_groups == 0) {
			const char *rest = rq->imp_user + 22;
			const char *colon = strchr(rest, ':');
			add_group(c, "system:serviceaccounts");
			if (colon) {
				char *g = xasprintf("system:serviceaccounts:%.*s",
						    (int)(colon - rest), rest);
				add_group(c, g);
				free(g);
			}
		}
		add_group(c, "system:authenticated");
	}
}

/* ---- RBAC ---- */

static bool list_has(const cJSON *arr, const char *v)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it) && (!strcmp(it->valuestring, "*") ||
					   !strcmp(it->valuestring, v)))
			return true;
	return false;
}

static bool rule_allows(const cJSON *rule, const char *verb, const char *group,
			const char *resource, const char *name)
{
	if (!list_has(cJSON_GetObjectItemCaseSensitive(rule, "verbs"), verb))
		return false;
	if (!list_has(cJSON_GetObjectItemCaseSensitive(rule, "apiGroups"), group))
		return false;
	if (!list_has(cJSON_GetObjectItemCaseSensitive(rule, "resources"), resource)) {
		/* exact names or "*" only */
		return false;
	}
	const cJSON *rn = cJSON_GetObjectItemCaseSensitive(rule, "resourceNames");
	if (cJSON_GetArraySize(rn) > 0 && (!name || !list_has(rn, name)))
		return false;
	return true;
}

static bool subject_matches(api_ctx *c, const cJSON *sub, const char *binding_ns)
{
	const char *kind = json_str(sub, "kind"), *name = json_str(sub, "name");
	if (!kind || !name)
		return false;
	if (!strcmp(kind, "User"))
		return !strcmp(name, c->user);
	if (!strcmp(kind, "Group"))
		return strv_has(&c->groups, name);
	if (!strcmp(kind, "ServiceAccount")) {
		const char *ns = json_str(sub, "namespace");
		if (!ns || !*ns)
			ns = binding_ns;
		char *u = xasprintf("system:serviceaccount:%s:%s", ns ? ns : "", name);
		bool m = !strcmp(u, c->user);
		free(u);
		return m;
	}
	return false;
}

static cJSON *load_json(apiserver *s, const char *key)
{
	store_row r;
	if (store_get(s->st, key, &r, NULL) <= 0)
		return NULL;
	cJSON *o = cJSON_Parse(r.value);
	store_row_release(&r);
	return o;
}

/* Does any ClusterRole selected by an aggregationRule's clusterRoleSelectors (matchLabels and
 * matchExpressions, as label selectors) allow the request? One level, as the real aggregation
 * controller copies rules only from the selected roles. */
static bool aggregated_allows(api_ctx *c, const cJSON *selectors, const char *verb,
			      const char *group, const char *resource, const char *name,
			      int depth)
{
	if (depth > 4)
		return false;
	store_row *rows;
	long n = store_list(c->s->st, "/rbac.authorization.k8s.io/clusterroles/", NULL, 0, 0, &rows,
			    NULL, NULL);
	bool ok = false;
	for (long i = 0; i < n && !ok; i++) {
		cJSON *r = cJSON_Parse(rows[i].value);
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(obj_meta(r), "labels");
		const cJSON *sel_obj;
		bool selected = false;
		cJSON_ArrayForEach(sel_obj, selectors) {
			const cJSON *ml = cJSON_GetObjectItemCaseSensitive(sel_obj, "matchLabels"), *l;
			bool all = cJSON_GetArraySize(ml) > 0;
			cJSON_ArrayForEach(l, ml) {
				const cJSON *have = cJSON_GetObjectItemCaseSensitive(labels, l->string);
				if (!cJSON_IsString(l) || !cJSON_IsString(have) ||
				    strcmp(have->valuestring, l->valuestring) != 0)
					all = false;
			}
			if (all)
				selected = true;
		}
		if (selected) {
			const cJSON *rule;
			cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(r, "rules"))
				if (rule_allows(rule, verb, group, resource, name))
					ok = true;
			const cJSON *sub = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(r, "aggregationRule"),
				"clusterRoleSelectors");
			if (!ok && cJSON_GetArraySize(sub) > 0)
				ok = aggregated_allows(c, sub, verb, group, resource, name, depth + 1);
		}
		cJSON_Delete(r);
	}
	if (n > 0)
		store_rows_free(rows, (size_t)n);
	return ok;
}

/* Rules of the role a binding refers to (aggregated ClusterRoles: their stored rules). */
static bool binding_allows(api_ctx *c, const cJSON *b, const char *bns, const char *verb,
			   const char *group, const char *resource, const char *name)
{
	const cJSON *subs = cJSON_GetObjectItemCaseSensitive(b, "subjects"), *sub;
	bool match = false;
	cJSON_ArrayForEach(sub, subs)
		if (subject_matches(c, sub, bns))
			match = true;
	if (!match)
		return false;
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(b, "roleRef");
	const char *kind = json_str(ref, "kind"), *rname = json_str(ref, "name");
	if (!kind || !rname)
		return false;
	char *key = !strcmp(kind, "ClusterRole")
			    ? xasprintf("/rbac.authorization.k8s.io/clusterroles/%s", rname)
			    : xasprintf("/rbac.authorization.k8s.io/roles/%s/%s", bns ? bns : "",
					rname);
	cJSON *role = load_json(c->s, key);
	free(key);
	bool ok = false;
	const cJSON *rule;
	cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(role, "rules"))
		if (rule_allows(rule, verb, group, resource, name))
			ok = true;
	const cJSON *agg = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(role, "aggregationRule"), "clusterRoleSelectors");
	if (!ok && cJSON_GetArraySize(agg) > 0)
		ok = aggregated_allows(c, agg, verb, group, resource, name, 0);
	cJSON_Delete(role);
	return ok;
}

static bool scan_bindings(api_ctx *c, const char *prefix, const char *verb, const char *group,
			  const char *resource, const char *name)
{
	store_row *rows;
	long n = store_list(c->s->st, prefix, NULL, 0, 0, &rows, NULL, NULL);
	bool ok = false;
	for (long i = 0; i < n && !ok; i++) {
		cJSON *b = cJSON_Parse(rows[i].value);
		ok = binding_allows(c, b, json_str(obj_meta(b), "namespace"), verb, group, resource,
				    name);
		cJSON_Delete(b);
	}
	if (n > 0)
		store_rows_free(rows, (size_t)n);
	return ok;
}

static bool rbac_allows(api_ctx *c, const char *verb, const char *group, const char *resource,
			const char *ns, const char *name)
{
	if (!c->user)
		return true;
	if (strv_has(&c->groups, "system:masters"))
		return true;
	/* system:basic-user: everyone may ask what they may do and who they are. */
	if (!strcmp(verb, "create") &&
	    ((!strcmp(group, "authorization.k8s.io") &&
	      (!strcmp(resource, "selfsubjectaccessreviews") ||
	       !strcmp(resource, "selfsubjectrulesreviews"))) ||
	     (!strcmp(group, "authentication.k8s.io") && !strcmp(resource, "selfsubjectreviews"))))
		return true;
	if (scan_bindings(c, "/rbac.authorization.k8s.io/clusterrolebindings/", verb, group,
			  resource, name))
		return true;
	if (ns) {
		char *p = xasprintf("/rbac.authorization.k8s.io/rolebindings/%s/", ns);
		bool ok = scan_bindings(c, p, verb, group, resource, name);
		free(p);
		if (ok)
			return true;
	}
	return false;
}

int auth_authorize(api_ctx *c, const char *verb, const char *group, const char *resource,
                   const char *sub, const char *ns, const char *name)
{
	if (c->rs->code)
		return -1;
	if (!c->user)
		return 0;
	if (!strcmp(resource, "namespaces") && !group[0] && name)
		ns = name;
	char *res = sub ? xasprintf("%s/%s", resource, sub) : xstrdup(resource);
	bool ok = rbac_allows(c, verb, group, res, ns, name);
	if (!ok) {
		buf m;
		buf_init(&m, 8192);
		char *qr = group[0] ? xasprintf("%s.%s", resource, group) : xstrdup(resource);
		if (name)
			buf_addf(&m, "%s \"%s\" is forbidden: ", qr, name);
		else
			buf_addf(&m, "%s is forbidden: ", qr);
		buf_addf(&m, "User \"%s\" cannot %s resource \"%s\" in API group \"%s\"", c->user,
			 verb, res, group);
		if (ns)
			buf_addf(&m, " in the namespace \"%s\"", ns);
		else
			buf_adds(&m, " at the cluster scope");
		cJSON *d = cJSON_CreateObject();
		if (name)
			cJSON_AddStringToObject(d, "name", name);
		if (group[0])
			cJSON_AddStringToObject(d, "group", group);
		cJSON_AddStringToObject(d, "kind", resource);
		resp_status(c->rs, 403, "Forbidden", buf_str(&m), d);
		buf_release(&m);
		free(qr);
	}
	free(res);
	return ok ? 0 : -1;
}

/* ---- default ClusterRoles (bootstrap policy, condensed) ---- */

static const char *const default_roles[] = {
	"{\"metadata\":{\"name\":\"cluster-admin\"},\"rules\":[{\"apiGroups\":[\"*\"],"
	"\"resources\":[\"*\"],\"verbs\":[\"*\"]},{\"nonResourceURLs\":[\"*\"],\"verbs\":"
	"[\"*\"]}]}",
	"{\"metadata\":{\"name\":\"admin\"},\"aggregationRule\":{\"clusterRoleSelectors\":"
	"[{\"matchLabels\":{\"rbac.authorization.k8s.io/aggregate-to-admin\":\"true\"}}]},"
	"\"rules\":[]}",
	"{\"metadata\":{\"name\":\"edit\",\"labels\":{\"rbac.authorization.k8s.io/"
	"aggregate-to-admin\":\"true\"}},\"aggregationRule\":{\"clusterRoleSelectors\":[{"
	"\"matchLabels\":{\"rbac.authorization.k8s.io/aggregate-to-edit\":\"true\"}}]},"
	"\"rules\":[]}",
	"{\"metadata\":{\"name\":\"view\",\"labels\":{\"rbac.authorization.k8s.io/"
	"aggregate-to-edit\":\"true\"}},\"aggregationRule\":{\"clusterRoleSelectors\":[{"
	"\"matchLabels\":{\"rbac.authorization.k8s.io/aggregate-to-view\":\"true\"}}]},"
	"\"rules\":[]}",
	"{\"metadata\":{\"name\":\"system:aggregate-to-admin\",\"labels\":{\"rbac."
	"authorization.k8s.io/aggregate-to-admin\":\"true\"}},\"rules\":[{\"apiGroups\":["
	"\"rbac.authorization.k8s.io\"],\"resources\":[\"roles\",\"rolebindings\"],\"verbs\":"
	"[\"*\"]},{\"apiGroups\":[\"authorization.k8s.io\"],\"resources\":["
	"\"localsubjectaccessreviews\"],\"verbs\":[\"create\"]}]}",
	"{\"metadata\":{\"name\":\"system:aggregate-to-edit\",\"labels\":{\"rbac."
	"authorization.k8s.io/aggregate-to-edit\":\"true\"}},\"rules\":[{\"apiGroups\":[\"\"],"
	"\"resources\":[\"configmaps\",\"endpoints\",\"persistentvolumeclaims\",\"pods\","
	"\"replicationcontrollers\",\"services\",\"secrets\",\"serviceaccounts\","
	"\"serviceaccounts/token\"],\"verbs\":[\"create\",\"delete\",\"deletecollection\","
	"\"patch\",\"update\",\"get\",\"list\",\"watch\"]},{\"apiGroups\":[\"apps\","
	"\"batch\",\"autoscaling\",\"networking.k8s.io\",\"policy\",\"discovery.k8s.io\"],"
	"\"resources\":[\"*\"],\"verbs\":[\"create\",\"delete\",\"deletecollection\","
	"\"patch\",\"update\"]}]}",
	"{\"metadata\":{\"name\":\"system:aggregate-to-view\",\"labels\":{\"rbac."
	"authorization.k8s.io/aggregate-to-view\":\"true\"}},\"rules\":[{\"apiGroups\":[\"\"],"
	"\"resources\":[\"configmaps\",\"endpoints\",\"persistentvolumeclaims\",\"pods\","
	"\"pods/log\",\"pods/status\",\"replicationcontrollers\",\"services\",\"events\","
	"\"limitranges\",\"namespaces\",\"resourcequotas\",\"serviceaccounts\"],\"verbs\":["
	"\"get\",\"list\",\"watch\"]},{\"apiGroups\":[\"apps\",\"batch\",\"autoscaling\","
	"\"networking.k8s.io\",\"policy\",\"discovery.k8s.io\"],\"resources\":[\"*\"],"
	"\"verbs\":[\"get\",\"list\",\"watch\"]}]}",
};

int auth_seed_roles(apiserver *s, err *e)
{
	for (size_t i = 0; i < sizeof(default_roles) / sizeof(default_roles[0]); i++) {
		cJSON *r = cJSON_Parse(default_roles[i]);
		if (!r)
			return err_fail(e, "InternalError", "bad default role %zu", i);
		cJSON *m = obj_meta(r);
		const char *name = json_str(m, "name");
		char *key = xasprintf("/rbac.authorization.k8s.io/clusterroles/%s", name);
		store_row row;
		int found = store_get(s->st, key, &row, e);
		if (found > 0)
			store_row_release(&row);
		if (found == 0) {
			cJSON_AddStringToObject(r, "apiVersion", "rbac.authorization.k8s.io/v1");
			cJSON_AddStringToObject(r, "kind", "ClusterRole");
			char ts[32];
			obj_timestamp(ts);
			char *uid = server_new_uid(s);
			cJSON_AddStringToObject(m, "uid", uid);
			free(uid);
			cJSON_AddStringToObject(m, "creationTimestamp", ts);
			cJSON *labels = json_obj_ensure(m, "labels");
			cJSON_AddStringToObject(labels, "kubernetes.io/bootstrapping", "rbac-defaults");
			char rv[32];
			snprintf(rv, sizeof(rv), "%lld", (long long)store_next_rev(s->st));
			cJSON_AddStringToObject(m, "resourceVersion", rv);
			char *txt = cJSON_PrintUnformatted(r);
			if (store_create(s->st, key, txt, e) < 0)
				found = -1;
			free(txt);
		}
		free(key);
		cJSON_Delete(r);
		if (found < 0)
			return -1;
	}
	return 0;
}

/* ---- review kinds and TokenRequest ---- */

void auth_review(api_ctx *c, cJSON *obj)
{
	const char *kind = c->ty->kind;
	cJSON *st = json_obj_ensure(obj, "status");
	if (!strcmp(kind, "SelfSubjectAccessReview") || !strcmp(kind, "SubjectAccessReview") ||
	    !strcmp(kind, "LocalSubjectAccessReview")) {
		const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
		const cJSON *ra = cJSON_GetObjectItemCaseSensitive(spec, "resourceAttributes");
		api_ctx sub = *c;
		api_resp tmp;
		api_resp_init(&tmp);
		sub.rs = &tmp;
		/* sub shares c's groups, unless the review names its own (then sub owns them) */
		bool own_groups = strcmp(kind, "SelfSubjectAccessReview") != 0;
		if (own_groups) {
			sub.user = json_str(spec, "user");
			const cJSON *g, *groups = cJSON_GetObjectItemCaseSensitive(spec, "groups");
			sub.groups = (strv){0};
			cJSON_ArrayForEach(g, groups)
				if (cJSON_IsString(g))
					strv_add(&sub.groups, g->valuestring);
			if (!sub.user)
				sub.user = "";
		}
		bool allowed = false;
		if (ra) {
			const char *sr = json_str(ra, "subresource");
			allowed =
			    auth_authorize(&sub, json_str(ra, "verb") ? json_str(ra, "verb") : "",
					   json_str(ra, "group") ? json_str(ra, "group") : "",
					   json_str(ra, "resource") ? json_str(ra, "resource") : "",
					   sr && *sr ? sr : NULL,
					   json_str(ra, "namespace") && *json_str(ra, "namespace")
					       ? json_str(ra, "namespace")
					       : NULL,
					   json_str(ra, "name") && *json_str(ra, "name")
					       ? json_str(ra, "name")
					       : NULL) == 0;
		}
		if (own_groups)
			strv_release(&sub.groups);
		api_resp_release(&tmp);
		cJSON_AddBoolToObject(st, "allowed", allowed);
	} else if (!strcmp(kind, "SelfSubjectReview")) {
		cJSON *ui = cJSON_AddObjectToObject(st, "userInfo");
		cJSON_AddStringToObject(ui, "username", c->user ? c->user : "kubernetes-admin");
		cJSON *g = cJSON_AddArrayToObject(ui, "groups");
		if (!c->user)
			cJSON_AddItemToArray(g, cJSON_CreateString("system:masters"));
		for (size_t i = 0; i < c->groups.n; i++)
			cJSON_AddItemToArray(g, cJSON_CreateString(c->groups.v[i]));
	} else if (!strcmp(kind, "TokenReview")) {
		const char *tok = json_str(cJSON_GetObjectItemCaseSensitive(obj, "spec"), "token");
		char *u = NULL;
		strv g = {0};
		bool ok = tok && auth_check_token(c->s, tok, &u, &g) == 0;
		cJSON_AddBoolToObject(st, "authenticated", ok);
		if (ok) {
			cJSON *ui = cJSON_AddObjectToObject(st, "user");
			cJSON_AddStringToObject(ui, "username", u);
			cJSON *ga = cJSON_AddArrayToObject(ui, "groups");
			for (size_t i = 0; i < g.n; i++)
				cJSON_AddItemToArray(ga, cJSON_CreateString(g.v[i]));
		}
		strv_release(&g);
		free(u);
	}
	resp_json(c->rs, 201, obj);
}

void auth_token_request(api_ctx *c)
{
	char *key = obj_key(c->ty, c->ns, c->name);
	store_row r;
	int found = store_get(c->s->st, key, &r, NULL);
	free(key);
	if (found <= 0) {
		resp_not_found(c->rs, c->ty, c->name);
		return;
	}
	store_row_release(&r);
	err e = {0};
	cJSON *req = NULL;
	if (c->rq->body_len && c->rq->content_type &&
	    !strncmp(c->rq->content_type, "application/vnd.kubernetes.protobuf", 35))
		req = pb_decode((const unsigned char *)c->rq->body, c->rq->body_len, &e);
	else if (c->rq->body_len)
		req = obj_parse(c->rq->body, c->rq->body_len, &e);
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(req, "spec");
	const cJSON *es = cJSON_GetObjectItemCaseSensitive(spec, "expirationSeconds");
	int64_t secs = cJSON_IsNumber(es) && es->valuedouble >= 600 ? (int64_t)es->valuedouble
								    : 3600;
	if (secs > 86400 * 365)
		secs = 86400 * 365;
	int64_t exp = clock_real_ns() / GODUR_SECOND + secs;
	char *tok = auth_mint_token(c->s, c->ns, c->name, exp);
	cJSON *out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "kind", "TokenRequest");
	cJSON_AddStringToObject(out, "apiVersion", "authentication.k8s.io/v1");
	cJSON *m = cJSON_AddObjectToObject(out, "metadata");
	cJSON_AddStringToObject(m, "name", c->name);
	cJSON_AddStringToObject(m, "namespace", c->ns);
	char ts[32];
	obj_timestamp(ts);
	cJSON_AddStringToObject(m, "creationTimestamp", ts);
	cJSON *os = cJSON_AddObjectToObject(out, "spec");
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(spec, "audiences");
	cJSON_AddItemToObject(os, "audiences", aud ? cJSON_Duplicate(aud, 1) : cJSON_CreateArray());
	cJSON_AddNumberToObject(os, "expirationSeconds", (double)secs);
	cJSON *st = cJSON_AddObjectToObject(out, "status");
	cJSON_AddStringToObject(st, "token", tok);
	clock_rfc3339_sec(ts, sizeof(ts), exp);
	cJSON_AddStringToObject(st, "expirationTimestamp", ts);
	free(tok);
	cJSON_Delete(req);
	resp_json(c->rs, 201, out);
}
