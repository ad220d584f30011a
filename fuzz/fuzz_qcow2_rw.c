// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: qcow2 opened read-write (dirty-image repair included)
 * and changed: allocating writes, reads, discards, zero writes, compressed
 * writes, internal snapshot create/apply/delete, resize, flush, check and
 * repair, close and reopen. Input: u8 operation count, 12 bytes per
 * operation (kind, argument, u16 length, u64 offset), then the image
 * (written to a file in /dev/shm). The block library must never crash,
 * leak or hang; beyond that, a write that succeeded reads back as written
 * (and zeroes as zeroes) when the read succeeds, and an image that checked
 * clean before still has no corruption after operations that all
 * succeeded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/blk.h"
#include "block/qcow2.h"
#include "fuzz.h"

#define MAX_OPS 32
#define OP_BYTES 12
#define MAX_LEN 65536

static char path[64];
static uint8_t wbuf[MAX_LEN], rbuf[MAX_LEN];

struct op {
	uint8_t kind, arg;
	uint16_t len;
	uint64_t off;
};

/* Read [off, off + len) back and trap if it is not want (NULL: zeroes). */
static void read_back(struct blk *b, uint64_t off, size_t len,
		      const uint8_t *want)
{
	if (blk_pread(b, off, rbuf, len))
		return;
	if (want ? memcmp(rbuf, want, len) :
		   memcmp(rbuf, wbuf + MAX_LEN - len, len) != 0)
		__builtin_trap(); /* acknowledged data did not stick */
}

/* Run op on b (reopened through *bp); returns its result (0 or -errno). */
static int run_op(struct blk **bp, const struct op *o)
{
	struct blk *b = *bp;
	struct blk_check_result cr;
	uint64_t size = blk_getlength(b), pnum, map, off;
	uint32_t cs = blk_cluster_size(b);
	size_t len = o->len;
	char name[8];
	int r;

	off = size ? o->off % size : 0;
	if (len > size - off)
		len = size - off;
	snprintf(name, sizeof(name), "s%u", o->arg % 4);
	switch (o->kind % 14) {
	case 0:
	case 1:
		memset(wbuf, o->arg | 1, len);
		r = blk_pwrite(b, off, wbuf, len);
		if (!r)
			read_back(b, off, len, wbuf);
		return r;
	case 2:
		return blk_pread(b, off, rbuf, len);
	case 3:
		return blk_discard(b, off, len);
	case 4:
		r = blk_pwrite_zeroes(b, off, len,
				      o->arg & 1 ? BLK_Z_MAY_UNMAP : 0);
		if (!r) {
			memset(wbuf + MAX_LEN - len, 0, len);
			read_back(b, off, len, NULL);
		}
		return r;
	case 5:
		if (!cs || cs > MAX_LEN)
			return 0;
		off -= off % cs;
		memset(wbuf, o->arg, cs);
		return blk_pwrite_compressed(b, off, wbuf,
					     size - off < cs ? size - off : cs);
	case 6:
		return qcow2_snapshot_create(blk_opaque(b), name);
	case 7:
		return qcow2_snapshot_apply(blk_opaque(b), name);
	case 8:
		return qcow2_snapshot_delete(blk_opaque(b), name);
	case 9:
		return blk_truncate(b, o->off % (4 << 20), o->arg & 1);
	case 10:
		return blk_flush(b);
	case 11:
		return len ? blk_block_status(b, off, len, &pnum, &map) : 0;
	case 12:
		return qcow2_check(blk_opaque(b), o->arg % 3, &cr, NULL);
	default:
		blk_close(b);
		*bp = NULL;
		return blk_open(bp, path, BLK_FMT_QCOW2,
				BLK_O_RDWR | BLK_O_NO_BACKING);
	}
}

/* Whether the image at b checks without corruption or leaks. */
static bool clean(struct blk *b)
{
	struct blk_check_result cr;

	return !qcow2_check(blk_opaque(b), 0, &cr, NULL) && !cr.corruptions &&
	       !cr.leaks && !cr.check_errors;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	struct op ops[MAX_OPS];
	unsigned int nops, i;
	bool was_clean, all_ok = true;
	struct blk *b;
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/dev/shm/wirt-fuzz-qcow2-%d",
			 getpid());
	nops = fin_u8(&in) % (MAX_OPS + 1);
	for (i = 0; i < nops; i++) {
		ops[i].kind = fin_u8(&in);
		ops[i].arg = fin_u8(&in);
		ops[i].len = fin_u16(&in);
		ops[i].off = fin_u64(&in);
	}
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(in.p, 1, in.n, f);
	fclose(f);
	if (blk_open(&b, path, BLK_FMT_QCOW2, BLK_O_RDWR | BLK_O_NO_BACKING) <
	    0)
		goto out;
	was_clean = clean(b);
	for (i = 0; i < nops && b; i++) {
		int r = run_op(&b, &ops[i]);

		/* a snapshot name taken or missing changes nothing */
		if (r && r != -ENOENT && r != -EEXIST)
			all_ok = false;
	}
	if (b && was_clean && all_ok && !clean(b))
		__builtin_trap(); /* the operations corrupted a clean image */
	if (b)
		blk_close(b);
out:
	unlink(path);
	return 0;
}
