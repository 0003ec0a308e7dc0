/* buildMetadata transformerAnnotations: what the build (build.c) and the plugin configurations
 * (plugins.c) record for each transformer that ran; neither calls the other for it. */
#include <stdlib.h>

#include "eddy/mem.h"
#include "kz_int.h"

/* buildMetadata transformerAnnotations: every resource present when a transformer configured in
 * a kustomization runs records it, n times (once per entry). */
void kz_record(kz_ctx *c, kz_resmap *m, const char *kind, int n)
{
	if (!c->track || n <= 0 || (!c->cur_kfile && !c->cfg_in))
		return;
	char *rel = c->cfg_in ? xstrdup(c->cfg_in) : kz_relpath(c->top_dir, c->cur_kfile);
	char *extra = xasprintf("%s%s%s%s%s%s", c->cfg_name ? "    name: " : "",
				c->cfg_name ? c->cfg_name : "", c->cfg_name ? "\n" : "",
				c->cfg_ns ? "    namespace: " : "", c->cfg_ns ? c->cfg_ns : "",
				c->cfg_ns ? "\n" : "");
	for (size_t i = 0; i < m->n; i++) {
		kz_res *r = m->v[i];
		for (int j = 0; j < n; j++) {
			char *t = xasprintf("%s- configuredIn: %s\n  configuredBy:\n    "
					    "apiVersion: builtin\n    kind: %s\n%s",
					    r->transforms ? r->transforms : "", rel, kind, extra);
			free(r->transforms);
			r->transforms = t;
		}
	}
	free(extra);
	free(rel);
}
