/* SPDX-License-Identifier: MIT */
/*
 * P1: time from a resource failure to the plugin's terminate being entered, through a real
 * wp-resmon, for the three asynchronous detection paths:
 *   signal   the dummy calls SignalFailure; measured inside the plugin from just before the
 *            call to the first line of its terminate ("terminate latency_us=N")
 *   event_fd the dummy marks the instance and writes its eventfd; measured the same way
 *   process  the process resource's child is SIGKILLed; measured from just before kill() to
 *            the monitor's "terminate" event (stamped just before the entry point is called)
 * Prints p50, p99 and max per path. Usage: bench-p1-failure-latency [N per path, default 1000]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resmon-client.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("%-9s n=%-5zu p50=%6.1f us  p99=%7.1f us  max=%8.1f us\n", name, n,
	       (double) v[n / 2], (double) v[(n * 99) / 100], (double) v[n - 1]);
}

static int one_dummy(rmc *c, uint32_t id, const char *via, uint64_t *ret)
{
	size_t at = c->n_events;
	struct json_object *e;

	rmc_send(c, "{\"op\":\"open\",\"id\":%u,\"name\":\"b%u\",\"type\":\"dummy\",\"params\":"
		    "{\"FailAfterMs\":\"2\",\"FailVia\":\"%s\"}}", id, id, via);
	rmc_send(c, "{\"op\":\"online\",\"id\":%u}", id);
	for (;;) {
		e = rmc_wait(c, &at, 5000, "log", id, NULL, NULL);
		if (!e)
			return -ETIMEDOUT;
		if (strncmp(ev_str(e, "message"), "terminate latency_us=", 21) == 0)
			break;
	}
	*ret = strtoull(ev_str(e, "message") + 21, NULL, 10);
	rmc_send(c, "{\"op\":\"close\",\"id\":%u}", id);
	if (!rmc_wait(c, &at, 5000, "close", id, NULL, NULL))
		return -ETIMEDOUT;
	return 0;
}

static int one_process(rmc *c, uint32_t id, const char *pidfile, uint64_t *ret)
{
	size_t at = c->n_events;
	struct json_object *e;
	long pid = -1;
	uint64_t t0;

	unlink(pidfile);
	rmc_send(c, "{\"op\":\"open\",\"id\":%u,\"name\":\"p%u\",\"type\":\"process\",\"params\":"
		    "{\"CommandLine\":\"echo $$ > %s; exec sleep 1000\"}}", id, id, pidfile);
	rmc_send(c, "{\"op\":\"online\",\"id\":%u}", id);
	if (!rmc_wait(c, &at, 5000, "state", id, "state_name", "Online"))
		return -ETIMEDOUT;
	for (int tries = 0; pid <= 0 && tries < 5000; tries++) {
		FILE *f = fopen(pidfile, "r");
		if (f) {
			if (fscanf(f, "%ld", &pid) != 1)
				pid = -1;
			fclose(f);
		}
		if (pid <= 0)
			usleep(200);
	}
	if (pid <= 0)
		return -EIO;
	t0 = rmc_now_us();
	kill((pid_t) pid, SIGKILL);
	e = rmc_wait(c, &at, 5000, "terminate", id, NULL, NULL);
	if (!e)
		return -ETIMEDOUT;
	*ret = (uint64_t) ev_int(e, "t_us") - t0;
	rmc_send(c, "{\"op\":\"close\",\"id\":%u}", id);
	if (!rmc_wait(c, &at, 5000, "close", id, NULL, NULL))
		return -ETIMEDOUT;
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	uint64_t *v = calloc(n, sizeof(*v));
	char pidfile[] = "/tmp/wp-bench-p1-XXXXXX";
	uint32_t id = 1;
	rmc c;
	int fd;

	if (!v || n == 0 || (fd = mkstemp(pidfile)) < 0)
		return 2;
	close(fd);
	if (rmc_start(&c, NULL) < 0) {
		fprintf(stderr, "cannot start wp-resmon\n");
		return 1;
	}
	printf("P1: failure -> terminate entered, wp-resmon, %zu failures per path\n", n);
	static const char *const vias[] = { "signal", "fd" };
	for (int m = 0; m < 2; m++) {
		for (size_t i = 0; i < n; i++)
			if (one_dummy(&c, id++, vias[m], &v[i]) < 0) {
				fprintf(stderr, "%s: run %zu failed\n", vias[m], i);
				return 1;
			}
		report(m == 0 ? "signal" : "event_fd", v, n);
		/* Keep the recorded event list from growing without bound. */
		rmc_stop(&c);
		if (rmc_start(&c, NULL) < 0)
			return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (one_process(&c, id++, pidfile, &v[i]) < 0) {
			fprintf(stderr, "process: run %zu failed\n", i);
			return 1;
		}
	report("process", v, n);
	rmc_stop(&c);
	unlink(pidfile);
	free(v);
	return 0;
}
