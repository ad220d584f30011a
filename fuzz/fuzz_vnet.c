// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: virtio-net's transmit and receive paths against a
 * hostile guest (vdev-fuzz.c), on a backend that is either plain Ethernet
 * (user mode: every frame the guest sends goes through the user-mode
 * filter, as before libslirp) or carries virtio-net headers with every
 * offload (tap). Host actions deliver received frames of fuzz-chosen
 * length and contents.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vmm/net/backend.h"
#include "vmm/virtio/net.h"

#define F(b) (1ULL << (b))

static uint8_t *ram;
static struct gmem mem;
static uint8_t frame[VNET_MAX_FRAME + VNET_HDR_LEN];
static unsigned long passed;

static int be_start(struct net_backend *b)
{
	return 0;
}

static void be_stop(struct net_backend *b)
{
}

/* A frame the guest sent: flatten it; user mode filters it as wirt does. */
static int be_send(struct net_backend *b, const struct iovec *iov,
		   unsigned int n)
{
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (iov[i].iov_len > sizeof(frame) - len)
			__builtin_trap(); /* the device let a giant through */
		memcpy(frame + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if (!b->vnet_hdr && net_user_filter(frame, len))
		passed++;
	return 0;
}

static void be_rx_resume(struct net_backend *b)
{
}

static int be_set_offloads(struct net_backend *b, uint64_t f)
{
	return 0;
}

static void be_free(struct net_backend *b)
{
	free(b);
}

static const struct net_backend_ops be_ops = {
	.name = "fuzz",
	.start = be_start,
	.stop = be_stop,
	.send = be_send,
	.rx_resume = be_rx_resume,
	.set_offloads = be_set_offloads,
	.free = be_free,
};

/* Host action: a received frame of a * 256 + b bytes (pattern b). */
static void host(struct virtio_dev *d, uint8_t a, uint8_t b)
{
	struct vnet *n = d->priv;
	struct net_backend *be = vnet_backend(n);
	size_t len = (a * 256u + b) % (VNET_MAX_FRAME + VNET_HDR_LEN + 2);
	static uint8_t rx[VNET_MAX_FRAME + VNET_HDR_LEN + 2];

	memset(rx, b, len);
	if (be->vnet_hdr && len >= VNET_HDR_LEN)
		memset(rx, 0, VNET_HDR_LEN); /* a tap's header: no offload */
	be->receive(be->opaque, rx, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct virtqueue vqs[VNET_NUM_QUEUES] = { 0 };
	struct virtio_dev dev = { 0 };
	struct net_backend *be = calloc(1, sizeof(*be));
	struct fin in = { data, size };
	struct vnet *n;

	if (!ram) {
		ram = aligned_alloc(4096, FZ_RAM_SIZE);
		mem.r[0] = (struct gmem_region){ 0, FZ_RAM_SIZE, ram };
		mem.n = 1;
	}
	if (!be)
		return 0;
	be->ops = &be_ops;
	be->fd = -1;
	be->vnet_hdr = fin_u8(&in) & 1;
	if (be->vnet_hdr)
		be->features =
			F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) |
			F(VIRTIO_NET_F_GUEST_TSO4) |
			F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_GUEST_ECN) |
			F(VIRTIO_NET_F_GUEST_UFO) | F(VIRTIO_NET_F_HOST_TSO4) |
			F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_HOST_ECN) |
			F(VIRTIO_NET_F_HOST_UFO);
	n = vnet_new(be, mac);
	if (!n)
		__builtin_trap();
	dev = (struct virtio_dev){
		.ops = vnet_ops(n), .priv = n, .mem = &mem, .vqs = vqs
	};
	vnet_attach(n, &dev);
	fz_vdev_run(&dev, ram, &in, host, NULL);
	dev.ops->reset(&dev);
	vnet_free(n);
	return 0;
}
