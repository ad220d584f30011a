/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-blk (virtio 1.2, 5.2) over the disk backend of src/vmm/disk/.
 *
 * The device is transport-independent: vblk_new() gives a struct
 * virtio_dev that a transport (virtio-pci) presents to the guest. Requests
 * are parsed and checked by vblk_parse() (pure, testable on iovecs), then
 * submitted asynchronously to the disk's engine from the device's evloop
 * thread; completions come back on the disk's eventfd in the same loop.
 */
#ifndef WIRT_VMM_VIRTIO_BLK_H
#define WIRT_VMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/virtio/virtio.h"

/* Feature bits (virtio 1.2, 5.2.3) */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

/* Status byte values */
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_WZ_UNMAP 1 /* discard/write-zeroes segment flag */

#define VBLK_SECTOR 512
#define VBLK_HDR_LEN 16
#define VBLK_SEG_LEN 16 /* struct virtio_blk_discard_write_zeroes */
#define VBLK_SEG_MAX (VQ_MAX_SEGS - 2) /* header and status take two */
#define VBLK_MAX_RANGES 16 /* discard/write-zeroes segments per request */
#define VBLK_MAX_DISCARD_SECTORS (1U << 22) /* 2 GiB */
#define VBLK_MAX_WZ_SECTORS (1U << 16) /* 32 MiB */
#define VBLK_QUEUE_SIZE 256
#define VBLK_CONFIG_SIZE 60

/* What a request may do, from the disk and the negotiated features. */
struct vblk_limits {
	uint64_t capacity; /* in 512-byte sectors */
	bool readonly;
	bool discard; /* VIRTIO_BLK_F_DISCARD negotiated */
	bool write_zeroes; /* VIRTIO_BLK_F_WRITE_ZEROES negotiated */
};

/* One discard/write-zeroes range, checked. */
struct vblk_range {
	uint64_t sector;
	uint32_t num_sectors;
	bool unmap;
};

/* A parsed request. data points into (and trims) the vq_elem's iovecs. */
struct vblk_parsed {
	uint32_t type;
	uint64_t sector;
	uint8_t *status; /* the status byte in guest memory */
	struct iovec *data; /* reads, writes, GET_ID */
	unsigned int ndata;
	size_t data_len;
	unsigned int nranges;
	struct vblk_range range[VBLK_MAX_RANGES];
};

/*
 * vblk_parse - check the request in e (whose iovecs it trims to the data
 * part) against lim. Returns -EINVAL when the chain has no status byte
 * (the ring is malformed: the caller fails the device), otherwise the
 * status to answer now (VIRTIO_BLK_S_IOERR or _UNSUPP), or VIRTIO_BLK_S_OK
 * when p describes a valid request to carry out.
 */
int vblk_parse(const struct vblk_limits *lim, struct vq_elem *e,
	       struct vblk_parsed *p);

struct vblk;
struct disk;

/*
 * vblk_new - a virtio-blk device over disk (taken over: closed with the
 * device) with nqueues request queues. Returns NULL with errno set.
 */
struct vblk *vblk_new(struct disk *disk, unsigned int nqueues);

/* vblk_ops - the device's ops table, for the transport (lives with b). */
const struct virtio_dev_ops *vblk_ops(struct vblk *b);

/*
 * vblk_attach - bind b to the transport's device d (d->priv == b): its
 * queues and evloop, to which the disk's completion eventfd is added.
 * Returns 0 or -errno.
 */
int vblk_attach(struct vblk *b, struct virtio_dev *d);

/*
 * vblk_free - after the device's evloop has stopped: finish in-flight
 * requests without touching the queues, close the disk, free b.
 */
void vblk_free(struct vblk *b);

/* vblk_inflight - requests popped and not yet answered (any thread). */
unsigned int vblk_inflight(struct vblk *b);

/*
 * virtio_blk_create - the --disk constructor (bus=virtio): open the disk
 * of o, add a virtio-blk device with one queue per vCPU to the VM's PCI
 * bus. Returns 0 or -errno after printing one error line.
 * (src/vmm/virtio/blk-pci.c, so that this file needs no transport.)
 */
struct vm;
struct disk_opts;
int virtio_blk_create(struct vm *vm, const struct disk_opts *o);

struct blk_stats;

/*
 * vblk_account - account a finished virtio-blk request p (as vblk_parse
 * left it) answered with VIRTIO_BLK_S_* status, submitted at start_ns, or
 * refused by vblk_parse when start_ns is 0 (blk-acct.c). Reads and writes count their
 * data bytes, discard and write-zeroes the bytes of their ranges; GET_ID
 * and unsupported requests are not counted.
 */
void vblk_account(struct blk_stats *s, const struct vblk_parsed *p, int status,
		  uint64_t start_ns);

#endif
