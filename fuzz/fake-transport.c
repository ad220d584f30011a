// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio_pci_add() for the device fuzz targets, without PCI: the device
 * gets its struct virtio_dev, queues and an evloop that never runs, so
 * its queue handlers run only when the fuzzer calls them (fuzz.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "fuzz.h"
#include "vmm/virtio/virtio-pci.h"

struct virtio_dev *fz_last_dev;

int virtio_pci_add(struct vm *vm, const struct virtio_dev_ops *ops, void *priv,
		   struct virtio_dev **out)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->ops = ops;
	d->priv = priv;
	d->mem = &vm->mem;
	d->vqs = calloc(ops->num_queues, sizeof(*d->vqs));
	d->loop = evloop_new(ops->name);
	if (!d->vqs || !d->loop) {
		free(d->vqs);
		if (d->loop)
			evloop_free(d->loop);
		free(d);
		return -ENOMEM;
	}
	fz_vdev_hooks(d);
	fz_last_dev = d;
	*out = d;
	return 0;
}

void fz_transport_free(struct virtio_dev *d)
{
	if (!d)
		return;
	if (d->ops->destroy)
		d->ops->destroy(d);
	evloop_free(d->loop);
	free(d->vqs);
	free(d);
	if (fz_last_dev == d)
		fz_last_dev = NULL;
}
