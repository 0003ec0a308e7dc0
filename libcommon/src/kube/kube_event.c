/* kube: Events, recorded and aggregated as client-go's EventCorrelator does
 * (eddy/kube.h). */
#include "kube_internal.h"
#include "eddy/mem.h"
#include "eddy/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ events */

/* The correlation key of an Event: what client-go's EventCorrelator compares (source,
 * involved object, type, reason, message). */
static char *event_key(const cJSON *obj, const kube_event_opts *o)
{
	return xasprintf("%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s",
		o->component ? o->component : "", kube_obj_str(obj, "apiVersion", NULL) ?
		kube_obj_str(obj, "apiVersion", NULL) : "", kube_obj_str(obj, "kind", NULL) ?
		kube_obj_str(obj, "kind", NULL) : "", kube_obj_namespace(obj) ? kube_obj_namespace(obj) : "",
		kube_obj_name(obj), kube_obj_uid(obj) ? kube_obj_uid(obj) : "",
		o->type ? o->type : "Normal", o->reason ? o->reason : "",
		o->message ? o->message : "");
}

/* A repeat of a recent Event: bump its count and lastTimestamp. 1 done, 0 not a repeat. */
static int event_repeat(kube_client *k, const char *key)
{
	char *ns = NULL, *name = NULL;
	int64_t count = 0, now = clock_mono_ms();
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < EVENT_CACHE; i++) {
		struct recent_event *r = &k->events[i];
		if (r->key && !strcmp(r->key, key) && now - r->at_ms < EVENT_AGGREGATE_MS) {
			count = ++r->count;
			r->at_ms = now;
			ns = xstrdup(r->ns);
			name = xstrdup(r->name);
			break;
		}
	}
	pthread_mutex_unlock(&k->mu);
	if (!name)
		return 0;
	char ts[32];
	clock_rfc3339_now(ts, sizeof ts, 0);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "count", (double)count);
	cJSON_AddStringToObject(p, "lastTimestamp", ts);
	err pe = {0};
	cJSON *out = kube_patch(k, "v1", "Event", ns, name, KUBE_PATCH_MERGE, p, NULL, &pe);
	cJSON_Delete(p);
	free(ns);
	free(name);
	if (!out)
		return 0; /* gone (events expire): create a new one */
	cJSON_Delete(out);
	return 1;
}

static void event_remember(kube_client *k, char *key, const char *ns, const char *name)
{
	pthread_mutex_lock(&k->mu);
	struct recent_event *r = &k->events[k->next_event];
	k->next_event = (k->next_event + 1) % EVENT_CACHE;
	free(r->key);
	free(r->ns);
	free(r->name);
	r->key = key;
	r->ns = xstrdup(ns);
	r->name = xstrdup(name);
	r->count = 1;
	r->at_ms = clock_mono_ms();
	pthread_mutex_unlock(&k->mu);
}

int kube_event_create(kube_client *k, const cJSON *obj, const kube_event_opts *o, err *e)
{
	const char *name = kube_obj_name(obj), *ns = kube_obj_namespace(obj);
	if (!name)
		return err_fail(e, "BadRequest", "event about an object without a name");
	char *key = event_key(obj, o);
	if (event_repeat(k, key)) {
		free(key);
		return 0;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t nanos = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	char now[32], nowmicro[32];
	clock_rfc3339_now(now, sizeof now, 0);
	clock_rfc3339_now(nowmicro, sizeof nowmicro, 6);
	char host[256] = "";
	if (gethostname(host, sizeof host - 1) != 0)
		snprintf(host, sizeof host, "unknown");
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "apiVersion", "v1");
	cJSON_AddStringToObject(ev, "kind", "Event");
	cJSON *md = cJSON_AddObjectToObject(ev, "metadata");
	char *evname = xasprintf("%s.%llx", name, (unsigned long long)nanos);
	cJSON_AddStringToObject(md, "name", evname);
	free(evname);
	const char *evns = ns && *ns ? ns : "default";
	cJSON_AddStringToObject(md, "namespace", evns);
	/* the caller's annotations, plus the object's own event.toolkit.fluxcd.io/ annotations
	 * (Flux RFC-0008: custom event metadata from annotations) */
	cJSON *ann = o->annotations ? cJSON_Duplicate(o->annotations, 1) : cJSON_CreateObject();
	const cJSON *oann = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "annotations"), *a;
	cJSON_ArrayForEach(a, oann) {
		if (cJSON_IsString(a) && !strncmp(a->string, EVENT_ANN_PREFIX,
			    strlen(EVENT_ANN_PREFIX)) &&
		    !cJSON_GetObjectItemCaseSensitive(ann, a->string))
			cJSON_AddStringToObject(ann, a->string, a->valuestring);
	}
	if (ann->child)
		cJSON_AddItemToObject(md, "annotations", ann);
	else
		cJSON_Delete(ann);
	cJSON *io = cJSON_AddObjectToObject(ev, "involvedObject");
	static const char *const top[] = {"kind", "apiVersion"};
	for (int i = 0; i < 2; i++) {
		const char *v = kube_obj_str(obj, top[i], NULL);
		if (v)
			cJSON_AddStringToObject(io, top[i], v);
	}
	cJSON_AddStringToObject(io, "name", name);
	if (ns)
		cJSON_AddStringToObject(io, "namespace", ns);
	if (kube_obj_uid(obj))
		cJSON_AddStringToObject(io, "uid", kube_obj_uid(obj));
	if (kube_obj_rv(obj))
		cJSON_AddStringToObject(io, "resourceVersion", kube_obj_rv(obj));
	cJSON_AddStringToObject(ev, "reason", o->reason ? o->reason : "");
	const char *msg = o->message ? o->message : "";
	if (strlen(msg) > EVENT_MSG_MAX) {
		char *t = xstrndup(msg, EVENT_MSG_MAX);
		cJSON_AddStringToObject(ev, "message", t);
		free(t);
	} else {
		cJSON_AddStringToObject(ev, "message", msg);
	}
	cJSON_AddStringToObject(ev, "type", o->type ? o->type : "Normal");
	cJSON *src = cJSON_AddObjectToObject(ev, "source");
	if (o->component)
		cJSON_AddStringToObject(src, "component", o->component);
	cJSON_AddStringToObject(ev, "firstTimestamp", now);
	cJSON_AddStringToObject(ev, "lastTimestamp", now);
	cJSON_AddNumberToObject(ev, "count", 1);
	cJSON_AddStringToObject(ev, "reportingComponent", o->component ? o->component : "");
	cJSON_AddStringToObject(ev, "reportingInstance", o->instance ? o->instance : host);
	kube_opts opts = {.namespace_ = evns};
	cJSON *out = kube_create(k, ev, &opts, e);
	cJSON_Delete(ev);
	if (!out) {
		free(key);
		return -1;
	}
	event_remember(k, key, evns, kube_obj_name(out) ? kube_obj_name(out) : "");
	cJSON_Delete(out);
	return 0;
}
