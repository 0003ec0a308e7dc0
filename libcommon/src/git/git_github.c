/* git_github: GitHub App installation tokens for Git over HTTPS (see eddy/git.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy/buf.h"
#include "eddy/codec.h"
#include "eddy/git.h"
#include "eddy/http_curl.h"
#include "eddy/mem.h"
#include "git_int.h"

enum { RESP_MAX = 64 << 10, CACHE_SLOTS = 64 };

/* ---------------------------------------------------------------- the token cache */

typedef struct slot {
	unsigned char key[32];
	char *token;
	time_t valid_until; /* wall clock */
} slot;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static slot cache[CACHE_SLOTS];

static void cache_key(const gitx_github_app *a, unsigned char out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;
	const char *parts[4] = {a->app_id, a->installation_id, a->base_url, a->private_key};
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (int i = 0; i < 4; i++) {
		const char *p = parts[i] ? parts[i] : "";
		EVP_DigestUpdate(md, p, strlen(p) + 1);
	}
	EVP_DigestFinal_ex(md, out, &n);
	EVP_MD_CTX_free(md);
}

static char *cache_get(const unsigned char key[32])
{
	char *t = NULL;
	time_t now = time(NULL);
	pthread_mutex_lock(&cache_mu);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].token && !memcmp(cache[i].key, key, 32) && cache[i].valid_until > now)
			t = xstrdup(cache[i].token);
	pthread_mutex_unlock(&cache_mu);
	return t;
}

static void cache_put(const unsigned char key[32], const char *token, time_t until)
{
	pthread_mutex_lock(&cache_mu);
	int victim = 0;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (!cache[i].token || !memcmp(cache[i].key, key, 32)) {
			victim = i;
			break;
		}
		if (cache[i].valid_until < cache[victim].valid_until)
			victim = i;
	}
	free(cache[victim].token);
	memcpy(cache[victim].key, key, 32);
	cache[victim].token = xstrdup(token);
	cache[victim].valid_until = until;
	pthread_mutex_unlock(&cache_mu);
}

/* ---------------------------------------------------------------- the JWT */

static bool all_digits(const char *s)
{
	if (!s || !*s || strlen(s) > 19)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* RS256 JWT for the app; NULL with e filled on a bad key. */
static char *make_jwt(const gitx_github_app *a, err *e)
{
	BIO *bio = BIO_new_mem_buf(a->private_key, -1);
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!key || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
		EVP_PKEY_free(key);
		err_fail(e, "AuthenticationFailed", "could not parse private key: "
			"githubAppPrivateKey is not a PEM-encoded RSA private key");
		return NULL;
	}
	time_t iat = time(NULL) - 30;
	char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	char claims[128];
	snprintf(claims, sizeof claims, "{\"iat\":%lld,\"exp\":%lld,\"iss\":\"%s\"}",
		(long long)iat, (long long)iat + 120, a->app_id);
	buf jwt;
	buf_init(&jwt, 16 << 10);
	b64_encode_buf(&jwt, (const unsigned char *)header, strlen(header), B64_URL | B64_RAW);
	buf_addc(&jwt, '.');
	b64_encode_buf(&jwt, (const unsigned char *)claims, strlen(claims), B64_URL | B64_RAW);
	unsigned char sig[1024];
	size_t sl = sizeof sig;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		EVP_DigestSign(md, sig, &sl, (const unsigned char *)jwt.data, jwt.len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	if (!ok) {
		buf_release(&jwt);
		err_fail(e, "AuthenticationFailed", "could not sign the GitHub App JWT");
		return NULL;
	}
	buf_addc(&jwt, '.');
	b64_encode_buf(&jwt, sig, sl, B64_URL | B64_RAW);
	return buf_detach(&jwt, NULL);
}

/* ---------------------------------------------------------------- the exchange */

static time_t parse_time(const char *s)
{
	struct tm tm = {0};
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

int gitx_github_app_token(const gitx_github_app *a, const gitx_opts *o, char **token, err *e)
{
	*token = NULL;
	if (!a->app_id || !*a->app_id)
		return err_fail(e, "AuthenticationFailed",
			"app ID must be provided to use github app authentication");
	if (!all_digits(a->app_id))
		return err_fail(e, "AuthenticationFailed", "invalid app id, err: strconv.Atoi: "
			"parsing \"%.40s\": invalid syntax", a->app_id);
	if (!a->installation_id || !*a->installation_id)
		return err_fail(e, "AuthenticationFailed",
			"app installation ID must be provided to use github app authentication");
	if (!all_digits(a->installation_id))
		return err_fail(e, "AuthenticationFailed", "invalid app installation id, err: "
			"strconv.Atoi: parsing \"%.40s\": invalid syntax", a->installation_id);
	if (!a->private_key || !*a->private_key)
		return err_fail(e, "AuthenticationFailed",
			"private key must be provided to use github app authentication");
	unsigned char key[32];
	cache_key(a, key);
	if ((*token = cache_get(key)))
		return 0;
	if (http_curl_global_init(e) < 0) /* libcurl is loaded on first use */
		return -1;
	char *jwt = make_jwt(a, e);
	if (!jwt)
		return -1;
	const char *base = a->base_url && *a->base_url ? a->base_url : "https://api.github.com";
	size_t bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	char *url = xasprintf("%.*s/app/installations/%s/access_tokens", (int)bl, base,
		a->installation_id);
	char *authz = xasprintf("Authorization: Bearer %s", jwt);
	struct curl_slist *h = NULL;
	h = curl_slist_append(h, authz);
	h = curl_slist_append(h, "Accept: application/vnd.github.v3+json");
	buf body;
	buf_init(&body, RESP_MAX);
	char ebuf[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	int rc = -1;
	if (!c) {
		err_fail(e, "AuthenticationFailed", "cannot initialise libcurl");
		goto out;
	}
	bool mtls = o->auth.cert_pem && *o->auth.cert_pem && o->auth.key_pem && *o->auth.key_pem;
	bool proxy = o->proxy.url && *o->proxy.url;
	http_curl_opts hc = {
		.errbuf = ebuf,
		.user_agent = "eddy-source-controller",
		.timeout_ms = o->timeout_ms > 0 ? (uint64_t)o->timeout_ms : 60000,
		.ca_pem = o->auth.ca_pem && *o->auth.ca_pem ? o->auth.ca_pem : NULL,
		.cert_pem = mtls ? o->auth.cert_pem : NULL,
		.key_pem = mtls ? o->auth.key_pem : NULL,
		.proxy = proxy ? o->proxy.url : NULL,
		.proxy_no_exceptions = true,
		.proxy_user = o->proxy.username && *o->proxy.username ? o->proxy.username : NULL,
		.proxy_pass = o->proxy.password,
	};
	http_curl_setup(c, &hc);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_curl_sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	CURLcode cc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		err_fail(e, "AuthenticationFailed", "could not refresh installation id %s's token: "
			"%s", a->installation_id, ebuf[0] ? ebuf : curl_easy_strerror(cc));
		goto out;
	}
	if (status < 200 || status > 299) {
		err_fail(e, "AuthenticationFailed", "could not refresh installation id %s's token: "
			"received non 2xx response status %ld when fetching %s", a->installation_id,
			status, url);
		goto out;
	}
	cJSON *j = cJSON_ParseWithLength(buf_str(&body), body.len);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "token");
	if (!cJSON_IsString(t) || !*t->valuestring) {
		cJSON_Delete(j);
		err_fail(e, "AuthenticationFailed", "could not refresh installation id %s's token: "
			"no token in the response", a->installation_id);
		goto out;
	}
	*token = xstrdup(t->valuestring);
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(j, "expires_at");
	time_t until = parse_time(cJSON_IsString(ex) ? ex->valuestring : NULL);
	if (until > time(NULL) + 300)
		cache_put(key, *token, until - 300);
	cJSON_Delete(j);
	rc = 0;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	buf_release(&body);
	memset(jwt, 0, strlen(jwt));
	free(jwt);
	free(authz);
	free(url);
	return rc;
}
