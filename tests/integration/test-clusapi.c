/* SPDX-License-Identifier: MIT */
/*
 * libwolfpack through the WSFC names of <wolfpack/compat/clusapi.h>, against a real wolfpackd:
 * written the way a Windows clusapi client is (open the cluster, groups and resources by
 * handle, a notification port to wait on, error codes from GetLastError), so that it ports
 * mechanically. The daemon is started by tests/lib/wpd, which is also used to look behind the
 * API (resource.show) where clusapi has no call for it. A couple of native calls at the end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <wolfpack/compat/clusapi.h>

#include "resmon-client.h"
#include "wpd.h"

#define CHECK(x) WPD_CHECK(d, x)
/* A DWORD result and its expected value, both printed on failure. */
#define CHECK_CODE(got, want)                                                              \
	do {                                                                               \
		DWORD got_ = (got), want_ = (want);                                        \
		if (got_ != want_) {                                                       \
			wpd_dump(d);                                                       \
			fail_msg("%s:%d: %s = %u, wanted %s = %u", __FILE__, __LINE__, #got, \
				 (unsigned) got_, #want, (unsigned) want_);                \
		}                                                                          \
	} while (0)

#define KEY_RESOURCES ((DWORD_PTR) 0x5151)
#define KEY_GROUPS    ((DWORD_PTR) 0x6262)

static wpd *d;

static int setup(void **state)
{
	(void) state;
	d = calloc(1, sizeof(*d));
	if (!d || wpd_start(d, NULL) < 0)
		return -1;
	/* OpenCluster(NULL) is the local cluster: the socket in $WOLFPACK_SOCKET. */
	setenv("WOLFPACK_SOCKET", d->socket, 1);
	return 0;
}

static int teardown(void **state)
{
	(void) state;
	wpd_cleanup(d);
	free(d);
	return 0;
}

static int64_t show_int(const char *res, const char *key)
{
	struct json_object *o = wpd_show(d, res), *v;
	int64_t n = INT64_MIN;

	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int))
		n = json_object_get_int64(v);
	json_object_put(o);
	return n;
}

/* show's string field (malloc()ed, or NULL); last_failure.source with key "failure_source". */
static char *show_str(const char *res, const char *key)
{
	struct json_object *o = wpd_show(d, res), *v;
	char *s = NULL;

	if (o && strcmp(key, "failure_source") == 0) {
		if (json_object_object_get_ex(o, "last_failure", &v) && v)
			s = ev_str(v, "source") ? strdup(ev_str(v, "source")) : NULL;
	} else if (o && ev_str(o, key)) {
		s = strdup(ev_str(o, key));
	}
	json_object_put(o);
	return s;
}

/*
 * Drains the port: reads notifications until one wait of quiet_ms brings none. Returns how
 * many CLUSTER_CHANGE_RESOURCE_STATE notifications for resource name came (with key).
 */
static int drain(HCHANGE port, const char *name, int quiet_ms)
{
	WCHAR buf[256];
	int n = 0;

	for (int i = 0; i < 1000; i++) {
		DWORD_PTR key = 0;
		DWORD type = 0, cch = sizeof(buf);
		DWORD status = GetClusterNotify(port, &key, &type, buf, &cch, (DWORD) quiet_ms);

		if (status == WAIT_TIMEOUT)
			return n;
		CHECK_CODE(status, ERROR_SUCCESS);
		if (type == CLUSTER_CHANGE_RESOURCE_STATE && strcmp(buf, name) == 0) {
			CHECK(key == KEY_RESOURCES);
			n++;
		}
	}
	fail_msg("the notification port never went quiet");
	return n;
}

/*
 * Waits, as a WSFC client does, for hResource to reach want: reads the state, and while it is
 * not there waits on the port for the next notification. *seen (if given) counts the
 * CLUSTER_CHANGE_RESOURCE_STATE notifications for the resource that arrived meanwhile.
 */
static bool wait_resource_state(HCHANGE port, HRESOURCE hResource, const char *name,
				CLUSTER_RESOURCE_STATE want, int timeout_ms, int *seen)
{
	uint64_t deadline = rmc_now_us() + (uint64_t) timeout_ms * 1000;

	for (;;) {
		CLUSTER_RESOURCE_STATE s = GetClusterResourceState(hResource, NULL, NULL, NULL, NULL);
		if (s == want)
			return true;
		uint64_t now = rmc_now_us();
		if (now >= deadline) {
			fprintf(stderr, "  %s: state %d, wanted %d\n", name, (int) s, (int) want);
			return false;
		}
		WCHAR buf[256];
		DWORD_PTR key = 0;
		DWORD type = 0, cch = sizeof(buf);
		DWORD status = GetClusterNotify(port, &key, &type, buf, &cch,
						(DWORD) ((deadline - now) / 1000 + 1));
		if (status == ERROR_SUCCESS && type == CLUSTER_CHANGE_RESOURCE_STATE &&
		    strcmp(buf, name) == 0) {
			CHECK(key == KEY_RESOURCES);
			if (seen)
				(*seen)++;
		} else if (status != ERROR_SUCCESS && status != WAIT_TIMEOUT) {
			fprintf(stderr, "  GetClusterNotify: %u\n", (unsigned) status);
			return false;
		}
	}
}

static void test_open_cluster(void **state)
{
	(void) state;
	HCLUSTER hCluster;
	char host[256] = "";

	/* Local cluster, by every local spelling and by the socket path. */
	hCluster = OpenCluster(NULL);
	CHECK(hCluster != NULL);
	CloseCluster(hCluster);
	hCluster = OpenCluster(".");
	CHECK(hCluster != NULL);
	CloseCluster(hCluster);
	hCluster = OpenCluster(d->socket);
	CHECK(hCluster != NULL);
	CloseCluster(hCluster);
	CHECK(gethostname(host, sizeof(host) - 1) == 0);
	hCluster = OpenCluster(host);
	CHECK(hCluster != NULL);
	CloseCluster(hCluster);

	/* No daemon there; no such cluster. */
	SetLastError(ERROR_SUCCESS);
	CHECK(OpenCluster("/nonexistent/wolfpack.sock") == NULL);
	CHECK_CODE(GetLastError(), RPC_S_SERVER_UNAVAILABLE);
	SetLastError(ERROR_SUCCESS);
	CHECK(OpenCluster("no-such-cluster-wp-test") == NULL);
	CHECK_CODE(GetLastError(), RPC_S_SERVER_UNAVAILABLE);
}

static void test_groups_and_resources(void **state)
{
	(void) state;
	HCLUSTER hCluster = OpenCluster(NULL);
	HGROUP hGroup, hGroup2, hMissing;
	HRESOURCE hResource, hDup;
	WCHAR node[256], group[256];
	DWORD cchNode = sizeof(node), cchGroup = sizeof(group);

	CHECK(hCluster != NULL);
	hGroup = CreateClusterGroup(hCluster, "cg");
	CHECK(hGroup != NULL);
	/* CreateClusterGroup of an existing group opens it. */
	hGroup2 = CreateClusterGroup(hCluster, "cg");
	CHECK(hGroup2 != NULL);
	CloseClusterGroup(hGroup2);
	hGroup2 = OpenClusterGroup(hCluster, "cg");
	CHECK(hGroup2 != NULL);
	CHECK(GetClusterGroupState(hGroup2, NULL, NULL) == ClusterGroupOffline);
	CloseClusterGroup(hGroup2);
	SetLastError(ERROR_SUCCESS);
	hMissing = OpenClusterGroup(hCluster, "no-such-group");
	CHECK(hMissing == NULL);
	CHECK_CODE(GetLastError(), ERROR_GROUP_NOT_FOUND);

	hResource = CreateClusterResource(hGroup, "cr", "dummy", 0);
	CHECK(hResource != NULL);
	SetLastError(ERROR_SUCCESS);
	hDup = CreateClusterResource(hGroup, "cr", "dummy", 0);
	CHECK(hDup == NULL);
	CHECK_CODE(GetLastError(), ERROR_OBJECT_ALREADY_EXISTS);
	SetLastError(ERROR_SUCCESS);
	CHECK(CreateClusterResource(hGroup, "cr-bad-type", "no-such-type", 0) == NULL);
	CHECK_CODE(GetLastError(), ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND);
	SetLastError(ERROR_SUCCESS);
	CHECK(CreateClusterResource(hGroup, "cr-bad-flags", "dummy", 0x100) == NULL);
	CHECK_CODE(GetLastError(), ERROR_INVALID_PARAMETER);
	SetLastError(ERROR_SUCCESS);
	CHECK(OpenClusterResource(hCluster, "no-such-resource") == NULL);
	CHECK_CODE(GetLastError(), ERROR_RESOURCE_NOT_FOUND);

	/* State, owner node and group of a new resource. */
	/* Initializing right after creation (docs/concepts.md), then Offline. */
	CLUSTER_RESOURCE_STATE st0 = GetClusterResourceState(hResource, node, &cchNode, group, &cchGroup);
	CHECK(st0 == ClusterResourceOffline || st0 == ClusterResourceInitializing);
	CHECK_CODE(GetLastError(), ERROR_SUCCESS);
	CHECK(strcmp(group, "cg") == 0);
	CHECK(cchGroup == 2);
	CHECK(cchNode == strlen(node) && cchNode > 0);

	/* Deleting a group with resources: ERROR_DIR_NOT_EMPTY. */
	CHECK_CODE(DeleteClusterGroup(hGroup), ERROR_DIR_NOT_EMPTY);
	CHECK_CODE(GetLastError(), ERROR_DIR_NOT_EMPTY);

	CHECK_CODE(DeleteClusterResource(hResource), ERROR_SUCCESS);
	SetLastError(ERROR_SUCCESS);
	CHECK(GetClusterResourceState(hResource, NULL, NULL, NULL, NULL) ==
	      ClusterResourceStateUnknown);
	CHECK_CODE(GetLastError(), ERROR_RESOURCE_NOT_FOUND);
	CloseClusterResource(hResource);
	CHECK_CODE(DeleteClusterGroup(hGroup), ERROR_SUCCESS);
	SetLastError(ERROR_SUCCESS);
	CHECK(OpenClusterGroup(hCluster, "cg") == NULL);
	CHECK_CODE(GetLastError(), ERROR_GROUP_NOT_FOUND);
	CloseClusterGroup(hGroup);
	CHECK(CloseCluster(hCluster));
}

static void test_online_fail_offline(void **state)
{
	(void) state;
	HCLUSTER hCluster = OpenCluster(d->socket);
	HGROUP hGroup;
	HRESOURCE hResource;
	HCHANGE hChange;
	WCHAR node[256], group[256], name[256];
	DWORD cchNode, cchGroup, cchName, status, type;
	DWORD_PTR key;
	int seen = 0;
	char host[256] = "";

	CHECK(hCluster != NULL);
	hGroup = CreateClusterGroup(hCluster, "web");
	CHECK(hGroup != NULL);
	hResource = CreateClusterResource(hGroup, "webres", "dummy", 0);
	CHECK(hResource != NULL);

	/* The port first, then the change: nothing is missed. */
	hChange = CreateClusterNotifyPort((HCHANGE) INVALID_HANDLE_VALUE, hCluster,
					  CLUSTER_CHANGE_RESOURCE_STATE |
						  CLUSTER_CHANGE_RESOURCE_DELETED,
					  KEY_RESOURCES);
	CHECK(hChange != NULL);
	/* A second registration on the same port, with a key of its own. */
	CHECK(CreateClusterNotifyPort(hChange, hCluster, CLUSTER_CHANGE_GROUP_STATE, KEY_GROUPS) ==
	      hChange);

	/* A new resource is Initializing until its monitor opened it: wait for Offline. */
	CHECK(wait_resource_state(hChange, hResource, "webres", ClusterResourceOffline, 10000, NULL));
	drain(hChange, "webres", 200);

	/* Nothing happens: WAIT_TIMEOUT, after about the time asked. */
	uint64_t t0 = rmc_now_us();
	CHECK_CODE(GetClusterNotify(hChange, &key, &type, name, &(DWORD){ sizeof(name) }, 200),
		   WAIT_TIMEOUT);
	CHECK(rmc_now_us() - t0 >= 150000);
	CHECK_CODE(GetLastError(), WAIT_TIMEOUT);

	status = OnlineClusterResource(hResource);
	CHECK(status == ERROR_SUCCESS || status == ERROR_IO_PENDING);
	CHECK_CODE(GetLastError(), status);

	/* The first notification is about our resource. A name buffer too small keeps it queued
	 * and says how long the name is. */
	cchName = 3;
	status = GetClusterNotify(hChange, &key, &type, name, &cchName, 5000);
	CHECK_CODE(status, ERROR_MORE_DATA);
	CHECK(cchName == strlen("webres"));
	cchName = sizeof(name);
	status = GetClusterNotify(hChange, &key, &type, name, &cchName, 5000);
	CHECK_CODE(status, ERROR_SUCCESS);
	CHECK(strcmp(name, "webres") == 0);
	CHECK(cchName == strlen("webres"));
	CHECK(type == CLUSTER_CHANGE_RESOURCE_STATE);
	CHECK(key == KEY_RESOURCES);
	seen++;
	CHECK(wait_resource_state(hChange, hResource, "webres", ClusterResourceOnline, 10000, &seen));

	/* Read the rest until quiet: OnlinePending and Online for the resource in all, and group
	 * state changes with the group's key. */
	bool group_seen = false;
	for (int i = 0; i < 100; i++) {
		cchName = sizeof(name);
		status = GetClusterNotify(hChange, &key, &type, name, &cchName, 300);
		if (status == WAIT_TIMEOUT)
			break;
		CHECK_CODE(status, ERROR_SUCCESS);
		if (type == CLUSTER_CHANGE_GROUP_STATE) {
			CHECK(strcmp(name, "web") == 0);
			CHECK(key == KEY_GROUPS);
			group_seen = true;
		} else {
			CHECK(type == CLUSTER_CHANGE_RESOURCE_STATE && strcmp(name, "webres") == 0);
			CHECK(key == KEY_RESOURCES);
			seen++;
		}
	}
	CHECK(seen >= 2); /* OnlinePending, Online */
	CHECK(group_seen);
	CHECK(GetClusterGroupState(hGroup, NULL, NULL) == ClusterGroupOnline);

	/* Already online: ERROR_SUCCESS at once. */
	CHECK_CODE(OnlineClusterResource(hResource), ERROR_SUCCESS);

	/* Names of the owner node and the group; then too-small buffers. */
	cchNode = sizeof(node);
	cchGroup = sizeof(group);
	CHECK(GetClusterResourceState(hResource, node, &cchNode, group, &cchGroup) ==
	      ClusterResourceOnline);
	CHECK_CODE(GetLastError(), ERROR_SUCCESS);
	CHECK(strcmp(group, "web") == 0 && cchGroup == 3);
	CHECK(cchNode == strlen(node));
	CHECK(gethostname(host, sizeof(host) - 1) == 0);
	CHECK(strncmp(node, host, strlen(node)) == 0);
	char *owner = show_str("webres", "owner_node");
	CHECK(owner && strcmp(owner, node) == 0);
	free(owner);

	DWORD full = cchNode;
	cchNode = 2;
	cchGroup = sizeof(group);
	memset(node, 'x', sizeof(node));
	CHECK(GetClusterResourceState(hResource, node, &cchNode, group, &cchGroup) ==
	      ClusterResourceStateUnknown);
	CHECK_CODE(GetLastError(), ERROR_MORE_DATA);
	CHECK(cchNode == full);
	CHECK(node[1] == '\0'); /* what fits, terminated */
	cchNode = sizeof(node);
	cchGroup = 3; /* "web" needs 4 with the NUL */
	CHECK(GetClusterResourceState(hResource, node, &cchNode, group, &cchGroup) ==
	      ClusterResourceStateUnknown);
	CHECK_CODE(GetLastError(), ERROR_MORE_DATA);
	CHECK(cchGroup == 3);
	CHECK(strcmp(group, "we") == 0);
	/* Exactly enough. */
	cchGroup = 4;
	cchNode = full + 1;
	CHECK(GetClusterResourceState(hResource, node, &cchNode, group, &cchGroup) ==
	      ClusterResourceOnline);
	CHECK_CODE(GetLastError(), ERROR_SUCCESS);

	/* An online resource cannot be deleted. */
	CHECK_CODE(DeleteClusterResource(hResource), ERROR_INVALID_STATE);
	CHECK_CODE(GetLastError(), ERROR_INVALID_STATE);
	CHECK(GetClusterResourceState(hResource, NULL, NULL, NULL, NULL) == ClusterResourceOnline);

	/* FailClusterResource: the policy restarts it (RestartAction 2, RestartDelay 500 ms). */
	drain(hChange, "webres", 100);
	CHECK(show_int("webres", "restart_count") == 0);
	CHECK_CODE(FailClusterResource(hResource), ERROR_SUCCESS);
	seen = 0;
	/* The failure shows as a state change of the resource... */
	uint64_t deadline = rmc_now_us() + 10000000;
	while (seen == 0 && rmc_now_us() < deadline) {
		cchName = sizeof(name);
		status = GetClusterNotify(hChange, &key, &type, name, &cchName, 1000);
		if (status == ERROR_SUCCESS && type == CLUSTER_CHANGE_RESOURCE_STATE &&
		    strcmp(name, "webres") == 0)
			seen++;
	}
	CHECK(seen == 1);
	/* ...and it comes back Online, one restart counted, the failure recorded. */
	deadline = rmc_now_us() + 15000000;
	while (show_int("webres", "restart_count") != 1 && rmc_now_us() < deadline)
		drain(hChange, "webres", 50);
	CHECK(show_int("webres", "restart_count") == 1);
	CHECK(wait_resource_state(hChange, hResource, "webres", ClusterResourceOnline, 10000, NULL));
	char *source = show_str("webres", "failure_source");
	CHECK(source && strcmp(source, "fail") == 0);
	free(source);

	/* Offline, then delete (with its notification). */
	drain(hChange, "webres", 100);
	status = OfflineClusterResource(hResource);
	CHECK(status == ERROR_SUCCESS || status == ERROR_IO_PENDING);
	seen = 0;
	CHECK(wait_resource_state(hChange, hResource, "webres", ClusterResourceOffline, 10000,
				  &seen));
	seen += drain(hChange, "webres", 200);
	CHECK(seen >= 1); /* OfflinePending and/or Offline */
	CHECK_CODE(OfflineClusterResource(hResource), ERROR_SUCCESS);
	/* FailClusterResource of an offline resource is refused. */
	CHECK_CODE(FailClusterResource(hResource), ERROR_INVALID_STATE);
	drain(hChange, "webres", 100);
	CHECK_CODE(DeleteClusterResource(hResource), ERROR_SUCCESS);
	bool deleted = false;
	deadline = rmc_now_us() + 5000000;
	while (!deleted && rmc_now_us() < deadline) {
		cchName = sizeof(name);
		status = GetClusterNotify(hChange, &key, &type, name, &cchName, 1000);
		deleted = status == ERROR_SUCCESS && type == CLUSTER_CHANGE_RESOURCE_DELETED &&
			  strcmp(name, "webres") == 0 && key == KEY_RESOURCES;
	}
	CHECK(deleted);
	SetLastError(ERROR_SUCCESS);
	CHECK(OpenClusterResource(hCluster, "webres") == NULL);
	CHECK_CODE(GetLastError(), ERROR_RESOURCE_NOT_FOUND);
	CHECK_CODE(OnlineClusterResource(hResource), ERROR_RESOURCE_NOT_FOUND);

	CHECK(CloseClusterNotifyPort(hChange));
	CloseClusterResource(hResource);
	CloseClusterGroup(hGroup);
	CloseCluster(hCluster);
}

static void test_dependencies(void **state)
{
	(void) state;
	HCLUSTER hCluster = OpenCluster(NULL);
	HGROUP hGroup, hOther;
	HRESOURCE hA, hB, hC, hX;
	char *expr;

	CHECK(hCluster != NULL);
	hGroup = CreateClusterGroup(hCluster, "dg");
	hOther = CreateClusterGroup(hCluster, "dg-other");
	CHECK(hGroup && hOther);
	hA = CreateClusterResource(hGroup, "da", "dummy", 0);
	hB = CreateClusterResource(hGroup, "db", "dummy", 0);
	hC = CreateClusterResource(hGroup, "dc", "dummy", 0);
	hX = CreateClusterResource(hOther, "dx", "dummy", 0);
	CHECK(hA && hB && hC && hX);

	/* dc depends on da. */
	CHECK_CODE(AddClusterResourceDependency(hC, hA), ERROR_SUCCESS);
	expr = show_str("dc", "dependency_expression");
	CHECK(expr && strcmp(expr, "[da]") == 0);
	free(expr);
	/* Again: ERROR_DEPENDENCY_ALREADY_EXISTS. */
	CHECK_CODE(AddClusterResourceDependency(hC, hA), ERROR_DEPENDENCY_ALREADY_EXISTS);
	CHECK_CODE(GetLastError(), ERROR_DEPENDENCY_ALREADY_EXISTS);
	/* da on dc: a cycle, both ways of saying it. */
	CHECK_CODE(AddClusterResourceDependency(hA, hC), ERROR_CIRCULAR_DEPENDENCY);
	CHECK_CODE(SetClusterResourceDependencyExpression(hA, "[dc]"), ERROR_CIRCULAR_DEPENDENCY);
	CHECK_CODE(GetLastError(), ERROR_CIRCULAR_DEPENDENCY);
	expr = show_str("da", "dependency_expression");
	CHECK(expr && strcmp(expr, "") == 0);
	free(expr);
	/* A resource of another group. */
	CHECK_CODE(AddClusterResourceDependency(hC, hX), ERROR_INVALID_PARAMETER);

	/* An expression, kept in canonical form. */
	CHECK_CODE(SetClusterResourceDependencyExpression(hC, "([da]  OR [db])"), ERROR_SUCCESS);
	expr = show_str("dc", "dependency_expression");
	CHECK(expr && (strcmp(expr, "[da] or [db]") == 0 || strcmp(expr, "([da] or [db])") == 0));
	free(expr);
	/* Through the OR: db depending on dc closes a cycle too. */
	CHECK_CODE(AddClusterResourceDependency(hB, hC), ERROR_CIRCULAR_DEPENDENCY);
	CHECK_CODE(SetClusterResourceDependencyExpression(hC, "[da] and [nope"),
		   ERROR_INVALID_PARAMETER);
	expr = show_str("dc", "dependency_expression");
	CHECK(expr && strstr(expr, "[da] or [db]"));
	free(expr);
	/* NULL and "" remove every dependency. */
	CHECK_CODE(SetClusterResourceDependencyExpression(hC, NULL), ERROR_SUCCESS);
	expr = show_str("dc", "dependency_expression");
	CHECK(expr && strcmp(expr, "") == 0);
	free(expr);
	CHECK_CODE(AddClusterResourceDependency(hA, hC), ERROR_SUCCESS);

	CHECK_CODE(SetClusterResourceDependencyExpression(hA, ""), ERROR_SUCCESS);
	HRESOURCE all[] = { hA, hB, hC, hX };
	for (size_t i = 0; i < 4; i++) {
		CHECK_CODE(DeleteClusterResource(all[i]), ERROR_SUCCESS);
		CloseClusterResource(all[i]);
	}
	CHECK_CODE(DeleteClusterGroup(hGroup), ERROR_SUCCESS);
	CHECK_CODE(DeleteClusterGroup(hOther), ERROR_SUCCESS);
	CloseClusterGroup(hGroup);
	CloseClusterGroup(hOther);
	CloseCluster(hCluster);
}

/*
 * Nodes on a one-node cluster: the native list, GetClusterNodeState, and pausing refused (its
 * only node cannot be paused). Multi-node pause/drain is tested with Corosync
 * (tests/cluster).
 */
static void test_nodes(void **state)
{
	(void) state;
	wp_cluster *c = NULL;
	wp_node_info *nodes = NULL, *none = NULL;
	size_t n = 0;
	int st = 99;
	char *line = NULL;
	HCLUSTER hCluster;
	HNODE hNode;
	HGROUP hGroup;
	WCHAR owner[256] = { 0 };
	DWORD status, cch;

	CHECK(wp_cluster_open(d->socket, &c) == 0);
	CHECK(wp_node_list(c, &nodes, &n) == 0);
	CHECK(n == 1);
	CHECK(nodes[0].name && nodes[0].name[0]);
	CHECK(nodes[0].local);
	CHECK(nodes[0].id == 0);
	CHECK(nodes[0].state == WP_NODE_UP);
	CHECK(nodes[0].groups == -1); /* a one-node cluster does not count */
	CHECK(strcmp(wp_node_state_to_string(nodes[0].state), "Up") == 0);
	CHECK(strcmp(wp_node_state_to_string(42), "Unknown") == 0);
	CHECK(wp_node_state_from_string("Paused") == WP_NODE_PAUSED);
	CHECK(wp_node_state_from_string("Joining") == WP_NODE_JOINING);
	CHECK(wp_node_state_from_string("nope") == WP_NODE_STATE_UNKNOWN);
	CHECK(wp_node_state_from_string(NULL) == WP_NODE_STATE_UNKNOWN);
	CHECK(wp_node_list(c, NULL, &n) == -EINVAL);
	CHECK(wp_node_list(c, &none, NULL) == -EINVAL);
	CHECK(none == NULL);

	CHECK(wp_node_get_state(c, nodes[0].name, &st) == 0 && st == WP_NODE_UP);
	st = 99;
	CHECK(wp_node_get_state(c, "no-such-node", &st) == -ENOENT);
	CHECK(st == 99); /* out-parameters written only on success */
	CHECK(wp_cluster_last_error(c) && strstr(wp_cluster_last_error(c), "no-such-node"));

	/* Its only node: refused, with the daemon's reason; nothing changed. */
	CHECK(wp_node_pause(c, nodes[0].name, false) == -EINVAL);
	CHECK(wp_cluster_last_error(c) && strstr(wp_cluster_last_error(c), "one-node"));
	CHECK(wp_node_pause(c, nodes[0].name, true) == -EINVAL);
	CHECK(wp_node_resume(c, nodes[0].name) == -EINVAL);
	CHECK(wp_node_pause(NULL, nodes[0].name, false) == -EINVAL);
	CHECK(wp_node_pause(c, NULL, false) == -EINVAL);
	CHECK(wp_node_resume(c, NULL) == -EINVAL);
	CHECK(wp_node_get_state(c, nodes[0].name, &st) == 0 && st == WP_NODE_UP);

	/* FencingCommand: set, removed; another property is refused. */
	CHECK(wp_cluster_set_fencing_command(c, "/bin/true") == 0);
	CHECK(wpd_log_has(d, NULL, "FencingCommand set to '/bin/true'"));
	CHECK(wp_cluster_set_fencing_command(c, "") == 0);
	CHECK(wp_cluster_set_fencing_command(c, NULL) == -EINVAL);
	CHECK(wp_cluster_call(c, "{\"op\":\"cluster.set\",\"properties\":{\"Foo\":\"1\"}}",
			      &line) == -EINVAL);
	CHECK(line == NULL);
	CHECK(wp_cluster_last_error(c) && strstr(wp_cluster_last_error(c), "Foo"));

	/* The same through the WSFC names. */
	hCluster = OpenCluster(NULL);
	CHECK(hCluster != NULL);
	hNode = OpenClusterNode(hCluster, nodes[0].name);
	CHECK(hNode != NULL);
	SetLastError(ERROR_GEN_FAILURE);
	CHECK(GetClusterNodeState(hNode) == ClusterNodeUp);
	CHECK_CODE(GetLastError(), ERROR_SUCCESS);
	status = PauseClusterNode(hNode);
	CHECK(status != ERROR_SUCCESS);
	CHECK_CODE(status, ERROR_INVALID_PARAMETER);
	CHECK_CODE(GetLastError(), status);
	status = PauseClusterNodeEx(hNode, TRUE, CLUSAPI_NODE_PAUSE_REMAIN_ON_PAUSED_NODE_ON_MOVE_ERROR,
				    NULL);
	CHECK(status != ERROR_SUCCESS);
	CHECK_CODE(PauseClusterNodeEx(hNode, TRUE, 0x100, NULL), ERROR_INVALID_PARAMETER);
	CHECK(ResumeClusterNode(hNode) != ERROR_SUCCESS);
	CHECK(GetClusterNodeState(hNode) == ClusterNodeUp);
	CHECK(GetClusterNodeState(NULL) == ClusterNodeStateUnknown);
	CHECK_CODE(GetLastError(), ERROR_INVALID_PARAMETER);
	SetLastError(ERROR_SUCCESS);
	CHECK(OpenClusterNode(hCluster, "no-such-node") == NULL);
	CHECK_CODE(GetLastError(), ERROR_CLUSTER_NODE_NOT_FOUND);

	/* MoveClusterGroup names the node: to the local node, then to the best one. */
	hGroup = CreateClusterGroup(hCluster, "mg");
	CHECK(hGroup != NULL);
	status = MoveClusterGroup(hGroup, hNode);
	CHECK(status == ERROR_SUCCESS || status == ERROR_IO_PENDING);
	status = MoveClusterGroup(hGroup, NULL);
	CHECK(status == ERROR_SUCCESS || status == ERROR_IO_PENDING);
	cch = sizeof(owner);
	CHECK(GetClusterGroupState(hGroup, owner, &cch) == ClusterGroupOffline);
	CHECK(strcmp(owner, nodes[0].name) == 0);
	CHECK_CODE(DeleteClusterGroup(hGroup), ERROR_SUCCESS);
	CloseClusterGroup(hGroup);
	CloseClusterNode(hNode);
	CloseCluster(hCluster);
	free(nodes);
	wp_cluster_close(c);
}

/* The native API under the same names: wp_cluster_open and wp_resource_get_state. */
static void test_native(void **state)
{
	(void) state;
	wp_cluster *c = NULL;
	HCLUSTER hCluster;
	HGROUP hGroup;
	HRESOURCE hResource;
	int st = -1;
	char *owner = NULL, *group = NULL;

	CHECK(wp_cluster_open(d->socket, &c) == 0);
	CHECK(strcmp(wp_cluster_socket_path(c), d->socket) == 0);
	CHECK(wp_resource_get_state(c, "no-such-resource", &st, NULL, NULL) == -ENOENT);
	CHECK(st == -1); /* out-parameters written only on success */
	CHECK(wp_cluster_last_error(c) != NULL);

	/* HCLUSTER is the native handle: a WSFC-created resource seen natively. */
	hCluster = c;
	hGroup = CreateClusterGroup(hCluster, "ng");
	CHECK(hGroup != NULL);
	hResource = CreateClusterResource(hGroup, "nr", "dummy", 0);
	CHECK(hResource != NULL);
	/* Initializing at first, then Offline. */
	uint64_t deadline = rmc_now_us() + 10000000;
	do {
		free(owner);
		free(group);
		owner = group = NULL;
		CHECK(wp_resource_get_state(c, "nr", &st, &owner, &group) == 0);
		if (st == WP_RESOURCE_INITIALIZING)
			usleep(10000);
	} while (st == WP_RESOURCE_INITIALIZING && rmc_now_us() < deadline);
	CHECK(st == WP_RESOURCE_OFFLINE);
	CHECK(st == (int) GetClusterResourceState(hResource, NULL, NULL, NULL, NULL));
	CHECK(group && strcmp(group, "ng") == 0);
	CHECK(owner && owner[0]);
	CHECK(strcmp(wp_resource_state_to_string(st), "Offline") == 0);
	free(owner);
	free(group);

	/* With WOLFPACK_SOCKET set, a NULL path is that socket. */
	wp_cluster *c2 = NULL;
	CHECK(wp_cluster_open(NULL, &c2) == 0);
	CHECK(strcmp(wp_cluster_socket_path(c2), d->socket) == 0);
	CHECK(wp_resource_get_state(c2, "nr", &st, NULL, NULL) == 0 && st == WP_RESOURCE_OFFLINE);
	wp_cluster_close(c2);

	CHECK_CODE(DeleteClusterResource(hResource), ERROR_SUCCESS);
	CloseClusterResource(hResource);
	CHECK_CODE(DeleteClusterGroup(hGroup), ERROR_SUCCESS);
	CloseClusterGroup(hGroup);
	wp_cluster_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_cluster),
		cmocka_unit_test(test_groups_and_resources),
		cmocka_unit_test(test_online_fail_offline),
		cmocka_unit_test(test_dependencies),
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_native),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
