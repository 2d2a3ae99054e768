/* SPDX-License-Identifier: MIT */
/*
 * Call threads: every entry point runs on one of these, so the main loop keeps polling other
 * instances and its watchdog can catch a call that never returns.
 *
 * A hung call must not starve other instances until the DeadlockTimeout ends it all, so a job
 * that would have to wait for a running call gets a thread of its own: an idle one woken, or a
 * new one, up to MAX_THREADS. Polls are the exception: the scheduler hands over hundreds at
 * once, and waking a thread for each costs more than the polls themselves. A batch of polls
 * wakes one thread per POLLS_PER_THREAD jobs and the awake threads drain it. Should a poll
 * still wait STALL_USEC (its threads are stuck in long calls), the stall check on the main
 * loop wakes or starts more.
 *
 * Threads never exit: plugins may tie child processes to the thread that forked them
 * (PR_SET_PDEATHSIG), and those children must live as long as the monitor.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "resmon.h"
#include "time-util.h"

#define MAX_THREADS      256
#define POLLS_PER_THREAD 64
#define STALL_USEC       (10 * USEC_PER_MSEC)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static call_job *head, *tail;
/* Threads: n_idle wait for a wake-up not yet given; n_wakeups were woken and have not left
 * the wait yet; n_running are in a call. The rest are between jobs, about to look at the
 * queue, like the woken ones. */
static unsigned n_threads, n_idle, n_wakeups, n_running, n_queued;
static sd_event_source *stall_timer; /* main thread */
static bool stall_armed;

static _Thread_local call_job *current;

uint64_t pool_current_token(void)
{
	return current ? current->token : 0;
}

call_kind pool_current_call(void)
{
	return current ? current->call : CALL_NONE;
}

uint32_t pool_current_instance_id(void)
{
	return current ? current->instance_id : 0;
}

static void run(call_job *job)
{
	const wp_resource_ops *ops = job->type ? job->type->ops : NULL;
	size_t bytes = 0;
	bool async = false;

	int queued = JOB_QUEUED;

	if (!atomic_compare_exchange_strong(&job->claim, &queued, JOB_STARTED)) {
		job->r = -ECANCELED; /* overtaken by terminate before it began */
		goto done;
	}
	current = job;
	switch (job->call) {
	case CALL_OPEN: {
		wp_resid id = NULL;

		/* Loading the plugin happens here too: dlopen and startup run plugin code. */
		job->r = restype_load(job->type, job->errbuf, sizeof(job->errbuf));
		if (job->r < 0)
			break;
		ops = job->type->ops;
		job->r = ops->open(job->name, (const char *const *) job->params,
				   (wp_resource_handle) (uintptr_t) job->token, job->flags, &id);
		job->new_resid = id;
		break;
	}
	case CALL_CLOSE:
		ops->close(job->resid);
		break;
	case CALL_ONLINE:
		job->event_fd = -1;
		job->r = ops->online(job->resid, job->flags, &job->event_fd);
		break;
	case CALL_OFFLINE:
		job->r = ops->offline(job->resid, job->flags);
		break;
	case CALL_TERMINATE: {
		/* The "terminate" event is stamped here, just before the entry point: that is
		 * the moment the failure-to-terminate latency (P1) ends. The main thread sees
		 * this message before the completion (FIFO), so the job is still alive. */
		msg *m = msg_new(MSG_TERMINATE_ENTERED, job->token);

		m->job = job;
		msg_post(m);
		ops->terminate(job->resid);
		break;
	}
	case CALL_LOOKS_ALIVE:
		job->alive = ops->looks_alive(job->resid);
		break;
	case CALL_IS_ALIVE:
		job->alive = ops->is_alive(job->resid);
		break;
	case CALL_ARBITRATE:
		job->r = ops->arbitrate(job->resid, resmon_callbacks.quorum_resource_lost);
		break;
	case CALL_RELEASE:
		job->r = ops->release(job->resid);
		break;
	case CALL_CANCEL:
		job->r = ops->cancel(job->resid, job->flags);
		break;
	case CALL_CONTROL:
	case CALL_TYPE_CONTROL: {
		/* job->flags carries the control code. */
		control_call *c = job->control;

		if (job->call == CALL_TYPE_CONTROL) {
			job->r = restype_load(job->type, job->errbuf, sizeof(job->errbuf));
			if (job->r < 0)
				break;
			ops = job->type->ops;
		}
		if (c->want_async && job->call == CALL_CONTROL)
			job->r = ops->begin_resource_control(job->resid, job->flags, c->in,
							     c->in_size, c->out, c->out_size,
							     &bytes, c->ctx, &async);
		else if (c->want_async)
			job->r = ops->begin_resource_type_control(c->type, job->flags, c->in,
								  c->in_size, c->out, c->out_size,
								  &bytes, c->ctx, &async);
		else if (job->call == CALL_CONTROL)
			job->r = ops->resource_control(job->resid, job->flags, c->in, c->in_size,
						       c->out, c->out_size, &bytes);
		else
			job->r = ops->resource_type_control(c->type, job->flags, c->in,
							    c->in_size, c->out, c->out_size,
							    &bytes);
		job->alive = async; /* reused: "answered asynchronously" */
		c->bytes = bytes;
		break;
	}
	default:
		job->r = -EINVAL;
	}
	current = NULL;
done:;
	msg *m = msg_new(MSG_CALL_DONE, job->token);
	m->job = job;
	msg_post(m);
}

static void *thread_main(void *arg)
{
	sigset_t all;

	/* Signals are the main thread's business (sd-event); crashes still arrive here. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	pthread_mutex_lock(&lock);
	for (;;) {
		call_job *job;

		while (!head) {
			n_idle++;
			while (n_wakeups == 0)
				pthread_cond_wait(&cond, &lock);
			n_wakeups--;
		}
		job = head;
		n_queued--;
		head = job->pool_next;
		if (!head)
			tail = NULL;
		n_running++;
		pthread_mutex_unlock(&lock);

		run(job);

		pthread_mutex_lock(&lock);
		n_running--;
	}
	return NULL;
}

static int spawn_thread(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int r;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Plugins run here: give them a normal stack, not a tiny one. */
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	r = pthread_create(&t, &attr, thread_main, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0)
		return -r;
	n_threads++;
	return 0;
}

int pool_start(void)
{
	int r;

	pthread_mutex_lock(&lock);
	r = spawn_thread();
	pthread_mutex_unlock(&lock);
	return r;
}

/* Threads awake and not in a call: each will take one queued job without being asked. */
static unsigned n_free(void)
{
	return n_threads - n_idle - n_running;
}

/* One more thread for the queue: an idle one, or a new one. Called with the lock held. */
static int add_thread(void)
{
	if (n_idle > 0) {
		n_idle--;
		n_wakeups++;
		pthread_cond_signal(&cond);
		return 0;
	}
	return n_threads < MAX_THREADS ? spawn_thread() : 0;
}

/* Main thread: jobs that waited STALL_USEC for a thread get one each, as if each were not a
 * poll. Runs while anything is queued. */
static int on_stall(sd_event_source *s, uint64_t usec, void *userdata)
{
	uint64_t now = now_us();
	unsigned waiting = 0, free_threads;

	pthread_mutex_lock(&lock);
	for (call_job *j = head; j && j->queued_us + STALL_USEC <= now; j = j->pool_next)
		waiting++;
	free_threads = n_free();
	for (unsigned i = free_threads; i < waiting; i++)
		if (add_thread() < 0 || (n_idle == 0 && n_threads == MAX_THREADS))
			break;
	stall_armed = head != NULL;
	pthread_mutex_unlock(&lock);
	if (stall_armed) {
		sd_event_source_set_time(s, now + STALL_USEC);
		sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	}
	return 0;
}

static void arm_stall_check(uint64_t now)
{
	if (stall_armed)
		return;
	if (!stall_timer) {
		if (sd_event_add_time(rm.event, &stall_timer, CLOCK_MONOTONIC, now + STALL_USEC,
				      USEC_PER_MSEC, on_stall, NULL) < 0) {
			stall_timer = NULL;
			return;
		}
	} else {
		sd_event_source_set_time(stall_timer, now + STALL_USEC);
		sd_event_source_set_enabled(stall_timer, SD_EVENT_ONESHOT);
	}
	stall_armed = true;
}

int pool_submit(call_job *job)
{
	bool poll = job->call == CALL_LOOKS_ALIVE || job->call == CALL_IS_ALIVE;
	bool stall_check = false;
	int r = 0;

	job->queued_us = now_us();
	job->pool_next = NULL;
	pthread_mutex_lock(&lock);
	if (job->call == CALL_TERMINATE && head) {
		/* Terminate starts at once: it does not wait behind a batch of polls. */
		job->pool_next = head;
		head = job;
	} else {
		if (tail)
			tail->pool_next = job;
		else
			head = job;
		tail = job;
	}
	n_queued++;
	if (n_queued > n_free()) {
		/* The job would wait for a running call to finish. */
		if (!poll || n_free() + n_running == 0 ||
		    n_queued > (n_free() + n_running) * POLLS_PER_THREAD)
			r = add_thread();
		else
			stall_check = true;
	}
	pthread_mutex_unlock(&lock);
	if (stall_check)
		arm_stall_check(job->queued_us);
	return r < 0 && n_threads == 0 ? r : 0;
}
