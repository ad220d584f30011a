// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-blk: request parsing and checking, asynchronous submission to the
 * disk engine, completion, interrupts coalesced per batch. While requests
 * are in flight the queues are served at each completion with kicks off;
 * an idle device polls its queues for an adaptive window before sleeping.
 *
 * Threads: queue_notify and the disk's completions run in the device's
 * evloop thread; config access, activate and reset on vCPU threads. The
 * device lock serialises them; reset waits (on a condition variable) until
 * every in-flight request has completed, so no I/O touches guest memory
 * after the driver sees the reset finished.
 */
#include "vmm/virtio/blk.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/disk/disk.h"
#include "vmm/disk/stats.h"

struct vblk_req {
	struct vblk *dev;
	unsigned int q;
	unsigned int pending; /* disk I/Os not yet done */
	uint8_t status;
	uint32_t written; /* bytes written into the in buffers */
	uint64_t t0; /* blk_stats_now() at the start, 0: refused by parse */
	void *bounce; /* host copy of block 0 of a guarded write, or NULL */
	struct iovec bounce_iov;
	struct vblk_parsed p;
	struct disk_io io[VBLK_MAX_RANGES];
	struct vblk_req *next_free;
	struct vq_elem elem;
};

struct vblk {
	struct virtio_dev *vdev; /* the transport's, once attached */
	struct virtio_dev_ops ops;
	struct disk *disk;
	unsigned int nqueues;
	uint8_t config[VBLK_CONFIG_SIZE];
	struct vblk_limits lim;

	pthread_mutex_t lock;
	pthread_cond_t idle; /* signalled when inflight drops to 0 */
	atomic_uint inflight;
	bool failed; /* virtio_dev_fail called: stop until reset */
	bool resetting; /* reset waiting: answer nothing */
	bool *irq; /* per queue: pushed since the last interrupt */
	struct disk_io qflush; /* the flush of a save (vblk_quiesce) */
	int qflush_ret; /* its result; 1 while it runs */
	struct vblk_req *free_reqs;
	unsigned int nfree;
	bool quiesced; /* vblk_quiesce ran: start nothing until a kick */
	bool kicks_off; /* serve slept with kicks off (requests in flight) */
	uint64_t poll_ns; /* current polling window (serve) */
	uint64_t poll_max_ns; /* its limit; 0: never poll */
	uint64_t slept_at; /* blk_stats_now() when serve last slept, or 0 */
	uint64_t nreqs, npolled; /* requests; polls that found work */
};

/* Config space offsets (virtio 1.2, 5.2.4) */
#define CFG_CAPACITY 0
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CFG_PHYS_EXP 24
#define CFG_MIN_IO 26
#define CFG_OPT_IO 28
#define CFG_NUM_QUEUES 34
#define CFG_MAX_DISCARD_SECTORS 36
#define CFG_MAX_DISCARD_SEG 40
#define CFG_DISCARD_ALIGN 44
#define CFG_MAX_WZ_SECTORS 48
#define CFG_MAX_WZ_SEG 52
#define CFG_WZ_MAY_UNMAP 56

#define FREE_REQS_KEEP 64

/* adaptive polling (serve): the window's start, limit and default limit */
#define VBLK_POLL_START_NS 4000u
#define VBLK_POLL_MAX_NS 32000u
#define VBLK_POLL_LIMIT_US 100000u

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* ---- request parsing (pure) ---- */

/*
 * Find the status byte (the last byte of the device-writable part) and cut
 * it off the in iovecs. Returns the host pointer, or NULL when none.
 */
static uint8_t *take_status(struct vq_elem *e, unsigned int *n_in)
{
	unsigned int n = e->n_in;
	struct iovec *v;

	while (n && e->in[n - 1].iov_len == 0)
		n--;
	if (!n)
		return NULL;
	v = &e->in[n - 1];
	v->iov_len--;
	if (!v->iov_len)
		n--;
	*n_in = n;
	return (uint8_t *)v->iov_base + v->iov_len;
}

/* Skip len bytes at the front of iov[0..*n); returns the new start. */
static struct iovec *iov_skip(struct iovec *iov, unsigned int *n, size_t len)
{
	while (*n && len) {
		size_t c = MIN(len, iov->iov_len);

		iov->iov_base = (uint8_t *)iov->iov_base + c;
		iov->iov_len -= c;
		len -= c;
		if (!iov->iov_len) {
			iov++;
			(*n)--;
		}
	}
	return iov;
}

/* Whether [sector, sector + n) lies within the disk, without overflow. */
static bool in_range(const struct vblk_limits *lim, uint64_t sector, uint64_t n)
{
	return sector <= lim->capacity && n <= lim->capacity - sector;
}

/* Read and check the segments of a discard or write-zeroes request. */
static int parse_ranges(const struct vblk_limits *lim, struct vblk_parsed *p,
			bool discard)
{
	uint32_t max = discard ? VBLK_MAX_DISCARD_SECTORS : VBLK_MAX_WZ_SECTORS;
	unsigned int i;

	if (discard ? !lim->discard : !lim->write_zeroes)
		return VIRTIO_BLK_S_UNSUPP;
	if (lim->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (p->data_len == 0 || p->data_len % VBLK_SEG_LEN ||
	    p->data_len / VBLK_SEG_LEN > VBLK_MAX_RANGES)
		return VIRTIO_BLK_S_IOERR;
	p->nranges = p->data_len / VBLK_SEG_LEN;
	for (i = 0; i < p->nranges; i++) {
		uint8_t raw[VBLK_SEG_LEN];
		uint64_t sector;
		uint32_t num, flags;

		iov_to_buf(p->data, p->ndata, i * VBLK_SEG_LEN, raw,
			   sizeof(raw));
		memcpy(&sector, raw, 8);
		memcpy(&num, raw + 8, 4);
		memcpy(&flags, raw + 12, 4);
		sector = le64toh(sector);
		num = le32toh(num);
		flags = le32toh(flags);
		if (flags & ~VIRTIO_BLK_WZ_UNMAP)
			return VIRTIO_BLK_S_UNSUPP;
		if (discard && (flags & VIRTIO_BLK_WZ_UNMAP))
			return VIRTIO_BLK_S_UNSUPP;
		if (num > max || !in_range(lim, sector, num))
			return VIRTIO_BLK_S_IOERR;
		p->range[i].sector = sector;
		p->range[i].num_sectors = num;
		p->range[i].unmap = flags & VIRTIO_BLK_WZ_UNMAP;
	}
	return VIRTIO_BLK_S_OK;
}

/* Check a read or write: whole sectors, inside the disk. */
static int check_rw(const struct vblk_limits *lim, const struct vblk_parsed *p)
{
	if (p->data_len % VBLK_SECTOR)
		return VIRTIO_BLK_S_IOERR;
	if (!in_range(lim, p->sector, p->data_len / VBLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

int vblk_parse(const struct vblk_limits *lim, struct vq_elem *e,
	       struct vblk_parsed *p)
{
	uint8_t hdr[VBLK_HDR_LEN];
	unsigned int n_in = 0, n_out = e->n_out;
	size_t in_len;

	memset(p, 0, offsetof(struct vblk_parsed, range));
	if (e->in_len == 0 || !(p->status = take_status(e, &n_in)))
		return -EINVAL;
	in_len = e->in_len - 1;
	if (e->out_len < VBLK_HDR_LEN)
		return VIRTIO_BLK_S_IOERR;
	iov_to_buf(e->out, e->n_out, 0, hdr, sizeof(hdr));
	memcpy(&p->type, hdr, 4);
	memcpy(&p->sector, hdr + 8, 8);
	p->type = le32toh(p->type);
	p->sector = le64toh(p->sector);

	switch (p->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_GET_ID:
		if (e->out_len != VBLK_HDR_LEN)
			return VIRTIO_BLK_S_IOERR;
		p->data = e->in;
		p->ndata = n_in;
		p->data_len = in_len;
		if (p->type == VIRTIO_BLK_T_GET_ID)
			return VIRTIO_BLK_S_OK;
		return check_rw(lim, p);
	case VIRTIO_BLK_T_OUT:
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (in_len != 0)
			return VIRTIO_BLK_S_IOERR;
		p->data = iov_skip(e->out, &n_out, VBLK_HDR_LEN);
		p->ndata = n_out;
		p->data_len = e->out_len - VBLK_HDR_LEN;
		if (p->type == VIRTIO_BLK_T_OUT)
			return lim->readonly ? VIRTIO_BLK_S_IOERR :
					       check_rw(lim, p);
		return parse_ranges(lim, p, p->type == VIRTIO_BLK_T_DISCARD);
	case VIRTIO_BLK_T_FLUSH:
		return VIRTIO_BLK_S_OK;
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* ---- the device ---- */

static struct vblk *to_vblk(struct virtio_dev *d)
{
	return d->priv;
}

static struct vblk_req *req_get(struct vblk *b)
{
	struct vblk_req *r = b->free_reqs;

	if (r) {
		b->free_reqs = r->next_free;
		b->nfree--;
		return r;
	}
	r = malloc(sizeof(*r));
	if (r)
		r->dev = b;
	return r;
}

static void req_put(struct vblk *b, struct vblk_req *r)
{
	if (b->nfree >= FREE_REQS_KEEP) {
		free(r);
		return;
	}
	r->next_free = b->free_reqs;
	b->free_reqs = r;
	b->nfree++;
}

/* Answer r: status byte, used ring, interrupt owed. Lock held. */
static void req_finish(struct vblk *b, struct vblk_req *r)
{
	vblk_account(&b->disk->stats, &r->p, r->status, r->t0);
	free(r->bounce);
	r->bounce = NULL;
	if (!b->resetting && !b->failed) {
		*r->p.status = r->status;
		vq_push(&b->vdev->vqs[r->q], &r->elem, r->written + 1);
		b->irq[r->q] = true;
	}
	req_put(b, r);
	if (atomic_fetch_sub(&b->inflight, 1) == 1)
		pthread_cond_broadcast(&b->idle);
}

/* Send the interrupts owed; the transport asks vq_should_notify. */
static void send_irqs(struct vblk *b)
{
	unsigned int q;

	for (q = 0; q < b->nqueues; q++)
		if (b->irq[q]) {
			b->irq[q] = false;
			if (!b->resetting && !b->failed)
				virtio_dev_interrupt(b->vdev, q);
		}
}

/* A disk I/O of request r ended (evloop thread, lock held). */
static void io_done(struct disk_io *io, int ret)
{
	struct vblk_req *r = io->opaque;

	if (ret < 0)
		r->status = VIRTIO_BLK_S_IOERR;
	else if (r->p.type == VIRTIO_BLK_T_IN)
		r->written = r->p.data_len;
	if (--r->pending == 0)
		req_finish(r->dev, r);
}

/* Queue one disk I/O for r over its data buffers; returns it. */
static struct disk_io *add_io(struct vblk *b, struct vblk_req *r,
			      enum disk_op op, uint64_t off, uint64_t len,
			      unsigned int flags)
{
	struct disk_io *io = &r->io[r->pending++];

	io->op = op;
	io->flags = flags;
	io->off = off;
	io->len = len;
	io->iov = r->p.data;
	io->niov = r->p.ndata;
	io->done = io_done;
	io->opaque = r;
	return io;
}

/*
 * Queue the write r. Block 0 of a disk whose format was probed as raw is
 * guarded against a qcow2 header: its first bytes are copied into a host
 * buffer, and that copy is both checked and written, so a vCPU changing
 * guest memory after the check cannot slip the header in. The rest of
 * the data goes out as a second write from guest memory. Returns
 * VIRTIO_BLK_S_OK, or VIRTIO_BLK_S_IOERR (refused, or no memory) with
 * nothing queued.
 */
static int start_write(struct vblk *b, struct vblk_req *r)
{
	struct vblk_parsed *p = &r->p;
	size_t align = MAX(b->disk->align, (unsigned int)VBLK_SECTOR);
	size_t n = MIN(p->data_len, align);
	unsigned int nrest = p->ndata;
	struct iovec *rest;
	struct disk_io *io;

	if (!p->data_len)
		return VIRTIO_BLK_S_OK;
	if (p->sector != 0 || !b->disk->probed_raw) {
		add_io(b, r, DISK_WRITE, p->sector * VBLK_SECTOR, 0, 0);
		return VIRTIO_BLK_S_OK;
	}
	if (posix_memalign(&r->bounce, align, n)) {
		r->bounce = NULL;
		return VIRTIO_BLK_S_IOERR;
	}
	iov_to_buf(p->data, p->ndata, 0, r->bounce, n);
	if (disk_restrict_block0(b->disk, r->bounce, n))
		return VIRTIO_BLK_S_IOERR;
	r->bounce_iov = (struct iovec){ r->bounce, n };
	io = add_io(b, r, DISK_WRITE, 0, 0, 0);
	io->iov = &r->bounce_iov;
	io->niov = 1;
	if (n < p->data_len) {
		rest = iov_skip(p->data, &nrest, n);
		io = add_io(b, r, DISK_WRITE, n, 0, 0);
		io->iov = rest;
		io->niov = nrest;
	}
	return VIRTIO_BLK_S_OK;
}

/* Fill the GET_ID answer: the serial, NUL padded, at most 20 bytes. */
static void get_id(struct vblk *b, struct vblk_req *r)
{
	char id[VIRTIO_BLK_ID_BYTES] = { 0 };
	size_t n = MIN(r->p.data_len, (size_t)VIRTIO_BLK_ID_BYTES);

	memcpy(id, b->disk->opts.serial, strlen(b->disk->opts.serial));
	r->written = iov_from_buf(r->p.data, r->p.ndata, 0, id, n);
}

/* Start request r (parsed OK); answers at once when there is no I/O. */
static void req_start(struct vblk *b, struct vblk_req *r)
{
	const struct vblk_parsed *p = &r->p;
	unsigned int i;

	r->pending = 0;
	switch (p->type) {
	case VIRTIO_BLK_T_IN:
		if (p->data_len)
			add_io(b, r, DISK_READ, p->sector * VBLK_SECTOR, 0, 0);
		break;
	case VIRTIO_BLK_T_OUT:
		r->status = start_write(b, r);
		break;
	case VIRTIO_BLK_T_FLUSH:
		add_io(b, r, DISK_FLUSH, 0, 0, 0);
		break;
	case VIRTIO_BLK_T_GET_ID:
		get_id(b, r);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		for (i = 0; i < p->nranges; i++)
			add_io(b, r,
			       p->type == VIRTIO_BLK_T_DISCARD ?
				       DISK_DISCARD :
				       DISK_WRITE_ZEROES,
			       p->range[i].sector * VBLK_SECTOR,
			       (uint64_t)p->range[i].num_sectors * VBLK_SECTOR,
			       p->range[i].unmap ? DISK_F_UNMAP : 0);
		break;
	}
	if (!r->pending) {
		req_finish(b, r);
		return;
	}
	/* submit after counting them all: a done() may not finish r early */
	for (i = 0; i < r->pending; i++)
		disk_submit(b->disk, &r->io[i]);
}

/* Take one popped chain: parse it and start or answer it. */
static int handle(struct vblk *b, struct vblk_req *r)
{
	int st = vblk_parse(&b->lim, &r->elem, &r->p);

	if (st < 0)
		return st;
	atomic_fetch_add(&b->inflight, 1);
	b->nreqs++;
	r->bounce = NULL;
	r->status = st;
	r->written = 0;
	r->t0 = st == VIRTIO_BLK_S_OK ? blk_stats_now() : 0;
	if (st != VIRTIO_BLK_S_OK)
		req_finish(b, r);
	else
		req_start(b, r);
	return 0;
}

/*
 * Pop and start everything queue q has (kicks stay off). Lock held.
 * Returns how many chains were taken, or -EINVAL when the ring was
 * malformed (the device is failed then).
 */
static int drain_queue(struct vblk *b, unsigned int q)
{
	struct virtqueue *vq = &b->vdev->vqs[q];
	struct vblk_req *r;
	int ret, n = 0;

	for (;;) {
		r = req_get(b);
		if (!r)
			return n; /* out of memory: the next kick retries */
		r->q = q;
		ret = vq_pop(vq, &r->elem);
		if (ret == 1) {
			ret = handle(b, r);
			if (ret == 0) {
				n++;
				continue;
			}
		}
		req_put(b, r);
		if (ret < 0) {
			b->failed = true;
			virtio_dev_fail(
				b->vdev,
				"malformed descriptor ring or request without a status byte");
			return -EINVAL;
		}
		return n;
	}
}

/*
 * Before sleeping: ask the driver of every queue to kick again. Returns
 * true when buffers raced with that (serve again instead of sleeping).
 */
static bool enable_kicks(struct vblk *b)
{
	bool raced = false;
	unsigned int q;

	for (q = 0; q < b->nqueues; q++)
		if (vq_enable_notify(&b->vdev->vqs[q]))
			raced = true;
	if (raced)
		for (q = 0; q < b->nqueues; q++)
			vq_disable_notify(&b->vdev->vqs[q]);
	return raced;
}

/*
 * One pass over the device: start every request the queues hold and
 * submit them. Completions are left to on_disk_event, which reaps all
 * that arrived by the time it runs and interrupts once for them: reaping
 * them here too, pass after pass, split them into more interrupts (three
 * times as many per request with fio at queue depth 32 in bench/blk).
 * Returns whether there was anything to do, or -EINVAL when the device
 * failed.
 */
static int serve_once(struct vblk *b)
{
	unsigned int q;
	int n = 0, work = 0;

	for (q = 0; q < b->nqueues; q++) {
		n = drain_queue(b, q);
		if (n < 0)
			break;
		work |= n > 0;
	}
	/* even on failure: what the other queues started must go out */
	disk_kick(b->disk);
	send_irqs(b); /* for requests answered without I/O */
	return n < 0 ? n : work;
}

/*
 * Adapt the polling window at a wake-up (kick or completion) at now: a
 * window a little longer than the time slept would have caught it, so
 * grow (double) while that time is below the limit; shrink (halve, to
 * zero) when it is not.
 */
static void vblk_poll_adapt(struct vblk *b, uint64_t now)
{
	uint64_t slept = now - b->slept_at;

	if (!b->slept_at || !b->poll_max_ns)
		return;
	if (slept < b->poll_max_ns)
		b->poll_ns =
			MIN(b->poll_max_ns,
			    MAX(b->poll_ns * 2, (uint64_t)VBLK_POLL_START_NS));
	else if ((b->poll_ns /= 2) < VBLK_POLL_START_NS)
		b->poll_ns = 0;
}

/*
 * Whether serve may sleep with kicks still off: while requests are in
 * flight, their completions wake us (on_disk_event) and serve again, so
 * the driver need not exit to tell us about new requests. Not while a
 * save quiesces (vblk_quiesce turns them back on), nor when the
 * transport cannot lend us a queue's kick eventfd for that. Lock held.
 */
static bool keep_kicks_off(struct vblk *b)
{
	unsigned int q;
	int kick, call;

	if (b->quiesced || !b->vdev->get_queue_eventfds ||
	    !disk_inflight(b->disk))
		return false;
	for (q = 0; q < b->nqueues; q++)
		if (b->vdev->get_queue_eventfds(b->vdev, q, &kick, &call))
			return false;
	b->kicks_off = true;
	b->slept_at = 0; /* no sleep to learn a polling window from */
	return true;
}

/*
 * A save quiesces with kicks off and nothing in flight: turn them on, and
 * kick each queue that got requests meanwhile through its own eventfd,
 * which the transport reads again when the VM resumes. Lock held.
 */
static void restore_kicks(struct vblk *b)
{
	uint64_t one = 1;
	unsigned int q;
	int kick, call;

	if (!b->kicks_off)
		return;
	b->kicks_off = false;
	if (!enable_kicks(b))
		return;
	for (q = 0; q < b->nqueues; q++) {
		vq_enable_notify(&b->vdev->vqs[q]);
		if (b->vdev->get_queue_eventfds(b->vdev, q, &kick, &call) == 0)
			(void)!write(kick, &one, sizeof(one));
	}
}

/*
 * Serve the queues until they stay empty for the polling window: kicks
 * stay off meanwhile, so a driver that answers an interrupt with new
 * requests within the window needs no VM exit to tell us. The window
 * adapts (vblk_poll_adapt): it grows while the driver keeps coming back
 * just after we slept, and shrinks while polling finds nothing. Lock held.
 */
static void serve(struct vblk *b)
{
	uint64_t idle_since = blk_stats_now(), now;
	bool polling = false;
	unsigned int q;
	int work;

	vblk_poll_adapt(b, idle_since);
	b->kicks_off = false;
	for (q = 0; q < b->nqueues; q++)
		vq_disable_notify(&b->vdev->vqs[q]);
	for (;;) {
		work = serve_once(b);
		if (work < 0)
			return;
		now = blk_stats_now();
		if (work) {
			if (polling)
				b->npolled++;
			polling = false;
			idle_since = now;
			continue;
		}
		if (keep_kicks_off(b))
			return;
		polling = true;
		if (now - idle_since < b->poll_ns) {
			__builtin_ia32_pause();
			continue;
		}
		if (!enable_kicks(b))
			break;
		idle_since = now;
	}
	b->slept_at = now;
}

static void vblk_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct vblk *b = to_vblk(d);

	if (q >= b->nqueues)
		return;
	pthread_mutex_lock(&b->lock);
	b->quiesced = false; /* kicks come again: the VM runs */
	if (!b->failed && !b->resetting)
		serve(b);
	pthread_mutex_unlock(&b->lock);
}

/* The disk's eventfd fired: run completions, interrupt once, then poll. */
static void on_disk_event(void *opaque, int fd, uint32_t events)
{
	struct vblk *b = opaque;

	pthread_mutex_lock(&b->lock);
	disk_complete(b->disk);
	send_irqs(b);
	if (!b->failed && !b->resetting && !b->quiesced)
		serve(b);
	pthread_mutex_unlock(&b->lock);
}

static void vblk_config_read(struct virtio_dev *d, size_t off, void *buf,
			     size_t len)
{
	struct vblk *b = to_vblk(d);

	memset(buf, 0, len);
	if (off < sizeof(b->config))
		memcpy(buf, b->config + off, MIN(len, sizeof(b->config) - off));
}

static void vblk_config_write(struct virtio_dev *d, size_t off, const void *buf,
			      size_t len)
{
	/* nothing is writable: CONFIG_WCE is not offered */
}

static int vblk_activate(struct virtio_dev *d)
{
	struct vblk *b = to_vblk(d);

	pthread_mutex_lock(&b->lock);
	b->lim.discard = virtio_dev_has(d, VIRTIO_BLK_F_DISCARD);
	b->lim.write_zeroes = virtio_dev_has(d, VIRTIO_BLK_F_WRITE_ZEROES);
	b->failed = false;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

static void vblk_reset(struct virtio_dev *d)
{
	struct vblk *b = to_vblk(d);

	pthread_mutex_lock(&b->lock);
	b->resetting = true;
	while (atomic_load(&b->inflight))
		pthread_cond_wait(&b->idle, &b->lock);
	memset(b->irq, 0, b->nqueues * sizeof(*b->irq));
	b->kicks_off = false; /* the driver sets up fresh rings */
	b->resetting = false;
	b->failed = false;
	b->lim.discard = false;
	b->lim.write_zeroes = false;
	pthread_mutex_unlock(&b->lock);
}

/* The save's flush completed (evloop thread, lock held). */
static void qflush_done(struct disk_io *io, int ret)
{
	struct vblk *b = io->opaque;

	b->qflush_ret = ret;
	pthread_cond_broadcast(&b->idle);
}

/*
 * Before a save (kicks stopped, vCPUs parked): wait until every request
 * was answered, then flush the disk so the saved state and the image
 * agree. Returns 0 or the flush's -errno.
 */
static int vblk_quiesce(struct virtio_dev *d)
{
	struct vblk *b = to_vblk(d);
	int r = 0;

	pthread_mutex_lock(&b->lock);
	b->quiesced = true;
	while (atomic_load(&b->inflight))
		pthread_cond_wait(&b->idle, &b->lock);
	restore_kicks(b);
	send_irqs(b);
	if (!b->disk->readonly) {
		b->qflush = (struct disk_io){ .op = DISK_FLUSH,
					      .done = qflush_done,
					      .opaque = b };
		b->qflush_ret = 1;
		disk_submit(b->disk, &b->qflush);
		disk_kick(b->disk);
		while (b->qflush_ret == 1)
			pthread_cond_wait(&b->idle, &b->lock);
		r = b->qflush_ret;
	}
	pthread_mutex_unlock(&b->lock);
	return r;
}

/* Fill the config space from the disk. */
static void build_config(struct vblk *b)
{
	const struct disk *k = b->disk;
	uint32_t lbs = k->logical_block;
	uint64_t cap = k->size / lbs * (lbs / VBLK_SECTOR);
	uint8_t *c = b->config;

	put64(c + CFG_CAPACITY, cap);
	put32(c + CFG_SEG_MAX, VBLK_SEG_MAX);
	put32(c + CFG_BLK_SIZE, lbs);
	c[CFG_PHYS_EXP] = 0;
	put16(c + CFG_MIN_IO, 1);
	put32(c + CFG_OPT_IO, 0);
	put16(c + CFG_NUM_QUEUES, b->nqueues);
	put32(c + CFG_MAX_DISCARD_SECTORS, VBLK_MAX_DISCARD_SECTORS);
	put32(c + CFG_MAX_DISCARD_SEG, VBLK_MAX_RANGES);
	put32(c + CFG_DISCARD_ALIGN, lbs / VBLK_SECTOR);
	put32(c + CFG_MAX_WZ_SECTORS, VBLK_MAX_WZ_SECTORS);
	put32(c + CFG_MAX_WZ_SEG, VBLK_MAX_RANGES);
	c[CFG_WZ_MAY_UNMAP] = 1;
	b->lim.capacity = cap;
	b->lim.readonly = k->readonly;
}

/* The VM is ending the device (its evloop stopped): drain and free. */
static void vblk_destroy(struct virtio_dev *d)
{
	vblk_free(to_vblk(d));
}

/* Fill the ops table: features depend on the disk and the queue count. */
static void build_ops(struct vblk *b)
{
	struct virtio_dev_ops *o = &b->ops;

	o->name = "virtio-blk";
	o->device_id = VIRTIO_ID_BLOCK;
	o->pci_class = 0x0180; /* mass storage, other */
	o->num_queues = b->nqueues;
	o->queue_max_size = VBLK_QUEUE_SIZE;
	o->config_size = VBLK_CONFIG_SIZE;
	o->features = 1ULL << VIRTIO_BLK_F_SEG_MAX |
		      1ULL << VIRTIO_BLK_F_BLK_SIZE |
		      1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_MQ;
	if (b->disk->readonly)
		o->features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		o->features |= 1ULL << VIRTIO_BLK_F_DISCARD |
			       1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	o->config_read = vblk_config_read;
	o->config_write = vblk_config_write;
	o->activate = vblk_activate;
	o->reset = vblk_reset;
	o->queue_notify = vblk_queue_notify;
	o->destroy = vblk_destroy;
	o->quiesce = vblk_quiesce;
}

/*
 * The polling window's limit in ns: VBLK_POLL_MAX_NS, or WIRT_VBLK_POLL_US
 * (microseconds, 0 turns polling off; for measurements) when it holds a
 * number up to VBLK_POLL_LIMIT_US.
 */
static uint64_t poll_limit(void)
{
	const char *s = getenv("WIRT_VBLK_POLL_US");
	unsigned long v;
	char *end;

	if (!s || !*s)
		return VBLK_POLL_MAX_NS;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > VBLK_POLL_LIMIT_US) {
		wirt_warn(
			"WIRT_VBLK_POLL_US=%s: not a number of microseconds up to %u; polling %u us at most",
			s, VBLK_POLL_LIMIT_US, VBLK_POLL_MAX_NS / 1000);
		return VBLK_POLL_MAX_NS;
	}
	return v * 1000;
}

struct vblk *vblk_new(struct disk *disk, unsigned int nqueues)
{
	struct vblk *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	nqueues = MAX(1u, MIN(nqueues, 256u));
	b->irq = calloc(nqueues, sizeof(*b->irq));
	if (!b->irq) {
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->idle, NULL);
	b->disk = disk;
	b->nqueues = nqueues;
	b->poll_max_ns = poll_limit();
	build_config(b);
	build_ops(b);
	return b;
}

const struct virtio_dev_ops *vblk_ops(struct vblk *b)
{
	return &b->ops;
}

int vblk_attach(struct vblk *b, struct virtio_dev *d)
{
	b->vdev = d;
	return evloop_add(d->loop, disk_event_fd(b->disk), EPOLLIN,
			  on_disk_event, b);
}

unsigned int vblk_inflight(struct vblk *b)
{
	return atomic_load(&b->inflight);
}

void vblk_free(struct vblk *b)
{
	struct vblk_req *r;

	if (!b)
		return;
	/* no queue access from here on; disk_close reaps what is left */
	pthread_mutex_lock(&b->lock);
	b->resetting = true;
	pthread_mutex_unlock(&b->lock);
	if (getenv("WIRT_VMM_STATS"))
		wirt_info(
			"virtio-blk: %lu requests; polling found work %lu times",
			(unsigned long)b->nreqs, (unsigned long)b->npolled);
	disk_close(b->disk);
	while ((r = b->free_reqs)) {
		b->free_reqs = r->next_free;
		free(r);
	}
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->idle);
	free(b->irq);
	free(b);
}
