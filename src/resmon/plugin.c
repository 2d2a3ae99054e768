/* SPDX-License-Identifier: MIT */
/*
 * Resource types: finding a plugin in the configured directories, dlopen, the startup call and
 * the checks that keep a bad plugin from taking the monitor down with it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resmon.h"

/* Get or create the (unloaded) type record. Returns 0 or -errno. */
int restype_get(const char *name, const char *dll, restype **ret)
{
	restype *t;

	pthread_mutex_lock(&rm.lock);
	for (t = rm.types; t; t = t->next)
		if (strcmp(t->name, name) == 0)
			break;
	if (t && strcmp(t->dll, dll) != 0) {
		pthread_mutex_unlock(&rm.lock);
		return -EEXIST; /* one type name, one plugin, for the monitor's lifetime */
	}
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t || !(t->name = strdup(name)) || !(t->dll = strdup(dll))) {
			if (t)
				free(t->name);
			free(t);
			pthread_mutex_unlock(&rm.lock);
			return -ENOMEM;
		}
		pthread_mutex_init(&t->load_lock, NULL);
		t->next = rm.types;
		rm.types = t;
	}
	pthread_mutex_unlock(&rm.lock);
	*ret = t;
	return 0;
}

static bool dll_name_ok(const char *dll)
{
	/* A file name, not a path: plugins come from the configured directories only. */
	return dll[0] && dll[0] != '.' && !strchr(dll, '/') && strlen(dll) < NAME_MAX;
}

#define REQUIRED(field) { #field, offsetof(wp_resource_ops, field) }
static const struct {
	const char *name;
	size_t offset;
} required_ops[] = {
	REQUIRED(open),           REQUIRED(close),
	REQUIRED(online),         REQUIRED(offline),
	REQUIRED(terminate),      REQUIRED(looks_alive),
	REQUIRED(is_alive),       REQUIRED(resource_control),
	REQUIRED(resource_type_control), REQUIRED(cancel),
	REQUIRED(begin_resource_control), REQUIRED(begin_resource_type_control),
};

static int check_ops(const restype *t, const wp_resource_ops *ops, char *err, size_t errlen)
{
	if (!ops) {
		snprintf(err, errlen, "plugin '%s': startup returned no function table", t->dll);
		return -EBADE;
	}
	/* Version 1 is the whole table today; a later, longer table is fine (append-only). */
	if (ops->size < sizeof(wp_resource_ops)) {
		snprintf(err, errlen, "plugin '%s': function table of %u bytes, need %zu",
			 t->dll, ops->size, sizeof(wp_resource_ops));
		return -EBADE;
	}
	if (ops->version < WP_RESAPI_VERSION_MIN || ops->version > WP_RESAPI_VERSION_MAX) {
		snprintf(err, errlen,
			 "plugin '%s': function table version %u outside the supported %u..%u",
			 t->dll, ops->version, WP_RESAPI_VERSION_MIN, WP_RESAPI_VERSION_MAX);
		return -EPROTONOSUPPORT;
	}
	for (size_t i = 0; i < sizeof(required_ops) / sizeof(required_ops[0]); i++) {
		void *fn;

		memcpy(&fn, (const char *) ops + required_ops[i].offset, sizeof(fn));
		if (!fn) {
			snprintf(err, errlen, "plugin '%s': required entry point '%s' is NULL",
				 t->dll, required_ops[i].name);
			return -EBADE;
		}
	}
	return 0;
}

static void *open_from_dirs(const char *dll, char *err, size_t errlen)
{
	char path[PATH_MAX];

	for (char **d = rm.plugin_dirs; d && *d; d++) {
		void *h;

		if (snprintf(path, sizeof(path), "%s/%s", *d, dll) >= (int) sizeof(path))
			continue;
		if (access(path, F_OK) < 0)
			continue;
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			snprintf(err, errlen, "cannot load plugin '%s': %s", path, dlerror());
		return h;
	}
	snprintf(err, errlen, "plugin '%s' not found in the plugin directories", dll);
	return NULL;
}

/*
 * Loads the type's plugin once. Runs on a call thread (dlopen runs constructors, startup runs
 * plugin code: both may hang or crash, and the watchdog covers the call that does this).
 * Returns 0, or -errno with a message in err.
 */
int restype_load(restype *t, char *err, size_t errlen)
{
	const wp_resource_ops *ops = NULL;
	wp_startup_fn startup;
	void *h;
	int r;

	pthread_mutex_lock(&t->load_lock);
	if (t->loaded) {
		pthread_mutex_unlock(&t->load_lock);
		return 0;
	}
	if (!dll_name_ok(t->dll)) {
		snprintf(err, errlen, "invalid plugin file name '%s'", t->dll);
		r = -EINVAL;
		goto out;
	}
	h = open_from_dirs(t->dll, err, errlen);
	if (!h) {
		r = -ENOENT;
		goto out;
	}
	*(void **) &startup = dlsym(h, WP_STARTUP_SYMBOL);
	if (!startup) {
		snprintf(err, errlen, "plugin '%s' does not export '%s'", t->dll,
			 WP_STARTUP_SYMBOL);
		dlclose(h);
		r = -ENOEXEC;
		goto out;
	}
	r = startup(t->name, WP_RESAPI_VERSION_MIN, WP_RESAPI_VERSION_MAX, &resmon_callbacks,
		    &ops);
	if (r != 0) {
		if (r > 0)
			snprintf(err, errlen, "plugin '%s': startup returned invalid value %d",
				 t->dll, r);
		else
			snprintf(err, errlen, "plugin '%s': startup for type '%s' failed: %s",
				 t->dll, t->name, strerror(-r));
		r = r > 0 ? -EBADE : r;
		dlclose(h);
		goto out;
	}
	r = check_ops(t, ops, err, errlen);
	if (r < 0) {
		dlclose(h);
		goto out;
	}
	/* Plugins stay loaded until the monitor exits: their threads may outlive the last
	 * instance, and unmapping code under a running thread is a crash waiting to happen. */
	t->dl = h;
	t->ops = ops;
	t->loaded = true;
out:
	pthread_mutex_unlock(&t->load_lock);
	return r;
}
