/* SPDX-License-Identifier: MIT */
/* wpctl type: resource types (type.list). */
#include <string.h>

#include "jmsg.h"
#include "wpctl.h"

static const char usage[] =
	"Usage: wpctl type list\n"
	"\n"
	"Lists the resource types: name and plugin. --json prints the daemon's reply\n"
	"({\"types\": [{\"name\", \"dll\", \"properties\"}]}).\n";

static int no_opt(int opt, const char *arg, void *userdata)
{
	return -1;
}

int cmd_type(ctl *c, int argc, char **argv)
{
	struct json_object *reply, *types;
	int r, first;
	table t;

	r = parse_options(argc, argv, NULL, usage, no_opt, NULL, &first);
	if (r >= 0)
		return r;
	if (first >= argc)
		return usage_error(usage, "missing subcommand");
	if (strcmp(argv[first], "list") != 0)
		return usage_error(usage, "unknown subcommand '%s'", argv[first]);
	if (first + 1 < argc)
		return usage_error(usage, "unexpected argument '%s'", argv[first + 1]);
	r = ctl_call(c, request("type.list", NULL), &reply, NULL);
	if (r)
		return r;
	if (c->json) {
		print_reply_json(reply);
		json_object_put(reply);
		return EXIT_OK;
	}
	table_init(&t, 2);
	table_add(&t, "NAME", "PLUGIN");
	if (json_object_object_get_ex(reply, "types", &types) &&
	    json_object_is_type(types, json_type_array))
		for (size_t i = 0; i < json_object_array_length(types); i++) {
			struct json_object *ty = json_object_array_get_idx(types, i);

			table_add(&t, jmsg_get_str(ty, "name"), jmsg_get_str(ty, "dll"));
		}
	table_print(&t);
	table_free(&t);
	json_object_put(reply);
	return EXIT_OK;
}
