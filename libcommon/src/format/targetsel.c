/* Target selectors shared by the kustomize engine and kustomize-controller; see targetsel.h. */
#include "eddy/targetsel.h"

#include <string.h>

static const char *const field_key[TSEL_NFIELDS] = {"group", "version", "kind", "namespace",
	"name"};

static const char *sstr(const cJSON *o, const char *k)
{
	const cJSON *x = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
	return cJSON_IsString(x) && *x->valuestring ? x->valuestring : NULL;
}

void tsel_init(tsel *t, const cJSON *sel, unsigned flags, const char *reason)
{
	memset(t, 0, sizeof *t);
	t->flags = flags;
	t->reason = reason;
	for (int i = 0; i < TSEL_NFIELDS; i++)
		t->field[i] = sstr(sel, field_key[i]);
	t->labels = sstr(sel, "labelSelector");
	t->annotations = sstr(sel, "annotationSelector");
}

void tsel_release(tsel *t)
{
	for (int i = 0; i < TSEL_NFIELDS; i++)
		rx_free(t->re[i]);
	lsel_release(&t->lsel[0]);
	lsel_release(&t->lsel[1]);
	memset(t, 0, sizeof *t);
}

/* Field i against the candidates: 1, 0 or -1. */
static int field_match(tsel *t, int i, const char *const *cand, int ncand, err *e)
{
	const char *pat = t->field[i];
	if (!pat)
		return 1;
	bool regex = i >= TSEL_NAMESPACE || (t->flags & TSEL_GVK_REGEX);
	if (!regex)
		return !strcmp(pat, cand[0] ? cand[0] : "");
	if (!t->tried[i]) {
		t->tried[i] = true;
		t->re[i] = rx_compile(pat, RX_FULL | RX_UTF | RX_GO, NULL, 0);
	}
	if (!t->re[i])
		return err_fail(e, t->reason, "error parsing regexp: %s", pat);
	for (int c = 0; c < ncand; c++) {
		if (c > 0 && !cand[c])
			continue;
		if (rx_test(t->re[i], cand[c]) == 1)
			return 1;
	}
	return 0;
}

static int meta_match(tsel *t, int which, const cJSON *m, err *e)
{
	const char *text = which ? t->annotations : t->labels;
	if (!text)
		return 1;
	if (!t->lparsed[which]) {
		if (lsel_parse(&t->lsel[which], text, NULL, 0) < 0)
			return err_fail(e, t->reason, "unable to parse requirement: %s", text);
		t->lparsed[which] = true;
	}
	return lsel_matches(&t->lsel[which], m);
}

int tsel_match(tsel *t, const tsel_obj *o, err *e)
{
	const char *const one[TSEL_NAMESPACE][1] = {{o->group}, {o->version}, {o->kind}};
	int rc;
	for (int i = 0; i < TSEL_NAMESPACE; i++)
		if ((rc = field_match(t, i, one[i], 1, e)) != 1)
			return rc;
	if ((rc = field_match(t, TSEL_NAMESPACE, o->ns, 2, e)) != 1)
		return rc;
	if ((rc = field_match(t, TSEL_NAME, o->name, 2, e)) != 1)
		return rc;
	if ((rc = meta_match(t, 0, o->labels, e)) != 1)
		return rc;
	return meta_match(t, 1, o->annotations, e);
}
