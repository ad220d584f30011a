// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-rng: one request queue; each request's device-writable buffers
 * are filled from getrandom() (at most VIRTIO_RNG_MAX_REQUEST bytes).
 */
#include "vmm/virtio/rng.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/util.h"
#include "vmm/virtio/virtio-pci.h"
#include "vmm/vm.h"

struct vrng {
	struct vq_elem elem;
};

/* Fill up to max bytes of e's writable buffers. Returns bytes written. */
static size_t fill(const struct vq_elem *e, size_t max)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < e->n_in && done < max; i++) {
		uint8_t *p = e->in[i].iov_base;
		size_t want = MIN(e->in[i].iov_len, max - done), got = 0;

		while (got < want) {
			ssize_t n = getrandom(p + got, want - got, 0);

			if (n <= 0) {
				if (n < 0 && errno == EINTR)
					continue;
				return done + got;
			}
			got += n;
		}
		done += got;
	}
	return done;
}

/* evloop: serve every pending request of queue 0. */
static void rng_notify(struct virtio_dev *d, unsigned int q)
{
	struct vrng *r = d->priv;
	struct virtqueue *vq = &d->vqs[0];
	bool pushed = false;

	for (;;) {
		int n = vq_pop(vq, &r->elem);

		if (n < 0) {
			virtio_dev_fail(d, "malformed request queue");
			return;
		}
		if (n == 0) {
			if (vq_enable_notify(vq))
				continue;
			break;
		}
		vq_push(vq, &r->elem, fill(&r->elem, VIRTIO_RNG_MAX_REQUEST));
		pushed = true;
	}
	if (pushed)
		virtio_dev_interrupt(d, 0);
}

static void rng_destroy(struct virtio_dev *d)
{
	free(d->priv);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.pci_class = 0xff00, /* unclassified device */
	.num_queues = 1,
	.queue_max_size = 256,
	.queue_notify = rng_notify,
	.destroy = rng_destroy,
};

/* Whether vm already has a device named name (a hook of that name). */
static bool have_device(const struct vm *vm, const char *name)
{
	unsigned int i;

	for (i = 0; i < vm->nhooks; i++)
		if (vm->hooks[i].name && !strcmp(vm->hooks[i].name, name))
			return true;
	return false;
}

int virtio_rng_create(struct vm *vm, const char *spec)
{
	struct virtio_dev *d;
	struct vrng *r;
	int ret;

	if (spec && *spec) {
		wirt_err("--rng takes no value (got '%s')", spec);
		return -EINVAL;
	}
	if (have_device(vm, rng_ops.name)) {
		wirt_err(
			"--rng: given twice; one entropy device per VM (drop the second --rng)");
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = virtio_pci_add(vm, &rng_ops, r, &d);
	if (ret) {
		wirt_err("--rng: cannot add the virtio-rng device: %s",
			 strerror(-ret));
		free(r);
		return ret;
	}
	return 0;
}
