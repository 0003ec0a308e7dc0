/* rt: the runtime's log lines (eddy/log.h fields as controller-runtime's). */
#include "rt_internal.h"
#include "eddy/log.h"
#include "eddy/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line through eddy/log.h (so --log-level and --log-encoding apply). Reconcile lines carry
 * controller-runtime's fields (controller, controllerGroup, controllerKind, <Kind>, namespace,
 * name, reconcileID); other lines name the kind, namespace and name they are about. */
void rt_logj(const char *level, const char *logger_name, const char *av, const char *kind,
	const char *ns, const char *name, const char *rid, const err *e, const char *fmt, ...)
{
	log_level lv = !strcmp(level, "error") ? LOG_ERROR : !strcmp(level, "debug") ? LOG_DEBUG
		: LOG_INFO;
	if (!log_enabled(lv))
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	logger base, l;
	/* reconcile lines carry no logger name, as controller-runtime's */
	log_init(&base, rid ? NULL : logger_name);
	if (kind && rid) {
		char *group = NULL;
		const char *sl = av ? strchr(av, '/') : NULL;
		group = sl ? xstrndup(av, (size_t)(sl - av)) : xstrdup("");
		log_for_object(&l, &base, group, kind, ns, name, rid);
		free(group);
	} else {
		log_kv kv[3];
		size_t n = 0;
		if (kind)
			kv[n++] = LOG_S("kind", kind);
		if (ns)
			kv[n++] = LOG_S("namespace", ns);
		if (name)
			kv[n++] = LOG_S("name", name);
		log_with(&l, &base, kv, n);
	}
	log_emit(&l, lv, err_is_set(e) ? e->msg : NULL, msg, LOG_END);
	log_release(&l);
	log_release(&base);
}
