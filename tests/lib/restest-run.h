/* SPDX-License-Identifier: MIT */
#pragma once

/* Test helper: runs wp-restest to completion and parses its JSON lines. */

#include <json-c/json.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct rt_result {
	int exit_code; /* wp-restest's exit status, or 128+signal */
	struct json_object **events;
	size_t n_events;
	char *raw; /* all of stdout */
} rt_result;

/* Runs WP_TEST_BIN_DIR/wp-restest with the arguments (NULL-terminated). Returns 0, or -errno
 * if it could not be run. Lines that are not JSON make the call fail with -EBADMSG. */
int rt_run(rt_result *res, const char *arg, ...) __attribute__((sentinel));

/* Index of the first event named name at index >= from whose field key (if non-NULL) has the
 * text value, or -1. */
ssize_t rt_find(const rt_result *res, size_t from, const char *name, const char *key,
		const char *value);
size_t rt_count(const rt_result *res, const char *name, const char *key, const char *value);
struct json_object *rt_event(const rt_result *res, ssize_t i);
void rt_dump(const rt_result *res);
void rt_free(rt_result *res);

/* In a cmocka test: fail with the whole run printed if x is false. */
#define RT_CHECK(res, x)                                                \
	do {                                                            \
		if (!(x)) {                                             \
			rt_dump(res);                                   \
			fail_msg("%s:%d: %s", __FILE__, __LINE__, #x);  \
		}                                                       \
	} while (0)

/* Paths of the build's plugins. */
#define DUMMY_SO   WP_TEST_PLUGIN_DIR "/dummy.so"
#define PROCESS_SO WP_TEST_PLUGIN_DIR "/process.so"
#define COMPAT_SO  WP_TEST_PLUGIN_DIR "/compat-dummy.so"
