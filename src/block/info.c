// SPDX-License-Identifier: GPL-2.0-or-later
/* Image information shared by wirt-img info and wirt-vmm's query-block. */
#include "block/info.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "block/qcow2.h"

uint64_t blk_file_allocated(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

/* Fill the qcow2 part of *i from the header fields of q. */
static void qcow2_info(struct blk *b, struct qcow2 *q, struct blk_info *i)
{
	/* incompat changes under I/O (dirty bit): read it once, atomically */
	uint64_t incompat = __atomic_load_n(&q->incompat, __ATOMIC_RELAXED);

	i->qcow2 = true;
	i->cluster_size = q->cs;
	i->dirty = incompat & QC_INCOMPAT_DIRTY;
	i->backing_file = q->backing_file;
	i->backing_fmt = q->backing_fmt;
	if (q->backing_file)
		i->full_backing =
			blk_resolve_backing(blk_filename(b), q->backing_file);
	i->v3 = q->version == 3;
	i->compat = i->v3 ? "1.1" : "0.10";
	i->compression_type = q->compression_type ? "zstd" : "zlib";
	i->lazy_refcounts = q->compat & QC_COMPAT_LAZY;
	i->refcount_bits = 1U << q->refcount_order;
	i->corrupt = incompat & QC_INCOMPAT_CORRUPT;
}

void blk_get_info(struct blk *b, struct blk_info *i)
{
	memset(i, 0, sizeof(*i));
	i->filename = blk_filename(b);
	i->format = blk_get_format(b);
	i->virtual_size = blk_getlength(b);
	i->actual_size = blk_file_allocated(blk_fd(b));
	if (i->format == BLK_FMT_QCOW2)
		qcow2_info(b, blk_opaque(b), i);
}

void blk_info_free(struct blk_info *i)
{
	free(i->full_backing);
	i->full_backing = NULL;
}
