/* SPDX-License-Identifier: MIT */
/*
 * wolfpackd as a service: an empty cluster at first start, malformed and oversized requests,
 * an unprivileged client, PersistentState across a restart, kill -9 during a burst of
 * configuration writes, a Resource Monitor killed or deadlocked, SeparateMonitor, a slow
 * subscriber told to reconnect, and FailClusterResource refused from inside a plugin.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <grp.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "resmon-client.h"
#include "wpd.h"

#define CHECK(x) WPD_CHECK(d, x)

static int setup(void **state)
{
	wpd *d = calloc(1, sizeof(*d));

	if (wpd_start(d, "--plugin-dir", WP_TEST_PLUGIN_DIR, "--plugin-dir",
		      WP_TEST_EXTRA_PLUGIN_DIR, "--event-backlog", "65536", NULL) < 0)
		return -1;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	wpd_cleanup(*state);
	free(*state);
	return 0;
}

static void make(wpd *d, const char *name, const char *params)
{
	if (wpd_find(d, 0, "group_added", "g", NULL, NULL) < 0 &&
	    !wpd_wait(d, NULL, 10, "group_added", "g", NULL, NULL))
		CHECK(wpd_ok(d, "{\"op\":\"group.create\",\"name\":\"g\"}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.create\",\"name\":\"%s\",\"type\":\"dummy\",\"group\":\"g\","
			"\"params\":%s}", name, params ? params : "{}") == 0);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

/* Sends raw bytes and reads one reply line. */
static struct json_object *raw_exchange(int fd, const char *bytes, size_t n)
{
	char buf[4096];
	size_t len = 0;

	if (n && write(fd, bytes, n) != (ssize_t) n)
		return NULL;
	while (len < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + len, 1);
		if (r <= 0)
			return NULL;
		if (buf[len++] == '\n')
			break;
	}
	buf[len] = '\0';
	return json_tokener_parse(buf);
}

static void test_empty_cluster(void **state)
{
	wpd *d = *state;
	struct json_object *r = wpd_call(d, "{\"op\":\"cluster.status\"}"), *a;
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	CHECK(r && strcmp(ev_str(r, "cluster"), host) == 0);
	CHECK(json_object_object_get_ex(r, "nodes", &a) && json_object_array_length(a) == 1);
	CHECK(strcmp(ev_str(json_object_array_get_idx(a, 0), "name"), host) == 0);
	CHECK(strcmp(ev_str(json_object_array_get_idx(a, 0), "state"), "Up") == 0);
	CHECK(json_object_object_get_ex(r, "groups", &a) && json_object_array_length(a) == 0);
	CHECK(json_object_object_get_ex(r, "resources", &a) && json_object_array_length(a) == 0);
	json_object_put(r);
	r = wpd_call(d, "{\"op\":\"type.list\"}");
	CHECK(r && strstr(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN), "\"process\""));
	CHECK(strstr(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN), "\"dummy\""));
	CHECK(strstr(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN),
		     "\"LooksAlivePollInterval\":5000"));
	CHECK(strstr(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN),
		     "\"IsAlivePollInterval\":60000"));
	json_object_put(r);
}

static void test_malformed_requests(void **state)
{
	wpd *d = *state;
	int fd = raw_connect(d->socket);
	struct json_object *r;
	char *big;

	CHECK(fd >= 0);
	r = raw_exchange(fd, "this is not json\n", 17);
	CHECK(r && ev_int(r, "code") == -EPROTO);
	json_object_put(r);
	r = raw_exchange(fd, "{\"op\":\"cluster.status\"}\n", 24);
	CHECK(r && ev_int(r, "code") == -EPROTO); /* no id */
	json_object_put(r);
	r = raw_exchange(fd, "{\"id\":3,\"op\":\"no.such\"}\n", 24);
	CHECK(r && ev_int(r, "id") == 3 && ev_int(r, "code") == -EPROTO);
	json_object_put(r);
	r = raw_exchange(fd, "{\"id\":4,\"op\":\"resource.create\",\"name\":7}\n", 41);
	CHECK(r && ev_int(r, "code") == -EINVAL);
	json_object_put(r);
	r = raw_exchange(fd, "{\"id\":5,\"op\":\"resource.set\",\"name\":\"x\",\"properties\":{}}\n", 57);
	CHECK(r && ev_int(r, "code") == -ENOENT);
	json_object_put(r);
	/* Oversized: 200 KB on one line. */
	big = malloc(200001);
	memset(big, 'x', 200000);
	big[199999] = '\n';
	r = raw_exchange(fd, big, 200000);
	CHECK(r && ev_int(r, "code") == -EPROTO && strstr(ev_str(r, "error"), "too long"));
	json_object_put(r);
	free(big);
	/* The same connection, and the daemon, still serve. */
	r = raw_exchange(fd, "{\"id\":9,\"op\":\"cluster.status\"}\n", 31);
	CHECK(r && ev_int(r, "id") == 9 && json_object_get_boolean(json_object_object_get(r, "ok")));
	json_object_put(r);
	close(fd);
	/* Bad property values leave the database as it was. */
	make(d, "r", NULL);
	CHECK(wpd_ok(d, "{\"op\":\"resource.set\",\"name\":\"r\",\"properties\":{\"RestartAction\":7}}") ==
	      -EINVAL);
	CHECK(wpd_ok(d, "{\"op\":\"resource.set\",\"name\":\"r\",\"properties\":{\"NoSuchThing\":1}}") ==
	      -EINVAL);
	CHECK(wpd_ok(d, "{\"op\":\"resource.set\",\"name\":\"r\",\"properties\":{\"StatusInformation\":1}}") ==
	      -EINVAL);
	r = wpd_call(d, "{\"op\":\"resource.get\",\"name\":\"r\",\"property\":\"RestartAction\"}");
	CHECK(r && ev_int(r, "value") == 2);
	json_object_put(r);
	CHECK(wpd_ok(d, "{\"op\":\"resource.create\",\"name\":\"r\",\"type\":\"dummy\",\"group\":\"g\"}") ==
	      -EEXIST);
	CHECK(wpd_ok(d, "{\"op\":\"resource.create\",\"name\":\"q\",\"type\":\"nope\",\"group\":\"g\"}") ==
	      -ENOENT);
}

static void test_unprivileged_client_denied(void **state)
{
	wpd *d = *state;
	pid_t pid;
	int status;

	if (geteuid() != 0)
		skip(); /* needs root to become another user */
	/* The socket lives in the test's private dir; let the other user reach it, as
	 * /run/wolfpack (0755) does. */
	CHECK(chmod(d->dir, 0755) == 0);
	pid = fork();
	if (pid == 0) {
		struct json_object *r;
		int fd;

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		fd = raw_connect(d->socket);
		if (fd < 0)
			_exit(11);
		r = raw_exchange(fd, "{\"id\":1,\"op\":\"cluster.status\"}\n", 31);
		if (!r || !json_object_get_boolean(json_object_object_get(r, "ok")))
			_exit(12); /* reading is allowed */
		json_object_put(r);
		r = raw_exchange(fd, "{\"id\":2,\"op\":\"group.create\",\"name\":\"evil\"}\n", 43);
		if (!r || ev_int(r, "code") != -EACCES)
			_exit(13);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("unprivileged client: status %#x (10 setuid, 11 connect, 12 read refused, "
			 "13 write not refused)", status);
	struct json_object *r = wpd_call(d, "{\"op\":\"group.show\",\"name\":\"evil\"}");
	CHECK(r && ev_int(r, "code") == -ENOENT);
	json_object_put(r);
}

static void test_persistent_state_across_restart(void **state)
{
	wpd *d = *state;

	make(d, "up", NULL);
	make(d, "down", NULL);
	CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"up\"}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"down\"}") == 0);
	CHECK(wpd_wait_state(d, "up", "Online", 5000) && wpd_wait_state(d, "down", "Online", 5000));
	CHECK(wpd_ok(d, "{\"op\":\"resource.offline\",\"name\":\"down\"}") == 0);
	CHECK(wpd_wait_state(d, "down", "Offline", 5000));
	CHECK(WIFEXITED(wpd_stop_daemon(d)));
	CHECK(wpd_restart(d) == 0);
	CHECK(wpd_wait_state(d, "up", "Online", 5000));
	CHECK(wpd_wait_state(d, "down", "Offline", 2000));
	CHECK(wpd_log_has(d, "up", "PersistentState"));
}

static void test_kill9_during_write_burst(void **state)
{
	wpd *d = *state;
	int pipefd[2];
	pid_t writer;
	char acked[2000] = "";
	size_t n_acked = 0;

	CHECK(pipe(pipefd) == 0);
	writer = fork();
	if (writer == 0) {
		int fd = raw_connect(d->socket);
		close(pipefd[0]);
		for (int i = 0; i < 2000 && fd >= 0; i++) {
			char req[128];
			int n = snprintf(req, sizeof(req),
					 "{\"id\":%d,\"op\":\"group.create\",\"name\":\"burst%d\"}\n",
					 i + 1, i);
			struct json_object *r = raw_exchange(fd, req, (size_t) n);
			if (!r || !json_object_get_boolean(json_object_object_get(r, "ok")))
				break;
			json_object_put(r);
			unsigned char b = 1;
			if (write(pipefd[1], &b, 1) != 1)
				break;
		}
		_exit(0);
	}
	close(pipefd[1]);
	/* After 150 acknowledged writes, kill the daemon in the middle of the burst. */
	unsigned char b;
	while (n_acked < 150 && read(pipefd[0], &b, 1) == 1)
		n_acked++;
	pid_t victim = d->pid;
	kill(victim, SIGKILL);
	while (read(pipefd[0], &b, 1) == 1)
		n_acked++;
	close(pipefd[0]);
	waitpid(writer, NULL, 0);
	waitpid(victim, NULL, 0);
	d->pid = 0;
	CHECK(n_acked >= 150 && n_acked < 2000);
	CHECK(wpd_restart(d) == 0);
	/* Every acknowledged change is there. */
	for (size_t i = 0; i < n_acked; i++) {
		struct json_object *r = wpd_call(d, "{\"op\":\"group.show\",\"name\":\"burst%zu\"}", i);
		if (!r || !json_object_get_boolean(json_object_object_get(r, "ok")))
			fail_msg("acknowledged group burst%zu is missing after kill -9", i);
		json_object_put(r);
	}
	(void) acked;
}

static void test_monitor_killed(void **state)
{
	wpd *d = *state;
	struct json_object *o, *lf;
	int64_t pid1, pid2;
	size_t at;

	make(d, "r", NULL);
	CHECK(wpd_ok(d, "{\"op\":\"resource.set\",\"name\":\"r\",\"properties\":{\"RestartDelay\":0}}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"r\"}") == 0);
	CHECK(wpd_wait_state(d, "r", "Online", 5000));
	o = wpd_show(d, "r");
	pid1 = ev_int(o, "monitor_pid");
	json_object_put(o);
	CHECK(pid1 > 0);
	at = d->n_events;
	CHECK(kill((pid_t) pid1, SIGKILL) == 0);
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "r", "state", "Failed"));
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "r", "state", "Online"));
	o = wpd_show(d, "r");
	pid2 = ev_int(o, "monitor_pid");
	CHECK(pid2 > 0 && pid2 != pid1);
	CHECK(json_object_object_get_ex(o, "last_failure", &lf) && lf);
	CHECK(strcmp(ev_str(lf, "source"), "monitor_crash") == 0);
	json_object_put(o);
}

static void test_hung_entry_point_and_separate_monitor(void **state)
{
	wpd *d = *state;
	struct json_object *o, *lf;
	int64_t pid_sep, pid_def;
	size_t at;

	/* A healthy resource in its own monitor must not notice the other monitor's trouble. */
	make(d, "sep", NULL);
	CHECK(wpd_ok(d, "{\"op\":\"resource.set\",\"name\":\"sep\",\"properties\":{\"SeparateMonitor\":1}}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.set\",\"name\":\"sep\",\"params\":{\"Touch\":\"1\"}}") == 0);
	make(d, "hang", "{\"HangIn\":\"looks_alive\",\"HangMs\":\"60000\"}");
	CHECK(wpd_ok(d, "{\"op\":\"resource.set\",\"name\":\"hang\",\"properties\":{\"LooksAlivePollInterval\":100,"
			"\"DeadlockTimeout\":500,\"RestartAction\":1,\"RestartThreshold\":0}}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"sep\"}") == 0);
	CHECK(wpd_wait_state(d, "sep", "Online", 5000));
	o = wpd_show(d, "sep");
	pid_sep = ev_int(o, "monitor_pid");
	json_object_put(o);
	at = d->n_events;
	CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"hang\"}") == 0);
	CHECK(wpd_wait(d, &at, 10000, "resource_state", "hang", "state", "Failed"));
	o = wpd_show(d, "hang");
	pid_def = ev_int(o, "monitor_pid");
	CHECK(json_object_object_get_ex(o, "last_failure", &lf) && lf);
	CHECK(strcmp(ev_str(lf, "source"), "deadlock") == 0);
	json_object_put(o);
	CHECK(wpd_log_has(d, "hang", "deadlock"));
	CHECK(pid_sep != pid_def);
	/* The separate monitor was untouched. */
	o = wpd_show(d, "sep");
	CHECK(ev_int(o, "monitor_pid") == pid_sep && strcmp(ev_str(o, "state"), "Online") == 0);
	json_object_put(o);
}

static void test_slow_subscriber_told_to_reconnect(void **state)
{
	wpd *d = *state;
	int fd = raw_connect(d->socket), small = 4096;
	struct json_object *r;
	char *buf;
	size_t len = 0;
	ssize_t n;

	CHECK(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	r = raw_exchange(fd, "{\"id\":1,\"op\":\"subscribe\"}\n", 27);
	CHECK(r && json_object_get_boolean(json_object_object_get(r, "ok")));
	json_object_put(r);
	make(d, "r", NULL);
	/* Far more events than the 64 KiB backlog plus socket buffers; the daemon keeps serving. */
	for (int i = 0; i < 3000; i++)
		CHECK(wpd_ok(d, "{\"op\":\"resource.set\",\"name\":\"r\",\"params\":{\"N\":\"%d\"}}", i) == 0);
	buf = malloc(8 << 20);
	while (len < (8u << 20) - 65536) {
		struct timeval tv = { .tv_usec = 200000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		n = read(fd, buf + len, 65536);
		if (n <= 0)
			break;
		len += (size_t) n;
	}
	buf[len] = '\0';
	char *rc = strstr(buf, "\"event\":\"reconnect\"");
	CHECK(rc != NULL);
	/* Nothing after the reconnect notice until the client subscribes again. */
	char *nl = strchr(rc, '\n');
	CHECK(nl && nl[1] == '\0');
	free(buf);
	close(fd);
}

static void test_fail_from_inside_a_plugin_is_refused(void **state)
{
	wpd *d = *state;
	char params[512];

	make(d, "victim", NULL);
	CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"victim\"}") == 0);
	CHECK(wpd_wait_state(d, "victim", "Online", 5000));
	CHECK(wpd_ok(d, "{\"op\":\"type.create\",\"name\":\"failcaller\",\"dll\":\"failcaller.so\"}") == 0);
	snprintf(params, sizeof(params), "{\"Socket\":\"%s\",\"Target\":\"victim\"}", d->socket);
	CHECK(wpd_ok(d, "{\"op\":\"resource.create\",\"name\":\"caller\",\"type\":\"failcaller\","
			"\"group\":\"g\",\"params\":%s}", params) == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"caller\"}") == 0);
	/* The plugin logs the daemon's answer; poll the cluster log for it. */
	uint64_t deadline = rmc_now_us() + 5000000;
	while (!wpd_log_has(d, "caller", "fail-reply=") && rmc_now_us() < deadline)
		wpd_drain(d, 20);
	CHECK(wpd_log_has(d, "caller", "\"code\":-1"));
	CHECK(wpd_log_has(d, "caller", "must not be called from a resource plugin"));
	CHECK(wpd_log_has(d, "victim", "FailClusterResource refused"));
	CHECK(wpd_wait_state(d, "victim", "Online", 100));
	/* From an ordinary client it works. */
	CHECK(wpd_ok(d, "{\"op\":\"resource.fail\",\"name\":\"victim\"}") == 0);
	size_t at = 0;
	CHECK(wpd_wait(d, &at, 5000, "resource_state", "victim", "state", "Failed"));
}

static void test_group_operations(void **state)
{
	wpd *d = *state;
	struct json_object *r, *g, *props;
	char host[256] = "";
	size_t at;

	gethostname(host, sizeof(host) - 1);
	make(d, "m1", NULL);
	make(d, "m2", NULL);
	/* Properties: validated, stored, shown with defaults. */
	CHECK(wpd_ok(d, "{\"op\":\"group.set\",\"name\":\"g\",\"properties\":{\"Priority\":3000,"
			"\"FailoverPeriod\":2,\"PreferredOwners\":[\"%s\"]}}", host) == 0);
	CHECK(wpd_ok(d, "{\"op\":\"group.set\",\"name\":\"g\",\"properties\":{\"Priority\":1234}}") ==
	      -EINVAL);
	CHECK(wpd_ok(d, "{\"op\":\"group.set\",\"name\":\"g\",\"properties\":{\"FailbackWindowStart\":3}}") ==
	      -EINVAL); /* End must be set too */
	r = wpd_call(d, "{\"op\":\"group.show\",\"name\":\"g\"}");
	CHECK(r && json_object_object_get_ex(r, "group", &g) &&
	      json_object_object_get_ex(g, "properties", &props));
	CHECK(ev_int(props, "Priority") == 3000 && ev_int(props, "FailoverPeriod") == 2);
	CHECK(ev_int(props, "FailoverThreshold") == 4294967295LL); /* default */
	json_object_put(r);
	/* Online/offline of the whole group, and its derived state. */
	at = d->n_events;
	CHECK(wpd_ok(d, "{\"op\":\"group.online\",\"name\":\"g\"}") == 0);
	CHECK(wpd_wait(d, &at, 5000, "group_state", "g", "state", "Online"));
	CHECK(wpd_wait_state(d, "m1", "Online", 100) && wpd_wait_state(d, "m2", "Online", 100));
	at = d->n_events;
	CHECK(wpd_ok(d, "{\"op\":\"resource.offline\",\"name\":\"m2\"}") == 0);
	CHECK(wpd_wait(d, &at, 5000, "group_state", "g", "state", "PartialOnline"));
	/* Move: on one node, the best node is this one; any other is refused. */
	r = wpd_call(d, "{\"op\":\"group.move\",\"name\":\"g\"}");
	CHECK(r && strcmp(ev_str(r, "node"), host) == 0);
	json_object_put(r);
	CHECK(wpd_ok(d, "{\"op\":\"group.move\",\"name\":\"g\",\"node\":\"elsewhere\"}") == -EINVAL);
	at = d->n_events;
	CHECK(wpd_ok(d, "{\"op\":\"group.offline\",\"name\":\"g\"}") == 0);
	CHECK(wpd_wait(d, &at, 5000, "group_state", "g", "state", "Offline"));
	/* Delete: only an empty group. */
	CHECK(wpd_ok(d, "{\"op\":\"group.delete\",\"name\":\"g\"}") == -EBUSY);
	CHECK(wpd_ok(d, "{\"op\":\"resource.delete\",\"name\":\"m1\"}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.delete\",\"name\":\"m2\"}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"group.delete\",\"name\":\"g\"}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"group.show\",\"name\":\"g\"}") == -ENOENT);
}

/* A plugin that crashes the shared monitor takes the others down once, not twice: it is
 * isolated in its own monitor, and the others come back in the shared one. */
static void test_crashing_resource_is_isolated(void **state)
{
	wpd *d = *state;
	struct json_object *o, *lf;
	int64_t good_pid, bad_pid, pid_before;
	size_t at;

	make(d, "good", NULL);
	CHECK(wpd_ok(d, "{\"op\":\"resource.set\",\"name\":\"good\",\"properties\":{\"RestartDelay\":0}}") == 0);
	CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"good\"}") == 0);
	CHECK(wpd_wait_state(d, "good", "Online", 5000));
	o = wpd_show(d, "good");
	pid_before = ev_int(o, "monitor_pid");
	json_object_put(o);

	make(d, "bad", "{\"CrashIn\":\"looks_alive\"}");
	CHECK(wpd_ok(d, "{\"op\":\"resource.set\",\"name\":\"bad\",\"properties\":{\"LooksAlivePollInterval\":100,"
			"\"RestartAction\":1,\"RestartThreshold\":0}}") == 0);
	at = d->n_events;
	CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"bad\"}") == 0);
	/* The crash fails both (source monitor_crash); good restarts in a new shared monitor. */
	CHECK(wpd_wait(d, &at, 10000, "resource_state", "good", "state", "Failed"));
	CHECK(wpd_wait_state(d, "good", "Online", 10000));
	CHECK(wpd_wait_state(d, "bad", "Failed", 5000));
	CHECK(wpd_log_has(d, "bad", "plugin crashed in looks_alive"));
	CHECK(wpd_log_has(d, "bad", "runs in its own monitor"));
	o = wpd_show(d, "good");
	good_pid = ev_int(o, "monitor_pid");
	CHECK(json_object_object_get_ex(o, "last_failure", &lf) && lf &&
	      strcmp(ev_str(lf, "source"), "monitor_crash") == 0);
	json_object_put(o);
	o = wpd_show(d, "bad");
	bad_pid = ev_int(o, "monitor_pid");
	json_object_put(o);
	CHECK(good_pid > 0 && bad_pid > 0 && good_pid != pid_before && bad_pid != good_pid);
	/* Bringing bad online again crashes only its own monitor: good is not touched. */
	at = d->n_events;
	CHECK(wpd_ok(d, "{\"op\":\"resource.online\",\"name\":\"bad\"}") == 0);
	CHECK(wpd_wait(d, &at, 10000, "resource_state", "bad", "state", "Failed"));
	wpd_drain(d, 300);
	CHECK(wpd_find(d, at, "resource_state", "good", NULL, NULL) == -1);
	o = wpd_show(d, "good");
	CHECK(ev_int(o, "monitor_pid") == good_pid);
	json_object_put(o);
}

/* Every op with every field given the wrong type, plus random garbage lines: each gets a
 * reply, the daemon keeps serving, and the configuration is what it was. Seeded, so a failure
 * reproduces. */
static void test_fuzzed_requests(void **state)
{
	wpd *d = *state;
	static const char *const ops[] = {
		"cluster.status", "type.list", "type.create", "group.create", "group.delete",
		"group.online", "group.offline", "group.show", "group.set", "group.move",
		"resource.create", "resource.delete", "resource.set", "resource.get",
		"resource.show", "resource.online", "resource.offline", "resource.fail",
		"resource.depend", "resource.add_dependency", "log.get", "subscribe",
	};
	static const char *const fields[] = { "name", "type", "group", "params", "properties",
					      "expression", "depends_on", "node", "property",
					      "filter", "limit", "dll", "separate_monitor" };
	static const char *const values[] = { "7", "-1", "null", "true", "[]", "{}", "\"\"",
					      "\"g\"", "\"r\"", "[1,\"x\"]", "{\"A\":1}",
					      "{\"RestartAction\":\"x\"}", "1e99", "\"[r]\"",
					      "\"((\"", "{\"Priority\":-5}" };
	int fd = raw_connect(d->socket);
	unsigned seed = 12345;
	char line[512];

	make(d, "r", NULL);
	CHECK(fd >= 0);
	for (int i = 0; i < 3000; i++) {
		int n;

		seed = seed * 1103515245u + 12345u;
		if (i % 10 == 9) {
			/* Garbage: printable bytes, unbalanced braces and quotes. */
			static const char chars[] = "{}[]\":,abc123 \\";

			n = 0;
			for (int k = 0; k < 40; k++) {
				seed = seed * 1103515245u + 12345u;
				line[n++] = chars[(seed >> 16) % (sizeof(chars) - 1)];
			}
			line[n++] = '\n';
		} else {
			const char *op = ops[(seed >> 8) % (sizeof(ops) / sizeof(ops[0]))];
			const char *f1 = fields[(seed >> 13) % (sizeof(fields) / sizeof(fields[0]))];
			const char *v1 = values[(seed >> 17) % (sizeof(values) / sizeof(values[0]))];
			const char *f2 = fields[(seed >> 21) % (sizeof(fields) / sizeof(fields[0]))];
			const char *v2 = values[(seed >> 25) % (sizeof(values) / sizeof(values[0]))];

			n = snprintf(line, sizeof(line), "{\"id\":%d,\"op\":\"%s\",\"%s\":%s,\"%s\":%s}\n",
				     i + 1, op, f1, v1, f2, v2);
		}
		struct json_object *r = raw_exchange(fd, line, (size_t) n);
		if (!r)
			fail_msg("no reply to request %d: %.*s", i, n - 1, line);
		json_object_put(r);
	}
	close(fd);
	/* Still serving; and what it holds is what its database holds: the configuration read
	 * live equals the one reloaded after a restart. */
	CHECK(waitpid(d->pid, NULL, WNOHANG) == 0);
	char before[65536], after[65536];
	struct json_object *r = wpd_call(d, "{\"op\":\"cluster.status\"}"), *a;
	CHECK(r && json_object_object_get_ex(r, "groups", &a));
	snprintf(before, sizeof(before), "%s", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(r);
	r = wpd_call(d, "{\"op\":\"type.list\"}");
	CHECK(r && json_object_object_get_ex(r, "types", &a));
	snprintf(before + strlen(before), sizeof(before) - strlen(before), "%s",
		 json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(r);
	CHECK(WIFEXITED(wpd_stop_daemon(d)));
	CHECK(wpd_restart(d) == 0);
	r = wpd_call(d, "{\"op\":\"cluster.status\"}");
	CHECK(r && json_object_object_get_ex(r, "groups", &a));
	snprintf(after, sizeof(after), "%s", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(r);
	r = wpd_call(d, "{\"op\":\"type.list\"}");
	CHECK(r && json_object_object_get_ex(r, "types", &a));
	snprintf(after + strlen(after), sizeof(after) - strlen(after), "%s",
		 json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(r);
	/* Group states are runtime, but the sequence is fixed by the seed and leaves nothing
	 * running (it deletes r and g along the way), so both snapshots see the same states. */
	if (strcmp(before, after) != 0)
		fail_msg("configuration differs after restart:\n%s\n%s", before, after);
}

/* A group online of more resources than a SEQPACKET socket queues: the daemon sends every
 * "online" in one handler without reading, and the monitor answers with as many events. */
static void test_large_group_online(void **state)
{
	wpd *d = *state;
	const unsigned n = 1200;
	uint64_t deadline;
	bool online = false;

	CHECK(wpd_ok(d, "{\"op\":\"group.create\",\"name\":\"big\"}") == 0);
	for (unsigned i = 0; i < n; i++)
		CHECK(wpd_ok(d, "{\"op\":\"resource.create\",\"name\":\"r%u\",\"type\":\"dummy\","
				"\"group\":\"big\"}", i) == 0);
	CHECK(wpd_ok(d, "{\"op\":\"group.online\",\"name\":\"big\"}") == 0);
	/* Poll the group (our subscription, unread during the creates, may have been told to
	 * reconnect). */
	deadline = rmc_now_us() + 60000000;
	while (!online && rmc_now_us() < deadline) {
		struct json_object *r = wpd_call(d, "{\"op\":\"group.show\",\"name\":\"big\"}"), *g;
		online = r && json_object_object_get_ex(r, "group", &g) &&
			 strcmp(ev_str(g, "state"), "Online") == 0;
		json_object_put(r);
		if (!online)
			wpd_drain(d, 50);
	}
	CHECK(online);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_empty_cluster),
		T(test_malformed_requests),
		T(test_unprivileged_client_denied),
		T(test_persistent_state_across_restart),
		T(test_kill9_during_write_burst),
		T(test_monitor_killed),
		T(test_hung_entry_point_and_separate_monitor),
		T(test_slow_subscriber_told_to_reconnect),
		T(test_fail_from_inside_a_plugin_is_refused),
		T(test_group_operations),
		T(test_fuzzed_requests),
		T(test_large_group_online),
		T(test_crashing_resource_is_isolated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
