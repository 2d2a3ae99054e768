/* SPDX-License-Identifier: MIT */
/*
 * P3: a 3-node cluster on real Corosync in network namespaces (tests/cluster/testcluster, brought
 * up and torn down by bench/p3.sh), measured through libwolfpack against the nodes' sockets.
 *
 *  1. Node loss: a group with one process resource runs on n1; n1's corosync and wolfpackd are
 *     SIGKILLed together. Measured from just before the kills (CLOCK_MONOTONIC) to the arrival
 *     of the resource_state Online notification from the group's new owner at a client
 *     subscribed to it. Each round also reports, from the survivors' own logs, when n2's
 *     Corosync formed the new membership and when n2's wolfpackd saw n1 leave. Then n1 is
 *     started again and the group moved back to it before the next round.
 *  2. Acknowledgement latency of a configuration change: sequential group.set on n1, each
 *     timed from send to reply (the reply comes after the change is committed cluster-wide).
 *  3. Throughput of configuration changes on n1: 1 connection sequential, 1 connection with
 *     pipelined requests, and 8 connections (one thread each) sequential.
 *
 * Usage: bench-p3-cluster RUNDIR TESTCLUSTER [ROUNDS=10 [SETS=1000 [CHANGES=2000]]]
 *   RUNDIR: $TESTCLUSTER_DIR of a running 3-node test cluster; TESTCLUSTER: the script, used
 *   for start / wait-up / run (its TESTCLUSTER_* and WP_BUILD_DIR come from the environment).
 * Every wait has a deadline; any failure exits 1 with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <wolfpack/clusapi.h>

#define GROUP       "p3g"
#define RES         "p3r"
#define N_THREADS   8
#define PIPE_WINDOW 32
#define CALL_MS     10000 /* deadline of one API call */

static const char *rundir, *testcluster;

static void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("bench-p3: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static uint64_t mono_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const double *v, size_t n, double p)
{
	size_t k = (size_t) (p * (double) n + 0.999999);

	return v[k ? (k > n ? n : k) - 1 : 0];
}

static double median(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the nodes ---------------------------------------------------------------------------- */

static void node_path(char *buf, size_t size, int node, const char *file)
{
	snprintf(buf, size, "%s/n%d/%s", rundir, node, file);
}

static wp_cluster *open_node(int node)
{
	char path[512];
	wp_cluster *c;
	int r;

	node_path(path, sizeof(path), node, "wolfpack.sock");
	r = wp_cluster_open(path, &c);
	if (r < 0)
		die("cannot connect to n%d (%s): %s", node, path, strerror(-r));
	wp_cluster_set_timeout(c, CALL_MS);
	return c;
}

/* A request (printf-style JSON); dies unless the daemon says ok. */
static void __attribute__((format(printf, 2, 3))) req(wp_cluster *c, const char *fmt, ...)
{
	char buf[1024], *reply = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r = wp_cluster_call(c, buf, &reply);
	if (r < 0)
		die("%s on %s: %s (%s)", buf, wp_cluster_socket_path(c), strerror(-r),
		    wp_cluster_last_error(c) ? wp_cluster_last_error(c) : "?");
	free(reply);
}

static long read_pid(int node, const char *name)
{
	char path[512];
	long pid = -1;
	FILE *f;

	node_path(path, sizeof(path), node, name);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%ld", &pid) != 1 || pid <= 1)
		die("no pid in %s", path);
	fclose(f);
	if (kill((pid_t) pid, 0) < 0)
		die("%s: pid %ld is not running", path, pid);
	return pid;
}

/*
 * Runs argv (NULL-terminated list after out/size) with a deadline; its stdout goes to out when
 * out is not NULL (else to ours). Returns the exit status, or -1 on timeout (the command is
 * killed) or when it cannot be run.
 */
static int run_cmd(int timeout_ms, char *out, size_t size, const char *arg0, ...)
{
	const char *argv[16];
	int p[2] = { -1, -1 }, status = 0, n = 0;
	uint64_t deadline = mono_us() + (uint64_t) timeout_ms * 1000;
	size_t len = 0;
	va_list ap;
	pid_t pid;

	va_start(ap, arg0);
	for (argv[n++] = arg0; n < 15 && (argv[n] = va_arg(ap, const char *)); n++)
		;
	argv[n] = NULL;
	va_end(ap);
	if (out && pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out)
			dup2(p[1], STDOUT_FILENO);
		else
			dup2(STDERR_FILENO, STDOUT_FILENO); /* keep the figures on stdout clean */
		execvp(argv[0], (char **) argv);
		_exit(127);
	}
	if (out) {
		close(p[1]);
		out[0] = '\0';
		for (;;) {
			struct pollfd pfd = { .fd = p[0], .events = POLLIN };
			int64_t left = (int64_t) (deadline - mono_us()) / 1000;
			ssize_t k;
			char sink[256];

			if (left <= 0 || poll(&pfd, 1, (int) left) == 0)
				break;
			if (len + 1 < size)
				k = read(p[0], out + len, size - 1 - len);
			else
				k = read(p[0], sink, sizeof(sink));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			if (len + 1 < size) {
				len += (size_t) k;
				out[len] = '\0';
			}
		}
		close(p[0]);
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (w < 0 || mono_us() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fprintf(stderr, "bench-p3: '%s %s %s' did not finish within %d ms\n", argv[0],
				argv[1], argv[2] ? argv[2] : "", timeout_ms);
			return -1;
		}
		sleep_ms(10);
	}
}

/* The group's owner and state, and the resource's state, as node c sees them. */
static bool view(wp_cluster *c, int *gstate, char **owner, int *rstate)
{
	char *o = NULL;

	if (wp_group_get_state(c, GROUP, gstate, &o) < 0)
		return false;
	if (wp_resource_get_state(c, RES, rstate, NULL, NULL) < 0) {
		free(o);
		return false;
	}
	*owner = o;
	return true;
}

/* Polls c until the group and its resource are Online on node. */
static bool wait_online_on(wp_cluster *c, const char *node, int timeout_ms)
{
	uint64_t deadline = mono_us() + (uint64_t) timeout_ms * 1000;

	for (;;) {
		int gs, rs;
		char *owner = NULL;
		bool ok = view(c, &gs, &owner, &rs) && owner && !strcmp(owner, node) &&
			  gs == WP_GROUP_ONLINE && rs == WP_RESOURCE_ONLINE;

		free(owner);
		if (ok)
			return true;
		if (mono_us() >= deadline)
			return false;
		sleep_ms(10);
	}
}

static void print_views(const char *why)
{
	fprintf(stderr, "bench-p3: %s; what each node says:\n", why);
	for (int i = 1; i <= 3; i++) {
		char path[512];
		wp_cluster *c;
		int gs = -1, rs = -1;
		char *owner = NULL;

		node_path(path, sizeof(path), i, "wolfpack.sock");
		if (wp_cluster_open(path, &c) < 0) {
			fprintf(stderr, "  n%d: no connection\n", i);
			continue;
		}
		wp_cluster_set_timeout(c, 3000);
		if (view(c, &gs, &owner, &rs))
			fprintf(stderr, "  n%d: group %s owner %s, resource %s\n", i,
				wp_group_state_to_string(gs), owner ? owner : "?",
				wp_resource_state_to_string(rs));
		else
			fprintf(stderr, "  n%d: %s\n", i, wp_cluster_last_error(c));
		free(owner);
		wp_cluster_close(c);
	}
}

/* ---- log timestamps ----------------------------------------------------------------------- */

/* "2026-11-21T21:44:23.080Z" → µs since the epoch; 0 if malformed. */
static uint64_t parse_iso(const char *s)
{
	struct tm tm = { 0 };
	int ms = 0;

	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (uint64_t) timegm(&tm) * 1000000 + (uint64_t) ms * 1000;
}

/* The time (µs since the epoch) of the newest cluster log entry of c whose message contains
 * text, not before since_us; 0 if none. */
static uint64_t log_time(wp_cluster *c, const char *text, uint64_t since_us)
{
	char *reply = NULL;
	struct json_object *o, *entries;
	uint64_t found = 0;

	if (wp_cluster_call(c, "{\"op\":\"log.get\",\"limit\":60}", &reply) < 0)
		return 0;
	o = json_tokener_parse(reply);
	free(reply);
	if (o && json_object_object_get_ex(o, "entries", &entries))
		for (size_t i = 0; i < json_object_array_length(entries); i++) {
			struct json_object *e = json_object_array_get_idx(entries, i), *m, *t;
			uint64_t at;

			if (!json_object_object_get_ex(e, "message", &m) ||
			    !json_object_object_get_ex(e, "time", &t) ||
			    !strstr(json_object_get_string(m), text))
				continue;
			at = parse_iso(json_object_get_string(t));
			if (at >= since_us)
				found = at;
		}
	json_object_put(o);
	return found;
}

/* The time (µs since the epoch) of the last "Members left" line in node's corosync.log (a
 * "hires" timestamp in local time, without the year), not before since_us; 0 if none. */
static uint64_t corosync_left_time(int node, uint64_t since_us)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char path[512], line[1024], mon[4];
	uint64_t found = 0;
	time_t now = time(NULL);
	struct tm today;
	FILE *f;

	localtime_r(&now, &today);
	node_path(path, sizeof(path), node, "corosync.log");
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		struct tm tm = { 0 };
		int ms;
		const char *m;
		uint64_t at;

		if (!strstr(line, "Members left:") ||
		    sscanf(line, "%3s %d %d:%d:%d.%d", mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			   &tm.tm_sec, &ms) != 6 || !(m = strstr(months, mon)))
			continue;
		tm.tm_mon = (int) (m - months) / 3;
		tm.tm_year = today.tm_year;
		tm.tm_isdst = -1;
		at = (uint64_t) mktime(&tm) * 1000000 + (uint64_t) ms * 1000;
		if (at >= since_us)
			found = at;
	}
	fclose(f);
	return found;
}

static unsigned cmap_u32(const char *key)
{
	char out[512], *eq;

	if (run_cmd(10000, out, sizeof(out), testcluster, "run", "n2", "corosync-cmapctl", "-g", key,
		    NULL) != 0 || !(eq = strstr(out, "= ")))
		die("cannot read %s with corosync-cmapctl on n2 (output: %s)", key, out);
	return (unsigned) strtoul(eq + 2, NULL, 10);
}

/* ---- 1. node loss ------------------------------------------------------------------------- */

typedef struct round_result {
	double online_ms;   /* kill → Online event from the new owner */
	double corosync_ms; /* kill → n2's corosync logs the new membership (0: not found) */
	double wpd_ms;      /* kill → n2's wolfpackd logs that n1 left (0: not found) */
	double replica_ms;  /* kill → the other survivor's Online event (0: none) */
	int owner;          /* the new owner: 2 or 3 */
} round_result;

static void drain(wp_notify *n)
{
	wp_notification ev;
	int r;

	while ((r = wp_notify_next(n, 0, &ev)) > 0)
		;
	if (r < 0)
		die("notification connection: %s", strerror(-r));
}

static void setup_group(void)
{
	wp_cluster *c = open_node(1);
	const char *params[] = { "CommandLine=sleep 1000000", NULL };
	int r;

	req(c, "{\"op\":\"group.create\",\"name\":\"" GROUP "\"}");
	req(c, "{\"op\":\"group.set\",\"name\":\"" GROUP "\",\"properties\":"
	       "{\"PreferredOwners\":[\"n1\",\"n2\",\"n3\"]}}");
	r = wp_resource_create(c, RES, "process", GROUP, params, WP_RESOURCE_DEFAULT_MONITOR);
	if (r < 0)
		die("resource.create: %s (%s)", strerror(-r), wp_cluster_last_error(c));
	req(c, "{\"op\":\"group.online\",\"name\":\"" GROUP "\"}");
	if (!wait_online_on(c, "n1", 3000)) {
		/* Placed elsewhere at creation, before PreferredOwners was set: move it. */
		req(c, "{\"op\":\"group.move\",\"name\":\"" GROUP "\",\"node\":\"n1\"}");
		if (!wait_online_on(c, "n1", 15000)) {
			print_views("the group did not come online on n1");
			die("setup failed");
		}
	}
	wp_cluster_close(c);
}

/* n1 back in the cluster, the group back on n1, and every node agreeing. */
static void restore_n1(size_t round)
{
	wp_cluster *c;

	if (run_cmd(30000, NULL, 0, testcluster, "start", "n1", NULL) != 0)
		die("round %zu: testcluster start n1 failed", round);
	if (run_cmd(30000, NULL, 0, testcluster, "wait-up", "n1", "3", "25000", NULL) != 0)
		die("round %zu: n1 does not see 3 nodes Up after its restart", round);
	c = open_node(1);
	req(c, "{\"op\":\"group.move\",\"name\":\"" GROUP "\",\"node\":\"n1\"}");
	if (!wait_online_on(c, "n1", 20000)) {
		print_views("the group did not come back online on n1");
		die("round %zu: move back to n1 failed", round);
	}
	wp_cluster_close(c);
	for (int i = 2; i <= 3; i++) {
		c = open_node(i);
		if (!wait_online_on(c, "n1", 10000)) {
			print_views("a survivor does not see the group online on n1");
			die("round %zu: n%d's view did not converge", round, i);
		}
		wp_cluster_close(c);
	}
}

static round_result node_loss_round(size_t round, wp_notify *nt[2], wp_cluster *obs[2])
{
	round_result res = { 0 };
	uint64_t got[2] = { 0, 0 }, t0, t0_real, deadline, at;
	long cs_pid = read_pid(1, "corosync.pid"), wpd_pid = read_pid(1, "wolfpackd.pid");
	int owner_idx = -1;

	drain(nt[0]);
	drain(nt[1]);
	t0_real = clock_us(CLOCK_REALTIME);
	t0 = mono_us();
	/* Corosync first, so that the survivors see a node loss, not wolfpackd leaving its CPG
	 * group (which a live corosync would report at once). */
	if (kill((pid_t) cs_pid, SIGKILL) < 0 || kill((pid_t) wpd_pid, SIGKILL) < 0)
		die("round %zu: kill: %s", round, strerror(errno));
	deadline = t0 + 20 * 1000000ULL;
	while (owner_idx < 0 || !got[owner_idx]) {
		struct pollfd pfd[2];
		int64_t left = (int64_t) (deadline - mono_us()) / 1000;

		if (left <= 0) {
			print_views("no Online event from the new owner within 20 s of the kill");
			die("round %zu: failover did not complete", round);
		}
		for (int i = 0; i < 2; i++)
			pfd[i] = (struct pollfd){ .fd = wp_notify_fd(nt[i]), .events = POLLIN };
		if (poll(pfd, 2, (int) (left > 200 ? 200 : left)) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (int i = 0; i < 2; i++) {
			wp_notification ev;
			int r;

			while ((r = wp_notify_next(nt[i], 0, &ev)) > 0) {
				uint64_t now = mono_us();

				if (ev.filter == WP_CHANGE_CLUSTER_RECONNECT)
					die("round %zu: n%d dropped our events (reconnect)", round, i + 2);
				if (ev.filter == WP_CHANGE_RESOURCE_STATE && !strcmp(ev.name, RES) &&
				    ev.state == WP_RESOURCE_ONLINE && !got[i])
					got[i] = now;
			}
			if (r < 0)
				die("round %zu: events of n%d: %s", round, i + 2, strerror(-r));
		}
		if (owner_idx < 0 && (got[0] || got[1])) {
			/* Who owns it now, as the survivor that reported Online says. */
			int k = got[0] ? 0 : 1, gs, rs;
			char *owner = NULL;

			if (!view(obs[k], &gs, &owner, &rs) || !owner)
				die("round %zu: cannot read the group's owner from n%d", round, k + 2);
			if (!strcmp(owner, "n2"))
				owner_idx = 0;
			else if (!strcmp(owner, "n3"))
				owner_idx = 1;
			else
				die("round %zu: Online reported, but the owner is '%s'", round, owner);
			free(owner);
		}
	}
	res.online_ms = (double) (got[owner_idx] - t0) / 1000.0;
	res.owner = owner_idx + 2;
	/* The other survivor's copy of the event follows shortly; wait a little for it. */
	{
		int other = 1 - owner_idx;
		uint64_t until = mono_us() + 2000000;
		wp_notification ev;

		while (!got[other] && mono_us() < until) {
			int r = wp_notify_next(nt[other], 50, &ev);

			if (r < 0)
				break;
			if (r > 0 && ev.filter == WP_CHANGE_RESOURCE_STATE && !strcmp(ev.name, RES) &&
			    ev.state == WP_RESOURCE_ONLINE)
				got[other] = mono_us();
		}
		if (got[other])
			res.replica_ms = (double) (got[other] - t0) / 1000.0;
	}
	at = corosync_left_time(2, t0_real - 1000000);
	if (at > t0_real)
		res.corosync_ms = (double) (at - t0_real) / 1000.0;
	at = log_time(obs[0], "node n1 left the cluster", t0_real - 1000000);
	if (at > t0_real)
		res.wpd_ms = (double) (at - t0_real) / 1000.0;
	return res;
}

static void bench_node_loss(size_t rounds)
{
	round_result *rr = calloc(rounds, sizeof(*rr));
	double *v = calloc(rounds, sizeof(*v)), *cs = calloc(rounds, sizeof(*cs));
	double *wd = calloc(rounds, sizeof(*wd));
	size_t ncs = 0, nwd = 0;
	unsigned token, consensus;
	wp_notify *nt[2];
	wp_cluster *obs[2];

	if (!rr || !v || !cs || !wd)
		die("out of memory");
	token = cmap_u32("runtime.config.totem.token");
	consensus = cmap_u32("runtime.config.totem.consensus");
	setup_group();
	for (int i = 0; i < 2; i++) {
		int r;

		obs[i] = open_node(i + 2);
		r = wp_notify_open(obs[i], WP_CHANGE_RESOURCE_STATE, &nt[i]);
		if (r < 0)
			die("subscribe on n%d: %s", i + 2, strerror(-r));
	}
	printf("P3.1 node loss: SIGKILL of n1's corosync + wolfpackd -> resource Online on a survivor\n");
	printf("     (Online = the resource_state Online event from the new owner; corosync = n2's\n"
	       "      corosync.log 'Members left'; wolfpackd = n2's log 'node n1 left'; ms after kill)\n");
	for (size_t i = 0; i < rounds; i++) {
		rr[i] = node_loss_round(i + 1, nt, obs);
		printf("  round %2zu: Online %7.1f ms on n%d   (corosync %5.0f, wolfpackd %5.0f, "
		       "n%d's copy %7.1f)\n",
		       i + 1, rr[i].online_ms, rr[i].owner, rr[i].corosync_ms, rr[i].wpd_ms,
		       5 - rr[i].owner, rr[i].replica_ms);
		fflush(stdout);
		v[i] = rr[i].online_ms;
		if (rr[i].corosync_ms > 0)
			cs[ncs++] = rr[i].corosync_ms;
		if (rr[i].wpd_ms > 0)
			wd[nwd++] = rr[i].wpd_ms;
		restore_n1(i + 1);
	}
	for (int i = 0; i < 2; i++) {
		wp_notify_close(nt[i]);
		wp_cluster_close(obs[i]);
	}
	qsort(v, rounds, sizeof(*v), cmp_double);
	qsort(cs, ncs, sizeof(*cs), cmp_double);
	qsort(wd, nwd, sizeof(*wd), cmp_double);
	printf("  %zu rounds: p50=%.1f ms  p90=%.1f ms  max=%.1f ms  median=%.1f ms\n", rounds,
	       pct(v, rounds, 0.5), pct(v, rounds, 0.9), v[rounds - 1], median(v, rounds));
	if (ncs)
		printf("  median: corosync new membership %.0f ms", median(cs, ncs));
	if (nwd)
		printf("%s wolfpackd saw n1 leave %.0f ms", ncs ? "," : "  median:", median(wd, nwd));
	if (ncs || nwd)
		printf(" after the kill\n");
	printf("  Corosync runtime token=%u ms consensus=%u ms; target <= token+consensus+100 = %u ms"
	       " -> median %s\n",
	       token, consensus, token + consensus + 100,
	       median(v, rounds) <= token + consensus + 100 ? "MET" : "NOT MET");
	free(rr);
	free(v);
	free(cs);
	free(wd);
}

/* ---- 2. acknowledgement latency ----------------------------------------------------------- */

static void bench_ack(size_t n)
{
	wp_cluster *c = open_node(1);
	double *v = calloc(n, sizeof(*v));
	uint64_t start = mono_us();

	if (!v)
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		uint64_t t = mono_us();

		req(c, "{\"op\":\"group.set\",\"name\":\"" GROUP "\",\"properties\":"
		       "{\"Description\":\"x%zu\"}}", i);
		v[i] = (double) (mono_us() - t) / 1000.0;
	}
	start = mono_us() - start;
	qsort(v, n, sizeof(*v), cmp_double);
	printf("P3.2 configuration change acknowledged (group.set on n1, send -> reply), %zu changes\n",
	       n);
	printf("  p50=%.2f ms  p99=%.2f ms  max=%.2f ms  (%.0f changes/s)\n", pct(v, n, 0.5),
	       pct(v, n, 0.99), v[n - 1], (double) n * 1e6 / (double) start);
	wp_cluster_close(c);
	free(v);
}

/* ---- 3. throughput ------------------------------------------------------------------------ */

typedef struct worker {
	pthread_t thread;
	pthread_barrier_t *barrier;
	wp_cluster *c;
	int idx;
	size_t count;
} worker;

static void *worker_main(void *arg)
{
	worker *w = arg;

	pthread_barrier_wait(w->barrier);
	for (size_t i = 0; i < w->count; i++)
		req(w->c, "{\"op\":\"group.set\",\"name\":\"p3t%d\",\"properties\":"
			  "{\"Description\":\"t%zu\"}}", w->idx, i);
	return NULL;
}

/* n changes on one raw connection, up to PIPE_WINDOW requests in flight. Returns µs. */
static uint64_t pipelined(size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536];
	size_t sent = 0, done = 0, have = 0;
	uint64_t start;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	node_path(sa.sun_path, sizeof(sa.sun_path), 1, "wolfpack.sock");
	if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
		die("connect %s: %s", sa.sun_path, strerror(errno));
	start = mono_us();
	while (done < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t k;
		char *nl;

		while (sent < n && sent - done < PIPE_WINDOW) {
			char line[256];
			int len = snprintf(line, sizeof(line),
					   "{\"id\":%zu,\"op\":\"group.set\",\"name\":\"" GROUP
					   "\",\"properties\":{\"Description\":\"p%zu\"}}\n",
					   sent + 1, sent);

			if (write(fd, line, (size_t) len) != len)
				die("pipelined write: %s", strerror(errno));
			sent++;
		}
		if (poll(&pfd, 1, CALL_MS) <= 0)
			die("pipelined: no reply within %d ms (%zu of %zu done)", CALL_MS, done, n);
		k = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (k <= 0)
			die("pipelined read: %s", k ? strerror(errno) : "connection closed");
		have += (size_t) k;
		buf[have] = '\0';
		while ((nl = memchr(buf, '\n', have))) {
			*nl = '\0';
			if (!strstr(buf, "\"ok\":true"))
				die("pipelined: refused: %s", buf);
			done++;
			have -= (size_t) (nl + 1 - buf);
			memmove(buf, nl + 1, have);
		}
	}
	close(fd);
	return mono_us() - start;
}

static void bench_throughput(size_t total)
{
	wp_cluster *c = open_node(1);
	pthread_barrier_t barrier;
	worker w[N_THREADS];
	uint64_t t;
	size_t per = (total + N_THREADS - 1) / N_THREADS;

	printf("P3.3 configuration change throughput on n1 (group.set; every change committed "
	       "through Corosync)\n");
	t = mono_us();
	for (size_t i = 0; i < total; i++)
		req(c, "{\"op\":\"group.set\",\"name\":\"" GROUP "\",\"properties\":"
		       "{\"Description\":\"s%zu\"}}", i);
	t = mono_us() - t;
	printf("  1 connection, sequential:            %6.0f changes/s  (%zu changes, %.2f s)\n",
	       (double) total * 1e6 / (double) t, total, (double) t / 1e6);
	fflush(stdout);

	t = pipelined(total);
	printf("  1 connection, pipelined (window %2d): %6.0f changes/s  (%zu changes, %.2f s)\n",
	       PIPE_WINDOW, (double) total * 1e6 / (double) t, total, (double) t / 1e6);
	fflush(stdout);

	for (int i = 0; i < N_THREADS; i++)
		req(c, "{\"op\":\"group.create\",\"name\":\"p3t%d\"}", i);
	pthread_barrier_init(&barrier, NULL, N_THREADS + 1);
	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (worker){ .barrier = &barrier, .c = open_node(1), .idx = i, .count = per };
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]))
			die("pthread_create failed");
	}
	pthread_barrier_wait(&barrier);
	t = mono_us();
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(w[i].thread, NULL);
	t = mono_us() - t;
	printf("  %d connections, sequential each:      %6.0f changes/s  (%zu changes, %.2f s)\n",
	       N_THREADS, (double) (per * N_THREADS) * 1e6 / (double) t, per * N_THREADS,
	       (double) t / 1e6);
	for (int i = 0; i < N_THREADS; i++)
		wp_cluster_close(w[i].c);
	pthread_barrier_destroy(&barrier);
	wp_cluster_close(c);
}

int main(int argc, char **argv)
{
	size_t rounds, sets, changes;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-p3-cluster RUNDIR TESTCLUSTER [ROUNDS [SETS [CHANGES]]]\n"
				"(run through bench/p3.sh, which brings the 3-node cluster up)\n");
		return 2;
	}
	rundir = argv[1];
	testcluster = argv[2];
	rounds = argc > 3 ? strtoul(argv[3], NULL, 10) : 10;
	sets = argc > 4 ? strtoul(argv[4], NULL, 10) : 1000;
	changes = argc > 5 ? strtoul(argv[5], NULL, 10) : 2000;
	if (!rounds || !sets || !changes)
		die("ROUNDS, SETS and CHANGES must be positive numbers");
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	bench_node_loss(rounds);
	bench_ack(sets);
	bench_throughput(changes);
	return 0;
}
