/* SPDX-License-Identifier: MIT */
/*
 * Many nodes: membership, quorum and one cluster database on every node, through Corosync.
 *
 * Every node runs the same deterministic state machine over the same input: the CPG messages
 * and membership changes of the group "wolfpack", delivered in one agreed order. A write
 * request is multicast and applied by every node when it is delivered (the node that took it
 * from the client answers then, after its own commit); placement decisions (node loss,
 * failover, moves, drain) are computed by every node from the same replicated state at the
 * same point of the order, so no leader is needed and no two nodes can disagree on an owner.
 *
 * After every membership change the members exchange (version, digest) of their databases;
 * if they differ, the member with the highest version sends a snapshot. Only a partition with
 * quorum changes the configuration, and two majorities always share a node, so the highest
 * version carries every acknowledged change. The algorithm is described in docs/cluster.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <corosync/cmap.h>
#include <corosync/corotypes.h>
#include <corosync/cpg.h>
#include <corosync/votequorum.h>
#include <json-c/json.h>

#include "clusterd.h"
#include "placement.h"

#define GROUP_NAME "wolfpack"
#define MAX_NODES 64
#define QUORUM_LOSS_GRACE_MS 5000 /* offline first; terminate what is still running after this */
#define FENCE_RETRY_MS 5000
#define FAILBACK_CHECK_MS 60000
/* A node whose wolfpackd died while its Corosync lives on: its Resource Monitors see their
 * parent go and terminate what they run within milliseconds; its groups move after this. */
#define PROCDOWN_GRACE_MS 1000

bool cl_multi;
uint32_t cl_local_id;

typedef struct node {
	uint32_t id;
	char *name;
	bool in_nodelist;
	bool member;   /* in the CPG group: its wolfpackd runs */
	bool synced;   /* completed a synchronisation round in the current membership */
	bool paused;   /* replicated */
	bool fenced;   /* fenced since it left (fencing configured) */
	bool fence_logged;
	bool procdown; /* left because its wolfpackd stopped, while its Corosync stays */
	bool joined;   /* joined in the current round (failback candidates at its end) */
} node;

typedef struct outmsg {
	char *text;
	size_t len;
	struct outmsg *next;
} outmsg;

typedef struct pending {
	uint64_t tok, client;
	int64_t id;
	struct json_object *req;
	unsigned tries;
	bool deferred;
	struct pending *next;
} pending;

static node nodes[MAX_NODES];
static size_t n_nodes;
static unsigned nodelist_count;

static cpg_handle_t cpg;
static votequorum_handle_t vq;
static bool connected, required;
static sd_event_source *cpg_source, *vq_source, *reconnect_timer, *send_timer, *rs_defer,
	*terminate_timer, *fence_timer, *fence_child, *failback_timer;
static bool vq_quorate;
static bool hosting;

static bool round_active, awaiting_snap;
static uint32_t donor;
static struct {
	uint32_t id;
	bool got;
	uint64_t version, digest;
	struct json_object *rs; /* the runtime states of the resources it owns */
} states[MAX_NODES];
static size_t n_states;

static uint64_t version, digest;
static char *fence_command;
static pid_t fence_pid;
static uint32_t fence_node;

static outmsg *out_head, **out_tail = &out_head;
static pending *pendings;
static uint64_t next_tok = 1;
static struct json_object *rs_batch;

static int connect_corosync(void);
static void update_hosting(void);
static void place_all(const char *why);

/* ---- nodes -------------------------------------------------------------------------------- */

static node *node_get(uint32_t id, bool create)
{
	char buf[32];

	for (size_t i = 0; i < n_nodes; i++)
		if (nodes[i].id == id)
			return &nodes[i];
	if (!create || id == 0 || n_nodes == MAX_NODES)
		return NULL;
	snprintf(buf, sizeof(buf), "node%" PRIu32, id);
	nodes[n_nodes] = (node) { .id = id, .name = strdup(buf) };
	return &nodes[n_nodes++];
}

const char *cluster_node_name(uint32_t id)
{
	node *n = id ? node_get(id, false) : NULL;

	if (!cl_multi && id == 0)
		return cl.node;
	return n ? n->name : "";
}

uint32_t cluster_node_id(const char *name)
{
	for (size_t i = 0; i < n_nodes; i++)
		if (strcmp(nodes[i].name, name) == 0)
			return nodes[i].id;
	return 0;
}

static unsigned members(void)
{
	unsigned n = 0;

	for (size_t i = 0; i < n_nodes; i++)
		n += nodes[i].member;
	return n;
}

/* Quorum as every node computes it at the same point of the order: a majority of the
 * nodelist is in the group. votequorum says the same within milliseconds; this one is
 * deterministic, so decisions taken on it are the same everywhere. */
static bool view_quorate(void)
{
	unsigned total = nodelist_count ? nodelist_count : (unsigned) n_nodes;

	return connected && 2 * members() > total;
}

bool cluster_quorate(void)
{
	return !cl_multi || (vq_quorate && view_quorate());
}

bool cluster_may_host(void)
{
	node *me = node_get(cl_local_id, false);

	return !cl_multi || (connected && me && me->synced && cluster_quorate());
}

static bool node_up(const node *n)
{
	return n->member && n->synced && !n->paused;
}

static const char *node_state(const node *n)
{
	if (!n->member)
		return "Down";
	if (!n->synced)
		return "Joining";
	return n->paused ? "Paused" : "Up";
}

static void nodes_changed(void)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "event", json_object_new_string("node_state"));
	api_notify(CHANGE_GROUP_PROPERTY, e);
}

struct json_object *cluster_nodes_json(void)
{
	struct json_object *a = json_object_new_array();

	if (!cl_multi) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(cl.node));
		json_object_object_add(o, "id", json_object_new_int(0));
		json_object_object_add(o, "state", json_object_new_string("Up"));
		json_object_object_add(o, "local", json_object_new_boolean(true));
		json_object_array_add(a, o);
		return a;
	}
	for (size_t i = 0; i < n_nodes; i++) {
		struct json_object *o = json_object_new_object();
		unsigned groups = 0;

		for (cl_group *g = cl.groups; g; g = g->next)
			groups += g->owner == nodes[i].id;
		json_object_object_add(o, "name", json_object_new_string(nodes[i].name));
		json_object_object_add(o, "id", json_object_new_int64(nodes[i].id));
		json_object_object_add(o, "state", json_object_new_string(node_state(&nodes[i])));
		json_object_object_add(o, "local", json_object_new_boolean(nodes[i].id == cl_local_id));
		json_object_object_add(o, "groups", json_object_new_int(groups));
		json_object_array_add(a, o);
	}
	return a;
}

/* Called by the engine while loading the database. */
void cluster_node_loaded(uint32_t id, bool paused);
void cluster_node_loaded(uint32_t id, bool paused)
{
	node *n = node_get(id, true);

	if (n)
		n->paused = paused;
}

/* ---- versions ----------------------------------------------------------------------------- */

static uint64_t fnv64(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char) s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void load_fence_command(void)
{
	char *v = NULL;

	free(fence_command);
	fence_command = NULL;
	if (db_meta_get(cl.db, "FencingCommand", &v) == 0 && v[0])
		fence_command = v;
	else
		free(v);
}

static void load_version(void)
{
	char *v = NULL;

	version = 0;
	digest = 1469598103934665603ULL;
	if (db_meta_get(cl.db, "config_version", &v) == 0)
		version = strtoull(v, NULL, 10);
	free(v);
	v = NULL;
	if (db_meta_get(cl.db, "config_digest", &v) == 0)
		digest = strtoull(v, NULL, 16);
	free(v);
	load_fence_command();
}

/* One more replicated change, inside the caller's transaction. */
static int bump(const char *what, size_t len)
{
	char buf[32];
	int r;

	version++;
	digest = fnv64(digest, what, len);
	snprintf(buf, sizeof(buf), "%" PRIu64, version);
	r = db_meta_set(cl.db, "config_version", buf);
	snprintf(buf, sizeof(buf), "%016" PRIx64, digest);
	if (r == 0)
		r = db_meta_set(cl.db, "config_digest", buf);
	return r;
}

static void fatal_db(const char *what)
{
	/* The database refused a change the others applied: this node can no longer follow.
	 * Exiting lets it rejoin and fetch a snapshot. */
	cl_log(CL_SEVERE, cl.name, "%s: cluster database error (%s): leaving the cluster", what,
	       db_errmsg(cl.db));
	cl_log_flush();
	exit(1);
}

/* ---- sending ------------------------------------------------------------------------------ */

static int on_send_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void flush_out(void)
{
	while (out_head && connected) {
		struct iovec iov = { out_head->text, out_head->len };
		cs_error_t e = cpg_mcast_joined(cpg, CPG_TYPE_AGREED, &iov, 1);
		outmsg *m = out_head;

		if (e == CS_ERR_TRY_AGAIN) {
			if (!send_timer)
				(void) sd_event_add_time_relative(cl.event, &send_timer, CLOCK_MONOTONIC,
								  2000, 500, on_send_timer, NULL);
			return;
		}
		if (e != CS_OK)
			cl_log(CL_ERROR, cl.name, "cannot send to the cluster (corosync error %d)", e);
		out_head = m->next;
		if (!out_head)
			out_tail = &out_head;
		free(m->text);
		free(m);
	}
}

static int on_send_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	send_timer = sd_event_source_disable_unref(send_timer);
	flush_out();
	return 0;
}

static int on_rs_flush(sd_event_source *s, void *userdata);

static void mcast(const char *type, struct json_object *m)
{
	outmsg *o;

	/* Announced states go out before anything sent after them: the others validate later
	 * messages against them. */
	if (strcmp(type, "rs") != 0 && rs_batch)
		on_rs_flush(NULL, NULL);
	o = calloc(1, sizeof(*o));
	json_object_object_add(m, "t", json_object_new_string(type));
	if (!o || !(o->text = strdup(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN))))
		abort();
	json_object_put(m);
	o->len = strlen(o->text);
	*out_tail = o;
	out_tail = &o->next;
	flush_out();
}

static void drop_queue(void)
{
	while (out_head) {
		outmsg *m = out_head;

		out_head = m->next;
		free(m->text);
		free(m);
	}
	out_tail = &out_head;
}

/* ---- placement ---------------------------------------------------------------------------- */

static bool strlist_has(struct json_object *list, const char *s)
{
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(list, i)), s) == 0)
			return true;
	return false;
}

static struct json_object *strlist(struct json_object *props, const char *name)
{
	struct json_object *v;

	if (props && json_object_object_get_ex(props, name, &v) &&
	    json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0)
		return v;
	return NULL;
}

static bool shares_class(const cl_group *a, const cl_group *b)
{
	struct json_object *ca = strlist(a->props, "AntiAffinityClassNames");
	struct json_object *cb = strlist(b->props, "AntiAffinityClassNames");

	for (size_t i = 0; ca && cb && i < json_object_array_length(ca); i++)
		if (strlist_has(cb, json_object_get_string(json_object_array_get_idx(ca, i))))
			return true;
	return false;
}

static uint32_t best_node(const cl_group *g, uint32_t exclude, uint32_t after)
{
	placement_node pn[MAX_NODES];
	struct json_object *pref = strlist(g->props, "PreferredOwners");

	for (size_t i = 0; i < n_nodes; i++) {
		node *n = &nodes[i];

		pn[i] = (placement_node) { .id = n->id, .up = node_up(n), .possible = true,
					   .preferred = -1 };
		for (size_t j = 0; pref && j < json_object_array_length(pref); j++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(pref, j)),
				   n->name) == 0) {
				pn[i].preferred = (int) j;
				break;
			}
		for (cl_res *r = cl.resources; r; r = r->next) {
			struct json_object *po = strlist(r->props, "PossibleOwners");

			if (r->group == g && po && !strlist_has(po, n->name))
				pn[i].possible = false;
		}
		for (const cl_group *o = cl.groups; o; o = o->next) {
			if (o == g || o->owner != n->id)
				continue;
			pn[i].groups++;
			if (shares_class(g, o))
				pn[i].anti++;
		}
	}
	return placement_best(pn, n_nodes, exclude, after);
}

/* Sets the owner of g as part of a replicated change (inside the caller's transaction). */
static int set_owner(cl_group *g, uint32_t owner, const char *why)
{
	char buf[600];
	int n;

	if (owner == cl_local_id && g->owner != cl_local_id)
		/* What showed here was the old owner's view; this node's instances are Offline. */
		for (cl_res *r = cl.resources; r; r = r->next)
			if (r->group == g)
				engine_remote_state(r, WP_RESOURCE_OFFLINE, 0);
	if (engine_set_owner(g, owner) < 0)
		return -EIO;
	n = snprintf(buf, sizeof(buf), "owner %s %" PRIu32, g->name, owner);
	g->release_sent = false;
	cl_log(CL_INFO, g->name, "placed on node %s: %s", cluster_node_name(owner), why);
	return bump(buf, (size_t) n);
}

static void begin(void)
{
	if (db_begin(cl.db) < 0)
		fatal_db("begin");
}

static void commit(void)
{
	if (db_commit(cl.db) < 0)
		fatal_db("commit");
	cl_log_flush();
}

/* A group that stopped here for a move: tell the others it is free. */
void cluster_on_group_idle(cl_group *g)
{
	struct json_object *m;

	if (!cl_multi || !g->moving_to || g->release_sent || !engine_group_here(g) || !connected)
		return;
	g->release_sent = true;
	m = json_object_new_object();
	json_object_object_add(m, "g", json_object_new_string(g->name));
	json_object_object_add(m, "to", json_object_new_int64(g->moving_to));
	mcast("released", m);
}

/* Starts moving g to target (deterministic, every node). */
static void start_move(cl_group *g, uint32_t target, const char *why)
{
	if (engine_group_idle(g) || !node_get(g->owner, false) || !node_get(g->owner, false)->member) {
		set_owner(g, target, why);
		return;
	}
	g->moving_to = target;
	g->release_sent = false;
	cl_log(CL_INFO, g->name, "moving from node %s to node %s: %s", cluster_node_name(g->owner),
	       cluster_node_name(target), why);
	if (engine_group_here(g)) {
		engine_group_deactivate(g);
		if (engine_group_local_idle(g))
			cluster_on_group_idle(g);
	}
}

static int on_fence_child(sd_event_source *s, const siginfo_t *si, void *userdata);

static int on_grace(sd_event_source *s, uint64_t usec, void *userdata)
{
	uint32_t id = (uint32_t) (uintptr_t) userdata;
	node *n = node_get(id, false);
	struct json_object *m;

	/* A floating one-shot source: the loop owns it. */
	if (!n || n->member || n->fenced || !connected)
		return 0;
	m = json_object_new_object();
	json_object_object_add(m, "n", json_object_new_int64(id));
	mcast("fenced", m);
	return 0;
}

static void start_fencing(uint32_t id)
{
	node *n = node_get(id, false);
	pid_t pid;

	if (n && !fence_command && n->procdown) {
		(void) sd_event_add_time_relative(cl.event, NULL, CLOCK_MONOTONIC,
						  PROCDOWN_GRACE_MS * 1000ULL, 1000, on_grace,
						  (void *) (uintptr_t) id);
		return;
	}
	if (fence_pid || !fence_command || !n)
		return;
	cl_log(CL_WARNING, n->name, "fencing node %s: running FencingCommand", n->name);
	pid = fork();
	if (pid < 0) {
		cl_log(CL_ERROR, n->name, "fencing: fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		char idbuf[16];
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		snprintf(idbuf, sizeof(idbuf), "%" PRIu32, id);
		setenv("WOLFPACK_FENCE_NODE", n->name, 1);
		setenv("WOLFPACK_FENCE_NODEID", idbuf, 1);
		execl("/bin/sh", "sh", "-c", fence_command, "wolfpack-fence", n->name, idbuf,
		      (char *) NULL);
		_exit(127);
	}
	fence_pid = pid;
	fence_node = id;
	(void) sd_event_add_child(cl.event, &fence_child, pid, WEXITED, on_fence_child, NULL);
}

static int on_fence_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	fence_timer = sd_event_source_disable_unref(fence_timer);
	place_all("fencing retry");
	update_hosting();
	return 0;
}

static int on_fence_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	uint32_t id = fence_node;

	fence_child = sd_event_source_disable_unref(fence_child);
	fence_pid = 0;
	fence_node = 0;
	if (si->si_code == CLD_EXITED && si->si_status == 0) {
		struct json_object *m = json_object_new_object();

		cl_log(CL_INFO, cluster_node_name(id), "node %s fenced", cluster_node_name(id));
		json_object_object_add(m, "n", json_object_new_int64(id));
		mcast("fenced", m);
	} else {
		cl_log(CL_ERROR, cluster_node_name(id),
		       "FencingCommand failed for node %s (%s %d): its groups wait; retrying in %d s",
		       cluster_node_name(id), si->si_code == CLD_EXITED ? "exit" : "signal",
		       si->si_status, FENCE_RETRY_MS / 1000);
		if (!fence_timer)
			(void) sd_event_add_time_relative(cl.event, &fence_timer, CLOCK_MONOTONIC,
							  FENCE_RETRY_MS * 1000ULL, 1000,
							  on_fence_retry, NULL);
	}
	cl_log_flush();
	return 0;
}

static uint32_t lowest_member(void)
{
	uint32_t id = 0;

	for (size_t i = 0; i < n_nodes; i++)
		if (nodes[i].member && (id == 0 || nodes[i].id < id))
			id = nodes[i].id;
	return id;
}

/* Every group whose owner is gone (or that has none) gets one, if this partition may decide.
 * Deterministic: run by every node at the same point of the order. */
static void place_all(const char *why)
{
	uint32_t to_fence = 0;
	char reason[300];

	if (!view_quorate() || round_active)
		return;
	begin();
	for (cl_group *g = cl.groups; g; g = g->next) {
		node *o = g->owner ? node_get(g->owner, false) : NULL;
		uint32_t target;

		if (o && o->member)
			continue;
		g->moving_to = 0;
		if (o && (fence_command || o->procdown) && !o->fenced) {
			if (!o->fence_logged)
				cl_log(CL_WARNING, g->name,
				       fence_command ? "node %s is down: group waits until FencingCommand "
						       "fences it"
						     : "the cluster service of node %s stopped: group waits "
						       "until its monitors have stopped it",
				       o->name);
			o->fence_logged = true;
			to_fence = o->id;
			continue;
		}
		target = best_node(g, 0, g->owner);
		if (!target) {
			cl_log(CL_ERROR, g->name, "no node can host the group now (owner %s)",
			       o ? o->name : "none");
			continue;
		}
		for (cl_res *r = cl.resources; r; r = r->next)
			if (r->group == g) {
				engine_shared_state(r, WP_RESOURCE_OFFLINE);
				if (target != cl_local_id)
					engine_remote_state(r, WP_RESOURCE_OFFLINE, 0);
			}
		if (o)
			snprintf(reason, sizeof(reason), "node %s is down (%s)", o->name, why);
		else
			snprintf(reason, sizeof(reason), "group had no owner (%s)", why);
		if (set_owner(g, target, reason) < 0)
			fatal_db("placement");
	}
	commit();
	if (to_fence && lowest_member() == cl_local_id)
		start_fencing(to_fence);
}

/* A new group gets the best node; a stopped group brought online moves to the best node if
 * its owner is not Up, or is not among its PreferredOwners while one of them is Up (the list
 * was set after the group was placed). A group moved by hand to a preferred node stays. */
void cluster_place_new(cl_group *g)
{
	struct json_object *pref;
	node *o;
	uint32_t target;

	if (!cl_multi || g->moving_to)
		return;
	target = best_node(g, 0, 0);
	if (!target || target == g->owner)
		return;
	o = g->owner ? node_get(g->owner, false) : NULL;
	pref = strlist(g->props, "PreferredOwners");
	if (o && node_up(o) && (!pref || strlist_has(pref, o->name) || !strlist_has(pref, cluster_node_name(target))))
		return;
	if (o && !engine_group_idle(g))
		return;
	if (set_owner(g, target, o ? "brought online: its owner is not a preferred owner"
				    : "new group") < 0)
		fatal_db("placement");
}

/* ---- hosting ------------------------------------------------------------------------------ */

static int on_terminate_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	terminate_timer = sd_event_source_disable_unref(terminate_timer);
	for (cl_group *g = cl.groups; g; g = g->next)
		if (!g->active && !engine_group_local_idle(g)) {
			cl_log(CL_WARNING, g->name, "still running %d ms after quorum loss: terminating",
			       QUORUM_LOSS_GRACE_MS);
			engine_group_terminate(g);
		}
	cl_log_flush();
	return 0;
}

static void update_hosting(void)
{
	bool h = cluster_may_host();

	if (h != hosting) {
		hosting = h;
		if (h) {
			terminate_timer = sd_event_source_disable_unref(terminate_timer);
			cl_log(CL_INFO, cl.node, "node %s may host groups (member, synchronised, quorate)",
			       cl.node);
		} else {
			cl_log(CL_WARNING, cl.node,
			       "node %s may not host groups now (%s): taking its groups offline", cl.node,
			       !connected ? "no connection to Corosync" : !cluster_quorate() ? "no quorum"
												: "joining");
			if (!terminate_timer)
				(void) sd_event_add_time_relative(cl.event, &terminate_timer,
								  CLOCK_MONOTONIC,
								  QUORUM_LOSS_GRACE_MS * 1000ULL, 1000,
								  on_terminate_timer, NULL);
		}
	}
	for (cl_group *g = cl.groups; g; g = g->next) {
		bool keep = h && engine_group_here(g) && !g->moving_to;

		/* Starts only outside a synchronisation round: this node's copy may be stale until
		 * the round ends (a node that was alone has an old owner list). What already runs
		 * here keeps running through a round. */
		if (keep && !g->active && !round_active)
			engine_group_activate(g);
		else if (!keep && g->active)
			engine_group_deactivate(g);
	}
	cl_log_flush();
}

/* ---- failback ----------------------------------------------------------------------------- */

/* AutoFailbackType 1: when a node joins (or resumes) that is higher in a group's
 * PreferredOwners than the group's owner, the owner hands the group back to it, inside the
 * FailbackWindowStart/End hours if set (else later, when the window opens). Run by the owner,
 * which asks for a move like an administrator would. */
static void failback_check(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!hosting)
		return;
	localtime_r(&now, &tm);
	for (cl_group *g = cl.groups; g; g = g->next) {
		struct json_object *pref = strlist(g->props, "PreferredOwners"), *m, *req;
		node *t = g->failback_to ? node_get(g->failback_to, false) : NULL;
		int mine = -1, theirs = -1;

		if (!t || !engine_group_here(g) || g->moving_to || !g->active ||
		    group_prop(g, "AutoFailbackType") != 1 || !pref || !node_up(t)) {
			if (!t || !node_up(t) || !engine_group_here(g))
				g->failback_to = 0;
			continue;
		}
		for (size_t j = 0; j < json_object_array_length(pref); j++) {
			const char *s = json_object_get_string(json_object_array_get_idx(pref, j));

			if (mine < 0 && strcmp(s, cl.node) == 0)
				mine = (int) j;
			if (theirs < 0 && strcmp(s, t->name) == 0)
				theirs = (int) j;
		}
		if (theirs < 0 || (mine >= 0 && mine <= theirs)) {
			g->failback_to = 0;
			continue;
		}
		if (!placement_failback_window(group_prop(g, "FailbackWindowStart"),
					       group_prop(g, "FailbackWindowEnd"),
					       (unsigned) tm.tm_hour))
			continue; /* the periodic check tries again */
		g->failback_to = 0;
		cl_log(CL_INFO, g->name, "AutoFailbackType 1: failing back to preferred node %s",
		       t->name);
		req = json_object_new_object();
		json_object_object_add(req, "op", json_object_new_string("group.move"));
		json_object_object_add(req, "id", json_object_new_int(1));
		json_object_object_add(req, "name", json_object_new_string(g->name));
		json_object_object_add(req, "node", json_object_new_string(t->name));
		json_object_object_add(req, "reason", json_object_new_string("failback"));
		m = json_object_new_object();
		json_object_object_add(m, "tok", json_object_new_int(0));
		json_object_object_add(m, "req", req);
		mcast("req", m);
	}
	cl_log_flush();
}

/* A node became available: the groups it is preferred for may fail back to it. */
static void failback_candidate(uint32_t id)
{
	for (cl_group *g = cl.groups; g; g = g->next)
		if (engine_group_here(g) && group_prop(g, "AutoFailbackType") == 1 && id != cl_local_id)
			g->failback_to = id;
}

static int on_failback_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	failback_check();
	(void) sd_event_source_set_time_relative(s, FAILBACK_CHECK_MS * 1000ULL);
	(void) sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

/* ---- runtime state ------------------------------------------------------------------------ */

static int on_rs_flush(sd_event_source *s, void *userdata)
{
	struct json_object *m;

	rs_defer = sd_event_source_disable_unref(rs_defer);
	if (!rs_batch)
		return 0;
	m = json_object_new_object();
	json_object_object_add(m, "l", rs_batch);
	rs_batch = NULL;
	if (connected)
		mcast("rs", m);
	else
		json_object_put(m);
	return 0;
}

void cluster_on_res_state(cl_res *r)
{
	struct json_object *e;

	if (!cl_multi) {
		r->shared_state = r->state;
		return;
	}
	if (!engine_group_here(r->group) || !connected)
		return;
	e = json_object_new_array();
	json_object_array_add(e, json_object_new_string(r->name));
	json_object_array_add(e, json_object_new_int(r->state));
	json_object_array_add(e, json_object_new_int64(r->status_information));
	if (!rs_batch)
		rs_batch = json_object_new_array();
	json_object_array_add(rs_batch, e);
	if (!rs_defer)
		(void) sd_event_add_defer(cl.event, &rs_defer, on_rs_flush, NULL);
}

static void on_rs(uint32_t from, struct json_object *m)
{
	struct json_object *l;

	if (!json_object_object_get_ex(m, "l", &l) || !json_object_is_type(l, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(l); i++) {
		struct json_object *e = json_object_array_get_idx(l, i);
		cl_res *r;
		int state;

		if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) != 3)
			continue;
		r = cl_res_find(json_object_get_string(json_object_array_get_idx(e, 0)));
		state = json_object_get_int(json_object_array_get_idx(e, 1));
		if (!r || r->group->owner != from || state < WP_RESOURCE_INITIALIZING ||
		    state > WP_RESOURCE_OFFLINE_PENDING)
			continue;
		engine_shared_state(r, state);
		if (from != cl_local_id)
			engine_remote_state(r, state,
					    (uint32_t) json_object_get_int64(json_object_array_get_idx(e, 2)));
	}
	/* A group being moved here whose owner releases it is handled by "released"; a group
	 * whose shared state went idle may now be deleted or moved: nothing to do here. */
}

static void announce_all(void)
{
	for (cl_res *r = cl.resources; r; r = r->next)
		if (engine_group_here(r->group))
			cluster_on_res_state(r);
}

/* ---- synchronisation rounds --------------------------------------------------------------- */

static void send_state(void)
{
	struct json_object *m = json_object_new_object();
	char buf[32];

	json_object_object_add(m, "v", json_object_new_int64((int64_t) version));
	snprintf(buf, sizeof(buf), "%016" PRIx64, digest);
	json_object_object_add(m, "d", json_object_new_string(buf));
	{
		struct json_object *l = json_object_new_array();

		for (cl_res *r = cl.resources; r; r = r->next) {
			struct json_object *e;

			if (!engine_group_here(r->group))
				continue;
			e = json_object_new_array();
			json_object_array_add(e, json_object_new_string(r->name));
			json_object_array_add(e, json_object_new_int(r->state));
			json_object_array_add(e, json_object_new_int64(r->status_information));
			json_object_array_add(l, e);
		}
		json_object_object_add(m, "l", l);
	}
	mcast("state", m);
}

static void retry_deferred(void);

static void finish_round(void)
{
	round_active = false;
	awaiting_snap = false;
	for (size_t i = 0; i < n_nodes; i++)
		nodes[i].synced = nodes[i].member;
	/* Every node now takes the runtime states the owners sent with their round state, so
	 * the joiners validate the next requests against the same states as everybody else. */
	for (size_t i = 0; i < n_states; i++) {
		for (cl_res *r = cl.resources; r; r = r->next)
			if (r->group->owner == states[i].id)
				engine_shared_state(r, WP_RESOURCE_OFFLINE);
		if (states[i].rs)
			on_rs(states[i].id, states[i].rs);
		json_object_put(states[i].rs);
		states[i].rs = NULL;
	}
	cl_log(CL_INFO, cl.name, "cluster synchronised: %u node(s), configuration version %" PRIu64,
	       members(), version);
	place_all("membership change");
	update_hosting();
	announce_all();
	/* Groups that were stopping here for a move when the round began. */
	for (cl_group *g = cl.groups; g; g = g->next)
		if (g->moving_to && engine_group_here(g) && engine_group_local_idle(g)) {
			g->release_sent = false;
			cluster_on_group_idle(g);
		}
	retry_deferred();
	for (size_t i = 0; i < n_nodes; i++) {
		if (nodes[i].joined && nodes[i].member)
			failback_candidate(nodes[i].id);
		nodes[i].joined = false;
	}
	failback_check();
	nodes_changed();
	cl_log_flush();
}

static void decide(void)
{
	size_t best = 0;
	bool equal = true;

	for (size_t i = 1; i < n_states; i++)
		if (states[i].version > states[best].version ||
		    (states[i].version == states[best].version && states[i].id < states[best].id))
			best = i;
	for (size_t i = 0; i < n_states; i++)
		if (states[i].version != states[best].version || states[i].digest != states[best].digest)
			equal = false;
	if (equal) {
		finish_round();
		return;
	}
	donor = states[best].id;
	awaiting_snap = true;
	cl_log(CL_INFO, cl.name, "configurations differ: node %s (version %" PRIu64 ") sends its copy",
	       cluster_node_name(donor), states[best].version);
	if (donor == cl_local_id) {
		struct json_object *snap, *m = json_object_new_object();
		char buf[32];

		if (db_snapshot(cl.db, &snap) < 0)
			fatal_db("snapshot");
		json_object_object_add(m, "v", json_object_new_int64((int64_t) version));
		snprintf(buf, sizeof(buf), "%016" PRIx64, digest);
		json_object_object_add(m, "d", json_object_new_string(buf));
		json_object_object_add(m, "db", snap);
		mcast("snap", m);
	}
	cl_log_flush();
}

static void on_state(uint32_t from, struct json_object *m)
{
	const char *d = jmsg_get_str(m, "d");
	int64_t v = 0;

	if (!round_active || awaiting_snap || !jmsg_get_i64(m, "v", &v) || !d)
		return;
	for (size_t i = 0; i < n_states; i++)
		if (states[i].id == from) {
			states[i].got = true;
			json_object_put(states[i].rs);
			states[i].rs = json_object_get(m);
			states[i].version = (uint64_t) v;
			states[i].digest = strtoull(d, NULL, 16);
		}
	for (size_t i = 0; i < n_states; i++)
		if (!states[i].got)
			return;
	decide();
}

static void on_snap(uint32_t from, struct json_object *m)
{
	struct json_object *snap;
	const char *d = jmsg_get_str(m, "d");
	int64_t v = 0;

	if (!round_active || !awaiting_snap || from != donor || !d || !jmsg_get_i64(m, "v", &v) ||
	    !json_object_object_get_ex(m, "db", &snap))
		return;
	if ((uint64_t) v != version || strtoull(d, NULL, 16) != digest) {
		/* Nothing runs here on a stale copy: a node hosts only while synchronised. */
		for (cl_group *g = cl.groups; g; g = g->next)
			if (g->active)
				engine_group_deactivate(g);
		if (db_restore(cl.db, snap) < 0)
			fatal_db("restoring the snapshot");
		load_version();
		if (engine_reload() < 0)
			fatal_db("reloading");
		cl_log(CL_INFO, cl.name,
		       "configuration replaced by node %s's copy (version %" PRIu64 ")",
		       cluster_node_name(from), version);
	}
	finish_round();
}

static void start_round(void)
{
	round_active = true;
	awaiting_snap = false;
	for (size_t i = 0; i < n_states; i++)
		json_object_put(states[i].rs);
	n_states = 0;
	for (size_t i = 0; i < n_nodes; i++)
		if (nodes[i].member)
			states[n_states++] = (typeof(states[0])) { .id = nodes[i].id };
	send_state();
}

/* ---- requests ----------------------------------------------------------------------------- */

static pending *pending_take(uint64_t tok)
{
	for (pending **p = &pendings; *p; p = &(*p)->next)
		if ((*p)->tok == tok) {
			pending *x = *p;

			*p = x->next;
			return x;
		}
	return NULL;
}

static void pending_free(pending *p)
{
	json_object_put(p->req);
	free(p);
}

static void send_req(pending *p)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "tok", json_object_new_int64((int64_t) p->tok));
	json_object_object_add(m, "o", json_object_new_int64(cl_local_id));
	json_object_object_add(m, "ts", json_object_new_int64(realtime_us() / 1000));
	json_object_object_add(m, "req", json_object_get(p->req));
	mcast("req", m);
}

int cluster_submit(uint64_t client_id, int64_t req_id, struct json_object *req, char *err,
		   size_t errlen)
{
	node *me = node_get(cl_local_id, false);
	pending *p;

	if (!connected || !me || !me->member) {
		snprintf(err, errlen, "this node is not connected to the cluster (Corosync): try again "
				      "or use another node");
		return -EAGAIN;
	}
	if (!cluster_quorate()) {
		snprintf(err, errlen, "no quorum: the configuration cannot change in this partition");
		return -EROFS;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->tok = next_tok++;
	p->client = client_id;
	p->id = req_id;
	p->req = json_object_get(req);
	p->next = pendings;
	pendings = p;
	send_req(p);
	return 0;
}

static void retry_deferred(void)
{
	for (pending *p = pendings; p; p = p->next)
		if (p->deferred) {
			p->deferred = false;
			send_req(p);
		}
}

static void fail_pendings(int code, const char *msg)
{
	while (pendings) {
		pending *p = pendings;

		pendings = p->next;
		api_reply_error(p->client, p->id, code, msg);
		pending_free(p);
	}
}

static void on_req(uint32_t from, struct json_object *m, const char *text, size_t len)
{
	struct json_object *req, *reply;
	char err[512] = "";
	int64_t tok = 0, o = 0;
	const char *op;
	pending *p = NULL;
	int r;

	if (!json_object_object_get_ex(m, "req", &req) || !json_object_is_type(req, json_type_object))
		return;
	(void) jmsg_get_i64(m, "tok", &tok);
	(void) jmsg_get_i64(m, "o", &o);
	if (from == cl_local_id && tok > 0)
		p = pending_take((uint64_t) tok);
	op = jmsg_get_str(req, "op");
	if (round_active) {
		/* Every node rejects it at this point of the order; the sender tries again once the
		 * round is over. */
		if (p && ++p->tries < 10) {
			p->deferred = true;
			p->next = pendings;
			pendings = p;
			return;
		}
		r = -EAGAIN;
		snprintf(err, sizeof(err), "the cluster is synchronising: try again");
		goto answer;
	}
	if (!view_quorate()) {
		r = -EROFS;
		snprintf(err, sizeof(err), "no quorum: the configuration cannot change in this partition");
		goto answer;
	}
	reply = json_object_new_object();
	begin();
	r = api_apply(req, reply, err, sizeof(err));
	if (r >= 0 && op && api_op_changes_config(op) && bump(text, len) < 0)
		fatal_db("version");
	if (r < 0)
		db_rollback(cl.db);
	else
		commit();
	cl_log_flush();
	if (p) {
		if (r >= 0) {
			api_reply(p->client, reply);
			reply = NULL;
		}
	}
	json_object_put(reply);
	if (r >= 0) {
		update_hosting();
		if (p)
			pending_free(p);
		return;
	}
answer:
	if (p) {
		api_reply_error(p->client, p->id, r, err[0] ? err : strerror(-r));
		pending_free(p);
	}
}

/* ---- placement messages ------------------------------------------------------------------- */

static void on_released(uint32_t from, struct json_object *m)
{
	cl_group *g = cl_group_find(jmsg_get_str(m, "g") ? jmsg_get_str(m, "g") : "");
	int64_t to = 0;
	node *t;
	uint32_t target;

	if (!g || round_active || !view_quorate() || g->owner != from || !g->moving_to)
		return;
	(void) jmsg_get_i64(m, "to", &to);
	t = node_get((uint32_t) to, false);
	target = t && node_up(t) ? t->id : best_node(g, from, from);
	g->moving_to = 0;
	if (!target) {
		cl_log(CL_ERROR, g->name, "no node can take the group: it stays on node %s",
		       cluster_node_name(from));
	} else {
		char why[300];

		snprintf(why, sizeof(why), "moved from node %s, which stopped it",
			 cluster_node_name(from));
		begin();
		if (set_owner(g, target, why) < 0)
			fatal_db("placement");
		commit();
	}
	update_hosting();
}

static void on_failover(uint32_t from, struct json_object *m)
{
	cl_group *g = cl_group_find(jmsg_get_str(m, "g") ? jmsg_get_str(m, "g") : "");
	const char *why = jmsg_get_str(m, "why");
	uint32_t threshold, period, target;
	int64_t ts = 0;
	bool allowed;

	if (!g || round_active || !view_quorate() || g->owner != from || g->moving_to ||
	    !jmsg_get_i64(m, "ts", &ts))
		return;
	threshold = group_prop(g, "FailoverThreshold");
	period = group_prop(g, "FailoverPeriod");
	allowed = placement_failover_allowed(g->failovers, g->n_failovers, ts, period, threshold,
					     nodelist_count ? nodelist_count : (unsigned) n_nodes);
	if (g->n_failovers == sizeof(g->failovers) / sizeof(g->failovers[0])) {
		memmove(g->failovers, g->failovers + 1, sizeof(g->failovers) - sizeof(g->failovers[0]));
		g->n_failovers--;
	}
	g->failovers[g->n_failovers++] = ts;
	if (!allowed) {
		cl_log(CL_ERROR, g->name,
		       "FailoverThreshold %" PRIu32 " within FailoverPeriod %" PRIu32
		       " h reached: the group stays Failed on node %s (RetryPeriodOnFailure applies)",
		       threshold, period, cluster_node_name(from));
		return;
	}
	target = best_node(g, from, from);
	if (!target) {
		cl_log(CL_ERROR, g->name,
		       "failover: no other node can host the group: it stays Failed on node %s",
		       cluster_node_name(from));
		return;
	}
	{
		char reason[400];

		snprintf(reason, sizeof(reason), "failover (%s)", why ? why : "resource failure");
		begin();
		start_move(g, target, reason);
		commit();
	}
	update_hosting();
}

static void on_fenced(uint32_t from, struct json_object *m)
{
	int64_t id = 0;
	node *n;

	if (!jmsg_get_i64(m, "n", &id) || !(n = node_get((uint32_t) id, false)) || n->member)
		return;
	n->fenced = true;
	n->fence_logged = false;
	cl_log(CL_INFO, n->name, "node %s is %s: its groups may move", n->name,
	       fence_command ? "fenced" : "clear");
	place_all("after fencing");
	update_hosting();
}

void cluster_request_failover(cl_group *g, const char *why)
{
	struct json_object *m;

	if (!cl_multi || !connected)
		return;
	m = json_object_new_object();
	json_object_object_add(m, "g", json_object_new_string(g->name));
	json_object_object_add(m, "ts", json_object_new_int64(realtime_us() / 1000));
	json_object_object_add(m, "why", json_object_new_string(why));
	mcast("failover", m);
}

/* ---- replicated operations (run by api_apply on every node) -------------------------------- */

int cluster_move(cl_group *g, const char *name, const char *reason, char *err, size_t errlen,
		 uint32_t *ret_target)
{
	uint32_t target;

	if (!cl_multi) {
		if (name && strcmp(name, cl.node) != 0) {
			snprintf(err, errlen, "no node named '%s' in this cluster", name);
			return -EINVAL;
		}
		*ret_target = 0;
		return 0;
	}
	if (name) {
		node *n = node_get(cluster_node_id(name), false);

		if (!n) {
			snprintf(err, errlen, "no node named '%s' in this cluster", name);
			return -ENOENT;
		}
		if (!node_up(n)) {
			snprintf(err, errlen, "node '%s' is %s: it cannot take groups", name,
				 node_state(n));
			return -EHOSTDOWN;
		}
		target = n->id;
		for (cl_res *r = cl.resources; r; r = r->next) {
			struct json_object *po = strlist(r->props, "PossibleOwners");

			if (r->group == g && po && !strlist_has(po, name)) {
				snprintf(err, errlen, "node '%s' is not a possible owner of resource '%s'",
					 name, r->name);
				return -EINVAL;
			}
		}
	} else {
		target = best_node(g, g->owner, 0);
		if (!target)
			target = g->owner;
		if (!target) {
			snprintf(err, errlen, "no node can host group '%s'", g->name);
			return -EHOSTDOWN;
		}
	}
	*ret_target = target;
	if (target == g->owner && !g->moving_to)
		return 0;
	if (reason && strcmp(reason, "failback") == 0)
		start_move(g, target, "AutoFailbackType 1: failing back to a preferred node");
	else
		start_move(g, target, name ? "move requested" : "move requested (best possible node)");
	return 0;
}

static node *node_by_name(const char *name, char *err, size_t errlen)
{
	node *n = cl_multi ? node_get(cluster_node_id(name), false) : NULL;

	if (!n)
		snprintf(err, errlen, "no node named '%s' in this cluster", name);
	return n;
}

int cluster_node_pause(const char *name, bool drain, char *err, size_t errlen)
{
	node *n = node_by_name(name, err, errlen);

	if (!n)
		return -ENOENT;
	if (db_node_set_paused(cl.db, n->id, true) < 0) {
		snprintf(err, errlen, "cluster database: %s", db_errmsg(cl.db));
		return -EIO;
	}
	n->paused = true;
	cl_log(CL_INFO, n->name, "node %s paused%s", n->name, drain ? ", draining its groups" : "");
	if (drain)
		for (cl_group *g = cl.groups; g; g = g->next) {
			uint32_t target;

			if (g->owner != n->id)
				continue;
			target = best_node(g, n->id, n->id);
			if (!target) {
				cl_log(CL_WARNING, g->name, "drain: no other node can host the group: "
							    "it stays on node %s",
				       n->name);
				continue;
			}
			start_move(g, target, "drain of a paused node");
		}
	nodes_changed();
	return 0;
}

int cluster_node_resume(const char *name, char *err, size_t errlen)
{
	node *n = node_by_name(name, err, errlen);

	if (!n)
		return -ENOENT;
	if (db_node_set_paused(cl.db, n->id, false) < 0) {
		snprintf(err, errlen, "cluster database: %s", db_errmsg(cl.db));
		return -EIO;
	}
	n->paused = false;
	cl_log(CL_INFO, n->name, "node %s resumed", n->name);
	place_all("node resumed");
	failback_candidate(n->id);
	failback_check();
	nodes_changed();
	return 0;
}

int cluster_set(struct json_object *props, char *err, size_t errlen)
{
	json_object_object_foreach(props, k, v) {
		if (strcmp(k, "FencingCommand") != 0) {
			snprintf(err, errlen, "unknown cluster property '%s' (known: FencingCommand)", k);
			return -EINVAL;
		}
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "FencingCommand must be a string (\"\" to remove)");
			return -EINVAL;
		}
	}
	json_object_object_foreach(props, key, val) {
		if (db_meta_set(cl.db, key, json_object_get_string(val)) < 0) {
			snprintf(err, errlen, "cluster database: %s", db_errmsg(cl.db));
			return -EIO;
		}
		cl_log(CL_INFO, cl.name, "%s set to '%s'", key, json_object_get_string(val));
	}
	load_fence_command();
	return 0;
}

/* ---- Corosync ----------------------------------------------------------------------------- */

static void deliver(cpg_handle_t h, const struct cpg_name *gn, uint32_t nodeid, uint32_t pid,
		    void *msg, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *m = json_tokener_parse_ex(tok, msg, (int) len);
	const char *t;

	json_tokener_free(tok);
	if (!m || !json_object_is_type(m, json_type_object) || !(t = jmsg_get_str(m, "t"))) {
		cl_log(CL_WARNING, cl.name, "malformed cluster message from node %" PRIu32 " dropped",
		       nodeid);
		json_object_put(m);
		return;
	}
	if (strcmp(t, "req") == 0)
		on_req(nodeid, m, msg, len);
	else if (strcmp(t, "rs") == 0)
		on_rs(nodeid, m);
	else if (strcmp(t, "state") == 0)
		on_state(nodeid, m);
	else if (strcmp(t, "snap") == 0)
		on_snap(nodeid, m);
	else if (strcmp(t, "released") == 0)
		on_released(nodeid, m);
	else if (strcmp(t, "failover") == 0)
		on_failover(nodeid, m);
	else if (strcmp(t, "fenced") == 0)
		on_fenced(nodeid, m);
	json_object_put(m);
	cl_log_flush();
}

static void confchg(cpg_handle_t h, const struct cpg_name *gn, const struct cpg_address *member,
		    size_t n_member, const struct cpg_address *left, size_t n_left,
		    const struct cpg_address *joined, size_t n_joined)
{
	for (size_t i = 0; i < n_nodes; i++)
		nodes[i].member = false;
	for (size_t i = 0; i < n_member; i++) {
		node *n = node_get(member[i].nodeid, true);

		if (n)
			n->member = true;
	}
	for (size_t i = 0; i < n_left; i++) {
		node *n = node_get(left[i].nodeid, false);

		if (n && !n->member) {
			n->synced = false;
			n->fenced = false;
			n->fence_logged = false;
			n->procdown = left[i].reason == CPG_REASON_PROCDOWN ||
				      left[i].reason == CPG_REASON_LEAVE;
			cl_log(CL_WARNING, n->name, "node %s left the cluster (%s)", n->name,
			       left[i].reason == CPG_REASON_NODEDOWN	 ? "node down"
			       : left[i].reason == CPG_REASON_PROCDOWN ? "cluster service down"
								       : "left");
		}
	}
	for (size_t i = 0; i < n_joined; i++) {
		node *n = node_get(joined[i].nodeid, false);

		if (n) {
			n->synced = false;
			n->fenced = false;
			n->fence_logged = false;
			n->joined = true;
			cl_log(CL_INFO, n->name, "node %s joined the cluster", n->name);
		}
	}
	if (fence_pid && node_get(fence_node, false) && node_get(fence_node, false)->member)
		kill(fence_pid, SIGTERM);
	start_round();
	update_hosting();
	nodes_changed();
	cl_log_flush();
}

static void vq_notify(votequorum_handle_t h, uint64_t context, uint32_t quorate, uint32_t n,
		      votequorum_node_t list[])
{
	if (vq_quorate != (quorate != 0))
		cl_log(quorate ? CL_INFO : CL_WARNING, cl.name, "quorum %s (votequorum)",
		       quorate ? "gained" : "lost");
	vq_quorate = quorate != 0;
	update_hosting();
}

static void disconnect(const char *why)
{
	if (!connected)
		return;
	connected = false;
	cpg_source = sd_event_source_disable_unref(cpg_source);
	vq_source = sd_event_source_disable_unref(vq_source);
	cpg_finalize(cpg);
	votequorum_finalize(vq);
	drop_queue();
	for (size_t i = 0; i < n_nodes; i++)
		nodes[i].member = nodes[i].synced = false;
	round_active = awaiting_snap = false;
	vq_quorate = false;
	cl_log(CL_ERROR, cl.name, "lost Corosync (%s): stopping every group here at once", why);
	update_hosting();
	/* The others take over within a token timeout: do not wait for offline. */
	for (cl_group *g = cl.groups; g; g = g->next)
		if (!engine_group_local_idle(g))
			engine_group_terminate(g);
	fail_pendings(-ENOTCONN, "lost the connection to Corosync before the change was applied");
	cl_log_flush();
}

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata)
{
	if (connect_corosync() < 0) {
		(void) sd_event_source_set_time_relative(s, 500 * 1000);
		(void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
		return 0;
	}
	reconnect_timer = sd_event_source_disable_unref(reconnect_timer);
	return 0;
}

static void schedule_reconnect(void)
{
	if (!reconnect_timer)
		(void) sd_event_add_time_relative(cl.event, &reconnect_timer, CLOCK_MONOTONIC,
						  500 * 1000, 1000, on_reconnect, NULL);
}

static int on_cpg(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	cs_error_t e = cpg_dispatch(cpg, CS_DISPATCH_ALL);

	if (e != CS_OK && e != CS_ERR_TRY_AGAIN) {
		disconnect("cpg dispatch failed");
		schedule_reconnect();
	}
	return 0;
}

static int on_vq(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	cs_error_t e = votequorum_dispatch(vq, CS_DISPATCH_ALL);

	if (e != CS_OK && e != CS_ERR_TRY_AGAIN) {
		disconnect("votequorum dispatch failed");
		schedule_reconnect();
	}
	return 0;
}

/* The nodelist (names and ids) and the cluster name, from cmap. */
static int read_cmap(void)
{
	cmap_handle_t cm;
	char key[128], *s = NULL;

	if (cmap_initialize(&cm) != CS_OK)
		return -ECONNREFUSED;
	nodelist_count = 0;
	for (unsigned i = 0; i < MAX_NODES; i++) {
		uint32_t id;
		node *n;

		snprintf(key, sizeof(key), "nodelist.node.%u.nodeid", i);
		if (cmap_get_uint32(cm, key, &id) != CS_OK)
			break;
		nodelist_count++;
		if (!(n = node_get(id, true)))
			continue;
		n->in_nodelist = true;
		snprintf(key, sizeof(key), "nodelist.node.%u.name", i);
		if (cmap_get_string(cm, key, &s) != CS_OK) {
			snprintf(key, sizeof(key), "nodelist.node.%u.ring0_addr", i);
			if (cmap_get_string(cm, key, &s) != CS_OK)
				s = NULL;
		}
		if (s) {
			free(n->name);
			n->name = s;
			s = NULL;
		}
	}
	if (cmap_get_string(cm, "totem.cluster_name", &s) == CS_OK && s) {
		free(cl.name);
		cl.name = s;
		(void) db_meta_set(cl.db, "cluster_name", s);
	}
	cmap_finalize(cm);
	return 0;
}

static int connect_corosync(void)
{
	cpg_model_v1_data_t model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = deliver,
		.cpg_confchg_fn = confchg,
		.flags = 0,
	};
	votequorum_callbacks_t vcb = { .votequorum_quorum_notify_fn = vq_notify };
	struct cpg_name name;
	unsigned int local;
	int fd, vfd;
	node *me;

	if (read_cmap() < 0)
		return -ECONNREFUSED;
	if (cpg_model_initialize(&cpg, CPG_MODEL_V1, (cpg_model_data_t *) &model, NULL) != CS_OK)
		return -ECONNREFUSED;
	if (votequorum_initialize(&vq, &vcb) != CS_OK) {
		cpg_finalize(cpg);
		return -ECONNREFUSED;
	}
	if (cpg_local_get(cpg, &local) != CS_OK || cpg_fd_get(cpg, &fd) != CS_OK ||
	    votequorum_fd_get(vq, &vfd) != CS_OK ||
	    votequorum_trackstart(vq, 0, CS_TRACK_CHANGES | CS_TRACK_CURRENT) != CS_OK) {
		cpg_finalize(cpg);
		votequorum_finalize(vq);
		return -ECONNREFUSED;
	}
	cl_local_id = local;
	me = node_get(local, true);
	if (me && strcmp(cl.node, me->name) != 0) {
		free(cl.node);
		cl.node = strdup(me->name);
	}
	snprintf(name.value, sizeof(name.value), GROUP_NAME);
	name.length = strlen(GROUP_NAME);
	if (cpg_join(cpg, &name) != CS_OK) {
		cpg_finalize(cpg);
		votequorum_finalize(vq);
		return -ECONNREFUSED;
	}
	if (sd_event_add_io(cl.event, &cpg_source, fd, EPOLLIN, on_cpg, NULL) < 0 ||
	    sd_event_add_io(cl.event, &vq_source, vfd, EPOLLIN, on_vq, NULL) < 0)
		abort();
	connected = true;
	cl_log(CL_INFO, cl.name, "connected to Corosync as node %s (id %" PRIu32 "), %u node(s) "
				 "in the nodelist",
	       cl.node, cl_local_id, nodelist_count);
	cl_log_flush();
	return 0;
}

int cluster_start(bool must)
{
	int r;

	required = must;
	cl_multi = true;
	load_version();
	r = connect_corosync();
	if (r < 0 && !must) {
		cl_multi = false;
		return 0;
	}
	if (r < 0) {
		cl_log(CL_WARNING, cl.name, "Corosync is not reachable yet: retrying");
		schedule_reconnect();
	}
	(void) sd_event_add_time_relative(cl.event, &failback_timer, CLOCK_MONOTONIC,
					  FAILBACK_CHECK_MS * 1000ULL, 1000 * 1000, on_failback_timer,
					  NULL);
	return 0;
}

void cluster_stop(void)
{
	if (!cl_multi)
		return;
	if (connected) {
		struct cpg_name name;

		flush_out();
		snprintf(name.value, sizeof(name.value), GROUP_NAME);
		name.length = strlen(GROUP_NAME);
		(void) cpg_leave(cpg, &name);
		cpg_finalize(cpg);
		votequorum_finalize(vq);
		connected = false;
	}
	drop_queue();
	fail_pendings(-ESHUTDOWN, "the cluster service is stopping");
	if (fence_pid)
		kill(fence_pid, SIGTERM);
	sd_event_source_disable_unref(cpg_source);
	sd_event_source_disable_unref(vq_source);
	sd_event_source_disable_unref(reconnect_timer);
	sd_event_source_disable_unref(send_timer);
	sd_event_source_disable_unref(rs_defer);
	sd_event_source_disable_unref(terminate_timer);
	sd_event_source_disable_unref(fence_timer);
	sd_event_source_disable_unref(fence_child);
	sd_event_source_disable_unref(failback_timer);
	json_object_put(rs_batch);
	for (size_t i = 0; i < n_nodes; i++)
		free(nodes[i].name);
	free(fence_command);
}
