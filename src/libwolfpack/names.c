/* SPDX-License-Identifier: MIT */
/* WSFC's state names (CLUSTER_RESOURCE_STATE, CLUSTER_GROUP_STATE, CLUSTER_NODE_STATE) as the
 * daemon spells them. */
#include <string.h>

#include "internal.h"
#include "jmsg.h"
#include "macro.h"
#include "state-name.h"

const char *wp_resource_state_to_string(int state)
{
	return resource_state_name(state);
}

int wp_resource_state_from_string(const char *s)
{
	return resource_state_from_name(s); /* -1 = WP_RESOURCE_STATE_UNKNOWN */
}

const char *wp_group_state_to_string(int state)
{
	return group_state_name(state);
}

int wp_group_state_from_string(const char *s)
{
	return group_state_from_name(s); /* -1 = WP_GROUP_STATE_UNKNOWN */
}

/* CLUSTER_NODE_STATE: the node.list "state" names, by value. */
static const char *const node_states[] = { "Up", "Down", "Paused", "Joining" };

const char *wp_node_state_to_string(int state)
{
	if (state < 0 || (size_t) state >= ELEMENTSOF(node_states))
		return "Unknown";
	return node_states[state];
}

int wp_node_state_from_string(const char *s)
{
	for (size_t i = 0; s && i < ELEMENTSOF(node_states); i++)
		if (strcmp(s, node_states[i]) == 0)
			return (int) i;
	return -1; /* WP_NODE_STATE_UNKNOWN */
}

int wp__state_code(struct json_object *o, int (*from_string)(const char *))
{
	int64_t code;

	if (jmsg_get_i64(o, "state_code", &code) && code >= -1 && code <= 1024)
		return (int) code;
	return from_string(jmsg_get_str(o, "state"));
}
