/* kube: the client's lifecycle, its shared connections, rate limit and token
 * (eddy/kube.h). */
#include "kube_internal.h"
#include "eddy/mem.h"
#include "eddy/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ client lifecycle */

kube_client *kube_client_new(const kube_config *c, err *e)
{
	if (!c || !c->server) {
		err_fail(e, "KubeConfigInvalid", "no API server configured");
		return NULL;
	}
	kube_client *k = xcalloc(1, sizeof *k);
	kube_config_copy(&k->cfg, c);
	if (k->cfg.qps <= 0)
		k->cfg.qps = 50;
	if (k->cfg.burst <= 0)
		k->cfg.burst = 300;
	if (k->cfg.timeout_ms <= 0)
		k->cfg.timeout_ms = 30000;
	if (!k->cfg.user_agent)
		k->cfg.user_agent = xstrdup("eddy");
	if (!k->cfg.namespace_)
		k->cfg.namespace_ = xstrdup("default");
	pthread_mutex_init(&k->mu, NULL);
	/* The TLS material goes to the transport only when both halves are there, as before; a
	 * server URL the transport cannot use fails every request (as it did with libcurl). */
	h1_origin_opts ho = {.ca_pem = k->cfg.ca_pem, .insecure = k->cfg.insecure,
		.connect_timeout_ms = 10000};
	if (k->cfg.cert_pem && k->cfg.key_pem) {
		ho.cert_pem = k->cfg.cert_pem;
		ho.key_pem = k->cfg.key_pem;
	}
	err ue = {0};
	k->conn = h1_origin_new(k->cfg.server, &ho, &ue);
	if (!k->conn)
		snprintf(k->conn_error, sizeof k->conn_error, "%s", ue.msg);
	k->tokens = k->cfg.burst;
	k->bucket_ms = clock_mono_ms();
	return k;
}

kube_client *kube_client_impersonate(const kube_client *base, const char *user,
	const char *const *groups, err *e)
{
	kube_config c;
	kube_config_copy(&c, &base->cfg);
	free(c.impersonate_user);
	c.impersonate_user = user ? xstrdup(user) : NULL;
	if (c.impersonate_groups) {
		for (char **p = c.impersonate_groups; *p; p++)
			free(*p);
		free(c.impersonate_groups);
		c.impersonate_groups = NULL;
	}
	if (groups) {
		size_t n = 0;
		while (groups[n])
			n++;
		c.impersonate_groups = xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			c.impersonate_groups[i] = xstrdup(groups[i]);
	}
	kube_client *k = kube_client_new(&c, e);
	kube_config_release(&c);
	return k;
}

void kube_client_free(kube_client *k)
{
	if (!k)
		return;
	h1_origin_free(k->conn);
	pthread_mutex_destroy(&k->mu);
	for (size_t i = 0; i < k->ngv; i++) {
		for (size_t j = 0; j < k->gvs[i].n; j++)
			kube_resource_release(&k->gvs[i].res[j]);
		free(k->gvs[i].res);
		free(k->gvs[i].gv);
	}
	free(k->gvs);
	for (size_t i = 0; i < EVENT_CACHE; i++) {
		free(k->events[i].key);
		free(k->events[i].ns);
		free(k->events[i].name);
	}
	if (k->token)
		memset(k->token, 0, strlen(k->token));
	free(k->token);
	kube_config_release(&k->cfg);
	free(k);
}

const kube_config *kube_client_config(const kube_client *k)
{
	return &k->cfg;
}

char *kube_sa_username(const char *ns, const char *name)
{
	return xasprintf("system:serviceaccount:%s:%s", ns, name);
}

/* ------------------------------------------------------------------ rate limit and token */

void kube_rate_wait(kube_client *k)
{
	pthread_mutex_lock(&k->mu);
	int64_t now = clock_mono_ms();
	k->tokens += (double)(now - k->bucket_ms) * k->cfg.qps / 1000.0;
	if (k->tokens > k->cfg.burst)
		k->tokens = k->cfg.burst;
	k->bucket_ms = now;
	k->tokens -= 1; /* reserve, possibly going into debt like golang.org/x/time/rate */
	double debt = k->tokens < 0 ? -k->tokens : 0;
	pthread_mutex_unlock(&k->mu);
	if (debt > 0) {
		double s = debt / k->cfg.qps;
		struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

/* The bearer token to send (allocated) or NULL. */
char *kube_current_token(kube_client *k)
{
	if (k->cfg.token)
		return xstrdup(k->cfg.token);
	if (!k->cfg.token_file)
		return NULL;
	pthread_mutex_lock(&k->mu);
	int64_t now = clock_mono_ms();
	if (!k->token || now - k->token_read_ms > TOKEN_REREAD_MS) {
		FILE *f = fopen(k->cfg.token_file, "rb");
		if (f) {
			char tmp[16384];
			size_t n = fread(tmp, 1, sizeof tmp - 1, f);
			fclose(f);
			tmp[n] = '\0';
			while (n > 0 && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r' || tmp[n - 1] == ' '))
				tmp[--n] = '\0';
			free(k->token);
			k->token = xstrdup(tmp);
			memset(tmp, 0, sizeof tmp);
			k->token_read_ms = now;
		}
	}
	char *t = k->token ? xstrdup(k->token) : NULL;
	pthread_mutex_unlock(&k->mu);
	return t;
}
