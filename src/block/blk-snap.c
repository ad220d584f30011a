// SPDX-License-Identifier: GPL-2.0-or-later
/* Internal qcow2 snapshots of an image by path (blk-snap.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "block/blk-snap.h"
#include "block/blk.h"
#include "block/qcow2.h"

static const char *const op_name[] = { "look up", "create", "revert to",
				       "delete" };

/* run_op - op on the open image q (its lock held). Returns 0 or -errno. */
static int run_op(struct qcow2 *q, enum blk_snap_op op, const char *name)
{
	int i = qcow2_snapshot_find(q, name);

	switch (op) {
	case BLK_SNAP_FIND:
		return i >= 0 ? 0 : -ENOENT;
	case BLK_SNAP_CREATE:
		return i >= 0 ? -EEXIST : qcow2_snapshot_create(q, name);
	case BLK_SNAP_APPLY:
		if (i < 0)
			return -ENOENT;
		if (q->snaps[i].disk_size != q->size)
			return -EMEDIUMTYPE;
		return qcow2_snapshot_apply(q, name);
	default:
		return i >= 0 ? qcow2_snapshot_delete(q, name) : -ENOENT;
	}
}

int blk_snapshot_path(const char *path, enum blk_snap_op op, const char *name,
		      char *err, size_t errlen)
{
	struct blk *b;
	struct qcow2 *q;
	int r, c;

	r = blk_open(&b, path, NULL,
		     BLK_O_NO_BACKING | BLK_O_NO_PROBE_WARN |
			     (op == BLK_SNAP_FIND ? 0 : BLK_O_RDWR));
	if (r) {
		snprintf(err, errlen, "cannot open disk image '%s': %s", path,
			 blk_last_error()[0] ? blk_last_error() : strerror(-r));
		return r;
	}
	if (strcmp(blk_format(b), "qcow2")) {
		snprintf(
			err, errlen,
			"disk image '%s' is %s: only qcow2 images hold internal snapshots",
			path, blk_format(b));
		blk_close(b);
		return -ENOTSUP;
	}
	q = blk_opaque(b);
	pthread_mutex_lock(&q->lock);
	r = run_op(q, op, name);
	pthread_mutex_unlock(&q->lock);
	if (r == -ENOENT || r == -EEXIST || r == -EMEDIUMTYPE)
		snprintf(err, errlen, "disk image '%s': snapshot '%s' %s", path,
			 name,
			 r == -ENOENT ?
				 "does not exist" :
			 r == -EEXIST ?
				 "already exists" :
				 "has another disk size than the image now");
	else if (r)
		snprintf(err, errlen, "cannot %s snapshot '%s' of '%s': %s",
			 op_name[op], name, path, blk_last_error());
	c = blk_close(b);
	if (c && !r) {
		snprintf(err, errlen, "cannot close disk image '%s': %s", path,
			 blk_last_error());
		r = c;
	}
	return r;
}
