/* workdir: what source-controller does to the working tree of one GitRepository reconcile
 * between the checkout and the packing (internal to source-controller). All paths are
 * absolute; errors carry Flux's reasons and messages. */
#ifndef SC_WORKDIR_H
#define SC_WORKDIR_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"

/* Removes the directory tree at path; -1 on error. */
int workdir_remove(const char *path);

/* spec.include: extracts the included GitRepository's artifact (storage_path/artifact_path)
 * into a scratch directory under tmpbase and moves its fromPath (NULL or "." = all of it) to
 * toPath in the checkout, replacing what was there. Paths leaving the source are a stalling
 * IllegalPath; other failures are CopyFailure (or art_extract's error). */
int workdir_copy_include(const char *storage_path, const char *artifact_path, const char *from,
	const char *to, const char *checkout, const char *tmpbase, err *e);

/* Flux resolves symlinks before archiving (resolveSymlinks): a link whose target exists inside
 * the checkout is replaced by a copy of the target (files and directories, nested links
 * likewise, at most max_bytes copied; 0 = no cap); links that are broken or point outside stay
 * links, which the packer then drops. ArchiveOperationFailed on error. */
int workdir_resolve_symlinks(const char *checkout, uint64_t max_bytes, err *e);

/* Flux checks after the checkout that every spec.sparseCheckout directory exists:
 * GitOperationFailed "failed to sparse checkout directories : sparse checkout dir '<d>' does
 * not exist in repository" otherwise. */
int workdir_check_sparse(const char *checkout, const cJSON *sparse, err *e);

#endif
