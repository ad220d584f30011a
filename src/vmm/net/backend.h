/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Network backends: where the frames of a virtio-net device go. A backend
 * runs in its device's evloop thread: it watches its own fds there and
 * hands received frames to the device through b->receive.
 *
 * Frames cross this interface with a 12-byte struct virtio_net_hdr_v1 in
 * front when b->vnet_hdr is set (tap: offloads pass through), and as plain
 * Ethernet frames otherwise (user mode).
 */
#ifndef WIRT_VMM_NET_BACKEND_H
#define WIRT_VMM_NET_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/evloop.h"
#include "vmm/net/netopts.h"

/*
 * The header in front of a frame when vnet_hdr is set: the tap's vnet
 * header, struct virtio_net_hdr_v1 of <linux/virtio_net.h>, 12 bytes.
 * Offload feature bits (features, set_offloads) are its VIRTIO_NET_F_*
 * bit numbers, as the tap driver takes them.
 */
#define VNET_HDR_LEN 12
/* largest frame either way: a 64 KiB GSO packet plus Ethernet and VLAN */
#define VNET_MAX_FRAME 65550

struct net_backend;

struct net_backend_ops {
	const char *name;
	/* watch the backend's fds in b->loop; 0 or -errno */
	int (*start)(struct net_backend *b);
	/* stop watching them (from any thread but the loop's) */
	void (*stop)(struct net_backend *b);
	/*
	 * send one frame (iov: header when vnet_hdr, then the frame).
	 * Returns 0 (sent or dropped by the backend) or -errno.
	 */
	int (*send)(struct net_backend *b, const struct iovec *iov,
		    unsigned int n);
	/* after a batch of send() calls (may be NULL) */
	void (*flush)(struct net_backend *b);
	/* the device has receive buffers again: deliver what waits */
	void (*rx_resume)(struct net_backend *b);
	/*
	 * the guest accepts these offloads (virtio-net GUEST_* bits of the
	 * negotiated features); 0 or -errno
	 */
	int (*set_offloads)(struct net_backend *b, uint64_t guest_features);
	void (*free)(struct net_backend *b);
};

/*
 * Called by the backend in the loop thread with one received frame.
 * Returns 0 when it was taken (delivered or dropped), -EAGAIN when the
 * guest has no buffer for it now: the backend keeps the frame, stops
 * reading, and offers it again after rx_resume().
 */
typedef int (*net_receive_fn)(void *opaque, const void *buf, size_t len);

struct net_backend {
	const struct net_backend_ops *ops;
	struct evloop *loop;
	bool vnet_hdr; /* frames carry a virtio_net_hdr_v1 */
	uint64_t features; /* virtio-net offload bits the backend can do */
	int fd; /* tap: the tap fd (vhost attaches to it); else -1 */
	net_receive_fn receive;
	void *opaque;
};

/*
 * net_backend_open - open the backend o describes, not yet started.
 * Returns 0 with *out set, or -errno with a one-line reason in err.
 */
int net_backend_open(const struct net_opts *o, struct evloop *loop,
		     net_receive_fn receive, void *opaque,
		     struct net_backend **out, char *err, size_t errlen);

int net_tap_open(const struct net_opts *o, struct net_backend **out, char *err,
		 size_t errlen);
int net_user_open(const struct net_opts *o, struct net_backend **out, char *err,
		  size_t errlen);

/*
 * net_user_filter - whether the user-mode backend may hand a frame the
 * guest sent (Ethernet, len bytes) to libslirp. It lets through ARP, DHCP,
 * anything to the gateway (the host's loopback), and packets of
 * connections that already exist (hostfwd replies); it drops new
 * connections and datagrams to any other address, DNS included, and
 * IPv6, so the guest never reaches a host outside this machine.
 */
bool net_user_filter(const uint8_t *frame, size_t len);

#endif
