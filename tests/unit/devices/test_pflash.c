// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the CFI flash: OVMF's detection sequence, byte program,
 * block erase, status, CFI query, read-only flash, bad sequences and
 * ranges, read-array callbacks, save/load.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/firmware/pflash.h"

#define SIZE 0x4000
#define BLOCK 0x1000

static uint8_t mem[SIZE], view[SIZE];
static int syncs;
static size_t sync_off, sync_len;

/* Whether every byte of the view is v. */
static bool view_all(uint8_t v)
{
	for (size_t i = 0; i < SIZE; i++)
		if (view[i] != v)
			return false;
	return true;
}

static void on_sync(void *opaque, size_t off, size_t len)
{
	(void)opaque;
	syncs++;
	sync_off = off;
	sync_len = len;
}

static void setup(struct pflash *f, bool ro)
{
	memset(mem, 0xa5, sizeof(mem));
	memset(view, 0x33, sizeof(view));
	assert_int_equal(pflash_init(f, mem, view, SIZE, BLOCK, ro), 0);
	assert_memory_equal(view, mem, SIZE);
	f->sync = on_sync;
	syncs = 0;
}

static void wr(struct pflash *f, uint64_t off, uint8_t v)
{
	pflash_access(f, off, &v, 1, true);
}

static uint8_t rd(struct pflash *f, uint64_t off)
{
	uint8_t v = 0x33;

	pflash_access(f, off, &v, 1, false);
	return v;
}

/* What OVMF's QemuFlashDetected does must conclude "FLASH". */
static void test_ovmf_detection(void **state)
{
	struct pflash f;
	uint8_t orig;

	(void)state;
	setup(&f, false);
	orig = rd(&f, 0);
	assert_int_equal(orig, 0xa5);
	wr(&f, 0, 0x50); /* clear status: stays in read array */
	assert_int_equal(rd(&f, 0), orig);
	assert_true(pflash_romd(&f));
	wr(&f, 0, 0x70); /* read status */
	assert_false(pflash_romd(&f));
	assert_int_equal(rd(&f, 0), 0x00);
	assert_true(view_all(0x00)); /* what reads that do not exit see */
	wr(&f, 0, 0xff);
	assert_true(pflash_romd(&f));
	assert_int_equal(rd(&f, 0), orig);
	assert_memory_equal(view, mem, SIZE);
	assert_int_equal(mem[0], orig);
}

static void test_program_and_erase(void **state)
{
	struct pflash f;

	(void)state;
	setup(&f, false);
	wr(&f, 0x1234, 0x10);
	wr(&f, 0x1234, 0x42);
	assert_int_equal(mem[0x1234], 0x42);
	assert_int_equal(rd(&f, 0x1234), 0x80); /* status: ready */
	assert_true(view_all(0x80));
	wr(&f, 0x1235, 0x40);
	wr(&f, 0x1235, 0x43);
	assert_int_equal(mem[0x1235], 0x43);
	assert_int_equal(syncs, 0);
	wr(&f, 0x1235, 0xff);
	assert_int_equal(syncs, 1);
	assert_int_equal(sync_off, 0x1234); /* the two bytes programmed */
	assert_int_equal(sync_len, 2);
	assert_int_equal(view[0x1234], 0x42);
	assert_int_equal(view[0x1235], 0x43);
	assert_int_equal(rd(&f, 0x1234), 0x42);
	/* erase the block holding 0x1234: only that block */
	wr(&f, 0x1800, 0x20);
	wr(&f, 0x1800, 0xd0);
	assert_int_equal(mem[0x1000], 0xff);
	assert_int_equal(mem[0x1234], 0xff);
	assert_int_equal(mem[0x1fff], 0xff);
	assert_int_equal(mem[0x0fff], 0xa5);
	assert_int_equal(mem[0x2000], 0xa5);
	assert_int_equal(rd(&f, 0), 0x80);
	wr(&f, 0, 0xff);
	assert_int_equal(syncs, 2);
	assert_int_equal(sync_off, 0x1000); /* the erased block */
	assert_int_equal(sync_len, BLOCK);
	/* a wider program writes every byte */
	uint8_t w[4] = { 1, 2, 3, 4 };

	wr(&f, 0x3ffc, 0x10);
	pflash_access(&f, 0x3ffc, w, 4, true);
	assert_memory_equal(mem + 0x3ffc, w, 4);
}

static void test_readonly(void **state)
{
	struct pflash f;

	(void)state;
	setup(&f, true);
	wr(&f, 0x10, 0x10);
	wr(&f, 0x10, 0x00);
	assert_int_equal(mem[0x10], 0xa5);
	assert_int_equal(rd(&f, 0x10), 0x80 | PFLASH_STATUS_PROGRAM_ERR);
	wr(&f, 0, 0x20);
	wr(&f, 0, 0xd0);
	assert_int_equal(mem[0], 0xa5);
	assert_int_equal(rd(&f, 0) & PFLASH_STATUS_ERASE_ERR,
			 PFLASH_STATUS_ERASE_ERR);
	wr(&f, 0, 0x50);
	wr(&f, 0, 0x70);
	assert_int_equal(rd(&f, 0), 0);
	wr(&f, 0, 0xff);
	assert_int_equal(syncs, 0);
}

static void test_query_and_id(void **state)
{
	struct pflash f;

	(void)state;
	setup(&f, false);
	wr(&f, 0x55, 0x98);
	assert_int_equal(view[0x10], 'Q');
	assert_int_equal(view[0x2c], 1);
	assert_int_equal(rd(&f, 0x10), 'Q');
	assert_int_equal(rd(&f, 0x11), 'R');
	assert_int_equal(rd(&f, 0x12), 'Y');
	assert_int_equal(rd(&f, 0x27), 14); /* 2^14 = 16 KiB */
	assert_int_equal(rd(&f, 0x2c), 1);
	assert_int_equal(rd(&f, 0x2d), SIZE / BLOCK - 1);
	assert_int_equal(rd(&f, 0x2f), (BLOCK >> 8) & 0xff);
	assert_int_equal(rd(&f, 0x30), BLOCK >> 16);
	assert_int_equal(rd(&f, 0x200), 0);
	wr(&f, 0, 0x90);
	assert_int_equal(view[2], 0x89);
	assert_int_equal(view[3], 0x18);
	assert_int_equal(rd(&f, 0), 0x89);
	assert_int_equal(rd(&f, 1), 0x18);
	wr(&f, 0, 0xf0);
	assert_int_equal(rd(&f, 0x10), 0xa5);
}

static void test_bad_input(void **state)
{
	struct pflash f;
	uint8_t v[8];

	(void)state;
	assert_int_equal(pflash_init(&f, mem, NULL, SIZE, 3000, false),
			 -EINVAL);
	assert_int_equal(pflash_init(&f, mem, NULL, SIZE, 0, false), -EINVAL);
	setup(&f, false);
	/* outside the device: reads all ones, writes change nothing */
	memset(v, 0, sizeof(v));
	pflash_access(&f, SIZE, v, 1, false);
	assert_int_equal(v[0], 0xff);
	pflash_access(&f, SIZE - 2, v, 4, false);
	assert_int_equal(v[3], 0xff);
	wr(&f, SIZE, 0x10);
	assert_true(pflash_romd(&f));
	pflash_access(&f, UINT64_MAX, v, 8, true);
	assert_true(pflash_romd(&f));
	/* an erase without its confirmation erases nothing */
	wr(&f, 0, 0x20);
	wr(&f, 0, 0x33);
	assert_true(pflash_romd(&f));
	assert_int_equal(mem[0], 0xa5);
	/* an unknown command is read array */
	wr(&f, 0, 0x12);
	assert_true(pflash_romd(&f));
	assert_int_equal(rd(&f, 0), 0xa5);
	/* a program that would leave the device writes nothing */
	wr(&f, SIZE - 2, 0x10);
	pflash_access(&f, SIZE - 2, v, 4, true);
	assert_int_equal(mem[SIZE - 1], 0xa5);
}

static void test_save_load(void **state)
{
	struct pflash f, g;
	uint8_t buf[PFLASH_STATE_LEN];

	(void)state;
	setup(&f, false);
	wr(&f, 0, 0x20); /* erase, waiting for the confirmation */
	pflash_save(&f, buf);
	setup(&g, false);
	assert_int_equal(pflash_load(&g, buf, sizeof(buf)), 0);
	assert_false(pflash_romd(&g));
	assert_true(view_all(0x80)); /* the restored mode shows */
	wr(&g, 0, 0xd0);
	assert_int_equal(mem[0], 0xff);
	/* bad values from a file */
	uint8_t bad[][PFLASH_STATE_LEN] = {
		{ 0x33, 0, 0x80, 0 }, /* not a command */
		{ 0x70, 1, 0x80, 0 }, /* status has no second cycle */
		{ 0x10, 2, 0x80, 0 }, /* no third cycle */
		{ 0xff, 0, 0x80, 0 }, /* read array is saved as 0 */
		{ 0x00, 0, 0x80, 1 }, /* reserved byte */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pflash_load(&g, bad[i], PFLASH_STATE_LEN),
				 -EINVAL);
	assert_int_equal(pflash_load(&g, buf, 3), -EINVAL);
	pflash_reset(&g);
	assert_true(pflash_romd(&g));
	assert_int_equal(rd(&g, 0), 0xff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ovmf_detection),
		cmocka_unit_test(test_program_and_erase),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_query_and_id),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_save_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
