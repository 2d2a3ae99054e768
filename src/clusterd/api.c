/* SPDX-License-Identifier: MIT */
/*
 * The client API server: newline-delimited JSON on a Unix stream socket
 * (docs/api-protocol.md). Every connection is non-blocking with its own input and output
 * buffers, so a slow or stuck client costs memory up to a bound, never the daemon's time:
 * past 4 MiB of undelivered events a subscriber gets one "reconnect" event and no more until
 * it subscribes again (WSFC's CLUSTER_CHANGE_CLUSTER_RECONNECT).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "clusterd.h"
#include "jmsg.h"
#include "time-util.h"

#define LINE_MAX_BYTES   65536
#define ACCESS_GROUP     "wolfpack"

typedef struct client {
	int fd;
	sd_event_source *io;
	pid_t pid;
	uid_t uid;
	bool can_write;
	char *in;
	size_t in_len, in_cap;
	bool skipping;      /* inside an oversized line: drop up to the next newline */
	char *out;
	size_t out_len, out_off, out_cap;
	size_t event_bytes; /* events among the queued output */
	bool subscribed;
	uint32_t filter;
	uint64_t seq;
	bool closing;
	uint64_t cid;       /* replies to replicated requests find their client by this */
	struct client *next;
} client;

size_t api_event_backlog = 4u << 20;
static int listen_fd = -1;
static sd_event_source *listen_source;
static client *clients;
static char *socket_path;
static uint64_t next_cid = 1;

/* ---- output ------------------------------------------------------------------------------- */

static void client_free(client *c)
{
	for (client **p = &clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	sd_event_source_disable_unref(c->io);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Writes what the socket takes; keeps the rest and asks for EPOLLOUT. Returns -1 if the client
 * went away (and was freed). */
static int flush_out(client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			client_free(c);
			return -1;
		}
		c->out_off += (size_t) n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		c->event_bytes = 0;
	}
	sd_event_source_set_io_events(c->io, EPOLLIN | (c->out_len ? EPOLLOUT : 0));
	return 0;
}

static void append(client *c, const char *s, size_t n)
{
	if (c->out_len + n + 1 > c->out_cap) {
		size_t cap = (c->out_len + n + 1) * 2;
		char *bigger;

		/* Reclaim what was already sent before growing. */
		if (c->out_off) {
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		bigger = realloc(c->out, cap);
		if (!bigger)
			abort();
		c->out = bigger;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
	c->out[c->out_len++] = '\n';
}

static void send_obj(client *c, struct json_object *o)
{
	size_t n;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);

	append(c, s, n);
}

/* Events carry a per-connection seq; the body is serialised once for all subscribers. */
static void send_event(client *c, const char *body, size_t n)
{
	char head[48];
	int h;

	if (c->event_bytes + n > api_event_backlog) {
		char reconnect[200];
		int len = snprintf(reconnect, sizeof(reconnect),
				   "{\"seq\":%llu,\"event\":\"reconnect\",\"reason\":\"too many "
				   "undelivered events; re-read the state and subscribe again\"}",
				   (unsigned long long) ++c->seq);
		append(c, reconnect, (size_t) len);
		c->subscribed = false;
		return;
	}
	h = snprintf(head, sizeof(head), "{\"seq\":%llu,", (unsigned long long) ++c->seq);
	/* body is "{...}": replace its '{' with our head. */
	size_t before = c->out_len;
	append(c, head, (size_t) h);
	c->out_len--; /* drop the newline append added after head */
	append(c, body + 1, n - 1);
	c->event_bytes += c->out_len - before;
}

void api_notify(uint32_t bit, struct json_object *ev)
{
	size_t n;
	const char *body = json_object_to_json_string_length(ev, JSON_C_TO_STRING_PLAIN, &n);
	client *next;

	for (client *c = clients; c; c = next) {
		next = c->next;
		if (!c->subscribed || !(c->filter & bit))
			continue;
		send_event(c, body, n);
		(void) flush_out(c);
	}
	json_object_put(ev);
}

/* ---- requests ----------------------------------------------------------------------------- */

typedef int (*handler_fn)(client *c, struct json_object *req, struct json_object *reply,
			  char *err, size_t errlen);

#define NEED_STR(var, key)                                                              \
	const char *var = jmsg_get_str(req, key);                                          \
	if (!var) {                                                                     \
		snprintf(err, errlen, "'%s' (a string) is required", key);              \
		return -EINVAL;                                                         \
	}

#define NEED_RES(var)                                                                   \
	NEED_STR(var##_name, "name");                                                   \
	cl_res *var = cl_res_find(var##_name);                                          \
	if (!var) {                                                                     \
		snprintf(err, errlen, "no resource named '%s'", var##_name);            \
		return -ENOENT;                                                         \
	}

#define NEED_GROUP(var)                                                                 \
	NEED_STR(var##_name, "name");                                                   \
	cl_group *var = cl_group_find(var##_name);                                      \
	if (!var) {                                                                     \
		snprintf(err, errlen, "no group named '%s'", var##_name);               \
		return -ENOENT;                                                         \
	}

static struct json_object *props_with_defaults(prop_kind kind, struct json_object *set,
					       const cl_res *r, const cl_group *g)
{
	struct json_object *o = json_object_new_object();
	size_t n;
	const prop_def *t = props_table(kind, &n);

	for (size_t i = 0; i < n; i++) {
		struct json_object *v = NULL;

		if (json_object_object_get_ex(set, t[i].name, &v)) {
			json_object_object_add(o, t[i].name, json_object_get(v));
			continue;
		}
		if (t[i].format == PROP_STRLIST)
			json_object_object_add(o, t[i].name, json_object_new_array());
		else if (t[i].format == PROP_STRING)
			json_object_object_add(o, t[i].name, json_object_new_string(""));
		else if (r)
			json_object_object_add(o, t[i].name, json_object_new_int64(res_prop(r, t[i].name)));
		else if (g)
			json_object_object_add(o, t[i].name, json_object_new_int64(group_prop(g, t[i].name)));
		else
			json_object_object_add(o, t[i].name, json_object_new_int64(t[i].def));
	}
	if (r) {
		/* Read-only values the service computes. */
		json_object_object_add(o, "MonitorProcessId",
				       json_object_new_int64(r->mon ? r->mon->pid : 0));
		json_object_object_add(o, "StatusInformation",
				       json_object_new_int64(r->status_information));
		json_object_object_add(o, "LastOperationStatusCode",
				       json_object_new_int64(r->last_operation_status));
	}
	return o;
}

static struct json_object *res_summary(const cl_res *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "type", json_object_new_string(r->type->name));
	json_object_object_add(o, "group", json_object_new_string(r->group->name));
	json_object_object_add(o, "state", json_object_new_string(resource_state_name(r->state)));
	json_object_object_add(o, "state_code", json_object_new_int(r->state));
	json_object_object_add(o, "owner_node",
			       json_object_new_string(cluster_node_name(r->group->owner)));
	json_object_object_add(o, "restart_count", json_object_new_int64(engine_restart_count(r)));
	if (r->last_failure.set) {
		struct json_object *f = json_object_new_object();
		char t[40];

		format_time(r->last_failure.time_us, t, sizeof(t));
		json_object_object_add(f, "source", json_object_new_string(r->last_failure.source));
		json_object_object_add(f, "failure_type",
				       json_object_new_int(r->last_failure.failure_type));
		json_object_object_add(f, "app_error",
				       json_object_new_int64(r->last_failure.app_error));
		json_object_object_add(f, "time", json_object_new_string(t));
		json_object_object_add(o, "last_failure", f);
	} else {
		json_object_object_add(o, "last_failure", NULL);
	}
	json_object_object_add(o, "status_information",
			       json_object_new_int64(r->status_information));
	json_object_object_add(o, "last_operation_status_code",
			       json_object_new_int64(r->last_operation_status));
	json_object_object_add(o, "dependency_expression", json_object_new_string(r->dep_text));
	json_object_object_add(o, "monitor_pid", json_object_new_int64(r->mon ? r->mon->pid : 0));
	json_object_object_add(o, "persistent_state", json_object_new_boolean(r->persistent));
	json_object_object_add(o, "properties", props_with_defaults(PROP_RESOURCE, r->props, r, NULL));
	json_object_object_add(o, "params", json_object_get(r->params));
	return o;
}

static struct json_object *group_summary(const cl_group *g)
{
	struct json_object *o = json_object_new_object(), *members = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(g->name));
	json_object_object_add(o, "state", json_object_new_string(group_state_name(g->state)));
	json_object_object_add(o, "state_code", json_object_new_int(g->state));
	json_object_object_add(o, "owner_node", json_object_new_string(cluster_node_name(g->owner)));
	if (g->moving_to)
		json_object_object_add(o, "moving_to",
				       json_object_new_string(cluster_node_name(g->moving_to)));
	for (cl_res *r = cl.resources; r; r = r->next)
		if (r->group == g)
			json_object_array_add(members, json_object_new_string(r->name));
	json_object_object_add(o, "resources", members);
	json_object_object_add(o, "properties", props_with_defaults(PROP_GROUP, g->props, NULL, g));
	return o;
}

/* A growing text buffer for replies written by hand. */
typedef struct text {
	char *s;
	size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			abort();
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
}

static void text_str(text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

/* A JSON string literal; names are validated (no control characters) but may hold quotes. */
static void text_json(text *t, const char *s)
{
	text_add(t, "\"", 1);
	for (const char *p = s; *p; p++) {
		const char *run = p;

		while (*p && *p != '"' && *p != '\\' && (unsigned char) *p >= 0x20)
			p++;
		text_add(t, run, (size_t) (p - run));
		if (!*p)
			break;
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', *p };
			text_add(t, esc, 2);
		} else {
			char esc[8];
			int n = snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char) *p);
			text_add(t, esc, (size_t) n);
		}
	}
	text_add(t, "\"", 1);
}

static void text_int(text *t, long long v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%lld", v);

	text_add(t, buf, (size_t) n);
}

/*
 * cluster.status, written straight into the reply: with 10 000 resources, building and
 * serialising 70 000 json-c objects costs more than the whole rest of the request. Same
 * fields, same order as the object form (docs/api-protocol.md).
 */
static void reply_status(client *c, int64_t id)
{
	text t = {};

	text_str(&t, "{\"id\":");
	text_int(&t, id);
	text_str(&t, ",\"ok\":true,\"cluster\":");
	text_json(&t, cl.name);
	{
		struct json_object *nodes = cluster_nodes_json();

		text_str(&t, ",\"node\":");
		text_json(&t, cl.node);
		text_str(&t, ",\"quorate\":");
		text_str(&t, cluster_quorate() ? "true" : "false");
		text_str(&t, ",\"nodes\":");
		text_str(&t, json_object_to_json_string_ext(nodes, JSON_C_TO_STRING_PLAIN));
		json_object_put(nodes);
	}
	text_str(&t, ",\"groups\":[");
	for (cl_group *g = cl.groups; g; g = g->next) {
		bool first = true;

		text_str(&t, g == cl.groups ? "{\"name\":" : ",{\"name\":");
		text_json(&t, g->name);
		text_str(&t, ",\"state\":");
		text_json(&t, group_state_name(g->state));
		text_str(&t, ",\"state_code\":");
		text_int(&t, g->state);
		text_str(&t, ",\"owner_node\":");
		text_json(&t, cluster_node_name(g->owner));
		text_str(&t, ",\"resources\":[");
		for (cl_res *r = cl.resources; r; r = r->next)
			if (r->group == g) {
				if (!first)
					text_add(&t, ",", 1);
				text_json(&t, r->name);
				first = false;
			}
		text_str(&t, "]}");
	}
	text_str(&t, "],\"resources\":[");
	for (cl_res *r = cl.resources; r; r = r->next) {
		text_str(&t, r == cl.resources ? "{\"name\":" : ",{\"name\":");
		text_json(&t, r->name);
		text_str(&t, ",\"type\":");
		text_json(&t, r->type->name);
		text_str(&t, ",\"group\":");
		text_json(&t, r->group->name);
		text_str(&t, ",\"state\":");
		text_json(&t, resource_state_name(r->state));
		text_str(&t, ",\"state_code\":");
		text_int(&t, r->state);
		text_str(&t, ",\"owner_node\":");
		text_json(&t, cluster_node_name(r->group->owner));
		text_str(&t, ",\"restart_count\":");
		text_int(&t, engine_restart_count(r));
		text_add(&t, "}", 1);
	}
	text_str(&t, "]}");
	append(c, t.s, t.len);
	free(t.s);
}

/* Handlers that wrote their reply themselves return this. */
#define REPLIED 1

static int h_status(client *c, struct json_object *req, struct json_object *reply, char *err,
		    size_t errlen)
{
	int64_t id = 0;

	(void) jmsg_get_i64(req, "id", &id);
	reply_status(c, id);
	return REPLIED;
}

static int h_type_list(client *c, struct json_object *req, struct json_object *reply, char *err,
		       size_t errlen)
{
	struct json_object *a = json_object_new_array();

	for (cl_type *t = cl.types; t; t = t->next) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(t->name));
		json_object_object_add(o, "dll", json_object_new_string(t->dll));
		struct json_object *props = props_with_defaults(PROP_TYPE, t->props, NULL, NULL);

		json_object_object_add(props, "DllName", json_object_new_string(t->dll));
		json_object_object_add(o, "properties", props);
		json_object_array_add(a, o);
	}
	json_object_object_add(reply, "types", a);
	return 0;
}

static int h_type_create(client *c, struct json_object *req, struct json_object *reply,
			 char *err, size_t errlen)
{
	NEED_STR(name, "name");
	NEED_STR(dll, "dll");
	return engine_type_create(name, dll, err, errlen);
}

static int h_group_create(client *c, struct json_object *req, struct json_object *reply,
			  char *err, size_t errlen)
{
	NEED_STR(name, "name");
	return engine_group_create(name, err, errlen);
}

static int h_group_delete(client *c, struct json_object *req, struct json_object *reply,
			  char *err, size_t errlen)
{
	NEED_GROUP(g);
	return engine_group_delete(g, err, errlen);
}

static int h_group_online(client *c, struct json_object *req, struct json_object *reply,
			  char *err, size_t errlen)
{
	NEED_GROUP(g);
	return engine_group_online(g, err, errlen);
}

static int h_group_offline(client *c, struct json_object *req, struct json_object *reply,
			   char *err, size_t errlen)
{
	NEED_GROUP(g);
	return engine_group_offline(g, err, errlen);
}

static int h_group_show(client *c, struct json_object *req, struct json_object *reply,
			char *err, size_t errlen)
{
	NEED_GROUP(g);
	json_object_object_add(reply, "group", group_summary(g));
	return 0;
}

static int h_group_set(client *c, struct json_object *req, struct json_object *reply,
		       char *err, size_t errlen)
{
	struct json_object *props;

	NEED_GROUP(g);
	if (!json_object_object_get_ex(req, "properties", &props) ||
	    !json_object_is_type(props, json_type_object)) {
		snprintf(err, errlen, "'properties' (an object) is required");
		return -EINVAL;
	}
	return engine_group_set(g, props, err, errlen);
}

static int h_group_move(client *c, struct json_object *req, struct json_object *reply,
			char *err, size_t errlen)
{
	const char *node = jmsg_get_str(req, "node");
	uint32_t target = 0;
	int r;

	NEED_GROUP(g);
	/* Without a node: the best possible node (MoveClusterGroup with NULL). */
	r = cluster_move(g, node, jmsg_get_str(req, "reason"), err, errlen, &target);
	if (r < 0)
		return r;
	json_object_object_add(reply, "node", json_object_new_string(cluster_node_name(target)));
	return 0;
}

static int h_res_create(client *c, struct json_object *req, struct json_object *reply,
			char *err, size_t errlen)
{
	struct json_object *params = NULL;
	bool separate = false;

	NEED_STR(name, "name");
	NEED_STR(type, "type");
	NEED_STR(group, "group");
	if (json_object_object_get_ex(req, "params", &params) && params &&
	    !json_object_is_type(params, json_type_object)) {
		snprintf(err, errlen, "'params' must be an object of strings");
		return -EINVAL;
	}
	(void) jmsg_get_bool(req, "separate_monitor", &separate);
	return engine_res_create(name, type, group, params, separate, err, errlen);
}

static int h_res_delete(client *c, struct json_object *req, struct json_object *reply,
			char *err, size_t errlen)
{
	NEED_RES(r);
	return engine_res_delete(r, err, errlen);
}

static int h_res_set(client *c, struct json_object *req, struct json_object *reply, char *err,
		     size_t errlen)
{
	struct json_object *props = NULL, *params = NULL;

	NEED_RES(r);
	json_object_object_get_ex(req, "properties", &props);
	json_object_object_get_ex(req, "params", &params);
	if ((props && !json_object_is_type(props, json_type_object)) ||
	    (params && !json_object_is_type(params, json_type_object)) || (!props && !params)) {
		snprintf(err, errlen, "'properties' and/or 'params' (objects) are required");
		return -EINVAL;
	}
	return engine_res_set(r, props, params, err, errlen);
}

static int h_res_get(client *c, struct json_object *req, struct json_object *reply, char *err,
		     size_t errlen)
{
	const char *prop = jmsg_get_str(req, "property");
	struct json_object *all, *v;

	NEED_RES(r);
	all = props_with_defaults(PROP_RESOURCE, r->props, r, NULL);
	if (!prop) {
		json_object_object_add(reply, "properties", all);
		json_object_object_add(reply, "params", json_object_get(r->params));
		return 0;
	}
	if (json_object_object_get_ex(all, prop, &v) ||
	    json_object_object_get_ex(r->params, prop, &v)) {
		json_object_object_add(reply, "value", json_object_get(v));
		json_object_put(all);
		return 0;
	}
	json_object_put(all);
	snprintf(err, errlen, "resource '%s' has no property '%s'", r->name, prop);
	return -ENOENT;
}

static int h_res_show(client *c, struct json_object *req, struct json_object *reply,
		      char *err, size_t errlen)
{
	NEED_RES(r);
	json_object_object_add(reply, "resource", res_summary(r));
	return 0;
}

static int h_res_online(client *c, struct json_object *req, struct json_object *reply,
			char *err, size_t errlen)
{
	NEED_RES(r);
	return engine_res_online(r, err, errlen);
}

static int h_res_offline(client *c, struct json_object *req, struct json_object *reply,
			 char *err, size_t errlen)
{
	NEED_RES(r);
	return engine_res_offline(r, err, errlen);
}

static int h_res_fail(client *c, struct json_object *req, struct json_object *reply, char *err,
		      size_t errlen)
{
	NEED_RES(r);
	/* WSFC: "Do not call FailClusterResource from a resource DLL." A plugin runs inside a
	 * Resource Monitor, and every monitor is our child: its pid gives it away. */
	if (c && monitor_pid_is_ours(c->pid)) {
		cl_log(CL_WARNING, r->name,
		       "FailClusterResource refused: called from inside a Resource Monitor (pid %d)",
		       (int) c->pid);
		snprintf(err, errlen, "FailClusterResource must not be called from a resource plugin "
				      "(the caller runs inside a Resource Monitor)");
		return -EPERM;
	}
	return engine_res_fail(r, err, errlen);
}

static int h_res_depend(client *c, struct json_object *req, struct json_object *reply,
			char *err, size_t errlen)
{
	NEED_RES(r);
	NEED_STR(expr, "expression");
	return engine_res_set_deps(r, expr, false, err, errlen);
}

static int h_res_add_dependency(client *c, struct json_object *req, struct json_object *reply,
				char *err, size_t errlen)
{
	NEED_RES(r);
	NEED_STR(dep, "depends_on");
	return engine_res_set_deps(r, dep, true, err, errlen);
}

static void log_row(int64_t seq, int64_t time_us, int level, const char *object,
		    const char *message, void *userdata)
{
	struct json_object *e = json_object_new_object();
	char t[40];

	format_time(time_us, t, sizeof(t));
	json_object_object_add(e, "seq", json_object_new_int64(seq));
	json_object_object_add(e, "time", json_object_new_string(t));
	json_object_object_add(e, "level", json_object_new_int(level));
	json_object_object_add(e, "object", json_object_new_string(object));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_array_add(userdata, e);
}

static int h_log_get(client *c, struct json_object *req, struct json_object *reply, char *err,
		     size_t errlen)
{
	struct json_object *a = json_object_new_array();
	uint32_t limit = 100;
	int r;

	(void) jmsg_get_u32(req, "limit", &limit);
	cl_log_flush();
	r = db_log_read(cl.db, jmsg_get_str(req, "resource"), limit, log_row, a);
	json_object_object_add(reply, "entries", a);
	return r;
}

static const struct {
	const char *name;
	uint32_t bit;
} filters[] = {
	{ "resource-state", CHANGE_RESOURCE_STATE },
	{ "resource-deleted", CHANGE_RESOURCE_DELETED },
	{ "resource-added", CHANGE_RESOURCE_ADDED },
	{ "resource-property", CHANGE_RESOURCE_PROPERTY },
	{ "group-state", CHANGE_GROUP_STATE },
	{ "group-deleted", CHANGE_GROUP_DELETED },
	{ "group-added", CHANGE_GROUP_ADDED },
	{ "group-property", CHANGE_GROUP_PROPERTY },
	{ "log", CHANGE_LOG },
};

static int h_subscribe(client *c, struct json_object *req, struct json_object *reply, char *err,
		       size_t errlen)
{
	struct json_object *f;
	uint32_t mask = 0;

	if (json_object_object_get_ex(req, "filter", &f) && f) {
		if (!json_object_is_type(f, json_type_array)) {
			snprintf(err, errlen, "'filter' must be an array of names");
			return -EINVAL;
		}
		for (size_t i = 0; i < json_object_array_length(f); i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(f, i));
			size_t j;

			for (j = 0; j < sizeof(filters) / sizeof(filters[0]); j++)
				if (name && strcmp(name, filters[j].name) == 0)
					break;
			if (j == sizeof(filters) / sizeof(filters[0])) {
				snprintf(err, errlen, "unknown filter '%s'", name ? name : "");
				return -EINVAL;
			}
			mask |= filters[j].bit;
		}
	} else {
		mask = 0xFFFFFFFFu;
	}
	c->filter = mask | CHANGE_CLUSTER_RECONNECT;
	c->subscribed = true;
	c->event_bytes = 0;
	return 0;
}

static int h_node_list(client *c, struct json_object *req, struct json_object *reply, char *err,
		       size_t errlen)
{
	json_object_object_add(reply, "node", json_object_new_string(cl.node));
	json_object_object_add(reply, "quorate", json_object_new_boolean(cluster_quorate()));
	json_object_object_add(reply, "nodes", cluster_nodes_json());
	return 0;
}

static int h_node_pause(client *c, struct json_object *req, struct json_object *reply, char *err,
			size_t errlen)
{
	bool drain = false;

	NEED_STR(name, "name");
	(void) jmsg_get_bool(req, "drain", &drain);
	if (!cl_multi) {
		snprintf(err, errlen, "a one-node cluster cannot pause its only node");
		return -EINVAL;
	}
	return cluster_node_pause(name, drain, err, errlen);
}

static int h_node_resume(client *c, struct json_object *req, struct json_object *reply, char *err,
			 size_t errlen)
{
	NEED_STR(name, "name");
	if (!cl_multi) {
		snprintf(err, errlen, "a one-node cluster has no paused node");
		return -EINVAL;
	}
	return cluster_node_resume(name, err, errlen);
}

static int h_cluster_set(client *c, struct json_object *req, struct json_object *reply,
			 char *err, size_t errlen)
{
	struct json_object *props;

	if (!json_object_object_get_ex(req, "properties", &props) ||
	    !json_object_is_type(props, json_type_object)) {
		snprintf(err, errlen, "'properties' (an object) is required");
		return -EINVAL;
	}
	return cluster_set(props, err, errlen);
}

static const struct {
	const char *op;
	handler_fn fn;
	bool writes;
	bool config; /* changes the replicated configuration (a new version on every node) */
} ops[] = {
	{ "cluster.status", h_status, false, false },
	{ "type.list", h_type_list, false, false },
	{ "type.create", h_type_create, true, true },
	{ "group.create", h_group_create, true, true },
	{ "group.delete", h_group_delete, true, true },
	{ "group.online", h_group_online, true, true },
	{ "group.offline", h_group_offline, true, true },
	{ "group.show", h_group_show, false, false },
	{ "group.set", h_group_set, true, true },
	{ "group.move", h_group_move, true, true },
	{ "resource.create", h_res_create, true, true },
	{ "resource.delete", h_res_delete, true, true },
	{ "resource.set", h_res_set, true, true },
	{ "resource.get", h_res_get, false, false },
	{ "resource.show", h_res_show, false, false },
	{ "resource.online", h_res_online, true, true },
	{ "resource.offline", h_res_offline, true, true },
	{ "resource.fail", h_res_fail, true, false },
	{ "resource.depend", h_res_depend, true, true },
	{ "resource.add_dependency", h_res_add_dependency, true, true },
	{ "log.get", h_log_get, false, false },
	{ "node.list", h_node_list, false, false },
	{ "node.pause", h_node_pause, true, true },
	{ "node.resume", h_node_resume, true, true },
	{ "cluster.set", h_cluster_set, true, true },
	{ "subscribe", h_subscribe, false, false },
};

static void reply_error(client *c, int64_t id, int code, const char *msg)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "id", json_object_new_int64(id));
	json_object_object_add(r, "ok", json_object_new_boolean(false));
	json_object_object_add(r, "error", json_object_new_string(msg));
	json_object_object_add(r, "code", json_object_new_int(code));
	send_obj(c, r);
	json_object_put(r);
}

static int find_op(const char *op)
{
	for (size_t i = 0; op && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].op, op) == 0)
			return (int) i;
	return -1;
}

bool api_op_changes_config(const char *op)
{
	int i = find_op(op);

	return i >= 0 && ops[i].config;
}

int api_apply(struct json_object *req, struct json_object *reply, char *err, size_t errlen)
{
	int64_t id = 0;
	int i = find_op(jmsg_get_str(req, "op"));

	if (i < 0 || !ops[i].writes) {
		snprintf(err, errlen, "unknown op");
		return -EPROTO;
	}
	(void) jmsg_get_i64(req, "id", &id);
	json_object_object_add(reply, "id", json_object_new_int64(id));
	json_object_object_add(reply, "ok", json_object_new_boolean(true));
	return ops[i].fn(NULL, req, reply, err, errlen);
}

static client *client_by_id(uint64_t cid)
{
	for (client *c = clients; c; c = c->next)
		if (c->cid == cid && !c->closing)
			return c;
	return NULL;
}

void api_reply(uint64_t client_id, struct json_object *reply)
{
	client *c = client_by_id(client_id);

	if (c) {
		send_obj(c, reply);
		(void) flush_out(c);
	}
	json_object_put(reply);
}

void api_reply_error(uint64_t client_id, int64_t req_id, int code, const char *msg)
{
	client *c = client_by_id(client_id);

	if (c) {
		reply_error(c, req_id, code, msg);
		(void) flush_out(c);
	}
}

static void handle_line(client *c, const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req = json_tokener_parse_ex(tok, line, (int) len), *reply;
	bool complete = json_tokener_get_error(tok) == json_tokener_success &&
			(size_t) json_tokener_get_parse_end(tok) == len;
	char err[512] = "";
	int64_t id = 0;
	const char *op;
	size_t i;
	int r;

	json_tokener_free(tok);
	if (!req || !complete || !json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		reply_error(c, 0, -EPROTO, "malformed request: not one JSON object");
		return;
	}
	if (!jmsg_get_i64(req, "id", &id) || id <= 0) {
		json_object_put(req);
		reply_error(c, 0, -EPROTO, "'id' (a positive integer) is required");
		return;
	}
	op = jmsg_get_str(req, "op");
	for (i = 0; op && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].op, op) == 0)
			break;
	if (!op || i == sizeof(ops) / sizeof(ops[0])) {
		json_object_put(req);
		reply_error(c, id, -EPROTO, op ? "unknown op" : "'op' is required");
		return;
	}
	if (ops[i].writes && !c->can_write) {
		json_object_put(req);
		reply_error(c, id, -EACCES,
			    "permission denied: changes need root or membership in group '" ACCESS_GROUP "'");
		return;
	}
	if (cl_multi && ops[i].writes) {
		/* Applied by every node in the cluster's order; answered when applied here. */
		if (strcmp(op, "resource.fail") == 0 && monitor_pid_is_ours(c->pid)) {
			r = h_res_fail(c, req, NULL, err, sizeof(err));
			reply_error(c, id, r < 0 ? r : -EPERM, err);
		} else if ((r = cluster_submit(c->cid, id, req, err, sizeof(err))) < 0) {
			reply_error(c, id, r, err);
		}
		cl_log_flush();
		json_object_put(req);
		return;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "id", json_object_new_int64(id));
	json_object_object_add(reply, "ok", json_object_new_boolean(true));
	r = ops[i].fn(c, req, reply, err, sizeof(err));
	/* Log lines of this request are committed before the reply, with it. */
	cl_log_flush();
	if (r == REPLIED) {
		json_object_put(reply);
	} else if (r < 0) {
		json_object_put(reply);
		reply_error(c, id, r, err[0] ? err : strerror(-r));
	} else {
		send_obj(c, reply);
		json_object_put(reply);
	}
	json_object_put(req);
}

static int on_client(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	client *c = userdata;

	if (revents & EPOLLOUT && flush_out(c) < 0)
		return 0;
	if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return 0;
	for (;;) {
		ssize_t n;

		if (c->in_cap - c->in_len < 4096) {
			c->in_cap = c->in_cap ? c->in_cap * 2 : 8192;
			c->in = realloc(c->in, c->in_cap);
			if (!c->in)
				abort();
		}
		n = recv(fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* EOF: answer nothing more; drop the connection. */
			client_free(c);
			return 0;
		}
		c->in_len += (size_t) n;

		/* Handle every complete line. */
		char *start = c->in, *nl;
		while ((nl = memchr(start, '\n', c->in_len - (size_t) (start - c->in)))) {
			size_t len = (size_t) (nl - start);

			if (c->skipping)
				c->skipping = false;
			else if (len > LINE_MAX_BYTES)
				reply_error(c, 0, -EPROTO, "request too long (over 65536 bytes)");
			else if (len > 0)
				handle_line(c, start, len);
			start = nl + 1;
		}
		size_t rest = c->in_len - (size_t) (start - c->in);
		memmove(c->in, start, rest);
		c->in_len = rest;
		if (c->in_len > LINE_MAX_BYTES) {
			/* An oversized line without its end yet: answer once, skip the rest. */
			if (!c->skipping)
				reply_error(c, 0, -EPROTO, "request too long (over 65536 bytes)");
			c->skipping = true;
			c->in_len = 0;
		}
	}
	(void) flush_out(c);
	return 0;
}

static bool in_access_group(uid_t uid, gid_t gid)
{
	struct group *g = getgrnam(ACCESS_GROUP);
	struct passwd *pw;
	gid_t groups[256];
	int n = 256;

	if (!g)
		return false;
	if (gid == g->gr_gid)
		return true;
	pw = getpwuid(uid);
	if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == g->gr_gid)
			return true;
	return false;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct ucred cred;
		socklen_t len = sizeof(cred);
		client *c;

		if (cfd < 0)
			return 0;
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			close(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		c->fd = cfd;
		c->cid = next_cid++;
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->can_write = cred.uid == 0 || in_access_group(cred.uid, cred.gid);
		if (sd_event_add_io(cl.event, &c->io, cfd, EPOLLIN, on_client, c) < 0) {
			close(cfd);
			free(c);
			continue;
		}
		c->next = clients;
		clients = c;
	}
}

int api_start(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listen_fd < 0)
		return -errno;
	(void) unlink(path);
	if (bind(listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(listen_fd, 128) < 0)
		return -errno;
	/* Anyone local may connect and read; changes are checked per request. */
	(void) chmod(path, 0666);
	r = sd_event_add_io(cl.event, &listen_source, listen_fd, EPOLLIN, on_accept, NULL);
	if (r < 0)
		return r;
	socket_path = strdup(path);
	return 0;
}

void api_stop(void)
{
	while (clients)
		client_free(clients);
	listen_source = sd_event_source_disable_unref(listen_source);
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
	if (socket_path)
		(void) unlink(socket_path);
	free(socket_path);
	socket_path = NULL;
}
