/* SPDX-License-Identifier: MIT */
/*
 * P2: a process resource's process is SIGKILLed → the resource is Online again, through a real
 * wolfpackd with RestartDelay 0. Measured from just before kill() to the arrival of the
 * resource_state Online notification at a subscribed client (so it includes detection through
 * the pidfd, terminate, the policy decision, the new process, and the notification).
 * Usage: bench-p2-restart-latency [N kills, default 200]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resmon-client.h"
#include "wpd.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

static long read_pid(const char *path, long previous)
{
	for (int i = 0; i < 20000; i++) {
		FILE *f = fopen(path, "r");
		long pid = -1;
		if (f) {
			if (fscanf(f, "%ld", &pid) != 1)
				pid = -1;
			fclose(f);
		}
		if (pid > 0 && pid != previous)
			return pid;
		usleep(100);
	}
	return -1;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200;
	uint64_t *v = calloc(n, sizeof(*v));
	char pidfile[200];
	long pid = -1;
	wpd d;

	if (!v || wpd_start(&d, NULL) < 0) {
		fprintf(stderr, "cannot start wolfpackd\n");
		return 1;
	}
	snprintf(pidfile, sizeof(pidfile), "%s/pid", d.dir);
	if (wpd_ok(&d, "{\"op\":\"group.create\",\"name\":\"g\"}") ||
	    wpd_ok(&d, "{\"op\":\"resource.create\",\"name\":\"p\",\"type\":\"process\",\"group\":\"g\","
		       "\"params\":{\"CommandLine\":\"echo $$ > %s; exec sleep 100000\"}}", pidfile) ||
	    wpd_ok(&d, "{\"op\":\"resource.set\",\"name\":\"p\",\"properties\":{\"RestartDelay\":0,"
		       "\"RestartThreshold\":4294967295,\"RestartPeriod\":0}}") ||
	    wpd_ok(&d, "{\"op\":\"resource.online\",\"name\":\"p\"}") ||
	    !wpd_wait_state(&d, "p", "Online", 5000)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t at;
		uint64_t t0;

		pid = read_pid(pidfile, pid);
		if (pid <= 0) {
			fprintf(stderr, "no new pid after kill %zu\n", i);
			return 1;
		}
		/* Forget old events so the search below stays short. */
		for (size_t k = 0; k < d.n_events; k++)
			json_object_put(d.events[k]);
		d.n_events = 0;
		at = 0;
		t0 = rmc_now_us();
		kill((pid_t) pid, SIGKILL);
		if (!wpd_wait(&d, &at, 5000, "resource_state", "p", "state", "Failed") ||
		    !wpd_wait(&d, &at, 5000, "resource_state", "p", "state", "Online")) {
			fprintf(stderr, "resource did not come back after kill %zu\n", i);
			return 1;
		}
		v[i] = rmc_now_us() - t0;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("P2: process killed -> resource Online again (RestartDelay 0), %zu kills\n", n);
	printf("p50=%.2f ms  p99=%.2f ms  max=%.2f ms\n", v[n / 2] / 1000.0,
	       v[(n * 99) / 100] / 1000.0, v[n - 1] / 1000.0);
	wpd_cleanup(&d);
	free(v);
	return 0;
}
