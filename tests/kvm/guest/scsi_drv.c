// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * KVM-tier test driver for virtio-scsi (wirt.test=virtio-scsi): finds
 * the adapter, brings up its control queue and first request queue, and
 * sends SCSI commands to target 0 (a writable disk) and target 1 (a
 * read-only one): INQUIRY, REPORT LUNS, READ CAPACITY (10)/(16), a write
 * read back, SYNCHRONIZE CACHE, MODE SENSE, the errors (a write to the
 * read-only disk, a read past the end, an unknown opcode, a target that
 * does not exist, a LUN that does not exist), task management functions
 * and a notification query. Prints "key: value" lines, then "count: 1"
 * and spins so that the host can ask QMP. wirt.test=virtio-scsi-counter
 * keeps a counter in RAM and in target 0's block 0 together, as
 * virtio-blk-counter does: a save and restore must keep both.
 * wirt.test=virtio-scsi-cd reads a CD-ROM target (scsi_cd).
 */
#include <stddef.h>
#include <stdint.h>

#include "vmm/virtio/ring.h"
#include "gio.h"
#include "vdrv.h"

#define CTRL_DESC (RING_BASE + 0x10000)
#define CTRL_AVAIL (RING_BASE + 0x11000)
#define CTRL_USED (RING_BASE + 0x12000)
#define CTRL_REQ (RING_BASE + 0x14000)
#define CTRL_RESP (RING_BASE + 0x14100)
#define REQ BUF_ADDR
#define RESP (BUF_ADDR + 0x100)
#define DATA (BUF_ADDR + 0x1000)
#define REQ_HDR 51
#define RESP_HDR 108
#define REQQ 2

void guest_sleep_ms(uint32_t ms); /* guest.c */

/* The answer to the last command. */
static struct {
	int response; /* virtio response, -1: no answer */
	unsigned int status, key, asc;
	uint32_t resid;
	uint32_t used; /* bytes the device wrote */
} res;

static uint16_t ctrl_idx;
static int no_wait; /* cmd_raw: do not wait for the answer */

/* Set up queue q with its rings at desc/avail/used. */
static void setup_queue(struct vdev *v, unsigned int q, uint64_t desc,
			uint64_t avail, uint64_t used)
{
	uint64_t c = v->common;

	memset_((void *)desc, 0, 0x3000);
	wmmio16(c + C_QSEL, q);
	wmmio16(c + C_QSIZE, QSIZE);
	wmmio16(c + C_QMSIX, 0xffff);
	wmmio64(c + C_QDESC, desc);
	wmmio64(c + C_QDRIVER, avail);
	wmmio64(c + C_QDEVICE, used);
	wmmio16(c + C_QENABLE, 1);
}

/* Find, reset and start the adapter. Returns 0 or -1 after a line. */
static int scsi_open(struct vdev *v)
{
	uint64_t c;
	int slot;

	memset_(v, 0, sizeof(*v));
	slot = enumerate(0x10481af4);
	if (slot < 0) {
		gio_puts("virtio-scsi: not found\n");
		return -1;
	}
	v->slot = slot;
	if (probe(v))
		return -1;
	c = v->common;
	wmmio8(c + C_STATUS, 0);
	while (mmio8(c + C_STATUS))
		;
	wmmio8(c + C_STATUS, 3);
	wmmio32(c + C_GFSEL, 0);
	wmmio32(c + C_GF, 0);
	wmmio32(c + C_GFSEL, 1);
	wmmio32(c + C_GF, 1); /* VERSION_1 only */
	wmmio8(c + C_STATUS, 0xb);
	kv("scsi-num-queues", mmio16(c + C_NUMQ));
	setup_queue(v, 0, CTRL_DESC, CTRL_AVAIL, CTRL_USED);
	setup_queue(v, REQQ, DESC_ADDR, AVAIL_ADDR, USED_ADDR);
	wmmio8(c + C_STATUS, 0xf);
	avail_idx = 0;
	ctrl_idx = 0;
	return mmio8(c + C_STATUS) == 0xf ? 0 : -1;
}

/* Kick queue q. */
static void kick(struct vdev *v, unsigned int q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wmmio16(v->common + C_QSEL, q);
	wmmio16(v->notify + mmio16(v->common + C_QNOFF) * v->notify_mult, q);
}

/*
 * One command to lun (8 bytes) on the request queue: cdb, dout bytes of
 * data-out or din bytes of data-in at DATA (hdr_out/hdr_in: the header
 * lengths, shorter for a malformed request). Fills res; returns its
 * response.
 */
static int cmd_raw(struct vdev *v, const uint8_t *lun, const uint8_t *cdb,
		   unsigned int cdb_len, uint32_t dout, uint32_t din,
		   uint32_t hdr_out, uint32_t hdr_in)
{
	struct virtq_desc *d = (struct virtq_desc *)DESC_ADDR;
	struct virtq_avail *a = (struct virtq_avail *)AVAIL_ADDR;
	volatile struct virtq_used *u = (struct virtq_used *)USED_ADDR;
	uint8_t *rq = (uint8_t *)REQ, *rs = (uint8_t *)RESP;
	uint16_t n = 0;
	unsigned int i;

	memset_(rq, 0, REQ_HDR);
	memset_(rs, 0xee, RESP_HDR);
	for (i = 0; i < 8; i++)
		rq[i] = lun[i];
	for (i = 0; i < cdb_len; i++)
		rq[19 + i] = cdb[i];
	d[n] = (struct virtq_desc){ REQ, hdr_out, VIRTQ_DESC_F_NEXT, n + 1 };
	n++;
	if (dout)
		d[n] = (struct virtq_desc){ DATA, dout, VIRTQ_DESC_F_NEXT,
					    n + 1 },
		n++;
	d[n] = (struct virtq_desc){ RESP, hdr_in,
				    VIRTQ_DESC_F_WRITE |
					    (din ? VIRTQ_DESC_F_NEXT : 0),
				    n + 1 };
	if (din)
		n++, d[n] = (struct virtq_desc){ DATA, din, VIRTQ_DESC_F_WRITE,
						 0 };
	a->ring[avail_idx % QSIZE] = 0;
	__atomic_store_n(&a->idx, ++avail_idx, __ATOMIC_RELEASE);
	kick(v, REQQ);
	res.response = -1;
	if (no_wait || wait_used(avail_idx))
		return -1;
	res.used = u->ring[(avail_idx - 1) % QSIZE].len;
	res.resid = rs[4] | rs[5] << 8 | rs[6] << 16 | (uint32_t)rs[7] << 24;
	res.status = rs[10];
	res.response = rs[11];
	res.key = rs[12 + 2] & 0xf;
	res.asc = rs[12 + 12];
	return res.response;
}

/* cmd_raw on LUN 0 of target t with well-formed headers. */
static int cmd(struct vdev *v, unsigned int t, const uint8_t *cdb,
	       unsigned int cdb_len, uint32_t dout, uint32_t din)
{
	uint8_t lun[8] = { 1, t, 0x40, 0, 0, 0, 0, 0 };

	return cmd_raw(v, lun, cdb, cdb_len, dout, din, REQ_HDR, RESP_HDR);
}

/* One control request (out bytes at CTRL_REQ, in at CTRL_RESP). */
static int ctrl(struct vdev *v, uint32_t out, uint32_t in)
{
	struct virtq_desc *d = (struct virtq_desc *)CTRL_DESC;
	struct virtq_avail *a = (struct virtq_avail *)CTRL_AVAIL;
	volatile struct virtq_used *u = (struct virtq_used *)CTRL_USED;
	unsigned long i;

	memset_((void *)CTRL_RESP, 0xee, 8);
	d[0] = (struct virtq_desc){ CTRL_REQ, out, VIRTQ_DESC_F_NEXT, 1 };
	d[1] = (struct virtq_desc){ CTRL_RESP, in, VIRTQ_DESC_F_WRITE, 0 };
	a->ring[ctrl_idx % QSIZE] = 0;
	__atomic_store_n(&a->idx, ++ctrl_idx, __ATOMIC_RELEASE);
	kick(v, 0);
	for (i = 0; i < 50000000UL && u->idx != ctrl_idx; i++)
		__asm__ volatile("pause");
	return u->idx == ctrl_idx ? *(volatile uint8_t *)CTRL_RESP : -1;
}

/* A task management function subtype on target t. */
static int tmf(struct vdev *v, uint32_t subtype, unsigned int t)
{
	uint8_t *r = (uint8_t *)CTRL_REQ;

	memset_(r, 0, 24);
	r[4] = subtype;
	r[8] = 1;
	r[9] = t;
	r[10] = 0x40;
	return ctrl(v, 24, 1);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Print "k: key/asc" of the last command's sense. */
static void kv_sense(const char *k)
{
	gio_puts(k);
	gio_puts(": ");
	gio_putu(res.status);
	gio_puts("/");
	gio_putu(res.key);
	gio_puts("/");
	gio_putu(res.asc);
	gio_puts("\n");
}

/* INQUIRY, REPORT LUNS, capacities of both targets. */
static void scsi_info(struct vdev *v)
{
	const uint8_t *b = (const uint8_t *)DATA;
	uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 };
	uint8_t vpd[6] = { 0x12, 1, 0x83, 0, 255, 0 };
	uint8_t rl[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	uint8_t rc10[10] = { 0x25 };
	uint8_t rc16[16] = { 0x9e, 0x10, [13] = 32 };

	cmd(v, 0, inq, 6, 0, 96);
	kv("scsi-inquiry-response", res.response);
	kv("scsi-inquiry-type", b[0]);
	kv("scsi-inquiry-vendor-ok",
	   b[8] == 'W' && b[9] == 'I' && b[10] == 'R' && b[11] == 'T');
	kv("scsi-inquiry-resid", res.resid);
	cmd(v, 0, vpd, 6, 0, 255);
	kv("scsi-vpd83-len", b[3]);
	cmd(v, 0, rl, 12, 0, 256);
	kv("scsi-report-luns-len", be32(b));
	cmd(v, 0, rc10, 10, 0, 8);
	kv("scsi-t0-last-lba", be32(b));
	kv("scsi-t0-block", be32(b + 4));
	cmd(v, 1, rc16, 16, 0, 32);
	kv("scsi-t1-last-lba", (uint64_t)be32(b) << 32 | be32(b + 4));
}

/* Writes, read back, flush and mode sense. */
static void scsi_rw(struct vdev *v)
{
	volatile uint8_t *b = (volatile uint8_t *)DATA;
	uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 200, 0, 0, 8, 0 };
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 200, 0, 0, 8, 0 };
	uint8_t r16[16] = { 0x88, [9] = 200, [13] = 8 };
	uint8_t sync[10] = { 0x35 };
	uint8_t ms[6] = { 0x1a, 0, 0x3f, 0, 255, 0 };
	unsigned int i, same = 1;

	memset_((void *)DATA, 0xa5, 4096);
	cmd(v, 0, w10, 10, 4096, 0);
	kv("scsi-write-status", res.status);
	memset_((void *)DATA, 0, 4096);
	cmd(v, 0, r10, 10, 0, 4096);
	for (i = 0; i < 4096; i++)
		same &= b[i] == 0xa5;
	kv("scsi-readback-ok", same);
	kv("scsi-read-used", res.used);
	memset_((void *)DATA, 0, 4096);
	cmd(v, 0, r16, 16, 0, 4096);
	kv("scsi-read16-ok", b[0] == 0xa5 && b[4095] == 0xa5);
	cmd(v, 0, sync, 10, 0, 0);
	kv("scsi-sync-status", res.status);
	cmd(v, 0, ms, 6, 0, 255);
	kv("scsi-t0-wp", b[2] >> 7);
	cmd(v, 1, ms, 6, 0, 255);
	kv("scsi-t1-wp", b[2] >> 7);
}

/* The errors a guest can provoke. */
static void scsi_errors(struct vdev *v)
{
	uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t past[10] = { 0x28, 0, 0, 0, 0x40, 0, 0, 0, 1, 0 };
	uint8_t bad[10] = { 0x4d };
	uint8_t tur[6] = { 0 };
	uint8_t lun5[8] = { 1, 0, 0x40, 5, 0, 0, 0, 0 };
	uint8_t badfmt[8] = { 2, 0, 0x40, 0, 0, 0, 0, 0 };

	cmd(v, 1, w10, 10, 512, 0);
	kv_sense("scsi-ro-write");
	cmd(v, 0, past, 10, 0, 512); /* LBA 16384 of 16384 blocks */
	kv_sense("scsi-read-past-end");
	cmd(v, 0, bad, 10, 0, 0);
	kv_sense("scsi-bad-opcode");
	past[4] = 0; /* LBA 0: a buffer smaller than the transfer */
	cmd(v, 0, past, 10, 0, 256);
	kv("scsi-overrun-response", res.response);
	kv("scsi-bad-target-response", cmd(v, 7, tur, 6, 0, 0));
	cmd_raw(v, badfmt, tur, 6, 0, 0, REQ_HDR, RESP_HDR);
	kv("scsi-bad-lun-format-response", res.response);
	cmd_raw(v, lun5, tur, 6, 0, 0, REQ_HDR, RESP_HDR);
	kv_sense("scsi-lun5-tur");
	kv("scsi-tmf-abort", tmf(v, 0, 0));
	kv("scsi-tmf-lun-reset", tmf(v, 5, 1));
	kv("scsi-tmf-bad-target", tmf(v, 5, 9));
	kv("scsi-tmf-unknown", tmf(v, 99, 0));
	memset_((void *)CTRL_REQ, 0, 16);
	*(volatile uint8_t *)CTRL_REQ = 1; /* AN query */
	*(volatile uint8_t *)(CTRL_REQ + 4) = 1;
	ctrl(v, 16, 5);
	kv("scsi-an-query", *(volatile uint8_t *)(CTRL_RESP + 4));
	kv("scsi-an-events", *(volatile uint32_t *)CTRL_RESP);
}

/*
 * A request too short for its header: NEEDS_RESET, the guest runs on,
 * and after a reset the adapter answers again.
 */
static void scsi_hostile(struct vdev *v)
{
	uint8_t lun[8] = { 1, 0, 0x40, 0, 0, 0, 0, 0 };
	uint8_t tur[6] = { 0 };
	unsigned int i;

	no_wait = 1;
	cmd_raw(v, lun, tur, 6, 0, 0, 20, RESP_HDR);
	no_wait = 0;
	for (i = 0; i < 10000000 && !(mmio8(v->common + C_STATUS) & 0x40); i++)
		__asm__ volatile("pause");
	kv("scsi-needs-reset", !!(mmio8(v->common + C_STATUS) & 0x40));
	if (scsi_open(v))
		return;
	kv("scsi-tur-after-reset",
	   cmd(v, 0, tur, 6, 0, 0) == 0 && res.status == 0);
}

/*
 * wirt.test=virtio-scsi-cd: target 0 is a CD-ROM (media=cdrom) holding
 * an ISO 9660 image: INQUIRY, READ CAPACITY, the volume descriptor at
 * block 16, a write refused, GET CONFIGURATION's current profile.
 */
static void scsi_cd(struct vdev *v)
{
	const volatile uint8_t *b = (const volatile uint8_t *)DATA;
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	uint8_t rc10[10] = { 0x25 };
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 16, 0, 0, 1, 0 };
	uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 16, 0, 0, 1, 0 };
	uint8_t gc[10] = { 0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0 };
	uint8_t tur[6] = { 0 };

	cmd(v, 0, inq, 6, 0, 36);
	kv("cd-type", b[0]);
	kv("cd-removable", b[1] >> 7);
	cmd(v, 0, rc10, 10, 0, 8);
	kv("cd-last-lba", be32((const uint8_t *)DATA));
	kv("cd-block", be32((const uint8_t *)DATA + 4));
	cmd(v, 0, r10, 10, 0, 2048);
	kv("cd-read-status", res.status);
	kv("cd-cd001", b[1] == 'C' && b[2] == 'D' && b[3] == '0' &&
			       b[4] == '0' && b[5] == '1');
	cmd(v, 0, w10, 10, 2048, 0);
	kv_sense("cd-write");
	cmd(v, 0, tur, 6, 0, 0);
	kv("cd-tur", res.status);
	cmd(v, 0, gc, 10, 0, 8);
	kv("cd-profile", b[6] << 8 | b[7]);
	r10[5] = 0xff; /* block 255 + ... far past the end */
	r10[2] = 0x10;
	cmd(v, 0, r10, 10, 0, 2048);
	kv_sense("cd-read-past-end");
}

/* Counter in RAM and in block 0 of target 0 (see the file comment). */
static void scsi_counter(struct vdev *v)
{
	static volatile uint64_t count;
	volatile uint64_t *data = (volatile uint64_t *)DATA;
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 };

	for (;;) {
		if (cmd(v, 0, r10, 10, 0, 512) || res.status) {
			gio_puts("FAIL: virtio-scsi read\n");
			break;
		}
		if (*data != count) {
			gio_puts("FAIL: disk and memory disagree\n");
			break;
		}
		*data = count + 1;
		if (cmd(v, 0, w10, 10, 512, 0) || res.status) {
			gio_puts("FAIL: virtio-scsi write\n");
			break;
		}
		count++;
		gio_puts("count: ");
		gio_putu(count);
		gio_puts("\n");
		guest_sleep_ms(100);
	}
}

void scsi_test(const char *mode)
{
	struct vdev v;

	if (scsi_open(&v))
		return;
	kv("scsi-max-target", mmio16(v.device + 30));
	if (mode[4] == '-' && mode[5] == 'c' && mode[6] == 'd') {
		scsi_cd(&v);
		gio_puts("count: 1\n");
	} else if (mode[4] == '-') {
		scsi_counter(&v);
	} else {
		scsi_info(&v);
		scsi_rw(&v);
		scsi_errors(&v);
		scsi_hostile(&v);
		gio_puts("count: 1\n");
	}
	for (;;)
		__asm__ volatile("pause");
}
