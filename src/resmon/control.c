/* SPDX-License-Identifier: MIT */
/*
 * Control calls (ResourceControl / ResourceTypeControl and their Begin… forms). A resource's
 * control call queues behind its other calls like any entry point; a type's runs at once. An
 * asynchronous answer leaves the call open until the plugin calls end_(type_)control_call, or
 * until its deadline (the instance's pending timeout, movable with extend_(type_)control_call)
 * answers -ETIMEDOUT. The output buffer outlives a timed-out call until the plugin ends it or
 * its instance closes, because the plugin may still write into it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hex.h"
#include "macro.h"
#include "jmsg.h"
#include "resmon.h"
#include "time-util.h"

#define CONTROL_BUFFER_MAX      65536u
#define TYPE_CONTROL_TIMEOUT_MS 180000u
#define TYPE_DEADLOCK_MS        300000u

static void control_free(control_call *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&rm.lock);
	idmap_remove(&rm.controls, (uint64_t) c->ctx);
	pthread_mutex_unlock(&rm.lock);
	sd_event_source_disable_unref(c->timer);
	free(c->type);
	free(c->in);
	free(c->out);
	free(c);
}

static void result(control_call *c, int status, size_t bytes)
{
	struct json_object *e = event_new("control_result", NULL);
	char *hex = NULL;

	json_object_object_add(e, "req", json_object_new_int64(c->req));
	if (c->instance_id)
		json_object_object_add(e, "id", json_object_new_int64(c->instance_id));
	else
		json_object_object_add(e, "type", json_object_new_string(c->type));
	json_object_object_add(e, "status", json_object_new_int(status));
	json_object_object_add(e, "bytes", json_object_new_int64((int64_t) bytes));
	if (status >= 0 && bytes <= c->out_size)
		hex = hex_encode(c->out, bytes);
	else if (status != -ENOBUFS)
		bytes = 0;
	json_object_object_add(e, "out", json_object_new_string(hex ? hex : ""));
	json_object_object_add(e, "async", json_object_new_boolean(c->async));
	free(hex);
	emit(e);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
	control_call *c = userdata;

	result(c, -ETIMEDOUT, 0);
	c->timed_out = true;
	return 0;
}

static void arm_deadline(control_call *c, uint32_t ms)
{
	uint64_t usec = (uint64_t) ms * USEC_PER_MSEC;

	c->deadline_us = now_us() + usec;
	if (c->timer) {
		sd_event_source_set_time_relative(c->timer, usec);
		sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
	} else if (sd_event_add_time_relative(rm.event, &c->timer, CLOCK_MONOTONIC, usec,
					      USEC_PER_MSEC, on_deadline, c) < 0) {
		c->timer = NULL;
	}
}

static int on_type_deadlock(sd_event_source *s, uint64_t usec, void *userdata)
{
	control_call *c = userdata;
	struct json_object *e = event_new("deadlock", NULL);

	json_object_object_add(e, "type", json_object_new_string(c->type));
	json_object_object_add(e, "call", json_object_new_string("type_control"));
	json_object_object_add(e, "elapsed_ms", json_object_new_int64(TYPE_DEADLOCK_MS));
	json_object_object_add(e, "timeout_ms", json_object_new_int64(TYPE_DEADLOCK_MS));
	emit(e);
	emit_flush();
	_exit(3);
}

static uint32_t control_timeout_ms(const control_call *c)
{
	const instance *inst = c->instance_id ? idmap_get(&rm.instances, c->instance_id) : NULL;

	return inst ? instance_pending_ms(inst) : TYPE_CONTROL_TIMEOUT_MS;
}

int control_start(struct json_object *cmd, instance *inst, bool type_level)
{
	const char *op = type_level ? "type_control" : "control";
	const char *in = jmsg_get_str(cmd, "in");
	uint32_t req, code, out_size = 0;
	control_call *c;
	bool async = false;
	struct json_object *v;
	int r;

	if (!jmsg_get_u32(cmd, "req", &req) || !jmsg_get_u32(cmd, "code", &code) ||
	    (json_object_object_get_ex(cmd, "out_size", &v) &&
	     (!jmsg_get_u32(cmd, "out_size", &out_size) || out_size > CONTROL_BUFFER_MAX)) ||
	    (json_object_object_get_ex(cmd, "async", &v) && !jmsg_get_bool(cmd, "async", &async)) ||
	    (json_object_object_get_ex(cmd, "in", &v) && !in)) {
		emit_error(op, inst, "'req' and 'code' must be u32, 'out_size' at most %u, 'in' hex",
			   CONTROL_BUFFER_MAX);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->req = req;
	c->want_async = async;
	c->out_size = out_size;
	c->out = calloc(1, out_size ? out_size : 1);
	if (in) {
		r = hex_decode(in, &c->in, &c->in_size);
		if (r < 0 || c->in_size > CONTROL_BUFFER_MAX) {
			emit_error(op, inst, "'in' is not a hex string of at most %u bytes",
				   CONTROL_BUFFER_MAX);
			control_free(c);
			return -EINVAL;
		}
	}
	pthread_mutex_lock(&rm.lock);
	c->ctx = ++rm.next_ctx;
	r = idmap_put(&rm.controls, (uint64_t) c->ctx, c);
	pthread_mutex_unlock(&rm.lock);
	if (r < 0)
		abort();

	if (!type_level) {
		c->instance_id = inst->id;
		instance_request_control(inst, c, code);
		return 0;
	}

	const char *type = jmsg_get_str(cmd, "type"), *dll = jmsg_get_str(cmd, "dll");
	_cleanup_free_ char *default_dll = NULL;
	restype *t;
	call_job *job;

	if (!type || !type[0]) {
		emit_error(op, NULL, "'type' is required");
		control_free(c);
		return -EINVAL;
	}
	if (!dll && asprintf(&default_dll, "%s.so", type) >= 0)
		dll = default_dll;
	r = restype_get(type, dll ? dll : "", &t);
	if (r < 0) {
		emit_error(op, NULL, "type '%s': %s", type,
			   r == -EEXIST ? "served by another plugin" : strerror(-r));
		control_free(c);
		return r;
	}
	c->type = strdup(t->name);
	job = calloc(1, sizeof(*job));
	if (!job || !c->type)
		abort();
	job->call = CALL_TYPE_CONTROL;
	job->type = t;
	job->flags = code;
	job->control = c;
	job->start_us = now_us();
	/* The watchdog of a type call lives on the control record until the call returns. */
	if (sd_event_add_time_relative(rm.event, &c->timer, CLOCK_MONOTONIC,
				       (uint64_t) TYPE_DEADLOCK_MS * USEC_PER_MSEC, USEC_PER_MSEC,
				       on_type_deadlock, c) < 0)
		c->timer = NULL;
	if (pool_submit(job) < 0)
		_exit(1);
	return 0;
}

void control_call_done(call_job *job)
{
	control_call *c = job->control;
	bool async = job->alive;

	c->timer = sd_event_source_disable_unref(c->timer);
	if (job->errbuf[0]) {
		emit_error(call_kind_name(job->call), NULL, "%s", job->errbuf);
		result(c, job->r, 0);
		control_free(c);
		return;
	}
	if (async && job->r >= 0) {
		c->async = true;
		arm_deadline(c, c->early_extend_ms ? c->early_extend_ms : control_timeout_ms(c));
		if (c->early_end) {
			result(c, c->early_status, c->early_bytes);
			control_free(c);
		}
		return;
	}
	if (job->r > 1 || job->r < -4095 || (job->r >= 0 && c->bytes > c->out_size)) {
		instance *inst = c->instance_id ? idmap_get(&rm.instances, c->instance_id) : NULL;

		emit_error(call_kind_name(job->call), inst,
			   "control code %" PRIu32 " returned %d with %zu bytes for a %zu-byte buffer",
			   job->flags, job->r, c->bytes, c->out_size);
		result(c, -EBADE, 0);
	} else {
		result(c, job->r, c->bytes);
	}
	control_free(c);
}

void control_handle_end(msg *m)
{
	control_call *c = idmap_get(&rm.controls, (uint64_t) m->ctx);

	if (!c)
		return;
	if (!c->async) {
		/* The plugin ended it from a worker before begin's answer got here: hold it. */
		c->early_end = true;
		c->early_status = m->status_code;
		c->early_bytes = m->bytes;
		return;
	}
	if (!c->timed_out)
		result(c, m->status_code, m->bytes);
	control_free(c);
}

void control_handle_extend(msg *m)
{
	control_call *c = idmap_get(&rm.controls, (uint64_t) m->ctx);
	struct json_object *e;

	if (!c || c->timed_out)
		return;
	if (!c->async)
		c->early_extend_ms = m->timeout_ms; /* applied when begin's answer arrives */
	else
		arm_deadline(c, m->timeout_ms);
	e = event_new("control_extended", NULL);
	json_object_object_add(e, "req", json_object_new_int64(c->req));
	json_object_object_add(e, "timeout_ms", json_object_new_int64(m->timeout_ms));
	emit(e);
}

void control_drop_instance(uint32_t instance_id)
{
	control_call *drop[64];
	size_t n, iter;
	void *v;

	/* The instance was terminated and closed: its workers are gone, so are its buffers. */
	do {
		n = 0;
		iter = 0;
		while (n < 64 && idmap_next(&rm.controls, &iter, NULL, &v))
			if (((control_call *) v)->instance_id == instance_id)
				drop[n++] = v;
		for (size_t i = 0; i < n; i++) {
			if (drop[i]->async && !drop[i]->timed_out)
				result(drop[i], -ECANCELED, 0);
			control_free(drop[i]);
		}
	} while (n == 64);
}
