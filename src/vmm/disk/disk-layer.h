/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Snapshots of a writable raw disk P as external qcow2 overlays, kept in
 * the directory P.snapshots/:
 *
 *   layer-N.qcow2  an overlay (N counts up and is never reused); its
 *                  backing file is P or an older layer, by absolute path
 *   active         the overlay the disk writes now (one line: its path)
 *   TAG.layer      snapshot TAG: the frozen layer holding the disk as it
 *                  was (one line: its path, P itself for the first one)
 *   next-layer     the next N
 *
 * Taking snapshot TAG freezes the file the disk writes (P or an overlay)
 * and moves the disk onto a new overlay over it; reverting to TAG moves
 * the disk onto a new overlay over TAG's frozen layer. A layer file is
 * deleted once neither the active overlay's chain nor any snapshot needs
 * it; P is never written again after the first snapshot and never
 * deleted. Record files are replaced atomically (written to NAME.tmp,
 * synced, renamed). All calls run while the disk has no request in
 * flight (the VM's devices quiesced or reset).
 */
#ifndef WIRT_VMM_DISK_LAYER_H
#define WIRT_VMM_DISK_LAYER_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/disk/disk-snap.h"
#include "vmm/disk/disk.h"

/*
 * disk_layer_read_active - the active overlay recorded for raw image path
 * (path.snapshots/active): *out is a malloc'ed path, or NULL when the
 * image has none. Returns 0, or -errno with one line for the user in err.
 */
int disk_layer_read_active(const char *path, char **out, char *err,
			   size_t errlen);

/*
 * disk_layer_unsupported - NULL when raw disk d can take snapshots as
 * overlays, else why not and the fix, one phrase.
 */
const char *disk_layer_unsupported(const struct disk *d);

/* disk_layer_has - whether raw disk d has a snapshot record named tag. */
bool disk_layer_has(const struct disk *d, const char *tag);

/*
 * disk_layer_create - snapshot tag of raw disk d: freeze its file, run it
 * on a new overlay, record tag (replacing an older tag). Returns 0, or
 * -errno with a one-line reason naming the file in err; the disk then
 * goes on with its file as before.
 */
int disk_layer_create(struct disk *d, const char *tag, char *err,
		      size_t errlen);

/*
 * disk_layer_prepare - before a revert to tag stops the VM: check the
 * record and create the overlay the revert will switch to (kept in
 * d->pending). Returns 0, or -errno with a one-line reason in err.
 */
int disk_layer_prepare(struct disk *d, const char *tag, char *err,
		       size_t errlen);

/* disk_layer_unprepare - remove an overlay prepared and not used. */
void disk_layer_unprepare(struct disk *d);

/*
 * disk_layer_apply - revert raw disk d to snapshot tag: run it on the
 * prepared overlay (or a new one) over tag's frozen layer, record it as
 * active, and delete the layers nothing needs any more. Returns 0, or
 * -errno with a one-line reason in err (the disk then keeps its file).
 */
int disk_layer_apply(struct disk *d, const char *tag, char *err, size_t errlen);

/*
 * disk_layer_delete - remove snapshot tag of raw disk d (a missing one
 * is no error) and the layers nothing needs any more. Returns 0 or
 * -errno with why.
 */
int disk_layer_delete(struct disk *d, const char *tag, char *err,
		      size_t errlen);

/*
 * disk_layer_list - up to max snapshots of raw disk d, oldest first (id
 * empty, the date that of the record, no VM clock). Returns how many.
 */
int disk_layer_list(const struct disk *d, struct disk_snap_info *out,
		    unsigned int max);

#endif
