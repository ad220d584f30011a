/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the files of the virtio-scsi device (scsi.h). */
#ifndef WIRT_VMM_VIRTIO_SCSI_INT_H
#define WIRT_VMM_VIRTIO_SCSI_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "vmm/disk/disk.h"
#include "vmm/sata/atapi.h"
#include "vmm/scsi/scsi.h"
#include "vmm/virtio/scsi.h"

struct vscsi_target {
	struct vscsi *dev;
	struct disk *disk;
	struct scsi_lu lu;
	char name[DISK_ID_MAX + 1];
	unsigned int inflight; /* its requests started, not answered (lock) */
	bool cdrom; /* media=cdrom: MMC commands of atapi (under the lock) */
	struct atapi atapi;
};

/* One request of a request queue. */
struct vscsi_req {
	struct vscsi *dev;
	struct vscsi_target *tgt;
	unsigned int q;
	unsigned int pending; /* disk I/Os not yet done */
	bool failed; /* one of them failed */
	uint8_t response; /* VIRTIO_SCSI_S_* */
	uint64_t t0; /* blk_stats_now() when the I/O started */
	struct vscsi_parsed p;
	struct scsi_cmd cmd;
	void *bounce; /* host copy of block 0 of a guarded write, or NULL */
	struct iovec bounce_iov;
	struct disk_io io[2];
	struct vscsi_req *next_free;
	unsigned int niov;
	struct iovec iov[VQ_MAX_SEGS]; /* the data part of the chain */
	struct vq_elem elem;
};

/* A control request waiting until its target has nothing in flight. */
struct vscsi_tmf {
	struct vscsi_tmf *next;
	struct vscsi_target *tgt;
	struct vq_elem elem;
};

struct vscsi {
	struct virtio_dev *vdev; /* the transport's, once attached */
	struct virtio_dev_ops ops;
	unsigned int nqueues; /* request queues */
	unsigned int ntargets;
	struct vscsi_target tgt[VSCSI_MAX_TARGETS];

	pthread_mutex_t lock;
	pthread_cond_t idle; /* signalled when inflight drops to 0 */
	atomic_uint inflight;
	bool failed; /* virtio_dev_fail called: stop until reset */
	bool resetting; /* reset waiting: answer nothing */
	bool *irq; /* per queue: pushed since the last interrupt */
	struct vscsi_tmf *tmfs; /* waiting control requests */
	struct vscsi_req *free_reqs;
	unsigned int nfree;
	unsigned int nflush; /* flushes of a quiesce still running */
	int flush_ret;
};

/* scsi-req.c: serve request queue q (lock held; fails the device). */
void vscsi_serve_requests(struct vscsi *s, unsigned int q);
/* scsi-req.c: the disk of target t has completions (evloop thread). */
void vscsi_disk_event(void *opaque, int fd, uint32_t events);
/* scsi-req.c: free the request cache. */
void vscsi_free_reqs(struct vscsi *s);
/*
 * scsi-cd.c: run c's CDB on the CD-ROM of target t (media=cdrom) with the
 * MMC commands of the SATA drive (sata/atapi.h); a READ comes back as
 * SCSI_ACT_READ of 512-byte blocks. Lock held.
 */
void vscsi_cd_exec(struct vscsi_target *t, struct scsi_cmd *c);
/* scsi.c: answer the control requests whose target went idle (lock). */
void vscsi_answer_tmfs(struct vscsi *s);
/* scsi.c: interrupt for the queues that got answers (lock held). */
void vscsi_send_irqs(struct vscsi *s);
/* scsi.c: the guest broke the protocol (lock held). */
void vscsi_fail(struct vscsi *s, const char *why);

#endif
