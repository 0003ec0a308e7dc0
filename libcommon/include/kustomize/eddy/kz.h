/* kz: the kustomize engine (kustomize v5.6 compatible `kustomize build`).
 *
 * kz_build() reads the kustomization at `path` (a directory, relative to `root` or absolute
 * inside it) and returns the built resources as a cJSON array of objects, in the order and with
 * the content `kubectl kustomize` prints. Every file the build reads must resolve (symlinks
 * followed) inside `root`; anything else is an error, as are remote bases (URLs) unless
 * allow_remote is set: then git URLs in kustomize's forms (https://host/org/repo//path?ref=x,
 * git::..., ssh://..., git@host:org/repo//path, github.com/org/repo/path, with ?ref=,
 * ?version=, ?timeout=, ?submodules=) are cloned with eddy/git.h into a temporary directory,
 * built confined to that clone (bytes capped by max_total_bytes) and removed again. Plain
 * http(s) URLs of single files are refused. kz_build blocks while it fetches.
 *
 * Ownership: the array stored in *out belongs to the caller (cJSON_Delete). On error *out is
 * left NULL, -1 is returned and e is filled (reason "BuildFailed") with a message that reads like
 * kustomize's. Inputs are bounded: file size, total bytes read, kustomization nesting depth and
 * the number of resources all have caps (see kz_options; zero means the default).
 *
 * In-memory kustomizations: kustomize-controller generates a kustomization.yaml when a source
 * holds none and adds the Flux Kustomization's overlays to it. `kustomization` in kz_options,
 * when not NULL, is used as the content of the kustomization file of the top directory `path`
 * instead of reading one from disk; everything it references is still read from the filesystem
 * below `root`. */
#ifndef EDDY_KZ_H
#define EDDY_KZ_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "eddy/buf.h"
#include "eddy/err.h"

typedef struct kz_options {
	bool allow_remote;          /* remote bases are refused when false ("remote bases are
	                               disabled"); when true, git remote bases are fetched */
	size_t max_file_bytes;      /* one file; default 32 MiB */
	size_t max_total_bytes;     /* every file of one build together; default 512 MiB */
	unsigned max_depth;         /* nesting of kustomizations and components; default 100 */
	size_t max_resources;       /* resources in one build; default 200 000 */
	const char *kustomization;  /* in-memory kustomization for `path`, or NULL */
	size_t kustomization_len;
} kz_options;

enum {
	KZ_DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024,
	KZ_DEFAULT_MAX_DEPTH = 100,
	KZ_DEFAULT_MAX_RESOURCES = 200000,
};

/* Build the kustomization in `path` confined to `root` (both may be relative to the current
 * directory; `path` may also be relative to `root`). opt may be NULL for the defaults. */
int kz_build(const kz_options *opt, const char *root, const char *path, cJSON **out, err *e);

/* kz_build, then print the resources as YAML exactly as `kubectl kustomize` does into out. */
int kz_build_yaml(const kz_options *opt, const char *root, const char *path, buf *out, err *e);

/* The name suffix kustomize appends to a generated ConfigMap or Secret (10 characters, such as
 * "f986b78m9b"), computed from the object's kind, name, data, binaryData and type; written into
 * out (at least 11 bytes). -1 if obj is not a ConfigMap or Secret. */
int kz_hash_suffix(const cJSON *obj, char *out, size_t outlen, err *e);

#endif
