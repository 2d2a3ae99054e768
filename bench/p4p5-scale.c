/* SPDX-License-Identifier: MIT */
/*
 * P4 and P5 with N dummy resources (default 10 000) in one group, all online, at WSFC's default
 * poll intervals (LooksAlive 5 s, IsAlive 60 s):
 *   P4  CPU (user+system, % of one core) and RSS of wolfpackd + its Resource Monitors over
 *       the measuring window (default 60 s), and RSS per resource
 *   P5  `wpctl status --json` wall time (median of 11 runs), and request throughput on one
 *       connection: resource.show (read) and resource.set (committed write) per second
 * Usage: bench-p4p5-scale [N resources] [seconds]
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "resmon-client.h"
#include "wpd.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

/* utime+stime in clock ticks, and RSS in KiB, of pid. */
static int proc_usage(pid_t pid, uint64_t *ticks, uint64_t *rss_kib)
{
	char path[64], buf[4096], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	*ticks = ut + st;
	snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "VmRSS: %lu", &ut) == 1)
			*rss_kib = ut;
	fclose(f);
	return 0;
}

/* The daemon and its direct children (the monitors). */
static size_t family(pid_t daemon, pid_t *out, size_t max)
{
	DIR *dir = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	out[n++] = daemon;
	while (dir && (e = readdir(dir)) && n < max) {
		char path[64], buf[512];
		FILE *f;
		int pid = atoi(e->d_name), ppid = 0;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			char *p = strrchr(buf, ')');
			if (p)
				sscanf(p + 2, "%*c %d", &ppid);
		}
		fclose(f);
		if (ppid == daemon)
			out[n++] = pid;
	}
	if (dir)
		closedir(dir);
	return n;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned) atoi(argv[1]) : 10000;
	unsigned seconds = argc > 2 ? (unsigned) atoi(argv[2]) : 60;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t t0, t[11];
	pid_t pids[64];
	wpd d;

	if (wpd_start(&d, NULL) < 0 || wpd_ok(&d, "{\"op\":\"group.create\",\"name\":\"g\"}")) {
		fprintf(stderr, "cannot start wolfpackd\n");
		return 1;
	}
	t0 = rmc_now_us();
	for (unsigned i = 0; i < n; i++)
		if (wpd_ok(&d, "{\"op\":\"resource.create\",\"name\":\"d%u\",\"type\":\"dummy\","
			       "\"group\":\"g\"}", i)) {
			fprintf(stderr, "create %u failed\n", i);
			return 1;
		}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("created %u resources in %.1f s (%.0f creates/s, each committed)\n", n,
	       (rmc_now_us() - t0) / 1e6, n / ((rmc_now_us() - t0) / 1e6));
	t0 = rmc_now_us();
	if (wpd_ok(&d, "{\"op\":\"group.online\",\"name\":\"g\"}")) {
		fprintf(stderr, "group.online failed\n");
		return 1;
	}
	/* Poll the group's state: our event connection, unread during the creates, has been
	 * told to reconnect (as any slow subscriber is), so no group_state event will come. */
	for (;;) {
		struct json_object *r = wpd_call(&d, "{\"op\":\"group.show\",\"name\":\"g\"}"), *g;
		bool online = r && json_object_object_get_ex(r, "group", &g) &&
			      strcmp(ev_str(g, "state"), "Online") == 0;
		json_object_put(r);
		if (online)
			break;
		if (rmc_now_us() - t0 > 600 * 1000000ull) {
			fprintf(stderr, "group did not come online\n");
			return 1;
		}
		wpd_drain(&d, 100);
	}
	printf("group of %u online in %.1f s\n", n, (rmc_now_us() - t0) / 1e6);
	/* Let the start-up burst settle, then measure. */
	wpd_drain(&d, 2000);
	for (size_t k = 0; k < d.n_events; k++)
		json_object_put(d.events[k]);
	d.n_events = 0;

	size_t np = family(d.pid, pids, 64);
	uint64_t before = 0, after = 0, rss = 0;
	for (size_t i = 0; i < np; i++) {
		uint64_t tk = 0, r = 0;
		proc_usage(pids[i], &tk, &r);
		before += tk;
	}
	uint64_t w0 = rmc_now_us();
	wpd_drain(&d, (int) seconds * 1000);
	double wall = (rmc_now_us() - w0) / 1e6;
	for (size_t i = 0; i < np; i++) {
		uint64_t tk = 0, r = 0;
		proc_usage(pids[i], &tk, &r);
		after += tk;
		rss += r;
	}
	printf("P4: %u dummy resources online, default intervals, %.0f s window, %zu processes\n", n,
	       wall, np);
	printf("    CPU %.2f %% of one core; RSS %.1f MiB total, %.1f KiB per resource\n",
	       100.0 * (double) (after - before) / (double) hz / wall, rss / 1024.0,
	       (double) rss / n);

	/* P5: wpctl status --json. */
	for (int i = 0; i < 11; i++) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "%s/wpctl --socket %s status --json > /dev/null",
			 WP_TEST_BIN_DIR, d.socket);
		uint64_t s = rmc_now_us();
		if (system(cmd) != 0) {
			fprintf(stderr, "wpctl status failed\n");
			return 1;
		}
		t[i] = rmc_now_us() - s;
	}
	qsort(t, 11, sizeof(t[0]), cmp_u64);
	printf("P5: wpctl status --json with %u resources: median %.1f ms (min %.1f, max %.1f)\n", n,
	       t[5] / 1000.0, t[0] / 1000.0, t[10] / 1000.0);
	unsigned reads = 2000, writes = 500;
	uint64_t s = rmc_now_us();
	for (unsigned i = 0; i < reads; i++)
		json_object_put(wpd_call(&d, "{\"op\":\"resource.show\",\"name\":\"d%u\"}", i % n));
	double rs = reads / ((rmc_now_us() - s) / 1e6);
	s = rmc_now_us();
	for (unsigned i = 0; i < writes; i++)
		if (wpd_ok(&d, "{\"op\":\"resource.set\",\"name\":\"d%u\",\"properties\":"
			       "{\"Description\":\"bench %u\"}}", i % n, i))
			return 1;
	double ws = writes / ((rmc_now_us() - s) / 1e6);
	printf("    throughput on one connection: %.0f reads/s (resource.show), %.0f committed "
	       "writes/s (resource.set)\n", rs, ws);
	wpd_cleanup(&d);
	return 0;
}
