/* SPDX-License-Identifier: MIT */
#include "jmsg.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int jmsg_send(int fd, struct json_object *obj)
{
	size_t len;
	const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);

	if (!s)
		return -ENOMEM;
	if (len > JMSG_MAX)
		return -EMSGSIZE;
	for (;;) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int jmsg_recv(int fd, struct json_object **ret)
{
	char *buf = malloc(JMSG_MAX + 1);
	struct json_tokener *tok;
	struct json_object *obj;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	do
		n = recv(fd, buf, JMSG_MAX + 1, MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int r = errno == EWOULDBLOCK ? -EAGAIN : -errno;
		free(buf);
		return r;
	}
	if (n == 0) {
		free(buf);
		return 0;
	}
	if (n > JMSG_MAX) {
		free(buf);
		return -EBADMSG;
	}
	tok = json_tokener_new();
	if (!tok) {
		free(buf);
		return -ENOMEM;
	}
	obj = json_tokener_parse_ex(tok, buf, (int) n);
	/* Anything but exactly one complete object is malformed. */
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t) json_tokener_get_parse_end(tok) != (size_t) n ||
	    !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		json_tokener_free(tok);
		free(buf);
		return -EBADMSG;
	}
	json_tokener_free(tok);
	free(buf);
	*ret = obj;
	return 1;
}

bool jmsg_get_i64(struct json_object *obj, const char *key, int64_t *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	*ret = json_object_get_int64(v);
	return true;
}

bool jmsg_get_u32(struct json_object *obj, const char *key, uint32_t *ret)
{
	int64_t v;

	if (!jmsg_get_i64(obj, key, &v) || v < 0 || v > UINT32_MAX)
		return false;
	*ret = (uint32_t) v;
	return true;
}

bool jmsg_get_bool(struct json_object *obj, const char *key, bool *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_boolean))
		return false;
	*ret = json_object_get_boolean(v);
	return true;
}

const char *jmsg_get_str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

struct jmsg_pending {
	struct jmsg_pending *next;
	size_t len;
	char data[];
};

int jmsg_outbox_flush(int fd, jmsg_outbox *o, bool blocking)
{
	while (o->head) {
		struct jmsg_pending *p = o->head;
		ssize_t n = send(fd, p->data, p->len, MSG_NOSIGNAL | (blocking ? 0 : MSG_DONTWAIT));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && !blocking)
				return 1;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };
				(void) poll(&pfd, 1, 1000);
				continue;
			}
			return -errno;
		}
		o->head = p->next;
		if (!o->head)
			o->tail = NULL;
		o->count--;
		free(p);
	}
	return 0;
}

int jmsg_outbox_send(int fd, jmsg_outbox *o, struct json_object *obj)
{
	size_t len;
	const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);
	struct jmsg_pending *p;

	if (!s)
		return -ENOMEM;
	if (len > JMSG_MAX)
		return -EMSGSIZE;
	/* Order matters: never overtake what already waits. */
	if (!o->head) {
		for (;;) {
			ssize_t n = send(fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n >= 0)
				return 0;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			break;
		}
	}
	p = malloc(sizeof(*p) + len);
	if (!p)
		return -ENOMEM;
	p->next = NULL;
	p->len = len;
	memcpy(p->data, s, len);
	if (o->tail)
		o->tail->next = p;
	else
		o->head = p;
	o->tail = p;
	o->count++;
	return 1;
}

void jmsg_outbox_clear(jmsg_outbox *o)
{
	while (o->head) {
		struct jmsg_pending *p = o->head;
		o->head = p->next;
		free(p);
	}
	o->tail = NULL;
	o->count = 0;
}
