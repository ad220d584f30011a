/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wirt-img: shared helpers of the command implementations. */
#ifndef WIRT_IMG_IMG_H
#define WIRT_IMG_IMG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "block/blk.h"

/* Bytes the copying commands move at a time. */
#define IMG_CHUNK (2 * 1024 * 1024)

/* Each command: argc/argv after the command name (argv[0] = command). */
int cmd_create(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_rebase(int argc, char **argv);
int cmd_resize(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_amend(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_bitmap(int argc, char **argv);

/* One wirt-img command: its name, implementation and usage line. */
struct img_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};
extern const struct img_cmd img_cmds[];
extern const unsigned int img_nr_cmds;

/* Long options (getopt values past any character). */
enum img_long_opt {
	IMG_OPT_OUTPUT = 256, /* --output=human|json */
	IMG_OPT_CHAIN, /* --backing-chain */
	IMG_OPT_SIZE, /* --size N */
	IMG_OPT_SHRINK, /* --shrink */
	IMG_OPT_PATTERN, /* --pattern N */
	IMG_OPT_FLUSH_INTERVAL, /* --flush-interval N (ignored) */
	IMG_OPT_NO_DRAIN, /* --no-drain (ignored) */
	IMG_OPT_BAD, /* img_getopt: a bad value, reported already */
};

/* What the options several commands share set (img_getopt). */
struct img_args {
	const char *fmt; /* -f: the image's format */
	const char *fmt2; /* -F: the backing (or second image's) format */
	bool json; /* --output=json */
	bool progress; /* -p */
	bool quiet; /* -q */
	bool takes_output; /* set by the caller: --output is an option */
};

/*
 * img_getopt - the next option of argv (getopt_long over @shortopts and
 * wirt-img's long options).  Applies the shared ones that @shortopts
 * holds (-f, -F, -p, -q, -U: ignored) and --output (when a->takes_output)
 * to *a and goes on; an invalid --output is reported and returned as
 * IMG_OPT_BAD.  Returns any
 * other option for the command, or -1 at the end.
 */
int img_getopt(int argc, char **argv, const char *shortopts,
	       struct img_args *a);
/*
 * img_usage - for option @c that command @name does not take, print its
 * usage line as an error (nothing for IMG_OPT_BAD); returns 1.
 */
int img_usage(const char *name, int c);

/*
 * img_format - the format named @name (NULL: probe) in *out; for another
 * name, print the error (naming @path when not NULL) and return -EINVAL.
 */
int img_format(const char *name, const char *path, enum blk_format *out);
/* Open as format @fmt (NULL: probe) with a one-line error on failure. */
struct blk *img_open(const char *path, const char *fmt, unsigned flags);
/* The snapshot table as qemu-img prints it. */
void img_print_snapshots(const struct blk_snapshot *s, int n);
/* "1 MiB", "324 KiB", like qemu-img's sizes. */
void img_size_str(uint64_t v, char *out, size_t len);
/* Print a JSON string literal with escapes. */
void img_json_str(FILE *f, const char *s);
/* Progress line "    (12.34/100%)" on stdout when enabled. */
void img_progress(bool on, uint64_t done, uint64_t total);
/* Parse "-o a=b,c=d" into create options; returns 0 or -EINVAL. */
int img_parse_create_opts(char *s, struct blk_create_opts *o);

#endif
