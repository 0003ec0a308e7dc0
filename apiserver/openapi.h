/* openapi: the /openapi/v2 and /openapi/v3 documents of the served types. */
#ifndef APISERVER_OPENAPI_H
#define APISERVER_OPENAPI_H

#include "server.h"

/* Answer a GET under /openapi/ (path is the request path). */
void openapi_handle(api_ctx *c, const char *path);

#endif
