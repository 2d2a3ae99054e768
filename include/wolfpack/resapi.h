/* SPDX-License-Identifier: MIT */
/*
 * wolfpack/resapi.h - the resource plugin ABI.
 *
 * A resource type is a shared object loaded by the Resource Monitor (wp-resmon) with dlopen().
 * It exports one symbol, WP_STARTUP_SYMBOL, of type wp_startup_fn. The monitor calls it once
 * per resource type it needs, passing the range of ABI versions it understands and its callback
 * table; the plugin hands back a function table. Both tables start with {size, version} and only
 * ever grow at the end, so a newer plugin runs on an older monitor and the other way round.
 *
 * The model is Windows Server Failover Clustering's resource DLL interface (resapi.h) with
 * Linux types. <wolfpack/compat/resapi.h> maps the WSFC names onto this header.
 *
 * Error dialect: every int-returning entry point and callback returns >= 0 on success and a
 * negative errno on failure. The WSFC codes map as follows:
 *
 *   WSFC                               wolfpack
 *   ERROR_SUCCESS (0)                  0
 *   ERROR_IO_PENDING (997)             -EINPROGRESS  (online/offline: finish on a worker)
 *   ERROR_RESOURCE_NOT_AVAILABLE (5006) -EBUSY       (online: lost arbitration)
 *   ERROR_INVALID_FUNCTION (1)         -EOPNOTSUPP   (control: apply the default handling)
 *   ERROR_MORE_DATA (234)              -ENOBUFS      (control: *ret_bytes holds the size needed)
 *   ERROR_RESOURCE_PROPERTIES_STORED   WP_PROPERTIES_STORED (1, a success)
 *   ERROR_RESOURCE_NOT_FOUND (5007)    -ENOENT
 *   ERROR_INVALID_PARAMETER (87)       -EINVAL
 *   ERROR_REVISION_MISMATCH (1306)     -EPROTONOSUPPORT (startup: no common ABI version)
 *   ERROR_CLUSTER_RESNAME_NOT_FOUND    -ENOENT          (startup: unknown type name)
 *
 * Threading (WSFC's rule, per instance): the monitor never runs two entry points for the same
 * instance at once, except terminate, which may run while online, offline, looks_alive,
 * is_alive, a control call or cancel is in progress for that instance. Entry points of
 * different instances may run concurrently on different threads. open, close and startup never
 * overlap terminate. Every entry point should return within 300 ms; longer work belongs on a
 * worker (see worker_create) with online/offline answering -EINPROGRESS. A call that does not
 * return within the instance's DeadlockTimeout makes the monitor report a deadlock and exit.
 *
 * Callbacks may be called from any thread, including plugin workers, from the moment open is
 * entered until close returns, and they never block on the monitor's own work. A callback
 * given a handle the monitor does not know (NULL, garbage, or a closed instance) returns
 * -ESTALE and is reported as plugin misbehaviour; it never crashes the monitor.
 *
 * A terminate that starts before an online/offline/poll/control call has entered the plugin
 * cancels that call: the plugin never sees it. Once a call has entered, terminate may overlap
 * it, and the call's result no longer counts.
 */
#ifndef WOLFPACK_RESAPI_H
#define WOLFPACK_RESAPI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define WP_EXPORT __attribute__((visibility("default")))
#define WP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define WP_EXPORT
#define WP_PRINTF(a, b)
#endif

/* ABI versions. Version 1 is the first; later versions append fields to both tables. */
#define WP_RESAPI_VERSION_1   1u
#define WP_RESAPI_VERSION     WP_RESAPI_VERSION_1
#define WP_RESAPI_VERSION_MIN WP_RESAPI_VERSION_1
#define WP_RESAPI_VERSION_MAX WP_RESAPI_VERSION_1

/* The one symbol a plugin exports. */
#define WP_STARTUP_SYMBOL "wp_resource_startup"

/* Success code of resource_control: the change is saved, effective after the next
 * offline/online (ERROR_RESOURCE_PROPERTIES_STORED). */
#define WP_PROPERTIES_STORED 1

/* CLUSTER_RESOURCE_STATE, with WSFC's values. */
typedef enum wp_resource_state {
	WP_RESOURCE_STATE_UNKNOWN = -1,
	WP_RESOURCE_INHERITED = 0,
	WP_RESOURCE_INITIALIZING = 1,
	WP_RESOURCE_ONLINE = 2,
	WP_RESOURCE_OFFLINE = 3,
	WP_RESOURCE_FAILED = 4,
	WP_RESOURCE_CANNOT_COME_ONLINE_ON_ANY_NODE = 126,
	WP_RESOURCE_CANNOT_COME_ONLINE_ON_THIS_NODE = 127,
	WP_RESOURCE_PENDING = 128,
	WP_RESOURCE_ONLINE_PENDING = 129,
	WP_RESOURCE_OFFLINE_PENDING = 130,
} wp_resource_state;

/* FAILURE_TYPE. */
typedef enum wp_failure_type {
	WP_FAILURE_TYPE_GENERAL = 0,
	WP_FAILURE_TYPE_EMBEDDED = 1,
	WP_FAILURE_TYPE_NETWORK_LOSS = 2,
} wp_failure_type;

/* LOG_LEVEL of LogEvent. */
typedef enum wp_log_level {
	WP_LOG_INFORMATION = 0,
	WP_LOG_WARNING = 1,
	WP_LOG_ERROR = 2,
	WP_LOG_SEVERE = 3,
} wp_log_level;

/* RESOURCE_EXIT_STATE: what set_resource_status answers. */
typedef enum wp_exit_state {
	WP_EXIT_STATE_CONTINUE = 0,  /* keep working */
	WP_EXIT_STATE_TERMINATE = 1, /* the instance was terminated: stop the pending work now */
} wp_exit_state;

/* CLUSTER_RESOURCE_APPLICATION_STATE of set_internal_state. */
typedef enum wp_application_state {
	WP_APPLICATION_STATE_UNKNOWN = 1,
	WP_APPLICATION_OS_HEARTBEAT = 2,
	WP_APPLICATION_READY = 3,
} wp_application_state;

/* Resource StatusInformation bits (CLUSRES_STATUS_*), as the monitor reports them. */
#define WP_RES_STATUS_LOCKED_MODE      0x001u
#define WP_RES_STATUS_EMBEDDED_FAILURE 0x002u
#define WP_RES_STATUS_NETWORK_FAILURE  0x020u
#define WP_RES_STATUS_UNMONITORED      0x040u
#define WP_RES_STATUS_OS_HEARTBEAT     0x080u
#define WP_RES_STATUS_APPLICATION_READY 0x100u

/* Flags of wp_resource_status.flags (CLUSRESDLL_STATUS_*). */
#define WP_STATUS_OFFLINE_BUSY                  0x001u
#define WP_STATUS_OFFLINE_SOURCE_THROTTLED      0x002u
#define WP_STATUS_OFFLINE_DESTINATION_THROTTLED 0x004u
#define WP_STATUS_OFFLINE_DESTINATION_REJECTED  0x008u
#define WP_STATUS_INSUFFICIENT_MEMORY           0x010u
#define WP_STATUS_INSUFFICIENT_PROCESSOR        0x020u
#define WP_STATUS_INSUFFICIENT_OTHER_RESOURCES  0x040u
#define WP_STATUS_INVALID_PARAMETERS            0x080u
#define WP_STATUS_NETWORK_NOT_AVAILABLE         0x100u

/* Flags of open / online / offline (CLUS_RESDLL_*), passed through from the service. */
#define WP_OPEN_RECOVER_MONITOR_STATE       0x01u
#define WP_ONLINE_RECOVER_MONITOR_STATE     0x01u
#define WP_ONLINE_IGNORE_RESOURCE_STATUS    0x02u
#define WP_ONLINE_RESTORE_ONLINE_STATE      0x08u
#define WP_OFFLINE_IGNORE_RESOURCE_STATUS   0x01u
#define WP_OFFLINE_DUE_TO_EMBEDDED_FAILURE  0x10u

/*
 * RESOURCE_STATUS_EX. A plugin reports progress of a pending online/offline with a growing
 * checkpoint; the monitor treats a report whose checkpoint did not grow as no report (it does
 * not move the PendingTimeout deadline). event_fd: -1, or a pollable descriptor for
 * asynchronous failure detection (same meaning as online's *ret_event_fd), taken when the state
 * reported is WP_RESOURCE_ONLINE. Zero-fill and set event_fd = -1 with wp_resource_status_init().
 */
typedef struct wp_resource_status {
	int32_t state;        /* wp_resource_state */
	uint32_t checkpoint;
	uint32_t wait_hint;   /* ms; informational */
	int32_t event_fd;
	uint32_t app_error;   /* ApplicationSpecificErrorCode; kept as LastOperationStatusCode */
	uint32_t flags;       /* WP_STATUS_* */
} wp_resource_status;

static inline void wp_resource_status_init(wp_resource_status *s)
{
	memset(s, 0, sizeof(*s));
	s->event_fd = -1;
}

/* RESID: the plugin's own instance pointer, opaque to the monitor. */
typedef void *wp_resid;

/* RESOURCE_HANDLE: the monitor's token for an instance. Opaque; only ever passed back to
 * callbacks. Never dereferenced by the monitor, so a wrong value is detected, not fatal. */
typedef struct wp_resource_handle_s *wp_resource_handle;

/* Context of an asynchronous control call (PRES_CTL_CTX / PRESTYPE_CTL_CTX). */
typedef int64_t wp_control_ctx;

/*
 * Private properties of an instance, as a NULL-terminated array of "KEY=VALUE" strings
 * (the registry key of WSFC's Open). Owned by the monitor and valid until close returns; copy
 * what must live longer.
 */
static inline const char *wp_param_get(const char *const *params, const char *key)
{
	size_t n = strlen(key);

	for (; params && *params; params++)
		if (strncmp(*params, key, n) == 0 && (*params)[n] == '=')
			return *params + n + 1;
	return NULL;
}

/* Worker threads (CLUS_WORKER). Zero-fill before worker_create; do not touch the fields. */
typedef struct wp_worker {
	void *opaque[4];
} wp_worker;

/* WorkerStartRoutine. Its return value is reported to the monitor's log at debug level. */
typedef int (*wp_worker_fn)(wp_worker *worker, void *userdata);

/* ResourceCallback of enumerate_resources: one call per instance of the type. Return 0 to go
 * on, anything else to stop (it is what enumerate_resources returns then). */
typedef int (*wp_resource_callback)(wp_resource_handle resource, const char *name,
				    void *userdata);

/* QuorumResourceLost, given to arbitrate. */
typedef void (*wp_quorum_resource_lost_fn)(wp_resource_handle resource);

/*
 * The monitor's callbacks (CLRES_CALLBACK_FUNCTION_TABLE plus V1's SetResourceStatus and
 * resutils' worker helpers). Valid from startup until the process exits.
 */
typedef struct wp_resource_callbacks {
	uint32_t size;    /* sizeof(wp_resource_callbacks) as the monitor was built */
	uint32_t version; /* WP_RESAPI_VERSION of the monitor */

	/* SetResourceStatus / SetResourceStatusEx: progress of a pending online/offline.
	 * Legal while online/offline runs or is pending (-EINVAL otherwise); a report made
	 * before the entry point returned -EINPROGRESS is held and applied when it does.
	 * Returns a wp_exit_state or -errno. set_resource_status ignores app_error/flags. */
	int (*set_resource_status)(wp_resource_handle resource, const wp_resource_status *status);
	int (*set_resource_status_ex)(wp_resource_handle resource,
				      const wp_resource_status *status);

	/* LogEvent: a line for the cluster log, "<type> <name>: <message>", at most 500
	 * characters after formatting (longer is cut). */
	void (*log_event)(wp_resource_handle resource, wp_log_level level, const char *format,
			  ...) WP_PRINTF(3, 4);

	/* SignalFailure: the instance failed now. The monitor terminates it and reports the
	 * failure with its type and code (embedded failures follow EmbeddedFailureAction). */
	int (*signal_failure)(wp_resource_handle resource, wp_failure_type type,
			      uint32_t app_error);

	/* QuorumResourceLost (also handed to arbitrate). */
	void (*quorum_resource_lost)(wp_resource_handle resource);

	/* SetInternalState: sets or clears StatusInformation OS_HEARTBEAT / APPLICATION_READY. */
	int (*set_internal_state)(wp_resource_handle resource, wp_application_state state,
				  bool active);

	/* SetResourceLockedMode: sets or clears StatusInformation LOCKED_MODE. */
	int (*set_resource_locked_mode)(wp_resource_handle resource, bool enabled,
					uint32_t reason);

	/* SetResourceInMemoryNodeLocalProperties: node-local, non-persisted properties as a
	 * NULL-terminated "KEY=VALUE" array; they replace the previous set. Copied. */
	int (*set_resource_in_memory_node_local_properties)(wp_resource_handle resource,
							   const char *const *properties);

	/* ExtendControlCall / EndControlCall and the resource-type twins: for control calls
	 * that begin_resource_control / begin_resource_type_control answered asynchronously.
	 * extend moves the call's deadline to now + new_timeout_ms; end completes it with a
	 * status in this header's error dialect and the number of bytes written to the output
	 * buffer (which stays valid until end is called). */
	int (*extend_control_call)(wp_control_ctx ctx, uint32_t new_timeout_ms);
	int (*end_control_call)(wp_control_ctx ctx, int status, size_t bytes_returned);
	int (*extend_type_control_call)(wp_control_ctx ctx, uint32_t new_timeout_ms);
	int (*end_type_control_call)(wp_control_ctx ctx, int status, size_t bytes_returned);

	/* ChangeResourceProcessForDumps / ChangeResTypeProcessForDumps: register (add=true) or
	 * drop helper processes whose state matters in a post-mortem; the monitor names them in
	 * its deadlock and crash reports. */
	int (*change_resource_process_for_dumps)(wp_resource_handle resource,
						 const char *process_name, pid_t pid, bool add);
	int (*change_res_type_process_for_dumps)(const char *type, const char *process_name,
						 pid_t pid, bool add);

	/* RaiseResTypeNotification: an opaque, type-specific payload for the cluster service
	 * (at most 4096 bytes). */
	int (*raise_res_type_notification)(const char *type, const void *payload, size_t size);

	/* ResourceCallback(Ex): calls cb for every open instance of the type in this monitor.
	 * Returns the number of instances visited, or the first non-zero value cb returned. */
	int (*enumerate_resources)(const char *type, wp_resource_callback cb, void *userdata);

	/* WorkerStartRoutine helpers (ClusWorkerCreate / ClusWorkerCheckTerminate /
	 * ClusWorkerTerminate). worker_terminate asks the thread to stop and waits for it. As
	 * in WSFC, only the first caller waits: a concurrent second call returns at once, before
	 * the thread has necessarily exited, and a worker terminating itself is detached. A
	 * worker must be joined before the memory of its wp_worker is freed. */
	int (*worker_create)(wp_worker *worker, wp_worker_fn fn, void *userdata);
	bool (*worker_check_terminate)(wp_worker *worker);
	void (*worker_terminate)(wp_worker *worker);

	/* Asynchronous failure detection with one descriptor shared by several instances:
	 * before making the shared descriptor readable, flag each failed instance with this.
	 * When a descriptor wakes the monitor, it terminates the flagged instances among those
	 * watching it, or the single instance watching it when only one does. */
	int (*mark_event_failure)(wp_resource_handle resource, uint32_t app_error);
} wp_resource_callbacks;

/*
 * The plugin's entry points (CLRES_FUNCTION_TABLE). All are required except arbitrate and
 * release (quorum-capable types only). Unless said otherwise, pointers passed in are borrowed
 * for the duration of the call.
 */
typedef struct wp_resource_ops {
	uint32_t size;    /* sizeof(wp_resource_ops) as the plugin was built */
	uint32_t version; /* the ABI version chosen, within the range startup was given */

	/* Open: create an instance in offline state. Returns 0 and stores the plugin's id in
	 * *ret_id, or -errno. handle identifies the instance in callbacks. */
	int (*open)(const char *name, const char *const *params, wp_resource_handle handle,
		    uint32_t flags, wp_resid *ret_id);
	/* Close: free the instance; the monitor has terminated it if it was not offline. */
	void (*close)(wp_resid id);
	/* Online: 0 = online; -EINPROGRESS = pending (report with set_resource_status);
	 * -EBUSY = not available (lost arbitration); other = failed (the monitor calls
	 * terminate). *ret_event_fd is -1 on entry; set it to a pollable descriptor to use
	 * asynchronous failure detection: looks_alive is then not polled, and the descriptor
	 * becoming readable makes the monitor call terminate at once. The plugin owns the
	 * descriptor and keeps it open until terminate or offline returns. */
	int (*online)(wp_resid id, uint32_t flags, int *ret_event_fd);
	/* Offline: 0, -EINPROGRESS, or error (the monitor calls terminate). */
	int (*offline)(wp_resid id, uint32_t flags);
	/* Terminate: stop now, abandon pending work; the instance is offline on return. */
	void (*terminate)(wp_resid id);
	/* LooksAlive: cheap check; false makes the monitor call is_alive at once. */
	bool (*looks_alive)(wp_resid id);
	/* IsAlive: thorough check; false = failed (the monitor calls terminate). */
	bool (*is_alive)(wp_resid id);
	/* Arbitrate / Release: quorum-capable types; may be NULL. */
	int (*arbitrate)(wp_resid id, wp_quorum_resource_lost_fn lost);
	int (*release)(wp_resid id);
	/* ResourceControl / ResourceTypeControl: 0 or WP_PROPERTIES_STORED with *ret_bytes
	 * written; -EOPNOTSUPP = apply the default handling; -ENOBUFS with *ret_bytes = size
	 * needed; other -errno. */
	int (*resource_control)(wp_resid id, uint32_t code, const void *in, size_t in_size,
				void *out, size_t out_size, size_t *ret_bytes);
	int (*resource_type_control)(const char *type, uint32_t code, const void *in,
				     size_t in_size, void *out, size_t out_size,
				     size_t *ret_bytes);
	/* Cancel: cancel the online/offline in progress (the monitor calls it concurrently
	 * with a pending operation's worker, never with another entry point). */
	int (*cancel)(wp_resid id, uint32_t flags);
	/* BeginResourceControl / BeginResourceTypeControl: as the control calls above, but the
	 * plugin may set *ret_async = true and finish later with end_(type_)control_call(ctx,
	 * ...); out stays valid until then. */
	int (*begin_resource_control)(wp_resid id, uint32_t code, const void *in, size_t in_size,
				      void *out, size_t out_size, size_t *ret_bytes,
				      wp_control_ctx ctx, bool *ret_async);
	int (*begin_resource_type_control)(const char *type, uint32_t code, const void *in,
					   size_t in_size, void *out, size_t out_size,
					   size_t *ret_bytes, wp_control_ctx ctx,
					   bool *ret_async);
	/* Fields above: ABI version 1. Append only. */
} wp_resource_ops;

/*
 * Startup: called once per resource type. Returns 0 and stores a table that stays valid until
 * the process exits, -EPROTONOSUPPORT if no version in [min_version, max_version] is
 * supported, or -ENOENT for an unknown type. callbacks stay valid until the process exits.
 */
typedef int (*wp_startup_fn)(const char *type, uint32_t min_version, uint32_t max_version,
			     const wp_resource_callbacks *callbacks,
			     const wp_resource_ops **ret_ops);

#ifdef __cplusplus
}
#endif
#endif
