// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 refcounts: lookup and update through the refcount cache, cluster
 * allocation, growth of the refcount table, deferred frees and the ordered
 * metadata flush that keeps the image consistent at every moment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "common/util.h"

uint64_t qcow2_rc_get(struct qcow2 *q, const void *blk, uint64_t i)
{
	const uint8_t *p = blk;
	unsigned bits = 1U << q->refcount_order;

	switch (q->refcount_order) {
	case 3:
		return p[i];
	case 4:
		return qbe16(p + 2 * i);
	case 5:
		return qbe32(p + 4 * i);
	case 6:
		return qbe64(p + 8 * i);
	default:
		return (p[i * bits / 8] >> (i * bits % 8)) & ((1U << bits) - 1);
	}
}

void qcow2_rc_set(struct qcow2 *q, void *blk, uint64_t i, uint64_t v)
{
	uint8_t *p = blk;
	unsigned bits = 1U << q->refcount_order, sh, mask;

	switch (q->refcount_order) {
	case 3:
		p[i] = v;
		return;
	case 4:
		qput16(p + 2 * i, v);
		return;
	case 5:
		qput32(p + 4 * i, v);
		return;
	case 6:
		qput64(p + 8 * i, v);
		return;
	default:
		sh = i * bits % 8;
		mask = ((1U << bits) - 1) << sh;
		p[i * bits / 8] =
			(p[i * bits / 8] & ~mask) | ((v << sh) & mask);
	}
}

static uint64_t rc_max(struct qcow2 *q)
{
	return q->refcount_order == 6 ? UINT64_MAX :
					(1ULL << (1U << q->refcount_order)) - 1;
}

/*
 * Refuse refcount block @i at @o (@why), or for check note it and drop it
 * from the table (its clusters then have no refcounts).
 */
static int bad_block(struct qcow2 *q, uint64_t i, uint64_t o, const char *why)
{
	const char *on = strncmp(why, "is ", 3) ? "lies on " : "";

	if (q->check_mode) {
		uint64_t *n = realloc(q->bad_rb, (q->nr_bad_rb + 1) * 16);

		if (!n)
			return -ENOMEM;
		q->bad_rb = n;
		n[2 * q->nr_bad_rb] = i;
		n[2 * q->nr_bad_rb + 1] = o;
		q->nr_bad_rb++;
		q->rct[i] = 0; /* the caller rebuilds the overlap set */
		return 0;
	}
	return blk_error(
		EINVAL,
		"qcow2 image '%s': refcount block %llu at 0x%llx %s%s; the image is corrupt (run 'wirt-img check -r all')",
		q->b->filename, (unsigned long long)i, (unsigned long long)o,
		on, why);
}

/* Load and validate the refcount table. */
int qcow2_load_rct(struct qcow2 *q)
{
	uint64_t bytes = (uint64_t)q->rct_clusters * q->cs;
	ssize_t n;

	q->rct_entries = bytes / 8;
	q->rct = malloc(bytes);
	if (!q->rct)
		return -ENOMEM;
	memset(q->rct, 0, bytes);
	n = pread_full(q->fd, q->rct, bytes, q->rct_offset);
	/* for check, the part past the end of the file reads as zeroes */
	if (n != (ssize_t)bytes && !q->rct_outside)
		return blk_error(EIO, "cannot read refcount table of '%s'",
				 q->b->filename);
	for (uint64_t i = 0; i < q->rct_entries; i++) {
		uint64_t o = qbe64(&q->rct[i]) & QC_REFT_MASK;

		q->rct[i] = o;
		if (!o)
			continue;
		if (o & (q->cs - 1) || o + q->cs > q->host_end) {
			int ret = bad_block(q, i, o,
					    "is misaligned or past the end");

			if (ret < 0)
				return ret;
		}
	}
	qcow2_meta_changed(q);
	for (uint64_t i = 0; i < q->rct_entries; i++) {
		int k;

		if (!q->rct[i])
			continue;
		/* L2 pointers are not trusted here: they are checked on use */
		k = qcow2_overlap(q, QC_OV_REFBLOCK | QC_OV_L2, q->rct[i],
				  q->cs);
		if (k > 0)
			k = bad_block(q, i, q->rct[i], qcow2_ov_name(k));
		if (k < 0)
			return k;
	}
	qcow2_meta_changed(q);
	return 0;
}

int qcow2_get_refcount(struct qcow2 *q, uint64_t idx, uint64_t *rc)
{
	uint64_t bi = idx >> q->rb_bits;
	void *blk;
	int ret;

	if (bi >= q->rct_entries || !q->rct[bi]) {
		*rc = 0;
		return 0;
	}
	ret = qcow2_cache_get(q->rcc, q->rct[bi], &blk);
	if (ret < 0)
		return ret;
	*rc = qcow2_rc_get(q, blk, idx & ((1ULL << q->rb_bits) - 1));
	qcow2_cache_put(q->rcc, blk);
	return 0;
}

static int write_rct(struct qcow2 *q)
{
	uint64_t bytes = (uint64_t)q->rct_clusters * q->cs;
	uint64_t *t = calloc(1, bytes);
	ssize_t n;

	if (!t)
		return -ENOMEM;
	for (uint64_t i = 0; i < q->rct_entries; i++)
		qput64(&t[i], q->rct[i]);
	n = blk_io_pwrite(q->fd, t, bytes, q->rct_offset);
	free(t);
	return n < 0 ? (int)n : 0;
}

/* Refcount blocks and table to disk, synced; nothing to do when clean. */
int qcow2_sync_refcounts(struct qcow2 *q)
{
	int ret;

	if (!qcow2_cache_has_dirty(q->rcc) && !q->rct_dirty)
		return 0;
	ret = qcow2_cache_write(q->rcc);
	if (ret < 0)
		return ret;
	if (blk_datasync(q->b) < 0)
		return -errno;
	if (q->rct_dirty) {
		ret = qcow2_check_write(q, QC_OV_RCT, q->rct_offset,
					(uint64_t)q->rct_clusters * q->cs,
					"refcount table write");
		if (!ret)
			ret = write_rct(q);
		if (ret < 0)
			return ret;
		if (blk_datasync(q->b) < 0)
			return -errno;
		q->rct_dirty = false;
	}
	return 0;
}

/* Is block index @bi missing from the table? */
static bool rb_missing(struct qcow2 *q, uint64_t bi)
{
	return bi >= q->rct_entries || !q->rct[bi];
}

/*
 * Grow the refcount table to at least @min entries.  The new refcount
 * blocks it needs and the new table go past the end of the file; they are
 * written and synced before the header switches to the new table.
 */
static int grow_rct(struct qcow2 *q, uint64_t min)
{
	uint64_t P = q->host_end >> q->cluster_bits, k = 0, t, ent, *nt;
	uint64_t old_off = q->rct_offset, old_cl = q->rct_clusters;
	uint64_t epb = q->cs / 8;
	int ret;

	ent = MAX(min, q->rct_entries * 2);
	/* a refcount for a far host offset: refuse before sizing the table */
	if (ent > QCOW2_MAX_RCT_BYTES / 8)
		return blk_error(
			EFBIG, "refcount table of '%s' would exceed %llu bytes",
			q->b->filename, QCOW2_MAX_RCT_BYTES);
	for (;;) {
		uint64_t end, nk = 0;

		t = (ent + epb - 1) / epb;
		end = P + k + t;
		for (uint64_t bi = P >> q->rb_bits;
		     bi <= (end - 1) >> q->rb_bits; bi++)
			if (rb_missing(q, bi))
				nk++;
		if (((end - 1) >> q->rb_bits) + 1 > ent)
			ent = ((end - 1) >> q->rb_bits) + 1;
		if (nk == k && (ent + epb - 1) / epb == t)
			break;
		k = nk;
	}
	if (t * q->cs > QCOW2_MAX_RCT_BYTES)
		return blk_error(
			EFBIG, "refcount table of '%s' would exceed %llu bytes",
			q->b->filename, QCOW2_MAX_RCT_BYTES);
	nt = calloc(t, q->cs);
	if (!nt)
		return -ENOMEM;
	memcpy(nt, q->rct, q->rct_entries * 8);
	for (uint64_t bi = P >> q->rb_bits, j = 0;
	     bi <= (P + k + t - 1) >> q->rb_bits; bi++) {
		void *blk;

		if (!rb_missing(q, bi))
			continue;
		nt[bi] = (P + j++) << q->cluster_bits;
		ret = qcow2_cache_get_empty(q->rcc, nt[bi], &blk);
		if (ret < 0) {
			free(nt);
			return ret;
		}
		qcow2_cache_dirty(q->rcc, blk);
		qcow2_cache_put(q->rcc, blk);
	}
	free(q->rct);
	q->rct = nt;
	q->rct_entries = t * epb;
	q->host_end = (P + k + t) << q->cluster_bits;
	for (uint64_t c = P; c < P + k + t; c++) {
		ret = qcow2_set_refcount(q, c, 1);
		if (ret < 0)
			return ret;
	}
	q->rct_offset = (P + k) << q->cluster_bits;
	q->rct_clusters = t;
	q->rct_dirty = true;
	qcow2_meta_changed(q);
	ret = qcow2_sync_refcounts(q);
	if (ret < 0)
		return ret;
	ret = qcow2_write_header(q);
	if (ret < 0)
		return ret;
	if (blk_datasync(q->b) < 0)
		return -errno;
	return qcow2_update_refcount(q, old_off, old_cl * q->cs, -1);
}

/* Make sure refcount block @bi exists, creating it in its own range. */
static int ensure_block(struct qcow2 *q, uint64_t bi)
{
	uint64_t r0;
	void *blk;
	int ret;

	if (!rb_missing(q, bi))
		return 0;
	if (bi >= q->rct_entries) {
		ret = grow_rct(q, bi + 1);
		if (ret < 0 || !rb_missing(q, bi))
			return ret;
	}
	r0 = (bi << q->rb_bits) << q->cluster_bits;
	ret = qcow2_overlap(q, 0, r0, q->cs);
	if (ret < 0)
		return ret;
	if (ret)
		return qcow2_mark_corrupt(
			q,
			"refcount block %llu is missing and its place holds %s",
			(unsigned long long)bi, qcow2_ov_name(ret));
	ret = qcow2_cache_get_empty(q->rcc, r0, &blk);
	if (ret < 0)
		return ret;
	qcow2_rc_set(q, blk, 0, 1);
	qcow2_cache_dirty(q->rcc, blk);
	qcow2_cache_put(q->rcc, blk);
	q->rct[bi] = r0;
	q->rct_dirty = true;
	qcow2_meta_changed(q);
	q->host_end = MAX(q->host_end, r0 + q->cs);
	return 0;
}

int qcow2_set_refcount(struct qcow2 *q, uint64_t idx, uint64_t rc)
{
	uint64_t bi = idx >> q->rb_bits;
	void *blk;
	int ret;

	if (rc > rc_max(q))
		return blk_error(ERANGE, "refcount overflow in '%s'",
				 q->b->filename);
	ret = ensure_block(q, bi);
	if (ret < 0)
		return ret;
	ret = qcow2_cache_get(q->rcc, q->rct[bi], &blk);
	if (ret < 0)
		return ret;
	qcow2_rc_set(q, blk, idx & ((1ULL << q->rb_bits) - 1), rc);
	qcow2_cache_dirty(q->rcc, blk);
	qcow2_cache_put(q->rcc, blk);
	if (rc == 0) {
		q->free_hint = MIN(q->free_hint, idx);
		qcow2_cache_drop(q->l2c, idx << q->cluster_bits);
	}
	return 0;
}

int qcow2_update_refcount(struct qcow2 *q, uint64_t off, uint64_t len,
			  int addend)
{
	uint64_t first = off >> q->cluster_bits;
	uint64_t last = (off + len - 1) >> q->cluster_bits;
	int ret;

	if (!len)
		return 0;
	for (uint64_t c = first; c <= last; c++) {
		uint64_t rc;

		ret = qcow2_get_refcount(q, c, &rc);
		if (ret < 0)
			return ret;
		if (addend > 0 && rc > rc_max(q) - addend)
			return blk_error(
				ERANGE,
				"refcount of cluster %llu in '%s' would exceed %u bits; convert the image to refcount_bits=16",
				(unsigned long long)c, q->b->filename,
				1U << q->refcount_order);
		if (addend < 0 && rc < (uint64_t)-addend)
			return qcow2_mark_corrupt(
				q,
				"refcount of cluster %llu would drop below 0",
				(unsigned long long)c);
		ret = qcow2_set_refcount(q, c, rc + addend);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * First run of @n free clusters at or after the hint.  Runs of several
 * clusters give up looking for a hole after a while and take the end of
 * the file, so scattered single free clusters cost no quadratic scans.
 */
static int find_free(struct qcow2 *q, uint64_t n, uint64_t *start)
{
	uint64_t end = q->host_end >> q->cluster_bits, run = 0, c, rc;
	uint64_t budget = n > 1 ? 4096 : UINT64_MAX;
	int ret;

	for (c = q->free_hint;; c++) {
		if (c >= end || !budget--) {
			if (c < end) {
				*start = end;
				return 0;
			}
			*start = run ? c - run : c;
			return 0;
		}
		ret = qcow2_get_refcount(q, c, &rc);
		if (ret < 0)
			return ret;
		if (rc) {
			if (!run && c == q->free_hint)
				q->free_hint = c + 1;
			run = 0;
			continue;
		}
		ret = qcow2_overlap(q, 0, c << q->cluster_bits, q->cs);
		if (ret < 0)
			return ret;
		if (ret)
			return qcow2_mark_corrupt(
				q,
				"cluster %llu holds %s but has refcount 0; it is not reused",
				(unsigned long long)c, qcow2_ov_name(ret));
		if (++run == n) {
			*start = c + 1 - n;
			return 0;
		}
	}
}

int64_t qcow2_alloc_clusters(struct qcow2 *q, uint64_t n)
{
	uint64_t start = 0;
	int ret;

	if (!n)
		return -EINVAL;
	for (;;) {
		bool again = false;

		ret = find_free(q, n, &start);
		if (ret < 0)
			return ret;
		if ((start + n) > (1ULL << (56 - q->cluster_bits)))
			return blk_error(EFBIG, "'%s' is full (56-bit offsets)",
					 q->b->filename);
		for (uint64_t bi = start >> q->rb_bits;
		     bi <= (start + n - 1) >> q->rb_bits; bi++) {
			if (rb_missing(q, bi)) {
				ret = ensure_block(q, bi);
				if (ret < 0)
					return ret;
				again = true;
			}
		}
		if (!again)
			break;
	}
	ret = qcow2_check_write(q, 0, start << q->cluster_bits,
				n << q->cluster_bits, "allocation");
	if (ret < 0)
		return ret;
	for (uint64_t c = start; c < start + n; c++) {
		ret = qcow2_set_refcount(q, c, 1);
		if (ret < 0)
			return ret;
	}
	q->host_end = MAX(q->host_end, (start + n) << q->cluster_bits);
	return (int64_t)(start << q->cluster_bits);
}

int64_t qcow2_alloc_bytes(struct qcow2 *q, uint64_t len)
{
	uint64_t off = q->comp_off, space = q->cs - (off & (q->cs - 1));
	int64_t r;
	int ret;

	if (off && len <= space) {
		ret = qcow2_update_refcount(q, off, 1, 1);
		if (ret < 0)
			return ret;
	} else {
		r = qcow2_alloc_clusters(q,
					 (len + q->cs - 1) >> q->cluster_bits);
		if (r < 0)
			return r;
		off = r;
	}
	q->comp_off = (off + len) & (q->cs - 1) ? off + len : 0;
	return (int64_t)off;
}

int qcow2_free_later(struct qcow2 *q, uint64_t off, uint64_t len)
{
	if (q->nr_frees == q->max_frees) {
		unsigned m = q->max_frees ? q->max_frees * 2 : 64;
		struct qc_free *f = realloc(q->frees, m * sizeof(*f));

		if (!f)
			return -ENOMEM;
		q->frees = f;
		q->max_frees = m;
	}
	if ((off >> q->cluster_bits) == ((q->comp_off - 1) >> q->cluster_bits))
		q->comp_off = 0; /* never share a cluster being freed */
	q->frees[q->nr_frees].off = off;
	q->frees[q->nr_frees].len = len;
	q->frees[q->nr_frees].epoch = q->epoch;
	q->nr_frees++;
	if (q->nr_frees >= 8192)
		return qcow2_flush_meta(q);
	return 0;
}

/* Can a free queued in epoch @e be applied (no unlocked write may use it)? */
static bool epoch_drained(struct qcow2 *q, uint64_t e)
{
	if (e + 1 < q->epoch)
		return true;
	return e + 1 == q->epoch &&
	       !__atomic_load_n(&q->inflight[e & 1], __ATOMIC_ACQUIRE);
}

/* Drop the refcounts of queued frees whose epoch has drained. */
static int apply_frees(struct qcow2 *q)
{
	unsigned nf = q->nr_frees, keep = 0;
	int ret = 0;

	if (!__atomic_load_n(&q->inflight[(q->epoch + 1) & 1],
			     __ATOMIC_ACQUIRE))
		q->epoch++;
	q->nr_frees = 0;
	for (unsigned i = 0; i < nf; i++) {
		struct qc_free f = q->frees[i];

		if (ret < 0 || !epoch_drained(q, f.epoch)) {
			q->frees[keep++] = f;
			continue;
		}
		ret = qcow2_update_refcount(q, f.off, f.len, -1);
	}
	q->nr_frees = keep; /* the updates above queue no frees */
	return ret;
}

/*
 * The ordered metadata flush: refcounts (synced) before L2 tables, L2
 * tables (synced) before the L1 table, a final sync for the data; only
 * then the deferred frees drop refcounts (written by the next flush).
 */
int qcow2_flush_meta(struct qcow2 *q)
{
	int ret;

	ret = qcow2_sync_refcounts(q);
	if (ret < 0)
		return ret;
	ret = qcow2_cache_write(q->l2c);
	if (ret < 0)
		return ret;
	if (q->l1_dirty) {
		if (blk_datasync(q->b) < 0)
			return -errno;
		ret = qcow2_write_l1(q);
		if (ret < 0)
			return ret;
	}
	if (blk_datasync(q->b) < 0)
		return blk_error(errno, "flush of '%s' failed", q->b->filename);
	return apply_frees(q);
}
