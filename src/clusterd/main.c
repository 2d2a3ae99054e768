/* SPDX-License-Identifier: MIT */
/*
 * wolfpackd: the cluster service. Starts with no configuration as a one-node cluster named
 * after the host, keeps the cluster database in --state-dir, supervises the Resource
 * Monitors, and serves the client API on --socket.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clusterd.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: wolfpackd [--state-dir DIR] [--socket PATH] [--foreground]\n"
		"                 [--resmon PATH] [--plugin-dir DIR]... [--cluster-name NAME]\n"
		"The Wolfpack cluster service.\n"
		"  --state-dir DIR     cluster database and state (default /var/lib/wolfpack)\n"
		"  --socket PATH       client API socket (default /run/wolfpack/wolfpack.sock)\n"
		"  --foreground        do not detach (for systemd and tests)\n"
		"  --resmon PATH       the Resource Monitor binary (default: next to wolfpackd)\n"
		"  --plugin-dir DIR    where resource plugins are (repeatable)\n"
		"  --cluster-name NAME name of a new cluster (default: the host name)\n"
		"  --event-backlog N   bytes of undelivered events a subscriber may have before it\n"
		"                      is told to reconnect (default 4194304)\n"
		"  --cluster MODE      auto (default): join the Corosync cluster if Corosync runs on\n"
		"                      this node at start, else run as a one-node cluster;\n"
		"                      corosync: always (wait for Corosync); none: one-node cluster\n");
}

static char *exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n <= 0)
		return strdup(".");
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return strdup(buf);
}

/* Finds the monitor and the plugins: in a build tree (bin/ next to plugins/), in an installed
 * tree (sbin/ next to libexec/wolfpack and lib/wolfpack/plugins), or at the configured paths. */
static void find_paths(char **plugin_dirs, size_t n_dirs)
{
	char *dir = exe_dir(), *p;
	static char *defaults[2];

	if (!cl.resmon_path) {
		const char *candidates[] = { "/wp-resmon", "/../libexec/wolfpack/wp-resmon" };
		for (size_t i = 0; i < 2 && !cl.resmon_path; i++) {
			if (asprintf(&p, "%s%s", dir, candidates[i]) < 0)
				abort();
			if (access(p, X_OK) == 0)
				cl.resmon_path = p;
			else
				free(p);
		}
		if (!cl.resmon_path)
			cl.resmon_path = strdup(WP_INSTALLED_RESMON);
	}
	if (n_dirs) {
		cl.plugin_dirs = plugin_dirs;
	} else {
		const char *candidates[] = { "/../plugins", "/../lib/wolfpack/plugins" };
		for (size_t i = 0; i < 2 && !defaults[0]; i++) {
			struct stat st;
			if (asprintf(&p, "%s%s", dir, candidates[i]) < 0)
				abort();
			if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
				defaults[0] = p;
			else
				free(p);
		}
		if (!defaults[0])
			defaults[0] = strdup(WP_INSTALLED_PLUGIN_DIR);
		cl.plugin_dirs = defaults;
	}
	free(dir);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int) sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	cl_log(CL_INFO, cl.name, "signal %u: stopping the cluster service", si->ssi_signo);
	sd_event_exit(cl.event, 0);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "resmon", required_argument, NULL, 'r' },
		{ "plugin-dir", required_argument, NULL, 'p' },
		{ "cluster-name", required_argument, NULL, 'n' },
		{ "event-backlog", required_argument, NULL, 'b' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *state_dir = "/var/lib/wolfpack", *socket_path = "/run/wolfpack/wolfpack.sock";
	const char *cluster_name = NULL;
	char *plugin_dirs[32] = {}, host[256] = "localhost", *dbpath, *sockdir, *v = NULL;
	size_t n_dirs = 0;
	const char *mode = "auto";
	sigset_t mask;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case 's':
			state_dir = optarg;
			break;
		case 'S':
			socket_path = optarg;
			break;
		case 'f':
			cl.foreground = true;
			break;
		case 'r':
			cl.resmon_path = strdup(optarg);
			break;
		case 'p':
			if (n_dirs < 31)
				plugin_dirs[n_dirs++] = optarg;
			break;
		case 'n':
			cluster_name = optarg;
			break;
		case 'b': {
			char *end;
			unsigned long long bytes = strtoull(optarg, &end, 10);
			if (*end || bytes < 1024) {
				fprintf(stderr, "wolfpackd: invalid --event-backlog '%s'\n", optarg);
				return 2;
			}
			api_event_backlog = (size_t) bytes;
			break;
		}
		case 'c':
			if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "corosync") != 0 &&
			    strcmp(optarg, "none") != 0) {
				fprintf(stderr, "wolfpackd: --cluster must be auto, corosync or none\n");
				return 2;
			}
			mode = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	find_paths(plugin_dirs, n_dirs);
	(void) gethostname(host, sizeof(host) - 1);
	cl.node = strdup(host);
	cl.state_dir = strdup(state_dir);

	if ((r = mkdir_p(state_dir, 0700)) < 0) {
		fprintf(stderr, "wolfpackd: cannot create %s: %s\n", state_dir, strerror(-r));
		return 1;
	}
	sockdir = strdup(socket_path);
	if (strrchr(sockdir, '/')) {
		*strrchr(sockdir, '/') = '\0';
		if (sockdir[0] && (r = mkdir_p(sockdir, 0755)) < 0) {
			fprintf(stderr, "wolfpackd: cannot create %s: %s\n", sockdir, strerror(-r));
			return 1;
		}
	}
	free(sockdir);
	if (asprintf(&dbpath, "%s/cluster.db", state_dir) < 0)
		return 1;
	if ((r = db_open(dbpath, &cl.db)) < 0) {
		fprintf(stderr, "wolfpackd: cannot open the cluster database %s: %s\n", dbpath,
			db_errmsg(cl.db));
		return 1;
	}
	free(dbpath);
	if (db_meta_get(cl.db, "cluster_name", &v) < 0) {
		v = strdup(cluster_name ? cluster_name : host);
		if ((r = db_meta_set(cl.db, "cluster_name", v)) < 0) {
			fprintf(stderr, "wolfpackd: cluster database: %s\n", db_errmsg(cl.db));
			return 1;
		}
	}
	cl.name = v;

	if (!cl.foreground && daemon(0, 0) < 0) {
		perror("wolfpackd: daemon");
		return 1;
	}

	/* sd-event handles these; children (monitors) reset their mask before exec. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((r = sd_event_default(&cl.event)) < 0 ||
	    (r = sd_event_add_signal(cl.event, NULL, SIGTERM, on_signal, NULL)) < 0 ||
	    (r = sd_event_add_signal(cl.event, NULL, SIGINT, on_signal, NULL)) < 0) {
		fprintf(stderr, "wolfpackd: event loop: %s\n", strerror(-r));
		return 1;
	}
	if ((r = engine_load()) < 0) {
		fprintf(stderr, "wolfpackd: loading the cluster database: %s\n", db_errmsg(cl.db));
		return 1;
	}
	if ((r = monitors_start()) < 0) {
		fprintf(stderr, "wolfpackd: cannot start the Resource Monitor %s: %s\n",
			cl.resmon_path, strerror(-r));
		return 1;
	}
	if ((r = api_start(socket_path)) < 0) {
		fprintf(stderr, "wolfpackd: cannot listen on %s: %s\n", socket_path, strerror(-r));
		return 1;
	}
	if (strcmp(mode, "none") != 0) {
		bool must = strcmp(mode, "corosync") == 0;

		if ((r = cluster_start(must)) < 0) {
			fprintf(stderr, "wolfpackd: cannot join the cluster: %s\n", strerror(-r));
			return 1;
		}
	}
	engine_start();
	cl_log(CL_INFO, cl.name, "cluster service started on node '%s' (socket %s, %s)", cl.node,
	       socket_path, cl_multi ? "Corosync cluster" : "one-node cluster");
	cl_log_flush();

	r = sd_event_loop(cl.event);

	cl.shutting_down = true;
	cluster_stop();
	api_stop();
	engine_stop();
	monitors_stop();
	db_close(cl.db);
	return r < 0 ? 1 : 0;
}
