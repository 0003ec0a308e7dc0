/* query: the query parameters of a request (URL-decoded key/value pairs, in order). */
#ifndef APISERVER_QUERY_H
#define APISERVER_QUERY_H

#include <stddef.h>

#include "eddy/strv.h"

/* k.v[i]=v.v[i] is the i-th parameter (k.n == v.n). */
typedef struct api_query {
	strv k, v;
} api_query;

/* Parse raw (without '?', may be NULL) into q (caller-owned; release with query_release). At
 * most 256 parameters are kept. */
void query_parse(api_query *q, const char *raw);
void query_release(api_query *q);
/* The first value of k, or NULL. */
const char *query_get(const api_query *q, const char *k);
/* Go strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False; else -1. */
int query_bool(const char *s);

#endif
