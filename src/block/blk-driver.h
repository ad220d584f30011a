/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The block library's driver interface and handle: for the library's own
 * files (blk.c and the raw and qcow2 drivers).  Callers use blk.h.
 */
#ifndef WIRT_BLOCK_BLK_DRIVER_H
#define WIRT_BLOCK_BLK_DRIVER_H

#include "block/blk.h"

/* What a format implements. */
struct blk_driver {
	enum blk_format format;
	int (*open)(struct blk *b, unsigned flags);
	void (*close)(struct blk *b);
	int (*pread)(struct blk *b, uint64_t off, void *buf, size_t len);
	int (*pwrite)(struct blk *b, uint64_t off, const void *buf, size_t len);
	int (*pwrite_zeroes)(struct blk *b, uint64_t off, uint64_t len,
			     unsigned flags);
	int (*discard)(struct blk *b, uint64_t off, uint64_t len);
	int (*flush)(struct blk *b);
	int (*pwrite_compressed)(struct blk *b, uint64_t off, const void *buf,
				 size_t len);
	int (*truncate)(struct blk *b, uint64_t size, bool shrink);
	int (*block_status)(struct blk *b, uint64_t off, uint64_t len,
			    uint64_t *pnum, uint64_t *map);
	int (*create)(const char *path, const struct blk_create_opts *o);
};

/* The handle; drivers fill size, cluster_size, backing and opaque. */
struct blk {
	const struct blk_driver *drv;
	char *filename;
	int fd;
	bool readonly;
	bool unsafe; /* BLK_O_UNSAFE: no fdatasync */
	uint64_t size;
	uint32_t cluster_size;
	struct blk *backing;
	int depth; /* position in a backing chain, to stop loops */
	struct blk *parent; /* the image this one backs, while opening */
	void *opaque;
};

extern const struct blk_driver blk_raw_driver;
extern const struct blk_driver blk_qcow2_driver;

/* Open @path's backing chain member (used by qcow2). */
int blk_open_backing(struct blk *b, const char *name, const char *fmt,
		     unsigned flags);

#endif
