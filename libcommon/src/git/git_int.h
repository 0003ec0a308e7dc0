/* Internal to the git module: the per-thread network settings that git.c hands to the libcurl
 * smart-HTTP subtransport (git_http.c) while one gitx_checkout() runs on that thread. */
#ifndef EDDY_GIT_INT_H
#define EDDY_GIT_INT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gitx_net {
	const char *ca_pem;               /* CA bundle (PEM) for HTTPS, NULL = system roots */
	const char *cert_pem, *key_pem;   /* TLS client certificate and key (PEM) */
	const char *proxy;                /* proxy URL, NULL = none (curl's env handling) */
	const char *proxy_user, *proxy_pass;
	int64_t deadline_ms;              /* on clock_mono_ms()'s clock; 0 = none */
	int64_t timeout_ms;               /* for messages */
	bool timed_out;                   /* set by the transport when the deadline hit */
	bool tls_failed;                  /* a TLS handshake or verification failure */
	char why[512];                    /* the transport's own explanation, if any */
} gitx_net;

/* Registers the libcurl subtransport for http:// and https:// (once, from gitx_global_init). */
int gitx_http_register(void);
/* The settings used by transports created on this thread; NULL unbinds. The struct must stay
 * alive while bound. Without settings, the transport uses the system roots and no deadline. */
void gitx_net_bind(gitx_net *n);

#endif
