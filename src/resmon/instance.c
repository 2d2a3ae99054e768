/* SPDX-License-Identifier: MIT */
/*
 * The instance state machine. Runs on the main thread only; see resmon.h for the threading.
 *
 *   open ─► Offline ─online─► (OnlinePending ─status─►) Online ─offline─► (OfflinePending ─►) Offline
 *                                   │                      │
 *            failure (signal, event fd, is_alive false, pending timeout, online/offline error,
 *            fail command, quorum lost) ─► "failure" event ─► terminate ─► Failed
 *
 * Calls into one instance never overlap, except terminate (WSFC's rule): a request that finds
 * the instance busy waits in its queue; terminate starts at once. A terminate bumps the
 * instance's generation, so whatever an older call returns afterwards is stale and ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hex.h"
#include "jmsg.h"
#include "macro.h"
#include "resmon.h"
#include "state-name.h"
#include "time-util.h"

#define DEFAULT_LOOKS_ALIVE_MS   5000u
#define DEFAULT_IS_ALIVE_MS      60000u
#define DEFAULT_PENDING_MS       180000u
#define DEFAULT_DEADLOCK_MS      300000u
#define DEFAULT_EMBEDDED_ACTION  2u
#define NAME_MAX_LEN             256

typedef struct fd_watch {
	int fd;
	unsigned users;
	sd_event_source *source;
} fd_watch;

static const char *const call_names[_CALL_MAX] = {
	[CALL_NONE] = "none",
	[CALL_OPEN] = "open",
	[CALL_CLOSE] = "close",
	[CALL_ONLINE] = "online",
	[CALL_OFFLINE] = "offline",
	[CALL_TERMINATE] = "terminate",
	[CALL_LOOKS_ALIVE] = "looks_alive",
	[CALL_IS_ALIVE] = "is_alive",
	[CALL_ARBITRATE] = "arbitrate",
	[CALL_RELEASE] = "release",
	[CALL_CONTROL] = "control",
	[CALL_TYPE_CONTROL] = "type_control",
	[CALL_CANCEL] = "cancel",
};

const char *call_kind_name(call_kind k)
{
	return k >= 0 && k < _CALL_MAX ? call_names[k] : "unknown";
}

static bool is_pending(int state)
{
	return state == WP_RESOURCE_PENDING || state == WP_RESOURCE_ONLINE_PENDING ||
	       state == WP_RESOURCE_OFFLINE_PENDING;
}

static instance *by_token(uint64_t token)
{
	/* rm.handles is written only by this thread, so reading it here needs no lock. */
	return token ? idmap_get(&rm.handles, token) : NULL;
}

/* PendingTimeout as enforced: never longer than DeadlockTimeout. Also the deadline of an
 * asynchronous control call (control.c). */
uint32_t instance_pending_ms(const instance *inst)
{
	return inst->pending_timeout_ms < inst->deadlock_timeout_ms ? inst->pending_timeout_ms
								    : inst->deadlock_timeout_ms;
}

/* ---- events ------------------------------------------------------------------------------ */

static void emit_state(instance *inst)
{
	struct json_object *e = event_new("state", inst);

	json_object_object_add(e, "state", json_object_new_int(inst->state));
	json_object_object_add(e, "state_name", json_object_new_string(resource_state_name(inst->state)));
	json_object_object_add(e, "status_information",
			       json_object_new_int64(inst->status_information));
	emit(e);
}

static void set_state(instance *inst, int state)
{
	if (inst->state == state)
		return;
	pthread_mutex_lock(&rm.lock);
	inst->state = state;
	pthread_mutex_unlock(&rm.lock);
	emit_state(inst);
}

static void set_status_information(instance *inst, uint32_t mask, uint32_t bits,
				   const char *reason)
{
	uint32_t v = (inst->status_information & ~mask) | (bits & mask);
	struct json_object *e;

	if (v == inst->status_information)
		return;
	inst->status_information = v;
	e = event_new("status_information", inst);
	json_object_object_add(e, "status_information", json_object_new_int64(v));
	json_object_object_add(e, "reason", json_object_new_string(reason));
	emit(e);
}

/* Publishes fields that callbacks read, under the lock. */
static void set_pending_op(instance *inst, call_kind op, bool terminated)
{
	pthread_mutex_lock(&rm.lock);
	inst->pending_op = op;
	inst->pending_terminated = terminated;
	pthread_mutex_unlock(&rm.lock);
}

/* ---- the watchdog -------------------------------------------------------------------------- */

static struct json_object *dump_list(const instance *inst)
{
	struct json_object *a = json_object_new_array();

	pthread_mutex_lock(&rm.lock);
	for (size_t i = 0; inst && i < inst->n_dump_processes; i++)
		json_object_array_add(a, json_object_new_string(inst->dump_processes[i]));
	for (size_t i = 0; i < rm.n_type_dump_processes; i++)
		json_object_array_add(a, json_object_new_string(rm.type_dump_processes[i]));
	pthread_mutex_unlock(&rm.lock);
	return a;
}

/* A call overran its DeadlockTimeout (watchdog.c). Nothing in this process can be trusted to
 * finish now (the plugin may hold locks we would need): report and leave, so the parent
 * restarts us. */
void instance_deadlock(call_job *job)
{
	instance *inst = by_token(job->token);
	struct json_object *e = event_new("deadlock", inst);
	uint32_t timeout = inst ? inst->deadlock_timeout_ms : DEFAULT_DEADLOCK_MS;

	if (!inst)
		json_object_object_add(e, "type",
				       json_object_new_string(job->type ? job->type->name : ""));
	json_object_object_add(e, "call", json_object_new_string(call_kind_name(job->call)));
	json_object_object_add(e, "elapsed_ms",
			       json_object_new_int64((int64_t) (now_us() - job->start_us) / 1000));
	json_object_object_add(e, "timeout_ms", json_object_new_int64(timeout));
	json_object_object_add(e, "dump_processes", dump_list(inst));
	emit(e);
	log_err("%s: %s did not return within %" PRIu32 " ms, exiting",
		inst ? inst->name : "type", call_kind_name(job->call), timeout);
	emit_flush();
	_exit(3);
}

/* ---- dispatching calls ---------------------------------------------------------------------- */

static call_job *job_new(instance *inst, call_kind call)
{
	call_job *job = calloc(1, sizeof(*job));

	if (!job)
		abort();
	job->call = call;
	job->instance_id = inst->id;
	job->token = inst->token;
	job->generation = inst->generation;
	job->type = inst->type;
	job->resid = inst->resid;
	job->event_fd = -1;
	job->start_us = now_us();
	return job;
}

static void submit(instance *inst, call_kind call, uint32_t flags, control_call *c)
{
	call_job *job;

	if (call == CALL_TERMINATE) {
		/* Everything running or pending now belongs to an older generation. */
		inst->generation++;
		/* A call still waiting for a thread will not run at all: whatever it would
		 * start now would outlive the terminate meant to stop it. */
		if (inst->busy_job) {
			int queued = JOB_QUEUED;
			(void) atomic_compare_exchange_strong(&inst->busy_job->claim, &queued,
							      JOB_CANCELLED);
		}
		pthread_mutex_lock(&rm.lock);
		inst->terminating = true;
		if (inst->pending_op != CALL_NONE)
			inst->pending_terminated = true;
		pthread_mutex_unlock(&rm.lock);
		job = job_new(inst, call);
	} else {
		job = job_new(inst, call);
		inst->busy = call;
		inst->busy_job = job;
	}
	watchdog_add(job, inst->deadlock_timeout_ms);
	job->flags = flags;
	job->control = c;
	job->name = inst->name;
	job->params = inst->params;
	if (pool_submit(job) < 0) {
		/* No thread at all: there is no way to run plugin code. */
		log_err("cannot start a call thread, exiting");
		_exit(1);
	}
}

static void stop_monitoring(instance *inst);
static void start_monitoring(instance *inst);
static void request(instance *inst, call_kind call, uint32_t flags, control_call *c);
static void fail_instance(instance *inst, const char *source, int failure_type,
			  uint32_t app_error, uint64_t t_us);

static void enqueue(instance *inst, call_kind call, uint32_t flags, control_call *c, bool front)
{
	queued_call *r = calloc(1, sizeof(*r));

	if (!r)
		abort();
	r->call = call;
	r->flags = flags;
	r->control = c;
	if (front) {
		r->next = inst->queue_head;
		inst->queue_head = r;
		if (!inst->queue_tail)
			inst->queue_tail = r;
	} else {
		if (inst->queue_tail)
			inst->queue_tail->next = r;
		else
			inst->queue_head = r;
		inst->queue_tail = r;
	}
}

static void begin_terminate(instance *inst, const char *reason, bool into_failed)
{
	inst->fail_on_terminate = into_failed;
	inst->terminate_reason = reason;
	stop_monitoring(inst);
	if (!inst->terminating)
		submit(inst, CALL_TERMINATE, 0, NULL);
}

/* Starts a request now. The instance is idle (no normal call, no terminate). The state may
 * have changed since the request was queued, so this is where requests are judged. */
static void start(instance *inst, call_kind call, uint32_t flags, control_call *c)
{
	switch (call) {
	case CALL_ONLINE:
		if (inst->state == WP_RESOURCE_ONLINE || inst->state == WP_RESOURCE_ONLINE_PENDING) {
			emit_state(inst); /* already there: say so, the caller may be waiting */
			return;
		}
		inst->fail_on_terminate = false;
		inst->checkpoint = 0;
		inst->early_status_set = false;
		set_status_information(inst, WP_RES_STATUS_EMBEDDED_FAILURE |
						     WP_RES_STATUS_NETWORK_FAILURE,
				       0, "online");
		set_pending_op(inst, CALL_ONLINE, false);
		submit(inst, CALL_ONLINE, flags, NULL);
		return;
	case CALL_OFFLINE:
		if (inst->state == WP_RESOURCE_FAILED) {
			/* WSFC: offline of a Failed resource succeeds; terminate already ran. */
			set_state(inst, WP_RESOURCE_OFFLINE);
			return;
		}
		if (inst->state != WP_RESOURCE_ONLINE) {
			emit_state(inst);
			return;
		}
		stop_monitoring(inst);
		inst->checkpoint = 0;
		inst->early_status_set = false;
		set_pending_op(inst, CALL_OFFLINE, false);
		submit(inst, CALL_OFFLINE, flags, NULL);
		return;
	case CALL_LOOKS_ALIVE:
	case CALL_IS_ALIVE:
		if (inst->state == WP_RESOURCE_ONLINE)
			submit(inst, call, 0, NULL);
		return;
	case CALL_CLOSE:
		if (inst->state != WP_RESOURCE_OFFLINE && inst->state != WP_RESOURCE_FAILED &&
		    inst->opened) {
			/* Close only what has stopped: terminate first, then come back. */
			enqueue(inst, CALL_CLOSE, 0, NULL, true);
			begin_terminate(inst, "close", false);
			return;
		}
		submit(inst, CALL_CLOSE, 0, NULL);
		return;
	case CALL_ARBITRATE:
	case CALL_RELEASE:
		if (!(call == CALL_ARBITRATE ? (void *) inst->type->ops->arbitrate
					     : (void *) inst->type->ops->release)) {
			struct json_object *e = event_new(call_kind_name(call), inst);

			json_object_object_add(e, "status", json_object_new_int(-EOPNOTSUPP));
			emit(e);
			return;
		}
		submit(inst, call, 0, NULL);
		return;
	default:
		submit(inst, call, flags, c);
		return;
	}
}

static void run_queue(instance *inst)
{
	while (inst->queue_head && inst->busy == CALL_NONE && !inst->terminating) {
		queued_call *r = inst->queue_head;

		inst->queue_head = r->next;
		if (!inst->queue_head)
			inst->queue_tail = NULL;
		start(inst, r->call, r->flags, r->control);
		free(r);
	}
}

static void request(instance *inst, call_kind call, uint32_t flags, control_call *c)
{
	if (inst->busy != CALL_NONE || inst->terminating) {
		/* Polls are not worth queueing: the next tick will do. */
		if (call == CALL_LOOKS_ALIVE)
			return;
		if (call == CALL_IS_ALIVE)
			for (queued_call *r = inst->queue_head; r; r = r->next)
				if (r->call == CALL_IS_ALIVE)
					return;
		/* A failed looks_alive wants is_alive "at once": next in line. */
		enqueue(inst, call, flags, c, call == CALL_IS_ALIVE);
		return;
	}
	start(inst, call, flags, c);
}

/* ---- monitoring: polls, the pending timer, event descriptors -------------------------------- */

static void disable_timer(sd_event_source **s)
{
	*s = sd_event_source_disable_unref(*s);
}

/* A poll came due (schedule.c); it is already rescheduled. */
void instance_poll(poll_entry *p)
{
	request(p->inst, p->call, 0, NULL);
}

static void fd_watch_release(instance *inst)
{
	fd_watch *w;

	if (inst->event_fd < 0)
		return;
	w = idmap_get(&rm.watches, (uint64_t) inst->event_fd);
	inst->event_fd = -1;
	if (w && --w->users == 0) {
		idmap_remove(&rm.watches, (uint64_t) w->fd);
		sd_event_source_disable_unref(w->source);
		free(w);
	}
}

static void stop_monitoring(instance *inst)
{
	unschedule_poll(&inst->looks_poll);
	unschedule_poll(&inst->is_poll);
	disable_timer(&inst->pending_timer);
	/* Stop watching before terminate/offline runs: the plugin may close the descriptor. */
	fd_watch_release(inst);
}

static void start_monitoring(instance *inst)
{
	unschedule_poll(&inst->looks_poll);
	/* An event descriptor replaces LooksAlive polling; IsAlive polling always runs. */
	if (inst->event_fd < 0 && inst->looks_alive_ms != WP_INFINITE)
		schedule_poll(&inst->looks_poll, inst->looks_alive_ms);
	schedule_poll(&inst->is_poll, inst->is_alive_ms);
	set_status_information(inst, WP_RES_STATUS_UNMONITORED,
			       inst->event_fd < 0 && inst->looks_alive_ms == WP_INFINITE &&
					       inst->is_alive_ms == WP_INFINITE
				       ? WP_RES_STATUS_UNMONITORED
				       : 0,
			       "monitoring");
}

static int on_event_fd(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	fd_watch *w = userdata;
	uint64_t t = now_us();
	instance *hit[64], *only = NULL;
	size_t n_hit = 0, iter = 0;
	uint32_t errors[64];
	void *v;

	/* Who failed? The instances the plugin marked, or the sole watcher. Marks are set
	 * under the lock by mark_event_failure before the descriptor is made readable. */
	pthread_mutex_lock(&rm.lock);
	while (idmap_next(&rm.instances, &iter, NULL, &v)) {
		instance *inst = v;

		if (inst->event_fd != fd)
			continue;
		only = inst;
		if (inst->event_mark && n_hit < ELEMENTSOF(hit)) {
			errors[n_hit] = inst->event_mark_error;
			hit[n_hit++] = inst;
			inst->event_mark = false;
		}
	}
	pthread_mutex_unlock(&rm.lock);

	if (n_hit == 0 && w->users == 1 && only) {
		errors[0] = 0;
		hit[n_hit++] = only;
	}
	if (n_hit == 0) {
		emit_log(NULL, WP_LOG_WARNING,
			 "event descriptor %d shared by %u resources became readable, but none was "
			 "marked with mark_event_failure, ignoring",
			 fd, w->users);
		return 0;
	}
	/* fail_instance releases the watch when the last watcher goes: w may be freed. */
	for (size_t i = 0; i < n_hit; i++)
		fail_instance(hit[i], "event_fd", WP_FAILURE_TYPE_GENERAL, errors[i], t);
	return 0;
}

static int fd_watch_add(instance *inst, int fd)
{
	fd_watch *w;
	int r;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	w = idmap_get(&rm.watches, (uint64_t) fd);
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return -ENOMEM;
		w->fd = fd;
		/* Edge-triggered: a pidfd stays readable after exit and a shared eventfd stays
		 * readable until someone drains it; we want one wake-up per signal, not a spin. */
		r = sd_event_add_io(rm.event, &w->source, fd, EPOLLIN | EPOLLET, on_event_fd, w);
		if (r < 0) {
			free(w);
			return r;
		}
		sd_event_source_set_priority(w->source, SD_EVENT_PRIORITY_IMPORTANT);
		if (idmap_put(&rm.watches, (uint64_t) fd, w) < 0) {
			sd_event_source_disable_unref(w->source);
			free(w);
			return -ENOMEM;
		}
	}
	w->users++;
	pthread_mutex_lock(&rm.lock);
	inst->event_fd = fd;
	inst->event_mark = false;
	pthread_mutex_unlock(&rm.lock);
	return 0;
}

static int on_pending_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	instance *inst = userdata;

	emit_log(inst, WP_LOG_ERROR, "no status report for %" PRIu32 " ms while %s",
		 instance_pending_ms(inst), resource_state_name(inst->state));
	fail_instance(inst, "pending_timeout", WP_FAILURE_TYPE_GENERAL, 0, now_us());
	return 0;
}

static void arm_pending_timer(instance *inst)
{
	uint64_t usec = (uint64_t) instance_pending_ms(inst) * USEC_PER_MSEC;

	if (inst->pending_timer) {
		sd_event_source_set_time_relative(inst->pending_timer, usec);
		sd_event_source_set_enabled(inst->pending_timer, SD_EVENT_ONESHOT);
		return;
	}
	if (sd_event_add_time_relative(rm.event, &inst->pending_timer, CLOCK_MONOTONIC, usec,
				       USEC_PER_MSEC, on_pending_timeout, inst) < 0)
		inst->pending_timer = NULL;
}

/* Online reached, by online() returning 0 or by a status report. */
static void become_online(instance *inst, int event_fd)
{
	disable_timer(&inst->pending_timer);
	set_pending_op(inst, CALL_NONE, false);
	if (event_fd >= 0) {
		int r = fd_watch_add(inst, event_fd);

		if (r < 0) {
			emit_error("online", inst, "plugin handed back an unusable event descriptor %d: %s",
				   event_fd, strerror(-r));
			fail_instance(inst, "online", WP_FAILURE_TYPE_GENERAL, 0, now_us());
			return;
		}
	}
	set_state(inst, WP_RESOURCE_ONLINE);
	start_monitoring(inst);
}

static void become_offline(instance *inst)
{
	disable_timer(&inst->pending_timer);
	set_pending_op(inst, CALL_NONE, false);
	set_state(inst, WP_RESOURCE_OFFLINE);
}

/* ---- failures ------------------------------------------------------------------------------ */

/* Something is running that can fail: Online, pending, or an online/offline call that has
 * not finished being judged (its result handler is what reports the failure). */
static bool can_fail(const instance *inst)
{
	return inst->state == WP_RESOURCE_ONLINE || is_pending(inst->state) ||
	       inst->pending_op != CALL_NONE;
}

static const char *const embedded_actions[] = { "none", "log", "terminate" };

static void fail_instance(instance *inst, const char *source, int failure_type,
			  uint32_t app_error, uint64_t t_us)
{
	const char *action = "terminate";
	struct json_object *e;

	if (!inst->opened || (inst->terminating && inst->fail_on_terminate))
		return; /* already on its way to Failed */
	if (!can_fail(inst) && strcmp(source, "fail") != 0) {
		log_debug("%s: failure from %s ignored: resource is %s", inst->name, source,
			  resource_state_name(inst->state));
		emit_log(inst, WP_LOG_WARNING, "failure reported by %s while %s, ignoring",
			 source, resource_state_name(inst->state));
		return;
	}
	if (failure_type == WP_FAILURE_TYPE_EMBEDDED)
		action = embedded_actions[inst->embedded_failure_action];
	if (strcmp(source, "not_available") == 0)
		action = "none";
	inst->last_app_error = app_error;

	e = event_new("failure", inst);
	json_object_object_add(e, "t_us", json_object_new_int64((int64_t) t_us));
	json_object_object_add(e, "source", json_object_new_string(source));
	json_object_object_add(e, "failure_type", json_object_new_int(failure_type));
	json_object_object_add(e, "app_error", json_object_new_int64(app_error));
	json_object_object_add(e, "action", json_object_new_string(action));
	emit(e);

	/* The failure first, then what it changed. */
	if (failure_type == WP_FAILURE_TYPE_EMBEDDED)
		set_status_information(inst, WP_RES_STATUS_EMBEDDED_FAILURE,
				       WP_RES_STATUS_EMBEDDED_FAILURE, "embedded_failure");
	else if (failure_type == WP_FAILURE_TYPE_NETWORK_LOSS)
		set_status_information(inst, WP_RES_STATUS_NETWORK_FAILURE,
				       WP_RES_STATUS_NETWORK_FAILURE, "network_loss");
	if (strcmp(action, "log") == 0)
		emit_log(inst, WP_LOG_WARNING, "embedded failure (application error %" PRIu32
			 "): EmbeddedFailureAction is LogOnly", app_error);
	if (strcmp(source, "not_available") == 0) {
		stop_monitoring(inst);
		set_pending_op(inst, CALL_NONE, false);
		if (inst->state == WP_RESOURCE_FAILED)
			emit_state(inst); /* this attempt is over too */
		else
			set_state(inst, WP_RESOURCE_FAILED);
		return;
	}
	if (strcmp(action, "terminate") != 0)
		return;
	begin_terminate(inst, source, true);
}

/* ---- completions --------------------------------------------------------------------------- */

static void free_instance(instance *inst)
{
	for (char **p = inst->params; p && *p; p++)
		free(*p);
	free(inst->params);
	for (size_t i = 0; i < inst->n_dump_processes; i++)
		free(inst->dump_processes[i]);
	free(inst->dump_processes);
	while (inst->queue_head) {
		queued_call *r = inst->queue_head;
		inst->queue_head = r->next;
		free(r);
	}
	free(inst->name);
	free(inst);
}

static void remove_instance(instance *inst)
{
	stop_monitoring(inst);
	control_drop_instance(inst->id);
	idmap_remove(&rm.instances, inst->id);
	pthread_mutex_lock(&rm.lock);
	idmap_remove(&rm.handles, inst->token);
	pthread_mutex_unlock(&rm.lock);
	free_instance(inst);
	if (rm.shutting_down && rm.instances.count == 0)
		sd_event_exit(rm.event, 0);
}

/* A plugin result outside the dialect: positive garbage, or a value no errno has. */
static bool result_ok(int r)
{
	return r <= 0 && r > -4096;
}

/* online/offline answered -EINPROGRESS: pending until reports say otherwise. A report the
 * plugin made before its entry point returned was held; it counts now. */
static void enter_pending(instance *inst, int state)
{
	set_state(inst, state);
	arm_pending_timer(inst);
	if (inst->early_status_set) {
		msg m = { .kind = MSG_STATUS, .token = inst->token, .t_us = now_us(),
			  .status = inst->early_status, .status_ex = true };

		inst->early_status_set = false;
		instance_handle_msg(&m);
	}
}

/* online/offline returned an error, or a value outside the dialect. */
static void operation_failed(instance *inst, call_job *job)
{
	const char *op = call_kind_name(job->call);

	if (!result_ok(job->r))
		emit_error(op, inst, "%s returned invalid value %d", op, job->r);
	else
		emit_log(inst, WP_LOG_ERROR, "%s failed: %s", op, strerror(-job->r));
	fail_instance(inst, op, WP_FAILURE_TYPE_GENERAL, result_ok(job->r) ? (uint32_t) -job->r : 0,
		      now_us());
}

static void online_done(instance *inst, call_job *job)
{
	if (job->r == 0)
		become_online(inst, job->event_fd);
	else if (job->r == -EINPROGRESS)
		enter_pending(inst, WP_RESOURCE_ONLINE_PENDING);
	else if (job->r == -EBUSY)
		fail_instance(inst, "not_available", WP_FAILURE_TYPE_GENERAL, 0, now_us());
	else
		operation_failed(inst, job);
}

static void offline_done(instance *inst, call_job *job)
{
	if (job->r == 0)
		become_offline(inst);
	else if (job->r == -EINPROGRESS)
		enter_pending(inst, WP_RESOURCE_OFFLINE_PENDING);
	else
		operation_failed(inst, job);
}

static void poll_done(instance *inst, call_job *job)
{
	bool looks = job->call == CALL_LOOKS_ALIVE;

	if (!job->alive || inst->report_polls) {
		struct json_object *e = event_new(call_kind_name(job->call), inst);

		json_object_object_add(e, "result", json_object_new_boolean(job->alive));
		emit(e);
	}
	if (job->alive || inst->state != WP_RESOURCE_ONLINE)
		return;
	if (looks)
		request(inst, CALL_IS_ALIVE, 0, NULL); /* "LooksAlive FALSE ⇒ IsAlive at once" */
	else
		fail_instance(inst, "is_alive", WP_FAILURE_TYPE_GENERAL, 0, now_us());
}

/* Returns false if the instance is gone. */
static bool open_done(instance *inst, call_job *job)
{
	if (job->r != 0 || !job->new_resid) {
		if (job->errbuf[0])
			emit_error("open", inst, "%s", job->errbuf);
		else if (job->r == 0)
			emit_error("open", inst, "open returned no instance");
		else if (!result_ok(job->r))
			emit_error("open", inst, "open returned invalid value %d", job->r);
		else
			emit_error("open", inst, "open failed: %s", strerror(-job->r));
		remove_instance(inst);
		return false;
	}
	inst->resid = job->new_resid;
	pthread_mutex_lock(&rm.lock);
	inst->opened = true;
	inst->state = WP_RESOURCE_OFFLINE;
	pthread_mutex_unlock(&rm.lock);
	emit(event_new("open", inst));
	emit_state(inst);
	return true;
}

static void result_event(instance *inst, call_job *job)
{
	struct json_object *e = event_new(call_kind_name(job->call), inst);

	json_object_object_add(e, "status", json_object_new_int(job->r));
	emit(e);
}

void instance_call_done(call_job *job)
{
	instance *inst = by_token(job->token);
	bool stale;

	watchdog_remove(job);
	if (job->call == CALL_TYPE_CONTROL || (job->call == CALL_CONTROL && !inst)) {
		control_call_done(job);
		free(job);
		return;
	}
	if (!inst) {
		free(job);
		return;
	}
	if (job->call == CALL_TERMINATE) {
		pthread_mutex_lock(&rm.lock);
		inst->terminating = false;
		pthread_mutex_unlock(&rm.lock);
		set_pending_op(inst, CALL_NONE, inst->pending_terminated);
		/* Always said, even unchanged: an online that failed from Failed ends Failed
		 * again, and the parent must learn that this failure is over too. */
		if (inst->state == (inst->fail_on_terminate ? WP_RESOURCE_FAILED : WP_RESOURCE_OFFLINE))
			emit_state(inst);
		else
			set_state(inst, inst->fail_on_terminate ? WP_RESOURCE_FAILED
								: WP_RESOURCE_OFFLINE);
		free(job);
		run_queue(inst);
		return;
	}

	inst->busy = CALL_NONE;
	inst->busy_job = NULL;
	stale = job->generation != inst->generation;
	switch (job->call) {
	case CALL_OPEN:
		if (!open_done(inst, job)) {
			free(job);
			return;
		}
		break;
	case CALL_CLOSE:
		emit(event_new("close", inst));
		free(job);
		remove_instance(inst);
		return;
	case CALL_ONLINE:
		if (!stale)
			online_done(inst, job);
		break;
	case CALL_OFFLINE:
		if (!stale)
			offline_done(inst, job);
		break;
	case CALL_LOOKS_ALIVE:
	case CALL_IS_ALIVE:
		if (!stale)
			poll_done(inst, job);
		break;
	case CALL_CONTROL:
		control_call_done(job);
		break;
	default:
		result_event(inst, job);
		break;
	}
	free(job);
	run_queue(inst);
}

/* ---- messages from plugin threads ----------------------------------------------------------- */

static void handle_status(instance *inst, msg *m)
{
	const wp_resource_status *st = &m->status;
	struct json_object *e;

	/* Reported before online/offline returned -EINPROGRESS: hold it until it does. */
	if (inst->busy == CALL_ONLINE || inst->busy == CALL_OFFLINE) {
		inst->early_status = *st;
		inst->early_status_set = true;
		return;
	}
	if (!is_pending(inst->state)) {
		emit_log(inst, WP_LOG_WARNING, "status report while %s, ignoring",
			 resource_state_name(inst->state));
		return;
	}
	if (m->status_ex) {
		inst->last_app_error = st->app_error;
	}
	e = event_new("status", inst);
	json_object_object_add(e, "t_us", json_object_new_int64((int64_t) m->t_us));
	json_object_object_add(e, "state", json_object_new_int(st->state));
	json_object_object_add(e, "checkpoint", json_object_new_int64(st->checkpoint));
	json_object_object_add(e, "app_error", json_object_new_int64(st->app_error));
	json_object_object_add(e, "flags", json_object_new_int64(st->flags));

	switch (st->state) {
	case WP_RESOURCE_PENDING:
	case WP_RESOURCE_ONLINE_PENDING:
	case WP_RESOURCE_OFFLINE_PENDING:
		/* Progress counts only if the checkpoint grew. */
		if (st->checkpoint <= inst->checkpoint && inst->checkpoint != 0) {
			json_object_put(e);
			emit_log(inst, WP_LOG_WARNING,
				 "status report with checkpoint %" PRIu32 " after %" PRIu32
				 ", not counted as progress",
				 st->checkpoint, inst->checkpoint);
			return;
		}
		emit(e);
		inst->checkpoint = st->checkpoint;
		arm_pending_timer(inst);
		return;
	case WP_RESOURCE_ONLINE:
		emit(e);
		if (inst->state != WP_RESOURCE_ONLINE_PENDING) {
			emit_error("set_resource_status", inst, "Online reported while %s",
				   resource_state_name(inst->state));
			return;
		}
		become_online(inst, st->event_fd);
		return;
	case WP_RESOURCE_OFFLINE:
		emit(e);
		become_offline(inst);
		return;
	case WP_RESOURCE_FAILED:
	case WP_RESOURCE_CANNOT_COME_ONLINE_ON_THIS_NODE:
	case WP_RESOURCE_CANNOT_COME_ONLINE_ON_ANY_NODE:
		emit(e);
		fail_instance(inst,
			      inst->state == WP_RESOURCE_OFFLINE_PENDING ? "offline" : "online",
			      WP_FAILURE_TYPE_GENERAL, st->app_error, m->t_us);
		return;
	default:
		json_object_put(e);
		emit_error("set_resource_status", inst, "invalid state %d reported", st->state);
		return;
	}
}

static void add_dump_process(char ***list, size_t *n, const char *name, int pid, bool add)
{
	char *entry;

	if (asprintf(&entry, "%s:%d", name, pid) < 0)
		return;
	pthread_mutex_lock(&rm.lock);
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], entry) == 0) {
			if (!add) {
				free((*list)[i]);
				(*list)[i] = (*list)[--*n];
			}
			pthread_mutex_unlock(&rm.lock);
			free(entry);
			return;
		}
	if (add) {
		char **bigger = realloc(*list, (*n + 1) * sizeof(char *));
		if (bigger) {
			*list = bigger;
			(*list)[(*n)++] = entry;
			entry = NULL;
		}
	}
	pthread_mutex_unlock(&rm.lock);
	free(entry);
}

static const char *const level_names[] = { "information", "warning", "error", "severe" };

void instance_handle_msg(msg *m)
{
	instance *inst = by_token(m->token);
	struct json_object *e;

	switch (m->kind) {
	case MSG_CALL_DONE:
		instance_call_done(m->job);
		return;
	case MSG_TERMINATE_ENTERED:
		if (!inst)
			return;
		e = event_new("terminate", inst);
		json_object_object_add(e, "t_us", json_object_new_int64((int64_t) m->t_us));
		json_object_object_add(e, "reason", json_object_new_string(
							   inst->terminate_reason ? inst->terminate_reason
										  : "request"));
		emit(e);
		return;
	case MSG_BAD_CALLBACK:
		emit_error("callback", NULL, "%s", m->text ? m->text : "invalid callback");
		return;
	case MSG_TYPE_NOTIFICATION: {
		char *hex = hex_encode(m->payload, m->payload_size);

		e = event_new("type_notification", NULL);
		json_object_object_add(e, "type", json_object_new_string(m->type));
		json_object_object_add(e, "payload", json_object_new_string(hex ? hex : ""));
		free(hex);
		emit(e);
		return;
	}
	case MSG_CONTROL_END:
		control_handle_end(m);
		return;
	case MSG_CONTROL_EXTEND:
		control_handle_extend(m);
		return;
	case MSG_WORKER:
		e = event_new("worker", NULL);
		if (m->instance_id)
			json_object_object_add(e, "id", json_object_new_int64(m->instance_id));
		json_object_object_add(e, "action", json_object_new_string(m->action));
		json_object_object_add(e, "workers", json_object_new_int(m->workers));
		if (strcmp(m->action, "exit") == 0)
			json_object_object_add(e, "status", json_object_new_int(m->status_code));
		emit(e);
		return;
	case MSG_DUMP_PROCESS:
		if (m->type)
			add_dump_process(&rm.type_dump_processes, &rm.n_type_dump_processes,
					 m->text, m->pid, m->add);
		else if (inst)
			add_dump_process(&inst->dump_processes, &inst->n_dump_processes, m->text,
					 m->pid, m->add);
		else
			return;
		e = event_new("dump_process", m->type ? NULL : inst);
		if (m->type)
			json_object_object_add(e, "type", json_object_new_string(m->type));
		json_object_object_add(e, "process", json_object_new_string(m->text));
		json_object_object_add(e, "pid", json_object_new_int(m->pid));
		json_object_object_add(e, "add", json_object_new_boolean(m->add));
		emit(e);
		return;
	default:
		break;
	}

	if (!inst)
		return; /* the instance was closed after the callback checked its handle */

	switch (m->kind) {
	case MSG_STATUS:
		handle_status(inst, m);
		return;
	case MSG_LOG:
		e = event_new("log", inst);
		json_object_object_add(e, "t_us", json_object_new_int64((int64_t) m->t_us));
		json_object_object_add(e, "level", json_object_new_int(m->level));
		json_object_object_add(e, "level_name", json_object_new_string(level_names[m->level]));
		json_object_object_add(e, "message",
				       json_object_new_string(m->text ? m->text : ""));
		emit(e);
		return;
	case MSG_FAILURE:
		fail_instance(inst, "signal", m->failure_type, m->app_error, m->t_us);
		return;
	case MSG_QUORUM_LOST:
		emit(event_new("quorum_lost", inst));
		fail_instance(inst, "quorum_lost", WP_FAILURE_TYPE_GENERAL, 0, m->t_us);
		return;
	case MSG_STATUS_INFO:
		set_status_information(inst, m->mask, m->bits, m->text ? m->text : "plugin");
		return;
	case MSG_PROPERTIES: {
		struct json_object *props = json_object_new_object();

		for (char **p = m->strv; p && *p; p++) {
			char *eq = strchr(*p, '=');
			*eq = '\0';
			json_object_object_add(props, *p, json_object_new_string(eq + 1));
		}
		e = event_new("properties", inst);
		json_object_object_add(e, "properties", props);
		emit(e);
		return;
	}
	default:
		return;
	}
}

/* ---- commands from the parent --------------------------------------------------------------- */

/* Reads an optional u32 field. Returns 0 (absent: *ret untouched) or -EINVAL. */
static int opt_u32(struct json_object *cmd, const char *key, uint32_t min, uint32_t max,
		   uint32_t *ret, const char **ret_bad)
{
	struct json_object *v;
	uint32_t x;

	if (!json_object_object_get_ex(cmd, key, &v))
		return 0;
	if (!jmsg_get_u32(cmd, key, &x) || x < min || x > max) {
		*ret_bad = key;
		return -EINVAL;
	}
	*ret = x;
	return 0;
}

static int parse_settings(struct json_object *cmd, instance *inst, const char **ret_bad)
{
	struct json_object *v;

	if (opt_u32(cmd, "looks_alive_ms", 1, WP_INFINITE, &inst->looks_alive_ms, ret_bad) < 0 ||
	    opt_u32(cmd, "is_alive_ms", 1, WP_INFINITE - 1, &inst->is_alive_ms, ret_bad) < 0 ||
	    opt_u32(cmd, "pending_timeout_ms", 1, WP_INFINITE, &inst->pending_timeout_ms,
		    ret_bad) < 0 ||
	    opt_u32(cmd, "deadlock_timeout_ms", 1, WP_INFINITE, &inst->deadlock_timeout_ms,
		    ret_bad) < 0 ||
	    opt_u32(cmd, "embedded_failure_action", 0, 2, &inst->embedded_failure_action,
		    ret_bad) < 0)
		return -EINVAL;
	if (json_object_object_get_ex(cmd, "report_polls", &v) &&
	    !jmsg_get_bool(cmd, "report_polls", &inst->report_polls)) {
		*ret_bad = "report_polls";
		return -EINVAL;
	}
	return 0;
}

static char **params_from_json(struct json_object *obj, const char **ret_bad)
{
	size_t n = obj ? (size_t) json_object_object_length(obj) : 0, i = 0;
	char **strv = calloc(n + 1, sizeof(char *));

	if (!strv)
		abort();
	if (!obj)
		return strv;
	json_object_object_foreach(obj, key, val) {
		if (!key[0] || strchr(key, '=') || !json_object_is_type(val, json_type_string) ||
		    asprintf(&strv[i], "%s=%s", key, json_object_get_string(val)) < 0) {
			for (size_t j = 0; j < i; j++)
				free(strv[j]);
			free(strv);
			*ret_bad = "params";
			return NULL;
		}
		i++;
	}
	return strv;
}

int instance_open(struct json_object *cmd)
{
	const char *name = jmsg_get_str(cmd, "name"), *type = jmsg_get_str(cmd, "type");
	const char *dll = jmsg_get_str(cmd, "dll"), *bad = NULL;
	struct json_object *params = NULL;
	_cleanup_free_ char *default_dll = NULL;
	instance *inst;
	uint32_t id;
	restype *t;
	int r;

	if (rm.shutting_down)
		return emit_error("open", NULL, "monitor is shutting down"), -ESHUTDOWN;
	if (!jmsg_get_u32(cmd, "id", &id) || id == 0)
		return emit_error("open", NULL, "'id' must be an integer 1..4294967295"), -EINVAL;
	if (idmap_get(&rm.instances, id)) {
		emit_error("open", NULL, "id %" PRIu32 " is already open", id);
		return -EEXIST;
	}
	if (!name || !name[0] || strlen(name) > NAME_MAX_LEN || !type || !type[0] ||
	    strlen(type) > NAME_MAX_LEN) {
		emit_error("open", NULL, "'name' and 'type' must be strings of 1..%d bytes",
			   NAME_MAX_LEN);
		return -EINVAL;
	}
	if (json_object_object_get_ex(cmd, "params", &params) &&
	    !json_object_is_type(params, json_type_object)) {
		emit_error("open", NULL, "'params' must be an object of strings");
		return -EINVAL;
	}
	if (!dll) {
		if (asprintf(&default_dll, "%s.so", type) < 0)
			return -ENOMEM;
		dll = default_dll;
	}

	inst = calloc(1, sizeof(*inst));
	if (!inst)
		abort();
	inst->id = id;
	inst->looks_alive_ms = DEFAULT_LOOKS_ALIVE_MS;
	inst->is_alive_ms = DEFAULT_IS_ALIVE_MS;
	inst->pending_timeout_ms = DEFAULT_PENDING_MS;
	inst->deadlock_timeout_ms = DEFAULT_DEADLOCK_MS;
	inst->embedded_failure_action = DEFAULT_EMBEDDED_ACTION;
	inst->state = WP_RESOURCE_INITIALIZING;
	inst->event_fd = -1;
	inst->looks_poll = (poll_entry) { .inst = inst, .call = CALL_LOOKS_ALIVE };
	inst->is_poll = (poll_entry) { .inst = inst, .call = CALL_IS_ALIVE };
	inst->name = strdup(name);
	if (!inst->name)
		abort();
	if (opt_u32(cmd, "flags", 0, WP_INFINITE, &inst->open_flags, &bad) < 0 ||
	    parse_settings(cmd, inst, &bad) < 0 || !(inst->params = params_from_json(params, &bad))) {
		emit_error("open", NULL, "invalid '%s'", bad);
		free_instance(inst);
		return -EINVAL;
	}
	r = restype_get(type, dll, &t);
	if (r < 0) {
		if (r == -EEXIST)
			emit_error("open", NULL, "type '%s' is already served by another plugin",
				   type);
		free_instance(inst);
		return r;
	}
	inst->type = t;

	pthread_mutex_lock(&rm.lock);
	inst->token = ++rm.next_token;
	r = idmap_put(&rm.handles, inst->token, inst);
	pthread_mutex_unlock(&rm.lock);
	if (r < 0 || idmap_put(&rm.instances, id, inst) < 0)
		abort();
	submit(inst, CALL_OPEN, inst->open_flags, NULL);
	return 0;
}

void instance_command(const char *op, instance *inst, struct json_object *cmd)
{
	uint32_t flags = 0;
	const char *bad = NULL;

	/* Commands that go through request() queue behind the open call; the ones that act at
	 * once have nothing to act on yet. */
	if (!inst->opened && (strcmp(op, "terminate") == 0 || strcmp(op, "fail") == 0)) {
		emit_error(op, inst, "resource is still opening");
		return;
	}
	if (inst->closing) {
		emit_error(op, inst, "resource is closing");
		return;
	}
	if (opt_u32(cmd, "flags", 0, WP_INFINITE, &flags, &bad) < 0) {
		emit_error(op, inst, "invalid 'flags'");
		return;
	}

	if (strcmp(op, "online") == 0) {
		if (inst->state == WP_RESOURCE_OFFLINE_PENDING) {
			emit_error(op, inst, "resource is going offline");
			return;
		}
		request(inst, CALL_ONLINE, flags, NULL);
	} else if (strcmp(op, "offline") == 0) {
		if (inst->state == WP_RESOURCE_ONLINE_PENDING ||
		    inst->state == WP_RESOURCE_OFFLINE_PENDING) {
			/* Abandon the pending work: terminate, ending Offline. */
			begin_terminate(inst, "offline", false);
			return;
		}
		request(inst, CALL_OFFLINE, flags, NULL);
	} else if (strcmp(op, "terminate") == 0) {
		begin_terminate(inst, "request", false);
	} else if (strcmp(op, "fail") == 0) {
		if (!can_fail(inst)) {
			emit_error(op, inst, "resource is %s, not online or pending",
				   resource_state_name(inst->state));
			return;
		}
		fail_instance(inst, "fail", WP_FAILURE_TYPE_GENERAL, 0, now_us());
	} else if (strcmp(op, "close") == 0) {
		inst->closing = true;
		request(inst, CALL_CLOSE, 0, NULL);
	} else if (strcmp(op, "arbitrate") == 0) {
		request(inst, CALL_ARBITRATE, 0, NULL);
	} else if (strcmp(op, "release") == 0) {
		request(inst, CALL_RELEASE, 0, NULL);
	} else if (strcmp(op, "cancel") == 0) {
		request(inst, CALL_CANCEL, flags, NULL);
	} else if (strcmp(op, "set") == 0) {
		instance tmp = *inst;

		if (parse_settings(cmd, &tmp, &bad) < 0) {
			emit_error(op, inst, "invalid '%s'", bad);
			return;
		}
		inst->looks_alive_ms = tmp.looks_alive_ms;
		inst->is_alive_ms = tmp.is_alive_ms;
		inst->pending_timeout_ms = tmp.pending_timeout_ms;
		inst->deadlock_timeout_ms = tmp.deadlock_timeout_ms;
		inst->embedded_failure_action = tmp.embedded_failure_action;
		inst->report_polls = tmp.report_polls;
		if (inst->state == WP_RESOURCE_ONLINE)
			start_monitoring(inst);
	} else if (strcmp(op, "control") == 0) {
		(void) control_start(cmd, inst, false);
	} else {
		emit_error(op, inst, "unknown op '%s'", op);
	}
}

void instance_request_control(instance *inst, control_call *c, uint32_t code)
{
	request(inst, CALL_CONTROL, code, c);
}

void instance_shutdown_all(void)
{
	size_t iter = 0, n = 0;
	instance **all;
	void *v;

	if (rm.shutting_down)
		return;
	rm.shutting_down = true;
	if (rm.instances.count == 0) {
		sd_event_exit(rm.event, 0);
		return;
	}
	all = calloc(rm.instances.count, sizeof(*all));
	if (!all)
		abort();
	while (idmap_next(&rm.instances, &iter, NULL, &v))
		all[n++] = v;
	/* Terminate what runs, then close everything: a dying parent leaves nothing behind. */
	for (size_t i = 0; i < n; i++) {
		if (!all[i]->closing) {
			all[i]->closing = true;
			if (all[i]->opened)
				request(all[i], CALL_CLOSE, 0, NULL);
			else
				enqueue(all[i], CALL_CLOSE, 0, NULL, false);
		}
	}
	free(all);
}
