/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A CFI parallel flash (Intel command set, 8 bits wide) as QEMU's
 * pflash-cfi01 behaves, the device UEFI firmware (OVMF) keeps its code
 * and its variable store in. The contents live in host memory that the
 * VMM also maps into the guest read-only while the flash is in read-array
 * mode; every write (and, out of read-array mode, every read) reaches
 * pflash_access. Commands: read array (0xff, 0xf0), read status (0x70),
 * clear status (0x50), byte program (0x10, 0x40 + data), block erase
 * (0x20 + 0xd0), read identifier (0x90), CFI query (0x98). No KVM here:
 * the owner gets callbacks when read-array mode turns on or off and when
 * changed contents should reach their file.
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
	size_t size;
	size_t block; /* erase block size, a power of two dividing size */
	bool ro; /* program and erase fail (the code image) */
	uint8_t cmd; /* 0: read array, else the command being served */
	uint8_t wcycle; /* 1: the command waits for its second write */
	uint8_t status;
	bool dirty; /* contents changed since the last sync ... */
	size_t dirty_lo, dirty_hi; /* ... in [dirty_lo, dirty_hi) */
	/* read-array mode turned on (romd true) or off; may be NULL */
	void (*set_romd)(void *opaque, bool romd);
	/* write the changed bytes [off, off+len) to stable storage; may be NULL */
	void (*sync)(void *opaque, size_t off, size_t len);
	void *opaque;
};

/*
 * pflash_init - a flash of size bytes at mem (erase blocks of block
 * bytes), in read-array mode with a ready status. Returns 0, or -EINVAL
 * when block is not a power of two dividing size.
 */
int pflash_init(struct pflash *f, uint8_t *mem, size_t size, size_t block,
		bool ro);

/*
 * pflash_access - a guest access of size bytes (1, 2, 4 or 8) at offset
 * off; the bus callback. Out-of-range accesses and invalid command
 * sequences are ignored (reads give 0xff, a bad sequence returns the
 * flash to read-array mode, as QEMU's does).
 */
void pflash_access(void *opaque, uint64_t off, uint8_t *data, unsigned int size,
		   bool wr);

/* Whether reads are served from the contents (read-array mode). */
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
