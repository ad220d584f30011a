/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port I/O and MMIO dispatch. Devices register ranges with an access
 * callback at VM setup; vCPU threads look them up on every exit. The table
 * is fixed once the vCPUs run, so lookups take no lock; each device locks
 * its own state.
 */
#ifndef WIRT_VMM_BUS_H
#define WIRT_VMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * An access of size 1, 2, 4 or 8 bytes at addr (offset from the range base
 * in off). data holds the value to write, or receives the value read.
 */
typedef void (*bus_access_fn)(void *opaque, uint64_t off, uint8_t *data,
			      unsigned int size, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_access_fn fn;
	void *opaque;
	const char *name;
};

#define BUS_MAX_RANGES 64

struct bus {
	struct bus_range r[BUS_MAX_RANGES];
	unsigned int n;
};

/*
 * bus_register - add [base, base+len) to the bus. Returns 0, -EEXIST when
 * it overlaps a registered range, -ENOSPC when the table is full.
 */
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_access_fn fn,
		 void *opaque, const char *name);

/*
 * bus_access - dispatch one access. Returns true when a device handled it;
 * unclaimed reads return all ones, unclaimed writes are dropped.
 */
bool bus_access(const struct bus *b, uint64_t addr, uint8_t *data,
		unsigned int size, bool is_write);

#endif
