/* SPDX-License-Identifier: MIT */
/* Unit tests of the restart policy (src/clusterd/policy.c, reference 7.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

/* WSFC's defaults: RestartNotify, 3 restarts in 15 min, 500 ms delay, retry after 1 h. */
static const policy_props defaults = {
	.restart_action = RESTART_ACTION_RESTART_NOTIFY,
	.restart_threshold = 3,
	.restart_period_ms = 900000,
	.restart_delay_ms = 500,
	.retry_period_on_failure_ms = 3600000,
};

/* MS's example: Period 200 ms, Threshold 2. */
static const policy_props ms_example = {
	.restart_action = RESTART_ACTION_RESTART_NOTIFY,
	.restart_threshold = 2,
	.restart_period_ms = 200,
	.restart_delay_ms = 0,
	.retry_period_on_failure_ms = 1000,
};

static policy_action fail_at(const policy_props *p, policy_history *h, uint64_t now_ms)
{
	policy_decision d;

	policy_on_failure(p, h, now_ms, &d);
	return d.action;
}

static void test_ms_example_third_in_window_escalates(void **state)
{
	policy_history h = {};
	policy_decision d;

	policy_on_failure(&ms_example, &h, 10000, &d);
	assert_int_equal(d.action, POLICY_RESTART);
	assert_int_equal(d.restarts_in_window, 1);
	policy_on_failure(&ms_example, &h, 10050, &d);
	assert_int_equal(d.action, POLICY_RESTART);
	assert_int_equal(d.restarts_in_window, 2);
	assert_int_equal(h.n, 2);

	policy_on_failure(&ms_example, &h, 10100, &d);
	assert_int_equal(d.action, POLICY_FAIL_GROUP);
	assert_int_equal(d.retry_ms, 1000);
	assert_int_equal(d.restarts_in_window, 2);
	assert_int_equal(h.n, 2); /* an escalation is not a restart */
}

/* Restarts at t0 and t0+100; the third failure at t0+period-1, +period, +period+1. */
static void test_window_edges(void **state)
{
	static const struct {
		uint64_t third;
		policy_action want;
	} cases[] = {
		{ 10199, POLICY_FAIL_GROUP }, /* just inside: both restarts count */
		{ 10200, POLICY_RESTART },    /* exactly now - period: the first has left */
		{ 10201, POLICY_RESTART },    /* just outside */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		policy_history h = {};

		assert_int_equal(fail_at(&ms_example, &h, 10000), POLICY_RESTART);
		assert_int_equal(fail_at(&ms_example, &h, 10100), POLICY_RESTART);
		assert_int_equal(policy_restarts_in_window(&ms_example, &h, cases[i].third),
				 cases[i].want == POLICY_RESTART ? 1 : 2);
		assert_int_equal(fail_at(&ms_example, &h, cases[i].third), cases[i].want);
	}
}

/* A restart exactly period ms old is outside the window, also when counting. */
static void test_restarts_in_window_does_not_modify(void **state)
{
	policy_history h = { .restarts_ms = { 100, 250, 300 }, .n = 3 };
	policy_history copy = h;

	assert_int_equal(policy_restarts_in_window(&ms_example, &h, 299), 3);
	assert_int_equal(policy_restarts_in_window(&ms_example, &h, 300), 2);
	assert_int_equal(policy_restarts_in_window(&ms_example, &h, 301), 2);
	assert_int_equal(policy_restarts_in_window(&ms_example, &h, 449), 2);
	assert_int_equal(policy_restarts_in_window(&ms_example, &h, 450), 1);
	assert_int_equal(policy_restarts_in_window(&ms_example, &h, 499), 1);
	assert_int_equal(policy_restarts_in_window(&ms_example, &h, 500), 0);
	assert_memory_equal(&h, &copy, sizeof(h));
	/* Early in the clock (now < period) nothing underflows. */
	/* Restarts "in the future" count as inside. */
	assert_int_equal(policy_restarts_in_window(&ms_example, &h, 0), 3);
}

static void test_spread_wider_never_escalates(void **state)
{
	policy_history h = {};

	/* period / threshold apart: at each failure exactly one restart is inside. */
	for (uint64_t t = 0; t < 100000; t += 100)
		assert_int_equal(fail_at(&ms_example, &h, t), POLICY_RESTART);
	/* Even wider. */
	policy_reset(&h);
	for (uint64_t t = 0; t < 100000; t += 201)
		assert_int_equal(fail_at(&ms_example, &h, t), POLICY_RESTART);
	/* Just narrower escalates at the third. */
	policy_reset(&h);
	assert_int_equal(fail_at(&ms_example, &h, 0), POLICY_RESTART);
	assert_int_equal(fail_at(&ms_example, &h, 99), POLICY_RESTART);
	assert_int_equal(fail_at(&ms_example, &h, 198), POLICY_FAIL_GROUP);
}

static void test_forgets_old_restarts(void **state)
{
	policy_history h = {};

	assert_int_equal(fail_at(&defaults, &h, 1000), POLICY_RESTART);
	assert_int_equal(fail_at(&defaults, &h, 2000), POLICY_RESTART);
	assert_int_equal(fail_at(&defaults, &h, 2000 + 900000), POLICY_RESTART);
	assert_int_equal(h.n, 1); /* 1000 and 2000 have left the window */
	assert_int_equal(h.restarts_ms[0], 902000);
}

static void test_restart_delay_passed_through(void **state)
{
	policy_props p = defaults;
	policy_history h = {};
	policy_decision d;

	p.restart_delay_ms = 12345;
	policy_on_failure(&p, &h, 1, &d);
	assert_int_equal(d.action, POLICY_RESTART);
	assert_int_equal(d.delay_ms, 12345);
	assert_non_null(strstr(d.reason, "RestartDelay 12345 ms"));

	p.restart_delay_ms = 0;
	policy_on_failure(&p, &h, 2, &d);
	assert_int_equal(d.action, POLICY_RESTART);
	assert_int_equal(d.delay_ms, 0);

	p.restart_delay_ms = POLICY_INFINITE;
	policy_on_failure(&p, &h, 3, &d);
	assert_int_equal(d.delay_ms, POLICY_INFINITE);
}

static void test_dont_restart(void **state)
{
	policy_props p = defaults;
	policy_history h = {};
	policy_decision d;

	p.restart_action = RESTART_ACTION_DONT_RESTART;
	p.retry_period_on_failure_ms = 1000; /* ignored: never retried */
	for (int i = 0; i < 3; i++) {
		policy_on_failure(&p, &h, 1000 + (uint64_t) i, &d);
		assert_int_equal(d.action, POLICY_STAY_FAILED);
		assert_int_equal(d.retry_ms, POLICY_INFINITE);
		assert_int_equal(d.restarts_in_window, 0);
		assert_int_equal(h.n, 0);
	}
	assert_string_equal(d.reason,
			    "RestartAction 0 (DontRestart): staying failed, never retried");
}

static void test_no_notify_stays_failed(void **state)
{
	policy_props p = defaults;
	policy_history h = {};
	policy_decision d;

	p.restart_action = RESTART_ACTION_RESTART_NO_NOTIFY;
	for (uint64_t t = 0; t < 3; t++)
		assert_int_equal(fail_at(&p, &h, t), POLICY_RESTART);
	policy_on_failure(&p, &h, 3, &d);
	assert_int_equal(d.action, POLICY_STAY_FAILED);
	assert_int_equal(d.retry_ms, 3600000);
	assert_int_equal(d.restarts_in_window, 3);
	assert_string_equal(d.reason, "3 restarts in 900000 ms window reached RestartThreshold 3: "
				      "staying failed, retry in 3600000 ms");
	/* It stays failed while the window holds the restarts. */
	assert_int_equal(fail_at(&p, &h, 899999), POLICY_STAY_FAILED);
	assert_int_equal(fail_at(&p, &h, 900000), POLICY_RESTART); /* the one at 0 has left */
}

static void test_notify_fails_group(void **state)
{
	policy_history h = {};
	policy_decision d;

	for (uint64_t t = 0; t < 3; t++)
		assert_int_equal(fail_at(&defaults, &h, t), POLICY_RESTART);
	policy_on_failure(&defaults, &h, 3, &d);
	assert_int_equal(d.action, POLICY_FAIL_GROUP);
	assert_int_equal(d.retry_ms, 3600000);
	assert_string_equal(d.reason, "3 restarts in 900000 ms window reached RestartThreshold 3: "
				      "failing the group over, retry in 3600000 ms");
}

static void test_retry_never(void **state)
{
	policy_props p = defaults;
	policy_history h = {};
	policy_decision d;

	p.retry_period_on_failure_ms = POLICY_INFINITE;
	p.restart_threshold = 1;
	assert_int_equal(fail_at(&p, &h, 0), POLICY_RESTART);
	policy_on_failure(&p, &h, 1, &d);
	assert_int_equal(d.action, POLICY_FAIL_GROUP);
	assert_int_equal(d.retry_ms, POLICY_INFINITE);
	assert_string_equal(d.reason, "1 restart in 900000 ms window reached RestartThreshold 1: "
				      "failing the group over, retry never (RetryPeriodOnFailure "
				      "0xFFFFFFFF)");
}

static void test_threshold_zero_escalates_at_once(void **state)
{
	policy_props p = defaults;
	policy_history h = {};
	policy_decision d;

	p.restart_threshold = 0;
	policy_on_failure(&p, &h, 5, &d);
	assert_int_equal(d.action, POLICY_FAIL_GROUP);
	assert_int_equal(d.restarts_in_window, 0);
	assert_int_equal(h.n, 0);
	assert_non_null(strstr(d.reason, "RestartThreshold 0"));

	p.restart_action = RESTART_ACTION_RESTART_NO_NOTIFY;
	assert_int_equal(fail_at(&p, &h, 6), POLICY_STAY_FAILED);
	/* Period 0 does not change that. */
	p.restart_period_ms = 0;
	assert_int_equal(fail_at(&p, &h, 7), POLICY_STAY_FAILED);
}

static void test_period_zero_always_restarts(void **state)
{
	policy_props p = defaults;
	policy_history h = {};
	policy_decision d;

	p.restart_period_ms = 0;
	p.restart_threshold = 1;
	for (int i = 0; i < 1000; i++) {
		policy_on_failure(&p, &h, 42, &d); /* even at the same instant */
		assert_int_equal(d.action, POLICY_RESTART);
		assert_int_equal(d.restarts_in_window, 1);
		assert_int_equal(h.n, 1);
	}
	assert_int_equal(policy_restarts_in_window(&p, &h, 42), 0);
	assert_string_equal(d.reason, "restart 1 of 1 in 0 ms window (RestartDelay 500 ms)");
}

static void test_history_cap(void **state)
{
	policy_props p = defaults;
	policy_history h = {};
	policy_decision d;

	p.restart_threshold = 1000;
	for (uint64_t t = 1; t <= 100; t++) {
		policy_on_failure(&p, &h, t, &d);
		assert_int_equal(d.action, POLICY_RESTART);
		assert_true(h.n <= POLICY_HISTORY_MAX);
	}
	assert_int_equal(h.n, POLICY_HISTORY_MAX);
	/* The oldest were dropped; the rest are in order. */
	for (size_t i = 0; i < POLICY_HISTORY_MAX; i++)
		assert_int_equal(h.restarts_ms[i], 100 - POLICY_HISTORY_MAX + 1 + i);
	assert_int_equal(d.restarts_in_window, POLICY_HISTORY_MAX);
	assert_int_equal(policy_restarts_in_window(&p, &h, 100), POLICY_HISTORY_MAX);

	/* A threshold of exactly the cap is still reached. */
	p.restart_threshold = POLICY_HISTORY_MAX;
	policy_on_failure(&p, &h, 101, &d);
	assert_int_equal(d.action, POLICY_FAIL_GROUP);
}

static void test_reset(void **state)
{
	policy_history h = {};
	policy_decision d;

	for (uint64_t t = 0; t < 3; t++)
		assert_int_equal(fail_at(&defaults, &h, t), POLICY_RESTART);
	assert_int_equal(fail_at(&defaults, &h, 3), POLICY_FAIL_GROUP);
	policy_reset(&h);
	assert_int_equal(h.n, 0);
	assert_int_equal(policy_restarts_in_window(&defaults, &h, 4), 0);
	policy_on_failure(&defaults, &h, 4, &d);
	assert_int_equal(d.action, POLICY_RESTART);
	assert_string_equal(d.reason, "restart 1 of 3 in 900000 ms window (RestartDelay 500 ms)");
	policy_reset(NULL); /* accepted */
}

static void test_reason_counts(void **state)
{
	policy_history h = {};
	policy_decision d;

	policy_on_failure(&defaults, &h, 100, &d);
	assert_string_equal(d.reason, "restart 1 of 3 in 900000 ms window (RestartDelay 500 ms)");
	policy_on_failure(&defaults, &h, 200, &d);
	assert_string_equal(d.reason, "restart 2 of 3 in 900000 ms window (RestartDelay 500 ms)");
	policy_on_failure(&defaults, &h, 300, &d);
	assert_string_equal(d.reason, "restart 3 of 3 in 900000 ms window (RestartDelay 500 ms)");
}

/* A long escalation reason fits in the decision, untruncated. */
static void test_reason_fits(void **state)
{
	policy_props p = {
		.restart_action = RESTART_ACTION_RESTART_NOTIFY,
		.restart_threshold = POLICY_HISTORY_MAX,
		.restart_period_ms = POLICY_INFINITE,
		.restart_delay_ms = POLICY_INFINITE,
		.retry_period_on_failure_ms = POLICY_INFINITE,
	};
	policy_history h = {};
	policy_decision d;

	for (uint64_t t = 0; t < POLICY_HISTORY_MAX; t++)
		assert_int_equal(fail_at(&p, &h, t), POLICY_RESTART);
	policy_on_failure(&p, &h, POLICY_HISTORY_MAX, &d);
	assert_int_equal(d.action, POLICY_FAIL_GROUP);
	assert_string_equal(d.reason, "64 restarts in 4294967295 ms window reached "
				      "RestartThreshold 64: failing the group over, retry never "
				      "(RetryPeriodOnFailure 0xFFFFFFFF)");
}

static void test_invalid_action_is_notify(void **state)
{
	policy_props p = defaults;
	policy_history h = {};

	p.restart_action = 3;
	p.restart_threshold = 0;
	assert_int_equal(fail_at(&p, &h, 0), POLICY_FAIL_GROUP);
}

static void test_null_arguments(void **state)
{
	policy_history h = {};
	policy_decision d;

	policy_on_failure(NULL, &h, 0, &d);
	assert_int_equal(d.action, POLICY_STAY_FAILED);
	assert_int_equal(d.retry_ms, POLICY_INFINITE);
	policy_on_failure(&defaults, &h, 0, NULL);
	assert_int_equal(policy_restarts_in_window(NULL, &h, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ms_example_third_in_window_escalates),
		cmocka_unit_test(test_window_edges),
		cmocka_unit_test(test_restarts_in_window_does_not_modify),
		cmocka_unit_test(test_spread_wider_never_escalates),
		cmocka_unit_test(test_forgets_old_restarts),
		cmocka_unit_test(test_restart_delay_passed_through),
		cmocka_unit_test(test_dont_restart),
		cmocka_unit_test(test_no_notify_stays_failed),
		cmocka_unit_test(test_notify_fails_group),
		cmocka_unit_test(test_retry_never),
		cmocka_unit_test(test_threshold_zero_escalates_at_once),
		cmocka_unit_test(test_period_zero_always_restarts),
		cmocka_unit_test(test_history_cap),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_reason_counts),
		cmocka_unit_test(test_reason_fits),
		cmocka_unit_test(test_invalid_action_is_notify),
		cmocka_unit_test(test_null_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
