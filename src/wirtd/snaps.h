/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wirtd's domain snapshots: each one's <domainsnapshot> XML in
 * LIB/snapshot/DOMAIN/NAME.xml, the current one's name in
 * LIB/snapshot/DOMAIN/current, every file written atomically (a temporary
 * file renamed). All functions expect the VM's lock held.
 */
#ifndef WIRT_WIRTD_SNAPS_H
#define WIRT_WIRTD_SNAPS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "domain/snap.h"

struct dom_def;
struct vmrec;

struct vmrec;
struct json_object;

#define SNAPS_MAX 256 /* snapshots per domain */

/* ---- snap-store.c ---- */
/* snaps_load - every snapshot of vm, sorted by name (case-insensitive),
 * into a malloc'd *out of *n (free with snaps_free). Returns 0 or -errno
 * with err naming the file at fault. */
int snaps_load(const struct vmrec *vm, struct snap_def **out, unsigned int *n,
	       char *err, size_t errlen);
void snaps_free(struct snap_def *v, unsigned int n);
/* snaps_find - the snapshot called name in v[n], or NULL. */
struct snap_def *snaps_find(struct snap_def *v, unsigned int n,
			    const char *name);
/* snap_store - write s as vm's snapshot s->name. Returns 0 or -errno with
 * err set. */
int snap_store(const struct vmrec *vm, const struct snap_def *s, char *err,
	       size_t errlen);
/* snap_unstore - remove vm's snapshot name's XML. Returns 0 or -errno. */
int snap_unstore(const struct vmrec *vm, const char *name);
/* snap_current - vm's current snapshot's name into buf ("" when none). */
void snap_current(const struct vmrec *vm, char buf[SNAP_NAME_MAX + 1]);
/* snap_set_current - make name ("": none) vm's current snapshot.
 * Returns 0 or -errno. */
int snap_set_current(const struct vmrec *vm, const char *name);

/* snaps_undefine - at undefine: -EBUSY with err set when vm has
 * snapshots, unless forget, which removes their metadata (the disks keep
 * their internal snapshots). Returns 0 or -EBUSY. */
int snaps_undefine(const struct vmrec *vm, bool forget, char *err,
		   size_t errlen);

/* ---- snap-disks.c: the disks a snapshot covers ---- */
struct snap_disks {
	unsigned int n; /* the writable disks, which all take part */
	char target[DOMAIN_DISKS_MAX][SNAP_DISK_NAME_MAX + 1];
	char path[DOMAIN_DISKS_MAX][PATH_MAX];
};
/*
 * snap_disks_get - vm's writable disks, each a qcow2 image (a raw one is
 * refused: internal snapshots need qcow2), volume disks resolved.
 * Returns 0, or -ENOTSUP / -ENOENT with err saying which disk and why.
 */
int snap_disks_get(struct vmrec *vm, struct snap_disks *sd, char *err,
		   size_t errlen);
/* snap_disks_op - op (blk-snap.h) on name on every disk of sd, offline;
 * a failed create undoes the ones done, a delete skips disks without it.
 * Returns 0 or -errno with err set. */
int snap_disks_op(const struct snap_disks *sd, int op, const char *name,
		  char *err, size_t errlen);
/* snap_state_file_remove - the memory state file of snapshot name that
 * wirt-vmm keeps beside the first disk (IMAGE.snapshots/NAME.state). */
void snap_state_file_remove(const struct snap_disks *sd, const char *name);
/* snap_hmp - run HMP command line on the running vm (savevm, loadvm,
 * delvm). Returns 0 or -EIO with err set to wirt-vmm's answer. */
int snap_hmp(struct vmrec *vm, const char *line, char *err, size_t errlen);

/* ---- snap-ext.c: disk-only (external) snapshots, shut off ---- */
/*
 * snap_ext_create - put each writable disk of the shut-off vm (s's disks)
 * on a new qcow2 overlay, recorded in s->disks[].file, the definition
 * switched to them. Returns 0, or -errno with err set and nothing left.
 */
int snap_ext_create(struct vmrec *vm, struct snap_def *s, char *err,
		    size_t errlen);
/*
 * snap_ext_delete - merge the overlays of s (the disks' images now) back
 * into their backing images, switch the definition back, remove them.
 * Returns 0, or -errno with err set (-EBUSY: a newer overlay is on top).
 */
int snap_ext_delete(struct vmrec *vm, const struct snap_def *s, char *err,
		    size_t errlen);

/* snap_overlay_path - DIR/STEM.NAME, the overlay of image path for
 * snapshot name. Returns 0 or -ENAMETOOLONG. */
int snap_overlay_path(const char *path, const char *name, char *out,
		      size_t len);
/* snap_overlay_plan - whether disk k of s (a disk of definition d) takes
 * part in a disk-only snapshot: 1 with the disk in *dk and its overlay's
 * path in ov, 0 (read-only or not a disk: skipped), or -errno with err
 * (-ENOENT: no such disk, -ENOTSUP: not an image file, -EEXIST: the
 * overlay exists already). */
int snap_overlay_plan(const struct dom_def *d, struct snap_def *s,
		      unsigned int k, const struct dom_disk **dk, char *ov,
		      size_t ovlen, char *err, size_t errlen);
/* snap_backing - the backing image (resolved) of the image at path (format
 * fmt, or BLK_FMT_PROBE) into base, its format ("raw" or "qcow2") into
 * bfmt. Returns 0, or -errno with err (-EINVAL: it has no backing). */
int snap_backing(const char *path, int fmt, char *base, size_t len, char *bfmt,
		 size_t bfmtlen, char *err, size_t errlen);
/* snap_disk_index - the index of the definition's disk named target, or
 * -1. */
int snap_disk_index(const struct dom_def *d, const char *target);
/* snap_switch_disks - the definition's disks named in s onto paths[k]
 * (format fmts[k], or qcow2 when fmts is NULL) where paths[k] is set,
 * saved when persistent. Returns 0 or -errno with err set. */
int snap_switch_disks(struct vmrec *vm, const struct snap_def *s, char **paths,
		      const char **fmts, char *err, size_t errlen);
/*
 * snap_live_create/snap_live_delete (snap-live.c) - snap_ext_create and
 * snap_ext_delete of a running domain: its wirt-vmm puts every writable
 * disk on its overlay at one instant (QMP transaction), or merges each
 * overlay back with an active commit and pivots. Return 0 or -errno with
 * err set.
 */
int snap_live_create(struct vmrec *vm, struct snap_def *s, char *err,
		     size_t errlen);
int snap_live_delete(struct vmrec *vm, const struct snap_def *s, char *err,
		     size_t errlen);
/*
 * blockjob_commit_pivot - merge the overlay disk target of running vm
 * writes into its backing image base (active commit, waiting up to
 * timeout_s for it to be ready) and pivot onto base. Returns 0 or -errno
 * with err set (the job cancelled, the disk on its overlay).
 */
int blockjob_commit_pivot(struct vmrec *vm, const char *target,
			  const char *base, int timeout_s, char *err,
			  size_t errlen);
#endif
