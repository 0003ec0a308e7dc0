/* libarchive loaded on first use (eddy/ardl.h). */
#include "eddy/ardl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

ardl_fns ardl_fn;

#define SONAME "libarchive.so.13"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int loaded;
static char load_error[256];

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
#define S(f) {"archive_" #f, offsetof(ardl_fns, f)}
		S(entry_filetype), S(entry_free), S(entry_hardlink), S(entry_new),
		S(entry_pathname), S(entry_perm), S(entry_set_filetype), S(entry_set_gid),
		S(entry_set_mtime), S(entry_set_pathname), S(entry_set_perm), S(entry_set_size),
		S(entry_set_uid), S(error_string), S(read_data), S(read_free), S(read_new),
		S(read_next_header), S(read_open_filename), S(read_open_memory),
		S(read_support_filter_gzip), S(read_support_filter_none), S(read_support_format_all),
		S(read_support_format_tar), S(write_add_filter_gzip), S(write_close),
		S(write_data), S(write_free), S(write_header), S(write_new), S(write_open_fd),
		S(write_set_bytes_in_last_block), S(write_set_filter_option),
		S(write_set_format_pax_restricted),
#undef S
	};
	ardl_fns t;
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		void *p = dlsym(h, syms[i].name);
		if (!p) {
			snprintf(load_error, sizeof load_error, "cannot load %s: no symbol %s",
				SONAME, syms[i].name);
			dlclose(h);
			return;
		}
		/* POSIX: a pointer from dlsym converts to a function pointer */
		memcpy((char *)&t + syms[i].off, &p, sizeof p);
	}
	ardl_fn = t;
	loaded = 1;
}

int ardl_load(err *e)
{
	pthread_once(&once, load);
	if (loaded)
		return 0;
	return err_fail(e, "ArtifactFailed", "%s", load_error);
}
