/* SPDX-License-Identifier: MIT */
/* Unit tests of group placement (src/clusterd/placement.c): owner choice, FailoverThreshold
 * within FailoverPeriod, the failback window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "placement.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define HOUR_MS (3600 * 1000LL)
#define NO_WINDOW 0xFFFFFFFFu

/* An Up, possible node, not listed in PreferredOwners, owning nothing. */
static placement_node node(uint32_t id)
{
	return (placement_node) { .id = id, .up = true, .possible = true, .preferred = -1 };
}

static placement_node listed(uint32_t id, int preferred)
{
	placement_node n = node(id);

	n.preferred = preferred;
	return n;
}

/* ---- placement_best ---------------------------------------------------------------------- */

static void test_best_none_without_candidates(void **state)
{
	placement_node nodes[3] = { node(1), node(2), node(3) };

	assert_int_equal(placement_best(NULL, 0, PLACEMENT_NONE, PLACEMENT_NONE), PLACEMENT_NONE);
	assert_int_equal(placement_best(nodes, 0, PLACEMENT_NONE, PLACEMENT_NONE), PLACEMENT_NONE);

	nodes[0].up = false;
	nodes[1].possible = false;
	assert_int_equal(placement_best(nodes, N(nodes), 3, PLACEMENT_NONE), PLACEMENT_NONE);
}

/* The best-ranked node (preferred index 0) is skipped for each reason in turn. */
static void test_best_skips_down_impossible_excluded_and_zero(void **state)
{
	placement_node nodes[2] = { listed(1, 0), listed(2, 1) };

	assert_int_equal(placement_best(nodes, N(nodes), PLACEMENT_NONE, PLACEMENT_NONE), 1);

	nodes[0].up = false;
	assert_int_equal(placement_best(nodes, N(nodes), PLACEMENT_NONE, PLACEMENT_NONE), 2);
	nodes[0].up = true;

	nodes[0].possible = false;
	assert_int_equal(placement_best(nodes, N(nodes), PLACEMENT_NONE, PLACEMENT_NONE), 2);
	nodes[0].possible = true;

	assert_int_equal(placement_best(nodes, N(nodes), 1, PLACEMENT_NONE), 2);

	/* id 0 is never a node, even when `exclude` is some other node */
	nodes[0].id = PLACEMENT_NONE;
	assert_int_equal(placement_best(nodes, N(nodes), PLACEMENT_NONE, PLACEMENT_NONE), 2);
	assert_int_equal(placement_best(nodes, N(nodes), 7, PLACEMENT_NONE), 2);
}

/* PreferredOwners order wins over id and over group count, in either array order. */
static void test_best_preferred_order(void **state)
{
	placement_node a[2] = { listed(1, 1), listed(2, 0) };
	placement_node b[2] = { listed(2, 0), listed(1, 1) };

	a[1].groups = 5; /* the preferred node is busier: order still wins */
	b[0].groups = 5;
	assert_int_equal(placement_best(a, N(a), PLACEMENT_NONE, PLACEMENT_NONE), 2);
	assert_int_equal(placement_best(b, N(b), PLACEMENT_NONE, PLACEMENT_NONE), 2);
}

static void test_best_listed_beats_unlisted(void **state)
{
	placement_node a[2] = { node(1), listed(9, 2) };
	placement_node b[2] = { listed(9, 2), node(1) };

	a[1].groups = 7; /* busier and higher id, but listed */
	b[0].groups = 7;
	assert_int_equal(placement_best(a, N(a), PLACEMENT_NONE, PLACEMENT_NONE), 9);
	assert_int_equal(placement_best(b, N(b), PLACEMENT_NONE, PLACEMENT_NONE), 9);
}

static void test_best_unlisted_fewer_groups_then_lower_id(void **state)
{
	placement_node busy[3] = { node(1), node(2), node(3) };
	placement_node first[2] = { node(5), node(1) };
	placement_node tie[3] = { node(3), node(2), node(4) };

	busy[0].groups = 2;
	busy[1].groups = 1;
	busy[2].groups = 1;
	assert_int_equal(placement_best(busy, N(busy), PLACEMENT_NONE, PLACEMENT_NONE), 2);
	busy[1].groups = 3;
	assert_int_equal(placement_best(busy, N(busy), PLACEMENT_NONE, PLACEMENT_NONE), 3);

	/* fewer groups beats a lower id, whatever the array order */
	first[1].groups = 1;
	assert_int_equal(placement_best(first, N(first), PLACEMENT_NONE, PLACEMENT_NONE), 5);

	for (size_t i = 0; i < N(tie); i++)
		tie[i].groups = 4;
	assert_int_equal(placement_best(tie, N(tie), PLACEMENT_NONE, PLACEMENT_NONE), 2);
}

/* Anti-affinity outranks PreferredOwners, but is best effort. */
static void test_best_anti_affinity(void **state)
{
	placement_node nodes[3] = { listed(1, 0), listed(2, 1), node(3) };

	nodes[0].anti = 1;
	assert_int_equal(placement_best(nodes, N(nodes), PLACEMENT_NONE, PLACEMENT_NONE), 2);

	nodes[1].anti = 1;
	assert_int_equal(placement_best(nodes, N(nodes), PLACEMENT_NONE, PLACEMENT_NONE), 3);

	nodes[2].anti = 2; /* fewest conflicts, then order */
	assert_int_equal(placement_best(nodes, N(nodes), PLACEMENT_NONE, PLACEMENT_NONE), 1);

	/* The only candidate conflicts: it is still chosen. */
	nodes[1].up = false;
	nodes[2].up = false;
	assert_int_equal(placement_best(nodes, N(nodes), PLACEMENT_NONE, PLACEMENT_NONE), 1);
	assert_int_equal(placement_best(nodes, 1, PLACEMENT_NONE, PLACEMENT_NONE), 1);
}

/* The group leaves `after`: the preferred list is walked round-robin from the next one. */
static void test_best_round_robin_after(void **state)
{
	placement_node nodes[4] = { listed(1, 0), listed(2, 1), listed(3, 2), node(4) };

	assert_int_equal(placement_best(nodes, N(nodes), 2, 2), 3);
	assert_int_equal(placement_best(nodes, N(nodes), 3, 3), 1); /* wraps */
	assert_int_equal(placement_best(nodes, N(nodes), 1, 1), 2);

	/* The next one is down: the one after it. */
	nodes[2].up = false;
	assert_int_equal(placement_best(nodes, N(nodes), 2, 2), 1);
	nodes[2].up = true;

	/* Not excluded, the node left is the last choice among the listed. */
	nodes[0].up = false;
	nodes[2].up = false;
	assert_int_equal(placement_best(nodes, N(nodes), PLACEMENT_NONE, 2), 2);
	nodes[0].up = true;
	nodes[2].up = true;

	/* `after` unlisted (4) or unknown (7): plain order. */
	assert_int_equal(placement_best(nodes, N(nodes), 4, 4), 1);
	assert_int_equal(placement_best(nodes, N(nodes), 7, 7), 1);
	assert_int_equal(placement_best(nodes, N(nodes), 1, 7), 2);
}

/* The order does not depend on the order of the array. */
static void test_best_round_robin_array_order(void **state)
{
	placement_node nodes[3] = { listed(3, 2), listed(1, 0), listed(2, 1) };

	assert_int_equal(placement_best(nodes, N(nodes), 2, 2), 3);
	assert_int_equal(placement_best(nodes, N(nodes), 3, 3), 1);
	assert_int_equal(placement_best(nodes, N(nodes), PLACEMENT_NONE, PLACEMENT_NONE), 1);
}

/* ---- placement_failover_allowed ---------------------------------------------------------- */

static void test_failover_threshold_one(void **state)
{
	const int64_t now = 100 * HOUR_MS;
	const int64_t earlier[] = { now - HOUR_MS }; /* inside a 6 h period */

	assert_true(placement_failover_allowed(NULL, 0, now, 6, 1, 3));
	assert_false(placement_failover_allowed(earlier, N(earlier), now, 6, 1, 3));
}

static void test_failover_old_ones_do_not_count(void **state)
{
	const int64_t now = 100 * HOUR_MS;
	const int64_t old[] = { now - 7 * HOUR_MS };
	const int64_t edge[] = { now - 6 * HOUR_MS };       /* now - t == period: out */
	const int64_t inside[] = { now - 6 * HOUR_MS + 1 }; /* one ms inside */

	/* period is in hours: 7 h ago is out of 6 h but inside 8 h */
	assert_true(placement_failover_allowed(old, N(old), now, 6, 1, 3));
	assert_false(placement_failover_allowed(old, N(old), now, 8, 1, 3));

	assert_true(placement_failover_allowed(edge, N(edge), now, 6, 1, 3));
	assert_false(placement_failover_allowed(inside, N(inside), now, 6, 1, 3));
}

static void test_failover_counts_every_one_in_window(void **state)
{
	const int64_t now = 100 * HOUR_MS;
	const int64_t two[] = { now - 2 * HOUR_MS, now - HOUR_MS };
	const int64_t mixed[] = { now - 10 * HOUR_MS, now - 2 * HOUR_MS, now - 9 * HOUR_MS };

	assert_false(placement_failover_allowed(two, N(two), now, 6, 2, 3));
	assert_true(placement_failover_allowed(two, N(two), now, 6, 3, 3));
	assert_true(placement_failover_allowed(mixed, N(mixed), now, 6, 2, 3));
}

/* 0xFFFFFFFF is nodes - 1: with 3 nodes, 2 failovers in the window. */
static void test_failover_infinite_threshold(void **state)
{
	const int64_t now = 100 * HOUR_MS;
	const int64_t times[] = { now - 2 * HOUR_MS, now - HOUR_MS };

	assert_true(placement_failover_allowed(times, 0, now, 6, 0xFFFFFFFFu, 3));
	assert_true(placement_failover_allowed(times, 1, now, 6, 0xFFFFFFFFu, 3));
	assert_false(placement_failover_allowed(times, 2, now, 6, 0xFFFFFFFFu, 3));

	/* A larger cluster allows more. */
	assert_true(placement_failover_allowed(times, 2, now, 6, 0xFFFFFFFFu, 4));
}

static void test_failover_threshold_zero(void **state)
{
	const int64_t now = 100 * HOUR_MS;
	const int64_t old[] = { now - 50 * HOUR_MS };

	assert_false(placement_failover_allowed(NULL, 0, now, 6, 0, 3));
	assert_false(placement_failover_allowed(old, N(old), now, 6, 0, 3));
}

/* ---- placement_failback_window ----------------------------------------------------------- */

static void test_failback_no_window(void **state)
{
	for (unsigned h = 0; h < 24; h++) {
		assert_true(placement_failback_window(NO_WINDOW, NO_WINDOW, h));
		assert_true(placement_failback_window(NO_WINDOW, 5, h));
		assert_true(placement_failback_window(5, NO_WINDOW, h));
	}
}

static void test_failback_day_window(void **state)
{
	assert_true(placement_failback_window(9, 17, 9));
	assert_true(placement_failback_window(9, 17, 12));
	assert_true(placement_failback_window(9, 17, 16));
	assert_false(placement_failback_window(9, 17, 17));
	assert_false(placement_failback_window(9, 17, 8));
	assert_false(placement_failback_window(9, 17, 0));
	assert_false(placement_failback_window(9, 17, 23));
}

static void test_failback_wraps_midnight(void **state)
{
	assert_true(placement_failback_window(22, 6, 22));
	assert_true(placement_failback_window(22, 6, 23));
	assert_true(placement_failback_window(22, 6, 0));
	assert_true(placement_failback_window(22, 6, 3));
	assert_true(placement_failback_window(22, 6, 5));
	assert_false(placement_failback_window(22, 6, 6));
	assert_false(placement_failback_window(22, 6, 12));
	assert_false(placement_failback_window(22, 6, 21));
}

static void test_failback_single_hour(void **state)
{
	for (unsigned h = 0; h < 24; h++)
		assert_int_equal(placement_failback_window(5, 5, h), h == 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_best_none_without_candidates),
		cmocka_unit_test(test_best_skips_down_impossible_excluded_and_zero),
		cmocka_unit_test(test_best_preferred_order),
		cmocka_unit_test(test_best_listed_beats_unlisted),
		cmocka_unit_test(test_best_unlisted_fewer_groups_then_lower_id),
		cmocka_unit_test(test_best_anti_affinity),
		cmocka_unit_test(test_best_round_robin_after),
		cmocka_unit_test(test_best_round_robin_array_order),
		cmocka_unit_test(test_failover_threshold_one),
		cmocka_unit_test(test_failover_old_ones_do_not_count),
		cmocka_unit_test(test_failover_counts_every_one_in_window),
		cmocka_unit_test(test_failover_infinite_threshold),
		cmocka_unit_test(test_failover_threshold_zero),
		cmocka_unit_test(test_failback_no_window),
		cmocka_unit_test(test_failback_day_window),
		cmocka_unit_test(test_failback_wraps_midnight),
		cmocka_unit_test(test_failback_single_hour),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
