/* SPDX-License-Identifier: MIT */
/*
 * Deliberately broken plugins, one per build variant, for the monitor's loader checks:
 *   BAD_NO_SYMBOL     exports no startup symbol
 *   BAD_VERSION       answers with a table version the monitor does not support
 *   BAD_NULL_ENTRY    leaves a required entry point (online) NULL
 *   BAD_STARTUP_FAILS startup returns -ENOMEM
 *   BAD_SMALL_TABLE   declares a table smaller than version 1's
 *   BAD_GARBAGE       startup returns a positive non-zero value
 */
#include <errno.h>
#include <stdlib.h>

#include "wolfpack/resapi.h"

static int b_open(const char *name, const char *const *params, wp_resource_handle h,
		  uint32_t flags, wp_resid *ret_id)
{
	*ret_id = (wp_resid) 1;
	return 0;
}
static void b_close(wp_resid id)
{
}
static int b_online(wp_resid id, uint32_t flags, int *fd)
{
	return 0;
}
static int b_offline(wp_resid id, uint32_t flags)
{
	return 0;
}
static void b_terminate(wp_resid id)
{
}
static bool b_alive(wp_resid id)
{
	return true;
}
static int b_control(wp_resid id, uint32_t code, const void *in, size_t in_size, void *out,
		     size_t out_size, size_t *ret_bytes)
{
	return -EOPNOTSUPP;
}
static int b_type_control(const char *type, uint32_t code, const void *in, size_t in_size,
			  void *out, size_t out_size, size_t *ret_bytes)
{
	return -EOPNOTSUPP;
}
static int b_cancel(wp_resid id, uint32_t flags)
{
	return -EOPNOTSUPP;
}
static int b_begin(wp_resid id, uint32_t code, const void *in, size_t in_size, void *out,
		   size_t out_size, size_t *ret_bytes, wp_control_ctx ctx, bool *ret_async)
{
	return -EOPNOTSUPP;
}
static int b_begin_type(const char *type, uint32_t code, const void *in, size_t in_size,
			void *out, size_t out_size, size_t *ret_bytes, wp_control_ctx ctx,
			bool *ret_async)
{
	return -EOPNOTSUPP;
}

__attribute__((unused)) static wp_resource_ops ops = {
	.size = sizeof(wp_resource_ops),
	.version = WP_RESAPI_VERSION_1,
	.open = b_open,
	.close = b_close,
	.online = b_online,
	.offline = b_offline,
	.terminate = b_terminate,
	.looks_alive = b_alive,
	.is_alive = b_alive,
	.resource_control = b_control,
	.resource_type_control = b_type_control,
	.cancel = b_cancel,
	.begin_resource_control = b_begin,
	.begin_resource_type_control = b_begin_type,
};

#ifndef BAD_NO_SYMBOL
WP_EXPORT int wp_resource_startup(const char *type, uint32_t min, uint32_t max,
				  const wp_resource_callbacks *cb, const wp_resource_ops **ret_ops);
WP_EXPORT int wp_resource_startup(const char *type, uint32_t min, uint32_t max,
				  const wp_resource_callbacks *cb, const wp_resource_ops **ret_ops)
{
#if defined(BAD_VERSION)
	ops.version = 0x7777;
#elif defined(BAD_NULL_ENTRY)
	ops.online = NULL;
#elif defined(BAD_STARTUP_FAILS)
	return -ENOMEM;
#elif defined(BAD_SMALL_TABLE)
	ops.size = 2 * sizeof(uint32_t);
#elif defined(BAD_GARBAGE)
	return 42;
#endif
	*ret_ops = &ops;
	return 0;
}
#else
WP_EXPORT int wp_resource_startup_misspelled(void);
WP_EXPORT int wp_resource_startup_misspelled(void)
{
	return 0;
}
#endif
