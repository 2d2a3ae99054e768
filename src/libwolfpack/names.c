/* SPDX-License-Identifier: MIT */
/* WSFC's state names (CLUSTER_RESOURCE_STATE, CLUSTER_GROUP_STATE) as the daemon spells them. */
#include <string.h>

#include "internal.h"
#include "jmsg.h"
#include "macro.h"

static const struct {
	int state;
	const char *name;
} resource_states[] = {
	{ WP_RESOURCE_INHERITED, "Inherited" },
	{ WP_RESOURCE_INITIALIZING, "Initializing" },
	{ WP_RESOURCE_ONLINE, "Online" },
	{ WP_RESOURCE_OFFLINE, "Offline" },
	{ WP_RESOURCE_FAILED, "Failed" },
	{ WP_RESOURCE_CANNOT_COME_ONLINE_ON_ANY_NODE, "CannotComeOnlineOnAnyNode" },
	{ WP_RESOURCE_CANNOT_COME_ONLINE_ON_THIS_NODE, "CannotComeOnlineOnThisNode" },
	{ WP_RESOURCE_PENDING, "Pending" },
	{ WP_RESOURCE_ONLINE_PENDING, "OnlinePending" },
	{ WP_RESOURCE_OFFLINE_PENDING, "OfflinePending" },
}, group_states[] = {
	{ WP_GROUP_ONLINE, "Online" },
	{ WP_GROUP_OFFLINE, "Offline" },
	{ WP_GROUP_FAILED, "Failed" },
	{ WP_GROUP_PARTIAL_ONLINE, "PartialOnline" },
	{ WP_GROUP_PENDING, "Pending" },
};

const char *wp_resource_state_to_string(int state)
{
	for (size_t i = 0; i < ELEMENTSOF(resource_states); i++)
		if (resource_states[i].state == state)
			return resource_states[i].name;
	return "Unknown";
}

int wp_resource_state_from_string(const char *s)
{
	for (size_t i = 0; s && i < ELEMENTSOF(resource_states); i++)
		if (strcmp(resource_states[i].name, s) == 0)
			return resource_states[i].state;
	return WP_RESOURCE_STATE_UNKNOWN;
}

const char *wp_group_state_to_string(int state)
{
	for (size_t i = 0; i < ELEMENTSOF(group_states); i++)
		if (group_states[i].state == state)
			return group_states[i].name;
	return "Unknown";
}

int wp_group_state_from_string(const char *s)
{
	for (size_t i = 0; s && i < ELEMENTSOF(group_states); i++)
		if (strcmp(group_states[i].name, s) == 0)
			return group_states[i].state;
	return WP_GROUP_STATE_UNKNOWN;
}

int wp__state_code(struct json_object *o, int (*from_string)(const char *))
{
	int64_t code;

	if (jmsg_get_i64(o, "state_code", &code) && code >= -1 && code <= 1024)
		return (int) code;
	return from_string(jmsg_get_str(o, "state"));
}
