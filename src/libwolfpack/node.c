/* SPDX-License-Identifier: MIT */
/* Typed node calls: one request each (docs/api-protocol.md, "Ops"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jmsg.h"
#include "macro.h"

int wp_node_pause(wp_cluster *c, const char *name, bool drain)
{
	struct json_object *req, *v;
	int r = 0;

	if (!c || !name)
		return -EINVAL;
	req = wp__request("node.pause", name);
	if (!req)
		return -ENOMEM;
	v = json_object_new_boolean(drain);
	if (!v || json_object_object_add(req, "drain", v) < 0) {
		json_object_put(v);
		r = -ENOMEM;
	}
	if (r >= 0)
		r = wp__call(c, req, NULL, NULL);
	json_object_put(req);
	return r;
}

int wp_node_resume(wp_cluster *c, const char *name)
{
	return wp__simple(c, "node.resume", name);
}

/* The "nodes" array of a node.list reply, or NULL. */
static struct json_object *nodes_of(struct json_object *reply)
{
	struct json_object *a;

	if (json_object_object_get_ex(reply, "nodes", &a) && json_object_is_type(a, json_type_array))
		return a;
	return NULL;
}

static struct json_object *node_list_reply(wp_cluster *c, int *ret_r)
{
	struct json_object *req, *reply = NULL;

	req = wp__request("node.list", NULL);
	if (!req) {
		*ret_r = -ENOMEM;
		return NULL;
	}
	*ret_r = wp__call(c, req, &reply, NULL);
	json_object_put(req);
	if (*ret_r < 0)
		return NULL;
	if (!nodes_of(reply)) {
		json_object_put(reply);
		*ret_r = -EBADMSG;
		return NULL;
	}
	return reply;
}

int wp_node_list(wp_cluster *c, wp_node_info **ret_nodes, size_t *ret_count)
{
	struct json_object *reply, *a;
	wp_node_info *nodes;
	size_t n, size;
	char *p;
	int r;

	if (!c || !ret_nodes || !ret_count)
		return -EINVAL;
	reply = node_list_reply(c, &r);
	if (!reply)
		return r;
	a = nodes_of(reply);
	n = json_object_array_length(a);
	/* One block: the array, then the names it points to. */
	size = n * sizeof(*nodes) + 1;
	for (size_t i = 0; i < n; i++) {
		const char *name = jmsg_get_str(json_object_array_get_idx(a, i), "name");

		if (!name) {
			json_object_put(reply);
			return -EBADMSG;
		}
		size += strlen(name) + 1;
	}
	nodes = malloc(size);
	if (!nodes) {
		json_object_put(reply);
		return -ENOMEM;
	}
	p = (char *) (nodes + n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		const char *name = jmsg_get_str(o, "name");
		size_t len = strlen(name) + 1;
		int64_t groups = -1;
		uint32_t id = 0;
		bool local = false;

		(void) jmsg_get_u32(o, "id", &id);
		(void) jmsg_get_bool(o, "local", &local);
		if (!jmsg_get_i64(o, "groups", &groups) || groups < 0 || groups > INT32_MAX)
			groups = -1;
		memcpy(p, name, len);
		nodes[i] = (wp_node_info) {
			.name = p,
			.id = id,
			.state = wp_node_state_from_string(jmsg_get_str(o, "state")),
			.groups = (int) groups,
			.local = local,
		};
		p += len;
	}
	json_object_put(reply);
	*ret_nodes = nodes;
	*ret_count = n;
	return 0;
}

int wp_node_get_state(wp_cluster *c, const char *name, int *ret_state)
{
	struct json_object *reply, *a;
	int r;

	if (!c || !name)
		return -EINVAL;
	reply = node_list_reply(c, &r);
	if (!reply)
		return r;
	a = nodes_of(reply);
	r = -ENOENT;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		const char *n = jmsg_get_str(o, "name");

		if (n && strcmp(n, name) == 0) {
			if (ret_state)
				*ret_state = wp_node_state_from_string(jmsg_get_str(o, "state"));
			r = 0;
			break;
		}
	}
	json_object_put(reply);
	if (r == -ENOENT)
		wp__set_error(c, "no node named '%s' in this cluster", name);
	return r;
}
