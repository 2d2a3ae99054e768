/* SPDX-License-Identifier: MIT */
/*
 * compat-dummy - a test resource type written the way a Windows resource DLL is, against the
 * WSFC/Win32 names of <wolfpack/compat/resapi.h> only: the one wolfpack name it uses is
 * WP_COMPAT_RESOURCE_DLL_EX. Parameters come through ResUtilGetDwordValue, the event handle
 * from CreateEvent (an eventfd underneath). It shows that a DLL's logic ports mechanically and
 * exercises the bridge's translations in both directions.
 *
 * It implements StartupEx rather than Startup: SignalFailure exists only in StartupEx's
 * CLRES_CALLBACK_FUNCTION_TABLE, and that table also has LogEvent and SetResourceStatusEx,
 * so one startup routine covers both failure routes.
 *
 * Private properties (all DWORDs, default 0):
 *   OnlinePending   1: Online answers ERROR_IO_PENDING; a thread reports OnlinePending with
 *                   checkpoints 1 and 2, then Online
 *   PendingStepMs   delay before each of those reports (default 20)
 *   FailAfterMs     N > 0: N ms after Online, a thread reports a failure
 *   UseEventHandle  1: the failure is reported by signalling the event handle Online returned;
 *                   0: through SignalFailure(FAILURE_TYPE_GENERAL, ERROR_GEN_FAILURE)
 * ResourceControl code 1 echoes InBuffer (ERROR_MORE_DATA when OutBuffer is too small); any
 * other code, and every ResourceTypeControl, answers ERROR_INVALID_FUNCTION.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wolfpack/compat/resapi.h>

#define DUMMY_TYPE_NAME       "compat-dummy"
#define DUMMY_CONTROL_ECHO    1
#define DUMMY_PENDING_STEP_MS 20

/* The monitor's callbacks, saved by StartupEx. */
static PLOG_EVENT_ROUTINE g_LogEvent;
static PSET_RESOURCE_STATUS_ROUTINE_EX g_SetResourceStatusEx;
static PSIGNAL_FAILURE_ROUTINE g_SignalFailure;

typedef struct DUMMY_RESOURCE {
	RESOURCE_HANDLE ResourceHandle;
	HKEY ParametersKey; /* valid until Close returns */
	char *Name;

	/* Parameters, read at Online. */
	DWORD PendingStepMs;
	DWORD FailAfterMs;
	BOOL UseEventHandle;

	/* The threads below, their stop request and the event they may signal. */
	pthread_mutex_t Lock;
	pthread_cond_t Wakeup;
	BOOL StopThreads;
	BOOL PendingRunning;
	BOOL FailureRunning;
	pthread_t PendingThread;
	pthread_t FailureThread;
	HANDLE EventHandle;
} DUMMY_RESOURCE, *PDUMMY_RESOURCE;

/* Waits up to Milliseconds; returns FALSE at once when the threads are asked to stop. */
static BOOL DummyWait(PDUMMY_RESOURCE Resource, DWORD Milliseconds)
{
	struct timespec deadline;
	BOOL stop;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += Milliseconds / 1000;
	deadline.tv_nsec += (long) (Milliseconds % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&Resource->Lock);
	while (!Resource->StopThreads &&
	       pthread_cond_timedwait(&Resource->Wakeup, &Resource->Lock, &deadline) == 0)
		;
	stop = Resource->StopThreads;
	pthread_mutex_unlock(&Resource->Lock);
	return !stop;
}

/* The pending Online: two checkpoints, then Online (with the event handle, if any). */
static void *DummyPendingThread(void *Parameter)
{
	PDUMMY_RESOURCE resource = Parameter;
	RESOURCE_STATUS_EX status;

	ResUtilInitializeResourceStatus(&status);
	status.ResourceState = ClusterResourceOnlinePending;
	for (DWORD checkpoint = 1; checkpoint <= 2; checkpoint++) {
		if (!DummyWait(resource, resource->PendingStepMs))
			return NULL;
		status.CheckPoint = checkpoint;
		if (g_SetResourceStatusEx(resource->ResourceHandle, &status) ==
		    ResourceExitStateTerminate)
			return NULL;
	}
	if (!DummyWait(resource, resource->PendingStepMs))
		return NULL;
	status.ResourceState = ClusterResourceOnline;
	status.CheckPoint++;
	status.EventHandle = resource->EventHandle;
	g_SetResourceStatusEx(resource->ResourceHandle, &status);
	return NULL;
}

/* FailAfterMs after Online: report the failure by the route the parameters chose. */
static void *DummyFailureThread(void *Parameter)
{
	PDUMMY_RESOURCE resource = Parameter;

	if (!DummyWait(resource, resource->FailAfterMs))
		return NULL;
	g_LogEvent(resource->ResourceHandle, LOG_WARNING, "failing after %u ms by %s",
		 resource->FailAfterMs,
		 resource->UseEventHandle ? "event handle" : "SignalFailure");
	if (resource->UseEventHandle)
		SetEvent(resource->EventHandle);
	else
		g_SignalFailure(resource->ResourceHandle, FAILURE_TYPE_GENERAL,
						  ERROR_GEN_FAILURE);
	return NULL;
}

/*
 * Stops and joins the threads, then closes the event handle (the failure thread may use it
 * until joined). Terminate may run while Online or Offline does: the thread ids are taken
 * under the lock, so each thread is joined exactly once.
 */
static void DummyStopThreads(PDUMMY_RESOURCE Resource)
{
	BOOL joinPending, joinFailure;
	pthread_t pending, failure;
	HANDLE event;

	pthread_mutex_lock(&Resource->Lock);
	Resource->StopThreads = TRUE;
	pthread_cond_broadcast(&Resource->Wakeup);
	joinPending = Resource->PendingRunning;
	joinFailure = Resource->FailureRunning;
	pending = Resource->PendingThread;
	failure = Resource->FailureThread;
	Resource->PendingRunning = FALSE;
	Resource->FailureRunning = FALSE;
	pthread_mutex_unlock(&Resource->Lock);

	if (joinPending)
		pthread_join(pending, NULL);
	if (joinFailure)
		pthread_join(failure, NULL);

	pthread_mutex_lock(&Resource->Lock);
	event = Resource->EventHandle;
	Resource->EventHandle = NULL;
	pthread_mutex_unlock(&Resource->Lock);
	if (event)
		CloseHandle(event);
}

static RESID WINAPI DummyOpen(LPCWSTR ResourceName, HKEY ResourceKey,
			      RESOURCE_HANDLE ResourceHandle)
{
	PDUMMY_RESOURCE resource = calloc(1, sizeof(*resource));
	pthread_condattr_t attr;

	if (!resource || !(resource->Name = strdup(ResourceName))) {
		free(resource);
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	resource->ResourceHandle = ResourceHandle;
	resource->ParametersKey = ResourceKey;
	pthread_mutex_init(&resource->Lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&resource->Wakeup, &attr);
	pthread_condattr_destroy(&attr);

	g_LogEvent(ResourceHandle, LOG_INFORMATION, "open %s", ResourceName);
	return resource;
}

static VOID WINAPI DummyClose(RESID ResourceId)
{
	PDUMMY_RESOURCE resource = ResourceId;

	DummyStopThreads(resource);
	pthread_cond_destroy(&resource->Wakeup);
	pthread_mutex_destroy(&resource->Lock);
	free(resource->Name);
	free(resource);
}

static DWORD DummyReadParameters(PDUMMY_RESOURCE Resource, LPDWORD OnlinePending)
{
	DWORD useEventHandle, status;

	status = ResUtilGetDwordValue(Resource->ParametersKey, "OnlinePending", OnlinePending, 0);
	if (status == ERROR_SUCCESS)
		status = ResUtilGetDwordValue(Resource->ParametersKey, "PendingStepMs",
					      &Resource->PendingStepMs, DUMMY_PENDING_STEP_MS);
	if (status == ERROR_SUCCESS)
		status = ResUtilGetDwordValue(Resource->ParametersKey, "FailAfterMs",
					      &Resource->FailAfterMs, 0);
	if (status == ERROR_SUCCESS)
		status = ResUtilGetDwordValue(Resource->ParametersKey, "UseEventHandle",
					      &useEventHandle, 0);
	if (status != ERROR_SUCCESS) {
		g_LogEvent(Resource->ResourceHandle, LOG_ERROR, "bad parameter value");
		return status;
	}
	Resource->UseEventHandle = useEventHandle != 0;
	return ERROR_SUCCESS;
}

static DWORD WINAPI DummyOnline(RESID ResourceId, LPHANDLE EventHandle)
{
	PDUMMY_RESOURCE resource = ResourceId;
	DWORD onlinePending, status;
	HANDLE event = NULL;

	status = DummyReadParameters(resource, &onlinePending);
	if (status != ERROR_SUCCESS)
		return status;
	if (resource->UseEventHandle) {
		event = CreateEvent(NULL, TRUE, FALSE, NULL);
		if (!event)
			return GetLastError();
	}

	pthread_mutex_lock(&resource->Lock);
	resource->StopThreads = FALSE;
	resource->EventHandle = event;
	status = ERROR_SUCCESS;
	if (resource->FailAfterMs > 0) {
		if (pthread_create(&resource->FailureThread, NULL, DummyFailureThread, resource) ==
		    0)
			resource->FailureRunning = TRUE;
		else
			status = ERROR_NOT_ENOUGH_MEMORY;
	}
	if (status == ERROR_SUCCESS && onlinePending) {
		if (pthread_create(&resource->PendingThread, NULL, DummyPendingThread, resource) ==
		    0)
			resource->PendingRunning = TRUE;
		else
			status = ERROR_NOT_ENOUGH_MEMORY;
	}
	pthread_mutex_unlock(&resource->Lock);
	if (status != ERROR_SUCCESS) {
		DummyStopThreads(resource);
		return status;
	}

	if (onlinePending)
		return ERROR_IO_PENDING; /* the event handle goes with the Online report */
	*EventHandle = event;
	return ERROR_SUCCESS;
}

static DWORD WINAPI DummyOffline(RESID ResourceId)
{
	DummyStopThreads(ResourceId);
	return ERROR_SUCCESS;
}

static VOID WINAPI DummyTerminate(RESID ResourceId)
{
	DummyStopThreads(ResourceId);
}

static BOOL WINAPI DummyLooksAlive(RESID ResourceId)
{
	return TRUE;
}

static BOOL WINAPI DummyIsAlive(RESID ResourceId)
{
	return TRUE;
}

static DWORD WINAPI DummyResourceControl(RESID ResourceId, DWORD ControlCode, PVOID InBuffer,
					 DWORD InBufferSize, PVOID OutBuffer, DWORD OutBufferSize,
					 LPDWORD BytesReturned)
{
	if (ControlCode != DUMMY_CONTROL_ECHO)
		return ERROR_INVALID_FUNCTION;
	*BytesReturned = InBufferSize;
	if (OutBufferSize < InBufferSize)
		return ERROR_MORE_DATA;
	if (InBufferSize > 0)
		memcpy(OutBuffer, InBuffer, InBufferSize);
	return ERROR_SUCCESS;
}

static DWORD WINAPI DummyResourceTypeControl(LPCWSTR ResourceTypeName, DWORD ControlCode,
					     PVOID InBuffer, DWORD InBufferSize, PVOID OutBuffer,
					     DWORD OutBufferSize, LPDWORD BytesReturned)
{
	return ERROR_INVALID_FUNCTION;
}

static CLRES_V1_FUNCTION_TABLE(g_DummyFunctionTable, CLRES_VERSION_V1_00, Dummy, NULL, NULL,
			       DummyResourceControl, DummyResourceTypeControl);

static DWORD WINAPI DummyStartupEx(LPCWSTR ResourceType, DWORD MinVersionSupported,
				   DWORD MaxVersionSupported,
				   PCLRES_CALLBACK_FUNCTION_TABLE MonitorCallbackFunctions,
				   PCLRES_FUNCTION_TABLE *ResourceDllInterfaceFunctions)
{
	if (MinVersionSupported > CLRES_VERSION_V1_00 || MaxVersionSupported < CLRES_VERSION_V1_00)
		return ERROR_REVISION_MISMATCH;
	if (strcmp(ResourceType, DUMMY_TYPE_NAME) != 0)
		return ERROR_CLUSTER_RESNAME_NOT_FOUND;
	g_LogEvent = MonitorCallbackFunctions->LogEvent;
	g_SetResourceStatusEx = MonitorCallbackFunctions->SetResourceStatusEx;
	g_SignalFailure = MonitorCallbackFunctions->SignalFailure;
	*ResourceDllInterfaceFunctions = &g_DummyFunctionTable;
	return ERROR_SUCCESS;
}

WP_COMPAT_RESOURCE_DLL_EX(DummyStartupEx);
