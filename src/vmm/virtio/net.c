// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-net device model: one receive and one transmit queue, MAC and link
 * status in config space, mergeable receive buffers, and the checksum and
 * segmentation offloads the backend can carry. All frame work runs in the
 * device's evloop thread; activate/reset come from a vCPU thread and take
 * the same lock. With vhost, the kernel serves both queues instead.
 */
#include "vmm/virtio/net.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "vmm/net/backend.h"
#include "vmm/virtio/vhost-net.h"
#include "vmm/virtio/ring.h"

#define VNET_QUEUE_SIZE 256

#define F(bit) (1ULL << (bit))

struct vnet {
	struct virtio_dev *vdev; /* the transport's, once attached */
	struct virtio_dev_ops ops;
	struct net_backend *be;
	struct vhost_net *vhost; /* NULL: frames go through this thread */
	struct virtio_net_config cfg;
	pthread_mutex_t lock;
	bool active; /* DRIVER_OK and not failed */
	bool rx_waiting; /* the backend holds a frame for lack of buffers */
	bool vhost_running;
	struct vq_elem txe, rxe; /* the chains being worked on */
	struct iovec first[VQ_MAX_SEGS]; /* buffers of a frame's first chain */
	unsigned int nfirst;
	uint16_t heads[VIRTQ_MAX_SIZE]; /* chains of one received frame */
	uint32_t lens[VIRTQ_MAX_SIZE];
	struct iovec txiov[VQ_MAX_SEGS + 1];
	struct vnet_stats st;
};

static struct vnet *to_vnet(struct virtio_dev *d)
{
	return d->priv;
}

int vnet_check_tx(const struct virtio_net_hdr_v1 *h, size_t frame_len,
		  uint64_t features)
{
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if (frame_len < VNET_ETH_HLEN || frame_len > VNET_MAX_FRAME)
		return -EINVAL;
	if (h->flags &
	    ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
		return -EINVAL;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!(features & F(VIRTIO_NET_F_CSUM)))
			return -EINVAL;
		if ((uint32_t)h->csum_start + h->csum_offset + 2 > frame_len)
			return -EINVAL;
	}
	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	    !(features & F(VIRTIO_NET_F_HOST_ECN)))
		return -EINVAL;
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4) {
		if (!(features & F(VIRTIO_NET_F_HOST_TSO4)))
			return -EINVAL;
	} else if (gso == VIRTIO_NET_HDR_GSO_TCPV6) {
		if (!(features & F(VIRTIO_NET_F_HOST_TSO6)))
			return -EINVAL;
	} else {
		return -EINVAL; /* UFO and unknown kinds are never offered */
	}
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !h->gso_size ||
	    h->hdr_len > frame_len)
		return -EINVAL;
	return 0;
}

/*
 * Make dst describe src without its first off bytes; returns the number
 * of entries (at most max).
 */
static unsigned int iov_skip(const struct iovec *src, unsigned int n,
			     size_t off, struct iovec *dst, unsigned int max)
{
	unsigned int i, k = 0;

	for (i = 0; i < n && k < max; i++) {
		if (off >= src[i].iov_len) {
			off -= src[i].iov_len;
			continue;
		}
		dst[k].iov_base = (uint8_t *)src[i].iov_base + off;
		dst[k].iov_len = src[i].iov_len - off;
		off = 0;
		k++;
	}
	return k;
}

/* Send the frame of one transmit chain to the backend (or drop it). */
static void tx_chain(struct vnet *n, const struct vq_elem *e)
{
	struct virtio_net_hdr_v1 h;
	unsigned int k = 0;
	size_t flen;

	if (e->out_len < VNET_HDR_LEN)
		goto drop;
	iov_to_buf(e->out, e->n_out, 0, &h, VNET_HDR_LEN);
	flen = e->out_len - VNET_HDR_LEN;
	if (vnet_check_tx(&h, flen, n->vdev->features))
		goto drop;
	if (n->be->vnet_hdr) {
		/* the checked copy goes to the backend, not guest memory */
		h.flags &= ~VIRTIO_NET_HDR_F_DATA_VALID;
		h.num_buffers = 0;
		n->txiov[k].iov_base = &h;
		n->txiov[k++].iov_len = VNET_HDR_LEN;
	} else if (h.flags || h.gso_type) {
		goto drop;
	}
	k += iov_skip(e->out, e->n_out, VNET_HDR_LEN, n->txiov + k,
		      VQ_MAX_SEGS);
	if (n->be->ops->send(n->be, n->txiov, k))
		goto drop;
	n->st.tx_frames++;
	return;
drop:
	n->st.tx_dropped++;
}

/* Stop the device after a guest protocol error (lock held). */
static void vnet_fail(struct vnet *n, const char *why)
{
	n->active = false;
	virtio_dev_fail(n->vdev, why);
}

/* Send everything on the transmit queue (lock held). */
static void tx_process(struct vnet *n)
{
	struct virtqueue *vq = &n->vdev->vqs[VNET_TXQ];
	bool pushed = false;
	int r;

	while (n->active) {
		r = vq_pop(vq, &n->txe);
		if (r < 0) {
			vnet_fail(n, "malformed transmit queue");
			break;
		}
		if (r == 0) {
			if (vq_enable_notify(vq))
				continue;
			break;
		}
		vq_disable_notify(vq);
		tx_chain(n, &n->txe);
		vq_push(vq, &n->txe, 0);
		pushed = true;
	}
	if (pushed && n->be->ops->flush)
		n->be->ops->flush(n->be);
	if (pushed)
		virtio_dev_interrupt(n->vdev, VNET_TXQ);
}

/*
 * Publish the cnt used entries of one received frame at once, so the
 * driver never sees the first buffer of a merged frame without the rest.
 */
static void rx_publish(struct virtqueue *vq, const uint16_t *heads,
		       const uint32_t *lens, unsigned int cnt)
{
	unsigned int i;

	if (!__atomic_load_n(&vq->ready, __ATOMIC_ACQUIRE) || !vq->used)
		return;
	for (i = 0; i < cnt; i++) {
		struct virtq_used_elem *u =
			&vq->used->ring[(uint16_t)(vq->used_idx + i) &
					(vq->size - 1)];

		__atomic_store_n(&u->id, heads[i], __ATOMIC_RELAXED);
		__atomic_store_n(&u->len, lens[i], __ATOMIC_RELAXED);
	}
	vq->used_idx += cnt;
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

/*
 * Copy one frame (header h, then len bytes) into receive buffers. Returns
 * 0 when delivered or dropped, -EAGAIN when the guest has too few buffers
 * now (nothing is consumed then). Lock held.
 */
static int rx_frame(struct vnet *n, struct virtio_net_hdr_v1 *h,
		    const uint8_t *frame, size_t len)
{
	struct virtqueue *vq = &n->vdev->vqs[VNET_RXQ];
	bool mrg = virtio_dev_has(n->vdev, VIRTIO_NET_F_MRG_RXBUF);
	size_t total = VNET_HDR_LEN + len, off = 0;
	unsigned int cnt = 0;
	int r;

	while (off < total) {
		size_t room, put;

		if (cnt == vq->size)
			goto drop; /* the whole ring cannot hold it */
		r = vq_pop(vq, &n->rxe);
		if (r < 0) {
			vnet_fail(n, "malformed receive queue");
			return 0;
		}
		if (r == 0) {
			if (vq_enable_notify(vq))
				continue;
			vq->last_avail -= cnt; /* give the chains back */
			return -EAGAIN;
		}
		room = n->rxe.in_len;
		if (n->rxe.n_out || (cnt == 0 && room < VNET_HDR_LEN)) {
			vnet_fail(
				n,
				"receive buffer not writable or shorter than the header");
			return 0;
		}
		if (cnt == 0) {
			memcpy(n->first, n->rxe.in,
			       n->rxe.n_in * sizeof(n->first[0]));
			n->nfirst = n->rxe.n_in;
			iov_from_buf(n->first, n->nfirst, 0, h, VNET_HDR_LEN);
			off = VNET_HDR_LEN;
			room -= VNET_HDR_LEN;
			put = MIN(room, total - off);
			iov_from_buf(n->rxe.in, n->rxe.n_in, VNET_HDR_LEN,
				     frame, put);
			n->lens[cnt] = VNET_HDR_LEN + put;
		} else {
			put = MIN(room, total - off);
			iov_from_buf(n->rxe.in, n->rxe.n_in, 0,
				     frame + off - VNET_HDR_LEN, put);
			n->lens[cnt] = put;
		}
		off += put;
		n->heads[cnt++] = n->rxe.head;
		if (!mrg && off < total) {
			vq->last_avail -= cnt; /* too small: keep it, drop */
			goto drop_counted;
		}
	}
	h->num_buffers = cnt;
	iov_from_buf(n->first, n->nfirst,
		     offsetof(struct virtio_net_hdr_v1, num_buffers),
		     &h->num_buffers, sizeof(h->num_buffers));
	rx_publish(vq, n->heads, n->lens, cnt);
	n->st.rx_frames++;
	virtio_dev_interrupt(n->vdev, VNET_RXQ);
	return 0;
drop:
	vq->last_avail -= cnt;
drop_counted:
	n->st.rx_dropped++;
	return 0;
}

/* The backend's receive callback (net_receive_fn). */
static int vnet_receive(void *opaque, const void *buf, size_t len)
{
	struct vnet *n = opaque;
	struct virtio_net_hdr_v1 h = { 0 };
	const uint8_t *frame = buf;
	int r = 0;

	pthread_mutex_lock(&n->lock);
	if (!n->active)
		goto drop;
	if (n->be->vnet_hdr) {
		if (len < VNET_HDR_LEN)
			goto drop;
		memcpy(&h, buf, VNET_HDR_LEN);
		frame += VNET_HDR_LEN;
		len -= VNET_HDR_LEN;
	}
	if (len < VNET_ETH_HLEN || len > VNET_MAX_FRAME)
		goto drop;
	h.num_buffers = 0;
	r = rx_frame(n, &h, frame, len);
	if (r == -EAGAIN)
		n->rx_waiting = true;
	pthread_mutex_unlock(&n->lock);
	return r;
drop:
	n->st.rx_dropped++;
	pthread_mutex_unlock(&n->lock);
	return 0;
}

static void vnet_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct vnet *n = to_vnet(d);
	bool resume = false;

	pthread_mutex_lock(&n->lock);
	if (q == VNET_TXQ && !n->vhost_running)
		tx_process(n);
	if (q == VNET_RXQ && n->rx_waiting) {
		n->rx_waiting = false;
		resume = true;
	}
	pthread_mutex_unlock(&n->lock);
	/* unlocked: the backend calls vnet_receive from here */
	if (resume)
		n->be->ops->rx_resume(n->be);
}

static void vnet_config_read(struct virtio_dev *d, size_t off, void *buf,
			     size_t len)
{
	struct vnet *n = to_vnet(d);

	memset(buf, 0, len);
	if (off < sizeof(n->cfg))
		memcpy(buf, (uint8_t *)&n->cfg + off,
		       MIN(len, sizeof(n->cfg) - off));
}

static void vnet_config_write(struct virtio_dev *d, size_t off, const void *buf,
			      size_t len)
{
	/* read-only in virtio 1.x (the MAC is writable only in legacy) */
}

/*
 * Hand both queues to vhost-net. Runs without n->lock: it stops the tap's
 * and the transport's evloop watches, and an evloop callback may be
 * waiting for n->lock meanwhile. Returns 0 or -errno.
 */
static int vhost_on(struct vnet *n)
{
	int kick[VNET_NUM_QUEUES], call[VNET_NUM_QUEUES];
	struct virtio_dev *d = n->vdev;
	unsigned int q;
	int r;

	if (!d->get_queue_eventfds || !d->set_queue_kick_owner)
		return -ENOTSUP;
	for (q = 0; q < VNET_NUM_QUEUES; q++) {
		r = d->get_queue_eventfds(d, q, &kick[q], &call[q]);
		if (r)
			return r;
	}
	n->be->ops->stop(n->be);
	for (q = 0; q < VNET_NUM_QUEUES; q++)
		d->set_queue_kick_owner(d, q, false);
	r = vhost_net_start(n->vhost, d->mem, n->vdev->vqs, VNET_NUM_QUEUES,
			    kick, call, d->features, n->be->fd);
	if (r) {
		for (q = 0; q < VNET_NUM_QUEUES; q++)
			d->set_queue_kick_owner(d, q, true);
		n->be->ops->start(n->be);
	}
	return r;
}

/* Take the queues back from vhost-net (without n->lock, see vhost_on). */
static void vhost_off(struct vnet *n)
{
	unsigned int q;

	vhost_net_stop(n->vhost, n->vdev->vqs, VNET_NUM_QUEUES);
	for (q = 0; q < VNET_NUM_QUEUES; q++)
		n->vdev->set_queue_kick_owner(n->vdev, q, true);
	n->be->ops->start(n->be);
}

/* Saving: vhost's ring positions live in the host kernel. */
static const char *vnet_migrate_blocker(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);
	bool vhost;

	pthread_mutex_lock(&n->lock);
	vhost = n->vhost_running;
	pthread_mutex_unlock(&n->lock);
	if (!vhost)
		return NULL;
	return "its queues run in the host kernel (vhost-net); start the VM with vhost=off to save it";
}

static int vnet_activate(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);
	bool vhost = false;
	int r;

	if (!virtio_dev_has(d, VIRTIO_F_VERSION_1))
		return -EINVAL;
	r = n->be->ops->set_offloads(n->be, d->features);
	if (r)
		return r;
	if (n->vhost) {
		r = vhost_on(n);
		if (r)
			wirt_warn(
				"virtio-net: vhost-net did not start (%s); frames go through wirt-vmm",
				strerror(-r));
		vhost = !r;
	}
	pthread_mutex_lock(&n->lock);
	n->vhost_running = vhost;
	n->active = true;
	/*
	 * Frames may wait in the backend since before the reset: the
	 * transport kicks every enabled queue after DRIVER_OK, and that
	 * receive-queue kick resumes the backend in the loop thread.
	 */
	n->rx_waiting = !vhost;
	pthread_mutex_unlock(&n->lock);
	return 0;
}

static void vnet_reset(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);
	bool vhost;

	pthread_mutex_lock(&n->lock);
	n->active = false;
	n->rx_waiting = false;
	vhost = n->vhost_running;
	n->vhost_running = false;
	pthread_mutex_unlock(&n->lock);
	if (vhost)
		vhost_off(n);
}

/* vm_destroy: the transport stopped the evloop; free everything. */
static void vnet_destroy(struct virtio_dev *d)
{
	vnet_free(d->priv);
}

struct vnet *vnet_new(struct net_backend *be, const uint8_t mac[6])
{
	struct vnet *n = calloc(1, sizeof(*n));
	pthread_mutexattr_t attr;

	if (!n)
		return NULL;
	n->be = be;
	be->receive = vnet_receive;
	be->opaque = n;
	memcpy(n->cfg.mac, mac, 6);
	n->cfg.status = VIRTIO_NET_S_LINK_UP;
	n->cfg.max_virtqueue_pairs = 1;
	/* recursive: a backend may answer a sent frame at once (slirp) */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&n->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	n->ops = (struct virtio_dev_ops){
		.name = "virtio-net",
		.device_id = VIRTIO_ID_NET,
		.pci_class = 0x0200, /* network, Ethernet */
		.num_queues = VNET_NUM_QUEUES,
		.queue_max_size = VNET_QUEUE_SIZE,
		.features = F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) |
			    F(VIRTIO_NET_F_MRG_RXBUF) | be->features,
		.config_size = sizeof(n->cfg),
		.config_read = vnet_config_read,
		.config_write = vnet_config_write,
		.activate = vnet_activate,
		.migrate_blocker = vnet_migrate_blocker,
		.reset = vnet_reset,
		.queue_notify = vnet_queue_notify,
		.destroy = vnet_destroy,
	};
	return n;
}

const struct virtio_dev_ops *vnet_ops(struct vnet *n)
{
	return &n->ops;
}

void vnet_attach(struct vnet *n, struct virtio_dev *d)
{
	n->vdev = d;
	n->be->loop = d->loop;
}

int vnet_set_vhost(struct vnet *n, struct vhost_net *v)
{
	n->vhost = v;
	n->ops.features &= vhost_net_features(v) | F(VIRTIO_NET_F_MAC) |
			   F(VIRTIO_NET_F_STATUS) | n->be->features;
	return 0;
}

struct net_backend *vnet_backend(struct vnet *n)
{
	return n->be;
}

void vnet_get_stats(const struct vnet *n, struct vnet_stats *s)
{
	pthread_mutex_lock((pthread_mutex_t *)&n->lock);
	*s = n->st;
	pthread_mutex_unlock((pthread_mutex_t *)&n->lock);
}

void vnet_free(struct vnet *n)
{
	if (!n)
		return;
	if (n->vhost_running)
		vhost_net_stop(n->vhost, n->vdev->vqs, VNET_NUM_QUEUES);
	if (n->be && n->vdev)
		n->be->ops->stop(n->be);
	if (n->be)
		n->be->ops->free(n->be);
	vhost_net_close(n->vhost);
	pthread_mutex_destroy(&n->lock);
	free(n);
}
