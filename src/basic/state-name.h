/* SPDX-License-Identifier: MIT */
#pragma once

/* WSFC's names of CLUSTER_RESOURCE_STATE and CLUSTER_GROUP_STATE values ("Online",
 * "OnlinePending", "PartialOnline", ...), the one table the monitor, the cluster service and
 * the client library share. Unknown values name as "Unknown"; unknown names give -1. */

const char *resource_state_name(int state);
int resource_state_from_name(const char *name);
const char *group_state_name(int state);
int group_state_from_name(const char *name);
