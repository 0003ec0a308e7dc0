/* clock: clocks, RFC 3339 timestamps and Go durations (see clock.h). */
#include "eddy/clock.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static char *rfc3339(char *out, size_t n, int64_t sec, int64_t nsec, int digits)
{
	time_t t = (time_t)sec;
	struct tm tm;
	if (n == 0)
		return out;
	if (!gmtime_r(&t, &tm)) {
		out[0] = '\0';
		return out;
	}
	if (digits < 0)
		digits = 0;
	if (digits > 9)
		digits = 9;
	long frac = (long)nsec;
	for (int i = digits; i < 9; i++)
		frac /= 10;
	if (digits)
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%0*ldZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, digits, frac);
	else
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return out;
}

char *clock_rfc3339(char *out, size_t n, int64_t unix_ns, int digits)
{
	int64_t sec = unix_ns / 1000000000, nsec = unix_ns % 1000000000;
	if (nsec < 0) {
		nsec += 1000000000;
		sec--;
	}
	return rfc3339(out, n, sec, nsec, digits);
}

char *clock_rfc3339_sec(char *out, size_t n, int64_t unix_sec)
{
	if ((int64_t)(time_t)unix_sec != unix_sec) {
		if (n)
			out[0] = '\0';
		return out;
	}
	return rfc3339(out, n, unix_sec, 0, 0);
}

char *clock_rfc3339_now(char *out, size_t n, int digits)
{
	return clock_rfc3339(out, n, clock_real_ns(), digits);
}

/* ---- Durations (Go's time.ParseDuration and Duration.String) ------------------------------ */

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 }, /* U+00B5 micro sign */
	{ "\xce\xbcs", 1000 }, /* U+03BC Greek mu */
	{ "ms", 1000000 },
	{ "s", 1000000000ULL },
	{ "m", 60ULL * 1000000000ULL },
	{ "h", 3600ULL * 1000000000ULL },
};

static int bad_duration(err *e, const char *orig, const char *why)
{
	return err_set(e, ERR_STALLING, "InvalidDuration", "time: %s duration \"%s\"", why, orig);
}

int godur_parse(const char *orig, int64_t *out, err *e)
{
	const char *s = orig ? orig : "";
	uint64_t d = 0;
	bool neg = false;
	const uint64_t limit = (uint64_t)1 << 63;
	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*s == '\0')
		return bad_duration(e, orig ? orig : "", "invalid");
	while (*s) {
		if (!(*s == '.' || isdigit((unsigned char)*s)))
			return bad_duration(e, orig, "invalid");
		uint64_t v = 0, f = 0;
		double scale = 1;
		bool pre = false, post = false;
		while (isdigit((unsigned char)*s)) {
			if (v > (limit - 1) / 10)
				return bad_duration(e, orig, "invalid");
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > limit)
				return bad_duration(e, orig, "invalid");
			s++;
			pre = true;
		}
		if (*s == '.') {
			s++;
			bool overflow = false;
			while (isdigit((unsigned char)*s)) {
				post = true;
				if (!overflow) {
					if (f > (UINT64_MAX >> 1) / 10) {
						overflow = true;
					} else {
						f = f * 10 + (uint64_t)(*s - '0');
						scale *= 10;
					}
				}
				s++;
			}
		}
		if (!pre && !post)
			return bad_duration(e, orig, "invalid");
		size_t ul = 0;
		while (s[ul] && s[ul] != '.' && !isdigit((unsigned char)s[ul]))
			ul++;
		if (ul == 0)
			return bad_duration(e, orig, "missing unit in");
		uint64_t unit = 0;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			if (strlen(units[i].name) == ul && strncmp(units[i].name, s, ul) == 0) {
				unit = units[i].ns;
				break;
			}
		}
		if (!unit) {
			err_set(e, ERR_STALLING, "InvalidDuration",
				"time: unknown unit \"%.*s\" in duration \"%s\"", (int)ul, s, orig);
			return -1;
		}
		s += ul;
		if (v > limit / unit)
			return bad_duration(e, orig, "invalid");
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > limit)
				return bad_duration(e, orig, "invalid");
		}
		d += v;
		if (d > limit)
			return bad_duration(e, orig, "invalid");
	}
	if (neg) {
		*out = d == limit ? INT64_MIN : -(int64_t)d;
		return 0;
	}
	if (d > limit - 1)
		return bad_duration(e, orig, "invalid");
	*out = (int64_t)d;
	return 0;
}

/* Writes the fraction of v/10^prec (no trailing zeros, no '.' when zero) ending at buf[w];
 * returns the new w and v/10^prec in *rest. */
static size_t fmt_frac(char *buf, size_t w, uint64_t v, int prec, uint64_t *rest)
{
	bool print = false;
	for (int i = 0; i < prec; i++) {
		int digit = (int)(v % 10);
		print = print || digit != 0;
		if (print)
			buf[--w] = (char)('0' + digit);
		v /= 10;
	}
	if (print)
		buf[--w] = '.';
	*rest = v;
	return w;
}

static size_t fmt_int(char *buf, size_t w, uint64_t v)
{
	if (v == 0) {
		buf[--w] = '0';
		return w;
	}
	while (v > 0) {
		buf[--w] = (char)('0' + v % 10);
		v /= 10;
	}
	return w;
}

char *godur_format(char *out, size_t n, int64_t ns)
{
	char buf[40];
	size_t w = sizeof buf;
	uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	if (u < (uint64_t)GODUR_SECOND) {
		int prec;
		buf[--w] = 's';
		if (u == 0) {
			snprintf(out, n, "0s");
			return out;
		} else if (u < 1000) {
			prec = 0;
			buf[--w] = 'n';
		} else if (u < 1000000) {
			prec = 3;
			buf[--w] = '\xb5';
			buf[--w] = '\xc2';
		} else {
			prec = 6;
			buf[--w] = 'm';
		}
		w = fmt_frac(buf, w, u, prec, &u);
		w = fmt_int(buf, w, u);
	} else {
		buf[--w] = 's';
		w = fmt_frac(buf, w, u, 9, &u);
		w = fmt_int(buf, w, u % 60);
		u /= 60;
		if (u > 0) {
			buf[--w] = 'm';
			w = fmt_int(buf, w, u % 60);
			u /= 60;
			if (u > 0) {
				buf[--w] = 'h';
				w = fmt_int(buf, w, u);
			}
		}
	}
	if (ns < 0)
		buf[--w] = '-';
	snprintf(out, n, "%.*s", (int)(sizeof buf - w), buf + w);
	return out;
}

