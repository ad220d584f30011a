// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for src/common/bitmap.c: against a one-byte-per-granule model
 * under random set/reset ranges, plus the edges (partial last granule,
 * word boundaries, the qcow2 byte layout, bad granularities).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/bitmap.h"

/* Compare @bm with model @m of @n granules: test, count, iteration. */
static void check_model(const struct bitmap *bm, const uint8_t *m, uint64_t n)
{
	uint64_t cnt = 0, off = 0, seen = 0;

	for (uint64_t i = 0; i < n; i++) {
		cnt += m[i];
		assert_int_equal(bitmap_test(bm, i * bm->granularity), m[i]);
	}
	assert_int_equal(bitmap_count(bm), cnt);
	while ((off = bitmap_next_dirty(bm, off)) != UINT64_MAX) {
		uint64_t end = bitmap_next_clean(bm, off);

		assert_true(end > off);
		for (uint64_t o = off; o < end; o += bm->granularity) {
			assert_int_equal(m[o / bm->granularity], 1);
			seen++;
		}
		if (end < bm->size)
			assert_int_equal(m[end / bm->granularity], 0);
		off = end;
	}
	assert_int_equal(seen, cnt);
}

static void test_random_ops(void **state)
{
	const uint64_t gran = 512, n = 1000; /* not a multiple of 64 */
	uint64_t size = n * gran - 100; /* partial last granule */
	struct bitmap *bm = bitmap_new(size, gran);
	uint8_t *m = calloc(n, 1);

	(void)state;
	assert_non_null(bm);
	assert_int_equal(bm->nbits, n);
	srand(7);
	for (int round = 0; round < 3000; round++) {
		uint64_t off = (uint64_t)rand() % (size + 2000);
		uint64_t len = (uint64_t)rand() % (round % 7 ? 4000 : 200000);
		bool set = rand() % 3;

		if (set)
			bitmap_set_range(bm, off, len);
		else
			bitmap_reset_range(bm, off, len);
		if (len && off < size) {
			uint64_t end = off + len > size ? size : off + len;

			for (uint64_t g = off / gran; g <= (end - 1) / gran;
			     g++)
				m[g] = set;
		}
		if (round % 100 == 0)
			check_model(bm, m, n);
	}
	check_model(bm, m, n);
	bitmap_clear(bm);
	memset(m, 0, n);
	check_model(bm, m, n);
	free(m);
	bitmap_free(bm);
}

static void test_edges(void **state)
{
	struct bitmap *bm = bitmap_new(1ULL << 30, 65536);

	(void)state;
	assert_non_null(bm);
	assert_int_equal(bitmap_next_dirty(bm, 0), UINT64_MAX);
	assert_int_equal(bitmap_next_clean(bm, 0), 0);
	bitmap_set_range(bm, 65535, 2); /* touches granules 0 and 1 */
	assert_int_equal(bitmap_count(bm), 2);
	bitmap_set_range(bm, 64 * 65536 - 1, 1); /* last bit of word 0 */
	bitmap_set_range(bm, 64 * 65536, 1); /* first of word 1 */
	assert_int_equal(bitmap_count(bm), 4);
	assert_int_equal(bitmap_next_dirty(bm, 2 * 65536), 63 * 65536);
	assert_int_equal(bitmap_next_clean(bm, 63 * 65536), 65 * 65536);
	bitmap_set_range(bm, 1ULL << 30, 4096); /* past the end: nothing */
	bitmap_set_range(bm, 0, 0);
	assert_int_equal(bitmap_count(bm), 4);
	bitmap_set_range(bm, 0, UINT64_MAX); /* clipped, no overflow */
	assert_int_equal(bitmap_count(bm), 16384);
	assert_int_equal(bitmap_next_clean(bm, 0), 1ULL << 30);
	bitmap_reset_range(bm, 4096, 1);
	assert_int_equal(bitmap_count(bm), 16383);
	bitmap_free(bm);
}

static void test_bytes_and_merge(void **state)
{
	struct bitmap *a = bitmap_new(20 * 4096, 4096); /* 20 bits */
	struct bitmap *b = bitmap_new(20 * 4096, 4096), *c;
	uint8_t out[4], in[3] = { 0xff, 0xff, 0xff };

	(void)state;
	bitmap_set_range(a, 0, 1);
	bitmap_set_range(a, 9 * 4096, 1);
	bitmap_get_bytes(a, 0, out, 4);
	assert_int_equal(out[0], 0x01); /* granule 0 is bit 0 of byte 0 */
	assert_int_equal(out[1], 0x02); /* granule 9 is bit 1 of byte 1 */
	assert_int_equal(out[2], 0);
	assert_int_equal(out[3], 0);
	bitmap_put_bytes(b, 0, in, 3); /* tail bits past 20 are dropped */
	assert_int_equal(bitmap_count(b), 20);
	bitmap_get_bytes(b, 2, out, 1);
	assert_int_equal(out[0], 0x0f);
	bitmap_reset_range(b, 0, 10 * 4096);
	assert_int_equal(bitmap_merge(b, a), 0);
	assert_int_equal(bitmap_count(b), 12);
	c = bitmap_dup(b);
	assert_int_equal(bitmap_count(c), 12);
	assert_true(bitmap_test(c, 9 * 4096));
	bitmap_free(c);
	c = bitmap_new(20 * 4096, 8192);
	assert_int_equal(bitmap_merge(c, a), -EINVAL);
	bitmap_free(a);
	bitmap_free(b);
	bitmap_free(c);
}

static void test_bad_args(void **state)
{
	(void)state;
	errno = 0;
	assert_null(bitmap_new(1 << 20, 256));
	assert_int_equal(errno, EINVAL);
	assert_null(bitmap_new(1 << 20, 3 * 4096));
	assert_null(bitmap_new(1 << 20, 1ULL << 32));
	errno = 0;
	assert_null(bitmap_new(1ULL << 62, 512)); /* 2^50 bytes of bits */
	assert_int_equal(errno, EFBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_bytes_and_merge),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
