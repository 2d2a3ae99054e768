/* SPDX-License-Identifier: MIT */
/*
 * plugins/process/process.c - the "process" resource type: WSFC's Generic Application.
 *
 * Online starts CommandLine as a child of the Resource Monitor, in its own session and process
 * group, and hands the monitor a pidfd: the pidfd turns readable when the process exits, so
 * the monitor needs no LooksAlive polling to notice a crash. Offline sends SIGTERM to the
 * group and lets a worker wait StopTimeoutMs before SIGKILL. Terminate sends SIGKILL at once.
 * Properties are described in README.md beside this file.
 *
 * Process lifetime. The started process (the leader) is watched and reaped through its pidfd
 * (waitid P_PIDFD), so its pid is never used after it could have been recycled. The
 * application is the leader's whole process group: with a shell in between (see CommandLine)
 * the leader is only the shell. The group id is the leader's pid; it names our group and no
 * other while the unreaped leader or any member is alive, and the kernel cannot hand it out
 * again before both are gone. Offline therefore reaps the leader once it has exited and then
 * waits for the rest of the group, polling kill(-pgid, 0), within the same StopTimeoutMs.
 *
 * Locking. Two mutexes per instance, taken in this order:
 *   worker_lock  serialises creating and joining the worker (online, offline, cancel,
 *                terminate); held while joining, which is safe because workers never take it;
 *   lock         guards the process (pidfd, pid, generation, pending); held only briefly,
 *                never across worker_terminate.
 * A worker owns one descriptor of its own (a duplicate of the pidfd, or the exec report
 * pipe), so terminate can close the instance's pidfd without pulling it out from under it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wolfpack/resapi.h"

#define TYPE_NAME "process"

#define DEFAULT_DIRECTORY       "/"
#define DEFAULT_OUTPUT          "/dev/null"
#define DEFAULT_STOP_TIMEOUT_MS 10000u
#define DEFAULT_PATH            "/bin:/usr/bin" /* execvp's, when PATH is unset */

/* How long online waits for the exec verdict before going pending (entry points should
 * return within 300 ms), and how often workers look at worker_check_terminate. */
#define EXEC_WAIT_MS   250
#define WORKER_TICK_MS 50
/* Polling a process group: kill(-pgid, 0) every tick, a /proc walk every few ticks; and how
 * long terminate waits for a SIGKILLed group to vanish. */
#define GROUP_TICK_MS    10
#define GROUP_SCAN_TICKS 5
#define STOP_NOW_WAIT_MS 200

/* Characters that make CommandLine a shell command rather than a plain argument list. */
#define SHELL_METACHARACTERS "|&;<>()$`\\\"'*?[]#~=%{}\n"
#define BLANKS               " \t"

/* glibc 2.36 declares neither pidfd_open nor pidfd_send_signal on every distribution, and
 * names P_PIDFD only since 2.36: use the raw numbers, which the kernel fixes. */
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1u << 2)
#endif
#define IDTYPE_PIDFD ((idtype_t) 3)

/* 32-bit architectures keep 16-bit ids behind the plain names. */
#ifdef SYS_setgroups32
#define SYS_SETGROUPS SYS_setgroups32
#define SYS_SETRESGID SYS_setresgid32
#define SYS_SETRESUID SYS_setresuid32
#else
#define SYS_SETGROUPS SYS_setgroups
#define SYS_SETRESGID SYS_setresgid
#define SYS_SETRESUID SYS_setresuid
#endif

static const wp_resource_callbacks *callbacks;

#define log_event(p, level, ...) callbacks->log_event((p)->handle, (level), __VA_ARGS__)

typedef struct process {
	wp_resource_handle handle;

	/* Configuration, fixed at open. argv and environment point into their _buf. */
	char *command_line;
	char **argv;
	char *argv_buf;
	char **environment; /* extra "NAME=VALUE" entries, NULL-terminated */
	char *environment_buf;
	char *directory;
	char *user, *group; /* NULL = unchanged */
	char *stdout_path, *stderr_path;
	uint32_t stop_timeout_ms;

	pthread_mutex_t worker_lock;
	wp_worker worker;
	bool worker_live; /* created and not joined yet */

	pthread_mutex_t lock;
	int pidfd;           /* the leader until it is reaped, or -1 */
	pid_t pid;           /* the leader's pid, while pidfd >= 0 */
	pid_t pgid;          /* its process group until seen empty or killed, or 0 */
	bool grouped;        /* the leader has called setsid(): pgid holds it too */
	unsigned generation; /* bumped by terminate: an online straddling it starts nothing */
	bool pending;        /* a worker is finishing an online or offline */
	int worker_fd;       /* descriptor handed to the next worker, which closes it */
	unsigned worker_generation; /* generation the worker was started in */
} process;

/* ---- small helpers ------------------------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Strict decimal: digits only, no sign, no blanks, fits in max. */
static int parse_u32(const char *s, uint32_t max, uint32_t *ret)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned) (*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*ret = (uint32_t) v;
	return 0;
}

static bool pidfd_exited(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	/* Readable (or unusable) means the process has exited. */
	return poll(&pfd, 1, 0) != 0;
}

/* Signals the leader and its group. Called with p->lock held. Once the leader is known to be
 * in its group, the group alone is signalled: sending through the pidfd as well would deliver
 * SIGTERM twice to the leader, which many programs take as "stop now, no cleanup". */
static void signal_group(process *p, int sig)
{
	if (p->pidfd >= 0 && !p->grouped)
		(void) syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0);
	if (p->pgid > 0)
		(void) kill(-p->pgid, sig); /* ESRCH if the child died before setsid() */
}

/* Whether a process of group pgid is still running. kill(-pgid, 0) counts zombies, and the
 * group's orphans that died stay zombies until their new parent (init, or a subreaper) gets
 * round to reaping them, which some inits do only every few seconds: ask /proc to tell. */
static bool group_running(pid_t pgid)
{
	struct dirent *de;
	bool running = false;
	DIR *dir;

	dir = opendir("/proc"); /* O_CLOEXEC, as glibc opens directories */
	if (!dir)
		return true; /* cannot tell: count zombies as running */
	while (!running && (de = readdir(dir))) {
		char path[sizeof(de->d_name) + 8], buf[512], state = 0, *end;
		int fd, pgrp = 0;
		ssize_t n;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/stat", de->d_name);
		fd = openat(dirfd(dir), path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* "pid (comm) state ppid pgrp ...", and comm may hold anything, ')' included. */
		end = strrchr(buf, ')');
		if (end && sscanf(end + 1, " %c %*d %d", &state, &pgrp) == 2)
			running = pgrp == pgid && state != 'Z' && state != 'X';
	}
	closedir(dir);
	return running;
}

/* Whether nothing is left of the group; scan: look past zombies (costs a walk of /proc).
 * Called with p->lock held, after the leader was reaped (an unreaped leader counts). */
static bool group_gone(process *p, bool scan)
{
	if (p->pgid > 0 && ((kill(-p->pgid, 0) < 0 && errno == ESRCH) ||
			    (scan && !group_running(p->pgid))))
		p->pgid = 0;
	return p->pgid == 0;
}

/* Reaps the exited (or SIGKILLed) process behind pidfd, waiting if needed, and logs how it
 * ended. Does not close pidfd. */
static void reap(process *p, int pidfd, pid_t pid, bool log_status)
{
	const char *abbrev;
	siginfo_t si;
	int r;

	memset(&si, 0, sizeof(si));
	do
		r = waitid(IDTYPE_PIDFD, (id_t) pidfd, &si, WEXITED);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		/* ECHILD: someone reaped it for us (SIGCHLD set to SIG_IGN in the monitor?). */
		log_event(p, WP_LOG_WARNING, "cannot reap process %d: %s", (int) pid,
			  strerror(errno));
		return;
	}
	if (!log_status)
		return;
	abbrev = sigabbrev_np(si.si_status);
	if (si.si_code == CLD_EXITED)
		log_event(p, WP_LOG_INFORMATION, "process %d exited with status %d", (int) pid,
			  si.si_status);
	else
		log_event(p, WP_LOG_INFORMATION, "process %d killed by signal %d (SIG%s)",
			  (int) pid, si.si_status, abbrev ? abbrev : "?");
}

/* Reaps the leader, which has exited or been sent SIGKILL, and closes its pidfd. Blocks until
 * the kernel has torn it down. Takes p->lock; a no-op if someone else reaped it. */
static void reap_leader(process *p, bool log_status)
{
	int pidfd;
	pid_t pid;

	pthread_mutex_lock(&p->lock);
	pidfd = p->pidfd;
	pid = p->pid;
	p->pidfd = -1;
	p->pid = 0;
	pthread_mutex_unlock(&p->lock);
	if (pidfd < 0)
		return;
	reap(p, pidfd, pid, log_status);
	close(pidfd);
}

/* SIGKILL to the leader and its group, reap the leader, give the group a moment to vanish.
 * Takes p->lock; a no-op without a process. */
static void stop_now(process *p, bool log_status)
{
	pid_t pgid;
	bool gone = false;

	pthread_mutex_lock(&p->lock);
	signal_group(p, SIGKILL);
	pthread_mutex_unlock(&p->lock);
	reap_leader(p, log_status);
	for (int i = 0; i < STOP_NOW_WAIT_MS / GROUP_TICK_MS; i++) {
		pthread_mutex_lock(&p->lock);
		pgid = p->pgid;
		gone = group_gone(p, i % GROUP_SCAN_TICKS == GROUP_SCAN_TICKS - 1);
		pthread_mutex_unlock(&p->lock);
		if (gone)
			return;
		usleep(GROUP_TICK_MS * 1000);
	}
	/* Stuck in the kernel (uninterruptible sleep): it dies when it wakes up. */
	log_event(p, WP_LOG_WARNING,
		  "process group %d still there %d ms after SIGKILL, no longer watching it",
		  (int) pgid, STOP_NOW_WAIT_MS);
	pthread_mutex_lock(&p->lock);
	p->pgid = 0;
	pthread_mutex_unlock(&p->lock);
}

/* Joins the worker of the previous online/offline, if any. Called with worker_lock held. */
static void join_worker(process *p)
{
	if (!p->worker_live)
		return;
	callbacks->worker_terminate(&p->worker);
	p->worker_live = false;
	pthread_mutex_lock(&p->lock);
	p->pending = false;
	close_fd(&p->worker_fd); /* handed over but never picked up */
	pthread_mutex_unlock(&p->lock);
}

/* Starts fn on the instance's worker with fd as its own descriptor (closed by the worker,
 * or here on failure). Called with worker_lock and lock held. */
static int start_worker(process *p, wp_worker_fn fn, int fd)
{
	int r;

	p->worker_fd = fd;
	p->worker_generation = p->generation;
	p->pending = true;
	memset(&p->worker, 0, sizeof(p->worker));
	r = callbacks->worker_create(&p->worker, fn, p);
	if (r < 0) {
		p->pending = false;
		close_fd(&p->worker_fd);
		return r;
	}
	p->worker_live = true;
	return 0;
}

static int take_worker_fd(process *p)
{
	int fd;

	pthread_mutex_lock(&p->lock);
	fd = p->worker_fd;
	p->worker_fd = -1;
	pthread_mutex_unlock(&p->lock);
	return fd;
}

static void report_state(process *p, wp_resource_state state, uint32_t checkpoint, int event_fd,
			 uint32_t app_error)
{
	wp_resource_status st;

	wp_resource_status_init(&st);
	st.state = state;
	st.checkpoint = checkpoint;
	st.event_fd = event_fd;
	st.app_error = app_error;
	/* WP_EXIT_STATE_TERMINATE needs nothing from us: terminate is on its way. */
	(void) callbacks->set_resource_status_ex(p->handle, &st);
}

/* ---- the child ----------------------------------------------------------------------------- */

/* Where the child stopped, sent to the parent over the exec report pipe. */
enum {
	STAGE_SETUP,
	STAGE_CHDIR,
	STAGE_STDIN,
	STAGE_STDOUT,
	STAGE_STDERR,
	STAGE_GROUPS,
	STAGE_GID,
	STAGE_UID,
	STAGE_EXEC,
};

typedef struct child_report {
	int32_t stage;
	int32_t error;
} child_report;

/* Everything the child needs, prepared by the parent: between clone and exec the child may
 * only make system calls (no malloc, no NSS, no locks another thread may hold). */
typedef struct spawn {
	char *const *argv;   /* borrowed from the instance */
	char **envp;         /* owned array of borrowed strings */
	char **exec_paths;   /* owned: where to look for argv[0], in order */
	const char *directory, *stdout_path, *stderr_path;
	bool set_uid, set_gid, set_groups;
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* owned */
	size_t n_groups;
	pid_t parent;
	int report_fd;
} spawn;

static _Noreturn void child_fail(int report_fd, int stage, int error)
{
	child_report rep = { .stage = stage, .error = error };

	if (report_fd >= 0)
		(void) !write(report_fd, &rep, sizeof(rep));
	_exit(127);
}

/* Opens path onto descriptor target, inheritable. Lower descriptors are already taken, so
 * open() never lands below target. */
static int child_redirect(int target, const char *path, int flags)
{
	int fd = open(path, flags | O_NOCTTY, 0666);

	if (fd < 0)
		return -1;
	if (fd != target) {
		if (dup2(fd, target) < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static bool exec_error_is_final(int error)
{
	/* execvp's rule: these mean "not here", keep looking along PATH. */
	return error != ENOENT && error != ENOTDIR && error != ESTALE && error != ENODEV &&
	       error != ETIMEDOUT && error != EACCES;
}

static _Noreturn void child_main(const spawn *s)
{
	struct sigaction dfl;
	sigset_t none;
	int report_fd = s->report_fd, error = ENOENT;
	bool eacces = false;

	/* Handlers first, while every signal is still blocked (the parent blocked them around
	 * clone): no monitor handler may run in here. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		(void) sigaction(sig, &dfl, NULL); /* EINVAL for KILL, STOP, libc's own */

	/* Its own session and process group, so offline can signal the whole application. */
	if (setsid() < 0)
		child_fail(report_fd, STAGE_SETUP, errno);
	/* Die with the monitor. The death signal fires when the thread that cloned us exits:
	 * the monitor calls online on pool threads that never exit. If the monitor died before
	 * prctl, we were reparented already: give up. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(report_fd, STAGE_SETUP, errno);
	if (getppid() != s->parent)
		_exit(127);

	/* Keep the report pipe off 0-2 (a monitor started with them closed got them as its
	 * own descriptors), and leave nothing the monitor leaked to the application. */
	if (report_fd < 3)
		report_fd = fcntl(report_fd, F_DUPFD_CLOEXEC, 3);
#ifdef SYS_close_range
	(void) syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
#endif

	/* chdir first: relative StdoutPath/StderrPath are relative to CurrentDirectory. Files
	 * are opened before dropping privileges, as the monitor's user (like systemd does). */
	if (chdir(s->directory) < 0)
		child_fail(report_fd, STAGE_CHDIR, errno);
	if (child_redirect(0, "/dev/null", O_RDONLY) < 0)
		child_fail(report_fd, STAGE_STDIN, errno);
	if (child_redirect(1, s->stdout_path, O_WRONLY | O_CREAT | O_APPEND) < 0)
		child_fail(report_fd, STAGE_STDOUT, errno);
	if (child_redirect(2, s->stderr_path, O_WRONLY | O_CREAT | O_APPEND) < 0)
		child_fail(report_fd, STAGE_STDERR, errno);

	/* Raw system calls: libc's wrappers would try to synchronise the monitor's other
	 * threads, which do not exist in here. Groups, then gid, then uid (after which we could
	 * not change the others any more). */
	if (s->set_groups && syscall(SYS_SETGROUPS, s->n_groups, s->groups) < 0)
		child_fail(report_fd, STAGE_GROUPS, errno);
	if (s->set_gid && syscall(SYS_SETRESGID, s->gid, s->gid, s->gid) < 0)
		child_fail(report_fd, STAGE_GID, errno);
	if (s->set_uid && syscall(SYS_SETRESUID, s->uid, s->uid, s->uid) < 0)
		child_fail(report_fd, STAGE_UID, errno);

	sigemptyset(&none);
	(void) sigprocmask(SIG_SETMASK, &none, NULL);
	for (char **path = s->exec_paths; *path; path++) {
		execve(*path, s->argv, s->envp);
		error = errno;
		if (error == EACCES)
			eacces = true;
		if (exec_error_is_final(error))
			break;
	}
	child_fail(report_fd, STAGE_EXEC, eacces && !exec_error_is_final(error) ? EACCES : error);
}

/* ---- the parent side of starting ----------------------------------------------------------- */

static void spawn_free(spawn *s)
{
	free(s->envp);
	for (char **path = s->exec_paths; path && *path; path++)
		free(*path);
	free(s->exec_paths);
	free(s->groups);
	memset(s, 0, sizeof(*s));
}

static bool env_has_name(char *const *list, const char *entry)
{
	size_t n = strcspn(entry, "=");

	for (; list && *list; list++)
		if (strncmp(*list, entry, n) == 0 && (*list)[n] == '=')
			return true;
	return false;
}

/* The monitor's environment with Environment's entries added, later ones winning. */
static int build_envp(process *p, spawn *s)
{
	size_t n = 0, k = 0;

	for (char **e = environ; e && *e; e++)
		n++;
	for (char **e = p->environment; e && *e; e++)
		n++;
	s->envp = calloc(n + 1, sizeof(char *));
	if (!s->envp)
		return -ENOMEM;
	for (char **e = environ; e && *e; e++)
		if (!env_has_name(p->environment, *e))
			s->envp[k++] = *e;
	for (char **e = p->environment; e && *e; e++)
		if (!env_has_name(e + 1, *e))
			s->envp[k++] = *e;
	return 0;
}

/* Where execvp would look for argv[0], given the child's PATH. */
static int build_exec_paths(spawn *s)
{
	const char *file = s->argv[0], *path = DEFAULT_PATH;
	size_t n = 1, k = 0;

	if (strchr(file, '/')) {
		s->exec_paths = calloc(2, sizeof(char *));
		if (!s->exec_paths || !(s->exec_paths[0] = strdup(file)))
			return -ENOMEM;
		return 0;
	}
	for (char **e = s->envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0) {
			path = *e + 5;
			break;
		}
	for (const char *c = path; *c; c++)
		n += *c == ':';
	s->exec_paths = calloc(n + 1, sizeof(char *));
	if (!s->exec_paths)
		return -ENOMEM;
	for (const char *dir = path;; dir++) {
		size_t len = strcspn(dir, ":");
		char *full;

		/* An empty element is the current directory, as for execvp. */
		if (len == 0)
			full = strdup(file);
		else if (asprintf(&full, "%.*s/%s", (int) len, dir, file) < 0)
			full = NULL;
		if (!full)
			return -ENOMEM;
		s->exec_paths[k++] = full;
		dir += len;
		if (!*dir)
			break;
	}
	return 0;
}

/* getpwnam_r and friends want a buffer of unknown size: grow until it fits. */
static int lookup_user(const char *user, uid_t *ret_uid, gid_t *ret_gid, char **ret_name)
{
	struct passwd pw, *found = NULL;
	size_t size = 1024;
	uint32_t id;
	bool numeric = parse_u32(user, UINT32_MAX - 1, &id) == 0;
	char *buf = NULL;
	int r;

	do {
		char *bigger = realloc(buf, size *= 4);

		if (!bigger) {
			free(buf);
			return -ENOMEM;
		}
		buf = bigger;
		r = numeric ? getpwuid_r((uid_t) id, &pw, buf, size, &found)
			    : getpwnam_r(user, &pw, buf, size, &found);
	} while (r == ERANGE && size < (1u << 20));
	if (r != 0 || !found) {
		free(buf);
		if (!numeric)
			return r != 0 ? -r : -ENOENT;
		/* A uid without a passwd entry is legal; Group must then say the gid. */
		*ret_uid = (uid_t) id;
		*ret_gid = (gid_t) -1;
		*ret_name = NULL;
		return 0;
	}
	*ret_uid = pw.pw_uid;
	*ret_gid = pw.pw_gid;
	*ret_name = strdup(pw.pw_name);
	free(buf);
	return *ret_name ? 0 : -ENOMEM;
}

static int lookup_group(const char *group, gid_t *ret_gid)
{
	struct group gr, *found = NULL;
	size_t size = 1024;
	uint32_t id;
	char *buf = NULL;
	int r;

	if (parse_u32(group, UINT32_MAX - 1, &id) == 0) {
		*ret_gid = (gid_t) id;
		return 0;
	}
	do {
		char *bigger = realloc(buf, size *= 4);

		if (!bigger) {
			free(buf);
			return -ENOMEM;
		}
		buf = bigger;
		r = getgrnam_r(group, &gr, buf, size, &found);
	} while (r == ERANGE && size < (1u << 20));
	if (r == 0 && found)
		*ret_gid = gr.gr_gid;
	free(buf);
	return r != 0 ? -r : found ? 0 : -ENOENT;
}

/* User and Group into ids. Only what differs from the monitor's own credentials changes. */
static int resolve_credentials(process *p, spawn *s)
{
	char *name = NULL;
	gid_t user_gid = (gid_t) -1, group_gid = (gid_t) -1;
	int r, n;

	if (p->group) {
		r = lookup_group(p->group, &group_gid);
		if (r < 0) {
			log_event(p, WP_LOG_ERROR, "cannot resolve Group '%s': %s", p->group,
				  strerror(-r));
			return r;
		}
	}
	if (p->user) {
		r = lookup_user(p->user, &s->uid, &user_gid, &name);
		if (r < 0) {
			log_event(p, WP_LOG_ERROR, "cannot resolve User '%s': %s", p->user,
				  strerror(-r));
			return r;
		}
	}

	if (p->user && s->uid != geteuid()) {
		s->set_uid = s->set_gid = s->set_groups = true;
		s->gid = p->group ? group_gid : user_gid;
		if (s->gid == (gid_t) -1) {
			log_event(p, WP_LOG_ERROR,
				  "User '%s' has no passwd entry: set Group as well", p->user);
			return -EINVAL;
		}
		/* initgroups(), done here: NSS may not run in the child. */
		if (!name) {
			s->groups = malloc(sizeof(gid_t));
			if (!s->groups)
				return -ENOMEM;
			s->groups[0] = s->gid;
			s->n_groups = 1;
			return 0;
		}
		for (n = 32;;) {
			gid_t *bigger = realloc(s->groups, (size_t) n * sizeof(gid_t));
			int want = n;

			if (!bigger) {
				free(name);
				return -ENOMEM;
			}
			s->groups = bigger;
			if (getgrouplist(name, s->gid, s->groups, &want) >= 0) {
				s->n_groups = (size_t) want;
				break;
			}
			n = want > n ? want : n * 2;
		}
		free(name);
		return 0;
	}
	free(name);
	if (p->group && group_gid != getegid()) {
		s->set_gid = true;
		s->gid = group_gid;
	}
	return 0;
}

/* Everything that may allocate, look up users or take time, done before any lock. */
static int spawn_prepare(process *p, spawn *s)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->argv = p->argv;
	s->directory = p->directory;
	s->stdout_path = p->stdout_path;
	s->stderr_path = p->stderr_path;
	s->report_fd = -1;
	r = build_envp(p, s);
	if (r >= 0)
		r = build_exec_paths(s);
	if (r < 0) {
		log_event(p, WP_LOG_ERROR, "cannot prepare the process: %s", strerror(-r));
		return r;
	}
	return resolve_credentials(p, s);
}

/* clone3 with CLONE_PIDFD: the child and its pidfd in one step. Returns like fork(). */
static pid_t clone_pidfd(int *ret_pidfd)
{
	pid_t pid;
	int fd, error;

#ifdef SYS_clone3
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args = {
		.flags = CLONE_PIDFD,
		.pidfd = (uint64_t) (uintptr_t) ret_pidfd,
		.exit_signal = SIGCHLD,
	};

	pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
	if (pid >= 0 || errno != ENOSYS)
		return pid;
#endif
	/* clone3 filtered (some seccomp profiles answer ENOSYS): fork, then pidfd_open. The
	 * child cannot be reaped in between, as nobody else waits for our children. */
	pid = fork();
	if (pid <= 0)
		return pid;
	fd = (int) syscall(SYS_pidfd_open, pid, 0); /* always O_CLOEXEC */
	if (fd < 0) {
		error = errno;
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = error;
		return -1;
	}
	*ret_pidfd = fd;
	return pid;
}

/* Starts the child. Called with p->lock held. On success the process is p's and
 * *ret_report_fd is the read end of the exec report pipe (the caller closes it). */
static int spawn_start(process *p, spawn *s, int *ret_report_fd)
{
	sigset_t all, old;
	int pipefd[2], pidfd = -1, error;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	s->report_fd = pipefd[1];
	s->parent = getpid();
	/* Blocked across clone, so no signal reaches a monitor handler inside the child before
	 * it has reset them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone_pidfd(&pidfd);
	if (pid == 0)
		child_main(s);
	error = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(pipefd[1]);
	s->report_fd = -1;
	if (pid < 0) {
		close(pipefd[0]);
		return -error;
	}
	p->pidfd = pidfd;
	p->pid = p->pgid = pid;
	p->grouped = false; /* until the exec report says setsid() is behind it */
	*ret_report_fd = pipefd[0];
	return 0;
}

/* Waits up to timeout_ms for the child's verdict: 0 = it exec'ed (EOF), 1 = *ret holds why
 * it could not, -ETIMEDOUT, or -errno. */
static int read_report(int fd, int timeout_ms, child_report *ret)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

	r = poll(&pfd, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? -ETIMEDOUT : -errno;
	if (r == 0)
		return -ETIMEDOUT;
	do
		n = read(fd, ret, sizeof(*ret));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	if (n != sizeof(*ret) || ret->error <= 0) {
		ret->stage = STAGE_SETUP;
		ret->error = EIO;
	}
	return 1;
}

static void log_start_failure(process *p, const child_report *rep)
{
	const char *e = strerror(rep->error);

	switch (rep->stage) {
	case STAGE_CHDIR:
		log_event(p, WP_LOG_ERROR, "cannot change to CurrentDirectory '%s': %s",
			  p->directory, e);
		break;
	case STAGE_STDIN:
		log_event(p, WP_LOG_ERROR, "cannot open /dev/null: %s", e);
		break;
	case STAGE_STDOUT:
		log_event(p, WP_LOG_ERROR, "cannot open StdoutPath '%s': %s", p->stdout_path, e);
		break;
	case STAGE_STDERR:
		log_event(p, WP_LOG_ERROR, "cannot open StderrPath '%s': %s", p->stderr_path, e);
		break;
	case STAGE_GROUPS:
		log_event(p, WP_LOG_ERROR, "cannot set the supplementary groups of User '%s': %s",
			  p->user, e);
		break;
	case STAGE_GID:
		log_event(p, WP_LOG_ERROR, "cannot switch to the group of %s '%s': %s",
			  p->group ? "Group" : "User", p->group ? p->group : p->user, e);
		break;
	case STAGE_UID:
		log_event(p, WP_LOG_ERROR, "cannot switch to User '%s': %s", p->user, e);
		break;
	case STAGE_EXEC:
		log_event(p, WP_LOG_ERROR, "cannot exec '%s': %s", p->argv[0], e);
		break;
	default:
		log_event(p, WP_LOG_ERROR, "cannot set up the process: %s", e);
		break;
	}
}

/* ---- workers ------------------------------------------------------------------------------- */

/* Waits for the process behind pidfd to exit, for at most timeout_ms (UINT64_MAX: no limit),
 * looking every WORKER_TICK_MS whether the worker must stop. 1 = exited, 0 = still running
 * at the deadline, -ECANCELED = asked to stop, or -errno. */
static int wait_exit(wp_worker *w, int pidfd, uint64_t timeout_ms)
{
	uint64_t start = now_ms();

	for (;;) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		uint64_t elapsed = now_ms() - start;
		uint64_t left = elapsed >= timeout_ms ? 0 : timeout_ms - elapsed;
		int r;

		if (callbacks->worker_check_terminate(w))
			return -ECANCELED;
		r = poll(&pfd, 1, left < WORKER_TICK_MS ? (int) left : WORKER_TICK_MS);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (left == 0)
			return 0;
	}
}

/* Waits for the rest of the leader's group to exit, like wait_exit (the leader is reaped). */
static int wait_group(wp_worker *w, process *p, uint64_t timeout_ms)
{
	uint64_t start = now_ms();
	bool gone;

	/* Nothing to wait on but kill(-pgid, 0) and /proc: poll, the cheap one more often. */
	for (unsigned i = 0;; i++) {
		if (callbacks->worker_check_terminate(w))
			return -ECANCELED;
		pthread_mutex_lock(&p->lock);
		gone = group_gone(p, i % GROUP_SCAN_TICKS == GROUP_SCAN_TICKS - 1);
		pthread_mutex_unlock(&p->lock);
		if (gone)
			return 1;
		if (now_ms() - start >= timeout_ms)
			return 0;
		usleep(GROUP_TICK_MS * 1000);
	}
}

/* SIGKILL for what is left after the grace period. */
static void kill_late(process *p, const char *what)
{
	pthread_mutex_lock(&p->lock);
	if (p->pidfd >= 0 || p->pgid > 0) {
		log_event(p, WP_LOG_WARNING, "%s %d still running %" PRIu32
			  " ms after SIGTERM, sending SIGKILL", what,
			  (int) (p->pidfd >= 0 ? p->pid : p->pgid), p->stop_timeout_ms);
		signal_group(p, SIGKILL);
	}
	pthread_mutex_unlock(&p->lock);
}

/* Offline after SIGTERM: the grace period for the leader, then for the rest of its group,
 * SIGKILL for whatever outlives it, report Offline. */
static int offline_worker(wp_worker *w, void *userdata)
{
	process *p = userdata;
	int fd = take_worker_fd(p), r;
	uint64_t start = now_ms(), elapsed, left;
	bool killed = false;

	r = wait_exit(w, fd, p->stop_timeout_ms);
	if (r == 0) {
		kill_late(p, "process");
		killed = true;
		r = wait_exit(w, fd, UINT64_MAX);
	}
	close(fd);
	if (r < 0)
		return r; /* terminate or cancel took over */
	reap_leader(p, true);

	elapsed = now_ms() - start;
	left = killed || elapsed >= p->stop_timeout_ms ? 0 : p->stop_timeout_ms - elapsed;
	r = wait_group(w, p, left);
	if (r == 0) {
		if (!killed)
			kill_late(p, "process group");
		r = wait_group(w, p, UINT64_MAX);
	}
	if (r < 0)
		return r;

	pthread_mutex_lock(&p->lock);
	p->pending = false;
	pthread_mutex_unlock(&p->lock);
	report_state(p, WP_RESOURCE_OFFLINE, 2, -1, 0);
	return 0;
}

/* Online that did not get the exec verdict within EXEC_WAIT_MS. */
static int online_worker(wp_worker *w, void *userdata)
{
	process *p = userdata;
	int fd = take_worker_fd(p), r;
	child_report rep;

	do {
		if (callbacks->worker_check_terminate(w)) {
			close(fd);
			return -ECANCELED;
		}
		r = read_report(fd, WORKER_TICK_MS, &rep);
	} while (r == -ETIMEDOUT);
	close(fd);

	if (r == 0) {
		pthread_mutex_lock(&p->lock);
		/* EOF also when terminate killed the child: then there is nothing to report. */
		if (p->pidfd >= 0 && p->generation == p->worker_generation) {
			p->grouped = true;
			log_event(p, WP_LOG_INFORMATION, "process %d started: %s", (int) p->pid,
				  p->command_line);
			p->pending = false;
			/* Under the lock: the descriptor cannot be closed before the monitor has
			 * it (a terminate from now on makes the report a no-op). */
			report_state(p, WP_RESOURCE_ONLINE, 2, p->pidfd, 0);
		}
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	if (r > 0)
		log_start_failure(p, &rep);
	else
		log_event(p, WP_LOG_ERROR, "cannot read the exec report: %s", strerror(-r));
	stop_now(p, false);
	pthread_mutex_lock(&p->lock);
	p->pending = false;
	pthread_mutex_unlock(&p->lock);
	report_state(p, WP_RESOURCE_FAILED, 2, -1, (uint32_t) (r > 0 ? rep.error : -r));
	return 0;
}

/* ---- entry points -------------------------------------------------------------------------- */

static void process_free(process *p)
{
	if (!p)
		return;
	free(p->command_line);
	free(p->argv);
	free(p->argv_buf);
	free(p->environment);
	free(p->environment_buf);
	free(p->directory);
	free(p->user);
	free(p->group);
	free(p->stdout_path);
	free(p->stderr_path);
	free(p);
}

/* CommandLine into argv: blanks split it, unless it needs a shell. */
static int parse_command_line(process *p, const char *value)
{
	size_t n = 0;

	if (!value || !value[strspn(value, BLANKS)]) {
		log_event(p, WP_LOG_ERROR, "CommandLine is required");
		return -EINVAL;
	}
	p->command_line = strdup(value);
	if (!p->command_line)
		return -ENOMEM;
	if (strpbrk(value, SHELL_METACHARACTERS)) {
		p->argv = calloc(4, sizeof(char *));
		if (!p->argv)
			return -ENOMEM;
		p->argv[0] = (char *) "/bin/sh";
		p->argv[1] = (char *) "-c";
		p->argv[2] = p->command_line;
		return 0;
	}
	p->argv_buf = strdup(value);
	p->argv = calloc(strlen(value) / 2 + 2, sizeof(char *)); /* at most that many words */
	if (!p->argv_buf || !p->argv)
		return -ENOMEM;
	for (char *save = NULL, *word = strtok_r(p->argv_buf, BLANKS, &save); word;
	     word = strtok_r(NULL, BLANKS, &save))
		p->argv[n++] = word;
	return 0;
}

/* Environment: NAME=VALUE entries separated by newlines or ';', blanks around them ignored. */
static int parse_environment(process *p, const char *value)
{
	size_t n = 0;

	if (!value)
		return 0;
	p->environment_buf = strdup(value);
	p->environment = calloc(strlen(value) / 2 + 2, sizeof(char *));
	if (!p->environment_buf || !p->environment)
		return -ENOMEM;
	for (char *save = NULL, *e = strtok_r(p->environment_buf, "\n;", &save); e;
	     e = strtok_r(NULL, "\n;", &save)) {
		char *end;
		size_t name_len;

		e += strspn(e, BLANKS "\r");
		end = e + strlen(e);
		while (end > e && strchr(BLANKS "\r", end[-1]))
			*--end = '\0';
		if (!*e)
			continue;
		name_len = strcspn(e, "=");
		if (name_len == 0 || !e[name_len] || strcspn(e, BLANKS) < name_len) {
			log_event(p, WP_LOG_ERROR, "Environment entry '%s' is not NAME=VALUE", e);
			return -EINVAL;
		}
		p->environment[n++] = e;
	}
	return 0;
}

/* A string property, or fallback (NULL: leave *ret NULL) when it is missing or empty. */
static int copy_property(const char *const *params, const char *key, const char *fallback,
			 char **ret)
{
	const char *value = wp_param_get(params, key);

	if (!value || !*value)
		value = fallback;
	if (!value)
		return 0;
	*ret = strdup(value);
	return *ret ? 0 : -ENOMEM;
}

static int process_open(const char *name, const char *const *params, wp_resource_handle handle,
			uint32_t flags, wp_resid *ret_id)
{
	process *p = calloc(1, sizeof(*p));
	const char *value;
	int r;

	if (!p)
		return -ENOMEM;
	p->handle = handle;
	p->pidfd = -1;
	p->worker_fd = -1;
	p->stop_timeout_ms = DEFAULT_STOP_TIMEOUT_MS;

	r = parse_command_line(p, wp_param_get(params, "CommandLine"));
	if (r >= 0)
		r = parse_environment(p, wp_param_get(params, "Environment"));
	if (r >= 0)
		r = copy_property(params, "CurrentDirectory", DEFAULT_DIRECTORY, &p->directory);
	if (r >= 0)
		r = copy_property(params, "User", NULL, &p->user);
	if (r >= 0)
		r = copy_property(params, "Group", NULL, &p->group);
	if (r >= 0)
		r = copy_property(params, "StdoutPath", DEFAULT_OUTPUT, &p->stdout_path);
	if (r >= 0)
		r = copy_property(params, "StderrPath", DEFAULT_OUTPUT, &p->stderr_path);
	if (r < 0)
		goto fail;
	if (p->directory[0] != '/') {
		log_event(p, WP_LOG_ERROR, "CurrentDirectory '%s' is not an absolute path",
			  p->directory);
		r = -EINVAL;
		goto fail;
	}
	value = wp_param_get(params, "StopTimeoutMs");
	if (value && *value && parse_u32(value, UINT32_MAX, &p->stop_timeout_ms) < 0) {
		log_event(p, WP_LOG_ERROR, "StopTimeoutMs '%s' is not a number of milliseconds",
			  value);
		r = -EINVAL;
		goto fail;
	}

	pthread_mutex_init(&p->worker_lock, NULL);
	pthread_mutex_init(&p->lock, NULL);
	*ret_id = p;
	return 0;
fail:
	if (r == -ENOMEM)
		log_event(p, WP_LOG_ERROR, "out of memory");
	process_free(p);
	return r;
}

static void process_terminate(wp_resid id)
{
	process *p = id;

	/* Kill first, so a worker waiting for the exit sees it at once. The generation tells an
	 * online running alongside not to start anything any more. */
	pthread_mutex_lock(&p->lock);
	p->generation++;
	signal_group(p, SIGKILL);
	pthread_mutex_unlock(&p->lock);

	/* Waits for an online/offline still inside its entry point (bounded: the exec wait). */
	pthread_mutex_lock(&p->worker_lock);
	join_worker(p);
	pthread_mutex_unlock(&p->worker_lock);

	stop_now(p, true);
}

static void process_close(wp_resid id)
{
	process *p = id;

	if (!p)
		return;
	process_terminate(p);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->worker_lock);
	process_free(p);
}

static int process_online(wp_resid id, uint32_t flags, int *ret_event_fd)
{
	process *p = id;
	int r, report_fd = -1;
	child_report rep;
	unsigned generation;
	bool leftover;
	spawn s;

	pthread_mutex_lock(&p->lock);
	generation = p->generation;
	leftover = p->pidfd >= 0 || p->pgid > 0;
	pthread_mutex_unlock(&p->lock);
	if (leftover) {
		/* The monitor terminates before it brings a resource online again, so this is
		 * an online that lost a race with terminate, or a monitor bug: clean up. */
		log_event(p, WP_LOG_WARNING,
			  "a process from the previous run is still here, killing it");
		stop_now(p, true);
	}

	r = spawn_prepare(p, &s);
	if (r < 0)
		goto out;

	pthread_mutex_lock(&p->worker_lock);
	join_worker(p);
	pthread_mutex_lock(&p->lock);
	if (p->generation != generation)
		r = -ECANCELED; /* terminated meanwhile */
	else
		r = spawn_start(p, &s, &report_fd);
	pthread_mutex_unlock(&p->lock);
	if (r < 0) {
		if (r != -ECANCELED)
			log_event(p, WP_LOG_ERROR, "cannot start '%s': %s", p->argv[0],
				  strerror(-r));
		goto unlock;
	}

	r = read_report(report_fd, EXEC_WAIT_MS, &rep);
	if (r == -ETIMEDOUT) {
		/* Slow to exec (a hung CurrentDirectory, a slow disk): finish on a worker. */
		pthread_mutex_lock(&p->lock);
		r = p->generation != generation ? -ECANCELED
						: start_worker(p, online_worker, report_fd);
		pthread_mutex_unlock(&p->lock);
		if (r >= 0) {
			report_fd = -1; /* the worker's now */
			r = -EINPROGRESS;
			goto unlock;
		}
	} else if (r > 0) {
		log_start_failure(p, &rep);
		r = -rep.error;
	} else if (r < 0) {
		log_event(p, WP_LOG_ERROR, "cannot read the exec report: %s", strerror(-r));
	}
	if (r < 0) {
		stop_now(p, false);
		goto unlock;
	}

	pthread_mutex_lock(&p->lock);
	if (p->generation != generation || p->pidfd < 0) {
		r = -ECANCELED;
	} else {
		p->grouped = true;
		log_event(p, WP_LOG_INFORMATION, "process %d started: %s", (int) p->pid,
			  p->command_line);
		*ret_event_fd = p->pidfd;
	}
	pthread_mutex_unlock(&p->lock);
unlock:
	pthread_mutex_unlock(&p->worker_lock);
out:
	close_fd(&report_fd);
	spawn_free(&s);
	return r;
}

static int process_offline(wp_resid id, uint32_t flags)
{
	process *p = id;
	int r, fd;

	pthread_mutex_lock(&p->worker_lock);
	join_worker(p);
	pthread_mutex_lock(&p->lock);
	if (p->pidfd < 0 || pidfd_exited(p->pidfd)) {
		/* Nothing to stop: reap what is there and be done. */
		pthread_mutex_unlock(&p->lock);
		pthread_mutex_unlock(&p->worker_lock);
		stop_now(p, true);
		return 0;
	}
	fd = fcntl(p->pidfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		r = -errno;
		log_event(p, WP_LOG_ERROR, "cannot duplicate the pidfd: %s", strerror(-r));
		goto unlock;
	}
	signal_group(p, SIGTERM);
	log_event(p, WP_LOG_INFORMATION, "sent SIGTERM to process %d, SIGKILL in %" PRIu32 " ms",
		  (int) p->pid, p->stop_timeout_ms);
	report_state(p, WP_RESOURCE_OFFLINE_PENDING, 1, -1, 0);
	r = start_worker(p, offline_worker, fd);
	if (r < 0)
		log_event(p, WP_LOG_ERROR, "cannot start a worker: %s", strerror(-r));
	else
		r = -EINPROGRESS;
unlock:
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_unlock(&p->worker_lock);
	return r; /* an error makes the monitor terminate, which kills */
}

static bool process_looks_alive(wp_resid id)
{
	process *p = id;
	bool alive;

	pthread_mutex_lock(&p->lock);
	alive = p->pidfd >= 0 && !pidfd_exited(p->pidfd);
	pthread_mutex_unlock(&p->lock);
	return alive;
}

static bool process_is_alive(wp_resid id)
{
	process *p = id;
	siginfo_t si;
	bool alive = false;

	pthread_mutex_lock(&p->lock);
	if (p->pidfd >= 0 && !pidfd_exited(p->pidfd)) {
		/* Ask the kernel too, without reaping: a zombie counts as dead. */
		memset(&si, 0, sizeof(si));
		alive = waitid(IDTYPE_PIDFD, (id_t) p->pidfd, &si,
			       WEXITED | WNOHANG | WNOWAIT) == 0 &&
			si.si_pid == 0;
	}
	pthread_mutex_unlock(&p->lock);
	return alive;
}

static int process_cancel(wp_resid id, uint32_t flags)
{
	process *p = id;
	bool pending;

	pthread_mutex_lock(&p->worker_lock);
	pthread_mutex_lock(&p->lock);
	pending = p->pending;
	pthread_mutex_unlock(&p->lock);
	/* Stop waiting; the process stays as it is, for terminate to deal with. */
	if (pending)
		join_worker(p);
	pthread_mutex_unlock(&p->worker_lock);
	return pending ? 0 : -EOPNOTSUPP;
}

static int process_resource_control(wp_resid id, uint32_t code, const void *in, size_t in_size,
				    void *out, size_t out_size, size_t *ret_bytes)
{
	return -EOPNOTSUPP;
}

static int process_resource_type_control(const char *type, uint32_t code, const void *in,
					 size_t in_size, void *out, size_t out_size,
					 size_t *ret_bytes)
{
	return -EOPNOTSUPP;
}

static int process_begin_resource_control(wp_resid id, uint32_t code, const void *in,
					  size_t in_size, void *out, size_t out_size,
					  size_t *ret_bytes, wp_control_ctx ctx, bool *ret_async)
{
	*ret_async = false;
	return -EOPNOTSUPP;
}

static int process_begin_resource_type_control(const char *type, uint32_t code, const void *in,
					       size_t in_size, void *out, size_t out_size,
					       size_t *ret_bytes, wp_control_ctx ctx,
					       bool *ret_async)
{
	*ret_async = false;
	return -EOPNOTSUPP;
}

static const wp_resource_ops process_ops = {
	.size = sizeof(wp_resource_ops),
	.version = WP_RESAPI_VERSION_1,
	.open = process_open,
	.close = process_close,
	.online = process_online,
	.offline = process_offline,
	.terminate = process_terminate,
	.looks_alive = process_looks_alive,
	.is_alive = process_is_alive,
	.arbitrate = NULL,
	.release = NULL,
	.resource_control = process_resource_control,
	.resource_type_control = process_resource_type_control,
	.cancel = process_cancel,
	.begin_resource_control = process_begin_resource_control,
	.begin_resource_type_control = process_begin_resource_type_control,
};

WP_EXPORT int wp_resource_startup(const char *type, uint32_t min_version, uint32_t max_version,
				  const wp_resource_callbacks *cb, const wp_resource_ops **ret_ops);

WP_EXPORT int wp_resource_startup(const char *type, uint32_t min_version, uint32_t max_version,
				  const wp_resource_callbacks *cb, const wp_resource_ops **ret_ops)
{
	if (!type || strcmp(type, TYPE_NAME) != 0)
		return -ENOENT;
	if (min_version > WP_RESAPI_VERSION_1 || max_version < WP_RESAPI_VERSION_1)
		return -EPROTONOSUPPORT;
	/* Every callback used here is in version 1's table. */
	if (!cb || !ret_ops || cb->size < offsetof(wp_resource_callbacks, mark_event_failure))
		return -EINVAL;
	callbacks = cb;
	*ret_ops = &process_ops;
	return 0;
}
