/* Internal declarations of the chart module. */
#ifndef EDDY_CHART_INTERNAL_H
#define EDDY_CHART_INTERNAL_H

#include "eddy/chart.h"

typedef struct cfile {
	char *name; /* path inside the chart, '/'-separated */
	char *data;
	size_t len;
} cfile;

struct chart {
	char *name;
	tmpl_val meta;         /* Chart.yaml as a map */
	tmpl_val values;       /* values.yaml (float64 numbers, as Helm) */
	tmpl_val deps_meta;    /* list of dependency maps (Chart.yaml or requirements.yaml) */
	char *schema;
	size_t schema_len;
	cfile *templates;
	size_t ntemplates;
	cfile *files;          /* everything else, crds/ included */
	size_t nfiles;
	struct chart **deps;   /* loaded from charts/ */
	size_t ndeps;
	struct chart *parent;
	bool enabled;
	char *alias;
};

chart *chart_new_empty(void);
chart *chart_dup_shallow(const chart *c); /* a copy sharing nothing (deep) for aliases */

#endif
