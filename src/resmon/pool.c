/* SPDX-License-Identifier: MIT */
/*
 * Call threads: every entry point runs on one of these, so the main loop keeps polling other
 * instances and its watchdog can catch a call that never returns.
 *
 * The pool grows when a job arrives and no thread is idle (a hung call must not starve other
 * instances until the DeadlockTimeout ends it all), up to MAX_THREADS. Threads never exit:
 * plugins may tie child processes to the thread that forked them (PR_SET_PDEATHSIG), and
 * those children must live as long as the monitor.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "resmon.h"
#include "time-util.h"

#define MAX_THREADS 256

typedef struct job_node {
	call_job *job;
	struct job_node *next;
} job_node;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static job_node *head, *tail;
static unsigned n_threads, n_idle, n_queued;

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
		job_node *n;

		while (!head) {
			n_idle++;
			pthread_cond_wait(&cond, &lock);
			n_idle--;
		}
		n = head;
		n_queued--;
		head = n->next;
		if (!head)
			tail = NULL;
		pthread_mutex_unlock(&lock);

		run(n->job);
		free(n);

		pthread_mutex_lock(&lock);
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

int pool_submit(call_job *job)
{
	job_node *n = calloc(1, sizeof(*n));
	int r = 0;

	if (!n)
		return -ENOMEM;
	n->job = job;
	pthread_mutex_lock(&lock);
	if (tail)
		tail->next = n;
	else
		head = n;
	tail = n;
	n_queued++;
	/* Grow when every idle thread is already spoken for. */
	if (n_queued > n_idle && n_threads < MAX_THREADS)
		r = spawn_thread();
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	return r < 0 && n_threads == 0 ? r : 0;
}
