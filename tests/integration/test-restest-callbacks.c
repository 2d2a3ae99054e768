/* SPDX-License-Identifier: MIT */
/*
 * Every callback of the plugin ABI does something observable, seen through wp-restest:
 * LogEvent (levels, the 500-character cut), SetInternalState, SetResourceLockedMode, in-memory
 * properties, processes for dumps, type notifications, ResourceCallback enumeration, worker
 * threads, control calls (sync, default handling, buffer too small, properties stored, async
 * with Extend/EndControlCall, and a timeout), type controls, and bad handles rejected.
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

static void test_log_event(void **state)
{
	rt_result r;
	static const char *const names[] = { "information", "warning", "error", "severe" };

	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "dummy", "--name", "chatty", "--param",
				"LogAtOnline=1", "--run-for", "50", NULL),
			 0);
	CHECK(r.exit_code == 0);
	for (int level = 0; level < 4; level++) {
		char msg[32];
		ssize_t i;

		snprintf(msg, sizeof(msg), "level %d message", level);
		i = rt_find(&r, 0, "log", "message", msg);
		CHECK(i >= 0);
		CHECK(ev_int(rt_event(&r, i), "level") == level);
		CHECK(strcmp(ev_str(rt_event(&r, i), "level_name"), names[level]) == 0);
	}
	/* The long line was cut to WSFC's 500 characters. */
	size_t longest = 0;
	for (ssize_t i = -1; (i = rt_find(&r, (size_t) (i + 1), "log", NULL, NULL)) >= 0;) {
		size_t n = strlen(ev_str(rt_event(&r, i), "message"));
		longest = n > longest ? n : longest;
	}
	CHECK(longest == 500);
	rt_free(&r);
}

static void test_exercise_callbacks(void **state)
{
	rt_result r;
	ssize_t i;

	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "dummy", "--name", "busy", "--param",
				"ExerciseCallbacks=1", "--run-for", "100", NULL),
			 0);
	CHECK(r.exit_code == 0);
	/* SetInternalState READY (0x100), then OS_HEARTBEAT (0x80), then locked mode (0x1). */
	CHECK(rt_find(&r, 0, "status_information", "status_information", "256") >= 0);
	CHECK(rt_find(&r, 0, "status_information", "status_information", "384") >= 0);
	CHECK(rt_find(&r, 0, "status_information", "status_information", "385") >= 0);
	CHECK(rt_find(&r, 0, "status_information", "reason", "locked_mode") >= 0);
	/* In-memory properties. */
	i = rt_find(&r, 0, "properties", NULL, NULL);
	CHECK(i >= 0);
	struct json_object *props, *v;
	CHECK(json_object_object_get_ex(rt_event(&r, i), "properties", &props));
	CHECK(json_object_object_get_ex(props, "Color", &v) &&
	      strcmp(json_object_get_string(v), "blue") == 0);
	/* Processes for dumps, per resource and per type. */
	CHECK(rt_find(&r, 0, "dump_process", "process", "dummy-helper") >= 0);
	i = rt_find(&r, 0, "dump_process", "process", "dummy-type-helper");
	CHECK(i >= 0 && strcmp(ev_str(rt_event(&r, i), "type"), "dummy") == 0);
	/* Type notification payload. */
	CHECK(rt_find(&r, 0, "type_notification", "payload", "0102ff") >= 0);
	/* ResourceCallback enumeration saw this one instance. */
	CHECK(rt_find(&r, 0, "log", "message", "enumerate=1 count=1") >= 0);
	/* Worker threads: created, asked to terminate, exited with the routine's status. */
	CHECK(rt_find(&r, 0, "worker", "action", "create") >= 0);
	i = rt_find(&r, 0, "worker", "status", "42");
	CHECK(i >= 0 && strcmp(ev_str(rt_event(&r, i), "action"), "exit") == 0);
	CHECK(rt_find(&r, 0, "log", "message", "worker=ok") >= 0);
	/* Every callback returned success. */
	for (i = -1; (i = rt_find(&r, (size_t) (i + 1), "log", NULL, NULL)) >= 0;) {
		const char *m = ev_str(rt_event(&r, i), "message");
		const char *eq = strchr(m, '=');
		if (eq && strncmp(m, "enumerate", 9) != 0 && strncmp(m, "worker", 6) != 0)
			CHECK(eq[1] != '-');
	}
	rt_free(&r);
}

static void test_bad_callbacks_are_rejected(void **state)
{
	rt_result r;
	ssize_t i;

	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "dummy", "--name", "rude", "--param",
				"BadCallbacks=1", "--run-for", "50", NULL),
			 0);
	/* The monitor reported the misbehaviour, did not crash, and the instance came online. */
	CHECK(rt_count(&r, "error", "op", "callback") >= 5);
	CHECK(rt_find(&r, 0, "online", NULL, NULL) >= 0);
	CHECK(rt_find(&r, 0, "crash", NULL, NULL) == -1);
	i = -1;
	for (ssize_t j = -1; (j = rt_find(&r, (size_t) (j + 1), "log", NULL, NULL)) >= 0;)
		if (strncmp(ev_str(rt_event(&r, j), "message"), "badcallbacks=", 13) == 0)
			i = j;
	CHECK(i >= 0);
	/* All return values negative. */
	const char *list = ev_str(rt_event(&r, i), "message") + 13;
	for (const char *p = list; *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : p + strlen(p))
		CHECK(*p == '-');
	rt_free(&r);
}

static struct json_object *control(rt_result *res, const char *req_field, const char *value)
{
	return rt_event(res, rt_find(res, 0, "control_result", req_field, value));
}

static void test_controls(void **state)
{
	rt_result r;
	struct json_object *e;

	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "dummy", "--name", "ctl",
				"--pending-timeout", "400",
				"--control", "1:616263:8",        /* echo */
				"--control", "1:61626364:2",      /* buffer too small */
				"--control", "2",                 /* default handling */
				"--control", "3",                 /* properties stored */
				"--control", "10:6869:8:async",   /* async echo */
				"--control", "11:6a6b:8:async",   /* async, extended */
				"--control", "12::0:async",       /* async, never ended */
				"--type-control", "1:ab:4",
				"--type-control", "10:cd:4:async",
				"--run-for", "50", NULL),
			 0);
	CHECK(r.exit_code == 0);
	e = control(&r, "out", "616263");
	CHECK(e && ev_int(e, "status") == 0 && ev_int(e, "bytes") == 3);
	e = control(&r, "status", "-105");
	CHECK(e && ev_int(e, "bytes") == 4); /* the size needed */
	CHECK(control(&r, "status", "-95"));
	CHECK(control(&r, "status", "1"));
	e = control(&r, "out", "6869");
	CHECK(e && strcmp(ev_str(e, "async"), "true") == 0);
	CHECK(rt_find(&r, 0, "control_extended", "timeout_ms", "5000") >= 0);
	e = control(&r, "out", "6a6b");
	CHECK(e && strcmp(ev_str(e, "async"), "true") == 0);
	CHECK(control(&r, "status", "-110")); /* code 12 timed out after the pending timeout */
	e = control(&r, "out", "ab");
	CHECK(e && strcmp(ev_str(e, "type"), "dummy") == 0);
	e = control(&r, "out", "cd");
	CHECK(e && strcmp(ev_str(e, "async"), "true") == 0);
	rt_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_event),
		cmocka_unit_test(test_exercise_callbacks),
		cmocka_unit_test(test_bad_callbacks_are_rejected),
		cmocka_unit_test(test_controls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
