/* SPDX-License-Identifier: MIT */
/*
 * wp-restest end to end: the lifecycle of the dummy and of the compat-header plugin, pending
 * online/offline, FailClusterResource (--fail-after), the output format, --help and usage
 * errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "resmon-client.h"
#include "restest-run.h"

#define CHECK(x) RT_CHECK(&r, x)

/* The events appear in this order (each after the previous). */
static void check_order(rt_result *res, const char *const *names)
{
	rt_result r = *res;
	ssize_t at = -1;

	for (; *names; names++) {
		ssize_t i = rt_find(res, (size_t) (at + 1), *names, NULL, NULL);
		if (i < 0)
			fprintf(stderr, "missing '%s' after index %zd\n", *names, at);
		CHECK(i > at);
		at = i;
	}
}

static void check_format(rt_result *res)
{
	rt_result r = *res;

	for (size_t i = 0; i < res->n_events; i++) {
		CHECK(ev_str(res->events[i], "event") != NULL);
		CHECK(ev_int(res->events[i], "t_us") > 0);
	}
	/* t_us is monotonic microseconds: non-decreasing across the run, give or take the
	 * harness's own events stamped in another process. */
	struct json_object *last = rt_event(res, (ssize_t) res->n_events - 1);
	CHECK(strcmp(ev_str(last, "event"), "exit") == 0);
}

static void test_dummy_lifecycle(void **state)
{
	rt_result r;
	static const char *const order[] = { "open", "online", "looks_alive", "is_alive",
					     "offline", "close", "exit", NULL };

	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "dummy", "--name", "d1", "--looks-alive",
				"50", "--is-alive", "120", "--run-for", "400", NULL),
			 0);
	CHECK(r.exit_code == 0);
	check_format(&r);
	check_order(&r, order);
	CHECK(rt_count(&r, "looks_alive", NULL, NULL) >= 4);
	CHECK(rt_count(&r, "failure", NULL, NULL) == 0);
	CHECK(strcmp(ev_str(rt_event(&r, rt_find(&r, 0, "online", NULL, NULL)), "state_name"),
		     "Online") == 0);
	CHECK(strcmp(ev_str(rt_event(&r, rt_find(&r, 0, "exit", NULL, NULL)), "expected"), "true") == 0);
	rt_free(&r);
}

static void test_dummy_pending_online_and_offline(void **state)
{
	rt_result r;
	int64_t last = 0;

	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "dummy", "--name", "slow", "--param",
				"OnlineMode=pending", "--param", "OfflineMode=pending", "--param",
				"PendingCheckpoints=4", "--run-for", "100", NULL),
			 0);
	CHECK(r.exit_code == 0);
	ssize_t pending = rt_find(&r, 0, "pending", "state_name", "OnlinePending");
	ssize_t online = rt_find(&r, 0, "online", NULL, NULL);
	CHECK(pending >= 0 && online > pending);
	/* Checkpoints grow between the two. */
	size_t n = 0;
	for (ssize_t i = pending; (i = rt_find(&r, (size_t) i + 1, "status", NULL, NULL)) >= 0 &&
				  i < online;) {
		int64_t cp = ev_int(r.events[i], "checkpoint");
		if (ev_int(r.events[i], "state") == 129) {
			CHECK(cp > last);
			last = cp;
			n++;
		}
	}
	CHECK(n == 4);
	ssize_t off_pending = rt_find(&r, (size_t) online, "pending", "state_name", "OfflinePending");
	CHECK(off_pending > online);
	CHECK(rt_find(&r, (size_t) off_pending, "offline", NULL, NULL) > off_pending);
	rt_free(&r);
}

static void test_fail_after_is_fail_cluster_resource(void **state)
{
	rt_result r;
	ssize_t on, f, t, failed;

	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "dummy", "--name", "victim", "--run-for",
				"5000", "--fail-after", "200", NULL),
			 0);
	CHECK(r.exit_code == 0);
	on = rt_find(&r, 0, "online", NULL, NULL);
	f = rt_find(&r, 0, "failure", "source", "fail");
	t = rt_find(&r, 0, "terminate", NULL, NULL);
	failed = rt_find(&r, 0, "failed", NULL, NULL);
	CHECK(on >= 0 && f > on && t > f && failed > t);
	/* ~200 ms after Online, and the run stopped at the failure, not after 5 s. */
	int64_t dt = ev_int(r.events[f], "t_us") - ev_int(r.events[on], "t_us");
	CHECK(dt >= 190000 && dt < 4000000);
	CHECK(rt_find(&r, (size_t) on, "offline", NULL, NULL) == -1);
	CHECK(rt_find(&r, (size_t) failed, "close", NULL, NULL) > failed);
	rt_free(&r);

	/* Without --fail-after, a failure is unexpected: exit status 1. */
	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "dummy", "--name", "victim", "--param",
				"FailAfterMs=100", "--run-for", "3000", NULL),
			 0);
	CHECK(r.exit_code == 1);
	CHECK(rt_find(&r, 0, "failure", "source", "signal") >= 0);
	rt_free(&r);
}

static void test_compat_plugin_lifecycle(void **state)
{
	rt_result r;
	static const char *const order[] = { "open", "online", "looks_alive", "offline", "close",
					     "exit", NULL };

	assert_int_equal(rt_run(&r, COMPAT_SO, "--type", "compat-dummy", "--name", "win",
				"--looks-alive", "50", "--run-for", "300", NULL),
			 0);
	CHECK(r.exit_code == 0);
	check_order(&r, order);
	CHECK(rt_find(&r, 0, "log", NULL, NULL) >= 0); /* LogEvent through the compat names */
	rt_free(&r);

	assert_int_equal(rt_run(&r, COMPAT_SO, "--type", "compat-dummy", "--name", "win",
				"--param", "OnlinePending=1", "--run-for", "100", NULL),
			 0);
	CHECK(r.exit_code == 0);
	CHECK(rt_find(&r, 0, "pending", "state_name", "OnlinePending") >= 0);
	CHECK(rt_count(&r, "status", NULL, NULL) >= 2);
	rt_free(&r);

	/* Failure through the WSFC event handle and through SignalFailure. */
	assert_int_equal(rt_run(&r, COMPAT_SO, "--type", "compat-dummy", "--name", "win",
				"--param", "FailAfterMs=100", "--param", "UseEventHandle=1",
				"--looks-alive", "20", "--run-for", "3000",
				"--expect-failure=event_fd", NULL),
			 0);
	CHECK(r.exit_code == 0);
	CHECK(rt_find(&r, 0, "looks_alive", NULL, NULL) == -1);
	rt_free(&r);
	assert_int_equal(rt_run(&r, COMPAT_SO, "--type", "compat-dummy", "--name", "win",
				"--param", "FailAfterMs=100", "--run-for", "3000",
				"--expect-failure=signal", NULL),
			 0);
	CHECK(r.exit_code == 0);
	rt_free(&r);

	/* Control code 1 echoes, with ERROR_MORE_DATA mapped to -ENOBUFS. */
	assert_int_equal(rt_run(&r, COMPAT_SO, "--type", "compat-dummy", "--name", "win",
				"--control", "1:c0ffee:8", "--control", "1:c0ffee:1", "--control",
				"77", "--run-for", "50", NULL),
			 0);
	CHECK(r.exit_code == 0);
	CHECK(rt_find(&r, 0, "control_result", "out", "c0ffee") >= 0);
	CHECK(rt_find(&r, 0, "control_result", "status", "-105") >= 0);
	CHECK(rt_find(&r, 0, "control_result", "status", "-95") >= 0);
	rt_free(&r);
}

static void test_help_and_usage(void **state)
{
	rt_result r;

	/* --help prints text, not JSON, and exits 0. */
	static const char *const options[] = { "--type", "--name", "--param", "--looks-alive",
					       "--is-alive", "--pending-timeout",
					       "--deadlock-timeout", "--run-for", "--fail-after" };
	FILE *p = popen(WP_TEST_BIN_DIR "/wp-restest --help", "r");
	char text[16384];
	size_t n = fread(text, 1, sizeof(text) - 1, p);
	text[n] = '\0';
	assert_int_equal(pclose(p), 0);
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (!strstr(text, options[i]))
			fail_msg("--help does not mention %s", options[i]);

	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "dummy", NULL), 0); /* no --name */
	assert_int_equal(r.exit_code, 2);
	rt_free(&r);
	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "dummy", "--name", "x", "--run-for", "soon",
				NULL),
			 0);
	assert_int_equal(r.exit_code, 2);
	rt_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dummy_lifecycle),
		cmocka_unit_test(test_dummy_pending_online_and_offline),
		cmocka_unit_test(test_fail_after_is_fail_cluster_resource),
		cmocka_unit_test(test_compat_plugin_lifecycle),
		cmocka_unit_test(test_help_and_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
