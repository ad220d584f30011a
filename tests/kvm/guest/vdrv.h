/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KVM-tier test guest's virtio-pci driver pieces shared by its
 * device tests (virtio_drv.c: rng and blk; scsi_drv.c: virtio-scsi).
 */
#ifndef WIRT_TEST_GUEST_VDRV_H
#define WIRT_TEST_GUEST_VDRV_H

#include <stddef.h>
#include <stdint.h>

/* Guest RAM used here: far above the test program and its stack. */
#define RING_BASE 0x800000UL
#define DESC_ADDR (RING_BASE + 0x0000)
#define AVAIL_ADDR (RING_BASE + 0x1000)
#define USED_ADDR (RING_BASE + 0x2000)
#define BUF_ADDR (RING_BASE + 0x4000)
#define QSIZE 8

/* The device as the driver found it. */
struct vdev {
	unsigned int slot;
	uint64_t bar[6];
	uint64_t common, notify, isr, device;
	uint32_t notify_mult;
	unsigned int msix_cap;
	uint64_t msix_table;
};

/* Common configuration registers (virtio 1.2, 4.1.4.3) */
#define C_DFSEL 0x00
#define C_DF 0x04
#define C_GFSEL 0x08
#define C_GF 0x0c
#define C_MSIX 0x10
#define C_NUMQ 0x12
#define C_STATUS 0x14
#define C_GEN 0x15
#define C_QSEL 0x16
#define C_QSIZE 0x18
#define C_QMSIX 0x1a
#define C_QENABLE 0x1c
#define C_QNOFF 0x1e
#define C_QDESC 0x20
#define C_QDRIVER 0x28
#define C_QDEVICE 0x30

static inline uint32_t mmio32(uint64_t a)
{
	return *(volatile uint32_t *)a;
}

static inline uint16_t mmio16(uint64_t a)
{
	return *(volatile uint16_t *)a;
}

static inline uint8_t mmio8(uint64_t a)
{
	return *(volatile uint8_t *)a;
}

static inline void wmmio32(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static inline void wmmio16(uint64_t a, uint16_t v)
{
	*(volatile uint16_t *)a = v;
}

static inline void wmmio8(uint64_t a, uint8_t v)
{
	*(volatile uint8_t *)a = v;
}

static inline void wmmio64(uint64_t a, uint64_t v)
{
	wmmio32(a, (uint32_t)v);
	wmmio32(a + 4, v >> 32);
}

/* virtio_drv.c */
extern uint16_t avail_idx; /* of the queue at DESC/AVAIL/USED_ADDR */
void kv(const char *k, uint64_t v); /* prints "k: v" */
uint32_t cfg_read(unsigned int slot, unsigned int reg);
void cfg_write16(unsigned int slot, unsigned int reg, uint16_t v);
void *memset_(void *d, int c, size_t n);
int enumerate(uint32_t want); /* the first slot with that id, or -1 */
int probe(struct vdev *v); /* BARs, capabilities: 0 or -1 */
int wait_used(uint16_t want); /* used idx at USED_ADDR: 0, -1 timeout */

/* scsi_drv.c: wirt.test=virtio-scsi... */
void scsi_test(const char *mode);

#endif
