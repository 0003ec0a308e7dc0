/* status.history of a Kustomization (Flux's meta.History): up to five snapshots, newest first,
 * one per (digest of the built objects, reconciliation status), each counting how many
 * reconciliations ended that way. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "eddy/buf.h"
#include "eddy/clock.h"
#include "eddy/codec.h"
#include "eddy/json.h"
#include "eddy/kube.h"
#include "eddy/mem.h"
#include "eddy/yml.h"
#include "kc.h"

enum { HISTORY_MAX = 5 };

char *kc_history_digest(const cJSON *objs)
{
	buf b;
	buf_init(&b, (size_t)1 << 30);
	err e = {0};
	if (yml_emit_stream(&b, objs, &e) < 0) {
		buf_release(&b);
		return NULL;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!EVP_Digest(b.data ? b.data : "", b.len, md, &n, EVP_sha256(), NULL)) {
		buf_release(&b);
		return NULL;
	}
	buf_release(&b);
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	hex_encode(hex, md, n, HEX_LOWER);
	return xasprintf("sha256:%s", hex);
}

static void set_str(cJSON *o, const char *k, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	cJSON_AddStringToObject(o, k, v);
}

void kc_history_upsert(cJSON *obj, const char *digest, int64_t start_ms, const char *status,
		       const char *revision)
{
	if (!digest || !status)
		return;
	cJSON *st = rt_status(obj);
	cJSON *h = cJSON_GetObjectItemCaseSensitive(st, "history");
	if (!cJSON_IsArray(h)) {
		cJSON_DeleteItemFromObjectCaseSensitive(st, "history");
		h = cJSON_AddArrayToObject(st, "history");
	}
	char now[32], dur[32];
	clock_rfc3339_now(now, sizeof now, 0);
	int64_t took = clock_mono_ms() - start_ms;
	godur_format(dur, sizeof dur, (took > 0 ? took : 0) * 1000000);
	cJSON *meta = cJSON_CreateObject();
	if (revision)
		cJSON_AddStringToObject(meta, "revision", revision);
	cJSON *s;
	cJSON_ArrayForEach(s, h) {
		if (json_str(s, "digest") && !strcmp(json_str(s, "digest"), digest) &&
		    json_str(s, "lastReconciledStatus") &&
		    !strcmp(json_str(s, "lastReconciledStatus"), status))
			break;
	}
	if (s) {
		cJSON_DetachItemViaPointer(h, s);
		set_str(s, "lastReconciled", now);
		set_str(s, "lastReconciledDuration", dur);
		const cJSON *tot = cJSON_GetObjectItemCaseSensitive(s, "totalReconciliations");
		double n = cJSON_IsNumber(tot) ? tot->valuedouble : 0;
		cJSON_DeleteItemFromObjectCaseSensitive(s, "totalReconciliations");
		cJSON_AddNumberToObject(s, "totalReconciliations", n + 1);
		cJSON_DeleteItemFromObjectCaseSensitive(s, "metadata");
		cJSON_AddItemToObject(s, "metadata", meta);
	} else {
		s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "digest", digest);
		cJSON_AddStringToObject(s, "firstReconciled", now);
		cJSON_AddStringToObject(s, "lastReconciled", now);
		cJSON_AddStringToObject(s, "lastReconciledDuration", dur);
		cJSON_AddStringToObject(s, "lastReconciledStatus", status);
		cJSON_AddNumberToObject(s, "totalReconciliations", 1);
		cJSON_AddItemToObject(s, "metadata", meta);
	}
	cJSON_InsertItemInArray(h, 0, s);
	while (cJSON_GetArraySize(h) > HISTORY_MAX)
		cJSON_DeleteItemFromArray(h, HISTORY_MAX);
}
