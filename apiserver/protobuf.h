/* protobuf: decoding of Kubernetes protobuf request bodies ("k8s\0" + runtime.Unknown) into
 * JSON, for the kinds clients send that way (Secret, ConfigMap, DeleteOptions, Namespace, RBAC,
 * reviews, workloads). Bounded: never trusts lengths or depth. */
#ifndef APISERVER_PROTOBUF_H
#define APISERVER_PROTOBUF_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "eddy/err.h"

/* Decode a "k8s\0" envelope into a JSON object; NULL and e filled when the input is not one or
 * its kind is not supported. */
cJSON *pb_decode(const unsigned char *data, size_t len, err *e);

#endif
