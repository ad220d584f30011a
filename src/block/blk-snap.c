// SPDX-License-Identifier: GPL-2.0-or-later
/* Internal qcow2 snapshots of an image by path (blk-snap.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "block/blk-snap.h"
#include "block/blk.h"

static const char *const op_name[] = { "look up", "create", "revert to",
				       "delete" };

/* run_op - op on the open image b. Returns 0 or -errno. */
static int run_op(struct blk *b, enum blk_snap_op op, const char *name)
{
	bool has = blk_snapshot_has(b, name);

	switch (op) {
	case BLK_SNAP_FIND:
		return has ? 0 : -ENOENT;
	case BLK_SNAP_CREATE:
		return has ? -EEXIST : blk_snapshot_create(b, name, 0);
	case BLK_SNAP_APPLY:
		return has ? blk_snapshot_apply(b, name, BLK_SNAP_SAME_SIZE) :
			     -ENOENT;
	default:
		return has ? blk_snapshot_delete(b, name, 0) : -ENOENT;
	}
}

int blk_snapshot_path(const char *path, enum blk_snap_op op, const char *name,
		      char *err, size_t errlen)
{
	struct blk *b;
	int r, c;

	r = blk_open(&b, path, BLK_FMT_PROBE,
		     BLK_O_NO_BACKING | BLK_O_NO_PROBE_WARN |
			     (op == BLK_SNAP_FIND ? 0 : BLK_O_RDWR));
	if (r) {
		snprintf(err, errlen, "cannot open disk image '%s': %s", path,
			 blk_last_error()[0] ? blk_last_error() : strerror(-r));
		return r;
	}
	if (blk_get_format(b) != BLK_FMT_QCOW2) {
		snprintf(
			err, errlen,
			"disk image '%s' is %s: only qcow2 images hold internal snapshots",
			path, blk_format_name(blk_get_format(b)));
		blk_close(b);
		return -ENOTSUP;
	}
	r = run_op(b, op, name);
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
