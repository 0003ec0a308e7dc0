/* fetch (`fetch_`): a source artifact fetched, verified and extracted on a consumer's side, as
 * Flux's fluxcd/pkg http/fetch ArchiveFetcher does for kustomize-controller (and helm- and
 * image-controller consume the same artifacts).
 *
 * The download goes through the blocking HTTP client (eddy/http.h) with retries and a cap on
 * the bytes written; the file is checked against the artifact's digest and extracted with the
 * artifact layer's safe extraction (eddy/art.h: no absolute paths or `..`, links skipped, size,
 * entry and ratio caps). Every error has reason ArtifactFailed and a message without secrets.
 * Functions block and run on a reconcile worker. */
#ifndef EDDY_FETCH_H
#define EDDY_FETCH_H

#include <stdint.h>

#include "eddy/err.h"

typedef struct fetch_options {
	int retries;            /* HTTP retries (--http-retry) */
	const char *user_agent; /* e.g. "kustomize-controller" */
	uint64_t max_bytes;     /* cap on the downloaded file; 0: 1 GiB */
} fetch_options;

/* fetch_archive's result when the server answers 404 (the source has not stored the artifact
 * yet: Flux's ErrFileNotFound); e is left alone. */
#define FETCH_NOT_FOUND 1

/* The artifact URL with its host replaced by $SOURCE_CONTROLLER_LOCALHOST when set (Flux's
 * override for running a controller outside the cluster). Allocated. */
char *fetch_artifact_url(const char *url);

/* Downloads url into the file `archive` (created or truncated), checks it against digest
 * ("<algo>:<hex>", as status.artifact.digest; NULL: not checked) and extracts it into dir
 * (created when missing). 0 on success, FETCH_NOT_FOUND on a 404, -1 with e filled (reason
 * ArtifactFailed): "failed to download archive from <url>, status: <code>", "artifact from
 * <url> exceeds <n> bytes", the HTTP client's, digest and extraction errors. */
int fetch_archive(const fetch_options *o, const char *url, const char *digest,
	const char *archive, const char *dir, err *e);

#endif
