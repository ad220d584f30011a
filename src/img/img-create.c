// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-img create, resize, amend. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "img/img.h"

/* Size of backing file @name of new image @path (0 on error, message out). */
static int backing_size(const char *path, const char *name, const char **fmt,
			uint64_t *size)
{
	char *full = blk_resolve_backing(path, name);
	enum blk_format f = BLK_FMT_PROBE;
	struct blk *b;
	int ret = 0;

	if (!full)
		return -ENOMEM;
	if (*fmt && blk_format_parse(*fmt, &f) < 0)
		ret = blk_error(
			EINVAL,
			"unknown image format '%s' for '%s' (use raw or qcow2)",
			*fmt, full);
	if (!ret)
		ret = blk_open(&b, full, f, BLK_O_NO_PROBE_WARN);
	if (ret < 0) {
		wirt_err(
			"cannot open backing file '%s': %s (use -u to skip this check)",
			full, blk_last_error());
		free(full);
		return ret;
	}
	if (!*fmt)
		*fmt = blk_format_name(blk_get_format(b));
	*size = blk_getlength(b);
	blk_close(b);
	free(full);
	return 0;
}

int cmd_create(int argc, char **argv)
{
	struct blk_create_opts o = { 0 };
	struct img_args a = { .fmt = "raw" };
	const char *fmt, *path;
	enum blk_format f;
	bool unsafe = false;
	uint64_t bsize = 0;
	int c, ret;

	while ((c = img_getopt(argc, argv, "f:b:F:o:uqh", &a)) != -1) {
		switch (c) {
		case 'b':
			o.backing_file = optarg;
			break;
		case 'o':
			if (img_parse_create_opts(optarg, &o) < 0)
				return 1;
			break;
		case 'u':
			unsafe = true;
			break;
		default:
			return img_usage("create", c);
		}
	}
	fmt = a.fmt;
	if (a.fmt2)
		o.backing_fmt = a.fmt2;
	if (optind >= argc || argc - optind > 2) {
		wirt_err("create needs a file name and a size");
		return 1;
	}
	path = argv[optind];
	if (argc - optind == 2 && parse_size(argv[optind + 1], &o.size) < 0) {
		wirt_err(
			"bad size '%s' (a number with optional K, M, G, T suffix)",
			argv[optind + 1]);
		return 1;
	}
	if (o.backing_file &&
	    (blk_format_parse(fmt, &f) < 0 || f != BLK_FMT_QCOW2)) {
		wirt_err("format %s has no backing files; use -f qcow2", fmt);
		return 1;
	}
	if (o.backing_file && !unsafe) {
		if (backing_size(path, o.backing_file, &o.backing_fmt, &bsize) <
		    0)
			return 1;
		if (argc - optind == 1)
			o.size = bsize;
	} else if (argc - optind == 1 && !o.size) {
		wirt_err("create needs an image size for '%s'", path);
		return 1;
	}
	if (!a.quiet)
		printf("Formatting '%s', fmt=%s size=%llu\n", path, fmt,
		       (unsigned long long)o.size);
	if (img_format(fmt, NULL, &f) < 0)
		return 1;
	ret = blk_create(path, f, &o);
	if (ret < 0) {
		wirt_err("%s", blk_last_error());
		return 1;
	}
	return 0;
}

int cmd_resize(int argc, char **argv)
{
	struct img_args a = { 0 };
	bool shrink = false;
	uint64_t n, size;
	const char *s;
	struct blk *b;
	int c;

	while ((c = img_getopt(argc, argv, "f:qh", &a)) != -1) {
		if (c != IMG_OPT_SHRINK)
			return img_usage("resize", c);
		shrink = true;
	}
	/* "-1G" looks like an option to getopt; it stays in argv. */
	if (argc - optind != 2) {
		wirt_err("resize needs a file name and a size");
		return 1;
	}
	s = argv[optind + 1];
	if (parse_size(s + (*s == '+' || *s == '-'), &n) < 0) {
		wirt_err("bad size '%s'", s);
		return 1;
	}
	b = img_open(argv[optind], a.fmt, BLK_O_RDWR);
	if (!b)
		return 1;
	size = blk_getlength(b);
	if (*s == '+')
		size += n;
	else if (*s == '-')
		size = n > size ? 0 : size - n;
	else
		size = n;
	if (blk_truncate(b, size, shrink) < 0) {
		wirt_err("%s", blk_last_error());
		blk_close(b);
		return 1;
	}
	if (blk_close(b) < 0) {
		wirt_err("%s", blk_last_error());
		return 1;
	}
	printf("Image resized.\n");
	return 0;
}

int cmd_amend(int argc, char **argv)
{
	struct blk_create_opts o = { .compat = -1 };
	struct blk_amend_opts ao;
	struct img_args a = { 0 };
	char *opts = NULL;
	bool lazy_set = false;
	struct blk *b;
	int c, ret;

	while ((c = img_getopt(argc, argv, "f:o:qph", &a)) != -1) {
		if (c != 'o')
			return img_usage("amend", c);
		opts = optarg;
	}
	if (!opts || optind != argc - 1) {
		wirt_err("amend needs -o options and one image file name");
		return 1;
	}
	lazy_set = strstr(opts, "lazy_refcounts") != NULL;
	if (img_parse_create_opts(opts, &o) < 0)
		return 1;
	if (o.cluster_size || o.backing_file || o.prealloc || o.size) {
		wirt_err("amend can change compat and lazy_refcounts only");
		return 1;
	}
	b = img_open(argv[optind], a.fmt, BLK_O_RDWR | BLK_O_NO_BACKING);
	if (!b)
		return 1;
	if (blk_get_format(b) != BLK_FMT_QCOW2) {
		wirt_err("amend works on qcow2 images only");
		blk_close(b);
		return 1;
	}
	ao.compat = o.compat < 0 ? 0 : o.compat;
	ao.lazy_refcounts = lazy_set ? o.lazy_refcounts : -1;
	ret = blk_amend(b, &ao);
	if (ret < 0)
		wirt_err("%s", blk_last_error());
	blk_close(b);
	return ret ? 1 : 0;
}
