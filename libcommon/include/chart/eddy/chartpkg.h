/* chartpkg: packaging a chart directory into the .tgz that `helm package` writes, and the
 * values-file merging of Flux's chart builders (source-controller internal/helm/chart).
 *
 * chartpkg_pack_dir writes gzip'd tar entries "<chart name>/<path>" for every regular file of
 * the chart directory that .helmignore does not exclude (Chart.yaml first, then values.yaml,
 * then the rest in lexical order), mode 0644, owner 0, a fixed time, so the same chart always
 * gives the same bytes. Chart.yaml is rewritten with the version given (Helm re-marshals it
 * too), values.yaml is replaced by the merged values when given. Symlinks and special files
 * are refused with a clear message (a chart from a source artifact has none). The sizes of each
 * file and of the whole chart are capped. All functions block (file I/O): call them from a
 * worker thread. */
#ifndef EDDY_CHARTPKG_H
#define EDDY_CHARTPKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/buf.h"
#include "eddy/err.h"

/* name and version from dir/Chart.yaml (both allocated). Errors: reason "ChartPackageError"
 * ("no Chart.yaml in ...", "Chart.yaml: chart.metadata.name is required", ...). */
int chartpkg_read_meta(const char *dir, char **name, char **version, err *e);

typedef struct chartpkg_opts {
	const char *version;      /* the version written into Chart.yaml (NULL: unchanged) */
	const char *values;       /* values.yaml's new content (NULL: unchanged) */
	size_t values_len;
	uint64_t max_bytes;       /* all files together (0: no cap) */
	uint64_t max_file;        /* one file (0: no cap) */
} chartpkg_opts;

/* Package dir (a chart's root) into out_path (written through a temporary file and renamed).
 * Errors: reason "ChartPackageError". */
int chartpkg_pack_dir(const char *dir, const chartpkg_opts *o, const char *out_path, err *e);

/* Flux's mergeFileValues: each of files[0..n) (relative to base, which they may not leave)
 * parsed as YAML and merged in order into one map (maps merged key by key, other values
 * replaced), printed as YAML into out. A file that does not exist fails ("no values file found
 * at path 'x'"), or is skipped when ignore_missing; *used (may be NULL) gets how many files
 * were merged and used_mask[i] (may be NULL, n entries) whether file i was. Errors: reason
 * "ValuesFilesError". */
int chartpkg_merge_values(const char *base, const char *const *files, size_t n,
	bool ignore_missing, uint64_t max_file, bool *used_mask, buf *out, err *e);

#endif
