/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The restart policy (WSFC's resource failure policy, reference section 7.1) as a pure
 * function: state and event in, decision out. No I/O, no clock: time is passed in (ms,
 * monotonic). The cluster service applies the decision and logs its reason.
 */

#include <stddef.h>
#include <stdint.h>

#define POLICY_INFINITE 0xFFFFFFFFu

/* CLUSTER_RESOURCE_RESTART_ACTION */
enum {
	RESTART_ACTION_DONT_RESTART = 0,
	RESTART_ACTION_RESTART_NO_NOTIFY = 1, /* restart; past the threshold stay failed */
	RESTART_ACTION_RESTART_NOTIFY = 2,    /* restart; past the threshold fail the group over */
};

typedef struct policy_props {
	uint32_t restart_action;
	uint32_t restart_threshold;
	uint32_t restart_period_ms;
	uint32_t restart_delay_ms;
	uint32_t retry_period_on_failure_ms; /* POLICY_INFINITE = never */
} policy_props;

/* Restart history of one resource: times (ms) of the restarts made, oldest first. */
#define POLICY_HISTORY_MAX 64
typedef struct policy_history {
	uint64_t restarts_ms[POLICY_HISTORY_MAX];
	size_t n;
} policy_history;

typedef enum policy_action {
	POLICY_RESTART,     /* bring it online again after delay_ms; the restart is recorded */
	POLICY_STAY_FAILED, /* leave it Failed; retry after retry_ms unless POLICY_INFINITE */
	POLICY_FAIL_GROUP,  /* escalate: fail the group over (on one node: the group is Failed);
			     * retry after retry_ms unless POLICY_INFINITE */
} policy_action;

typedef struct policy_decision {
	policy_action action;
	uint32_t delay_ms;     /* POLICY_RESTART */
	uint32_t retry_ms;     /* POLICY_STAY_FAILED / POLICY_FAIL_GROUP */
	uint32_t restarts_in_window; /* after this decision (counts the restart it makes) */
	char reason[160];      /* for the cluster log, e.g. "restart 2 of 3 in 900000 ms window" */
} policy_decision;

/*
 * A resource failed at now_ms. Forgets restarts older than the window (a restart at exactly
 * now - period has left it), then: RestartAction 0 → stay failed (no retry: a resource that
 * must not be restarted is never retried); restarts in window < threshold → restart, and
 * now_ms is appended to the history; otherwise → stay failed (action 1) or fail the group
 * (action 2), with the retry period. Updates *h.
 */
void policy_on_failure(const policy_props *p, policy_history *h, uint64_t now_ms,
		       policy_decision *ret);

/* Restarts currently inside the window at now_ms (does not modify h). */
uint32_t policy_restarts_in_window(const policy_props *p, const policy_history *h,
				   uint64_t now_ms);

/* The retry after RetryPeriodOnFailure starts afresh: clears the history. */
void policy_reset(policy_history *h);
