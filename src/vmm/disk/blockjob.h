/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block jobs on a running disk, each on a thread of its own while the
 * guest goes on reading and writing:
 *
 * - active commit: copy what the layers above base (the active overlay
 *   included) hold down into base, then keep base in step with the
 *   guest's new writes (a dirty map the worker engine fills, see
 *   disk->on_write); once nothing is left to copy the job is ready, and
 *   disk_job_finish() (devices quiesced) copies the last chunks and
 *   pivots the disk onto base.
 * - stream: copy every range the active overlay reads from its backing
 *   chain up into the overlay (each chunk under the disk's job lock, so a
 *   guest write cannot land in between and be overwritten), then drop the
 *   overlay's backing file link; the job ends by itself.
 *
 * The thread never calls upward: the state change (ready, concluded) is
 * reported through the notify callback given at the start.
 */
#ifndef WIRT_VMM_DISK_BLOCKJOB_H
#define WIRT_VMM_DISK_BLOCKJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/disk/disk.h"

enum disk_job_type { DISK_JOB_COMMIT, DISK_JOB_STREAM };

enum disk_job_state {
	DISK_JOB_RUNNING,
	DISK_JOB_READY, /* commit: in step with the guest, can finish */
	DISK_JOB_DONE, /* stream: finished */
	DISK_JOB_FAILED,
};

struct disk_job;

struct disk_job_info {
	enum disk_job_type type;
	enum disk_job_state state;
	uint64_t len, offset; /* bytes: work known so far, work done */
	char error[256]; /* DISK_JOB_FAILED: why */
};

/* Called from the job's thread when its state changes. */
typedef void (*disk_job_notify)(void *opaque, struct disk_job *j,
				enum disk_job_state st);

/*
 * disk_job_start - start a job of type t on disk d, which must run on a
 * qcow2 overlay with a backing file. For a commit, base names the file
 * of d's backing chain to commit into (NULL: the bottom of the chain);
 * a stream takes no base (NULL). Returns 0 with *out set, or -errno with
 * one line for the user in err (-ENOENT: base is not in the chain,
 * -ENOTSUP: nothing to commit or stream, -EBUSY: a job runs already).
 */
int disk_job_start(struct disk_job **out, struct disk *d, enum disk_job_type t,
		   const char *base, disk_job_notify notify, void *opaque,
		   char *err, size_t errlen);

/* disk_job_get_info - the job's type, state and progress now. */
void disk_job_get_info(struct disk_job *j, struct disk_job_info *i);

/*
 * disk_job_base - the file a commit writes into (as resolved at the
 * start), or NULL for a stream.
 */
const char *disk_job_base(const struct disk_job *j);

/*
 * disk_job_finish - end a ready commit: stop its thread, copy what is
 * still dirty and pivot the disk onto base (the overlays above it are no
 * longer used, their files left in place). The disk's devices must be
 * quiesced. Returns 0, or -errno with one line in err: the disk then goes
 * on with its overlay and the job is failed.
 */
int disk_job_finish(struct disk_job *j, char *err, size_t errlen);

/*
 * disk_job_free - stop the job's thread if it runs (a cancel: base or
 * the overlay keeps what was copied so far, which changes no data the
 * guest sees) and free it.
 */
void disk_job_free(struct disk_job *j);

#endif
