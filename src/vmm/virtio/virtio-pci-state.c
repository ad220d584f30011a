// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Save and restore of a virtio-pci function: the transport registers,
 * every queue (ring addresses, size, vector, avail and used indices) and
 * the device's own bytes (virtio_dev_ops save/load).
 *
 * Quiesce stops reading kicks, lets the device finish what is in flight
 * (virtio-blk completes and flushes), then holds the device's evloop so
 * no backend (network frames, console input) touches the rings until
 * the whole VM is written. Requests the guest queued meanwhile stay in
 * the avail ring: they are served after resume or after a restore, where
 * every enabled queue is kicked once.
 *
 * Layout: struct vpci_state, nq * struct vpci_qstate, the device's bytes.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/state/state.h"
#include "vmm/virtio/virtio-pci-int.h"
#include "vmm/virtio/virtio-pci.h"
#include "vmm/vm.h"

#define VPCI_STATE_VERSION 1
#define STATUS_BITS                                            \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |    \
	 VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK | \
	 VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)

struct vpci_state {
	uint32_t version;
	uint16_t device_id, nq;
	uint64_t driver_features, features;
	uint32_t dev_feat_sel, drv_feat_sel;
	uint16_t config_vector, queue_sel;
	uint8_t status, isr, generation, reserved;
};

struct vpci_qstate {
	uint64_t desc, avail, used;
	uint16_t size, vector, last_avail, used_idx;
	uint16_t signalled_used;
	uint8_t enabled, signalled_valid;
	uint32_t reserved;
};

static const char *vpci_blocker(struct vm *vm, void *opaque)
{
	struct vpci *t = opaque;
	const struct virtio_dev_ops *ops = t->vdev.ops;

	return ops->migrate_blocker ? ops->migrate_blocker(&t->vdev) : NULL;
}

/* Stop kicks, let the device finish its requests, hold its thread. */
static int vpci_quiesce(struct vm *vm, void *opaque)
{
	struct vpci *t = opaque;
	struct virtio_dev *d = &t->vdev;
	unsigned int q;
	int r = 0;

	for (q = 0; q < t->nq; q++)
		evloop_del(d->loop, t->kicks[q].fd);
	if (d->ops->quiesce)
		r = d->ops->quiesce(d);
	evloop_hold(d->loop);
	return r;
}

/* Undo quiesce: a kick that came meanwhile is still in its eventfd. */
static void vpci_resume(struct vm *vm, void *opaque)
{
	struct vpci *t = opaque;
	struct virtio_dev *d = &t->vdev;
	unsigned int q;

	evloop_release(d->loop);
	for (q = 0; q < t->nq; q++)
		evloop_add(d->loop, t->kicks[q].fd, EPOLLIN, vpci_kick_fn,
			   &t->kicks[q]);
}

static int vpci_save(struct vm *vm, void *opaque, struct state_writer *w)
{
	struct vpci *t = opaque;
	struct virtio_dev *d = &t->vdev;
	struct vpci_state s = {
		.version = VPCI_STATE_VERSION,
		.device_id = d->ops->device_id,
		.nq = t->nq,
		.driver_features = t->driver_features,
		.features = d->features,
		.dev_feat_sel = t->dev_feat_sel,
		.drv_feat_sel = t->drv_feat_sel,
		.config_vector = t->config_vector,
		.queue_sel = t->queue_sel,
		.status = vpci_status(t),
		.isr = __atomic_load_n(&t->isr, __ATOMIC_SEQ_CST),
		.generation = __atomic_load_n(&t->generation, __ATOMIC_SEQ_CST),
	};
	unsigned int q;
	int r = state_put(w, &s, sizeof(s));

	for (q = 0; !r && q < t->nq; q++) {
		const struct virtqueue *vq = &d->vqs[q];
		struct vpci_qstate qs = {
			.desc = vq->desc_gpa,
			.avail = vq->avail_gpa,
			.used = vq->used_gpa,
			.size = vq->size,
			.vector = t->qvec[q],
			.last_avail = vq->last_avail,
			.used_idx = vq->used_idx,
			.signalled_used = vq->signalled_used,
			.enabled = t->qenabled[q],
			.signalled_valid = vq->signalled_used_valid,
		};

		r = state_put(w, &qs, sizeof(qs));
	}
	if (!r && d->ops->save)
		r = d->ops->save(d, w);
	return r;
}

/* Whether the saved registers are ones this transport could hold. */
static bool state_ok(const struct vpci *t, const struct vpci_state *s)
{
	bool fok = s->status & VIRTIO_STATUS_FEATURES_OK;

	if (s->version != VPCI_STATE_VERSION ||
	    s->device_id != t->vdev.ops->device_id || s->nq != t->nq ||
	    (s->status & ~STATUS_BITS) || (s->driver_features & ~t->offered) ||
	    s->features != (fok ? s->driver_features : 0) ||
	    vpci_check_vector(t, s->config_vector) != s->config_vector)
		return false;
	if ((s->status & VIRTIO_STATUS_DRIVER_OK) && !fok)
		return false;
	return true;
}

/* Load queue q from qs. Returns 0 or -EINVAL. */
static int load_queue(struct vpci *t, unsigned int q,
		      const struct vpci_qstate *qs)
{
	struct virtqueue *vq = &t->vdev.vqs[q];
	uint16_t max = t->vdev.ops->queue_max_size;

	if (qs->size > max || qs->enabled > 1 || qs->signalled_valid > 1 ||
	    vpci_check_vector(t, qs->vector) != qs->vector)
		return -EINVAL;
	vq->size = qs->size;
	vq->desc_gpa = qs->desc;
	vq->avail_gpa = qs->avail;
	vq->used_gpa = qs->used;
	t->qvec[q] = qs->vector;
	if (!qs->enabled)
		return 0;
	if (vq_start(vq))
		return -EINVAL;
	vq->last_avail = qs->last_avail;
	vq->used_idx = qs->used_idx;
	vq->signalled_used = qs->signalled_used;
	vq->signalled_used_valid = qs->signalled_valid;
	t->qenabled[q] = true;
	return 0;
}

/*
 * Restore into a freshly reset function (after kvm_attach and the PCI
 * bus's own state). A running device gets its queues live, its own
 * bytes, activate(), and one kick per enabled queue.
 */
static int vpci_load(struct vm *vm, void *opaque, const void *buf, size_t len)
{
	struct vpci *t = opaque;
	struct virtio_dev *d = &t->vdev;
	const uint8_t *p = buf;
	size_t need = sizeof(struct vpci_state) +
		      (size_t)t->nq * sizeof(struct vpci_qstate);
	struct vpci_state s;
	struct vpci_qstate qs;
	bool live;
	unsigned int q;
	int r;

	if (len < need)
		return -EINVAL;
	memcpy(&s, p, sizeof(s));
	if (!state_ok(t, &s))
		return -EINVAL;
	for (q = 0; q < t->nq; q++) {
		memcpy(&qs, p + sizeof(s) + q * sizeof(qs), sizeof(qs));
		r = load_queue(t, q, &qs);
		if (r)
			return r;
	}
	t->driver_features = s.driver_features;
	d->features = s.features;
	t->dev_feat_sel = s.dev_feat_sel;
	t->drv_feat_sel = s.drv_feat_sel;
	t->config_vector = s.config_vector;
	t->queue_sel = s.queue_sel;
	__atomic_store_n(&t->isr, s.isr & 3, __ATOMIC_SEQ_CST);
	__atomic_store_n(&t->generation, s.generation, __ATOMIC_SEQ_CST);
	__atomic_store_n(&d->status, s.status, __ATOMIC_SEQ_CST);
	if (d->ops->load)
		r = d->ops->load(d, p + need, len - need);
	else
		r = len == need ? 0 : -EINVAL;
	if (r)
		return r;
	live = (s.status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(s.status & VIRTIO_STATUS_NEEDS_RESET);
	if (live)
		vpci_driver_ok(t);
	return 0;
}

int vpci_add_state_hook(struct vm *vm, struct vpci *t)
{
	struct vm_state_hook h = {
		.name = t->name,
		.save = vpci_save,
		.load = vpci_load,
		.opaque = t,
		.quiesce = vpci_quiesce,
		.resume = vpci_resume,
		.blocker = vpci_blocker,
	};

	return vm_add_state_hook(vm, &h);
}
