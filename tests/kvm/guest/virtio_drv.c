// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * KVM-tier test driver for virtio-pci (wirt.test=virtio-rng): enumerate PCI
 * bus 0 through ports 0xcf8/0xcfc (and compare with ECAM), find the
 * virtio-rng function, map its BARs (the identity map covers 0-4 GiB),
 * walk its virtio capabilities, negotiate VERSION_1, run queue 0 in guest
 * RAM, check MSI-X delivery in the local APIC's IRR (interrupts stay off),
 * then a hostile descriptor (the device must report NEEDS_RESET while the
 * guest runs on), a reset and reuse. Results are "key: value" lines.
 * wirt.test=virtio-rng-loop instead asks for entropy forever (polling,
 * MSI-X left masked), printing "count: N" after each 5 good answers: a
 * VM saved and restored meanwhile must go on with the same queue.
 * wirt.test=virtio-blk drives the first virtio-blk disk with a known mix
 * of requests (blk_test below), prints what it did, then spins so that
 * the host can read the disk's counters over QMP.
 * wirt.test=virtio-blk-counter keeps a counter in RAM and in the disk's
 * first sector together (test_blk_counter): a snapshot revert must bring
 * both back from the same instant.
 * wirt.test=virtio-blk-seq writes numbered blocks in order without
 * stopping (test_blk_seq): a backup taken meanwhile holds a prefix.
 */
#include <stddef.h>
#include <stdint.h>

#include "vmm/acpi/acpi.h"
#include "vmm/virtio/ring.h"
#include "gio.h"
#include "vdrv.h"

#define LAPIC 0xfee00000UL
#define ECAM 0xe0000000UL
#define MSI_VECTOR 0x45

#define REBOOT_MARK ((volatile uint32_t *)0x5200) /* survives a reset */

void virtio_test(const char *mode);
void guest_sleep_ms(uint32_t ms); /* guest.c */

static void phex(uint64_t v, int digits)
{
	while (digits--)
		gio_putc("0123456789abcdef"[(v >> (4 * digits)) & 0xf]);
}

/* "key: value\n" */
void kv(const char *k, uint64_t v)
{
	gio_puts(k);
	gio_puts(": ");
	gio_putu(v);
	gio_puts("\n");
}

uint32_t cfg_read(unsigned int slot, unsigned int reg)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (reg & 0xfc));
	return inl(0xcfc);
}

void cfg_write16(unsigned int slot, unsigned int reg, uint16_t v)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (reg & 0xfc));
	__asm__ volatile("outw %0, %1"
			 :
			 : "a"(v), "Nd"((uint16_t)(0xcfc + (reg & 2))));
}

void *memset_(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = c;
	return d;
}

/* Enumerate bus 0; returns the first slot with vendor:device want, or -1. */
int enumerate(uint32_t want)
{
	unsigned int s, n = 0, ecam_ok = 1;
	int rng = -1;

	for (s = 0; s < 32; s++) {
		uint32_t id = cfg_read(s, 0);

		if ((id & 0xffff) == 0xffff)
			continue;
		n++;
		if (mmio32(ECAM + (s << 15)) != id ||
		    mmio32(ECAM + (s << 15) + 8) != cfg_read(s, 8))
			ecam_ok = 0;
		gio_puts("pci: 00:");
		phex(s, 2);
		gio_puts(".0 ");
		phex(id & 0xffff, 4);
		gio_putc(':');
		phex(id >> 16, 4);
		gio_puts(" class ");
		phex(cfg_read(s, 8) >> 8, 6);
		gio_puts("\n");
		if (id == want && rng < 0)
			rng = s;
	}
	kv("pci-devices", n);
	if (n)
		kv("ecam-matches", ecam_ok);
	return rng;
}

/* Map BARs, enable decoding, walk the capability list. Returns 0 or -1. */
int probe(struct vdev *v)
{
	unsigned int p, i, seen = 0;

	for (i = 0; i < 6; i++)
		v->bar[i] = cfg_read(v->slot, 0x10 + 4 * i) & ~0xfu;
	cfg_write16(v->slot, 4, 0x6); /* memory + bus master */
	for (p = cfg_read(v->slot, 0x34) & 0xfc; p;
	     p = cfg_read(v->slot, p) >> 8 & 0xfc) {
		uint32_t h = cfg_read(v->slot, p);
		uint8_t type = h >> 24;
		uint64_t addr;

		if ((h & 0xff) == 0x11) {
			v->msix_cap = p;
			v->msix_table = v->bar[cfg_read(v->slot, p + 4) & 7] +
					(cfg_read(v->slot, p + 4) & ~7u);
			continue;
		}
		if ((h & 0xff) != 0x09)
			continue;
		addr = v->bar[cfg_read(v->slot, p + 4) & 7] +
		       cfg_read(v->slot, p + 8);
		seen |= 1u << type;
		if (type == 1)
			v->common = addr;
		else if (type == 2) {
			v->notify = addr;
			v->notify_mult = cfg_read(v->slot, p + 16);
		} else if (type == 3)
			v->isr = addr;
		else if (type == 4)
			v->device = addr;
	}
	gio_puts("virtio-caps:");
	if (seen & 2)
		gio_puts(" common");
	if (seen & 4)
		gio_puts(" notify");
	if (seen & 8)
		gio_puts(" isr");
	if (v->msix_cap)
		gio_puts(" msix");
	gio_puts("\n");
	return (seen & 0xe) == 0xe && v->msix_cap ? 0 : -1;
}

/* Reset and bring the device to DRIVER_OK with queue 0. Returns 0/-1. */
static int init_dev(struct vdev *v)
{
	uint64_t c = v->common;
	uint32_t hi;
	unsigned int i;

	wmmio8(c + C_STATUS, 0);
	for (i = 0; i < 1000 && mmio8(c + C_STATUS); i++)
		;
	if (mmio8(c + C_STATUS))
		return -1;
	wmmio8(c + C_STATUS, 1);
	wmmio8(c + C_STATUS, 3);
	wmmio32(c + C_DFSEL, 1);
	hi = mmio32(c + C_DF);
	kv("feature-version-1", hi & 1);
	wmmio32(c + C_GFSEL, 0);
	wmmio32(c + C_GF, 0);
	wmmio32(c + C_GFSEL, 1);
	wmmio32(c + C_GF, 1); /* VERSION_1 only */
	wmmio8(c + C_STATUS, 0xb);
	if (!(mmio8(c + C_STATUS) & 8))
		return -1;
	memset_((void *)RING_BASE, 0, 0x4000);
	wmmio16(c + C_QSEL, 0);
	wmmio16(c + C_QSIZE, QSIZE);
	wmmio16(c + C_QMSIX, 0);
	wmmio64(c + C_QDESC, DESC_ADDR);
	wmmio64(c + C_QDRIVER, AVAIL_ADDR);
	wmmio64(c + C_QDEVICE, USED_ADDR);
	wmmio16(c + C_QENABLE, 1);
	wmmio8(c + C_STATUS, 0xf);
	return mmio8(c + C_STATUS) == 0xf ? 0 : -1;
}

uint16_t avail_idx;

/* Offer one device-writable buffer and kick queue 0. */
static void post(struct vdev *v, uint16_t head, uint64_t addr, uint32_t len)
{
	struct virtq_desc *d = (struct virtq_desc *)DESC_ADDR;
	struct virtq_avail *a = (struct virtq_avail *)AVAIL_ADDR;
	uint16_t q = mmio16(v->common + C_QNOFF);

	d[head].addr = addr;
	d[head].len = len;
	d[head].flags = VIRTQ_DESC_F_WRITE;
	d[head].next = 0;
	a->ring[avail_idx % QSIZE] = head;
	__atomic_store_n(&a->idx, ++avail_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wmmio16(v->notify + q * v->notify_mult, 0);
}

/* Wait until the used index reaches want. Returns 0, -1 on timeout. */
int wait_used(uint16_t want)
{
	volatile struct virtq_used *u = (struct virtq_used *)USED_ADDR;
	unsigned long i;

	for (i = 0; i < 50000000UL; i++) {
		if (u->idx == want)
			return 0;
		__asm__ volatile("pause");
	}
	return -1;
}

static unsigned int distinct(const uint8_t *p, unsigned int n)
{
	uint8_t seen[256];
	unsigned int i, k = 0;

	memset_(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++)
		if (!seen[p[i]]++)
			k++;
	return k;
}

/* MSI-X vector 0 to this CPU's APIC, vector MSI_VECTOR; MSI-X on. */
static void setup_msix(struct vdev *v)
{
	*(volatile uint32_t *)(LAPIC + 0xf0) = 0x1ff; /* software enable */
	wmmio32(v->msix_table + 0, 0xfee00000);
	wmmio32(v->msix_table + 4, 0);
	wmmio32(v->msix_table + 8, MSI_VECTOR);
	wmmio32(v->msix_table + 12, 0); /* unmask */
	cfg_write16(v->slot, v->msix_cap + 2, 0x8000);
}

static int irr_pending(unsigned int vec)
{
	uint32_t irr = *(volatile uint32_t *)(LAPIC + 0x200 + vec / 32 * 0x10);

	return irr >> (vec % 32) & 1;
}

static void run_requests(struct vdev *v, unsigned int n)
{
	volatile struct virtq_used *u = (struct virtq_used *)USED_ADDR;
	unsigned int i, ok = 0;

	for (i = 0; i < n; i++) {
		post(v, i % QSIZE, BUF_ADDR + 64, 32);
		if (wait_used(avail_idx))
			break;
		ok += u->ring[(avail_idx - 1) % QSIZE].len == 32;
	}
	kv("rng-requests-ok", ok);
}

/* Find the virtio device with PCI @id (device << 16 | vendor), probe and
 * initialise it into @v and reset the queue index; 0, or -1 after printing
 * why, naming the device @name. */
static int vdev_open(struct vdev *v, uint32_t id, const char *name)
{
	int slot;

	memset_(v, 0, sizeof(*v));
	slot = enumerate(id);
	if (slot < 0) {
		gio_puts(name);
		gio_puts(": not found\n");
		return -1;
	}
	v->slot = slot;
	if (probe(v) || init_dev(v)) {
		gio_puts("FAIL: ");
		gio_puts(name);
		gio_puts(" initialisation\n");
		return -1;
	}
	avail_idx = 0;
	return 0;
}

/* The rng and the disk: vdev_open() of each. */
static int rng_open(struct vdev *v)
{
	return vdev_open(v, 0x10441af4, "virtio-rng");
}

static int blk_setup(struct vdev *v)
{
	return vdev_open(v, 0x10421af4, "virtio-blk");
}

static void test_rng(void)
{
	volatile struct virtq_used *u = (struct virtq_used *)USED_ADDR;
	struct vdev v;
	unsigned int i;

	if (rng_open(&v))
		return;
	kv("num-queues", mmio16(v.common + C_NUMQ));
	setup_msix(&v);
	memset_((void *)BUF_ADDR, 0, 64);
	post(&v, 0, BUF_ADDR, 64);
	if (wait_used(1)) {
		gio_puts("FAIL: no answer from virtio-rng\n");
		return;
	}
	kv("rng-bytes", u->ring[0].len);
	kv("rng-distinct", distinct((const uint8_t *)BUF_ADDR, 64));
	for (i = 0; i < 1000000 && !irr_pending(MSI_VECTOR); i++)
		__asm__ volatile("pause");
	kv("msix-irr", irr_pending(MSI_VECTOR));
	run_requests(&v, 100);

	/* hostile: a buffer far outside guest RAM */
	post(&v, 1, 0x7fff00000000ULL, 64);
	for (i = 0; i < 10000000 && !(mmio8(v.common + C_STATUS) & 0x40); i++)
		__asm__ volatile("pause");
	kv("needs-reset", !!(mmio8(v.common + C_STATUS) & 0x40));
	kv("used-after-bad", u->idx == avail_idx - 1);
	gio_puts("guest still running\n");

	/* reset and use it again */
	if (init_dev(&v)) {
		gio_puts("FAIL: re-initialisation after reset\n");
		return;
	}
	kv("status-after-reset", mmio8(v.common + C_STATUS));
	avail_idx = 0;
	memset_((void *)BUF_ADDR, 0, 64);
	post(&v, 0, BUF_ADDR, 48);
	if (wait_used(1)) {
		gio_puts("FAIL: no answer after reset\n");
		return;
	}
	kv("rng-bytes-after-reset", u->ring[0].len);
	kv("rng-distinct-after-reset", distinct((const uint8_t *)BUF_ADDR, 48));
}

/*
 * rng-reboot: run the rng test, reset the machine through ACPI, and run it
 * again in the second boot (the VMM re-registers irqfds, MSI routes and
 * ioeventfds with the new KVM VM and resets the PCI functions).
 */
static void test_reboot(void)
{
	uint32_t boot = REBOOT_MARK[0] == 0x56495254 ? 2 : 1;

	kv("virtio-boot", boot);
	test_rng();
	if (boot == 2) {
		REBOOT_MARK[0] = 0;
		return;
	}
	REBOOT_MARK[0] = 0x56495254;
	outb(ACPI_RESET_PORT, ACPI_RESET_VALUE);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void test_rng_loop(void)
{
	volatile struct virtq_used *u = (struct virtq_used *)USED_ADDR;
	uint64_t n;
	unsigned int i;
	struct vdev v;

	if (rng_open(&v))
		return;
	for (n = 1;; n++) {
		for (i = 0; i < 5; i++) {
			post(&v, avail_idx % QSIZE, BUF_ADDR, 16);
			if (wait_used(avail_idx) ||
			    u->ring[(avail_idx - 1) % QSIZE].len != 16) {
				gio_puts(
					"FAIL: virtio-rng stopped answering\n");
				return;
			}
		}
		gio_puts("count: ");
		gio_putu(n);
		gio_puts("\n");
		guest_sleep_ms(100);
	}
}

/* ---- virtio-blk ---- */

#define BLK_HDR BUF_ADDR
#define BLK_STATUS (BUF_ADDR + 0x100)
#define BLK_DATA (BUF_ADDR + 0x1000)

/*
 * One virtio-blk request on queue 0 (header, data of len bytes unless 0,
 * status), waited for. Returns the status byte, or -1 on timeout.
 */
static int blk_req(struct vdev *v, uint32_t type, uint64_t sector, uint32_t len)
{
	struct virtq_desc *d = (struct virtq_desc *)DESC_ADDR;
	struct virtq_avail *a = (struct virtq_avail *)AVAIL_ADDR;
	uint16_t q = mmio16(v->common + C_QNOFF), n = 0;

	*(volatile uint32_t *)BLK_HDR = type;
	*(volatile uint32_t *)(BLK_HDR + 4) = 0;
	*(volatile uint64_t *)(BLK_HDR + 8) = sector;
	*(volatile uint8_t *)BLK_STATUS = 0xff;
	d[n] = (struct virtq_desc){ BLK_HDR, 16, VIRTQ_DESC_F_NEXT, 1 };
	n++;
	if (len) {
		d[n] = (struct virtq_desc){
			BLK_DATA, len,
			VIRTQ_DESC_F_NEXT |
				(type == 0 ? VIRTQ_DESC_F_WRITE : 0),
			n + 1
		};
		n++;
	}
	d[n] = (struct virtq_desc){ BLK_STATUS, 1, VIRTQ_DESC_F_WRITE, 0 };
	a->ring[avail_idx % QSIZE] = 0;
	__atomic_store_n(&a->idx, ++avail_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wmmio16(v->notify + q * v->notify_mult, 0);
	if (wait_used(avail_idx))
		return -1;
	return *(volatile uint8_t *)BLK_STATUS;
}

/*
 * A known mix the host checks query-blockstats against, exactly: 5 reads
 * of 4 KiB (sectors 0, 8, ... 32), 3 writes of 4 KiB (sectors 64, 72 and
 * 200), a read back of sector 200, a flush, and a read at the capacity
 * (refused: invalid). Then "count: 1" (the host's qmp-client waits for
 * it) and a spin until the host quits.
 */
static void test_blk(void)
{
	unsigned int i, rd = 0, wr = 0, same = 1;
	volatile uint8_t *data = (volatile uint8_t *)BLK_DATA;
	struct vdev v;
	uint64_t cap;

	if (blk_setup(&v))
		return;
	cap = mmio32(v.device) | (uint64_t)mmio32(v.device + 4) << 32;
	kv("blk-capacity", cap);
	for (i = 0; i < 5; i++)
		rd += blk_req(&v, 0, i * 8, 4096) == 0;
	for (i = 0; i < 3; i++) {
		memset_((void *)BLK_DATA, 0xa0 + i, 4096);
		wr += blk_req(&v, 1, i < 2 ? 64 + i * 8 : 200, 4096) == 0;
	}
	memset_((void *)BLK_DATA, 0, 4096);
	rd += blk_req(&v, 0, 200, 4096) == 0;
	for (i = 0; i < 4096; i++)
		same &= data[i] == 0xa2;
	kv("blk-reads-ok", rd);
	kv("blk-writes-ok", wr);
	kv("blk-readback-ok", same);
	kv("blk-flush-status", blk_req(&v, 4, 0, 0));
	kv("blk-invalid-status", blk_req(&v, 0, cap, 512));
	gio_puts("count: 1\n");
	for (;;)
		__asm__ volatile("pause");
}

/*
 * A counter in RAM and in sector 0: every ~100 ms read sector 0, check
 * that it holds the last value written (from RAM), write the next value
 * and print "count: N". The first read only reports what the disk held
 * at boot ("blk-start: N"); a mismatch later prints a FAIL line and
 * stops the counter. Spins afterwards so the host can look.
 */
static void test_blk_counter(void)
{
	static volatile uint64_t count;
	volatile uint64_t *data = (volatile uint64_t *)BLK_DATA;
	struct vdev v;

	if (blk_setup(&v))
		return;
	if (blk_req(&v, 0, 0, 512) != 0) {
		gio_puts("FAIL: virtio-blk read\n");
		return;
	}
	kv("blk-start", *data);
	for (;;) {
		if (count) {
			if (blk_req(&v, 0, 0, 512) != 0) {
				gio_puts("FAIL: virtio-blk read\n");
				break;
			}
			if (*data != count) {
				gio_puts("FAIL: disk holds ");
				gio_putu(*data);
				gio_puts(", memory ");
				gio_putu(count);
				gio_puts("\n");
				break;
			}
		}
		memset_((void *)BLK_DATA, 0, 512);
		*data = count + 1;
		if (blk_req(&v, 1, 0, 512) != 0) {
			gio_puts("FAIL: virtio-blk write\n");
			break;
		}
		count++;
		gio_puts("count: ");
		gio_putu(count);
		gio_puts("\n");
		guest_sleep_ms(100);
	}
	for (;;)
		__asm__ volatile("pause");
}

/*
 * Numbered blocks written in order without stopping, for the backup
 * tests: block i (SEQ_BLOCK bytes at offset i * SEQ_BLOCK) holds
 * SEQ_MAGIC and i in its first 16 bytes, i again in its last 8, zeroes
 * between (few guest instructions: PVM emulates this code). After
 * every SEQ_GROUP blocks a flush, then "count: N" (N blocks written and
 * flushed: acknowledged) and a pause of SEQ_PACE_MS, so that a disk of
 * tens of MiB lasts seconds also where guest code runs at full speed. At
 * the end of the disk "seq-end: N", then a
 * spin. Any failure prints a FAIL line and stops the writes.
 */
#define SEQ_BLOCK 4096
#define SEQ_GROUP 16
#define SEQ_MAGIC 0x3151455354524957ull /* "WIRTSEQ1" */
#define SEQ_PACE_MS 10 /* after each group: at most 1600 blocks/s anywhere */

static void test_blk_seq(void)
{
	volatile uint64_t *data = (volatile uint64_t *)BLK_DATA;
	uint64_t i, n;
	struct vdev v;

	if (blk_setup(&v))
		return;
	n = (mmio32(v.device) | (uint64_t)mmio32(v.device + 4) << 32) /
	    (SEQ_BLOCK / 512);
	kv("seq-blocks", n);
	memset_((void *)BLK_DATA, 0, SEQ_BLOCK);
	for (i = 0; i < n; i++) {
		data[0] = SEQ_MAGIC;
		data[1] = i;
		data[SEQ_BLOCK / 8 - 1] = i;
		if (blk_req(&v, 1, i * (SEQ_BLOCK / 512), SEQ_BLOCK) != 0) {
			gio_puts("FAIL: virtio-blk write of block ");
			gio_putu(i);
			gio_puts("\n");
			break;
		}
		if ((i + 1) % SEQ_GROUP && i + 1 < n)
			continue;
		if (blk_req(&v, 4, 0, 0) != 0) {
			gio_puts("FAIL: virtio-blk flush\n");
			break;
		}
		gio_puts("count: ");
		gio_putu(i + 1);
		gio_puts("\n");
		guest_sleep_ms(SEQ_PACE_MS);
	}
	if (i == n)
		kv("seq-end", n);
	for (;;)
		__asm__ volatile("pause");
}

#define SEQ_BLOCKS 2048 /* 4 KiB blocks: the first 8 MiB of the disk */

/*
 * Numbered blocks without end (wirt.test=virtio-bseq, test_blk_bseq): pass p = 1, 2, ...
 * writes blocks 0 .. SEQ_BLOCKS-1 of 4 KiB in order (fewer on a smaller
 * disk), block i filled with the 64-bit words (p << 32 | i), about one
 * block a millisecond; "count: N" (blocks written) every 64 blocks. At
 * any instant the disk holds pass p in blocks 0..k and pass p-1 (or
 * zeroes) after k: what the host checks the images against.
 */
static void test_blk_bseq(void)
{
	volatile uint64_t *data = (volatile uint64_t *)BLK_DATA;
	uint64_t n, pass, i, total = 0, cap;
	struct vdev v;

	if (blk_setup(&v))
		return;
	cap = mmio32(v.device) | (uint64_t)mmio32(v.device + 4) << 32;
	n = cap / 8 < SEQ_BLOCKS ? cap / 8 : SEQ_BLOCKS;
	kv("blk-seq-blocks", n);
	for (pass = 1;; pass++)
		for (i = 0; i < n; i++) {
			for (unsigned int w = 0; w < 512; w++)
				data[w] = pass << 32 | i;
			if (blk_req(&v, 1, i * 8, 4096) != 0) {
				gio_puts("FAIL: virtio-blk write\n");
				for (;;)
					__asm__ volatile("pause");
			}
			if (++total % 64 == 0) {
				gio_puts("count: ");
				gio_putu(total);
				gio_puts("\n");
			}
			guest_sleep_ms(1);
		}
}

void virtio_test(const char *mode)
{
	if (mode[0] == 'b' && mode[1] == 's')
		test_blk_bseq();
	else if (mode[0] == 'b' && mode[3] == '-' && mode[4] == 's')
		test_blk_seq();
	else if (mode[0] == 'b' && mode[3] == '-')
		test_blk_counter();
	else if (mode[0] == 'b')
		test_blk();
	else if (mode[0] == 's')
		scsi_test(mode);
	else if (mode[0] == 'r' && mode[3] == '-' && mode[4] == 'r')
		test_reboot();
	else if (mode[0] == 'r' && mode[3] == '-' && mode[4] == 'l')
		test_rng_loop();
	else
		test_rng();
}
