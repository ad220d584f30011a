/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal interface between disk.c and its I/O engines. */
#ifndef WIRT_VMM_DISK_ENGINE_H
#define WIRT_VMM_DISK_ENGINE_H

#include <stdatomic.h>

#include "vmm/disk/disk.h"

struct disk_engine_ops {
	const char *name;
	void (*submit)(struct disk *d, struct disk_io *io);
	void (*kick)(struct disk *d);
	unsigned int (*complete)(struct disk *d);
	void (*close)(struct disk *d); /* after in-flight requests ended */
};

/* Common head of every engine's state (d->eng). */
struct disk_engine {
	const struct disk_engine_ops *ops;
	atomic_uint inflight;
};

struct io_uring;

/*
 * disk_uring_init - set up ring with depth entries, completions
 * signalled on the eventfd efd, and (Linux 5.10 on) limited to the
 * operations the engine submits: read, write, fsync, fallocate. io_uring
 * requests do not pass through seccomp, so a ring must not be able to
 * open files or sockets for a compromised process. Returns 0 or -errno.
 */
int disk_uring_init(struct io_uring *ring, unsigned int depth, int efd);

/*
 * disk_uring_start - the io_uring engine for d->fd with depth entries.
 * Returns 0 or -errno with a message in err.
 */
int disk_uring_start(struct disk *d, unsigned int depth, char *err,
		     size_t errlen);

/*
 * disk_pool_start - the worker-thread engine over the block library
 * (d->blk) with nthreads threads. Returns 0 or -errno with err filled.
 */
int disk_pool_start(struct disk *d, unsigned int nthreads, char *err,
		    size_t errlen);

/* disk_io_len - total bytes of io's iovecs. */
size_t disk_io_len(const struct disk_io *io);

/*
 * disk_sync_io - run io synchronously with plain syscalls on d->fd (the
 * fallback for short transfers and unsupported fallocate modes). Returns 0
 * or -errno.
 */
int disk_sync_io(struct disk *d, struct disk_io *io);

/* disk_signal - wake the evloop: add one to the disk's eventfd. */
void disk_signal(struct disk *d);

#endif
