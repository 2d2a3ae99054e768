/* SPDX-License-Identifier: MIT */
/*
 * wp_notify: a subscribed connection (WSFC's notification port). Events arrive as lines
 * without "id"; replies to our own subscribe requests arrive in the same stream.
 *
 * Subscribing at open (and on wp_notify_set_filter) waits for the daemon's reply, so the
 * caller knows every later change is reported; events that arrive while we wait are queued,
 * not lost. After a "reconnect" event (we read too slowly and the daemon dropped events) we
 * subscribe again without waiting: the daemon sends nothing until then, and the reply is
 * picked out of the stream later.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jmsg.h"
#include "macro.h"
#include "time-util.h"

struct wp_notify {
	char *path;
	wp__conn conn;
	int timeout_ms;     /* for subscribe exchanges */
	uint32_t filter;
	unsigned flags;
	int64_t next_id;
	/* Event lines read while waiting for a subscribe reply; delivered first. */
	char **queue;
	size_t q_head, q_len, q_cap;
	/* Storage of the notification last returned. */
	struct json_object *cur;
	char *cur_line;
	/* The reply to a subscribe sent without waiting reported this error (0: none). */
	int async_error;
};

static const struct {
	const char *event;  /* event name */
	const char *filter; /* subscribe filter name */
	uint32_t bit;
	bool resource;      /* the object is in "resource" (else "group") */
} kinds[] = {
	{ "resource_state", "resource-state", WP_CHANGE_RESOURCE_STATE, true },
	{ "resource_deleted", "resource-deleted", WP_CHANGE_RESOURCE_DELETED, true },
	{ "resource_added", "resource-added", WP_CHANGE_RESOURCE_ADDED, true },
	{ "resource_property", "resource-property", WP_CHANGE_RESOURCE_PROPERTY, true },
	{ "group_state", "group-state", WP_CHANGE_GROUP_STATE, false },
	{ "group_deleted", "group-deleted", WP_CHANGE_GROUP_DELETED, false },
	{ "group_added", "group-added", WP_CHANGE_GROUP_ADDED, false },
	{ "group_property", "group-property", WP_CHANGE_GROUP_PROPERTY, false },
};

static struct json_object *subscribe_request(wp_notify *n, int64_t id)
{
	struct json_object *req = wp__request("subscribe", NULL), *f = json_object_new_array();
	struct json_object *idv = json_object_new_int64(id);

	if (!req || !f || !idv)
		goto oom;
	for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
		if ((n->filter & kinds[i].bit) &&
		    json_object_array_add(f, json_object_new_string(kinds[i].filter)) < 0)
			goto oom;
	if ((n->flags & WP_NOTIFY_LOG) &&
	    json_object_array_add(f, json_object_new_string("log")) < 0)
		goto oom;
	if (json_object_object_add(req, "filter", f) < 0) {
		f = NULL;
		goto oom;
	}
	f = NULL;
	if (json_object_object_add(req, "id", idv) < 0) {
		idv = NULL;
		goto oom;
	}
	return req;
oom:
	json_object_put(idv);
	json_object_put(f);
	json_object_put(req);
	return NULL;
}

static int send_subscribe(wp_notify *n, int64_t id, uint64_t deadline)
{
	struct json_object *req = subscribe_request(n, id);
	const char *s;
	size_t len;
	int r;

	if (!req)
		return -ENOMEM;
	s = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &len);
	r = s ? wp__conn_send_line(&n->conn, s, len, deadline) : -ENOMEM;
	json_object_put(req);
	return r;
}

static int queue_push(wp_notify *n, const char *line, size_t len)
{
	char *copy;

	if (n->q_head > 0 && n->q_head == n->q_len) {
		n->q_head = n->q_len = 0;
	}
	if (n->q_len == n->q_cap) {
		size_t cap = n->q_cap ? n->q_cap * 2 : 16;
		char **q = realloc(n->queue, cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		n->queue = q;
		n->q_cap = cap;
	}
	copy = strndup(line, len);
	if (!copy)
		return -ENOMEM;
	n->queue[n->q_len++] = copy;
	return 0;
}

static int reply_code(struct json_object *o)
{
	int64_t code;
	bool ok;

	if (jmsg_get_bool(o, "ok", &ok) && ok)
		return 0;
	if (jmsg_get_i64(o, "code", &code) && code < 0 && code > -4096)
		return (int) code;
	return -EIO;
}

/* Subscribes with the current filter and waits for the reply, queueing events meanwhile. */
static int subscribe(wp_notify *n, uint64_t deadline)
{
	int64_t id = n->next_id++;
	int r = send_subscribe(n, id, deadline);

	while (r >= 0) {
		struct json_object *o;
		char *line;
		size_t len;
		int64_t rid;

		r = wp__conn_read_line(&n->conn, deadline, &line, &len);
		if (r == 0)
			r = -ETIMEDOUT;
		if (r < 0)
			break;
		o = wp__parse_object(line, len);
		if (!o)
			continue;
		if (!jmsg_get_i64(o, "id", &rid)) {
			json_object_put(o);
			r = queue_push(n, line, len);
			continue;
		}
		if (rid == id) {
			r = reply_code(o);
			json_object_put(o);
			return r;
		}
		json_object_put(o); /* an older subscribe's reply */
	}
	return r;
}

/* Connects and subscribes; on failure the connection is closed. */
static int connect_and_subscribe(wp_notify *n, uint64_t deadline)
{
	int r = wp__conn_connect(&n->conn, n->path, deadline);

	if (r >= 0)
		r = subscribe(n, deadline);
	if (r < 0)
		wp__conn_close(&n->conn);
	return r;
}

int wp_notify_open_ex(const wp_cluster *c, uint32_t filter, unsigned flags, wp_notify **ret)
{
	wp_notify *n;
	int r;

	if (!c || !ret || (flags & ~(WP_NOTIFY_LOG | WP_NOTIFY_AUTO_RECONNECT)) ||
	    (!filter && !(flags & WP_NOTIFY_LOG)))
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->conn = (wp__conn) WP__CONN_INIT;
	n->timeout_ms = wp__cluster_timeout(c);
	n->filter = filter;
	n->flags = flags;
	n->next_id = 1;
	n->path = strdup(wp_cluster_socket_path(c));
	if (!n->path) {
		free(n);
		return -ENOMEM;
	}
	r = connect_and_subscribe(n, wp__deadline(n->timeout_ms));
	if (r < 0) {
		wp_notify_close(n);
		return r;
	}
	*ret = n;
	return 0;
}

int wp_notify_open(const wp_cluster *c, uint32_t filter, wp_notify **ret)
{
	return wp_notify_open_ex(c, filter, 0, ret);
}

int wp_notify_set_filter(wp_notify *n, uint32_t filter)
{
	uint32_t old;
	int r;

	if (!n || (!filter && !(n->flags & WP_NOTIFY_LOG)))
		return -EINVAL;
	if (n->conn.fd < 0)
		return -ENOTCONN;
	old = n->filter;
	n->filter = filter;
	r = subscribe(n, wp__deadline(n->timeout_ms));
	if (r < 0)
		n->filter = old;
	return r;
}

int wp_notify_fd(const wp_notify *n)
{
	if (!n)
		return -EINVAL;
	return n->conn.fd >= 0 ? n->conn.fd : -ENOTCONN;
}

void wp_notify_close(wp_notify *n)
{
	if (!n)
		return;
	wp__conn_close(&n->conn);
	for (size_t i = n->q_head; i < n->q_len; i++)
		free(n->queue[i]);
	free(n->queue);
	json_object_put(n->cur);
	free(n->cur_line);
	free(n->path);
	free(n);
}

/* Fills *ret from an event line and its parsed form (o may be NULL: parsed here), taking
 * ownership of both. Returns 1 if it is one to deliver, 0 if it is to be skipped. */
static int take_event(wp_notify *n, char *line, struct json_object *o, wp_notification *ret)
{
	const char *event, *name = NULL, *group = NULL, *message = NULL;
	uint32_t bit = 0;
	int state = -1;
	int64_t seq = 0;
	size_t i;

	if (!o)
		o = wp__parse_object(line, strlen(line));
	if (!o || !(event = jmsg_get_str(o, "event"))) {
		json_object_put(o);
		free(line);
		return 0;
	}
	for (i = 0; i < ELEMENTSOF(kinds); i++)
		if (strcmp(kinds[i].event, event) == 0)
			break;
	if (i < ELEMENTSOF(kinds)) {
		bit = kinds[i].bit;
		if (!(n->filter & bit))
			goto skip;
		name = jmsg_get_str(o, kinds[i].resource ? "resource" : "group");
		if (kinds[i].resource)
			group = jmsg_get_str(o, "group");
		if (bit == WP_CHANGE_RESOURCE_STATE)
			state = wp__state_code(o, wp_resource_state_from_string);
		else if (bit == WP_CHANGE_GROUP_STATE)
			state = wp__state_code(o, wp_group_state_from_string);
	} else if (strcmp(event, "reconnect") == 0) {
		bit = WP_CHANGE_CLUSTER_RECONNECT;
		message = jmsg_get_str(o, "reason");
	} else if (strcmp(event, "log") == 0) {
		if (!(n->flags & WP_NOTIFY_LOG))
			goto skip;
		name = jmsg_get_str(o, "object");
		message = jmsg_get_str(o, "message");
	} else {
		goto skip; /* an event this library does not know yet */
	}
	(void) jmsg_get_i64(o, "seq", &seq);

	json_object_put(n->cur);
	free(n->cur_line);
	n->cur = o;
	n->cur_line = line;
	*ret = (wp_notification) {
		.filter = bit,
		.event = event,
		.name = name ? name : "",
		.group = group,
		.state = state,
		.message = message,
		.seq = seq > 0 ? (uint64_t) seq : 0,
		.json = line,
	};
	return 1;
skip:
	json_object_put(o);
	free(line);
	return 0;
}

/* A reconnect notification of our own, after WP_NOTIFY_AUTO_RECONNECT reconnected (and
 * subscribed: it is returned directly, never through the resubscribe below). */
static int synthetic_reconnect(wp_notify *n, wp_notification *ret)
{
	static const char text[] =
		"{\"event\":\"reconnect\",\"reason\":\"connection to wolfpackd re-established\"}";
	char *line = strdup(text);

	if (!line)
		return -ENOMEM;
	return take_event(n, line, NULL, ret);
}

/* The daemon went away: try to come back before the deadline. Returns 1 with the reconnect
 * notification, 0 at the deadline, -errno for what retrying cannot fix. */
static int reconnect(wp_notify *n, uint64_t deadline, wp_notification *ret)
{
	unsigned delay_ms = 50;

	for (;;) {
		uint64_t now = now_us(), until;
		int r;

		/* Each attempt gets the usual exchange timeout, but not past the caller's. */
		until = wp__deadline(n->timeout_ms);
		if (until > deadline)
			until = deadline;
		r = connect_and_subscribe(n, until);
		if (r >= 0)
			return synthetic_reconnect(n, ret);
		if (r == -ENOMEM || r == -ENAMETOOLONG || r == -EINVAL)
			return r;
		now = now_us();
		if (now >= deadline)
			return 0;
		if (deadline != WP__FOREVER && deadline - now < delay_ms * USEC_PER_MSEC)
			delay_ms = (unsigned) ((deadline - now) / USEC_PER_MSEC) + 1;
		(void) poll(NULL, 0, (int) delay_ms);
		if (delay_ms < 1000)
			delay_ms *= 2;
	}
}

int wp_notify_next(wp_notify *n, int timeout_ms, wp_notification *ret)
{
	uint64_t deadline = wp__deadline(timeout_ms);

	if (!n || !ret)
		return -EINVAL;
	for (;;) {
		struct json_object *o;
		char *line;
		size_t len;
		int64_t rid;
		int r;

		if (n->async_error) {
			r = n->async_error;
			n->async_error = 0;
			return r;
		}
		if (n->q_head < n->q_len) {
			line = n->queue[n->q_head++];
			r = take_event(n, line, NULL, ret);
			if (r != 0)
				goto delivered;
			continue;
		}
		if (n->conn.fd < 0) {
			if (!(n->flags & WP_NOTIFY_AUTO_RECONNECT))
				return -ENOTCONN;
			return reconnect(n, deadline, ret);
		}
		r = wp__conn_read_line(&n->conn, deadline, &line, &len);
		if (r == -ECONNRESET && (n->flags & WP_NOTIFY_AUTO_RECONNECT)) {
			wp__conn_close(&n->conn);
			continue;
		}
		if (r <= 0)
			return r;
		o = wp__parse_object(line, len);
		if (!o)
			continue;
		if (jmsg_get_i64(o, "id", &rid)) {
			/* The reply to a subscribe sent after a reconnect event. */
			r = reply_code(o);
			json_object_put(o);
			if (r < 0)
				return r;
			continue;
		}
		line = strndup(line, len);
		if (!line) {
			json_object_put(o);
			return -ENOMEM;
		}
		r = take_event(n, line, o, ret);
		if (r == 0)
			continue;
	delivered:
		if (r > 0 && ret->filter == WP_CHANGE_CLUSTER_RECONNECT && n->conn.fd >= 0) {
			/* The daemon stopped sending us events: ask again, now, without waiting
			 * for the reply (it is picked out of the stream above). */
			int q = send_subscribe(n, n->next_id++, wp__deadline(n->timeout_ms));

			if (q < 0)
				n->async_error = q;
		}
		return r;
	}
}
