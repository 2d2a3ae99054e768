/* SPDX-License-Identifier: MIT */
/*
 * Resource Monitor supervision. One default monitor hosts every resource, plus one per
 * resource with SeparateMonitor=1. A monitor that dies (crash, deadlock, kill) is replaced at
 * once; the engine marks what it hosted as failed and applies the restart policy, so no
 * resource is ever left in a state nobody watches. A monitor that keeps dying is restarted
 * with a growing delay (up to 5 s) so a bad plugin cannot make us spin.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "clusterd.h"
#include "jmsg.h"
#include "time-util.h"

static int spawn(cl_monitor *m);

/* The resource that took a shared monitor down gets a monitor of its own when it is opened
 * again, so it cannot take the others down twice (WSFC does the same after an RHS crash). */
static void isolate(cl_monitor *m, cl_res *r, const char *what)
{
	if (!r || m->separate || r->isolated)
		return;
	r->isolated = true;
	cl_log(CL_WARNING, r->name, "%s the shared Resource Monitor: it runs in its own monitor from "
				    "now on", what);
}

static void on_event(cl_monitor *m, struct json_object *e)
{
	const char *ev = jmsg_get_str(e, "event");
	uint32_t id = 0;
	cl_res *r;

	if (!ev)
		return;
	(void) jmsg_get_u32(e, "id", &id);
	r = id ? cl_res_by_id(id) : NULL;
	if (r && r->mon != m)
		r = NULL; /* an id of a previous incarnation: stale */

	if (strcmp(ev, "state") == 0 && r) {
		int64_t state = 0, si = 0;
		jmsg_get_i64(e, "state", &state);
		jmsg_get_i64(e, "status_information", &si);
		/* The Offline that follows "open" belongs to the open, which engine_on_open
		 * already applied; the engine may have moved on since (OnlinePending). */
		if (r->open_state_due && state == 3) {
			r->open_state_due = false;
			return;
		}
		r->open_state_due = false;
		engine_on_state(r, (int) state, (uint32_t) si);
	} else if (strcmp(ev, "open") == 0 && r) {
		r->open_state_due = true;
		engine_on_open(r);
	} else if (strcmp(ev, "failure") == 0 && r) {
		int64_t type = 0, app = 0;
		jmsg_get_i64(e, "failure_type", &type);
		jmsg_get_i64(e, "app_error", &app);
		engine_on_failure(r, jmsg_get_str(e, "source") ?: "unknown", (int) type,
				  (uint32_t) app, jmsg_get_str(e, "action") ?: "terminate");
	} else if (strcmp(ev, "status_information") == 0 && r) {
		int64_t si = 0;
		jmsg_get_i64(e, "status_information", &si);
		engine_on_status_information(r, (uint32_t) si);
	} else if (strcmp(ev, "log") == 0) {
		int64_t level = 0;
		jmsg_get_i64(e, "level", &level);
		cl_log((int) level, r ? r->name : m->name, "%s%s%s", r ? r->type->name : "",
		       r ? ": " : "", jmsg_get_str(e, "message") ?: "");
	} else if (strcmp(ev, "error") == 0) {
		cl_log(CL_WARNING, r ? r->name : m->name, "Resource Monitor: %s%s%s",
		       jmsg_get_str(e, "op") ?: "", jmsg_get_str(e, "op") ? ": " : "",
		       jmsg_get_str(e, "message") ?: "");
		/* An open that failed leaves the resource without an instance. */
		if (r && jmsg_get_str(e, "op") && strcmp(jmsg_get_str(e, "op"), "open") == 0 &&
		    !r->opened)
			engine_on_state(r, 4 /* Failed */, 0);
	} else if (strcmp(ev, "deadlock") == 0) {
		free(m->deadlock_what);
		if (asprintf(&m->deadlock_what, "%s did not return from %s within %s ms",
			     r ? r->name : jmsg_get_str(e, "type") ?: "?",
			     jmsg_get_str(e, "call") ?: "?",
			     json_object_to_json_string(json_object_object_get(e, "timeout_ms"))) < 0)
			m->deadlock_what = NULL;
		m->deadlocked = true;
		cl_log(CL_ERROR, r ? r->name : m->name, "deadlock: %s; the Resource Monitor exits",
		       m->deadlock_what ?: "?");
		isolate(m, r, "deadlocked");
	} else if (strcmp(ev, "crash") == 0) {
		int64_t sig = 0;
		jmsg_get_i64(e, "signal", &sig);
		cl_log(CL_ERROR, r ? r->name : m->name, "plugin crashed in %s (signal %d)",
		       jmsg_get_str(e, "call") ?: "?", (int) sig);
		isolate(m, r, "crashed");
	}
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	cl_monitor *m = userdata;

	if (revents & EPOLLOUT && jmsg_outbox_flush(fd, &m->outbox, false) <= 0)
		sd_event_source_set_io_events(s, EPOLLIN);
	if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return 0;

	for (int i = 0; i < 256; i++) {
		struct json_object *e = NULL;
		int r = jmsg_recv(fd, &e);

		if (r == -EAGAIN)
			return 0;
		if (r == -EBADMSG)
			continue;
		if (r <= 0) {
			/* EOF: the monitor is gone or going; the child source does the rest. */
			m->io = sd_event_source_disable_unref(m->io);
			return 0;
		}
		on_event(m, e);
		json_object_put(e);
	}
	return 0;
}

static int on_restart_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	cl_monitor *m = userdata;

	sd_event_source_unref(s);
	if (spawn(m) < 0)
		cl_log(CL_SEVERE, m->name, "cannot restart the Resource Monitor");
	return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	cl_monitor *m = userdata;
	char why[160];

	if (si->si_code == CLD_EXITED)
		snprintf(why, sizeof(why), "exited with status %d", si->si_status);
	else
		snprintf(why, sizeof(why), "was killed by signal %d (%s)", si->si_status,
			 strsignal(si->si_status));
	m->child = sd_event_source_disable_unref(m->child);
	m->io = sd_event_source_disable_unref(m->io);
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->pid = 0;
	jmsg_outbox_clear(&m->outbox); /* commands for the dead one; the new one is told anew */
	if (cl.shutting_down)
		return 0;

	cl_log(m->deadlocked ? CL_ERROR : CL_WARNING, m->name, "Resource Monitor %s%s%s", why,
	       m->deadlocked ? " after a deadlock: " : "",
	       m->deadlocked ? (m->deadlock_what ?: "") : "");
	engine_on_monitor_lost(m, m->deadlocked ? "deadlock" : "monitor_crash");
	m->deadlocked = false;

	/* Back off if it keeps dying: 0 s, then 0.1, 0.2, 0.4 … 5 s; reset after 60 s alive. */
	uint64_t now = now_us(), delay = 0;
	if (now - m->last_start_us > 60 * USEC_PER_SEC)
		m->restarts = 0;
	if (m->restarts > 0) {
		delay = 100000ull << (m->restarts > 6 ? 6 : m->restarts - 1);
		if (delay > 5 * USEC_PER_SEC)
			delay = 5 * USEC_PER_SEC;
	}
	m->restarts++;
	if (m->separate && !engine_monitor_has_resources(m)) {
		monitor_release(m);
		return 0;
	}
	if (delay == 0) {
		if (spawn(m) < 0)
			cl_log(CL_SEVERE, m->name, "cannot restart the Resource Monitor");
	} else {
		sd_event_add_time_relative(cl.event, NULL, CLOCK_MONOTONIC, delay, 1000,
					   on_restart_timer, m);
	}
	return 0;
}

static int spawn(cl_monitor *m)
{
	int sv[2], r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		char *argv[64];
		int argc = 0;
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* fd 3 for the monitor; nothing else leaks (everything else is CLOEXEC). */
		if (dup2(sv[1], 3) < 0)
			_exit(127);
		argv[argc++] = "wp-resmon";
		argv[argc++] = "--fd";
		argv[argc++] = "3";
		argv[argc++] = "--name";
		argv[argc++] = m->name;
		for (char **d = cl.plugin_dirs; d && *d && argc < 60; d++) {
			argv[argc++] = "--plugin-dir";
			argv[argc++] = *d;
		}
		argv[argc] = NULL;
		execv(cl.resmon_path, argv);
		_exit(127);
	}
	close(sv[1]);
	m->pid = pid;
	m->fd = sv[0];
	m->last_start_us = now_us();
	fcntl(m->fd, F_SETFL, O_NONBLOCK);
	r = sd_event_add_io(cl.event, &m->io, m->fd, EPOLLIN, on_io, m);
	if (r >= 0)
		r = sd_event_add_child(cl.event, &m->child, pid, WEXITED, on_child, m);
	if (r < 0)
		return r;
	/* Big socket buffers: a burst of 10 000 commands must not block the loop. */
	int size = 8 << 20;
	(void) setsockopt(m->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	(void) setsockopt(m->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	cl_log(CL_INFO, m->name, "Resource Monitor started (pid %d)", (int) pid);
	/* Re-create the instances this monitor hosts (after a crash, or a first start). */
	engine_monitor_started(m);
	return 0;
}

static cl_monitor *monitor_new(const char *name, bool separate)
{
	cl_monitor *m = calloc(1, sizeof(*m));

	if (!m || !(m->name = strdup(name)))
		abort();
	m->fd = -1;
	m->separate = separate;
	m->next = cl.monitors;
	cl.monitors = m;
	return m;
}

int monitors_start(void)
{
	cl.default_monitor = monitor_new("resmon", false);
	return spawn(cl.default_monitor);
}

cl_monitor *monitor_for(cl_res *r)
{
	char name[300];
	cl_monitor *m;

	if (!res_prop(r, "SeparateMonitor") && !r->isolated)
		return cl.default_monitor;
	snprintf(name, sizeof(name), "resmon:%s", r->name);
	for (m = cl.monitors; m; m = m->next)
		if (m->separate && strcmp(m->name, name) == 0)
			return m;
	m = monitor_new(name, true);
	r->mon = m; /* so spawn's re-open finds it */
	if (spawn(m) < 0)
		cl_log(CL_SEVERE, r->name, "cannot start a separate Resource Monitor");
	return m;
}

void monitor_release(cl_monitor *m)
{
	cl_monitor **p;

	if (m->pid > 0) {
		/* It exits on EOF after closing what it hosts; the child source is dropped. */
		m->child = sd_event_source_disable_unref(m->child);
		m->io = sd_event_source_disable_unref(m->io);
		close(m->fd);
		m->fd = -1;
		(void) waitpid(m->pid, NULL, WNOHANG);
	}
	for (p = &cl.monitors; *p; p = &(*p)->next)
		if (*p == m) {
			*p = m->next;
			break;
		}
	jmsg_outbox_clear(&m->outbox);
	free(m->deadlock_what);
	free(m->name);
	free(m);
}

int monitor_send(cl_monitor *m, struct json_object *cmd)
{
	int r = m && m->fd >= 0 ? jmsg_outbox_send(m->fd, &m->outbox, cmd) : -ENOTCONN;

	if (r == 1 && m->io)
		sd_event_source_set_io_events(m->io, EPOLLIN | EPOLLOUT);
	json_object_put(cmd);
	return r < 0 ? r : 0;
}

static struct json_object *command(cl_res *r, const char *op)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "op", json_object_new_string(op));
	json_object_object_add(c, "id", json_object_new_int64(r->id));
	return c;
}

static void add_timing(cl_res *r, struct json_object *c)
{
	uint32_t looks = res_prop(r, "LooksAlivePollInterval");
	uint32_t is = res_prop(r, "IsAlivePollInterval");

	json_object_object_add(c, "looks_alive_ms", json_object_new_int64(looks));
	json_object_object_add(c, "is_alive_ms", json_object_new_int64(is));
	json_object_object_add(c, "pending_timeout_ms",
			       json_object_new_int64(res_prop(r, "PendingTimeout")));
	json_object_object_add(c, "deadlock_timeout_ms",
			       json_object_new_int64(res_prop(r, "DeadlockTimeout")));
	json_object_object_add(c, "embedded_failure_action",
			       json_object_new_int64(res_prop(r, "EmbeddedFailureAction")));
}

/* Creates the instance in r's monitor under a fresh id (ids are never reused, so events of a
 * previous instance are recognised as stale). */
void monitor_open(cl_res *r)
{
	struct json_object *c;

	r->id = ++cl.next_id;
	r->opened = false;
	r->params_dirty = false;
	c = command(r, "open");
	json_object_object_add(c, "name", json_object_new_string(r->name));
	json_object_object_add(c, "type", json_object_new_string(r->type->name));
	json_object_object_add(c, "dll", json_object_new_string(r->type->dll));
	json_object_object_add(c, "params", json_object_get(r->params));
	add_timing(r, c);
	if (monitor_send(r->mon, c) < 0)
		cl_log(CL_ERROR, r->name, "cannot reach the Resource Monitor to open the resource");
}

void monitor_cmd(cl_res *r, const char *op)
{
	if (monitor_send(r->mon, command(r, op)) < 0)
		cl_log(CL_ERROR, r->name, "cannot reach the Resource Monitor for %s", op);
}

void monitor_set_timing(cl_res *r)
{
	struct json_object *c = command(r, "set");

	add_timing(r, c);
	(void) monitor_send(r->mon, c);
}

bool monitor_pid_is_ours(pid_t pid)
{
	for (cl_monitor *m = cl.monitors; m; m = m->next)
		if (m->pid == pid)
			return true;
	return false;
}

void monitors_stop(void)
{
	/* Closing our end makes every monitor terminate and close its resources, then exit. */
	for (cl_monitor *m = cl.monitors; m; m = m->next)
		if (m->fd >= 0) {
			close(m->fd);
			m->fd = -1;
		}
	for (cl_monitor *m = cl.monitors; m; m = m->next)
		if (m->pid > 0) {
			/* Bounded wait: a monitor stuck in a plugin gets SIGKILL after 10 s. */
			for (int i = 0; i < 1000; i++) {
				if (waitpid(m->pid, NULL, WNOHANG) != 0)
					break;
				usleep(10000);
				if (i == 999) {
					kill(m->pid, SIGKILL);
					waitpid(m->pid, NULL, 0);
				}
			}
		}
}
