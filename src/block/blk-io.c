// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The block library's file writes: every write, flush, truncate and
 * fallocate of an image file goes through one table of operations, the
 * real system calls unless a test installs its own (the power-cut harness
 * records them).  Reads need no hook and stay direct.
 */
#include <errno.h>
#include <fcntl.h>
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

static const struct blk_io_ops real_ops = {
	.pwrite = real_pwrite,
	.fdatasync = real_fdatasync,
	.ftruncate = real_ftruncate,
	.fallocate = real_fallocate,
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

ssize_t blk_io_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n = cur_ops()->pwrite(fd, buf, len, off);

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
	return set_errno(cur_ops()->fdatasync(fd));
}

int blk_io_ftruncate(int fd, off_t len)
{
	return set_errno(cur_ops()->ftruncate(fd, len));
}

int blk_io_fallocate(int fd, int mode, off_t off, off_t len)
{
	return set_errno(cur_ops()->fallocate(fd, mode, off, len));
}
