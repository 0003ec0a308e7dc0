/* watch: watch streams (resourceVersion, bookmarks, initial events, timeouts) and the event fan
 * out of every committed write. api_watch_start/api_watch_cancel/api_watch_end_all are public
 * (apiserver.h). */
#ifndef APISERVER_WATCH_H
#define APISERVER_WATCH_H

#include <stdint.h>

#include "server.h"

/* Commit hook: record the event and fan it out to the watches. type is 'A', 'M' or 'D'; prev is
 * the previous value (NULL for a create). Takes ownership of nothing (copies). */
void watch_emit(apiserver *s, char type, int64_t rev, const char *key, const char *value,
		const char *prev);
/* Send a BOOKMARK to every watch that asked for them (the bookmark timer). */
void watch_bookmark_all(apiserver *s);
/* A GET ...?watch=1: answers with c->rs->watch set (or an error). */
void watch_create(api_ctx *c);

#endif
