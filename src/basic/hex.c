/* SPDX-License-Identifier: MIT */
#include "hex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *hex_encode(const void *data, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = data;
	char *s = malloc(size * 2 + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < size; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[size * 2] = '\0';
	return s;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *hex, uint8_t **ret, size_t *ret_size)
{
	size_t n = strlen(hex);
	uint8_t *buf;

	if (n % 2)
		return -EINVAL;
	buf = malloc(n / 2 + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = unhex(hex[2 * i]), lo = unhex(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(buf);
			return -EINVAL;
		}
		buf[i] = (uint8_t) (hi << 4 | lo);
	}
	*ret = buf;
	*ret_size = n / 2;
	return 0;
}
