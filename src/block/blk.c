// SPDX-License-Identifier: GPL-2.0-or-later
/* The block library's front: open/probe, request checks, dispatch to drivers. */
#include "block/blk-driver.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define BLK_MAX_CHAIN 64

static __thread char errbuf[512];

const char *blk_last_error(void)
{
	return errbuf[0] ? errbuf : "unknown error";
}

int blk_error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return -err;
}

const char *blk_format_name(enum blk_format fmt)
{
	switch (fmt) {
	case BLK_FMT_RAW:
		return "raw";
	case BLK_FMT_QCOW2:
		return "qcow2";
	case BLK_FMT_PROBE:
		break;
	}
	return NULL;
}

int blk_format_parse(const char *name, enum blk_format *out)
{
	if (!strcmp(name, "raw"))
		*out = BLK_FMT_RAW;
	else if (!strcmp(name, "qcow2"))
		*out = BLK_FMT_QCOW2;
	else
		return -EINVAL;
	return 0;
}

/* The driver of @fmt (not BLK_FMT_PROBE). */
static const struct blk_driver *find_driver(enum blk_format fmt)
{
	return fmt == BLK_FMT_QCOW2 ? &blk_qcow2_driver : &blk_raw_driver;
}

/*
 * Check that @fd (the file @what) is a regular file or a block device (a
 * FIFO would block reads forever, a directory or character device is no
 * image) and make it blocking.  Returns @fd, or -errno with the message
 * set and @fd closed.
 */
static int check_image_fd(int fd, const char *what)
{
	struct stat st;

	if (fstat(fd, &st) < 0 ||
	    (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		const char *kind = S_ISFIFO(st.st_mode) ? "a FIFO" :
				   S_ISDIR(st.st_mode)	? "a directory" :
				   S_ISCHR(st.st_mode)	? "a character device" :
				   S_ISSOCK(st.st_mode) ? "a socket" :
							  "not a regular file";

		close(fd);
		return blk_error(
			EINVAL,
			"%s is %s; only regular files and block devices can be images",
			what, kind);
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		int e = errno;

		close(fd);
		return blk_error(e, "cannot use %s: %s", what, strerror(e));
	}
	return fd;
}

/* "image 'P'" or "backing file 'P' of 'PARENT'" into @what. */
static void describe(char *what, size_t len, const char *path,
		     const char *parent)
{
	if (parent)
		snprintf(what, len, "backing file '%s' of '%s'", path, parent);
	else
		snprintf(what, len, "image '%s'", path);
}

/*
 * Open @path with @flags without blocking on a FIFO, and refuse anything
 * but a regular file or a block device.  Returns the descriptor (blocking
 * again) or -errno with the message set.  @parent names the image whose
 * backing file @path is, or is NULL.
 */
static int open_image_file(const char *path, int flags, const char *parent)
{
	char what[300];
	int fd = open(path, flags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	describe(what, sizeof(what), path, parent);
	if (fd < 0)
		return blk_error(errno, "cannot open %s: %s", what,
				 strerror(errno));
	return check_image_fd(fd, what);
}

enum blk_format blk_probe_buf(const void *buf, size_t len)
{
	if (len >= 4 && !memcmp(buf, "QFI\xfb", 4))
		return BLK_FMT_QCOW2;
	return BLK_FMT_RAW;
}

int blk_probe_fd(int fd, enum blk_format *out)
{
	void *buf;
	ssize_t n;

	/* an aligned buffer and length, as @fd may be O_DIRECT */
	if (posix_memalign(&buf, 4096, 4096))
		return -ENOMEM;
	n = pread(fd, buf, 4096, 0);
	if (n < 0 && errno == EINVAL)
		n = pread(fd, buf, 512, 0);
	if (n >= 0)
		*out = blk_probe_buf(buf, n);
	free(buf);
	return n < 0 ? -errno : 0;
}

char *blk_resolve_backing(const char *path, const char *name)
{
	char *dup, *dir, *out;

	if (name[0] == '/' || !strchr(path, '/'))
		return strdup(name);
	dup = strdup(path);
	if (!dup)
		return NULL;
	dir = dirname(dup);
	if (asprintf(&out, "%s/%s", dir, name) < 0)
		out = NULL;
	free(dup);
	return out;
}

/* Resolve BLK_FMT_PROBE for the image @fd (@path); 0 or -errno. */
static int probe_layer(int fd, const char *path, enum blk_format *fmt,
		       unsigned flags)
{
	int ret;

	if (*fmt != BLK_FMT_PROBE)
		return 0;
	ret = blk_probe_fd(fd, fmt);
	if (ret < 0)
		return blk_error(-ret, "cannot read image '%s': %s", path,
				 strerror(-ret));
	if (*fmt == BLK_FMT_RAW && !(flags & BLK_O_NO_PROBE_WARN))
		wirt_warn(
			"image '%s' was probed as raw: writes to block 0 are restricted; name the format explicitly (format=raw)",
			path);
	return 0;
}

/*
 * Open one layer on @fd, which it owns from now on (closed on failure);
 * the driver's open may recurse into blk_open_backing.
 */
static int open_layer(struct blk **out, int fd, const char *path,
		      enum blk_format fmt, unsigned flags, int depth,
		      struct blk *parent)
{
	struct blk *b;
	int ret = probe_layer(fd, path, &fmt, flags);

	b = ret < 0 ? NULL : calloc(1, sizeof(*b));
	if (!b) {
		close(fd);
		return ret < 0 ? ret : -ENOMEM;
	}
	b->drv = find_driver(fmt);
	b->depth = depth;
	b->parent = parent;
	b->readonly = !(flags & BLK_O_RDWR);
	b->unsafe = flags & BLK_O_UNSAFE;
	b->filename = strdup(path);
	b->fd = fd;
	ret = b->filename ? b->drv->open(b, flags) : -ENOMEM;
	if (ret < 0)
		goto fail;
	b->parent = NULL;
	*out = b;
	return 0;
fail:
	if (b->fd >= 0)
		close(b->fd);
	free(b->filename);
	free(b);
	return ret;
}

int blk_open(struct blk **out, const char *path, enum blk_format fmt,
	     unsigned flags)
{
	int fd;

	errbuf[0] = 0;
	fd = open_image_file(path, flags & BLK_O_RDWR ? O_RDWR : O_RDONLY,
			     NULL);
	if (fd < 0)
		return fd;
	return open_layer(out, fd, path, fmt, flags, 0, NULL);
}

int blk_open_fd(struct blk **out, int fd, const char *path, enum blk_format fmt,
		unsigned flags)
{
	char what[300];
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	errbuf[0] = 0;
	describe(what, sizeof(what), path, NULL);
	if (dup < 0)
		return blk_error(errno, "cannot use %s: %s", what,
				 strerror(errno));
	dup = check_image_fd(dup, what);
	if (dup < 0)
		return dup;
	return open_layer(out, dup, path, fmt, flags, 0, NULL);
}

/* Is the file @fd already open in @b or an image above it in the chain? */
static bool chain_has_file(struct blk *top, int fd)
{
	struct stat a, s;

	if (fstat(fd, &a) < 0)
		return false;
	for (; top; top = top->parent)
		if (fstat(top->fd, &s) == 0 && s.st_dev == a.st_dev &&
		    s.st_ino == a.st_ino)
			return true;
	return false;
}

/*
 * Open backing file @path of @b, already open as @fd, as the format named
 * @fmt in b's header (NULL: probe).  Returns 0 or -errno.
 */
static int open_backing_fd(struct blk *b, int fd, const char *path,
			   const char *fmt, unsigned flags)
{
	enum blk_format f = BLK_FMT_PROBE;

	if (fmt && blk_format_parse(fmt, &f) < 0) {
		close(fd);
		return blk_error(
			EINVAL,
			"unknown image format '%s' for '%s' (use raw or qcow2)",
			fmt, path);
	}
	return open_layer(&b->backing, fd, path, f,
			  (flags & ~BLK_O_RDWR) | BLK_O_NO_PROBE_WARN,
			  b->depth + 1, b);
}

int blk_open_backing(struct blk *b, const char *name, const char *fmt,
		     unsigned flags)
{
	char *path;
	int ret, fd;

	if (b->depth + 1 >= BLK_MAX_CHAIN)
		return blk_error(
			ELOOP,
			"backing chain of '%s' is deeper than %d images (a loop?)",
			b->filename, BLK_MAX_CHAIN);
	path = blk_resolve_backing(b->filename, name);
	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd >= 0) {
		bool loop = chain_has_file(b, fd);

		close(fd);
		if (loop) {
			ret = blk_error(
				ELOOP,
				"backing file '%s' of '%s' loops back into its own chain; fix it with wirt-img rebase -u",
				path, b->filename);
			free(path);
			return ret;
		}
	}
	/* Backing files are always read-only; probing them warns like QEMU. */
	ret = fd = open_image_file(path, O_RDONLY, b->filename);
	if (fd >= 0)
		ret = open_backing_fd(b, fd, path, fmt, flags);
	if (ret < 0 && ret != -ELOOP && ret != -EINVAL && ret != -EUCLEAN &&
	    ret != -ENOTSUP)
		blk_error(-ret, "cannot open backing file '%s' of '%s': %s",
			  path, b->filename, strerror(-ret));
	free(path);
	return ret;
}

int blk_close(struct blk *b)
{
	int ret = 0;

	if (!b)
		return 0;
	if (!b->readonly && b->drv->flush)
		ret = b->drv->flush(b);
	b->drv->close(b);
	if (b->backing)
		blk_close(b->backing);
	close(b->fd);
	free(b->filename);
	free(b);
	return ret;
}

uint64_t blk_getlength(struct blk *b)
{
	return b->size;
}

static int check_req(struct blk *b, uint64_t off, uint64_t len, bool write)
{
	if (write && b->readonly)
		return blk_error(EROFS, "image '%s' is open read-only",
				 b->filename);
	if (off > b->size || len > b->size - off)
		return blk_error(
			EINVAL,
			"request at %llu+%llu is past the end of '%s' (%llu bytes)",
			(unsigned long long)off, (unsigned long long)len,
			b->filename, (unsigned long long)b->size);
	return 0;
}

int blk_pread(struct blk *b, uint64_t off, void *buf, size_t len)
{
	int ret = check_req(b, off, len, false);

	if (ret < 0 || !len)
		return ret;
	return b->drv->pread(b, off, buf, len);
}

int blk_pwrite(struct blk *b, uint64_t off, const void *buf, size_t len)
{
	int ret = check_req(b, off, len, true);

	if (ret < 0 || !len)
		return ret;
	return b->drv->pwrite(b, off, buf, len);
}

/* Total bytes of @niov iovecs, or UINT64_MAX on overflow. */
static uint64_t iov_len(const struct iovec *iov, unsigned niov)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < niov; i++) {
		if (iov[i].iov_len > UINT64_MAX - n)
			return UINT64_MAX;
		n += iov[i].iov_len;
	}
	return n;
}

int blk_preadv(struct blk *b, uint64_t off, const struct iovec *iov,
	       unsigned niov)
{
	int ret = check_req(b, off, iov_len(iov, niov), false);

	for (unsigned i = 0; i < niov && !ret; i++) {
		if (iov[i].iov_len)
			ret = b->drv->pread(b, off, iov[i].iov_base,
					    iov[i].iov_len);
		off += iov[i].iov_len;
	}
	return ret;
}

int blk_pwritev(struct blk *b, uint64_t off, const struct iovec *iov,
		unsigned niov)
{
	int ret = check_req(b, off, iov_len(iov, niov), true);

	for (unsigned i = 0; i < niov && !ret; i++) {
		if (iov[i].iov_len)
			ret = b->drv->pwrite(b, off, iov[i].iov_base,
					     iov[i].iov_len);
		off += iov[i].iov_len;
	}
	return ret;
}

int blk_pwrite_zeroes(struct blk *b, uint64_t off, uint64_t len, unsigned flags)
{
	int ret = check_req(b, off, len, true);

	if (ret < 0 || !len)
		return ret;
	return b->drv->pwrite_zeroes(b, off, len, flags);
}

int blk_discard(struct blk *b, uint64_t off, uint64_t len)
{
	int ret = check_req(b, off, len, true);

	if (ret < 0 || !len)
		return ret;
	return b->drv->discard(b, off, len);
}

int blk_flush(struct blk *b)
{
	if (b->readonly)
		return 0;
	return b->drv->flush(b);
}

int blk_pwrite_compressed(struct blk *b, uint64_t off, const void *buf,
			  size_t len)
{
	int ret = check_req(b, off, len, true);

	if (ret < 0)
		return ret;
	if (!b->drv->pwrite_compressed)
		return blk_error(ENOTSUP, "format %s of '%s' cannot compress",
				 blk_format_name(b->drv->format), b->filename);
	return b->drv->pwrite_compressed(b, off, buf, len);
}

int blk_truncate(struct blk *b, uint64_t size, bool shrink)
{
	if (b->readonly)
		return blk_error(EROFS, "image '%s' is open read-only",
				 b->filename);
	if (size < b->size && !shrink)
		return blk_error(
			EINVAL,
			"shrinking '%s' loses data; pass --shrink to confirm",
			b->filename);
	return b->drv->truncate(b, size, shrink);
}

int blk_block_status(struct blk *b, uint64_t off, uint64_t len, uint64_t *pnum,
		     uint64_t *map)
{
	int ret = check_req(b, off, len, false);

	if (ret < 0)
		return ret;
	if (!len)
		return blk_error(EINVAL, "empty block status request");
	*map = 0;
	return b->drv->block_status(b, off, len, pnum, map);
}

int blk_create(const char *path, enum blk_format fmt,
	       const struct blk_create_opts *o)
{
	errbuf[0] = 0;
	return find_driver(fmt)->create(path, o);
}

enum blk_format blk_get_format(struct blk *b)
{
	return b->drv->format;
}

const char *blk_filename(struct blk *b)
{
	return b->filename;
}

struct blk *blk_backing(struct blk *b)
{
	return b->backing;
}

uint32_t blk_cluster_size(struct blk *b)
{
	return b->cluster_size;
}

int blk_fd(struct blk *b)
{
	return b->fd;
}

int blk_datasync(struct blk *b)
{
	if (b->unsafe)
		return 0;
	return blk_io_fdatasync(b->fd) < 0 ? -1 : 0;
}
