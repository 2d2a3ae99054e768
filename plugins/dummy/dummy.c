/* SPDX-License-Identifier: MIT */
/*
 * dummy - a scriptable resource type for the test suite.
 *
 * Every behaviour is chosen by the instance's private parameters (numbers are decimal; unknown
 * parameters are ignored; a malformed number or an unknown word makes open fail with -EINVAL).
 * README.md beside this file says the same in more detail.
 *
 *   OnlineMode=immediate|pending|error|busy|garbage     (immediate)
 *       0 | -EINPROGRESS and a worker reporting progress | -EIO | -EBUSY | 12345 (invalid)
 *   OfflineMode=immediate|pending|error                  (immediate)
 *   PendingCheckpoints=N (3), PendingIntervalMs=N (10)
 *       a pending worker sends N *_PENDING reports with checkpoints 1..N, then a final one,
 *       each after PendingIntervalMs
 *   PendingFinal=online|failed|offline|none              (online)
 *       final state of a pending online; none = keep working silently until stopped, so the
 *       monitor's pending timeout fires
 *   OfflinePendingFinal=offline|failed|none              (offline; an extension, same idea)
 *   FailAfterMs=N          once online, fail after N ms (absent: never)
 *   FailVia=signal|fd|looks_alive|is_alive|quorum        (signal)
 *   FailureType=0|1|2 (0), AppError=N (0)                for signal_failure / mark_event_failure
 *   EventFd=1              hand an eventfd back from online even without FailVia=fd
 *   SharedFd=1             use one eventfd shared by all such instances instead (implies an
 *                          eventfd is handed back)
 *   HangIn=<entry>, HangMs=N (3600000)                   <entry> sleeps first
 *   CrashIn=<entry>        <entry> dereferences NULL (a real SIGSEGV)
 *       <entry>: open close online offline terminate looks_alive is_alive control cancel
 *       arbitrate ("control" covers resource_control and begin_resource_control)
 *   LogAtOnline=1          online logs one line per level and a 700-character line
 *   ExerciseCallbacks=1    online calls most callbacks and logs "<callback>=<ret>"
 *   BadCallbacks=1         online calls callbacks with NULL/garbage handles and contexts and
 *                          logs "badcallbacks=<r>,<r>,..."
 *   CallbackAfterClose=1   close leaves a thread that calls back with the stale handle
 *
 * Control codes: 1 echo, 2 -EOPNOTSUPP, 3 WP_PROPERTIES_STORED; asynchronously (begin_*)
 * also 10 echo after 30 ms, 11 extend to 5000 ms then echo, 12 never answered. Type controls:
 * 1 echo, 10 asynchronous echo.
 *
 * Threads. Every piece of background work is a "job": a heap-allocated wp_worker plus what it
 * needs, linked on its instance under the instance lock. Whoever unlinks a job owns it, and is
 * the only one to worker_terminate() (join) and free it; unlinking also sets job->stopped, which
 * the worker checks under the same lock before it changes anything. So terminate, racing online,
 * offline, cancel or a control call (WSFC allows that), never joins a worker twice, never frees
 * one in use, and never lets a stopped worker mark the instance online or fail it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "wolfpack/resapi.h"

#define TYPE_NAME            "dummy"
#define WORKER_SLICE_MS      5u   /* how often a sleeping worker looks for worker_terminate */
#define ASYNC_CONTROL_MS     30u
#define EXTEND_DELAY_MS      10u  /* see control_worker */
#define EXTEND_TIMEOUT_MS    5000u
#define GARBAGE_ONLINE       12345
#define LONG_LOG_LEN         700u
#define NSEC_PER_MSEC        1000000ull
#define NSEC_PER_USEC        1000ull

/* ---- parameters ------------------------------------------------------------------------- */

typedef enum online_mode {
	ONLINE_IMMEDIATE,
	ONLINE_PENDING,
	ONLINE_ERROR,
	ONLINE_BUSY,
	ONLINE_GARBAGE,
	_ONLINE_MAX,
} online_mode;

typedef enum offline_mode {
	OFFLINE_IMMEDIATE,
	OFFLINE_PENDING,
	OFFLINE_ERROR,
	_OFFLINE_MAX,
} offline_mode;

/* Last report of a pending worker. */
typedef enum final_state {
	FINAL_ONLINE,
	FINAL_FAILED,
	FINAL_OFFLINE,
	FINAL_NONE,
	_FINAL_MAX,
} final_state;

typedef enum fail_via {
	VIA_SIGNAL,
	VIA_FD,
	VIA_LOOKS_ALIVE,
	VIA_IS_ALIVE,
	VIA_QUORUM,
	_VIA_MAX,
} fail_via;

/* Entry points HangIn / CrashIn can name. */
typedef enum entry {
	ENTRY_NONE,
	ENTRY_OPEN,
	ENTRY_CLOSE,
	ENTRY_ONLINE,
	ENTRY_OFFLINE,
	ENTRY_TERMINATE,
	ENTRY_LOOKS_ALIVE,
	ENTRY_IS_ALIVE,
	ENTRY_CONTROL,
	ENTRY_CANCEL,
	ENTRY_ARBITRATE,
	_ENTRY_MAX,
} entry;

static const char *const online_modes[_ONLINE_MAX] = {
	[ONLINE_IMMEDIATE] = "immediate", [ONLINE_PENDING] = "pending",
	[ONLINE_ERROR] = "error",         [ONLINE_BUSY] = "busy",
	[ONLINE_GARBAGE] = "garbage",
};

static const char *const offline_modes[_OFFLINE_MAX] = {
	[OFFLINE_IMMEDIATE] = "immediate",
	[OFFLINE_PENDING] = "pending",
	[OFFLINE_ERROR] = "error",
};

static const char *const online_finals[_FINAL_MAX] = {
	[FINAL_ONLINE] = "online",   [FINAL_FAILED] = "failed",
	[FINAL_OFFLINE] = "offline", [FINAL_NONE] = "none",
};

/* An offline cannot end Online: that slot stays NULL, so the word is rejected. */
static const char *const offline_finals[_FINAL_MAX] = {
	[FINAL_FAILED] = "failed",
	[FINAL_OFFLINE] = "offline",
	[FINAL_NONE] = "none",
};

static const char *const fail_vias[_VIA_MAX] = {
	[VIA_SIGNAL] = "signal",           [VIA_FD] = "fd",
	[VIA_LOOKS_ALIVE] = "looks_alive", [VIA_IS_ALIVE] = "is_alive",
	[VIA_QUORUM] = "quorum",
};

/* ENTRY_NONE has no name: it is the default and cannot be asked for. */
static const char *const entry_names[_ENTRY_MAX] = {
	[ENTRY_OPEN] = "open",
	[ENTRY_CLOSE] = "close",
	[ENTRY_ONLINE] = "online",
	[ENTRY_OFFLINE] = "offline",
	[ENTRY_TERMINATE] = "terminate",
	[ENTRY_LOOKS_ALIVE] = "looks_alive",
	[ENTRY_IS_ALIVE] = "is_alive",
	[ENTRY_CONTROL] = "control",
	[ENTRY_CANCEL] = "cancel",
	[ENTRY_ARBITRATE] = "arbitrate",
};

/* An instance's parameters, parsed once in open and read-only afterwards. */
typedef struct config {
	uint32_t online_mode;           /* online_mode */
	uint32_t offline_mode;          /* offline_mode */
	uint32_t pending_checkpoints;
	uint32_t pending_interval_ms;
	uint32_t pending_final;         /* final_state */
	uint32_t offline_pending_final; /* final_state */
	int64_t fail_after_ms;          /* -1: never */
	uint32_t fail_via;              /* fail_via */
	uint32_t failure_type;          /* wp_failure_type */
	uint32_t app_error;
	bool event_fd;
	bool shared_fd;
	uint32_t hang_in;               /* entry */
	uint32_t hang_ms;
	uint32_t crash_in;              /* entry */
	bool log_at_online;
	bool exercise_callbacks;
	bool bad_callbacks;
	bool callback_after_close;
} config;

static const config config_defaults = {
	.online_mode = ONLINE_IMMEDIATE,
	.offline_mode = OFFLINE_IMMEDIATE,
	.pending_checkpoints = 3,
	.pending_interval_ms = 10,
	.pending_final = FINAL_ONLINE,
	.offline_pending_final = FINAL_OFFLINE,
	.fail_after_ms = -1,
	.fail_via = VIA_SIGNAL,
	.failure_type = WP_FAILURE_TYPE_GENERAL,
	.app_error = 0,
	.hang_in = ENTRY_NONE,
	.hang_ms = 3600000,
	.crash_in = ENTRY_NONE,
};

typedef enum param_type {
	P_U32,    /* uint32_t, at most .max */
	P_BOOL,   /* bool: a number, non-zero is true */
	P_MS_OPT, /* int64_t: a uint32_t number of ms, -1 when absent */
	P_CHOICE, /* uint32_t: index of the word in .choices (NULL slots cannot be chosen) */
} param_type;

typedef struct param {
	const char *name;
	param_type type;
	size_t offset; /* into config */
	uint32_t max;  /* P_U32 */
	const char *const *choices;
	size_t n_choices;
} param;

#define FIELD(n, t, field) .name = (n), .type = (t), .offset = offsetof(config, field)
#define U32(n, field, m)   { FIELD(n, P_U32, field), .max = (m) }
#define BOOL(n, field)     { FIELD(n, P_BOOL, field) }
#define MS_OPT(n, field)   { FIELD(n, P_MS_OPT, field) }
#define CHOICE(n, field, c) \
	{ FIELD(n, P_CHOICE, field), .choices = (c), .n_choices = sizeof(c) / sizeof((c)[0]) }

static const param params_table[] = {
	CHOICE("OnlineMode", online_mode, online_modes),
	CHOICE("OfflineMode", offline_mode, offline_modes),
	U32("PendingCheckpoints", pending_checkpoints, UINT32_MAX - 1), /* final one is N + 1 */
	U32("PendingIntervalMs", pending_interval_ms, UINT32_MAX),
	CHOICE("PendingFinal", pending_final, online_finals),
	CHOICE("OfflinePendingFinal", offline_pending_final, offline_finals),
	MS_OPT("FailAfterMs", fail_after_ms),
	CHOICE("FailVia", fail_via, fail_vias),
	U32("FailureType", failure_type, WP_FAILURE_TYPE_NETWORK_LOSS),
	U32("AppError", app_error, UINT32_MAX),
	BOOL("EventFd", event_fd),
	BOOL("SharedFd", shared_fd),
	CHOICE("HangIn", hang_in, entry_names),
	U32("HangMs", hang_ms, UINT32_MAX),
	CHOICE("CrashIn", crash_in, entry_names),
	BOOL("LogAtOnline", log_at_online),
	BOOL("ExerciseCallbacks", exercise_callbacks),
	BOOL("BadCallbacks", bad_callbacks),
	BOOL("CallbackAfterClose", callback_after_close),
};

/* Strict decimal: digits only (strtoul would take signs, blanks and "0x"), no overflow. */
static int parse_u32(const char *s, uint32_t max, uint32_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t) (*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*ret = (uint32_t) v;
	return 0;
}

static int parse_param(const param *p, const char *value, config *cfg)
{
	void *field = (char *) cfg + p->offset;
	uint32_t v;
	int r;

	switch (p->type) {
	case P_U32:
		return parse_u32(value, p->max, (uint32_t *) field);
	case P_BOOL:
		r = parse_u32(value, UINT32_MAX, &v);
		if (r == 0)
			*(bool *) field = v != 0;
		return r;
	case P_MS_OPT:
		r = parse_u32(value, UINT32_MAX, &v);
		if (r == 0)
			*(int64_t *) field = v;
		return r;
	case P_CHOICE:
		for (size_t i = 0; i < p->n_choices; i++)
			if (p->choices[i] && strcmp(p->choices[i], value) == 0) {
				*(uint32_t *) field = (uint32_t) i;
				return 0;
			}
		return -EINVAL;
	}
	return -EINVAL;
}

static int config_parse(const char *const *params, config *ret)
{
	config cfg = config_defaults;

	for (size_t i = 0; i < sizeof(params_table) / sizeof(params_table[0]); i++) {
		const char *value = wp_param_get(params, params_table[i].name);
		int r;

		if (!value)
			continue;
		r = parse_param(&params_table[i], value, &cfg);
		if (r < 0)
			return r;
	}
	*ret = cfg;
	return 0;
}

static bool config_wants_fd(const config *cfg)
{
	return cfg->event_fd || cfg->shared_fd ||
	       (cfg->fail_after_ms >= 0 && cfg->fail_via == VIA_FD);
}

/* ---- state ------------------------------------------------------------------------------- */

typedef enum job_kind {
	JOB_ONLINE = 1u << 0,  /* pending online reports, then the FailAfterMs timer */
	JOB_OFFLINE = 1u << 1, /* pending offline reports */
	JOB_CONTROL = 1u << 2, /* an asynchronous control call */
	JOB_ALL = JOB_ONLINE | JOB_OFFLINE | JOB_CONTROL,
} job_kind;

struct dummy;

typedef struct job {
	wp_worker worker;        /* zero-filled by calloc, as worker_create wants */
	struct dummy *inst;      /* NULL for type control jobs */
	job_kind kind;
	bool stopped;            /* (lock) unlinked by its owner: change nothing any more */
	bool pending;            /* (lock) still reporting *_PENDING; cancel may stop it */
	atomic_bool done;        /* control jobs: ended, the reaper may join and free it */
	bool type_level;         /* control jobs: end_type_control_call */
	uint32_t code;
	wp_control_ctx ctx;
	void *out;               /* the monitor's buffer, valid until end_(type_)control_call */
	size_t in_size;
	struct job *next;
	unsigned char in[];      /* copy of the input: the caller's is gone when begin returns */
} job;

typedef struct dummy {
	pthread_mutex_t lock;
	wp_resource_handle handle;
	config cfg;

	/* Everything below is guarded by lock. */
	uint64_t generation;     /* bumped by every stop: an online that began earlier gives up */
	bool online;
	int event_fd;            /* the descriptor handed back, or -1 */
	bool event_fd_owned;     /* ours to close (false for the shared one) */
	bool looks_dead, is_dead;
	uint64_t failed_at_ns;   /* CLOCK_MONOTONIC just before a failure was triggered, or 0 */
	wp_quorum_resource_lost_fn lost;
	job *jobs;
} dummy;

static const wp_resource_callbacks *cb;

/* The SharedFd descriptor (created once, never closed) and type control jobs. */
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static int shared_fd = -1;
static job *type_jobs;

/* ---- small helpers ----------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static void sleep_until_ns(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t) (deadline / 1000000000ull),
		.tv_nsec = (long) (deadline % 1000000000ull),
	};

	/* Absolute, so a signal (EINTR) does not stretch the sleep. */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void sleep_ms(uint32_t ms)
{
	sleep_until_ns(now_ns() + ms * NSEC_PER_MSEC);
}

/* Sleeps ms in short slices; false as soon as the worker is asked to stop. */
static bool worker_sleep(wp_worker *w, uint32_t ms)
{
	uint64_t deadline = now_ns() + ms * NSEC_PER_MSEC;

	for (;;) {
		uint64_t now;

		if (cb->worker_check_terminate(w))
			return false;
		now = now_ns();
		if (now >= deadline)
			return true;
		sleep_until_ns(deadline - now > WORKER_SLICE_MS * NSEC_PER_MSEC
				       ? now + WORKER_SLICE_MS * NSEC_PER_MSEC
				       : deadline);
	}
}

/* Not instrumented: UBSan's null check (halt_on_error in the asan preset) would turn the
 * SIGSEGV the monitor's crash handler is to see into an exit. */
#if defined(__GNUC__)
__attribute__((no_sanitize("undefined")))
#endif
static void crash(void)
{
	/* volatile on both sides: the compiler may neither fold the store nor prove it UB. */
	int *volatile p = NULL;

	*(volatile int *) p = 1;
}

/* HangIn / CrashIn: the misbehaviour an entry point was scripted to show before its job. */
static void misbehave(const config *cfg, entry e)
{
	if (cfg->hang_in == e)
		sleep_ms(cfg->hang_ms);
	if (cfg->crash_in == e)
		crash();
}

static int get_shared_fd(void)
{
	int fd;

	pthread_mutex_lock(&global_lock);
	if (shared_fd < 0)
		shared_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fd = shared_fd < 0 ? -errno : shared_fd;
	pthread_mutex_unlock(&global_lock);
	return fd;
}

/* ---- jobs -------------------------------------------------------------------------------- */

static job *job_new(dummy *d, job_kind kind, size_t in_size)
{
	job *j = calloc(1, sizeof(*j) + in_size);

	if (!j)
		return NULL;
	j->inst = d;
	j->kind = kind;
	j->in_size = in_size;
	atomic_init(&j->done, false);
	return j;
}

/* Starts j and links it on d. Called with d->lock held: that makes the start atomic with
 * respect to a stop, and the worker merely waits for the lock if it needs it at once. On
 * failure j is still the caller's. */
static int job_start_locked(dummy *d, job *j, wp_worker_fn fn)
{
	int r = cb->worker_create(&j->worker, fn, j);

	if (r < 0)
		return r;
	j->next = d->jobs;
	d->jobs = j;
	return 0;
}

/* Unlinks the jobs of the given kinds; the caller owns them. With d->lock held. */
static job *jobs_steal_locked(dummy *d, unsigned kinds)
{
	job *stolen = NULL, **p = &d->jobs;

	while (*p) {
		job *j = *p;

		if (j->kind & kinds) {
			*p = j->next;
			j->stopped = true;
			j->next = stolen;
			stolen = j;
		} else {
			p = &j->next;
		}
	}
	return stolen;
}

/* Joins and frees a stolen list. Never with a lock held: a worker may be waiting for it. */
static void jobs_stop(job *list)
{
	while (list) {
		job *next = list->next;

		cb->worker_terminate(&list->worker);
		free(list);
		list = next;
	}
}

/*
 * What terminate, offline and close share: stop the given workers, give up the descriptor
 * (the monitor stopped watching it before calling us) and be offline. The failure timestamp is
 * left alone: terminate reports it.
 */
static void instance_stop(dummy *d, unsigned kinds)
{
	job *stolen;
	int fd = -1;

	pthread_mutex_lock(&d->lock);
	d->generation++;
	d->online = false;
	d->looks_dead = d->is_dead = false;
	stolen = jobs_steal_locked(d, kinds);
	if (d->event_fd_owned)
		fd = d->event_fd;
	d->event_fd = -1;
	d->event_fd_owned = false;
	pthread_mutex_unlock(&d->lock);

	jobs_stop(stolen);
	/* After the join: a failure worker writes to the descriptor, under the lock, only
	 * while it is still d->event_fd, so nobody can write into a reused number. */
	if (fd >= 0)
		close(fd);
}

/* ---- failures ---------------------------------------------------------------------------- */

static int write_event(int fd)
{
	uint64_t one = 1;

	return write(fd, &one, sizeof(one)) == (ssize_t) sizeof(one) ? 0 : -errno;
}

/* FailAfterMs is up: fail the way FailVia says, unless the job was stopped meanwhile. */
static int trigger_failure(job *j)
{
	dummy *d = j->inst;
	const config *cfg = &d->cfg;
	wp_quorum_resource_lost_fn lost;
	int r = 0;

	pthread_mutex_lock(&d->lock);
	if (j->stopped) {
		pthread_mutex_unlock(&d->lock);
		return -ECANCELED;
	}
	if (cfg->fail_via != VIA_LOOKS_ALIVE)
		d->failed_at_ns = now_ns();
	switch (cfg->fail_via) {
	case VIA_LOOKS_ALIVE:
		d->looks_dead = true; /* is_alive stays true: nothing fails */
		break;
	case VIA_IS_ALIVE:
		d->looks_dead = d->is_dead = true;
		break;
	case VIA_FD:
		/* Under the lock, so terminate cannot close the descriptor under us; mark first,
		 * as the monitor reads the marks when the descriptor wakes it. mark_event_failure
		 * only sets a flag in the monitor, so holding our lock across it is harmless. */
		if (d->event_fd < 0) {
			r = -EBADF;
			break;
		}
		r = cb->mark_event_failure(d->handle, cfg->app_error);
		if (r >= 0)
			r = write_event(d->event_fd);
		break;
	case VIA_SIGNAL:
	case VIA_QUORUM:
		break;
	}
	lost = d->lost ? d->lost : cb->quorum_resource_lost;
	pthread_mutex_unlock(&d->lock);

	/* Callbacks that start failure handling are called without our lock: a host may well
	 * run terminate from them. */
	if (cfg->fail_via == VIA_SIGNAL)
		r = cb->signal_failure(d->handle, (wp_failure_type) cfg->failure_type,
				       cfg->app_error);
	else if (cfg->fail_via == VIA_QUORUM)
		lost(d->handle);
	return r;
}

/* ---- pending workers --------------------------------------------------------------------- */

static const int32_t final_states[_FINAL_MAX] = {
	[FINAL_ONLINE] = WP_RESOURCE_ONLINE,
	[FINAL_FAILED] = WP_RESOURCE_FAILED,
	[FINAL_OFFLINE] = WP_RESOURCE_OFFLINE,
	[FINAL_NONE] = WP_RESOURCE_STATE_UNKNOWN,
};

/* One report; -ECANCELED when the monitor says the operation was terminated. */
static int report(dummy *d, int32_t state, uint32_t checkpoint, uint32_t wait_hint, int event_fd)
{
	wp_resource_status st;
	int r;

	wp_resource_status_init(&st);
	st.state = state;
	st.checkpoint = checkpoint;
	st.wait_hint = wait_hint;
	st.event_fd = event_fd;
	r = cb->set_resource_status(d->handle, &st);
	if (r == WP_EXIT_STATE_TERMINATE)
		return -ECANCELED;
	return r < 0 ? r : 0;
}

/*
 * The pending scheme shared by online and offline: checkpoints 1..N, PendingIntervalMs apart,
 * then the final state (checkpoint N + 1, so it still counts as progress). Returns 0 once the
 * final state was reported, or -errno when stopped or refused.
 */
static int run_pending(job *j, int32_t pending_state, final_state final)
{
	dummy *d = j->inst;
	wp_worker *w = &j->worker;
	uint32_t n = d->cfg.pending_checkpoints, interval = d->cfg.pending_interval_ms;
	int event_fd = -1;
	int r;

	/* The sleep comes first: a report before online returns is only held by the monitor,
	 * and a later one would overwrite it. */
	for (uint32_t i = 1; i <= n; i++) {
		if (!worker_sleep(w, interval))
			return -ECANCELED;
		r = report(d, pending_state, i, interval, -1);
		if (r < 0)
			return r;
	}
	if (!worker_sleep(w, interval))
		return -ECANCELED;

	if (final == FINAL_NONE) {
		/* A hung operation: still pending, silently, until cancel or terminate. */
		while (worker_sleep(w, 1000))
			;
		return -ECANCELED;
	}

	pthread_mutex_lock(&d->lock);
	if (j->stopped) {
		pthread_mutex_unlock(&d->lock);
		return -ECANCELED;
	}
	/* Settled before the report, so the monitor never sees a state we do not know yet. */
	j->pending = false;
	d->online = final == FINAL_ONLINE;
	if (final == FINAL_ONLINE)
		event_fd = d->event_fd;
	pthread_mutex_unlock(&d->lock);

	return report(d, final_states[final], n + 1, 0, event_fd);
}

/* JOB_ONLINE: the pending online (OnlineMode=pending), then the FailAfterMs timer. */
static int online_worker(wp_worker *w, void *userdata)
{
	job *j = userdata;
	const config *cfg = &j->inst->cfg;
	int r;

	if (cfg->online_mode == ONLINE_PENDING) {
		r = run_pending(j, WP_RESOURCE_ONLINE_PENDING, cfg->pending_final);
		if (r < 0 || cfg->pending_final != FINAL_ONLINE)
			return r;
	}
	if (cfg->fail_after_ms < 0)
		return 0;
	if (!worker_sleep(w, (uint32_t) cfg->fail_after_ms))
		return -ECANCELED;
	return trigger_failure(j);
}

/* JOB_OFFLINE. */
static int offline_worker(wp_worker *w, void *userdata)
{
	job *j = userdata;

	return run_pending(j, WP_RESOURCE_OFFLINE_PENDING, j->inst->cfg.offline_pending_final);
}

/* ---- online diagnostics ------------------------------------------------------------------ */

/* LogAtOnline: one line per level, then one too long for the monitor (it cuts at 500). */
static void log_levels(dummy *d)
{
	char long_line[LONG_LOG_LEN + 1];
	int n;

	for (int level = WP_LOG_INFORMATION; level <= WP_LOG_SEVERE; level++)
		cb->log_event(d->handle, (wp_log_level) level, "level %d message", level);

	n = snprintf(long_line, sizeof(long_line), "long message of %u characters:", LONG_LOG_LEN);
	memset(long_line + n, 'x', LONG_LOG_LEN - (size_t) n);
	long_line[LONG_LOG_LEN] = '\0';
	cb->log_event(d->handle, WP_LOG_INFORMATION, "%s", long_line);
}

static void log_ret(dummy *d, const char *callback, int r)
{
	cb->log_event(d->handle, WP_LOG_INFORMATION, "%s=%d", callback, r);
}

static int count_instance(wp_resource_handle resource, const char *name, void *userdata)
{
	(*(int *) userdata)++;
	return 0;
}

/* A worker that polls worker_check_terminate until told to stop, then returns 42. */
typedef struct probe {
	wp_worker worker;
	atomic_uint checks;      /* worker_check_terminate answered false this often */
	atomic_bool saw_terminate;
} probe;

static int probe_worker(wp_worker *w, void *userdata)
{
	probe *p = userdata;

	while (!cb->worker_check_terminate(w)) {
		atomic_fetch_add(&p->checks, 1);
		sleep_ms(1);
	}
	atomic_store(&p->saw_terminate, true);
	return 42;
}

static void exercise_worker(dummy *d)
{
	probe *p = calloc(1, sizeof(*p));
	int r;

	if (!p) {
		log_ret(d, "worker", -ENOMEM);
		return;
	}
	r = cb->worker_create(&p->worker, probe_worker, p);
	if (r < 0) {
		log_ret(d, "worker", r);
		free(p);
		return;
	}
	/* Let it check at least once before it is told to stop (bounded: online must return). */
	for (int i = 0; i < 200 && atomic_load(&p->checks) == 0; i++)
		sleep_ms(1);
	cb->worker_terminate(&p->worker); /* joins */
	if (atomic_load(&p->checks) > 0 && atomic_load(&p->saw_terminate))
		cb->log_event(d->handle, WP_LOG_INFORMATION, "worker=ok");
	else
		cb->log_event(d->handle, WP_LOG_INFORMATION,
			      "worker=failed checks=%u saw_terminate=%d", atomic_load(&p->checks),
			      (int) atomic_load(&p->saw_terminate));
	free(p);
}

/* ExerciseCallbacks: every callback an online may use, in a fixed order, each result logged. */
static void exercise_callbacks(dummy *d)
{
	static const char *const props[] = { "Color=blue", "Size=3", NULL };
	static const unsigned char payload[] = { 0x01, 0x02, 0xff };
	wp_resource_handle h = d->handle;
	int n = 0, r;

	log_ret(d, "set_internal_state", cb->set_internal_state(h, WP_APPLICATION_READY, true));
	log_ret(d, "set_internal_state",
		cb->set_internal_state(h, WP_APPLICATION_OS_HEARTBEAT, true));
	log_ret(d, "set_resource_locked_mode", cb->set_resource_locked_mode(h, true, 7));
	log_ret(d, "set_resource_in_memory_node_local_properties",
		cb->set_resource_in_memory_node_local_properties(h, props));
	log_ret(d, "change_resource_process_for_dumps",
		cb->change_resource_process_for_dumps(h, "dummy-helper", getpid(), true));
	log_ret(d, "change_res_type_process_for_dumps",
		cb->change_res_type_process_for_dumps(TYPE_NAME, "dummy-type-helper", getpid(),
						      true));
	log_ret(d, "raise_res_type_notification",
		cb->raise_res_type_notification(TYPE_NAME, payload, sizeof(payload)));
	r = cb->enumerate_resources(TYPE_NAME, count_instance, &n);
	cb->log_event(h, WP_LOG_INFORMATION, "enumerate=%d count=%d", r, n);
	exercise_worker(d);
}

/* BadCallbacks: handles and contexts the monitor never gave out; every answer must be < 0. */
static void bad_callbacks(dummy *d)
{
	static const wp_resource_handle bad[] = {
		NULL,
		(wp_resource_handle) (uintptr_t) 0xdeadbeef,
	};
	int results[2 * 4 + 2], n = 0;
	char buf[256];
	size_t len = 0;
	wp_resource_status st;

	wp_resource_status_init(&st);
	st.state = WP_RESOURCE_ONLINE_PENDING;
	st.checkpoint = 1;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		results[n++] = cb->signal_failure(bad[i], WP_FAILURE_TYPE_GENERAL, 0);
		results[n++] = cb->set_resource_status(bad[i], &st);
		cb->log_event(bad[i], WP_LOG_INFORMATION, "log through a bad handle"); /* void */
		results[n++] = cb->set_internal_state(bad[i], WP_APPLICATION_READY, true);
		results[n++] = cb->mark_event_failure(bad[i], 0);
	}
	results[n++] = cb->end_control_call(999999, 0, 0);
	results[n++] = cb->extend_control_call(999999, 10);

	buf[0] = '\0';
	for (int i = 0; i < n && len < sizeof(buf); i++)
		len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s%d", i ? "," : "",
					 results[i]);
	cb->log_event(d->handle, WP_LOG_INFORMATION, "badcallbacks=%s", buf);
}

/* CallbackAfterClose: calls back with a handle the monitor has forgotten. */
static void *late_caller(void *arg)
{
	wp_resource_handle h = arg;

	sleep_ms(50);
	cb->log_event(h, WP_LOG_INFORMATION, "callback after close");
	(void) cb->signal_failure(h, WP_FAILURE_TYPE_GENERAL, 0);
	return NULL;
}

static void start_late_caller(wp_resource_handle h)
{
	pthread_attr_t attr;
	pthread_t t;

	/* Detached and never joined: it outlives the instance on purpose. */
	if (pthread_attr_init(&attr) != 0)
		return;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void) pthread_create(&t, &attr, late_caller, (void *) h);
	pthread_attr_destroy(&attr);
}

/* ---- entry points: lifetime -------------------------------------------------------------- */

static int dummy_open(const char *name, const char *const *params, wp_resource_handle handle,
		      uint32_t flags, wp_resid *ret_id)
{
	config cfg;
	dummy *d;
	int r;

	if (!ret_id)
		return -EINVAL;
	r = config_parse(params, &cfg);
	if (r < 0)
		return r;
	misbehave(&cfg, ENTRY_OPEN);

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	r = -pthread_mutex_init(&d->lock, NULL);
	if (r < 0) {
		free(d);
		return r;
	}
	d->handle = handle;
	d->cfg = cfg;
	d->event_fd = -1;
	*ret_id = d;
	return 0;
}

static void dummy_close(wp_resid id)
{
	dummy *d = id;

	misbehave(&d->cfg, ENTRY_CLOSE);
	/* Control jobs too: the monitor frees their buffers once close returns. */
	instance_stop(d, JOB_ALL);
	if (d->cfg.callback_after_close)
		start_late_caller(d->handle);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* Hands back the descriptor the configuration asks for, in d->event_fd. With d->lock held. */
static int setup_event_fd_locked(dummy *d)
{
	int fd;

	if (!config_wants_fd(&d->cfg) || d->event_fd >= 0)
		return 0;
	if (d->cfg.shared_fd) {
		fd = get_shared_fd();
		if (fd < 0)
			return fd;
		d->event_fd = fd;
		d->event_fd_owned = false;
		return 0;
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	d->event_fd = fd;
	d->event_fd_owned = true;
	return 0;
}

static void drop_event_fd_locked(dummy *d)
{
	if (d->event_fd_owned)
		close(d->event_fd);
	d->event_fd = -1;
	d->event_fd_owned = false;
}

/*
 * The part of online that changes state, atomic with respect to terminate: if a terminate ran
 * since online began (generation moved), the online is abandoned and nothing is started.
 */
static int online_start(dummy *d, uint64_t generation, int *ret_event_fd)
{
	const config *cfg = &d->cfg;
	bool pending = cfg->online_mode == ONLINE_PENDING;
	job *j = NULL;
	int r;

	if (pending || cfg->fail_after_ms >= 0) {
		j = job_new(d, JOB_ONLINE, 0);
		if (!j)
			return -ENOMEM;
		j->pending = pending;
	}

	pthread_mutex_lock(&d->lock);
	if (d->generation != generation) {
		r = -ECANCELED;
		goto fail;
	}
	d->looks_dead = d->is_dead = false;
	r = setup_event_fd_locked(d);
	if (r < 0)
		goto fail;
	if (j) {
		r = job_start_locked(d, j, online_worker);
		if (r < 0) {
			drop_event_fd_locked(d);
			goto fail;
		}
	}
	if (!pending) {
		d->online = true;
		*ret_event_fd = d->event_fd;
	}
	pthread_mutex_unlock(&d->lock);
	return pending ? -EINPROGRESS : 0;

fail:
	pthread_mutex_unlock(&d->lock);
	free(j);
	return r;
}

static int dummy_online(wp_resid id, uint32_t flags, int *ret_event_fd)
{
	dummy *d = id;
	uint64_t generation;

	/* Sampled first, so a terminate during a HangIn=online sleep also abandons this online. */
	pthread_mutex_lock(&d->lock);
	generation = d->generation;
	pthread_mutex_unlock(&d->lock);
	misbehave(&d->cfg, ENTRY_ONLINE);

	if (d->cfg.log_at_online)
		log_levels(d);
	if (d->cfg.exercise_callbacks)
		exercise_callbacks(d);
	if (d->cfg.bad_callbacks)
		bad_callbacks(d);

	switch ((online_mode) d->cfg.online_mode) {
	case ONLINE_ERROR:
		return -EIO;
	case ONLINE_BUSY:
		return -EBUSY;
	case ONLINE_GARBAGE:
		return GARBAGE_ONLINE;
	case ONLINE_IMMEDIATE:
	case ONLINE_PENDING:
	case _ONLINE_MAX:
		break;
	}
	return online_start(d, generation, ret_event_fd);
}

static int dummy_offline(wp_resid id, uint32_t flags)
{
	dummy *d = id;
	job *j;
	int r;

	misbehave(&d->cfg, ENTRY_OFFLINE);
	/* Whatever the mode, the online side (failure timer, descriptor) ends here. */
	instance_stop(d, JOB_ONLINE | JOB_OFFLINE);

	switch ((offline_mode) d->cfg.offline_mode) {
	case OFFLINE_ERROR:
		return -EIO;
	case OFFLINE_PENDING:
		break;
	case OFFLINE_IMMEDIATE:
	case _OFFLINE_MAX:
		return 0;
	}

	j = job_new(d, JOB_OFFLINE, 0);
	if (!j)
		return -ENOMEM;
	j->pending = true;
	pthread_mutex_lock(&d->lock);
	r = job_start_locked(d, j, offline_worker);
	pthread_mutex_unlock(&d->lock);
	if (r < 0) {
		free(j);
		return r;
	}
	return -EINPROGRESS;
}

static void dummy_terminate(wp_resid id)
{
	dummy *d = id;
	uint64_t now, failed_at;

	misbehave(&d->cfg, ENTRY_TERMINATE);
	now = now_ns(); /* the latency ends when terminate starts, not when cleanup is done */
	instance_stop(d, JOB_ALL);

	pthread_mutex_lock(&d->lock);
	failed_at = d->failed_at_ns;
	d->failed_at_ns = 0;
	pthread_mutex_unlock(&d->lock);
	if (failed_at)
		cb->log_event(d->handle, WP_LOG_INFORMATION, "terminate latency_us=%llu",
			      (unsigned long long) (now > failed_at ? now - failed_at : 0) /
				      NSEC_PER_USEC);
}

static bool dummy_looks_alive(wp_resid id)
{
	dummy *d = id;
	bool alive;

	misbehave(&d->cfg, ENTRY_LOOKS_ALIVE);
	pthread_mutex_lock(&d->lock);
	alive = !d->looks_dead;
	pthread_mutex_unlock(&d->lock);
	return alive;
}

static bool dummy_is_alive(wp_resid id)
{
	dummy *d = id;
	bool alive;

	misbehave(&d->cfg, ENTRY_IS_ALIVE);
	pthread_mutex_lock(&d->lock);
	alive = !d->is_dead;
	pthread_mutex_unlock(&d->lock);
	return alive;
}

static int dummy_arbitrate(wp_resid id, wp_quorum_resource_lost_fn lost)
{
	dummy *d = id;

	misbehave(&d->cfg, ENTRY_ARBITRATE);
	pthread_mutex_lock(&d->lock);
	d->lost = lost;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static int dummy_release(wp_resid id)
{
	dummy *d = id;

	pthread_mutex_lock(&d->lock);
	d->lost = NULL;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* Stops the worker of a pending online/offline. */
static int dummy_cancel(wp_resid id, uint32_t flags)
{
	dummy *d = id;
	job *j, **p;

	misbehave(&d->cfg, ENTRY_CANCEL);
	pthread_mutex_lock(&d->lock);
	for (p = &d->jobs; *p && !(*p)->pending; p = &(*p)->next)
		;
	j = *p;
	if (j) {
		*p = j->next;
		j->next = NULL;
		j->stopped = true;
	}
	pthread_mutex_unlock(&d->lock);

	if (!j)
		return -EINVAL;
	jobs_stop(j); /* we hold nothing the worker could wait for */
	return 0;
}

/* ---- control calls ----------------------------------------------------------------------- */

enum {
	CTL_ECHO = 1,
	CTL_DEFAULT = 2,
	CTL_STORED = 3,
	CTL_ASYNC_ECHO = 10,
	CTL_ASYNC_EXTEND = 11,
	CTL_ASYNC_NEVER = 12,
};

static int echo(const void *in, size_t in_size, void *out, size_t out_size, size_t *ret_bytes)
{
	/* -ENOBUFS says how much is needed, in *ret_bytes, like ERROR_MORE_DATA. */
	*ret_bytes = in_size;
	if (out_size < in_size)
		return -ENOBUFS;
	if (in_size)
		memcpy(out, in, in_size);
	return 0;
}

/* The synchronous codes of resource_control and begin_resource_control. */
static int control_sync(uint32_t code, const void *in, size_t in_size, void *out,
			size_t out_size, size_t *ret_bytes)
{
	switch (code) {
	case CTL_ECHO:
		return echo(in, in_size, out, out_size, ret_bytes);
	case CTL_STORED:
		*ret_bytes = 0;
		return WP_PROPERTIES_STORED;
	case CTL_DEFAULT:
	default:
		return -EOPNOTSUPP;
	}
}

/* Ends a control job's call, at the resource or the type level. */
static void control_end(job *j, int status, size_t bytes)
{
	if (j->type_level)
		(void) cb->end_type_control_call(j->ctx, status, bytes);
	else
		(void) cb->end_control_call(j->ctx, status, bytes);
}

/*
 * JOB_CONTROL: an asynchronous echo. Code 11 first moves the deadline; it waits a little,
 * because the monitor only accepts an extension once begin's return has reached its main
 * loop, and nothing tells us when that is.
 */
static int control_worker(wp_worker *w, void *userdata)
{
	job *j = userdata;
	int r = 0;

	if (j->code == CTL_ASYNC_EXTEND) {
		if (!worker_sleep(w, EXTEND_DELAY_MS)) {
			r = -ECANCELED;
			goto end;
		}
		r = j->type_level ? cb->extend_type_control_call(j->ctx, EXTEND_TIMEOUT_MS)
				  : cb->extend_control_call(j->ctx, EXTEND_TIMEOUT_MS);
		if (r < 0)
			goto end;
	}
	if (!worker_sleep(w, ASYNC_CONTROL_MS)) {
		r = -ECANCELED;
		goto end;
	}
	if (j->in_size)
		memcpy(j->out, j->in, j->in_size);
end:
	control_end(j, r, r < 0 ? 0 : j->in_size);
	atomic_store(&j->done, true);
	return r;
}

/* Prepares an asynchronous echo job; a buffer that is too small is answered at once. */
static int control_async_job(dummy *d, uint32_t code, const void *in, size_t in_size, void *out,
			     size_t out_size, size_t *ret_bytes, wp_control_ctx ctx, job **ret)
{
	job *j;

	/* end_control_call's byte count is what was written, so -ENOBUFS with the size needed
	 * can only be a synchronous answer. */
	if (out_size < in_size) {
		*ret_bytes = in_size;
		return -ENOBUFS;
	}
	j = job_new(d, JOB_CONTROL, in_size);
	if (!j)
		return -ENOMEM;
	j->type_level = !d;
	j->code = code;
	j->ctx = ctx;
	j->out = out;
	if (in_size)
		memcpy(j->in, in, in_size);
	*ret = j;
	return 0;
}

/* Unlinks finished jobs from a list, for the caller to join (at once: they have returned). */
static job *steal_done(job **list)
{
	job *done = NULL, **p = list;

	while (*p) {
		job *j = *p;

		if (atomic_load(&j->done)) {
			*p = j->next;
			j->stopped = true;
			j->next = done;
			done = j;
		} else {
			p = &j->next;
		}
	}
	return done;
}

static int dummy_resource_control(wp_resid id, uint32_t code, const void *in, size_t in_size,
				  void *out, size_t out_size, size_t *ret_bytes)
{
	dummy *d = id;

	misbehave(&d->cfg, ENTRY_CONTROL);
	return control_sync(code, in, in_size, out, out_size, ret_bytes);
}

static int dummy_begin_resource_control(wp_resid id, uint32_t code, const void *in,
					size_t in_size, void *out, size_t out_size,
					size_t *ret_bytes, wp_control_ctx ctx, bool *ret_async)
{
	dummy *d = id;
	job *j = NULL, *done;
	int r;

	misbehave(&d->cfg, ENTRY_CONTROL);
	*ret_async = false;

	pthread_mutex_lock(&d->lock);
	done = steal_done(&d->jobs);
	pthread_mutex_unlock(&d->lock);
	jobs_stop(done);

	switch (code) {
	case CTL_ASYNC_NEVER:
		/* The monitor's deadline answers it. */
		*ret_async = true;
		return 0;
	case CTL_ASYNC_ECHO:
	case CTL_ASYNC_EXTEND:
		break;
	default:
		return control_sync(code, in, in_size, out, out_size, ret_bytes);
	}

	r = control_async_job(d, code, in, in_size, out, out_size, ret_bytes, ctx, &j);
	if (r < 0 || !j)
		return r;
	pthread_mutex_lock(&d->lock);
	r = job_start_locked(d, j, control_worker);
	pthread_mutex_unlock(&d->lock);
	if (r < 0) {
		free(j);
		return r;
	}
	*ret_async = true;
	return 0;
}

static bool type_known(const char *type)
{
	return type && strcmp(type, TYPE_NAME) == 0;
}

static int dummy_resource_type_control(const char *type, uint32_t code, const void *in,
				       size_t in_size, void *out, size_t out_size,
				       size_t *ret_bytes)
{
	if (!type_known(type))
		return -ENOENT;
	if (code == CTL_ECHO)
		return echo(in, in_size, out, out_size, ret_bytes);
	return -EOPNOTSUPP;
}

static int dummy_begin_resource_type_control(const char *type, uint32_t code, const void *in,
					     size_t in_size, void *out, size_t out_size,
					     size_t *ret_bytes, wp_control_ctx ctx,
					     bool *ret_async)
{
	job *j = NULL, *done;
	int r;

	*ret_async = false;
	if (!type_known(type))
		return -ENOENT;
	if (code != CTL_ASYNC_ECHO)
		return dummy_resource_type_control(type, code, in, in_size, out, out_size,
						   ret_bytes);

	/* Type jobs belong to no instance: the next call reaps the finished ones. */
	pthread_mutex_lock(&global_lock);
	done = steal_done(&type_jobs);
	pthread_mutex_unlock(&global_lock);
	jobs_stop(done);

	r = control_async_job(NULL, code, in, in_size, out, out_size, ret_bytes, ctx, &j);
	if (r < 0 || !j)
		return r;
	pthread_mutex_lock(&global_lock);
	r = cb->worker_create(&j->worker, control_worker, j);
	if (r >= 0) {
		j->next = type_jobs;
		type_jobs = j;
	}
	pthread_mutex_unlock(&global_lock);
	if (r < 0) {
		free(j);
		return r;
	}
	*ret_async = true;
	return 0;
}

/* ---- startup ----------------------------------------------------------------------------- */

static const wp_resource_ops dummy_ops = {
	.size = sizeof(wp_resource_ops),
	.version = WP_RESAPI_VERSION_1,
	.open = dummy_open,
	.close = dummy_close,
	.online = dummy_online,
	.offline = dummy_offline,
	.terminate = dummy_terminate,
	.looks_alive = dummy_looks_alive,
	.is_alive = dummy_is_alive,
	.arbitrate = dummy_arbitrate,
	.release = dummy_release,
	.resource_control = dummy_resource_control,
	.resource_type_control = dummy_resource_type_control,
	.cancel = dummy_cancel,
	.begin_resource_control = dummy_begin_resource_control,
	.begin_resource_type_control = dummy_begin_resource_type_control,
};

WP_EXPORT int wp_resource_startup(const char *type, uint32_t min_version, uint32_t max_version,
				  const wp_resource_callbacks *callbacks,
				  const wp_resource_ops **ret_ops);

int wp_resource_startup(const char *type, uint32_t min_version, uint32_t max_version,
			const wp_resource_callbacks *callbacks, const wp_resource_ops **ret_ops)
{
	if (!ret_ops || !callbacks)
		return -EINVAL;
	if (!type_known(type))
		return -ENOENT;
	if (WP_RESAPI_VERSION_1 < min_version || WP_RESAPI_VERSION_1 > max_version)
		return -EPROTONOSUPPORT;
	/* We call every version 1 callback: a table that does not have them all is unusable. */
	if (callbacks->size < sizeof(wp_resource_callbacks))
		return -EINVAL;
	cb = callbacks;
	*ret_ops = &dummy_ops;
	return 0;
}
