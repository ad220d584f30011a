/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Snapshots of the VM's open disks, taken and reverted while every
 * device is quiesced: internal snapshots in a qcow2 image, external qcow2
 * overlays for a writable raw image (disk-layer.h). Read-only disks
 * cannot change, so they take part in no snapshot.
 */
#ifndef WIRT_VMM_DISK_SNAP_H
#define WIRT_VMM_DISK_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/disk/disk.h"

/* One entry of an image's snapshot table, for listing. */
struct disk_snap_info {
	char id[24];
	char name[128];
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t vm_state_size;
};

/*
 * disk_snapshot_unsupported - NULL when d can take part in a snapshot,
 * else why not and the fix, one phrase.
 */
const char *disk_snapshot_unsupported(const struct disk *d);

/* disk_snapshot_has - whether d has a snapshot named tag. */
bool disk_snapshot_has(const struct disk *d, const char *tag);

/*
 * disk_snapshot_create/apply/delete - on d (nothing for a read-only
 * disk). create replaces a snapshot of the same name, as QEMU's savevm
 * does; apply needs the snapshot and the same disk size; delete of a
 * missing name does nothing. Return 0, or -errno with a one-line reason
 * naming the image in err.
 */
int disk_snapshot_create(struct disk *d, const char *tag, char *err,
			 size_t errlen);
int disk_snapshot_apply(struct disk *d, const char *tag, char *err,
			size_t errlen);
int disk_snapshot_delete(struct disk *d, const char *tag, char *err,
			 size_t errlen);

/*
 * disk_snapshot_prepare - before a revert to tag stops the VM, do what
 * can fail early (for a raw disk: create the overlay to revert onto).
 * Returns 0, or -errno with a one-line reason in err.
 * disk_snapshot_unprepare - undo a prepare whose revert did not come.
 */
int disk_snapshot_prepare(struct disk *d, const char *tag, char *err,
			  size_t errlen);
void disk_snapshot_unprepare(struct disk *d);

/*
 * disk_snapshot_list - up to max of d's snapshots. Returns how many, or
 * -ENOENT when d is neither a writable qcow2 nor a writable raw image.
 */
int disk_snapshot_list(const struct disk *d, struct disk_snap_info *out,
		       unsigned int max);

#endif
