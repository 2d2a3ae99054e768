/* SPDX-License-Identifier: MIT */
/*
 * wolfpack/clusapi.h - the client API of libwolfpack: talk to wolfpackd, the cluster service.
 *
 * The wire protocol is docs/api-protocol.md (newline-delimited JSON over a Unix stream socket);
 * this header is the native C face of it. <wolfpack/compat/clusapi.h> maps WSFC's clusapi.h
 * names (OpenCluster, OnlineClusterResource, GetClusterNotify, ...) onto it.
 *
 * Conventions:
 *  - Every int-returning call returns >= 0 on success and a negative errno on failure.
 *    Misuse (NULL handle, NULL name, ...) is -EINVAL, never an abort.
 *  - A call the daemon refused returns the daemon's code: -ENOENT unknown object, -EEXIST
 *    already exists, -EINVAL bad argument or property value, -EACCES not allowed (changes
 *    need root or the group "wolfpack"), -EBUSY wrong state, -EPERM refused by rule,
 *    -ELOOP circular dependency, -EPROTO malformed request. wp_cluster_last_error() has the
 *    daemon's message.
 *  - Transport failures: -ECONNREFUSED no daemon listening (or no socket) when a call had to
 *    reconnect, -ECONNRESET the connection broke during the call, -ETIMEDOUT no reply within
 *    the timeout. After the last two the request may or may not have taken effect; the
 *    connection is dropped and the next call reconnects. A handle whose daemon restarted
 *    while it was idle reconnects before sending, so that call does not fail.
 *  - Nothing blocks forever: every call has a deadline (wp_cluster_set_timeout, default
 *    WP_DEFAULT_TIMEOUT_MS); only wp_notify_next waits as long as its caller asks.
 *  - Out-parameters are named ret_*, written only on success; strings returned through them
 *    are malloc()ed and the caller frees them with free(). Input strings are borrowed for the
 *    duration of the call.
 *  - A handle is not thread-safe: use one handle from one thread at a time (or one handle per
 *    thread). Handles are independent connections.
 *
 * Link with -lwolfpack (pkg-config libwolfpack).
 */
#ifndef WOLFPACK_CLUSAPI_H
#define WOLFPACK_CLUSAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wolfpack/resapi.h> /* wp_resource_state (CLUSTER_RESOURCE_STATE), WP_EXPORT */

#ifdef __cplusplus
extern "C" {
#endif

/* Where wolfpackd listens unless told otherwise. */
#define WP_DEFAULT_SOCKET     "/run/wolfpack/wolfpack.sock"
/* Environment variable that overrides WP_DEFAULT_SOCKET when a socket path is not given. */
#define WP_SOCKET_ENV         "WOLFPACK_SOCKET"
/* Default deadline of one request/reply exchange. */
#define WP_DEFAULT_TIMEOUT_MS 30000

/* CLUSTER_GROUP_STATE, with WSFC's values. */
typedef enum wp_group_state {
	WP_GROUP_STATE_UNKNOWN = -1,
	WP_GROUP_ONLINE = 0,
	WP_GROUP_OFFLINE = 1,
	WP_GROUP_FAILED = 2,
	WP_GROUP_PARTIAL_ONLINE = 3,
	WP_GROUP_PENDING = 4,
} wp_group_state;

/* CLUSTER_NODE_STATE, with WSFC's values. */
typedef enum wp_node_state {
	WP_NODE_STATE_UNKNOWN = -1,
	WP_NODE_UP = 0,
	WP_NODE_DOWN = 1,
	WP_NODE_PAUSED = 2,
	WP_NODE_JOINING = 3,
} wp_node_state;

/* Notification filter bits: WSFC's CLUSTER_CHANGE values. Bits wolfpack does not produce
 * (node, network, registry, ...) may be set; they never fire. */
#define WP_CHANGE_RESOURCE_STATE    0x00000100u
#define WP_CHANGE_RESOURCE_DELETED  0x00000200u
#define WP_CHANGE_RESOURCE_ADDED    0x00000400u
#define WP_CHANGE_RESOURCE_PROPERTY 0x00000800u
#define WP_CHANGE_GROUP_STATE       0x00001000u
#define WP_CHANGE_GROUP_DELETED     0x00002000u
#define WP_CHANGE_GROUP_ADDED       0x00004000u
#define WP_CHANGE_GROUP_PROPERTY    0x00008000u
#define WP_CHANGE_CLUSTER_RECONNECT 0x00080000u /* always delivered, whatever the filter */
/* Every bit wolfpack produces. */
#define WP_CHANGE_ALL                                                                  \
	(WP_CHANGE_RESOURCE_STATE | WP_CHANGE_RESOURCE_DELETED | WP_CHANGE_RESOURCE_ADDED |  \
	 WP_CHANGE_RESOURCE_PROPERTY | WP_CHANGE_GROUP_STATE | WP_CHANGE_GROUP_DELETED |     \
	 WP_CHANGE_GROUP_ADDED | WP_CHANGE_GROUP_PROPERTY | WP_CHANGE_CLUSTER_RECONNECT)

/* Flags of wp_resource_create (CreateClusterResource's dwFlags). */
#define WP_RESOURCE_DEFAULT_MONITOR  0u
#define WP_RESOURCE_SEPARATE_MONITOR 1u

/* Flags of wp_notify_open_ex. */
#define WP_NOTIFY_LOG            1u /* also deliver cluster log lines (event "log", filter 0) */
#define WP_NOTIFY_AUTO_RECONNECT 2u /* when the daemon goes away, reconnect inside
				     * wp_notify_next and report WP_CHANGE_CLUSTER_RECONNECT */

typedef struct wp_cluster wp_cluster;
typedef struct wp_notify wp_notify;

/* ---- Connection --------------------------------------------------------------------------- */

/*
 * Connects to wolfpackd. socket_path: NULL for $WOLFPACK_SOCKET, or WP_DEFAULT_SOCKET when
 * that is unset or empty. Returns 0 and a new handle in *ret (free it with wp_cluster_close),
 * or -errno: -ENOENT no such socket, -ECONNREFUSED nobody listening, -EACCES, -ENAMETOOLONG,
 * -ETIMEDOUT (the daemon's backlog stayed full), -ENOMEM.
 */
WP_EXPORT int wp_cluster_open(const char *socket_path, wp_cluster **ret);

/* Closes the connection and frees the handle. Accepts NULL. */
WP_EXPORT void wp_cluster_close(wp_cluster *c);

/* Sets the deadline of each later call, in ms (> 0). Returns 0 or -EINVAL. */
WP_EXPORT int wp_cluster_set_timeout(wp_cluster *c, int timeout_ms);

/* The socket path the handle connects to. Owned by c; valid until wp_cluster_close. */
WP_EXPORT const char *wp_cluster_socket_path(const wp_cluster *c);

/*
 * The message of the last call on c that failed: the daemon's "error" text, or a description of
 * the transport failure. NULL if no call has failed yet. Owned by c; valid until the next call
 * on c.
 */
WP_EXPORT const char *wp_cluster_last_error(const wp_cluster *c);

/*
 * Generic request, for tools: request_json is one JSON object with at least "op" (any "id" is
 * replaced by the library's). Returns 0 and the daemon's reply line (a JSON object with "id"
 * and "ok": true; no newline) in *ret_reply_json, to be freed with free(); or the daemon's
 * -errno code when it answered "ok": false (see wp_cluster_last_error), -EINVAL if
 * request_json is not a JSON object, or a transport error. Do not send "subscribe" here: use
 * wp_notify_open, which has its own connection.
 */
WP_EXPORT int wp_cluster_call(wp_cluster *c, const char *request_json, char **ret_reply_json);

/* The cluster's name (cluster.status). */
WP_EXPORT int wp_cluster_get_name(wp_cluster *c, char **ret_name);

/*
 * cluster.set of FencingCommand: the command the cluster runs (/bin/sh -c, $1 the node's name,
 * $2 its id, also in $WOLFPACK_FENCE_NODE and $WOLFPACK_FENCE_NODEID) to fence a node that
 * left; while it is set, that node's groups wait until the command exits 0. "" removes it;
 * NULL is -EINVAL. A one-node cluster stores it too (it never has a node to fence).
 */
WP_EXPORT int wp_cluster_set_fencing_command(wp_cluster *c, const char *command);

/* ---- Nodes -------------------------------------------------------------------------------- */

/* One node, as wp_node_list reports it. */
typedef struct wp_node_info {
	const char *name;
	uint32_t id;   /* Corosync node id; 0 on a one-node cluster */
	int state;     /* wp_node_state (WSFC's CLUSTER_NODE_STATE) */
	int groups;    /* groups the node owns; -1 when the daemon does not say (one-node cluster) */
	bool local;    /* the node whose wolfpackd c is connected to */
} wp_node_info;

/*
 * node.list: every node of the cluster, in the daemon's order (by id). *ret_nodes is one
 * malloc()ed block holding the array and its strings: free it with free(). *ret_count may be
 * 0 only for a daemon that reports no node. ret_count may not be NULL.
 */
WP_EXPORT int wp_node_list(wp_cluster *c, wp_node_info **ret_nodes, size_t *ret_count);

/* The node's state (wp_node_state), from node.list; -ENOENT when no node has that name. */
WP_EXPORT int wp_node_get_state(wp_cluster *c, const char *name, int *ret_state);

/*
 * node.pause (PauseClusterNode): the node keeps its groups but takes no new ones. drain: also
 * move its groups away, each to the best other node (a group no other node can host stays,
 * with a warning in the cluster log); the moves happen after the acknowledgement.
 * node.resume (ResumeClusterNode) makes it take groups again. A one-node cluster refuses
 * both (-EINVAL): its only node cannot be paused.
 */
WP_EXPORT int wp_node_pause(wp_cluster *c, const char *name, bool drain);
WP_EXPORT int wp_node_resume(wp_cluster *c, const char *name);

/* ---- Resources ---------------------------------------------------------------------------- */

/*
 * resource.create. params: NULL or a NULL-terminated array of "KEY=VALUE" strings (private
 * properties; -EINVAL if one lacks '=' or has an empty key). flags: WP_RESOURCE_*_MONITOR.
 */
WP_EXPORT int wp_resource_create(wp_cluster *c, const char *name, const char *type,
				 const char *group, const char *const *params, unsigned flags);
/* resource.delete: the resource must be Offline or Failed (-EBUSY otherwise). */
WP_EXPORT int wp_resource_delete(wp_cluster *c, const char *name);

/*
 * resource.online / resource.offline / resource.fail. The daemon acknowledges when the change
 * has started; progress arrives as WP_CHANGE_RESOURCE_STATE notifications. To wait for the
 * outcome without a race, open the wp_notify first, then call these.
 * wp_resource_fail is FailClusterResource: -EPERM from inside a Resource Monitor, -EBUSY when
 * the resource is neither online nor pending.
 */
WP_EXPORT int wp_resource_online(wp_cluster *c, const char *name);
WP_EXPORT int wp_resource_offline(wp_cluster *c, const char *name);
WP_EXPORT int wp_resource_fail(wp_cluster *c, const char *name);

/*
 * The resource's state (a wp_resource_state value, WSFC's CLUSTER_RESOURCE_STATE), owner node
 * and group, from resource.show. Each ret_* may be NULL when not wanted; strings are
 * malloc()ed for the caller.
 */
WP_EXPORT int wp_resource_get_state(wp_cluster *c, const char *name, int *ret_state,
				    char **ret_owner_node, char **ret_group);

/* resource.depend: replaces the dependency expression, e.g. "([ip] or [ip2]) and [disk]";
 * "" removes every dependency. */
WP_EXPORT int wp_resource_set_dependency_expression(wp_cluster *c, const char *name,
						    const char *expression);
/* resource.add_dependency: AND-s depends_on to the expression (AddClusterResourceDependency). */
WP_EXPORT int wp_resource_add_dependency(wp_cluster *c, const char *name,
					 const char *depends_on);

/* resource.set of private properties: "KEY=VALUE" sets KEY, a bare "KEY" removes it.
 * params: NULL-terminated, at least one entry. */
WP_EXPORT int wp_resource_set_params(wp_cluster *c, const char *name,
				     const char *const *params);

/* ---- Groups ------------------------------------------------------------------------------- */

WP_EXPORT int wp_group_create(wp_cluster *c, const char *name);
/* The group must be empty (-EBUSY otherwise). */
WP_EXPORT int wp_group_delete(wp_cluster *c, const char *name);
/* Start/stop every resource of the group; acknowledged when started, as for resources. */
WP_EXPORT int wp_group_online(wp_cluster *c, const char *name);
WP_EXPORT int wp_group_offline(wp_cluster *c, const char *name);
/* group.move to node, or NULL for the best node. */
WP_EXPORT int wp_group_move(wp_cluster *c, const char *name, const char *node);
/* The group's state (wp_group_state) and owner node; each ret_* may be NULL. */
WP_EXPORT int wp_group_get_state(wp_cluster *c, const char *name, int *ret_state,
				 char **ret_owner_node);

/* ---- Notifications ------------------------------------------------------------------------ */

/*
 * One notification. Strings point into the wp_notify and stay valid until the next
 * wp_notify_next or wp_notify_close on it.
 */
typedef struct wp_notification {
	uint32_t filter;     /* the WP_CHANGE_* bit; 0 for a log line (WP_NOTIFY_LOG) */
	const char *event;   /* the protocol's event name: "resource_state", "group_added",
			      * "reconnect", "log", ... */
	const char *name;    /* the resource or group; a log line's object; "" for reconnect */
	const char *group;   /* resource events: the resource's group when the daemon says; else
			      * NULL */
	int state;           /* *_STATE events: the state code (wp_resource_state or
			      * wp_group_state); otherwise -1 */
	const char *message; /* reconnect: the reason; log: the message; else NULL */
	uint64_t seq;        /* the event's seq, 0 if it has none */
	const char *json;    /* the event exactly as received, one JSON object, no newline */
} wp_notification;

/*
 * Opens a notification port: a connection of its own to c's socket (c may be closed
 * afterwards), subscribed to the filter (WP_CHANGE_* bits) before this returns, so every change
 * committed after the return is reported. flags: WP_NOTIFY_*. Returns 0 and a new handle in
 * *ret (free with wp_notify_close), or -errno: -EINVAL when filter is 0 and no
 * WP_NOTIFY_LOG, a connection error, or the daemon's refusal. A filter of only bits that never
 * fire (WP_CHANGE_CLUSTER_RECONNECT alone, node bits, ...) is valid.
 *
 * When the client reads too slowly the daemon drops its events and sends one "reconnect":
 * wp_notify_next reports it as WP_CHANGE_CLUSTER_RECONNECT after subscribing again by itself;
 * events may have been lost: re-read the state you care about.
 */
WP_EXPORT int wp_notify_open(const wp_cluster *c, uint32_t filter, wp_notify **ret);
WP_EXPORT int wp_notify_open_ex(const wp_cluster *c, uint32_t filter, unsigned flags,
				wp_notify **ret);

/* Replaces the filter (subscribes again on the same connection). */
WP_EXPORT int wp_notify_set_filter(wp_notify *n, uint32_t filter);

/*
 * The descriptor to poll() for POLLIN, or -ENOTCONN while disconnected (WP_NOTIFY_AUTO_RECONNECT;
 * the descriptor changes on reconnection). The library buffers what it reads: after poll()
 * reports POLLIN, call wp_notify_next(n, 0, ...) until it returns 0 before polling again.
 */
WP_EXPORT int wp_notify_fd(const wp_notify *n);

/*
 * Waits up to timeout_ms (0 = do not wait, < 0 = without limit) for the next notification.
 * Returns 1 and fills *ret, 0 on timeout, -ECONNRESET when the daemon closed the connection
 * (without WP_NOTIFY_AUTO_RECONNECT), or another -errno.
 */
WP_EXPORT int wp_notify_next(wp_notify *n, int timeout_ms, wp_notification *ret);

/* Closes the port. Accepts NULL. */
WP_EXPORT void wp_notify_close(wp_notify *n);

/* ---- Names -------------------------------------------------------------------------------- */

/* WSFC's state names ("Online", "OnlinePending", "PartialOnline", ...) and back; unknown
 * values give "Unknown" / -1. */
WP_EXPORT const char *wp_resource_state_to_string(int state);
WP_EXPORT int wp_resource_state_from_string(const char *s);
WP_EXPORT const char *wp_group_state_to_string(int state);
WP_EXPORT int wp_group_state_from_string(const char *s);
/* CLUSTER_NODE_STATE: "Up", "Down", "Paused", "Joining". */
WP_EXPORT const char *wp_node_state_to_string(int state);
WP_EXPORT int wp_node_state_from_string(const char *s);

#ifdef __cplusplus
}
#endif
#endif
