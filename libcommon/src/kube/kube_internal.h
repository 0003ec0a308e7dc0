/* Internal to the kube client (eddy/kube.h): the client's state, one request, and the
 * functions one file of the client calls in another. The client is blocking; its transport is
 * the net layer's HTTP/1.1 client (eddy/h1.h): one origin per client, whose keep-alive
 * connections the calls of all threads share. */
#ifndef EDDY_KUBE_INTERNAL_H
#define EDDY_KUBE_INTERNAL_H

#include "eddy/kube.h"
#include "eddy/buf.h"

#include "eddy/h1.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h> /* snprintf, used by every file of the client */

enum {
	RESP_MAX = 256 << 20,        /* a list or object answer */
	ERR_BODY_MAX = 64 << 10,     /* error bodies we keep */
	WATCH_LINE_MAX = 16 << 20,   /* one watch event */
	TOKEN_REREAD_MS = 60000,
	EVENT_MSG_MAX = 39000,
	EVENT_CACHE = 256,                 /* recent Events remembered per client */
	EVENT_AGGREGATE_MS = 10 * 60 * 1000, /* repeats within this window bump count */
};

#define R_TRANSPORT "KubeTransportFailed"
#define EVENT_ANN_PREFIX "event.toolkit.fluxcd.io/"

struct disco_gv {
	char *gv; /* "v1" or "group/version" */
	kube_resource *res;
	size_t n;
};

struct kube_client {
	kube_config cfg;
	h1_origin *conn;       /* NULL: conn_error says why the server URL is unusable */
	char conn_error[ERR_MSG_MAX];
	pthread_mutex_t mu; /* token, bucket, discovery */
	char *token;
	int64_t token_read_ms;
	double tokens;
	int64_t bucket_ms;
	struct disco_gv *gvs;
	size_t ngv;
	/* recent Events, for aggregation of repeats (client-go's EventCorrelator) */
	struct recent_event {
		char *key, *ns, *name;
		int64_t count, at_ms;
	} events[EVENT_CACHE];
	size_t next_event;
};

typedef struct req {
	const char *method;
	char *url;             /* full URL */
	const char *ctype;     /* request body type */
	const char *body;
	size_t blen;
	buf resp;
	long code;
	/* streaming (watch) */
	size_t (*stream)(struct req *r, const char *p, size_t n);
	kube_stop_fn stop;
	void *stop_ud;
	long timeout_ms;       /* 0 = cfg timeout */
	bool aborted;          /* by the stream callback or the stop function */
} req;

/* kube_client.c */
void kube_rate_wait(kube_client *k);
char *kube_current_token(kube_client *k);

/* kube_request.c */
int kube_perform(kube_client *k, req *r, err *e);
/* One non-streaming call; the parsed answer (object) or NULL (see the definition). */
cJSON *kube_call(kube_client *k, const char *method, char *url, const char *ctype,
	const cJSON *body, err *e);
char *kube_res_url(kube_client *k, const kube_resource *r, const char *ns, const char *name,
	const char *sub);
void kube_q_add(buf *b, const char *k, const char *v);
void kube_write_query(buf *b, const kube_opts *o, bool apply);

/* kube_object.c */
const char *kube_obj_str(const cJSON *o, const char *a, const char *b);

/* kube_verbs.c */
void kube_set_type(cJSON *obj, const char *av, const char *kind);

#endif
