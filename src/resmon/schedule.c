/* SPDX-License-Identifier: MIT */
/*
 * The poll scheduler. Ten thousand instances polled every 5 s are 2 000 polls a second; one
 * sd-event timer each would cost a loop iteration per poll, since sd-event dispatches one
 * source per iteration. Instead polls are grouped by their coalescing slack (5% of the
 * interval, at most 250 ms, as a per-poll timer would have had): a class holds a min-heap of
 * its polls by due time and ONE timer at the earliest, with the class's slack as accuracy. In
 * one class every poll's window [due, due + slack] has the same width, so the earliest due
 * poll also closes its window first, and sd-event can pick a wake-up anywhere in it. A
 * dispatch runs every poll whose due time has come, so polls that once needed hundreds of
 * wake-ups share one. With WSFC's defaults (5 s and 60 s) there is a single class.
 *
 * A poll runs at a time in [due, due + slack] and is due again interval later, counted from
 * that dispatch, so two polls of one kind are never closer than the interval.
 */
#include <stdlib.h>

#include "resmon.h"
#include "time-util.h"

typedef struct poll_class {
	uint64_t slack_us;
	poll_entry **heap;
	size_t n, cap;
	sd_event_source *timer;
	bool dispatching; /* do not free it under on_due */
	struct poll_class *next;
} poll_class;

static poll_class *classes;

static uint64_t slack_of(uint32_t interval_ms)
{
	uint64_t slack = (uint64_t) interval_ms * USEC_PER_MSEC / 20;

	if (slack > 250 * USEC_PER_MSEC)
		slack = 250 * USEC_PER_MSEC;
	return slack ? slack : 1;
}

/* ---- the heap ------------------------------------------------------------------------------ */

static void heap_set(poll_class *c, size_t i, poll_entry *p)
{
	c->heap[i] = p;
	p->idx = i;
}

static void sift_up(poll_class *c, size_t i)
{
	poll_entry *p = c->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (c->heap[parent]->due_us <= p->due_us)
			break;
		heap_set(c, i, c->heap[parent]);
		i = parent;
	}
	heap_set(c, i, p);
}

static void sift_down(poll_class *c, size_t i)
{
	poll_entry *p = c->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= c->n)
			break;
		if (child + 1 < c->n && c->heap[child + 1]->due_us < c->heap[child]->due_us)
			child++;
		if (p->due_us <= c->heap[child]->due_us)
			break;
		heap_set(c, i, c->heap[child]);
		i = child;
	}
	heap_set(c, i, p);
}

static void heap_push(poll_class *c, poll_entry *p)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		poll_entry **bigger = realloc(c->heap, cap * sizeof(*bigger));

		if (!bigger)
			abort();
		c->heap = bigger;
		c->cap = cap;
	}
	heap_set(c, c->n++, p);
	sift_up(c, p->idx);
	p->cls = c;
}

static void heap_remove(poll_class *c, poll_entry *p)
{
	size_t i = p->idx;
	poll_entry *last = c->heap[--c->n];

	p->cls = NULL;
	if (i == c->n)
		return;
	heap_set(c, i, last);
	if (i > 0 && c->heap[(i - 1) / 2]->due_us > last->due_us)
		sift_up(c, i);
	else
		sift_down(c, i);
}

/* ---- classes and their timers -------------------------------------------------------------- */

static int on_due(sd_event_source *s, uint64_t usec, void *userdata);

/* Points the class's timer at its earliest poll, or frees the class if it has none. */
static void rearm(poll_class *c)
{
	if (c->dispatching)
		return;
	if (c->n == 0) {
		poll_class **pp = &classes;

		while (*pp != c)
			pp = &(*pp)->next;
		*pp = c->next;
		sd_event_source_disable_unref(c->timer);
		free(c->heap);
		free(c);
		return;
	}
	if (!c->timer) {
		if (sd_event_add_time(rm.event, &c->timer, CLOCK_MONOTONIC, c->heap[0]->due_us,
				      c->slack_us, on_due, c) < 0)
			c->timer = NULL; /* tried again at the next change */
		return;
	}
	sd_event_source_set_time(c->timer, c->heap[0]->due_us);
	sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

static poll_class *class_get(uint64_t slack_us)
{
	poll_class *c;

	for (c = classes; c; c = c->next)
		if (c->slack_us == slack_us)
			return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->slack_us = slack_us;
	c->next = classes;
	classes = c;
	return c;
}

static int on_due(sd_event_source *s, uint64_t usec, void *userdata)
{
	poll_class *c = userdata;
	uint64_t now;

	/* The loop's time of this iteration: the one sd-event judged the timer by. */
	if (sd_event_now(rm.event, CLOCK_MONOTONIC, &now) < 0)
		now = now_us();
	c->dispatching = true;
	while (c->n > 0 && c->heap[0]->due_us <= now) {
		poll_entry *p = c->heap[0];
		uint32_t ms = p->call == CALL_LOOKS_ALIVE ? p->inst->looks_alive_ms
							  : p->inst->is_alive_ms;

		/* Due again one interval from now: moves down the heap, out of this round. */
		p->due_us = now + (uint64_t) ms * USEC_PER_MSEC;
		sift_down(c, 0);
		instance_poll(p);
	}
	c->dispatching = false;
	rearm(c);
	return 0;
}

/* ---- the interface ------------------------------------------------------------------------- */

void schedule_poll(poll_entry *p, uint32_t interval_ms)
{
	poll_class *c;
	uint64_t now;

	if (sd_event_now(rm.event, CLOCK_MONOTONIC, &now) < 0)
		now = now_us();
	unschedule_poll(p); /* first: it may free the class we are about to join */
	c = class_get(slack_of(interval_ms));
	p->due_us = now + (uint64_t) interval_ms * USEC_PER_MSEC;
	heap_push(c, p);
	if (p->idx == 0)
		rearm(c);
}

void unschedule_poll(poll_entry *p)
{
	poll_class *c = p->cls;
	bool was_first;

	if (!c)
		return;
	was_first = p->idx == 0;
	heap_remove(c, p);
	if (was_first || c->n == 0)
		rearm(c);
}
