/* SPDX-License-Identifier: MIT */
/*
 * The callbacks plugins call, from any thread. Each one checks its handle against the handle
 * table under the monitor lock (a handle is a never-reused token, not a pointer, so a stale or
 * made-up one is recognised, not dereferenced), copies its arguments into a message and lets
 * the main thread act. Only what a plugin needs back synchronously (set_resource_status's exit
 * state, enumerate_resources) is answered here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resmon.h"
#include "time-util.h"

#define LOG_EVENT_MAX 500       /* WSFC's LogEvent entry limit, in characters */
#define NOTIFICATION_MAX 4096
#define PROPERTIES_MAX 256

static void bad_callback(const char *callback, wp_resource_handle h, const char *why)
{
	msg *m = msg_new(MSG_BAD_CALLBACK, 0);
	char buf[160];

	snprintf(buf, sizeof(buf), "%s: %s handle %#" PRIxPTR, callback, why, (uintptr_t) h);
	m->text = strdup(buf);
	msg_post(m);
}

/* Looks the handle up; on success returns with rm.lock held. */
static instance *lock_instance(const char *callback, wp_resource_handle h)
{
	instance *inst;

	pthread_mutex_lock(&rm.lock);
	inst = h ? idmap_get(&rm.handles, (uintptr_t) h) : NULL;
	if (!inst) {
		pthread_mutex_unlock(&rm.lock);
		bad_callback(callback, h, h ? "unknown or closed resource" : "NULL resource");
	}
	return inst;
}

static int status_common(const char *callback, wp_resource_handle h, const wp_resource_status *st,
			 bool ex)
{
	instance *inst;
	int exit_state;
	msg *m;

	if (!st) {
		bad_callback(callback, h, "NULL status for");
		return -EINVAL;
	}
	inst = lock_instance(callback, h);
	if (!inst)
		return -ESTALE;
	/* A pending operation that was terminated: tell the worker to stop (WSFC's
	 * ResourceExitStateTerminate). */
	if (inst->pending_terminated) {
		pthread_mutex_unlock(&rm.lock);
		return WP_EXIT_STATE_TERMINATE;
	}
	/* Legal while online/offline runs or is pending; anything else is a plugin bug. */
	if (inst->pending_op != CALL_ONLINE && inst->pending_op != CALL_OFFLINE) {
		pthread_mutex_unlock(&rm.lock);
		bad_callback(callback, h, "no online/offline in progress for");
		return -EINVAL;
	}
	exit_state = inst->terminating ? WP_EXIT_STATE_TERMINATE : WP_EXIT_STATE_CONTINUE;
	m = msg_new(MSG_STATUS, inst->token);
	pthread_mutex_unlock(&rm.lock);
	m->status = *st;
	m->status_ex = ex;
	if (!ex) {
		m->status.app_error = 0;
		m->status.flags = 0;
	}
	msg_post(m);
	return exit_state;
}

static int cb_set_resource_status(wp_resource_handle h, const wp_resource_status *st)
{
	return status_common("set_resource_status", h, st, false);
}

static int cb_set_resource_status_ex(wp_resource_handle h, const wp_resource_status *st)
{
	return status_common("set_resource_status_ex", h, st, true);
}

static void cb_log_event(wp_resource_handle h, wp_log_level level, const char *format, ...)
{
	char buf[LOG_EVENT_MAX + 1];
	instance *inst;
	va_list ap;
	msg *m;

	if (!format) {
		bad_callback("log_event", h, "NULL format for");
		return;
	}
	inst = lock_instance("log_event", h);
	if (!inst)
		return;
	m = msg_new(MSG_LOG, inst->token);
	pthread_mutex_unlock(&rm.lock);

	va_start(ap, format);
	vsnprintf(buf, sizeof(buf), format, ap); /* cuts at 500 characters */
	va_end(ap);
	m->level = level >= WP_LOG_INFORMATION && level <= WP_LOG_SEVERE ? (int) level
									  : WP_LOG_ERROR;
	m->text = strdup(buf);
	msg_post(m);
}

static int post_failure(const char *callback, wp_resource_handle h, msg_kind kind, int type,
			uint32_t app_error)
{
	instance *inst = lock_instance(callback, h);
	msg *m;

	if (!inst)
		return -ESTALE;
	m = msg_new(kind, inst->token);
	pthread_mutex_unlock(&rm.lock);
	m->failure_type = type;
	m->app_error = app_error;
	msg_post(m);
	return 0;
}

static int cb_signal_failure(wp_resource_handle h, wp_failure_type type, uint32_t app_error)
{
	if ((int) type < WP_FAILURE_TYPE_GENERAL || type > WP_FAILURE_TYPE_NETWORK_LOSS) {
		bad_callback("signal_failure", h, "invalid failure type for");
		return -EINVAL;
	}
	return post_failure("signal_failure", h, MSG_FAILURE, type, app_error);
}

static void cb_quorum_resource_lost(wp_resource_handle h)
{
	(void) post_failure("quorum_resource_lost", h, MSG_QUORUM_LOST, WP_FAILURE_TYPE_GENERAL,
			    0);
}

static int post_status_info(const char *callback, wp_resource_handle h, uint32_t mask,
			    bool set, const char *reason)
{
	instance *inst = lock_instance(callback, h);
	msg *m;

	if (!inst)
		return -ESTALE;
	m = msg_new(MSG_STATUS_INFO, inst->token);
	pthread_mutex_unlock(&rm.lock);
	m->mask = mask;
	m->bits = set ? mask : 0;
	m->text = strdup(reason);
	msg_post(m);
	return 0;
}

static int cb_set_internal_state(wp_resource_handle h, wp_application_state state, bool active)
{
	uint32_t mask;

	switch (state) {
	case WP_APPLICATION_OS_HEARTBEAT:
		mask = WP_RES_STATUS_OS_HEARTBEAT;
		break;
	case WP_APPLICATION_READY:
		mask = WP_RES_STATUS_APPLICATION_READY;
		break;
	case WP_APPLICATION_STATE_UNKNOWN:
		/* "Unknown": the application's own state is no longer known; clear both. */
		mask = WP_RES_STATUS_OS_HEARTBEAT | WP_RES_STATUS_APPLICATION_READY;
		active = false;
		break;
	default:
		bad_callback("set_internal_state", h, "invalid application state for");
		return -EINVAL;
	}
	return post_status_info("set_internal_state", h, mask, active, "internal_state");
}

static int cb_set_resource_locked_mode(wp_resource_handle h, bool enabled, uint32_t reason)
{
	return post_status_info("set_resource_locked_mode", h, WP_RES_STATUS_LOCKED_MODE, enabled,
				"locked_mode");
}

static char **strv_copy_kv(const char *const *in, int *ret_err)
{
	size_t n = 0;
	char **out;

	for (; in && in[n]; n++)
		if (n >= PROPERTIES_MAX || !strchr(in[n], '=') || in[n][0] == '=') {
			*ret_err = -EINVAL;
			return NULL;
		}
	out = calloc(n + 1, sizeof(char *));
	if (!out) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!(out[i] = strdup(in[i]))) {
			for (size_t j = 0; j < i; j++)
				free(out[j]);
			free(out);
			*ret_err = -ENOMEM;
			return NULL;
		}
	return out;
}

static int cb_set_in_memory_properties(wp_resource_handle h, const char *const *props)
{
	int r = 0;
	char **copy = strv_copy_kv(props, &r);
	instance *inst;
	msg *m;

	if (!copy) {
		bad_callback("set_resource_in_memory_node_local_properties", h,
			     "malformed properties (want KEY=VALUE) for");
		return r;
	}
	inst = lock_instance("set_resource_in_memory_node_local_properties", h);
	if (!inst) {
		for (char **s = copy; *s; s++)
			free(*s);
		free(copy);
		return -ESTALE;
	}
	m = msg_new(MSG_PROPERTIES, inst->token);
	pthread_mutex_unlock(&rm.lock);
	m->strv = copy;
	msg_post(m);
	return 0;
}

static int control_msg(const char *callback, msg_kind kind, wp_control_ctx ctx, int status,
		       size_t bytes, uint32_t timeout_ms, bool type_level)
{
	control_call *c;
	msg *m;

	pthread_mutex_lock(&rm.lock);
	c = ctx > 0 ? idmap_get(&rm.controls, (uint64_t) ctx) : NULL;
	if (!c || (c->instance_id == 0) != type_level) {
		pthread_mutex_unlock(&rm.lock);
		m = msg_new(MSG_BAD_CALLBACK, 0);
		if (asprintf(&m->text, "%s: unknown control context %" PRId64, callback, ctx) < 0)
			m->text = NULL;
		msg_post(m);
		return -ENOENT;
	}
	/* On success bytes were written to the buffer; with -ENOBUFS they are the size needed. */
	if (kind == MSG_CONTROL_END && status >= 0 && bytes > c->out_size) {
		pthread_mutex_unlock(&rm.lock);
		m = msg_new(MSG_BAD_CALLBACK, 0);
		if (asprintf(&m->text, "%s: %zu bytes returned into a %zu-byte buffer", callback,
			     bytes, c->out_size) < 0)
			m->text = NULL;
		msg_post(m);
		return -EINVAL;
	}
	pthread_mutex_unlock(&rm.lock);
	m = msg_new(kind, 0);
	m->ctx = ctx;
	m->status_code = status;
	m->bytes = bytes;
	m->timeout_ms = timeout_ms;
	msg_post(m);
	return 0;
}

static int cb_extend_control_call(wp_control_ctx ctx, uint32_t ms)
{
	return control_msg("extend_control_call", MSG_CONTROL_EXTEND, ctx, 0, 0, ms, false);
}

static int cb_end_control_call(wp_control_ctx ctx, int status, size_t bytes)
{
	return control_msg("end_control_call", MSG_CONTROL_END, ctx, status, bytes, 0, false);
}

static int cb_extend_type_control_call(wp_control_ctx ctx, uint32_t ms)
{
	return control_msg("extend_type_control_call", MSG_CONTROL_EXTEND, ctx, 0, 0, ms, true);
}

static int cb_end_type_control_call(wp_control_ctx ctx, int status, size_t bytes)
{
	return control_msg("end_type_control_call", MSG_CONTROL_END, ctx, status, bytes, 0, true);
}

static int cb_change_resource_process_for_dumps(wp_resource_handle h, const char *name, pid_t pid,
						bool add)
{
	instance *inst;
	msg *m;

	if (!name || pid <= 0) {
		bad_callback("change_resource_process_for_dumps", h, "invalid process for");
		return -EINVAL;
	}
	inst = lock_instance("change_resource_process_for_dumps", h);
	if (!inst)
		return -ESTALE;
	m = msg_new(MSG_DUMP_PROCESS, inst->token);
	pthread_mutex_unlock(&rm.lock);
	m->text = strdup(name);
	m->pid = pid;
	m->add = add;
	msg_post(m);
	return 0;
}

static bool type_known(const char *type)
{
	bool found = false;

	pthread_mutex_lock(&rm.lock);
	for (restype *t = rm.types; t && !found; t = t->next)
		found = t->loaded && strcmp(t->name, type) == 0;
	pthread_mutex_unlock(&rm.lock);
	return found;
}

static int cb_change_res_type_process_for_dumps(const char *type, const char *name, pid_t pid,
						bool add)
{
	msg *m;

	if (!type || !name || pid <= 0 || !type_known(type)) {
		bad_callback("change_res_type_process_for_dumps", NULL, "invalid type or process,");
		return -EINVAL;
	}
	m = msg_new(MSG_DUMP_PROCESS, 0);
	m->type = strdup(type);
	m->text = strdup(name);
	m->pid = pid;
	m->add = add;
	msg_post(m);
	return 0;
}

static int cb_raise_res_type_notification(const char *type, const void *payload, size_t size)
{
	msg *m;

	if (!type || !type_known(type) || size > NOTIFICATION_MAX || (size && !payload)) {
		bad_callback("raise_res_type_notification", NULL, "invalid type or payload,");
		return -EINVAL;
	}
	m = msg_new(MSG_TYPE_NOTIFICATION, 0);
	m->type = strdup(type);
	m->payload = malloc(size ? size : 1);
	if (size)
		memcpy(m->payload, payload, size);
	m->payload_size = size;
	msg_post(m);
	return 0;
}

static int cb_enumerate_resources(const char *type, wp_resource_callback cb, void *userdata)
{
	struct snap {
		uint64_t token;
		char *name;
	} *snap = NULL;
	size_t n = 0, cap = 0;
	size_t iter = 0;
	void *v;
	int r = 0;

	if (!type || !cb)
		return -EINVAL;
	/* Snapshot under the lock, call out without it: cb may call back into us. */
	pthread_mutex_lock(&rm.lock);
	while (idmap_next(&rm.handles, &iter, NULL, &v)) {
		instance *inst = v;

		if (!inst->opened || strcmp(inst->type->name, type) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct snap *bigger = realloc(snap, cap * sizeof(*snap));
			if (!bigger) {
				r = -ENOMEM;
				break;
			}
			snap = bigger;
		}
		snap[n].token = inst->token;
		snap[n].name = strdup(inst->name);
		n++;
	}
	pthread_mutex_unlock(&rm.lock);

	for (size_t i = 0; i < n; i++) {
		if (r == 0 && snap[i].name) {
			int q = cb((wp_resource_handle) (uintptr_t) snap[i].token, snap[i].name,
				   userdata);
			if (q != 0)
				r = q;
		}
		free(snap[i].name);
	}
	free(snap);
	return r != 0 ? r : (int) n;
}

/*
 * Workers. The state lives in the plugin's wp_worker (like CLUS_WORKER), so a second
 * worker_terminate from another thread finds it intact after the first joined.
 */
typedef struct worker_impl {
	pthread_t thread;
	_Atomic uint32_t flags;
} worker_impl;

_Static_assert(sizeof(worker_impl) <= sizeof(wp_worker), "wp_worker too small");

enum {
	WORKER_STARTED = 1u << 0,
	WORKER_TERMINATE = 1u << 1,
	WORKER_JOINING = 1u << 2,
	WORKER_MAGIC = 0x5750u << 16,
};

typedef struct worker_start {
	wp_worker *worker;
	wp_worker_fn fn;
	void *userdata;
	uint32_t instance_id;
} worker_start;

static _Atomic int live_workers;

static void post_worker(const char *action, uint32_t instance_id, int status)
{
	msg *m = msg_new(MSG_WORKER, 0);

	m->action = action;
	m->instance_id = instance_id;
	m->workers = atomic_load(&live_workers);
	m->status_code = status;
	msg_post(m);
}

static void *worker_main(void *arg)
{
	worker_start ws = *(worker_start *) arg;
	int r;

	free(arg);
	r = ws.fn(ws.worker, ws.userdata);
	atomic_fetch_sub(&live_workers, 1);
	post_worker("exit", ws.instance_id, r);
	return NULL;
}

static int cb_worker_create(wp_worker *w, wp_worker_fn fn, void *userdata)
{
	worker_impl *wi = (worker_impl *) w;
	worker_start *ws;
	sigset_t all, old;
	uint32_t instance_id = pool_current_instance_id();
	int r;

	if (!w || !fn)
		return -EINVAL;
	ws = malloc(sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	*ws = (worker_start) { w, fn, userdata, instance_id };
	memset(w, 0, sizeof(*w));
	atomic_store(&wi->flags, WORKER_MAGIC | WORKER_STARTED);
	atomic_fetch_add(&live_workers, 1);
	/* Workers inherit a full signal mask: signals belong to the main loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&wi->thread, NULL, worker_main, ws);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		atomic_fetch_sub(&live_workers, 1);
		atomic_store(&wi->flags, 0);
		free(ws);
		return r;
	}
	post_worker("create", instance_id, 0); /* ws belongs to the thread now */
	return 0;
}

static bool cb_worker_check_terminate(wp_worker *w)
{
	worker_impl *wi = (worker_impl *) w;

	return !w || (atomic_load(&wi->flags) & WORKER_TERMINATE);
}

static void cb_worker_terminate(wp_worker *w)
{
	worker_impl *wi = (worker_impl *) w;
	uint32_t f;

	if (!w)
		return;
	f = atomic_load(&wi->flags);
	if ((f & 0xFFFF0000u) != WORKER_MAGIC || !(f & WORKER_STARTED))
		return; /* never started (zero-filled) or already joined */
	f = atomic_fetch_or(&wi->flags, WORKER_TERMINATE | WORKER_JOINING);
	if (f & WORKER_JOINING)
		return; /* someone else is joining: do not wait (ClusWorkerTerminate) */
	if (pthread_equal(wi->thread, pthread_self())) {
		pthread_detach(wi->thread); /* a worker terminating itself cannot join itself */
		return;
	}
	post_worker("terminate", pool_current_instance_id(), 0);
	pthread_join(wi->thread, NULL);
	atomic_fetch_and(&wi->flags, ~WORKER_STARTED);
}

static int cb_mark_event_failure(wp_resource_handle h, uint32_t app_error)
{
	instance *inst = lock_instance("mark_event_failure", h);

	if (!inst)
		return -ESTALE;
	inst->event_mark = true;
	inst->event_mark_error = app_error;
	pthread_mutex_unlock(&rm.lock);
	return 0;
}

const wp_resource_callbacks resmon_callbacks = {
	.size = sizeof(wp_resource_callbacks),
	.version = WP_RESAPI_VERSION,
	.set_resource_status = cb_set_resource_status,
	.set_resource_status_ex = cb_set_resource_status_ex,
	.log_event = cb_log_event,
	.signal_failure = cb_signal_failure,
	.quorum_resource_lost = cb_quorum_resource_lost,
	.set_internal_state = cb_set_internal_state,
	.set_resource_locked_mode = cb_set_resource_locked_mode,
	.set_resource_in_memory_node_local_properties = cb_set_in_memory_properties,
	.extend_control_call = cb_extend_control_call,
	.end_control_call = cb_end_control_call,
	.extend_type_control_call = cb_extend_type_control_call,
	.end_type_control_call = cb_end_type_control_call,
	.change_resource_process_for_dumps = cb_change_resource_process_for_dumps,
	.change_res_type_process_for_dumps = cb_change_res_type_process_for_dumps,
	.raise_res_type_notification = cb_raise_res_type_notification,
	.enumerate_resources = cb_enumerate_resources,
	.worker_create = cb_worker_create,
	.worker_check_terminate = cb_worker_check_terminate,
	.worker_terminate = cb_worker_terminate,
	.mark_event_failure = cb_mark_event_failure,
};
