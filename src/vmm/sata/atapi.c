// SPDX-License-Identifier: GPL-2.0-or-later
/* The ATAPI CD-ROM command layer. See atapi.h. */
#include "vmm/sata/atapi.h"

#include <errno.h>
#include <string.h>

#include "vmm/boot/le.h"

#define CD_MAX_BLOCKS 404850u /* 79:59:74, beyond: a DVD */
#define PROFILE_CDROM 0x0008
#define PROFILE_DVDROM 0x0010
#define TOC_LEADOUT 0xaa

/* Big-endian fields of CDBs and replies. */
static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

#define EVENT_NEW_MEDIA 2
#define EVENT_MEDIA_REMOVAL 3

void atapi_init(struct atapi *a, uint64_t blocks)
{
	memset(a, 0, sizeof(*a));
	a->blocks = blocks;
	a->present = blocks != 0;
}

void atapi_reset(struct atapi *a)
{
	a->sense_key = 0;
	a->asc = 0;
	a->ascq = 0;
	a->locked = false;
}

void atapi_insert(struct atapi *a, uint64_t blocks)
{
	a->blocks = blocks;
	a->present = true;
	a->unit_attention = true;
	a->media_event = EVENT_NEW_MEDIA;
}

int atapi_eject(struct atapi *a, bool force)
{
	if (a->locked && !force)
		return -EBUSY;
	a->blocks = 0;
	a->present = false;
	a->locked = false;
	a->unit_attention = true;
	a->media_event = EVENT_MEDIA_REMOVAL;
	return 0;
}

void atapi_set_error(struct atapi *a, uint8_t key, uint8_t asc)
{
	a->sense_key = key;
	a->asc = asc;
	a->ascq = 0;
}

/* Fail the command with key/asc. */
static void fail(struct atapi *a, struct atapi_result *res, uint8_t key,
		 uint8_t asc)
{
	atapi_set_error(a, key, asc);
	res->check = true;
	res->len = 0;
}

/* The reply is n bytes, cut to the allocation length alloc. */
static void reply(struct atapi_result *res, uint32_t n, uint32_t alloc)
{
	res->len = n < alloc ? n : alloc;
}

/* ATA string: space-padded, two characters per word, high byte first. */
static void put_ata_string(uint8_t *p, const char *s, unsigned int len)
{
	unsigned int i, n = strlen(s);

	for (i = 0; i < len; i++)
		p[i ^ 1] = i < n ? s[i] : ' ';
}

void atapi_identify(const struct atapi *a, uint8_t *buf)
{
	uint8_t *w = buf;

	(void)a;
	memset(buf, 0, ATAPI_IDENTIFY_LEN);
	/* ATAPI, CD-ROM, removable, 50 us DRQ, 12-byte packets */
	put_le16(w + 0 * 2, 0x85c0);
	put_ata_string(w + 10 * 2, "WIRT0001", 20);
	put_ata_string(w + 23 * 2, "0.1", 8);
	put_ata_string(w + 27 * 2, "WIRT CD-ROM", 40);
	put_le16(w + 49 * 2, 0x0300); /* LBA, DMA */
	put_le16(w + 53 * 2, 0x0006); /* words 64-70 and 88 valid */
	put_le16(w + 63 * 2, 0x0007); /* multiword DMA 0-2 */
	put_le16(w + 64 * 2, 0x0003); /* PIO 3-4 */
	put_le16(w + 65 * 2, 120);
	put_le16(w + 66 * 2, 120);
	put_le16(w + 67 * 2, 120);
	put_le16(w + 68 * 2, 120);
	put_le16(w + 76 * 2, 0x0002); /* SATA 1.5 Gb/s */
	put_le16(w + 80 * 2, 0x00f0); /* ATA/ATAPI-4 to -7 */
	put_le16(w + 82 * 2, 0x0010); /* PACKET feature set */
	put_le16(w + 83 * 2, 0x4000);
	put_le16(w + 84 * 2, 0x4000);
	put_le16(w + 85 * 2, 0x0010);
	put_le16(w + 87 * 2, 0x4000);
	put_le16(w + 88 * 2, 0x203f); /* UDMA 0-5, mode 5 selected */
}

/* REQUEST SENSE: fixed-format sense data, then the sense is cleared. */
static void request_sense(struct atapi *a, const uint8_t *cdb, uint8_t *buf,
			  struct atapi_result *res)
{
	memset(buf, 0, 18);
	buf[0] = 0x70;
	buf[2] = a->sense_key;
	buf[7] = 10;
	buf[12] = a->asc;
	buf[13] = a->ascq;
	reply(res, 18, cdb[4]);
	atapi_set_error(a, SENSE_NONE, 0);
}

/* INQUIRY: standard data of a removable CD/DVD device; no VPD pages. */
static void inquiry(struct atapi *a, const uint8_t *cdb, uint8_t *buf,
		    struct atapi_result *res)
{
	if (cdb[1] & 1) {
		fail(a, res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	memset(buf, 0, 36);
	buf[0] = 0x05;
	buf[1] = 0x80;
	buf[2] = 0x05; /* SPC-3 */
	buf[3] = 0x02;
	buf[4] = 31;
	memcpy(buf + 8, "WIRT    ", 8);
	memcpy(buf + 16, "CD-ROM          ", 16);
	memcpy(buf + 32, "0.1 ", 4);
	reply(res, 36, be16(cdb + 3));
}

/* READ CAPACITY(10): last block and the block size. */
static void read_capacity(struct atapi *a, uint8_t *buf,
			  struct atapi_result *res)
{
	uint64_t last = a->blocks ? a->blocks - 1 : 0;

	put_be32(buf, last > UINT32_MAX ? UINT32_MAX : (uint32_t)last);
	put_be32(buf + 4, ATAPI_BLOCK);
	res->len = 8;
}

/* READ(10)/READ(12): a range inside the medium, or LBA OUT OF RANGE. */
static void read_blocks(struct atapi *a, uint64_t lba, uint32_t n,
			struct atapi_result *res)
{
	if (lba > a->blocks || n > a->blocks - lba) {
		fail(a, res, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return;
	}
	res->read_lba = lba;
	res->read_blocks = n;
}

/* A TOC address: LBA, or M:S:F (75 frames a second, 2 s lead-in). */
static void put_addr(uint8_t *p, uint64_t lba, bool msf)
{
	if (!msf) {
		put_be32(p, lba > UINT32_MAX ? UINT32_MAX : (uint32_t)lba);
		return;
	}
	lba += 150;
	p[0] = 0;
	p[1] = lba / (60 * 75) > 255 ? 255 : lba / (60 * 75);
	p[2] = lba / 75 % 60;
	p[3] = lba % 75;
}

/* READ TOC/PMA/ATIP formats 0 (TOC) and 1 (session info): one data track. */
static void read_toc(struct atapi *a, const uint8_t *cdb, uint8_t *buf,
		     struct atapi_result *res)
{
	bool msf = cdb[1] & 2;
	unsigned int fmt = cdb[2] & 0xf, n = 4;

	if (!fmt)
		fmt = cdb[9] >> 6; /* the older place of the format */
	memset(buf, 0, 20);
	buf[2] = 1;
	buf[3] = 1;
	if (fmt == 0 && cdb[6] <= 1) {
		buf[n + 1] = 0x14; /* data track, copy permitted */
		buf[n + 2] = 1;
		put_addr(buf + n + 4, 0, msf);
		n += 8;
	}
	if (fmt == 0 && (cdb[6] <= 1 || cdb[6] == TOC_LEADOUT)) {
		buf[n + 1] = 0x14;
		buf[n + 2] = TOC_LEADOUT;
		put_addr(buf + n + 4, a->blocks, msf);
		n += 8;
	} else if (fmt == 1) {
		buf[n + 1] = 0x14;
		buf[n + 2] = 1;
		put_addr(buf + n + 4, 0, msf);
		n += 8;
	} else if (fmt != 0 || cdb[6] > 1) {
		fail(a, res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	put_be16(buf, n - 2);
	reply(res, n, be16(cdb + 7));
}

/*
 * GET CONFIGURATION: the current profile (CD-ROM, or DVD-ROM for a medium
 * larger than a CD) and the features from the starting one on: profile
 * list (0), core (1, ATAPI), removable medium (3). RT 2: that one only.
 */
static void get_configuration(struct atapi *a, const uint8_t *cdb, uint8_t *buf,
			      struct atapi_result *res)
{
	uint16_t profile =
		a->blocks > CD_MAX_BLOCKS ? PROFILE_DVDROM : PROFILE_CDROM;

	if (!a->present)
		profile = 0;
	unsigned int rt = cdb[1] & 3, start = be16(cdb + 2), n = 8;

	if (rt == 3) {
		fail(a, res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	memset(buf, 0, 40);
	put_be16(buf + 6, profile);
	if (start == 0) {
		buf[n + 2] = 0x03; /* persistent, current */
		buf[n + 3] = 8;
		put_be16(buf + n + 4, PROFILE_DVDROM);
		buf[n + 6] = profile == PROFILE_DVDROM;
		put_be16(buf + n + 8, PROFILE_CDROM);
		buf[n + 10] = profile == PROFILE_CDROM;
		n += 12;
	}
	if (rt == 2 ? start == 1 : start <= 1) {
		put_be16(buf + n, 1);
		buf[n + 2] = 0x07; /* version 1, persistent, current */
		buf[n + 3] = 8;
		put_be32(buf + n + 4, 2); /* ATAPI */
		n += 12;
	}
	if (rt == 2 ? start == 3 : start <= 3) {
		put_be16(buf + n, 3);
		buf[n + 2] = 0x03;
		buf[n + 3] = 4;
		buf[n + 4] = 0x29; /* tray, eject, lock */
		n += 8;
	}
	put_be32(buf, n - 4);
	reply(res, n, be16(cdb + 7));
}

/*
 * GET EVENT STATUS NOTIFICATION (polled only): the media class, with no
 * event and the medium present; other classes: no event available.
 */
static void get_event_status(struct atapi *a, const uint8_t *cdb, uint8_t *buf,
			     struct atapi_result *res)
{
	if (!(cdb[1] & 1)) {
		fail(a, res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	memset(buf, 0, 8);
	buf[3] = 0x10; /* supported: media */
	if (!(cdb[4] & 0x10)) {
		buf[1] = 2;
		buf[2] = 0x80; /* no event available */
		reply(res, 4, be16(cdb + 7));
		return;
	}
	buf[1] = 6;
	buf[2] = 4; /* media class */
	buf[4] = a->media_event;
	buf[5] = a->present ? 0x02 : 0x01; /* medium present, or tray open */
	a->media_event = 0;
	reply(res, 8, be16(cdb + 7));
}

/* Mode page 0x01 (read error recovery) or 0x2a (capabilities) at p. */
static unsigned int mode_page(const struct atapi *a, unsigned int page,
			      uint8_t *p)
{
	if (page == 0x01) {
		memset(p, 0, 12);
		p[0] = 0x01;
		p[1] = 10;
		return 12;
	}
	memset(p, 0, 28);
	p[0] = 0x2a;
	p[1] = 26;
	p[2] = 0x3b; /* reads CD-R, CD-RW, method 2, DVD-ROM */
	p[4] = 0x71; /* audio play, composite, digital port, multisession */
	p[5] = 0xff;
	p[6] = 0x29 | (a->locked ? 0x02 : 0); /* tray, eject, lock */
	put_be16(p + 8, 706); /* 4x, in kB/s */
	put_be16(p + 10, 2);
	put_be16(p + 12, 512);
	put_be16(p + 14, 706);
	return 28;
}

/* MODE SENSE(10): pages 0x01, 0x2a or all (0x3f); current values. */
static void mode_sense(struct atapi *a, const uint8_t *cdb, uint8_t *buf,
		       struct atapi_result *res)
{
	unsigned int page = cdb[2] & 0x3f, pc = cdb[2] >> 6, n = 8;

	if (pc == 3) {
		fail(a, res, SENSE_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED);
		return;
	}
	if (page != 0x01 && page != 0x2a && page != 0x3f) {
		fail(a, res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	memset(buf, 0, 8);
	if (page != 0x2a)
		n += mode_page(a, 0x01, buf + n);
	if (page != 0x01)
		n += mode_page(a, 0x2a, buf + n);
	put_be16(buf, n - 2);
	reply(res, n, be16(cdb + 7));
}

/* READ DISC INFORMATION: one complete session holding track 1. */
static void read_disc_info(struct atapi *a, const uint8_t *cdb, uint8_t *buf,
			   struct atapi_result *res)
{
	if (cdb[1] & 7) {
		fail(a, res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
		return;
	}
	memset(buf, 0, 34);
	put_be16(buf, 32);
	buf[2] = 0x0e; /* complete disc, complete last session */
	buf[3] = 1;
	buf[4] = 1;
	buf[5] = 1;
	buf[6] = 1;
	reply(res, 34, be16(cdb + 7));
}

/*
 * Whether command op may run now: a pending unit attention fails every
 * command but INQUIRY, REQUEST SENSE and GET EVENT STATUS NOTIFICATION
 * once, and the commands that need the medium fail NOT READY without one.
 */
static bool may_run(struct atapi *a, uint8_t op, struct atapi_result *res)
{
	if (op == 0x12 || op == 0x03 || op == 0x4a)
		return true;
	if (a->unit_attention) {
		a->unit_attention = false;
		fail(a, res, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED);
		return false;
	}
	if (!a->present &&
	    (op == 0x00 || op == 0x25 || op == 0x28 || op == 0xa8 ||
	     op == 0x43 || op == 0x51 || op == 0x2b)) {
		fail(a, res, SENSE_NOT_READY, ASC_NO_MEDIUM);
		return false;
	}
	return true;
}

void atapi_exec(struct atapi *a, const uint8_t *cdb, uint8_t *buf,
		struct atapi_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!may_run(a, cdb[0], res))
		return;
	switch (cdb[0]) {
	case 0x00: /* TEST UNIT READY */
	case 0x1b: /* START STOP UNIT: the medium stays */
	case 0x2b: /* SEEK(10) */
	case 0xbb: /* SET CD SPEED */
		break;
	case 0x03:
		request_sense(a, cdb, buf, res);
		return;
	case 0x12:
		inquiry(a, cdb, buf, res);
		break;
	case 0x1e: /* PREVENT ALLOW MEDIUM REMOVAL */
		a->locked = cdb[4] & 1;
		break;
	case 0x25:
		read_capacity(a, buf, res);
		break;
	case 0x28:
		read_blocks(a, be32(cdb + 2), be16(cdb + 7), res);
		break;
	case 0xa8:
		read_blocks(a, be32(cdb + 2), be32(cdb + 6), res);
		break;
	case 0x43:
		read_toc(a, cdb, buf, res);
		break;
	case 0x46:
		get_configuration(a, cdb, buf, res);
		break;
	case 0x4a:
		get_event_status(a, cdb, buf, res);
		break;
	case 0x51:
		read_disc_info(a, cdb, buf, res);
		break;
	case 0x5a:
		mode_sense(a, cdb, buf, res);
		break;
	default:
		fail(a, res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return;
	}
	if (!res->check)
		atapi_set_error(a, SENSE_NONE, 0);
}
