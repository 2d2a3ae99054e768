/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Test helper: runs a real wp-resmon on a socketpair and records every event it sends, so a
 * test can wait for an event with a deadline (never sleep) and then check the order of what
 * happened. Paths come from the build (WP_TEST_BIN_DIR, WP_TEST_PLUGIN_DIR).
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct rmc {
	pid_t pid;
	int fd;
	struct json_object **events;
	size_t n_events, cap;
	bool exited;
	int exit_status; /* as from waitpid */
} rmc;

/* Starts wp-resmon with the build's plugin directory and waits for "ready". Returns 0 or
 * -errno. extra_plugin_dir may be NULL. */
int rmc_start(rmc *c, const char *extra_plugin_dir);

/* Sends one command, printf-style JSON text. Returns 0 or -errno. */
int rmc_send(rmc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Waits until an event matches: name (required), id (0 = any), and, if key is non-NULL, field
 * key equal to value (compared as text: "Online", "2", "true"). Searches events recorded at
 * index >= *from, reading more as needed; on success returns the event (owned by c) and sets
 * *from past it. Returns NULL after timeout_ms or when the monitor exits. */
struct json_object *rmc_wait(rmc *c, size_t *from, int timeout_ms, const char *name, uint32_t id,
			     const char *key, const char *value);

/* Index of the first recorded event matching (as rmc_wait, no waiting) at or after from, or -1. */
ssize_t rmc_find(rmc *c, size_t from, const char *name, uint32_t id, const char *key,
		 const char *value);

/* Counts recorded matching events. */
size_t rmc_count(rmc *c, const char *name, uint32_t id, const char *key, const char *value);

/* Reads whatever events arrive within ms (used to prove something does NOT happen). */
void rmc_drain(rmc *c, int ms);

/* Waits for the monitor to exit. Returns 0 (status in c->exit_status) or -ETIMEDOUT. */
int rmc_wait_exit(rmc *c, int timeout_ms);

/* Sends shutdown, waits for exit, frees everything. Kills the monitor if it hangs. Returns
 * the exit status as from waitpid. */
int rmc_stop(rmc *c);

/* Prints every recorded event to stderr (for failing tests). */
void rmc_dump(const rmc *c);

/* In a cmocka test: fail with every recorded event printed if x is false. */
#define RMC_CHECK(c, x)                                                 \
	do {                                                            \
		if (!(x)) {                                             \
			rmc_dump(c);                                    \
			fail_msg("%s:%d: %s", __FILE__, __LINE__, #x);  \
		}                                                       \
	} while (0)

/* Field helpers. */
int64_t ev_int(struct json_object *e, const char *key);
const char *ev_str(struct json_object *e, const char *key);

/* Time helpers for tests. */
uint64_t rmc_now_us(void);
