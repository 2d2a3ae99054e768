/* SPDX-License-Identifier: MIT */
/* Helpers every wpctl command uses: option parsing, the connection, errors, output. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "wpctl.h"

/* Compact, one line, "/" left alone. */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("wpctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fputs("wpctl: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	/* The synopsis only (up to the first blank line): --help has the rest. */
	const char *end = strstr(usage, "\n\n");

	fwrite(usage, 1, end ? (size_t) (end - usage) + 1 : strlen(usage), stderr);
	return EXIT_USAGE;
}

int help(const char *usage)
{
	fputs(usage, stdout);
	return EXIT_OK;
}

int parse_options(int argc, char **argv, const struct option *longopts, const char *usage,
		  opt_fn on_opt, void *userdata, int *ret_optind)
{
	struct option all[32];
	char shortopts[8] = ":h";
	size_t n = 0;

	for (; longopts && longopts[n].name && n < ELEMENTSOF(all) - 2; n++)
		all[n] = longopts[n];
	all[n++] = (struct option) { "help", no_argument, NULL, 'h' };
	all[n] = (struct option) { 0 };

	optind = 0; /* GNU: reinitialise, argv differs from the last call */
	opterr = 0;
	for (;;) {
		int o = getopt_long(argc, argv, shortopts, all, NULL), r;

		if (o == -1)
			break;
		if (o == 'h')
			return help(usage);
		if (o == '?') {
			if (optopt)
				return usage_error(usage, "unknown option '-%c'", optopt);
			return usage_error(usage, "unknown option '%s'", argv[optind - 1]);
		}
		if (o == ':')
			return usage_error(usage, "option '%s' needs a value", argv[optind - 1]);
		r = on_opt(o, optarg, userdata);
		if (r >= 0)
			return r;
	}
	*ret_optind = optind;
	return -1;
}

bool parse_uint(const char *s, bool allow_zero, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || (!allow_zero && v == 0))
		return false;
	*ret = v;
	return true;
}

int ctl_connect(ctl *c)
{
	const char *path;
	int r;

	if (c->cluster)
		return 0;
	r = wp_cluster_open(c->socket, &c->cluster);
	if (r >= 0)
		return 0;
	path = c->socket && c->socket[0] ? c->socket : getenv(WP_SOCKET_ENV);
	if (!path || !path[0])
		path = WP_DEFAULT_SOCKET;
	err_msg("cannot connect to wolfpackd at %s: %s", path, strerror(-r));
	return EXIT_ERROR;
}

int ctl_fail(ctl *c, int r, const char *about)
{
	const char *msg = c->cluster ? wp_cluster_last_error(c->cluster) : NULL;

	if (!msg)
		msg = strerror(-r);
	if (about)
		err_msg("%s: %s", about, msg);
	else
		err_msg("%s", msg);
	return EXIT_ERROR;
}

/* Sends req (consumed) and returns the reply's text in *ret_line (caller frees), or an exit
 * code with the error reported. */
static int call_line(ctl *c, struct json_object *req, char **ret_line, const char *about)
{
	int r = ctl_connect(c);

	if (r) {
		json_object_put(req);
		return r;
	}
	r = wp_cluster_call(c->cluster, json_object_to_json_string_ext(req, JSON_FLAGS), ret_line);
	json_object_put(req);
	return r < 0 ? ctl_fail(c, r, about) : 0;
}

int ctl_call(ctl *c, struct json_object *req, struct json_object **ret_reply, const char *about)
{
	_cleanup_free_ char *line = NULL;
	struct json_object *reply;
	int r;

	r = call_line(c, req, &line, about);
	if (r)
		return r;
	reply = json_tokener_parse(line);
	if (!reply || !json_object_is_type(reply, json_type_object)) {
		json_object_put(reply);
		if (about)
			err_msg("%s: unreadable reply from wolfpackd", about);
		else
			err_msg("unreadable reply from wolfpackd");
		return EXIT_ERROR;
	}
	if (ret_reply)
		*ret_reply = reply;
	else
		json_object_put(reply);
	return 0;
}

/* For --json output of big replies: the daemon's reply line without "id" and "ok", printed
 * as it came. The daemon writes those two first ({"id":N,"ok":true,...}); anything else
 * (an error) goes the parsed way. Returns an exit code. */
int ctl_call_print_raw(ctl *c, struct json_object *req, const char *about)
{
	_cleanup_free_ char *line = NULL;
	const char *p;
	int r;

	r = call_line(c, req, &line, about);
	if (r)
		return r;
	p = strncmp(line, "{\"id\":", 6) == 0 ? line + 6 : NULL;
	while (p && *p >= '0' && *p <= '9')
		p++;
	if (p && strncmp(p, ",\"ok\":true,", 11) == 0) {
		fputc('{', stdout);
		fputs(p + 11, stdout);
		fputc('\n', stdout);
		return EXIT_OK;
	}
	/* Not the fast shape: parse it like any reply. */
	struct json_object *reply = json_tokener_parse(line);
	if (!reply) {
		err_msg("unreadable reply from wolfpackd");
		return EXIT_ERROR;
	}
	print_reply_json(reply);
	json_object_put(reply);
	return EXIT_OK;
}

struct json_object *request(const char *op, const char *name)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		abort();
	json_set_str(o, "op", op);
	if (name)
		json_set_str(o, "name", name);
	return o;
}

void json_set_str(struct json_object *o, const char *key, const char *value)
{
	struct json_object *v = json_object_new_string(value);

	if (!v || json_object_object_add(o, key, v) < 0)
		abort();
}

void print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_FLAGS));
}

void print_reply_json(struct json_object *reply)
{
	json_object_object_del(reply, "id");
	json_object_object_del(reply, "ok");
	print_json(reply);
}

char *value_text(struct json_object *v)
{
	char *s = NULL;

	switch (json_object_get_type(v)) {
	case json_type_null:
		s = strdup("");
		break;
	case json_type_string:
		s = strdup(json_object_get_string(v));
		break;
	case json_type_array: {
		size_t len = 0, n = json_object_array_length(v);
		FILE *f = open_memstream(&s, &len);

		if (!f)
			abort();
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *item = value_text(json_object_array_get_idx(v, i));

			fprintf(f, "%s%s", i ? "," : "", item);
		}
		fclose(f);
		break;
	}
	default:
		s = strdup(json_object_to_json_string_ext(v, JSON_FLAGS));
	}
	if (!s)
		abort();
	return s;
}

/* A decimal or 0x-hex integer, optionally negative. */
static bool parse_int(const char *s, int64_t *ret)
{
	bool neg = *s == '-';
	const char *p = neg ? s + 1 : s;
	unsigned long long v;
	char *end;

	if (!*p || *p == '-' || *p == '+' || *p == ' ')
		return false;
	errno = 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		v = strtoull(p + 2, &end, 16);
	else
		v = strtoull(p, &end, 10);
	if (errno || *end || end == p || v > (unsigned long long) INT64_MAX)
		return false;
	*ret = neg ? -(int64_t) v : (int64_t) v;
	return true;
}

struct json_object *value_from_text(struct json_object *current, const char *text)
{
	struct json_object *v = NULL;
	int64_t i;

	switch (current ? json_object_get_type(current) : json_type_null) {
	case json_type_array: {
		_cleanup_free_ char *copy = strdup(text);
		char *save = NULL;

		v = json_object_new_array();
		if (!v || !copy)
			abort();
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			char *end;

			while (*t == ' ')
				t++;
			end = t + strlen(t);
			while (end > t && end[-1] == ' ')
				*--end = '\0';
			if (*t && json_object_array_add(v, json_object_new_string(t)) < 0)
				abort();
		}
		return v;
	}
	case json_type_string:
		v = json_object_new_string(text);
		break;
	case json_type_boolean:
		if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
			v = json_object_new_boolean(1);
		else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
			v = json_object_new_boolean(0);
		else
			v = json_object_new_string(text);
		break;
	default: /* numbers, and properties whose type we do not know */
		v = parse_int(text, &i) ? json_object_new_int64(i) : json_object_new_string(text);
	}
	if (!v)
		abort();
	return v;
}

void print_members(struct json_object *o, const char *indent)
{
	table t;

	table_init(&t, 2);
	t.indent = indent;
	json_object_object_foreach(o, key, val) {
		_cleanup_free_ char *text = value_text(val);

		table_add(&t, key, text);
	}
	table_print(&t);
	table_free(&t);
}

void table_init(table *t, size_t cols)
{
	*t = (table) { .cols = cols };
}

void table_add(table *t, ...)
{
	va_list ap;

	if (t->rows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = realloc(t->cells, t->cap * t->cols * sizeof(char *));
		if (!t->cells)
			abort();
	}
	va_start(ap, t);
	for (size_t i = 0; i < t->cols; i++) {
		const char *s = va_arg(ap, const char *);
		char *copy = strdup(s && *s ? s : "-");

		if (!copy)
			abort();
		t->cells[t->rows * t->cols + i] = copy;
	}
	va_end(ap);
	t->rows++;
}

void table_print(table *t)
{
	_cleanup_free_ size_t *w = calloc(t->cols, sizeof(size_t));

	if (!w)
		abort();
	for (size_t r = 0; r < t->rows; r++)
		for (size_t i = 0; i < t->cols; i++) {
			size_t n = strlen(t->cells[r * t->cols + i]);

			if (n > w[i])
				w[i] = n;
		}
	for (size_t r = 0; r < t->rows; r++) {
		fputs(t->indent ? t->indent : "", stdout);
		for (size_t i = 0; i < t->cols; i++) {
			const char *s = t->cells[r * t->cols + i];

			if (i + 1 == t->cols)
				printf("%s\n", s);
			else
				printf("%-*s  ", (int) w[i], s);
		}
	}
}

void table_free(table *t)
{
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	*t = (table) { 0 };
}

const char *what(const char *kind, const char *name)
{
	static char buf[600];

	snprintf(buf, sizeof(buf), "%s '%s'", kind, name);
	return buf;
}
