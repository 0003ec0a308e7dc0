/* Internal parts of the http module shared by http_*.c and the fuzz target. */
#ifndef EDDY_HTTP_INTERNAL_H
#define EDDY_HTTP_INTERNAL_H

#include <http_parser.h>
#include <openssl/ssl.h>
#include <stdint.h>

#include "eddy/http.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

typedef struct http_conn http_conn;

enum conn_phase {
	PHASE_NEW,      /* accepted, no byte of a request yet: header timeout runs */
	PHASE_IDLE,     /* keep-alive between requests: idle timeout runs */
	PHASE_HEADERS,  /* reading a request's head: header timeout runs */
	PHASE_BODY,     /* reading its body: body timeout runs */
	PHASE_HANDLING, /* the handler owns a request: no timeout */
	PHASE_LINGER,   /* response sent, FIN sent, draining input until EOF or a short timeout */
};

struct http_server {
	uv_loop_t *loop;
	uv_tcp_t listener;
	bool listening, listener_open, closing;
	http_server_opts o;
	char *cert_file, *key_file, *ca_file, *cert_pem, *key_pem, *ca_pem;
	SSL_CTX *tls;
	http_handler handler;
	void *data;
	int port;
	char address[80];
	size_t nconns;
	http_conn *conns; /* doubly linked through next/prev */
	void (*close_cb)(void *);
	void *close_data;
};

/* Called when a write completes (status 0) or fails/cancels (<0). */
typedef void (*httpi_write_done)(void *ud, int status);

struct http_conn {
	http_server *srv;
	http_conn *next, *prev;
	uv_tcp_t tcp;
	uv_timer_t timer;  /* timeouts */
	uv_timer_t resume; /* deferred parse of pipelined input */
	uv_timer_t wtimer; /* write stall: queued bytes make no progress */
	int open_handles;
	bool is_virtual;
	bool released;       /* virtual: the owner called httpi_conn_close */
	bool handles_closed; /* virtual: closed, waiting for the owner */
	void (*vwrite)(void *ud, const char *p, size_t n);
	void *vud;

	http_parser parser;
	enum conn_phase phase;
	http_request *cur;    /* being parsed */
	http_request *active; /* handed to the handler, not yet finished */
	buf pending;          /* input received while a request is active */
	bool read_stopped;
	bool wait_drain;      /* parsing paused until the write queue drains */
	bool closing;         /* uv_close issued (or about to be) */
	bool close_after_write;
	bool lingering;
	int err_status;       /* status to answer a parse error with */
	size_t header_bytes, nheaders;
	bool in_value;        /* last header callback was a value */
	size_t write_queued, writes_pending;
	size_t stall_mark;    /* stream write queue size when the stall clock last started */

	SSL *ssl;
	bool tls_ready;

	char remote[80]; /* "[" ip(<64) "]:" port */
	char rbuf[16384];
};

/* The request (see http.h for its lifetime rules). */
struct http_request {
	http_conn *conn; /* NULL once the connection is gone and the close was reported */
	bool gone;
	bool finished;
	const char *method;
	bool head;
	char *target, *path, *query;
	char **hn, **hv;
	size_t nh, hcap;
	buf hfield, hvalue; /* header being parsed */
	bool q_parsed;
	char **qk, **qv;
	size_t nq;
	buf body;
	int major, minor;
	bool keepalive;
	bool tls;
	char remote[80]; /* "[" ip(<64) "]:" port */
	http_tls_identity id;
	bool has_id;
	char *cn;
	char **orgs;
	buf extra;          /* response headers added by the handler */
	bool started;       /* head of the response sent */
	bool chunked;       /* streaming with chunked encoding */
	bool close_at_end;  /* close the connection after this response */
	void (*on_close)(http_request *r, void *data);
	void *on_close_data;
};

/* Write the response head. content_length < 0 means streaming (chunked or close-delimited).
 * Returns 0, or -1 when the client is gone. */
int httpi_write_head(http_request *r, int status, const char *ctype, int64_t content_length);
/* Write raw body bytes (copied); done (may be NULL) is called once when the bytes are written or
 * failed, from the loop (for virtual connections: at once). -1 when gone (done not called). */
int httpi_write_body(http_request *r, const char *p, size_t n, httpi_write_done done, void *ud);
/* Finish the request (free it; let the connection go on). */
void httpi_finish(http_request *r);

/* TLS (http_tls.c). */
SSL_CTX *httpi_tls_server_ctx(http_server *s, err *e);
void httpi_tls_identity(http_request *r, SSL *ssl);

/* Virtual connections for the fuzz target and unit tests: no socket; output goes to write. The
 * connection may close itself (Connection: close, errors), but its memory stays until the owner
 * calls httpi_conn_close() exactly once; feeding a closed connection does nothing. */
http_conn *httpi_conn_virtual(http_server *s, void (*write)(void *ud, const char *p, size_t n),
			      void *ud);
void httpi_conn_feed(http_conn *c, const char *p, size_t n);
void httpi_conn_close(http_conn *c);

/* URL decoding of n bytes of s into a new string; plus_space turns '+' into ' '. Returns NULL
 * for a bad escape or a decoded NUL. */
char *httpi_url_decode(const char *s, size_t n, bool plus_space);

/* Writes to a socket whose peer has gone must fail with EPIPE, not kill the process: set
 * SIGPIPE to SIG_IGN unless the program installed its own disposition. */
void httpi_ignore_sigpipe(void);

#endif
