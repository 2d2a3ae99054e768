/* SPDX-License-Identifier: MIT */
/*
 * wp-resmon: the Resource Monitor. Hosts resource plugins for its parent (the cluster service
 * or wp-restest) and speaks docs/resmon-protocol.md on a SOCK_SEQPACKET socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "jmsg.h"
#include "macro.h"
#include "resmon.h"
#include "time-util.h"

resmon rm = {
	.parent_fd = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

int log_max_level = 4;
static const char *monitor_name = "wp-resmon";

void log_full(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (level > log_max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "<%d>%s[%d]: %s\n", level, monitor_name, (int) getpid(), buf);
}

struct json_object *event_new(const char *name, const instance *inst)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "event", json_object_new_string(name));
	json_object_object_add(e, "t_us", json_object_new_int64((int64_t) now_us()));
	if (inst)
		json_object_object_add(e, "id", json_object_new_int64(inst->id));
	return e;
}

static jmsg_outbox outbox;

void emit(struct json_object *obj)
{
	int r = jmsg_outbox_send(rm.parent_fd, &outbox, obj);

	if (r == 1 && rm.parent_source)
		sd_event_source_set_io_events(rm.parent_source, EPOLLIN | EPOLLOUT);
	/* A parent that went away is noticed by the EOF on its socket; nothing to do here. */
	else if (r < 0 && r != -EPIPE && r != -ECONNRESET)
		log_warn("cannot send event: %s", strerror(-r));
	json_object_put(obj);
}

void emit_flush(void)
{
	/* Last words before _exit: give the parent up to ~2 s to take what waits. */
	for (int i = 0; i < 10 && outbox.count; i++) {
		struct pollfd pfd = { .fd = rm.parent_fd, .events = POLLOUT };

		if (jmsg_outbox_flush(rm.parent_fd, &outbox, false) <= 0)
			break;
		(void) poll(&pfd, 1, 200);
	}
}

static void emit_text(const char *event, const char *op, const instance *inst, int level,
		      const char *fmt, va_list ap)
{
	struct json_object *e = event_new(event, inst);
	char buf[600];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (op)
		json_object_object_add(e, "op", json_object_new_string(op));
	if (level >= 0) {
		static const char *const names[] = { "information", "warning", "error", "severe" };
		json_object_object_add(e, "level", json_object_new_int(level));
		json_object_object_add(e, "level_name", json_object_new_string(names[level]));
	}
	json_object_object_add(e, "message", json_object_new_string(buf));
	emit(e);
}

void emit_log(const instance *inst, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit_text("log", NULL, inst, level, fmt, ap);
	va_end(ap);
}

void emit_error(const char *op, const instance *inst, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit_text("error", op, inst, -1, fmt, ap);
	va_end(ap);
}

static void handle_command(struct json_object *cmd)
{
	const char *op = jmsg_get_str(cmd, "op");
	instance *inst;
	uint32_t id;

	if (!op) {
		emit_error(NULL, NULL, "command without 'op'");
		return;
	}
	if (strcmp(op, "open") == 0) {
		(void) instance_open(cmd);
		return;
	}
	if (strcmp(op, "shutdown") == 0) {
		instance_shutdown_all();
		return;
	}
	if (strcmp(op, "type_control") == 0) {
		(void) control_start(cmd, NULL, true);
		return;
	}
	if (!jmsg_get_u32(cmd, "id", &id)) {
		emit_error(op, NULL, "'id' is required");
		return;
	}
	inst = idmap_get(&rm.instances, id);
	if (!inst) {
		struct json_object *e = event_new("error", NULL);

		json_object_object_add(e, "op", json_object_new_string(op));
		json_object_object_add(e, "id", json_object_new_int64(id));
		json_object_object_add(e, "message", json_object_new_string("no such resource"));
		emit(e);
		return;
	}
	instance_command(op, inst, cmd);
}

static int on_parent(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	if (revents & EPOLLOUT) {
		int r = jmsg_outbox_flush(fd, &outbox, false);

		if (r <= 0)
			sd_event_source_set_io_events(s, EPOLLIN);
	}
	if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return 0;
	/* Bounded batch per wake-up so timers and plugin messages are not starved. */
	for (int i = 0; i < 64; i++) {
		struct json_object *cmd = NULL;
		int r = jmsg_recv(fd, &cmd);

		if (r == -EAGAIN)
			return 0;
		if (r == -EBADMSG) {
			emit_error(NULL, NULL, "malformed command: not a JSON object of at most %d bytes",
				   JMSG_MAX);
			continue;
		}
		if (r <= 0) {
			/* EOF or a broken socket: the parent is gone. Stop everything cleanly. */
			if (r < 0)
				log_warn("parent socket: %s", strerror(-r));
			rm.parent_source = sd_event_source_disable_unref(rm.parent_source);
			instance_shutdown_all();
			return 0;
		}
		handle_command(cmd);
		json_object_put(cmd);
	}
	return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	log_info("signal %u, shutting down", si->ssi_signo);
	instance_shutdown_all();
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: wp-resmon --fd N --plugin-dir DIR [--plugin-dir DIR]... [--name NAME]\n"
		"                 [--log-level 0-7]\n"
		"The Resource Monitor: hosts Wolfpack resource plugins for its parent, which\n"
		"talks to it over the SOCK_SEQPACKET socket N (see docs/resmon-protocol.md).\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option options[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "plugin-dir", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	size_t n_dirs = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		char *end;
		long v;

		switch (c) {
		case 'f':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 0 || v > 65535)
				return fprintf(stderr, "wp-resmon: invalid --fd '%s'\n", optarg), -1;
			rm.parent_fd = (int) v;
			break;
		case 'p': {
			char **dirs = realloc(rm.plugin_dirs, (n_dirs + 2) * sizeof(char *));
			if (!dirs)
				return -1;
			rm.plugin_dirs = dirs;
			rm.plugin_dirs[n_dirs++] = optarg;
			rm.plugin_dirs[n_dirs] = NULL;
			break;
		}
		case 'n':
			monitor_name = optarg;
			break;
		case 'l':
			log_max_level = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (rm.parent_fd < 0 || n_dirs == 0 || optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int check_parent_fd(int fd)
{
	int type;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	return type == SOCK_SEQPACKET ? 0 : -ENOTSOCK;
}

int main(int argc, char **argv)
{
	struct json_object *ready;
	sigset_t mask;
	int r;

	if (parse_args(argc, argv) < 0)
		return 1;
	r = check_parent_fd(rm.parent_fd);
	if (r < 0) {
		fprintf(stderr, "wp-resmon: --fd %d is not a SOCK_SEQPACKET socket: %s\n",
			rm.parent_fd, strerror(-r));
		return 1;
	}
	/* Keep the parent socket away from plugin children. */
	(void) fcntl(rm.parent_fd, F_SETFD, FD_CLOEXEC);
	(void) fcntl(rm.parent_fd, F_SETFL, fcntl(rm.parent_fd, F_GETFL) | O_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	crash_handler_install();

	/* Block the signals sd-event handles before any thread exists, so all inherit it. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);

	r = sd_event_new(&rm.event);
	if (r < 0)
		return fprintf(stderr, "wp-resmon: sd_event_new: %s\n", strerror(-r)), 1;
	if (sd_event_add_signal(rm.event, NULL, SIGTERM, on_signal, NULL) < 0 ||
	    sd_event_add_signal(rm.event, NULL, SIGINT, on_signal, NULL) < 0 ||
	    sd_event_add_signal(rm.event, NULL, SIGHUP, on_signal, NULL) < 0 ||
	    queue_attach(rm.event) < 0 || pool_start() < 0 ||
	    sd_event_add_io(rm.event, &rm.parent_source, rm.parent_fd, EPOLLIN, on_parent, NULL) <
		    0) {
		fprintf(stderr, "wp-resmon: cannot set up the event loop\n");
		return 1;
	}

	ready = event_new("ready", NULL);
	json_object_object_add(ready, "pid", json_object_new_int(getpid()));
	json_object_object_add(ready, "version", json_object_new_string(WP_VERSION_STRING));
	json_object_object_add(ready, "abi_min", json_object_new_int(WP_RESAPI_VERSION_MIN));
	json_object_object_add(ready, "abi_max", json_object_new_int(WP_RESAPI_VERSION_MAX));
	emit(ready);

	r = sd_event_loop(rm.event);
	/* Plugin threads may still run (workers that ignore terminate); leave without unwinding
	 * anything they could be using. */
	emit_flush();
	fflush(stderr);
	_exit(r < 0 ? 1 : 0);
}
