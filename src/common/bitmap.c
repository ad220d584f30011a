// SPDX-License-Identifier: GPL-2.0-or-later
/* In-memory dirty bitmap: set/reset ranges, test, iterate, count. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bitmap.h"

#define GRAN_MIN_BITS 9
#define GRAN_MAX_BITS 31

struct bitmap *bitmap_new(uint64_t size, uint64_t granularity)
{
	struct bitmap *bm;
	uint64_t nbits, words;

	if (granularity < (1ULL << GRAN_MIN_BITS) ||
	    granularity > (1ULL << GRAN_MAX_BITS) ||
	    (granularity & (granularity - 1))) {
		errno = EINVAL;
		return NULL;
	}
	nbits = size / granularity + !!(size % granularity);
	if (nbits / 8 > BITMAP_MAX_BYTES) {
		errno = EFBIG;
		return NULL;
	}
	words = (nbits + 63) / 64;
	bm = calloc(1, sizeof(*bm));
	if (!bm)
		return NULL;
	bm->words = calloc(words ? words : 1, 8);
	if (!bm->words) {
		free(bm);
		errno = ENOMEM;
		return NULL;
	}
	bm->size = size;
	bm->granularity = granularity;
	bm->gran_bits = __builtin_ctzll(granularity);
	bm->nbits = nbits;
	return bm;
}

void bitmap_free(struct bitmap *bm)
{
	if (!bm)
		return;
	free(bm->words);
	free(bm);
}

uint64_t bitmap_bytes(const struct bitmap *bm)
{
	return (bm->nbits + 7) / 8;
}

/* The granules [*first, *end) touching [off, off+len); false if none. */
static bool granules(const struct bitmap *bm, uint64_t off, uint64_t len,
		     uint64_t *first, uint64_t *end)
{
	if (!len || off >= bm->size)
		return false;
	if (len > bm->size - off)
		len = bm->size - off;
	*first = off >> bm->gran_bits;
	*end = ((off + len - 1) >> bm->gran_bits) + 1;
	return true;
}

/* Mask of bits [lo, hi) of one word, 0 <= lo < hi <= 64. */
static uint64_t mask(unsigned int lo, unsigned int hi)
{
	uint64_t m = hi == 64 ? ~0ULL : (1ULL << hi) - 1;

	return m & ~((1ULL << lo) - 1);
}

/* Set (or clear) bits [a, b), keeping the count. */
static void change(struct bitmap *bm, uint64_t a, uint64_t b, bool set)
{
	while (a < b) {
		uint64_t w = a / 64;
		unsigned int lo = a % 64;
		unsigned int hi =
			b - w * 64 >= 64 ? 64 : (unsigned)(b - w * 64);
		uint64_t m = mask(lo, hi), old = bm->words[w];

		if (set) {
			bm->words[w] = old | m;
			bm->count += __builtin_popcountll(m & ~old);
		} else {
			bm->words[w] = old & ~m;
			bm->count -= __builtin_popcountll(m & old);
		}
		a = w * 64 + hi;
	}
}

void bitmap_set_range(struct bitmap *bm, uint64_t off, uint64_t len)
{
	uint64_t a, b;

	if (granules(bm, off, len, &a, &b))
		change(bm, a, b, true);
}

void bitmap_reset_range(struct bitmap *bm, uint64_t off, uint64_t len)
{
	uint64_t a, b;

	if (granules(bm, off, len, &a, &b))
		change(bm, a, b, false);
}

void bitmap_clear(struct bitmap *bm)
{
	memset(bm->words, 0, (bm->nbits + 63) / 64 * 8);
	bm->count = 0;
}

bool bitmap_test(const struct bitmap *bm, uint64_t off)
{
	uint64_t i;

	if (off >= bm->size)
		return false;
	i = off >> bm->gran_bits;
	return bm->words[i / 64] >> (i % 64) & 1;
}

/* First bit at or after @i that equals @want, or nbits. */
static uint64_t find(const struct bitmap *bm, uint64_t i, bool want)
{
	uint64_t nw = (bm->nbits + 63) / 64;

	while (i < bm->nbits) {
		uint64_t w = i / 64;
		uint64_t v = (want ? bm->words[w] : ~bm->words[w]) &
			     mask(i % 64, 64);

		if (v) {
			i = w * 64 + __builtin_ctzll(v);
			return i < bm->nbits ? i : bm->nbits;
		}
		for (w++; w < nw; w++)
			if (want ? bm->words[w] : ~bm->words[w])
				break;
		i = w * 64;
	}
	return bm->nbits;
}

uint64_t bitmap_next_dirty(const struct bitmap *bm, uint64_t off)
{
	uint64_t i;

	if (off >= bm->size)
		return UINT64_MAX;
	i = find(bm, off >> bm->gran_bits, true);
	return i >= bm->nbits ? UINT64_MAX : i << bm->gran_bits;
}

uint64_t bitmap_next_clean(const struct bitmap *bm, uint64_t off)
{
	uint64_t i;

	if (off >= bm->size)
		return bm->size;
	i = find(bm, off >> bm->gran_bits, false);
	return i >= bm->nbits ? bm->size : i << bm->gran_bits;
}

uint64_t bitmap_count(const struct bitmap *bm)
{
	return bm->count;
}

int bitmap_merge(struct bitmap *dst, const struct bitmap *src)
{
	uint64_t nw = (dst->nbits + 63) / 64;

	if (dst->size != src->size || dst->granularity != src->granularity)
		return -EINVAL;
	dst->count = 0;
	for (uint64_t w = 0; w < nw; w++) {
		dst->words[w] |= src->words[w];
		dst->count += __builtin_popcountll(dst->words[w]);
	}
	return 0;
}

struct bitmap *bitmap_dup(const struct bitmap *bm)
{
	struct bitmap *n = bitmap_new(bm->size, bm->granularity);

	if (!n)
		return NULL;
	memcpy(n->words, bm->words, (bm->nbits + 63) / 64 * 8);
	n->count = bm->count;
	return n;
}

void bitmap_get_bytes(const struct bitmap *bm, uint64_t byte, uint8_t *out,
		      uint64_t len)
{
	uint64_t have = bitmap_bytes(bm);

	for (uint64_t i = 0; i < len; i++) {
		uint64_t b = byte + i;

		out[i] = b < have ? (uint8_t)(bm->words[b / 8] >> (b % 8 * 8)) :
				    0;
	}
}

void bitmap_put_bytes(struct bitmap *bm, uint64_t byte, const uint8_t *in,
		      uint64_t len)
{
	uint64_t have = bitmap_bytes(bm), last = bm->nbits % 8;

	for (uint64_t i = 0; i < len && byte + i < have; i++) {
		uint64_t b = byte + i, sh = b % 8 * 8;
		uint8_t v = in[i], old;

		if (b == have - 1 && last) /* bits past nbits stay clear */
			v &= (1U << last) - 1;
		old = (uint8_t)(bm->words[b / 8] >> sh);
		bm->words[b / 8] = (bm->words[b / 8] & ~(0xffULL << sh)) |
				   (uint64_t)v << sh;
		bm->count += __builtin_popcount(v);
		bm->count -= __builtin_popcount(old);
	}
}
