/* curldl: libcurl loaded on first use (eddy/curldl.h). */
#include "eddy/curldl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

curldl_fns curldl_fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256]; /* empty once loaded */
static atomic_int loaded;

#define SONAME "libcurl.so.4"

static void load(void)
{
	void *h = dlopen(SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		snprintf(load_error, sizeof load_error, "cannot load %s: %s", SONAME,
			why ? why : "unknown error");
		return;
	}
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
#define S(f, name) {name, offsetof(curldl_fns, f)}
		S(global_init, "curl_global_init"), S(easy_init, "curl_easy_init"),
		S(easy_setopt, "curl_easy_setopt"), S(easy_getinfo, "curl_easy_getinfo"),
		S(easy_perform, "curl_easy_perform"), S(easy_pause, "curl_easy_pause"),
		S(easy_reset, "curl_easy_reset"), S(easy_cleanup, "curl_easy_cleanup"),
		S(easy_strerror, "curl_easy_strerror"), S(slist_append, "curl_slist_append"),
		S(slist_free_all, "curl_slist_free_all"), S(multi_init, "curl_multi_init"),
		S(multi_setopt, "curl_multi_setopt"), S(multi_add_handle, "curl_multi_add_handle"),
		S(multi_remove_handle, "curl_multi_remove_handle"),
		S(multi_assign, "curl_multi_assign"),
		S(multi_socket_action, "curl_multi_socket_action"),
		S(multi_perform, "curl_multi_perform"), S(multi_poll, "curl_multi_poll"),
		S(multi_info_read, "curl_multi_info_read"), S(multi_cleanup, "curl_multi_cleanup"),
		S(multi_strerror, "curl_multi_strerror"),
#undef S
	};
	curldl_fns t;
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		void *p = dlsym(h, syms[i].name);
		if (!p) {
			snprintf(load_error, sizeof load_error, "cannot load %s: no symbol %s",
				SONAME, syms[i].name);
			dlclose(h);
			return;
		}
		/* POSIX guarantees that a data pointer from dlsym converts to a function pointer */
		memcpy((char *)&t + syms[i].off, &p, sizeof p);
	}
	if (t.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(load_error, sizeof load_error, "cannot initialise %s", SONAME);
		return; /* the library stays mapped: curl_global_init may have half-run */
	}
	curldl_fn = t;
	loaded = 1;
}

int curldl_load(err *e)
{
	pthread_once(&once, load);
	if (loaded)
		return 0;
	return err_fail(e, "LibraryLoadFailed", "%s", load_error);
}

int curldl_loaded(void)
{
	return loaded;
}
