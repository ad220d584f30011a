// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wirt-img bitmap: qemu-img's bitmap command on persistent dirty bitmaps
 * (--add, --remove, --clear, --enable, --disable, --merge from the same
 * image), the operations run in the order given.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "img/img.h"

enum bm_op { BM_ADD, BM_REMOVE, BM_CLEAR, BM_ENABLE, BM_DISABLE, BM_MERGE };

static const char *const bm_verb[] = {
	[BM_ADD] = "add",	[BM_REMOVE] = "remove",	  [BM_CLEAR] = "clear",
	[BM_ENABLE] = "enable", [BM_DISABLE] = "disable", [BM_MERGE] = "merge",
};

#define BM_MAX_OPS 16

/* What the command line asks for. */
struct bm_args {
	enum bm_op ops[BM_MAX_OPS];
	unsigned int n;
	const char *fmt, *merge_src;
	uint64_t gran; /* 0: the default */
	bool have_gran;
};

static const struct option bm_long[] = {
	{ "add", no_argument, NULL, 256 + BM_ADD },
	{ "remove", no_argument, NULL, 256 + BM_REMOVE },
	{ "clear", no_argument, NULL, 256 + BM_CLEAR },
	{ "enable", no_argument, NULL, 256 + BM_ENABLE },
	{ "disable", no_argument, NULL, 256 + BM_DISABLE },
	{ "merge", required_argument, NULL, 256 + BM_MERGE },
	{ "granularity", required_argument, NULL, 'g' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* Parse one option @c into *a; 0 or an exit status (error printed). */
static int bm_opt(int c, struct bm_args *a)
{
	switch (c) {
	case 'f':
		a->fmt = optarg;
		return 0;
	case 'g':
		if (parse_size(optarg, &a->gran) < 0 || !a->gran) {
			wirt_err(
				"bitmap -g: '%s' is not a granularity (e.g. 64K)",
				optarg);
			return 1;
		}
		a->have_gran = true;
		return 0;
	case 'b':
		wirt_err(
			"bitmap -b: merging from another image is not supported; merge within the image");
		return 1;
	}
	if (c < 256 || c > 256 + BM_MERGE)
		return img_usage("bitmap", c == 'h' ? '?' : c);
	if (a->n == BM_MAX_OPS) {
		wirt_err("bitmap takes at most %d operations", BM_MAX_OPS);
		return 1;
	}
	a->ops[a->n++] = c - 256;
	if (c == 256 + BM_MERGE)
		a->merge_src = optarg;
	return 0;
}

/* Parse the command line into *a; 0 or an exit status. */
static int bm_parse(int argc, char **argv, struct bm_args *a)
{
	bool add = false;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:g:b:F:hq", bm_long, NULL)) !=
	       -1) {
		if (c == 'q' || c == 'F')
			continue;
		ret = bm_opt(c, a);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < a->n; i++)
		add |= a->ops[i] == BM_ADD;
	if (!a->n) {
		wirt_err(
			"bitmap needs at least one of --add, --remove, --clear, --enable, --disable or --merge");
		return 1;
	}
	if (a->have_gran && !add) {
		wirt_err("bitmap -g only goes with --add");
		return 1;
	}
	if (optind != argc - 2) {
		wirt_err("bitmap needs an image file name and a bitmap name");
		return 1;
	}
	return 0;
}

/* Run operation @op on bitmap @name of @b; 0 or -errno. */
static int bm_run(struct blk *b, const struct bm_args *a, enum bm_op op,
		  const char *name)
{
	switch (op) {
	case BM_ADD:
		return blk_bitmap_add(b, name, a->gran, false);
	case BM_REMOVE:
		return blk_bitmap_remove(b, name);
	case BM_CLEAR:
		return blk_bitmap_clear(b, name);
	case BM_ENABLE:
	case BM_DISABLE:
		return blk_bitmap_enable(b, name, op == BM_ENABLE);
	default:
		return blk_bitmap_merge(b, name, a->merge_src);
	}
}

int cmd_bitmap(int argc, char **argv)
{
	struct bm_args a = { 0 };
	const char *path, *name;
	struct blk *b;
	int ret = bm_parse(argc, argv, &a);

	if (ret)
		return ret;
	path = argv[optind];
	name = argv[optind + 1];
	b = img_open(path, a.fmt,
		     BLK_O_RDWR | BLK_O_NO_BACKING | BLK_O_NO_PROBE_WARN);
	if (!b)
		return 1;
	for (unsigned int i = 0; i < a.n && !ret; i++) {
		ret = bm_run(b, &a, a.ops[i], name);
		if (ret < 0)
			wirt_err(
				"operation %s on bitmap '%s' of '%s' failed: %s",
				bm_verb[a.ops[i]], name, path,
				blk_last_error());
	}
	if (blk_close(b) < 0 && !ret) {
		wirt_err("cannot close '%s': %s", path, blk_last_error());
		ret = -EIO;
	}
	return ret ? 1 : 0;
}
