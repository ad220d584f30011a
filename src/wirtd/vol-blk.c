// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The block library's part of the volume commands: every image a volume
 * command creates, inspects, resizes, copies or wipes goes through here,
 * in-process, with the calls wirt-img uses (blk_create, blk_open,
 * blk_pread/blk_pwrite, blk_truncate, blk_close).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "block/blk.h"
#include "wirtd/pool.h"

#define CHUNK (1 << 20)
#define COMPRESS_CLUSTER (64u << 10) /* blk_create's default qcow2 cluster */

/* fail - err gets "WHAT 'PATH': REASON" (the library's, else errno's). */
static int fail(int r, const char *what, const char *path, char *err,
		size_t errlen)
{
	snprintf(err, errlen, "%s '%s': %s", what, path,
		 blk_last_error()[0] ? blk_last_error() : strerror(-r));
	return r;
}

/*
 * fmt_of - the format named @name in *f (NULL: probe it). Returns 0, or
 * -EINVAL with err naming the format and @path.
 */
static int fmt_of(const char *name, const char *path, enum blk_format *f,
		  char *err, size_t errlen)
{
	*f = BLK_FMT_PROBE;
	if (!name || !blk_format_parse(name, f))
		return 0;
	snprintf(err, errlen,
		 "volume '%s': unknown format '%s' (use raw or qcow2)", path,
		 name);
	return -EINVAL;
}

/* fmt_name - the name of @b's format. */
static const char *fmt_name(struct blk *b)
{
	return blk_format_name(blk_get_format(b));
}

int volblk_info(const char *path, const char *fmt, struct volinfo *v, char *err,
		size_t errlen)
{
	enum blk_format f;
	struct blk *b, *bk;
	struct stat st;
	int r;

	if (stat(path, &st))
		return fail(-errno, "cannot stat volume", path, err, errlen);
	r = fmt_of(fmt, path, &f, err, errlen);
	if (r)
		return r;
	r = blk_open(&b, path, f, BLK_O_NO_PROBE_WARN);
	if (r)
		r = blk_open(&b, path, f,
			     BLK_O_NO_PROBE_WARN | BLK_O_NO_BACKING);
	if (r)
		return fail(r, "cannot open volume", path, err, errlen);
	snprintf(v->format, sizeof(v->format), "%s", fmt_name(b));
	v->capacity = blk_getlength(b);
	v->allocation = (uint64_t)st.st_blocks * 512;
	v->physical = st.st_size;
	bk = blk_backing(b);
	v->backing[0] = v->backing_fmt[0] = '\0';
	if (bk) {
		snprintf(v->backing, sizeof(v->backing), "%s",
			 blk_filename(bk));
		snprintf(v->backing_fmt, sizeof(v->backing_fmt), "%s",
			 fmt_name(bk));
	}
	blk_close(b);
	return 0;
}

int volblk_create(const char *path, const char *fmt, uint64_t size,
		  const char *backing, const char *backing_fmt, char *err,
		  size_t errlen)
{
	struct blk_create_opts o = { .size = size,
				     .backing_file = backing,
				     .backing_fmt = backing_fmt };
	enum blk_format f, bf;
	struct blk *b;
	int r;

	r = fmt_of(fmt, path, &f, err, errlen);
	if (!r && f == BLK_FMT_PROBE)
		f = BLK_FMT_RAW;
	if (!r && backing)
		r = fmt_of(backing_fmt, backing, &bf, err, errlen);
	if (r)
		return r;
	if (backing && !size) {
		r = blk_open(&b, backing, bf, BLK_O_NO_PROBE_WARN);
		if (r)
			return fail(r, "cannot open backing volume", backing,
				    err, errlen);
		o.size = blk_getlength(b);
		blk_close(b);
	}
	r = blk_create(path, f, &o);
	return r ? fail(r, "cannot create volume", path, err, errlen) : 0;
}

int volblk_resize(const char *path, uint64_t size, bool shrink, char *err,
		  size_t errlen)
{
	struct blk *b;
	int r = blk_open(&b, path, BLK_FMT_PROBE,
			 BLK_O_RDWR | BLK_O_NO_PROBE_WARN);

	if (r)
		return fail(r, "cannot open volume", path, err, errlen);
	r = blk_truncate(b, size, shrink);
	if (r)
		fail(r, "cannot resize volume", path, err, errlen);
	if (blk_close(b) && !r)
		r = fail(-EIO, "cannot flush volume", path, err, errlen);
	return r;
}

/* all_zero - the buffer holds only zero bytes. */
static bool all_zero(const uint8_t *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/* put_compressed - the n bytes at buf to out at off, each 64 KiB cluster
 * that is not all zero compressed. 0 or -errno. */
static int put_compressed(struct blk *out, uint64_t off, const uint8_t *buf,
			  size_t n)
{
	size_t k, len;
	int r = 0;

	for (k = 0; !r && k < n; k += len) {
		len = n - k < COMPRESS_CLUSTER ? n - k : COMPRESS_CLUSTER;
		if (!all_zero(buf + k, len))
			r = blk_pwrite_compressed(out, off + k, buf + k, len);
	}
	return r;
}

int volblk_copy_data(struct blk *in, struct blk *out, unsigned int flags)
{
	uint64_t off, size = blk_getlength(in);
	uint8_t *buf = malloc(CHUNK);
	size_t n;
	int r = buf ? 0 : -ENOMEM;

	for (off = 0; !r && off < size; off += n) {
		n = size - off < CHUNK ? size - off : CHUNK;
		r = blk_pread(in, off, buf, n);
		if (r || ((flags & VOLBLK_SKIP_ZERO) && all_zero(buf, n)))
			continue;
		r = flags & VOLBLK_COMPRESS ? put_compressed(out, off, buf, n) :
					      blk_pwrite(out, off, buf, n);
	}
	free(buf);
	return r ? r : blk_flush(out);
}

int volblk_copy(const char *src, const char *dst, char *err, size_t errlen)
{
	struct blk_create_opts o = { 0 };
	struct blk *in, *out = NULL;
	int r = blk_open(&in, src, BLK_FMT_PROBE, BLK_O_NO_PROBE_WARN);

	if (r)
		return fail(r, "cannot open volume", src, err, errlen);
	o.size = blk_getlength(in);
	r = blk_create(dst, blk_get_format(in), &o);
	if (!r)
		r = blk_open(&out, dst, blk_get_format(in), BLK_O_RDWR);
	if (!r)
		r = volblk_copy_data(in, out, VOLBLK_SKIP_ZERO);
	if (r)
		fail(r, "cannot copy into volume", dst, err, errlen);
	if (out && blk_close(out) && !r)
		r = fail(-EIO, "cannot flush volume", dst, err, errlen);
	blk_close(in);
	return r;
}

int volblk_copy_into(const char *src, const char *dst, char *err, size_t errlen)
{
	struct blk *in, *out;
	int r = blk_open(&in, src, BLK_FMT_RAW, BLK_O_NO_PROBE_WARN);

	if (r)
		return fail(r, "cannot open volume", src, err, errlen);
	r = blk_open(&out, dst, BLK_FMT_RAW, BLK_O_RDWR);
	if (!r && blk_getlength(out) < blk_getlength(in))
		r = -ENOSPC;
	if (!r || r == -ENOSPC) {
		if (!r)
			r = volblk_copy_data(in, out, 0);
		if (blk_close(out) && !r)
			r = -EIO;
	}
	blk_close(in);
	return r ? fail(r, "cannot copy into volume", dst, err, errlen) : 0;
}

int volblk_wipe(const char *path, const char *want, char *err, size_t errlen)
{
	struct blk_create_opts o = { 0 };
	enum blk_format fmt;
	uint8_t *zero;
	struct blk *b;
	uint64_t off;
	size_t n;
	int r = fmt_of(want, path, &fmt, err, errlen);

	if (r)
		return r;
	r = blk_open(&b, path, fmt, BLK_O_RDWR | BLK_O_NO_PROBE_WARN);
	if (r)
		return fail(r, "cannot open volume", path, err, errlen);
	fmt = blk_get_format(b);
	o.size = blk_getlength(b);
	zero = fmt != BLK_FMT_RAW ? NULL : calloc(1, CHUNK);
	for (off = 0; zero && !r && off < o.size; off += n) {
		n = o.size - off < CHUNK ? o.size - off : CHUNK;
		r = blk_pwrite(b, off, zero, n);
	}
	free(zero);
	if (blk_close(b) && !r)
		r = -EIO;
	if (!r && fmt != BLK_FMT_RAW) /* qcow2: an empty image anew */
		r = blk_create(path, fmt, &o);
	return r ? fail(r, "cannot wipe volume", path, err, errlen) : 0;
}
