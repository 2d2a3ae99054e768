/* SPDX-License-Identifier: MIT */
/* wpctl log: the cluster log (log.get), and with --follow the lines as they are written. */
#include <stdlib.h>
#include <string.h>

#include "jmsg.h"
#include "macro.h"
#include "wpctl.h"

static const char usage[] =
	"Usage: wpctl log [--follow] [--resource NAME] [--limit N]\n"
	"\n"
	"Prints the last N (default 100) lines of the cluster log, oldest first: time, level,\n"
	"object and message. --resource keeps the lines about one object. --follow then prints\n"
	"new lines until interrupted. --json prints one object per line: {\"seq\", \"time\",\n"
	"\"level\", \"object\", \"message\"}.\n";

typedef struct log_opts {
	bool follow, json;
	const char *resource;
	unsigned long limit;
	bool limit_set;
	int64_t last_seq;
} log_opts;

static int on_opt(int opt, const char *arg, void *userdata)
{
	log_opts *o = userdata;

	switch (opt) {
	case 'f':
		o->follow = true;
		return -1;
	case 'r':
		o->resource = arg;
		return -1;
	case 'l':
		if (!parse_uint(arg, true, &o->limit) || o->limit > INT32_MAX)
			return usage_error(usage, "'--limit %s': expected a number", arg);
		o->limit_set = true;
		return -1;
	}
	return usage_error(usage, "unexpected option");
}

/* LOG_LEVEL names (WSFC's Information, Warning, Error, Severe). */
static const char *level_name(int64_t level)
{
	static const char *const names[] = { "info", "warning", "error", "severe" };

	return level >= 0 && level < 4 ? names[level] : "?";
}

static void print_entry(log_opts *o, struct json_object *e)
{
	const char *object = jmsg_get_str(e, "object"), *msg = jmsg_get_str(e, "message");
	int64_t level = -1, seq;

	/* History entries carry the line's number as "seq", pushed events as "log_seq". */
	if ((jmsg_get_i64(e, "log_seq", &seq) || jmsg_get_i64(e, "seq", &seq)) &&
	    seq > o->last_seq)
		o->last_seq = seq;
	if (o->json) {
		print_json(e);
		return;
	}
	(void) jmsg_get_i64(e, "level", &level);
	printf("%s %-7s %s%s%s\n", jmsg_get_str(e, "time") ?: "-", level_name(level),
	       object ? object : "", object && object[0] ? ": " : "", msg ? msg : "");
}

static int on_event(const wp_notification *ev, void *userdata)
{
	log_opts *o = userdata;
	struct json_object *e;

	if (ev->filter == WP_CHANGE_CLUSTER_RECONNECT) {
		/* We read too slowly and lines were dropped; say so rather than hide it. */
		if (!o->json)
			printf("-- lines were lost: %s\n", ev->message ? ev->message : "");
		return KEEP_GOING;
	}
	if (ev->filter != 0 || strcmp(ev->event, "log") != 0)
		return KEEP_GOING;
	if (o->resource && strcmp(ev->name, o->resource) != 0)
		return KEEP_GOING;
	e = json_tokener_parse(ev->json);
	if (!e)
		return KEEP_GOING;
	/* Lines the history already printed come again as events: the line's log_seq tells
	 * (an event's own "seq" counts events on the connection). */
	int64_t line_seq = 0;
	if (jmsg_get_i64(e, "log_seq", &line_seq) && line_seq <= o->last_seq) {
		json_object_put(e);
		return KEEP_GOING;
	}
	json_object_object_del(e, "event");
	print_entry(o, e);
	json_object_put(e);
	return KEEP_GOING;
}

int cmd_log(ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "resource", required_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'l' },
		{ 0 },
	};
	log_opts o = { .json = c->json };
	struct json_object *req, *reply, *entries;
	wp_notify *n = NULL;
	int r, first;

	r = parse_options(argc, argv, opts, usage, on_opt, &o, &first);
	if (r >= 0)
		return r;
	if (first < argc)
		return usage_error(usage, "unexpected argument '%s'", argv[first]);
	r = ctl_connect(c);
	if (r)
		return r;
	if (o.follow) {
		/* Subscribe before reading the history: no line falls between the two. */
		r = wp_notify_open_ex(c->cluster, 0, WP_NOTIFY_LOG, &n);
		if (r < 0) {
			err_msg("cannot subscribe: %s", strerror(-r));
			return EXIT_ERROR;
		}
	}
	req = request("log.get", NULL);
	if (o.resource)
		json_set_str(req, "resource", o.resource);
	if (o.limit_set)
		json_object_object_add(req, "limit", json_object_new_int64((int64_t) o.limit));
	r = ctl_call(c, req, &reply, NULL);
	if (r)
		goto out;
	if (json_object_object_get_ex(reply, "entries", &entries) &&
	    json_object_is_type(entries, json_type_array))
		for (size_t i = 0; i < json_object_array_length(entries); i++)
			print_entry(&o, json_object_array_get_idx(entries, i));
	json_object_put(reply);
	if (o.follow) {
		fflush(stdout);
		r = event_loop(n, UINT64_MAX, EXIT_OK, on_event, &o);
	}
out:
	wp_notify_close(n);
	return r;
}
