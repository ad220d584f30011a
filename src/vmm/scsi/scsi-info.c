// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The informational commands of the SCSI disk (scsi.h): INQUIRY with the
 * standard data and the vital product data pages 0x00, 0x80, 0x83, 0xb0,
 * 0xb1 and 0xb2; MODE SENSE (6)/(10) with the caching and control pages;
 * REPORT LUNS; REQUEST SENSE; and the answers for a logical unit that
 * does not exist.
 */
#include <string.h>

#include "vmm/scsi/scsi-int.h"

#define TYPE_DISK 0x00
#define TYPE_NO_LUN 0x7f /* qualifier 011b: no unit at this LUN */
#define INQUIRY_LEN 36
#define VERSION_SPC3 0x05
#define PAGE_CACHING 0x08
#define PAGE_CONTROL 0x0a
#define PAGE_ALL 0x3f
#define CACHING_LEN 20
#define CONTROL_LEN 12

/* Copy s into p, padded with spaces to len bytes (truncated at len). */
static void put_str(uint8_t *p, const char *s, size_t len)
{
	size_t n = s ? strnlen(s, len) : 0;

	memset(p, ' ', len);
	memcpy(p, s, n);
}

/* The standard INQUIRY data of lu, or of no unit (lu NULL). */
static void std_inquiry(const struct scsi_lu *lu, struct scsi_cmd *c)
{
	uint8_t *b = c->buf;

	memset(b, 0, INQUIRY_LEN);
	b[0] = lu ? TYPE_DISK : TYPE_NO_LUN;
	b[2] = VERSION_SPC3;
	b[3] = 0x12; /* HISUP, response data format 2 */
	b[4] = INQUIRY_LEN - 5;
	b[7] = 0x02; /* CMDQUE: tagged commands */
	put_str(b + 8, lu ? lu->vendor : "", 8);
	put_str(b + 16, lu ? lu->product : "", 16);
	put_str(b + 32, lu ? lu->revision : "", 4);
	scsi_reply(c, INQUIRY_LEN, scsi_be16(c->cdb + 3));
}

/* VPD 0x00: the pages served (0x80 only with a serial). Returns length. */
static size_t vpd_pages(const struct scsi_lu *lu, uint8_t *b)
{
	static const uint8_t pages[] = { 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };
	size_t i, n = 4;

	for (i = 0; i < sizeof(pages); i++)
		if (pages[i] != 0x80 || (lu->serial && *lu->serial))
			b[n++] = pages[i];
	return n;
}

/* VPD 0x83: one T10 vendor identification designator. Returns length. */
static size_t vpd_devid(const struct scsi_lu *lu, uint8_t *b)
{
	size_t id = lu->name ? strnlen(lu->name, 31) : 0;

	b[4] = 0x02; /* code set: ASCII */
	b[5] = 0x01; /* associated with the unit, type T10 vendor ID */
	b[7] = 8 + id;
	put_str(b + 8, lu->vendor, 8);
	memcpy(b + 16, lu->name, id);
	return 16 + id;
}

/* The VPD page the CDB asks for, into c->buf; invalid field if none. */
static void vpd_inquiry(const struct scsi_lu *lu, struct scsi_cmd *c)
{
	uint8_t *b = c->buf, page = c->cdb[2];
	size_t n;

	memset(b, 0, 64);
	b[0] = TYPE_DISK;
	b[1] = page;
	switch (page) {
	case 0x00:
		n = vpd_pages(lu, b);
		break;
	case 0x80:
		if (!lu->serial || !*lu->serial) {
			scsi_invalid_field(c);
			return;
		}
		n = 4 + strnlen(lu->serial, 20);
		memcpy(b + 4, lu->serial, n - 4);
		break;
	case 0x83:
		n = vpd_devid(lu, b);
		break;
	case 0xb0: /* block limits */
		scsi_put_be16(b + 6, 1); /* optimal granularity: 1 block */
		scsi_put_be32(b + 8, SCSI_MAX_XFER);
		n = 64;
		break;
	case 0xb1: /* block device characteristics */
		scsi_put_be16(b + 4, 1); /* non-rotating medium */
		n = 64;
		break;
	case 0xb2: /* logical block provisioning: none of it */
		n = 8;
		break;
	default:
		scsi_invalid_field(c);
		return;
	}
	scsi_put_be16(b + 2, n - 4);
	scsi_reply(c, n, scsi_be16(c->cdb + 3));
}

void scsi_inquiry(const struct scsi_lu *lu, struct scsi_cmd *c)
{
	if (!scsi_no_data_out(c))
		return;
	if (c->cdb[1] & 0xfe || (!(c->cdb[1] & 1) && c->cdb[2])) {
		scsi_invalid_field(c); /* CMDDT, or a page without EVPD */
		return;
	}
	if (c->cdb[1] & 1)
		vpd_inquiry(lu, c);
	else
		std_inquiry(lu, c);
}

/*
 * Append mode page page (caching or control) for page control pc (0
 * current, 1 changeable: nothing is, 2 default) at b. Returns its length.
 */
static size_t mode_page(uint8_t page, unsigned int pc, uint8_t *b)
{
	size_t n = page == PAGE_CACHING ? CACHING_LEN : CONTROL_LEN;

	memset(b, 0, n);
	b[0] = page;
	b[1] = n - 2;
	if (page == PAGE_CACHING && pc != 1)
		b[2] = 0x04; /* WCE: writes are cached until SYNC CACHE */
	return n;
}

/* The block descriptor (short, or long for LLBAA). Returns its length. */
static size_t block_desc(const struct scsi_lu *lu, bool llba, uint8_t *b)
{
	if (llba) {
		memset(b, 0, 16);
		scsi_put_be64(b, lu->nblocks);
		scsi_put_be32(b + 12, SCSI_BLOCK);
		return 16;
	}
	scsi_put_be32(b, lu->nblocks > 0xffffff ? 0xffffff :
						  (uint32_t)lu->nblocks);
	b[0] = 0; /* density code */
	scsi_put_be32(b + 4, SCSI_BLOCK); /* byte 4 reserved: 512 < 2^24 */
	return 8;
}

/*
 * Check the page control, page and subpage of a MODE SENSE. Returns the
 * page (PAGE_CACHING, PAGE_CONTROL or PAGE_ALL) or -1 after failing c.
 */
static int mode_page_code(struct scsi_cmd *c)
{
	unsigned int pc = c->cdb[2] >> 6, page = c->cdb[2] & 0x3f;
	unsigned int sub = c->cdb[3];

	if (pc == 3) {
		scsi_set_sense(c, SCSI_SK_ILLEGAL_REQUEST,
			       SCSI_ASC_SAVING_NOT_SUPPORTED);
		return -1;
	}
	if ((page != PAGE_CACHING && page != PAGE_CONTROL &&
	     page != PAGE_ALL) ||
	    (sub && !(page == PAGE_ALL && sub == 0xff))) {
		scsi_invalid_field(c);
		return -1;
	}
	return page;
}

void scsi_mode_sense(const struct scsi_lu *lu, struct scsi_cmd *c)
{
	bool ten = c->cdb[0] == SCSI_MODE_SENSE_10;
	bool dbd = c->cdb[1] & 0x08, llba = ten && (c->cdb[1] & 0x10) && !dbd;
	unsigned int pc = c->cdb[2] >> 6;
	size_t hdr = ten ? 8 : 4, n = hdr, bd = 0;
	uint8_t *b = c->buf;
	int page;

	if (!scsi_no_data_out(c) || (page = mode_page_code(c)) < 0)
		return;
	memset(b, 0, hdr);
	if (!dbd)
		n += bd = block_desc(lu, llba, b + n);
	if (page == PAGE_CACHING || page == PAGE_ALL)
		n += mode_page(PAGE_CACHING, pc, b + n);
	if (page == PAGE_CONTROL || page == PAGE_ALL)
		n += mode_page(PAGE_CONTROL, pc, b + n);
	if (ten) {
		scsi_put_be16(b, n - 2);
		b[3] = lu->readonly ? 0x80 : 0; /* WP */
		b[4] = llba;
		scsi_put_be16(b + 6, bd);
		scsi_reply(c, n, scsi_be16(c->cdb + 7));
	} else {
		b[0] = n - 1;
		b[2] = lu->readonly ? 0x80 : 0;
		b[3] = bd;
		scsi_reply(c, n, c->cdb[4]);
	}
}

void scsi_report_luns(struct scsi_cmd *c)
{
	uint8_t sel = c->cdb[2];
	uint32_t alloc = scsi_be32(c->cdb + 6);
	size_t n = 8;

	if (!scsi_no_data_out(c))
		return;
	if (alloc < 16 || (sel != 0 && sel != 1 && sel != 2)) {
		scsi_invalid_field(c);
		return;
	}
	memset(c->buf, 0, 16);
	if (sel != 1) /* not only well-known units: LUN 0 */
		n += 8;
	scsi_put_be32(c->buf, n - 8);
	scsi_reply(c, n, alloc);
}

void scsi_request_sense(struct scsi_cmd *c, uint8_t key, uint8_t asc)
{
	if (!scsi_no_data_out(c))
		return;
	if (c->cdb[1] & 1) { /* DESC: only fixed format here */
		scsi_invalid_field(c);
		return;
	}
	scsi_fill_sense(c->buf, key, asc);
	scsi_reply(c, SCSI_SENSE_LEN, c->cdb[4]);
}

void scsi_no_lun(struct scsi_cmd *c)
{
	switch (c->cdb[0]) {
	case SCSI_INQUIRY:
		if (!scsi_no_data_out(c))
			return;
		if (c->cdb[1] & 0xff || c->cdb[2])
			scsi_invalid_field(c); /* no VPD of no unit */
		else
			std_inquiry(NULL, c);
		return;
	case SCSI_REPORT_LUNS:
		scsi_report_luns(c);
		return;
	case SCSI_REQUEST_SENSE:
		scsi_request_sense(c, SCSI_SK_ILLEGAL_REQUEST,
				   SCSI_ASC_LUN_NOT_SUPPORTED);
		return;
	default:
		scsi_set_sense(c, SCSI_SK_ILLEGAL_REQUEST,
			       SCSI_ASC_LUN_NOT_SUPPORTED);
	}
}
