/* SPDX-License-Identifier: MIT */
#include "state-name.h"

#include <string.h>

#include "macro.h"
#include "wolfpack/resapi.h"

typedef struct state_name_entry {
	int state;
	const char *name;
} state_name_entry;

static const state_name_entry resource_states[] = {
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
};

/* CLUSTER_GROUP_STATE: Online 0, Offline 1, Failed 2, PartialOnline 3, Pending 4. */
static const state_name_entry group_states[] = {
	{ 0, "Online" }, { 1, "Offline" }, { 2, "Failed" }, { 3, "PartialOnline" }, { 4, "Pending" },
};

static const char *name_of(const state_name_entry *t, size_t n, int state)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].state == state)
			return t[i].name;
	return "Unknown";
}

static int state_of(const state_name_entry *t, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].state;
	return -1;
}

const char *resource_state_name(int state)
{
	return name_of(resource_states, ELEMENTSOF(resource_states), state);
}

int resource_state_from_name(const char *name)
{
	return state_of(resource_states, ELEMENTSOF(resource_states), name);
}

const char *group_state_name(int state)
{
	return name_of(group_states, ELEMENTSOF(group_states), state);
}

int group_state_from_name(const char *name)
{
	return state_of(group_states, ELEMENTSOF(group_states), name);
}
