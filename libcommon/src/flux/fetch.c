/* A source artifact fetched, verified and extracted (eddy/fetch.h), as Flux's ArchiveFetcher. */
#include "eddy/fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/art.h"
#include "eddy/http.h"
#include "eddy/mem.h"

#define DEFAULT_MAX_BYTES ((uint64_t)1 << 30)

typedef struct dl {
	FILE *f;
	uint64_t n, max;
} dl;

static int dl_chunk(const char *data, size_t len, void *ud)
{
	dl *d = ud;
	d->n += len;
	if (d->n > d->max)
		return 1;
	return fwrite(data, 1, len, d->f) == len ? 0 : 1;
}

char *fetch_artifact_url(const char *url)
{
	const char *h = getenv("SOURCE_CONTROLLER_LOCALHOST");
	const char *sep = strstr(url, "://");
	if (!h || !*h || !sep)
		return xstrdup(url);
	const char *host = sep + 3;
	const char *rest = host + strcspn(host, "/");
	return xasprintf("%.*s%s%s", (int)(host - url), url, h, rest);
}

/* Download url into file. FETCH_NOT_FOUND when the server said 404, 0 on success, -1 on
 * error. */
static int download(const fetch_options *o, const char *url, const char *file, err *e)
{
	uint64_t max = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
	http_client_opts ho = {.retries = o->retries, .retry_base_ms = 500,
		.retry_max_ms = 30000, .user_agent = o->user_agent};
	http_client *c = http_client_new(&ho, e);
	if (!c)
		return -1;
	FILE *f = fopen(file, "wb");
	if (!f) {
		http_client_free(c);
		return err_fail(e, "ArtifactFailed", "failed to create temp file: %s",
			strerror(errno));
	}
	dl d = {.f = f, .max = max};
	http_client_req rq = {.url = url, .on_chunk = dl_chunk, .chunk_ud = &d,
		.timeout_ms = 5 * 60 * 1000};
	http_response resp;
	int rc = http_client_do(c, &rq, &resp, e);
	if (fclose(f) != 0 && rc == 0)
		rc = err_fail(e, "ArtifactFailed", "failed to write artifact: %s", strerror(errno));
	if (rc == 0 && resp.status == 404)
		rc = FETCH_NOT_FOUND;
	else if (rc == 0 && resp.status != 200)
		rc = err_fail(e, "ArtifactFailed",
			"failed to download archive from %s, status: %ld", url, resp.status);
	else if (rc < 0 && d.n > max)
		err_fail(e, "ArtifactFailed", "artifact from %s exceeds %llu bytes", url,
			(unsigned long long)max);
	http_response_release(&resp);
	http_client_free(c);
	if (rc < 0)
		snprintf(e->reason, sizeof e->reason, "ArtifactFailed");
	return rc;
}

int fetch_archive(const fetch_options *o, const char *url, const char *digest,
	const char *archive, const char *dir, err *e)
{
	int rc = download(o, url, archive, e);
	if (rc != 0)
		return rc;
	art_extract_limits lim = {0};
	if ((digest && art_verify_file(archive, digest, e) < 0) || art_mkdirs(dir, e) < 0 ||
	    art_extract(archive, dir, &lim, e) < 0) {
		snprintf(e->reason, sizeof e->reason, "ArtifactFailed");
		return -1;
	}
	return 0;
}
