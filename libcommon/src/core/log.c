#include "eddy/log.h"

#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/mem.h"
#include "eddy/metrics.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* A line longer than this is cut: the fields are dropped and "truncated":true added. */
enum { LINE_CAP = 256 * 1024, MSG_KEEP = 4096 };

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static log_level sink_level = LOG_INFO;
static log_encoding sink_enc = LOG_ENC_JSON;
static int sink_fd = 2;

static const struct {
	const char *name;
	log_level level;
} levels[] = {
	{ "trace", LOG_TRACE },
	{ "debug", LOG_DEBUG },
	{ "info", LOG_INFO },
	{ "error", LOG_ERROR },
};

int log_parse_level(const char *s, log_level *out)
{
	for (size_t i = 0; s && i < sizeof levels / sizeof levels[0]; i++) {
		if (strcmp(s, levels[i].name) == 0) {
			*out = levels[i].level;
			return 0;
		}
	}
	return -1;
}

int log_parse_encoding(const char *s, log_encoding *out)
{
	if (s && strcmp(s, "json") == 0)
		*out = LOG_ENC_JSON;
	else if (s && strcmp(s, "console") == 0)
		*out = LOG_ENC_CONSOLE;
	else
		return -1;
	return 0;
}

const char *log_level_name(log_level l)
{
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
		if (levels[i].level == l)
			return levels[i].name;
	return l < LOG_TRACE ? "trace" : "info";
}

void log_setup(log_level level, log_encoding enc, int fd)
{
	pthread_mutex_lock(&sink_lock);
	__atomic_store_n(&sink_level, level, __ATOMIC_RELAXED);
	__atomic_store_n(&sink_enc, enc, __ATOMIC_RELAXED);
	sink_fd = fd;
	pthread_mutex_unlock(&sink_lock);
}

bool log_enabled(log_level level)
{
	return level >= __atomic_load_n(&sink_level, __ATOMIC_RELAXED);
}

/* JSON string contents (no quotes): control characters escaped, invalid UTF-8 replaced by
 * U+FFFD as zap does. Returns -1 when the cap is reached. */
static int add_json_chars(buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		int r = 0;
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			r = buf_add(b, esc, 2);
			p++;
		} else if (c < 0x20) {
			switch (c) {
			case '\n': r = buf_add(b, "\\n", 2); break;
			case '\r': r = buf_add(b, "\\r", 2); break;
			case '\t': r = buf_add(b, "\\t", 2); break;
			default: r = buf_addf(b, "\\u%04x", c); break;
			}
			p++;
		} else if (c < 0x80) {
			r = buf_addc(b, (char)c);
			p++;
		} else {
			/* Validate one UTF-8 sequence. */
			size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
			bool ok = n > 0 && c < 0xf5;
			for (size_t i = 1; ok && i < n; i++)
				ok = (p[i] & 0xc0) == 0x80;
			if (ok && n == 3) {
				ok = !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] >= 0xa0);
			} else if (ok && n == 4) {
				ok = !(c == 0xf0 && p[1] < 0x90) && !(c == 0xf4 && p[1] >= 0x90);
			}
			if (ok) {
				r = buf_add(b, p, n);
				p += n;
			} else {
				r = buf_adds(b, "\xef\xbf\xbd");
				p++;
			}
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

static int add_json_str(buf *b, const char *s)
{
	if (!s)
		return buf_adds(b, "null");
	if (buf_addc(b, '"') < 0 || add_json_chars(b, s) < 0)
		return -1;
	return buf_addc(b, '"');
}

/* `"key":value` for one kv; a separating comma first when b already holds members. */
static int add_member(buf *b, const log_kv *kv, bool comma)
{
	char num[64];
	if (comma && buf_addc(b, ',') < 0)
		return -1;
	if (add_json_str(b, kv->key ? kv->key : "") < 0 || buf_addc(b, ':') < 0)
		return -1;
	switch (kv->type) {
	case LOG_KV_STR:
		return add_json_str(b, kv->v.s);
	case LOG_KV_INT:
		return buf_addf(b, "%lld", kv->v.i);
	case LOG_KV_UINT:
		return buf_addf(b, "%llu", kv->v.u);
	case LOG_KV_DBL:
		met_format_double(num, sizeof num, kv->v.d);
		if (num[0] == '+' || num[0] == '-' ? !isdigit((unsigned char)num[1])
						     : !isdigit((unsigned char)num[0]))
			return add_json_str(b, num);
		return buf_adds(b, num);
	case LOG_KV_BOOL:
		return buf_adds(b, kv->v.b ? "true" : "false");
	case LOG_KV_JSON:
		return buf_adds(b, kv->v.s ? kv->v.s : "null");
	case LOG_KV_END:
		break;
	}
	return buf_adds(b, "null");
}

void log_init(logger *l, const char *name)
{
	l->name = name ? xstrdup(name) : NULL;
	l->fields = NULL;
}

void log_release(logger *l)
{
	if (!l)
		return;
	free(l->name);
	free(l->fields);
	l->name = NULL;
	l->fields = NULL;
}

void log_with(logger *out, const logger *parent, const log_kv *kv, size_t n)
{
	buf b;
	buf_init(&b, (size_t)1 << 30);
	if (parent && parent->fields)
		buf_adds(&b, parent->fields);
	for (size_t i = 0; i < n; i++)
		add_member(&b, &kv[i], b.len > 0);
	out->name = parent && parent->name ? xstrdup(parent->name) : NULL;
	out->fields = b.len ? buf_detach(&b, NULL) : NULL;
	buf_release(&b);
}

void log_named(logger *out, const logger *parent, const char *name)
{
	out->fields = parent && parent->fields ? xstrdup(parent->fields) : NULL;
	if (parent && parent->name && name)
		out->name = xasprintf("%s.%s", parent->name, name);
	else if (name)
		out->name = xstrdup(name);
	else
		out->name = parent && parent->name ? xstrdup(parent->name) : NULL;
}

void log_for_object(logger *out, const logger *parent, const char *group, const char *kind,
		    const char *namespace, const char *name, const char *reconcile_id)
{
	log_kv kv[8];
	size_t n = 0;
	char *lower = xstrdup(kind ? kind : "");
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	buf ref;
	buf_init(&ref, (size_t)1 << 20);
	buf_adds(&ref, "{\"name\":");
	add_json_str(&ref, name ? name : "");
	buf_adds(&ref, ",\"namespace\":");
	add_json_str(&ref, namespace ? namespace : "");
	buf_addc(&ref, '}');
	kv[n++] = LOG_S("controller", lower);
	if (group)
		kv[n++] = LOG_S("controllerGroup", group);
	kv[n++] = LOG_S("controllerKind", kind ? kind : "");
	kv[n++] = LOG_J(kind && *kind ? kind : "object", buf_str(&ref));
	kv[n++] = LOG_S("namespace", namespace ? namespace : "");
	kv[n++] = LOG_S("name", name ? name : "");
	if (reconcile_id)
		kv[n++] = LOG_S("reconcileID", reconcile_id);
	log_with(out, parent, kv, n);
	buf_release(&ref);
	free(lower);
}

char *log_timestamp(char *out, size_t n, int64_t unix_ns)
{
	return clock_rfc3339(out, n, unix_ns ? unix_ns : clock_real_ns(), 3);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere to report a failing log sink */
		p += w;
		n -= (size_t)w;
	}
}

/* Builds the member list (fixed fields, call fields, error) into f. */
static int build_fields(buf *f, const logger *l, const char *error, va_list ap)
{
	if (l && l->fields && buf_adds(f, l->fields) < 0)
		return -1;
	for (;;) {
		log_kv kv = va_arg(ap, log_kv);
		if (kv.type == LOG_KV_END)
			break;
		if (add_member(f, &kv, f->len > 0) < 0)
			return -1;
	}
	if (error) {
		log_kv kv = LOG_S("error", error);
		if (add_member(f, &kv, f->len > 0) < 0)
			return -1;
	}
	return 0;
}

static int build_line(buf *b, log_encoding enc, log_level level, const char *ts,
		      const char *name, const char *msg, const char *fields, bool truncated)
{
	int r = 0;
	if (enc == LOG_ENC_CONSOLE) {
		char up[8];
		const char *ln = log_level_name(level);
		size_t i = 0;
		for (; ln[i] && i < sizeof up - 1; i++)
			up[i] = (char)toupper((unsigned char)ln[i]);
		up[i] = '\0';
		r |= buf_addf(b, "%s\t%s\t", ts, up);
		if (name) {
			r |= add_json_chars(b, name);
			r |= buf_addc(b, '\t');
		}
		r |= add_json_chars(b, msg);
		if (fields && *fields) {
			r |= buf_adds(b, "\t{");
			r |= buf_adds(b, fields);
			r |= buf_addc(b, '}');
		}
		if (truncated)
			r |= buf_adds(b, "\t{\"truncated\":true}");
	} else {
		r |= buf_adds(b, "{\"level\":");
		r |= add_json_str(b, log_level_name(level));
		r |= buf_addf(b, ",\"ts\":\"%s\"", ts);
		if (name) {
			r |= buf_adds(b, ",\"logger\":");
			r |= add_json_str(b, name);
		}
		r |= buf_adds(b, ",\"msg\":");
		r |= add_json_str(b, msg);
		if (fields && *fields) {
			r |= buf_addc(b, ',');
			r |= buf_adds(b, fields);
		}
		if (truncated)
			r |= buf_adds(b, ",\"truncated\":true");
		r |= buf_addc(b, '}');
	}
	r |= buf_addc(b, '\n');
	return r;
}

void log_emit(const logger *l, log_level level, const char *error, const char *msg, ...)
{
	if (!log_enabled(level))
		return;
	char ts[40];
	log_timestamp(ts, sizeof ts, 0);
	if (!msg)
		msg = "";

	buf fields;
	buf_init(&fields, LINE_CAP);
	va_list ap;
	va_start(ap, msg);
	int frc = build_fields(&fields, l, error, ap);
	va_end(ap);

	log_encoding enc = __atomic_load_n(&sink_enc, __ATOMIC_RELAXED);
	const char *name = l ? l->name : NULL;
	buf line;
	buf_init(&line, LINE_CAP + 1024);
	char *short_msg = NULL;
	if (frc < 0 || build_line(&line, enc, level, ts, name, msg, buf_str(&fields), false) < 0) {
		/* Too long: keep the head of the message and the error, drop the fields. */
		short_msg = xstrndup(msg, MSG_KEEP);
		buf_reset(&fields);
		buf_reset(&line);
		if (error) {
			char *short_err = xstrndup(error, MSG_KEEP);
			log_kv kv = LOG_S("error", short_err);
			add_member(&fields, &kv, false);
			free(short_err);
		}
		build_line(&line, enc, level, ts, name, short_msg, buf_str(&fields), true);
	}

	pthread_mutex_lock(&sink_lock);
	write_all(sink_fd, line.data, line.len);
	pthread_mutex_unlock(&sink_lock);

	free(short_msg);
	buf_release(&line);
	buf_release(&fields);
}

static bool secret_param(const char *name, size_t n)
{
	static const char *const words[] = { "token",	   "password", "passwd",    "secret",
					     "signature", "sig",      "credential", "auth",
					     "apikey",	   "api_key",  "api-key",   "key",
					     "session",	   "code" };
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t wl = strlen(words[i]);
		for (size_t j = 0; j + wl <= n; j++)
			if (strncasecmp(name + j, words[i], wl) == 0)
				return true;
	}
	return false;
}

char *log_redact_url(const char *url)
{
	if (!url)
		return xstrdup("");
	const char *sep = strstr(url, "://");
	if (!sep)
		return xstrdup(url);
	for (const char *p = url; p < sep; p++)
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
			return xstrdup(url);
	buf b;
	buf_init(&b, strlen(url) * 2 + 64);
	const char *auth = sep + 3;
	size_t auth_len = strcspn(auth, "/?#");
	buf_add(&b, url, (size_t)(auth - url));
	const char *at = NULL;
	for (size_t i = 0; i < auth_len; i++)
		if (auth[i] == '@')
			at = auth + i;
	const char *host = at ? at + 1 : auth;
	buf_add(&b, host, (size_t)(auth + auth_len - host));
	const char *rest = auth + auth_len;
	size_t path_len = strcspn(rest, "?#");
	buf_add(&b, rest, path_len);
	rest += path_len;
	if (*rest == '?') {
		buf_addc(&b, '?');
		rest++;
		while (*rest && *rest != '#') {
			size_t plen = strcspn(rest, "&#");
			size_t nlen = strcspn(rest, "=&#");
			if (nlen < plen && secret_param(rest, nlen)) {
				buf_add(&b, rest, nlen);
				buf_adds(&b, "=redacted");
			} else {
				buf_add(&b, rest, plen);
			}
			rest += plen;
			if (*rest == '&') {
				buf_addc(&b, '&');
				rest++;
			}
		}
	}
	buf_adds(&b, rest); /* fragment */
	char *out = buf_detach(&b, NULL);
	buf_release(&b);
	return out;
}
