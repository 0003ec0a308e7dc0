/* Fuzz the server's per-connection parse/dispatch path from a buffer (no sockets): the bytes go
 * to a virtual connection in two pieces (split where the first byte says), the handler reads
 * every part of the request and answers synchronously, by streaming, or later (asynchronously,
 * which makes the server stash pipelined bytes and resume from the loop). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_internal.h"
#include "eddy/mem.h"

static uv_loop_t loop;
static http_server *srv;
static http_request *deferred;
static size_t sink_bytes;

static void out(void *ud, const char *p, size_t n)
{
	sink_bytes += n;
	if (n)
		sink_bytes += (unsigned char)p[n - 1] & 1;
}

static void handler(http_request *r, void *d)
{
	const char *name, *value;
	size_t len, acc = strlen(http_request_method(r)) + strlen(http_request_path(r)) +
			  strlen(http_request_query(r)) + strlen(http_request_raw_target(r));
	for (size_t i = 0; http_request_header_at(r, i, &name, &value); i++)
		acc += strlen(name) + strlen(value);
	for (size_t i = 0; i < 4; i++) {
		const char *q = http_request_query_param_n(r, "a", i);
		acc += q ? strlen(q) : 0;
	}
	const char *host = http_request_header(r, "host");
	const char *body = http_request_body(r, &len);
	acc += (host ? strlen(host) : 0) + len + (body[len] == '\0');
	http_add_header(r, "X-Acc", "%zu", acc);
	const char *path = http_request_path(r);
	if (strncmp(path, "/async", 6) == 0 && !deferred) {
		deferred = r;
	} else if (strncmp(path, "/stream", 7) == 0) {
		http_stream_begin(r, 200, "text/plain");
		http_stream_write(r, body, len);
		http_stream_write(r, path, strlen(path));
		http_stream_end(r);
	} else {
		http_respond(r, len ? 201 : 200, "text/plain", body, len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!srv) {
		mem_install_hooks();
		uv_loop_init(&loop);
		http_server_opts o = {.max_header_bytes = 4096, .max_headers = 32,
				      .max_body_bytes = 16384};
		srv = http_server_new(&loop, &o, handler, NULL, NULL);
		if (!srv)
			abort();
	}
	http_conn *c = httpi_conn_virtual(srv, out, NULL);
	size_t cut = size ? data[0] % (size + 1) : 0;
	httpi_conn_feed(c, (const char *)data, cut);
	httpi_conn_feed(c, (const char *)data + cut, size - cut);
	for (int i = 0; i < 8 && deferred; i++) {
		http_request *r = deferred;
		deferred = NULL;
		http_respond(r, 202, NULL, "later", 5);
		uv_run(&loop, UV_RUN_NOWAIT); /* the resume timer parses stashed input */
	}
	if (deferred) {
		http_stream_end(deferred);
		deferred = NULL;
	}
	httpi_conn_close(c);
	uv_run(&loop, UV_RUN_NOWAIT);
	return 0;
}
