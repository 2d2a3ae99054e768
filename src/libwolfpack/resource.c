/* SPDX-License-Identifier: MIT */
/* Typed resource calls: one request each (docs/api-protocol.md, "Ops"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "jmsg.h"
#include "macro.h"

/* Adds {"params": {KEY: "VALUE", ...}} from "KEY=VALUE" strings; a bare "KEY" becomes null
 * when allow_remove, else it is -EINVAL. */
static int add_params(struct json_object *req, const char *const *params, bool allow_remove)
{
	struct json_object *p = json_object_new_object();

	if (!p)
		return -ENOMEM;
	for (; params && *params; params++) {
		const char *eq = strchr(*params, '=');
		struct json_object *v = NULL;
		_cleanup_free_ char *key = NULL;

		if ((!eq && !allow_remove) || eq == *params || !(*params)[0]) {
			json_object_put(p);
			return -EINVAL;
		}
		key = eq ? strndup(*params, (size_t) (eq - *params)) : strdup(*params);
		if (eq)
			v = json_object_new_string(eq + 1);
		if (!key || (eq && !v) || json_object_object_add(p, key, v) < 0) {
			json_object_put(v);
			json_object_put(p);
			return -ENOMEM;
		}
	}
	if (json_object_object_add(req, "params", p) < 0) {
		json_object_put(p);
		return -ENOMEM;
	}
	return 0;
}

int wp_resource_create(wp_cluster *c, const char *name, const char *type, const char *group,
		       const char *const *params, unsigned flags)
{
	struct json_object *req, *sep;
	int r;

	if (!c || !name || !type || !group || (flags & ~WP_RESOURCE_SEPARATE_MONITOR))
		return -EINVAL;
	req = wp__request("resource.create", name);
	if (!req)
		return -ENOMEM;
	r = wp__add_str(req, "type", type);
	if (r >= 0)
		r = wp__add_str(req, "group", group);
	if (r >= 0)
		r = add_params(req, params, false);
	if (r >= 0) {
		sep = json_object_new_boolean(!!(flags & WP_RESOURCE_SEPARATE_MONITOR));
		if (!sep || json_object_object_add(req, "separate_monitor", sep) < 0) {
			json_object_put(sep);
			r = -ENOMEM;
		}
	}
	if (r >= 0)
		r = wp__call(c, req, NULL, NULL);
	json_object_put(req);
	return r;
}

int wp_resource_delete(wp_cluster *c, const char *name)
{
	return wp__simple(c, "resource.delete", name);
}

int wp_resource_online(wp_cluster *c, const char *name)
{
	return wp__simple(c, "resource.online", name);
}

int wp_resource_offline(wp_cluster *c, const char *name)
{
	return wp__simple(c, "resource.offline", name);
}

int wp_resource_fail(wp_cluster *c, const char *name)
{
	return wp__simple(c, "resource.fail", name);
}

int wp_resource_get_state(wp_cluster *c, const char *name, int *ret_state,
			  char **ret_owner_node, char **ret_group)
{
	_cleanup_free_ char *owner = NULL, *group = NULL;
	struct json_object *req, *reply = NULL, *res;
	int r;

	if (!c || !name)
		return -EINVAL;
	req = wp__request("resource.show", name);
	if (!req)
		return -ENOMEM;
	r = wp__call(c, req, &reply, NULL);
	json_object_put(req);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(reply, "resource", &res) ||
	    !json_object_is_type(res, json_type_object)) {
		json_object_put(reply);
		return -EBADMSG;
	}
	if ((ret_owner_node && wp__dup_member(res, "owner_node", &owner) < 0) ||
	    (ret_group && wp__dup_member(res, "group", &group) < 0)) {
		json_object_put(reply);
		return -ENOMEM;
	}
	if (ret_state)
		*ret_state = wp__state_code(res, wp_resource_state_from_string);
	if (ret_owner_node)
		*ret_owner_node = TAKE_PTR(owner);
	if (ret_group)
		*ret_group = TAKE_PTR(group);
	json_object_put(reply);
	return 0;
}

int wp_resource_set_dependency_expression(wp_cluster *c, const char *name,
					  const char *expression)
{
	struct json_object *req;
	int r;

	if (!c || !name || !expression)
		return -EINVAL;
	req = wp__request("resource.depend", name);
	if (!req)
		return -ENOMEM;
	r = wp__add_str(req, "expression", expression);
	if (r >= 0)
		r = wp__call(c, req, NULL, NULL);
	json_object_put(req);
	return r;
}

int wp_resource_add_dependency(wp_cluster *c, const char *name, const char *depends_on)
{
	struct json_object *req;
	int r;

	if (!c || !name || !depends_on || !depends_on[0])
		return -EINVAL;
	req = wp__request("resource.add_dependency", name);
	if (!req)
		return -ENOMEM;
	r = wp__add_str(req, "depends_on", depends_on);
	if (r >= 0)
		r = wp__call(c, req, NULL, NULL);
	json_object_put(req);
	return r;
}

int wp_resource_set_params(wp_cluster *c, const char *name, const char *const *params)
{
	struct json_object *req;
	int r;

	if (!c || !name || !params || !params[0])
		return -EINVAL;
	req = wp__request("resource.set", name);
	if (!req)
		return -ENOMEM;
	r = add_params(req, params, true);
	if (r >= 0)
		r = wp__call(c, req, NULL, NULL);
	json_object_put(req);
	return r;
}
