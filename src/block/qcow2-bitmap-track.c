// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 persistent bitmaps kept up to date by the library itself, as
 * QEMU's block layer does for any writer: at the first write to an image
 * opened writable, every enabled consistent bitmap is loaded into memory
 * and marked in use on disk; every write marks its granules; closing the
 * image stores them clean.  A writer that tracks bitmaps itself (wirt-vmm)
 * marks them in use before it writes, and the library leaves them alone.
 * A bitmap the library cannot load (too large, unreadable) is only marked
 * in use: inconsistent, never silently wrong.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"
#include "common/bitmap.h"
#include "common/util.h"

/* One bitmap the library tracks. */
struct qc_bm_track {
	char *name;
	struct bitmap *bm;
};

/* Index of tracked bitmap @name in q->trk, or -1. */
static int tracked(struct qcow2 *q, const char *name)
{
	for (uint32_t i = 0; i < q->nr_trk; i++)
		if (!strcmp(q->trk[i].name, name))
			return (int)i;
	return -1;
}

/* Stop tracking entry @t of q->trk (freed). */
static void drop(struct qcow2 *q, int t)
{
	free(q->trk[t].name);
	bitmap_free(q->trk[t].bm);
	q->trk[t] = q->trk[--q->nr_trk];
	__atomic_store_n(&q->bm_tracking, q->nr_trk > 0, __ATOMIC_RELEASE);
}

/* Load bitmap @i into q->trk; false when it cannot be (it stays untracked). */
static bool track_one(struct qcow2 *q, uint32_t i)
{
	struct qc_bm_track *n;
	struct bitmap *bm;

	if (qcow2_bitmap_load(q, i, &bm) < 0)
		return false;
	n = realloc(q->trk, (q->nr_trk + 1) * sizeof(*n));
	if (n)
		q->trk = n;
	if (!n || !(n[q->nr_trk].name = strdup(q->bms[i].name))) {
		bitmap_free(bm);
		return false;
	}
	n[q->nr_trk++].bm = bm;
	return true;
}

int qcow2_bitmap_untracked_write(struct qcow2 *q)
{
	struct qcow2_bitmap *n;
	int ret;

	if (!q->bm_guard)
		return 0;
	for (uint32_t i = 0; i < q->nr_bms; i++)
		if ((q->bms[i].flags & (QC_BM_AUTO | QC_BM_IN_USE)) ==
			    QC_BM_AUTO &&
		    tracked(q, q->bms[i].name) < 0 && !track_one(q, i))
			wirt_warn(
				"qcow2 image '%s': bitmap '%s' cannot be kept up to date (%s); it is marked inconsistent",
				q->b->filename, q->bms[i].name,
				blk_last_error());
	n = qcow2_bitmap_copy_dir(q);
	if (!n)
		return -ENOMEM;
	for (uint32_t i = 0; i < q->nr_bms; i++)
		if (n[i].flags & QC_BM_AUTO)
			n[i].flags |= QC_BM_IN_USE;
	ret = qcow2_write_bitmaps(q, n, q->nr_bms);
	if (ret < 0)
		qcow2_bitmap_array_free(n, q->nr_bms);
	__atomic_store_n(&q->bm_tracking, q->nr_trk > 0, __ATOMIC_RELEASE);
	return ret;
}

void qcow2_bitmap_track_write(struct qcow2 *q, uint64_t off, uint64_t len)
{
	if (!__atomic_load_n(&q->bm_tracking, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&q->lock);
	for (uint32_t i = 0; i < q->nr_trk; i++)
		bitmap_set_range(q->trk[i].bm, off, len);
	pthread_mutex_unlock(&q->lock);
}

int qcow2_bitmap_whole_write(struct qcow2 *q)
{
	int ret = qcow2_bitmap_untracked_write(q);

	for (uint32_t i = 0; i < q->nr_trk; i++)
		bitmap_set_range(q->trk[i].bm, 0, q->size);
	return ret;
}

int qcow2_bitmap_track_flush(struct qcow2 *q, const char *name, bool store)
{
	int t = tracked(q, name), i = qcow2_bitmap_find(q, name), ret = 0;

	if (t < 0)
		return 0;
	if (store && i >= 0)
		ret = qcow2_bitmap_store(q, i, q->trk[t].bm, 0, QC_BM_IN_USE);
	drop(q, t);
	return ret;
}

int qcow2_bitmap_track_copy(struct qcow2 *q, const char *name,
			    struct bitmap **out)
{
	int t = tracked(q, name);

	if (t < 0)
		return -ENOENT;
	*out = bitmap_dup(q->trk[t].bm);
	return *out ? 0 : -ENOMEM;
}

int qcow2_bitmap_track_stop(struct qcow2 *q)
{
	int ret = 0;

	while (q->nr_trk) {
		char *name = strdup(q->trk[q->nr_trk - 1].name);
		int r = name ? qcow2_bitmap_track_flush(q, name, q->rw) :
			       -ENOMEM;

		if (r < 0) {
			wirt_warn(
				"qcow2 image '%s': cannot store bitmap '%s': %s; it stays marked in use (inconsistent)",
				q->b->filename, name ? name : "?",
				blk_last_error());
			ret = r;
			if (!name)
				drop(q, q->nr_trk - 1);
		}
		free(name);
	}
	free(q->trk);
	q->trk = NULL;
	return ret;
}
