/* SPDX-License-Identifier: MIT */
/* wpctl events: print notifications as they come (subscribe). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "time-util.h"
#include "wpctl.h"

static const char usage[] =
	"Usage: wpctl events [--follow] [--filter NAME,...] [--count N] [--timeout MS]\n"
	"\n"
	"Prints change notifications, one per line: without --follow the first one (or --count\n"
	"N of them), with --follow every one until interrupted. --json prints each event as\n"
	"the daemon sent it.\n"
	"\n"
	"  --filter    resource-state, resource-added, resource-deleted, resource-property,\n"
	"              group-state, group-added, group-deleted, group-property, log, all\n"
	"              (default: all, which does not include log); reconnect always comes\n"
	"  --count N   stop after N events\n"
	"  --timeout   stop after MS milliseconds: exit 0 with --follow, else 1\n";

static const struct {
	const char *name;
	uint32_t bit;
} filters[] = {
	{ "resource-state", WP_CHANGE_RESOURCE_STATE },
	{ "resource-added", WP_CHANGE_RESOURCE_ADDED },
	{ "resource-deleted", WP_CHANGE_RESOURCE_DELETED },
	{ "resource-property", WP_CHANGE_RESOURCE_PROPERTY },
	{ "group-state", WP_CHANGE_GROUP_STATE },
	{ "group-added", WP_CHANGE_GROUP_ADDED },
	{ "group-deleted", WP_CHANGE_GROUP_DELETED },
	{ "group-property", WP_CHANGE_GROUP_PROPERTY },
	{ "all", WP_CHANGE_ALL },
};

typedef struct events_opts {
	bool follow, json, log;
	uint32_t filter;
	unsigned long count, timeout_ms, seen;
} events_opts;

static int parse_filter(events_opts *o, const char *arg)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL;

	if (!copy)
		abort();
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;

		if (strcmp(t, "log") == 0) {
			o->log = true;
			continue;
		}
		for (i = 0; i < ELEMENTSOF(filters); i++)
			if (strcmp(t, filters[i].name) == 0)
				break;
		if (i == ELEMENTSOF(filters))
			return usage_error(usage, "unknown filter '%s'", t);
		o->filter |= filters[i].bit;
	}
	if (!o->filter && !o->log)
		return usage_error(usage, "empty --filter");
	return -1;
}

static int on_opt(int opt, const char *arg, void *userdata)
{
	events_opts *o = userdata;

	switch (opt) {
	case 'f':
		o->follow = true;
		return -1;
	case 'F':
		return parse_filter(o, arg);
	case 'c':
		if (!parse_uint(arg, false, &o->count))
			return usage_error(usage, "'--count %s': expected a number > 0", arg);
		return -1;
	case 'T':
		if (!parse_uint(arg, false, &o->timeout_ms) || o->timeout_ms > INT32_MAX)
			return usage_error(usage, "'--timeout %s': expected milliseconds > 0",
					   arg);
		return -1;
	}
	return usage_error(usage, "unexpected option");
}

int event_loop(wp_notify *n, uint64_t deadline, int on_timeout,
	       int (*on_event)(const wp_notification *ev, void *userdata), void *userdata)
{
	_cleanup_close_ int sfd = -1;
	sigset_t mask;

	/* SIGINT and SIGTERM end the loop normally: read them from a descriptor. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		err_msg("signalfd: %s", strerror(errno));
		return EXIT_ERROR;
	}
	for (;;) {
		struct pollfd p[2];
		wp_notification ev;
		int timeout = -1, r;

		/* Everything already buffered first: poll() cannot see it. */
		while ((r = wp_notify_next(n, 0, &ev)) > 0) {
			int q = on_event(&ev, userdata);

			if (fflush(stdout) != 0) {
				err_msg("writing output failed");
				return EXIT_ERROR;
			}
			if (q != KEEP_GOING)
				return q;
		}
		if (r < 0) {
			if (r == -ECONNRESET)
				err_msg("wolfpackd closed the connection");
			else
				err_msg("reading events: %s", strerror(-r));
			return EXIT_ERROR;
		}
		if (deadline != UINT64_MAX) {
			uint64_t now = now_us();

			if (now >= deadline)
				return on_timeout;
			timeout = (int) ((deadline - now + 999) / 1000);
		}
		p[0] = (struct pollfd) { .fd = wp_notify_fd(n), .events = POLLIN };
		p[1] = (struct pollfd) { .fd = sfd, .events = POLLIN };
		r = poll(p, 2, timeout);
		if (r < 0 && errno != EINTR) {
			err_msg("poll: %s", strerror(errno));
			return EXIT_ERROR;
		}
		if (r > 0 && p[1].revents)
			return EXIT_OK;
	}
}

/* The local wall-clock time, for humans reading along. */
static void print_time(void)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	printf("%02d:%02d:%02d.%03ld ", tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static int on_event(const wp_notification *ev, void *userdata)
{
	events_opts *o = userdata;

	if (o->json) {
		puts(ev->json);
	} else {
		print_time();
		if (ev->filter == WP_CHANGE_CLUSTER_RECONNECT)
			printf("reconnect %s\n", ev->message ? ev->message : "");
		else if (ev->filter == 0)
			printf("%s %s%s%s\n", ev->event, ev->name, ev->name[0] ? ": " : "",
			       ev->message ? ev->message : "");
		else if (ev->filter == WP_CHANGE_RESOURCE_STATE)
			printf("%s %s %s\n", ev->event, ev->name,
			       wp_resource_state_to_string(ev->state));
		else if (ev->filter == WP_CHANGE_GROUP_STATE)
			printf("%s %s %s\n", ev->event, ev->name,
			       wp_group_state_to_string(ev->state));
		else
			printf("%s %s\n", ev->event, ev->name);
	}
	o->seen++;
	if (!o->follow && o->seen >= o->count)
		return EXIT_OK;
	return KEEP_GOING;
}

int cmd_events(ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "filter", required_argument, NULL, 'F' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'T' },
		{ 0 },
	};
	events_opts o = { .json = c->json };
	uint64_t deadline = UINT64_MAX;
	wp_notify *n = NULL;
	int r, first;

	r = parse_options(argc, argv, opts, usage, on_opt, &o, &first);
	if (r >= 0)
		return r;
	if (first < argc)
		return usage_error(usage, "unexpected argument '%s'", argv[first]);
	if (o.follow && o.count)
		o.follow = false; /* --count bounds --follow */
	if (!o.count)
		o.count = 1;
	if (!o.filter && !o.log)
		o.filter = WP_CHANGE_ALL;
	if (o.timeout_ms)
		deadline = now_us() + (uint64_t) o.timeout_ms * USEC_PER_MSEC;
	r = ctl_connect(c);
	if (r)
		return r;
	r = wp_notify_open_ex(c->cluster, o.filter, o.log ? WP_NOTIFY_LOG : 0, &n);
	if (r < 0) {
		err_msg("cannot subscribe: %s", strerror(-r));
		return EXIT_ERROR;
	}
	r = event_loop(n, deadline, o.follow ? EXIT_OK : EXIT_ERROR, on_event, &o);
	wp_notify_close(n);
	return r;
}
