// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SCSI disk command layer (src/vmm/scsi): every opcode served, the
 * sense data of every refusal, CDB field and length checks, transfer
 * lengths against the initiator's buffers, LBA + count overflow, and a
 * logical unit that does not exist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/scsi/scsi.h"

#define BLOCKS 20480ULL /* 10 MiB */

static const struct scsi_lu disk = {
	.nblocks = BLOCKS,
	.vendor = "WIRT",
	.product = "VIRTUAL DISK",
	.revision = "1.0",
	.serial = "SER123",
	.name = "scsi0-hd0",
};

static struct scsi_lu ro_disk(void)
{
	struct scsi_lu l = disk;

	l.readonly = true;
	l.serial = "";
	return l;
}

/* Run cdb (len bytes) on lu with din bytes of data-in room, dout out. */
static struct scsi_cmd *run(const struct scsi_lu *lu, const uint8_t *cdb,
			    size_t len, size_t din, size_t dout)
{
	static struct scsi_cmd c;

	memset(&c, 0xcc, sizeof(c));
	c.cdb = cdb;
	c.cdb_len = len;
	c.in_avail = din;
	c.out_len = dout;
	scsi_disk_exec(lu, &c);
	return &c;
}

/* The command ended GOOD with n data-in bytes and no I/O. */
static void assert_good(const struct scsi_cmd *c, size_t n)
{
	assert_int_equal(c->action, SCSI_ACT_DONE);
	assert_int_equal(c->status, SCSI_GOOD);
	assert_int_equal(c->sense_len, 0);
	assert_int_equal(c->data_len, n);
}

/* CHECK CONDITION with fixed-format sense key/asc. */
static void assert_sense(const struct scsi_cmd *c, uint8_t key, uint8_t asc)
{
	assert_int_equal(c->action, SCSI_ACT_DONE);
	assert_int_equal(c->status, SCSI_CHECK_CONDITION);
	assert_int_equal(c->sense_len, SCSI_SENSE_LEN);
	assert_int_equal(c->sense[0], 0x70);
	assert_int_equal(c->sense[2], key);
	assert_int_equal(c->sense[7], 10);
	assert_int_equal(c->sense[12], asc);
	assert_int_equal(c->sense[13], 0);
	assert_int_equal(c->data_len, 0);
}

static void test_tur_start_stop_prevent(void **state)
{
	uint8_t tur[32] = { SCSI_TEST_UNIT_READY };
	uint8_t ssu[32] = { SCSI_START_STOP_UNIT, 0, 0, 0, 1 };
	uint8_t pam[32] = { SCSI_PREVENT_ALLOW, 0, 0, 0, 1 };

	assert_good(run(&disk, tur, 6, 0, 0), 0);
	assert_good(run(&disk, ssu, 6, 0, 0), 0);
	assert_good(run(&disk, pam, 6, 0, 0), 0);
	/* data-out with a command that takes none */
	assert_int_equal(run(&disk, tur, 6, 0, 512)->action, SCSI_ACT_OVERRUN);
}

static void test_unknown_and_short(void **state)
{
	uint8_t log_sense[32] = { 0x4d };
	uint8_t vendor[32] = { 0xc0 };
	uint8_t group3[32] = { 0x7f };
	uint8_t r16[32] = { SCSI_READ_16 };

	assert_sense(run(&disk, log_sense, 10, 0, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_OPCODE);
	assert_sense(run(&disk, vendor, 32, 0, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_OPCODE);
	assert_sense(run(&disk, group3, 32, 0, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_OPCODE);
	/* a CDB shorter than its opcode's group, and none at all */
	assert_sense(run(&disk, r16, 10, 4096, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
	assert_sense(run(&disk, r16, 0, 0, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_OPCODE);
	assert_sense(run(&disk, NULL, 16, 0, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_OPCODE);
}

static void test_inquiry_standard(void **state)
{
	uint8_t cdb[6] = { SCSI_INQUIRY, 0, 0, 0, 96, 0 };
	struct scsi_cmd *c = run(&disk, cdb, 6, 200, 0);

	assert_good(c, 36);
	assert_int_equal(c->buf[0], 0); /* disk */
	assert_int_equal(c->buf[1], 0); /* not removable */
	assert_int_equal(c->buf[2], 5); /* SPC-3 */
	assert_int_equal(c->buf[3], 0x12);
	assert_int_equal(c->buf[4], 31);
	assert_int_equal(c->buf[7], 0x02); /* CMDQUE */
	assert_memory_equal(c->buf + 8, "WIRT    VIRTUAL DISK    1.0 ", 28);
	/* allocation length and the buffer both truncate */
	assert_good(
		run(&disk, (uint8_t[6]){ SCSI_INQUIRY, 0, 0, 0, 5 }, 6, 200, 0),
		5);
	assert_good(run(&disk, cdb, 6, 10, 0), 10);
	/* CMDDT, a page without EVPD */
	assert_sense(
		run(&disk, (uint8_t[6]){ SCSI_INQUIRY, 2, 0, 0, 96 }, 6, 96, 0),
		SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD);
	assert_sense(run(&disk, (uint8_t[6]){ SCSI_INQUIRY, 0, 0x80, 0, 96 }, 6,
			 96, 0),
		     SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD);
}

/* INQUIRY with EVPD for page: its c (GOOD asserted), length in *n. */
static struct scsi_cmd *vpd(const struct scsi_lu *lu, uint8_t page)
{
	static uint8_t cdb[6];

	memset(cdb, 0, sizeof(cdb));
	cdb[0] = SCSI_INQUIRY;
	cdb[1] = 1;
	cdb[2] = page;
	cdb[4] = 255;
	return run(lu, cdb, 6, 255, 0);
}

static void test_inquiry_vpd(void **state)
{
	struct scsi_lu ro = ro_disk();
	struct scsi_cmd *c;

	c = vpd(&disk, 0x00);
	assert_good(c, 10);
	assert_memory_equal(c->buf, "\0\0\0\6\0\x80\x83\xb0\xb1\xb2", 10);
	c = vpd(&ro, 0x00); /* no serial: no page 0x80 */
	assert_good(c, 9);
	assert_memory_equal(c->buf + 3, "\5\0\x83\xb0\xb1\xb2", 6);
	c = vpd(&disk, 0x80);
	assert_good(c, 10);
	assert_memory_equal(c->buf, "\0\x80\0\6SER123", 10);
	assert_sense(vpd(&ro, 0x80), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
	c = vpd(&disk, 0x83);
	assert_good(c, 4 + 4 + 8 + 9);
	assert_memory_equal(c->buf + 4, "\2\1\0\21WIRT    scsi0-hd0", 21);
	c = vpd(&disk, 0xb0);
	assert_good(c, 64);
	assert_int_equal(c->buf[3], 0x3c);
	assert_int_equal(scsi_be32(c->buf + 8), SCSI_MAX_XFER);
	c = vpd(&disk, 0xb1);
	assert_good(c, 64);
	assert_int_equal(scsi_be16(c->buf + 4), 1); /* non-rotating */
	c = vpd(&disk, 0xb2);
	assert_good(c, 8);
	assert_int_equal(c->buf[5], 0); /* no unmap */
	assert_sense(vpd(&disk, 0x89), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
}

static void test_read_capacity(void **state)
{
	uint8_t rc10[10] = { SCSI_READ_CAPACITY_10 };
	uint8_t rc16[16] = { SCSI_SERVICE_ACTION_IN_16,
			     SCSI_SAI_READ_CAPACITY_16 };
	struct scsi_lu big = disk;
	struct scsi_cmd *c;

	c = run(&disk, rc10, 10, 8, 0);
	assert_good(c, 8);
	assert_int_equal(scsi_be32(c->buf), BLOCKS - 1);
	assert_int_equal(scsi_be32(c->buf + 4), 512);
	big.nblocks = 1ULL << 33; /* 4 TiB: (10) says ffffffff */
	c = run(&big, rc10, 10, 8, 0);
	assert_int_equal(scsi_be32(c->buf), 0xffffffff);
	rc16[13] = 32;
	c = run(&big, rc16, 16, 64, 0);
	assert_good(c, 32);
	assert_int_equal(scsi_be64(c->buf), (1ULL << 33) - 1);
	assert_int_equal(scsi_be32(c->buf + 8), 512);
	rc16[13] = 12; /* allocation length */
	assert_good(run(&big, rc16, 16, 64, 0), 12);
	/* an LBA without PMI; another service action */
	rc10[5] = 1;
	assert_sense(run(&disk, rc10, 10, 8, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
	rc16[1] = 0x11;
	assert_sense(run(&disk, rc16, 16, 32, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
}

static void test_read_write(void **state)
{
	uint8_t r10[10] = { SCSI_READ_10, 0, 0, 0, 0x10, 0, 0, 0, 8, 0 };
	uint8_t w12[12] = { SCSI_WRITE_12, 0, 0, 0, 0, 5, 0, 0, 0, 2 };
	uint8_t r6[6] = { SCSI_READ_6, 0x01, 0x02, 0x03, 0, 0 };
	uint8_t w16[16] = { SCSI_WRITE_16 };
	struct scsi_lu big = disk;
	struct scsi_cmd *c;

	big.nblocks = 1 << 22;
	c = run(&disk, r10, 10, 4096, 0);
	assert_int_equal(c->action, SCSI_ACT_READ);
	assert_int_equal(c->lba, 0x1000);
	assert_int_equal(c->nblocks, 8);
	c = run(&disk, w12, 12, 0, 1024);
	assert_int_equal(c->action, SCSI_ACT_WRITE);
	assert_int_equal(c->lba, 5);
	assert_int_equal(c->nblocks, 2);
	c = run(&big, r6, 6, 256 * 512, 0); /* length 0 in (6): 256 */
	assert_int_equal(c->action, SCSI_ACT_READ);
	assert_int_equal(c->lba, 0x010203);
	assert_int_equal(c->nblocks, 256);
	w16[9] = 9;
	w16[13] = 1;
	c = run(&disk, w16, 16, 0, 512);
	assert_int_equal(c->action, SCSI_ACT_WRITE);
	assert_int_equal(c->lba, 9);
	/* zero blocks in (10): nothing to do */
	r10[8] = 0;
	assert_good(run(&disk, r10, 10, 0, 0), 0);
	/* buffers: too small, the wrong direction */
	r10[8] = 8;
	assert_int_equal(run(&disk, r10, 10, 4095, 0)->action,
			 SCSI_ACT_OVERRUN);
	assert_int_equal(run(&disk, r10, 10, 4096, 1)->action,
			 SCSI_ACT_OVERRUN);
	assert_int_equal(run(&disk, w12, 12, 0, 1023)->action,
			 SCSI_ACT_OVERRUN);
	assert_int_equal(run(&disk, w12, 12, 1024, 1024)->action,
			 SCSI_ACT_OVERRUN);
	/* RDPROTECT: no protection information */
	r10[1] = 0x20;
	assert_sense(run(&disk, r10, 10, 4096, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
}

static void test_ranges(void **state)
{
	uint8_t r16[16] = { SCSI_READ_16 };
	uint8_t r10[10] = { SCSI_READ_10 };
	struct scsi_cmd *c;

	/* the last block, then one past it */
	scsi_put_be64(r16 + 2, BLOCKS - 1);
	scsi_put_be32(r16 + 10, 1);
	assert_int_equal(run(&disk, r16, 16, 512, 0)->action, SCSI_ACT_READ);
	scsi_put_be32(r16 + 10, 2);
	assert_sense(run(&disk, r16, 16, 1024, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_LBA_OUT_OF_RANGE);
	/* LBA + count wrapping around 2^64 */
	scsi_put_be64(r16 + 2, UINT64_MAX);
	scsi_put_be32(r16 + 10, 2);
	assert_sense(run(&disk, r16, 16, 1024, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_LBA_OUT_OF_RANGE);
	scsi_put_be64(r16 + 2, BLOCKS + 1);
	scsi_put_be32(r16 + 10, 0);
	assert_sense(run(&disk, r16, 16, 0, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_LBA_OUT_OF_RANGE);
	/* a huge count is refused by the range before the buffer */
	scsi_put_be64(r16 + 2, 0);
	scsi_put_be32(r16 + 10, UINT32_MAX);
	assert_sense(run(&disk, r16, 16, 512, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_LBA_OUT_OF_RANGE);
	scsi_put_be32(r10 + 2, BLOCKS);
	scsi_put_be16(r10 + 7, 1);
	c = run(&disk, r10, 10, 512, 0);
	assert_sense(c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
}

static void test_readonly(void **state)
{
	struct scsi_lu ro = ro_disk();
	uint8_t w10[10] = { SCSI_WRITE_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t w6[6] = { SCSI_WRITE_6, 0, 0, 0, 1, 0 };
	uint8_t r10[10] = { SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t sync[10] = { SCSI_SYNC_CACHE_10 };

	assert_sense(run(&ro, w10, 10, 0, 512), SCSI_SK_DATA_PROTECT,
		     SCSI_ASC_WRITE_PROTECTED);
	assert_sense(run(&ro, w6, 6, 0, 512), SCSI_SK_DATA_PROTECT,
		     SCSI_ASC_WRITE_PROTECTED);
	assert_int_equal(run(&ro, r10, 10, 512, 0)->action, SCSI_ACT_READ);
	/* nothing to flush on a read-only unit */
	assert_good(run(&ro, sync, 10, 0, 0), 0);
}

static void test_sync_verify(void **state)
{
	uint8_t s10[10] = { SCSI_SYNC_CACHE_10 };
	uint8_t s16[16] = { SCSI_SYNC_CACHE_16 };
	uint8_t v10[10] = { SCSI_VERIFY_10, 0, 0, 0, 0, 1, 0, 0, 8, 0 };
	uint8_t v16[16] = { SCSI_VERIFY_16 };

	assert_int_equal(run(&disk, s10, 10, 0, 0)->action, SCSI_ACT_FLUSH);
	scsi_put_be64(s16 + 2, BLOCKS - 4);
	scsi_put_be32(s16 + 10, 4);
	assert_int_equal(run(&disk, s16, 16, 0, 0)->action, SCSI_ACT_FLUSH);
	scsi_put_be32(s16 + 10, 5);
	assert_sense(run(&disk, s16, 16, 0, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_LBA_OUT_OF_RANGE);
	assert_good(run(&disk, v10, 10, 0, 0), 0);
	scsi_put_be64(v16 + 2, BLOCKS);
	scsi_put_be32(v16 + 10, 1);
	assert_sense(run(&disk, v16, 16, 0, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_LBA_OUT_OF_RANGE);
	v10[1] = 0x02; /* BYTCHK: needs data-out to compare */
	assert_sense(run(&disk, v10, 10, 0, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
}

static void test_mode_sense(void **state)
{
	struct scsi_lu ro = ro_disk();
	uint8_t ms6[6] = { SCSI_MODE_SENSE_6, 0, 0x3f, 0, 255, 0 };
	uint8_t ms10[10] = { SCSI_MODE_SENSE_10, 0x08, 0x08, 0, 0, 0, 0, 1, 0 };
	struct scsi_cmd *c;

	c = run(&disk, ms6, 6, 255, 0);
	assert_good(c, 4 + 8 + 20 + 12);
	assert_int_equal(c->buf[0], 4 + 8 + 20 + 12 - 1);
	assert_int_equal(c->buf[2], 0); /* not write-protected */
	assert_int_equal(c->buf[3], 8); /* block descriptor */
	assert_int_equal(scsi_be32(c->buf + 4), BLOCKS);
	assert_int_equal(scsi_be32(c->buf + 8), 512);
	assert_int_equal(c->buf[12], 0x08); /* caching page, WCE */
	assert_int_equal(c->buf[13], 0x12);
	assert_int_equal(c->buf[14], 0x04);
	assert_int_equal(c->buf[32], 0x0a); /* control page */
	assert_int_equal(c->buf[33], 0x0a);
	c = run(&ro, ms6, 6, 255, 0);
	assert_int_equal(c->buf[2], 0x80); /* WP */
	/* (10), DBD, the caching page alone */
	c = run(&ro, ms10, 10, 256, 0);
	assert_good(c, 8 + 20);
	assert_int_equal(scsi_be16(c->buf), 8 + 20 - 2);
	assert_int_equal(c->buf[3], 0x80);
	assert_int_equal(scsi_be16(c->buf + 6), 0);
	assert_int_equal(c->buf[8], 0x08);
	/* LLBAA: a long block descriptor */
	ms10[1] = 0x10;
	ms10[2] = 0x0a;
	c = run(&disk, ms10, 10, 256, 0);
	assert_good(c, 8 + 16 + 12);
	assert_int_equal(c->buf[4], 1);
	assert_int_equal(scsi_be64(c->buf + 8), BLOCKS);
	/* changeable values: none */
	ms6[2] = 0x48;
	c = run(&disk, ms6, 6, 255, 0);
	assert_int_equal(c->buf[14], 0);
	/* saved values, an unknown page, a subpage */
	ms6[2] = 0xc8;
	assert_sense(run(&disk, ms6, 6, 255, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_SAVING_NOT_SUPPORTED);
	ms6[2] = 0x1c;
	assert_sense(run(&disk, ms6, 6, 255, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
	ms6[2] = 0x08;
	ms6[3] = 1;
	assert_sense(run(&disk, ms6, 6, 255, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
	ms6[2] = 0x3f;
	ms6[3] = 0xff;
	assert_good(run(&disk, ms6, 6, 255, 0), 44);
	/* allocation length */
	ms6[4] = 4;
	assert_good(run(&disk, ms6, 6, 255, 0), 4);
}

static void test_report_luns_request_sense(void **state)
{
	uint8_t rl[12] = { SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t rs[6] = { SCSI_REQUEST_SENSE, 0, 0, 0, 252, 0 };
	struct scsi_cmd *c;

	c = run(&disk, rl, 12, 256, 0);
	assert_good(c, 16);
	assert_int_equal(scsi_be32(c->buf), 8);
	assert_int_equal(scsi_be64(c->buf + 8), 0); /* LUN 0 */
	rl[2] = 1; /* well-known units only: none */
	assert_good(run(&disk, rl, 12, 256, 0), 8);
	rl[2] = 7;
	assert_sense(run(&disk, rl, 12, 256, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
	rl[2] = 0;
	rl[8] = 0;
	rl[9] = 15; /* allocation length below 16 */
	assert_sense(run(&disk, rl, 12, 256, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
	c = run(&disk, rs, 6, 252, 0);
	assert_good(c, SCSI_SENSE_LEN);
	assert_int_equal(c->buf[0], 0x70);
	assert_int_equal(c->buf[2], SCSI_SK_NO_SENSE);
	rs[1] = 1; /* descriptor format */
	assert_sense(run(&disk, rs, 6, 252, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
}

static void test_no_lun(void **state)
{
	uint8_t inq[6] = { SCSI_INQUIRY, 0, 0, 0, 96, 0 };
	uint8_t vpd0[6] = { SCSI_INQUIRY, 1, 0, 0, 96, 0 };
	uint8_t rl[12] = { SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t rs[6] = { SCSI_REQUEST_SENSE, 0, 0, 0, 18, 0 };
	uint8_t r10[10] = { SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct scsi_cmd *c;

	c = run(NULL, inq, 6, 96, 0);
	assert_good(c, 36);
	assert_int_equal(c->buf[0], 0x7f);
	assert_sense(run(NULL, vpd0, 6, 96, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_INVALID_FIELD);
	assert_good(run(NULL, rl, 12, 64, 0), 16);
	c = run(NULL, rs, 6, 64, 0);
	assert_good(c, 18);
	assert_int_equal(c->buf[2], SCSI_SK_ILLEGAL_REQUEST);
	assert_int_equal(c->buf[12], SCSI_ASC_LUN_NOT_SUPPORTED);
	assert_sense(run(NULL, r10, 10, 512, 0), SCSI_SK_ILLEGAL_REQUEST,
		     SCSI_ASC_LUN_NOT_SUPPORTED);
}

static void test_set_sense(void **state)
{
	struct scsi_cmd c = { .data_len = 7, .action = SCSI_ACT_READ };

	scsi_set_sense(&c, SCSI_SK_MEDIUM_ERROR, SCSI_ASC_READ_ERROR);
	assert_sense(&c, SCSI_SK_MEDIUM_ERROR, SCSI_ASC_READ_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tur_start_stop_prevent),
		cmocka_unit_test(test_unknown_and_short),
		cmocka_unit_test(test_inquiry_standard),
		cmocka_unit_test(test_inquiry_vpd),
		cmocka_unit_test(test_read_capacity),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_sync_verify),
		cmocka_unit_test(test_mode_sense),
		cmocka_unit_test(test_report_luns_request_sense),
		cmocka_unit_test(test_no_lun),
		cmocka_unit_test(test_set_sense),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
