/* SPDX-License-Identifier: MIT */
/*
 * The monitor's protocol and loader, against a real wp-resmon: malformed and invalid commands
 * get an error event and the monitor keeps serving; broken plugins are refused with a clear
 * message; plugins load only from the configured directories; a parent that goes away makes
 * the monitor terminate and close everything before it exits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "resmon-client.h"

static int setup(void **state)
{
	rmc *c = calloc(1, sizeof(*c));

	if (rmc_start(c, WP_TEST_EXTRA_PLUGIN_DIR) < 0)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	rmc *c = *state;
	int status = rmc_stop(c);

	free(c);
	/* Every test leaves a monitor that still exits cleanly. */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The monitor still answers: open a dummy and see it come up. */
static void assert_alive(rmc *c, uint32_t id)
{
	size_t at = c->n_events;

	assert_int_equal(rmc_send(c, "{\"op\":\"open\",\"id\":%u,\"name\":\"probe%u\",\"type\":\"dummy\"}",
				  id, id), 0);
	assert_non_null(rmc_wait(c, &at, 5000, "open", id, NULL, NULL));
}

static void expect_error(rmc *c, const char *text, const char *needle)
{
	size_t at = c->n_events;
	struct json_object *e;

	assert_int_equal(send(c->fd, text, strlen(text), 0), (ssize_t) strlen(text));
	e = rmc_wait(c, &at, 5000, "error", 0, NULL, NULL);
	if (!e)
		rmc_dump(c);
	assert_non_null(e);
	if (!strstr(ev_str(e, "message"), needle)) {
		fprintf(stderr, "error '%s' lacks '%s'\n", ev_str(e, "message"), needle);
		fail();
	}
}

static void test_malformed_commands(void **state)
{
	rmc *c = *state;

	expect_error(c, "{\"op\":", "malformed");
	expect_error(c, "[\"open\"]", "malformed");
	expect_error(c, "{}", "without 'op'");
	expect_error(c, "{\"op\":\"dance\",\"id\":1}", "no such resource");
	expect_error(c, "{\"op\":\"online\"}", "'id' is required");
	expect_error(c, "{\"op\":\"online\",\"id\":\"one\"}", "'id' is required");
	expect_error(c, "{\"op\":\"open\",\"id\":0,\"name\":\"x\",\"type\":\"dummy\"}", "'id'");
	expect_error(c, "{\"op\":\"open\",\"id\":5,\"type\":\"dummy\"}", "'name'");
	expect_error(c, "{\"op\":\"open\",\"id\":5,\"name\":\"x\",\"type\":\"dummy\",\"params\":[1]}",
		     "'params'");
	expect_error(c, "{\"op\":\"open\",\"id\":5,\"name\":\"x\",\"type\":\"dummy\",\"params\":{\"A\":1}}",
		     "params");
	expect_error(c, "{\"op\":\"open\",\"id\":5,\"name\":\"x\",\"type\":\"dummy\",\"is_alive_ms\":0}",
		     "is_alive_ms");
	expect_error(c, "{\"op\":\"open\",\"id\":5,\"name\":\"x\",\"type\":\"dummy\",\"looks_alive_ms\":-5}",
		     "looks_alive_ms");
	expect_error(c, "{\"op\":\"open\",\"id\":5,\"name\":\"x\",\"type\":\"dummy\",\"embedded_failure_action\":3}",
		     "embedded_failure_action");

	/* An oversized datagram. */
	size_t big = 70000;
	char *text = malloc(big + 1);
	memset(text, ' ', big);
	text[0] = '{';
	text[big - 1] = '}';
	text[big] = '\0';
	expect_error(c, text, "malformed");
	free(text);

	assert_alive(c, 1);
	/* Duplicate id. */
	expect_error(c, "{\"op\":\"open\",\"id\":1,\"name\":\"again\",\"type\":\"dummy\"}",
		     "already open");
	/* A second type name cannot be served by a different plugin file once known. */
	expect_error(c, "{\"op\":\"open\",\"id\":9,\"name\":\"x\",\"type\":\"dummy\",\"dll\":\"process.so\"}",
		     "another plugin");
	/* Wrong-state commands. */
	expect_error(c, "{\"op\":\"fail\",\"id\":1}", "not online");
	expect_error(c, "{\"op\":\"control\",\"id\":1,\"req\":1,\"code\":1,\"in\":\"xyz\"}", "hex");
	expect_error(c, "{\"op\":\"control\",\"id\":1,\"req\":1,\"code\":1,\"out_size\":999999}",
		     "out_size");
	assert_alive(c, 2);
}

static void expect_open_error(rmc *c, uint32_t id, const char *dll, const char *needle)
{
	size_t at = c->n_events;
	struct json_object *e;

	assert_int_equal(rmc_send(c, "{\"op\":\"open\",\"id\":%u,\"name\":\"r%u\",\"type\":\"t%u\",\"dll\":\"%s\"}",
				  id, id, id, dll),
			 0);
	e = rmc_wait(c, &at, 5000, "error", 0, "op", "open");
	if (!e)
		rmc_dump(c);
	assert_non_null(e);
	if (!strstr(ev_str(e, "message"), needle)) {
		fprintf(stderr, "error '%s' lacks '%s'\n", ev_str(e, "message"), needle);
		fail();
	}
	/* And no instance was left behind. */
	assert_int_equal(rmc_find(c, 0, "open", id, NULL, NULL), -1);
}

static void test_bad_plugins(void **state)
{
	rmc *c = *state;

	expect_open_error(c, 11, "bad-no-symbol.so", "does not export 'wp_resource_startup'");
	expect_open_error(c, 12, "bad-version.so", "version 30583 outside the supported");
	expect_open_error(c, 13, "bad-null-entry.so", "required entry point 'online' is NULL");
	expect_open_error(c, 14, "bad-startup-fails.so", "startup for type 't14' failed");
	expect_open_error(c, 15, "bad-small-table.so", "function table of 8 bytes");
	expect_open_error(c, 16, "bad-garbage.so", "invalid value 42");
	/* Only file names inside the plugin directories. */
	expect_open_error(c, 17, "../plugins/dummy.so", "invalid plugin file name");
	expect_open_error(c, 18, "/tmp/dummy.so", "invalid plugin file name");
	expect_open_error(c, 19, "nowhere.so", "not found in the plugin directories");
	assert_alive(c, 20);
}

static void test_parent_eof_terminates_everything(void **state)
{
	rmc *c = *state;
	size_t at = 0;

	for (uint32_t id = 1; id <= 3; id++) {
		assert_int_equal(rmc_send(c, "{\"op\":\"open\",\"id\":%u,\"name\":\"r%u\",\"type\":\"dummy\"}",
					  id, id), 0);
		assert_non_null(rmc_wait(c, &at, 5000, "open", id, NULL, NULL));
	}
	for (uint32_t id = 1; id <= 2; id++) {
		at = 0;
		assert_int_equal(rmc_send(c, "{\"op\":\"online\",\"id\":%u}", id), 0);
		assert_non_null(rmc_wait(c, &at, 5000, "state", id, "state_name", "Online"));
	}
	/* The parent stops writing: the monitor must stop what runs and close everything. */
	shutdown(c->fd, SHUT_WR);
	assert_int_equal(rmc_wait_exit(c, 10000), 0);
	assert_true(WIFEXITED(c->exit_status));
	assert_int_equal(WEXITSTATUS(c->exit_status), 0);
	for (uint32_t id = 1; id <= 3; id++)
		assert_true(rmc_find(c, 0, "close", id, NULL, NULL) >= 0);
	/* Online ones were terminated first; the offline one was not. */
	for (uint32_t id = 1; id <= 2; id++) {
		ssize_t t = rmc_find(c, 0, "terminate", id, NULL, NULL);
		assert_true(t >= 0);
		assert_true(t < rmc_find(c, 0, "close", id, NULL, NULL));
	}
	assert_int_equal(rmc_find(c, 0, "terminate", 3, NULL, NULL), -1);
}

/* Sends without reading anything back (as a parent busy in one handler does), waiting only
 * for room on the socket. */
static void send_without_reading(rmc *c, const char *buf)
{
	size_t n = strlen(buf);

	while (send(c->fd, buf, n, MSG_NOSIGNAL) < 0) {
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };

		assert_true(errno == EAGAIN || errno == EINTR);
		assert_true(poll(&p, 1, 10000) > 0);
	}
}

/* More commands than a Unix SEQPACKET socket queues in one burst, from a parent that does not
 * read meanwhile, and as many events back: the monitor must queue what the socket refuses
 * (both ways), not drop it. */
static void test_burst_of_commands_and_events(void **state)
{
	rmc *c = *state;
	const uint32_t n = 2000;
	size_t at = 0;

	char buf[256];

	for (uint32_t id = 1; id <= n; id++) {
		snprintf(buf, sizeof(buf), "{\"op\":\"open\",\"id\":%u,\"name\":\"b%u\",\"type\":\"dummy\"}",
			 id, id);
		send_without_reading(c, buf);
	}
	for (uint32_t id = 1; id <= n; id++) {
		snprintf(buf, sizeof(buf), "{\"op\":\"online\",\"id\":%u}", id);
		send_without_reading(c, buf);
	}
	for (uint32_t id = 1; id <= n; id++)
		if (!rmc_wait(c, &at, 20000, "state", 0, "state_name", "Online")) {
			fprintf(stderr, "only %u of %u instances reported Online\n", id - 1, n);
			fail();
		}
	assert_int_equal(rmc_count(c, "state", 0, "state_name", "Online"), n);
	assert_int_equal(rmc_count(c, "error", 0, NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_malformed_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_plugins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent_eof_terminates_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_burst_of_commands_and_events, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
