/* SPDX-License-Identifier: MIT */
/*
 * wpctl resource: create, delete, online, offline, fail, show, get, set, depend.
 *
 * --wait subscribes to resource-state events before sending the request, so no transition
 * can slip between the request and the wait, then watches the events until the wanted state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jmsg.h"
#include "macro.h"
#include "time-util.h"
#include "wpctl.h"

static const char usage[] =
	"Usage: wpctl resource create NAME --type TYPE --group GROUP [--param KEY=VALUE]...\n"
	"                             [--separate-monitor]\n"
	"       wpctl resource delete NAME\n"
	"       wpctl resource online|offline NAME [--wait] [--timeout MS]\n"
	"       wpctl resource fail NAME [--wait] [--timeout MS]\n"
	"       wpctl resource show NAME\n"
	"       wpctl resource get NAME [PROPERTY]\n"
	"       wpctl resource set NAME [PROPERTY=VALUE]... [--param KEY=VALUE]...\n"
	"                          [--unset KEY]...\n"
	"       wpctl resource depend NAME EXPRESSION\n"
	"       wpctl resource depend NAME --add OTHER\n"
	"\n"
	"  online, offline  return once the daemon started the change; with --wait, once the\n"
	"                   resource is Online (exit 1 if it ends Failed) or Offline\n"
	"  fail             FailClusterResource; --wait returns once the failure was seen\n"
	"                   (Failed, or restarted by the policy)\n"
	"  --timeout MS     how long --wait waits (default 60000); exit 1 when it runs out\n"
	"  set              PROPERTY=VALUE sets a common property when PROPERTY is one (as\n"
	"                   listed by 'get'), else a private parameter; --param KEY=VALUE is\n"
	"                   always private; --unset KEY removes a private parameter. Numbers\n"
	"                   are decimal or 0x-hex; lists (PreferredOwners) comma-separated\n"
	"  depend           replace the dependency expression, e.g. '[ip] and ([a] or [b])';\n"
	"                   '' removes all; --add AND-s one more resource\n"
	"  show, get        --json prints the daemon's resource object / get reply (with\n"
	"                   PROPERTY: the bare JSON value)\n";

#define DEFAULT_WAIT_MS 60000ul

typedef struct res_opts {
	const char *type, *group, *add;
	const char **params, **unsets;
	size_t n_params, n_unsets;
	bool separate_monitor, wait, timeout_set;
	unsigned long timeout_ms;
} res_opts;

static int on_opt(int opt, const char *arg, void *userdata)
{
	res_opts *o = userdata;

	switch (opt) {
	case 't':
		o->type = arg;
		break;
	case 'g':
		o->group = arg;
		break;
	case 'p':
		if (!strchr(arg, '=') || arg[0] == '=')
			return usage_error(usage, "'--param %s' is not KEY=VALUE", arg);
		o->params[o->n_params++] = arg;
		break;
	case 'u':
		if (!arg[0] || strchr(arg, '='))
			return usage_error(usage, "'--unset %s' is not a KEY", arg);
		o->unsets[o->n_unsets++] = arg;
		break;
	case 's':
		o->separate_monitor = true;
		break;
	case 'a':
		o->add = arg;
		break;
	case 'w':
		o->wait = true;
		break;
	case 'T':
		if (!parse_uint(arg, false, &o->timeout_ms) || o->timeout_ms > INT32_MAX)
			return usage_error(usage, "'--timeout %s': expected milliseconds > 0",
					   arg);
		o->timeout_set = true;
		break;
	default:
		return usage_error(usage, "unexpected option");
	}
	return -1;
}

/* ---- show / get --------------------------------------------------------------------------- */

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	(void) json_object_object_get_ex(o, key, &v);
	return v;
}

static void print_section(const char *title, struct json_object *o)
{
	if (!o || !json_object_is_type(o, json_type_object) || json_object_object_length(o) == 0) {
		printf("%s: (none)\n", title);
		return;
	}
	printf("%s:\n", title);
	print_members(o, "  ");
}

static int show(ctl *c, const char *name)
{
	_cleanup_free_ char *restarts = NULL, *pid = NULL, *lastop = NULL, *failure = NULL;
	struct json_object *reply, *res, *f;
	char status[32];
	int64_t si = 0;
	table t;
	int r;

	r = ctl_call(c, request("resource.show", name), &reply, what("resource", name));
	if (r)
		return r;
	res = member(reply, "resource");
	if (!res || !json_object_is_type(res, json_type_object)) {
		json_object_put(reply);
		err_msg("%s: reply without 'resource'", what("resource", name));
		return EXIT_ERROR;
	}
	if (c->json) {
		print_json(res);
		json_object_put(reply);
		return EXIT_OK;
	}
	restarts = value_text(member(res, "restart_count"));
	pid = value_text(member(res, "monitor_pid"));
	lastop = value_text(member(res, "last_operation_status_code"));
	(void) jmsg_get_i64(res, "status_information", &si);
	snprintf(status, sizeof(status), "0x%llx", (unsigned long long) si);
	f = member(res, "last_failure");
	if (f && json_object_is_type(f, json_type_object)) {
		_cleanup_free_ char *ft = value_text(member(f, "failure_type"));
		_cleanup_free_ char *ae = value_text(member(f, "app_error"));

		if (asprintf(&failure, "%s %s (failure type %s, app error %s)",
			     jmsg_get_str(f, "time") ?: "-", jmsg_get_str(f, "source") ?: "-", ft,
			     ae) < 0)
			abort();
	}
	table_init(&t, 2);
	table_add(&t, "name:", jmsg_get_str(res, "name"));
	table_add(&t, "type:", jmsg_get_str(res, "type"));
	table_add(&t, "group:", jmsg_get_str(res, "group"));
	table_add(&t, "state:", jmsg_get_str(res, "state"));
	table_add(&t, "owner:", jmsg_get_str(res, "owner_node"));
	table_add(&t, "restarts:", restarts);
	table_add(&t, "last failure:", failure ? failure : "none");
	table_add(&t, "dependencies:", jmsg_get_str(res, "dependency_expression"));
	table_add(&t, "monitor pid:", pid);
	table_add(&t, "status information:", status);
	table_add(&t, "last operation status:", lastop);
	table_print(&t);
	table_free(&t);
	print_section("properties", member(res, "properties"));
	print_section("params", member(res, "params"));
	json_object_put(reply);
	return EXIT_OK;
}

static int get(ctl *c, const char *name, const char *property)
{
	struct json_object *req = request("resource.get", name), *reply;
	int r;

	if (property)
		json_set_str(req, "property", property);
	r = ctl_call(c, req, &reply, what("resource", name));
	if (r)
		return r;
	if (property) {
		struct json_object *v = member(reply, "value");

		if (c->json) {
			print_json(v);
		} else {
			_cleanup_free_ char *text = value_text(v);

			puts(text);
		}
	} else if (c->json) {
		print_reply_json(reply);
	} else {
		print_section("properties", member(reply, "properties"));
		print_section("params", member(reply, "params"));
	}
	json_object_put(reply);
	return EXIT_OK;
}

/* ---- set ---------------------------------------------------------------------------------- */

/* PROPERTY=VALUE goes to "properties" when PROPERTY is one of the common properties the
 * daemon lists for this resource (resource.get), else to "params". A name that matches a
 * common property only when ignoring case is refused: it is almost certainly a typo that would
 * otherwise become a private parameter silently. */
static int set(ctl *c, const char *name, int n, char **assignments, const res_opts *o)
{
	struct json_object *props = json_object_new_object(), *params = json_object_new_object();
	struct json_object *common = NULL, *reply = NULL, *req;
	int r = 0;

	if (!props || !params)
		abort();
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(assignments[i], '=');

		if (!eq || eq == assignments[i]) {
			r = usage_error(usage, "'%s' is not PROPERTY=VALUE", assignments[i]);
			goto out;
		}
	}
	if (n > 0) {
		r = ctl_call(c, request("resource.get", name), &reply, what("resource", name));
		if (r)
			goto out;
		common = member(reply, "properties");
		if (common && !json_object_is_type(common, json_type_object))
			common = NULL;
	}
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(assignments[i], '=');
		_cleanup_free_ char *key = strndup(assignments[i], (size_t) (eq - assignments[i]));
		struct json_object *cur = NULL;

		if (!key)
			abort();
		if (common && json_object_object_get_ex(common, key, &cur)) {
			json_object_object_add(props, key, value_from_text(cur, eq + 1));
			continue;
		}
		if (common) {
			json_object_object_foreach(common, k, v) {
				(void) v;
				if (strcasecmp(k, key) == 0) {
					r = usage_error(usage,
							"'%s' is not a common property; did you "
							"mean '%s'? (--param %s=... sets a "
							"private one)",
							key, k, key);
					goto out;
				}
			}
		}
		json_object_object_add(params, key, json_object_new_string(eq + 1));
	}
	for (size_t i = 0; i < o->n_params; i++) {
		const char *eq = strchr(o->params[i], '=');
		_cleanup_free_ char *key = strndup(o->params[i], (size_t) (eq - o->params[i]));

		if (!key)
			abort();
		json_object_object_add(params, key, json_object_new_string(eq + 1));
	}
	for (size_t i = 0; i < o->n_unsets; i++)
		json_object_object_add(params, o->unsets[i], NULL);

	req = request("resource.set", name);
	if (json_object_object_length(props) > 0)
		json_object_object_add(req, "properties", json_object_get(props));
	if (json_object_object_length(params) > 0)
		json_object_object_add(req, "params", json_object_get(params));
	r = ctl_call(c, req, NULL, what("resource", name));
out:
	json_object_put(props);
	json_object_put(params);
	json_object_put(reply);
	return r;
}

/* ---- online / offline / fail / delete, and --wait ----------------------------------------- */

typedef enum goal {
	GOAL_NONE, /* delete: done when acknowledged */
	GOAL_ONLINE,
	GOAL_OFFLINE,
	GOAL_FAIL,
} goal;

static const char *const goal_text[] = {
	[GOAL_NONE] = "nothing",
	[GOAL_ONLINE] = "Online",
	[GOAL_OFFLINE] = "Offline",
	[GOAL_FAIL] = "a failure",
};

typedef struct waiter {
	ctl *c;
	const char *name;
	goal goal;
	int64_t restarts;  /* restart_count last seen */
	bool seen_down;    /* GOAL_FAIL: a state other than Online was reported */
} waiter;

#define KEEP_WAITING (-1)

/* resource.show: state and restart_count. Returns 0 or EXIT_ERROR (reported). */
static int snapshot(waiter *w, int *ret_state, int64_t *ret_restarts)
{
	struct json_object *reply, *res;
	int64_t restarts = 0, code;
	int r;

	r = ctl_call(w->c, request("resource.show", w->name), &reply, what("resource", w->name));
	if (r)
		return r;
	res = member(reply, "resource");
	if (!jmsg_get_i64(res, "state_code", &code))
		code = wp_resource_state_from_string(jmsg_get_str(res, "state"));
	(void) jmsg_get_i64(res, "restart_count", &restarts);
	json_object_put(reply);
	*ret_state = (int) code;
	*ret_restarts = restarts;
	return 0;
}

/* Online was wanted and the resource is Failed. It ends there unless the restart policy just
 * decided to restart it: a restart is counted in restart_count when decided, so a count that
 * grew since we last looked means "wait for the restart". */
static int judge_failed(waiter *w)
{
	int64_t restarts;
	int state, r;

	r = snapshot(w, &state, &restarts);
	if (r)
		return r;
	if (state == WP_RESOURCE_ONLINE)
		return EXIT_OK;
	if (state != WP_RESOURCE_FAILED || restarts > w->restarts) {
		w->restarts = restarts;
		return KEEP_WAITING;
	}
	err_msg("%s: Failed (wanted Online)", what("resource", w->name));
	return EXIT_ERROR;
}

/* A state reported by an event (from_event) or read after a reconnect. Returns EXIT_OK,
 * EXIT_ERROR or KEEP_WAITING. */
static int judge(waiter *w, int state, bool from_event)
{
	int64_t restarts;
	int r;

	switch (w->goal) {
	case GOAL_ONLINE:
		if (state == WP_RESOURCE_ONLINE)
			return EXIT_OK;
		if (state == WP_RESOURCE_FAILED)
			return judge_failed(w);
		return KEEP_WAITING;
	case GOAL_OFFLINE:
		if (state == WP_RESOURCE_OFFLINE)
			return EXIT_OK;
		if (state == WP_RESOURCE_FAILED && from_event) {
			err_msg("%s: Failed (wanted Offline)", what("resource", w->name));
			return EXIT_ERROR;
		}
		return KEEP_WAITING;
	case GOAL_FAIL:
		if (state == WP_RESOURCE_FAILED)
			return EXIT_OK;
		if (from_event) {
			if ((state == WP_RESOURCE_ONLINE || state == WP_RESOURCE_ONLINE_PENDING) &&
			    w->seen_down)
				return EXIT_OK;
			if (state != WP_RESOURCE_ONLINE)
				w->seen_down = true;
			return KEEP_WAITING;
		}
		/* Events were lost: a restart counted since the request means it failed. */
		r = snapshot(w, &state, &restarts);
		if (r)
			return r;
		return state == WP_RESOURCE_FAILED || restarts > w->restarts ? EXIT_OK
									     : KEEP_WAITING;
	case GOAL_NONE:
		break;
	}
	return EXIT_OK;
}

static int wait_for(waiter *w, wp_notify *n, uint64_t deadline, unsigned long timeout_ms)
{
	int64_t restarts;
	int state, r;

	/* Where it stands now that the change has started: it may be there already. */
	r = snapshot(w, &state, &restarts);
	if (r)
		return r;
	if (w->goal == GOAL_ONLINE)
		w->restarts = restarts; /* an administrator's online starts the count afresh */
	if ((w->goal == GOAL_ONLINE && state == WP_RESOURCE_ONLINE) ||
	    (w->goal == GOAL_OFFLINE && state == WP_RESOURCE_OFFLINE) ||
	    (w->goal == GOAL_FAIL && state == WP_RESOURCE_FAILED))
		return EXIT_OK;

	for (;;) {
		uint64_t now = now_us();
		wp_notification ev;

		r = now >= deadline ? 0
				    : wp_notify_next(n, (int) ((deadline - now + 999) / 1000), &ev);
		if (r == 0) {
			if (snapshot(w, &state, &restarts) == 0)
				err_msg("%s: timed out after %lu ms waiting for %s (state: %s)",
					what("resource", w->name), timeout_ms, goal_text[w->goal],
					wp_resource_state_to_string(state));
			return EXIT_ERROR;
		}
		if (r < 0) {
			err_msg("%s: lost the connection to wolfpackd while waiting: %s",
				what("resource", w->name), strerror(-r));
			return EXIT_ERROR;
		}
		if (ev.filter == WP_CHANGE_CLUSTER_RECONNECT) {
			/* Events were dropped (and the library subscribed again): look. */
			r = snapshot(w, &state, &restarts);
			if (r)
				return r;
			r = judge(w, state, false);
		} else if (strcmp(ev.name, w->name) != 0) {
			continue;
		} else if (ev.filter == WP_CHANGE_RESOURCE_DELETED) {
			err_msg("%s: deleted while waiting", what("resource", w->name));
			return EXIT_ERROR;
		} else if (ev.filter == WP_CHANGE_RESOURCE_STATE) {
			r = judge(w, ev.state, true);
		} else {
			continue;
		}
		if (r != KEEP_WAITING)
			return r;
	}
}

static int change(ctl *c, const char *name, goal g, const res_opts *o,
		  int (*fn)(wp_cluster *cl, const char *name))
{
	unsigned long timeout_ms = o->timeout_set ? o->timeout_ms : DEFAULT_WAIT_MS;
	uint64_t deadline = now_us() + (uint64_t) timeout_ms * USEC_PER_MSEC;
	waiter w = { .c = c, .name = name, .goal = g };
	bool wait = o->wait && g != GOAL_NONE;
	wp_notify *n = NULL;
	int64_t restarts;
	int state, r;

	r = ctl_connect(c);
	if (r)
		return r;
	if (wait) {
		/* Subscribe first: every transition after the request is then reported. */
		r = wp_notify_open(c->cluster,
				   WP_CHANGE_RESOURCE_STATE | WP_CHANGE_RESOURCE_DELETED, &n);
		if (r < 0) {
			err_msg("%s: cannot subscribe to events: %s", what("resource", name),
				strerror(-r));
			return EXIT_ERROR;
		}
		if (g == GOAL_FAIL) {
			r = snapshot(&w, &state, &restarts);
			if (r)
				goto out;
			w.restarts = restarts;
		}
	}
	r = fn(c->cluster, name);
	if (r < 0) {
		r = ctl_fail(c, r, what("resource", name));
		goto out;
	}
	r = wait ? wait_for(&w, n, deadline, timeout_ms) : EXIT_OK;
out:
	wp_notify_close(n);
	return r;
}

/* ---- create / depend ---------------------------------------------------------------------- */

static int create(ctl *c, const char *name, res_opts *o)
{
	int r;

	if (!o->type)
		return usage_error(usage, "missing --type");
	if (!o->group)
		return usage_error(usage, "missing --group");
	r = ctl_connect(c);
	if (r)
		return r;
	o->params[o->n_params] = NULL;
	r = wp_resource_create(c->cluster, name, o->type, o->group, o->params,
			       o->separate_monitor ? WP_RESOURCE_SEPARATE_MONITOR
						   : WP_RESOURCE_DEFAULT_MONITOR);
	return r < 0 ? ctl_fail(c, r, what("resource", name)) : EXIT_OK;
}

static int depend(ctl *c, const char *name, int n, char **words, const res_opts *o)
{
	_cleanup_free_ char *expr = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (o->add && n > 0)
		return usage_error(usage, "give either an EXPRESSION or --add, not both");
	if (!o->add && n == 0)
		return usage_error(usage, "missing EXPRESSION ('' removes every dependency)");
	r = ctl_connect(c);
	if (r)
		return r;
	if (o->add) {
		r = wp_resource_add_dependency(c->cluster, name, o->add);
		return r < 0 ? ctl_fail(c, r, what("resource", name)) : EXIT_OK;
	}
	/* Words after the name form one expression: depend web [ip] and [disk]. */
	f = open_memstream(&expr, &len);
	if (!f)
		abort();
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", words[i]);
	fclose(f);
	r = wp_resource_set_dependency_expression(c->cluster, name, expr);
	return r < 0 ? ctl_fail(c, r, what("resource", name)) : EXIT_OK;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

int cmd_resource(ctl *c, int argc, char **argv)
{
	static const struct option create_opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "group", required_argument, NULL, 'g' },
		{ "param", required_argument, NULL, 'p' },
		{ "separate-monitor", no_argument, NULL, 's' },
		{ 0 },
	};
	static const struct option set_opts[] = {
		{ "param", required_argument, NULL, 'p' },
		{ "unset", required_argument, NULL, 'u' },
		{ 0 },
	};
	static const struct option depend_opts[] = {
		{ "add", required_argument, NULL, 'a' },
		{ 0 },
	};
	static const struct option wait_opts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 'T' },
		{ 0 },
	};
	static const struct {
		const char *verb;
		const struct option *opts;
		goal goal;
		int (*fn)(wp_cluster *cl, const char *name);
	} verbs[] = {
		{ "create", create_opts, GOAL_NONE, NULL },
		{ "delete", wait_opts, GOAL_NONE, wp_resource_delete },
		{ "online", wait_opts, GOAL_ONLINE, wp_resource_online },
		{ "offline", wait_opts, GOAL_OFFLINE, wp_resource_offline },
		{ "fail", wait_opts, GOAL_FAIL, wp_resource_fail },
		{ "show", NULL, GOAL_NONE, NULL },
		{ "get", NULL, GOAL_NONE, NULL },
		{ "set", set_opts, GOAL_NONE, NULL },
		{ "depend", depend_opts, GOAL_NONE, NULL },
	};
	_cleanup_free_ const char **params = NULL, **unsets = NULL;
	res_opts o = { 0 };
	const char *verb, *name;
	int r, first, rest;
	size_t v;

	if (argc < 2)
		return usage_error(usage, "missing subcommand");
	verb = argv[1];
	if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0)
		return help(usage);
	for (v = 0; v < ELEMENTSOF(verbs); v++)
		if (strcmp(verb, verbs[v].verb) == 0)
			break;
	if (v == ELEMENTSOF(verbs))
		return usage_error(usage, "unknown subcommand '%s'", verb);

	params = calloc((size_t) argc + 1, sizeof(*params));
	unsets = calloc((size_t) argc + 1, sizeof(*unsets));
	if (!params || !unsets)
		abort();
	o.params = params;
	o.unsets = unsets;
	r = parse_options(argc - 1, argv + 1, verbs[v].opts, usage, on_opt, &o, &first);
	if (r >= 0)
		return r;
	argc--;
	argv++;
	if (first >= argc)
		return usage_error(usage, "missing resource name");
	name = argv[first];
	rest = argc - first - 1;
	if (o.timeout_set && !o.wait)
		return usage_error(usage, "--timeout only applies with --wait");

	if (strcmp(verb, "set") == 0) {
		if (rest == 0 && o.n_params == 0 && o.n_unsets == 0)
			return usage_error(usage, "nothing to set");
		return set(c, name, rest, argv + first + 1, &o);
	}
	if (strcmp(verb, "depend") == 0)
		return depend(c, name, rest, argv + first + 1, &o);
	if (strcmp(verb, "get") == 0) {
		if (rest > 1)
			return usage_error(usage, "unexpected argument '%s'", argv[first + 2]);
		return get(c, name, rest ? argv[first + 1] : NULL);
	}
	if (rest > 0)
		return usage_error(usage, "unexpected argument '%s'", argv[first + 1]);
	if (strcmp(verb, "create") == 0)
		return create(c, name, &o);
	if (strcmp(verb, "show") == 0)
		return show(c, name);
	return change(c, name, verbs[v].goal, &o, verbs[v].fn);
}
