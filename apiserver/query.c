/* query: URL query parameters. */
#include "query.h"

#include <stdlib.h>
#include <string.h>

#include "eddy/codec.h"
#include "eddy/mem.h"

static char *url_decode(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			d[j++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && hex_digit(s[i + 1]) >= 0 &&
			   hex_digit(s[i + 2]) >= 0) {
			d[j++] = (char)(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
			i += 2;
		} else {
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	return d;
}

void query_parse(api_query *q, const char *raw)
{
	memset(q, 0, sizeof(*q));
	if (!raw)
		return;
	const char *p = raw;
	while (*p && q->k.n < 256) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > 0) {
			const char *eq = memchr(p, '=', len);
			if (eq) {
				strv_take(&q->k, url_decode(p, (size_t)(eq - p)));
				strv_take(&q->v, url_decode(eq + 1, len - (size_t)(eq - p) - 1));
			} else {
				strv_take(&q->k, url_decode(p, len));
				strv_add(&q->v, "");
			}
		}
		if (!amp)
			break;
		p = amp + 1;
	}
}

void query_release(api_query *q)
{
	strv_release(&q->k);
	strv_release(&q->v);
}

const char *query_get(const api_query *q, const char *k)
{
	for (size_t i = 0; i < q->k.n; i++)
		if (!strcmp(q->k.v[i], k))
			return q->v.v[i];
	return NULL;
}

int query_bool(const char *s)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
	if (!s)
		return -1;
	for (size_t i = 0; i < 6; i++) {
		if (!strcmp(s, t[i]))
			return 1;
		if (!strcmp(s, f[i]))
			return 0;
	}
	return -1;
}
