/* SPDX-License-Identifier: MIT */
/*
 * The process resource type with real processes: the pidfd notices a kill at once (no
 * polling), offline stops gracefully and escalates to SIGKILL after StopTimeoutMs, exec
 * failures fail online, CurrentDirectory/Environment/StdoutPath/User apply, and a monitor that
 * dies takes its processes with it (so a restarted monitor never runs a second copy).
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "resmon-client.h"

typedef struct fixture {
	rmc c;
	char dir[64];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/wp-test-process-XXXXXX");
	if (!mkdtemp(f->dir) || chmod(f->dir, 0777) < 0 || rmc_start(&f->c, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[128];

	rmc_stop(&f->c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

#define CHECK(x) RMC_CHECK(c, x)

/* Polls for a file with an integer in it (the process writes its pid). */
static long read_number(const char *path, int timeout_ms)
{
	uint64_t deadline = rmc_now_us() + (uint64_t) timeout_ms * 1000;

	do {
		FILE *fp = fopen(path, "r");
		long v;

		if (fp) {
			int n = fscanf(fp, "%ld", &v);
			fclose(fp);
			if (n == 1)
				return v;
		}
		usleep(5000); /* waiting on a file another process writes: no event to await */
	} while (rmc_now_us() < deadline);
	return -1;
}

/* True once the process no longer runs. An orphan's zombie counts as gone: it is reparented
 * to PID 1, which need not reap it promptly (or at all, in some containers). */
static bool dead(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !p || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X';
}

static bool gone(pid_t pid, int timeout_ms)
{
	uint64_t deadline = rmc_now_us() + (uint64_t) timeout_ms * 1000;

	do {
		if (dead(pid))
			return true;
		usleep(5000);
	} while (rmc_now_us() < deadline);
	return false;
}

static size_t open_online(rmc *c, uint32_t id, const char *params, const char *expect_state)
{
	size_t at = c->n_events;

	CHECK(rmc_send(c, "{\"op\":\"open\",\"id\":%u,\"name\":\"p%u\",\"type\":\"process\","
			  "\"looks_alive_ms\":20,\"report_polls\":true,\"params\":{%s}}",
		       id, id, params) == 0);
	CHECK(rmc_wait(c, &at, 5000, "open", id, NULL, NULL));
	CHECK(rmc_send(c, "{\"op\":\"online\",\"id\":%u}", id) == 0);
	CHECK(rmc_wait(c, &at, 5000, "state", id, "state_name", expect_state));
	return at;
}

static void test_kill_is_noticed_through_the_pidfd(void **state)
{
	fixture *f = *state;
	rmc *c = &f->c;
	char params[512], pidfile[128];
	size_t at;
	long pid;

	snprintf(pidfile, sizeof(pidfile), "%s/pid", f->dir);
	snprintf(params, sizeof(params),
		 "\"CommandLine\":\"echo $$ > %s; exec sleep 100\"", pidfile);
	at = open_online(c, 1, params, "Online");
	pid = read_number(pidfile, 5000);
	CHECK(pid > 0);
	rmc_drain(c, 150);
	/* The pidfd replaces LooksAlive polling. */
	CHECK(rmc_count(c, "looks_alive", 1, NULL, NULL) == 0);

	uint64_t t_kill = rmc_now_us();
	CHECK(kill((pid_t) pid, SIGKILL) == 0);
	struct json_object *f_ev = rmc_wait(c, &at, 5000, "failure", 1, NULL, NULL);
	CHECK(f_ev);
	CHECK(strcmp(ev_str(f_ev, "source"), "event_fd") == 0);
	/* Noticed through the pidfd (no LooksAlive poll ran, checked above); the bound only
	 * rules out a stuck detection and leaves room for a stalled CI machine. */
	CHECK((uint64_t) ev_int(f_ev, "t_us") - t_kill < 1000000);
	CHECK(rmc_wait(c, &at, 5000, "terminate", 1, NULL, NULL));
	CHECK(rmc_wait(c, &at, 5000, "state", 1, "state_name", "Failed"));
	CHECK(gone((pid_t) pid, 2000));
}

static void test_offline_is_graceful_then_forceful(void **state)
{
	fixture *f = *state;
	rmc *c = &f->c;
	char params[512], pidfile[128];
	size_t at;
	long pid;

	/* A well-behaved process stops on SIGTERM. */
	snprintf(pidfile, sizeof(pidfile), "%s/pid1", f->dir);
	snprintf(params, sizeof(params),
		 "\"CommandLine\":\"echo $$ > %s; exec sleep 100\"", pidfile);
	at = open_online(c, 1, params, "Online");
	pid = read_number(pidfile, 5000);
	CHECK(pid > 0);
	CHECK(rmc_send(c, "{\"op\":\"offline\",\"id\":1}") == 0);
	CHECK(rmc_wait(c, &at, 5000, "state", 1, "state_name", "Offline"));
	CHECK(gone((pid_t) pid, 2000));
	CHECK(rmc_count(c, "failure", 1, NULL, NULL) == 0);

	/* One that ignores SIGTERM is killed after StopTimeoutMs. */
	snprintf(pidfile, sizeof(pidfile), "%s/pid2", f->dir);
	snprintf(params, sizeof(params),
		 "\"CommandLine\":\"trap '' TERM; echo $$ > %s; while :; do sleep 1; done\","
		 "\"StopTimeoutMs\":\"300\"",
		 pidfile);
	at = open_online(c, 2, params, "Online");
	pid = read_number(pidfile, 5000);
	CHECK(pid > 0);
	uint64_t t0 = rmc_now_us();
	CHECK(rmc_send(c, "{\"op\":\"offline\",\"id\":2}") == 0);
	CHECK(rmc_wait(c, &at, 5000, "state", 2, "state_name", "OfflinePending"));
	struct json_object *off = rmc_wait(c, &at, 5000, "state", 2, "state_name", "Offline");
	CHECK(off);
	CHECK((uint64_t) ev_int(off, "t_us") - t0 >= 280000);
	CHECK(gone((pid_t) pid, 2000));
}

static void test_exec_failure_fails_online(void **state)
{
	fixture *f = *state;
	rmc *c = &f->c;
	size_t at = open_online(c, 1, "\"CommandLine\":\"/nonexistent/binary --flag\"", "Failed");
	ssize_t i = rmc_find(c, 0, "failure", 1, NULL, NULL);
	struct json_object *e = i >= 0 ? c->events[i] : NULL;

	CHECK(e && strcmp(ev_str(e, "source"), "online") == 0);
	CHECK(ev_int(e, "app_error") == ENOENT);

	/* CommandLine is required. */
	at = c->n_events;
	CHECK(rmc_send(c, "{\"op\":\"open\",\"id\":2,\"name\":\"p2\",\"type\":\"process\"}") == 0);
	CHECK(rmc_wait(c, &at, 5000, "error", 0, "op", "open"));
}

static void test_directory_environment_output(void **state)
{
	fixture *f = *state;
	rmc *c = &f->c;
	char params[1024], out[128], text[256] = "";
	size_t at;

	snprintf(out, sizeof(out), "%s/out", f->dir);
	snprintf(params, sizeof(params),
		 "\"CommandLine\":\"pwd; echo $FOO-$BAR; exec sleep 100\","
		 "\"CurrentDirectory\":\"%s\",\"Environment\":\"FOO=one;BAR=two\","
		 "\"StdoutPath\":\"%s\"",
		 f->dir, out);
	at = open_online(c, 1, params, "Online");
	/* Wait for both lines. */
	uint64_t deadline = rmc_now_us() + 5000000;
	while (rmc_now_us() < deadline) {
		FILE *fp = fopen(out, "r");
		size_t n = fp ? fread(text, 1, sizeof(text) - 1, fp) : 0;
		if (fp)
			fclose(fp);
		text[n] = '\0';
		if (strstr(text, "one-two"))
			break;
		usleep(5000);
	}
	CHECK(strncmp(text, f->dir, strlen(f->dir)) == 0);
	CHECK(strstr(text, "one-two\n"));
	CHECK(rmc_send(c, "{\"op\":\"offline\",\"id\":1}") == 0);
	CHECK(rmc_wait(c, &at, 5000, "state", 1, "state_name", "Offline"));
}

static void test_user(void **state)
{
	fixture *f = *state;
	rmc *c = &f->c;
	char params[512], out[128];

	if (geteuid() != 0)
		skip(); /* needs root to switch users */
	snprintf(out, sizeof(out), "%s/uid", f->dir);
	snprintf(params, sizeof(params),
		 "\"CommandLine\":\"id -u; exec sleep 100\",\"User\":\"nobody\","
		 "\"StdoutPath\":\"%s\"",
		 out);
	open_online(c, 1, params, "Online");
	CHECK(read_number(out, 5000) == 65534);
}

static void test_monitor_death_takes_its_processes(void **state)
{
	fixture *f = *state;
	rmc *c = &f->c;
	char params[512], pidfile[128];
	long pid;

	snprintf(pidfile, sizeof(pidfile), "%s/pid", f->dir);
	snprintf(params, sizeof(params),
		 "\"CommandLine\":\"echo $$ > %s; exec sleep 100\"", pidfile);
	open_online(c, 1, params, "Online");
	pid = read_number(pidfile, 5000);
	CHECK(pid > 0);
	CHECK(kill(c->pid, SIGKILL) == 0);
	CHECK(rmc_wait_exit(c, 5000) == 0);
	CHECK(gone((pid_t) pid, 5000));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_kill_is_noticed_through_the_pidfd),
		T(test_offline_is_graceful_then_forceful),
		T(test_exec_failure_fails_online),
		T(test_directory_environment_output),
		T(test_user),
		T(test_monitor_death_takes_its_processes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
