/* SPDX-License-Identifier: MIT */
/*
 * wpctl - control a Wolfpack cluster through wolfpackd's API (docs/wpctl.md).
 *
 * The global options (--socket, --json) may appear anywhere before a "--": they are taken out
 * of argv first, so that "wpctl resource show web --json" and "wpctl --json resource show web"
 * are the same. Then the first word picks the command family; each family parses the rest.
 */
#include <stdlib.h>
#include <string.h>

#include "wpctl.h"

static const char usage_text[] =
	"Usage: wpctl [--socket PATH] [--json] COMMAND [ARGUMENTS]\n"
	"\n"
	"Commands:\n"
	"  status                                    nodes, quorum, groups and resources\n"
	"  node list                                 nodes: id, state, groups; quorum\n"
	"  node pause NAME [--drain] | node resume NAME\n"
	"  cluster set PROPERTY=VALUE...             e.g. FencingCommand=/usr/sbin/fence-node\n"
	"  type list                                 resource types\n"
	"  group create|delete|online|offline|show NAME\n"
	"  group move NAME [--node NODE]\n"
	"  group set NAME PROPERTY=VALUE...\n"
	"  resource create NAME --type TYPE --group GROUP [--param KEY=VALUE]...\n"
	"                  [--separate-monitor]\n"
	"  resource set NAME [PROPERTY=VALUE]... [--param KEY=VALUE]... [--unset KEY]...\n"
	"  resource get NAME [PROPERTY]\n"
	"  resource show NAME\n"
	"  resource depend NAME EXPRESSION | resource depend NAME --add OTHER\n"
	"  resource online|offline|delete NAME [--wait] [--timeout MS]\n"
	"  resource fail NAME [--wait] [--timeout MS]\n"
	"  events [--follow] [--filter NAME,...] [--count N] [--timeout MS]\n"
	"  log [--follow] [--resource NAME] [--limit N]\n"
	"\n"
	"Options:\n"
	"  --socket PATH  wolfpackd's socket (default: $WOLFPACK_SOCKET, else\n"
	"                 " WP_DEFAULT_SOCKET ")\n"
	"  --json         print the daemon's JSON (one object per line)\n"
	"  -h, --help     help, also after any command\n"
	"  --version      print the version\n"
	"\n"
	"Exit status: 0 success, 1 error (daemon, connection, --wait not met), 2 usage error.\n";

static const char short_usage[] =
	"Usage: wpctl [--socket PATH] [--json]\n"
	"             status|type|group|resource|node|cluster|events|log ...\n"
	"       wpctl --help\n";

static const struct {
	const char *name;
	int (*fn)(ctl *c, int argc, char **argv);
} families[] = {
	{ "status", cmd_status },     { "type", cmd_type },     { "group", cmd_group },
	{ "resource", cmd_resource }, { "node", cmd_node },       { "cluster", cmd_cluster },
	{ "events", cmd_events },     { "log", cmd_log },
};

/* Takes the global options out of argv (up to a "--"). Returns -1, or an exit status. */
static int take_globals(ctl *c, int *argc, char **argv)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(a, "--json") == 0) {
			c->json = true;
		} else if (strcmp(a, "--socket") == 0) {
			if (i + 1 >= *argc || !argv[i + 1][0])
				return usage_error(short_usage, "option '--socket' needs a value");
			c->socket = argv[++i];
		} else if (strncmp(a, "--socket=", 9) == 0) {
			if (!a[9])
				return usage_error(short_usage, "option '--socket' needs a value");
			c->socket = a + 9;
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	*argc = out;
	return -1;
}

int main(int argc, char **argv)
{
	ctl c = { 0 };
	int r;

	r = take_globals(&c, &argc, argv);
	if (r >= 0)
		return r;
	if (argc < 2)
		return usage_error(short_usage, "no command given");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return help(usage_text);
	if (strcmp(argv[1], "--version") == 0) {
		printf("wpctl %s\n", WP_VERSION_STRING);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(argv[1], families[i].name) == 0) {
			r = families[i].fn(&c, argc - 1, argv + 1);
			wp_cluster_close(c.cluster);
			if (fflush(stdout) != 0 && r == EXIT_OK) {
				err_msg("writing output failed");
				r = EXIT_ERROR;
			}
			return r;
		}
	if (argv[1][0] == '-')
		return usage_error(short_usage, "unknown option '%s'", argv[1]);
	return usage_error(short_usage, "unknown command '%s'", argv[1]);
}
