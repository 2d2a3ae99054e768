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

/*
 * An outbox for a non-blocking SOCK_SEQPACKET socket. A Unix socket caps how many datagrams
 * may wait in the receiver's queue, so a burst (10 000 commands, or their events) meets
 * EAGAIN: what does not fit now waits here, in order, until the socket is writable again.
 */
typedef struct jmsg_outbox {
	struct jmsg_pending *head, *tail;
	size_t count;
} jmsg_outbox;

/* Sends obj, or queues it behind what already waits. Returns 0 when nothing is left
 * waiting, 1 when something waits (watch for EPOLLOUT and call jmsg_outbox_flush), or -errno
 * for a broken socket or an oversized message. Does not take ownership of obj. */
int jmsg_outbox_send(int fd, jmsg_outbox *o, struct json_object *obj);

/* Sends what waits, until the socket is full. Returns 0 (all sent), 1 (some still waits), or
 * -errno. With blocking=true, waits for room instead of stopping (for a last flush before
 * exit). */
int jmsg_outbox_flush(int fd, jmsg_outbox *o, bool blocking);

/* Drops everything waiting. */
void jmsg_outbox_clear(jmsg_outbox *o);
