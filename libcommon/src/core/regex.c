/* PCRE2 with match, depth and heap limits; see eddy/regex.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "eddy/regex.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/mem.h"

/* PCRE2 allocates through xmalloc, so out of memory follows mem.h's policy and no PCRE2 call
 * here returns NULL for lack of memory. One general context for the process, made once. */
static pcre2_general_context *gctx;
static pthread_once_t gctx_once = PTHREAD_ONCE_INIT;

static void *rx_alloc(PCRE2_SIZE n, void *data)
{
	(void)data;
	return xmalloc(n ? n : 1);
}

static void rx_dealloc(void *p, void *data)
{
	(void)data;
	free(p);
}

static void gctx_make(void)
{
	gctx = pcre2_general_context_create(rx_alloc, rx_dealloc, NULL);
	if (!gctx) {
		fputs("eddy: out of memory\n", stderr);
		exit(70);
	}
}

static pcre2_general_context *general(void)
{
	pthread_once(&gctx_once, gctx_make);
	return gctx;
}

struct rx {
	pcre2_code *code;
	pcre2_match_context *mctx;
};

rx *rx_compile(const char *pat, unsigned flags, char *msg, size_t msgn)
{
	uint32_t opts = 0;
	if (flags & RX_FULL)
		opts |= PCRE2_ANCHORED | PCRE2_ENDANCHORED;
	if (flags & RX_UTF)
		opts |= PCRE2_UTF;
	if (flags & RX_CASELESS)
		opts |= PCRE2_CASELESS;
	if (flags & RX_GO) {
		opts |= PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C;
		if (flags & RX_UTF)
			opts |= PCRE2_MATCH_INVALID_UTF;
	}
	pcre2_compile_context *cc = pcre2_compile_context_create(general());
	int ec;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)(pat ? pat : ""), PCRE2_ZERO_TERMINATED, opts,
		&ec, &off, cc);
	pcre2_compile_context_free(cc);
	if (!code) {
		if (msg && msgn) {
			PCRE2_UCHAR m[256];
			if (pcre2_get_error_message(ec, m, sizeof m) < 0)
				m[0] = 0;
			snprintf(msg, msgn, "%s", (const char *)m);
		}
		return NULL;
	}
	rx *r = xcalloc(1, sizeof *r);
	r->code = code;
	r->mctx = pcre2_match_context_create(general());
	pcre2_set_match_limit(r->mctx, RX_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, RX_DEPTH_LIMIT);
	pcre2_set_heap_limit(r->mctx, RX_HEAP_LIMIT_KIB);
	return r;
}

void rx_free(rx *r)
{
	if (!r)
		return;
	pcre2_match_context_free(r->mctx);
	pcre2_code_free(r->code);
	free(r);
}

void rx_set_limits(rx *r, uint32_t match_limit, uint32_t depth_limit)
{
	if (match_limit)
		pcre2_set_match_limit(r->mctx, match_limit);
	if (depth_limit)
		pcre2_set_depth_limit(r->mctx, depth_limit);
}

size_t rx_groups(const rx *r)
{
	uint32_t n = 0;
	pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &n);
	return n;
}

int rx_group_number(const rx *r, const char *name)
{
	int n = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)name);
	return n > 0 ? n : -1;
}

int rx_exec(const rx *r, const char *s, size_t n, size_t start, rx_span *sp, size_t nsp)
{
	if (!s)
		s = "", n = 0;
	if (start > n)
		return -1;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->code, general());
	int rc = pcre2_match(r->code, (PCRE2_SPTR)s, n, start, 0, md, r->mctx);
	if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL) {
		pcre2_match_data_free(md);
		return 0;
	}
	if (rc < 0) {
		pcre2_match_data_free(md);
		return -1;
	}
	/* rc == 0 cannot happen: the match data is sized from the pattern. */
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	for (size_t i = 0; i < nsp; i++) {
		if (i < (size_t)rc && ov[2 * i] != PCRE2_UNSET) {
			sp[i].start = ov[2 * i];
			sp[i].end = ov[2 * i + 1];
		} else {
			sp[i].start = sp[i].end = RX_UNSET;
		}
	}
	pcre2_match_data_free(md);
	return rc;
}

int rx_test(const rx *r, const char *s)
{
	int rc = rx_exec(r, s, s ? strlen(s) : 0, 0, NULL, 0);
	return rc > 0 ? 1 : rc;
}
