/* h1: the blocking HTTP/1.1 client: connections, TLS, the pool, one request (eddy/h1.h). */
#include "eddy/h1.h"
#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/codec.h"
#include "eddy/mem.h"
#include "http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { POLL_SLICE_MS = 500, READ_CHUNK = 64 << 10 };

typedef struct conn {
	int fd;
	SSL *ssl;
	struct conn *next;
} conn;

struct h1_origin {
	char *prefix;   /* "scheme://authority" as written in the URL */
	char *host;     /* without brackets */
	char *port;
	char *authority; /* for the Host header */
	bool tls, insecure, host_is_ip;
	long connect_timeout_ms;
	int max_idle;
	SSL_CTX *ctx;
	char tls_error[H1_MSG_MAX]; /* set-up failure, reported by every call */
	/* a proxy from the environment, as libcurl reads it (NULL host: none) */
	char *proxy_host, *proxy_port, *proxy_auth; /* auth: "Basic <base64>" or NULL */
	char proxy_error[H1_MSG_MAX];
	pthread_mutex_t mu;
	conn *idle;
	int nidle;
	atomic_ulong connects;
};

#define now_ms clock_mono_ms

/* ------------------------------------------------------------------ origin and TLS set-up */

static const char *ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "unknown error";
}

static int load_ca(SSL_CTX *ctx, const char *pem, char *msg, size_t ml)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	int n = 0;
	X509 *x;
	while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (X509_STORE_add_cert(st, x) == 1)
			n++;
		X509_free(x);
	}
	BIO_free(b);
	ERR_clear_error();
	if (n == 0) {
		snprintf(msg, ml, "error setting certificate verify locations: no certificate in the "
				  "CA data");
		return -1;
	}
	return 0;
}

static int load_client(SSL_CTX *ctx, const char *cert, const char *key, char *msg, size_t ml)
{
	BIO *b = BIO_new_mem_buf(cert, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	if (!x || SSL_CTX_use_certificate(ctx, x) != 1) {
		snprintf(msg, ml, "could not load PEM client certificate, OpenSSL error %s",
			ossl_reason());
		X509_free(x);
		BIO_free(b);
		return -1;
	}
	X509_free(x);
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1)
			X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	b = BIO_new_mem_buf(key, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!k || SSL_CTX_use_PrivateKey(ctx, k) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(msg, ml, "unable to set private key file: OpenSSL error %s",
			ossl_reason());
		EVP_PKEY_free(k);
		return -1;
	}
	EVP_PKEY_free(k);
	return 0;
}

static void tls_setup(h1_origin *o, const h1_origin_opts *op)
{
	char *m = o->tls_error;
	size_t ml = sizeof o->tls_error;
	o->ctx = SSL_CTX_new(TLS_client_method());
	if (!o->ctx) {
		snprintf(m, ml, "cannot create a TLS context: %s", ossl_reason());
		return;
	}
	SSL_CTX_set_min_proto_version(o->ctx, TLS1_2_VERSION);
	SSL_CTX_set_session_cache_mode(o->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(o->ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(o->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(o->ctx, o->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	if (op->ca_pem && !o->insecure) {
		if (load_ca(o->ctx, op->ca_pem, m, ml) < 0)
			return;
	} else if (!o->insecure && SSL_CTX_set_default_verify_paths(o->ctx) != 1) {
		snprintf(m, ml, "error setting certificate verify locations: %s", ossl_reason());
		return;
	}
	if (op->cert_pem && op->key_pem && load_client(o->ctx, op->cert_pem, op->key_pem, m, ml) < 0)
		return;
	ERR_clear_error();
}

static void proxy_setup(h1_origin *o);

h1_origin *h1_origin_new(const char *url, const h1_origin_opts *op, err *e)
{
	static const h1_origin_opts none = {0};
	if (!op)
		op = &none;
	bool tls;
	const char *p;
	if (!strncasecmp(url, "https://", 8)) {
		tls = true;
		p = url + 8;
	} else if (!strncasecmp(url, "http://", 7)) {
		tls = false;
		p = url + 7;
	} else {
		err_fail(e, "InvalidRequest", "unsupported URL scheme (http and https only)");
		return NULL;
	}
	size_t alen = strcspn(p, "/?#");
	if (alen == 0 || memchr(p, '@', alen)) {
		err_fail(e, "InvalidRequest", "bad API server URL (no host, or userinfo)");
		return NULL;
	}
	char *auth = xstrndup(p, alen);
	char *host, *port = NULL;
	if (auth[0] == '[') {
		char *rb = strchr(auth, ']');
		if (!rb || (rb[1] && rb[1] != ':')) {
			free(auth);
			err_fail(e, "InvalidRequest", "bad IPv6 address in the API server URL");
			return NULL;
		}
		host = xstrndup(auth + 1, (size_t)(rb - auth - 1));
		if (rb[1] == ':')
			port = xstrdup(rb + 2);
	} else {
		char *c = strrchr(auth, ':');
		host = xstrndup(auth, c ? (size_t)(c - auth) : strlen(auth));
		if (c)
			port = xstrdup(c + 1);
	}
	if (!port || !*port) {
		free(port);
		port = xstrdup(tls ? "443" : "80");
	}
	h1_origin *o = xcalloc(1, sizeof *o);
	o->prefix = xstrndup(url, (size_t)(p - url) + alen);
	o->host = host;
	o->port = port;
	o->authority = auth;
	o->tls = tls;
	o->insecure = op->insecure;
	o->connect_timeout_ms = op->connect_timeout_ms > 0 ? op->connect_timeout_ms : 10000;
	o->max_idle = op->max_idle > 0 ? op->max_idle : 16;
	unsigned char a6[16];
	o->host_is_ip = inet_pton(AF_INET, host, a6) == 1 || inet_pton(AF_INET6, host, a6) == 1;
	pthread_mutex_init(&o->mu, NULL);
	httpi_ignore_sigpipe(); /* SSL_write writes to the socket with write(2) */
	if (tls)
		tls_setup(o, op);
	proxy_setup(o);
	return o;
}

/* ------------------------------------------------------------------ proxies */

static const char *env2(const char *a, const char *b)
{
	const char *v = a ? getenv(a) : NULL;
	if ((!v || !*v) && b)
		v = getenv(b);
	return v && *v ? v : NULL;
}

/* no_proxy as libcurl reads it: "*", or names and domain suffixes separated by commas or
 * spaces (a leading dot is ignored). */
static bool no_proxy_for(const char *host)
{
	const char *np = env2("no_proxy", "NO_PROXY");
	if (!np)
		return false;
	size_t hl = strlen(host);
	for (const char *p = np; *p;) {
		p += strspn(p, ", \t");
		size_t n = strcspn(p, ", \t");
		const char *ent = p;
		p += n;
		if (n == 1 && *ent == '*')
			return true;
		if (n && *ent == '.') {
			ent++;
			n--;
		}
		if (!n)
			continue;
		if (hl == n && !strncasecmp(host, ent, n))
			return true;
		if (hl > n && host[hl - n - 1] == '.' && !strncasecmp(host + hl - n, ent, n))
			return true;
	}
	return false;
}

/* The proxy libcurl would use for this origin: http_proxy (lower case only) for http,
 * https_proxy or HTTPS_PROXY for https, then all_proxy or ALL_PROXY; unless no_proxy names the
 * host. Only http:// proxies (CONNECT for https origins); others fail every call. */
static void proxy_setup(h1_origin *o)
{
	const char *v = o->tls ? env2("https_proxy", "HTTPS_PROXY") : env2("http_proxy", NULL);
	if (!v)
		v = env2("all_proxy", "ALL_PROXY");
	if (!v || no_proxy_for(o->host))
		return;
	const char *p = v;
	const char *sep = strstr(v, "://");
	if (sep) {
		if ((size_t)(sep - v) != 4 || strncasecmp(v, "http", 4)) {
			snprintf(o->proxy_error, sizeof o->proxy_error,
				"unsupported proxy scheme (only http:// proxies)");
			return;
		}
		p = sep + 3;
	}
	size_t alen = strcspn(p, "/?#");
	char *auth = xstrndup(p, alen);
	char *hp = auth, *at = strrchr(auth, '@');
	if (at) {
		*at = '\0';
		hp = at + 1;
		size_t ul = strlen(auth);
		char *b64 = b64_encode(auth, ul, B64_STD);
		o->proxy_auth = xasprintf("Basic %s", b64);
		memset(auth, 0, ul);
		memset(b64, 0, strlen(b64));
		free(b64);
	}
	char *c = hp[0] == '[' ? strchr(hp, ']') : hp;
	c = c ? strrchr(c, ':') : NULL;
	if (hp[0] == '[') {
		char *rb = strchr(hp, ']');
		o->proxy_host = rb ? xstrndup(hp + 1, (size_t)(rb - hp - 1)) : xstrdup(hp);
	} else {
		o->proxy_host = xstrndup(hp, c ? (size_t)(c - hp) : strlen(hp));
	}
	o->proxy_port = xstrdup(c && c[1] ? c + 1 : "1080");
	free(auth);
	if (!*o->proxy_host) {
		snprintf(o->proxy_error, sizeof o->proxy_error, "bad proxy URL in the environment");
		free(o->proxy_host);
		o->proxy_host = NULL;
	}
}

static void conn_close(conn *c)
{
	if (!c)
		return;
	if (c->ssl)
		SSL_free(c->ssl); /* no close_notify: the peer learns from the FIN */
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

void h1_origin_free(h1_origin *o)
{
	if (!o)
		return;
	while (o->idle) {
		conn *c = o->idle;
		o->idle = c->next;
		conn_close(c);
	}
	pthread_mutex_destroy(&o->mu);
	SSL_CTX_free(o->ctx);
	free(o->prefix);
	free(o->host);
	free(o->port);
	free(o->authority);
	free(o->proxy_host);
	free(o->proxy_port);
	if (o->proxy_auth)
		memset(o->proxy_auth, 0, strlen(o->proxy_auth));
	free(o->proxy_auth);
	free(o);
}

unsigned long h1_origin_connects(h1_origin *o)
{
	return atomic_load(&o->connects);
}

/* ------------------------------------------------------------------ waiting */

typedef struct call {
	h1_origin *o;
	const h1_req *r;
	int64_t deadline; /* 0: none */
	int64_t start;
	size_t received;  /* body and head bytes read, for the timeout message */
	char *msg;
	size_t ml;
} call;

static h1_rc timed_out(call *k)
{
	snprintf(k->msg, k->ml, "Operation timed out after %lld milliseconds with %zu bytes "
				"received", (long long)(now_ms() - k->start), k->received);
	return H1_ETIMEOUT;
}

/* Waits until fd is ready for ev (POLLIN/POLLOUT), polling the stop function. */
static h1_rc wait_fd(call *k, int fd, short ev, int64_t limit)
{
	for (;;) {
		int64_t now = now_ms();
		int64_t left = limit ? limit - now : POLL_SLICE_MS;
		if (limit && left <= 0)
			return H1_ETIMEOUT;
		int ms = left > POLL_SLICE_MS ? POLL_SLICE_MS : (int)left;
		struct pollfd pf = {.fd = fd, .events = ev};
		int n = poll(&pf, 1, ms);
		if (n < 0 && errno != EINTR) {
			snprintf(k->msg, k->ml, "poll: %s", strerror(errno));
			return H1_ECONNECT;
		}
		if (k->r->stop && k->r->stop(k->r->ud)) {
			snprintf(k->msg, k->ml, "stopped");
			return H1_ESTOPPED;
		}
		if (n > 0)
			return H1_OK;
	}
}

/* ------------------------------------------------------------------ connecting */

static h1_rc tcp_connect(call *k, int *out)
{
	h1_origin *o = k->o;
	const char *host = o->proxy_host ? o->proxy_host : o->host;
	const char *port = o->proxy_host ? o->proxy_port : o->port;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	int g = getaddrinfo(host, port, &hints, &ai);
	if (g != 0) {
		snprintf(k->msg, k->ml, "Could not resolve %s: %s", o->proxy_host ? "proxy" : "host",
			host);
		return H1_ECONNECT;
	}
	int64_t limit = now_ms() + o->connect_timeout_ms;
	if (k->deadline && k->deadline < limit)
		limit = k->deadline;
	int last = ECONNREFUSED;
	h1_rc rc = H1_ECONNECT;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			a->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
			last = errno;
			close(fd);
			continue;
		}
		rc = wait_fd(k, fd, POLLOUT, limit);
		if (rc == H1_ETIMEOUT) {
			close(fd);
			snprintf(k->msg, k->ml, "Connection timed out after %lld milliseconds",
				(long long)(now_ms() - k->start));
			break;
		}
		if (rc != H1_OK) {
			close(fd);
			break;
		}
		int soe = 0;
		socklen_t sl = sizeof soe;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soe, &sl) < 0)
			soe = errno;
		if (soe) {
			last = soe;
			close(fd);
			rc = H1_ECONNECT;
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
		freeaddrinfo(ai);
		*out = fd;
		atomic_fetch_add(&o->connects, 1);
		return H1_OK;
	}
	freeaddrinfo(ai);
	if (rc == H1_ECONNECT)
		snprintf(k->msg, k->ml, "Failed to connect to %s port %s after %lld ms: %s", host,
			port, (long long)(now_ms() - k->start), strerror(last));
	return rc;
}

static h1_rc tls_fail(call *k, SSL *ssl, int sslerr)
{
	long v = SSL_get_verify_result(ssl);
	if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
		snprintf(k->msg, k->ml, "SSL: no alternative certificate subject name matches "
					"target host name '%s'", k->o->host);
	else if (v != X509_V_OK)
		snprintf(k->msg, k->ml, "SSL certificate problem: %s",
			X509_verify_cert_error_string(v));
	else if (ERR_peek_last_error())
		snprintf(k->msg, k->ml, "OpenSSL SSL_connect: %s in connection to %s:%s",
			ossl_reason(), k->o->host, k->o->port);
	else
		snprintf(k->msg, k->ml, "OpenSSL SSL_connect: %s in connection to %s:%s",
			sslerr == SSL_ERROR_SYSCALL ? "SSL_ERROR_SYSCALL" : "SSL_ERROR_SSL",
			k->o->host, k->o->port);
	ERR_clear_error();
	return H1_ETLS;
}

static h1_rc tls_connect(call *k, conn *c)
{
	h1_origin *o = k->o;
	c->ssl = SSL_new(o->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
		snprintf(k->msg, k->ml, "cannot create a TLS connection: %s", ossl_reason());
		ERR_clear_error();
		return H1_ETLS;
	}
	if (!o->host_is_ip)
		SSL_set_tlsext_host_name(c->ssl, o->host);
	if (!o->insecure) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
		int ok = o->host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, o->host)
				       : X509_VERIFY_PARAM_set1_host(vp, o->host, 0);
		if (ok != 1) {
			snprintf(k->msg, k->ml, "cannot set the TLS host name to check");
			return H1_ETLS;
		}
	}
	for (;;) {
		ERR_clear_error();
		int r = SSL_connect(c->ssl);
		if (r == 1)
			return H1_OK;
		int se = SSL_get_error(c->ssl, r);
		if (se != SSL_ERROR_WANT_READ && se != SSL_ERROR_WANT_WRITE)
			return tls_fail(k, c->ssl, se);
		h1_rc w = wait_fd(k, c->fd, se == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
			k->deadline);
		if (w == H1_ETIMEOUT)
			return timed_out(k);
		if (w != H1_OK)
			return w;
	}
}

/* An idle connection is usable when nothing is readable on it: a readable idle socket is a
 * closed one (EOF) or one with unexpected bytes. */
static bool still_open(conn *c)
{
	struct pollfd pf = {.fd = c->fd, .events = POLLIN};
	return poll(&pf, 1, 0) == 0;
}

static conn *take_idle(h1_origin *o)
{
	for (;;) {
		pthread_mutex_lock(&o->mu);
		conn *c = o->idle;
		if (c) {
			o->idle = c->next;
			o->nidle--;
		}
		pthread_mutex_unlock(&o->mu);
		if (!c || still_open(c))
			return c;
		conn_close(c);
	}
}

static void give_back(h1_origin *o, conn *c)
{
	pthread_mutex_lock(&o->mu);
	if (o->nidle < o->max_idle) {
		c->next = o->idle;
		o->idle = c;
		o->nidle++;
		c = NULL;
	}
	pthread_mutex_unlock(&o->mu);
	conn_close(c);
}

/* ------------------------------------------------------------------ I/O */

/* Writes all of p. H1_ECONNECT with errno-style text on a broken connection. */
static h1_rc conn_write(call *k, conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w;
		short ev = POLLOUT;
		if (c->ssl) {
			ERR_clear_error();
			int r = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
			if (r > 0) {
				w = r;
			} else {
				int se = SSL_get_error(c->ssl, r);
				if (se == SSL_ERROR_WANT_READ)
					ev = POLLIN;
				else if (se != SSL_ERROR_WANT_WRITE) {
					snprintf(k->msg, k->ml, "Send failure: %s",
						se == SSL_ERROR_SYSCALL && errno ? strerror(errno)
										  : ossl_reason());
					ERR_clear_error();
					return H1_ECONNECT;
				}
				w = -1;
			}
		} else {
			w = send(c->fd, p, n, MSG_NOSIGNAL);
			if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				snprintf(k->msg, k->ml, "Send failure: %s", strerror(errno));
				return H1_ECONNECT;
			}
		}
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		h1_rc rc = wait_fd(k, c->fd, ev, k->deadline);
		if (rc == H1_ETIMEOUT)
			return timed_out(k);
		if (rc != H1_OK)
			return rc;
	}
	return H1_OK;
}

/* Reads some bytes into p: *got > 0, or 0 at EOF. */
static h1_rc conn_read(call *k, conn *c, char *p, size_t n, size_t *got)
{
	for (;;) {
		short ev = POLLIN;
		if (c->ssl) {
			ERR_clear_error();
			int r = SSL_read(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
			if (r > 0) {
				*got = (size_t)r;
				return H1_OK;
			}
			int se = SSL_get_error(c->ssl, r);
			if (se == SSL_ERROR_ZERO_RETURN ||
			    (se == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0)) {
				*got = 0;
				ERR_clear_error();
				return H1_OK;
			}
			if (se == SSL_ERROR_WANT_WRITE)
				ev = POLLOUT;
			else if (se != SSL_ERROR_WANT_READ) {
				/* an unexpected EOF (no close_notify) counts as an EOF, as for curl */
				if (se == SSL_ERROR_SSL &&
				    ERR_GET_REASON(ERR_peek_last_error()) ==
					    SSL_R_UNEXPECTED_EOF_WHILE_READING) {
					ERR_clear_error();
					*got = 0;
					return H1_OK;
				}
				snprintf(k->msg, k->ml, "Recv failure: %s",
					se == SSL_ERROR_SYSCALL && errno ? strerror(errno)
									  : ossl_reason());
				ERR_clear_error();
				return H1_ECONNECT;
			}
		} else {
			ssize_t r = recv(c->fd, p, n, 0);
			if (r >= 0) {
				*got = (size_t)r;
				return H1_OK;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				snprintf(k->msg, k->ml, "Recv failure: %s", strerror(errno));
				return H1_ECONNECT;
			}
		}
		h1_rc rc = wait_fd(k, c->fd, ev, k->deadline);
		if (rc == H1_ETIMEOUT)
			return timed_out(k);
		if (rc != H1_OK)
			return rc;
	}
}

/* ------------------------------------------------------------------ one request */

/* CONNECT through the proxy to the origin; the answer's head is read byte by byte so that
 * nothing of the tunnel is consumed. */
static h1_rc tunnel(call *k, conn *c)
{
	h1_origin *o = k->o;
	char *req = xasprintf("CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s%s%sProxy-Connection: "
			      "Keep-Alive\r\n\r\n", o->authority, o->authority,
		o->proxy_auth ? "Proxy-Authorization: " : "", o->proxy_auth ? o->proxy_auth : "",
		o->proxy_auth ? "\r\n" : "");
	h1_rc rc = conn_write(k, c, req, strlen(req));
	memset(req, 0, strlen(req));
	free(req);
	if (rc != H1_OK)
		return rc;
	char head[16384];
	size_t n = 0;
	while (n < sizeof head - 1) {
		size_t got = 0;
		if ((rc = conn_read(k, c, head + n, 1, &got)) != H1_OK)
			return rc;
		if (!got) {
			snprintf(k->msg, k->ml, "Proxy CONNECT aborted");
			return H1_ECONNECT;
		}
		n++;
		if (n >= 4 && !memcmp(head + n - 4, "\r\n\r\n", 4))
			break;
	}
	head[n] = '\0';
	int code = 0;
	if (sscanf(head, "HTTP/1.%*d %d", &code) != 1 || code < 200 || code > 299) {
		snprintf(k->msg, k->ml, "CONNECT tunnel failed, response %d", code);
		return H1_ECONNECT;
	}
	return H1_OK;
}

static bool needs_length(const char *m)
{
	return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH");
}

static char *request_head(h1_origin *o, const h1_req *r, const char *target)
{
	buf b;
	buf_init(&b, 4 << 20); /* our own URL (<= 1 MiB) and headers */
	if (o->proxy_host && !o->tls) /* absolute form, through the proxy */
		buf_addf(&b, "%s %s%s HTTP/1.1\r\nHost: %s\r\n", r->method, o->prefix, target,
			o->authority);
	else
		buf_addf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", r->method, target, o->authority);
	if (o->proxy_host && !o->tls && o->proxy_auth)
		buf_addf(&b, "Proxy-Authorization: %s\r\n", o->proxy_auth);
	for (const char *const *h = r->headers; h && *h; h++) {
		buf_adds(&b, *h);
		buf_adds(&b, "\r\n");
	}
	if (r->body || needs_length(r->method))
		buf_addf(&b, "Content-Length: %zu\r\n", r->body ? r->blen : 0);
	buf_adds(&b, "\r\n");
	return buf_detach(&b, NULL);
}

/* One attempt on connection c. *sent_nothing_back: no byte of an answer was read. */
static h1_rc exchange(call *k, conn *c, const char *head, long *status, bool *reusable,
	bool *nothing_back)
{
	const h1_req *r = k->r;
	*reusable = false;
	*nothing_back = true;
	h1_rc rc = conn_write(k, c, head, strlen(head));
	if (rc == H1_OK && r->body && r->blen)
		rc = conn_write(k, c, r->body, r->blen);
	if (rc != H1_OK)
		return rc;
	h1_resp *p = h1_resp_new(!strcmp(r->method, "HEAD"), r->sink, r->ud);
	char *in = xmalloc(READ_CHUNK);
	for (;;) {
		size_t got = 0;
		rc = conn_read(k, c, in, READ_CHUNK, &got);
		if (rc != H1_OK)
			break;
		if (got)
			*nothing_back = false;
		k->received += got;
		size_t used = 0;
		h1_feed f = h1_resp_feed(p, in, got, &used);
		*status = h1_resp_status(p);
		if (f == H1_FEED_DONE) {
			*reusable = got > 0 && used == got && h1_resp_keep_alive(p);
			break;
		}
		if (f == H1_FEED_ERROR) {
			snprintf(k->msg, k->ml, "%s", h1_resp_error(p));
			rc = h1_resp_sink_failed(p) ? H1_EWRITE : H1_EPROTO;
			if (!got && !h1_resp_started(p))
				rc = H1_ECONNECT; /* closed before answering */
			break;
		}
		if (r->stop && r->stop(r->ud)) {
			snprintf(k->msg, k->ml, "stopped");
			rc = H1_ESTOPPED;
			break;
		}
	}
	free(in);
	h1_resp_free(p);
	return rc;
}

h1_rc h1_do(h1_origin *o, const h1_req *r, long *status, char *msg, size_t msglen)
{
	char dummy[8];
	if (!msg || !msglen) {
		msg = dummy;
		msglen = sizeof dummy;
	}
	msg[0] = '\0';
	*status = 0;
	call k = {.o = o, .r = r, .start = now_ms(), .msg = msg, .ml = msglen};
	if (r->timeout_ms > 0)
		k.deadline = k.start + r->timeout_ms;
	size_t pl = strlen(o->prefix);
	if (strncasecmp(r->url, o->prefix, pl) != 0 ||
	    (r->url[pl] && r->url[pl] != '/' && r->url[pl] != '?')) {
		snprintf(msg, msglen, "URL outside the API server");
		return H1_ECONNECT;
	}
	if (o->proxy_error[0]) {
		snprintf(msg, msglen, "%s", o->proxy_error);
		return H1_ECONNECT;
	}
	if (o->tls && o->tls_error[0]) {
		snprintf(msg, msglen, "%s", o->tls_error);
		return H1_ETLS;
	}
	const char *target = r->url + pl;
	char *t = NULL;
	if (*target != '/')
		target = t = xasprintf("/%s", target);
	char *head = request_head(o, r, target);
	free(t);
	h1_rc rc;
	for (int attempt = 0;; attempt++) {
		conn *c = attempt == 0 ? take_idle(o) : NULL;
		bool reused = c != NULL;
		if (!c) {
			int fd = -1;
			rc = tcp_connect(&k, &fd);
			if (rc != H1_OK)
				break;
			c = xcalloc(1, sizeof *c);
			c->fd = fd;
			if (o->tls && o->proxy_host && (rc = tunnel(&k, c)) != H1_OK) {
				conn_close(c);
				break;
			}
			if (o->tls && (rc = tls_connect(&k, c)) != H1_OK) {
				conn_close(c);
				break;
			}
		}
		bool reusable, nothing_back;
		rc = exchange(&k, c, head, status, &reusable, &nothing_back);
		if (rc == H1_OK && reusable)
			give_back(o, c);
		else
			conn_close(c);
		/* a kept-alive connection the server closed meanwhile: once more on a new one */
		if (rc == H1_ECONNECT && reused && nothing_back) {
			msg[0] = '\0';
			continue;
		}
		break;
	}
	memset(head, 0, strlen(head)); /* it may hold a bearer token */
	free(head);
	return rc;
}
