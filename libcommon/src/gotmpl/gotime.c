/* Go's time layouts (time.Format and time.Parse): every layout element of Go's nextStdChunk,
 * fractional seconds with '.' or ',', numeric and ISO 8601 zones, zone abbreviations. */
#include "eddy/mem.h"
#include "gotmpl/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gotmpl/gotime.h"

enum {
	STD_NONE, STD_LONG_MONTH, STD_MONTH, STD_NUM_MONTH, STD_ZERO_MONTH, STD_LONG_WEEKDAY,
	STD_WEEKDAY, STD_DAY, STD_UNDER_DAY, STD_ZERO_DAY, STD_UNDER_YEARDAY, STD_ZERO_YEARDAY,
	STD_HOUR, STD_HOUR12, STD_ZERO_HOUR12, STD_MINUTE, STD_ZERO_MINUTE, STD_SECOND,
	STD_ZERO_SECOND, STD_LONG_YEAR, STD_YEAR, STD_PM, STD_pm, STD_TZ, STD_ISO_TZ,
	STD_ISO_SECONDS_TZ, STD_ISO_SHORT_TZ, STD_ISO_COLON_TZ, STD_ISO_COLON_SECONDS_TZ,
	STD_NUM_TZ, STD_NUM_SECONDS_TZ, STD_NUM_SHORT_TZ, STD_NUM_COLON_TZ,
	STD_NUM_COLON_SECONDS_TZ, STD_FRAC0, STD_FRAC9,
};

typedef struct chunk {
	size_t prefix; /* literal bytes before the element */
	int std;
	size_t len;    /* bytes of the element */
	int digits;    /* fractional seconds: digit count */
	char sep;      /* fractional seconds: '.' or ',' */
} chunk;

static bool starts_lower(const char *s) { return *s >= 'a' && *s <= 'z'; }

/* Go's nextStdChunk. */
static chunk next_chunk(const char *l)
{
	chunk c = {0};
	for (size_t i = 0; l[i]; i++) {
		const char *p = l + i;
		c.prefix = i;
#define R(code, n) do { c.std = code; c.len = n; return c; } while (0)
		switch (*p) {
		case 'J':
			if (!strncmp(p, "Jan", 3)) {
				if (!strncmp(p, "January", 7))
					R(STD_LONG_MONTH, 7);
				if (!starts_lower(p + 3))
					R(STD_MONTH, 3);
			}
			break;
		case 'M':
			if (!strncmp(p, "Mon", 3)) {
				if (!strncmp(p, "Monday", 6))
					R(STD_LONG_WEEKDAY, 6);
				if (!starts_lower(p + 3))
					R(STD_WEEKDAY, 3);
			}
			if (!strncmp(p, "MST", 3))
				R(STD_TZ, 3);
			break;
		case '0':
			if (p[1] >= '1' && p[1] <= '6') {
				static const int z[] = {STD_ZERO_MONTH, STD_ZERO_DAY, STD_ZERO_HOUR12,
					STD_ZERO_MINUTE, STD_ZERO_SECOND, STD_YEAR};
				R(z[p[1] - '1'], 2);
			}
			if (p[1] == '0' && p[2] == '2')
				R(STD_ZERO_YEARDAY, 3);
			break;
		case '1':
			if (p[1] == '5')
				R(STD_HOUR, 2);
			R(STD_NUM_MONTH, 1);
		case '2':
			if (!strncmp(p, "2006", 4))
				R(STD_LONG_YEAR, 4);
			R(STD_DAY, 1);
		case '_':
			if (p[1] == '2') {
				if (!strncmp(p + 1, "2006", 4)) {
					c.prefix = i + 1;
					R(STD_LONG_YEAR, 4);
				}
				R(STD_UNDER_DAY, 2);
			}
			if (p[1] == '_' && p[2] == '2')
				R(STD_UNDER_YEARDAY, 3);
			break;
		case '3': R(STD_HOUR12, 1);
		case '4': R(STD_MINUTE, 1);
		case '5': R(STD_SECOND, 1);
		case 'P':
			if (p[1] == 'M')
				R(STD_PM, 2);
			break;
		case 'p':
			if (p[1] == 'm')
				R(STD_pm, 2);
			break;
		case '-':
			if (!strncmp(p, "-070000", 7)) R(STD_NUM_SECONDS_TZ, 7);
			if (!strncmp(p, "-07:00:00", 9)) R(STD_NUM_COLON_SECONDS_TZ, 9);
			if (!strncmp(p, "-0700", 5)) R(STD_NUM_TZ, 5);
			if (!strncmp(p, "-07:00", 6)) R(STD_NUM_COLON_TZ, 6);
			if (!strncmp(p, "-07", 3)) R(STD_NUM_SHORT_TZ, 3);
			break;
		case 'Z':
			if (!strncmp(p, "Z070000", 7)) R(STD_ISO_SECONDS_TZ, 7);
			if (!strncmp(p, "Z07:00:00", 9)) R(STD_ISO_COLON_SECONDS_TZ, 9);
			if (!strncmp(p, "Z0700", 5)) R(STD_ISO_TZ, 5);
			if (!strncmp(p, "Z07:00", 6)) R(STD_ISO_COLON_TZ, 6);
			if (!strncmp(p, "Z07", 3)) R(STD_ISO_SHORT_TZ, 3);
			break;
		case '.':
		case ',':
			if (p[1] == '0' || p[1] == '9') {
				char ch = p[1];
				size_t j = 1;
				while (p[j] == ch)
					j++;
				if (!isdigit((unsigned char)p[j])) {
					c.digits = (int)(j - 1);
					c.sep = *p;
					R(ch == '0' ? STD_FRAC0 : STD_FRAC9, j);
				}
			}
			break;
		}
#undef R
	}
	c.prefix = strlen(l);
	c.std = STD_NONE;
	return c;
}

static const char *const months[] = {"January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December"};
static const char *const days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
	"Friday", "Saturday"};

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian, any year). */
static void civil(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int64_t gt_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static void pad_int(buf *b, int64_t v, int width)
{
	if (v < 0) {
		buf_addc(b, '-');
		v = -v;
	}
	buf_addf(b, "%0*lld", width, (long long)v);
}

void gt_format(buf *b, const char *layout, int64_t sec, long nsec, long off, const char *zname)
{
	int64_t t = sec + off;
	int64_t dn = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t sod = t - dn * 86400;
	int64_t year;
	int mon, mday;
	civil(dn, &year, &mon, &mday);
	int hour = (int)(sod / 3600), min = (int)(sod / 60 % 60), s = (int)(sod % 60);
	int wday = (int)(((dn % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	int yday = (int)(dn - gt_days_from_civil(year, 1, 1)) + 1;
	const char *l = layout;
	while (*l) {
		chunk c = next_chunk(l);
		buf_add(b, l, c.prefix);
		if (c.std == STD_NONE)
			break;
		l += c.prefix + c.len;
		int h12 = hour % 12 == 0 ? 12 : hour % 12;
		switch (c.std) {
		case STD_YEAR: pad_int(b, (year < 0 ? -year : year) % 100, 2); break;
		case STD_LONG_YEAR: pad_int(b, year, 4); break;
		case STD_MONTH: buf_add(b, months[mon - 1], 3); break;
		case STD_LONG_MONTH: buf_adds(b, months[mon - 1]); break;
		case STD_NUM_MONTH: buf_addf(b, "%d", mon); break;
		case STD_ZERO_MONTH: buf_addf(b, "%02d", mon); break;
		case STD_WEEKDAY: buf_add(b, days[wday], 3); break;
		case STD_LONG_WEEKDAY: buf_adds(b, days[wday]); break;
		case STD_DAY: buf_addf(b, "%d", mday); break;
		case STD_UNDER_DAY: buf_addf(b, "%2d", mday); break;
		case STD_ZERO_DAY: buf_addf(b, "%02d", mday); break;
		case STD_UNDER_YEARDAY: buf_addf(b, "%3d", yday); break;
		case STD_ZERO_YEARDAY: buf_addf(b, "%03d", yday); break;
		case STD_HOUR: buf_addf(b, "%02d", hour); break;
		case STD_HOUR12: buf_addf(b, "%d", h12); break;
		case STD_ZERO_HOUR12: buf_addf(b, "%02d", h12); break;
		case STD_MINUTE: buf_addf(b, "%d", min); break;
		case STD_ZERO_MINUTE: buf_addf(b, "%02d", min); break;
		case STD_SECOND: buf_addf(b, "%d", s); break;
		case STD_ZERO_SECOND: buf_addf(b, "%02d", s); break;
		case STD_PM: buf_adds(b, hour >= 12 ? "PM" : "AM"); break;
		case STD_pm: buf_adds(b, hour >= 12 ? "pm" : "am"); break;
		case STD_TZ:
			if (zname && *zname) {
				buf_adds(b, zname);
			} else {
				long z = off / 60;
				buf_addc(b, z < 0 ? '-' : '+');
				z = z < 0 ? -z : z;
				buf_addf(b, "%02ld%02ld", z / 60, z % 60);
			}
			break;
		case STD_FRAC0:
		case STD_FRAC9: {
			bool trim = c.std == STD_FRAC9;
			if (trim && (c.digits == 0 || nsec == 0))
				break;
			char f[16];
			snprintf(f, sizeof f, "%09ld", nsec);
			int n = c.digits < 9 ? c.digits : 9;
			f[n] = 0;
			if (trim)
				while (n && f[n - 1] == '0')
					f[--n] = 0;
			if (n || !trim) {
				buf_addc(b, c.sep);
				buf_adds(b, f);
			}
			break;
		}
		default: { /* numeric zones */
			bool iso = c.std >= STD_ISO_TZ && c.std <= STD_ISO_COLON_SECONDS_TZ;
			if (off == 0 && iso) {
				buf_addc(b, 'Z');
				break;
			}
			long z = off / 60, abs_off = off;
			if (z < 0) {
				buf_addc(b, '-');
				z = -z;
				abs_off = -abs_off;
			} else {
				buf_addc(b, '+');
			}
			buf_addf(b, "%02ld", z / 60);
			bool colon = c.std == STD_ISO_COLON_TZ || c.std == STD_NUM_COLON_TZ ||
				     c.std == STD_ISO_COLON_SECONDS_TZ ||
				     c.std == STD_NUM_COLON_SECONDS_TZ;
			if (colon)
				buf_addc(b, ':');
			if (c.std != STD_NUM_SHORT_TZ && c.std != STD_ISO_SHORT_TZ)
				buf_addf(b, "%02ld", z % 60);
			if (c.std == STD_ISO_SECONDS_TZ || c.std == STD_NUM_SECONDS_TZ ||
			    c.std == STD_NUM_COLON_SECONDS_TZ || c.std == STD_ISO_COLON_SECONDS_TZ) {
				if (colon)
					buf_addc(b, ':');
				buf_addf(b, "%02ld", abs_off % 60);
			}
		}
		}
	}
}

/* ---- parsing ---- */

static bool lookup_name(const char *const *tab, size_t n, bool prefix3, const char **v, int *idx)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = prefix3 ? 3 : strlen(tab[i]);
		if (!strncasecmp(*v, tab[i], l)) {
			*idx = (int)i;
			*v += l;
			return true;
		}
	}
	return false;
}

static bool getnum(const char **v, bool fixed, int *out)
{
	const char *s = *v;
	if (!isdigit((unsigned char)s[0]))
		return false;
	if (!isdigit((unsigned char)s[1])) {
		if (fixed)
			return false;
		*out = s[0] - '0';
		*v = s + 1;
		return true;
	}
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	*v = s + 2;
	return true;
}

static bool getnum3(const char **v, bool fixed, int *out)
{
	int n = 0, i = 0;
	for (; i < 3 && isdigit((unsigned char)(*v)[i]); i++)
		n = n * 10 + ((*v)[i] - '0');
	if (i == 0 || (fixed && i != 3))
		return false;
	*out = n;
	*v += i;
	return true;
}

/* Go's skip: literal text; a space matches any run of spaces. */
static bool skip(const char **v, const char *p, size_t n)
{
	const char *s = *v;
	size_t i = 0;
	while (i < n) {
		if (p[i] == ' ') {
			if (*s && *s != ' ')
				return false;
			while (i < n && p[i] == ' ')
				i++;
			while (*s == ' ')
				s++;
			continue;
		}
		if (*s != p[i])
			return false;
		s++;
		i++;
	}
	*v = s;
	return true;
}

static bool parse_nanos(const char *v, size_t nbytes, long *ns)
{
	if (v[0] != '.' && v[0] != ',')
		return false;
	if (nbytes > 10)
		nbytes = 10;
	long r = 0;
	for (size_t i = 1; i < nbytes; i++) {
		if (!isdigit((unsigned char)v[i]))
			return false;
		r = r * 10 + (v[i] - '0');
	}
	for (size_t i = nbytes; i < 10; i++)
		r *= 10;
	*ns = r;
	return true;
}

/* Go's parseTimeZone: the length of a zone abbreviation at v, or 0. */
static size_t tz_len(const char *v)
{
	size_t n = strlen(v);
	if (n < 3)
		return 0;
	if (n >= 4 && (!strncmp(v, "ChST", 4) || !strncmp(v, "MeST", 4)))
		return 4;
	if (!strncmp(v, "GMT", 3)) {
		/* parseGMT: GMT, or GMT followed by a signed hour offset */
		const char *p = v + 3;
		if (*p != '+' && *p != '-')
			return 3;
		const char *q = p + 1;
		long x = 0;
		if (!isdigit((unsigned char)*q))
			return 3;
		while (isdigit((unsigned char)*q) && x < 1000)
			x = x * 10 + (*q++ - '0');
		if (x > 23 || q == p + 1)
			return 3;
		return (size_t)(q - v);
	}
	if (v[0] == '+' || v[0] == '-') {
		/* parseSignedOffset */
		const char *q = v + 1;
		long x = 0;
		while (isdigit((unsigned char)*q) && x < 1000)
			x = x * 10 + (*q++ - '0');
		if (q == v + 1 || x > 23)
			return 0;
		return (size_t)(q - v);
	}
	size_t up = 0;
	while (up < 6 && up < n && v[up] >= 'A' && v[up] <= 'Z')
		up++;
	switch (up) {
	case 3: return 3;
	case 4: return v[3] == 'T' || !strncmp(v, "WITA", 4) ? 4 : 0;
	case 5: return v[4] == 'T' ? 5 : 0;
	default: return 0;
	}
}

static void quote_go(buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

static int parse_err(buf *eb, const char *layout, const char *value, const char *lelem, size_t ll,
		     const char *velem, const char *msg)
{
	buf_adds(eb, "parsing time ");
	quote_go(eb, value);
	if (msg) {
		buf_adds(eb, msg);
		return -1;
	}
	buf_adds(eb, " as ");
	quote_go(eb, layout);
	buf_adds(eb, ": cannot parse ");
	quote_go(eb, velem);
	buf_adds(eb, " as ");
	char *le = xstrndup(lelem, ll);
	quote_go(eb, le);
	free(le);
	return -1;
}

int gt_parse(const char *layout, const char *value, gt_time *out, buf *eb)
{
	int64_t year = 0;
	int month = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0;
	long nsec = 0;
	bool pm_set = false, am_set = false, utc = false;
	long zone_off = -1;
	char zname[16] = "";
	const char *l = layout, *v = value;
	for (;;) {
		chunk c = next_chunk(l);
		const char *std_start = l + c.prefix;
		const char *vhold = v;
		if (!skip(&v, l, c.prefix))
			return parse_err(eb, layout, value, l, c.prefix, vhold, NULL);
		if (c.std == STD_NONE) {
			if (*v) {
				buf b2;
				buf_init(&b2, 1 << 16);
				buf_adds(&b2, ": extra text: ");
				quote_go(&b2, v);
				parse_err(eb, layout, value, NULL, 0, NULL, buf_str(&b2));
				buf_release(&b2);
				return -1;
			}
			break;
		}
		l = std_start + c.len;
		const char *hold = v;
		bool ok = true;
		const char *range = NULL;
		int idx, n;
		switch (c.std) {
		case STD_YEAR:
			if (!isdigit((unsigned char)v[0]) || !isdigit((unsigned char)v[1])) {
				ok = false;
				break;
			}
			n = (v[0] - '0') * 10 + (v[1] - '0');
			v += 2;
			year = n >= 69 ? n + 1900 : n + 2000;
			break;
		case STD_LONG_YEAR:
			if (strlen(v) < 4 || !isdigit((unsigned char)v[0])) {
				ok = false;
				break;
			}
			for (int i = 0; i < 4; i++)
				ok = ok && isdigit((unsigned char)v[i]);
			if (ok) {
				year = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 +
				       (v[3] - '0');
				v += 4;
			}
			break;
		case STD_MONTH:
			ok = lookup_name(months, 12, true, &v, &idx);
			month = idx + 1;
			break;
		case STD_LONG_MONTH:
			ok = lookup_name(months, 12, false, &v, &idx);
			month = idx + 1;
			break;
		case STD_NUM_MONTH:
		case STD_ZERO_MONTH:
			ok = getnum(&v, c.std == STD_ZERO_MONTH, &month);
			if (ok && (month <= 0 || month > 12))
				range = "month";
			break;
		case STD_WEEKDAY:
			ok = lookup_name(days, 7, true, &v, &idx);
			break;
		case STD_LONG_WEEKDAY:
			ok = lookup_name(days, 7, false, &v, &idx);
			break;
		case STD_DAY:
		case STD_UNDER_DAY:
		case STD_ZERO_DAY:
			if (c.std == STD_UNDER_DAY && *v == ' ')
				v++;
			ok = getnum(&v, c.std == STD_ZERO_DAY, &day);
			break;
		case STD_UNDER_YEARDAY:
		case STD_ZERO_YEARDAY:
			for (int i = 0; i < 2; i++)
				if (c.std == STD_UNDER_YEARDAY && *v == ' ')
					v++;
			ok = getnum3(&v, c.std == STD_ZERO_YEARDAY, &yday);
			break;
		case STD_HOUR:
			ok = getnum(&v, false, &hour);
			if (ok && (hour < 0 || hour >= 24))
				range = "hour";
			break;
		case STD_HOUR12:
		case STD_ZERO_HOUR12:
			ok = getnum(&v, c.std == STD_ZERO_HOUR12, &hour);
			if (ok && (hour < 0 || hour > 12))
				range = "hour";
			break;
		case STD_MINUTE:
		case STD_ZERO_MINUTE:
			ok = getnum(&v, c.std == STD_ZERO_MINUTE, &min);
			if (ok && (min < 0 || min >= 60))
				range = "minute";
			break;
		case STD_SECOND:
		case STD_ZERO_SECOND:
			ok = getnum(&v, c.std == STD_ZERO_SECOND, &sec);
			if (ok && (sec < 0 || sec >= 60)) {
				range = "second";
				break;
			}
			if (ok && (v[0] == '.' || v[0] == ',') && isdigit((unsigned char)v[1])) {
				chunk nx = next_chunk(l);
				if (nx.std == STD_FRAC0 || nx.std == STD_FRAC9)
					break;
				size_t k = 2;
				while (isdigit((unsigned char)v[k]))
					k++;
				ok = parse_nanos(v, k, &nsec);
				v += k;
			}
			break;
		case STD_PM:
		case STD_pm:
			if (strlen(v) < 2) {
				ok = false;
				break;
			}
			if (!strncmp(v, c.std == STD_PM ? "PM" : "pm", 2))
				pm_set = true;
			else if (!strncmp(v, c.std == STD_PM ? "AM" : "am", 2))
				am_set = true;
			else
				ok = false;
			if (ok)
				v += 2;
			break;
		case STD_TZ: {
			if (!strncmp(v, "UTC", 3)) {
				utc = true;
				v += 3;
				break;
			}
			size_t zl = tz_len(v);
			if (!zl || zl >= sizeof zname) {
				ok = false;
				break;
			}
			memcpy(zname, v, zl);
			zname[zl] = 0;
			v += zl;
			break;
		}
		case STD_FRAC0: {
			size_t nd = 1 + (size_t)c.digits;
			if (strlen(v) < nd) {
				ok = false;
				break;
			}
			ok = parse_nanos(v, nd, &nsec);
			if (ok)
				v += nd;
			break;
		}
		case STD_FRAC9: {
			if (strlen(v) < 2 || (v[0] != '.' && v[0] != ',') ||
			    !isdigit((unsigned char)v[1]))
				break;
			size_t i = 0;
			while (isdigit((unsigned char)v[i + 1]))
				i++;
			ok = parse_nanos(v, 1 + i, &nsec);
			v += 1 + i;
			break;
		}
		default: { /* numeric zones */
			bool iso = c.std >= STD_ISO_TZ && c.std <= STD_ISO_COLON_SECONDS_TZ;
			if (iso && *v == 'Z') {
				v++;
				utc = true;
				break;
			}
			size_t vl = strlen(v);
			const char *hh, *mm = "00", *ss = "00";
			char sign = v[0];
			if (c.std == STD_ISO_COLON_TZ || c.std == STD_NUM_COLON_TZ) {
				if (vl < 6 || v[3] != ':') { ok = false; break; }
				hh = v + 1; mm = v + 4; v += 6;
			} else if (c.std == STD_NUM_SHORT_TZ || c.std == STD_ISO_SHORT_TZ) {
				if (vl < 3) { ok = false; break; }
				hh = v + 1; v += 3;
			} else if (c.std == STD_ISO_COLON_SECONDS_TZ ||
				   c.std == STD_NUM_COLON_SECONDS_TZ) {
				if (vl < 9 || v[3] != ':' || v[6] != ':') { ok = false; break; }
				hh = v + 1; mm = v + 4; ss = v + 7; v += 9;
			} else if (c.std == STD_ISO_SECONDS_TZ || c.std == STD_NUM_SECONDS_TZ) {
				if (vl < 7) { ok = false; break; }
				hh = v + 1; mm = v + 3; ss = v + 5; v += 7;
			} else {
				if (vl < 5) { ok = false; break; }
				hh = v + 1; mm = v + 3; v += 5;
			}
			int h, m, s2;
			const char *p1 = hh, *p2 = mm, *p3 = ss;
			if (!getnum(&p1, true, &h) || !getnum(&p2, true, &m) || !getnum(&p3, true, &s2)) {
				ok = false;
				break;
			}
			if (h > 24)
				range = "time zone offset hour";
			if (m > 60)
				range = "time zone offset minute";
			if (s2 > 60)
				range = "time zone offset second";
			zone_off = (h * 60 + m) * 60 + s2;
			if (sign == '-')
				zone_off = -zone_off;
			else if (sign != '+')
				ok = false;
		}
		}
		if (range) {
			char msg[64];
			snprintf(msg, sizeof msg, ": %s out of range", range);
			return parse_err(eb, layout, value, NULL, 0, NULL, msg);
		}
		if (!ok)
			return parse_err(eb, layout, value, std_start, c.len, hold, NULL);
	}
	if (pm_set && hour < 12)
		hour += 12;
	else if (am_set && hour == 12)
		hour = 0;
	if (yday >= 0) {
		int d = 0, m = 0;
		if (leap(year)) {
			if (yday == 31 + 29) {
				m = 2;
				d = 29;
			} else if (yday > 31 + 29) {
				yday--;
			}
		}
		if (yday < 1 || yday > 365)
			return parse_err(eb, layout, value, NULL, 0, NULL, ": day-of-year out of range");
		if (!m) {
			static const int cum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
						  365};
			m = (yday - 1) / 31 + 1;
			if (cum[m] < yday)
				m++;
			d = yday - cum[m - 1];
		}
		if (month >= 0 && month != m)
			return parse_err(eb, layout, value, NULL, 0, NULL,
					 ": day-of-year does not match month");
		month = m;
		if (day >= 0 && day != d)
			return parse_err(eb, layout, value, NULL, 0, NULL,
					 ": day-of-year does not match day");
		day = d;
	} else {
		if (month < 0)
			month = 1;
		if (day < 0)
			day = 1;
	}
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int maxd = dim[month - 1] + (month == 2 && leap(year));
	if (day < 1 || day > maxd)
		return parse_err(eb, layout, value, NULL, 0, NULL, ": day out of range");
	int64_t t = gt_days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
	out->nsec = nsec;
	out->zone[0] = 0;
	out->off = 0;
	out->utc = true;
	if (utc) {
		out->sec = t;
		return 0;
	}
	if (zone_off != -1) {
		out->sec = t - zone_off;
		/* the local zone (UTC) when the offset matches, else a fixed zone without a name */
		if (zone_off == 0 && (!zname[0] || !strcmp(zname, "UTC")))
			return 0;
		out->utc = false;
		out->off = zone_off;
		snprintf(out->zone, sizeof out->zone, "%s", zname);
		return 0;
	}
	if (zname[0]) {
		/* an abbreviation the local zone (UTC) does not know: that name, offset 0 (or the
		 * GMT+h offset) */
		long off = 0;
		if (strlen(zname) > 3 && !strncmp(zname, "GMT", 3))
			off = strtol(zname + 3, NULL, 10) * 3600;
		out->sec = t; /* Go keeps the wall clock as UTC here */
		out->utc = false;
		out->off = off;
		snprintf(out->zone, sizeof out->zone, "%s", zname);
		return 0;
	}
	out->sec = t;
	return 0;
}

/* ---- time zones (time.LoadLocation from the tz database, and Location.lookup) ---- */

static int64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	if (n == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

void gt_zone_release(gt_zone *z)
{
	free(z->tx);
	free(z->idx);
	free(z->types);
	free(z->extend);
	memset(z, 0, sizeof *z);
}

/* LoadLocationFromTZData: the version 2+ block when present, and the footer TZ string. */
static int zone_from_data(gt_zone *z, const unsigned char *d, size_t n)
{
	memset(z, 0, sizeof *z);
	if (n < 44 || memcmp(d, "TZif", 4))
		return -1;
	int ver = d[4] ? d[4] - '0' : 1;
	const unsigned char *p = d;
	size_t left = n;
	int tsz = 4;
	for (int pass = 0; pass < 2; pass++) {
		if (left < 44 || memcmp(p, "TZif", 4))
			return -1;
		int64_t isut = be(p + 20, 4), isstd = be(p + 24, 4), leap = be(p + 28, 4),
			tcnt = be(p + 32, 4), ty = be(p + 36, 4), chars = be(p + 40, 4);
		if (isut < 0 || isstd < 0 || leap < 0 || tcnt < 0 || ty <= 0 || chars < 0 ||
		    tcnt > 100000 || ty > 256 || chars > 100000 || leap > 100000)
			return -1;
		size_t need = (size_t)(tcnt * tsz + tcnt + ty * 6 + chars + leap * (tsz + 4) + isstd +
				       isut);
		if (left - 44 < need)
			return -1;
		if (ver >= 2 && pass == 0) {
			p += 44 + need;
			left -= 44 + need;
			tsz = 8;
			continue;
		}
		const unsigned char *q = p + 44;
		z->ntx = (size_t)tcnt;
		z->tx = xcalloc(z->ntx + 1, sizeof *z->tx);
		z->idx = xcalloc(z->ntx + 1, 1);
		for (size_t i = 0; i < z->ntx; i++)
			z->tx[i] = be(q + i * (size_t)tsz, tsz);
		q += tcnt * tsz;
		memcpy(z->idx, q, z->ntx);
		q += tcnt;
		z->ntypes = (size_t)ty;
		z->types = xcalloc(z->ntypes, sizeof *z->types);
		const unsigned char *ab = q + ty * 6;
		for (size_t i = 0; i < z->ntypes; i++) {
			z->types[i].off = (long)be(q + i * 6, 4);
			z->types[i].dst = q[i * 6 + 4];
			unsigned ai = q[i * 6 + 5];
			if (ai < chars)
				snprintf(z->types[i].name, sizeof z->types[i].name, "%.*s",
					 (int)strnlen((const char *)ab + ai, (size_t)chars - ai),
					 (const char *)ab + ai);
		}
		for (size_t i = 0; i < z->ntx; i++)
			if (z->idx[i] >= z->ntypes)
				return gt_zone_release(z), -1;
		p += 44 + need;
		left -= 44 + need;
		if (tsz == 8 && left > 2 && p[0] == '\n') {
			const unsigned char *e = memchr(p + 1, '\n', left - 1);
			if (e && e > p + 1)
				z->extend = xstrndup((const char *)p + 1, (size_t)(e - p - 1));
		}
		return 0;
	}
	return -1;
}

int gt_zone_load(const char *name, gt_zone *z)
{
	memset(z, 0, sizeof *z);
	if (!*name || name[0] == '/' || name[0] == '\\' || strlen(name) > 200)
		return -1;
	/* Go's containsDotDot: a ".." path element */
	for (const char *p = name; *p;) {
		size_t l = strcspn(p, "/");
		if (l == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		p += l + (p[l] == '/');
	}
	static const char *const dirs[] = {"/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/",
					   "/usr/lib/locale/TZ/", "/etc/zoneinfo/"};
	const char *env = getenv("ZONEINFO");
	for (int i = -1; i < 4; i++) {
		if (i < 0 && (!env || !*env))
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s%s%s", i < 0 ? env : dirs[i], i < 0 ? "/" : "", name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		buf b;
		buf_init(&b, 1 << 20);
		char chunk[4096];
		size_t n;
		int rc = 0;
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			if (buf_add(&b, chunk, n)) {
				rc = -1;
				break;
			}
		fclose(f);
		if (!rc)
			rc = zone_from_data(z, (const unsigned char *)(b.data ? b.data : ""), b.len);
		buf_release(&b);
		if (!rc)
			return 0;
	}
	return -1;
}

/* ---- POSIX TZ strings (Go's tzset), for times after the last transition ---- */

static const char *tz_name(const char *s, char *out, size_t n)
{
	const char *st = s;
	if (*s == '<') {
		st = ++s;
		while (*s && *s != '>')
			s++;
		if (*s != '>')
			return NULL;
		snprintf(out, n, "%.*s", (int)(s - st), st);
		return s + 1;
	}
	while (*s && !isdigit((unsigned char)*s) && *s != ',' && *s != '-' && *s != '+')
		s++;
	if (s - st < 3)
		return NULL;
	snprintf(out, n, "%.*s", (int)(s - st), st);
	return s;
}

static const char *tz_num(const char *s, int *out)
{
	if (!isdigit((unsigned char)*s))
		return NULL;
	int v = 0;
	while (isdigit((unsigned char)*s) && v < 100000)
		v = v * 10 + (*s++ - '0');
	*out = v;
	return s;
}

/* [+-]hh[:mm[:ss]] in seconds; sign as written. */
static const char *tz_offset(const char *s, long *out)
{
	int neg = 0;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	int h, m = 0, sec = 0;
	if (!(s = tz_num(s, &h)))
		return NULL;
	if (*s == ':') {
		if (!(s = tz_num(s + 1, &m)))
			return NULL;
		if (*s == ':' && !(s = tz_num(s + 1, &sec)))
			return NULL;
	}
	long v = h * 3600L + m * 60L + sec;
	*out = neg ? -v : v;
	return s;
}

typedef struct tz_rule { char kind; int day, week, mon; long time; } tz_rule;

static const char *tz_rule_parse(const char *s, tz_rule *r)
{
	r->time = 7200;
	if (*s == 'J') {
		r->kind = 'J';
		if (!(s = tz_num(s + 1, &r->day)) || r->day < 1 || r->day > 365)
			return NULL;
	} else if (*s == 'M') {
		r->kind = 'M';
		if (!(s = tz_num(s + 1, &r->mon)) || *s != '.' || !(s = tz_num(s + 1, &r->week)) ||
		    *s != '.' || !(s = tz_num(s + 1, &r->day)))
			return NULL;
		if (r->mon < 1 || r->mon > 12 || r->week < 1 || r->week > 5 || r->day > 6)
			return NULL;
	} else {
		r->kind = 'D';
		if (!(s = tz_num(s, &r->day)) || r->day > 365)
			return NULL;
	}
	if (*s == '/' && !(s = tz_offset(s + 1, &r->time)))
		return NULL;
	return s;
}

/* Seconds since the start of the year at which rule r takes effect (local time). */
static long tz_rule_time(int64_t year, const tz_rule *r, long off)
{
	long s;
	if (r->kind == 'J') {
		int d = r->day;
		if (leap(year) && d >= 60)
			d++;
		s = (d - 1) * 86400L;
	} else if (r->kind == 'D') {
		s = r->day * 86400L;
	} else {
		int64_t first = gt_days_from_civil(year, r->mon, 1);
		int wd = (int)(((first % 7) + 11) % 7);
		int d = r->day - wd;
		if (d < 0)
			d += 7;
		static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		int md = dim[r->mon - 1] + (r->mon == 2 && leap(year));
		for (int i = 1; i < r->week; i++) {
			if (d + 7 >= md)
				break;
			d += 7;
		}
		s = (long)(first - gt_days_from_civil(year, 1, 1) + d) * 86400L;
	}
	return s + r->time - off;
}

static bool tzset_lookup(const char *tz, int64_t sec, long *off, char *name, size_t nn)
{
	char std[16], dst[16];
	long stdoff, dstoff;
	const char *s = tz_name(tz, std, sizeof std);
	if (!s || !(s = tz_offset(s, &stdoff)))
		return false;
	stdoff = -stdoff;
	if (!*s || *s == ',') {
		*off = stdoff;
		snprintf(name, nn, "%s", std);
		return !*s;
	}
	if (!(s = tz_name(s, dst, sizeof dst)))
		return false;
	dstoff = stdoff + 3600;
	if (*s && *s != ',') {
		if (!(s = tz_offset(s, &dstoff)))
			return false;
		dstoff = -dstoff;
	}
	tz_rule r1, r2;
	if (!*s) {
		r1 = (tz_rule){'M', 0, 2, 3, 7200};
		r2 = (tz_rule){'M', 0, 1, 11, 7200};
	} else if (*s != ',' || !(s = tz_rule_parse(s + 1, &r1)) || *s != ',' ||
		   !(s = tz_rule_parse(s + 1, &r2)) || *s) {
		return false;
	}
	int64_t dn = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
	int64_t year;
	int m, d;
	civil(dn, &year, &m, &d);
	int64_t ys = gt_days_from_civil(year, 1, 1) * 86400;
	int64_t t = sec - ys;
	long start = tz_rule_time(year, &r1, stdoff), end = tz_rule_time(year, &r2, dstoff);
	bool in_dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
	*off = in_dst ? dstoff : stdoff;
	snprintf(name, nn, "%s", in_dst ? dst : std);
	return true;
}

void gt_zone_lookup(const gt_zone *z, int64_t sec, long *off, char *name, size_t nn)
{
	size_t ti;
	if (!z->ntx || sec < z->tx[0]) {
		/* Go's lookupFirstZone */
		bool used = false;
		for (size_t i = 0; i < z->ntx && !used; i++)
			used = z->idx[i] == 0;
		ti = 0;
		if (used) {
			if (z->ntx && z->types[z->idx[0]].dst) {
				for (int i = (int)z->idx[0] - 1; i >= 0; i--)
					if (!z->types[i].dst) {
						ti = (size_t)i;
						goto found;
					}
			}
			for (size_t i = 0; i < z->ntypes; i++)
				if (!z->types[i].dst) {
					ti = i;
					goto found;
				}
		}
found:
		*off = z->types[ti].off;
		snprintf(name, nn, "%s", z->types[ti].name);
		return;
	}
	size_t lo = 0, hi = z->ntx;
	while (hi - lo > 1) {
		size_t m = (lo + hi) / 2;
		if (sec < z->tx[m])
			hi = m;
		else
			lo = m;
	}
	ti = z->idx[lo];
	*off = z->types[ti].off;
	snprintf(name, nn, "%s", z->types[ti].name);
	if (lo == z->ntx - 1 && z->extend)
		tzset_lookup(z->extend, sec, off, name, nn);
}
