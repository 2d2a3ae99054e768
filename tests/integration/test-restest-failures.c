/* SPDX-License-Identifier: MIT */
/*
 * Every failure path through wp-restest: SignalFailure (general, embedded, network loss), the
 * event descriptor, IsAlive polling, the pending timeout, online errors (error, not available,
 * garbage return value), deadlock, crash, and quorum loss. Each run must end Failed (or with
 * the monitor's deadlock/crash report) with the right source, and wp-restest's exit status
 * must say whether that was what the flags expected.
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

/* Runs the dummy with params (NULL-terminated "K=V" list) expecting a failure from source;
 * returns the failure event index. */
#define RUN(r, expect, ...)                                                                  \
	assert_int_equal(rt_run(&(r), DUMMY_SO, "--type", "dummy", "--name", "f", "--run-for",   \
				"5000", "--expect-failure=" expect, __VA_ARGS__, NULL),            \
			 0)

static struct json_object *failure_path(rt_result *res, const char *source)
{
	rt_result r = *res;
	ssize_t f = rt_find(res, 0, "failure", "source", source);
	ssize_t t = rt_find(res, f < 0 ? 0 : (size_t) f, "terminate", NULL, NULL);
	ssize_t failed = rt_find(res, t < 0 ? 0 : (size_t) t, "failed", NULL, NULL);

	CHECK(res->exit_code == 0);
	CHECK(f >= 0 && t > f && failed > t);
	CHECK(strcmp(ev_str(rt_event(res, t), "reason"), source) == 0);
	return rt_event(res, f);
}

static void test_signal_failure(void **state)
{
	rt_result r;
	struct json_object *f;

	RUN(r, "signal", "--param", "FailAfterMs=50", "--param", "AppError=1234");
	f = failure_path(&r, "signal");
	CHECK(ev_int(f, "failure_type") == 0 && ev_int(f, "app_error") == 1234);
	rt_free(&r);

	/* Network loss: failure type 2 and the NETWORK_FAILURE status bit (0x20). */
	RUN(r, "signal", "--param", "FailAfterMs=50", "--param", "FailureType=2");
	f = failure_path(&r, "signal");
	CHECK(ev_int(f, "failure_type") == 2);
	CHECK(rt_find(&r, 0, "status_information", "status_information", "32") >= 0);
	rt_free(&r);

	/* Embedded, default EmbeddedFailureAction (2, recover): terminate, EMBEDDED_FAILURE bit. */
	RUN(r, "signal", "--param", "FailAfterMs=50", "--param", "FailureType=1");
	f = failure_path(&r, "signal");
	CHECK(ev_int(f, "failure_type") == 1 && strcmp(ev_str(f, "action"), "terminate") == 0);
	CHECK(rt_find(&r, 0, "status_information", "status_information", "2") >= 0);
	rt_free(&r);
}

static void test_event_fd_failure(void **state)
{
	rt_result r;

	RUN(r, "event_fd", "--param", "FailAfterMs=50", "--param", "FailVia=fd", "--looks-alive",
	    "20");
	failure_path(&r, "event_fd");
	CHECK(rt_find(&r, 0, "looks_alive", NULL, NULL) == -1); /* no LooksAlive with a descriptor */
	rt_free(&r);
}

static void test_poll_failure(void **state)
{
	rt_result r;

	RUN(r, "is_alive", "--param", "FailAfterMs=50", "--param", "FailVia=is_alive",
	    "--looks-alive", "30");
	failure_path(&r, "is_alive");
	ssize_t la = rt_find(&r, 0, "looks_alive", "result", "false");
	CHECK(la >= 0 && rt_find(&r, (size_t) la, "is_alive", "result", "false") > la);
	rt_free(&r);
}

static void test_pending_timeout(void **state)
{
	rt_result r;

	RUN(r, "pending_timeout", "--param", "OnlineMode=pending", "--param", "PendingFinal=none",
	    "--pending-timeout", "300");
	failure_path(&r, "pending_timeout");
	rt_free(&r);
}

static void test_online_errors(void **state)
{
	rt_result r;

	RUN(r, "online", "--param", "OnlineMode=error");
	failure_path(&r, "online");
	CHECK(ev_int(rt_event(&r, rt_find(&r, 0, "failure", NULL, NULL)), "app_error") == 5);
	CHECK(rt_find(&r, 0, "log", "level_name", "error") >= 0); /* "online failed: ..." */
	rt_free(&r);

	/* A garbage return value is an error too, reported as plugin misbehaviour. */
	RUN(r, "online", "--param", "OnlineMode=garbage");
	failure_path(&r, "online");
	ssize_t e = rt_find(&r, 0, "error", NULL, NULL);
	CHECK(e >= 0 && strstr(ev_str(rt_event(&r, e), "message"), "12345"));
	rt_free(&r);

	/* Not available (lost arbitration): Failed without terminate. */
	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "dummy", "--name", "f", "--param",
				"OnlineMode=busy", "--expect-failure=not_available", NULL),
			 0);
	CHECK(r.exit_code == 0);
	CHECK(rt_find(&r, 0, "failed", NULL, NULL) >= 0);
	CHECK(rt_find(&r, 0, "terminate", NULL, NULL) == -1);
	rt_free(&r);
}

static void test_deadlock(void **state)
{
	rt_result r;
	ssize_t d;

	RUN(r, "deadlock", "--param", "HangIn=online", "--deadlock-timeout", "300");
	CHECK(r.exit_code == 0);
	d = rt_find(&r, 0, "deadlock", NULL, NULL);
	CHECK(d >= 0 && strcmp(ev_str(rt_event(&r, d), "call"), "online") == 0);
	CHECK(rt_find(&r, (size_t) d, "monitor_exit", NULL, NULL) > d);
	rt_free(&r);
}

static void test_crash(void **state)
{
	rt_result r;
	ssize_t c;

	RUN(r, "crash", "--param", "CrashIn=online");
	CHECK(r.exit_code == 0);
	c = rt_find(&r, 0, "crash", NULL, NULL);
	CHECK(c >= 0 && strcmp(ev_str(rt_event(&r, c), "call"), "online") == 0);
	CHECK(ev_int(rt_event(&r, c), "signal") == 11);
	rt_free(&r);

	/* A crash nobody expected is a failed run. */
	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "dummy", "--name", "f", "--param",
				"CrashIn=looks_alive", "--looks-alive", "30", "--run-for", "3000",
				NULL),
			 0);
	CHECK(r.exit_code == 1);
	CHECK(rt_find(&r, 0, "crash", NULL, NULL) >= 0);
	rt_free(&r);
}

static void test_quorum_lost(void **state)
{
	rt_result r;

	RUN(r, "quorum_lost", "--arbitrate", "--param", "FailAfterMs=50", "--param",
	    "FailVia=quorum");
	failure_path(&r, "quorum_lost");
	CHECK(rt_find(&r, 0, "arbitrate", "status", "0") >= 0);
	CHECK(rt_find(&r, 0, "quorum_lost", NULL, NULL) >= 0);
	rt_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_failure),
		cmocka_unit_test(test_event_fd_failure),
		cmocka_unit_test(test_poll_failure),
		cmocka_unit_test(test_pending_timeout),
		cmocka_unit_test(test_online_errors),
		cmocka_unit_test(test_deadlock),
		cmocka_unit_test(test_crash),
		cmocka_unit_test(test_quorum_lost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
