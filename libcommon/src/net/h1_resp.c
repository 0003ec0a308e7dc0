/* h1: the response parser, http-parser in response mode with a head cap (eddy/h1.h). */
#include "eddy/h1.h"
#include "eddy/mem.h"

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>

struct h1_resp {
	http_parser p;
	h1_sink_fn sink;
	void *ud;
	bool head;
	bool started;       /* some byte fed */
	bool in_headers;    /* status line or headers being parsed */
	bool informational; /* a 1xx answer, skipped */
	bool done;
	bool keep_alive;
	bool sink_failed;
	size_t head_bytes;
	char error[160];
};

static h1_resp *of(http_parser *p)
{
	return p->data;
}

static int count_head(http_parser *p, size_t n)
{
	h1_resp *r = of(p);
	r->head_bytes += n;
	if (r->head_bytes > H1_HEADER_MAX) {
		snprintf(r->error, sizeof r->error, "answer headers larger than %d bytes",
			H1_HEADER_MAX);
		return -1;
	}
	return 0;
}

static int on_message_begin(http_parser *p)
{
	h1_resp *r = of(p);
	r->in_headers = true;
	r->head_bytes = 0;
	return 0;
}

static int on_status(http_parser *p, const char *at, size_t n)
{
	(void)at;
	return count_head(p, n);
}

static int on_header(http_parser *p, const char *at, size_t n)
{
	(void)at;
	return count_head(p, n + 4); /* ": " and CRLF count as well */
}

static int on_headers_complete(http_parser *p)
{
	h1_resp *r = of(p);
	r->in_headers = false;
	r->informational = p->status_code >= 100 && p->status_code < 200;
	if (p->status_code == 101) {
		snprintf(r->error, sizeof r->error, "unexpected protocol switch (101)");
		return -1;
	}
	return r->head && !r->informational ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
	h1_resp *r = of(p);
	if (r->sink && r->sink(r->ud, (long)p->status_code, at, n) != 0) {
		r->sink_failed = true;
		return -1;
	}
	return 0;
}

static int on_message_complete(http_parser *p)
{
	h1_resp *r = of(p);
	if (r->informational) {
		r->informational = false;
		return 0; /* the real answer follows */
	}
	r->done = true;
	r->keep_alive = http_should_keep_alive(p) != 0;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_status = on_status,
	.on_header_field = on_header,
	.on_header_value = on_header,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

h1_resp *h1_resp_new(bool head, h1_sink_fn sink, void *ud)
{
	h1_resp *r = xcalloc(1, sizeof *r);
	http_parser_init(&r->p, HTTP_RESPONSE);
	r->p.data = r;
	r->head = head;
	r->sink = sink;
	r->ud = ud;
	return r;
}

void h1_resp_free(h1_resp *r)
{
	free(r);
}

static h1_feed fail_eof(h1_resp *r)
{
	if (!r->started)
		snprintf(r->error, sizeof r->error, "Empty reply from server");
	else if (r->in_headers || r->p.status_code == 0)
		snprintf(r->error, sizeof r->error, "connection closed in the answer's headers");
	else if (r->p.flags & F_CHUNKED)
		snprintf(r->error, sizeof r->error,
			"transfer closed with outstanding read data remaining");
	else
		snprintf(r->error, sizeof r->error, "transfer closed with %llu bytes remaining to read",
			(unsigned long long)r->p.content_length);
	return H1_FEED_ERROR;
}

h1_feed h1_resp_feed(h1_resp *r, const char *p, size_t n, size_t *used)
{
	if (used)
		*used = 0;
	if (r->done)
		return H1_FEED_DONE;
	if (r->error[0] || r->sink_failed)
		return H1_FEED_ERROR;
	if (n == 0) {
		if (!r->started)
			return fail_eof(r);
		http_parser_execute(&r->p, &settings, NULL, 0);
		if (r->done) {
			r->keep_alive = false;
			return H1_FEED_DONE;
		}
		return fail_eof(r);
	}
	r->started = true;
	size_t k = http_parser_execute(&r->p, &settings, p, n);
	enum http_errno en = HTTP_PARSER_ERRNO(&r->p);
	if (r->done) {
		if (used)
			*used = k;
		return H1_FEED_DONE;
	}
	if (en != HPE_OK) {
		if (!r->error[0] && !r->sink_failed)
			snprintf(r->error, sizeof r->error, "malformed answer: %s",
				http_errno_description(en));
		return H1_FEED_ERROR;
	}
	if (used)
		*used = k;
	return H1_FEED_MORE;
}

long h1_resp_status(const h1_resp *r)
{
	return r->p.status_code && !r->informational ? (long)r->p.status_code : 0;
}

bool h1_resp_keep_alive(const h1_resp *r)
{
	return r->done && r->keep_alive;
}

bool h1_resp_sink_failed(const h1_resp *r)
{
	return r->sink_failed;
}

bool h1_resp_started(const h1_resp *r)
{
	return r->started;
}

const char *h1_resp_error(const h1_resp *r)
{
	if (r->sink_failed)
		return "Failure writing output to destination";
	return r->error[0] ? r->error : "malformed answer";
}
