/* SPDX-License-Identifier: MIT */
#pragma once

/* libwolfpack internals: one line-oriented connection, and the JSON request/reply exchange
 * shared by the typed calls. Nothing here is exported (see libwolfpack.sym). */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wolfpack/clusapi.h>

/* A reply or event longer than this is a protocol error (cluster.status of a large cluster is
 * the biggest legitimate line; it stays far below). */
#define WP__LINE_MAX (64u << 20)

/* Deadlines are CLOCK_MONOTONIC microseconds; WP__FOREVER never expires. */
#define WP__FOREVER UINT64_MAX
uint64_t wp__deadline(int timeout_ms);

/* A connected Unix stream socket with a read buffer. fd < 0: not connected. */
typedef struct wp__conn {
	int fd;
	char *buf;
	size_t start, len, cap; /* unread bytes are buf[start .. start+len) */
} wp__conn;

#define WP__CONN_INIT { .fd = -1 }

/* Socket path to use for a caller's path (NULL → $WOLFPACK_SOCKET → default). Never NULL. */
const char *wp__socket_path(const char *path);

/* Connects (non-blocking socket, close-on-exec). Returns 0 or -errno. */
int wp__conn_connect(wp__conn *conn, const char *path, uint64_t deadline);
void wp__conn_close(wp__conn *conn);

/* True if the peer has closed the connection (nothing is read). */
bool wp__conn_peer_closed(wp__conn *conn);

/* Writes s and a newline, all of it before the deadline. Returns 0, -ETIMEDOUT, or -errno
 * (-EPIPE/-ECONNRESET when the peer went away). */
int wp__conn_send_line(wp__conn *conn, const char *s, size_t n, uint64_t deadline);

/* Reads one line. Returns 1 with *ret_line (NUL-terminated, without the newline, valid until
 * the next read or close) and *ret_len; 0 if the deadline passed first; -ECONNRESET on EOF;
 * -EMSGSIZE for a line over WP__LINE_MAX; another -errno. */
int wp__conn_read_line(wp__conn *conn, uint64_t deadline, char **ret_line, size_t *ret_len);

/* Parses one line as a JSON object. NULL if it is not exactly one object. */
struct json_object *wp__parse_object(const char *line, size_t len);

/* Request/reply on the cluster connection. req gets its "id" set (it is otherwise borrowed).
 * Returns 0 with the parsed reply in *ret_reply (may be NULL if not wanted; caller puts) and,
 * if ret_line is non-NULL, a malloc()ed copy of the raw reply line; or -errno with the
 * message in c's last error. */
int wp__call(wp_cluster *c, struct json_object *req, struct json_object **ret_reply,
	     char **ret_line);

/* Sets the message wp_cluster_last_error returns, for a failure found on the client side. */
void wp__set_error(wp_cluster *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Builds {"op": op, "name": name} (NULL on allocation failure). */
struct json_object *wp__request(const char *op, const char *name);
/* A request that carries only a name, with no reply data. */
int wp__simple(wp_cluster *c, const char *op, const char *name);

/* The timeout and path of a handle, for wp_notify_open. */
int wp__cluster_timeout(const wp_cluster *c);

/* strdup of a JSON string member, or -ENOMEM; NULL member → NULL result, 0. */
int wp__dup_member(struct json_object *o, const char *key, char **ret);

/* Adds a string member; returns 0 or -ENOMEM. */
int wp__add_str(struct json_object *o, const char *key, const char *value);

/* The state code of a resource or group object: "state_code", or its "state" name when the
 * code is missing; -1 when neither is usable. */
int wp__state_code(struct json_object *o, int (*from_string)(const char *));
