/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `wirt-img info` shows about one image of a chain, and QMP's
 * query-block "image" part, computed once: qemu-img's ImageInfo fields as
 * plain values, so each caller formats them its own way.
 */
#ifndef WIRT_BLOCK_INFO_H
#define WIRT_BLOCK_INFO_H

#include <stdbool.h>
#include <stdint.h>

#include "block/blk.h"

struct blk_info {
	const char *filename; /* as opened */
	enum blk_format format; /* BLK_FMT_RAW or BLK_FMT_QCOW2 */
	uint64_t virtual_size;
	uint64_t actual_size; /* bytes allocated on the host (st_blocks) */
	bool dirty; /* qcow2 dirty bit (lazy refcounts) */
	bool qcow2; /* the fields below are valid */
	uint32_t cluster_size;
	const char *backing_file; /* as stored in the header, or NULL */
	char *full_backing; /* resolved path (malloc'ed), or NULL */
	const char *backing_fmt; /* or NULL */
	/* format-specific "data" of qemu-img's qcow2 section */
	const char *compat; /* "0.10" (v2) or "1.1" (v3) */
	const char *compression_type; /* "zlib" or "zstd" */
	bool v3; /* lazy-refcounts, corrupt, extended-l2 are shown */
	bool lazy_refcounts;
	unsigned int refcount_bits;
	bool corrupt;
};

/* blk_file_allocated - bytes the file behind fd takes on the host, or 0. */
uint64_t blk_file_allocated(int fd);

/*
 * blk_get_info - fill *i for this layer of b (not its backing file; walk
 * blk_backing() for the chain). Strings point into b, except full_backing:
 * release with blk_info_free(). Safe while other threads do I/O on b.
 */
void blk_get_info(struct blk *b, struct blk_info *i);

/* blk_info_free - free what blk_get_info allocated. */
void blk_info_free(struct blk_info *i);

#endif
