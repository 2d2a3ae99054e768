/* SPDX-License-Identifier: MIT */
/*
 * wolfpack/compat/clusapi.h - WSFC's client API (clusapi.h) names over libwolfpack.
 *
 * Port a WSFC client by including this header instead of <clusapi.h> and linking with
 * -lwolfpack (pkg-config libwolfpack). Everything here is static inline over the native API of
 * <wolfpack/clusapi.h>; the last-error value is a hidden thread-local of the program (shared
 * with <wolfpack/compat/resapi.h>).
 *
 * What changes when porting:
 *  - Strings are narrow UTF-8: LPCWSTR is const char *, WCHAR is char; L"..." becomes "...",
 *    wcs*() become str*(). Buffer counts (cch) are in bytes, with WSFC's rules: on input the
 *    capacity including the NUL, on output the length without it.
 *  - OpenCluster(NULL) (also "", "." or "localhost") is the local cluster: the socket in
 *    $WOLFPACK_SOCKET, else /run/wolfpack/wolfpack.sock. A name starting with '/' is taken as
 *    a socket path. Another name is accepted when it is this host's name or the cluster's
 *    name (RPC_S_SERVER_UNAVAILABLE otherwise: there are no remote connections).
 *  - Close resource, group, node and notification handles before the cluster handle they came
 *    from (WSFC asks the same; here a late close would touch freed memory).
 *  - OpenClusterNode checks the name against node.list (ERROR_CLUSTER_NODE_NOT_FOUND), as
 *    WSFC does. PauseClusterNodeEx drains each group to the best node: its hNodeDrainTarget is
 *    ignored (see there).
 *  - Only the notifications wolfpack produces fire (resource and group state, added, deleted,
 *    property, and CLUSTER_RECONNECT; no node notifications); the port reconnects by itself
 *    when wolfpackd restarts and reports CLUSTER_CHANGE_CLUSTER_RECONNECT, as WSFC does after
 *    a lost connection.
 *  - There is no enumeration (ClusterOpenEnum/ClusterEnum); the native wp_node_list lists
 *    nodes.
 *  - Handles are not thread-safe; give each thread its own (WSFC's are).
 *  - It may be included with <wolfpack/compat/resapi.h>, in either order: both take DWORD,
 *    GetLastError and CLUSTER_RESOURCE_STATE from <wolfpack/compat/wintypes.h>.
 *
 * Results. Functions returning DWORD return the code and also store it with SetLastError;
 * functions returning a handle return NULL and SetLastError(code); BOOL functions return
 * FALSE and SetLastError(code). The daemon's -errno codes (docs/api-protocol.md) map as:
 *
 *   native                         WSFC
 *   0                              ERROR_SUCCESS (0)
 *   -ENOENT                        ERROR_RESOURCE_NOT_FOUND (5007) for resource calls,
 *                                  ERROR_GROUP_NOT_FOUND (5013) for group calls,
 *                                  ERROR_CLUSTER_NODE_NOT_FOUND (5042) for node calls (and
 *                                  for MoveClusterGroup/OnlineClusterGroup when the
 *                                  destination node is the one missing),
 *                                  ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND (5078) for
 *                                  CreateClusterResource (its group was checked at open),
 *                                  RPC_S_SERVER_UNAVAILABLE (1722) for OpenCluster (no socket)
 *   -EEXIST                        ERROR_OBJECT_ALREADY_EXISTS (5010); in
 *                                  AddClusterResourceDependency ERROR_DEPENDENCY_ALREADY_EXISTS
 *                                  (5003); CreateClusterGroup opens the existing group instead
 *   -EINVAL                        ERROR_INVALID_PARAMETER (87) (also: different groups)
 *   -EACCES, -EPERM                ERROR_ACCESS_DENIED (5)
 *   -EBUSY                         ERROR_INVALID_STATE (5023) (e.g. deleting an online
 *                                  resource); in DeleteClusterGroup ERROR_DIR_NOT_EMPTY (145)
 *   -ELOOP, -EDEADLK               ERROR_CIRCULAR_DEPENDENCY (1059)
 *   -EOPNOTSUPP                    ERROR_NOT_SUPPORTED (50)
 *   -EHOSTDOWN                     ERROR_HOST_NODE_NOT_AVAILABLE (5005) (no node can take
 *                                  the group, or the destination node is down or paused)
 *   -EAGAIN                        ERROR_CLUSTER_NODE_NOT_READY (5072) (the node is joining or
 *                                  the cluster is synchronising: retry)
 *   -EROFS                         ERROR_CLUSTER_NO_QUORUM (5925) (this node's partition has
 *                                  no quorum: changes are refused)
 *   -ETIMEDOUT                     ERROR_TIMEOUT (1460) (no reply in time; GetClusterNotify's
 *                                  own timeout is WAIT_TIMEOUT (258))
 *   -ECONNREFUSED, -ECONNRESET,    RPC_S_SERVER_UNAVAILABLE (1722)
 *   -ENOTCONN, -EPIPE
 *   -ENOMEM                        ERROR_NOT_ENOUGH_MEMORY (8)
 *   -ENOBUFS                       ERROR_MORE_DATA (234)
 *   -EINPROGRESS                   ERROR_IO_PENDING (997)
 *   -EPROTO and anything else      ERROR_GEN_FAILURE (31)
 *
 * OnlineClusterResource/OnlineClusterGroup return ERROR_IO_PENDING when the daemon accepted the
 * request but the object is not Online yet (wait for CLUSTER_CHANGE_RESOURCE_STATE /
 * GROUP_STATE), ERROR_SUCCESS when it already is; OfflineCluster* likewise for Offline;
 * MoveClusterGroup returns ERROR_IO_PENDING while the group is Pending.
 * GetClusterResourceState reports the states 126 and 127 as Failed and Offline, as WSFC does;
 * when a name buffer is too small it copies what fits, stores the length needed (without the
 * NUL), returns ClusterResourceStateUnknown and sets ERROR_MORE_DATA (so does
 * GetClusterGroupState). GetClusterNotify keeps the notification queued when the name buffer
 * is too small (ERROR_MORE_DATA, *lpcchName = length needed).
 */
#ifndef WOLFPACK_COMPAT_CLUSAPI_H
#define WOLFPACK_COMPAT_CLUSAPI_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <wolfpack/clusapi.h>

/* Base types, error codes, GetLastError and CLUSTER_RESOURCE_STATE, shared with
 * <wolfpack/compat/resapi.h>. */
#include <wolfpack/compat/wintypes.h>

/* ---- Types, codes and constants of clusapi.h ---------------------------------------------- */

typedef uintptr_t DWORD_PTR, *PDWORD_PTR;

#define ERROR_ACCESS_DENIED                  5
#define ERROR_DIR_NOT_EMPTY                  145
#define WAIT_TIMEOUT                         258
#define ERROR_CIRCULAR_DEPENDENCY            1059
#define RPC_S_SERVER_UNAVAILABLE             1722
#define ERROR_DEPENDENCY_NOT_FOUND           5002
#define ERROR_DEPENDENCY_ALREADY_EXISTS      5003
#define ERROR_HOST_NODE_NOT_AVAILABLE        5005
#define ERROR_OBJECT_ALREADY_EXISTS          5010
#define ERROR_GROUP_NOT_AVAILABLE            5012
#define ERROR_GROUP_NOT_FOUND                5013
#define ERROR_RESOURCE_ONLINE                5019
#define ERROR_CLUSTER_NODE_NOT_FOUND         5042
#define ERROR_CLUSTER_NODE_NOT_READY         5072
#define ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND 5078
#define ERROR_CLUSTER_NO_QUORUM              5925

#ifndef INFINITE
#define INFINITE 0xFFFFFFFFu
#endif

/* Opaque handles. HCLUSTER is the native connection itself. */
typedef struct wp_cluster *HCLUSTER;
typedef struct wp__compat_resource *HRESOURCE;
typedef struct wp__compat_group *HGROUP;
typedef struct wp__compat_node *HNODE;
typedef struct wp__compat_change *HCHANGE;

/* CLUSTER_GROUP_STATE */
typedef enum CLUSTER_GROUP_STATE {
	ClusterGroupStateUnknown = WP_GROUP_STATE_UNKNOWN,
	ClusterGroupOnline = WP_GROUP_ONLINE,
	ClusterGroupOffline = WP_GROUP_OFFLINE,
	ClusterGroupFailed = WP_GROUP_FAILED,
	ClusterGroupPartialOnline = WP_GROUP_PARTIAL_ONLINE,
	ClusterGroupPending = WP_GROUP_PENDING,
} CLUSTER_GROUP_STATE;

/* CLUSTER_NODE_STATE */
typedef enum CLUSTER_NODE_STATE {
	ClusterNodeStateUnknown = WP_NODE_STATE_UNKNOWN,
	ClusterNodeUp = WP_NODE_UP,
	ClusterNodeDown = WP_NODE_DOWN,
	ClusterNodePaused = WP_NODE_PAUSED,
	ClusterNodeJoining = WP_NODE_JOINING,
} CLUSTER_NODE_STATE;

/* PauseClusterNodeEx flags */
#define CLUSAPI_NODE_PAUSE_REMAIN_ON_PAUSED_NODE_ON_MOVE_ERROR 0x00000001u
#define CLUSAPI_NODE_AVOID_PLACEMENT                           0x00000002u
#define CLUSAPI_NODE_PAUSE_RETRY_DRAIN_ON_FAILURE              0x00000004u

/* CreateClusterResource flags */
#define CLUSTER_RESOURCE_DEFAULT_MONITOR  WP_RESOURCE_DEFAULT_MONITOR
#define CLUSTER_RESOURCE_SEPARATE_MONITOR WP_RESOURCE_SEPARATE_MONITOR
#define CLUSTER_RESOURCE_VALID_FLAGS      CLUSTER_RESOURCE_SEPARATE_MONITOR

/* CLUSTER_CHANGE (values above 0x7fffffff do not fit an enum: plain DWORD constants). */
typedef DWORD CLUSTER_CHANGE;
#define CLUSTER_CHANGE_NODE_STATE            0x00000001u
#define CLUSTER_CHANGE_NODE_DELETED          0x00000002u
#define CLUSTER_CHANGE_NODE_ADDED            0x00000004u
#define CLUSTER_CHANGE_NODE_PROPERTY         0x00000008u
#define CLUSTER_CHANGE_REGISTRY_NAME         0x00000010u
#define CLUSTER_CHANGE_REGISTRY_ATTRIBUTES   0x00000020u
#define CLUSTER_CHANGE_REGISTRY_VALUE        0x00000040u
#define CLUSTER_CHANGE_REGISTRY_SUBTREE      0x00000080u
#define CLUSTER_CHANGE_RESOURCE_STATE        WP_CHANGE_RESOURCE_STATE    /* 0x00000100 */
#define CLUSTER_CHANGE_RESOURCE_DELETED      WP_CHANGE_RESOURCE_DELETED  /* 0x00000200 */
#define CLUSTER_CHANGE_RESOURCE_ADDED        WP_CHANGE_RESOURCE_ADDED    /* 0x00000400 */
#define CLUSTER_CHANGE_RESOURCE_PROPERTY     WP_CHANGE_RESOURCE_PROPERTY /* 0x00000800 */
#define CLUSTER_CHANGE_GROUP_STATE           WP_CHANGE_GROUP_STATE       /* 0x00001000 */
#define CLUSTER_CHANGE_GROUP_DELETED         WP_CHANGE_GROUP_DELETED     /* 0x00002000 */
#define CLUSTER_CHANGE_GROUP_ADDED           WP_CHANGE_GROUP_ADDED       /* 0x00004000 */
#define CLUSTER_CHANGE_GROUP_PROPERTY        WP_CHANGE_GROUP_PROPERTY    /* 0x00008000 */
#define CLUSTER_CHANGE_RESOURCE_TYPE_DELETED 0x00010000u
#define CLUSTER_CHANGE_RESOURCE_TYPE_ADDED   0x00020000u
#define CLUSTER_CHANGE_RESOURCE_TYPE_PROPERTY 0x00040000u
#define CLUSTER_CHANGE_CLUSTER_RECONNECT     WP_CHANGE_CLUSTER_RECONNECT /* 0x00080000 */
#define CLUSTER_CHANGE_NETWORK_STATE         0x00100000u
#define CLUSTER_CHANGE_NETWORK_DELETED       0x00200000u
#define CLUSTER_CHANGE_NETWORK_ADDED         0x00400000u
#define CLUSTER_CHANGE_NETWORK_PROPERTY      0x00800000u
#define CLUSTER_CHANGE_NETINTERFACE_STATE    0x01000000u
#define CLUSTER_CHANGE_NETINTERFACE_DELETED  0x02000000u
#define CLUSTER_CHANGE_NETINTERFACE_ADDED    0x04000000u
#define CLUSTER_CHANGE_NETINTERFACE_PROPERTY 0x08000000u
#define CLUSTER_CHANGE_QUORUM_STATE          0x10000000u
#define CLUSTER_CHANGE_CLUSTER_STATE         0x20000000u
#define CLUSTER_CHANGE_CLUSTER_PROPERTY      0x40000000u
#define CLUSTER_CHANGE_HANDLE_CLOSE          0x80000000u
#define CLUSTER_CHANGE_ALL                   0xFFFFFFFFu

/* ---- Handles ------------------------------------------------------------------------------ */

struct wp__compat_resource {
	HCLUSTER cluster;
	char *name;
};

struct wp__compat_group {
	HCLUSTER cluster;
	char *name;
};

struct wp__compat_node {
	HCLUSTER cluster;
	char *name;
};

struct wp__compat_change {
	wp_notify *notify;
	DWORD filter;          /* what was asked, all registrations OR-ed */
	DWORD_PTR keys[32];    /* notify key per CLUSTER_CHANGE bit */
	DWORD_PTR first_key;   /* for CLUSTER_RECONNECT when it was not asked for */
	/* A notification GetClusterNotify could not hand over (name buffer too small). */
	bool pending;
	DWORD pending_filter;
	char *pending_name;
};

/* ---- Error translation (table at the top of this file) ------------------------------------ */

enum {
	WP__COMPAT_ON_RESOURCE,
	WP__COMPAT_ON_GROUP,
	WP__COMPAT_ON_CLUSTER,
	WP__COMPAT_ON_CREATE_RESOURCE,
	WP__COMPAT_ON_DEPENDENCY,
	WP__COMPAT_ON_DELETE_GROUP,
	WP__COMPAT_ON_NODE,
};

static inline DWORD wp__compat_clus_error(int r, int on)
{
	switch (r) {
	case 0:
		return ERROR_SUCCESS;
	case -ENOENT:
		return on == WP__COMPAT_ON_GROUP || on == WP__COMPAT_ON_DELETE_GROUP
			       ? ERROR_GROUP_NOT_FOUND
		       : on == WP__COMPAT_ON_NODE            ? ERROR_CLUSTER_NODE_NOT_FOUND
		       : on == WP__COMPAT_ON_CREATE_RESOURCE ? ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND
		       : on == WP__COMPAT_ON_CLUSTER         ? RPC_S_SERVER_UNAVAILABLE
							     : ERROR_RESOURCE_NOT_FOUND;
	case -EEXIST:
		return on == WP__COMPAT_ON_DEPENDENCY ? ERROR_DEPENDENCY_ALREADY_EXISTS
						      : ERROR_OBJECT_ALREADY_EXISTS;
	case -EINVAL:
		return ERROR_INVALID_PARAMETER;
	case -EACCES:
	case -EPERM:
		return ERROR_ACCESS_DENIED;
	case -EBUSY:
		return on == WP__COMPAT_ON_DELETE_GROUP ? ERROR_DIR_NOT_EMPTY : ERROR_INVALID_STATE;
	case -ELOOP:
	case -EDEADLK:
		return ERROR_CIRCULAR_DEPENDENCY;
	case -EOPNOTSUPP:
		return ERROR_NOT_SUPPORTED;
	case -EHOSTDOWN:
		return ERROR_HOST_NODE_NOT_AVAILABLE;
	case -EAGAIN:
		return ERROR_CLUSTER_NODE_NOT_READY;
	case -EROFS:
		return ERROR_CLUSTER_NO_QUORUM;
	case -ETIMEDOUT:
		return ERROR_TIMEOUT;
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -ENOTCONN:
	case -EPIPE:
		return RPC_S_SERVER_UNAVAILABLE;
	case -ENOMEM:
		return ERROR_NOT_ENOUGH_MEMORY;
	case -ENOBUFS:
		return ERROR_MORE_DATA;
	case -EINPROGRESS:
		return ERROR_IO_PENDING;
	default:
		return ERROR_GEN_FAILURE;
	}
}

/* A native result as a WSFC code, with the resource-call meaning of -ENOENT. */
static inline DWORD WpCompatClusterErrorFromErrno(int r)
{
	return wp__compat_clus_error(r, WP__COMPAT_ON_RESOURCE);
}

/* Stores and returns the code of a native result. */
static inline DWORD wp__compat_status(int r, int on)
{
	DWORD e = wp__compat_clus_error(r, on);

	SetLastError(e);
	return e;
}

/* Copies s into a WSFC name buffer: *cch in = capacity with NUL, out = length without it.
 * A NULL buffer is skipped. Returns ERROR_SUCCESS or ERROR_MORE_DATA (what fits is copied). */
static inline DWORD wp__compat_copy_name(LPWSTR buf, LPDWORD cch, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	DWORD status = ERROR_SUCCESS;

	if (!buf)
		return ERROR_SUCCESS;
	if (len + 1 > *cch) {
		status = ERROR_MORE_DATA;
		if (*cch > 0) {
			memcpy(buf, s, *cch - 1);
			buf[*cch - 1] = '\0';
		}
	} else {
		memcpy(buf, s ? s : "", len + 1);
	}
	*cch = len > UINT32_MAX ? UINT32_MAX : (DWORD) len;
	return status;
}

/* New handles: a copy of the name and the cluster they belong to; NULL with
 * ERROR_NOT_ENOUGH_MEMORY when out of memory. */
#define WP__COMPAT_NEW_HANDLE(type, h, cluster_, name_)                     \
	do {                                                                \
		(h) = (type) calloc(1, sizeof(*(h)));                       \
		if ((h) && !((h)->name = strdup(name_))) {                  \
			free(h);                                            \
			(h) = NULL;                                         \
		}                                                           \
		if (h)                                                      \
			(h)->cluster = (cluster_);                          \
		else                                                        \
			SetLastError(ERROR_NOT_ENOUGH_MEMORY);              \
	} while (0)

/* ---- Cluster ------------------------------------------------------------------------------ */

static inline HCLUSTER OpenCluster(LPCWSTR lpszClusterName)
{
	const char *name = lpszClusterName;
	const char *path = name && name[0] == '/' ? name : NULL;
	wp_cluster *c = NULL;
	int r = wp_cluster_open(path, &c);

	if (r < 0) {
		SetLastError(wp__compat_clus_error(r, WP__COMPAT_ON_CLUSTER));
		return NULL;
	}
	if (name && name[0] && name[0] != '/' && strcmp(name, ".") != 0 &&
	    strcasecmp(name, "localhost") != 0) {
		char host[256] = "", *cluster_name = NULL;
		size_t n;
		bool ok;

		(void) gethostname(host, sizeof(host) - 1);
		n = strcspn(host, ".");
		ok = strcasecmp(name, host) == 0 ||
		     (strlen(name) == n && strncasecmp(name, host, n) == 0);
		if (!ok) {
			r = wp_cluster_get_name(c, &cluster_name);
			ok = r >= 0 && strcasecmp(name, cluster_name) == 0;
			free(cluster_name);
		}
		if (!ok) {
			wp_cluster_close(c);
			SetLastError(r < 0 ? wp__compat_clus_error(r, WP__COMPAT_ON_CLUSTER)
					   : RPC_S_SERVER_UNAVAILABLE);
			return NULL;
		}
	}
	return c;
}

static inline BOOL CloseCluster(HCLUSTER hCluster)
{
	wp_cluster_close(hCluster);
	return TRUE;
}

/* ---- Resources ---------------------------------------------------------------------------- */

static inline HRESOURCE OpenClusterResource(HCLUSTER hCluster, LPCWSTR lpszResourceName)
{
	HRESOURCE h;
	int r;

	if (!hCluster || !lpszResourceName) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	r = wp_resource_get_state(hCluster, lpszResourceName, NULL, NULL, NULL);
	if (r < 0) {
		SetLastError(wp__compat_clus_error(r, WP__COMPAT_ON_RESOURCE));
		return NULL;
	}
	WP__COMPAT_NEW_HANDLE(HRESOURCE, h, hCluster, lpszResourceName);
	return h;
}

static inline BOOL CloseClusterResource(HRESOURCE hResource)
{
	if (hResource) {
		free(hResource->name);
		free(hResource);
	}
	return TRUE;
}

static inline HRESOURCE CreateClusterResource(HGROUP hGroup, LPCWSTR lpszResourceName,
					      LPCWSTR lpszResourceType, DWORD dwFlags)
{
	HRESOURCE h;
	int r;

	if (!hGroup || !lpszResourceName || !lpszResourceType ||
	    (dwFlags & ~(DWORD) CLUSTER_RESOURCE_VALID_FLAGS)) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	r = wp_resource_create(hGroup->cluster, lpszResourceName, lpszResourceType, hGroup->name,
			       NULL, dwFlags);
	if (r < 0) {
		SetLastError(wp__compat_clus_error(r, WP__COMPAT_ON_CREATE_RESOURCE));
		return NULL;
	}
	WP__COMPAT_NEW_HANDLE(HRESOURCE, h, hGroup->cluster, lpszResourceName);
	return h;
}

static inline DWORD DeleteClusterResource(HRESOURCE hResource)
{
	if (!hResource)
		return wp__compat_status(-EINVAL, WP__COMPAT_ON_RESOURCE);
	return wp__compat_status(wp_resource_delete(hResource->cluster, hResource->name),
				 WP__COMPAT_ON_RESOURCE);
}

/* After an accepted online/offline: ERROR_SUCCESS if the resource is already in the wanted
 * state, ERROR_IO_PENDING otherwise (also when the state cannot be read). */
static inline DWORD wp__compat_resource_pending(HRESOURCE hResource, int wanted)
{
	int state = -1;

	if (wp_resource_get_state(hResource->cluster, hResource->name, &state, NULL, NULL) < 0 ||
	    state != wanted) {
		SetLastError(ERROR_IO_PENDING);
		return ERROR_IO_PENDING;
	}
	SetLastError(ERROR_SUCCESS);
	return ERROR_SUCCESS;
}

static inline DWORD OnlineClusterResource(HRESOURCE hResource)
{
	int r;

	if (!hResource)
		return wp__compat_status(-EINVAL, WP__COMPAT_ON_RESOURCE);
	r = wp_resource_online(hResource->cluster, hResource->name);
	if (r < 0)
		return wp__compat_status(r, WP__COMPAT_ON_RESOURCE);
	return wp__compat_resource_pending(hResource, WP_RESOURCE_ONLINE);
}

static inline DWORD OfflineClusterResource(HRESOURCE hResource)
{
	int r;

	if (!hResource)
		return wp__compat_status(-EINVAL, WP__COMPAT_ON_RESOURCE);
	r = wp_resource_offline(hResource->cluster, hResource->name);
	if (r < 0)
		return wp__compat_status(r, WP__COMPAT_ON_RESOURCE);
	return wp__compat_resource_pending(hResource, WP_RESOURCE_OFFLINE);
}

static inline DWORD FailClusterResource(HRESOURCE hResource)
{
	if (!hResource)
		return wp__compat_status(-EINVAL, WP__COMPAT_ON_RESOURCE);
	return wp__compat_status(wp_resource_fail(hResource->cluster, hResource->name),
				 WP__COMPAT_ON_RESOURCE);
}

static inline CLUSTER_RESOURCE_STATE GetClusterResourceState(HRESOURCE hResource,
							     LPWSTR lpszNodeName,
							     LPDWORD lpcchNodeName,
							     LPWSTR lpszGroupName,
							     LPDWORD lpcchGroupName)
{
	char *node = NULL, *group = NULL;
	int state, r;
	DWORD e1, e2;

	if (!hResource || (lpszNodeName && !lpcchNodeName) || (lpszGroupName && !lpcchGroupName)) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return ClusterResourceStateUnknown;
	}
	r = wp_resource_get_state(hResource->cluster, hResource->name, &state, &node, &group);
	if (r < 0) {
		SetLastError(wp__compat_clus_error(r, WP__COMPAT_ON_RESOURCE));
		return ClusterResourceStateUnknown;
	}
	e1 = wp__compat_copy_name(lpszNodeName, lpcchNodeName, node);
	e2 = wp__compat_copy_name(lpszGroupName, lpcchGroupName, group);
	free(node);
	free(group);
	if (e1 != ERROR_SUCCESS || e2 != ERROR_SUCCESS) {
		SetLastError(ERROR_MORE_DATA);
		return ClusterResourceStateUnknown;
	}
	SetLastError(ERROR_SUCCESS);
	if (state == WP_RESOURCE_CANNOT_COME_ONLINE_ON_ANY_NODE)
		return ClusterResourceFailed;
	if (state == WP_RESOURCE_CANNOT_COME_ONLINE_ON_THIS_NODE)
		return ClusterResourceOffline;
	return (CLUSTER_RESOURCE_STATE) state;
}

static inline DWORD AddClusterResourceDependency(HRESOURCE hResource, HRESOURCE hDependsOn)
{
	if (!hResource || !hDependsOn)
		return wp__compat_status(-EINVAL, WP__COMPAT_ON_DEPENDENCY);
	return wp__compat_status(wp_resource_add_dependency(hResource->cluster, hResource->name,
							    hDependsOn->name),
				 WP__COMPAT_ON_DEPENDENCY);
}

static inline DWORD SetClusterResourceDependencyExpression(HRESOURCE hResource,
							   LPCWSTR lpszDependencyExpression)
{
	if (!hResource)
		return wp__compat_status(-EINVAL, WP__COMPAT_ON_DEPENDENCY);
	return wp__compat_status(
		wp_resource_set_dependency_expression(
			hResource->cluster, hResource->name,
			lpszDependencyExpression ? lpszDependencyExpression : ""),
		WP__COMPAT_ON_DEPENDENCY);
}

/* ---- Groups and nodes --------------------------------------------------------------------- */

static inline HGROUP OpenClusterGroup(HCLUSTER hCluster, LPCWSTR lpszGroupName)
{
	HGROUP h;
	int r;

	if (!hCluster || !lpszGroupName) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	r = wp_group_get_state(hCluster, lpszGroupName, NULL, NULL);
	if (r < 0) {
		SetLastError(wp__compat_clus_error(r, WP__COMPAT_ON_GROUP));
		return NULL;
	}
	WP__COMPAT_NEW_HANDLE(HGROUP, h, hCluster, lpszGroupName);
	return h;
}

/* Creates the group, or opens it when it exists (WSFC's rule). */
static inline HGROUP CreateClusterGroup(HCLUSTER hCluster, LPCWSTR lpszGroupName)
{
	HGROUP h;
	int r;

	if (!hCluster || !lpszGroupName) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	r = wp_group_create(hCluster, lpszGroupName);
	if (r < 0 && r != -EEXIST) {
		SetLastError(wp__compat_clus_error(r, WP__COMPAT_ON_GROUP));
		return NULL;
	}
	WP__COMPAT_NEW_HANDLE(HGROUP, h, hCluster, lpszGroupName);
	return h;
}

static inline BOOL CloseClusterGroup(HGROUP hGroup)
{
	if (hGroup) {
		free(hGroup->name);
		free(hGroup);
	}
	return TRUE;
}

static inline DWORD DeleteClusterGroup(HGROUP hGroup)
{
	if (!hGroup)
		return wp__compat_status(-EINVAL, WP__COMPAT_ON_GROUP);
	return wp__compat_status(wp_group_delete(hGroup->cluster, hGroup->name),
				 WP__COMPAT_ON_DELETE_GROUP);
}

/* A node of the cluster (node.list); ERROR_CLUSTER_NODE_NOT_FOUND for any other name. */
static inline HNODE OpenClusterNode(HCLUSTER hCluster, LPCWSTR lpszNodeName)
{
	HNODE h;
	int r;

	if (!hCluster || !lpszNodeName) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	r = wp_node_get_state(hCluster, lpszNodeName, NULL);
	if (r < 0) {
		SetLastError(wp__compat_clus_error(r, WP__COMPAT_ON_NODE));
		return NULL;
	}
	WP__COMPAT_NEW_HANDLE(HNODE, h, hCluster, lpszNodeName);
	return h;
}

static inline BOOL CloseClusterNode(HNODE hNode)
{
	if (hNode) {
		free(hNode->name);
		free(hNode);
	}
	return TRUE;
}

static inline CLUSTER_NODE_STATE GetClusterNodeState(HNODE hNode)
{
	int state = WP_NODE_STATE_UNKNOWN, r;

	if (!hNode) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return ClusterNodeStateUnknown;
	}
	r = wp_node_get_state(hNode->cluster, hNode->name, &state);
	if (r < 0) {
		SetLastError(wp__compat_clus_error(r, WP__COMPAT_ON_NODE));
		return ClusterNodeStateUnknown;
	}
	SetLastError(ERROR_SUCCESS);
	return (CLUSTER_NODE_STATE) state;
}

/*
 * bDrainNode: also move the node's groups away, each to the best other node; the moves
 * happen after the call returns (watch CLUSTER_CHANGE_GROUP_STATE, or GetClusterGroupState).
 * hNodeDrainTarget is ignored: the daemon picks a node per group (PossibleOwners,
 * AntiAffinityClassNames, PreferredOwners, load), as WSFC does for a NULL target; a group no
 * other node can host stays on the paused node, which is what
 * CLUSAPI_NODE_PAUSE_REMAIN_ON_PAUSED_NODE_ON_MOVE_ERROR asks. The three CLUSAPI_NODE_* flags
 * are accepted and change nothing (a paused node never takes new groups; a failed drain is
 * not retried); other bits are ERROR_INVALID_PARAMETER. A one-node cluster refuses to pause
 * its only node (ERROR_INVALID_PARAMETER).
 */
static inline DWORD PauseClusterNodeEx(HNODE hNode, BOOL bDrainNode, DWORD dwPauseFlags,
				       HNODE hNodeDrainTarget)
{
	const DWORD known = CLUSAPI_NODE_PAUSE_REMAIN_ON_PAUSED_NODE_ON_MOVE_ERROR |
			    CLUSAPI_NODE_AVOID_PLACEMENT | CLUSAPI_NODE_PAUSE_RETRY_DRAIN_ON_FAILURE;

	(void) hNodeDrainTarget;
	if (!hNode || (dwPauseFlags & ~known))
		return wp__compat_status(-EINVAL, WP__COMPAT_ON_NODE);
	return wp__compat_status(wp_node_pause(hNode->cluster, hNode->name, bDrainNode != FALSE),
				 WP__COMPAT_ON_NODE);
}

/* Pauses without draining: the node keeps its groups and takes no new ones. */
static inline DWORD PauseClusterNode(HNODE hNode)
{
	return PauseClusterNodeEx(hNode, FALSE, 0, NULL);
}

static inline DWORD ResumeClusterNode(HNODE hNode)
{
	if (!hNode)
		return wp__compat_status(-EINVAL, WP__COMPAT_ON_NODE);
	return wp__compat_status(wp_node_resume(hNode->cluster, hNode->name), WP__COMPAT_ON_NODE);
}

static inline CLUSTER_GROUP_STATE GetClusterGroupState(HGROUP hGroup, LPWSTR lpszNodeName,
						       LPDWORD lpcchNodeName)
{
	char *node = NULL;
	int state, r;
	DWORD e;

	if (!hGroup || (lpszNodeName && !lpcchNodeName)) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return ClusterGroupStateUnknown;
	}
	r = wp_group_get_state(hGroup->cluster, hGroup->name, &state, &node);
	if (r < 0) {
		SetLastError(wp__compat_clus_error(r, WP__COMPAT_ON_GROUP));
		return ClusterGroupStateUnknown;
	}
	e = wp__compat_copy_name(lpszNodeName, lpcchNodeName, node);
	free(node);
	SetLastError(e);
	return e == ERROR_SUCCESS ? (CLUSTER_GROUP_STATE) state : ClusterGroupStateUnknown;
}

/* After an accepted group change: ERROR_IO_PENDING unless the group is already in the wanted
 * state (wanted < 0: unless it is not Pending). */
static inline DWORD wp__compat_group_pending(HGROUP hGroup, int wanted)
{
	int state = -1;
	bool done;

	done = wp_group_get_state(hGroup->cluster, hGroup->name, &state, NULL) >= 0 &&
	       (wanted >= 0 ? state == wanted : state != WP_GROUP_PENDING);
	SetLastError(done ? ERROR_SUCCESS : ERROR_IO_PENDING);
	return done ? ERROR_SUCCESS : ERROR_IO_PENDING;
}

/* group.move's -ENOENT is about the group or the destination node: ask which. */
static inline DWORD wp__compat_move_error(HNODE hNode, int r)
{
	if (r == -ENOENT && hNode && wp_node_get_state(hNode->cluster, hNode->name, NULL) == -ENOENT)
		return wp__compat_status(r, WP__COMPAT_ON_NODE);
	return wp__compat_status(r, WP__COMPAT_ON_GROUP);
}

/* hDestinationNode: the node's name goes to group.move; NULL for the best possible node.
 * ERROR_HOST_NODE_NOT_AVAILABLE when that node is down or paused, or no node can take it. */
static inline DWORD MoveClusterGroup(HGROUP hGroup, HNODE hDestinationNode)
{
	int r;

	if (!hGroup)
		return wp__compat_status(-EINVAL, WP__COMPAT_ON_GROUP);
	r = wp_group_move(hGroup->cluster, hGroup->name,
			  hDestinationNode ? hDestinationNode->name : NULL);
	if (r < 0)
		return wp__compat_move_error(hDestinationNode, r);
	return wp__compat_group_pending(hGroup, -1);
}

/* hDestinationNode: NULL for where the group is; a node moves it there first. */
static inline DWORD OnlineClusterGroup(HGROUP hGroup, HNODE hDestinationNode)
{
	int r;

	if (!hGroup)
		return wp__compat_status(-EINVAL, WP__COMPAT_ON_GROUP);
	if (hDestinationNode) {
		r = wp_group_move(hGroup->cluster, hGroup->name, hDestinationNode->name);
		if (r < 0)
			return wp__compat_move_error(hDestinationNode, r);
	}
	r = wp_group_online(hGroup->cluster, hGroup->name);
	if (r < 0)
		return wp__compat_status(r, WP__COMPAT_ON_GROUP);
	return wp__compat_group_pending(hGroup, WP_GROUP_ONLINE);
}

static inline DWORD OfflineClusterGroup(HGROUP hGroup)
{
	int r;

	if (!hGroup)
		return wp__compat_status(-EINVAL, WP__COMPAT_ON_GROUP);
	r = wp_group_offline(hGroup->cluster, hGroup->name);
	if (r < 0)
		return wp__compat_status(r, WP__COMPAT_ON_GROUP);
	return wp__compat_group_pending(hGroup, WP_GROUP_OFFLINE);
}

/* ---- Notification ports ------------------------------------------------------------------- */

static inline void wp__compat_set_keys(HCHANGE h, DWORD filter, DWORD_PTR key)
{
	for (unsigned i = 0; i < 32; i++)
		if (filter & (1u << i))
			h->keys[i] = key;
}

/*
 * hChange INVALID_HANDLE_VALUE (or NULL): a new port on hCluster. An existing port: adds
 * dwFilter to it, reported with dwNotifyKey (hCluster is not used then).
 */
static inline HCHANGE CreateClusterNotifyPort(HCHANGE hChange, HCLUSTER hCluster, DWORD dwFilter,
					      DWORD_PTR dwNotifyKey)
{
	HCHANGE h;
	int r;

	if (hChange && (HANDLE) hChange != INVALID_HANDLE_VALUE) {
		if (!dwFilter) {
			SetLastError(ERROR_INVALID_PARAMETER);
			return NULL;
		}
		r = wp_notify_set_filter(hChange->notify, hChange->filter | dwFilter);
		if (r < 0) {
			SetLastError(wp__compat_clus_error(r, WP__COMPAT_ON_CLUSTER));
			return NULL;
		}
		hChange->filter |= dwFilter;
		wp__compat_set_keys(hChange, dwFilter, dwNotifyKey);
		return hChange;
	}
	if (!hCluster || !dwFilter) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	h = (HCHANGE) calloc(1, sizeof(*h));
	if (!h) {
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	r = wp_notify_open_ex(hCluster, dwFilter, WP_NOTIFY_AUTO_RECONNECT, &h->notify);
	if (r < 0) {
		free(h);
		SetLastError(wp__compat_clus_error(r, WP__COMPAT_ON_CLUSTER));
		return NULL;
	}
	h->filter = dwFilter;
	h->first_key = dwNotifyKey;
	wp__compat_set_keys(h, dwFilter, dwNotifyKey);
	return h;
}

/*
 * Waits up to dwMilliseconds (INFINITE: no limit) for the next notification: its key, its
 * CLUSTER_CHANGE bit and the object's name. Returns ERROR_SUCCESS, WAIT_TIMEOUT,
 * ERROR_MORE_DATA (name buffer too small: the notification stays queued, *lpcchName = length
 * needed), ERROR_INVALID_HANDLE, or a translated error.
 */
static inline DWORD GetClusterNotify(HCHANGE hChange, DWORD_PTR *lpdwNotifyKey,
				     LPDWORD lpdwFilterType, LPWSTR lpszName, LPDWORD lpcchName,
				     DWORD dwMilliseconds)
{
	DWORD status, cap;
	unsigned bit;

	if (!hChange || (HANDLE) hChange == INVALID_HANDLE_VALUE) {
		SetLastError(ERROR_INVALID_HANDLE);
		return ERROR_INVALID_HANDLE;
	}
	if (lpszName && !lpcchName) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return ERROR_INVALID_PARAMETER;
	}
	if (!hChange->pending) {
		wp_notification ev;
		int timeout = dwMilliseconds == INFINITE	 ? -1
			      : dwMilliseconds > (DWORD) INT_MAX ? INT_MAX
								 : (int) dwMilliseconds;
		int r = wp_notify_next(hChange->notify, timeout, &ev);

		if (r == 0) {
			SetLastError(WAIT_TIMEOUT);
			return WAIT_TIMEOUT;
		}
		if (r < 0)
			return wp__compat_status(r, WP__COMPAT_ON_CLUSTER);
		hChange->pending_name = strdup(ev.name);
		if (!hChange->pending_name)
			return wp__compat_status(-ENOMEM, WP__COMPAT_ON_CLUSTER);
		hChange->pending_filter = ev.filter;
		hChange->pending = true;
	}
	bit = (unsigned) __builtin_ctz(hChange->pending_filter | 0x80000000u);
	if (lpdwNotifyKey)
		*lpdwNotifyKey = (hChange->filter & hChange->pending_filter) ? hChange->keys[bit]
									     : hChange->first_key;
	if (lpdwFilterType)
		*lpdwFilterType = hChange->pending_filter;
	cap = lpcchName ? *lpcchName : 0;
	status = wp__compat_copy_name(lpszName, lpcchName ? lpcchName : &cap,
				      hChange->pending_name);
	if (!lpszName && lpcchName)
		*lpcchName = (DWORD) strlen(hChange->pending_name);
	if (status == ERROR_SUCCESS) {
		free(hChange->pending_name);
		hChange->pending_name = NULL;
		hChange->pending = false;
	}
	SetLastError(status);
	return status;
}

static inline BOOL CloseClusterNotifyPort(HCHANGE hChange)
{
	if (!hChange || (HANDLE) hChange == INVALID_HANDLE_VALUE) {
		SetLastError(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	wp_notify_close(hChange->notify);
	free(hChange->pending_name);
	free(hChange);
	return TRUE;
}

#endif
