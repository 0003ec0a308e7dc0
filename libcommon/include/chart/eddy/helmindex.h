/* helmindex: a Helm chart repository's index (index.yaml), read the way Flux's source-controller
 * reads it (internal/helm/repository IndexFromBytes) and written back as the normalised JSON
 * that Flux stores as the HelmRepository's artifact (json.MarshalIndent of Helm's IndexFile).
 *
 * Parsing streams libyaml events from a file or memory: only the index's model is kept, never
 * a tree of the whole document. Each chart version is read into a small cJSON object (nesting
 * capped), validated as Helm's ChartVersion.Validate does (a version without a name, with a
 * name that is a path, with a version that is not semver or with a wrong type is dropped), and
 * kept as its normalised JSON text plus the fields a lookup needs. Entries are then sorted by
 * name and every entry's versions by semver, highest first (Helm's SortEntries; stable).
 * Limits: the input bytes (max_bytes: larger inputs fail before anything is read), the number of
 * chart versions, the nesting depth; aliases are refused. JSON input is read as YAML (JSON is
 * YAML), as Flux accepts both.
 *
 * Differences with Go's strict unmarshalling, on purpose: unknown fields are dropped (Flux
 * fails on them), scalars where strings are expected are taken as their text.
 *
 * Error messages (reason "IndexationFailed") read like Flux's: "empty index.yaml file",
 * "no API version specified", "error converting YAML to JSON: yaml: line 3: ...",
 * "index exceeds the maximum index file size of N bytes". An index is immutable once parsed
 * and may be read from several threads at once. */
#ifndef EDDY_HELMINDEX_H
#define EDDY_HELMINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/buf.h"
#include "eddy/err.h"

typedef struct helmindex helmindex;

typedef struct helmindex_limits {
	uint64_t max_bytes;   /* input size (0: 50 MiB, Flux's --helm-index-max-size default) */
	size_t max_versions;  /* chart versions in all entries (0: 1 000 000) */
	unsigned max_depth;   /* nesting inside one chart version (0: 64) */
} helmindex_limits;

/* Parse the index in the file at path, or in data[0..len). NULL with e filled on failure. */
helmindex *helmindex_parse_file(const char *path, const helmindex_limits *lim, err *e);
helmindex *helmindex_parse_mem(const char *data, size_t len, const helmindex_limits *lim,
	err *e);
void helmindex_free(helmindex *ix);

/* Number of chart names and of chart versions kept. */
size_t helmindex_entries(const helmindex *ix);
size_t helmindex_versions(const helmindex *ix);
/* Bytes the index holds in memory (approximate; for the cache and the benchmark). */
size_t helmindex_mem(const helmindex *ix);

/* The normalised index as JSON (Go's json.MarshalIndent(index, "", "  ") of Helm's IndexFile:
 * Go's field order, map keys sorted, times in RFC 3339 with nanoseconds, Go's escaping). */
int helmindex_write_buf(const helmindex *ix, buf *out, err *e);
/* The same written to path (created or truncated, mode 0600). */
int helmindex_write_file(const helmindex *ix, const char *path, err *e);

/* A chart version found by helmindex_find; the strings belong to the index. */
typedef struct helmindex_chart {
	const char *name;
	const char *version;
	const char *url;      /* urls[0], or NULL when the version has none */
	const char *digest;   /* "" when absent */
} helmindex_chart;

/* Flux's ChartRepository.GetChartVersion: the version of chart name that equals ver exactly,
 * else the highest whose semver satisfies the range ver ("" or "*": the latest stable one;
 * among equal versions, the latest created). Errors (reason "InvalidChartReference"): "no chart
 * name found", "no chart version found", "improper constraint: <ver>", "no '<name>' chart with
 * version matching '<ver>' found". */
int helmindex_find(const helmindex *ix, const char *name, const char *ver, helmindex_chart *out,
	err *e);

#endif
