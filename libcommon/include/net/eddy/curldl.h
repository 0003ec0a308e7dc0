/* curldl: libcurl loaded on first use.
 *
 * Debian's libcurl.so.4 brings some thirty shared libraries (GnuTLS, Kerberos, LDAP, SASL,
 * libssh2, ...) whose pages a process maps and touches at start-up even if it never makes a
 * libcurl call; a controller that only talks to the API server (through eddy/h1.h) must not pay
 * for them. So no Eddy code calls libcurl directly: a file that uses libcurl includes this header
 * instead of <curl/curl.h> (eddy/http_curl.h includes it), and calls curldl_load() (through
 * http_curl_global_init()) before its first libcurl call, when it creates its client or
 * handle. curldl_load() dlopen()s the versioned soname libcurl.so.4, resolves the
 * functions below into one table and runs curl_global_init() once; it is thread-safe and
 * idempotent, and a failure (library missing, symbol missing) is an err value (reason
 * "LibraryLoadFailed") returned by every call, never a crash.
 *
 * After this header, the libcurl names below are macros for the table's entries, so the call
 * sites read as ordinary libcurl code (without libcurl's gcc type-checking wrappers). Calling one
 * before curldl_load() succeeded is a bug (a NULL function pointer). The table is written once,
 * under pthread_once, and only read afterwards.
 */
#ifndef EDDY_CURLDL_H
#define EDDY_CURLDL_H

#include <curl/curl.h>

#include "eddy/err.h"

typedef struct curldl_fns {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption o, ...);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO i, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_pause)(CURL *h, int bitmask);
	void (*easy_reset)(CURL *h);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode c);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption o, ...);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_assign)(CURLM *m, curl_socket_t s, void *p);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int ev, int *running);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd *extra, unsigned int n, int ms,
		int *numfds);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	CURLMcode (*multi_cleanup)(CURLM *m);
	const char *(*multi_strerror)(CURLMcode c);
} curldl_fns;

/* The table; valid once curldl_load() returned 0. */
extern curldl_fns curldl_fn;

/* Loads libcurl.so.4 and initialises it (once per process). 0, or -1 with e filled
 * ("LibraryLoadFailed", naming the library and dlerror()'s reason). */
int curldl_load(err *e);

/* Whether libcurl has been loaded into this process (for tests and diagnostics). */
int curldl_loaded(void);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init (curldl_fn.global_init)
#define curl_easy_init (curldl_fn.easy_init)
#define curl_easy_setopt (curldl_fn.easy_setopt)
#define curl_easy_getinfo (curldl_fn.easy_getinfo)
#define curl_easy_perform (curldl_fn.easy_perform)
#define curl_easy_pause (curldl_fn.easy_pause)
#define curl_easy_reset (curldl_fn.easy_reset)
#define curl_easy_cleanup (curldl_fn.easy_cleanup)
#define curl_easy_strerror (curldl_fn.easy_strerror)
#define curl_slist_append (curldl_fn.slist_append)
#define curl_slist_free_all (curldl_fn.slist_free_all)
#define curl_multi_init (curldl_fn.multi_init)
#define curl_multi_setopt (curldl_fn.multi_setopt)
#define curl_multi_add_handle (curldl_fn.multi_add_handle)
#define curl_multi_remove_handle (curldl_fn.multi_remove_handle)
#define curl_multi_assign (curldl_fn.multi_assign)
#define curl_multi_socket_action (curldl_fn.multi_socket_action)
#define curl_multi_perform (curldl_fn.multi_perform)
#define curl_multi_poll (curldl_fn.multi_poll)
#define curl_multi_info_read (curldl_fn.multi_info_read)
#define curl_multi_cleanup (curldl_fn.multi_cleanup)
#define curl_multi_strerror (curldl_fn.multi_strerror)

#endif
