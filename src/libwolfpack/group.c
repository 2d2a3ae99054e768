/* SPDX-License-Identifier: MIT */
/* Typed group calls: one request each (docs/api-protocol.md, "Ops"). */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"
#include "macro.h"

int wp_group_create(wp_cluster *c, const char *name)
{
	return wp__simple(c, "group.create", name);
}

int wp_group_delete(wp_cluster *c, const char *name)
{
	return wp__simple(c, "group.delete", name);
}

int wp_group_online(wp_cluster *c, const char *name)
{
	return wp__simple(c, "group.online", name);
}

int wp_group_offline(wp_cluster *c, const char *name)
{
	return wp__simple(c, "group.offline", name);
}

int wp_group_move(wp_cluster *c, const char *name, const char *node)
{
	struct json_object *req;
	int r = 0;

	if (!c || !name)
		return -EINVAL;
	req = wp__request("group.move", name);
	if (!req)
		return -ENOMEM;
	if (node)
		r = wp__add_str(req, "node", node);
	if (r >= 0)
		r = wp__call(c, req, NULL, NULL);
	json_object_put(req);
	return r;
}

int wp_group_get_state(wp_cluster *c, const char *name, int *ret_state, char **ret_owner_node)
{
	_cleanup_free_ char *owner = NULL;
	struct json_object *req, *reply = NULL, *g;
	int r;

	if (!c || !name)
		return -EINVAL;
	req = wp__request("group.show", name);
	if (!req)
		return -ENOMEM;
	r = wp__call(c, req, &reply, NULL);
	json_object_put(req);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(reply, "group", &g) ||
	    !json_object_is_type(g, json_type_object)) {
		json_object_put(reply);
		return -EBADMSG;
	}
	if (ret_owner_node && wp__dup_member(g, "owner_node", &owner) < 0) {
		json_object_put(reply);
		return -ENOMEM;
	}
	if (ret_state)
		*ret_state = wp__state_code(g, wp_group_state_from_string);
	if (ret_owner_node)
		*ret_owner_node = TAKE_PTR(owner);
	json_object_put(reply);
	return 0;
}
