/* SPDX-License-Identifier: MIT */
#include "wpd.h"

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
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "resmon-client.h"

static char *saved_args[16];

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Reads one line from fd within the deadline. Returns a new string or NULL. */
static char *read_line(int fd, char **buf, size_t *len, size_t *cap, uint64_t deadline)
{
	for (;;) {
		char *nl = *len ? memchr(*buf, '\n', *len) : NULL;
		if (nl) {
			size_t n = (size_t) (nl - *buf);
			char *line = strndup(*buf, n);
			memmove(*buf, nl + 1, *len - n - 1);
			*len -= n + 1;
			return line;
		}
		uint64_t now = rmc_now_us();
		if (now >= deadline)
			return NULL;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int) ((deadline - now + 999) / 1000)) <= 0)
			continue;
		if (*cap - *len < 65536) {
			*cap = *cap ? *cap * 2 : 131072;
			*buf = realloc(*buf, *cap);
		}
		ssize_t n = read(fd, *buf + *len, *cap - *len);
		if (n <= 0)
			return NULL;
		*len += (size_t) n;
	}
}

static int pump_events(wpd *d, int ms)
{
	uint64_t deadline = rmc_now_us() + (uint64_t) ms * 1000;
	int n = 0;
	char *line;

	while ((line = read_line(d->efd, &d->ebuf, &d->elen, &d->ecap, deadline))) {
		struct json_object *e = json_tokener_parse(line);
		free(line);
		if (!e)
			continue;
		if (d->n_events == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 256;
			d->events = realloc(d->events, d->cap * sizeof(*d->events));
		}
		if (json_object_object_get_ex(e, "event", NULL)) {
			d->events[d->n_events++] = e;
			if (getenv("WP_TEST_VERBOSE"))
				fprintf(stderr, "  << %s\n", json_object_to_json_string(e));
		} else {
			json_object_put(e); /* the subscribe reply */
		}
		n++;
		deadline = rmc_now_us(); /* take what is buffered, then return */
	}
	return n;
}

static int spawn(wpd *d)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *argv[32];
		int argc = 0;
		int null = open("/dev/null", O_RDWR);

		argv[argc++] = "wolfpackd";
		argv[argc++] = "--foreground";
		argv[argc++] = "--state-dir";
		argv[argc++] = d->dir;
		argv[argc++] = "--socket";
		argv[argc++] = d->socket;
		argv[argc++] = "--cluster";
		argv[argc++] = "none";
		for (int i = 0; saved_args[i] && argc < 30; i++)
			argv[argc++] = saved_args[i];
		argv[argc] = NULL;
		if (!getenv("WP_TEST_VERBOSE") && null >= 0)
			dup2(null, 2);
		/* A test that dies (an assertion, a sanitizer abort) takes its daemon along. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execv(WP_TEST_BIN_DIR "/wolfpackd", argv);
		_exit(127);
	}
	d->pid = pid;
	/* Ready when the socket answers. */
	uint64_t deadline = rmc_now_us() + 10000000;
	while (rmc_now_us() < deadline) {
		int fd = connect_to(d->socket);
		if (fd >= 0) {
			d->fd = fd;
			break;
		}
		if (waitpid(pid, &d->exit_status, WNOHANG) == pid) {
			d->pid = 0;
			return -ECHILD;
		}
		usleep(2000); /* the daemon has no readiness pipe: poll the socket */
	}
	if (d->fd < 0)
		return -ETIMEDOUT;
	d->efd = connect_to(d->socket);
	if (d->efd < 0)
		return d->efd;
	const char sub[] = "{\"id\":1,\"op\":\"subscribe\"}\n";
	if (write(d->efd, sub, sizeof(sub) - 1) < 0)
		return -errno;
	/* The subscription is in place once its reply arrived. */
	uint64_t dl = rmc_now_us() + 5000000;
	char *line = read_line(d->efd, &d->ebuf, &d->elen, &d->ecap, dl);
	if (!line)
		return -EIO;
	free(line);
	return 0;
}

int wpd_start(wpd *d, ...)
{
	va_list ap;
	int i = 0;

	memset(d, 0, sizeof(*d));
	d->fd = d->efd = -1;
	strcpy(d->dir, "/tmp/wp-test-wpd-XXXXXX");
	if (!mkdtemp(d->dir))
		return -errno;
	snprintf(d->socket, sizeof(d->socket), "%s/sock", d->dir);
	va_start(ap, d);
	for (const char *a; (a = va_arg(ap, const char *)) && i < 15;)
		saved_args[i++] = (char *) a;
	va_end(ap);
	saved_args[i] = NULL;
	return spawn(d);
}

static void disconnect(wpd *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->efd >= 0)
		close(d->efd);
	d->fd = d->efd = -1;
	d->elen = 0;
}

int wpd_stop_daemon(wpd *d)
{
	int status = 0;

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		waitpid(d->pid, &status, 0);
		d->pid = 0;
	}
	disconnect(d);
	return status;
}

void wpd_kill(wpd *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
	disconnect(d);
}

int wpd_restart(wpd *d)
{
	disconnect(d);
	return spawn(d);
}

void wpd_cleanup(wpd *d)
{
	char cmd[128];

	wpd_stop_daemon(d);
	for (size_t i = 0; i < d->n_events; i++)
		json_object_put(d->events[i]);
	free(d->events);
	free(d->ebuf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", d->dir);
}

static struct json_object *vcall(wpd *d, const char *fmt, va_list ap)
{
	char body[65536], *line, *buf = NULL;
	size_t len = 0, cap = 0;
	int64_t id = ++d->next_id;
	int n;

	n = vsnprintf(body, sizeof(body), fmt, ap);
	if (n < 2 || (size_t) n >= sizeof(body) - 32)
		return NULL;
	/* body is "{...}": put the id first. */
	char *req;
	if (asprintf(&req, "{\"id\":%lld,%s\n", (long long) id, body + 1) < 0)
		return NULL;
	if (getenv("WP_TEST_VERBOSE"))
		fprintf(stderr, "  >> %s", req);
	if (write(d->fd, req, strlen(req)) < 0) {
		free(req);
		return NULL;
	}
	free(req);
	line = read_line(d->fd, &buf, &len, &cap, rmc_now_us() + 30000000);
	free(buf);
	if (!line)
		return NULL;
	struct json_object *r = json_tokener_parse(line);
	if (getenv("WP_TEST_VERBOSE"))
		fprintf(stderr, "  << %.300s\n", line);
	free(line);
	return r;
}

struct json_object *wpd_call(wpd *d, const char *fmt, ...)
{
	va_list ap;
	struct json_object *r;

	va_start(ap, fmt);
	r = vcall(d, fmt, ap);
	va_end(ap);
	return r;
}

int wpd_ok(wpd *d, const char *fmt, ...)
{
	va_list ap;
	struct json_object *r, *v;
	int code = 0;

	va_start(ap, fmt);
	r = vcall(d, fmt, ap);
	va_end(ap);
	if (!r)
		return -ETIMEDOUT;
	if (json_object_object_get_ex(r, "ok", &v) && !json_object_get_boolean(v)) {
		code = json_object_object_get_ex(r, "code", &v) ? json_object_get_int(v) : -EIO;
		fprintf(stderr, "  request failed: %s\n", json_object_to_json_string(r));
	}
	json_object_put(r);
	return code;
}

static bool matches(struct json_object *e, const char *name, const char *object,
		    const char *key, const char *value)
{
	const char *ev = ev_str(e, "event");

	if (!ev || strcmp(ev, name) != 0)
		return false;
	if (object) {
		const char *o = ev_str(e, "resource");
		if (!o || strcmp(o, object) != 0)
			o = ev_str(e, "group");
		if (!o || strcmp(o, object) != 0)
			return false;
		if (strcmp(name, "group_state") != 0 && ev_str(e, "resource") &&
		    strcmp(ev_str(e, "resource"), object) != 0)
			return false;
	}
	if (key) {
		const char *v = ev_str(e, key);
		if (!v || strcmp(v, value) != 0)
			return false;
	}
	return true;
}

ssize_t wpd_find(wpd *d, size_t from, const char *name, const char *object, const char *key,
		 const char *value)
{
	for (size_t i = from; i < d->n_events; i++)
		if (matches(d->events[i], name, object, key, value))
			return (ssize_t) i;
	return -1;
}

struct json_object *wpd_wait(wpd *d, size_t *from, int timeout_ms, const char *name,
			     const char *object, const char *key, const char *value)
{
	uint64_t deadline = rmc_now_us() + (uint64_t) timeout_ms * 1000;
	size_t start = from ? *from : 0;

	for (;;) {
		ssize_t i = wpd_find(d, start, name, object, key, value);
		if (i >= 0) {
			if (from)
				*from = (size_t) i + 1;
			return d->events[i];
		}
		uint64_t now = rmc_now_us();
		if (now >= deadline)
			return NULL;
		pump_events(d, (int) ((deadline - now + 999) / 1000));
	}
}

void wpd_drain(wpd *d, int ms)
{
	uint64_t deadline = rmc_now_us() + (uint64_t) ms * 1000, now;

	while ((now = rmc_now_us()) < deadline)
		pump_events(d, (int) ((deadline - now + 999) / 1000));
}

void wpd_dump(const wpd *d)
{
	for (size_t i = 0; i < d->n_events; i++)
		fprintf(stderr, "  [%zu] %s\n", i, json_object_to_json_string(d->events[i]));
}

struct json_object *wpd_show(wpd *d, const char *res)
{
	struct json_object *r = wpd_call(d, "{\"op\":\"resource.show\",\"name\":\"%s\"}", res), *o;

	if (!r || !json_object_object_get_ex(r, "resource", &o)) {
		json_object_put(r);
		return NULL;
	}
	json_object_get(o);
	json_object_put(r);
	return o;
}

bool wpd_wait_state(wpd *d, const char *res, const char *state, int timeout_ms)
{
	uint64_t deadline = rmc_now_us() + (uint64_t) timeout_ms * 1000;

	do {
		struct json_object *o = wpd_show(d, res);
		bool ok = o && ev_str(o, "state") && strcmp(ev_str(o, "state"), state) == 0;
		json_object_put(o);
		if (ok)
			return true;
		pump_events(d, 20); /* wake on the next event instead of sleeping */
	} while (rmc_now_us() < deadline);
	return false;
}

bool wpd_log_has(wpd *d, const char *object, const char *text)
{
	struct json_object *r = wpd_call(d, "{\"op\":\"log.get\",\"limit\":1000%s%s%s}",
					 object ? ",\"resource\":\"" : "", object ? object : "",
					 object ? "\"" : ""),
			   *a;
	bool found = false;

	if (r && json_object_object_get_ex(r, "entries", &a))
		for (size_t i = 0; i < json_object_array_length(a) && !found; i++) {
			const char *m = ev_str(json_object_array_get_idx(a, i), "message");
			found = m && strstr(m, text);
		}
	json_object_put(r);
	return found;
}
