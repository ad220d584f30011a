// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-img compare, commit, rebase: commands over two images or a chain. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/info.h"
#include "common/util.h"
#include "img/img.h"

#define CHUNK IMG_CHUNK

/* Offset of the first non-zero byte of @p or -1. */
static int64_t first_nonzero(const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i])
			return i;
	return -1;
}

/* Print qemu-img's mismatch line for byte @off; returns 1. */
static int mismatch(uint64_t off)
{
	printf("Content mismatch at offset %llu!\n",
	       (unsigned long long)ALIGN_DOWN(off, 512));
	return 1;
}

/*
 * Compare @n bytes at @off of @a and @b: both when @off is within both
 * images (@common bytes), else the longer one against zeroes.  Returns
 * 0 (equal), 1 (mismatch, printed) or -1 (I/O error).
 */
static int compare_chunk(struct blk *a, struct blk *b, uint64_t off, uint64_t n,
			 uint64_t common, uint8_t *x, uint8_t *y)
{
	struct blk *l = blk_getlength(a) > blk_getlength(b) ? a : b;
	int64_t z;

	if (off >= common) {
		if (blk_pread(l, off, x, n) < 0)
			return -1;
		z = first_nonzero(x, n);
		return z >= 0 ? mismatch(off + z) : 0;
	}
	if (blk_pread(a, off, x, n) < 0 || blk_pread(b, off, y, n) < 0)
		return -1;
	if (memcmp(x, y, n)) {
		uint64_t i = 0;

		while (x[i] == y[i])
			i++;
		return mismatch(off + i);
	}
	return 0;
}

/* Compare the contents of @a and @b; 0 same, 1 differ, -1 I/O error. */
static int compare_data(struct blk *a, struct blk *b, bool prog, uint8_t *x,
			uint8_t *y)
{
	uint64_t sa = blk_getlength(a), sb = blk_getlength(b);
	uint64_t common = MIN(sa, sb), end = MAX(sa, sb);
	int ret;

	for (uint64_t off = 0; off < end; off += CHUNK) {
		uint64_t n = MIN(CHUNK, end - off);

		if (off < common)
			n = MIN(n, common - off);
		ret = compare_chunk(a, b, off, n, common, x, y);
		if (ret)
			return ret;
		img_progress(prog, off + n, end);
	}
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	struct img_args o = { 0 };
	bool strict = false;
	struct blk *a = NULL, *b = NULL;
	uint8_t *x = NULL, *y = NULL;
	int c, ret = 2;

	while ((c = img_getopt(argc, argv, "f:F:spqUh", &o)) != -1) {
		if (c != 's')
			return img_usage("compare", c) + 1;
		strict = true;
	}
	if (argc - optind != 2) {
		wirt_err("compare needs two image file names");
		return 2;
	}
	a = img_open(argv[optind], o.fmt, BLK_O_NO_PROBE_WARN);
	b = a ? img_open(argv[optind + 1], o.fmt2 ? o.fmt2 : o.fmt,
			 BLK_O_NO_PROBE_WARN) :
		NULL;
	x = malloc(CHUNK);
	y = malloc(CHUNK);
	if (!a || !b || !x || !y)
		goto out;
	if (blk_getlength(a) != blk_getlength(b)) {
		printf("%s: Image size mismatch!\n",
		       strict ? "Strict mode" : "Warning");
		ret = 1;
		if (strict)
			goto out;
	}
	ret = compare_data(a, b, o.progress, x, y);
	if (ret < 0) {
		wirt_err("compare failed: %s", blk_last_error());
		ret = 2;
	} else if (!ret) {
		printf("Images are identical.\n");
	}
out:
	free(x);
	free(y);
	blk_close(a);
	blk_close(b);
	return ret;
}

/* Copy what @top's own layer holds into @base; 0 or -1. */
static int commit_copy(struct blk *top, struct blk *base, bool prog,
		       uint8_t *buf)
{
	uint64_t off = 0, size = blk_getlength(top);

	if (blk_getlength(base) < size && blk_truncate(base, size, false) < 0)
		return -1;
	while (off < size) {
		uint64_t pnum, map;
		int st = blk_block_status(top, off, MIN(CHUNK, size - off),
					  &pnum, &map);

		if (st < 0)
			return -1;
		if ((st & BLK_ST_ALLOCATED) && (st & BLK_ST_ZERO)) {
			if (blk_pwrite_zeroes(base, off, pnum, 0) < 0)
				return -1;
		} else if (st & BLK_ST_ALLOCATED) {
			if (blk_pread(top, off, buf, pnum) < 0 ||
			    blk_pwrite(base, off, buf, pnum) < 0)
				return -1;
		}
		off += pnum;
		img_progress(prog, off, size);
	}
	return blk_flush(base) < 0 ? -1 : 0;
}

/* Open the backing file of @top (at @path) for writing, or NULL. */
static struct blk *open_base(struct blk *top, const char *path)
{
	struct blk_info inf;
	struct blk *base = NULL;
	char *bpath;

	blk_get_info(top, &inf);
	if (!inf.backing_file) {
		wirt_err("'%s' has no backing file to commit into", path);
		return NULL;
	}
	bpath = blk_resolve_backing(path, inf.backing_file);
	if (bpath)
		base = img_open(bpath, inf.backing_fmt, BLK_O_RDWR);
	free(bpath);
	blk_info_free(&inf);
	return base;
}

int cmd_commit(int argc, char **argv)
{
	struct img_args a = { 0 };
	bool drop = true;
	struct blk *top, *base = NULL;
	uint8_t *buf;
	int c, ret = 1;

	while ((c = img_getopt(argc, argv, "f:pqdt:b:r:h", &a)) != -1) {
		if (c == 'd')
			drop = false;
		else if (c != 't')
			return img_usage("commit", c);
	}
	if (optind != argc - 1) {
		wirt_err("commit needs one image file name");
		return 1;
	}
	buf = malloc(CHUNK);
	top = buf ? img_open(argv[optind], a.fmt,
			     BLK_O_RDWR | BLK_O_NO_BACKING) :
		    NULL;
	base = top ? open_base(top, argv[optind]) : NULL;
	if (!base)
		goto out;
	if (commit_copy(top, base, a.progress, buf) < 0 ||
	    (drop && blk_make_empty(top) < 0)) {
		wirt_err("commit of '%s' failed: %s", argv[optind],
			 blk_last_error());
		goto out;
	}
	printf("Image committed.\n");
	ret = 0;
out:
	if (base && blk_close(base) < 0)
		ret = 1;
	if (top && blk_close(top) < 0)
		ret = 1;
	free(buf);
	return ret;
}

/* Read @n bytes at @off of backing @b, zero past its end (or no @b). */
static int read_view(struct blk *b, uint64_t off, uint8_t *buf, uint64_t n)
{
	uint64_t s = b ? blk_getlength(b) : 0,
		 m = off < s ? MIN(n, s - off) : 0;

	memset(buf + m, 0, n - m);
	return m ? blk_pread(b, off, buf, m) : 0;
}

/*
 * Make @top read the same over @newb as over its current backing chain:
 * copy into @top what the two differ in where @top has no data of its
 * own.  Returns 0 or -1.
 */
static int rebase_copy(struct blk *top, struct blk *newb, bool prog, uint8_t *x,
		       uint8_t *y)
{
	uint64_t size = blk_getlength(top);

	for (uint64_t off = 0; off < size; off += CHUNK) {
		uint64_t n = MIN(CHUNK, size - off), pnum, map;

		for (uint64_t p = off; p < off + n; p += pnum) {
			int st = blk_block_status(top, p, off + n - p, &pnum,
						  &map);

			if (st < 0)
				return -1;
			if (st & BLK_ST_ALLOCATED)
				continue;
			if (read_view(blk_backing(top), p, x, pnum) < 0 ||
			    read_view(newb, p, y, pnum) < 0)
				return -1;
			if (memcmp(x, y, pnum) &&
			    blk_pwrite(top, p, x, pnum) < 0)
				return -1;
		}
		img_progress(prog, off + n, size);
	}
	return 0;
}

/* Parse rebase's options into *a, *nb, *unsafe; 0 or an exit status. */
static int rebase_opts(int argc, char **argv, struct img_args *a,
		       const char **nb, bool *unsafe)
{
	int c;

	while ((c = img_getopt(argc, argv, "f:b:F:upqt:T:Uh", a)) != -1) {
		if (c == 'b')
			*nb = optarg;
		else if (c == 'u')
			*unsafe = true;
		else if (c != 't' && c != 'T')
			return img_usage("rebase", c);
	}
	if (!*nb || optind != argc - 1) {
		wirt_err(
			"rebase needs -b backing_file (may be \"\") and one image file name");
		return 1;
	}
	return 0;
}

/*
 * Open the new backing file @nb of image @path (format *nf, set when it
 * was probed).  Returns 0 or -1 with the error printed.
 */
static int open_new_backing(const char *path, const char *nb, const char **nf,
			    struct blk **newb)
{
	char *p = blk_resolve_backing(path, nb);

	*newb = p ? img_open(p, *nf, BLK_O_NO_PROBE_WARN) : NULL;
	free(p);
	if (!*newb)
		return -1;
	if (!*nf)
		*nf = blk_format_name(blk_get_format(*newb));
	return 0;
}

int cmd_rebase(int argc, char **argv)
{
	struct img_args a = { 0 };
	const char *nb = NULL, *nf;
	bool unsafe = false;
	struct blk *top = NULL, *newb = NULL;
	uint8_t *x = malloc(CHUNK), *y = malloc(CHUNK);
	int ret = rebase_opts(argc, argv, &a, &nb, &unsafe);

	nf = a.fmt2;
	if (ret || !x || !y) {
		ret = 1;
		goto out;
	}
	ret = 1;
	top = img_open(argv[optind], a.fmt,
		       BLK_O_RDWR | (unsafe ? BLK_O_NO_BACKING : 0));
	if (!top)
		goto out;
	if (blk_get_format(top) != BLK_FMT_QCOW2) {
		wirt_err("'%s' is not qcow2; only qcow2 has backing files",
			 argv[optind]);
		goto out;
	}
	if (*nb && !unsafe && open_new_backing(argv[optind], nb, &nf, &newb))
		goto out;
	if ((!unsafe && rebase_copy(top, newb, a.progress, x, y) < 0) ||
	    blk_set_backing(top, nb, nf) < 0)
		wirt_err("rebase of '%s' failed: %s", argv[optind],
			 blk_last_error());
	else
		ret = 0;
out:
	free(x);
	free(y);
	blk_close(newb);
	if (top && blk_close(top) < 0)
		ret = 1;
	return ret;
}
