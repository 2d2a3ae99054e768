/* SPDX-License-Identifier: MIT */
#include "resmon-client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jmsg.h"

uint64_t rmc_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

int64_t ev_int(struct json_object *e, const char *key)
{
	struct json_object *v;

	if (!e || !json_object_object_get_ex(e, key, &v))
		return INT64_MIN;
	return json_object_get_int64(v);
}

const char *ev_str(struct json_object *e, const char *key)
{
	struct json_object *v;

	if (!e || !json_object_object_get_ex(e, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static void record(rmc *c, struct json_object *e)
{
	if (c->n_events == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->events = realloc(c->events, c->cap * sizeof(*c->events));
		if (!c->events)
			abort();
	}
	c->events[c->n_events++] = e;
	if (getenv("WP_TEST_VERBOSE"))
		fprintf(stderr, "  << %s\n", json_object_to_json_string(e));
}

static void reap(rmc *c, bool block)
{
	int status;

	if (c->exited || c->pid <= 0)
		return;
	if (waitpid(c->pid, &status, block ? 0 : WNOHANG) == c->pid) {
		c->exited = true;
		c->exit_status = status;
	}
}

/* Reads events for up to ms. Returns the number read, or -1 on EOF. */
static int pump(rmc *c, int ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	int n = 0;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	for (;;) {
		struct json_object *e = NULL;
		int r = jmsg_recv(c->fd, &e);

		if (r == -EAGAIN)
			return n;
		if (r == 0 || (r < 0 && r != -EBADMSG)) {
			reap(c, true);
			return n ? n : -1;
		}
		if (r > 0) {
			record(c, e);
			n++;
		}
	}
}

static bool matches(struct json_object *e, const char *name, uint32_t id, const char *key,
		    const char *value)
{
	const char *ev = ev_str(e, "event");

	if (!ev || strcmp(ev, name) != 0)
		return false;
	if (id && ev_int(e, "id") != (int64_t) id)
		return false;
	if (key) {
		const char *v = ev_str(e, key);
		if (!v || strcmp(v, value) != 0)
			return false;
	}
	return true;
}

ssize_t rmc_find(rmc *c, size_t from, const char *name, uint32_t id, const char *key,
		 const char *value)
{
	for (size_t i = from; i < c->n_events; i++)
		if (matches(c->events[i], name, id, key, value))
			return (ssize_t) i;
	return -1;
}

size_t rmc_count(rmc *c, const char *name, uint32_t id, const char *key, const char *value)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_events; i++)
		n += matches(c->events[i], name, id, key, value);
	return n;
}

struct json_object *rmc_wait(rmc *c, size_t *from, int timeout_ms, const char *name, uint32_t id,
			     const char *key, const char *value)
{
	uint64_t deadline = rmc_now_us() + (uint64_t) timeout_ms * 1000u;
	size_t start = from ? *from : 0;

	for (;;) {
		ssize_t i = rmc_find(c, start, name, id, key, value);
		uint64_t now;

		if (i >= 0) {
			if (from)
				*from = (size_t) i + 1;
			return c->events[i];
		}
		now = rmc_now_us();
		if (now >= deadline || c->exited)
			return NULL;
		if (pump(c, (int) ((deadline - now + 999) / 1000)) < 0)
			return NULL;
	}
}

void rmc_drain(rmc *c, int ms)
{
	uint64_t deadline = rmc_now_us() + (uint64_t) ms * 1000u;
	uint64_t now;

	while ((now = rmc_now_us()) < deadline && !c->exited)
		if (pump(c, (int) ((deadline - now + 999) / 1000)) < 0)
			break;
}

int rmc_start(rmc *c, const char *extra_plugin_dir)
{
	int sv[2];
	pid_t pid;

	memset(c, 0, sizeof(*c));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char fdbuf[16];
		int fd = dup(sv[1]); /* without CLOEXEC */

		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a dying test takes its monitor along */

		snprintf(fdbuf, sizeof(fdbuf), "%d", fd);
		if (extra_plugin_dir)
			execl(WP_TEST_BIN_DIR "/wp-resmon", "wp-resmon", "--fd", fdbuf,
			      "--plugin-dir", WP_TEST_PLUGIN_DIR, "--plugin-dir", extra_plugin_dir,
			      (char *) NULL);
		else
			execl(WP_TEST_BIN_DIR "/wp-resmon", "wp-resmon", "--fd", fdbuf,
			      "--plugin-dir", WP_TEST_PLUGIN_DIR, (char *) NULL);
		_exit(127);
	}
	close(sv[1]);
	c->pid = pid;
	c->fd = sv[0];
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	if (!rmc_wait(c, NULL, 10000, "ready", 0, NULL, NULL))
		return -EIO;
	return 0;
}

int rmc_send(rmc *c, const char *fmt, ...)
{
	char buf[65536];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= sizeof(buf))
		return -EMSGSIZE;
	if (getenv("WP_TEST_VERBOSE"))
		fprintf(stderr, "  >> %s\n", buf);
	/* A burst fills the socket: keep reading events while waiting for room, so neither
	 * side waits for the other. */
	for (int tries = 0; tries < 2000; tries++) {
		if (send(c->fd, buf, (size_t) n, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (pump(c, 10) < 0)
			return -EPIPE;
	}
	return -ETIMEDOUT;
}

int rmc_wait_exit(rmc *c, int timeout_ms)
{
	uint64_t deadline = rmc_now_us() + (uint64_t) timeout_ms * 1000u;

	while (!c->exited) {
		uint64_t now = rmc_now_us();

		reap(c, false);
		if (c->exited)
			break;
		if (now >= deadline)
			return -ETIMEDOUT;
		if (pump(c, 20) < 0)
			reap(c, true);
	}
	return 0;
}

int rmc_stop(rmc *c)
{
	int status;

	if (!c->exited) {
		(void) rmc_send(c, "{\"op\":\"shutdown\"}");
		if (rmc_wait_exit(c, 20000) < 0) {
			kill(c->pid, SIGKILL);
			reap(c, true);
		}
	}
	status = c->exit_status;
	for (size_t i = 0; i < c->n_events; i++)
		json_object_put(c->events[i]);
	free(c->events);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->events = NULL;
	c->n_events = 0;
	return status;
}

void rmc_dump(const rmc *c)
{
	for (size_t i = 0; i < c->n_events; i++)
		fprintf(stderr, "  [%zu] %s\n", i, json_object_to_json_string(c->events[i]));
}
