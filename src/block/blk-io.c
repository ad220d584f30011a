// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The block library's file writes: every write, flush, truncate and
 * fallocate of an image file, and every create, rename, unlink and mkdir
 * of images and wirt-vmm's disk records, goes through one table of
 * operations, the real system calls unless a test installs its own (the
 * power-cut harnesses record them).  Reads need no hook and stay direct.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/blk.h"
#include "common/util.h"

/* Write all of @buf, retrying short writes; the byte count or -errno. */
static ssize_t real_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite_full(fd, buf, len, off);
}

static int real_fdatasync(int fd)
{
	return fdatasync(fd) < 0 ? -errno : 0;
}

static int real_ftruncate(int fd, off_t len)
{
	return ftruncate(fd, len) < 0 ? -errno : 0;
}

static int real_fallocate(int fd, int mode, off_t off, off_t len)
{
	return fallocate(fd, mode, off, len) < 0 ? -errno : 0;
}

static int real_open(const char *path, int flags, mode_t mode)
{
	int fd = open(path, flags, mode);

	return fd < 0 ? -errno : fd;
}

static int real_fsync(int fd)
{
	return fsync(fd) < 0 ? -errno : 0;
}

static int real_rename(const char *from, const char *to)
{
	return rename(from, to) < 0 ? -errno : 0;
}

static int real_unlink(const char *path)
{
	return unlink(path) < 0 ? -errno : 0;
}

static int real_mkdir(const char *path, mode_t mode)
{
	return mkdir(path, mode) < 0 ? -errno : 0;
}

static const struct blk_io_ops real_ops = {
	.pwrite = real_pwrite,
	.fdatasync = real_fdatasync,
	.ftruncate = real_ftruncate,
	.fallocate = real_fallocate,
	.open = real_open,
	.fsync = real_fsync,
	.rename = real_rename,
	.unlink = real_unlink,
	.mkdir = real_mkdir,
};

static const struct blk_io_ops *io_ops = &real_ops;

const struct blk_io_ops *blk_real_io_ops(void)
{
	return &real_ops;
}

void blk_set_io_ops(const struct blk_io_ops *ops)
{
	__atomic_store_n(&io_ops, ops ? ops : &real_ops, __ATOMIC_RELEASE);
}

static const struct blk_io_ops *cur_ops(void)
{
	return __atomic_load_n(&io_ops, __ATOMIC_ACQUIRE);
}

/* The installed operation @m, or the real one when it is not given. */
#define OP(m) (cur_ops()->m ? cur_ops()->m : real_ops.m)

ssize_t blk_io_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n = OP(pwrite)(fd, buf, len, off);

	if (n < 0)
		errno = (int)-n;
	return n;
}

/* errno = -@ret when @ret is an error; returns @ret. */
static int set_errno(int ret)
{
	if (ret < 0)
		errno = -ret;
	return ret;
}

int blk_io_fdatasync(int fd)
{
	return set_errno(OP(fdatasync)(fd));
}

int blk_io_ftruncate(int fd, off_t len)
{
	return set_errno(OP(ftruncate)(fd, len));
}

int blk_io_fallocate(int fd, int mode, off_t off, off_t len)
{
	return set_errno(OP(fallocate)(fd, mode, off, len));
}

int blk_io_open(const char *path, int flags, mode_t mode)
{
	return set_errno(OP(open)(path, flags, mode));
}

int blk_io_fsync(int fd)
{
	return set_errno(OP(fsync)(fd));
}

int blk_io_rename(const char *from, const char *to)
{
	return set_errno(OP(rename)(from, to));
}

int blk_io_unlink(const char *path)
{
	return set_errno(OP(unlink)(path));
}

int blk_io_mkdir(const char *path, mode_t mode)
{
	return set_errno(OP(mkdir)(path, mode));
}

int blk_io_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = blk_io_fsync(fd);
	close(fd);
	return set_errno(r);
}
