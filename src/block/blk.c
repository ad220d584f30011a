// SPDX-License-Identifier: GPL-2.0-or-later
/* The block library's front: open/probe, request checks, dispatch to drivers. */
#include "block/blk.h"

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

static const struct blk_driver *find_driver(const char *fmt)
{
	if (!strcmp(fmt, "raw"))
		return &blk_raw_driver;
	if (!strcmp(fmt, "qcow2"))
		return &blk_qcow2_driver;
	return NULL;
}

/*
 * Open @path with @flags without blocking on a FIFO, and refuse anything
 * but a regular file or a block device (a FIFO would block reads forever,
 * a directory or character device is no image).  Returns the descriptor
 * (blocking again) or -errno with the message set.  @parent names the
 * image whose backing file @path is, or is NULL.
 */
static int open_image_file(const char *path, int flags, const char *parent)
{
	char what[300];

	int fd = open(path, flags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;

	if (parent)
		snprintf(what, sizeof(what), "backing file '%s' of '%s'", path,
			 parent);
	else
		snprintf(what, sizeof(what), "image '%s'", path);
	if (fd < 0)
		return blk_error(errno, "cannot open %s: %s", what,
				 strerror(errno));
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

/* The format of the open image @fd by magic: "qcow2" or "raw". */
static const char *probe_fd(int fd)
{
	unsigned char m[4] = { 0 };

	if (pread_full(fd, m, sizeof(m), 0) == 4 && !memcmp(m, "QFI\xfb", 4))
		return "qcow2";
	return "raw";
}

/* Probe by magic: qcow2 files start with "QFI\xfb"; anything else is raw. */
const char *blk_probe(const char *path)
{
	int fd = open_image_file(path, O_RDONLY, NULL);
	const char *fmt;

	if (fd < 0)
		return NULL;
	fmt = probe_fd(fd);
	close(fd);
	return fmt;
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

/* Open one layer; the driver's open may recurse into blk_open_backing. */
static int open_layer(struct blk **out, const char *path, const char *fmt,
		      unsigned flags, int depth, struct blk *parent)
{
	const struct blk_driver *drv;
	int ret, fd = open_image_file(path,
				      flags & BLK_O_RDWR ? O_RDWR : O_RDONLY,
				      parent ? parent->filename : NULL);
	struct blk *b;

	if (fd < 0)
		return fd;
	if (!fmt) {
		fmt = probe_fd(fd);
		if (!strcmp(fmt, "raw") && !(flags & BLK_O_NO_PROBE_WARN))
			wirt_warn(
				"image '%s' was probed as raw: writes to block 0 are restricted; name the format explicitly (format=raw)",
				path);
	}
	drv = find_driver(fmt);
	b = drv ? calloc(1, sizeof(*b)) : NULL;
	if (!b) {
		close(fd);
		return drv ? -ENOMEM :
			     blk_error(
				     EINVAL,
				     "unknown image format '%s' for '%s' (use raw or qcow2)",
				     fmt, path);
	}
	b->drv = drv;
	b->depth = depth;
	b->parent = parent;
	b->readonly = !(flags & BLK_O_RDWR);
	b->unsafe = flags & BLK_O_UNSAFE;
	b->filename = strdup(path);
	b->fd = fd;
	ret = drv->open(b, flags);
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

int blk_open(struct blk **out, const char *path, const char *fmt,
	     unsigned flags)
{
	errbuf[0] = 0;
	return open_layer(out, path, fmt, flags, 0, NULL);
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
	ret = open_layer(&b->backing, path, fmt,
			 (flags & ~BLK_O_RDWR) | BLK_O_NO_PROBE_WARN,
			 b->depth + 1, b);
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
				 b->drv->name, b->filename);
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

int blk_create(const char *path, const char *fmt,
	       const struct blk_create_opts *o)
{
	const struct blk_driver *drv = find_driver(fmt ? fmt : "raw");

	errbuf[0] = 0;
	if (!drv)
		return blk_error(EINVAL,
				 "unknown image format '%s' (use raw or qcow2)",
				 fmt);
	return drv->create(path, o);
}

const char *blk_format(struct blk *b)
{
	return b->drv->name;
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

bool blk_readonly(struct blk *b)
{
	return b->readonly;
}

int blk_fd(struct blk *b)
{
	return b->fd;
}

void *blk_opaque(struct blk *b)
{
	return b->opaque;
}

int blk_datasync(struct blk *b)
{
	if (b->unsafe)
		return 0;
	return blk_io_fdatasync(b->fd) < 0 ? -1 : 0;
}
