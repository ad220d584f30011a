// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 consistency check: rebuild every cluster's reference count from the
 * metadata, compare with the stored refcounts, optionally repair.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "block/qcow2-check.h"
#include "common/util.h"

#define MAX_CHECK_CLUSTERS (1ULL << 27)

void qcow2_ck_say(struct ck *c, const char *fmt, ...)
{
	char m[300];
	va_list ap;

	if (!c->log)
		return;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	c->log(m);
}

/*
 * Count @w references to [off, off+len); false (and an error) if outside
 * the file.
 */
static bool ref_n(struct ck *c, uint64_t off, uint64_t len, const char *what,
		  uint32_t w)
{
	struct qcow2 *q = c->q;

	if (!len)
		return true;
	if (off + len > c->nb * q->cs || off + len < off) {
		qcow2_ck_say(c,
			     "ERROR %s at 0x%llx is past the end of the file",
			     what, (unsigned long long)off);
		c->r->corruptions += w;
		return false;
	}
	for (uint64_t i = off >> q->cluster_bits;
	     i <= (off + len - 1) >> q->cluster_bits; i++)
		c->ref[i] =
			c->ref[i] > UINT32_MAX - w ? UINT32_MAX : c->ref[i] + w;
	return true;
}

static bool ref(struct ck *c, uint64_t off, uint64_t len, const char *what)
{
	return ref_n(c, off, len, what, 1);
}

/*
 * Walk the L2 table at @l2, referenced @w times (@act of them from the
 * active L1 table): each data cluster gets @w references, statistics are
 * counted @act times.  A table referenced many times is read once.
 */
static void walk_l2(struct ck *c, const uint64_t *t, uint32_t w, uint32_t act)
{
	struct qcow2 *q = c->q;
	uint64_t ents = 1ULL << q->l2_bits, prev = 0;

	for (uint64_t j = 0; j < ents; j++) {
		uint64_t e = qbe64(&t[j]), off, len = q->cs;
		enum qc_type ty = qcow2_entry_type(q, e);

		if (ty == QC_UNALLOC || ty == QC_ZERO_PLAIN)
			continue;
		if (ty == QC_COMP) {
			qcow2_comp_range(q, e, &off, &len);
			c->r->compressed_clusters += act;
		} else {
			off = e & QC_OFFSET_MASK;
			if (off & (q->cs - 1)) {
				qcow2_ck_say(
					c,
					"ERROR data cluster offset 0x%llx unaligned",
					(unsigned long long)off);
				c->r->corruptions += w;
				continue;
			}
		}
		c->r->allocated_clusters += act;
		/* compressed clusters always count as fragmented */
		if (ty == QC_COMP || (prev && off != prev))
			c->r->fragmented_clusters += act;
		prev = ty == QC_COMP ? 0 : off + len;
		ref_n(c, off, len, "data cluster", w);
	}
}

/*
 * Note the L2 tables of one L1 table in c->l2s (offset | 1 when active);
 * the table's own clusters are counted by the caller.
 */
static int note_l1(struct ck *c, const uint64_t *l1, uint32_t n, bool active)
{
	struct qcow2 *q = c->q;

	if (n > c->budget)
		return blk_error(
			EFBIG,
			"cannot check '%s': its L1 tables hold more entries than the file has room for (they overlap); the image is corrupt",
			q->b->filename);
	c->budget -= n;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t l2 = l1[i] & QC_OFFSET_MASK;

		if (!l2)
			continue;
		if (l2 & (q->cs - 1)) {
			qcow2_ck_say(
				c,
				"ERROR L2 table offset 0x%llx unaligned (L1 index %u)",
				(unsigned long long)l2, i);
			c->r->corruptions++;
			continue;
		}
		if (!ref(c, l2, q->cs, "L2 table"))
			continue;
		c->l2s[c->nl2s++] = l2 | active;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Walk each distinct L2 table noted once, weighted by its references. */
static int walk_l2s(struct ck *c)
{
	struct qcow2 *q = c->q;
	uint64_t *t = malloc(q->cs);

	if (!t)
		return -ENOMEM;
	qsort(c->l2s, c->nl2s, sizeof(*c->l2s), cmp_u64);
	for (size_t i = 0, j; i < c->nl2s; i = j) {
		uint64_t off = c->l2s[i] & ~1ULL;
		uint32_t act = 0;

		for (j = i; j < c->nl2s && (c->l2s[j] & ~1ULL) == off; j++)
			act += c->l2s[j] & 1;
		if (pread_full(q->fd, t, q->cs, off) != (ssize_t)q->cs) {
			c->r->check_errors++;
			continue;
		}
		walk_l2(c, t, (uint32_t)MIN(j - i, (size_t)UINT32_MAX), act);
	}
	free(t);
	return 0;
}

static int read_l1(struct qcow2 *q, uint64_t off, uint32_t n, uint64_t **out)
{
	uint64_t *t = calloc(n + 1ULL, 8);

	if (!t)
		return -ENOMEM;
	if (n && pread_full(q->fd, t, n * 8ULL, off) != n * 8LL) {
		free(t);
		return -EIO;
	}
	for (uint32_t i = 0; i < n; i++)
		t[i] = qbe64(&t[i]);
	*out = t;
	return 0;
}

/* Note the L2 tables of every snapshot's L1 table. */
static int note_snapshots(struct ck *c)
{
	struct qcow2 *q = c->q;
	int ret;

	for (uint32_t s = 0; s < q->nr_snaps; s++) {
		uint64_t *l1;

		if (!ref(c, q->snaps[s].l1_offset, q->snaps[s].l1_size * 8ULL,
			 "snapshot L1 table"))
			continue;
		if (q->snaps[s].l1_size > c->budget)
			return note_l1(c, NULL, q->snaps[s].l1_size, false);
		ret = read_l1(q, q->snaps[s].l1_offset, q->snaps[s].l1_size,
			      &l1);
		if (ret < 0)
			return ret;
		ret = note_l1(c, l1, q->snaps[s].l1_size, false);
		free(l1);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * Note the bitmap directory, every bitmap table and its data clusters.  A
 * table that cannot be read or has bad entries counts as a corruption.
 */
static void note_bitmaps(struct ck *c)
{
	struct qcow2 *q = c->q;

	if (q->nr_bms)
		ref(c, q->bmdir_offset, q->bmdir_size, "bitmap directory");
	for (uint32_t i = 0; i < q->nr_bms; i++) {
		const struct qcow2_bitmap *b = &q->bms[i];
		uint64_t *t;

		if (!ref(c, b->table_offset, b->table_size * 8ULL,
			 "bitmap table"))
			continue;
		if (qcow2_bitmap_read_table(q, i, &t) < 0) {
			qcow2_ck_say(c, "ERROR bitmap '%s': %s", b->name,
				     blk_last_error());
			c->r->corruptions++;
			continue;
		}
		for (uint32_t j = 0; j < b->table_size; j++)
			if (t[j] & QC_BME_OFFSET_MASK)
				ref(c, t[j] & QC_BME_OFFSET_MASK, q->cs,
				    "bitmap data");
		free(t);
	}
}

/*
 * Count every reference.  The work is bounded by the file's size: L1
 * entries beyond what the file can hold are refused, and each distinct L2
 * table is read once however often it is referenced.
 */
static int count_refs(struct ck *c)
{
	struct qcow2 *q = c->q;
	uint64_t snap_ents = 0;
	int ret;

	for (uint32_t s = 0; s < q->nr_snaps; s++)
		snap_ents += q->snaps[s].l1_size;
	c->budget = c->fsize / 8 + (1ULL << 20);
	c->l2s = malloc((MIN(q->l1_size + snap_ents, c->budget) + 1) * 8);
	if (!c->l2s)
		return -ENOMEM;
	ref(c, 0, q->cs, "header");
	ref(c, q->l1_offset, q->l1_size * 8ULL, "L1 table");
	ret = note_l1(c, q->l1, q->l1_size, true);
	if (ret < 0)
		return ret;
	ref(c, q->rct_offset, (uint64_t)q->rct_clusters * q->cs,
	    "refcount table");
	for (uint64_t i = 0; i < q->rct_entries; i++)
		if (q->rct[i])
			ref(c, q->rct[i], q->cs, "refcount block");
	ref(c, q->snaps_offset, q->snaps_size, "snapshot table");
	note_bitmaps(c);
	ret = note_snapshots(c);
	return ret < 0 ? ret : walk_l2s(c);
}

/* The largest refcount the image's refcount width holds. */
uint64_t qcow2_rc_limit(struct qcow2 *q)
{
	return q->refcount_order == 6 ? UINT64_MAX :
					(1ULL << (1U << q->refcount_order)) - 1;
}

/* Compare the stored and computed refcount of cluster @i; repair it. */
static int compare_one(struct ck *c, uint64_t i, enum blk_repair repair,
		       uint64_t *last)
{
	struct qcow2 *q = c->q;
	uint64_t rc, want = i < c->nb ? c->ref[i] : 0;
	bool leak, fix;
	int ret;

	ret = qcow2_get_refcount(q, i, &rc);
	if (ret < 0)
		return ret;
	if (want || rc)
		*last = i;
	if (rc == want)
		return 0;
	leak = rc > want;
	fix = repair >= (leak ? BLK_REPAIR_LEAKS : BLK_REPAIR_ALL);
	if (want > qcow2_rc_limit(q)) {
		qcow2_ck_say(
			c,
			"ERROR cluster %llu has %llu references, more than %u-bit refcounts hold; convert the image to a clean copy",
			(unsigned long long)i, (unsigned long long)want,
			1U << q->refcount_order);
		c->r->corruptions++;
		return 0;
	}
	qcow2_ck_say(c, "%s cluster %llu refcount=%llu reference=%llu",
		     fix ? "Repairing" : (leak ? "Leaked" : "ERROR"),
		     (unsigned long long)i, (unsigned long long)rc,
		     (unsigned long long)want);
	if (fix) {
		ret = qcow2_set_refcount(q, i, want);
		if (ret < 0)
			return ret;
		if (leak)
			c->r->leaks_fixed++;
		else
			c->r->corruptions_fixed++;
	} else if (leak) {
		c->r->leaks++;
	} else {
		c->r->corruptions++;
	}
	return 0;
}

/*
 * Compare stored and computed refcounts; repair as allowed.  Past the end
 * of the file only refcount blocks not seen before are looked at, so a
 * table repeating one block costs no more than the file's size.
 */
static int compare(struct ck *c, enum blk_repair repair)
{
	struct qcow2 *q = c->q;
	uint64_t last = 0, nblk = (c->nb >> q->rb_bits) + 1;
	uint8_t *seen = calloc(c->nb / 8 + 1, 1);
	int ret = 0;

	if (!seen)
		return -ENOMEM;
	for (uint64_t bi = 0; bi < MIN(nblk, q->rct_entries); bi++)
		if (q->rct[bi] && (q->rct[bi] >> q->cluster_bits) < c->nb)
			seen[(q->rct[bi] >> q->cluster_bits) / 8] |=
				1 << ((q->rct[bi] >> q->cluster_bits) % 8);
	for (uint64_t i = 0; i < c->nb && !ret; i++) {
		uint64_t bi = i >> q->rb_bits;

		/* no refcount block and no reference: both are 0 */
		if ((bi >= q->rct_entries || !q->rct[bi]) && !c->ref[i])
			continue;
		ret = compare_one(c, i, repair, &last);
	}
	for (uint64_t bi = nblk - 1; bi < q->rct_entries && !ret; bi++) {
		uint64_t cl = q->rct[bi] >> q->cluster_bits;
		uint64_t i = MAX(bi << q->rb_bits, c->nb);

		if (!q->rct[bi] || cl >= c->nb ||
		    (bi >= nblk && (seen[cl / 8] & (1 << (cl % 8)))))
			continue;
		seen[cl / 8] |= 1 << (cl % 8);
		for (; i < (bi + 1) << q->rb_bits && !ret; i++)
			ret = compare_one(c, i, repair, &last);
	}
	free(seen);
	c->r->image_end_offset = (last + 1) * q->cs;
	return ret;
}

/* Compare refcounts, or rebuild them when the table cannot be used. */
static int compare_or_rebuild(struct ck *c, enum blk_repair repair)
{
	struct qcow2 *q = c->q;
	int ret;

	qcow2_ck_report_bad_refblocks(c);
	if (!q->rw || repair < BLK_REPAIR_ALL ||
	    (!q->rct_outside && !q->nr_bad_rb))
		return compare(c, q->rw ? repair : BLK_REPAIR_NONE);
	ret = compare(c, BLK_REPAIR_NONE);
	return ret < 0 ? ret : qcow2_ck_rebuild_refcounts(c);
}

int qcow2_check(struct qcow2 *q, enum blk_repair repair,
		struct blk_check_result *r, void (*log)(const char *msg))
{
	struct ck c = { .q = q, .r = r, .log = log };
	struct stat st;
	int ret;

	memset(r, 0, sizeof(*r));
	r->total_clusters = (q->size + q->cs - 1) >> q->cluster_bits;
	if (fstat(q->fd, &st) < 0)
		return -errno;
	if (q->rw) {
		ret = qcow2_flush_meta(q);
		if (ret < 0)
			return ret;
	}
	c.fsize = MAX((uint64_t)st.st_size, q->host_end);
	c.nb = ALIGN_UP(c.fsize, q->cs) >> q->cluster_bits;
	if (c.nb > MAX_CHECK_CLUSTERS)
		return blk_error(EFBIG, "'%s' has too many clusters to check",
				 q->b->filename);
	c.ref = calloc(c.nb + 1, sizeof(*c.ref));
	if (!c.ref)
		return -ENOMEM;
	ret = count_refs(&c);
	if (!ret)
		ret = compare_or_rebuild(&c, repair);
	if (!ret)
		ret = qcow2_ck_check_copied(&c,
					    q->rw ? repair : BLK_REPAIR_NONE);
	if (!ret && q->rw && repair) {
		ret = qcow2_flush_meta(q);
		if (!ret)
			ret = qcow2_flush_meta(q);
		if (!ret && !r->corruptions &&
		    (q->incompat & (QC_INCOMPAT_CORRUPT | QC_INCOMPAT_DIRTY))) {
			q->incompat &=
				~(QC_INCOMPAT_CORRUPT | QC_INCOMPAT_DIRTY);
			ret = qcow2_write_header(q);
		}
	}
	free(c.ref);
	free(c.l2s);
	return ret;
}
