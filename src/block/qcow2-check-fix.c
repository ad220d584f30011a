// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 check, repairs beyond single refcounts: COPIED flags of the active
 * L1 and L2 tables, and rebuilding the refcount table and blocks at the
 * end of the file when the old ones cannot be used.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"
#include "block/qcow2-check.h"
#include "common/util.h"

/* Report (and with @fix set) a COPIED flag of @e that disagrees with @rc. */
static bool copied_wrong(struct ck *c, const char *kind, const char *where,
			 uint64_t e, uint64_t rc, bool fix)
{
	if (((e & QC_COPIED) != 0) == (rc == 1))
		return false;
	qcow2_ck_say(c, "%s OFLAG_COPIED %s: %sentry=%llx refcount=%llu",
		     fix ? "Repairing" : "ERROR", kind, where,
		     (unsigned long long)e, (unsigned long long)rc);
	if (fix)
		c->r->corruptions_fixed++;
	else
		c->r->corruptions++;
	return true;
}

/* COPIED flags of the data entries of the active L2 table @l2. */
static int copied_l2(struct ck *c, uint64_t l2, bool fix)
{
	struct qcow2 *q = c->q;
	uint64_t ents = 1ULL << q->l2_bits, *tbl, rc;
	bool dirty = false;
	int ret;

	ret = qcow2_cache_get(q->l2c, l2, (void **)&tbl);
	if (ret < 0)
		return ret;
	for (uint64_t j = 0; j < ents; j++) {
		uint64_t e = qbe64(&tbl[j]), off = e & QC_OFFSET_MASK;
		enum qc_type t = qcow2_entry_type(q, e);

		if ((t != QC_NORMAL && t != QC_ZERO_ALLOC) ||
		    off & (q->cs - 1) || (off >> q->cluster_bits) >= c->nb)
			continue;
		ret = qcow2_get_refcount(q, off >> q->cluster_bits, &rc);
		if (ret < 0)
			break;
		if (copied_wrong(c, "data cluster", "l2_", e, rc, fix) && fix) {
			qput64(&tbl[j],
			       rc == 1 ? e | QC_COPIED : e & ~QC_COPIED);
			dirty = true;
		}
	}
	if (dirty)
		qcow2_cache_dirty(q->l2c, tbl);
	qcow2_cache_put(q->l2c, tbl);
	return ret;
}

/*
 * COPIED flags of the active L1 and L2 tables must match refcount == 1.
 * Each L2 table is looked at once, however often the L1 table names it.
 */
int qcow2_ck_check_copied(struct ck *c, enum blk_repair repair)
{
	struct qcow2 *q = c->q;
	uint8_t *seen = calloc(c->nb / 8 + 1, 1);
	char where[48];
	int ret = 0;

	if (!seen)
		return -ENOMEM;
	for (uint32_t i = 0; i < q->l1_size && !ret; i++) {
		uint64_t l2 = q->l1[i] & QC_OFFSET_MASK, rc, k;

		k = l2 >> q->cluster_bits;
		if (!l2 || k >= c->nb || l2 & (q->cs - 1))
			continue;
		ret = qcow2_get_refcount(q, k, &rc);
		if (ret < 0)
			break;
		snprintf(where, sizeof(where), "l1_index=%u l1_", i);
		if (copied_wrong(c, "L2 cluster", where, q->l1[i], rc,
				 repair >= BLK_REPAIR_ALL) &&
		    repair >= BLK_REPAIR_ALL) {
			q->l1[i] = l2 | (rc == 1 ? QC_COPIED : 0);
			q->l1_dirty = true;
		}
		if (seen[k / 8] & (1 << (k % 8)))
			continue;
		seen[k / 8] |= 1 << (k % 8);
		ret = copied_l2(c, l2, repair >= BLK_REPAIR_ALL);
	}
	free(seen);
	return ret;
}

/* Report the refcount blocks that open set aside (BLK_O_CHECK). */
void qcow2_ck_report_bad_refblocks(struct ck *c)
{
	struct qcow2 *q = c->q;

	if (q->rct_outside)
		return; /* reported as the refcount table past the end */
	for (uint64_t i = 0; i < q->nr_bad_rb; i++) {
		qcow2_ck_say(
			c,
			"ERROR refcount block %llu at 0x%llx is misaligned, outside the image or on other metadata",
			(unsigned long long)q->bad_rb[2 * i],
			(unsigned long long)q->bad_rb[2 * i + 1]);
		c->r->corruptions++;
	}
}

/* The old refcount table and blocks are no longer referenced. */
static void drop_old_refs(struct ck *c)
{
	struct qcow2 *q = c->q;
	uint64_t a = q->rct_offset >> q->cluster_bits;

	for (uint64_t i = a; i < a + q->rct_clusters && i < c->nb; i++)
		if (c->ref[i])
			c->ref[i]--;
	for (uint64_t i = 0; i < q->rct_entries; i++) {
		uint64_t b = q->rct[i] >> q->cluster_bits;

		if (q->rct[i] && b < c->nb && c->ref[b])
			c->ref[b]--;
	}
}

/* Fill @blk (k refcount blocks) with the computed refcounts. */
static void fill_blocks(struct ck *c, uint8_t *blk, uint64_t first_new,
			uint64_t end)
{
	struct qcow2 *q = c->q;
	uint64_t per = 1ULL << q->rb_bits, max = qcow2_rc_limit(q);

	for (uint64_t i = 0; i < end; i++) {
		uint64_t v = i < first_new ? c->ref[i] : 1;

		if (v > max) {
			qcow2_ck_say(
				c,
				"ERROR cluster %llu has %llu references, more than %u-bit refcounts hold",
				(unsigned long long)i, (unsigned long long)v,
				1U << q->refcount_order);
			c->r->check_errors++;
			v = max;
		}
		qcow2_rc_set(q, blk + (i / per) * q->cs, i % per, v);
	}
}

/*
 * Write a new refcount table and blocks at the end of the file holding the
 * computed refcounts (and their own), then switch the header to them: the
 * repair of a refcount table or blocks that cannot be used in place.
 */
int qcow2_ck_rebuild_refcounts(struct ck *c)
{
	struct qcow2 *q = c->q;
	uint64_t per = 1ULL << q->rb_bits, P = c->nb, k = 0, t = 0, *tbl;
	uint8_t *blk;
	int ret;

	qcow2_ck_say(c, "Rebuilding refcount structure");
	for (;;) {
		uint64_t nk = (P + k + t + per - 1) / per;
		uint64_t nt = ALIGN_UP(nk * 8, q->cs) >> q->cluster_bits;

		if (nk == k && nt == t)
			break;
		k = nk;
		t = nt;
	}
	if (t * q->cs > QCOW2_MAX_RCT_BYTES)
		return blk_error(
			EFBIG, "refcount table of '%s' would exceed %llu bytes",
			q->b->filename, QCOW2_MAX_RCT_BYTES);
	ret = qcow2_check_write(q, QC_OV_RCT | QC_OV_REFBLOCK, P * q->cs,
				(k + t) * q->cs, "refcount rebuild");
	if (ret < 0)
		return ret;
	blk = calloc(k, q->cs);
	tbl = calloc(t, q->cs);
	if (!blk || !tbl) {
		free(blk);
		free(tbl);
		return -ENOMEM;
	}
	drop_old_refs(c);
	fill_blocks(c, blk, P, P + k + t);
	for (uint64_t j = 0; j < k; j++)
		qput64(&tbl[j], (P + j) << q->cluster_bits);
	if (blk_io_pwrite(q->fd, blk, k * q->cs, P * q->cs) < 0 ||
	    blk_io_pwrite(q->fd, tbl, t * q->cs, (P + k) * q->cs) < 0 ||
	    blk_datasync(q->b) < 0) {
		free(blk);
		free(tbl);
		return blk_error(errno, "cannot write new refcounts of '%s'",
				 q->b->filename);
	}
	free(blk);
	qcow2_cache_drop_all(q->rcc);
	free(q->rct);
	q->rct = tbl;
	q->rct_entries = t * q->cs / 8;
	for (uint64_t j = 0; j < q->rct_entries; j++)
		tbl[j] = qbe64(&tbl[j]);
	q->rct_offset = (P + k) << q->cluster_bits;
	q->rct_clusters = t;
	q->rct_dirty = q->rct_outside = false;
	q->nr_bad_rb = 0;
	q->host_end = MAX(q->host_end, (P + k + t) << q->cluster_bits);
	q->free_hint = 0;
	ret = qcow2_write_header(q);
	if (!ret && blk_datasync(q->b) < 0)
		ret = -errno;
	c->r->corruptions_fixed += c->r->corruptions;
	c->r->leaks_fixed += c->r->leaks;
	c->r->corruptions = c->r->leaks = 0;
	return ret;
}
