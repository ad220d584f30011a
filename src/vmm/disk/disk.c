// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Opening a disk for the VMM: permissions, OFD image locks, format probing,
 * O_DIRECT alignment, and choosing the I/O engine. Also the synchronous
 * fallbacks the engines share.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <limits.h>
#include <linux/fs.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/blk.h"
#include "common/util.h"
#include "vmm/disk/backup.h"
#include "vmm/disk/disk-layer.h"
#include "vmm/disk/engine.h"

#define POOL_THREADS 4
#define ZERO_CHUNK (1024 * 1024)

/* The user-facing line for a failed open(2) of the image. */
static int open_error(const struct disk_opts *o, int e, char *err,
		      size_t errlen)
{
	const char *p = o->path;

	switch (e) {
	case ENOENT:
		return err_set(err, errlen, -e,
			       "disk '%s': No such file or directory", p);
	case EACCES:
	case EPERM:
		return err_set(
			err, errlen, -e,
			o->readonly ?
				"disk '%s': Permission denied (give this user read access to it)" :
				"disk '%s': Permission denied (give this user read and write access, or add readonly=on to use it read-only)",
			p);
	case EROFS:
		return err_set(
			err, errlen, -e,
			"disk '%s' is on a read-only file system; add readonly=on to use it read-only",
			p);
	case EISDIR:
		return err_set(
			err, errlen, -e,
			"disk '%s' is a directory; give an image file or block device",
			p);
	case EINVAL:
		if (o->cache == DISK_CACHE_NONE)
			return err_set(
				err, errlen, -e,
				"disk '%s': cache=none needs O_DIRECT, which its file system does not support; use cache=writeback",
				p);
		/* fall through */
	default:
		return err_set(err, errlen, -e, "disk '%s': %s", p,
			       strerror(e));
	}
}

/*
 * Set an open file description lock of type (F_RDLCK, F_WRLCK) over the
 * whole file behind fd. Returns 0 (also when the file system has no
 * locks, *nolocks then set to the errno), -EBUSY when another open of the
 * file holds a conflicting lock, or another -errno.
 */
static int set_lock(int fd, short type, int *nolocks)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0,
	};

	*nolocks = 0;
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return -EBUSY;
	if (errno == ENOLCK || errno == EOPNOTSUPP || errno == EINVAL ||
	    errno == ENOSYS) {
		*nolocks = errno;
		return 0;
	}
	return -errno;
}

/*
 * Take the image lock on fd (the file at path): a write lock on the whole
 * file for a writable open, a read lock for a read-only one. Open file
 * description locks belong to this open, so another process (or another
 * open here) that conflicts is refused. Returns 0 or -errno with err
 * filled.
 */
static int lock_image(int fd, const char *path, bool readonly, char *err,
		      size_t errlen)
{
	int nolocks, r = set_lock(fd, readonly ? F_RDLCK : F_WRLCK, &nolocks);

	if (r == -EBUSY)
		return err_set(
			err, errlen, -EBUSY,
			"disk '%s' is in use by another process (locked)",
			path);
	if (r)
		return err_set(err, errlen, r, "disk '%s': cannot lock it: %s",
			       path, strerror(-r));
	if (nolocks)
		wirt_warn(
			"disk '%s': its file system does not support locks (%s); opened without an image lock",
			path, strerror(nolocks));
	return 0;
}

/*
 * Take shared locks on every backing file below top (read-only layers
 * that must not change while this disk uses them). Returns 0, or -errno
 * with err naming the file that another process writes.
 */
static int lock_backing(struct blk *top, char *err, size_t errlen)
{
	struct blk *l;
	int nolocks, r;

	for (l = blk_backing(top); l; l = blk_backing(l)) {
		r = set_lock(blk_fd(l), F_RDLCK, &nolocks);
		if (r == -EBUSY)
			return err_set(
				err, errlen, r,
				"backing file '%s' of '%s' is in use by another process that may write it (locked); stop that process first",
				blk_filename(l), blk_filename(top));
		if (r)
			return err_set(err, errlen, r,
				       "backing file '%s': cannot lock it: %s",
				       blk_filename(l), strerror(-r));
	}
	return 0;
}

/*
 * The alignment O_DIRECT needs for offsets, lengths and buffers on fd:
 * the device's logical block size, statx's DIO alignment for files, or a
 * test read. Returns a power of two >= 512.
 */
static unsigned int dio_align(int fd, bool blkdev)
{
	struct statx sx;
	unsigned int a = 512;
	void *buf;
	int lbs;

	if (blkdev) {
		if (ioctl(fd, BLKSSZGET, &lbs) == 0 && lbs >= 512)
			return lbs;
		return 4096;
	}
	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
	    (sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align) {
		a = MAX(sx.stx_dio_offset_align, sx.stx_dio_mem_align);
		return MAX(a, 512u);
	}
	if (posix_memalign(&buf, 4096, 4096))
		return 4096;
	if (pread(fd, buf, 512, 0) < 0 && errno == EINVAL)
		a = 4096;
	free(buf);
	return a;
}

/* Decide the format (probing when not given). Returns 0 or -errno. */
static int pick_format(struct disk *d, char *err, size_t errlen)
{
	const struct disk_opts *o = &d->opts;
	enum blk_format found;
	int r = blk_probe_fd(d->fd, &found);

	if (r < 0)
		return err_set(err, errlen, r, "disk '%s': cannot read it: %s",
			       o->path, strerror(-r));
	if (o->format == BLK_FMT_QCOW2 && found != BLK_FMT_QCOW2)
		return err_set(
			err, errlen, -EINVAL,
			"disk '%s' is not a qcow2 image (no qcow2 header); use format=raw",
			o->path);
	if (o->format != BLK_FMT_PROBE) {
		d->format = o->format;
		return 0;
	}
	d->format = found;
	if (found == BLK_FMT_RAW) {
		d->probed_raw = !d->readonly;
		wirt_warn(
			"Image format was not specified for '%s' and probing guessed raw. Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted. Specify the 'raw' format explicitly to remove the restrictions.",
			o->path);
	}
	return 0;
}

/* Size in bytes of the open image (files and block devices). */
static int image_size(struct disk *d, const struct stat *st, char *err,
		      size_t errlen)
{
	uint64_t sz;

	if (!d->is_blkdev) {
		d->size = st->st_size;
		return 0;
	}
	if (ioctl(d->fd, BLKGETSIZE64, &sz) < 0)
		return err_set(err, errlen, -errno,
			       "disk '%s': cannot read the device size: %s",
			       d->opts.path, strerror(errno));
	d->size = sz;
	return 0;
}

/* Copy o into d->opts (the caller keeps its own). Returns 0 or -ENOMEM. */
static int copy_opts(struct disk *d, const struct disk_opts *o)
{
	d->opts = *o;
	d->opts.path = strdup(o->path);
	if (!d->opts.path)
		return -ENOMEM;
	return 0;
}

/* Open the image file itself and check what it is. Returns 0 or -errno. */
static int open_file(struct disk *d, struct stat *st, char *err, size_t errlen)
{
	const struct disk_opts *o = &d->opts;
	int flags = (o->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;

	if (stat(o->path, st) < 0)
		return open_error(o, errno, err, errlen);
	if (S_ISDIR(st->st_mode))
		return open_error(o, EISDIR, err, errlen);
	if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))
		return err_set(
			err, errlen, -EINVAL,
			"disk '%s' is neither a regular file nor a block device",
			o->path);
	/* root may write anything; still honour a file marked read-only */
	if (!o->readonly && S_ISREG(st->st_mode) && !(st->st_mode & 0222))
		return err_set(
			err, errlen, -EACCES,
			"disk '%s' is a read-only file (mode %03o); add readonly=on to use it read-only, or make it writable",
			o->path, st->st_mode & 0777);
	if (o->cache == DISK_CACHE_NONE)
		flags |= O_DIRECT;
	d->fd = open(o->path, flags);
	if (d->fd < 0)
		return open_error(o, errno, err, errlen);
	if (fstat(d->fd, st) < 0)
		return err_set(err, errlen, -errno, "disk '%s': %s", o->path,
			       strerror(errno));
	d->is_blkdev = S_ISBLK(st->st_mode);
	d->direct = o->cache == DISK_CACHE_NONE;
	d->align = d->direct ? dio_align(d->fd, d->is_blkdev) : 1;
	d->logical_block = MAX(d->align, 512u);
	if (d->logical_block > 4096)
		d->logical_block = 4096;
	return 0;
}

/*
 * Open the file the disk writes (disk_file(), open as d->fd) through the
 * block library (qcow2, or the raw fallback) and lock its backing chain
 * shared.
 */
static int open_blk(struct disk *d, enum blk_format fmt, char *err,
		    size_t errlen)
{
	unsigned int flags =
		BLK_O_NO_PROBE_WARN | (d->readonly ? 0 : BLK_O_RDWR);
	int r = blk_open_fd(&d->blk, d->fd, disk_file(d), fmt, flags);

	if (r < 0)
		return err_set(err, errlen, r, "disk '%s': %s", disk_file(d),
			       blk_last_error());
	d->size = blk_getlength(d->blk);
	return lock_backing(d->blk, err, errlen);
}

/* Clear O_DIRECT on d->fd (and its block library duplicate). */
static void drop_direct(struct disk *d)
{
	int fl = fcntl(d->fd, F_GETFL);

	if (fl >= 0 && (fl & O_DIRECT))
		fcntl(d->fd, F_SETFL, fl & ~O_DIRECT);
	d->direct = false;
}

/*
 * qcow2 goes through the block library on the worker pool, which has no
 * O_DIRECT path yet: drop cache=none (with a warning) and its alignment.
 */
static void use_page_cache(struct disk *d)
{
	if (d->direct)
		wirt_warn(
			"disk '%s': cache=none is not supported for qcow2 images yet; using the page cache",
			d->opts.path);
	drop_direct(d);
	d->align = 1;
}

/* Start the engine for the format. Returns 0 or -errno with err. */
static int start_engine(struct disk *d, unsigned int depth, char *err,
			size_t errlen)
{
	int r;

	if (d->format == BLK_FMT_QCOW2) {
		use_page_cache(d);
		d->logical_block = 512;
		r = open_blk(d, BLK_FMT_QCOW2, err, errlen);
		return r ? r : disk_pool_start(d, POOL_THREADS, err, errlen);
	}
	r = disk_uring_start(d, depth, err, errlen);
	if (r != -ENOSYS && r != -EPERM)
		return r;
	wirt_warn(
		"disk '%s': io_uring is not available (%s); using worker threads",
		d->opts.path, strerror(-r));
	if (d->direct) {
		wirt_warn(
			"disk '%s': cache=none needs io_uring here; using the page cache",
			d->opts.path);
		drop_direct(d);
	}
	r = open_blk(d, BLK_FMT_RAW, err, errlen);
	return r ? r : disk_pool_start(d, POOL_THREADS, err, errlen);
}

/*
 * A writable raw disk with snapshots runs on its active overlay
 * (opts.path.snapshots/active): the raw image is now a backing file that
 * must not change. Close the raw image (its lock goes) and open the
 * overlay in its place, locked exclusively. Returns 0 (also when there is
 * no overlay) or -errno with err filled.
 */
static int open_active(struct disk *d, char *err, size_t errlen)
{
	char *active = NULL;
	int r;

	if (d->readonly || d->format != BLK_FMT_RAW)
		return 0;
	d->raw_base = true;
	if (d->is_blkdev) /* takes no snapshots (disk_layer_unsupported) */
		return 0;
	r = disk_layer_read_active(d->opts.path, &active, err, errlen);
	if (r || !active)
		return r;
	wirt_info(
		"disk '%s': has snapshots; the guest's data is in its overlay '%s' (the raw image is its frozen backing file)",
		d->opts.path, active);
	close(d->fd);
	d->active = active;
	d->fd = open(active, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		return err_set(
			err, errlen, -errno,
			"disk '%s': cannot open its active overlay '%s': %s (it holds the guest's writes since the last snapshot; restore it, or remove %s.snapshots/active to go back to the raw image's data)",
			d->opts.path, active, strerror(errno), d->opts.path);
	r = lock_image(d->fd, active, false, err, errlen);
	if (r)
		return r;
	d->format = BLK_FMT_QCOW2;
	return 0;
}

/* A block job's exclusive hold must not starve behind guest writes. */
static void init_job_lock(struct disk *d)
{
	pthread_rwlockattr_t a;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(
		&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&d->job_lock, &a);
	pthread_rwlockattr_destroy(&a);
}

int disk_open(struct disk **out, const struct disk_opts *o, unsigned int depth,
	      char *err, size_t errlen)
{
	struct disk *d = calloc(1, sizeof(*d));
	struct stat st;
	int r;

	err[0] = 0;
	if (!d)
		return err_set(err, errlen, -ENOMEM, "disk: out of memory");
	d->fd = -1;
	pthread_mutex_init(&d->eng_lock, NULL);
	pthread_mutex_init(&d->bk_lock, NULL);
	pthread_mutex_init(&d->dirty_lock, NULL);
	init_job_lock(d);
	d->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->efd < 0) {
		r = err_set(err, errlen, -errno, "disk '%s': eventfd: %s",
			    o->path, strerror(errno));
		goto out;
	}
	r = copy_opts(d, o);
	if (r) {
		err_set(err, errlen, r, "disk: out of memory");
		goto out;
	}
	d->readonly = o->readonly;
	r = open_file(d, &st, err, errlen);
	if (!r)
		r = lock_image(d->fd, o->path, o->readonly, err, errlen);
	if (!r)
		r = image_size(d, &st, err, errlen);
	if (!r)
		r = pick_format(d, err, errlen);
	if (!r)
		r = open_active(d, err, errlen);
	if (!r)
		r = start_engine(d, depth ? depth : 128, err, errlen);
	if (!r)
		r = disk_bitmaps_load(d, err, errlen);
out:
	if (r) {
		disk_close(d);
		return r;
	}
	*out = d;
	return 0;
}

/*
 * Close what disk_switch_layer opened for a switch that did not happen,
 * and give the old file its exclusive lock back. Returns ret.
 */
static int unswitch(struct disk *d, struct blk *nb, int nfd, int ret)
{
	int nolocks;

	if (nb)
		blk_close(nb);
	if (nfd >= 0)
		close(nfd);
	if (set_lock(d->fd, F_WRLCK, &nolocks))
		wirt_warn(
			"disk '%s': cannot lock it again after a failed switch",
			disk_file(d));
	return ret;
}

/* Why d cannot switch files now, or NULL when it can. */
static const char *switch_blocker(struct disk *d)
{
	if (d->readonly)
		return "read-only";
	if (disk_backup_busy(d))
		return "a backup of it is running";
	return disk_inflight(d) ? "requests in flight" : NULL;
}

/*
 * Before a switch: whatever the guest wrote goes to the old file before it
 * freezes, and its persistent bitmaps are stored there, clean, as they are
 * now (they go on in memory only).  Returns 0 or -errno with err filled.
 */
static int freeze_old(struct disk *d, char *err, size_t errlen)
{
	int r = d->blk ? blk_flush(d->blk) : (fdatasync(d->fd) ? -errno : 0);

	if (r < 0)
		return err_set(err, errlen, r, "disk '%s': cannot flush it: %s",
			       disk_file(d), strerror(-r));
	disk_bitmaps_store(d, true);
	return 0;
}

/*
 * Run d on the image nb (open as nfd, locked, named npath, format fmt)
 * with a new worker engine, in place of its current file, which is
 * closed. Returns 0, or -errno with err (d then keeps its old file and
 * the caller still owns nb, nfd and npath).
 */
static int adopt(struct disk *d, struct blk *nb, int nfd, char *npath,
		 enum blk_format fmt, char *err, size_t errlen)
{
	struct disk_engine *old_eng = d->eng, *new_eng;
	struct blk *old_blk = d->blk;
	int r;

	pthread_mutex_lock(&d->eng_lock);
	d->blk = nb;
	r = disk_pool_start(d, POOL_THREADS, err, errlen);
	if (r) {
		d->blk = old_blk;
		d->eng = old_eng;
		pthread_mutex_unlock(&d->eng_lock);
		return r;
	}
	/* the new engine runs; stop the old one (it has nothing to do) */
	new_eng = d->eng;
	d->eng = old_eng;
	d->eng->ops->close(d);
	d->eng = new_eng;
	use_page_cache(d);
	d->format = fmt;
	pthread_mutex_unlock(&d->eng_lock);
	if (old_blk)
		blk_close(old_blk);
	close(d->fd);
	d->fd = nfd;
	free(d->active);
	d->active = npath;
	return 0;
}

int disk_switch_layer(struct disk *d, const char *path, char *err,
		      size_t errlen)
{
	struct blk *nb = NULL;
	char *npath = strdup(path);
	const char *why;
	int nfd = -1, nolocks, r;

	if (!npath)
		return err_set(err, errlen, -ENOMEM, "disk: out of memory");
	if ((why = switch_blocker(d))) {
		free(npath);
		return err_set(err, errlen, -EBUSY,
			       "disk '%s': cannot switch files now (%s)",
			       d->opts.path, why);
	}
	r = freeze_old(d, err, errlen);
	if (r < 0) {
		free(npath);
		return r;
	}
	nfd = open(path, O_RDWR | O_CLOEXEC);
	if (nfd < 0) {
		r = err_set(err, errlen, -errno,
			    "disk '%s': cannot open '%s': %s", d->opts.path,
			    path, strerror(errno));
		goto fail;
	}
	r = lock_image(nfd, path, false, err, errlen);
	if (r)
		goto fail;
	/* the old file may be a backing file of the new one: share it */
	set_lock(d->fd, F_RDLCK, &nolocks);
	r = blk_open_fd(&nb, nfd, path, BLK_FMT_QCOW2,
			BLK_O_RDWR | BLK_O_NO_PROBE_WARN);
	if (r < 0) {
		err_set(err, errlen, r, "disk '%s': %s", d->opts.path,
			blk_last_error());
		goto fail;
	}
	if (blk_getlength(nb) != d->size) {
		r = err_set(err, errlen, -EMEDIUMTYPE,
			    "disk '%s': '%s' has %llu bytes, the disk %llu",
			    d->opts.path, path,
			    (unsigned long long)blk_getlength(nb),
			    (unsigned long long)d->size);
		goto fail;
	}
	r = lock_backing(nb, err, errlen);
	if (r)
		goto fail;
	r = adopt(d, nb, nfd, npath, BLK_FMT_QCOW2, err, errlen);
	if (r)
		goto fail;
	return 0;
fail:
	free(npath);
	return unswitch(d, nb, nfd, r);
}

/*
 * Set lock type on the open files of d's backing chain that are the file
 * st describes (the file a pivot takes over from the chain).
 */
static void chain_lock(struct disk *d, const struct stat *st, short type)
{
	struct blk *l;
	struct stat ls;
	int nolocks;

	for (l = d->blk ? blk_backing(d->blk) : NULL; l; l = blk_backing(l))
		if (!fstat(blk_fd(l), &ls) && ls.st_dev == st->st_dev &&
		    ls.st_ino == st->st_ino)
			set_lock(blk_fd(l), type, &nolocks);
}

int disk_snapshot_switch(struct disk *d, const char *path, char *err,
			 size_t errlen)
{
	int keep = fcntl(d->fd, F_DUPFD_CLOEXEC, 0);
	int r = disk_switch_layer(d, path, err, errlen);

	if (!r && keep >= 0 && d->nfrozen < DISK_MAX_FROZEN)
		d->frozen_fd[d->nfrozen++] = keep;
	else if (keep >= 0)
		close(keep);
	return r;
}

int disk_flush_now(struct disk *d)
{
	if (d->readonly)
		return 0;
	if (d->blk)
		return blk_flush(d->blk);
	return fdatasync(d->fd) ? -errno : 0;
}

int disk_frozen_fd(const struct disk *d, const char *path)
{
	struct stat st, fs;
	unsigned int i;

	if (stat(path, &st))
		return -1;
	for (i = 0; i < d->nfrozen; i++)
		if (!fstat(d->frozen_fd[i], &fs) && fs.st_dev == st.st_dev &&
		    fs.st_ino == st.st_ino)
			return d->frozen_fd[i];
	return -1;
}

/* Close the kept frozen descriptor of the file st describes. */
static void unfreeze(struct disk *d, const struct stat *st)
{
	struct stat fs;
	unsigned int i;

	for (i = 0; i < d->nfrozen; i++)
		if (!fstat(d->frozen_fd[i], &fs) && fs.st_dev == st->st_dev &&
		    fs.st_ino == st->st_ino) {
			close(d->frozen_fd[i]);
			d->frozen_fd[i--] = d->frozen_fd[--d->nfrozen];
		}
}

/*
 * Open path read-write as fmt for a pivot (unlocked; a kept frozen
 * descriptor of it is used when there is one). Returns 0 or -errno.
 */
static int pivot_open(struct disk *d, const char *path, enum blk_format fmt,
		      int *nfd, struct blk **nb, char *err, size_t errlen)
{
	int r, kept = disk_frozen_fd(d, path);

	*nb = NULL;
	*nfd = kept >= 0 ? fcntl(kept, F_DUPFD_CLOEXEC, 0) :
			   open(path, O_RDWR | O_CLOEXEC);
	if (*nfd < 0)
		return err_set(err, errlen, -errno,
			       "disk '%s': cannot open '%s': %s", d->opts.path,
			       path, strerror(errno));
	r = blk_open_fd(nb, *nfd, path, fmt, BLK_O_RDWR | BLK_O_NO_PROBE_WARN);
	if (r < 0)
		return err_set(err, errlen, r, "disk '%s': %s", d->opts.path,
			       blk_last_error());
	if (blk_getlength(*nb) != d->size)
		return err_set(err, errlen, -EMEDIUMTYPE,
			       "disk '%s': '%s' has %llu bytes, the disk %llu",
			       d->opts.path, path,
			       (unsigned long long)blk_getlength(*nb),
			       (unsigned long long)d->size);
	return 0;
}

int disk_pivot_layer(struct disk *d, const char *path, enum blk_format fmt,
		     char *err, size_t errlen)
{
	struct blk *nb = NULL;
	char *npath = NULL;
	struct stat st;
	int nfd = -1, r;

	if (d->readonly || disk_inflight(d))
		return err_set(err, errlen, -EBUSY,
			       "disk '%s': cannot pivot now (%s)", d->opts.path,
			       d->readonly ? "read-only" :
					     "requests in flight");
	r = d->blk ? blk_flush(d->blk) : (fdatasync(d->fd) ? -errno : 0);
	if (r < 0)
		return err_set(err, errlen, r, "disk '%s': cannot flush it: %s",
			       disk_file(d), strerror(-r));
	r = pivot_open(d, path, fmt, &nfd, &nb, err, errlen);
	if (r || fstat(nfd, &st)) {
		r = r ?: -errno;
		goto out;
	}
	/* path is read in d's chain under a shared lock: that one goes */
	chain_lock(d, &st, F_UNLCK);
	r = lock_image(nfd, path, false, err, errlen);
	if (r) {
		chain_lock(d, &st, F_RDLCK);
		goto out;
	}
	r = lock_backing(nb, err, errlen);
	if (!r && strcmp(path, d->opts.path)) {
		npath = strdup(path);
		r = npath ? 0 : err_set(err, errlen, -ENOMEM, "out of memory");
	}
	r = r ?: adopt(d, nb, nfd, npath, fmt, err, errlen);
	if (!r) {
		unfreeze(d, &st); /* its open file is d->fd now */
		return 0;
	}
	chain_lock(d, &st, F_RDLCK);
out:
	free(npath);
	if (nb)
		blk_close(nb);
	if (nfd >= 0)
		close(nfd);
	return r;
}

void disk_close(struct disk *d)
{
	struct pollfd pfd;

	if (!d)
		return;
	disk_backup_close(d);
	if (d->eng) {
		while (disk_inflight(d)) {
			pfd.fd = d->efd;
			pfd.events = POLLIN;
			poll(&pfd, 1, 100);
			disk_complete(d);
		}
		d->eng->ops->close(d);
	}
	disk_bitmaps_store(d, false);
	if (d->blk)
		blk_close(d->blk);
	if (d->fd >= 0)
		close(d->fd);
	if (d->efd >= 0)
		close(d->efd);
	pthread_mutex_destroy(&d->eng_lock);
	pthread_mutex_destroy(&d->bk_lock);
	pthread_mutex_destroy(&d->dirty_lock);
	pthread_rwlock_destroy(&d->job_lock);
	while (d->nfrozen)
		close(d->frozen_fd[--d->nfrozen]);
	free(d->active);
	free(d->pending);
	disk_opts_free(&d->opts);
	free(d);
}

const char *disk_file(const struct disk *d)
{
	return d->active ? d->active : d->opts.path;
}

int disk_event_fd(const struct disk *d)
{
	return d->efd;
}

void disk_submit(struct disk *d, struct disk_io *io)
{
	io->next = NULL;
	io->bounce = NULL;
	io->ret = 0;
	io->iolen = disk_io_len(io);
	atomic_fetch_add(&d->eng->inflight, 1);
	/* after the count: disk_hold() then sees it, or we see the hold */
	if (atomic_load(&d->intercept) && disk_backup_intercept(d, io))
		return;
	d->eng->ops->submit(d, io);
}

void disk_kick(struct disk *d)
{
	d->eng->ops->kick(d);
}

unsigned int disk_complete(struct disk *d)
{
	unsigned int n;

	if (atomic_load(&d->intercept))
		disk_backup_unpark(d);
	pthread_mutex_lock(&d->eng_lock);
	n = d->eng->ops->complete(d);
	pthread_mutex_unlock(&d->eng_lock);
	return n;
}

unsigned int disk_inflight(const struct disk *d)
{
	return atomic_load(&d->eng->inflight);
}

bool disk_restrict_block0(const struct disk *d, const void *buf, size_t len)
{
	return d->probed_raw && blk_probe_buf(buf, len) == BLK_FMT_QCOW2;
}

void disk_signal(struct disk *d)
{
	uint64_t one = 1;

	(void)!write(d->efd, &one, sizeof(one));
}

size_t disk_io_len(const struct disk_io *io)
{
	size_t n = 0;
	unsigned int i;

	if (io->op != DISK_READ && io->op != DISK_WRITE)
		return 0;
	for (i = 0; i < io->niov; i++)
		n += io->iov[i].iov_len;
	return n;
}

/* Write zeroes over [off, off+len) with plain writes of a zero buffer. */
static int write_zeroes_slow(struct disk *d, uint64_t off, uint64_t len)
{
	void *z;
	ssize_t n;
	int r = 0;

	if (posix_memalign(&z, 4096, ZERO_CHUNK))
		return -ENOMEM;
	memset(z, 0, ZERO_CHUNK);
	while (len && !r) {
		size_t c = MIN(len, (uint64_t)ZERO_CHUNK);

		n = pwrite_full(d->fd, z, c, off);
		r = n < 0 ? (int)n : 0;
		off += c;
		len -= c;
	}
	free(z);
	return r;
}

/* Discard [off, off+len): a hint, so "not supported" is success. */
static int discard_sync(struct disk *d, uint64_t off, uint64_t len)
{
	uint64_t range[2] = { off, len };
	int r;

	if (d->is_blkdev)
		r = ioctl(d->fd, BLKDISCARD, range);
	else
		r = fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      off, len);
	if (r == 0 || errno == EOPNOTSUPP || errno == ENOTTY)
		return 0;
	return -errno;
}

/* Read or write io in full with preadv/pwritev (or its bounce buffer). */
static int rw_sync(struct disk *d, struct disk_io *io)
{
	struct iovec one = { io->bounce, io->iolen };
	struct iovec vec[IOV_MAX];
	const struct iovec *v = io->bounce ? &one : io->iov;
	unsigned int n = io->bounce ? 1 : io->niov, i = 0;
	uint64_t off = io->off;
	ssize_t r;

	if (n > IOV_MAX)
		return -EINVAL;
	memcpy(vec, v, n * sizeof(*v));
	while (i < n) {
		if (io->op == DISK_READ)
			r = preadv(d->fd, vec + i, n - i, off);
		else
			r = pwritev(d->fd, vec + i, n - i, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) {
			if (io->op == DISK_WRITE)
				return -EIO;
			/* past the end of a file: the rest reads as zeroes */
			for (; i < n; i++)
				memset(vec[i].iov_base, 0, vec[i].iov_len);
			break;
		}
		off += r;
		while (i < n && (size_t)r >= vec[i].iov_len)
			r -= vec[i++].iov_len;
		if (i < n) {
			vec[i].iov_base = (char *)vec[i].iov_base + r;
			vec[i].iov_len -= r;
		}
	}
	return 0;
}

int disk_sync_io(struct disk *d, struct disk_io *io)
{
	int mode;

	switch (io->op) {
	case DISK_READ:
	case DISK_WRITE:
		return rw_sync(d, io);
	case DISK_FLUSH:
		return fdatasync(d->fd) ? -errno : 0;
	case DISK_DISCARD:
		return discard_sync(d, io->off, io->len);
	case DISK_WRITE_ZEROES:
		mode = (io->flags & DISK_F_UNMAP) ?
			       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
			       FALLOC_FL_ZERO_RANGE;
		if (fallocate(d->fd, mode, io->off, io->len) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != EINVAL && errno != ENODEV)
			return -errno;
		return write_zeroes_slow(d, io->off, io->len);
	}
	return -EINVAL;
}
