/* ardl: libarchive loaded on first use (the artifact layer's; the chart layer uses it too).
 *
 * Debian's libarchive.so.13 brings libxml2, ICU and libstdc++ (about 2 MiB resident at start-up,
 * from relocations and constructors), which a controller that has not yet packed or extracted an
 * artifact must not pay for. art.c (and the chart layer's archive readers and writers) include
 * this header instead of <archive.h>, and call ardl_load() before their first libarchive call; that dlopen()s the versioned soname
 * libarchive.so.13 once (thread-safe) and fills the table below. After this header the libarchive
 * names used by those files are macros for the table's entries. A failure to load is an err value
 * (reason "ArtifactFailed"), returned by every later call too.
 */
#ifndef EDDY_ARCHIVE_DL_H
#define EDDY_ARCHIVE_DL_H

#include <archive.h>
#include <archive_entry.h>

#include "eddy/err.h"

typedef struct ardl_fns {
	__typeof__(archive_entry_filetype) *entry_filetype;
	__typeof__(archive_entry_free) *entry_free;
	__typeof__(archive_entry_hardlink) *entry_hardlink;
	__typeof__(archive_entry_new) *entry_new;
	__typeof__(archive_entry_pathname) *entry_pathname;
	__typeof__(archive_entry_perm) *entry_perm;
	__typeof__(archive_entry_set_filetype) *entry_set_filetype;
	__typeof__(archive_entry_set_gid) *entry_set_gid;
	__typeof__(archive_entry_set_mtime) *entry_set_mtime;
	__typeof__(archive_entry_set_pathname) *entry_set_pathname;
	__typeof__(archive_entry_set_perm) *entry_set_perm;
	__typeof__(archive_entry_set_size) *entry_set_size;
	__typeof__(archive_entry_set_uid) *entry_set_uid;
	__typeof__(archive_error_string) *error_string;
	__typeof__(archive_read_data) *read_data;
	__typeof__(archive_read_free) *read_free;
	__typeof__(archive_read_new) *read_new;
	__typeof__(archive_read_next_header) *read_next_header;
	__typeof__(archive_read_open_filename) *read_open_filename;
	__typeof__(archive_read_open_memory) *read_open_memory;
	__typeof__(archive_read_support_filter_gzip) *read_support_filter_gzip;
	__typeof__(archive_read_support_filter_none) *read_support_filter_none;
	__typeof__(archive_read_support_format_all) *read_support_format_all;
	__typeof__(archive_read_support_format_tar) *read_support_format_tar;
	__typeof__(archive_write_add_filter_gzip) *write_add_filter_gzip;
	__typeof__(archive_write_close) *write_close;
	__typeof__(archive_write_data) *write_data;
	__typeof__(archive_write_free) *write_free;
	__typeof__(archive_write_header) *write_header;
	__typeof__(archive_write_new) *write_new;
	__typeof__(archive_write_open_fd) *write_open_fd;
	__typeof__(archive_write_set_bytes_in_last_block) *write_set_bytes_in_last_block;
	__typeof__(archive_write_set_filter_option) *write_set_filter_option;
	__typeof__(archive_write_set_format_pax_restricted) *write_set_format_pax_restricted;
} ardl_fns;

extern ardl_fns ardl_fn;

/* Loads libarchive.so.13 (once per process): 0, or -1 with e filled. */
int ardl_load(err *e);

#define archive_entry_filetype (ardl_fn.entry_filetype)
#define archive_entry_free (ardl_fn.entry_free)
#define archive_entry_hardlink (ardl_fn.entry_hardlink)
#define archive_entry_new (ardl_fn.entry_new)
#define archive_entry_pathname (ardl_fn.entry_pathname)
#define archive_entry_perm (ardl_fn.entry_perm)
#define archive_entry_set_filetype (ardl_fn.entry_set_filetype)
#define archive_entry_set_gid (ardl_fn.entry_set_gid)
#define archive_entry_set_mtime (ardl_fn.entry_set_mtime)
#define archive_entry_set_pathname (ardl_fn.entry_set_pathname)
#define archive_entry_set_perm (ardl_fn.entry_set_perm)
#define archive_entry_set_size (ardl_fn.entry_set_size)
#define archive_entry_set_uid (ardl_fn.entry_set_uid)
#define archive_error_string (ardl_fn.error_string)
#define archive_read_data (ardl_fn.read_data)
#define archive_read_free (ardl_fn.read_free)
#define archive_read_new (ardl_fn.read_new)
#define archive_read_next_header (ardl_fn.read_next_header)
#define archive_read_open_filename (ardl_fn.read_open_filename)
#define archive_read_open_memory (ardl_fn.read_open_memory)
#define archive_read_support_filter_gzip (ardl_fn.read_support_filter_gzip)
#define archive_read_support_filter_none (ardl_fn.read_support_filter_none)
#define archive_read_support_format_all (ardl_fn.read_support_format_all)
#define archive_read_support_format_tar (ardl_fn.read_support_format_tar)
#define archive_write_add_filter_gzip (ardl_fn.write_add_filter_gzip)
#define archive_write_close (ardl_fn.write_close)
#define archive_write_data (ardl_fn.write_data)
#define archive_write_free (ardl_fn.write_free)
#define archive_write_header (ardl_fn.write_header)
#define archive_write_new (ardl_fn.write_new)
#define archive_write_open_fd (ardl_fn.write_open_fd)
#define archive_write_set_bytes_in_last_block (ardl_fn.write_set_bytes_in_last_block)
#define archive_write_set_filter_option (ardl_fn.write_set_filter_option)
#define archive_write_set_format_pax_restricted (ardl_fn.write_set_format_pax_restricted)

#endif
