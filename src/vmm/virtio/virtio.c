// SPDX-License-Identifier: GPL-2.0-or-later
/* Transport-independent device helpers: interrupts and failure. */
#include "vmm/virtio/virtio.h"

#include "common/util.h"

void virtio_dev_interrupt(struct virtio_dev *d, unsigned int q)
{
	if (q < d->ops->num_queues && vq_should_notify(&d->vqs[q]) &&
	    d->notify_queue)
		d->notify_queue(d, q);
}

void virtio_dev_fail(struct virtio_dev *d, const char *why)
{
	unsigned int q;

	if (__atomic_fetch_or(&d->status, VIRTIO_STATUS_NEEDS_RESET,
			      __ATOMIC_SEQ_CST) &
	    VIRTIO_STATUS_NEEDS_RESET)
		return;
	for (q = 0; q < d->ops->num_queues; q++)
		__atomic_store_n(&d->vqs[q].ready, false, __ATOMIC_RELEASE);
	wirt_warn("%s: %s; the device stops until the guest resets it",
		  d->ops->name, why);
	if (d->set_needs_reset)
		d->set_needs_reset(d);
}

void virtio_dev_config_changed(struct virtio_dev *d)
{
	if (d->notify_config)
		d->notify_config(d);
}
