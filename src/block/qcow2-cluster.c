// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 guest-to-host mapping: L1/L2 lookup, L2 allocation and copy-on-write. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "common/util.h"

enum qc_type qcow2_entry_type(struct qcow2 *q, uint64_t e)
{
	if (e & QC_COMPRESSED)
		return QC_COMP;
	if (q->version >= 3 && (e & QC_ZERO))
		return (e & QC_OFFSET_MASK) ? QC_ZERO_ALLOC : QC_ZERO_PLAIN;
	return (e & QC_OFFSET_MASK) ? QC_NORMAL : QC_UNALLOC;
}

/* Host byte range of compressed entry @e. */
void qcow2_comp_range(struct qcow2 *q, uint64_t e, uint64_t *off, uint64_t *len)
{
	unsigned x = 62 - (q->cluster_bits - 8);
	uint64_t nsec;

	*off = e & ((1ULL << x) - 1);
	nsec = ((e >> x) & ((1ULL << (q->cluster_bits - 8)) - 1)) + 1;
	*len = nsec * 512 - (*off & 511);
}

/* Validate the L2 table pointer of L1 entry @l1i. */
int qcow2_check_l2_offset(struct qcow2 *q, uint64_t l2off, unsigned l1i)
{
	int k;

	if (l2off & (q->cs - 1) || l2off + q->cs > q->host_end)
		return qcow2_mark_corrupt(
			q,
			"L2 table %u at 0x%llx is misaligned or past the end of the file",
			l1i, (unsigned long long)l2off);
	k = qcow2_overlap(q, QC_OV_L2, l2off, q->cs);
	if (k > 0)
		return qcow2_mark_corrupt(q, "L2 table %u at 0x%llx lies on %s",
					  l1i, (unsigned long long)l2off,
					  qcow2_ov_name(k));
	return k;
}

/* Validate the host range of data entry @e (normal, zero-alloc, compressed). */
static int check_data(struct qcow2 *q, uint64_t e, uint64_t gofs)
{
	enum qc_type t = qcow2_entry_type(q, e);
	uint64_t off = e & QC_OFFSET_MASK, len = q->cs;

	if (t == QC_UNALLOC || t == QC_ZERO_PLAIN)
		return 0;
	if (t == QC_COMP)
		qcow2_comp_range(q, e, &off, &len);
	else if (off & (q->cs - 1))
		return qcow2_mark_corrupt(
			q, "data cluster for guest offset 0x%llx is misaligned",
			(unsigned long long)gofs);
	if (off + len > q->host_end || off < q->cs)
		return qcow2_mark_corrupt(
			q,
			"data for guest offset 0x%llx (host 0x%llx) lies outside the file",
			(unsigned long long)gofs, (unsigned long long)off);
	return 0;
}

/* Do entries @a then @b map contiguously with the same kind? */
static bool continues(struct qcow2 *q, uint64_t a, uint64_t b)
{
	enum qc_type ta = qcow2_entry_type(q, a);

	if (ta != qcow2_entry_type(q, b) || ta == QC_COMP)
		return false;
	if ((a & QC_COPIED) != (b & QC_COPIED))
		return false;
	if (ta == QC_NORMAL || ta == QC_ZERO_ALLOC)
		return (b & QC_OFFSET_MASK) == (a & QC_OFFSET_MASK) + q->cs;
	return true;
}

/*
 * Look up guest offset @gofs: the raw L2 entry in *entry and in *run how
 * many bytes from @gofs (at most @maxlen) map the same way contiguously.
 */
int qcow2_get_entry(struct qcow2 *q, uint64_t gofs, uint64_t maxlen,
		    uint64_t *entry, uint64_t *run)
{
	uint64_t l1i = gofs >> (q->cluster_bits + q->l2_bits);
	uint64_t ents = 1ULL << q->l2_bits;
	uint64_t idx = (gofs >> q->cluster_bits) & (ents - 1);
	uint64_t in = gofs & (q->cs - 1), l2off, n = 1, e;
	uint64_t *tbl;
	int ret;

	*entry = 0;
	if (l1i >= q->l1_size || !(q->l1[l1i] & QC_OFFSET_MASK)) {
		*run = MIN(maxlen, ((ents - idx) << q->cluster_bits) - in);
		return 0;
	}
	l2off = q->l1[l1i] & QC_OFFSET_MASK;
	ret = qcow2_check_l2_offset(q, l2off, l1i);
	if (ret < 0)
		return ret;
	ret = qcow2_cache_get(q->l2c, l2off, (void **)&tbl);
	if (ret < 0)
		return ret;
	e = qbe64(&tbl[idx]);
	ret = check_data(q, e, gofs);
	while (!ret && idx + n < ents && (n << q->cluster_bits) - in < maxlen) {
		uint64_t f = qbe64(&tbl[idx + n]);

		if (!continues(q, qbe64(&tbl[idx + n - 1]), f))
			break;
		ret = check_data(q, f, gofs + (n << q->cluster_bits));
		n++;
	}
	qcow2_cache_put(q->l2c, tbl);
	if (ret < 0)
		return ret;
	*entry = e;
	*run = MIN(maxlen, (n << q->cluster_bits) - in);
	return 0;
}

int qcow2_free_entry(struct qcow2 *q, uint64_t e)
{
	uint64_t off, len;

	switch (qcow2_entry_type(q, e)) {
	case QC_NORMAL:
	case QC_ZERO_ALLOC:
		return qcow2_free_later(q, e & QC_OFFSET_MASK, q->cs);
	case QC_COMP:
		qcow2_comp_range(q, e, &off, &len);
		return qcow2_free_later(q, off, len);
	default:
		return 0;
	}
}

/*
 * Pin the L2 table covering @gofs for modification: allocated if missing,
 * copied if shared with a snapshot.  Returns 0 with *tbl pinned in l2c.
 */
int qcow2_get_l2_rw(struct qcow2 *q, uint64_t gofs, uint64_t **tbl)
{
	uint64_t l1i = gofs >> (q->cluster_bits + q->l2_bits);
	uint64_t e, old, rc;
	int64_t nw;
	void *ot;
	int ret;

	if (l1i >= q->l1_size) {
		ret = qcow2_grow_l1(q, l1i + 1);
		if (ret < 0)
			return ret;
	}
	e = q->l1[l1i];
	old = e & QC_OFFSET_MASK;
	if (old) {
		ret = qcow2_check_l2_offset(q, old, l1i);
		if (ret < 0)
			return ret;
		if (e & QC_COPIED)
			return qcow2_cache_get(q->l2c, old, (void **)tbl);
		ret = qcow2_get_refcount(q, old >> q->cluster_bits, &rc);
		if (ret < 0)
			return ret;
		if (rc == 1) {
			q->l1[l1i] = old | QC_COPIED;
			q->l1_dirty = true;
			return qcow2_cache_get(q->l2c, old, (void **)tbl);
		}
	}
	nw = qcow2_alloc_clusters(q, 1);
	if (nw < 0)
		return (int)nw;
	ret = qcow2_cache_get_empty(q->l2c, nw, (void **)tbl);
	if (ret < 0)
		return ret;
	if (old) {
		ret = qcow2_cache_get(q->l2c, old, &ot);
		if (ret < 0) {
			qcow2_cache_put(q->l2c, *tbl);
			return ret;
		}
		memcpy(*tbl, ot, q->cs);
		qcow2_cache_put(q->l2c, ot);
		ret = qcow2_free_later(q, old, q->cs);
		if (ret < 0) {
			qcow2_cache_put(q->l2c, *tbl);
			return ret;
		}
	}
	qcow2_cache_dirty(q->l2c, *tbl);
	q->l1[l1i] = (uint64_t)nw | QC_COPIED;
	q->l1_dirty = true;
	qcow2_meta_changed(q);
	return 0;
}

/*
 * Grow the L1 table to @min entries: everything pending is flushed, the new
 * table written and synced at a fresh place, then the header switched.
 */
int qcow2_grow_l1(struct qcow2 *q, uint32_t min)
{
	uint64_t nsize = MAX((uint64_t)min, (uint64_t)q->l1_size * 3 / 2);
	uint64_t bytes, old_off = q->l1_offset, old_len = q->l1_size * 8ULL;
	uint64_t *n;
	int64_t off;
	int ret;

	bytes = ALIGN_UP(nsize * 8, q->cs);
	if (bytes > QCOW2_MAX_L1_BYTES) {
		if ((uint64_t)min * 8 > QCOW2_MAX_L1_BYTES)
			return blk_error(
				EFBIG,
				"'%s' would need an L1 table over %llu bytes; use bigger clusters",
				q->b->filename, QCOW2_MAX_L1_BYTES);
		bytes = QCOW2_MAX_L1_BYTES;
	}
	nsize = bytes / 8;
	ret = qcow2_flush_meta(q);
	if (ret < 0)
		return ret;
	n = calloc(1, bytes);
	if (!n)
		return -ENOMEM;
	memcpy(n, q->l1, old_len);
	off = qcow2_alloc_clusters(q, bytes >> q->cluster_bits);
	if (off < 0) {
		free(n);
		return (int)off;
	}
	free(q->l1);
	q->l1 = n;
	q->l1_size = nsize;
	q->l1_offset = off;
	qcow2_meta_changed(q);
	ret = qcow2_sync_refcounts(q);
	if (ret < 0)
		return ret;
	ret = qcow2_write_l1(q);
	if (ret < 0)
		return ret;
	if (blk_datasync(q->b) < 0)
		return -errno;
	ret = qcow2_write_header(q);
	if (ret < 0)
		return ret;
	if (blk_datasync(q->b) < 0)
		return -errno;
	if (old_len)
		return qcow2_free_later(q, old_off, old_len);
	return 0;
}

/* Read the backing file's view of [off, off+len); zeroes past its end. */
static int read_backing(struct qcow2 *q, uint64_t off, uint8_t *buf,
			uint64_t len)
{
	struct blk *bk = q->b->backing;
	uint64_t bs, n;

	if (!bk) {
		memset(buf, 0, len);
		return 0;
	}
	bs = blk_getlength(bk);
	n = off < bs ? MIN(len, bs - off) : 0;
	if (n < len)
		memset(buf + n, 0, len - n);
	return n ? blk_pread(bk, off, buf, n) : 0;
}

/* Decompress the cluster of entry @e into @buf (cluster size bytes). */
static int read_compressed(struct qcow2 *q, uint64_t e, uint8_t *buf)
{
	uint64_t off, len;
	uint8_t *in;
	int ret;

	qcow2_comp_range(q, e, &off, &len);
	in = malloc(len);
	if (!in)
		return -ENOMEM;
	if (pread_full(q->fd, in, len, off) < 0) {
		free(in);
		return blk_error(EIO, "cannot read compressed cluster of '%s'",
				 q->b->filename);
	}
	ret = qc_decompress(q->compression_type, in, len, buf, q->cs);
	free(in);
	if (ret < 0)
		return blk_error(
			EIO,
			"compressed cluster at 0x%llx of '%s' does not decompress; the image is corrupt",
			(unsigned long long)off, q->b->filename);
	return 0;
}

/*
 * Read the guest view of @len bytes at offset @in of the cluster at @gofs
 * (aligned) whose L2 entry is @e into @buf.  @len may run past the cluster
 * for entries that map contiguously (not compressed ones).
 */
int qcow2_read_part(struct qcow2 *q, uint64_t gofs, uint64_t e, uint8_t *buf,
		    uint64_t in, uint64_t len)
{
	uint8_t *tmp;
	ssize_t n;
	int ret;

	switch (qcow2_entry_type(q, e)) {
	case QC_UNALLOC:
		return read_backing(q, gofs + in, buf, len);
	case QC_ZERO_PLAIN:
	case QC_ZERO_ALLOC:
		memset(buf, 0, len);
		return 0;
	case QC_NORMAL:
		n = pread_full(q->fd, buf, len, (e & QC_OFFSET_MASK) + in);
		if (n < 0)
			return blk_error(-n, "read of '%s' failed",
					 q->b->filename);
		if ((uint64_t)n < len) /* past the end of the file */
			memset(buf + n, 0, len - n);
		return 0;
	case QC_COMP:
		tmp = malloc(q->cs);
		if (!tmp)
			return -ENOMEM;
		ret = read_compressed(q, e, tmp);
		if (!ret)
			memcpy(buf, tmp + in, len);
		free(tmp);
		return ret;
	}
	return -EINVAL;
}

int qcow2_read_cluster(struct qcow2 *q, uint64_t gofs, uint64_t e, uint8_t *buf)
{
	return qcow2_read_part(q, gofs, e, buf, 0, q->cs);
}
