/* SPDX-License-Identifier: MIT */
/* wpctl cluster: cluster-wide properties (cluster.set). */
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "wpctl.h"

static const char usage[] =
	"Usage: wpctl cluster set PROPERTY=VALUE...\n"
	"\n"
	"  set   sets cluster properties (strings; an empty value removes one). Known:\n"
	"        FencingCommand  the command that fences a node that left: run with /bin/sh -c,\n"
	"                        $1 the node's name, $2 its id; the node's groups wait until it\n"
	"                        exits 0\n";

static int no_opt(int opt, const char *arg, void *userdata)
{
	return -1;
}

static int set(ctl *c, int n, char **assignments)
{
	struct json_object *props, *req;

	for (int i = 0; i < n; i++) {
		const char *eq = strchr(assignments[i], '=');

		if (!eq || eq == assignments[i])
			return usage_error(usage, "'%s' is not PROPERTY=VALUE", assignments[i]);
	}
	props = json_object_new_object();
	if (!props)
		abort();
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(assignments[i], '=');
		_cleanup_free_ char *key = strndup(assignments[i], (size_t) (eq - assignments[i]));

		if (!key)
			abort();
		json_set_str(props, key, eq + 1);
	}
	req = request("cluster.set", NULL);
	json_object_object_add(req, "properties", props);
	return ctl_call(c, req, NULL, NULL);
}

int cmd_cluster(ctl *c, int argc, char **argv)
{
	int r, first;

	r = parse_options(argc, argv, NULL, usage, no_opt, NULL, &first);
	if (r >= 0)
		return r;
	if (first >= argc)
		return usage_error(usage, "missing subcommand");
	if (strcmp(argv[first], "set") != 0)
		return usage_error(usage, "unknown subcommand '%s'", argv[first]);
	if (first + 1 >= argc)
		return usage_error(usage, "missing PROPERTY=VALUE");
	return set(c, argc - first - 1, argv + first + 1);
}
