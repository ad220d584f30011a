/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhost-net: the host kernel moves a virtio-net device's frames between
 * its virtqueues (in guest RAM) and a tap, reading the guest's kicks from
 * the queues' ioeventfds and raising their interrupts through irqfds.
 */
#ifndef WIRT_VMM_VIRTIO_VHOST_NET_H
#define WIRT_VMM_VIRTIO_VHOST_NET_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/mem.h"
#include "vmm/virtio/virtio.h"

struct vhost_net;

/*
 * vhost_net_open - open /dev/vhost-net and become its owner. Returns 0
 * with *out set, or -errno with a one-line reason in err.
 */
int vhost_net_open(struct vhost_net **out, char *err, size_t errlen);

/* vhost_net_features - the virtio feature bits the kernel implements. */
uint64_t vhost_net_features(const struct vhost_net *v);

/*
 * vhost_net_start - hand the nq started queues vqs (their kick and call
 * eventfds in kick[], call[]) and the tap tap_fd to the kernel, with the
 * negotiated features and the guest RAM mem. Returns 0 or -errno.
 */
int vhost_net_start(struct vhost_net *v, const struct gmem *mem,
		    struct virtqueue *vqs, unsigned int nq, const int *kick,
		    const int *call, uint64_t features, int tap_fd);

/*
 * vhost_net_stop - detach the tap and stop the queues; each queue's next
 * available index is stored in its last_avail. Returns 0 or -errno.
 */
int vhost_net_stop(struct vhost_net *v, struct virtqueue *vqs, unsigned int nq);

void vhost_net_close(struct vhost_net *v);

#endif
