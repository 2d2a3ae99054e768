/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * wolfpackd's model. One thread, one sd-event loop: the API server (api.c), the Resource
 * Monitors it supervises (monitors.c) and the engine that applies WSFC's policy (engine.c)
 * all run on it, so the model needs no locks.
 *
 * The database (db.c) holds configuration; the model holds configuration and runtime state.
 * Every change is written to the database first and applied to the model only if that
 * succeeded, so what a client was told is what the database has.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "db.h"
#include "deps.h"
#include "jmsg.h"
#include "policy.h"
#include "props.h"
#include "state-name.h"
#include "wolfpack/clusapi.h" /* WP_GROUP_* state values */
#include "wolfpack/resapi.h"  /* WP_RESOURCE_* state values */

struct json_object;

#define CL_INFINITE 0xFFFFFFFFu

typedef struct cl_type {
	char *name;
	char *dll;
	struct json_object *props; /* explicitly set common properties */
	struct cl_type *next;
} cl_type;

typedef struct cl_monitor cl_monitor;
typedef struct cl_group cl_group;

typedef struct cl_res {
	char *name;
	cl_type *type;
	cl_group *group;
	struct json_object *props;  /* explicitly set common properties */
	struct json_object *params; /* private properties (string values) */
	char *dep_text;             /* canonical dependency expression, "" if none */
	deps_expr *deps;
	bool persistent;            /* PersistentState: online after a daemon restart */

	/* Runtime. */
	uint32_t id;                /* the monitor's instance id (new one at every open) */
	cl_monitor *mon;
	bool opened;                /* the monitor has an instance for id */
	bool open_state_due;        /* the monitor's Offline state that completes an open */
	bool params_dirty;          /* private properties changed: reopen before next online */
	int shared_state;           /* the state as last announced to the cluster (every node
				     * sees the same one at the same point of the total order) */
	bool isolated;              /* crashed or deadlocked a shared monitor: runs in its own
				     * from then on (until the daemon restarts), as WSFC does */
	int state;                  /* CLUSTER_RESOURCE_STATE */
	uint32_t status_information;
	uint32_t last_operation_status;
	bool want_online;           /* desired state */
	bool start_requested;       /* a start decided but not yet sent (see engine.c) */
	bool failure_reported;      /* a failure event came; its Failed state is a new failure */
	bool offline_cascade;       /* being taken offline after its dependents */
	policy_history history;
	struct {
		bool set;
		char source[32];
		int failure_type;
		uint32_t app_error;
		int64_t time_us; /* CLOCK_REALTIME */
	} last_failure;
	sd_event_source *restart_timer, *retry_timer;
	struct cl_res *next;        /* all resources */
} cl_res;

struct cl_group {
	char *name;
	struct json_object *props;
	int state;                  /* derived CLUSTER_GROUP_STATE */
	unsigned counts[4];         /* members by state class (engine.c), so the group's state is
				     * derived in O(1), not by scanning every resource */
	unsigned with_deps;         /* members that have a dependency expression */
	bool failed;                /* escalated (RestartAction 2 past threshold) */
	sd_event_source *retry_timer;
	/* Many nodes (cluster.c). owner is replicated (database, total order); the rest is
	 * runtime. */
	uint32_t owner;             /* node id of the owner, 0 = none yet */
	uint32_t moving_to;         /* a move in progress: the owner stops it, then releases */
	bool active;                /* this node runs it (owner, allowed to host, activated) */
	bool release_sent;
	uint32_t failback_to;       /* AutoFailbackType 1: a preferred node became available */
	int64_t failovers[16];      /* recent failovers (ms, realtime of the deciding message) */
	unsigned n_failovers;
	struct cl_group *next;
};

struct cl_monitor {
	pid_t pid;
	int fd;
	jmsg_outbox outbox;         /* commands the socket could not take yet */
	bool separate;              /* dedicated to one resource (SeparateMonitor) */
	char *name;
	sd_event_source *io, *child;
	bool deadlocked;            /* reported a deadlock before dying */
	char *deadlock_what;
	unsigned restarts;          /* for backoff */
	uint64_t last_start_us;
	struct cl_monitor *next;
};

typedef struct cluster {
	sd_event *event;
	db *db;
	char *name;                 /* cluster name = host name by default */
	char *node;                 /* this node's name */
	char *state_dir;
	char *socket_path;
	char *resmon_path;
	char **plugin_dirs;
	bool foreground;
	cl_type *types;
	cl_group *groups;
	cl_res *resources;
	cl_res **resources_tail;
	cl_monitor *monitors;
	cl_monitor *default_monitor;
	uint32_t next_id;
	bool shutting_down;
} cluster;

extern cluster cl;

/* engine.c: the model and its policy. */
cl_type *cl_type_find(const char *name);
cl_group *cl_group_find(const char *name);
cl_res *cl_res_find(const char *name);
cl_res *cl_res_by_id(uint32_t id);
uint32_t res_prop(const cl_res *r, const char *name);
uint32_t group_prop(const cl_group *g, const char *name);
int engine_load(void);
void engine_start(void);
void engine_stop(void);

int engine_res_create(const char *name, const char *type, const char *group,
		      struct json_object *params, bool separate, char *err, size_t errlen);
int engine_res_delete(cl_res *r, char *err, size_t errlen);
int engine_res_set(cl_res *r, struct json_object *props, struct json_object *params, char *err,
		   size_t errlen);
int engine_res_set_deps(cl_res *r, const char *expr, bool add, char *err, size_t errlen);
int engine_res_online(cl_res *r, char *err, size_t errlen);
int engine_res_offline(cl_res *r, char *err, size_t errlen);
int engine_res_fail(cl_res *r, char *err, size_t errlen);
int engine_group_create(const char *name, char *err, size_t errlen);
int engine_group_delete(cl_group *g, char *err, size_t errlen);
int engine_group_set(cl_group *g, struct json_object *props, char *err, size_t errlen);
int engine_group_online(cl_group *g, char *err, size_t errlen);
int engine_group_offline(cl_group *g, char *err, size_t errlen);
int engine_type_create(const char *name, const char *dll, char *err, size_t errlen);
uint32_t engine_restart_count(const cl_res *r);

/* Monitor events, from monitors.c. */
void engine_on_open(cl_res *r);
void engine_on_state(cl_res *r, int state, uint32_t status_information);
void engine_on_failure(cl_res *r, const char *source, int failure_type, uint32_t app_error,
		       const char *action);
void engine_on_status_information(cl_res *r, uint32_t status_information);
void engine_on_monitor_lost(cl_monitor *m, const char *why);
void engine_monitor_started(cl_monitor *m);
bool engine_monitor_has_resources(cl_monitor *m);

/* monitors.c */
int monitors_start(void);
cl_monitor *monitor_for(cl_res *r);
int monitor_send(cl_monitor *m, struct json_object *cmd); /* takes ownership */
void monitor_open(cl_res *r);
void monitor_cmd(cl_res *r, const char *op);
void monitor_set_timing(cl_res *r);
bool monitor_pid_is_ours(pid_t pid);
void monitors_stop(void);
void monitor_release(cl_monitor *m);

/* Placement and cluster hooks of the engine (engine.c). */
bool engine_group_here(const cl_group *g);    /* this node owns it (or the cluster is one node) */
bool engine_group_idle(const cl_group *g);    /* nothing in it active or pending, by shared state */
bool engine_group_local_idle(const cl_group *g); /* nothing in it active here */
void engine_group_activate(cl_group *g);      /* start running it here (owner + may host) */
void engine_group_deactivate(cl_group *g);    /* stop running it here (offline, keep intent) */
void engine_group_terminate(cl_group *g);     /* terminate what is still running here */
void engine_remote_state(cl_res *r, int state, uint32_t si);
void engine_shared_state(cl_res *r, int state);
int engine_reload(void);                      /* after the database was replaced */
int engine_set_owner(cl_group *g, uint32_t owner); /* database + model */

/* cluster.c: many nodes through Corosync (CPG, votequorum, cmap). */
extern bool cl_multi;            /* Corosync mode (else the one-node embedded default) */
extern uint32_t cl_local_id;     /* this node's Corosync node id (0 in one-node mode) */
int cluster_start(bool required); /* required: --cluster corosync (else only if reachable) */
void cluster_stop(void);
bool cluster_may_host(void);
const char *cluster_node_name(uint32_t id); /* "" for 0, "node<ID>" if unknown */
uint32_t cluster_node_id(const char *name); /* 0 if unknown */
/* A write request from a client: replicated, applied everywhere in total order, answered when
 * applied here. Returns 0 (the reply comes later through api_reply) or -errno + message. */
int cluster_submit(uint64_t client_id, int64_t req_id, struct json_object *req, char *err,
		   size_t errlen);
void cluster_on_res_state(cl_res *r);     /* a local resource changed state: announce it */
void cluster_on_group_idle(cl_group *g);  /* a group being moved away stopped here */
void cluster_request_failover(cl_group *g, const char *why);
void cluster_place_new(cl_group *g);      /* a group created by a replicated request */
int cluster_move(cl_group *g, const char *node, const char *reason, char *err, size_t errlen,
		 uint32_t *ret_target);
int cluster_node_pause(const char *node, bool drain, char *err, size_t errlen);
int cluster_node_resume(const char *node, char *err, size_t errlen);
int cluster_set(struct json_object *props, char *err, size_t errlen);
struct json_object *cluster_nodes_json(void);
bool cluster_quorate(void);

/* api.c */
extern size_t api_event_backlog; /* bytes of undelivered events before "reconnect" */
int api_start(const char *path);
void api_stop(void);
/* Broadcasts an event to subscribers whose filter has bit (takes ownership of ev). */
void api_notify(uint32_t bit, struct json_object *ev);
/* Applies a replicated write request (no client): the handler's result, reply filled. */
int api_apply(struct json_object *req, struct json_object *reply, char *err, size_t errlen);
bool api_op_changes_config(const char *op);
/* Answers a request of a client by id (gone clients are skipped). Takes ownership. */
void api_reply(uint64_t client_id, struct json_object *reply);
void api_reply_error(uint64_t client_id, int64_t req_id, int code, const char *msg);

/* Notification bits (CLUSTER_CHANGE_*). */
#define CHANGE_RESOURCE_STATE    0x00000100u
#define CHANGE_RESOURCE_DELETED  0x00000200u
#define CHANGE_RESOURCE_ADDED    0x00000400u
#define CHANGE_RESOURCE_PROPERTY 0x00000800u
#define CHANGE_GROUP_STATE       0x00001000u
#define CHANGE_GROUP_DELETED     0x00002000u
#define CHANGE_GROUP_ADDED       0x00004000u
#define CHANGE_GROUP_PROPERTY    0x00008000u
#define CHANGE_CLUSTER_RECONNECT 0x00080000u
#define CHANGE_LOG               0x40000000u /* ours: cluster log lines */

/* log (engine.c): the cluster log, in the database and to subscribers and stderr. */
enum { CL_INFO = 0, CL_WARNING = 1, CL_ERROR = 2, CL_SEVERE = 3 };
void cl_log(int level, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cl_log_flush(void);
int64_t realtime_us(void);
void format_time(int64_t time_us, char *buf, size_t len);
