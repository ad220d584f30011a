/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal snapshots of a qcow2 image that no one has open (a shut-off
 * VM's disk), for callers outside the block library: they never see
 * struct qcow2.
 */
#ifndef WIRT_BLOCK_BLK_SNAP_H
#define WIRT_BLOCK_BLK_SNAP_H

#include <stddef.h>

enum blk_snap_op {
	BLK_SNAP_FIND, /* does the image hold it */
	BLK_SNAP_CREATE, /* a new one; -EEXIST when the name is taken */
	BLK_SNAP_APPLY, /* revert the image to it */
	BLK_SNAP_DELETE,
};

/*
 * blk_snapshot_path - open the qcow2 image at path (read-write unless
 * op is BLK_SNAP_FIND, without its backing chain) and run op on snapshot
 * name. Returns 0; -ENOENT when there is no such snapshot (find, apply,
 * delete), -EEXIST (create), -ENOTSUP when the image is not qcow2,
 * -EMEDIUMTYPE when the snapshot's disk size is not the image's (apply),
 * or -errno; err says what failed on which file.
 */
int blk_snapshot_path(const char *path, enum blk_snap_op op, const char *name,
		      char *err, size_t errlen);

#endif
