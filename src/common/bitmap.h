/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An in-memory dirty bitmap over a byte range (a virtual disk): one bit per
 * granule of @granularity bytes (a power of two).  Byte ranges are given to
 * every call; a range marks every granule it touches.  Not locked: callers
 * that share one serialize their calls.
 */
#ifndef WIRT_COMMON_BITMAP_H
#define WIRT_COMMON_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

struct bitmap {
	uint64_t size; /* bytes covered */
	uint64_t granularity; /* bytes per bit, a power of two */
	unsigned int gran_bits; /* log2(granularity) */
	uint64_t nbits; /* granules: ceil(size / granularity) */
	uint64_t count; /* bits set */
	uint64_t *words; /* nbits bits, bit i of word i / 64 is granule i */
};

/* The most bytes of bits a bitmap may hold (512 MiB, QEMU's limit too). */
#define BITMAP_MAX_BYTES (512ULL << 20)

/*
 * bitmap_new - an empty bitmap over @size bytes at @granularity (a power of
 * two from 512 B to 2 GiB).  Returns it, or NULL with errno EINVAL (bad
 * granularity), EFBIG (more than BITMAP_MAX_BYTES of bits) or ENOMEM.
 */
struct bitmap *bitmap_new(uint64_t size, uint64_t granularity);
/* bitmap_free - free @bm (NULL is fine). */
void bitmap_free(struct bitmap *bm);
/* bitmap_bytes - bytes of bits: ceil(nbits / 8). */
uint64_t bitmap_bytes(const struct bitmap *bm);

/* bitmap_set_range - mark the granules touching [off, off+len) (clipped). */
void bitmap_set_range(struct bitmap *bm, uint64_t off, uint64_t len);
/* bitmap_reset_range - clear the granules touching [off, off+len). */
void bitmap_reset_range(struct bitmap *bm, uint64_t off, uint64_t len);
/* bitmap_clear - clear every bit. */
void bitmap_clear(struct bitmap *bm);
/* bitmap_test - whether the granule holding byte @off is marked. */
bool bitmap_test(const struct bitmap *bm, uint64_t off);
/*
 * bitmap_next_dirty - the byte offset of the first marked granule at or
 * after the granule holding @off, or UINT64_MAX when there is none.
 */
uint64_t bitmap_next_dirty(const struct bitmap *bm, uint64_t off);
/*
 * bitmap_next_clean - the byte offset of the first unmarked granule at or
 * after the granule holding @off, or bm->size when there is none.
 */
uint64_t bitmap_next_clean(const struct bitmap *bm, uint64_t off);
/* bitmap_count - marked granules. */
uint64_t bitmap_count(const struct bitmap *bm);
/*
 * bitmap_merge - mark in @dst every granule marked in @src; both must have
 * the same size and granularity (else -EINVAL).  Returns 0.
 */
int bitmap_merge(struct bitmap *dst, const struct bitmap *src);
/* bitmap_dup - a copy of @bm, or NULL (ENOMEM). */
struct bitmap *bitmap_dup(const struct bitmap *bm);

/*
 * bitmap_get_bytes / bitmap_put_bytes - bits [byte*8, +len*8) as the qcow2
 * bitmap data stores them (bit i of byte j is granule j*8+i); put replaces
 * those bits and recounts.  Bytes past the end read as zero and are
 * ignored on put.
 */
void bitmap_get_bytes(const struct bitmap *bm, uint64_t byte, uint8_t *out,
		      uint64_t len);
void bitmap_put_bytes(struct bitmap *bm, uint64_t byte, const uint8_t *in,
		      uint64_t len);

#endif
