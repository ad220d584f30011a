// SPDX-License-Identifier: GPL-2.0-or-later
/* The fuzz input reader of fuzz.h: fixed-size fields, zeroes past the end. */
#include <string.h>

#include "fuzz.h"

void fin_bytes(struct fin *in, void *buf, size_t len)
{
	size_t n = len < in->n ? len : in->n;

	memcpy(buf, in->p, n);
	memset((uint8_t *)buf + n, 0, len - n);
	in->p += n;
	in->n -= n;
}

uint8_t fin_u8(struct fin *in)
{
	uint8_t v;

	fin_bytes(in, &v, sizeof(v));
	return v;
}

uint16_t fin_u16(struct fin *in)
{
	uint16_t v;

	fin_bytes(in, &v, sizeof(v));
	return v;
}

uint32_t fin_u32(struct fin *in)
{
	uint32_t v;

	fin_bytes(in, &v, sizeof(v));
	return v;
}

uint64_t fin_u64(struct fin *in)
{
	uint64_t v;

	fin_bytes(in, &v, sizeof(v));
	return v;
}
