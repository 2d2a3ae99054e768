/* SPDX-License-Identifier: MIT */
/*
 * Messages from any thread to the main loop: a mutex-protected FIFO plus an eventfd that wakes
 * sd-event. Producers are plugin threads (callbacks), call threads (completions) and workers;
 * the only consumer is the main thread. Order is kept, so a plugin that reports a status and
 * then returns from its entry point is seen in that order.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "resmon.h"
#include "time-util.h"

static msg *head, *tail;
static int wake_fd = -1;

msg *msg_new(msg_kind kind, uint64_t token)
{
	msg *m = calloc(1, sizeof(*m));

	if (!m)
		abort(); /* a monitor that cannot allocate 200 bytes cannot keep its promises */
	m->kind = kind;
	m->token = token;
	m->t_us = now_us();
	return m;
}

void msg_post(msg *m)
{
	bool was_empty;
	uint64_t one = 1;

	pthread_mutex_lock(&rm.lock);
	was_empty = !head;
	if (tail)
		tail->next = m;
	else
		head = m;
	tail = m;
	pthread_mutex_unlock(&rm.lock);

	/* Only the first message after the consumer drained the queue needs a wake-up. */
	if (was_empty)
		while (write(wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
}

static void msg_free(msg *m)
{
	free(m->text);
	free(m->type);
	if (m->strv)
		for (char **s = m->strv; *s; s++)
			free(*s);
	free(m->strv);
	free(m->payload);
	free(m);
}

static int on_wake(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	uint64_t n;
	msg *list;

	(void) !read(fd, &n, sizeof(n));
	pthread_mutex_lock(&rm.lock);
	list = head;
	head = tail = NULL;
	pthread_mutex_unlock(&rm.lock);

	while (list) {
		msg *m = list;

		list = m->next;
		instance_handle_msg(m);
		msg_free(m);
	}
	return 0;
}

int queue_attach(sd_event *e)
{
	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake_fd < 0)
		return -errno;
	/* Higher priority than timers: a failure already reported beats a poll about to run. */
	sd_event_source *src;
	int r = sd_event_add_io(e, &src, wake_fd, EPOLLIN, on_wake, NULL);
	if (r < 0)
		return r;
	sd_event_source_set_priority(src, SD_EVENT_PRIORITY_IMPORTANT);
	sd_event_source_set_floating(src, true);
	sd_event_source_unref(src);
	return 0;
}
