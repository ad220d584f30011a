// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * AHCI command processing: the command header and table of each slot set
 * in PxCI, read from guest memory (copied before use: other vCPUs may
 * change them), the ATA or ATAPI command run, the data moved through the
 * PRDT, the status FIS written back. See ahci.h.
 */
#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "vmm/boot/le.h"
#include "vmm/sata/ahci.h"

#define CMDH_LEN 32
#define CT_ACMD 0x40
#define CT_PRDT 0x80
#define PRD_LEN 16
#define PRD_DBC_MASK 0x3fffffu
#define RX_PIO_SETUP 0x20
#define RX_D2H 0x40
#define RX_LEN 256
#define FIS_H2D 0x27
#define FIS_D2H 0x34
#define FIS_PIO_SETUP 0x5f
#define FIS_H2D_C 0x80
#define ATA_CTL_SRST 0x04
#define STATUS_OK (ATA_STATUS_DRDY | ATA_STATUS_DSC)

/* One command being run. */
struct ahci_req {
	struct ahci *h;
	const uint8_t *prdt; /* in guest memory, nprd entries (checked) */
	unsigned int nprd;
	uint32_t done; /* bytes moved through the PRDT */
	uint8_t status, error, count;
	bool pio_in; /* PIO data-in: a PIO setup FIS too */
	bool sig; /* the FIS carries the device signature */
};

/* Guest address of a 64-bit pointer split in two registers or words. */
static uint64_t gpa64(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

/* Copies len bytes at off of the data into dst; 0 or -errno. */
typedef int (*sg_fill_fn)(void *arg, uint8_t *dst, size_t len, uint64_t off);

/*
 * Move total bytes into the guest buffers the PRDT lists, each piece
 * checked against guest memory first; stops early when the PRDT is
 * shorter. Returns 0 (rq->done set) or -errno (-EFAULT: a bad address).
 */
static int sg_fill(struct ahci_req *rq, uint64_t total, sg_fill_fn fn,
		   void *arg)
{
	uint64_t off = 0;
	unsigned int i;
	int r;

	for (i = 0; i < rq->nprd && off < total; i++) {
		const uint8_t *e = rq->prdt + i * PRD_LEN;
		uint64_t addr = le64(e) & ~1ULL;
		uint64_t len = (le32(e + 12) & PRD_DBC_MASK) + 1;
		uint8_t *dst;

		len = MIN(len, total - off);
		dst = gmem_ptr(rq->h->mem, addr, len);
		if (!dst)
			return -EFAULT;
		r = fn(arg, dst, len, off);
		if (r)
			return r;
		off += len;
	}
	rq->done = off;
	return 0;
}

/* sg_fill_fn: from a host buffer (arg). */
static int fill_from_buf(void *arg, uint8_t *dst, size_t len, uint64_t off)
{
	memcpy(dst, (const uint8_t *)arg + off, len);
	return 0;
}

struct medium_read {
	int fd;
	uint64_t pos; /* byte offset of the first block */
};

/* sg_fill_fn: from the image (arg: struct medium_read); -EIO if short. */
static int fill_from_medium(void *arg, uint8_t *dst, size_t len, uint64_t off)
{
	const struct medium_read *m = arg;
	ssize_t n = pread_full(m->fd, dst, len, m->pos + off);

	return n == (ssize_t)len ? 0 : -EIO;
}

/* The command failed: ERR, with the ATAPI sense key in the error bits. */
static void req_fail(struct ahci_req *rq, uint8_t error)
{
	rq->status = STATUS_OK | ATA_STATUS_ERR;
	rq->error = error;
}

/* Run the ATAPI command in cdb (PACKET). */
static void run_packet(struct ahci_req *rq, const uint8_t *cdb)
{
	struct atapi *a = &rq->h->atapi;
	uint8_t buf[ATAPI_REPLY_MAX];
	struct atapi_result res;
	int r = 0;

	atapi_exec(a, cdb, buf, &res);
	if (!res.check && res.read_blocks) {
		struct medium_read m = { rq->h->fd,
					 res.read_lba * ATAPI_BLOCK };

		r = sg_fill(rq, (uint64_t)res.read_blocks * ATAPI_BLOCK,
			    fill_from_medium, &m);
	} else if (!res.check && res.len) {
		r = sg_fill(rq, res.len, fill_from_buf, buf);
	}
	if (r == -EIO)
		atapi_set_error(a, SENSE_MEDIUM_ERROR, ASC_READ_ERROR);
	else if (r)
		atapi_set_error(a, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
	if (res.check || r)
		req_fail(rq, a->sense_key << 4 | ATA_ERROR_ABRT);
	else
		rq->status = STATUS_OK;
}

/* Run the ATA command of register FIS cfis (acmd: the ATAPI command). */
static void run_ata(struct ahci_req *rq, const uint8_t *cfis,
		    const uint8_t *acmd)
{
	uint8_t id[ATAPI_IDENTIFY_LEN];

	rq->status = STATUS_OK;
	switch (cfis[2]) {
	case 0xa0: /* PACKET */
		run_packet(rq, acmd);
		break;
	case 0xa1: /* IDENTIFY PACKET DEVICE */
		atapi_identify(&rq->h->atapi, id);
		rq->pio_in = true;
		if (sg_fill(rq, sizeof(id), fill_from_buf, id))
			req_fail(rq, ATA_ERROR_ABRT);
		break;
	case 0x08: /* DEVICE RESET */
		atapi_reset(&rq->h->atapi);
		rq->sig = true;
		rq->status = 0;
		rq->error = 1;
		break;
	case 0xe5: /* CHECK POWER MODE: active */
		rq->count = 0xff;
		break;
	case 0xef: /* SET FEATURES */
	case 0xe0: /* STANDBY IMMEDIATE */
	case 0xe1: /* IDLE IMMEDIATE */
	case 0xe7: /* FLUSH CACHE */
		break;
	case 0xec: /* IDENTIFY DEVICE: not an ATA disk, say what we are */
		rq->sig = true;
		req_fail(rq, ATA_ERROR_ABRT);
		break;
	default:
		req_fail(rq, ATA_ERROR_ABRT);
	}
}

/* Write a D2H register FIS (and a PIO setup FIS) to the receive area. */
static void put_fis(struct ahci *h, const struct ahci_req *rq)
{
	struct ahci_port *p = &h->port;
	uint8_t *rx = gmem_ptr(h->mem, gpa64(p->fb, p->fbu), RX_LEN);
	uint8_t fis[20] = { FIS_D2H, 0x40, rq->status, rq->error };

	if (!(p->cmd & PORT_CMD_FRE) || !rx)
		return;
	fis[12] = rq->count;
	if (rq->sig) {
		fis[4] = ATAPI_SIGNATURE >> 8 & 0xff;
		fis[5] = ATAPI_SIGNATURE >> 16 & 0xff;
		fis[6] = ATAPI_SIGNATURE >> 24;
		fis[12] = ATAPI_SIGNATURE & 0xff;
	}
	memcpy(rx + RX_D2H, fis, sizeof(fis));
	if (!rq->pio_in)
		return;
	fis[0] = FIS_PIO_SETUP;
	fis[1] = 0x60; /* device to host, interrupt */
	fis[15] = rq->status; /* E_Status */
	put_le16(fis + 16, rq->done);
	memcpy(rx + RX_PIO_SETUP, fis, sizeof(fis));
}

void ahci_send_reset_fis(struct ahci *h)
{
	struct ahci_req rq = { .h = h, .status = 0, .error = 1, .sig = true };

	h->port.sig = ATAPI_SIGNATURE;
	h->port.tfd = 1 << 8;
	put_fis(h, &rq);
}

/* Finish rq in slot: status registers, FIS, PxIS bits, interrupt. */
static void complete(struct ahci *h, unsigned int slot, struct ahci_req *rq)
{
	struct ahci_port *p = &h->port;
	uint32_t bits = PORT_IS_DHRS;

	p->tfd = (uint32_t)rq->error << 8 | rq->status;
	put_fis(h, rq);
	if (rq->pio_in)
		bits |= PORT_IS_PSS;
	if (rq->status & ATA_STATUS_ERR) {
		bits |= PORT_IS_TFES;
		p->halted = 1;
	}
	p->ci &= ~(1u << slot);
	p->sact &= ~(1u << slot);
	ahci_port_signal(h, bits);
}

/*
 * Run command slot: header and table from guest memory (a bad address
 * fails the command), then the FIS: a register FIS with C set is an ATA
 * command, without C a device control update (SRST).
 */
static void run_slot(struct ahci *h, unsigned int slot)
{
	struct ahci_port *p = &h->port;
	struct ahci_req rq = { .h = h };
	uint8_t cfis[20], acmd[ATAPI_CDB_LEN], *hdr, *tbl;
	uint32_t dw0;

	hdr = gmem_ptr(h->mem, gpa64(p->clb, p->clbu) + slot * CMDH_LEN,
		       CMDH_LEN);
	if (!hdr) {
		req_fail(&rq, ATA_ERROR_ABRT);
		complete(h, slot, &rq);
		return;
	}
	dw0 = le32(hdr);
	rq.nprd = dw0 >> 16;
	tbl = gmem_ptr(h->mem, le64(hdr + 8) & ~0x7fULL,
		       CT_PRDT + rq.nprd * PRD_LEN);
	if (!tbl) {
		req_fail(&rq, ATA_ERROR_ABRT);
		complete(h, slot, &rq);
		return;
	}
	memcpy(cfis, tbl, sizeof(cfis));
	memcpy(acmd, tbl + CT_ACMD, sizeof(acmd));
	rq.prdt = tbl + CT_PRDT;
	if (cfis[0] != FIS_H2D || (dw0 & 0x1f) < 5) {
		req_fail(&rq, ATA_ERROR_ABRT);
	} else if (cfis[1] & FIS_H2D_C) {
		run_ata(&rq, cfis, acmd);
	} else if (!(cfis[15] & ATA_CTL_SRST)) {
		/* the end of a software reset: the drive's signature */
		atapi_reset(&h->atapi);
		rq.sig = true;
		rq.error = 1;
	} else {
		rq.status = STATUS_OK;
	}
	put_le32(hdr + 4, rq.done); /* PRDBC */
	complete(h, slot, &rq);
}

void ahci_run_commands(struct ahci *h)
{
	unsigned int slot;

	for (slot = 0; slot < AHCI_SLOTS; slot++) {
		if (!(h->port.ci & (1u << slot)))
			continue;
		if (h->port.halted || !(h->port.cmd & PORT_CMD_ST))
			return;
		run_slot(h, slot);
	}
}
