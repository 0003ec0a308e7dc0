#include "rt_map.h"
#include "eddy/mem.h"

#include <stdlib.h>
#include <string.h>

static uint32_t fnv(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

void rt_map_init(rt_map *m)
{
	m->nb = 64;
	m->n = 0;
	m->b = xcalloc(m->nb, sizeof *m->b);
}

void rt_map_release(rt_map *m, void (*freeval)(void *))
{
	for (size_t i = 0; i < m->nb; i++) {
		rt_map_ent *e = m->b[i];
		while (e) {
			rt_map_ent *nx = e->next;
			if (freeval && e->val)
				freeval(e->val);
			free(e->key);
			free(e);
			e = nx;
		}
	}
	free(m->b);
	m->b = NULL;
	m->nb = m->n = 0;
}

rt_map_ent *rt_map_find(const rt_map *m, const char *key)
{
	uint32_t h = fnv(key);
	for (rt_map_ent *e = m->b[h & (m->nb - 1)]; e; e = e->next)
		if (e->hash == h && !strcmp(e->key, key))
			return e;
	return NULL;
}

static void grow(rt_map *m)
{
	size_t nb = m->nb * 2;
	rt_map_ent **b = xcalloc(nb, sizeof *b);
	for (size_t i = 0; i < m->nb; i++) {
		rt_map_ent *e = m->b[i];
		while (e) {
			rt_map_ent *nx = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
			e = nx;
		}
	}
	free(m->b);
	m->b = b;
	m->nb = nb;
}

rt_map_ent *rt_map_put(rt_map *m, const char *key, int *created)
{
	rt_map_ent *e = rt_map_find(m, key);
	if (e) {
		if (created)
			*created = 0;
		return e;
	}
	if (m->n + 1 > m->nb * 3 / 4)
		grow(m);
	e = xcalloc(1, sizeof *e);
	e->key = xstrdup(key);
	e->hash = fnv(key);
	e->next = m->b[e->hash & (m->nb - 1)];
	m->b[e->hash & (m->nb - 1)] = e;
	m->n++;
	if (created)
		*created = 1;
	return e;
}

void *rt_map_del(rt_map *m, const char *key)
{
	uint32_t h = fnv(key);
	rt_map_ent **pp = &m->b[h & (m->nb - 1)];
	for (; *pp; pp = &(*pp)->next) {
		rt_map_ent *e = *pp;
		if (e->hash == h && !strcmp(e->key, key)) {
			*pp = e->next;
			void *v = e->val;
			free(e->key);
			free(e);
			m->n--;
			return v;
		}
	}
	return NULL;
}

rt_map_ent *rt_map_next(const rt_map *m, rt_map_ent *cur, size_t *bucket)
{
	if (cur && cur->next)
		return cur->next;
	size_t i = cur ? *bucket + 1 : 0;
	for (; i < m->nb; i++) {
		if (m->b[i]) {
			*bucket = i;
			return m->b[i];
		}
	}
	return NULL;
}
