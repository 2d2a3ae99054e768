/* SPDX-License-Identifier: MIT */
#pragma once

/* A hash map from 64-bit keys to non-NULL pointers. Open addressing with linear probing and
 * backward-shift deletion, so lookups stay short without tombstones. Not thread-safe. */

#include <stddef.h>
#include <stdint.h>

typedef struct idmap {
	uint64_t *keys;
	void **values; /* NULL = empty slot */
	size_t capacity; /* power of two, or 0 */
	size_t count;
} idmap;

/* Returns the value stored for key, or NULL. */
void *idmap_get(const idmap *m, uint64_t key);

/* Stores value (non-NULL) for key, replacing any previous one. Returns 0 or -ENOMEM. */
int idmap_put(idmap *m, uint64_t key, void *value);

/* Removes key. Returns the value it had, or NULL. */
void *idmap_remove(idmap *m, uint64_t key);

/* Iteration: for (size_t i = 0; idmap_next(m, &i, &key, &value); ) ... Do not modify the map
 * while iterating; collect first. */
int idmap_next(const idmap *m, size_t *iter, uint64_t *ret_key, void **ret_value);

/* Frees the table (not the values). */
void idmap_done(idmap *m);
