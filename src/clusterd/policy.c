/* SPDX-License-Identifier: MIT */
/*
 * The restart policy (reference 7.1): restart a failed resource up to RestartThreshold times in
 * any sliding window of RestartPeriod ms, then escalate as RestartAction says. Pure: the caller
 * passes the time and applies the decision.
 *
 * Edge decisions, all following from "a restart counts while now - t < RestartPeriod":
 *  - A restart made exactly RestartPeriod ms ago has left the window. With MS's example
 *    (Period 200, Threshold 2) failures at 0, 100 and 200 all restart; at 0, 100 and 199 the
 *    third escalates.
 *  - RestartPeriod 0: the window is always empty, so every failure restarts (unless the
 *    threshold is 0). The restart is still recorded, and forgotten at the next failure.
 *  - RestartThreshold 0: no restart is tolerated; the first failure escalates.
 *  - RestartAction 0 (DontRestart): stay failed, never retried. A resource that must not be
 *    restarted is not restarted later either, whatever RetryPeriodOnFailure says.
 *  - RestartAction above 2 (invalid; props.c rejects it) is treated as 2, the default.
 *  - The history keeps POLICY_HISTORY_MAX restarts, so the count saturates there: a threshold
 *    above POLICY_HISTORY_MAX is never reached, which behaves as "unlimited".
 *  - A restart time after now (it cannot happen with a monotonic clock) counts as inside.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

static bool in_window(const policy_props *p, uint64_t t, uint64_t now_ms)
{
	uint64_t age = t > now_ms ? 0 : now_ms - t;

	return age < p->restart_period_ms;
}

/* h->n beyond the array would be a corrupt history: read no further than the array. */
static size_t history_len(const policy_history *h)
{
	return h->n < POLICY_HISTORY_MAX ? h->n : POLICY_HISTORY_MAX;
}

uint32_t policy_restarts_in_window(const policy_props *p, const policy_history *h,
				   uint64_t now_ms)
{
	uint32_t count = 0;

	if (!p || !h)
		return 0;
	for (size_t i = 0; i < history_len(h); i++)
		if (in_window(p, h->restarts_ms[i], now_ms))
			count++;
	return count;
}

/* Forgets the restarts outside the window, keeping the order (oldest first). */
static void forget_old(const policy_props *p, policy_history *h, uint64_t now_ms)
{
	size_t kept = 0, n = history_len(h);

	for (size_t i = 0; i < n; i++)
		if (in_window(p, h->restarts_ms[i], now_ms))
			h->restarts_ms[kept++] = h->restarts_ms[i];
	h->n = kept;
}

static void record(policy_history *h, uint64_t now_ms)
{
	if (h->n == POLICY_HISTORY_MAX) {
		memmove(&h->restarts_ms[0], &h->restarts_ms[1],
			(POLICY_HISTORY_MAX - 1) * sizeof(h->restarts_ms[0]));
		h->n--;
	}
	h->restarts_ms[h->n++] = now_ms;
}

void policy_on_failure(const policy_props *p, policy_history *h, uint64_t now_ms,
		       policy_decision *ret)
{
	char retry[64];
	uint32_t n;

	if (!ret)
		return;
	*ret = (policy_decision) {};
	if (!p || !h) {
		/* Misuse: the safe answer is to leave the resource alone. */
		ret->action = POLICY_STAY_FAILED;
		ret->retry_ms = POLICY_INFINITE;
		snprintf(ret->reason, sizeof(ret->reason), "no policy: staying failed");
		return;
	}

	forget_old(p, h, now_ms);
	n = (uint32_t) h->n;

	if (p->restart_action == RESTART_ACTION_DONT_RESTART) {
		ret->action = POLICY_STAY_FAILED;
		ret->retry_ms = POLICY_INFINITE;
		ret->restarts_in_window = n;
		snprintf(ret->reason, sizeof(ret->reason),
			 "RestartAction 0 (DontRestart): staying failed, never retried");
		return;
	}

	if (n < p->restart_threshold) {
		record(h, now_ms);
		ret->action = POLICY_RESTART;
		ret->delay_ms = p->restart_delay_ms;
		/* n + 1, except when the history is full: then it saturates, as the count does. */
		ret->restarts_in_window = (uint32_t) h->n;
		snprintf(ret->reason, sizeof(ret->reason),
			 "restart %" PRIu32 " of %" PRIu32 " in %" PRIu32
			 " ms window (RestartDelay %" PRIu32 " ms)",
			 ret->restarts_in_window, p->restart_threshold, p->restart_period_ms,
			 p->restart_delay_ms);
		return;
	}

	/* Threshold reached: escalate. The failure is not a restart, so it is not recorded. */
	ret->action = p->restart_action == RESTART_ACTION_RESTART_NO_NOTIFY ? POLICY_STAY_FAILED
									     : POLICY_FAIL_GROUP;
	ret->retry_ms = p->retry_period_on_failure_ms;
	ret->restarts_in_window = n;

	if (ret->retry_ms == POLICY_INFINITE)
		snprintf(retry, sizeof(retry), "retry never (RetryPeriodOnFailure 0xFFFFFFFF)");
	else
		snprintf(retry, sizeof(retry), "retry in %" PRIu32 " ms", ret->retry_ms);
	snprintf(ret->reason, sizeof(ret->reason),
		 "%" PRIu32 " restart%s in %" PRIu32 " ms window reached RestartThreshold %" PRIu32
		 ": %s, %s",
		 n, n == 1 ? "" : "s", p->restart_period_ms, p->restart_threshold,
		 ret->action == POLICY_STAY_FAILED ? "staying failed" : "failing the group over",
		 retry);
}

void policy_reset(policy_history *h)
{
	if (h)
		*h = (policy_history) {};
}
