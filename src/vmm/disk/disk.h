/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VMM-side disk backend behind virtio-blk: `--disk` option parsing,
 * opening an image (files and block devices) with OFD image locks, and an
 * asynchronous I/O engine whose completions arrive on one eventfd that the
 * device's evloop watches.
 *
 * Engines: raw images go through io_uring (one ring per disk, submissions
 * batched by disk_kick(), completions signalled on the ring's registered
 * eventfd). qcow2 images go through the block library (src/block/blk.h),
 * whose API is synchronous, on a small pool of worker threads.
 *
 * Threads: disk_submit(), disk_kick() and disk_complete() are called from
 * one thread (the device's evloop thread); done() callbacks run there, in
 * disk_complete(). disk_inflight() may be read from any thread.
 */
#ifndef WIRT_VMM_DISK_H
#define WIRT_VMM_DISK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "block/blk.h"
#include "vmm/disk/stats.h"

#define DISK_SERIAL_MAX 20 /* virtio-blk GET_ID is 20 bytes */
#define DISK_ID_MAX 31 /* id=: [A-Za-z0-9_.-] */
#define DISK_ERR_LEN 512
#define DISK_MAX_FROZEN 16

enum disk_cache {
	DISK_CACHE_WRITEBACK = 0, /* page cache; FLUSH does fdatasync */
	DISK_CACHE_NONE, /* O_DIRECT; FLUSH still does fdatasync */
};

enum disk_bus {
	DISK_BUS_VIRTIO = 0, /* a virtio-blk device of its own */
	DISK_BUS_SCSI, /* a target of the VM's virtio-scsi adapter */
};

/* The parsed value of one --disk option. */
struct disk_opts {
	char *path;
	enum blk_format format; /* BLK_FMT_PROBE when not given */
	bool readonly;
	enum disk_cache cache;
	char serial[DISK_SERIAL_MAX + 1]; /* "" when not given */
	char id[DISK_ID_MAX + 1]; /* QMP device name, "" when not given */
	enum disk_bus bus;
	bool cdrom; /* media=cdrom (bus=scsi): an MMC CD-ROM, read-only */
};

/*
 * disk_parse_opts - parse "path=FILE[,format=raw|qcow2][,readonly=on|off]
 * [,cache=none|writeback][,serial=S][,id=NAME][,bus=virtio|scsi]
 * [,media=disk|cdrom]" into *o
 * (",," in a value is a comma).
 * Returns 0, or -EINVAL with one line for the user in err.
 */
int disk_parse_opts(const char *spec, struct disk_opts *o, char *err,
		    size_t errlen);

/* disk_opts_free - free what disk_parse_opts allocated. */
void disk_opts_free(struct disk_opts *o);

enum disk_op {
	DISK_READ,
	DISK_WRITE,
	DISK_FLUSH,
	DISK_DISCARD,
	DISK_WRITE_ZEROES,
};

#define DISK_F_UNMAP 0x1 /* write-zeroes may deallocate */

/*
 * One asynchronous request. The caller owns it (and the iovecs) until
 * done() runs. off and len are bytes; reads and writes take their length
 * from the iovecs.
 */
struct disk_io {
	enum disk_op op;
	unsigned int flags; /* DISK_F_* */
	uint64_t off;
	uint64_t len; /* discard and write-zeroes */
	struct iovec *iov;
	unsigned int niov;
	/* called in disk_complete() with 0 or -errno */
	void (*done)(struct disk_io *io, int ret);
	void *opaque;

	/* engine private */
	struct disk_io *next;
	void *bounce;
	size_t bounce_len;
	size_t iolen; /* bytes of the read or write */
	int ret;
};

struct disk_engine;
struct blk;

struct disk {
	struct disk_opts opts;
	int fd; /* the file written (opts.path or the active overlay),
		   holding its OFD lock; raw I/O goes here */
	int efd; /* eventfd every engine signals completions on */
	uint64_t size; /* bytes, as the guest sees them */
	bool readonly;
	bool direct; /* opened O_DIRECT */
	bool is_blkdev;
	bool probed_raw; /* format probed as raw: block 0 writes restricted */
	/*
	 * raw_base: a writable raw image, snapshotted through external qcow2
	 * overlays in opts.path's ".snapshots" directory (disk-layer.c).
	 */
	bool raw_base;
	char *active; /* the overlay written instead of opts.path, or NULL */
	char *pending; /* an overlay prepared for a revert, or NULL */
	enum blk_format format; /* of the file written: raw or qcow2 */
	unsigned int align; /* O_DIRECT offset/length/buffer alignment */
	unsigned int logical_block; /* block size to show the guest */
	struct blk *blk; /* qcow2 through the block library, else NULL */
	struct disk_engine *eng;
	pthread_mutex_t eng_lock; /* disk_complete against an engine swap */
	struct blk_stats stats; /* query-blockstats, counted by virtio-blk */
	/* backups (backup.h): disk_submit asks backup.c while intercept */
	atomic_int intercept; /* held, or a backup attached */
	pthread_mutex_t bk_lock; /* the fields below */
	bool held; /* disk_hold: requests are parked */
	struct disk_io *parked, *parked_tail;
	struct disk_backup *bk; /* the backup attached, or NULL */
	/* dirty bitmaps (disk-bitmap.c): the list, under dirty_lock */
	struct disk_dirty *dirty;
	pthread_mutex_t dirty_lock;
	atomic_uint recording; /* bitmaps recording: 0 = no lock per write */
	/*
	 * Block jobs (blockjob.h): the worker engine runs each guest write,
	 * write-zeroes and discard holding job_lock shared and, while it
	 * holds it, reports the range to on_write (when set, under the lock
	 * taken exclusively) once the data is in the image.
	 */
	pthread_rwlock_t job_lock;
	void (*on_write)(void *opaque, uint64_t off, uint64_t len);
	void *on_write_opaque;
	bool job_busy; /* a block job runs on this disk */
	/*
	 * Files the disk wrote before a live snapshot froze them, kept open
	 * read-write (and shared-locked): a commit writes into one later,
	 * also after the sandbox dropped the rights to open it again.
	 */
	int frozen_fd[DISK_MAX_FROZEN];
	unsigned int nfrozen;
};

/*
 * disk_open - open the disk described by o: lock it (exclusive for a
 * writable open, shared for readonly), probe or check its format, open
 * qcow2 through the block library, and start the I/O engine with room for
 * depth requests in flight. Returns 0 with *out set, or -errno with one
 * line for the user in err.
 */
int disk_open(struct disk **out, const struct disk_opts *o, unsigned int depth,
	      char *err, size_t errlen);

/* disk_close - wait for in-flight requests, stop the engine, close. */
void disk_close(struct disk *d);

/*
 * disk_file - the file the disk writes now: its active overlay when a
 * raw disk runs on one, else the image given (opts.path).
 */
const char *disk_file(const struct disk *d);

/*
 * disk_switch_layer - make the qcow2 image at path (whose backing chain
 * holds the disk's data) the file the disk reads and writes, in place of
 * the current one, and run it on the worker-thread engine. No request
 * may be in flight (devices quiesced). The old file stays open only as a
 * backing file if the new chain has it. OFD locks: path exclusively, its
 * backing chain shared. The eventfd and the statistics stay the same.
 * Returns 0, or -errno with one line for the user in err; on failure the
 * disk goes on with its old file, untouched.
 */
int disk_switch_layer(struct disk *d, const char *path, char *err,
		      size_t errlen);

/*
 * disk_snapshot_switch - disk_switch_layer() for a live external
 * snapshot: the file the disk wrote stays open read-write among its
 * frozen files (see disk_frozen_fd). Returns what disk_switch_layer does.
 */
int disk_snapshot_switch(struct disk *d, const char *path, char *err,
			 size_t errlen);

/*
 * disk_flush_now - write what the guest wrote to d's file to stable
 * storage from any thread, while requests go on (so that the flush of a
 * later switch in a quiesced VM has little left to do). Returns 0 or
 * -errno.
 */
int disk_flush_now(struct disk *d);

/*
 * disk_frozen_fd - the read-write descriptor the disk kept of the file at
 * path (a layer a live snapshot froze), or -1. The disk keeps it.
 */
int disk_frozen_fd(const struct disk *d, const char *path);

/*
 * disk_pivot_layer - make the image at path (format fmt, holding the
 * disk's data, typically a file of its backing chain that a block job
 * brought up to date) the file the disk reads and writes, in place of
 * the current one, on the worker-thread engine. No request may be in
 * flight (devices quiesced). The current file and the chain above path
 * are closed (not deleted); path is locked exclusively. Returns 0, or
 * -errno with one line for the user in err; the disk then goes on with
 * its old file, untouched.
 */
int disk_pivot_layer(struct disk *d, const char *path, enum blk_format fmt,
		     char *err, size_t errlen);

/* disk_event_fd - the fd to watch (EPOLLIN) and call disk_complete() on. */
int disk_event_fd(const struct disk *d);

/*
 * disk_submit - queue io; it starts no later than the next disk_kick().
 * io->done always runs later, in disk_complete(), even for requests that
 * fail at once.
 */
void disk_submit(struct disk *d, struct disk_io *io);

/* disk_kick - start everything queued by disk_submit() (one syscall). */
void disk_kick(struct disk *d);

/*
 * disk_complete - reap finished requests and run their done() callbacks.
 * Returns how many completed.
 */
unsigned int disk_complete(struct disk *d);

/* disk_inflight - requests submitted and not yet completed. */
unsigned int disk_inflight(const struct disk *d);

/*
 * disk_restrict_block0 - whether writing buf (the first bytes written at
 * offset 0) must be refused because the format was probed as raw and the
 * data would make the image probe as another format.
 */
bool disk_restrict_block0(const struct disk *d, const void *buf, size_t len);

/*
 * Dirty bitmaps (disk-bitmap.c): which granules of the disk the guest
 * changed (write, write-zeroes, discard), marked as requests complete.
 * A persistent bitmap also lives in the disk's qcow2 image (writable, not
 * a raw disk's overlay): disk_open loads the image's bitmaps and marks
 * them in use there, disk_close stores them and marks them clean.  One
 * found in use at open missed writes (the VMM was killed): it is listed
 * as inconsistent, cannot be used, only removed.  A read-only qcow2
 * disk lists its image's bitmaps (not recording; clear, remove and a
 * clearing get_dirty give -EROFS).  Every function may be
 * called from any thread (dirty_lock).  Errors: -errno with one line in
 * err, QEMU's words where QEMU has some.
 */
struct bitmap; /* common/bitmap.h */

/* One bitmap as query-block shows it (BlockDirtyInfo). */
struct disk_bitmap_info {
	char *name;
	uint64_t granularity; /* bytes per bit */
	uint64_t count; /* dirty bytes: dirty granules * granularity */
	bool recording, persistent, inconsistent;
};

/* disk_bitmaps_load - d's image bitmaps (at open); 0 or -errno. */
int disk_bitmaps_load(struct disk *d, char *err, size_t errlen);
/*
 * disk_bitmaps_store - store d's persistent bitmaps in its image, marked
 * clean; they are persistent no more.  @keep: they stay in memory (the
 * image is about to be replaced), else every bitmap is freed.  Returns 0,
 * or -EIO when one could not be stored (warned; it stays in use).
 */
int disk_bitmaps_store(struct disk *d, bool keep);
/* disk_dirty_mark_all - mark the whole disk (a snapshot revert). */
void disk_dirty_mark_all(struct disk *d);
/* disk_dirty_mark - mark what request io changed in recording bitmaps. */
void disk_dirty_mark(struct disk *d, const struct disk_io *io);
/*
 * disk_bitmap_add - a new empty bitmap @name (1..1023 bytes, unique) of
 * @gran bytes per bit (a power of two, 512 .. 2 GiB; 0: the qcow2 cluster
 * size, at least 4 KiB, or 64 KiB), recording unless @disabled; with
 * @persistent also in the image at once (marked in use there).
 */
int disk_bitmap_add(struct disk *d, const char *name, uint64_t gran,
		    bool persistent, bool disabled, char *err, size_t errlen);
/* disk_bitmap_remove - drop bitmap @name (also from the image). */
int disk_bitmap_remove(struct disk *d, const char *name, char *err,
		       size_t errlen);
/* disk_bitmap_clear - clear bitmap @name (-EUCLEAN: inconsistent). */
int disk_bitmap_clear(struct disk *d, const char *name, char *err,
		      size_t errlen);
/*
 * disk_bitmap_get_dirty - for an incremental backup: a copy of bitmap
 * @name in *out (a struct bitmap over the disk's bytes, bitmap_next_dirty
 * / bitmap_next_clean walk it; free with bitmap_free), and with @clear
 * the bitmap emptied in the same step, so that every write completing
 * afterwards is in the next copy.  A backup that fails should merge the
 * copy back (disk_bitmap_merge_back) or its writes are lost from the
 * bitmap.  -ENOENT: no such bitmap; -EUCLEAN: inconsistent (the next
 * backup must be full).
 */
int disk_bitmap_get_dirty(struct disk *d, const char *name, bool clear,
			  struct bitmap **out, char *err, size_t errlen);
/*
 * disk_bitmap_merge_back - mark again in bitmap @name the granules of
 * @bm (what disk_bitmap_get_dirty gave for a backup that failed).
 */
int disk_bitmap_merge_back(struct disk *d, const char *name,
			   const struct bitmap *bm, char *err, size_t errlen);
/* disk_bitmap_list - d's bitmaps in *out (malloc'ed); their count. */
int disk_bitmap_list(struct disk *d, struct disk_bitmap_info **out);
/* disk_bitmap_list_free - free what disk_bitmap_list gave. */
void disk_bitmap_list_free(struct disk_bitmap_info *l, int n);

#endif
