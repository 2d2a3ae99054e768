/* SPDX-License-Identifier: MIT */
/* Unit tests of the common property tables and their validation (src/clusterd/props.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "props.h"

#define INF 0xFFFFFFFFu

typedef struct expect {
	const char *name;
	prop_format format;
	uint32_t def;
	bool read_only;
} expect;

static const expect resource_expect[] = {
	{ "RestartAction", PROP_DWORD, 2, false },
	{ "RestartThreshold", PROP_DWORD, 3, false },
	{ "RestartPeriod", PROP_DWORD, 900000, false },
	{ "RestartDelay", PROP_DWORD, 500, false },
	{ "RetryPeriodOnFailure", PROP_DWORD, 3600000, false },
	{ "PendingTimeout", PROP_DWORD, 180000, false },
	{ "LooksAlivePollInterval", PROP_DWORD, INF, false },
	{ "IsAlivePollInterval", PROP_DWORD, INF, false },
	{ "DeadlockTimeout", PROP_DWORD, 300000, false },
	{ "SeparateMonitor", PROP_DWORD, 0, false },
	{ "PersistentState", PROP_DWORD, 0, false },
	{ "EmbeddedFailureAction", PROP_DWORD, 2, false },
	{ "Description", PROP_STRING, 0, false },
	{ "MonitorProcessId", PROP_DWORD, 0, true },
	{ "StatusInformation", PROP_DWORD, 0, true },
	{ "LastOperationStatusCode", PROP_DWORD, 0, true },
	{ "ResourceSpecificStatus", PROP_STRING, 0, true },
};

static const expect group_expect[] = {
	{ "FailoverThreshold", PROP_DWORD, INF, false },
	{ "FailoverPeriod", PROP_DWORD, 6, false },
	{ "AutoFailbackType", PROP_DWORD, 0, false },
	{ "FailbackWindowStart", PROP_DWORD, INF, false },
	{ "FailbackWindowEnd", PROP_DWORD, INF, false },
	{ "PersistentState", PROP_DWORD, 0, false },
	{ "Priority", PROP_DWORD, 2000, false },
	{ "DefaultOwner", PROP_DWORD, INF, true },
	{ "Description", PROP_STRING, 0, false },
	{ "PreferredOwners", PROP_STRLIST, 0, false },
	{ "AntiAffinityClassNames", PROP_STRLIST, 0, false },
	{ "StatusInformation", PROP_DWORD, 0, true },
};

static const expect type_expect[] = {
	{ "LooksAlivePollInterval", PROP_DWORD, 5000, false },
	{ "IsAlivePollInterval", PROP_DWORD, 60000, false },
	{ "PendingTimeout", PROP_DWORD, 180000, false },
	{ "DeadlockTimeout", PROP_DWORD, 300000, false },
	{ "Description", PROP_STRING, 0, false },
	{ "DllName", PROP_STRING, 0, true },
};

static char err[256];
static uint32_t dw;

/* Validates a value given as JSON text ("null" passes a NULL object). */
static int validate(prop_kind kind, const char *name, const char *json)
{
	struct json_object *v = json_tokener_parse(json);
	int r;

	if (strcmp(json, "null") != 0)
		assert_non_null(v);
	err[0] = 0;
	dw = 0xDEADBEEF;
	r = props_validate(kind, name, v, &dw, err, sizeof(err));
	json_object_put(v);
	if (r < 0) {
		assert_int_equal(r, -EINVAL);
		assert_int_equal(dw, 0xDEADBEEF); /* set only on success */
		assert_true(err[0] != 0);
	}
	return r;
}

static uint32_t valid_dword(prop_kind kind, const char *name, const char *json)
{
	int r = validate(kind, name, json);

	if (r < 0)
		fail_msg("%s=%s rejected: %s", name, json, err);
	return dw;
}

static void invalid(prop_kind kind, const char *name, const char *json, const char *want_err)
{
	int r = validate(kind, name, json);

	if (r >= 0)
		fail_msg("%s=%s accepted", name, json);
	if (want_err)
		assert_string_equal(err, want_err);
}

static int check_object(prop_kind kind, const char *json)
{
	struct json_object *v = json_tokener_parse(json);
	int r;

	assert_non_null(v);
	err[0] = 0;
	r = props_check_object(kind, v, err, sizeof(err));
	json_object_put(v);
	if (r < 0) {
		assert_int_equal(r, -EINVAL);
		assert_true(err[0] != 0);
	}
	return r;
}

static void check_table(prop_kind kind, const expect *want, size_t n_want)
{
	size_t n = 0;
	const prop_def *t = props_table(kind, &n);

	assert_non_null(t);
	assert_int_equal(n, n_want);
	for (size_t i = 0; i < n; i++) {
		const prop_def *d = props_find(kind, want[i].name);

		/* Order matters: listings follow it. */
		assert_string_equal(t[i].name, want[i].name);
		assert_ptr_equal(d, &t[i]);
		assert_int_equal(d->format, want[i].format);
		assert_int_equal(d->read_only, want[i].read_only);
		assert_non_null(d->help);
		assert_true(d->help[0] != 0);
		if (d->format != PROP_DWORD)
			continue;
		if (d->def != want[i].def)
			fail_msg("%s: default %u, want %u", d->name, d->def, want[i].def);
		/* Every default is itself a valid value. */
		if (!d->read_only) {
			struct json_object *v = json_object_new_int64(d->def);

			if (props_validate(kind, d->name, v, &dw, err, sizeof(err)) < 0)
				fail_msg("%s: default rejected: %s", d->name, err);
			assert_int_equal(dw, d->def);
			json_object_put(v);
		}
	}
}

static void test_tables_and_defaults(void **state)
{
	check_table(PROP_RESOURCE, resource_expect, sizeof(resource_expect) / sizeof(expect));
	check_table(PROP_GROUP, group_expect, sizeof(group_expect) / sizeof(expect));
	check_table(PROP_TYPE, type_expect, sizeof(type_expect) / sizeof(expect));
}

static void test_find(void **state)
{
	size_t n = 99;

	assert_null(props_find(PROP_RESOURCE, "restartaction")); /* case-sensitive */
	assert_null(props_find(PROP_RESOURCE, "RestartAction "));
	assert_null(props_find(PROP_RESOURCE, "FailoverThreshold")); /* a group property */
	assert_null(props_find(PROP_GROUP, "RestartAction"));
	assert_null(props_find(PROP_TYPE, "RestartAction"));
	assert_null(props_find(PROP_RESOURCE, NULL));
	assert_null(props_find((prop_kind) 42, "RestartAction"));
	assert_null(props_table((prop_kind) 42, &n));
	assert_int_equal(n, 0);
	/* Same name, different object: different definitions. */
	assert_int_equal(props_find(PROP_RESOURCE, "LooksAlivePollInterval")->def, INF);
	assert_int_equal(props_find(PROP_TYPE, "LooksAlivePollInterval")->def, 5000);
}

static void test_ranges(void **state)
{
	invalid(PROP_RESOURCE, "RestartAction", "3", "RestartAction: 3 is out of range 0..2");
	assert_int_equal(valid_dword(PROP_RESOURCE, "RestartAction", "0"), 0);
	assert_int_equal(valid_dword(PROP_RESOURCE, "RestartAction", "2"), 2);
	assert_int_equal(valid_dword(PROP_RESOURCE, "RestartThreshold", "0"), 0);
	assert_int_equal(valid_dword(PROP_RESOURCE, "RestartThreshold", "4294967295"), INF);
	assert_int_equal(valid_dword(PROP_RESOURCE, "RestartPeriod", "0"), 0);
	assert_int_equal(valid_dword(PROP_RESOURCE, "RetryPeriodOnFailure", "4294967295"), INF);

	invalid(PROP_RESOURCE, "PendingTimeout", "9",
		"PendingTimeout: 9 is out of range 10..0xFFFFFFFF");
	assert_int_equal(valid_dword(PROP_RESOURCE, "PendingTimeout", "10"), 10);
	invalid(PROP_TYPE, "PendingTimeout", "0", NULL);
	invalid(PROP_RESOURCE, "DeadlockTimeout", "0", NULL);
	assert_int_equal(valid_dword(PROP_RESOURCE, "DeadlockTimeout", "1"), 1);
	invalid(PROP_TYPE, "DeadlockTimeout", "0", NULL);

	/* Poll intervals: 0 would disable the check; 0xFFFFFFFF on a resource = the type's. */
	invalid(PROP_RESOURCE, "IsAlivePollInterval", "0",
		"IsAlivePollInterval: 0 is out of range 1..0xFFFFFFFF");
	invalid(PROP_RESOURCE, "LooksAlivePollInterval", "0", NULL);
	invalid(PROP_TYPE, "IsAlivePollInterval", "0", NULL);
	invalid(PROP_TYPE, "LooksAlivePollInterval", "0", NULL);
	assert_int_equal(valid_dword(PROP_RESOURCE, "IsAlivePollInterval", "1"), 1);
	assert_int_equal(valid_dword(PROP_RESOURCE, "IsAlivePollInterval", "4294967295"), INF);

	invalid(PROP_RESOURCE, "SeparateMonitor", "2", "SeparateMonitor: 2 is out of range 0..1");
	invalid(PROP_RESOURCE, "PersistentState", "2", NULL);
	invalid(PROP_RESOURCE, "EmbeddedFailureAction", "3", NULL);
	assert_int_equal(valid_dword(PROP_RESOURCE, "EmbeddedFailureAction", "0"), 0);

	invalid(PROP_GROUP, "FailoverPeriod", "1194",
		"FailoverPeriod: 1194 is out of range 0..1193");
	assert_int_equal(valid_dword(PROP_GROUP, "FailoverPeriod", "1193"), 1193);
	assert_int_equal(valid_dword(PROP_GROUP, "FailoverPeriod", "0"), 0);
	invalid(PROP_GROUP, "AutoFailbackType", "2", NULL);
	invalid(PROP_GROUP, "PersistentState", "2", NULL);
	assert_int_equal(valid_dword(PROP_GROUP, "FailoverThreshold", "0"), 0);

	/* Not a DWORD at all. */
	invalid(PROP_RESOURCE, "RestartDelay", "-1",
		"RestartDelay: -1 is not a DWORD (0..0xFFFFFFFF)");
	invalid(PROP_RESOURCE, "RestartDelay", "4294967296", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "18446744073709551615", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "-9223372036854775808", NULL);
}

static void test_read_only(void **state)
{
	invalid(PROP_RESOURCE, "StatusInformation", "0", "StatusInformation is read-only");
	invalid(PROP_RESOURCE, "MonitorProcessId", "1", "MonitorProcessId is read-only");
	invalid(PROP_RESOURCE, "LastOperationStatusCode", "0", NULL);
	invalid(PROP_RESOURCE, "ResourceSpecificStatus", "\"ok\"",
		"ResourceSpecificStatus is read-only");
	invalid(PROP_GROUP, "DefaultOwner", "4294967295", "DefaultOwner is read-only");
	invalid(PROP_GROUP, "StatusInformation", "0", NULL);
	invalid(PROP_TYPE, "DllName", "\"x.so\"", "DllName is read-only");
}

static void test_unknown(void **state)
{
	invalid(PROP_RESOURCE, "Foo", "1", "unknown property 'Foo'");
	invalid(PROP_RESOURCE, "restartaction", "1", "unknown property 'restartaction'");
	invalid(PROP_RESOURCE, "Priority", "1000", "unknown property 'Priority'");
	invalid(PROP_TYPE, "RestartAction", "1", NULL);
	invalid(PROP_GROUP, "DllName", "\"x\"", NULL);
	assert_int_equal(props_validate(PROP_RESOURCE, NULL, NULL, NULL, NULL, 0), -EINVAL);
	assert_int_equal(props_validate((prop_kind) 7, "RestartAction", NULL, NULL, NULL, 0),
			 -EINVAL);
}

static void test_wrong_types(void **state)
{
	invalid(PROP_RESOURCE, "RestartDelay", "true",
		"RestartDelay: expected a number, got boolean");
	invalid(PROP_RESOURCE, "RestartDelay", "1.5",
		"RestartDelay: expected a number, got double");
	invalid(PROP_RESOURCE, "RestartDelay", "100.0", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "null", "RestartDelay: expected a number, got null");
	invalid(PROP_RESOURCE, "RestartDelay", "[1]", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "{\"a\":1}", NULL);
	invalid(PROP_RESOURCE, "SeparateMonitor", "false", NULL);

	invalid(PROP_RESOURCE, "Description", "1", "Description: expected a string, got int");
	invalid(PROP_RESOURCE, "Description", "null", NULL);
	invalid(PROP_RESOURCE, "Description", "[\"a\"]", NULL);
	invalid(PROP_RESOURCE, "Description", "\"a\\u0000b\"", NULL);
	assert_int_equal(validate(PROP_RESOURCE, "Description", "\"a web server\""), 0);
	assert_int_equal(validate(PROP_RESOURCE, "Description", "\"\""), 0);
	assert_int_equal(dw, 0xDEADBEEF); /* not a DWORD: untouched */
	assert_int_equal(validate(PROP_TYPE, "Description", "\"t\""), 0);
	assert_int_equal(validate(PROP_GROUP, "Description", "\"g\""), 0);
}

static void test_dword_strings(void **state)
{
	assert_int_equal(valid_dword(PROP_RESOURCE, "RestartPeriod", "\"900000\""), 900000);
	assert_int_equal(valid_dword(PROP_RESOURCE, "RestartDelay", "\"0x1F4\""), 500);
	assert_int_equal(valid_dword(PROP_RESOURCE, "RestartDelay", "\"0x1f4\""), 500);
	assert_int_equal(valid_dword(PROP_RESOURCE, "RestartDelay", "\"0X1F4\""), 500);
	assert_int_equal(valid_dword(PROP_RESOURCE, "RestartDelay", "\"010\""), 10); /* not octal */
	assert_int_equal(valid_dword(PROP_RESOURCE, "RestartDelay", "\"0\""), 0);
	assert_int_equal(valid_dword(PROP_RESOURCE, "RestartDelay", "\"4294967295\""), INF);
	assert_int_equal(valid_dword(PROP_RESOURCE, "IsAlivePollInterval", "\"0xFFFFFFFF\""), INF);
	assert_int_equal(valid_dword(PROP_RESOURCE, "RetryPeriodOnFailure", "\"0x36EE80\""),
			 3600000);

	invalid(PROP_RESOURCE, "RestartDelay", "\"abc\"",
		"RestartDelay: 'abc' is not a number (decimal or 0x-hex)");
	invalid(PROP_RESOURCE, "RestartDelay", "\"\"", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "\"0x\"", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "\" 5\"", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "\"5 \"", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "\"-1\"", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "\"+1\"", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "\"1e3\"", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "\"12ab\"", NULL); /* hex digits need 0x */
	invalid(PROP_RESOURCE, "RestartDelay", "\"0x1G\"", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "\"5\\u0000\"", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "\"4294967296\"",
		"RestartDelay: '4294967296' is not a DWORD (0..0xFFFFFFFF)");
	invalid(PROP_RESOURCE, "RestartDelay", "\"0x100000000\"", NULL);
	invalid(PROP_RESOURCE, "RestartDelay", "\"99999999999999999999999999\"", NULL);

	/* A string goes through the range check like an int. */
	invalid(PROP_RESOURCE, "RestartAction", "\"3\"", "RestartAction: 3 is out of range 0..2");
	invalid(PROP_RESOURCE, "RestartAction", "\"0x3\"", NULL);
	invalid(PROP_RESOURCE, "IsAlivePollInterval", "\"0\"", NULL);
}

static void test_strlists(void **state)
{
	assert_int_equal(validate(PROP_GROUP, "PreferredOwners", "[\"node1\",\"node2\"]"), 0);
	assert_int_equal(validate(PROP_GROUP, "PreferredOwners", "[]"), 0); /* clears the list */
	assert_int_equal(validate(PROP_GROUP, "AntiAffinityClassNames", "[\"sql\"]"), 0);
	assert_int_equal(validate(PROP_GROUP, "AntiAffinityClassNames", "[\"a\",\"a\"]"), 0);

	invalid(PROP_GROUP, "PreferredOwners", "\"node1\"",
		"PreferredOwners: expected an array of strings, got string");
	invalid(PROP_GROUP, "PreferredOwners", "[\"node1\",1]",
		"PreferredOwners: element 1 is int, expected a string");
	invalid(PROP_GROUP, "PreferredOwners", "[null]", NULL);
	invalid(PROP_GROUP, "PreferredOwners", "[[\"node1\"]]", NULL);
	invalid(PROP_GROUP, "PreferredOwners", "[{\"node\":\"n1\"}]", NULL);
	invalid(PROP_GROUP, "PreferredOwners", "[true]", NULL);
	invalid(PROP_GROUP, "PreferredOwners", "{}", NULL);
	invalid(PROP_GROUP, "PreferredOwners", "null", NULL);
	invalid(PROP_GROUP, "PreferredOwners", "3", NULL);
	invalid(PROP_GROUP, "PreferredOwners", "[\"\"]",
		"PreferredOwners: element 0 is an empty string");
	invalid(PROP_GROUP, "PreferredOwners", "[\"n1\",\"n2\",\"n1\"]",
		"PreferredOwners: 'n1' is listed twice");
	invalid(PROP_GROUP, "PreferredOwners", "[\"n\\u0000x\"]", NULL);
	invalid(PROP_GROUP, "AntiAffinityClassNames", "[\"a\", 2]", NULL);
	invalid(PROP_GROUP, "AntiAffinityClassNames", "\"a\"", NULL);
}

static void test_priority(void **state)
{
	static const char *const ok[] = { "0", "1000", "2000", "3000", "\"0xBB8\"" };
	static const char *const bad[] = { "1", "999", "1001", "1500", "2500", "2999", "3001",
					   "4000", "4294967295" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		valid_dword(PROP_GROUP, "Priority", ok[i]);
	assert_int_equal(dw, 3000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		invalid(PROP_GROUP, "Priority", bad[i], NULL);
	invalid(PROP_GROUP, "Priority", "1500",
		"Priority: 1500 is not allowed: use 3000 (high), 2000 (medium), 1000 (low) or 0 "
		"(never started automatically)");
}

static void test_failback_window_values(void **state)
{
	static const char *const names[] = { "FailbackWindowStart", "FailbackWindowEnd" };

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(valid_dword(PROP_GROUP, names[i], "0"), 0);
		assert_int_equal(valid_dword(PROP_GROUP, names[i], "23"), 23);
		assert_int_equal(valid_dword(PROP_GROUP, names[i], "4294967295"), INF);
		assert_int_equal(valid_dword(PROP_GROUP, names[i], "\"0xFFFFFFFF\""), INF);
		invalid(PROP_GROUP, names[i], "24", NULL);
		invalid(PROP_GROUP, names[i], "4294967294", NULL);
		invalid(PROP_GROUP, names[i], "-1", NULL);
	}
	invalid(PROP_GROUP, "FailbackWindowStart", "24",
		"FailbackWindowStart: 24 is out of range 0..23 (or 0xFFFFFFFF for no failback "
		"window)");
}

static void test_check_object_failback_pair(void **state)
{
	assert_int_equal(check_object(PROP_GROUP, "{}"), 0);
	assert_int_equal(props_check_object(PROP_GROUP, NULL, err, sizeof(err)), 0);
	assert_int_equal(check_object(PROP_GROUP, "{\"FailbackWindowStart\":1,"
						  "\"FailbackWindowEnd\":5}"), 0);
	/* A window past midnight. */
	assert_int_equal(check_object(PROP_GROUP, "{\"FailbackWindowStart\":22,"
						  "\"FailbackWindowEnd\":3}"), 0);
	assert_int_equal(check_object(PROP_GROUP, "{\"FailbackWindowStart\":4294967295,"
						  "\"FailbackWindowEnd\":4294967295}"), 0);
	assert_int_equal(check_object(PROP_GROUP, "{\"FailbackWindowEnd\":4294967295}"), 0);

	assert_int_equal(check_object(PROP_GROUP, "{\"FailbackWindowStart\":1}"), -EINVAL);
	assert_string_equal(err, "FailbackWindowStart and FailbackWindowEnd must be set together "
				 "(Start 1, End 0xFFFFFFFF; 0xFFFFFFFF = unset)");
	assert_int_equal(check_object(PROP_GROUP, "{\"FailbackWindowEnd\":0}"), -EINVAL);
	assert_int_equal(check_object(PROP_GROUP, "{\"FailbackWindowStart\":0,"
						  "\"FailbackWindowEnd\":4294967295}"), -EINVAL);
	assert_int_equal(check_object(PROP_GROUP, "{\"FailbackWindowStart\":4294967295,"
						  "\"FailbackWindowEnd\":7}"), -EINVAL);
	/* Strings count as numbers here too. */
	assert_int_equal(check_object(PROP_GROUP, "{\"FailbackWindowStart\":\"3\"}"), -EINVAL);
	assert_int_equal(check_object(PROP_GROUP, "{\"FailbackWindowStart\":\"3\","
						  "\"FailbackWindowEnd\":\"0x4\"}"), 0);
}

static void test_check_object_values(void **state)
{
	/* The whole object is held to the rules, whatever set its values. */
	assert_int_equal(check_object(PROP_RESOURCE, "{\"IsAlivePollInterval\":0}"), -EINVAL);
	assert_string_equal(err, "IsAlivePollInterval: 0 is out of range 1..0xFFFFFFFF");
	assert_int_equal(check_object(PROP_RESOURCE, "{\"LooksAlivePollInterval\":0}"), -EINVAL);
	assert_int_equal(check_object(PROP_TYPE, "{\"IsAlivePollInterval\":0}"), -EINVAL);
	assert_int_equal(check_object(PROP_GROUP, "{\"Priority\":1500}"), -EINVAL);
	assert_int_equal(check_object(PROP_GROUP, "{\"PreferredOwners\":[1]}"), -EINVAL);
	assert_int_equal(check_object(PROP_RESOURCE, "{\"RestartAction\":\"x\"}"), -EINVAL);

	assert_int_equal(check_object(PROP_RESOURCE, "{\"IsAlivePollInterval\":4294967295,"
						     "\"RestartAction\":1,\"Description\":\"d\"}"),
			 0);
	/* Unknown and read-only keys are someone else's business; other kinds' pairs too. */
	assert_int_equal(check_object(PROP_RESOURCE, "{\"Foo\":true,\"StatusInformation\":\"x\","
						     "\"FailbackWindowStart\":1}"),
			 0);
	/* Advice in the reference, not rules: accepted. */
	assert_int_equal(check_object(PROP_RESOURCE, "{\"RetryPeriodOnFailure\":1000,"
						     "\"RestartPeriod\":900000}"),
			 0);
	assert_int_equal(check_object(PROP_GROUP, "{\"AutoFailbackType\":1}"), 0);

	assert_int_equal(check_object(PROP_GROUP, "[]"), -EINVAL);
	assert_int_equal(check_object((prop_kind) 9, "{}"), -EINVAL);
}

/* Messages are truncated to the buffer, never overflow it; err may be NULL. */
static void test_err_buffer(void **state)
{
	struct json_object *v = json_object_new_int(3);
	char small[8];

	memset(small, 'x', sizeof(small));
	assert_int_equal(props_validate(PROP_RESOURCE, "RestartAction", v, NULL, small, 5),
			 -EINVAL);
	assert_string_equal(small, "Rest");
	assert_int_equal(small[5], 'x');
	assert_int_equal(props_validate(PROP_RESOURCE, "RestartAction", v, NULL, NULL, 0), -EINVAL);
	json_object_put(v);

	v = json_object_new_int(1);
	assert_int_equal(props_validate(PROP_RESOURCE, "RestartAction", v, NULL, NULL, 0), 0);
	json_object_put(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_and_defaults),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_dword_strings),
		cmocka_unit_test(test_strlists),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_failback_window_values),
		cmocka_unit_test(test_check_object_failback_pair),
		cmocka_unit_test(test_check_object_values),
		cmocka_unit_test(test_err_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
