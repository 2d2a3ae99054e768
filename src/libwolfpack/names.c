/* SPDX-License-Identifier: MIT */
/* WSFC's state names (CLUSTER_RESOURCE_STATE, CLUSTER_GROUP_STATE) as the daemon spells them. */
#include <string.h>

#include "internal.h"
#include "jmsg.h"
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

int wp__state_code(struct json_object *o, int (*from_string)(const char *))
{
	int64_t code;

	if (jmsg_get_i64(o, "state_code", &code) && code >= -1 && code <= 1024)
		return (int) code;
	return from_string(jmsg_get_str(o, "state"));
}
