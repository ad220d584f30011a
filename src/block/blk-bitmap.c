// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Persistent dirty bitmaps: the public front (blk.h) that checks the
 * format, the arguments and the image's state, and takes the qcow2 lock
 * around the driver's bitmap functions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/blk-driver.h"
#include "block/qcow2.h"
#include "common/bitmap.h"
#include "common/util.h"

#define WHAT "persistent bitmaps"

void blk_bitmap_list_free(struct blk_bitmap_info *l, int n)
{
	for (int i = 0; l && i < n; i++)
		free(l[i].name);
	free(l);
}

int blk_bitmap_list(struct blk *b, struct blk_bitmap_info **out)
{
	struct blk_bitmap_info *l;
	struct qcow2 *q;
	int n;

	*out = NULL;
	if (b->drv->format != BLK_FMT_QCOW2)
		return 0;
	q = blk_lock_qcow2(b, WHAT);
	n = (int)q->nr_bms;
	l = calloc(n ? n : 1, sizeof(*l));
	for (int i = 0; l && i < n; i++) {
		const struct qcow2_bitmap *m = &q->bms[i];

		l[i].name = strdup(m->name);
		l[i].granularity = 1ULL << m->gran_bits;
		l[i].flags = m->flags;
		l[i].usable = !m->extra_len || (m->flags & QC_BM_EXTRA_COMPAT);
		if (!l[i].name) {
			blk_bitmap_list_free(l, i);
			l = NULL;
		}
	}
	blk_unlock_qcow2(q);
	if (!l)
		return -ENOMEM;
	*out = l;
	return n;
}

/*
 * b's qcow2 state, locked, with bitmap @name's index in *idx; NULL (error
 * set) for a raw image or no such bitmap.  @rw: the caller changes it.
 */
static struct qcow2 *find(struct blk *b, const char *name, bool rw, int *idx)
{
	struct qcow2 *q = blk_lock_qcow2(b, WHAT);

	*idx = -ENOTSUP;
	if (!q)
		return NULL;
	*idx = qcow2_bitmap_find(q, name);
	if (*idx < 0) {
		blk_error(ENOENT, "image '%s' has no bitmap named '%s'",
			  b->filename, name);
	} else if (rw && !q->rw) {
		blk_error(EROFS,
			  "cannot change bitmap '%s': image '%s' is read-only",
			  name, b->filename);
		*idx = -EROFS;
	} else {
		return q;
	}
	blk_unlock_qcow2(q);
	return NULL;
}

/* Check add's arguments against image @q; gran_bits in *gb. */
static int check_add(struct qcow2 *q, const char *name, uint64_t gran,
		     unsigned *gb)
{
	const char *f = q->b->filename;

	if (!q->rw)
		return blk_error(EROFS,
				 "cannot add a bitmap: '%s' is read-only", f);
	if (q->version < 3)
		return blk_error(
			ENOTSUP,
			"'%s' is qcow2 compat=0.10, which cannot hold bitmaps; upgrade it with 'wirt-img amend -o compat=1.1'",
			f);
	if (!*name || strlen(name) > QC_BM_MAX_NAME)
		return blk_error(EINVAL,
				 "bitmap name must be 1 to 1023 bytes long");
	if (qcow2_bitmap_find(q, name) >= 0)
		return blk_error(EEXIST, "'%s' already has a bitmap named '%s'",
				 f, name);
	if (!gran)
		gran = MAX(q->cs, 4096ULL);
	if (gran < 512 || gran > (2ULL << 30) || (gran & (gran - 1)))
		return blk_error(
			EINVAL,
			"bitmap granularity %llu must be a power of two from 512 to 2G",
			(unsigned long long)gran);
	if (!q->size)
		return blk_error(EINVAL, "'%s' has size 0: nothing to track",
				 f);
	*gb = __builtin_ctzll(gran);
	return 0;
}

int blk_bitmap_add(struct blk *b, const char *name, uint64_t granularity,
		   bool disabled)
{
	struct qcow2 *q = blk_lock_qcow2(b, WHAT);
	unsigned gb = 0;
	int ret;

	if (!q)
		return -ENOTSUP;
	ret = check_add(q, name, granularity, &gb);
	if (!ret)
		ret = qcow2_bitmap_add(q, name, gb, disabled ? 0 : QC_BM_AUTO);
	blk_unlock_qcow2(q);
	return ret;
}

int blk_bitmap_remove(struct blk *b, const char *name)
{
	int i, ret;
	struct qcow2 *q = find(b, name, true, &i);

	if (!q)
		return i < 0 ? i : -ENOENT;
	qcow2_bitmap_track_flush(q, name, false);
	ret = qcow2_bitmap_remove(q, qcow2_bitmap_find(q, name));
	blk_unlock_qcow2(q);
	return ret;
}

int blk_bitmap_clear(struct blk *b, const char *name)
{
	int i, ret;
	struct qcow2 *q = find(b, name, true, &i);

	if (!q)
		return i < 0 ? i : -ENOENT;
	qcow2_bitmap_track_flush(q, name, false);
	ret = qcow2_bitmap_store(q, i, NULL, 0, QC_BM_IN_USE);
	blk_unlock_qcow2(q);
	return ret;
}

int blk_bitmap_enable(struct blk *b, const char *name, bool enable)
{
	int i, ret;
	struct qcow2 *q = find(b, name, true, &i);

	if (!q)
		return i < 0 ? i : -ENOENT;
	ret = qcow2_bitmap_track_flush(q, name, true);
	if (!ret)
		ret = qcow2_bitmap_set_flags(q, i, enable ? QC_BM_AUTO : 0,
					     enable ? 0 : QC_BM_AUTO);
	blk_unlock_qcow2(q);
	return ret;
}

int blk_bitmap_load(struct blk *b, const char *name, struct bitmap **out)
{
	int i, ret;
	struct qcow2 *q = find(b, name, false, &i);

	if (!q)
		return i < 0 ? i : -ENOENT;
	ret = qcow2_bitmap_track_copy(q, name, out);
	if (ret == -ENOENT)
		ret = qcow2_bitmap_load(q, i, out);
	blk_unlock_qcow2(q);
	return ret;
}

int blk_bitmap_store(struct blk *b, const char *name, const struct bitmap *bm,
		     bool in_use)
{
	int i, ret;
	struct qcow2 *q = find(b, name, true, &i);

	if (!q)
		return i < 0 ? i : -ENOENT;
	qcow2_bitmap_track_flush(q, name, false);
	ret = qcow2_bitmap_store(q, i, bm, in_use ? QC_BM_IN_USE : 0,
				 in_use ? 0 : QC_BM_IN_USE);
	blk_unlock_qcow2(q);
	return ret;
}

int blk_bitmap_set_in_use(struct blk *b, const char *name, bool in_use)
{
	int i, ret;
	struct qcow2 *q = find(b, name, true, &i);

	if (!q)
		return i < 0 ? i : -ENOENT;
	ret = qcow2_bitmap_track_flush(q, name, !in_use);
	if (!ret)
		ret = qcow2_bitmap_set_flags(q, i, in_use ? QC_BM_IN_USE : 0,
					     in_use ? 0 : QC_BM_IN_USE);
	blk_unlock_qcow2(q);
	return ret;
}

int blk_bitmap_merge(struct blk *b, const char *dst, const char *src)
{
	struct bitmap *s = NULL, *d = NULL;
	int ret = blk_bitmap_load(b, src, &s);

	if (!ret)
		ret = blk_bitmap_load(b, dst, &d);
	/* granule by granule, so that the granularities may differ */
	for (uint64_t o = 0; !ret && (o = bitmap_next_dirty(s, o)) < s->size;) {
		uint64_t e = bitmap_next_clean(s, o);

		bitmap_set_range(d, o, e - o);
		o = e;
	}
	if (!ret)
		ret = blk_bitmap_store(b, dst, d, false);
	bitmap_free(s);
	bitmap_free(d);
	return ret;
}
