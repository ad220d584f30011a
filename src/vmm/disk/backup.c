// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Copy-before-write backups of a disk in use (backup.h): the cluster
 * states, the copier thread, the copy a guest write does first, and the
 * target file (raw, or qcow2 through the block library).
 *
 * Locks: d->bk_lock guards the disk's backup fields and is held by the
 * device's thread for the whole copy-before-write of one request (so a
 * backup cannot go away under it); bk->m guards the cluster states and
 * the counters. The order is d->bk_lock, then bk->m; the copier thread
 * takes d->bk_lock only to detach, holding nothing else.
 */
#include "vmm/disk/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/bitmap.h"
#include "common/util.h"
#include "vmm/disk/engine.h"

#define CL DISK_BACKUP_CLUSTER
#define CHUNK_CLUSTERS (DISK_BACKUP_CHUNK / CL)

enum cl_state { CL_TODO, CL_BUSY, CL_DONE };

struct disk_backup {
	struct disk *d;
	char *target, *part;
	enum blk_format format;
	bool compress;
	bool backed; /* the target has a backing file: zeroes are written */
	int tfd; /* raw target */
	struct blk *tb; /* qcow2 target */
	uint64_t size, ncl;

	pthread_mutex_t m;
	pthread_cond_t cond; /* a cluster left CL_BUSY */
	uint8_t *state; /* enum cl_state per cluster */
	uint64_t done_bytes; /* copied or left out */
	unsigned int nbusy;
	bool busy; /* the copier is copying a chunk */
	char error[DISK_ERR_LEN]; /* the first failure, "" while none */

	atomic_bool cancel;
	atomic_uint_least64_t speed;
	bool started, thread, finished; /* finished: done() ran */
	pthread_t th;
	void *cbw_buf; /* the device thread's copy buffer */
	void (*done)(void *opaque, enum disk_backup_end end, const char *error);
	void *opaque;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Record the backup's first failure (bk->m held). */
static void set_error(struct disk_backup *bk, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_error(struct disk_backup *bk, const char *fmt, ...)
{
	va_list ap;

	if (bk->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(bk->error, sizeof(bk->error), fmt, ap);
	va_end(ap);
}

/*
 * Read [off, off+len) of the disk's data into buf (aligned for O_DIRECT,
 * room for len rounded up to the disk's alignment). Returns 0 or -errno.
 */
static int read_source(struct disk *d, uint64_t off, void *buf, size_t len)
{
	size_t alen = ALIGN_UP(len, (size_t)MAX(d->align, 1u));
	ssize_t n;

	if (d->blk)
		return blk_pread(d->blk, off, buf, len);
	n = pread_full(d->fd, buf, alen, off);
	if (n < 0)
		return (int)n;
	if ((size_t)n < len) /* past the end of the file: zeroes */
		memset((char *)buf + n, 0, len - n);
	return 0;
}

static bool all_zero(const void *buf, size_t len)
{
	const uint64_t *p = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Write [off, off+len) of buf to the target: zero clusters are skipped
 * (the new target reads them as zeroes), qcow2 clusters compressed when
 * asked. A target backed by the previous backup gets zero clusters
 * written as zeroes instead, or the backing file's data would show
 * through. Returns 0 or -errno.
 */
static int write_target(struct disk_backup *bk, uint64_t off, const void *buf,
			size_t len)
{
	size_t pos, n;
	int r = 0;

	for (pos = 0; pos < len && !r; pos += n) {
		const char *p = (const char *)buf + pos;

		n = MIN((size_t)CL, len - pos);
		if (all_zero(p, n) && bk->backed)
			r = blk_pwrite_zeroes(bk->tb, off + pos, n, 0);
		if (all_zero(p, n))
			continue;
		if (bk->tb && bk->compress)
			r = blk_pwrite_compressed(bk->tb, off + pos, p, n);
		else if (bk->tb)
			r = blk_pwrite(bk->tb, off + pos, p, n);
		else if (pwrite_full(bk->tfd, p, n, off + pos) < 0)
			r = -errno;
	}
	return r < 0 ? r : 0;
}

/*
 * Whether [off, off+len) of the disk reads as zeroes by its image's
 * metadata alone (qcow2 clusters that hold no data and have no backing
 * file under them), so that the copier need not read it: a full backup
 * of a mostly empty disk then costs what its data does. Clusters not
 * copied yet still hold what they held at the backup's instant.
 */
static bool source_zero(struct disk *d, uint64_t off, size_t len)
{
	uint64_t pos = off, pnum, map;
	int st;

	if (!d->blk)
		return false;
	while (pos < off + len) {
		st = blk_block_status(d->blk, pos, off + len - pos, &pnum,
				      &map);
		if (st < 0 || !(st & BLK_ST_ZERO) || !pnum)
			return false;
		pos += pnum;
	}
	return true;
}

/*
 * Copy clusters [c, c+n) (all CL_BUSY, owned by the caller) from the disk
 * to the target through buf. Returns 0 or -errno with bk->error set.
 */
static int copy_clusters(struct disk_backup *bk, uint64_t c, uint64_t n,
			 void *buf)
{
	uint64_t off = c * CL;
	size_t len = MIN(n * CL, bk->size - off);
	int r = 0;

	if (source_zero(bk->d, off, len))
		memset(buf, 0, len);
	else
		r = read_source(bk->d, off, buf, len);

	if (r < 0) {
		pthread_mutex_lock(&bk->m);
		set_error(bk, "cannot read disk '%s' at offset %llu: %s",
			  bk->d->opts.path, (unsigned long long)off,
			  strerror(-r));
		pthread_mutex_unlock(&bk->m);
		return r;
	}
	r = write_target(bk, off, buf, len);
	if (r < 0) {
		pthread_mutex_lock(&bk->m);
		set_error(bk, "cannot write backup target '%s': %s", bk->part,
			  strerror(-r));
		pthread_mutex_unlock(&bk->m);
	}
	return r;
}

/* Mark [c, c+n) copied (bk->m held) and wake whoever waits for them. */
static void mark_done(struct disk_backup *bk, uint64_t c, uint64_t n)
{
	uint64_t i;

	for (i = c; i < c + n; i++)
		bk->state[i] = CL_DONE;
	bk->done_bytes += MIN(n * CL, bk->size - c * CL);
	bk->nbusy -= n;
	pthread_cond_broadcast(&bk->cond);
}

/*
 * Claim the run of CL_TODO clusters from *c on (at most max), marking
 * them CL_BUSY; skips copied ones and waits for busy ones when wait.
 * Returns the run's length (0 when none until last) with *c its start.
 * bk->m held.
 */
static uint64_t claim(struct disk_backup *bk, uint64_t *c, uint64_t last,
		      uint64_t max, bool wait)
{
	uint64_t n = 0;

	while (*c < last && bk->state[*c] != CL_TODO) {
		if (bk->state[*c] == CL_BUSY && wait)
			pthread_cond_wait(&bk->cond, &bk->m);
		else
			(*c)++;
	}
	while (*c + n < last && n < max && bk->state[*c + n] == CL_TODO)
		bk->state[*c + n++] = CL_BUSY;
	bk->nbusy += n;
	return n;
}

/*
 * Copy-before-write of [off, off+len) for a guest write (device thread,
 * d->bk_lock held): every cluster it reaches that is not copied yet is
 * copied now, a cluster the copier is copying is waited for.
 */
static void cbw(struct disk_backup *bk, uint64_t off, uint64_t len)
{
	uint64_t c, last, n;
	int r;

	if (!len || off >= bk->size)
		return;
	c = off / CL;
	last = MIN((off + len - 1) / CL + 1, bk->ncl);
	pthread_mutex_lock(&bk->m);
	while (c < last) {
		n = claim(bk, &c, last, CHUNK_CLUSTERS, true);
		if (!n)
			break;
		pthread_mutex_unlock(&bk->m);
		r = bk->error[0] ? -EIO : copy_clusters(bk, c, n, bk->cbw_buf);
		pthread_mutex_lock(&bk->m);
		mark_done(bk, c, n);
		if (r < 0) /* the write goes on; the backup fails */
			atomic_store(&bk->cancel, true);
		c += n;
	}
	pthread_mutex_unlock(&bk->m);
}

/* Sleep as long as the speed limit asks after copied bytes since t0. */
static void throttle(struct disk_backup *bk, uint64_t t0, uint64_t copied)
{
	uint64_t speed = atomic_load(&bk->speed), due, now;

	if (!speed)
		return;
	due = t0 + (uint64_t)((double)copied * 1e9 / (double)speed);
	while (!atomic_load(&bk->cancel) && (now = now_ns()) < due) {
		uint64_t ns = MIN(due - now, 50000000ull);

		nanosleep(&(struct timespec){ 0, (long)ns }, NULL);
	}
}

/*
 * The copier's walk over every cluster in order. Returns 0 when all are
 * copied, -ECANCELED, or -EIO after a failure (bk->error).
 */
static int copy_all(struct disk_backup *bk, void *buf)
{
	uint64_t c = 0, n, copied = 0, t0 = now_ns();
	int r = 0;

	while (!r && !atomic_load(&bk->cancel)) {
		pthread_mutex_lock(&bk->m);
		n = claim(bk, &c, bk->ncl, CHUNK_CLUSTERS, false);
		bk->busy = n > 0;
		pthread_mutex_unlock(&bk->m);
		if (!n)
			break;
		r = copy_clusters(bk, c, n, buf);
		pthread_mutex_lock(&bk->m);
		mark_done(bk, c, n);
		bk->busy = false;
		pthread_mutex_unlock(&bk->m);
		copied += n * CL;
		c += n;
		throttle(bk, t0, copied);
	}
	pthread_mutex_lock(&bk->m);
	while (bk->nbusy) /* a guest write's copy still running */
		pthread_cond_wait(&bk->cond, &bk->m);
	if (bk->error[0])
		r = -EIO;
	else if (atomic_load(&bk->cancel))
		r = -ECANCELED;
	pthread_mutex_unlock(&bk->m);
	return r;
}

/* Stop intercepting the disk's writes for bk. */
static void detach(struct disk_backup *bk)
{
	struct disk *d = bk->d;

	pthread_mutex_lock(&d->bk_lock);
	if (d->bk == bk)
		d->bk = NULL;
	atomic_store(&d->intercept, d->held || d->bk);
	pthread_mutex_unlock(&d->bk_lock);
}

/*
 * Make the complete target durable under its final name: flush, close,
 * rename target.part, sync the directory. Returns 0 or -errno (error set).
 */
static int finish_target(struct disk_backup *bk)
{
	char dir[PATH_MAX], *slash;
	int r;

	r = bk->tb ? blk_close(bk->tb) : (fdatasync(bk->tfd) ? -errno : 0);
	bk->tb = NULL;
	if (!r && bk->tfd >= 0 && close(bk->tfd))
		r = -errno;
	bk->tfd = -1;
	if (!r && rename(bk->part, bk->target))
		r = -errno;
	if (r < 0) {
		set_error(bk, "cannot complete backup target '%s': %s",
			  bk->target, strerror(-r));
		return r;
	}
	snprintf(dir, sizeof(dir), "%s", bk->target);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	blk_io_sync_dir(slash ? dir : ".");
	return 0;
}

/* Close and remove an unfinished target. */
static void drop_target(struct disk_backup *bk)
{
	if (bk->tb)
		blk_close(bk->tb);
	bk->tb = NULL;
	if (bk->tfd >= 0)
		close(bk->tfd);
	bk->tfd = -1;
	unlink(bk->part);
}

static void *copier(void *arg)
{
	struct disk_backup *bk = arg;
	enum disk_backup_end end = DISK_BACKUP_DONE;
	void (*done)(void *, enum disk_backup_end, const char *);
	void *buf = NULL;
	int r;

	if (posix_memalign(&buf, 4096, DISK_BACKUP_CHUNK)) {
		pthread_mutex_lock(&bk->m);
		set_error(bk, "backup of disk '%s': out of memory",
			  bk->d->opts.path);
		pthread_mutex_unlock(&bk->m);
		atomic_store(&bk->cancel, true);
	}
	r = buf ? copy_all(bk, buf) : -ENOMEM;
	if (!buf) { /* let guest writes' copies finish first */
		pthread_mutex_lock(&bk->m);
		while (bk->nbusy)
			pthread_cond_wait(&bk->cond, &bk->m);
		pthread_mutex_unlock(&bk->m);
	}
	free(buf);
	detach(bk);
	if (!r)
		r = finish_target(bk);
	if (r) {
		drop_target(bk);
		end = r == -ECANCELED ? DISK_BACKUP_CANCELLED :
					DISK_BACKUP_FAILED;
	}
	pthread_mutex_lock(&bk->m);
	bk->finished = true;
	done = bk->done;
	pthread_mutex_unlock(&bk->m);
	if (done)
		done(bk->opaque, end,
		     end == DISK_BACKUP_FAILED ? bk->error : "");
	return NULL;
}

/* Check the options against d. Returns 0 or -errno with err. */
static int check_opts(struct disk *d, const struct disk_backup_opts *o,
		      char *err, size_t errlen)
{
	struct stat st;

	if (o->format != BLK_FMT_RAW && o->format != BLK_FMT_QCOW2)
		return err_set(err, errlen, -EINVAL,
			       "backup format must be raw or qcow2");
	if (o->compress && o->format != BLK_FMT_QCOW2)
		return err_set(err, errlen, -EINVAL,
			       "compress needs a qcow2 backup target");
	if (o->backing && o->format != BLK_FMT_QCOW2)
		return err_set(
			err, errlen, -EINVAL,
			"a backup over a backing file needs a qcow2 target");

	if (o->clusters && o->nclusters != (d->size + CL - 1) / CL)
		return err_set(
			err, errlen, -EINVAL,
			"the set of clusters to copy does not match disk '%s'",
			d->opts.path);
	if (d->bk)
		return err_set(err, errlen, -EBUSY,
			       "disk '%s' is being backed up already",
			       d->opts.path);
	if (!lstat(o->target, &st) || errno != ENOENT)
		return err_set(
			err, errlen, -EEXIST,
			"backup target '%s' exists already: give a new file name, or remove it",
			o->target);
	return 0;
}

/*
 * Create bk->part anew (never through a symbolic link; a stale one is
 * replaced) and open it as the target. Returns 0 or -errno with err.
 */
static int create_target(struct disk_backup *bk, const char *backing, char *err,
			 size_t errlen)
{
	struct blk_create_opts co = { .size = bk->size,
				      .cluster_size = CL,
				      .backing_file = backing,
				      .backing_fmt = backing ? "qcow2" : NULL };
	int fd, r;

	unlink(bk->part);
	fd = open(bk->part, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return err_set(err, errlen, -errno,
			       "cannot create backup target '%s': %s%s",
			       bk->part, strerror(errno),
			       errno == ENOENT ?
				       " (its directory does not exist)" :
				       "");
	if (bk->format == BLK_FMT_RAW) {
		bk->tfd = fd;
		if (ftruncate(fd, bk->size))
			return err_set(err, errlen, -errno,
				       "cannot size backup target '%s': %s",
				       bk->part, strerror(errno));
		return 0;
	}
	close(fd);
	r = blk_create(bk->part, BLK_FMT_QCOW2, &co);
	if (!r)
		r = blk_open(&bk->tb, bk->part, BLK_FMT_QCOW2,
			     BLK_O_RDWR | BLK_O_NO_PROBE_WARN |
				     BLK_O_NO_BACKING);
	if (r < 0)
		return err_set(err, errlen, r,
			       "cannot create backup target '%s': %s", bk->part,
			       blk_last_error());
	return 0;
}

/* Mark the clusters outside o->clusters as done (not copied). */
static void apply_set(struct disk_backup *bk, const struct disk_backup_opts *o)
{
	uint64_t i;

	if (!o->clusters)
		return;
	for (i = 0; i < bk->ncl; i++)
		if (!(o->clusters[i / 64] >> (i % 64) & 1)) {
			bk->state[i] = CL_DONE;
			bk->done_bytes += MIN((uint64_t)CL, bk->size - i * CL);
		}
}

int disk_backup_new(struct disk_backup **out, struct disk *d,
		    const struct disk_backup_opts *o, char *err, size_t errlen)
{
	struct disk_backup *bk;
	int r;

	r = check_opts(d, o, err, errlen);
	if (r)
		return r;
	bk = calloc(1, sizeof(*bk));
	if (!bk)
		return err_set(err, errlen, -ENOMEM, "backup: out of memory");
	bk->d = d;
	bk->tfd = -1;
	bk->size = d->size;
	bk->ncl = (d->size + CL - 1) / CL;
	bk->format = o->format;
	bk->compress = o->compress;
	bk->done = o->done;
	bk->opaque = o->opaque;
	atomic_store(&bk->speed, o->speed);
	pthread_mutex_init(&bk->m, NULL);
	pthread_cond_init(&bk->cond, NULL);
	bk->target = strdup(o->target);
	if (bk->target && asprintf(&bk->part, "%s.part", o->target) < 0)
		bk->part = NULL;
	bk->state = calloc(bk->ncl ? bk->ncl : 1, 1);
	if (!bk->target || !bk->part || !bk->state ||
	    posix_memalign(&bk->cbw_buf, 4096, DISK_BACKUP_CHUNK)) {
		disk_backup_free(bk);
		return err_set(err, errlen, -ENOMEM, "backup: out of memory");
	}
	apply_set(bk, o);
	bk->backed = o->backing != NULL;
	r = create_target(bk, o->backing, err, errlen);
	if (r) {
		disk_backup_free(bk);
		return r;
	}
	*out = bk;
	return 0;
}

void disk_backup_select(struct disk_backup *bk, const struct bitmap *bm)
{
	uint64_t i, off, len;

	for (i = 0; i < bk->ncl; i++) {
		off = i * CL;
		len = MIN((uint64_t)CL, bk->size - off);
		if (bk->state[i] != CL_TODO ||
		    bitmap_next_dirty(bm, off) < off + len)
			continue;
		bk->state[i] = CL_DONE;
		bk->done_bytes += len;
	}
}

int disk_backup_start(struct disk_backup *bk, char *err, size_t errlen)
{
	struct disk *d = bk->d;
	int r;

	pthread_mutex_lock(&d->bk_lock);
	if (d->bk) {
		pthread_mutex_unlock(&d->bk_lock);
		return err_set(err, errlen, -EBUSY,
			       "disk '%s' is being backed up already",
			       d->opts.path);
	}
	d->bk = bk;
	atomic_store(&d->intercept, 1);
	pthread_mutex_unlock(&d->bk_lock);
	bk->started = true;
	r = thread_start(&bk->th, copier, bk);
	if (r) {
		bk->started = false;
		detach(bk);
		return err_set(err, errlen, r,
			       "cannot start the backup thread: %s",
			       strerror(-r));
	}
	bk->thread = true;
	return 0;
}

void disk_backup_cancel(struct disk_backup *bk)
{
	atomic_store(&bk->cancel, true);
}

void disk_backup_set_speed(struct disk_backup *bk, uint64_t speed)
{
	atomic_store(&bk->speed, speed);
}

void disk_backup_progress(struct disk_backup *bk, uint64_t *done,
			  uint64_t *total, bool *busy)
{
	pthread_mutex_lock(&bk->m);
	*done = bk->done_bytes;
	*total = bk->size;
	*busy = bk->busy;
	pthread_mutex_unlock(&bk->m);
}

void disk_backup_free(struct disk_backup *bk)
{
	if (!bk)
		return;
	if (bk->thread) {
		atomic_store(&bk->cancel, true);
		pthread_join(bk->th, NULL);
	} else if (bk->part) {
		drop_target(bk);
	}
	pthread_mutex_destroy(&bk->m);
	pthread_cond_destroy(&bk->cond);
	free(bk->state);
	free(bk->cbw_buf);
	free(bk->target);
	free(bk->part);
	free(bk);
}

void disk_hold(struct disk *d)
{
	pthread_mutex_lock(&d->bk_lock);
	d->held = true;
	atomic_store(&d->intercept, 1);
	pthread_mutex_unlock(&d->bk_lock);
}

int disk_wait_idle(struct disk *d, unsigned int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000;

	while (disk_inflight(d)) {
		if (now_ns() > end)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){ 0, 20000 }, NULL);
	}
	return 0;
}

void disk_release(struct disk *d)
{
	bool parked;

	pthread_mutex_lock(&d->bk_lock);
	d->held = false;
	parked = d->parked != NULL;
	atomic_store(&d->intercept, d->bk != NULL || parked);
	pthread_mutex_unlock(&d->bk_lock);
	if (parked)
		disk_signal(d); /* disk_complete() submits them */
}

/* Whether io changes the disk's data. */
static bool writes(const struct disk_io *io)
{
	return io->op == DISK_WRITE || io->op == DISK_WRITE_ZEROES ||
	       io->op == DISK_DISCARD;
}

bool disk_backup_intercept(struct disk *d, struct disk_io *io)
{
	pthread_mutex_lock(&d->bk_lock);
	if (d->held) {
		atomic_fetch_sub(&d->eng->inflight, 1);
		io->next = NULL;
		if (d->parked_tail)
			d->parked_tail->next = io;
		else
			d->parked = io;
		d->parked_tail = io;
		pthread_mutex_unlock(&d->bk_lock);
		return true;
	}
	if (d->bk && writes(io))
		cbw(d->bk, io->off,
		    io->op == DISK_WRITE ? disk_io_len(io) : io->len);
	pthread_mutex_unlock(&d->bk_lock);
	return false;
}

void disk_backup_unpark(struct disk *d)
{
	struct disk_io *io, *next;

	pthread_mutex_lock(&d->bk_lock);
	if (d->held) {
		pthread_mutex_unlock(&d->bk_lock);
		return;
	}
	io = d->parked;
	d->parked = d->parked_tail = NULL;
	atomic_store(&d->intercept, d->bk != NULL);
	pthread_mutex_unlock(&d->bk_lock);
	if (!io)
		return;
	for (; io; io = next) {
		next = io->next;
		disk_submit(d, io);
	}
	disk_kick(d); /* the engine may batch them until a kick */
}

bool disk_backup_busy(const struct disk *d)
{
	return __atomic_load_n(&d->bk, __ATOMIC_ACQUIRE) != NULL;
}

void disk_backup_close(struct disk *d)
{
	struct disk_backup *bk;

	pthread_mutex_lock(&d->bk_lock);
	bk = d->bk;
	pthread_mutex_unlock(&d->bk_lock);
	if (!bk)
		return;
	pthread_mutex_lock(&bk->m);
	bk->done = NULL; /* its owner is gone */
	pthread_mutex_unlock(&bk->m);
	disk_backup_free(bk);
}
