/* SPDX-License-Identifier: MIT */
/* Bad plugins through wp-restest: a clear error event, a failed run, no crash. */
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

static void check_refused(const char *so, const char *needle)
{
	char path[512];
	rt_result r;
	ssize_t e;

	snprintf(path, sizeof(path), "%s/%s", WP_TEST_EXTRA_PLUGIN_DIR, so);
	assert_int_equal(rt_run(&r, path, "--type", "broken", "--name", "b", NULL), 0);
	e = rt_find(&r, 0, "error", NULL, NULL);
	if (r.exit_code != 1 || e < 0 || !strstr(ev_str(rt_event(&r, e), "message"), needle) ||
	    rt_find(&r, 0, "online", NULL, NULL) >= 0 || rt_find(&r, 0, "crash", NULL, NULL) >= 0) {
		rt_dump(&r);
		fail_msg("%s: expected a refusal mentioning '%s'", so, needle);
	}
	rt_free(&r);
}

static void test_bad_plugins_refused(void **state)
{
	check_refused("bad-no-symbol.so", "does not export");
	check_refused("bad-version.so", "outside the supported");
	check_refused("bad-null-entry.so", "'online' is NULL");
	check_refused("bad-startup-fails.so", "startup for type 'broken' failed");
	check_refused("bad-small-table.so", "function table of 8 bytes");
	check_refused("bad-garbage.so", "invalid value 42");
}

static void test_wrong_type_name_refused(void **state)
{
	rt_result r;

	/* The dummy serves only "dummy": startup says -ENOENT for anything else. */
	assert_int_equal(rt_run(&r, DUMMY_SO, "--type", "nosuchtype", "--name", "x", NULL), 0);
	if (r.exit_code != 1 || rt_find(&r, 0, "error", NULL, NULL) < 0) {
		rt_dump(&r);
		fail();
	}
	rt_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_plugins_refused),
		cmocka_unit_test(test_wrong_type_name_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
