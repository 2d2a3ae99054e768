/* SPDX-License-Identifier: MIT */
/*
 * Dependencies through a real wolfpackd: AND-of-OR expressions, online dependencies first,
 * offline dependents first, an OR clause that keeps a dependent up, a failed dependency that
 * takes its dependents offline and brings them back, and the expressions the daemon refuses.
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
	CHECK(wpd_ok(d, "{\"op\":\"group.create\",\"name\":\"g\"}") == 0);
	/* c needs a or b; top needs c. Restarts are immediate. */
	static const char *const names[] = { "a", "b", "c", "top" };
	for (size_t i = 0; i < 4; i++) {
		CHECK(wpd_ok(d, "{\"op\":\"resource.create\",\"name\":\"%s\",\"type\":\"dummy\","
				"\"group\":\"g\"}", names[i]) == 0);
		CHECK(wpd_ok(d, "{\"op\":\"resource.set\",\"name\":\"%s\",\"properties\":"
				"{\"RestartDelay\":300}}", names[i]) == 0);
	}
	CHECK(wpd_ok(d, "{\"op\":\"resource.depend\",\"name\":\"c\",\"expression\":\"([a] OR [b])\"}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.depend\",\"name\":\"top\",\"expression\":\"[c]\"}") == 0);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	wpd_cleanup(*state);
	free(*state);
	return 0;
}

static ssize_t online_at(wpd *d, size_t from, const char *name)
{
	return wpd_find(d, from, "resource_state", name, "state", "Online");
}

static ssize_t offline_at(wpd *d, size_t from, const char *name)
{
	return wpd_find(d, from, "resource_state", name, "state", "Offline");
}

static void test_online_dependencies_first(void **state)
{
	wpd *d = *state;
	size_t from = d->n_events, at = from;

	CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"top\"}") == 0);
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "top", "state", "Online"));
	CHECK(online_at(d, from, "a") >= 0 && online_at(d, from, "b") >= 0);
	CHECK(online_at(d, from, "c") > online_at(d, from, "a"));
	CHECK(online_at(d, from, "c") > online_at(d, from, "b"));
	CHECK(online_at(d, from, "top") > online_at(d, from, "c"));
	/* The expression is kept in canonical form. */
	struct json_object *o = wpd_show(d, "c");
	CHECK(strcmp(ev_str(o, "dependency_expression"), "[a] or [b]") == 0 ||
	      strcmp(ev_str(o, "dependency_expression"), "([a] or [b])") == 0);
	json_object_put(o);
}

static void test_offline_dependents_first_and_or_clause(void **state)
{
	wpd *d = *state;
	size_t from, at;

	test_online_dependencies_first(state);
	/* a goes: b still serves c's OR clause, so c and top stay up. */
	from = at = d->n_events;
	CHECK(wpd_ok(d, "{\"op\":\"resource.offline\",\"name\":\"a\"}") == 0);
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "a", "state", "Offline"));
	wpd_drain(d, 300);
	CHECK(offline_at(d, from, "c") == -1 && offline_at(d, from, "top") == -1);
	/* b goes too: top, then c, then b. */
	from = at = d->n_events;
	CHECK(wpd_ok(d, "{\"op\":\"resource.offline\",\"name\":\"b\"}") == 0);
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "b", "state", "Offline"));
	CHECK(offline_at(d, from, "top") >= 0);
	CHECK(offline_at(d, from, "c") > offline_at(d, from, "top"));
	CHECK(offline_at(d, from, "b") > offline_at(d, from, "c"));
}

static void test_failed_dependency_takes_dependents_and_brings_them_back(void **state)
{
	wpd *d = *state;
	size_t from, at;

	test_online_dependencies_first(state);
	from = at = d->n_events;
	CHECK(wpd_ok(d, "{\"op\":\"resource.fail\",\"name\":\"c\"}") == 0);
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "c", "state", "Failed"));
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "top", "state", "Offline"));
	/* c restarts after its RestartDelay, then top follows. */
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "c", "state", "Online"));
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "top", "state", "Online"));
	CHECK(wpd_log_has(d, "top", "dependency 'c' failed"));
	(void) from;
}

static void test_rejected_expressions(void **state)
{
	wpd *d = *state;

	CHECK(wpd_ok(d, "{\"op\":\"resource.depend\",\"name\":\"a\",\"expression\":\"[top]\"}") ==
	      -ELOOP);
	CHECK(wpd_ok(d, "{\"op\":\"resource.depend\",\"name\":\"a\",\"expression\":\"[a]\"}") == -ELOOP);
	CHECK(wpd_ok(d, "{\"op\":\"resource.add_dependency\",\"name\":\"a\",\"depends_on\":\"a\"}") == -ELOOP);
	CHECK(wpd_ok(d, "{\"op\":\"resource.depend\",\"name\":\"a\",\"expression\":\"[nope]\"}") ==
	      -ENOENT);
	CHECK(wpd_ok(d, "{\"op\":\"resource.depend\",\"name\":\"a\",\"expression\":\"[b\"}") == -EINVAL);
	CHECK(wpd_ok(d, "{\"op\":\"group.create\",\"name\":\"other\"}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.create\",\"name\":\"x\",\"type\":\"dummy\",\"group\":\"other\"}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.depend\",\"name\":\"a\",\"expression\":\"[x]\"}") == -EINVAL);
	/* add_dependency ANDs a clause; deleting a resource removes it from expressions. */
	CHECK(wpd_ok(d, "{\"op\":\"resource.create\",\"name\":\"y\",\"type\":\"dummy\",\"group\":\"g\"}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.add_dependency\",\"name\":\"top\",\"depends_on\":\"y\"}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.add_dependency\",\"name\":\"top\",\"depends_on\":\"y\"}") == -EEXIST);
	struct json_object *o = wpd_show(d, "top");
	CHECK(strstr(ev_str(o, "dependency_expression"), "[y]"));
	json_object_put(o);
	CHECK(wpd_ok(d, "{\"op\":\"resource.delete\",\"name\":\"y\"}") == 0);
	o = wpd_show(d, "top");
	CHECK(!strstr(ev_str(o, "dependency_expression"), "[y]"));
	json_object_put(o);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_online_dependencies_first),
		T(test_offline_dependents_first_and_or_clause),
		T(test_failed_dependency_takes_dependents_and_brings_them_back),
		T(test_rejected_expressions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
