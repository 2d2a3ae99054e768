/* SPDX-License-Identifier: MIT */
/*
 * Test plugin "failcaller": once online, a worker calls FailClusterResource on the resource
 * named by the Target parameter through the cluster API socket (parameter Socket), as a
 * misbehaving resource DLL would, and logs the daemon's reply as "fail-reply=<json>". The
 * service must refuse: WSFC forbids calling FailClusterResource from a resource DLL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "wolfpack/resapi.h"

static const wp_resource_callbacks *cb;

typedef struct inst {
	wp_resource_handle h;
	char socket[108];
	char target[256];
	wp_worker worker;
} inst;

static int call_fail(wp_worker *w, void *userdata)
{
	inst *i = userdata;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char req[400], reply[1024] = "";
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", i->socket);
	snprintf(req, sizeof(req), "{\"id\":1,\"op\":\"resource.fail\",\"name\":\"%s\"}\n", i->target);
	if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 &&
	    write(fd, req, strlen(req)) == (ssize_t) strlen(req))
		n = read(fd, reply, sizeof(reply) - 1);
	if (n > 0) {
		reply[n] = '\0';
		reply[strcspn(reply, "\n")] = '\0';
	}
	if (fd >= 0)
		close(fd);
	cb->log_event(i->h, WP_LOG_INFORMATION, "fail-reply=%s", n > 0 ? reply : "(none)");
	return 0;
}

static int f_open(const char *name, const char *const *params, wp_resource_handle h,
		  uint32_t flags, wp_resid *ret)
{
	inst *i = calloc(1, sizeof(*i));
	const char *s = wp_param_get(params, "Socket"), *t = wp_param_get(params, "Target");

	if (!i || !s || !t) {
		free(i);
		return -EINVAL;
	}
	i->h = h;
	snprintf(i->socket, sizeof(i->socket), "%s", s);
	snprintf(i->target, sizeof(i->target), "%s", t);
	*ret = i;
	return 0;
}

static void f_terminate(wp_resid id)
{
	inst *i = id;

	cb->worker_terminate(&i->worker);
}

static void f_close(wp_resid id)
{
	f_terminate(id);
	free(id);
}

static int f_online(wp_resid id, uint32_t flags, int *fd)
{
	inst *i = id;

	memset(&i->worker, 0, sizeof(i->worker));
	return cb->worker_create(&i->worker, call_fail, i);
}

static int f_offline(wp_resid id, uint32_t flags)
{
	f_terminate(id);
	return 0;
}

static bool f_alive(wp_resid id)
{
	return true;
}

static int f_control(wp_resid id, uint32_t code, const void *in, size_t in_size, void *out,
		     size_t out_size, size_t *ret_bytes)
{
	return -EOPNOTSUPP;
}

static int f_type_control(const char *type, uint32_t code, const void *in, size_t in_size,
			  void *out, size_t out_size, size_t *ret_bytes)
{
	return -EOPNOTSUPP;
}

static int f_cancel(wp_resid id, uint32_t flags)
{
	return -EOPNOTSUPP;
}

static int f_begin(wp_resid id, uint32_t code, const void *in, size_t in_size, void *out,
		   size_t out_size, size_t *ret_bytes, wp_control_ctx ctx, bool *ret_async)
{
	return -EOPNOTSUPP;
}

static int f_begin_type(const char *type, uint32_t code, const void *in, size_t in_size,
			void *out, size_t out_size, size_t *ret_bytes, wp_control_ctx ctx,
			bool *ret_async)
{
	return -EOPNOTSUPP;
}

static const wp_resource_ops ops = {
	.size = sizeof(wp_resource_ops),
	.version = WP_RESAPI_VERSION_1,
	.open = f_open,
	.close = f_close,
	.online = f_online,
	.offline = f_offline,
	.terminate = f_terminate,
	.looks_alive = f_alive,
	.is_alive = f_alive,
	.resource_control = f_control,
	.resource_type_control = f_type_control,
	.cancel = f_cancel,
	.begin_resource_control = f_begin,
	.begin_resource_type_control = f_begin_type,
};

WP_EXPORT int wp_resource_startup(const char *type, uint32_t min, uint32_t max,
				  const wp_resource_callbacks *callbacks,
				  const wp_resource_ops **ret_ops);
WP_EXPORT int wp_resource_startup(const char *type, uint32_t min, uint32_t max,
				  const wp_resource_callbacks *callbacks,
				  const wp_resource_ops **ret_ops)
{
	if (strcmp(type, "failcaller") != 0)
		return -ENOENT;
	cb = callbacks;
	*ret_ops = &ops;
	return 0;
}
