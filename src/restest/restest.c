/* SPDX-License-Identifier: MIT */
/*
 * wp-restest: the plugin test harness (in the spirit of Pacemaker's ocf-tester).
 *
 * Starts a private wp-resmon on a socketpair, drives one resource of the plugin under test
 * through open, online, a monitoring period and offline/close (or a failure), and prints every
 * event as one JSON object per line on stdout. The exit status says whether the run went the
 * way the flags expected, so that tests and plugin authors can script it.
 *
 * Single-threaded: one poll() loop (wait_for) reads the monitor's events and reaps it, with the
 * --timeout deadline over everything. The run itself reads top-down in drive() and wind_down().
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hex.h"
#include "jmsg.h"
#include "macro.h"
#include "time-util.h"
#include "wolfpack/resapi.h"

#ifndef WP_LIBEXEC_DIR
#define WP_LIBEXEC_DIR "/usr/local/libexec/wolfpack"
#endif

#define RESOURCE_ID        1u
#define DEFAULT_RUN_FOR_MS 1000u
#define DEFAULT_OUT_SIZE   4096u
#define CONTROL_BUFFER_MAX 65536u
#define MIN_TIMEOUT_MS     30000u
#define TIMEOUT_SLACK_MS   20000u
#define REAP_GRACE_US      (5 * USEC_PER_SEC) /* after SIGKILL */
#define REAP_POLL_MS       100                /* only without a pidfd */

static const char *const failure_sources[] = {
	"signal", "event_fd", "is_alive", "online", "offline", "pending_timeout",
	"fail", "quorum_lost", "not_available", "deadlock", "crash",
};

/* The timing flags, in the order of options.timing[]. */
static const struct {
	const char *flag;
	const char *key;
} timing_keys[] = {
	{ "looks-alive", "looks_alive_ms" },
	{ "is-alive", "is_alive_ms" },
	{ "pending-timeout", "pending_timeout_ms" },
	{ "deadlock-timeout", "deadlock_timeout_ms" },
};

typedef struct control_spec {
	bool type_level;
	uint32_t code;
	char *in; /* lowercase hex, possibly empty */
	uint32_t out_size;
	bool async;
} control_spec;

typedef struct options {
	char *plugin_dir; /* dirname of the plugin's realpath */
	char *dll;        /* basename of the plugin's realpath */
	const char *type, *name, *resmon;
	struct json_object *params;
	uint32_t timing[ELEMENTSOF(timing_keys)];
	bool has_timing[ELEMENTSOF(timing_keys)];
	uint32_t run_for_ms;
	uint32_t fail_after_ms;
	bool fail_after;
	bool expect_failure;
	const char *expect_source; /* NULL: any */
	control_spec *controls;
	size_t n_controls;
	bool arbitrate;
	uint64_t timeout_ms;
} options;

/* What a wait_for() waits for. */
typedef enum goal {
	GOAL_READY,
	GOAL_OPEN,
	GOAL_CONTROL,
	GOAL_ARBITRATE,
	GOAL_ONLINE,
	GOAL_RUN_END,
	GOAL_OFFLINE,
	GOAL_FAILED,
	GOAL_CLOSE,
	GOAL_EXIT,
} goal;

static const char *const goal_names[] = {
	[GOAL_READY] = "ready",
	[GOAL_OPEN] = "open",
	[GOAL_CONTROL] = "control_result",
	[GOAL_ARBITRATE] = "arbitrate",
	[GOAL_ONLINE] = "Online",
	[GOAL_RUN_END] = "the end of the run",
	[GOAL_OFFLINE] = "Offline",
	[GOAL_FAILED] = "Failed",
	[GOAL_CLOSE] = "close",
	[GOAL_EXIT] = "the monitor to exit",
};

/* The whole run: options, the monitor process, and what we learnt from its events. */
typedef struct run {
	options opt;
	int fd;
	pid_t pid;
	int pidfd; /* -1 if the kernel has none: then reap by polling */

	uint64_t deadline_us; /* --timeout */
	uint64_t fail_at_us;  /* when to send fail; 0: not scheduled */
	uint64_t run_end_us;
	bool aborted;         /* timed out or broke: kill the monitor */
	bool killed;
	bool winding_down;

	/* The command being waited for: its error event ends the wait. */
	const char *waiting_op;
	bool waiting_op_failed;
	uint32_t waiting_req, next_req;
	bool control_done;
	bool fail_sent, fail_rejected, shutdown_sent;

	/* From the monitor's events. */
	bool ready, opened, online, offline, failed, closed, arbitrated;
	bool failure, failure_terminates;
	char first_source[64]; /* first failure's source, deadlock and crash included */
	bool fail_first, fail_terminated, fail_completed;
	bool deadlock, crash, eof, exited;
	int exit_status, exit_signal;
	unsigned monitor_errors;

	char first_error[512]; /* our own first error event */
	char reason[600];
} run;

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* ---- output ------------------------------------------------------------------------------- */

static void print_json(struct json_object *e)
{
	puts(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
}

static struct json_object *own_event(const char *name)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "event", json_object_new_string(name));
	json_object_object_add(e, "t_us", json_object_new_int64((int64_t) now_us()));
	return e;
}

static void harness_error(run *rt, const char *fmt, ...) WP_PRINTF(2, 3);
static void harness_error(run *rt, const char *fmt, ...)
{
	struct json_object *e = own_event("error");
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_object_add(e, "message", json_object_new_string(buf));
	print_json(e);
	json_object_put(e);
	if (!rt->first_error[0])
		snprintf(rt->first_error, sizeof(rt->first_error), "%s", buf);
}

static const char *state_event_name(int64_t state)
{
	switch (state) {
	case WP_RESOURCE_ONLINE:
		return "online";
	case WP_RESOURCE_OFFLINE:
		return "offline";
	case WP_RESOURCE_FAILED:
		return "failed";
	case WP_RESOURCE_PENDING:
	case WP_RESOURCE_ONLINE_PENDING:
	case WP_RESOURCE_OFFLINE_PENDING:
		return "pending";
	default:
		return "state";
	}
}

/* Prints a monitor event: state changes get their own names, "id" becomes "resource", the
 * monitor's t_us and every other field are kept. */
static void print_monitor_event(const run *rt, const char *name, struct json_object *e)
{
	struct json_object *out = json_object_new_object(), *v;
	int64_t state, t_us;

	if (streq(name, "state") && jmsg_get_i64(e, "state", &state))
		name = state_event_name(state);
	if (!jmsg_get_i64(e, "t_us", &t_us))
		t_us = (int64_t) now_us();
	json_object_object_add(out, "event", json_object_new_string(name));
	json_object_object_add(out, "t_us", json_object_new_int64(t_us));
	if (json_object_object_get_ex(e, "id", &v))
		json_object_object_add(out, "resource", json_object_new_string(rt->opt.name));
	json_object_object_foreach(e, key, val) {
		if (streq(key, "event") || streq(key, "t_us") || streq(key, "id"))
			continue;
		json_object_object_add(out, key, json_object_get(val));
	}
	print_json(out);
	json_object_put(out);
}

/* ---- options ------------------------------------------------------------------------------ */

static void help(void)
{
	printf("Usage: wp-restest PLUGIN.so --type TYPE --name NAME [OPTION]...\n"
	       "Runs one resource of a plugin under a private wp-resmon: open, online, monitor,\n"
	       "offline, close. Prints every event as one JSON object per line.\n"
	       "\n"
	       "  --type TYPE               resource type the plugin serves (required)\n"
	       "  --name NAME               resource name (required)\n"
	       "  --param KEY=VALUE         private property (repeatable)\n"
	       "  --looks-alive MS          LooksAlive interval, 0xFFFFFFFF = never (5000)\n"
	       "  --is-alive MS             IsAlive interval (60000)\n"
	       "  --pending-timeout MS      PendingTimeout (180000)\n"
	       "  --deadlock-timeout MS     DeadlockTimeout (300000)\n"
	       "  --run-for MS              time to stay online before going offline (1000)\n"
	       "  --fail-after MS           FailClusterResource MS after Online; the run then\n"
	       "                            ends with that failure, whatever --run-for says\n"
	       "  --expect-failure[=SOURCE] pass only if the resource fails (first from SOURCE:\n"
	       "                            signal event_fd is_alive online offline\n"
	       "                            pending_timeout fail quorum_lost not_available\n"
	       "                            deadlock crash)\n"
	       "  --control CODE[:HEXIN[:OUTSIZE[:async]]]\n"
	       "                            resource control once Online (repeatable;\n"
	       "                            CODE decimal or 0x hex, OUTSIZE <= 65536, 4096)\n"
	       "  --type-control CODE[:HEXIN[:OUTSIZE[:async]]]\n"
	       "                            type control once open (repeatable)\n"
	       "  --arbitrate               arbitrate once open, before online\n"
	       "  --resmon PATH             monitor to run (default: $WP_RESMON, else next to\n"
	       "                            wp-restest, else %s/wp-resmon)\n"
	       "  --timeout MS              bound on the whole run\n"
	       "                            (max(30000, run-for + fail-after + 20000))\n"
	       "  --help                    show this help\n"
	       "\n"
	       "Exit status: 0 the run went as the flags expected, 1 it did not (or the harness\n"
	       "failed; see the \"exit\" and \"error\" events), 2 usage error.\n",
	       WP_LIBEXEC_DIR);
}

static int usage_error(const char *fmt, ...) WP_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("wp-restest: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'wp-restest --help'.\n", stderr);
	return -EINVAL;
}

/* A u32 in decimal or 0x hex, the whole string, no sign or blanks. */
static int parse_u32(const char *s, uint32_t *ret)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;
	unsigned long long v;
	char *end;

	if (!digits[0] || digits[strspn(digits, hex ? "0123456789abcdefABCDEF" : "0123456789")])
		return -EINVAL;
	errno = 0;
	v = strtoull(digits, &end, hex ? 16 : 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t) v;
	return 0;
}

static int parse_ms(const char *flag, const char *s, uint32_t *ret)
{
	if (parse_u32(s, ret) < 0)
		return usage_error("invalid --%s '%s': want milliseconds, 0..4294967295", flag, s);
	return 0;
}

static int parse_param(options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *key = NULL;

	if (!eq || eq == arg)
		return usage_error("invalid --param '%s': want KEY=VALUE", arg);
	key = strndup(arg, (size_t) (eq - arg));
	if (!key)
		return -ENOMEM;
	json_object_object_add(o->params, key, json_object_new_string(eq + 1));
	return 0;
}

/* CODE[:HEXIN[:OUTSIZE[:async]]] */
static int parse_control(options *o, const char *flag, const char *arg, bool type_level)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *fields[5] = {}, *p = copy;
	control_spec c = { .type_level = type_level, .out_size = DEFAULT_OUT_SIZE };
	_cleanup_free_ uint8_t *decoded = NULL;
	size_t n = 0, decoded_size = 0;
	control_spec *grown;

	if (!copy)
		return -ENOMEM;
	while (p && n < ELEMENTSOF(fields)) {
		fields[n++] = p;
		p = strchr(p, ':');
		if (p)
			*p++ = '\0';
	}
	if (n > 4)
		return usage_error("invalid --%s '%s': too many fields", flag, arg);
	if (parse_u32(fields[0], &c.code) < 0)
		return usage_error("invalid --%s '%s': bad CODE", flag, arg);
	if (n > 1 && hex_decode(fields[1], &decoded, &decoded_size) < 0)
		return usage_error("invalid --%s '%s': HEXIN is not hex bytes", flag, arg);
	if (decoded_size > CONTROL_BUFFER_MAX)
		return usage_error("invalid --%s '%s': HEXIN is over %u bytes", flag, arg,
				   CONTROL_BUFFER_MAX);
	if (n > 2 && (parse_u32(fields[2], &c.out_size) < 0 || c.out_size > CONTROL_BUFFER_MAX))
		return usage_error("invalid --%s '%s': OUTSIZE must be 0..%u", flag, arg,
				   CONTROL_BUFFER_MAX);
	if (n > 3) {
		if (!streq(fields[3], "async"))
			return usage_error("invalid --%s '%s': the last field can only be 'async'",
					   flag, arg);
		c.async = true;
	}
	c.in = strdup(n > 1 ? fields[1] : "");
	if (!c.in)
		return -ENOMEM;
	for (char *h = c.in; *h; h++)
		if (*h >= 'A' && *h <= 'F')
			*h = (char) (*h - 'A' + 'a');
	grown = realloc(o->controls, (o->n_controls + 1) * sizeof(*grown));
	if (!grown) {
		free(c.in);
		return -ENOMEM;
	}
	o->controls = grown;
	o->controls[o->n_controls++] = c;
	return 0;
}

static int parse_expect(options *o, const char *source)
{
	o->expect_failure = true;
	if (!source)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(failure_sources); i++)
		if (streq(source, failure_sources[i])) {
			o->expect_source = failure_sources[i];
			return 0;
		}
	return usage_error("invalid --expect-failure source '%s'", source);
}

/* The monitor loads plugins by file name from its plugin dirs: split the resolved path. */
static int parse_plugin(options *o, const char *path)
{
	_cleanup_free_ char *real = realpath(path, NULL);
	struct stat st;
	char *slash;

	if (!real || stat(real, &st) < 0)
		return usage_error("%s: %m", path);
	if (!S_ISREG(st.st_mode))
		return usage_error("%s: not a file", path);
	slash = strrchr(real, '/');
	o->dll = strdup(slash + 1);
	o->plugin_dir = slash == real ? strdup("/") : strndup(real, (size_t) (slash - real));
	if (!o->dll || !o->plugin_dir)
		return -ENOMEM;
	return 0;
}

enum {
	OPT_TIMING = 0x100, /* + index in timing_keys */
	OPT_TYPE = 0x200,
	OPT_NAME,
	OPT_PARAM,
	OPT_RUN_FOR,
	OPT_FAIL_AFTER,
	OPT_EXPECT_FAILURE,
	OPT_CONTROL,
	OPT_TYPE_CONTROL,
	OPT_ARBITRATE,
	OPT_RESMON,
	OPT_TIMEOUT,
};

static int parse_option(options *o, int c, const char *flag, bool *has_timeout)
{
	uint32_t ms;

	if (c >= OPT_TIMING && c < OPT_TIMING + (int) ELEMENTSOF(timing_keys)) {
		o->has_timing[c - OPT_TIMING] = true;
		return parse_ms(flag, optarg, &o->timing[c - OPT_TIMING]);
	}
	switch (c) {
	case OPT_TYPE:
		o->type = optarg;
		return 0;
	case OPT_NAME:
		o->name = optarg;
		return 0;
	case OPT_PARAM:
		return parse_param(o, optarg);
	case OPT_RUN_FOR:
		return parse_ms(flag, optarg, &o->run_for_ms);
	case OPT_FAIL_AFTER:
		o->fail_after = true;
		return parse_ms(flag, optarg, &o->fail_after_ms);
	case OPT_EXPECT_FAILURE:
		return parse_expect(o, optarg);
	case OPT_CONTROL:
	case OPT_TYPE_CONTROL:
		return parse_control(o, flag, optarg, c == OPT_TYPE_CONTROL);
	case OPT_ARBITRATE:
		o->arbitrate = true;
		return 0;
	case OPT_RESMON:
		o->resmon = optarg;
		return 0;
	case OPT_TIMEOUT:
		if (parse_ms(flag, optarg, &ms) < 0)
			return -EINVAL;
		if (ms == 0)
			return usage_error("invalid --timeout 0");
		o->timeout_ms = ms;
		*has_timeout = true;
		return 0;
	default:
		return usage_error("invalid option");
	}
}

/* Returns 0 to run, 1 if --help was shown, or -errno after a message on stderr. */
static int parse_args(options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "looks-alive", required_argument, NULL, OPT_TIMING + 0 },
		{ "is-alive", required_argument, NULL, OPT_TIMING + 1 },
		{ "pending-timeout", required_argument, NULL, OPT_TIMING + 2 },
		{ "deadlock-timeout", required_argument, NULL, OPT_TIMING + 3 },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "param", required_argument, NULL, OPT_PARAM },
		{ "run-for", required_argument, NULL, OPT_RUN_FOR },
		{ "fail-after", required_argument, NULL, OPT_FAIL_AFTER },
		{ "expect-failure", optional_argument, NULL, OPT_EXPECT_FAILURE },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "type-control", required_argument, NULL, OPT_TYPE_CONTROL },
		{ "arbitrate", no_argument, NULL, OPT_ARBITRATE },
		{ "resmon", required_argument, NULL, OPT_RESMON },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	bool has_timeout = false;
	int c, index, r;

	o->run_for_ms = DEFAULT_RUN_FOR_MS;
	o->params = json_object_new_object();
	if (!o->params)
		return -ENOMEM;
	opterr = 0;
	while ((index = -1, c = getopt_long(argc, argv, ":h", longopts, &index)) >= 0) {
		if (c == 'h')
			return help(), 1;
		if (c == '?')
			return usage_error("unknown option '%s'", argv[optind - 1]);
		if (c == ':')
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		r = parse_option(o, c, index >= 0 ? longopts[index].name : "?", &has_timeout);
		if (r < 0)
			return r;
	}
	if (optind == argc)
		return usage_error("no PLUGIN.so given");
	if (optind + 1 < argc)
		return usage_error("one PLUGIN.so only, got '%s' too", argv[optind + 1]);
	if (!o->type || !o->type[0] || !o->name || !o->name[0])
		return usage_error("--type and --name are required");
	r = parse_plugin(o, argv[optind]);
	if (r < 0)
		return r;
	if (!has_timeout) {
		uint64_t t = (uint64_t) o->run_for_ms + o->fail_after_ms + TIMEOUT_SLACK_MS;
		o->timeout_ms = t > MIN_TIMEOUT_MS ? t : MIN_TIMEOUT_MS;
	}
	return 0;
}

static void options_done(options *o)
{
	for (size_t i = 0; i < o->n_controls; i++)
		free(o->controls[i].in);
	free(o->controls);
	free(o->plugin_dir);
	free(o->dll);
	json_object_put(o->params);
}

/* ---- the monitor process ------------------------------------------------------------------ */

/* Returns a new string (caller frees), or NULL if no monitor was found. */
static char *find_resmon(const char *given)
{
	static const char *const next_to_us[] = { "/wp-resmon", "/../libexec/wolfpack/wp-resmon" };
	const char *env = getenv("WP_RESMON");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (given)
		return strdup(given);
	if (env && env[0])
		return strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (size_t i = 0; slash && i < ELEMENTSOF(next_to_us); i++) {
			char *path;

			if (asprintf(&path, "%s%s", exe, next_to_us[i]) < 0)
				return NULL;
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	if (access(WP_LIBEXEC_DIR "/wp-resmon", X_OK) == 0)
		return strdup(WP_LIBEXEC_DIR "/wp-resmon");
	return NULL;
}

static _Noreturn void exec_monitor(const char *path, int fd, const char *plugin_dir)
{
	char fd_arg[16];

	/* The child's end must survive exec; everything else of ours is close-on-exec. */
	if (fcntl(fd, F_SETFD, 0) < 0)
		_exit(127);
	/* stdout carries our JSON lines: the monitor and its plugins write to stderr instead. */
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		_exit(127);
	snprintf(fd_arg, sizeof(fd_arg), "%d", fd);
	execl(path, "wp-resmon", "--fd", fd_arg, "--plugin-dir", plugin_dir, (char *) NULL);
	fprintf(stderr, "wp-restest: cannot execute %s: %m\n", path);
	_exit(127);
}

static int spawn_monitor(run *rt, const char *path)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0)
		exec_monitor(path, sv[1], rt->opt.plugin_dir);
	close(sv[1]);
	rt->fd = sv[0];
	rt->pid = pid;
	(void) fcntl(rt->fd, F_SETFL, fcntl(rt->fd, F_GETFL) | O_NONBLOCK);
	/* A pidfd lets poll() see the exit; without one (old kernel) we poll waitpid. */
	rt->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

/* Whether the monitor exited the way the run led it to: 0 after shutdown, 3 after a deadlock,
 * killed by a signal after a crash. */
static void judge_monitor_exit(run *rt, int status)
{
	if (rt->killed)
		return;
	if (WIFSIGNALED(status)) {
		if (!rt->crash)
			harness_error(rt, "monitor killed by signal %d (%s)", WTERMSIG(status),
				      strsignal(WTERMSIG(status)));
		return;
	}
	if (rt->shutdown_sent && WEXITSTATUS(status) == 0)
		return;
	if (rt->deadlock && WEXITSTATUS(status) == 3)
		return;
	harness_error(rt, "monitor exited unexpectedly with status %d", WEXITSTATUS(status));
}

static void try_reap(run *rt)
{
	struct json_object *e;
	int status;
	pid_t p;

	do
		p = waitpid(rt->pid, &status, WNOHANG);
	while (p < 0 && errno == EINTR);
	if (p <= 0)
		return;
	rt->exited = true;
	rt->eof = true; /* nothing more can come, whatever is still queued */
	if (rt->pidfd >= 0)
		close(TAKE_FD(rt->pidfd));

	e = own_event("monitor_exit");
	json_object_object_add(e, "pid", json_object_new_int(rt->pid));
	if (WIFSIGNALED(status)) {
		rt->exit_signal = WTERMSIG(status);
		json_object_object_add(e, "signal", json_object_new_int(rt->exit_signal));
	} else {
		rt->exit_status = WEXITSTATUS(status);
		json_object_object_add(e, "status", json_object_new_int(rt->exit_status));
	}
	print_json(e);
	json_object_put(e);
	judge_monitor_exit(rt, status);
}

static bool monitor_gone(const run *rt)
{
	return rt->eof || rt->exited || rt->deadlock || rt->crash;
}

/* ---- commands ----------------------------------------------------------------------------- */

static struct json_object *command_new(const char *op, bool with_id)
{
	struct json_object *cmd = json_object_new_object();

	json_object_object_add(cmd, "op", json_object_new_string(op));
	if (with_id)
		json_object_object_add(cmd, "id", json_object_new_int64(RESOURCE_ID));
	return cmd;
}

/* Sends and puts cmd. A monitor that is gone is reported by its exit, not here. */
static void send_command(run *rt, struct json_object *cmd)
{
	int r = monitor_gone(rt) ? 0 : jmsg_send(rt->fd, cmd);

	if (r < 0 && r != -EPIPE && r != -ECONNRESET)
		harness_error(rt, "cannot send '%s': %s", jmsg_get_str(cmd, "op"), strerror(-r));
	json_object_put(cmd);
}

static void send_simple(run *rt, const char *op)
{
	send_command(rt, command_new(op, true));
}

static void send_open(run *rt)
{
	const options *o = &rt->opt;
	struct json_object *cmd = command_new("open", true);

	json_object_object_add(cmd, "name", json_object_new_string(o->name));
	json_object_object_add(cmd, "type", json_object_new_string(o->type));
	json_object_object_add(cmd, "dll", json_object_new_string(o->dll));
	json_object_object_add(cmd, "params", json_object_get(o->params));
	for (size_t i = 0; i < ELEMENTSOF(timing_keys); i++)
		if (o->has_timing[i])
			json_object_object_add(cmd, timing_keys[i].key,
					       json_object_new_int64(o->timing[i]));
	/* Every poll becomes an event: the point of a test harness is to see them. */
	json_object_object_add(cmd, "report_polls", json_object_new_boolean(true));
	send_command(rt, cmd);
}

static void send_control(run *rt, const control_spec *c)
{
	struct json_object *cmd = command_new(c->type_level ? "type_control" : "control",
					      !c->type_level);

	if (c->type_level) {
		json_object_object_add(cmd, "type", json_object_new_string(rt->opt.type));
		json_object_object_add(cmd, "dll", json_object_new_string(rt->opt.dll));
	}
	rt->waiting_req = ++rt->next_req;
	rt->control_done = false;
	json_object_object_add(cmd, "req", json_object_new_int64(rt->waiting_req));
	json_object_object_add(cmd, "code", json_object_new_int64(c->code));
	json_object_object_add(cmd, "in", json_object_new_string(c->in));
	json_object_object_add(cmd, "out_size", json_object_new_int64(c->out_size));
	json_object_object_add(cmd, "async", json_object_new_boolean(c->async));
	send_command(rt, cmd);
}

/* --fail-after: FailClusterResource once due, unless the run already failed or is ending. */
static void maybe_send_fail(run *rt, uint64_t now)
{
	if (!rt->fail_at_us || rt->fail_sent || now < rt->fail_at_us || rt->failure ||
	    rt->winding_down || monitor_gone(rt))
		return;
	rt->fail_sent = true;
	send_simple(rt, "fail");
}

/* ---- events ------------------------------------------------------------------------------- */

static void note_first_source(run *rt, const char *source)
{
	if (!rt->first_source[0])
		snprintf(rt->first_source, sizeof(rt->first_source), "%s", source);
}

static void note_state(run *rt, struct json_object *e)
{
	int64_t state, t_us;

	if (!jmsg_get_i64(e, "state", &state))
		return;
	if (state == WP_RESOURCE_ONLINE && !rt->online) {
		rt->online = true;
		if (rt->opt.fail_after) {
			if (!jmsg_get_i64(e, "t_us", &t_us) || t_us <= 0)
				t_us = (int64_t) now_us();
			/* +1: 0 means "not scheduled". */
			rt->fail_at_us = (uint64_t) t_us + rt->opt.fail_after_ms * USEC_PER_MSEC + 1;
		}
	} else if (state == WP_RESOURCE_OFFLINE && rt->online) {
		rt->offline = true;
	} else if (state == WP_RESOURCE_FAILED) {
		rt->failed = true;
		if (rt->fail_terminated)
			rt->fail_completed = true;
	}
}

static void note_failure(run *rt, struct json_object *e)
{
	const char *source = jmsg_get_str(e, "source"), *action = jmsg_get_str(e, "action");

	if (!source)
		source = "unknown";
	if (!rt->failure) {
		rt->failure = true;
		/* Only a terminating failure (or not_available) leads to Failed. */
		rt->failure_terminates = !action || streq(action, "terminate") ||
					 streq(source, "not_available");
		if (!rt->first_source[0] && streq(source, "fail"))
			rt->fail_first = true;
	}
	note_first_source(rt, source);
}

static void note_monitor_error(run *rt, struct json_object *e)
{
	const char *op = jmsg_get_str(e, "op");

	rt->monitor_errors++;
	if (streq(op, "fail") && rt->fail_sent)
		rt->fail_rejected = true;
	if (rt->waiting_op && streq(op, rt->waiting_op))
		rt->waiting_op_failed = true;
}

static void note_event(run *rt, const char *name, struct json_object *e)
{
	uint32_t req;

	if (streq(name, "ready")) {
		rt->ready = true;
	} else if (streq(name, "open")) {
		rt->opened = true;
	} else if (streq(name, "state")) {
		note_state(rt, e);
	} else if (streq(name, "failure")) {
		note_failure(rt, e);
	} else if (streq(name, "terminate")) {
		if (rt->fail_first)
			rt->fail_terminated = true;
	} else if (streq(name, "deadlock")) {
		rt->deadlock = true;
		note_first_source(rt, "deadlock");
	} else if (streq(name, "crash")) {
		rt->crash = true;
		note_first_source(rt, "crash");
	} else if (streq(name, "close")) {
		rt->closed = true;
	} else if (streq(name, "arbitrate")) {
		rt->arbitrated = true;
	} else if (streq(name, "control_result")) {
		if (jmsg_get_u32(e, "req", &req) && req == rt->waiting_req)
			rt->control_done = true;
	} else if (streq(name, "error")) {
		note_monitor_error(rt, e);
	}
}

/* Reads up to max queued events (bounded while the monitor lives, so timers are not starved). */
static void read_events(run *rt, size_t max)
{
	for (size_t i = 0; i < max && !rt->eof; i++) {
		struct json_object *e = NULL;
		const char *name;
		int r = jmsg_recv(rt->fd, &e);

		if (r == -EAGAIN)
			return;
		if (r == -EBADMSG) {
			harness_error(rt, "protocol error: a datagram that is not one JSON object");
			continue;
		}
		if (r <= 0) {
			rt->eof = true; /* the exit itself is reported when it is reaped */
			return;
		}
		name = jmsg_get_str(e, "event");
		if (name) {
			print_monitor_event(rt, name, e);
			note_event(rt, name, e);
		} else {
			harness_error(rt, "protocol error: a message without 'event'");
		}
		json_object_put(e);
	}
}

/* ---- waiting ------------------------------------------------------------------------------ */

static bool goal_met(const run *rt, goal g)
{
	switch (g) {
	case GOAL_READY:
		return rt->ready;
	case GOAL_OPEN:
		return rt->opened;
	case GOAL_CONTROL:
		return rt->control_done;
	case GOAL_ARBITRATE:
		return rt->arbitrated;
	case GOAL_ONLINE:
		return rt->online;
	case GOAL_RUN_END:
		/* With --fail-after the run ends with the failure, unless fail was refused. */
		return now_us() >= rt->run_end_us && (!rt->opt.fail_after || rt->fail_rejected);
	case GOAL_OFFLINE:
		return rt->offline;
	case GOAL_FAILED:
		return rt->failed;
	case GOAL_CLOSE:
		return rt->closed;
	case GOAL_EXIT:
		return rt->exited;
	}
	return false;
}

/* Whether waiting for g has become pointless. */
static bool goal_lost(const run *rt, goal g)
{
	if (rt->aborted)
		return true;
	if (g == GOAL_EXIT)
		return false;
	if (monitor_gone(rt) || rt->waiting_op_failed)
		return true;
	/* After a failure only the way out is worth waiting for. */
	return rt->failure && g != GOAL_FAILED && g != GOAL_CLOSE;
}

static int poll_timeout_ms(const run *rt, uint64_t until_us, uint64_t now)
{
	uint64_t ms = (until_us - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;

	if (rt->pidfd < 0 && !rt->exited && ms > REAP_POLL_MS)
		ms = REAP_POLL_MS;
	return ms > INT_MAX ? INT_MAX : (int) ms;
}

/* Whether the monitor has exited, without reaping it. */
static bool monitor_exited(const run *rt)
{
	siginfo_t si = {};

	return waitid(P_PID, (id_t) rt->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == rt->pid;
}

static void poll_monitor(run *rt, uint64_t until_us, uint64_t now)
{
	struct pollfd p[2];
	nfds_t n = 0;

	if (!rt->eof)
		p[n++] = (struct pollfd){ .fd = rt->fd, .events = POLLIN };
	if (rt->pidfd >= 0)
		p[n++] = (struct pollfd){ .fd = rt->pidfd, .events = POLLIN };
	if (poll(p, n, poll_timeout_ms(rt, until_us, now)) < 0) {
		if (errno != EINTR) {
			harness_error(rt, "poll: %m");
			rt->aborted = true;
		}
		return;
	}
	if (!rt->eof && p[0].revents)
		read_events(rt, 64);
	if (rt->exited || !(rt->eof || monitor_exited(rt)))
		return;
	/* Gone: take every event it sent before reporting its exit. */
	read_events(rt, SIZE_MAX);
	try_reap(rt);
}

/* Processes events until g is reached (true) or cannot be any more (false). Sends the
 * --fail-after request when it comes due; on the --timeout deadline reports and aborts. */
static bool wait_for(run *rt, goal g)
{
	for (;;) {
		uint64_t now = now_us(), until;

		maybe_send_fail(rt, now);
		if (goal_met(rt, g))
			return true;
		if (goal_lost(rt, g))
			return false;
		if (now >= rt->deadline_us) {
			if (rt->killed)
				harness_error(rt, "monitor (pid %d) did not exit after SIGKILL",
					      (int) rt->pid);
			else
				harness_error(rt, "timed out after %" PRIu64 " ms waiting for %s",
					      rt->opt.timeout_ms, goal_names[g]);
			rt->aborted = true;
			return false;
		}
		until = rt->deadline_us;
		if (rt->fail_at_us && !rt->fail_sent && rt->fail_at_us < until)
			until = rt->fail_at_us;
		if (g == GOAL_RUN_END && rt->run_end_us > now && rt->run_end_us < until)
			until = rt->run_end_us;
		poll_monitor(rt, until, now);
	}
}

/* Waits for the outcome of op; an error event naming op ends the wait too. */
static bool wait_op(run *rt, const char *op, goal g)
{
	bool met;

	rt->waiting_op = op;
	rt->waiting_op_failed = false;
	met = wait_for(rt, g);
	rt->waiting_op = NULL;
	rt->waiting_op_failed = false;
	return met;
}

/* ---- the run ------------------------------------------------------------------------------ */

static bool stopping(const run *rt)
{
	return rt->aborted || monitor_gone(rt) || rt->failure;
}

static void run_controls(run *rt, bool type_level)
{
	for (size_t i = 0; i < rt->opt.n_controls && !stopping(rt); i++) {
		const control_spec *c = &rt->opt.controls[i];

		if (c->type_level != type_level)
			continue;
		send_control(rt, c);
		(void) wait_op(rt, type_level ? "type_control" : "control", GOAL_CONTROL);
	}
}

/* ready, open, type controls, arbitrate, online, controls, then the monitoring period. Returns
 * early on a failure, a dead monitor or the timeout; wind_down() takes it from there. */
static void drive(run *rt)
{
	if (!wait_for(rt, GOAL_READY))
		return;
	send_open(rt);
	if (!wait_op(rt, "open", GOAL_OPEN))
		return;
	run_controls(rt, true);
	if (rt->opt.arbitrate && !stopping(rt)) {
		send_simple(rt, "arbitrate");
		(void) wait_op(rt, "arbitrate", GOAL_ARBITRATE);
	}
	if (stopping(rt))
		return;
	send_simple(rt, "online");
	if (!wait_for(rt, GOAL_ONLINE))
		return;
	run_controls(rt, false);
	if (stopping(rt))
		return;
	rt->run_end_us = now_us() + rt->opt.run_for_ms * USEC_PER_MSEC;
	(void) wait_for(rt, GOAL_RUN_END);
}

static void kill_monitor(run *rt)
{
	if (rt->exited)
		return;
	kill(rt->pid, SIGKILL);
	rt->killed = true;
	/* Reap through the same loop, under a short deadline of its own. */
	rt->aborted = false;
	rt->deadline_us = now_us() + REAP_GRACE_US;
	(void) wait_for(rt, GOAL_EXIT);
	rt->aborted = true;
}

/* Offline (if nothing failed) or Failed (if something did), close, shutdown, reap. */
static void wind_down(run *rt)
{
	rt->winding_down = true;
	if (rt->opened && !rt->closed && !rt->aborted && !monitor_gone(rt)) {
		if (!rt->failure && rt->online && !rt->offline) {
			send_simple(rt, "offline");
			(void) wait_for(rt, GOAL_OFFLINE);
		}
		if (rt->failure && rt->failure_terminates)
			(void) wait_for(rt, GOAL_FAILED);
		if (!rt->aborted && !monitor_gone(rt)) {
			send_simple(rt, "close");
			(void) wait_for(rt, GOAL_CLOSE);
		}
	}
	if (!rt->aborted && !monitor_gone(rt)) {
		send_command(rt, command_new("shutdown", false));
		rt->shutdown_sent = true;
	}
	if (rt->pid > 0 && !rt->aborted)
		(void) wait_for(rt, GOAL_EXIT);
	if (rt->pid > 0 && rt->aborted)
		kill_monitor(rt);
}

/* ---- the verdict -------------------------------------------------------------------------- */

static bool verdict_expect_failure(run *rt)
{
	const char *want = rt->opt.expect_source, *first = rt->first_source;
	bool pseudo_ok = streq(want, "deadlock") || streq(want, "crash");
	char *why = rt->reason;
	size_t size = sizeof(rt->reason);

	if (!first[0])
		return snprintf(why, size, "no failure happened"), false;
	if (want && !streq(first, want))
		return snprintf(why, size, "the first failure came from %s, not %s", first, want),
		       false;
	if ((rt->deadlock || rt->crash) && !pseudo_ok)
		return snprintf(why, size, "the plugin %s", rt->deadlock ? "deadlocked" : "crashed"),
		       false;
	/* A deadlock or a crash takes the monitor down: no Failed state is ever reported. */
	if (!streq(first, "deadlock") && !streq(first, "crash") && !rt->failed)
		return snprintf(why, size, "failure from %s but never Failed", first), false;
	snprintf(why, size, "failed as expected (%s)", first);
	return true;
}

static bool verdict_fail_after(run *rt)
{
	const char *first = rt->first_source;
	char *why = rt->reason;
	size_t size = sizeof(rt->reason);

	if (!first[0])
		return snprintf(why, size, "no failure happened"), false;
	if (!rt->fail_first)
		return snprintf(why, size, "failure from %s before the requested one", first), false;
	if (!rt->fail_terminated)
		return snprintf(why, size, "no terminate after the requested failure"), false;
	if (!rt->fail_completed)
		return snprintf(why, size, "never Failed after the requested failure"), false;
	snprintf(why, size, "failed on request as expected");
	return true;
}

/* Whether the run went as the flags asked; rt->reason says why or why not. */
static bool verdict(run *rt)
{
	char *why = rt->reason;
	size_t size = sizeof(rt->reason);

	if (rt->first_error[0])
		return snprintf(why, size, "%s", rt->first_error), false;
	if (rt->opt.expect_failure)
		return verdict_expect_failure(rt);
	if (rt->monitor_errors)
		return snprintf(why, size, "the monitor reported %u error(s)", rt->monitor_errors),
		       false;
	if (rt->deadlock || rt->crash)
		return snprintf(why, size, "the plugin %s", rt->deadlock ? "deadlocked" : "crashed"),
		       false;
	if (rt->opt.fail_after)
		return verdict_fail_after(rt);
	if (!rt->online)
		return snprintf(why, size, "never Online"), false;
	if (rt->failure)
		return snprintf(why, size, "failure from %s", rt->first_source), false;
	if (!rt->offline)
		return snprintf(why, size, "never Offline"), false;
	if (!rt->closed)
		return snprintf(why, size, "never closed"), false;
	if (!rt->exited || rt->exit_signal || rt->exit_status)
		return snprintf(why, size, "the monitor did not exit cleanly"), false;
	snprintf(why, size, "online, offline and close as expected");
	return true;
}

static int finish(run *rt)
{
	bool expected = verdict(rt);
	struct json_object *e = own_event("exit");

	json_object_object_add(e, "status", json_object_new_int(expected ? 0 : 1));
	json_object_object_add(e, "expected", json_object_new_boolean(expected));
	json_object_object_add(e, "reason", json_object_new_string(rt->reason));
	print_json(e);
	json_object_put(e);
	return expected ? 0 : 1;
}

int main(int argc, char **argv)
{
	run rt = { .fd = -1, .pid = -1, .pidfd = -1 };
	_cleanup_free_ char *resmon = NULL;
	int r, status;

	r = parse_args(&rt.opt, argc, argv);
	if (r != 0) {
		options_done(&rt.opt);
		if (r == -ENOMEM)
			fputs("wp-restest: out of memory\n", stderr);
		return r > 0 ? 0 : 2;
	}
	rt.deadline_us = now_us() + rt.opt.timeout_ms * USEC_PER_MSEC;

	resmon = find_resmon(rt.opt.resmon);
	if (!resmon)
		harness_error(&rt, "cannot find wp-resmon: use --resmon or $WP_RESMON");
	else if ((r = spawn_monitor(&rt, resmon)) < 0)
		harness_error(&rt, "cannot start %s: %s", resmon, strerror(-r));
	else {
		drive(&rt);
		wind_down(&rt);
	}

	status = finish(&rt);
	if (rt.fd >= 0)
		close(rt.fd);
	if (rt.pidfd >= 0)
		close(rt.pidfd);
	options_done(&rt.opt);
	return status;
}
