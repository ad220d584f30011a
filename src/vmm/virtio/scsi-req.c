// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-scsi request queues: the request header and LUN checks, the
 * CDB run by the SCSI layer (src/vmm/scsi), its data moved between the
 * chain and the disk asynchronously, the response header written when
 * the request ends. Lock: the device's (scsi-int.h); everything here runs
 * in the device's evloop thread.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "vmm/boot/le.h"
#include "vmm/disk/stats.h"
#include "vmm/virtio/scsi-int.h"

#define FREE_REQS_KEEP 32

int vscsi_parse_req(const struct vq_elem *e, struct vscsi_parsed *p)
{
	uint8_t hdr[VSCSI_REQ_HDR];

	if (e->out_len < VSCSI_REQ_HDR || e->in_len < VSCSI_RESP_HDR)
		return -EINVAL;
	iov_to_buf(e->out, e->n_out, 0, hdr, sizeof(hdr));
	memcpy(p->lun, hdr, 8);
	/* id (8), task attribute, priority, crn: nothing depends on them */
	memcpy(p->cdb, hdr + 19, VSCSI_CDB_SIZE);
	p->dout_len = e->out_len - VSCSI_REQ_HDR;
	p->din_len = e->in_len - VSCSI_RESP_HDR;
	return 0;
}

int vscsi_lun_target(const uint8_t lun[8], unsigned int ntargets, bool *lun0)
{
	unsigned int method = lun[2] >> 6;

	*lun0 = false;
	if (lun[0] != 1 || lun[1] >= ntargets || lun[4] || lun[5] || lun[6] ||
	    lun[7])
		return -1;
	/* peripheral (00b) or flat (01b) addressing only */
	if (method > 1)
		return -1;
	*lun0 = (lun[2] & 0x3f) == 0 && lun[3] == 0;
	return lun[1];
}

/*
 * Copy into dst the part [off, off + len) of the buffers src[0..n).
 * Returns how many iovecs it took (len must lie inside them).
 */
static unsigned int iov_slice(struct iovec *dst, const struct iovec *src,
			      unsigned int n, size_t off, size_t len)
{
	unsigned int i, k = 0;

	for (i = 0; i < n && len; i++) {
		size_t l = src[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		dst[k].iov_base = (uint8_t *)src[i].iov_base + off;
		dst[k].iov_len = MIN(l - off, len);
		len -= dst[k].iov_len;
		off = 0;
		k++;
	}
	return k;
}

/* A request from the cache or malloc; NULL when out of memory. */
static struct vscsi_req *req_get(struct vscsi *s)
{
	struct vscsi_req *r = s->free_reqs;

	if (r) {
		s->free_reqs = r->next_free;
		s->nfree--;
		return r;
	}
	r = malloc(sizeof(*r));
	if (r)
		r->dev = s;
	return r;
}

/* Give r back to the cache (freed past FREE_REQS_KEEP). */
static void req_put(struct vscsi *s, struct vscsi_req *r)
{
	if (s->nfree >= FREE_REQS_KEEP) {
		free(r);
		return;
	}
	r->next_free = s->free_reqs;
	s->free_reqs = r;
	s->nfree++;
}

void vscsi_free_reqs(struct vscsi *s)
{
	struct vscsi_req *r;

	while ((r = s->free_reqs)) {
		s->free_reqs = r->next_free;
		free(r);
	}
	s->nfree = 0;
}

/* The accounting kind of the command of r (reads, writes, flushes). */
static enum blk_acct_op acct_op(const struct vscsi_req *r)
{
	switch (r->cmd.cdb[0]) {
	case SCSI_READ_6:
	case SCSI_READ_10:
	case SCSI_READ_12:
	case SCSI_READ_16:
		return BLK_ACCT_READ;
	case SCSI_WRITE_6:
	case SCSI_WRITE_10:
	case SCSI_WRITE_12:
	case SCSI_WRITE_16:
		return BLK_ACCT_WRITE;
	case SCSI_SYNC_CACHE_10:
	case SCSI_SYNC_CACHE_16:
		return BLK_ACCT_FLUSH;
	default:
		return BLK_ACCT_NONE;
	}
}

/* Count r in its disk's statistics (query-blockstats). */
static void account(struct vscsi_req *r)
{
	enum blk_acct_op op = r->tgt ? acct_op(r) : BLK_ACCT_NONE;
	uint64_t now = blk_stats_now(), bytes, hi;
	enum blk_acct_res res = BLK_ACCT_OK;

	if (op == BLK_ACCT_NONE || r->response != VIRTIO_SCSI_S_OK)
		return;
	bytes = (uint64_t)r->cmd.nblocks * SCSI_BLOCK;
	hi = r->cmd.lba * SCSI_BLOCK + bytes;
	if (!r->t0) {
		/* refused before any I/O, or nothing to do (0 blocks) */
		if (r->cmd.status == SCSI_GOOD)
			return;
		res = BLK_ACCT_INVALID;
		r->t0 = now;
	} else if (r->failed) {
		res = BLK_ACCT_FAILED;
	}
	if (res != BLK_ACCT_OK || op == BLK_ACCT_FLUSH)
		bytes = hi = 0;
	blk_stats_account(&r->tgt->disk->stats, op, bytes, hi, r->t0, now, res);
}

/*
 * The residual of r: the data bytes of its buffer it did not transfer
 * (data-in, or data-out for a write).
 */
static uint32_t residual(const struct vscsi_req *r)
{
	const struct scsi_cmd *c = &r->cmd;
	size_t buf = r->p.din_len ? r->p.din_len : r->p.dout_len, done = 0;

	if (r->response != VIRTIO_SCSI_S_OK)
		done = 0;
	else if (c->action == SCSI_ACT_DONE)
		done = c->data_len;
	else if (!r->failed &&
		 (c->action == SCSI_ACT_READ || c->action == SCSI_ACT_WRITE))
		done = (size_t)c->nblocks * SCSI_BLOCK;
	return buf - done > UINT32_MAX ? UINT32_MAX : buf - done;
}

/* Answer r: response header, used ring, interrupt owed. Lock held. */
static void req_finish(struct vscsi *s, struct vscsi_req *r)
{
	uint8_t h[VSCSI_RESP_HDR] = { 0 };
	size_t written = VSCSI_RESP_HDR;

	account(r);
	free(r->bounce);
	r->bounce = NULL;
	if (r->tgt)
		r->tgt->inflight--;
	if (!s->resetting && !s->failed) {
		put_le32(h, r->cmd.sense_len);
		put_le32(h + 4, residual(r));
		h[10] = r->cmd.status;
		h[11] = r->response;
		memcpy(h + 12, r->cmd.sense, r->cmd.sense_len);
		iov_from_buf(r->elem.in, r->elem.n_in, 0, h, sizeof(h));
		if (r->p.din_len)
			written += r->p.din_len - residual(r);
		vq_push(&s->vdev->vqs[r->q], &r->elem, written);
		s->irq[r->q] = true;
	}
	req_put(s, r);
	if (atomic_fetch_sub(&s->inflight, 1) == 1)
		pthread_cond_broadcast(&s->idle);
	vscsi_answer_tmfs(s);
}

/* A disk I/O of request r ended (evloop thread, lock held). */
static void io_done(struct disk_io *io, int ret)
{
	struct vscsi_req *r = io->opaque;

	if (ret < 0 && !r->failed) {
		r->failed = true;
		scsi_set_sense(&r->cmd, SCSI_SK_MEDIUM_ERROR,
			       r->cmd.action == SCSI_ACT_READ ?
				       SCSI_ASC_READ_ERROR :
				       SCSI_ASC_WRITE_ERROR);
	}
	if (--r->pending == 0)
		req_finish(r->dev, r);
}

/* Set up disk I/O i of r: op at byte off over iov[0..n). */
static void add_io(struct vscsi_req *r, enum disk_op op, uint64_t off,
		   struct iovec *iov, unsigned int n)
{
	struct disk_io *io = &r->io[r->pending++];

	*io = (struct disk_io){ .op = op,
				.off = off,
				.iov = iov,
				.niov = n,
				.done = io_done,
				.opaque = r };
}

/*
 * Queue the write of r. Block 0 of a disk whose format was probed as raw
 * is guarded as virtio-blk does: its first bytes go through a host copy
 * that is both checked and written. Returns 0, or -1 when refused (r then
 * ends with a write error and no I/O).
 */
static int start_write(struct vscsi_req *r, struct disk *d)
{
	size_t align = MAX(d->align, SCSI_BLOCK);
	size_t len = (size_t)r->cmd.nblocks * SCSI_BLOCK, n = MIN(len, align);
	uint64_t off = r->cmd.lba * SCSI_BLOCK;

	if (off || !d->probed_raw) {
		r->niov = iov_slice(r->iov, r->elem.out, r->elem.n_out,
				    VSCSI_REQ_HDR, len);
		add_io(r, DISK_WRITE, off, r->iov, r->niov);
		return 0;
	}
	if (posix_memalign(&r->bounce, align, n)) {
		r->bounce = NULL;
		return -1;
	}
	iov_to_buf(r->elem.out, r->elem.n_out, VSCSI_REQ_HDR, r->bounce, n);
	if (disk_restrict_block0(d, r->bounce, n))
		return -1;
	r->bounce_iov = (struct iovec){ r->bounce, n };
	add_io(r, DISK_WRITE, 0, &r->bounce_iov, 1);
	if (n < len) {
		r->niov = iov_slice(r->iov, r->elem.out, r->elem.n_out,
				    VSCSI_REQ_HDR + n, len - n);
		add_io(r, DISK_WRITE, n, r->iov, r->niov);
	}
	return 0;
}

/* Start the I/O the SCSI layer asked for, or answer r at once. */
static void req_start(struct vscsi *s, struct vscsi_req *r)
{
	struct disk *d = r->tgt->disk;
	unsigned int i;

	r->pending = 0;
	switch (r->cmd.action) {
	case SCSI_ACT_READ:
		r->niov = iov_slice(r->iov, r->elem.in, r->elem.n_in,
				    VSCSI_RESP_HDR,
				    (size_t)r->cmd.nblocks * SCSI_BLOCK);
		add_io(r, DISK_READ, r->cmd.lba * SCSI_BLOCK, r->iov, r->niov);
		break;
	case SCSI_ACT_WRITE:
		if (start_write(r, d)) {
			r->failed = true;
			scsi_set_sense(&r->cmd, SCSI_SK_MEDIUM_ERROR,
				       SCSI_ASC_WRITE_ERROR);
		}
		break;
	case SCSI_ACT_FLUSH:
		add_io(r, DISK_FLUSH, 0, NULL, 0);
		break;
	case SCSI_ACT_OVERRUN:
		r->response = VIRTIO_SCSI_S_OVERRUN;
		break;
	default:
		iov_from_buf(r->elem.in, r->elem.n_in, VSCSI_RESP_HDR,
			     r->cmd.buf, r->cmd.data_len);
		break;
	}
	if (!r->pending) {
		req_finish(s, r);
		return;
	}
	r->t0 = blk_stats_now();
	/* submit after counting them all: a done() may not finish r early */
	for (i = 0; i < r->pending; i++)
		disk_submit(d, &r->io[i]);
}

/*
 * Take one popped chain: check it, run its CDB, start or answer it.
 * Returns 0, or -EINVAL when the chain cannot hold a request.
 */
static int handle(struct vscsi *s, struct vscsi_req *r)
{
	struct scsi_cmd *c = &r->cmd;
	bool lun0;
	int t;

	if (vscsi_parse_req(&r->elem, &r->p))
		return -EINVAL;
	atomic_fetch_add(&s->inflight, 1);
	r->tgt = NULL;
	r->t0 = 0;
	r->failed = false;
	r->bounce = NULL;
	r->response = VIRTIO_SCSI_S_OK;
	memset(c, 0, offsetof(struct scsi_cmd, buf));
	c->action = SCSI_ACT_DONE;
	t = vscsi_lun_target(r->p.lun, s->ntargets, &lun0);
	if (t < 0)
		r->response = VIRTIO_SCSI_S_BAD_TARGET;
	else if (r->p.din_len && r->p.dout_len)
		r->response =
			VIRTIO_SCSI_S_FAILURE; /* no VIRTIO_SCSI_F_INOUT */
	if (r->response != VIRTIO_SCSI_S_OK) {
		req_finish(s, r);
		return 0;
	}
	r->tgt = &s->tgt[t];
	r->tgt->inflight++;
	c->cdb = r->p.cdb;
	c->cdb_len = VSCSI_CDB_SIZE;
	c->in_avail = r->p.din_len;
	c->out_len = r->p.dout_len;
	if (lun0 && r->tgt->cdrom)
		vscsi_cd_exec(r->tgt, c);
	else
		scsi_disk_exec(lun0 ? &r->tgt->lu : NULL, c);
	req_start(s, r);
	return 0;
}

void vscsi_serve_requests(struct vscsi *s, unsigned int q)
{
	struct virtqueue *vq = &s->vdev->vqs[q];
	struct vscsi_req *r;
	unsigned int t;
	int ret;

	do {
		vq_disable_notify(vq);
		for (;;) {
			r = req_get(s);
			if (!r)
				break; /* out of memory: the next kick retries */
			r->q = q;
			ret = vq_pop(vq, &r->elem);
			if (ret == 1 && handle(s, r) == 0)
				continue;
			req_put(s, r);
			if (ret) {
				vscsi_fail(
					s,
					"malformed descriptor ring or request");
				break;
			}
			break;
		}
		for (t = 0; t < s->ntargets; t++)
			disk_kick(s->tgt[t].disk);
		vscsi_send_irqs(s);
	} while (!s->failed && vq_enable_notify(vq));
}

void vscsi_disk_event(void *opaque, int fd, uint32_t events)
{
	struct vscsi_target *t = opaque;
	struct vscsi *s = t->dev;

	pthread_mutex_lock(&s->lock);
	disk_complete(t->disk);
	vscsi_send_irqs(s);
	pthread_mutex_unlock(&s->lock);
}
