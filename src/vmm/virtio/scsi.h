/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-scsi (virtio 1.2, 5.6): one SCSI host adapter whose targets 0,
 * 1, ... are the --disk options with bus=scsi, each a disk (scsi/scsi.h)
 * at LUN 0 over the disk backend of src/vmm/disk/, as virtio-blk uses it.
 *
 * Queues: 0 control (task management functions, asynchronous
 * notification queries and subscriptions: none supported), 1 event
 * (never used: no hot-plug, no events), 2.. one request queue per vCPU.
 * Requests are parsed and checked by vscsi_parse_req() (pure, testable
 * on iovecs), the CDB run by the SCSI layer, the I/O submitted
 * asynchronously from the device's evloop thread; completions come back
 * on each disk's eventfd in the same loop.
 */
#ifndef WIRT_VMM_VIRTIO_SCSI_H
#define WIRT_VMM_VIRTIO_SCSI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/virtio/virtio.h"

#define VIRTIO_ID_SCSI 8

#define VSCSI_CDB_SIZE 32
#define VSCSI_SENSE_SIZE 96
#define VSCSI_REQ_HDR (8 + 8 + 3 + VSCSI_CDB_SIZE) /* virtio_scsi_req_cmd */
#define VSCSI_RESP_HDR (4 + 4 + 2 + 1 + 1 + VSCSI_SENSE_SIZE)
#define VSCSI_MAX_TARGETS 64
#define VSCSI_QUEUE_SIZE 128
#define VSCSI_CONFIG_SIZE 36
#define VSCSI_CTRLQ 0
#define VSCSI_EVENTQ 1
#define VSCSI_REQQ 2 /* the first request queue */

/* response codes (virtio 1.2, 5.6.6.1) */
#define VIRTIO_SCSI_S_OK 0
#define VIRTIO_SCSI_S_OVERRUN 1
#define VIRTIO_SCSI_S_BAD_TARGET 3
#define VIRTIO_SCSI_S_FAILURE 9
#define VIRTIO_SCSI_S_FUNCTION_SUCCEEDED 10
#define VIRTIO_SCSI_S_FUNCTION_REJECTED 11
#define VIRTIO_SCSI_S_FUNCTION_COMPLETE 0

/* control queue requests (5.6.6.2) */
#define VIRTIO_SCSI_T_TMF 0
#define VIRTIO_SCSI_T_AN_QUERY 1
#define VIRTIO_SCSI_T_AN_SUBSCRIBE 2
#define VIRTIO_SCSI_T_TMF_QUERY_TASK_SET 7 /* highest subtype */
#define VSCSI_TMF_OUT 24
#define VSCSI_AN_OUT 16
#define VSCSI_AN_IN 5

/* A checked request of a request queue. */
struct vscsi_parsed {
	uint8_t lun[8];
	uint8_t cdb[VSCSI_CDB_SIZE];
	size_t din_len; /* data-in bytes after the response header */
	size_t dout_len; /* data-out bytes after the request header */
};

/*
 * vscsi_parse_req - read the request header of e. Returns -EINVAL when
 * the chain cannot hold a request and its response (the caller fails the
 * device), else 0 with p filled.
 */
int vscsi_parse_req(const struct vq_elem *e, struct vscsi_parsed *p);

/*
 * vscsi_lun_target - the target that lun (virtio's 8-byte format: 1,
 * target, a flat or peripheral LUN, zeroes) addresses, or -1 when the
 * format is wrong or the target is not below ntargets. *lun0 says
 * whether it addresses LUN 0 (the only unit of a target).
 */
int vscsi_lun_target(const uint8_t lun[8], unsigned int ntargets, bool *lun0);

struct vscsi;
struct disk;

/*
 * vscsi_new - a virtio-scsi host adapter with nqueues request queues
 * and no target yet. Returns NULL with errno set.
 */
struct vscsi *vscsi_new(unsigned int nqueues);

/* vscsi_ops - the device's ops table, for the transport (lives with s). */
const struct virtio_dev_ops *vscsi_ops(struct vscsi *s);

/* vscsi_attach - bind s to the transport's device d (d->priv == s). */
void vscsi_attach(struct vscsi *s, struct virtio_dev *d);

/*
 * vscsi_add_target - make disk (taken over: closed with the device) the
 * next target, its unit named name (VPD 0x83; up to 31 characters), a
 * CD-ROM (read-only, 2048-byte blocks, MMC commands) when cdrom.
 * Before the vCPUs run, after vscsi_attach. Returns the target number,
 * or -ENOSPC past VSCSI_MAX_TARGETS, or -errno (the disk then stays the
 * caller's).
 */
int vscsi_add_target(struct vscsi *s, struct disk *disk, const char *name,
		     bool cdrom);

/* vscsi_ntargets - how many targets s has. */
unsigned int vscsi_ntargets(const struct vscsi *s);

/* vscsi_inflight - requests popped and not yet answered (any thread). */
unsigned int vscsi_inflight(struct vscsi *s);

/*
 * vscsi_free - after the device's evloop has stopped: finish in-flight
 * requests without touching the queues, close the disks, free s.
 */
void vscsi_free(struct vscsi *s);

struct vm;
struct disk_opts;

/*
 * virtio_scsi_create - the --disk bus=scsi constructor: open the disk of
 * o and make it the next target of the VM's virtio-scsi adapter, which
 * the first such disk adds to the PCI bus (scsi-pci.c). Returns 0 or
 * -errno after printing one error line.
 */
int virtio_scsi_create(struct vm *vm, const struct disk_opts *o);

#endif
