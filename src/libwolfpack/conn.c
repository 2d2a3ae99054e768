/* SPDX-License-Identifier: MIT */
/*
 * One connection to wolfpackd: a non-blocking Unix stream socket, written and read with
 * poll() against a deadline so that no call blocks longer than its caller allowed.
 * Newline-delimited JSON framing (docs/api-protocol.md).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "time-util.h"

uint64_t wp__deadline(int timeout_ms)
{
	if (timeout_ms < 0)
		return WP__FOREVER;
	return now_us() + (uint64_t) timeout_ms * USEC_PER_MSEC;
}

/* Milliseconds left until the deadline, rounded up, as poll() wants them. */
static int poll_timeout(uint64_t deadline)
{
	uint64_t now;

	if (deadline == WP__FOREVER)
		return -1;
	now = now_us();
	if (now >= deadline)
		return 0;
	if (deadline - now > (uint64_t) 1000 * 1000 * 1000)
		return 1000 * 1000; /* poll again later; still bounded */
	return (int) ((deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC);
}

/* Waits for events on fd. Returns > 0 when ready, 0 at the deadline, -errno. EINTR restarts
 * with the time left. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int t = poll_timeout(deadline), r;

		r = poll(&p, 1, t);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r > 0)
			return 1;
		if (t == 0 || (deadline != WP__FOREVER && now_us() >= deadline))
			return 0;
	}
}

const char *wp__socket_path(const char *path)
{
	const char *e;

	if (path && path[0])
		return path;
	e = secure_getenv(WP_SOCKET_ENV);
	return e && e[0] ? e : WP_DEFAULT_SOCKET;
}

int wp__conn_connect(wp__conn *conn, const char *path, uint64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A non-blocking AF_UNIX connect completes at once or fails with EAGAIN while the
	 * listener's backlog is full; that cannot be polled for, so retry briefly. */
	while (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
		int r = -errno;

		if (r == -EINTR)
			continue;
		if (r == -EAGAIN && now_us() < deadline) {
			(void) poll(NULL, 0, 10);
			continue;
		}
		close(fd);
		return r == -EAGAIN ? -ETIMEDOUT : r;
	}
	wp__conn_close(conn);
	conn->fd = fd;
	return 0;
}

void wp__conn_close(wp__conn *conn)
{
	if (conn->fd >= 0)
		close(conn->fd);
	conn->fd = -1;
	free(conn->buf);
	conn->buf = NULL;
	conn->start = conn->len = conn->cap = 0;
}

static int send_all(int fd, const char *s, size_t n, uint64_t deadline)
{
	while (n > 0) {
		ssize_t k = send(fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (k >= 0) {
			s += k;
			n -= (size_t) k;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		k = wait_fd(fd, POLLOUT, deadline);
		if (k < 0)
			return (int) k;
		if (k == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

bool wp__conn_peer_closed(wp__conn *conn)
{
	struct pollfd p = { .fd = conn->fd, .events = POLLIN };
	char c;

	if (conn->fd < 0)
		return true;
	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLHUP | POLLERR))
		return true;
	/* Readable: a stale line is fine (it is skipped later); EOF is not. */
	return recv(conn->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

int wp__conn_send_line(wp__conn *conn, const char *s, size_t n, uint64_t deadline)
{
	int r;

	if (conn->fd < 0)
		return -ENOTCONN;
	r = send_all(conn->fd, s, n, deadline);
	if (r < 0)
		return r;
	return send_all(conn->fd, "\n", 1, deadline);
}

int wp__conn_read_line(wp__conn *conn, uint64_t deadline, char **ret_line, size_t *ret_len)
{
	size_t scanned = 0;

	if (conn->fd < 0)
		return -ENOTCONN;
	for (;;) {
		char *nl = conn->len > scanned
				   ? memchr(conn->buf + conn->start + scanned, '\n',
					    conn->len - scanned)
				   : NULL;
		ssize_t k;

		if (nl) {
			char *line = conn->buf + conn->start;
			size_t n = (size_t) (nl - line);

			*nl = '\0';
			conn->start += n + 1;
			conn->len -= n + 1;
			/* The caller may keep the line until the next read: compaction happens
			 * only there, never under its feet. */
			*ret_line = line;
			*ret_len = n;
			return 1;
		}
		scanned = conn->len;
		if (conn->len > WP__LINE_MAX)
			return -EMSGSIZE;
		/* Make room: move the partial line to the front, then grow. */
		if (conn->start > 0) {
			memmove(conn->buf, conn->buf + conn->start, conn->len);
			conn->start = 0;
		}
		if (conn->cap - conn->len < 4096) {
			size_t cap = conn->cap ? conn->cap * 2 : 16384;
			char *b = realloc(conn->buf, cap);

			if (!b)
				return -ENOMEM;
			conn->buf = b;
			conn->cap = cap;
		}
		/* Keep one byte spare for the NUL that replaces a newline. */
		k = recv(conn->fd, conn->buf + conn->len, conn->cap - conn->len - 1, MSG_DONTWAIT);
		if (k > 0) {
			conn->len += (size_t) k;
			continue;
		}
		if (k == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		k = wait_fd(conn->fd, POLLIN, deadline);
		if (k < 0)
			return (int) k;
		if (k == 0)
			return 0;
	}
}

struct json_object *wp__parse_object(const char *line, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (len > INT32_MAX)
		return NULL;
	tok = json_tokener_new();
	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, line, (int) len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t) json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}
