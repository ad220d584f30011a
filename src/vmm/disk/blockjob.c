// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Block jobs on a running disk: active commit and stream (blockjob.h).
 * Both copy in chunks of CHUNK bytes through the block library's public
 * API; a commit writes base through a read-write handle of its own.
 */
#include "vmm/disk/blockjob.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "block/blk.h"
#include "block/info.h"
#include "common/util.h"

#define CHUNK (64 * 1024)
#define IDLE_MS 5
#define NONE UINT64_MAX

struct disk_job {
	enum disk_job_type type;
	struct disk *d;
	char *base; /* commit: the file written, resolved */
	enum blk_format base_fmt;
	struct blk *bb; /* commit: base, read-write */
	uint64_t nchunks;
	_Atomic uint64_t *dirty; /* commit: one bit per chunk to copy */
	atomic_uint_fast64_t ndirty, done;
	atomic_int state;
	atomic_bool stop;
	bool started; /* the thread runs (to join) */
	bool counted; /* set d->job_busy */
	pthread_t th;
	pthread_mutex_t lock; /* for the idle wait and error */
	pthread_cond_t cond;
	char error[256];
	disk_job_notify notify;
	void *opaque;
};

/* Mark the chunks of [off, off+len) dirty (any thread). */
static void mark(struct disk_job *j, uint64_t off, uint64_t len)
{
	uint64_t c, last, bit, old;

	if (!len || off >= j->d->size)
		return;
	last = MIN(off + len - 1, j->d->size - 1) / CHUNK;
	for (c = off / CHUNK; c <= last; c++) {
		bit = 1ULL << (c % 64);
		old = atomic_fetch_or(&j->dirty[c / 64], bit);
		if (!(old & bit))
			atomic_fetch_add(&j->ndirty, 1);
	}
}

/* The worker engine's on_write hook. */
static void on_write(void *opaque, uint64_t off, uint64_t len)
{
	mark(opaque, off, len);
}

/*
 * Take the first dirty chunk from *cursor on (wrapping), clearing its
 * bit. Returns its index, or NONE when nothing is dirty.
 */
static uint64_t take_dirty(struct disk_job *j, uint64_t *cursor)
{
	uint64_t words = (j->nchunks + 63) / 64, i, w, c, bit;

	for (i = 0; i <= words; i++) {
		w = (*cursor / 64 + i) % words;
		while ((bit = atomic_load(&j->dirty[w]))) {
			bit &= -bit; /* lowest set bit */
			if (!(atomic_fetch_and(&j->dirty[w], ~bit) & bit))
				continue; /* taken meanwhile */
			atomic_fetch_sub(&j->ndirty, 1);
			c = w * 64 + __builtin_ctzll(bit);
			*cursor = c + 1 < j->nchunks ? c + 1 : 0;
			return c;
		}
	}
	return NONE;
}

/* Record why the job failed (r < 0) and report it. Returns r. */
static int job_fail(struct disk_job *j, int r, const char *what)
{
	pthread_mutex_lock(&j->lock);
	snprintf(j->error, sizeof(j->error), "%s: %s", what,
		 blk_last_error()[0] ? blk_last_error() : strerror(-r));
	pthread_mutex_unlock(&j->lock);
	atomic_store(&j->state, DISK_JOB_FAILED);
	if (j->notify)
		j->notify(j->opaque, j, DISK_JOB_FAILED);
	return r;
}

/* Copy chunk c from the disk's view into base. Returns 0 or -errno. */
static int copy_chunk(struct disk_job *j, uint64_t c, void *buf)
{
	uint64_t off = c * CHUNK;
	size_t n = MIN((uint64_t)CHUNK, j->d->size - off);
	int r = blk_pread(j->d->blk, off, buf, n);

	if (r < 0)
		return r;
	r = blk_pwrite(j->bb, off, buf, n);
	if (r < 0)
		return r;
	atomic_fetch_add(&j->done, n);
	return 0;
}

/* Sleep IDLE_MS, or less when the job is stopped. */
static void idle(struct disk_job *j)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += IDLE_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->lock);
	if (!atomic_load(&j->stop))
		pthread_cond_timedwait(&j->cond, &j->lock, &ts);
	pthread_mutex_unlock(&j->lock);
}

/* The commit's thread: copy dirty chunks until stopped. */
static void *commit_thread(void *arg)
{
	struct disk_job *j = arg;
	void *buf = malloc(CHUNK);
	uint64_t cursor = 0, c;
	int r;

	if (!buf) {
		job_fail(j, -ENOMEM, "commit");
		return NULL;
	}
	while (!atomic_load(&j->stop)) {
		c = take_dirty(j, &cursor);
		if (c == NONE) {
			if (atomic_load(&j->state) == DISK_JOB_RUNNING) {
				atomic_store(&j->state, DISK_JOB_READY);
				if (j->notify)
					j->notify(j->opaque, j, DISK_JOB_READY);
			}
			idle(j);
			continue;
		}
		r = copy_chunk(j, c, buf);
		if (r) {
			mark(j, c * CHUNK, 1); /* still to copy */
			job_fail(j, r, "cannot copy into the base image");
			break;
		}
	}
	free(buf);
	return NULL;
}

/* Whether buf's n bytes are all zero. */
static bool all_zero(const uint8_t *buf, size_t n)
{
	return !n || (!buf[0] && !memcmp(buf, buf + 1, n - 1));
}

/*
 * Copy the parts of [off, off+n) that the overlay reads from its backing
 * chain into the overlay (job lock held exclusively: no guest write in
 * between). Returns 0 or -errno.
 */
static int stream_chunk(struct disk_job *j, uint64_t off, uint64_t n,
			uint8_t *buf)
{
	struct blk *top = j->d->blk;
	uint64_t p, pnum, map;
	int st, r;

	for (p = off; p < off + n; p += pnum) {
		st = blk_block_status(top, p, off + n - p, &pnum, &map);
		if (st < 0)
			return st;
		if (!pnum)
			return -EIO;
		if (st & BLK_ST_ALLOCATED)
			continue;
		r = blk_pread(top, p, buf, pnum);
		if (r < 0)
			return r;
		if (all_zero(buf, pnum)) /* reads as zero without backing */
			continue;
		r = blk_pwrite(top, p, buf, pnum);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The stream's thread: copy up every chunk, then drop the backing link. */
static void *stream_thread(void *arg)
{
	struct disk_job *j = arg;
	uint8_t *buf = malloc(CHUNK);
	uint64_t off, n, size = j->d->size;
	int r = buf ? 0 : -ENOMEM;

	for (off = 0; !r && off < size && !atomic_load(&j->stop); off += n) {
		n = MIN((uint64_t)CHUNK, size - off);
		pthread_rwlock_wrlock(&j->d->job_lock);
		r = stream_chunk(j, off, n, buf);
		pthread_rwlock_unlock(&j->d->job_lock);
		atomic_store(&j->done, off + n);
	}
	free(buf);
	if (r) {
		job_fail(j, r, "cannot copy into the overlay");
		return NULL;
	}
	if (atomic_load(&j->stop))
		return NULL;
	pthread_rwlock_wrlock(&j->d->job_lock);
	r = blk_set_backing(j->d->blk, NULL, NULL);
	pthread_rwlock_unlock(&j->d->job_lock);
	if (r < 0) {
		job_fail(j, r, "cannot drop the overlay's backing file");
		return NULL;
	}
	atomic_store(&j->state, DISK_JOB_DONE);
	if (j->notify)
		j->notify(j->opaque, j, DISK_JOB_DONE);
	return NULL;
}

/* Whether the open layer l is the file st describes. */
static bool is_file(struct blk *l, const struct stat *st)
{
	struct stat ls;

	return !fstat(blk_fd(l), &ls) && ls.st_dev == st->st_dev &&
	       ls.st_ino == st->st_ino;
}

/*
 * Find base in d's backing chain (NULL: its bottom) and set j->base and
 * j->base_fmt. Returns 0 or -errno with err.
 */
static int find_base(struct disk_job *j, const char *base, char *err,
		     size_t errlen)
{
	struct blk *l, *bottom = NULL;
	struct stat st;

	if (base && stat(base, &st)) {
		snprintf(err, errlen, "base '%s' of disk '%s': %s", base,
			 disk_file(j->d), strerror(errno));
		return -ENOENT;
	}
	for (l = blk_backing(j->d->blk); l; l = blk_backing(l)) {
		bottom = l;
		if (base && is_file(l, &st))
			break;
	}
	if (base && !l) {
		snprintf(err, errlen,
			 "'%s' is not in the backing chain of disk '%s'", base,
			 disk_file(j->d));
		return -ENOENT;
	}
	l = base ? l : bottom;
	j->base = realpath(blk_filename(l), NULL);
	j->base_fmt = blk_get_format(l);
	if (!j->base) {
		snprintf(err, errlen, "cannot resolve '%s': %s",
			 blk_filename(l), strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * Mark dirty every range that a layer above base decides (what the
 * commit must copy). Returns 0 or -errno.
 */
static int mark_above_base(struct disk_job *j)
{
	struct blk *l;
	uint64_t off, pnum, map;
	struct stat st;
	int s;

	if (stat(j->base, &st))
		return -errno;
	for (l = j->d->blk; l && !is_file(l, &st); l = blk_backing(l))
		for (off = 0; off < j->d->size; off += pnum) {
			s = blk_block_status(l, off, j->d->size - off, &pnum,
					     &map);
			if (s < 0)
				return s;
			if (!pnum)
				return -EIO;
			if (s & BLK_ST_ALLOCATED)
				mark(j, off, pnum);
		}
	return 0;
}

/* Open base read-write for a commit and install the write hook. */
static int commit_setup(struct disk_job *j, const char *base, char *err,
			size_t errlen)
{
	int kept, r = find_base(j, base, err, errlen);

	if (r)
		return r;
	j->dirty = calloc((j->nchunks + 63) / 64, sizeof(*j->dirty));
	if (!j->dirty)
		return -ENOMEM;
	kept = disk_frozen_fd(j->d, j->base);
	if (kept >= 0)
		r = blk_open_fd(&j->bb, kept, j->base, j->base_fmt,
				BLK_O_RDWR | BLK_O_NO_PROBE_WARN);
	else
		r = blk_open(&j->bb, j->base, j->base_fmt,
			     BLK_O_RDWR | BLK_O_NO_PROBE_WARN);
	if (r < 0) {
		snprintf(
			err, errlen,
			"cannot open the base '%s' for writing: %s (wirt-vmm's sandbox user must be able to write it)",
			j->base, blk_last_error());
		return r;
	}
	if (blk_getlength(j->bb) < j->d->size) {
		snprintf(
			err, errlen,
			"the base '%s' is smaller than disk '%s' (resize it first)",
			j->base, j->d->opts.path);
		return -EINVAL;
	}
	/* writes from now on are marked; older ones are in the layers */
	pthread_rwlock_wrlock(&j->d->job_lock);
	j->d->on_write = on_write;
	j->d->on_write_opaque = j;
	pthread_rwlock_unlock(&j->d->job_lock);
	r = mark_above_base(j);
	if (r < 0)
		snprintf(err, errlen, "cannot read the layers of disk '%s': %s",
			 disk_file(j->d), strerror(-r));
	return r;
}

/* Remove the write hook (if it is j's). */
static void unhook(struct disk_job *j)
{
	pthread_rwlock_wrlock(&j->d->job_lock);
	if (j->d->on_write_opaque == j) {
		j->d->on_write = NULL;
		j->d->on_write_opaque = NULL;
	}
	pthread_rwlock_unlock(&j->d->job_lock);
}

/*
 * Whether the header of d's image names a backing file (a finished
 * stream drops it while the open chain stays).
 */
static bool has_backing(const struct disk *d)
{
	struct blk_info i;
	bool r;

	if (!blk_backing(d->blk))
		return false;
	blk_get_info(d->blk, &i);
	r = i.backing_file && i.backing_file[0];
	blk_info_free(&i);
	return r;
}

/* Why d cannot run a job (one phrase), or NULL. */
static const char *unsupported(const struct disk *d)
{
	if (d->job_busy)
		return "a block job is already running on it";
	if (d->readonly)
		return "it is read-only";
	if (!d->blk || d->format != BLK_FMT_QCOW2)
		return "it is not a qcow2 image";
	if (!has_backing(d))
		return "its image has no backing file (take a disk-only snapshot first)";
	return NULL;
}

int disk_job_start(struct disk_job **out, struct disk *d, enum disk_job_type t,
		   const char *base, disk_job_notify notify, void *opaque,
		   char *err, size_t errlen)
{
	struct disk_job *j;
	const char *u = unsupported(d);
	int r;

	if (u) {
		snprintf(err, errlen, "disk '%s': %s", disk_file(d), u);
		return d->job_busy ? -EBUSY : -ENOTSUP;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->type = t;
	j->d = d;
	j->nchunks = (d->size + CHUNK - 1) / CHUNK;
	j->notify = notify;
	j->opaque = opaque;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	snprintf(err, errlen, "out of memory");
	r = t == DISK_JOB_COMMIT ? commit_setup(j, base, err, errlen) : 0;
	*out = j; /* the thread's first notify may come before we return */
	if (!r) {
		r = thread_start(&j->th,
				 t == DISK_JOB_COMMIT ? commit_thread :
							stream_thread,
				 j);
		if (r)
			snprintf(err, errlen, "cannot start the job: %s",
				 strerror(-r));
	}
	if (r) {
		*out = NULL;
		disk_job_free(j);
		return r;
	}
	j->started = true;
	j->counted = true;
	d->job_busy = true;
	return 0;
}

void disk_job_get_info(struct disk_job *j, struct disk_job_info *i)
{
	i->type = j->type;
	i->state = atomic_load(&j->state);
	i->offset = atomic_load(&j->done);
	if (j->type == DISK_JOB_COMMIT)
		i->len = i->offset + atomic_load(&j->ndirty) * CHUNK;
	else
		i->len = j->d->size;
	if (i->len < i->offset)
		i->len = i->offset;
	pthread_mutex_lock(&j->lock);
	snprintf(i->error, sizeof(i->error), "%s", j->error);
	pthread_mutex_unlock(&j->lock);
}

const char *disk_job_base(const struct disk_job *j)
{
	return j->base;
}

/* Stop and join the job's thread. */
static void stop_thread(struct disk_job *j)
{
	if (!j->started)
		return;
	pthread_mutex_lock(&j->lock);
	atomic_store(&j->stop, true);
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	pthread_join(j->th, NULL);
	j->started = false;
}

/* Mark j failed for why (no notify: the caller reports). Returns r. */
static int set_failed(struct disk_job *j, int r, const char *why)
{
	pthread_mutex_lock(&j->lock);
	snprintf(j->error, sizeof(j->error), "%s", why);
	pthread_mutex_unlock(&j->lock);
	atomic_store(&j->state, DISK_JOB_FAILED);
	return r;
}

int disk_job_finish(struct disk_job *j, char *err, size_t errlen)
{
	uint64_t cursor = 0, c;
	void *buf;
	int r = 0;

	if (j->type != DISK_JOB_COMMIT ||
	    atomic_load(&j->state) != DISK_JOB_READY) {
		snprintf(err, errlen,
			 "The active block job for '%s' cannot be completed",
			 disk_file(j->d));
		return -EAGAIN;
	}
	stop_thread(j);
	unhook(j);
	buf = malloc(CHUNK);
	if (!buf)
		r = -ENOMEM;
	while (!r && (c = take_dirty(j, &cursor)) != NONE)
		r = copy_chunk(j, c, buf);
	free(buf);
	r = r ?: blk_flush(j->bb);
	if (r < 0) {
		snprintf(err, errlen, "cannot copy into the base '%s': %s",
			 j->base, blk_last_error());
		return set_failed(j, r, err);
	}
	blk_close(j->bb);
	j->bb = NULL;
	r = disk_pivot_layer(j->d, j->base, j->base_fmt, err, errlen);
	if (r)
		return set_failed(j, r, err);
	atomic_store(&j->state, DISK_JOB_DONE);
	return 0;
}

void disk_job_free(struct disk_job *j)
{
	if (!j)
		return;
	stop_thread(j);
	unhook(j);
	if (j->bb)
		blk_close(j->bb);
	if (j->counted)
		j->d->job_busy = false;
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	free(j->dirty);
	free(j->base);
	free(j);
}
