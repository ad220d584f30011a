// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the qcow2 header and metadata parser: the input is
 * an image file; it is opened read-only, read, mapped and checked.  Any
 * crash, sanitizer report or leak is a bug.  Build with fuzz/build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "common/bitmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

/* List and load every persistent bitmap of @b (their tables and data). */
static void load_bitmaps(struct blk *b)
{
	struct blk_bitmap_info *l;
	struct bitmap *bm;
	int n = blk_bitmap_list(b, &l);

	for (int i = 0; i < n; i++)
		if (blk_bitmap_load(b, l[i].name, &bm) == 0)
			bitmap_free(bm);
	blk_bitmap_list_free(l, n < 0 ? 0 : n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blk_check_result r;
	struct blk *b;
	uint8_t buf[4096];
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/wirt-fuzz-%d.qcow2",
			 getpid());
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (blk_open(&b, path, BLK_FMT_QCOW2, BLK_O_NO_BACKING) < 0)
		return 0;
	for (uint64_t off = 0; off < blk_getlength(b) && off < 4 * 1024 * 1024;
	     off += 65536) {
		uint64_t pnum, map, n = blk_getlength(b) - off;

		if (blk_pread(b, off, buf, n < sizeof(buf) ? n : sizeof(buf)) <
		    0)
			break;
		if (blk_block_status(b, off, n, &pnum, &map) < 0)
			break;
	}
	load_bitmaps(b);
	qcow2_check(blk_opaque(b), 0, &r, NULL);
	blk_close(b);
	return 0;
}
