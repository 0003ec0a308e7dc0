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

#endif
