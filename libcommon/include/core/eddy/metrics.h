/* metrics: Prometheus metrics in the text exposition format 0.0.4.
 *
 * A registry holds metric families (counters, gauges, histograms), each with a fixed list of
 * label names; a family holds one series per distinct tuple of label values, created on first
 * use. Updates (met_inc, met_set, met_observe, ...) may come from any thread: each family has
 * its own lock. met_expose() renders the whole registry, families sorted by name and series
 * sorted by label values, as client_golang does, so the output is deterministic:
 *
 *   # HELP gotk_reconcile_duration_seconds The duration in seconds of a ... reconciliation.
 *   # TYPE gotk_reconcile_duration_seconds histogram
 *   gotk_reconcile_duration_seconds_bucket{kind="GitRepository",name="a",namespace="b",le="0.01"} 0
 *   ...
 *   gotk_reconcile_duration_seconds_bucket{kind="GitRepository",name="a",namespace="b",le="+Inf"} 1
 *   gotk_reconcile_duration_seconds_sum{kind="GitRepository",name="a",namespace="b"} 0.25
 *   gotk_reconcile_duration_seconds_count{kind="GitRepository",name="a",namespace="b"} 1
 *
 * Numbers print as Go's strconv.FormatFloat(v, 'g', -1, 64) (the shortest text that reads back
 * to the same double; exponent form from 1e+06 up and below 1e-04), "+Inf", "-Inf", "NaN".
 * Label values are escaped (backslash, double quote, newline); HELP text escapes backslash and
 * newline. A family with labels but no series yet is left out of the output entirely; a family
 * without labels always has its one series (0 until updated), as in client_golang.
 *
 * Label values come from objects (names, namespaces): they are copied; a series of a deleted
 * object is removed with met_remove()/met_remove_matching() so the registry does not grow
 * without bound. Each family holds at most MET_MAX_SERIES series; updates that would create
 * more are silently dropped.
 *
 * Metric and label names are code constants; registering an invalid name, or a name already
 * registered with a different type or label list, returns NULL (a programming error that the
 * unit tests catch). Registering the same name again with the same shape returns the existing
 * family, so helpers may register lazily. All met_* update functions accept a NULL family and
 * then do nothing. */
#ifndef EDDY_METRICS_H
#define EDDY_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "eddy/buf.h"

enum { MET_MAX_SERIES = 100000, MET_MAX_LABELS = 16, MET_MAX_BUCKETS = 64 };

typedef enum met_type {
	MET_COUNTER,
	MET_GAUGE,
	MET_HISTOGRAM,
} met_type;

typedef struct met_registry met_registry;
typedef struct met_family met_family;

/* The Content-Type of met_expose()'s output. */
#define MET_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

met_registry *met_registry_new(void);
/* Frees the registry and every family in it (families must no longer be used). */
void met_registry_free(met_registry *r);

/* Register a family. labels is an array of nlabels label names (nlabels may be 0 and labels
 * NULL). For histograms, buckets is a strictly increasing array of nbuckets upper bounds
 * (+Inf is implicit and must not be listed); NULL selects the client_golang default buckets
 * (.005 .01 .025 .05 .1 .25 .5 1 2.5 5 10). */
met_family *met_counter(met_registry *r, const char *name, const char *help,
			const char *const *labels, size_t nlabels);
met_family *met_gauge(met_registry *r, const char *name, const char *help,
		      const char *const *labels, size_t nlabels);
met_family *met_histogram(met_registry *r, const char *name, const char *help,
			  const char *const *labels, size_t nlabels, const double *buckets,
			  size_t nbuckets);

/* Updates. vals holds one value per label name of the family (NULL when it has none).
 * Counters only go up: met_add with a negative or NaN value is ignored. met_inc/met_add on a
 * gauge adds (negative allowed); met_set on a counter is ignored; met_observe only applies to
 * histograms. */
void met_inc(met_family *f, const char *const *vals);
void met_add(met_family *f, const char *const *vals, double v);
void met_set(met_family *f, const char *const *vals, double v);
void met_observe(met_family *f, const char *const *vals, double v);
/* Current value of a counter/gauge series, or the count of a histogram series; 0 when the
 * series does not exist. For tests and for status pages. */
double met_value(met_family *f, const char *const *vals);
/* Remove one series; returns 1 if it existed, 0 if not. */
int met_remove(met_family *f, const char *const *vals);
/* Remove every series whose label `label` equals value for each given pair (for example all
 * series of kind=K, name=N, namespace=NS whatever their other labels). Returns the number
 * removed. */
size_t met_remove_matching(met_family *f, const char *const *labels, const char *const *values,
			   size_t n);

/* A function called at the start of each met_expose(), to refresh gauges computed on demand
 * (process metrics, queue depths). Runs on the exposing thread with no registry lock held. */
typedef void (*met_collect_fn)(met_registry *r, void *arg);
void met_on_collect(met_registry *r, met_collect_fn fn, void *arg);

/* Render the registry into out (appending). Returns 0, or -1 when out's cap was reached (the
 * output is then incomplete). */
int met_expose(met_registry *r, buf *out);

/* Go's strconv.FormatFloat(v, 'g', -1, 64) with Prometheus' spellings of the special values.
 * out should have room for 32 bytes. Returns out. */
char *met_format_double(char *out, size_t n, double v);
/* Escape a label value into out (appending). */
int met_escape_label(buf *out, const char *s);
/* client_golang's ExponentialBucketsRange(min, max, count) into out[count]. */
void met_exponential_buckets_range(double min, double max, size_t count, double *out);

/* Process metrics read from /proc at each scrape, on the exposing thread (small reads of
 * memory-backed files), with the names and HELP texts of client_golang's process collector: process_cpu_seconds_total, process_open_fds, process_max_fds,
 * process_virtual_memory_bytes, process_virtual_memory_max_bytes,
 * process_resident_memory_bytes, process_start_time_seconds. */
void met_register_process(met_registry *r);

/* The metrics Flux controllers expose, registered together. Fields are NULL-safe to use.
 * (gotk_resource_info, which Flux's dashboards read, is not exposed by controllers: Flux
 * produces it with kube-state-metrics from the objects' status, and so does Eddy.) */
typedef struct met_flux {
	/* gotk_reconcile_duration_seconds{kind,name,namespace}: histogram, 10 buckets from 10 ms
	 * to 1800 s (ExponentialBucketsRange(0.01, 1800, 10)). */
	met_family *reconcile_duration;
	/* gotk_reconcile_condition{kind,name,namespace,type,status}: registered, deprecated. */
	met_family *reconcile_condition;
	/* gotk_suspend_status{kind,name,namespace}: registered, deprecated. */
	met_family *suspend_status;
	/* controller_runtime_reconcile_total{controller,result}: result is one of "success",
	 * "error", "requeue", "requeue_after". */
	met_family *reconcile_total;
	/* controller_runtime_reconcile_errors_total{controller} */
	met_family *reconcile_errors;
	/* controller_runtime_reconcile_time_seconds{controller}: histogram. */
	met_family *reconcile_time;
	/* controller_runtime_max_concurrent_reconciles{controller} and
	 * controller_runtime_active_workers{controller}: gauges. */
	met_family *max_concurrent;
	met_family *active_workers;
	/* workqueue_depth{name}, workqueue_adds_total{name}, workqueue_retries_total{name},
	 * workqueue_longest_running_processor_seconds{name}. */
	met_family *wq_depth;
	met_family *wq_adds;
	met_family *wq_retries;
	met_family *wq_longest_running;
	/* leader_election_master_status{name} */
	met_family *leader_status;
} met_flux;

void met_flux_register(met_registry *r, met_flux *out);
/* Record a finished reconcile of kind/namespace/name that took `seconds`. */
void met_flux_record_duration(met_flux *m, const char *kind, const char *namespace,
			      const char *name, double seconds);
/* As Flux's RecordCondition: 1 for the status the condition has ("True", "False", "Unknown"),
 * 0 for the others; when deleted, only status="Deleted" is 1. */
void met_flux_record_condition(met_flux *m, const char *kind, const char *namespace,
			       const char *name, const char *type, const char *status,
			       bool deleted);
void met_flux_record_suspend(met_flux *m, const char *kind, const char *namespace,
			     const char *name, bool suspended);
/* controller_runtime_reconcile_total (+ _errors_total when result is "error") and _time. */
void met_flux_record_result(met_flux *m, const char *controller, const char *result,
			    double seconds);
/* Remove every gotk_* series of an object (after it is deleted). */
void met_flux_forget(met_flux *m, const char *kind, const char *namespace, const char *name);

#endif
