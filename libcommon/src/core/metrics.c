#include "eddy/metrics.h"

#include "eddy/mem.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct series {
	struct series *next; /* hash chain */
	uint64_t hash;
	char **vals;
	double value;	  /* counter, gauge */
	double sum;	  /* histogram */
	uint64_t count;	  /* histogram */
	uint64_t *counts; /* histogram: per bucket (not cumulative), nbuckets + 1 (+Inf) */
} series;

struct met_family {
	char *name;
	char *help;
	met_type type;
	char **labels;
	size_t nlabels;
	double *buckets;
	size_t nbuckets;
	pthread_mutex_t lock;
	series **table;
	size_t tsize;
	size_t count;
};

typedef struct collector {
	met_collect_fn fn;
	void *arg;
} collector;

struct met_registry {
	pthread_mutex_t lock;
	met_family **fams;
	size_t nfams;
	collector *colls;
	size_t ncolls;
};

static const double default_buckets[] = { .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10 };

/* Formatting. */

char *met_format_double(char *out, size_t n, double v)
{
	if (isnan(v)) {
		snprintf(out, n, "NaN");
		return out;
	}
	if (isinf(v)) {
		snprintf(out, n, v > 0 ? "+Inf" : "-Inf");
		return out;
	}
	if (v == 0) {
		snprintf(out, n, signbit(v) ? "-0" : "0");
		return out;
	}
	/* The shortest precision that reads back exactly, then Go's choice between %e and %f:
	 * exponent form when the decimal exponent is < -4 or >= 6 (shortest mode). */
	char tmp[48];
	int p;
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	if (p > 17)
		p = 17;
	const char *e = strchr(tmp, 'e');
	long exp = e ? strtol(e + 1, NULL, 10) : 0;
	if (exp < -4 || exp >= 6) {
		snprintf(out, n, "%s", tmp);
	} else {
		long dec = p - 1 - exp;
		snprintf(out, n, "%.*f", (int)(dec > 0 ? dec : 0), v);
	}
	return out;
}

int met_escape_label(buf *out, const char *s)
{
	for (; *s; s++) {
		int r;
		if (*s == '\\')
			r = buf_add(out, "\\\\", 2);
		else if (*s == '"')
			r = buf_add(out, "\\\"", 2);
		else if (*s == '\n')
			r = buf_add(out, "\\n", 2);
		else
			r = buf_addc(out, *s);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int escape_help(buf *out, const char *s)
{
	for (; *s; s++) {
		int r;
		if (*s == '\\')
			r = buf_add(out, "\\\\", 2);
		else if (*s == '\n')
			r = buf_add(out, "\\n", 2);
		else
			r = buf_addc(out, *s);
		if (r < 0)
			return -1;
	}
	return 0;
}

void met_exponential_buckets_range(double min, double max, size_t count, double *out)
{
	if (count == 0)
		return;
	if (count == 1) {
		out[0] = min;
		return;
	}
	double growth = pow(max / min, 1.0 / (double)(count - 1));
	for (size_t i = 0; i < count; i++)
		out[i] = min * pow(growth, (double)i);
}

/* Registry and families. */

met_registry *met_registry_new(void)
{
	met_registry *r = xcalloc(1, sizeof *r);
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

static void free_series(met_family *f, series *s)
{
	for (size_t i = 0; i < f->nlabels; i++)
		free(s->vals[i]);
	free(s->vals);
	free(s->counts);
	free(s);
}

static void free_family(met_family *f)
{
	for (size_t i = 0; i < f->tsize; i++) {
		series *s = f->table[i];
		while (s) {
			series *next = s->next;
			free_series(f, s);
			s = next;
		}
	}
	free(f->table);
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->labels);
	free(f->buckets);
	free(f->name);
	free(f->help);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void met_registry_free(met_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfams; i++)
		free_family(r->fams[i]);
	free(r->fams);
	free(r->colls);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static bool valid_name(const char *s, bool metric)
{
	if (!s || !*s)
		return false;
	if (!metric && s[0] == '_' && s[1] == '_')
		return false; /* reserved */
	for (const char *p = s; *p; p++) {
		bool ok = isalpha((unsigned char)*p) || *p == '_' || (metric && *p == ':') ||
			  (p > s && isdigit((unsigned char)*p));
		if (!ok || (unsigned char)*p >= 0x80)
			return false;
	}
	return true;
}

static bool same_shape(const met_family *f, met_type type, const char *const *labels,
		       size_t nlabels, const double *buckets, size_t nbuckets)
{
	if (f->type != type || f->nlabels != nlabels)
		return false;
	for (size_t i = 0; i < nlabels; i++)
		if (strcmp(f->labels[i], labels[i]) != 0)
			return false;
	if (type == MET_HISTOGRAM) {
		if (f->nbuckets != nbuckets)
			return false;
		for (size_t i = 0; i < nbuckets; i++)
			if (f->buckets[i] != buckets[i])
				return false;
	}
	return true;
}

static met_family *reg(met_registry *r, met_type type, const char *name, const char *help,
		       const char *const *labels, size_t nlabels, const double *buckets,
		       size_t nbuckets)
{
	if (!r || !valid_name(name, true) || nlabels > MET_MAX_LABELS || (nlabels && !labels))
		return NULL;
	for (size_t i = 0; i < nlabels; i++) {
		if (!valid_name(labels[i], false))
			return NULL;
		if (type == MET_HISTOGRAM && strcmp(labels[i], "le") == 0)
			return NULL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(labels[i], labels[j]) == 0)
				return NULL;
	}
	if (type == MET_HISTOGRAM) {
		if (!buckets) {
			buckets = default_buckets;
			nbuckets = sizeof default_buckets / sizeof default_buckets[0];
		}
		if (nbuckets == 0 || nbuckets > MET_MAX_BUCKETS)
			return NULL;
		for (size_t i = 0; i < nbuckets; i++) {
			if (isnan(buckets[i]) || isinf(buckets[i]))
				return NULL;
			if (i > 0 && !(buckets[i] > buckets[i - 1]))
				return NULL;
		}
	}
	pthread_mutex_lock(&r->lock);
	met_family *found = NULL;
	for (size_t i = 0; i < r->nfams; i++) {
		if (strcmp(r->fams[i]->name, name) == 0) {
			found = r->fams[i];
			break;
		}
	}
	if (found) {
		bool same = same_shape(found, type, labels, nlabels, buckets, nbuckets);
		pthread_mutex_unlock(&r->lock);
		return same ? found : NULL;
	}
	met_family *f = xcalloc(1, sizeof *f);
	f->name = xstrdup(name);
	f->help = xstrdup(help ? help : "");
	f->type = type;
	f->nlabels = nlabels;
	f->labels = xcalloc(nlabels ? nlabels : 1, sizeof *f->labels);
	for (size_t i = 0; i < nlabels; i++)
		f->labels[i] = xstrdup(labels[i]);
	if (type == MET_HISTOGRAM) {
		f->nbuckets = nbuckets;
		f->buckets = xmalloc(nbuckets * sizeof *f->buckets);
		memcpy(f->buckets, buckets, nbuckets * sizeof *f->buckets);
	}
	pthread_mutex_init(&f->lock, NULL);
	f->tsize = 16;
	f->table = xcalloc(f->tsize, sizeof *f->table);
	r->fams = xrealloc(r->fams, (r->nfams + 1) * sizeof *r->fams);
	r->fams[r->nfams++] = f;
	pthread_mutex_unlock(&r->lock);
	return f;
}

met_family *met_counter(met_registry *r, const char *name, const char *help,
			const char *const *labels, size_t nlabels)
{
	return reg(r, MET_COUNTER, name, help, labels, nlabels, NULL, 0);
}

met_family *met_gauge(met_registry *r, const char *name, const char *help,
		      const char *const *labels, size_t nlabels)
{
	return reg(r, MET_GAUGE, name, help, labels, nlabels, NULL, 0);
}

met_family *met_histogram(met_registry *r, const char *name, const char *help,
			  const char *const *labels, size_t nlabels, const double *buckets,
			  size_t nbuckets)
{
	return reg(r, MET_HISTOGRAM, name, help, labels, nlabels, buckets, nbuckets);
}

void met_on_collect(met_registry *r, met_collect_fn fn, void *arg)
{
	pthread_mutex_lock(&r->lock);
	r->colls = xrealloc(r->colls, (r->ncolls + 1) * sizeof *r->colls);
	r->colls[r->ncolls++] = (collector){ fn, arg };
	pthread_mutex_unlock(&r->lock);
}

/* Series lookup (family lock held). */

static uint64_t hash_vals(const met_family *f, const char *const *vals)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < f->nlabels; i++) {
		const char *v = vals[i] ? vals[i] : "";
		for (; *v; v++) {
			h ^= (unsigned char)*v;
			h *= 1099511628211ULL;
		}
		h ^= 0xff;
		h *= 1099511628211ULL;
	}
	return h;
}

static bool vals_equal(const met_family *f, const series *s, const char *const *vals)
{
	for (size_t i = 0; i < f->nlabels; i++)
		if (strcmp(s->vals[i], vals[i] ? vals[i] : "") != 0)
			return false;
	return true;
}

static void grow(met_family *f)
{
	size_t nsize = f->tsize * 2;
	series **nt = xcalloc(nsize, sizeof *nt);
	for (size_t i = 0; i < f->tsize; i++) {
		series *s = f->table[i];
		while (s) {
			series *next = s->next;
			size_t k = s->hash & (nsize - 1);
			s->next = nt[k];
			nt[k] = s;
			s = next;
		}
	}
	free(f->table);
	f->table = nt;
	f->tsize = nsize;
}

static series *find(met_family *f, const char *const *vals, bool create)
{
	if (f->nlabels && !vals)
		return NULL;
	uint64_t h = hash_vals(f, vals);
	for (series *s = f->table[h & (f->tsize - 1)]; s; s = s->next)
		if (s->hash == h && vals_equal(f, s, vals))
			return s;
	if (!create || f->count >= MET_MAX_SERIES)
		return NULL;
	if (f->count + 1 > f->tsize)
		grow(f);
	series *s = xcalloc(1, sizeof *s);
	s->hash = h;
	s->vals = xcalloc(f->nlabels ? f->nlabels : 1, sizeof *s->vals);
	for (size_t i = 0; i < f->nlabels; i++)
		s->vals[i] = xstrdup(vals[i] ? vals[i] : "");
	if (f->type == MET_HISTOGRAM)
		s->counts = xcalloc(f->nbuckets + 1, sizeof *s->counts);
	size_t k = h & (f->tsize - 1);
	s->next = f->table[k];
	f->table[k] = s;
	f->count++;
	return s;
}

/* Updates. */

void met_add(met_family *f, const char *const *vals, double v)
{
	if (!f || f->type == MET_HISTOGRAM)
		return;
	if (f->type == MET_COUNTER && !(v >= 0))
		return;
	pthread_mutex_lock(&f->lock);
	series *s = find(f, vals, true);
	if (s)
		s->value += v;
	pthread_mutex_unlock(&f->lock);
}

void met_inc(met_family *f, const char *const *vals)
{
	met_add(f, vals, 1);
}

/* Set any counter or gauge (counters only internally, for values read from the kernel). */
static void set_value(met_family *f, const char *const *vals, double v)
{
	if (!f || f->type == MET_HISTOGRAM)
		return;
	pthread_mutex_lock(&f->lock);
	series *s = find(f, vals, true);
	if (s)
		s->value = v;
	pthread_mutex_unlock(&f->lock);
}

void met_set(met_family *f, const char *const *vals, double v)
{
	if (!f || f->type != MET_GAUGE)
		return;
	pthread_mutex_lock(&f->lock);
	series *s = find(f, vals, true);
	if (s)
		s->value = v;
	pthread_mutex_unlock(&f->lock);
}

void met_observe(met_family *f, const char *const *vals, double v)
{
	if (!f || f->type != MET_HISTOGRAM || isnan(v))
		return;
	pthread_mutex_lock(&f->lock);
	series *s = find(f, vals, true);
	if (s) {
		size_t i = 0;
		while (i < f->nbuckets && v > f->buckets[i])
			i++;
		s->counts[i]++;
		s->count++;
		s->sum += v;
	}
	pthread_mutex_unlock(&f->lock);
}

double met_value(met_family *f, const char *const *vals)
{
	if (!f)
		return 0;
	pthread_mutex_lock(&f->lock);
	series *s = find(f, vals, false);
	double v = !s ? 0 : f->type == MET_HISTOGRAM ? (double)s->count : s->value;
	pthread_mutex_unlock(&f->lock);
	return v;
}

static void unlink_series(met_family *f, series *victim)
{
	series **pp = &f->table[victim->hash & (f->tsize - 1)];
	while (*pp && *pp != victim)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = victim->next;
		free_series(f, victim);
		f->count--;
	}
}

int met_remove(met_family *f, const char *const *vals)
{
	if (!f)
		return 0;
	pthread_mutex_lock(&f->lock);
	series *s = find(f, vals, false);
	if (s)
		unlink_series(f, s);
	pthread_mutex_unlock(&f->lock);
	return s ? 1 : 0;
}

size_t met_remove_matching(met_family *f, const char *const *labels, const char *const *values,
			   size_t n)
{
	if (!f)
		return 0;
	size_t idx[MET_MAX_LABELS];
	if (n > MET_MAX_LABELS)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < f->nlabels && strcmp(f->labels[j], labels[i]) != 0)
			j++;
		if (j == f->nlabels)
			return 0; /* the family has no such label: nothing matches */
		idx[i] = j;
	}
	size_t removed = 0;
	pthread_mutex_lock(&f->lock);
	for (size_t k = 0; k < f->tsize; k++) {
		series **pp = &f->table[k];
		while (*pp) {
			series *s = *pp;
			bool match = true;
			for (size_t i = 0; i < n && match; i++)
				match = strcmp(s->vals[idx[i]], values[i] ? values[i] : "") == 0;
			if (match) {
				*pp = s->next;
				free_series(f, s);
				f->count--;
				removed++;
			} else {
				pp = &s->next;
			}
		}
	}
	pthread_mutex_unlock(&f->lock);
	return removed;
}

/* Exposition. */

static size_t sort_nlabels;

static int cmp_series(const void *a, const void *b)
{
	const series *x = *(const series *const *)a;
	const series *y = *(const series *const *)b;
	for (size_t i = 0; i < sort_nlabels; i++) {
		int c = strcmp(x->vals[i], y->vals[i]);
		if (c)
			return c;
	}
	return 0;
}

static int cmp_family(const void *a, const void *b)
{
	const met_family *x = *(const met_family *const *)a;
	const met_family *y = *(const met_family *const *)b;
	return strcmp(x->name, y->name);
}

/* `{l1="v1",l2="v2"[,le="x"]}` or nothing when there are no labels at all. */
static int add_labels(buf *out, const met_family *f, const series *s, const char *le)
{
	int r = 0;
	if (f->nlabels == 0 && !le)
		return 0;
	r |= buf_addc(out, '{');
	for (size_t i = 0; i < f->nlabels; i++) {
		r |= buf_addf(out, "%s%s=\"", i ? "," : "", f->labels[i]);
		r |= met_escape_label(out, s->vals[i]);
		r |= buf_addc(out, '"');
	}
	if (le)
		r |= buf_addf(out, "%sle=\"%s\"", f->nlabels ? "," : "", le);
	r |= buf_addc(out, '}');
	return r;
}

static int expose_series(buf *out, const met_family *f, const series *s)
{
	char num[48];
	int r = 0;
	if (f->type != MET_HISTOGRAM) {
		r |= buf_adds(out, f->name);
		r |= add_labels(out, f, s, NULL);
		r |= buf_addf(out, " %s\n", met_format_double(num, sizeof num, s->value));
		return r;
	}
	uint64_t cum = 0;
	for (size_t i = 0; i <= f->nbuckets; i++) {
		char le[48];
		cum += s->counts[i];
		if (i < f->nbuckets)
			met_format_double(le, sizeof le, f->buckets[i]);
		else
			snprintf(le, sizeof le, "+Inf");
		r |= buf_addf(out, "%s_bucket", f->name);
		r |= add_labels(out, f, s, le);
		r |= buf_addf(out, " %llu\n", (unsigned long long)cum);
	}
	r |= buf_addf(out, "%s_sum", f->name);
	r |= add_labels(out, f, s, NULL);
	r |= buf_addf(out, " %s\n", met_format_double(num, sizeof num, s->sum));
	r |= buf_addf(out, "%s_count", f->name);
	r |= add_labels(out, f, s, NULL);
	r |= buf_addf(out, " %llu\n", (unsigned long long)s->count);
	return r;
}

static int expose_family(buf *out, met_family *f)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	int r = 0;
	pthread_mutex_lock(&f->lock);
	if (f->nlabels == 0)
		find(f, NULL, true); /* an unlabelled family always has its series */
	if (f->count == 0) {
		pthread_mutex_unlock(&f->lock);
		return 0;
	}
	series **all = xmalloc(f->count * sizeof *all);
	size_t n = 0;
	for (size_t i = 0; i < f->tsize; i++)
		for (series *s = f->table[i]; s; s = s->next)
			all[n++] = s;
	sort_nlabels = f->nlabels;
	qsort(all, n, sizeof *all, cmp_series);
	r |= buf_addf(out, "# HELP %s ", f->name);
	r |= escape_help(out, f->help);
	r |= buf_addf(out, "\n# TYPE %s %s\n", f->name, types[f->type]);
	for (size_t i = 0; i < n && r == 0; i++)
		r |= expose_series(out, f, all[i]);
	free(all);
	pthread_mutex_unlock(&f->lock);
	return r;
}

static pthread_mutex_t expose_lock = PTHREAD_MUTEX_INITIALIZER;

int met_expose(met_registry *r, buf *out)
{
	pthread_mutex_lock(&r->lock);
	size_t nc = r->ncolls;
	collector *colls = xmalloc((nc ? nc : 1) * sizeof *colls);
	if (nc)
		memcpy(colls, r->colls, nc * sizeof *colls);
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < nc; i++)
		colls[i].fn(r, colls[i].arg);
	free(colls);

	pthread_mutex_lock(&r->lock);
	size_t nf = r->nfams;
	met_family **fams = xmalloc((nf ? nf : 1) * sizeof *fams);
	if (nf)
		memcpy(fams, r->fams, nf * sizeof *fams);
	pthread_mutex_unlock(&r->lock);
	qsort(fams, nf, sizeof *fams, cmp_family);
	int rc = 0;
	/* sort_nlabels is shared by qsort's comparator: one exposition at a time. */
	pthread_mutex_lock(&expose_lock);
	for (size_t i = 0; i < nf && rc == 0; i++)
		rc = expose_family(out, fams[i]);
	pthread_mutex_unlock(&expose_lock);
	free(fams);
	return rc < 0 ? -1 : 0;
}

/* Process metrics. */

typedef struct proc_fams {
	met_family *cpu, *open_fds, *max_fds, *vmem, *vmem_max, *rss, *start;
} proc_fams;

static proc_fams proc_metrics_for(met_registry *r)
{
	proc_fams p;
	p.cpu = met_counter(r, "process_cpu_seconds_total",
			    "Total user and system CPU time spent in seconds.", NULL, 0);
	p.open_fds = met_gauge(r, "process_open_fds", "Number of open file descriptors.", NULL, 0);
	p.max_fds = met_gauge(r, "process_max_fds", "Maximum number of open file descriptors.",
			      NULL, 0);
	p.vmem = met_gauge(r, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
			   NULL, 0);
	p.vmem_max = met_gauge(r, "process_virtual_memory_max_bytes",
			       "Maximum amount of virtual memory available in bytes.", NULL, 0);
	p.rss = met_gauge(r, "process_resident_memory_bytes", "Resident memory size in bytes.",
			  NULL, 0);
	p.start = met_gauge(r, "process_start_time_seconds",
			    "Start time of the process since unix epoch in seconds.", NULL, 0);
	return p;
}

static int read_small_file(const char *path, char *out, size_t n)
{
	FILE *fp = fopen(path, "re");
	if (!fp)
		return -1;
	size_t got = fread(out, 1, n - 1, fp);
	fclose(fp);
	out[got] = '\0';
	return 0;
}

static double btime;
static pthread_once_t btime_once = PTHREAD_ONCE_INIT;

static void read_boot_time(void)
{
	FILE *fp = fopen("/proc/stat", "re");
	if (!fp)
		return;
	char line[512];
	while (fgets(line, sizeof line, fp)) {
		if (strncmp(line, "btime ", 6) == 0) {
			btime = strtod(line + 6, NULL);
			break;
		}
	}
	fclose(fp);
}

static double boot_time(void)
{
	pthread_once(&btime_once, read_boot_time);
	return btime;
}

static void collect_process(met_registry *r, void *arg)
{
	proc_fams p = proc_metrics_for(r);
	char stat[1024];
	if (read_small_file("/proc/self/stat", stat, sizeof stat) == 0) {
		/* Fields after the command name, which is in parentheses and may contain spaces. */
		char *q = strrchr(stat, ')');
		if (q) {
			unsigned long long f[32] = { 0 };
			char *save = NULL;
			int idx = 3; /* field number of the first token after ")" (state) */
			for (char *tok = strtok_r(q + 1, " ", &save); tok && idx < 32;
			     tok = strtok_r(NULL, " ", &save), idx++)
				f[idx] = strtoull(tok, NULL, 10);
			double tck = (double)sysconf(_SC_CLK_TCK);
			double page = (double)sysconf(_SC_PAGESIZE);
			if (tck > 0) {
				set_value(p.cpu, NULL, (double)(f[14] + f[15]) / tck);
				met_set(p.start, NULL, boot_time() + (double)f[22] / tck);
			}
			met_set(p.vmem, NULL, (double)f[23]);
			met_set(p.rss, NULL, (double)f[24] * page);
		}
	}
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		double n = 0;
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
		met_set(p.open_fds, NULL, n);
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		met_set(p.max_fds, NULL, (double)rl.rlim_cur);
	if (getrlimit(RLIMIT_AS, &rl) == 0)
		met_set(p.vmem_max, NULL, (double)rl.rlim_cur);
}

void met_register_process(met_registry *r)
{
	proc_metrics_for(r);
	met_on_collect(r, collect_process, NULL);
}

/* Flux metrics. */

void met_flux_register(met_registry *r, met_flux *m)
{
	static const char *const obj[] = { "kind", "name", "namespace" };
	static const char *const cond[] = { "kind", "name", "namespace", "type", "status" };
	static const char *const ctrl[] = { "controller" };
	static const char *const ctrl_result[] = { "controller", "result" };
	static const char *const qname[] = { "name" };
	/* controller-runtime's reconcile time buckets. */
	static const double rt_buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25,
					     0.3,   0.35, 0.4,   0.45, 0.5, 0.6,  0.7, 0.8,
					     0.9,   1.0,  1.25,  1.5,  1.75, 2.0, 2.5, 3.0,
					     3.5,   4.0,  4.5,   5,    6,    7,   8,   9,
					     10,    15,   20,    25,   30,   40,  50,  60 };
	double dur[10];
	met_exponential_buckets_range(0.01, 1800, 10, dur);
	memset(m, 0, sizeof *m);
	m->reconcile_duration = met_histogram(
		r, "gotk_reconcile_duration_seconds",
		"The duration in seconds of a GitOps Toolkit resource reconciliation.", obj, 3, dur,
		10);
	m->reconcile_condition = met_gauge(
		r, "gotk_reconcile_condition",
		"The current condition status of a GitOps Toolkit resource reconciliation.", cond,
		5);
	m->suspend_status = met_gauge(r, "gotk_suspend_status",
				      "The current suspend status of a GitOps Toolkit resource.",
				      obj, 3);
	m->reconcile_total = met_counter(r, "controller_runtime_reconcile_total",
					 "Total number of reconciliations per controller",
					 ctrl_result, 2);
	m->reconcile_errors = met_counter(r, "controller_runtime_reconcile_errors_total",
					  "Total number of reconciliation errors per controller",
					  ctrl, 1);
	m->reconcile_time = met_histogram(r, "controller_runtime_reconcile_time_seconds",
					  "Length of time per reconciliation per controller", ctrl,
					  1, rt_buckets, sizeof rt_buckets / sizeof rt_buckets[0]);
	m->max_concurrent = met_gauge(r, "controller_runtime_max_concurrent_reconciles",
				      "Maximum number of concurrent reconciles per controller",
				      ctrl, 1);
	m->active_workers = met_gauge(r, "controller_runtime_active_workers",
				      "Number of currently used workers per controller", ctrl, 1);
	m->wq_depth = met_gauge(r, "workqueue_depth", "Current depth of workqueue", qname, 1);
	m->wq_adds = met_counter(r, "workqueue_adds_total",
				 "Total number of adds handled by workqueue", qname, 1);
	m->wq_retries = met_counter(r, "workqueue_retries_total",
				    "Total number of retries handled by workqueue", qname, 1);
	m->wq_longest_running = met_gauge(
		r, "workqueue_longest_running_processor_seconds",
		"How many seconds has the longest running processor for workqueue been running.",
		qname, 1);
	m->leader_status = met_gauge(
		r, "leader_election_master_status",
		"Gauge of if the reporting system is master of the relevant lease, 0 indicates "
		"backup, 1 indicates master. 'name' is the string used to identify the lease. "
		"Please make sure to group by name.",
		qname, 1);
}

void met_flux_record_duration(met_flux *m, const char *kind, const char *namespace,
			      const char *name, double seconds)
{
	met_observe(m->reconcile_duration, (const char *const[]){ kind, name, namespace }, seconds);
}

void met_flux_record_condition(met_flux *m, const char *kind, const char *namespace,
			       const char *name, const char *type, const char *status,
			       bool deleted)
{
	static const char *const all[] = { "True", "False", "Unknown", "Deleted" };
	for (size_t i = 0; i < 4; i++) {
		double v = deleted ? (strcmp(all[i], "Deleted") == 0)
				   : (status && strcmp(all[i], status) == 0);
		met_set(m->reconcile_condition,
			(const char *const[]){ kind, name, namespace, type, all[i] }, v);
	}
}

void met_flux_record_suspend(met_flux *m, const char *kind, const char *namespace,
			     const char *name, bool suspended)
{
	met_set(m->suspend_status, (const char *const[]){ kind, name, namespace },
		suspended ? 1 : 0);
}

void met_flux_record_result(met_flux *m, const char *controller, const char *result,
			    double seconds)
{
	met_inc(m->reconcile_total, (const char *const[]){ controller, result });
	if (strcmp(result, "error") == 0)
		met_inc(m->reconcile_errors, (const char *const[]){ controller });
	met_observe(m->reconcile_time, (const char *const[]){ controller }, seconds);
}

void met_flux_forget(met_flux *m, const char *kind, const char *namespace, const char *name)
{
	static const char *const keys[] = { "kind", "name", "namespace" };
	const char *const vals[] = { kind, name, namespace };
	met_remove_matching(m->reconcile_duration, keys, vals, 3);
	met_remove_matching(m->reconcile_condition, keys, vals, 3);
	met_remove_matching(m->suspend_status, keys, vals, 3);
}
