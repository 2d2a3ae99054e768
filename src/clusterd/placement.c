/* SPDX-License-Identifier: MIT */
#include "placement.h"

#define INFINITE 0xFFFFFFFFu

/* Position of n in the preferred order, read round-robin after `after` when that node is in
 * the list; unlisted nodes come after every listed one. */
static long rank_of(const placement_node *n, const placement_node *nodes, size_t count,
		    uint32_t after)
{
	int listed = 0, start = -1;

	if (n->preferred < 0)
		return 1L << 20;
	for (size_t i = 0; i < count; i++) {
		if (nodes[i].preferred >= 0)
			listed = nodes[i].preferred + 1 > listed ? nodes[i].preferred + 1 : listed;
		if (after != PLACEMENT_NONE && nodes[i].id == after)
			start = nodes[i].preferred;
	}
	if (start < 0)
		return n->preferred;
	return (n->preferred - (start + 1) + 2L * listed) % listed;
}

uint32_t placement_best(const placement_node *nodes, size_t n, uint32_t exclude, uint32_t after)
{
	const placement_node *best = NULL;
	long best_rank = 0;

	for (size_t i = 0; i < n; i++) {
		const placement_node *c = &nodes[i];
		long rank;

		if (!c->up || !c->possible || c->id == exclude || c->id == PLACEMENT_NONE)
			continue;
		rank = rank_of(c, nodes, n, after);
		if (best) {
			if (c->anti != best->anti) {
				if (c->anti > best->anti)
					continue;
			} else if (rank != best_rank) {
				if (rank > best_rank)
					continue;
			} else if (c->groups != best->groups) {
				if (c->groups > best->groups)
					continue;
			} else if (c->id > best->id) {
				continue;
			}
		}
		best = c;
		best_rank = rank;
	}
	return best ? best->id : PLACEMENT_NONE;
}

bool placement_failover_allowed(const int64_t *times, size_t n, int64_t now_ms, uint32_t period_h,
				uint32_t threshold, unsigned nodes)
{
	int64_t window = (int64_t) period_h * 3600 * 1000;
	uint64_t count = 1;

	if (threshold == INFINITE)
		threshold = nodes > 0 ? nodes - 1 : 0;
	for (size_t i = 0; i < n; i++)
		if (times[i] <= now_ms && now_ms - times[i] < window)
			count++;
	return count <= threshold;
}

bool placement_failback_window(uint32_t start, uint32_t end, unsigned hour)
{
	if (start == INFINITE || end == INFINITE)
		return true;
	if (start == end)
		return hour == start;
	if (start < end)
		return hour >= start && hour < end;
	return hour >= start || hour < end;
}
