/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The Resource Monitor's internals.
 *
 * Threads. One main thread runs the sd-event loop and owns every decision: instance states,
 * timers, the parent socket. Entry points run on a pool of call threads (pool.c) so that a slow
 * or hung plugin never stalls the loop, and so that the watchdog on the main thread can see a
 * call overrun its DeadlockTimeout. Plugins call back from any thread (callbacks.c); a
 * callback validates its handle under the monitor lock, copies what it needs into a message and
 * wakes the main thread (queue.c), which acts on it in order.
 *
 * Locking. resmon.lock guards: the handle table, the fields of an instance marked "(locked)",
 * the message queue, the control-call table. The main thread takes it only to publish changes
 * that callbacks read; it never holds it across a plugin call.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "idmap.h"
#include "wolfpack/resapi.h"

struct json_object;

#define WP_INFINITE 0xFFFFFFFFu

/* Entry points, as the monitor names them in events and in its watchdog. */
typedef enum call_kind {
	CALL_NONE,
	CALL_OPEN,
	CALL_CLOSE,
	CALL_ONLINE,
	CALL_OFFLINE,
	CALL_TERMINATE,
	CALL_LOOKS_ALIVE,
	CALL_IS_ALIVE,
	CALL_ARBITRATE,
	CALL_RELEASE,
	CALL_CONTROL,
	CALL_TYPE_CONTROL,
	CALL_CANCEL,
	_CALL_MAX,
} call_kind;

const char *call_kind_name(call_kind k);

/* A loaded resource type (one per type name; several types may share one .so). */
typedef struct restype {
	char *name;
	char *dll;
	void *dl;
	const wp_resource_ops *ops;
	pthread_mutex_t load_lock; /* serialises loading on call threads */
	bool loaded;
	struct restype *next;
} restype;

/* A control call in flight (control.c). */
typedef struct control_call {
	int64_t ctx;
	uint32_t req;
	uint32_t instance_id; /* 0 for type controls */
	char *type;           /* type controls */
	uint8_t *in;
	size_t in_size;
	uint8_t *out;
	size_t out_size;
	size_t bytes;
	bool want_async;
	bool async;     /* the plugin answered asynchronously; waiting for end */
	bool timed_out; /* answered -ETIMEDOUT already; kept until end or close (the plugin may
			 * still write to out) */
	uint64_t deadline_us;
	sd_event_source *timer;
	/* end/extend that arrived before begin's "asynchronous" answer reached the main loop:
	 * held and applied when it does. */
	bool early_end;
	int early_status;
	size_t early_bytes;
	uint32_t early_extend_ms;
} control_call;

/* One poll (LooksAlive or IsAlive) of one instance in the poll scheduler (schedule.c). */
typedef struct poll_entry {
	struct instance *inst;
	call_kind call;          /* CALL_LOOKS_ALIVE or CALL_IS_ALIVE */
	uint64_t due_us;         /* CLOCK_MONOTONIC */
	struct poll_class *cls;  /* NULL while not scheduled */
	size_t idx;              /* position in cls's heap */
} poll_entry;

/* Requests queued on an instance while another call runs. */
typedef struct queued_call {
	call_kind call;
	uint32_t flags;
	control_call *control;
	struct queued_call *next;
} queued_call;

typedef struct instance {
	uint32_t id;        /* the parent's id */
	uint64_t token;     /* what the handle encodes; never reused */
	char *name;
	restype *type;
	char **params;      /* NULL-terminated KEY=VALUE */
	uint32_t open_flags;
	wp_resid resid;

	/* Settings (ms). */
	uint32_t looks_alive_ms, is_alive_ms, pending_timeout_ms, deadlock_timeout_ms;
	uint32_t embedded_failure_action;
	bool report_polls;

	/* State, main thread; state and pending_op are also read by callbacks (locked). */
	int state;
	call_kind pending_op;   /* CALL_ONLINE/CALL_OFFLINE while pending, or while the call runs */
	bool pending_terminated; /* (locked) that operation was terminated */
	uint32_t status_information;
	uint32_t checkpoint;
	uint32_t last_app_error;
	bool opened;            /* open returned successfully */
	bool closing;
	bool fail_on_terminate; /* terminate completes into Failed, not Offline */
	const char *terminate_reason;
	uint64_t generation;    /* bumped on terminate: completions of older calls are stale */

	/* Calls. At most one normal call and one terminate in flight. */
	call_kind busy;
	struct call_job *busy_job;
	bool terminating;       /* (locked) */
	queued_call *queue_head, *queue_tail;

	/* Monitoring. */
	poll_entry looks_poll, is_poll;
	sd_event_source *pending_timer;
	int event_fd;           /* watched descriptor, or -1 */
	bool event_mark;        /* (locked) mark_event_failure flagged us */
	uint32_t event_mark_error;

	/* A status report that arrived while online/offline was still running. */
	bool early_status_set;
	wp_resource_status early_status;

	/* Processes named for dumps, "name:pid" strings (locked). */
	char **dump_processes;
	size_t n_dump_processes;
} instance;

/* The whole monitor. */
typedef struct resmon {
	sd_event *event;
	int parent_fd;
	sd_event_source *parent_source;
	char **plugin_dirs;
	bool shutting_down;
	int exit_code;

	pthread_mutex_t lock;
	idmap instances;  /* id -> instance, main thread */
	idmap handles;    /* token -> instance (locked) */
	restype *types;   /* list (locked) */
	idmap controls;   /* ctx -> control_call (locked) */
	idmap watches;    /* fd -> fd_watch, main thread */
	uint64_t next_token;
	int64_t next_ctx;

	/* Type-level processes for dumps (locked). */
	char **type_dump_processes;
	size_t n_type_dump_processes;
} resmon;

extern resmon rm;

/* main.c: events to the parent. emit() takes ownership of obj. */
struct json_object *event_new(const char *name, const instance *inst);
void emit(struct json_object *obj);
void emit_flush(void); /* before _exit: hand the parent what still waits */
void emit_log(const instance *inst, int level, const char *fmt, ...) WP_PRINTF(3, 4);
void emit_error(const char *op, const instance *inst, const char *fmt, ...) WP_PRINTF(3, 4);

/* Diagnostics of the monitor itself (stderr), gated by --log-level. */
extern int log_max_level;
void log_full(int level, const char *fmt, ...) WP_PRINTF(2, 3);
#define log_debug(...) log_full(7, __VA_ARGS__)
#define log_info(...)  log_full(6, __VA_ARGS__)
#define log_warn(...)  log_full(4, __VA_ARGS__)
#define log_err(...)   log_full(3, __VA_ARGS__)

/* plugin.c */
int restype_get(const char *name, const char *dll, restype **ret);
int restype_load(restype *t, char *errbuf, size_t errlen);
extern const wp_resource_callbacks resmon_callbacks;

/* pool.c: runs entry points on call threads. */
typedef struct call_job {
	/* JOB_QUEUED until a call thread claims it (JOB_STARTED); a terminate dispatched before
	 * that claims it first (JOB_CANCELLED), and the plugin never sees the stale call. */
	_Atomic int claim;
	call_kind call;
	uint32_t instance_id;
	uint64_t token;
	uint64_t generation;
	restype *type;
	wp_resid resid;
	uint32_t flags;
	control_call *control;
	const char *name;
	char *const *params;
	/* results */
	int r;
	int event_fd;
	bool alive;
	wp_resid new_resid;
	char errbuf[256];
	uint64_t start_us;
	/* watchdog.c: in flight with a deadline (main thread). */
	bool watched;
	uint64_t deadline_us;
	struct call_job *wd_prev, *wd_next;
	/* pool.c: the run queue (pool lock). */
	struct call_job *pool_next;
	uint64_t queued_us;
} call_job;

enum { JOB_QUEUED, JOB_STARTED, JOB_CANCELLED };

int pool_start(void);
int pool_submit(call_job *job);
/* The instance token of the call running on this thread, or 0. */
uint64_t pool_current_token(void);
call_kind pool_current_call(void);
uint32_t pool_current_instance_id(void);

/* watchdog.c: one timer for the DeadlockTimeout of every call in flight (main thread). A call
 * still running timeout_ms after job->start_us ends the monitor (instance_deadlock). */
void watchdog_add(call_job *job, uint32_t timeout_ms);
void watchdog_remove(call_job *job);

/* schedule.c: the poll scheduler (main thread). Polls due within the same coalescing window
 * run from one timer dispatch; each runs instance_poll() and is due again interval_ms later. */
void schedule_poll(poll_entry *p, uint32_t interval_ms);
void unschedule_poll(poll_entry *p);

/* queue.c: messages from any thread to the main loop. */
typedef enum msg_kind {
	MSG_CALL_DONE,
	MSG_TERMINATE_ENTERED,
	MSG_STATUS,
	MSG_LOG,
	MSG_FAILURE,
	MSG_QUORUM_LOST,
	MSG_STATUS_INFO,
	MSG_PROPERTIES,
	MSG_DUMP_PROCESS,
	MSG_TYPE_NOTIFICATION,
	MSG_CONTROL_END,
	MSG_CONTROL_EXTEND,
	MSG_WORKER,
	MSG_BAD_CALLBACK,
} msg_kind;

typedef struct msg {
	msg_kind kind;
	uint64_t token;
	uint64_t t_us;
	call_job *job;               /* MSG_CALL_DONE, MSG_TERMINATE_ENTERED */
	wp_resource_status status;   /* MSG_STATUS */
	bool status_ex;
	int level;                   /* MSG_LOG */
	char *text;                  /* MSG_LOG message, MSG_DUMP_PROCESS name, type names */
	char *type;
	int failure_type;            /* MSG_FAILURE */
	uint32_t app_error;
	uint32_t mask, bits;         /* MSG_STATUS_INFO */
	char **strv;                 /* MSG_PROPERTIES */
	uint8_t *payload;            /* MSG_TYPE_NOTIFICATION */
	size_t payload_size;
	int64_t ctx;                 /* MSG_CONTROL_* */
	int status_code;
	size_t bytes;
	uint32_t timeout_ms;
	int pid;                     /* MSG_DUMP_PROCESS */
	bool add;
	const char *action;          /* MSG_WORKER */
	int workers;
	uint32_t instance_id;        /* MSG_WORKER: who created it, if known */
	struct msg *next;
} msg;

msg *msg_new(msg_kind kind, uint64_t token);
void msg_post(msg *m);
int queue_attach(sd_event *e);

/* instance.c: the state machine (main thread). */
void instance_handle_msg(msg *m);
void instance_call_done(call_job *job);
int instance_open(struct json_object *cmd);
void instance_command(const char *op, instance *inst, struct json_object *cmd);
void instance_shutdown_all(void);
void instance_request_control(instance *inst, control_call *c, uint32_t code);
uint32_t instance_pending_ms(const instance *inst);
void instance_poll(poll_entry *p);
_Noreturn void instance_deadlock(call_job *job);

/* control.c */
int control_start(struct json_object *cmd, instance *inst, bool type_level);
void control_call_done(call_job *job);
void control_handle_end(msg *m);
void control_handle_extend(msg *m);
void control_drop_instance(uint32_t instance_id);

/* crash.c */
void crash_handler_install(void);
