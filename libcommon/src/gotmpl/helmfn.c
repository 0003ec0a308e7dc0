/* Sprig's encoding, crypto, regex, semver and date functions, and Helm's own functions. */
#include "eddy/clock.h"
#include "eddy/codec.h"
#include "eddy/mem.h"
#include "eddy/regex.h"
#include "gotmpl/fn.h"
#include "gotmpl/internal.h"

#include <ctype.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static tmpl_val from_buf(buf *b)
{
	size_t n;
	char *s = buf_detach(b, &n);
	return tmpl_str_take(s, n);
}

/* ---- encodings ---- */

FN(b64enc)
{
	buf b;
	buf_init(&b, (size_t)-1);
	b64_encode_buf(&b, S(0), SLEN(0), B64_STD);
	*out = from_buf(&b);
	return 0;
}

/* Not Go's decoder: the first '=' ends the input and missing padding is accepted. */
FN(b64dec)
{
	buf b;
	buf_init(&b, (size_t)-1);
	size_t bad = 0;
	if (b64_decode_buf(&b, S(0), SLEN(0), B64_PAD_STOP, &bad) < 0) {
		buf_release(&b);
		char msg[80];
		snprintf(msg, sizeof msg, "illegal base64 data at input byte %zu", bad);
		*out = tmpl_str(msg);
		return 0;
	}
	*out = from_buf(&b);
	return 0;
}

static const char b32tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

FN(b32enc)
{
	buf b;
	buf_init(&b, (size_t)-1);
	const unsigned char *d = (const unsigned char *)S(0);
	size_t n = SLEN(0);
	for (size_t i = 0; i < n; i += 5) {
		uint64_t w = 0;
		size_t k = n - i < 5 ? n - i : 5;
		for (size_t j = 0; j < 5; j++)
			w = (w << 8) | (j < k ? d[i + j] : 0);
		static const int outc[] = {0, 2, 4, 5, 7, 8};
		for (int j = 0; j < 8; j++)
			buf_addc(&b, j < outc[k] ? b32tbl[(w >> (35 - 5 * j)) & 31] : '=');
	}
	*out = from_buf(&b);
	return 0;
}

FN(b32dec)
{
	buf b;
	buf_init(&b, (size_t)-1);
	uint64_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < SLEN(0); i++) {
		if (S(0)[i] == '=')
			break;
		const char *p = strchr(b32tbl, S(0)[i]);
		if (!p || !S(0)[i]) {
			buf_release(&b);
			*out = tmpl_str("illegal base32 data");
			return 0;
		}
		acc = (acc << 5) | (uint64_t)(p - b32tbl);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(&b, (char)((acc >> bits) & 0xFF));
		}
	}
	*out = from_buf(&b);
	return 0;
}

static int digest(const EVP_MD *md, tmpl_val *argv, tmpl_val *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	EVP_Digest(S(0), SLEN(0), d, &dl, md, NULL);
	char hex[EVP_MAX_MD_SIZE * 2 + 1];
	hex_encode(hex, d, dl, HEX_LOWER);
	*out = tmpl_strn(hex, dl * 2);
	return 0;
}

FN(sha1sum) { return digest(EVP_sha1(), argv, out); }
FN(sha256sum) { return digest(EVP_sha256(), argv, out); }
FN(sha512sum) { return digest(EVP_sha512(), argv, out); }

FN(adler32sum)
{
	uint32_t a = 1, b = 0;
	for (size_t i = 0; i < SLEN(0); i++) {
		a = (a + (unsigned char)S(0)[i]) % 65521;
		b = (b + a) % 65521;
	}
	char tmp[16];
	snprintf(tmp, sizeof tmp, "%u", (b << 16) | a);
	*out = tmpl_str(tmp);
	return 0;
}

/* ---- random ---- */

void tv_rand_bytes(void *p, size_t n)
{
	if (RAND_bytes(p, (int)n) != 1)
		memset(p, 0, n);
}

FN(uuidv4)
{
	unsigned char u[16];
	tv_rand_bytes(u, sizeof u);
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	char s[40];
	snprintf(s, sizeof s, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
	*out = tmpl_str(s);
	return 0;
}

static int rand_from(const char *set, int64_t n, tmpl_val *out, err *e)
{
	if (n < 0 || n > 10000000)
		return tmpl_fail(e, "random string length out of range");
	size_t sl = strlen(set);
	char *s = xmalloc((size_t)n + 1);
	for (int64_t i = 0; i < n; i++) {
		uint32_t r;
		tv_rand_bytes(&r, sizeof r);
		s[i] = set[r % sl];
	}
	s[n] = 0;
	*out = tmpl_str_take(s, (size_t)n);
	return 0;
}

FN(randAlphaNum)
{
	return rand_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
			 argv[0].u.i, out, e);
}
FN(randAlpha)
{
	return rand_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", argv[0].u.i, out, e);
}
FN(randNumeric) { return rand_from("0123456789", argv[0].u.i, out, e); }
FN(randAscii)
{
	return rand_from("!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
			 "abcdefghijklmnopqrstuvwxyz{|}~", argv[0].u.i, out, e);
}
FN(randInt)
{
	int64_t lo = argv[0].u.i, hi = argv[1].u.i;
	if (hi <= lo)
		return tmpl_fail(e, "invalid argument to Intn");
	uint64_t r;
	tv_rand_bytes(&r, sizeof r);
	*out = tmpl_int(lo + (int64_t)(r % (uint64_t)(hi - lo)));
	return 0;
}
FN(shuffle)
{
	tmpl_val r = tmpl_strn(S(0), SLEN(0));
	for (size_t i = r.u.s->len; i > 1; i--) {
		uint32_t k;
		tv_rand_bytes(&k, sizeof k);
		k %= (uint32_t)i;
		char t = r.u.s->data[i - 1];
		r.u.s->data[i - 1] = r.u.s->data[k];
		r.u.s->data[k] = t;
	}
	*out = r;
	return 0;
}

/* ---- regex (PCRE2 with match limits) ---- */

static rx *re_compile(const char *pat, err *e)
{
	char msg[256];
	rx *re = rx_compile(pat, RX_UTF, msg, sizeof msg);
	if (!re)
		tmpl_fail(e, "regexp: Compile(`%s`): error parsing regexp: %s: `%s`", pat, msg, pat);
	return re;
}

/* All matches (up to max, -1 for all), Go's FindAll semantics for empty matches. */
static int re_each(const rx *re, const char *s, size_t n, int64_t max,
		   int (*cb)(void *ctx, const rx_span *sp, int rc), void *ctx, err *e)
{
	size_t nsp = rx_groups(re) + 1;
	rx_span *sp = xcalloc(nsp, sizeof *sp);
	size_t pos = 0;
	int64_t count = 0;
	size_t prev_end = (size_t)-1;
	int ret = 0;
	while (pos <= n && (max < 0 || count < max)) {
		int rc = rx_exec(re, s, n, pos, sp, nsp);
		if (rc == 0)
			break;
		if (rc < 0) {
			ret = tmpl_fail(e, "regexp match failed (limit)");
			break;
		}
		if (sp[0].start == sp[0].end && sp[0].start == prev_end) {
			/* empty match right after the previous match: skip ahead */
			pos = sp[0].start + 1;
			continue;
		}
		count++;
		if (cb(ctx, sp, rc)) {
			ret = -1;
			break;
		}
		prev_end = sp[0].end;
		pos = sp[0].end > sp[0].start ? sp[0].end : sp[0].end + 1;
	}
	free(sp);
	return ret;
}

FN(regexMatch)
{
	err e2;
	rx *re = re_compile(S(0), &e2);
	if (!re) {
		*out = tmpl_bool(false);
		return 0;
	}
	int rc = rx_exec(re, S(1), SLEN(1), 0, NULL, 0);
	rx_free(re);
	*out = tmpl_bool(rc > 0);
	return 0;
}

FN(mustRegexMatch)
{
	rx *re = re_compile(S(0), e);
	if (!re)
		return -1;
	rx_free(re);
	return fn_regexMatch(x, argc, argv, out, e);
}

struct find_ctx { const char *s; tmpl_val *l; };

static int find_cb(void *ctx, const rx_span *sp, int rc)
{
	(void)rc;
	struct find_ctx *c = ctx;
	tmpl_list_push(c->l, tmpl_strn(c->s + sp[0].start, sp[0].end - sp[0].start));
	return 0;
}

FN(regexFind)
{
	rx *re = re_compile(S(0), e);
	if (!re)
		return -1;
	tmpl_val l = tmpl_list_new(0);
	struct find_ctx c = {S(1), &l};
	int rc = re_each(re, S(1), SLEN(1), 1, find_cb, &c, e);
	rx_free(re);
	if (rc) {
		tmpl_val_free(l);
		return -1;
	}
	*out = l.u.l->n ? tmpl_ref(l.u.l->items[0]) : tmpl_str("");
	tmpl_val_free(l);
	return 0;
}

FN(regexFindAll)
{
	rx *re = re_compile(S(0), e);
	if (!re)
		return -1;
	tmpl_val l = tmpl_list_new(0);
	l.sub = TV_SUB_STRS;
	struct find_ctx c = {S(1), &l};
	int rc = re_each(re, S(1), SLEN(1), argv[2].u.i, find_cb, &c, e);
	rx_free(re);
	if (rc) {
		tmpl_val_free(l);
		return -1;
	}
	*out = l;
	return 0;
}

struct repl_ctx {
	const char *s;
	size_t last;
	buf *b;
	const char *repl;
	bool literal;
	const rx *re;
};

/* Go's Regexp.Expand: $1, ${1}, $name, ${name}, $$. */
static void expand(buf *b, const char *tpl, const char *s, const rx_span *sp, int rc,
		   const rx *re)
{
	for (const char *p = tpl; *p; p++) {
		if (*p != '$') {
			buf_addc(b, *p);
			continue;
		}
		p++;
		if (*p == '$') {
			buf_addc(b, '$');
			continue;
		}
		char name[128];
		size_t nl = 0;
		bool brace = *p == '{';
		if (brace)
			p++;
		while (*p && (isalnum((unsigned char)*p) || *p == '_') && nl < sizeof name - 1)
			name[nl++] = *p++;
		name[nl] = 0;
		if (brace) {
			if (*p != '}') {
				buf_addc(b, '$');
				p = p - nl - 2;
				continue;
			}
		} else {
			p--;
		}
		if (!nl) {
			buf_addc(b, '$');
			if (brace)
				p -= 1;
			continue;
		}
		int idx = -1;
		char *end;
		long v = strtol(name, &end, 10);
		if (!*end)
			idx = (int)v;
		else
			idx = rx_group_number(re, name);
		if (idx >= 0 && idx < rc && sp[idx].start != RX_UNSET)
			buf_add(b, s + sp[idx].start, sp[idx].end - sp[idx].start);
	}
}

static int repl_cb(void *ctx, const rx_span *sp, int rc)
{
	struct repl_ctx *c = ctx;
	buf_add(c->b, c->s + c->last, sp[0].start - c->last);
	if (c->literal)
		buf_adds(c->b, c->repl);
	else
		expand(c->b, c->repl, c->s, sp, rc, c->re);
	c->last = sp[0].end;
	return 0;
}

static int replace_common(tmpl_val *argv, bool literal, tmpl_val *out, err *e)
{
	rx *re = re_compile(S(0), e);
	if (!re)
		return -1;
	buf b;
	buf_init(&b, 256u << 20);
	struct repl_ctx c = {S(1), 0, &b, S(2), literal, re};
	int rc = re_each(re, S(1), SLEN(1), -1, repl_cb, &c, e);
	rx_free(re);
	if (rc) {
		buf_release(&b);
		return -1;
	}
	buf_add(&b, S(1) + c.last, SLEN(1) - c.last);
	*out = from_buf(&b);
	return 0;
}

FN(regexReplaceAll) { return replace_common(argv, false, out, e); }
FN(regexReplaceAllLiteral) { return replace_common(argv, true, out, e); }

struct split_ctx { const char *s; size_t last; tmpl_val *l; };

static int split_cb(void *ctx, const rx_span *sp, int rc)
{
	(void)rc;
	struct split_ctx *c = ctx;
	if (sp[0].end == 0 && sp[0].start == 0)
		return 0;
	tmpl_list_push(c->l, tmpl_strn(c->s + c->last, sp[0].start - c->last));
	c->last = sp[0].end;
	return 0;
}

FN(regexSplit)
{
	int64_t n = argv[2].u.i;
	tmpl_val l = tmpl_list_new(0);
	l.sub = TV_SUB_STRS;
	if (n == 0) {
		*out = l;
		return 0;
	}
	rx *re = re_compile(S(0), e);
	if (!re) {
		tmpl_val_free(l);
		return -1;
	}
	struct split_ctx c = {S(1), 0, &l};
	int rc = re_each(re, S(1), SLEN(1), n > 0 ? n - 1 : -1, split_cb, &c, e);
	rx_free(re);
	if (rc) {
		tmpl_val_free(l);
		return -1;
	}
	tmpl_list_push(&l, tmpl_strn(S(1) + c.last, SLEN(1) - c.last));
	*out = l;
	return 0;
}

FN(regexQuoteMeta)
{
	buf b;
	buf_init(&b, (size_t)-1);
	for (size_t i = 0; i < SLEN(0); i++) {
		if (strchr("\\.+*?()|[]{}^$", S(0)[i]) && S(0)[i])
			buf_addc(&b, '\\');
		buf_addc(&b, S(0)[i]);
	}
	*out = from_buf(&b);
	return 0;
}

/* ---- dates (Go layouts; the local zone is UTC) ---- */

#include "gotmpl/gotime.h"

/* A time.Time: Unix seconds, nanoseconds, and its zone (UTC, or a fixed offset and name). */
static tmpl_val make_time_z(int64_t sec, long nsec, bool with_mono, bool utc, long off,
			    const char *zone)
{
	tmpl_val st = tmpl_struct_new();
	tmpl_map_set(st, "\x01sec", tmpl_int64(sec));
	tmpl_map_set(st, "\x01nsec", tmpl_int64(nsec));
	if (!utc) {
		tmpl_map_set(st, "\x01off", tmpl_int64(off));
		tmpl_map_set(st, "\x01zone", tmpl_str(zone));
	}
	buf b;
	buf_init(&b, 256);
	gt_format(&b, "2006-01-02 15:04:05.999999999 -0700 MST", sec, nsec, utc ? 0 : off,
		  utc ? "UTC" : zone);
	if (with_mono)
		buf_adds(&b, " m=+0.000000001");
	st.u.m->stringer = buf_detach(&b, NULL);
	st.u.m->gotype = "time.Time";
	buf j;
	buf_init(&j, 256);
	gt_format(&j, "2006-01-02T15:04:05.999999999Z07:00", sec, nsec, utc ? 0 : off, "");
	st.u.m->marshal = buf_detach(&j, NULL);
	return st;
}

tmpl_val tv_time_new(int64_t sec, long nsec, bool utc, long off, const char *zone)
{
	return make_time_z(sec, nsec, false, utc, off, zone);
}

static tmpl_val make_time(int64_t sec, long nsec, bool with_mono)
{
	return make_time_z(sec, nsec, with_mono, true, 0, "");
}

FN(now)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	*out = make_time(ts.tv_sec, ts.tv_nsec, true);
	return 0;
}

static bool is_time(tmpl_val v)
{
	return v.kind == TV_MAP && v.sub == TV_SUB_STRUCT && tmpl_map_get(v, "\x01sec");
}

static bool time_of(tmpl_val v, int64_t *sec, long *nsec)
{
	*nsec = 0;
	if (is_time(v)) {
		tmpl_val *s = tmpl_map_get(v, "\x01sec"), *n = tmpl_map_get(v, "\x01nsec");
		*sec = s->u.i;
		*nsec = n ? (long)n->u.i : 0;
		return true;
	}
	if (v.kind == TV_INT) {
		*sec = v.u.i;
		return true;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = ts.tv_sec;
	*nsec = ts.tv_nsec;
	return true;
}

/* The zone of a time value: false for UTC. */
static bool zone_of(tmpl_val v, long *off, const char **zone)
{
	tmpl_val *o = is_time(v) ? tmpl_map_get(v, "\x01off") : NULL;
	tmpl_val *z = is_time(v) ? tmpl_map_get(v, "\x01zone") : NULL;
	if (!o || !z)
		return false;
	*off = (long)o->u.i;
	*zone = z->u.s->data;
	return true;
}

static int date_common(const char *layout, tmpl_val d, const char *zone, tmpl_val *out, err *e)
{
	int64_t sec;
	long nsec;
	(void)e;
	time_of(d, &sec, &nsec);
	/* time.LoadLocation: "", "UTC" and "Local" (the engine's local zone) are UTC; a zone that
	 * cannot be loaded is UTC too (Sprig) */
	long off = 0;
	char name[16] = "UTC";
	gt_zone z;
	if (strcmp(zone, "Local") && strcmp(zone, "UTC") && *zone && !gt_zone_load(zone, &z)) {
		gt_zone_lookup(&z, sec, &off, name, sizeof name);
		gt_zone_release(&z);
	}
	buf b;
	buf_init(&b, 1 << 20);
	gt_format(&b, layout, sec, nsec, off, name);
	*out = from_buf(&b);
	return 0;
}

FN(date) { return date_common(S(0), argv[1], "Local", out, e); }
FN(dateInZone) { return date_common(S(0), argv[1], S(2), out, e); }
FN(htmlDate) { return date_common("2006-01-02", argv[0], "Local", out, e); }
FN(htmlDateInZone) { return date_common("2006-01-02", argv[0], S(1), out, e); }

/* toDate: time.ParseInLocation(layout, value, time.Local); the zero time on error. */
FN(toDate)
{
	gt_time t;
	buf eb;
	buf_init(&eb, 1 << 16);
	if (memchr(S(1), 0, SLEN(1))) /* Go would stop at the NUL byte: extra text */
		buf_addf(&eb, "parsing time \"%s\": extra text", S(1));
	if (eb.len || gt_parse(S(0), S(1), &t, &eb)) {
		buf_release(&eb);
		*out = make_time(-62135596800ll, 0, false);
		return 0;
	}
	buf_release(&eb);
	*out = make_time_z(t.sec, t.nsec, false, t.utc, t.off, t.zone);
	return 0;
}

FN(mustToDate)
{
	gt_time t;
	buf eb;
	buf_init(&eb, 1 << 16);
	if (memchr(S(1), 0, SLEN(1))) /* Go would stop at the NUL byte: extra text */
		buf_addf(&eb, "parsing time \"%s\": extra text", S(1));
	if (eb.len || gt_parse(S(0), S(1), &t, &eb)) {
		tmpl_fail(e, "%s", buf_str(&eb));
		buf_release(&eb);
		return -1;
	}
	buf_release(&eb);
	*out = make_time_z(t.sec, t.nsec, false, t.utc, t.off, t.zone);
	return 0;
}

FN(unixEpoch)
{
	int64_t sec;
	long nsec;
	time_of(argv[0], &sec, &nsec);
	char b[32];
	snprintf(b, sizeof b, "%lld", (long long)sec);
	*out = tmpl_str(b);
	return 0;
}

/* ---- JSON / YAML / TOML ---- */

FN(toJson)
{
	buf b;
	buf_init(&b, 256u << 20);
	err e2;
	if (tmpl_to_json(&b, argv[0], false, &e2)) {
		buf_release(&b);
		*out = tmpl_str("");
		return 0;
	}
	*out = from_buf(&b);
	return 0;
}

FN(toPrettyJson)
{
	buf b;
	buf_init(&b, 256u << 20);
	if (tv_to_json_raw(&b, argv[0], true, true, e)) {
		buf_release(&b);
		return -1;
	}
	*out = from_buf(&b);
	return 0;
}

FN(toRawJson)
{
	buf b;
	buf_init(&b, 256u << 20);
	if (tv_to_json_raw(&b, argv[0], false, false, e)) {
		buf_release(&b);
		return -1;
	}
	*out = from_buf(&b);
	return 0;
}

FN(fromJson)
{
	err e2;
	tmpl_val v;
	if (tmpl_from_json(S(0), SLEN(0), &v, &e2) || v.kind != TV_MAP) {
		if (!e2.msg[0] || v.kind != TV_MAP)
			snprintf(e2.msg, sizeof e2.msg, "json: cannot unmarshal into map");
		tmpl_val m = tmpl_map_new();
		tmpl_map_set(m, "Error", tmpl_str(e2.msg));
		*out = m;
		return 0;
	}
	*out = v;
	return 0;
}

FN(mustFromJson)
{
	tmpl_val v;
	if (tmpl_from_json(S(0), SLEN(0), &v, e))
		return -1;
	*out = v;
	return 0;
}

FN(fromJsonArray)
{
	err e2;
	err_clear(&e2);
	tmpl_val v = tmpl_nil();
	if (tmpl_from_json(S(0), SLEN(0), &v, &e2) || v.kind != TV_LIST) {
		tmpl_val_free(v);
		tmpl_val l = tmpl_list_new(1);
		tmpl_list_push(&l, tmpl_str(e2.msg[0] ? e2.msg : "json: cannot unmarshal into array"));
		*out = l;
		return 0;
	}
	*out = v;
	return 0;
}

static int to_yaml(tmpl_val v, tmpl_val *out, bool must, err *e)
{
	buf b;
	buf_init(&b, 256u << 20);
	err e2;
	if (tmpl_to_yaml(&b, v, &e2)) {
		buf_release(&b);
		if (must)
			return tmpl_fail(e, "%s", e2.msg);
		*out = tmpl_str("");
		return 0;
	}
	while (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = 0;
	*out = from_buf(&b);
	return 0;
}

FN(toYaml) { return to_yaml(argv[0], out, false, e); }
FN(mustToYaml) { return to_yaml(argv[0], out, true, e); }

FN(toYamlPretty)
{
	/* Helm's toYamlPretty: yaml.v3 with 2-space indent and indented sequences */
	buf b;
	buf_init(&b, 256u << 20);
	err e2;
	if (tv_to_yaml_pretty(&b, argv[0], &e2)) {
		buf_release(&b);
		*out = tmpl_str("");
		return 0;
	}
	while (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = 0;
	*out = from_buf(&b);
	return 0;
}

FN(fromYaml)
{
	err e2;
	err_clear(&e2);
	tmpl_val v = tmpl_nil();
	if (tmpl_from_yaml(S(0), SLEN(0), false, &v, &e2)) {
		tmpl_val m = tmpl_map_new();
		const char *pre = "error converting YAML to JSON: ";
		char *msg = strncmp(e2.msg, pre, strlen(pre)) ? xasprintf("%s%s", pre, e2.msg)
							       : xstrdup(e2.msg);
		tmpl_map_set(m, "Error", tmpl_str_take(msg, strlen(msg)));
		*out = m;
		return 0;
	}
	if (v.kind == TV_NIL) {
		*out = tmpl_map_new();
		return 0;
	}
	if (v.kind != TV_MAP) {
		tmpl_val_free(v);
		tmpl_val m = tmpl_map_new();
		tmpl_map_set(m, "Error", tmpl_str("error unmarshaling JSON: while decoding JSON: "
						  "json: cannot unmarshal into Go value of type "
						  "map[string]interface {}"));
		*out = m;
		return 0;
	}
	*out = v;
	return 0;
}

FN(fromYamlArray)
{
	err e2;
	err_clear(&e2);
	tmpl_val v = tmpl_nil();
	if (tmpl_from_yaml(S(0), SLEN(0), false, &v, &e2) || (v.kind != TV_LIST &&
							       v.kind != TV_NIL)) {
		tmpl_val_free(v);
		tmpl_val l = tmpl_list_new(1);
		tmpl_list_push(&l, tmpl_str(e2.msg[0] ? e2.msg : "error unmarshaling JSON: json: "
					    "cannot unmarshal object into Go value of type "
					    "[]interface {}"));
		*out = l;
		return 0;
	}
	*out = v.kind == TV_NIL ? tmpl_list_new(0) : v;
	return 0;
}

/* toToml: BurntSushi/toml's Encoder as Helm calls it. */

static bool toml_is_time(tmpl_val v)
{
	return v.kind == TV_MAP && v.sub == TV_SUB_STRUCT && v.u.m->gotype &&
	       !strcmp(v.u.m->gotype, "time.Time");
}

static bool toml_is_table(tmpl_val v)
{
	return v.kind == TV_MAP && !toml_is_time(v);
}

/* An array whose elements are all tables is an array of tables. */
static bool toml_is_table_array(tmpl_val v)
{
	if (v.kind != TV_LIST || !v.u.l->n)
		return false;
	for (size_t i = 0; i < v.u.l->n; i++)
		if (!toml_is_table(v.u.l->items[i]))
			return false;
	return true;
}

static void toml_key(buf *b, const char *k)
{
	bool bare = *k != 0;
	for (const char *c = k; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
			bare = false;
	if (bare)
		buf_adds(b, k);
	else
		tv_quote(b, k, strlen(k));
}

static void toml_scalar(buf *b, tmpl_val v)
{
	switch (v.kind) {
	case TV_STRING: tv_quote(b, v.u.s->data, v.u.s->len); break;
	case TV_FLOAT:
		if (isnan(v.u.f))
			buf_adds(b, "nan");
		else if (isinf(v.u.f))
			buf_adds(b, v.u.f > 0 ? "inf" : "-inf");
		else {
			/* strconv.FormatFloat(f, 'g', -1, 64), then ".0" when it reads as an int */
			size_t st = b->len;
			tv_format_float(b, v.u.f, 'g');
			if (!memchr(b->data + st, '.', b->len - st) &&
			    !memchr(b->data + st, 'e', b->len - st))
				buf_adds(b, ".0");
		}
		break;
	case TV_LIST:
		buf_addc(b, '[');
		for (size_t i = 0; i < v.u.l->n; i++) {
			buf_adds(b, i ? ", " : "");
			toml_scalar(b, v.u.l->items[i]);
		}
		buf_addc(b, ']');
		break;
	case TV_MAP:
		if (toml_is_time(v)) {
			tmpl_val *z = tmpl_map_get(v, "\x01zone");
			const char *zn = z ? z->u.s->data : "";
			int64_t sec = tmpl_map_get(v, "\x01sec")->u.i;
			long nsec = (long)tmpl_map_get(v, "\x01nsec")->u.i;
			tmpl_val *o = tmpl_map_get(v, "\x01off");
			long off = o ? (long)o->u.i : 0;
			const char *lay = !strcmp(zn, "date-local") ? "2006-01-02"
					  : !strcmp(zn, "time-local") ? "15:04:05.999999999"
					  : !strcmp(zn, "datetime-local") ? "2006-01-02T15:04:05.999999999"
					  : "2006-01-02T15:04:05.999999999Z07:00";
			gt_format(b, lay, sec, nsec, off, zn);
			break;
		}
		/* an inline table inside an array */
		buf_addc(b, '{');
		for (size_t i = 0; i < v.u.m->n; i++) {
			if (v.u.m->vals[i].kind == TV_NIL)
				continue;
			buf_adds(b, i ? ", " : "");
			toml_key(b, v.u.m->keys[i]);
			buf_adds(b, " = ");
			toml_scalar(b, v.u.m->vals[i]);
		}
		buf_addc(b, '}');
		break;
	default: tv_print_v(b, v, false); break;
	}
}

static void toml_header(buf *b, const char *const *path, int n, bool array)
{
	for (int k = 0; k < n - 1; k++)
		buf_adds(b, "  ");
	buf_adds(b, array ? "[[" : "[");
	for (int i = 0; i < n; i++) {
		if (i)
			buf_addc(b, '.');
		toml_key(b, path[i]);
	}
	buf_adds(b, array ? "]]\n" : "]\n");
}

static void toml_nl(buf *b)
{
	if (b->len)
		buf_addc(b, '\n');
}

static void toml_table(buf *b, tmpl_val m, const char **path, int depth)
{
	if (depth > 100)
		return;
	for (size_t i = 0; i < m.u.m->n; i++) {
		tmpl_val v = m.u.m->vals[i];
		if (v.kind == TV_NIL || toml_is_table(v) || toml_is_table_array(v))
			continue;
		for (int k = 0; k < depth; k++)
			buf_adds(b, "  ");
		toml_key(b, m.u.m->keys[i]);
		buf_adds(b, " = ");
		toml_scalar(b, v);
		buf_addc(b, '\n');
	}
	for (size_t i = 0; i < m.u.m->n; i++) {
		tmpl_val v = m.u.m->vals[i];
		if (!toml_is_table(v) && !toml_is_table_array(v))
			continue;
		path[depth] = m.u.m->keys[i];
		if (toml_is_table(v)) {
			if (depth == 0)
				toml_nl(b);
			toml_header(b, path, depth + 1, false);
			toml_table(b, v, path, depth + 1);
		} else {
			for (size_t j = 0; j < v.u.l->n; j++) {
				toml_nl(b);
				toml_header(b, path, depth + 1, true);
				toml_table(b, v.u.l->items[j], path, depth + 1);
			}
		}
	}
}

FN(toToml)
{
	buf b;
	buf_init(&b, 256u << 20);
	const char *path[104];
	if (argv[0].kind == TV_MAP)
		toml_table(&b, argv[0], path, 0);
	*out = from_buf(&b);
	return 0;
}

/* ---- Helm ---- */

FN(include)
{
	buf b;
	buf_init(&b, x->set->lim.max_output);
	if (tv_exec_template(x, S(0), argv[1], &b, e)) {
		buf_release(&b);
		return -1;
	}
	*out = from_buf(&b);
	return 0;
}

static void strip_no_value(buf *b)
{
	const char *nv = "<no value>";
	size_t nl = strlen(nv), w = 0;
	for (size_t i = 0; i < b->len;) {
		if (i + nl <= b->len && !memcmp(b->data + i, nv, nl)) {
			i += nl;
			continue;
		}
		b->data[w++] = b->data[i++];
	}
	b->len = w;
	if (b->data)
		b->data[w] = 0;
}

/* tpl's errors: the text quoted as Go's %q, then the inner error. */
static void tpl_fail(err *e, const char *what, const char *text, size_t n, const char *msg)
{
	buf q;
	buf_init(&q, (size_t)-1);
	tv_quote(&q, text, n);
	tmpl_fail(e, "%s %s: %s", what, buf_str(&q), msg);
	buf_release(&q);
}

FN(tpl)
{
	tmpl_set *s = x->set;
	size_t saved_n = s->ntrees;
	tree *saved = xmalloc((saved_n ? saved_n : 1) * sizeof *saved);
	if (saved_n)
		memcpy(saved, s->trees, saved_n * sizeof *saved);
	err pe;
	node *root = NULL;
	int rc = tv_parse_root(s, "gotpl", S(0), SLEN(0), &root, &pe);
	if (rc) {
		tpl_fail(e, "cannot parse template", S(0), SLEN(0), pe.msg);
	} else {
		buf b;
		buf_init(&b, s->lim.max_output);
		err ee;
		err_clear(&ee);
		/* Go runs the tree just parsed, even when the set keeps an outer tpl's non-empty
		 * "gotpl" because this text has no body of its own (only defines, or nothing). */
		rc = tv_exec_root(x, "gotpl", root, argv[1], &b, &ee);
		if (rc) {
			tpl_fail(e, "error during tpl function execution for", S(0), SLEN(0), ee.msg);
			buf_release(&b);
		} else {
			strip_no_value(&b);
			*out = from_buf(&b);
		}
	}
	s->ntrees = saved_n;
	if (saved_n)
		memcpy(s->trees, saved, saved_n * sizeof *saved);
	free(saved);
	return rc;
}

FN(required)
{
	if (argv[1].kind == TV_NIL ||
	    (argv[1].kind == TV_STRING && argv[1].sub == TV_SUB_STR && !argv[1].u.s->len))
		return tmpl_fail(e, "%s", S(0));
	*out = tmpl_ref(argv[1]);
	return 0;
}

FN(fail) { return tmpl_fail(e, "%s", S(0)); }

FN(lookup)
{
	tmpl_set *s = x->set;
	if (s->hooks.lookup)
		return s->hooks.lookup(s->hooks.ctx, S(0), S(1), S(2), S(3), out, e);
	*out = tmpl_map_new();
	return 0;
}

FN(urlParse)
{
	const char *u = S(0);
	tmpl_val m = tmpl_map_new();
	const char *p = strstr(u, "://");
	const char *rest = u;
	if (p) {
		tmpl_map_set(m, "scheme", tmpl_strn(u, (size_t)(p - u)));
		rest = p + 3;
	} else {
		tmpl_map_set(m, "scheme", tmpl_str(""));
	}
	size_t hl = strcspn(rest, "/?#");
	const char *host = rest;
	const char *at = memchr(rest, '@', hl);
	if (at) {
		tmpl_map_set(m, "userinfo", tmpl_strn(rest, (size_t)(at - rest)));
		host = at + 1;
		hl -= (size_t)(host - rest);
	} else {
		tmpl_map_set(m, "userinfo", tmpl_str(""));
	}
	tmpl_map_set(m, "host", tmpl_strn(host, hl));
	const char *path = host + hl;
	size_t pl = strcspn(path, "?#");
	tmpl_map_set(m, "path", tmpl_strn(path, pl));
	const char *q = path + pl;
	if (*q == '?') {
		size_t ql = strcspn(q + 1, "#");
		tmpl_map_set(m, "query", tmpl_strn(q + 1, ql));
		q += 1 + ql;
	} else {
		tmpl_map_set(m, "query", tmpl_str(""));
	}
	tmpl_map_set(m, "fragment", tmpl_str(*q == '#' ? q + 1 : ""));
	tmpl_map_set(m, "opaque", tmpl_str(""));
	*out = m;
	return 0;
}

FN(urlJoin)
{
	buf b;
	buf_init(&b, (size_t)-1);
	tmpl_val *v;
	if ((v = tmpl_map_get(argv[0], "scheme")) && v->kind == TV_STRING && v->u.s->len)
		buf_addf(&b, "%s://", v->u.s->data);
	if ((v = tmpl_map_get(argv[0], "userinfo")) && v->kind == TV_STRING && v->u.s->len)
		buf_addf(&b, "%s@", v->u.s->data);
	if ((v = tmpl_map_get(argv[0], "host")) && v->kind == TV_STRING)
		buf_adds(&b, v->u.s->data);
	if ((v = tmpl_map_get(argv[0], "path")) && v->kind == TV_STRING)
		buf_adds(&b, v->u.s->data);
	if ((v = tmpl_map_get(argv[0], "query")) && v->kind == TV_STRING && v->u.s->len)
		buf_addf(&b, "?%s", v->u.s->data);
	if ((v = tmpl_map_get(argv[0], "fragment")) && v->kind == TV_STRING && v->u.s->len)
		buf_addf(&b, "#%s", v->u.s->data);
	*out = from_buf(&b);
	return 0;
}

/* ---- durations (Go's time.Duration) ---- */

FN(duration)
{
	/* Sprig: only int64 and strings count; anything else is 0 */
	int64_t n = 0;
	if (argv[0].kind == TV_INT && argv[0].sub == TV_SUB_INT64) {
		n = argv[0].u.i;
	} else if (argv[0].kind == TV_STRING) {
		char *end;
		long long v = strtoll(S(0), &end, 10);
		n = *end || !SLEN(0) ? 0 : v;
	}
	char t[40];
	*out = tmpl_str(godur_format(t, sizeof t, n * 1000000000ll));
	return 0;
}

FN(ago)
{
	int64_t sec;
	long nsec;
	time_of(argv[0], &sec, &nsec);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t d = (int64_t)now.tv_sec - sec;
	if ((long)now.tv_nsec - nsec >= 500000000L)
		d++;
	char t[40];
	*out = tmpl_str(godur_format(t, sizeof t, d * 1000000000ll));
	return 0;
}

FN(dateModify)
{
	int64_t sec;
	long nsec;
	time_of(argv[1], &sec, &nsec);
	int64_t d;
	if (godur_parse(S(0), &d, NULL) < 0) {
		*out = tmpl_ref(argv[1]);
		return 0;
	}
	int64_t s2 = sec + d / 1000000000ll, n2 = nsec + d % 1000000000ll;
	if (n2 < 0) {
		n2 += 1000000000ll;
		s2--;
	} else if (n2 >= 1000000000ll) {
		n2 -= 1000000000ll;
		s2++;
	}
	long off = 0;
	const char *zone = "";
	bool fixed = zone_of(argv[1], &off, &zone);
	*out = make_time_z(s2, (long)n2, false, !fixed, off, zone);
	return 0;
}

FN(mustDateModify)
{
	int64_t d;
	if (godur_parse(S(0), &d, NULL) < 0)
		return tmpl_fail(e, "time: invalid duration \"%s\"", S(0));
	return fn_dateModify(x, argc, argv, out, e);
}

FN(durationRound)
{
	/* Sprig: strings are parsed (0 when bad), int64 is nanoseconds, a time is time.Since. */
	int64_t d = 0;
	tmpl_val v = argv[0];
	if (v.kind == TV_STRING) {
		if (godur_parse(S(0), &d, NULL) < 0)
			d = 0;
	} else if (v.kind == TV_INT && v.sub == TV_SUB_INT64) {
		d = v.u.i;
	} else if (v.kind == TV_MAP && v.sub == TV_SUB_STRUCT && tmpl_map_get(v, "\x01sec")) {
		int64_t sec;
		long nsec;
		time_of(v, &sec, &nsec);
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		d = ((int64_t)now.tv_sec - sec) * 1000000000ll + ((long)now.tv_nsec - nsec);
	}
	uint64_t u = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
	static const struct { uint64_t n; const char *unit; } steps[] = {
		{3600000000000ull * 24 * 365, "y"}, {3600000000000ull * 24 * 30, "mo"},
		{3600000000000ull * 24, "d"}, {3600000000000ull, "h"}, {60000000000ull, "m"},
		{1000000000ull, "s"},
	};
	char b[32] = "0s";
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
		if (u > steps[i].n) {
			snprintf(b, sizeof b, "%llu%s", (unsigned long long)(u / steps[i].n),
				 steps[i].unit);
			break;
		}
	*out = tmpl_str(b);
	return 0;
}

FN(hello)
{
	*out = tmpl_str("Hello!");
	return 0;
}

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

/* Helm replaces Sprig's getHostByName with one returning "" unless --enable-dns; with it, a
 * random address of the name (Go's net.LookupHost), or Go's panic text when there is none. */
FN(getHostByName)
{
	if (!x->set->hooks.enable_dns) {
		*out = tmpl_str("");
		return 0;
	}
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	char addrs[32][INET6_ADDRSTRLEN];
	int n = 0;
	if (!getaddrinfo(S(0), NULL, &hints, &res)) {
		for (struct addrinfo *a = res; a && n < 32; a = a->ai_next) {
			const void *p = a->ai_family == AF_INET
				? (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
				: (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
			if (!inet_ntop(a->ai_family, p, addrs[n], sizeof addrs[n]))
				continue;
			bool dup = false;
			for (int i = 0; i < n; i++)
				dup = dup || !strcmp(addrs[i], addrs[n]);
			if (!dup)
				n++;
		}
		freeaddrinfo(res);
	}
	if (!n)
		return tmpl_fail(e, "invalid argument to Intn");
	uint32_t r;
	tv_rand_bytes(&r, sizeof r);
	*out = tmpl_str(addrs[r % (uint32_t)n]);
	return 0;
}

/* The functions of this family, for the table in table.c (funcs.h). */
static const func funcs[] = {
	{"b64enc", fn_b64enc, "s"},
	{"b64dec", fn_b64dec, "s"},
	{"b32enc", fn_b32enc, "s"},
	{"b32dec", fn_b32dec, "s"},
	{"sha1sum", fn_sha1sum, "s"},
	{"sha256sum", fn_sha256sum, "s"},
	{"sha512sum", fn_sha512sum, "s"},
	{"adler32sum", fn_adler32sum, "s"},
	{"uuidv4", fn_uuidv4, ""},
	{"randAlphaNum", fn_randAlphaNum, "i"},
	{"randAlpha", fn_randAlpha, "i"},
	{"randNumeric", fn_randNumeric, "i"},
	{"randAscii", fn_randAscii, "i"},
	{"randInt", fn_randInt, "ii"},
	{"shuffle", fn_shuffle, "s"},
	{"regexMatch", fn_regexMatch, "ss"},
	{"mustRegexMatch", fn_mustRegexMatch, "ss"},
	{"regexFind", fn_regexFind, "ss"},
	{"mustRegexFind", fn_regexFind, "ss"},
	{"regexFindAll", fn_regexFindAll, "ssi"},
	{"mustRegexFindAll", fn_regexFindAll, "ssi"},
	{"regexReplaceAll", fn_regexReplaceAll, "sss"},
	{"mustRegexReplaceAll", fn_regexReplaceAll, "sss"},
	{"regexReplaceAllLiteral", fn_regexReplaceAllLiteral, "sss"},
	{"mustRegexReplaceAllLiteral", fn_regexReplaceAllLiteral, "sss"},
	{"regexSplit", fn_regexSplit, "ssi"},
	{"mustRegexSplit", fn_regexSplit, "ssi"},
	{"regexQuoteMeta", fn_regexQuoteMeta, "s"},
	{"now", fn_now, ""},
	{"date", fn_date, "sa"},
	{"dateInZone", fn_dateInZone, "sas"},
	{"date_in_zone", fn_dateInZone, "sas"},
	{"htmlDate", fn_htmlDate, "a"},
	{"htmlDateInZone", fn_htmlDateInZone, "as"},
	{"toDate", fn_toDate, "ss"},
	{"mustToDate", fn_mustToDate, "ss"},
	{"unixEpoch", fn_unixEpoch, "a"},
	{"toJson", fn_toJson, "a"},
	{"mustToJson", fn_toJson, "a"},
	{"toPrettyJson", fn_toPrettyJson, "a"},
	{"mustToPrettyJson", fn_toPrettyJson, "a"},
	{"toRawJson", fn_toRawJson, "a"},
	{"mustToRawJson", fn_toRawJson, "a"},
	{"fromJson", fn_fromJson, "s"},
	{"fromJsonArray", fn_fromJsonArray, "s"},
	{"mustFromJson", fn_mustFromJson, "s"},
	{"toYaml", fn_toYaml, "a"},
	{"mustToYaml", fn_mustToYaml, "a"},
	{"toYamlPretty", fn_toYamlPretty, "a"},
	{"fromYaml", fn_fromYaml, "s"},
	{"fromYamlArray", fn_fromYamlArray, "s"},
	{"toToml", fn_toToml, "a"},
	{"include", fn_include, "sa"},
	{"tpl", fn_tpl, "sa"},
	{"required", fn_required, "sa"},
	{"fail", fn_fail, "s"},
	{"lookup", fn_lookup, "ssss"},
	{"urlParse", fn_urlParse, "s"},
	{"urlJoin", fn_urlJoin, "m"},
	{"duration", fn_duration, "a"},
	{"ago", fn_ago, "a"},
	{"dateModify", fn_dateModify, "sa"},
	{"mustDateModify", fn_mustDateModify, "sa"},
	{"date_modify", fn_dateModify, "sa"},
	{"must_date_modify", fn_mustDateModify, "sa"},
	{"durationRound", fn_durationRound, "a"},
	{"hello", fn_hello, ""},
	{"getHostByName", fn_getHostByName, "s"},
};

const tv_family tv_family_helm = {funcs, sizeof funcs / sizeof *funcs};
