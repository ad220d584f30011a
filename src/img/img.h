/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wirt-img: shared helpers of the command implementations. */
#ifndef WIRT_IMG_IMG_H
#define WIRT_IMG_IMG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "block/blk.h"

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
