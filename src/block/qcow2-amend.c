// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 header changes in place: the backing file (rebase) and the
 * version and lazy refcounts (amend).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

/* Write the changed header durably, after the metadata it refers to. */
static int commit_header(struct qcow2 *q)
{
	int ret = qcow2_flush_meta(q);

	if (!ret)
		ret = qcow2_write_header(q);
	if (!ret && blk_datasync(q->b) < 0)
		ret = -errno;
	return ret;
}

int qcow2_set_backing(struct qcow2 *q, const char *file, const char *fmt)
{
	bool none = !file || !*file;

	free(q->backing_file);
	free(q->backing_fmt);
	q->backing_file = none ? NULL : strdup(file);
	q->backing_fmt = !none && fmt ? strdup(fmt) : NULL;
	return commit_header(q);
}

/* Is any active L2 entry a v3 zero cluster?  1, 0, or -EIO. */
static int has_zero_clusters(struct qcow2 *q)
{
	uint64_t ents = 1ULL << q->l2_bits;

	for (uint32_t i = 0; i < q->l1_size; i++) {
		uint64_t l2 = q->l1[i] & QC_OFFSET_MASK, *t;
		bool z = false;

		if (!l2)
			continue;
		if (qcow2_cache_get(q->l2c, l2, (void **)&t) < 0)
			return -EIO;
		for (uint64_t j = 0; j < ents; j++)
			if (!(qbe64(&t[j]) & QC_COMPRESSED) &&
			    (qbe64(&t[j]) & QC_ZERO))
				z = true;
		qcow2_cache_put(q->l2c, t);
		if (z)
			return 1;
	}
	return 0;
}

/* Turn a v3 image into v2 when nothing in it needs v3. */
static int downgrade(struct qcow2 *q, const struct blk_amend_opts *o)
{
	if (q->nr_bms)
		return blk_error(
			EINVAL,
			"'%s' has persistent bitmaps, which need compat=1.1; remove them first (wirt-img bitmap --remove)",
			q->b->filename);
	if (q->refcount_order != 4 || q->compression_type ||
	    ((q->compat & QC_COMPAT_LAZY) && o->lazy_refcounts != 0))
		return blk_error(
			EINVAL,
			"'%s' uses v3-only features (lazy refcounts, zstd, refcount width); turn them off first",
			q->b->filename);
	if (has_zero_clusters(q))
		return blk_error(
			EINVAL,
			"'%s' holds zero clusters, which v2 cannot express; use convert -o compat=0.10",
			q->b->filename);
	q->version = 2;
	q->compat = q->autoclear = 0;
	q->incompat = 0;
	return 0;
}

int qcow2_amend(struct qcow2 *q, const struct blk_amend_opts *o)
{
	int ret = 0;

	if (o->compat == 2 && q->version == 3)
		ret = downgrade(q, o);
	else if (o->compat == 3)
		q->version = 3;
	if (ret)
		return ret;
	if (o->lazy_refcounts == 1 && q->version < 3)
		return blk_error(EINVAL, "lazy_refcounts needs compat=1.1");
	if (o->lazy_refcounts == 1)
		q->compat |= QC_COMPAT_LAZY;
	else if (o->lazy_refcounts == 0)
		q->compat &= ~QC_COMPAT_LAZY;
	return commit_header(q);
}
