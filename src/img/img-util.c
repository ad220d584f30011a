// SPDX-License-Identifier: GPL-2.0-or-later
/* wirt-img: helpers shared by the commands (opening, sizes, JSON, options). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "img/img.h"

const struct img_cmd img_cmds[] = {
	{ "amend", cmd_amend, "amend [-f fmt] -o options filename" },
	{ "bench", cmd_bench,
	  "bench [-c count] [-d depth] [-f fmt] [-n] [-o offset] [-s size] [-S step] [-t none] [-w] filename" },
	{ "bitmap", cmd_bitmap,
	  "bitmap (--merge SOURCE | --add | --remove | --clear | --enable | --disable)... [-f fmt] [-g granularity] filename bitmap" },
	{ "check", cmd_check,
	  "check [-f fmt] [--output=human|json] [-r leaks|all] filename" },
	{ "commit", cmd_commit, "commit [-f fmt] [-p] filename" },
	{ "compare", cmd_compare,
	  "compare [-f fmt] [-F fmt] [-p] [-s] filename1 filename2" },
	{ "convert", cmd_convert,
	  "convert [-c] [-p] [-f fmt] [-O output_fmt] [-o options] filename output_filename" },
	{ "create", cmd_create,
	  "create [-f fmt] [-b backing_file [-F backing_fmt]] [-o options] filename [size]" },
	{ "info", cmd_info,
	  "info [-f fmt] [--output=human|json] [--backing-chain] filename" },
	{ "map", cmd_map, "map [-f fmt] [--output=human|json] filename" },
	{ "measure", cmd_measure,
	  "measure [--output=human|json] [-O output_fmt] [-o options] [--size N | [-f fmt] filename]" },
	{ "rebase", cmd_rebase,
	  "rebase [-f fmt] [-p] [-u] -b backing_file [-F backing_fmt] filename" },
	{ "resize", cmd_resize,
	  "resize [-f fmt] [--shrink] filename [+ | -]size" },
	{ "snapshot", cmd_snapshot,
	  "snapshot [-l | -a snapshot | -c snapshot | -d snapshot] filename" },
};
const unsigned int img_nr_cmds = ARRAY_SIZE(img_cmds);

int img_usage(const char *name, int c)
{
	if (c == IMG_OPT_BAD)
		return 1;
	for (unsigned int i = 0; i < img_nr_cmds; i++)
		if (!strcmp(img_cmds[i].name, name))
			wirt_err("usage: wirt-img %s", img_cmds[i].usage);
	return 1;
}

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, IMG_OPT_OUTPUT },
	{ "backing-chain", no_argument, NULL, IMG_OPT_CHAIN },
	{ "size", required_argument, NULL, IMG_OPT_SIZE },
	{ "shrink", no_argument, NULL, IMG_OPT_SHRINK },
	{ "pattern", required_argument, NULL, IMG_OPT_PATTERN },
	{ "flush-interval", required_argument, NULL, IMG_OPT_FLUSH_INTERVAL },
	{ "no-drain", no_argument, NULL, IMG_OPT_NO_DRAIN },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Apply shared option @c to *a; false when it is not one. */
static bool shared_opt(int c, struct img_args *a)
{
	switch (c) {
	case 'f':
		a->fmt = optarg;
		return true;
	case 'F':
		a->fmt2 = optarg;
		return true;
	case 'p':
		a->progress = true;
		return true;
	case 'q':
		a->quiet = true;
		return true;
	case 'U':
		return true;
	}
	return false;
}

int img_getopt(int argc, char **argv, const char *shortopts, struct img_args *a)
{
	int c;

	while ((c = getopt_long(argc, argv, shortopts, long_opts, NULL)) !=
	       -1) {
		if (c == IMG_OPT_OUTPUT && a->takes_output) {
			if (!strcmp(optarg, "json")) {
				a->json = true;
			} else if (!strcmp(optarg, "human")) {
				a->json = false;
			} else {
				wirt_err(
					"--output must be human or json, not '%s'",
					optarg);
				return IMG_OPT_BAD;
			}
		} else if (c == '?' || c == ':' || !shared_opt(c, a)) {
			return c;
		}
	}
	return -1;
}

int img_format(const char *name, const char *path, enum blk_format *out)
{
	*out = BLK_FMT_PROBE;
	if (!name || blk_format_parse(name, out) == 0)
		return 0;
	if (path)
		wirt_err(
			"unknown image format '%s' for '%s' (use raw or qcow2)",
			name, path);
	else
		wirt_err("unknown image format '%s' (use raw or qcow2)", name);
	return -EINVAL;
}

struct blk *img_open(const char *path, const char *fmt, unsigned flags)
{
	enum blk_format f;
	struct blk *b;
	int ret;

	if (img_format(fmt, path, &f) < 0)
		return NULL;
	ret = blk_open(&b, path, f, flags);

	if (ret < 0) {
		wirt_err("%s", blk_last_error());
		return NULL;
	}
	return b;
}

void img_size_str(uint64_t v, char *out, size_t len)
{
	static const char *u[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	double d = v;
	unsigned i = 0;

	while (d >= 1024 && i + 1 < ARRAY_SIZE(u)) {
		d /= 1024;
		i++;
	}
	snprintf(out, len, "%0.3g %s", d, u[i]);
}

void img_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void img_progress(bool on, uint64_t done, uint64_t total)
{
	if (!on)
		return;
	printf("    (%.2f/100%%)\r", total ? 100.0 * done / total : 100.0);
	if (done >= total)
		printf("\n");
	fflush(stdout);
}

static int opt_bool(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "true"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "false"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

int img_parse_create_opts(char *s, struct blk_create_opts *o)
{
	char *save = NULL, *kv;

	for (kv = strtok_r(s, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		uint64_t n;

		if (!v) {
			wirt_err("option '%s' needs a value (name=value)", kv);
			return -EINVAL;
		}
		*v++ = 0;
		if (!strcmp(kv, "cluster_size")) {
			if (parse_size(v, &n) < 0 || n > 2 * MiB) {
				wirt_err("bad cluster_size '%s'", v);
				return -EINVAL;
			}
			o->cluster_size = n;
		} else if (!strcmp(kv, "compat")) {
			if (!strcmp(v, "0.10") || !strcmp(v, "v2"))
				o->compat = 2;
			else if (!strcmp(v, "1.1") || !strcmp(v, "v3"))
				o->compat = 3;
			else {
				wirt_err("bad compat '%s' (use 0.10 or 1.1)",
					 v);
				return -EINVAL;
			}
		} else if (!strcmp(kv, "lazy_refcounts")) {
			if (opt_bool(v, &o->lazy_refcounts) < 0) {
				wirt_err("bad lazy_refcounts '%s' (on/off)", v);
				return -EINVAL;
			}
		} else if (!strcmp(kv, "preallocation")) {
			o->prealloc = v;
		} else if (!strcmp(kv, "backing_file")) {
			o->backing_file = v;
		} else if (!strcmp(kv, "backing_fmt")) {
			o->backing_fmt = v;
		} else if (!strcmp(kv, "compression_type")) {
			if (!strcmp(v, "zlib"))
				o->compression_type = BLK_COMPRESS_ZLIB;
			else if (!strcmp(v, "zstd"))
				o->compression_type = BLK_COMPRESS_ZSTD;
			else {
				wirt_err(
					"bad compression_type '%s' (zlib, zstd)",
					v);
				return -EINVAL;
			}
		} else if (!strcmp(kv, "size")) {
			if (parse_size(v, &o->size) < 0) {
				wirt_err("bad size '%s'", v);
				return -EINVAL;
			}
		} else if (!strcmp(kv, "refcount_bits")) {
			if (strcmp(v, "16")) {
				wirt_err("refcount_bits=%s: only 16 is written",
					 v);
				return -EINVAL;
			}
		} else {
			wirt_err(
				"unknown option '%s' (cluster_size, compat, lazy_refcounts, preallocation, backing_file, backing_fmt, compression_type)",
				kv);
			return -EINVAL;
		}
	}
	return 0;
}
