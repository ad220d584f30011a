/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Point-in-time backups of a disk in use, by copy-before-write (CBW).
 *
 * A backup copies every cluster (DISK_BACKUP_CLUSTER bytes) of the disk,
 * as it was at the instant the backup started, into a new target file
 * (raw, or qcow2 through the block library). A copier thread walks the
 * disk in order, in chunks of up to DISK_BACKUP_CHUNK bytes; a guest
 * write, write-zeroes or discard that reaches a cluster not copied yet
 * first copies that cluster's old contents to the target, then goes on
 * (disk_submit() does this on the device's thread). The source is never
 * written. The target is written as TARGET.part and renamed to TARGET
 * once complete and synced; a failed or cancelled backup removes it, and
 * a killed process leaves only the .part file.
 *
 * The instant: disk_hold() stops the disk taking requests (new ones are
 * parked), disk_wait_idle() waits for the ones in flight, and
 * disk_backup_start() attaches the backup before disk_release() lets the
 * parked requests go. Several disks held together start together.
 *
 * Incremental backups plug in through disk_backup_opts.clusters: a set
 * of clusters to copy (bit i set: cluster i); every other cluster is
 * neither copied nor guarded, so the target holds only those clusters.
 */
#ifndef WIRT_VMM_DISK_BACKUP_H
#define WIRT_VMM_DISK_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block/blk.h"
#include "common/bitmap.h"
#include "vmm/disk/disk.h"

#define DISK_BACKUP_CLUSTER (64 * 1024)
#define DISK_BACKUP_CHUNK (1024 * 1024)

struct disk_backup;

/* The outcome of a backup, for its done() callback. */
enum disk_backup_end {
	DISK_BACKUP_DONE, /* the target is complete, under its final name */
	DISK_BACKUP_CANCELLED, /* cancelled: no target left */
	DISK_BACKUP_FAILED, /* error says why: no target left */
};

struct disk_backup_opts {
	const char *target; /* final path; written as target.part first */
	enum blk_format format; /* BLK_FMT_RAW or BLK_FMT_QCOW2 */
	bool compress; /* qcow2: compressed clusters */
	uint64_t speed; /* bytes per second of the copier, 0: no limit */
	/*
	 * Optional: bit i (of nclusters) set means cluster i is copied; the
	 * others are left out (unallocated in a qcow2 target). NULL: all.
	 */
	const uint64_t *clusters;
	uint64_t nclusters;
	/*
	 * Optional: the qcow2 target's backing file (the previous backup of
	 * the disk, qcow2) for an incremental backup; NULL: none.
	 */
	const char *backing;
	/*
	 * Called once from the copier thread when the backup ended and is
	 * detached from the disk (error: one line, "" unless FAILED).
	 */
	void (*done)(void *opaque, enum disk_backup_end end, const char *error);
	void *opaque;
};

/*
 * disk_backup_new - check o against disk d (writable or not, its size),
 * refuse an existing target, and create target.part (a stale one from a
 * killed backup is replaced). Nothing is tracked yet. Returns 0 with *out
 * set, or -errno with one line for the user in err.
 */
int disk_backup_new(struct disk_backup **out, struct disk *d,
		    const struct disk_backup_opts *o, char *err, size_t errlen);

/*
 * disk_backup_start - attach bk to its disk, which must be held and idle
 * (disk_hold, disk_wait_idle), and start the copier thread. Returns 0 or
 * -errno with err filled; on failure bk stays unattached (free it).
 */
int disk_backup_start(struct disk_backup *bk, char *err, size_t errlen);

/*
 * disk_backup_select - copy only the clusters that touch a marked granule
 * of bm (a dirty bitmap of the disk, taken at the backup's instant), the
 * others are left out; before disk_backup_start.
 */
void disk_backup_select(struct disk_backup *bk, const struct bitmap *bm);

/* disk_backup_cancel - ask a running backup to stop (done() follows). */
void disk_backup_cancel(struct disk_backup *bk);

/* disk_backup_set_speed - change the copier's limit (0: none). */
void disk_backup_set_speed(struct disk_backup *bk, uint64_t speed);

/*
 * disk_backup_progress - bytes of the disk copied or left out so far
 * (*done) and in all (*total); *busy: the copier is copying.
 */
void disk_backup_progress(struct disk_backup *bk, uint64_t *done,
			  uint64_t *total, bool *busy);

/*
 * disk_backup_free - wait for the copier thread (after done() ran, or
 * cancel first), remove an unfinished target, free bk. NULL is fine.
 * Never from inside done().
 */
void disk_backup_free(struct disk_backup *bk);

/*
 * disk_hold - park every request submitted to d from now on, until
 * disk_release(). Any thread; at most one holder at a time.
 */
void disk_hold(struct disk *d);

/*
 * disk_wait_idle - wait until d has no request in flight (held first).
 * Returns 0, or -ETIMEDOUT after timeout_ms.
 */
int disk_wait_idle(struct disk *d, unsigned int timeout_ms);

/* disk_release - let d take requests again; parked ones start now. */
void disk_release(struct disk *d);

/*
 * disk_backup_intercept - disk_submit()'s hook while d is held or backed
 * up (d->intercept): parks io when d is held (returns true: not to be
 * submitted now), or copies the clusters a write reaches before it goes
 * on (returns false). A copy that fails fails the backup, not the write.
 */
bool disk_backup_intercept(struct disk *d, struct disk_io *io);

/*
 * disk_backup_unpark - from disk_complete(): submit the requests parked
 * while d was held, once it is released.
 */
void disk_backup_unpark(struct disk *d);

/* disk_backup_busy - whether a backup runs on d (snapshots then wait). */
bool disk_backup_busy(const struct disk *d);

/* disk_backup_close - at disk_close: cancel and free a running backup. */
void disk_backup_close(struct disk *d);

#endif
