/* Go's time layouts: formatting (time.Format) and parsing (time.ParseInLocation with the local
 * zone being UTC, the engine's choice). */
#ifndef EDDY_GOTMPL_GOTIME_H
#define EDDY_GOTMPL_GOTIME_H

#include "eddy/buf.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct gt_time {
	int64_t sec;   /* Unix seconds */
	long nsec;
	bool utc;      /* in UTC (the local zone); else a fixed zone: */
	long off;      /* seconds east of UTC */
	char zone[16]; /* its name ("" prints as -0700) */
} gt_time;

/* Append t (sec, nsec at offset off, zone name zname) formatted with a Go layout. */
void gt_format(buf *b, const char *layout, int64_t sec, long nsec, long off, const char *zname);
/* Parse value with a Go layout; on error -1 and Go's message ("parsing time ...") in eb. */
int gt_parse(const char *layout, const char *value, gt_time *out, buf *eb);
int64_t gt_days_from_civil(int64_t y, int m, int d);

/* A location of the tz database (time.LoadLocation). */
typedef struct gt_zone {
	int64_t *tx;      /* transition times */
	unsigned char *idx; /* type of each transition */
	size_t ntx;
	struct { long off; bool dst; char name[16]; } *types;
	size_t ntypes;
	char *extend;     /* POSIX TZ string for times after the last transition, or NULL */
} gt_zone;

/* Load NAME ("Europe/Paris") from $ZONEINFO or the system zoneinfo directories, refusing absolute
 * names and ".." elements as Go does; -1 when it cannot be loaded. */
int gt_zone_load(const char *name, gt_zone *z);
void gt_zone_release(gt_zone *z);
/* The offset and abbreviation in effect at sec. */
void gt_zone_lookup(const gt_zone *z, int64_t sec, long *off, char *name, size_t n);

#endif
