/* SPDX-License-Identifier: MIT */
/*
 * WSFC's restart policy through a real wolfpackd with dummy resources: RestartThreshold in a
 * sliding RestartPeriod (and its edge), RestartDelay, RetryPeriodOnFailure, RestartAction
 * 0/1/2 (2 on one node: the group goes Failed, then comes back), EmbeddedFailureAction,
 * network loss and LastOperationStatusCode, and every failure source driving the same policy.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "resmon-client.h"
#include "wpd.h"

#define CHECK(x) WPD_CHECK(d, x)

static int setup(void **state)
{
	wpd *d = calloc(1, sizeof(*d));

	if (wpd_start(d, NULL) < 0)
		return -1;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	wpd_cleanup(*state);
	free(*state);
	return 0;
}

/* Creates group g (once) and dummy resource name with properties (JSON object text) and
 * params (JSON object text), then brings it online and waits for Online. */
static void make(wpd *d, const char *name, const char *props, const char *params, bool online)
{
	if (wpd_find(d, 0, "group_added", "g", NULL, NULL) < 0)
		CHECK(wpd_ok(d, "{\"op\":\"group.create\",\"name\":\"g\"}") == 0);
	wpd_wait(d, NULL, 2000, "group_added", "g", NULL, NULL);
	CHECK(wpd_ok(d, "{\"op\":\"resource.create\",\"name\":\"%s\",\"type\":\"dummy\",\"group\":\"g\","
			"\"params\":%s}", name, params ? params : "{}") == 0);
	if (props)
		CHECK(wpd_ok(d, "{\"op\":\"resource.set\",\"name\":\"%s\",\"properties\":%s}", name,
			     props) == 0);
	if (online) {
		CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"%s\"}", name) == 0);
		CHECK(wpd_wait_state(d, name, "Online", 5000));
	}
}

static int64_t show_int(wpd *d, const char *name, const char *key)
{
	struct json_object *o = wpd_show(d, name);
	int64_t v = ev_int(o, key);

	json_object_put(o);
	return v;
}

/* Fails name with FailClusterResource and returns the index just past its Failed event. */
static size_t fail_now(wpd *d, const char *name)
{
	size_t at = d->n_events;

	CHECK(wpd_ok(d, "{\"op\":\"resource.fail\",\"name\":\"%s\"}", name) == 0);
	CHECK(wpd_wait(d, &at, 5000, "resource_state", name, "state", "Failed"));
	return at;
}

static void test_threshold_in_window(void **state)
{
	wpd *d = *state;
	size_t at;

	make(d, "r", "{\"RestartAction\":1,\"RestartThreshold\":2,\"RestartPeriod\":60000,"
		     "\"RestartDelay\":0,\"RetryPeriodOnFailure\":4294967295}", NULL, true);
	for (int i = 1; i <= 2; i++) {
		at = fail_now(d, "r");
		CHECK(wpd_wait(d, &at, 5000, "resource_state", "r", "state", "Online"));
		CHECK(show_int(d, "r", "restart_count") == i);
	}
	CHECK(wpd_log_has(d, "r", "restart 1 of 2"));
	CHECK(wpd_log_has(d, "r", "restart 2 of 2"));
	/* The third failure inside the window is one too many: it stays Failed. */
	at = fail_now(d, "r");
	wpd_drain(d, 600);
	CHECK(wpd_find(d, at, "resource_state", "r", "state", "Online") == -1);
	CHECK(wpd_wait_state(d, "r", "Failed", 100));
	CHECK(wpd_log_has(d, "r", "RestartThreshold"));
	CHECK(wpd_log_has(d, "r", "source: fail") || wpd_log_has(d, "r", "failed (fail)"));
}

static void test_window_edge(void **state)
{
	wpd *d = *state;
	size_t at;

	/* One restart per 400 ms window. */
	make(d, "r", "{\"RestartAction\":1,\"RestartThreshold\":1,\"RestartPeriod\":400,"
		     "\"RestartDelay\":0,\"RetryPeriodOnFailure\":4294967295}", NULL, true);
	at = fail_now(d, "r");
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "r", "state", "Online"));
	/* Once the window has passed, the next failure is restarted again … */
	wpd_drain(d, 500);
	CHECK(show_int(d, "r", "restart_count") == 0);
	at = fail_now(d, "r");
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "r", "state", "Online"));
	/* … but a second one inside it is not. */
	at = fail_now(d, "r");
	wpd_drain(d, 300);
	CHECK(wpd_find(d, at, "resource_state", "r", "state", "Online") == -1);
}

static void test_restart_delay(void **state)
{
	wpd *d = *state;
	size_t at;
	uint64_t t0, t1;

	make(d, "r", "{\"RestartDelay\":400}", NULL, true);
	at = fail_now(d, "r");
	t0 = rmc_now_us();
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "r", "state", "Online"));
	t1 = rmc_now_us();
	CHECK(t1 - t0 >= 380000);
	CHECK(t1 - t0 < 3000000);
}

static void test_retry_period_on_failure(void **state)
{
	wpd *d = *state;
	size_t at;
	uint64_t t0;

	/* Never restarted (threshold 0), but retried after RetryPeriodOnFailure. */
	make(d, "r", "{\"RestartAction\":1,\"RestartThreshold\":0,\"RetryPeriodOnFailure\":500}", NULL,
	     true);
	at = fail_now(d, "r");
	t0 = rmc_now_us();
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "r", "state", "Online"));
	CHECK(rmc_now_us() - t0 >= 450000);
	CHECK(wpd_log_has(d, "r", "RetryPeriodOnFailure"));

	/* 0xFFFFFFFF: never. */
	make(d, "r2", "{\"RestartAction\":1,\"RestartThreshold\":0,\"RetryPeriodOnFailure\":4294967295}",
	     NULL, true);
	at = fail_now(d, "r2");
	wpd_drain(d, 800);
	CHECK(wpd_find(d, at, "resource_state", "r2", "state", "Online") == -1);
}

static void test_restart_action_0(void **state)
{
	wpd *d = *state;
	size_t at;

	make(d, "r", "{\"RestartAction\":0,\"RetryPeriodOnFailure\":300}", NULL, true);
	at = fail_now(d, "r");
	wpd_drain(d, 800); /* not restarted, and not retried either */
	CHECK(wpd_find(d, at, "resource_state", "r", "state", "Online") == -1);
	CHECK(wpd_find(d, at, "resource_state", "r", "state", "OnlinePending") == -1);
}

static void test_restart_action_2_fails_the_group(void **state)
{
	wpd *d = *state;
	size_t at;

	make(d, "a", "{\"RestartAction\":2,\"RestartThreshold\":0,\"RetryPeriodOnFailure\":700}", NULL,
	     true);
	make(d, "b", NULL, NULL, true);
	CHECK(wpd_wait(d, NULL, 2000, "group_state", "g", "state", "Online"));
	at = fail_now(d, "a");
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "b", "state", "Offline"));
	CHECK(wpd_wait(d, NULL, 2000, "group_state", "g", "state", "Failed"));
	CHECK(wpd_log_has(d, "g", "no other node"));
	/* RetryPeriodOnFailure brings the whole group back. */
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "a", "state", "Online"));
	CHECK(wpd_wait_state(d, "b", "Online", 5000));
	size_t g = 0;
	while (wpd_wait(d, &g, 10, "group_state", "g", NULL, NULL))
		;
	CHECK(wpd_wait_state(d, "a", "Online", 100));
}

static void test_embedded_failure_action(void **state)
{
	wpd *d = *state;
	size_t at = d->n_events;

	/* LogOnly: stays Online. */
	make(d, "e1", "{\"EmbeddedFailureAction\":1}",
	     "{\"FailAfterMs\":\"100\",\"FailureType\":\"1\",\"AppError\":\"9\"}", true);
	wpd_drain(d, 600);
	CHECK(wpd_find(d, at, "resource_state", "e1", "state", "Failed") == -1);
	CHECK(wpd_log_has(d, "e1", "embedded failure"));
	CHECK(show_int(d, "e1", "last_operation_status_code") == 9);
	/* Recover: failed and restarted. */
	at = d->n_events;
	make(d, "e2", "{\"EmbeddedFailureAction\":2,\"RestartDelay\":0}",
	     "{\"FailAfterMs\":\"100\",\"FailureType\":\"1\"}", true);
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "e2", "state", "Failed"));
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "e2", "state", "Online"));
}

static void test_network_loss_and_status_code(void **state)
{
	wpd *d = *state;
	struct json_object *o, *lf;

	make(d, "n", "{\"RestartAction\":0}",
	     "{\"FailAfterMs\":\"50\",\"FailureType\":\"2\",\"AppError\":\"77\"}", true);
	CHECK(wpd_wait_state(d, "n", "Failed", 5000));
	o = wpd_show(d, "n");
	CHECK(o);
	CHECK((ev_int(o, "status_information") & 0x20) != 0); /* NETWORK_FAILURE */
	CHECK(ev_int(o, "last_operation_status_code") == 77);
	CHECK(json_object_object_get_ex(o, "last_failure", &lf) && lf);
	CHECK(strcmp(ev_str(lf, "source"), "signal") == 0);
	CHECK(ev_int(lf, "failure_type") == 2 && ev_int(lf, "app_error") == 77);
	CHECK(ev_str(lf, "time") && strlen(ev_str(lf, "time")) >= 20);
	json_object_put(o);
}

static void test_every_source_drives_the_policy(void **state)
{
	wpd *d = *state;
	static const struct {
		const char *name, *params, *extra, *source;
	} cases[] = {
		{ "sig", "{\"FailAfterMs\":\"100\"}", "", "signal" },
		{ "fd", "{\"FailAfterMs\":\"100\",\"FailVia\":\"fd\"}", "", "event_fd" },
		{ "poll", "{\"FailAfterMs\":\"100\",\"FailVia\":\"is_alive\"}",
		  ",\"LooksAlivePollInterval\":50", "is_alive" },
		{ "err", "{\"OnlineMode\":\"error\"}", "", "online" },
		{ "pend", "{\"OnlineMode\":\"pending\",\"PendingFinal\":\"none\"}",
		  ",\"PendingTimeout\":200", "pending_timeout" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char props[256];
		size_t at = d->n_events;
		struct json_object *o, *lf;

		snprintf(props, sizeof(props),
			 "{\"RestartAction\":1,\"RestartThreshold\":1,\"RestartDelay\":0,"
			 "\"RetryPeriodOnFailure\":4294967295%s}",
			 cases[i].extra);
		make(d, cases[i].name, props, cases[i].params, false);
		CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"%s\"}", cases[i].name) == 0);
		/* Failed, restarted once, failed again, and left Failed. */
		CHECK(wpd_wait(d, &at, 5000, "resource_state", cases[i].name, "state", "Failed"));
		CHECK(wpd_wait(d, &at, 5000, "resource_state", cases[i].name, "state", "Failed"));
		CHECK(wpd_log_has(d, cases[i].name, "restart 1 of 1"));
		o = wpd_show(d, cases[i].name);
		CHECK(json_object_object_get_ex(o, "last_failure", &lf) && lf);
		if (strcmp(ev_str(lf, "source"), cases[i].source) != 0)
			fail_msg("%s: source %s, expected %s", cases[i].name, ev_str(lf, "source"),
				 cases[i].source);
		json_object_put(o);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_threshold_in_window),
		T(test_window_edge),
		T(test_restart_delay),
		T(test_retry_period_on_failure),
		T(test_restart_action_0),
		T(test_restart_action_2_fails_the_group),
		T(test_embedded_failure_action),
		T(test_network_loss_and_status_code),
		T(test_every_source_drives_the_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
