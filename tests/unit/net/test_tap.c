// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tap backend on a real tap, in a network namespace of its own (needs
 * root, or CAP_NET_ADMIN and /dev/net/tun; otherwise the tests are
 * reported as skipped): frames written through the backend appear on the
 * interface with the virtio-net header consumed, frames sent on the
 * interface reach the device callback with a header in front; the error
 * messages for a missing tap and a missing /dev/vhost-net.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/util.h"
#include "vmm/net/backend.h"
#include "vmm/virtio/vhost-net.h"
#include "vmm/virtio/net.h"

#define TAP "wtest0"

static bool have_tap; /* set up in main, else every test skips */
static char err[256];

/* Create the persistent tap TAP and bring it up; 0 or -errno. */
static int make_tap(void)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR), s, r = 0;

	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, TAP);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETPERSIST, 1))
		r = -errno;
	close(fd);
	if (r)
		return r;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, TAP);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			r = -errno;
	} else {
		r = -errno;
	}
	close(s);
	return r;
}

/* A packet socket on TAP: what the host's stack sees of the guest. */
static int wire_open(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(TAP) };
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return s;
}

static void frame_fill(uint8_t *f, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		f[i] = (uint8_t)(seed + 3 * i);
	memcpy(f, "\x02\x00\x00\x00\x00\x01", 6); /* to a unicast MAC */
	memcpy(f + 6, "\x52\x54\x00\x12\x34\x56", 6);
	f[12] = 0x88; /* local experimental EtherType */
	f[13] = 0xb5;
}

static struct net_backend *open_tap(void)
{
	struct net_opts o;
	struct net_backend *be = NULL;

	assert_int_equal(net_parse_opts("tap=" TAP, 0, &o, err, sizeof(err)),
			 0);
	if (net_tap_open(&o, &be, err, sizeof(err)))
		fail_msg("%s", err);
	return be;
}

static void test_missing_tap(void **state)
{
	struct net_opts o;
	struct net_backend *be = NULL;

	if (!have_tap)
		skip();
	assert_int_equal(
		net_parse_opts("tap=wnosuch9", 0, &o, err, sizeof(err)), 0);
	assert_int_equal(net_tap_open(&o, &be, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "tap 'wnosuch9' does not exist"));
	assert_non_null(strstr(err, "ip tuntap add dev wnosuch9 mode tap"));
	assert_null(be);
}

static void test_open_features(void **state)
{
	struct net_backend *be;

	if (!have_tap)
		skip();
	be = open_tap();
	assert_true(be->vnet_hdr);
	assert_true(be->fd >= 0);
	/* the kernel's tun takes all of these through the vnet header */
	assert_true(be->features & (1ULL << VIRTIO_NET_F_CSUM));
	assert_true(be->features & (1ULL << VIRTIO_NET_F_GUEST_CSUM));
	assert_true(be->features & (1ULL << VIRTIO_NET_F_HOST_TSO4));
	assert_true(be->features & (1ULL << VIRTIO_NET_F_GUEST_TSO6));
	assert_int_equal(be->ops->set_offloads(
				 be, (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
					     (1ULL << VIRTIO_NET_F_GUEST_TSO4)),
			 0);
	assert_int_equal(be->ops->set_offloads(be, 0), 0);
	be->ops->free(be);
}

/* A frame sent through be (header consumed) appears on the wire. */
static void send_check(struct net_backend *be)
{
	struct virtio_net_hdr_v1 h = { 0 };
	uint8_t frame[100], got[200];
	struct iovec iov[3];
	struct pollfd p;
	int s;
	ssize_t n;

	s = wire_open();
	frame_fill(frame, sizeof(frame), 1);
	iov[0] = (struct iovec){ &h, sizeof(h) };
	iov[1] = (struct iovec){ frame, 40 };
	iov[2] = (struct iovec){ frame + 40, 60 };
	assert_int_equal(be->ops->send(be, iov, 3), 0);
	p = (struct pollfd){ s, POLLIN, 0 };
	for (;;) {
		assert_int_equal(poll(&p, 1, 2000), 1);
		n = recv(s, got, sizeof(got), 0);
		/* skip what the kernel sends itself (IPv6 router solicits) */
		if (n >= 14 && got[12] == 0x88 && got[13] == 0xb5)
			break;
	}
	assert_int_equal(n, sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));
	close(s);
}

static void test_send(void **state)
{
	struct net_backend *be;

	if (!have_tap)
		skip();
	be = open_tap();
	send_check(be);
	be->ops->free(be);
}

struct rx {
	uint8_t buf[2048];
	size_t len;
	unsigned int calls;
};

static int on_receive(void *opaque, const void *buf, size_t len)
{
	struct rx *r = opaque;
	const uint8_t *b = buf;

	/* keep only the test's frames, not the kernel's own chatter */
	if (len < VNET_HDR_LEN + 14 || b[VNET_HDR_LEN + 12] != 0x88)
		return 0;
	r->calls++;
	r->len = MIN(len, sizeof(r->buf));
	memcpy(r->buf, buf, r->len);
	return 0;
}

static void test_receive(void **state)
{
	struct evloop *loop = evloop_new("test-tap");
	struct rx *r = calloc(1, sizeof(*r));
	struct virtio_net_hdr_v1 h;
	struct net_backend *be;
	uint8_t frame[80];
	int s, i;

	if (!have_tap) {
		evloop_free(loop);
		free(r);
		skip();
	}
	be = open_tap();
	be->loop = loop;
	be->receive = on_receive;
	be->opaque = r;
	assert_int_equal(evloop_start(loop), 0);
	assert_int_equal(be->ops->start(be), 0);
	s = wire_open();
	frame_fill(frame, sizeof(frame), 7);
	memcpy(frame, "\x52\x54\x00\x12\x34\x56", 6); /* to the guest */
	assert_int_equal(send(s, frame, sizeof(frame), 0), sizeof(frame));
	for (i = 0; i < 200 && !__atomic_load_n(&r->calls, __ATOMIC_ACQUIRE);
	     i++)
		usleep(10000);
	evloop_stop(loop);
	assert_int_equal(r->calls, 1);
	assert_int_equal(r->len, VNET_HDR_LEN + sizeof(frame));
	memcpy(&h, r->buf, sizeof(h));
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_memory_equal(r->buf + VNET_HDR_LEN, frame, sizeof(frame));
	close(s);
	be->ops->free(be);
	evloop_free(loop);
	free(r);
}

/* /dev/net/tun attached to TAP with flags; the fd, asserted open. */
static int tun_attach(short flags)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR);

	assert_true(fd >= 3);
	strcpy(ifr.ifr_name, TAP);
	ifr.ifr_flags = flags;
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	return fd;
}

/* tap-fd=N: an open tap with a vnet header is adopted, anything else not. */
static void test_tap_fd(void **state)
{
	struct net_backend *be = NULL;
	struct net_opts o;
	char spec[32];
	int fd;

	if (!have_tap)
		skip();
	fd = tun_attach(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	snprintf(spec, sizeof(spec), "tap-fd=%d", fd);
	assert_int_equal(net_parse_opts(spec, 0, &o, err, sizeof(err)), 0);
	if (net_tap_open(&o, &be, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(be->fd, fd);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(be->features & (1ULL << VIRTIO_NET_F_HOST_TSO4));
	send_check(be); /* frames flow through the adopted descriptor */
	be->ops->free(be); /* closes it */
	assert_int_equal(fcntl(fd, F_GETFD), -1);

	/* without IFF_VNET_HDR: named, and the fd stays the caller's */
	fd = tun_attach(IFF_TAP | IFF_NO_PI);
	snprintf(spec, sizeof(spec), "tap-fd=%d", fd);
	assert_int_equal(net_parse_opts(spec, 0, &o, err, sizeof(err)), 0);
	be = NULL;
	assert_int_equal(net_tap_open(&o, &be, err, sizeof(err)), -EINVAL);
	assert_null(be);
	assert_non_null(
		strstr(err, "(interface '" TAP "') lacks IFF_VNET_HDR"));
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);

	/* not a tap at all, and not open */
	fd = open("/dev/null", O_RDWR);
	snprintf(spec, sizeof(spec), "tap-fd=%d", fd);
	assert_int_equal(net_parse_opts(spec, 0, &o, err, sizeof(err)), 0);
	assert_int_equal(net_tap_open(&o, &be, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not a tap"));
	close(fd);
	assert_int_equal(net_tap_open(&o, &be, err, sizeof(err)), -EBADF);
	assert_non_null(strstr(err, "is not an open file descriptor"));
}

static void test_vhost_open(void **state)
{
	struct vhost_net *v = NULL;
	int r = vhost_net_open(&v, err, sizeof(err));

	if (access("/dev/vhost-net", F_OK)) {
		assert_int_equal(r, -ENOENT);
		assert_non_null(strstr(err, "/dev/vhost-net is missing"));
		assert_non_null(strstr(err, "modprobe vhost_net"));
		return;
	}
	if (r)
		fail_msg("vhost: %s", err);
	assert_true(vhost_net_features(v) & (1ULL << VIRTIO_F_VERSION_1));
	vhost_net_close(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_tap),
		cmocka_unit_test(test_open_features),
		cmocka_unit_test(test_send),
		cmocka_unit_test(test_receive),
		cmocka_unit_test(test_tap_fd),
		cmocka_unit_test(test_vhost_open),
	};
	int r;

	/* a namespace of our own: the tap and its traffic stay in it */
	if (unshare(CLONE_NEWNET) == 0) {
		r = make_tap();
		have_tap = r == 0;
		if (r)
			print_message("no tap (%s): tap tests skipped\n",
				      strerror(-r));
	} else {
		print_message("no network namespace (%s): tap tests skipped\n",
			      strerror(errno));
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
