// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-img convert: copy an image (chain) into a new one. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "img/img.h"

#define CHUNK IMG_CHUNK

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

/* What convert was asked to do. */
struct convert_args {
	struct img_args a;
	struct blk_create_opts o;
	const char *ofmt; /* -O */
	bool comp; /* -c */
	bool noc; /* -n: the output exists */
	bool unsafe; /* cache mode unsafe: no syncs */
};

/* Check cache mode -t @mode and keep whether it is unsafe in *v. */
static int cache_mode(const char *mode, struct convert_args *v)
{
	/* qemu-img's cache modes; only unsafe skips the sync */
	if (strcmp(mode, "unsafe") && strcmp(mode, "none") &&
	    strcmp(mode, "writeback") && strcmp(mode, "writethrough") &&
	    strcmp(mode, "directsync")) {
		wirt_err(
			"Invalid cache option: %s (use unsafe, writeback, writethrough, directsync or none)",
			mode);
		return -1;
	}
	v->unsafe = !strcmp(mode, "unsafe");
	return 0;
}

/* Parse convert's options into *v; 0 or an exit status. */
static int convert_opts(int argc, char **argv, struct convert_args *v)
{
	enum blk_format of;
	int c;

	while ((c = img_getopt(argc, argv, "f:O:o:cpqnB:t:T:WS:m:Uh", &v->a)) !=
	       -1) {
		switch (c) {
		case 'O':
			v->ofmt = optarg;
			break;
		case 'o':
			if (img_parse_create_opts(optarg, &v->o) < 0)
				return 1;
			break;
		case 'c':
			v->comp = true;
			break;
		case 'n':
			v->noc = true;
			break;
		case 'B':
			wirt_err(
				"convert -B is not supported; convert, then 'wirt-img rebase -b' the result");
			return 1;
		case 't':
			if (cache_mode(optarg, v) < 0)
				return 1;
			break;
		case 'T':
		case 'W':
		case 'S':
		case 'm':
			break;
		default:
			return img_usage("convert", c);
		}
	}
	if (argc - optind != 2) {
		wirt_err("convert needs one input and one output file name");
		return 1;
	}
	if (v->comp &&
	    (blk_format_parse(v->ofmt, &of) < 0 || of != BLK_FMT_QCOW2)) {
		wirt_err("-c needs a qcow2 output (-O qcow2)");
		return 1;
	}
	return 0;
}

/* Create (unless -n) and open the output image @path of @size bytes. */
static struct blk *convert_output(const char *path, uint64_t size,
				  struct convert_args *v)
{
	enum blk_format of;

	v->o.size = size;
	if (!v->noc && img_format(v->ofmt, NULL, &of) < 0)
		return NULL;
	if (!v->noc && blk_create(path, of, &v->o) < 0) {
		wirt_err("%s", blk_last_error());
		return NULL;
	}
	return img_open(path, v->ofmt,
			BLK_O_RDWR | BLK_O_NO_BACKING |
				(v->unsafe ? BLK_O_UNSAFE : 0));
}

int cmd_convert(int argc, char **argv)
{
	/* as qemu-img: cache=unsafe unless -t says otherwise, so the
	 * output is in the page cache, not yet on stable storage, at exit */
	struct convert_args v = { .ofmt = "raw", .unsafe = true };
	struct copy cp = { 0 };
	int ret = convert_opts(argc, argv, &v);

	if (ret)
		return ret;
	cp.in = img_open(argv[optind], v.a.fmt, 0);
	if (!cp.in)
		return 1;
	cp.size = blk_getlength(cp.in);
	cp.out = convert_output(argv[optind + 1], cp.size, &v);
	ret = 1;
	if (!cp.out)
		goto out;
	cp.gran = v.comp ? blk_cluster_size(cp.out) :
			   MIN(4096, MAX(512, blk_cluster_size(cp.out)));
	cp.comp = v.comp;
	cp.noc = v.noc;
	cp.prog = v.a.progress;
	img_progress(cp.prog, 0, cp.size);
	/* Chunks are claimed in order, so a qcow2 output's clusters stay
	 * nearly sequential while 4 threads write them. */
	if (run_copy(&cp, 4) < 0)
		wirt_err("convert of '%s' to '%s' failed: %s", argv[optind],
			 argv[optind + 1], cp.err);
	else if (blk_flush(cp.out) < 0)
		wirt_err("convert of '%s' to '%s' failed: %s", argv[optind],
			 argv[optind + 1], blk_last_error());
	else
		ret = 0;
out:
	if (cp.out && blk_close(cp.out) < 0 && !ret) {
		wirt_err("%s", blk_last_error());
		ret = 1;
	}
	blk_close(cp.in);
	return ret;
}
