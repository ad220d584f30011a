// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-img convert, compare, commit, rebase: commands that copy data. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/info.h"
#include "common/util.h"
#include "img/img.h"

#define CHUNK (2 * MiB)

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool is_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

/* Reads as zero through the whole chain for @len bytes at @off? */
static int zero_status(struct blk *b, uint64_t off, uint64_t len,
		       uint64_t *pnum, bool *zero)
{
	uint64_t map;
	int st;

	for (;;) {
		st = blk_block_status(b, off, len, pnum, &map);
		if (st < 0)
			return st;
		if ((st & (BLK_ST_ALLOCATED | BLK_ST_ZERO)) ||
		    !blk_backing(b)) {
			*zero = (st & BLK_ST_ZERO) && !(st & BLK_ST_DATA);
			return 0;
		}
		if (off >= blk_getlength(blk_backing(b))) {
			*zero = true;
			return 0;
		}
		len = MIN(*pnum, blk_getlength(blk_backing(b)) - off);
		b = blk_backing(b);
	}
}

/* Write @buf (len) at @off to @out, skipping zero blocks of @gran bytes. */
static int write_sparse(struct blk *out, uint64_t off, const uint8_t *buf,
			uint64_t len, uint64_t gran, bool compress)
{
	for (uint64_t i = 0; i < len;) {
		uint64_t n = MIN(gran - ((off + i) % gran), len - i);
		uint64_t j = i;
		int ret;

		if (is_zero(buf + i, n)) {
			i += n;
			continue;
		}
		/* coalesce following non-zero blocks */
		while (!compress && j + n < len) {
			uint64_t m = MIN(gran, len - j - n);

			if (is_zero(buf + j + n, m))
				break;
			n += m;
		}
		ret = compress ?
			      blk_pwrite_compressed(out, off + i, buf + i, n) :
			      blk_pwrite(out, off + i, buf + i, n);
		if (ret < 0)
			return ret;
		i += n;
	}
	return 0;
}

struct copy {
	struct blk *in, *out;
	uint64_t size, gran;
	bool comp, noc, prog;
	uint64_t next, done; /* atomic: next chunk to claim, bytes done */
	pthread_mutex_t lock;
	int failed;
	char err[512];
};

/* Copy [off, end) of the input to the output, skipping zero areas. */
static int copy_chunk(struct copy *c, uint64_t off, uint64_t end, uint8_t *buf)
{
	uint64_t gran = c->gran;

	while (off < end) {
		uint64_t n = end - off, pnum;
		bool zero;

		if (zero_status(c->in, off, n, &pnum, &zero) < 0)
			return -1;
		if (zero && !c->noc) {
			/* compressed writes stay cluster aligned */
			n = c->comp ? MAX(ALIGN_DOWN(off + pnum, gran),
					  off + MIN(n, gran)) -
					      off :
				      pnum;
			n = MIN(n, end - off);
			if (!c->comp ||
			    (off % gran == 0 &&
			     (n % gran == 0 || off + n == c->size))) {
				off += n;
				continue;
			}
		}
		if (blk_pread(c->in, off, buf, n) < 0 ||
		    write_sparse(c->out, off, buf, n, gran, c->comp) < 0)
			return -1;
		off += n;
	}
	return 0;
}

static void *copy_worker(void *arg)
{
	struct copy *c = arg;
	uint8_t *buf = malloc(CHUNK);

	while (buf && !__atomic_load_n(&c->failed, __ATOMIC_ACQUIRE)) {
		uint64_t i = __atomic_fetch_add(&c->next, 1, __ATOMIC_ACQ_REL);
		uint64_t off = i * CHUNK, end, d;

		if (off >= c->size)
			break;
		end = MIN(off + CHUNK, c->size);
		if (copy_chunk(c, off, end, buf) < 0) {
			pthread_mutex_lock(&c->lock);
			if (!c->failed)
				snprintf(c->err, sizeof(c->err), "%s",
					 blk_last_error());
			c->failed = 1;
			pthread_mutex_unlock(&c->lock);
			break;
		}
		d = __atomic_add_fetch(&c->done, end - off, __ATOMIC_ACQ_REL);
		pthread_mutex_lock(&c->lock);
		img_progress(c->prog, d, c->size);
		pthread_mutex_unlock(&c->lock);
	}
	if (!buf) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		c->failed = 1;
	}
	free(buf);
	return NULL;
}

/* Run the copy on @nt threads; 0 or -1 with c->err set. */
static int run_copy(struct copy *c, unsigned nt)
{
	pthread_t th[8];
	unsigned started = 0;

	pthread_mutex_init(&c->lock, NULL);
	for (; started < MIN(nt, ARRAY_SIZE(th)); started++)
		if (pthread_create(&th[started], NULL, copy_worker, c))
			break;
	if (!started)
		copy_worker(c);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&c->lock);
	if (!c->failed && blk_flush(c->out) < 0) {
		snprintf(c->err, sizeof(c->err), "%s", blk_last_error());
		c->failed = 1;
	}
	return c->failed ? -1 : 0;
}

int cmd_convert(int argc, char **argv)
{
	struct blk_create_opts o = { 0 };
	const char *fmt = NULL, *ofmt = "raw";
	enum blk_format of;
	/* as qemu-img: cache=unsafe unless -t says otherwise, so the
	 * output is in the page cache, not yet on stable storage, at exit */
	bool comp = false, prog = false, noc = false, unsafe = true;
	struct blk *in, *out = NULL;
	uint64_t size, gran;
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "f:O:o:cpqnB:t:T:WS:m:Uh",
				long_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			fmt = optarg;
			break;
		case 'O':
			ofmt = optarg;
			break;
		case 'o':
			if (img_parse_create_opts(optarg, &o) < 0)
				return 1;
			break;
		case 'c':
			comp = true;
			break;
		case 'p':
			prog = true;
			break;
		case 'n':
			noc = true;
			break;
		case 'B':
			wirt_err(
				"convert -B is not supported; convert, then 'wirt-img rebase -b' the result");
			return 1;
		case 't':
			/* qemu-img's cache modes; only unsafe skips the sync */
			if (strcmp(optarg, "unsafe") &&
			    strcmp(optarg, "none") &&
			    strcmp(optarg, "writeback") &&
			    strcmp(optarg, "writethrough") &&
			    strcmp(optarg, "directsync")) {
				wirt_err(
					"Invalid cache option: %s (use unsafe, writeback, writethrough, directsync or none)",
					optarg);
				return 1;
			}
			unsafe = !strcmp(optarg, "unsafe");
			break;
		case 'q':
		case 'T':
		case 'W':
		case 'S':
		case 'm':
		case 'U':
			break;
		default:
			wirt_err(
				"usage: wirt-img convert [-c] [-p] [-t cache] [-f fmt] [-O output_fmt] [-o options] filename output_filename");
			return 1;
		}
	}
	if (argc - optind != 2) {
		wirt_err("convert needs one input and one output file name");
		return 1;
	}
	if (comp && (blk_format_parse(ofmt, &of) < 0 || of != BLK_FMT_QCOW2)) {
		wirt_err("-c needs a qcow2 output (-O qcow2)");
		return 1;
	}
	in = img_open(argv[optind], fmt, 0);
	if (!in)
		return 1;
	size = blk_getlength(in);
	o.size = size;
	if (!noc && img_format(ofmt, NULL, &of) < 0)
		goto out;
	if (!noc && blk_create(argv[optind + 1], of, &o) < 0) {
		wirt_err("%s", blk_last_error());
		goto out;
	}
	out = img_open(argv[optind + 1], ofmt,
		       BLK_O_RDWR | BLK_O_NO_BACKING |
			       (unsafe ? BLK_O_UNSAFE : 0));
	if (!out)
		goto out;
	gran = comp ? blk_cluster_size(out) :
		      MIN(4096, MAX(512, blk_cluster_size(out)));
	{
		struct copy cp = { .in = in,
				   .out = out,
				   .size = size,
				   .gran = gran,
				   .comp = comp,
				   .noc = noc,
				   .prog = prog };
		/* Chunks are claimed in order, so a qcow2 output's clusters
		 * stay nearly sequential while 4 threads write them. */
		unsigned nt = 4;

		img_progress(prog, 0, size);
		if (run_copy(&cp, nt) < 0) {
			wirt_err("convert of '%s' to '%s' failed: %s",
				 argv[optind], argv[optind + 1], cp.err);
			goto out;
		}
	}
	if (blk_flush(out) < 0)
		goto io_err;
	ret = 0;
	goto out;
io_err:
	wirt_err("convert of '%s' to '%s' failed: %s", argv[optind],
		 argv[optind + 1], blk_last_error());
out:
	if (out && blk_close(out) < 0 && !ret) {
		wirt_err("%s", blk_last_error());
		ret = 1;
	}
	blk_close(in);
	return ret;
}

/* Offset of the first non-zero byte of @p or -1. */
static int64_t first_nonzero(const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i])
			return i;
	return -1;
}

int cmd_compare(int argc, char **argv)
{
	const char *f1 = NULL, *f2 = NULL;
	bool strict = false, prog = false;
	struct blk *a = NULL, *b = NULL;
	uint8_t *x = NULL, *y = NULL;
	uint64_t sa, sb, common, off = 0;
	int c, ret = 2;

	while ((c = getopt_long(argc, argv, "f:F:spqUh", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'f':
			f1 = optarg;
			break;
		case 'F':
			f2 = optarg;
			break;
		case 's':
			strict = true;
			break;
		case 'p':
			prog = true;
			break;
		case 'q':
		case 'U':
			break;
		default:
			wirt_err(
				"usage: wirt-img compare [-f fmt] [-F fmt] [-s] filename1 filename2");
			return 2;
		}
	}
	if (argc - optind != 2) {
		wirt_err("compare needs two image file names");
		return 2;
	}
	a = img_open(argv[optind], f1, BLK_O_NO_PROBE_WARN);
	b = a ? img_open(argv[optind + 1], f2 ? f2 : f1, BLK_O_NO_PROBE_WARN) :
		NULL;
	x = malloc(CHUNK);
	y = malloc(CHUNK);
	if (!a || !b || !x || !y)
		goto out;
	sa = blk_getlength(a);
	sb = blk_getlength(b);
	if (sa != sb) {
		if (strict) {
			printf("Strict mode: Image size mismatch!\n");
			ret = 1;
			goto out;
		}
		printf("Warning: Image size mismatch!\n");
	}
	common = MIN(sa, sb);
	for (; off < MAX(sa, sb); off += CHUNK) {
		uint64_t n = MIN(CHUNK, MAX(sa, sb) - off);
		int64_t z;

		if (off < common) {
			n = MIN(n, common - off);
			if (blk_pread(a, off, x, n) < 0 ||
			    blk_pread(b, off, y, n) < 0)
				goto io_err;
			if (memcmp(x, y, n)) {
				uint64_t i = 0;

				while (x[i] == y[i])
					i++;
				printf("Content mismatch at offset %llu!\n",
				       (unsigned long long)ALIGN_DOWN(off + i,
								      512));
				ret = 1;
				goto out;
			}
		} else {
			struct blk *l = sa > sb ? a : b;

			if (blk_pread(l, off, x, n) < 0)
				goto io_err;
			z = first_nonzero(x, n);
			if (z >= 0) {
				printf("Content mismatch at offset %llu!\n",
				       (unsigned long long)ALIGN_DOWN(off + z,
								      512));
				ret = 1;
				goto out;
			}
		}
		img_progress(prog, off + n, MAX(sa, sb));
	}
	printf("Images are identical.\n");
	ret = 0;
	goto out;
io_err:
	wirt_err("compare failed: %s", blk_last_error());
out:
	free(x);
	free(y);
	blk_close(a);
	blk_close(b);
	return ret;
}

int cmd_commit(int argc, char **argv)
{
	const char *fmt = NULL;
	bool prog = false, drop = true;
	struct blk *top, *base = NULL;
	struct blk_info inf = { 0 };
	uint64_t off = 0, size;
	uint8_t *buf = malloc(CHUNK);
	char *bpath = NULL;
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "f:pqdt:b:r:h", long_opts, NULL)) !=
	       -1) {
		if (c == 'f')
			fmt = optarg;
		else if (c == 'p')
			prog = true;
		else if (c == 'd')
			drop = false;
		else if (c != 'q' && c != 't') {
			wirt_err(
				"usage: wirt-img commit [-f fmt] [-p] [-d] filename");
			free(buf);
			return 1;
		}
	}
	if (optind != argc - 1 || !buf) {
		wirt_err("commit needs one image file name");
		free(buf);
		return 1;
	}
	top = img_open(argv[optind], fmt, BLK_O_RDWR | BLK_O_NO_BACKING);
	if (!top)
		goto out;
	blk_get_info(top, &inf);
	if (!inf.backing_file) {
		wirt_err("'%s' has no backing file to commit into",
			 argv[optind]);
		goto out;
	}
	bpath = blk_resolve_backing(argv[optind], inf.backing_file);
	base = img_open(bpath, inf.backing_fmt, BLK_O_RDWR);
	if (!base)
		goto out;
	size = blk_getlength(top);
	if (blk_getlength(base) < size && blk_truncate(base, size, false) < 0)
		goto io_err;
	while (off < size) {
		uint64_t pnum, map;
		int st = blk_block_status(top, off, MIN(CHUNK, size - off),
					  &pnum, &map);

		if (st < 0)
			goto io_err;
		if (st & BLK_ST_ALLOCATED) {
			if (st & BLK_ST_ZERO) {
				if (blk_pwrite_zeroes(base, off, pnum, 0) < 0)
					goto io_err;
			} else if (blk_pread(top, off, buf, pnum) < 0 ||
				   blk_pwrite(base, off, buf, pnum) < 0) {
				goto io_err;
			}
		}
		off += pnum;
		img_progress(prog, off, size);
	}
	if (blk_flush(base) < 0)
		goto io_err;
	if (drop && blk_make_empty(top) < 0)
		goto io_err;
	printf("Image committed.\n");
	ret = 0;
	goto out;
io_err:
	ret = 1;
	wirt_err("commit of '%s' failed: %s", argv[optind], blk_last_error());
out:
	if (base && blk_close(base) < 0)
		ret = 1;
	blk_info_free(&inf);
	if (top && blk_close(top) < 0)
		ret = 1;
	free(bpath);
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

int cmd_rebase(int argc, char **argv)
{
	const char *fmt = NULL, *nb = NULL, *nf = NULL;
	bool unsafe = false, prog = false;
	struct blk *top = NULL, *newb = NULL;
	uint8_t *x = malloc(CHUNK), *y = malloc(CHUNK);
	uint64_t off = 0, size;
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "f:b:F:upqt:T:Uh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'f':
			fmt = optarg;
			break;
		case 'b':
			nb = optarg;
			break;
		case 'F':
			nf = optarg;
			break;
		case 'u':
			unsafe = true;
			break;
		case 'p':
			prog = true;
			break;
		case 'q':
		case 't':
		case 'T':
		case 'U':
			break;
		default:
			wirt_err(
				"usage: wirt-img rebase [-f fmt] [-u] -b backing_file [-F backing_fmt] filename");
			goto out;
		}
	}
	if (!nb || optind != argc - 1 || !x || !y) {
		wirt_err(
			"rebase needs -b backing_file (may be \"\") and one image file name");
		goto out;
	}
	top = img_open(argv[optind], fmt,
		       BLK_O_RDWR | (unsafe ? BLK_O_NO_BACKING : 0));
	if (!top)
		goto out;
	if (blk_get_format(top) != BLK_FMT_QCOW2) {
		wirt_err("'%s' is not qcow2; only qcow2 has backing files",
			 argv[optind]);
		goto out;
	}
	if (*nb && !unsafe) {
		char *p = blk_resolve_backing(argv[optind], nb);

		newb = p ? img_open(p, nf, BLK_O_NO_PROBE_WARN) : NULL;
		free(p);
		if (!newb)
			goto out;
		if (!nf)
			nf = blk_format_name(blk_get_format(newb));
	}
	size = blk_getlength(top);
	for (; !unsafe && off < size; off += CHUNK) {
		uint64_t n = MIN(CHUNK, size - off);

		for (uint64_t p = off; p < off + n;) {
			uint64_t pnum, map;
			int st = blk_block_status(top, p, off + n - p, &pnum,
						  &map);

			if (st < 0)
				goto io_err;
			if (!(st & BLK_ST_ALLOCATED)) {
				if (read_view(blk_backing(top), p, x, pnum) <
					    0 ||
				    read_view(newb, p, y, pnum) < 0)
					goto io_err;
				if (memcmp(x, y, pnum) &&
				    blk_pwrite(top, p, x, pnum) < 0)
					goto io_err;
			}
			p += pnum;
		}
		img_progress(prog, off + n, size);
	}
	if (blk_set_backing(top, nb, nf) < 0)
		goto io_err;
	ret = 0;
	goto out;
io_err:
	ret = 1;
	wirt_err("rebase of '%s' failed: %s", argv[optind], blk_last_error());
out:
	free(x);
	free(y);
	blk_close(newb);
	if (top && blk_close(top) < 0)
		ret = 1;
	return ret;
}
