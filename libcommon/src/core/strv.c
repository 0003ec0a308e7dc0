/* strv: a growable vector of owned strings (see strv.h). */
#include "eddy/strv.h"
#include "eddy/mem.h"

#include <stdlib.h>
#include <string.h>

void strv_take(strv *s, char *str)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		s->v = xrealloc(s->v, (s->cap + 1) * sizeof *s->v);
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void strv_add(strv *s, const char *str)
{
	strv_take(s, xstrdup(str));
}

void strv_addn(strv *s, const char *str, size_t len)
{
	strv_take(s, xstrndup(str, len));
}

bool strv_has(const strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}

bool strv_remove(strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++) {
		if (!strcmp(s->v[i], str)) {
			free(s->v[i]);
			s->v[i] = s->v[--s->n];
			s->v[s->n] = NULL;
			return true;
		}
	}
	return false;
}

void strv_release(strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
	s->cap = 0;
}
