/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Encodes size bytes as lowercase hex. Returns a new NUL-terminated string (caller frees), or
 * NULL on allocation failure. */
char *hex_encode(const void *data, size_t size);

/* Decodes a hex string. Returns 0 and a new buffer in *ret (caller frees; non-NULL even for an
 * empty string) with its size in *ret_size, -EINVAL for odd length or a non-hex digit, or
 * -ENOMEM. */
int hex_decode(const char *hex, uint8_t **ret, size_t *ret_size);
