/* SPDX-License-Identifier: MIT */
#include "restest-run.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "resmon-client.h"

int rt_run(rt_result *res, const char *arg, ...)
{
	const char *argv[64];
	size_t argc = 0, len = 0, cap = 0;
	int pipefd[2], status;
	va_list ap;
	pid_t pid;
	char buf[4096];
	ssize_t n;

	memset(res, 0, sizeof(*res));
	argv[argc++] = "wp-restest";
	va_start(ap, arg);
	for (const char *a = arg; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	if (pipe(pipefd) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(WP_TEST_BIN_DIR "/wp-restest", (char *const *) argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (len + (size_t) n + 1 > cap) {
			cap = (len + (size_t) n + 1) * 2;
			res->raw = realloc(res->raw, cap);
			if (!res->raw)
				abort();
		}
		memcpy(res->raw + len, buf, (size_t) n);
		len += (size_t) n;
	}
	close(pipefd[0]);
	if (!res->raw)
		res->raw = calloc(1, 1);
	res->raw[len] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (getenv("WP_TEST_VERBOSE"))
		fprintf(stderr, "%s", res->raw);

	for (char *line = res->raw, *next; line && *line; line = next) {
		struct json_object *e;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line)
			continue;
		e = json_tokener_parse(line);
		if (!e || !json_object_is_type(e, json_type_object)) {
			fprintf(stderr, "wp-restest printed a line that is not a JSON object: %s\n",
				line);
			json_object_put(e);
			return -EBADMSG;
		}
		res->events = realloc(res->events, (res->n_events + 1) * sizeof(*res->events));
		res->events[res->n_events++] = e;
	}
	return 0;
}

ssize_t rt_find(const rt_result *res, size_t from, const char *name, const char *key,
		const char *value)
{
	for (size_t i = from; i < res->n_events; i++) {
		const char *ev = ev_str(res->events[i], "event");

		if (!ev || strcmp(ev, name) != 0)
			continue;
		if (key) {
			const char *v = ev_str(res->events[i], key);
			if (!v || strcmp(v, value) != 0)
				continue;
		}
		return (ssize_t) i;
	}
	return -1;
}

size_t rt_count(const rt_result *res, const char *name, const char *key, const char *value)
{
	size_t n = 0;

	for (ssize_t i = -1; (i = rt_find(res, (size_t) (i + 1), name, key, value)) >= 0;)
		n++;
	return n;
}

struct json_object *rt_event(const rt_result *res, ssize_t i)
{
	return i >= 0 && (size_t) i < res->n_events ? res->events[i] : NULL;
}

void rt_dump(const rt_result *res)
{
	fprintf(stderr, "wp-restest exit %d, %zu events:\n", res->exit_code, res->n_events);
	for (size_t i = 0; i < res->n_events; i++)
		fprintf(stderr, "  [%zu] %s\n", i, json_object_to_json_string(res->events[i]));
}

void rt_free(rt_result *res)
{
	for (size_t i = 0; i < res->n_events; i++)
		json_object_put(res->events[i]);
	free(res->events);
	free(res->raw);
	memset(res, 0, sizeof(*res));
}
