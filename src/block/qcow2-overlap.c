// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 metadata overlap check (QEMU's overlap-check=cached): every write is
 * checked against the clusters that hold metadata (header, L1 table,
 * refcount table and blocks, active L2 tables, snapshot table and snapshot
 * L1 tables).  The set is a sorted array of cluster ranges, rebuilt from the
 * in-memory tables when they changed; a lookup is a binary search.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"
#include "common/util.h"

struct qc_ovrange {
	uint64_t start, end; /* cluster indexes, end exclusive */
	uint64_t maxend; /* largest end of this and all earlier ranges */
	unsigned kind;
};

struct qc_ovset {
	struct qc_ovrange *r;
	size_t n, max;
};

void qcow2_meta_changed(struct qcow2 *q)
{
	q->ov_stale = true;
}

void qcow2_overlap_free(struct qcow2 *q)
{
	if (q->ov)
		free(q->ov->r);
	free(q->ov);
	q->ov = NULL;
}

const char *qcow2_ov_name(unsigned kind)
{
	switch (kind) {
	case QC_OV_HEADER:
		return "the header";
	case QC_OV_L1:
		return "the active L1 table";
	case QC_OV_RCT:
		return "the refcount table";
	case QC_OV_REFBLOCK:
		return "a refcount block";
	case QC_OV_L2:
		return "an active L2 table";
	case QC_OV_SNAPTBL:
		return "the snapshot table";
	case QC_OV_SNAPL1:
		return "a snapshot's L1 table";
	case QC_OV_BITMAPDIR:
		return "the bitmap directory";
	case QC_OV_BITMAPTBL:
		return "a bitmap table";
	}
	return "metadata";
}

/* Append the clusters holding [off, off+len) as @kind; -ENOMEM on failure. */
static int add(struct qcow2 *q, struct qc_ovset *s, unsigned kind, uint64_t off,
	       uint64_t len)
{
	uint64_t end;

	if (!len)
		return 0;
	end = off + len < off ? UINT64_MAX : off + len;
	if (s->n == s->max) {
		size_t m = s->max ? s->max * 2 : 64;
		struct qc_ovrange *r = realloc(s->r, m * sizeof(*r));

		if (!r)
			return -ENOMEM;
		s->r = r;
		s->max = m;
	}
	s->r[s->n].start = off >> q->cluster_bits;
	s->r[s->n].end = ((end - 1) >> q->cluster_bits) + 1;
	s->r[s->n].kind = kind;
	s->n++;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct qc_ovrange *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Add the clusters named by the first @n entries of @tbl (masked with
 * @mask, zero meaning none) as @kind, each distinct cluster once: a table
 * naming one cluster millions of times costs one sort, not millions of
 * ranges.
 */
static int add_table(struct qcow2 *q, struct qc_ovset *s, unsigned kind,
		     const uint64_t *tbl, uint64_t n, uint64_t mask)
{
	uint64_t k = 0, *t;
	int ret = 0;

	if (!tbl || !n)
		return 0;
	t = malloc(n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++)
		if (tbl[i] & mask)
			t[k++] = tbl[i] & mask;
	qsort(t, k, sizeof(*t), cmp_u64);
	for (uint64_t i = 0; i < k && !ret; i++)
		if (!i || t[i] != t[i - 1])
			ret = add(q, s, kind, t[i], q->cs);
	free(t);
	return ret;
}

/* Collect every metadata range of the image into @s (unsorted). */
static int collect(struct qcow2 *q, struct qc_ovset *s)
{
	uint64_t cover = q->cs << q->l2_bits;
	int ret = add(q, s, QC_OV_HEADER, 0, q->cs);

	if (!ret)
		ret = add(q, s, QC_OV_L1, q->l1_offset, q->l1_size * 8ULL);
	if (!ret)
		ret = add(q, s, QC_OV_RCT, q->rct_offset,
			  (uint64_t)q->rct_clusters * q->cs);
	if (!ret)
		ret = add_table(q, s, QC_OV_REFBLOCK, q->rct, q->rct_entries,
				UINT64_MAX);
	/* L2 tables: those of the L1 entries covering the virtual size */
	if (!ret)
		ret = add_table(q, s, QC_OV_L2, q->l1,
				MIN((uint64_t)q->l1_size,
				    (q->size + cover - 1) / cover),
				QC_OFFSET_MASK);
	if (!ret && q->nr_snaps)
		ret = add(q, s, QC_OV_SNAPTBL, q->snaps_offset, q->snaps_size);
	for (uint32_t i = 0; !ret && q->snaps && i < q->nr_snaps; i++)
		ret = add(q, s, QC_OV_SNAPL1, q->snaps[i].l1_offset,
			  q->snaps[i].l1_size * 8ULL);
	if (!ret && q->nr_bms)
		ret = add(q, s, QC_OV_BITMAPDIR, q->bmdir_offset,
			  q->bmdir_size);
	for (uint32_t i = 0; !ret && i < q->nr_bms; i++)
		ret = add(q, s, QC_OV_BITMAPTBL, q->bms[i].table_offset,
			  q->bms[i].table_size * 8ULL);
	return ret;
}

/* Rebuild the set from the in-memory tables: sorted, duplicates dropped. */
static int rebuild(struct qcow2 *q)
{
	struct qc_ovset *s = q->ov;
	uint64_t maxend = 0;
	size_t k = 0;
	int ret;

	if (!s) {
		s = q->ov = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
	}
	s->n = 0;
	q->ov_confirmed = false;
	ret = collect(q, s);
	if (ret < 0) {
		s->n = 0;
		return ret;
	}
	qsort(s->r, s->n, sizeof(*s->r), cmp_range);
	for (size_t i = 0; i < s->n; i++) {
		if (k && !cmp_range(&s->r[k - 1], &s->r[i]))
			continue;
		s->r[k] = s->r[i];
		maxend = MAX(maxend, s->r[k].end);
		s->r[k++].maxend = maxend;
	}
	s->n = k;
	q->ov_stale = false;
	return 0;
}

/* Kind of the first range in the set overlapping clusters [a, b), or 0. */
static unsigned lookup(struct qcow2 *q, unsigned ign, uint64_t a, uint64_t b)
{
	const struct qc_ovset *s = q->ov;
	size_t lo = 0, hi = s->n;

	/* lo: number of ranges starting before b */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->r[mid].start < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0 && s->r[i].maxend > a;)
		if (s->r[i].end > a && !(s->r[i].kind & ign))
			return s->r[i].kind;
	return 0;
}

/*
 * Which metadata (a QC_OV_* bit not in @ign) do the clusters holding
 * [off, off+len) overlap?  Returns that bit, 0 for none, or -errno.  A hit
 * is confirmed against a freshly built set (once per build), so a set
 * that missed a change never reports a cluster that stopped being
 * metadata.
 */
int qcow2_overlap(struct qcow2 *q, unsigned ign, uint64_t off, uint64_t len)
{
	bool fresh = false;
	uint64_t a, b;
	unsigned k;
	int ret;

	if (!len)
		return 0;
	a = off >> q->cluster_bits;
	b = off + len < off ? UINT64_MAX :
			      ((off + len - 1) >> q->cluster_bits) + 1;
	if (q->ov_stale || !q->ov) {
		ret = rebuild(q);
		if (ret < 0)
			return ret;
		fresh = true;
	}
	k = lookup(q, ign, a, b);
	if (!k || fresh || q->ov_confirmed)
		return (int)k;
	ret = rebuild(q);
	if (ret < 0)
		return ret;
	q->ov_confirmed = true; /* until the next rebuild */
	return (int)lookup(q, ign, a, b);
}

/*
 * Refuse a write of [off, off+len) (@what, for the message) that would land
 * on metadata other than @ign: the image is marked corrupt and -EIO
 * returned.  0 when the write is safe.
 */
int qcow2_check_write(struct qcow2 *q, unsigned ign, uint64_t off, uint64_t len,
		      const char *what)
{
	int k = qcow2_overlap(q, ign, off, len);

	if (k <= 0)
		return k;
	return qcow2_mark_corrupt(
		q,
		"%s at 0x%llx (%llu bytes) would overwrite %s; write refused",
		what, (unsigned long long)off, (unsigned long long)len,
		qcow2_ov_name(k));
}
