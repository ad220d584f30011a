// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Accounting of virtio-blk requests: what each request type counts as in
 * the disk's statistics (disk/stats.h), which know nothing of virtio.
 */
#include "vmm/disk/stats.h"
#include "vmm/virtio/blk.h"

/* The accounting kind of virtio-blk request type t. */
static enum blk_acct_op op_of(uint32_t t)
{
	switch (t) {
	case VIRTIO_BLK_T_IN:
		return BLK_ACCT_READ;
	case VIRTIO_BLK_T_OUT:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return BLK_ACCT_WRITE;
	case VIRTIO_BLK_T_FLUSH:
		return BLK_ACCT_FLUSH;
	case VIRTIO_BLK_T_DISCARD:
		return BLK_ACCT_UNMAP;
	default:
		return BLK_ACCT_NONE;
	}
}

/* Bytes of p's ranges, and the end of the highest one, in *hi. */
static uint64_t range_bytes(const struct vblk_parsed *p, uint64_t *hi)
{
	uint64_t bytes = 0;
	unsigned int i;

	*hi = 0;
	for (i = 0; i < p->nranges && i < VBLK_MAX_RANGES; i++) {
		uint64_t n = (uint64_t)p->range[i].num_sectors * VBLK_SECTOR;
		uint64_t e = p->range[i].sector * VBLK_SECTOR + n;

		bytes += n;
		if (e > *hi)
			*hi = e;
	}
	return bytes;
}

void vblk_account(struct blk_stats *s, const struct vblk_parsed *p, int status,
		  uint64_t start_ns)
{
	enum blk_acct_op op = op_of(p->type);
	uint64_t now = blk_stats_now(), bytes = 0, hi = 0;
	enum blk_acct_res res = BLK_ACCT_OK;

	if (op == BLK_ACCT_NONE || status == VIRTIO_BLK_S_UNSUPP)
		return;
	if (!start_ns) {
		/* refused by vblk_parse: the ranges may be half read */
		res = BLK_ACCT_INVALID;
		start_ns = now;
	} else if (status != VIRTIO_BLK_S_OK) {
		res = BLK_ACCT_FAILED;
	} else if (op == BLK_ACCT_READ || p->type == VIRTIO_BLK_T_OUT) {
		bytes = p->data_len;
		hi = p->sector * VBLK_SECTOR + bytes;
	} else if (op != BLK_ACCT_FLUSH) {
		/* accepted by vblk_parse: every range is inside the disk */
		bytes = range_bytes(p, &hi);
	}
	blk_stats_account(s, op, bytes, hi, start_ns, now, res);
}
