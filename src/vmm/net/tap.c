// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tap backend: an existing tap interface opened through /dev/net/tun
 * with IFF_VNET_HDR, so frames carry a 12-byte virtio-net header and the
 * checksum and segmentation offloads pass straight through.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/net/backend.h"

#define TUN_DEV "/dev/net/tun"
/* a 64 KiB GSO packet with its Ethernet header and the vnet header */
#define TAP_BUF (VNET_HDR_LEN + VNET_MAX_FRAME + 64)
#define TAP_RX_BATCH 64 /* frames per wake-up before giving others a turn */

#define TAP_OFFLOADS                                                           \
	((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |     \
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) | \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) |                                   \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO6))

struct tap {
	struct net_backend b;
	char ifname[IFNAMSIZ];
	bool watching; /* the fd is in the evloop (start/stop) */
	bool paused; /* loop thread: a frame waits for guest buffers */
	bool warned;
	size_t pending; /* its length in buf, 0 when none */
	uint8_t *buf;
};

/*
 * Threads: start/stop (the device's activate/reset, a vCPU thread) add and
 * drop the fd; everything else runs in the loop thread, which only changes
 * the watched events, so the two never undo each other's work: a start
 * always watches EPOLLIN and the loop pauses again if the guest is still
 * full.
 */

/* Stop or resume reading while the guest has no buffers (loop thread). */
static void tap_pause(struct tap *t, bool pause)
{
	if (t->paused == pause)
		return;
	t->paused = pause;
	evloop_mod(t->b.loop, t->b.fd, pause ? 0 : EPOLLIN);
}

/* Offer the waiting frame, then read more; pause when the guest is full. */
static void tap_rx(struct tap *t)
{
	unsigned int n;
	ssize_t len;

	for (n = 0; n < TAP_RX_BATCH; n++) {
		if (!t->pending) {
			len = read(t->b.fd, t->buf, TAP_BUF);
			if (len <= 0)
				break; /* EAGAIN: drained */
			t->pending = len;
		}
		if (t->b.receive(t->b.opaque, t->buf, t->pending) == -EAGAIN) {
			tap_pause(t, true);
			return;
		}
		t->pending = 0;
	}
	tap_pause(t, false);
}

static void tap_event(void *opaque, int fd, uint32_t events)
{
	struct tap *t = opaque;

	if (events & (EPOLLERR | EPOLLHUP)) {
		/* the interface went away: stop watching a dead fd */
		if (!t->warned)
			wirt_warn(
				"tap '%s': the interface is gone; the guest's network is down",
				t->ifname);
		t->warned = true;
		evloop_del(t->b.loop, fd);
		return;
	}
	tap_rx(t);
}

static int tap_start(struct net_backend *b)
{
	struct tap *t = (struct tap *)b;
	int r;

	if (t->watching)
		return 0;
	r = evloop_add(b->loop, b->fd, EPOLLIN, tap_event, t);
	if (r && r != -EEXIST)
		return r;
	t->watching = true;
	return 0;
}

static void tap_stop(struct net_backend *b)
{
	struct tap *t = (struct tap *)b;

	if (t->watching)
		evloop_del(b->loop, b->fd);
	t->watching = false;
}

static int tap_send(struct net_backend *b, const struct iovec *iov,
		    unsigned int n)
{
	ssize_t r = writev(b->fd, iov, n);

	/* a full or down interface drops the frame, as a wire would */
	if (r < 0 && errno != EAGAIN && errno != EIO && errno != ENOBUFS)
		return -errno;
	return 0;
}

static void tap_rx_resume(struct net_backend *b)
{
	struct tap *t = (struct tap *)b;

	if (t->paused && t->watching)
		tap_rx(t);
}

/* TUN_F_* for the GUEST_* feature bits in f. */
static unsigned int tun_flags(uint64_t f)
{
	unsigned int fl = 0;

	if (!(f & (1ULL << VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	fl |= TUN_F_CSUM;
	if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO4))
		fl |= TUN_F_TSO4;
	if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO6))
		fl |= TUN_F_TSO6;
	return fl;
}

static int tap_set_offloads(struct net_backend *b, uint64_t f)
{
	if (ioctl(b->fd, TUNSETOFFLOAD, (unsigned long)tun_flags(f)))
		return -errno;
	return 0;
}

static void tap_free(struct net_backend *b)
{
	struct tap *t = (struct tap *)b;

	tap_stop(b);
	if (b->fd >= 0)
		close(b->fd);
	free(t->buf);
	free(t);
}

static const struct net_backend_ops tap_ops = {
	.name = "tap",
	.start = tap_start,
	.stop = tap_stop,
	.send = tap_send,
	.rx_resume = tap_rx_resume,
	.set_offloads = tap_set_offloads,
	.free = tap_free,
};

/* Open /dev/net/tun; fd or -errno with err set. */
static int open_tun(const char *ifname, char *err, size_t errlen)
{
	int fd = open(TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	fd = -errno;
	if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO)
		snprintf(
			err, errlen,
			"tap '%s': %s is missing: load the tun module (modprobe tun)",
			ifname, TUN_DEV);
	else
		snprintf(
			err, errlen,
			"tap '%s': cannot open %s: %s (run as root or give the user access to it)",
			ifname, TUN_DEV, strerror(-fd));
	return fd;
}

/* Give a tap fd its virtio-net header size, offloads off; 0 or -errno. */
static int setup_vnet(int fd, const char *ifname, char *err, size_t errlen)
{
	int hdr = VNET_HDR_LEN, e;

	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) || ioctl(fd, TUNSETOFFLOAD, 0UL)) {
		e = -errno;
		snprintf(err, errlen, "tap '%s': cannot set it up: %s", ifname,
			 strerror(-e));
		return e;
	}
	return 0;
}

/*
 * Check that fd (tap-fd=N) is an open tap attached with IFF_TAP, IFF_NO_PI
 * and IFF_VNET_HDR, make it non-blocking and close-on-exec, and copy its
 * interface name to ifname. Returns 0 or -errno with err set.
 */
static int adopt_tap_fd(int fd, char ifname[IFNAMSIZ], char *err, size_t errlen)
{
	const int need = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	struct ifreq ifr = { 0 };
	struct stat st;
	int fl;

	if (fstat(fd, &st)) {
		snprintf(
			err, errlen,
			"tap-fd %d is not an open file descriptor: the caller must pass an open tap as fd %d",
			fd, fd);
		return -EBADF;
	}
	if (!S_ISCHR(st.st_mode) || ioctl(fd, TUNGETIFF, &ifr)) {
		snprintf(
			err, errlen,
			"tap-fd %d is not a tap: pass /dev/net/tun attached to a tap with TUNSETIFF",
			fd);
		return -EINVAL;
	}
	memcpy(ifname, ifr.ifr_name, IFNAMSIZ - 1);
	ifname[IFNAMSIZ - 1] = '\0';
	if ((ifr.ifr_flags & need) != need || (ifr.ifr_flags & IFF_TUN)) {
		snprintf(
			err, errlen,
			"tap-fd %d (interface '%s') lacks%s%s%s: attach it with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR",
			fd, ifname, ifr.ifr_flags & IFF_TAP ? "" : " IFF_TAP",
			ifr.ifr_flags & IFF_NO_PI ? "" : " IFF_NO_PI",
			ifr.ifr_flags & IFF_VNET_HDR ? "" : " IFF_VNET_HDR");
		return -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC)) {
		snprintf(err, errlen, "tap-fd %d ('%s'): fcntl: %s", fd, ifname,
			 strerror(errno));
		return -errno;
	}
	return setup_vnet(fd, ifname, err, errlen);
}

/* Attach fd to the tap ifname with a virtio-net header; 0 or -errno. */
static int attach_tap(int fd, const char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	unsigned int feat = 0;
	int e;

	if (!ioctl(fd, TUNGETFEATURES, &feat) && !(feat & IFF_VNET_HDR)) {
		snprintf(err, errlen,
			 "tap '%s': this kernel's tun lacks IFF_VNET_HDR",
			 ifname);
		return -ENOTSUP;
	}
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		e = -errno;
		if (e == -EPERM || e == -EACCES)
			snprintf(
				err, errlen,
				"tap '%s': permission denied: create it for this user (ip tuntap add dev %s mode tap user $USER) or run as root",
				ifname, ifname);
		else if (e == -EBUSY)
			snprintf(
				err, errlen,
				"tap '%s': in use by another process, or not a tap: give a free tap",
				ifname);
		else
			snprintf(
				err, errlen,
				"tap '%s': cannot attach: %s (is it a tap? ip tuntap add dev %s mode tap)",
				ifname, strerror(-e), ifname);
		return e;
	}
	return setup_vnet(fd, ifname, err, errlen);
}

/* The offload features the tap accepts (probed once). */
static uint64_t probe_offloads(int fd)
{
	uint64_t f = 0;

	if (!ioctl(fd, TUNSETOFFLOAD,
		   (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)))
		f = TAP_OFFLOADS;
	else if (!ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM))
		f = (1ULL << VIRTIO_NET_F_CSUM) |
		    (1ULL << VIRTIO_NET_F_GUEST_CSUM);
	ioctl(fd, TUNSETOFFLOAD, 0UL);
	return f;
}

/*
 * The tap handed over as o->tapfd; 0 with *out set or -errno with err set.
 * On failure the fd stays open (it is the caller's).
 */
static int tap_adopt(const struct net_opts *o, struct net_backend **out,
		     char *err, size_t errlen)
{
	struct tap *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	t->b.ops = &tap_ops;
	t->b.vnet_hdr = true;
	t->b.fd = -1;
	t->buf = malloc(TAP_BUF);
	r = t->buf ? adopt_tap_fd(o->tapfd, t->ifname, err, errlen) : -ENOMEM;
	if (r) {
		tap_free(&t->b);
		return r;
	}
	t->b.fd = o->tapfd;
	t->b.features = probe_offloads(t->b.fd);
	*out = &t->b;
	return 0;
}

int net_tap_open(const struct net_opts *o, struct net_backend **out, char *err,
		 size_t errlen)
{
	struct tap *t;
	int r;

	if (o->tapfd >= 0)
		return tap_adopt(o, out, err, errlen);
	if (!if_nametoindex(o->ifname)) {
		snprintf(
			err, errlen,
			"tap '%s' does not exist: create it first (ip tuntap add dev %s mode tap; ip link set %s up)",
			o->ifname, o->ifname, o->ifname);
		return -ENODEV;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->b.ops = &tap_ops;
	t->b.vnet_hdr = true;
	strcpy(t->ifname, o->ifname);
	t->buf = malloc(TAP_BUF);
	t->b.fd = open_tun(o->ifname, err, errlen);
	r = t->b.fd < 0 ? t->b.fd : 0;
	if (!r && !t->buf)
		r = -ENOMEM;
	if (!r)
		r = attach_tap(t->b.fd, o->ifname, err, errlen);
	if (r) {
		tap_free(&t->b);
		return r;
	}
	t->b.features = probe_offloads(t->b.fd);
	*out = &t->b;
	return 0;
}
