/* defaults: the defaults and conversions of built-in kinds applied on every write. */
#include "defaults.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/codec.h"
#include "eddy/mem.h"
#include "object.h"

/* Defaults and conversions the built-in registries apply on every write: Secret stringData is
 * merged into data (base64) and dropped, Secret type defaults to Opaque; Service type and port
 * protocol/targetPort defaults; Deployment/StatefulSet/ReplicaSet replicas default to 1. */
void defaults_builtin(const api_type *ty, cJSON *obj)
{
	if (ty->crd)
		return;
	if (!ty->group[0] && !strcmp(ty->resource, "secrets")) {
		cJSON *sd = cJSON_GetObjectItemCaseSensitive(obj, "stringData"), *it;
		if (cJSON_IsObject(sd) && sd->child) {
			cJSON *data = json_obj_ensure(obj, "data");
			cJSON_ArrayForEach(it, sd) {
				if (!cJSON_IsString(it))
					continue;
				const char *v = it->valuestring;
				char *b = b64_encode(v, strlen(v), B64_STD);
				cJSON_DeleteItemFromObjectCaseSensitive(data, it->string);
				cJSON_AddStringToObject(data, it->string, b);
				free(b);
			}
		}
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "stringData");
		const char *t = json_str(obj, "type");
		if (!t || !*t)
			json_replace(obj, "type", cJSON_CreateString("Opaque"));
	} else if (!ty->group[0] && !strcmp(ty->resource, "services")) {
		cJSON *spec = json_obj_ensure(obj, "spec"), *p;
		const char *t = json_str(spec, "type");
		if (!t || !*t)
			json_replace(spec, "type", cJSON_CreateString("ClusterIP"));
		t = json_str(spec, "type");
		const char *ip = json_str(spec, "clusterIP");
		if ((!ip || !*ip) && t && strcmp(t, "ExternalName") != 0) {
			/* A stable address from the name (no allocator: collisions are harmless
			 * without a network). */
			uint32_t h = 2166136261u;
			for (const char *q = json_str(obj_meta(obj), "name"); q && *q; q++)
				h = (h ^ (unsigned char)*q) * 16777619u;
			char ipb[32];
			snprintf(ipb, sizeof ipb, "10.96.%u.%u", (h >> 8) & 0xff, (h & 0xff) | 1);
			json_replace(spec, "clusterIP", cJSON_CreateString(ipb));
			cJSON_DeleteItemFromObjectCaseSensitive(spec, "clusterIPs");
			cJSON *ips = cJSON_AddArrayToObject(spec, "clusterIPs");
			cJSON_AddItemToArray(ips, cJSON_CreateString(ipb));
		}
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(spec, "ports")) {
			if (!cJSON_IsObject(p))
				continue;
			if (!json_str(p, "protocol"))
				cJSON_AddStringToObject(p, "protocol", "TCP");
			const cJSON *port = cJSON_GetObjectItemCaseSensitive(p, "port");
			if (!cJSON_GetObjectItemCaseSensitive(p, "targetPort") && cJSON_IsNumber(port))
				cJSON_AddNumberToObject(p, "targetPort", port->valuedouble);
		}
	} else if (!strcmp(ty->group, "apps") && (!strcmp(ty->resource, "deployments") ||
						   !strcmp(ty->resource, "statefulsets") ||
						   !strcmp(ty->resource, "replicasets"))) {
		cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
		if (cJSON_IsObject(spec) && !cJSON_GetObjectItemCaseSensitive(spec, "replicas"))
			cJSON_AddNumberToObject(spec, "replicas", 1);
	}
	/* updateStrategy defaults (kubectl rollout status needs the type). */
	bool sts = !strcmp(ty->group, "apps") && !strcmp(ty->resource, "statefulsets");
	bool ds = !strcmp(ty->group, "apps") && !strcmp(ty->resource, "daemonsets");
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	if ((sts || ds) && cJSON_IsObject(spec) &&
	    !cJSON_GetObjectItemCaseSensitive(spec, "updateStrategy")) {
		cJSON *us = cJSON_AddObjectToObject(spec, "updateStrategy");
		cJSON_AddStringToObject(us, "type", "RollingUpdate");
		cJSON *ru = cJSON_AddObjectToObject(us, "rollingUpdate");
		if (sts) {
			cJSON_AddNumberToObject(ru, "partition", 0);
		} else {
			cJSON_AddNumberToObject(ru, "maxUnavailable", 1);
			cJSON_AddNumberToObject(ru, "maxSurge", 0);
		}
	}
}
