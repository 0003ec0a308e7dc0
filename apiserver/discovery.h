/* discovery: /api, /apis, /api/v1 and /apis/<group>[/<version>] (legacy and aggregated). */
#ifndef APISERVER_DISCOVERY_H
#define APISERVER_DISCOVERY_H

#include <stddef.h>

#include "server.h"

/* Answer a discovery request; seg are the path segments (seg[0] is "api" or "apis"). */
void discovery_handle(api_ctx *c, const char **seg, size_t nseg);

#endif
