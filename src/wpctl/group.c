/* SPDX-License-Identifier: MIT */
/* wpctl group: create, delete, online, offline, show, move, set. */
#include <stdlib.h>
#include <string.h>

#include "jmsg.h"
#include "macro.h"
#include "wpctl.h"

static const char usage[] =
	"Usage: wpctl group create|delete|online|offline|show NAME\n"
	"       wpctl group move NAME [--node NODE]\n"
	"       wpctl group set NAME PROPERTY=VALUE...\n"
	"\n"
	"  create, delete    add an empty group, remove an empty group\n"
	"  online, offline   start or stop every resource of the group (returns when started)\n"
	"  show              state, owner, members and common properties\n"
	"                    (--json: the daemon's group object)\n"
	"  move              move to NODE, or to the best node; prints where it went\n"
	"  set               set common properties (WSFC names, e.g. FailoverThreshold=3,\n"
	"                    PreferredOwners=node1,node2); numbers are decimal or 0x-hex\n";

typedef struct group_opts {
	const char *node;
} group_opts;

static int on_opt(int opt, const char *arg, void *userdata)
{
	group_opts *o = userdata;

	if (opt == 'n') {
		o->node = arg;
		return -1;
	}
	return usage_error(usage, "unexpected option");
}

static int show(ctl *c, const char *name)
{
	struct json_object *reply, *g, *props;
	_cleanup_free_ char *members = NULL;
	struct json_object *v = NULL;
	table t;
	int r;

	r = ctl_call(c, request("group.show", name), &reply, what("group", name));
	if (r)
		return r;
	if (!json_object_object_get_ex(reply, "group", &g)) {
		json_object_put(reply);
		err_msg("%s: reply without 'group'", what("group", name));
		return EXIT_ERROR;
	}
	if (c->json) {
		print_json(g);
		json_object_put(reply);
		return EXIT_OK;
	}
	(void) json_object_object_get_ex(g, "resources", &v);
	members = value_text(v);
	table_init(&t, 2);
	table_add(&t, "name:", jmsg_get_str(g, "name"));
	table_add(&t, "state:", jmsg_get_str(g, "state"));
	table_add(&t, "owner:", jmsg_get_str(g, "owner_node"));
	if (jmsg_get_str(g, "moving_to"))
		table_add(&t, "moving to:", jmsg_get_str(g, "moving_to"));
	table_add(&t, "resources:", members);
	table_print(&t);
	table_free(&t);
	if (json_object_object_get_ex(g, "properties", &props) &&
	    json_object_is_type(props, json_type_object)) {
		printf("properties:\n");
		print_members(props, "  ");
	}
	json_object_put(reply);
	return EXIT_OK;
}

static int move(ctl *c, const char *name, const char *node)
{
	struct json_object *req = request("group.move", name), *reply;
	const char *dest;
	int r;

	if (node)
		json_set_str(req, "node", node);
	r = ctl_call(c, req, &reply, what("group", name));
	if (r)
		return r;
	dest = jmsg_get_str(reply, "node");
	if (c->json)
		print_reply_json(reply);
	else if (dest)
		printf("%s\n", dest);
	json_object_put(reply);
	return EXIT_OK;
}

static int set(ctl *c, const char *name, int n, char **assignments)
{
	struct json_object *reply, *g = NULL, *current = NULL, *props, *req;
	int r;

	for (int i = 0; i < n; i++) {
		const char *eq = strchr(assignments[i], '=');

		if (!eq || eq == assignments[i])
			return usage_error(usage, "'%s' is not PROPERTY=VALUE", assignments[i]);
	}
	/* The current values tell each property's type (number, string, list). */
	r = ctl_call(c, request("group.show", name), &reply, what("group", name));
	if (r)
		return r;
	if (json_object_object_get_ex(reply, "group", &g))
		(void) json_object_object_get_ex(g, "properties", &current);
	props = json_object_new_object();
	if (!props)
		abort();
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(assignments[i], '=');
		_cleanup_free_ char *key = strndup(assignments[i], (size_t) (eq - assignments[i]));
		struct json_object *cur = NULL;

		if (!key)
			abort();
		if (current)
			(void) json_object_object_get_ex(current, key, &cur);
		json_object_object_add(props, key, value_from_text(cur, eq + 1));
	}
	json_object_put(reply);
	req = request("group.set", name);
	json_object_object_add(req, "properties", props);
	return ctl_call(c, req, NULL, what("group", name));
}

int cmd_group(ctl *c, int argc, char **argv)
{
	static const struct option move_opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ 0 },
	};
	static const struct {
		const char *verb;
		int (*fn)(wp_cluster *cl, const char *name);
	} simple[] = {
		{ "create", wp_group_create },
		{ "delete", wp_group_delete },
		{ "online", wp_group_online },
		{ "offline", wp_group_offline },
	};
	static const char *const verbs[] = { "create", "delete", "online", "offline",
					     "show",   "move",   "set" };
	group_opts o = { 0 };
	const char *verb;
	size_t v;
	int r, first;

	if (argc < 2)
		return usage_error(usage, "missing subcommand");
	verb = argv[1];
	if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0)
		return help(usage);
	for (v = 0; v < ELEMENTSOF(verbs); v++)
		if (strcmp(verb, verbs[v]) == 0)
			break;
	if (v == ELEMENTSOF(verbs))
		return usage_error(usage, "unknown subcommand '%s'", verb);
	r = parse_options(argc - 1, argv + 1, strcmp(verb, "move") == 0 ? move_opts : NULL, usage,
			  on_opt, &o, &first);
	if (r >= 0)
		return r;
	argc--;
	argv++;
	if (first >= argc)
		return usage_error(usage, "missing group name");
	if (strcmp(verb, "set") == 0) {
		if (first + 1 >= argc)
			return usage_error(usage, "missing PROPERTY=VALUE");
		return set(c, argv[first], argc - first - 1, argv + first + 1);
	}
	if (first + 1 < argc)
		return usage_error(usage, "unexpected argument '%s'", argv[first + 1]);
	if (strcmp(verb, "show") == 0)
		return show(c, argv[first]);
	if (strcmp(verb, "move") == 0)
		return move(c, argv[first], o.node);
	for (size_t i = 0; i < ELEMENTSOF(simple); i++)
		if (strcmp(verb, simple[i].verb) == 0) {
			r = ctl_connect(c);
			if (r)
				return r;
			r = simple[i].fn(c->cluster, argv[first]);
			return r < 0 ? ctl_fail(c, r, what("group", argv[first])) : EXIT_OK;
		}
	return usage_error(usage, "unknown subcommand '%s'", verb);
}
