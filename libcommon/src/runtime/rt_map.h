/* rt_map: a string-keyed hash map used inside the runtime (not a public module). Not
 * thread-safe: callers lock. Keys are copied; values are borrowed pointers or integers. */
#ifndef EDDY_RT_MAP_H
#define EDDY_RT_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct rt_map_ent {
	char *key;
	void *val;
	int64_t num;
	uint32_t hash;
	struct rt_map_ent *next;
} rt_map_ent;

typedef struct rt_map {
	rt_map_ent **b;
	size_t nb, n;
} rt_map;

void rt_map_init(rt_map *m);
/* Frees the entries; `freeval` (may be NULL) is called on every value. */
void rt_map_release(rt_map *m, void (*freeval)(void *));
rt_map_ent *rt_map_find(const rt_map *m, const char *key);
/* Finds or inserts (val NULL, num 0); *created tells which. */
rt_map_ent *rt_map_put(rt_map *m, const char *key, int *created);
/* Removes the entry and returns its value (the key is freed). */
void *rt_map_del(rt_map *m, const char *key);
/* Iteration: for (e = rt_map_next(m, NULL, &i); e; e = rt_map_next(m, e, &i)) */
rt_map_ent *rt_map_next(const rt_map *m, rt_map_ent *cur, size_t *bucket);

#endif
