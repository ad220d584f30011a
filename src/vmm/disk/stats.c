// SPDX-License-Identifier: GPL-2.0-or-later
/* Per-disk I/O accounting for query-blockstats. */
#include "vmm/disk/stats.h"

#include <stdatomic.h>
#include <time.h>

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
