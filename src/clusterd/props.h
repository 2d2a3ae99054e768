/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Common properties of resources, groups and resource types: WSFC's names, units, defaults and
 * ranges (reference section 6), in one table per object kind, with validation. Pure code.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

typedef enum prop_kind {
	PROP_RESOURCE,
	PROP_GROUP,
	PROP_TYPE,
} prop_kind;

typedef enum prop_format {
	PROP_DWORD,   /* uint32 */
	PROP_STRING,
	PROP_STRLIST, /* array of strings (PreferredOwners, AntiAffinityClassNames) */
} prop_format;

typedef struct prop_def {
	const char *name;
	prop_format format;
	uint32_t def;       /* default (PROP_DWORD) */
	uint32_t min, max;  /* inclusive range (PROP_DWORD) */
	bool read_only;     /* computed by the service (MonitorProcessId, StatusInformation, …) */
	const char *help;   /* one line, for wpctl and docs */
} prop_def;

/* The table for a kind; *ret_n gets its length. */
const prop_def *props_table(prop_kind kind, size_t *ret_n);

/* Finds a definition by exact (case-sensitive, WSFC spelling) name, or NULL. */
const prop_def *props_find(prop_kind kind, const char *name);

/*
 * Validates a value for a writable property. value is a json-c object: an int for DWORD, a
 * string for STRING, an array of strings for STRLIST; for DWORD a string holding a decimal or
 * 0x-hex number is accepted too (for the CLI). Returns 0 and, for DWORD, the number in
 * *ret_dword; or -EINVAL with a message in err ("RestartAction: 3 is out of range 0..2",
 * "unknown property 'Foo'", "StatusInformation is read-only").
 */
int props_validate(prop_kind kind, const char *name, struct json_object *value,
		   uint32_t *ret_dword, char *err, size_t errlen);

/* Special checks across properties (e.g. IsAlivePollInterval 0 is invalid, FailbackWindowStart
 * and End set together). Returns 0 or -EINVAL with a message. values: object of the explicitly
 * set properties of one object (after a change). */
int props_check_object(prop_kind kind, struct json_object *values, char *err, size_t errlen);
