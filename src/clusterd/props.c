/* SPDX-License-Identifier: MIT */
/*
 * Common properties of resources, groups and resource types: the tables (WSFC names, units,
 * defaults, ranges; reference section 6) and their validation. Pure code: no I/O, no logging.
 *
 * The tables only grow at the end: wpctl and the API list properties in table order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "props.h"

#define INFINITE 0xFFFFFFFFu

#define DWORD(n, d, lo, hi, h)                                                                     \
	{ .name = (n), .format = PROP_DWORD, .def = (d), .min = (lo), .max = (hi), .help = (h) }
#define DWORD_RO(n, d, h)                                                                          \
	{ .name = (n), .format = PROP_DWORD, .def = (d), .min = 0, .max = INFINITE,                \
	  .read_only = true, .help = (h) }
#define STRING(n, h) { .name = (n), .format = PROP_STRING, .help = (h) }
#define STRING_RO(n, h) { .name = (n), .format = PROP_STRING, .read_only = true, .help = (h) }
#define STRLIST(n, h) { .name = (n), .format = PROP_STRLIST, .help = (h) }

/* Reference 6.1. LooksAlive/IsAlivePollInterval default to 0xFFFFFFFF, "use the resource type's
 * value" (reference 12.2); 0 would disable the check and is invalid, hence min 1. */
static const prop_def resource_props[] = {
	DWORD("RestartAction", 2, 0, 2,
	      "0 never restart, 1 restart and stay failed past the threshold, 2 restart and fail "
	      "the group over past it"),
	DWORD("RestartThreshold", 3, 0, INFINITE,
	      "restarts tolerated within RestartPeriod before RestartAction escalates"),
	DWORD("RestartPeriod", 900000, 0, INFINITE, "ms, sliding window for RestartThreshold"),
	DWORD("RestartDelay", 500, 0, INFINITE, "ms to wait before restarting a failed resource"),
	DWORD("RetryPeriodOnFailure", 3600000, 0, INFINITE,
	      "ms a failed resource waits before the next try; 0xFFFFFFFF = never"),
	DWORD("PendingTimeout", 180000, 10, INFINITE,
	      "ms an Online or Offline may stay pending between status reports"),
	DWORD("LooksAlivePollInterval", INFINITE, 1, INFINITE,
	      "ms between LooksAlive checks; 0xFFFFFFFF = the resource type's value"),
	DWORD("IsAlivePollInterval", INFINITE, 1, INFINITE,
	      "ms between IsAlive checks; 0xFFFFFFFF = the resource type's value"),
	DWORD("DeadlockTimeout", 300000, 1, INFINITE,
	      "ms a call into the resource may take before its monitor is deemed deadlocked"),
	DWORD("SeparateMonitor", 0, 0, 1, "1 = run in a monitor of its own (from the next online)"),
	DWORD("PersistentState", 0, 0, 1, "1 = bring online when the cluster service starts"),
	DWORD("EmbeddedFailureAction", 2, 0, 2,
	      "embedded failures: 0 none, 1 log only, 2 recover"),
	STRING("Description", "free text"),
	DWORD_RO("MonitorProcessId", 0, "process id of the hosting resource monitor"),
	DWORD_RO("StatusInformation", 0, "status bits"),
	DWORD_RO("LastOperationStatusCode", 0, "last error the resource reported"),
	STRING_RO("ResourceSpecificStatus", "status text the resource reported"),
};

/* Reference 6.3. FailoverPeriod is in hours (0..1193: 1193 h is the largest whole number of
 * hours whose ms fit in a DWORD). FailbackWindowStart/End also accept 0xFFFFFFFF (no window),
 * and Priority only 0/1000/2000/3000: see check_dword(). */
static const prop_def group_props[] = {
	DWORD("FailoverThreshold", INFINITE, 0, INFINITE,
	      "failovers tolerated within FailoverPeriod; 0xFFFFFFFF = number of nodes - 1"),
	DWORD("FailoverPeriod", 6, 0, 1193, "hours, window for FailoverThreshold"),
	DWORD("AutoFailbackType", 0, 0, 1,
	      "1 = fail back to the most preferred owner when it becomes available"),
	DWORD("FailbackWindowStart", INFINITE, 0, 23,
	      "hour (0..23, cluster local time) failback may start; 0xFFFFFFFF = no window"),
	DWORD("FailbackWindowEnd", INFINITE, 0, 23,
	      "hour (0..23, cluster local time) failback must end; 0xFFFFFFFF = no window"),
	DWORD("PersistentState", 0, 0, 1, "1 = bring online when the cluster forms"),
	DWORD("Priority", 2000, 0, 3000,
	      "start order: 3000 high, 2000 medium, 1000 low, 0 never started automatically"),
	DWORD_RO("DefaultOwner", INFINITE, "node the group last ran on or was moved to"),
	STRING("Description", "free text"),
	STRLIST("PreferredOwners", "nodes in order of preference"),
	STRLIST("AntiAffinityClassNames", "groups sharing a name avoid sharing a node"),
	DWORD_RO("StatusInformation", 0, "status bits"),
};

/* Reference 6.2. The intervals apply to every resource of the type that does not set its own. */
static const prop_def type_props[] = {
	DWORD("LooksAlivePollInterval", 5000, 1, INFINITE, "ms between LooksAlive checks"),
	DWORD("IsAlivePollInterval", 60000, 1, INFINITE, "ms between IsAlive checks"),
	DWORD("PendingTimeout", 180000, 10, INFINITE,
	      "ms an Online or Offline may stay pending between status reports"),
	DWORD("DeadlockTimeout", 300000, 1, INFINITE,
	      "ms a call into a resource may take before its monitor is deemed deadlocked"),
	STRING("Description", "free text"),
	STRING_RO("DllName", "the plugin implementing the type"),
};

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

const prop_def *props_table(prop_kind kind, size_t *ret_n)
{
	const prop_def *t = NULL;
	size_t n = 0;

	switch (kind) {
	case PROP_RESOURCE:
		t = resource_props, n = ELEMENTSOF(resource_props);
		break;
	case PROP_GROUP:
		t = group_props, n = ELEMENTSOF(group_props);
		break;
	case PROP_TYPE:
		t = type_props, n = ELEMENTSOF(type_props);
		break;
	}
	if (ret_n)
		*ret_n = n;
	return t;
}

const prop_def *props_find(prop_kind kind, const char *name)
{
	size_t n;
	const prop_def *t = props_table(kind, &n);

	if (!name)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

/* snprintf that tolerates err == NULL, and returns -EINVAL for one-line error paths. */
__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
						       ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A DWORD for messages: the 0xFFFFFFFF sentinel reads better in hex. */
static const char *fmt_dword(char buf[static 16], uint32_t v)
{
	if (v == INFINITE)
		return "0xFFFFFFFF";
	snprintf(buf, 16, "%" PRIu32, v);
	return buf;
}

/* Decimal or 0x-hex, nothing else: no sign, no spaces, no octal (a leading 0 is decimal). */
static int parse_dword(const char *s, size_t len, uint32_t *ret)
{
	unsigned base = 10;
	uint64_t v = 0;
	size_t i = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, i = 2;
	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		char c = s[i];
		unsigned digit;

		if (c >= '0' && c <= '9')
			digit = (unsigned) (c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			digit = (unsigned) (c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			digit = (unsigned) (c - 'A' + 10);
		else
			return -EINVAL;
		v = v * base + digit;
		if (v > UINT32_MAX) /* checked per digit, so v never overflows */
			return -ERANGE;
	}
	*ret = (uint32_t) v;
	return 0;
}

/* The JSON value of a DWORD property as a number: an int, or a string for the CLI. */
static int json_to_dword(const prop_def *d, struct json_object *value, uint32_t *ret, char *err,
			 size_t errlen)
{
	switch (json_object_get_type(value)) {
	case json_type_int: {
		/* json-c saturates values beyond int64 at INT64_MAX: still out of range. The
		 * message quotes the JSON text, not the saturated number. */
		int64_t v = json_object_get_int64(value);

		if (v < 0 || v > (int64_t) UINT32_MAX)
			return fail(err, errlen, "%s: %s is not a DWORD (0..0xFFFFFFFF)", d->name,
				    json_object_get_string(value));
		*ret = (uint32_t) v;
		return 0;
	}
	case json_type_string: {
		const char *s = json_object_get_string(value);
		int r = parse_dword(s, (size_t) json_object_get_string_len(value), ret);

		if (r == -ERANGE)
			return fail(err, errlen, "%s: '%s' is not a DWORD (0..0xFFFFFFFF)", d->name,
				    s);
		if (r < 0)
			return fail(err, errlen, "%s: '%s' is not a number (decimal or 0x-hex)",
				    d->name, s);
		return 0;
	}
	default:
		return fail(err, errlen, "%s: expected a number, got %s", d->name,
			    json_type_to_name(json_object_get_type(value)));
	}
}

static bool is_failback_window(prop_kind kind, const prop_def *d)
{
	return kind == PROP_GROUP && (strcmp(d->name, "FailbackWindowStart") == 0 ||
				      strcmp(d->name, "FailbackWindowEnd") == 0);
}

/*
 * The range, plus the two rules prop_def cannot express (both group properties): the failback
 * window hours also take the 0xFFFFFFFF "no window" sentinel outside their 0..23 range, and
 * Priority is one of four values, not a range.
 */
static int check_dword(prop_kind kind, const prop_def *d, uint32_t v, char *err, size_t errlen)
{
	char b1[16], b2[16], b3[16];

	if (is_failback_window(kind, d)) {
		if (v == INFINITE || v <= d->max)
			return 0;
		return fail(err, errlen, "%s: %s is out of range %s..%s (or 0xFFFFFFFF for no "
			    "failback window)", d->name, fmt_dword(b1, v), fmt_dword(b2, d->min),
			    fmt_dword(b3, d->max));
	}
	if (kind == PROP_GROUP && strcmp(d->name, "Priority") == 0) {
		if (v == 0 || v == 1000 || v == 2000 || v == 3000)
			return 0;
		return fail(err, errlen, "Priority: %s is not allowed: use 3000 (high), 2000 "
			    "(medium), 1000 (low) or 0 (never started automatically)",
			    fmt_dword(b1, v));
	}
	if (v < d->min || v > d->max)
		return fail(err, errlen, "%s: %s is out of range %s..%s", d->name, fmt_dword(b1, v),
			    fmt_dword(b2, d->min), fmt_dword(b3, d->max));
	return 0;
}

static int check_string(const prop_def *d, struct json_object *value, char *err, size_t errlen)
{
	if (!json_object_is_type(value, json_type_string))
		return fail(err, errlen, "%s: expected a string, got %s", d->name,
			    json_type_to_name(json_object_get_type(value)));
	if (strlen(json_object_get_string(value)) != (size_t) json_object_get_string_len(value))
		return fail(err, errlen, "%s: the string contains a NUL character", d->name);
	return 0;
}

/* An array of non-empty strings (a MULTI_SZ cannot hold an empty one: it ends the list). Nodes
 * in PreferredOwners are listed once: the order is the preference. */
static int check_strlist(const prop_def *d, struct json_object *value, char *err, size_t errlen)
{
	size_t n;

	if (!json_object_is_type(value, json_type_array))
		return fail(err, errlen, "%s: expected an array of strings, got %s", d->name,
			    json_type_to_name(json_object_get_type(value)));
	n = json_object_array_length(value);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(value, i);
		const char *s;

		if (!json_object_is_type(e, json_type_string))
			return fail(err, errlen, "%s: element %zu is %s, expected a string",
				    d->name, i, json_type_to_name(json_object_get_type(e)));
		s = json_object_get_string(e);
		if (strlen(s) != (size_t) json_object_get_string_len(e))
			return fail(err, errlen, "%s: element %zu contains a NUL character",
				    d->name, i);
		if (!*s)
			return fail(err, errlen, "%s: element %zu is an empty string", d->name, i);
		if (strcmp(d->name, "PreferredOwners") != 0)
			continue;
		for (size_t j = 0; j < i; j++) {
			struct json_object *prev = json_object_array_get_idx(value, j);

			if (strcmp(s, json_object_get_string(prev)) == 0)
				return fail(err, errlen, "%s: '%s' is listed twice", d->name, s);
		}
	}
	return 0;
}

/* Type and range of a value for a known property, read-only or not. */
static int check_value(prop_kind kind, const prop_def *d, struct json_object *value,
		       uint32_t *ret_dword, char *err, size_t errlen)
{
	uint32_t v;
	int r;

	switch (d->format) {
	case PROP_DWORD:
		r = json_to_dword(d, value, &v, err, errlen);
		if (r < 0)
			return r;
		r = check_dword(kind, d, v, err, errlen);
		if (r < 0)
			return r;
		if (ret_dword)
			*ret_dword = v;
		return 0;
	case PROP_STRING:
		return check_string(d, value, err, errlen);
	case PROP_STRLIST:
		return check_strlist(d, value, err, errlen);
	}
	return fail(err, errlen, "%s: unknown format", d->name);
}

int props_validate(prop_kind kind, const char *name, struct json_object *value,
		   uint32_t *ret_dword, char *err, size_t errlen)
{
	const prop_def *d = props_find(kind, name);

	if (!d)
		return fail(err, errlen, "unknown property '%s'", name ? name : "(null)");
	if (d->read_only)
		return fail(err, errlen, "%s is read-only", d->name);
	return check_value(kind, d, value, ret_dword, err, errlen);
}

/* The value of a DWORD set in values, or def when absent (or not a valid number: check_object
 * has rejected those by the time this is used). */
static uint32_t get_dword(prop_kind kind, struct json_object *values, const char *name,
			  uint32_t def)
{
	const prop_def *d = props_find(kind, name);
	struct json_object *v;
	uint32_t dw;

	if (!d || !json_object_object_get_ex(values, name, &v) ||
	    json_to_dword(d, v, &dw, NULL, 0) < 0)
		return def;
	return dw;
}

/*
 * Every known writable property present is checked again, whatever its origin (a change or the
 * database), so the invariants hold for the whole object: this is what rejects a
 * LooksAlive/IsAlivePollInterval of 0. Unknown and read-only keys are not this function's
 * business and are left alone. Then the cross-property rules:
 *  - FailbackWindowStart and FailbackWindowEnd: a window needs both ends (reference 6.3), so
 *    both are set (0..23) or both unset (absent or 0xFFFFFFFF).
 * Deliberately not enforced, because the reference gives them as advice or as "no effect":
 * RetryPeriodOnFailure >= RestartPeriod, and AutoFailbackType 1 without PreferredOwners.
 */
int props_check_object(prop_kind kind, struct json_object *values, char *err, size_t errlen)
{
	uint32_t start, end;
	char b1[16], b2[16];
	int r;

	if (!props_table(kind, NULL))
		return fail(err, errlen, "unknown kind of object");
	if (!values)
		return 0;
	if (!json_object_is_type(values, json_type_object))
		return fail(err, errlen, "properties: expected an object, got %s",
			    json_type_to_name(json_object_get_type(values)));

	json_object_object_foreach(values, key, val) {
		const prop_def *d = props_find(kind, key);

		if (!d || d->read_only)
			continue;
		r = check_value(kind, d, val, NULL, err, errlen);
		if (r < 0)
			return r;
	}

	if (kind == PROP_GROUP) {
		start = get_dword(kind, values, "FailbackWindowStart", INFINITE);
		end = get_dword(kind, values, "FailbackWindowEnd", INFINITE);
		if ((start == INFINITE) != (end == INFINITE))
			return fail(err, errlen, "FailbackWindowStart and FailbackWindowEnd must "
				    "be set together (Start %s, End %s; 0xFFFFFFFF = unset)",
				    fmt_dword(b1, start), fmt_dword(b2, end));
	}
	return 0;
}
