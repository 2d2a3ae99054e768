/* SPDX-License-Identifier: MIT */
/* Unit tests of src/basic: the id map, hex coding, and JSON message framing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "hex.h"
#include "idmap.h"
#include "jmsg.h"

static void test_idmap_put_get_remove(void **state)
{
	idmap m = {};
	static int values[5000];

	for (uint64_t k = 1; k <= 5000; k++)
		assert_int_equal(idmap_put(&m, k * 7919, &values[k - 1]), 0);
	assert_int_equal(m.count, 5000);
	for (uint64_t k = 1; k <= 5000; k++)
		assert_ptr_equal(idmap_get(&m, k * 7919), &values[k - 1]);
	assert_null(idmap_get(&m, 3));

	/* Remove every other key; the rest must stay reachable (backward-shift deletion). */
	for (uint64_t k = 1; k <= 5000; k += 2)
		assert_ptr_equal(idmap_remove(&m, k * 7919), &values[k - 1]);
	assert_int_equal(m.count, 2500);
	for (uint64_t k = 1; k <= 5000; k++)
		if (k % 2)
			assert_null(idmap_get(&m, k * 7919));
		else
			assert_ptr_equal(idmap_get(&m, k * 7919), &values[k - 1]);
	assert_null(idmap_remove(&m, 1));

	/* Replacing keeps the count. */
	assert_int_equal(idmap_put(&m, 2 * 7919, &values[0]), 0);
	assert_int_equal(m.count, 2500);
	assert_ptr_equal(idmap_get(&m, 2 * 7919), &values[0]);

	size_t iter = 0, seen = 0;
	uint64_t key;
	void *v;
	while (idmap_next(&m, &iter, &key, &v)) {
		assert_int_equal(key % (2 * 7919), 0);
		seen++;
	}
	assert_int_equal(seen, 2500);
	idmap_done(&m);
	assert_null(idmap_get(&m, 2 * 7919));
}

static void test_hex(void **state)
{
	uint8_t data[] = { 0x00, 0x01, 0xab, 0xff };
	uint8_t *out;
	size_t n;
	char *s = hex_encode(data, sizeof(data));

	assert_string_equal(s, "0001abff");
	assert_int_equal(hex_decode(s, &out, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, data, 4);
	free(out);
	free(s);
	assert_int_equal(hex_decode("ABcd", &out, &n), 0);
	assert_int_equal(out[0], 0xab);
	free(out);
	assert_int_equal(hex_decode("abc", &out, &n), -EINVAL);
	assert_int_equal(hex_decode("zz", &out, &n), -EINVAL);
	assert_int_equal(hex_decode("", &out, &n), 0);
	assert_int_equal(n, 0);
	free(out);
}

static void test_jmsg(void **state)
{
	int sv[2];
	struct json_object *o = json_object_new_object(), *got = NULL;
	uint32_t u;
	bool b;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	json_object_object_add(o, "op", json_object_new_string("online"));
	json_object_object_add(o, "id", json_object_new_int64(4294967295));
	json_object_object_add(o, "neg", json_object_new_int(-1));
	json_object_object_add(o, "flag", json_object_new_boolean(true));
	assert_int_equal(jmsg_send(sv[0], o), 0);
	assert_int_equal(jmsg_recv(sv[1], &got), 1);
	assert_string_equal(jmsg_get_str(got, "op"), "online");
	assert_true(jmsg_get_u32(got, "id", &u));
	assert_int_equal(u, 4294967295u);
	assert_false(jmsg_get_u32(got, "neg", &u)); /* out of range */
	assert_false(jmsg_get_u32(got, "op", &u));  /* wrong type */
	assert_false(jmsg_get_u32(got, "missing", &u));
	assert_true(jmsg_get_bool(got, "flag", &b));
	assert_true(b);
	assert_null(jmsg_get_str(got, "id"));
	json_object_put(got);

	/* Malformed datagrams are consumed and reported, never half-parsed. */
	static const char *const bad[] = { "{\"op\":", "[1,2]", "42", "{} {}", "{\"a\":1}x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(send(sv[0], bad[i], strlen(bad[i]), 0), (ssize_t) strlen(bad[i]));
		assert_int_equal(jmsg_recv(sv[1], &got), -EBADMSG);
	}
	/* Oversized: more than JMSG_MAX bytes. */
	char *big = malloc(JMSG_MAX + 100);
	memset(big, ' ', JMSG_MAX + 100);
	big[0] = '{';
	big[JMSG_MAX + 99] = '}';
	assert_int_equal(send(sv[0], big, JMSG_MAX + 100, 0), JMSG_MAX + 100);
	assert_int_equal(jmsg_recv(sv[1], &got), -EBADMSG);
	free(big);

	close(sv[0]);
	assert_int_equal(jmsg_recv(sv[1], &got), 0); /* EOF */
	close(sv[1]);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idmap_put_get_remove),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_jmsg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
