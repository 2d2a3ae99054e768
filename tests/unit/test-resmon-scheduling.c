/* SPDX-License-Identifier: MIT */
/*
 * The monitor's scheduling and timeouts, against a real wp-resmon hosting the dummy plugin:
 * poll intervals, LooksAlive false → IsAlive at once, an event descriptor replacing LooksAlive,
 * PendingTimeout as the gap between reports (not the total), DeadlockTimeout, WSFC's
 * threading rule (no overlap per instance, except terminate), and one descriptor shared by
 * several instances.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "resmon-client.h"

static int setup(void **state)
{
	rmc *c = calloc(1, sizeof(*c));

	if (rmc_start(c, NULL) < 0)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	rmc *c = *state;

	rmc_stop(c);
	free(c);
	return 0;
}

#define CHECK(x) RMC_CHECK(c, x)

/* Opens dummy instance id with extra JSON fields (settings and "params":{...}), brings it
 * online and returns the index just past the Online state event. */
static size_t online(rmc *c, uint32_t id, const char *extra)
{
	size_t at = c->n_events;

	CHECK(rmc_send(c, "{\"op\":\"open\",\"id\":%u,\"name\":\"r%u\",\"type\":\"dummy\",\"report_polls\":true%s%s}",
		       id, id, extra[0] ? "," : "", extra) == 0);
	CHECK(rmc_wait(c, &at, 5000, "open", id, NULL, NULL));
	CHECK(rmc_send(c, "{\"op\":\"online\",\"id\":%u}", id) == 0);
	CHECK(rmc_wait(c, &at, 5000, "state", id, "state_name", "Online"));
	return at;
}

/* Collects t_us of the named events for id from index from. */
static size_t times_of(rmc *c, size_t from, const char *name, uint32_t id, uint64_t *t, size_t max)
{
	size_t n = 0;

	for (ssize_t i = (ssize_t) from - 1;
	     n < max && (i = rmc_find(c, (size_t) (i + 1), name, id, NULL, NULL)) >= 0;)
		t[n++] = (uint64_t) ev_int(c->events[i], "t_us");
	return n;
}

static void test_poll_intervals(void **state)
{
	rmc *c = *state;
	uint64_t t[64];
	size_t at = online(c, 1, "\"looks_alive_ms\":100,\"is_alive_ms\":250");
	size_t n;

	rmc_drain(c, 1300);
	n = times_of(c, at, "looks_alive", 1, t, 64);
	/* 1.3 s at 100 ms: about 13 polls (never more: accuracy is 5% of the interval and
	 * consecutive polls are checked below; fewer only if the machine stalls). */
	CHECK(n >= 5 && n <= 14);
	/* Events are stamped when a call completes, so one late completion followed by an
	 * on-time one sits closer than the interval: the interval holds on average, each gap
	 * within a jitter margin. */
	for (size_t i = 1; i < n; i++)
		CHECK(t[i] - t[i - 1] >= 50000);
	CHECK((t[n - 1] - t[0]) / (n - 1) >= 95000);
	n = times_of(c, at, "is_alive", 1, t, 64);
	CHECK(n >= 2 && n <= 6);
	for (size_t i = 1; i < n; i++)
		CHECK(t[i] - t[i - 1] >= 150000);
	CHECK((t[n - 1] - t[0]) / (n - 1) >= 240000);
	CHECK(rmc_count(c, "failure", 1, NULL, NULL) == 0);

	/* "set" changes the interval of a running instance. */
	at = c->n_events;
	CHECK(rmc_send(c, "{\"op\":\"set\",\"id\":1,\"looks_alive_ms\":4294967295,\"is_alive_ms\":100000}") == 0);
	rmc_drain(c, 400);
	CHECK(rmc_find(c, at + 1, "looks_alive", 1, NULL, NULL) == -1 ||
	      (uint64_t) ev_int(c->events[rmc_find(c, at + 1, "looks_alive", 1, NULL, NULL)], "t_us") <
		      rmc_now_us() - 300000);
}

static void test_looks_alive_false_calls_is_alive_at_once(void **state)
{
	rmc *c = *state;
	size_t at = online(c, 1, "\"looks_alive_ms\":50,\"is_alive_ms\":100000,"
				 "\"params\":{\"FailAfterMs\":\"100\",\"FailVia\":\"looks_alive\"}");
	struct json_object *la, *ia;

	la = rmc_wait(c, &at, 3000, "looks_alive", 1, "result", "false");
	CHECK(la);
	ia = rmc_wait(c, &at, 3000, "is_alive", 1, NULL, NULL);
	CHECK(ia);
	/* "At once": not at the next IsAlive interval (100 s away). The bound leaves room
	 * for a loaded 2-core CI machine. */
	CHECK(ev_int(ia, "t_us") - ev_int(la, "t_us") < 500000);
	/* IsAlive said true: nothing failed. */
	CHECK(strcmp(ev_str(ia, "result"), "true") == 0);
	CHECK(rmc_count(c, "failure", 1, NULL, NULL) == 0);
}

static void test_is_alive_false_fails_and_terminates(void **state)
{
	rmc *c = *state;
	size_t at = online(c, 1, "\"looks_alive_ms\":50,\"is_alive_ms\":100000,"
				 "\"params\":{\"FailAfterMs\":\"100\",\"FailVia\":\"is_alive\"}");
	ssize_t f, t, s;

	CHECK(rmc_wait(c, &at, 3000, "state", 1, "state_name", "Failed"));
	f = rmc_find(c, 0, "failure", 1, "source", "is_alive");
	t = rmc_find(c, 0, "terminate", 1, NULL, NULL);
	s = rmc_find(c, 0, "state", 1, "state_name", "Failed");
	CHECK(f >= 0 && t > f && s > t);
	CHECK(strcmp(ev_str(c->events[t], "reason"), "is_alive") == 0);
	/* Failed means no more polling. */
	at = c->n_events;
	rmc_drain(c, 300);
	CHECK(rmc_find(c, at, "looks_alive", 1, NULL, NULL) == -1);
}

static void test_event_fd_replaces_looks_alive(void **state)
{
	rmc *c = *state;
	size_t at = online(c, 1, "\"looks_alive_ms\":20,\"is_alive_ms\":150,"
				 "\"params\":{\"EventFd\":\"1\"}");

	rmc_drain(c, 700);
	CHECK(rmc_find(c, at, "looks_alive", 1, NULL, NULL) == -1);
	CHECK(rmc_count(c, "is_alive", 1, NULL, NULL) >= 3); /* IsAlive is never switched off */

	/* Without the descriptor the same settings poll LooksAlive. */
	at = online(c, 2, "\"looks_alive_ms\":20,\"is_alive_ms\":150");
	rmc_drain(c, 300);
	CHECK(rmc_count(c, "looks_alive", 2, NULL, NULL) >= 5);
}

static void test_pending_timeout_is_the_gap_between_reports(void **state)
{
	rmc *c = *state;
	size_t at = c->n_events;
	ssize_t last, f;

	/* Reports 200 ms apart for 1.6 s, pending timeout 400 ms: never a 400 ms gap. */
	CHECK(rmc_send(c, "{\"op\":\"open\",\"id\":1,\"name\":\"slow\",\"type\":\"dummy\",\"pending_timeout_ms\":400,"
			  "\"params\":{\"OnlineMode\":\"pending\",\"PendingCheckpoints\":\"8\",\"PendingIntervalMs\":\"200\"}}") == 0);
	CHECK(rmc_wait(c, &at, 5000, "open", 1, NULL, NULL));
	CHECK(rmc_send(c, "{\"op\":\"online\",\"id\":1}") == 0);
	CHECK(rmc_wait(c, &at, 5000, "state", 1, "state_name", "OnlinePending"));
	CHECK(rmc_wait(c, &at, 5000, "state", 1, "state_name", "Online"));
	CHECK(rmc_count(c, "status", 1, NULL, NULL) >= 8);
	CHECK(rmc_count(c, "failure", 1, NULL, NULL) == 0);

	/* A plugin that stops reporting: failed one pending timeout after its last report. */
	at = c->n_events;
	CHECK(rmc_send(c, "{\"op\":\"open\",\"id\":2,\"name\":\"stuck\",\"type\":\"dummy\",\"pending_timeout_ms\":300,"
			  "\"params\":{\"OnlineMode\":\"pending\",\"PendingCheckpoints\":\"3\",\"PendingIntervalMs\":\"20\",\"PendingFinal\":\"none\"}}") == 0);
	CHECK(rmc_wait(c, &at, 5000, "open", 2, NULL, NULL));
	CHECK(rmc_send(c, "{\"op\":\"online\",\"id\":2}") == 0);
	CHECK(rmc_wait(c, &at, 5000, "state", 2, "state_name", "Failed"));
	f = rmc_find(c, 0, "failure", 2, "source", "pending_timeout");
	CHECK(f >= 0);
	last = -1;
	for (ssize_t i = -1; (i = rmc_find(c, (size_t) (i + 1), "status", 2, NULL, NULL)) >= 0 && i < f;)
		last = i;
	CHECK(last >= 0);
	int64_t gap = ev_int(c->events[f], "t_us") - ev_int(c->events[last], "t_us");
	CHECK(gap >= 290000 && gap < 1500000); /* the 300 ms timeout, not the 3 min default */
	CHECK(rmc_find(c, (size_t) f, "terminate", 2, "reason", "pending_timeout") > f);

	/* The effective limit is min(PendingTimeout, DeadlockTimeout). */
	at = c->n_events;
	CHECK(rmc_send(c, "{\"op\":\"open\",\"id\":3,\"name\":\"stuck2\",\"type\":\"dummy\",\"pending_timeout_ms\":60000,"
			  "\"deadlock_timeout_ms\":250,\"params\":{\"OnlineMode\":\"pending\",\"PendingCheckpoints\":\"1\",\"PendingFinal\":\"none\"}}") == 0);
	CHECK(rmc_wait(c, &at, 5000, "open", 3, NULL, NULL));
	CHECK(rmc_send(c, "{\"op\":\"online\",\"id\":3}") == 0);
	CHECK(rmc_wait(c, &at, 3000, "failure", 3, "source", "pending_timeout"));
}

static void test_deadlock_exits_the_monitor(void **state)
{
	rmc *c = *state;
	struct json_object *d;
	size_t at;

	at = online(c, 1, "\"looks_alive_ms\":50,\"deadlock_timeout_ms\":300,"
			  "\"params\":{\"HangIn\":\"looks_alive\",\"HangMs\":\"20000\"}");
	d = rmc_wait(c, &at, 5000, "deadlock", 1, NULL, NULL);
	CHECK(d);
	CHECK(strcmp(ev_str(d, "call"), "looks_alive") == 0);
	CHECK(ev_int(d, "elapsed_ms") >= 300 && ev_int(d, "elapsed_ms") < 5000);
	CHECK(ev_int(d, "timeout_ms") == 300);
	CHECK(rmc_wait_exit(c, 5000) == 0);
	CHECK(WIFEXITED(c->exit_status) && WEXITSTATUS(c->exit_status) == 3);
}

static void test_calls_never_overlap_except_terminate(void **state)
{
	rmc *c = *state;
	uint64_t t[32];
	size_t n, at;
	ssize_t f, term, done;

	/* is_alive hangs 300 ms, polled every 50 ms: the next call waits for the last. */
	at = online(c, 1, "\"looks_alive_ms\":4294967295,\"is_alive_ms\":50,"
			  "\"params\":{\"HangIn\":\"is_alive\",\"HangMs\":\"300\"}");
	rmc_drain(c, 1400);
	n = times_of(c, at, "is_alive", 1, t, 32);
	CHECK(n >= 2 && n <= 5);
	for (size_t i = 1; i < n; i++)
		CHECK(t[i] - t[i - 1] >= 290000);

	/* online hangs 1.5 s; a failure meanwhile terminates at once, overlapping online. */
	at = c->n_events;
	CHECK(rmc_send(c, "{\"op\":\"open\",\"id\":2,\"name\":\"hang\",\"type\":\"dummy\","
			  "\"params\":{\"HangIn\":\"online\",\"HangMs\":\"1500\"}}") == 0);
	CHECK(rmc_wait(c, &at, 5000, "open", 2, NULL, NULL));
	uint64_t t0 = rmc_now_us();
	CHECK(rmc_send(c, "{\"op\":\"online\",\"id\":2}") == 0);
	rmc_drain(c, 100);
	CHECK(rmc_send(c, "{\"op\":\"fail\",\"id\":2}") == 0);
	CHECK(rmc_wait(c, &at, 5000, "state", 2, "state_name", "Failed"));
	f = rmc_find(c, 0, "failure", 2, "source", "fail");
	term = rmc_find(c, 0, "terminate", 2, NULL, NULL);
	done = rmc_find(c, 0, "state", 2, "state_name", "Failed");
	CHECK(f >= 0 && term > f && done > term);
	/* Terminate began while online was still inside the plugin. */
	CHECK((uint64_t) ev_int(c->events[term], "t_us") < t0 + 1000000);
	/* Whatever online returns later is stale: the instance stays Failed. */
	rmc_drain(c, 1700);
	CHECK(rmc_find(c, (size_t) done, "state", 2, "state_name", "Online") == -1);
}

static void test_shared_event_fd_fails_only_the_marked(void **state)
{
	rmc *c = *state;
	size_t at;

	online(c, 1, "\"params\":{\"SharedFd\":\"1\"}");
	online(c, 2, "\"params\":{\"SharedFd\":\"1\",\"FailAfterMs\":\"150\",\"FailVia\":\"fd\",\"AppError\":\"77\"}");
	online(c, 3, "\"params\":{\"SharedFd\":\"1\"}");
	at = c->n_events;
	struct json_object *f = rmc_wait(c, &at, 3000, "failure", 2, NULL, NULL);
	CHECK(f);
	CHECK(strcmp(ev_str(f, "source"), "event_fd") == 0);
	CHECK(ev_int(f, "app_error") == 77);
	CHECK(rmc_wait(c, &at, 3000, "state", 2, "state_name", "Failed"));
	rmc_drain(c, 300);
	CHECK(rmc_count(c, "failure", 1, NULL, NULL) == 0);
	CHECK(rmc_count(c, "failure", 3, NULL, NULL) == 0);
	CHECK(rmc_count(c, "terminate", 1, NULL, NULL) == 0);
	CHECK(rmc_count(c, "terminate", 3, NULL, NULL) == 0);
}

static void test_embedded_failure_action(void **state)
{
	rmc *c = *state;
	struct json_object *f;
	size_t at;

	/* LogOnly (1): reported and logged, StatusInformation EMBEDDED_FAILURE, still Online. */
	at = online(c, 1, "\"embedded_failure_action\":1,"
			  "\"params\":{\"FailAfterMs\":\"50\",\"FailureType\":\"1\",\"AppError\":\"9\"}");
	f = rmc_wait(c, &at, 3000, "failure", 1, NULL, NULL);
	CHECK(f && strcmp(ev_str(f, "action"), "log") == 0 && ev_int(f, "failure_type") == 1);
	CHECK(rmc_wait(c, &at, 3000, "status_information", 1, "status_information", "2"));
	CHECK(rmc_wait(c, &at, 3000, "log", 1, "level_name", "warning"));
	/* None (0): reported, nothing else. */
	at = online(c, 2, "\"embedded_failure_action\":0,"
			  "\"params\":{\"FailAfterMs\":\"50\",\"FailureType\":\"1\"}");
	f = rmc_wait(c, &at, 3000, "failure", 2, NULL, NULL);
	CHECK(f && strcmp(ev_str(f, "action"), "none") == 0);
	rmc_drain(c, 300);
	CHECK(rmc_count(c, "terminate", 1, NULL, NULL) == 0);
	CHECK(rmc_count(c, "terminate", 2, NULL, NULL) == 0);
	CHECK(rmc_count(c, "state", 1, "state_name", "Failed") == 0);
	CHECK(rmc_count(c, "state", 2, "state_name", "Failed") == 0);
}

static void test_crash_is_reported_with_the_call(void **state)
{
	rmc *c = *state;
	size_t at = online(c, 1, "\"looks_alive_ms\":50,\"params\":{\"CrashIn\":\"looks_alive\"}");
	struct json_object *e = rmc_wait(c, &at, 5000, "crash", 1, NULL, NULL);

	CHECK(e);
	CHECK(strcmp(ev_str(e, "call"), "looks_alive") == 0);
	CHECK(ev_int(e, "signal") == SIGSEGV);
	CHECK(rmc_wait_exit(c, 5000) == 0);
	CHECK(WIFSIGNALED(c->exit_status) && WTERMSIG(c->exit_status) == SIGSEGV);
}

static void test_callbacks_after_close_are_rejected(void **state)
{
	rmc *c = *state;
	size_t at = online(c, 1, "\"params\":{\"CallbackAfterClose\":\"1\"}");

	CHECK(rmc_send(c, "{\"op\":\"close\",\"id\":1}") == 0);
	CHECK(rmc_wait(c, &at, 5000, "close", 1, NULL, NULL));
	CHECK(rmc_wait(c, &at, 5000, "error", 0, "op", "callback"));
	/* Still serving. */
	online(c, 2, "");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_poll_intervals),
		T(test_looks_alive_false_calls_is_alive_at_once),
		T(test_is_alive_false_fails_and_terminates),
		T(test_event_fd_replaces_looks_alive),
		T(test_pending_timeout_is_the_gap_between_reports),
		T(test_deadlock_exits_the_monitor),
		T(test_calls_never_overlap_except_terminate),
		T(test_shared_event_fd_fails_only_the_marked),
		T(test_embedded_failure_action),
		T(test_crash_is_reported_with_the_call),
		T(test_callbacks_after_close_are_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
