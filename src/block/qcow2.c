// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The qcow2 driver: open/close and the data path.  Metadata is touched
 * under q->lock; data I/O to clusters the image owns alone runs unlocked so
 * several queues proceed in parallel.  Allocating writes hold the lock
 * from allocation until the L2 entry is set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "common/util.h"

int qcow2_write_l1(struct qcow2 *q)
{
	uint64_t *t;
	ssize_t n;

	qcow2_meta_changed(q); /* entries changed since the last write */
	if (!q->l1_size) {
		q->l1_dirty = false;
		return 0;
	}
	n = qcow2_check_write(q, QC_OV_L1, q->l1_offset, q->l1_size * 8ULL,
			      "L1 table write");
	if (n < 0)
		return (int)n;
	t = malloc(q->l1_size * 8ULL);
	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < q->l1_size; i++)
		qput64(&t[i], q->l1[i]);
	n = blk_io_pwrite(q->fd, t, q->l1_size * 8ULL, q->l1_offset);
	free(t);
	if (n < 0)
		return blk_error(-n, "cannot write L1 table of '%s'",
				 q->b->filename);
	q->l1_dirty = false;
	return 0;
}

static int load_l1(struct qcow2 *q)
{
	uint64_t bytes = q->l1_size * 8ULL;

	ssize_t n;

	q->l1 = calloc(1, bytes ? bytes : 8);
	if (!q->l1)
		return -ENOMEM;
	n = bytes ? pread_full(q->fd, q->l1, bytes, q->l1_offset) : 0;
	/* for check, the part past the end of the file reads as zeroes */
	if (n != (ssize_t)bytes && !q->l1_outside)
		return blk_error(EIO, "cannot read L1 table of '%s'",
				 q->b->filename);
	for (uint32_t i = 0; i < q->l1_size; i++)
		q->l1[i] = qbe64(&q->l1[i]);
	return 0;
}

static void qcow2_free(struct qcow2 *q)
{
	qcow2_cache_free(q->l2c);
	qcow2_cache_free(q->rcc);
	qcow2_free_snapshots(q);
	qcow2_free_bitmaps(q);
	qcow2_free_header(q);
	free(q->l1);
	free(q->rct);
	free(q->frees);
	free(q->bad_rb);
	qcow2_overlap_free(q);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static int make_caches(struct qcow2 *q)
{
	uint64_t cover = q->cs << q->l2_bits; /* guest bytes per L2 table */
	uint64_t n = (q->size + cover - 1) / cover;
	uint64_t max = MAX(4 * MiB, 32 * MiB / q->cs * q->cs) / q->cs;

	n = MAX(MIN(n, max), 16ULL);
	q->l2c = qcow2_cache_new(q, n, true);
	q->rcc = qcow2_cache_new(q, MAX(n / 4, 16ULL), false);
	return q->l2c && q->rcc ? 0 : -ENOMEM;
}

/* Bring a dirty or marked-up image to a clean state on read-write open. */
static int open_rw_fixups(struct qcow2 *q, unsigned flags)
{
	struct blk_check_result r;
	bool hdr = false;
	int ret;

	if ((q->incompat & QC_INCOMPAT_CORRUPT) && !(flags & BLK_O_NO_REPAIR))
		return blk_error(
			EUCLEAN,
			"qcow2 image '%s' is marked corrupt; repair it with 'wirt-img check -r all' or open it read-only",
			q->b->filename);
	if ((q->incompat & QC_INCOMPAT_DIRTY) && !(flags & BLK_O_NO_REPAIR)) {
		ret = qcow2_check(q, BLK_REPAIR_ALL, &r, NULL);
		if (ret < 0)
			return ret;
		if (r.corruptions || r.check_errors)
			return blk_error(
				EUCLEAN,
				"qcow2 image '%s' was not closed cleanly and its repair left %llu errors; run 'wirt-img check -r all' on it or open it read-only",
				q->b->filename,
				(unsigned long long)(r.corruptions +
						     r.check_errors));
		q->incompat &= ~QC_INCOMPAT_DIRTY;
		hdr = true;
	}
	if (q->autoclear & ~QC_AUTOCLEAR_KNOWN) {
		q->autoclear &= QC_AUTOCLEAR_KNOWN;
		hdr = true;
	}
	if (!hdr)
		return 0;
	ret = qcow2_write_header(q);
	if (ret == 0 && blk_datasync(q->b) < 0)
		ret = -errno;
	return ret;
}

static int qcow2_open(struct blk *b, unsigned flags)
{
	struct qcow2 *q = calloc(1, sizeof(*q));
	int ret;

	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	q->b = b;
	q->fd = b->fd;
	q->rw = !b->readonly;
	q->check_mode = flags & BLK_O_CHECK;
	ret = qcow2_read_header(q);
	if (ret < 0)
		goto fail;
	ret = make_caches(q);
	if (ret < 0)
		goto fail;
	ret = qcow2_read_snapshots(q);
	if (ret < 0)
		goto fail;
	ret = load_l1(q);
	if (ret < 0)
		goto fail;
	ret = qcow2_load_rct(q);
	if (ret < 0)
		goto fail;
	ret = qcow2_read_bitmaps(q);
	if (ret < 0)
		goto fail;
	b->size = q->size;
	b->cluster_size = q->cs;
	b->opaque = q;
	if (q->backing_file && !(flags & BLK_O_NO_BACKING)) {
		ret = blk_open_backing(b, q->backing_file, q->backing_fmt,
				       flags);
		if (ret < 0)
			goto fail;
	}
	if (q->rw) {
		ret = open_rw_fixups(q, flags);
		if (ret < 0)
			goto fail;
	}
	return 0;
fail:
	if (b->backing) {
		blk_close(b->backing);
		b->backing = NULL;
	}
	b->opaque = NULL;
	qcow2_free(q);
	return ret;
}

static int qcow2_flush(struct blk *b)
{
	struct qcow2 *q = b->opaque;
	int ret;

	pthread_mutex_lock(&q->lock);
	ret = qcow2_flush_meta(q);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

static void qcow2_close(struct blk *b)
{
	struct qcow2 *q = b->opaque;

	pthread_mutex_lock(&q->lock);
	qcow2_bitmap_track_stop(q);
	pthread_mutex_unlock(&q->lock);
	if (q->rw && !b->readonly) {
		/* Flushes apply deferred frees; the last one stores them. */
		for (int i = 0; i < 4; i++)
			if (qcow2_flush(b) < 0 || (!q->nr_frees && i))
				break;
	}
	qcow2_free(q);
}

/*
 * Read @len bytes at guest offset @off through the chain; @locked says
 * whether the caller holds q->lock.  Returns 0 or -errno.
 */
static int qcow2_do_read(struct qcow2 *q, uint64_t off, void *buf, size_t len,
			 bool locked)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t e, run, in = off & (q->cs - 1);
		int ret;

		if (!locked)
			pthread_mutex_lock(&q->lock);
		ret = qcow2_get_entry(q, off, len, &e, &run);
		if (!locked)
			pthread_mutex_unlock(&q->lock);
		if (ret < 0)
			return ret;
		ret = qcow2_read_part(q, off - in, e, p, in, run);
		if (ret < 0)
			return ret;
		off += run;
		p += run;
		len -= run;
	}
	return 0;
}

static int qcow2_pread(struct blk *b, uint64_t off, void *buf, size_t len)
{
	return qcow2_do_read(b->opaque, off, buf, len, false);
}

static bool owned(struct qcow2 *q, uint64_t e)
{
	return qcow2_entry_type(q, e) == QC_NORMAL && (e & QC_COPIED);
}

/* Does the guest cluster with entry @e read as zeroes? */
static bool reads_zero(struct qcow2 *q, uint64_t e)
{
	enum qc_type t = qcow2_entry_type(q, e);

	return t == QC_ZERO_PLAIN || t == QC_ZERO_ALLOC ||
	       (t == QC_UNALLOC && !q->b->backing);
}

/*
 * Write @len bytes at offset @in of @k clusters at @host that were never
 * used (past the old end of the file, so they read as zeroes), and make
 * the file cover the last cluster whole.
 */
static int write_fresh(struct qcow2 *q, int64_t host, uint64_t k, uint64_t in,
		       const uint8_t *buf, uint64_t len)
{
	uint64_t end = (uint64_t)host + (k << q->cluster_bits);
	static const uint8_t zero;

	if (blk_io_pwrite(q->fd, buf, len, host + in) < 0 ||
	    (host + in + len < end &&
	     blk_io_pwrite(q->fd, &zero, 1, end - 1) < 0))
		return blk_error(errno, "write to '%s' failed", q->b->filename);
	return 0;
}

/*
 * Write @done bytes of whole fresh clusters at @host (@k of them) for
 * guest offset @off without the lock, so that writers on other threads
 * allocate meanwhile, then take the L2 table again into *tbl (it may have
 * been evicted or copied).  Nothing refers to the clusters until the
 * entries point at them, and a write that overlaps this one on another
 * thread covers only clusters this write replaces whole, so either order
 * is a valid result.  On failure the clusters are freed and *tbl is not
 * held.  Returns 0 or -errno.
 */
static int write_unlocked(struct qcow2 *q, uint64_t off, const uint8_t *buf,
			  uint64_t done, int64_t host, uint64_t k,
			  uint64_t **tbl)
{
	int ret;

	qcow2_cache_put(q->l2c, *tbl);
	pthread_mutex_unlock(&q->lock);
	ret = blk_io_pwrite(q->fd, buf, done, host) < 0 ?
		      blk_error(errno, "write to '%s' failed", q->b->filename) :
		      0;
	pthread_mutex_lock(&q->lock);
	if (!ret)
		ret = qcow2_get_l2_rw(q, off, tbl);
	if (ret < 0)
		for (uint64_t i = 0; i < k; i++)
			qcow2_free_entry(
				q, ((uint64_t)host + (i << q->cluster_bits)) |
					   QC_COPIED);
	return ret;
}

/*
 * The @k clusters from guest offset @cstart as they will be written: the
 * old content of the first (entry @first) and last (entry @last) around
 * @done bytes of new data at @in.  Returns a malloc'ed buffer in *out, 0
 * or -errno.
 */
static int fill_bounce(struct qcow2 *q, uint64_t cstart, uint64_t k,
		       uint64_t first, uint64_t last, uint64_t in,
		       const uint8_t *buf, uint64_t done, uint8_t **out)
{
	uint64_t tail = (k - 1) << q->cluster_bits;
	uint8_t *bounce = malloc(k << q->cluster_bits);
	int ret = 0;

	if (!bounce)
		return -ENOMEM;
	if (in)
		ret = qcow2_read_cluster(q, cstart, first, bounce);
	if (!ret && (in + done) & (q->cs - 1))
		ret = qcow2_read_cluster(q, cstart + tail, last, bounce + tail);
	if (ret < 0) {
		free(bounce);
		return ret;
	}
	memcpy(bounce + in, buf, done);
	*out = bounce;
	return 0;
}

/*
 * Point entries @idx.. @idx+@k-1 of L2 table @tbl at the clusters from
 * @host on and free what they referred to.  Returns 0 or -errno.
 */
static int point_entries(struct qcow2 *q, uint64_t *tbl, uint64_t idx,
			 uint64_t k, int64_t host)
{
	int ret = 0;

	for (uint64_t i = 0; i < k; i++) {
		uint64_t old = qbe64(&tbl[idx + i]);

		qput64(&tbl[idx + i],
		       ((uint64_t)host + (i << q->cluster_bits)) | QC_COPIED);
		ret = qcow2_free_entry(q, old);
		if (ret < 0)
			break;
	}
	qcow2_cache_dirty(q->l2c, tbl);
	return ret;
}

/*
 * Allocating write of @len bytes at @off (lock held, and dropped while
 * whole fresh clusters are written): new clusters for the run of entries
 * in this L2 table that are not owned, filled with the old guest content
 * around the new data, then the L2 entries switched. Returns bytes
 * consumed or -errno.
 */
static int64_t alloc_write(struct qcow2 *q, uint64_t off, const uint8_t *buf,
			   uint64_t len)
{
	uint64_t ents = 1ULL << q->l2_bits, in = off & (q->cs - 1);
	uint64_t idx = (off >> q->cluster_bits) & (ents - 1), k = 0, done;
	uint64_t *tbl, first, last, old_end;
	uint8_t *bounce = NULL;
	const uint8_t *src = NULL;
	bool fresh, partial;
	int64_t host;
	int ret;

	ret = qcow2_get_l2_rw(q, off, &tbl);
	if (ret < 0)
		return ret;
	while (idx + k < ents && (k << q->cluster_bits) < in + len &&
	       !owned(q, qbe64(&tbl[idx + k])))
		k++;
	done = MIN(len, (k << q->cluster_bits) - in);
	partial = (in + done) & (q->cs - 1);
	old_end = q->host_end; /* clusters past it never held data */
	host = qcow2_alloc_clusters(q, k);
	if (host < 0) {
		ret = (int)host;
		goto out;
	}
	fresh = (uint64_t)host >= old_end;
	first = qbe64(&tbl[idx]);
	last = qbe64(&tbl[idx + k - 1]);
	if (fresh && !in && !(done & (q->cs - 1))) {
		ret = write_unlocked(q, off, buf, done, host, k, &tbl);
		if (ret < 0)
			return ret;
	} else if (fresh && (!in || reads_zero(q, first)) &&
		   (!partial || reads_zero(q, last))) {
		/* Never-used clusters read as zeroes: write just the data. */
		ret = write_fresh(q, host, k, in, buf, done);
	} else if (in || partial) {
		ret = fill_bounce(q, off - in, k, first, last, in, buf, done,
				  &bounce);
		src = bounce;
	} else {
		src = buf;
	}
	if (!ret && src &&
	    blk_io_pwrite(q->fd, src, k << q->cluster_bits, host) < 0)
		ret = blk_error(errno, "write to '%s' failed", q->b->filename);
	if (!ret)
		ret = point_entries(q, tbl, idx, k, host);
out:
	qcow2_cache_put(q->l2c, tbl);
	free(bounce);
	return ret < 0 ? ret : (int64_t)done;
}

/*
 * Before a write changes guest data: auto bitmaps that no writer tracks
 * are marked in use (inconsistent) first.  A flag test when there are
 * none.  Returns 0 or -errno.
 */
static int bitmap_guard(struct qcow2 *q, uint64_t off, uint64_t len)
{
	int ret = 0;

	if (__atomic_load_n(&q->bm_guard, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&q->lock);
		ret = qcow2_bitmap_untracked_write(q);
		pthread_mutex_unlock(&q->lock);
	}
	qcow2_bitmap_track_write(q, off, len);
	return ret;
}

static int qcow2_pwrite(struct blk *b, uint64_t off, const void *buf,
			size_t len)
{
	struct qcow2 *q = b->opaque;
	const uint8_t *p = buf;

	if (bitmap_guard(q, off, len) < 0)
		return -EIO;

	while (len) {
		uint64_t e, run;
		int64_t n;
		int ret;

		pthread_mutex_lock(&q->lock);
		ret = qcow2_get_entry(q, off, len, &e, &run);
		if (ret < 0) {
			pthread_mutex_unlock(&q->lock);
			return ret;
		}
		if (owned(q, e)) {
			unsigned *cnt = &q->inflight[q->epoch & 1];
			ssize_t w;

			ret = qcow2_check_write(q, 0,
						(e & QC_OFFSET_MASK) +
							(off & (q->cs - 1)),
						run, "guest data write");
			if (ret < 0) {
				pthread_mutex_unlock(&q->lock);
				return ret;
			}
			__atomic_add_fetch(cnt, 1, __ATOMIC_ACQ_REL);
			pthread_mutex_unlock(&q->lock);
			w = blk_io_pwrite(q->fd, p, run,
					  (e & QC_OFFSET_MASK) +
						  (off & (q->cs - 1)));
			__atomic_sub_fetch(cnt, 1, __ATOMIC_ACQ_REL);
			if (w < 0)
				return blk_error(-w, "write to '%s' failed",
						 b->filename);
			n = run;
		} else {
			n = alloc_write(q, off, p, len);
			pthread_mutex_unlock(&q->lock);
			if (n < 0)
				return (int)n;
		}
		off += n;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Set the entries of the whole clusters in [off, off+len) to @ne (0 or
 * QC_ZERO), freeing what they held.  Lock held.
 */
static int set_entries(struct qcow2 *q, uint64_t off, uint64_t len, uint64_t ne)
{
	while (len) {
		uint64_t e, run, *tbl, ents = 1ULL << q->l2_bits, idx, n;
		enum qc_type t;
		int ret;

		ret = qcow2_get_entry(q, off, len, &e, &run);
		if (ret < 0)
			return ret;
		t = qcow2_entry_type(q, e);
		if ((t == QC_UNALLOC && (!ne || !q->b->backing)) ||
		    (t == QC_ZERO_PLAIN && ne == QC_ZERO)) {
			off += run;
			len -= run;
			continue;
		}
		ret = qcow2_get_l2_rw(q, off, &tbl);
		if (ret < 0)
			return ret;
		idx = (off >> q->cluster_bits) & (ents - 1);
		n = MIN(len >> q->cluster_bits, ents - idx);
		for (uint64_t i = 0; i < n && !ret; i++) {
			ret = qcow2_free_entry(q, qbe64(&tbl[idx + i]));
			qput64(&tbl[idx + i], ne);
		}
		qcow2_cache_dirty(q->l2c, tbl);
		qcow2_cache_put(q->l2c, tbl);
		if (ret < 0)
			return ret;
		off += n << q->cluster_bits;
		len -= n << q->cluster_bits;
	}
	return 0;
}

static int write_zero_bytes(struct blk *b, uint64_t off, uint64_t len)
{
	uint8_t *z;
	int ret = 0;

	if (!len)
		return 0;
	z = calloc(1, MIN(len, 1 * MiB));
	if (!z)
		return -ENOMEM;
	while (len && !ret) {
		uint64_t n = MIN(len, 1 * MiB);

		ret = qcow2_pwrite(b, off, z, n);
		off += n;
		len -= n;
	}
	free(z);
	return ret;
}

/* Split [off, off+len) into unaligned head, whole clusters, tail. */
static void split(struct qcow2 *q, uint64_t off, uint64_t len, uint64_t *head,
		  uint64_t *mid, uint64_t *tail)
{
	uint64_t a = ALIGN_UP(off, q->cs), e = off + len;
	uint64_t ae =
		(e == q->size) ? ALIGN_UP(e, q->cs) : ALIGN_DOWN(e, q->cs);

	if (a >= ae || a > e) {
		*head = len;
		*mid = *tail = 0;
		return;
	}
	*head = a - off;
	*mid = ae - a;
	*tail = e > ae ? e - ae : 0;
}

static int qcow2_pwrite_zeroes(struct blk *b, uint64_t off, uint64_t len,
			       unsigned flags)
{
	struct qcow2 *q = b->opaque;
	uint64_t head, mid, tail, ne = QC_ZERO;
	int ret = bitmap_guard(q, off, len);

	if (ret < 0)
		return ret;
	split(q, off, len, &head, &mid, &tail);
	ret = write_zero_bytes(b, off, head);
	if (ret < 0)
		return ret;
	if (mid) {
		if (q->version < 3) {
			if (b->backing)
				return write_zero_bytes(b, off + head,
							len - head);
			ne = 0;
		}
		pthread_mutex_lock(&q->lock);
		ret = set_entries(q, off + head, mid, ne);
		pthread_mutex_unlock(&q->lock);
		if (ret < 0)
			return ret;
	}
	return write_zero_bytes(b, off + head + mid, tail);
}

static int qcow2_discard(struct blk *b, uint64_t off, uint64_t len)
{
	struct qcow2 *q = b->opaque;
	uint64_t head, mid, tail;
	int ret = bitmap_guard(q, off, len);

	if (ret < 0)
		return ret;
	split(q, off, len, &head, &mid, &tail);
	if (mid) {
		pthread_mutex_lock(&q->lock);
		ret = set_entries(q, off + head, mid,
				  (b->backing && q->version >= 3) ? QC_ZERO :
								    0);
		pthread_mutex_unlock(&q->lock);
	}
	return ret;
}

static int qcow2_pwrite_compressed(struct blk *b, uint64_t off, const void *buf,
				   size_t len)
{
	struct qcow2 *q = b->opaque;
	unsigned x = 62 - (q->cluster_bits - 8);
	uint8_t *in, *out;
	uint64_t *tbl, idx, nsec;
	int64_t host;
	int clen, ret;

	if (off & (q->cs - 1) || len > q->cs ||
	    (len < q->cs && off + len != q->size))
		return blk_error(EINVAL,
				 "compressed writes must be whole clusters");
	if (bitmap_guard(q, off, len) < 0)
		return -EIO;
	in = calloc(1, q->cs);
	out = malloc(q->cs);
	ret = -ENOMEM;
	if (!in || !out)
		goto out;
	memcpy(in, buf, len);
	clen = qc_compress(q->compression_type, in, q->cs, out, q->cs - 1);
	if (clen < 0) {
		ret = qcow2_pwrite(b, off, buf, len);
		goto out;
	}
	pthread_mutex_lock(&q->lock);
	ret = qcow2_get_l2_rw(q, off, &tbl);
	if (ret < 0)
		goto unlock;
	host = qcow2_alloc_bytes(q, clen);
	if (host < 0) {
		ret = (int)host;
		goto put;
	}
	ret = qcow2_check_write(q, 0, host, clen, "compressed data write");
	if (ret < 0)
		goto put;
	if (blk_io_pwrite(q->fd, out, clen, host) < 0) {
		ret = blk_error(errno, "write to '%s' failed", b->filename);
		goto put;
	}
	nsec = ((host & 511) + clen + 511) / 512;
	idx = (off >> q->cluster_bits) & ((1ULL << q->l2_bits) - 1);
	ret = qcow2_free_entry(q, qbe64(&tbl[idx]));
	qput64(&tbl[idx], QC_COMPRESSED | (nsec - 1) << x | (uint64_t)host);
	qcow2_cache_dirty(q->l2c, tbl);
put:
	qcow2_cache_put(q->l2c, tbl);
unlock:
	pthread_mutex_unlock(&q->lock);
out:
	free(in);
	free(out);
	return ret;
}

static int qcow2_truncate(struct blk *b, uint64_t size, bool shrink)
{
	struct qcow2 *q = b->opaque;
	uint64_t cover = q->cs << q->l2_bits, need = (size + cover - 1) / cover;
	uint64_t old = q->size;
	int ret = 0;

	if (size != old && q->nr_bms)
		return blk_error(
			ENOTSUP,
			"cannot resize '%s' while it has persistent bitmaps; remove them first (wirt-img bitmap --remove)",
			b->filename);
	if (size < old && q->nr_snaps)
		return blk_error(
			ENOTSUP,
			"cannot shrink '%s' while it has internal snapshots; delete them first",
			b->filename);
	if (size & 511)
		return blk_error(EINVAL, "size must be a multiple of 512");
	if (size < old) {
		uint64_t ce = MIN(ALIGN_UP(size, q->cs), old);

		ret = write_zero_bytes(b, size, ce - size);
		if (!ret && ce < old) {
			pthread_mutex_lock(&q->lock);
			ret = set_entries(q, ce, ALIGN_UP(old, q->cs) - ce, 0);
			pthread_mutex_unlock(&q->lock);
		}
		if (ret < 0)
			return ret;
	}
	pthread_mutex_lock(&q->lock);
	if (need > q->l1_size)
		ret = qcow2_grow_l1(q, need);
	if (!ret)
		ret = qcow2_flush_meta(q);
	if (!ret) {
		q->size = size;
		ret = qcow2_write_header(q);
		if (!ret && blk_datasync(q->b) < 0)
			ret = -errno;
		if (!ret)
			b->size = size;
	}
	pthread_mutex_unlock(&q->lock);
	return ret;
}

static int qcow2_block_status(struct blk *b, uint64_t off, uint64_t len,
			      uint64_t *pnum, uint64_t *map)
{
	struct qcow2 *q = b->opaque;
	uint64_t e;
	int ret;

	pthread_mutex_lock(&q->lock);
	ret = qcow2_get_entry(q, off, len, &e, pnum);
	pthread_mutex_unlock(&q->lock);
	if (ret < 0)
		return ret;
	*map = (e & QC_OFFSET_MASK) + (off & (q->cs - 1));
	switch (qcow2_entry_type(q, e)) {
	case QC_UNALLOC:
		return b->backing ? 0 : BLK_ST_ZERO;
	case QC_ZERO_PLAIN:
		return BLK_ST_ZERO | BLK_ST_ALLOCATED;
	case QC_ZERO_ALLOC:
		return BLK_ST_ZERO | BLK_ST_ALLOCATED | BLK_ST_OFFSET;
	case QC_NORMAL:
		return BLK_ST_DATA | BLK_ST_ALLOCATED | BLK_ST_OFFSET;
	case QC_COMP:
		return BLK_ST_DATA | BLK_ST_ALLOCATED | BLK_ST_COMPRESSED;
	}
	return -EINVAL;
}

/* Preallocate L2 tables and data clusters for the whole disk. */
static int prealloc(struct blk *b, const char *mode)
{
	struct qcow2 *q = b->opaque;
	uint64_t ents = 1ULL << q->l2_bits, off = 0, end = 0;
	int ret = 0;

	pthread_mutex_lock(&q->lock);
	while (off < q->size && !ret) {
		uint64_t *tbl, idx = (off >> q->cluster_bits) & (ents - 1);
		uint64_t n = MIN(ents - idx, (ALIGN_UP(q->size, q->cs) - off) >>
						     q->cluster_bits);
		int64_t host;

		ret = qcow2_get_l2_rw(q, off, &tbl);
		if (ret < 0)
			break;
		host = qcow2_alloc_clusters(q, n);
		if (host < 0) {
			ret = (int)host;
		} else {
			for (uint64_t i = 0; i < n; i++)
				qput64(&tbl[idx + i],
				       (host + (i << q->cluster_bits)) |
					       QC_COPIED);
			qcow2_cache_dirty(q->l2c, tbl);
			end = host + (n << q->cluster_bits);
		}
		qcow2_cache_put(q->l2c, tbl);
		off += n << q->cluster_bits;
	}
	if (!ret)
		ret = qcow2_flush_meta(q);
	pthread_mutex_unlock(&q->lock);
	if (!ret && end) {
		if (strcmp(mode, "metadata") &&
		    blk_io_fallocate(q->fd, 0, 0, end) < 0)
			ret = blk_error(errno, "cannot preallocate '%s'",
					b->filename);
		else if (blk_io_ftruncate(q->fd, MAX(end, q->host_end)) < 0)
			ret = -errno;
	}
	return ret;
}

static int qcow2_create(const char *path, const struct blk_create_opts *o)
{
	const char *pa = o->prealloc ? o->prealloc : "off";
	struct blk *b;
	int ret;

	if (strcmp(pa, "off") && strcmp(pa, "metadata") &&
	    strcmp(pa, "falloc") && strcmp(pa, "full"))
		return blk_error(
			EINVAL,
			"unknown preallocation '%s' (off, metadata, falloc, full)",
			pa);
	if (o->size & 511)
		return blk_error(EINVAL,
				 "image size %llu is not a multiple of 512",
				 (unsigned long long)o->size);
	ret = qcow2_create_file(path, o);
	if (ret < 0)
		return ret;
	ret = blk_open(&b, path, BLK_FMT_QCOW2, BLK_O_RDWR | BLK_O_NO_BACKING);
	if (ret < 0)
		return ret;
	ret = blk_truncate(b, o->size, false);
	if (!ret && strcmp(pa, "off"))
		ret = prealloc(b, pa);
	if (blk_close(b) < 0 && !ret)
		ret = -EIO;
	return ret;
}

const struct blk_driver blk_qcow2_driver = {
	.format = BLK_FMT_QCOW2,
	.open = qcow2_open,
	.close = qcow2_close,
	.pread = qcow2_pread,
	.pwrite = qcow2_pwrite,
	.pwrite_zeroes = qcow2_pwrite_zeroes,
	.discard = qcow2_discard,
	.flush = qcow2_flush,
	.pwrite_compressed = qcow2_pwrite_compressed,
	.truncate = qcow2_truncate,
	.block_status = qcow2_block_status,
	.create = qcow2_create,
};

int qcow2_make_empty(struct qcow2 *q)
{
	int ret = set_entries(q, 0, ALIGN_UP(q->size, q->cs), 0);

	return ret ? ret : qcow2_flush_meta(q);
}
