// SPDX-License-Identifier: GPL-2.0-or-later
/* Per-disk I/O accounting for query-blockstats. */
#include "vmm/disk/stats.h"

#include <stdatomic.h>
#include <time.h>

#include "vmm/virtio/blk.h"

uint64_t blk_stats_now(void)
{
	struct timespec ts;
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	return ns ? ns : 1;
}

/* Raise *a to at least v. */
static void atomic_max(_Atomic uint64_t *a, uint64_t v)
{
	uint64_t cur = atomic_load_explicit(a, memory_order_relaxed);

	while (cur < v &&
	       !atomic_compare_exchange_weak_explicit(
		       a, &cur, v, memory_order_relaxed, memory_order_relaxed))
		;
}

/* Add v to *a (relaxed: counters need no ordering between them). */
static void add(_Atomic uint64_t *a, uint64_t v)
{
	atomic_fetch_add_explicit(a, v, memory_order_relaxed);
}

void blk_stats_account(struct blk_stats *s, enum blk_acct_op op, uint64_t bytes,
		       uint64_t hi_end, uint64_t start_ns, uint64_t end_ns,
		       enum blk_acct_res res)
{
	uint64_t ns = end_ns > start_ns ? end_ns - start_ns : 0;

	if (op >= BLK_ACCT_NR)
		return;
	switch (res) {
	case BLK_ACCT_OK:
		add(&s->ops[op], 1);
		add(&s->bytes[op], bytes);
		add(&s->total_ns[op], ns);
		if (op == BLK_ACCT_WRITE && bytes)
			atomic_max(&s->wr_highest, hi_end);
		break;
	case BLK_ACCT_FAILED:
		add(&s->failed[op], 1);
		add(&s->total_ns[op], ns);
		break;
	case BLK_ACCT_INVALID:
		add(&s->invalid[op], 1);
		break;
	}
	atomic_max(&s->last_ns, end_ns);
}

void blk_stats_read(struct blk_stats *s, uint64_t now_ns,
		    struct blk_stats_snap *out)
{
	uint64_t last = atomic_load_explicit(&s->last_ns, memory_order_relaxed);
	unsigned int i;

	for (i = 0; i < BLK_ACCT_NR; i++) {
		out->bytes[i] = atomic_load_explicit(&s->bytes[i],
						     memory_order_relaxed);
		out->ops[i] =
			atomic_load_explicit(&s->ops[i], memory_order_relaxed);
		out->failed[i] = atomic_load_explicit(&s->failed[i],
						      memory_order_relaxed);
		out->invalid[i] = atomic_load_explicit(&s->invalid[i],
						       memory_order_relaxed);
		out->total_ns[i] = atomic_load_explicit(&s->total_ns[i],
							memory_order_relaxed);
	}
	out->wr_highest =
		atomic_load_explicit(&s->wr_highest, memory_order_relaxed);
	out->has_idle = last != 0;
	out->idle_ns = last && now_ns > last ? now_ns - last : 0;
}

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
