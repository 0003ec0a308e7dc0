/* art: artifacts, the .tar.gz files through which Eddy's controllers hand sources to each other.
 *
 * Producer side (source-controller): art_pack_dir() turns a directory into a deterministic
 * gzip'd tarball in Flux's format: entries in lexical walk order (per directory, sorted by name,
 * a directory's children right after it), the root itself first as "./" (directory names end
 * in "/", the tar convention), only regular files and
 * directories (symlinks and devices are dropped), uid/gid 0, empty user and group names, zero
 * times, modes 0750 for directories, 0700 for files with any exec bit and 0600 for the others,
 * and a gzip header with no name and no time. The same tree always gives the same bytes, so the
 * digest depends on content only. The storage helpers lay files out as Flux does
 * (`<kind>/<namespace>/<name>/<file>` under the storage root), write atomically (temp file +
 * rename, mode 0600) and garbage-collect old files by age and count.
 *
 * Consumer side (kustomize-, helm-controller): art_verify_file() checks a downloaded file against
 * `status.artifact.digest`, and art_extract() unpacks a tarball safely: absolute paths and `..`
 * are refused, links and special files skipped, and the entry count, the total size and the
 * compression ratio are capped, so a hostile artifact fails with an error instead of filling the
 * disk. All functions block (file I/O, compression): call them from a worker, never the loop. */
#ifndef EDDY_ART_H
#define EDDY_ART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/err.h"

/* "sha256:" + 64 hex digits + NUL. */
enum { ART_DIGEST_MAX = 7 + 64 + 1 };

/* Decide whether relpath (relative to the packed root, '/'-separated, no leading "./") is left
 * out; for a directory, leaving it out leaves out everything below it. */
typedef bool (*art_exclude_fn)(const char *relpath, bool is_dir, void *ud);

typedef struct art_pack_opts {
	art_exclude_fn exclude; /* NULL: keep everything */
	void *exclude_ud;
	uint64_t max_bytes;     /* total size of the files packed; 0 = no cap */
	size_t max_files;       /* 0 = no cap */
} art_pack_opts;

typedef struct art_info {
	char digest[ART_DIGEST_MAX]; /* "sha256:<hex>" of the tarball's bytes */
	uint64_t size;               /* bytes of the tarball */
	size_t files;                /* regular files packed */
} art_info;

/* Pack root into out_path (written via a temp file in the same directory, renamed into place,
 * mode 0600). Fails with reason "ArtifactFailed" on I/O errors and on passing a cap. */
int art_pack_dir(const char *root, const art_pack_opts *o, const char *out_path, art_info *info,
		 err *e);

/* sha256 of a file's bytes as "sha256:<hex>". */
int art_digest_file(const char *path, char out[ART_DIGEST_MAX], err *e);

/* Check path against an expected digest ("<algo>:<hex>", or bare hex meaning sha256, as Flux
 * accepts). Only sha256 is supported; other algorithms fail with a clear error. */
int art_verify_file(const char *path, const char *expected, err *e);

typedef struct art_extract_limits {
	uint64_t max_bytes;    /* total uncompressed bytes; 0 = 1 GiB */
	size_t max_entries;    /* 0 = 100 000 */
	unsigned max_ratio;    /* uncompressed / compressed; 0 = 200 */
} art_extract_limits;

/* Extract a .tar.gz (or plain .tar) into dest_dir, which must exist. Files are created mode 0644
 * (0755 when executable), directories 0755. */
int art_extract(const char *archive_path, const char *dest_dir, const art_extract_limits *lim,
		err *e);

/* Storage layout. The returned strings are allocated (free them). */
/* "<lowercase kind>/<namespace>/<name>" */
char *art_dir_path(const char *kind, const char *ns, const char *name);
/* "http://<adv_addr>/<relpath>", or "<adv_addr>/<relpath>" when adv_addr has a scheme. */
char *art_url(const char *adv_addr, const char *relpath);

/* Remove files in storage_root/dir_relpath other than keep_file (a basename, or NULL) that are
 * older than ttl_seconds, then the oldest until at most keep_records remain (keep_file counts).
 * Directories, symlinks and ".lock" files are left alone. Returns how many were removed, or -1. */
int art_gc(const char *storage_root, const char *dir_relpath, const char *keep_file,
	   unsigned ttl_seconds, unsigned keep_records, err *e);

/* Remove storage_root/dir_relpath and all below it (used on object deletion). A missing
 * directory is not an error. */
int art_remove_dir(const char *storage_root, const char *dir_relpath, err *e);

/* mkdir -p (mode 0755); 0 or -1. */
int art_mkdirs(const char *path, err *e);

#endif
