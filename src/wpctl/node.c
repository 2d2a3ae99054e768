/* SPDX-License-Identifier: MIT */
/* wpctl node: list, pause, resume. */
#include <stdlib.h>
#include <string.h>

#include "jmsg.h"
#include "macro.h"
#include "wpctl.h"

static const char usage[] =
	"Usage: wpctl node list\n"
	"       wpctl node pause NAME [--drain]\n"
	"       wpctl node resume NAME\n"
	"\n"
	"  list     every node: name, id, state (Up, Down, Paused, Joining), groups it owns,\n"
	"           whether it is the local node; then whether the cluster has quorum\n"
	"           (--json: the daemon's node.list reply)\n"
	"  pause    the node keeps its groups but takes no new ones; --drain also moves each of\n"
	"           its groups to the best other node (after the command returns)\n"
	"  resume   the node takes groups again\n"
	"\n"
	"A one-node cluster cannot pause its only node.\n";

typedef struct node_opts {
	bool drain;
} node_opts;

static int on_opt(int opt, const char *arg, void *userdata)
{
	node_opts *o = userdata;

	if (opt == 'd') {
		o->drain = true;
		return -1;
	}
	return usage_error(usage, "unexpected option");
}

void print_node_table(struct json_object *nodes)
{
	size_t n = nodes && json_object_is_type(nodes, json_type_array)
			   ? json_object_array_length(nodes)
			   : 0;
	table t;

	if (n == 0) {
		printf("(none)\n");
		return;
	}
	table_init(&t, 5);
	table_add(&t, "NAME", "ID", "STATE", "GROUPS", "LOCAL");
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(nodes, i), *v;
		_cleanup_free_ char *id = NULL, *groups = NULL;
		bool local = false;

		id = value_text(json_object_object_get_ex(o, "id", &v) ? v : NULL);
		/* A one-node cluster does not count groups per node. */
		groups = value_text(json_object_object_get_ex(o, "groups", &v) ? v : NULL);
		(void) jmsg_get_bool(o, "local", &local);
		table_add(&t, jmsg_get_str(o, "name"), id, jmsg_get_str(o, "state"), groups,
			  local ? "yes" : "no");
	}
	table_print(&t);
	table_free(&t);
}

const char *yes_no(struct json_object *o, const char *key)
{
	bool b;

	if (!jmsg_get_bool(o, key, &b))
		return "-";
	return b ? "yes" : "no";
}

static int list(ctl *c)
{
	struct json_object *reply, *nodes = NULL;
	int r;

	r = ctl_call(c, request("node.list", NULL), &reply, NULL);
	if (r)
		return r;
	if (c->json) {
		print_reply_json(reply);
		json_object_put(reply);
		return EXIT_OK;
	}
	(void) json_object_object_get_ex(reply, "nodes", &nodes);
	print_node_table(nodes);
	printf("quorate: %s\n", yes_no(reply, "quorate"));
	json_object_put(reply);
	return EXIT_OK;
}

int cmd_node(ctl *c, int argc, char **argv)
{
	static const struct option pause_opts[] = {
		{ "drain", no_argument, NULL, 'd' },
		{ 0 },
	};
	static const char *const verbs[] = { "list", "pause", "resume" };
	node_opts o = { 0 };
	const char *verb, *name;
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
	r = parse_options(argc - 1, argv + 1, strcmp(verb, "pause") == 0 ? pause_opts : NULL,
			  usage, on_opt, &o, &first);
	if (r >= 0)
		return r;
	argc--;
	argv++;
	if (strcmp(verb, "list") == 0) {
		if (first < argc)
			return usage_error(usage, "unexpected argument '%s'", argv[first]);
		return list(c);
	}
	if (first >= argc)
		return usage_error(usage, "missing node name");
	if (first + 1 < argc)
		return usage_error(usage, "unexpected argument '%s'", argv[first + 1]);
	name = argv[first];
	r = ctl_connect(c);
	if (r)
		return r;
	if (strcmp(verb, "pause") == 0)
		r = wp_node_pause(c->cluster, name, o.drain);
	else
		r = wp_node_resume(c->cluster, name);
	return r < 0 ? ctl_fail(c, r, what("node", name)) : EXIT_OK;
}
