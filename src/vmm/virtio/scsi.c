// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-scsi: the device (config space, reset, quiesce, teardown), its
 * targets, and the control queue. Task management functions are answered
 * FUNCTION COMPLETE once the target they name has no request in flight
 * (a request of it either completed before, or never was); until then
 * they wait here. Request queues are in scsi-req.c.
 *
 * Threads: queue kicks and disk completions run in the device's evloop
 * thread; config access, activate and reset on vCPU threads; quiesce on
 * the saving thread. The device lock serialises them; reset and quiesce
 * wait (on a condition variable) until every request has completed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "common/util.h"
#include "vmm/boot/le.h"
#include "vmm/virtio/scsi-int.h"

#define EVENT_INFO_SIZE 16 /* struct virtio_scsi_event */
#define MAX_REQ_QUEUES 64

static struct vscsi *to_vscsi(struct virtio_dev *d)
{
	return d->priv;
}

void vscsi_fail(struct vscsi *s, const char *why)
{
	s->failed = true;
	virtio_dev_fail(s->vdev, why);
}

void vscsi_send_irqs(struct vscsi *s)
{
	unsigned int q;

	for (q = 0; q < s->ops.num_queues; q++)
		if (s->irq[q]) {
			s->irq[q] = false;
			if (!s->resetting && !s->failed)
				virtio_dev_interrupt(s->vdev, q);
		}
}

/* Return control request m with its len response bytes; frees m. */
static void ctrl_push(struct vscsi *s, struct vscsi_tmf *m, const void *resp,
		      uint32_t len)
{
	if (!s->resetting && !s->failed) {
		iov_from_buf(m->elem.in, m->elem.n_in, 0, resp, len);
		vq_push(&s->vdev->vqs[VSCSI_CTRLQ], &m->elem, len);
		s->irq[VSCSI_CTRLQ] = true;
	}
	free(m);
}

void vscsi_answer_tmfs(struct vscsi *s)
{
	static const uint8_t done = VIRTIO_SCSI_S_FUNCTION_COMPLETE;
	struct vscsi_tmf **pp = &s->tmfs, *m;

	while ((m = *pp)) {
		if (m->tgt->inflight) {
			pp = &m->next;
			continue;
		}
		*pp = m->next;
		ctrl_push(s, m, &done, 1);
	}
}

/*
 * A task management function: a bad target or an unknown function is
 * answered at once, the others wait for their target to be idle.
 * Returns 0, or -EINVAL when the chain cannot hold one.
 */
static int ctrl_tmf(struct vscsi *s, struct vscsi_tmf *m, const uint8_t *req)
{
	uint8_t resp = VIRTIO_SCSI_S_BAD_TARGET;
	bool lun0;
	int t;

	if (m->elem.out_len < VSCSI_TMF_OUT || m->elem.in_len < 1)
		return -EINVAL;
	t = vscsi_lun_target(req + 8, s->ntargets, &lun0);
	if (t >= 0 && le32(req + 4) > VIRTIO_SCSI_T_TMF_QUERY_TASK_SET)
		resp = VIRTIO_SCSI_S_FUNCTION_REJECTED;
	if (t < 0 || resp == VIRTIO_SCSI_S_FUNCTION_REJECTED) {
		ctrl_push(s, m, &resp, 1);
		return 0;
	}
	m->tgt = &s->tgt[t];
	m->next = s->tmfs;
	s->tmfs = m;
	vscsi_answer_tmfs(s);
	return 0;
}

/*
 * One control request: TMF, or an asynchronous notification query or
 * subscription (answered: no event supported). Takes m. Returns 0, or
 * -EINVAL when it is malformed (m freed; the caller fails the device).
 */
static int ctrl_handle(struct vscsi *s, struct vscsi_tmf *m)
{
	uint8_t req[VSCSI_TMF_OUT] = { 0 }, resp[VSCSI_AN_IN] = { 0 };
	const struct vq_elem *e = &m->elem;
	bool lun0;
	uint32_t type;

	iov_to_buf(e->out, e->n_out, 0, req, MIN(e->out_len, sizeof(req)));
	type = le32(req);
	if (e->out_len >= 4 && type == VIRTIO_SCSI_T_TMF) {
		if (!ctrl_tmf(s, m, req))
			return 0;
	} else if (e->out_len >= VSCSI_AN_OUT && e->in_len >= VSCSI_AN_IN &&
		   (type == VIRTIO_SCSI_T_AN_QUERY ||
		    type == VIRTIO_SCSI_T_AN_SUBSCRIBE)) {
		/* event_actual 0: no event supported */
		if (vscsi_lun_target(req + 4, s->ntargets, &lun0) < 0)
			resp[4] = VIRTIO_SCSI_S_BAD_TARGET;
		ctrl_push(s, m, resp, sizeof(resp));
		return 0;
	}
	free(m);
	return -EINVAL;
}

/* Serve the control queue. Lock held. */
static void serve_ctrl(struct vscsi *s)
{
	struct virtqueue *vq = &s->vdev->vqs[VSCSI_CTRLQ];
	struct vscsi_tmf *m;
	int ret;

	for (;;) {
		m = malloc(sizeof(*m));
		if (!m)
			break; /* out of memory: the next kick retries */
		ret = vq_pop(vq, &m->elem);
		if (ret != 1) {
			free(m);
			if (ret < 0)
				vscsi_fail(s, "malformed control queue ring");
			break;
		}
		if (ctrl_handle(s, m)) {
			vscsi_fail(s, "malformed control request");
			break;
		}
	}
	vscsi_send_irqs(s);
}

/* The guest kicked queue q: serve it (evloop thread). */
static void vscsi_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct vscsi *s = to_vscsi(d);

	pthread_mutex_lock(&s->lock);
	if (!s->failed && !s->resetting) {
		if (q == VSCSI_CTRLQ)
			serve_ctrl(s);
		else if (q >= VSCSI_REQQ && q < s->ops.num_queues)
			vscsi_serve_requests(s, q);
		/* the event queue: buffers wait there, no event is sent */
	}
	pthread_mutex_unlock(&s->lock);
}

/* The config space (virtio 1.2, 5.6.4), built at each read. */
static void vscsi_config_read(struct virtio_dev *d, size_t off, void *buf,
			      size_t len)
{
	struct vscsi *s = to_vscsi(d);
	uint8_t c[VSCSI_CONFIG_SIZE] = { 0 };

	put_le32(c, s->nqueues);
	put_le32(c + 4, VQ_MAX_SEGS - 2); /* seg_max: headers take two */
	put_le32(c + 8, SCSI_MAX_XFER); /* max_sectors */
	put_le32(c + 12, VSCSI_QUEUE_SIZE); /* cmd_per_lun */
	put_le32(c + 16, EVENT_INFO_SIZE);
	put_le32(c + 20, VSCSI_SENSE_SIZE);
	put_le32(c + 24, VSCSI_CDB_SIZE);
	put_le16(c + 28, 0); /* max_channel */
	put_le16(c + 30, s->ntargets ? s->ntargets - 1 : 0);
	put_le32(c + 32, 0); /* max_lun: LUN 0 only */
	memset(buf, 0, len);
	if (off < sizeof(c))
		memcpy(buf, c + off, MIN(len, sizeof(c) - off));
}

/*
 * sense_size and cdb_size are writable for the driver, but every driver
 * writes the defaults: the device keeps them (a driver that relied on
 * other sizes would see the defaults read back).
 */
static void vscsi_config_write(struct virtio_dev *d, size_t off,
			       const void *buf, size_t len)
{
}

/* DRIVER_OK: serve the queues again after a failure. Returns 0. */
static int vscsi_activate(struct virtio_dev *d)
{
	struct vscsi *s = to_vscsi(d);

	pthread_mutex_lock(&s->lock);
	s->failed = false;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* Drop the waiting control requests without answering them. Lock held. */
static void drop_tmfs(struct vscsi *s)
{
	struct vscsi_tmf *m;

	while ((m = s->tmfs)) {
		s->tmfs = m->next;
		free(m);
	}
}

/*
 * The driver reset the device: wait until no request is in flight, drop
 * the waiting control requests, reset the CD-ROMs' state.
 */
static void vscsi_reset(struct virtio_dev *d)
{
	struct vscsi *s = to_vscsi(d);
	unsigned int t;

	pthread_mutex_lock(&s->lock);
	s->resetting = true;
	while (atomic_load(&s->inflight))
		pthread_cond_wait(&s->idle, &s->lock);
	drop_tmfs(s);
	memset(s->irq, 0, s->ops.num_queues * sizeof(*s->irq));
	for (t = 0; t < s->ntargets; t++)
		if (s->tgt[t].cdrom)
			atapi_reset(&s->tgt[t].atapi);
	s->resetting = false;
	s->failed = false;
	pthread_mutex_unlock(&s->lock);
}

/* A quiesce's flush of one disk completed (evloop thread, lock held). */
static void qflush_done(struct disk_io *io, int ret)
{
	struct vscsi *s = io->opaque;

	if (ret < 0 && !s->flush_ret)
		s->flush_ret = ret;
	if (--s->nflush == 0)
		pthread_cond_broadcast(&s->idle);
}

/*
 * Before a save (kicks stopped, vCPUs parked): wait until every request
 * was answered, then flush every writable disk so that the saved state
 * and the images agree. Returns 0 or the first flush's -errno.
 */
static int vscsi_quiesce(struct virtio_dev *d)
{
	struct vscsi *s = to_vscsi(d);
	struct disk_io io[VSCSI_MAX_TARGETS];
	unsigned int t;
	int r;

	pthread_mutex_lock(&s->lock);
	while (atomic_load(&s->inflight))
		pthread_cond_wait(&s->idle, &s->lock);
	vscsi_send_irqs(s);
	s->flush_ret = 0;
	s->nflush = 1; /* held until every flush is submitted */
	for (t = 0; t < s->ntargets; t++) {
		if (s->tgt[t].disk->readonly)
			continue;
		io[t] = (struct disk_io){ .op = DISK_FLUSH,
					  .done = qflush_done,
					  .opaque = s };
		s->nflush++;
		disk_submit(s->tgt[t].disk, &io[t]);
		disk_kick(s->tgt[t].disk);
	}
	s->nflush--;
	while (s->nflush)
		pthread_cond_wait(&s->idle, &s->lock);
	r = s->flush_ret;
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* The VM is ending the device (its evloop stopped): free it. */
static void vscsi_destroy(struct virtio_dev *d)
{
	vscsi_free(to_vscsi(d));
}

/* Fill the ops table. */
static void build_ops(struct vscsi *s)
{
	struct virtio_dev_ops *o = &s->ops;

	o->name = "virtio-scsi";
	o->device_id = VIRTIO_ID_SCSI;
	o->pci_class = 0x0100; /* mass storage, SCSI */
	o->num_queues = VSCSI_REQQ + s->nqueues;
	o->queue_max_size = VSCSI_QUEUE_SIZE;
	o->config_size = VSCSI_CONFIG_SIZE;
	o->features = 0; /* no INOUT, HOTPLUG, CHANGE or T10_PI */
	o->config_read = vscsi_config_read;
	o->config_write = vscsi_config_write;
	o->activate = vscsi_activate;
	o->reset = vscsi_reset;
	o->queue_notify = vscsi_queue_notify;
	o->destroy = vscsi_destroy;
	o->quiesce = vscsi_quiesce;
}

struct vscsi *vscsi_new(unsigned int nqueues)
{
	struct vscsi *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->nqueues = MAX(1u, MIN(nqueues, (unsigned int)MAX_REQ_QUEUES));
	build_ops(s);
	s->irq = calloc(s->ops.num_queues, sizeof(*s->irq));
	if (!s->irq) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	return s;
}

const struct virtio_dev_ops *vscsi_ops(struct vscsi *s)
{
	return &s->ops;
}

void vscsi_attach(struct vscsi *s, struct virtio_dev *d)
{
	s->vdev = d;
}

int vscsi_add_target(struct vscsi *s, struct disk *disk, const char *name,
		     bool cdrom)
{
	struct vscsi_target *t;
	int r;

	if (s->ntargets >= VSCSI_MAX_TARGETS)
		return -ENOSPC;
	t = &s->tgt[s->ntargets];
	memset(t, 0, sizeof(*t));
	t->dev = s;
	t->disk = disk;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->lu = (struct scsi_lu){ .nblocks = disk->size / SCSI_BLOCK,
				  .readonly = disk->readonly,
				  .vendor = "WIRT",
				  .product = "VIRTUAL DISK",
				  .revision = "1.0",
				  .serial = disk->opts.serial,
				  .name = t->name };
	t->cdrom = cdrom;
	if (cdrom)
		atapi_init(&t->atapi, disk->size / ATAPI_BLOCK);
	r = evloop_add(s->vdev->loop, disk_event_fd(disk), EPOLLIN,
		       vscsi_disk_event, t);
	if (r)
		return r;
	return s->ntargets++;
}

unsigned int vscsi_ntargets(const struct vscsi *s)
{
	return s->ntargets;
}

unsigned int vscsi_inflight(struct vscsi *s)
{
	return atomic_load(&s->inflight);
}

void vscsi_free(struct vscsi *s)
{
	unsigned int t;

	if (!s)
		return;
	/* no queue access from here on; disk_close reaps what is left */
	pthread_mutex_lock(&s->lock);
	s->resetting = true;
	pthread_mutex_unlock(&s->lock);
	for (t = 0; t < s->ntargets; t++)
		disk_close(s->tgt[t].disk);
	pthread_mutex_lock(&s->lock);
	drop_tmfs(s);
	vscsi_free_reqs(s);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle);
	free(s->irq);
	free(s);
}
