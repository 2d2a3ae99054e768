/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Where a group runs: WSFC's owner choice (preferred owners in order, possible owners, Up
 * nodes, AntiAffinityClassNames as a best-effort rule), the FailoverThreshold window and the
 * failback window. Pure code: every node computes the same answer from the same replicated
 * state, which is what lets them agree without a leader.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLACEMENT_NONE 0u /* no node */

typedef struct placement_node {
	uint32_t id;
	bool up;             /* a member, synchronised, not paused */
	bool possible;       /* every resource of the group may run there */
	int preferred;       /* index in PreferredOwners, or -1 if not listed */
	unsigned anti;       /* groups it owns that share an AntiAffinityClassName with this one */
	unsigned groups;     /* groups it owns */
} placement_node;

/*
 * The best node for a group: Up, possible and not `exclude`. Ranked by anti-affinity
 * conflicts (fewer first: best effort, so a conflicting node is still chosen if it is the
 * only one), then PreferredOwners order, then listed before unlisted, then fewer groups, then
 * lower id. With `after` set (the node the group leaves), the preferred list is read
 * round-robin starting after that node, as WSFC walks to "the next preferred owner".
 * Returns a node id or PLACEMENT_NONE.
 */
uint32_t placement_best(const placement_node *nodes, size_t n, uint32_t exclude, uint32_t after);

/*
 * FailoverThreshold within FailoverPeriod: times[] are the earlier failovers (ms, any clock
 * shared by the nodes), now the new one. threshold 0xFFFFFFFF means nodes - 1. Returns true
 * if this failover is allowed (the count within the window, this one included, is at most the
 * threshold).
 */
bool placement_failover_allowed(const int64_t *times, size_t n, int64_t now_ms, uint32_t period_h,
				uint32_t threshold, unsigned nodes);

/* FailbackWindowStart/End (hours 0..23, 0xFFFFFFFF = no window): may a failback start at hour
 * (0..23)? A window that wraps midnight (22..6) is allowed; start == end is that one hour. */
bool placement_failback_window(uint32_t start, uint32_t end, unsigned hour);
