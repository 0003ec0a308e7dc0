/* The shared libcurl set-up (see eddy/http_curl.h). */
#include "eddy/http_curl.h"

#include <pthread.h>
#include <string.h>

#include "http_internal.h"

int http_curl_global_init(err *e)
{
	httpi_ignore_sigpipe();
	return curldl_load(e); /* dlopen and curl_global_init, once */
}

static void blob(CURL *h, CURLoption opt, const char *pem)
{
	struct curl_blob b = {(void *)pem, strlen(pem), CURL_BLOB_COPY};
	curl_easy_setopt(h, opt, &b);
}

void http_curl_setup(CURL *h, const http_curl_opts *o)
{
	if (o->errbuf) {
		o->errbuf[0] = '\0';
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, o->errbuf);
	}
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (o->user_agent)
		curl_easy_setopt(h, CURLOPT_USERAGENT, o->user_agent);
	if (o->connect_timeout_ms)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
	if (o->timeout_ms)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	if (o->tcp_keepalive)
		curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (o->ca_pem)
		blob(h, CURLOPT_CAINFO_BLOB, o->ca_pem);
	else if (o->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	if (o->cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, o->cert_file);
	if (o->key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, o->key_file);
	if (o->cert_pem) {
		blob(h, CURLOPT_SSLCERT_BLOB, o->cert_pem);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (o->key_pem) {
		blob(h, CURLOPT_SSLKEY_BLOB, o->key_pem);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (o->insecure_skip_verify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->proxy) {
		curl_easy_setopt(h, CURLOPT_PROXY, o->proxy);
		if (o->proxy_no_exceptions)
			curl_easy_setopt(h, CURLOPT_NOPROXY, "");
		if (o->proxy_user) {
			curl_easy_setopt(h, CURLOPT_PROXYUSERNAME, o->proxy_user);
			curl_easy_setopt(h, CURLOPT_PROXYPASSWORD,
				o->proxy_pass ? o->proxy_pass : "");
		}
	} else if (o->no_proxy_env) {
		curl_easy_setopt(h, CURLOPT_PROXY, "");
	}
	if (o->basic_user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, o->basic_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, o->basic_pass ? o->basic_pass : "");
	}
}

size_t http_curl_sink(char *p, size_t size, size_t n, void *buf_ptr)
{
	size_t len = size * n;
	return buf_add(buf_ptr, p, len) < 0 ? 0 : len;
}
