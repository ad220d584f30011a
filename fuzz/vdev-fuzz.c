// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A hostile virtio guest for the device fuzz targets (fz_vdev_run in
 * fuzz.h). Input layout:
 *
 *   u64 driver features (only offered ones stick, as FEATURES_OK checks)
 *   per queue (at most FZ_MAX_QUEUES): u16 size, u16 desc, u16 avail,
 *       u16 used (guest addresses in the 64 KiB of RAM at GPA 0)
 *   u8 operation count, then 4 bytes per operation: kind, a, b, c
 *   the rest: guest RAM from GPA 0 (rings, descriptors, buffers)
 *
 * Everything runs on the fuzzer's thread, as the device's evloop would
 * run it; interrupts and failures only count.
 */
#include <string.h>

#include "fuzz.h"
#include "vmm/virtio/ring.h"

#define FZ_MAX_QUEUES 4
#define FZ_MAX_OPS 64

enum {
	OP_KICK,
	OP_POKE,
	OP_CFG_READ,
	OP_CFG_WRITE,
	OP_RESET,
	OP_HOST,
	OP_POST,
	OP_KINDS,
};

unsigned long fz_irqs, fz_fails;

static void hook_queue(struct virtio_dev *d, unsigned int q)
{
	fz_irqs++;
}

static void hook_config(struct virtio_dev *d)
{
	fz_irqs++;
}

static void hook_needs_reset(struct virtio_dev *d)
{
	fz_fails++;
}

void fz_vdev_hooks(struct virtio_dev *d)
{
	d->notify_queue = hook_queue;
	d->notify_config = hook_config;
	d->set_needs_reset = hook_needs_reset;
}

struct qcfg {
	uint16_t size, desc, avail, used;
};

/* Start queue q as the transport does at DRIVER_OK; false if refused. */
static bool start_queue(struct virtio_dev *d, unsigned int q,
			const struct qcfg *c)
{
	struct virtqueue *vq = &d->vqs[q];

	*vq = (struct virtqueue){ .mem = d->mem, .index = q };
	vq->size = c->size <= d->ops->queue_max_size ? c->size : 0;
	vq->desc_gpa = c->desc;
	vq->avail_gpa = c->avail;
	vq->used_gpa = c->used;
	if (vq_start(vq))
		return false;
	vq->event_idx = virtio_dev_has(d, VIRTIO_F_EVENT_IDX);
	vq->indirect = virtio_dev_has(d, VIRTIO_F_INDIRECT_DESC);
	__atomic_store_n(&vq->ready, true, __ATOMIC_RELEASE);
	return true;
}

/* Queues up and DRIVER_OK: activate the device. */
static void driver_ok(struct virtio_dev *d, const struct qcfg *qc,
		      unsigned int nq)
{
	unsigned int q;

	for (q = 0; q < nq; q++)
		start_queue(d, q, &qc[q]);
	d->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	if (d->ops->activate && d->ops->activate(d))
		virtio_dev_fail(d, "could not start its backend");
}

/* A reset as the transport does it: queues stopped, device told. */
static void reset(struct virtio_dev *d)
{
	unsigned int q;

	for (q = 0; q < d->ops->num_queues; q++)
		__atomic_store_n(&d->vqs[q].ready, false, __ATOMIC_SEQ_CST);
	if (d->ops->reset)
		d->ops->reset(d);
	d->status = 0;
}

/* Put descriptor head a at the next slot of queue q's available ring. */
static void post(struct virtio_dev *d, unsigned int q, uint16_t head)
{
	struct virtqueue *vq = &d->vqs[q];
	uint16_t idx;

	if (!vq->avail)
		return;
	idx = vq->avail->idx;
	vq->avail->ring[idx & (vq->size - 1)] = head;
	__atomic_store_n(&vq->avail->idx, idx + 1, __ATOMIC_RELEASE);
}

/* Run one operation of the input. */
static void run_op(struct virtio_dev *d, uint8_t *ram, const uint8_t *op,
		   const struct qcfg *qc, unsigned int nq, fz_host_fn host,
		   void (*wait)(struct virtio_dev *d))
{
	unsigned int q = nq ? op[1] % nq : 0;
	uint8_t buf[8];

	switch (op[0] % OP_KINDS) {
	case OP_KICK:
		if (__atomic_load_n(&d->vqs[q].ready, __ATOMIC_ACQUIRE))
			d->ops->queue_notify(d, q);
		if (wait)
			wait(d);
		break;
	case OP_POKE:
		ram[(op[1] | op[2] << 8) % FZ_RAM_SIZE] = op[3];
		break;
	case OP_CFG_READ:
		if (d->ops->config_read &&
		    op[1] + op[2] % 9 <= d->ops->config_size)
			d->ops->config_read(d, op[1], buf, op[2] % 9);
		break;
	case OP_CFG_WRITE:
		memset(buf, op[3], sizeof(buf));
		if (d->ops->config_write &&
		    op[1] + op[2] % 9 <= d->ops->config_size)
			d->ops->config_write(d, op[1], buf, op[2] % 9);
		break;
	case OP_RESET:
		if (wait)
			wait(d);
		reset(d);
		driver_ok(d, qc, nq);
		break;
	case OP_HOST:
		if (host)
			host(d, op[1], op[2]);
		break;
	case OP_POST:
		post(d, q, op[2] | op[3] << 8);
		break;
	}
}

void fz_vdev_run(struct virtio_dev *d, uint8_t *ram, struct fin *in,
		 fz_host_fn host, void (*wait)(struct virtio_dev *d))
{
	uint64_t offered = d->ops->features | 1ULL << VIRTIO_F_VERSION_1 |
			   1ULL << VIRTIO_F_INDIRECT_DESC |
			   1ULL << VIRTIO_F_EVENT_IDX;
	unsigned int nq = d->ops->num_queues, q, nops, i;
	struct qcfg qc[FZ_MAX_QUEUES];
	uint8_t ops[FZ_MAX_OPS][4];

	if (nq > FZ_MAX_QUEUES)
		nq = FZ_MAX_QUEUES;
	d->features = fin_u64(in) & offered;
	for (q = 0; q < nq; q++) {
		qc[q].size = fin_u16(in);
		qc[q].desc = fin_u16(in);
		qc[q].avail = fin_u16(in);
		qc[q].used = fin_u16(in);
	}
	nops = fin_u8(in) % (FZ_MAX_OPS + 1);
	for (i = 0; i < nops; i++)
		fin_bytes(in, ops[i], 4);
	memset(ram, 0, FZ_RAM_SIZE);
	fin_bytes(in, ram, in->n < FZ_RAM_SIZE ? in->n : FZ_RAM_SIZE);
	fz_vdev_hooks(d);
	driver_ok(d, qc, nq);
	for (i = 0; i < nops; i++)
		run_op(d, ram, ops[i], qc, nq, host, wait);
	if (wait)
		wait(d);
}
