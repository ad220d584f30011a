// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SCSI block commands of a direct-access device: command decoding, the
 * checks of every CDB field against the logical unit and the initiator's
 * buffers, reads, writes, verify, synchronize cache and capacity. The
 * informational commands (INQUIRY, MODE SENSE, REPORT LUNS, REQUEST
 * SENSE) are in scsi-info.c. See scsi.h.
 */
#include <string.h>

#include "vmm/scsi/scsi-int.h"

uint16_t scsi_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t scsi_be32(const uint8_t *p)
{
	return (uint32_t)scsi_be16(p) << 16 | scsi_be16(p + 2);
}

uint64_t scsi_be64(const uint8_t *p)
{
	return (uint64_t)scsi_be32(p) << 32 | scsi_be32(p + 4);
}

void scsi_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

void scsi_put_be32(uint8_t *p, uint32_t v)
{
	scsi_put_be16(p, v >> 16);
	scsi_put_be16(p + 2, v);
}

void scsi_put_be64(uint8_t *p, uint64_t v)
{
	scsi_put_be32(p, v >> 32);
	scsi_put_be32(p + 4, v);
}

void scsi_fill_sense(uint8_t *s, uint8_t key, uint8_t asc)
{
	memset(s, 0, SCSI_SENSE_LEN);
	s[0] = 0x70; /* current error, fixed format */
	s[2] = key & 0xf;
	s[7] = SCSI_SENSE_LEN - 8; /* additional sense length */
	s[12] = asc;
}

void scsi_cmd_begin(struct scsi_cmd *c)
{
	c->action = SCSI_ACT_DONE;
	c->status = SCSI_GOOD;
	c->sense_len = 0;
	c->data_len = 0;
	c->lba = 0;
	c->nblocks = 0;
}

void scsi_set_sense(struct scsi_cmd *c, uint8_t key, uint8_t asc)
{
	c->action = SCSI_ACT_DONE;
	c->status = SCSI_CHECK_CONDITION;
	c->data_len = 0;
	scsi_fill_sense(c->sense, key, asc);
	c->sense_len = SCSI_SENSE_LEN;
}

void scsi_invalid_field(struct scsi_cmd *c)
{
	scsi_set_sense(c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD);
}

void scsi_reply(struct scsi_cmd *c, size_t n, size_t alloc)
{
	if (n > alloc)
		n = alloc;
	if (n > c->in_avail)
		n = c->in_avail;
	c->data_len = n;
}

bool scsi_no_data_out(struct scsi_cmd *c)
{
	if (!c->out_len)
		return true;
	c->action = SCSI_ACT_OVERRUN;
	return false;
}

/* CDB length of opcode op by its group code, or 0 for groups not served. */
static size_t cdb_len_of(uint8_t op)
{
	switch (op >> 5) {
	case 0:
		return 6;
	case 1:
	case 2:
		return 10;
	case 4:
		return 16;
	case 5:
		return 12;
	default:
		return 0;
	}
}

/* Whether [lba, lba + n) lies inside lu, without overflow. */
static bool in_range(const struct scsi_lu *lu, uint64_t lba, uint64_t n)
{
	return lba <= lu->nblocks && n <= lu->nblocks - lba;
}

/*
 * READ or WRITE of n blocks at lba: write protection, range, then the
 * buffer: a read needs n blocks of data-in room and no data-out, a write
 * at least n blocks of data-out and no data-in.
 */
static void rw(const struct scsi_lu *lu, struct scsi_cmd *c, uint64_t lba,
	       uint32_t n, bool write)
{
	uint64_t bytes = (uint64_t)n * SCSI_BLOCK;

	/* RDPROTECT / WRPROTECT (the obsolete LUN field in (6)): none */
	if (c->cdb[1] & 0xe0) {
		scsi_invalid_field(c);
		return;
	}
	if (write && lu->readonly) {
		scsi_set_sense(c, SCSI_SK_DATA_PROTECT,
			       SCSI_ASC_WRITE_PROTECTED);
		return;
	}
	if (!in_range(lu, lba, n)) {
		scsi_set_sense(c, SCSI_SK_ILLEGAL_REQUEST,
			       SCSI_ASC_LBA_OUT_OF_RANGE);
		return;
	}
	if (write ? c->in_avail || c->out_len < bytes :
		    c->out_len || c->in_avail < bytes) {
		c->action = SCSI_ACT_OVERRUN;
		return;
	}
	if (!n)
		return;
	c->action = write ? SCSI_ACT_WRITE : SCSI_ACT_READ;
	c->lba = lba;
	c->nblocks = n;
}

/* READ/WRITE (6), (10), (12), (16): decode the range, then rw(). */
static void rw_cmd(const struct scsi_lu *lu, struct scsi_cmd *c)
{
	const uint8_t *cdb = c->cdb;
	uint8_t op = cdb[0];
	uint64_t lba;
	uint32_t n;

	switch (op) {
	case SCSI_READ_6:
	case SCSI_WRITE_6:
		lba = (uint32_t)(cdb[1] & 0x1f) << 16 | scsi_be16(cdb + 2);
		n = cdb[4] ? cdb[4] : 256;
		break;
	case SCSI_READ_10:
	case SCSI_WRITE_10:
		lba = scsi_be32(cdb + 2);
		n = scsi_be16(cdb + 7);
		break;
	case SCSI_READ_12:
	case SCSI_WRITE_12:
		lba = scsi_be32(cdb + 2);
		n = scsi_be32(cdb + 6);
		break;
	default: /* READ(16), WRITE(16) */
		lba = scsi_be64(cdb + 2);
		n = scsi_be32(cdb + 10);
		break;
	}
	rw(lu, c, lba, n,
	   op == SCSI_WRITE_6 || op == SCSI_WRITE_10 || op == SCSI_WRITE_12 ||
		   op == SCSI_WRITE_16);
}

/*
 * SYNCHRONIZE CACHE (10)/(16) and VERIFY (10)/(16): a range check (0
 * blocks: to the end for SYNCHRONIZE CACHE), then a flush of a writable
 * unit, or nothing: VERIFY without BYTCHK only checks the range, the data
 * is always readable.
 */
static void sync_verify(const struct scsi_lu *lu, struct scsi_cmd *c)
{
	const uint8_t *cdb = c->cdb;
	bool ten = cdb[0] == SCSI_SYNC_CACHE_10 || cdb[0] == SCSI_VERIFY_10;
	bool verify = cdb[0] == SCSI_VERIFY_10 || cdb[0] == SCSI_VERIFY_16;
	uint64_t lba = ten ? scsi_be32(cdb + 2) : scsi_be64(cdb + 2);
	uint32_t n = ten ? scsi_be16(cdb + 7) : scsi_be32(cdb + 10);

	if (!scsi_no_data_out(c))
		return;
	if (verify && (cdb[1] & 0xe6)) { /* VRPROTECT, BYTCHK */
		scsi_invalid_field(c);
		return;
	}
	if (!in_range(lu, lba, n)) {
		scsi_set_sense(c, SCSI_SK_ILLEGAL_REQUEST,
			       SCSI_ASC_LBA_OUT_OF_RANGE);
		return;
	}
	if (!verify && !lu->readonly)
		c->action = SCSI_ACT_FLUSH;
}

/* The last LBA (0 for an empty unit). */
static uint64_t last_lba(const struct scsi_lu *lu)
{
	return lu->nblocks ? lu->nblocks - 1 : 0;
}

/* READ CAPACITY (10): PMI without an LBA, 8 bytes. */
static void read_capacity_10(const struct scsi_lu *lu, struct scsi_cmd *c)
{
	uint64_t last = last_lba(lu);

	if (!scsi_no_data_out(c))
		return;
	if (!(c->cdb[8] & 1) && scsi_be32(c->cdb + 2)) {
		scsi_invalid_field(c);
		return;
	}
	scsi_put_be32(c->buf, last > UINT32_MAX ? UINT32_MAX : (uint32_t)last);
	scsi_put_be32(c->buf + 4, SCSI_BLOCK);
	scsi_reply(c, 8, 8);
}

/* SERVICE ACTION IN (16): READ CAPACITY (16) only, 32 bytes. */
static void service_action_in(const struct scsi_lu *lu, struct scsi_cmd *c)
{
	if (!scsi_no_data_out(c))
		return;
	if ((c->cdb[1] & 0x1f) != SCSI_SAI_READ_CAPACITY_16) {
		scsi_invalid_field(c);
		return;
	}
	memset(c->buf, 0, 32);
	scsi_put_be64(c->buf, last_lba(lu));
	scsi_put_be32(c->buf + 8, SCSI_BLOCK);
	scsi_reply(c, 32, scsi_be32(c->cdb + 10));
}

/* Commands that only succeed: no data either way. */
static void no_data(struct scsi_cmd *c)
{
	scsi_no_data_out(c);
}

/* Run the (length-checked) command on an existing unit. */
static void exec_lu(const struct scsi_lu *lu, struct scsi_cmd *c)
{
	switch (c->cdb[0]) {
	case SCSI_TEST_UNIT_READY:
	case SCSI_START_STOP_UNIT:
	case SCSI_PREVENT_ALLOW:
		no_data(c);
		return;
	case SCSI_REQUEST_SENSE:
		scsi_request_sense(c, SCSI_SK_NO_SENSE, 0);
		return;
	case SCSI_INQUIRY:
		scsi_inquiry(lu, c);
		return;
	case SCSI_MODE_SENSE_6:
	case SCSI_MODE_SENSE_10:
		scsi_mode_sense(lu, c);
		return;
	case SCSI_REPORT_LUNS:
		scsi_report_luns(c);
		return;
	case SCSI_READ_CAPACITY_10:
		read_capacity_10(lu, c);
		return;
	case SCSI_SERVICE_ACTION_IN_16:
		service_action_in(lu, c);
		return;
	case SCSI_READ_6:
	case SCSI_WRITE_6:
	case SCSI_READ_10:
	case SCSI_WRITE_10:
	case SCSI_READ_12:
	case SCSI_WRITE_12:
	case SCSI_READ_16:
	case SCSI_WRITE_16:
		rw_cmd(lu, c);
		return;
	case SCSI_SYNC_CACHE_10:
	case SCSI_SYNC_CACHE_16:
	case SCSI_VERIFY_10:
	case SCSI_VERIFY_16:
		sync_verify(lu, c);
		return;
	default:
		scsi_set_sense(c, SCSI_SK_ILLEGAL_REQUEST,
			       SCSI_ASC_INVALID_OPCODE);
	}
}

void scsi_disk_exec(const struct scsi_lu *lu, struct scsi_cmd *c)
{
	size_t need;

	scsi_cmd_begin(c);
	need = c->cdb && c->cdb_len ? cdb_len_of(c->cdb[0]) : 0;
	if (!need) {
		scsi_set_sense(c, SCSI_SK_ILLEGAL_REQUEST,
			       SCSI_ASC_INVALID_OPCODE);
		return;
	}
	if (c->cdb_len < need) {
		scsi_invalid_field(c);
		return;
	}
	if (lu)
		exec_lu(lu, c);
	else
		scsi_no_lun(c);
}
