// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Image operations beyond I/O (snapshots, backing file, amend, check):
 * the front that checks the format and takes the qcow2 image's lock
 * around the driver's functions.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "block/blk-driver.h"
#include "block/qcow2.h"

struct qcow2 *blk_lock_qcow2(struct blk *b, const char *what)
{
	struct qcow2 *q;

	if (b->drv->format != BLK_FMT_QCOW2) {
		blk_error(ENOTSUP, "'%s' is %s; only qcow2 images have %s",
			  b->filename, blk_format_name(b->drv->format), what);
		return NULL;
	}
	q = b->opaque;
	pthread_mutex_lock(&q->lock);
	return q;
}

void blk_unlock_qcow2(struct qcow2 *q)
{
	pthread_mutex_unlock(&q->lock);
}

void *blk_opaque(struct blk *b)
{
	return b->opaque;
}

void blk_snapshot_list_free(struct blk_snapshot *s, int n)
{
	for (int i = 0; i < n; i++) {
		free(s[i].id);
		free(s[i].name);
	}
	free(s);
}

/* Copy q's snapshot table into *out; returns the count or -ENOMEM. */
static int copy_snapshots(struct qcow2 *q, struct blk_snapshot **out)
{
	struct blk_snapshot *s;

	*out = NULL;
	if (!q->nr_snaps)
		return 0;
	s = calloc(q->nr_snaps, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (uint32_t i = 0; i < q->nr_snaps; i++) {
		const struct qcow2_snapshot *qs = &q->snaps[i];

		s[i] = (struct blk_snapshot){
			.id = strdup(qs->id),
			.name = strdup(qs->name),
			.date_sec = qs->date_sec,
			.date_nsec = qs->date_nsec,
			.vm_clock_nsec = qs->vm_clock_nsec,
			.vm_state_size = qs->vm_state_size,
			.disk_size = qs->disk_size,
			.icount = qs->icount,
		};
		if (!s[i].id || !s[i].name) {
			blk_snapshot_list_free(s, i + 1);
			return -ENOMEM;
		}
	}
	*out = s;
	return q->nr_snaps;
}

int blk_snapshot_list(struct blk *b, struct blk_snapshot **out)
{
	struct qcow2 *q = blk_lock_qcow2(b, "internal snapshots");
	int ret;

	*out = NULL;
	if (!q)
		return -ENOTSUP;
	ret = copy_snapshots(q, out);
	blk_unlock_qcow2(q);
	return ret < 0 ? blk_error(-ret, "out of memory listing '%s'",
				   b->filename) :
			 ret;
}

bool blk_snapshot_has(struct blk *b, const char *name)
{
	struct qcow2 *q = blk_lock_qcow2(b, "internal snapshots");
	bool has;

	if (!q)
		return false;
	has = qcow2_snapshot_find(q, name) >= 0;
	blk_unlock_qcow2(q);
	return has;
}

int blk_snapshot_create(struct blk *b, const char *name, unsigned flags)
{
	struct qcow2 *q = blk_lock_qcow2(b, "internal snapshots");
	int ret = 0;

	if (!q)
		return -ENOTSUP;
	if ((flags & BLK_SNAP_REPLACE) && qcow2_snapshot_find(q, name) >= 0)
		ret = qcow2_snapshot_delete(q, name);
	if (!ret)
		ret = qcow2_snapshot_create(q, name);
	blk_unlock_qcow2(q);
	return ret;
}

int blk_snapshot_apply(struct blk *b, const char *name, unsigned flags)
{
	struct qcow2 *q = blk_lock_qcow2(b, "internal snapshots");
	int ret;

	if (!q)
		return -ENOTSUP;
	ret = qcow2_snapshot_find(q, name);
	if (ret >= 0 && (flags & BLK_SNAP_SAME_SIZE) &&
	    q->snaps[ret].disk_size != q->size)
		ret = blk_error(
			EMEDIUMTYPE,
			"'%s': the snapshot's disk size differs from the disk's now",
			b->filename);
	else if (!(ret = qcow2_bitmap_whole_write(q)))
		ret = qcow2_snapshot_apply(q, name);
	blk_unlock_qcow2(q);
	return ret;
}

int blk_snapshot_delete(struct blk *b, const char *name, unsigned flags)
{
	struct qcow2 *q = blk_lock_qcow2(b, "internal snapshots");
	int ret = 0;

	if (!q)
		return -ENOTSUP;
	if (!(flags & BLK_SNAP_MISSING_OK) || qcow2_snapshot_find(q, name) >= 0)
		ret = qcow2_snapshot_delete(q, name);
	blk_unlock_qcow2(q);
	return ret;
}

int blk_set_backing(struct blk *b, const char *file, const char *fmt)
{
	struct qcow2 *q = blk_lock_qcow2(b, "backing files");
	int ret;

	if (!q)
		return -ENOTSUP;
	ret = qcow2_set_backing(q, file, fmt);
	blk_unlock_qcow2(q);
	return ret;
}

int blk_amend(struct blk *b, const struct blk_amend_opts *o)
{
	struct qcow2 *q = blk_lock_qcow2(b, "options to amend");
	int ret;

	if (!q)
		return -ENOTSUP;
	ret = qcow2_amend(q, o);
	blk_unlock_qcow2(q);
	return ret;
}

int blk_make_empty(struct blk *b)
{
	struct qcow2 *q = blk_lock_qcow2(b, "a layer to empty");
	int ret;

	if (!q)
		return -ENOTSUP;
	ret = qcow2_bitmap_whole_write(q);
	if (!ret)
		ret = qcow2_make_empty(q);
	blk_unlock_qcow2(q);
	return ret;
}

int blk_check(struct blk *b, enum blk_repair repair, struct blk_check_result *r,
	      void (*log)(const char *msg))
{
	struct qcow2 *q = blk_lock_qcow2(b, "checks");
	int ret;

	if (!q)
		return -ENOTSUP;
	ret = qcow2_check(q, repair, r, log);
	blk_unlock_qcow2(q);
	return ret;
}
