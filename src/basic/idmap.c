/* SPDX-License-Identifier: MIT */
#include "idmap.h"

#include <errno.h>
#include <stdlib.h>

static size_t slot_of(const idmap *m, uint64_t key)
{
	/* Fibonacci hashing spreads sequential ids over the table. */
	return (size_t) ((key * 0x9E3779B97F4A7C15ull) >> 17) & (m->capacity - 1);
}

void *idmap_get(const idmap *m, uint64_t key)
{
	if (m->capacity == 0)
		return NULL;
	for (size_t i = slot_of(m, key);; i = (i + 1) & (m->capacity - 1)) {
		if (!m->values[i])
			return NULL;
		if (m->keys[i] == key)
			return m->values[i];
	}
}

static int grow(idmap *m)
{
	size_t cap = m->capacity ? m->capacity * 2 : 16;
	idmap bigger = { .capacity = cap };

	bigger.keys = calloc(cap, sizeof(*bigger.keys));
	bigger.values = calloc(cap, sizeof(*bigger.values));
	if (!bigger.keys || !bigger.values) {
		idmap_done(&bigger);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->capacity; i++)
		if (m->values[i])
			(void) idmap_put(&bigger, m->keys[i], m->values[i]);
	idmap_done(m);
	*m = bigger;
	return 0;
}

int idmap_put(idmap *m, uint64_t key, void *value)
{
	/* Keep the load factor under 3/4. */
	if ((m->count + 1) * 4 > m->capacity * 3) {
		int r = grow(m);
		if (r < 0)
			return r;
	}
	for (size_t i = slot_of(m, key);; i = (i + 1) & (m->capacity - 1)) {
		if (!m->values[i]) {
			m->keys[i] = key;
			m->values[i] = value;
			m->count++;
			return 0;
		}
		if (m->keys[i] == key) {
			m->values[i] = value;
			return 0;
		}
	}
}

void *idmap_remove(idmap *m, uint64_t key)
{
	size_t mask = m->capacity - 1, i, j;
	void *value;

	if (m->capacity == 0)
		return NULL;
	for (i = slot_of(m, key);; i = (i + 1) & mask) {
		if (!m->values[i])
			return NULL;
		if (m->keys[i] == key)
			break;
	}
	value = m->values[i];
	m->values[i] = NULL;
	m->count--;
	/* Backward shift: move later members of the probe run into the hole when their home
	 * slot does not lie (cyclically) between the hole and their current slot. */
	for (j = (i + 1) & mask; m->values[j]; j = (j + 1) & mask) {
		size_t home = slot_of(m, m->keys[j]);

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->keys[i] = m->keys[j];
			m->values[i] = m->values[j];
			m->values[j] = NULL;
			i = j;
		}
	}
	return value;
}

int idmap_next(const idmap *m, size_t *iter, uint64_t *ret_key, void **ret_value)
{
	for (; *iter < m->capacity; (*iter)++)
		if (m->values[*iter]) {
			if (ret_key)
				*ret_key = m->keys[*iter];
			if (ret_value)
				*ret_value = m->values[*iter];
			(*iter)++;
			return 1;
		}
	return 0;
}

void idmap_done(idmap *m)
{
	free(m->keys);
	free(m->values);
	*m = (idmap) {};
}
