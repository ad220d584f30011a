// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the ATAPI CD-ROM command layer (vmm/sata/atapi.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/sata/atapi.h"

static uint8_t buf[ATAPI_REPLY_MAX];

/* Run cdb (the given bytes, zero-padded to 12) on a. */
static struct atapi_result run(struct atapi *a, const uint8_t *cdb, size_t n)
{
	uint8_t c[ATAPI_CDB_LEN] = { 0 };
	struct atapi_result res;

	memcpy(c, cdb, n);
	memset(buf, 0xee, sizeof(buf));
	atapi_exec(a, c, buf, &res);
	return res;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void assert_sense(struct atapi *a, uint8_t key, uint8_t asc)
{
	const uint8_t rs[] = { 0x03, 0, 0, 0, 18 };
	struct atapi_result res = run(a, rs, sizeof(rs));

	assert_false(res.check);
	assert_int_equal(res.len, 18);
	assert_int_equal(buf[0], 0x70);
	assert_int_equal(buf[2], key);
	assert_int_equal(buf[12], asc);
	/* read once: cleared */
	res = run(a, rs, sizeof(rs));
	assert_int_equal(buf[2], 0);
	assert_int_equal(buf[12], 0);
}

static void test_identify(void **state)
{
	struct atapi a;
	uint8_t id[ATAPI_IDENTIFY_LEN];

	(void)state;
	atapi_init(&a, 1000);
	atapi_identify(&a, id);
	assert_int_equal(id[0] | id[1] << 8, 0x85c0);
	/* type 5 (CD-ROM) where SeaBIOS looks: bits 8-12 of word 0 */
	assert_int_equal((id[1]) & 0x1f, 5);
	/* the model, byte-swapped per word as ATA strings are */
	assert_memory_equal(id + 54, "IWTRC -DOR M", 12);
	assert_int_equal(id[49 * 2 + 1] & 0x03, 0x03); /* LBA, DMA */
}

static void test_tur_capacity(void **state)
{
	const uint8_t tur[] = { 0x00 }, cap[] = { 0x25 };
	struct atapi a;
	struct atapi_result res;

	(void)state;
	atapi_init(&a, 1000);
	res = run(&a, tur, sizeof(tur));
	assert_false(res.check);
	assert_int_equal(res.len, 0);
	res = run(&a, cap, sizeof(cap));
	assert_false(res.check);
	assert_int_equal(res.len, 8);
	assert_int_equal(be32(buf), 999);
	assert_int_equal(be32(buf + 4), 2048);
}

static void test_read_ranges(void **state)
{
	const uint8_t r10[] = { 0x28, 0, 0, 0, 0x03, 0xde, 0, 0, 10 };
	const uint8_t r10_past[] = { 0x28, 0, 0, 0, 0x03, 0xdf, 0, 0, 10 };
	const uint8_t r12_huge[] = {
		0xa8, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff
	};
	const uint8_t r10_far[] = { 0x28, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 1 };
	struct atapi a;
	struct atapi_result res;

	(void)state;
	atapi_init(&a, 1000);
	res = run(&a, r10, sizeof(r10)); /* 990..999: the last block */
	assert_false(res.check);
	assert_int_equal(res.read_lba, 990);
	assert_int_equal(res.read_blocks, 10);
	res = run(&a, r10_past, sizeof(r10_past));
	assert_true(res.check);
	assert_int_equal(res.read_blocks, 0);
	assert_sense(&a, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	res = run(&a, r12_huge, sizeof(r12_huge));
	assert_true(res.check);
	res = run(&a, r10_far, sizeof(r10_far));
	assert_true(res.check);
	assert_sense(&a, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
}

static void test_inquiry_unknown(void **state)
{
	const uint8_t inq[] = { 0x12, 0, 0, 0, 5 },
		      evpd[] = { 0x12, 1, 0, 0, 36 };
	const uint8_t bad[] = { 0xff };
	struct atapi a;
	struct atapi_result res;

	(void)state;
	atapi_init(&a, 1000);
	res = run(&a, inq, sizeof(inq));
	assert_false(res.check);
	assert_int_equal(res.len, 5); /* the allocation length */
	assert_int_equal(buf[0], 0x05);
	assert_int_equal(buf[1], 0x80);
	res = run(&a, evpd, sizeof(evpd));
	assert_true(res.check);
	assert_sense(&a, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
	res = run(&a, bad, sizeof(bad));
	assert_true(res.check);
	assert_sense(&a, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
}

static void test_toc(void **state)
{
	const uint8_t toc[] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 100 };
	const uint8_t toc_msf[] = { 0x43, 2, 0, 0, 0, 0, 0, 0, 100 };
	const uint8_t sess[] = { 0x43, 0, 1, 0, 0, 0, 0, 0, 100 };
	const uint8_t bad[] = { 0x43, 0, 0, 0, 0, 0, 5, 0, 100 };
	struct atapi a;
	struct atapi_result res;

	(void)state;
	atapi_init(&a, 1000);
	res = run(&a, toc, sizeof(toc));
	assert_false(res.check);
	assert_int_equal(res.len, 20);
	assert_int_equal(buf[0] << 8 | buf[1], 18);
	assert_int_equal(buf[6], 1); /* track 1 */
	assert_int_equal(be32(buf + 8), 0);
	assert_int_equal(buf[14], 0xaa); /* lead-out */
	assert_int_equal(be32(buf + 16), 1000);
	res = run(&a, toc_msf, sizeof(toc_msf));
	/* 1000 + 150 frames = 0:15:25 */
	assert_int_equal(buf[17], 0);
	assert_int_equal(buf[18], 15);
	assert_int_equal(buf[19], 25);
	res = run(&a, sess, sizeof(sess));
	assert_false(res.check);
	assert_int_equal(res.len, 12);
	res = run(&a, bad, sizeof(bad));
	assert_true(res.check);
}

static void test_configuration(void **state)
{
	const uint8_t all[] = { 0x46, 0, 0, 0, 0, 0, 0, 0, 200 };
	const uint8_t core[] = { 0x46, 2, 0, 1, 0, 0, 0, 0, 200 };
	struct atapi a;
	struct atapi_result res;

	(void)state;
	atapi_init(&a, 1000);
	res = run(&a, all, sizeof(all));
	assert_false(res.check);
	assert_int_equal(res.len, 40);
	assert_int_equal(be32(buf), 36);
	assert_int_equal(buf[6] << 8 | buf[7], 0x0008); /* CD-ROM */
	res = run(&a, core, sizeof(core));
	assert_int_equal(res.len, 20);
	assert_int_equal(buf[8] << 8 | buf[9], 1);
	assert_int_equal(be32(buf + 12), 2); /* ATAPI */
	atapi_init(&a, 2000000);
	res = run(&a, all, sizeof(all));
	assert_int_equal(buf[6] << 8 | buf[7], 0x0010); /* DVD-ROM */
}

static void test_events_mode_lock(void **state)
{
	const uint8_t gesn[] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };
	const uint8_t async[] = { 0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8 };
	const uint8_t caps[] = { 0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 100 };
	const uint8_t saved[] = { 0x5a, 0, 0xea, 0, 0, 0, 0, 0, 100 };
	const uint8_t lock[] = { 0x1e, 0, 0, 0, 1 };
	struct atapi a;
	struct atapi_result res;

	(void)state;
	atapi_init(&a, 1000);
	res = run(&a, gesn, sizeof(gesn));
	assert_false(res.check);
	assert_int_equal(res.len, 8);
	assert_int_equal(buf[2], 4); /* media class */
	assert_int_equal(buf[5], 2); /* present */
	res = run(&a, async, sizeof(async));
	assert_true(res.check);
	res = run(&a, caps, sizeof(caps));
	assert_false(res.check);
	assert_int_equal(res.len, 36);
	assert_int_equal(buf[8], 0x2a);
	assert_int_equal(buf[8 + 6] & 2, 0);
	res = run(&a, lock, sizeof(lock));
	assert_true(a.locked);
	res = run(&a, caps, sizeof(caps));
	assert_int_equal(buf[8 + 6] & 2, 2);
	res = run(&a, saved, sizeof(saved));
	assert_true(res.check);
	assert_sense(&a, SENSE_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED);
	atapi_reset(&a);
	assert_false(a.locked);
}

/* Eject (refused while locked unless forced), no medium, a new one. */
static void test_media_change(void **state)
{
	const uint8_t tur[] = { 0x00 }, cap[] = { 0x25 };
	const uint8_t inq[] = { 0x12, 0, 0, 0, 36 };
	const uint8_t gesn[] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };
	const uint8_t lock[] = { 0x1e, 0, 0, 0, 1 };
	struct atapi a;
	struct atapi_result res;

	(void)state;
	atapi_init(&a, 1000);
	run(&a, lock, sizeof(lock));
	assert_int_equal(atapi_eject(&a, false), -EBUSY);
	assert_true(a.present);
	assert_int_equal(atapi_eject(&a, true), 0);
	/* INQUIRY passes, the next command sees the unit attention once */
	res = run(&a, inq, sizeof(inq));
	assert_false(res.check);
	res = run(&a, tur, sizeof(tur));
	assert_true(res.check);
	assert_int_equal(a.sense_key, SENSE_UNIT_ATTENTION);
	assert_int_equal(a.asc, ASC_MEDIUM_CHANGED);
	res = run(&a, tur, sizeof(tur));
	assert_true(res.check);
	assert_sense(&a, SENSE_NOT_READY, ASC_NO_MEDIUM);
	res = run(&a, gesn, sizeof(gesn));
	assert_int_equal(buf[4], 3); /* media removal, once */
	assert_int_equal(buf[5], 1); /* tray open, no medium */
	res = run(&a, gesn, sizeof(gesn));
	assert_int_equal(buf[4], 0);
	/* a reset keeps the tray empty */
	atapi_reset(&a);
	res = run(&a, cap, sizeof(cap));
	assert_true(res.check);
	atapi_insert(&a, 500);
	res = run(&a, cap, sizeof(cap));
	assert_true(res.check);
	assert_int_equal(a.sense_key, SENSE_UNIT_ATTENTION);
	res = run(&a, cap, sizeof(cap));
	assert_false(res.check);
	assert_int_equal(be32(buf), 499);
	res = run(&a, gesn, sizeof(gesn));
	assert_int_equal(buf[4], 2); /* new media */
	assert_int_equal(buf[5], 2);
}

/* An empty drive (--cdrom none): no medium from power-on, no unit
 * attention for it, tray open; a medium loaded later reads. */
static void test_empty_drive(void **state)
{
	const uint8_t tur[] = { 0x00 }, cap[] = { 0x25 };
	const uint8_t gesn[] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };
	struct atapi a;
	struct atapi_result res;

	(void)state;
	atapi_init(&a, 0);
	assert_false(a.present);
	res = run(&a, tur, sizeof(tur));
	assert_true(res.check);
	assert_sense(&a, SENSE_NOT_READY, ASC_NO_MEDIUM);
	res = run(&a, gesn, sizeof(gesn));
	assert_int_equal(buf[4], 0); /* no event */
	assert_int_equal(buf[5], 1); /* tray open, no medium */
	atapi_insert(&a, 64);
	run(&a, cap, sizeof(cap)); /* the unit attention */
	res = run(&a, cap, sizeof(cap));
	assert_false(res.check);
	assert_int_equal(be32(buf), 63);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_tur_capacity),
		cmocka_unit_test(test_read_ranges),
		cmocka_unit_test(test_inquiry_unknown),
		cmocka_unit_test(test_toc),
		cmocka_unit_test(test_configuration),
		cmocka_unit_test(test_events_mode_lock),
		cmocka_unit_test(test_media_change),
		cmocka_unit_test(test_empty_drive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
