/* git: Flux-style Git checkouts over libgit2 (see eddy/git.h). */
#include "eddy/git.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "eddy/art.h"
#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/codec.h"
#include "eddy/mem.h"
#include "eddy/semver.h"
#include "git_int.h"

extern char **environ;


static void init_once(void)
{
	git_libgit2_init();
	/* no owner checks on our private temp repositories */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	/* http and https through libcurl (client certificates, proxies, timeouts) */
	gitx_http_register();
}

int gitx_global_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, init_once);
	return 0;
}

char *gitx_redact_url(const char *url)
{
	if (!url)
		return xstrdup("");
	const char *s = strstr(url, "://");
	if (!s)
		return xstrdup(url);
	s += 3;
	const char *end = s + strcspn(s, "/?#");
	const char *at = NULL;
	for (const char *p = s; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(s - url), url, at + 1);
}

const char *gitx_revision_hex(const char *rev)
{
	if (!rev)
		return "";
	const char *p = strstr(rev, "sha1:");
	return p ? p + 5 : "";
}

void gitx_result_release(gitx_result *r)
{
	free(r->message);
	r->message = NULL;
}

/* ---------------------------------------------------------------- callbacks */

typedef struct fctx {
	const gitx_opts *o;
	int64_t deadline;
	bool timed_out, too_big, auth_failed, hostkey_bad, cert_bad, cancelled;
	int userpass_calls, key_calls, user_calls;
	char host[256];
	int port;
	char why[512];
	gitx_net net;
} fctx;

static bool set(const char *s)
{
	return s && *s;
}

static int check_limits(fctx *c, uint64_t bytes)
{
	if (c->deadline && clock_mono_ms() > c->deadline) {
		c->timed_out = true;
		return -1;
	}
	if (c->o->max_bytes && bytes > c->o->max_bytes) {
		c->too_big = true;
		return -1;
	}
	return 0;
}

static int cb_transfer(const git_indexer_progress *st, void *payload)
{
	return check_limits(payload, st->received_bytes);
}

static int cb_sideband(const char *str, int len, void *payload)
{
	(void)str;
	(void)len;
	return check_limits(payload, 0);
}

static int cb_cred(git_credential **out, const char *url, const char *user_from_url,
	unsigned int allowed, void *payload)
{
	(void)url;
	fctx *c = payload;
	const gitx_auth *a = &c->o->auth;
	if (check_limits(c, 0) < 0)
		return -1;
	const char *user = set(a->username) ? a->username : set(user_from_url) ? user_from_url
		: "git";
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && set(a->identity)) {
		if (c->key_calls++ > 0)
			goto denied;
		int rc = git_credential_ssh_key_memory_new(out, user, NULL, a->identity,
			set(a->password) ? a->password : NULL);
		if (rc < 0)
			snprintf(c->why, sizeof c->why, "cannot use the SSH identity: %s",
				git_error_last() ? git_error_last()->message : "unknown error");
		return rc;
	}
	if (allowed & GIT_CREDENTIAL_USERNAME) {
		if (c->user_calls++ > 2)
			goto denied;
		return git_credential_username_new(out, user);
	}
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && set(a->username)) {
		if (c->userpass_calls++ > 0)
			goto denied;
		return git_credential_userpass_plaintext_new(out, a->username,
			a->password ? a->password : "");
	}
denied:
	c->auth_failed = true;
	return GIT_EUSER;
}

/* Decode padded standard base64 (no newlines) into a malloc'd buffer. */
static unsigned char *b64dec(const char *s, size_t n, size_t *outlen)
{
	if (n == 0 || n % 4 || n > 1 << 16)
		return NULL;
	return (unsigned char *)b64_decode(s, n, B64_STD, 0, outlen);
}

/* Does one known_hosts host field (comma list, or |1|salt|hash) name host? */
static bool kh_host_match(const char *field, size_t flen, const char *name)
{
	if (flen > 3 && !strncmp(field, "|1|", 3)) {
		const char *salt = field + 3;
		const char *bar = memchr(salt, '|', flen - 3);
		if (!bar)
			return false;
		size_t sl, hl;
		unsigned char *sb = b64dec(salt, (size_t)(bar - salt), &sl);
		unsigned char *hb = b64dec(bar + 1, flen - (size_t)(bar + 1 - field), &hl);
		bool ok = false;
		if (sb && hb && hl == 20) {
			unsigned char mac[EVP_MAX_MD_SIZE];
			unsigned int ml = 0;
			HMAC(EVP_sha1(), sb, (int)sl, (const unsigned char *)name, strlen(name),
				mac, &ml);
			ok = ml == 20 && !memcmp(mac, hb, 20);
		}
		free(sb);
		free(hb);
		return ok;
	}
	const char *p = field, *end = field + flen;
	while (p < end) {
		const char *q = memchr(p, ',', (size_t)(end - p));
		if (!q)
			q = end;
		if ((size_t)(q - p) == strlen(name) && !strncmp(p, name, (size_t)(q - p)))
			return true;
		p = q + 1;
	}
	return false;
}

static bool known_host_ok(const char *kh, const char *name, const char *key, size_t keylen)
{
	const char *line = kh;
	bool ok = false;
	while (*line && !ok) {
		const char *eol = line + strcspn(line, "\n");
		char *l = xstrndup(line, (size_t)(eol - line));
		char *save = NULL;
		char *f1 = strtok_r(l, " \t\r", &save);
		if (f1 && f1[0] == '@')
			f1 = NULL; /* @cert-authority / @revoked: not supported, skipped */
		char *f2 = f1 ? strtok_r(NULL, " \t\r", &save) : NULL;
		char *f3 = f2 ? strtok_r(NULL, " \t\r", &save) : NULL;
		if (f1 && f1[0] != '#' && f3 && kh_host_match(f1, strlen(f1), name)) {
			size_t bl;
			unsigned char *blob = b64dec(f3, strlen(f3), &bl);
			ok = blob && bl == keylen && !memcmp(blob, key, keylen);
			free(blob);
		}
		free(l);
		line = *eol ? eol + 1 : eol;
	}
	return ok;
}

static int verify_x509(fctx *c, const git_cert_x509 *x, const char *host)
{
	const unsigned char *p = x->data;
	X509 *cert = d2i_X509(NULL, &p, (long)x->len);
	BIO *bio = BIO_new_mem_buf(c->o->auth.ca_pem, -1);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = 0, n = 0;
	if (cert && bio && store && ctx) {
		X509 *ca;
		while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
			X509_STORE_add_cert(store, ca);
			X509_free(ca);
			n++;
		}
		if (n > 0 && X509_STORE_CTX_init(ctx, store, cert, NULL) == 1) {
			X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
			if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1)
				X509_VERIFY_PARAM_set1_host(vp, host, 0);
			ok = X509_verify_cert(ctx) == 1;
			if (!ok)
				snprintf(c->why, sizeof c->why, "x509: %s",
					X509_verify_cert_error_string(
						X509_STORE_CTX_get_error(ctx)));
		} else if (n == 0) {
			snprintf(c->why, sizeof c->why, "no certificate found in ca.crt");
		}
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	BIO_free(bio);
	X509_free(cert);
	return ok ? 0 : -1;
}

static int cb_cert(git_cert *cert, int valid, const char *host, void *payload)
{
	fctx *c = payload;
	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
		const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
		const char *kh = c->o->auth.known_hosts;
		if (!set(kh)) {
			c->hostkey_bad = true;
			snprintf(c->why, sizeof c->why, "no known_hosts given for '%s'", c->host);
			return -1;
		}
		if (!(hk->type & GIT_CERT_SSH_RAW)) {
			c->hostkey_bad = true;
			snprintf(c->why, sizeof c->why, "host key of '%s' not available", c->host);
			return -1;
		}
		char name[300];
		if (c->port && c->port != 22)
			snprintf(name, sizeof name, "[%s]:%d", c->host, c->port);
		else
			snprintf(name, sizeof name, "%s", c->host);
		if (known_host_ok(kh, name, hk->hostkey, hk->hostkey_len))
			return 0;
		c->hostkey_bad = true;
		snprintf(c->why, sizeof c->why,
			"ssh: handshake failed: knownhosts: key mismatch or unknown host key "
			"for '%s'", name);
		return -1;
	}
	if (valid)
		return 0;
	/* X.509 only reaches here from libgit2's own HTTPS transport, which git_http.c replaces
	 * (libcurl verifies there); kept for a process that unregisters it. */
	if (cert->cert_type == GIT_CERT_X509 && set(c->o->auth.ca_pem)) {
		if (verify_x509(c, (const git_cert_x509 *)cert, host) == 0)
			return 0;
		c->cert_bad = true;
		return -1;
	}
	c->cert_bad = true;
	snprintf(c->why, sizeof c->why, "x509: certificate signed by unknown authority");
	return -1;
}

/* ---------------------------------------------------------------- errors */

static int fail_git(fctx *c, err *e, const char *what, const char *url)
{
	char *ru = gitx_redact_url(url);
	const git_error *ge = git_error_last();
	const char *gm = ge && ge->message ? ge->message : "unknown error";
	if (c->net.timed_out)
		c->timed_out = true;
	if (c->timed_out)
		err_fail(e, "GitOperationFailed",
			"%s '%s': context deadline exceeded (timeout %llds)", what, ru,
			(long long)(c->o->timeout_ms / 1000));
	else if (c->too_big)
		err_fail(e, "GitOperationFailed",
			"%s '%s': repository size exceeds the limit of %llu bytes", what, ru,
			(unsigned long long)c->o->max_bytes);
	else if (c->hostkey_bad || c->cert_bad)
		err_fail(e, "GitOperationFailed", "%s '%s': %s", what, ru, c->why);
	else if (c->net.tls_failed)
		err_fail(e, "GitOperationFailed", "%s '%s': %s", what, ru, c->net.why);
	else if (c->auth_failed || (ge && ge->klass == GIT_ERROR_HTTP &&
		 (strstr(gm, "401") || strstr(gm, "403") || strstr(gm, "authentication"))) ||
		 (ge && ge->klass == GIT_ERROR_SSH && strstr(gm, "uthentication")))
		err_fail(e, "AuthenticationFailed", "%s '%s': authentication required", what, ru);
	else if (c->why[0])
		err_fail(e, "GitOperationFailed", "%s '%s': %s", what, ru, c->why);
	else
		err_fail(e, "GitOperationFailed", "%s '%s': %s", what, ru, gm);
	free(ru);
	return -1;
}

static void parse_host(const char *url, char *host, size_t hn, int *port)
{
	host[0] = 0;
	*port = 0;
	const char *s = strstr(url, "://");
	if (!s)
		return;
	s += 3;
	const char *end = s + strcspn(s, "/?#");
	for (const char *p = s; p < end; p++)
		if (*p == '@')
			s = p + 1;
	const char *colon = NULL;
	if (*s == '[') {
		const char *rb = memchr(s, ']', (size_t)(end - s));
		if (rb) {
			snprintf(host, hn, "%.*s", (int)(rb - s - 1), s + 1);
			colon = rb[1] == ':' ? rb + 1 : NULL;
		}
	} else {
		colon = memchr(s, ':', (size_t)(end - s));
		snprintf(host, hn, "%.*s", (int)((colon ? colon : end) - s), s);
	}
	if (colon)
		*port = (int)strtol(colon + 1, NULL, 10);
}

/* ---------------------------------------------------------------- the SSH probe */

/* libgit2 1.5's SSH transport (libssh2) has no timeout. Before it connects, this probe opens
 * a TCP connection to the server and waits, within the deadline, for the SSH identification
 * line ("SSH-..."): a server that accepts and never speaks fails here with the deadline. */
static int ssh_probe(fctx *c, err *e)
{
	char port[16];
	snprintf(port, sizeof port, "%d", c->port ? c->port : 22);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	if (getaddrinfo(c->host, port, &hints, &ai) != 0 || !ai) {
		if (ai)
			freeaddrinfo(ai);
		return 0; /* let libgit2 report the resolution failure */
	}
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		ai->ai_protocol);
	int rc = 0;
	if (fd < 0)
		goto out;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		goto out; /* refused and the like: libgit2 says so */
	char line[256];
	size_t got = 0;
	bool connected = false;
	for (;;) {
		int64_t left = c->deadline - clock_mono_ms();
		if (left <= 0) {
			c->timed_out = true;
			rc = -1;
			break;
		}
		struct pollfd pf = {.fd = fd, .events = connected ? POLLIN : POLLOUT};
		int pr = poll(&pf, 1, left > 1000 ? 1000 : (int)left);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			continue;
		if (!connected) {
			int so = 0;
			socklen_t sl = sizeof so;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) < 0 || so != 0)
				break;
			connected = true;
			continue;
		}
		ssize_t n = read(fd, line + got, sizeof line - 1 - got);
		if (n <= 0)
			break; /* closed or failed: libgit2 reports it */
		got += (size_t)n;
		if (memchr(line, '\n', got) || got >= sizeof line - 1)
			break; /* it speaks */
	}
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	if (rc < 0)
		fail_git(c, e, "unable to clone", c->o->url);
	return rc;
}

/* ---------------------------------------------------------------- checkout */

typedef struct want {
	char refname[400];    /* remote ref to fetch ("" = all branches and tags) */
	char short_ref[400];  /* for the revision string */
	git_oid oid;          /* expected commit (peeled) */
	git_oid tag_oid;      /* annotated tag object */
	bool have_oid, have_tag;
} want;

static const git_remote_head *find_head(const git_remote_head **h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(h[i]->name, name))
			return h[i];
	return NULL;
}

static void want_from_ref(want *w, const git_remote_head **h, size_t n, const char *name)
{
	const git_remote_head *rh = find_head(h, n, name);
	char peeled[420];
	snprintf(peeled, sizeof peeled, "%s^{}", name);
	const git_remote_head *ph = find_head(h, n, peeled);
	if (ph) {
		git_oid_cpy(&w->tag_oid, &rh->oid);
		w->have_tag = true;
		git_oid_cpy(&w->oid, &ph->oid);
	} else {
		git_oid_cpy(&w->oid, &rh->oid);
	}
	w->have_oid = true;
}

static int resolve(fctx *c, const gitx_opts *o, git_remote *remote, want *w, err *e)
{
	const git_remote_head **h;
	size_t n;
	char *ru = gitx_redact_url(o->url);
	int rc = -1;
	if (git_remote_ls(&h, &n, remote) < 0) {
		free(ru);
		return fail_git(c, e, "unable to list remote for", o->url);
	}
	if (n == 0) {
		free(ru);
		return err_fail(e, "EmptyGitRepository", "git repository is empty");
	}
	const gitx_ref *r = &o->ref;
	if (set(r->name)) {
		if (!find_head(h, n, r->name)) {
			err_fail(e, "GitOperationFailed",
				"unable to clone '%s': couldn't find remote ref \"%s\"", ru,
				r->name);
			goto out;
		}
		snprintf(w->refname, sizeof w->refname, "%s", r->name);
		snprintf(w->short_ref, sizeof w->short_ref, "%s", r->name);
		want_from_ref(w, h, n, r->name);
	} else if (set(r->tag)) {
		char name[400];
		snprintf(name, sizeof name, "refs/tags/%s", r->tag);
		if (!find_head(h, n, name)) {
			err_fail(e, "GitOperationFailed",
				"unable to clone '%s': couldn't find remote ref \"%s\"", ru, name);
			goto out;
		}
		snprintf(w->refname, sizeof w->refname, "%s", name);
		snprintf(w->short_ref, sizeof w->short_ref, "%s", r->tag);
		want_from_ref(w, h, n, name);
	} else if (set(r->semver)) {
		semver_range *sr = semver_range_parse(r->semver, e);
		if (!sr) {
			err_prefix(e, "semver parse error");
			goto out;
		}
		semver best = {0};
		const char *best_name = NULL;
		for (size_t i = 0; i < n; i++) {
			const char *nm = h[i]->name;
			if (strncmp(nm, "refs/tags/", 10) || strstr(nm, "^{}"))
				continue;
			semver v;
			if (semver_parse(nm + 10, &v, NULL) < 0 || !semver_range_match(sr, &v))
				continue;
			if (!best_name || semver_cmp(&v, &best) > 0) {
				best = v;
				best_name = nm;
			}
		}
		semver_range_free(sr);
		if (!best_name) {
			err_fail(e, "GitOperationFailed", "no match found for semver: %s",
				r->semver);
			goto out;
		}
		snprintf(w->refname, sizeof w->refname, "%s", best_name);
		snprintf(w->short_ref, sizeof w->short_ref, "%s", best_name + 10);
		want_from_ref(w, h, n, best_name);
	} else {
		const char *b = set(r->branch) ? r->branch : "master";
		char name[400];
		snprintf(name, sizeof name, "refs/heads/%s", b);
		if (!find_head(h, n, name)) {
			err_fail(e, "GitOperationFailed",
				"unable to clone '%s': couldn't find remote ref \"%s\"", ru, name);
			goto out;
		}
		snprintf(w->refname, sizeof w->refname, "%s", name);
		snprintf(w->short_ref, sizeof w->short_ref, "%s", b);
		want_from_ref(w, h, n, name);
		if (set(r->commit)) { /* branch + commit: the branch must contain the commit */
			w->have_oid = false;
			w->have_tag = false;
		}
	}
	rc = 0;
out:
	free(ru);
	return rc;
}

static void fill_callbacks(git_remote_callbacks *cb, fctx *c)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = cb_cred;
	cb->certificate_check = cb_cert;
	cb->transfer_progress = cb_transfer;
	cb->sideband_progress = cb_sideband;
	cb->payload = c;
}

typedef struct smctx {
	fctx *c;
	const char *bearer_hdr;
	int failed;
	char msg[512];
} smctx;

static int submodule_cb(git_submodule *sm, const char *name, void *payload)
{
	smctx *s = payload;
	git_submodule_update_options uo;
	git_submodule_update_options_init(&uo, GIT_SUBMODULE_UPDATE_OPTIONS_VERSION);
	fill_callbacks(&uo.fetch_opts.callbacks, s->c);
	char *hdrs[1] = {(char *)s->bearer_hdr};
	if (s->bearer_hdr) {
		uo.fetch_opts.custom_headers.strings = hdrs;
		uo.fetch_opts.custom_headers.count = 1;
	}
	uo.checkout_opts.checkout_strategy = GIT_CHECKOUT_FORCE;
	s->c->key_calls = s->c->userpass_calls = s->c->user_calls = 0;
	if (git_submodule_update(sm, 1, &uo) < 0) {
		const git_error *ge = git_error_last();
		snprintf(s->msg, sizeof s->msg, "failed to update submodule '%s': %s", name,
			ge ? ge->message : "unknown error");
		s->failed = 1;
		return -1;
	}
	/* nested submodules */
	git_repository *sub = NULL;
	if (git_submodule_open(&sub, sm) == 0) {
		int rc = git_submodule_foreach(sub, submodule_cb, s);
		git_repository_free(sub);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int gitx_checkout(const gitx_opts *o, const char *dir, gitx_result *res, err *e)
{
	memset(res, 0, sizeof *res);
	gitx_global_init();
	if (!set(o->url) || (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8) &&
	    strncmp(o->url, "ssh://", 6)))
		return err_set(e, ERR_STALLING, "URLInvalid",
			"git URL scheme must be http, https or ssh");
	if (set(o->auth.cert_pem) != set(o->auth.key_pem))
		return err_set(e, ERR_STALLING, "AuthenticationFailed",
			"failed to configure authentication options: the TLS client certificate "
			"needs both tls.crt and tls.key");
	fctx c = {.o = o};
	if (o->timeout_ms > 0)
		c.deadline = clock_mono_ms() + o->timeout_ms;
	c.net.ca_pem = o->auth.ca_pem;
	c.net.cert_pem = o->auth.cert_pem;
	c.net.key_pem = o->auth.key_pem;
	c.net.proxy = o->proxy.url;
	c.net.proxy_user = o->proxy.username;
	c.net.proxy_pass = o->proxy.password;
	c.net.deadline_ms = c.deadline;
	c.net.timeout_ms = o->timeout_ms;
	parse_host(o->url, c.host, sizeof c.host, &c.port);
	char *bearer = set(o->auth.bearer_token)
		? xasprintf("Authorization: Bearer %s", o->auth.bearer_token) : NULL;
	char *hdrs[1] = {bearer};
	git_strarray headers = {.strings = hdrs, .count = bearer ? 1 : 0};
	gitx_net_bind(&c.net);

	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_object *target = NULL;
	git_commit *commit = NULL;
	int rc = -1;
	want w;
	memset(&w, 0, sizeof w);
	const gitx_ref *r = &o->ref;
	bool commit_only = set(r->commit) && !set(r->branch);
	if (commit_only && (set(r->name) || set(r->tag) || set(r->semver)))
		commit_only = false;
	if (commit_only && o->last_revision && !strcmp(gitx_revision_hex(o->last_revision),
	    r->commit)) {
		res->unchanged = true;
		snprintf(res->revision, sizeof res->revision, "sha1:%s", r->commit);
		snprintf(res->commit, sizeof res->commit, "%s", r->commit);
		free(bearer);
		gitx_net_bind(NULL);
		return 0;
	}
	if (!strncmp(o->url, "ssh://", 6) && c.deadline && ssh_probe(&c, e) < 0)
		goto out;
	if (git_repository_init(&repo, dir, 0) < 0) {
		err_fail(e, "GitOperationFailed", "cannot create repository: %s",
			git_error_last() ? git_error_last()->message : "?");
		goto out;
	}
	/* An anonymous in-memory remote without insteadOf lookups: libgit2 1.5 leaks the pcre2
	 * match data of every config regex that does not match; submodules find the URL in
	 * remote.origin.url, set directly. */
	git_remote_create_options rco;
	git_remote_create_options_init(&rco, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	rco.repository = repo;
	rco.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (o->recurse_submodules) {
		git_config *cfg = NULL;
		if (git_repository_config(&cfg, repo) == 0)
			git_config_set_string(cfg, "remote.origin.url", o->url);
		git_config_free(cfg);
	}
	if (git_remote_create_with_opts(&remote, o->url, &rco) < 0) {
		err_set(e, ERR_STALLING, "URLInvalid", "invalid git URL: %s",
			git_error_last() ? git_error_last()->message : "?");
		goto out;
	}
	git_remote_callbacks cbs;
	fill_callbacks(&cbs, &c);
	if (!commit_only || set(r->name) || set(r->tag)) {
		if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &cbs, NULL, &headers) < 0) {
			fail_git(&c, e, "unable to clone", o->url);
			goto out;
		}
		if (resolve(&c, o, remote, &w, e) < 0)
			goto out;
		git_remote_disconnect(remote);
		if (w.have_oid) {
			char hex[41];
			git_oid_tostr(hex, sizeof hex, &w.oid);
			char rev[1024];
			snprintf(rev, sizeof rev, "%s@sha1:%s", w.short_ref, hex);
			if (o->last_revision && !strcmp(rev, o->last_revision)) {
				res->unchanged = true;
				snprintf(res->revision, sizeof res->revision, "%s", rev);
				snprintf(res->commit, sizeof res->commit, "%s", hex);
				if (w.have_tag)
					git_oid_tostr(res->tag_object, sizeof res->tag_object,
						&w.tag_oid);
				rc = 0;
				goto out;
			}
		}
	}
	/* fetch */
	git_fetch_options fo;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks = cbs;
	fo.custom_headers = headers;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	c.key_calls = c.userpass_calls = c.user_calls = 0;
	char spec1[2048], spec2[] = "+refs/tags/*:refs/tags/*";
	char *specs[2] = {spec1, spec2};
	git_strarray refspecs = {.strings = specs, .count = 1};
	if (w.refname[0]) {
		if (!strncmp(w.refname, "refs/heads/", 11))
			snprintf(spec1, sizeof spec1, "+%s:refs/remotes/origin/%s", w.refname,
				w.refname + 11);
		else if (!strncmp(w.refname, "refs/tags/", 10))
			snprintf(spec1, sizeof spec1, "+%s:%s", w.refname, w.refname);
		else
			snprintf(spec1, sizeof spec1, "+%s:refs/eddy/fetched", w.refname);
	} else {
		snprintf(spec1, sizeof spec1, "+refs/heads/*:refs/remotes/origin/*");
		refspecs.count = 2;
	}
	if (git_remote_fetch(remote, &refspecs, &fo, NULL) < 0) {
		fail_git(&c, e, "unable to clone", o->url);
		goto out;
	}
	if (check_limits(&c, 0) < 0) {
		fail_git(&c, e, "unable to clone", o->url);
		goto out;
	}
	git_oid oid;
	if (set(r->commit) && !set(r->name) && !set(r->tag) && !set(r->semver)) {
		if (git_revparse_single(&target, repo, r->commit) < 0 ||
		    git_object_peel((git_object **)&commit, target, GIT_OBJECT_COMMIT) < 0) {
			err_fail(e, "GitOperationFailed",
				"unable to resolve commit object for '%s': object not found",
				r->commit);
			goto out;
		}
		git_oid_cpy(&oid, git_commit_id(commit));
		if (set(r->branch)) { /* must be on the branch */
			git_object *tip = NULL;
			char rn[500];
			snprintf(rn, sizeof rn, "refs/remotes/origin/%s", r->branch);
			bool ok = false;
			if (git_revparse_single(&tip, repo, rn) == 0) {
				const git_oid *t = git_object_id(tip);
				ok = git_oid_equal(t, &oid) ||
					git_graph_descendant_of(repo, t, &oid) == 1;
				git_object_free(tip);
			}
			if (!ok) {
				err_fail(e, "GitOperationFailed",
					"unable to resolve commit object for '%s': not found on "
					"branch '%s'", r->commit, r->branch);
				goto out;
			}
			snprintf(w.short_ref, sizeof w.short_ref, "%s", r->branch);
		}
	} else {
		git_oid_cpy(&oid, &w.oid);
		if (git_commit_lookup(&commit, repo, &oid) < 0) {
			err_fail(e, "GitOperationFailed", "unable to resolve commit of ref '%s'",
				w.refname);
			goto out;
		}
	}
	git_checkout_options co;
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	char **paths = NULL;
	if (o->nsparse) {
		paths = xcalloc(o->nsparse, sizeof *paths);
		for (size_t i = 0; i < o->nsparse; i++) {
			const char *p = o->sparse[i];
			while (p[0] == '.' && p[1] == '/')
				p += 2;
			size_t l = strlen(p);
			while (l > 0 && p[l - 1] == '/')
				l--;
			paths[i] = xasprintf("%.*s/", (int)l, p);
		}
		co.paths.strings = paths;
		co.paths.count = o->nsparse;
	}
	int crc = git_checkout_tree(repo, (git_object *)commit, &co);
	if (paths) {
		for (size_t i = 0; i < o->nsparse; i++)
			free(paths[i]);
		free(paths);
	}
	if (crc < 0 || git_repository_set_head_detached(repo, &oid) < 0) {
		err_fail(e, "GitOperationFailed", "checkout failed: %s",
			git_error_last() ? git_error_last()->message : "?");
		goto out;
	}
	if (o->recurse_submodules) {
		smctx s = {.c = &c, .bearer_hdr = bearer};
		if (git_submodule_foreach(repo, submodule_cb, &s) < 0) {
			if (c.timed_out || c.too_big || c.hostkey_bad || c.auth_failed)
				fail_git(&c, e, "unable to clone submodules of", o->url);
			else
				err_fail(e, "GitOperationFailed", "%s", s.msg[0] ? s.msg :
					"submodule update failed");
			goto out;
		}
	}
	git_oid_tostr(res->commit, sizeof res->commit, &oid);
	if (w.have_tag)
		git_oid_tostr(res->tag_object, sizeof res->tag_object, &w.tag_oid);
	if (w.short_ref[0])
		snprintf(res->revision, sizeof res->revision, "%s@sha1:%s", w.short_ref,
			res->commit);
	else
		snprintf(res->revision, sizeof res->revision, "sha1:%s", res->commit);
	res->message = xstrdup(git_commit_message(commit) ? git_commit_message(commit) : "");
	rc = 0;
out:
	git_commit_free(commit);
	git_object_free(target);
	git_remote_free(remote);
	git_repository_free(repo);
	free(bearer);
	gitx_net_bind(NULL);
	return rc;
}

/* ---------------------------------------------------------------- verification */

static int write_file(const char *path, const char *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, data + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	return close(fd);
}

/* Run argv (found on PATH) with stdin from in_path (or /dev/null); stdout+stderr into out
 * (capped), through the file out_path. Returns the exit status or -1. */
static int run_cmd(const char *const *argv, const char *in_path, const char *out_path, buf *out)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addopen(&fa, 0, in_path ? in_path : "/dev/null", O_RDONLY, 0);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (out) {
		FILE *f = fopen(out_path, "r");
		if (f) {
			char tmp[4096];
			size_t k;
			while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
				if (buf_add(out, tmp, k) < 0)
					break;
			fclose(f);
		}
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run gpg with args; stdout+stderr into out (capped). Returns the exit status or -1. */
static int run_gpg(const char *home, const char *const *args, buf *out)
{
	char outp[600];
	snprintf(outp, sizeof outp, "%s/out", home);
	const char *argv[16];
	size_t n = 0;
	argv[n++] = "gpg";
	argv[n++] = "--batch";
	argv[n++] = "--no-tty";
	argv[n++] = "--no-autostart";
	argv[n++] = "--homedir";
	argv[n++] = home;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return run_cmd(argv, NULL, outp, out);
}

#define SSH_SIG_BEGIN "-----BEGIN SSH SIGNATURE-----"

/* Verify an SSH signature (git's "git" namespace) over data against the allowed signers file
 * written from the *.sshpub keys; on success *fpr gets the key's SHA256 fingerprint. */
static int ssh_verify(const char *home, const char *sig, size_t sl, const char *data, size_t dl,
	char *fpr, size_t fn)
{
	char sp[600], dp[600], ap[600], op[600];
	snprintf(sp, sizeof sp, "%s/ssh.sig", home);
	snprintf(dp, sizeof dp, "%s/ssh.data", home);
	snprintf(ap, sizeof ap, "%s/allowed_signers", home);
	snprintf(op, sizeof op, "%s/ssh.out", home);
	if (write_file(sp, sig, sl) < 0 || write_file(dp, data, dl) < 0)
		return -1;
	buf out;
	buf_init(&out, 1 << 16);
	const char *find[] = {"ssh-keygen", "-Y", "find-principals", "-s", sp, "-f", ap, NULL};
	int rc = run_cmd(find, NULL, op, &out);
	char principal[64] = "";
	if (rc == 0) {
		const char *p = buf_str(&out);
		size_t l = strcspn(p, "\n");
		if (l > 0 && l < sizeof principal && !strncmp(p, "key", 3))
			snprintf(principal, sizeof principal, "%.*s", (int)l, p);
	}
	int ok = -1;
	if (principal[0]) {
		buf_reset(&out);
		const char *verify[] = {"ssh-keygen", "-Y", "verify", "-f", ap, "-I", principal,
			"-n", "git", "-s", sp, NULL};
		rc = run_cmd(verify, dp, op, &out);
		const char *g = strstr(buf_str(&out), "Good \"git\" signature");
		const char *k = g ? strstr(g, " key SHA256:") : NULL;
		if (rc == 0 && k) {
			k += 5;
			size_t l = strcspn(k, " \n");
			snprintf(fpr, fn, "%.*s", (int)(l < 64 ? l : 64), k);
			ok = 0;
		}
	}
	buf_release(&out);
	return ok;
}

/* The allowed signers file: one principal "key<N>" per public key line of the *.sshpub
 * values, restricted to the "git" namespace. */
static int write_allowed_signers(const char *home, const char *const *keys, size_t nk)
{
	buf a;
	buf_init(&a, 4 << 20);
	size_t n = 0;
	for (size_t i = 0; i < nk; i++) {
		const char *line = keys[i];
		while (*line) {
			size_t l = strcspn(line, "\r\n");
			while (l > 0 && (*line == ' ' || *line == '\t')) {
				line++;
				l--;
			}
			if (l > 0 && *line != '#' && !memchr(line, '"', l))
				buf_addf(&a, "key%zu namespaces=\"git\" %.*s\n", n++, (int)l, line);
			line += l;
			while (*line == '\r' || *line == '\n')
				line++;
		}
	}
	char ap[600];
	snprintf(ap, sizeof ap, "%s/allowed_signers", home);
	int rc = n > 0 && write_file(ap, a.data, a.len) == 0 ? 0 : -1;
	buf_release(&a);
	return rc;
}

/* sig over data: SSH or PGP by the signature's armor. */
static int sig_verify(const char *home, bool have_ssh, const char *sig, size_t sl,
	const char *data, size_t dl, char *fpr, size_t fn);

/* Verify sig over data with the imported keys; on success *fpr gets the key fingerprint. */
static int gpg_verify(const char *home, const char *sig, size_t sl, const char *data, size_t dl,
	char *fpr, size_t fn)
{
	char sp[600], dp[600];
	snprintf(sp, sizeof sp, "%s/sig", home);
	snprintf(dp, sizeof dp, "%s/data", home);
	if (write_file(sp, sig, sl) < 0 || write_file(dp, data, dl) < 0)
		return -1;
	buf out;
	buf_init(&out, 1 << 16);
	const char *args[] = {"--status-fd", "1", "--verify", sp, dp, NULL};
	int rc = run_gpg(home, args, &out);
	const char *v = strstr(buf_str(&out), "[GNUPG:] VALIDSIG ");
	int ok = rc == 0 && v ? 0 : -1;
	if (ok == 0) {
		v += 18;
		size_t l = strcspn(v, " \n");
		snprintf(fpr, fn, "%.*s", (int)(l < 64 ? l : 64), v);
	}
	buf_release(&out);
	return ok;
}

static int sig_verify(const char *home, bool have_ssh, const char *sig, size_t sl,
	const char *data, size_t dl, char *fpr, size_t fn)
{
	if (sl >= strlen(SSH_SIG_BEGIN) && !memcmp(sig, SSH_SIG_BEGIN, strlen(SSH_SIG_BEGIN)))
		return have_ssh ? ssh_verify(home, sig, sl, data, dl, fpr, fn) : -1;
	return gpg_verify(home, sig, sl, data, dl, fpr, fn);
}

static void rm_rf(const char *d)
{
	const char *slash = strrchr(d, '/');
	char *parent = xstrndup(d, (size_t)(slash - d));
	art_remove_dir(parent, slash + 1, NULL);
	free(parent);
}

int gitx_verify(const char *dir, const gitx_result *r, const char *mode,
	const char *const *keys, size_t nkeys, const char *const *ssh_keys, size_t nssh,
	char **out_msg, err *e)
{
	*out_msg = NULL;
	gitx_global_init();
	bool head = !mode || !*mode || !strcmp(mode, "HEAD") || !strcmp(mode, "head") ||
		!strcmp(mode, "TagAndHEAD");
	bool tag = mode && (!strcmp(mode, "Tag") || !strcmp(mode, "TagAndHEAD"));
	if (!head && !tag)
		return err_set(e, ERR_STALLING, "VerificationError",
			"invalid verification mode '%s'", mode);
	if (nkeys == 0 && nssh == 0)
		return err_set(e, ERR_GENERIC, "VerificationError",
			"no PGP (*.asc) or SSH (*.sshpub) public keys found in the verification "
			"secret");
	if (tag && !r->tag_object[0])
		return err_set(e, ERR_STALLING, "InvalidVerificationMode",
			"cannot verify tag object's signature if a tag reference is not specified");
	char home[] = "/tmp/eddy-gpg-XXXXXX";
	if (!mkdtemp(home))
		return err_fail(e, "VerificationError", "cannot create a GnuPG home: %s",
			strerror(errno));
	git_repository *repo = NULL;
	int rc = -1;
	buf msg;
	buf_init(&msg, 4096);
	for (size_t i = 0; i < nkeys; i++) {
		char kp[600];
		snprintf(kp, sizeof kp, "%s/key%zu.asc", home, i);
		const char *args[] = {"--import", kp, NULL};
		if (write_file(kp, keys[i], strlen(keys[i])) < 0 ||
		    run_gpg(home, args, NULL) != 0) {
			err_fail(e, "VerificationError", "unable to read PGP key number %zu",
				i + 1);
			goto out;
		}
	}
	bool have_ssh = nssh > 0 && write_allowed_signers(home, ssh_keys, nssh) == 0;
	if (git_repository_open(&repo, dir) < 0) {
		err_fail(e, "VerificationError", "cannot open the checkout");
		goto out;
	}
	buf_adds(&msg, "verified signature of");
	if (tag) {
		git_oid toid;
		git_odb *odb = NULL;
		git_odb_object *obj = NULL;
		const char *tname = r->revision;
		size_t tl = strcspn(tname, "@");
		if (git_oid_fromstr(&toid, r->tag_object) < 0 ||
		    git_repository_odb(&odb, repo) < 0 || git_odb_read(&obj, odb, &toid) < 0) {
			git_odb_free(odb);
			err_fail(e, "InvalidTagSignature", "unable to read tag object '%.*s'",
				(int)tl, tname);
			goto out;
		}
		const char *data = git_odb_object_data(obj);
		size_t dl = git_odb_object_size(obj);
		const char *s = memmem(data, dl, "-----BEGIN PGP SIGNATURE-----", 29);
		if (!s)
			s = memmem(data, dl, SSH_SIG_BEGIN, strlen(SSH_SIG_BEGIN));
		char fpr[80];
		int ok = s ? sig_verify(home, have_ssh, s, dl - (size_t)(s - data), data,
			(size_t)(s - data), fpr, sizeof fpr) : -1;
		git_odb_object_free(obj);
		git_odb_free(odb);
		if (!s) { /* Flux: the upstream tag may change, so not stalling */
			err_set(e, ERR_GENERIC, "InvalidGitObject",
				"cannot verify signature of tag '%.*s' since it is not signed",
				(int)tl, tname);
			goto out;
		}
		if (ok < 0) {
			err_set(e, ERR_GENERIC, "InvalidTagSignature",
				"signature verification of tag '%.*s' failed: unable to verify "
				"payload with any of the given key rings", (int)tl, tname);
			goto out;
		}
		buf_addf(&msg, "\n\t- tag '%.*s' with key '%s'", (int)tl, tname, fpr);
	}
	if (head) {
		git_oid oid;
		git_buf sig = {0}, data = {0};
		git_oid_fromstr(&oid, r->commit);
		int has = git_commit_extract_signature(&sig, &data, repo, &oid, NULL);
		char fpr[80];
		int ok = has == 0 ? sig_verify(home, have_ssh, sig.ptr, sig.size, data.ptr,
			data.size, fpr, sizeof fpr) : -1;
		git_buf_dispose(&sig);
		git_buf_dispose(&data);
		if (ok < 0) {
			err_set(e, ERR_GENERIC, "InvalidCommitSignature",
				"signature verification of commit '%s' failed: %s", r->commit,
				has == 0
				? "unable to verify payload with any of the given key rings"
				: "commit is not signed");
			goto out;
		}
		buf_addf(&msg, "\n\t- commit '%s' with key '%s'", r->commit, fpr);
	}
	*out_msg = buf_detach(&msg, NULL);
	rc = 0;
out:
	buf_release(&msg);
	git_repository_free(repo);
	rm_rf(home);
	return rc;
}
