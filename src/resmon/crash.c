/* SPDX-License-Identifier: MIT */
/*
 * When a plugin crashes the monitor, the parent should learn which instance and which entry
 * point did it, not just "signal 11". The handler formats one "crash" event by hand (only
 * async-signal-safe calls: no malloc, no stdio), sends it, and lets the signal kill us.
 */
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "resmon.h"
#include "time-util.h"

static char *put_str(char *p, char *end, const char *s)
{
	while (*s && p < end)
		*p++ = *s++;
	return p;
}

static char *put_u64(char *p, char *end, uint64_t v)
{
	char tmp[21];
	int n = 0;

	do
		tmp[n++] = (char) ('0' + v % 10);
	while ((v /= 10) && n < 20);
	while (n && p < end)
		*p++ = tmp[--n];
	return p;
}

static void on_crash(int sig, siginfo_t *si, void *uc)
{
	char buf[256], *p = buf, *end = buf + sizeof(buf);
	uint32_t id = pool_current_instance_id();

	p = put_str(p, end, "{\"event\":\"crash\",\"t_us\":");
	p = put_u64(p, end, now_us());
	if (id) {
		p = put_str(p, end, ",\"id\":");
		p = put_u64(p, end, id);
	}
	p = put_str(p, end, ",\"call\":\"");
	p = put_str(p, end, call_kind_name(pool_current_call()));
	p = put_str(p, end, "\",\"signal\":");
	p = put_u64(p, end, (uint64_t) sig);
	p = put_str(p, end, "}");
	if (rm.parent_fd >= 0)
		(void) send(rm.parent_fd, buf, (size_t) (p - buf), MSG_NOSIGNAL | MSG_DONTWAIT);
	/* SA_RESETHAND restored the default action: re-raise to die of the same signal. */
	raise(sig);
}

void crash_handler_install(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa = {
		.sa_sigaction = on_crash,
		.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER,
	};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}
