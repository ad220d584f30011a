// SPDX-License-Identifier: GPL-2.0-or-later
/* The raw format: the file is the disk. Holes read as zeroes. */
#include "block/blk-driver.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

static int raw_open(struct blk *b, unsigned flags)
{
	struct stat st;

	if (fstat(b->fd, &st) < 0)
		return blk_error(errno, "cannot stat '%s': %s", b->filename,
				 strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(b->fd, 0, SEEK_END);

		if (end < 0)
			return -errno;
		b->size = end;
	} else {
		b->size = st.st_size;
	}
	return 0;
}

static void raw_close(struct blk *b)
{
}

static int raw_pread(struct blk *b, uint64_t off, void *buf, size_t len)
{
	ssize_t n = pread_full(b->fd, buf, len, off);

	if (n < 0)
		return blk_error(-n, "read of '%s' failed: %s", b->filename,
				 strerror(-n));
	if ((size_t)n < len)
		memset((char *)buf + n, 0, len - n);
	return 0;
}

static int raw_pwrite(struct blk *b, uint64_t off, const void *buf, size_t len)
{
	ssize_t n = blk_io_pwrite(b->fd, buf, len, off);

	if (n < 0)
		return blk_error(-n, "write to '%s' failed: %s", b->filename,
				 strerror(-n));
	return 0;
}

/* Write zeroes in bounded chunks: the fallback when fallocate is refused. */
static int write_zero_buf(struct blk *b, uint64_t off, uint64_t len)
{
	size_t chunk = MIN(len, 1 * MiB);
	void *z = calloc(1, chunk);
	int ret = 0;

	if (!z)
		return -ENOMEM;
	while (len && !ret) {
		size_t n = MIN(len, chunk);

		ret = raw_pwrite(b, off, z, n);
		off += n;
		len -= n;
	}
	free(z);
	return ret;
}

static int raw_pwrite_zeroes(struct blk *b, uint64_t off, uint64_t len,
			     unsigned flags)
{
	int mode = (flags & BLK_Z_MAY_UNMAP) ?
			   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
			   FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;

	if (blk_io_fallocate(b->fd, mode, off, len) == 0)
		return 0;
	if (blk_io_fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     off, len) == 0)
		return 0;
	return write_zero_buf(b, off, len);
}

static int raw_discard(struct blk *b, uint64_t off, uint64_t len)
{
	return raw_pwrite_zeroes(b, off, len, BLK_Z_MAY_UNMAP);
}

static int raw_flush(struct blk *b)
{
	if (blk_datasync(b) < 0)
		return blk_error(errno, "flush of '%s' failed: %s", b->filename,
				 strerror(errno));
	return 0;
}

static int raw_truncate(struct blk *b, uint64_t size, bool shrink)
{
	if (blk_io_ftruncate(b->fd, size) < 0)
		return blk_error(errno, "cannot resize '%s': %s", b->filename,
				 strerror(errno));
	b->size = size;
	return 0;
}

/* Data or hole, from SEEK_DATA / SEEK_HOLE. */
static int raw_block_status(struct blk *b, uint64_t off, uint64_t len,
			    uint64_t *pnum, uint64_t *map)
{
	off_t d = lseek(b->fd, off, SEEK_DATA);
	off_t h;

	*map = off;
	if (d < 0 || (uint64_t)d >= off + len) {
		/* ENXIO: no data after off; all of it is a hole. */
		if (d < 0 && errno != ENXIO)
			goto unknown;
		*pnum = d < 0 ? len : (uint64_t)d - off;
		return BLK_ST_ZERO | BLK_ST_ALLOCATED | BLK_ST_OFFSET;
	}
	if ((uint64_t)d > off) {
		*pnum = d - off;
		return BLK_ST_ZERO | BLK_ST_ALLOCATED | BLK_ST_OFFSET;
	}
	h = lseek(b->fd, off, SEEK_HOLE);
	if (h < 0 || (uint64_t)h <= off)
		goto unknown;
	*pnum = MIN((uint64_t)h - off, len);
	return BLK_ST_DATA | BLK_ST_ALLOCATED | BLK_ST_OFFSET;
unknown:
	*pnum = len;
	return BLK_ST_DATA | BLK_ST_ALLOCATED | BLK_ST_OFFSET;
}

static int raw_create(const char *path, const struct blk_create_opts *o)
{
	int fd =
		blk_io_open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *pa = o->prealloc ? o->prealloc : "off";
	int ret = 0;

	if (fd < 0)
		return blk_error(errno, "cannot create '%s': %s", path,
				 strerror(errno));
	if (blk_io_ftruncate(fd, o->size) < 0) {
		ret = blk_error(errno, "cannot size '%s': %s", path,
				strerror(errno));
	} else if (!strcmp(pa, "falloc") || !strcmp(pa, "full")) {
		if (o->size && blk_io_fallocate(fd, 0, 0, o->size) < 0)
			ret = blk_error(errno, "cannot preallocate '%s': %s",
					path, strerror(errno));
	} else if (strcmp(pa, "off") && strcmp(pa, "metadata")) {
		ret = blk_error(
			EINVAL,
			"unknown preallocation '%s' (off, falloc, full)", pa);
	}
	close(fd);
	return ret;
}

const struct blk_driver blk_raw_driver = {
	.format = BLK_FMT_RAW,
	.open = raw_open,
	.close = raw_close,
	.pread = raw_pread,
	.pwrite = raw_pwrite,
	.pwrite_zeroes = raw_pwrite_zeroes,
	.discard = raw_discard,
	.flush = raw_flush,
	.truncate = raw_truncate,
	.block_status = raw_block_status,
	.create = raw_create,
};
