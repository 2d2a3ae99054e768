/* SPDX-License-Identifier: MIT */
#pragma once

/* wpctl: the command-line client of wolfpackd (docs/wpctl.md). One file per command family;
 * this header is what they share. Every command returns the process exit status. */

#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <wolfpack/clusapi.h>

#define EXIT_OK    0
#define EXIT_ERROR 1 /* the daemon refused, the connection failed, a --wait did not succeed */
#define EXIT_USAGE 2

typedef struct ctl {
	const char *socket; /* --socket, or NULL: $WOLFPACK_SOCKET, else the default */
	bool json;          /* --json */
	wp_cluster *cluster;
} ctl;

/* Command families (status.c, type.c, group.c, resource.c, node.c, cluster.c, events.c,
 * log.c). argv[0] is the family's name. */
int cmd_status(ctl *c, int argc, char **argv);
int cmd_type(ctl *c, int argc, char **argv);
int cmd_group(ctl *c, int argc, char **argv);
int cmd_resource(ctl *c, int argc, char **argv);
int cmd_node(ctl *c, int argc, char **argv);
int cmd_cluster(ctl *c, int argc, char **argv);
int cmd_events(ctl *c, int argc, char **argv);
int cmd_log(ctl *c, int argc, char **argv);

/* ---- util.c ------------------------------------------------------------------------------- */

/* "wpctl: " + message on stderr. */
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Usage error: the message (if any) and the usage text on stderr. Returns EXIT_USAGE. */
int usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The usage text on stdout (--help). Returns EXIT_OK. */
int help(const char *usage);

/*
 * Option parsing shared by every command: getopt_long over argv (argv[0] is the command),
 * with -h/--help added. For each option calls on_opt(c, userdata); returns -1 when done (the
 * positional arguments are then argv[*ret_optind..argc)), or an exit status to return now
 * (help printed, or a usage error).
 */
typedef int (*opt_fn)(int opt, const char *arg, void *userdata);
int parse_options(int argc, char **argv, const struct option *longopts, const char *usage,
		  opt_fn on_opt, void *userdata, int *ret_optind);

/* Parses a positive (or non-negative) decimal integer option value. */
bool parse_uint(const char *s, bool allow_zero, unsigned long *ret);

/* Connects (once). Returns 0, or prints why not and returns EXIT_ERROR. */
int ctl_connect(ctl *c);

/* Reports a failed library call about what ("resource 'web'", or NULL): the daemon's message
 * or the transport error. Returns EXIT_ERROR. */
int ctl_fail(ctl *c, int r, const char *what);

/* Sends req (consumed) and returns the reply in *ret_reply (caller puts; may be NULL when not
 * wanted). Returns 0, or reports the failure about what and returns EXIT_ERROR. */
int ctl_call(ctl *c, struct json_object *req, struct json_object **ret_reply, const char *what);
int ctl_call_print_raw(ctl *c, struct json_object *req, const char *about);

/* A request {"op": op, "name": name} (name may be NULL). Aborts on allocation failure: a CLI
 * has nothing better to do. */
struct json_object *request(const char *op, const char *name);
void json_set_str(struct json_object *o, const char *key, const char *value);

/* Prints o as one compact JSON line on stdout. */
void print_json(struct json_object *o);
/* The reply without "id" and "ok", as printed for --json. */
void print_reply_json(struct json_object *reply);

/* A value as text: strings as they are, numbers in decimal, arrays comma-joined, null as "".
 * Returns a malloc()ed string. */
char *value_text(struct json_object *v);

/*
 * The JSON value to send for PROPERTY=VALUE text, shaped like the property's current value
 * (NULL: unknown): arrays from comma-separated lists, numbers when the text is a decimal or
 * 0x-hex integer (else the text, for the daemon to reject), strings otherwise.
 */
struct json_object *value_from_text(struct json_object *current, const char *text);

/* Prints "  KEY  VALUE" lines for an object's members, aligned. */
void print_members(struct json_object *o, const char *indent);

/* Aligned columns: two spaces apart, the last column unpadded. */
typedef struct table {
	size_t cols, rows, cap;
	char **cells;
	const char *indent; /* printed before each row; NULL: none */
} table;
void table_init(table *t, size_t cols);
void table_add(table *t, ...); /* cols strings; NULL or "" prints "-" */
void table_print(table *t);
void table_free(table *t);

/* What to say about an object in messages: "resource 'web'". Static buffer. */
const char *what(const char *kind, const char *name);

/* ---- node.c ------------------------------------------------------------------------------- */

/* The NAME ID STATE GROUPS LOCAL table of a "nodes" array (node.list, cluster.status);
 * "(none)" when it is empty or missing. */
void print_node_table(struct json_object *nodes);

/* A boolean member as "yes"/"no", "-" when missing. */
const char *yes_no(struct json_object *o, const char *key);

/* ---- events.c ----------------------------------------------------------------------------- */

#define KEEP_GOING (-1)

/*
 * Runs until SIGINT/SIGTERM (EXIT_OK), the daemon closes the connection (EXIT_ERROR, reported),
 * the deadline (now_us() clock, UINT64_MAX: none) passes (on_timeout), or on_event returns
 * something other than KEEP_GOING (that). Output is flushed after every event.
 */
int event_loop(wp_notify *n, uint64_t deadline, int on_timeout,
	       int (*on_event)(const wp_notification *ev, void *userdata), void *userdata);
