/* http_server: connections, request parsing and responses (see eddy/http.h). */
#include "http_internal.h"

#include <ctype.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "eddy/mem.h"

enum {
	DEF_MAX_HEADER_BYTES = 64 * 1024,
	DEF_MAX_HEADERS = 256,
	DEF_MAX_BODY = 4 * 1024 * 1024,
	DEF_HEADER_TIMEOUT = 30000,
	DEF_BODY_TIMEOUT = 60000,
	DEF_IDLE_TIMEOUT = 60000,
	DEF_MAX_CONNS = 1024,
	DEF_MAX_WQ = 16 * 1024 * 1024,
	LINGER_MS = 2000,
	PENDING_SLACK = 256 * 1024, /* more than one read (16 KiB) can add past the limit */
};

static void conn_close(http_conn *c);
static void conn_parse(http_conn *c, const char *p, size_t n);
static void conn_after_response(http_conn *c, bool keep);
static int conn_write_raw(http_conn *c, char *mem, size_t n, httpi_write_done done, void *ud);
static void on_timer(uv_timer_t *t);
static void on_listener_closed(uv_handle_t *h);
static void conn_read_start(http_conn *c);

/* ---- Requests ------------------------------------------------------------------------------ */

static http_request *request_new(http_conn *c)
{
	http_request *r = xcalloc(1, sizeof *r);
	r->conn = c;
	buf_init(&r->hfield, c->srv->o.max_header_bytes);
	buf_init(&r->hvalue, c->srv->o.max_header_bytes);
	buf_init(&r->body, c->srv->o.max_body_bytes);
	buf_init(&r->extra, 64 * 1024);
	r->target = xstrdup("");
	snprintf(r->remote, sizeof r->remote, "%s", c->remote);
	return r;
}

static void request_free(http_request *r)
{
	free(r->target);
	free(r->path);
	free(r->query);
	for (size_t i = 0; i < r->nh; i++) {
		free(r->hn[i]);
		free(r->hv[i]);
	}
	free(r->hn);
	free(r->hv);
	for (size_t i = 0; i < r->nq; i++) {
		free(r->qk[i]);
		free(r->qv[i]);
	}
	free(r->qk);
	free(r->qv);
	buf_release(&r->hfield);
	buf_release(&r->hvalue);
	buf_release(&r->body);
	buf_release(&r->extra);
	free(r->cn);
	if (r->orgs) {
		for (size_t i = 0; i < r->id.n_orgs; i++)
			free(r->orgs[i]);
		free(r->orgs);
	}
	free(r);
}

static void push_header(http_request *r)
{
	if (r->nh == r->hcap) {
		r->hcap = r->hcap ? r->hcap * 2 : 16;
		r->hn = xrealloc(r->hn, r->hcap * sizeof *r->hn);
		r->hv = xrealloc(r->hv, r->hcap * sizeof *r->hv);
	}
	/* trim optional whitespace around the value */
	const char *v = buf_str(&r->hvalue);
	size_t n = r->hvalue.len;
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	r->hn[r->nh] = xstrdup(buf_str(&r->hfield));
	r->hv[r->nh] = xstrndup(v, n);
	r->nh++;
	buf_reset(&r->hfield);
	buf_reset(&r->hvalue);
}

/* ---- Parser callbacks ---------------------------------------------------------------------- */

static void conn_timer_start(http_conn *c, uint64_t ms)
{
	uv_timer_stop(&c->timer);
	if (ms)
		uv_timer_start(&c->timer, on_timer, ms, 0);
}

static int count_header_bytes(http_conn *c, size_t n, int status)
{
	c->header_bytes += n;
	if (c->header_bytes > c->srv->o.max_header_bytes) {
		c->err_status = status;
		return -1;
	}
	return 0;
}

static int on_message_begin(http_parser *p)
{
	http_conn *c = p->data;
	if (c->phase == PHASE_IDLE)
		conn_timer_start(c, c->srv->o.header_timeout_ms);
	c->phase = PHASE_HEADERS;
	c->header_bytes = 0;
	c->nheaders = 0;
	c->in_value = false;
	if (c->cur)
		request_free(c->cur);
	c->cur = request_new(c);
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
	http_conn *c = p->data;
	if (count_header_bytes(c, n, 414))
		return -1;
	size_t old = strlen(c->cur->target);
	c->cur->target = xrealloc(c->cur->target, old + n + 1);
	memcpy(c->cur->target + old, at, n);
	c->cur->target[old + n] = '\0';
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
	http_conn *c = p->data;
	http_request *r = c->cur;
	if (count_header_bytes(c, n, 431))
		return -1;
	if (c->in_value) {
		push_header(r);
		c->in_value = false;
	}
	if (r->hfield.len == 0) {
		if (++c->nheaders > c->srv->o.max_headers) {
			c->err_status = 431;
			return -1;
		}
	}
	if (buf_add(&r->hfield, at, n)) {
		c->err_status = 431;
		return -1;
	}
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
	http_conn *c = p->data;
	if (count_header_bytes(c, n, 431))
		return -1;
	c->in_value = true;
	if (buf_add(&c->cur->hvalue, at, n)) {
		c->err_status = 431;
		return -1;
	}
	return 0;
}

static bool token_eq(const char *v, const char *tok)
{
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strlen(tok);
	if (strncasecmp(v, tok, n))
		return false;
	v += n;
	while (*v == ' ' || *v == '\t')
		v++;
	return *v == '\0';
}

static int on_headers_complete(http_parser *p)
{
	http_conn *c = p->data;
	http_request *r = c->cur;
	if (c->in_value || r->hfield.len)
		push_header(r);
	c->in_value = false;
	r->method = http_method_str(p->method);
	r->head = p->method == HTTP_HEAD;
	r->major = p->http_major;
	r->minor = p->http_minor;
	if (r->major != 1) {
		c->err_status = 505;
		return -1;
	}
	const char *te = http_request_header(r, "Transfer-Encoding");
	if (te && !token_eq(te, "chunked")) {
		c->err_status = 501;
		return -1;
	}
	if ((p->flags & F_CONTENTLENGTH) && p->content_length > c->srv->o.max_body_bytes) {
		c->err_status = 413;
		return -1;
	}
	if (p->upgrade || p->method == HTTP_CONNECT) {
		c->err_status = 501;
		return -1;
	}
	const char *expect = http_request_header(r, "Expect");
	if (expect) {
		if (!token_eq(expect, "100-continue")) {
			c->err_status = 417;
			return -1;
		}
		if (r->major == 1 && r->minor >= 1) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
			conn_write_raw(c, xstrdup(cont), sizeof cont - 1, NULL, NULL);
		}
	}
	c->phase = PHASE_BODY;
	conn_timer_start(c, c->srv->o.body_timeout_ms);
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
	http_conn *c = p->data;
	if (buf_add(&c->cur->body, at, n)) {
		c->err_status = 413;
		return -1;
	}
	return 0;
}

static int on_message_complete(http_parser *p)
{
	http_conn *c = p->data;
	c->cur->keepalive = http_should_keep_alive(p);
	c->phase = PHASE_HANDLING;
	uv_timer_stop(&c->timer);
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* ---- Writing ------------------------------------------------------------------------------- */

typedef struct wreq {
	uv_write_t req;
	http_conn *c;
	char *mem;
	size_t n;
	httpi_write_done done;
	void *ud;
} wreq;

static void conn_start_linger(http_conn *c);
static void on_resume(uv_timer_t *t);

static void on_write_stall(uv_timer_t *t);

/* Bytes of answers not yet taken by the client: queued in libuv plus unacknowledged in the
 * kernel's send queue (a client that reads, acknowledges). */
static size_t unsent(http_conn *c)
{
	size_t q = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
	uv_os_fd_t fd;
	int outq = 0;
	if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 && ioctl(fd, SIOCOUTQ, &outq) == 0 &&
	    outq > 0)
		q += (size_t)outq;
	return q;
}

/* (Re)start the write-stall clock, remembering how much is still unsent. */
static void stall_arm(http_conn *c)
{
	c->stall_mark = unsent(c);
	uv_timer_start(&c->wtimer, on_write_stall, c->srv->o.idle_timeout_ms, 0);
}

/* idle_timeout_ms went by: close unless the client has read some of the queued answer. */
static void on_write_stall(uv_timer_t *t)
{
	http_conn *c = t->data;
	if (c->closing)
		return;
	if (c->writes_pending && unsent(c) < c->stall_mark) {
		stall_arm(c);
		return;
	}
	conn_close(c);
}

static void on_written(uv_write_t *req, int status)
{
	wreq *w = container_of(req, wreq, req);
	http_conn *c = w->c;
	c->write_queued -= w->n;
	c->writes_pending--;
	free(w->mem);
	if (w->done)
		w->done(w->ud, status);
	free(w);
	if (status < 0 && !c->closing) {
		conn_close(c);
		return;
	}
	if (!c->closing) {
		/* the client reads: restart the stall clock (or stop it when all is written) */
		if (c->writes_pending == 0)
			uv_timer_stop(&c->wtimer);
		else
			stall_arm(c);
	}
	if (c->close_after_write && c->writes_pending == 0 && !c->closing && !c->lingering)
		conn_start_linger(c);
	else if (c->wait_drain && !c->closing &&
		 c->write_queued <= c->srv->o.max_write_queue_bytes / 4) {
		c->wait_drain = false;
		if (!c->active)
			uv_timer_start(&c->resume, on_resume, 0, 0);
	}
}

/* Send bytes that are already on the wire format (after TLS). Takes mem. */
static int conn_send(http_conn *c, char *mem, size_t n, httpi_write_done done, void *ud)
{
	if (c->closing) {
		free(mem);
		return -1;
	}
	if (c->is_virtual) {
		if (c->vwrite)
			c->vwrite(c->vud, mem, n);
		free(mem);
		if (done)
			done(ud, 0);
		return 0;
	}
	wreq *w = xcalloc(1, sizeof *w);
	w->c = c;
	w->mem = mem;
	w->n = n;
	w->done = done;
	w->ud = ud;
	uv_buf_t b = uv_buf_init(mem, (unsigned)n);
	int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
	if (rc < 0) {
		free(mem);
		free(w);
		conn_close(c);
		return -1;
	}
	c->write_queued += n;
	if (c->writes_pending++ == 0)
		stall_arm(c);
	return 0;
}

/* Move what OpenSSL has produced to the socket; done (if any) rides on the last piece. */
static int tls_flush(http_conn *c, httpi_write_done done, void *ud)
{
	BIO *wbio = SSL_get_wbio(c->ssl);
	size_t avail = BIO_ctrl_pending(wbio);
	if (avail == 0) {
		if (done)
			done(ud, 0);
		return 0;
	}
	char *mem = xmalloc(avail);
	int got = BIO_read(wbio, mem, (int)avail);
	if (got <= 0) {
		free(mem);
		if (done)
			done(ud, 0);
		return 0;
	}
	return conn_send(c, mem, (size_t)got, done, ud);
}

/* Write plaintext (takes mem). */
static int conn_write_raw(http_conn *c, char *mem, size_t n, httpi_write_done done, void *ud)
{
	if (c->closing) {
		free(mem);
		return -1;
	}
	if (!c->ssl)
		return conn_send(c, mem, n, done, ud);
	size_t off = 0;
	while (off < n) {
		int w = SSL_write(c->ssl, mem + off, (int)(n - off > 1 << 20 ? 1 << 20 : n - off));
		if (w <= 0) {
			free(mem);
			ERR_clear_error();
			conn_close(c);
			return -1;
		}
		off += (size_t)w;
	}
	free(mem);
	return tls_flush(c, done, ud);
}

/* ---- Connection life ----------------------------------------------------------------------- */

static void server_maybe_done(http_server *s);

static void conn_free(http_conn *c)
{
	http_server *s = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	if (c->cur)
		request_free(c->cur);
	buf_release(&c->pending);
	if (c->ssl)
		SSL_free(c->ssl);
	free(c);
	server_maybe_done(s);
}

static void on_handle_closed(uv_handle_t *h)
{
	http_conn *c = h->data;
	if (--c->open_handles > 0)
		return;
	/* Report the close to an unfinished request (rule 3 of http.h), then let the request live
	 * on by itself. */
	http_request *r = c->active;
	if (r) {
		c->active = NULL;
		r->conn = NULL;
		r->gone = true;
		if (r->on_close)
			r->on_close(r, r->on_close_data);
	}
	/* a virtual connection is freed by its owner's httpi_conn_close */
	if (c->is_virtual && !c->released) {
		c->handles_closed = true;
		return;
	}
	conn_free(c);
}

static void conn_close(http_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->active)
		c->active->gone = true;
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->resume, on_handle_closed);
	uv_close((uv_handle_t *)&c->wtimer, on_handle_closed);
	if (!c->is_virtual)
		uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	free(req);
}

/* The response is out: send FIN (TLS close_notify first) and drain input for a while, so that
 * unread request bytes do not make the kernel reset the connection before the client has read
 * the answer. */
static void conn_start_linger(http_conn *c)
{
	c->lingering = true;
	c->phase = PHASE_LINGER;
	if (c->is_virtual) {
		conn_close(c);
		return;
	}
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		ERR_clear_error();
		tls_flush(c, NULL, NULL);
		if (c->closing)
			return;
	}
	uv_shutdown_t *sr = xcalloc(1, sizeof *sr);
	if (uv_shutdown(sr, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
		free(sr);
		conn_close(c);
		return;
	}
	if (c->read_stopped) {
		c->read_stopped = false;
		conn_read_start(c);
	}
	conn_timer_start(c, LINGER_MS);
}

static void send_error(http_conn *c, int status);

static void on_timer(uv_timer_t *t)
{
	http_conn *c = t->data;
	if (c->closing)
		return;
	if (c->phase == PHASE_IDLE && c->writes_pending) {
		/* still writing the last answer (the stall timer watches that): not idle yet */
		conn_timer_start(c, c->srv->o.idle_timeout_ms);
		return;
	}
	if ((c->phase == PHASE_HEADERS || c->phase == PHASE_BODY) && !c->close_after_write) {
		/* slow client: answer 408 and close */
		send_error(c, 408);
		return;
	}
	conn_close(c);
}

static void send_error(http_conn *c, int status)
{
	char head[256];
	const char *text = http_status_text(status);
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
			 "Connection: close\r\nContent-Length: %zu\r\n\r\n%s\n",
			 status, text, strlen(text) + 1, text);
	c->close_after_write = true;
	c->phase = PHASE_LINGER;
	uv_timer_stop(&c->timer);
	if (conn_write_raw(c, xstrndup(head, (size_t)n), (size_t)n, NULL, NULL) < 0)
		return;
	if (c->writes_pending == 0 && !c->closing)
		conn_start_linger(c);
	else if (!c->closing)
		conn_timer_start(c, LINGER_MS * 5);
}

static int finalize_target(http_request *r)
{
	const char *t = r->target;
	const char *path = t;
	size_t plen;
	const char *q = NULL;
	size_t qlen = 0;
	if (t[0] == '/') {
		const char *qm = strchr(t, '?');
		const char *hash = strchr(t, '#');
		plen = qm ? (size_t)(qm - t) : hash ? (size_t)(hash - t) : strlen(t);
		if (qm) {
			q = qm + 1;
			qlen = hash && hash > qm ? (size_t)(hash - q) : strlen(q);
		}
	} else if (strcmp(t, "*") == 0) {
		plen = 1;
	} else {
		struct http_parser_url u;
		http_parser_url_init(&u);
		if (http_parser_parse_url(t, strlen(t), 0, &u))
			return -1;
		if (u.field_set & (1 << UF_PATH)) {
			path = t + u.field_data[UF_PATH].off;
			plen = u.field_data[UF_PATH].len;
		} else {
			path = "/";
			plen = 1;
		}
		if (u.field_set & (1 << UF_QUERY)) {
			q = t + u.field_data[UF_QUERY].off;
			qlen = u.field_data[UF_QUERY].len;
		}
	}
	r->path = httpi_url_decode(path, plen, false);
	if (!r->path)
		return -1;
	r->query = q ? xstrndup(q, qlen) : xstrdup("");
	return 0;
}

static void dispatch(http_conn *c)
{
	http_request *r = c->cur;
	c->cur = NULL;
	if (finalize_target(r) < 0) {
		request_free(r);
		send_error(c, 400);
		return;
	}
	r->tls = c->ssl != NULL;
	if (c->ssl)
		httpi_tls_identity(r, c->ssl);
	c->active = r;
	c->srv->handler(r, c->srv->data);
}

static void conn_stop_reading(http_conn *c)
{
	if (!c->read_stopped && !c->is_virtual) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->read_stopped = true;
	}
}

static void stash(http_conn *c, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (buf_add(&c->pending, p, n)) {
		conn_close(c);
		return;
	}
	/* bytes that wait while a request is handled stay small: beyond one request head's worth,
	 * stop reading (backpressure); a watch's client going away shows on the next write */
	size_t limit = c->srv->o.max_header_bytes;
	if (c->pending.len >= limit)
		conn_stop_reading(c);
}

/* Parse request bytes; dispatches complete requests one at a time. */
static void conn_parse(http_conn *c, const char *p, size_t n)
{
	while (n > 0 && !c->closing && !c->close_after_write) {
		if (c->active) {
			stash(c, p, n);
			return;
		}
		if (c->write_queued > c->srv->o.max_write_queue_bytes / 2) {
			/* a pipelining client that does not read its answers: wait for the queue to
			 * drain before taking more requests */
			c->wait_drain = true;
			stash(c, p, n);
			conn_stop_reading(c);
			return;
		}
		size_t used = http_parser_execute(&c->parser, &settings, p, n);
		enum http_errno en = HTTP_PARSER_ERRNO(&c->parser);
		if (en == HPE_PAUSED) {
			http_parser_pause(&c->parser, 0);
			p += used;
			n -= used;
			dispatch(c);
			continue;
		}
		if (en != HPE_OK) {
			int status = c->err_status;
			if (!status)
				status = en == HPE_HEADER_OVERFLOW		 ? 431
					 : en == HPE_INVALID_TRANSFER_ENCODING ? 501
									       : 400;
			send_error(c, status);
			return;
		}
		p += used;
		n -= used;
		if (used == 0)
			break;
	}
}

static void on_resume(uv_timer_t *t)
{
	http_conn *c = t->data;
	if (c->closing || c->active)
		return;
	if (c->read_stopped && !c->is_virtual) {
		c->read_stopped = false;
		conn_read_start(c);
	}
	if (c->pending.len == 0)
		return;
	size_t n;
	char *data = buf_detach(&c->pending, &n);
	conn_parse(c, data, n);
	free(data);
}

static void conn_after_response(http_conn *c, bool keep)
{
	if (c->closing)
		return;
	if (!keep) {
		c->close_after_write = true;
		if (c->writes_pending == 0)
			conn_start_linger(c);
		return;
	}
	c->phase = PHASE_IDLE;
	conn_timer_start(c, c->srv->o.idle_timeout_ms);
	if (c->pending.len || c->read_stopped)
		uv_timer_start(&c->resume, on_resume, 0, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	http_conn *c = h->data;
	*b = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void feed_plain(http_conn *c, const char *p, size_t n)
{
	if (c->lingering)
		return;
	if (c->phase == PHASE_NEW)
		c->phase = PHASE_HEADERS;
	conn_parse(c, p, n);
}

static void feed_tls(http_conn *c, const char *p, size_t n)
{
	BIO *rbio = SSL_get_rbio(c->ssl);
	if (BIO_write(rbio, p, (int)n) != (int)n) {
		conn_close(c);
		return;
	}
	if (!c->tls_ready) {
		int rc = SSL_do_handshake(c->ssl);
		if (rc != 1) {
			int e = SSL_get_error(c->ssl, rc);
			ERR_clear_error();
			tls_flush(c, NULL, NULL);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				conn_close(c);
			return;
		}
		c->tls_ready = true;
		tls_flush(c, NULL, NULL);
	}
	char plain[16384];
	while (!c->closing) {
		int got = SSL_read(c->ssl, plain, sizeof plain);
		if (got <= 0) {
			int e = SSL_get_error(c->ssl, got);
			ERR_clear_error();
			if (e == SSL_ERROR_ZERO_RETURN) {
				if (!c->lingering)
					conn_close(c);
			} else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				conn_close(c);
			}
			break;
		}
		feed_plain(c, plain, (size_t)got);
	}
	if (!c->closing)
		tls_flush(c, NULL, NULL);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
	http_conn *c = st->data;
	if (c->closing)
		return;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (nread == 0)
		return;
	if (c->lingering && !c->ssl)
		return;
	if (c->ssl)
		feed_tls(c, b->base, (size_t)nread);
	else
		feed_plain(c, b->base, (size_t)nread);
}

static void conn_read_start(http_conn *c)
{
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
		conn_close(c);
}

static http_conn *conn_new(http_server *s)
{
	http_conn *c = xcalloc(1, sizeof *c);
	c->srv = s;
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	c->phase = PHASE_NEW;
	buf_init(&c->pending, s->o.max_header_bytes + PENDING_SLACK);
	uv_timer_init(s->loop, &c->timer);
	uv_timer_init(s->loop, &c->resume);
	uv_timer_init(s->loop, &c->wtimer);
	c->timer.data = c;
	c->resume.data = c;
	c->wtimer.data = c;
	c->open_handles = 3;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	return c;
}

static void on_reject_closed(uv_handle_t *h)
{
	free(h);
}

static void on_connection(uv_stream_t *ls, int status)
{
	http_server *s = ls->data;
	if (status < 0 || s->closing)
		return;
	if (s->nconns >= s->o.max_connections) {
		uv_tcp_t *t = xcalloc(1, sizeof *t);
		uv_tcp_init(s->loop, t);
		if (uv_accept(ls, (uv_stream_t *)t) == 0)
			uv_tcp_close_reset(t, on_reject_closed);
		else
			uv_close((uv_handle_t *)t, on_reject_closed);
		return;
	}
	http_conn *c = conn_new(s);
	uv_tcp_init(s->loop, &c->tcp);
	c->tcp.data = c;
	c->open_handles++;
	if (uv_accept(ls, (uv_stream_t *)&c->tcp) < 0) {
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	struct sockaddr_storage ss;
	int len = sizeof ss;
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
		char ip[64] = "";
		int port = 0;
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			uv_ip4_name(a, ip, sizeof ip);
			port = ntohs(a->sin_port);
			snprintf(c->remote, sizeof c->remote, "%s:%d", ip, port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			uv_ip6_name(a, ip, sizeof ip);
			port = ntohs(a->sin6_port);
			snprintf(c->remote, sizeof c->remote, "[%s]:%d", ip, port);
		}
	}
	if (s->tls) {
		c->ssl = SSL_new(s->tls);
		BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
		if (!c->ssl || !rb || !wb) {
			BIO_free(rb);
			BIO_free(wb);
			conn_close(c);
			return;
		}
		SSL_set_bio(c->ssl, rb, wb);
		SSL_set_accept_state(c->ssl);
	}
	uv_timer_start(&c->timer, on_timer, s->o.header_timeout_ms, 0);
	conn_read_start(c);
}

/* ---- Virtual connections (fuzzing, tests) -------------------------------------------------- */

http_conn *httpi_conn_virtual(http_server *s, void (*write)(void *ud, const char *p, size_t n),
			      void *ud)
{
	http_conn *c = conn_new(s);
	c->is_virtual = true;
	c->vwrite = write;
	c->vud = ud;
	snprintf(c->remote, sizeof c->remote, "virtual:0");
	return c;
}

void httpi_conn_feed(http_conn *c, const char *p, size_t n)
{
	if (!c->closing)
		feed_plain(c, p, n);
}

void httpi_conn_close(http_conn *c)
{
	c->released = true;
	if (c->handles_closed)
		conn_free(c);
	else
		conn_close(c);
}

/* ---- Server -------------------------------------------------------------------------------- */

#define DEF(field, v)                                                                            \
	do {                                                                                     \
		if (!s->o.field)                                                                 \
			s->o.field = (v);                                                        \
	} while (0)

static char *dup_or_null(const char *p)
{
	return p ? xstrdup(p) : NULL;
}

http_server *http_server_new(uv_loop_t *loop, const http_server_opts *opts, http_handler handler,
			     void *data, err *e)
{
	httpi_ignore_sigpipe();
	http_server *s = xcalloc(1, sizeof *s);
	s->loop = loop;
	if (opts)
		s->o = *opts;
	DEF(max_header_bytes, DEF_MAX_HEADER_BYTES);
	DEF(max_headers, DEF_MAX_HEADERS);
	DEF(max_body_bytes, DEF_MAX_BODY);
	DEF(header_timeout_ms, DEF_HEADER_TIMEOUT);
	DEF(body_timeout_ms, DEF_BODY_TIMEOUT);
	DEF(idle_timeout_ms, DEF_IDLE_TIMEOUT);
	DEF(max_connections, DEF_MAX_CONNS);
	DEF(max_write_queue_bytes, DEF_MAX_WQ);
	s->cert_file = dup_or_null(s->o.tls_cert_file);
	s->key_file = dup_or_null(s->o.tls_key_file);
	s->ca_file = dup_or_null(s->o.tls_client_ca_file);
	s->cert_pem = dup_or_null(s->o.tls_cert_pem);
	s->key_pem = dup_or_null(s->o.tls_key_pem);
	s->ca_pem = dup_or_null(s->o.tls_client_ca_pem);
	s->o.tls_cert_file = s->cert_file;
	s->o.tls_key_file = s->key_file;
	s->o.tls_client_ca_file = s->ca_file;
	s->o.tls_cert_pem = s->cert_pem;
	s->o.tls_key_pem = s->key_pem;
	s->o.tls_client_ca_pem = s->ca_pem;
	s->handler = handler;
	s->data = data;
	uv_tcp_init(loop, &s->listener);
	s->listener.data = s;
	s->listener_open = true;
	if (s->cert_file || s->cert_pem || s->key_file || s->key_pem) {
		s->tls = httpi_tls_server_ctx(s, e);
		if (!s->tls)
			goto fail;
	}
	return s;
fail:
	/* nothing but the unused listener handle exists; it is freed in its close callback */
	s->closing = true;
	uv_close((uv_handle_t *)&s->listener, on_listener_closed);
	return NULL;
}

static int parse_addr(const char *addr, struct sockaddr_storage *ss, err *e)
{
	const char *colon = strrchr(addr, ':');
	if (!colon)
		return err_fail(e, "InvalidAddress", "listen address %s has no port", addr);
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return err_fail(e, "InvalidAddress", "listen address %s has a bad port", addr);
	char host[64];
	size_t hl = (size_t)(colon - addr);
	if (hl >= sizeof host)
		return err_fail(e, "InvalidAddress", "listen address %s: host too long", addr);
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)ss) == 0)
			return 0;
	} else if (hl == 0) {
		if (uv_ip4_addr("0.0.0.0", (int)port, (struct sockaddr_in *)ss) == 0)
			return 0;
	} else if (strcmp(host, "localhost") == 0) {
		if (uv_ip4_addr("127.0.0.1", (int)port, (struct sockaddr_in *)ss) == 0)
			return 0;
	} else if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0) {
		return 0;
	} else if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0) {
		return 0;
	}
	return err_fail(e, "InvalidAddress", "listen address %s: not an IP address", addr);
}

int http_server_listen(http_server *s, const char *addr, err *e)
{
	if (s->listening || s->closing)
		return err_fail(e, "InvalidState", "http server already listening");
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	if (parse_addr(addr, &ss, e) < 0)
		return -1;
	s->listening = true;
	int rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
	if (rc < 0)
		return err_fail(e, "ListenFailed", "listen on %s: %s", addr, uv_strerror(rc));
	struct sockaddr_storage b;
	int len = sizeof b;
	if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&b, &len) == 0) {
		char ip[64] = "";
		if (b.ss_family == AF_INET6) {
			uv_ip6_name((struct sockaddr_in6 *)&b, ip, sizeof ip);
			s->port = ntohs(((struct sockaddr_in6 *)&b)->sin6_port);
			snprintf(s->address, sizeof s->address, "[%s]:%d", ip, s->port);
		} else {
			uv_ip4_name((struct sockaddr_in *)&b, ip, sizeof ip);
			s->port = ntohs(((struct sockaddr_in *)&b)->sin_port);
			snprintf(s->address, sizeof s->address, "%s:%d", ip, s->port);
		}
	}
	return 0;
}

int http_server_port(const http_server *s)
{
	return s->port;
}

const char *http_server_address(const http_server *s)
{
	return s->address;
}

size_t http_server_connections(const http_server *s)
{
	return s->nconns;
}

static void server_maybe_done(http_server *s)
{
	if (!s->closing || s->listener_open || s->nconns)
		return;
	void (*cb)(void *) = s->close_cb;
	void *d = s->close_data;
	if (s->tls)
		SSL_CTX_free(s->tls);
	free(s->cert_file);
	free(s->key_file);
	free(s->ca_file);
	free(s->cert_pem);
	free(s->key_pem);
	free(s->ca_pem);
	free(s);
	if (cb)
		cb(d);
}

static void on_listener_closed(uv_handle_t *h)
{
	http_server *s = h->data;
	s->listener_open = false;
	server_maybe_done(s);
}

void http_server_close(http_server *s, void (*cb)(void *data), void *data)
{
	if (s->closing)
		return;
	s->closing = true;
	s->close_cb = cb;
	s->close_data = data;
	for (http_conn *c = s->conns; c; c = c->next)
		conn_close(c);
	uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}

/* ---- Request getters ------------------------------------------------------------------------ */

const char *http_request_method(const http_request *r)
{
	return r->method ? r->method : "";
}

bool http_request_is_head(const http_request *r)
{
	return r->head;
}

const char *http_request_raw_target(const http_request *r)
{
	return r->target;
}

const char *http_request_path(const http_request *r)
{
	return r->path ? r->path : "";
}

const char *http_request_query(const http_request *r)
{
	return r->query ? r->query : "";
}

static void parse_query(http_request *rr)
{
	http_request *r = rr;
	r->q_parsed = true;
	const char *q = http_request_query(r);
	size_t cap = 0;
	while (*q && r->nq < 1024) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		if (len) {
			const char *eq = memchr(q, '=', len);
			size_t kl = eq ? (size_t)(eq - q) : len;
			char *k = httpi_url_decode(q, kl, true);
			char *v = eq ? httpi_url_decode(eq + 1, len - kl - 1, true) : xstrdup("");
			if (k && v) {
				if (r->nq == cap) {
					cap = cap ? cap * 2 : 8;
					r->qk = xrealloc(r->qk, cap * sizeof *r->qk);
					r->qv = xrealloc(r->qv, cap * sizeof *r->qv);
				}
				r->qk[r->nq] = k;
				r->qv[r->nq] = v;
				r->nq++;
			} else {
				free(k);
				free(v);
			}
		}
		if (!amp)
			break;
		q = amp + 1;
	}
}

const char *http_request_query_param_n(const http_request *r, const char *key, size_t n)
{
	if (!r->q_parsed)
		parse_query((http_request *)r);
	for (size_t i = 0; i < r->nq; i++)
		if (strcmp(r->qk[i], key) == 0 && n-- == 0)
			return r->qv[i];
	return NULL;
}

const char *http_request_header(const http_request *r, const char *name)
{
	for (size_t i = 0; i < r->nh; i++)
		if (strcasecmp(r->hn[i], name) == 0)
			return r->hv[i];
	return NULL;
}

bool http_request_header_at(const http_request *r, size_t i, const char **name,
			    const char **value)
{
	if (i >= r->nh)
		return false;
	*name = r->hn[i];
	*value = r->hv[i];
	return true;
}

const char *http_request_body(const http_request *r, size_t *len)
{
	if (len)
		*len = r->body.len;
	return buf_str(&r->body);
}

void http_request_version(const http_request *r, int *major, int *minor)
{
	*major = r->major;
	*minor = r->minor;
}

const char *http_request_remote_addr(const http_request *r)
{
	return r->remote;
}

bool http_request_is_tls(const http_request *r)
{
	return r->tls;
}

const http_tls_identity *http_request_tls_client(const http_request *r)
{
	return r->has_id ? &r->id : NULL;
}

void http_request_on_close(http_request *r, void (*cb)(http_request *r, void *data), void *data)
{
	r->on_close = cb;
	r->on_close_data = data;
}

bool http_request_client_gone(const http_request *r)
{
	return r->gone || !r->conn || r->conn->closing;
}

size_t http_request_write_queue(const http_request *r)
{
	return r->conn && !r->conn->closing ? r->conn->write_queued : 0;
}

/* ---- Responses ----------------------------------------------------------------------------- */

static bool bad_header_text(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n')
			return true;
	return false;
}

int http_add_header(http_request *r, const char *name, const char *fmt, ...)
{
	if (r->started || r->finished || !*name || bad_header_text(name) ||
	    strchr(name, ':') || strcasecmp(name, "Content-Length") == 0 ||
	    strcasecmp(name, "Transfer-Encoding") == 0 || strcasecmp(name, "Connection") == 0)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *v = xvasprintf(fmt, ap);
	va_end(ap);
	if (bad_header_text(v)) {
		free(v);
		return -1;
	}
	size_t old = r->extra.len;
	if (buf_addf(&r->extra, "%s: %s\r\n", name, v) < 0) {
		r->extra.len = old;
		free(v);
		return -1;
	}
	free(v);
	return 0;
}

static bool status_has_body(int status)
{
	return !(status < 200 || status == 204 || status == 304);
}

int httpi_write_head(http_request *r, int status, const char *ctype, int64_t content_length)
{
	if (r->started)
		return -1;
	r->started = true;
	http_conn *c = r->conn;
	if (!c || c->closing || r->gone)
		return -1;
	bool keep = r->keepalive && !c->srv->closing;
	if (!status_has_body(status))
		content_length = 0;
	if (content_length < 0) {
		if (r->major == 1 && r->minor >= 1)
			r->chunked = true;
		else
			keep = false;
	}
	r->close_at_end = !keep;
	buf h;
	buf_init(&h, 128 * 1024);
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	buf_addf(&h, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, http_status_text(status), date);
	if (ctype && !bad_header_text(ctype))
		buf_addf(&h, "Content-Type: %s\r\n", ctype);
	buf_add(&h, r->extra.data ? r->extra.data : "", r->extra.len);
	if (content_length >= 0) {
		if (status_has_body(status))
			buf_addf(&h, "Content-Length: %lld\r\n", (long long)content_length);
	} else if (r->chunked) {
		buf_adds(&h, "Transfer-Encoding: chunked\r\n");
	}
	if (!keep)
		buf_adds(&h, "Connection: close\r\n");
	else if (r->major == 1 && r->minor == 0)
		buf_adds(&h, "Connection: keep-alive\r\n");
	buf_adds(&h, "\r\n");
	size_t n;
	char *mem = buf_detach(&h, &n);
	return conn_write_raw(c, mem, n, NULL, NULL);
}

int httpi_write_body(http_request *r, const char *p, size_t n, httpi_write_done done, void *ud)
{
	http_conn *c = r->conn;
	if (!c || c->closing || r->gone)
		return -1;
	if (n == 0) {
		if (done)
			done(ud, 0);
		return 0;
	}
	if (c->write_queued + n > c->srv->o.max_write_queue_bytes) {
		conn_close(c);
		return -1;
	}
	char *mem = xmalloc(n);
	memcpy(mem, p, n);
	return conn_write_raw(c, mem, n, done, ud);
}

void httpi_finish(http_request *r)
{
	if (r->finished)
		return;
	r->finished = true;
	http_conn *c = r->conn;
	bool keep = !r->close_at_end && r->started;
	if (c) {
		c->active = NULL;
		r->conn = NULL;
		if (!c->closing)
			conn_after_response(c, keep);
	}
	request_free(r);
}

static int respond_mem(http_request *r, int status, const char *ctype, char *body, size_t len)
{
	if (r->finished) {
		free(body);
		return -1;
	}
	int rc = -1;
	if (!r->started) {
		rc = httpi_write_head(r, status, ctype, (int64_t)len);
		if (rc == 0 && len && !r->head && status_has_body(status)) {
			http_conn *c = r->conn;
			rc = conn_write_raw(c, body, len, NULL, NULL);
			body = NULL;
		}
	}
	free(body);
	httpi_finish(r);
	return rc;
}

int http_respond(http_request *r, int status, const char *content_type, const void *body,
		 size_t len)
{
	char *mem = NULL;
	if (len) {
		mem = xmalloc(len);
		memcpy(mem, body, len);
	}
	return respond_mem(r, status, content_type, mem, len);
}

int http_respond_take(http_request *r, int status, const char *content_type, char *body,
		      size_t len)
{
	if (!len) {
		free(body);
		body = NULL;
	}
	return respond_mem(r, status, content_type, body, len);
}

int http_respondf(http_request *r, int status, const char *content_type, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return http_respond_take(r, status, content_type, s, strlen(s));
}

int http_stream_begin(http_request *r, int status, const char *content_type)
{
	if (r->finished)
		return -1;
	return httpi_write_head(r, status, content_type, -1);
}

int http_stream_write(http_request *r, const void *data, size_t len)
{
	if (r->finished || !r->started || len == 0)
		return r->finished || !r->started ? -1 : 0;
	http_conn *c = r->conn;
	if (!c || c->closing || r->gone)
		return -1;
	if (r->head)
		return 0;
	if (c->write_queued + len > c->srv->o.max_write_queue_bytes) {
		conn_close(c);
		return -1;
	}
	if (!r->chunked) {
		char *mem = xmalloc(len);
		memcpy(mem, data, len);
		return conn_write_raw(c, mem, len, NULL, NULL);
	}
	char hdr[32];
	int hl = snprintf(hdr, sizeof hdr, "%zx\r\n", len);
	char *mem = xmalloc((size_t)hl + len + 2);
	memcpy(mem, hdr, (size_t)hl);
	memcpy(mem + hl, data, len);
	memcpy(mem + hl + len, "\r\n", 2);
	return conn_write_raw(c, mem, (size_t)hl + len + 2, NULL, NULL);
}

int http_stream_end(http_request *r)
{
	if (r->finished)
		return -1;
	int rc = -1;
	http_conn *c = r->conn;
	if (r->started && c && !c->closing && !r->gone) {
		rc = 0;
		if (r->chunked && !r->head) {
			static const char last[] = "0\r\n\r\n";
			rc = conn_write_raw(c, xstrdup(last), sizeof last - 1, NULL, NULL);
		}
	} else if (!r->started && c && !c->closing && !r->gone) {
		/* never began: answer with an empty 500 */
		rc = httpi_write_head(r, 500, NULL, 0);
	}
	httpi_finish(r);
	return rc;
}
