/* list: GET of a collection (limit/continue tokens, label and field selectors, resourceVersion
 * and resourceVersionMatch, Tables) and DELETE of a collection; plus what watch shares with it:
 * selector parsing and matching, the key prefix of a request and resourceVersion parsing. */
#ifndef APISERVER_LIST_H
#define APISERVER_LIST_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "selector.h"
#include "server.h"

void list_handle(api_ctx *c);
void list_delete_collection(api_ctx *c);

/* Parse labelSelector and fieldSelector (checking the field labels c->ty supports) into ls and
 * fs (release both with sel_release); 0, or -1 answered with 400. */
int list_selectors(api_ctx *c, lsel *ls, sel *fs);
/* Does obj (may be NULL: no) satisfy both selectors? */
bool list_matches(const lsel *ls, const sel *fs, const cJSON *obj);
/* Can stored objects of ty go out without parsing (one version, no defaults)? */
bool list_fast_path(apiserver *s, const api_type *ty);
/* The storage key prefix of the request's collection (type, and namespace when given). */
char *list_prefix(api_ctx *c);
/* Parse a resourceVersion: 1 with *out set, 0 when s is NULL or "" (*out untouched), -1 when it
 * is not a non-negative number. */
int list_parse_rv(const char *s, int64_t *out);

#endif
