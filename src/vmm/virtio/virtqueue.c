// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Split virtqueues (virtio 1.2, 2.7), done once for every device: chains,
 * indirect tables, EVENT_IDX. The driver is hostile: every index, address,
 * length and chain is checked, each shared field is read exactly once into
 * a local before it is checked and used, and a bad ring gives -EINVAL.
 *
 * Memory ordering: the driver runs on other CPUs. The available index is
 * read with acquire semantics before the ring entries it covers; the used
 * index is published with release semantics after its entries; a full fence
 * separates publishing from reading the driver's notification wishes.
 */
#include <errno.h>
#include <string.h>

#include "vmm/virtio/ring.h"
#include "vmm/virtio/virtio.h"

static uint16_t load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static uint16_t load16_acquire(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* The used_event field at the end of the available ring. */
static uint16_t *used_event(const struct virtqueue *vq)
{
	return &vq->avail->ring[vq->size];
}

/* The avail_event field at the end of the used ring. */
static uint16_t *avail_event(const struct virtqueue *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

int vq_start(struct virtqueue *vq)
{
	uint16_t n = vq->size;

	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	if (!vq->mem || n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return -EINVAL;
	if (vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4)
		return -EINVAL;
	vq->desc = gmem_ptr(vq->mem, vq->desc_gpa, VIRTQ_DESC_BYTES(n));
	vq->avail = gmem_ptr(vq->mem, vq->avail_gpa, VIRTQ_AVAIL_BYTES(n));
	vq->used = gmem_ptr(vq->mem, vq->used_gpa, VIRTQ_USED_BYTES(n));
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return -EINVAL;
	}
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_used_valid = false;
	return 0;
}

/* Whether the queue may be used: enabled, started, not failed. */
static bool vq_live(const struct virtqueue *vq)
{
	return __atomic_load_n(&vq->ready, __ATOMIC_ACQUIRE) && vq->desc;
}

/*
 * add_seg - append one checked buffer to e. Returns 0 or -EINVAL when the
 * buffer is not in guest RAM, a readable one follows a writable one, or
 * the chain has too many segments or bytes.
 */
static int add_seg(const struct virtqueue *vq, struct vq_elem *e,
		   const struct virtq_desc *d)
{
	void *p;

	if (d->len == 0)
		return 0;
	p = gmem_ptr(vq->mem, d->addr, d->len);
	if (!p)
		return -EINVAL;
	if (e->out_len + e->in_len + d->len > VQ_MAX_CHAIN_BYTES)
		return -EINVAL;
	if (d->flags & VIRTQ_DESC_F_WRITE) {
		if (e->n_in == VQ_MAX_SEGS)
			return -EINVAL;
		e->in[e->n_in++] = (struct iovec){ p, d->len };
		e->in_len += d->len;
	} else {
		if (e->n_in || e->n_out == VQ_MAX_SEGS)
			return -EINVAL;
		e->out[e->n_out++] = (struct iovec){ p, d->len };
		e->out_len += d->len;
	}
	return 0;
}

/* Read descriptor i of table t once, into a private copy. */
static void read_desc(const struct virtq_desc *t, unsigned int i,
		      struct virtq_desc *d)
{
	memcpy(d, (const void *)&t[i], sizeof(*d));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/*
 * walk_chain - collect the chain starting at head into e. Returns 0 or
 * -EINVAL for any malformed descriptor (see vq_pop).
 */
static int walk_chain(const struct virtqueue *vq, uint16_t head,
		      struct vq_elem *e)
{
	const struct virtq_desc *t = vq->desc;
	unsigned int tsize = vq->size, i = head, count = 0;
	bool in_indirect = false;
	struct virtq_desc d;
	int r;

	for (;;) {
		if (i >= tsize || ++count > tsize)
			return -EINVAL;
		read_desc(t, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!vq->indirect || in_indirect ||
			    (d.flags & VIRTQ_DESC_F_NEXT) || d.len == 0 ||
			    d.len % sizeof(d) ||
			    d.len / sizeof(d) > VIRTQ_MAX_SIZE)
				return -EINVAL;
			t = gmem_ptr(vq->mem, d.addr, d.len);
			if (!t)
				return -EINVAL;
			tsize = d.len / sizeof(d);
			in_indirect = true;
			i = 0;
			count = 0;
			continue;
		}
		r = add_seg(vq, e, &d);
		if (r)
			return r;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int vq_pop(struct virtqueue *vq, struct vq_elem *e)
{
	uint16_t avail_idx, pending, head;
	int r;

	if (!vq_live(vq))
		return 0;
	avail_idx = load16_acquire(&vq->avail->idx);
	pending = avail_idx - vq->last_avail;
	if (!pending)
		return 0;
	if (pending > vq->size)
		return -EINVAL;
	head = load16(&vq->avail->ring[vq->last_avail & (vq->size - 1)]);
	e->head = head;
	e->n_out = e->n_in = 0;
	e->out_len = e->in_len = 0;
	r = walk_chain(vq, head, e);
	if (r)
		return r;
	vq->last_avail++;
	return 1;
}

void vq_push(struct virtqueue *vq, const struct vq_elem *e, uint32_t len)
{
	struct virtq_used_elem *u;

	if (!vq_live(vq))
		return;
	if (len > e->in_len)
		len = e->in_len;
	u = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	__atomic_store_n(&u->id, e->head, __ATOMIC_RELAXED);
	__atomic_store_n(&u->len, len, __ATOMIC_RELAXED);
	vq->used_idx++;
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t old = vq->signalled_used, new = vq->used_idx, ev;
	bool valid = vq->signalled_used_valid;

	if (!vq_live(vq))
		return false;
	/* the used index must be visible before we read the driver's wish */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = new;
	vq->signalled_used_valid = true;
	if (valid && old == new)
		return false;
	if (!vq->event_idx)
		return !(load16(&vq->avail->flags) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	ev = load16(used_event(vq));
	/* virtio 1.2, 2.7.10: interrupt when used_event is in (old, new] */
	return (uint16_t)(new - ev - 1) < (uint16_t)(new - old);
}

void vq_disable_notify(struct virtqueue *vq)
{
	if (!vq_live(vq) || vq->event_idx)
		return;
	store16(&vq->used->flags, VIRTQ_USED_F_NO_NOTIFY);
}

bool vq_enable_notify(struct virtqueue *vq)
{
	if (!vq_live(vq))
		return false;
	if (vq->event_idx)
		store16(avail_event(vq), vq->last_avail);
	else
		store16(&vq->used->flags, 0);
	/* publish the wish before looking for buffers that raced with it */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16_acquire(&vq->avail->idx) != vq->last_avail;
}

/*
 * iov_copy - copy len bytes between the iovec, starting off bytes into it,
 * and buf: into buf when to_buf, out of buf otherwise. Returns the bytes
 * copied (short when the iovec ends first).
 */
static size_t iov_copy(const struct iovec *iov, unsigned int n, size_t off,
		       uint8_t *buf, size_t len, bool to_buf)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		uint8_t *seg;
		size_t c;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		seg = (uint8_t *)iov[i].iov_base + off;
		c = iov[i].iov_len - off;
		if (c > len - done)
			c = len - done;
		if (to_buf)
			memcpy(buf + done, seg, c);
		else
			memcpy(seg, buf + done, c);
		done += c;
		off = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t off,
		  void *buf, size_t len)
{
	return iov_copy(iov, n, off, buf, len, true);
}

size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t off,
		    const void *buf, size_t len)
{
	return iov_copy(iov, n, off, (uint8_t *)buf, len, false);
}
