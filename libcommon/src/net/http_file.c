/* http_file: serve a file below a root directory with uv_fs (never blocking the loop). */
#include "http_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "eddy/mem.h"

enum { CHUNK = 64 * 1024 };

typedef struct sf {
	uv_fs_t fs;
	uv_loop_t *loop;
	http_request *r;
	char *root, *full, *root_real;
	uv_file fd;
	uint64_t off, end; /* bytes still to send: [off, end) */
	char *chunk;
} sf;

static void sf_free_cb(uv_fs_t *fs)
{
	sf *f = container_of(fs, sf, fs);
	uv_fs_req_cleanup(fs);
	free(f->root);
	free(f->full);
	free(f->root_real);
	free(f->chunk);
	free(f);
}

/* Finish the request (if still ours) and release everything (closing the file). */
static void sf_done(sf *f)
{
	if (f->r) {
		httpi_finish(f->r);
		f->r = NULL;
	}
	uv_fs_req_cleanup(&f->fs);
	if (f->fd >= 0) {
		uv_file fd = f->fd;
		f->fd = -1;
		if (uv_fs_close(f->loop, &f->fs, fd, sf_free_cb) == 0)
			return;
	}
	sf_free_cb(&f->fs);
}

static void sf_fail(sf *f, int status)
{
	http_request *r = f->r;
	f->r = NULL;
	http_respondf(r, status, "text/plain; charset=utf-8", "%s\n", http_status_text(status));
	sf_done(f);
}

static bool path_ok(const char *rel)
{
	if (!*rel)
		return false;
	const char *seg = rel;
	for (;;) {
		const char *slash = strchr(seg, '/');
		size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		if (memchr(seg, '\\', n))
			return false;
		if (!slash)
			return true;
		seg = slash + 1;
	}
}

static void on_read(uv_fs_t *fs);

static void read_next(sf *f)
{
	uv_fs_req_cleanup(&f->fs);
	if (f->off >= f->end) {
		sf_done(f);
		return;
	}
	size_t want = f->end - f->off > CHUNK ? CHUNK : (size_t)(f->end - f->off);
	uv_buf_t b = uv_buf_init(f->chunk, (unsigned)want);
	if (uv_fs_read(f->loop, &f->fs, f->fd, &b, 1, (int64_t)f->off, on_read) < 0) {
		/* the head is out: all we can do is end the connection */
		http_request *r = f->r;
		if (r && r->conn)
			httpi_conn_close(r->conn);
		sf_done(f);
	}
}

static void on_written(void *ud, int status)
{
	sf *f = ud;
	if (status < 0) {
		sf_done(f);
		return;
	}
	read_next(f);
}

static void on_read(uv_fs_t *fs)
{
	sf *f = container_of(fs, sf, fs);
	ssize_t n = fs->result;
	if (n <= 0) {
		/* the file shrank or failed under us: cut the connection (its length was sent) */
		if (f->r && f->r->conn)
			httpi_conn_close(f->r->conn);
		sf_done(f);
		return;
	}
	f->off += (uint64_t)n;
	if (httpi_write_body(f->r, f->chunk, (size_t)n, on_written, f) < 0)
		sf_done(f);
}

static bool etag_matches(const char *list, const char *etag)
{
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == strlen(etag) && strncmp(p, etag, n) == 0)
			return true;
		p += n;
	}
	return false;
}

/* Parse a single "bytes=" range. Returns 1 for a satisfiable range in [*a, *b], 0 to ignore the
 * header (bad syntax, several ranges), -1 when unsatisfiable. */
static int parse_range(const char *h, uint64_t size, uint64_t *a, uint64_t *b)
{
	if (strncasecmp(h, "bytes=", 6) != 0)
		return 0;
	h += 6;
	while (*h == ' ')
		h++;
	if (strchr(h, ','))
		return 0;
	char *end;
	if (*h == '-') {
		if (h[1] < '0' || h[1] > '9')
			return 0;
		errno = 0;
		unsigned long long n = strtoull(h + 1, &end, 10);
		if (errno || *end)
			return 0;
		if (n == 0 || size == 0)
			return -1;
		*a = n >= size ? 0 : size - n;
		*b = size - 1;
		return 1;
	}
	if (*h < '0' || *h > '9')
		return 0;
	errno = 0;
	unsigned long long first = strtoull(h, &end, 10);
	if (errno || *end != '-')
		return 0;
	const char *second = end + 1;
	unsigned long long last = size ? size - 1 : 0;
	if (*second) {
		if (*second < '0' || *second > '9')
			return 0;
		errno = 0;
		last = strtoull(second, &end, 10);
		if (errno || *end || last < first)
			return 0;
		if (size && last >= size)
			last = size - 1;
	}
	if (first >= size)
		return -1;
	*a = first;
	*b = last;
	return 1;
}

static void on_fstat(uv_fs_t *fs)
{
	sf *f = container_of(fs, sf, fs);
	if (fs->result < 0 || !S_ISREG(fs->statbuf.st_mode)) {
		sf_fail(f, 404);
		return;
	}
	uint64_t size = fs->statbuf.st_size;
	uint64_t mtime_ns = (uint64_t)fs->statbuf.st_mtim.tv_sec * 1000000000ull +
			    (uint64_t)fs->statbuf.st_mtim.tv_nsec;
	time_t mt = (time_t)fs->statbuf.st_mtim.tv_sec;
	uv_fs_req_cleanup(fs);
	http_request *r = f->r;
	char etag[64], lm[64];
	snprintf(etag, sizeof etag, "\"%" PRIx64 "-%" PRIx64 "\"", size, mtime_ns);
	struct tm tm;
	gmtime_r(&mt, &tm);
	strftime(lm, sizeof lm, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	http_add_header(r, "ETag", "%s", etag);
	http_add_header(r, "Last-Modified", "%s", lm);
	http_add_header(r, "Accept-Ranges", "bytes");
	const char *ctype = http_content_type_for(f->full);
	const char *inm = http_request_header(r, "If-None-Match");
	if (inm && etag_matches(inm, etag)) {
		httpi_write_head(r, 304, NULL, 0);
		sf_done(f);
		return;
	}
	int status = 200;
	f->off = 0;
	f->end = size;
	const char *range = http_request_header(r, "Range");
	const char *ifr = http_request_header(r, "If-Range");
	if (range && (!ifr || strcmp(ifr, etag) == 0)) {
		uint64_t a = 0, b = 0;
		int pr = parse_range(range, size, &a, &b);
		if (pr < 0) {
			http_add_header(r, "Content-Range", "bytes */%" PRIu64, size);
			sf_fail(f, 416);
			return;
		}
		if (pr > 0) {
			status = 206;
			f->off = a;
			f->end = b + 1;
			http_add_header(r, "Content-Range",
					"bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, a, b, size);
		}
	}
	if (httpi_write_head(r, status, ctype, (int64_t)(f->end - f->off)) < 0 ||
	    http_request_is_head(r) || f->off >= f->end) {
		sf_done(f);
		return;
	}
	f->chunk = xmalloc(CHUNK);
	read_next(f);
}

static void on_open(uv_fs_t *fs)
{
	sf *f = container_of(fs, sf, fs);
	if (fs->result < 0) {
		sf_fail(f, 404);
		return;
	}
	f->fd = (uv_file)fs->result;
	uv_fs_req_cleanup(fs);
	if (uv_fs_fstat(f->loop, &f->fs, f->fd, on_fstat) < 0)
		sf_fail(f, 500);
}

static void on_full_real(uv_fs_t *fs)
{
	sf *f = container_of(fs, sf, fs);
	if (fs->result < 0 || !fs->ptr) {
		sf_fail(f, 404);
		return;
	}
	char *real = xstrdup(fs->ptr);
	uv_fs_req_cleanup(fs);
	size_t rl = strlen(f->root_real);
	bool inside = strncmp(real, f->root_real, rl) == 0 &&
		      (real[rl] == '/' || (rl == 1 && f->root_real[0] == '/'));
	if (!inside) {
		free(real);
		sf_fail(f, 404);
		return;
	}
	int rc = uv_fs_open(f->loop, &f->fs, real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0, on_open);
	free(real);
	if (rc < 0)
		sf_fail(f, 500);
}

static void on_root_real(uv_fs_t *fs)
{
	sf *f = container_of(fs, sf, fs);
	if (fs->result < 0 || !fs->ptr) {
		sf_fail(f, 404);
		return;
	}
	f->root_real = xstrdup(fs->ptr);
	uv_fs_req_cleanup(fs);
	if (uv_fs_realpath(f->loop, &f->fs, f->full, on_full_real) < 0)
		sf_fail(f, 500);
}

void http_serve_file(http_request *r, const char *root_dir, const char *rel_path)
{
	const char *m = http_request_method(r);
	if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) {
		http_add_header(r, "Allow", "GET, HEAD");
		http_respondf(r, 405, "text/plain; charset=utf-8", "method not allowed\n");
		return;
	}
	while (*rel_path == '/')
		rel_path++;
	if (!path_ok(rel_path) || !*root_dir) {
		http_respondf(r, 400, "text/plain; charset=utf-8", "bad path\n");
		return;
	}
	if (!r->conn || r->gone) {
		httpi_finish(r);
		return;
	}
	sf *f = xcalloc(1, sizeof *f);
	f->loop = r->conn->srv->loop;
	f->r = r;
	f->fd = -1;
	f->root = xstrdup(root_dir);
	f->full = xasprintf("%s/%s", root_dir, rel_path);
	if (uv_fs_realpath(f->loop, &f->fs, f->root, on_root_real) < 0)
		sf_fail(f, 500);
}
