/* SPDX-License-Identifier: MIT */
/*
 * The engine: the cluster model and WSFC's policy applied to it.
 *
 * Two flags per resource carry intent. want_online is what the administrator asked for (and
 * what PersistentState remembers); start_requested is a start the engine has decided on but
 * could not send yet (the instance is still opening, or a dependency is not online). Every
 * path that may unblock a start (open done, a dependency online, a timer) calls
 * start_if_ready(), which sends "online" only when everything holds.
 *
 * Failures: the monitor reports the failure (recorded as last_failure) and, once terminate
 * has run, the Failed state. The policy is applied at that Failed transition, whatever the
 * source was: is_alive, event fd, SignalFailure, online/offline error, pending timeout,
 * FailClusterResource, or a monitor that crashed or deadlocked (synthesised here).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "clusterd.h"
#include "idmap.h"
#include "time-util.h"

cluster cl;

static idmap by_id; /* monitor instance id -> resource */

/* ---- names and lookups --------------------------------------------------------------------- */

cl_type *cl_type_find(const char *name)
{
	for (cl_type *t = cl.types; t; t = t->next)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

cl_group *cl_group_find(const char *name)
{
	for (cl_group *g = cl.groups; g; g = g->next)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

cl_res *cl_res_find(const char *name)
{
	for (cl_res *r = cl.resources; r; r = r->next)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

cl_res *cl_res_by_id(uint32_t id)
{
	return idmap_get(&by_id, id);
}

static bool explicit_u32(struct json_object *props, const char *name, uint32_t *ret)
{
	struct json_object *v;

	if (!props || !json_object_object_get_ex(props, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*ret = (uint32_t) json_object_get_int64(v);
	return true;
}

static uint32_t type_prop(const cl_type *t, const char *name)
{
	const prop_def *d = props_find(PROP_TYPE, name);
	uint32_t v;

	if (explicit_u32(t->props, name, &v))
		return v;
	return d ? d->def : 0;
}

/* A resource's value: set on the resource, else set on its type (for properties both have),
 * else the default. LooksAlive/IsAlivePollInterval 0xFFFFFFFF on a resource means "the
 * type's value" (WSFC). */
uint32_t res_prop(const cl_res *r, const char *name)
{
	const prop_def *d = props_find(PROP_RESOURCE, name);
	bool interval = strcmp(name, "LooksAlivePollInterval") == 0 ||
			strcmp(name, "IsAlivePollInterval") == 0;
	uint32_t v;

	if (explicit_u32(r->props, name, &v) && !(interval && v == CL_INFINITE))
		return v;
	if (props_find(PROP_TYPE, name) && (interval || explicit_u32(r->type->props, name, &v)))
		return type_prop(r->type, name);
	return d ? d->def : 0;
}

uint32_t group_prop(const cl_group *g, const char *name)
{
	const prop_def *d = props_find(PROP_GROUP, name);
	uint32_t v;

	if (explicit_u32(g->props, name, &v))
		return v;
	return d ? d->def : 0;
}

static uint64_t now_ms(void)
{
	return now_us() / 1000;
}

int64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void format_time(int64_t time_us, char *buf, size_t len)
{
	time_t s = (time_t) (time_us / 1000000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int) (time_us % 1000000 / 1000));
}

/* ---- the cluster log ---------------------------------------------------------------------- */

typedef struct log_entry {
	int64_t time_us;
	int level;
	char *object;
	char *message;
	struct log_entry *next;
} log_entry;

static log_entry *log_head, **log_tail = &log_head;
static sd_event_source *log_flush_source;
static unsigned log_appended;

/* Lines are written in one transaction per loop iteration: a burst of decisions costs one
 * commit, not one each. */
void cl_log_flush(void)
{
	log_entry *e = log_head;

	if (!e)
		return;
	log_head = NULL;
	log_tail = &log_head;
	if (db_log_begin(cl.db) < 0)
		fprintf(stderr, "wolfpackd: cluster log: %s\n", db_errmsg(cl.db));
	while (e) {
		log_entry *next = e->next;
		int64_t seq = db_log_append(cl.db, e->time_us, e->level, e->object, e->message);
		struct json_object *ev = json_object_new_object();
		char t[40];

		format_time(e->time_us, t, sizeof(t));
		json_object_object_add(ev, "event", json_object_new_string("log"));
		/* "seq" is the connection's event counter; the line's own number is log_seq (the
		 * "seq" of log.get entries). */
		json_object_object_add(ev, "log_seq", json_object_new_int64(seq));
		json_object_object_add(ev, "time", json_object_new_string(t));
		json_object_object_add(ev, "level", json_object_new_int(e->level));
		json_object_object_add(ev, "object", json_object_new_string(e->object));
		json_object_object_add(ev, "message", json_object_new_string(e->message));
		api_notify(CHANGE_LOG, ev);
		free(e->object);
		free(e->message);
		free(e);
		e = next;
		log_appended++;
	}
	if (db_log_commit(cl.db) < 0)
		fprintf(stderr, "wolfpackd: cluster log commit: %s\n", db_errmsg(cl.db));
	if (log_appended > 10000) {
		log_appended = 0;
		(void) db_log_trim(cl.db, 100000);
	}
}

static int on_log_flush(sd_event_source *s, void *userdata)
{
	cl_log_flush();
	return 0;
}

void cl_log(int level, const char *object, const char *fmt, ...)
{
	log_entry *e = calloc(1, sizeof(*e));
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	if (vasprintf(&e->message, fmt, ap) < 0)
		e->message = NULL;
	va_end(ap);
	e->object = strdup(object ? object : "");
	e->time_us = realtime_us();
	e->level = level < 0 ? 0 : level > 3 ? 3 : level;
	if (!e->message || !e->object) {
		free(e->message);
		free(e->object);
		free(e);
		return;
	}
	fprintf(stderr, "<%d>%s%s%s\n", 6 - e->level, e->object, e->object[0] ? ": " : "",
		e->message);
	*log_tail = e;
	log_tail = &e->next;
	if (!log_flush_source && cl.event)
		(void) sd_event_add_post(cl.event, &log_flush_source, on_log_flush, NULL);
	if (log_flush_source)
		sd_event_source_set_enabled(log_flush_source, SD_EVENT_ON);
}

/* ---- notifications ------------------------------------------------------------------------ */

static void notify_res(uint32_t bit, const char *event, cl_res *r)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "event", json_object_new_string(event));
	json_object_object_add(e, "resource", json_object_new_string(r->name));
	json_object_object_add(e, "group", json_object_new_string(r->group->name));
	if (bit == CHANGE_RESOURCE_STATE) {
		json_object_object_add(e, "state", json_object_new_string(resource_state_name(r->state)));
		json_object_object_add(e, "state_code", json_object_new_int(r->state));
	}
	api_notify(bit, e);
}

static void notify_group(uint32_t bit, const char *event, cl_group *g)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "event", json_object_new_string(event));
	json_object_object_add(e, "group", json_object_new_string(g->name));
	if (bit == CHANGE_GROUP_STATE) {
		json_object_object_add(e, "state", json_object_new_string(group_state_name(g->state)));
		json_object_object_add(e, "state_code", json_object_new_int(g->state));
	}
	api_notify(bit, e);
}

/* State classes counted per group. */
enum { CLASS_ONLINE, CLASS_FAILED, CLASS_PENDING, CLASS_OFFLINE };

static int state_class(int state)
{
	if (state == WP_RESOURCE_ONLINE)
		return CLASS_ONLINE;
	if (state == WP_RESOURCE_FAILED)
		return CLASS_FAILED;
	if (state >= WP_RESOURCE_PENDING)
		return CLASS_PENDING;
	return CLASS_OFFLINE;
}

/* CLUSTER_GROUP_STATE from the members: Failed > Pending > PartialOnline > Online/Offline. */
static void update_group_state(cl_group *g)
{
	unsigned online = g->counts[CLASS_ONLINE], failed = g->counts[CLASS_FAILED];
	unsigned pending = g->counts[CLASS_PENDING], offline = g->counts[CLASS_OFFLINE];
	unsigned n = online + failed + pending + offline;
	int state;

	if (failed)
		state = WP_GROUP_FAILED;
	else if (pending)
		state = WP_GROUP_PENDING;
	else if (n == 0 || offline == n)
		state = WP_GROUP_OFFLINE;
	else if (online == n)
		state = WP_GROUP_ONLINE;
	else
		state = WP_GROUP_PARTIAL_ONLINE;
	if (state == g->state)
		return;
	g->state = state;
	notify_group(CHANGE_GROUP_STATE, "group_state", g);
}

static bool busy(int state)
{
	return state == WP_RESOURCE_ONLINE || state == WP_RESOURCE_ONLINE_PENDING ||
	       state == WP_RESOURCE_PENDING || state == WP_RESOURCE_OFFLINE_PENDING;
}

static void set_state(cl_res *r, int state)
{
	if (r->state == state)
		return;
	r->group->counts[state_class(r->state)]--;
	r->group->counts[state_class(state)]++;
	r->state = state;
	notify_res(CHANGE_RESOURCE_STATE, "resource_state", r);
	update_group_state(r->group);
	cluster_on_res_state(r);
	if (r->group->moving_to && !busy(state) && engine_group_here(r->group) &&
	    engine_group_local_idle(r->group))
		cluster_on_group_idle(r->group);
}

/* ---- placement (see cluster.c) ------------------------------------------------------------ */

bool engine_group_here(const cl_group *g)
{
	return !cl_multi || g->owner == cl_local_id;
}

/* Runs here now: owner, allowed to host, activated, not being moved away. */
static bool group_runs_here(const cl_group *g)
{
	return !cl_multi || (g->owner == cl_local_id && g->active && !g->moving_to);
}

bool engine_group_idle(const cl_group *g)
{
	for (cl_res *r = cl.resources; r; r = r->next)
		if (r->group == g && busy(r->shared_state))
			return false;
	return true;
}

bool engine_group_local_idle(const cl_group *g)
{
	for (cl_res *r = cl.resources; r; r = r->next)
		if (r->group == g && engine_group_here(g) && busy(r->state))
			return false;
	return true;
}

void engine_remote_state(cl_res *r, int state, uint32_t si)
{
	r->status_information = si;
	set_state(r, state);
}

void engine_shared_state(cl_res *r, int state)
{
	r->shared_state = state;
}

/* ---- dependencies ------------------------------------------------------------------------- */

static bool dep_online(const char *name, void *userdata)
{
	const cl_res *except = userdata, *d = cl_res_find(name);

	return d && d != except && d->state == WP_RESOURCE_ONLINE;
}

static bool deps_ok(const cl_res *r, const cl_res *except)
{
	return !r->deps || deps_satisfied(r->deps, dep_online, (void *) except);
}

static bool depends_on(const cl_res *r, const cl_res *dep)
{
	return r->deps && r != dep && r->group == dep->group && deps_mentions(r->deps, dep->name);
}

static bool is_active(int state)
{
	return state == WP_RESOURCE_ONLINE || state == WP_RESOURCE_ONLINE_PENDING || state == WP_RESOURCE_PENDING;
}

/* ---- starting and stopping ---------------------------------------------------------------- */

static void cancel_timers(cl_res *r)
{
	r->restart_timer = sd_event_source_disable_unref(r->restart_timer);
	r->retry_timer = sd_event_source_disable_unref(r->retry_timer);
}

static void res_open(cl_res *r)
{
	if (r->id)
		idmap_remove(&by_id, r->id);
	r->mon = monitor_for(r);
	monitor_open(r);
	if (idmap_put(&by_id, r->id, r) < 0)
		abort();
}

/* Sends online when the decision to start holds and nothing blocks it. */
static void start_if_ready(cl_res *r)
{
	if (!r->start_requested || busy(r->state))
		return;
	if (r->group->failed || !r->opened || !deps_ok(r, NULL))
		return; /* a later event (group retry, open, dependency online) calls again */
	if (!group_runs_here(r->group))
		return; /* another node runs it, or this one may not yet (activation calls again) */
	if (r->params_dirty) {
		/* New private properties reach the plugin through a new instance. */
		monitor_cmd(r, "close");
		res_open(r);
		return; /* engine_on_open comes back here */
	}
	r->start_requested = false;
	/* WSFC shows OnlinePending while Online runs; the monitor's events take it from here. */
	set_state(r, WP_RESOURCE_ONLINE_PENDING);
	monitor_cmd(r, "online");
}

/* Online, dependencies first (each of them, for every clause: an OR clause needs one, but
 * bringing all of them up is what a cautious operator expects and what WSFC does). */
static void bring_online(cl_res *r, unsigned depth)
{
	if (depth > 64 || is_active(r->state))
		return;
	r->start_requested = true;
	for (size_t i = 0; r->deps && i < r->deps->n_clauses; i++)
		for (size_t j = 0; j < r->deps->clauses[i].n_names; j++) {
			cl_res *d = cl_res_find(r->deps->clauses[i].names[j]);

			if (d && d->group == r->group) {
				d->want_online = true;
				bring_online(d, depth + 1);
			}
		}
	start_if_ready(r);
}

/* Offline, dependents first: every dependent that would lose its dependency goes offline
 * before r. keep_want: a cascade after a failure (they come back when r does) rather than
 * an administrator's offline. */
static void take_offline(cl_res *r, bool keep_want, unsigned depth)
{
	bool waiting = false;

	if (depth > 64)
		return;
	if (!keep_want)
		r->want_online = false;
	r->start_requested = keep_want && r->want_online;
	cancel_timers(r);
	if (!engine_group_here(r->group))
		return; /* its owner stops it */
	for (cl_res *d = r->group->with_deps ? cl.resources : NULL; d; d = d->next) {
		if (!depends_on(d, r) || !(is_active(d->state) || d->start_requested))
			continue;
		if (deps_ok(d, r) && d->state == WP_RESOURCE_ONLINE)
			continue; /* another member of its OR clause still serves it */
		take_offline(d, keep_want, depth + 1);
		if (d->state != WP_RESOURCE_OFFLINE && d->state != WP_RESOURCE_FAILED)
			waiting = true;
	}
	r->offline_cascade = waiting;
	if (waiting)
		return; /* engine_on_state continues when the last dependent is down */
	if (is_active(r->state) || (r->state == WP_RESOURCE_FAILED && !keep_want)) {
		if (r->state == WP_RESOURCE_ONLINE)
			set_state(r, WP_RESOURCE_OFFLINE_PENDING);
		monitor_cmd(r, "offline");
	}
}

/* ---- the policy --------------------------------------------------------------------------- */

static int on_restart_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	cl_res *r = userdata;

	r->restart_timer = sd_event_source_disable_unref(r->restart_timer);
	if (r->want_online)
		bring_online(r, 0);
	return 0;
}

static int on_retry_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	cl_res *r = userdata;

	r->retry_timer = sd_event_source_disable_unref(r->retry_timer);
	if (!r->want_online || r->state != WP_RESOURCE_FAILED)
		return 0;
	cl_log(CL_INFO, r->name, "RetryPeriodOnFailure (%" PRIu32 " ms) elapsed: trying again",
	       res_prop(r, "RetryPeriodOnFailure"));
	policy_reset(&r->history);
	bring_online(r, 0);
	return 0;
}

static int on_group_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	cl_group *g = userdata;

	g->retry_timer = sd_event_source_disable_unref(g->retry_timer);
	g->failed = false;
	cl_log(CL_INFO, g->name, "RetryPeriodOnFailure elapsed: bringing the group online again");
	for (cl_res *r = cl.resources; r; r = r->next)
		if (r->group == g && r->want_online) {
			policy_reset(&r->history);
			bring_online(r, 0);
		}
	return 0;
}

static sd_event_source *timer(uint32_t ms, sd_event_time_handler_t fn, void *userdata)
{
	sd_event_source *s = NULL;

	if (sd_event_add_time_relative(cl.event, &s, CLOCK_MONOTONIC, (uint64_t) ms * 1000, 1000,
				       fn, userdata) < 0)
		return NULL;
	return s;
}

static void apply_policy(cl_res *r)
{
	policy_props p = {
		.restart_action = res_prop(r, "RestartAction"),
		.restart_threshold = res_prop(r, "RestartThreshold"),
		.restart_period_ms = res_prop(r, "RestartPeriod"),
		.restart_delay_ms = res_prop(r, "RestartDelay"),
		.retry_period_on_failure_ms = res_prop(r, "RetryPeriodOnFailure"),
	};
	policy_decision d;

	if (!r->want_online)
		return; /* failed while being taken offline: nothing to restore */
	policy_on_failure(&p, &r->history, now_ms(), &d);
	cl_log(CL_WARNING, r->name, "failed (%s): %s", r->last_failure.set ? r->last_failure.source
									   : "unknown",
	       d.reason);
	cancel_timers(r);
	switch (d.action) {
	case POLICY_RESTART:
		if (d.delay_ms == 0)
			bring_online(r, 0);
		else
			r->restart_timer = timer(d.delay_ms, on_restart_timer, r);
		break;
	case POLICY_STAY_FAILED:
		if (d.retry_ms != POLICY_INFINITE)
			r->retry_timer = timer(d.retry_ms, on_retry_timer, r);
		break;
	case POLICY_FAIL_GROUP: {
		cl_group *g = r->group;

		/* One node: there is nowhere to fail over to. The group is Failed: everything
		 * in it stops (dependents first) until RetryPeriodOnFailure brings it back. */
		if (!cl_multi)
			cl_log(CL_ERROR, g->name,
			       "resource '%s' exhausted its restarts: failing the group over, but no "
			       "other node can host it (one-node cluster): group Failed%s",
			       r->name, d.retry_ms == POLICY_INFINITE ? "" : ", retry later");
		else
			cl_log(CL_ERROR, g->name,
			       "resource '%s' exhausted its restarts: group Failed here, asking the "
			       "cluster to fail it over",
			       r->name);
		g->failed = true;
		for (cl_res *o = cl.resources; o; o = o->next)
			if (o->group == g && o != r && (is_active(o->state) || o->start_requested))
				take_offline(o, true, 0);
		g->retry_timer = sd_event_source_disable_unref(g->retry_timer);
		if (d.retry_ms != POLICY_INFINITE)
			g->retry_timer = timer(d.retry_ms, on_group_retry, g);
		if (cl_multi) {
			char why[400];

			snprintf(why, sizeof(why), "resource '%s' exhausted its restarts", r->name);
			cluster_request_failover(g, why);
		}
		break;
	}
	}
}

uint32_t engine_restart_count(const cl_res *r)
{
	policy_props p = { .restart_period_ms = res_prop(r, "RestartPeriod") };

	return policy_restarts_in_window(&p, &r->history, now_ms());
}

/* ---- monitor events ----------------------------------------------------------------------- */

void engine_on_open(cl_res *r)
{
	r->opened = true;
	if (r->state == WP_RESOURCE_INITIALIZING)
		set_state(r, WP_RESOURCE_OFFLINE);
	start_if_ready(r);
}

void engine_on_failure(cl_res *r, const char *source, int failure_type, uint32_t app_error,
		       const char *action)
{
	r->last_failure.set = true;
	snprintf(r->last_failure.source, sizeof(r->last_failure.source), "%s", source);
	r->last_failure.failure_type = failure_type;
	r->last_failure.app_error = app_error;
	r->last_failure.time_us = realtime_us();
	r->last_operation_status = app_error;
	r->failure_reported = strcmp(action, "terminate") == 0 || strcmp(source, "not_available") == 0;
	if (strcmp(action, "terminate") == 0)
		cl_log(CL_WARNING, r->name, "failure detected by %s (type %d, application error %" PRIu32 ")",
		       source, failure_type, app_error);
	else
		cl_log(CL_WARNING, r->name,
		       "embedded failure (application error %" PRIu32 "): EmbeddedFailureAction %s, "
		       "no recovery",
		       app_error, strcmp(action, "log") == 0 ? "1 (log only)" : "0 (none)");
	notify_res(CHANGE_RESOURCE_PROPERTY, "resource_property", r);
}

void engine_on_status_information(cl_res *r, uint32_t si)
{
	r->status_information = si;
}

void engine_on_state(cl_res *r, int state, uint32_t si)
{
	int old = r->state;

	if (!engine_group_here(r->group))
		return; /* another node runs it: its owner's announcements set the state here */
	r->status_information = si;
	set_state(r, state);
	/* Failed again after a failure report is a new failure, even without a state change
	 * (an online that failed from Failed). */
	if (state == WP_RESOURCE_FAILED && r->failure_reported)
		old = -2;
	r->failure_reported = false;
	if (state == old)
		return;
	if (state == WP_RESOURCE_ONLINE) {
		/* Dependents waiting for this one may go now. */
		for (cl_res *d = r->group->with_deps ? cl.resources : NULL; d; d = d->next)
			if (depends_on(d, r))
				start_if_ready(d);
		return;
	}
	if (state != WP_RESOURCE_OFFLINE && state != WP_RESOURCE_FAILED)
		return;
	/* A resource waiting for its dependents to stop may stop now. */
	for (cl_res *x = r->group->with_deps ? cl.resources : NULL; x; x = x->next)
		if (x->offline_cascade && depends_on(r, x))
			take_offline(x, x->want_online, 0);
	if (state != WP_RESOURCE_FAILED)
		return;
	/* Dependents lose their dependency: offline now, back when it recovers. */
	for (cl_res *d = r->group->with_deps ? cl.resources : NULL; d; d = d->next)
		if (depends_on(d, r) && busy(d->state) &&
		    !deps_ok(d, r)) {
			cl_log(CL_INFO, d->name, "dependency '%s' failed: taking offline until it recovers",
			       r->name);
			take_offline(d, true, 0);
		}
	r->start_requested = false;
	apply_policy(r);
}

bool engine_monitor_has_resources(cl_monitor *m)
{
	for (cl_res *r = cl.resources; r; r = r->next)
		if (r->mon == m)
			return true;
	return false;
}

void engine_on_monitor_lost(cl_monitor *m, const char *why)
{
	for (cl_res *r = cl.resources; r; r = r->next) {
		if (r->mon != m)
			continue;
		r->opened = false;
		if (!engine_group_here(r->group))
			continue;
		if (busy(r->state)) {
			engine_on_failure(r, why, 0, 0, "terminate");
			engine_on_state(r, WP_RESOURCE_FAILED, r->status_information);
		}
	}
}

void engine_monitor_started(cl_monitor *m)
{
	for (cl_res *r = cl.resources; r; r = r->next) {
		if (r->mon != m)
			continue;
		if (r->id)
			idmap_remove(&by_id, r->id);
		/* An isolated resource moves to a monitor of its own (whose start opens it). */
		if (r->isolated && !m->separate) {
			r->id = 0;
			r->mon = monitor_for(r);
			if (r->id == 0 && r->mon->pid > 0) {
				monitor_open(r); /* its monitor existed already */
				if (idmap_put(&by_id, r->id, r) < 0)
					abort();
			}
			continue;
		}
		monitor_open(r);
		if (idmap_put(&by_id, r->id, r) < 0)
			abort();
	}
}

/* ---- loading and configuration ------------------------------------------------------------ */

static void load_type(const char *name, const char *dll, struct json_object *props, void *u)
{
	cl_type *t = calloc(1, sizeof(*t));

	if (!t || !(t->name = strdup(name)) || !(t->dll = strdup(dll)))
		abort();
	t->props = json_object_get(props);
	cl_type **p = &cl.types;
	while (*p)
		p = &(*p)->next;
	*p = t;
}

static void load_group(const char *name, struct json_object *props, void *u)
{
	cl_group *g = calloc(1, sizeof(*g));

	if (!g || !(g->name = strdup(name)))
		abort();
	g->props = json_object_get(props);
	g->state = WP_GROUP_OFFLINE;
	cl_group **p = &cl.groups;
	while (*p)
		p = &(*p)->next;
	*p = g;
}

static cl_res **res_tail(void)
{
	return cl.resources_tail ? cl.resources_tail : &cl.resources;
}

static void load_res(const char *name, const char *type, const char *group,
		     struct json_object *props, struct json_object *params, const char *deps,
		     bool persistent, void *u)
{
	cl_res *r = calloc(1, sizeof(*r));
	char err[160];

	if (!r || !(r->name = strdup(name)))
		abort();
	r->type = cl_type_find(type);
	r->group = cl_group_find(group);
	if (!r->type || !r->group) {
		fprintf(stderr, "wolfpackd: resource '%s' refers to a missing type or group, ignoring\n",
			name);
		free(r->name);
		free(r);
		return;
	}
	r->props = json_object_get(props);
	r->params = json_object_get(params);
	r->persistent = persistent;
	r->state = WP_RESOURCE_INITIALIZING;
	r->shared_state = WP_RESOURCE_OFFLINE;
	if (deps_parse(deps ? deps : "", &r->deps, err, sizeof(err)) < 0) {
		fprintf(stderr, "wolfpackd: resource '%s': bad dependency expression, ignoring it: %s\n",
			name, err);
		r->deps = NULL;
	}
	r->dep_text = r->deps ? deps_format(r->deps) : strdup("");
	r->group->counts[state_class(r->state)]++;
	if (r->deps && r->deps->n_clauses)
		r->group->with_deps++;
	*res_tail() = r;
	cl.resources_tail = &r->next;
}

static const struct {
	const char *name, *dll;
} builtin_types[] = {
	{ "process", "process.so" },
	{ "dummy", "dummy.so" },
};

static void load_owner(const char *group, uint32_t owner, void *u)
{
	cl_group *g = cl_group_find(group);

	if (g)
		g->owner = owner;
}

void cluster_node_loaded(uint32_t id, bool paused);

static void load_node(uint32_t id, bool paused, void *u)
{
	cluster_node_loaded(id, paused);
}

int engine_load(void)
{
	char *v = NULL;
	int r = db_load(cl.db, load_type, load_group, load_res, NULL);

	if (r < 0)
		return r;
	if ((r = db_placement_load(cl.db, load_owner, load_node, NULL)) < 0)
		return r;
	/* First start: the built-in types. */
	if (db_meta_get(cl.db, "initialized", &v) < 0) {
		for (size_t i = 0; i < sizeof(builtin_types) / sizeof(builtin_types[0]); i++) {
			struct json_object *p = json_object_new_object();

			if (!cl_type_find(builtin_types[i].name)) {
				r = db_type_put(cl.db, builtin_types[i].name, builtin_types[i].dll, p);
				if (r < 0) {
					json_object_put(p);
					return r;
				}
				load_type(builtin_types[i].name, builtin_types[i].dll, p, NULL);
			}
			json_object_put(p);
		}
		r = db_meta_set(cl.db, "initialized", "1");
		if (r < 0)
			return r;
		cl_log(CL_INFO, cl.name, "new cluster '%s' on node '%s'", cl.name, cl.node);
	}
	free(v);
	for (cl_group *g = cl.groups; g; g = g->next)
		update_group_state(g);
	return 0;
}

/* After the monitors run: open everything, and bring back what was online (PersistentState). */
void engine_start(void)
{
	for (cl_res *r = cl.resources; r; r = r->next)
		if (!r->mon)
			res_open(r);
	if (cl_multi)
		return; /* groups start where the cluster places them (engine_group_activate) */
	for (cl_res *r = cl.resources; r; r = r->next)
		if (r->persistent) {
			r->want_online = true;
			cl_log(CL_INFO, r->name, "PersistentState: bringing online after start");
			bring_online(r, 0);
		}
}

void engine_stop(void)
{
	for (cl_res *r = cl.resources; r; r = r->next)
		cancel_timers(r);
	for (cl_group *g = cl.groups; g; g = g->next)
		g->retry_timer = sd_event_source_disable_unref(g->retry_timer);
	cl_log_flush();
	log_flush_source = sd_event_source_disable_unref(log_flush_source);
}

/* ---- operations from the API -------------------------------------------------------------- */

#define FAIL(code, ...)                                \
	do {                                           \
		snprintf(err, errlen, __VA_ARGS__);    \
		return code;                           \
	} while (0)

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 256)
		return false;
	for (const char *p = name; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == '[' || *p == ']' || *p == '\x7f')
			return false;
	return true;
}

static int db_error(int r, char *err, size_t errlen)
{
	snprintf(err, errlen, "cluster database: %s", db_errmsg(cl.db));
	return r;
}

static int save_res(cl_res *r, struct json_object *props, struct json_object *params,
		    const char *deps, bool persistent, char *err, size_t errlen)
{
	int q = db_res_put(cl.db, r->name, r->type->name, r->group->name, props, params, deps,
			   persistent);
	return q < 0 ? db_error(q, err, errlen) : 0;
}

int engine_type_create(const char *name, const char *dll, char *err, size_t errlen)
{
	struct json_object *p;
	int r;

	if (!name_ok(name) || !dll[0] || strchr(dll, '/') || dll[0] == '.')
		FAIL(-EINVAL, "invalid type name or plugin file name");
	if (cl_type_find(name))
		FAIL(-EEXIST, "type '%s' exists", name);
	p = json_object_new_object();
	r = db_type_put(cl.db, name, dll, p);
	if (r < 0) {
		json_object_put(p);
		return db_error(r, err, errlen);
	}
	load_type(name, dll, p, NULL);
	json_object_put(p);
	cl_log(CL_INFO, name, "resource type registered (plugin %s)", dll);
	return 0;
}

int engine_group_create(const char *name, char *err, size_t errlen)
{
	struct json_object *p;
	int r;

	if (!name_ok(name))
		FAIL(-EINVAL, "invalid group name");
	if (cl_group_find(name))
		FAIL(-EEXIST, "group '%s' exists", name);
	p = json_object_new_object();
	r = db_group_put(cl.db, name, p);
	if (r < 0) {
		json_object_put(p);
		return db_error(r, err, errlen);
	}
	load_group(name, p, NULL);
	json_object_put(p);
	cluster_place_new(cl_group_find(name));
	notify_group(CHANGE_GROUP_ADDED, "group_added", cl_group_find(name));
	cl_log(CL_INFO, name, "group created");
	return 0;
}

int engine_group_delete(cl_group *g, char *err, size_t errlen)
{
	int r;

	for (cl_res *x = cl.resources; x; x = x->next)
		if (x->group == g)
			FAIL(-EBUSY, "group '%s' is not empty", g->name);
	r = db_group_delete(cl.db, g->name);
	if (r < 0)
		return db_error(r, err, errlen);
	for (cl_group **p = &cl.groups; *p; p = &(*p)->next)
		if (*p == g) {
			*p = g->next;
			break;
		}
	notify_group(CHANGE_GROUP_DELETED, "group_deleted", g);
	cl_log(CL_INFO, g->name, "group deleted");
	sd_event_source_disable_unref(g->retry_timer);
	json_object_put(g->props);
	free(g->name);
	free(g);
	return 0;
}

/* Applies validated changes to a copy of props. Returns the new object or NULL (err set). */
static struct json_object *merged_props(prop_kind kind, struct json_object *cur,
					struct json_object *changes, char *err, size_t errlen)
{
	struct json_object *n = json_object_new_object();

	json_object_object_foreach(cur, k, v) json_object_object_add(n, k, json_object_get(v));
	json_object_object_foreach(changes, key, val) {
		uint32_t dw = 0;
		const prop_def *d = props_find(kind, key);

		if (props_validate(kind, key, val, &dw, err, errlen) < 0) {
			json_object_put(n);
			return NULL;
		}
		if (d && d->format == PROP_DWORD)
			json_object_object_add(n, key, json_object_new_int64(dw));
		else
			json_object_object_add(n, key, json_object_get(val));
	}
	if (props_check_object(kind, n, err, errlen) < 0) {
		json_object_put(n);
		return NULL;
	}
	return n;
}

int engine_group_set(cl_group *g, struct json_object *props, char *err, size_t errlen)
{
	struct json_object *n = merged_props(PROP_GROUP, g->props, props, err, errlen);
	int r;

	if (!n)
		return -EINVAL;
	r = db_group_put(cl.db, g->name, n);
	if (r < 0) {
		json_object_put(n);
		return db_error(r, err, errlen);
	}
	json_object_put(g->props);
	g->props = n;
	notify_group(CHANGE_GROUP_PROPERTY, "group_property", g);
	return 0;
}

int engine_res_create(const char *name, const char *type, const char *group,
		      struct json_object *params, bool separate, char *err, size_t errlen)
{
	struct json_object *props, *pcopy;
	cl_type *t = cl_type_find(type);
	cl_group *g = cl_group_find(group);
	cl_res *r;
	int q;

	if (!name_ok(name))
		FAIL(-EINVAL, "invalid resource name (1..256 characters, no brackets or control "
			      "characters)");
	if (cl_res_find(name))
		FAIL(-EEXIST, "resource '%s' exists", name);
	if (!t)
		FAIL(-ENOENT, "no resource type named '%s'", type);
	if (!g)
		FAIL(-ENOENT, "no group named '%s'", group);
	pcopy = json_object_new_object();
	if (params) {
		json_object_object_foreach(params, k, v) {
			if (!json_object_is_type(v, json_type_string) || !k[0] || strchr(k, '=')) {
				json_object_put(pcopy);
				FAIL(-EINVAL, "private property '%s' must be a string", k);
			}
			json_object_object_add(pcopy, k, json_object_get(v));
		}
	}
	props = json_object_new_object();
	if (separate)
		json_object_object_add(props, "SeparateMonitor", json_object_new_int(1));
	q = db_res_put(cl.db, name, type, group, props, pcopy, "", false);
	if (q < 0) {
		json_object_put(props);
		json_object_put(pcopy);
		return db_error(q, err, errlen);
	}
	load_res(name, type, group, props, pcopy, "", false, NULL);
	json_object_put(props);
	json_object_put(pcopy);
	r = cl_res_find(name);
	res_open(r);
	notify_res(CHANGE_RESOURCE_ADDED, "resource_added", r);
	notify_group(CHANGE_GROUP_PROPERTY, "group_property", g);
	update_group_state(g);
	cl_log(CL_INFO, name, "resource created (type %s, group %s)", type, group);
	return 0;
}

static void free_res(cl_res *r)
{
	cancel_timers(r);
	json_object_put(r->props);
	json_object_put(r->params);
	deps_free(r->deps);
	free(r->dep_text);
	free(r->name);
	free(r);
}

int engine_res_delete(cl_res *r, char *err, size_t errlen)
{
	cl_monitor *m = r->mon;
	int q;

	/* The state every node agrees on at this point of the order (the request is applied by
	 * every node), not this node's view, which may be ahead. */
	if (busy(r->shared_state) || (engine_group_here(r->group) && busy(r->state)))
		FAIL(-EBUSY, "resource '%s' is %s: take it offline first", r->name,
		     resource_state_name(busy(r->state) ? r->state : r->shared_state));
	/* Dependencies on it go with it (WSFC removes them), in the same transaction. */
	if ((q = db_begin(cl.db)) < 0)
		return db_error(q, err, errlen);
	for (cl_res *d = cl.resources; d; d = d->next)
		if (depends_on(d, r)) {
			deps_remove(d->deps, r->name);
			if (d->deps->n_clauses == 0)
				d->group->with_deps--;
			char *text = deps_format(d->deps);
			q = text ? save_res(d, d->props, d->params, text, d->persistent, err, errlen)
				 : -ENOMEM;
			free(d->dep_text);
			d->dep_text = text ? text : strdup("");
			if (q < 0)
				break;
		}
	if (q >= 0 && (q = db_res_delete(cl.db, r->name)) < 0)
		db_error(q, err, errlen);
	if (q < 0 || (q = db_commit(cl.db)) < 0) {
		db_rollback(cl.db);
		if (!err[0])
			db_error(q, err, errlen);
		return q;
	}
	if (r->mon)
		monitor_cmd(r, "close");
	idmap_remove(&by_id, r->id);
	for (cl_res **p = &cl.resources; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			if (cl.resources_tail == &r->next)
				cl.resources_tail = p;
			break;
		}
	r->group->counts[state_class(r->state)]--;
	if (r->deps && r->deps->n_clauses)
		r->group->with_deps--;
	notify_res(CHANGE_RESOURCE_DELETED, "resource_deleted", r);
	cl_log(CL_INFO, r->name, "resource deleted");
	update_group_state(r->group);
	notify_group(CHANGE_GROUP_PROPERTY, "group_property", r->group);
	free_res(r);
	if (m && m->separate && !engine_monitor_has_resources(m))
		monitor_release(m);
	return 0;
}

int engine_res_set(cl_res *r, struct json_object *props, struct json_object *params, char *err,
		   size_t errlen)
{
	struct json_object *n = props ? merged_props(PROP_RESOURCE, r->props, props, err, errlen)
				      : json_object_get(r->props);
	struct json_object *p = json_object_new_object();
	bool params_changed = false;
	int q;

	if (!n) {
		json_object_put(p);
		return -EINVAL;
	}
	json_object_object_foreach(r->params, k, v) json_object_object_add(p, k, json_object_get(v));
	if (params) {
		json_object_object_foreach(params, key, val) {
			if (!key[0] || strchr(key, '=') ||
			    !(json_object_is_type(val, json_type_string) || !val)) {
				json_object_put(n);
				json_object_put(p);
				FAIL(-EINVAL, "private property '%s' must be a string or null", key);
			}
			if (!val)
				json_object_object_del(p, key);
			else
				json_object_object_add(p, key, json_object_get(val));
			params_changed = true;
		}
	}
	q = save_res(r, n, p, r->dep_text, r->persistent, err, errlen);
	if (q < 0) {
		json_object_put(n);
		json_object_put(p);
		return q;
	}
	json_object_put(r->props);
	json_object_put(r->params);
	r->props = n;
	r->params = p;
	if (params_changed) {
		r->params_dirty = true;
		if (!busy(r->state) && r->opened) {
			monitor_cmd(r, "close");
			res_open(r);
		}
	}
	/* The monitor takes "set" even while the instance is still opening. */
	if (props && r->mon && r->id)
		monitor_set_timing(r);
	notify_res(CHANGE_RESOURCE_PROPERTY, "resource_property", r);
	return 0;
}

/* The cycle check sees the resource being changed with its new expression. */
typedef struct proposed_deps {
	const cl_res *r;
	const deps_expr *e;
} proposed_deps;

static const deps_expr *get_deps(const char *name, void *userdata)
{
	const proposed_deps *p = userdata;
	const cl_res *r = cl_res_find(name);

	if (r && r == p->r)
		return p->e;
	return r ? r->deps : NULL;
}

int engine_res_set_deps(cl_res *r, const char *expr, bool add, char *err, size_t errlen)
{
	deps_expr *e = NULL;
	proposed_deps proposed;
	char *text;
	int q;

	if (add) {
		if (strcmp(expr, r->name) == 0)
			FAIL(-ELOOP, "a resource cannot depend on itself");
		if (deps_parse(r->dep_text, &e, err, errlen) < 0)
			return -EINVAL;
		for (size_t i = 0; i < e->n_clauses; i++)
			if (e->clauses[i].n_names == 1 && strcmp(e->clauses[i].names[0], expr) == 0) {
				deps_free(e);
				FAIL(-EEXIST, "'%s' already depends on '%s'", r->name, expr);
			}
		if (deps_add_and(e, expr) < 0) {
			deps_free(e);
			FAIL(-EINVAL, "cannot add dependency on '%s'", expr);
		}
	} else if (deps_parse(expr, &e, err, errlen) < 0) {
		return -EINVAL;
	}
	for (size_t i = 0; i < e->n_clauses; i++)
		for (size_t j = 0; j < e->clauses[i].n_names; j++) {
			const char *n = e->clauses[i].names[j];
			cl_res *d = cl_res_find(n);
			int bad = 0;

			/* The message quotes n, which lives in e: write it before freeing e. */
			if (!d) {
				snprintf(err, errlen, "no resource named '%s'", n);
				bad = -ENOENT;
			} else if (d == r) {
				snprintf(err, errlen, "a resource cannot depend on itself");
				bad = -ELOOP;
			} else if (d->group != r->group) {
				snprintf(err, errlen,
					 "'%s' is in group '%s', not '%s': dependencies stay in one group",
					 n, d->group->name, r->group->name);
				bad = -EINVAL;
			}
			if (bad < 0) {
				deps_free(e);
				return bad;
			}
		}
	proposed = (proposed_deps) { r, e };
	if (deps_has_cycle(r->name, get_deps, &proposed)) {
		deps_free(e);
		FAIL(-ELOOP, "circular dependency");
	}
	text = deps_format(e);
	if (!text) {
		deps_free(e);
		return -ENOMEM;
	}
	q = save_res(r, r->props, r->params, text, r->persistent, err, errlen);
	if (q < 0) {
		free(text);
		deps_free(e);
		return q;
	}
	r->group->with_deps += (e->n_clauses > 0) - (r->deps && r->deps->n_clauses > 0);
	deps_free(r->deps);
	free(r->dep_text);
	r->deps = e;
	r->dep_text = text;
	notify_res(CHANGE_RESOURCE_PROPERTY, "resource_property", r);
	cl_log(CL_INFO, r->name, "dependency expression: %s", text[0] ? text : "(none)");
	if (r->start_requested)
		bring_online(r, 0);
	return 0;
}

static int set_persistent(cl_res *r, bool on, char *err, size_t errlen)
{
	int q;

	if (r->persistent == on)
		return 0;
	q = db_res_set_persistent(cl.db, r->name, on);
	if (q < 0)
		return db_error(q, err, errlen);
	r->persistent = on;
	return 0;
}

/* An administrator's online starts afresh: history, timers, a failed group. */
static void online_now(cl_res *r)
{
	r->want_online = true;
	cancel_timers(r);
	policy_reset(&r->history);
	if (r->group->failed) {
		r->group->failed = false;
		r->group->retry_timer = sd_event_source_disable_unref(r->group->retry_timer);
	}
	cl_log(CL_INFO, r->name, "online requested");
	bring_online(r, 0);
}

static void offline_now(cl_res *r)
{
	cl_log(CL_INFO, r->name, "offline requested");
	take_offline(r, false, 0);
}

int engine_res_online(cl_res *r, char *err, size_t errlen)
{
	int q = set_persistent(r, true, err, errlen);

	if (q < 0)
		return q;
	online_now(r);
	return 0;
}

int engine_res_offline(cl_res *r, char *err, size_t errlen)
{
	int q = set_persistent(r, false, err, errlen);

	if (q < 0)
		return q;
	offline_now(r);
	return 0;
}

int engine_res_fail(cl_res *r, char *err, size_t errlen)
{
	int state = cl_multi ? r->shared_state : r->state;

	if (!busy(state))
		FAIL(-EBUSY, "resource '%s' is %s: only an online or pending resource can fail",
		     r->name, resource_state_name(state));
	cl_log(CL_INFO, r->name, "FailClusterResource: failing on request%s",
	       cl_multi ? (engine_group_here(r->group) ? " (this node runs it)" : " (forwarded to its owner)") : "");
	if (engine_group_here(r->group))
		monitor_cmd(r, "fail");
	return 0;
}

/* PersistentState of a group and all its members, in one transaction: one commit for a group
 * of 10 000, not 10 000. The model follows only once the database has it. */
static int group_persist(cl_group *g, bool on, char *err, size_t errlen)
{
	struct json_object *ch = json_object_new_object(), *n;
	int q;

	json_object_object_add(ch, "PersistentState", json_object_new_int(on));
	n = merged_props(PROP_GROUP, g->props, ch, err, errlen);
	json_object_put(ch);
	if (!n)
		return -EINVAL;
	if ((q = db_begin(cl.db)) < 0) {
		json_object_put(n);
		return db_error(q, err, errlen);
	}
	q = db_group_put(cl.db, g->name, n);
	for (cl_res *r = cl.resources; r && q >= 0; r = r->next)
		if (r->group == g && r->persistent != on)
			q = db_res_set_persistent(cl.db, r->name, on);
	if (q >= 0)
		q = db_commit(cl.db);
	if (q < 0) {
		db_error(q, err, errlen);
		db_rollback(cl.db);
		json_object_put(n);
		return q;
	}
	json_object_put(g->props);
	g->props = n;
	for (cl_res *r = cl.resources; r; r = r->next)
		if (r->group == g)
			r->persistent = on;
	notify_group(CHANGE_GROUP_PROPERTY, "group_property", g);
	return 0;
}

int engine_group_online(cl_group *g, char *err, size_t errlen)
{
	int q = group_persist(g, true, err, errlen);

	if (q < 0)
		return q;
	cluster_place_new(g);
	for (cl_res *r = cl.resources; r; r = r->next)
		if (r->group == g)
			online_now(r);
	return 0;
}

int engine_group_offline(cl_group *g, char *err, size_t errlen)
{
	int q = group_persist(g, false, err, errlen);

	if (q < 0)
		return q;
	g->failed = false;
	g->retry_timer = sd_event_source_disable_unref(g->retry_timer);
	for (cl_res *r = cl.resources; r; r = r->next)
		if (r->group == g)
			offline_now(r);
	return 0;
}

/* ---- many nodes ---------------------------------------------------------------------------- */

int engine_set_owner(cl_group *g, uint32_t owner)
{
	int r = db_owner_set(cl.db, g->name, owner);

	if (r < 0)
		return r;
	g->owner = owner;
	notify_group(CHANGE_GROUP_PROPERTY, "group_owner", g);
	return 0;
}

/* This node starts running g: what the administrator wants online (PersistentState) comes
 * online, from a clean slate (a group failed over here starts afresh). */
void engine_group_activate(cl_group *g)
{
	g->active = true;
	g->failed = false;
	g->retry_timer = sd_event_source_disable_unref(g->retry_timer);
	for (cl_res *r = cl.resources; r; r = r->next)
		if (r->group == g && r->persistent) {
			r->want_online = true;
			policy_reset(&r->history);
			bring_online(r, 0);
		}
}

/* This node stops running g (moved away, quorum lost): offline, dependents first; the intent
 * stays for whichever node runs it next. */
void engine_group_deactivate(cl_group *g)
{
	g->active = false;
	g->retry_timer = sd_event_source_disable_unref(g->retry_timer);
	for (cl_res *r = cl.resources; r; r = r->next)
		if (r->group == g) {
			cancel_timers(r);
			if (is_active(r->state) || r->start_requested)
				take_offline(r, true, 0);
			r->start_requested = false;
		}
}

void engine_group_terminate(cl_group *g)
{
	for (cl_res *r = cl.resources; r; r = r->next)
		if (r->group == g && busy(r->state) && r->mon)
			monitor_cmd(r, "terminate");
}

/* The database was replaced by another node's copy: rebuild the model from it. Nothing runs
 * here (cluster.c deactivated every group first). */
int engine_reload(void)
{
	cl_monitor *m, *next_m;

	for (cl_res *r = cl.resources, *next; r; r = next) {
		next = r->next;
		if (r->mon && r->id)
			monitor_cmd(r, "close");
		if (r->id)
			idmap_remove(&by_id, r->id);
		free_res(r);
	}
	cl.resources = NULL;
	cl.resources_tail = NULL;
	for (cl_group *g = cl.groups, *next; g; g = next) {
		next = g->next;
		sd_event_source_disable_unref(g->retry_timer);
		json_object_put(g->props);
		free(g->name);
		free(g);
	}
	cl.groups = NULL;
	for (cl_type *t = cl.types, *next; t; t = next) {
		next = t->next;
		json_object_put(t->props);
		free(t->dll);
		free(t->name);
		free(t);
	}
	cl.types = NULL;
	for (m = cl.monitors; m; m = next_m) {
		next_m = m->next;
		if (m->separate)
			monitor_release(m);
	}
	if (engine_load() < 0)
		return -EIO;
	for (cl_res *r = cl.resources; r; r = r->next)
		res_open(r);
	return 0;
}
