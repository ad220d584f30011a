/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-net (virtio 1.2, 5.1): one receive and one transmit queue, frames
 * to and from a backend (user mode through libslirp, tap, or tap with
 * vhost-net moving the frames in the kernel).
 */
#ifndef WIRT_VMM_VIRTIO_NET_H
#define WIRT_VMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/net/backend.h"
#include "vmm/virtio/virtio.h"

/* Feature bits (virtio 1.2, 5.1.3) */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17

#define VIRTIO_NET_S_LINK_UP 1

/* The header in front of every frame (virtio 1.2, 5.1.6) */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2

#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

/* VNET_HDR_LEN, VNET_MAX_FRAME: the backend interface's (net/backend.h) */
_Static_assert(sizeof(struct virtio_net_hdr_v1) == VNET_HDR_LEN,
	       "the backends' vnet header is virtio_net_hdr_v1");
#define VNET_ETH_HLEN 14
/* largest frame without segmentation offload: 1500 MTU, Ethernet, VLAN */
#define VNET_MAX_PLAIN_FRAME 1518

struct virtio_net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
} __attribute__((packed));

/* queue numbers */
#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_NUM_QUEUES 2

/*
 * vnet_check_tx - check the header of a frame of frame_len bytes the
 * guest wants to send, against the negotiated features. Returns 0, or
 * -EINVAL (frame too short or too long, checksum or segmentation request
 * the device did not offer, offsets outside the frame, GSO without a
 * segment size).
 */
int vnet_check_tx(const struct virtio_net_hdr_v1 *h, size_t frame_len,
		  uint64_t features);

/* Counters, for tests and messages. */
struct vnet_stats {
	uint64_t tx_frames, tx_dropped;
	uint64_t rx_frames, rx_dropped;
};

struct vnet;
struct net_backend;
struct vm;

/*
 * vnet_new - a virtio-net device on backend be (owned from now on), MAC
 * mac, not yet on any transport. It offers MAC, STATUS, MRG_RXBUF and the
 * backend's offloads. Returns the device or NULL (errno set).
 */
struct vnet *vnet_new(struct net_backend *be, const uint8_t mac[6]);

/* vnet_ops - the ops to give the transport (with the device as priv). */
const struct virtio_dev_ops *vnet_ops(struct vnet *n);

/*
 * vnet_attach - bind to the transport's device d (d->priv == n), whose
 * evloop the backend then uses. Before the backend is started.
 */
void vnet_attach(struct vnet *n, struct virtio_dev *d);

struct vhost_net;

/*
 * vnet_set_vhost - let vhost-net v (owned from now on) serve the queues
 * once the driver is ready; the offered features shrink to what it can
 * do. Before the device goes on a transport. Returns 0.
 */
int vnet_set_vhost(struct vnet *n, struct vhost_net *v);

/* vnet_backend - the device's backend. */
struct net_backend *vnet_backend(struct vnet *n);

/* vnet_get_stats - counters so far. */
void vnet_get_stats(const struct vnet *n, struct vnet_stats *s);

/*
 * vnet_free - release the device, its backend and vhost (the evloop
 * stopped first). The transport calls it through ops->destroy.
 */
void vnet_free(struct vnet *n);

/*
 * virtio_net_create - the --net constructor (vdevs.c): parse spec, open
 * the backend, put the device on PCI. Returns 0 or a negative errno after
 * printing one error line.
 */
int virtio_net_create(struct vm *vm, const char *spec);

#endif
