/* defaults: what the built-in registries default and convert on every write. */
#ifndef APISERVER_DEFAULTS_H
#define APISERVER_DEFAULTS_H

#include <cjson/cJSON.h>

#include "types.h"

/* Secret stringData merged into data (base64) and dropped, Secret type Opaque; Service type,
 * clusterIP and port protocol/targetPort; workload replicas 1; StatefulSet and DaemonSet
 * updateStrategy. Nothing for custom resources. */
void defaults_builtin(const api_type *ty, cJSON *obj);

#endif
