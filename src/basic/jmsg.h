/* SPDX-License-Identifier: MIT */
#pragma once

/* One JSON object per SOCK_SEQPACKET datagram: the framing of docs/resmon-protocol.md. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define JMSG_MAX (64 * 1024)

/* Sends obj as one datagram. Returns 0 or -errno (-EMSGSIZE if it is longer than JMSG_MAX).
 * Does not take ownership of obj. */
int jmsg_send(int fd, struct json_object *obj);

/* Receives one datagram and parses it. Returns 1 and a new object in *ret (caller puts it),
 * 0 on EOF, -EAGAIN if nothing is waiting on a non-blocking fd, -EBADMSG if the datagram is
 * not a JSON object (the datagram is consumed), or another -errno. */
int jmsg_recv(int fd, struct json_object **ret);

/* Field accessors that tolerate absence and wrong types: they return false (and leave *ret
 * alone) unless the field exists with the right type and range. */
bool jmsg_get_u32(struct json_object *obj, const char *key, uint32_t *ret);
bool jmsg_get_i64(struct json_object *obj, const char *key, int64_t *ret);
bool jmsg_get_bool(struct json_object *obj, const char *key, bool *ret);
const char *jmsg_get_str(struct json_object *obj, const char *key);
