/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Test helper: a real wolfpackd in a temporary state directory, and a raw client of its API
 * (docs/api-protocol.md) that records pushed events so tests wait on them with deadlines.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct wpd {
	pid_t pid;
	char dir[64];
	char socket[128];
	int fd;             /* request connection */
	int64_t next_id;
	int efd;            /* subscribed connection */
	char *ebuf;
	size_t elen, ecap;
	struct json_object **events;
	size_t n_events, cap;
	int exit_status;
} wpd;

/* Starts wolfpackd (extra arguments NULL-terminated) in a new temp dir and connects, with an
 * event connection subscribed to everything. Returns 0 or -errno. */
int wpd_start(wpd *d, ...) __attribute__((sentinel));
/* Restarts on the same state dir (after wpd_kill or wpd_stop_daemon). */
int wpd_restart(wpd *d);
/* SIGTERM and wait; returns the exit status (waitpid form). */
int wpd_stop_daemon(wpd *d);
/* SIGKILL and wait. */
void wpd_kill(wpd *d);
/* Stops everything and removes the temp dir. */
void wpd_cleanup(wpd *d);

/* Sends a request (printf-style JSON without "id"; the id is added) and waits for its reply.
 * Returns the reply (caller puts) or NULL on timeout/EOF. */
struct json_object *wpd_call(wpd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, returning the reply's code (0 when ok), -ETIMEDOUT without a reply. */
int wpd_ok(wpd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Waits for a recorded event at index >= *from: name, and if key non-NULL, key == value (as
 * text); and if object non-NULL, "resource" or "group" == object. */
struct json_object *wpd_wait(wpd *d, size_t *from, int timeout_ms, const char *name,
			     const char *object, const char *key, const char *value);
ssize_t wpd_find(wpd *d, size_t from, const char *name, const char *object, const char *key,
		 const char *value);
void wpd_drain(wpd *d, int ms);
void wpd_dump(const wpd *d);

/* Waits until the resource reaches state (polling resource.show), returns true on success. */
bool wpd_wait_state(wpd *d, const char *res, const char *state, int timeout_ms);
/* resource.show → the "resource" object (caller puts) or NULL. */
struct json_object *wpd_show(wpd *d, const char *res);
/* True if some cluster log line for object contains text (reads log.get). */
bool wpd_log_has(wpd *d, const char *object, const char *text);

#define WPD_CHECK(d, x)                                                 \
	do {                                                            \
		if (!(x)) {                                             \
			wpd_dump(d);                                    \
			fail_msg("%s:%d: %s", __FILE__, __LINE__, #x);  \
		}                                                       \
	} while (0)
