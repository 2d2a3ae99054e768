/* SPDX-License-Identifier: MIT */
/* wpctl status: the cluster at a glance (cluster.status). */
#include <stdlib.h>
#include <string.h>

#include "jmsg.h"
#include "macro.h"
#include "wpctl.h"

static const char usage[] =
	"Usage: wpctl status\n"
	"\n"
	"Shows the cluster, the local node and whether the cluster has quorum; the nodes (id,\n"
	"state, groups they own); the groups (state, owner: \"n1 -> n2\" while moving,\n"
	"members); the resources (type, group, state, owner, restarts in the current\n"
	"RestartPeriod). --json prints the daemon's cluster.status reply (without id/ok).\n";

static int no_opt(int opt, const char *arg, void *userdata)
{
	return -1;
}

static struct json_object *array_of(struct json_object *o, const char *key)
{
	struct json_object *a;

	if (json_object_object_get_ex(o, key, &a) && json_object_is_type(a, json_type_array))
		return a;
	return NULL;
}

/* While a group moves, its owner cell says where to: "n1 -> n2". */
static void show_moves(struct json_object *groups)
{
	for (size_t i = 0; groups && i < json_object_array_length(groups); i++) {
		struct json_object *g = json_object_array_get_idx(groups, i);
		const char *to = jmsg_get_str(g, "moving_to"), *from = jmsg_get_str(g, "owner_node");
		char *s;

		if (!to || !to[0])
			continue;
		if (asprintf(&s, "%s -> %s", from && from[0] ? from : "-", to) < 0)
			abort();
		json_set_str(g, "owner_node", s);
		free(s);
	}
}

/* A member as text, for a table cell (caller frees). */
static char *cell(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	(void) json_object_object_get_ex(o, key, &v);
	return value_text(v);
}

static void section(const char *title, struct json_object *a, const char *const *cols,
		    const char *const *keys, size_t n)
{
	size_t rows = a ? json_object_array_length(a) : 0;
	table t;

	printf("%s:\n", title);
	if (rows == 0) {
		printf("(none)\n");
		return;
	}
	table_init(&t, n);
	/* Tables have a fixed number of columns; fill the variadic call from arrays. */
	for (size_t r = 0; r <= rows; r++) {
		char *v[6] = { 0 };

		for (size_t i = 0; i < n; i++)
			v[i] = r == 0 ? strdup(cols[i])
				      : cell(json_object_array_get_idx(a, r - 1), keys[i]);
		table_add(&t, v[0], v[1], v[2], v[3], v[4], v[5]);
		for (size_t i = 0; i < n; i++)
			free(v[i]);
	}
	table_print(&t);
	table_free(&t);
}

int cmd_status(ctl *c, int argc, char **argv)
{
	static const char *const group_cols[] = { "NAME", "STATE", "OWNER", "RESOURCES" };
	static const char *const group_keys[] = { "name", "state", "owner_node", "resources" };
	static const char *const res_cols[] = { "NAME", "TYPE", "GROUP", "STATE", "OWNER",
						"RESTARTS" };
	static const char *const res_keys[] = { "name", "type", "group", "state", "owner_node",
						"restart_count" };
	struct json_object *reply;
	int r, first;
	table t;

	r = parse_options(argc, argv, NULL, usage, no_opt, NULL, &first);
	if (r >= 0)
		return r;
	if (first < argc)
		return usage_error(usage, "unexpected argument '%s'", argv[first]);
	/* --json: the daemon's text as it came (10 000 resources: no parse, no re-serialise). */
	if (c->json)
		return ctl_call_print_raw(c, request("cluster.status", NULL), NULL);
	r = ctl_call(c, request("cluster.status", NULL), &reply, NULL);
	if (r)
		return r;
	table_init(&t, 2);
	table_add(&t, "Cluster:", jmsg_get_str(reply, "cluster"));
	table_add(&t, "Local node:", jmsg_get_str(reply, "node"));
	table_add(&t, "Quorate:", yes_no(reply, "quorate"));
	table_print(&t);
	table_free(&t);
	printf("\nNodes:\n");
	print_node_table(array_of(reply, "nodes"));
	putchar('\n');
	show_moves(array_of(reply, "groups"));
	section("Groups", array_of(reply, "groups"), group_cols, group_keys,
		ELEMENTSOF(group_cols));
	putchar('\n');
	section("Resources", array_of(reply, "resources"), res_cols, res_keys,
		ELEMENTSOF(res_cols));
	json_object_put(reply);
	return EXIT_OK;
}
