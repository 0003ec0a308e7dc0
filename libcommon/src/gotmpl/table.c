/* The one table of template functions: the per-family tables of funcs.h, searched in turn
 * (names are unique across families). */
#include "gotmpl/funcs.h"

#include <string.h>

static const tv_family *const families[] = {
	&tv_family_builtins,
	&tv_family_defaults,
	&tv_family_strings,
	&tv_family_lists,
	&tv_family_dicts,
	&tv_family_math,
	&tv_family_reflect,
	&tv_family_paths,
	&tv_family_crypto,
	&tv_family_semver,
	&tv_family_toml,
	&tv_family_helm,
};

const func *tv_func_lookup(const char *name)
{
	for (size_t f = 0; f < sizeof families / sizeof *families; f++)
		for (size_t i = 0; i < families[f]->n; i++)
			if (!strcmp(families[f]->fns[i].name, name))
				return &families[f]->fns[i];
	return NULL;
}
