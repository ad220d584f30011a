/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A CFI parallel flash (Intel command set, 8 bits wide) as QEMU's
 * pflash-cfi01 behaves, the device UEFI firmware (OVMF) keeps its code
 * and its variable store in. Commands: read array (0xff, 0xf0), read
 * status (0x70), clear status (0x50), byte program (0x10, 0x40 + data),
 * block erase (0x20 + 0xd0), read identifier (0x90), CFI query (0x98).
 * The contents live in host memory (mem). Guest reads that do not exit
 * see the view, a second buffer that the VMM maps into the guest as a
 * read-only KVM slot and pflash keeps showing what a read returns in the
 * current mode: the contents in read-array mode, the status register,
 * identifier or query data in the others (so the slot never changes:
 * no memory slot updates at run time). Writes (exits) reach
 * pflash_access. No KVM here; the owner gets a callback when changed
 * contents should reach their file.
 */
#ifndef WIRT_VMM_PFLASH_H
#define WIRT_VMM_PFLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PFLASH_STATE_LEN 4
/* status register bits */
#define PFLASH_STATUS_READY 0x80
#define PFLASH_STATUS_ERASE_ERR 0x20
#define PFLASH_STATUS_PROGRAM_ERR 0x10

struct pflash {
	uint8_t *mem; /* size bytes, the flash contents */
	uint8_t *view; /* size bytes that guest reads see, or NULL */
	uint8_t view_cmd, view_status; /* the mode the view shows */
	size_t size;
	size_t block; /* erase block size, a power of two dividing size */
	bool ro; /* program and erase fail (the code image) */
	uint8_t cmd; /* 0: read array, else the command being served */
	uint8_t wcycle; /* 1: the command waits for its second write */
	uint8_t status;
	bool dirty; /* contents changed since the last sync ... */
	size_t dirty_lo, dirty_hi; /* ... in [dirty_lo, dirty_hi) */
	/* write the changed bytes [off, off+len) to stable storage; may be NULL */
	void (*sync)(void *opaque, size_t off, size_t len);
	void *opaque;
};

/*
 * pflash_init - a flash of size bytes at mem (erase blocks of block
 * bytes) shown through view (size bytes, may be NULL: every read exits),
 * in read-array mode with a ready status. Returns 0, or -EINVAL when
 * block is not a power of two dividing size.
 */
int pflash_init(struct pflash *f, uint8_t *mem, uint8_t *view, size_t size,
		size_t block, bool ro);

/*
 * pflash_access - a guest access of size bytes (1, 2, 4 or 8) at offset
 * off; the bus callback. Out-of-range accesses and invalid command
 * sequences are ignored (reads give 0xff, a bad sequence returns the
 * flash to read-array mode, as QEMU's does).
 */
void pflash_access(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
		   bool wr);

/* Whether reads return the contents (read-array mode). */
bool pflash_romd(const struct pflash *f);

/* pflash_reset - power-on state: read array, status ready; syncs. */
void pflash_reset(struct pflash *f);

/* pflash_save - the mode registers into buf (PFLASH_STATE_LEN bytes). */
void pflash_save(const struct pflash *f, uint8_t *buf);

/*
 * pflash_load - restore what pflash_save wrote; the values come from a
 * file and are checked. Returns 0 or -EINVAL (the flash is unchanged).
 */
int pflash_load(struct pflash *f, const uint8_t *buf, size_t len);

#endif
