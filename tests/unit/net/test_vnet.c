// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-net receive and transmit paths against hand-built virtqueues in a
 * malloc'ed guest RAM, with a fake backend whose wire is a socketpair, and
 * with the real user-mode backend (libslirp) answering ARP and carrying a
 * datagram to the host's loopback through the gateway.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/net/backend.h"
#include "vmm/virtio/net.h"
#include "vmm/virtio/ring.h"

/* --- the transport's side, faked --- */

static unsigned int interrupts[VNET_NUM_QUEUES];
static unsigned int failures;

void virtio_dev_interrupt(struct virtio_dev *d, unsigned int q)
{
	if (vq_should_notify(&d->vqs[q]))
		interrupts[q]++;
}

void virtio_dev_fail(struct virtio_dev *d, const char *why)
{
	failures++;
}

/* --- a fake backend: frames cross a SOCK_SEQPACKET socketpair --- */

struct fake {
	struct net_backend b;
	int wire[2]; /* [0] backend end, [1] the test's end */
	uint8_t pending[70000];
	size_t npending;
	unsigned int resumes;
};

static int fake_start(struct net_backend *b)
{
	return 0;
}

static void fake_stop(struct net_backend *b)
{
}

static int fake_send(struct net_backend *b, const struct iovec *iov,
		     unsigned int n)
{
	struct fake *f = (struct fake *)b;

	return writev(f->wire[0], iov, n) < 0 ? -errno : 0;
}

/* Deliver frames from the wire until the device is full. */
static void fake_pump(struct fake *f)
{
	for (;;) {
		if (!f->npending) {
			ssize_t r = recv(f->wire[0], f->pending,
					 sizeof(f->pending), MSG_DONTWAIT);

			if (r <= 0)
				return;
			f->npending = r;
		}
		if (f->b.receive(f->b.opaque, f->pending, f->npending) ==
		    -EAGAIN)
			return;
		f->npending = 0;
	}
}

static void fake_rx_resume(struct net_backend *b)
{
	struct fake *f = (struct fake *)b;

	f->resumes++;
	fake_pump(f);
}

static int fake_set_offloads(struct net_backend *b, uint64_t f)
{
	return 0;
}

static void fake_free(struct net_backend *b)
{
	struct fake *f = (struct fake *)b;

	close(f->wire[0]);
	close(f->wire[1]);
	free(f);
}

static const struct net_backend_ops fake_ops = {
	.name = "fake",
	.start = fake_start,
	.stop = fake_stop,
	.send = fake_send,
	.rx_resume = fake_rx_resume,
	.set_offloads = fake_set_offloads,
	.free = fake_free,
};

/* --- guest RAM and rings --- */

#define RAM_SIZE (1U << 20)
#define QSIZE 16
#define RX_DESC 0x1000
#define RX_AVAIL 0x2000
#define RX_USED 0x3000
#define TX_DESC 0x4000
#define TX_AVAIL 0x5000
#define TX_USED 0x6000
#define BUF 0x10000 /* data buffers from here */

#define F(b) (1ULL << (b))

struct fx {
	struct gmem mem;
	uint8_t *ram;
	struct fake *fake;
	struct net_backend *be;
	struct vnet *n;
	struct virtio_dev *d;
	uint16_t next_desc[VNET_NUM_QUEUES];
	uint64_t next_buf;
	int kick[VNET_NUM_QUEUES]; /* user backend: eventfds run by the loop */
	struct virtio_dev dev; /* what the transport would own */
	struct virtqueue vqs[VNET_NUM_QUEUES];
};

static const uint64_t ring_gpa[VNET_NUM_QUEUES][3] = {
	{ RX_DESC, RX_AVAIL, RX_USED },
	{ TX_DESC, TX_AVAIL, TX_USED },
};

static void *gp(struct fx *f, uint64_t gpa)
{
	return f->ram + gpa;
}

static struct virtq_desc *desc(struct fx *f, unsigned int q, unsigned int i)
{
	return (struct virtq_desc *)gp(f, ring_gpa[q][0]) + i;
}

static struct virtq_avail *avail(struct fx *f, unsigned int q)
{
	return gp(f, ring_gpa[q][1]);
}

static struct virtq_used *used(struct fx *f, unsigned int q)
{
	return gp(f, ring_gpa[q][2]);
}

/* Guest RAM for a new len-byte buffer. */
static uint64_t alloc_buf(struct fx *f, uint32_t len)
{
	uint64_t g = f->next_buf;

	f->next_buf += (len + 15) & ~15U;
	assert_true(f->next_buf < RAM_SIZE);
	return g;
}

/*
 * Post a chain of n buffers of lens[] on queue q (writable when w) and
 * make it available; returns its head.
 */
static uint16_t post(struct fx *f, unsigned int q, const uint32_t *lens,
		     unsigned int n, bool w, uint64_t *gpas)
{
	uint16_t head = f->next_desc[q], i;
	struct virtq_avail *a = avail(f, q);

	for (i = 0; i < n; i++) {
		uint16_t di = (head + i) % QSIZE;
		uint64_t g = alloc_buf(f, lens[i]);

		if (gpas)
			gpas[i] = g;
		*desc(f, q, di) = (struct virtq_desc){
			g, lens[i],
			(uint16_t)((w ? VIRTQ_DESC_F_WRITE : 0) |
				   (i + 1U < n ? VIRTQ_DESC_F_NEXT : 0)),
			(uint16_t)((di + 1) % QSIZE)
		};
	}
	f->next_desc[q] = (head + n) % QSIZE;
	a->ring[a->idx % QSIZE] = head;
	__atomic_store_n(&a->idx, a->idx + 1, __ATOMIC_RELEASE);
	return head;
}

/* Make a device on backend be with the features, started like a driver. */
static void make_dev(struct fx *f, struct net_backend *be, uint64_t feat,
		     struct evloop *loop)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	unsigned int q;

	f->be = be;
	f->n = vnet_new(be, mac);
	assert_non_null(f->n);
	f->dev = (struct virtio_dev){ .ops = vnet_ops(f->n),
				      .priv = f->n,
				      .mem = &f->mem,
				      .loop = loop,
				      .vqs = f->vqs };
	vnet_attach(f->n, &f->dev);
	f->d = &f->dev;
	f->d->features = feat;
	for (q = 0; q < VNET_NUM_QUEUES; q++) {
		struct virtqueue *vq = &f->d->vqs[q];

		vq->mem = &f->mem;
		vq->index = q;
		vq->size = QSIZE;
		vq->desc_gpa = ring_gpa[q][0];
		vq->avail_gpa = ring_gpa[q][1];
		vq->used_gpa = ring_gpa[q][2];
		vq->ready = true;
		vq->event_idx = false;
		assert_int_equal(vq_start(vq), 0);
	}
	assert_int_equal(f->d->ops->activate(f->d), 0);
}

static struct fake *new_fake(bool vnet_hdr)
{
	struct fake *fk = calloc(1, sizeof(*fk));

	assert_non_null(fk);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fk->wire), 0);
	fk->b.ops = &fake_ops;
	fk->b.fd = -1;
	fk->b.vnet_hdr = vnet_hdr;
	return fk;
}

static int setup_common(void **state, bool vnet_hdr, uint64_t feat)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->ram = calloc(1, RAM_SIZE);
	f->mem.r[0] = (struct gmem_region){ 0, RAM_SIZE, f->ram };
	f->mem.n = 1;
	f->next_buf = BUF;
	f->fake = new_fake(vnet_hdr);
	make_dev(f, &f->fake->b, feat, NULL);
	f->fake->resumes = 0; /* activate offered waiting frames once */
	memset(interrupts, 0, sizeof(interrupts));
	failures = 0;
	*state = f;
	return 0;
}

static int setup_plain(void **state)
{
	return setup_common(state, false,
			    F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) |
				    F(VIRTIO_NET_F_MRG_RXBUF));
}

static int setup_plain_nomrg(void **state)
{
	return setup_common(state, false,
			    F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC));
}

static int setup_offload(void **state)
{
	return setup_common(state, true,
			    F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) |
				    F(VIRTIO_NET_F_MRG_RXBUF) |
				    F(VIRTIO_NET_F_CSUM) |
				    F(VIRTIO_NET_F_HOST_TSO4));
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vnet_free(f->n);
	free(f->ram);
	free(f);
	return 0;
}

static void fill_frame(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
	if (len >= 14) {
		p[12] = 0x08; /* IPv4 */
		p[13] = 0x00;
	}
}

/* Read one frame from the wire (the host side); returns its length. */
static ssize_t wire_read(struct fx *f, void *buf, size_t len)
{
	struct pollfd p = { f->fake->wire[1], POLLIN, 0 };

	if (poll(&p, 1, 0) != 1)
		return -1;
	return recv(f->fake->wire[1], buf, len, 0);
}

static struct vnet_stats stats(struct fx *f)
{
	struct vnet_stats s;

	vnet_get_stats(f->n, &s);
	return s;
}

/* --- transmit --- */

static void test_tx_frame_split(void **state)
{
	struct fx *f = *state;
	uint32_t lens[3] = { 12, 20, 40 };
	uint64_t g[3];
	uint8_t frame[60], got[200];
	uint16_t head;

	head = post(f, VNET_TXQ, lens, 3, false, g);
	memset(gp(f, g[0]), 0, 12);
	fill_frame(frame, sizeof(frame), 1);
	memcpy(gp(f, g[1]), frame, 20);
	memcpy(gp(f, g[2]), frame + 20, 40);
	f->d->ops->queue_notify(f->d, VNET_TXQ);
	assert_int_equal(wire_read(f, got, sizeof(got)), 60);
	assert_memory_equal(got, frame, 60);
	assert_int_equal(used(f, VNET_TXQ)->idx, 1);
	assert_int_equal(used(f, VNET_TXQ)->ring[0].id, head);
	assert_int_equal(interrupts[VNET_TXQ], 1);
	assert_int_equal(stats(f).tx_frames, 1);
	assert_int_equal(failures, 0);
}

/* Post a one-buffer TX chain: header h then a frame of flen bytes. */
static void post_tx(struct fx *f, const struct virtio_net_hdr_v1 *h,
		    size_t flen)
{
	uint32_t len = VNET_HDR_LEN + flen;
	uint64_t g;

	post(f, VNET_TXQ, &len, 1, false, &g);
	memcpy(gp(f, g), h, VNET_HDR_LEN);
	fill_frame(gp(f, g + VNET_HDR_LEN), flen, 9);
}

static void test_tx_bad_frames_dropped(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	uint8_t got[100];

	post_tx(f, &h, 0); /* header only */
	post_tx(f, &h, 13); /* shorter than Ethernet */
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM; /* CSUM not negotiated */
	h.csum_start = 14;
	h.csum_offset = 16;
	post_tx(f, &h, 60);
	h.flags = 0;
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4; /* not negotiated */
	post_tx(f, &h, 60);
	h.gso_type = 0;
	h.flags = 0x80; /* unknown flag */
	post_tx(f, &h, 60);
	f->d->ops->queue_notify(f->d, VNET_TXQ);
	assert_int_equal(wire_read(f, got, sizeof(got)), -1);
	assert_int_equal(stats(f).tx_dropped, 5);
	assert_int_equal(stats(f).tx_frames, 0);
	/* dropped frames still go back to the driver; the device goes on */
	assert_int_equal(used(f, VNET_TXQ)->idx, 5);
	assert_int_equal(failures, 0);
}

static void test_tx_oversized_dropped(void **state)
{
	struct fx *f = *state;
	uint32_t lens[2] = { 12, VNET_MAX_FRAME + 1 };
	uint8_t got[100];

	post(f, VNET_TXQ, lens, 2, false, NULL);
	f->d->ops->queue_notify(f->d, VNET_TXQ);
	assert_int_equal(wire_read(f, got, sizeof(got)), -1);
	assert_int_equal(stats(f).tx_dropped, 1);
}

static void test_tx_offload_header_passes(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = { 0 }, out;
	uint8_t got[3000];

	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h.gso_size = 1448;
	h.hdr_len = 66;
	h.csum_start = 34;
	h.csum_offset = 16;
	h.num_buffers = 0x4444; /* not the guest's to set: zeroed */
	post_tx(f, &h, 2000);
	/* offsets outside the frame: dropped */
	h.csum_start = 1990;
	post_tx(f, &h, 2000);
	/* GSO without a segment size: dropped */
	h.csum_start = 34;
	h.gso_size = 0;
	post_tx(f, &h, 2000);
	/* GSO without NEEDS_CSUM: dropped */
	h.gso_size = 1448;
	h.flags = 0;
	post_tx(f, &h, 2000);
	/* TSO6 was not negotiated */
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	post_tx(f, &h, 2000);
	f->d->ops->queue_notify(f->d, VNET_TXQ);
	assert_int_equal(wire_read(f, got, sizeof(got)), 12 + 2000);
	memcpy(&out, got, 12);
	assert_int_equal(out.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(out.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(out.gso_size, 1448);
	assert_int_equal(out.csum_start, 34);
	assert_int_equal(out.num_buffers, 0);
	assert_int_equal(wire_read(f, got, sizeof(got)), -1);
	assert_int_equal(stats(f).tx_dropped, 4);
}

static void test_tx_hostile_ring_fails_device(void **state)
{
	struct fx *f = *state;
	uint32_t len = 100;
	uint16_t head;
	uint8_t got[100];

	head = post(f, VNET_TXQ, &len, 1, false, NULL);
	desc(f, VNET_TXQ, head)->addr = RAM_SIZE - 10; /* runs out of RAM */
	f->d->ops->queue_notify(f->d, VNET_TXQ);
	assert_int_equal(failures, 1);
	assert_int_equal(wire_read(f, got, sizeof(got)), -1);
	/* a failed device ignores further kicks */
	desc(f, VNET_TXQ, head)->addr = BUF;
	f->d->ops->queue_notify(f->d, VNET_TXQ);
	assert_int_equal(used(f, VNET_TXQ)->idx, 0);
	assert_int_equal(failures, 1);
}

/* --- receive --- */

static void test_rx_mergeable(void **state)
{
	struct fx *f = *state;
	uint32_t len = 100;
	uint64_t g[3];
	uint8_t frame[250];
	struct virtio_net_hdr_v1 h;
	struct virtq_used *u = used(f, VNET_RXQ);

	post(f, VNET_RXQ, &len, 1, true, &g[0]);
	post(f, VNET_RXQ, &len, 1, true, &g[1]);
	post(f, VNET_RXQ, &len, 1, true, &g[2]);
	fill_frame(frame, sizeof(frame), 3);
	assert_int_equal(send(f->fake->wire[1], frame, sizeof(frame), 0),
			 sizeof(frame));
	fake_pump(f->fake);
	/* 12 + 250 bytes: 100 + 100 + 62, published together */
	assert_int_equal(u->idx, 3);
	assert_int_equal(u->ring[0].len, 100);
	assert_int_equal(u->ring[1].len, 100);
	assert_int_equal(u->ring[2].len, 62);
	memcpy(&h, gp(f, g[0]), 12);
	assert_int_equal(h.num_buffers, 3);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.gso_type, 0);
	assert_memory_equal(gp(f, g[0]) + 12, frame, 88);
	assert_memory_equal(gp(f, g[1]), frame + 88, 100);
	assert_memory_equal(gp(f, g[2]), frame + 188, 62);
	assert_int_equal(interrupts[VNET_RXQ], 1);
	assert_int_equal(stats(f).rx_frames, 1);
}

static void test_rx_waits_for_buffers(void **state)
{
	struct fx *f = *state;
	uint32_t len = 100, big = 2048;
	uint64_t g;
	uint8_t frame[300];
	struct virtq_used *u = used(f, VNET_RXQ);

	/* one buffer is not enough for 312 bytes: nothing is consumed */
	post(f, VNET_RXQ, &len, 1, true, NULL);
	fill_frame(frame, sizeof(frame), 5);
	send(f->fake->wire[1], frame, sizeof(frame), 0);
	fake_pump(f->fake);
	assert_int_equal(u->idx, 0);
	assert_int_equal(f->fake->npending, sizeof(frame));
	/* the driver adds a buffer and kicks: the frame goes in */
	post(f, VNET_RXQ, &big, 1, true, &g);
	f->d->ops->queue_notify(f->d, VNET_RXQ);
	assert_int_equal(f->fake->resumes, 1);
	assert_int_equal(f->fake->npending, 0);
	assert_int_equal(u->idx, 2);
	assert_int_equal(u->ring[0].len, 100);
	assert_int_equal(u->ring[1].len, 212);
	assert_memory_equal(gp(f, g), frame + 88, 212);
	assert_int_equal(stats(f).rx_dropped, 0);
}

static void test_rx_bad_frames_dropped(void **state)
{
	struct fx *f = *state;
	uint32_t len = 2048;
	uint8_t small[10] = { 0 };

	post(f, VNET_RXQ, &len, 1, true, NULL);
	send(f->fake->wire[1], small, sizeof(small), 0);
	fake_pump(f->fake);
	assert_int_equal(used(f, VNET_RXQ)->idx, 0);
	assert_int_equal(stats(f).rx_dropped, 1);
}

static void test_rx_nomrg_too_small(void **state)
{
	struct fx *f = *state;
	uint32_t small = 64, big = 1600;
	uint64_t g;
	uint8_t frame[200];
	struct virtq_used *u = used(f, VNET_RXQ);

	post(f, VNET_RXQ, &small, 1, true, NULL);
	fill_frame(frame, sizeof(frame), 7);
	send(f->fake->wire[1], frame, sizeof(frame), 0);
	fake_pump(f->fake);
	/* without mergeable buffers a frame must fit one chain: dropped,
	 * and the too-small chain stays with the device */
	assert_int_equal(u->idx, 0);
	assert_int_equal(stats(f).rx_dropped, 1);
	assert_int_equal(f->fake->npending, 0);
	send(f->fake->wire[1], frame, 50, 0);
	fake_pump(f->fake);
	assert_int_equal(u->idx, 1);
	assert_int_equal(u->ring[0].len, 62);
	(void)big;
	(void)g;
}

static void test_rx_hostile_buffers(void **state)
{
	struct fx *f = *state;
	uint32_t len = 8; /* shorter than the header */
	uint8_t frame[60];

	post(f, VNET_RXQ, &len, 1, true, NULL);
	fill_frame(frame, sizeof(frame), 1);
	send(f->fake->wire[1], frame, sizeof(frame), 0);
	fake_pump(f->fake);
	assert_int_equal(failures, 1);
	assert_int_equal(used(f, VNET_RXQ)->idx, 0);
}

static void test_rx_readonly_buffer_fails(void **state)
{
	struct fx *f = *state;
	uint32_t len = 2048;
	uint8_t frame[60];

	post(f, VNET_RXQ, &len, 1, false, NULL); /* device-readable */
	fill_frame(frame, sizeof(frame), 1);
	send(f->fake->wire[1], frame, sizeof(frame), 0);
	fake_pump(f->fake);
	assert_int_equal(failures, 1);
}

static void test_rx_offload_header_kept(void **state)
{
	struct fx *f = *state;
	uint32_t len = 4096;
	uint64_t g;
	uint8_t buf[12 + 1000];
	struct virtio_net_hdr_v1 h = { 0 }, got;

	h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	h.num_buffers = 77; /* the device sets it */
	memcpy(buf, &h, 12);
	fill_frame(buf + 12, 1000, 11);
	post(f, VNET_RXQ, &len, 1, true, &g);
	send(f->fake->wire[1], buf, sizeof(buf), 0);
	fake_pump(f->fake);
	memcpy(&got, gp(f, g), 12);
	assert_int_equal(got.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	assert_int_equal(got.num_buffers, 1);
	assert_memory_equal(gp(f, g) + 12, buf + 12, 1000);
	assert_int_equal(used(f, VNET_RXQ)->ring[0].len, sizeof(buf));
}

static void test_config_and_reset(void **state)
{
	struct fx *f = *state;
	struct virtio_net_config c;
	uint8_t beyond[4] = { 1, 1, 1, 1 };
	uint32_t len = 2048;
	uint8_t frame[60];

	assert_int_equal(f->d->ops->config_size, sizeof(c));
	f->d->ops->config_read(f->d, 0, &c, sizeof(c));
	assert_int_equal(c.mac[3], 0xab);
	assert_int_equal(c.status, VIRTIO_NET_S_LINK_UP);
	f->d->ops->config_read(f->d, sizeof(c) - 2, beyond, 4);
	assert_int_equal(beyond[0], 1); /* max_virtqueue_pairs = 1 */
	assert_int_equal(beyond[2], 0);
	assert_true(f->d->ops->features & F(VIRTIO_NET_F_MRG_RXBUF));
	assert_true(f->d->ops->features & F(VIRTIO_NET_F_STATUS));
	/* the fake backend offers no offloads: neither does the device */
	assert_false(f->d->ops->features & F(VIRTIO_NET_F_CSUM));
	assert_false(f->d->ops->features & F(VIRTIO_NET_F_GUEST_TSO4));
	/* after a reset frames are dropped, not written into old rings */
	f->d->ops->reset(f->d);
	post(f, VNET_RXQ, &len, 1, true, NULL);
	fill_frame(frame, sizeof(frame), 1);
	send(f->fake->wire[1], frame, sizeof(frame), 0);
	fake_pump(f->fake);
	assert_int_equal(used(f, VNET_RXQ)->idx, 0);
	assert_int_equal(stats(f).rx_dropped, 1);
}

static void test_check_tx(void **state)
{
	struct virtio_net_hdr_v1 h = { 0 };
	uint64_t all = F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) |
		       F(VIRTIO_NET_F_HOST_TSO6);

	assert_int_equal(vnet_check_tx(&h, 14, 0), 0);
	assert_int_equal(vnet_check_tx(&h, VNET_MAX_FRAME, 0), 0);
	assert_int_equal(vnet_check_tx(&h, VNET_MAX_FRAME + 1, 0), -EINVAL);
	assert_int_equal(vnet_check_tx(&h, 13, 0), -EINVAL);
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.csum_start = 0xffff; /* 16-bit sums must not wrap */
	h.csum_offset = 0xffff;
	assert_int_equal(vnet_check_tx(&h, 60000, all), -EINVAL);
	h.csum_start = 34;
	h.csum_offset = 16;
	assert_int_equal(vnet_check_tx(&h, 52, all), 0);
	assert_int_equal(vnet_check_tx(&h, 51, all), -EINVAL);
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	h.gso_size = 1000;
	assert_int_equal(vnet_check_tx(&h, 5000, all), -EINVAL);
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN;
	assert_int_equal(vnet_check_tx(&h, 5000, all), -EINVAL);
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	assert_int_equal(vnet_check_tx(&h, 5000, all), 0);
	h.hdr_len = 5001;
	assert_int_equal(vnet_check_tx(&h, 5000, all), -EINVAL);
	h.hdr_len = 74;
	h.gso_type = 9;
	assert_int_equal(vnet_check_tx(&h, 5000, all), -EINVAL);
}

/* --- the real user-mode backend --- */

/* The backend runs in the evloop thread: give it ms to work. */
static void run_user(struct fx *f, int ms)
{
	usleep(ms * 1000);
}

/* Like the transport's ioeventfd: a kick runs queue_notify in the loop. */
static void kick_event(void *opaque, int fd, uint32_t events)
{
	struct fx *f = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == sizeof(v))
		f->d->ops->queue_notify(
			f->d, fd == f->kick[VNET_RXQ] ? VNET_RXQ : VNET_TXQ);
}

static int setup_user(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct net_opts o;
	char err[200];
	struct evloop *loop = evloop_new("test-net");
	unsigned int i;

	assert_non_null(loop);
	f->ram = calloc(1, RAM_SIZE);
	f->mem.r[0] = (struct gmem_region){ 0, RAM_SIZE, f->ram };
	f->mem.n = 1;
	f->next_buf = BUF;
	assert_int_equal(net_parse_opts("user", 0, &o, err, sizeof(err)), 0);
	assert_int_equal(net_backend_open(&o, loop, NULL, NULL, &f->be, err,
					  sizeof(err)),
			 0);
	/* slirp needs full frames with valid checksums: no offloads */
	assert_int_equal(f->be->features, 0);
	assert_false(f->be->vnet_hdr);
	make_dev(f, f->be, F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MRG_RXBUF),
		 loop);
	for (i = 0; i < VNET_NUM_QUEUES; i++) {
		f->kick[i] = eventfd(0, EFD_NONBLOCK);
		assert_true(f->kick[i] >= 0);
		assert_int_equal(
			evloop_add(loop, f->kick[i], EPOLLIN, kick_event, f),
			0);
	}
	assert_int_equal(evloop_start(loop), 0);
	assert_int_equal(f->be->ops->start(f->be), 0);
	memset(interrupts, 0, sizeof(interrupts));
	failures = 0;
	*state = f;
	return 0;
}

static int teardown_user(void **state)
{
	struct fx *f = *state;
	struct evloop *loop = f->be->loop;

	evloop_stop(loop);
	vnet_free(f->n);
	evloop_free(loop);
	close(f->kick[0]);
	close(f->kick[1]);
	free(f->ram);
	free(f);
	return 0;
}

/* Send a frame as the guest: queue it on the TX ring and kick. */
static void guest_send(struct fx *f, const void *frame, size_t len)
{
	uint32_t l = VNET_HDR_LEN + len;
	uint64_t g, one = 1;

	post(f, VNET_TXQ, &l, 1, false, &g);
	memset(gp(f, g), 0, VNET_HDR_LEN);
	memcpy(gp(f, g + VNET_HDR_LEN), frame, len);
	/* the loop thread runs the device, as with the real transport */
	assert_int_equal(write(f->kick[VNET_TXQ], &one, sizeof(one)), 8);
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += p[i] << 8 | p[i + 1];
	if (len & 1)
		s += p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

static void test_user_arp_and_udp_to_loopback(void **state)
{
	struct fx *f = *state;
	uint8_t arp[42] = { 0 }, udp[14 + 20 + 8 + 5] = { 0 }, got[64];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	uint32_t len = 2048;
	uint64_t g;
	uint16_t c, port;
	int s, i;

	/* the guest asks who has 10.0.2.2 */
	post(f, VNET_RXQ, &len, 1, true, &g);
	memset(arp, 0xff, 6);
	memcpy(arp + 6, guest_mac, 6);
	arp[12] = 0x08, arp[13] = 0x06;
	arp[14] = 0, arp[15] = 1, arp[16] = 8, arp[17] = 0, arp[18] = 6,
	arp[19] = 4, arp[20] = 0, arp[21] = 1;
	memcpy(arp + 22, guest_mac, 6);
	inet_pton(AF_INET, "10.0.2.15", arp + 28);
	inet_pton(AF_INET, "10.0.2.2", arp + 38);
	guest_send(f, arp, sizeof(arp));
	for (i = 0; i < 100 && !used(f, VNET_RXQ)->idx; i++)
		run_user(f, 10);
	assert_int_equal(used(f, VNET_RXQ)->idx, 1);
	memcpy(got, gp(f, g) + VNET_HDR_LEN, 42);
	assert_int_equal(got[12], 0x08);
	assert_int_equal(got[13], 0x06);
	assert_int_equal(got[21], 2); /* ARP reply */
	assert_memory_equal(got + 28, arp + 38, 4); /* for 10.0.2.2 */
	assert_memory_equal(got + 32, guest_mac, 6);

	/* a datagram to 10.0.2.2:port arrives on the host's 127.0.0.1:port */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	memcpy(udp, got + 6, 6); /* to the gateway's MAC */
	memcpy(udp + 6, guest_mac, 6);
	udp[12] = 0x08;
	udp[14] = 0x45;
	udp[17] = 20 + 8 + 5;
	udp[22] = 64;
	udp[23] = 17;
	inet_pton(AF_INET, "10.0.2.15", udp + 26);
	inet_pton(AF_INET, "10.0.2.2", udp + 30);
	c = csum(udp + 14, 20);
	udp[24] = c >> 8, udp[25] = c & 0xff;
	udp[34] = 0x30, udp[35] = 0x39; /* source port 12345 */
	udp[36] = port >> 8, udp[37] = port & 0xff;
	udp[39] = 8 + 5; /* UDP checksum 0: none */
	memcpy(udp + 42, "hello", 5);
	guest_send(f, udp, sizeof(udp));
	{
		struct pollfd p = { s, POLLIN, 0 };

		assert_int_equal(poll(&p, 1, 2000), 1);
	}
	assert_int_equal(recv(s, got, sizeof(got), 0), 5);
	assert_memory_equal(got, "hello", 5);
	close(s);

	/*
	 * The same datagram to another address this host has (127.0.0.2):
	 * unfiltered, libslirp would send it there; it must not arrive.
	 */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	sa.sin_addr.s_addr = htonl(0x7f000002);
	sa.sin_port = 0;
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	inet_pton(AF_INET, "127.0.0.2", udp + 30);
	udp[24] = udp[25] = 0;
	c = csum(udp + 14, 20);
	udp[24] = c >> 8, udp[25] = c & 0xff;
	udp[36] = port >> 8, udp[37] = port & 0xff;
	guest_send(f, udp, sizeof(udp));
	/* and to the DNS address, which slirp would forward to a resolver */
	inet_pton(AF_INET, "10.0.2.3", udp + 30);
	udp[24] = udp[25] = 0;
	c = csum(udp + 14, 20);
	udp[24] = c >> 8, udp[25] = c & 0xff;
	udp[36] = 0, udp[37] = 53;
	guest_send(f, udp, sizeof(udp));
	{
		struct pollfd p = { s, POLLIN, 0 };

		assert_int_equal(poll(&p, 1, 500), 0);
	}
	close(s);
	assert_int_equal(failures, 0);
	assert_int_equal(stats(f).tx_frames, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_tx),
		cmocka_unit_test_setup_teardown(test_tx_frame_split,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_tx_bad_frames_dropped,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_tx_oversized_dropped,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_tx_offload_header_passes,
						setup_offload, teardown),
		cmocka_unit_test_setup_teardown(
			test_tx_hostile_ring_fails_device, setup_plain,
			teardown),
		cmocka_unit_test_setup_teardown(test_rx_mergeable, setup_plain,
						teardown),
		cmocka_unit_test_setup_teardown(test_rx_waits_for_buffers,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_rx_bad_frames_dropped,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_rx_nomrg_too_small,
						setup_plain_nomrg, teardown),
		cmocka_unit_test_setup_teardown(test_rx_hostile_buffers,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_rx_readonly_buffer_fails,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_rx_offload_header_kept,
						setup_offload, teardown),
		cmocka_unit_test_setup_teardown(test_config_and_reset,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(
			test_user_arp_and_udp_to_loopback, setup_user,
			teardown_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
