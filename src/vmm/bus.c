// SPDX-License-Identifier: GPL-2.0-or-later
/* Port I/O and MMIO dispatch tables. */
#include "vmm/bus.h"

#include <errno.h>
#include <string.h>

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_access_fn fn,
		 void *opaque, const char *name)
{
	unsigned int i;

	if (!len || base + len < base)
		return -EINVAL;
	for (i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->r[i];

		if (base < r->base + r->len && r->base < base + len)
			return -EEXIST;
	}
	if (b->n == BUS_MAX_RANGES)
		return -ENOSPC;
	b->r[b->n++] = (struct bus_range){ base, len, fn, opaque, name };
	return 0;
}

bool bus_access(const struct bus *b, uint64_t addr, uint8_t *data,
		unsigned int size, bool is_write)
{
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->r[i];

		if (addr >= r->base && addr - r->base < r->len) {
			r->fn(r->opaque, addr - r->base, data, size, is_write);
			return true;
		}
	}
	if (!is_write)
		memset(data, 0xff, size);
	return false;
}
