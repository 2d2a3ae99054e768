/* SPDX-License-Identifier: MIT */
/*
 * wp_cluster: the request connection. One request at a time: send {"id": N, ...}, read lines
 * until the reply with id N. Replies come in request order, so anything else on the line
 * (a stale reply, an event if a tool subscribed here anyway) is skipped. A timeout or broken
 * connection drops the socket; the next call connects again, and so does a call that finds
 * the socket closed by the daemon (restarted) before it sends anything.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jmsg.h"
#include "macro.h"

struct wp_cluster {
	char *path;
	wp__conn conn;
	int timeout_ms;
	int64_t next_id;
	char *last_error;
};

void wp__set_error(wp_cluster *c, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(c->last_error);
	c->last_error = s;
}

int wp_cluster_open(const char *socket_path, wp_cluster **ret)
{
	wp_cluster *c;
	int r;

	if (!ret)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->conn = (wp__conn) WP__CONN_INIT;
	c->timeout_ms = WP_DEFAULT_TIMEOUT_MS;
	c->next_id = 1;
	c->path = strdup(wp__socket_path(socket_path));
	if (!c->path) {
		free(c);
		return -ENOMEM;
	}
	r = wp__conn_connect(&c->conn, c->path, wp__deadline(c->timeout_ms));
	if (r < 0) {
		wp_cluster_close(c);
		return r;
	}
	*ret = c;
	return 0;
}

void wp_cluster_close(wp_cluster *c)
{
	if (!c)
		return;
	wp__conn_close(&c->conn);
	free(c->path);
	free(c->last_error);
	free(c);
}

int wp_cluster_set_timeout(wp_cluster *c, int timeout_ms)
{
	if (!c || timeout_ms <= 0)
		return -EINVAL;
	c->timeout_ms = timeout_ms;
	return 0;
}

const char *wp_cluster_socket_path(const wp_cluster *c)
{
	return c ? c->path : NULL;
}

const char *wp_cluster_last_error(const wp_cluster *c)
{
	return c ? c->last_error : NULL;
}

int wp__cluster_timeout(const wp_cluster *c)
{
	return c->timeout_ms;
}

/* The daemon's answer to a failed request: its code if it is a negative errno, else -EIO. */
static int reply_code(struct json_object *reply)
{
	int64_t code;

	if (jmsg_get_i64(reply, "code", &code) && code < 0 && code > -4096)
		return (int) code;
	return -EIO;
}

static int transport_error(wp_cluster *c, int r, const char *what)
{
	wp__conn_close(&c->conn);
	if (r == -ETIMEDOUT)
		wp__set_error(c, "no reply from wolfpackd within %d ms", c->timeout_ms);
	else if (r == -ECONNRESET || r == -EPIPE)
		wp__set_error(c, "connection to wolfpackd lost");
	else
		wp__set_error(c, "%s: %s", what, strerror(-r));
	return r == -EPIPE ? -ECONNRESET : r;
}

int wp__call(wp_cluster *c, struct json_object *req, struct json_object **ret_reply,
	     char **ret_line)
{
	uint64_t deadline = wp__deadline(c->timeout_ms);
	int64_t id = c->next_id++;
	struct json_object *idv;
	const char *s;
	size_t n;
	int r;

	/* A daemon restarted since our last call left us a dead socket: reconnect now, before
	 * sending, so the request is not lost for nothing. */
	if (c->conn.fd >= 0 && wp__conn_peer_closed(&c->conn))
		wp__conn_close(&c->conn);
	if (c->conn.fd < 0) {
		r = wp__conn_connect(&c->conn, c->path, deadline);
		if (r < 0) {
			wp__set_error(c, "cannot connect to wolfpackd at %s: %s", c->path,
				  strerror(-r));
			/* No socket and nobody listening are the same thing to a caller here: keep
			 * -ENOENT for the daemon's "no such object". */
			return r == -ENOENT ? -ECONNREFUSED : r;
		}
	}
	idv = json_object_new_int64(id);
	if (!idv || json_object_object_add(req, "id", idv) < 0) {
		json_object_put(idv);
		return -ENOMEM;
	}
	s = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (!s)
		return -ENOMEM;
	r = wp__conn_send_line(&c->conn, s, n, deadline);
	if (r < 0)
		return transport_error(c, r, "sending to wolfpackd");

	for (;;) {
		struct json_object *reply;
		char *line;
		size_t len;
		int64_t rid;
		bool ok;

		r = wp__conn_read_line(&c->conn, deadline, &line, &len);
		if (r == 0)
			r = -ETIMEDOUT;
		if (r < 0)
			return transport_error(c, r, "reading from wolfpackd");
		/* A caller that wants only the text of a successful reply need not pay for a
		 * parse (a 10 000-resource status is over a megabyte): the daemon writes "id"
		 * and "ok" first, so the prefix tells. Anything else is parsed below. */
		if (ret_line && !ret_reply) {
			char prefix[64];
			int pn = snprintf(prefix, sizeof(prefix), "{\"id\":%lld,\"ok\":true",
					  (long long) id);

			if (pn > 0 && len > (size_t) pn && strncmp(line, prefix, (size_t) pn) == 0 &&
			    (line[pn] == ',' || line[pn] == '}')) {
				*ret_line = strndup(line, len);
				return *ret_line ? 0 : -ENOMEM;
			}
		}
		reply = wp__parse_object(line, len);
		if (!reply)
			continue; /* not ours to judge: skip what we cannot read */
		if (!jmsg_get_i64(reply, "id", &rid) || rid != id) {
			/* An event, a stale reply, or an error about an unreadable line (id 0). */
			json_object_put(reply);
			continue;
		}
		if (!jmsg_get_bool(reply, "ok", &ok) || !ok) {
			const char *msg = jmsg_get_str(reply, "error");

			r = reply_code(reply);
			wp__set_error(c, "%s", msg ? msg : strerror(-r));
			json_object_put(reply);
			return r;
		}
		if (ret_line) {
			*ret_line = strndup(line, len);
			if (!*ret_line) {
				json_object_put(reply);
				return -ENOMEM;
			}
		}
		if (ret_reply)
			*ret_reply = reply;
		else
			json_object_put(reply);
		return 0;
	}
}

int wp_cluster_call(wp_cluster *c, const char *request_json, char **ret_reply_json)
{
	struct json_object *req;
	char *line = NULL;
	int r;

	if (!c || !request_json || !ret_reply_json)
		return -EINVAL;
	req = wp__parse_object(request_json, strlen(request_json));
	if (!req) {
		wp__set_error(c, "the request is not one JSON object");
		return -EINVAL;
	}
	r = wp__call(c, req, NULL, &line);
	json_object_put(req);
	if (r < 0)
		return r;
	*ret_reply_json = line;
	return 0;
}

/* ---- helpers of the typed calls ----------------------------------------------------------- */

int wp__add_str(struct json_object *o, const char *key, const char *value)
{
	struct json_object *v = json_object_new_string(value);

	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

struct json_object *wp__request(const char *op, const char *name)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (wp__add_str(o, "op", op) < 0 || (name && wp__add_str(o, "name", name) < 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int wp__simple(wp_cluster *c, const char *op, const char *name)
{
	struct json_object *req;
	int r;

	if (!c || !name)
		return -EINVAL;
	req = wp__request(op, name);
	if (!req)
		return -ENOMEM;
	r = wp__call(c, req, NULL, NULL);
	json_object_put(req);
	return r;
}

int wp__dup_member(struct json_object *o, const char *key, char **ret)
{
	const char *s = jmsg_get_str(o, key);

	*ret = NULL;
	if (!s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int wp_cluster_get_name(wp_cluster *c, char **ret_name)
{
	struct json_object *req, *reply = NULL;
	char *name;
	int r;

	if (!c || !ret_name)
		return -EINVAL;
	req = wp__request("cluster.status", NULL);
	if (!req)
		return -ENOMEM;
	r = wp__call(c, req, &reply, NULL);
	json_object_put(req);
	if (r < 0)
		return r;
	r = wp__dup_member(reply, "cluster", &name);
	json_object_put(reply);
	if (r < 0)
		return r;
	if (!name)
		return -EBADMSG;
	*ret_name = name;
	return 0;
}

int wp_cluster_set_fencing_command(wp_cluster *c, const char *command)
{
	struct json_object *req, *props;
	int r;

	if (!c || !command)
		return -EINVAL;
	req = wp__request("cluster.set", NULL);
	props = json_object_new_object();
	if (!req || !props || wp__add_str(props, "FencingCommand", command) < 0 ||
	    json_object_object_add(req, "properties", props) < 0) {
		json_object_put(props);
		json_object_put(req);
		return -ENOMEM;
	}
	r = wp__call(c, req, NULL, NULL);
	json_object_put(req);
	return r;
}
