/* SPDX-License-Identifier: MIT */
/*
 * wolfpack/compat/wintypes.h - the Windows base types, error codes, SetLastError/GetLastError
 * and CLUSTER_RESOURCE_STATE that both WSFC compatibility headers need
 * (<wolfpack/compat/resapi.h> for resource DLLs, <wolfpack/compat/clusapi.h> for clients).
 * Included by them; either may come first. See <wolfpack/compat/resapi.h> for the mapping
 * rules (narrow strings, HANDLE as fd + 1).
 */
#ifndef WOLFPACK_COMPAT_WINTYPES_H
#define WOLFPACK_COMPAT_WINTYPES_H

#include <stdint.h>

#include <wolfpack/resapi.h>

/* ---- Basic types ---------------------------------------------------------------------- */

typedef uint32_t DWORD, *PDWORD, *LPDWORD;
typedef int BOOL, *PBOOL, *LPBOOL;
typedef unsigned char BYTE, UCHAR, *PBYTE, *LPBYTE;
typedef char CHAR, WCHAR; /* narrow: see the top of this file */
typedef const char *LPCSTR, *LPCWSTR, *PCWSTR;
typedef char *LPSTR, *LPWSTR, *PWSTR;
typedef void *PVOID, *LPVOID, *HLOCAL, *LPSECURITY_ATTRIBUTES;
typedef int64_t INT64;
typedef uint64_t ULONGLONG;

#ifndef VOID
#define VOID void
#endif
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
/* Calling conventions do not exist here. */
#define WINAPI
#define CALLBACK
#define TEXT(s) s
#define _T(s)   s

/*
 * HANDLE: a void * carrying a file descriptor plus one, so that NULL is "no handle" and
 * fd 0 stays representable. INVALID_HANDLE_VALUE decodes to a negative fd, which the bridge
 * treats as no handle.
 */
typedef void *HANDLE;
typedef HANDLE *PHANDLE, *LPHANDLE;
#define WP_HANDLE_FROM_FD(fd)  ((HANDLE) (intptr_t) ((fd) + 1))
#define WP_FD_FROM_HANDLE(h)   ((int) ((intptr_t) (h) - 1))
#define INVALID_HANDLE_VALUE   ((HANDLE) (intptr_t) -1)

/* ---- Error codes (winerror.h values) -------------------------------------------------- */

#define ERROR_SUCCESS                    0
#define NO_ERROR                         0
#define ERROR_INVALID_FUNCTION           1
#define ERROR_FILE_NOT_FOUND             2
#define ERROR_INVALID_HANDLE             6
#define ERROR_NOT_ENOUGH_MEMORY          8
#define ERROR_INVALID_DATA               13
#define ERROR_OUTOFMEMORY                14
#define ERROR_GEN_FAILURE                31
#define ERROR_NOT_SUPPORTED              50
#define ERROR_INVALID_PARAMETER          87
#define ERROR_INSUFFICIENT_BUFFER        122
#define ERROR_ALREADY_EXISTS             183
#define ERROR_MORE_DATA                  234
#define ERROR_OPERATION_ABORTED          995
#define ERROR_IO_PENDING                 997
#define ERROR_REVISION_MISMATCH          1306
#define ERROR_TIMEOUT                    1460
#define ERROR_RESOURCE_NOT_ONLINE        5004
#define ERROR_RESOURCE_NOT_AVAILABLE     5006
#define ERROR_RESOURCE_NOT_FOUND         5007
#define ERROR_INVALID_STATE              5023
#define ERROR_RESOURCE_PROPERTIES_STORED 5024
#define ERROR_RESOURCE_FAILED            5038
#define ERROR_CLUSTER_RESNAME_NOT_FOUND  5080

/*
 * SetLastError / GetLastError: one value per thread, shared by every file of the plugin (a
 * weak hidden symbol, so each .c including this header may define it and the linker keeps
 * one). Open reports its failure this way.
 */
__attribute__((weak, visibility("hidden"))) __thread DWORD wp__compat_last_error;

static inline VOID SetLastError(DWORD dwErrCode)
{
	wp__compat_last_error = dwErrCode;
}

static inline DWORD GetLastError(void)
{
	return wp__compat_last_error;
}

typedef enum CLUSTER_RESOURCE_STATE {
	ClusterResourceStateUnknown = WP_RESOURCE_STATE_UNKNOWN,
	ClusterResourceInherited = WP_RESOURCE_INHERITED,
	ClusterResourceInitializing = WP_RESOURCE_INITIALIZING,
	ClusterResourceOnline = WP_RESOURCE_ONLINE,
	ClusterResourceOffline = WP_RESOURCE_OFFLINE,
	ClusterResourceFailed = WP_RESOURCE_FAILED,
	ClusterResourceCannotComeOnlineOnAnyNode = WP_RESOURCE_CANNOT_COME_ONLINE_ON_ANY_NODE,
	ClusterResourceCannotComeOnlineOnThisNode = WP_RESOURCE_CANNOT_COME_ONLINE_ON_THIS_NODE,
	ClusterResourcePending = WP_RESOURCE_PENDING,
	ClusterResourceOnlinePending = WP_RESOURCE_ONLINE_PENDING,
	ClusterResourceOfflinePending = WP_RESOURCE_OFFLINE_PENDING,
} CLUSTER_RESOURCE_STATE;

#endif
