/* SPDX-License-Identifier: MIT */
/*
 * wolfpack/compat/resapi.h - the WSFC resource DLL names over the native plugin ABI.
 *
 * Port a Windows resource DLL by including this header instead of <resapi.h> and writing one
 * line in one .c file:
 *
 *     WP_COMPAT_RESOURCE_DLL(Startup);        (V1: Startup gets SetResourceStatus, LogEvent)
 *     WP_COMPAT_RESOURCE_DLL_EX(StartupEx);   (StartupEx gets CLRES_CALLBACK_FUNCTION_TABLE)
 *
 * The macro defines the exported wp_resource_startup (<wolfpack/resapi.h>). It calls the
 * DLL's startup routine with adapters for the monitor's callbacks, checks the
 * CLRES_FUNCTION_TABLE it returns, and hands the monitor a wp_resource_ops of adapters that
 * call the DLL's routines and translate the results (table below). Use it once per plugin.
 * The header itself may be included by several .c files of one plugin: everything is static
 * inline, the bridge's state lives in function-local statics of the file that expands the
 * macro, and the last-error value is one hidden thread-local shared by the whole plugin.
 *
 * What changes when porting (the compiler flags most of it):
 *  - Strings are narrow UTF-8: LPCWSTR is const char *, WCHAR is char. L"..." literals become
 *    plain "..."; wcs*() calls become str*(); TEXT("x")/_T("x") still work.
 *  - LogEvent takes a printf format, checked at compile time. FormatMessage inserts (%1,
 *    %2!u!) are not supported; %ws/%ls become %s. DWORD is uint32_t: %u, not %lu.
 *  - The ResourceKey (HKEY) of Open is the instance's private properties (WSFC's "Parameters"
 *    subkey) as the native NULL-terminated "KEY=VALUE" array. It stays valid until Close
 *    returns, so keep it in the instance instead of ClusterRegOpenKey/ClusterRegCloseKey; read
 *    it with WpCompatGetParam, ResUtilGetSzValue or ResUtilGetDwordValue.
 *  - A HANDLE is a void * carrying fd + 1, so NULL (and zero-filled memory) means "no handle"
 *    as on Windows. WP_HANDLE_FROM_FD / WP_FD_FROM_HANDLE convert. CreateEvent makes an
 *    eventfd (manual- and auto-reset alike: the monitor only polls it, never reads it),
 *    SetEvent makes it readable, CloseHandle closes it.
 *  - SetResourceInMemoryNodeLocalProperties takes a NULL-terminated "KEY=VALUE" array instead
 *    of a property-list buffer.
 *  - Only CLRES_VERSION_V1_00 tables are accepted (Open/Online/Offline without flags, no
 *    Cancel, synchronous ResourceControl). The StartupEx callback table therefore lacks
 *    EndControlCall, EndTypeControlCall, ExtendControlCall and ExtendTypeControlCall: a V1
 *    table has no BeginResourceControl that could use them.
 *  - Do not include <syslog.h> in the same file: its LOG_WARNING/LOG_ERR macros clash with
 *    LOG_LEVEL.
 *  - C only (gnu11, like the rest of the project): the bridge relies on C initialisers and
 *    GCC builtins.
 *
 * Result translation (WSFC -> native; <wolfpack/resapi.h> has the meaning of each):
 *
 *   ERROR_SUCCESS                      0
 *   ERROR_RESOURCE_PROPERTIES_STORED   WP_PROPERTIES_STORED (control calls; -EIO elsewhere)
 *   ERROR_IO_PENDING                   -EINPROGRESS
 *   ERROR_RESOURCE_NOT_AVAILABLE       -EBUSY
 *   ERROR_INVALID_FUNCTION             -EOPNOTSUPP
 *   ERROR_MORE_DATA                    -ENOBUFS (*ret_bytes = BytesReturned)
 *   ERROR_RESOURCE_NOT_FOUND           -ENOENT
 *   ERROR_CLUSTER_RESNAME_NOT_FOUND    -ENOENT
 *   ERROR_FILE_NOT_FOUND               -ENOENT
 *   ERROR_INVALID_PARAMETER            -EINVAL
 *   ERROR_REVISION_MISMATCH            -EPROTONOSUPPORT
 *   ERROR_NOT_ENOUGH_MEMORY            -ENOMEM
 *   ERROR_OUTOFMEMORY                  -ENOMEM
 *   anything else                      -EIO
 *
 * Open returning NULL is translated from GetLastError() the same way (ERROR_SUCCESS there
 * becomes -EIO). BOOL becomes bool (non-zero is true); the HANDLE stored in *EventHandle by
 * Online, or in RESOURCE_STATUS(_EX).EventHandle, becomes the native event fd. Callbacks
 * answer the other way round: a native -errno becomes the nearest code of the table above
 * (-ESTALE, an unknown handle, becomes ERROR_INVALID_HANDLE; unlisted ones ERROR_GEN_FAILURE);
 * SetResourceStatus(Ex) answers ResourceExitStateTerminate for an unknown (closed) handle and
 * ResourceExitStateContinue for a report the monitor refused for another reason.
 *
 * wp_resource_startup fails with the translated startup result, -EPROTONOSUPPORT when the
 * monitor's version range lacks ABI version 1 or the DLL's table is not a V1 table, -EINVAL
 * when a required slot is NULL, and -ENOSPC when the DLL returned more than
 * WP_COMPAT_MAX_TABLES distinct tables (one per resource type at most; types may share one).
 */
#ifndef WOLFPACK_COMPAT_RESAPI_H
#define WOLFPACK_COMPAT_RESAPI_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <wolfpack/resapi.h>

#ifdef LOG_WARNING
#error "<syslog.h> defines LOG_WARNING: do not include it with <wolfpack/compat/resapi.h>"
#endif

#include <wolfpack/compat/wintypes.h>

/* The translation table of the top of this file; first match wins. to_errno / from_errno
 * say which directions an entry serves. */
static inline int wp__compat_map(DWORD error, int err, bool to_errno)
{
	static const struct {
		DWORD error;
		int err;
		bool to_errno, from_errno;
	} map[] = {
		{ ERROR_SUCCESS, 0, true, true },
		{ ERROR_RESOURCE_PROPERTIES_STORED, WP_PROPERTIES_STORED, true, true },
		{ ERROR_IO_PENDING, -EINPROGRESS, true, true },
		{ ERROR_RESOURCE_NOT_AVAILABLE, -EBUSY, true, true },
		{ ERROR_INVALID_FUNCTION, -EOPNOTSUPP, true, true },
		{ ERROR_MORE_DATA, -ENOBUFS, true, true },
		{ ERROR_RESOURCE_NOT_FOUND, -ENOENT, true, true },
		{ ERROR_INVALID_PARAMETER, -EINVAL, true, true },
		{ ERROR_REVISION_MISMATCH, -EPROTONOSUPPORT, true, true },
		{ ERROR_NOT_ENOUGH_MEMORY, -ENOMEM, true, true },
		{ ERROR_CLUSTER_RESNAME_NOT_FOUND, -ENOENT, true, false },
		{ ERROR_FILE_NOT_FOUND, -ENOENT, true, false },
		{ ERROR_OUTOFMEMORY, -ENOMEM, true, false },
		{ ERROR_INVALID_HANDLE, -ESTALE, false, true },
		{ ERROR_INVALID_HANDLE, -EBADF, false, true },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (to_errno && map[i].to_errno && map[i].error == error)
			return map[i].err;
		if (!to_errno && map[i].from_errno && map[i].err == err)
			return (int) map[i].error;
	}
	return to_errno ? -EIO : ERROR_GEN_FAILURE;
}

/* A native result (>= 0 success, WP_PROPERTIES_STORED included, or -errno) as a WSFC code.
 * For a plain errno value, pass -errno. */
static inline DWORD WpCompatErrorFromErrno(int r)
{
	if (r > WP_PROPERTIES_STORED)
		r = 0;
	return (DWORD) wp__compat_map(0, r, false);
}

/* ---- States, levels, failure types ---------------------------------------------------- */

typedef enum RESOURCE_EXIT_STATE {
	ResourceExitStateContinue = WP_EXIT_STATE_CONTINUE,
	ResourceExitStateTerminate = WP_EXIT_STATE_TERMINATE,
	ResourceExitStateMax = 2,
} RESOURCE_EXIT_STATE;

typedef enum LOG_LEVEL {
	LOG_INFORMATION = WP_LOG_INFORMATION,
	LOG_WARNING = WP_LOG_WARNING,
	LOG_ERROR = WP_LOG_ERROR,
	LOG_SEVERE = WP_LOG_SEVERE,
} LOG_LEVEL, *PLOG_LEVEL;

typedef enum FAILURE_TYPE {
	FAILURE_TYPE_GENERAL = WP_FAILURE_TYPE_GENERAL,
	FAILURE_TYPE_EMBEDDED = WP_FAILURE_TYPE_EMBEDDED,
	FAILURE_TYPE_NETWORK_LOSS = WP_FAILURE_TYPE_NETWORK_LOSS,
} FAILURE_TYPE;

typedef enum CLUSTER_RESOURCE_APPLICATION_STATE {
	ClusterResourceApplicationStateUnknown = WP_APPLICATION_STATE_UNKNOWN,
	ClusterResourceApplicationOSHeartBeat = WP_APPLICATION_OS_HEARTBEAT,
	ClusterResourceApplicationReady = WP_APPLICATION_READY,
} CLUSTER_RESOURCE_APPLICATION_STATE;

/* RESOURCE_STATUS_EX.Flags */
#define CLUSRESDLL_STATUS_OFFLINE_BUSY                  WP_STATUS_OFFLINE_BUSY
#define CLUSRESDLL_STATUS_OFFLINE_SOURCE_THROTTLED      WP_STATUS_OFFLINE_SOURCE_THROTTLED
#define CLUSRESDLL_STATUS_OFFLINE_DESTINATION_THROTTLED WP_STATUS_OFFLINE_DESTINATION_THROTTLED
#define CLUSRESDLL_STATUS_OFFLINE_DESTINATION_REJECTED  WP_STATUS_OFFLINE_DESTINATION_REJECTED
#define CLUSRESDLL_STATUS_INSUFFICIENT_MEMORY           WP_STATUS_INSUFFICIENT_MEMORY
#define CLUSRESDLL_STATUS_INSUFFICIENT_PROCESSOR        WP_STATUS_INSUFFICIENT_PROCESSOR
#define CLUSRESDLL_STATUS_INSUFFICIENT_OTHER_RESOURCES  WP_STATUS_INSUFFICIENT_OTHER_RESOURCES
#define CLUSRESDLL_STATUS_INVALID_PARAMETERS            WP_STATUS_INVALID_PARAMETERS
#define CLUSRESDLL_STATUS_NETWORK_NOT_AVAILABLE         WP_STATUS_NETWORK_NOT_AVAILABLE

/* ---- Identifiers and status ----------------------------------------------------------- */

typedef PVOID RESID;             /* the DLL's instance pointer */
typedef HANDLE RESOURCE_HANDLE;  /* the monitor's token; only ever passed back */

typedef struct RESOURCE_STATUS {
	CLUSTER_RESOURCE_STATE ResourceState;
	DWORD CheckPoint;
	DWORD WaitHint;
	HANDLE EventHandle;
} RESOURCE_STATUS, *PRESOURCE_STATUS;

typedef struct RESOURCE_STATUS_EX {
	CLUSTER_RESOURCE_STATE ResourceState;
	DWORD CheckPoint;
	HANDLE EventHandle;
	DWORD ApplicationSpecificErrorCode;
	DWORD Flags;
	DWORD WaitHint;
} RESOURCE_STATUS_EX, *PRESOURCE_STATUS_EX;

/* Zero-fills a RESOURCE_STATUS or RESOURCE_STATUS_EX (EventHandle NULL = no handle). */
#define ResUtilInitializeResourceStatus(status) memset((status), 0, sizeof(*(status)))

/* ---- Events (eventfd) ----------------------------------------------------------------- */

/* Named events are not supported (lpName must be NULL); the attributes are ignored. */
static inline HANDLE CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
				  BOOL bInitialState, LPCWSTR lpName)
{
	int fd;

	if (lpName) {
		SetLastError(ERROR_NOT_SUPPORTED);
		return NULL;
	}
	fd = eventfd(bInitialState ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		SetLastError(WpCompatErrorFromErrno(-errno));
		return NULL;
	}
	return WP_HANDLE_FROM_FD(fd);
}
#define CreateEventA CreateEventW
#define CreateEvent  CreateEventW

static inline BOOL SetEvent(HANDLE hEvent)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is saturated, so the event is signalled already. */
	if (write(WP_FD_FROM_HANDLE(hEvent), &one, sizeof(one)) < 0 && errno != EAGAIN) {
		SetLastError(WpCompatErrorFromErrno(-errno));
		return FALSE;
	}
	return TRUE;
}

static inline BOOL ResetEvent(HANDLE hEvent)
{
	uint64_t value;

	if (read(WP_FD_FROM_HANDLE(hEvent), &value, sizeof(value)) < 0 && errno != EAGAIN) {
		SetLastError(WpCompatErrorFromErrno(-errno));
		return FALSE;
	}
	return TRUE;
}

static inline BOOL CloseHandle(HANDLE hObject)
{
	if (!hObject || close(WP_FD_FROM_HANDLE(hObject)) < 0) {
		SetLastError(hObject ? WpCompatErrorFromErrno(-errno) : ERROR_INVALID_HANDLE);
		return FALSE;
	}
	return TRUE;
}

/* ---- HKEY: the private properties ----------------------------------------------------- */

typedef const char *const *HKEY; /* NULL-terminated "KEY=VALUE" array, see the top */

/* The value of property Name, or NULL. Borrowed from the monitor: valid until Close returns. */
static inline LPCWSTR WpCompatGetParam(HKEY hkeyClusterKey, LPCWSTR pszValueName)
{
	return pszValueName ? wp_param_get(hkeyClusterKey, pszValueName) : NULL;
}

/* LocalFree: frees what ResUtilGetSzValue returned. Returns NULL, as on Windows. */
static inline HLOCAL LocalFree(HLOCAL hMem)
{
	free(hMem);
	return NULL;
}

/* A copy of the value (free with LocalFree), or NULL with GetLastError() =
 * ERROR_FILE_NOT_FOUND or ERROR_NOT_ENOUGH_MEMORY. */
static inline LPWSTR ResUtilGetSzValue(HKEY hkeyClusterKey, LPCWSTR pszValueName)
{
	LPCWSTR value = WpCompatGetParam(hkeyClusterKey, pszValueName);
	LPWSTR copy;

	if (!value) {
		SetLastError(ERROR_FILE_NOT_FOUND);
		return NULL;
	}
	copy = strdup(value);
	if (!copy)
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
	return copy;
}

/* The value as a DWORD (decimal, or hex with 0x); dwDefaultValue if absent.
 * ERROR_INVALID_PARAMETER if it is not a number that fits in 32 bits. */
static inline DWORD ResUtilGetDwordValue(HKEY hkeyClusterKey, LPCWSTR pszValueName,
					 LPDWORD pdwOutValue, DWORD dwDefaultValue)
{
	LPCWSTR value = WpCompatGetParam(hkeyClusterKey, pszValueName);
	unsigned long long n;
	char *end;

	if (!pdwOutValue)
		return ERROR_INVALID_PARAMETER;
	if (!value) {
		*pdwOutValue = dwDefaultValue;
		return ERROR_SUCCESS;
	}
	if (*value < '0' || *value > '9') /* strtoull would take blanks and a sign */
		return ERROR_INVALID_PARAMETER;
	errno = 0;
	n = strtoull(value, &end, 0);
	if (errno || *end || n > UINT32_MAX)
		return ERROR_INVALID_PARAMETER;
	*pdwOutValue = (DWORD) n;
	return ERROR_SUCCESS;
}

/* ---- Callbacks the DLL calls ---------------------------------------------------------- */

/* Startup's SetResourceStatus; returns a RESOURCE_EXIT_STATE. */
typedef DWORD (*PSET_RESOURCE_STATUS_ROUTINE)(RESOURCE_HANDLE ResourceHandle,
					      PRESOURCE_STATUS ResourceStatus);
typedef DWORD (*PSET_RESOURCE_STATUS_ROUTINE_EX)(RESOURCE_HANDLE ResourceHandle,
						 PRESOURCE_STATUS_EX ResourceStatus);
/* A printf format, not a FormatMessage one. */
typedef VOID (*PLOG_EVENT_ROUTINE)(RESOURCE_HANDLE ResourceHandle, LOG_LEVEL LogLevel,
				   LPCWSTR FormatString, ...) WP_PRINTF(3, 4);
typedef VOID (*PQUORUM_RESOURCE_LOST)(RESOURCE_HANDLE Resource);
typedef DWORD (*PSET_RESOURCE_LOCKED_MODE_ROUTINE)(RESOURCE_HANDLE ResourceHandle,
						   BOOL LockedModeEnabled,
						   DWORD LockedModeReason);
typedef DWORD (*PSIGNAL_FAILURE_ROUTINE)(RESOURCE_HANDLE ResourceHandle, FAILURE_TYPE FailureType,
					 DWORD ApplicationSpecificErrorCode);
/* Not WSFC's property list: a NULL-terminated "KEY=VALUE" array, copied; replaces the set. */
typedef DWORD (*PSET_RESOURCE_INMEMORY_NODELOCAL_PROPERTIES_ROUTINE)(
	RESOURCE_HANDLE ResourceHandle, const LPCWSTR *Properties);
typedef DWORD (*PRAISE_RES_TYPE_NOTIFICATION)(LPCWSTR ResourceType, const PBYTE pPayload,
					      DWORD payloadSize);
typedef DWORD (*PCHANGE_RESOURCE_PROCESS_FOR_DUMPS)(RESOURCE_HANDLE resource,
						    LPCWSTR processName, DWORD processId,
						    BOOL isAdd);
typedef DWORD (*PCHANGE_RES_TYPE_PROCESS_FOR_DUMPS)(LPCWSTR resourceTypeName,
						    LPCWSTR processName, DWORD processId,
						    BOOL isAdd);
typedef DWORD (*PSET_INTERNAL_STATE)(RESOURCE_HANDLE resource,
				     CLUSTER_RESOURCE_APPLICATION_STATE stateType, BOOL active);

/* StartupEx's callbacks, in WSFC's member order minus the four control-call ones (see top). */
typedef struct CLRES_CALLBACK_FUNCTION_TABLE {
	PLOG_EVENT_ROUTINE LogEvent;
	PSET_RESOURCE_STATUS_ROUTINE_EX SetResourceStatusEx;
	PSET_RESOURCE_LOCKED_MODE_ROUTINE SetResourceLockedMode;
	PSIGNAL_FAILURE_ROUTINE SignalFailure;
	PSET_RESOURCE_INMEMORY_NODELOCAL_PROPERTIES_ROUTINE SetResourceInMemoryNodeLocalProperties;
	PRAISE_RES_TYPE_NOTIFICATION RaiseResTypeNotification;
	PCHANGE_RESOURCE_PROCESS_FOR_DUMPS ChangeResourceProcessForDumps;
	PCHANGE_RES_TYPE_PROCESS_FOR_DUMPS ChangeResTypeProcessForDumps;
	PSET_INTERNAL_STATE SetInternalState;
} CLRES_CALLBACK_FUNCTION_TABLE, *PCLRES_CALLBACK_FUNCTION_TABLE;

/* ---- Entry points the DLL implements -------------------------------------------------- */

typedef RESID (*POPEN_ROUTINE)(LPCWSTR ResourceName, HKEY ResourceKey,
			       RESOURCE_HANDLE ResourceHandle);
typedef VOID (*PCLOSE_ROUTINE)(RESID Resource);
typedef DWORD (*PONLINE_ROUTINE)(RESID Resource, LPHANDLE EventHandle);
typedef DWORD (*POFFLINE_ROUTINE)(RESID Resource);
typedef VOID (*PTERMINATE_ROUTINE)(RESID Resource);
typedef BOOL (*PIS_ALIVE_ROUTINE)(RESID Resource);
typedef BOOL (*PLOOKS_ALIVE_ROUTINE)(RESID Resource);
typedef DWORD (*PARBITRATE_ROUTINE)(RESID Resource, PQUORUM_RESOURCE_LOST LostQuorumResource);
typedef DWORD (*PRELEASE_ROUTINE)(RESID Resource);
/* InBuffer is the monitor's: read it, never write it. */
typedef DWORD (*PRESOURCE_CONTROL_ROUTINE)(RESID Resource, DWORD ControlCode, PVOID InBuffer,
					   DWORD InBufferSize, PVOID OutBuffer,
					   DWORD OutBufferSize, LPDWORD BytesReturned);
typedef DWORD (*PRESOURCE_TYPE_CONTROL_ROUTINE)(LPCWSTR ResourceTypeName, DWORD ControlCode,
						PVOID InBuffer, DWORD InBufferSize,
						PVOID OutBuffer, DWORD OutBufferSize,
						LPDWORD BytesReturned);

typedef struct CLRES_V1_FUNCTIONS {
	POPEN_ROUTINE Open;
	PCLOSE_ROUTINE Close;
	PONLINE_ROUTINE Online;
	POFFLINE_ROUTINE Offline;
	PTERMINATE_ROUTINE Terminate;
	PLOOKS_ALIVE_ROUTINE LooksAlive;
	PIS_ALIVE_ROUTINE IsAlive;
	PARBITRATE_ROUTINE Arbitrate;   /* quorum-capable types only; may be NULL */
	PRELEASE_ROUTINE Release;       /* quorum-capable types only; may be NULL */
	PRESOURCE_CONTROL_ROUTINE ResourceControl;
	PRESOURCE_TYPE_CONTROL_ROUTINE ResourceTypeControl;
} CLRES_V1_FUNCTIONS, *PCLRES_V1_FUNCTIONS;

typedef struct CLRES_FUNCTION_TABLE {
	DWORD TableSize; /* CLRES_V1_FUNCTION_SIZE */
	DWORD Version;   /* CLRES_VERSION_V1_00 */
	union {
		CLRES_V1_FUNCTIONS V1Functions;
	};
} CLRES_FUNCTION_TABLE, *PCLRES_FUNCTION_TABLE;

#define CLRES_VERSION_V1_00    0x100
#define CLRES_V1_FUNCTION_SIZE ((DWORD) sizeof(CLRES_V1_FUNCTIONS))

/* Defines CLRES_FUNCTION_TABLE Name; binds Prefix##Open, Close, Online, Offline, Terminate,
 * LooksAlive and IsAlive. Prefix it with static if the table is file-local. */
#define CLRES_V1_FUNCTION_TABLE(Name, Version_, Prefix, Arbitrate_, Release_, ResControl,    \
				ResTypeControl)                                             \
	CLRES_FUNCTION_TABLE Name = {                                                       \
		.TableSize = CLRES_V1_FUNCTION_SIZE,                                        \
		.Version = (Version_),                                                      \
		.V1Functions = {                                                            \
			.Open = Prefix##Open,                                               \
			.Close = Prefix##Close,                                             \
			.Online = Prefix##Online,                                           \
			.Offline = Prefix##Offline,                                         \
			.Terminate = Prefix##Terminate,                                     \
			.LooksAlive = Prefix##LooksAlive,                                   \
			.IsAlive = Prefix##IsAlive,                                         \
			.Arbitrate = (Arbitrate_),                                          \
			.Release = (Release_),                                              \
			.ResourceControl = (ResControl),                                    \
			.ResourceTypeControl = (ResTypeControl),                            \
		},                                                                          \
	}

typedef DWORD (*PSTARTUP_ROUTINE)(LPCWSTR ResourceType, DWORD MinVersionSupported,
				  DWORD MaxVersionSupported,
				  PSET_RESOURCE_STATUS_ROUTINE SetResourceStatus,
				  PLOG_EVENT_ROUTINE LogEvent,
				  PCLRES_FUNCTION_TABLE *FunctionTable);
typedef DWORD (*PSTARTUP_EX_ROUTINE)(LPCWSTR ResourceType, DWORD MinVersionSupported,
				     DWORD MaxVersionSupported,
				     PCLRES_CALLBACK_FUNCTION_TABLE MonitorCallbackFunctions,
				     PCLRES_FUNCTION_TABLE *ResourceDllInterfaceFunctions);

/* ===== The bridge. Everything below is internal (wp__compat_*); use the macros at the end. */

#ifndef WP_COMPAT_MAX_TABLES
#define WP_COMPAT_MAX_TABLES 8 /* distinct function tables per plugin; see WP__COMPAT_SLOTS */
#endif

/* The native open has no type argument, so each distinct DLL table needs its own open (and
 * type-control) adapter: one "slot" per table, each with adapters bound to its index. */
struct wp__compat_slot {
	const CLRES_FUNCTION_TABLE *dll_table; /* key: what the DLL's startup returned */
	CLRES_V1_FUNCTIONS fn;                 /* snapshot taken after validation */
	wp_resource_ops ops;
};

struct wp__compat_state {
	pthread_mutex_t lock; /* guards n_slots and slot filling */
	const wp_resource_callbacks *callbacks;
	wp_quorum_resource_lost_fn quorum_lost; /* last one arbitrate was given */
	unsigned n_slots;
	struct wp__compat_slot slots[WP_COMPAT_MAX_TABLES];
};

/* Per-instance wrapper: the native resid. */
struct wp__compat_instance {
	const CLRES_V1_FUNCTIONS *fn;
	RESID id;
};

static inline struct wp__compat_state *wp__compat_state(void)
{
	static struct wp__compat_state state = { .lock = PTHREAD_MUTEX_INITIALIZER };

	return &state;
}

static inline const wp_resource_callbacks *wp__compat_callbacks(void)
{
	return __atomic_load_n(&wp__compat_state()->callbacks, __ATOMIC_ACQUIRE);
}

/* A DWORD result of an entry point other than a control call: <= 0. */
static inline int wp__compat_result(DWORD error)
{
	int r = wp__compat_map(error, 0, true);

	return r > 0 ? -EIO : r;
}

/* A native callback's result as a WSFC code (successes all become ERROR_SUCCESS). */
static inline DWORD wp__compat_error(int r)
{
	return r >= 0 ? ERROR_SUCCESS : WpCompatErrorFromErrno(r);
}

static inline int wp__compat_fd(HANDLE h)
{
	intptr_t fd = (intptr_t) h - 1;

	return fd >= 0 && fd <= INT_MAX ? (int) fd : -1;
}

/* -- Callback adapters (WSFC -> native) -- */

static inline DWORD wp__compat_exit_state(int r)
{
	if (r >= 0)
		return (DWORD) r;
	/* -ESTALE: the instance is gone, so its pending work is moot. Other refusals (a report
	 * outside online/offline, a bad state) are the DLL's bug, logged by the monitor. */
	return r == -ESTALE ? ResourceExitStateTerminate : ResourceExitStateContinue;
}

static inline DWORD wp__compat_set_resource_status(RESOURCE_HANDLE ResourceHandle,
						   PRESOURCE_STATUS ResourceStatus)
{
	const wp_resource_callbacks *cb = wp__compat_callbacks();
	wp_resource_status st;

	if (!ResourceStatus)
		return ResourceExitStateContinue;
	wp_resource_status_init(&st);
	st.state = ResourceStatus->ResourceState;
	st.checkpoint = ResourceStatus->CheckPoint;
	st.wait_hint = ResourceStatus->WaitHint;
	st.event_fd = wp__compat_fd(ResourceStatus->EventHandle);
	return wp__compat_exit_state(
		cb->set_resource_status((wp_resource_handle) ResourceHandle, &st));
}

static inline DWORD wp__compat_set_resource_status_ex(RESOURCE_HANDLE ResourceHandle,
						      PRESOURCE_STATUS_EX ResourceStatus)
{
	const wp_resource_callbacks *cb = wp__compat_callbacks();
	wp_resource_status st;

	if (!ResourceStatus)
		return ResourceExitStateContinue;
	wp_resource_status_init(&st);
	st.state = ResourceStatus->ResourceState;
	st.checkpoint = ResourceStatus->CheckPoint;
	st.wait_hint = ResourceStatus->WaitHint;
	st.event_fd = wp__compat_fd(ResourceStatus->EventHandle);
	st.app_error = ResourceStatus->ApplicationSpecificErrorCode;
	st.flags = ResourceStatus->Flags;
	return wp__compat_exit_state(
		cb->set_resource_status_ex((wp_resource_handle) ResourceHandle, &st));
}

/* The native log_event has no va_list form: format here, hand over "%s". The monitor cuts
 * at 500 characters, so a longer buffer would be wasted. */
static inline WP_PRINTF(3, 4) VOID
	wp__compat_log_event(RESOURCE_HANDLE ResourceHandle, LOG_LEVEL LogLevel,
			     LPCWSTR FormatString, ...)
{
	const wp_resource_callbacks *cb = wp__compat_callbacks();
	char buf[501];
	va_list ap;

	if (!FormatString)
		return;
	va_start(ap, FormatString);
	vsnprintf(buf, sizeof(buf), FormatString, ap);
	va_end(ap);
	cb->log_event((wp_resource_handle) ResourceHandle, (wp_log_level) LogLevel, "%s", buf);
}

static inline VOID wp__compat_quorum_lost(RESOURCE_HANDLE Resource)
{
	wp_quorum_resource_lost_fn lost =
		__atomic_load_n(&wp__compat_state()->quorum_lost, __ATOMIC_ACQUIRE);

	if (!lost)
		lost = wp__compat_callbacks()->quorum_resource_lost;
	lost((wp_resource_handle) Resource);
}

static inline DWORD wp__compat_set_resource_locked_mode(RESOURCE_HANDLE ResourceHandle,
							BOOL LockedModeEnabled,
							DWORD LockedModeReason)
{
	return wp__compat_error(wp__compat_callbacks()->set_resource_locked_mode(
		(wp_resource_handle) ResourceHandle, LockedModeEnabled != FALSE, LockedModeReason));
}

static inline DWORD wp__compat_signal_failure(RESOURCE_HANDLE ResourceHandle,
					      FAILURE_TYPE FailureType,
					      DWORD ApplicationSpecificErrorCode)
{
	return wp__compat_error(wp__compat_callbacks()->signal_failure(
		(wp_resource_handle) ResourceHandle, (wp_failure_type) FailureType,
		ApplicationSpecificErrorCode));
}

static inline DWORD wp__compat_set_properties(RESOURCE_HANDLE ResourceHandle,
					      const LPCWSTR *Properties)
{
	return wp__compat_error(
		wp__compat_callbacks()->set_resource_in_memory_node_local_properties(
			(wp_resource_handle) ResourceHandle, Properties));
}

static inline DWORD wp__compat_raise_notification(LPCWSTR ResourceType, const PBYTE pPayload,
						  DWORD payloadSize)
{
	return wp__compat_error(wp__compat_callbacks()->raise_res_type_notification(
		ResourceType, pPayload, payloadSize));
}

static inline DWORD wp__compat_resource_dumps(RESOURCE_HANDLE resource, LPCWSTR processName,
					      DWORD processId, BOOL isAdd)
{
	return wp__compat_error(wp__compat_callbacks()->change_resource_process_for_dumps(
		(wp_resource_handle) resource, processName, (pid_t) processId, isAdd != FALSE));
}

static inline DWORD wp__compat_type_dumps(LPCWSTR resourceTypeName, LPCWSTR processName,
					  DWORD processId, BOOL isAdd)
{
	return wp__compat_error(wp__compat_callbacks()->change_res_type_process_for_dumps(
		resourceTypeName, processName, (pid_t) processId, isAdd != FALSE));
}

static inline DWORD wp__compat_set_internal_state(RESOURCE_HANDLE resource,
						  CLUSTER_RESOURCE_APPLICATION_STATE stateType,
						  BOOL active)
{
	return wp__compat_error(wp__compat_callbacks()->set_internal_state(
		(wp_resource_handle) resource, (wp_application_state) stateType, active != FALSE));
}

static inline PCLRES_CALLBACK_FUNCTION_TABLE wp__compat_callback_table(void)
{
	/* Not const: StartupEx takes a non-const pointer, as on Windows. */
	static CLRES_CALLBACK_FUNCTION_TABLE table = {
		.LogEvent = wp__compat_log_event,
		.SetResourceStatusEx = wp__compat_set_resource_status_ex,
		.SetResourceLockedMode = wp__compat_set_resource_locked_mode,
		.SignalFailure = wp__compat_signal_failure,
		.SetResourceInMemoryNodeLocalProperties = wp__compat_set_properties,
		.RaiseResTypeNotification = wp__compat_raise_notification,
		.ChangeResourceProcessForDumps = wp__compat_resource_dumps,
		.ChangeResTypeProcessForDumps = wp__compat_type_dumps,
		.SetInternalState = wp__compat_set_internal_state,
	};

	return &table;
}

/* -- Entry-point adapters (native -> WSFC) -- */

static inline int wp__compat_open(unsigned slot, const char *name, const char *const *params,
				  wp_resource_handle handle, uint32_t flags, wp_resid *ret_id)
{
	struct wp__compat_instance *inst;
	int r;

	if (!ret_id)
		return -EINVAL;
	inst = calloc(1, sizeof(*inst));
	if (!inst)
		return -ENOMEM;
	inst->fn = &wp__compat_state()->slots[slot].fn;
	SetLastError(ERROR_SUCCESS); /* so a stale code is not taken for this call's */
	inst->id = inst->fn->Open(name, params, (RESOURCE_HANDLE) handle);
	if (!inst->id) {
		r = wp__compat_result(GetLastError());
		free(inst);
		return r < 0 ? r : -EIO;
	}
	*ret_id = inst;
	return 0;
}

static inline void wp__compat_close(wp_resid id)
{
	struct wp__compat_instance *inst = id;

	inst->fn->Close(inst->id);
	free(inst);
}

static inline int wp__compat_online(wp_resid id, uint32_t flags, int *ret_event_fd)
{
	struct wp__compat_instance *inst = id;
	HANDLE event = NULL;
	DWORD e;

	e = inst->fn->Online(inst->id, &event);
	/* Handed over whatever the result: the monitor decides whether to watch it. */
	if (event && ret_event_fd)
		*ret_event_fd = wp__compat_fd(event);
	return wp__compat_result(e);
}

static inline int wp__compat_offline(wp_resid id, uint32_t flags)
{
	struct wp__compat_instance *inst = id;

	return wp__compat_result(inst->fn->Offline(inst->id));
}

static inline void wp__compat_terminate(wp_resid id)
{
	struct wp__compat_instance *inst = id;

	inst->fn->Terminate(inst->id);
}

static inline bool wp__compat_looks_alive(wp_resid id)
{
	struct wp__compat_instance *inst = id;

	return inst->fn->LooksAlive(inst->id) != FALSE;
}

static inline bool wp__compat_is_alive(wp_resid id)
{
	struct wp__compat_instance *inst = id;

	return inst->fn->IsAlive(inst->id) != FALSE;
}

static inline int wp__compat_arbitrate(wp_resid id, wp_quorum_resource_lost_fn lost)
{
	struct wp__compat_instance *inst = id;

	/* PQUORUM_RESOURCE_LOST takes a RESOURCE_HANDLE: hand over an adapter that calls the
	 * native function (the monitor passes the same one every time). */
	if (lost)
		__atomic_store_n(&wp__compat_state()->quorum_lost, lost, __ATOMIC_RELEASE);
	return wp__compat_result(inst->fn->Arbitrate(inst->id, wp__compat_quorum_lost));
}

static inline int wp__compat_release(wp_resid id)
{
	struct wp__compat_instance *inst = id;

	return wp__compat_result(inst->fn->Release(inst->id));
}

/* The DWORD of a control call: sizes, BytesReturned and ERROR_MORE_DATA. */
static inline int wp__compat_control_result(DWORD e, DWORD bytes, size_t out_size,
					    size_t *ret_bytes)
{
	int r = wp__compat_map(e, 0, true);

	if (r >= 0 && bytes > out_size)
		return -EIO; /* claims more than the buffer holds */
	if (ret_bytes)
		*ret_bytes = bytes;
	return r;
}

#define WP__COMPAT_DWORD_MAX(size) ((size) > UINT32_MAX ? UINT32_MAX : (DWORD) (size))

static inline int wp__compat_resource_control(wp_resid id, uint32_t code, const void *in,
					      size_t in_size, void *out, size_t out_size,
					      size_t *ret_bytes)
{
	struct wp__compat_instance *inst = id;
	DWORD bytes = 0, e;

	if (in_size > UINT32_MAX)
		return -EINVAL;
	/* A larger out buffer is offered as a smaller one, which is always correct. */
	e = inst->fn->ResourceControl(inst->id, code, (PVOID) in, (DWORD) in_size, out,
				      WP__COMPAT_DWORD_MAX(out_size), &bytes);
	return wp__compat_control_result(e, bytes, out_size, ret_bytes);
}

static inline int wp__compat_type_control(unsigned slot, const char *type, uint32_t code,
					  const void *in, size_t in_size, void *out,
					  size_t out_size, size_t *ret_bytes)
{
	const CLRES_V1_FUNCTIONS *fn = &wp__compat_state()->slots[slot].fn;
	DWORD bytes = 0, e;

	if (in_size > UINT32_MAX)
		return -EINVAL;
	e = fn->ResourceTypeControl(type, code, (PVOID) in, (DWORD) in_size, out,
				    WP__COMPAT_DWORD_MAX(out_size), &bytes);
	return wp__compat_control_result(e, bytes, out_size, ret_bytes);
}

/* V1 has no Cancel. */
static inline int wp__compat_cancel(wp_resid id, uint32_t flags)
{
	return -EOPNOTSUPP;
}

/* V1 control calls are synchronous: begin_* completes them at once. */
static inline int wp__compat_begin_resource_control(wp_resid id, uint32_t code, const void *in,
						    size_t in_size, void *out, size_t out_size,
						    size_t *ret_bytes, wp_control_ctx ctx,
						    bool *ret_async)
{
	if (ret_async)
		*ret_async = false;
	return wp__compat_resource_control(id, code, in, in_size, out, out_size, ret_bytes);
}

static inline int wp__compat_begin_type_control(unsigned slot, const char *type, uint32_t code,
						const void *in, size_t in_size, void *out,
						size_t out_size, size_t *ret_bytes,
						bool *ret_async)
{
	if (ret_async)
		*ret_async = false;
	return wp__compat_type_control(slot, type, code, in, in_size, out, out_size, ret_bytes);
}

/* The per-slot adapters: open, resource_type_control and begin_resource_type_control bound to
 * slot n. */
#define WP__COMPAT_SLOT(n)                                                                  \
	static inline int wp__compat_open_##n(const char *name, const char *const *params,  \
					      wp_resource_handle handle, uint32_t flags,    \
					      wp_resid *ret_id)                             \
	{                                                                                   \
		return wp__compat_open(n, name, params, handle, flags, ret_id);             \
	}                                                                                   \
	static inline int wp__compat_type_control_##n(const char *type, uint32_t code,      \
						      const void *in, size_t in_size,       \
						      void *out, size_t out_size,           \
						      size_t *ret_bytes)                    \
	{                                                                                   \
		return wp__compat_type_control(n, type, code, in, in_size, out, out_size,   \
					       ret_bytes);                                  \
	}                                                                                   \
	static inline int wp__compat_begin_type_control_##n(                                \
		const char *type, uint32_t code, const void *in, size_t in_size, void *out, \
		size_t out_size, size_t *ret_bytes, wp_control_ctx ctx, bool *ret_async)    \
	{                                                                                   \
		return wp__compat_begin_type_control(n, type, code, in, in_size, out,       \
						     out_size, ret_bytes, ret_async);       \
	}
WP__COMPAT_SLOT(0)
WP__COMPAT_SLOT(1)
WP__COMPAT_SLOT(2)
WP__COMPAT_SLOT(3)
WP__COMPAT_SLOT(4)
WP__COMPAT_SLOT(5)
WP__COMPAT_SLOT(6)
WP__COMPAT_SLOT(7)
#define WP__COMPAT_SLOTS 8 /* the expansions above; WP_COMPAT_MAX_TABLES may not exceed it */

#if WP_COMPAT_MAX_TABLES > WP__COMPAT_SLOTS || WP_COMPAT_MAX_TABLES < 1
#error "WP_COMPAT_MAX_TABLES must be between 1 and 8"
#endif

/* A table the bridge can drive: V1, and every slot WSFC requires is set. */
static inline int wp__compat_check_table(const CLRES_FUNCTION_TABLE *t)
{
	const CLRES_V1_FUNCTIONS *f;

	if (!t)
		return -EINVAL;
	if (t->Version != CLRES_VERSION_V1_00 || t->TableSize != CLRES_V1_FUNCTION_SIZE)
		return -EPROTONOSUPPORT;
	f = &t->V1Functions;
	if (!f->Open || !f->Close || !f->Online || !f->Offline || !f->Terminate ||
	    !f->LooksAlive || !f->IsAlive || !f->ResourceControl || !f->ResourceTypeControl)
		return -EINVAL;
	return 0;
}

/* The slot serving table t, taken and filled on first sight. Called with the lock held. */
static inline struct wp__compat_slot *wp__compat_slot_for(struct wp__compat_state *st,
							  const CLRES_FUNCTION_TABLE *t)
{
	static const struct {
		int (*open)(const char *, const char *const *, wp_resource_handle, uint32_t,
			    wp_resid *);
		int (*type_control)(const char *, uint32_t, const void *, size_t, void *, size_t,
				    size_t *);
		int (*begin_type_control)(const char *, uint32_t, const void *, size_t, void *,
					  size_t, size_t *, wp_control_ctx, bool *);
	} bound[WP__COMPAT_SLOTS] = {
#define WP__COMPAT_BOUND(n) \
	{ wp__compat_open_##n, wp__compat_type_control_##n, wp__compat_begin_type_control_##n }
		WP__COMPAT_BOUND(0), WP__COMPAT_BOUND(1), WP__COMPAT_BOUND(2),
		WP__COMPAT_BOUND(3), WP__COMPAT_BOUND(4), WP__COMPAT_BOUND(5),
		WP__COMPAT_BOUND(6), WP__COMPAT_BOUND(7),
#undef WP__COMPAT_BOUND
	};
	struct wp__compat_slot *s;

	for (unsigned i = 0; i < st->n_slots; i++)
		if (st->slots[i].dll_table == t)
			return &st->slots[i];
	if (st->n_slots >= WP_COMPAT_MAX_TABLES)
		return NULL;

	s = &st->slots[st->n_slots];
	s->dll_table = t;
	s->fn = t->V1Functions;
	s->ops = (wp_resource_ops){
		.size = sizeof(wp_resource_ops),
		.version = WP_RESAPI_VERSION_1,
		.open = bound[st->n_slots].open,
		.close = wp__compat_close,
		.online = wp__compat_online,
		.offline = wp__compat_offline,
		.terminate = wp__compat_terminate,
		.looks_alive = wp__compat_looks_alive,
		.is_alive = wp__compat_is_alive,
		.arbitrate = s->fn.Arbitrate ? wp__compat_arbitrate : NULL,
		.release = s->fn.Release ? wp__compat_release : NULL,
		.resource_control = wp__compat_resource_control,
		.resource_type_control = bound[st->n_slots].type_control,
		.cancel = wp__compat_cancel,
		.begin_resource_control = wp__compat_begin_resource_control,
		.begin_resource_type_control = bound[st->n_slots].begin_type_control,
	};
	st->n_slots++;
	return s;
}

/* The body of wp_resource_startup. Exactly one of startup / startup_ex is set. */
static inline int wp__compat_startup(const char *type, uint32_t min_version,
				     uint32_t max_version,
				     const wp_resource_callbacks *callbacks,
				     const wp_resource_ops **ret_ops, PSTARTUP_ROUTINE startup,
				     PSTARTUP_EX_ROUTINE startup_ex)
{
	/* Every callback the adapters use is in ABI version 1's table. */
	const size_t callbacks_v1_size = offsetof(wp_resource_callbacks, mark_event_failure) +
					 sizeof(callbacks->mark_event_failure);
	struct wp__compat_state *st = wp__compat_state();
	PCLRES_FUNCTION_TABLE table = NULL;
	struct wp__compat_slot *slot;
	DWORD e;
	int r;

	if (!type || !callbacks || !ret_ops || callbacks->size < callbacks_v1_size)
		return -EINVAL;
	if (min_version > WP_RESAPI_VERSION_1 || max_version < WP_RESAPI_VERSION_1)
		return -EPROTONOSUPPORT;

	/* The monitor's table is the same for every type and lives until exit; it must be in
	 * place before the DLL can call back from its startup routine. */
	__atomic_store_n(&st->callbacks, callbacks, __ATOMIC_RELEASE);
	if (startup_ex)
		e = startup_ex(type, CLRES_VERSION_V1_00, CLRES_VERSION_V1_00,
			       wp__compat_callback_table(), &table);
	else
		e = startup(type, CLRES_VERSION_V1_00, CLRES_VERSION_V1_00,
			    wp__compat_set_resource_status, wp__compat_log_event, &table);
	if (e != ERROR_SUCCESS) {
		r = wp__compat_result(e);
		return r < 0 ? r : -EIO;
	}
	r = wp__compat_check_table(table);
	if (r < 0)
		return r;

	pthread_mutex_lock(&st->lock);
	slot = wp__compat_slot_for(st, table);
	pthread_mutex_unlock(&st->lock);
	if (!slot)
		return -ENOSPC;
	*ret_ops = &slot->ops;
	return 0;
}

/* ===== The macros a ported DLL writes once, in one .c file, after its startup routine. ===== */

#define WP__COMPAT_DEFINE_STARTUP(startup, startup_ex)                                       \
	WP_EXPORT int wp_resource_startup(const char *wp__type, uint32_t wp__min_version,     \
					  uint32_t wp__max_version,                           \
					  const wp_resource_callbacks *wp__callbacks,         \
					  const wp_resource_ops **wp__ret_ops);               \
	WP_EXPORT int wp_resource_startup(const char *wp__type, uint32_t wp__min_version,     \
					  uint32_t wp__max_version,                           \
					  const wp_resource_callbacks *wp__callbacks,         \
					  const wp_resource_ops **wp__ret_ops)                \
	{                                                                                     \
		return wp__compat_startup(wp__type, wp__min_version, wp__max_version,         \
					  wp__callbacks, wp__ret_ops, (startup),              \
					  (startup_ex));                                      \
	}                                                                                     \
	_Static_assert(__builtin_types_compatible_p(__typeof__(&wp_resource_startup),         \
						    wp_startup_fn),                           \
		       "wp_resource_startup does not match wp_startup_fn")

/* StartupFunction: DWORD (LPCWSTR, DWORD, DWORD, PSET_RESOURCE_STATUS_ROUTINE,
 * PLOG_EVENT_ROUTINE, PCLRES_FUNCTION_TABLE *), i.e. a PSTARTUP_ROUTINE. */
#define WP_COMPAT_RESOURCE_DLL(StartupFunction) \
	WP__COMPAT_DEFINE_STARTUP((StartupFunction), NULL)

/* StartupExFunction: a PSTARTUP_EX_ROUTINE (gets CLRES_CALLBACK_FUNCTION_TABLE, which has
 * SignalFailure and SetResourceStatusEx). */
#define WP_COMPAT_RESOURCE_DLL_EX(StartupExFunction) \
	WP__COMPAT_DEFINE_STARTUP(NULL, (StartupExFunction))

#endif
