// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Snapshots of a disk in use (QMP/HMP savevm, loadvm, delvm): for a
 * qcow2 image, its internal snapshot table, changed through the block
 * library while the VM's devices are quiesced, so no request is in
 * flight; the image stays one that qemu-img lists and checks clean. A
 * writable raw image takes its snapshots as external qcow2 overlays
 * instead (disk-layer.c).
 */
#include "vmm/disk/disk-snap.h"

#include <errno.h>
#include <stdio.h>

#include "block/blk.h"
#include "vmm/disk/backup.h"
#include "vmm/disk/disk-layer.h"

const char *disk_snapshot_unsupported(const struct disk *d)
{
	if (d->readonly)
		return NULL; /* nothing to keep: it cannot change */
	if (disk_backup_busy(d))
		return "a backup of it is running (wait for it, or cancel it with block-job-cancel)";
	if (d->job_busy)
		return "a block job runs on it (wait for it to end, or cancel it: QMP block-job-cancel)";
	if (d->raw_base)
		return disk_layer_unsupported(d);
	if (!d->blk || d->format != BLK_FMT_QCOW2)
		return "it is not a qcow2 image (convert it: wirt-img convert -O qcow2 FILE NEW.qcow2)";
	return NULL;
}

/* Whether d is a writable raw image with external snapshots. */
static bool external(const struct disk *d)
{
	return !d->readonly && d->raw_base;
}

/* The open qcow2 image of d with internal snapshots, or NULL. */
static struct blk *internal(const struct disk *d)
{
	if (d->readonly || d->raw_base || !d->blk || d->format != BLK_FMT_QCOW2)
		return NULL;
	return d->blk;
}

bool disk_snapshot_has(const struct disk *d, const char *tag)
{
	struct blk *b = internal(d);

	if (external(d))
		return disk_layer_has(d, tag);
	return b && blk_snapshot_has(b, tag);
}

/* Put why a snapshot operation on d's image failed (r < 0); returns r. */
static int snap_failed(const struct disk *d, int r, char *err, size_t errlen)
{
	if (r == -EMEDIUMTYPE) /* the library's reason names the image */
		snprintf(err, errlen, "%s", blk_last_error());
	else if (r < 0)
		snprintf(err, errlen, "'%s': %s", d->opts.path,
			 blk_last_error());
	return r < 0 ? r : 0;
}

int disk_snapshot_create(struct disk *d, const char *tag, char *err,
			 size_t errlen)
{
	struct blk *b = internal(d);

	if (external(d))
		return disk_layer_create(d, tag, err, errlen);
	if (!b)
		return 0;
	return snap_failed(d, blk_snapshot_create(b, tag, BLK_SNAP_REPLACE),
			   err, errlen);
}

int disk_snapshot_prepare(struct disk *d, const char *tag, char *err,
			  size_t errlen)
{
	return external(d) ? disk_layer_prepare(d, tag, err, errlen) : 0;
}

void disk_snapshot_unprepare(struct disk *d)
{
	if (external(d))
		disk_layer_unprepare(d);
}

int disk_snapshot_apply(struct disk *d, const char *tag, char *err,
			size_t errlen)
{
	struct blk *b = internal(d);

	/* every byte may change: dirty bitmaps mark the whole disk */
	disk_dirty_mark_all(d);
	if (external(d))
		return disk_layer_apply(d, tag, err, errlen);
	if (!b)
		return 0;
	return snap_failed(d, blk_snapshot_apply(b, tag, BLK_SNAP_SAME_SIZE),
			   err, errlen);
}

int disk_snapshot_delete(struct disk *d, const char *tag, char *err,
			 size_t errlen)
{
	struct blk *b = internal(d);

	if (external(d))
		return disk_layer_delete(d, tag, err, errlen);
	if (!b)
		return 0;
	return snap_failed(d, blk_snapshot_delete(b, tag, BLK_SNAP_MISSING_OK),
			   err, errlen);
}

int disk_snapshot_list(const struct disk *d, struct disk_snap_info *out,
		       unsigned int max)
{
	struct blk *b = internal(d);
	struct blk_snapshot *s;
	int i, n;

	if (external(d))
		return disk_layer_list(d, out, max);
	if (!b)
		return -ENOENT;
	n = blk_snapshot_list(b, &s);
	if (n < 0)
		return n;
	for (i = 0; i < n && (unsigned int)i < max; i++) {
		snprintf(out[i].id, sizeof(out[i].id), "%s", s[i].id);
		snprintf(out[i].name, sizeof(out[i].name), "%s", s[i].name);
		out[i].date_sec = s[i].date_sec;
		out[i].date_nsec = s[i].date_nsec;
		out[i].vm_clock_nsec = s[i].vm_clock_nsec;
		out[i].vm_state_size = s[i].vm_state_size;
	}
	blk_snapshot_list_free(s, n);
	return i;
}
