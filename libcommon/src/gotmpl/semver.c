/* Sprig's semver and semverCompare on Masterminds/semver v3 NewVersion and NewConstraint/Check,
 * which live in format (eddy/semver.h) with the rest of Eddy's version handling. */
#include "eddy/mem.h"
#include "eddy/semver.h"
#include "gotmpl/funcs.h"
#include "gotmpl/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FN(name) int fn_##name(tmpl_exec *x, int argc, tmpl_val *argv, tmpl_val *out, err *e)
#define S(i) (argv[i].u.s->data)

FN(semverCompare)
{
	(void)x;
	(void)argc;
	if (memchr(S(1), 0, argv[1].u.s->len))
		return tmpl_fail(e, "invalid semantic version");
	if (memchr(S(0), 0, argv[0].u.s->len))
		return tmpl_fail(e, "improper constraint: %s", S(0));
	semver v;
	int rc = semver_parse_go(S(1), &v);
	if (rc)
		return tmpl_fail(e, "%s", semver_strerror(rc));
	char msg[ERR_MSG_MAX];
	semver_range *r = semver_constraint_parse(S(0), msg, sizeof msg);
	if (!r)
		return tmpl_fail(e, "%s", msg);
	*out = tmpl_bool(semver_range_match(r, &v));
	semver_range_free(r);
	return 0;
}

FN(semver)
{
	(void)x;
	(void)argc;
	if (memchr(S(0), 0, argv[0].u.s->len))
		return tmpl_fail(e, "invalid semantic version");
	semver v;
	int rc = semver_parse_go(S(0), &v);
	if (rc)
		return tmpl_fail(e, "%s", semver_strerror(rc));
	tmpl_val st = tmpl_struct_new();
	tmpl_map_set(st, "Major", tmpl_int64((int64_t)v.major));
	tmpl_map_set(st, "Minor", tmpl_int64((int64_t)v.minor));
	tmpl_map_set(st, "Patch", tmpl_int64((int64_t)v.patch));
	tmpl_map_set(st, "Prerelease", tmpl_str(v.pre));
	tmpl_map_set(st, "Metadata", tmpl_str(v.meta));
	tmpl_map_set(st, "Original", tmpl_ref(argv[0]));
	buf b;
	buf_init(&b, (size_t)-1);
	buf_addf(&b, "%llu.%llu.%llu", (unsigned long long)v.major, (unsigned long long)v.minor,
		 (unsigned long long)v.patch);
	if (v.pre[0])
		buf_addf(&b, "-%s", v.pre);
	if (v.meta[0])
		buf_addf(&b, "+%s", v.meta);
	st.u.m->stringer = buf_detach(&b, NULL);
	st.u.m->gotype = "*semver.Version";
	st.u.m->marshal = xstrdup(st.u.m->stringer);
	*out = st;
	return 0;
}
