/* SPDX-License-Identifier: MIT */
/*
 * The deadlock watchdog: every call in flight (normal calls and terminates) sits in one list
 * with its deadline, and ONE timer waits for the earliest of them. Calls come and go thousands
 * of times a second and almost never overrun, so adding and removing must cost no more than a
 * list link: the timer only moves earlier (when a call with a nearer deadline arrives), and is
 * left where it is when calls finish. When it fires it scans the list: a call past its deadline
 * ends the monitor (instance_deadlock); otherwise the timer moves to the earliest deadline
 * left, or sleeps if nothing is in flight. Type-level control calls keep their own timer
 * (control.c).
 */
#include <stdlib.h>

#include "resmon.h"
#include "time-util.h"

static call_job *head;
static sd_event_source *timer;
static uint64_t armed_us; /* when the timer fires; 0 while it sleeps */

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void arm(uint64_t usec)
{
	if (!timer) {
		if (sd_event_add_time(rm.event, &timer, CLOCK_MONOTONIC, usec, USEC_PER_MSEC,
				      on_timer, NULL) < 0) {
			timer = NULL;
			return;
		}
		sd_event_source_set_priority(timer, SD_EVENT_PRIORITY_IMPORTANT);
	}
	sd_event_source_set_time(timer, usec);
	sd_event_source_set_enabled(timer, SD_EVENT_ONESHOT);
	armed_us = usec ? usec : 1;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	uint64_t now = now_us(), next = UINT64_MAX;
	call_job *late = NULL;

	armed_us = 0;
	for (call_job *j = head; j; j = j->wd_next) {
		if (j->deadline_us <= now && (!late || j->deadline_us < late->deadline_us))
			late = j;
		if (j->deadline_us < next)
			next = j->deadline_us;
	}
	if (late)
		instance_deadlock(late);
	if (head)
		arm(next);
	return 0;
}

void watchdog_add(call_job *job, uint32_t timeout_ms)
{
	/* Counted from the moment the call was made, as its "elapsed_ms" will be. */
	job->deadline_us = job->start_us + (uint64_t) timeout_ms * USEC_PER_MSEC;
	job->wd_prev = NULL;
	job->wd_next = head;
	if (head)
		head->wd_prev = job;
	head = job;
	job->watched = true;
	if (armed_us == 0 || job->deadline_us < armed_us)
		arm(job->deadline_us);
}

void watchdog_remove(call_job *job)
{
	if (!job->watched)
		return;
	if (job->wd_prev)
		job->wd_prev->wd_next = job->wd_next;
	else
		head = job->wd_next;
	if (job->wd_next)
		job->wd_next->wd_prev = job->wd_prev;
	job->wd_prev = job->wd_next = NULL;
	job->watched = false;
	/* The timer stays where it is: if it fires for nothing, it finds the next deadline. */
}
