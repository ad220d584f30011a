// SPDX-License-Identifier: GPL-2.0-or-later
/* vhost-net set-up through /dev/vhost-net's ioctls (linux/vhost.h). */
#include "vmm/virtio/vhost-net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define VHOST_NET_DEV "/dev/vhost-net"

/* ring features the device relies on the kernel to implement */
#define VHOST_NEEDED \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << 15 /* MRG_RXBUF */))

struct vhost_net {
	int fd;
	uint64_t features;
	bool started;
};

int vhost_net_open(struct vhost_net **out, char *err, size_t errlen)
{
	struct vhost_net *v;
	int e;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->fd = open(VHOST_NET_DEV, O_RDWR | O_CLOEXEC);
	if (v->fd < 0) {
		e = -errno;
		if (e == -ENOENT || e == -ENODEV || e == -ENXIO)
			snprintf(
				err, errlen,
				"%s is missing: load the vhost_net module (modprobe vhost_net) or drop vhost=on",
				VHOST_NET_DEV);
		else
			snprintf(
				err, errlen,
				"cannot open %s: %s (run as root, give the user access to it, or drop vhost=on)",
				VHOST_NET_DEV, strerror(-e));
		goto fail;
	}
	if (ioctl(v->fd, VHOST_SET_OWNER) ||
	    ioctl(v->fd, VHOST_GET_FEATURES, &v->features)) {
		e = -errno;
		snprintf(err, errlen, "%s: set-up failed: %s", VHOST_NET_DEV,
			 strerror(-e));
		goto fail;
	}
	if ((v->features & VHOST_NEEDED) != VHOST_NEEDED) {
		e = -ENOTSUP;
		snprintf(
			err, errlen,
			"%s lacks virtio 1.0 or mergeable buffers (features %#llx): use a newer kernel or drop vhost=on",
			VHOST_NET_DEV, (unsigned long long)v->features);
		goto fail;
	}
	*out = v;
	return 0;
fail:
	if (v->fd >= 0)
		close(v->fd);
	free(v);
	return e;
}

uint64_t vhost_net_features(const struct vhost_net *v)
{
	return v->features;
}

/* Tell the kernel where guest RAM is mapped. Returns 0 or -errno. */
static int set_mem_table(struct vhost_net *v, const struct gmem *mem)
{
	struct vhost_memory *m;
	unsigned int i;
	int r = 0;

	m = calloc(1, sizeof(*m) + mem->n * sizeof(m->regions[0]));
	if (!m)
		return -ENOMEM;
	m->nregions = mem->n;
	for (i = 0; i < mem->n; i++) {
		m->regions[i].guest_phys_addr = mem->r[i].gpa;
		m->regions[i].memory_size = mem->r[i].size;
		m->regions[i].userspace_addr = (uintptr_t)mem->r[i].hva;
	}
	if (ioctl(v->fd, VHOST_SET_MEM_TABLE, m))
		r = -errno;
	free(m);
	return r;
}

/* Set up ring q of vq in the kernel. Returns 0 or -errno. */
static int set_ring(struct vhost_net *v, unsigned int q,
		    const struct virtqueue *vq, int kick, int call, int tap_fd)
{
	struct vhost_vring_state num = { .index = q, .num = vq->size };
	struct vhost_vring_state base = { .index = q, .num = vq->last_avail };
	struct vhost_vring_addr addr = {
		.index = q,
		.desc_user_addr = (uintptr_t)vq->desc,
		.avail_user_addr = (uintptr_t)vq->avail,
		.used_user_addr = (uintptr_t)vq->used,
	};
	struct vhost_vring_file kf = { .index = q, .fd = kick };
	struct vhost_vring_file cf = { .index = q, .fd = call };
	struct vhost_vring_file bf = { .index = q, .fd = tap_fd };

	if (!vq->desc || !vq->avail || !vq->used)
		return -EINVAL;
	if (ioctl(v->fd, VHOST_SET_VRING_NUM, &num) ||
	    ioctl(v->fd, VHOST_SET_VRING_BASE, &base) ||
	    ioctl(v->fd, VHOST_SET_VRING_ADDR, &addr) ||
	    ioctl(v->fd, VHOST_SET_VRING_KICK, &kf) ||
	    ioctl(v->fd, VHOST_SET_VRING_CALL, &cf) ||
	    ioctl(v->fd, VHOST_NET_SET_BACKEND, &bf))
		return -errno;
	return 0;
}

int vhost_net_start(struct vhost_net *v, const struct gmem *mem,
		    struct virtqueue *vqs, unsigned int nq, const int *kick,
		    const int *call, uint64_t features, int tap_fd)
{
	uint64_t f = features & v->features;
	unsigned int q;
	int r;

	if (ioctl(v->fd, VHOST_SET_FEATURES, &f))
		return -errno;
	r = set_mem_table(v, mem);
	if (r)
		return r;
	for (q = 0; q < nq; q++) {
		r = set_ring(v, q, &vqs[q], kick[q], call[q], tap_fd);
		if (r) {
			v->started = true;
			vhost_net_stop(v, vqs, q + 1);
			return r;
		}
	}
	v->started = true;
	return 0;
}

int vhost_net_stop(struct vhost_net *v, struct virtqueue *vqs, unsigned int nq)
{
	unsigned int q;
	int r = 0;

	if (!v->started)
		return 0;
	for (q = 0; q < nq; q++) {
		struct vhost_vring_file bf = { .index = q, .fd = -1 };
		struct vhost_vring_state base = { .index = q };

		if (ioctl(v->fd, VHOST_NET_SET_BACKEND, &bf) && !r)
			r = -errno;
		/* the transport takes the kick eventfd back */
		if (ioctl(v->fd, VHOST_SET_VRING_KICK, &bf) && !r)
			r = -errno;
		if (ioctl(v->fd, VHOST_SET_VRING_CALL, &bf) && !r)
			r = -errno;
		if (ioctl(v->fd, VHOST_GET_VRING_BASE, &base)) {
			if (!r)
				r = -errno;
			continue;
		}
		vqs[q].last_avail = base.num;
	}
	v->started = false;
	return r;
}

void vhost_net_close(struct vhost_net *v)
{
	if (!v)
		return;
	if (v->fd >= 0)
		close(v->fd);
	free(v);
}
